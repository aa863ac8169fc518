//! Validation figures: calibration of intervals, PIT histograms, predicted against observed,
//! and error by distance ahead.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{GREY, INK, LIGHT, method_colours};
use super::{DrawResult, Figure, SANS, grid, percent, ticked};
use crate::validate::{Arm, DISTANCE_GROUPS, Prediction, by_distance};

/// Nominal against observed coverage of central predictive intervals, from PIT values: a
/// held-out score is inside the central interval of level q when |PIT − ½| ≤ q/2.
pub struct CalibrationFigure {
    /// Method name and its PIT values.
    pub methods: Vec<(String, Vec<f64>)>,
}

/// Observed coverage of central intervals of `level` given PIT values.
pub fn coverage_from_pit(pit: &[f64], level: f64) -> f64 {
    if pit.is_empty() {
        return f64::NAN;
    }
    pit.iter().filter(|&&u| (u - 0.5).abs() <= level / 2.0 + 1e-12).count() as f64 / pit.len() as f64
}

impl Figure for CalibrationFigure {
    fn size(&self) -> (u32, u32) {
        (620, 560)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let mut chart = ChartBuilder::on(root)
            .caption("Calibration of predictive intervals", (SANS, 19))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..1.0, 0.0..1.0)?;
        grid(&mut chart.configure_mesh(), 13, 14)
            .x_label_formatter(&|x| percent(*x))
            .y_label_formatter(&|y| percent(*y))
            .x_desc("nominal coverage of the central interval")
            .y_desc("share of held-out scores inside")
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(vec![(0.0, 0.0), (1.0, 1.0)], 6, 4, GREY.stroke_width(1)))?
            .label("perfect calibration")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], GREY.stroke_width(1)));
        let levels: Vec<f64> = (1..20).map(|i| i as f64 * 0.05).collect();
        let colours = method_colours(self.methods.iter().map(|m| &m.0));
        for ((name, pit), c) in self.methods.iter().zip(colours) {
            let pts: Vec<(f64, f64)> = levels.iter().map(|&q| (q, coverage_from_pit(pit, q))).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(format!("{name} (n = {})", pit.len()))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(LIGHT)
            .label_font((SANS, 13))
            .draw()?;
        root.draw_text(
            "above the diagonal: intervals too wide; below: too narrow",
            &(SANS, 12).into_font().color(&GREY),
            (80, 50),
        )?;
        Ok(())
    }
}

/// A histogram of PIT values per method (flat when calibrated).
pub struct PitFigure {
    pub methods: Vec<(String, Vec<f64>)>,
}

/// Rows and columns of `n` panels, three to a row.
fn panels(n: usize) -> (usize, usize) {
    let n = n.max(1);
    let cols = n.min(3);
    (n.div_ceil(cols), cols)
}

impl Figure for PitFigure {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = panels(self.methods.len());
        (420 * cols as u32, 360 * rows as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        const BINS: usize = 10;
        let colours = method_colours(self.methods.iter().map(|m| &m.0));
        let cells = root.split_evenly(panels(self.methods.len()));
        for ((cell, (name, pit)), c) in cells.iter().zip(&self.methods).zip(colours) {
            let mut counts = [0usize; BINS];
            for &u in pit {
                counts[((u * BINS as f64) as usize).min(BINS - 1)] += 1;
            }
            let expected = pit.len() as f64 / BINS as f64;
            let top = (counts.iter().copied().max().unwrap_or(1) as f64).max(expected) * 1.2 + 1.0;
            let mut chart = ChartBuilder::on(cell)
                .caption(format!("PIT: {name}"), (SANS, 17))
                .margin(14)
                .x_label_area_size(40)
                .y_label_area_size(44)
                .build_cartesian_2d(0.0..1.0, 0.0..top)?;
            grid(&mut chart.configure_mesh(), 12, 13)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|x| format!("{x:.1}"))
                .y_label_formatter(&|y| format!("{y:.0}"))
                .x_desc("PIT of the held-out score")
                .y_desc("count")
                .draw()?;
            chart.draw_series(counts.iter().enumerate().map(|(i, &k)| {
                let a = i as f64 / BINS as f64;
                Rectangle::new([(a + 0.005, 0.0), (a + 0.095, k as f64)], c.mix(0.7).filled())
            }))?;
            chart.draw_series(DashedLineSeries::new(
                vec![(0.0, expected), (1.0, expected)],
                6,
                4,
                INK.stroke_width(1),
            ))?;
        }
        Ok(())
    }
}

