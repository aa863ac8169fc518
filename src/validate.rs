//! Validation on held-out sizes: fit on the smaller models, predict the larger ones, and score
//! every method side by side — the hierarchical model, its MAP, each task alone, and two honest
//! baselines (the last score; the last gain per decade carried forward).

use std::collections::BTreeMap;
use std::sync::atomic::AtomicBool;

use serde::Serialize;

use crate::data::{FitData, Outcome, Series, XAxis, x_value};
use crate::error::{Error, Result};
use crate::fit::{FitDiagnostics, fit_independent, fit_nuts, hierarchical_map, posterior_from_task_maps};
use crate::forecast::{Baseline, Group, Score, Target, group_predictive, log_predictive_density, predictive};
use crate::metrics::{covers, crps, pit};
use crate::model::CurveModel;
use crate::posterior::Posterior;
use crate::sample::{NutsOptions, Progress};
use crate::spec::ModelSpec;
use crate::summary::{quantile_sorted, sorted};

/// The forecasting methods compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The default pooled model, sampled with NUTS.
    Hierarchical,
    /// The same model at its mode, with Laplace draws.
    HierarchicalMap,
    /// Each task alone at its mode, with Laplace draws.
    IndependentMap,
    /// The last observed score.
    Persistence,
    /// The last gain per decade of size carried forward, clipped to [0, 1].
    Momentum,
}

impl Method {
    pub const ALL: [Method; 5] =
        [Method::Hierarchical, Method::HierarchicalMap, Method::IndependentMap, Method::Persistence, Method::Momentum];

    pub fn name(self) -> &'static str {
        match self {
            Method::Hierarchical => "hierarchical",
            Method::HierarchicalMap => "hierarchical_map",
            Method::IndependentMap => "independent_map",
            Method::Persistence => "persistence",
            Method::Momentum => "momentum",
        }
    }

    fn probabilistic(self) -> bool {
        !matches!(self, Method::Persistence | Method::Momentum)
    }
}

/// A method as a validation scores it: the method and, when several model files are compared
/// ([`ValidateOptions::models`]), which one the pooled NUTS fit used (its place in the list and
/// its label). Named `hierarchical:LABEL` then, and by the method's name otherwise.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Arm {
    pub method: Method,
    pub model_file: Option<(usize, String)>,
}

impl Arm {
    pub fn name(&self) -> String {
        match &self.model_file {
            Some((_, label)) => format!("{}:{label}", self.method.name()),
            None => self.method.name().to_string(),
        }
    }
}

impl From<Method> for Arm {
    fn from(method: Method) -> Self {
        Arm { method, model_file: None }
    }
}

impl PartialEq<Method> for Arm {
    fn eq(&self, m: &Method) -> bool {
        self.model_file.is_none() && self.method == *m
    }
}

impl Serialize for Arm {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// Which sizes are held out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Split {
    /// Every size above this parameter count.
    Above(f64),
    /// Each series' K largest sizes.
    Largest(usize),
    /// Every cutoff between observed sizes (at least three sizes kept).
    Rolling,
}

/// One prediction of one held-out point.
#[derive(Debug, Clone, Serialize)]
pub struct Prediction {
    pub method: Arm,
    pub task: String,
    pub model: String,
    pub size: f64,
    /// Orders of magnitude beyond the largest fitted size.
    pub distance: f64,
    pub observed: f64,
    pub predicted: f64,
    pub crps: f64,
    pub lpd: Option<f64>,
    pub pit: Option<f64>,
    pub cover50: Option<bool>,
    pub cover80: Option<bool>,
    pub cover95: Option<bool>,
    /// The central 80% predictive interval (probabilistic methods).
    pub interval80: Option<(f64, f64)>,
    /// For the mean score of a group of tasks (`ValidateOptions::means`), how many it averages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean_of: Option<usize>,
    /// The score whose exceedance is forecast too (`ValidateOptions::above`, resolved for this
    /// task or mean), and the method's probability that the held-out score is above it: the
    /// share of its predictive draws above it, or 0 or 1 for a point forecast.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_above: Option<f64>,
}

