//! Numerical edge cases: tasks at 0% or 100% everywhere, one item, scores exactly at chance,
//! too few sizes.

mod common;

use std::sync::atomic::AtomicBool;

use scurve::data::tidy::parse_csv;
use scurve::data::{FitData, Selection, XAxis};
use scurve::fit::{fit_independent, fit_nuts};
use scurve::model::CurveModel;
use scurve::sample::NutsOptions;
use scurve::spec::ModelSpec;

fn edge_csv() -> String {
    let sizes = ["1e8", "3e8", "1e9", "3e9", "1e10"];
    let mut s = String::from("task,model,params,correct,n,chance\n");
    for (j, size) in sizes.iter().enumerate() {
        // a generation task nobody solves (chance 0), and one every model aces
        s.push_str(&format!("zero,m{j},{size},0,500,0.0\n"));
        s.push_str(&format!("full,m{j},{size},500,500,0.25\n"));
        s.push_str(&format!("one_item,m{j},{size},{},1,0.5\n", j % 2));
        s.push_str(&format!("at_chance,m{j},{size},125,500,0.25\n"));
        s.push_str(&format!("rising,m{j},{size},{},500,0.25\n", 130 + 60 * j));
    }
    s
}

#[test]
fn extreme_tasks_fit_without_failure() {
    let ds = parse_csv(edge_csv().as_bytes(), "edge.csv").unwrap();
    let data = FitData::build(&ds.select(&Selection::default()).unwrap(), XAxis::Params, None).unwrap();
    let fits = fit_independent(&ModelSpec::builtin("independent").unwrap(), &data, 1, 200).unwrap();
    let get = |t: &str| fits.iter().find(|f| f.task == t).unwrap();
    assert!(get("zero").curve.value(9.0) < 0.01, "{:?}", get("zero").curve);
    assert!(get("full").curve.value(9.0) > 0.99, "{:?}", get("full").curve);
    for f in &fits {
        let s = f.summary();
        for iv in [s.floor, s.ceiling, s.midpoint_log10, s.slope] {
            assert!(iv.est.is_finite() && iv.lo.is_finite() && iv.hi.is_finite(), "{}: {:?}", f.task, s);
        }
    }
    let model = CurveModel::new(ModelSpec::builtin("hierarchical").unwrap(), data).unwrap();
    let opts = NutsOptions { chains: 2, warmup: 300, draws: 200, ..NutsOptions::default() };
    let fit = fit_nuts(model, &opts, &(), &AtomicBool::new(false)).unwrap();
    for s in fit.task_summaries() {
        assert!(s.floor.est.is_finite() && s.ceiling.est <= 1.0 && s.floor.est < s.ceiling.est, "{s:?}");
    }
}

#[test]
fn two_sizes_are_refused_with_a_reason() {
    let csv = "task,model,params,correct,n,chance\na,m1,1e9,3,10,0.25\na,m2,2e9,4,10,0.25\n";
    let ds = parse_csv(csv.as_bytes(), "two.csv").unwrap();
    let e = FitData::build(&ds.select(&Selection::default()).unwrap(), XAxis::Params, None).unwrap_err();
    assert!(e.to_string().contains("'a'") && e.to_string().contains("at least 3"), "{e}");
}

#[test]
fn strict_exits_3_on_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("edge.csv"), edge_csv()).unwrap();
    // 30 draws cannot give a bulk ESS of 400: the warning turns into exit code 3
    let out = common::scurve_in(
        dir.path(),
        &["fit", "edge.csv", "--chains", "2", "--warmup", "100", "--draws", "30", "--strict", "--quiet"],
    );
    assert_eq!(out.status.code(), Some(3), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("ESS"));
}

/// Tasks with item counts beside more tasks with scores only (as a wide table with a few
/// known counts gives): the pooled start takes the median concentration of the tasks that
/// have one. It indexed the shorter list by the number of all tasks and panicked.
#[test]
fn a_pooled_start_with_few_tasks_of_counts() {
    let mut s = String::from("task,model,params,score,n,chance\n");
    for (j, size) in ["1e8", "3e8", "1e9", "3e9", "1e10"].iter().enumerate() {
        s.push_str(&format!("counted,m{j},{size},{},500,0.25\n", (130 + 60 * j) as f64 / 500.0));
        for (t, base) in [("s1", 0.3), ("s2", 0.5), ("s3", 0.26)] {
            s.push_str(&format!("{t},m{j},{size},{},,0.25\n", base + 0.04 * j as f64));
        }
    }
    let ds = parse_csv(s.as_bytes(), "mixed.csv").unwrap();
    let data = FitData::build(&ds.select(&Selection::default()).unwrap(), XAxis::Params, None).unwrap();
    let model = CurveModel::new(ModelSpec::builtin("hierarchical").unwrap(), data).unwrap();
    let start = scurve::fit::pooled_start(&model, 1, 200).unwrap();
    assert!(start.position.iter().all(|v| v.is_finite()), "{:?}", start.position);
}
