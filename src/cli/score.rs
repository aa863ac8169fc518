//! `scurve score`: judge a stored forecast against the real results, once they exist.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use scurve::data::Series;
use scurve::fitio::SavedFit;
use scurve::forecast::{ForecastRow, Group};
use scurve::metrics::{covers, crps};
use scurve::summary::sorted;
use sha2::{Digest, Sha256};

use super::DataArgs;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A forecast stored with `scurve forecast --save`.
    pub forecast: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

/// Predictive draws kept per row in a stored forecast.
const KEPT_DRAWS: usize = 1000;

fn digest(v: &serde_json::Value) -> String {
    scurve::data::hex(&Sha256::digest(serde_json::to_string(v).unwrap_or_default().as_bytes()))
}

/// Store a forecast with the fit's identity and a digest of its own content: its rows, and the
/// means of groups of tasks (`forecast --mean`) with the tasks and weights that make each.
pub fn save_forecast(
    path: &Path,
    fit: &SavedFit,
    rows: &[(ForecastRow, Vec<f64>)],
    means: &[(&Group, ForecastRow, Vec<f64>)],
    seed: u64,
) -> Result<()> {
    let fit_json = std::fs::read(fit.dir.join("fit.json"))?;
    let kept = |d: &[f64]| {
        let step = (d.len() / KEPT_DRAWS).max(1);
        d.iter().step_by(step).take(KEPT_DRAWS).copied().collect::<Vec<_>>()
    };
    let mut v = serde_json::json!({
        "scurve_forecast": 1,
        "created": scurve::fitio::now_utc(),
        "fit": {
            "dir": fit.dir.display().to_string(),
            "fit_hash": scurve::data::hex(&Sha256::digest(&fit_json)),
            "data_hash": fit.record.data.hash,
            "model_hash": fit.record.model.hash,
        },
        "seed": seed,
        "rows": rows.iter().map(|(r, d)| serde_json::json!({"forecast": r, "draws": kept(d)})).collect::<Vec<_>>(),
    });
    if !means.is_empty() {
        v["means"] = means
            .iter()
            .map(|(g, r, d)| {
                let tasks: Vec<&str> = g.tasks.iter().map(|t| fit.posterior.series[t.task].as_str()).collect();
                serde_json::json!({"forecast": r, "tasks": tasks, "weights": g.weights, "draws": kept(d)})
            })
            .collect();
    }
    let sum = digest(&v);
    v["digest"] = serde_json::Value::String(sum);
    if path.exists() {
        return Err(
            scurve::Error::Usage(format!("{} exists: a stored forecast is never overwritten", path.display())).into()
        );
    }
    scurve::fitio::write_whole(path, serde_json::to_string_pretty(&v)?.as_bytes())?;
    Ok(())
}

/// The series a stored task name stands for: its name as the data gives it, or the task alone,
/// or `family/task` when the data is read with one family only. A task alone that the data hold
/// in several families (a forecast from a fit of one family, scored against results of several)
/// is an error naming them, as is a size at which the series holds two models: either would
/// score the forecast against whichever came first.
fn observed(series: &[Series], name: &str, size: f64) -> Result<Option<(f64, String)>> {
    let exact: Vec<&Series> = series.iter().filter(|s| s.name == name).collect();
    let found = if exact.is_empty() {
        let loose: Vec<&Series> = series
            .iter()
            .filter(|s| s.task == name || s.family.as_ref().is_some_and(|f| name == format!("{f}/{}", s.task)))
            .collect();
        if loose.len() > 1 {
            let families: Vec<&str> = loose.iter().filter_map(|s| s.family.as_deref()).collect();
            return Err(scurve::Error::Usage(format!(
                "the forecast's task '{name}' is in {} families of the results ({}): pick the one it forecasts with \
                 --family",
                loose.len(),
                families.join(", ")
            ))
            .into());
        }
        loose
    } else {
        exact
    };
    let Some(s) = found.first() else { return Ok(None) };
    let at: Vec<&scurve::data::Point> =
        s.points.iter().filter(|p| (p.params.log10() - size.log10()).abs() < 0.01).collect();
    if let [a, b, ..] = at[..] {
        return Err(scurve::Error::Usage(format!(
            "the results hold two models of {} for '{}', {} and {}: leave out the one the forecast is not of with \
             --skip-model",
            scurve::size::format_size(size),
            s.name,
            a.model,
            b.model
        ))
        .into());
    }
    Ok(at.first().map(|p| (p.outcome.score(), p.model.clone())))
}

/// MAE (pp), mean CRPS and 50/80/95% coverage of forecasts (median, draws) against outcomes.
fn summary(scored: &[(f64, Vec<f64>, f64)]) -> serde_json::Value {
    let n = scored.len() as f64;
    let mae = scored.iter().map(|(m, _, y)| (m - y).abs()).sum::<f64>() / n;
    let crps_mean = scored.iter().map(|(_, d, y)| crps(d, *y)).sum::<f64>() / n;
    let cover =
        |level: f64| scored.iter().filter(|(_, d, y)| covers(&sorted(d.iter().copied()), *y, level)).count() as f64 / n;
    serde_json::json!({"scored": scored.len(), "mae_pp": 100.0 * mae, "crps": crps_mean,
        "coverage": {"50": cover(0.5), "80": cover(0.8), "95": cover(0.95)}})
}

