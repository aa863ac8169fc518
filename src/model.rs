//! The S-curve model as a log density: priors from a [`ModelSpec`], data from [`FitData`].
//!
//! Unconstrained parameters, in order:
//! 1. population: for each curve parameter (floor, ceiling, midpoint, slope) its location (when
//!    not fixed) and log scale (when not fixed); then log φ (beta-binomial counts), log σ
//!    (scores without counts) and the log sd of the per-model effect, each when used;
//! 2. `z` per task for floor, ceiling, midpoint, slope (four blocks of T);
//! 3. `w` per evaluated model (when the per-model effect is on): shift_j = sd_model · w_j.
//!
//! Per task t: θ_k = base_k + location_k + scale_k · z_kt, where base is logit(chance) for the
//! floor and 0 otherwise; floor = logistic(θ_f), ceiling = floor + (1 − floor)·logistic(θ_g),
//! midpoint = θ_m, slope = exp(θ_s). Model j's effective x is x + shift_j.

use std::ops::Range;

use crate::curve::Curve;
use crate::data::FitData;
use crate::density::{DensityError, LogDensity};
use crate::error::{Error, Result};
use crate::spec::{Likelihood, ModelSpec, Prior};
use crate::special::{ln_gamma, ln_gamma_digamma, ln_gamma_digamma_many, logistic, logistic_pair, logit};

/// Chance levels are clipped to this range before taking logits (as the Stan reference does).
pub const CHANCE_CLIP: (f64, f64) = (1e-3, 0.999);

/// Index of a population parameter in the unconstrained vector, or its fixed value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Slot {
    Free(usize),
    Fixed(f64),
}

/// Where everything lives in the unconstrained vector.
#[derive(Debug, Clone)]
pub struct Layout {
    pub location: [Slot; 4],
    /// For a free scale the slot holds log(scale).
    pub log_scale: [Slot; 4],
    pub log_phi: Option<Slot>,
    pub log_sigma: Option<Slot>,
    pub log_model_sd: Option<Slot>,
    /// Start of the z blocks: z_k,t at `z_start + k·T + t`.
    pub z_start: usize,
    /// Start of the per-model w (when the effect is on).
    pub w_start: Option<usize>,
    pub n_tasks: usize,
    pub n_models: usize,
    pub dim: usize,
}

/// The model: a spec applied to data.
#[derive(Debug, Clone)]
pub struct CurveModel {
    pub spec: ModelSpec,
    pub data: FitData,
    pub layout: Layout,
    ranges: Vec<Range<usize>>,
    base_floor: Vec<f64>,
    lchoose: Vec<f64>,
    logit_score: Vec<f64>,
    /// Centring λ of each task's curve parameters, at `k·T + t` (0 = non-centred, 1 = centred).
    centring: Vec<f64>,
    /// Every observation is a count under the beta-binomial: the likelihood runs in batches.
    batch_beta_binomial: bool,
}

/// One draw in constrained terms.
#[derive(Debug, Clone)]
pub struct Constrained {
    pub curves: Vec<Curve>,
    /// Per curve parameter: (location, scale).
    pub population: [(f64, f64); 4],
    pub phi: Option<f64>,
    pub sigma: Option<f64>,
    pub model_sd: Option<f64>,
    /// Per evaluated model: shift of effective log size.
    pub model_shift: Vec<f64>,
}

