//! `scurve inspect`: what is in a data set, and which tasks need care.

use std::collections::{BTreeMap, BTreeSet};
use std::process::ExitCode;

use anyhow::Result;
use scurve::size::format_size;

use super::DataArgs;

/// Up to this many models are listed on one line; more, of several families, one line per family.
const MODELS_ON_ONE_LINE: usize = 12;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let (ds, series) = a.data.series(None)?;
    let reports: Vec<_> = series.iter().map(|s| s.report()).collect();
    let tasks: BTreeSet<&str> = series.iter().map(|s| s.task.as_str()).collect();
    let models: BTreeSet<&str> = series.iter().flat_map(|s| s.points.iter().map(|p| p.model.as_str())).collect();
    let observations: usize = series.iter().map(|s| s.points.len()).sum();
    // each model once, by size: (params, name, family)
    let mut listed: Vec<(f64, &str, Option<&str>)> = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| (p.params, p.model.as_str(), s.family.as_deref())))
        .collect();
    listed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(b.1)).then(a.2.cmp(&b.2)));
    listed.dedup_by(|a, b| a.1 == b.1 && a.0 == b.0);
    // a task whose item count --items gave has no counts read from its rounded scores
    let rounded_tasks: BTreeSet<&str> = series.iter().filter(|s| !s.items_given).map(|s| s.task.as_str()).collect();
    let rounded = rounded_counts(&ds, &rounded_tasks);
    let revealed = scurve::data::items::revealed_counts(&series);
    // the checkpoints the results kept record, each with how many models are at it
    let chosen = a.data.revision.as_deref();
    let mut at_revision: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for o in &ds.observations {
        if let Some(r) = o.revision.as_deref()
            && models.contains(o.model.as_str())
            && chosen.is_none_or(|c| c == r)
        {
            at_revision.entry(r).or_default().insert(&o.model);
        }
    }
    if a.json {
        let v = serde_json::json!({
            "source": ds.source,
            "tasks": tasks.len(),
            "models": models.len(),
            "observations": observations,
            "model_list": listed.iter().map(|(params, model, family)| serde_json::json!({
                "model": model, "params": params, "family": family,
            })).collect::<Vec<_>>(),
            "series": reports,
            "revealed_items": revealed.iter().map(|(task, items)| serde_json::json!({
                "task": task, "items": items,
            })).collect::<Vec<_>>(),
            "rounded_counts": rounded.iter().map(|(task, (items, decimals))| serde_json::json!({
                "task": task, "items": items, "decimals": decimals,
            })).collect::<Vec<_>>(),
            "revisions": at_revision.iter().map(|(revision, models)| serde_json::json!({
                "revision": revision, "models": models.len(),
            })).collect::<Vec<_>>(),
        });
        out!("{}", serde_json::to_string_pretty(&v)?);
        return Ok(ExitCode::SUCCESS);
    }
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    out!(
        "{}: {}, {}, {}, {} series",
        ds.source,
        count(tasks.len(), "task"),
        count(models.len(), "model"),
        count(observations, "observation"),
        series.len()
    );
    let shown = |models: &[&(f64, &str, Option<&str>)]| {
        models.iter().map(|(p, m, _)| format!("{m} ({})", format_size(*p))).collect::<Vec<_>>().join(", ")
    };
    let families: BTreeSet<Option<&str>> = listed.iter().map(|m| m.2).collect();
    if listed.len() <= MODELS_ON_ONE_LINE || families.len() < 2 {
        out!("models: {}", shown(&listed.iter().collect::<Vec<_>>()));
    } else {
        // many models of several families: one line per family (those without one last)
        let (smallest, largest) = (listed[0].0, listed[listed.len() - 1].0);
        out!(
            "models: {} from {} to {}, in {} families:",
            listed.len(),
            format_size(smallest),
            format_size(largest),
            families.len()
        );
        let mut order: Vec<Option<&str>> = families.into_iter().filter(Option::is_some).collect();
        if listed.iter().any(|m| m.2.is_none()) {
            order.push(None);
        }
        for family in order {
            let of: Vec<&(f64, &str, Option<&str>)> = listed.iter().filter(|m| m.2 == family).collect();
            out!("  {}: {}", family.unwrap_or("(no family)"), shown(&of));
        }
    }
    match at_revision.len() {
        0 => {}
        1 => out!("revision: {}", at_revision.keys().next().copied().unwrap_or_default()),
        _ => {
            // models at different checkpoints in one ladder: each is fitted at its own
            let each: Vec<String> =
                at_revision.iter().map(|(r, m)| format!("{r} ({})", count(m.len(), "model"))).collect();
            out!("revisions: {}", each.join(", "));
        }
    }
    out!();
    let w = reports.iter().map(|r| r.series.chars().count()).max().unwrap_or(6).max(6);
    out!("{:<w$} {:>6} {:>6} {:>15} {:>13}  notes", "series", "chance", "sizes", "range", "score");
    for r in &reports {
        let mut notes: Vec<String> = Vec::new();
        if r.too_few_sizes {
            notes.push("fewer than 3 sizes: cannot be fitted".into());
        }
        if r.at_chance {
            notes.push("at chance at every size: midpoint not identified".into());
        }
        if let (true, Some(slope), Some(se)) = (r.falls, r.trend_per_decade, r.trend_se) {
            notes.push(format!("falls with size ({:+.1} ± {:.1} pp per decade)", 100.0 * slope, 100.0 * se));
        }
        let line = format!(
            "{:<w$} {:>6.3} {:>6} {:>15} {:>13}  {}",
            r.series,
            r.chance,
            r.sizes,
            format!("{}–{}", format_size(r.smallest), format_size(r.largest)),
            format!("{:.3}–{:.3}", r.min_score, r.max_score),
            notes.join("; ")
        );
        out!("{}", line.trim_end());
    }
    let items: BTreeSet<u64> = reports.iter().filter_map(|r| r.items).collect();
    if let (Some(lo), Some(hi)) = (items.first(), items.last()) {
        out!("\nitems per task: {lo} to {hi}");
    }
    if !rounded.is_empty() {
        let shown: Vec<String> =
            rounded.iter().map(|(task, (items, d))| format!("'{task}' ({items} items, {d} decimals)")).collect();
        out!(
            "\nrounded scores taken as counts: {}; each is the nearest whole number of its task's items, within \
             the rounding and well inside the binomial noise (docs/models.md, item counts)",
            super::listed_as(&shown, str::to_string)
        );
    }
    let scores_only: Vec<String> =
        reports.iter().filter(|r| r.items.is_none()).map(|r| format!("'{}'", r.series)).collect();
    if !scores_only.is_empty() {
        let which = if scores_only.len() == reports.len() {
            "every series".to_string()
        } else {
            super::listed_as(&scores_only, str::to_string)
        };
        out!(
            "\nscores without item counts: {which}; they are fitted on the logit scale with a spread learnt from \
             them all, which a few sizes per task say little about, so an `n` column (items per task) makes them \
             counts and the fit surer (docs/models.md, noise)"
        );
    }
    // score-only tasks whose full-precision scores are whole counts of some number of items
    if !revealed.is_empty() {
        let list: Vec<String> = revealed.iter().map(|(t, n)| format!("'{t}' ({n} items)")).collect();
        let (t, n) = &revealed[0];
        out!(
            "\nscores that are whole counts: {}; every one of their scores given to every digit is a whole number of \
             that many items. If that is the task's item count (a mean over subtasks of unequal sizes can look \
             like one too), `--items '{t}={n}'` (or an `n` column) fits them as counts",
            list.join(", ")
        );
    }
    let families = tasks_by_prefix(&tasks);
    if !families.is_empty() {
        let list: Vec<String> = families.iter().map(|(p, n)| format!("{p}* ({n} tasks)")).collect();
        out!(
            "\ntasks that share a name's first part: {}; `forecast --mean '{}*'` (and threshold, validate, report) \
             gives the mean of such a set, as a benchmark reports it",
            list.join(", "),
            families[0].0
        );
    }
    if let Some(note) = super::one_ladder_note(&ds, &series) {
        out!("\n{note}");
    }
    let short = reports.iter().filter(|r| r.too_few_sizes).count();
    if short == reports.len() {
        out!("\nno series has the 3 sizes a curve needs");
    } else if short > 0 {
        out!("\n{short} of {} series have fewer than 3 sizes: fit the rest with --skip-short", reports.len());
    }
    let falling = reports.iter().filter(|r| r.falls).count();
    if falling > 0 && falling < reports.len() {
        out!(
            "{}{falling} of {} series fall with size, which an S-curve cannot follow: fit the rest with --skip-falling",
            if short > 0 && short < reports.len() { "" } else { "\n" },
            reports.len()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The first parts of task names (up to and with the first `-` or `_`) that at least five tasks
/// share, with how many share each, most first: `hendrycksTest-` for MMLU's subjects.
fn tasks_by_prefix(tasks: &BTreeSet<&str>) -> Vec<(String, usize)> {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for t in tasks {
        if let Some(i) = t.find(['-', '_'])
            && i + 1 < t.len()
        {
            *counts.entry(&t[..=i]).or_default() += 1;
        }
    }
    let mut out: Vec<(String, usize)> =
        counts.into_iter().filter(|&(_, n)| n >= 5).map(|(p, n)| (p.to_string(), n)).collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}

/// The tasks among `tasks` some of whose counts were read from rounded scores, each with its
/// item count and the fewest decimals any of its scores was written to.
fn rounded_counts(
    ds: &scurve::data::Dataset,
    tasks: &BTreeSet<&str>,
) -> std::collections::BTreeMap<String, (u64, u32)> {
    let mut out = std::collections::BTreeMap::new();
    for o in ds.observations.iter().filter(|o| tasks.contains(o.task.as_str())) {
        if let (Some(d), Some(n)) = (o.rounded, o.outcome.n()) {
            let e = out.entry(o.task.clone()).or_insert((n, d));
            e.1 = e.1.min(d);
        }
    }
    out
}
