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
//! midpoint = θ_m, slope = exp(θ_s). Model j's effective x is x + shift_j (`model_effect =
//! "size"`), or its probability is logistic(logit(curve) + shift_j) (`"logit"`).

use std::ops::Range;

use crate::batch::{self, Batch, Scaled};
use crate::counts::Spread;
use crate::curve::Curve;
use crate::data::FitData;
use crate::density::{DensityError, LogDensity};
use crate::error::{Error, Result};
use crate::spec::{EffectOn, Likelihood, ModelSpec, Prior};
use crate::special::{
    dispatch_lanes, exp_clamped, exp_clamped_many, ln_gamma, ln_gamma_digamma, ln_one_plus_many, ln_positive, logistic,
    logistic_pair, logit,
};

/// The smallest pin [`CurveModel::pins_from_draws`] keeps, as τ²·h (the data's precision
/// over the population's; 1 when each gives half the posterior precision); below it a
/// parameter is sampled non-centred.
pub const MIN_PIN: f64 = 1.0;

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
    /// log d, the counts' dispersion (`crate::counts`), when the spec lets it differ from 1.
    pub log_disp: Option<Slot>,
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
    /// How the sampler's coordinates of each task's curve parameters are set, at `k·T + t`
    /// (see [`Pin`]; all unpinned, the model as written, unless set).
    pins: Vec<Pin>,
    /// The pins' precisions and centres, at the same places (for the vectorised passes).
    pin_h: Vec<f64>,
    pin_c: Vec<f64>,
    /// κ of each task's shear of its midpoint along its ceiling and slope: the sampler's
    /// midpoint is m − κ·ln(g)/s (see [`CurveModel::set_shear`]; all 0 unless set).
    shear: Vec<f64>,
    sheared: bool,
    /// The likelihood runs in batches: counts under the beta-binomial, scores without item
    /// counts, or a mix of the two (not with a dispersion of the counts).
    batched: bool,
    /// The observations as the batched likelihood takes them.
    order: BatchOrder,
    /// The distinct item counts (for the batched likelihood).
    counts: Vec<f64>,
}

/// The observations in the order the batched likelihood takes them, with what it reads of
/// each. When every task is observed once on every evaluated model, and each model at one x
/// (a complete ladder, the usual case), the order is model by model: position j·T + t holds
/// task t on model j, so that the passes read the tasks' values as one row for every model,
/// each task's sums run down the rows and each model's across its row, all in whole vectors.
/// Otherwise it is the data's own order, task by task, with a task's values filled over its
/// range.
#[derive(Debug, Clone)]
struct BatchOrder {
    /// Model by model (else task by task).
    by_model: bool,
    /// Model by model, and each task with one item count (the same in every row).
    counts_repeat: bool,
    /// Per position: the counts as floats, the place of n among the distinct item counts, ln
    /// of the binomial coefficient, the logit of the score, 1 for a score without an item count
    /// and 0 for a count when the data mix the two (else empty), the task, the model and its x.
    y: Vec<f64>,
    n: Vec<f64>,
    n_index: Vec<usize>,
    lchoose: Vec<f64>,
    logit_score: Vec<f64>,
    is_score: Vec<f64>,
    task: Vec<usize>,
    model: Vec<usize>,
    x: Vec<f64>,
}

impl BatchOrder {
    /// The order for `data` (observations grouped by task, `t_n` tasks), its ln binomial
    /// coefficients, logit scores and flags of scores among counts, and the distinct item
    /// counts.
    fn new(data: &FitData, t_n: usize, lchoose: &[f64], logit_score: &[f64], is_score: &[f64]) -> (Self, Vec<f64>) {
        let m_n = data.models.len();
        let mut cell = vec![usize::MAX; t_n * m_n];
        let mut row_x = vec![f64::NAN; m_n];
        let complete = data.len() == t_n * m_n
            && (0..data.len()).all(|i| {
                let (j, t) = (data.model[i], data.task[i]);
                let first = cell[j * t_n + t] == usize::MAX;
                cell[j * t_n + t] = i;
                let same_x = row_x[j].is_nan() || row_x[j] == data.x[i];
                row_x[j] = data.x[i];
                first && same_x
            });
        let at = if complete { cell } else { (0..data.len()).collect() };
        let nf: Vec<f64> = at.iter().map(|&i| data.n[i] as f64).collect();
        let mut counts: Vec<f64> = Vec::new();
        let n_index: Vec<usize> = nf
            .iter()
            .map(|&n| match counts.iter().position(|&c| c == n) {
                Some(k) => k,
                None => {
                    counts.push(n);
                    counts.len() - 1
                }
            })
            .collect();
        let counts_repeat = complete && t_n > 0 && (t_n..n_index.len()).all(|i| n_index[i] == n_index[i % t_n]);
        let order = BatchOrder {
            by_model: complete,
            counts_repeat,
            y: at.iter().map(|&i| data.y[i] as f64).collect(),
            n: nf,
            n_index,
            lchoose: at.iter().map(|&i| lchoose[i]).collect(),
            logit_score: at.iter().map(|&i| logit_score[i]).collect(),
            is_score: if is_score.is_empty() { vec![] } else { at.iter().map(|&i| is_score[i]).collect() },
            task: at.iter().map(|&i| data.task[i]).collect(),
            model: at.iter().map(|&i| data.model[i]).collect(),
            x: at.iter().map(|&i| data.x[i]).collect(),
        };
        (order, counts)
    }
}

