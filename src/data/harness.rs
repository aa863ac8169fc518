//! lm-evaluation-harness result JSON: `{"results": {task: {metric: value, metric_stderr: se}},
//! "config": {"model_args": "pretrained=org/name,...", "num_fewshot": k}}`, as one file or a
//! folder tree of them. Both the v0.3 keys (`acc`) and the v0.4 keys (`acc,none`) are read;
//! v0.4's group scores (`mmlu` beside its 57 subjects) are left out, their members read.
//!
//! Each task's few-shot setting is the first of: v0.4's `"n-shot": {task: k}`, its
//! `"configs": {task: {"num_fewshot": k}}`, v0.3's `config.num_fewshot`, and a count the file's
//! name gives (`5-shot`, `5shot`, `five-shot`; else its folder's name). A file whose metadata
//! gives one count and whose name another is an error: one of the two is wrong, and which
//! ladder its results belong to cannot be told.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::data::wide::{self, Role};
use crate::data::{Dataset, Observation, Outcome};
use crate::error::{Error, Location, Result};
use crate::size::{family_in_name, split_model_name};

/// Which metric to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Metric {
    /// Accuracy (`acc`; `multiple_choice_grade` for BIG-bench tasks).
    #[default]
    Acc,
    /// Length-normalised accuracy.
    AccNorm,
}

impl Metric {
    fn keys(self) -> &'static [&'static str] {
        match self {
            Metric::Acc => &["acc", "multiple_choice_grade"],
            Metric::AccNorm => &["acc_norm"],
        }
    }
}

/// Options for reading harness results.
#[derive(Debug, Clone, Default)]
pub struct HarnessOptions {
    pub metric: Metric,
    /// Model name → parameter count, overriding sizes parsed from names.
    pub sizes: Option<HashMap<String, f64>>,
}

/// Read a `model,params` CSV map of sizes. The columns are known by name as a wide table's
/// are (`Model Name`, `Size (B)`, …: [`wide::named`]); other columns are not read.
pub fn load_sizes(path: &Path) -> Result<HashMap<String, f64>> {
    let ds = std::fs::read(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    let shown = path.display().to_string();
    let mut rdr =
        csv::ReaderBuilder::new().trim(csv::Trim::All).delimiter(super::csv_separator(&ds)).from_reader(&ds[..]);
    let headers = rdr.headers().map_err(|e| Error::input(Location::file(&shown).row(1), e.to_string()))?.clone();
    let (mut cm, mut cp): (Option<usize>, Option<(usize, f64)>) = (None, None);
    for (i, h) in headers.iter().enumerate() {
        let earlier = match wide::named(h, &shown)? {
            Some(Role::Model) => cm.replace(i),
            Some(Role::Size(unit)) => cp.replace((i, unit)).map(|(j, _)| j),
            _ => None,
        };
        if let Some(j) = earlier {
            return Err(wide::same_as(&headers, i, j, &shown));
        }
    }
    let cm = cm.ok_or_else(|| Error::input(Location::file(&shown).row(1).field("model"), "missing column 'model'"))?;
    let (cp, unit) = cp.ok_or_else(|| wide::no_size(&headers, &shown))?;
    // each model's size, with the row that gave it first
    let mut out: HashMap<String, (f64, usize)> = HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let at = Location::file(&shown).row(i + 2);
        let rec = rec.map_err(|e| Error::input(at.clone(), format!("malformed CSV: {e}")))?;
        let model = rec.get(cm).unwrap_or("");
        if model.is_empty() {
            return Err(Error::input(at.field(&headers[cm]), "empty value"));
        }
        let p = wide::size(rec.get(cp).unwrap_or(""), unit, &headers[cp], at.clone().field(&headers[cp]))?;
        let &mut (q, row) = out.entry(model.to_string()).or_insert((p, i + 2));
        if q != p {
            return Err(Error::input(
                at.field(&headers[cp]),
                format!(
                    "model '{model}' has size {} here but {} at row {row}; give each model one size",
                    crate::size::format_size(p),
                    crate::size::format_size(q),
                ),
            ));
        }
    }
    Ok(out.into_iter().map(|(model, (p, _))| (model, p)).collect())
}

