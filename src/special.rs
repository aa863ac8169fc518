//! Special functions used by the likelihoods: log-gamma, digamma, the logistic function.
//!
//! Accuracy: `ln_gamma` and `digamma` use the asymptotic (Stirling) series after shifting the
//! argument above 8; the truncation error there is below 1e-12. Tested against known values.

const HALF_LN_2PI: f64 = 0.918_938_533_204_672_8;

/// Natural log of the gamma function for x > 0.
pub fn ln_gamma(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    let mut shift = 0.0;
    let mut z = x;
    if z < 8.0 {
        let mut prod = 1.0;
        while z < 8.0 {
            prod *= z;
            z += 1.0;
        }
        shift = prod.ln();
    }
    let zi = 1.0 / z;
    let zi2 = zi * zi;
    let series =
        zi * (1.0 / 12.0 - zi2 * (1.0 / 360.0 - zi2 * (1.0 / 1260.0 - zi2 * (1.0 / 1680.0 - zi2 * (1.0 / 1188.0)))));
    (z - 0.5) * z.ln() - z + HALF_LN_2PI + series - shift
}

/// Digamma function ψ(x) = d/dx ln Γ(x) for x > 0.
pub fn digamma(x: f64) -> f64 {
    debug_assert!(x > 0.0);
    let mut acc = 0.0;
    let mut z = x;
    while z < 8.0 {
        acc -= 1.0 / z;
        z += 1.0;
    }
    let zi = 1.0 / z;
    let zi2 = zi * zi;
    let series =
        zi2 * (1.0 / 12.0 - zi2 * (1.0 / 120.0 - zi2 * (1.0 / 252.0 - zi2 * (1.0 / 240.0 - zi2 * (1.0 / 132.0)))));
    acc + z.ln() - 0.5 * zi - series
}

/// ln Γ(x) and ψ(x) together, sharing the argument shift and the logarithm (x > 0). Above 40
/// the series stops after three terms (the next ones are below 1e-14).
#[inline]
pub fn ln_gamma_digamma(x: f64) -> (f64, f64) {
    if x >= 40.0 {
        return asymptotic(x, x.ln());
    }
    let mut z = x;
    let mut prod = 1.0;
    let mut acc = 0.0;
    while z < 8.0 {
        prod *= z;
        acc -= 1.0 / z;
        z += 1.0;
    }
    let ln_z = z.ln();
    let zi = 1.0 / z;
    let zi2 = zi * zi;
    let lg_series =
        zi * (1.0 / 12.0 - zi2 * (1.0 / 360.0 - zi2 * (1.0 / 1260.0 - zi2 * (1.0 / 1680.0 - zi2 * (1.0 / 1188.0)))));
    let dg_series =
        zi2 * (1.0 / 12.0 - zi2 * (1.0 / 120.0 - zi2 * (1.0 / 252.0 - zi2 * (1.0 / 240.0 - zi2 * (1.0 / 132.0)))));
    let shift = if prod == 1.0 { 0.0 } else { prod.ln() };
    ((z - 0.5) * ln_z - z + HALF_LN_2PI + lg_series - shift, acc + ln_z - 0.5 * zi - dg_series)
}

/// Natural log of a positive, finite, normal x, written without branches or library calls so
/// that loops over it vectorise: x = 2^k·m with m in [√½, √2), and ln m from the odd series in
/// s = (m − 1)/(m + 1) with the minimax coefficients of the classic fdlibm `log` (error below one
/// unit in the last place). Zero, subnormals, infinities and NaN give unspecified finite or NaN
/// values; callers route those elsewhere.
#[inline(always)]
pub fn ln_positive(x: f64) -> f64 {
    let (kf, f) = ln_reduce(x);
    ln_finish(kf, f, f / (2.0 + f))
}

/// The first half of [`ln_positive`]: x = 2^k·(1 + f) with 1 + f in [√½, √2); returns k and f.
#[inline(always)]
fn ln_reduce(x: f64) -> (f64, f64) {
    // bits of √½: subtracting them leaves the exponent k of the reduced mantissa in the top bits
    let bits = x.to_bits();
    let k = (bits.wrapping_sub(0x3FE6_A09E_667F_3BCD) as i64) >> 52;
    let m = f64::from_bits(bits.wrapping_sub((k as u64) << 52));
    // k as f64 through the 1.5·2^52 trick (a vector conversion from i64 needs AVX-512)
    let kf = f64::from_bits(0x4338_0000_0000_0000u64.wrapping_add(k as u64)) - 6_755_399_441_055_744.0;
    (kf, m - 1.0)
}

