//! Posterior predictive check: do the fitted curves reproduce the scores they were fitted to?
//!
//! Each fitted score is set against the posterior predictive distribution of a repeat of the
//! same evaluation: the same model (with its own fitted luck, when the model has a per-model
//! effect), the task's items drawn again. A score far in either tail says that the task's
//! S-curve does not follow it there, and that the task's forecasts deserve less trust. The data
//! are used twice (to fit and to check), so the check is conservative: a score it flags is
//! badly fitted, while a poor fit can still pass.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;

use crate::data::FitData;
use crate::forecast::{Target, observed_score};
use crate::posterior::Posterior;
use crate::summary::quantile_sorted;

/// At most this many posterior draws (evenly spaced) serve the check.
pub const CHECK_DRAWS: usize = 1000;

/// The central predictive interval a fitted score is checked against.
pub const CHECK_LEVEL: f64 = 0.99;

/// A fitted score outside its predictive interval.
#[derive(Debug, Clone, Serialize)]
pub struct Outlier {
    pub task: String,
    pub model: String,
    /// The observation's x (log10 size, or of training compute).
    pub x: f64,
    pub observed: f64,
    /// The predictive interval at the check's level: the scores the check would pass. For
    /// counts, every count whose two-sided mid-p is at least 1 − level (a quantile interval of
    /// coarse counts can end at the very count it flags); for scores, the central interval.
    pub lo: f64,
    pub hi: f64,
    /// Two-sided tail probability of the observed score under the predictive distribution
    /// (mid-p for counts).
    pub p: f64,
}

/// The outcome of the check over every fitted score.
#[derive(Debug, Clone, Serialize)]
pub struct PredictiveCheck {
    pub level: f64,
    /// Fitted scores checked.
    pub scores: usize,
    /// Repeats of each evaluation drawn (one per posterior draw used): a p below 1/repeats
    /// shows as 0.
    pub repeats: usize,
    /// How many would lie outside by chance alone (at most: the check is conservative).
    pub expected: f64,
    /// The scores outside, most extreme first.
    pub outside: Vec<Outlier>,
}

impl PredictiveCheck {
    /// Whether far more scores lie outside than chance gives (beyond its mean plus three sds,
    /// and at least two more): the curves miss some tasks, not just a rare score.
    pub fn too_many(&self) -> bool {
        let n = self.outside.len() as f64;
        n >= self.expected + 2.0 && n > self.expected + 3.0 * self.expected.sqrt()
    }
}

/// Check every fitted score of `data` against the posterior predictive of `post` at `level`.
/// Each observation has its own random stream from `seed`, so the result depends on neither
/// order nor threads.
pub fn predictive_check(post: &Posterior, data: &FitData, level: f64, seed: u64) -> PredictiveCheck {
    let step = post.n_draws().div_ceil(CHECK_DRAWS).max(1);
    let rows: Vec<&[f64]> = post.rows().step_by(step).collect();
    let on = post.model_effect_on();
    let shift_cols: Vec<Option<usize>> = (0..data.models.len()).map(|j| post.model_shift_column(j)).collect();
    let sigma_col = post.column("sigma");
    let mut outside: Vec<Outlier> = (0..data.len())
        .into_par_iter()
        .filter_map(|i| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (i as u64 + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
            let (t, j, x) = (data.task[i], data.model[i], data.x[i]);
            let target = Target { task: t, items: (data.n[i] > 0).then_some(data.n[i]) };
            let mut reps: Vec<f64> = rows
                .iter()
                .map(|row| {
                    let shift = shift_cols[j].map_or(0.0, |c| row[c]);
                    let p = crate::model::value_with(&post.curve(row, t), x, on, shift);
                    observed_score(post, row, &target, p, sigma_col, &mut rng)
                })
                .collect();
            // counts compare as counts, so that a repeat of the same count is a tie
            let key = |s: f64| match target.items {
                Some(n) => (s * n as f64).round(),
                None => s,
            };
            let obs = if target.items.is_some() { data.y[i] as f64 } else { data.score[i] };
            let (below, tied) = reps.iter().fold((0usize, 0usize), |(b, e), &r| {
                let r = key(r);
                (b + usize::from(r < obs), e + usize::from(r == obs))
            });
            let (lower, upper) = mid_p_tails(below, tied, reps.len());
            let p = (2.0 * lower.min(upper)).min(1.0);
            let alpha = outside_below(level);
            if p >= alpha {
                return None;
            }
            let tail = alpha / 2.0;
            let (lo, hi) = match target.items {
                Some(n) => {
                    let mut counts: Vec<f64> = reps.iter().map(|&r| key(r)).collect();
                    counts.sort_by(f64::total_cmp);
                    let (lo, hi) = passing_counts(&counts, tail);
                    (lo / n as f64, hi / n as f64)
                }
                None => {
                    reps.sort_by(f64::total_cmp);
                    (quantile_sorted(&reps, tail), quantile_sorted(&reps, 1.0 - tail))
                }
            };
            Some(Outlier {
                task: data.series[t].clone(),
                model: data.models[j].clone(),
                x,
                observed: data.score[i],
                lo,
                hi,
                p,
            })
        })
        .collect();
    outside.sort_by(|a, b| a.p.total_cmp(&b.p).then_with(|| a.task.cmp(&b.task)).then_with(|| a.x.total_cmp(&b.x)));
    PredictiveCheck {
        level,
        scores: data.len(),
        repeats: rows.len(),
        expected: data.len() as f64 * (1.0 - level),
        outside,
    }
}

/// The mid-p tail shares of a value among `m` repeats, `less` of them below it and `equal` equal
/// to it: the share below plus half the ties, and the share above plus half the ties.
fn mid_p_tails(less: usize, equal: usize, m: usize) -> (f64, f64) {
    let half_ties = 0.5 * equal as f64;
    ((less as f64 + half_ties) / m as f64, ((m - less - equal) as f64 + half_ties) / m as f64)
}

/// The two-sided p below which a score lies outside the interval at `level`: 1 − level, less
/// a hair so that a p of exactly 1 − level passes (1 − 0.99 is 0.010000000000000009 in
/// doubles, above the 0.01 that 10 of 1000 repeats give).
fn outside_below(level: f64) -> f64 {
    (1.0 - level) * (1.0 - 1e-9)
}

/// The smallest and largest count whose mid-p tail probabilities under the repeats `sorted`
/// (counts, ascending) are both at least `tail`: the share of repeats below the count plus half
/// the share equal to it, and the same above. The first only grows with the count and the
/// second only falls, so the counts that pass are the whole range between the two, and the
/// median count is among them.
fn passing_counts(sorted: &[f64], tail: f64) -> (f64, f64) {
    let tails = |c: f64| {
        let less = sorted.partition_point(|&r| r < c);
        mid_p_tails(less, sorted.partition_point(|&r| r <= c) - less, sorted.len())
    };
    let below = |c: f64| tails(c).0;
    let above = |c: f64| tails(c).1;
    let median = sorted[sorted.len() / 2];
    // the lowest passing count lies between the smallest repeat and the median, the highest
    // between the median and the largest repeat: halve each range of whole counts
    let (mut a, mut b) = (sorted[0], median);
    while b - a > 0.5 {
        let c = ((a + b) / 2.0).floor();
        if below(c) >= tail { b = c } else { a = c + 1.0 }
    }
    let lo = a;
    let (mut a, mut b) = (median, sorted[sorted.len() - 1]);
    while b - a > 0.5 {
        let c = ((a + b) / 2.0).ceil();
        if above(c) >= tail { a = c } else { b = c - 1.0 }
    }
    (lo, a)
}