/// Read harness JSON from files and folders as one collection: each folder's `*.json` files in
/// sorted path order, the roots in the order given, a file reached twice (a folder and a file
/// inside it) read once.
pub fn load_trees(roots: &[&Path], opts: &HarnessOptions) -> Result<Dataset> {
    // (file, whether it was named itself: then a file without results is an error)
    let mut files: Vec<(PathBuf, bool)> = Vec::new();
    let mut seen = HashSet::new();
    for root in roots {
        let named = root.is_file();
        let mut found = Vec::new();
        if named {
            found.push(root.to_path_buf());
        } else {
            collect_json(root, &mut found)?;
            found.sort();
        }
        if found.is_empty() {
            return Err(Error::input(Location::file(root.display().to_string()), "no .json files found"));
        }
        for f in found {
            if seen.insert(std::fs::canonicalize(&f).unwrap_or_else(|_| f.clone())) {
                files.push((f, named));
            }
        }
    }
    let mut c = Collector::default();
    for (f, named) in &files {
        let shown = f.display().to_string();
        let text = std::fs::read_to_string(f).map_err(|e| Error::io(&shown, e))?;
        c.add(&text, f, *named, opts)?;
    }
    c.finish(&crate::data::shown_paths(roots), opts)
}

/// Parse the text of one harness JSON file named `file`.
pub fn parse_json(text: &str, file: &str, opts: &HarnessOptions) -> Result<Dataset> {
    let mut c = Collector::default();
    c.add(text, Path::new(file), true, opts)?;
    c.finish(file, opts)
}

/// Observations gathered file by file.
#[derive(Default)]
struct Collector {
    observations: Vec<Observation>,
    /// n for a task recovered from any file, to fill in scores of exactly 0 or 1
    task_n: HashMap<String, u64>,
    pending: Vec<(usize, f64)>,
    harness_files: usize,
    /// Files whose name says one few-shot count and whose contents another: where, and the two.
    shot_conflicts: Vec<(Location, u64, u64)>,
}

