//! Fitting: per-task MAP fits (independent model) and the joint model's MAP, with Laplace draws.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::curve::Curve;
use crate::data::FitData;
use crate::error::{Error, Result};
use crate::map::{MapFit, find_map, task_inits};
use crate::model::CurveModel;
use crate::spec::ModelSpec;
use crate::summary::TaskSummary;

/// Default number of Laplace draws kept from a MAP fit.
pub const LAPLACE_DRAWS: usize = 4000;

/// One task's independent MAP fit.
#[derive(Debug, Clone)]
pub struct TaskMap {
    pub task: String,
    pub model: CurveModel,
    pub map: MapFit,
    /// The curve at the mode.
    pub curve: Curve,
    /// Laplace draws, unconstrained.
    pub draws: Vec<Vec<f64>>,
}

impl TaskMap {
    /// The curve of every Laplace draw.
    pub fn curve_draws(&self) -> Vec<Curve> {
        self.draws.iter().map(|x| self.model.constrain(x).curves[0]).collect()
    }
    /// The fitted curve's summary with 90% intervals.
    pub fn summary(&self) -> TaskSummary {
        TaskSummary::from_curves(&self.task, &self.curve_draws(), Some(self.curve), self.map.converged, 0.9)
    }
}

/// Fit every task alone, in parallel. Each task's Laplace draws use a seed derived from `seed`
/// and the task's index, so results do not depend on thread scheduling.
pub fn fit_independent(spec: &ModelSpec, data: &FitData, seed: u64, n_draws: usize) -> Result<Vec<TaskMap>> {
    if spec.is_pooled() || spec.model_effect {
        return Err(Error::Usage(format!(
            "model '{}' pools tasks; per-task MAP fits need an independent model such as models/independent.toml",
            spec.name
        )));
    }
    (0..data.series.len())
        .into_par_iter()
        .map(|t| {
            let model = CurveModel::new(spec.clone(), data.only_series(t))?;
            let inits = task_inits(&model);
            let map = find_map(&model, &inits, 500).ok_or_else(|| {
                Error::Fit(format!("task '{}': no starting point gave a finite density", data.series[t]))
            })?;
            let curve = model.constrain(&map.position).curves[0];
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let draws = map.laplace_draws(n_draws, &mut rng);
            Ok(TaskMap { task: data.series[t].clone(), model, map, curve, draws })
        })
        .collect()
}

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use crate::diagnostics::{ChainApart, ParamDiagnostics, RankScale, chain_apart, diagnose_with, ebfmi};
use crate::posterior::Posterior;
use crate::sample::{ChainDraws, NutsOptions, Progress, Samples, sample};

/// Starting point of a pooled model: each task fitted alone (with the independent model's
/// priors, on this model's axis and likelihood), population values from the spread of those
/// fits, then the joint mode (L-BFGS for at most `max_iters` iterations, then Newton steps).
/// Returns the joint MAP (or the assembled start when the search fails).
pub fn pooled_start(model: &CurveModel, seed: u64, max_iters: u64) -> Result<MapFit> {
    let mut alone = ModelSpec::builtin("independent")?;
    alone.likelihood = model.spec.likelihood;
    alone.x_axis = model.spec.x_axis;
    let fits = fit_independent(&alone, &model.data, seed, 0)?;
    let curves: Vec<Curve> = fits.iter().map(|f| f.curve).collect();
    // θ per task on the unconstrained scales, then their mean and sd per parameter
    let tmp = model.unconstrain(&curves, [(0.0, 1.0); 4], 50.0);
    let t = model.layout.n_tasks;
    let mut population = [(0.0, 1.0); 4];
    for (k, pop) in population.iter_mut().enumerate() {
        let (loc0, sc0) = (fixed_or(model.layout.location[k], 0.0), fixed_or(model.layout.log_scale[k], 0.0).exp());
        let th: Vec<f64> = (0..t).map(|i| loc0 + sc0 * tmp[model.layout.z_start + k * t + i]).collect();
        let mean = th.iter().sum::<f64>() / t as f64;
        let sd = if t > 1 { (th.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (t - 1) as f64).sqrt() } else { 1.0 };
        *pop = (mean, sd.clamp(0.05, 3.0));
    }
    // the median concentration of the tasks with counts (tasks with scores only have none)
    let phis = crate::summary::sorted(fits.iter().filter_map(|f| f.model.constrain(&f.map.position).phi));
    let phi = phis.get(phis.len() / 2).map_or(50.0, |p| p.clamp(5.0, 5000.0));
    let start = model.unconstrain(&curves, population, phi);
    let map = find_map(model, std::slice::from_ref(&start), max_iters).unwrap_or(MapFit {
        position: start,
        logp: f64::NAN,
        grad_max: f64::NAN,
        converged: false,
        covariance: None,
    });
    Ok(map)
}

fn fixed_or(slot: crate::model::Slot, default: f64) -> f64 {
    match slot {
        crate::model::Slot::Fixed(v) => v,
        crate::model::Slot::Free(_) => default,
    }
}

/// Convergence and efficiency figures of a NUTS fit.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FitDiagnostics {
    pub rhat_max: f64,
    pub ess_bulk_min: f64,
    pub ess_tail_min: f64,
    pub divergences: u64,
    pub max_depth_hits: u64,
    pub mean_tree_depth: f64,
    pub ebfmi_min: f64,
    /// Wall seconds of warm-up plus draws, all chains.
    pub sampling_seconds: f64,
    /// Smallest bulk ESS over population values and every task's four curve parameters,
    /// divided by `sampling_seconds`.
    pub ess_bulk_per_second: f64,
    /// The quantity with the largest R-hat and the one with the smallest bulk ESS.
    pub worst_rhat: String,
    pub worst_ess: String,
    /// Draws per chain in the fit, after any extensions.
    #[serde(default)]
    pub draws_per_chain: u64,
    /// Each time the draws were extended because R-hat or bulk ESS fell short
    /// ([`NutsOptions::extend`]).
    #[serde(default)]
    pub extensions: Vec<Extension>,
    /// When R-hat is above [`RHAT_MAX`]: the one chain, if there is one, without which the
    /// others agree on the quantity with the largest R-hat.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_apart: Option<ChainApart>,
    /// The largest R-hat and smallest bulk ESS over the values a forecast of the fitted tasks
    /// rests on: every task's four curve parameters, the concentration (or the scores' noise)
    /// and the per-model effect's sd — all but the population's locations and scales and the
    /// evaluated models' own shifts. None in fits saved before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast_values: Option<ValuesCheck>,
    /// When `forecast_values` fell short: the largest R-hat and smallest bulk ESS over every
    /// task's curve at [`CURVE_CHECK_TIMES`] its largest fitted size, what forecasts there rest
    /// on. A task seen in its lower bend over a decade binds its ceiling, midpoint and slope
    /// only together, and its curve over the next decade can agree across chains while they do
    /// not. None when not needed, and in fits saved before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast_curves: Option<ValuesCheck>,
}

/// The largest R-hat and the smallest bulk ESS over a set of a fit's values, with the values
/// they belong to.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ValuesCheck {
    pub rhat_max: f64,
    pub worst_rhat: String,
    pub ess_bulk_min: f64,
    pub worst_ess: String,
}

impl ValuesCheck {
    pub fn passes(&self) -> bool {
        self.rhat_max <= RHAT_MAX && self.ess_bulk_min >= ESS_MIN
    }
}

