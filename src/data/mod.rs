//! Loading and validating benchmark results, and turning them into series to fit.
//!
//! Data flows: a file (tidy or wide CSV, or lm-evaluation-harness JSON) → [`Dataset`] of
//! [`Observation`]s → [`Dataset::select`] (family, shots, chance levels) → [`Series`] per
//! (family, task) → [`FitData`], the flat arrays a model's log density reads.

pub mod chance;
pub mod example;
pub mod harness;
pub mod items;
pub mod tidy;
pub mod wide;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Location, Result};

/// What was measured: counts of correct answers, or only a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Outcome {
    /// `correct` of `n` items answered correctly.
    Counts { correct: u64, n: u64 },
    /// A score in [0, 1] with no item count.
    Score(f64),
}

impl Outcome {
    /// The observed score in [0, 1].
    pub fn score(&self) -> f64 {
        match *self {
            Outcome::Counts { correct, n } => correct as f64 / n as f64,
            Outcome::Score(s) => s,
        }
    }
    /// The item count, when known.
    pub fn n(&self) -> Option<u64> {
        match *self {
            Outcome::Counts { n, .. } => Some(n),
            Outcome::Score(_) => None,
        }
    }
}

/// One model's result on one task.
#[derive(Debug, Clone)]
pub struct Observation {
    pub task: String,
    pub family: Option<String>,
    pub model: String,
    /// Parameter count.
    pub params: f64,
    /// Training tokens, when known.
    pub tokens: Option<f64>,
    pub outcome: Outcome,
    /// Chance level given by the data.
    pub chance: Option<f64>,
    /// Few-shot setting, when known.
    pub shots: Option<u32>,
    /// The checkpoint the result is of, when the input records one (`revision=` in a harness
    /// file's `model_args`, a CSV's `revision` column): two revisions of one model are two
    /// models of one size.
    pub revision: Option<String>,
    /// Where this observation was read.
    pub at: Location,
    /// Some(d) when its count was read from a score written to d decimals, the nearest whole
    /// number of the task's items ([`items::fill_item_counts`]).
    pub rounded: Option<u32>,
    /// The score as the data wrote it, when the result was given as a score (a share or a
    /// percentage) and not as a count of correct items: `--items` reads it again
    /// ([`Selection::task_items`]).
    pub score: Option<f64>,
}

/// Observations read from one source.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The file or folder read ("built-in example" for the example).
    pub source: String,
    pub observations: Vec<Observation>,
    /// The cells of a wide table's task columns that are not scores: [`Dataset::select`]
    /// refuses a column with one in a row it keeps, unless the column is left out.
    pub unreadable: Vec<Unreadable>,
}

/// A cell of a wide table's task column that is not a score (text, or a number outside [0, 1]).
#[derive(Debug, Clone)]
pub struct Unreadable {
    pub task: String,
    /// The model and family of the cell's row.
    pub model: String,
    pub family: Option<String>,
    pub at: Location,
    pub msg: String,
}

/// Per name in `names`, the points of the series of that name above `cut` (a parameter count):
/// what a fit held out. Empty lists for names not in `series`, and for every name without a cut.
pub fn points_above(series: &[Series], names: &[String], cut: Option<f64>) -> Vec<Vec<Point>> {
    names
        .iter()
        .map(|name| match (cut, series.iter().find(|s| &s.name == name)) {
            (Some(cut), Some(s)) => s.points.iter().filter(|p| p.params > cut).cloned().collect(),
            _ => Vec::new(),
        })
        .collect()
}

/// Choices that turn a dataset into series.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Keep only the families these patterns match ([`glob_match`]; every family when empty).
    pub families: Vec<String>,
    /// Keep only this few-shot setting.
    pub shots: Option<u32>,
    /// Of each model whose results record several revisions (checkpoints), keep this one's
    /// (`--revision`); results that record none are kept.
    pub revision: Option<String>,
    /// Chance level for tasks neither the data nor the built-in table knows.
    pub chance: Option<f64>,
    /// Chance levels of named tasks, or of the tasks a pattern matches (`--chance TASK=P`),
    /// before the built-in table; a task's own name before a pattern.
    pub task_chance: BTreeMap<String, f64>,
    /// Item counts of named tasks, or of the tasks a pattern matches (`--items TASK=N`): each of
    /// their results given as a score becomes the nearest whole count of N, whatever item count
    /// the data or the built-in table gave it, or stays a score with `--items TASK=none`; a task's
    /// own name before a pattern. A count the data give as such (a `correct` column) stays.
    pub task_items: BTreeMap<String, GivenItems>,
    /// Keep only the tasks these patterns match ([`glob_match`]; every task when empty).
    pub tasks: Vec<String>,
    /// Leave out the tasks these patterns match.
    pub skip_tasks: Vec<String>,
    /// Leave out the models these patterns match (every task's result of each).
    pub skip_models: Vec<String>,
    /// Leave out every series seen at fewer than 3 sizes at or below this size (`--skip-short`;
    /// the holdout's cut, or infinity when nothing is held out): a curve needs 3.
    pub skip_short: Option<f64>,
    /// Leave out every series whose score falls with size up to this size (`--skip-falling`;
    /// the holdout's cut, or infinity): an S-curve rises, so its curve would say little.
    pub skip_falling: Option<f64>,
    /// Of a task and model given two different results (two harness task groups that both hold
    /// the task, run apart), keep the first as the inputs are read instead of stopping
    /// (`--keep-first`); [`Dataset::select_noting`] names each one left out.
    pub keep_first: bool,
}

/// A result [`Selection::keep_first`] left out: a task and model given another result before.
#[derive(Debug, Clone, PartialEq)]
pub struct Repeat {
    pub task: String,
    pub model: String,
    /// Where the result kept was read, and where the one left out.
    pub kept: Location,
    pub left_out: Location,
}

/// What `--items TASK=…` gives a task: its item count, or `none`, which keeps its scores as
/// scores (fitted on the logit scale) even where the data or the built-in table know the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GivenItems(pub Option<u64>);

impl std::fmt::Display for GivenItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("none"),
        }
    }
}

impl Selection {
    /// What `--items` gives `task`: its own name's value, else that of the patterns that match it,
    /// which must then agree.
    pub fn items_of(&self, task: &str) -> Result<Option<GivenItems>> {
        Ok(flagged(task, &self.task_items, ("--items", "N"))?.map(|(_, n)| n))
    }
}

/// Whether `name` holds a `*` or `?`, which [`glob_match`] reads as a pattern.
fn is_pattern(name: &str) -> bool {
    name.contains(['*', '?'])
}

/// "no task 'NAME'", or "no task matches 'PATTERN'" (`what` for task), for an error.
pub fn none_named(what: &str, name: &str) -> String {
    if is_pattern(name) { format!("no {what} matches '{name}'") } else { format!("no {what} '{name}'") }
}

