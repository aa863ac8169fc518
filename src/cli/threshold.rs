//! `scurve threshold`: what size reaches a target score on each task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use scurve::data::XAxis;
use scurve::fitio::load_verified;
use scurve::forecast::{ThresholdRow, threshold};
use scurve::plot::{Format, ThresholdFigure, check_new, save};
use scurve::size::format_size;

use super::forecast::select_tasks;
use super::size_arg;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved fit folder (from `scurve fit --out`).
    pub fit: PathBuf,
    /// The target score, in (0, 1).
    #[arg(long)]
    pub score: f64,
    /// Only these tasks (repeatable).
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// The largest size of interest: p_reach is the probability of reaching the score by it.
    #[arg(long, value_parser = size_arg, default_value = "1e15")]
    pub max_size: f64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Draw the posterior of the size per task, with the mass that never reaches the score (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Replace an existing --plot file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if !(a.score > 0.0 && a.score < 1.0) {
        return Err(scurve::Error::Usage(format!("--score {} must be in (0, 1)", a.score)).into());
    }
    let fit = load_verified(&a.fit)?;
    if fit.record.observations.x_axis != XAxis::Params {
        return Err(scurve::Error::Usage("threshold gives sizes: it needs a fit on the params axis".into()).into());
    }
    let tasks = select_tasks(&fit, &a.tasks)?;
    let format = a.plot.as_deref().map(Format::of_path).transpose()?;
    if let Some(path) = &a.plot {
        check_new(path, a.force)?;
    }
    let rows: Vec<ThresholdRow> = tasks
        .iter()
        .map(|&t| threshold(&fit.posterior, t, a.score, fit.record.series[t].largest_x, a.max_size.log10()))
        .collect();
    if let (Some(path), Some(format)) = (&a.plot, format) {
        let fig = ThresholdFigure::new(a.score, &rows, fit.record.observations.x_range(), a.max_size.log10());
        save(&fig, path, format)?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        out!("{}", serde_json::to_string_pretty(&serde_json::json!({ "thresholds": rows }))?);
        return Ok(ExitCode::SUCCESS);
    }
    let w = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
    let sz = |v: Option<f64>| match v {
        None => "never".to_string(),
        Some(0.0) => "any".to_string(),
        Some(s) => format_size(s),
    };
    out!("{:<w$}  {:>8}  {:<22} {:>9} {:>9} {:>9}", "task", "median", "80% interval", "P(reach)", "P(now)", "P(never)");
    for r in &rows {
        out!(
            "{:<w$}  {:>8}  {:<22} {:>9.2} {:>9.2} {:>9.2}",
            r.task,
            sz(r.median_size),
            format!("{} – {}", sz(r.lo80_size), sz(r.hi80_size)),
            r.p_reach,
            r.p_already,
            r.p_never
        );
    }
    out!(
        "(size at which the curve reaches {}; P(reach): by {}; P(now): by the largest fitted size; P(never): the ceiling is below it)",
        a.score,
        format_size(a.max_size)
    );
    Ok(ExitCode::SUCCESS)
}
