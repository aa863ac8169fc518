//! Subcommands, one file each. Each has its `Args` and its `run`.

/// Print a line to standard output; a closed pipe (`scurve ... | head`) ends the program quietly.
macro_rules! out {
    () => { $crate::cli::emit(format_args!("")) };
    ($($t:tt)*) => { $crate::cli::emit(format_args!($($t)*)) };
}

mod example;
mod fit;
mod forecast;
mod inspect;
mod momentum;
mod plot;
mod progress;
mod report;
mod score;
mod simulate;
mod threshold;
mod validate;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Parser, Subcommand, ValueEnum};
use scurve::data::harness::{HarnessOptions, Metric, load_sizes};
use scurve::data::{Dataset, GivenItems, Repeat, STDIN_SHOWN, Selection, Series, XAxis, is_stdin, shown_paths};
use scurve::size::parse_size;

/// Fit S-curves to benchmark results across model sizes and forecast the next model.
#[derive(Debug, Parser)]
#[command(name = "scurve", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the built-in example data as CSV.
    Example(example::Args),
    /// Summarise a data set: tasks, models, sizes, item counts, and tasks to watch.
    Inspect(inspect::Args),
    /// Fit a curve per task and print the parameters with intervals.
    Fit(fit::Args),
    /// Forecast the score of a new model of a given size, per task.
    Forecast(forecast::Args),
    /// The size at which each task's curve reaches a target score.
    Threshold(threshold::Args),
    /// Score a stored forecast against the real results.
    Score(score::Args),
    /// Fit on smaller models, predict the larger ones, and score every method side by side.
    Validate(validate::Args),
    /// Does a task's gain from size A to B predict its gain from B to C?
    Momentum(momentum::Args),
    /// Draw a saved fit: each task's curve, all tasks at a glance, the population.
    Plot(plot::Args),
    /// Fit, forecast, threshold and validate, and write one self-contained HTML page.
    Report(report::Args),
    /// Write a tidy CSV drawn from a model's generative process.
    Simulate(simulate::SimulateArgs),
    /// Simulation-based calibration: prior draws, simulated data, fits, rank uniformity.
    Sbc(simulate::SbcArgs),
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Example(a) => example::run(a),
        Command::Inspect(a) => inspect::run(a),
        Command::Fit(a) => fit::run(a),
        Command::Forecast(a) => forecast::run(a),
        Command::Threshold(a) => threshold::run(a),
        Command::Score(a) => score::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Momentum(a) => momentum::run(a),
        Command::Plot(a) => plot::run(a),
        Command::Report(a) => report::run(a),
        Command::Simulate(a) => simulate::run_simulate(a),
        Command::Sbc(a) => simulate::run_sbc(a),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum MetricArg {
    Acc,
    AccNorm,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum XArg {
    Params,
    Compute,
}

/// Where the data comes from and which part of it to use.
#[derive(Debug, Args)]
pub struct DataArgs {
    /// CSV (tidy, or wide: a row per model), lm-evaluation-harness JSON, or a folder of them;
    /// several are read as one data set; `-` reads a CSV from standard input; the built-in
    /// example when omitted.
    pub data: Vec<PathBuf>,
    /// What `-` read from standard input, once.
    #[arg(skip)]
    pub stdin: std::sync::OnceLock<Vec<u8>>,
    /// Metric to read from harness JSON.
    #[arg(long, value_enum, default_value = "acc")]
    pub metric: MetricArg,
    /// CSV map `model,params`: sizes of the models that harness JSON or a wide table gives
    /// without one (before the size in a name).
    #[arg(long, value_name = "FILE")]
    pub sizes: Option<PathBuf>,
    /// Few-shot setting to use when the data mixes several.
    #[arg(long)]
    pub shots: Option<u32>,
    /// Checkpoint to use of each model whose results record several (`revision=` in harness
    /// files' model_args, e.g. step143000, or a CSV's revision column); results that record
    /// none are kept.
    #[arg(long, value_name = "REV")]
    pub revision: Option<String>,
    /// Use only this model family (repeat for several; default: every family, each its own series),
    /// or every family a pattern matches, as for --task ('Llama*').
    #[arg(long = "family", value_name = "FAMILY")]
    pub families: Vec<String>,
    /// Chance level: `P` for every task that neither the data nor the built-in table knows, or
    /// `TASK=P` for one task, or for every task a pattern matches, as for --task: 'mybench_*=0.25'
    /// (repeat for several; a task's own name before a pattern, a pattern before the table).
    #[arg(long, value_name = "[TASK=]P", value_parser = parse_chance)]
    pub chance: Vec<ChanceArg>,
    /// Item count of a task whose scores come without one, `TASK=N`, or of every task a pattern
    /// matches (repeat for several): each of its scores becomes the nearest whole count of N,
    /// fitted as counts; `scurve inspect` names tasks whose scores reveal their N. `TASK=none`
    /// keeps a task's scores as scores, even where scurve knows its item count.
    #[arg(long = "items", value_name = "TASK=N|none", value_parser = parse_items)]
    pub items: Vec<(String, GivenItems)>,
    /// Use only this task (repeat for several; default: every task), or every task a pattern
    /// matches (`*` any run of characters, `?` any one: 'hendrycksTest-*' is MMLU's subjects).
    #[arg(long = "task", value_name = "TASK")]
    pub tasks: Vec<String>,
    /// Leave this task out (repeat for several), e.g. one seen at fewer than three sizes, or
    /// every task a pattern matches, as for --task.
    #[arg(long = "skip-task", value_name = "TASK")]
    pub skip_tasks: Vec<String>,
    /// Leave this model out (repeat for several), e.g. one whose size is not known, or every
    /// model a pattern matches, as for --task ('*-deduped').
    #[arg(long = "skip-model", value_name = "MODEL")]
    pub skip_models: Vec<String>,
    /// Leave out every task seen at fewer than 3 sizes (after any holdout): a curve needs 3.
    #[arg(long)]
    pub skip_short: bool,
    /// Leave out every task whose scores fall with size (after any holdout; the line of score
    /// on log size falls by more than two standard errors): an S-curve rises, so such a task's
    /// curve says little, and it can stall the sampler. Per family, where --skip-task leaves a
    /// task out of every family.
    #[arg(long)]
    pub skip_falling: bool,
    /// Of a task and model given two different results (lm-evaluation-harness files of two task
    /// groups that both hold the task, run apart), keep the first as the files are read (in
    /// path order) instead of stopping; a note names each one left out.
    #[arg(long)]
    pub keep_first: bool,
    /// x-axis: log10(params), or log10(6·params·tokens).
    #[arg(long = "x", value_enum, default_value = "params")]
    pub x: XArg,
}

impl DataArgs {
    /// Load the data set.
    pub fn load(&self) -> Result<Dataset> {
        if self.data.is_empty() {
            return Ok(Dataset::example());
        }
        let sizes = self.sizes.as_ref().map(|p| load_sizes(p)).transpose()?;
        let metric = match self.metric {
            MetricArg::Acc => Metric::Acc,
            MetricArg::AccNorm => Metric::AccNorm,
        };
        Ok(Dataset::load_all_with(&self.data, &HarnessOptions { metric, sizes }, self.stdin()?)?)
    }

    /// The bytes of standard input when a data path is `-` (read on the first call), else None.
    pub fn stdin(&self) -> Result<Option<&[u8]>> {
        use std::io::{IsTerminal, Read};
        if !self.data.iter().any(|p| is_stdin(p)) {
            return Ok(None);
        }
        if self.stdin.get().is_none() {
            let mut input = std::io::stdin().lock();
            if input.is_terminal() {
                return Err(scurve::Error::Usage(
                    "'-' reads the data from standard input, which is a terminal here: pipe a CSV into it \
                     (scurve example | scurve fit -)"
                        .into(),
                )
                .into());
            }
            let mut bytes = Vec::new();
            input.read_to_end(&mut bytes).map_err(|e| scurve::Error::io(STDIN_SHOWN, e))?;
            let _ = self.stdin.set(bytes);
        }
        Ok(self.stdin.get().map(Vec::as_slice))
    }

    /// The selection the options ask for; `holdout_above` is the fit's holdout, which
    /// `--skip-short` counts sizes up to.
    pub fn selection(&self, holdout_above: Option<f64>) -> Result<Selection> {
        let mut all = self.chance.iter().filter_map(|c| match c {
            ChanceArg::All(p) => Some(*p),
            ChanceArg::Task(..) => None,
        });
        if let Some(first) = all.next()
            && let Some(other) = all.find(|&p| p != first)
        {
            return Err(scurve::Error::Usage(format!(
                "--chance is given for every task twice ({first} and {other}); give one, or name tasks as \
                 --chance TASK=P"
            ))
            .into());
        }
        given_once("--chance", self.task_chances())?;
        given_once("--items", self.items.iter().map(|(t, n)| (t.as_str(), *n)))?;
        Ok(Selection {
            families: self.families.clone(),
            shots: self.shots,
            revision: self.revision.clone(),
            chance: self.default_chance(),
            task_chance: self.task_chance(),
            task_items: self.items.iter().cloned().collect(),
            tasks: self.tasks.clone(),
            skip_tasks: self.skip_tasks.clone(),
            skip_models: self.skip_models.clone(),
            skip_short: self.skip_short.then(|| holdout_above.unwrap_or(f64::INFINITY)),
            skip_falling: self.skip_falling.then(|| holdout_above.unwrap_or(f64::INFINITY)),
            keep_first: self.keep_first,
        })
    }

    /// Load and select (with the fit's holdout, for `--skip-short`).
    pub fn series(&self, holdout_above: Option<f64>) -> Result<(Dataset, Vec<Series>)> {
        self.series_noting(holdout_above).map(|(ds, s, _)| (ds, s))
    }

    /// [`Self::series`], with the results `--keep-first` left out (named on stderr as well).
    pub fn series_noting(&self, holdout_above: Option<f64>) -> Result<(Dataset, Vec<Series>, Vec<Repeat>)> {
        self.series_selected(holdout_above, |sel| sel)
    }

    /// Load and select for a validation: `--skip-falling` is judged in each of its fits on the
    /// sizes that fit keeps (never on those it holds out), so the tasks that fall stay in here.
    pub fn series_for_validation(&self) -> Result<(Dataset, Vec<Series>)> {
        if self.skip_falling {
            eprintln!(
                "note: each fit of the validation leaves out the tasks whose scores fall with size up to its \
                 cutoff (--skip-falling), judged on the sizes it fits"
            );
        }
        self.series_selected(None, |sel| Selection { skip_falling: None, ..sel }).map(|(ds, s, _)| (ds, s))
    }

    /// [`Self::series`] with the selection changed by `adjust`.
    fn series_selected(
        &self,
        holdout_above: Option<f64>,
        adjust: impl FnOnce(Selection) -> Selection,
    ) -> Result<(Dataset, Vec<Series>, Vec<Repeat>)> {
        let ds = self.load()?;
        let (s, repeats) = ds.select_noting(&adjust(self.selection(holdout_above)?))?;
        if let Some(note) = repeats_note(&repeats) {
            eprintln!("note: {note}");
        }
        let (short, falling) = self.flags_left_out(&ds, holdout_above, &s)?;
        let upto = if holdout_above.is_some() { " up to the holdout" } else { "" };
        if short > 0 {
            eprintln!(
                "note: left out {short} of {} tasks, seen at fewer than 3 sizes{upto} (--skip-short; `scurve inspect` lists them)",
                s.len() + short + falling.len(),
            );
        }
        if !falling.is_empty() {
            eprintln!(
                "note: left out {} of {} tasks, whose scores fall with size{upto}: {} (--skip-falling; `scurve inspect` flags them)",
                falling.len(),
                s.len() + short + falling.len(),
                listed(&falling),
            );
        }
        Ok((ds, s, repeats))
    }

    /// A note on stderr naming the tasks whose scores fall with size up to the holdout: an
    /// S-curve rises, so their curves say little, and they can slow the sampler. Tasks with
    /// fewer than 3 sizes there are left to the error that names them.
    /// With `luck` (the model has a per-model effect) it says what that can do to the chains.
    /// Returns them (series and task names), for [`scurve::fit::FitDiagnostics::falling_warning`].
    pub fn note_falling(&self, series: &[Series], holdout_above: Option<f64>, luck: bool) -> Vec<(String, String)> {
        let cut = holdout_above.unwrap_or(f64::INFINITY);
        let falling: Vec<(String, String)> = series
            .iter()
            .filter(|s| s.n_sizes_upto(cut) >= 3 && s.falls_upto(cut))
            .map(|s| (s.name.clone(), s.task.clone()))
            .collect();
        if falling.is_empty() {
            return falling;
        }
        let names: Vec<String> = falling.iter().map(|(n, _)| n.clone()).collect();
        eprintln!(
            "note: {} {} with size in the data fitted; an S-curve rises, so {} say little and can slow \
             the sampler (--skip-falling leaves out every such task, --skip-task one task; `scurve inspect` flags them)",
            listed(&names),
            if falling.len() == 1 { "falls" } else { "fall" },
            if falling.len() == 1 { "its curve and intervals" } else { "their curves and intervals" },
        );
        // one falling task among many leaves the chains alone (Pythia's MMLU prehistory, in
        // every fit measured); six families' falling TruthfulQA split them (docs/models.md)
        if luck && falling.len() > 1 {
            eprintln!(
                "note: with the model's per-model effect, tasks that fall can be explained two ways, by their \
                 curves or by the luck of the models that score them, and the chains may settle on different ones: \
                 if R-hat stays above 1.01, leave those tasks out (--skip-falling) or fit --model no_model_effect (docs/models.md)"
            );
        }
        falling
    }

    /// What `--skip-short` and `--skip-falling` left out of the series `kept` that
    /// [`Self::series`] gave: how many were seen at fewer than 3 sizes, and the names of those
    /// whose scores fall with size (the two are applied in that order).
    pub fn flags_left_out(
        &self,
        ds: &Dataset,
        holdout_above: Option<f64>,
        kept: &[Series],
    ) -> Result<(usize, Vec<String>)> {
        if !self.skip_short && !self.skip_falling {
            return Ok((0, Vec::new()));
        }
        let sel = self.selection(holdout_above)?;
        let all = ds.select(&Selection { skip_short: None, skip_falling: None, ..sel.clone() })?.len();
        let rising_or_not = ds.select(&Selection { skip_falling: None, ..sel })?;
        let falling =
            (rising_or_not.iter()).filter(|s| !kept.iter().any(|k| k.name == s.name)).map(|s| s.name.clone()).collect();
        Ok((all - rising_or_not.len(), falling))
    }

    /// The tasks and models the options left out, in words (None when none were), given what
    /// [`Self::flags_left_out`] found.
    pub fn left_out(&self, short: usize, falling: &[String]) -> Option<String> {
        let mut parts = Vec::new();
        if !self.skip_tasks.is_empty() {
            parts.push(format!("{} (--skip-task)", self.skip_tasks.join(", ")));
        }
        if !self.tasks.is_empty() {
            parts.push(format!("all but {} (--task)", self.tasks.join(", ")));
        }
        if short > 0 {
            parts.push(format!("{short} task(s) seen at fewer than 3 sizes (--skip-short)"));
        }
        if !falling.is_empty() {
            parts.push(format!("{} (they fall with size; --skip-falling)", listed_as(falling, str::to_string)));
        }
        if !self.skip_models.is_empty() {
            parts.push(format!("every result of {} (--skip-model)", self.skip_models.join(", ")));
        }
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    /// The data's source in words: the file or folder given, a short list of several, or the
    /// built-in example.
    pub fn source(&self, ds: &Dataset) -> String {
        match self.data.as_slice() {
            [] => "built-in example".to_string(),
            [one] => shown_paths(&[one]),
            _ => ds.source.clone(),
        }
    }

    /// What a saved fit records about the data (reading the files again for their hash; `-` as
    /// given, for the copy the fit keeps of standard input).
    pub fn record(&self, ds: &Dataset, holdout_above: Option<f64>) -> Result<scurve::fitio::DataRecord> {
        let files_hash = match self.data.as_slice() {
            [] => None,
            paths => Some(Dataset::files_hash(paths, self.sizes.as_deref(), self.stdin()?)?),
        };
        Ok(scurve::fitio::DataRecord {
            source: match self.data.as_slice() {
                [one] => one.display().to_string(),
                _ => self.source(ds),
            },
            sources: if self.data.len() > 1 {
                self.data.iter().map(|p| p.display().to_string()).collect()
            } else {
                Vec::new()
            },
            hash: ds.hash(),
            files_hash,
            holdout_above,
            families: self.families.clone(),
            family: None,
            shots: self.shots,
            revision: self.revision.clone(),
            metric: match self.metric {
                MetricArg::Acc => "acc".into(),
                MetricArg::AccNorm => "acc_norm".into(),
            },
            chance: self.default_chance(),
            task_chance: self.task_chance(),
            task_items: self.items.iter().map(|(t, n)| (t.clone(), n.0)).collect(),
            sizes: self.sizes.as_ref().map(|p| p.display().to_string()),
            tasks: self.tasks.clone(),
            skip_tasks: self.skip_tasks.clone(),
            skip_models: self.skip_models.clone(),
            skip_short: self.skip_short,
            skip_falling: self.skip_falling,
            keep_first: self.keep_first,
        })
    }

    /// The `--chance P` for every task the data and the table do not know, if given
    /// ([`Self::selection`] refuses two different ones).
    fn default_chance(&self) -> Option<f64> {
        self.chance.iter().find_map(|c| match c {
            ChanceArg::All(p) => Some(*p),
            ChanceArg::Task(..) => None,
        })
    }

    /// Each `--chance TASK=P` as given.
    fn task_chances(&self) -> impl Iterator<Item = (&str, f64)> {
        self.chance.iter().filter_map(|c| match c {
            ChanceArg::Task(t, p) => Some((t.as_str(), *p)),
            ChanceArg::All(_) => None,
        })
    }

    /// The chance levels `--chance TASK=P` gives ([`Self::selection`] refuses a task given two).
    fn task_chance(&self) -> BTreeMap<String, f64> {
        self.task_chances().map(|(t, p)| (t.to_string(), p)).collect()
    }

    pub fn x_axis(&self) -> XAxis {
        match self.x {
            XArg::Params => XAxis::Params,
            XArg::Compute => XAxis::Compute,
        }
    }
}

/// A `--chance` value: a level for every task the data and the table do not know, or one task's.
#[derive(Debug, Clone, PartialEq)]
pub enum ChanceArg {
    All(f64),
    Task(String, f64),
}

/// Names in a note: the first three quoted, then how many more.
fn listed(names: &[String]) -> String {
    listed_as(names, |n| format!("'{n}'"))
}

/// The first three names, each written by `show`, then how many more.
pub(super) fn listed_as(names: &[String], show: impl Fn(&str) -> String) -> String {
    let mut shown: Vec<String> = names.iter().take(3).map(|n| show(n)).collect();
    if names.len() > 3 {
        shown.push(format!("{} more", names.len() - 3));
    }
    shown.join(", ")
}

/// Refuse a `flag` NAME=VALUE (a task's, or `--fix`'s population value) given twice for the
/// same NAME with different values, which would otherwise leave the last one to stand
/// unremarked.
fn given_once<'a, T: PartialEq + std::fmt::Display>(
    flag: &str,
    given: impl Iterator<Item = (&'a str, T)>,
) -> Result<()> {
    let mut seen: Vec<(&'a str, T)> = Vec::new();
    for (name, value) in given {
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) if *first != value => {
                return Err(scurve::Error::Usage(format!(
                    "{flag} '{name}={first}' and {flag} '{name}={value}' give '{name}' two values; give one"
                ))
                .into());
            }
            Some(_) => {}
            None => seen.push((name, value)),
        }
    }
    Ok(())
}

/// Parse `--chance P` or `--chance TASK=P` (P in [0, 1); the task's name may itself hold '=').
pub fn parse_chance(text: &str) -> Result<ChanceArg, String> {
    let (task, level) = match text.rsplit_once('=') {
        Some((t, p)) => (Some(t.trim()), p.trim()),
        None => (None, text.trim()),
    };
    let p: f64 = level.parse().map_err(|_| format!("'{level}' is not a chance level (a number in [0, 1))"))?;
    if !(0.0..1.0).contains(&p) {
        return Err(format!("{p} is outside [0, 1)"));
    }
    match task {
        Some("") => Err(format!("no task before '=' in '{text}'")),
        Some(t) => Ok(ChanceArg::Task(t.to_string(), p)),
        None => Ok(ChanceArg::All(p)),
    }
}

/// Parse `--items TASK=N`: a task (or pattern) and its item count, a whole number above 0, or
/// `none` (its scores stay scores).
pub fn parse_items(text: &str) -> Result<(String, GivenItems), String> {
    let Some((task, n)) = text.rsplit_once('=') else {
        return Err(format!("'{text}' is not TASK=N (a task and its item count: --items 'Winograd=1267')"));
    };
    let task = task.trim();
    if task.is_empty() {
        return Err(format!("no task before '=' in '{text}'"));
    }
    match n.trim() {
        "none" => Ok((task.to_string(), GivenItems(None))),
        n => match n.parse::<u64>() {
            Ok(n) if n > 0 => Ok((task.to_string(), GivenItems(Some(n)))),
            _ => Err(format!("'{n}' is not an item count (a whole number above 0, or none: the scores stay scores)")),
        },
    }
}

/// A saved fit, checked against its data and model file, with a note on standard error when its
/// chains fell short: what is drawn from it rests on them.
pub fn load_fit(dir: &std::path::Path) -> Result<scurve::fitio::SavedFit> {
    let fit = scurve::fitio::load_verified(dir)?;
    let missing = fit.data_missing();
    if !missing.is_empty() {
        let held_out = if fit.record.data.holdout_above.is_some() { ", and plots show no held-out scores" } else { "" };
        eprintln!(
            "note: {} that the fit in {} was made from {} not found (from here): the fit is used as saved, unchecked \
             against its data{held_out}",
            scurve::data::shown_paths(&missing),
            dir.display(),
            if missing.len() == 1 { "is" } else { "are" }
        );
    }
    if let Some(d) = fit.record.diagnostics.as_ref().filter(|d| d.falls_short()) {
        let more = (2 * d.draws_per_chain).max(2000);
        match d.only_population_short() {
            Some(only) => eprintln!(
                "note: the fit in {} ended with {}; {only} (--draws {more} would make the population's \
                 summary precise too)",
                dir.display(),
                d.shortfall()
            ),
            None => match d.only_far_short() {
                Some(far) => eprintln!(
                    "note: the fit in {} ended with {}; {far} (refit with more draws, e.g. --draws {more})",
                    dir.display(),
                    d.shortfall()
                ),
                None => eprintln!(
                    "note: the fit in {} ended with {}: what follows rests on draws that may not describe the \
                     posterior (refit with more draws, e.g. --draws {more})",
                    dir.display(),
                    d.shortfall()
                ),
            },
        }
    }
    Ok(fit)
}

/// The model files of a repeatable `--model`, the built-in hierarchical model when none is given.
pub fn load_models(names: &[String]) -> Result<Vec<scurve::spec::ModelSpec>> {
    if names.is_empty() {
        return Ok(vec![scurve::spec::ModelSpec::load("hierarchical")?]);
    }
    Ok(names.iter().map(|m| scurve::spec::ModelSpec::load(m)).collect::<scurve::Result<_>>()?)
}

/// A note, when CSV files without a family column give results for one of the tasks of
/// `series`: each such task is then one curve through the models of all of them (harness JSON
/// holds one model a file, and its families come from its folders). None when some observation
/// names a family.
pub fn one_ladder_note(ds: &Dataset, series: &[Series]) -> Option<String> {
    if ds.observations.iter().any(|o| o.family.is_some()) {
        return None;
    }
    let mut files_of: BTreeMap<&str, std::collections::BTreeSet<&str>> = BTreeMap::new();
    let csv = |o: &&scurve::data::Observation| !o.at.file.to_ascii_lowercase().ends_with(".json");
    for o in ds.observations.iter().filter(csv).filter(|o| series.iter().any(|s| s.task == o.task)) {
        files_of.entry(o.task.as_str()).or_default().insert(o.at.file.as_str());
    }
    let shared: std::collections::BTreeSet<&str> =
        files_of.values().filter(|f| f.len() > 1).flatten().copied().collect();
    (!shared.is_empty()).then(|| {
        format!(
            "{} have no family column, so each task they share is one curve through the models of all of them; if \
             they are separate ladders, a family column fits each on its own (the same held-out accuracy, fewer \
             draws: docs/validation.md)",
            shown_paths(&shared.into_iter().collect::<Vec<_>>())
        )
    })
}

/// The tasks without item counts whose full-precision scores are all whole counts of one
/// number of items, and the `--items` that fits them as counts, in words (None when there are
/// none; `inspect` says the same at more length).
pub fn revealed_counts_note(series: &[Series]) -> Option<String> {
    let revealed = scurve::data::items::revealed_counts(series);
    let (t, n) = revealed.first()?;
    let list: Vec<String> = revealed.iter().map(|(t, n)| format!("'{t}' ({n} items)")).collect();
    Some(format!(
        "every score given to every digit of {} is a whole count of that many items; if that is the task's item \
         count, --items '{t}={n}' fits them as counts, which say how noisy each score is",
        listed_as(&list, str::to_string)
    ))
}

/// [`revealed_counts_note`] on standard error, for the commands that fit.
pub fn note_revealed_counts(series: &[Series]) {
    if let Some(note) = revealed_counts_note(series) {
        eprintln!("note: {note}");
    }
}

/// What `--keep-first` left out, in words (None when it left out nothing): the first repeat with
/// where its kept and its left-out results were read, then how many more.
pub fn repeats_note(repeats: &[Repeat]) -> Option<String> {
    let r = repeats.first()?;
    let more = match repeats.len() {
        1 => String::new(),
        n => {
            let rest: Vec<String> = repeats[1..].iter().map(|r| format!("{} of {}", r.task, r.model)).collect();
            format!("; and {} more ({})", n - 1, listed(&rest))
        }
    };
    Some(format!(
        "--keep-first kept the result read first of each task and model given twice with different values: task \
         '{}', model '{}' from {}, not {}{more}",
        r.task, r.model, r.kept, r.left_out
    ))
}

/// [`one_ladder_note`] on standard error, for the commands that fit.
pub fn note_one_ladder(ds: &Dataset, series: &[Series]) {
    if let Some(note) = one_ladder_note(ds, series) {
        eprintln!("note: {note}");
    }
}

/// Parse a size given on the command line.
pub fn size_arg(s: &str) -> std::result::Result<f64, String> {
    amount_arg(s, "examples: 125M, 1.3B, 2T, 1.3e9")
}

/// A size (or training tokens, or FLOPs) given on the command line, as [`parse_size`] reads it;
/// `examples` close the error. An amount under 1,000 is refused as a unit left out (`--size 30`
/// for 30B), as the data's sizes are: no model, training set or training run is that small.
fn amount_arg(s: &str, examples: &str) -> std::result::Result<f64, String> {
    let t = s.trim();
    match parse_size(s) {
        Some(v) if v < 1e3 && t.ends_with(|c: char| c.is_ascii_digit()) => {
            Err(format!("'{s}' is under 1,000: give its unit ('{t}B' for {t} billion) or the whole number"))
        }
        Some(v) if v < 1e3 => Err(format!("'{s}' is under 1,000: no model, training set or run is that small")),
        Some(v) => Ok(v),
        None => Err(format!("'{s}' is not a size ({examples})")),
    }
}

/// A size to forecast at: a size (30B), or a multiple of the largest model each task was fitted
/// on (3x).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ForecastSize {
    Size(f64),
    Times(f64),
}