/// Whether `text` matches `pattern`, where `*` stands for any run of characters (none too) and
/// `?` for any one.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    if !is_pattern(pattern) {
        return pattern == text;
    }
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    // the classic greedy match with one backtrack point: the last `*` and where it resumed
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && (p[i] == '?' || p[i] == t[j]) {
            i += 1;
            j += 1;
        } else if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == '*')
}

/// The x-axis of the curve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum XAxis {
    /// log10(parameter count).
    #[default]
    Params,
    /// log10(6 · parameters · training tokens).
    Compute,
}

/// A point of a series.
#[derive(Debug, Clone)]
pub struct Point {
    pub model: String,
    pub params: f64,
    pub tokens: Option<f64>,
    pub outcome: Outcome,
    pub at: Location,
}

/// A task within a model family: the unit that gets one curve.
#[derive(Debug, Clone)]
pub struct Series {
    pub family: Option<String>,
    pub task: String,
    /// Display name: `task`, or `family/task` when several families are present.
    pub name: String,
    pub chance: f64,
    /// Points sorted by size.
    pub points: Vec<Point>,
    /// Whether `--items` gave its item count (or `none`), so that its scores' digits are not
    /// read for one ([`items::revealed_counts`]).
    pub items_given: bool,
}

impl Series {
    /// Number of distinct sizes.
    pub fn n_sizes(&self) -> usize {
        self.n_sizes_upto(f64::INFINITY)
    }

    /// The largest item count of its observations (None when they are scores only).
    pub fn items(&self) -> Option<u64> {
        self.points.iter().filter_map(|p| p.outcome.n()).max()
    }

    /// Number of distinct sizes at or below `cut`.
    pub fn n_sizes_upto(&self, cut: f64) -> usize {
        let mut s: Vec<f64> = self.points.iter().map(|p| p.params).filter(|&p| p <= cut).collect();
        s.dedup();
        s.len()
    }
}

impl Dataset {
    /// The built-in example.
    pub fn example() -> Self {
        tidy::parse_csv(example::EXAMPLE_CSV.as_bytes(), "built-in example").expect("the built-in example is valid")
    }

    /// Load a CSV file (tidy or wide), a harness JSON file, or a folder of harness JSON files.
    pub fn load(path: &Path, opts: &harness::HarnessOptions) -> Result<Self> {
        Self::load_all(&[path], opts)
    }

    /// Load several inputs as one data set: the harness JSON among them (files and folders)
    /// read as one collection, each CSV added as it is (a wide table's missing sizes filled
    /// from `--sizes`, the other inputs or the names). The same (task, model) in two
    /// inputs is one observation when the two agree, and an error at [`Dataset::select`] when
    /// they do not.
    pub fn load_all<P: AsRef<Path>>(paths: &[P], opts: &harness::HarnessOptions) -> Result<Self> {
        Self::load_all_with(paths, opts, None)
    }

