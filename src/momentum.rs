//! The "momentum" analysis: does a task's gain from size A to B predict its gain from B to C?
//! Measured across tasks (raw, logit, above-chance), with a bootstrap interval, and a simulation
//! showing why the answer is often negative: the shared noise at B enters both gains with
//! opposite signs (regression to the mean).

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use crate::curve::Curve;
use crate::data::Series;
use crate::forecast::Group;
use crate::metrics::correlation;
use crate::special::logit;
use crate::summary::{quantile_sorted, sorted};

/// One task's scores at the three sizes.
#[derive(Debug, Clone, Serialize)]
pub struct Triple {
    pub task: String,
    pub chance: f64,
    pub scores: [f64; 3],
    /// x (log10 size) of the three points.
    pub x: [f64; 3],
}

/// The series that have a point at each of the sizes (matched within 2.5%).
pub fn triples(series: &[Series], sizes: [f64; 3]) -> Vec<Triple> {
    series
        .iter()
        .filter_map(|s| {
            let find = |size: f64| s.points.iter().find(|p| (p.params.log10() - size.log10()).abs() < 0.011);
            let pts = [find(sizes[0])?, find(sizes[1])?, find(sizes[2])?];
            Some(Triple {
                task: s.name.clone(),
                chance: s.chance,
                scores: pts.map(|p| p.outcome.score()),
                x: pts.map(|p| p.params.log10()),
            })
        })
        .collect()
}

/// The triples with each group's tasks (`Group::tasks` indexing `t`) taken out and one triple
/// of their weighted mean put in their place, after the tasks that are in no group; beside each,
/// the index of its group (None for a task). A benchmark of many subjects (MMLU's 57) then
/// counts once in the correlation, as it is reported, rather than 57 times.
pub fn with_means(t: &[Triple], groups: &[Group]) -> Vec<(Triple, Option<usize>)> {
    let grouped: Vec<bool> = (0..t.len()).map(|i| groups.iter().any(|g| g.tasks.iter().any(|m| m.task == i))).collect();
    let mut out: Vec<(Triple, Option<usize>)> =
        t.iter().zip(&grouped).filter(|(_, g)| !**g).map(|(tr, _)| (tr.clone(), None)).collect();
    for (gi, g) in groups.iter().enumerate() {
        let mean = |f: &dyn Fn(&Triple) -> f64| g.tasks.iter().zip(&g.weights).map(|(m, w)| w * f(&t[m.task])).sum();
        let triple = Triple {
            task: g.label(),
            chance: mean(&|tr| tr.chance),
            scores: std::array::from_fn(|k| mean(&|tr| tr.scores[k])),
            x: std::array::from_fn(|k| mean(&|tr| tr.x[k])),
        };
        out.push((triple, Some(gi)));
    }
    out
}

/// A correlation with its bootstrap interval.
#[derive(Debug, Clone, Serialize)]
pub struct Correlation {
    pub r: f64,
    pub lo90: f64,
    pub hi90: f64,
}

/// Correlation of gains A→B and B→C on three scales.
#[derive(Debug, Clone, Serialize)]
pub struct GainCorrelations {
    pub tasks: usize,
    pub raw: Correlation,
    pub logit: Correlation,
    pub above_chance: Correlation,
}

fn gains(t: &[Triple], f: impl Fn(&Triple, f64) -> f64) -> (Vec<f64>, Vec<f64>) {
    t.iter().map(|tr| (f(tr, tr.scores[1]) - f(tr, tr.scores[0]), f(tr, tr.scores[2]) - f(tr, tr.scores[1]))).unzip()
}

fn with_bootstrap(a: &[f64], b: &[f64], seed: u64) -> Correlation {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n = a.len();
    let reps: Vec<f64> = (0..2000)
        .map(|_| {
            let idx: Vec<usize> = (0..n).map(|_| rng.random_range(0..n)).collect();
            let x: Vec<f64> = idx.iter().map(|&i| a[i]).collect();
            let y: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
            correlation(&x, &y)
        })
        .collect();
    let s = sorted(reps);
    Correlation { r: correlation(a, b), lo90: quantile_sorted(&s, 0.05), hi90: quantile_sorted(&s, 0.95) }
}

/// Correlations of the gains across tasks, with 90% bootstrap intervals (2000 resamples).
pub fn gain_correlations(t: &[Triple], seed: u64) -> GainCorrelations {
    let (r1, r2) = gains(t, |_, s| s);
    let (l1, l2) = gains(t, |_, s| logit(s.clamp(1e-3, 1.0 - 1e-3)));
    let (c1, c2) = gains(t, |tr, s| (s - tr.chance) / (1.0 - tr.chance));
    GainCorrelations {
        tasks: t.len(),
        raw: with_bootstrap(&r1, &r2, seed),
        logit: with_bootstrap(&l1, &l2, seed),
        above_chance: with_bootstrap(&c1, &c2, seed),
    }
}

/// The momentum forecast of the score at C: the gain per decade from A to B carried on.
pub fn momentum_forecast(t: &Triple) -> f64 {
    let per_decade = (t.scores[1] - t.scores[0]) / (t.x[1] - t.x[0]);
    (t.scores[1] + per_decade * (t.x[2] - t.x[1])).clamp(0.0, 1.0)
}

/// One cell of the regression-to-the-mean simulation.
#[derive(Debug, Clone, Serialize)]
pub struct SimulationCell {
    /// Spread of task midpoints (decades).
    pub task_spread: f64,
    /// Noise sd of each observed score.
    pub noise: f64,
    /// Mean correlation of the gains over replications, and its 5%–95% range.
    pub r_mean: f64,
    pub r_lo: f64,
    pub r_hi: f64,
}