impl ForecastSize {
    /// The point asked for, a size read as an amount on the fit's own axis (a parameter count,
    /// or where the axis is compute, FLOPs).
    pub fn on_axis(self) -> scurve::forecast::At {
        match self {
            ForecastSize::Size(s) => scurve::forecast::At::Amount { amount: s, x: s.log10() },
            ForecastSize::Times(f) => scurve::forecast::At::Times(f),
        }
    }
}

/// The multiples of a task's largest size that [`forecast_size_arg`] takes: six decades either
/// way, far past anything a held-out check has measured.
pub const MULTIPLES: (f64, f64) = (1e-6, 1e6);

/// Parse a size to forecast at: a size as [`size_arg`] reads it, or a multiple (`3x`, `1.5×`).
pub fn forecast_size_arg(s: &str) -> std::result::Result<ForecastSize, String> {
    let t = s.trim();
    if let Some(num) = t.strip_suffix(['x', 'X', '×']) {
        return match num.trim().parse::<f64>() {
            Ok(f) if (MULTIPLES.0..=MULTIPLES.1).contains(&f) && !num.trim().starts_with('+') => {
                Ok(ForecastSize::Times(f))
            }
            Ok(f) if f > 0.0 => Err(format!("'{s}' is outside the multiples scurve takes, 1e-6x to 1e6x")),
            _ => Err(format!("'{s}' is not a multiple of the largest fitted size (examples: 3x, 1.5x)")),
        };
    }
    amount_arg(s, "examples: 125M, 1.3B, 2T, 1.3e9, or 3x for three times each task's largest").map(ForecastSize::Size)
}