/// One draw in constrained terms.
#[derive(Debug, Clone)]
pub struct Constrained {
    pub curves: Vec<Curve>,
    /// Per curve parameter: (location, scale).
    pub population: [(f64, f64); 4],
    pub phi: Option<f64>,
    /// The counts' dispersion d, when free or fixed away from 1.
    pub dispersion: Option<f64>,
    pub sigma: Option<f64>,
    pub model_sd: Option<f64>,
    /// Per evaluated model: its effect, a shift of effective log size or of logit(score)
    /// (as the spec's `model_effect_on` says).
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
        // after the others, so that a model without it keeps its coordinates
        let log_disp = (has_counts && spec.dispersion != Prior::Fixed(0.0)).then(|| slot(&spec.dispersion, false));
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
            log_disp,
            z_start,
            w_start,
            n_tasks: t,
            n_models: data.models.len(),
            dim,
        };
        let base_floor = data.chance.iter().map(|&c| logit(c.clamp(CHANCE_CLIP.0, CHANCE_CLIP.1))).collect();
        let lchoose: Vec<f64> = (0..data.len())
            .map(|i| {
                let (y, n) = (data.y[i] as f64, data.n[i] as f64);
                if data.n[i] > 0 { ln_gamma(n + 1.0) - ln_gamma(y + 1.0) - ln_gamma(n - y + 1.0) } else { 0.0 }
            })
            .collect();
        let logit_score: Vec<f64> = data.score.iter().map(|&s| logit(s.clamp(1e-4, 1.0 - 1e-4))).collect();
        let batched = !has_counts
            || (spec.likelihood == Likelihood::BetaBinomial && !(has_scores && spec.dispersion != Prior::Fixed(0.0)));
        let is_score: Vec<f64> = if has_counts && has_scores {
            data.n.iter().map(|&n| f64::from(u8::from(n == 0))).collect()
        } else {
            vec![]
        };
        let (order, counts) = BatchOrder::new(&data, t, &lchoose, &logit_score, &is_score);
        Ok(CurveModel {
            spec,
            data,
            layout,
            ranges,
            base_floor,
            lchoose,
            logit_score,
            pins: vec![Pin::default(); 4 * t],
            pin_h: vec![0.0; 4 * t],
            pin_c: vec![0.0; 4 * t],
            shear: vec![0.0; t],
            sheared: false,
            batched,
            order,
            counts,
        })
    }

    /// θ of task t (the floor without its chance base): base + a·z, with base and a as
    /// [`Pin::map`] gives them.
    #[inline]
    fn theta(&self, t: usize, x: &[f64], loc: &[f64; 4], scale: &[f64; 4]) -> [f64; 4] {
        let t_n = self.layout.n_tasks;
        let mut th: [f64; 4] = std::array::from_fn(|k| {
            let (base, a, _) = self.pins[k * t_n + t].map(loc[k], scale[k]);
            base + a * x[self.layout.z_start + k * t_n + t]
        });
        th[2] += self.shear[t] * shear_lever(th[1], th[3]);
        th
    }

    #[inline]
    fn get(slot: Slot, x: &[f64]) -> f64 {
        match slot {
            Slot::Free(i) => x[i],
            Slot::Fixed(v) => v,
        }
    }

    /// The sd σ of logit(score) for scores without item counts, from its coordinate ln s (the
    /// spread beyond the model's least sd m: σ = √(m² + s²)), and d ln σ / d ln s.
    fn noise_sd(&self, log_s: f64) -> (f64, f64) {
        let s2 = (2.0 * log_s).exp();
        let var = self.spec.noise_min_sd * self.spec.noise_min_sd + s2;
        (var.sqrt(), s2 / var)
    }

    /// The constrained values of a position.
    pub fn constrain(&self, x: &[f64]) -> Constrained {
        let l = &self.layout;
        let population: [(f64, f64); 4] =
            std::array::from_fn(|k| (Self::get(l.location[k], x), Self::get(l.log_scale[k], x).exp()));
        let t = l.n_tasks;
        let loc: [f64; 4] = std::array::from_fn(|k| population[k].0);
        let scale: [f64; 4] = std::array::from_fn(|k| population[k].1);
        let curves = (0..t)
            .map(|task| {
                let th = self.theta(task, x, &loc, &scale);
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
            dispersion: l.log_disp.map(|s| Self::get(s, x).exp()),
            sigma: l.log_sigma.map(|s| self.noise_sd(Self::get(s, x)).0),
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
            let mut theta = [logit(fl) - self.base_floor[task], logit(room), c.midpoint, c.slope.max(1e-6).ln()];
            unshear(&mut theta, self.shear[task]);
            for k in 0..4 {
                let (loc, scale) = (Self::get(l.location[k], &x), Self::get(l.log_scale[k], &x).exp());
                x[l.z_start + k * t + task] = self.pins[k * t + task].z_of(theta[k], loc, scale);
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
        ((0..l.n_tasks).map(|t| self.theta(t, x, &loc, &scale)).collect(), scale)
    }

    /// How each task's curve parameters are sampled, at `k·T + t` (all unpinned unless set).
    pub fn pins(&self) -> &[Pin] {
        &self.pins
    }

    /// The position `x` (under the current pins) as the same point under `pins`. The
    /// posterior is the same under all pins; only its shape in the sampler's coordinates
    /// changes.
    pub fn repinned(&self, pins: &[Pin], x: &[f64]) -> Vec<f64> {
        self.recoordinated(pins, &self.shear, x)
    }

    /// The position `x` (under the current pins and shear) as the same point under `pins`
    /// and `shear`.
    pub fn recoordinated(&self, pins: &[Pin], shear: &[f64], x: &[f64]) -> Vec<f64> {
        assert_eq!(pins.len(), self.pins.len(), "one pin per task and curve parameter");
        assert_eq!(shear.len(), self.shear.len(), "one shear per task");
        let l = &self.layout;
        let t_n = l.n_tasks;
        let (thetas, scale) = self.thetas(x);
        let loc: [f64; 4] = std::array::from_fn(|k| Self::get(l.location[k], x));
        let mut out = x.to_vec();
        for (t, th) in thetas.iter().enumerate() {
            let mut th = *th;
            unshear(&mut th, shear[t]);
            for k in 0..4 {
                out[l.z_start + k * t_n + t] = pins[k * t_n + t].z_of(th[k], loc[k], scale[k]);
            }
        }
        out
    }

    /// Sample with `shear` from now on; convert positions with [`Self::recoordinated`] first.
    pub fn set_shear(&mut self, shear: Vec<f64>) {
        assert_eq!(shear.len(), self.shear.len(), "one shear per task");
        assert!(shear.iter().all(|k| k.is_finite()));
        self.sheared = shear.iter().any(|&k| k != 0.0);
        self.shear = shear;
    }

    /// The shear of each task's midpoint: κ from a regression of the midpoint on ln(g)/s over
    /// `draws`, kept to [0, 1].
    pub fn shear_from_draws<'a>(&self, draws: impl IntoIterator<Item = &'a [f64]>) -> Vec<f64> {
        let t_n = self.layout.n_tasks;
        let mut acc = vec![[0.0; 4]; t_n];
        let mut n = 0.0;
        for x in draws {
            let (thetas, _) = self.thetas(x);
            for (t, th) in thetas.iter().enumerate() {
                let lever = shear_lever(th[1], th[3]);
                let a = &mut acc[t];
                a[0] += lever;
                a[1] += th[2];
                a[2] += lever * lever;
                a[3] += lever * th[2];
            }
            n += 1.0;
        }
        acc.iter()
            .map(|a| {
                if n < 2.0 {
                    return 0.0;
                }
                let var = a[2] / n - (a[0] / n).powi(2);
                let cov = a[3] / n - a[0] / n * (a[1] / n);
                let k = cov / var;
                if k.is_finite() && var > 0.0 { k.clamp(0.0, 1.0) } else { 0.0 }
            })
            .collect()
    }

    /// The shear ([`Self::shear_from_draws`]) and the pins in its coordinates
    /// ([`Self::pins_from_draws`]) from the same draws, which `draws` gives afresh on each call.
    /// When no task's midpoint is pinned (every task still at chance, so none whose data place
    /// its midpoint) nothing is sheared: the shear helps the population move with the
    /// well-fitted tasks, and without any it only ties each task's ceiling and slope to the
    /// funnel of the midpoint scale, in whose neck a chain then sticks (OPT's 57 MMLU subjects
    /// alone: R-hat 1.46; docs/sampling.md).
    pub fn pins_and_shear_from_draws<'a, I: IntoIterator<Item = &'a [f64]>>(
        &self,
        draws: impl Fn() -> I,
    ) -> (Vec<Pin>, Vec<f64>) {
        let shear = self.shear_from_draws(draws());
        let pins = self.pins_from_draws(draws(), &shear);
        let t_n = self.layout.n_tasks;
        if pins[2 * t_n..3 * t_n].iter().any(|p| p.precision > 0.0) {
            return (pins, shear);
        }
        let flat = vec![0.0; t_n];
        (self.pins_from_draws(draws(), &flat), flat)
    }

    /// Sample with `pins` from now on; convert positions with [`Self::repinned`] first.
    pub fn set_pins(&mut self, pins: Vec<Pin>) {
        assert_eq!(pins.len(), self.pins.len(), "one pin per task and curve parameter");
        assert!(pins.iter().all(|p| p.precision >= 0.0 && p.precision.is_finite() && p.centre.is_finite()));
        self.pin_h = pins.iter().map(|p| p.precision).collect();
        self.pin_c = pins.iter().map(|p| p.centre).collect();
        self.pins = pins;
    }

    /// Pins chosen from draws of the posterior. For each task and curve parameter, h is the
    /// precision the data add to θ given the task's other three parameters: 1/v − 1/τ̄², with
    /// v the variance of θ given the other three (1 / the diagonal of the inverse of the task's
    /// 4×4 covariance over the draws) and τ̄ the geometric mean of the population scale over the
    /// draws; the centre is the mean of θ. In a normal–normal model that is the exact posterior
    /// of θ given the population, so the sampler's coordinate is then a standard normal
    /// whatever the population values. A pin with τ̄²·h below [`MIN_PIN`] (a parameter the
    /// data say less about than the population, such as the midpoint of a task still at
    /// chance, whose posterior is its prior cut off by the data) is left unpinned: there the
    /// normal picture is wrong and the non-centred form is right. Slopes stay unpinned: with
    /// them pinned, Pythia fits had a divergent transition in every one of twelve seeds
    /// (docs/sampling.md). A covariance that cannot be inverted, or fewer than two draws, leaves
    /// the task unpinned. The midpoints are taken as the sampler will hold them under `shear`
    /// (m − κ·ln(g)/s, see [`Self::shear_from_draws`]).
    pub fn pins_from_draws<'a>(&self, draws: impl IntoIterator<Item = &'a [f64]>, shear: &[f64]) -> Vec<Pin> {
        let t_n = self.layout.n_tasks;
        let mut sum = vec![[0.0; 4]; t_n];
        let mut cross = vec![[[0.0; 4]; 4]; t_n];
        let mut log_tau = [0.0; 4];
        let mut n = 0.0;
        for x in draws {
            let (thetas, scale) = self.thetas(x);
            for (t, th) in thetas.iter().enumerate() {
                let mut th = *th;
                unshear(&mut th, shear[t]);
                for k in 0..4 {
                    sum[t][k] += th[k];
                    for j in 0..4 {
                        cross[t][k][j] += th[k] * th[j];
                    }
                }
            }
            for k in 0..4 {
                log_tau[k] += scale[k].ln();
            }
            n += 1.0;
        }
        let mut pins = vec![Pin::default(); 4 * t_n];
        if n < 2.0 {
            return pins;
        }
        let prior_precision: [f64; 4] = std::array::from_fn(|k| (-2.0 * log_tau[k] / n).exp());
        for t in 0..t_n {
            let cov = nalgebra::Matrix4::from_fn(|k, j| {
                (cross[t][k][j] / n - sum[t][k] / n * (sum[t][j] / n)) * n / (n - 1.0)
            });
            let Some(precision) = cov.try_inverse() else { continue };
            for k in 0..3 {
                let h = precision[(k, k)] - prior_precision[k];
                if h.is_finite() && h >= MIN_PIN * prior_precision[k] {
                    pins[k * t_n + t] = Pin { precision: h, centre: sum[t][k] / n };
                }
            }
        }
        pins
    }

    /// Pins from the curvature of the log density at one position `x`, without draws (the
    /// start of the pilot). Unpinned, the second derivative of log p in z_t is −(1 + τ²·h),
    /// h the data's curvature in θ_t with the task's other parameters held: h is what
    /// [`Self::pins_from_draws`] estimates from draws, here at one point, with θ at `x` as the
    /// centre and the same rules (the cut, slopes unpinned). Tasks do not share z
    /// coordinates, so one central difference per curve parameter serves every task: six
    /// gradient evaluations. A position where the density is not finite leaves everything
    /// unpinned.
    pub fn pins_from_curvature(&self, x: &[f64]) -> Vec<Pin> {
        let t_n = self.layout.n_tasks;
        let mut flat = self.clone();
        flat.set_pins(vec![Pin::default(); 4 * t_n]);
        flat.set_shear(vec![0.0; t_n]);
        let x0 = self.recoordinated(&flat.pins, &flat.shear, x);
        let (thetas, scale) = flat.thetas(&x0);
        let mut pins = vec![Pin::default(); 4 * t_n];
        let z = self.layout.z_start;
        let step = 1e-4;
        let (mut up, mut down) = (vec![0.0; x0.len()], vec![0.0; x0.len()]);
        for k in 0..3 {
            let (mut xp, mut xm) = (x0.clone(), x0.clone());
            for t in 0..t_n {
                xp[z + k * t_n + t] += step;
                xm[z + k * t_n + t] -= step;
            }
            if flat.logp_grad(&xp, &mut up).is_err() || flat.logp_grad(&xm, &mut down).is_err() {
                return vec![Pin::default(); 4 * t_n];
            }
            for t in 0..t_n {
                let i = z + k * t_n + t;
                let tau_sq_h = -(up[i] - down[i]) / (2.0 * step) - 1.0;
                if tau_sq_h.is_finite() && tau_sq_h >= MIN_PIN {
                    pins[k * t_n + t] = Pin { precision: tau_sq_h / (scale[k] * scale[k]), centre: thetas[t][k] };
                }
            }
        }
        pins
    }

    /// Log-likelihood of observation `i` given its probability p (and q = 1 − p), with
    /// d/dp, d/d(log φ or log σ) and d/d(log d).
    #[inline]
    fn obs_loglik(&self, i: usize, p: f64, q: f64, noise: &Noise) -> (f64, f64, f64, f64) {
        let sigma = noise.sigma;
        let n = self.data.n[i];
        if n == 0 {
            let r = self.logit_score[i];
            let lp = (p / q).ln();
            let e = (r - lp) / sigma;
            let ll = -0.5 * e * e - sigma.ln() - 0.918_938_533_204_672_8;
            return (ll, e / sigma / (p * q), e * e - 1.0, 0.0);
        }
        let y = self.data.y[i] as f64;
        let nf = n as f64;
        if self.layout.log_disp.is_some() {
            let phi = (self.spec.likelihood == Likelihood::BetaBinomial).then_some(noise.phi);
            let [ll, dp, dphi, dd] = crate::counts::log_pmf_grad(y, nf, p, q, Spread { phi, dispersion: noise.disp });
            return (ll, dp, dphi, dd);
        }
        match self.spec.likelihood {
            Likelihood::Binomial => {
                let ll = self.lchoose[i] + y * p.ln() + (nf - y) * q.ln();
                (ll, y / p - (nf - y) / q, 0.0, 0.0)
            }
            Likelihood::BetaBinomial => {
                let Noise { phi, psi_phi, lg_phi, .. } = *noise;
                let (a, b) = (p * phi, q * phi);
                let [(lg_ya, dg_ya), (lg_a, dg_a), (lg_yb, dg_yb), (lg_b, dg_b), (lg_n, dg_n)] =
                    [y + a, a, nf - y + b, b, nf + phi].map(ln_gamma_digamma);
                let ll = self.lchoose[i] + lg_ya + lg_yb - lg_n - lg_a - lg_b + lg_phi;
                let (da, db) = (dg_ya - dg_a, dg_yb - dg_b);
                (ll, phi * (da - db), phi * (p * da + q * db - dg_n + psi_phi), 0.0)
            }
        }
    }

    /// The likelihood of every observation, one at a time (any mix of counts and scores);
    /// fills `s.dth` and the per-model slots of `grad`, adds to d/d(log φ) and d/d(log σ).
    fn likelihood_per_observation(&self, x: &[f64], pop: &Population, s: &mut Scratch, grad: &mut [f64]) -> Lik {
        let d = &self.data;
        let mut out = Lik::default();
        for (t, r) in self.ranges.iter().enumerate() {
            let tc = s.tasks[t];
            let mut dth = [0.0; 4];
            for i in r.clone() {
                let u = tc.slope * (d.x[i] + self.shift(x, pop, i) - tc.mid);
                let (lu, one_lu) = logistic_pair(u);
                let (p, q) = (tc.f + tc.one_f * tc.g * lu, tc.one_f * (tc.one_g + tc.g * one_lu));
                if !(p > 0.0 && q > 0.0) {
                    out.finite = false;
                    return out;
                }
                let (ll, dldp, dlog, dlogd) = match self.effect_slots(EffectOn::Logit) {
                    // p' = logistic(logit(p) + δ_j) (as the batched pass computes it):
                    // d/dp = d/dp' · p'(1 − p')/(p(1 − p))
                    Some(w) => {
                        let j = w + d.model[i];
                        let (pl, ql) = shift_logit(p, q, (-(pop.model_sd * x[j])).exp());
                        if !(pl > 0.0 && ql > 0.0) {
                            out.finite = false;
                            return out;
                        }
                        let (ll, dldpl, dlog, dlogd) = self.obs_loglik(i, pl, ql, &pop.noise);
                        let dldv = dldpl * pl * ql;
                        grad[j] += dldv;
                        (ll, dldv / (p * q), dlog, dlogd)
                    }
                    None => self.obs_loglik(i, p, q, &pop.noise),
                };
                out.lp += ll;
                if d.n[i] == 0 {
                    out.dlogsigma += dlog;
                } else {
                    out.dlogphi += dlog;
                    out.dlogd += dlogd;
                }
                self.chain_rule(&tc, i, [u, lu, one_lu, q], dldp, &mut dth, grad);
            }
            for (k, v) in dth.into_iter().enumerate() {
                s.dth[k * self.ranges.len() + t] = v;
            }
        }
        out
    }

    /// The likelihood of every observation at once, counts (beta-binomial), scores
    /// (logit-normal) or both, in the vectorised passes of [`crate::batch`]; the per-task sums
    /// follow. Same values as [`Self::likelihood_per_observation`], to rounding.
    fn likelihood_batched(&self, x: &[f64], pop: &Population, s: &mut Scratch, grad: &mut [f64]) -> Lik {
        let o = &self.order;
        let b = &mut s.batch;
        let t_n = self.ranges.len();
        let n_obs = o.y.len();
        let lucky = self.effect_slots(EffectOn::Logit);
        let on_size = self.effect_slots(EffectOn::Size);
        let (counts, scores) = (self.layout.log_phi.is_some(), self.layout.log_sigma.is_some());
        b.resize(n_obs, self.counts.len(), lucky.is_some());
        // each model's shift: δ of the logit (e^−δ for the counts), or of the log size
        let shifts = &mut s.shifts;
        shifts.clear();
        if let Some(w) = lucky.or(on_size) {
            shifts.extend(x[w..w + self.layout.n_models].iter().map(|&v| pop.model_sd * v));
        }
        if scores {
            // the logit of each score less its model's shift δ of the logit
            b.r.copy_from_slice(&o.logit_score);
            if lucky.is_some() {
                for (r, &j) in b.r.iter_mut().zip(&o.model) {
                    *r -= shifts[j];
                }
            }
        }
        if o.by_model {
            // model by model: the tasks' values once, a row the passes read for every
            // model; a model's luck and x along its row
            for (t, tc) in s.tasks.iter().enumerate() {
                [b.f[t], b.fg[t], b.q0[t], b.slope[t], b.mid[t]] =
                    [tc.f, tc.one_f * tc.g, tc.one_f * tc.one_g, tc.slope, tc.mid];
            }
            b.row = t_n;
            b.counts_repeat = o.counts_repeat;
            for (j, xs) in b.xs.chunks_exact_mut(t_n).enumerate() {
                let shift = shifts.get(j).copied().unwrap_or(0.0);
                xs.fill(o.x[j * t_n] + if on_size.is_some() { shift } else { 0.0 });
                if counts && lucky.is_some() {
                    b.luck[j * t_n..(j + 1) * t_n].fill((-shift).exp());
                }
            }
        } else {
            b.row = 0;
            b.counts_repeat = false;
            for (tc, r) in s.tasks.iter().zip(&self.ranges) {
                let r = r.clone();
                b.f[r.clone()].fill(tc.f);
                b.fg[r.clone()].fill(tc.one_f * tc.g);
                b.q0[r.clone()].fill(tc.one_f * tc.one_g);
                b.slope[r.clone()].fill(tc.slope);
                b.mid[r].fill(tc.mid);
            }
            if on_size.is_some() {
                for ((xs, &xi), &j) in b.xs.iter_mut().zip(&o.x).zip(&o.model) {
                    *xs = xi + shifts[j];
                }
            } else {
                b.xs.copy_from_slice(&o.x);
            }
            if counts && lucky.is_some() {
                // e^−δ of each model's shift δ, once per model
                for v in shifts.iter_mut() {
                    *v = (-*v).exp();
                }
                for (v, &j) in b.luck.iter_mut().zip(&o.model) {
                    *v = shifts[j];
                }
            }
        }
        let Noise { phi, psi_phi, lg_phi, disp, .. } = pop.noise;
        let noise = [phi, lg_phi, psi_phi];
        let dispersed = self.layout.log_disp.is_some();
        let finite = if !counts {
            b.logit_normal(pop.noise.sigma, lucky.is_some())
        } else if dispersed {
            let c = &mut s.scaled;
            c.fill(&o.y, &o.n, &o.n_index, &self.counts, disp);
            b.beta_binomial(&c.y, &c.n, &o.n_index, &c.counts, &c.lchoose, noise, lucky.is_some(), true)
        } else {
            b.beta_binomial(&o.y, &o.n, &o.n_index, &self.counts, &o.lchoose, noise, lucky.is_some(), false)
        };
        if !finite {
            return Lik { finite: false, ..Lik::default() };
        }
        if counts && scores {
            // each score an observation with y = n = 0, whose outputs the counts' pass left at 0
            b.add_logit_normal(&o.is_score, pop.noise.sigma, lucky.is_some());
        }
        let dlogd = if dispersed { s.scaled.d_log_d(b) } else { 0.0 };
        // the sums over each task's observations of dq, dl, du and du·u, at k·T + t
        let sums = &mut s.task_sums;
        sums.clear();
        sums.resize(4 * t_n, 0.0);
        if o.by_model {
            for (k, v) in [&b.dq, &b.dl, &b.du, &b.dus].into_iter().enumerate() {
                batch::add_rows(v, &mut sums[k * t_n..(k + 1) * t_n]);
            }
            if let Some(w) = lucky {
                for (j, row) in b.d_luck.chunks_exact(t_n).enumerate() {
                    grad[w + j] += batch::sum(row);
                }
            }
        } else {
            if let Some(w) = lucky {
                for (&dv, &j) in b.d_luck.iter().zip(&o.model) {
                    grad[w + j] += dv;
                }
            }
            for (t, r) in self.ranges.iter().enumerate() {
                let r = r.clone();
                for (k, v) in [&b.dq, &b.dl, &b.du, &b.dus].into_iter().enumerate() {
                    sums[k * t_n + t] = v[r.clone()].iter().sum();
                }
            }
        }
        // the task's own factors times the sums over its observations (see chain_rule)
        for (t, tc) in s.tasks.iter().enumerate() {
            let acc = [sums[t], sums[t_n + t], sums[2 * t_n + t], sums[3 * t_n + t]];
            let fg = tc.one_f * tc.g;
            let dth = [tc.f * acc[0], fg * tc.one_g * acc[1], -(fg * tc.slope) * acc[2], fg * acc[3]];
            for (k, v) in dth.into_iter().enumerate() {
                s.dth[k * t_n + t] = v;
            }
        }
        if let Some(w) = on_size {
            // d/d(shift of log size) of each observation is (1 − f)·g·slope times its du
            for (i, &j) in o.model.iter().enumerate() {
                let tc = &s.tasks[o.task[i]];
                grad[w + j] += tc.one_f * tc.g * tc.slope * b.du[i];
            }
        }
        Lik {
            lp: batch::sum(&b.ll),
            dlogphi: if counts { batch::sum(&b.d_log_phi) } else { 0.0 },
            dlogsigma: if scores { batch::sum(&b.d_log_sigma) } else { 0.0 },
            dlogd,
            ..Lik::default()
        }
    }

    /// Every task's curve at `x` into `s.tasks`, and θ, a and r of every curve parameter
    /// (as [`Pin::map`] gives them) into `s.pinned`: one vectorised pass per curve parameter,
    /// then the exponentials of all tasks (e^−|θ| of floor and ceiling, and the slope) in one
    /// batch. False when some 1 + τ²·h overflowed (the position is too far out to evaluate).
    fn task_curves(&self, x: &[f64], pop: &Population, s: &mut Scratch) -> bool {
        let l = &self.layout;
        let t_n = l.n_tasks;
        let pv = &mut s.pinned;
        pv.resize(4 * t_n);
        let mut finite = true;
        for k in 0..4 {
            let b = k * t_n..(k + 1) * t_n;
            let (h, c, z) =
                (&self.pin_h[b.clone()], &self.pin_c[b.clone()], &x[l.z_start + b.start..l.z_start + b.end]);
            let out = [&mut pv.theta[b.clone()], &mut pv.a[b.clone()], &mut pv.r[b.clone()], &mut pv.ln_r[b]];
            let pop = [pop.loc[k], pop.scale[k]];
            if h.iter().all(|&h| h == 0.0) {
                // the same numbers as pin_pass gives with h = 0, without its division and roots
                let [theta, a, r, ln_r] = out;
                for (th, &z) in theta.iter_mut().zip(z) {
                    *th = pop[0] + pop[1] * z;
                }
                a.fill(pop[1]);
                r.fill(1.0);
                ln_r.fill(0.0);
                continue;
            }
            finite &=
                dispatch_lanes!(pin_pass(h: &[f64], c: &[f64], z: &[f64], pop: [f64; 2], out: [&mut [f64]; 4]) -> bool);
        }
        let th = &pv.theta;
        // floor and ceiling go through the logistic function, from e^−|v|
        s.task_args.clear();
        s.task_args.extend(self.base_floor.iter().zip(&th[..t_n]).map(|(&b, &v)| -(b + v).abs()));
        s.task_args.extend(th[t_n..2 * t_n].iter().map(|v| -v.abs()));
        s.task_args.extend_from_slice(&th[3 * t_n..]);
        if self.sheared {
            // 1/s for the shear, as e^−θ_slope
            s.task_args.extend(th[3 * t_n..].iter().map(|v| -v));
        }
        s.task_exps.resize(s.task_args.len(), 0.0);
        exp_clamped_many(&s.task_args, &mut s.task_exps);
        s.tasks.clear();
        s.shear_dc.clear();
        let e = &s.task_exps;
        s.shear_shift.clear();
        s.shear_shift.resize(t_n, 0.0);
        if self.sheared {
            // the shear's shift of the midpoint, κ·ln(g)/s, and its derivative in θ_ceiling,
            // κ(1 − g)/s, with ln g = min(θ, 0) − ln(1 + e^−|θ|) in one vectorised pass
            ln_one_plus_many(&e[t_n..2 * t_n], &mut s.shear_shift);
            for t in 0..t_n {
                let (k, inv_s) = (self.shear[t], e[3 * t_n + t]);
                let ln_g = th[t_n + t].min(0.0) - s.shear_shift[t];
                s.shear_shift[t] = k * (ln_g * inv_s);
            }
        }
        for t in 0..t_n {
            let (f, one_f) = logistic_from(e[t], self.base_floor[t] + th[t] >= 0.0);
            let (g, one_g) = logistic_from(e[t_n + t], th[t_n + t] >= 0.0);
            let slope = e[2 * t_n + t];
            let dc = if self.sheared { self.shear[t] * (one_g * e[3 * t_n + t]) } else { 0.0 };
            s.shear_dc.push(dc);
            s.tasks.push(TaskCurve { f, one_f, g, one_g, mid: th[2 * t_n + t] + s.shear_shift[t], slope });
        }
        finite
    }

    /// Model j's shift of effective log size at observation i (0 without a per-model effect
    /// on size).
    #[inline(always)]
    fn shift(&self, x: &[f64], pop: &Population, i: usize) -> f64 {
        match self.effect_slots(EffectOn::Size) {
            Some(w) => pop.model_sd * x[w + self.data.model[i]],
            None => 0.0,
        }
    }

    /// The first per-model slot, when the model has a per-model effect that enters `on`.
    #[inline(always)]
    fn effect_slots(&self, on: EffectOn) -> Option<usize> {
        self.layout.w_start.filter(|_| self.spec.model_effect_on == on)
    }

    /// From d/dp of observation i to d/dθ of its task (added to `dth`) and d/d(shift) of its
    /// model (added to its w slot); `o` holds u, logistic(u), logistic(−u) and 1 − p.
    #[inline(always)]
    fn chain_rule(&self, tc: &TaskCurve, i: usize, o: [f64; 4], dldp: f64, dth: &mut [f64; 4], grad: &mut [f64]) {
        let [u, lu, one_lu, q] = o;
        let dpdu = tc.one_f * tc.g * lu * one_lu;
        dth[0] += dldp * tc.f * q;
        dth[1] += dldp * tc.one_f * lu * tc.g * tc.one_g;
        let dldu = dldp * dpdu;
        dth[2] -= dldu * tc.slope;
        dth[3] += dldu * u;
        if let Some(w) = self.effect_slots(EffectOn::Size) {
            grad[w + self.data.model[i]] += dldu * tc.slope;
        }
    }
}

