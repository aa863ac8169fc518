//! Summaries of draws: quantiles, intervals, per-task tables.

use serde::{Deserialize, Serialize};

use crate::curve::Curve;

/// A point estimate with an interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub est: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Quantile of sorted values by linear interpolation (type 7, as numpy's default).
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let h = (sorted.len() - 1) as f64 * q.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = h.ceil() as usize;
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// Sort a copy, ignoring NaN.
pub fn sorted(values: impl IntoIterator<Item = f64>) -> Vec<f64> {
    let mut v: Vec<f64> = values.into_iter().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v
}

impl Interval {
    /// Median and central interval of `level` (0.9 → 5% to 95%).
    pub fn from_draws(values: impl IntoIterator<Item = f64>, level: f64) -> Self {
        let s = sorted(values);
        let a = (1.0 - level) / 2.0;
        Interval { est: quantile_sorted(&s, 0.5), lo: quantile_sorted(&s, a), hi: quantile_sorted(&s, 1.0 - a) }
    }
    /// The interval of draws with a given point estimate.
    pub fn with_estimate(est: f64, values: impl IntoIterator<Item = f64>, level: f64) -> Self {
        Interval { est, ..Self::from_draws(values, level) }
    }
}

/// One task's fitted curve.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TaskSummary {
    pub task: String,
    pub floor: Interval,
    pub ceiling: Interval,
    pub midpoint_log10: Interval,
    pub slope: Interval,
    pub converged: bool,
}

impl TaskSummary {
    /// Summarise a task's curve draws; `point` replaces the medians (a MAP estimate).
    pub fn from_curves(task: &str, curves: &[Curve], point: Option<Curve>, converged: bool, level: f64) -> Self {
        let iv = |f: fn(&Curve) -> f64| {
            let vals = curves.iter().map(f);
            match point {
                Some(p) => Interval::with_estimate(f(&p), vals, level),
                None => Interval::from_draws(vals, level),
            }
        };
        TaskSummary {
            task: task.to_string(),
            floor: iv(|c| c.floor),
            ceiling: iv(|c| c.ceiling),
            midpoint_log10: iv(|c| c.midpoint),
            slope: iv(|c| c.slope),
            converged,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_match_numpy() {
        // numpy.quantile([1, 2, 3, 4], [0.1, 0.5, 0.9]) = [1.3, 2.5, 3.7]
        let s = [1.0, 2.0, 3.0, 4.0];
        assert!((quantile_sorted(&s, 0.1) - 1.3).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.5) - 2.5).abs() < 1e-12);
        assert!((quantile_sorted(&s, 0.9) - 3.7).abs() < 1e-12);
    }
}
