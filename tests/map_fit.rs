//! The per-task MAP fit: gradients on real data, recovery of known curves, the example.

mod common;

use std::collections::HashMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::Distribution;
use scurve::curve::Curve;
use scurve::data::harness::HarnessOptions;
use scurve::data::{Dataset, FitData, Selection, XAxis};
use scurve::density::{LogDensity, gradient_error};
use scurve::fit::fit_independent;
use scurve::model::{CurveModel, Pin, Slot};
use scurve::simulate::{SimDesign, simulate};
use scurve::spec::ModelSpec;

fn opt_data() -> FitData {
    let ds = Dataset::load(&common::shared("data/tidy/opt-0shot.csv"), &HarnessOptions::default()).unwrap();
    let series = ds.select(&Selection::default()).unwrap();
    FitData::build(&series, XAxis::Params, Some(13e9)).unwrap()
}

/// One standard normal draw.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    <rand_distr::StandardNormal as Distribution<f64>>::sample(&rand_distr::StandardNormal, rng)
}

/// A point with coordinates Normal(0, 0.5²): away from the mode, where every term matters.
fn random_position(dim: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    (0..dim).map(|_| 0.5 * normal(rng)).collect()
}

#[test]
fn gradients_match_finite_differences_on_real_data() {
    let data = opt_data();
    for name in ["independent", "reference", "hierarchical", "no_model_effect", "model_effect", "dispersion"] {
        let spec = ModelSpec::builtin(name).unwrap();
        let model = CurveModel::new(spec, data.clone()).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        for _ in 0..3 {
            let x = random_position(model.dim(), &mut rng);
            // relative error against central differences; the log density is ~1e4 in size, so
            // differences carry ~1e-7 of rounding and ~h² of truncation
            let err = gradient_error(&model, &x, 1e-4);
            assert!(err < 1e-5, "{name}: relative gradient error {err}");
        }
    }
}

/// Pins of every kind per task and parameter (none, weak, strong), deterministic but uneven.
fn some_pins(model: &CurveModel) -> Vec<Pin> {
    (0..model.pins().len())
        .map(|i| Pin { precision: [0.0, 3.0, 40.0, 0.5, 100.0][i % 5], centre: [0.3, -1.0, 0.5, 0.2, -0.4][i % 5] })
        .collect()
}

#[test]
fn pinned_gradients_match_finite_differences() {
    let data = opt_data();
    for name in ["reference", "model_effect", "hierarchical", "dispersion"] {
        let mut model = CurveModel::new(ModelSpec::builtin(name).unwrap(), data.clone()).unwrap();
        model.set_pins(some_pins(&model));
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for _ in 0..3 {
            let x = random_position(model.dim(), &mut rng);
            // pinned parameters bend the density in the log scales: a smaller step than elsewhere
            let err = gradient_error(&model, &x, 1e-5);
            assert!(err < 1e-5, "{name}: relative gradient error {err}");
        }
    }
}

/// A shear of every midpoint along its ceiling and slope (κ uneven over tasks, some 0), on top
/// of uneven pins: the chain rule through ln(g)/s reaches the ceilings and slopes.
#[test]
fn sheared_gradients_match_finite_differences() {
    let data = opt_data();
    for name in ["reference", "model_effect", "hierarchical", "dispersion"] {
        let mut model = CurveModel::new(ModelSpec::builtin(name).unwrap(), data.clone()).unwrap();
        model.set_pins(some_pins(&model));
        let t_n = model.layout.n_tasks;
        model.set_shear((0..t_n).map(|t| [0.0, 1.0, 0.4, 0.8][t % 4]).collect());
        let mut rng = ChaCha8Rng::seed_from_u64(19);
        for _ in 0..3 {
            let x = random_position(model.dim(), &mut rng);
            let err = gradient_error(&model, &x, 1e-5);
            assert!(err < 1e-5, "{name}: relative gradient error {err}");
        }
    }
}