impl Prediction {
    /// A held-out value to predict, before any method has: `task` (or a group's label, with
    /// `mean_of` its number of tasks) of `model`, `distance` orders of magnitude beyond the
    /// largest fitted size.
    fn held_out(task: String, model: String, size: f64, distance: f64, observed: f64, mean_of: Option<usize>) -> Self {
        Prediction {
            method: Method::Persistence.into(),
            task,
            model,
            size,
            distance,
            observed,
            predicted: f64::NAN,
            crps: f64::NAN,
            lpd: None,
            pit: None,
            cover50: None,
            cover80: None,
            cover95: None,
            interval80: None,
            mean_of,
            above: None,
            p_above: None,
        }
    }

    /// A point forecast of this value by `method`: its CRPS is the absolute error, and its
    /// probability of exceeding `above` 0 or 1.
    fn point(&self, method: Arm, predicted: f64) -> Self {
        let p_above = self.above.map(|a| if predicted > a { 1.0 } else { 0.0 });
        Prediction { method, predicted, crps: (predicted - self.observed).abs(), p_above, ..self.clone() }
    }
}

/// Summary of one method's predictions.
#[derive(Debug, Clone, Serialize)]
pub struct MethodScores {
    pub n: usize,
    pub mae_pp: f64,
    pub median_ae_pp: f64,
    pub rmse_pp: f64,
    pub crps: f64,
    pub lpd: Option<f64>,
    pub coverage: Option<BTreeMap<String, f64>>,
    /// Probability integral transforms of the held-out scores (uniform when calibrated).
    pub pit: Option<Vec<f64>>,
    /// With `ValidateOptions::above`: the Brier score of the method's probabilities that each
    /// held-out score is above it (the mean squared difference from 1 where it was, 0 where not).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub brier: Option<f64>,
}

/// Settings of a validation run.
#[derive(Debug, Clone)]
pub struct ValidateOptions {
    pub split: Split,
    pub methods: Vec<Method>,
    /// The model files of the pooled methods: one, or several whose NUTS fits are scored side
    /// by side (an arm of `hierarchical` each); `hierarchical_map` takes the first.
    pub models: Vec<ModelSpec>,
    pub nuts: NutsOptions,
    pub x_axis: XAxis,
    pub seed: u64,
    /// Groups of the series validated (their indices) whose mean score is predicted too, at
    /// each model that every task of the group holds out.
    pub means: Vec<Group>,
    /// Leave out of each fit the series whose scores fall with size up to its cutoff
    /// (`--skip-falling`, judged on the sizes fitted, never on those held out).
    pub skip_falling: bool,
    /// Also forecast whether each held-out score is above this (`chance+0.05`: five points above
    /// its task's chance, a mean's the mean of its tasks' chances), scored by the Brier score.
    pub above: Option<Score>,
}

impl ValidateOptions {
    /// The label of each model file: its name, and where two share one, the later ones
    /// numbered by their place in the list (`hierarchical#2`).
    pub fn model_labels(&self) -> Vec<String> {
        let names: Vec<&str> = self.models.iter().map(|m| m.name.as_str()).collect();
        (names.iter().enumerate())
            .map(|(i, n)| if names[..i].contains(n) { format!("{n}#{}", i + 1) } else { n.to_string() })
            .collect()
    }

    /// The arms scored, in order: each method, and `hierarchical` once per model file when
    /// several are compared.
    pub fn arms(&self) -> Vec<Arm> {
        let labels = self.model_labels();
        let mut arms = Vec::new();
        for &method in &self.methods {
            if method == Method::Hierarchical && labels.len() > 1 {
                arms.extend(labels.iter().cloned().enumerate().map(|f| Arm { method, model_file: Some(f) }));
            } else {
                arms.push(method.into());
            }
        }
        arms
    }
}