/// The second half of [`ln_positive`], given k, f and s = f / (2 + f).
#[inline(always)]
fn ln_finish(kf: f64, f: f64, s: f64) -> f64 {
    const LG1: f64 = 6.666_666_666_666_735e-1;
    const LG2: f64 = 3.999_999_999_940_942e-1;
    const LG3: f64 = 2.857_142_874_366_239e-1;
    const LG4: f64 = 2.222_219_843_214_978_4e-1;
    const LG5: f64 = 1.818_357_216_161_805e-1;
    const LG6: f64 = 1.531_383_769_920_937_3e-1;
    const LG7: f64 = 1.479_819_860_511_658_6e-1;
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000); // ln 2 to 32 bits
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76); // the rest of ln 2
    let z = s * s;
    let w = z * z;
    let odd = z * w.mul_add(w.mul_add(w.mul_add(LG7, LG5), LG3), LG1);
    let r = w.mul_add(w.mul_add(w.mul_add(LG6, LG4), LG2), odd);
    let hfsq = 0.5 * f * f;
    kf.mul_add(LN2_HI, -((hfsq - s.mul_add(hfsq + r, kf * LN2_LO)) - f))
}

/// e^x for −708 ≤ x ≤ 709, written without branches or library calls so that loops over it
/// vectorise: x = k·ln 2 + r with |r| ≤ ½ ln 2, e^r from its Taylor series to r¹³ (truncation
/// below 1e-17), and 2^k put into the exponent bits. Arguments outside are clamped to that range
/// (so the result is finite and positive for every number: e^−708 ≈ 3e−308, which every use here
/// treats as nought); NaN gives NaN. Within 2 units in the last place of the C library's `exp`
/// (tested).
#[inline(always)]
pub fn exp_clamped(x: f64) -> f64 {
    const LOG2_E: f64 = std::f64::consts::LOG2_E;
    const LN2_HI: f64 = f64::from_bits(0x3FE6_2E42_FEE0_0000);
    const LN2_LO: f64 = f64::from_bits(0x3DEA_39EF_3579_3C76);
    // 1.5·2^52: adding it rounds to an integer that then sits in the low mantissa bits
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let x = if x < -708.0 { -708.0 } else { x };
    let x = if x > 709.0 { 709.0 } else { x };
    let kr = x * LOG2_E + ROUND;
    let k = kr.to_bits().wrapping_sub(ROUND.to_bits());
    let kf = kr - ROUND;
    let r = (x - kf * LN2_HI) - kf * LN2_LO;
    // Σ rⁱ/i! for i ≤ 13 in Estrin's scheme (pairs, then powers r², r⁴, r⁸): short dependency
    // chains, so consecutive arguments overlap in the pipeline
    const C: [f64; 14] = [
        1.0,
        1.0,
        1.0 / 2.0,
        1.0 / 6.0,
        1.0 / 24.0,
        1.0 / 120.0,
        1.0 / 720.0,
        1.0 / 5_040.0,
        1.0 / 40_320.0,
        1.0 / 362_880.0,
        1.0 / 3_628_800.0,
        1.0 / 39_916_800.0,
        1.0 / 479_001_600.0,
        1.0 / 6_227_020_800.0,
    ];
    let r2 = r * r;
    let r4 = r2 * r2;
    let r8 = r4 * r4;
    let pair = |i: usize| C[i + 1].mul_add(r, C[i]);
    let low = pair(6).mul_add(r2, pair(4)).mul_add(r4, pair(2).mul_add(r2, pair(0)));
    let high = pair(12).mul_add(r4, pair(10).mul_add(r2, pair(8)));
    high.mul_add(r8, low) * f64::from_bits(k.wrapping_add(1023) << 52)
}

/// CPU features for the vectorised loops, looked up once (only x86-64 has more than one path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) enum Lanes {
    Avx512,
    Avx2,
    Baseline,
}

