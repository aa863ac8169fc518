//! Saved fits: a folder with `fit.json` (settings, hashes, diagnostics, summaries, the data
//! fitted) and one CmdStan-format CSV of draws per chain (`draws_1.csv`, ...), which ArviZ's
//! `from_cmdstan` and R's posterior read. Folders are written whole or not at all.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::data::{FitData, is_stdin};
use crate::error::{Error, Location, Result};
use crate::fit::FitDiagnostics;
use crate::posterior::Posterior;
use crate::sample::{DrawStats, NutsOptions};
use crate::spec::ModelSpec;
use crate::summary::TaskSummary;

/// The sampler statistics columns of a CmdStan CSV, in order.
pub const STAT_COLUMNS: [&str; 7] =
    ["lp__", "accept_stat__", "stepsize__", "treedepth__", "n_leapfrog__", "divergent__", "energy__"];

/// What a saved fit records about its data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DataRecord {
    /// The file or folder read, as given ("built-in example" for the example); when the data came
    /// from several, a short list of them for display (`sources` has them all).
    pub source: String,
    /// Each file or folder read, when there were several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sources: Vec<String>,
    /// SHA-256 of the observations read (see `Dataset::hash`).
    pub hash: String,
    /// SHA-256 of the files read (see `Dataset::files_hash`; None for the built-in example and
    /// fits made before it was recorded): tells a changed file from a version of scurve that
    /// reads the same file differently.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub files_hash: Option<String>,
    pub holdout_above: Option<f64>,
    /// The families kept (every family when empty); `family` is how fits before several
    /// families could be kept recorded one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub families: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    pub shots: Option<u32>,
    /// The revision `--revision` chose, of the models whose results record several.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub metric: String,
    pub chance: Option<f64>,
    /// Chance levels given per task (`--chance TASK=P`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub task_chance: std::collections::BTreeMap<String, f64>,
    /// Item counts given per task (`--items TASK=N`; null for `--items TASK=none`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub task_items: std::collections::BTreeMap<String, Option<u64>>,
    /// The `--sizes` map used for harness JSON, when any.
    #[serde(default)]
    pub sizes: Option<String>,
    /// The tasks `--task` kept (every task when empty) and `--skip-task` left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_tasks: Vec<String>,
    /// The models `--skip-model` left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skip_models: Vec<String>,
    /// Tasks seen at fewer than 3 sizes (up to the holdout) were left out (`--skip-short`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_short: bool,
    /// Tasks whose scores fall with size (up to the holdout) were left out (`--skip-falling`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub skip_falling: bool,
    /// Of a task and model given two different results, the first read was kept (`--keep-first`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub keep_first: bool,
}

impl DataRecord {
    /// The selection the fit was made with.
    pub fn selection(&self) -> crate::data::Selection {
        crate::data::Selection {
            families: self.families.iter().chain(&self.family).cloned().collect(),
            shots: self.shots,
            revision: self.revision.clone(),
            chance: self.chance,
            task_chance: self.task_chance.clone(),
            task_items: self.task_items.iter().map(|(t, &n)| (t.clone(), crate::data::GivenItems(n))).collect(),
            tasks: self.tasks.clone(),
            skip_tasks: self.skip_tasks.clone(),
            skip_models: self.skip_models.clone(),
            skip_short: self.skip_short.then(|| self.holdout_above.unwrap_or(f64::INFINITY)),
            skip_falling: self.skip_falling.then(|| self.holdout_above.unwrap_or(f64::INFINITY)),
            keep_first: self.keep_first,
        }
    }
}

/// What a saved fit records about its model file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelRecord {
    pub name: String,
    pub source: String,
    pub hash: String,
    /// The file's whole text, so the fit can be used without it.
    pub text: String,
}

/// Per-series facts a forecast needs.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SeriesRecord {
    pub name: String,
    pub chance: f64,
    /// Item count of the task (the largest seen), None for scores only.
    pub items: Option<u64>,
    /// Largest x in the fit (log10 size, or log10 compute).
    pub largest_x: f64,
}

