//! NUTS sampling with nuts-rs: chains in parallel, seeded, with per-draw sampler statistics.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use nuts_rs::{
    Chain, CpuLogpFunc, CpuMath, CpuMathError, DiagNutsSettings, FlowNutsSettings, HasDims, KineticEnergyKind,
    LogpError, Settings, StepSizeAdaptMethod, WalnutsOptions,
};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Uniform};

use crate::density::{DensityError, LogDensity};
use crate::error::{Error, Result};

/// The default target acceptance with WALNUTS, and with plain NUTS (docs/sampling.md: over
/// 42 fits of five ladders WALNUTS at 0.98 took 7% less wall time than plain NUTS at 0.96, and
/// diverged in none of them against 19).
pub const WALNUTS_TARGET_ACCEPT: f64 = 0.98;
pub const NUTS_TARGET_ACCEPT: f64 = 0.96;

/// Sampler settings.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct NutsOptions {
    pub chains: usize,
    pub warmup: u64,
    pub draws: u64,
    pub seed: u64,
    pub max_depth: u64,
    /// Target acceptance rate of the step size adaptation.
    pub target_accept: f64,
    /// Initial values are the given point plus uniform(−jitter, jitter) per coordinate.
    pub jitter: f64,
    /// Iterations per chain of the pilot that opens the warm-up and chooses how each task's
    /// parameters are held ([`crate::model::Pin`], see [`crate::fit::fit_nuts`]); 0, or a
    /// warm-up shorter than twice this, samples the model non-centred throughout.
    #[serde(default)]
    pub pilot: u64,
    /// WALNUTS (nuts-rs's within-orbit adaptive NUTS, the default): a leapfrog step whose energy
    /// error exceeds 0.5 is split into 2, 4, … 256 smaller steps instead of ending the trajectory
    /// as a divergence. False: plain NUTS (and fits saved before WALNUTS was the default).
    #[serde(default)]
    pub walnuts: bool,
    /// How many times a fit whose R-hat is above 1.01 or bulk ESS below 400 after its draws
    /// goes on for half as many draws again (the chains continue where they stopped, with the
    /// warm-up's step size and mass matrix), checking again after each; 0 never does. Beyond
    /// [`crate::fit::EXTENSIONS_ANY`] of them, only a near miss goes on.
    #[serde(default)]
    pub extend: u64,
    /// 0: each draw's trajectory ends at NUTS's U-turn. D > 0: after the warm-up (which stays
    /// NUTS) every draw's trajectory is exactly 2^D leapfrog steps, without the U-turn check
    /// (WALNUTS may still end one early, at a split step it cannot reverse), with the step
    /// size and mass matrix the warm-up left. See docs/sampling.md, "Fixed-length draws".
    #[serde(default)]
    pub draw_depth: u64,
}

impl NutsOptions {
    /// The sampler's name as the draws' header gives it: `walnuts` or `nuts`.
    pub fn engine(&self) -> &'static str {
        if self.walnuts { "walnuts" } else { "nuts" }
    }

    /// The draws' length for a summary line: nothing for NUTS's own, " of 2^D steps" when fixed.
    pub fn draw_length(&self) -> String {
        if self.draw_depth == 0 { String::new() } else { format!(" of 2^{} steps", self.draw_depth) }
    }
}

impl Default for NutsOptions {
    fn default() -> Self {
        NutsOptions {
            chains: 4,
            warmup: 1000,
            draws: 1000,
            seed: 1,
            max_depth: 10,
            target_accept: WALNUTS_TARGET_ACCEPT,
            jitter: 0.5,
            pilot: 150,
            walnuts: true,
            extend: 8,
            draw_depth: 0,
        }
    }
}

/// Statistics of one draw, as CmdStan names them.
#[derive(Debug, Clone, Copy, Default)]
pub struct DrawStats {
    pub lp: f64,
    pub accept_stat: f64,
    pub stepsize: f64,
    pub treedepth: u64,
    /// Gradient evaluations of the draw (with WALNUTS every micro step, kept or not).
    pub n_leapfrog: u64,
    pub divergent: bool,
    pub energy: f64,
    pub max_depth_hit: bool,
}

