//! Forecasts: the posterior predictive of the score a new model of a given size would get, and
//! the size at which a task's curve reaches a target score.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::{Deserialize, Serialize};

use crate::curve::Curve;
use crate::data::glob_match;
use crate::posterior::Posterior;
use crate::special::{logistic, logit};
use crate::summary::{quantile_sorted, sorted};

/// What a forecast of one task at one size needs to know about the task.
#[derive(Debug, Clone)]
pub struct Target {
    /// Index of the series in the posterior.
    pub task: usize,
    /// Item count of the new evaluation (None: only a score, modelled on the logit scale).
    pub items: Option<u64>,
}

/// A target score: the same for every task (`0.8`); some points above each task's chance
/// (`chance+0.1`), the way a question of emergence is asked of tasks whose chance differs (a
/// four-way choice at 0.25, a two-way one at 0.5); or some points above what each task's largest
/// fitted model scored (`largest+0.05`), the way a question of a bigger model's gain is asked. A
/// mean of tasks takes the mean of its tasks' [`Baseline`]s, weighted as the mean is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Score {
    Fixed(f64),
    AboveChance(f64),
    AboveLargest(f64),
}

/// What a relative [`Score`] is relative to, for one task or mean: its chance, and the score of
/// its largest fitted model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Baseline {
    pub chance: f64,
    pub largest: f64,
}

impl Score {
    /// The score for a task (or a mean of tasks) with this baseline.
    pub fn at(self, b: Baseline) -> f64 {
        match self {
            Score::Fixed(s) => s,
            Score::AboveChance(d) => b.chance + d,
            Score::AboveLargest(d) => b.largest + d,
        }
    }

    /// Whether the score differs from task to task.
    pub fn per_task(self) -> bool {
        !matches!(self, Score::Fixed(_))
    }

    /// The score in words for a title: "80%", "10 points above chance", or "5 points above the
    /// largest fitted model's score".
    pub fn words(self) -> String {
        match self {
            Score::Fixed(s) => format!("{}%", trim_number(100.0 * s)),
            Score::AboveChance(d) => format!("{} points above chance", trim_number(100.0 * d)),
            Score::AboveLargest(d) => {
                format!("{} points above the largest fitted model's score", trim_number(100.0 * d))
            }
        }
    }
}

/// A number with at most three decimals and no trailing zeros (10, 2.5).
fn trim_number(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

impl std::fmt::Display for Score {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Score::Fixed(s) => write!(f, "{s}"),
            Score::AboveChance(d) => write!(f, "chance + {d}"),
            Score::AboveLargest(d) => write!(f, "largest + {d}"),
        }
    }
}

impl std::str::FromStr for Score {
    type Err = String;

    /// `0.8` (in [0, 1]), `chance+0.1` or `largest+0.05` (`chance + 0.1`; an offset in [0, 1));
    /// whether the score then suits each task is for the command to check.
    fn from_str(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let examples = "examples: 0.8; chance+0.1, ten points above each task's chance; largest+0.05, five points \
                        above what each task's largest fitted model scored";
        let number = |v: &str| v.trim().parse::<f64>().ok().filter(|v| v.is_finite());
        let relative = [("chance", Score::AboveChance as fn(f64) -> Score), ("largest", Score::AboveLargest)];
        match relative.iter().find_map(|&(word, make)| t.strip_prefix(word).map(|rest| (word, make, rest))) {
            Some((_, make, "")) => Ok(make(0.0)),
            Some((word, make, rest)) => match rest.trim_start().strip_prefix('+').and_then(number) {
                Some(d) if (0.0..1.0).contains(&d) => Ok(make(d)),
                Some(_) => Err(format!("'{s}': the points above {word} are a share in [0, 1), as 0.1")),
                None => Err(format!("'{s}' is not a score ({examples})")),
            },
            None => match number(t) {
                Some(v) if (0.0..=1.0).contains(&v) => Ok(Score::Fixed(v)),
                Some(_) => Err(format!("'{s}' is not a score in [0, 1] ({examples})")),
                None => Err(format!("'{s}' is not a score ({examples})")),
            },
        }
    }
}

/// Each series' [`Baseline`] in a fit's data: its chance, and the score at its largest x.
pub fn baselines(data: &crate::data::FitData) -> Vec<Baseline> {
    (0..data.series.len())
        .map(|t| Baseline {
            chance: data.chance[t],
            largest: largest_fitted(data, t).map_or(f64::NAN, |i| data.score[i]),
        })
        .collect()
}

/// Predictive draws of the observed score and of the latent curve value.
#[derive(Debug, Clone)]
pub struct Predictive {
    pub observed: Vec<f64>,
    pub latent: Vec<f64>,
}

