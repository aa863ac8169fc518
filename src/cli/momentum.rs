//! `scurve momentum`: does a task's gain A→B predict its gain B→C? And does the model do better?

use std::process::ExitCode;

use anyhow::Result;
use scurve::data::FitData;
use scurve::fit::fit_nuts;
use scurve::forecast::{Group, Target, group_predictive, predictive};
use scurve::model::CurveModel;
use scurve::momentum::{Correlation, Triple, gain_correlations, momentum_forecast, simulate, triples, with_means};
use scurve::plot::{Format, MomentumFigure, check_new, save};
use scurve::size::format_size;
use scurve::spec::ModelSpec;
use scurve::summary::{quantile_sorted, sorted};

use super::DataArgs;
use super::fit::SamplerArgs;
use super::forecast::select_groups;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// CSV (tidy, or wide: a row per model), lm-evaluation-harness JSON, or a folder of them;
    /// several are read as one data set; `-` reads a CSV from standard input; the built-in
    /// example when omitted.
    #[arg(value_name = "DATA")]
    pub files: Vec<std::path::PathBuf>,
    /// Metric to read from harness JSON.
    #[arg(long, value_enum, default_value = "acc")]
    pub metric: super::MetricArg,
    /// CSV map `model,params` of sizes for harness JSON and wide tables (called --sizes elsewhere).
    #[arg(long, value_name = "FILE")]
    pub size_map: Option<std::path::PathBuf>,
    /// Few-shot setting to use when the data mixes several.
    #[arg(long)]
    pub shots: Option<u32>,
    /// Checkpoint to use of each model whose results record several (as for `fit`).
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Use only this model family (repeat for several), or every family a pattern matches ('Llama*').
    #[arg(long = "family", value_name = "FAMILY")]
    pub families: Vec<String>,
    /// Chance level: `P` for every task that neither the data nor the built-in table knows, or
    /// `TASK=P` for one task (repeat for several).
    #[arg(long, value_name = "[TASK=]P", value_parser = super::parse_chance)]
    pub chance: Vec<super::ChanceArg>,
    /// Item count of a task whose scores come without one, `TASK=N`, or `TASK=none` (as for `fit`).
    #[arg(long = "items", value_name = "TASK=N|none", value_parser = super::parse_items)]
    pub items: Vec<(String, scurve::data::GivenItems)>,
    /// Of a task and model given two different results, keep the first read (as for `fit`).
    #[arg(long)]
    pub keep_first: bool,
    /// Three sizes A,B,C (e.g. 350M,2.7B,30B).
    #[arg(long, value_delimiter = ',', value_parser = super::size_arg, required_unless_present = "simulate")]
    pub sizes: Vec<f64>,
    /// Count the tasks matching PATTERN as one, their mean score (`*` any characters, `?` one;
    /// repeatable): `--mean 'hendrycksTest-*'` makes MMLU's 57 subjects one benchmark, as it is
    /// reported. Per family, unless the pattern holds a `/`.
    #[arg(long = "mean", value_name = "PATTERN")]
    pub means: Vec<String>,
    /// Weigh each task of a --mean by its item count, not equally.
    #[arg(long, requires = "means")]
    pub by_items: bool,
    /// Skip fitting the hierarchical model on sizes up to B (its forecast of C is compared by default).
    #[arg(long)]
    pub no_fit: bool,
    /// Model file of that fit, or a built-in name (default: hierarchical).
    #[arg(long)]
    pub model: Option<String>,
    /// Instead: simulate tasks with chosen spreads of tasks and noise, and show the correlation.
    #[arg(long)]
    pub simulate: bool,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    /// Draw gain A→B against gain B→C, beside predicted against actual gain (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<std::path::PathBuf>,
    /// Replace an existing --plot file.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