/// The contents of `fit.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FitRecord {
    pub scurve_version: String,
    /// UTC time of writing, ISO 8601.
    pub created: String,
    /// `nuts`, `map` (each task alone) or `hierarchical_map`.
    pub method: String,
    pub model: ModelRecord,
    pub data: DataRecord,
    pub settings: Option<NutsOptions>,
    pub seed: u64,
    pub diagnostics: Option<FitDiagnostics>,
    pub population: serde_json::Value,
    pub tasks: Vec<TaskSummary>,
    pub series: Vec<SeriesRecord>,
    pub models: Vec<String>,
    /// The observations fitted.
    pub observations: FitData,
    /// Draw columns (besides the sampler statistics) and the CSV files holding them.
    pub columns: Vec<String>,
    pub draws_files: Vec<String>,
}

/// A fit loaded from its folder.
#[derive(Debug, Clone)]
pub struct SavedFit {
    pub dir: PathBuf,
    pub record: FitRecord,
    pub posterior: Posterior,
    pub spec: ModelSpec,
    /// The fit's data read again and selected as the fit selected it, once [`verify`] has (None
    /// inside when the data is no longer on disk): what [`heldout_points`] reads.
    reselected: std::cell::OnceCell<Option<Vec<crate::data::Series>>>,
}

/// Current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // civil from days (H. Hinnant)
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    format!("{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60)
}