/// The multiples of each task's largest fitted size (or compute) at which
/// [`FitDiagnostics::forecast_curves`] checks its curve: that size itself, the next model (3×,
/// where the report forecasts first) and a tenfold scale-up.
pub const CURVE_CHECK_TIMES: [f64; 3] = [1.0, 3.0, 10.0];

/// R-hat above this, or a bulk ESS below [`ESS_MIN`], makes a fit warn and, while
/// [`NutsOptions::extend`] allows, draw more.
pub const RHAT_MAX: f64 = 1.01;
pub const ESS_MIN: f64 = 400.0;

/// Extensions a fit that falls short draws in any case; beyond them, only a near miss goes on
/// (R-hat at most [`NEAR_MISS_RHAT`] and bulk ESS at least half of [`ESS_MIN`]). At the bulk
/// ESS of 400–600 that whole ladders reach, converged chains show an R-hat a little above 1.01
/// about one time in eight, and more draws settle it; chains that disagree by more rarely come
/// together by drawing on (docs/sampling.md).
pub const EXTENSIONS_ANY: u64 = 4;
pub const NEAR_MISS_RHAT: f64 = 1.02;

/// Whether a fit whose worst R-hat and bulk ESS are `rhat` and `ess`, after `done` extensions
/// of at most `extend`, draws more: while it falls short, for [`EXTENSIONS_ANY`] extensions in
/// any case and then only for a near miss.
pub fn draws_more(done: u64, extend: u64, rhat: f64, ess: f64) -> bool {
    let passes = rhat <= RHAT_MAX && ess >= ESS_MIN;
    let near_miss = rhat <= NEAR_MISS_RHAT && ess >= ESS_MIN / 2.0;
    done < extend && !passes && (done < EXTENSIONS_ANY || near_miss)
}

/// One extension of a fit's draws: the draws per chain before it, the R-hat and bulk ESS
/// then (with the quantities they belong to), and the draws per chain it added.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    pub after_draws: u64,
    pub rhat_max: f64,
    pub worst_rhat: String,
    pub ess_bulk_min: f64,
    pub worst_ess: String,
    pub added: u64,
}

impl FitDiagnostics {
    /// Whether the fit fell short of R-hat ≤ 1.01, bulk ESS ≥ 400 or no divergences.
    pub fn falls_short(&self) -> bool {
        self.rhat_max > RHAT_MAX || self.ess_bulk_min < ESS_MIN || self.divergences > 0
    }

    /// Its figures in words: R-hat, bulk ESS and divergences with the quantities they belong
    /// to, and the draws per chain.
    pub fn shortfall(&self) -> String {
        format!(
            "R-hat {} ({}), bulk ESS {:.0} ({}) and {} divergences after {} draws per chain",
            format_rhat(self.rhat_max),
            self.worst_rhat,
            self.ess_bulk_min,
            self.worst_ess,
            self.divergences,
            self.draws_per_chain
        )
    }

    /// When a value of the whole fit (a population location or scale, the concentration) fell
    /// short on R-hat or bulk ESS in a fit of `series` from several families, which share one
    /// population: the advice to fit them one at a time. None otherwise.
    pub fn families_advice(&self, series: &[crate::data::Series]) -> Option<String> {
        let families = series.iter().map(|s| &s.family).collect::<std::collections::BTreeSet<_>>().len();
        let short = (self.rhat_max > RHAT_MAX && of_whole_fit(&self.worst_rhat))
            || (self.ess_bulk_min < ESS_MIN && of_whole_fit(&self.worst_ess));
        (families > 1 && short).then(|| {
            format!(
                "the {families} families here share one population, whose values move more slowly the more \
                 series share them: --family NAME fits one family at a time (Pythia's two 0-shot families of 65 \
                 tasks: R-hat 1.089 together after 3000 draws, 1.006 and 1.009 apart; docs/sampling.md)"
            )
        })
    }

    /// When the fit fell short on R-hat or bulk ESS only in population values (no divergences,
    /// and every value a forecast of the fitted tasks rests on passed): those values' figures
    /// in words, to follow a warning. None otherwise.
    pub fn only_population_short(&self) -> Option<String> {
        let f = self.forecast_values.as_ref().filter(|f| f.passes())?;
        (self.falls_short() && self.divergences == 0).then(|| {
            format!(
                "only population values fell short: every task's curve and every other value a forecast uses \
                 passed (R-hat at most {}, bulk ESS at least {:.0}), and forecasts, thresholds and validations \
                 of these tasks rest on those alone",
                format_rhat(f.rhat_max),
                f.ess_bulk_min
            )
        })
    }

    /// When the fit fell short in a value a forecast rests on, with no divergence, but every
    /// task's curve at its largest fitted size and at 3× and 10× it passed
    /// ([`Self::forecast_curves`]): their figures in words, to follow a warning. None otherwise.
    pub fn only_far_short(&self) -> Option<String> {
        let c = self.forecast_curves.as_ref().filter(|c| c.passes())?;
        (self.falls_short() && self.divergences == 0 && self.only_population_short().is_none()).then(|| {
            format!(
                "every task's curve at its largest fitted size and at 3× and 10× it passed (R-hat at most {}, bulk \
                 ESS at least {:.0}): forecasts up to a tenfold scale-up rest on draws that agree, while thresholds \
                 and forecasts farther out rest on the values that fell short too",
                format_rhat(c.rhat_max),
                c.ess_bulk_min
            )
        })
    }

    /// When the value with the worst R-hat or bulk ESS belongs to one of `falling` (the series
    /// whose scores fall with size in the data fitted, as [`crate::data::Series::falls_upto`]
    /// finds them, each as (series name, task name)): a warning that says so, since more draws
    /// will not make an S-curve follow such a task. None otherwise.
    pub fn falling_warning(&self, falling: &[(String, String)]) -> Option<String> {
        // `floor.14 (pythia/TruthfulQA)`: the series a value belongs to, as `with_owner` names it
        fn series_of(name: &str) -> Option<&str> {
            name.strip_suffix(')').and_then(|n| n.split_once(" (")).map(|(_, t)| t)
        }
        let short = [(self.rhat_max > RHAT_MAX, &self.worst_rhat), (self.ess_bulk_min < ESS_MIN, &self.worst_ess)];
        let (value, (series, task)) = short.iter().filter(|(fell, _)| *fell).find_map(|(_, name)| {
            let owner = series_of(name)?;
            falling.iter().find(|(s, _)| s == owner).map(|f| (name, f))
        })?;
        // `--skip-task` takes the task without its family, and leaves it out of every family;
        // `--skip-falling` leaves out each series that falls, in its own family only
        let how = if series == task {
            format!("--skip-task '{task}', or --skip-falling for every task that falls")
        } else {
            format!(
                "--skip-falling leaves out every task that falls, each in its own family only; --skip-task '{task}' \
                 leaves it out of every family"
            )
        };
        Some(format!(
            "{value} fell short, and '{series}' falls with size in the data fitted: an S-curve rises, so more \
             draws will not make its curve follow those scores. Leave it out ({how}) and fit again."
        ))
    }

