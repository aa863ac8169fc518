//! A wide CSV: one row per model and one column per task, the shape of leaderboard exports
//! and spreadsheets:
//!
//! ```text
//! Model,Model Family,Model Size (B),Pretraining Data Size (T),MMLU,ARC-C (n=1172),HellaSwag (%)
//! EleutherAI/pythia-1b-deduped,Pythia,1.0,0.3,0.2427,0.2910,49.65
//! ```
//!
//! The columns are told apart by their names (case, `_` and `-` do not matter): `model` (or
//! `model name`); `family` (`model family`); the size, `params` (`parameters`, `size`, `model
//! size`, `#params`, …); the training tokens (`tokens`, `training tokens`, `pretraining data
//! size`, …); `shots`; and a compute column (`flops`, `compute`, …), which is left unread since
//! compute is 6 · params · tokens, as is a column without a name (a data frame's index). A unit in parentheses (`(M)`, `(B)`, `(T)`) multiplies a
//! size or token count. Every other column is a task, its cells scores in [0, 1]: `(%)` after
//! its name marks percentages, `(n=1172)` its item count (the scores then become counts). An
//! empty cell (or `NA`, `NaN`) is a model not evaluated on that task. A model whose size the
//! table does not give is read with the size NaN, which [`crate::data::Dataset::load_all`]
//! fills from `--sizes`, another input, or the model's name.

use csv::{Reader, StringRecord};

use crate::data::tidy::shots_count;
use crate::data::{Dataset, Observation, Outcome, Unreadable, number_hint};
use crate::error::{Error, Location, Result};
use crate::size::parse_size;

/// What a column of a wide table holds.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Role {
    Model,
    Family,
    /// Parameter count, times the header's unit.
    Size(f64),
    /// Training tokens, times the header's unit.
    Tokens(f64),
    Shots,
    /// The checkpoint the row's results are of (`revision`).
    Revision,
    /// Not read: training compute (`--x compute` uses params and tokens), or a column without
    /// a name (a data frame's index).
    Unread,
    /// A task's scores, times `scale` (1/100 for percentages), with its item count when given.
    Task {
        name: String,
        scale: f64,
        n: Option<u64>,
    },
}

/// The roles of a header's columns, when it is a wide table's: it has a model column and a
/// task column, and none of the tidy format's `task` (or `benchmark`), `correct`, `n`, `score` or
/// `chance`.
pub(super) fn recognise(headers: &StringRecord, file: &str) -> Result<Option<Vec<Role>>> {
    if headers.iter().any(|h| ["task", "benchmark", "correct", "n", "score", "chance"].contains(&normalise(h).as_str()))
    {
        return Ok(None);
    }
    let roles = headers.iter().map(|h| role(h, file)).collect::<Result<Vec<_>>>()?;
    let has = |f: fn(&Role) -> bool| roles.iter().any(f);
    if !has(|r| *r == Role::Model) || !has(|r| matches!(r, Role::Task { .. })) {
        return Ok(None);
    }
    // one column per role, and one per task
    for (i, r) in roles.iter().enumerate() {
        let same = |o: &Role| match (r, o) {
            (Role::Task { name: a, .. }, Role::Task { name: b, .. }) => a == b,
            (Role::Task { .. } | Role::Unread, _) | (_, Role::Task { .. } | Role::Unread) => false,
            _ => std::mem::discriminant(r) == std::mem::discriminant(o),
        };
        if let Some(j) = roles[..i].iter().position(same) {
            return Err(same_as(headers, i, j, file));
        }
    }
    Ok(Some(roles))
}

/// The error for a header's column `i` that holds what its column `j` already does.
pub(super) fn same_as(headers: &StringRecord, i: usize, j: usize, file: &str) -> Error {
    Error::input(
        Location::file(file).row(1).field(&headers[i]),
        format!("column '{}' means the same as column '{}'; keep one", &headers[i], &headers[j]),
    )
}