impl CurveModel {
    /// Build the model; observations must be grouped by task (as [`FitData::build`] makes them).
    pub fn new(spec: ModelSpec, data: FitData) -> Result<Self> {
        let t = data.series.len();
        let mut ranges = Vec::with_capacity(t);
        let mut start = 0;
        for task in 0..t {
            let mut end = start;
            while end < data.len() && data.task[end] == task {
                end += 1;
            }
            if end == start {
                return Err(Error::Fit(format!("task '{}' has no observations", data.series[task])));
            }
            ranges.push(start..end);
            start = end;
        }
        if start != data.len() {
            return Err(Error::Fit("observations are not grouped by task".into()));
        }
        let has_counts = data.n.iter().any(|&n| n > 0);
        let has_scores = data.n.contains(&0);
        let mut next = 0;
        let mut slot = |p: &Prior, log: bool| match *p {
            Prior::Fixed(v) => Slot::Fixed(if log { v.ln() } else { v }),
            _ => {
                next += 1;
                Slot::Free(next - 1)
            }
        };
        let mut location = [Slot::Fixed(0.0); 4];
        let mut log_scale = [Slot::Fixed(0.0); 4];
        for k in 0..4 {
            location[k] = slot(&spec.blocks[k].location, false);
            log_scale[k] = slot(&spec.blocks[k].scale, true);
        }
        let log_phi =
            (has_counts && spec.likelihood == Likelihood::BetaBinomial).then(|| slot(&spec.concentration, false));
        let log_sigma = has_scores.then(|| slot(&spec.noise, false));
        let log_model_sd = spec.model_effect.then(|| slot(&spec.model_effect_scale, true));
        let z_start = next;
        let mut dim = z_start + 4 * t;
        let w_start = spec.model_effect.then(|| {
            dim += data.models.len();
            z_start + 4 * t
        });
        let layout = Layout {
            location,
            log_scale,
            log_phi,
            log_sigma,
            log_model_sd,
            z_start,
            w_start,
            n_tasks: t,
            n_models: data.models.len(),
            dim,
        };
        let base_floor = data.chance.iter().map(|&c| logit(c.clamp(CHANCE_CLIP.0, CHANCE_CLIP.1))).collect();
        let lchoose = (0..data.len())
            .map(|i| {
                let (y, n) = (data.y[i] as f64, data.n[i] as f64);
                if data.n[i] > 0 { ln_gamma(n + 1.0) - ln_gamma(y + 1.0) - ln_gamma(n - y + 1.0) } else { 0.0 }
            })
            .collect();
        let logit_score = data.score.iter().map(|&s| logit(s.clamp(1e-4, 1.0 - 1e-4))).collect();
        let centring = vec![0.0; 4 * t];
        let batch_beta_binomial = spec.likelihood == Likelihood::BetaBinomial && !has_scores;
        Ok(CurveModel { spec, data, layout, ranges, base_floor, lchoose, logit_score, centring, batch_beta_binomial })
    }

    /// θ of task t (the floor without its chance base): location + a·(z − λ·location) with
    /// a = scale^(1−λ), which is location + scale · z when non-centred (λ = 0) and z itself when
    /// centred (λ = 1). Returns θ and a.
    #[inline]
    fn theta(
        &self,
        t: usize,
        x: &[f64],
        loc: &[f64; 4],
        scale: &[f64; 4],
        log_scale: &[f64; 4],
    ) -> ([f64; 4], [f64; 4]) {
        let t_n = self.layout.n_tasks;
        let lam: [f64; 4] = std::array::from_fn(|k| self.centring[k * t_n + t]);
        let a: [f64; 4] =
            std::array::from_fn(|k| if lam[k] == 0.0 { scale[k] } else { ((1.0 - lam[k]) * log_scale[k]).exp() });
        let th = std::array::from_fn(|k| loc[k] + a[k] * (x[self.layout.z_start + k * t_n + t] - lam[k] * loc[k]));
        (th, a)
    }

    #[inline]
    fn get(slot: Slot, x: &[f64]) -> f64 {
        match slot {
            Slot::Free(i) => x[i],
            Slot::Fixed(v) => v,
        }
    }

    /// The constrained values of a position.
    pub fn constrain(&self, x: &[f64]) -> Constrained {
        let l = &self.layout;
        let population: [(f64, f64); 4] =
            std::array::from_fn(|k| (Self::get(l.location[k], x), Self::get(l.log_scale[k], x).exp()));
        let t = l.n_tasks;
        let loc: [f64; 4] = std::array::from_fn(|k| population[k].0);
        let scale: [f64; 4] = std::array::from_fn(|k| population[k].1);
        let log_scale: [f64; 4] = std::array::from_fn(|k| Self::get(l.log_scale[k], x));
        let curves = (0..t)
            .map(|task| {
                let (th, _) = self.theta(task, x, &loc, &scale, &log_scale);
                let floor = logistic(self.base_floor[task] + th[0]);
                let ceiling = floor + (1.0 - floor) * logistic(th[1]);
                Curve { floor, ceiling, midpoint: th[2], slope: th[3].exp() }
            })
            .collect();
        let model_sd = l.log_model_sd.map(|s| Self::get(s, x).exp());
        let model_shift = match (l.w_start, model_sd) {
            (Some(w), Some(sd)) => x[w..w + l.n_models].iter().map(|v| sd * v).collect(),
            _ => vec![0.0; l.n_models],
        };
        Constrained {
            curves,
            population,
            phi: l.log_phi.map(|s| Self::get(s, x).exp()),
            sigma: l.log_sigma.map(|s| Self::get(s, x).exp()),
            model_sd,
            model_shift,
        }
    }

