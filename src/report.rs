//! One self-contained HTML page: the data, the fit's diagnostics, every task's curve, the
//! population, forecasts, thresholds and the validation on held-out sizes. Figures are inline
//! SVG; the page loads nothing from the network.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::check::PredictiveCheck;
use crate::data::{SeriesReport, XAxis};
use crate::fit::FitDiagnostics;
use crate::forecast::{ForecastRow, Score, ThresholdRow};
use crate::plot::format_on_axis;
use crate::posterior::Luck;
use crate::size::format_size;
use crate::summary::Interval;

/// The score whose exceedance the validation's Brier column scores: five points above each
/// task's chance, whether the task has left chance.
pub const LEAVES_CHANCE: Score = Score::AboveChance(0.05);
use crate::validate::{Arm, MethodScores, Prediction};

/// The validation part of a report.
pub struct ValidationSection {
    /// How the sizes were split, in words.
    pub split: String,
    pub heldout: usize,
    pub scores: BTreeMap<Arm, MethodScores>,
    /// What its NUTS fits fell short of, one line per fit that did.
    pub fit_warnings: Vec<String>,
    /// The first method's misses it was surest of ([`crate::validate::surest_misses`]).
    pub misses: Vec<Prediction>,
    /// The means of tasks asked for (`report --mean`), scored apart from the tasks: the
    /// predictions of each held-out model every task of a mean holds out, and their scores.
    pub means: Option<MeansValidation>,
    /// Inline SVG figures, with captions.
    pub figures: Vec<(String, String)>,
}

/// The validation of the means of tasks: their predictions, in the order `validate` gives
/// them (one per method for each mean and held-out model), and their scores per method.
pub struct MeansValidation {
    pub predictions: Vec<Prediction>,
    pub scores: BTreeMap<Arm, MethodScores>,
}

/// Everything a report shows.
pub struct Report {
    pub title: String,
    /// Data source, model name, settings, in words.
    pub facts: Vec<(String, String)>,
    pub series: Vec<SeriesReport>,
    pub diagnostics: Option<FitDiagnostics>,
    pub warnings: Vec<String>,
    /// The fitted scores set against their posterior predictive intervals.
    pub check: Option<PredictiveCheck>,
    pub overview_svg: String,
    pub population_svg: String,
    /// Each evaluated model's luck, when the fit's model has a per-model effect.
    pub luck: Option<Luck>,
    /// The counts' dispersion d, when the fit's model has one.
    pub dispersion: Option<Interval>,
    /// The spread σ of logit(score) of the scores without item counts, when there are any, and
    /// the model's least σ.
    pub score_noise: Option<(Interval, f64)>,
    pub forecasts: Vec<ForecastRow>,
    /// Forecasts below what the task's largest fitted model scored, on a curve flattened at its
    /// ceiling ([`crate::forecast::flattened`]), in words.
    pub forecast_notes: Vec<String>,
    /// A figure of each mean of tasks asked for (`report --mean`), as inline SVG.
    pub means_svg: Vec<String>,
    /// What the forecasts' and thresholds' amounts are: sizes, or training compute in FLOPs.
    pub axis: XAxis,
    /// The thresholds' score: one for every task, or some points above each task's chance or
    /// its largest fitted model's score.
    pub threshold_score: crate::forecast::Score,
    pub thresholds: Vec<ThresholdRow>,
    /// Per threshold row, the probability the score is reached within a tenfold scale-up of
    /// the row's largest fitted size (or compute).
    pub within_tenfold: Vec<f64>,
    /// Thresholds whose P(never) rests on a curve flattened below the task's largest score, in
    /// words.
    pub threshold_notes: Vec<String>,
    pub threshold_svg: String,
    /// The validation, or why there is none (in words, for the page).
    pub validation: Result<ValidationSection, String>,
}

/// A predictive check's two-sided p for the page. A p of 0 means no repeat lay as far out as
/// the score: below what `repeats` repeats resolve, so it reads "< 1/repeats", not 0.
fn p_cell(p: f64, repeats: usize) -> String {
    if p > 0.0 { format!("{p:.4}") } else { format!("&lt; {:.4}", 1.0 / repeats as f64) }
}

