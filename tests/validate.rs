//! Validation: baselines on a tiny table, scores computed by hand.

use std::sync::atomic::AtomicBool;

use scurve::data::{Dataset, Observation, Outcome, Selection, XAxis};
use scurve::error::Location;
use scurve::fit::{FitDiagnostics, ValuesCheck};
use scurve::forecast::Group;
use scurve::sample::NutsOptions;
use scurve::spec::ModelSpec;
use scurve::validate::{Arm, Method, RoundFit, Split, ValidateOptions, Validation, score, validate};

fn tiny() -> Vec<scurve::data::Series> {
    table(&[
        ("a", 1e8, 30),
        ("a", 1e9, 40),
        ("a", 1e10, 50),
        ("a", 1e11, 70),
        ("b", 1e8, 50),
        ("b", 1e9, 52),
        ("b", 1e10, 60),
        ("b", 1e11, 58),
    ])
}

/// Series of (task, size, correct of 100) rows; chance 0.25 for task `a`, else 0.5.
fn table(rows: &[(&str, f64, u64)]) -> Vec<scurve::data::Series> {
    let obs = rows
        .iter()
        .map(|&(t, s, c)| Observation {
            task: t.into(),
            family: None,
            model: format!("m{s:e}"),
            params: s,
            tokens: None,
            outcome: Outcome::Counts { correct: c, n: 100 },
            chance: Some(if t == "a" { 0.25 } else { 0.5 }),
            shots: None,
            at: Location::file("tiny"),
            revision: None,
            rounded: None,
            score: None,
        })
        .collect();
    Dataset { source: "tiny".into(), observations: obs, unreadable: Vec::new() }.select(&Selection::default()).unwrap()
}

fn opts(split: Split, methods: Vec<Method>) -> ValidateOptions {
    ValidateOptions {
        split,
        methods,
        models: vec![ModelSpec::builtin("hierarchical").unwrap()],
        nuts: NutsOptions { chains: 2, warmup: 200, draws: 200, ..NutsOptions::default() },
        x_axis: XAxis::Params,
        seed: 1,
        means: Vec::new(),
        skip_falling: false,
        above: None,
    }
}

#[test]
fn baselines_on_a_tiny_table() {
    let preds = validate(
        &tiny(),
        &opts(Split::Largest(1), vec![Method::Persistence, Method::Momentum]),
        &(),
        &AtomicBool::new(false),
    )
    .unwrap()
    .predictions;
    let get = |m, t: &str| preds.iter().find(|p| p.method == m && p.task == t).unwrap().predicted;
    // persistence: the last kept score; momentum: last gain per decade carried one decade on
    assert!((get(Method::Persistence, "a") - 0.50).abs() < 1e-12);
    assert!((get(Method::Momentum, "a") - 0.60).abs() < 1e-12);
    assert!((get(Method::Persistence, "b") - 0.60).abs() < 1e-12);
    assert!((get(Method::Momentum, "b") - 0.68).abs() < 1e-12);
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    // |0.5-0.7| and |0.6-0.58| → MAE 11 pp; momentum |0.6-0.7|, |0.68-0.58| → 10 pp
    assert!((s[&Arm::from(Method::Persistence)].mae_pp - 11.0).abs() < 1e-9);
    assert!((s[&Arm::from(Method::Momentum)].mae_pp - 10.0).abs() < 1e-9);
    assert!((s[&Arm::from(Method::Momentum)].rmse_pp - 10.0).abs() < 1e-9);
    // point forecasts: CRPS is the absolute error, no coverage
    assert!((s[&Arm::from(Method::Persistence)].crps - 0.11).abs() < 1e-12);
    assert!(s[&Arm::from(Method::Persistence)].coverage.is_none());
}

