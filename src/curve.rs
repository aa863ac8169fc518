//! The four-parameter sigmoid: score(x) = floor + (ceiling − floor) · logistic(slope · (x − midpoint)).

use crate::special::{logistic, logit};

/// A sigmoid curve in score against x (log10 size by default).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Curve {
    /// Score far below the midpoint (near chance).
    pub floor: f64,
    /// Score far above the midpoint (at most 1).
    pub ceiling: f64,
    /// x of fastest gain, where the score is half-way between floor and ceiling.
    pub midpoint: f64,
    /// Gain rate per unit of x (per decade of size); positive.
    pub slope: f64,
}

impl Curve {
    /// The curve's value at x.
    #[inline]
    pub fn value(&self, x: f64) -> f64 {
        self.floor + (self.ceiling - self.floor) * logistic(self.slope * (x - self.midpoint))
    }

    /// The gradient of the value with respect to (floor, ceiling, midpoint, slope).
    pub fn gradient(&self, x: f64) -> [f64; 4] {
        let l = logistic(self.slope * (x - self.midpoint));
        let d = (self.ceiling - self.floor) * l * (1.0 - l);
        [1.0 - l, l, -self.slope * d, (x - self.midpoint) * d]
    }

    /// The x at which the curve reaches `score`; `None` when the score is not strictly between
    /// floor and ceiling (never reached, or reached everywhere).
    pub fn inverse(&self, score: f64) -> Option<f64> {
        let lo = self.floor.min(self.ceiling);
        let hi = self.floor.max(self.ceiling);
        if !(score > lo && score < hi) || self.slope == 0.0 {
            return None;
        }
        let frac = (score - self.floor) / (self.ceiling - self.floor);
        Some(self.midpoint + logit(frac) / self.slope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const C: Curve = Curve { floor: 0.25, ceiling: 0.9, midpoint: 9.5, slope: 1.7 };

    #[test]
    fn value_at_midpoint_is_half_way() {
        assert!((C.value(9.5) - 0.575).abs() < 1e-12);
        assert!((C.value(-100.0) - 0.25).abs() < 1e-12);
        assert!((C.value(100.0) - 0.9).abs() < 1e-12);
    }

    #[test]
    fn gradient_matches_finite_differences() {
        for &x in &[7.0, 9.0, 9.5, 10.3, 13.0] {
            let g = C.gradient(x);
            let p = [C.floor, C.ceiling, C.midpoint, C.slope];
            for k in 0..4 {
                let h = 1e-6;
                let (mut a, mut b) = (p, p);
                a[k] += h;
                b[k] -= h;
                let mk = |q: [f64; 4]| Curve { floor: q[0], ceiling: q[1], midpoint: q[2], slope: q[3] };
                let fd = (mk(a).value(x) - mk(b).value(x)) / (2.0 * h);
                assert!((fd - g[k]).abs() < 1e-8, "x={x} k={k} fd={fd} g={}", g[k]);
            }
        }
    }

    #[test]
    fn inverse_round_trips_and_refuses_outside() {
        for &s in &[0.26, 0.4, 0.575, 0.8, 0.89] {
            let x = C.inverse(s).unwrap();
            assert!((C.value(x) - s).abs() < 1e-10);
        }
        assert_eq!(C.inverse(0.95), None);
        assert_eq!(C.inverse(0.25), None);
        assert_eq!(C.inverse(0.1), None);
    }
}