    /// Plain-words warnings, with what to try given the settings `opts` the fit used.
    pub fn warnings(&self, opts: &NutsOptions) -> Vec<String> {
        let mut w = Vec::new();
        // twice the draws the fit ended with (extensions included), at least 2000
        let longer = (2 * self.draws_per_chain).max(2000);
        // fixed-length draws, when the fit's were NUTS's (docs/sampling.md)
        let deeper = if opts.draw_depth == 0 { ", or longer trajectories (--draw-depth 8)" } else { "" };
        const WEAK: &str = "The tasks identify this population value only weakly (few sizes, or many tasks at chance or far from their ceiling), so the sampler moves slowly along it";
        const NOISE: &str = "sigma is the spread of the scores that have no item count around their curves; with few sizes per task the curves can pass close to every score, and the data say little of it. An item count for each score (an n column) makes the likelihood a count's, or a tighter [noise] prior in a model file (docs/models.md) says how noisy such scores are";
        if self.rhat_max > RHAT_MAX {
            let check = if self.worst_rhat == "sigma" {
                format!("{NOISE}.")
            } else if of_whole_fit(&self.worst_rhat) {
                format!("{WEAK}: a more informative prior for it in a model file (docs/models.md) also helps.")
            } else {
                "Or check that the task is identified (scurve inspect).".to_string()
            };
            let apart = self.chain_apart.as_ref().map_or(String::new(), |a| {
                format!(
                    " Chain {} sits apart from the others (median {} against {}–{}; without it R-hat is {}): it has found, or is stuck in, a region they have not reached.",
                    a.chain,
                    significant(a.median),
                    significant(a.others_median.0),
                    significant(a.others_median.1),
                    format_rhat(a.rhat_without)
                )
            });
            w.push(format!(
                "R-hat is {} for {}, above 1.01: the chains disagree.{apart} Run longer (--warmup 2000 --draws {longer}){deeper}. {check}",
                format_rhat(self.rhat_max),
                self.worst_rhat
            ));
        }
        if self.ess_bulk_min < ESS_MIN {
            let why = if self.worst_ess == "sigma" {
                format!(" {NOISE}.")
            } else if self.worst_ess.starts_with("midpoint.") || self.worst_ess.starts_with("slope.") {
                " A task still near chance cannot place its midpoint and slope, and the sampler moves slowly along that wide posterior.".to_string()
            } else if of_whole_fit(&self.worst_ess) {
                format!(" {WEAK}.")
            } else {
                String::new()
            };
            w.push(format!(
                "bulk ESS is {:.0} for {}, below 400: intervals are imprecise.{why} Draw more (--draws {longer}){deeper} or more chains.",
                self.ess_bulk_min, self.worst_ess
            ));
        }
        if let (Some(last), Some(only)) = (w.last_mut(), self.only_population_short().or_else(|| self.only_far_short()))
        {
            last.push_str(&format!(" But {only}."));
        }
        if self.divergences > 0 {
            // halfway from the current target to 1, rounded up to a hundredth
            let higher = ((1.0 + opts.target_accept) * 50.0 - 1e-9).ceil() / 100.0;
            let raise = (higher < 1.0).then(|| format!("--target-accept {higher:.2}"));
            let advice = match (opts.walnuts, raise) {
                (false, r) => format!(
                    "Try --sampler walnuts (it splits the steps where the curvature needs it){}.",
                    r.map_or(String::new(), |r| format!(", or {r}"))
                ),
                (true, Some(r)) => format!("Try {r}, or a model with tighter priors."),
                (true, None) => "Try a model with tighter priors.".to_string(),
            };
            w.push(format!(
                "{} divergent transition(s): the sampler met curvature it could not follow, and the posterior may be biased. {advice} See docs/sampling.md.",
                self.divergences
            ));
        }
        if self.ebfmi_min < 0.3 {
            w.push(format!(
                "E-BFMI is {:.2} (below 0.3): the sampler explores the energy poorly; consider reparametrising.",
                self.ebfmi_min
            ));
        }
        w
    }
}

impl Extension {
    /// One line for the user: what fell short and how many draws were added.
    pub fn describe(&self) -> String {
        let mut short = Vec::new();
        if self.rhat_max > RHAT_MAX {
            short.push(format!("R-hat {} ({})", format_rhat(self.rhat_max), self.worst_rhat));
        }
        if self.ess_bulk_min < ESS_MIN {
            short.push(format!("bulk ESS {:.0} ({})", self.ess_bulk_min, self.worst_ess));
        }
        format!(
            "{} after {} draws per chain: drew {} more per chain (--extend 0 keeps to the draws asked for)",
            short.join(" and "),
            self.after_draws,
            self.added
        )
    }
}

/// A value to three significant digits (a draw's median in a warning).
fn significant(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return format!("{v}");
    }
    let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
    format!("{v:.decimals$}")
}

/// An R-hat to three decimals, or four when three would print the 1.01 threshold for a value
/// above it (1.0104).
pub fn format_rhat(rhat: f64) -> String {
    let three = format!("{rhat:.3}");
    if three == "1.010" && rhat > 1.01 { format!("{rhat:.4}") } else { three }
}

/// A NUTS fit of a (pooled) model.
#[derive(Debug, Clone)]
pub struct NutsFit {
    pub model: Arc<CurveModel>,
    pub start: MapFit,
    pub options: NutsOptions,
    pub posterior: Posterior,
    /// Diagnostics per constrained column.
    pub columns: Vec<ParamDiagnostics>,
    pub diagnostics: FitDiagnostics,
}

/// Fit a model with NUTS: start at the joint mode, sample, diagnose.
pub fn fit_nuts(model: CurveModel, opts: &NutsOptions, progress: &dyn Progress, stop: &AtomicBool) -> Result<NutsFit> {
    // a start for the chains, not an answer: on Pythia, L-BFGS iterations 800–3000 take 0.33 s
    // and gain 0.03 in log density
    let start = pooled_start(&model, opts.seed, 800)?;
    let mut model = model;
    let mut inits = vec![start.position.clone()];
    let mut main_opts = *opts;
    let mut pilot_seconds = 0.0;
    if opts.pilot > 0 && opts.warmup >= 2 * opts.pilot {
        // The pilot, its last third kept as draws. It samples the same posterior pinned by a
        // guess from the curvature at the start, which shortens its trajectories; the pins it
        // chooses depend on its draws of θ, not on the coordinates they came in.
        // the pilot's draws are NUTS's whatever the main draws are: they measure the posterior
        let pilot_opts =
            NutsOptions { warmup: opts.pilot - opts.pilot / 3, draws: (opts.pilot / 3).max(4), draw_depth: 0, ..*opts };
        let guess = model.pins_from_curvature(&start.position);
        inits = inits.iter().map(|x| model.repinned(&guess, x)).collect();
        model.set_pins(guess);
        let pilot = sample(Arc::new(model.clone()), &inits, &pilot_opts, progress, stop, &|_| 0)?;
        let draws = || pilot.chains.iter().flat_map(|c| c.positions.iter().map(Vec::as_slice));
        // the midpoints sheared along ln(g)/s, then pinned in those coordinates
        let (pins, shear) = model.pins_and_shear_from_draws(draws);
        // each chain goes on from where its pilot ended, in the new coordinates
        inits = pilot
            .chains
            .iter()
            .filter_map(|c| c.positions.last())
            .map(|x| model.recoordinated(&pins, &shear, x))
            .collect();
        model.set_pins(pins);
        model.set_shear(shear);
        main_opts = NutsOptions { warmup: opts.warmup - opts.pilot, jitter: 0.0, seed: opts.seed ^ 0x5EED, ..*opts };
        pilot_seconds = pilot.seconds;
    }
    let model = Arc::new(model);
    let done_before = opts.chains as u64 * (opts.warmup - main_opts.warmup);
    // after the draws (and after each extension) the diagnostics decide whether to draw more
    let diagnosed = std::cell::RefCell::new(None);
    let extensions = std::cell::RefCell::new(Vec::new());
    let more = |chains: &[ChainDraws]| {
        let done = extensions.borrow().len() as u64;
        if done >= opts.extend {
            return 0;
        }
        let (posterior, columns) = diagnose_chains(&model, chains);
        let w = worst(&posterior.names, &columns);
        if !draws_more(done, opts.extend, w.rhat.0, w.ess_bulk.0) {
            // the fit's final draws: assemble takes this diagnosis as it is
            *diagnosed.borrow_mut() = Some((posterior, columns));
            return 0;
        }
        let added = (opts.draws / 2).max(4);
        let owner = |n: &str| with_owner(n, &model.data.series, &model.data.models);
        extensions.borrow_mut().push(Extension {
            after_draws: chains.first().map_or(0, |c| c.positions.len() as u64),
            rhat_max: w.rhat.0,
            worst_rhat: owner(&w.rhat.1),
            ess_bulk_min: w.ess_bulk.0,
            worst_ess: owner(&w.ess_bulk.1),
            added,
        });
        added
    };
    let mut samples = sample(model.clone(), &inits, &main_opts, &Offset(progress, done_before), stop, &more)?;
    samples.seconds += pilot_seconds;
    Ok(assemble(model, start, *opts, samples, diagnosed.into_inner(), extensions.into_inner()))
}

