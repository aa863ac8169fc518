//! The posterior of the size (or training compute) at which each task reaches a score, with the
//! mass that never does.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, GREEN, GREY, INK, RED};
use super::{DrawResult, Figure, SANS, decade_ticks, grid, shorten, ticked, x_desc, x_label};
use crate::data::XAxis;
use crate::forecast::{Score, ThresholdRow};

/// One row per task: the 50% and 80% intervals of log size reaching the score (open-ended
/// where draws never reach it), and beside it how the probability splits between already
/// reached, reached by the largest size asked about, later, and never.
pub struct ThresholdFigure<'a> {
    /// The score reached: one for every row, or some points above each row's chance.
    pub score: Score,
    pub rows: Vec<&'a ThresholdRow>,
    /// The largest x fitted (marked with a line).
    pub largest_x: f64,
    /// The largest x of interest (right edge of the axis).
    pub max_x: f64,
    /// The smallest x fitted.
    pub smallest_x: f64,
    /// What x is the log10 of: parameters, or training compute.
    pub axis: XAxis,
    /// The legend's words for the share reached after the largest fitted size and by the one
    /// asked about ("by 1e15", or "by 10× the largest" when that differs by row).
    pub reach: String,
}

/// Quantile `q` of draws that may hold ±∞.
fn quantile_inf(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

impl<'a> ThresholdFigure<'a> {
    /// The figure of `rows` at `score`, for a fit over `x_range` (smallest, largest x) on
    /// `axis`, with the axis running to `max_x`.
    pub fn new(
        score: Score,
        rows: &'a [ThresholdRow],
        (smallest_x, largest_x): (f64, f64),
        max_x: f64,
        axis: XAxis,
    ) -> Self {
        let reach = format!("by {}", x_label(max_x, axis));
        ThresholdFigure { score, rows: rows.iter().collect(), largest_x, max_x, smallest_x, axis, reach }
    }

    const ROW: u32 = 24;
    const TOP: u32 = 84;
    const BOTTOM: u32 = 60;

    fn order(&self) -> Vec<(&ThresholdRow, Vec<f64>)> {
        let mut v: Vec<(&ThresholdRow, Vec<f64>)> = self
            .rows
            .iter()
            .map(|r| {
                let mut s = r.x_draws.clone();
                s.sort_by(f64::total_cmp);
                (*r, s)
            })
            .filter(|(_, s)| !s.is_empty())
            .collect();
        v.sort_by(|a, b| quantile_inf(&a.1, 0.5).total_cmp(&quantile_inf(&b.1, 0.5)));
        v
    }
}

impl Figure for ThresholdFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1100, Self::TOP + Self::BOTTOM + Self::ROW * self.rows.len().max(1) as u32)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let rows = self.order();
        let n = rows.len().max(1) as f64;
        let (left, right) = root.split_horizontally(780);
        let x0 = self.smallest_x - 0.5;
        let x1 = self.max_x.max(self.largest_x + 1.0);
        let names: Vec<String> = rows.iter().map(|(r, _)| shorten(&r.task, 30)).collect();
        let label_of = |y: &f64| names.get(y.round() as usize).cloned().unwrap_or_default();
        let y_ticks: Vec<f64> = (0..rows.len()).map(|i| i as f64).collect();
        let what = match self.axis {
            XAxis::Params => ("Size", "size"),
            XAxis::Compute => ("Training compute", "compute"),
        };
        root.draw_text(
            &format!("{} at which each task's curve reaches {}", what.0, self.score.words()),
            &(SANS, 19).into_font().color(&INK),
            (16, 12),
        )?;
        root.draw_text(
            &format!(
                "thick: 50% interval; thin: 80%; circle: median; triangle: runs on past the axis, or never; \
                 dashed: largest fitted {}",
                what.1
            ),
            &(SANS, 12).into_font().color(&GREY),
            (16, 40),
        )?;
        let mut chart = ChartBuilder::on(&left)
            .margin(14)
            .margin_right(28)
            .margin_top(Self::TOP)
            .x_label_area_size(44)
            .y_label_area_size(210)
            .build_cartesian_2d(ticked(x0, x1, decade_ticks(x0, x1)), ticked(n - 0.5, -0.5, y_ticks.clone()))?;
        grid(&mut chart.configure_mesh(), 12, 14)
            .x_label_formatter(&|x| x_label(*x, self.axis))
            .y_label_formatter(&label_of)
            .x_desc(x_desc(self.axis))
            .draw()?;
        chart.draw_series(DashedLineSeries::new(
            vec![(self.largest_x, -0.5), (self.largest_x, n - 0.5)],
            5,
            4,
            GREY.stroke_width(1),
        ))?;
        let clip = |v: f64| v.clamp(x0, x1);
        for (i, (_, s)) in rows.iter().enumerate() {
            let y = i as f64;
            let (a80, b80) = (quantile_inf(s, 0.1), quantile_inf(s, 0.9));
            let (a50, b50) = (quantile_inf(s, 0.25), quantile_inf(s, 0.75));
            let m = quantile_inf(s, 0.5);
            if a80 < x1 && b80 > x0 {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(clip(a80), y), (clip(b80), y)],
                    BLUE.mix(0.55).stroke_width(2),
                )))?;
            }
            if a50 < x1 && b50 > x0 {
                chart.draw_series(std::iter::once(PathElement::new(
                    vec![(clip(a50), y), (clip(b50), y)],
                    BLUE.stroke_width(6),
                )))?;
            }
            if b80 >= x1 {
                // the interval runs off the axis: to larger sizes or never
                chart.draw_series(std::iter::once(TriangleMarker::new((x1 - 0.05, y), 5, BLUE.mix(0.55).filled())))?;
            }
            if b80 <= x0 {
                // reached at every size shown: the floor is already above the score
                chart.draw_series(std::iter::once(TriangleMarker::new((x0 + 0.05, y), 5, GREEN.filled())))?;
            }
            if m.is_finite() && m > x0 && m < x1 {
                chart.draw_series(std::iter::once(Circle::new((m, y), 4, WHITE.filled())))?;
                chart.draw_series(std::iter::once(Circle::new((m, y), 4, INK.stroke_width(2))))?;
            }
        }

        // how the probability splits: reached by the largest fitted size, by the largest size
        // asked about, later, never
        let mut bars = ChartBuilder::on(&right)
            .margin(14)
            .margin_top(Self::TOP)
            .margin_left(4)
            .x_label_area_size(44)
            .y_label_area_size(4)
            .build_cartesian_2d(0.0..1.0, (n - 0.5)..-0.5)?;
        grid(&mut bars.configure_mesh(), 12, 14)
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(5)
            .x_label_formatter(&|x| format!("{x:.1}"))
            .draw()?;
        let parts = [(GREEN, "already"), (BLUE, self.reach.as_str()), (GREY, "later"), (RED, "never")];
        for (i, (r, _)) in rows.iter().enumerate() {
            let y = i as f64;
            let shares =
                [r.p_already, (r.p_reach - r.p_already).max(0.0), (1.0 - r.p_reach - r.p_never).max(0.0), r.p_never];
            let mut at = 0.0;
            for (share, (colour, _)) in shares.iter().zip(parts) {
                if *share > 0.0 {
                    bars.draw_series(std::iter::once(Rectangle::new(
                        [(at, y - 0.32), (at + share, y + 0.32)],
                        colour.mix(0.7).filled(),
                    )))?;
                }
                at += share;
            }
        }
        for (k, (colour, name)) in parts.iter().enumerate() {
            let (x, y) = (8 + 150 * (k as i32 % 2), 48 + 16 * (k as i32 / 2));
            right.draw(&Rectangle::new([(x, y - 5), (x + 12, y + 5)], colour.mix(0.7).filled()))?;
            right.draw_text(name, &(SANS, 11).into_font().color(&INK), (x + 16, y - 6))?;
        }
        Ok(())
    }
}