/// One held-out score: observed, predicted (median), and the 80% predictive interval.
#[derive(Debug, Clone, Copy)]
pub struct ScatterPoint {
    pub observed: f64,
    pub predicted: f64,
    pub interval80: Option<(f64, f64)>,
}

/// Predicted against observed held-out scores, one panel per method.
pub struct ScatterFigure {
    pub methods: Vec<(String, Vec<ScatterPoint>)>,
}

impl Figure for ScatterFigure {
    fn size(&self) -> (u32, u32) {
        let (rows, cols) = panels(self.methods.len());
        (400 * cols as u32, 400 * rows as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (mut lo, mut hi) = (1.0f64, 0.0f64);
        for p in self.methods.iter().flat_map(|(_, v)| v) {
            lo = lo.min(p.observed).min(p.predicted);
            hi = hi.max(p.observed).max(p.predicted);
        }
        let (lo, hi) = if lo < hi { ((lo - 0.03).max(0.0), (hi + 0.03).min(1.0)) } else { (0.0, 1.0) };
        let colours = method_colours(self.methods.iter().map(|m| &m.0));
        for ((cell, (name, pts)), c) in
            root.split_evenly(panels(self.methods.len())).iter().zip(&self.methods).zip(colours)
        {
            let mae =
                100.0 * pts.iter().map(|p| (p.predicted - p.observed).abs()).sum::<f64>() / pts.len().max(1) as f64;
            let mut chart = ChartBuilder::on(cell)
                .caption(format!("{name}: MAE {mae:.2} pp"), (SANS, 16))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(48)
                .build_cartesian_2d(lo..hi, lo..hi)?;
            grid(&mut chart.configure_mesh(), 12, 13)
                .x_labels(6)
                .y_labels(6)
                .x_label_formatter(&|x| percent(*x))
                .y_label_formatter(&|y| percent(*y))
                .x_desc("observed")
                .y_desc("predicted")
                .draw()?;
            chart.draw_series(DashedLineSeries::new(vec![(lo, lo), (hi, hi)], 6, 4, GREY.stroke_width(1)))?;
            chart.draw_series(pts.iter().filter_map(|p| {
                p.interval80.map(|(a, b)| {
                    PathElement::new(
                        vec![(p.observed, a.max(lo)), (p.observed, b.min(hi))],
                        c.mix(0.35).stroke_width(1),
                    )
                })
            }))?;
            chart.draw_series(pts.iter().map(|p| Circle::new((p.observed, p.predicted), 3, c.filled())))?;
        }
        Ok(())
    }
}

/// Mean absolute error by how far ahead the prediction was, per method.
pub struct DistanceFigure {
    /// Group labels, in order (e.g. "≤0.5", "0.5–1").
    pub groups: Vec<String>,
    /// Method name and its MAE (pp) per group (None when the group is empty).
    pub methods: Vec<(String, Vec<Option<f64>>)>,
}

impl Figure for DistanceFigure {
    fn size(&self) -> (u32, u32) {
        (700, 460)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let k = self.groups.len().max(1);
        let top = self.methods.iter().flat_map(|(_, v)| v.iter().flatten()).fold(1.0f64, |a, &b| a.max(b)) * 1.15;
        let ticks: Vec<f64> = (0..k).map(|i| i as f64).collect();
        let groups = self.groups.clone();
        let mut chart = ChartBuilder::on(root)
            .caption("Error by distance ahead", (SANS, 19))
            .margin(16)
            .x_label_area_size(44)
            .y_label_area_size(52)
            .build_cartesian_2d(ticked(-0.5, k as f64 - 0.5, ticks), 0.0..top)?;
        grid(&mut chart.configure_mesh(), 13, 14)
            .x_label_formatter(&|x| groups.get(x.round() as usize).cloned().unwrap_or_default())
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc("orders of magnitude beyond the largest fitted size")
            .y_desc("mean absolute error (pp)")
            .draw()?;
        let colours = method_colours(self.methods.iter().map(|m| &m.0));
        for ((name, maes), c) in self.methods.iter().zip(colours) {
            let pts: Vec<(f64, f64)> = maes.iter().enumerate().filter_map(|(i, m)| m.map(|m| (i as f64, m))).collect();
            chart
                .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))?
                .label(name.as_str())
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2)));
            chart.draw_series(pts.iter().map(|&p| Circle::new(p, 4, c.filled())))?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(LIGHT)
            .label_font((SANS, 13))
            .draw()?;
        Ok(())
    }
}