/// `above`: each method's probability that a held-out score is above a score (0 or 1 for a
/// point forecast), some points above the task's chance or the same for all, and its Brier score.
#[test]
fn exceedance_of_a_score_and_its_brier_score() {
    use scurve::forecast::Score;
    let series = tiny();
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let methods = vec![Method::Persistence, Method::Momentum, Method::Hierarchical];
    let run = |above| {
        let mut o = ValidateOptions { above: Some(above), ..opts(Split::Largest(1), methods.clone()) };
        o.means = Group::matching(&names, &[Some(100), Some(100)], "*", false).unwrap();
        validate(&series, &o, &(), &AtomicBool::new(false)).unwrap().predictions
    };
    let brier = |preds: &[scurve::validate::Prediction], m: Method| {
        let tasks: Vec<_> = preds.iter().filter(|p| p.mean_of.is_none()).collect();
        score(&tasks)[&Arm::from(m)].brier.unwrap()
    };
    // a held out at 0.70, b at 0.58; persistence says 0.50 and 0.60, momentum 0.60 and 0.68
    // thirty points above chance: a's 0.55 was passed, b's 0.80 not
    let preds = run(Score::AboveChance(0.3));
    let get = |m: Method, t: &str| preds.iter().find(|p| p.method == m && p.task == t).unwrap();
    assert_eq!(get(Method::Persistence, "a").above, Some(0.55));
    assert_eq!(get(Method::Persistence, "b").above, Some(0.8));
    let p_above = |m, t| get(m, t).p_above.unwrap();
    assert_eq!([p_above(Method::Persistence, "a"), p_above(Method::Persistence, "b")], [0.0, 0.0]);
    assert_eq!([p_above(Method::Momentum, "a"), p_above(Method::Momentum, "b")], [1.0, 0.0]);
    assert!((brier(&preds, Method::Persistence) - 0.5).abs() < 1e-12);
    assert!(brier(&preds, Method::Momentum).abs() < 1e-12);
    // the draws' share above it, scored the same way
    let (pa, pb) = (p_above(Method::Hierarchical, "a"), p_above(Method::Hierarchical, "b"));
    assert!(pa > 0.5 && pb < 0.5, "{pa} {pb}");
    assert!((brier(&preds, Method::Hierarchical) - ((pa - 1.0).powi(2) + pb * pb) / 2.0).abs() < 1e-12);
    // the mean of a and b: chance 0.375, so 0.675, and 0.64 observed
    let mean = preds.iter().find(|p| p.method == Method::Persistence && p.mean_of.is_some()).unwrap();
    assert!((mean.above.unwrap() - 0.675).abs() < 1e-12 && mean.p_above == Some(0.0), "{mean:?}");
    // five points above the last fitted score (a: 0.50, b: 0.60): a gained, b did not; momentum
    // says both will, persistence neither; the mean's is the mean of the two, 0.55 + 0.05
    let preds = run(Score::AboveLargest(0.05));
    let get = |m: Method, t: &str| preds.iter().find(|p| p.method == m && p.task == t).unwrap();
    assert!((get(Method::Persistence, "a").above.unwrap() - 0.55).abs() < 1e-12);
    assert!((get(Method::Persistence, "b").above.unwrap() - 0.65).abs() < 1e-12);
    assert_eq!([get(Method::Momentum, "a").p_above, get(Method::Momentum, "b").p_above], [Some(1.0), Some(1.0)]);
    assert!((brier(&preds, Method::Persistence) - 0.5).abs() < 1e-12);
    assert!((brier(&preds, Method::Momentum) - 0.5).abs() < 1e-12);
    let mean = preds.iter().find(|p| p.method == Method::Persistence && p.mean_of.is_some()).unwrap();
    assert!((mean.above.unwrap() - 0.6).abs() < 1e-12, "{mean:?}");
    // one score for all: 0.59, passed by a, not by b
    let preds = run(Score::Fixed(0.59));
    assert!((brier(&preds, Method::Persistence) - 1.0).abs() < 1e-12);
    assert!((brier(&preds, Method::Momentum) - 0.5).abs() < 1e-12);
    // without it, no Brier score
    let preds = validate(&series, &opts(Split::Largest(1), methods), &(), &AtomicBool::new(false)).unwrap();
    assert!(score(&preds.predictions.iter().collect::<Vec<_>>()).values().all(|s| s.brier.is_none()));
    // the round's fit knows how far ahead it forecast: one decade, 1e10 to 1e11
    assert_eq!(preds.fits.len(), 1);
    assert!((preds.fits[0].farthest - 1.0).abs() < 1e-9, "{:?}", preds.fits[0].farthest);
}