/// The draws of one chain (after warm-up), unconstrained.
#[derive(Debug, Clone, Default)]
pub struct ChainDraws {
    pub positions: Vec<Vec<f64>>,
    pub stats: Vec<DrawStats>,
}

/// All chains plus timing.
#[derive(Debug, Clone)]
pub struct Samples {
    pub chains: Vec<ChainDraws>,
    /// Wall seconds of warm-up plus draws for all chains (not counting the time `more`
    /// took to decide, in [`sample`]).
    pub seconds: f64,
}

#[derive(Debug, thiserror::Error)]
enum Recoverable {
    #[error("{0}")]
    Density(DensityError),
}

impl LogpError for Recoverable {
    fn is_recoverable(&self) -> bool {
        true
    }
}

struct Target<D: LogDensity + Send + Sync + 'static> {
    density: Arc<D>,
    /// The map the chains with fixed-length draws sample in (the warm-up's mass matrix).
    scaling: Option<Scaling>,
}

/// A diagonal affine map between the density's coordinates x and the sampler's y:
/// y = (x − mean) / stds, as nuts-rs's diagonal mass matrix holds it. A chain that draws with
/// fixed-length trajectories gets the one its warm-up ended with, unchanged from then on.
#[derive(Debug, Clone)]
struct Scaling {
    mean: Vec<f64>,
    stds: Vec<f64>,
    /// Σ ln(1/stds), the log determinant nuts-rs's mass matrix reports.
    logdet: f64,
}

impl Scaling {
    fn new(mean: Vec<f64>, stds: Vec<f64>) -> Scaling {
        let logdet = stds.iter().map(|s| -s.ln()).sum();
        Scaling { mean, stds, logdet }
    }

    fn position_to_sampler(&self, x: &[f64], y: &mut [f64]) {
        for i in 0..x.len() {
            y[i] = (x[i] - self.mean[i]) / self.stds[i];
        }
    }

    fn position_from_sampler(&self, y: &[f64], x: &mut [f64]) {
        for i in 0..y.len() {
            x[i] = self.mean[i] + self.stds[i] * y[i];
        }
    }

    /// The gradient in y from the gradient in x.
    fn gradient_to_sampler(&self, gx: &[f64], gy: &mut [f64]) {
        for i in 0..gx.len() {
            gy[i] = gx[i] * self.stds[i];
        }
    }
}

/// nuts-rs's soft clipping of a gradient: a component beyond a tenth of `clip` becomes
/// clip·asinh(g/clip).
fn soft_clip(grad: &mut [f64], clip: Option<f64>) {
    if let Some(c) = clip {
        for g in grad.iter_mut().filter(|g| g.abs() > 0.1 * c) {
            *g = c * (*g / c).asinh();
        }
    }
}

impl<D: LogDensity + Send + Sync + 'static> HasDims for Target<D> {
    fn dim_sizes(&self) -> HashMap<String, u64> {
        HashMap::from([("unconstrained_parameter".to_string(), self.density.dim() as u64)])
    }
}