/// The error for a header without a size column.
pub(super) fn no_size(headers: &StringRecord, file: &str) -> Error {
    Error::input(
        Location::file(file).row(1).field("params"),
        format!(
            "missing column 'params' (or 'parameters', 'size', with a unit if any: 'params (B)') (header: {})",
            headers.iter().collect::<Vec<_>>().join(",")
        ),
    )
}

/// Read the rows of a wide table whose header [`recognise`] accepted.
pub(super) fn parse<R: std::io::Read>(
    headers: &StringRecord,
    roles: &[Role],
    rdr: &mut Reader<R>,
    file: &str,
) -> Result<Dataset> {
    let at = Location::file(file);
    let column = |want: fn(&Role) -> bool| roles.iter().position(want);
    let c_model = column(|r| *r == Role::Model).unwrap_or_default();
    let c_size = column(|r| matches!(r, Role::Size(_)));
    let c_family = column(|r| *r == Role::Family);
    let c_tokens = column(|r| matches!(r, Role::Tokens(_)));
    let c_shots = column(|r| *r == Role::Shots);
    let c_revision = column(|r| *r == Role::Revision);
    let mut observations = Vec::new();
    let mut unreadable = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i + 2;
        let here = at.clone().row(row);
        let rec = rec.map_err(|e| Error::input(here.clone(), format!("malformed CSV: {e}")))?;
        let cell = |c: usize| rec.get(c).unwrap_or("");
        let field = |c: usize| here.clone().field(&headers[c]);

        let model = cell(c_model);
        if model.is_empty() {
            return Err(Error::input(field(c_model), "empty value"));
        }
        // without a size, NaN: the loader takes it from another table, --sizes or the name
        let params = match c_size.map(|c| (c, &roles[c])) {
            Some((c, &Role::Size(unit))) if !missing(cell(c)) => size(cell(c), unit, &headers[c], field(c))?,
            _ => f64::NAN,
        };
        let tokens = match c_tokens.map(|c| (c, &roles[c])) {
            Some((c, &Role::Tokens(unit))) if !missing(cell(c)) => {
                Some(amount(cell(c), unit, "token count", field(c))?)
            }
            _ => None,
        };
        let family = c_family.map(cell).filter(|f| !missing(f)).map(str::to_string);
        let shots = match c_shots {
            Some(c) if !missing(cell(c)) => Some(shots_count(cell(c), field(c))?),
            _ => None,
        };
        let revision = c_revision.map(cell).filter(|r| !missing(r)).map(str::to_string);
        for (c, r) in roles.iter().enumerate() {
            let Role::Task { name, scale, n } = r else { continue };
            if missing(cell(c)) {
                continue;
            }
            let s = match score(cell(c), *scale) {
                Ok(s) => s,
                Err(msg) => {
                    // kept for `Dataset::select`, which refuses the column unless it is left
                    // out (every bad cell: which rows are wanted depends on the family chosen)
                    unreadable.push(Unreadable {
                        task: name.clone(),
                        model: model.to_string(),
                        family: family.clone(),
                        at: field(c),
                        msg,
                    });
                    continue;
                }
            };
            let outcome = match *n {
                Some(n) => Outcome::Counts { correct: (s * n as f64).round() as u64, n },
                None => Outcome::Score(s),
            };
            observations.push(Observation {
                task: name.clone(),
                family: family.clone(),
                model: model.to_string(),
                params,
                tokens,
                outcome,
                chance: None,
                shots,
                at: field(c),
                revision: revision.clone(),
                rounded: None,
                score: Some(s),
            });
        }
    }
    if observations.is_empty() {
        return Err(match unreadable.first() {
            Some(u) => Error::input(u.at.clone(), u.msg.clone()),
            None => Error::input(at, "the file has a header but no scores"),
        });
    }
    Ok(Dataset { source: file.to_string(), observations, unreadable })
}

