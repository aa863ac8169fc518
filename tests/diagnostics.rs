//! Diagnostics against ArviZ on fixed draws (tests/fixtures/arviz_diagnostics.json, made by
//! tests/fixtures/make_arviz_reference.py; the ArviZ version and the tolerance are in the file).

use scurve::diagnostics::{diagnose, ebfmi};

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