#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
pub(crate) fn lanes() -> Lanes {
    #[cfg(target_arch = "x86_64")]
    {
        static LANES: std::sync::OnceLock<Lanes> = std::sync::OnceLock::new();
        *LANES.get_or_init(|| {
            if std::arch::is_x86_feature_detected!("avx512f") {
                Lanes::Avx512
            } else if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
                Lanes::Avx2
            } else {
                Lanes::Baseline
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    Lanes::Baseline
}

/// Calls an `#[inline(always)]` function of element-wise loops compiled for the widest
/// vectors the CPU has (eight lanes with AVX-512, four with AVX2 and FMA, two otherwise). The
/// arithmetic is the same on every path, so the results are too: only the width changes. The
/// polynomials' fused multiply-adds (`mul_add`) are rounded once wherever they run, as an
/// instruction on the two wide paths and as the C library's `fma` on the narrow one (slower
/// there, on a CPU older than either).
macro_rules! dispatch_lanes {
    ($body:ident($($arg:ident: $ty:ty),*) -> $ret:ty) => {{
        #[cfg(target_arch = "x86_64")]
        {
            #[target_feature(enable = "avx512f")]
            fn wide($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            #[target_feature(enable = "avx2,fma")]
            fn narrow($($arg: $ty),*) -> $ret {
                $body($($arg),*)
            }
            match $crate::special::lanes() {
                // SAFETY: `lanes` found these features on this CPU.
                $crate::special::Lanes::Avx512 => unsafe { wide($($arg),*) },
                // SAFETY: as above.
                $crate::special::Lanes::Avx2 => unsafe { narrow($($arg),*) },
                $crate::special::Lanes::Baseline => $body($($arg),*),
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            $body($($arg),*)
        }
    }};
    ($body:ident($($arg:ident: $ty:ty),*)) => {
        $crate::special::dispatch_lanes!($body($($arg: $ty),*) -> ())
    };
}
pub(crate) use dispatch_lanes;

/// [`exp_clamped`] of every `x[i]` into `out[i]`.
pub fn exp_clamped_many(x: &[f64], out: &mut [f64]) {
    assert_eq!(x.len(), out.len(), "one output per argument");
    #[inline(always)]
    fn body(x: &[f64], out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = exp_clamped(v);
        }
    }
    dispatch_lanes!(body(x: &[f64], out: &mut [f64]))
}

/// ln(1 + `x[i]`) of every `x[i]` (each in [0, 1]) into `out[i]`, as [`ln_positive`] gives it.
pub fn ln_one_plus_many(x: &[f64], out: &mut [f64]) {
    assert_eq!(x.len(), out.len(), "one output per argument");
    #[inline(always)]
    fn body(x: &[f64], out: &mut [f64]) {
        for (o, &v) in out.iter_mut().zip(x) {
            *o = ln_positive(1.0 + v);
        }
    }
    dispatch_lanes!(body(x: &[f64], out: &mut [f64]))
}

/// [`ln_gamma_digamma`] of every `x[i]` into `lg[i]`, `dg[i]`. Arguments of 40 and above (the
/// usual case for a beta-binomial with a large concentration) take a branch-free path that
/// the compiler vectorises; the rest, and anything not finite, go through the scalar function.
pub fn ln_gamma_digamma_many(x: &[f64], lg: &mut [f64], dg: &mut [f64]) {
    assert!(x.len() == lg.len() && x.len() == dg.len(), "one output per argument");
    if dispatch_lanes!(asymptotic_many(x: &[f64], lg: &mut [f64], dg: &mut [f64]) -> bool) {
        for (i, &x) in x.iter().enumerate() {
            if needs_general(x) {
                (lg[i], dg[i]) = ln_gamma_digamma(x);
            }
        }
    }
}

/// ln Γ(x) and ψ(x) as [`ln_gamma_digamma_many`] gives them for any x: the asymptotic series
/// of [`ln_gamma_digamma_large`] from 40 up, else [`ln_gamma_digamma`]; and 0, in the place of
/// the large one's flag.
pub(crate) fn ln_gamma_digamma_any(x: f64) -> (f64, f64, u64) {
    if needs_general(x) {
        let (lg, dg) = ln_gamma_digamma(x);
        (lg, dg, 0)
    } else {
        let (lg, dg, _) = ln_gamma_digamma_large(x);
        (lg, dg, 0)
    }
}

/// Whether [`ln_gamma_digamma_many`] takes x by [`ln_gamma_digamma`] rather than the series:
/// below 40, infinite or not a number.
#[inline(always)]
fn needs_general(x: f64) -> bool {
    !(40.0..f64::INFINITY).contains(&x)
}

/// The asymptotic series of ln Γ and ψ for every argument (exact to rounding from 40 to 1e300);
/// true when some argument is outside that range or not a number.
#[inline(always)]
fn asymptotic_many(x: &[f64], lg: &mut [f64], dg: &mut [f64]) -> bool {
    let mut outside = 0u64;
    for ((&x, lg), dg) in x.iter().zip(lg.iter_mut()).zip(dg.iter_mut()) {
        let (l, d, out) = ln_gamma_digamma_large(x);
        (*lg, *dg) = (l, d);
        outside |= out;
    }
    outside != 0
}

/// ln Γ(x) and ψ(x) by the asymptotic series, without branches (for loops that vectorise),
/// and 1 when x is outside [40, 1e300) or not a number, where the result is not to be used
/// ([`ln_gamma_digamma`] is then the function to call). One division serves both the
/// logarithm's s = f/(2 + f) and the series' 1/x: r = 1/((2 + f)·x), then 1/(2 + f) = r·x and
/// 1/x = r·(2 + f) (a division costs as much as the rest of the loop).
#[inline(always)]
pub(crate) fn ln_gamma_digamma_large(x: f64) -> (f64, f64, u64) {
    let (kf, f) = ln_reduce(x);
    let two_f = 2.0 + f;
    let r = 1.0 / (two_f * x);
    let ln_x = ln_finish(kf, f, f * (r * x));
    let (lg, dg) = series(x, ln_x, r * two_f);
    (lg, dg, !in_series_range(x) as u64)
}

/// Whether 40 ≤ x < 1e300, where [`ln_gamma_digamma_large`] is exact to rounding.
#[inline(always)]
pub(crate) fn in_series_range(x: f64) -> bool {
    // for doubles of either sign, 40 ≤ x < 1e300 exactly when the bits minus those of 40 are
    // below the distance to 1e300's bits (negative numbers, ∞ and NaN wrap or lie beyond)
    const FORTY: u64 = 0x4044_0000_0000_0000;
    const SPAN: u64 = 1e300f64.to_bits() - FORTY;
    x.to_bits().wrapping_sub(FORTY) < SPAN
}

/// ln Γ(x) and ψ(x) from the asymptotic series with three terms, given ln x (x ≥ 40: the next
/// terms are below 1e-14).
#[inline(always)]
fn asymptotic(x: f64, ln_x: f64) -> (f64, f64) {
    series(x, ln_x, 1.0 / x)
}

/// [`asymptotic`] given 1/x as well. The series multiply by the reciprocals of their constants
/// rather than divide by the constants: the compiler keeps a division by a constant (its result
/// can differ in the last bit), and in the batched loop two of them cost 5% of the gradient.
#[inline(always)]
fn series(x: f64, ln_x: f64, xi: f64) -> (f64, f64) {
    let xi2 = xi * xi;
    let lg_series = xi * (-xi2).mul_add((-xi2).mul_add(1.0 / 1260.0, 1.0 / 360.0), 1.0 / 12.0);
    let dg_series = xi2 * (-xi2).mul_add((-xi2).mul_add(1.0 / 252.0, 1.0 / 120.0), 1.0 / 12.0);
    ((x - 0.5).mul_add(ln_x, -x) + HALF_LN_2PI + lg_series, (-0.5f64).mul_add(xi, ln_x) - dg_series)
}

/// The logistic function 1 / (1 + e^(−x)), stable for large |x|.
#[inline]
pub fn logistic(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        let e = x.exp();
        e / (1.0 + e)
    }
}

/// logistic(x) and logistic(−x) = 1 − logistic(x), from one exponential, each without
/// cancellation.
#[inline]
pub fn logistic_pair(x: f64) -> (f64, f64) {
    let e = (-x.abs()).exp();
    let big = 1.0 / (1.0 + e);
    let small = e * big;
    if x >= 0.0 { (big, small) } else { (small, big) }
}

/// log(p / (1 − p)).
#[inline]
pub fn logit(p: f64) -> f64 {
    (p / (1.0 - p)).ln()
}

/// log(1 + e^x), stable.
#[inline]
pub fn log1p_exp(x: f64) -> f64 {
    if x > 35.0 {
        x
    } else if x < -35.0 {
        x.exp()
    } else {
        x.exp().ln_1p()
    }
}

/// Standard normal cumulative distribution function.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (W. J. Cody's rational approximations via a Chebyshev fit;
/// relative error below 1.2e-7, enough for p-values and predictive summaries).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// Regularised upper incomplete gamma Q(a, x), for chi-square p-values.
pub fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        // series for P
        let mut ap = a;
        let mut sum = 1.0 / a;
        let mut del = sum;
        for _ in 0..500 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        1.0 - sum * (-x + a * x.ln() - gln).exp()
    } else {
        // continued fraction for Q (Lentz)
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..500 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (-x + a * x.ln() - gln).exp() * h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_known_values() {
        // Γ(1) = Γ(2) = 1, Γ(0.5) = √π, Γ(10) = 362880, lnΓ(100) = 359.1342053695754 (mpmath).
        assert!(ln_gamma(1.0).abs() < 1e-12);
        assert!(ln_gamma(2.0).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(10.0) - 362880f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(100.0) - 359.134_205_369_575_4).abs() < 1e-10);
        assert!((ln_gamma(1e-3) - 6.907_178_885_383_853).abs() < 1e-10);
    }

    #[test]
    fn digamma_known_values() {
        // ψ(1) = −γ, ψ(0.5) = −γ − 2 ln 2, ψ(100) = 4.600161852738087 (mpmath).
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-12);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-12);
        assert!((digamma(100.0) - 4.600_161_852_738_087).abs() < 1e-12);
        // derivative of ln_gamma by central differences
        for &x in &[0.01f64, 0.3, 2.5, 7.9, 8.1, 50.0, 3000.0] {
            let h = 1e-5 * x.max(1.0);
            let fd = (ln_gamma(x + h) - ln_gamma(x - h)) / (2.0 * h);
            assert!((fd - digamma(x)).abs() < 1e-6 * digamma(x).abs().max(1.0), "x={x}");
        }
    }

    #[test]
    fn joint_ln_gamma_digamma_matches_the_separate_ones() {
        for &x in &[1e-3f64, 0.4, 1.0, 7.99, 8.0, 12.5, 39.99, 40.0, 41.0, 2077.0, 1e4] {
            let (lg, dg) = ln_gamma_digamma(x);
            assert!((lg - ln_gamma(x)).abs() < 1e-12 * ln_gamma(x).abs().max(1.0), "x={x}");
            assert!((dg - digamma(x)).abs() < 1e-12 * digamma(x).abs().max(1.0), "x={x}");
        }
    }

    #[test]
    fn branch_free_log_matches_the_library() {
        let mut x = 1e-300f64;
        while x < 1e300 {
            for v in [x, x * std::f64::consts::FRAC_1_SQRT_2, x * std::f64::consts::SQRT_2, x * 0.999_999_999, x * 3.3]
            {
                let (a, b) = (ln_positive(v), v.ln());
                assert!((a - b).abs() <= 2.0 * f64::EPSILON * b.abs().max(1.0), "x={v}: {a} vs {b}");
            }
            x *= 7.77;
        }
        assert_eq!(ln_positive(1.0), 0.0);
        assert!((ln_positive(2.0) - std::f64::consts::LN_2).abs() < 1e-16);
    }

    #[test]
    fn branch_free_exp_matches_the_library() {
        let mut x = 1e-3f64;
        while x < 708.0 {
            for v in [x, -x, x + 1e-9, -x - 1e-9, x * 0.5 * std::f64::consts::LN_2, -x - 0.3466] {
                let (a, b) = (exp_clamped(v), v.exp());
                assert!((a - b).abs() <= 2.0 * f64::EPSILON * b, "x={v}: {a} vs {b}");
            }
            x = x * 1.13 + 1e-3;
        }
        assert_eq!(exp_clamped(0.0), 1.0);
        assert_eq!(exp_clamped(-1e6), exp_clamped(-708.0));
        assert_eq!(exp_clamped(1e6), exp_clamped(709.0));
        assert!(exp_clamped(709.0).is_finite() && exp_clamped(-708.0) > 0.0);
        assert!(exp_clamped(f64::NAN).is_nan());
        // the batch gives the same values on whichever lane width this CPU runs
        let xs: Vec<f64> = (0..37).map(|i| -7.0 + 0.37 * i as f64).collect();
        let mut out = vec![0.0; xs.len()];
        exp_clamped_many(&xs, &mut out);
        for (&v, &o) in xs.iter().zip(&out) {
            assert_eq!(o, exp_clamped(v));
        }
    }

    /// The loops a gradient runs give the same bits on every lane width this CPU has: the fused
    /// multiply-adds of the polynomials are rounded once whether an instruction or the C
    /// library's `fma` (the two-lane path) computes them.
    #[cfg(target_arch = "x86_64")]
    #[test]
    fn every_lane_width_gives_the_same_bits() {
        #[inline(always)]
        fn body(x: &[f64], lg: &mut [f64], dg: &mut [f64], e: &mut [f64]) {
            asymptotic_many(x, lg, dg);
            for (o, &v) in e.iter_mut().zip(x) {
                *o = exp_clamped(-ln_positive(v));
            }
        }
        #[target_feature(enable = "avx512f")]
        fn wide(x: &[f64], lg: &mut [f64], dg: &mut [f64], e: &mut [f64]) {
            body(x, lg, dg, e)
        }
        #[target_feature(enable = "avx2,fma")]
        fn narrow(x: &[f64], lg: &mut [f64], dg: &mut [f64], e: &mut [f64]) {
            body(x, lg, dg, e)
        }
        type Loops = dyn Fn(&[f64], &mut [f64], &mut [f64], &mut [f64]);
        let x: Vec<f64> = (0..1001).map(|i| 40.0 * 1.013f64.powi(i)).collect();
        let run = |f: &Loops| {
            let mut out = vec![vec![0.0; x.len()]; 3];
            let [lg, dg, e] = &mut out[..] else { unreachable!() };
            f(&x, lg, dg, e);
            out.concat().into_iter().map(f64::to_bits).collect::<Vec<_>>()
        };
        let two = run(&body);
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has the feature.
            assert_eq!(run(&|x, lg, dg, e| unsafe { wide(x, lg, dg, e) }), two, "eight lanes");
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: as above.
            assert_eq!(run(&|x, lg, dg, e| unsafe { narrow(x, lg, dg, e) }), two, "four lanes");
        }
    }

    #[test]
    fn batched_ln_gamma_digamma_matches_the_scalar_one() {
        let mut x = vec![1e-3f64, 0.4, 7.99, 39.99, 40.0, 41.0, 517.3, 2077.0, 1e4, 3.2e6, 9e299, 2e300, -5.0, -0.0];
        let mut v = 40.0;
        while v < 1e8 {
            x.extend([v, v * 1.000_000_1, v * std::f64::consts::SQRT_2]);
            v *= 1.37;
        }
        let n = x.len();
        x.extend([f64::INFINITY, f64::NAN]);
        let (mut lg, mut dg) = (vec![0.0; x.len()], vec![0.0; x.len()]);
        ln_gamma_digamma_many(&x, &mut lg, &mut dg);
        for i in 0..n {
            if x[i] <= 0.0 {
                continue;
            }
            let (a, b) = ln_gamma_digamma(x[i]);
            assert!((lg[i] - a).abs() <= 4.0 * f64::EPSILON * a.abs().max(1.0), "x={}: {} vs {a}", x[i], lg[i]);
            assert!((dg[i] - b).abs() <= 4.0 * f64::EPSILON * b.abs().max(1.0), "x={}: {} vs {b}", x[i], dg[i]);
        }
        assert!(!lg[n].is_finite() && !lg[n + 1].is_finite());
    }

    #[test]
    fn logistic_is_stable() {
        assert_eq!(logistic(800.0), 1.0);
        assert_eq!(logistic(-800.0), 0.0);
        assert!((logistic(0.3) + logistic(-0.3) - 1.0).abs() < 1e-15);
        assert!((logit(logistic(1.7)) - 1.7).abs() < 1e-12);
        for &x in &[-800.0, -40.0, -0.3, 0.0, 0.3, 40.0, 800.0] {
            let (p, q) = logistic_pair(x);
            assert!((p - logistic(x)).abs() <= 4e-16 * logistic(x), "x={x}");
            assert!((q - logistic(-x)).abs() <= 4e-16 * logistic(-x), "x={x}");
        }
    }

    #[test]
    fn chi_square_p_values() {
        // P(chi2_10 > 18.307) = 0.05, P(chi2_3 > 0.5844) = 0.9 (tables).
        assert!((gamma_q(5.0, 18.307 / 2.0) - 0.05).abs() < 1e-4);
        assert!((gamma_q(1.5, 0.5844 / 2.0) - 0.9).abs() < 1e-4);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
    }
}