/// Calibration, PIT histograms, predicted against observed and (rolling) error by distance.
pub fn figures(preds: &[Prediction], methods: &[Arm]) -> (CalibrationFigure, PitFigure, ScatterFigure, DistanceFigure) {
    fn of<'a>(preds: &'a [Prediction], m: &'a Arm) -> impl Iterator<Item = &'a Prediction> {
        preds.iter().filter(move |p| p.method == *m)
    }
    let pits: Vec<(String, Vec<f64>)> = methods
        .iter()
        .map(|m| (m.name(), of(preds, m).filter_map(|p| p.pit).collect::<Vec<f64>>()))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    let scatter = methods
        .iter()
        .map(|m| {
            let pts = of(preds, m)
                .map(|p| ScatterPoint { observed: p.observed, predicted: p.predicted, interval80: p.interval80 })
                .collect();
            (m.name(), pts)
        })
        .collect();
    let groups = by_distance(preds);
    let labels: Vec<&str> = DISTANCE_GROUPS.iter().map(|g| g.0).filter(|g| groups.contains_key(*g)).collect();
    let distance = DistanceFigure {
        groups: labels.iter().map(|g| g.replace("<=", "≤").replace('-', "–")).collect(),
        methods: methods
            .iter()
            .map(|m| (m.name(), labels.iter().map(|g| groups[*g].get(m).map(|s| s.mae_pp)).collect()))
            .collect(),
    };
    (
        CalibrationFigure { methods: pits.clone() },
        PitFigure { methods: pits },
        ScatterFigure { methods: scatter },
        distance,
    )
}

#[cfg(test)]
mod tests {
    use super::{Figure, PitFigure, coverage_from_pit, method_colours};
    use crate::plot::palette::{BLUE, GREY, PURPLE};

    /// Every method gets a panel, three to a row, and the arms of several model files each a
    /// colour of their own (the first the plain method's blue).
    #[test]
    fn every_arm_has_a_panel_and_a_colour_of_its_own() {
        let names: Vec<String> =
            ["hierarchical:hierarchical", "hierarchical:no_model_effect", "hierarchical_map", "persistence"]
                .map(String::from)
                .to_vec();
        let c = method_colours(&names);
        assert_eq!((c[0], c[2], c[3]), (BLUE, PURPLE, GREY));
        assert!(!c[..1].contains(&c[1]) && !c[2..].contains(&c[1]));
        let pit = |n: usize| PitFigure { methods: names[..n].iter().map(|m| (m.clone(), vec![0.5])).collect() };
        assert_eq!(pit(3).size(), (1260, 360));
        assert_eq!(pit(4).size(), (1260, 720));
    }

    #[test]
    fn coverage_from_pit_counts_central_intervals() {
        let pit = [0.05, 0.3, 0.5, 0.7, 0.95];
        assert_eq!(coverage_from_pit(&pit, 0.5), 0.6);
        assert_eq!(coverage_from_pit(&pit, 0.8), 0.6);
        assert_eq!(coverage_from_pit(&pit, 0.95), 1.0);
    }
}