/// The likelihood runs a task's observations in batches of eight: a ladder of 13 sizes takes two
/// batches per task, the second partly filled.
#[test]
fn gradients_match_finite_differences_across_likelihood_batches() {
    let sizes: Vec<f64> = (0..13).map(|i| 10f64.powf(7.5 + 0.25 * i as f64)).collect();
    for name in ["reference", "model_effect", "hierarchical", "dispersion"] {
        let spec = ModelSpec::builtin(name).unwrap();
        let design = SimDesign { tasks: 5, sizes: sizes.clone(), items: 800, chance: 0.25, fixed: HashMap::new() };
        let sim = simulate(&spec, &design, 4).unwrap();
        assert_eq!(sim.data.len(), 5 * 13);
        let mut model = CurveModel::new(spec, sim.data).unwrap();
        model.set_pins(some_pins(&model));
        let mut rng = ChaCha8Rng::seed_from_u64(13);
        for x in [sim.position.clone(), random_position(model.dim(), &mut rng)] {
            let err = gradient_error(&model, &x, 1e-5);
            assert!(err < 1e-5, "{name}: relative gradient error {err}");
        }
    }
}

/// The beta-binomial likelihood runs over all observations at once (a vectorised exponential
/// and lnΓ/ψ), and so does the logit-normal one of scores without item counts, alone or beside
/// counts; taken one observation at a time each must give the same density and gradient.
#[test]
fn batched_likelihood_matches_the_per_observation_one() {
    let counts = opt_data();
    // the same scores without their item counts
    let mut scores = counts.clone();
    scores.n.iter_mut().for_each(|n| *n = 0);
    scores.y.iter_mut().for_each(|y| *y = 0);
    // and every other observation a score, as a leaderboard's table mixes them
    let mut mixed = counts.clone();
    for i in (0..mixed.len()).step_by(2) {
        (mixed.n[i], mixed.y[i]) = (0, 0);
    }
    // a ladder with a hole (one task without its largest model): taken task by task, where the
    // complete ones are taken model by model
    let ragged = |data: &FitData| {
        let mut d = data.clone();
        let i = (0..d.len()).rev().find(|&i| d.task[i] == 3).unwrap();
        d.task.remove(i);
        d.model.remove(i);
        d.x.remove(i);
        d.y.remove(i);
        d.n.remove(i);
        d.score.remove(i);
        d
    };
    let (ragged_counts, ragged_mixed) = (ragged(&counts), ragged(&mixed));
    // a complete ladder where one task's item count differs between models (its lnΓ(n + φ)
    // are then looked up per observation, not one row for all)
    let mut uneven = counts.clone();
    uneven.n[0] += 10;
    let cases = [
        ("reference", &counts),
        ("model_effect", &counts),
        ("hierarchical", &counts),
        ("dispersion", &counts),
        ("no_model_effect", &scores),
        ("model_effect", &scores),
        ("hierarchical", &scores),
        ("no_model_effect", &mixed),
        ("model_effect", &mixed),
        ("hierarchical", &mixed),
        ("model_effect", &ragged_counts),
        ("hierarchical", &ragged_counts),
        ("dispersion", &ragged_counts),
        ("hierarchical", &ragged_mixed),
        ("hierarchical", &uneven),
    ];
    // a dispersion of the counts beside scores is taken one observation at a time
    let dispersed = CurveModel::new(ModelSpec::builtin("dispersion").unwrap(), mixed.clone()).unwrap();
    assert!(!dispersed.is_batched());
    for (name, data) in cases {
        let mut model = CurveModel::new(ModelSpec::builtin(name).unwrap(), data.clone()).unwrap();
        assert!(model.is_batched(), "{name}");
        assert_eq!(model.is_batched_by_model(), data.len() == counts.len(), "{name}");
        model.set_pins(some_pins(&model));
        let mut rng = ChaCha8Rng::seed_from_u64(17);
        let mode = scurve::fit::pooled_start(&model, 1, 3000).unwrap().position;
        for x in [mode, random_position(model.dim(), &mut rng), random_position(model.dim(), &mut rng)] {
            let (mut g1, mut g2) = (vec![0.0; model.dim()], vec![0.0; model.dim()]);
            let lp1 = model.logp_grad(&x, &mut g1).unwrap();
            let lp2 = model.logp_grad_per_observation(&x, &mut g2).unwrap();
            assert!((lp1 - lp2).abs() <= 1e-12 * lp2.abs(), "{name}: {lp1} vs {lp2}");
            for (i, (a, b)) in g1.iter().zip(&g2).enumerate() {
                assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{name}: gradient {i}: {a} vs {b}");
            }
        }
    }
}

