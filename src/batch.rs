//! The beta-binomial likelihood of a whole data set in a few passes over arrays, each an
//! element-wise loop that the compiler vectorises: the curve at every observation, e^−|u| of
//! all of them, then one loop that takes each observation from its p through the ln Γ and ψ of
//! its four arguments to its derivatives (an observation with an argument below the asymptotic
//! series' range again alone; when many are, the same steps as passes of their own). A data set
//! of scores alone (no item counts) takes the same curve passes, then one loop of the
//! logit-normal likelihood ([`Batch::logit_normal`]).
//! [`crate::model`] fills the inputs and sums the outputs per task; the per-observation path
//! there is the reference these passes are tested against.

use crate::special::{
    dispatch_lanes, exp_clamped_many, in_series_range, ln_gamma_digamma_any, ln_gamma_digamma_large,
    ln_gamma_digamma_many, ln_positive,
};

/// Per-observation arrays of one evaluation, reused between evaluations.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    /// The task's curve at each observation: the floor f, (1 − f)·g and (1 − f)·(1 − g), g the
    /// share of the room above the floor, so that p = f + (1 − f)·g·logistic(u) and
    /// 1 − p = (1 − f)·(1 − g) + (1 − f)·g·logistic(−u).
    pub f: Vec<f64>,
    pub fg: Vec<f64>,
    pub q0: Vec<f64>,
    /// The task's slope and midpoint at each observation, and the observation's x with its
    /// model's shift.
    pub slope: Vec<f64>,
    pub mid: Vec<f64>,
    pub xs: Vec<f64>,
    /// When the observations are rows of the same tasks ([`crate::model`]'s model-by-model
    /// order), the length of a row: `f`, `fg`, `q0`, `slope` and `mid` then hold one row, the
    /// same for all. 0 when every observation has its own.
    pub row: usize,
    /// With `row`: each row's item counts are the first row's (each task has one n), so that
    /// lnΓ(n + φ) and ψ(n + φ) are looked up for one row and copied down the others.
    pub counts_repeat: bool,
    /// u = slope·(x − midpoint), and −|u| (then e^−|u|, then p).
    pub u: Vec<f64>,
    pub neg_abs_u: Vec<f64>,
    pub e: Vec<f64>,
    /// logistic(u), logistic(−u) and 1 − p.
    pub lu: Vec<f64>,
    pub one_lu: Vec<f64>,
    pub q: Vec<f64>,
    /// ln Γ/ψ arguments: y + a, a, n − y + b, b of observation i at i, N + i, 2N + i, 3N + i
    /// (a = pφ, b = (1 − p)φ), then n + φ for each distinct item count.
    pub arg: Vec<f64>,
    pub lg: Vec<f64>,
    pub dg: Vec<f64>,
    /// ln Γ(n + φ) and ψ(n + φ) of each observation's n.
    pub total_lg: Vec<f64>,
    pub total_dg: Vec<f64>,
    /// Outputs per observation: log-likelihood, d/d(log φ), and with l = d log p/dp the parts
    /// of the curve's derivatives that vary within a task: l·(1 − p), l·logistic(u),
    /// l·logistic(u)·logistic(−u) and that times u. The task's own factors (f, (1 − f)·g, …)
    /// multiply their sums ([`crate::model`]).
    pub ll: Vec<f64>,
    pub d_log_phi: Vec<f64>,
    pub dq: Vec<f64>,
    pub dl: Vec<f64>,
    pub du: Vec<f64>,
    pub dus: Vec<f64>,
    /// With a per-model effect on the logit ([`Batch::beta_binomial`]'s `lucky`): e^−δ of
    /// each observation's model's shift δ of logit(p) (filled by the caller), then the shifted
    /// p' and 1 − p' that the counts see, d p'/d p, and d log p/dδ.
    pub luck: Vec<f64>,
    pub p_luck: Vec<f64>,
    pub q_luck: Vec<f64>,
    pub jac: Vec<f64>,
    pub d_luck: Vec<f64>,
    /// Scores without item counts ([`Batch::logit_normal`]): the logit of each observation's
    /// score less its model's shift of the logit (filled by the caller), and each one's
    /// d/d(ln σ).
    pub r: Vec<f64>,
    pub d_log_sigma: Vec<f64>,
    /// 1 where some ln Γ/ψ argument of the observation is outside the asymptotic series'
    /// range, else 0.
    pub outside: Vec<u64>,
    /// The last evaluation found more than an eighth of the observations with an argument
    /// outside that range: the separate passes are quicker ([`Batch::beta_binomial`]).
    pub passes: bool,
}

impl Batch {
    /// How many observations `f`, `fg`, `q0`, `slope` and `mid` hold before they repeat.
    fn period(&self) -> usize {
        if self.row == 0 { self.u.len() } else { self.row }
    }