#[test]
fn rolling_holds_out_every_cutoff() {
    let preds = validate(&tiny(), &opts(Split::Rolling, vec![Method::Persistence]), &(), &AtomicBool::new(false))
        .unwrap()
        .predictions;
    // 4 sizes: one cutoff keeping 3, one size ahead per task
    assert_eq!(preds.len(), 2);
    assert!(preds.iter().all(|p| (p.distance - 1.0).abs() < 1e-9));
}

/// `skip_falling` leaves a series out of a round when its scores fall with size up to that
/// round's cutoff, and only then: a fall that lies in the held-out sizes alone is predicted.
#[test]
fn skip_falling_judges_each_round_on_the_sizes_it_fits() {
    let sizes = [1e8, 1e9, 1e10, 1e11, 1e12];
    // c falls over its first three sizes and then rises; d rises and then falls at the fourth
    let rows: Vec<(&str, f64, u64)> = (sizes.iter().zip([60, 45, 30, 70, 80]).map(|(&s, c)| ("c", s, c)))
        .chain(sizes.iter().zip([40, 45, 50, 15, 60]).map(|(&s, c)| ("d", s, c)))
        .collect();
    let series = table(&rows);
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let run = |skip_falling| {
        let mut o = ValidateOptions { skip_falling, ..opts(Split::Rolling, vec![Method::Persistence]) };
        o.means = Group::matching(&names, &[Some(100), Some(100)], "*", false).unwrap();
        let preds = validate(&series, &o, &(), &AtomicBool::new(false)).unwrap().predictions;
        preds.iter().map(|p| (p.task.clone(), p.size, p.observed)).collect::<Vec<_>>()
    };
    let t = |task: &str, size: f64, observed: f64| (task.to_string(), size, observed);
    // kept 3: c falls (left out), d rises and its fall at 1e11 is predicted, and the mean of c
    // and d is d's alone; kept 4: the other way
    assert_eq!(
        run(true),
        [
            t("d", 1e11, 0.15),
            t("d", 1e12, 0.6),
            t("* (mean of 1)", 1e11, 0.15),
            t("* (mean of 1)", 1e12, 0.6),
            t("c", 1e12, 0.8),
            t("* (mean of 1)", 1e12, 0.8),
        ]
    );
    let all = run(false);
    assert_eq!(all.len(), 6 + 3);
    assert!(all.iter().filter(|p| p.0.starts_with('*')).all(|p| p.0 == "* (mean of 2)"), "{all:?}");
    // a split that leaves only falling tasks to score says so
    let falling = table(&rows[..5]);
    let o = ValidateOptions { skip_falling: true, ..opts(Split::Largest(2), vec![Method::Persistence]) };
    let err = validate(&falling, &o, &(), &AtomicBool::new(false)).unwrap_err().to_string();
    assert!(err.contains("falls with size up to its cutoff (--skip-falling"), "{err}");
}

#[test]
fn probabilistic_methods_report_coverage_and_lpd() {
    let v = validate(
        &tiny(),
        &opts(Split::Above(1e10), vec![Method::IndependentMap, Method::Hierarchical]),
        &(),
        &AtomicBool::new(false),
    )
    .unwrap();
    // the one NUTS fit's diagnostics come back, and a warning when it fell short
    assert_eq!(v.fits.len(), 1);
    assert_eq!(v.fits[0].largest_fitted, 1e10);
    assert_eq!(v.fit_warnings().len(), usize::from(v.fits[0].diagnostics.falls_short()));
    let preds = v.predictions;
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    for m in [Method::IndependentMap, Method::Hierarchical].map(Arm::from) {
        let c = s[&m].coverage.as_ref().unwrap();
        assert!(c["50"] <= c["80"] && c["80"] <= c["95"]);
        assert!(s[&m].lpd.unwrap().is_finite() && s[&m].lpd.unwrap() < 0.0);
        let pit = s[&m].pit.as_ref().unwrap();
        assert_eq!(pit.len(), 2);
        assert!(pit.iter().all(|u| (0.0..=1.0).contains(u)));
    }
}