/// Progress of a later stage: adds the iterations of the stages before.
struct Offset<'a>(&'a dyn Progress, u64);

impl Progress for Offset<'_> {
    fn update(&self, done: u64) {
        self.0.update(self.1 + done);
    }

    fn extend(&self, more: u64) {
        self.0.extend(more);
    }
}

/// The draws of `chains` as a posterior (constrained quantities), with each column's
/// diagnostics.
fn diagnose_chains(model: &CurveModel, chains: &[ChainDraws]) -> (Posterior, Vec<ParamDiagnostics>) {
    let names = model.constrained_names();
    let draws: Vec<Vec<Vec<f64>>> =
        chains.par_iter().map(|c| c.positions.iter().map(|x| model.constrained_vector(x)).collect()).collect();
    let stats: Vec<_> = chains.iter().map(|c| c.stats.clone()).collect();
    let posterior = Posterior::new(names, draws, stats, model.data.series.clone(), model.data.models.clone())
        .expect("the model's own column names");
    // every column has the same split draws, so the same rank-normal scores
    let scale = RankScale::for_chains(posterior.draws.iter().map(Vec::len));
    let columns: Vec<ParamDiagnostics> = (0..posterior.names.len())
        .into_par_iter()
        .map(|j| {
            let by_chain = posterior.column_by_chain(j);
            let refs: Vec<&[f64]> = by_chain.iter().map(Vec::as_slice).collect();
            diagnose_with(&refs, &scale)
        })
        .collect();
    (posterior, columns)
}

/// The largest R-hat, the smallest bulk and tail ESS (over population values and the tasks'
/// curve parameters), and the columns they belong to.
struct Worst {
    rhat: (f64, String),
    ess_bulk: (f64, String),
    ess_tail: f64,
}

/// Whether a column is a value of the whole fit (a population location or scale, the
/// concentration) rather than one task's or model's, whose names are `ceiling.3 (task)`,
/// `model_shift.2`.
fn of_whole_fit(name: &str) -> bool {
    !name.contains('.')
}

/// A value a forecast of the fitted tasks rests on: not a population location or scale, and
/// not an evaluated model's own shift (a new model draws a fresh one).
fn is_forecast_value(name: &str) -> bool {
    let population = name.ends_with("_location") || name.ends_with("_scale");
    let per_model = name.split_once('.').is_some_and(|(p, _)| crate::spec::EffectOn::is_per_model(p));
    !population && !per_model
}

/// [`ValuesCheck`] over the columns whose names `keep` accepts; None when it accepts none.
fn check_values(names: &[String], columns: &[ParamDiagnostics], keep: fn(&str) -> bool) -> Option<ValuesCheck> {
    let kept = || names.iter().zip(columns).filter(|(n, _)| keep(n));
    let rhat = kept().filter(|(_, d)| d.rhat.is_finite()).max_by(|a, b| a.1.rhat.total_cmp(&b.1.rhat));
    let ess = kept().min_by(|a, b| a.1.ess_bulk.total_cmp(&b.1.ess_bulk))?;
    Some(ValuesCheck {
        rhat_max: rhat.map_or(1.0, |(_, d)| d.rhat),
        worst_rhat: rhat.map_or(String::new(), |(n, _)| n.clone()),
        ess_bulk_min: ess.1.ess_bulk,
        worst_ess: ess.0.clone(),
    })
}

fn worst(names: &[String], columns: &[ParamDiagnostics]) -> Worst {
    let is_key = |n: &str| !n.split_once('.').is_some_and(|(p, _)| crate::spec::EffectOn::is_per_model(p));
    let mut w = Worst { rhat: (0.0, String::new()), ess_bulk: (f64::INFINITY, String::new()), ess_tail: f64::INFINITY };
    for (n, d) in names.iter().zip(columns) {
        if d.rhat.is_finite() && d.rhat > w.rhat.0 {
            w.rhat = (d.rhat, n.clone());
        }
        if is_key(n) && d.ess_bulk < w.ess_bulk.0 {
            w.ess_bulk = (d.ess_bulk, n.clone());
        }
        if is_key(n) {
            w.ess_tail = w.ess_tail.min(d.ess_tail);
        }
    }
    w
}

/// Turn samples into a posterior with diagnostics; `diagnosed` is that posterior with its
/// columns' diagnostics when already computed, `extensions` the draws added after the first
/// diagnosis.
pub fn assemble(
    model: Arc<CurveModel>,
    start: MapFit,
    options: NutsOptions,
    samples: Samples,
    diagnosed: Option<(Posterior, Vec<ParamDiagnostics>)>,
    extensions: Vec<Extension>,
) -> NutsFit {
    let (posterior, columns) = diagnosed.unwrap_or_else(|| diagnose_chains(&model, &samples.chains));
    let Worst { rhat: (rhat_max, worst_rhat), ess_bulk: (ess_min, worst_ess), ess_tail: tail_min } =
        worst(&posterior.names, &columns);
    let chain_apart = posterior.column(&worst_rhat).and_then(|col| {
        let by_chain = posterior.column_by_chain(col);
        chain_apart(&by_chain.iter().map(Vec::as_slice).collect::<Vec<_>>(), RHAT_MAX)
    });
    let owner = |n: &str| with_owner(n, &model.data.series, &model.data.models);
    let forecast_values = check_values(&posterior.names, &columns, is_forecast_value).map(|c| ValuesCheck {
        worst_rhat: owner(&c.worst_rhat),
        worst_ess: owner(&c.worst_ess),
        ..c
    });
    // the curves at the sizes forecasts are asked for, checked only when those values fell short
    let forecast_curves = forecast_values.as_ref().filter(|c| !c.passes()).and_then(|_| {
        let largest: Vec<f64> = series_records(&model.data).iter().map(|r| r.largest_x).collect();
        curve_check(&posterior, &largest)
    });
    let all_stats: Vec<&crate::sample::DrawStats> = posterior.stats.iter().flatten().collect();
    let divergences = all_stats.iter().filter(|s| s.divergent).count() as u64;
    let max_depth_hits = all_stats.iter().filter(|s| s.max_depth_hit).count() as u64;
    let mean_tree_depth = all_stats.iter().map(|s| s.treedepth as f64).sum::<f64>() / all_stats.len().max(1) as f64;
    let ebfmi_min = posterior
        .stats
        .iter()
        .map(|c| ebfmi(&c.iter().map(|s| s.energy).collect::<Vec<_>>()))
        .fold(f64::INFINITY, f64::min);
    let diagnostics = FitDiagnostics {
        rhat_max,
        ess_bulk_min: ess_min,
        ess_tail_min: tail_min,
        divergences,
        max_depth_hits,
        mean_tree_depth,
        ebfmi_min,
        sampling_seconds: samples.seconds,
        ess_bulk_per_second: ess_min / samples.seconds,
        worst_rhat: owner(&worst_rhat),
        worst_ess: owner(&worst_ess),
        draws_per_chain: posterior.draws.first().map_or(0, |c| c.len() as u64),
        extensions,
        chain_apart,
        forecast_values,
        forecast_curves,
    };
    NutsFit { model, start, options, posterior, columns, diagnostics }
}

