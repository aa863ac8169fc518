//! Diagnostics against ArviZ on fixed draws (tests/fixtures/arviz_diagnostics.json, made by
//! tests/fixtures/make_arviz_reference.py; the ArviZ version and the tolerance are in the file).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use scurve::diagnostics::{chain_apart, diagnose, ebfmi, rhat_rank};

fn fixture() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/arviz_diagnostics.json"))
        .expect("fixture");
    serde_json::from_str(&text).unwrap()
}

fn matrix(v: &serde_json::Value) -> Vec<Vec<f64>> {
    v.as_array().unwrap().iter().map(|c| c.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()).collect()
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1.0)
}

#[test]
fn rhat_ess_mcse_match_arviz() {
    let f = fixture();
    let tol = f["tolerance"].as_f64().unwrap();
    let source = f["source"].as_str().unwrap();
    for (name, p) in f["params"].as_object().unwrap() {
        let chains = matrix(&p["draws"]);
        let refs: Vec<&[f64]> = chains.iter().map(Vec::as_slice).collect();
        let d = diagnose(&refs);
        for (what, ours, theirs) in [
            ("rhat", d.rhat, p["rhat"].as_f64().unwrap()),
            ("ess_bulk", d.ess_bulk, p["ess_bulk"].as_f64().unwrap()),
            ("ess_tail", d.ess_tail, p["ess_tail"].as_f64().unwrap()),
            ("mcse_mean", d.mcse_mean, p["mcse_mean"].as_f64().unwrap()),
        ] {
            assert!(close(ours, theirs, tol), "{name} {what}: scurve {ours} vs {source} {theirs}");
        }
    }
}

#[test]
fn ebfmi_matches_arviz() {
    let f = fixture();
    let energy = matrix(&f["energy"]);
    for (chain, want) in energy.iter().zip(f["bfmi"].as_array().unwrap()) {
        let want = want.as_f64().unwrap();
        assert!(close(ebfmi(chain), want, 1e-9), "{} vs {want}", ebfmi(chain));
    }
}

#[test]
fn badly_mixed_chains_are_flagged() {
    // two chains around 0, two around 3: R-hat far above 1.01
    let a: Vec<f64> = (0..200).map(|i| ((i * 37 % 101) as f64 / 101.0) - 0.5).collect();
    let b: Vec<f64> = a.iter().map(|v| v + 3.0).collect();
    let d = diagnose(&[&a, &a, &b, &b]);
    assert!(d.rhat > 1.5, "{}", d.rhat);
}

/// `n` independent Normal(mean, 1) draws.
fn normal_draws(n: usize, mean: f64, rng: &mut ChaCha8Rng) -> Vec<f64> {
    let d = Normal::new(mean, 1.0).unwrap();
    (0..n).map(|_| d.sample(rng)).collect()
}

#[test]
fn one_chain_apart_from_the_others_is_named() {
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let mut chains: Vec<Vec<f64>> = (0..4).map(|_| normal_draws(1000, 0.0, &mut rng)).collect();
    // four chains that agree: nothing to name
    let refs: Vec<&[f64]> = chains.iter().map(Vec::as_slice).collect();
    assert!(rhat_rank(&refs) < 1.01);
    assert_eq!(chain_apart(&refs, 1.01), None);
    // the third chain held at 1.5: R-hat fails, and without that chain it passes
    chains[2] = normal_draws(1000, 1.5, &mut rng);
    let refs: Vec<&[f64]> = chains.iter().map(Vec::as_slice).collect();
    assert!(rhat_rank(&refs) > 1.1);
    let apart = chain_apart(&refs, 1.01).expect("the third chain sits apart");
    assert_eq!(apart.chain, 3, "counted from 1");
    assert!(apart.rhat_without <= 1.01, "{apart:?}");
    assert!((apart.median - 1.5).abs() < 0.15, "{apart:?}");
    assert!(apart.others_median.0 > -0.15 && apart.others_median.1 < 0.15, "{apart:?}");
    // the others a little apart too: still the one to name while it holds most of the excess
    let mut spread = chains.clone();
    spread[0] = normal_draws(1000, 0.3, &mut rng);
    let refs_spread: Vec<&[f64]> = spread.iter().map(Vec::as_slice).collect();
    let apart_spread = chain_apart(&refs_spread, 1.01).expect("still the third chain");
    assert_eq!(apart_spread.chain, 3);
    assert!(apart_spread.rhat_without > 1.01, "{apart_spread:?}");
    // two chains apart: no one chain to blame
    chains[3] = normal_draws(1000, 1.5, &mut rng);
    let refs: Vec<&[f64]> = chains.iter().map(Vec::as_slice).collect();
    assert_eq!(chain_apart(&refs, 1.01), None);
    // two chains cannot say which of them is apart
    assert_eq!(chain_apart(&refs[1..3], 1.01), None);
}

#[test]
fn diagnose_gives_the_numbers_of_the_separate_diagnostics() {
    use scurve::diagnostics::{ess_bulk, ess_tail, rhat_rank};
    // draws with ties (rounded to a coarse grid), of even and odd chain lengths
    for len in [200usize, 201] {
        let chains: Vec<Vec<f64>> = (0..4)
            .map(|c| (0..len).map(|i| (((i * 37 + c * 11) % 53) as f64 / 7.0).round() + 0.1 * c as f64).collect())
            .collect();
        let refs: Vec<&[f64]> = chains.iter().map(Vec::as_slice).collect();
        let d = diagnose(&refs);
        assert_eq!(d.rhat.to_bits(), rhat_rank(&refs).to_bits(), "rhat, length {len}");
        assert_eq!(d.ess_bulk.to_bits(), ess_bulk(&refs).to_bits(), "bulk ESS, length {len}");
        assert_eq!(d.ess_tail.to_bits(), ess_tail(&refs).to_bits(), "tail ESS, length {len}");
    }
}

#[test]
fn rank_normal_scores_average_the_ranks_of_ties() {
    use scurve::diagnostics::{inv_normal_cdf, z_scale};
    let chains = vec![vec![3.0, 1.0, 2.0, 2.0], vec![-0.0, 0.0, 2.0, 5.0]];
    let all: Vec<f64> = chains.iter().flatten().copied().collect();
    let s = all.len() as f64;
    let z = z_scale(&chains);
    for (c, chain) in chains.iter().enumerate() {
        for (d, &x) in chain.iter().enumerate() {
            // rank counted directly: draws below, plus the average place among the equal ones
            let below = all.iter().filter(|&&v| v < x).count() as f64;
            let equal = all.iter().filter(|&&v| v == x).count() as f64;
            let rank = below + (equal + 1.0) / 2.0;
            let want = inv_normal_cdf((rank - 0.375) / (s + 0.25));
            assert_eq!(z[c][d], want, "draw {x} of chain {c}");
        }
    }
}