    /// [`Dataset::load_all`], with `stdin` the bytes of standard input: what a path `-` reads (a
    /// tidy or wide CSV; harness JSON is read from its files).
    pub fn load_all_with<P: AsRef<Path>>(
        paths: &[P],
        opts: &harness::HarnessOptions,
        stdin: Option<&[u8]>,
    ) -> Result<Self> {
        if paths.is_empty() {
            return Err(Error::Usage("no data files given".into()));
        }
        if paths.iter().filter(|p| is_stdin(p.as_ref())).count() > 1 {
            return Err(Error::Usage("'-' (standard input) is given twice; it can be read once".into()));
        }
        let mut json = Vec::new();
        let mut parts = Vec::new();
        for p in paths.iter().map(AsRef::as_ref) {
            if is_stdin(p) {
                let bytes = stdin.ok_or_else(|| Error::Usage("'-' (standard input) cannot be read here".into()))?;
                if bytes.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|&b| b == b'{' || b == b'[') {
                    return Err(Error::input(
                        Location::file(STDIN_SHOWN),
                        "this is JSON: lm-evaluation-harness results are read from their files or folders, \
                         standard input takes a CSV",
                    ));
                }
                parts.push(tidy::parse_open(bytes, STDIN_SHOWN)?);
                continue;
            }
            let meta = std::fs::metadata(p).map_err(|e| Error::io(p.display().to_string(), e))?;
            if meta.is_dir() || p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
                json.push(p);
            } else {
                parts.push(tidy::load_open(p)?);
            }
        }
        if !json.is_empty() {
            parts.push(harness::load_trees(&json, opts)?);
        }
        let mut unreadable: Vec<Unreadable> = parts.iter().flat_map(|d| d.unreadable.iter().cloned()).collect();
        let mut observations: Vec<Observation> = parts.into_iter().flat_map(|d| d.observations).collect();
        complete(&mut observations, &mut unreadable, opts.sizes.as_ref());
        Ok(Dataset { source: shown_paths(paths), observations, unreadable })
    }

    /// SHA-256 of the bytes of every file read for `paths` (each file as given, and the JSON
    /// files under each folder, in order of their paths) and of `sizes`, the `--sizes` map: what
    /// changes when the files do, whichever version of scurve reads them.
    pub fn files_hash<P: AsRef<Path>>(paths: &[P], sizes: Option<&Path>, stdin: Option<&[u8]>) -> Result<String> {
        let mut files = Vec::new();
        for p in paths.iter().map(AsRef::as_ref) {
            if is_stdin(p) {
                files.push(p.to_path_buf());
            } else if p.is_dir() {
                let mut under = Vec::new();
                harness::collect_json(p, &mut under)?;
                under.sort();
                files.extend(under);
            } else {
                files.push(p.to_path_buf());
            }
        }
        files.extend(sizes.map(Path::to_path_buf));
        let mut h = Sha256::new();
        for f in files {
            let bytes: std::borrow::Cow<[u8]> = match stdin {
                Some(b) if is_stdin(&f) => b.into(),
                _ => std::fs::read(&f).map_err(|e| Error::io(f.display().to_string(), e))?.into(),
            };
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(&bytes);
        }
        Ok(hex(&h.finalize()))
    }

    /// SHA-256 of the observations, independent of row order.
    pub fn hash(&self) -> String {
        let mut rows: Vec<String> = self
            .observations
            .iter()
            .map(|o| {
                let out = match o.outcome {
                    Outcome::Counts { correct, n } => format!("{correct}/{n}"),
                    Outcome::Score(s) => format!("{s:e}"),
                };
                format!(
                    "{}|{}|{}|{:e}|{:?}|{}|{:?}|{:?}",
                    o.family.as_deref().unwrap_or(""),
                    o.task,
                    o.model,
                    o.params,
                    o.tokens,
                    out,
                    o.chance,
                    o.shots
                )
            })
            .collect();
        rows.sort();
        let mut h = Sha256::new();
        for r in rows {
            h.update(r.as_bytes());
            h.update(b"\n");
        }
        hex(&h.finalize())
    }

    /// Distinct families present (None when the data names none).
    pub fn families(&self) -> BTreeSet<Option<String>> {
        self.observations.iter().map(|o| o.family.clone()).collect()
    }

    /// Of `kept`, each model's results at the revision `sel` chose: a model whose results record
    /// several revisions (harness files or CSV rows of several checkpoints) must have one chosen, and with
    /// `--revision` a model that records revisions must record that one. Results that record
    /// none are kept, except beside results of the same model at the revision chosen.
    fn at_revision<'a>(&self, kept: Vec<&'a Observation>, sel: &Selection) -> Result<Vec<&'a Observation>> {
        // each model's revisions, each with the first result that records it
        let mut recorded: BTreeMap<(&Option<String>, &str), Vec<&Observation>> = BTreeMap::new();
        for &o in &kept {
            if let Some(r) = &o.revision {
                let seen = recorded.entry((&o.family, o.model.as_str())).or_default();
                if !seen.iter().any(|p| p.revision.as_ref() == Some(r)) {
                    seen.push(o);
                }
            }
        }
        // a result file, or a CSV's row
        let place = |o: &Observation| Location { key: None, field: None, ..o.at.clone() };
        let listed = |seen: &[&Observation]| -> String {
            let each: Vec<String> =
                seen.iter().map(|o| format!("{} ({})", o.revision.as_deref().unwrap_or(""), place(o))).collect();
            each.join(", ")
        };
        // where a result's revision is written: a CSV's column, or a result file's model_args
        let written = |o: &Observation| match o.at.row {
            Some(_) => place(o).field("revision"),
            None => place(o).key("config.model_args"),
        };
        let Some(chosen) = &sel.revision else {
            let several: Vec<(&str, &Vec<&Observation>)> =
                recorded.iter().filter(|(_, seen)| seen.len() > 1).map(|((_, m), seen)| (*m, seen)).collect();
            if let Some(&(model, seen)) = several.first() {
                let rest: Vec<String> = several[1..].iter().map(|(m, _)| format!("'{m}'")).collect();
                return Err(Error::input(
                    written(seen[1]),
                    format!(
                        "model '{model}' is given at {} revisions: {}{}; each is another checkpoint, and a \
                         ladder takes one per model: choose one with --revision",
                        seen.len(),
                        listed(seen),
                        and_the_rest("; so is ", &rest),
                    ),
                ));
            }
            return Ok(kept);
        };
        // every model without the revision chosen, named at once, the first with its files
        let lacking: Vec<(&str, &Vec<&Observation>)> = recorded
            .iter()
            .filter(|(_, seen)| !seen.iter().any(|o| o.revision.as_ref() == Some(chosen)))
            .map(|((_, model), seen)| (*model, seen))
            .collect();
        if let Some(&(model, seen)) = lacking.first() {
            let all: BTreeSet<&str> = recorded.values().flatten().filter_map(|o| o.revision.as_deref()).collect();
            return Err(if all.contains(chosen.as_str()) {
                let quoted: Vec<String> = lacking.iter().map(|(m, _)| format!("'{m}'")).collect();
                let skip = flags_for(&quoted, "--skip-model", "--skip-model for each");
                Error::input(
                    written(seen[0]),
                    format!(
                        "model '{model}' has no results at --revision {chosen}, only at {}{}; leave {} out with {skip}",
                        listed(seen),
                        and_the_rest("; nor has ", &quoted[1..]),
                        if lacking.len() == 1 { "it" } else { "them" },
                    ),
                )
            } else {
                let found: Vec<&str> = all.into_iter().collect();
                Error::Usage(format!(
                    "{}: no results at --revision {chosen} (found: {})",
                    self.source,
                    found.join(", ")
                ))
            });
        }
        if recorded.is_empty() {
            return Err(Error::Usage(format!(
                "{}: no results record a revision, and --revision {chosen} keeps one: leave the option out",
                self.source
            )));
        }
        Ok(kept
            .into_iter()
            .filter(|o| match &o.revision {
                Some(r) => r == chosen,
                None => !recorded.contains_key(&(&o.family, o.model.as_str())),
            })
            .collect())
    }

    /// Distinct few-shot settings present.
    pub fn shot_settings(&self) -> BTreeSet<u32> {
        self.observations.iter().filter_map(|o| o.shots).collect()
    }

    /// Apply a selection and group into series, checking chance levels and duplicates.
    /// Series with fewer than three sizes are kept (the fit refuses them; `inspect` lists them).
    pub fn select(&self, sel: &Selection) -> Result<Vec<Series>> {
        Ok(self.select_noting(sel)?.0)
    }

    /// [`Self::select`], with the results that [`Selection::keep_first`] left out.
    pub fn select_noting(&self, sel: &Selection) -> Result<(Vec<Series>, Vec<Repeat>)> {
        let shots = self.shot_settings();
        if sel.shots.is_none() && shots.len() > 1 {
            // what each setting holds, so that the choice can be made from this line
            let list: Vec<String> = shots
                .iter()
                .map(|&k| {
                    let at_k = || self.observations.iter().filter(move |o| o.shots == Some(k));
                    let tasks = at_k().map(|o| &o.task).collect::<BTreeSet<_>>().len();
                    let mut sizes: Vec<f64> = at_k().map(|o| o.params).collect();
                    sizes.sort_by(f64::total_cmp);
                    sizes.dedup();
                    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
                    format!("{k}-shot: {}, {}", plural(tasks, "task"), plural(sizes.len(), "size"))
                })
                .collect();
            return Err(Error::Usage(format!(
                "{}: the data mixes few-shot settings ({}); choose one with --shots",
                self.source,
                list.join("; ")
            )));
        }
        if let Some(k) = sel.shots
            && !shots.contains(&k)
        {
            let list: Vec<String> = shots.iter().map(|s| s.to_string()).collect();
            return Err(Error::Usage(format!(
                "{}: no results with --shots {k} (found: {})",
                self.source,
                if list.is_empty() { "none recorded".into() } else { list.join(", ") }
            )));
        }
        // --family takes patterns too ('Llama*' for Llama, Llama-2 and Llama-3); each must match
        let fams = self.families();
        let family_picked =
            |f: &Option<String>| f.as_ref().is_some_and(|f| sel.families.iter().any(|p| glob_match(p, f)));
        if let Some(p) = sel.families.iter().find(|p| !fams.iter().flatten().any(|f| glob_match(p, f))) {
            let list: Vec<String> = fams.iter().map(|f| f.clone().unwrap_or_else(|| "(none)".into())).collect();
            return Err(Error::Usage(format!(
                "{}: {} (found: {})",
                self.source,
                none_named("family", p),
                list.join(", ")
            )));
        }
        // --task, --skip-task, --chance TASK=P and --skip-model take patterns; each must match
        let task_seen = |p: &str| {
            self.observations.iter().any(|o| glob_match(p, &o.task))
                || self.unreadable.iter().any(|u| glob_match(p, &u.task))
        };
        let model_seen = |p: &str| {
            self.observations.iter().any(|o| glob_match(p, &o.model))
                || self.unreadable.iter().any(|u| glob_match(p, &u.model))
        };
        let unmatched = (sel.tasks.iter().chain(&sel.skip_tasks).chain(sel.task_chance.keys()))
            .chain(sel.task_items.keys())
            .find(|p| !task_seen(p))
            .map(|p| none_named("task", p))
            .or_else(|| sel.skip_models.iter().find(|p| !model_seen(p)).map(|p| none_named("model", p)));
        if let Some(what) = unmatched {
            return Err(Error::Usage(format!("{}: {what} (`scurve inspect` lists them)", self.source)));
        }
        let wanted_row = |family: &Option<String>, task: &String, model: &String| {
            (sel.families.is_empty() || family_picked(family))
                && (sel.tasks.is_empty() || sel.tasks.iter().any(|p| glob_match(p, task)))
                && !sel.skip_tasks.iter().any(|p| glob_match(p, task))
                && !sel.skip_models.iter().any(|p| glob_match(p, model))
        };
        // every column with a bad cell in a row kept, named at once, the first with its cell
        let mut bad: Vec<&Unreadable> = Vec::new();
        for u in self.unreadable.iter().filter(|u| wanted_row(&u.family, &u.task, &u.model)) {
            if !bad.iter().any(|b| b.task == u.task) {
                bad.push(u);
            }
        }
        if let Some(u) = bad.first() {
            let rest: Vec<String> = bad[1..].iter().map(|b| format!("'{}' ({})", b.task, b.at)).collect();
            let others = and_the_rest("; so do columns ", &rest);
            let quoted: Vec<String> = bad.iter().map(|b| format!("'{}'", b.task)).collect();
            let skip =
                flags_for(&quoted, "--skip-task", "--skip-task for each (or keep the score columns with --task)");
            let it = if bad.len() == 1 { "the column" } else { "them" };
            return Err(Error::input(
                u.at.clone(),
                format!("{}{others}; correct {it}, or leave {it} out with {skip}", u.msg),
            ));
        }
        let wanted = |o: &&Observation| wanted_row(&o.family, &o.task, &o.model);
        // every model kept whose size no input gave, named at once, the first with its place
        let mut sizeless: Vec<&Observation> = Vec::new();
        for o in self.observations.iter().filter(wanted).filter(|o| o.params.is_nan()) {
            if !sizeless.iter().any(|s| s.model == o.model) {
                sizeless.push(o);
            }
        }
        if let Some(o) = sizeless.first() {
            let quoted: Vec<String> = sizeless.iter().map(|s| format!("'{}'", s.model)).collect();
            let skip = flags_for(&quoted, "--skip-model", "--skip-model for each");
            return Err(Error::input(
                o.at.clone(),
                format!(
                    "cannot tell the size of model '{}'{}: neither the input nor the name gives it; add it (a size \
                     column such as 'params (B)', or --sizes FILE of model,params), read the table beside one that \
                     gives it, or leave {} out with {skip}",
                    o.model,
                    and_the_rest("; nor of ", &quoted[1..]),
                    if sizeless.len() == 1 { "the model" } else { "them" },
                ),
            ));
        }
        // a result whose setting is unknown can be neither kept nor left out by --shots
        if let Some(k) = sel.shots
            && let Some(o) = self.observations.iter().filter(wanted).find(|o| o.shots.is_none())
        {
            return Err(Error::input(
                o.at.clone(),
                format!(
                    "no few-shot setting is recorded here, and --shots {k} keeps only {k}-shot results: \
                     record it (a 'shots' column, or the count in the result file's name) or leave this input out"
                ),
            ));
        }
        let kept: Vec<&Observation> =
            self.observations.iter().filter(wanted).filter(|o| sel.shots.is_none_or(|k| o.shots == Some(k))).collect();
        let kept = self.at_revision(kept, sel)?;
        // a model is one size, trained on one number of tokens, in every row that gives it (a
        // task's own rows are checked below)
        let mut first_of: HashMap<(&Option<String>, &str), &Observation> = HashMap::new();
        let differ = |a: f64, b: f64| (a - b).abs() > 1e-9 * a.abs();
        for &o in &kept {
            let first = *first_of.entry((&o.family, o.model.as_str())).or_insert(o);
            let (what, field, here, there) = match (o.tokens, first.tokens) {
                _ if first.task == o.task => continue,
                _ if differ(first.params, o.params) => ("size", "params", o.params, first.params),
                (Some(t), Some(u)) if differ(u, t) => ("training tokens", "tokens", t, u),
                _ => continue,
            };
            let at = if o.at.field.is_some() { o.at.clone() } else { o.at.clone().field(field) };
            return Err(Error::input(
                at,
                format!(
                    "model '{}' has {what} {} here but {} at {}; give each model one",
                    o.model,
                    crate::size::format_size(here),
                    crate::size::format_size(there),
                    first.at
                ),
            ));
        }
        if kept.is_empty() {
            // the options that chose, when the data had some
            let chose: Vec<&str> = [
                (!sel.families.is_empty(), "--family"),
                (!sel.tasks.is_empty(), "--task"),
                (!sel.skip_tasks.is_empty(), "--skip-task"),
                (!sel.skip_models.is_empty(), "--skip-model"),
                (sel.shots.is_some(), "--shots"),
            ]
            .into_iter()
            .filter_map(|(given, flag)| given.then_some(flag))
            .collect();
            let msg = if self.observations.is_empty() || chose.is_empty() {
                "no observations to fit".to_string()
            } else {
                format!("{} left no observations to fit", chose.join(" and "))
            };
            return Err(Error::input(Location::file(&self.source), msg));
        }
        let many_families = kept.iter().map(|o| &o.family).collect::<BTreeSet<_>>().len() > 1;
        let mut groups: BTreeMap<(Option<String>, String), Vec<&Observation>> = BTreeMap::new();
        for o in kept {
            groups.entry((o.family.clone(), o.task.clone())).or_default().push(o);
        }
        let mut out = Vec::with_capacity(groups.len());
        // each task's first (task, model) that appears twice with different values, and where else
        let mut conflicts: Vec<(&Observation, &Observation)> = Vec::new();
        let mut repeats: Vec<Repeat> = Vec::new();
        // the tasks with no chance level anywhere, each with its first observation's place
        let mut no_chance: Vec<(String, Location)> = Vec::new();
        for ((family, task), obs) in groups {
            let Some(chance) = resolve_chance(&task, &obs, sel)? else {
                if !no_chance.iter().any(|(t, _)| *t == task) {
                    // a wide table's observation already names its task's column
                    let at = &obs[0].at;
                    no_chance.push((task, if at.field.is_some() { at.clone() } else { at.clone().field("chance") }));
                }
                continue;
            };
            let items = sel.items_of(&task)?;
            let mut by_model: HashMap<&str, &Observation> = HashMap::new();
            let mut points = Vec::with_capacity(obs.len());
            for o in obs {
                if let Some(prev) = by_model.get(o.model.as_str()) {
                    // another size is no second run: --keep-first does not choose between sizes
                    if sel.keep_first && prev.params == o.params && prev.outcome != o.outcome {
                        let (task, model) = (o.task.clone(), o.model.clone());
                        repeats.push(Repeat { task, model, kept: prev.at.clone(), left_out: o.at.clone() });
                    } else if (prev.outcome != o.outcome || prev.params != o.params)
                        && !conflicts.iter().any(|(c, _)| c.task == o.task)
                    {
                        conflicts.push((o, prev));
                    }
                    continue;
                }
                by_model.insert(&o.model, o);
                points.push(Point {
                    model: o.model.clone(),
                    params: o.params,
                    tokens: o.tokens,
                    outcome: match (o.score, items) {
                        (Some(s), Some(GivenItems(Some(n)))) => {
                            Outcome::Counts { correct: (s * n as f64).round() as u64, n }
                        }
                        (Some(s), Some(GivenItems(None))) => Outcome::Score(s),
                        _ => o.outcome,
                    },
                    at: o.at.clone(),
                });
            }
            points.sort_by(|a, b| a.params.total_cmp(&b.params).then(a.model.cmp(&b.model)));
            let name = match (&family, many_families) {
                (Some(f), true) => format!("{f}/{task}"),
                _ => task.clone(),
            };
            out.push(Series { family, task, name, chance, points, items_given: items.is_some() });
        }
        if let Some((task, at)) = no_chance.first() {
            let rest: Vec<String> = no_chance[1..].iter().map(|(t, _)| format!("'{t}'")).collect();
            let given: Vec<String> = no_chance.iter().map(|(t, _)| format!("'{t}=P'")).collect();
            let flags = flags_for(&given, "--chance", "--chance TASK=P for each");
            return Err(Error::input(
                at.clone(),
                format!(
                    "no chance level for task '{task}'{}: add a chance column, or pass {flags} (or --chance P \
                     for every task the built-in table does not know)",
                    and_the_rest("; nor for ", &rest)
                ),
            ));
        }
        if let Some(&(o, prev)) = conflicts.first() {
            let flags: Vec<String> = conflicts.iter().map(|(c, _)| format!("--skip-task {}", c.task)).collect();
            let rest: Vec<String> = conflicts[1..].iter().map(|(c, _)| format!("'{}'", c.task)).collect();
            let others = and_the_rest("; so do ", &rest);
            let skip = if conflicts.len() > TASKS_LISTED {
                "leave the tasks out with --skip-task".to_string()
            } else {
                format!("leave {} out with {}", if conflicts.len() == 1 { "the task" } else { "them" }, flags.join(" "))
            };
            return Err(Error::input(
                o.at.clone(),
                format!(
                    "task '{}', model '{}' appears twice with different values (also at {}){others}; \
                     keep one of the two{}, or {skip}",
                    o.task,
                    o.model,
                    prev.at,
                    // two runs of one model; a model at two sizes is a mistake to correct
                    if prev.params == o.params {
                        " (--keep-first keeps the one read first, when both are runs of one model)"
                    } else {
                        ""
                    },
                ),
            ));
        }
        if let Some(cut) = sel.skip_short {
            out.retain(|s| s.n_sizes_upto(cut) >= 3);
            if out.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: no task is left with the 3 sizes a curve needs (--skip-short left out every one)",
                    self.source
                )));
            }
        }
        if let Some(cut) = sel.skip_falling {
            out.retain(|s| !s.falls_upto(cut));
            if out.is_empty() {
                return Err(Error::Usage(format!(
                    "{}: no task is left that rises with size (--skip-falling left out every one)",
                    self.source
                )));
            }
        }
        Ok((out, repeats))
    }
}

