//! Convergence diagnostics, following Vehtari et al. (2021) as ArviZ computes them:
//! rank-normalised split R-hat, bulk and tail effective sample size, Monte Carlo standard error,
//! and E-BFMI. Input: `chains[c][d]`, one slice per chain, all of the same length.

use serde::{Deserialize, Serialize};

/// Diagnostics of one scalar quantity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ParamDiagnostics {
    pub mean: f64,
    pub sd: f64,
    pub rhat: f64,
    pub ess_bulk: f64,
    pub ess_tail: f64,
    /// Monte Carlo standard error of the mean.
    pub mcse_mean: f64,
}

/// Compute every diagnostic of one quantity.
pub fn diagnose(chains: &[&[f64]]) -> ParamDiagnostics {
    diagnose_with(chains, &RankScale::for_chains(chains.iter().map(|c| c.len())))
}

/// Φ⁻¹((r − 3/8) / (S + 1/4)) at the whole ranks r = 1..S of S pooled draws: the rank-normal
/// scores of every quantity with S split draws, computed once for all of them.
pub struct RankScale {
    z: Vec<f64>,
}

impl RankScale {
    pub fn new(s: usize) -> RankScale {
        RankScale { z: (1..=s).map(|r| rank_normal(r as f64, s)).collect() }
    }

    /// The scores for chains of these lengths, split in halves as [`split_chains`] splits them.
    pub fn for_chains(lengths: impl IntoIterator<Item = usize>) -> RankScale {
        RankScale::new(lengths.into_iter().map(|n| 2 * (n / 2)).sum())
    }

    /// The score of the draws at sorted places i..=j (0-based), which are tied: their average
    /// rank's, as [`rank_normal`] gives it.
    fn tied(&self, i: usize, j: usize, s: usize) -> f64 {
        if (i + j).is_multiple_of(2) && self.z.len() == s {
            self.z[(i + j) / 2]
        } else {
            rank_normal((i + j) as f64 / 2.0 + 1.0, s)
        }
    }
}

fn rank_normal(rank: f64, s: usize) -> f64 {
    inv_normal_cdf((rank - 0.375) / (s as f64 + 0.25))
}

