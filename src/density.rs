//! The one contract between a model and the algorithms that fit it.

/// Why a log density could not be evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DensityError {
    /// The density or its gradient is not finite here (a far tail): a sampler treats this as a
    /// divergence, an optimiser as a step too far.
    #[error("the log density is not finite at this point")]
    NonFinite,
}

/// A log density with its gradient on an unconstrained space.
pub trait LogDensity: Sync {
    /// Number of unconstrained parameters.
    fn dim(&self) -> usize;
    /// The log density at `position`; its gradient is written into `grad` (length `dim`).
    fn logp_grad(&self, position: &[f64], grad: &mut [f64]) -> Result<f64, DensityError>;
}

/// Largest relative difference between the analytic gradient and central finite differences,
/// over every coordinate: `|g − fd| / max(1, |fd|)`.
pub fn gradient_error<D: LogDensity + ?Sized>(d: &D, position: &[f64], h: f64) -> f64 {
    let n = d.dim();
    let mut g = vec![0.0; n];
    let mut scratch = vec![0.0; n];
    d.logp_grad(position, &mut g).expect("finite density at the test point");
    let mut worst: f64 = 0.0;
    let mut x = position.to_vec();
    for i in 0..n {
        x[i] = position[i] + h;
        let up = d.logp_grad(&x, &mut scratch).expect("finite");
        x[i] = position[i] - h;
        let down = d.logp_grad(&x, &mut scratch).expect("finite");
        x[i] = position[i];
        let fd = (up - down) / (2.0 * h);
        worst = worst.max((g[i] - fd).abs() / fd.abs().max(1.0));
    }
    worst
}
