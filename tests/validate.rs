//! Validation: baselines on a tiny table, scores computed by hand.

use std::sync::atomic::AtomicBool;

use scurve::data::{Dataset, Observation, Outcome, Selection, XAxis};
use scurve::error::Location;
use scurve::sample::NutsOptions;
use scurve::spec::ModelSpec;
use scurve::validate::{Method, Split, ValidateOptions, score, validate};

fn tiny() -> Vec<scurve::data::Series> {
    let rows = [
        ("a", 1e8, 30),
        ("a", 1e9, 40),
        ("a", 1e10, 50),
        ("a", 1e11, 70),
        ("b", 1e8, 50),
        ("b", 1e9, 52),
        ("b", 1e10, 60),
        ("b", 1e11, 58),
    ];
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
        })
        .collect();
    Dataset { source: "tiny".into(), observations: obs, unreadable: Vec::new() }.select(&Selection::default()).unwrap()
}

fn opts(split: Split, methods: Vec<Method>) -> ValidateOptions {
    ValidateOptions {
        split,
        methods,
        model: ModelSpec::builtin("hierarchical").unwrap(),
        nuts: NutsOptions { chains: 2, warmup: 200, draws: 200, ..NutsOptions::default() },
        x_axis: XAxis::Params,
        seed: 1,
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
    .unwrap();
    let get = |m, t: &str| preds.iter().find(|p| p.method == m && p.task == t).unwrap().predicted;
    // persistence: the last kept score; momentum: last gain per decade carried one decade on
    assert!((get(Method::Persistence, "a") - 0.50).abs() < 1e-12);
    assert!((get(Method::Momentum, "a") - 0.60).abs() < 1e-12);
    assert!((get(Method::Persistence, "b") - 0.60).abs() < 1e-12);
    assert!((get(Method::Momentum, "b") - 0.68).abs() < 1e-12);
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    // |0.5-0.7| and |0.6-0.58| → MAE 11 pp; momentum |0.6-0.7|, |0.68-0.58| → 10 pp
    assert!((s[&Method::Persistence].mae_pp - 11.0).abs() < 1e-9);
    assert!((s[&Method::Momentum].mae_pp - 10.0).abs() < 1e-9);
    assert!((s[&Method::Momentum].rmse_pp - 10.0).abs() < 1e-9);
    // point forecasts: CRPS is the absolute error, no coverage
    assert!((s[&Method::Persistence].crps - 0.11).abs() < 1e-12);
    assert!(s[&Method::Persistence].coverage.is_none());
}

#[test]
fn rolling_holds_out_every_cutoff() {
    let preds =
        validate(&tiny(), &opts(Split::Rolling, vec![Method::Persistence]), &(), &AtomicBool::new(false)).unwrap();
    // 4 sizes: one cutoff keeping 3, one size ahead per task
    assert_eq!(preds.len(), 2);
    assert!(preds.iter().all(|p| (p.distance - 1.0).abs() < 1e-9));
}

#[test]
fn probabilistic_methods_report_coverage_and_lpd() {
    let preds = validate(
        &tiny(),
        &opts(Split::Above(1e10), vec![Method::IndependentMap, Method::Hierarchical]),
        &(),
        &AtomicBool::new(false),
    )
    .unwrap();
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    for m in [Method::IndependentMap, Method::Hierarchical] {
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
        .unwrap();
    assert!(preds.iter().all(|p| p.lpd.is_none()));
    let refs: Vec<_> = preds.iter().collect();
    let s = score(&refs);
    let m = &s[&Method::IndependentMap];
    assert_eq!(m.lpd, None);
    assert!(m.coverage.is_some() && m.crps.is_finite());
}