/// The spread parameters of the likelihood at one position.
#[derive(Debug, Clone, Copy, Default)]
struct Noise {
    /// Beta-binomial concentration, ψ(φ) and ln Γ(φ).
    phi: f64,
    psi_phi: f64,
    lg_phi: f64,
    /// Sd of logit(score) for score-only observations.
    sigma: f64,
    /// The counts' dispersion d.
    disp: f64,
}

/// The population values at one position.
#[derive(Debug, Clone, Copy, Default)]
struct Population {
    loc: [f64; 4],
    scale: [f64; 4],
    noise: Noise,
    model_sd: f64,
}

/// One task's curve at one position: the floor f and 1 − f, the share g of the room above the
/// floor and 1 − g, midpoint, slope.
#[derive(Debug, Clone, Copy, Default)]
struct TaskCurve {
    f: f64,
    one_f: f64,
    g: f64,
    one_g: f64,
    mid: f64,
    slope: f64,
}

/// ln logistic(v) from e = e^−|v|: min(v, 0) − ln(1 + e).
#[inline(always)]
fn ln_logistic_from(v: f64, e: f64) -> f64 {
    v.min(0.0) - crate::special::ln_positive(1.0 + e)
}

/// A task's θ (floor, ceiling, midpoint, slope) with the midpoint as the sampler holds it
/// under shear κ: m − κ·ln(g)/s.
#[inline]
fn unshear(th: &mut [f64; 4], kappa: f64) {
    th[2] -= kappa * shear_lever(th[1], th[3]);
}