/// The pilot's pins: h = 1/v − 1/τ̄² with v the variance of θ given the task's other
/// parameters, the centre the mean of θ, kept only from τ̄²·h = 1 up. Draws with every
/// population value fixed (location 0, scale 1, so θ = z and 1/τ̄² = 1): task 0 has ceiling and
/// midpoint tied (each sd 0.9 alone, 0.01 given the other: h ≈ 10⁴), task 1 a floor of sd 0.4
/// around 0.7 (h = 5.25), task 2 a floor of sd 0.8 (h = 0.56, below the cut), task 3 a slope of
/// sd 0.1 (h = 99, but slopes stay unpinned), the rest sd 1 (h ≈ 0).
#[test]
fn pins_use_the_conditional_precision_and_leave_weak_parameters_unpinned() {
    let model = CurveModel::new(ModelSpec::builtin("reference").unwrap(), opt_data()).unwrap();
    let l = &model.layout;
    let t_n = l.n_tasks;
    let mut rng = ChaCha8Rng::seed_from_u64(21);
    let mut normal = || normal(&mut rng);
    let draws: Vec<Vec<f64>> = (0..4000)
        .map(|_| {
            let mut x = vec![0.0; l.dim];
            for z in &mut x[l.z_start..l.z_start + 4 * t_n] {
                *z = normal();
            }
            let w = 0.9 * normal();
            x[l.z_start + t_n] = w;
            x[l.z_start + 2 * t_n] = w + 0.01 * normal();
            x[l.z_start + 1] = 0.7 + 0.4 * normal();
            x[l.z_start + 2] = 0.8 * normal();
            x[l.z_start + 3 * t_n + 3] = 0.1 * normal();
            x
        })
        .collect();
    // the population slots hold location 0 and log scale 0 in every draw: τ = 1 exactly
    for k in 0..4 {
        for slot in [l.location[k], l.log_scale[k]] {
            if let scurve::model::Slot::Free(i) = slot {
                assert!(draws.iter().all(|x| x[i] == 0.0));
            }
        }
    }
    let pins = model.pins_from_draws(draws.iter().map(Vec::as_slice), &vec![0.0; t_n]);
    let at = |k: usize, t: usize| pins[k * t_n + t];
    for k in [1, 2] {
        assert!((at(k, 0).precision / 1e4 - 1.0).abs() < 0.1, "tied ceiling and midpoint: {:?}", at(k, 0));
    }
    assert!((at(0, 1).precision - 5.25).abs() < 0.4, "floor of sd 0.4: {:?}", at(0, 1));
    assert!((at(0, 1).centre - 0.7).abs() < 0.03, "floor around 0.7: {:?}", at(0, 1));
    assert_eq!(at(0, 2), Pin::default(), "floor of sd 0.8 gives h ≈ 0.56, below the cut");
    assert_eq!(at(3, 3), Pin::default(), "a slope is never pinned");
    let pinned = [t_n, 2 * t_n, 1];
    assert!(pins.iter().enumerate().filter(|&(i, _)| !pinned.contains(&i)).all(|(_, p)| *p == Pin::default()));
}