/// Simulate tasks from S-curves whose midpoints spread by `task_spread` decades around the middle
/// size (and log slopes by 0.3·`task_spread`), observe them at x = `xs` with independent noise of
/// sd `noise`, and measure the correlation of the two gains across tasks.
pub fn simulate(
    task_spreads: &[f64],
    noises: &[f64],
    tasks: usize,
    reps: usize,
    xs: [f64; 3],
    seed: u64,
) -> Vec<SimulationCell> {
    let mut out = Vec::new();
    for (i, &spread) in task_spreads.iter().enumerate() {
        for (j, &noise) in noises.iter().enumerate() {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ ((i * 1000 + j) as u64));
            let mid = Normal::new(xs[1], spread.max(1e-9)).expect("positive spread");
            let slope = Normal::new(0.0f64, (0.3 * spread).max(1e-9)).expect("sd");
            let eps = Normal::new(0.0, noise.max(1e-12)).expect("sd");
            let rs: Vec<f64> = (0..reps)
                .map(|_| {
                    let (mut g1, mut g2) = (Vec::with_capacity(tasks), Vec::with_capacity(tasks));
                    for _ in 0..tasks {
                        let c = Curve {
                            floor: 0.25,
                            ceiling: 0.9,
                            midpoint: mid.sample(&mut rng),
                            slope: slope.sample(&mut rng).exp(),
                        };
                        let s: Vec<f64> = xs.iter().map(|&x| c.value(x) + eps.sample(&mut rng)).collect();
                        g1.push(s[1] - s[0]);
                        g2.push(s[2] - s[1]);
                    }
                    correlation(&g1, &g2)
                })
                .collect();
            let s = sorted(rs.iter().copied());
            out.push(SimulationCell {
                task_spread: spread,
                noise,
                r_mean: rs.iter().sum::<f64>() / rs.len() as f64,
                r_lo: quantile_sorted(&s, 0.05),
                r_hi: quantile_sorted(&s, 0.95),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(task: &str, s: [f64; 3]) -> Triple {
        Triple { task: task.into(), chance: 0.25, scores: s, x: [8.0, 9.0, 10.0] }
    }

    #[test]
    fn correlation_matches_a_direct_computation() {
        let t = vec![
            tr("a", [0.3, 0.4, 0.6]),
            tr("b", [0.3, 0.35, 0.38]),
            tr("c", [0.25, 0.5, 0.55]),
            tr("d", [0.3, 0.31, 0.45]),
        ];
        let g = gain_correlations(&t, 1);
        let g1 = [0.1, 0.05, 0.25, 0.01];
        let g2 = [0.2, 0.03, 0.05, 0.14];
        let (m1, m2) = (g1.iter().sum::<f64>() / 4.0, g2.iter().sum::<f64>() / 4.0);
        let cov: f64 = g1.iter().zip(&g2).map(|(a, b)| (a - m1) * (b - m2)).sum();
        let v1: f64 = g1.iter().map(|a| (a - m1).powi(2)).sum();
        let v2: f64 = g2.iter().map(|b| (b - m2).powi(2)).sum();
        assert!((g.raw.r - cov / (v1 * v2).sqrt()).abs() < 1e-12);
        // above chance is a positive affine map of the raw score for equal chance levels
        assert!((g.above_chance.r - g.raw.r).abs() < 1e-12);
        assert!(g.raw.lo90 <= g.raw.r && g.raw.r <= g.raw.hi90);
    }

    #[test]
    fn momentum_carries_the_gain_per_decade() {
        assert!((momentum_forecast(&tr("a", [0.3, 0.4, 0.0])) - 0.5).abs() < 1e-12);
        assert_eq!(momentum_forecast(&tr("a", [0.1, 0.9, 0.0])), 1.0);
    }

    #[test]
    fn a_means_tasks_count_once_as_their_weighted_mean() {
        let t = vec![
            tr("a", [0.3, 0.4, 0.6]),
            tr("m1", [0.25, 0.26, 0.3]),
            tr("b", [0.3, 0.35, 0.38]),
            tr("m2", [0.25, 0.3, 0.2]),
        ];
        let names: Vec<String> = t.iter().map(|x| x.task.clone()).collect();
        let items = [None, Some(100), None, Some(300)];
        let groups = Group::matching(&names, &items, "m?", true).unwrap();
        let u = with_means(&t, &groups);
        // the tasks outside, in order, then the mean, weighted 1:3 by items
        assert_eq!(
            u.iter().map(|(x, g)| (x.task.as_str(), *g)).collect::<Vec<_>>(),
            [("a", None), ("b", None), ("m? (mean of 2 by items)", Some(0))]
        );
        let m = &u[2].0;
        for (k, want) in [0.25, 0.25 * 0.26 + 0.75 * 0.3, 0.25 * 0.3 + 0.75 * 0.2].into_iter().enumerate() {
            assert!((m.scores[k] - want).abs() < 1e-12, "{k}: {} against {want}", m.scores[k]);
        }
        assert_eq!((m.chance, m.x), (0.25, [8.0, 9.0, 10.0]));
    }

    #[test]
    fn noise_alone_gives_negative_correlation() {
        let cells = simulate(&[0.01], &[0.03], 100, 20, [8.5, 9.5, 10.5], 3);
        // tasks nearly identical: the gains differ only by noise, which B shares with opposite signs
        assert!(cells[0].r_mean < -0.3, "{:?}", cells[0]);
        let cells = simulate(&[1.5], &[0.001], 100, 20, [8.5, 9.5, 10.5], 3);
        assert!(cells[0].r_mean > -0.3, "{:?}", cells[0]);
    }
}