/// What every load does once its inputs are read: the sizes an input left open
/// ([`fill_sizes`]), the family of each unreadable column's row where its table gave none (as
/// the row's observations got it), and item counts for scores of tasks whose size is known
/// ([`items::fill_item_counts`]).
pub(crate) fn complete(
    observations: &mut [Observation],
    unreadable: &mut [Unreadable],
    sizes: Option<&HashMap<String, f64>>,
) {
    fill_sizes(observations, sizes);
    for u in unreadable.iter_mut().filter(|u| u.family.is_none()) {
        u.family = match observations.iter().find(|o| o.model == u.model) {
            Some(o) => o.family.clone(),
            None => crate::size::family_in_name(&u.model),
        };
    }
    items::fill_item_counts(observations);
}

/// Give each observation whose input gave no size (params NaN: a wide table without a size
/// column, harness JSON whose model name does not say) its model's size: from `--sizes`, else
/// from another input that has this model, else from the model's name; and, when the table
/// gives none, the other input's family and tokens, else the name's family. A size found
/// nowhere stays NaN, an error at [`Dataset::select`] unless the model is left out.
fn fill_sizes(observations: &mut [Observation], sizes: Option<&HashMap<String, f64>>) {
    let mut known: HashMap<String, (f64, Option<String>, Option<f64>)> = HashMap::new();
    for o in observations.iter().filter(|o| !o.params.is_nan()) {
        known.entry(o.model.clone()).or_insert_with(|| (o.params, o.family.clone(), o.tokens));
    }
    for o in observations.iter_mut().filter(|o| o.params.is_nan()) {
        let other = known.get(&o.model);
        if let Some(&p) = sizes.and_then(|m| m.get(&o.model)) {
            o.params = p;
        } else if let Some(&(p, _, _)) = other {
            o.params = p;
        } else if let Some((_, p)) = crate::size::split_model_name(&o.model) {
            o.params = p;
        }
        // the family the table gives, else the other input's, else the name's (as for harness JSON)
        if let Some((_, family, tokens)) = other {
            o.family = o.family.take().or_else(|| family.clone());
            o.tokens = o.tokens.or(*tokens);
        }
        if o.family.is_none() {
            o.family = crate::size::family_in_name(&o.model);
        }
    }
}

