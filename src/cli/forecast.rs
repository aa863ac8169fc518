//! `scurve forecast`: what will a new model of a given size score on each task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use scurve::data::{XAxis, glob_match, none_named};
use scurve::fitio::{SavedFit, SeriesRecord};
use scurve::forecast::{
    At, ForecastAt, ForecastRow, Group, Job, Score, baselines, flattened_rows, group_predictive, summarise,
};
use scurve::plot::format_on_axis;
use scurve::size::format_size;

use super::{ForecastSize, forecast_size_arg, score_arg, score_for, size_arg};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved fit folder (from `scurve fit --out`).
    pub fit: PathBuf,
    /// Size(s) of the new model (e.g. 30B), or a multiple of the largest model each task was
    /// fitted on (3x: the next model of each ladder); repeat for several.
    #[arg(long = "size", value_parser = forecast_size_arg, required_unless_present = "computes", value_name = "SIZE")]
    pub sizes: Vec<ForecastSize>,
    /// For a fit on the compute axis: the new model's training compute in FLOPs (e.g. 1e24), or a
    /// multiple of the largest each task was fitted on (3x); repeat for several.
    #[arg(long = "compute", value_parser = forecast_size_arg, conflicts_with_all = ["sizes", "tokens"], value_name = "FLOPS")]
    pub computes: Vec<ForecastSize>,
    #[command(flatten)]
    pub pick: Picked,
    /// Also give the probability that the observed score exceeds this; `chance+0.1`: ten points
    /// above each task's chance; `largest+0.05`: five points above what its largest fitted model
    /// scored (a mean's: the mean of its tasks').
    #[arg(long, value_parser = score_arg, value_name = "SCORE")]
    pub above: Option<Score>,
    /// Training tokens of the new model (needed when the fit's x-axis is compute).
    #[arg(long, value_parser = size_arg)]
    pub tokens: Option<f64>,
    /// Seed of the predictive draws.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV.
    #[arg(long)]
    pub csv: bool,
    /// Store the forecast, with the fit's hash and the date, to be scored later by `scurve score`.
    #[arg(long, value_name = "FILE")]
    pub save: Option<PathBuf>,
}

/// The tasks, and means of tasks, that a command on a saved fit shows (`forecast`, `threshold`,
/// `plot`).
#[derive(Debug, clap::Args)]
pub struct Picked {
    /// Only these tasks (repeatable); every task when omitted. A task of a fit with several
    /// families is `family/task`; the task alone picks it in every family. A pattern picks
    /// every task it matches (`*` any run of characters, `?` any one: 'hendrycksTest-*').
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// Also the mean score of the tasks matching PATTERN (repeatable), as a benchmark of many
    /// tasks reports it: `--mean 'hendrycksTest-*'` for MMLU. Under a model with a per-model
    /// effect, a new model's luck is shared by its tasks. Per family, unless the pattern holds a
    /// `/`. With --mean and no --task only the means are shown (`plot` draws them in DIR/means).
    #[arg(long = "mean", value_name = "PATTERN")]
    pub means: Vec<String>,
    /// Weigh each task of a --mean by its item count (the mean over all items), not equally.
    #[arg(long, requires = "means")]
    pub by_items: bool,
}

impl Picked {
    /// The tasks to show (none when only means were asked for) and the groups of the means.
    pub fn of(&self, fit: &SavedFit) -> Result<(Vec<usize>, Vec<Group>)> {
        let tasks = select_tasks(fit, &self.tasks)?;
        let groups = fit_groups(fit, &self.means, self.by_items)?;
        let shown = if groups.is_empty() || !self.tasks.is_empty() { tasks } else { Vec::new() };
        Ok((shown, groups))
    }
}