    /// The unconstrained position (with w = 0) that gives these curves and population values;
    /// used for initial values. Population values that are fixed are ignored.
    pub fn unconstrain(&self, curves: &[Curve], population: [(f64, f64); 4], phi: f64) -> Vec<f64> {
        let l = &self.layout;
        let mut x = vec![0.0; l.dim];
        for (k, pop) in population.iter().enumerate() {
            if let Slot::Free(i) = l.location[k] {
                x[i] = pop.0;
            }
            if let Slot::Free(i) = l.log_scale[k] {
                x[i] = pop.1.max(1e-3).ln();
            }
        }
        if let Some(Slot::Free(i)) = l.log_phi {
            x[i] = phi.ln();
        }
        if let Some(Slot::Free(i)) = l.log_sigma {
            x[i] = -3.0;
        }
        if let Some(Slot::Free(i)) = l.log_model_sd {
            x[i] = (0.05f64).ln();
        }
        let t = l.n_tasks;
        for (task, c) in curves.iter().enumerate() {
            let fl = c.floor.clamp(1e-6, 1.0 - 1e-6);
            let room = ((c.ceiling - fl) / (1.0 - fl)).clamp(1e-6, 1.0 - 1e-6);
            let theta = [logit(fl) - self.base_floor[task], logit(room), c.midpoint, c.slope.max(1e-6).ln()];
            for k in 0..4 {
                let (loc, scale) = (Self::get(l.location[k], &x), Self::get(l.log_scale[k], &x).exp());
                x[l.z_start + k * t + task] = z_of(theta[k], loc, scale, self.centring[k * t + task]);
            }
        }
        x
    }

    /// θ of every task (floor without its chance base) and the population scales at `x`.
    pub fn thetas(&self, x: &[f64]) -> (Vec<[f64; 4]>, [f64; 4]) {
        let l = &self.layout;
        let loc: [f64; 4] = std::array::from_fn(|k| Self::get(l.location[k], x));
        let log_scale: [f64; 4] = std::array::from_fn(|k| Self::get(l.log_scale[k], x));
        let scale = log_scale.map(f64::exp);
        ((0..l.n_tasks).map(|t| self.theta(t, x, &loc, &scale, &log_scale).0).collect(), scale)
    }

    /// The centring λ of each task's curve parameters, at `k·T + t` (all 0 unless set).
    pub fn centring(&self) -> &[f64] {
        &self.centring
    }

    /// The position `x` (under the current centring) as the same point under the centring
    /// `lambda` (values in [0, 1], at `k·T + t`). The posterior is the same under every
    /// centring; only its shape in the sampler's coordinates changes.
    pub fn recentred(&self, lambda: &[f64], x: &[f64]) -> Vec<f64> {
        assert_eq!(lambda.len(), self.centring.len(), "one centring per task and curve parameter");
        let l = &self.layout;
        let t_n = l.n_tasks;
        let (thetas, scale) = self.thetas(x);
        let loc: [f64; 4] = std::array::from_fn(|k| Self::get(l.location[k], x));
        let mut out = x.to_vec();
        for (t, th) in thetas.iter().enumerate() {
            for k in 0..4 {
                out[l.z_start + k * t_n + t] = z_of(th[k], loc[k], scale[k], lambda[k * t_n + t]);
            }
        }
        out
    }

    /// Sample in the centring `lambda` from now on (values in [0, 1], at `k·T + t`); convert
    /// positions with [`Self::recentred`] first.
    pub fn set_centring(&mut self, lambda: Vec<f64>) {
        assert_eq!(lambda.len(), self.centring.len(), "one centring per task and curve parameter");
        assert!(lambda.iter().all(|v| (0.0..=1.0).contains(v)), "centring outside [0, 1]");
        self.centring = lambda;
    }