/// Fit on the kept sizes and predict the held-out ones, for every cutoff of the split.
pub fn validate(
    series: &[Series],
    opts: &ValidateOptions,
    progress: &dyn Progress,
    stop: &AtomicBool,
) -> Result<Validation> {
    if opts.models.is_empty() {
        return Err(Error::Usage("nothing to validate: no model file given".into()));
    }
    if let Some(why) = nothing_to_validate(series, opts.split, opts.skip_falling) {
        return Err(Error::Usage(format!("nothing to validate: {why}")));
    }
    let mut out = Validation { predictions: Vec::new(), fits: Vec::new() };
    for cut in rounds(series, opts.split) {
        one_round(series, &cut, opts, progress, stop, &mut out)?;
    }
    Ok(out)
}

/// What a validation gives: every prediction, and the diagnostics of each NUTS fit it made
/// (one per round), so that scores resting on chains that disagree are not taken on trust.
#[derive(Debug, Clone)]
pub struct Validation {
    pub predictions: Vec<Prediction>,
    pub fits: Vec<RoundFit>,
}

/// One round's NUTS fit: the largest size it was fitted on, how far beyond their task's largest
/// fitted size the scores it predicted lie, and its diagnostics.
#[derive(Debug, Clone, Serialize)]
pub struct RoundFit {
    /// The model file's label when several are compared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_file: Option<String>,
    pub largest_fitted: f64,
    /// Orders of magnitude from its task's largest fitted size to the farthest score the round
    /// held out (a [`Prediction::distance`]).
    pub farthest: f64,
    pub diagnostics: FitDiagnostics,
}

impl Validation {
    /// One line per fit that fell short, saying how: its scores rest on less than they seem.
    pub fn fit_warnings(&self) -> Vec<String> {
        self.fits
            .iter()
            .filter(|f| f.diagnostics.falls_short())
            .map(|f| {
                let (size, short) = (crate::size::format_size(f.largest_fitted), f.diagnostics.shortfall());
                let of = f.model_file.as_ref().map_or(String::new(), |m| format!(" ({m})"));
                // a fit short in a task's value whose curves passed up to a tenfold scale-up, when
                // every score the round held out lies within it
                let far = f.diagnostics.only_far_short().filter(|_| f.farthest <= 1.0);
                match (f.diagnostics.only_population_short(), far) {
                    (Some(only), _) => {
                        format!("the hierarchical fit{of} of sizes up to {size} ended with {short}; {only}")
                    }
                    (None, Some(far)) => format!(
                        "the hierarchical fit{of} of sizes up to {size} ended with {short}; {far}, and every score \
                         it was asked to forecast lies within one"
                    ),
                    (None, None) => format!(
                        "the hierarchical fit{of} of sizes up to {size} ended with {short}: the scores of its \
                         forecasts rest on draws that may not describe the posterior (`scurve fit` on the same \
                         sizes says more)"
                    ),
                }
            })
            .collect()
    }
}

/// The `k` predictions of `method` outside their 80% interval whose observed score lies furthest
/// into a tail of the predictive distribution (PIT below 0.1 or above 0.9, nearest 0 or 1 first):
/// the misses the method was surest of. None for a method without a predictive distribution.
pub fn surest_misses<'a>(preds: &'a [Prediction], method: &Arm, k: usize) -> Vec<&'a Prediction> {
    let tail = |p: &Prediction| p.pit.map_or(1.0, |pit| pit.min(1.0 - pit));
    let mut misses: Vec<&Prediction> =
        preds.iter().filter(|p| p.method == *method && p.pit.is_some() && tail(p) < 0.1).collect();
    misses.sort_by(|a, b| tail(a).total_cmp(&tail(b)));
    misses.truncate(k);
    misses
}