/// One row of a forecast.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ForecastRow {
    pub task: String,
    /// Parameter count.
    pub size: f64,
    pub median: f64,
    pub lo50: f64,
    pub hi50: f64,
    pub lo80: f64,
    pub hi80: f64,
    pub lo95: f64,
    pub hi95: f64,
    pub latent_median: f64,
    pub latent_lo80: f64,
    pub latent_hi80: f64,
    /// The score `p_above` is of (when asked): `--above` itself, or the task's chance plus it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub above: Option<f64>,
    /// Probability that the observed score exceeds `above` (when asked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p_above: Option<f64>,
    /// The multiple of the task's largest fitted size this size was asked as (`--size 3x`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub times: Option<f64>,
}

/// Seed for one (task, x) pair, so forecasts do not depend on order or threads.
fn seed_for(seed: u64, task: usize, x: f64) -> u64 {
    seed ^ (task as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ x.to_bits().rotate_left(17)
}

/// A new model's curve value in one draw, with its per-model effect `shift` (of size, or of
/// the logit, as the fit's model has it).
fn with_effect(post: &Posterior, c: &Curve, x: f64, shift: f64) -> f64 {
    crate::model::value_with(c, x, post.model_effect_on(), shift)
}

/// The per-model effect of a new model in one draw: Normal(0, sd) when the model has one,
/// else 0.
fn fresh_shift(post: &Posterior, row: &[f64], rng: &mut ChaCha8Rng) -> f64 {
    let sd = post.model_sd(row);
    if sd > 0.0 {
        let z: f64 = rand_distr::StandardNormal.sample(rng);
        sd * z
    } else {
        0.0
    }
}

/// Predictive draws for task `target.task` at `x`: per posterior draw, a fresh per-model shift
/// (when the model has one), the curve's value there, then beta-binomial (or binomial) counts of
/// `items`, or a logit-normal score when there are no counts.
pub fn predictive(post: &Posterior, target: &Target, x: f64, seed: u64) -> Predictive {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_for(seed, target.task, x));
    let sigma_col = post.column("sigma");
    let mut observed = Vec::with_capacity(post.n_draws());
    let mut latent = Vec::with_capacity(post.n_draws());
    for row in post.rows() {
        let c = post.curve(row, target.task);
        latent.push(c.value(x));
        let shift = fresh_shift(post, row, &mut rng);
        observed.push(observed_score(post, row, target, with_effect(post, &c, x, shift), sigma_col, &mut rng));
    }
    Predictive { observed, latent }
}

/// One draw of the score a task's evaluation gives when the model's curve value is `p`:
/// beta-binomial (or binomial) counts of its items, or a logit-normal score without counts.
pub(crate) fn observed_score(
    post: &Posterior,
    row: &[f64],
    target: &Target,
    p: f64,
    sigma_col: Option<usize>,
    rng: &mut ChaCha8Rng,
) -> f64 {
    let p = p.clamp(1e-12, 1.0 - 1e-12);
    match target.items {
        Some(n) => crate::counts::draw(n, p, post.spread(row, target.task), rng) as f64 / n as f64,
        None => {
            let s = sigma_col.map_or(0.05, |i| row[i]);
            let e: f64 = Normal::new(0.0, s).map(|d| d.sample(rng)).unwrap_or(0.0);
            logistic(logit(p) + e)
        }
    }
}

/// Tasks whose scores are averaged into one, as a benchmark of many tasks reports its score
/// (MMLU's 57 subjects).
#[derive(Debug, Clone)]
pub struct Group {
    /// How the group is shown.
    pub name: String,
    /// Its tasks, with their item counts, and the weight of each (they sum to 1).
    pub tasks: Vec<Target>,
    pub weights: Vec<f64>,
    /// Whether the weights are the tasks' item counts (else every task weighs the same).
    pub by_items: bool,
}

impl Group {
    /// How the group is shown in tables: its name and how many tasks it averages.
    pub fn label(&self) -> String {
        format!("{} (mean of {}{})", self.name, self.tasks.len(), if self.by_items { " by items" } else { "" })
    }

    /// The baseline of the mean score: its tasks' (`baselines[t]`), weighted as the mean is.
    pub fn baseline(&self, baselines: &[Baseline]) -> Baseline {
        let mean = |f: fn(&Baseline) -> f64| -> f64 {
            self.tasks.iter().zip(&self.weights).map(|(t, w)| w * f(&baselines[t.task])).sum()
        };
        Baseline { chance: mean(|b| b.chance), largest: mean(|b| b.largest) }
    }