impl<D: LogDensity + Send + Sync + 'static> CpuLogpFunc for Target<D> {
    type LogpError = Recoverable;
    type FlowParameters = Scaling;
    type ExpandedVector = Vec<f64>;

    fn dim(&self) -> usize {
        self.density.dim()
    }

    fn logp(&mut self, position: &[f64], grad: &mut [f64]) -> Result<f64, Recoverable> {
        self.density.logp_grad(position, grad).map_err(Recoverable::Density)
    }

    fn expand_vector<R: rand::Rng + ?Sized>(&mut self, _rng: &mut R, _array: &[f64]) -> Result<Vec<f64>, CpuMathError> {
        Ok(Vec::new())
    }

    // The "flow" nuts-rs lets a density supply is here only the fixed diagonal map of a chain
    // that draws with fixed-length trajectories: it is never trained (no tuning).

    fn inv_transform_normalize(
        &mut self,
        params: &Scaling,
        x: &[f64],
        gx: &[f64],
        y: &mut [f64],
        gy: &mut [f64],
    ) -> Result<f64, Recoverable> {
        params.position_to_sampler(x, y);
        params.gradient_to_sampler(gx, gy);
        Ok(params.logdet)
    }

    fn init_from_untransformed_position(
        &mut self,
        params: &Scaling,
        x: &[f64],
        gx: &mut [f64],
        y: &mut [f64],
        gy: &mut [f64],
        clip: Option<f64>,
    ) -> Result<(f64, f64), Recoverable> {
        let lp = self.logp(x, gx)?;
        soft_clip(gx, clip);
        params.position_to_sampler(x, y);
        params.gradient_to_sampler(gx, gy);
        Ok((lp, params.logdet))
    }

    fn init_from_transformed_position(
        &mut self,
        params: &Scaling,
        x: &mut [f64],
        gx: &mut [f64],
        y: &[f64],
        gy: &mut [f64],
        clip: Option<f64>,
    ) -> Result<(f64, f64), Recoverable> {
        params.position_from_sampler(y, x);
        let lp = self.logp(x, gx)?;
        soft_clip(gx, clip);
        params.gradient_to_sampler(gx, gy);
        Ok((lp, params.logdet))
    }

    fn update_transformation<'a, R: rand::Rng + ?Sized>(
        &'a mut self,
        _rng: &mut R,
        _positions: impl ExactSizeIterator<Item = &'a [f64]>,
        _gradients: impl ExactSizeIterator<Item = &'a [f64]>,
        _logps: impl ExactSizeIterator<Item = &'a f64>,
        _params: &'a mut Scaling,
    ) -> Result<(), Recoverable> {
        Ok(())
    }

    fn init_transformation<R: rand::Rng + ?Sized>(
        &mut self,
        rng: &mut R,
        _x: &[f64],
        _gx: &[f64],
        chain: u64,
    ) -> Result<Scaling, Recoverable> {
        self.new_transformation(rng, self.density.dim(), chain)
    }

    fn new_transformation<R: rand::Rng + ?Sized>(
        &mut self,
        _rng: &mut R,
        dim: usize,
        _chain: u64,
    ) -> Result<Scaling, Recoverable> {
        Ok(self.scaling.clone().unwrap_or_else(|| Scaling::new(vec![0.0; dim], vec![1.0; dim])))
    }

    fn transformation_id(&self, _params: &Scaling) -> Result<i64, Recoverable> {
        Ok(0)
    }
}

/// Progress reporting: called with the number of iterations done over all chains.
pub trait Progress: Sync {
    fn update(&self, done: u64);
    /// The run grew by this many iterations (over all chains).
    fn extend(&self, _more: u64) {}
}

impl Progress for () {
    fn update(&self, _: u64) {}
}

