//! Forecasts and thresholds on known curves, and MAP against NUTS on a well-identified task.

mod common;

use std::sync::atomic::AtomicBool;

use scurve::check::{CHECK_LEVEL, predictive_check};
use scurve::curve::Curve;
use scurve::data::{FitData, Selection, XAxis};
use scurve::fit::{fit_independent, fit_nuts, posterior_from_task_maps};
use scurve::forecast::{
    At, ForecastAt, Group, SATURATED, Target, flattened, flattened_past_fit, flattened_rows, forecast_rows,
    group_predictive, group_threshold, predictive, summarise, threshold,
};
use scurve::model::CurveModel;
use scurve::plot::{ObservedPoint, TaskPanel};
use scurve::posterior::Posterior;
use scurve::sample::NutsOptions;
use scurve::spec::ModelSpec;

/// A posterior whose every draw is the same curve (and φ, when given).
fn point_posterior(c: Curve, phi: Option<f64>, n: usize) -> Posterior {
    let mut names: Vec<String> = ["floor.1", "ceiling.1", "midpoint.1", "slope.1"].map(String::from).to_vec();
    let mut row = vec![c.floor, c.ceiling, c.midpoint, c.slope];
    if let Some(p) = phi {
        names.push("phi".into());
        row.push(p);
    }
    Posterior::new(names, vec![vec![row; n]], Vec::new(), vec!["t".into()], Vec::new()).unwrap()
}

const C: Curve = Curve { floor: 0.25, ceiling: 0.85, midpoint: 9.5, slope: 1.5 };

#[test]
fn predictive_intervals_reproduce_the_binomial_spread() {
    let post = point_posterior(C, None, 20_000);
    let n = 1000;
    let pred = predictive(&post, &Target { task: 0, items: Some(n) }, 9.5, 3);
    let row = summarise("t", 10f64.powf(9.5), &pred, Some(0.55));
    let p = C.value(9.5);
    let sd = (p * (1.0 - p) / n as f64).sqrt();
    assert!((row.median - p).abs() < 0.002, "{row:?}");
    assert!((row.lo80 - (p - 1.2816 * sd)).abs() < 0.003, "{row:?}");
    assert!((row.hi80 - (p + 1.2816 * sd)).abs() < 0.003, "{row:?}");
    assert!((row.hi95 - row.lo95) / (2.0 * 1.96 * sd) - 1.0 < 0.1);
    assert!((row.latent_median - p).abs() < 1e-12);
    // P(score > p) is about a half (a bit less: the median sits on the grid)
    assert!((row.p_above.unwrap() - 0.5).abs() < 0.05, "{row:?}");
}

#[test]
fn beta_binomial_widens_the_interval_by_the_known_factor() {
    let n = 1000u64;
    let phi = 200.0;
    let post = point_posterior(C, Some(phi), 20_000);
    let pred = predictive(&post, &Target { task: 0, items: Some(n) }, 9.5, 4);
    let row = summarise("t", 1.0, &pred, None);
    let p = C.value(9.5);
    let sd = (p * (1.0 - p) / n as f64 * (n as f64 + phi) / (1.0 + phi)).sqrt();
    let width = row.hi80 - row.lo80;
    assert!((width / (2.0 * 1.2816 * sd) - 1.0).abs() < 0.05, "width {width} vs {}", 2.0 * 1.2816 * sd);
}

#[test]
fn threshold_inverts_known_curves() {
    let post = point_posterior(C, None, 100);
    let r = threshold(&post, 0, 0.7, 10.0, 15.0);
    let want = 9.5 + (0.75f64 / 0.25).ln() / 1.5;
    assert!((r.median_size.unwrap().log10() - want).abs() < 1e-9, "{r:?}");
    assert_eq!(r.p_never, 0.0);
    assert_eq!(r.p_already, 0.0);
    assert_eq!(r.p_reach, 1.0);
    let r = threshold(&post, 0, 0.5, 10.0, 15.0);
    assert_eq!(r.p_already, 1.0);
}