/// Scores without item counts have no predictive mass to score: no LPD, rather than a mean of
/// nothing printed as 0.
#[test]
fn scores_without_counts_have_no_lpd() {
    let mut series = tiny();
    for s in &mut series {
        for p in &mut s.points {
            p.outcome = Outcome::Score(p.outcome.score());
        }
    }
    let preds = validate(&series, &opts(Split::Largest(1), vec![Method::IndependentMap]), &(), &AtomicBool::new(false))
        .unwrap()
        .predictions;
    assert!(preds.iter().all(|p| p.lpd.is_none()));
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    let m = &s[&Arm::from(Method::IndependentMap)];
    assert_eq!(m.lpd, None);
    assert!(m.coverage.is_some() && m.crps.is_finite());
}

/// The mean of a group of tasks is predicted at each model every task holds out, from the same
/// fits, and scored apart from the tasks: persistence and momentum are the means of each task's.
#[test]
fn the_mean_of_a_group_is_predicted_beside_its_tasks() {
    let series = tiny();
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let mut o = opts(Split::Largest(1), vec![Method::Persistence, Method::Momentum, Method::IndependentMap]);
    o.means = Group::matching(&names, &[Some(100), Some(100)], "*", false).unwrap();
    let preds = validate(&series, &o, &(), &AtomicBool::new(false)).unwrap().predictions;
    let means: Vec<_> = preds.iter().filter(|p| p.mean_of.is_some()).collect();
    assert_eq!(means.len(), 3, "one held-out model, three methods");
    assert!(means.iter().all(|p| p.task == "* (mean of 2)" && p.model == "m1e11" && p.mean_of == Some(2)));
    let get = |m| means.iter().find(|p| p.method == m).unwrap();
    // held out: a 0.70, b 0.58; kept last: 0.50 and 0.60; momentum 0.60 and 0.68
    assert!((get(Method::Persistence).observed - 0.64).abs() < 1e-12);
    assert!((get(Method::Persistence).predicted - 0.55).abs() < 1e-12);
    assert!((get(Method::Momentum).predicted - 0.64).abs() < 1e-12);
    assert!((get(Method::Persistence).distance - 1.0).abs() < 1e-9);
    // a fitted method: a predictive interval around its median, and a PIT
    let p = get(Method::IndependentMap);
    let (lo, hi) = p.interval80.unwrap();
    assert!(lo < p.predicted && p.predicted < hi && p.pit.is_some() && p.cover80.is_some(), "{p:?}");
    // the tasks' own predictions are those of a run without the group
    let without = validate(&series, &opts(Split::Largest(1), o.methods.clone()), &(), &AtomicBool::new(false))
        .unwrap()
        .predictions;
    let tasks: Vec<_> = preds.iter().filter(|p| p.mean_of.is_none()).map(|p| (p.predicted, p.crps)).collect();
    assert_eq!(tasks, without.iter().map(|p| (p.predicted, p.crps)).collect::<Vec<_>>());
    // weighted by items, the weights follow the counts
    let g = Group::matching(&names, &[Some(100), Some(300)], "*", true).unwrap();
    assert_eq!(g[0].weights, [0.25, 0.75]);
}

/// hierarchical_map leaves a per-model effect out (a mode cannot estimate its sd): with the
/// default model it predicts exactly what it predicts with the same model without one.
#[test]
fn hierarchical_map_leaves_the_luck_out() {
    let run = |model: &str| {
        let o = ValidateOptions {
            models: vec![ModelSpec::builtin(model).unwrap()],
            ..opts(Split::Largest(1), vec![Method::HierarchicalMap])
        };
        let preds = validate(&tiny(), &o, &(), &AtomicBool::new(false)).unwrap().predictions;
        preds.iter().map(|p| (p.predicted, p.crps, p.lpd)).collect::<Vec<_>>()
    };
    let with = run("hierarchical");
    assert_eq!(with.len(), 2);
    assert_eq!(with, run("no_model_effect"));
}