/// Why `split` leaves nothing to score, in words: no task has both 3 sizes to fit and a larger
/// one to predict. None when some task has both.
pub fn nothing_to_validate(series: &[Series], split: Split, skip_falling: bool) -> Option<String> {
    if rounds(series, split).iter().any(|cut| !usable(series, cut, skip_falling).is_empty()) {
        return None;
    }
    if skip_falling && rounds(series, split).iter().any(|cut| !usable(series, cut, false).is_empty()) {
        return Some(
            "every task that has 3 sizes to fit and one to predict falls with size up to its cutoff \
                     (--skip-falling leaves those out)"
                .into(),
        );
    }
    let most = series.iter().map(|s| s.n_sizes()).max().unwrap_or(0);
    Some(match split {
        Split::Above(c) => {
            format!("no task has 3 sizes at or below {} and one above it to predict", crate::size::format_size(c))
        }
        Split::Largest(k) => format!(
            "no task has more than {most} sizes, so holding out its {k} largest leaves fewer than the 3 a curve needs"
        ),
        Split::Rolling => {
            format!("no task has more than {most} sizes: a rolling validation fits 3 and predicts a larger one")
        }
    })
}

/// Each round's cutoff per series.
fn rounds(series: &[Series], split: Split) -> Vec<Vec<f64>> {
    match split {
        Split::Above(c) => vec![vec![c; series.len()]],
        Split::Largest(k) => vec![series.iter().map(|s| cutoff_below_largest(s, k)).collect()],
        Split::Rolling => {
            let most = series.iter().map(|s| s.n_sizes()).max().unwrap_or(0);
            (3..most).map(|kept| series.iter().map(|s| nth_size(s, kept)).collect()).collect()
        }
    }
}

/// The series with at least 3 sizes at or below their cutoff and one above it; with
/// `skip_falling`, only those whose scores do not fall with size up to the cutoff.
fn usable(series: &[Series], cut: &[f64], skip_falling: bool) -> Vec<usize> {
    (0..series.len())
        .filter(|&i| splits(&series[i], cut[i]) && !(skip_falling && series[i].falls_upto(cut[i])))
        .collect()
}

/// Whether a series has at least 3 sizes at or below `cut` and one above it.
fn splits(s: &Series, cut: f64) -> bool {
    s.n_sizes_upto(cut) >= 3 && s.points.iter().any(|p| p.params > cut)
}

fn sizes(s: &Series) -> Vec<f64> {
    let mut v: Vec<f64> = s.points.iter().map(|p| p.params).collect();
    v.dedup();
    v
}

/// The cutoff that keeps all but the `k` largest sizes of a series.
fn cutoff_below_largest(s: &Series, k: usize) -> f64 {
    let v = sizes(s);
    if k >= v.len() { 0.0 } else { v[v.len() - 1 - k] }
}

/// The cutoff that keeps the `kept` smallest sizes (all of them when there are fewer).
fn nth_size(s: &Series, kept: usize) -> f64 {
    let v = sizes(s);
    v[kept.min(v.len()) - 1]
}