/// Sample with NUTS, chain c from `inits[c % inits.len()]` jittered. Chains run in parallel; chain c uses the
/// seed `opts.seed` and its index, so draws do not depend on thread scheduling. `stop` is polled
/// between draws: when set, sampling ends with [`Error::Interrupted`].
///
/// After the draws `more` sees them and says how many further draws each chain takes from
/// where it stopped (the step size and mass matrix stay as the warm-up left them), until it
/// says 0. The same seed and the same answers from `more` give the same draws.
pub fn sample<D: LogDensity + Send + Sync + 'static>(
    density: Arc<D>,
    inits: &[Vec<f64>],
    opts: &NutsOptions,
    progress: &dyn Progress,
    stop: &AtomicBool,
    more: &dyn Fn(&[ChainDraws]) -> u64,
) -> Result<Samples> {
    if opts.chains == 0 || opts.draws < 4 || inits.is_empty() {
        return Err(Error::Usage("sampling needs at least one chain, four draws and a starting point".into()));
    }
    let start = Instant::now();
    let done = AtomicU64::new(0);
    // set by a chain that fails, so that the others stop too
    let abort = AtomicBool::new(false);
    let run = Run { progress, stop, abort: &abort, done: &done };
    // seconds spent in `more`, which are not sampling
    let mut deciding = 0.0;
    // Each chain lives on its own thread (nuts-rs's chains cannot move between threads) and
    // hands its draws over after each stretch; between stretches `more` sees all of them.
    let outs = std::thread::scope(|scope| -> Result<Vec<ChainDraws>> {
        let mut links = Vec::with_capacity(opts.chains);
        for c in 0..opts.chains {
            let (to_main, from_chain) = std::sync::mpsc::channel::<Result<ChainDraws>>();
            let (to_chain, from_main) = std::sync::mpsc::channel::<(u64, ChainDraws)>();
            let (run, density) = (&run, density.clone());
            let init = &inits[c % inits.len()];
            scope.spawn(move || {
                let mut out = ChainDraws {
                    positions: Vec::with_capacity(opts.draws as usize),
                    stats: Vec::with_capacity(opts.draws as usize),
                };
                let (mut skip, mut keep) = (opts.warmup, opts.draws);
                let started = start_chain(density, init, opts, c).and_then(|mut chain| {
                    if opts.draw_depth > 0 {
                        // the warm-up, then a chain that draws in the scaling it ended with
                        run.draws(&mut chain, c, skip, 0, &mut out)?;
                        skip = 0;
                        chain = chain.fixed(opts, c)?;
                    }
                    Ok(chain)
                });
                let mut chain = match started {
                    Ok(chain) => chain,
                    Err(e) => {
                        run.abort.store(true, Ordering::Relaxed);
                        return drop(to_main.send(Err(e)));
                    }
                };
                loop {
                    let result = run.draws(&mut chain, c, skip, keep, &mut out).map(|()| std::mem::take(&mut out));
                    if result.is_err() {
                        run.abort.store(true, Ordering::Relaxed);
                    }
                    if to_main.send(result).is_err() {
                        return;
                    }
                    match from_main.recv() {
                        Ok((extra, back)) if extra > 0 => (skip, keep, out) = (0, extra, back),
                        _ => return,
                    }
                }
            });
            links.push((from_chain, to_chain));
        }
        loop {
            let mut outs = Vec::with_capacity(opts.chains);
            let mut failed: Option<Error> = None;
            for (c, (from_chain, _)) in links.iter().enumerate() {
                let e = match from_chain.recv() {
                    Ok(Ok(out)) => {
                        outs.push(out);
                        continue;
                    }
                    Ok(Err(e)) => e,
                    Err(_) => Error::Fit(format!("chain {} stopped", c + 1)),
                };
                // the failure itself rather than the stops it caused in the other chains
                if failed.as_ref().is_none_or(|f| matches!(f, Error::Interrupted)) {
                    failed = Some(e);
                }
            }
            if let Some(e) = failed {
                // dropping the links ends the chains
                return Err(e);
            }
            let asked = Instant::now();
            let extra = more(&outs);
            deciding += asked.elapsed().as_secs_f64();
            if extra == 0 {
                return Ok(outs);
            }
            progress.extend(opts.chains as u64 * extra);
            for ((_, to_chain), out) in links.iter().zip(outs) {
                let _ = to_chain.send((extra, out));
            }
        }
    })?;
    progress.update(done.load(Ordering::Relaxed));
    Ok(Samples { chains: outs, seconds: start.elapsed().as_secs_f64() - deciding })
}

/// The seed of chain `c`'s random numbers.
fn chain_seed(opts: &NutsOptions, c: usize) -> u64 {
    opts.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(c as u64)
}