/// Escape text for HTML.
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f3a5a;color:#fff;padding:18px 32px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0;opacity:.85}
nav{padding:8px 32px;background:#eef2f6;position:sticky;top:0;z-index:1}nav a{margin-right:18px;color:#1f3a5a;text-decoration:none;font-weight:600}
section{background:#fff;margin:18px 32px;padding:8px 24px 20px;overflow-x:auto;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{color:#1f3a5a;border-bottom:1px solid #dde;padding-bottom:6px}
table{border-collapse:collapse;font-size:13px;margin:8px 0}th,td{padding:3px 10px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}
th{background:#f3f5f8}td:first-child,th:first-child{text-align:left}
.figure{overflow-x:auto;margin:12px 0}.figure svg{max-width:100%;height:auto}
.caption{color:#555;font-size:13px;margin:4px 0 14px}.warn{color:#a33;font-weight:600}.ok{color:#2a7a2a;font-weight:600}
.flag{color:#a60}td.flag{white-space:normal;text-align:left}th.text{text-align:left}dl{display:grid;grid-template-columns:max-content auto;gap:4px 16px}dt{font-weight:600}dd{margin:0}";

fn pct(v: f64) -> String {
    format!("{:.1}%", 100.0 * v)
}

fn amount_or(v: Option<f64>, axis: XAxis) -> String {
    match v {
        None => "never".into(),
        Some(0.0) if axis == XAxis::Params => "any size".into(),
        Some(0.0) => "any compute".into(),
        Some(s) => format_on_axis(s, axis),
    }
}

/// The forecasts' and thresholds' amount in words: a column head, the new model it describes,
/// and the amount in a caption.
fn amount_words(axis: XAxis) -> (&'static str, &'static str, &'static str) {
    match axis {
        XAxis::Params => ("size", "of each size", "size"),
        XAxis::Compute => ("compute (FLOPs)", "trained with each compute", "training compute (FLOPs)"),
    }
}

impl Report {
    /// The page.
    pub fn html(&self) -> String {
        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>{STYLE}</style></head><body>\
             <header><h1>{t}</h1><p>S-curves fitted per task, pooled across tasks; forecasts with honest intervals.</p></header>\
             <nav><a href=\"#data\">Data</a><a href=\"#diagnostics\">Diagnostics</a><a href=\"#curves\">Curves</a>\
             <a href=\"#population\">Population</a><a href=\"#forecasts\">Forecasts</a><a href=\"#thresholds\">Thresholds</a>\
             <a href=\"#validation\">Validation</a></nav>",
            t = escape(&self.title)
        );
        self.data_section(&mut h);
        self.diagnostics_section(&mut h);
        let _ = write!(
            h,
            "<section id=\"curves\"><h2>Curves</h2><p class=\"caption\">Every task, sorted by the size of fastest gain. \
             Blue: posterior median of the curve with 50% and 90% intervals; black: fitted scores with 95% binomial \
             intervals; red: held-out scores; orange: the predictive interval of a new model.</p>\
             <div class=\"figure\">{}</div></section>",
            self.overview_svg
        );
        let _ = write!(
            h,
            "<section id=\"population\"><h2>Population</h2><p class=\"caption\">Posterior medians of each task's midpoint \
             and slope. Midpoints far beyond the sizes in the data belong to tasks still at chance: the data say little \
             about them, and their intervals are wide.</p><div class=\"figure\">{}</div>",
            self.population_svg
        );
        self.luck_table(&mut h);
        if let Some(d) = &self.dispersion {
            let _ = write!(
                h,
                "<h3>The counts' dispersion</h3><p class=\"caption\">d = {:.2} [{:.2}, {:.2}] (median and 90% \
                 interval): {}.</p>",
                d.est,
                d.lo,
                d.hi,
                escape(crate::counts::DISPERSION_MEANING)
            );
        }
        if let Some((s, least)) = &self.score_noise {
            let _ = write!(
                h,
                "<h3>The spread of the scores without item counts</h3><p class=\"caption\">σ = {:.3} [{:.3}, {:.3}] \
                 (median and 90% interval): the sd of logit(score) around the curves, at least {least} (0.04 is \
                 about a point at 50%).</p>",
                s.est, s.lo, s.hi
            );
        }
        h.push_str("</section>");
        self.forecast_section(&mut h);
        self.threshold_section(&mut h);
        self.validation_section(&mut h);
        h.push_str("</body></html>\n");
        h
    }

    /// The predictive check: how many fitted scores lie outside their intervals, and which.
    fn check_table(&self, h: &mut String) {
        let Some(c) = &self.check else { return };
        let level = format!("{:.0}%", 100.0 * c.level);
        let _ = write!(
            h,
            "<h3>Predictive check</h3><p class=\"caption\">Each fitted score against the posterior predictive \
             interval of a repeat of its evaluation (the same model, its items drawn again). {} of {} {} outside \
             {level}; about {:.1} would by chance. A task listed here is not followed by its S-curve at that size, \
             and its forecasts deserve less trust.</p>",
            c.outside.len(),
            c.scores,
            if c.outside.len() == 1 { "lies" } else { "lie" },
            c.expected
        );
        if c.too_many() {
            let _ = write!(
                h,
                "<p class=\"warn\">More fitted scores lie outside their {level} intervals than chance gives.</p>"
            );
        }
        if c.outside.is_empty() {
            return;
        }
        let _ = write!(
            h,
            "<table><tr><th>task</th><th>model</th><th>score</th><th>{level} interval</th><th>two-sided p</th></tr>"
        );
        for o in &c.outside {
            let p = p_cell(o.p, c.repeats);
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{:.3}</td><td>{:.3}–{:.3}</td><td>{p}</td></tr>",
                escape(&o.task),
                escape(&o.model),
                o.observed,
                o.lo,
                o.hi,
            );
        }
        h.push_str("</table>");
    }

    /// Each evaluated model's luck (the per-model effect), when the model has one.
    fn luck_table(&self, h: &mut String) {
        let Some(luck) = &self.luck else { return };
        let sd = &luck.sd;
        let _ = write!(
            h,
            "<h3>Each model's luck</h3><p class=\"caption\">Every evaluated model's {}, shared by all its tasks \
             ({}; median and 90% interval). Their sd across models is {:.3} [{:.3}, {:.3}]; a forecast for a new \
             model draws a fresh one.</p><table><tr><th>model</th><th>luck</th><th>90% interval</th></tr>",
            escape(luck.what().0),
            escape(luck.what().1),
            sd.est,
            sd.lo,
            sd.hi
        );
        for (m, iv) in &luck.models {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:+.3}</td><td>{:+.3} to {:+.3}</td></tr>",
                escape(m),
                iv.est,
                iv.lo,
                iv.hi
            );
        }
        h.push_str("</table>");
    }

    fn data_section(&self, h: &mut String) {
        h.push_str("<section id=\"data\"><h2>Data</h2><dl>");
        for (k, v) in &self.facts {
            let _ = write!(h, "<dt>{}</dt><dd>{}</dd>", escape(k), escape(v));
        }
        h.push_str("</dl><table><tr><th>series</th><th>chance</th><th>sizes</th><th>range</th><th>items</th><th>scores</th><th class=\"text\">notes</th></tr>");
        for s in &self.series {
            let mut notes = Vec::new();
            if s.at_chance {
                notes.push("at chance at every size: midpoint not identified");
            }
            if s.falls {
                notes.push("falls with size");
            }
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{:.3}</td><td>{}</td><td>{}–{}</td><td>{}</td><td>{:.3}–{:.3}</td><td class=\"flag\">{}</td></tr>",
                escape(&s.series),
                s.chance,
                s.sizes,
                format_size(s.smallest),
                format_size(s.largest),
                s.items.map_or("—".to_string(), |n| n.to_string()),
                s.min_score,
                s.max_score,
                notes.join("; ")
            );
        }
        h.push_str("</table></section>");
    }

    fn diagnostics_section(&self, h: &mut String) {
        h.push_str("<section id=\"diagnostics\"><h2>Diagnostics</h2>");
        match &self.diagnostics {
            None => h.push_str("<p>No sampler diagnostics (not a NUTS fit).</p>"),
            Some(d) => {
                let _ = write!(
                    h,
                    "<table><tr><th>quantity</th><th>value</th><th>wanted</th></tr>\
                     <tr><td>largest R-hat ({})</td><td>{}</td><td>≤ 1.01</td></tr>\
                     <tr><td>smallest bulk ESS ({})</td><td>{:.0}</td><td>≥ 400</td></tr>\
                     <tr><td>smallest tail ESS</td><td>{:.0}</td><td>≥ 400</td></tr>\
                     <tr><td>divergences</td><td>{}</td><td>0</td></tr>\
                     <tr><td>hits of the maximum tree depth</td><td>{}</td><td>0</td></tr>\
                     <tr><td>mean tree depth</td><td>{:.1}</td><td></td></tr>\
                     <tr><td>smallest E-BFMI</td><td>{:.2}</td><td>≥ 0.3</td></tr>\
                     <tr><td>sampling time</td><td>{:.1} s</td><td></td></tr>\
                     <tr><td>bulk ESS per second</td><td>{:.1}</td><td></td></tr></table>",
                    escape(&d.worst_rhat),
                    crate::fit::format_rhat(d.rhat_max),
                    escape(&d.worst_ess),
                    d.ess_bulk_min,
                    d.ess_tail_min,
                    d.divergences,
                    d.max_depth_hits,
                    d.mean_tree_depth,
                    d.ebfmi_min,
                    d.sampling_seconds,
                    d.ess_bulk_per_second
                );
            }
        }
        if self.warnings.is_empty() {
            h.push_str("<p class=\"ok\">No warnings.</p>");
        }
        for w in &self.warnings {
            let _ = write!(h, "<p class=\"warn\">{}</p>", escape(w));
        }
        self.check_table(h);
        h.push_str("</section>");
    }

    fn forecast_section(&self, h: &mut String) {
        let (head, model, _) = amount_words(self.axis);
        let _ = write!(
            h,
            "<section id=\"forecasts\"><h2>Forecasts</h2><p class=\"caption\">The score a new model {model} \
             would get, as observed on the same items: median with central 50%, 80% and 95% intervals.</p>\
             <table><tr><th>task</th><th>{head}</th><th>median</th><th>50%</th><th>80%</th><th>95%</th></tr>",
        );
        for r in &self.forecasts {
            let _ = write!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td><td>{}–{}</td><td>{}–{}</td></tr>",
                escape(&r.task),
                format_on_axis(r.size, self.axis),
                pct(r.median),
                pct(r.lo50),
                pct(r.hi50),
                pct(r.lo80),
                pct(r.hi80),
                pct(r.lo95),
                pct(r.hi95)
            );
        }
        h.push_str("</table>");
        for n in &self.forecast_notes {
            let _ = write!(h, "<p class=\"warn\">{}</p>", escape(n));
        }
        for svg in &self.means_svg {
            let _ = write!(
                h,
                "<p class=\"caption\">A mean of tasks: the band of the weighted mean of their curves, the mean of \
                 their observed scores wherever all were measured, and a new model's predictive interval.</p>\
                 <div class=\"figure\">{svg}</div>"
            );
        }
        h.push_str("</section>");
    }

    fn threshold_section(&self, h: &mut String) {
        // each row's own score, when it is some points above the row's chance or largest score
        let own = self.threshold_score.per_task();
        let _ = write!(
            h,
            "<section id=\"thresholds\"><h2>Thresholds</h2><p class=\"caption\">The {} at which each task's curve \
             reaches {}: median and 80% interval, the probability it is already reached at the largest fitted {}, \
             the probability it is reached within a tenfold scale-up of it, and the probability it is never \
             reached (the ceiling lies below).</p><div class=\"figure\">{}</div>\
             <table><tr><th>task</th>{}<th>median</th><th>80% interval</th><th>P(already)</th><th>P(within 10×)</th>\
             <th>P(never)</th></tr>",
            amount_words(self.axis).2,
            self.threshold_score.words(),
            amount_words(self.axis).0,
            self.threshold_svg,
            if own { "<th>score</th>" } else { "" }
        );
        for (r, within) in self.thresholds.iter().zip(&self.within_tenfold) {
            let _ = write!(
                h,
                "<tr><td>{}</td>{}<td>{}</td><td>{} – {}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>",
                escape(&r.task),
                if own { format!("<td>{:.3}</td>", r.score) } else { String::new() },
                amount_or(r.median_size, self.axis),
                amount_or(r.lo80_size, self.axis),
                amount_or(r.hi80_size, self.axis),
                r.p_already,
                within,
                r.p_never
            );
        }
        h.push_str("</table>");
        for n in &self.threshold_notes {
            let _ = write!(h, "<p class=\"warn\">{}</p>", escape(n));
        }
        h.push_str("</section>");
    }

    fn validation_section(&self, h: &mut String) {
        h.push_str("<section id=\"validation\"><h2>Validation</h2>");
        let v = match &self.validation {
            Ok(v) => v,
            Err(why) => {
                let _ = write!(h, "<p>{}</p></section>", escape(why));
                return;
            }
        };
        let _ = write!(
            h,
            "<p class=\"caption\">{}: {} held-out scores, each method fitted on the smaller sizes only. \
             Persistence carries the last score on; momentum the last gain per decade. Brier: of each method's \
             probability that a held-out score is above {}, whether the task has left chance (0 or 1 for a point \
             forecast; lower is better).</p>",
            escape(&v.split),
            v.heldout,
            LEAVES_CHANCE
        );
        for w in &v.fit_warnings {
            let _ = write!(h, "<p class=\"warn\">{}</p>", escape(w));
        }
        score_table(h, &v.scores);
        if let Some(first) = v.misses.first() {
            let _ = write!(
                h,
                "<h3>The misses {} was surest of</h3><p class=\"caption\">Held-out scores furthest into a tail of \
                 the predictive distribution (PIT below 0.1 or above 0.9), at most five.</p><table><tr><th>task</th>\
                 <th>model</th><th>observed</th><th>predicted</th><th>80%</th><th>PIT</th></tr>",
                first.method.name()
            );
            for p in &v.misses {
                let (lo, hi) = p.interval80.unwrap_or((f64::NAN, f64::NAN));
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}–{}</td><td>{:.3}</td></tr>",
                    escape(&p.task),
                    escape(&p.model),
                    pct(p.observed),
                    pct(p.predicted),
                    pct(lo),
                    pct(hi),
                    p.pit.unwrap_or(f64::NAN)
                );
            }
            h.push_str("</table>");
        }
        if let Some(m) = &v.means {
            means_validation(h, m);
        }
        for (caption, svg) in &v.figures {
            let _ = write!(h, "<div class=\"figure\">{svg}</div><p class=\"caption\">{}</p>", escape(caption));
        }
        h.push_str("</section>");
    }
}

