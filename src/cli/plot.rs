//! `scurve plot`: pictures of a saved fit: each task's curve, every task at a glance, and the
//! population of midpoints and slopes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use scurve::fitio::{SavedFit, heldout_points, load_verified};
use scurve::plot::{Format, OverviewFigure, PopulationFigure, TaskFigure, TaskPanel, check_new, save, task_panels};

use super::forecast::{select_tasks, x_of};
use super::size_arg;

/// Image format on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Svg,
    Png,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Self {
        match f {
            FormatArg::Svg => Format::Svg,
            FormatArg::Png => Format::Png,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved fit folder (from `scurve fit --out`).
    pub fit: PathBuf,
    /// Folder to write the images in (made if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Only these tasks (repeatable); every task when omitted. A task of a fit with several
    /// families is `family/task`; the task alone picks it in every family.
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// Image format.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: FormatArg,
    /// Also show the forecast of a new model of this size (repeatable).
    #[arg(long = "size", value_parser = size_arg, value_name = "SIZE")]
    pub sizes: Vec<f64>,
    /// Training tokens of the new model (needed when the fit's x-axis is compute).
    #[arg(long, value_parser = size_arg)]
    pub tokens: Option<f64>,
    /// Seed of the predictive draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Replace images already in the folder.
    #[arg(long)]
    pub force: bool,
}

/// A file name made from a task name: letters, digits, `-` and `_`, the rest as `_`.
pub fn file_stem(name: &str) -> String {
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    if s.is_empty() { "task".into() } else { s }
}

/// The panels of the chosen tasks of a saved fit, with held-out points and forecasts.
pub fn fit_panels(
    fit: &SavedFit,
    tasks: &[usize],
    sizes: &[f64],
    tokens: Option<f64>,
    seed: u64,
) -> Result<Vec<TaskPanel>> {
    let heldout = heldout_points(fit)?;
    let forecast_x: Vec<f64> = sizes.iter().map(|&s| x_of(fit, s, tokens)).collect::<Result<_>>()?;
    let items: Vec<Option<u64>> = fit.record.series.iter().map(|s| s.items).collect();
    Ok(task_panels(&fit.posterior, &fit.record.observations, &heldout, &items, tasks, &forecast_x, seed)?)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let fit = load_verified(&a.fit)?;
    let tasks = select_tasks(&fit, &a.tasks)?;
    let format: Format = a.format.into();
    let ext = format.ext();
    let panels = fit_panels(&fit, &tasks, &a.sizes, a.tokens, a.seed)?;

    // every file to write, checked before any is written
    let mut stems: Vec<String> = Vec::new();
    for p in &panels {
        let mut stem = file_stem(&p.name);
        while stems.contains(&stem) {
            stem.push('_');
        }
        stems.push(stem);
    }
    let task_dir = a.out.join("tasks");
    let overview = a.out.join(format!("overview.{ext}"));
    let population = a.out.join(format!("population.{ext}"));
    let task_files: Vec<PathBuf> = stems.iter().map(|s| task_dir.join(format!("{s}.{ext}"))).collect();
    for f in [&overview, &population].into_iter().chain(&task_files) {
        check_new(f, a.force)?;
    }
    std::fs::create_dir_all(&task_dir).map_err(|e| scurve::Error::io(task_dir.display().to_string(), e))?;

    let axis = fit.record.observations.x_axis;
    save(&OverviewFigure { panels: panels.iter().collect(), axis }, &overview, format)?;
    let pop = PopulationFigure {
        midpoints: panels.iter().map(|p| p.midpoint).collect(),
        slopes: tasks.iter().map(|&t| fit.record.tasks[t].slope.est).collect(),
        observed: fit.record.observations.x_range(),
        axis,
    };
    save(&pop, &population, format)?;
    for (p, f) in panels.iter().zip(&task_files) {
        save(&TaskFigure { panel: p, axis }, f, format)?;
    }
    eprintln!(
        "wrote {}, {} and {} task image(s) in {}",
        shown(&overview, &a.out),
        shown(&population, &a.out),
        task_files.len(),
        task_dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

fn shown(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
