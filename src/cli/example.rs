//! `scurve example`: print the built-in example as CSV.

use std::process::ExitCode;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_: Args) -> Result<ExitCode> {
    out!("{}", scurve::data::example::EXAMPLE_CSV.trim_end());
    Ok(ExitCode::SUCCESS)
}