/// Write a fit folder atomically: `fit.json`, a draws file per chain, and the data read from
/// standard input when there was some (`stdin`, kept as [`STDIN_COPY`] so that later commands
/// read it again). Everything goes to a temporary sibling folder that is renamed into place at
/// the end. An existing folder is replaced only with `force`.
pub fn save(dir: &Path, record: &FitRecord, posterior: &Posterior, force: bool, stdin: Option<&[u8]>) -> Result<()> {
    check_writable(dir, force)?;
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| Error::io(parent.display().to_string(), e))?;
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("fit");
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    let result = (|| {
        std::fs::create_dir(&tmp).map_err(|e| Error::io(tmp.display().to_string(), e))?;
        for (c, file) in record.draws_files.iter().enumerate() {
            write_cmdstan_csv(&tmp.join(file), record, posterior, c)?;
        }
        if let Some(bytes) = stdin {
            write_file(&tmp.join(STDIN_COPY), bytes)?;
        }
        let json = serde_json::to_string_pretty(record).map_err(|e| Error::Fit(e.to_string()))?;
        write_file(&tmp.join("fit.json"), json.as_bytes())?;
        if dir.exists() {
            let old = parent.join(format!(".{name}.old-{}", std::process::id()));
            std::fs::rename(dir, &old).map_err(|e| Error::io(dir.display().to_string(), e))?;
            std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
            let _ = std::fs::remove_dir_all(&old);
        } else {
            std::fs::rename(&tmp, dir).map_err(|e| Error::io(dir.display().to_string(), e))?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Refuse to overwrite an existing fit without `force` (checked before any work is done).
pub fn check_writable(dir: &Path, force: bool) -> Result<()> {
    if dir.exists() && !force {
        return Err(Error::Usage(format!(
            "{} already exists: choose another --out or pass --force to replace it",
            dir.display()
        )));
    }
    Ok(())
}

/// Write a file whole or not at all: the bytes go to a hidden temporary file beside `path`,
/// which is renamed over it at the end (and removed if anything fails).
pub fn write_whole(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = write_file(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| Error::io(path.display().to_string(), e)));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = std::fs::File::create(path).map_err(|e| Error::io(path.display().to_string(), e))?;
    f.write_all(bytes).and_then(|_| f.sync_all()).map_err(|e| Error::io(path.display().to_string(), e))
}

fn write_cmdstan_csv(path: &Path, record: &FitRecord, p: &Posterior, chain: usize) -> Result<()> {
    let mut s = String::new();
    let opts = record.settings.unwrap_or_default();
    s.push_str(&format!("# model = {}\n", record.model.name));
    s.push_str(&format!("# scurve_version = {}\n", record.scurve_version));
    s.push_str(&format!("# method = {}\n", if record.method == "nuts" { "sample" } else { "laplace" }));
    s.push_str(&format!("#   num_samples = {}\n", p.draws[chain].len()));
    s.push_str(&format!("#   num_warmup = {}\n", if record.method == "nuts" { opts.warmup } else { 0 }));
    s.push_str("#   save_warmup = false\n#   thin = 1\n");
    s.push_str(&format!("#     engine = {}\n", opts.engine()));
    s.push_str(&format!("#     max_depth = {}\n", opts.max_depth));
    if opts.draw_depth > 0 {
        s.push_str(&format!("#     draw_depth = {}\n", opts.draw_depth));
    }
    s.push_str(&format!("#     delta = {}\n", opts.target_accept));
    s.push_str(&format!("# id = {}\n", chain + 1));
    s.push_str(&format!("# seed = {}\n", record.seed));
    s.push_str(&format!("# data_hash = {}\n", record.data.hash));
    let mut header: Vec<&str> = STAT_COLUMNS.to_vec();
    header.extend(p.names.iter().map(String::as_str));
    s.push_str(&header.join(","));
    s.push('\n');
    let stats = p.stats.get(chain);
    for (d, row) in p.draws[chain].iter().enumerate() {
        let st = stats.and_then(|c| c.get(d)).copied().unwrap_or_default();
        s.push_str(&format!(
            "{},{},{},{},{},{},{}",
            st.lp, st.accept_stat, st.stepsize, st.treedepth, st.n_leapfrog, st.divergent as u8, st.energy
        ));
        for v in row {
            s.push(',');
            s.push_str(&v.to_string());
        }
        s.push('\n');
    }
    write_file(path, s.as_bytes())
}

/// Load a fit folder.
pub fn load(dir: &Path) -> Result<SavedFit> {
    let json_path = dir.join("fit.json");
    if !json_path.is_file() {
        return Err(not_a_fit(dir));
    }
    let shown = json_path.display().to_string();
    let text = std::fs::read_to_string(&json_path).map_err(|e| Error::io(&shown, e))?;
    let record: FitRecord = serde_json::from_str(&text)
        .map_err(|e| Error::input(Location::file(&shown).row(e.line()), format!("not a scurve fit: {e}")))?;
    let spec = ModelSpec::parse(&record.model.text, &record.model.source)?;
    let mut draws = Vec::new();
    let mut stats = Vec::new();
    for file in &record.draws_files {
        let (d, s) = read_cmdstan_csv(&dir.join(file), &record.columns)?;
        draws.push(d);
        stats.push(s);
    }
    let posterior = Posterior::new(
        record.columns.clone(),
        draws,
        stats,
        record.series.iter().map(|s| s.name.clone()).collect(),
        record.models.clone(),
    )
    .ok_or_else(|| Error::input(Location::file(&shown).key("columns"), "the draw columns lack the curve parameters"))?;
    Ok(SavedFit { dir: dir.to_path_buf(), record, posterior, spec, reselected: std::cell::OnceCell::new() })
}

/// The error for a path given as a saved fit that holds none: the saved fits inside a folder
/// of them, or for data, how to fit it first.
fn not_a_fit(dir: &Path) -> Error {
    let shown = dir.display();
    let made = "a saved fit is the folder `scurve fit DATA --out DIR` writes";
    if !dir.exists() {
        return Error::Usage(format!("{shown}: no such folder ({made})"));
    }
    let mut fits: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("fit.json").is_file())
        .map(|p| p.display().to_string())
        .collect();
    fits.sort();
    if !fits.is_empty() {
        return Error::Usage(format!("{shown} is not a saved fit, but holds some: {}", fits.join(", ")));
    }
    let what = if dir.is_dir() { "a folder without a fit.json" } else { "a file" };
    Error::Usage(format!(
        "{shown} is {what}, not a saved fit ({made}); to read it as data, fit it first: \
         `scurve fit {shown} --out fits/NAME`, then give fits/NAME here"
    ))
}

type ChainRead = (Vec<Vec<f64>>, Vec<DrawStats>);

fn read_cmdstan_csv(path: &Path, columns: &[String]) -> Result<ChainRead> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(&shown, e))?;
    let mut lines = text.lines().enumerate().filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty());
    let (_, header) = lines.next().ok_or_else(|| Error::input(Location::file(&shown), "no header"))?;
    let names: Vec<&str> = header.split(',').collect();
    let want: Vec<&str> = STAT_COLUMNS.iter().copied().chain(columns.iter().map(String::as_str)).collect();
    if names != want {
        return Err(Error::input(Location::file(&shown).row(1), "columns differ from those fit.json lists"));
    }
    let mut draws = Vec::new();
    let mut stats = Vec::new();
    for (i, line) in lines {
        let vals: std::result::Result<Vec<f64>, _> = line.split(',').map(str::parse::<f64>).collect();
        let vals = vals.map_err(|_| Error::input(Location::file(&shown).row(i + 1), "a value is not a number"))?;
        if vals.len() != want.len() {
            return Err(Error::input(Location::file(&shown).row(i + 1), "wrong number of values"));
        }
        stats.push(DrawStats {
            lp: vals[0],
            accept_stat: vals[1],
            stepsize: vals[2],
            treedepth: vals[3] as u64,
            n_leapfrog: vals[4] as u64,
            divergent: vals[5] != 0.0,
            energy: vals[6],
            max_depth_hit: false,
        });
        draws.push(vals[STAT_COLUMNS.len()..].to_vec());
    }
    Ok((draws, stats))
}