/// The guess that starts the pilot: τ²·h = −∂² log p / ∂z² − 1 in the unpinned coordinates.
/// The method perturbs every task's z at once; here each coordinate alone, by second
/// differences of the log density itself. The guess does not depend on the pins the model is
/// in, keeps the cut at τ²·h = 1 and leaves slopes unpinned.
#[test]
fn pins_from_curvature_match_second_differences_one_coordinate_at_a_time() {
    let model = CurveModel::new(ModelSpec::builtin("reference").unwrap(), opt_data()).unwrap();
    let l = &model.layout;
    let t_n = l.n_tasks;
    let x = scurve::fit::pooled_start(&model, 1, 3000).unwrap().position;
    let pins = model.pins_from_curvature(&x);
    let (thetas, scale) = model.thetas(&x);
    let mut g = vec![0.0; l.dim];
    let mut lp = |x: &[f64]| model.logp_grad(x, &mut g).unwrap();
    let step = 1e-3;
    let (mut checked, mut pinned, mut left) = (0, 0, 0);
    for k in 0..3 {
        for t in (0..t_n).step_by(3) {
            let i = l.z_start + k * t_n + t;
            let (mut up, mut down) = (x.clone(), x.clone());
            up[i] += step;
            down[i] -= step;
            let tau_sq_h = -(lp(&up) - 2.0 * lp(&x) + lp(&down)) / (step * step) - 1.0;
            let got = pins[k * t_n + t];
            if (tau_sq_h - 1.0).abs() < 0.02 {
                continue;
            }
            if tau_sq_h < 1.0 {
                assert_eq!(got, Pin::default(), "task {t}, parameter {k}: τ²h = {tau_sq_h} is below the cut");
                left += 1;
            } else {
                let expected = tau_sq_h / (scale[k] * scale[k]);
                assert!(
                    (got.precision / expected - 1.0).abs() < 1e-3,
                    "task {t}, parameter {k}: {} vs {expected}",
                    got.precision
                );
                assert_eq!(got.centre, thetas[t][k]);
                pinned += 1;
            }
            checked += 1;
        }
    }
    assert!(checked > 45 && pinned > 10 && left > 3, "{checked} checked, {pinned} pinned, {left} left");
    assert!(pins[3 * t_n..].iter().all(|p| *p == Pin::default()), "slopes stay unpinned");
    // the same guess from a model already pinned, at the same point in its coordinates
    let mut other = model.clone();
    other.set_pins(pins.clone());
    let again = other.pins_from_curvature(&model.repinned(&pins, &x));
    for (a, b) in pins.iter().zip(&again) {
        assert!((a.precision - b.precision).abs() <= 1e-6 * a.precision.max(1.0), "{a:?} vs {b:?}");
        assert!((a.centre - b.centre).abs() < 1e-9, "{a:?} vs {b:?}");
    }
}

/// Re-pinning moves the sampler's coordinates, not the point: the constrained values are the
/// same, and the log density changes only by the Jacobian, Σ ½·ln r over the pinned
/// parameters (r = 1 / (1 + τ²h)).
#[test]
fn repinning_keeps_the_point_and_shifts_the_density_by_its_jacobian() {
    let model = CurveModel::new(ModelSpec::builtin("model_effect").unwrap(), opt_data()).unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let x = random_position(model.dim(), &mut rng);
    let pins = some_pins(&model);
    let y = model.repinned(&pins, &x);
    let mut pinned = model.clone();
    pinned.set_pins(pins.clone());
    let (before, after) = (model.constrained_vector(&x), pinned.constrained_vector(&y));
    for (a, b) in before.iter().zip(&after) {
        assert!((a - b).abs() <= 1e-10 * a.abs().max(1.0), "{a} became {b}");
    }
    // and back again
    let back = pinned.repinned(&vec![Pin::default(); pins.len()], &y);
    for (a, b) in x.iter().zip(&back) {
        assert!((a - b).abs() < 1e-10, "{a} came back as {b}");
    }
    let mut g = vec![0.0; model.dim()];
    let lp_x = model.logp_grad(&x, &mut g).unwrap();
    let lp_y = pinned.logp_grad(&y, &mut g).unwrap();
    let (_, scale) = model.thetas(&x);
    let t_n = pins.len() / 4;
    let jacobian: f64 =
        pins.iter().enumerate().map(|(i, p)| -0.5 * (1.0 + scale[i / t_n].powi(2) * p.precision).ln()).sum();
    assert!((lp_y - lp_x - jacobian).abs() < 1e-8 * lp_x.abs(), "{lp_x} → {lp_y}, Jacobian {jacobian}");
}

