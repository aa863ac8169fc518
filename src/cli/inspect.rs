//! `scurve inspect`: what is in a data set, and which tasks need care.

use std::collections::BTreeSet;
use std::process::ExitCode;

use anyhow::Result;
use scurve::size::format_size;

use super::DataArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (ds, series) = a.data.series(None)?;
    let reports: Vec<_> = series.iter().map(|s| s.report()).collect();
    let tasks: BTreeSet<&str> = series.iter().map(|s| s.task.as_str()).collect();
    let models: BTreeSet<&str> = series.iter().flat_map(|s| s.points.iter().map(|p| p.model.as_str())).collect();
    let observations: usize = series.iter().map(|s| s.points.len()).sum();
    if a.json {
        let v = serde_json::json!({
            "source": ds.source,
            "tasks": tasks.len(),
            "models": models.len(),
            "observations": observations,
            "series": reports,
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{}: {} tasks, {} models, {} observations, {} series",
        ds.source,
        tasks.len(),
        models.len(),
        observations,
        series.len()
    );
    let mut sizes: Vec<(f64, &str)> =
        series.iter().flat_map(|s| s.points.iter().map(|p| (p.params, p.model.as_str()))).collect();
    sizes.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)));
    sizes.dedup();
    let shown: Vec<String> = sizes.iter().map(|(p, m)| format!("{m} ({})", format_size(*p))).collect();
    out!("models: {}", shown.join(", "));
    out!();
    out!("{:<44} {:>6} {:>6} {:>15} {:>13}  notes", "series", "chance", "sizes", "range", "score");
    for r in &reports {
        let mut notes = Vec::new();
        if r.too_few_sizes {
            notes.push("fewer than 3 sizes: cannot be fitted");
        }
        if r.at_chance {
            notes.push("at chance at every size: midpoint not identified");
        }
        if r.falls {
            notes.push("falls with size");
        }
        out!(
            "{:<44} {:>6.3} {:>6} {:>15} {:>13}  {}",
            r.series,
            r.chance,
            r.sizes,
            format!("{}–{}", format_size(r.smallest), format_size(r.largest)),
            format!("{:.3}–{:.3}", r.min_score, r.max_score),
            notes.join("; ")
        );
    }
    let items: BTreeSet<u64> = reports.iter().filter_map(|r| r.items).collect();
    if let (Some(lo), Some(hi)) = (items.first(), items.last()) {
        out!("\nitems per task: {lo} to {hi}");
    }
    let short = reports.iter().filter(|r| r.too_few_sizes).count();
    if short == reports.len() {
        out!("\nno series has the 3 sizes a curve needs");
    } else if short > 0 {
        out!("\n{short} of {} series have fewer than 3 sizes: fit the rest with --skip-short", reports.len());
    }
    Ok(ExitCode::SUCCESS)
}
