//! `scurve threshold`: what size (or, for a fit on the compute axis, what training compute)
//! reaches a target score on each task.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use scurve::data::XAxis;
use scurve::forecast::{
    ForecastAt, Score, ThresholdRow, baselines, flattened_thresholds, group_threshold, threshold, threshold_horizon,
};
use scurve::plot::{Format, ThresholdFigure, check_new, format_on_axis, save};

use super::forecast::{Picked, group_json, group_largest_x};
use super::{ForecastSize, forecast_size_arg, score_arg, score_for};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A saved fit folder (from `scurve fit --out`).
    pub fit: PathBuf,
    /// The target score, in (0, 1); or some points above each task's chance, `chance+0.1`, or
    /// above what its largest fitted model scored, `largest+0.05` (a mean's: the mean of its
    /// tasks').
    #[arg(long, value_parser = score_arg)]
    pub score: Score,
    #[command(flatten)]
    pub pick: Picked,
    /// The largest size of interest: p_reach is the probability of reaching the score by it
    /// [default: 1e15]. A multiple (10x) is of each task's largest fitted size: will the task
    /// get there within a tenfold scale-up?
    #[arg(long, value_parser = forecast_size_arg)]
    pub max_size: Option<ForecastSize>,
    /// For a fit on the compute axis, the largest training compute of interest, in FLOPs
    /// [default: 1e30], or a multiple of each task's largest fitted compute (10x).
    #[arg(long, value_parser = forecast_size_arg, value_name = "FLOPS")]
    pub max_compute: Option<ForecastSize>,
    /// Print JSON.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print CSV, a row per task and per --mean: the median size (or compute) and its 80%
    /// interval, `never` where the curve does not reach the score and `any` where every size does,
    /// and the three probabilities.
    #[arg(long)]
    pub csv: bool,
    /// Draw the posterior of the size per task, with the mass that never reaches the score (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// Replace an existing --plot file.
    #[arg(long)]
    pub force: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let fit = super::load_fit(&a.fit)?;
    let axis = fit.record.observations.x_axis;
    // the largest amount of interest, on the fit's axis
    let horizon = ForecastSize::Size(10f64.powf(threshold_horizon(axis)));
    let max = match (axis, a.max_size, a.max_compute) {
        (XAxis::Params, size, None) => size.unwrap_or(horizon),
        (XAxis::Compute, None, compute) => compute.unwrap_or(horizon),
        (XAxis::Params, _, Some(_)) => {
            return Err(scurve::Error::Usage(
                "--max-compute is for a fit on the compute axis; this one is on sizes: use --max-size".into(),
            )
            .into());
        }
        (XAxis::Compute, Some(_), _) => {
            return Err(scurve::Error::Usage(
                "this fit's x-axis is training compute: give the largest compute of interest with --max-compute \
                 FLOPS"
                    .into(),
            )
            .into());
        }
    };
    let (shown, groups) = a.pick.of(&fit)?;
    let format = a.plot.as_deref().map(Format::of_path).transpose()?;
    if let Some(path) = &a.plot {
        check_new(path, a.force)?;
    }
    // the largest fitted x of each task's row, by which its P(now) is counted, and the x by which
    // its P(reach) is: the one given, or a multiple of the row's largest fitted (as `forecast`
    // resolves a size)
    let series = &fit.record.series;
    let reach = ForecastAt { at: vec![max.on_axis()], largest_x: series.iter().map(|s| s.largest_x).collect() };
    let mut fitted: Vec<f64> = shown.iter().map(|&t| series[t].largest_x).collect();
    let baselines = baselines(&fit.record.observations);
    let mut rows: Vec<ThresholdRow> = (shown.iter().zip(&fitted))
        .map(|(&t, &x)| {
            let score = score_for(a.score, baselines[t], &series[t].name, "--score", true)?;
            Ok(threshold(&fit.posterior, t, score, x, reach.of_task(t)[0].1))
        })
        .collect::<Result<_>>()?;
    let task_rows = rows.len();
    // a P(never) that rests on a ceiling below what the task's largest model scored
    let items: Vec<Option<u64>> = fit.record.series.iter().map(|s| s.items).collect();
    let flat = flattened_thresholds(&fit.posterior, &fit.record.observations, &items, &shown, &rows[..task_rows]);
    for (f, p_never) in &flat {
        eprintln!(
            "note: {}. Its P(never) of {p_never:.2} at {} rests on that ceiling.",
            f.describe(|v| format_on_axis(v, axis)),
            a.score
        );
    }
    for g in &groups {
        // P(now) by the largest size every task of the mean was fitted at
        let largest = group_largest_x(g, series);
        fitted.push(largest);
        let by = reach.of_group(g)[0].1;
        let score = score_for(a.score, g.baseline(&baselines), &g.label(), "--score", true)?;
        rows.push(ThresholdRow { task: g.label(), ..group_threshold(&fit.posterior, g, score, largest, by) });
    }
    let (what, unit, unit_name, option) = match axis {
        XAxis::Params => ("size", "", "size", "--max-size"),
        XAxis::Compute => ("training compute (FLOPs)", " FLOPs", "compute", "--max-compute"),
    };
    let fitted_max = fitted.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    // P(reach) is counted by --max-size, P(now) by the (larger) fitted size: say so, since
    // P(reach) below P(now) reads as a contradiction
    match max {
        ForecastSize::Size(s) if s.log10() < fitted_max => {
            let (by, fitted) = (format_on_axis(s, axis), format_on_axis(10f64.powf(fitted_max), axis));
            eprintln!(
                "note: {option} {by} is below the largest fitted {unit_name} ({fitted}): P(reach) is the \
                 probability by {by}, P(now) by the fitted one, so P(reach) can be the smaller"
            );
        }
        ForecastSize::Times(f) if f < 1.0 => eprintln!(
            "note: {option} {f}x is below each row's largest fitted {unit_name}: P(reach) is the probability by \
             {f} times it, P(now) by the fitted one, so P(reach) can be the smaller"
        ),
        _ => {}
    }
    let reach_max = rows.iter().map(|r| r.reach_by.log10()).fold(f64::NEG_INFINITY, f64::max);
    if let (Some(path), Some(format)) = (&a.plot, format) {
        let mut fig = ThresholdFigure::new(a.score, &rows, fit.record.observations.x_range(), reach_max, axis);
        if let ForecastSize::Times(f) = max {
            // each row's P(reach) is by its own largest times f
            fig.reach = format!("by {f}× the largest");
        }
        save(&fig, path, format)?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        let mut v = serde_json::json!({ "thresholds": rows[..task_rows] });
        if !flat.is_empty() {
            v["flattened"] = serde_json::to_value(flat.iter().map(|(f, _)| f).collect::<Vec<_>>())?;
        }
        if !groups.is_empty() {
            let list: Vec<serde_json::Value> = groups
                .iter()
                .zip(&rows[task_rows..])
                .map(|(g, r)| group_json(&fit, g, serde_json::to_value(r).expect("a threshold row serialises")))
                .collect();
            v["means"] = list.into();
        }
        if axis == XAxis::Compute {
            // the amounts are training FLOPs, not parameter counts: named so
            for list in ["thresholds", "means"] {
                for row in v.get_mut(list).and_then(|l| l.as_array_mut()).into_iter().flatten() {
                    let Some(row) = row.as_object_mut() else { continue };
                    for k in ["median", "lo80", "hi80"] {
                        if let Some(value) = row.remove(&format!("{k}_size")) {
                            row.insert(format!("{k}_compute"), value);
                        }
                    }
                }
            }
        }
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    // a size (or compute) as the table and the CSV write it: `never` when the curve does not
    // reach the score, `any` when every size does
    let amount = |v: Option<f64>, write: &dyn Fn(f64) -> String| match v {
        None => "never".to_string(),
        Some(0.0) => "any".to_string(),
        Some(s) => write(s),
    };
    if a.csv {
        let unit = match axis {
            XAxis::Params => "size",
            XAxis::Compute => "compute",
        };
        let head = vec![
            "task".to_string(),
            "score".into(),
            format!("median_{unit}"),
            format!("lo80_{unit}"),
            format!("hi80_{unit}"),
            "p_reach".into(),
            "p_now".into(),
            "p_never".into(),
        ];
        let cell = |v: Option<f64>| amount(v, &|s| s.to_string());
        let lines = rows.iter().map(|r| {
            vec![
                r.task.clone(),
                r.score.to_string(),
                cell(r.median_size),
                cell(r.lo80_size),
                cell(r.hi80_size),
                r.p_reach.to_string(),
                r.p_already.to_string(),
                r.p_never.to_string(),
            ]
        });
        super::print_csv(std::iter::once(head).chain(lines))?;
        return Ok(ExitCode::SUCCESS);
    }
    let w = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
    let sz = |v: Option<f64>| amount(v, &|s| format_on_axis(s, axis));
    // each row's own score when it is some points above the row's chance
    let own = a.score.per_task();
    let score_cell = |v: String| if own { format!("  {v:>5}") } else { String::new() };
    out!(
        "{:<w$}{}  {:>8}  {:<22} {:>9} {:>9} {:>9}",
        "task",
        score_cell("score".into()),
        "median",
        "80% interval",
        "P(reach)",
        "P(now)",
        "P(never)"
    );
    for r in &rows {
        out!(
            "{:<w$}{}  {:>8}  {:<22} {:>9.2} {:>9.2} {:>9.2}",
            r.task,
            score_cell(format!("{:.3}", r.score)),
            sz(r.median_size),
            format!("{} – {}", sz(r.lo80_size), sz(r.hi80_size)),
            r.p_reach,
            r.p_already,
            r.p_never
        );
    }
    // the fitted size by which P(now) counts, and the size by which P(reach) does: named when
    // every row has the same one
    let same =
        |v: &[f64]| v.first().filter(|&&x| v.iter().all(|&y| y == x)).map(|&x| format_on_axis(10f64.powf(x), axis));
    let now = match same(&fitted) {
        Some(s) => format!("the largest fitted {unit_name}, {s}"),
        None => format!("each row's largest fitted {unit_name}"),
    };
    let by: Vec<f64> = rows.iter().map(|r| r.reach_by.log10()).collect();
    let reach = match (max, same(&by)) {
        (ForecastSize::Times(f), Some(s)) => format!("{s}{unit} ({f}× the largest fitted)"),
        (ForecastSize::Times(f), None) => format!("{f}× each row's largest fitted {unit_name}"),
        (ForecastSize::Size(s), _) => format!("{}{unit}", format_on_axis(s, axis)),
    };
    out!(
        "({what} at which the curve reaches {}; P(reach): by {reach}; P(now): by {now}; \
         P(never): the ceiling is below it{})",
        match a.score {
            Score::Fixed(v) => v.to_string(),
            _ => format!("each row's score, its {}", a.score),
        },
        if groups.is_empty() { "" } else { "; of a mean, its curve and ceiling are the means of its tasks'" }
    );
    Ok(ExitCode::SUCCESS)
}