#[test]
fn unreachable_scores_are_a_probability_not_an_error() {
    let post = point_posterior(C, None, 100);
    let r = threshold(&post, 0, 0.9, 10.0, 15.0);
    assert_eq!(r.p_never, 1.0);
    assert_eq!(r.p_reach, 0.0);
    assert!(r.median_size.is_none() && r.hi80_size.is_none());
}

/// A posterior whose every draw holds the same curves of several tasks, and a per-model
/// shift of sd `model_sd`.
fn tasks_posterior(curves: &[Curve], model_sd: f64, n: usize) -> Posterior {
    let t = curves.len();
    let mut names = Vec::new();
    let mut row = Vec::new();
    for (k, p) in ["floor", "ceiling", "midpoint", "slope"].iter().enumerate() {
        for (i, c) in curves.iter().enumerate() {
            names.push(format!("{p}.{}", i + 1));
            row.push([c.floor, c.ceiling, c.midpoint, c.slope][k]);
        }
    }
    names.push("model_sd".into());
    row.push(model_sd);
    let series = (0..t).map(|i| format!("t{i}")).collect();
    Posterior::new(names, vec![vec![row; n]], Vec::new(), series, Vec::new()).unwrap()
}

fn group(tasks: &[usize], weights: &[f64], items: Option<u64>) -> Group {
    Group {
        name: "g".into(),
        tasks: tasks.iter().map(|&task| Target { task, items }).collect(),
        weights: weights.to_vec(),
        by_items: false,
    }
}

fn sd(v: &[f64]) -> f64 {
    let m = v.iter().sum::<f64>() / v.len() as f64;
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() - 1) as f64).sqrt()
}

/// A new model's luck is one for every task it takes: the mean of two copies of a task spreads
/// as much as the task (with no sampling noise), not 1/√2 as much, as independent luck would.
#[test]
fn a_group_mean_shares_the_new_models_luck() {
    let post = tasks_posterior(&[C, C], 0.3, 20_000);
    // so many items that the counts add next to no noise of their own
    let items = Some(100_000_000);
    let task = group_predictive(&post, &group(&[0], &[1.0], items), 9.5, 1);
    let mean = group_predictive(&post, &group(&[0, 1], &[0.5, 0.5], items), 9.5, 1);
    let (s_task, s_mean) = (sd(&task.observed), sd(&mean.observed));
    assert!(s_task > 0.03 && sd(&task.latent) < 1e-12, "{s_task}");
    assert!((s_mean / s_task - 1.0).abs() < 0.05, "mean of two copies {s_mean} against one {s_task}");
    // the latent mean is the weighted mean of the curves
    let other = Curve { midpoint: 10.5, ..C };
    let post = tasks_posterior(&[C, other], 0.0, 10);
    let pred = group_predictive(&post, &group(&[0, 1], &[0.25, 0.75], None), 10.0, 1);
    let want = 0.25 * C.value(10.0) + 0.75 * other.value(10.0);
    assert!((pred.latent[0] - want).abs() < 1e-12);
}