/// [`diagnose`] with the rank-normal scores of these chains' split length given. The same
/// numbers as [`rhat_rank`], [`ess_bulk`] and [`ess_tail`], with two sorts of the draws
/// instead of five (the sorted split draws give the bulk ranks, the median and the tail
/// quantiles when every chain has an even length, which the split then keeps whole).
pub fn diagnose_with(chains: &[&[f64]], scale: &RankScale) -> ParamDiagnostics {
    let all: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    let n = all.len() as f64;
    let mean = all.iter().sum::<f64>() / n;
    let sd = (all.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    let split = split_chains(chains);
    let ess_mean = ess(&split);
    let order = sorted_places(&split);
    let bulk = z_scale_sorted(&split, &order, scale);
    let sorted_all: Vec<f64> = if chains.iter().all(|c| c.len() % 2 == 0) {
        order.iter().map(|&(v, _)| v).collect()
    } else {
        let mut s = all;
        s.sort_by(f64::total_cmp);
        s
    };
    let med = crate::summary::quantile_sorted(&sorted_all, 0.5);
    let folded: Vec<Vec<f64>> = split.iter().map(|c| c.iter().map(|x| (x - med).abs()).collect()).collect();
    let tail_rhat = rhat(&z_scale_sorted(&folded, &sorted_places(&folded), scale));
    ParamDiagnostics {
        mean,
        sd,
        rhat: rhat(&bulk).max(tail_rhat),
        ess_bulk: ess(&bulk),
        ess_tail: tail_ess(&split, &sorted_all),
        mcse_mean: sd / ess_mean.sqrt(),
    }
}

/// Split every chain in two halves (the middle draw of an odd-length chain is dropped).
pub fn split_chains(chains: &[&[f64]]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(chains.len() * 2);
    for c in chains {
        let half = c.len() / 2;
        out.push(c[..half].to_vec());
        out.push(c[c.len() - half..].to_vec());
    }
    out
}

/// Classic R-hat (Gelman et al.) of equal-length chains.
pub fn rhat(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len() as f64;
    let n = chains[0].len() as f64;
    let means: Vec<f64> = chains.iter().map(|c| c.iter().sum::<f64>() / n).collect();
    let grand = means.iter().sum::<f64>() / m;
    let between = n * means.iter().map(|x| (x - grand).powi(2)).sum::<f64>() / (m - 1.0);
    let within = chains
        .iter()
        .zip(&means)
        .map(|(c, mu)| c.iter().map(|x| (x - mu).powi(2)).sum::<f64>() / (n - 1.0))
        .sum::<f64>()
        / m;
    ((between / within + n - 1.0) / n).sqrt()
}

/// Rank-normalised split R-hat: the larger of the bulk and the tail (folded) versions.
pub fn rhat_rank(chains: &[&[f64]]) -> f64 {
    let split = split_chains(chains);
    let bulk = rhat(&z_scale(&split));
    let all: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    let med = median(&all);
    let folded: Vec<Vec<f64>> = split.iter().map(|c| c.iter().map(|x| (x - med).abs()).collect()).collect();
    let tail = rhat(&z_scale(&folded));
    bulk.max(tail)
}

/// Bulk effective sample size: ESS of the rank-normalised split chains.
pub fn ess_bulk(chains: &[&[f64]]) -> f64 {
    ess(&z_scale(&split_chains(chains)))
}

/// Tail effective sample size: the smaller ESS of the 5% and 95% quantile indicators.
pub fn ess_tail(chains: &[&[f64]]) -> f64 {
    let mut s: Vec<f64> = chains.iter().flat_map(|c| c.iter().copied()).collect();
    s.sort_by(f64::total_cmp);
    tail_ess(&split_chains(chains), &s)
}

/// [`ess_tail`] of split chains, given all the draws sorted.
fn tail_ess(split: &[Vec<f64>], sorted: &[f64]) -> f64 {
    let q05 = crate::summary::quantile_sorted(sorted, 0.05);
    let q95 = crate::summary::quantile_sorted(sorted, 0.95);
    let ind = |q: f64| -> Vec<Vec<f64>> {
        split.iter().map(|c| c.iter().map(|&x| if x <= q { 1.0 } else { 0.0 }).collect()).collect()
    };
    ess(&ind(q05)).min(ess(&ind(q95)))
}

/// When the chains disagree (rank-normalised R-hat above `threshold`), the one chain that the
/// others agree without, if there is one: with at least three chains, leaving it out removes at
/// least three quarters of R-hat's excess over 1, and leaving out any other chain removes at
/// most half of it. Gives the chain, the R-hat of the others, its median and the range of theirs.
pub fn chain_apart(chains: &[&[f64]], threshold: f64) -> Option<ChainApart> {
    if chains.len() < 3 {
        return None;
    }
    let rhat = rhat_rank(chains);
    // (a NaN R-hat, of a constant quantity, names no chain either)
    if rhat.is_nan() || rhat <= threshold {
        return None;
    }
    let excess = rhat - 1.0;
    let without: Vec<f64> = (0..chains.len())
        .map(|c| {
            let others: Vec<&[f64]> = chains.iter().enumerate().filter(|&(i, _)| i != c).map(|(_, d)| *d).collect();
            rhat_rank(&others)
        })
        .collect();
    let chain = (0..chains.len()).min_by(|&a, &b| without[a].total_cmp(&without[b]))?;
    let clear = without[chain] - 1.0 <= excess / 4.0;
    let alone = (0..chains.len()).all(|c| c == chain || without[c] - 1.0 > excess / 2.0);
    if !(clear && alone) {
        return None;
    }
    let medians: Vec<f64> = chains.iter().map(|c| median(c)).collect();
    let others = medians.iter().enumerate().filter(|&(i, _)| i != chain).map(|(_, &m)| m);
    let range = others.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| (lo.min(m), hi.max(m)));
    Some(ChainApart { chain: chain + 1, rhat_without: without[chain], median: medians[chain], others_median: range })
}

/// See [`chain_apart`].
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChainApart {
    /// The chain, counted from 1 (as the draws files `draws_N.csv` are).
    pub chain: usize,
    pub rhat_without: f64,
    pub median: f64,
    /// The lowest and highest of the other chains' medians.
    pub others_median: (f64, f64),
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    crate::summary::quantile_sorted(&s, 0.5)
}

/// Rank-normalise pooled draws: Φ⁻¹((rank − 3/8) / (S + 1/4)), average ranks for ties.
pub fn z_scale(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let s = chains.iter().map(Vec::len).sum();
    z_scale_sorted(chains, &sorted_places(chains), &RankScale::new(s))
}

/// Every draw with its place in the chains laid end to end, in increasing order of the draws
/// (`total_cmp`).
fn sorted_places(chains: &[Vec<f64>]) -> Vec<(f64, u32)> {
    let mut v: Vec<(f64, u32)> = chains.iter().flatten().enumerate().map(|(i, &x)| (x, i as u32)).collect();
    v.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    v
}

/// [`z_scale`] given the draws in order. The order of tied draws does not matter: all of them
/// get their average rank.
fn z_scale_sorted(chains: &[Vec<f64>], order: &[(f64, u32)], scale: &RankScale) -> Vec<Vec<f64>> {
    let s = order.len();
    let mut flat = vec![0.0; s];
    let mut i = 0;
    while i < s {
        let v = order[i].0;
        let mut j = i;
        while j + 1 < s && order[j + 1].0 == v {
            j += 1;
        }
        let z = scale.tied(i, j, s);
        for &(_, place) in &order[i..=j] {
            flat[place as usize] = z;
        }
        i = j + 1;
    }
    let mut rest = &flat[..];
    chains
        .iter()
        .map(|c| {
            let (head, tail) = rest.split_at(c.len());
            rest = tail;
            head.to_vec()
        })
        .collect()
}