    /// Room for `n_obs` observations and `n_counts` distinct item counts (and the arrays of a
    /// per-model effect on the logit when `lucky`).
    pub fn resize(&mut self, n_obs: usize, n_counts: usize, lucky: bool) {
        for v in [
            &mut self.f,
            &mut self.fg,
            &mut self.q0,
            &mut self.slope,
            &mut self.mid,
            &mut self.xs,
            &mut self.u,
            &mut self.neg_abs_u,
            &mut self.e,
            &mut self.lu,
            &mut self.one_lu,
            &mut self.q,
            &mut self.total_lg,
            &mut self.total_dg,
            &mut self.ll,
            &mut self.d_log_phi,
            &mut self.dq,
            &mut self.dl,
            &mut self.du,
            &mut self.dus,
            &mut self.r,
            &mut self.d_log_sigma,
        ] {
            v.resize(n_obs, 0.0);
        }
        self.outside.resize(n_obs, 0);
        for v in [&mut self.arg, &mut self.lg, &mut self.dg] {
            v.resize(4 * n_obs + n_counts, 0.0);
        }
        let n_luck = if lucky { n_obs } else { 0 };
        for v in [&mut self.luck, &mut self.p_luck, &mut self.q_luck, &mut self.jac, &mut self.d_luck] {
            v.resize(n_luck, 0.0);
        }
    }

    /// With `f`, `fg`, `q0`, `slope`, `mid` and `xs` filled: the log-likelihood of every
    /// observation and its derivatives (`y`, `n` the counts as floats, `n_index` each
    /// observation's place in `counts`, the distinct item counts; `noise` is φ, ln Γ(φ) and
    /// ψ(φ)). With `lucky`, each observation's p is first moved on the logit by its model's
    /// shift (`luck` holds e^−shift), and the derivatives in p are those of the curve's p.
    /// False when some observation's probability is not inside (0, 1): the density is not
    /// finite there. With `keep_digammas` the arguments' ln Γ and ψ are left in `lg` and `dg`
    /// for the caller (the passes run, never the one loop that keeps them in registers).
    #[allow(clippy::too_many_arguments)]
    pub fn beta_binomial(
        &mut self,
        y: &[f64],
        n: &[f64],
        n_index: &[usize],
        counts: &[f64],
        lchoose: &[f64],
        noise: [f64; 3],
        lucky: bool,
        keep_digammas: bool,
    ) -> bool {
        let phi = noise[0];
        let n_obs = self.u.len();
        let batch = self;
        dispatch_lanes!(exponent(batch: &mut Batch));
        exp_clamped_many(&batch.neg_abs_u, &mut batch.e);
        if !dispatch_lanes!(curve(batch: &mut Batch) -> bool) {
            return false;
        }
        for (a, &c) in batch.arg[4 * n_obs..].iter_mut().zip(counts) {
            *a = c + phi;
        }
        let counted = 4 * n_obs..;
        ln_gamma_digamma_many(&batch.arg[counted.clone()], &mut batch.lg[counted.clone()], &mut batch.dg[counted]);
        let w = if batch.counts_repeat && batch.row > 0 { batch.row } else { n_obs };
        for (i, &k) in n_index[..w].iter().enumerate() {
            batch.total_lg[i] = batch.lg[4 * n_obs + k];
            batch.total_dg[i] = batch.dg[4 * n_obs + k];
        }
        for start in (w..n_obs).step_by(w.max(1)) {
            batch.total_lg.copy_within(..w, start);
            batch.total_dg.copy_within(..w, start);
        }
        // One loop takes each observation from its p to its derivatives with nothing in between
        // stored, and takes the few with an argument below the series' range again one by one.
        // When many are (the last evaluation found more than an eighth), or the caller reads
        // the ln Γ/ψ afterwards, the arguments are stored, their ln Γ/ψ computed in a pass of
        // their own, then the derivatives: the same numbers.
        let few = n_obs / 8;
        if !keep_digammas && !batch.passes {
            let counts = Counts { y, n, lchoose };
            let (valid, outside) = if lucky {
                dispatch_lanes!(fused_lucky(batch: &mut Batch, counts: Counts, noise: [f64; 3], few: usize) -> (bool, usize))
            } else {
                dispatch_lanes!(fused(batch: &mut Batch, counts: Counts, noise: [f64; 3], few: usize) -> (bool, usize))
            };
            if !valid || outside <= few {
                return valid;
            }
        }
        if lucky {
            if !dispatch_lanes!(luck(batch: &mut Batch, y: &[f64], n: &[f64], phi: f64) -> bool) {
                return false;
            }
        } else {
            dispatch_lanes!(plain_args(batch: &mut Batch, y: &[f64], n: &[f64], phi: f64));
        }
        if !keep_digammas {
            batch.passes = outside_the_series(&batch.arg[..4 * n_obs]) > few;
        }
        ln_gamma_digamma_many(&batch.arg[..4 * n_obs], &mut batch.lg[..4 * n_obs], &mut batch.dg[..4 * n_obs]);
        if lucky {
            dispatch_lanes!(derivatives_lucky(batch: &mut Batch, lchoose: &[f64], noise: [f64; 3]));
        } else {
            dispatch_lanes!(derivatives(batch: &mut Batch, lchoose: &[f64], noise: [f64; 3]));
        }
        true
    }
}