fn one_round(
    series: &[Series],
    cut: &[f64],
    opts: &ValidateOptions,
    progress: &dyn Progress,
    stop: &AtomicBool,
    validation: &mut Validation,
) -> Result<()> {
    // series with fewer than 3 sizes kept, or nothing held out, sit this round out
    let usable = usable(series, cut, opts.skip_falling);
    if usable.is_empty() {
        return Ok(());
    }
    let chosen: Vec<Series> = usable.iter().map(|&i| series[i].clone()).collect();
    let cuts: Vec<f64> = usable.iter().map(|&i| cut[i]).collect();
    let data = FitData::build_with(&chosen, opts.x_axis, |i, p| p.params <= cuts[i], true)?;
    let arms = opts.arms();
    // the largest size fitted this round, which names each NUTS fit in the warnings
    let largest_fitted = (usable.iter())
        .flat_map(|&i| series[i].points.iter().filter(move |p| p.params <= cut[i]))
        .fold(0.0, |m: f64, p| m.max(p.params));
    let mut posteriors: Vec<(&Arm, Posterior)> = Vec::new();
    let round_fits = validation.fits.len();
    for arm in &arms {
        let post = match arm.method {
            Method::Hierarchical => {
                let spec = &opts.models[arm.model_file.as_ref().map_or(0, |f| f.0)];
                let model = CurveModel::new(spec.clone(), data.clone())?;
                let fit = fit_nuts(model, &opts.nuts, progress, stop)?;
                let model_file = arm.model_file.as_ref().map(|f| f.1.clone());
                let diagnostics = fit.diagnostics;
                validation.fits.push(RoundFit { model_file, largest_fitted, farthest: 0.0, diagnostics });
                fit.posterior
            }
            Method::HierarchicalMap => {
                // the pooled curves at their joint mode, without a per-model effect: a mode
                // cannot estimate the effect's sd (on Pythia it puts it at ten times the
                // posterior's, and the evaluated models' shifts then take up the curves' rise)
                let mut spec = opts.models[0].clone();
                spec.model_effect = false;
                let model = CurveModel::new(spec, data.clone())?;
                hierarchical_map(&model, opts.seed, 4000)?
            }
            Method::IndependentMap => {
                let mut spec = ModelSpec::builtin("independent")?;
                spec.x_axis = opts.x_axis;
                posterior_from_task_maps(&fit_independent(&spec, &data, opts.seed, 4000)?)
            }
            Method::Persistence | Method::Momentum => continue,
        };
        posteriors.push((arm, post));
    }
    // each task's last kept score, its x, and the gain per unit of x from the one before
    let anchors: Vec<Anchor> = chosen
        .iter()
        .enumerate()
        .map(|(t, s)| {
            let kept: Vec<_> = s.points.iter().filter(|p| p.params <= cuts[t]).collect();
            let (last, prev) = (kept[kept.len() - 1], kept[kept.len() - 2]);
            let (x_last, x_prev) = (x_value(last, opts.x_axis)?, x_value(prev, opts.x_axis)?);
            let score = last.outcome.score();
            Ok(Anchor { score, x: x_last, gain: (score - prev.outcome.score()) / (x_last - x_prev) })
        })
        .collect::<Result<_>>()?;
    let posterior_of = |m: &Arm| posteriors.iter().find(|(a, _)| *a == m).map(|(_, p)| p).expect("fitted above");
    let mut out = Vec::new();
    for (t, s) in chosen.iter().enumerate() {
        let (last_score, x_last) = (anchors[t].score, anchors[t].x);
        for p in s.points.iter().filter(|p| p.params > cuts[t]) {
            let x = x_value(p, opts.x_axis)?;
            let y = p.outcome.score();
            let held = Prediction {
                above: opts.above.map(|a| a.at(Baseline { chance: s.chance, largest: last_score })),
                ..Prediction::held_out(s.name.clone(), p.model.clone(), p.params, x - x_last, y, None)
            };
            let base = |method: &Arm, predicted| held.point(method.clone(), predicted);
            for m in &arms {
                match m.method {
                    Method::Persistence => out.push(base(m, last_score)),
                    Method::Momentum => out.push(base(m, anchors[t].momentum(x))),
                    _ => {
                        let post = posterior_of(m);
                        let target = Target { task: t, items: p.outcome.n() };
                        let pred = predictive(post, &target, x, opts.seed);
                        let lpd = match p.outcome {
                            Outcome::Counts { correct, n } => {
                                Some(log_predictive_density(post, t, x, correct, n, opts.seed))
                            }
                            Outcome::Score(_) => None,
                        };
                        out.push(Prediction { lpd, ..probabilistic(base(m, 0.0), &pred.observed) });
                    }
                }
            }
        }
    }
    for g in &opts.means {
        let Some((local, g)) = group_in_round(g, series, cut, &usable, opts.skip_falling) else {
            continue;
        };
        let (t0, w) = (local[0], &g.weights);
        for p in chosen[t0].points.iter().filter(|p| p.params > cuts[t0]) {
            // the same model held out, and measured, in every task of the group
            let Some(points) = local
                .iter()
                .map(|&t| chosen[t].points.iter().find(|q| q.model == p.model && q.params > cuts[t]))
                .collect::<Option<Vec<_>>>()
            else {
                continue;
            };
            let x = x_value(p, opts.x_axis)?;
            let mean = |f: &dyn Fn(usize, usize) -> f64| (0..local.len()).map(|k| w[k] * f(k, local[k])).sum::<f64>();
            let observed = mean(&|k, _| points[k].outcome.score());
            let x_last = local.iter().map(|&t| anchors[t].x).fold(f64::NEG_INFINITY, f64::max);
            let held = Prediction {
                above: opts.above.map(|a| {
                    a.at(Baseline { chance: mean(&|_, t| chosen[t].chance), largest: mean(&|_, t| anchors[t].score) })
                }),
                ..Prediction::held_out(g.label(), p.model.clone(), p.params, x - x_last, observed, Some(local.len()))
            };
            let base = |method: &Arm, predicted| held.point(method.clone(), predicted);
            for m in &arms {
                let prediction = match m.method {
                    Method::Persistence => base(m, mean(&|_, t| anchors[t].score)),
                    Method::Momentum => base(m, mean(&|_, t| anchors[t].momentum(x))),
                    _ => {
                        let post = posterior_of(m);
                        let here = Group {
                            tasks: local
                                .iter()
                                .zip(&points)
                                .map(|(&task, q)| Target { task, items: q.outcome.n() })
                                .collect(),
                            ..g.clone()
                        };
                        probabilistic(base(m, 0.0), &group_predictive(post, &here, x, opts.seed).observed)
                    }
                };
                out.push(prediction);
            }
        }
    }
    // how far ahead the round's fits were asked to forecast
    let farthest = out.iter().map(|p| p.distance).fold(0.0, f64::max);
    for f in &mut validation.fits[round_fits..] {
        f.farthest = farthest;
    }
    validation.predictions.extend(out);
    Ok(())
}