    /// The weighted mean of the task curves at `x` in one posterior draw.
    pub fn latent(&self, post: &Posterior, row: &[f64], x: f64) -> f64 {
        self.tasks.iter().zip(&self.weights).map(|(t, w)| w * post.curve(row, t.task).value(x)).sum()
    }

    /// Seed of the group's draws at `x`, from `seed`, `x` and its tasks (so that two groups, or
    /// one group at two sizes, draw apart).
    fn seed(&self, seed: u64, x: f64) -> u64 {
        self.tasks.iter().fold(seed ^ 0x2545_f491_4f6c_dd1d, |h, t| seed_for(h.rotate_left(5), t.task, x))
    }

    /// The groups `pattern` makes of `series` (a fit's series names): a pattern with a `/` is
    /// matched against whole names and makes one group; one without is matched against the task
    /// part (after the last `/`) and makes a group per family. `*` stands for any run of
    /// characters, `?` for one. Each task weighs the same, or as many as its items with
    /// `by_items` (None when some matching task has no item count). Groups in the order their
    /// first task comes in `series`.
    pub fn matching(series: &[String], items: &[Option<u64>], pattern: &str, by_items: bool) -> Option<Vec<Group>> {
        let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
        for (i, name) in series.iter().enumerate() {
            let (key, matched) = match (pattern.contains('/'), name.rfind('/')) {
                (false, Some(cut)) => (format!("{}/{pattern}", &name[..cut]), glob_match(pattern, &name[cut + 1..])),
                _ => (pattern.to_string(), glob_match(pattern, name)),
            };
            if !matched {
                continue;
            }
            match groups.iter_mut().find(|(k, _)| *k == key) {
                Some((_, tasks)) => tasks.push(i),
                None => groups.push((key, vec![i])),
            }
        }
        groups
            .into_iter()
            .map(|(name, tasks)| {
                let raw: Vec<f64> = if by_items {
                    tasks.iter().map(|&t| items[t].map(|n| n as f64)).collect::<Option<_>>()?
                } else {
                    vec![1.0; tasks.len()]
                };
                let total: f64 = raw.iter().sum();
                Some(Group {
                    name,
                    tasks: tasks.iter().map(|&t| Target { task: t, items: items[t] }).collect(),
                    weights: raw.iter().map(|w| w / total).collect(),
                    by_items,
                })
            })
            .collect()
    }
}

/// What a forecast of a mean of tasks leaves out when the fit's model has no per-model effect.
pub const MEAN_WITHOUT_LUCK: &str = "this fit's model has no per-model effect: a new model's luck, shared by a mean's \
     tasks, is not in the means' intervals, which can then be too narrow; the default model (hierarchical) has one \
     (docs/models.md)";

/// Predictive draws of a group's mean score at `x`: per posterior draw, one fresh per-model
/// shift for all its tasks (one new model takes every task, so its luck is shared; none when
/// the model has no per-model effect), each
/// task's observed score as [`predictive`] draws it, and their weighted mean; the latent value
/// is the weighted mean of the curves.
pub fn group_predictive(post: &Posterior, group: &Group, x: f64, seed: u64) -> Predictive {
    let mut rng = ChaCha8Rng::seed_from_u64(group.seed(seed, x));
    let sigma_col = post.column("sigma");
    let mut observed = Vec::with_capacity(post.n_draws());
    let mut latent = Vec::with_capacity(post.n_draws());
    for row in post.rows() {
        latent.push(group.latent(post, row, x));
        let shift = fresh_shift(post, row, &mut rng);
        let mean = group
            .tasks
            .iter()
            .zip(&group.weights)
            .map(|(t, w)| {
                w * observed_score(
                    post,
                    row,
                    t,
                    with_effect(post, &post.curve(row, t.task), x, shift),
                    sigma_col,
                    &mut rng,
                )
            })
            .sum();
        observed.push(mean);
    }
    Predictive { observed, latent }
}

/// Summarise predictive draws as a forecast row.
pub fn summarise(task: &str, size: f64, pred: &Predictive, above: Option<f64>) -> ForecastRow {
    let o = sorted(pred.observed.iter().copied());
    let l = sorted(pred.latent.iter().copied());
    let q = |s: &[f64], p: f64| quantile_sorted(s, p);
    ForecastRow {
        task: task.to_string(),
        size,
        median: q(&o, 0.5),
        lo50: q(&o, 0.25),
        hi50: q(&o, 0.75),
        lo80: q(&o, 0.1),
        hi80: q(&o, 0.9),
        lo95: q(&o, 0.025),
        hi95: q(&o, 0.975),
        latent_median: q(&l, 0.5),
        latent_lo80: q(&l, 0.1),
        latent_hi80: q(&l, 0.9),
        above,
        p_above: above.map(|a| o.iter().filter(|&&v| v > a).count() as f64 / o.len() as f64),
        times: None,
    }
}