impl Batch {
    /// With `f`, `fg`, `q0`, `slope`, `mid`, `xs` and `r` filled: the logit-normal
    /// log-likelihood of every observation's score, logit(score) ~ Normal(logit(p) + δ, σ²)
    /// (δ its model's shift, taken into `r`), and its derivatives as
    /// [`Batch::beta_binomial`] leaves them, with d/d(ln σ) in `d_log_sigma` and, with
    /// `lucky`, d/dδ in `d_luck`. False when some p or 1 − p is not positive.
    pub fn logit_normal(&mut self, sigma: f64, lucky: bool) -> bool {
        let batch = self;
        dispatch_lanes!(exponent(batch: &mut Batch));
        exp_clamped_many(&batch.neg_abs_u, &mut batch.e);
        if !dispatch_lanes!(curve(batch: &mut Batch) -> bool) {
            return false;
        }
        if lucky {
            dispatch_lanes!(scores_lucky(batch: &mut Batch, sigma: f64));
        } else {
            dispatch_lanes!(scores(batch: &mut Batch, sigma: f64));
        }
        true
    }

    /// After [`Batch::beta_binomial`] on data that mix counts and scores (each score an
    /// observation with y = n = 0, whose every output there is 0): the logit-normal of the
    /// observations whose `is_score` is 1, as [`Batch::logit_normal`] gives it, added to those
    /// outputs (`r` filled for them; the counts' entries of `r` need only be finite).
    pub fn add_logit_normal(&mut self, is_score: &[f64], sigma: f64, lucky: bool) {
        let batch = self;
        if lucky {
            dispatch_lanes!(scores_among_lucky(batch: &mut Batch, is_score: &[f64], sigma: f64));
        } else {
            dispatch_lanes!(scores_among(batch: &mut Batch, is_score: &[f64], sigma: f64));
        }
    }
}

/// [`Batch::logit_normal`]'s loop, without a per-model effect.
#[inline(always)]
fn scores(b: &mut Batch, sigma: f64) {
    scores_of::<false, false>(b, &[], sigma);
}

/// [`Batch::logit_normal`]'s loop, with d/dδ of each observation into `d_luck`.
#[inline(always)]
fn scores_lucky(b: &mut Batch, sigma: f64) {
    scores_of::<true, false>(b, &[], sigma);
}

/// [`Batch::add_logit_normal`]'s loop, without a per-model effect.
#[inline(always)]
fn scores_among(b: &mut Batch, is_score: &[f64], sigma: f64) {
    scores_of::<false, true>(b, is_score, sigma);
}

/// [`Batch::add_logit_normal`]'s loop, with d/dδ added into `d_luck`.
#[inline(always)]
fn scores_among_lucky(b: &mut Batch, is_score: &[f64], sigma: f64) {
    scores_of::<true, true>(b, is_score, sigma);
}

/// The logit-normal of each observation: written over the outputs, or with `ADD` weighted by
/// `is_score` and added to them.
#[inline(always)]
fn scores_of<const LUCKY: bool, const ADD: bool>(b: &mut Batch, is_score: &[f64], sigma: f64) {
    let len = b.u.len();
    let (u, p, q, lu, one_lu, r) = (&b.u[..len], &b.e[..len], &b.q[..len], &b.lu[..len], &b.one_lu[..len], &b.r[..len]);
    let (ll, d_log_sigma) = (&mut b.ll[..len], &mut b.d_log_sigma[..len]);
    let (dq, dl, du, dus) = (&mut b.dq[..len], &mut b.dl[..len], &mut b.du[..len], &mut b.dus[..len]);
    let d_luck = &mut b.d_luck[..if LUCKY { len } else { 0 }];
    let is_score = &is_score[..if ADD { len } else { 0 }];
    let inv_sigma = 1.0 / sigma;
    // −ln σ − ln √(2π)
    let norm = -ln_positive(sigma) - 0.918_938_533_204_672_8;
    for i in 0..len {
        let e = (r[i] - ln_positive(p[i] / q[i])) * inv_sigma;
        // d/d logit(p) = e/σ; d/dp = that over p(1 − p), the same with a shift of the logit
        let g = e * inv_sigma;
        let dldp = g / (p[i] * q[i]);
        let dli = dldp * lu[i];
        let dui = dli * one_lu[i];
        let o = [-0.5 * e * e + norm, e * e - 1.0, dldp * q[i], dli, dui, dui * u[i], g];
        if ADD {
            let m = is_score[i];
            ll[i] += m * o[0];
            d_log_sigma[i] = m * o[1];
            (dq[i], dl[i], du[i], dus[i]) = (dq[i] + m * o[2], dl[i] + m * o[3], du[i] + m * o[4], dus[i] + m * o[5]);
            if LUCKY {
                d_luck[i] += m * o[6];
            }
        } else {
            (ll[i], d_log_sigma[i], dq[i], dl[i], du[i], dus[i]) = (o[0], o[1], o[2], o[3], o[4], o[5]);
            if LUCKY {
                d_luck[i] = o[6];
            }
        }
    }
}

