//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Path to a file of the shared data folder beside the repository.
pub fn shared(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join(rel)
}

/// Run the scurve binary.
pub fn scurve(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scurve")).args(args).output().expect("run scurve")
}

/// Run scurve in a directory.
pub fn scurve_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scurve")).current_dir(dir).args(args).output().expect("run scurve")
}

/// Run scurve in `dir` with `input` piped to its standard input.
pub fn scurve_piped(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_scurve"))
        .current_dir(dir)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run scurve");
    // a command that fails before reading its input closes the pipe: not an error here
    let _ = child.stdin.take().expect("a piped stdin").write_all(input);
    child.wait_with_output().expect("run scurve")
}

/// The `fit.json` of a saved fit folder.
pub fn fit_json(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("fit.json")).unwrap()).unwrap()
}

/// A CSV's header and its rows.
pub fn read_csv(text: &str) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut rdr = csv::Reader::from_reader(text.as_bytes());
    let header = rdr.headers().unwrap().iter().map(String::from).collect();
    (header, rdr.records().map(Result::unwrap).collect())
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Binomial counts of `n` items from known curves at the given sizes, one task per curve
/// (named t0, t1, ...; models m0, m1, ...), chance at each curve's floor.
pub fn synthetic(curves: &[scurve::curve::Curve], sizes: &[f64], n: u64, seed: u64) -> scurve::data::Dataset {
    use rand::SeedableRng;
    use rand_distr::{Binomial, Distribution};
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut observations = Vec::new();
    for (t, c) in curves.iter().enumerate() {
        for (j, &s) in sizes.iter().enumerate() {
            let y = Binomial::new(n, c.value(s.log10())).unwrap().sample(&mut rng);
            observations.push(scurve::data::Observation {
                task: format!("t{t}"),
                family: None,
                model: format!("m{j}"),
                params: s,
                tokens: None,
                outcome: scurve::data::Outcome::Counts { correct: y, n },
                chance: Some(c.floor.max(0.0)),
                shots: None,
                at: scurve::error::Location::file("synthetic"),
                revision: None,
                rounded: None,
                score: None,
            });
        }
    }
    scurve::data::Dataset { source: "synthetic".into(), observations, unreadable: Vec::new() }
}

/// A tidy CSV of a ladder trained on 20 tokens per parameter (100M to 10B; compute 6 · N · 20N),
/// each task at chance 0.25 with score 0.25 + 0.7 · logistic(2 · (log10 N − midpoint)) counted
/// exactly (rounded) out of 1000 items: `(task, midpoint)`.
pub fn chinchilla_csv(tasks: &[(&str, f64)]) -> String {
    let mut body = "task,model,params,tokens,correct,n,chance\n".to_string();
    for (i, n_params) in [1e8, 3e8, 1e9, 3e9, 1e10f64].into_iter().enumerate() {
        for (task, mid) in tasks {
            let p = 0.25 + 0.7 / (1.0 + (-2.0 * (n_params.log10() - mid)).exp());
            body += &format!("{task},m{i},{n_params},{},{},1000,0.25\n", 20.0 * n_params, (p * 1000.0).round());
        }
    }
    body
}

/// A tidy CSV of two families (a, b), four sizes (1e8 to 1e11) and three tasks of 100 items:
/// t rises in both; u rises in a and falls in b; v rises over the three smaller sizes and falls
/// at the largest, in both.
pub fn falling_families_csv() -> String {
    let mut body = "family,task,model,params,correct,n,chance\n".to_string();
    for (f, u) in [("a", [30, 40, 55, 70]), ("b", [70, 55, 40, 30])] {
        for (i, size) in ["1e8", "1e9", "1e10", "1e11"].iter().enumerate() {
            body += &format!("{f},t,{f}{i},{size},{},100,0.25\n", 30 + 12 * i);
            body += &format!("{f},u,{f}{i},{size},{},100,0.25\n", u[i]);
            body += &format!("{f},v,{f}{i},{size},{},100,0.25\n", [50, 55, 60, 30][i]);
        }
    }
    body
}