/// A shear moves the sampler's midpoints, not the point, and has a unit Jacobian: with pins
/// as well, the density changes by the pins' Jacobian alone.
#[test]
fn shearing_keeps_the_point_and_the_density() {
    let model = CurveModel::new(ModelSpec::builtin("model_effect").unwrap(), opt_data()).unwrap();
    let t_n = model.layout.n_tasks;
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let x = random_position(model.dim(), &mut rng);
    let pins = some_pins(&model);
    let shear: Vec<f64> = (0..t_n).map(|t| [0.3, 0.0, 1.0][t % 3]).collect();
    let y = model.recoordinated(&pins, &shear, &x);
    let mut moved = model.clone();
    moved.set_pins(pins.clone());
    moved.set_shear(shear.clone());
    assert!(
        y[model.layout.z_start + 2 * t_n..model.layout.z_start + 3 * t_n]
            != x[model.layout.z_start + 2 * t_n..model.layout.z_start + 3 * t_n]
    );
    for (a, b) in model.constrained_vector(&x).iter().zip(&moved.constrained_vector(&y)) {
        assert!((a - b).abs() <= 1e-10 * a.abs().max(1.0), "{a} became {b}");
    }
    let back = moved.recoordinated(&vec![Pin::default(); pins.len()], &vec![0.0; t_n], &y);
    for (a, b) in x.iter().zip(&back) {
        assert!((a - b).abs() < 1e-10, "{a} came back as {b}");
    }
    let mut g = vec![0.0; model.dim()];
    let lp_x = model.logp_grad(&x, &mut g).unwrap();
    let lp_y = moved.logp_grad(&y, &mut g).unwrap();
    let mut pinned_only = model.clone();
    pinned_only.set_pins(pins.clone());
    let lp_p = pinned_only.logp_grad(&model.repinned(&pins, &x), &mut g).unwrap();
    assert!((lp_y - lp_p).abs() < 1e-8 * lp_x.abs(), "sheared {lp_y}, pinned only {lp_p}");
    assert!((lp_y - lp_x).abs() > 1e-6, "the pins' Jacobian shows");
}