/// ln(g)/s of a task's ceiling share g = logistic(θ_ceiling) and slope s = e^θ_slope: the
/// direction its midpoint is sheared along. The same numbers as the batched gradient.
#[inline]
fn shear_lever(ceiling: f64, slope: f64) -> f64 {
    ln_logistic_from(ceiling, exp_clamped(-ceiling.abs())) * exp_clamped(-slope)
}

/// logistic(v) and logistic(−v) from e = e^−|v| and whether v ≥ 0, as [`logistic_pair`]
/// computes them.
#[inline(always)]
fn logistic_from(e: f64, non_negative: bool) -> (f64, f64) {
    let big = 1.0 / (1.0 + e);
    let small = e * big;
    if non_negative { (big, small) } else { (small, big) }
}

/// What a likelihood pass returns besides the per-task derivatives.
#[derive(Debug, Clone, Copy)]
struct Lik {
    lp: f64,
    dlogphi: f64,
    dlogd: f64,
    dlogsigma: f64,
    /// False when some observation's probability left (0, 1).
    finite: bool,
}

impl Default for Lik {
    fn default() -> Self {
        Lik { lp: 0.0, dlogphi: 0.0, dlogd: 0.0, dlogsigma: 0.0, finite: true }
    }
}

/// Working space of one log density evaluation, kept per thread so that a sampler's gradients
/// allocate nothing after the first.
#[derive(Debug, Default)]
struct Scratch {
    tasks: Vec<TaskCurve>,
    /// θ, a and r of every task's curve parameters, at `k·T + t`.
    pinned: Pinned,
    /// d log p / dθ at `k·T + t` (floor, ceiling, midpoint, slope of task t).
    dth: Vec<f64>,
    /// Exponents and exponentials of the tasks' curves (floor, ceiling, slope: three per task).
    task_args: Vec<f64>,
    task_exps: Vec<f64>,
    /// Each evaluated model's shift of effective log size.
    shifts: Vec<f64>,
    /// One block's terms of the prior of z: log density, d/d location, d/d log scale.
    prior_terms: [Vec<f64>; 4],
    /// The shear's shift of each task's midpoint, and its derivative in the ceiling's θ.
    shear_shift: Vec<f64>,
    shear_dc: Vec<f64>,
    zeros: Vec<f64>,
    /// The sums over each task's observations in the batched likelihood, at `k·T + t`.
    task_sums: Vec<f64>,
    /// The batched likelihood's arrays.
    batch: Batch,
    /// The counts scaled by the dispersion, when the model has one.
    scaled: Scaled,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// How the sampler holds one task's curve parameter θ, whose prior is Normal(location,
/// scale²) (the model's z = (θ − location)/scale is a standard normal).
///
/// Unpinned (precision 0), the coordinate is that z: the model as written, non-centred.
/// Pinned with precision h and centre c (what the data say of θ given the task's other
/// parameters, as a normal), the coordinate is z̃ in
///
/// θ = location·r + c·(1 − r) + scale·√r·z̃,   r = 1 / (1 + scale²·h),
///
/// which is θ's posterior mean plus its posterior sd times z̃ when data and prior are both
/// normal: z̃ is then a standard normal whatever the population values. With a small scale
/// (r → 1) this is the non-centred form, with a large one (r → 0) the centred form, so a
/// parameter the data pin down is neither a funnel when the scale runs small nor a narrow
/// ridge when it runs large. Any pin gives the same posterior of θ; the density carries the
/// Jacobian scale·√r.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Pin {
    /// h: the data's precision of θ (0 = unpinned).
    pub precision: f64,
    /// c: where the data put θ.
    pub centre: f64,
}