/// The share of its rise (from floor to ceiling) a task's curve must have reached at its largest
/// fitted size, in the posterior median, for [`flattened`] to call it saturated there.
pub const SATURATED: f64 = 0.9;

/// A forecast below what the task's largest fitted model scored, on a curve that had all but
/// reached its ceiling there. The four-parameter curve is symmetric in log size, so a task that
/// rose fast and keeps rising slowly at the top gets a ceiling just above its last scores, and
/// a larger model is forecast to score less than the largest fitted one did (Pythia's
/// lambada_openai, docs/validation.md).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flattened {
    pub task: String,
    /// The forecast's x (log10 size or compute) and median.
    pub x: f64,
    pub forecast: f64,
    /// The posterior medians of the ceiling, and of the share of its rise the curve has reached
    /// at the largest fitted x.
    pub ceiling: f64,
    pub share: f64,
    /// The largest fitted model, its x and its score.
    pub model: String,
    pub largest_x: f64,
    pub observed: f64,
}

impl Flattened {
    /// In words, with `amount` writing an x's amount (a size, or training compute).
    pub fn describe(&self, amount: impl Fn(f64) -> String) -> String {
        format!(
            "{}: {} ({}) scored {:.3}, where the fitted curve has reached {:.0}% of its rise to its ceiling \
             ({:.3}); the forecast at {} ({:.3}) is more than two standard errors below that score. An S-curve \
             cannot rise past its ceiling, so it under-predicts a task that keeps rising slowly at the top \
             (docs/validation.md)",
            self.task,
            self.model,
            amount(10f64.powf(self.largest_x)),
            self.observed,
            100.0 * self.share,
            self.ceiling,
            amount(10f64.powf(self.x)),
            self.forecast
        )
    }
}

/// Whether the forecast `median` of task `t` at `x` is a [`Flattened`] one: `x` beyond the task's
/// largest fitted x, where it has a count; the curve there has reached [`SATURATED`] of its rise
/// (posterior median), which is at least 0.1; and the score there is more than two binomial
/// standard errors above `median`.
pub fn flattened(post: &Posterior, data: &crate::data::FitData, t: usize, x: f64, median: f64) -> Option<Flattened> {
    let last = largest_fitted(data, t)?;
    let (largest_x, observed, n) = (data.x[last], data.score[last], data.n[last]);
    if x <= largest_x || n == 0 || observed - median <= 2.0 * (observed * (1.0 - observed) / n as f64).sqrt() {
        return None;
    }
    let curves: Vec<Curve> = post.rows().map(|row| post.curve(row, t)).collect();
    let median_of = |f: &dyn Fn(&Curve) -> f64| quantile_sorted(&sorted(curves.iter().map(f)), 0.5);
    let share = median_of(&|c| logistic(c.slope * (largest_x - c.midpoint)));
    let rise = median_of(&|c| c.ceiling - c.floor);
    (share >= SATURATED && rise >= 0.1).then(|| Flattened {
        task: post.series[t].clone(),
        x,
        forecast: median,
        ceiling: median_of(&|c| c.ceiling),
        share,
        model: data.models.get(data.model[last]).cloned().unwrap_or_default(),
        largest_x,
        observed,
    })
}

/// The observation of task `t` at its largest fitted x.
fn largest_fitted(data: &crate::data::FitData, t: usize) -> Option<usize> {
    (0..data.task.len()).filter(|&i| data.task[i] == t).max_by(|&a, &b| data.x[a].total_cmp(&data.x[b]))
}

/// [`flattened`] for a forecast at three times the task's largest fitted size (of `items` items):
/// whether a threshold the task's fitted ceiling decides rests on a curve that flattened below
/// what its largest model scored.
pub fn flattened_past_fit(
    post: &Posterior,
    data: &crate::data::FitData,
    items: Option<u64>,
    t: usize,
    seed: u64,
) -> Option<Flattened> {
    let x = data.x[largest_fitted(data, t)?] + 3f64.log10();
    let pred = predictive(post, &Target { task: t, items }, x, seed);
    flattened(post, data, t, x, summarise(&post.series[t], 10f64.powf(x), &pred, None).median)
}

/// The threshold rows of `tasks` (one each, in order) whose P(never) (at least 0.05) rests on a
/// ceiling below what the task's largest fitted model scored ([`flattened_past_fit`]), with that
/// P(never).
pub fn flattened_thresholds(
    post: &Posterior,
    data: &crate::data::FitData,
    items: &[Option<u64>],
    tasks: &[usize],
    rows: &[ThresholdRow],
) -> Vec<(Flattened, f64)> {
    (rows.iter().zip(tasks))
        .filter(|(r, _)| r.p_never >= 0.05)
        .filter_map(|(r, &t)| flattened_past_fit(post, data, items[t], t, 1).map(|f| (f, r.p_never)))
        .collect()
}

