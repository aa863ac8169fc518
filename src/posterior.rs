//! Posterior draws in constrained terms, from NUTS or from a Laplace approximation: the common
//! input of forecasts, thresholds, validation and plots.

use crate::counts::Spread;
use crate::curve::Curve;
use crate::sample::DrawStats;
use crate::spec::EffectOn;
use crate::summary::Interval;

/// The per-model effect of a fit: where it enters, its sd across models and each evaluated
/// model's shift (estimate and 90% interval).
#[derive(Debug, Clone)]
pub struct Luck {
    pub on: EffectOn,
    pub sd: Interval,
    pub models: Vec<(String, Interval)>,
}

impl Luck {
    /// What a shift is, in words, and what its size means (for a table's caption).
    pub fn what(&self) -> (&'static str, &'static str) {
        match self.on {
            EffectOn::Size => ("shift of effective log10 size", "in decades"),
            EffectOn::Logit => ("shift of the logit of all its scores", "0.04 is about a point at 50%"),
        }
    }
}

/// Draws of the constrained quantities, by chain.
#[derive(Debug, Clone)]
pub struct Posterior {
    /// Column names (see `CurveModel::constrained_names`).
    pub names: Vec<String>,
    /// `draws[chain][draw][column]`.
    pub draws: Vec<Vec<Vec<f64>>>,
    /// Sampler statistics per chain and draw (empty for Laplace draws).
    pub stats: Vec<Vec<DrawStats>>,
    /// Series names, in the order of the task columns.
    pub series: Vec<String>,
    /// Evaluated models, in the order of the per-model effect's columns.
    pub models: Vec<String>,
    cols: Columns,
}

/// Task `t`'s value in a draw of a quantity stored once for the whole fit (column `shared`) or
/// once per task from column `per_task` on (fits of each task alone).
#[inline]
fn shared_or_per_task(shared: Option<usize>, per_task: Option<usize>, row: &[f64], t: usize) -> Option<f64> {
    shared.map(|i| row[i]).or_else(|| per_task.map(|i| row[i + t]))
}

#[derive(Debug, Clone, Copy)]
struct Columns {
    floor: usize,
    phi: Option<usize>,
    /// First of the per-task `phi.t` columns (fits of each task alone).
    phi_per_task: Option<usize>,
    /// The counts' dispersion, shared or per task (`dispersion.t`).
    disp: Option<usize>,
    disp_per_task: Option<usize>,
    /// The per-model effect's sd column, and where the effect enters.
    model_sd: Option<(usize, EffectOn)>,
}

impl Posterior {
    /// Assemble from named columns; the names must include `floor.1 ..`, `ceiling.1 ..`, ...
    pub fn new(
        names: Vec<String>,
        draws: Vec<Vec<Vec<f64>>>,
        stats: Vec<Vec<DrawStats>>,
        series: Vec<String>,
        models: Vec<String>,
    ) -> Option<Self> {
        let find = |n: &str| names.iter().position(|x| x == n);
        let floor = find("floor.1")?;
        let t = series.len();
        for (k, p) in crate::spec::CURVE_PARAMS.iter().enumerate() {
            if find(&format!("{p}.1")) != Some(floor + k * t) {
                return None;
            }
        }
        let model_sd = [EffectOn::Size, EffectOn::Logit].into_iter().find_map(|on| Some((find(on.columns().0)?, on)));
        let cols = Columns {
            floor,
            phi: find("phi"),
            phi_per_task: find("phi.1"),
            disp: find("dispersion"),
            disp_per_task: find("dispersion.1"),
            model_sd,
        };
        Some(Posterior { names, draws, stats, series, models, cols })
    }

    /// Total number of draws over chains.
    pub fn n_draws(&self) -> usize {
        self.draws.iter().map(Vec::len).sum()
    }

    /// Every draw, chain after chain.
    pub fn rows(&self) -> impl Iterator<Item = &[f64]> {
        self.draws.iter().flat_map(|c| c.iter().map(Vec::as_slice))
    }

    /// The column index of a name.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|x| x == name)
    }

    /// The curve of task `t` in a draw.
    #[inline]
    pub fn curve(&self, row: &[f64], t: usize) -> Curve {
        let n = self.series.len();
        let f = self.cols.floor;
        Curve { floor: row[f + t], ceiling: row[f + n + t], midpoint: row[f + 2 * n + t], slope: row[f + 3 * n + t] }
    }

    /// The beta-binomial concentration of task `t` in a draw (None: binomial).
    #[inline]
    pub fn phi(&self, row: &[f64], t: usize) -> Option<f64> {
        shared_or_per_task(self.cols.phi, self.cols.phi_per_task, row, t)
    }

    /// How task `t`'s counts spread about its curve in a draw: its concentration and its
    /// dispersion (1 when the model has none).
    #[inline]
    pub fn spread(&self, row: &[f64], t: usize) -> Spread {
        let dispersion = shared_or_per_task(self.cols.disp, self.cols.disp_per_task, row, t);
        Spread { phi: self.phi(row, t), dispersion: dispersion.unwrap_or(1.0) }
    }

    /// The sd of the per-model effect of a draw (0 when the model has none).
    #[inline]
    pub fn model_sd(&self, row: &[f64]) -> f64 {
        self.cols.model_sd.map_or(0.0, |(i, _)| row[i])
    }

    /// The column of evaluated model `j`'s per-model effect (counted from 0), if the model has one.
    pub fn model_shift_column(&self, j: usize) -> Option<usize> {
        let (_, on) = self.cols.model_sd?;
        self.column(&format!("{}.{}", on.columns().1, j + 1))
    }

    /// Whether the model has a per-model effect (each evaluated model's luck, shared by its tasks).
    pub fn has_model_effect(&self) -> bool {
        self.cols.model_sd.is_some()
    }

    /// Where the per-model effect enters (a shift of size when the model has none: no shift).
    pub fn model_effect_on(&self) -> EffectOn {
        self.cols.model_sd.map_or(EffectOn::Size, |(_, on)| on)
    }

    /// Each evaluated model's per-model effect (its luck) with a 90% interval, in the order of
    /// the fit's models, and the effect's sd across models; None when the model has none.
    pub fn luck(&self) -> Option<Luck> {
        let (sd_col, on) = self.cols.model_sd?;
        let models = (self.models.iter().enumerate())
            .filter_map(|(j, m)| Some((m.clone(), self.interval90(self.model_shift_column(j)?))))
            .collect();
        Some(Luck { on, sd: self.interval90(sd_col), models })
    }

    /// The counts' dispersion d (median and 90% interval), when the model has one shared by
    /// every task.
    pub fn dispersion(&self) -> Option<Interval> {
        self.cols.disp.map(|j| self.interval90(j))
    }

    /// The sd σ of logit(score) of the scores without item counts, median and 90% interval,
    /// when the fit has such scores.
    pub fn score_noise(&self) -> Option<Interval> {
        self.column("sigma").map(|j| self.interval90(j))
    }

    /// The median and central 90% interval of column `j` over every draw.
    pub fn interval90(&self, j: usize) -> Interval {
        Interval::from_draws(self.rows().map(|r| r[j]), 0.9)
    }

    /// One column of every chain: `[chain][draw]`.
    pub fn column_by_chain(&self, col: usize) -> Vec<Vec<f64>> {
        self.draws.iter().map(|c| c.iter().map(|r| r[col]).collect()).collect()
    }

    /// Index of a series by name.
    pub fn series_index(&self, name: &str) -> Option<usize> {
        self.series.iter().position(|s| s == name)
    }
}
