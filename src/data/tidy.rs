//! The tidy CSV format: `task,model,params,correct,n,chance` (or `score` instead of `correct`),
//! with optional `tokens`, `family`, `shots` and `revision` columns. Columns may come in any order, and are
//! known by name as a wide table's are (`Model Size (B)` for the size, `acc` or `score (%)` for
//! the score: [`Columns::of`]). A CSV with no `task` column but a model and a size column is a
//! wide table ([`crate::data::wide`]).

use std::path::Path;

use csv::StringRecord;

use crate::data::wide::{self, Role, score};
use crate::data::{Dataset, Observation, Outcome, complete, csv_separator, number_hint};
use crate::error::{Error, Location, Result};

/// Read a tidy CSV file (or a wide table, its sizes taken from the model names when it has no
/// size column).
pub fn load(path: &Path) -> Result<Dataset> {
    let mut ds = load_open(path)?;
    complete(&mut ds.observations, &mut ds.unreadable, None);
    Ok(ds)
}

/// Parse tidy CSV text (or a wide table, as [`load`]); `file` names the source in errors.
pub fn parse_csv(bytes: &[u8], file: &str) -> Result<Dataset> {
    let mut ds = parse_open(bytes, file)?;
    complete(&mut ds.observations, &mut ds.unreadable, None);
    Ok(ds)
}

/// Read a CSV file, leaving the sizes of a wide table without a size column open (NaN), for
/// [`complete`] to fill from the other inputs read with it.
pub(crate) fn load_open(path: &Path) -> Result<Dataset> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::io(&shown, e))?;
    parse_open(&bytes[..], &shown)
}

/// [`parse_csv`] with the sizes a wide table does not give left open (NaN).
pub(crate) fn parse_open(bytes: &[u8], file: &str) -> Result<Dataset> {
    let at = Location::file(file);
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err(Error::input(at, "the file is empty"));
    }
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .delimiter(csv_separator(bytes))
        .from_reader(bytes);
    let headers =
        rdr.headers().map_err(|e| Error::input(at.clone().row(1), format!("cannot read the header: {e}")))?.clone();
    if let Some(roles) = wide::recognise(&headers, file)? {
        return wide::parse(&headers, &roles, &mut rdr, file);
    }
    let c = Columns::of(&headers, file)?;

    let mut observations = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let here = at.clone().row(row);
        let rec = rec.map_err(|e| Error::input(here.clone(), format!("malformed CSV: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("");
        let field = |c: usize| here.clone().field(&headers[c]);
        let text = |c: usize| -> Result<String> {
            let v = get(c);
            if v.is_empty() { Err(Error::input(field(c), "empty value")) } else { Ok(v.to_string()) }
        };
        let number = |c: usize| finite(&text(c)?, field(c));
        let count = |c: usize| whole(&text(c)?, field(c));
        let task = text(c.task)?;
        let model = text(c.model)?;
        let params = wide::size(&text(c.params.0)?, c.params.1, &headers[c.params.0], field(c.params.0))?;
        let n = match c.n {
            Some(n_col) if !get(n_col).is_empty() || c.correct.is_some() => {
                let n = count(n_col)?;
                if n == 0 {
                    return Err(Error::input(field(n_col), "n must be at least 1"));
                }
                Some(n)
            }
            _ => None,
        };
        let (outcome, given) = match (c.correct, c.score) {
            (Some(col), _) if !get(col).is_empty() || c.score.is_none() => {
                let correct = count(col)?;
                let n = n.unwrap_or_default();
                if correct > n {
                    return Err(Error::input(field(col), format!("correct ({correct}) exceeds n ({n})")));
                }
                (Outcome::Counts { correct, n }, None)
            }
            (_, Some((col, scale))) => {
                let s = score(&text(col)?, scale).map_err(|msg| Error::input(field(col), msg))?;
                let outcome = match n {
                    Some(n) => Outcome::Counts { correct: (s * n as f64).round() as u64, n },
                    None => Outcome::Score(s),
                };
                (outcome, Some(s))
            }
            (Some(col), None) => return Err(Error::input(field(col), "empty value")),
            // Columns::of refuses a header with neither
            (None, None) => return Err(Error::input(here.clone(), "no column of scores")),
        };
        let chance = match c.chance {
            Some(col) if !get(col).is_empty() => {
                let v = number(col)?;
                if !(0.0..1.0).contains(&v) {
                    return Err(Error::input(field(col), format!("chance {v} is outside [0, 1)")));
                }
                Some(v)
            }
            _ => None,
        };
        let tokens = match c.tokens {
            Some((col, unit)) if !get(col).is_empty() => Some(wide::amount(get(col), unit, "token count", field(col))?),
            _ => None,
        };
        let family = c.family.map(get).filter(|f| !f.is_empty()).map(str::to_string);
        let shots = match c.shots {
            Some(col) if !get(col).is_empty() => Some(shots_count(get(col), field(col))?),
            _ => None,
        };
        observations.push(Observation {
            task,
            family,
            model,
            params,
            tokens,
            outcome,
            chance,
            shots,
            at: here,
            revision: c.revision.map(get).filter(|r| !r.is_empty()).map(str::to_string),
            rounded: None,
            score: given,
        });
    }
    if observations.is_empty() {
        return Err(Error::input(at, "the file has a header but no rows"));
    }
    Ok(Dataset { source: file.to_string(), observations, unreadable: Vec::new() })
}

/// Where a tidy CSV's columns are, by what each holds.
struct Columns {
    task: usize,
    model: usize,
    /// The size's column and its unit.
    params: (usize, f64),
    tokens: Option<(usize, f64)>,
    family: Option<usize>,
    shots: Option<usize>,
    revision: Option<usize>,
    correct: Option<usize>,
    n: Option<usize>,
    /// The score's column and its scale (1/100 for percentages).
    score: Option<(usize, f64)>,
    chance: Option<usize>,
}

/// What a tidy CSV's column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Holds {
    Task,
    /// The task's column when there is no `task` column (else a column not read: a suite
    /// beside its tasks).
    Benchmark,
    Model,
    Params,
    Tokens,
    Family,
    Shots,
    Revision,
    Correct,
    N,
    Score,
    Chance,
}