/// Several model files are scored side by side, an arm `hierarchical:NAME` each, in the order
/// given: each arm predicts exactly what a validation of its model alone predicts (the same
/// seed, the same draws), a name given twice is numbered, and each NUTS fit's warning names its
/// model.
#[test]
fn several_model_files_are_scored_side_by_side() {
    let methods = vec![Method::Hierarchical, Method::Persistence];
    let run = |models: &[&str]| {
        let o = ValidateOptions {
            models: models.iter().map(|m| ModelSpec::builtin(m).unwrap()).collect(),
            ..opts(Split::Largest(1), methods.clone())
        };
        (o.arms(), validate(&tiny(), &o, &(), &AtomicBool::new(false)).unwrap())
    };
    let key = |p: &scurve::validate::Prediction| (p.task.clone(), p.predicted, p.crps, p.lpd, p.pit);
    let (arms, both) = run(&["no_model_effect", "hierarchical"]);
    let names: Vec<String> = arms.iter().map(Arm::name).collect();
    assert_eq!(names, ["hierarchical:no_model_effect", "hierarchical:hierarchical", "persistence"]);
    assert_eq!(both.fits.len(), 2);
    assert_eq!(both.fits[0].model_file.as_deref(), Some("no_model_effect"));
    assert_eq!(both.fits[1].model_file.as_deref(), Some("hierarchical"));
    for (i, alone) in ["no_model_effect", "hierarchical"].into_iter().enumerate() {
        let of_arm: Vec<_> = both.predictions.iter().filter(|p| p.method == arms[i]).map(key).collect();
        let (_, single) = run(&[alone]);
        let expected: Vec<_> =
            single.predictions.iter().filter(|p| p.method == Method::Hierarchical).map(key).collect();
        assert_eq!(of_arm.len(), 2);
        assert_eq!(of_arm, expected, "{alone}");
    }
    // the arms are scored apart, in the order given, and named so in JSON
    let refs: Vec<_> = both.predictions.iter().collect();
    let s = score(&refs);
    assert_eq!(s.keys().map(Arm::name).collect::<Vec<_>>(), names);
    let json = serde_json::to_value(&both.predictions[0]).unwrap();
    assert_eq!(json["method"], "hierarchical:no_model_effect");
    // a name given twice is numbered by its place; one model alone keeps the plain name
    let twice = ValidateOptions {
        models: vec![ModelSpec::builtin("hierarchical").unwrap(); 2],
        ..opts(Split::Largest(1), methods.clone())
    };
    assert_eq!(twice.model_labels(), ["hierarchical", "hierarchical#2"]);
    assert_eq!(opts(Split::Largest(1), methods).arms(), [Method::Hierarchical, Method::Persistence].map(Arm::from));
    // a fit that fell short says which model it was
    let mut short = both.fits[1].clone();
    short.diagnostics.rhat_max = 1.05;
    let v = Validation { predictions: Vec::new(), fits: vec![short] };
    assert!(
        v.fit_warnings()[0].starts_with("the hierarchical fit (hierarchical) of sizes up to"),
        "{:?}",
        v.fit_warnings()
    );
}