#[test]
fn a_group_threshold_is_where_the_mean_curve_crosses() {
    // copies of one curve cross where it does
    let post = tasks_posterior(&[C, C, C], 0.0, 50);
    let one = threshold(&post, 0, 0.7, 10.0, 15.0);
    let all = group_threshold(&post, &group(&[0, 1, 2], &[1.0 / 3.0; 3], None), 0.7, 10.0, 15.0);
    assert!((all.median_size.unwrap().log10() - one.median_size.unwrap().log10()).abs() < 1e-9, "{all:?}");
    // two different curves: the weighted mean of them is the score there
    let late = Curve { floor: 0.25, ceiling: 0.95, midpoint: 12.0, slope: 0.8 };
    let post = tasks_posterior(&[C, late], 0.0, 20);
    let g = group(&[0, 1], &[0.4, 0.6], None);
    let r = group_threshold(&post, &g, 0.8, 10.0, 15.0);
    let x = r.median_size.unwrap().log10();
    assert!((0.4 * C.value(x) + 0.6 * late.value(x) - 0.8).abs() < 1e-9, "x = {x}");
    assert!(x > 10.0 && x < 15.0 && r.p_reach == 1.0 && r.p_already == 0.0);
    // above the mean of the ceilings: never; below the mean of the floors: already
    let r = group_threshold(&post, &g, 0.4 * 0.85 + 0.6 * 0.95 + 1e-9, 10.0, 15.0);
    assert_eq!((r.p_never, r.median_size), (1.0, None));
    let r = group_threshold(&post, &g, 0.2, 10.0, 15.0);
    assert_eq!((r.p_already, r.median_size), (1.0, Some(0.0)));
    // a crossing beyond the first bracket (a very shallow curve) is still found
    let flat = Curve { floor: 0.25, ceiling: 0.85, midpoint: 60.0, slope: 0.05 };
    let post = tasks_posterior(&[flat], 0.0, 5);
    let r = group_threshold(&post, &group(&[0], &[1.0], None), 0.8, 10.0, 15.0);
    let want = threshold(&post, 0, 0.8, 10.0, 15.0).x_draws[0];
    assert!((r.x_draws[0] - want).abs() < 1e-6, "{} against {want}", r.x_draws[0]);
}

#[test]
fn map_and_nuts_forecasts_agree_on_a_well_identified_task() {
    let truth = [
        Curve { floor: 0.25, ceiling: 0.8, midpoint: 9.0, slope: 1.6 },
        Curve { floor: 0.5, ceiling: 0.9, midpoint: 8.8, slope: 1.2 },
        Curve { floor: 0.25, ceiling: 0.9, midpoint: 9.4, slope: 2.0 },
    ];
    // sizes from 10M to 160B: both plateaus are seen, so every parameter is identified
    let sizes: Vec<f64> = (0..9).map(|i| 10f64.powf(7.0 + 0.53 * i as f64)).collect();
    let ds = common::synthetic(&truth, &sizes, 5000, 9);
    let data = FitData::build(&ds.select(&Selection::default()).unwrap(), XAxis::Params, None).unwrap();
    let maps = fit_independent(&ModelSpec::builtin("independent").unwrap(), &data, 1, 4000).unwrap();
    let map_post = posterior_from_task_maps(&maps);

    let model = CurveModel::new(ModelSpec::builtin("reference").unwrap(), data).unwrap();
    let opts = NutsOptions { chains: 2, warmup: 400, draws: 500, ..NutsOptions::default() };
    let nuts = fit_nuts(model, &opts, &(), &AtomicBool::new(false)).unwrap();
    for t in 0..3 {
        let target = Target { task: t, items: Some(5000) };
        let a = summarise("t", 1.0, &predictive(&map_post, &target, 11.5, 1), None);
        let b = summarise("t", 1.0, &predictive(&nuts.posterior, &target, 11.5, 1), None);
        assert!((a.median - b.median).abs() < 0.01, "task {t}: MAP {a:?} vs NUTS {b:?}");
        assert!((a.hi80 - a.lo80) / (b.hi80 - b.lo80) < 1.6 && (b.hi80 - b.lo80) / (a.hi80 - a.lo80) < 1.6);
    }
}