/// How many decades beyond the largest fitted size a forecast goes before it gets a note: the
/// held-out checks of the default model reach 1.7 decades ahead (every cutoff of OPT), with an
/// error that grows with the distance (docs/validation.md); past this none has measured one.
pub const CHECKED_DECADES: f64 = 2.0;

/// Where a size asked for lies against the sizes the fit saw of some tasks, when outside what
/// has been checked: below the smallest fitted size of some task, or more than
/// [`CHECKED_DECADES`] beyond the largest of some task (each an x on the fit's axis; `some`
/// when the tasks' own ends differ, so that it holds for some of them only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum OutsideFit {
    Below { smallest: f64, some: bool },
    Beyond { largest: f64, some: bool },
}

impl OutsideFit {
    /// Where `x` lies against the fitted observations of each of `tasks` (None when inside
    /// every task's, or less than [`CHECKED_DECADES`] beyond, or when no task has an
    /// observation).
    pub fn of(data: &crate::data::FitData, tasks: &[usize], x: f64) -> Option<Self> {
        // the least and the most, over the tasks, of each task's smallest and largest x
        let (mut lo, mut hi) = ([f64::INFINITY, f64::NEG_INFINITY], [f64::INFINITY, f64::NEG_INFINITY]);
        for &t in tasks {
            let seen = data.task.iter().zip(&data.x).filter(|(u, _)| **u == t).map(|(_, &x)| x);
            let (l, h) = seen.fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| (l.min(x), h.max(x)));
            if l.is_finite() {
                lo = [lo[0].min(l), lo[1].max(l)];
                hi = [hi[0].min(h), hi[1].max(h)];
            }
        }
        if !lo[0].is_finite() {
            None
        } else if x > hi[0] + CHECKED_DECADES {
            Some(OutsideFit::Beyond { largest: hi[0], some: hi[1] > hi[0] })
        } else if x < lo[1] {
            Some(OutsideFit::Below { smallest: lo[1], some: lo[0] < lo[1] })
        } else {
            None
        }
    }

    /// A note on a forecast at `x` (`amount` writes a size, or a compute, of the fit's axis).
    pub fn describe(&self, x: f64, amount: impl Fn(f64) -> String) -> String {
        let show = |x: f64| amount(10f64.powf(x));
        let of = |some: bool| if some { " of some of these tasks" } else { "" };
        match *self {
            OutsideFit::Below { smallest, some } => format!(
                "{} is below the smallest model fitted{} ({}): the curves there are extrapolated downwards, \
                 towards their floors, and no held-out check has measured them",
                show(x),
                of(some),
                show(smallest)
            ),
            OutsideFit::Beyond { largest, some } => format!(
                "{} is {:.1} decades beyond the largest model fitted{} ({}); held-out checks reach 1.7 \
                 decades ahead, with errors that grow with the distance (OPT and Pythia at every cutoff: MAE \
                 2.5–2.6 pp within half a decade, 3.5–4.0 pp at 1 to 1.5; docs/validation.md). This far out \
                 a forecast rests on the S-curve's shape, not on measured accuracy",
                show(x),
                x - largest,
                of(some),
                show(largest)
            ),
        }
    }
}

/// Where a forecast is asked for: an amount (a size, or on the compute axis what the caller
/// shows for it) at its x on the fit's axis, or a multiple of the largest amount each task was
/// fitted at (`--size 3x`: "the next model" of each task's own ladder).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum At {
    Amount { amount: f64, x: f64 },
    Times(f64),
}

impl At {
    /// The (amount, x) of this point for a task, or a group of tasks, fitted up to `largest_x`.
    /// A multiple's amount is on the fit's axis (a size, or training FLOPs), rounded to a whole
    /// count (39B, not 38999999999.99999).
    pub fn resolve(self, largest_x: f64) -> (f64, f64) {
        match self {
            At::Amount { amount, x } => (amount, x),
            At::Times(f) => ((10f64.powf(largest_x) * f).round(), largest_x + f.log10()),
        }
    }

    /// The multiple, for a point asked as one.
    pub fn times(self) -> Option<f64> {
        match self {
            At::Amount { .. } => None,
            At::Times(f) => Some(f),
        }
    }
}

/// The points a forecast is asked at, resolved per task: `largest_x[t]` is the largest x task t
/// was fitted at (what a multiple [`At::Times`] multiplies).
#[derive(Debug, Clone)]
pub struct ForecastAt {
    pub at: Vec<At>,
    pub largest_x: Vec<f64>,
}