/// A score's cell in [0, 1] (times `scale`, 1/100 for a column of percentages), or why it is
/// not one.
pub(super) fn score(cell: &str, scale: f64) -> std::result::Result<f64, String> {
    // a cell written with its percent sign is a percentage whatever the column's name says
    let (x, scale) = match cell.strip_suffix('%') {
        Some(pct) => (pct.trim_end().parse().ok(), 0.01),
        None => (cell.parse().ok(), scale),
    };
    let x: f64 = x.ok_or_else(|| format!("not a score: '{cell}'{}", number_hint(cell)))?;
    let s = x * scale;
    if !x.is_finite() || !(0.0..=1.0).contains(&s) {
        let hint = if scale == 1.0 && (1.0..=100.0).contains(&x) {
            " (percentages? write 30% or 0.30, or mark the column's name with '(%)')"
        } else {
            ""
        };
        return Err(format!("score {cell} is outside [0, 1]{hint}"));
    }
    Ok(s)
}

/// An empty cell, or one a spreadsheet or data frame wrote for a missing value.
fn missing(cell: &str) -> bool {
    cell.is_empty() || ["na", "nan", "n/a", "null", "none"].contains(&cell.to_ascii_lowercase().as_str())
}

/// A header's role from its name and the units in parentheses after it: a column both shapes
/// know by name ([`named`]), else a task's.
fn role(header: &str, file: &str) -> Result<Role> {
    if let Some(r) = named(header, file)? {
        return Ok(r);
    }
    let (base, groups) = split_units(header);
    let mut scale = 1.0;
    let mut n = None;
    let mut all_known = true;
    for g in &groups {
        if g == "%" {
            scale = 0.01;
        } else if let Some(k) = item_count(g) {
            n = Some(k);
        } else {
            all_known = false;
        }
    }
    Ok(if all_known {
        Role::Task { name: base.to_string(), scale, n }
    } else {
        // "ARC (25-shot)": the parentheses are part of the task's name
        Role::Task { name: header.trim().to_string(), scale: 1.0, n: None }
    })
}

/// The role of a column that a wide and a tidy CSV both know by its name (case, `_` and `-`
/// aside): the model, its family, its size or training tokens (times the unit in parentheses
/// after the name, `Model Size (B)`), the shots, the revision (checkpoint), or a column left
/// unread; None for any other.
pub(super) fn named(header: &str, file: &str) -> Result<Option<Role>> {
    let (base, groups) = split_units(header);
    let unit = |what: &str| -> Result<f64> {
        match groups.as_slice() {
            [] => Ok(1.0),
            [u] => multiplier(u).ok_or_else(|| {
                Error::input(
                    Location::file(file).row(1).field(header),
                    format!("unknown unit '({u})' for {what}: use (K), (M), (B) or (T)"),
                )
            }),
            _ => Err(Error::input(
                Location::file(file).row(1).field(header),
                format!("one unit in parentheses for {what}, e.g. '{base} (B)'"),
            )),
        }
    };
    Ok(Some(match normalise(base).as_str() {
        "model" | "model name" => Role::Model,
        "family" | "model family" => Role::Family,
        "params" | "parameters" | "n params" | "num params" | "#params" | "# params" | "parameter count" | "size"
        | "model size" => Role::Size(unit("a size")?),
        "tokens"
        | "training tokens"
        | "pretraining tokens"
        | "data size"
        | "pretraining data size"
        | "training data size" => Role::Tokens(unit("a token count")?),
        "shots" => Role::Shots,
        "revision" => Role::Revision,
        "flops" | "compute" | "training flops" | "training compute" => Role::Unread,
        "" => Role::Unread,
        n if n.starts_with("unnamed:") => Role::Unread,
        _ => return Ok(None),
    }))
}

/// A size or token count (`what`) in a cell: a number times its column's `unit`, or, without
/// a unit, a count like 1.3B; an error at `at` when it is not a positive one.
pub(super) fn amount(v: &str, unit: f64, what: &str, at: Location) -> Result<f64> {
    let x = if unit == 1.0 { parse_size(v) } else { v.parse::<f64>().ok().filter(|x| x.is_finite() && *x > 0.0) };
    let x = x.ok_or_else(|| Error::input(at, format!("not a positive {what}: '{v}' (e.g. 1.3e9 or 1.3B)")))?;
    Ok(x * unit)
}