/// Parse a target score: `0.8`, `chance+0.1` for ten points above each task's chance, or
/// `largest+0.05` for five points above what each task's largest fitted model scored.
pub fn score_arg(s: &str) -> std::result::Result<scurve::forecast::Score, String> {
    s.parse()
}

/// The score `score` names for a task (or mean) `who` with baseline `b`, or an error when it
/// falls outside what `option` takes: (0, 1) when `open`, else [0, 1].
pub fn score_for(
    score: scurve::forecast::Score,
    b: scurve::forecast::Baseline,
    who: &str,
    option: &str,
    open: bool,
) -> Result<f64> {
    use scurve::forecast::Score;
    let v = score.at(b);
    if if open { v > 0.0 && v < 1.0 } else { (0.0..=1.0).contains(&v) } {
        return Ok(v);
    }
    let range = if open { "(0, 1)" } else { "[0, 1]" };
    let why = match score {
        Score::Fixed(_) => format!("{option} {score} must be in {range}"),
        Score::AboveChance(_) | Score::AboveLargest(_) => {
            let base = match score {
                Score::AboveChance(_) => format!("has chance {}", b.chance),
                _ => format!("scored {:.3} at its largest fitted size", b.largest),
            };
            format!(
                "{option} {score}: '{who}' {base}, so its score would be {v:.3}, outside {range}; leave the task \
                 out, or ask for fewer points"
            )
        }
    };
    Err(scurve::Error::Usage(why).into())
}