/// u = slope·(x − midpoint) and −|u| of each observation.
#[inline(always)]
fn exponent(b: &mut Batch) {
    let w = b.period();
    let (slope, mid) = (&b.slope[..w], &b.mid[..w]);
    let rows = b.u.chunks_exact_mut(w).zip(b.neg_abs_u.chunks_exact_mut(w)).zip(b.xs.chunks_exact(w));
    for ((u, neg_abs_u), xs) in rows {
        for i in 0..w {
            u[i] = slope[i] * (xs[i] - mid[i]);
            neg_abs_u[i] = -u[i].abs();
        }
    }
}

/// The four ln Γ/ψ arguments of every observation, each a block of `arg`: y + a, a,
/// n − y + b and b, with a = pφ and b = (1 − p)φ.
struct LnGammaArgs<'a> {
    ya: &'a mut [f64],
    a: &'a mut [f64],
    yb: &'a mut [f64],
    b: &'a mut [f64],
}

impl<'a> LnGammaArgs<'a> {
    #[inline(always)]
    fn of(arg: &'a mut [f64], len: usize) -> Self {
        let (ya, rest) = arg.split_at_mut(len);
        let (a, rest) = rest.split_at_mut(len);
        let (yb, rest) = rest.split_at_mut(len);
        LnGammaArgs { ya, a, yb, b: &mut rest[..len] }
    }

    /// Observation i's arguments from its counts y and n and its p and 1 − p.
    #[inline(always)]
    fn set(&mut self, i: usize, counts: [f64; 2], p_q: [f64; 2], phi: f64) {
        [self.ya[i], self.a[i], self.yb[i], self.b[i]] = ln_gamma_args(counts, p_q, phi);
    }
}

/// y + a, a, n − y + b and b, with a = pφ and b = (1 − p)φ.
#[inline(always)]
fn ln_gamma_args([y, n]: [f64; 2], [p, q]: [f64; 2], phi: f64) -> [f64; 4] {
    let (a, b) = (p * phi, q * phi);
    [y + a, a, n - y + b, b]
}

/// logistic(±u) from e^−|u|, and p and 1 − p of each observation. False when some p or 1 − p
/// is not positive.
#[inline(always)]
fn curve(b: &mut Batch) -> bool {
    let w = b.period();
    let (f, fg, q0) = (&b.f[..w], &b.fg[..w], &b.q0[..w]);
    let mut valid = true;
    let rows = (b.u.chunks_exact(w).zip(b.e.chunks_exact_mut(w)))
        .zip(b.lu.chunks_exact_mut(w).zip(b.one_lu.chunks_exact_mut(w)))
        .zip(b.q.chunks_exact_mut(w));
    for (((u, e), (lu, one_lu)), q) in rows {
        for i in 0..w {
            let big = 1.0 / (1.0 + e[i]);
            let small = e[i] * big;
            let up = u[i] >= 0.0;
            let l = if up { big } else { small };
            let one_l = if up { small } else { big };
            let p = f[i] + fg[i] * l;
            let qi = q0[i] + fg[i] * one_l;
            valid &= (p > 0.0) & (qi > 0.0);
            // e^−|u| is used up: its slot keeps p from here on
            (lu[i], one_lu[i], e[i], q[i]) = (l, one_l, p, qi);
        }
    }
    valid
}

/// How many observations have an ln Γ/ψ argument (of the four blocks of `arg`) outside the
/// range of [`ln_gamma_digamma_large`] ([`in_series_range`]).
fn outside_the_series(arg: &[f64]) -> usize {
    let len = arg.len() / 4;
    (0..len).filter(|&i| (0..4).any(|k| !in_series_range(arg[k * len + i]))).count()
}

/// The four ln Γ/ψ arguments of each observation from the curve's p and 1 − p.
#[inline(always)]
fn plain_args(b: &mut Batch, y: &[f64], n: &[f64], phi: f64) {
    let len = b.u.len();
    let (p, q) = (&b.e[..len], &b.q[..len]);
    let (y, n) = (&y[..len], &n[..len]);
    let mut args = LnGammaArgs::of(&mut b.arg, len);
    for i in 0..len {
        args.set(i, [y[i], n[i]], [p[i], q[i]], phi);
    }
}