/// [`ValuesCheck`] over each task's curve value at [`CURVE_CHECK_TIMES`] its largest fitted x
/// (`largest_x[t]`, log10), in every draw; the values named `curve of TASK at 3×`. None
/// without tasks.
fn curve_check(posterior: &Posterior, largest_x: &[f64]) -> Option<ValuesCheck> {
    if largest_x.is_empty() {
        return None;
    }
    let scale = crate::diagnostics::RankScale::for_chains(posterior.draws.iter().map(Vec::len));
    let mut c = ValuesCheck {
        rhat_max: f64::NEG_INFINITY,
        worst_rhat: String::new(),
        ess_bulk_min: f64::INFINITY,
        worst_ess: String::new(),
    };
    for (t, &top) in largest_x.iter().enumerate() {
        for f in CURVE_CHECK_TIMES {
            let x = top + f.log10();
            let chains: Vec<Vec<f64>> = (posterior.draws.iter())
                .map(|c| c.iter().map(|row| posterior.curve(row, t).value(x)).collect())
                .collect();
            let d = crate::diagnostics::diagnose_with(&chains.iter().map(Vec::as_slice).collect::<Vec<_>>(), &scale);
            let name = || format!("curve of {} at {f}×", posterior.series[t]);
            if d.rhat.is_finite() && d.rhat > c.rhat_max {
                (c.rhat_max, c.worst_rhat) = (d.rhat, name());
            }
            if d.ess_bulk < c.ess_bulk_min {
                (c.ess_bulk_min, c.worst_ess) = (d.ess_bulk, name());
            }
        }
    }
    Some(c)
}

/// A column name with the task or model it belongs to, so a warning can be acted on:
/// `midpoint.4` → `midpoint.4 (opt/logiqa)`, `model_shift.2` → `model_shift.2 (pythia-160m)`.
fn with_owner(name: &str, tasks: &[String], models: &[String]) -> String {
    let owner = name.rsplit_once('.').and_then(|(p, i)| {
        let list = if crate::spec::EffectOn::is_per_model(p) {
            models
        } else if crate::spec::CURVE_PARAMS.contains(&p) {
            tasks
        } else {
            return None;
        };
        list.get(i.parse::<usize>().ok()?.checked_sub(1)?)
    });
    match owner {
        Some(o) => format!("{name} ({o})"),
        None => name.to_string(),
    }
}

impl NutsFit {
    /// Per-task summaries: posterior medians and 90% intervals. A task counts as converged when
    /// the chains agree on its own four parameters (R-hat ≤ 1.01) and the fit has no divergence
    /// (one biases every task). A population value the chains disagree on is reported by the
    /// fit's warnings, not held against every task.
    pub fn task_summaries(&self) -> Vec<TaskSummary> {
        let p = &self.posterior;
        let clean = self.diagnostics.divergences == 0;
        (0..p.series.len())
            .map(|t| {
                let curves: Vec<Curve> = p.rows().map(|r| p.curve(r, t)).collect();
                let ok = clean && task_rhat(&p.names, &self.columns, t) <= 1.01;
                TaskSummary::from_curves(&p.series[t], &curves, None, ok, 0.9)
            })
            .collect()
    }
}

/// The largest finite R-hat over task t's curve parameters (`floor.{t+1}` …), 1 when it has
/// none; `columns` are the diagnostics of `names`.
fn task_rhat(names: &[String], columns: &[ParamDiagnostics], t: usize) -> f64 {
    let own: Vec<String> = crate::spec::CURVE_PARAMS.iter().map(|k| format!("{k}.{}", t + 1)).collect();
    names
        .iter()
        .zip(columns)
        .filter(|(n, d)| own.contains(n) && d.rhat.is_finite())
        .fold(1.0, |m, (_, d)| m.max(d.rhat))
}

/// Laplace draws of tasks fitted alone as one posterior (a single "chain"): columns
/// `floor.t`, `ceiling.t`, `midpoint.t`, `slope.t` and, for beta-binomial counts, `phi.t`
/// (and `dispersion.t` when the model has one).
pub fn posterior_from_task_maps(fits: &[TaskMap]) -> Posterior {
    let t = fits.len();
    let n = fits.iter().map(|f| f.draws.len()).min().unwrap_or(0);
    let with_phi = fits.iter().all(|f| f.model.layout.log_phi.is_some());
    let with_disp = fits.iter().all(|f| f.model.layout.log_disp.is_some());
    let mut names: Vec<String> = Vec::new();
    for p in crate::spec::CURVE_PARAMS {
        names.extend((1..=t).map(|i| format!("{p}.{i}")));
    }
    if with_phi {
        names.extend((1..=t).map(|i| format!("phi.{i}")));
    }
    if with_disp {
        names.extend((1..=t).map(|i| format!("dispersion.{i}")));
    }
    let constrained: Vec<Vec<crate::model::Constrained>> =
        fits.iter().map(|f| f.draws.iter().take(n).map(|x| f.model.constrain(x)).collect()).collect();
    let rows: Vec<Vec<f64>> = (0..n)
        .map(|d| {
            let mut row = Vec::with_capacity(names.len());
            row.extend(constrained.iter().map(|c| c[d].curves[0].floor));
            row.extend(constrained.iter().map(|c| c[d].curves[0].ceiling));
            row.extend(constrained.iter().map(|c| c[d].curves[0].midpoint));
            row.extend(constrained.iter().map(|c| c[d].curves[0].slope));
            if with_phi {
                row.extend(constrained.iter().map(|c| c[d].phi.unwrap_or(f64::NAN)));
            }
            if with_disp {
                row.extend(constrained.iter().map(|c| c[d].dispersion.unwrap_or(1.0)));
            }
            row
        })
        .collect();
    Posterior::new(names, vec![rows], Vec::new(), fits.iter().map(|f| f.task.clone()).collect(), Vec::new())
        .expect("curve columns are present")
}