/// Why a cell that should be a number is not one, when the reason is a common one: a decimal
/// comma (`0,25`, from a spreadsheet in a language that writes them) — "" otherwise.
pub(crate) fn number_hint(cell: &str) -> &'static str {
    let (whole, frac) = cell.split_once(',').unwrap_or(("", ""));
    let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
    if digits(whole.trim_start_matches('-')) && digits(frac.trim_end_matches('%')) {
        " (a decimal comma? write the number with a point, e.g. 0.25)"
    } else {
        ""
    }
}

/// The field separator of a CSV file: a comma, unless its header has none and has tabs (a TSV,
/// or a table copied from a spreadsheet) or semicolons (a spreadsheet's export in a language
/// that writes decimal commas).
pub(crate) fn csv_separator(bytes: &[u8]) -> u8 {
    let header = bytes.split(|&b| b == b'\n').find(|l| !l.iter().all(u8::is_ascii_whitespace)).unwrap_or(&[]);
    let has = |c: u8| header.contains(&c);
    if has(b',') {
        b','
    } else if has(b'\t') {
        b'\t'
    } else if has(b';') {
        b';'
    } else {
        b','
    }
}

/// The rest of a list an error names after its first item, up to three of them and how many
/// more, after `lead` ("" when there is no rest).
pub(crate) fn and_the_rest(lead: &str, rest: &[String]) -> String {
    match rest.len() {
        0 => String::new(),
        1..=3 => format!("{lead}{}", rest.join(", ")),
        n => format!("{lead}{} and {} more", rest[..3].join(", "), n - 3),
    }
}