/// With p and 1 − p of the curve in place: p' = logistic(logit(p) + δ) and 1 − p' of each
/// observation, as p/(p + (1 − p)·e^−δ) and (1 − p)·e^−δ/(p + (1 − p)·e^−δ) (no logarithm, and
/// e^−δ is one number per model), d p'/d p = e^−δ/(p + (1 − p)·e^−δ)², and the four ln Γ/ψ
/// arguments again from p'. False when p' or 1 − p' is not positive.
#[inline(always)]
fn luck(b: &mut Batch, y: &[f64], n: &[f64], phi: f64) -> bool {
    let len = b.u.len();
    let (p, q, luck) = (&b.e[..len], &b.q[..len], &b.luck[..len]);
    let (y, n) = (&y[..len], &n[..len]);
    let (pl, ql, jac) = (&mut b.p_luck[..len], &mut b.q_luck[..len], &mut b.jac[..len]);
    let mut args = LnGammaArgs::of(&mut b.arg, len);
    let mut valid = true;
    for i in 0..len {
        let (p1, q1, j) = shifted(p[i], q[i], luck[i]);
        valid &= (p1 > 0.0) & (q1 > 0.0);
        (pl[i], ql[i], jac[i]) = (p1, q1, j);
        args.set(i, [y[i], n[i]], [p1, q1], phi);
    }
    valid
}

/// p' and 1 − p' from p, 1 − p and e^−δ, and d p'/d p (see [`luck`]).
#[inline(always)]
fn shifted(p: f64, q: f64, luck: f64) -> (f64, f64, f64) {
    let qk = q * luck;
    let inv = 1.0 / (p + qk);
    (p * inv, qk * inv, luck * (inv * inv))
}

/// Each observation's log-likelihood, d/d(log φ), and the within-task parts of d/dθ.
#[inline(always)]
fn derivatives(b: &mut Batch, lchoose: &[f64], noise: [f64; 3]) {
    derivatives_of::<false>(b, lchoose, noise);
}

/// [`derivatives`] with a per-model effect on the logit: the likelihood sees p' and the
/// derivatives in p carry d p'/d p; d/d(shift) of each observation into `d_luck`.
#[inline(always)]
fn derivatives_lucky(b: &mut Batch, lchoose: &[f64], noise: [f64; 3]) {
    derivatives_of::<true>(b, lchoose, noise);
}

/// The counts of every observation as floats, and ln of their binomial coefficients.
#[derive(Clone, Copy)]
struct Counts<'a> {
    y: &'a [f64],
    n: &'a [f64],
    lchoose: &'a [f64],
}

/// From the curve's p and 1 − p of each observation to its log-likelihood and derivatives in
/// one loop, as [`plain_args`], [`ln_gamma_digamma_many`] and [`derivatives`] give them, to the
/// last bit: the asymptotic series of ln Γ/ψ for every argument in the loop, then the
/// observations with an argument outside its range once more with the general function, when
/// they are at most `few`. Whether every p' and 1 − p' is positive, and how many observations
/// had an argument outside (more than `few`: the outputs are not to be used).
#[inline(always)]
fn fused(b: &mut Batch, counts: Counts, noise: [f64; 3], few: usize) -> (bool, usize) {
    fused_of::<false>(b, counts, noise, few)
}

/// [`fused`] with a per-model effect on the logit, as [`luck`], [`ln_gamma_digamma_many`] and
/// [`derivatives_lucky`] give it.
#[inline(always)]
fn fused_lucky(b: &mut Batch, counts: Counts, noise: [f64; 3], few: usize) -> (bool, usize) {
    fused_of::<true>(b, counts, noise, few)
}

#[inline(always)]
fn fused_of<const LUCKY: bool>(b: &mut Batch, counts: Counts, noise: [f64; 3], few: usize) -> (bool, usize) {
    let phi = noise[0];
    let len = b.u.len();
    let (y, n, lchoose) = (&counts.y[..len], &counts.n[..len], &counts.lchoose[..len]);
    let (tot_lg, tot_dg) = (&b.total_lg[..len], &b.total_dg[..len]);
    let (u, p, q, lu, one_lu) = (&b.u[..len], &b.e[..len], &b.q[..len], &b.lu[..len], &b.one_lu[..len]);
    let (ll, d_log_phi) = (&mut b.ll[..len], &mut b.d_log_phi[..len]);
    let (dq, dl, du, dus) = (&mut b.dq[..len], &mut b.dl[..len], &mut b.du[..len], &mut b.dus[..len]);
    let lucky_len = if LUCKY { len } else { 0 };
    let (luck, d_luck) = (&b.luck[..lucky_len], &mut b.d_luck[..lucky_len]);
    let outside_at = &mut b.outside[..len];
    // observation i's outputs with its ln Γ/ψ from `$lgdg`; whether its p' and 1 − p' are
    // positive, and whether some argument was outside the asymptotic series' range
    macro_rules! observation {
        ($i:expr, $lgdg:expr) => {{
            let i = $i;
            let (p1, q1, jac, valid) = if LUCKY {
                let (p1, q1, jac) = shifted(p[i], q[i], luck[i]);
                (p1, q1, jac, (p1 > 0.0) & (q1 > 0.0))
            } else {
                (p[i], q[i], 1.0, true)
            };
            let [ya, a, yb, bb] = ln_gamma_args([y[i], n[i]], [p1, q1], phi);
            let (lg_ya, dg_ya, o1) = $lgdg(ya);
            let (lg_a, dg_a, o2) = $lgdg(a);
            let (lg_yb, dg_yb, o3) = $lgdg(yb);
            let (lg_b, dg_b, o4) = $lgdg(bb);
            let o = outputs::<LUCKY>(
                [lg_ya, lg_a, lg_yb, lg_b],
                [dg_ya, dg_a, dg_yb, dg_b],
                [p1, q1, jac],
                [q[i], lu[i], one_lu[i], u[i]],
                [lchoose[i], tot_lg[i], tot_dg[i]],
                noise,
            );
            [ll[i], d_log_phi[i], dq[i], dl[i], du[i], dus[i]] = [o[0], o[1], o[3], o[4], o[5], o[6]];
            if LUCKY {
                d_luck[i] = o[2];
            }
            (valid, o1 | o2 | o3 | o4)
        }};
    }
    let mut valid = true;
    let mut outside = 0u64;
    for (i, at) in outside_at.iter_mut().enumerate() {
        let (v, o) = observation!(i, ln_gamma_digamma_large);
        valid &= v;
        *at = o;
        outside += o;
    }
    let outside = outside as usize;
    if outside > 0 && outside <= few {
        // the observations with an argument below 40 (a small φ, or p near 0 or 1) again, each
        // argument as [`ln_gamma_digamma_many`] takes it
        for (i, &at) in outside_at.iter().enumerate() {
            if at != 0 {
                observation!(i, ln_gamma_digamma_any);
            }
        }
    }
    (valid, outside)
}