/// The part of group `g` in a round: its tasks' places among the round's `usable` series, and
/// the group of those tasks (weights renormalised over them). A task that `skip_falling` left
/// out of the round, since its scores fall up to its cutoff, is left out of the mean (its label
/// counts the rest); None when a task is out of the round for another reason (fewer than 3
/// sizes kept, or nothing held out): the group sits the round out.
fn group_in_round(
    g: &Group,
    series: &[Series],
    cut: &[f64],
    usable: &[usize],
    skip_falling: bool,
) -> Option<(Vec<usize>, Group)> {
    let mut local = Vec::new();
    let mut kept = Vec::new();
    for (t, &w) in g.tasks.iter().zip(&g.weights) {
        match usable.iter().position(|&u| u == t.task) {
            Some(l) => {
                local.push(l);
                kept.push((t.clone(), w));
            }
            None if skip_falling && splits(&series[t.task], cut[t.task]) => {}
            None => return None,
        }
    }
    let total: f64 = kept.iter().map(|(_, w)| w).sum();
    if local.is_empty() || total <= 0.0 {
        return None;
    }
    let (tasks, weights) = kept.into_iter().map(|(t, w)| (t, w / total)).unzip();
    Some((local, Group { tasks, weights, ..g.clone() }))
}

/// A task's last kept score and x, and its gain per unit of x from the size before.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    score: f64,
    x: f64,
    gain: f64,
}

impl Anchor {
    /// Momentum's forecast at `x`: the last gain carried on from the last score, kept in [0, 1].
    fn momentum(&self, x: f64) -> f64 {
        (self.score + self.gain * (x - self.x)).clamp(0.0, 1.0)
    }
}

