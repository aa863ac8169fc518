//! `scurve simulate` and `scurve sbc`: data from a model's generative process, and
//! simulation-based calibration of the model and sampler.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::Result;
use scurve::simulate::{SbcOptions, SimDesign, sbc, simulate};
use scurve::spec::ModelSpec;

use super::fit::SamplerArgs;
use super::size_arg;

/// The design options shared by both commands.
#[derive(Debug, clap::Args)]
pub struct DesignArgs {
    /// Model file, or a built-in name (hierarchical, no_model_effect, model_effect, reference).
    #[arg(long, default_value = "hierarchical")]
    pub model: String,
    /// Number of tasks.
    #[arg(long, default_value_t = 8)]
    pub tasks: usize,
    /// Model sizes (comma-separated), one evaluated model each.
    #[arg(long, value_delimiter = ',', value_parser = size_arg, default_value = "70M,160M,410M,1B,1.4B,2.8B,6.9B,12B")]
    pub sizes: Vec<f64>,
    /// Items per task.
    #[arg(long, default_value_t = 1000)]
    pub items: u64,
    /// Chance level of every task.
    #[arg(long, default_value_t = 0.25)]
    pub chance: f64,
    /// Hold a population value fixed instead of drawing it from its prior (repeatable), e.g.
    /// --fix midpoint_location=10 --fix phi=2000.
    #[arg(long = "fix", value_name = "NAME=VALUE")]
    pub fix: Vec<String>,
    /// Seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl DesignArgs {
    fn design(&self) -> Result<SimDesign> {
        let mut given = Vec::with_capacity(self.fix.len());
        for f in &self.fix {
            let (k, v) =
                f.split_once('=').ok_or_else(|| scurve::Error::Usage(format!("--fix '{f}': write NAME=VALUE")))?;
            let v: f64 = v.trim().parse().map_err(|_| scurve::Error::Usage(format!("--fix '{f}': not a number")))?;
            given.push((k.trim(), v));
        }
        super::given_once("--fix", given.iter().copied())?;
        let fixed: HashMap<String, f64> = given.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        if !(0.0..1.0).contains(&self.chance) {
            return Err(scurve::Error::Usage(format!("--chance {} is outside [0, 1)", self.chance)).into());
        }
        Ok(SimDesign { tasks: self.tasks, sizes: self.sizes.clone(), items: self.items, chance: self.chance, fixed })
    }
}

#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    #[command(flatten)]
    pub design: DesignArgs,
    /// Also write the true values (name,value CSV) here.
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
}

pub fn run_simulate(a: SimulateArgs) -> Result<ExitCode> {
    let spec = ModelSpec::load(&a.design.model)?;
    let sim = simulate(&spec, &a.design.design()?, a.design.seed)?;
    let d = &sim.data;
    out!("task,model,params,correct,n,chance");
    for i in 0..d.len() {
        out!(
            "{},{},{},{},{},{}",
            d.series[d.task[i]],
            d.models[d.model[i]],
            10f64.powf(d.x[i]).round(),
            d.y[i],
            d.n[i],
            d.chance[d.task[i]]
        );
    }
    if let Some(path) = &a.truth {
        let mut s = String::from("name,value\n");
        for (n, v) in &sim.truth {
            s.push_str(&format!("{n},{v}\n"));
        }
        if path.exists() {
            return Err(scurve::Error::Usage(format!("{} exists: choose another --truth file", path.display())).into());
        }
        std::fs::write(path, s)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Args)]
pub struct SbcArgs {
    #[command(flatten)]
    pub design: DesignArgs,
    /// Number of simulations.
    #[arg(long, default_value_t = 100)]
    pub sims: usize,
    /// Posterior draws kept per simulation (ranks run from 0 to this).
    #[arg(long, default_value_t = 99)]
    pub keep: usize,
    /// Histogram bins of the ranks.
    #[arg(long, default_value_t = 10)]
    pub bins: usize,
    /// Tasks whose four curve parameters are checked, besides the population.
    #[arg(long, default_value_t = 2)]
    pub tasks_checked: usize,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

pub fn run_sbc(a: SbcArgs) -> Result<ExitCode> {
    let spec = ModelSpec::load(&a.design.model)?;
    if a.sims < 2 || a.bins < 2 || a.keep < a.bins {
        return Err(scurve::Error::Usage("sbc needs --sims ≥ 2, --bins ≥ 2 and --keep ≥ --bins".into()).into());
    }
    let mut nuts = a.sampler.options(a.design.seed)?;
    nuts.chains = nuts.chains.min(2);
    let o = SbcOptions {
        sims: a.sims,
        design: a.design.design()?,
        nuts,
        draws: a.keep,
        bins: a.bins,
        tasks_checked: a.design.tasks.min(a.tasks_checked),
        seed: a.design.seed,
    };
    let bar = super::progress::Bar::new(a.sims as u64, a.sampler.quiet);
    let count = AtomicU64::new(0);
    let tick = || {
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        scurve::sample::Progress::update(&bar, n);
    };
    let checks = sbc(&spec, &o, super::progress::interrupt_flag(), &tick)?;
    bar.finish();
    let flagged = checks.iter().filter(|c| c.flagged).count();
    let min_p = checks.iter().map(|c| c.p_value).fold(f64::INFINITY, f64::min);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({"sims": a.sims, "flagged": flagged, "min_p": min_p, "parameters": checks})
            )?
        );
    } else {
        out!("SBC: {} simulations, ranks among {} draws, {} bins", a.sims, a.keep, a.bins);
        out!("{:<22} {:>8} {:>8} {:>10}  histogram", "parameter", "chi2", "p", "ECDF dev");
        for c in &checks {
            out!(
                "{:<22} {:>8.1} {:>8.3} {:>10.3}  {:?}{}",
                c.parameter,
                c.chi2,
                c.p_value,
                c.ecdf_max_dev,
                c.histogram,
                if c.flagged { "  FLAGGED" } else { "" }
            );
        }
        out!(
            "{} of {} parameters flagged (chi-square p < 0.01 or ECDF outside the 95% band {:.3}); smallest p {:.3}",
            flagged,
            checks.len(),
            checks[0].ecdf_bound,
            min_p
        );
    }
    Ok(ExitCode::SUCCESS)
}