/// Chain `c`, seeded from `opts.seed` and its index, at `init` plus jitter (a jittered point
/// with a finite density; the given point when twenty tries found none).
fn start_chain<D: LogDensity + Send + Sync + 'static>(
    density: Arc<D>,
    init: &[f64],
    opts: &NutsOptions,
    c: usize,
) -> Result<Drawing<D>> {
    let mut settings = nuts_settings(opts);
    // a chain that goes on to fixed-length draws takes the mass matrix with it
    settings.adapt_options.mass_matrix_options.store_mass_matrix = opts.draw_depth > 0;
    let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(opts, c));
    let math = CpuMath::new(Target { density: density.clone(), scaling: None });
    let mut chain =
        settings.new_chain(c as u64, math, &mut rng).map_err(|e| Error::Fit(format!("sampler settings: {e}")))?;
    let jitter = Uniform::new_inclusive(-opts.jitter, opts.jitter).map_err(|e| Error::Fit(e.to_string()))?;
    let mut grad = vec![0.0; init.len()];
    let mut start_at = init.to_vec();
    for _ in 0..20 {
        let cand: Vec<f64> = init.iter().map(|v| v + jitter.sample(&mut rng)).collect();
        if density.logp_grad(&cand, &mut grad).is_ok() {
            start_at = cand;
            break;
        }
    }
    chain.set_position(&start_at).map_err(|e| Error::Fit(format!("cannot start chain {}: {e}", c + 1)))?;
    Ok(Drawing::Nuts { chain: Box::new(chain), density, scaling: None, step: f64::NAN, last: start_at.into() })
}

/// A chain of the sampler [`nuts_settings`] makes.
type ChainOf<D> = <DiagNutsSettings as Settings>::Chain<CpuMath<Target<D>>>;
/// A chain of fixed-length draws ([`Drawing::fixed`]).
type FixedChainOf<D> = <FlowNutsSettings as Settings>::Chain<CpuMath<Target<D>>>;

/// One chain as it draws: NUTS (the warm-up, and the draws unless `draw_depth` is set), or
/// fixed-length trajectories in the step size and scaling a NUTS warm-up ended with.
enum Drawing<D: LogDensity + Send + Sync + 'static> {
    Nuts {
        chain: Box<ChainOf<D>>,
        density: Arc<D>,
        /// The mass matrix as the chain's last update left it, its last adapted step size, and
        /// its last position.
        scaling: Option<Scaling>,
        step: f64,
        last: Box<[f64]>,
    },
    Fixed(Box<FixedChainOf<D>>),
}

/// A draw's statistics from nuts-rs's (the same fields for either kind of chain).
macro_rules! draw_stats {
    ($stats:expr, $prog:expr, $max_depth_hit:expr) => {
        DrawStats {
            lp: $stats.point.logp,
            accept_stat: $stats.adapt.step_size.mean_tree_accept,
            stepsize: $prog.step_size,
            treedepth: $stats.depth,
            n_leapfrog: $prog.num_gradients,
            divergent: $prog.diverging,
            energy: $stats.point.energy,
            max_depth_hit: $max_depth_hit,
        }
    };
}