/// The joint model at its mode with Laplace draws, as a posterior (one "chain").
pub fn hierarchical_map(model: &CurveModel, seed: u64, n_draws: usize) -> Result<Posterior> {
    let map = pooled_start(model, seed, 3000)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let draws = map.laplace_draws(n_draws, &mut rng);
    let rows: Vec<Vec<f64>> = draws.iter().map(|x| model.constrained_vector(x)).collect();
    let posterior = Posterior::new(
        model.constrained_names(),
        vec![rows],
        Vec::new(),
        model.data.series.clone(),
        model.data.models.clone(),
    )
    .expect("the model's own column names");
    Ok(posterior)
}

/// Per-series facts for a saved fit.
pub fn series_records(data: &FitData) -> Vec<crate::fitio::SeriesRecord> {
    (0..data.series.len())
        .map(|t| {
            let idx = data.indices_of(t);
            crate::fitio::SeriesRecord {
                name: data.series[t].clone(),
                chance: data.chance[t],
                items: idx.iter().map(|&i| data.n[i]).filter(|&n| n > 0).max(),
                largest_x: idx.iter().map(|&i| data.x[i]).fold(f64::NEG_INFINITY, f64::max),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{FitDiagnostics, ValuesCheck};
    use crate::diagnostics::ParamDiagnostics;
    use crate::sample::NutsOptions;

    #[test]
    fn only_a_near_miss_draws_more_after_four_extensions() {
        use super::draws_more;
        // a fit that passes stops; one that falls short draws more four times in any case
        assert!(!draws_more(0, 8, 1.01, 400.0));
        assert!(draws_more(0, 8, 1.011, 400.0) && draws_more(3, 8, 1.3, 12.0) && draws_more(0, 8, 1.0, 399.0));
        // then only a near miss (R-hat at most 1.02, bulk ESS at least 200) goes on
        assert!(draws_more(4, 8, 1.02, 200.0) && draws_more(7, 8, 1.015, 390.0));
        assert!(!draws_more(4, 8, 1.021, 390.0) && !draws_more(5, 8, 1.012, 199.0));
        // never beyond `extend`
        assert!(!draws_more(8, 8, 1.015, 390.0) && !draws_more(2, 2, 1.3, 12.0) && !draws_more(0, 0, 1.3, 12.0));
    }

    /// A value that fell short and belongs to a task whose scores fall with size is named with
    /// that task and the flag that leaves it out; a value of another task, one that passed, or a
    /// population value is not.
    #[test]
    fn a_shortfall_in_a_falling_task_says_so() {
        let falling = [("pythia/TruthfulQA", "TruthfulQA"), ("logiqa", "logiqa"), ("bigbench/a/b", "bigbench/a/b")]
            .map(|(s, t)| (s.to_string(), t.to_string()));
        let fit = |rhat_max, worst_rhat: &str, ess_bulk_min, worst_ess: &str| FitDiagnostics {
            rhat_max,
            worst_rhat: worst_rhat.into(),
            ess_bulk_min,
            worst_ess: worst_ess.into(),
            ..with_divergences(0)
        };
        let w = fit(1.09, "floor.14 (pythia/TruthfulQA)", 900.0, "floor.1 (pythia/arc)").falling_warning(&falling);
        let w = w.expect("the worst R-hat is the falling task's");
        assert!(w.starts_with("floor.14 (pythia/TruthfulQA) fell short, and 'pythia/TruthfulQA' falls"), "{w}");
        assert!(w.contains("--skip-falling leaves out every task that falls, each in its own family only"), "{w}");
        assert!(w.contains("--skip-task 'TruthfulQA' leaves it out of every family)"), "{w}");
        // by its ESS alone, and a task without a family
        let w = fit(1.0, "floor.1 (arc)", 120.0, "midpoint.3 (logiqa)").falling_warning(&falling).unwrap();
        assert!(w.starts_with("midpoint.3 (logiqa) fell short"), "{w}");
        assert!(w.contains("(--skip-task 'logiqa', or --skip-falling for every task that falls)"), "{w}");
        // a task whose own name holds a slash, in a fit of one family
        let w = fit(1.02, "slope.2 (bigbench/a/b)", 900.0, "floor.1 (arc)").falling_warning(&falling).unwrap();
        assert!(w.contains("(--skip-task 'bigbench/a/b', or"), "{w}");
        // the falling task's value is the worst but passed; another task's; a population value
        assert_eq!(fit(1.005, "floor.14 (pythia/TruthfulQA)", 900.0, "floor.1 (arc)").falling_warning(&falling), None);
        assert_eq!(fit(1.09, "floor.2 (pythia/arc)", 900.0, "floor.1 (arc)").falling_warning(&falling), None);
        assert_eq!(fit(1.09, "ceiling_location", 100.0, "slope_scale").falling_warning(&falling), None);
    }

    fn with_divergences(divergences: u64) -> FitDiagnostics {
        FitDiagnostics {
            rhat_max: 1.0,
            ess_bulk_min: 1000.0,
            ess_tail_min: 1000.0,
            divergences,
            max_depth_hits: 0,
            mean_tree_depth: 6.0,
            ebfmi_min: 0.9,
            sampling_seconds: 10.0,
            ess_bulk_per_second: 100.0,
            worst_rhat: "floor.1".into(),
            worst_ess: "floor.1".into(),
            draws_per_chain: 1000,
            extensions: Vec::new(),
            chain_apart: None,
            forecast_values: None,
            forecast_curves: None,
        }
    }

    #[test]
    fn several_families_are_advised_apart_only_when_a_population_value_fell_short() {
        let series = |families: &[&str]| -> Vec<crate::data::Series> {
            let one = |f: &str, task: &str| crate::data::Series {
                family: Some(f.to_string()),
                task: task.into(),
                name: format!("{f}/{task}"),
                chance: 0.25,
                points: Vec::new(),
                items_given: false,
            };
            families.iter().flat_map(|f| [one(f, "arc_easy"), one(f, "piqa")]).collect()
        };
        let (one, two, three) = (series(&["opt"]), series(&["opt", "pythia"]), series(&["a", "b", "c"]));
        let population = FitDiagnostics { rhat_max: 1.05, worst_rhat: "midpoint_scale".into(), ..with_divergences(0) };
        let advice = population.families_advice(&two).expect("two families, a population value short");
        assert!(advice.starts_with("the 2 families here share one population") && advice.contains("--family NAME"));
        assert_eq!(population.families_advice(&one), None, "one family has nothing to split");
        let ess = FitDiagnostics { ess_bulk_min: 150.0, worst_ess: "ceiling_location".into(), ..with_divergences(0) };
        assert!(ess.families_advice(&three).is_some_and(|a| a.starts_with("the 3 families")));
        // a task's own value, or a population value that passed, is not the population's doing
        let task = FitDiagnostics { rhat_max: 1.05, worst_rhat: "midpoint.4 (logiqa)".into(), ..with_divergences(0) };
        assert_eq!(task.families_advice(&two), None);
        let passed = FitDiagnostics { worst_rhat: "midpoint_scale".into(), ..with_divergences(0) };
        assert_eq!(passed.families_advice(&two), None);
    }

    #[test]
    fn the_advice_to_run_longer_goes_beyond_the_draws_the_fit_ended_with() {
        let opts = NutsOptions::default();
        let short = FitDiagnostics { rhat_max: 1.02, ess_bulk_min: 300.0, ..with_divergences(0) };
        let w = short.warnings(&opts);
        assert!(w[0].contains("(--warmup 2000 --draws 2000)") && w[1].contains("(--draws 2000)"), "{w:?}");
        // longer trajectories are offered to a fit whose draws were NUTS's, not to one whose were not
        assert!(w.iter().all(|w| w.contains("--draw-depth 8")), "{w:?}");
        let deep = short.warnings(&NutsOptions { draw_depth: 8, ..opts });
        assert!(deep.iter().all(|w| !w.contains("--draw-depth")), "{deep:?}");
        let extended = FitDiagnostics { draws_per_chain: 2000, ..short };
        let w = extended.warnings(&opts);
        assert!(w[0].contains("(--warmup 2000 --draws 4000)") && w[1].contains("(--draws 4000)"), "{w:?}");
    }

    #[test]
    fn the_values_a_forecast_rests_on_are_every_task_s_curve_the_concentration_and_the_luck_s_sd() {
        for n in ["floor.1", "midpoint.12", "phi", "phi.3", "sigma", "model_logit_sd", "model_sd"] {
            assert!(super::is_forecast_value(n), "{n}");
        }
        for n in ["ceiling_location", "slope_scale", "floor_scale", "model_logit.3", "model_shift.1"] {
            assert!(!super::is_forecast_value(n), "{n}");
        }
        let names: Vec<String> =
            ["ceiling_location", "phi", "floor.1", "slope.1", "model_logit.1"].iter().map(|s| s.to_string()).collect();
        let col = |rhat, ess_bulk| crate::diagnostics::ParamDiagnostics {
            mean: 0.0,
            sd: 1.0,
            rhat,
            ess_bulk,
            ess_tail: 900.0,
            mcse_mean: 0.01,
        };
        let cols = [col(1.03, 90.0), col(1.001, 3000.0), col(1.004, 700.0), col(1.007, 520.0), col(1.05, 50.0)];
        let c = super::check_values(&names, &cols, super::is_forecast_value).unwrap();
        assert_eq!(
            (c.rhat_max, c.worst_rhat.as_str(), c.ess_bulk_min, c.worst_ess.as_str()),
            (1.007, "slope.1", 520.0, "slope.1")
        );
        assert!(c.passes());
        assert!(super::check_values(&names[..1], &cols[..1], super::is_forecast_value).is_none());
    }

    #[test]
    fn a_shortfall_in_population_values_alone_says_the_forecasts_rest_on_values_that_passed() {
        let opts = NutsOptions::default();
        let check = |rhat_max, ess_bulk_min| ValuesCheck {
            rhat_max,
            worst_rhat: "slope.2 (t)".into(),
            ess_bulk_min,
            worst_ess: "floor.1 (t)".into(),
        };
        let pop = FitDiagnostics {
            rhat_max: 1.014,
            ess_bulk_min: 310.0,
            worst_rhat: "ceiling_location".into(),
            worst_ess: "midpoint_location".into(),
            forecast_values: Some(check(1.006, 512.0)),
            ..with_divergences(0)
        };
        let w = pop.warnings(&opts);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(!w[0].contains("only population"), "once, after the last of the two: {w:?}");
        assert!(
            w[1].ends_with(
                "But only population values fell short: every task's curve and every other value a forecast \
                 uses passed (R-hat at most 1.006, bulk ESS at least 512), and forecasts, thresholds and \
                 validations of these tasks rest on those alone."
            ),
            "{w:?}"
        );
        // R-hat alone: the sentence follows the R-hat warning
        let rhat_only = FitDiagnostics { ess_bulk_min: 800.0, ..pop.clone() };
        assert!(rhat_only.warnings(&opts)[0].contains("only population values fell short"));
        // not when a forecast value fell short too, with divergences, in older fits, or when all passed
        for short in [
            FitDiagnostics { forecast_values: Some(check(1.012, 512.0)), ..pop.clone() },
            FitDiagnostics { forecast_values: Some(check(1.006, 399.0)), ..pop.clone() },
            FitDiagnostics { divergences: 1, ..pop.clone() },
            FitDiagnostics { forecast_values: None, ..pop.clone() },
            FitDiagnostics { rhat_max: 1.0, ess_bulk_min: 800.0, ..pop.clone() },
        ] {
            assert!(short.only_population_short().is_none(), "{short:?}");
            assert!(short.warnings(&opts).iter().all(|w| !w.contains("only population")), "{short:?}");
        }
    }

    /// The curves at 1×, 3× and 10× a task's largest fitted size can agree across chains while
    /// its midpoint does not: two chains that put it at 10^7 and 10^7.5, both far below the
    /// largest fitted size, 10^9.
    #[test]
    fn curves_at_the_forecast_sizes_are_checked_apart_from_the_curve_s_parameters() {
        use rand::SeedableRng;
        use rand_distr::{Distribution, StandardNormal};
        let posterior = |midpoints: [f64; 2]| {
            let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
            let mut noise = || 0.01 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut rng);
            let draws: Vec<Vec<Vec<f64>>> = (midpoints.iter())
                .map(|&m| (0..400).map(|_| vec![0.2 + noise(), 0.8 + noise(), m + noise(), 5.0]).collect())
                .collect();
            let names = ["floor.1", "ceiling.1", "midpoint.1", "slope.1"].map(String::from).to_vec();
            crate::posterior::Posterior::new(names, draws, Vec::new(), vec!["t".into()], Vec::new()).unwrap()
        };
        let p = posterior([7.0, 7.5]);
        let mid = p.column_by_chain(2);
        let mid = crate::diagnostics::diagnose(&mid.iter().map(Vec::as_slice).collect::<Vec<_>>());
        assert!(mid.rhat > 1.5, "the midpoints disagree: {}", mid.rhat);
        let c = super::curve_check(&p, &[9.0]).unwrap();
        assert!(c.passes(), "{c:?}");
        assert!(c.worst_rhat.starts_with("curve of t at ") && c.worst_ess.ends_with('×'), "{c:?}");
        // midpoints at the largest size and beyond it: the curves there disagree too
        let c = super::curve_check(&posterior([8.9, 9.5]), &[9.0]).unwrap();
        assert!(c.rhat_max > 1.5 && !c.passes(), "{c:?}");
        assert_eq!(super::CURVE_CHECK_TIMES, [1.0, 3.0, 10.0]);
        assert!(super::curve_check(&p, &[]).is_none());
    }

    #[test]
    fn a_shortfall_in_forecast_values_with_curves_that_passed_says_how_far_forecasts_rest_on_them() {
        let opts = NutsOptions::default();
        let check = |rhat_max, ess_bulk_min| ValuesCheck {
            rhat_max,
            worst_rhat: "midpoint.2 (t)".into(),
            ess_bulk_min,
            worst_ess: "midpoint.2 (t)".into(),
        };
        let short = FitDiagnostics {
            rhat_max: 1.029,
            ess_bulk_min: 296.0,
            worst_rhat: "midpoint_location".into(),
            worst_ess: "midpoint_location".into(),
            forecast_values: Some(check(1.023, 386.0)),
            forecast_curves: Some(check(1.006, 706.0)),
            ..with_divergences(0)
        };
        let w = short.warnings(&opts);
        assert!(
            w[1].ends_with(
                "But every task's curve at its largest fitted size and at 3× and 10× it passed (R-hat at most \
                 1.006, bulk ESS at least 706): forecasts up to a tenfold scale-up rest on draws that agree, while \
                 thresholds and forecasts farther out rest on the values that fell short too."
            ),
            "{w:?}"
        );
        assert!(short.only_population_short().is_none());
        for not in [
            FitDiagnostics { forecast_curves: Some(check(1.012, 706.0)), ..short.clone() },
            FitDiagnostics { forecast_curves: Some(check(1.006, 399.0)), ..short.clone() },
            FitDiagnostics { forecast_curves: None, ..short.clone() },
            FitDiagnostics { divergences: 2, ..short.clone() },
            // only population values short: that sentence, not this one
            FitDiagnostics { forecast_values: Some(check(1.006, 512.0)), ..short.clone() },
        ] {
            assert!(not.only_far_short().is_none(), "{not:?}");
            assert!(not.warnings(&opts).iter().all(|w| !w.contains("tenfold scale-up")), "{not:?}");
        }
    }

    #[test]
    fn a_population_value_that_mixes_slowly_is_explained_as_one() {
        let opts = NutsOptions::default();
        let pop = FitDiagnostics {
            rhat_max: 1.16,
            ess_bulk_min: 17.0,
            worst_rhat: "ceiling_location".into(),
            worst_ess: "ceiling_location".into(),
            ..with_divergences(0)
        };
        let w = pop.warnings(&opts);
        assert!(w[0].contains("population value only weakly") && w[0].contains("more informative prior"), "{w:?}");
        assert!(!w[0].contains("the task is identified"), "{w:?}");
        assert!(w[1].contains("population value only weakly"), "{w:?}");
        let task = FitDiagnostics { rhat_max: 1.02, worst_rhat: "ceiling.3 (logiqa)".into(), ..with_divergences(0) };
        let w = task.warnings(&opts);
        assert!(w[0].contains("the task is identified") && !w[0].contains("population"), "{w:?}");
        // the scores' noise, when they have no item counts
        let noise = FitDiagnostics { worst_rhat: "sigma".into(), worst_ess: "sigma".into(), ..pop.clone() };
        for w in noise.warnings(&opts) {
            assert!(w.contains("no item count") && w.contains("an n column") && !w.contains("population"), "{w}");
        }
    }

    #[test]
    fn a_chain_apart_is_named_in_the_r_hat_warning() {
        let apart = crate::diagnostics::ChainApart {
            chain: 3,
            rhat_without: 1.0398,
            median: 0.32811,
            others_median: (0.5791, 0.84697),
        };
        let fit = FitDiagnostics {
            rhat_max: 1.234,
            worst_rhat: "midpoint_scale".into(),
            chain_apart: Some(apart),
            ..with_divergences(0)
        };
        let w = fit.warnings(&NutsOptions::default());
        assert!(
            w[0].contains(
                "Chain 3 sits apart from the others (median 0.328 against 0.579–0.847; without it R-hat is 1.040)"
            ),
            "{w:?}"
        );
        assert!(w[0].contains("Run longer"), "{w:?}");
        let none = FitDiagnostics { chain_apart: None, ..fit };
        assert!(!none.warnings(&NutsOptions::default())[0].contains("apart"));
        assert_eq!(super::significant(12.345), "12.3");
        assert_eq!(super::significant(-0.0012345), "-0.00123");
        assert_eq!(super::significant(1234.4), "1234");
    }

    #[test]
    fn an_r_hat_just_above_the_threshold_does_not_print_as_the_threshold() {
        let warn = |rhat_max| FitDiagnostics { rhat_max, ..with_divergences(0) }.warnings(&NutsOptions::default());
        assert!(warn(1.0104)[0].starts_with("R-hat is 1.0104 for floor.1"), "{:?}", warn(1.0104));
        assert!(warn(1.0132)[0].starts_with("R-hat is 1.013 for"), "{:?}", warn(1.0132));
        assert!(warn(1.0099).is_empty());
        assert_eq!(super::format_rhat(1.0104), "1.0104");
        assert_eq!(super::format_rhat(1.0099), "1.010");
        assert_eq!(super::format_rhat(1.2), "1.200");
    }

    #[test]
    fn a_task_is_judged_by_its_own_parameters() {
        let names: Vec<String> = [
            "midpoint_scale",
            "floor.1",
            "floor.2",
            "ceiling.1",
            "ceiling.2",
            "midpoint.1",
            "midpoint.2",
            "slope.1",
            "slope.12",
        ]
        .map(String::from)
        .into();
        let rhats = [1.05, 1.001, 1.002, 1.003, f64::NAN, 1.004, 1.02, 1.009, 1.3];
        let columns: Vec<ParamDiagnostics> = rhats
            .iter()
            .map(|&rhat| ParamDiagnostics {
                mean: 0.0,
                sd: 1.0,
                rhat,
                ess_bulk: 500.0,
                ess_tail: 500.0,
                mcse_mean: 0.05,
            })
            .collect();
        // the population scale's 1.05 and slope.12's 1.3 belong to no task here
        assert_eq!(super::task_rhat(&names, &columns, 0), 1.009);
        // midpoint.2, and a NaN (a constant column) ignored
        assert_eq!(super::task_rhat(&names, &columns, 1), 1.02);
        assert_eq!(super::task_rhat(&names, &columns, 11), 1.3);
        assert_eq!(super::task_rhat(&names, &columns, 5), 1.0);
    }

    #[test]
    fn worst_columns_name_their_task_or_model() {
        let tasks = ["opt/arc_easy".to_string(), "opt/logiqa".to_string()];
        let models = ["opt-125m".to_string()];
        assert_eq!(super::with_owner("midpoint.2", &tasks, &models), "midpoint.2 (opt/logiqa)");
        assert_eq!(super::with_owner("floor.1", &tasks, &models), "floor.1 (opt/arc_easy)");
        assert_eq!(super::with_owner("model_shift.1", &tasks, &models), "model_shift.1 (opt-125m)");
        assert_eq!(super::with_owner("slope_scale", &tasks, &models), "slope_scale");
        assert_eq!(super::with_owner("floor.9", &tasks, &models), "floor.9");
        assert_eq!(super::with_owner("floor.0", &tasks, &models), "floor.0");
    }

    #[test]
    fn divergence_advice_raises_the_target_the_fit_used() {
        let opts = |target_accept, walnuts| NutsOptions { target_accept, walnuts, ..NutsOptions::default() };
        assert!(with_divergences(0).warnings(&opts(0.95, false)).is_empty());
        let advice = |target, walnuts| with_divergences(2).warnings(&opts(target, walnuts)).join(" ");
        assert!(advice(0.8, false).contains("--target-accept 0.90"), "{}", advice(0.8, false));
        assert!(advice(0.95, false).contains("--target-accept 0.98"), "{}", advice(0.95, false));
        assert!(advice(0.96, false).contains("--target-accept 0.98"), "{}", advice(0.96, false));
        assert!(advice(0.98, true).contains("--target-accept 0.99"), "{}", advice(0.98, true));
        assert!(!advice(0.99, false).contains("--target-accept"), "{}", advice(0.99, false));
        // plain NUTS is pointed to WALNUTS; a WALNUTS fit is not pointed to itself
        assert!(advice(0.96, false).contains("--sampler walnuts"), "{}", advice(0.96, false));
        assert!(advice(0.99, false).contains("--sampler walnuts"), "{}", advice(0.99, false));
        assert!(!advice(0.96, true).contains("--sampler walnuts"), "{}", advice(0.96, true));
        assert!(advice(0.99, true).contains("tighter priors"), "{}", advice(0.99, true));
    }
}
