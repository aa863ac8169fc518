//! Maximum a posteriori fits with argmin's L-BFGS, polished by Newton steps, and the Laplace
//! approximation (a normal with the inverse negative Hessian as covariance) around the mode.

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use nalgebra::{DMatrix, DVector};
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};

use crate::curve::Curve;
use crate::density::LogDensity;
use crate::model::CurveModel;
use crate::special::logit;

struct Problem<'a, D: LogDensity + ?Sized> {
    d: &'a D,
}

impl<D: LogDensity + ?Sized> CostFunction for Problem<'_, D> {
    type Param = Vec<f64>;
    type Output = f64;
    fn cost(&self, p: &Vec<f64>) -> Result<f64, argmin::core::Error> {
        let mut g = vec![0.0; p.len()];
        match self.d.logp_grad(p, &mut g) {
            Ok(lp) => Ok(-lp),
            Err(_) => Ok(f64::INFINITY),
        }
    }
}

impl<D: LogDensity + ?Sized> Gradient for Problem<'_, D> {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;
    fn gradient(&self, p: &Vec<f64>) -> Result<Vec<f64>, argmin::core::Error> {
        let mut g = vec![0.0; p.len()];
        self.d.logp_grad(p, &mut g).map_err(|e| argmin::core::Error::msg(e.to_string()))?;
        Ok(g.into_iter().map(|v| -v).collect())
    }
}

/// The result of a MAP search.
#[derive(Debug, Clone)]
pub struct MapFit {
    /// The mode, unconstrained.
    pub position: Vec<f64>,
    /// Log density at the mode.
    pub logp: f64,
    /// Largest absolute gradient component at the mode.
    pub grad_max: f64,
    /// Whether the gradient vanished and the negative Hessian is positive definite there.
    pub converged: bool,
    /// Covariance of the Laplace approximation (inverse negative Hessian), when defined.
    pub covariance: Option<DMatrix<f64>>,
}

/// Gradient tolerance for convergence (largest absolute component).
pub const GRAD_TOL: f64 = 1e-3;

fn lbfgs<D: LogDensity + ?Sized>(d: &D, init: Vec<f64>, max_iters: u64) -> Option<Vec<f64>> {
    let ls = MoreThuenteLineSearch::new();
    let solver = LBFGS::new(ls, 10).with_tolerance_grad(1e-8).ok()?.with_tolerance_cost(1e-13).ok()?;
    let res = Executor::new(Problem { d }, solver).configure(|s| s.param(init).max_iters(max_iters)).run().ok()?;
    res.state().get_best_param().cloned()
}

/// Hessian of the log density by central differences of the analytic gradient.
pub fn hessian<D: LogDensity + ?Sized>(d: &D, x: &[f64]) -> Option<DMatrix<f64>> {
    let n = d.dim();
    let mut h = DMatrix::zeros(n, n);
    let mut gp = vec![0.0; n];
    let mut gm = vec![0.0; n];
    let mut xp = x.to_vec();
    for j in 0..n {
        let step = 1e-5 * x[j].abs().max(1.0);
        xp[j] = x[j] + step;
        d.logp_grad(&xp, &mut gp).ok()?;
        xp[j] = x[j] - step;
        d.logp_grad(&xp, &mut gm).ok()?;
        xp[j] = x[j];
        for i in 0..n {
            h[(i, j)] = (gp[i] - gm[i]) / (2.0 * step);
        }
    }
    Some((&h + h.transpose()) * 0.5)
}

