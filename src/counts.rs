//! How a task's count correct spreads about its curve: binomial, or beta-binomial with
//! concentration φ, each optionally with a dispersion d that scales the binomial part.
//!
//! With d ≠ 1 the count y of n items is read as y/d "independent items" out of n/d: the
//! binomial variance n·p·q becomes d·n·p·q. Below 1 it is narrower than a binomial, which is
//! what scores still at chance show on a fixed set of items (models that share an answer habit
//! get the same items right and wrong; `docs/models.md`); above 1 it is wider, for every item
//! count alike, where φ adds a spread of the score that does not shrink with n. The
//! probability of y is the pmf of y/d of n/d, its factorials as Γ functions, times 1/d (the
//! counts' grid is 1/d as fine). It sums to one within 0.1% when the scaled count's variance
//! n/d·p·q is 8 or more (at 4 it falls short by 0.04–1.2%, at 1 by 8–15%), as for a benchmark
//! of 100 items at chance with d up to 2. At d = 1 it is the binomial or beta-binomial exactly.

use rand::Rng;
use rand_distr::{Beta, Binomial, Distribution};

use crate::special::{ln_gamma, ln_gamma_digamma};

/// The largest |ln d| a model allows (d from 0.0067 to 148), ten sds of the dispersion
/// model's prior. Beyond it the scaled counts grow so large (n/d of 10⁴ items past 10¹⁶) that
/// their ln Γ differences are lost to rounding, and a chain that wandered there could feed on
/// that noise: the density is not finite there, and the sampler turns back.
pub const MAX_LOG_DISPERSION: f64 = 5.0;

/// What d means, in words for a table or a page.
pub const DISPERSION_MEANING: &str =
    "a binomial's variance times d; 1: items as if independent, below 1: scores vary less than that";

/// The spread of the counts at one draw: the beta-binomial concentration (None: binomial)
/// and the dispersion (1: none).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spread {
    pub phi: Option<f64>,
    pub dispersion: f64,
}

impl Spread {
    /// Plain binomial counts.
    pub const BINOMIAL: Spread = Spread { phi: None, dispersion: 1.0 };
}

/// ln P(y of n correct) when each item is right with probability p (q = 1 − p), under `s`.
pub fn log_pmf(y: f64, n: f64, p: f64, q: f64, s: Spread) -> f64 {
    let d = s.dispersion;
    let (y, n) = (y / d, n / d);
    let r = n - y;
    let choose = ln_gamma(n + 1.0) - ln_gamma(y + 1.0) - ln_gamma(r + 1.0) - d.ln();
    match s.phi {
        Some(phi) => {
            let (a, b) = (p * phi, q * phi);
            choose + ln_gamma(y + a) + ln_gamma(r + b) - ln_gamma(n + phi) - ln_gamma(a) - ln_gamma(b) + ln_gamma(phi)
        }
        None => choose + y * p.ln() + r * q.ln(),
    }
}

/// [`log_pmf`] with its derivatives: (ln P, d/dp with q = 1 − p, d/d ln φ, d/d ln d).
pub fn log_pmf_grad(y: f64, n: f64, p: f64, q: f64, s: Spread) -> [f64; 4] {
    let d = s.dispersion;
    let (y, n) = (y / d, n / d);
    let r = n - y;
    let [(lg_n1, dg_n1), (lg_y1, dg_y1), (lg_r1, dg_r1)] = [n + 1.0, y + 1.0, r + 1.0].map(ln_gamma_digamma);
    let choose = lg_n1 - lg_y1 - lg_r1 - d.ln();
    // d/d ln d of the scaled counts' terms: each count c moves by −c
    let d_choose = -(n * dg_n1 - y * dg_y1 - r * dg_r1) - 1.0;
    match s.phi {
        Some(phi) => {
            let (a, b) = (p * phi, q * phi);
            let [(lg_ya, dg_ya), (lg_a, dg_a), (lg_rb, dg_rb), (lg_b, dg_b), (lg_n, dg_n), (lg_phi, dg_phi)] =
                [y + a, a, r + b, b, n + phi, phi].map(ln_gamma_digamma);
            let ll = choose + lg_ya + lg_rb - lg_n - lg_a - lg_b + lg_phi;
            let (da, db) = (dg_ya - dg_a, dg_rb - dg_b);
            let d_phi = phi * (p * da + q * db - dg_n + dg_phi);
            let d_disp = d_choose - (y * dg_ya + r * dg_rb - n * dg_n);
            [ll, phi * (da - db), d_phi, d_disp]
        }
        None => {
            let (lp, lq) = (p.ln(), q.ln());
            let ll = choose + y * lp + r * lq;
            [ll, y / p - r / q, 0.0, d_choose - (y * lp + r * lq)]
        }
    }
}