impl Columns {
    /// The columns of a header, by name (case, `_` and `-` aside): `task` (or `benchmark` when
    /// there is no `task`),
    /// `correct`, `n` (or `items`), `chance`; the score as `score`, `acc` or `accuracy`, with
    /// `(%)` after it for percentages; and the columns a wide table knows ([`wide::named`]:
    /// `model`, the size as `params`, `parameters` or `size` with a unit such as `(B)`, the
    /// tokens, `family`, `shots`, `revision`). Other columns are not read. Two columns that hold the same, a missing `task`,
    /// `model` or size, and neither `correct` (with `n`) nor a score are errors.
    fn of(headers: &StringRecord, file: &str) -> Result<Columns> {
        let at = Location::file(file).row(1);
        let mut found: Vec<(Holds, usize, f64)> = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            let (base, units) = wide::split_units(h);
            let holds = match (wide::normalise(h).as_str(), wide::normalise(base).as_str(), units.as_slice()) {
                ("task", ..) => Some((Holds::Task, 1.0)),
                ("benchmark", ..) => Some((Holds::Benchmark, 1.0)),
                ("correct", ..) => Some((Holds::Correct, 1.0)),
                ("n" | "items" | "n items", ..) => Some((Holds::N, 1.0)),
                ("chance", ..) => Some((Holds::Chance, 1.0)),
                (_, "score" | "acc" | "accuracy", []) => Some((Holds::Score, 1.0)),
                (_, "score" | "acc" | "accuracy", [u]) if u == "%" => Some((Holds::Score, 0.01)),
                (_, "score" | "acc" | "accuracy", _) => {
                    let msg =
                        format!("unknown unit after '{base}': a score's column takes '(%)' alone, for percentages");
                    return Err(Error::input(at.clone().field(h), msg));
                }
                _ => match wide::named(h, file)? {
                    Some(Role::Model) => Some((Holds::Model, 1.0)),
                    Some(Role::Size(unit)) => Some((Holds::Params, unit)),
                    Some(Role::Tokens(unit)) => Some((Holds::Tokens, unit)),
                    Some(Role::Family) => Some((Holds::Family, 1.0)),
                    Some(Role::Shots) => Some((Holds::Shots, 1.0)),
                    Some(Role::Revision) => Some((Holds::Revision, 1.0)),
                    _ => None,
                },
            };
            let Some((holds, unit)) = holds else { continue };
            if let Some(&(_, j, _)) = found.iter().find(|f| f.0 == holds) {
                return Err(wide::same_as(headers, i, j, file));
            }
            found.push((holds, i, unit));
        }
        let with_unit = |holds: Holds| found.iter().find(|f| f.0 == holds).map(|&(_, i, unit)| (i, unit));
        let col = |holds: Holds| with_unit(holds).map(|(i, _)| i);
        let header = || headers.iter().collect::<Vec<_>>().join(",");
        let missing =
            |field: &str, what: &str| Error::input(at.clone().field(field), format!("{what} (header: {})", header()));
        let task = col(Holds::Task).or_else(|| col(Holds::Benchmark)).ok_or_else(|| {
            missing(
                "task",
                "missing column 'task'; a wide table, one row per model and one column per task, needs a 'model' \
                 column and a size column such as 'params (B)'",
            )
        })?;
        let model = col(Holds::Model).ok_or_else(|| missing("model", "missing column 'model'"))?;
        let params = with_unit(Holds::Params).ok_or_else(|| wide::no_size(headers, file))?;
        let (correct, n, score) = (col(Holds::Correct), col(Holds::N), with_unit(Holds::Score));
        if correct.is_none() && score.is_none() {
            return Err(missing("correct", "missing column 'correct' (or 'score', 'acc', 'accuracy')"));
        }
        if correct.is_some() && n.is_none() {
            return Err(missing("n", "missing column 'n' (needed with 'correct')"));
        }
        Ok(Columns {
            task,
            model,
            params,
            tokens: with_unit(Holds::Tokens),
            family: col(Holds::Family),
            shots: col(Holds::Shots),
            revision: col(Holds::Revision),
            correct,
            n,
            score,
            chance: col(Holds::Chance),
        })
    }
}

/// A CSV cell as a finite number, or an error at `at` saying why not.
fn finite(v: &str, at: Location) -> Result<f64> {
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Ok(x),
        Ok(_) => Err(Error::input(at, format!("not a finite number: '{v}'"))),
        Err(_) => Err(Error::input(at, format!("not a number: '{v}'{}", number_hint(v)))),
    }
}

/// A CSV cell as a whole number ≥ 0 (a count), or an error at `at` saying why not.
fn whole(v: &str, at: Location) -> Result<u64> {
    let x = finite(v, at.clone())?;
    if x < 0.0 || x.fract() != 0.0 || x > u64::MAX as f64 {
        return Err(Error::input(at, format!("must be a whole number ≥ 0, got '{v}'")));
    }
    Ok(x as u64)
}

/// A few-shot count in a CSV cell, or an error at `at` saying why it is not one.
pub(super) fn shots_count(v: &str, at: Location) -> Result<u32> {
    let k = whole(v, at.clone())?;
    u32::try_from(k).map_err(|_| Error::input(at, format!("{k} shots is more than any prompt holds")))
}