impl Pin {
    /// (base, a, r) with θ = base + a·z̃ at this location and scale.
    #[inline(always)]
    pub fn map(&self, location: f64, scale: f64) -> (f64, f64, f64) {
        if self.precision == 0.0 {
            return (location, scale, 1.0);
        }
        let r = 1.0 / (1.0 + scale * scale * self.precision);
        (location * r + self.centre * (1.0 - r), scale * r.sqrt(), r)
    }

    /// The sampler's coordinate of θ.
    pub fn z_of(&self, theta: f64, location: f64, scale: f64) -> f64 {
        let (base, a, _) = self.map(location, scale);
        (theta - base) / a
    }
}

/// θ, a and r (see [`Pin::map`]) and ln r of every task's curve parameters at one position.
#[derive(Debug, Default)]
struct Pinned {
    theta: Vec<f64>,
    a: Vec<f64>,
    r: Vec<f64>,
    ln_r: Vec<f64>,
}

impl Pinned {
    fn resize(&mut self, len: usize) {
        for v in [&mut self.theta, &mut self.a, &mut self.r, &mut self.ln_r] {
            v.resize(len, 0.0);
        }
    }
}

/// One curve parameter of every task under its pin: with h, c the pins' precisions and
/// centres, z the sampler's coordinates and `pop` the location μ and scale τ, writes θ =
/// μr + c(1 − r) + a·z, a = τ√r, r and ln r, r = 1/(1 + τ²h) (unpinned, h = 0: r = 1 and θ =
/// μ + τz exactly, as [`Pin::map`]). False when some 1 + τ²h is not below 1e300.
#[inline(always)]
fn pin_pass(h: &[f64], c: &[f64], z: &[f64], pop: [f64; 2], out: [&mut [f64]; 4]) -> bool {
    let [mu, tau] = pop;
    let tau_sq = tau * tau;
    let len = h.len();
    let (c, z) = (&c[..len], &z[..len]);
    let [theta, a, r, ln_r] = out;
    let (theta, a, r, ln_r) = (&mut theta[..len], &mut a[..len], &mut r[..len], &mut ln_r[..len]);
    let mut finite = true;
    for i in 0..len {
        let q = 1.0 + tau_sq * h[i];
        finite &= q < 1e300;
        let ri = 1.0 / q;
        a[i] = tau * ri.sqrt();
        theta[i] = (mu * ri + c[i] * (1.0 - ri)) + a[i] * z[i];
        r[i] = ri;
        ln_r[i] = -ln_positive(q);
    }
    finite
}