#[inline(always)]
fn derivatives_of<const LUCKY: bool>(b: &mut Batch, lchoose: &[f64], noise: [f64; 3]) {
    let len = b.u.len();
    let (lg, dg) = (&b.lg[..4 * len], &b.dg[..4 * len]);
    let (lg_ya, lg_a, lg_yb, lg_b) = (&lg[..len], &lg[len..2 * len], &lg[2 * len..3 * len], &lg[3 * len..]);
    let (dg_ya, dg_a, dg_yb, dg_b) = (&dg[..len], &dg[len..2 * len], &dg[2 * len..3 * len], &dg[3 * len..]);
    let (tot_lg, tot_dg, lchoose) = (&b.total_lg[..len], &b.total_dg[..len], &lchoose[..len]);
    let (u, p, q, lu, one_lu) = (&b.u[..len], &b.e[..len], &b.q[..len], &b.lu[..len], &b.one_lu[..len]);
    let (ll, d_log_phi) = (&mut b.ll[..len], &mut b.d_log_phi[..len]);
    let (dq, dl, du, dus) = (&mut b.dq[..len], &mut b.dl[..len], &mut b.du[..len], &mut b.dus[..len]);
    let lucky_len = if LUCKY { len } else { 0 };
    let (pl, ql, jac) = (&b.p_luck[..lucky_len], &b.q_luck[..lucky_len], &b.jac[..lucky_len]);
    let d_luck = &mut b.d_luck[..lucky_len];
    for i in 0..len {
        let seen = if LUCKY { [pl[i], ql[i], jac[i]] } else { [p[i], q[i], 1.0] };
        let o = outputs::<LUCKY>(
            [lg_ya[i], lg_a[i], lg_yb[i], lg_b[i]],
            [dg_ya[i], dg_a[i], dg_yb[i], dg_b[i]],
            seen,
            [q[i], lu[i], one_lu[i], u[i]],
            [lchoose[i], tot_lg[i], tot_dg[i]],
            noise,
        );
        [ll[i], d_log_phi[i], dq[i], dl[i], du[i], dus[i]] = [o[0], o[1], o[3], o[4], o[5], o[6]];
        if LUCKY {
            d_luck[i] = o[2];
        }
    }
}

/// One observation's log-likelihood, d/d(log φ), d/d(its model's shift) (0 without `LUCKY`) and
/// the four within-task parts of d/dθ (see [`Batch::dq`]), from the ln Γ and ψ of its arguments
/// y + a, a, n − y + b and b; the p' and 1 − p' the counts see, with d p'/d p (p, 1 − p and 1
/// without a per-model effect); the curve's 1 − p, logistic(±u) and u; and its ln choose,
/// ln Γ(n + φ) and ψ(n + φ). The counts see p'; the curve's parameters reach it through p.
#[inline(always)]
fn outputs<const LUCKY: bool>(
    lg: [f64; 4],
    dg: [f64; 4],
    [p1, q1, jac]: [f64; 3],
    [q, lu, one_lu, u]: [f64; 4],
    [lchoose, tot_lg, tot_dg]: [f64; 3],
    [phi, lg_phi, psi_phi]: [f64; 3],
) -> [f64; 7] {
    let ([lg_ya, lg_a, lg_yb, lg_b], [dg_ya, dg_a, dg_yb, dg_b]) = (lg, dg);
    let ll = lchoose + lg_ya + lg_yb - tot_lg - lg_a - lg_b + lg_phi;
    let (da, db) = (dg_ya - dg_a, dg_yb - dg_b);
    let d_log_phi = phi * (p1 * da + q1 * db - tot_dg + psi_phi);
    let dldp_shifted = phi * (da - db);
    let (d_luck, dldp) = if LUCKY { (dldp_shifted * (p1 * q1), dldp_shifted * jac) } else { (0.0, dldp_shifted) };
    let dl = dldp * lu;
    let du = dl * one_lu;
    [ll, d_log_phi, d_luck, dldp * q, dl, du, du * u]
}

