//! Scores of probabilistic forecasts against what was observed.

/// Continuous ranked probability score of predictive draws against an observation:
/// E|X − y| − ½·E|X − X'|, computed exactly over the draws (lower is better; for a point
/// forecast it is the absolute error).
pub fn crps(draws: &[f64], y: f64) -> f64 {
    let n = draws.len() as f64;
    if draws.is_empty() {
        return f64::NAN;
    }
    let mut s = draws.to_vec();
    s.sort_by(f64::total_cmp);
    let abs_err = s.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
    // E|X − X'| over ordered draws: (2/n²) Σ (2i − n − 1) x_(i), i = 1..n
    let spread = s.iter().enumerate().map(|(i, x)| (2.0 * (i as f64 + 1.0) - n - 1.0) * x).sum::<f64>() * 2.0 / (n * n);
    abs_err - 0.5 * spread
}

/// Whether `y` lies in the central interval of `level` of the sorted draws.
pub fn covers(sorted: &[f64], y: f64, level: f64) -> bool {
    let a = (1.0 - level) / 2.0;
    let lo = crate::summary::quantile_sorted(sorted, a);
    let hi = crate::summary::quantile_sorted(sorted, 1.0 - a);
    lo <= y && y <= hi
}

/// Probability integral transform: the share of draws below y, ties counted half.
pub fn pit(draws: &[f64], y: f64) -> f64 {
    let below = draws.iter().filter(|&&x| x < y).count() as f64;
    let equal = draws.iter().filter(|&&x| x == y).count() as f64;
    (below + 0.5 * equal) / draws.len() as f64
}

/// Pearson correlation.
pub fn correlation(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crps_of_a_point_mass_is_the_absolute_error() {
        assert!((crps(&[0.3; 10], 0.45) - 0.15).abs() < 1e-12);
        assert!((crps(&[0.7], 0.2) - 0.5).abs() < 1e-12);
    }

    #[test]
    fn crps_matches_the_pairwise_definition() {
        let d = [0.1f64, 0.4, 0.35, 0.8, 0.55, 0.2];
        let y = 0.5f64;
        let n = d.len() as f64;
        let e1: f64 = d.iter().map(|x| (x - y).abs()).sum::<f64>() / n;
        let e2: f64 = d.iter().flat_map(|a| d.iter().map(move |b| (a - b).abs())).sum::<f64>() / (n * n);
        assert!((crps(&d, y) - (e1 - 0.5 * e2)).abs() < 1e-12);
    }

    #[test]
    fn coverage_and_pit_count() {
        let s: Vec<f64> = (0..101).map(|i| i as f64 / 100.0).collect();
        assert!(covers(&s, 0.5, 0.5));
        assert!(!covers(&s, 0.8, 0.5));
        assert!(covers(&s, 0.8, 0.8));
        assert!((pit(&s, 0.5) - 0.5).abs() < 1e-12);
        assert_eq!(pit(&s, -1.0), 0.0);
    }

    #[test]
    fn correlation_of_a_line_is_one() {
        let a = [1.0, 2.0, 3.0, 4.0];
        assert!((correlation(&a, &[2.0, 4.0, 6.0, 8.0]) - 1.0).abs() < 1e-12);
        assert!((correlation(&a, &[8.0, 6.0, 4.0, 2.0]) + 1.0).abs() < 1e-12);
    }
}