/// The prior of one curve parameter's z in every task, and the chain rule from θ to z,
/// location and log scale. θ = μr + c(1 − r) + τ√r·z̃ has density Normal(θ; μ, τ)·τ√r; with e
/// = (θ − μ)/τ and d the derivative in θ (`dth`) less e/τ, the gradient in z̃ is d·a, in μ
/// d·r + e/τ, and in log τ d·dθ/d log τ + e² − (1 − r), where dr/d log τ = −2r(1 − r).
/// `inputs` are c, z, a, r and d log p/dθ; `pop` μ and 1/τ; `out` receives each task's −e²/2
/// and its two population derivatives (for sums in a fixed order).
#[inline(always)]
fn prior_pass(inputs: [&[f64]; 6], pop: [f64; 2], grad_z: &mut [f64], out: [&mut [f64]; 4]) {
    let [mu, inv_tau] = pop;
    let len = grad_z.len();
    let [c, z, a, r, dth, shift] = inputs.map(|v| &v[..len]);
    let [lp, dloc, dls, d_out] = out;
    let (lp, dloc, dls, d_out) = (&mut lp[..len], &mut dloc[..len], &mut dls[..len], &mut d_out[..len]);
    for i in 0..len {
        let ri = r[i];
        let e = (((c[i] - mu) * (1.0 - ri) + a[i] * z[i]) + shift[i]) * inv_tau;
        lp[i] = -0.5 * e * e;
        let d = dth[i] - e * inv_tau;
        d_out[i] = d;
        grad_z[i] = d * a[i];
        dloc[i] = d * ri + e * inv_tau;
        let dtheta = -2.0 * ri * (1.0 - ri) * (mu - c[i]) + a[i] * ri * z[i];
        dls[i] = d * dtheta + e * e - (1.0 - ri);
    }
}