impl Collector {
    /// Add the results of one file; `single` when it is the only file asked for (then a file
    /// without results is an error rather than skipped).
    fn add(&mut self, text: &str, f: &Path, single: bool, opts: &HarnessOptions) -> Result<()> {
        let shown = f.display().to_string();
        let v: Value = serde_json::from_str(text)
            .map_err(|e| Error::input(Location::file(&shown).row(e.line()), format!("malformed JSON: {e}")))?;
        let Some(results) = v.get("results").and_then(Value::as_object) else {
            if single {
                return Err(Error::input(
                    Location::file(&shown).key("results"),
                    "not an lm-evaluation-harness result file (no 'results' object)",
                ));
            }
            return Ok(());
        };
        self.harness_files += 1;
        let model = model_name(&v, f);
        let revision = revision(&v).or_else(|| step_in_path(f));
        // a size found nowhere (NaN) is looked for in the other inputs, then refused unless the
        // model is left out (`crate::data::complete`)
        let params = match opts.sizes.as_ref().and_then(|m| m.get(&model)) {
            Some(&p) => p,
            None => split_model_name(&model).map_or(f64::NAN, |(_, s)| s),
        };
        let family = family_in_name(&model);
        let named = shots_from_path(f);
        let file_shots = v.get("config").and_then(|c| c.get("num_fewshot")).and_then(count);
        let n_shot = v.get("n-shot").and_then(Value::as_object);
        let task_configs = v.get("configs").and_then(Value::as_object);
        // where a task's count came from (for the error below), and the count
        let meta_shots = |task: &str| -> Option<(String, u64)> {
            n_shot
                .and_then(|m| m.get(task))
                .and_then(count)
                .map(|k| (format!("n-shot.{task}"), k))
                .or_else(|| {
                    let c = task_configs?.get(task)?.get("num_fewshot")?;
                    count(c).map(|k| (format!("configs.{task}.num_fewshot"), k))
                })
                .or_else(|| file_shots.map(|k| ("config.num_fewshot".to_string(), k)))
        };
        // the distinct counts the metadata gives, each with the key of the first task that gave it
        let mut meta_counts: Vec<(String, u64)> = Vec::new();
        let n_samples = v.get("n-samples").and_then(Value::as_object);
        let groups = groups(&v, results);
        for (task, metrics) in results {
            if groups.contains(task.as_str()) {
                continue;
            }
            let Some((key, p, se)) = read_metric(metrics, opts.metric) else { continue };
            let at = Location::file(&shown).key(format!("results.{task}.{key}"));
            if !p.is_finite() || !(0.0..=1.0).contains(&p) {
                return Err(Error::input(at, format!("score {p} is outside [0, 1]")));
            }
            let given_n = n_samples
                .and_then(|m| m.get(task))
                .and_then(|t| t.get("effective").or_else(|| t.get("original")))
                .and_then(Value::as_u64);
            let n = given_n.or_else(|| match se {
                Some(se) if se > 0.0 && p > 0.0 && p < 1.0 => Some((p * (1.0 - p) / (se * se) + 1.0).round() as u64),
                _ => None,
            });
            let task_key = task.split(',').next().unwrap_or(task).to_string();
            let meta = meta_shots(task).or_else(|| meta_shots(&task_key));
            let shots = meta.as_ref().map(|m| m.1).or(named).and_then(|k| u32::try_from(k).ok());
            if let Some(m) = meta
                && !meta_counts.iter().any(|(_, k)| *k == m.1)
            {
                meta_counts.push(m);
            }
            if let Some(n) = n {
                self.task_n.entry(task_key.clone()).or_insert(n);
            } else {
                self.pending.push((self.observations.len(), p));
            }
            let outcome = match n {
                Some(n) if n > 0 => Outcome::Counts { correct: (p * n as f64).round() as u64, n },
                _ => Outcome::Score(p),
            };
            self.observations.push(Observation {
                task: task_key,
                family: family.clone(),
                model: model.clone(),
                params,
                tokens: None,
                outcome,
                chance: None,
                shots,
                revision: revision.clone(),
                at,
                rounded: None,
                score: Some(p),
            });
        }
        // a name that says one count where the metadata says another, for every task read
        if let (Some(k), [(key, j)]) = (named, meta_counts.as_slice())
            && *j != k
        {
            self.shot_conflicts.push((Location::file(&shown).key(key.as_str()), *j, k));
        }
        Ok(())
    }

    fn finish(mut self, source: &str, opts: &HarnessOptions) -> Result<Dataset> {
        // every file whose name and contents disagree on the few-shot count, named at once
        if let Some((at, j, k)) = self.shot_conflicts.first() {
            let rest: Vec<String> = self.shot_conflicts[1..].iter().map(|(at, _, _)| at.file.clone()).collect();
            return Err(Error::input(
                at.clone(),
                format!(
                    "the file says {j}-shot but its name says {k}-shot; correct whichever is wrong \
                     (or rename the file) so that its results join the right ladder, or read the \
                     other files and folders without it (several DATA arguments){}",
                    crate::data::and_the_rest("; so do ", &rest)
                ),
            ));
        }
        if self.harness_files == 0 {
            return Err(Error::input(
                Location::file(source),
                "no lm-evaluation-harness result files (JSON with a 'results' object) found",
            ));
        }
        for &(i, p) in &self.pending {
            let o = &mut self.observations[i];
            if let Some(&n) = self.task_n.get(&o.task) {
                o.outcome = Outcome::Counts { correct: (p * n as f64).round() as u64, n };
            }
            // otherwise the task has no item count anywhere: it stays a score-only observation
        }
        if self.observations.is_empty() {
            return Err(Error::input(
                Location::file(source),
                format!("no results with metric {:?}", opts.metric.keys()[0]),
            ));
        }
        Ok(Dataset { source: source.to_string(), observations: self.observations, unreadable: Vec::new() })
    }
}