/// The file in a fit's folder that keeps what the fit read from standard input (`-`).
pub const STDIN_COPY: &str = "stdin.csv";

/// The files a fit's data was read from (none for the built-in example); standard input as the
/// copy the fit keeps of it.
fn data_paths(saved: &SavedFit) -> Vec<std::path::PathBuf> {
    let d = &saved.record.data;
    if d.source == "built-in example" {
        return Vec::new();
    }
    let given: Vec<&String> = if d.sources.is_empty() { vec![&d.source] } else { d.sources.iter().collect() };
    let path = |p: &String| if is_stdin(Path::new(p)) { saved.dir.join(STDIN_COPY) } else { p.into() };
    given.into_iter().map(path).collect()
}

/// The data set a fit was made from, read again (the built-in example's, made again); None when
/// a file of it is no longer on disk ([`SavedFit::data_missing`]).
fn reload(saved: &SavedFit) -> Result<Option<crate::data::Dataset>> {
    let d = &saved.record.data;
    if d.source == "built-in example" {
        return Ok(Some(crate::data::Dataset::example()));
    }
    if !saved.data_missing().is_empty() {
        return Ok(None);
    }
    let paths = data_paths(saved);
    let sizes = d.sizes.as_ref().map(|p| crate::data::harness::load_sizes(Path::new(p))).transpose()?;
    let metric =
        if d.metric == "acc_norm" { crate::data::harness::Metric::AccNorm } else { crate::data::harness::Metric::Acc };
    Ok(Some(crate::data::Dataset::load_all(&paths, &crate::data::harness::HarnessOptions { metric, sizes })?))
}

/// Per series of the fit, the points its data holds above `--holdout-above` (empty when nothing
/// was held out or the data is no longer on disk): what a plot marks as held out.
pub fn heldout_points(saved: &SavedFit) -> Result<Vec<Vec<crate::data::Point>>> {
    let names: Vec<String> = saved.record.series.iter().map(|r| r.name.clone()).collect();
    let d = &saved.record.data;
    // the data is read again only when something was held out, and only when the check on
    // loading the fit has not read it already
    let read;
    let series: &[crate::data::Series] = match (d.holdout_above, saved.reselected.get()) {
        (None, _) => &[],
        (Some(_), Some(kept)) => kept.as_deref().unwrap_or_default(),
        (Some(_), None) => {
            read = reselect(saved)?.unwrap_or_default();
            &read
        }
    };
    Ok(crate::data::points_above(series, &names, d.holdout_above))
}