    /// A centring chosen from draws of the posterior: with r the posterior sd of a task's θ over
    /// a population scale τ, λ = 1 − r² (clamped to [0, 1]). In a normal–normal model that is
    /// the share of the posterior precision that comes from the data, the centring under which
    /// the task's parameter and the population are independent: tasks the data pin down are
    /// sampled centred, tasks still at chance non-centred, everything between partly centred.
    /// τ is taken one sd below the mean of log τ: a centred task is a funnel when τ runs small,
    /// so a τ that is poorly known leans the choice to non-centred. Fewer than two draws give
    /// the non-centred form.
    pub fn centring_from_draws<'a>(&self, draws: impl IntoIterator<Item = &'a [f64]>) -> Vec<f64> {
        let t_n = self.layout.n_tasks;
        let mut sum = vec![0.0; 4 * t_n];
        let mut sum_sq = vec![0.0; 4 * t_n];
        let mut log_tau = [0.0; 4];
        let mut log_tau_sq = [0.0; 4];
        let mut n = 0.0;
        for x in draws {
            let (thetas, scale) = self.thetas(x);
            for (t, th) in thetas.iter().enumerate() {
                for k in 0..4 {
                    sum[k * t_n + t] += th[k];
                    sum_sq[k * t_n + t] += th[k] * th[k];
                }
            }
            for k in 0..4 {
                log_tau[k] += scale[k].ln();
                log_tau_sq[k] += scale[k].ln().powi(2);
            }
            n += 1.0;
        }
        if n < 2.0 {
            return vec![0.0; 4 * t_n];
        }
        let var = |s: f64, s2: f64| ((s2 / n - (s / n).powi(2)) * n / (n - 1.0)).max(0.0);
        let tau: [f64; 4] = std::array::from_fn(|k| (log_tau[k] / n - var(log_tau[k], log_tau_sq[k]).sqrt()).exp());
        (0..4 * t_n)
            .map(|i| {
                let lam = 1.0 - var(sum[i], sum_sq[i]) / tau[i / t_n].powi(2);
                if lam.is_finite() { lam.clamp(0.0, 1.0) } else { 0.0 }
            })
            .collect()
    }

    /// Log-likelihood of observation `i` given its probability p (and q = 1 − p), with
    /// d/dp and d/d(log φ or log σ).
    #[inline]
    fn obs_loglik(&self, i: usize, p: f64, q: f64, noise: &Noise, total: &mut TotalTerm) -> (f64, f64, f64) {
        let sigma = noise.sigma;
        let n = self.data.n[i];
        if n == 0 {
            let r = self.logit_score[i];
            let lp = (p / q).ln();
            let e = (r - lp) / sigma;
            let ll = -0.5 * e * e - sigma.ln() - 0.918_938_533_204_672_8;
            return (ll, e / sigma / (p * q), e * e - 1.0);
        }
        let y = self.data.y[i] as f64;
        let nf = n as f64;
        match self.spec.likelihood {
            Likelihood::Binomial => {
                let ll = self.lchoose[i] + y * p.ln() + (nf - y) * q.ln();
                (ll, y / p - (nf - y) / q, 0.0)
            }
            Likelihood::BetaBinomial => {
                let obs = ObsCurve { p, q, ..ObsCurve::default() };
                self.beta_binomial_chunk(i, &[obs], noise, total)[0]
            }
        }
    }
}

/// Observations per batch of the likelihood loop (a task's ladder usually fits in one).
const CHUNK: usize = 8;

/// The curve at one observation: u = slope·(x − midpoint), logistic(±u), p and 1 − p.
#[derive(Debug, Clone, Copy, Default)]
struct ObsCurve {
    u: f64,
    lu: f64,
    one_lu: f64,
    p: f64,
    q: f64,
}