/// The value `flag` (`--chance` TASK=P, `--items` TASK=N, `value` naming it: `P`, `N`) gives
/// `task`, with the TASK it was given under: its own name, else the patterns that match it,
/// which must then agree.
fn flagged<'a, T: Copy + PartialEq + std::fmt::Display>(
    task: &str,
    given: &'a BTreeMap<String, T>,
    (flag, value): (&str, &str),
) -> Result<Option<(&'a str, T)>> {
    if let Some((name, &p)) = given.get_key_value(task) {
        return Ok(Some((name, p)));
    }
    let mut found: Option<(&str, T)> = None;
    for (pattern, &p) in given.iter().filter(|(k, _)| is_pattern(k) && glob_match(k, task)) {
        match found {
            Some((other, q)) if q != p => {
                return Err(Error::Usage(format!(
                    "{flag} '{other}={q}' and {flag} '{pattern}={p}' both match task '{task}'; give it its own \
                     ({flag} '{task}={value}')"
                )));
            }
            _ => found = Some((pattern, p)),
        }
    }
    Ok(found)
}

/// A task's chance level: from the data, else `--chance TASK=P`, else the built-in table, else
/// `--chance P` (None when none of them gives one); a level the data gives and a flag
/// contradicts is an error.
fn resolve_chance(task: &str, obs: &[&Observation], sel: &Selection) -> Result<Option<f64>> {
    let flag = flagged(task, &sel.task_chance, ("--chance", "P"))?;
    let given: Vec<&Observation> = obs.iter().copied().filter(|o| o.chance.is_some()).collect();
    if let Some(first) = given.first() {
        let c = first.chance.unwrap_or_default();
        if let Some(other) = given.iter().find(|o| (o.chance.unwrap_or_default() - c).abs() > 1e-9) {
            return Err(Error::input(
                other.at.clone().field("chance"),
                format!("task '{task}' has chance {} here but {c} at {}", other.chance.unwrap_or_default(), first.at),
            ));
        }
        if let Some((name, f)) = flag
            && (f - c).abs() > 1e-9
        {
            return Err(Error::input(
                first.at.clone().field("chance"),
                format!("task '{task}' has chance {c} here but --chance {name}={f}; drop the flag or correct the data"),
            ));
        }
        return Ok(Some(c));
    }
    Ok(flag.map(|(_, f)| f).or_else(|| chance::builtin_chance(task)).or(sel.chance))
}

/// Several inputs named in one line: all of them up to three, else the first two and how many more.
pub fn shown_paths<P: AsRef<Path>>(paths: &[P]) -> String {
    let shown: Vec<String> = paths
        .iter()
        .map(|p| if is_stdin(p.as_ref()) { STDIN_SHOWN.to_string() } else { p.as_ref().display().to_string() })
        .collect();
    match shown.len() {
        0..=3 => shown.join(", "),
        n => format!("{}, {} and {} more", shown[0], shown[1], n - 2),
    }
}

/// The data path that stands for standard input.
pub const STDIN: &str = "-";

/// How standard input is named in messages.
pub const STDIN_SHOWN: &str = "standard input";

/// Whether a data path is `-`, standard input.
pub fn is_stdin(p: &Path) -> bool {
    p.as_os_str() == STDIN
}

/// Lowercase hexadecimal of bytes.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The flat arrays a model's log density reads: one entry per observation in the fit.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FitData {
    /// Series names, one per curve.
    pub series: Vec<String>,
    /// Chance level per series.
    pub chance: Vec<f64>,
    /// Model names (for the per-model effect).
    pub models: Vec<String>,
    /// Per observation: series index.
    pub task: Vec<usize>,
    /// Per observation: model index.
    pub model: Vec<usize>,
    /// Per observation: x (log10 size or compute).
    pub x: Vec<f64>,
    /// Per observation: correct count (0 when only a score is known).
    pub y: Vec<u64>,
    /// Per observation: item count (0 when only a score is known).
    pub n: Vec<u64>,
    /// Per observation: the observed score.
    pub score: Vec<f64>,
    /// The x-axis used.
    pub x_axis: XAxis,
}

impl FitData {
    /// Flatten series into fit arrays, leaving out sizes above `holdout_above` (a parameter
    /// count). Refuses series with fewer than three sizes left.
    pub fn build(series: &[Series], x_axis: XAxis, holdout_above: Option<f64>) -> Result<Self> {
        Self::build_with(series, x_axis, |_, p| holdout_above.is_none_or(|h| p.params <= h), holdout_above.is_some())
    }