/// A group's picture: the observed means where every task was measured, their intervals as for
/// independent scores, the mean curve, and where it is half-way from floor to ceiling.
#[test]
fn a_group_panel_averages_its_tasks() {
    let late = Curve { midpoint: 10.5, ..C };
    let post = tasks_posterior(&[C, late], 0.0, 20);
    let pt = |x, score, half| ObservedPoint { x, score, lo: score - half, hi: score + half, heldout: false };
    let a = TaskPanel::new(&post, 0, 0.25, vec![pt(9.0, 0.3, 0.02), pt(10.0, 0.5, 0.02)], (8.0, 12.0), &[], 1);
    let b = TaskPanel::new(&post, 1, 0.25, vec![pt(9.0, 0.26, 0.04), pt(11.0, 0.6, 0.03)], (8.0, 12.0), &[], 1);
    let g = group(&[0, 1], &[0.25, 0.75], None);
    let p = TaskPanel::for_group(&post, &g, &[&a, &b], &[11.5], 1);
    // only x = 9 is measured in both
    assert_eq!(p.points.len(), 1);
    assert!((p.points[0].score - (0.25 * 0.3 + 0.75 * 0.26)).abs() < 1e-12);
    let half_width = ((0.25f64 * 0.02).powi(2) + (0.75f64 * 0.04).powi(2)).sqrt();
    assert!((p.points[0].hi - p.points[0].score - half_width).abs() < 1e-12);
    let mean = |x: f64| 0.25 * C.value(x) + 0.75 * late.value(x);
    for (x, m) in p.grid.iter().zip(&p.median) {
        assert!((m - mean(*x)).abs() < 1e-12);
    }
    assert_eq!((p.forecasts.len(), p.chance), (1, 0.25));
    assert!((mean(p.midpoint) - 0.5 * (0.25 + 0.85)).abs() < 1e-9, "{}", p.midpoint);
}

/// FitData of one task "t" observed by `models` at `obs` = (model index, x, correct, n).
fn observed(models: &[&str], obs: &[(usize, f64, u64, u64)]) -> FitData {
    FitData {
        series: vec!["t".into()],
        chance: vec![0.25],
        models: models.iter().map(|m| m.to_string()).collect(),
        task: vec![0; obs.len()],
        model: obs.iter().map(|o| o.0).collect(),
        x: obs.iter().map(|o| o.1).collect(),
        y: obs.iter().map(|o| o.2).collect(),
        n: obs.iter().map(|o| o.3).collect(),
        score: obs.iter().map(|o| o.2 as f64 / o.3 as f64).collect(),
        x_axis: XAxis::Params,
    }
}

/// The predictive check flags a score far from its curve, and only that one, with an interval
/// around the curve's value; the same seed gives the same check.
#[test]
fn predictive_check_flags_a_score_off_its_curve() {
    let post = point_posterior(C, Some(1e7), 400);
    let on_curve = |x: f64| (1000.0 * C.value(x)).round() as u64;
    let data = observed(
        &["a", "b", "c", "d"],
        &[
            (0, 8.0, on_curve(8.0), 1000),
            (1, 9.0, on_curve(9.0), 1000),
            (2, 10.0, on_curve(10.0), 1000),
            (3, 11.0, 600, 1000),
        ],
    );
    let check = predictive_check(&post, &data, CHECK_LEVEL, 5);
    assert_eq!((check.scores, check.repeats, check.outside.len()), (4, 400, 1), "{check:?}");
    let o = &check.outside[0];
    assert_eq!((o.task.as_str(), o.model.as_str(), o.x), ("t", "d", 11.0));
    // binomial sd at p ≈ 0.82 and n = 1000 is 0.012: the 99% interval is about ±0.03
    let v = C.value(11.0);
    assert!(o.lo < v && v < o.hi && o.hi - o.lo < 0.08 && o.lo > 0.6, "{o:?}");
    assert!(o.p < 0.001 && !check.too_many(), "{check:?}");
    assert!((check.expected - 0.04).abs() < 1e-12);
    assert_eq!(format!("{:?}", predictive_check(&post, &data, CHECK_LEVEL, 5)), format!("{check:?}"));
}

