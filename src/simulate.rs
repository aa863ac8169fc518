//! Simulation from a model's generative process (population → tasks → per-model shifts →
//! counts), and simulation-based calibration (Talts et al. 2018): draw from the prior, simulate,
//! fit, and check that the rank of the truth among the posterior draws is uniform.

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;

use rand::{Rng, RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;
use rayon::prelude::*;
use serde::Serialize;

use crate::counts::Spread;
use crate::data::{FitData, XAxis};
use crate::error::{Error, Result};
use crate::fit::fit_nuts;
use crate::model::{CurveModel, Slot};
use crate::sample::NutsOptions;
use crate::spec::{ModelSpec, Prior};

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimDesign {
    pub tasks: usize,
    /// Model sizes (parameter counts), one evaluated model each.
    pub sizes: Vec<f64>,
    /// Items per task.
    pub items: u64,
    /// Chance level of every task.
    pub chance: f64,
    /// Constrained population values to hold fixed instead of drawing them (by column name:
    /// `midpoint_location`, `slope_scale`, `phi`, `model_sd`, ...).
    pub fixed: HashMap<String, f64>,
}

/// A simulated data set with the values that made it.
#[derive(Debug, Clone)]
pub struct Simulation {
    pub data: FitData,
    /// The true unconstrained position.
    pub position: Vec<f64>,
    /// The true constrained values, by the model's column names.
    pub truth: Vec<(String, f64)>,
}

fn draw_prior<R: Rng + ?Sized>(p: &Prior, rng: &mut R) -> f64 {
    match *p {
        Prior::Fixed(v) => v,
        Prior::Normal { mean, sd } => mean + sd * rng.sample::<f64, _>(StandardNormal),
        Prior::HalfNormal { sd } => (sd * rng.sample::<f64, _>(StandardNormal)).abs(),
    }
}

/// The evaluated models of a design: one per size, named by it (`model-1.4B`).
fn skeleton_models(d: &SimDesign) -> Vec<String> {
    d.sizes.iter().map(|s| format!("model-{}", crate::size::format_size(*s))).collect()
}

/// The data skeleton of a design: every task at every size, counts still zero.
fn skeleton(d: &SimDesign) -> FitData {
    let t = d.tasks;
    let m = d.sizes.len();
    let mut data = FitData::empty(XAxis::Params);
    data.series = (1..=t).map(|i| format!("task{i}")).collect();
    data.chance = vec![d.chance; t];
    data.models = skeleton_models(d);
    for i in 0..t {
        for j in 0..m {
            data.task.push(i);
            data.model.push(j);
            data.x.push(d.sizes[j].log10());
            data.y.push(0);
            data.n.push(d.items);
            data.score.push(0.0);
        }
    }
    data
}

/// Draw parameters from the model's priors (or the fixed values) and simulate counts.
pub fn simulate(spec: &ModelSpec, design: &SimDesign, seed: u64) -> Result<Simulation> {
    if design.tasks == 0 || design.sizes.len() < 3 || design.items == 0 {
        return Err(Error::Usage("simulate needs at least one task, three sizes and one item".into()));
    }
    // each size is one evaluated model, named by its size: a size given twice would be one
    // model with two sets of scores, which no data set may hold
    let names = skeleton_models(design);
    if let Some((i, name)) = names.iter().enumerate().find(|&(i, n)| names[..i].contains(n)) {
        let (a, b) = (design.sizes[names.iter().position(|n| n == name).unwrap_or(i)], design.sizes[i]);
        let given = match a == b {
            true => format!("the size {} twice", &name["model-".len()..]),
            false => format!("{a} and {b}, which name one model, {name},"),
        };
        return Err(Error::Usage(format!(
            "--sizes gives {given} and each size is one evaluated model: give each once"
        )));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let skel = CurveModel::new(spec.clone(), skeleton(design))?;
    let l = skel.layout.clone();
    let names = skel.constrained_names();
    for k in design.fixed.keys() {
        if !names.contains(k) || k.contains('.') {
            return Err(Error::Usage(format!(
                "cannot fix '{k}': the population values of this model are {}",
                names.iter().filter(|n| !n.contains('.')).cloned().collect::<Vec<_>>().join(", ")
            )));
        }
    }
    let mut x = vec![0.0; l.dim];
    let fixed = |n: &str| design.fixed.get(n).copied();
    for k in 0..4 {
        let p = crate::spec::CURVE_PARAMS[k];
        if let Slot::Free(i) = l.location[k] {
            x[i] = fixed(&format!("{p}_location")).unwrap_or_else(|| draw_prior(&spec.blocks[k].location, &mut rng));
        }
        if let Slot::Free(i) = l.log_scale[k] {
            let s = fixed(&format!("{p}_scale")).unwrap_or_else(|| draw_prior(&spec.blocks[k].scale, &mut rng));
            x[i] = s.max(1e-6).ln();
        }
    }
    if let Some(Slot::Free(i)) = l.log_phi {
        x[i] = fixed("phi").map(f64::ln).unwrap_or_else(|| draw_prior(&spec.concentration, &mut rng));
    }
    if let Some(Slot::Free(i)) = l.log_disp {
        // the density keeps |ln d| within its bound, so its prior is the one drawn within it
        let bound = crate::counts::MAX_LOG_DISPERSION;
        x[i] = match fixed("dispersion") {
            Some(d) => d.ln(),
            None => std::iter::repeat_with(|| draw_prior(&spec.dispersion, &mut rng))
                .find(|v| v.abs() <= bound)
                .unwrap_or(0.0),
        };
    }
    if let Some(Slot::Free(i)) = l.log_model_sd {
        let v = fixed(spec.model_effect_on.columns().0)
            .unwrap_or_else(|| draw_prior(&spec.model_effect_scale, &mut rng))
            .max(1e-6);
        x[i] = v.ln();
    }
    for v in &mut x[l.z_start..l.z_start + 4 * l.n_tasks] {
        *v = rng.sample(StandardNormal);
    }
    if let Some(w) = l.w_start {
        for v in &mut x[w..w + l.n_models] {
            *v = rng.sample(StandardNormal);
        }
    }
    let c = skel.constrain(&x);
    let mut data = skel.data.clone();
    for i in 0..data.len() {
        let curve = &c.curves[data.task[i]];
        let shift = c.model_shift[data.model[i]];
        let p = crate::model::value_with(curve, data.x[i], spec.model_effect_on, shift).clamp(1e-9, 1.0 - 1e-9);
        let spread = Spread { phi: c.phi, dispersion: c.dispersion.unwrap_or(1.0) };
        let y = crate::counts::draw(data.n[i], p, spread, &mut rng);
        data.y[i] = y;
        data.score[i] = y as f64 / data.n[i] as f64;
    }
    let model = CurveModel::new(spec.clone(), data.clone())?;
    let truth = names.into_iter().zip(model.constrained_vector(&x)).collect();
    Ok(Simulation { data, position: x, truth })
}

/// The rank statistics of one parameter over the simulations.
#[derive(Debug, Clone, Serialize)]
pub struct RankCheck {
    pub parameter: String,
    /// Rank of the truth among `draws` thinned posterior draws, per simulation (0..=draws).
    pub ranks: Vec<usize>,
    /// Counts in `bins` equal bins of rank.
    pub histogram: Vec<usize>,
    /// Chi-square test of a uniform histogram.
    pub chi2: f64,
    pub p_value: f64,
    /// Largest distance between the ECDF of rank/(draws+1) and the uniform CDF, and the 95% bound
    /// of the Kolmogorov–Smirnov test for this many simulations.
    pub ecdf_max_dev: f64,
    pub ecdf_bound: f64,
    pub flagged: bool,
}

/// Settings of an SBC run.
#[derive(Debug, Clone)]
pub struct SbcOptions {
    pub sims: usize,
    pub design: SimDesign,
    pub nuts: NutsOptions,
    /// Posterior draws kept (thinned evenly) per simulation.
    pub draws: usize,
    pub bins: usize,
    /// Task parameters checked besides the population: those of the first `tasks_checked` tasks.
    pub tasks_checked: usize,
    pub seed: u64,
}

/// Simulation-based calibration.
pub fn sbc(spec: &ModelSpec, o: &SbcOptions, stop: &AtomicBool, done: &(dyn Fn() + Sync)) -> Result<Vec<RankCheck>> {
    let results: Result<Vec<Vec<(String, usize)>>> = (0..o.sims)
        .into_par_iter()
        .map(|s| {
            let seed = o.seed.wrapping_mul(1_000_003).wrapping_add(s as u64);
            let sim = simulate(spec, &o.design, seed)?;
            let model = CurveModel::new(spec.clone(), sim.data.clone())?;
            let fit = fit_nuts(model, &NutsOptions { seed, ..o.nuts }, &(), stop)?;
            let post = &fit.posterior;
            let rows: Vec<&[f64]> = post.rows().collect();
            let step = (rows.len() / o.draws).max(1);
            let kept: Vec<&[f64]> = rows.iter().step_by(step).take(o.draws).copied().collect();
            let checked = |name: &str| {
                !name.contains('.')
                    || name.split_once('.').is_some_and(|(p, i)| {
                        !p.starts_with("shift")
                            && !crate::spec::EffectOn::is_per_model(p)
                            && i.parse::<usize>().is_ok_and(|i| i <= o.tasks_checked)
                    })
            };
            let out = sim
                .truth
                .iter()
                .enumerate()
                .filter(|(_, (n, _))| checked(n))
                .map(|(j, (n, v))| (n.clone(), kept.iter().filter(|r| r[j] < *v).count()))
                .collect();
            done();
            Ok(out)
        })
        .collect();
    let results = results?;
    let names: Vec<String> = results[0].iter().map(|(n, _)| n.clone()).collect();
    let l = o.draws;
    Ok(names
        .iter()
        .enumerate()
        .map(|(j, name)| {
            let ranks: Vec<usize> = results.iter().map(|r| r[j].1).collect();
            rank_check(name, ranks, l, o.bins)
        })
        .collect())
}

/// Uniformity tests of ranks in 0..=draws.
pub fn rank_check(name: &str, ranks: Vec<usize>, draws: usize, bins: usize) -> RankCheck {
    let n = ranks.len() as f64;
    let mut histogram = vec![0usize; bins];
    for &r in &ranks {
        histogram[(r * bins / (draws + 1)).min(bins - 1)] += 1;
    }
    let expected = n / bins as f64;
    let chi2: f64 = histogram.iter().map(|&c| (c as f64 - expected).powi(2) / expected).sum();
    let p_value = crate::special::gamma_q((bins as f64 - 1.0) / 2.0, chi2 / 2.0);
    let mut u: Vec<f64> = ranks.iter().map(|&r| (r as f64 + 0.5) / (draws as f64 + 1.0)).collect();
    u.sort_by(f64::total_cmp);
    let ecdf_max_dev = u
        .iter()
        .enumerate()
        .map(|(i, &v)| ((i as f64 + 1.0) / n - v).abs().max((v - i as f64 / n).abs()))
        .fold(0.0, f64::max);
    let ecdf_bound = 1.358 / n.sqrt();
    RankCheck {
        parameter: name.to_string(),
        ranks,
        histogram,
        chi2,
        p_value,
        ecdf_max_dev,
        ecdf_bound,
        flagged: p_value < 0.01 || ecdf_max_dev > ecdf_bound,
    }
}
