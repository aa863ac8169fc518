//! `scurve fit`: fit the curves and print them.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::ValueEnum;
use scurve::check::{CHECK_LEVEL, PredictiveCheck, predictive_check};
use scurve::data::FitData;
use scurve::fit::{LAPLACE_DRAWS, NutsFit, fit_independent, fit_nuts, format_rhat};
use scurve::fit::{posterior_from_task_maps, series_records};
use scurve::fitio::{FitRecord, ModelRecord, check_writable, now_utc, save};
use scurve::model::CurveModel;
use scurve::sample::{NUTS_TARGET_ACCEPT, NutsOptions, WALNUTS_TARGET_ACCEPT};
use scurve::size::format_size;
use scurve::spec::ModelSpec;
use scurve::summary::{Interval, TaskSummary};

use super::{DataArgs, size_arg};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Method {
    /// All tasks jointly, sampled with NUTS (the default).
    Nuts,
    /// Each task alone, at its posterior mode, with Laplace intervals.
    Map,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Fitting method.
    #[arg(long, value_enum, default_value = "nuts")]
    pub method: Method,
    /// Model file, or a built-in name: hierarchical (the default of NUTS; each evaluated model's
    /// luck shifts the logit of its scores), no_model_effect (the same without it), model_effect
    /// (the luck as a shift of size), reference (Stan's reference model), independent (the
    /// default of MAP).
    #[arg(long)]
    pub model: Option<String>,
    /// Leave sizes above this out of the fit (e.g. 13B).
    #[arg(long, value_parser = size_arg, value_name = "SIZE")]
    pub holdout_above: Option<f64>,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON instead of a table.
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,
    /// Print the tasks' curves as CSV instead of a table: per task, each parameter's estimate
    /// and 90% interval (the midpoint as log10 size, or log10 compute), and whether it converged.
    #[arg(long)]
    pub csv: bool,
    /// Save the fit in this folder (fit.json and CmdStan-format draws_N.csv).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Replace an existing --out folder.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

/// The NUTS variant `--sampler` chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Sampler {
    /// NUTS whose leapfrog steps are split where the energy error would exceed 0.5 (the default)
    Walnuts,
    /// Plain NUTS, as Stan runs it
    Nuts,
}