/// One draw of the count correct of n items at probability p under `s`. At d = 1 it is the
/// binomial (after a beta draw of p when φ is given); otherwise a binomial of the nearest
/// whole number to n/d items, scaled back to n and rounded. The random numbers used are the
/// same whatever d is.
pub fn draw<R: Rng + ?Sized>(n: u64, p: f64, s: Spread, rng: &mut R) -> u64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    let q = match s.phi {
        Some(phi) => Beta::new(p * phi, (1.0 - p) * phi).map(|b| b.sample(rng)).unwrap_or(p),
        None => p,
    }
    .clamp(0.0, 1.0);
    let m = if s.dispersion == 1.0 { n } else { ((n as f64 / s.dispersion).round() as u64).max(1) };
    let k = Binomial::new(m, q).map(|b| b.sample(rng)).unwrap_or((q * m as f64).round() as u64);
    if m == n { k } else { ((k as f64 * n as f64 / m as f64).round() as u64).min(n) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    const SPREADS: [Spread; 6] = [
        Spread::BINOMIAL,
        Spread { phi: None, dispersion: 0.6 },
        Spread { phi: None, dispersion: 1.7 },
        Spread { phi: Some(80.0), dispersion: 0.5 },
        Spread { phi: Some(300.0), dispersion: 1.3 },
        // the smallest d a model allows (ln d = −5): n/d of 10,000 items is 1.5 million
        Spread { phi: Some(50.0), dispersion: 0.006_737_946_999_085_467 },
    ];

    #[test]
    fn at_dispersion_one_it_is_the_binomial_and_the_beta_binomial() {
        let (y, n, p): (f64, f64, f64) = (37.0, 120.0, 0.28);
        let binom =
            ln_gamma(n + 1.0) - ln_gamma(y + 1.0) - ln_gamma(n - y + 1.0) + y * p.ln() + (n - y) * (1.0 - p).ln();
        assert!((log_pmf(y, n, p, 1.0 - p, Spread::BINOMIAL) - binom).abs() < 1e-9);
        // the beta-binomial's own sum is one
        let s = Spread { phi: Some(40.0), dispersion: 1.0 };
        let total: f64 = (0..=120).map(|k| log_pmf(k as f64, n, p, 1.0 - p, s).exp()).sum();
        assert!((total - 1.0).abs() < 1e-9, "{total}");
    }

    #[test]
    fn scaled_counts_are_normalised_and_have_the_scaled_variance() {
        for s in SPREADS {
            for (n, p) in [(100u64, 0.25), (400, 0.6), (1534, 0.27), (5000, 0.9), (10_000, 0.4)] {
                let nf = n as f64;
                let probs: Vec<f64> = (0..=n).map(|k| log_pmf(k as f64, nf, p, 1.0 - p, s).exp()).collect();
                let total: f64 = probs.iter().sum();
                assert!((total - 1.0).abs() < 1e-3, "{s:?} n {n} p {p}: sum {total}");
                let mean: f64 = probs.iter().enumerate().map(|(k, w)| k as f64 * w).sum::<f64>() / total;
                let var: f64 =
                    probs.iter().enumerate().map(|(k, w)| (k as f64 - mean).powi(2) * w).sum::<f64>() / total;
                // d·n·p·q times the beta-binomial's factor for n/d items
                let m = nf / s.dispersion;
                let factor = s.phi.map_or(1.0, |phi| (phi + m) / (phi + 1.0));
                let want = s.dispersion * nf * p * (1.0 - p) * factor;
                assert!((mean / (nf * p) - 1.0).abs() < 1e-3, "{s:?} n {n}: mean {mean}");
                assert!((var / want - 1.0).abs() < 0.01, "{s:?} n {n} p {p}: var {var} want {want}");
            }
        }
    }

    #[test]
    fn derivatives_match_central_differences() {
        for s in SPREADS {
            // at the smallest d the scaled counts' ln Γ terms are ~10⁶: rounding needs a
            // longer step
            let h: f64 = if s.dispersion < 0.01 { 1e-3 } else { 1e-6 };
            for (y, n, p) in [(30.0, 100.0, 0.27), (0.0, 250.0, 0.05), (900.0, 1000.0, 0.88)] {
                let f = |p: f64, phi: Option<f64>, d: f64| log_pmf(y, n, p, 1.0 - p, Spread { phi, dispersion: d });
                let [ll, dp, dphi, dd] = log_pmf_grad(y, n, p, 1.0 - p, s);
                assert!((ll - f(p, s.phi, s.dispersion)).abs() < 1e-8 * ll.abs().max(1.0));
                let hp = 1e-6;
                let num_p = (f(p + hp, s.phi, s.dispersion) - f(p - hp, s.phi, s.dispersion)) / (2.0 * hp);
                let d = s.dispersion;
                let num_d = (f(p, s.phi, d * h.exp()) - f(p, s.phi, d * (-h).exp())) / (2.0 * h);
                let num_phi = s
                    .phi
                    .map_or(0.0, |phi| (f(p, Some(phi * h.exp()), d) - f(p, Some(phi * (-h).exp()), d)) / (2.0 * h));
                for (what, a, b) in [("p", dp, num_p), ("ln d", dd, num_d), ("ln phi", dphi, num_phi)] {
                    assert!((a - b).abs() < 1e-5 * b.abs().max(1.0), "{s:?} y {y} n {n}: d/d{what} {a} vs {b}");
                }
            }
        }
    }

    #[test]
    fn draws_have_the_scaled_variance_and_keep_the_random_stream() {
        let (n, p) = (200u64, 0.3);
        for s in SPREADS {
            let mut rng = ChaCha8Rng::seed_from_u64(7);
            let ks: Vec<f64> = (0..40_000).map(|_| draw(n, p, s, &mut rng) as f64).collect();
            let mean = ks.iter().sum::<f64>() / ks.len() as f64;
            let var = ks.iter().map(|k| (k - mean).powi(2)).sum::<f64>() / ks.len() as f64;
            let m = n as f64 / s.dispersion;
            let factor = s.phi.map_or(1.0, |phi| (phi + m) / (phi + 1.0));
            let want = s.dispersion * n as f64 * p * (1.0 - p) * factor;
            assert!((mean / (n as f64 * p) - 1.0).abs() < 0.01, "{s:?}: mean {mean}");
            // rounding back to the n grid adds about 1/12 of a count squared
            assert!((var / want - 1.0).abs() < 0.05, "{s:?}: var {var} want {want}");
            assert!(ks.iter().all(|&k| k <= n as f64));
        }
        // at d = 1 it is rand_distr's binomial on the same stream
        let mut a = ChaCha8Rng::seed_from_u64(3);
        let mut b = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..100 {
            assert_eq!(draw(n, p, Spread::BINOMIAL, &mut a), Binomial::new(n, p).unwrap().sample(&mut b));
        }
    }
}
