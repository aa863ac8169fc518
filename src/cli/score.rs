//! `scurve score`: judge a stored forecast against the real results, once they exist.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use scurve::fitio::SavedFit;
use scurve::forecast::ForecastRow;
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

/// Store a forecast with the fit's identity and a digest of its own content.
pub fn save_forecast(path: &Path, fit: &SavedFit, rows: &[(ForecastRow, Vec<f64>)], seed: u64) -> Result<()> {
    let fit_json = std::fs::read(fit.dir.join("fit.json"))?;
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
        "rows": rows.iter().map(|(r, d)| {
            let step = (d.len() / KEPT_DRAWS).max(1);
            serde_json::json!({"forecast": r, "draws": d.iter().step_by(step).take(KEPT_DRAWS).collect::<Vec<_>>()})
        }).collect::<Vec<_>>(),
    });
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
    let (_, series) = a.data.series(None)?;
    let mut scored = Vec::new();
    for row in v["rows"].as_array().into_iter().flatten() {
        let f: ForecastRow = serde_json::from_value(row["forecast"].clone())?;
        let draws: Vec<f64> = serde_json::from_value(row["draws"].clone())?;
        let Some(s) = series.iter().find(|s| s.name == f.task || s.task == f.task) else { continue };
        let Some(p) = s.points.iter().find(|p| (p.params.log10() - f.size.log10()).abs() < 0.01) else { continue };
        scored.push((f, draws, p.outcome.score(), p.model.clone()));
    }
    if scored.is_empty() {
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
    let n = scored.len() as f64;
    let mae = scored.iter().map(|(f, _, y, _)| (f.median - y).abs()).sum::<f64>() / n;
    let crps_mean = scored.iter().map(|(_, d, y, _)| crps(d, *y)).sum::<f64>() / n;
    let cover = |level: f64| {
        scored.iter().filter(|(_, d, y, _)| covers(&sorted(d.iter().copied()), *y, level)).count() as f64 / n
    };
    let (c50, c80, c95) = (cover(0.5), cover(0.8), cover(0.95));
    if a.json {
        let v = serde_json::json!({"scored": scored.len(), "mae_pp": 100.0 * mae, "crps": crps_mean,
            "coverage": {"50": c50, "80": c80, "95": c95}, "created": v["created"]});
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        out!("forecast made {} against {} results:", v["created"].as_str().unwrap_or("?"), scored.len());
        out!(
            "MAE {:.2} pp, CRPS {:.4}, coverage 50% {:.2}, 80% {:.2}, 95% {:.2}",
            100.0 * mae,
            crps_mean,
            c50,
            c80,
            c95
        );
    }
    Ok(ExitCode::SUCCESS)
}