pub(crate) fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
    for entry in rd {
        let entry = entry.map_err(|e| Error::io(dir.display().to_string(), e))?;
        let p = entry.path();
        if p.is_dir() {
            collect_json(&p, out)?;
        } else if p.extension().is_some_and(|e| e.eq_ignore_ascii_case("json")) {
            out.push(p);
        }
    }
    Ok(())
}

fn read_metric(metrics: &Value, metric: Metric) -> Option<(String, f64, Option<f64>)> {
    let m = metrics.as_object()?;
    for key in metric.keys() {
        for (k, se_k) in
            [(key.to_string(), format!("{key}_stderr")), (format!("{key},none"), format!("{key}_stderr,none"))]
        {
            if let Some(p) = m.get(&k).and_then(Value::as_f64) {
                let se = m.get(&se_k).and_then(Value::as_f64);
                return Some((k, p, se));
            }
        }
    }
    None
}

/// The model's name: the last path component of `pretrained=` in the config, unless that is
/// only a size (a local checkpoint folder such as `.../LLaMA/13B`); then the nearest enclosing
/// folder whose name reads as family-size, else the file name.
fn model_name(v: &Value, file: &Path) -> String {
    let from_args = model_arg(v, "pretrained")
        .or_else(|| v.get("model_name").and_then(Value::as_str))
        .map(|p| p.trim_end_matches('/').rsplit('/').next().unwrap_or(p).to_string());
    let good = |name: &str| split_model_name(name).is_some_and(|(f, _)| !f.is_empty());
    if let Some(n) = &from_args
        && good(n)
    {
        return n.clone();
    }
    for dir in file.ancestors().skip(1) {
        if let Some(name) = dir.file_name().and_then(|s| s.to_str())
            && good(name)
        {
            return name.to_string();
        }
    }
    from_args.unwrap_or_else(|| file.file_stem().and_then(|s| s.to_str()).unwrap_or("model").to_string())
}

/// The value of `key` in a result file's `config.model_args`: "pretrained=org/name,revision=…"
/// or, in later v0.4 files, {"pretrained": "org/name", "revision": …}.
fn model_arg<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    let args = v.get("config").and_then(|c| c.get("model_args"))?;
    match args.as_str() {
        Some(a) => a.split(',').find_map(|kv| kv.trim().strip_prefix(key)?.strip_prefix('=')),
        None => args.get(key).and_then(Value::as_str),
    }
}

/// The checkpoint a result file records, `revision=` in its `model_args`, when it records one.
fn revision(v: &Value) -> Option<String> {
    model_arg(v, "revision").map(str::trim).filter(|r| !r.is_empty()).map(str::to_string)
}

/// The training step a result file's name gives, else its folder's, as a revision
/// (`…-global_step71500_eval_results…` → `step71500`, as Pythia's v0 files name their
/// checkpoint, where v1's record `revision=step71500`): a word of `step` and digits.
fn step_in_path(file: &Path) -> Option<String> {
    let step = |name: &str| -> Option<String> {
        name.split(['-', '_', '.', ' '])
            .find(|w| w.strip_prefix("step").is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())))
            .map(str::to_string)
    };
    file.file_stem()
        .and_then(|s| s.to_str())
        .and_then(step)
        .or_else(|| file.parent().and_then(Path::file_name).and_then(|s| s.to_str()).and_then(step))
}

/// The entries of `results` that aggregate others (v0.4's groups such as `mmlu` over its 57
/// subjects): named in `groups`, or in `group_subtasks` with members among the results. Their
/// items are their members' items, so reading them too would count the same answers twice.
fn groups<'a>(v: &'a Value, results: &serde_json::Map<String, Value>) -> HashSet<&'a str> {
    let mut out: HashSet<&str> =
        v.get("groups").and_then(Value::as_object).into_iter().flatten().map(|(k, _)| k.as_str()).collect();
    if let Some(tree) = v.get("group_subtasks").and_then(Value::as_object) {
        for (group, members) in tree {
            let members = members.as_array().into_iter().flatten().filter_map(Value::as_str);
            if members.into_iter().any(|m| results.contains_key(m)) {
                out.insert(group.as_str());
            }
        }
    }
    out
}

