//! The tidy CSV format: `task,model,params,correct,n,chance` (or `score` instead of `correct`),
//! with optional `tokens`, `family` and `shots` columns. Columns may come in any order. A CSV
//! with no `task` column but a model and a size column is a wide table ([`crate::data::wide`]).

use std::path::Path;

use crate::data::{Dataset, Observation, Outcome, complete, csv_separator, number_hint, score_cell, wide};
use crate::error::{Error, Location, Result};
use crate::size::parse_size;

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
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let need = |name: &str| {
        col(name).ok_or_else(|| {
            Error::input(
                at.clone().row(1).field(name),
                format!("missing column '{name}' (header: {})", headers.iter().collect::<Vec<_>>().join(",")),
            )
        })
    };
    let c_task = col("task").ok_or_else(|| {
        Error::input(
            at.clone().row(1).field("task"),
            format!(
                "missing column 'task' (header: {}); a wide table, one row per model and one column per task, \
                 needs a 'model' column and a size column such as 'params (B)'",
                headers.iter().collect::<Vec<_>>().join(",")
            ),
        )
    })?;
    let c_model = need("model")?;
    let c_params = need("params")?;
    let c_correct = col("correct");
    let c_score = col("score");
    let c_n = col("n");
    if c_correct.is_none() && c_score.is_none() {
        return Err(Error::input(at.clone().row(1).field("correct"), "missing column 'correct' (or 'score')"));
    }
    if c_correct.is_some() && c_n.is_none() {
        return Err(Error::input(at.clone().row(1).field("n"), "missing column 'n' (needed with 'correct')"));
    }
    let c_chance = col("chance");
    let c_tokens = col("tokens");
    let c_family = col("family");
    let c_shots = col("shots");

    let mut observations = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let here = at.clone().row(row);
        let rec = rec.map_err(|e| Error::input(here.clone(), format!("malformed CSV: {e}")))?;
        let get = |c: usize| rec.get(c).unwrap_or("");
        let text = |c: usize, name: &str| -> Result<String> {
            let v = get(c);
            if v.is_empty() { Err(Error::input(here.clone().field(name), "empty value")) } else { Ok(v.to_string()) }
        };
        let number = |c: usize, name: &str| finite(&text(c, name)?, here.clone().field(name));
        let count = |c: usize, name: &str| whole(&text(c, name)?, here.clone().field(name));
        let size = |c: usize, name: &str| -> Result<f64> {
            let v = text(c, name)?;
            parse_size(&v).ok_or_else(|| {
                Error::input(here.clone().field(name), format!("not a positive size: '{v}' (e.g. 1.3e9 or 1.3B)"))
            })
        };
        let task = text(c_task, "task")?;
        let model = text(c_model, "model")?;
        let params = size(c_params, "params")?;
        let n = match c_n {
            Some(c) if !get(c).is_empty() || c_correct.is_some() => {
                let n = count(c, "n")?;
                if n == 0 {
                    return Err(Error::input(here.clone().field("n"), "n must be at least 1"));
                }
                Some(n)
            }
            _ => None,
        };
        let outcome = match (c_correct, c_score) {
            (Some(c), _) if !get(c).is_empty() || c_score.is_none() => {
                let correct = count(c, "correct")?;
                let n = n.unwrap_or_default();
                if correct > n {
                    return Err(Error::input(
                        here.clone().field("correct"),
                        format!("correct ({correct}) exceeds n ({n})"),
                    ));
                }
                Outcome::Counts { correct, n }
            }
            (_, Some(c)) => {
                let cell = text(c, "score")?;
                let s = score_cell(&cell).filter(|s| s.is_finite()).ok_or_else(|| {
                    Error::input(here.clone().field("score"), format!("not a score: '{cell}'{}", number_hint(&cell)))
                })?;
                if !(0.0..=1.0).contains(&s) {
                    let hint = if (1.0..=100.0).contains(&s) { " (percentages? write 30% or 0.30)" } else { "" };
                    return Err(Error::input(
                        here.clone().field("score"),
                        format!("score {cell} is outside [0, 1]{hint}"),
                    ));
                }
                match n {
                    Some(n) => Outcome::Counts { correct: (s * n as f64).round() as u64, n },
                    None => Outcome::Score(s),
                }
            }
            _ => return Err(Error::input(here.clone().field("correct"), "empty value")),
        };
        let chance = match c_chance {
            Some(c) if !get(c).is_empty() => {
                let v = number(c, "chance")?;
                if !(0.0..1.0).contains(&v) {
                    return Err(Error::input(here.clone().field("chance"), format!("chance {v} is outside [0, 1)")));
                }
                Some(v)
            }
            _ => None,
        };
        let tokens = match c_tokens {
            Some(c) if !get(c).is_empty() => Some(size(c, "tokens")?),
            _ => None,
        };
        let family = c_family.map(get).filter(|f| !f.is_empty()).map(str::to_string);
        let shots = match c_shots {
            Some(c) if !get(c).is_empty() => Some(shots_count(get(c), here.clone().field("shots"))?),
            _ => None,
        };
        observations.push(Observation { task, family, model, params, tokens, outcome, chance, shots, at: here });
    }
    if observations.is_empty() {
        return Err(Error::input(at, "the file has a header but no rows"));
    }
    Ok(Dataset { source: file.to_string(), observations, unreadable: Vec::new() })
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