/// Newton steps with the Hessian from the mode estimate, halving steps that do not improve.
fn polish<D: LogDensity + ?Sized>(d: &D, mut x: Vec<f64>, steps: usize) -> Vec<f64> {
    let n = d.dim();
    let mut g = vec![0.0; n];
    let Ok(mut lp) = d.logp_grad(&x, &mut g) else { return x };
    for _ in 0..steps {
        if g.iter().fold(0.0f64, |m, v| m.max(v.abs())) < GRAD_TOL * 1e-3 {
            break;
        }
        let Some(h) = hessian(d, &x) else { break };
        let Some(chol) = (-h).cholesky() else { break };
        let dir = chol.solve(&DVector::from_vec(g.clone()));
        let mut t = 1.0;
        let mut improved = false;
        for _ in 0..20 {
            let cand: Vec<f64> = x.iter().zip(dir.iter()).map(|(a, b)| a + t * b).collect();
            let mut gc = vec![0.0; n];
            if let Ok(lc) = d.logp_grad(&cand, &mut gc)
                && lc >= lp - 1e-12
            {
                x = cand;
                lp = lc;
                g = gc;
                improved = true;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    x
}

/// Find the mode from several starting points; the best end point wins.
pub fn find_map<D: LogDensity + ?Sized>(d: &D, inits: &[Vec<f64>], max_iters: u64) -> Option<MapFit> {
    let n = d.dim();
    let mut best: Option<(f64, Vec<f64>)> = None;
    let mut g = vec![0.0; n];
    for init in inits {
        if d.logp_grad(init, &mut g).is_err() {
            continue;
        }
        let Some(x) = lbfgs(d, init.clone(), max_iters) else { continue };
        let Ok(lp) = d.logp_grad(&x, &mut g) else { continue };
        if best.as_ref().is_none_or(|(b, _)| lp > *b) {
            best = Some((lp, x));
        }
    }
    let (_, x) = best?;
    let x = polish(d, x, 8);
    let lp = d.logp_grad(&x, &mut g).ok()?;
    let grad_max = g.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let covariance = hessian(d, &x).and_then(|h| (-h).cholesky()).map(|c| c.inverse());
    let converged = grad_max < GRAD_TOL && covariance.is_some();
    Some(MapFit { position: x, logp: lp, grad_max, converged, covariance })
}

impl MapFit {
    /// Draws from the Laplace approximation, unconstrained. Without a covariance (a failed
    /// fit) every draw is the mode.
    pub fn laplace_draws<R: Rng + ?Sized>(&self, n: usize, rng: &mut R) -> Vec<Vec<f64>> {
        let dim = self.position.len();
        let chol = self.covariance.as_ref().and_then(|c| c.clone().cholesky());
        (0..n)
            .map(|_| match &chol {
                Some(c) => {
                    let z = DVector::from_iterator(dim, (0..dim).map(|_| StandardNormal.sample(rng)));
                    let dx = c.l() * z;
                    self.position.iter().zip(dx.iter()).map(|(a, b)| a + b).collect()
                }
                None => self.position.clone(),
            })
            .collect()
    }
}

/// Self-starting curve for one series: floor at chance (or below the lowest score), ceiling above
/// the highest score, midpoint and slope from a straight-line fit on the logit of the rescaled
/// scores.
pub fn self_start(xs: &[f64], scores: &[f64], chance: f64) -> Curve {
    let lo = scores.iter().cloned().fold(f64::INFINITY, f64::min);
    let hi = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let floor = chance.clamp(1e-3, 0.999).min((lo - 0.01).max(1e-3));
    let ceiling = (hi + 0.3 * (1.0 - hi)).clamp(floor + 0.02, 0.999);
    let (mut sx, mut sy, mut sxx, mut sxy, mut m) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (&x, &s) in xs.iter().zip(scores) {
        let frac = ((s - floor) / (ceiling - floor)).clamp(0.02, 0.98);
        let y = logit(frac);
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
        m += 1.0;
    }
    let var = sxx - sx * sx / m;
    let b = if var > 0.0 { (sxy - sx * sy / m) / var } else { 0.0 };
    let xmax = xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    if b > 0.05 {
        let a = (sy - b * sx) / m;
        Curve { floor, ceiling, midpoint: (-a / b).clamp(xmax - 6.0, xmax + 4.0), slope: b.min(8.0) }
    } else {
        Curve { floor, ceiling, midpoint: xmax + 1.0, slope: 0.7 }
    }
}

/// Starting points for one-task fits: the self-start curve and variants of its midpoint and slope.
pub fn task_inits(model: &CurveModel) -> Vec<Vec<f64>> {
    let d = &model.data;
    let base = self_start(&d.x, &d.score, d.chance[0]);
    let (xmin, xmax) = d.x_range();
    let mut curves = vec![base];
    for (mid, slope) in [((xmin + xmax) / 2.0, 1.0), (xmax + 1.5, 1.0), (xmin, 0.5), ((xmin + xmax) / 2.0, 3.0)] {
        curves.push(Curve { midpoint: mid, slope, ..base });
    }
    curves.into_iter().map(|c| model.unconstrain(&[c], [(0.0, 1.0); 4], 50.0)).collect()
}