    /// Flatten series, keeping the points `keep(series index, point)` accepts. Refuses series
    /// with fewer than three sizes kept; `held_out` only words that error.
    pub fn build_with(
        series: &[Series],
        x_axis: XAxis,
        keep: impl Fn(usize, &Point) -> bool,
        held_out: bool,
    ) -> Result<Self> {
        let kept: Vec<Vec<&Point>> =
            series.iter().enumerate().map(|(si, s)| s.points.iter().filter(|p| keep(si, p)).collect()).collect();
        let short: Vec<(&Series, usize)> = series
            .iter()
            .zip(&kept)
            .map(|(s, pts)| {
                let mut sizes: Vec<f64> = pts.iter().map(|p| p.params).collect();
                sizes.dedup();
                (s, sizes.len())
            })
            .filter(|&(_, n)| n < 3)
            .collect();
        if short.len() == series.len() && series.len() > 1 {
            // nothing to fit: a list of every task and a flag to skip each would not help
            let mut sizes: Vec<f64> = kept.iter().flatten().map(|p| p.params).collect();
            sizes.sort_by(f64::total_cmp);
            sizes.dedup();
            let shown: Vec<String> = sizes.iter().map(|&v| crate::size::format_size(v)).collect();
            let most = short.iter().map(|&(_, n)| n).max().unwrap_or(0);
            let after = if held_out { " after the holdout (is its size right? e.g. 13B or 1.3e10)" } else { "" };
            return Err(Error::Usage(format!(
                "none of the {} tasks has the 3 sizes a curve needs{after}: each has at most {most} (sizes kept: {})",
                series.len(),
                if shown.is_empty() { "none".to_string() } else { shown.join(", ") }
            )));
        }
        if !short.is_empty() {
            return Err(too_few_sizes(&short, held_out));
        }
        // scores without item counts are modelled on the logit scale, where a score of exactly 0
        // or 1 is no value at all: a task with nothing else says nothing about its curve
        let blank: Vec<&Series> = series
            .iter()
            .zip(&kept)
            .filter(|(_, pts)| {
                let scores: Vec<Option<f64>> = pts
                    .iter()
                    .map(|p| match p.outcome {
                        Outcome::Score(v) => Some(v),
                        Outcome::Counts { .. } => None,
                    })
                    .collect();
                scores.iter().all(|v| *v == Some(0.0)) || scores.iter().all(|v| *v == Some(1.0))
            })
            .map(|(s, _)| s)
            .collect();
        if let Some(first) = blank.first() {
            let rest: Vec<String> = blank[1..].iter().map(|s| format!("'{}'", s.name)).collect();
            let mut tasks: Vec<&str> = Vec::new();
            for s in &blank {
                if !tasks.contains(&s.task.as_str()) {
                    tasks.push(&s.task);
                }
            }
            let flags = flags_for(&tasks, "--skip-task", "--skip-task for each");
            // --skip-task takes a task out of every family, where other families' scores may be fine
            let families = series.iter().map(|s| &s.family).collect::<BTreeSet<_>>().len();
            let family_hint = if families > 1 {
                ", which leaves the task out of every family; --family keeps only the families named"
            } else {
                ""
            };
            let value = |s: &Series| s.points[0].outcome.score();
            let value =
                if blank.iter().all(|s| value(s) == value(first)) { value(first).to_string() } else { "0 or 1".into() };
            let (who, them) = match rest.as_slice() {
                [] => (format!("task '{}' has", first.name), "it"),
                _ => (format!("tasks '{}'{} have", first.name, and_the_rest(", ", &rest)), "them"),
            };
            return Err(Error::input(
                first.points[0].at.clone(),
                format!(
                    "{who} only scores of exactly {value} and no item counts: on the logit scale such a score \
                     says nothing about the curve; give the item count (an 'n' column, or the harness's \
                     n-samples) or leave {them} out ({flags}{family_hint})"
                ),
            ));
        }
        let mut d = FitData::empty(x_axis);
        let mut model_ix: HashMap<String, usize> = HashMap::new();
        for (s, pts) in series.iter().zip(kept) {
            let t = d.series.len();
            d.series.push(s.name.clone());
            d.chance.push(s.chance);
            for p in pts {
                let x = x_value(p, x_axis)?;
                let m = *model_ix.entry(p.model.clone()).or_insert_with(|| {
                    d.models.push(p.model.clone());
                    d.models.len() - 1
                });
                d.task.push(t);
                d.model.push(m);
                d.x.push(x);
                d.score.push(p.outcome.score());
                match p.outcome {
                    Outcome::Counts { correct, n } => {
                        d.y.push(correct);
                        d.n.push(n);
                    }
                    Outcome::Score(_) => {
                        d.y.push(0);
                        d.n.push(0);
                    }
                }
            }
        }
        Ok(d)
    }

    /// No series and no observations, on an axis.
    pub fn empty(x_axis: XAxis) -> Self {
        FitData {
            series: Vec::new(),
            chance: Vec::new(),
            models: Vec::new(),
            task: Vec::new(),
            model: Vec::new(),
            x: Vec::new(),
            y: Vec::new(),
            n: Vec::new(),
            score: Vec::new(),
            x_axis,
        }
    }

    /// Number of observations.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there are no observations.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// The smallest and largest x fitted ((+∞, −∞) when empty).
    pub fn x_range(&self) -> (f64, f64) {
        self.x.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| (lo.min(x), hi.max(x)))
    }

    /// The observations of one series, as indices.
    pub fn indices_of(&self, t: usize) -> Vec<usize> {
        (0..self.len()).filter(|&i| self.task[i] == t).collect()
    }

    /// A copy restricted to one series (for per-task fits).
    pub fn only_series(&self, t: usize) -> FitData {
        let idx = self.indices_of(t);
        let mut models: Vec<String> = Vec::new();
        let mut remap: HashMap<usize, usize> = HashMap::new();
        for &i in &idx {
            remap.entry(self.model[i]).or_insert_with(|| {
                models.push(self.models[self.model[i]].clone());
                models.len() - 1
            });
        }
        FitData {
            series: vec![self.series[t].clone()],
            chance: vec![self.chance[t]],
            models,
            task: vec![0; idx.len()],
            model: idx.iter().map(|&i| remap[&self.model[i]]).collect(),
            x: idx.iter().map(|&i| self.x[i]).collect(),
            y: idx.iter().map(|&i| self.y[i]).collect(),
            n: idx.iter().map(|&i| self.n[i]).collect(),
            score: idx.iter().map(|&i| self.score[i]).collect(),
            x_axis: self.x_axis,
        }
    }
}

/// The error for series with fewer than three sizes to fit: every one of them, and the
/// `--skip-task` flags that leave them out.
fn too_few_sizes(short: &[(&Series, usize)], held_out: bool) -> Error {
    let after = if held_out { " after the holdout" } else { "" };
    let mut tasks: Vec<&str> = Vec::new();
    for (s, _) in short {
        if !tasks.contains(&s.task.as_str()) {
            tasks.push(&s.task);
        }
    }
    let flags: Vec<String> = tasks.iter().map(|t| format!("--skip-task {t}")).collect();
    let what = match short {
        [(s, n)] => format!("task '{}' has {n} size(s) to fit{after}", s.name),
        _ => {
            let list: Vec<String> = short.iter().map(|(s, n)| format!("'{}' ({n})", s.name)).collect();
            if list.len() > TASKS_LISTED {
                // a list of a hundred flags is no help: name a few, and the one flag for all
                return Error::Usage(format!(
                    "{} tasks have fewer than 3 sizes to fit{after}: {} and {} more; a curve needs at least 3 \
                     (`scurve inspect` lists them; --skip-short leaves them all out)",
                    short.len(),
                    list[..3].join(", "),
                    list.len() - 3
                ));
            }
            format!("{} tasks have fewer than 3 sizes to fit{after}: {}", short.len(), list.join(", "))
        }
    };
    Error::Usage(format!(
        "{what}; a curve needs at least 3 (see `scurve inspect`; {} leaves {} out)",
        flags.join(" "),
        if short.len() == 1 { "it" } else { "them" }
    ))
}