/// The curve's value at x for a model with per-model effect `effect` (entering `on`).
#[inline]
pub fn value_with(c: &Curve, x: f64, on: EffectOn, effect: f64) -> f64 {
    match on {
        EffectOn::Size => c.value(x + effect),
        EffectOn::Logit => p_and_q_with(c, x, on, effect).0,
    }
}

/// p and 1 − p of a model with per-model effect `effect` (entering `on`) on a curve at x.
#[inline]
pub fn p_and_q_with(c: &Curve, x: f64, on: EffectOn, effect: f64) -> (f64, f64) {
    match on {
        EffectOn::Size => p_and_q(c, x + effect),
        EffectOn::Logit if effect == 0.0 => p_and_q(c, x),
        EffectOn::Logit => {
            let (p, q) = p_and_q(c, x);
            shift_logit(p, q, (-effect).exp())
        }
    }
}

/// p' = logistic(logit(p) + δ) and 1 − p' from p, q = 1 − p and k = e^−δ: p/(p + q·k) and
/// q·k/(p + q·k), without a logarithm and without cancellation.
#[inline]
pub fn shift_logit(p: f64, q: f64, k: f64) -> (f64, f64) {
    let inv = 1.0 / (p + q * k);
    (p * inv, q * k * inv)
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
        SCRATCH.with_borrow_mut(|s| self.logp_grad_with(x, grad, s, self.batched))
    }
}

impl CurveModel {
    /// Whether the likelihood runs in the batches of [`crate::batch`] (counts under the
    /// beta-binomial, scores without item counts, or both), not one observation at a time.
    pub fn is_batched(&self) -> bool {
        self.batched
    }

    /// Whether the batched likelihood takes the observations model by model (every task
    /// observed once on every model, each model at one x), rather than task by task.
    pub fn is_batched_by_model(&self) -> bool {
        self.batched && self.order.by_model
    }

