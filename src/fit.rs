//! Fitting: per-task MAP fits (independent model) and the joint model's MAP, with Laplace draws.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;

use crate::curve::Curve;
use crate::data::FitData;
use crate::error::{Error, Result};
use crate::map::{MapFit, find_map, task_inits};
use crate::model::CurveModel;
use crate::spec::ModelSpec;
use crate::summary::TaskSummary;

/// Default number of Laplace draws kept from a MAP fit.
pub const LAPLACE_DRAWS: usize = 4000;

/// One task's independent MAP fit.
#[derive(Debug, Clone)]
pub struct TaskMap {
    pub task: String,
    pub model: CurveModel,
    pub map: MapFit,
    /// The curve at the mode.
    pub curve: Curve,
    /// Laplace draws, unconstrained.
    pub draws: Vec<Vec<f64>>,
}

impl TaskMap {
    /// The curve of every Laplace draw.
    pub fn curve_draws(&self) -> Vec<Curve> {
        self.draws.iter().map(|x| self.model.constrain(x).curves[0]).collect()
    }
    /// The fitted curve's summary with 90% intervals.
    pub fn summary(&self) -> TaskSummary {
        TaskSummary::from_curves(&self.task, &self.curve_draws(), Some(self.curve), self.map.converged, 0.9)
    }
}

/// Fit every task alone, in parallel. Each task's Laplace draws use a seed derived from `seed`
/// and the task's index, so results do not depend on thread scheduling.
pub fn fit_independent(spec: &ModelSpec, data: &FitData, seed: u64, n_draws: usize) -> Result<Vec<TaskMap>> {
    if spec.is_pooled() || spec.model_effect {
        return Err(Error::Usage(format!(
            "model '{}' pools tasks; per-task MAP fits need an independent model such as models/independent.toml",
            spec.name
        )));
    }
    (0..data.series.len())
        .into_par_iter()
        .map(|t| {
            let model = CurveModel::new(spec.clone(), data.only_series(t))?;
            let inits = task_inits(&model);
            let map = find_map(&model, &inits, 500).ok_or_else(|| {
                Error::Fit(format!("task '{}': no starting point gave a finite density", data.series[t]))
            })?;
            let curve = model.constrain(&map.position).curves[0];
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ (t as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let draws = map.laplace_draws(n_draws, &mut rng);
            Ok(TaskMap { task: data.series[t].clone(), model, map, curve, draws })
        })
        .collect()
}