/// A validation's scores, a row per method, with the Brier score of leaving chance when the
/// validation gave one.
fn score_table(h: &mut String, scores: &BTreeMap<Arm, MethodScores>) {
    let brier = scores.values().any(|s| s.brier.is_some());
    let _ = write!(
        h,
        "<table><tr><th>method</th><th>n</th><th>MAE (pp)</th><th>median AE (pp)</th><th>RMSE (pp)</th>\
         <th>CRPS</th><th>LPD</th><th>50%</th><th>80%</th><th>95%</th>{}</tr>",
        if brier { "<th>Brier</th>" } else { "" }
    );
    for (m, s) in scores {
        let cov = |k: &str| s.coverage.as_ref().map_or("—".to_string(), |c| format!("{:.2}", c[k]));
        let brier_cell = match (brier, s.brier) {
            (false, _) => String::new(),
            (true, b) => format!("<td>{}</td>", b.map_or("—".to_string(), |b| format!("{b:.3}"))),
        };
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.4}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>{brier_cell}</tr>",
            m.name(),
            s.n,
            s.mae_pp,
            s.median_ae_pp,
            s.rmse_pp,
            s.crps,
            s.lpd.map_or("—".to_string(), |l| format!("{l:.2}")),
            cov("50"),
            cov("80"),
            cov("95")
        );
    }
    h.push_str("</table>");
}