impl SavedFit {
    /// The files the fit's data was read from (its `--sizes` map too) that are no longer on disk
    /// (none when all are, or the data is the built-in example): the fit is then used as saved,
    /// unchecked against them.
    pub fn data_missing(&self) -> Vec<PathBuf> {
        let sizes = self.record.data.sizes.as_ref().map(PathBuf::from);
        data_paths(self).into_iter().chain(sizes).filter(|p| !p.exists()).collect()
    }
}

/// The fit's data read again ([`reload`]) and selected as the fit selected it; None when the
/// data is no longer on disk.
fn reselect(saved: &SavedFit) -> Result<Option<Vec<crate::data::Series>>> {
    reload(saved)?.map(|ds| ds.select(&saved.record.data.selection())).transpose()
}

/// Refuse a fit whose data or model file changed since it was made (when they are still on
/// disk), or whose data this version of scurve reads differently from the one that made it:
/// the numbers in the fit would no longer describe them.
pub fn verify(saved: &SavedFit) -> Result<()> {
    let d = &saved.record.data;
    let reloaded = reload(saved)?;
    // the same files read to the same observations can still be selected differently (a flag
    // whose meaning changed): the observations the fit holds are made again from them
    let reselected = match &reloaded {
        Some(ds) if ds.hash() == d.hash => Some(ds.select(&d.selection())?),
        _ => None,
    };
    let fitted = &saved.record.observations;
    let alike = |series: &[crate::data::Series]| {
        FitData::build(series, fitted.x_axis, d.holdout_above).is_ok_and(|now| now == *fitted)
    };
    if let Some(ds) = reloaded
        && !reselected.as_deref().is_some_and(alike)
    {
        let dir = saved.dir.display();
        let (now, then) = (env!("CARGO_PKG_VERSION"), &saved.record.scurve_version);
        let paths = data_paths(saved);
        let files = match &d.files_hash {
            Some(h) => Some(*h == crate::data::Dataset::files_hash(&paths, d.sizes.as_deref().map(Path::new), None)?),
            None => None,
        };
        // what was read from standard input is named as the copy the fit keeps of it
        let source = match &paths[..] {
            [one] if is_stdin(Path::new(&d.source)) => {
                format!("{} (standard input, as the fit read it)", one.display())
            }
            _ => d.source.clone(),
        };
        // two builds of one version number (a fix between releases) are told apart by "build"
        let reads = match now == then {
            true => format!("this build of scurve reads it differently from the one that made the fit (both {now})"),
            false => {
                format!("this version of scurve ({now}) reads it differently from the one that made the fit ({then})")
            }
        };
        let why = match files {
            Some(false) => format!("the data file {source} changed since this fit was made"),
            Some(true) => format!("the data file {source} is unchanged, but {reads}"),
            None => format!("the data file {source} changed since this fit was made, or {reads}"),
        };
        let detail = match ds.hash() {
            h if h != d.hash => format!("observations' hash {} now, {} then", &h[..12], &d.hash[..12]),
            _ => "the same observations, which the fit's options now make into other counts, chances or sizes to \
                  fit"
            .to_string(),
        };
        return Err(Error::Usage(format!("{dir}: {why} ({detail}); fit again")));
    }
    let _ = saved.reselected.set(reselected);
    let m = &saved.record.model;
    let mpath = Path::new(&m.source);
    if mpath.exists() {
        let text = std::fs::read_to_string(mpath).map_err(|e| Error::io(&m.source, e))?;
        let spec = ModelSpec::parse(&text, &m.source)?;
        if spec.hash != m.hash {
            return Err(Error::Usage(format!(
                "{}: the model file {} changed since this fit was made; fit again",
                saved.dir.display(),
                m.source
            )));
        }
    }
    Ok(())
}

/// Load a fit folder and check that its data and model files are unchanged.
pub fn load_verified(dir: &Path) -> Result<SavedFit> {
    let f = load(dir)?;
    verify(&f)?;
    Ok(f)
}

#[cfg(test)]
mod tests {
    #[test]
    fn utc_dates_are_well_formed() {
        let s = super::now_utc();
        assert_eq!(s.len(), 20);
        assert!(s.starts_with("20") && s.ends_with('Z'));
    }
}