/// One forecast to make: a task at an amount and its x (and the multiple it was asked as).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Job {
    pub task: usize,
    pub amount: f64,
    pub x: f64,
    pub times: Option<f64>,
}

impl ForecastAt {
    /// The (amount, x) of each point for task `t`.
    pub fn of_task(&self, t: usize) -> Vec<(f64, f64)> {
        self.at.iter().map(|a| a.resolve(self.largest_x[t])).collect()
    }

    /// The (amount, x) of each point for a group of tasks: a multiple is of the largest amount
    /// any of its tasks was fitted at.
    pub fn of_group(&self, g: &Group) -> Vec<(f64, f64)> {
        let largest = g.tasks.iter().map(|t| self.largest_x[t.task]).fold(f64::NEG_INFINITY, f64::max);
        self.at.iter().map(|a| a.resolve(largest)).collect()
    }

    /// Every (task, point) of `tasks` (outer) and the points (inner).
    pub fn jobs(&self, tasks: &[usize]) -> Vec<Job> {
        let job = |t: usize, a: At| {
            let (amount, x) = a.resolve(self.largest_x[t]);
            Job { task: t, amount, x, times: a.times() }
        };
        tasks.iter().flat_map(|&t| self.at.iter().map(move |&a| job(t, a))).collect()
    }

    /// Each point that lies outside what the fit saw of `tasks`, or past what has been checked
    /// ([`OutsideFit`]), with the x it was judged at: an amount against every task, a multiple
    /// against each task in turn (the first that it takes outside).
    pub fn outside(&self, data: &crate::data::FitData, tasks: &[usize]) -> Vec<(At, f64, OutsideFit)> {
        self.at
            .iter()
            .filter_map(|&a| match a {
                At::Amount { x, .. } => OutsideFit::of(data, tasks, x).map(|o| (a, x, o)),
                At::Times(_) => tasks.iter().find_map(|&t| {
                    let (_, x) = a.resolve(self.largest_x[t]);
                    OutsideFit::of(data, &[t], x).map(|o| (a, x, o))
                }),
            })
            .collect()
    }
}

/// [`flattened`] over forecast rows made of `jobs` (one row each, as [`forecast_rows`] makes
/// them): each task once, at the first point that shows it.
pub fn flattened_rows(
    post: &Posterior,
    data: &crate::data::FitData,
    jobs: &[Job],
    rows: &[ForecastRow],
) -> Vec<Flattened> {
    let mut flat: Vec<Flattened> = Vec::new();
    for (j, r) in jobs.iter().zip(rows) {
        if flat.iter().all(|f| f.task != post.series[j.task])
            && let Some(f) = flattened(post, data, j.task, j.x, r.median)
        {
            flat.push(f);
        }
    }
    flat
}

/// A forecast row for each of `jobs`, with its predictive draws of the observed score;
/// `items[t]` is task t's item count, and `above[t]` (when given) the score whose probability of
/// being exceeded its rows give.
pub fn forecast_rows(
    post: &Posterior,
    items: &[Option<u64>],
    jobs: &[Job],
    above: Option<&[f64]>,
    seed: u64,
) -> Vec<(ForecastRow, Vec<f64>)> {
    use rayon::prelude::*;
    jobs.par_iter()
        .map(|&Job { task, amount, x, times }| {
            let pred = predictive(post, &Target { task, items: items[task] }, x, seed);
            let above = above.map(|a| a[task]);
            (ForecastRow { times, ..summarise(&post.series[task], amount, &pred, above) }, pred.observed)
        })
        .collect()
}

/// The posterior of the size at which a task's curve reaches a score.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ThresholdRow {
    pub task: String,
    pub score: f64,
    /// Median size (parameter count); None when more than half the draws never reach it.
    pub median_size: Option<f64>,
    pub lo80_size: Option<f64>,
    pub hi80_size: Option<f64>,
    /// Probability the score is reached at or below the largest size asked about, `reach_by`.
    pub p_reach: f64,
    /// The size (or on the compute axis, the training compute) by which `p_reach` counts.
    pub reach_by: f64,
    /// Probability it is already reached at the largest size in the fit.
    pub p_already: f64,
    /// Probability it is never reached (the ceiling is below the score).
    pub p_never: f64,
    /// log10 size per draw: −∞ when reached at any size, +∞ when never (for plots).
    #[serde(skip)]
    pub x_draws: Vec<f64>,
}

impl ThresholdRow {
    /// The probability that the curve reaches the score at or below `x` (log10 size or compute).
    pub fn p_by(&self, x: f64) -> f64 {
        share_by(&self.x_draws, x)
    }
}