/// The counts scaled by a dispersion d ([`crate::counts`]): y/d and n/d of every observation,
/// the distinct item counts over d, and each observation's ln of its binomial coefficient
/// (as Γ functions, less ln d) with its derivative in ln d. [`Batch::beta_binomial`] takes
/// them in place of the counts; [`Scaled::d_log_d`] then adds the terms of d/d ln d that its
/// ln Γ arguments carry.
#[derive(Debug, Default)]
pub(crate) struct Scaled {
    pub y: Vec<f64>,
    pub n: Vec<f64>,
    pub counts: Vec<f64>,
    pub lchoose: Vec<f64>,
    d_choose: Vec<f64>,
    terms: Vec<f64>,
    arg: Vec<f64>,
    lg: Vec<f64>,
    dg: Vec<f64>,
}

impl Scaled {
    /// Fill from the counts `y` and `n` (floats), each observation's place `n_index` among
    /// the distinct `counts`, and the dispersion `d`.
    pub fn fill(&mut self, y: &[f64], n: &[f64], n_index: &[usize], counts: &[f64], d: f64) {
        let (len, k) = (y.len(), counts.len());
        let inv = 1.0 / d;
        self.y.clear();
        self.y.extend(y.iter().map(|v| v * inv));
        self.n.clear();
        self.n.extend(n.iter().map(|v| v * inv));
        self.counts.clear();
        self.counts.extend(counts.iter().map(|v| v * inv));
        // ln Γ/ψ of y/d + 1 and (n − y)/d + 1 per observation, n/d + 1 per distinct count
        self.arg.clear();
        self.arg.extend(self.y.iter().map(|v| v + 1.0));
        self.arg.extend(self.n.iter().zip(&self.y).map(|(n, y)| n - y + 1.0));
        self.arg.extend(self.counts.iter().map(|c| c + 1.0));
        self.lg.resize(2 * len + k, 0.0);
        self.dg.resize(2 * len + k, 0.0);
        ln_gamma_digamma_many(&self.arg, &mut self.lg, &mut self.dg);
        let ln_d = d.ln();
        self.lchoose.clear();
        self.d_choose.clear();
        for (i, &c) in n_index.iter().enumerate() {
            let (yi, ri, ni) = (self.y[i], self.n[i] - self.y[i], self.n[i]);
            let (lg_n, dg_n) = (self.lg[2 * len + c], self.dg[2 * len + c]);
            self.lchoose.push(lg_n - self.lg[i] - self.lg[len + i] - ln_d);
            self.d_choose.push(-(ni * dg_n - yi * self.dg[i] - ri * self.dg[len + i]) - 1.0);
        }
    }

    /// d/d ln d of the whole likelihood, after [`Batch::beta_binomial`] ran on these counts:
    /// each count c moves by −c, in its binomial coefficient and in ln Γ(y + a), ln Γ(n − y + b)
    /// and ln Γ(n + φ).
    pub fn d_log_d(&mut self, b: &Batch) -> f64 {
        let len = self.y.len();
        let (dg_ya, dg_rb) = (&b.dg[..len], &b.dg[2 * len..3 * len]);
        self.terms.clear();
        self.terms.extend((0..len).map(|i| {
            let (y, n) = (self.y[i], self.n[i]);
            self.d_choose[i] - (y * dg_ya[i] + (n - y) * dg_rb[i] - n * b.total_dg[i])
        }));
        sum(&self.terms)
    }
}

/// Adds each row of `v` (rows of `out.len()` values) into `out`, element by element, the rows
/// in order.
pub(crate) fn add_rows(v: &[f64], out: &mut [f64]) {
    #[inline(always)]
    fn body(v: &[f64], out: &mut [f64]) {
        for row in v.chunks_exact(out.len()) {
            for (o, &x) in out.iter_mut().zip(row) {
                *o += x;
            }
        }
    }
    debug_assert_eq!(v.len() % out.len().max(1), 0, "whole rows");
    dispatch_lanes!(body(v: &[f64], out: &mut [f64]))
}