/// Effective sample size of equal-length chains by Geyer's initial monotone sequence on the
/// multi-chain autocorrelation (as ArviZ's `_ess`). NaN for a constant quantity.
pub fn ess(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len();
    let n = chains[0].len();
    if n < 4 {
        return f64::NAN;
    }
    let nf = n as f64;
    let means: Vec<f64> = chains.iter().map(|c| c.iter().sum::<f64>() / nf).collect();
    let centred: Vec<Vec<f64>> = chains.iter().zip(&means).map(|(c, mu)| c.iter().map(|x| x - mu).collect()).collect();
    // mean over chains of the biased autocovariance at a lag
    let acov =
        |lag: usize| -> f64 { centred.iter().map(|c| dot(&c[..n - lag], &c[lag..]) / nf).sum::<f64>() / m as f64 };
    let acov0 = acov(0);
    let mean_var = acov0 * nf / (nf - 1.0);
    let mut var_plus = mean_var * (nf - 1.0) / nf;
    if m > 1 {
        let g = means.iter().sum::<f64>() / m as f64;
        var_plus += means.iter().map(|x| (x - g).powi(2)).sum::<f64>() / (m as f64 - 1.0);
    }
    if var_plus.is_nan() || var_plus <= 0.0 {
        return f64::NAN;
    }
    let mut rho = vec![0.0; n];
    let mut rho_even = 1.0;
    rho[0] = rho_even;
    let mut rho_odd = 1.0 - (mean_var - acov(1)) / var_plus;
    rho[1] = rho_odd;
    let mut t = 1;
    while t < n - 3 && rho_even + rho_odd > 0.0 {
        rho_even = 1.0 - (mean_var - acov(t + 1)) / var_plus;
        rho_odd = 1.0 - (mean_var - acov(t + 2)) / var_plus;
        if rho_even + rho_odd >= 0.0 {
            rho[t + 1] = rho_even;
            rho[t + 2] = rho_odd;
        }
        t += 2;
    }
    // as ArviZ: max_t may be −1 when the first pair of autocorrelations already sums below 0
    let max_t = t as i64 - 2;
    let next = (max_t + 1) as usize;
    if rho_even > 0.0 {
        rho[next] = rho_even;
    }
    let mut t = 1i64;
    while t <= max_t - 2 {
        let u = t as usize;
        if rho[u + 1] + rho[u + 2] > rho[u - 1] + rho[u] {
            rho[u + 1] = (rho[u - 1] + rho[u]) / 2.0;
            rho[u + 2] = rho[u + 1];
        }
        t += 2;
    }
    let total = (m * n) as f64;
    let mut tau = -1.0 + 2.0 * rho[..next].iter().sum::<f64>() + rho[next..(next + 1).min(n)].iter().sum::<f64>();
    tau = tau.max(1.0 / total.log10());
    total / tau
}

/// Σ aᵢ·bᵢ over slices of one length, in eight running sums so that it vectorises: the
/// autocovariances at every lag that Geyer's sequence reaches are most of a diagnosis's time.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    let mut acc = [0.0; 8];
    for (x, y) in a8.zip(b8) {
        for k in 0..8 {
            acc[k] += x[k] * y[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

/// Energy Bayesian fraction of missing information of one chain's energies (as ArviZ: mean
/// squared step over the variance with one degree of freedom removed).
pub fn ebfmi(energy: &[f64]) -> f64 {
    let n = energy.len() as f64;
    let mean = energy.iter().sum::<f64>() / n;
    let num: f64 = energy.windows(2).map(|w| (w[1] - w[0]).powi(2)).sum::<f64>() / (n - 1.0);
    let den: f64 = energy.iter().map(|e| (e - mean).powi(2)).sum::<f64>() / (n - 1.0);
    num / den
}

/// Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9).
pub fn inv_normal_cdf(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    const B: [f64; 5] = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    const C: [f64; 6] = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    const D: [f64; 4] =
        [7.784_695_709_041_462e-3, 3.224_671_290_700_398e-1, 2.445_134_137_142_996, 3.754_408_661_907_416];
    let plow = 0.02425;
    if p <= 0.0 {
        return f64::NEG_INFINITY;
    }
    if p >= 1.0 {
        return f64::INFINITY;
    }
    if p < plow {
        let q = (-2.0 * p.ln()).sqrt();
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    } else if p <= 1.0 - plow {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    } else {
        -inv_normal_cdf(1.0 - p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_sums_every_product_whatever_the_length() {
        for n in 0..40 {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| 1.0 + (i as f64 * 1.3).cos()).collect();
            let naive: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            assert!((dot(&a, &b) - naive).abs() <= 1e-12 * (1.0 + naive.abs()), "n = {n}");
        }
    }
}
