//! `scurve validate`: fit on smaller models, predict the larger ones, score every method.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use scurve::plot::{Format, check_new, figures, save};
use scurve::validate::{
    Arm, DISTANCE_GROUPS, Method, MethodScores, Prediction, Split, ValidateOptions, by_distance, score, surest_misses,
    validate,
};

use super::fit::SamplerArgs;
use super::forecast::select_groups;
use super::plot::FormatArg;
use super::{DataArgs, score_arg, score_for, size_arg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    Hierarchical,
    /// Also written as the tables name it, `hierarchical_map`.
    #[value(alias = "hierarchical_map")]
    HierarchicalMap,
    #[value(alias = "independent_map")]
    IndependentMap,
    Persistence,
    Momentum,
}

impl From<MethodArg> for Method {
    fn from(m: MethodArg) -> Self {
        match m {
            MethodArg::Hierarchical => Method::Hierarchical,
            MethodArg::HierarchicalMap => Method::HierarchicalMap,
            MethodArg::IndependentMap => Method::IndependentMap,
            MethodArg::Persistence => Method::Persistence,
            MethodArg::Momentum => Method::Momentum,
        }
    }
}

#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("split").required(true).args(["holdout_above", "holdout_largest", "rolling"])))]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Hold out every size above this (e.g. 13B).
    #[arg(long, value_parser = size_arg, value_name = "SIZE")]
    pub holdout_above: Option<f64>,
    /// Hold out each task's K largest sizes.
    #[arg(long, value_name = "K")]
    pub holdout_largest: Option<usize>,
    /// Every cutoff between observed sizes; errors grouped by distance ahead.
    #[arg(long)]
    pub rolling: bool,
    /// Methods to compare (comma-separated); all by default.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub methods: Vec<MethodArg>,
    /// Model file of the hierarchical methods (default: the built-in hierarchical model). Repeat
    /// to compare several: each is fitted with NUTS and scored as `hierarchical:NAME`
    /// (`hierarchical_map` takes the first).
    #[arg(long)]
    pub model: Vec<String>,
    /// Also predict the mean score of the tasks matching PATTERN (`*` any characters, `?` one;
    /// repeatable) at each model that every one of them holds out, and score those means on
    /// their own: `--mean 'hendrycksTest-*'` for MMLU. Per family, unless the pattern holds a `/`.
    #[arg(long = "mean", value_name = "PATTERN")]
    pub means: Vec<String>,
    /// Weigh each task of a --mean by its item count, not equally.
    #[arg(long, requires = "means")]
    pub by_items: bool,
    /// Also forecast whether each held-out score is above SCORE, and give each method's Brier
    /// score for it: `chance+0.05` asks whether a task has left chance (five points above its
    /// own chance), `largest+0.05` whether it gained five points over the largest fitted
    /// model's score (a mean's: the mean of its tasks').
    #[arg(long, value_parser = score_arg, value_name = "SCORE")]
    pub above: Option<scurve::forecast::Score>,
    /// A table per task as well.
    #[arg(long)]
    pub per_task: bool,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON: the scores, and every prediction with what was observed.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print every prediction as CSV, one row per method and held-out score (and per held-out
    /// mean of --mean): what was predicted, its 80% interval, what was observed, and its scores.
    #[arg(long)]
    pub csv: bool,
    /// Write figures in this folder: calibration, PIT histograms, predicted against observed,
    /// and error by distance ahead (with --rolling).
    #[arg(long, value_name = "DIR")]
    pub plots: Option<PathBuf>,
    /// Image format of --plots.
    #[arg(long, value_enum, default_value = "svg")]
    pub plot_format: FormatArg,
    /// Replace images already in the --plots folder.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (ds, series) = a.data.series_for_validation()?;
    super::note_one_ladder(&ds, &series);
    super::note_revealed_counts(&series);
    let names: Vec<String> = series.iter().map(|s| s.name.clone()).collect();
    let items: Vec<Option<u64>> = series.iter().map(|s| s.items()).collect();
    let means = select_groups(&names, &items, &a.means, a.by_items, &a.data.source(&ds))?;
    // a score above chance must suit every task; one above the largest fitted model's score is
    // per round, and a held-out score beyond 1 is simply never reached
    if let Some(above) = a.above.filter(|s| !matches!(s, scurve::forecast::Score::AboveLargest(_))) {
        for s in &series {
            let b = scurve::forecast::Baseline { chance: s.chance, largest: f64::NAN };
            score_for(above, b, &s.name, "--above", false)?;
        }
    }
    let split = match (a.holdout_above, a.holdout_largest, a.rolling) {
        (Some(s), _, _) => Split::Above(s),
        (_, Some(k), _) if k >= 1 => Split::Largest(k),
        (_, Some(_), _) => return Err(scurve::Error::Usage("--holdout-largest must be at least 1".into()).into()),
        _ => Split::Rolling,
    };
    let methods: Vec<Method> =
        if a.methods.is_empty() { Method::ALL.to_vec() } else { a.methods.iter().map(|&m| m.into()).collect() };
    let format: Format = a.plot_format.into();
    if let Some(dir) = &a.plots {
        for f in plot_files(dir, format, a.rolling) {
            check_new(&f, a.force)?;
        }
    }
    let opts = ValidateOptions {
        split,
        methods,
        models: super::load_models(&a.model)?,
        nuts: a.sampler.options(a.seed)?,
        x_axis: a.data.x_axis(),
        seed: a.seed,
        means,
        skip_falling: a.data.skip_falling,
        above: a.above,
    };
    let rounds = if a.rolling { series.iter().map(|s| s.n_sizes()).max().unwrap_or(3).saturating_sub(3) } else { 1 };
    let arms = opts.arms();
    let labels = opts.model_labels();
    let nuts_fits = arms.iter().filter(|m| m.method == Method::Hierarchical).count().max(1);
    let per_fit = nuts_fits as u64 * opts.nuts.chains as u64 * (opts.nuts.warmup + opts.nuts.draws);
    let bar = super::progress::Bar::new(per_fit * rounds as u64, a.sampler.quiet);
    let validation = validate(&series, &opts, &bar, super::progress::interrupt_flag())?;
    bar.finish();
    // a fit whose chains disagree makes its scores less than they seem: said on standard error
    for w in validation.fit_warnings() {
        eprintln!("warning: {w}");
    }
    // the means of tasks are scored on their own, beside the tasks
    let (mean_preds, preds): (Vec<Prediction>, Vec<Prediction>) =
        validation.predictions.into_iter().partition(|p| p.mean_of.is_some());
    let first = &arms[0];
    let heldout = preds.iter().filter(|p| p.method == *first).count();
    let all: Vec<&Prediction> = preds.iter().collect();
    let overall = score(&all);
    let means_heldout = mean_preds.iter().filter(|p| p.method == *first).count();
    let means = (!opts.means.is_empty()).then(|| score(&mean_preds.iter().collect::<Vec<_>>()));
    let distance = a.rolling.then(|| by_distance(&preds));
    let per_task = a.per_task.then(|| per_task_scores(&preds));
    if let Some(dir) = &a.plots {
        write_plots(dir, format, &preds, &arms, a.rolling)?;
        eprintln!("wrote figures in {}", dir.display());
    }
    if a.csv {
        predictions_csv(preds.iter().chain(&mean_preds))?;
        return Ok(ExitCode::SUCCESS);
    }
    if a.json {
        let methods: BTreeMap<String, &MethodScores> = overall.iter().map(|(m, s)| (m.name(), s)).collect();
        let mut v = serde_json::json!({
            "heldout": heldout, "model": opts.models[0].name, "methods": methods, "predictions": preds,
        });
        if labels.len() > 1 {
            v["models"] = labels.clone().into();
        }
        // each NUTS fit's diagnostics, one per round, with whether it fell short
        let fits: Vec<serde_json::Value> = (validation.fits.iter())
            .map(|f| {
                let d = &f.diagnostics;
                let mut fit = serde_json::json!({
                    "largest_fitted": f.largest_fitted, "falls_short": d.falls_short(), "rhat_max": d.rhat_max,
                    "ess_bulk_min": d.ess_bulk_min, "divergences": d.divergences, "draws_per_chain": d.draws_per_chain,
                });
                if let Some(m) = &f.model_file {
                    fit["model_file"] = m.as_str().into();
                }
                fit
            })
            .collect();
        v["fits"] = fits.into();
        if let Some(d) = &distance {
            let d: BTreeMap<&String, BTreeMap<String, &MethodScores>> =
                d.iter().map(|(g, s)| (g, s.iter().map(|(m, x)| (m.name(), x)).collect())).collect();
            v["by_distance"] = serde_json::to_value(d)?;
        }
        if let Some(t) = &per_task {
            v["per_task"] = serde_json::to_value(t)?;
        }
        if let Some(m) = &means {
            let methods: BTreeMap<String, &MethodScores> = m.iter().map(|(m, s)| (m.name(), s)).collect();
            v["means"] = serde_json::json!({ "heldout": means_heldout, "methods": methods, "predictions": mean_preds });
        }
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    // the pooled methods' model, so runs with different --model can be told apart
    match labels.as_slice() {
        [one] => out!("{heldout} held-out scores (model: {one})"),
        several => out!("{heldout} held-out scores (models: {})", several.join(", ")),
    }
    print_scores(&overall);
    if let Some(above) = a.above {
        out!(
            "(Brier: of each method's probability that a held-out score is above {above}, 0 or 1 for a point \
             forecast; lower is better)"
        );
    }
    if let Some(d) = &distance {
        // nearest first, as DISTANCE_GROUPS orders them
        for (g, s) in DISTANCE_GROUPS.iter().filter_map(|(g, _, _)| d.get(*g).map(|s| (g, s))) {
            out!("\n{g} orders of magnitude ahead:");
            print_scores(s);
        }
    }
    let misses = surest_misses(&preds, first, 5);
    if !misses.is_empty() {
        out!(
            "\nthe misses {} was surest of: observed furthest into a tail of the predictive distribution (--csv \
             lists every prediction):",
            first.name()
        );
        let w = misses.iter().map(|p| p.task.chars().count()).max().unwrap_or(4);
        let m = misses.iter().map(|p| p.model.chars().count()).max().unwrap_or(5);
        for p in misses {
            let (lo, hi) = p.interval80.unwrap_or((f64::NAN, f64::NAN));
            out!(
                "  {:<w$}  {:<m$}  observed {:.3}, predicted {:.3} [{lo:.3}, {hi:.3}]{}",
                p.task,
                p.model,
                p.observed,
                p.predicted,
                p.pit.map_or(String::new(), |pit| format!(", PIT {pit:.3}"))
            );
        }
    }
    if let Some(t) = &per_task {
        out!("\nmean absolute error per task (pp):");
        let names: Vec<String> = arms.iter().map(Arm::name).collect();
        let w = t.keys().map(|k| k.chars().count()).max().unwrap_or(4).max(4);
        let c = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(16) + 1;
        out!("{:<w$} {}", "task", names.iter().map(|n| format!("{n:>c$}")).collect::<String>());
        for (task, by) in t {
            let cells: String =
                names.iter().map(|n| format!("{:>c$.2}", by.get(n).copied().unwrap_or(f64::NAN))).collect();
            out!("{task:<w$} {cells}");
        }
    }
    if let Some(m) = &means {
        out!("\n{means_heldout} held-out means of tasks (--mean)");
        if means_heldout == 0 {
            out!("(no model is held out, and measured, in every task of a --mean)");
        } else {
            print_scores(m);
            let w = mean_preds.iter().map(|p| p.task.chars().count()).max().unwrap_or(4).max(4);
            let wm = mean_preds.iter().map(|p| p.model.chars().count()).max().unwrap_or(5).max(5);
            out!("{:<w$} {:<wm$} {:>6} {:>9}  {}", "mean", "model", "ahead", "observed", "median (80%) per method");
            // one row per group and held-out model: a prediction of each method, in order
            for row in mean_preds.chunks(arms.len()) {
                let (task, model, ahead, observed) = (&row[0].task, &row[0].model, row[0].distance, row[0].observed);
                let cells: Vec<String> = row
                    .iter()
                    .map(|p| match p.interval80 {
                        Some((lo, hi)) => format!("{} {:.3} ({lo:.3}–{hi:.3})", p.method.name(), p.predicted),
                        None => format!("{} {:.3}", p.method.name(), p.predicted),
                    })
                    .collect();
                out!("{task:<w$} {model:<wm$} {ahead:>6.2} {observed:>9.3}  {}", cells.join(", "));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The files `--plots` writes.
fn plot_files(dir: &Path, format: Format, rolling: bool) -> Vec<PathBuf> {
    let mut names = vec!["calibration", "pit", "predicted_vs_observed"];
    if rolling {
        names.push("distance");
    }
    names.into_iter().map(|n| dir.join(format!("{n}.{}", format.ext()))).collect()
}

/// Write the figures of `--plots`. Calibration and PIT are of predictive distributions: when no
/// method validated has one (persistence and momentum forecast a point), they are not drawn
/// (they would be empty) and a note says so.
fn write_plots(dir: &Path, format: Format, preds: &[Prediction], methods: &[Arm], rolling: bool) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| scurve::Error::io(dir.display().to_string(), e))?;
    let files = plot_files(dir, format, rolling);
    let (calibration, pit, scatter, distance) = figures(preds, methods);
    if pit.methods.is_empty() {
        eprintln!(
            "note: no method validated gives a predictive distribution ({} {} a point), so there is no \
             calibration or PIT to draw: only predicted_vs_observed{} is written",
            methods.iter().map(Arm::name).collect::<Vec<_>>().join(" and "),
            if methods.len() == 1 { "forecasts" } else { "forecast" },
            if rolling { " and distance" } else { "" }
        );
    } else {
        save(&calibration, &files[0], format)?;
        save(&pit, &files[1], format)?;
    }
    save(&scatter, &files[2], format)?;
    if rolling {
        save(&distance, &files[3], format)?;
    }
    Ok(())
}

fn print_scores(s: &BTreeMap<Arm, MethodScores>) {
    let w = s.keys().map(|m| m.name().chars().count()).max().unwrap_or(0).max(17);
    // the Brier score of P(score > --above), when asked
    let brier = s.values().any(|x| x.brier.is_some());
    let brier_cell = |v: Option<f64>| match (brier, v) {
        (false, _) => String::new(),
        (true, Some(b)) => format!(" {b:>6.3}"),
        (true, None) => format!(" {:>6}", "—"),
    };
    out!(
        "{:<w$} {:>5} {:>8} {:>9} {:>8} {:>8} {:>8} {:>6} {:>6} {:>6}{}",
        "method",
        "n",
        "MAE pp",
        "medAE pp",
        "RMSE pp",
        "CRPS",
        "LPD",
        "50%",
        "80%",
        "95%",
        if brier { format!(" {:>6}", "Brier") } else { String::new() }
    );
    for (m, x) in s {
        let cov = |k: &str| x.coverage.as_ref().map_or("—".to_string(), |c| format!("{:.2}", c[k]));
        out!(
            "{:<w$} {:>5} {:>8.2} {:>9.2} {:>8.2} {:>8.4} {:>8} {:>6} {:>6} {:>6}{}",
            m.name(),
            x.n,
            x.mae_pp,
            x.median_ae_pp,
            x.rmse_pp,
            x.crps,
            x.lpd.map_or("—".to_string(), |l| format!("{l:.2}")),
            cov("50"),
            cov("80"),
            cov("95"),
            brier_cell(x.brier)
        );
    }
}

/// Mean absolute error (pp) per task and method.
fn per_task_scores(preds: &[Prediction]) -> BTreeMap<String, BTreeMap<String, f64>> {
    let mut acc: BTreeMap<String, BTreeMap<String, (f64, usize)>> = BTreeMap::new();
    for p in preds {
        let e = acc.entry(p.task.clone()).or_default().entry(p.method.name()).or_insert((0.0, 0));
        e.0 += (p.predicted - p.observed).abs();
        e.1 += 1;
    }
    acc.into_iter().map(|(t, m)| (t, m.into_iter().map(|(k, (s, n))| (k, 100.0 * s / n as f64)).collect())).collect()
}

/// Every prediction as CSV: the method, the held-out score (task, model, size, orders of
/// magnitude beyond the largest fitted size, how many tasks a mean averages), what was predicted
/// (the median, and the 80% interval of the probabilistic methods), what was observed, and the
/// prediction's scores. An empty cell is a value the method does not give.
fn predictions_csv<'a>(preds: impl Iterator<Item = &'a Prediction>) -> Result<()> {
    let head = [
        "method",
        "task",
        "mean_of",
        "model",
        "size",
        "distance",
        "observed",
        "predicted",
        "lo80",
        "hi80",
        "pit",
        "crps",
        "lpd",
        "cover50",
        "cover80",
        "cover95",
        "above",
        "p_above",
    ]
    .map(String::from)
    .to_vec();
    let num = |v: f64| if v.is_finite() { v.to_string() } else { String::new() };
    let opt = |v: Option<f64>| v.map_or(String::new(), num);
    let flag = |v: Option<bool>| v.map_or(String::new(), |b| b.to_string());
    let rows = preds.map(|p| {
        vec![
            p.method.name(),
            p.task.clone(),
            p.mean_of.map_or(String::new(), |n| n.to_string()),
            p.model.clone(),
            num(p.size),
            num(p.distance),
            num(p.observed),
            num(p.predicted),
            opt(p.interval80.map(|i| i.0)),
            opt(p.interval80.map(|i| i.1)),
            opt(p.pit),
            num(p.crps),
            opt(p.lpd),
            flag(p.cover50),
            flag(p.cover80),
            flag(p.cover95),
            opt(p.above),
            opt(p.p_above),
        ]
    });
    super::print_csv(std::iter::once(head).chain(rows))
}
