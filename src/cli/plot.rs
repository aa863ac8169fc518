//! `scurve plot`: pictures of a saved fit: each task's curve, every task at a glance, and the
//! population of midpoints and slopes.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use scurve::fitio::{SavedFit, heldout_points};
use scurve::forecast::ForecastAt;
use scurve::plot::{Format, OverviewFigure, PopulationFigure, TaskFigure, TaskPanel, check_new, save, task_panels};

use super::forecast::{Picked, forecast_points};
use super::{ForecastSize, forecast_size_arg, size_arg};

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
    #[command(flatten)]
    pub pick: Picked,
    /// Image format.
    #[arg(long, value_enum, default_value = "svg")]
    pub format: FormatArg,
    /// Also show the forecast of a new model of this size (repeatable), or of a multiple of the
    /// largest model each task was fitted on (3x).
    #[arg(long = "size", value_parser = forecast_size_arg, value_name = "SIZE")]
    pub sizes: Vec<ForecastSize>,
    /// Training tokens of the new model (needed when the fit's x-axis is compute).
    #[arg(long, value_parser = size_arg)]
    pub tokens: Option<f64>,
    /// For a fit on the compute axis: also show the forecast of a new model trained with this
    /// compute in FLOPs (repeatable), or a multiple of the largest each task was fitted on (3x).
    #[arg(long = "compute", value_parser = forecast_size_arg, conflicts_with_all = ["sizes", "tokens"], value_name = "FLOPS")]
    pub computes: Vec<ForecastSize>,
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

/// What the panels of a saved fit are drawn from: its held-out points (read again from the
/// data when something was held out), the item counts, and where to forecast.
struct PanelInputs {
    heldout: Vec<Vec<scurve::data::Point>>,
    items: Vec<Option<u64>>,
    forecast: ForecastAt,
}

impl PanelInputs {
    fn of(fit: &SavedFit, a: &Args) -> Result<Self> {
        Ok(PanelInputs {
            heldout: heldout_points(fit)?,
            items: fit.record.series.iter().map(|s| s.items).collect(),
            forecast: forecast_points(fit, &a.sizes, &a.computes, a.tokens)?,
        })
    }

    /// The panels of the chosen tasks, with held-out points and forecasts.
    fn panels(&self, fit: &SavedFit, tasks: &[usize], seed: u64) -> Result<Vec<TaskPanel>> {
        let (post, obs) = (&fit.posterior, &fit.record.observations);
        Ok(task_panels(post, obs, &self.heldout, &self.items, tasks, &self.forecast, seed)?)
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    let fit = super::load_fit(&a.fit)?;
    // with --mean and no --task, only the means are drawn
    let (tasks, groups) = a.pick.of(&fit)?;
    let draw_tasks = !tasks.is_empty();
    let format: Format = a.format.into();
    let ext = format.ext();
    let inputs = PanelInputs::of(&fit, &a)?;
    let panels = if draw_tasks { inputs.panels(&fit, &tasks, a.seed)? } else { Vec::new() };
    let mean_panels = groups
        .iter()
        .map(|g| {
            let of: Vec<usize> = g.tasks.iter().map(|t| t.task).collect();
            let task_panels = inputs.panels(&fit, &of, a.seed)?;
            let of: Vec<&TaskPanel> = task_panels.iter().collect();
            let xs: Vec<f64> = inputs.forecast.of_group(g).into_iter().map(|(_, x)| x).collect();
            Ok(TaskPanel::for_group(&fit.posterior, g, &of, &xs, a.seed))
        })
        .collect::<Result<Vec<_>>>()?;

    // every file to write, checked before any is written
    let stems = |names: Vec<String>| {
        let mut stems: Vec<String> = Vec::new();
        for name in names {
            let mut stem = file_stem(&name);
            while stems.contains(&stem) {
                stem.push('_');
            }
            stems.push(stem);
        }
        stems
    };
    let task_dir = a.out.join("tasks");
    let mean_dir = a.out.join("means");
    let overview = a.out.join(format!("overview.{ext}"));
    let population = a.out.join(format!("population.{ext}"));
    let task_files: Vec<PathBuf> = stems(panels.iter().map(|p| p.name.clone()).collect())
        .iter()
        .map(|s| task_dir.join(format!("{s}.{ext}")))
        .collect();
    // a mean's file is named by its pattern, `*` read as "all": means/hendrycksTest-all.svg
    let mean_names = groups.iter().map(|g| g.name.replace('*', "all").replace('?', "x")).collect();
    let mean_files: Vec<PathBuf> = stems(mean_names).iter().map(|s| mean_dir.join(format!("{s}.{ext}"))).collect();
    let overall: Vec<&PathBuf> = if draw_tasks { vec![&overview, &population] } else { Vec::new() };
    for f in overall.iter().copied().chain(&task_files).chain(&mean_files) {
        check_new(f, a.force)?;
    }
    let axis = fit.record.observations.x_axis;
    let mut wrote = Vec::new();
    if draw_tasks {
        std::fs::create_dir_all(&task_dir).map_err(|e| scurve::Error::io(task_dir.display().to_string(), e))?;
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
        wrote.push(format!(
            "{}, {} and {} task image(s) in {}",
            shown(&overview, &a.out),
            shown(&population, &a.out),
            task_files.len(),
            task_dir.display()
        ));
    }
    if !mean_panels.is_empty() {
        std::fs::create_dir_all(&mean_dir).map_err(|e| scurve::Error::io(mean_dir.display().to_string(), e))?;
        for (p, f) in mean_panels.iter().zip(&mean_files) {
            save(&TaskFigure { panel: p, axis }, f, format)?;
        }
        wrote.push(format!("{} mean image(s) in {}", mean_files.len(), mean_dir.display()));
    }
    eprintln!("wrote {}", wrote.join("; "));
    Ok(ExitCode::SUCCESS)
}

fn shown(p: &Path, base: &Path) -> String {
    p.strip_prefix(base).unwrap_or(p).display().to_string()
}
