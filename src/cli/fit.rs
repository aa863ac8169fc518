//! `scurve fit`: fit the curves and print them.

use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use scurve::data::FitData;
use scurve::fit::{LAPLACE_DRAWS, fit_independent};
use scurve::size::format_size;
use scurve::spec::ModelSpec;
use scurve::summary::{Interval, TaskSummary};

use super::{DataArgs, size_arg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// Each task alone, at its posterior mode, with Laplace intervals.
    Map,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Fitting method.
    #[arg(long, value_enum, default_value = "map")]
    pub method: Method,
    /// Model file (or a built-in name: hierarchical, independent, reference).
    #[arg(long)]
    pub model: Option<String>,
    /// Leave sizes above this out of the fit (e.g. 13B).
    #[arg(long, value_parser = size_arg, value_name = "SIZE")]
    pub holdout_above: Option<f64>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (_, series) = a.data.series()?;
    let spec = ModelSpec::load(a.model.as_deref().unwrap_or("independent"))?;
    let data = FitData::build(&series, a.data.x_axis(), a.holdout_above)?;
    let fits = fit_independent(&spec, &data, a.seed, LAPLACE_DRAWS)?;
    let summaries: Vec<TaskSummary> = fits.iter().map(|f| f.summary()).collect();
    if a.json {
        let v = serde_json::json!({ "method": "map", "model": spec.name, "tasks": summaries });
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_table(&summaries);
        let bad: Vec<&str> = summaries.iter().filter(|s| !s.converged).map(|s| s.task.as_str()).collect();
        if !bad.is_empty() {
            eprintln!("warning: {} task(s) did not converge: {}", bad.len(), bad.join(", "));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn iv(i: &Interval, f: impl Fn(f64) -> String) -> String {
    format!("{} [{}, {}]", f(i.est), f(i.lo), f(i.hi))
}

/// The per-task table with 90% intervals.
pub fn print_table(rows: &[TaskSummary]) {
    let w = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
    out!(
        "{:<w$}  {:<22} {:<22} {:<26} {:<20} {}",
        "task", "floor", "ceiling", "midpoint (size)", "slope (/decade)", "conv"
    );
    let p3 = |v: f64| format!("{v:.3}");
    let sz = |v: f64| format_size(10f64.powf(v));
    let p2 = |v: f64| format!("{v:.2}");
    for r in rows {
        out!(
            "{:<w$}  {:<22} {:<22} {:<26} {:<20} {}",
            r.task,
            iv(&r.floor, p3),
            iv(&r.ceiling, p3),
            iv(&r.midpoint_log10, sz),
            iv(&r.slope, p2),
            if r.converged { "yes" } else { "NO" }
        );
    }
    out!("(estimate [90% interval])");
}