/// κ is the regression of the midpoint on ln(g)/s over the draws, kept to [0, 1].
#[test]
fn shear_follows_the_midpoints_dependence_on_ceiling_and_slope() {
    let model = CurveModel::new(ModelSpec::builtin("reference").unwrap(), opt_data()).unwrap();
    let l = &model.layout;
    let t_n = l.n_tasks;
    let mut rng = ChaCha8Rng::seed_from_u64(23);
    let mut normal = || normal(&mut rng);
    // locations 0 and scales 1: each θ is its z
    let draws: Vec<Vec<f64>> = (0..2000)
        .map(|_| {
            let mut x = vec![0.0; l.dim];
            for t in 0..t_n {
                let (c, s) = (normal(), 0.3 * normal());
                let lever = (1.0 / (1.0 + (-c).exp())).ln() / s.exp();
                let m = match t % 3 {
                    0 => 1.0 + 0.6 * lever + 0.01 * normal(),
                    1 => normal(),
                    _ => -0.5 * lever,
                };
                x[l.z_start + t_n + t] = c;
                x[l.z_start + 2 * t_n + t] = m;
                x[l.z_start + 3 * t_n + t] = s;
            }
            x
        })
        .collect();
    let kappa = model.shear_from_draws(draws.iter().map(Vec::as_slice));
    for (t, k) in kappa.iter().enumerate() {
        match t % 3 {
            0 => assert!((k - 0.6).abs() < 0.01, "task {t}: {k}"),
            1 => assert!(*k < 0.1, "task {t}: {k}"),
            _ => assert_eq!(*k, 0.0, "task {t}"),
        }
    }
    // together (floors drawn too, so that each task's covariance can be inverted), the shear
    // stays while some midpoint is pinned: those tied to ln(g)/s, sheared or not...
    let mut fitted = draws.clone();
    for x in &mut fitted {
        for t in 0..t_n {
            x[l.z_start + t] = normal();
        }
    }
    let kappa = model.shear_from_draws(fitted.iter().map(Vec::as_slice));
    let (pins, shear) = model.pins_and_shear_from_draws(|| fitted.iter().map(Vec::as_slice));
    assert_eq!(shear, kappa);
    assert_eq!(pins, model.pins_from_draws(fitted.iter().map(Vec::as_slice), &kappa));
    let pinned: Vec<usize> = (0..t_n).filter(|&t| pins[2 * t_n + t].precision > 0.0).collect();
    assert_eq!(pinned, (0..t_n).filter(|t| t % 3 != 1).collect::<Vec<_>>());
    // ...and with no midpoint the data place (each as loose as the population's scale, half of
    // it along ln(g)/s), nothing is sheared, and the pins are those of unsheared coordinates
    let mut loose = fitted.clone();
    for x in &mut loose {
        for t in 0..t_n {
            let (c, s) = (x[l.z_start + t_n + t], x[l.z_start + 3 * t_n + t]);
            let lever = (1.0 / (1.0 + (-c).exp())).ln() / s.exp();
            x[l.z_start + 2 * t_n + t] = 0.5 * lever + normal();
        }
    }
    let sheared = model.shear_from_draws(loose.iter().map(Vec::as_slice));
    assert!(sheared.iter().all(|&k| k > 0.25), "alone, each would be sheared: {sheared:?}");
    let (pins, shear) = model.pins_and_shear_from_draws(|| loose.iter().map(Vec::as_slice));
    assert_eq!(shear, vec![0.0; t_n]);
    assert!(pins[2 * t_n..3 * t_n].iter().all(|p| p.precision == 0.0), "{pins:?}");
    assert_eq!(pins, model.pins_from_draws(loose.iter().map(Vec::as_slice), &shear));
}

#[test]
fn binomial_and_score_likelihoods_have_right_gradients() {
    let mut data = opt_data();
    // half the observations as scores only
    for i in (0..data.len()).step_by(2) {
        data.n[i] = 0;
        data.y[i] = 0;
    }
    // counts beside scores: the beta-binomial goes one observation at a time
    for name in ["model_effect", "hierarchical"] {
        for likelihood in [scurve::spec::Likelihood::Binomial, scurve::spec::Likelihood::BetaBinomial] {
            let mut spec = ModelSpec::builtin(name).unwrap();
            spec.likelihood = likelihood;
            let model = CurveModel::new(spec, data.clone()).unwrap();
            let mut x = vec![0.1; model.dim()];
            let err = gradient_error(&model, &x, 1e-4);
            assert!(err < 1e-5, "{name}, {likelihood:?}: relative gradient error {err}");
            // the scores' spread s near the least sd (0.02), where σ = √(0.02² + s²) bends
            let Some(Slot::Free(i)) = model.layout.log_sigma else { panic!("{name}: no free noise") };
            x[i] = (0.015f64).ln();
            let err = gradient_error(&model, &x, 1e-4);
            assert!(err < 1e-5, "{name}, {likelihood:?}, s 0.015: relative gradient error {err}");
        }
    }
}