    /// The log density and its gradient with the likelihood taken one observation at a time,
    /// whatever the data: the reference the batched likelihood is tested against.
    pub fn logp_grad_per_observation(&self, x: &[f64], grad: &mut [f64]) -> Result<f64, DensityError> {
        SCRATCH.with_borrow_mut(|s| self.logp_grad_with(x, grad, s, false))
    }

    fn logp_grad_with(&self, x: &[f64], grad: &mut [f64], s: &mut Scratch, batched: bool) -> Result<f64, DensityError> {
        let l = &self.layout;
        let t_n = l.n_tasks;
        grad.fill(0.0);
        let mut lp = 0.0;
        // population priors
        let mut pop = Population::default();
        for k in 0..4 {
            let b = &self.spec.blocks[k];
            pop.loc[k] = Self::get(l.location[k], x);
            if let Slot::Free(i) = l.location[k] {
                let (v, dv) = b.location.logp(pop.loc[k]);
                lp += v;
                grad[i] += dv;
            }
            let ls = Self::get(l.log_scale[k], x);
            pop.scale[k] = ls.exp();
            if let Slot::Free(i) = l.log_scale[k] {
                let (v, dv) = b.scale.logp(pop.scale[k]);
                lp += v + ls;
                grad[i] += dv * pop.scale[k] + 1.0;
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
        let log_disp = l.log_disp.map_or(0.0, |s| Self::get(s, x));
        if log_disp.abs() > crate::counts::MAX_LOG_DISPERSION {
            return Err(DensityError::NonFinite);
        }
        if let Some(Slot::Free(i)) = l.log_disp {
            let (v, dv) = self.spec.dispersion.logp(log_disp);
            lp += v;
            grad[i] += dv;
        }
        let (sigma, dlog_sigma) = self.noise_sd(log_sigma);
        pop.noise = Noise { phi, psi_phi, lg_phi, sigma, disp: log_disp.exp() };
        if let Some(slot) = l.log_model_sd {
            let lsd = Self::get(slot, x);
            pop.model_sd = lsd.exp();
            if let Slot::Free(i) = slot {
                let (v, dv) = self.spec.model_effect_scale.logp(pop.model_sd);
                lp += v + lsd;
                grad[i] += dv * pop.model_sd + 1.0;
            }
        }
        if !self.task_curves(x, &pop, s) {
            return Err(DensityError::NonFinite);
        }
        s.dth.clear();
        s.dth.resize(4 * t_n, 0.0);
        // the likelihood: d/dθ of each task into s.dth, d/d(shift) of each model in its w slot
        let lik = if batched {
            self.likelihood_batched(x, &pop, s, grad)
        } else {
            self.likelihood_per_observation(x, &pop, s, grad)
        };
        if !lik.finite {
            return Err(DensityError::NonFinite);
        }
        lp += lik.lp;
        // the prior of z and the chain rule from θ to z, location and log scale, one pass per
        // curve parameter
        let mut dloc = [0.0; 4];
        let mut dls = [0.0; 4];
        let mut lp_blocks = [0.0; 4];
        for v in &mut s.prior_terms {
            v.resize(t_n, 0.0);
        }
        s.zeros.resize(t_n, 0.0);
        // the midpoints first: under a shear their derivative reaches the ceilings and slopes
        for k in [2, 0, 1, 3] {
            let b = k * t_n..(k + 1) * t_n;
            let pv = &s.pinned;
            let z = &x[l.z_start + b.start..l.z_start + b.end];
            let shift = if k == 2 { &s.shear_shift[..] } else { &s.zeros[..] };
            let inputs = [&self.pin_c[b.clone()], z, &pv.a[b.clone()], &pv.r[b.clone()], &s.dth[b.clone()], shift];
            let pop = [pop.loc[k], 1.0 / pop.scale[k]];
            let grad_z = &mut grad[l.z_start + b.start..l.z_start + b.end];
            let [lp_t, dloc_t, dls_t, d_t] = &mut s.prior_terms;
            let out = [&mut lp_t[..], &mut dloc_t[..], &mut dls_t[..], &mut d_t[..]];
            dispatch_lanes!(prior_pass(inputs: [&[f64]; 6], pop: [f64; 2], grad_z: &mut [f64], out: [&mut [f64]; 4]));
            lp_blocks[k] = batch::sum(lp_t) + 0.5 * batch::sum(&pv.ln_r[b]);
            dloc[k] = batch::sum(dloc_t);
            dls[k] = batch::sum(dls_t);
            if k == 2 && self.sheared {
                // m = m̃ + κ·ln(g)/s: dm/dθ_ceiling = κ(1 − g)/s, dm/dθ_slope = −κ·ln(g)/s
                let (_, rest) = s.dth.split_at_mut(t_n);
                let (d_ceiling, rest) = rest.split_at_mut(t_n);
                let d_slope = &mut rest[t_n..];
                for (t, &d) in s.prior_terms[3].iter().enumerate() {
                    d_ceiling[t] += d * s.shear_dc[t];
                    d_slope[t] -= d * s.shear_shift[t];
                }
            }
        }
        for v in lp_blocks {
            lp += v;
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
            grad[i] += lik.dlogphi;
        }
        if let Some(Slot::Free(i)) = l.log_sigma {
            grad[i] += lik.dlogsigma * dlog_sigma;
        }
        if let Some(Slot::Free(i)) = l.log_disp {
            grad[i] += lik.dlogd;
        }
        if let Some(w) = l.w_start {
            let mut dlsd = 0.0;
            // non-centred: the slot holds w_j, shift_j = sd · w_j, w_j ~ Normal(0, 1). (A centred
            // form failed simulation-based calibration: chains could not reach small sds.)
            for j in 0..l.n_models {
                let dshift = grad[w + j];
                let wj = x[w + j];
                lp -= 0.5 * wj * wj;
                dlsd += dshift * pop.model_sd * wj;
                grad[w + j] = dshift * pop.model_sd - wj;
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
    /// `slope.t` for t = 1..T, then `model_shift.j` for each evaluated model (`model_logit_sd`
    /// and `model_logit.j` for an effect on the logit).
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
        if l.log_disp.is_some() {
            names.push("dispersion".into());
        }
        if l.log_sigma.is_some() {
            names.push("sigma".into());
        }
        let (sd_name, per_model) = self.spec.model_effect_on.columns();
        if l.log_model_sd.is_some() {
            names.push(sd_name.into());
        }
        for p in crate::spec::CURVE_PARAMS {
            for t in 0..l.n_tasks {
                names.push(format!("{p}.{}", t + 1));
            }
        }
        if l.w_start.is_some() {
            for j in 0..l.n_models {
                names.push(format!("{per_model}.{}", j + 1));
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
        v.extend(c.dispersion);
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