/// A summary in words.
fn summary_line(v: &serde_json::Value) -> String {
    let f = |k: &str| v[k].as_f64().unwrap_or(f64::NAN);
    let c = |k: &str| v["coverage"][k].as_f64().unwrap_or(f64::NAN);
    format!(
        "MAE {:.2} pp, CRPS {:.4}, coverage 50% {:.2}, 80% {:.2}, 95% {:.2}",
        f("mae_pp"),
        f("crps"),
        c("50"),
        c("80"),
        c("95")
    )
}

pub fn run(a: Args) -> Result<ExitCode> {
    let shown = a.forecast.display().to_string();
    let text = std::fs::read_to_string(&a.forecast).map_err(|e| scurve::Error::io(&shown, e))?;
    let mut v: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        scurve::Error::input(scurve::error::Location::file(&shown).row(e.line()), format!("malformed JSON: {e}"))
    })?;
    let stored = v.get("digest").and_then(|d| d.as_str()).map(str::to_string);
    if let Some(obj) = v.as_object_mut() {
        obj.remove("digest");
    }
    if stored.as_deref() != Some(digest(&v).as_str()) {
        return Err(scurve::Error::Usage(format!(
            "{shown}: the stored forecast was altered (its digest does not match); refusing to score it"
        ))
        .into());
    }
    // without DATA the results are the built-in example's, which only a forecast from a fit of
    // the example is to be scored against: another fit's tasks and sizes could match the
    // example's by name alone
    if a.data.data.is_empty() && v["fit"]["data_hash"].as_str() != Some(&scurve::data::Dataset::example().hash()) {
        return Err(scurve::Error::Usage(format!(
            "{shown} is a forecast from a fit of other data than the built-in example: give the results to score \
             it against (scurve score {shown} RESULTS…)"
        ))
        .into());
    }
    let (_, series) = a.data.series(None)?;
    let mut scored = Vec::new();
    let rows = v["rows"].as_array().map_or(0, Vec::len);
    let mean_rows = v.get("means").and_then(|m| m.as_array()).map_or(0, Vec::len);
    for row in v["rows"].as_array().into_iter().flatten() {
        let f: ForecastRow = serde_json::from_value(row["forecast"].clone())?;
        let draws: Vec<f64> = serde_json::from_value(row["draws"].clone())?;
        let Some((y, _)) = observed(&series, &f.task, f.size)? else { continue };
        scored.push((f.median, draws, y));
    }
    // a mean is scored when the data hold every one of its tasks at its size, for one model
    let mut means = Vec::new();
    for row in v.get("means").and_then(|m| m.as_array()).into_iter().flatten() {
        let f: ForecastRow = serde_json::from_value(row["forecast"].clone())?;
        let draws: Vec<f64> = serde_json::from_value(row["draws"].clone())?;
        let tasks: Vec<String> = serde_json::from_value(row["tasks"].clone())?;
        let weights: Vec<f64> = serde_json::from_value(row["weights"].clone())?;
        let found: Vec<Option<(f64, String)>> =
            tasks.iter().map(|t| observed(&series, t, f.size)).collect::<Result<_>>()?;
        let Some(found) = found.into_iter().collect::<Option<Vec<_>>>() else { continue };
        if found.iter().any(|(_, m)| *m != found[0].1) || weights.len() != found.len() {
            continue;
        }
        let y = found.iter().zip(&weights).map(|((y, _), w)| w * y).sum();
        means.push((f.median, draws, y));
    }
    if scored.is_empty() && means.is_empty() {
        return Err(scurve::Error::Usage(format!(
            "none of the forecast's (task, size) pairs is in {}",
            if a.data.data.is_empty() {
                "the built-in example".into()
            } else {
                scurve::data::shown_paths(&a.data.data)
            }
        ))
        .into());
    }
    // each summary with how many forecasts it stands for, of how many stored
    let with_count = |scored: &[(f64, Vec<f64>, f64)], stored: usize| {
        let mut v = if scored.is_empty() { serde_json::json!({ "scored": 0 }) } else { summary(scored) };
        v["forecasts"] = stored.into();
        v
    };
    let tasks = (!scored.is_empty()).then(|| with_count(&scored, rows));
    let mean_summary = (!means.is_empty()).then(|| with_count(&means, mean_rows));
    if a.json {
        let mut out = tasks.clone().unwrap_or_else(|| with_count(&[], rows));
        out["created"] = v["created"].clone();
        if let Some(m) = &mean_summary {
            out["means"] = m.clone();
        }
        out!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let created = v["created"].as_str().unwrap_or("?");
        // forecasts the results hold no score for are left out, and said to be
        let of = |scored: usize, stored: usize| match scored < stored {
            true => format!(" (of its {stored}; the results hold no score of the others' task and size)"),
            false => String::new(),
        };
        if let Some(t) = &tasks {
            out!("forecast made {created} against {} results{}:", scored.len(), of(scored.len(), rows));
            out!("{}", summary_line(t));
        }
        if let Some(m) = &mean_summary {
            let against = format!("{} results{}", means.len(), of(means.len(), mean_rows));
            out!("means of tasks (--mean) made {created} against {against}:");
            out!("{}", summary_line(m));
        }
    }
    Ok(ExitCode::SUCCESS)
}