/// Σ v in a fixed order, eight partial sums at a time (so the loop vectorises and the result
/// does not depend on the CPU).
pub(crate) fn sum(v: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let mut chunks = v.chunks_exact(8);
    for c in &mut chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    let rest: f64 = chunks.remainder().iter().sum();
    ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7])) + rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// The counts of a test batch.
    struct Counted {
        y: Vec<f64>,
        n: Vec<f64>,
        n_index: Vec<usize>,
        counts: Vec<f64>,
        lchoose: Vec<f64>,
    }

    impl Counted {
        /// [`Batch::beta_binomial`] of `b` on these counts with concentration `phi`.
        fn run(&self, b: &mut Batch, phi: f64, lucky: bool, keep_digammas: bool) -> bool {
            let noise = [phi, crate::special::ln_gamma(phi), crate::special::ln_gamma_digamma(phi).1];
            let Counted { y, n, n_index, counts, lchoose } = self;
            b.beta_binomial(y, n, n_index, counts, lchoose, noise, lucky, keep_digammas)
        }
    }

    /// A batch of `n_obs` observations with 2 item counts: curves, x, each observation's
    /// e^−shift, and the counts.
    fn batch(n_obs: usize, lucky: bool, seed: u64) -> (Batch, Counted) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let counts = vec![200.0, 1500.0];
        let mut b = Batch::default();
        b.resize(n_obs, counts.len(), lucky);
        let mut c = Counted { y: vec![], n: vec![], n_index: vec![], counts, lchoose: vec![] };
        for i in 0..n_obs {
            let (f, g) = (rng.random_range(0.05..0.3), rng.random_range(0.3..0.95));
            (b.f[i], b.fg[i], b.q0[i]) = (f, (1.0 - f) * g, (1.0 - f) * (1.0 - g));
            (b.slope[i], b.mid[i], b.xs[i]) =
                (rng.random_range(0.5..3.0), rng.random_range(8.0..11.0), rng.random_range(7.5..11.0));
            if lucky {
                b.luck[i] = (-rng.random_range(-0.3..0.3f64)).exp();
            }
            let k = i % 2;
            c.n_index.push(k);
            c.n.push(c.counts[k]);
            c.y.push((c.counts[k] * rng.random_range(0.1..0.9f64)).round());
            c.lchoose.push(rng.random_range(-50.0..0.0));
        }
        (b, c)
    }

    /// Every output of [`Batch::beta_binomial`], bit for bit.
    fn outputs(b: &Batch) -> Vec<u64> {
        [&b.ll, &b.d_log_phi, &b.dq, &b.dl, &b.du, &b.dus, &b.d_luck]
            .iter()
            .flat_map(|v| v.iter().map(|x| x.to_bits()))
            .collect()
    }

    /// The one loop from p to the derivatives gives the separate passes' numbers to the last
    /// bit, with and without a per-model effect: with every ln Γ argument in the series' range
    /// (φ = 3000), with two observations below it (a floor and ceiling near 0, taken again one
    /// by one), and with all of them below it (φ = 30), where the passes run instead and go on
    /// running until an evaluation finds few below it again.
    #[test]
    fn the_fused_loop_gives_the_passes_numbers_to_the_bit() {
        for lucky in [false, true] {
            // 37 observations: the vector loops' remainders run too
            let (mut b1, c) = batch(37, lucky, 5);
            for i in [3, 20] {
                (b1.f[i], b1.fg[i], b1.q0[i]) = (1e-4, 1e-4, 1.0 - 2e-4);
            }
            // (φ, observations outside the range, whether the passes ran)
            for (phi, outside, passes) in [(3000.0, 2, false), (30.0, 37, true), (3000.0, 2, true), (3000.0, 2, false)]
            {
                let mut b2 = Batch::default();
                b2.resize(37, 2, lucky);
                for (to, from) in
                    [(&mut b2.f, &b1.f), (&mut b2.fg, &b1.fg), (&mut b2.q0, &b1.q0), (&mut b2.luck, &b1.luck)]
                {
                    to.clone_from(from);
                }
                (b2.slope, b2.mid, b2.xs) = (b1.slope.clone(), b1.mid.clone(), b1.xs.clone());
                b1.lg.fill(f64::NAN);
                assert!(c.run(&mut b1, phi, lucky, false));
                assert!(c.run(&mut b2, phi, lucky, true));
                let case = format!("lucky {lucky}, φ {phi}");
                assert_eq!(outputs(&b1), outputs(&b2), "{case}");
                assert!(b1.ll.iter().all(|v| v.is_finite()), "{case}");
                assert_eq!(b1.lg[..4 * 37].iter().all(|v| v.is_finite()), passes, "{case}");
                assert_eq!(outside_the_series(&b2.arg[..4 * 37]), outside, "{case}");
            }
        }
    }

    /// A probability the per-model shift takes out of (0, 1) is refused on either path.
    #[test]
    fn both_paths_refuse_a_probability_outside_the_unit_interval() {
        for keep in [false, true] {
            let (mut b, c) = batch(9, true, 7);
            b.luck[4] = f64::INFINITY;
            assert!(!c.run(&mut b, 3000.0, true, keep));
        }
    }
}