impl CurveModel {
    /// Log-likelihood of the beta-binomial observations `start..start + obs.len()` with d/dp and
    /// d/d(log φ), as [`Self::obs_loglik`] returns them; their log-gamma and digamma terms are
    /// computed in one batch.
    #[inline]
    fn beta_binomial_chunk(
        &self,
        start: usize,
        obs: &[ObsCurve],
        noise: &Noise,
        total: &mut TotalTerm,
    ) -> [(f64, f64, f64); CHUNK] {
        let Noise { phi, psi_phi, lg_phi, .. } = *noise;
        let m = obs.len();
        // arguments y + a, a, n − y + b, b of observation j at j, m + j, 2m + j, 3m + j
        let mut arg = [0.0; 4 * CHUNK];
        for (j, o) in obs.iter().enumerate() {
            let (y, nf) = (self.data.y[start + j] as f64, self.data.n[start + j] as f64);
            let (a, b) = (o.p * phi, o.q * phi);
            arg[j] = y + a;
            arg[m + j] = a;
            arg[2 * m + j] = nf - y + b;
            arg[3 * m + j] = b;
        }
        let (mut lg, mut dg) = ([0.0; 4 * CHUNK], [0.0; 4 * CHUNK]);
        ln_gamma_digamma_many(&arg[..4 * m], &mut lg[..4 * m], &mut dg[..4 * m]);
        std::array::from_fn(|j| {
            if j >= m {
                return (0.0, 0.0, 0.0);
            }
            let n = self.data.n[start + j];
            if total.n != n {
                (total.lg, total.dg) = ln_gamma_digamma(n as f64 + phi);
                total.n = n;
            }
            let (p, q) = (obs[j].p, obs[j].q);
            let [ya, a, yb, b] = std::array::from_fn(|k| k * m + j);
            let ll = self.lchoose[start + j] + lg[ya] + lg[yb] - total.lg - lg[a] - lg[b] + lg_phi;
            let da = dg[ya] - dg[a];
            let db = dg[yb] - dg[b];
            (ll, phi * (da - db), phi * (p * da + q * db - total.dg + psi_phi))
        })
    }
}

/// The spread parameters of the likelihood at one position.
#[derive(Debug, Clone, Copy)]
struct Noise {
    /// Beta-binomial concentration, ψ(φ) and ln Γ(φ).
    phi: f64,
    psi_phi: f64,
    lg_phi: f64,
    /// Sd of logit(score) for score-only observations.
    sigma: f64,
}

/// ln Γ(n + φ) and ψ(n + φ) of the last item count seen: a task's models usually share n.
#[derive(Debug, Clone, Copy, Default)]
struct TotalTerm {
    n: u64,
    lg: f64,
    dg: f64,
}

/// The sampler's coordinate of a curve parameter θ under centring λ: the inverse of
/// θ = location + scale^(1−λ)·(z − λ·location).
fn z_of(theta: f64, location: f64, scale: f64, lambda: f64) -> f64 {
    lambda * location + (theta - location) / scale.powf(1.0 - lambda)
}

/// p and 1 − p of a curve at x, each computed without cancellation.
#[inline]
pub fn p_and_q(c: &Curve, x: f64) -> (f64, f64) {
    let u = c.slope * (x - c.midpoint);
    let l = logistic(u);
    let g = (c.ceiling - c.floor) / (1.0 - c.floor);
    let p = c.floor + (1.0 - c.floor) * g * l;
    let q = (1.0 - c.floor) * ((1.0 - g) + g * logistic(-u));
    (p, q)
}

impl LogDensity for CurveModel {
    fn dim(&self) -> usize {
        self.layout.dim
    }