/// NUTS settings.
#[derive(Debug, clap::Args)]
pub struct SamplerArgs {
    /// Number of chains (run in parallel).
    #[arg(long, default_value_t = 4)]
    pub chains: usize,
    /// Warm-up iterations per chain.
    #[arg(long, default_value_t = 1000)]
    pub warmup: u64,
    /// Draws per chain after warm-up.
    #[arg(long, default_value_t = 1000)]
    pub draws: u64,
    /// Sampler: NUTS with steps split where the curvature needs it (WALNUTS), or plain NUTS.
    #[arg(long, value_enum, default_value_t = Sampler::Walnuts)]
    pub sampler: Sampler,
    /// Target acceptance rate of the step size adaptation [default: 0.98 with walnuts, 0.96
    /// with nuts].
    #[arg(long)]
    pub target_accept: Option<f64>,
    /// When R-hat is above 1.01 or bulk ESS below 400 after the draws, go on for half as many
    /// draws again (the chains continue where they stopped), up to this many times; beyond the
    /// fourth, only when the fit fell short by little (R-hat at most 1.02, bulk ESS at least
    /// 200), which more draws settle; 0: never.
    #[arg(long, default_value_t = 8, value_name = "TIMES")]
    pub extend: u64,
    /// Maximum tree depth.
    #[arg(long, default_value_t = 10)]
    pub max_depth: u64,
    /// Draw with trajectories of exactly 2^D leapfrog steps instead of stopping each at NUTS's
    /// U-turn (the warm-up stays NUTS, within --max-depth, and sets the step size and mass
    /// matrix). 8 doubles NUTS's usual length on the tidy ladders: more ESS per second, but each
    /// draw costs twice as much (docs/sampling.md).
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u64).range(1..=12))]
    pub draw_depth: Option<u64>,
    /// Iterations of the pilot that opens the warm-up and chooses how each task's parameters are
    /// held (pinned or non-centred; 0: non-centred throughout, else at least 30; skipped when
    /// --warmup is under twice it).
    #[arg(long, default_value_t = 150)]
    pub pilot: u64,
    /// No progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Exit with code 3 when the diagnostics warn (R-hat, ESS, divergences).
    #[arg(long)]
    pub strict: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.method == Method::Nuts {
        return run_nuts(a);
    }
    let (ds, series) = a.data.series(a.holdout_above)?;
    let spec = ModelSpec::load(a.model.as_deref().unwrap_or("independent"))?;
    a.data.note_falling(&series, a.holdout_above, spec.model_effect);
    super::note_one_ladder(&ds, &series);
    super::note_revealed_counts(&series);
    let data = FitData::build(&series, a.data.x_axis(), a.holdout_above)?;
    if let Some(dir) = &a.out {
        check_writable(dir, a.force)?;
    }
    let fits = fit_independent(&spec, &data, a.seed, LAPLACE_DRAWS)?;
    let summaries: Vec<TaskSummary> = fits.iter().map(|f| f.summary()).collect();
    if let Some(dir) = &a.out {
        let posterior = posterior_from_task_maps(&fits);
        let record = FitRecord {
            scurve_version: env!("CARGO_PKG_VERSION").into(),
            created: now_utc(),
            method: "map".into(),
            model: model_record(&spec),
            data: a.data.record(&ds, a.holdout_above)?,
            settings: None,
            seed: a.seed,
            diagnostics: None,
            population: serde_json::json!({}),
            tasks: summaries.clone(),
            series: series_records(&data),
            models: Vec::new(),
            observations: data.clone(),
            columns: posterior.names.clone(),
            draws_files: vec!["draws_1.csv".into()],
        };
        save(dir, &record, &posterior, a.force, a.data.stdin()?)?;
        eprintln!("saved {}", dir.display());
    }
    if a.json {
        let v = serde_json::json!({ "method": "map", "model": spec.name, "tasks": summaries });
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else if a.csv {
        tasks_csv(&summaries)?;
    } else {
        print_table(&summaries, "conv: the optimiser reached a mode with a positive-definite curvature");
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

/// The per-task table with 90% intervals; `conv` says what its last column means.
pub fn print_table(rows: &[TaskSummary], conv: &str) {
    let w = rows.iter().map(|r| r.task.len()).max().unwrap_or(4).max(4);
    out!(
        "{:<w$}  {:<22} {:<22} {:<26} {:<20} {}",
        "task",
        "floor",
        "ceiling",
        "midpoint (size)",
        "slope (/decade)",
        "conv"
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
    out!("(estimate [90% interval]; {conv})");
}

fn run_nuts(a: Args) -> Result<ExitCode> {
    let (ds, series) = a.data.series(a.holdout_above)?;
    let spec = ModelSpec::load(a.model.as_deref().unwrap_or("hierarchical"))?;
    let falling = a.data.note_falling(&series, a.holdout_above, spec.model_effect);
    super::note_one_ladder(&ds, &series);
    super::note_revealed_counts(&series);
    let data = FitData::build(&series, a.data.x_axis(), a.holdout_above)?;
    let opts = a.sampler.options(a.seed)?;
    if let Some(dir) = &a.out {
        check_writable(dir, a.force)?;
    }
    let model = CurveModel::new(spec, data)?;
    let bar = super::progress::Bar::new(opts.chains as u64 * (opts.warmup + opts.draws), a.sampler.quiet);
    let stop = super::progress::interrupt_flag();
    let fit = fit_nuts(model, &opts, &bar, stop)?;
    bar.finish();
    let d = &fit.diagnostics;
    let summaries = fit.task_summaries();
    if let Some(dir) = &a.out {
        let record = FitRecord {
            scurve_version: env!("CARGO_PKG_VERSION").into(),
            created: now_utc(),
            method: "nuts".into(),
            model: model_record(&fit.model.spec),
            data: a.data.record(&ds, a.holdout_above)?,
            settings: Some(opts),
            seed: a.seed,
            diagnostics: Some(d.clone()),
            population: population_json(&fit),
            tasks: summaries.clone(),
            series: series_records(&fit.model.data),
            models: fit.model.data.models.clone(),
            observations: fit.model.data.clone(),
            columns: fit.posterior.names.clone(),
            draws_files: (1..=opts.chains).map(|c| format!("draws_{c}.csv")).collect(),
        };
        save(dir, &record, &fit.posterior, a.force, a.data.stdin()?)?;
        eprintln!("saved {}", dir.display());
    }
    let luck = fit.posterior.luck();
    let check = predictive_check(&fit.posterior, &fit.model.data, CHECK_LEVEL, a.seed);
    if a.json {
        let mut v = serde_json::json!({
            "method": "nuts",
            "model": fit.model.spec.name,
            "diagnostics": d,
            "population": population_json(&fit),
            "tasks": summaries,
            "predictive_check": check,
        });
        if let Some(luck) = &luck {
            let rows: Vec<serde_json::Value> = luck
                .models
                .iter()
                .map(|(m, iv)| serde_json::json!({"model": m, "est": iv.est, "lo": iv.lo, "hi": iv.hi}))
                .collect();
            v["model_effects"] = rows.into();
        }
        out!("{}", serde_json::to_string_pretty(&v)?);
    } else if a.csv {
        tasks_csv(&summaries)?;
    } else {
        print_table(&summaries, "conv: R-hat ≤ 1.01 on the task's four parameters, and no divergences");
        if let Some(luck) = &luck {
            let (what, scale) = luck.what();
            out!("\neach model's luck ({what}, {scale}; estimate [90% interval]):");
            let sd = &luck.sd;
            out!("  sd across models: {:.3} [{:.3}, {:.3}]; a new model draws a fresh one", sd.est, sd.lo, sd.hi);
            let w = luck.models.iter().map(|(m, _)| m.chars().count()).max().unwrap_or(5);
            for (m, iv) in &luck.models {
                out!("  {m:<w$}  {:+.3} [{:+.3}, {:+.3}]", iv.est, iv.lo, iv.hi);
            }
        }
        if let Some(d) = fit.posterior.dispersion() {
            let meaning = scurve::counts::DISPERSION_MEANING;
            out!("\nthe counts' dispersion d ({meaning}): {:.2} [{:.2}, {:.2}]", d.est, d.lo, d.hi);
        }
        if let Some(s) = fit.posterior.score_noise() {
            out!(
                "\nthe spread of the scores without item counts around their curves (sd of logit(score), at least \
                 {}; 0.04 is about a point at 50%): {:.3} [{:.3}, {:.3}]",
                fit.model.spec.noise_min_sd,
                s.est,
                s.lo,
                s.hi
            );
        }
        out!("\n{}", check_text(&check, fit.model.data.x_axis));
        out!(
            "\n{}: {} chains × {} draws{} after {} warm-up, {:.1} s; R-hat max {}, bulk ESS min {:.0} ({:.0}/s), tail ESS min {:.0}, {} divergences, mean tree depth {:.1}",
            opts.engine().to_uppercase(),
            opts.chains,
            d.draws_per_chain,
            opts.draw_length(),
            opts.warmup,
            d.sampling_seconds,
            format_rhat(d.rhat_max),
            d.ess_bulk_min,
            d.ess_bulk_per_second,
            d.ess_tail_min,
            d.divergences,
            d.mean_tree_depth
        );
    }
    for e in &d.extensions {
        eprintln!("{}", e.describe());
    }
    let warnings: Vec<String> = d.falling_warning(&falling).into_iter().chain(d.warnings(&opts)).collect();
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if let Some(advice) = d.families_advice(&series) {
        eprintln!("note: {advice}");
    }
    Ok(if a.sampler.strict && !warnings.is_empty() { ExitCode::from(3) } else { ExitCode::SUCCESS })
}

/// The tasks' curves as CSV: each parameter's estimate with its interval, and convergence.
fn tasks_csv(summaries: &[TaskSummary]) -> Result<()> {
    let mut head = vec!["task".to_string()];
    for p in ["floor", "ceiling", "midpoint_log10", "slope"] {
        head.extend([p.to_string(), format!("{p}_lo"), format!("{p}_hi")]);
    }
    head.push("converged".into());
    let rows = summaries.iter().map(|s| {
        let mut row = vec![s.task.clone()];
        for iv in [&s.floor, &s.ceiling, &s.midpoint_log10, &s.slope] {
            row.extend([iv.est, iv.lo, iv.hi].map(|v| v.to_string()));
        }
        row.push(s.converged.to_string());
        row
    });
    super::print_csv(std::iter::once(head).chain(rows))
}

/// The predictive check in words: how many fitted scores lie outside their intervals, and the
/// worst of them.
fn check_text(c: &PredictiveCheck, axis: scurve::data::XAxis) -> String {
    let level = format!("{:.0}%", 100.0 * c.level);
    if c.outside.is_empty() {
        return format!(
            "predictive check: every one of the {} fitted scores lies inside its {level} posterior predictive interval",
            c.scores
        );
    }
    let (verb, whose) = if c.outside.len() == 1 { ("lies", "its") } else { ("lie", "their") };
    let mut s = format!(
        "predictive check: {} of {} fitted scores {verb} outside {whose} {level} posterior predictive interval (about \
         {:.1} would by chance):",
        c.outside.len(),
        c.scores,
        c.expected
    );
    let shown = &c.outside[..c.outside.len().min(CHECK_SHOWN)];
    let wt = shown.iter().map(|o| o.task.chars().count()).max().unwrap_or(4);
    let wm = shown.iter().map(|o| o.model.chars().count()).max().unwrap_or(5);
    for o in shown {
        let at = scurve::plot::format_on_axis(10f64.powf(o.x), axis);
        s += &format!(
            "\n  {:<wt$}  {:<wm$}  {at:>7}  scored {:.3}, interval {:.3}–{:.3}",
            o.task, o.model, o.observed, o.lo, o.hi
        );
    }
    if c.outside.len() > shown.len() {
        s += &format!("\n  … and {} more (--json lists them all)", c.outside.len() - shown.len());
    }
    if c.too_many() {
        s += "\n  More than chance gives: the S-curve does not follow these tasks where they are listed, \
              so their forecasts deserve less trust (`scurve plot` shows each task's curve against its scores).";
    }
    s
}

/// How many of the scores outside their predictive intervals the text lists.
const CHECK_SHOWN: usize = 10;

/// Population values with 90% intervals, by column name.
pub fn population_json(fit: &NutsFit) -> serde_json::Value {
    let p = &fit.posterior;
    let mut m = serde_json::Map::new();
    for (j, name) in p.names.iter().enumerate() {
        if name.contains('.') {
            continue;
        }
        let iv = p.interval90(j);
        m.insert(name.clone(), serde_json::json!({"est": iv.est, "lo": iv.lo, "hi": iv.hi, "rhat": fit.columns[j].rhat, "ess_bulk": fit.columns[j].ess_bulk}));
    }
    serde_json::Value::Object(m)
}

impl SamplerArgs {
    /// Validated sampler options.
    pub fn options(&self, seed: u64) -> Result<NutsOptions> {
        if self.chains == 0 || self.draws < 4 {
            return Err(scurve::Error::Usage("--chains must be ≥ 1 and --draws ≥ 4".into()).into());
        }
        let walnuts = self.sampler == Sampler::Walnuts;
        let target_accept =
            self.target_accept.unwrap_or(if walnuts { WALNUTS_TARGET_ACCEPT } else { NUTS_TARGET_ACCEPT });
        if !(target_accept > 0.0 && target_accept < 1.0) {
            return Err(scurve::Error::Usage(format!("--target-accept {target_accept} must be in (0, 1)")).into());
        }
        if self.pilot > 0 && self.pilot < 30 {
            return Err(scurve::Error::Usage(format!(
                "--pilot {} is too short to measure the posterior's spread: give 0 (no pilot) or at least 30",
                self.pilot
            ))
            .into());
        }
        Ok(NutsOptions {
            chains: self.chains,
            warmup: self.warmup,
            draws: self.draws,
            seed,
            max_depth: self.max_depth,
            target_accept,
            pilot: self.pilot,
            walnuts,
            extend: self.extend,
            draw_depth: self.draw_depth.unwrap_or(0),
            ..NutsOptions::default()
        })
    }
}

/// What a saved fit records about its model file.
pub fn model_record(spec: &ModelSpec) -> ModelRecord {
    ModelRecord {
        name: spec.name.clone(),
        source: spec.source.clone(),
        hash: spec.hash.clone(),
        text: spec.text.clone(),
    }
}
