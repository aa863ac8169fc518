//! Simulation-based calibration and parameter recovery.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use scurve::fit::fit_nuts;
use scurve::model::CurveModel;
use scurve::sample::NutsOptions;
use scurve::simulate::{SbcOptions, SimDesign, sbc, simulate};
use scurve::spec::ModelSpec;

fn design(tasks: usize) -> SimDesign {
    SimDesign {
        tasks,
        sizes: vec![70e6, 160e6, 410e6, 1e9, 1.4e9, 2.8e9, 6.9e9, 12e9],
        items: 1000,
        chance: 0.25,
        fixed: HashMap::new(),
    }
}

/// A small SBC in the normal test run: a broken sampler or gradient gives p-values far below
/// 1e-3 within 40 simulations. The larger run is `sbc_large` (ignored) and docs/sbc.md.
#[test]
fn sbc_small_reference_model() {
    let checks = small_sbc("reference", 11);
    assert_eq!(checks.len(), 8 + 8);
}

/// 40 simulations of 3 tasks under a built-in model, with the small SBC's bounds checked: every
/// rank histogram's p above 1e-3 and at most one parameter flagged.
fn small_sbc(model: &str, seed: u64) -> Vec<scurve::simulate::RankCheck> {
    let o = SbcOptions {
        sims: 40,
        design: design(3),
        nuts: NutsOptions { chains: 2, warmup: 300, draws: 300, extend: 0, ..NutsOptions::default() },
        draws: 50,
        bins: 5,
        tasks_checked: 2,
        seed,
    };
    let checks = sbc(&ModelSpec::builtin(model).unwrap(), &o, &AtomicBool::new(false), &|| {}).unwrap();
    for c in &checks {
        assert!(c.p_value > 1e-3, "{model}, {}: p = {} {:?}", c.parameter, c.p_value, c.histogram);
    }
    assert!(checks.iter().filter(|c| c.flagged).count() <= 1, "{model}");
    checks
}

/// The same small SBC for the per-model effect on the logit: its sd among the quantities
/// checked, with the floors it moves at chance.
#[test]
fn sbc_small_default_model() {
    let checks = small_sbc("hierarchical", 13);
    assert!(
        checks.iter().any(|c| c.parameter == "model_logit_sd"),
        "{:?}",
        checks.iter().map(|c| &c.parameter).collect::<Vec<_>>()
    );
}

/// Each model's luck on the logit, drawn large (sd 0.3) over 20 tasks: the fit finds its sd
/// and every model's own shift.
#[test]
fn logit_effect_is_recovered() {
    let spec = ModelSpec::builtin("hierarchical").unwrap();
    let mut d = design(20);
    for (k, v) in [("midpoint_location", 9.5), ("midpoint_scale", 1.0), ("phi", 2000.0), ("model_logit_sd", 0.3)] {
        d.fixed.insert(k.into(), v);
    }
    let sim = simulate(&spec, &d, 5).unwrap();
    let model = CurveModel::new(spec, sim.data.clone()).unwrap();
    let nuts = NutsOptions { chains: 2, warmup: 300, draws: 300, extend: 0, ..NutsOptions::default() };
    let fit = fit_nuts(model, &nuts, &(), &AtomicBool::new(false)).unwrap();
    let p = &fit.posterior;
    let col = |name: &str| p.column(name).unwrap_or_else(|| panic!("no column {name}"));
    let sd = p.interval90(col("model_logit_sd"));
    assert!(sd.lo < 0.3 && 0.3 < sd.hi && sd.lo > 0.1, "model_logit_sd 90% interval {sd:?}");
    // each model's shift: the posterior medians follow the true shifts (drawn at sd 0.3, so
    // a fit that ignored them would find none), most inside their 90% intervals
    let (mut truths, mut medians, mut inside) = (Vec::new(), Vec::new(), 0);
    for (j, (_, truth)) in sim.truth.iter().enumerate().filter(|(_, (n, _))| n.starts_with("model_logit.")) {
        let iv = p.interval90(j);
        inside += (iv.lo < *truth && *truth < iv.hi) as usize;
        truths.push(*truth);
        medians.push(iv.est);
    }
    let r = correlation(&truths, &medians);
    eprintln!("shifts {truths:.3?}\nmedians {medians:.3?}\nr = {r:.3}, {inside} inside");
    assert_eq!(truths.len(), 8);
    assert!(r > 0.9 && inside >= 6, "r = {r}, {inside} of 8 inside their 90% intervals");
}