    fn logp_grad(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        let l = &self.layout;
        let d = &self.data;
        let t_n = l.n_tasks;
        grad.fill(0.0);
        let mut lp = 0.0;
        // population priors
        let mut loc = [0.0; 4];
        let mut scale = [0.0; 4];
        let mut log_scale = [0.0; 4];
        for k in 0..4 {
            let b = &self.spec.blocks[k];
            loc[k] = Self::get(l.location[k], x);
            if let Slot::Free(i) = l.location[k] {
                let (v, dv) = b.location.logp(loc[k]);
                lp += v;
                grad[i] += dv;
            }
            let ls = Self::get(l.log_scale[k], x);
            log_scale[k] = ls;
            scale[k] = ls.exp();
            if let Slot::Free(i) = l.log_scale[k] {
                let (v, dv) = b.scale.logp(scale[k]);
                lp += v + ls;
                grad[i] += dv * scale[k] + 1.0;
            }
        }
        let log_phi = l.log_phi.map_or(0.0, |s| Self::get(s, x));
        if let Some(Slot::Free(i)) = l.log_phi {
            let (v, dv) = self.spec.concentration.logp(log_phi);
            lp += v;
            grad[i] += dv;
        }
        let phi = log_phi.exp();
        let (lg_phi, psi_phi) = if l.log_phi.is_some() { ln_gamma_digamma(phi) } else { (0.0, 0.0) };
        let log_sigma = l.log_sigma.map_or(0.0, |s| Self::get(s, x));
        if let Some(Slot::Free(i)) = l.log_sigma {
            let (v, dv) = self.spec.noise.logp(log_sigma);
            lp += v;
            grad[i] += dv;
        }
        let noise = Noise { phi, psi_phi, lg_phi, sigma: log_sigma.exp() };
        let mut model_sd = 0.0;
        if let Some(s) = l.log_model_sd {
            let lsd = Self::get(s, x);
            model_sd = lsd.exp();
            if let Slot::Free(i) = s {
                let (v, dv) = self.spec.model_effect_scale.logp(model_sd);
                lp += v + lsd;
                grad[i] += dv * model_sd + 1.0;
            }
        }
        let mut dloc = [0.0; 4];
        let mut dls = [0.0; 4];
        let mut dlogphi = 0.0;
        let mut dlogsigma = 0.0;
        let mut total = TotalTerm::default();
        // likelihood: accumulate d/dθ of each task in the z slots (scaled afterwards),
        // and d/d(shift) of each model in the w slots
        for (t, r) in self.ranges.iter().enumerate() {
            let zi = |k: usize| l.z_start + k * t_n + t;
            let (th, a) = self.theta(t, x, &loc, &scale, &log_scale);
            let th_f = self.base_floor[t] + th[0];
            let th_g = th[1];
            let mid = th[2];
            let slope = th[3].exp();
            let (f, one_f) = logistic_pair(th_f);
            let (g, one_g) = logistic_pair(th_g);
            let (mut df, mut dg, mut dm, mut ds) = (0.0, 0.0, 0.0, 0.0);
            // a few observations at a time: the curve, then the likelihood of them all (the
            // beta-binomial's log-gamma terms in one vectorised batch), then the chain rule
            for start in (r.start..r.end).step_by(CHUNK) {
                let m = CHUNK.min(r.end - start);
                let mut obs = [ObsCurve::default(); CHUNK];
                for (j, o) in obs[..m].iter_mut().enumerate() {
                    let i = start + j;
                    let shift = match l.w_start {
                        Some(w) => model_sd * x[w + d.model[i]],
                        None => 0.0,
                    };
                    o.u = slope * (d.x[i] + shift - mid);
                    (o.lu, o.one_lu) = logistic_pair(o.u);
                    o.p = f + one_f * g * o.lu;
                    o.q = one_f * (one_g + g * o.one_lu);
                    if !(o.p > 0.0 && o.q > 0.0) {
                        return Err(DensityError::NonFinite);
                    }
                }
                let ll = if self.batch_beta_binomial {
                    self.beta_binomial_chunk(start, &obs[..m], &noise, &mut total)
                } else {
                    std::array::from_fn(|j| {
                        if j < m {
                            self.obs_loglik(start + j, obs[j].p, obs[j].q, &noise, &mut total)
                        } else {
                            (0.0, 0.0, 0.0)
                        }
                    })
                };
                for (j, (o, &(ll, dldp, dlog))) in obs[..m].iter().zip(&ll[..m]).enumerate() {
                    let i = start + j;
                    lp += ll;
                    if d.n[i] == 0 {
                        dlogsigma += dlog;
                    } else {
                        dlogphi += dlog;
                    }
                    let dpdu = one_f * g * o.lu * o.one_lu;
                    df += dldp * f * o.q;
                    dg += dldp * one_f * o.lu * g * one_g;
                    let dldu = dldp * dpdu;
                    dm -= dldu * slope;
                    ds += dldu * o.u;
                    if let Some(w) = l.w_start {
                        grad[w + d.model[i]] += dldu * slope;
                    }
                }
            }
            // the prior of z and the chain rule from θ to z, location and log scale
            for (k, dth) in [df, dg, dm, ds].into_iter().enumerate() {
                let z = x[zi(k)];
                let (lam, a) = (self.centring[k * t_n + t], a[k]);
                if lam == 0.0 {
                    lp -= 0.5 * z * z;
                    dloc[k] += dth;
                    dls[k] += dth * scale[k] * z;
                    grad[zi(k)] = dth * scale[k] - z;
                } else {
                    // z ~ Normal(λ·location, scale^λ), θ = location + scale^(1−λ)·(z − λ·location)
                    let inv_b = a / scale[k];
                    let e = (z - lam * loc[k]) * inv_b;
                    lp -= 0.5 * e * e + lam * log_scale[k];
                    dloc[k] += dth * (1.0 - lam * a) + lam * e * inv_b;
                    dls[k] += dth * (1.0 - lam) * a * (z - lam * loc[k]) + lam * (e * e - 1.0);
                    grad[zi(k)] = dth * a - e * inv_b;
                }
            }
        }
        for k in 0..4 {
            if let Slot::Free(i) = l.location[k] {
                grad[i] += dloc[k];
            }
            if let Slot::Free(i) = l.log_scale[k] {
                grad[i] += dls[k];
            }
        }
        if let Some(Slot::Free(i)) = l.log_phi {
            grad[i] += dlogphi;
        }
        if let Some(Slot::Free(i)) = l.log_sigma {
            grad[i] += dlogsigma;
        }
        if let Some(w) = l.w_start {
            let mut dlsd = 0.0;
            // non-centred: the slot holds w_j, shift_j = sd · w_j, w_j ~ Normal(0, 1). (A centred
            // form failed simulation-based calibration: chains could not reach small sds.)
            for j in 0..l.n_models {
                let dshift = grad[w + j];
                let wj = x[w + j];
                lp -= 0.5 * wj * wj;
                dlsd += dshift * model_sd * wj;
                grad[w + j] = dshift * model_sd - wj;
            }
            if let Some(Slot::Free(i)) = l.log_model_sd {
                grad[i] += dlsd;
            }
        }
        if !lp.is_finite() || grad.iter().any(|g| !g.is_finite()) {
            return Err(DensityError::NonFinite);
        }
        Ok(lp)
    }
}

