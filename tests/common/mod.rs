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

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
