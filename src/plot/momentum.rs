//! The momentum picture: gain A→B against gain B→C per task, and beside it how well the
//! hierarchical model and momentum predicted the gain B→C.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, GREY, LIGHT, RED};
use super::{DrawResult, Figure, SANS, grid};

/// Gains in percentage points per task; `model` holds the hierarchical model's predicted gain
/// B→C per task (fitted up to B), when it was fitted.
pub struct MomentumFigure {
    /// "350M→2.7B" and "2.7B→30B".
    pub first: String,
    pub second: String,
    /// Per task: (gain A→B, gain B→C), raw score, in pp.
    pub gains: Vec<(f64, f64)>,
    /// Per task: momentum's predicted gain B→C, in pp.
    pub momentum: Vec<f64>,
    /// Per task: the model's predicted gain B→C, in pp.
    pub model: Option<Vec<f64>>,
    /// Correlation of the gains with its 90% interval.
    pub r: (f64, f64, f64),
}

/// Least-squares line through points: (intercept, slope).
pub fn least_squares(pts: &[(f64, f64)]) -> (f64, f64) {
    let n = pts.len() as f64;
    let mx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let my = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let sxy: f64 = pts.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    let sxx: f64 = pts.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let slope = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    (my - slope * mx, slope)
}

fn range_of(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.filter(|v| v.is_finite()).fold((0.0f64, 0.0f64), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.08).max(1.0);
    (lo - pad, hi + pad)
}

impl Figure for MomentumFigure {
    fn size(&self) -> (u32, u32) {
        (1160, 560)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(580);

        let (x0, x1) = range_of(self.gains.iter().map(|g| g.0));
        let (y0, y1) = range_of(self.gains.iter().map(|g| g.1));
        let mut chart = ChartBuilder::on(&left)
            .caption(
                format!(
                    "Gain {} against gain {}: r = {:+.2} (90%: {:+.2} to {:+.2})",
                    self.first, self.second, self.r.0, self.r.1, self.r.2
                ),
                (SANS, 16),
            )
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(52)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        grid(&mut chart.configure_mesh(), 12, 14)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|x| format!("{x:+.0}"))
            .y_label_formatter(&|y| format!("{y:+.0}"))
            .x_desc(format!("gain {} (pp)", self.first))
            .y_desc(format!("gain {} (pp)", self.second))
            .draw()?;
        chart.draw_series(LineSeries::new(vec![(x0, 0.0), (x1, 0.0)], GREY.mix(0.6).stroke_width(1)))?;
        chart.draw_series(LineSeries::new(vec![(0.0, y0), (0.0, y1)], GREY.mix(0.6).stroke_width(1)))?;
        chart.draw_series(self.gains.iter().map(|&g| Circle::new(g, 4, BLUE.mix(0.75).filled())))?;
        if self.gains.len() >= 2 {
            let (a, b) = least_squares(&self.gains);
            chart
                .draw_series(LineSeries::new(vec![(x0, a + b * x0), (x1, a + b * x1)], RED.stroke_width(2)))?
                .label(format!("least squares: slope {b:+.2}"))
                .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], RED.stroke_width(2)));
            chart
                .configure_series_labels()
                .position(SeriesLabelPosition::UpperRight)
                .background_style(WHITE.mix(0.85))
                .border_style(LIGHT)
                .label_font((SANS, 12))
                .draw()?;
        }

        // predicted against actual gain B→C
        let actual: Vec<f64> = self.gains.iter().map(|g| g.1).collect();
        let preds = self.momentum.iter().chain(self.model.iter().flatten()).copied();
        let (p0, p1) = range_of(actual.iter().copied().chain(preds));
        let mut chart = ChartBuilder::on(&right)
            .caption(format!("Predicted against actual gain {}", self.second), (SANS, 16))
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(52)
            .build_cartesian_2d(p0..p1, p0..p1)?;
        grid(&mut chart.configure_mesh(), 12, 14)
            .x_labels(8)
            .y_labels(8)
            .x_label_formatter(&|x| format!("{x:+.0}"))
            .y_label_formatter(&|y| format!("{y:+.0}"))
            .x_desc(format!("actual gain {} (pp)", self.second))
            .y_desc("predicted gain (pp)")
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(p0, p0), (p1, p1)], 6, 4, GREY.stroke_width(1)))?
            .label("perfect prediction")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(1)));
        let mae = |p: &[f64]| p.iter().zip(&actual).map(|(a, b)| (a - b).abs()).sum::<f64>() / p.len().max(1) as f64;
        chart
            .draw_series(
                self.momentum.iter().zip(&actual).map(|(&p, &a)| Circle::new((a, p), 4, RED.mix(0.7).filled())),
            )?
            .label(format!("momentum (MAE {:.2} pp)", mae(&self.momentum)))
            .legend(|(x, y)| Circle::new((x + 9, y), 4, RED.mix(0.7).filled()));
        if let Some(m) = &self.model {
            chart
                .draw_series(m.iter().zip(&actual).map(|(&p, &a)| Circle::new((a, p), 4, BLUE.mix(0.8).filled())))?
                .label(format!("hierarchical model (MAE {:.2} pp)", mae(m)))
                .legend(|(x, y)| Circle::new((x + 9, y), 4, BLUE.mix(0.8).filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(LIGHT)
            .label_font((SANS, 12))
            .draw()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn least_squares_recovers_a_line() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0 - 0.5 * i as f64)).collect();
        let (a, b) = super::least_squares(&pts);
        assert!((a - 2.0).abs() < 1e-12 && (b + 0.5).abs() < 1e-12);
    }
}