impl<D: LogDensity + Send + Sync + 'static> Drawing<D> {
    /// The next iteration: its position and statistics.
    fn next(&mut self) -> anyhow::Result<(Box<[f64]>, DrawStats)> {
        match self {
            Drawing::Nuts { chain, scaling, step, last, .. } => {
                let (pos, _, stats, prog) = chain.expanded_draw()?;
                let t = &stats.hamiltonian.transformation;
                if let (Some(stds), Some(mean)) = (&t.mass_matrix_inv, &t.transformation_mu) {
                    *scaling = Some(Scaling::new(mean.clone(), stds.clone()));
                }
                *step = stats.adapt.step_size.step_size_bar;
                last.clone_from(&pos);
                Ok((pos, draw_stats!(stats, prog, stats.maxdepth_reached)))
            }
            // every trajectory reaches its fixed depth: no sign of a step too small
            Drawing::Fixed(chain) => {
                let (pos, _, stats, prog) = chain.expanded_draw()?;
                Ok((pos, draw_stats!(stats, prog, false)))
            }
        }
    }

    /// After a NUTS warm-up: a chain that goes on from its last position with trajectories of
    /// exactly 2^`opts.draw_depth` steps, its step size fixed at the warm-up's and its mass
    /// matrix the warm-up's last, so that only the trajectories' length changes. (nuts-rs keeps
    /// one depth for a chain's whole life; a new chain that samples in the warm-up's scaling,
    /// through nuts-rs's interface for a map the density supplies, is how the draws get theirs.)
    fn fixed(self, opts: &NutsOptions, c: usize) -> Result<Drawing<D>> {
        let Drawing::Nuts { density, scaling, step, last, .. } = self else { return Ok(self) };
        let Some(scaling) = scaling.filter(|_| step.is_finite() && step > 0.0) else {
            return Err(Error::Usage("fixed-length draws (--draw-depth) need a warm-up to adapt to".into()));
        };
        let warm = nuts_settings(opts);
        let mut s = FlowNutsSettings {
            num_tune: 0,
            num_draws: opts.draws,
            maxdepth: opts.draw_depth,
            mindepth: opts.draw_depth,
            seed: opts.seed,
            num_chains: opts.chains,
            max_energy_error: warm.max_energy_error,
            gradient_clipping: warm.gradient_clipping,
            walnuts: warm.walnuts,
            trajectory_kind: KineticEnergyKind::Euclidean,
            ..FlowNutsSettings::default()
        };
        s.adapt_options.step_size_settings = warm.adapt_options.step_size_settings;
        s.adapt_options.step_size_settings.adapt_options.method = StepSizeAdaptMethod::Fixed(step);
        let mut rng = ChaCha8Rng::seed_from_u64(chain_seed(opts, c) ^ 0xD3A7_F1ED);
        let math = CpuMath::new(Target { density, scaling: Some(scaling) });
        let mut chain =
            s.new_chain(c as u64, math, &mut rng).map_err(|e| Error::Fit(format!("sampler settings: {e}")))?;
        chain.set_position(&last).map_err(|e| Error::Fit(format!("cannot go on with chain {}: {e}", c + 1)))?;
        Ok(Drawing::Fixed(Box::new(chain)))
    }
}

/// What the chains of one [`sample`] share: progress, the caller's stop flag, the flag a
/// failing chain sets to stop the others, and the count of iterations done.
struct Run<'a> {
    progress: &'a dyn Progress,
    stop: &'a AtomicBool,
    abort: &'a AtomicBool,
    done: &'a AtomicU64,
}

impl Run<'_> {
    /// `skip` iterations of chain `c` (warm-up), then `keep` draws into `out`.
    fn draws<D: LogDensity + Send + Sync + 'static>(
        &self,
        chain: &mut Drawing<D>,
        c: usize,
        skip: u64,
        keep: u64,
        out: &mut ChainDraws,
    ) -> Result<()> {
        for it in 0..skip + keep {
            if self.stop.load(Ordering::Relaxed) || self.abort.load(Ordering::Relaxed) {
                return Err(Error::Interrupted);
            }
            let (pos, stats) = chain.next().map_err(|e| Error::Fit(format!("chain {} failed: {e}", c + 1)))?;
            let n = self.done.fetch_add(1, Ordering::Relaxed) + 1;
            if n.is_multiple_of(50) {
                self.progress.update(n);
            }
            if it < skip {
                continue;
            }
            out.positions.push(pos.to_vec());
            out.stats.push(stats);
        }
        Ok(())
    }
}

/// nuts-rs settings from ours: a diagonal mass matrix estimated from the draws' variance, and
/// WALNUTS's step splitting when asked for.
fn nuts_settings(opts: &NutsOptions) -> DiagNutsSettings {
    let mut s = DiagNutsSettings {
        num_tune: opts.warmup,
        num_draws: opts.draws,
        maxdepth: opts.max_depth,
        seed: opts.seed,
        num_chains: opts.chains,
        ..DiagNutsSettings::default()
    };
    s.adapt_options.step_size_settings.target_accept = opts.target_accept;
    // the gradient-based estimate of the mass matrix mixes poorly on this model: chains stay in
    // the ceiling–midpoint ridge of tasks still at chance (R-hat 1.04, bulk ESS ~100 on OPT)
    s.adapt_options.mass_matrix_options.use_grad_based_estimate = false;
    if opts.walnuts {
        s.walnuts = Some(WalnutsOptions::default());
    }
    s
}