/// Up to this many tasks (with too few sizes, or conflicting rows) are named one by one in an
/// error, each with its `--skip-task`.
const TASKS_LISTED: usize = 5;

/// `flag` before each of `args`, joined: the options that deal with each one named; or `many`
/// past [`TASKS_LISTED`] of them, where a list of flags is no help.
fn flags_for<S: AsRef<str>>(args: &[S], flag: &str, many: &str) -> String {
    if args.len() > TASKS_LISTED {
        return many.to_string();
    }
    args.iter().map(|a| format!("{flag} {}", a.as_ref())).collect::<Vec<_>>().join(" ")
}

/// Training compute in FLOPs of a model of `params` parameters trained on `tokens` tokens:
/// 6 · params · tokens, what the compute axis is the log10 of.
pub fn training_compute(params: f64, tokens: f64) -> f64 {
    6.0 * params * tokens
}

/// The x value of a point on an axis.
pub fn x_value(p: &Point, axis: XAxis) -> Result<f64> {
    match axis {
        XAxis::Params => Ok(p.params.log10()),
        XAxis::Compute => match p.tokens {
            Some(t) => Ok(training_compute(p.params, t).log10()),
            None => Err(Error::input(
                p.at.clone().field("tokens"),
                format!("--x compute needs training tokens, and model '{}' has none", p.model),
            )),
        },
    }
}

/// What `inspect` says about one series.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeriesReport {
    pub series: String,
    pub family: Option<String>,
    pub task: String,
    pub chance: f64,
    pub sizes: usize,
    pub smallest: f64,
    pub largest: f64,
    /// Item count (the largest seen, when it varies), None for scores only.
    pub items: Option<u64>,
    pub min_score: f64,
    pub max_score: f64,
    /// Every score lies within two binomial standard errors of chance (or below it): the
    /// midpoint and slope cannot be identified from these data.
    pub at_chance: bool,
    /// The score falls with size by more than the noise.
    pub falls: bool,
    /// The slope of the score's line on log10 size, per decade, and its standard error (see
    /// [`Series::trend_upto`]); None without two sizes.
    pub trend_per_decade: Option<f64>,
    pub trend_se: Option<f64>,
    /// Fewer than three sizes: cannot be fitted.
    pub too_few_sizes: bool,
}

/// A rough standard error of score `s` at point `p`: binomial with its item count, else 0.02.
fn rough_se(p: &Point, s: f64) -> f64 {
    match p.outcome.n() {
        Some(n) => (s.clamp(0.01, 0.99) * (1.0 - s.clamp(0.01, 0.99)) / n as f64).sqrt(),
        None => 0.02,
    }
}

/// Whether a line (slope, standard error) falls by more than two standard errors.
fn falling(trend: Option<(f64, f64)>) -> bool {
    trend.is_some_and(|(slope, se)| slope < -2.0 * se)
}

impl Series {
    /// The least-squares line of score on log10 size up to size `cut`, each point weighted by
    /// its binomial precision (at the series' mean score, so that low scores do not weigh
    /// more; a score without an item count as a standard error of 0.02): its slope per decade
    /// and that slope's standard error. None without two sizes.
    pub fn trend_upto(&self, cut: f64) -> Option<(f64, f64)> {
        let kept: Vec<&Point> = self.points.iter().filter(|p| p.params <= cut).collect();
        if kept.len() < 2 {
            return None;
        }
        let score: Vec<f64> = kept.iter().map(|p| p.outcome.score()).collect();
        let mean = score.iter().sum::<f64>() / score.len() as f64;
        let w: Vec<f64> = kept.iter().map(|p| rough_se(p, mean).powi(-2)).collect();
        let x: Vec<f64> = kept.iter().map(|p| p.params.log10()).collect();
        let total: f64 = w.iter().sum();
        let weighted_mean = |v: &[f64]| w.iter().zip(v).map(|(w, v)| w * v).sum::<f64>() / total;
        let (x_bar, s_bar) = (weighted_mean(&x), weighted_mean(&score));
        let (mut sxx, mut sxy) = (0.0, 0.0);
        for ((w, x), s) in w.iter().zip(&x).zip(&score) {
            sxx += w * (x - x_bar).powi(2);
            sxy += w * (x - x_bar) * (s - s_bar);
        }
        (sxx > 0.0).then(|| (sxy / sxx, 1.0 / sxx.sqrt()))
    }

    /// Whether the scores up to size `cut` fall with size by more than the noise: their line
    /// ([`Series::trend_upto`]) falls by more than two of its standard errors. An S-curve
    /// rises, so such a task's curve says little. The line, not the first and last sizes
    /// alone, so that one noisy end neither makes a rising task fall nor hides a steady fall.
    pub fn falls_upto(&self, cut: f64) -> bool {
        falling(self.trend_upto(cut))
    }

    /// Flags for `inspect`.
    pub fn report(&self) -> SeriesReport {
        let at_chance = self.points.iter().all(|p| p.outcome.score() - self.chance <= 2.0 * rough_se(p, self.chance));
        let (first, last) = (&self.points[0], &self.points[self.points.len() - 1]);
        let trend = self.trend_upto(f64::INFINITY);
        let falls = falling(trend);
        let scores: Vec<f64> = self.points.iter().map(|p| p.outcome.score()).collect();
        SeriesReport {
            series: self.name.clone(),
            family: self.family.clone(),
            task: self.task.clone(),
            chance: self.chance,
            sizes: self.n_sizes(),
            smallest: first.params,
            largest: last.params,
            items: self.items(),
            min_score: scores.iter().cloned().fold(f64::INFINITY, f64::min),
            max_score: scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max),
            at_chance,
            falls,
            trend_per_decade: trend.map(|t| t.0),
            trend_se: trend.map(|t| t.1),
            too_few_sizes: self.n_sizes() < 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        for (p, t, m) in [
            ("hendrycksTest-*", "hendrycksTest-anatomy", true),
            ("hendrycksTest-*", "hendrycksTest-", true),
            ("hendrycksTest-*", "arc_easy", false),
            ("*_easy", "arc_easy", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("arc_?asy", "arc_easy", true),
            ("arc_?asy", "arc_asy", false),
            ("*", "", true),
            ("", "x", false),
            ("piqa", "piqa", true),
        ] {
            assert_eq!(glob_match(p, t), m, "{p} on {t}");
        }
    }
}