/// The curve [`C`] without spread (φ = 10^7, so the counts are binomial), and every possible
/// count of a 20-item task at its midpoint (p = 0.55), each from a model of its own.
fn every_count_of_twenty() -> (Posterior, FitData) {
    let names: Vec<String> = (0..=20).map(|k| format!("m{k}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let obs: Vec<(usize, f64, u64, u64)> = (0..=20).map(|k| (k as usize, 9.5, k, 20)).collect();
    (point_posterior(C, Some(1e7), 1000), observed(&refs, &obs))
}

/// A flagged score lies outside the interval printed beside it. With few items the counts are
/// coarse: a count in the far tail by its mid-p can still be the 99.5% quantile of the repeats,
/// and an interval of quantiles would then end at the very score it flags.
#[test]
fn a_flagged_count_lies_outside_its_interval() {
    let (post, data) = every_count_of_twenty();
    for seed in 1..=20 {
        let check = predictive_check(&post, &data, CHECK_LEVEL, seed);
        let (mut low, mut high) = (0, 0);
        for o in &check.outside {
            assert!(o.observed < o.lo || o.observed > o.hi, "seed {seed}: {o:?}");
            assert!(o.lo <= o.hi && o.lo > 0.1 && o.hi < 0.95, "seed {seed}: {o:?}");
            if o.observed < o.lo { low += 1 } else { high += 1 }
        }
        // binomial(20, 0.55): the two-sided mid-p is below 0.01 for 0–5 and 17–20 (of them 5
        // and 17 are near the line, at 0.008 and 0.006, and the repeats are 1000 draws)
        assert!((5..=6).contains(&low) && (3..=4).contains(&high), "seed {seed}: {check:?}");
    }
}

/// A score whose two-sided p is exactly 1 − level (10 of 1000 repeats) is on the interval's
/// edge, not outside it: 1 − 0.99 in doubles is a hair above 0.01.
#[test]
fn a_p_of_exactly_one_minus_the_level_passes() {
    let (post, data) = every_count_of_twenty();
    let mut seen = 0;
    for seed in 1..=200 {
        let check = predictive_check(&post, &data, CHECK_LEVEL, seed);
        assert!(check.outside.iter().all(|o| o.p < 0.01), "seed {seed}: {check:?}");
        // the same check at a level that puts the line just above those p's flags them
        let wider = predictive_check(&post, &data, 0.989, seed);
        seen += wider.outside.iter().filter(|o| o.p == 0.01).count();
    }
    assert!(seen > 0, "no p of exactly 0.01 in 200 seeds: the test needs other seeds");
}

/// With a per-model effect, each score is checked against its own model's fitted luck: a lucky
/// model's high score is no misfit, while the same score from an unlucky model is.
#[test]
fn predictive_check_uses_each_models_own_luck() {
    let names: Vec<String> =
        ["floor.1", "ceiling.1", "midpoint.1", "slope.1", "phi", "model_logit_sd", "model_logit.1", "model_logit.2"]
            .map(String::from)
            .to_vec();
    let row = vec![C.floor, C.ceiling, C.midpoint, C.slope, 1e7, 0.5, 0.6, -0.6];
    let post = Posterior::new(
        names,
        vec![vec![row; 400]],
        Vec::new(),
        vec!["t".into()],
        vec!["lucky".into(), "unlucky".into()],
    )
    .unwrap();
    // the curve's value at 10 is 0.71; the lucky model's, 0.6 logits up, 0.82
    let lucky = scurve::special::logistic(scurve::special::logit(C.value(10.0)) + 0.6);
    let y = (1000.0 * lucky).round() as u64;
    let data = observed(&["lucky", "unlucky"], &[(0, 10.0, y, 1000), (1, 10.0, y, 1000)]);
    let check = predictive_check(&post, &data, CHECK_LEVEL, 1);
    assert_eq!(check.outside.len(), 1, "{check:?}");
    assert_eq!(check.outside[0].model, "unlucky");
}

/// A forecast below what the largest fitted model scored, on a curve that has all but reached its
/// ceiling there, is named; a forecast near that score, a curve still rising, a task that hardly
/// rose, a size inside the fit and a score without a count are not.
#[test]
fn a_curve_flattened_below_its_largest_score_is_named() {
    // 99% of its rise reached at x = 10 (lambada-like: a fast rise to a ceiling of 0.70)
    let flat = Curve { floor: 0.0, ceiling: 0.70, midpoint: 8.0, slope: 2.3 };
    assert!((flat.value(10.0) - flat.floor) / (flat.ceiling - flat.floor) > 0.99);
    let post = point_posterior(flat, Some(1e5), 200);
    let data = |last: u64, n: u64| {
        observed(&["a", "b", "c"], &[(0, 8.0, n * 35 / 100, n), (1, 9.0, n * 6 / 10, n), (2, 10.0, last, n)])
    };
    // the model at x = 10 scored 0.74 of 5000 items (standard error 0.006); the forecast at
    // 10.5 is the curve's 0.70
    let median = summarise("t", 3e10, &predictive(&post, &Target { task: 0, items: Some(5000) }, 10.5, 1), None).median;
    assert!((median - 0.70).abs() < 0.01, "{median}");
    let f = flattened(&post, &data(3700, 5000), 0, 10.5, median).expect("0.74 is far above the forecast");
    assert_eq!((f.task.as_str(), f.model.as_str(), f.largest_x, f.x), ("t", "c", 10.0, 10.5));
    assert!((f.observed - 0.74).abs() < 1e-12 && (f.ceiling - 0.70).abs() < 1e-12 && f.share > 0.99, "{f:?}");
    let words = f.describe(|v| format!("10^{:.1}", v.log10()));
    assert!(
        words.starts_with("t: c (10^10.0) scored 0.740, where the fitted curve has reached 99% of its rise"),
        "{words}"
    );
    assert!(words.contains(&format!("the forecast at 10^10.5 ({median:.3}) is more than two")), "{words}");
    // within two standard errors of the forecast: not named
    assert!(flattened(&post, &data(3530, 5000), 0, 10.5, median).is_none());
    // a forecast inside the fit, and a score without a count
    assert!(flattened(&post, &data(3700, 5000), 0, 9.5, median).is_none());
    let mut scores = data(3700, 5000);
    scores.n[2] = 0;
    assert!(flattened(&post, &scores, 0, 10.5, median).is_none());
    // a curve still rising at x = 10 (half its rise), and one that rose by under 0.1
    let rising = point_posterior(Curve { midpoint: 10.0, ..flat }, Some(1e5), 200);
    assert!(flattened(&rising, &data(3700, 5000), 0, 10.5, 0.45).is_none());
    let low = point_posterior(Curve { floor: 0.62, ..flat }, Some(1e5), 200);
    assert!(flattened(&low, &data(3700, 5000), 0, 10.5, median).is_none());
    // the line is SATURATED of the rise, at the largest fitted size
    let at_share = |share: f64| {
        let midpoint = 10.0 - (share / (1.0 - share)).ln() / flat.slope;
        point_posterior(Curve { midpoint, ..flat }, Some(1e5), 200)
    };
    assert!(flattened(&at_share(SATURATED - 0.01), &data(3700, 5000), 0, 10.5, median).is_none());
    assert!(flattened(&at_share(SATURATED + 0.01), &data(3700, 5000), 0, 10.5, median).is_some());
    // over rows of one task at two sizes (one given as ten times its largest): named once, at the
    // first that shows it
    let at = ForecastAt {
        at: vec![At::Amount { amount: 10f64.powf(10.5), x: 10.5 }, At::Times(10.0)],
        largest_x: vec![10.0],
    };
    let jobs = at.jobs(&[0]);
    assert_eq!((jobs[1].x, jobs[1].amount, jobs[1].times), (11.0, 1e11, Some(10.0)));
    let rows: Vec<_> = forecast_rows(&post, &[Some(5000)], &jobs, None, 1).into_iter().map(|(r, _)| r).collect();
    assert_eq!((rows[0].times, rows[1].times), (None, Some(10.0)));
    let named = flattened_rows(&post, &data(3700, 5000), &jobs, &rows);
    assert_eq!(named.len(), 1);
    assert_eq!(named[0].x, 10.5);
    // what a threshold rests on: the forecast at three times the largest fitted size
    let past = flattened_past_fit(&post, &data(3700, 5000), Some(5000), 0, 1).expect("named past the fit");
    assert!((past.x - (10.0 + 3f64.log10())).abs() < 1e-12 && (past.forecast - 0.70).abs() < 0.01, "{past:?}");
    assert!(flattened_past_fit(&post, &data(3530, 5000), Some(5000), 0, 1).is_none());
}