/// The share of the draws `xs` (log10 sizes at which a curve reaches a score) at or below `x`.
fn share_by(xs: &[f64], x: f64) -> f64 {
    xs.iter().filter(|&&v| v <= x).count() as f64 / xs.len().max(1) as f64
}

/// How far thresholds look by default, as log10 on the axis: 10^15 parameters, or 10^30
/// training FLOPs (`threshold --max-size`/`--max-compute`, and the report).
pub fn threshold_horizon(axis: crate::data::XAxis) -> f64 {
    match axis {
        crate::data::XAxis::Params => 15.0,
        crate::data::XAxis::Compute => 30.0,
    }
}

/// Threshold of task `t`: per draw, the x where the curve reaches `score` (−∞ when the floor is
/// already above it, +∞ when the ceiling is below it). `largest_x` is the largest x in the fit,
/// `max_x` the largest x of interest. Sizes are 10^x (a parameter-count axis).
pub fn threshold(post: &Posterior, t: usize, score: f64, largest_x: f64, max_x: f64) -> ThresholdRow {
    let xs: Vec<f64> = post
        .rows()
        .map(|row| {
            let c = post.curve(row, t);
            if score >= c.ceiling {
                f64::INFINITY
            } else if score <= c.floor {
                f64::NEG_INFINITY
            } else {
                c.inverse(score).unwrap_or(f64::INFINITY)
            }
        })
        .collect();
    threshold_row(&post.series[t], score, xs, largest_x, max_x)
}