/// `p` scored by predictive draws of its observed value: median, CRPS, PIT, coverage, interval.
fn probabilistic(p: Prediction, draws: &[f64]) -> Prediction {
    let draws = sorted(draws.iter().copied());
    let y = p.observed;
    Prediction {
        predicted: quantile_sorted(&draws, 0.5),
        crps: crps(&draws, y),
        pit: Some(pit(&draws, y)),
        cover50: Some(covers(&draws, y, 0.5)),
        cover80: Some(covers(&draws, y, 0.8)),
        cover95: Some(covers(&draws, y, 0.95)),
        interval80: Some((quantile_sorted(&draws, 0.1), quantile_sorted(&draws, 0.9))),
        p_above: p.above.map(|a| draws.iter().filter(|&&v| v > a).count() as f64 / draws.len() as f64),
        ..p
    }
}

/// Scores of each method over a set of predictions.
pub fn score(preds: &[&Prediction]) -> BTreeMap<Arm, MethodScores> {
    let mut by: BTreeMap<Arm, Vec<&Prediction>> = BTreeMap::new();
    for p in preds {
        by.entry(p.method.clone()).or_default().push(p);
    }
    by.into_iter()
        .map(|(m, ps)| {
            let n = ps.len() as f64;
            let errs: Vec<f64> = ps.iter().map(|p| (p.predicted - p.observed).abs()).collect();
            let s = sorted(errs.iter().copied());
            let frac = |f: fn(&Prediction) -> Option<bool>| ps.iter().filter(|p| f(p) == Some(true)).count() as f64 / n;
            let scores = MethodScores {
                n: ps.len(),
                mae_pp: 100.0 * errs.iter().sum::<f64>() / n,
                median_ae_pp: 100.0 * quantile_sorted(&s, 0.5),
                rmse_pp: 100.0 * (errs.iter().map(|e| e * e).sum::<f64>() / n).sqrt(),
                crps: ps.iter().map(|p| p.crps).sum::<f64>() / n,
                // over the held-out counts of a probabilistic method (point forecasts and scores
                // without an item count have none)
                lpd: {
                    let l: Vec<f64> = ps.iter().filter_map(|p| p.lpd).collect();
                    (!l.is_empty()).then(|| l.iter().sum::<f64>() / l.len() as f64)
                },
                pit: m.method.probabilistic().then(|| ps.iter().filter_map(|p| p.pit).collect()),
                coverage: m.method.probabilistic().then(|| {
                    BTreeMap::from([
                        ("50".to_string(), frac(|p| p.cover50)),
                        ("80".to_string(), frac(|p| p.cover80)),
                        ("95".to_string(), frac(|p| p.cover95)),
                    ])
                }),
                brier: {
                    let sq: Vec<f64> = (ps.iter())
                        .filter_map(|p| Some((p.p_above? - if p.observed > p.above? { 1.0 } else { 0.0 }).powi(2)))
                        .collect();
                    (!sq.is_empty()).then(|| sq.iter().sum::<f64>() / sq.len() as f64)
                },
            };
            (m, scores)
        })
        .collect()
}

/// The distance groups of `--rolling`, in orders of magnitude ahead.
pub const DISTANCE_GROUPS: [(&str, f64, f64); 4] =
    [("<=0.5", 0.0, 0.5), ("0.5-1", 0.5, 1.0), ("1-1.5", 1.0, 1.5), (">1.5", 1.5, f64::INFINITY)];

/// Scores per distance group.
pub fn by_distance(preds: &[Prediction]) -> BTreeMap<String, BTreeMap<Arm, MethodScores>> {
    DISTANCE_GROUPS
        .iter()
        .filter_map(|&(name, lo, hi)| {
            let g: Vec<&Prediction> = preds.iter().filter(|p| p.distance > lo && p.distance <= hi).collect();
            (!g.is_empty()).then(|| (name.to_string(), score(&g)))
        })
        .collect()
}