/// Synthetic counts from known curves, then fit each task alone.
#[test]
fn map_recovers_known_curves() {
    let truths = [
        Curve { floor: 0.25, ceiling: 0.85, midpoint: 9.3, slope: 1.8 },
        Curve { floor: 0.5, ceiling: 0.9, midpoint: 8.8, slope: 1.2 },
        Curve { floor: 0.02, ceiling: 0.75, midpoint: 8.4, slope: 2.5 },
    ];
    let sizes: Vec<f64> = (0..9).map(|i| 10f64.powf(7.8 + 0.4 * i as f64)).collect();
    let ds = common::synthetic(&truths, &sizes, 5000, 42);
    let series = ds.select(&Selection::default()).unwrap();
    let data = FitData::build(&series, XAxis::Params, None).unwrap();
    let spec = ModelSpec::builtin("independent").unwrap();
    let fits = fit_independent(&spec, &data, 3, 2000).unwrap();
    for (f, truth) in fits.iter().zip(&truths) {
        assert!(f.map.converged, "{}", f.task);
        let s = f.summary();
        assert!(
            (f.curve.midpoint - truth.midpoint).abs() < 0.25,
            "{}: midpoint {} vs {}",
            f.task,
            f.curve.midpoint,
            truth.midpoint
        );
        assert!(
            (f.curve.ceiling - truth.ceiling).abs() < 0.05,
            "{}: ceiling {} vs {}",
            f.task,
            f.curve.ceiling,
            truth.ceiling
        );
        assert!((f.curve.floor - truth.floor).abs() < 0.05, "{}: floor {} vs {}", f.task, f.curve.floor, truth.floor);
        assert!(
            (f.curve.slope / truth.slope).ln().abs() < 0.3,
            "{}: slope {} vs {}",
            f.task,
            f.curve.slope,
            truth.slope
        );
        assert!(
            s.midpoint_log10.lo < truth.midpoint && truth.midpoint < s.midpoint_log10.hi,
            "{}: {:?}",
            f.task,
            s.midpoint_log10
        );
    }
}

#[test]
fn builtin_example_fits_with_every_task_converged() {
    let ds = Dataset::example();
    let series = ds.select(&Selection::default()).unwrap();
    let data = FitData::build(&series, XAxis::Params, None).unwrap();
    let fits = fit_independent(&ModelSpec::builtin("independent").unwrap(), &data, 1, 500).unwrap();
    assert_eq!(fits.len(), 16);
    for f in &fits {
        assert!(f.map.converged, "{} did not converge (max |grad| {})", f.task, f.map.grad_max);
    }
    // the flat task keeps its midpoint unidentified: a wide interval
    let logiqa = fits.iter().find(|f| f.task == "opt/logiqa").unwrap().summary();
    assert!(logiqa.midpoint_log10.hi - logiqa.midpoint_log10.lo > 1.5, "{:?}", logiqa.midpoint_log10);
}

#[test]
fn same_seed_same_laplace_draws() {
    let data = opt_data();
    let spec = ModelSpec::builtin("independent").unwrap();
    let a = fit_independent(&spec, &data, 11, 50).unwrap();
    let b = fit_independent(&spec, &data, 11, 50).unwrap();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.draws, y.draws);
    }
}

/// The dispersion's bound: beyond |ln d| = 5 the scaled counts' ln Γ terms would be lost to
/// rounding (a Pythia fit once fed on that noise), so the density is not finite there; inside
/// it, it is.
#[test]
fn a_dispersion_beyond_its_bound_is_not_finite() {
    let model = CurveModel::new(ModelSpec::builtin("dispersion").unwrap(), opt_data()).unwrap();
    let Some(scurve::model::Slot::Free(i)) = model.layout.log_disp else { panic!("the dispersion is free") };
    let mut x = vec![0.0; model.dim()];
    let mut g = vec![0.0; model.dim()];
    for (ln_d, finite) in [(-4.9, true), (4.9, true), (-5.1, false), (5.1, false), (-60.0, false)] {
        x[i] = ln_d;
        assert_eq!(model.logp_grad(&x, &mut g).is_ok(), finite, "ln d = {ln_d}");
    }
}