/// Threshold of a group's mean score: per draw, the x where the weighted mean of its task
/// curves reaches `score`, found by bisection (the mean of rising curves rises, from the mean
/// of the floors to the mean of the ceilings). −∞ when the mean of the floors is already above
/// it, +∞ when the mean of the ceilings is below it. `largest_x` is the largest x at which every
/// task of the group was fitted.
pub fn group_threshold(post: &Posterior, group: &Group, score: f64, largest_x: f64, max_x: f64) -> ThresholdRow {
    let xs: Vec<f64> = post
        .rows()
        .map(|row| {
            let (mut floor, mut ceiling) = (0.0, 0.0);
            for (t, w) in group.tasks.iter().zip(&group.weights) {
                let c = post.curve(row, t.task);
                floor += w * c.floor;
                ceiling += w * c.ceiling;
            }
            if score >= ceiling {
                return f64::INFINITY;
            }
            if score <= floor {
                return f64::NEG_INFINITY;
            }
            // a bracket around the crossing, widened until it holds it
            let (mut lo, mut hi) = (-10.0f64, 30.0f64);
            while group.latent(post, row, lo) > score && lo > -1e6 {
                lo = 2.0 * lo - hi;
            }
            while group.latent(post, row, hi) < score && hi < 1e6 {
                hi = 2.0 * hi - lo;
            }
            if group.latent(post, row, hi) < score {
                // beyond 10^(10^6): never, for any purpose
                return f64::INFINITY;
            }
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if mid <= lo || mid >= hi {
                    break;
                }
                if group.latent(post, row, mid) < score {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        })
        .collect();
    threshold_row(&group.name, score, xs, largest_x, max_x)
}

/// A threshold row from the x of each draw.
fn threshold_row(name: &str, score: f64, xs: Vec<f64>, largest_x: f64, max_x: f64) -> ThresholdRow {
    let n = xs.len() as f64;
    let mut s = xs.clone();
    s.sort_by(f64::total_cmp);
    let size_at = |p: f64| {
        let i = ((s.len() - 1) as f64 * p).round() as usize;
        let v = s[i];
        v.is_finite().then(|| 10f64.powf(v)).or(if v == f64::NEG_INFINITY { Some(0.0) } else { None })
    };
    ThresholdRow {
        task: name.to_string(),
        score,
        median_size: size_at(0.5),
        lo80_size: size_at(0.1),
        hi80_size: size_at(0.9),
        p_reach: share_by(&xs, max_x),
        // a count of parameters or FLOPs: 33B, not 33000000000.00004
        reach_by: 10f64.powf(max_x).round(),
        p_already: share_by(&xs, largest_x),
        p_never: xs.iter().filter(|x| x.is_infinite() && x.is_sign_positive()).count() as f64 / n,
        x_draws: xs,
    }
}

/// Log predictive density of observing `y` of `n` correct for task `t` at `x`: the log of the
/// mean, over posterior draws (each with a fresh per-model shift), of the beta-binomial (or
/// binomial, or dispersed: [`crate::counts`]) probability of y.
pub fn log_predictive_density(post: &Posterior, t: usize, x: f64, y: u64, n: u64, seed: u64) -> f64 {
    let mut rng = ChaCha8Rng::seed_from_u64(seed_for(seed, t, x) ^ 0x5bd1_e995);
    let (yf, nf) = (y as f64, n as f64);
    let logs: Vec<f64> = post
        .rows()
        .map(|row| {
            let c = post.curve(row, t);
            let shift = fresh_shift(post, row, &mut rng);
            let (p, q) = crate::model::p_and_q_with(&c, x, post.model_effect_on(), shift);
            let (p, q) = (p.max(1e-300), q.max(1e-300));
            crate::counts::log_pmf(yf, nf, p, q, post.spread(row, t))
        })
        .collect();
    let m = logs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    m + (logs.iter().map(|l| (l - m).exp()).sum::<f64>() / logs.len() as f64).ln()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_fixed_or_above_chance() {
        let parse = |s: &str| s.parse::<Score>();
        assert_eq!(parse("0.8"), Ok(Score::Fixed(0.8)));
        assert_eq!(parse(" 1 "), Ok(Score::Fixed(1.0)));
        assert_eq!(parse("chance+0.1"), Ok(Score::AboveChance(0.1)));
        assert_eq!(parse("chance + 0.25"), Ok(Score::AboveChance(0.25)));
        assert_eq!(parse("chance"), Ok(Score::AboveChance(0.0)));
        for bad in ["1.2", "-0.1", "nan", "chance+1", "chance-0.1", "chance+", "chance*2", "80%", ""] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(parse("chance+1").unwrap_err().contains("a share in [0, 1)"));
        assert_eq!(parse("largest+0.05"), Ok(Score::AboveLargest(0.05)));
        assert_eq!(parse("largest"), Ok(Score::AboveLargest(0.0)));
        assert!(parse("largest+1").unwrap_err().contains("the points above largest are a share in [0, 1)"));
        assert!(parse("largest-0.05").is_err() && parse("biggest+0.05").is_err());
        let b = Baseline { chance: 0.25, largest: 0.6 };
        assert_eq!(Score::AboveChance(0.1).at(b), 0.35);
        assert_eq!(Score::AboveLargest(0.05).at(b), 0.65);
        assert_eq!(Score::Fixed(0.8).at(b), 0.8);
        assert!(
            !Score::Fixed(0.8).per_task() && Score::AboveChance(0.1).per_task() && Score::AboveLargest(0.0).per_task()
        );
        assert_eq!(Score::Fixed(0.8).words(), "80%");
        assert_eq!(Score::Fixed(1.0 / 3.0).words(), "33.333%");
        assert_eq!(Score::AboveChance(0.1).words(), "10 points above chance");
        assert_eq!(Score::AboveChance(0.025).words(), "2.5 points above chance");
        assert_eq!(Score::AboveChance(0.1).to_string(), "chance + 0.1");
        assert_eq!(Score::AboveLargest(0.05).words(), "5 points above the largest fitted model's score");
        assert_eq!(Score::AboveLargest(0.05).to_string(), "largest + 0.05");
        // a mean's baseline: its tasks', weighted as the mean is
        let g = Group {
            name: "m".into(),
            tasks: vec![Target { task: 0, items: Some(100) }, Target { task: 2, items: Some(300) }],
            weights: vec![0.25, 0.75],
            by_items: true,
        };
        let b = |chance, largest| Baseline { chance, largest };
        let m = g.baseline(&[b(0.25, 0.5), b(0.9, 0.0), b(0.5, 0.7)]);
        assert!((m.chance - 0.4375).abs() < 1e-12 && (m.largest - 0.65).abs() < 1e-12, "{m:?}");
    }

    #[test]
    fn groups_per_family_and_weights() {
        let series: Vec<String> =
            ["opt/mmlu-a", "opt/mmlu-b", "opt/piqa", "pythia/mmlu-a", "pythia/mmlu-b"].map(String::from).to_vec();
        let items = [Some(100), Some(300), Some(1838), Some(100), None];
        let g = Group::matching(&series, &items, "mmlu-*", false).unwrap();
        assert_eq!(g.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["opt/mmlu-*", "pythia/mmlu-*"]);
        assert_eq!(g[0].tasks.iter().map(|t| t.task).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(g[0].weights, [0.5, 0.5]);
        // by items: a task without a count makes it impossible
        assert!(Group::matching(&series, &items, "mmlu-*", true).is_none());
        let g = Group::matching(&series, &items, "opt/mmlu-*", true).unwrap();
        assert_eq!((g.len(), g[0].weights.clone()), (1, vec![0.25, 0.75]));
        assert!(Group::matching(&series, &items, "nothing*", false).unwrap().is_empty());
    }
}