/// A fit that fell short of R-hat 1.01, bulk ESS 400 or no divergences is named, with its
/// figures; one that passed is not.
#[test]
fn fits_that_fall_short_are_named() {
    let diagnostics = |rhat_max: f64, ess_bulk_min: f64, divergences: u64| FitDiagnostics {
        rhat_max,
        ess_bulk_min,
        ess_tail_min: 900.0,
        divergences,
        max_depth_hits: 0,
        mean_tree_depth: 6.0,
        ebfmi_min: 0.8,
        sampling_seconds: 5.0,
        ess_bulk_per_second: ess_bulk_min / 5.0,
        worst_rhat: "ceiling_location".into(),
        worst_ess: "midpoint.3 (t)".into(),
        draws_per_chain: 2000,
        extensions: Vec::new(),
        chain_apart: None,
        forecast_values: None,
        forecast_curves: None,
    };
    let fit = |largest_fitted: f64, d: FitDiagnostics| RoundFit {
        model_file: None,
        largest_fitted,
        farthest: 0.7,
        diagnostics: d,
    };
    let v = Validation {
        predictions: Vec::new(),
        fits: vec![
            fit(1e9, diagnostics(1.005, 800.0, 0)),
            fit(1.3e10, diagnostics(1.19, 15.0, 0)),
            fit(3e10, diagnostics(1.0, 900.0, 2)),
            fit(6.6e10, diagnostics(1.0, 399.0, 0)),
        ],
    };
    let w = v.fit_warnings();
    assert_eq!(w.len(), 3, "{w:?}");
    assert!(w[0].contains("up to 13B") && w[0].contains("R-hat 1.190 (ceiling_location)"), "{}", w[0]);
    assert!(w[0].contains("bulk ESS 15 (midpoint.3 (t))") && w[0].contains("2000 draws per chain"), "{}", w[0]);
    assert!(w[1].contains("up to 30B") && w[1].contains("and 2 divergences"), "{}", w[1]);
    assert!(w[2].contains("up to 66B") && w[2].contains("bulk ESS 399"), "{}", w[2]);
    assert!(w.iter().all(|w| w.contains("may not describe the posterior")), "{w:?}");
    // a fit whose tasks' curves passed, short only in a population value, says so
    let passed = |rhat_max| ValuesCheck {
        rhat_max,
        worst_rhat: "slope.2 (t)".into(),
        ess_bulk_min: 512.0,
        worst_ess: "floor.1 (t)".into(),
    };
    let population = |rhat, check| FitDiagnostics { forecast_values: Some(check), ..diagnostics(rhat, 900.0, 0) };
    let v = Validation { predictions: Vec::new(), fits: vec![fit(1.3e10, population(1.014, passed(1.006)))] };
    let w = v.fit_warnings();
    assert!(w[0].contains("R-hat 1.014 (ceiling_location)") && w[0].contains("only population values"), "{w:?}");
    assert!(w[0].contains("(R-hat at most 1.006, bulk ESS at least 512)"), "{w:?}");
    assert!(!w[0].contains("may not describe the posterior"), "{w:?}");
    // not when a task's value fell short too, nor with divergences
    let v = Validation { predictions: Vec::new(), fits: vec![fit(1.3e10, population(1.014, passed(1.02)))] };
    assert!(v.fit_warnings()[0].contains("may not describe the posterior"));
    let diverged = FitDiagnostics { divergences: 1, ..population(1.014, passed(1.006)) };
    let v = Validation { predictions: Vec::new(), fits: vec![fit(1.3e10, diverged)] };
    assert!(v.fit_warnings()[0].contains("may not describe the posterior"));
    // short in a task's value, but its curves up to a tenfold scale-up passed: said when every
    // score the round forecast lies within that (0.7 orders of magnitude), not when one lies
    // farther
    let far = FitDiagnostics { forecast_curves: Some(passed(1.004)), ..population(1.014, passed(1.02)) };
    let v = Validation { predictions: Vec::new(), fits: vec![fit(1.3e10, far.clone())] };
    let w = v.fit_warnings();
    assert!(w[0].contains("forecasts up to a tenfold scale-up rest on draws that agree"), "{w:?}");
    assert!(w[0].ends_with("and every score it was asked to forecast lies within one"), "{w:?}");
    let v = Validation { predictions: Vec::new(), fits: vec![RoundFit { farthest: 1.2, ..fit(1.3e10, far) }] };
    assert!(v.fit_warnings()[0].contains("may not describe the posterior"), "{:?}", v.fit_warnings());
}