/// The means of tasks' part of the validation: their scores per method, then each held-out
/// mean with every method's prediction.
fn means_validation(h: &mut String, m: &MeansValidation) {
    let Some(first) = m.predictions.first().map(|p| &p.method) else {
        h.push_str(
            "<h3>Means of tasks</h3><p>No model is held out, and measured, in every task of a mean, \
             so no mean could be scored.</p>",
        );
        return;
    };
    // each held-out mean has one prediction per method, in the same order
    let methods = m.predictions.iter().skip(1).position(|p| p.method == *first).map_or(m.predictions.len(), |i| i + 1);
    let heldout = m.predictions.iter().filter(|p| p.method == *first).count();
    let _ = write!(
        h,
        "<h3>Means of tasks</h3><p class=\"caption\">{heldout} held-out {}: a mean's prediction is the mean of \
         its tasks' (and its real score the mean of theirs), scored apart from the tasks.</p>",
        if heldout == 1 { "mean" } else { "means" }
    );
    score_table(h, &m.scores);
    h.push_str("<table><tr><th>mean</th><th>model</th><th>decades ahead</th><th>observed</th>");
    for p in &m.predictions[..methods] {
        let _ = write!(h, "<th>{}</th>", p.method.name());
    }
    h.push_str("</tr>");
    for row in m.predictions.chunks(methods) {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{}</td><td>{:.2}</td><td>{:.3}</td>",
            escape(&row[0].task),
            escape(&row[0].model),
            row[0].distance,
            row[0].observed
        );
        for p in row {
            match p.interval80 {
                Some((lo, hi)) => {
                    let _ = write!(h, "<td>{:.3} ({lo:.3}–{hi:.3})</td>", p.predicted);
                }
                None => {
                    let _ = write!(h, "<td>{:.3}</td>", p.predicted);
                }
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</table>");
}

#[cfg(test)]
mod tests {
    #[test]
    fn escape_covers_markup() {
        assert_eq!(super::escape("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
    }

    #[test]
    fn a_p_of_nought_reads_as_below_the_resolution() {
        assert_eq!(super::p_cell(0.0, 1000), "&lt; 0.0010");
        assert_eq!(super::p_cell(0.0, 400), "&lt; 0.0025");
        assert_eq!(super::p_cell(0.004, 1000), "0.0040");
    }
}