/// A model's size in a cell of the column `header`, as [`amount`] reads it; under 1,000
/// parameters is refused as a unit left out.
pub(super) fn size(v: &str, unit: f64, header: &str, at: Location) -> Result<f64> {
    let x = amount(v, unit, "size", at.clone())?;
    if x < 1e3 {
        return Err(Error::input(
            at,
            format!(
                "a model of {v} parameters? Give the unit in the header, e.g. '{header} (B)', or with the value, '{v}B'"
            ),
        ));
    }
    Ok(x)
}

/// A header without its trailing parenthesised groups, and the groups: "Size (B)" → ("Size", ["B"]).
pub(super) fn split_units(header: &str) -> (&str, Vec<String>) {
    let mut rest = header.trim();
    let mut groups = Vec::new();
    while let Some(inner) = rest.strip_suffix(')') {
        let Some(open) = inner.rfind('(') else { break };
        groups.push(inner[open + 1..].trim().to_string());
        rest = inner[..open].trim_end();
    }
    groups.reverse();
    if rest.is_empty() { (header.trim(), Vec::new()) } else { (rest, groups) }
}

/// Lower case, with `_` and `-` read as spaces and runs of spaces as one.
pub(super) fn normalise(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '-'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The factor a unit stands for: K, M, B (or G, billions), T, in letters or words.
fn multiplier(unit: &str) -> Option<f64> {
    Some(match unit.to_ascii_lowercase().as_str() {
        "k" | "thousand" | "thousands" => 1e3,
        "m" | "mn" | "million" | "millions" => 1e6,
        "b" | "g" | "bn" | "billion" | "billions" => 1e9,
        "t" | "trillion" | "trillions" => 1e12,
        _ => return None,
    })
}

/// The item count of a group like `n=1172` (or `n = 1,172`).
fn item_count(group: &str) -> Option<u64> {
    let g = group.replace([' ', ','], "");
    let k: u64 = g.strip_prefix("n=").or_else(|| g.strip_prefix("N="))?.parse().ok()?;
    (k > 0).then_some(k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_split_into_name_and_units() {
        assert_eq!(split_units("Model Size (B)"), ("Model Size", vec!["B".to_string()]));
        assert_eq!(split_units("ARC-C (%) (n=1172)"), ("ARC-C", vec!["%".to_string(), "n=1172".to_string()]));
        assert_eq!(split_units("(weird)"), ("(weird)", vec![]));
        assert_eq!(normalise("  Pretraining_Data-Size "), "pretraining data size");
        assert_eq!(item_count("n = 1,172"), Some(1172));
        assert_eq!(item_count("n=0"), None);
        assert_eq!(multiplier("B"), Some(1e9));
        assert_eq!(multiplier("1E21"), None);
    }

    #[test]
    fn roles_of_the_obs_scaling_header() {
        let roles: Vec<Role> = [
            "Model",
            "Model Family",
            "Model Size (B)",
            "Pretraining Data Size (T)",
            "FLOPs (1E21)",
            "MMLU",
            "ARC (25-shot)",
        ]
        .iter()
        .map(|h| role(h, "f").unwrap())
        .collect();
        assert_eq!(roles[0], Role::Model);
        assert_eq!(roles[1], Role::Family);
        assert_eq!(roles[2], Role::Size(1e9));
        assert_eq!(roles[3], Role::Tokens(1e12));
        assert_eq!(roles[4], Role::Unread);
        assert_eq!(roles[5], Role::Task { name: "MMLU".into(), scale: 1.0, n: None });
        assert_eq!(roles[6], Role::Task { name: "ARC (25-shot)".into(), scale: 1.0, n: None });
        assert!(role("params (furlongs)", "f").is_err());
        // the index a data frame writes
        assert_eq!(role("", "f").unwrap(), Role::Unread);
        assert_eq!(role("Unnamed: 0", "f").unwrap(), Role::Unread);
    }
}