/// Print rows as CSV, the header first, each field quoted where it needs to be.
pub fn print_csv(rows: impl IntoIterator<Item = Vec<String>>) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for row in rows {
        w.write_record(&row)?;
    }
    let text = String::from_utf8(w.into_inner()?)?;
    emit(format_args!("{}", text.trim_end_matches('\n')));
    Ok(())
}

/// Write one line to standard output, exiting quietly when the reader has gone away.
pub fn emit(args: std::fmt::Arguments) {
    use std::io::Write;
    let mut s = std::io::stdout().lock();
    if let Err(e) = writeln!(s, "{args}") {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to standard output: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::{ForecastSize, forecast_size_arg};

    #[test]
    fn forecast_sizes_are_sizes_or_multiples() {
        assert_eq!(forecast_size_arg("30B"), Ok(ForecastSize::Size(30e9)));
        assert_eq!(forecast_size_arg("1.3e9"), Ok(ForecastSize::Size(1.3e9)));
        assert_eq!(forecast_size_arg("3x"), Ok(ForecastSize::Times(3.0)));
        assert_eq!(forecast_size_arg(" 1.5X"), Ok(ForecastSize::Times(1.5)));
        assert_eq!(forecast_size_arg("10×"), Ok(ForecastSize::Times(10.0)));
        for bad in ["0x", "-1x", "+3x", "x", "infx", "NaNx", "3bx", "", "-30B", "1e300x", "2e6x", "1e-7x"] {
            assert!(forecast_size_arg(bad).is_err(), "{bad}");
        }
        // a unit left out: 30 parameters (or FLOPs) is no model
        assert_eq!(
            forecast_size_arg(" 30").unwrap_err(),
            "' 30' is under 1,000: give its unit ('30B' for 30 billion) or the whole number"
        );
        assert!(super::size_arg("999").is_err() && super::size_arg("0.5k").is_err());
        assert_eq!(super::size_arg("1k"), Ok(1e3));
        assert_eq!(forecast_size_arg("1e3"), Ok(ForecastSize::Size(1e3)));
        assert_eq!(forecast_size_arg("1e6x"), Ok(ForecastSize::Times(1e6)));
        assert!(forecast_size_arg("1e7x").unwrap_err().contains("outside the multiples"));
    }

    /// clap's own check of every subcommand's arguments (in a debug build; a release build
    /// skips it), and, in any build, that no two arguments of a subcommand share an id or a
    /// long name: two fields of one name in the flattened option groups would silently share
    /// their values (`report --size 30B` was read as the `--sizes` file of DataArgs).
    #[test]
    fn the_command_line_is_consistent() {
        let cli = super::Cli::command();
        cli.clone().debug_assert();
        for sub in cli.get_subcommands() {
            let mut ids = std::collections::BTreeSet::new();
            let mut longs = std::collections::BTreeSet::new();
            for arg in sub.get_arguments() {
                assert!(
                    ids.insert(arg.get_id().as_str()),
                    "{}: two arguments with id '{}'",
                    sub.get_name(),
                    arg.get_id()
                );
                if let Some(long) = arg.get_long() {
                    assert!(longs.insert(long), "{}: two arguments named --{long}", sub.get_name());
                }
            }
        }
    }
}