impl CurveModel {
    /// Names of the constrained quantities a fit stores, in order: population values (free
    /// ones), `phi`, `sigma`, `model_sd` when used, then `floor.t`, `ceiling.t`, `midpoint.t`,
    /// `slope.t` for t = 1..T, then `model_shift.j` for each evaluated model.
    pub fn constrained_names(&self) -> Vec<String> {
        let l = &self.layout;
        let mut names = Vec::new();
        for k in 0..4 {
            let p = crate::spec::CURVE_PARAMS[k];
            if matches!(l.location[k], Slot::Free(_)) {
                names.push(format!("{p}_location"));
            }
            if matches!(l.log_scale[k], Slot::Free(_)) {
                names.push(format!("{p}_scale"));
            }
        }
        if l.log_phi.is_some() {
            names.push("phi".into());
        }
        if l.log_sigma.is_some() {
            names.push("sigma".into());
        }
        if l.log_model_sd.is_some() {
            names.push("model_sd".into());
        }
        for p in crate::spec::CURVE_PARAMS {
            for t in 0..l.n_tasks {
                names.push(format!("{p}.{}", t + 1));
            }
        }
        if l.w_start.is_some() {
            for j in 0..l.n_models {
                names.push(format!("model_shift.{}", j + 1));
            }
        }
        names
    }

    /// The constrained quantities of a position, in the order of [`Self::constrained_names`].
    pub fn constrained_vector(&self, x: &[f64]) -> Vec<f64> {
        let l = &self.layout;
        let c = self.constrain(x);
        let mut v = Vec::with_capacity(x.len() + 8);
        for k in 0..4 {
            if matches!(l.location[k], Slot::Free(_)) {
                v.push(c.population[k].0);
            }
            if matches!(l.log_scale[k], Slot::Free(_)) {
                v.push(c.population[k].1);
            }
        }
        v.extend(c.phi);
        v.extend(c.sigma);
        v.extend(c.model_sd);
        v.extend(c.curves.iter().map(|c| c.floor));
        v.extend(c.curves.iter().map(|c| c.ceiling));
        v.extend(c.curves.iter().map(|c| c.midpoint));
        v.extend(c.curves.iter().map(|c| c.slope));
        if l.w_start.is_some() {
            v.extend(&c.model_shift);
        }
        v
    }
}