/// A few-shot count as the harness writes it: a number, or (in some v0.4 files) a string of digits.
fn count(v: &Value) -> Option<u64> {
    v.as_u64().or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The few-shot count a result file's name gives, else its folder's (`zero-shot/`), else none.
fn shots_from_path(file: &Path) -> Option<u64> {
    let stem = file.file_stem().and_then(|s| s.to_str());
    let folder = file.parent().and_then(Path::file_name).and_then(|s| s.to_str());
    match stem.map(shots_in_name) {
        Some(Named::Count(k)) => Some(k),
        Some(Named::Unclear) => None,
        Some(Named::Nothing) | None => match folder.map(shots_in_name) {
            Some(Named::Count(k)) => Some(k),
            _ => None,
        },
    }
}

/// What a name says of the few-shot setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Named {
    Nothing,
    Count(u64),
    /// Two different counts, or `few-shot` without one.
    Unclear,
}

/// The count before each "shot" in a name (`5-shot`, `5_shot`, `5shot`, `10-shot`,
/// `zero-shot`, `five-shot`), case aside; `Unclear` when the name gives two different counts
/// or "few-shot".
fn shots_in_name(name: &str) -> Named {
    const WORDS: [&str; 11] = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"];
    let lower = name.to_ascii_lowercase();
    let mut found: Option<u64> = None;
    for (at, _) in lower.match_indices("shot") {
        let before = lower[..at].strip_suffix(['-', '_', ' ']).unwrap_or(&lower[..at]);
        let digits = before.len() - before.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let k = if digits > 0 {
            before[before.len() - digits..].parse().ok()
        } else if before.ends_with("few") {
            return Named::Unclear;
        } else {
            // a number word, not the end of another word ("often-shot")
            WORDS
                .iter()
                .position(|w| {
                    before.strip_suffix(w).is_some_and(|rest| !rest.ends_with(|c: char| c.is_ascii_alphabetic()))
                })
                .map(|k| k as u64)
        };
        match (k, found) {
            (Some(k), Some(f)) if k != f => return Named::Unclear,
            (Some(k), _) => found = Some(k),
            (None, _) => {}
        }
    }
    found.map_or(Named::Nothing, Named::Count)
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Named, shots_in_name, step_in_path};

    #[test]
    fn steps_in_paths() {
        for (path, want) in [
            (
                "pythia-410m/zero-shot/pythia-410m-0shot-global_step71500_eval_results_12-30-2022-21-51-27.json",
                Some("step71500"),
            ),
            ("pythia-160m/zero-shot/160m_step143000.json", Some("step143000")),
            ("results/pythia-160m/step1000/results.json", Some("step1000")),
            ("results/opt-66b.json", None),
            ("stepwise/gsm8k_steps.json", None),
            ("bbh_step.json", None),
            ("step3/arc.json", Some("step3")),
        ] {
            assert_eq!(step_in_path(Path::new(path)).as_deref(), want, "{path}");
        }
    }

    #[test]
    fn shot_counts_in_names() {
        for (name, want) in [
            ("llama-13B_mmlu_5-shot", Named::Count(5)),
            ("pythia-1.4b-5shot-global_step71500_eval_results", Named::Count(5)),
            ("hellaswag_10-shot", Named::Count(10)),
            ("arc_25shot", Named::Count(25)),
            ("mmlu_10shot", Named::Count(10)),
            ("zero-shot", Named::Count(0)),
            ("five-shot", Named::Count(5)),
            ("Five_Shot", Named::Count(5)),
            ("gsm8k_8-shot", Named::Count(8)),
            ("few-shot", Named::Unclear),
            ("arc_0-shot_vs_5-shot", Named::Unclear),
            ("results_2024-06-01T10-00-00", Named::Nothing),
            ("snapshot", Named::Nothing),
            ("often-shot", Named::Nothing),
            ("opt-66b", Named::Nothing),
        ] {
            assert_eq!(shots_in_name(name), want, "{name}");
        }
    }
}