/// Indices of the tasks asked for (all when none), or an error naming one that picks none. A
/// name is a series as the fit lists it (`family/task` when it holds several families) or a
/// task, which then stands for that task in every family; either may be a pattern (`*` any run
/// of characters, `?` any one: [`glob_match`]).
fn select_tasks(fit: &SavedFit, names: &[String]) -> Result<Vec<usize>> {
    let series = &fit.posterior.series;
    if names.is_empty() {
        return Ok((0..series.len()).collect());
    }
    let mut picked = Vec::new();
    for n in names {
        // the whole name, or what follows one of its `/`s (a family's name may hold one too)
        let picks =
            |name: &str| glob_match(n, name) || name.match_indices('/').any(|(cut, _)| glob_match(n, &name[cut + 1..]));
        let found: Vec<usize> = (0..series.len()).filter(|&i| picks(&series[i])).collect();
        if found.is_empty() {
            return Err(scurve::Error::Usage(format!(
                "{} in {} (tasks: {}…)",
                none_named("task", n),
                fit.dir.display(),
                series.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        picked.extend(found.into_iter().filter(|i| !picked.contains(i)).collect::<Vec<_>>());
    }
    Ok(picked)
}

/// The groups each `--mean` pattern makes of `series` (with their item counts; `source` names
/// the fit or data in errors), or an error naming a pattern that matches no task (or, with
/// `by_items`, a group with a task of unknown item count).
pub fn select_groups(
    series: &[String],
    items: &[Option<u64>],
    patterns: &[String],
    by_items: bool,
    source: &str,
) -> Result<Vec<Group>> {
    let mut all = Vec::new();
    for p in patterns {
        let groups = Group::matching(series, items, p, by_items).ok_or_else(|| {
            scurve::Error::Usage(format!(
                "--by-items: a task matching '{p}' in {source} has no item count (the data gave only its score); \
                 leave out --by-items to weigh the tasks equally"
            ))
        })?;
        if groups.is_empty() {
            return Err(scurve::Error::Usage(format!(
                "--mean '{p}' matches no task in {source} (tasks: {}…)",
                series.iter().take(5).cloned().collect::<Vec<_>>().join(", ")
            ))
            .into());
        }
        all.extend(groups);
    }
    Ok(all)
}

/// The largest x at which every task of a group was fitted (`records` as a fit keeps them): a
/// mean's threshold is "already reached" only by then.
pub fn group_largest_x(g: &Group, records: &[SeriesRecord]) -> f64 {
    g.tasks.iter().map(|t| records[t.task].largest_x).fold(f64::INFINITY, f64::min)
}

/// [`select_groups`] of a saved fit. A mean of a MAP fit gets a note: each task's mode puts a
/// task still at chance on a rise just past the data, and a mean of many such tasks inherits
/// that rise with an interval that does not allow for it.
fn fit_groups(fit: &SavedFit, patterns: &[String], by_items: bool) -> Result<Vec<Group>> {
    let items: Vec<Option<u64>> = fit.record.series.iter().map(|s| s.items).collect();
    let groups = select_groups(&fit.posterior.series, &items, patterns, by_items, &fit.dir.display().to_string())?;
    if !groups.is_empty() && fit.record.method == "map" {
        eprintln!(
            "note: {} is a MAP fit, each task's curve at its mode: a mean of tasks still at chance comes out too high \
             and too sure from one (MMLU's mean held out at OPT 30B and 66B and at Pythia 6.9B and 12B: 5–16 pp too \
             high, outside every 80% interval; the default NUTS fit: within 1.1 pp; docs/validation.md)",
            fit.dir.display()
        );
    }
    Ok(groups)
}

/// A group's row in JSON: `row` with the group's name as its task, and its tasks and weighting.
pub fn group_json(fit: &SavedFit, g: &Group, mut row: serde_json::Value) -> serde_json::Value {
    row["task"] = g.name.clone().into();
    row["tasks"] = g.tasks.iter().map(|t| fit.posterior.series[t.task].clone()).collect();
    row["weighting"] = if g.by_items { "items" } else { "tasks" }.into();
    row
}

/// The x of a size on the fit's axis.
pub fn x_of(fit: &SavedFit, size: f64, tokens: Option<f64>) -> Result<f64> {
    match fit.record.observations.x_axis {
        XAxis::Params => Ok(size.log10()),
        XAxis::Compute => match tokens {
            Some(t) => Ok(scurve::data::training_compute(size, t).log10()),
            None => Err(scurve::Error::Usage("this fit's x-axis is compute: pass --tokens".into()).into()),
        },
    }
}

/// The points a saved fit is forecast at: each size at its x on the fit's axis, each multiple of
/// the largest size each task was fitted on. A multiple of a size on the compute axis is an error:
/// it would be of training compute, which `--compute 3x` asks for by name.
fn forecast_at(fit: &SavedFit, sizes: &[ForecastSize], tokens: Option<f64>) -> Result<Vec<At>> {
    sizes
        .iter()
        .map(|&s| match s {
            ForecastSize::Size(size) => Ok(At::Amount { amount: size, x: x_of(fit, size, tokens)? }),
            ForecastSize::Times(f) if fit.record.observations.x_axis == XAxis::Params => Ok(At::Times(f)),
            ForecastSize::Times(f) => Err(scurve::Error::Usage(format!(
                "--size {f}x: this fit's x-axis is compute, so a multiple would be of training compute: ask for \
                 that with --compute {f}x, or give the new model's size and its --tokens"
            ))
            .into()),
        })
        .collect()
}

/// Where a saved fit is forecast: at `computes` (`--compute`) when any is given, else at
/// `sizes` trained on `tokens` ([`forecast_at`]); `tokens` on a fit of sizes is an error, since
/// they would not enter.
pub fn forecast_points(
    fit: &SavedFit,
    sizes: &[ForecastSize],
    computes: &[ForecastSize],
    tokens: Option<f64>,
) -> Result<ForecastAt> {
    if tokens.is_some() && fit.record.observations.x_axis == XAxis::Params {
        return Err(scurve::Error::Usage(
            "--tokens is for a fit on the compute axis (`scurve fit --x compute`); on this fit's axis, sizes, a new \
             model's training tokens do not enter the forecast: leave out --tokens, or fit with --x compute"
                .into(),
        )
        .into());
    }
    let mut at =
        if computes.is_empty() { forecast_at(fit, sizes, tokens)? } else { forecast_at_compute(fit, computes)? };
    // a point asked for twice is forecast once, where it was first asked for
    let mut seen: Vec<At> = Vec::with_capacity(at.len());
    at.retain(|a| {
        !seen.contains(a) && {
            seen.push(*a);
            true
        }
    });
    Ok(ForecastAt { at, largest_x: fit.record.series.iter().map(|s| s.largest_x).collect() })
}

/// The points a fit on the compute axis is forecast at with `--compute`: each training compute at its
/// x, each multiple of the largest compute each task was fitted on. An error on a fit of sizes.
fn forecast_at_compute(fit: &SavedFit, computes: &[ForecastSize]) -> Result<Vec<At>> {
    if fit.record.observations.x_axis != XAxis::Compute {
        return Err(scurve::Error::Usage(
            "--compute is for a fit on the compute axis (`scurve fit --x compute`); this one is on sizes: use --size"
                .into(),
        )
        .into());
    }
    Ok(computes.iter().map(|c| c.on_axis()).collect())
}

/// How sizes (or, `compute`, training computes) given as multiples read, for a line under a
/// table: None when none was.
fn multiples_note(at: &[At], compute: bool) -> Option<String> {
    let times: Vec<String> = at.iter().filter_map(|a| a.times()).map(|f| format!("{f}x")).collect();
    let of = if compute { "training compute" } else { "model" };
    (!times.is_empty()).then(|| {
        format!(
            "{}: multiples of the largest {of} each task was fitted on; for a mean, of the largest of its tasks",
            times.join(", ")
        )
    })
}

/// Forecast rows of `jobs` and their predictive draws; `above[t]`, task t's score for P(score >).
pub fn forecast_rows(fit: &SavedFit, jobs: &[Job], above: Option<&[f64]>, seed: u64) -> Vec<(ForecastRow, Vec<f64>)> {
    let items: Vec<Option<u64>> = fit.record.series.iter().map(|s| s.items).collect();
    scurve::forecast::forecast_rows(&fit.posterior, &items, jobs, above, seed)
}

pub fn run(a: Args) -> Result<ExitCode> {
    let fit = super::load_fit(&a.fit)?;
    // with --mean and no --task, only the means are forecast (and saved)
    let (tasks, groups) = a.pick.of(&fit)?;
    // the score each task's (and mean's) P(score > above) is of
    let series = &fit.record.series;
    let baselines = baselines(&fit.record.observations);
    let above: Option<Vec<f64>> = match a.above {
        None => None,
        Some(score) => {
            // checked for the tasks shown only: a task left out may have a baseline it does not suit
            let mut v: Vec<f64> = baselines.iter().map(|&b| score.at(b)).collect();
            for &t in &tasks {
                v[t] = score_for(score, baselines[t], &series[t].name, "--above", false)?;
            }
            Some(v)
        }
    };
    // with --compute, the amounts of the rows are training compute in FLOPs, not sizes
    let compute = !a.computes.is_empty();
    if compute && a.save.is_some() {
        return Err(scurve::Error::Usage(
            "--save keeps a forecast for `scurve score`, which finds each new model by its size; a forecast at a \
             training compute names none: give the new model's --size and --tokens to save it"
                .into(),
        )
        .into());
    }
    let at = forecast_points(&fit, &a.sizes, &a.computes, a.tokens)?;
    let jobs = at.jobs(&tasks);
    let rows = forecast_rows(&fit, &jobs, above.as_deref(), a.seed);
    let mut means = Vec::new();
    for g in &groups {
        let above = a.above.map(|s| score_for(s, g.baseline(&baselines), &g.label(), "--above", false)).transpose()?;
        for (p, (size, x)) in at.at.iter().zip(at.of_group(g)) {
            let pred = group_predictive(&fit.posterior, g, x, a.seed);
            let row = ForecastRow { times: p.times(), ..summarise(&g.name, size, &pred, above) };
            means.push((g, row, pred.observed));
        }
    }
    if let Some(path) = &a.save {
        super::score::save_forecast(path, &fit, &rows, &means, a.seed)?;
        eprintln!("saved {}", path.display());
    }
    let mut rows: Vec<ForecastRow> = rows.into_iter().map(|(r, _)| r).collect();
    // a task whose curve has flattened at its ceiling below what its largest model scored
    let flat = flattened_rows(&fit.posterior, &fit.record.observations, &jobs, &rows);
    let axis = fit.record.observations.x_axis;
    for f in &flat {
        eprintln!("note: {}", f.describe(|v| format_on_axis(v, axis)));
    }
    // a size outside what the fit saw of the tasks forecast, or past what has been checked
    let seen: Vec<usize> =
        tasks.iter().copied().chain(groups.iter().flat_map(|g| g.tasks.iter().map(|t| t.task))).collect();
    let outside: Vec<(At, String)> = (at.outside(&fit.record.observations, &seen).into_iter())
        .map(|(p, x, o)| (p, o.describe(x, |v| format_on_axis(v, axis))))
        .collect();
    for (_, note) in &outside {
        eprintln!("note: {note}");
    }
    // the JSON's and CSV's name of a row's amount
    let amount = if compute { "compute" } else { "size" };
    if a.json {
        let rename = |mut row: serde_json::Value| {
            if let Some(size) = row.as_object_mut().and_then(|o| o.remove("size")) {
                row[amount] = size;
            }
            row
        };
        let list: Vec<serde_json::Value> =
            rows.iter().map(|r| rename(serde_json::to_value(r).expect("a forecast row serialises"))).collect();
        let mut v = serde_json::json!({ "forecasts": list });
        if !flat.is_empty() {
            v["flattened"] = serde_json::to_value(&flat)?;
        }
        if !outside.is_empty() {
            let list = outside.iter().map(|(p, note)| match *p {
                At::Amount { amount: a, .. } => serde_json::json!({ amount: a, "note": note }),
                At::Times(f) => serde_json::json!({ "times": f, "note": note }),
            });
            v["outside_fit"] = list.collect::<Vec<_>>().into();
        }
        if !means.is_empty() {
            let list: Vec<serde_json::Value> = means
                .iter()
                .map(|(g, r, _)| {
                    group_json(&fit, g, rename(serde_json::to_value(r).expect("a forecast row serialises")))
                })
                .collect();
            v["means"] = list.into();
        }
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    rows.extend(means.into_iter().map(|(g, r, _)| ForecastRow { task: g.label(), ..r }));
    if a.csv {
        let head = format!(
            "task,{amount},median,lo50,hi50,lo80,hi80,lo95,hi95,latent_median,latent_lo80,latent_hi80,above,p_above"
        );
        let lines = rows.iter().map(|r| {
            let numbers = [r.size, r.median, r.lo50, r.hi50, r.lo80, r.hi80, r.lo95, r.hi95];
            let latent = [r.latent_median, r.latent_lo80, r.latent_hi80];
            let mut row = vec![r.task.clone()];
            row.extend(numbers.iter().chain(&latent).map(f64::to_string));
            row.extend([r.above, r.p_above].map(|v| v.map(|p| p.to_string()).unwrap_or_default()));
            row
        });
        super::print_csv(std::iter::once(head.split(',').map(String::from).collect()).chain(lines))?;
    } else {
        let w = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
        // the curve's column is padded for P(score > above); without it, no trailing blanks
        // and, when each task has its own (`chance+0.05`), preceded by that score
        let own = a.above.is_some_and(Score::per_task);
        let p_above =
            a.above.map(|s| format!("{}  P(score > {s})", if own { "  above" } else { "" })).unwrap_or_default();
        let header = format!(
            "{:<w$}  {:>6}  {:>6}  {:<15} {:<15} {:<15} {:<20}{}",
            "task", amount, "median", "50%", "80%", "95%", "curve (80%)", p_above
        );
        out!("{}", header.trim_end());
        let iv = |lo: f64, hi: f64| format!("{:.3}–{:.3}", lo, hi);
        for r in &rows {
            let line = format!(
                "{:<w$}  {:>6}  {:>6.3}  {:<15} {:<15} {:<15} {:<20}{}",
                r.task,
                if compute { format_on_axis(r.size, XAxis::Compute) } else { format_size(r.size) },
                r.median,
                iv(r.lo50, r.hi50),
                iv(r.lo80, r.hi80),
                iv(r.lo95, r.hi95),
                format!("{:.3} ({})", r.latent_median, iv(r.latent_lo80, r.latent_hi80)),
                r.p_above
                    .map(|p| match (own, r.above) {
                        (true, Some(above)) => format!("  {above:>5.3}  {p:.2}"),
                        _ => format!("  {p:.2}"),
                    })
                    .unwrap_or_default()
            );
            out!("{}", line.trim_end());
        }
        out!("(observed score of a new model: median and central intervals; curve: the latent S-curve)");
        if compute {
            out!("(compute: training FLOPs, as the fit's x-axis counts them: 6 · parameters · tokens)");
        }
        if let Some(note) = multiples_note(&at.at, compute) {
            out!("({note})");
        }
        if !groups.is_empty() && !fit.posterior.has_model_effect() {
            out!("({})", scurve::forecast::MEAN_WITHOUT_LUCK);
        }
    }
    Ok(ExitCode::SUCCESS)
}