/// Counts that vary less than a binomial (d = 0.4: the spread of 400 independent items among
/// 1,000) can only come from a dispersion below 1, since the concentration can only widen
/// them: the dispersion model finds it.
#[test]
fn dispersion_below_one_is_recovered() {
    let spec = ModelSpec::builtin("dispersion").unwrap();
    let mut d = design(24);
    let fixed = [
        ("midpoint_location", 9.5),
        ("midpoint_scale", 1.0),
        ("phi", 20000.0),
        ("dispersion", 0.4),
        ("model_logit_sd", 0.02),
    ];
    for (k, v) in fixed {
        d.fixed.insert(k.into(), v);
    }
    let sim = simulate(&spec, &d, 8).unwrap();
    let nuts = NutsOptions { chains: 2, warmup: 300, draws: 300, extend: 0, ..NutsOptions::default() };
    let fit = fit_nuts(CurveModel::new(spec, sim.data.clone()).unwrap(), &nuts, &(), &AtomicBool::new(false)).unwrap();
    let p = &fit.posterior;
    let disp = p.interval90(p.column("dispersion").unwrap());
    eprintln!("dispersion {disp:?}");
    assert!(disp.lo < 0.4 && 0.4 < disp.hi && disp.hi < 0.75, "dispersion 90% interval {disp:?}");
}

#[test]
#[ignore = "about 3 minutes on 2 cores: cargo test --release --test sbc -- --ignored"]
fn sbc_large_model_effect_model() {
    let o = SbcOptions {
        sims: 200,
        design: design(4),
        nuts: NutsOptions { chains: 2, warmup: 400, draws: 400, extend: 0, ..NutsOptions::default() },
        draws: 99,
        bins: 10,
        tasks_checked: 2,
        seed: 12,
    };
    let checks = sbc(&ModelSpec::builtin("model_effect").unwrap(), &o, &AtomicBool::new(false), &|| {}).unwrap();
    for c in &checks {
        eprintln!("{:<20} p {:.3} {:?}", c.parameter, c.p_value, c.histogram);
    }
    assert!(checks.iter().filter(|c| c.flagged).count() <= 1);
}

#[test]
fn simulate_is_repeatable_and_respects_fixed_values() {
    let spec = ModelSpec::builtin("hierarchical").unwrap();
    let mut d = design(5);
    d.fixed.insert("midpoint_location".into(), 9.5);
    let a = simulate(&spec, &d, 3).unwrap();
    let b = simulate(&spec, &d, 3).unwrap();
    assert_eq!(a.data.y, b.data.y);
    let mid = a.truth.iter().find(|(n, _)| n == "midpoint_location").unwrap().1;
    assert_eq!(mid, 9.5);
    assert_eq!(a.data.len(), 5 * 8);
    d.fixed.insert("nonsense".into(), 1.0);
    assert!(simulate(&spec, &d, 3).unwrap_err().to_string().contains("nonsense"));
}

/// 60 simulated tasks with known parameters: 90% intervals cover close to 90% of them.
#[test]
#[ignore = "about a minute: cargo test --release --test sbc -- --ignored"]
fn recovery_of_60_tasks() {
    let spec = ModelSpec::builtin("model_effect").unwrap();
    let mut d = design(60);
    // population values typical of real ladders, so the tasks rise inside the sizes
    for (k, v) in [("midpoint_location", 9.5), ("midpoint_scale", 1.0), ("phi", 2000.0), ("model_sd", 0.1)] {
        d.fixed.insert(k.into(), v);
    }
    let sim = simulate(&spec, &d, 21).unwrap();
    let model = CurveModel::new(spec, sim.data.clone()).unwrap();
    let fit = fit_nuts(model, &NutsOptions::default(), &(), &AtomicBool::new(false)).unwrap();
    let p = &fit.posterior;
    let (mut inside, mut total) = (0, 0);
    for (j, (name, truth)) in sim.truth.iter().enumerate() {
        if !["floor.", "ceiling.", "midpoint.", "slope."].iter().any(|s| name.starts_with(s)) {
            continue;
        }
        let iv = p.interval90(j);
        total += 1;
        inside += (iv.lo <= *truth && *truth <= iv.hi) as usize;
    }
    let coverage = inside as f64 / total as f64;
    eprintln!(
        "recovery: {inside} of {total} task parameters inside their 90% intervals ({coverage:.3}); {:?}",
        fit.diagnostics
    );
    assert!((0.84..=0.96).contains(&coverage), "coverage {coverage}");
}

fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// The density keeps |ln d| within its bound, so the simulator draws d from the prior within
/// it too: with a prior far wider than the bound, every simulation's d stays inside.
#[test]
fn simulated_dispersions_stay_within_the_bound() {
    let text = include_str!("../models/dispersion.toml").replace("normal = [0.0, 0.5]", "normal = [0.0, 5.0]");
    let spec = ModelSpec::parse(&text, "wide.toml").unwrap();
    let bound = scurve::counts::MAX_LOG_DISPERSION;
    let mut outside_prior = 0;
    for seed in 0..60 {
        let sim = simulate(&spec, &design(2), seed).unwrap();
        let d = sim.truth.iter().find(|(n, _)| n == "dispersion").unwrap().1;
        assert!(d.ln().abs() <= bound, "seed {seed}: d = {d}");
        // a draw of the prior itself falls outside about a third of the time (|z| > 1)
        outside_prior += usize::from(d.ln().abs() > 4.0);
    }
    assert!(outside_prior > 0, "the wide prior reaches near the bound");
}