impl Args {
    fn data(&self) -> DataArgs {
        DataArgs {
            data: self.files.clone(),
            metric: self.metric,
            sizes: self.size_map.clone(),
            shots: self.shots,
            revision: self.revision.clone(),
            families: self.families.clone(),
            chance: self.chance.clone(),
            items: self.items.clone(),
            tasks: Vec::new(),
            skip_tasks: Vec::new(),
            skip_models: Vec::new(),
            skip_short: false,
            skip_falling: false,
            keep_first: self.keep_first,
            x: super::XArg::Params,
            stdin: Default::default(),
        }
    }
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.simulate {
        return run_simulation(&a);
    }
    let [sa, sb, sc] = a.sizes[..] else {
        return Err(scurve::Error::Usage("--sizes takes exactly three sizes A,B,C".into()).into());
    };
    if !(sa < sb && sb < sc) {
        return Err(scurve::Error::Usage("--sizes must increase: A < B < C".into()).into());
    }
    let format = a.plot.as_deref().map(Format::of_path).transpose()?;
    if let Some(path) = &a.plot {
        check_new(path, a.force)?;
    }
    let data_args = a.data();
    let (ds, series) = data_args.series(None)?;
    let t = triples(&series, [sa, sb, sc]);
    if t.len() < 3 {
        return Err(scurve::Error::Usage(format!(
            "only {} task(s) have results at all of {}, {}, {}",
            t.len(),
            format_size(sa),
            format_size(sb),
            format_size(sc)
        ))
        .into());
    }
    // a --mean's tasks count once, as their mean
    let names: Vec<String> = t.iter().map(|x| x.task.clone()).collect();
    let items: Vec<Option<u64>> =
        t.iter().map(|x| series.iter().find(|s| s.name == x.task).and_then(|s| s.items())).collect();
    let groups = select_groups(&names, &items, &a.means, a.by_items, &data_args.source(&ds))?;
    let units = with_means(&t, &groups);
    let u: Vec<Triple> = units.iter().map(|(tr, _)| tr.clone()).collect();
    if u.len() < 3 {
        return Err(scurve::Error::Usage(format!(
            "with the tasks of each --mean counted as one, {} tasks and means are left; a correlation needs at least 3",
            u.len()
        ))
        .into());
    }
    let corr = gain_correlations(&u, a.seed);
    let mae = |pred: &dyn Fn(usize) -> f64| {
        100.0 * u.iter().enumerate().map(|(i, tr)| (pred(i) - tr.scores[2]).abs()).sum::<f64>() / u.len() as f64
    };
    let mae_momentum = mae(&|i| momentum_forecast(&u[i]));
    let mae_persistence = mae(&|i| u[i].scores[1]);
    let mut model_pred: Option<Vec<f64>> = None;
    if !a.no_fit {
        let kept: Vec<_> = series.iter().filter(|s| names.contains(&s.name)).cloned().collect();
        let data = FitData::build(&kept, data_args.x_axis(), Some(sb * 1.02))?;
        let model = CurveModel::new(ModelSpec::load(a.model.as_deref().unwrap_or("hierarchical"))?, data)?;
        let bar =
            super::progress::Bar::new(a.sampler.chains as u64 * (a.sampler.warmup + a.sampler.draws), a.sampler.quiet);
        let opts = a.sampler.options(a.seed)?;
        let fit = fit_nuts(model, &opts, &bar, super::progress::interrupt_flag())?;
        bar.finish();
        // the model's forecast is only as good as its fit: say when the fit fell short
        for w in fit.diagnostics.warnings(&opts) {
            eprintln!("warning: the fit on sizes up to B: {w}");
        }
        let post = &fit.posterior;
        let fitted = |task: &str| post.series_index(task).expect("fitted");
        model_pred = Some(
            units
                .iter()
                .map(|(tr, group)| {
                    let pred = match group {
                        None => {
                            let items = items[names.iter().position(|n| *n == tr.task).expect("a triple's task")];
                            predictive(post, &Target { task: fitted(&tr.task), items }, tr.x[2], a.seed)
                        }
                        // the group's tasks, as the fit numbers them
                        Some(gi) => {
                            let g = &groups[*gi];
                            let tasks =
                                g.tasks.iter().map(|m| Target { task: fitted(&t[m.task].task), ..*m }).collect();
                            group_predictive(post, &Group { tasks, ..g.clone() }, tr.x[2], a.seed)
                        }
                    };
                    quantile_sorted(&sorted(pred.observed), 0.5)
                })
                .collect(),
        );
    }
    let mae_model = model_pred.as_ref().map(|m| mae(&|i| m[i]));
    if let (Some(path), Some(format)) = (&a.plot, format) {
        let pp = |v: f64| 100.0 * v;
        let fig = MomentumFigure {
            first: format!("{}→{}", format_size(sa), format_size(sb)),
            second: format!("{}→{}", format_size(sb), format_size(sc)),
            gains: u.iter().map(|x| (pp(x.scores[1] - x.scores[0]), pp(x.scores[2] - x.scores[1]))).collect(),
            momentum: u.iter().map(|x| pp(momentum_forecast(x) - x.scores[1])).collect(),
            model: model_pred.as_ref().map(|m| m.iter().zip(&u).map(|(p, x)| pp(p - x.scores[1])).collect()),
            r: (corr.raw.r, corr.raw.lo90, corr.raw.hi90),
        };
        save(&fig, path, format)?;
        eprintln!("wrote {}", path.display());
    }
    if a.json {
        let mut v = serde_json::json!({
            "sizes": [sa, sb, sc], "correlation": corr,
            "mae_pp": {"momentum": mae_momentum, "persistence": mae_persistence, "hierarchical": mae_model},
        });
        if !groups.is_empty() {
            let means: Vec<serde_json::Value> = groups
                .iter()
                .map(|g| {
                    let tasks: Vec<&str> = g.tasks.iter().map(|m| t[m.task].task.as_str()).collect();
                    serde_json::json!({ "mean": g.label(), "tasks": tasks })
                })
                .collect();
            v["means"] = means.into();
        }
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let c = |x: &Correlation| format!("r = {:+.2} (90% interval {:+.2} to {:+.2})", x.r, x.lo90, x.hi90);
    let counted = if groups.is_empty() {
        format!("{} tasks", corr.tasks)
    } else {
        let inside: usize = groups.iter().map(|g| g.tasks.len()).sum();
        let single = corr.tasks - groups.len();
        format!("{} tasks and means ({single} tasks; {} mean(s) of {inside} tasks)", corr.tasks, groups.len())
    };
    out!(
        "{counted}; gain {}→{} against gain {}→{}:",
        format_size(sa),
        format_size(sb),
        format_size(sb),
        format_size(sc)
    );
    out!("  raw score:          {}", c(&corr.raw));
    out!("  logit score:        {}", c(&corr.logit));
    out!("  score above chance: {}", c(&corr.above_chance));
    out!("forecast of the score at {} (MAE, pp):", format_size(sc));
    out!("  momentum (gain {}→{} carried on): {:.2}", format_size(sa), format_size(sb), mae_momentum);
    out!("  persistence (score at {}):        {:.2}", format_size(sb), mae_persistence);
    if let Some(m) = mae_model {
        out!("  hierarchical model fit up to {}:  {:.2}", format_size(sb), m);
    }
    Ok(ExitCode::SUCCESS)
}

fn run_simulation(a: &Args) -> Result<ExitCode> {
    let spreads = [0.05, 0.25, 0.5, 1.0, 2.0];
    let noises = [0.002, 0.01, 0.02, 0.04];
    let cells = simulate(&spreads, &noises, 65, 200, [8.5, 9.5, 10.5], a.seed);
    if a.json {
        out!("{}", serde_json::to_string_pretty(&serde_json::json!({ "simulation": cells }))?);
        return Ok(ExitCode::SUCCESS);
    }
    out!("correlation of gains (x 8.5→9.5 against 9.5→10.5) across 65 simulated tasks, mean of 200 runs");
    out!("{:>22} {}", "task spread \\ noise", noises.iter().map(|n| format!("{n:>9}")).collect::<String>());
    for s in spreads {
        let row: String = noises
            .iter()
            .map(|&n| {
                cells
                    .iter()
                    .find(|c| c.task_spread == s && c.noise == n)
                    .map_or(String::new(), |c| format!("{:>+9.2}", c.r_mean))
            })
            .collect();
        out!("{:>22} {row}", format!("{s} decades"));
    }
    out!(
        "(noise: sd of each observed score; the score at the middle size enters both gains with opposite signs,\n so noise alone pulls the correlation negative; spread of tasks pushes it positive)"
    );
    Ok(ExitCode::SUCCESS)
}
