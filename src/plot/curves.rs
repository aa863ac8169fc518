//! Scaling curves: one task large, every task as small multiples, and the population of
//! midpoints and slopes.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::palette::{BLUE, GREY, INK, ORANGE, RED};
use super::{
    DrawResult, Figure, SANS, Swatch, decade_ticks, grid, legend, nice_ticks, percent, shorten, ticked, x_desc, x_label,
};
use rayon::prelude::*;

use crate::data::{FitData, Outcome, Point, XAxis, x_value};
use crate::forecast::{ForecastAt, Group, Target, group_predictive, group_threshold, predictive};
use crate::posterior::Posterior;
use crate::summary::{quantile_sorted, sorted};

/// An observed score with its 95% binomial (Wilson) interval.
#[derive(Debug, Clone)]
pub struct ObservedPoint {
    pub x: f64,
    pub score: f64,
    pub lo: f64,
    pub hi: f64,
    /// Left out of the fit.
    pub heldout: bool,
}

/// The predictive distribution of a new model's observed score at one size.
#[derive(Debug, Clone)]
pub struct ForecastMark {
    pub x: f64,
    pub median: f64,
    pub lo50: f64,
    pub hi50: f64,
    pub lo90: f64,
    pub hi90: f64,
}

impl ForecastMark {
    /// The mark of predictive draws at `x`: their median, and central 50% and 90% intervals.
    fn of(x: f64, draws: Vec<f64>) -> Self {
        let o = sorted(draws);
        ForecastMark {
            x,
            median: quantile_sorted(&o, 0.5),
            lo50: quantile_sorted(&o, 0.25),
            hi50: quantile_sorted(&o, 0.75),
            lo90: quantile_sorted(&o, 0.05),
            hi90: quantile_sorted(&o, 0.95),
        }
    }
}

/// A median over a grid with its central 50% and 90% bands.
struct Bands {
    median: Vec<f64>,
    band50: Vec<(f64, f64)>,
    band90: Vec<(f64, f64)>,
}

/// Over `grid`, the median and the central 50% and 90% bands of the values `at(x)` gives (one
/// per posterior draw).
fn bands(grid: &[f64], at: impl Fn(f64) -> Vec<f64>) -> Bands {
    let mut median = Vec::with_capacity(grid.len());
    let mut band50 = Vec::with_capacity(grid.len());
    let mut band90 = Vec::with_capacity(grid.len());
    for &x in grid {
        let v = sorted(at(x));
        median.push(quantile_sorted(&v, 0.5));
        band50.push((quantile_sorted(&v, 0.25), quantile_sorted(&v, 0.75)));
        band90.push((quantile_sorted(&v, 0.05), quantile_sorted(&v, 0.95)));
    }
    Bands { median, band50, band90 }
}

/// Everything one task's picture shows.
#[derive(Debug, Clone)]
pub struct TaskPanel {
    pub name: String,
    pub chance: f64,
    /// Posterior medians of the floor, ceiling and midpoint.
    pub floor: f64,
    pub ceiling: f64,
    pub midpoint: f64,
    pub points: Vec<ObservedPoint>,
    /// The x grid of the curve band, and per grid point the median and the 50% and 90% bands.
    pub grid: Vec<f64>,
    pub median: Vec<f64>,
    pub band50: Vec<(f64, f64)>,
    pub band90: Vec<(f64, f64)>,
    pub forecasts: Vec<ForecastMark>,
}

/// The Wilson score interval of `k` of `n` at normal quantile `z`.
pub fn wilson(k: u64, n: u64, z: f64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let nf = n as f64;
    let p = k as f64 / nf;
    let z2 = z * z;
    let denom = 1.0 + z2 / nf;
    let centre = (p + z2 / (2.0 * nf)) / denom;
    let half = z * (p * (1.0 - p) / nf + z2 / (4.0 * nf * nf)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

impl TaskPanel {
    /// The panel of task `t` of a posterior: the curve band over `x_range`, and the predictive
    /// interval of a new model at each `(x, items)` of `forecasts`.
    pub fn new(
        post: &Posterior,
        t: usize,
        chance: f64,
        points: Vec<ObservedPoint>,
        x_range: (f64, f64),
        forecasts: &[(f64, Option<u64>)],
        seed: u64,
    ) -> Self {
        const GRID: usize = 120;
        let grid: Vec<f64> =
            (0..GRID).map(|i| x_range.0 + (x_range.1 - x_range.0) * i as f64 / (GRID - 1) as f64).collect();
        let curves: Vec<_> = post.rows().map(|row| post.curve(row, t)).collect();
        let Bands { median, band50, band90 } = bands(&grid, |x| curves.iter().map(|c| c.value(x)).collect());
        let med = |f: &dyn Fn(&crate::curve::Curve) -> f64| quantile_sorted(&sorted(curves.iter().map(f)), 0.5);
        let forecasts = forecasts
            .iter()
            .map(|&(x, items)| ForecastMark::of(x, predictive(post, &Target { task: t, items }, x, seed).observed))
            .collect();
        TaskPanel {
            name: post.series[t].clone(),
            chance,
            floor: med(&|c| c.floor),
            ceiling: med(&|c| c.ceiling),
            midpoint: med(&|c| c.midpoint),
            points,
            grid,
            median,
            band50,
            band90,
            forecasts,
        }
    }

    /// The panel of a group's mean score, from the panels of its tasks (in the group's order):
    /// the band of the weighted mean of the curves over the same x range, the mean of the
    /// observed scores at each x where every task has one (its 95% interval from theirs, as
    /// for independent scores), and a new model's predictive interval at each x of `forecast_x`.
    /// Chance, floor and ceiling are the weighted means; the midpoint is the median x at which
    /// the mean curve reaches half-way from the floor to the ceiling.
    pub fn for_group(post: &Posterior, group: &Group, tasks: &[&TaskPanel], forecast_x: &[f64], seed: u64) -> Self {
        let w = &group.weights;
        let grid = tasks[0].grid.clone();
        let rows: Vec<&[f64]> = post.rows().collect();
        let Bands { median, band50, band90 } =
            bands(&grid, |x| rows.iter().map(|row| group.latent(post, row, x)).collect());
        let mean_of = |f: &dyn Fn(&crate::curve::Curve) -> f64| {
            let v = sorted(
                rows.iter()
                    .map(|row| group.tasks.iter().zip(w).map(|(t, w)| w * f(&post.curve(row, t.task))).sum::<f64>()),
            );
            quantile_sorted(&v, 0.5)
        };
        let (floor, ceiling) = (mean_of(&|c| c.floor), mean_of(&|c| c.ceiling));
        let half = group_threshold(post, group, 0.5 * (floor + ceiling), f64::INFINITY, f64::INFINITY);
        // the x of every point of the first task that each of the others has too
        let mut points = Vec::new();
        for p in &tasks[0].points {
            let at: Option<Vec<&ObservedPoint>> =
                tasks.iter().map(|t| t.points.iter().find(|q| q.x == p.x && q.heldout == p.heldout)).collect();
            let Some(at) = at else { continue };
            let score = at.iter().zip(w).map(|(q, w)| w * q.score).sum();
            let half_width = at.iter().zip(w).map(|(q, w)| (w * (q.hi - q.lo) / 2.0).powi(2)).sum::<f64>().sqrt();
            points.push(ObservedPoint {
                x: p.x,
                score,
                lo: score - half_width,
                hi: score + half_width,
                heldout: p.heldout,
            });
        }
        let forecasts =
            forecast_x.iter().map(|&x| ForecastMark::of(x, group_predictive(post, group, x, seed).observed)).collect();
        TaskPanel {
            name: group.label(),
            chance: tasks.iter().zip(w).map(|(t, w)| w * t.chance).sum(),
            floor,
            ceiling,
            // a median size of 0 is "at any size": below the plot
            midpoint: half.median_size.map_or(f64::INFINITY, |v| if v > 0.0 { v.log10() } else { f64::NEG_INFINITY }),
            points,
            grid,
            median,
            band50,
            band90,
            forecasts,
        }
    }

    /// The score range worth showing: data, bands, forecasts and chance, with a margin.
    fn y_range(&self) -> (f64, f64) {
        let mut lo = self.chance;
        let mut hi = self.chance;
        let mut see = |v: f64| {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        };
        for p in &self.points {
            see(p.lo.min(p.score));
            see(p.hi.max(p.score));
        }
        for &(a, b) in &self.band90 {
            see(a);
            see(b);
        }
        for f in &self.forecasts {
            see(f.lo90);
            see(f.hi90);
        }
        let pad = ((hi - lo) * 0.08).max(0.02);
        let (mut lo, mut hi) = ((lo - pad).max(0.0), (hi + pad).min(1.0));
        if hi - lo < 0.15 {
            let mid = (hi + lo) / 2.0;
            lo = (mid - 0.075).max(0.0);
            hi = (lo + 0.15).min(1.0);
        }
        (lo, hi)
    }
}

/// The x range of a panel's curve band.
fn x_extent(p: &TaskPanel) -> (f64, f64) {
    (p.grid[0], p.grid[p.grid.len() - 1])
}

/// The panels of `tasks` of a fit: fitted points from `data`, held-out points per task in
/// `heldout`, forecasts at the points of `forecast` (resolved per task). All panels share one x
/// range covering every point and forecast, so their curves can be compared.
pub fn task_panels(
    post: &Posterior,
    data: &FitData,
    heldout: &[Vec<Point>],
    items: &[Option<u64>],
    tasks: &[usize],
    forecast: &ForecastAt,
    seed: u64,
) -> crate::error::Result<Vec<TaskPanel>> {
    let mut points: Vec<Vec<ObservedPoint>> = Vec::with_capacity(tasks.len());
    for &t in tasks {
        let mut v: Vec<ObservedPoint> = data
            .indices_of(t)
            .into_iter()
            .map(|i| observed(data.x[i], data.score[i], (data.n[i] > 0).then_some((data.y[i], data.n[i])), false))
            .collect();
        for p in heldout.get(t).map(Vec::as_slice).unwrap_or_default() {
            let counts = match p.outcome {
                Outcome::Counts { correct, n } => Some((correct, n)),
                Outcome::Score(_) => None,
            };
            v.push(observed(x_value(p, data.x_axis)?, p.outcome.score(), counts, true));
        }
        points.push(v);
    }
    let jobs = forecast.jobs(tasks);
    let xs = points.iter().flatten().map(|p| p.x).chain(jobs.iter().map(|j| j.x));
    let (lo, hi) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), x| (a.min(x), b.max(x)));
    let range = if lo.is_finite() { (lo - 0.25, hi + 0.35) } else { (8.0, 11.0) };
    Ok(tasks
        .par_iter()
        .zip(points)
        .map(|(&t, pts)| {
            let marks: Vec<(f64, Option<u64>)> = forecast.of_task(t).into_iter().map(|(_, x)| (x, items[t])).collect();
            TaskPanel::new(post, t, data.chance[t], pts, range, &marks, seed)
        })
        .collect())
}

fn observed(x: f64, score: f64, counts: Option<(u64, u64)>, heldout: bool) -> ObservedPoint {
    let (lo, hi) = counts.map_or((f64::NAN, f64::NAN), |(k, n)| wilson(k, n, 1.96));
    ObservedPoint { x, score, lo, hi, heldout }
}

/// Draw one task in `area`; `compact` for small multiples (no axis names, no legend).
fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    p: &TaskPanel,
    axis: XAxis,
    x_range: (f64, f64),
    compact: bool,
) -> DrawResult<DB> {
    let (x0, x1) = x_range;
    let (y0, y1) = p.y_range();
    let title = if compact { shorten(&p.name, 34) } else { p.name.clone() };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (SANS, if compact { 13 } else { 20 }))
        .margin(if compact { 4 } else { 14 })
        .x_label_area_size(if compact { 18 } else { 42 })
        .y_label_area_size(if compact { 34 } else { 58 })
        .build_cartesian_2d(ticked(x0, x1, decade_ticks(x0, x1)), y0..y1)?;
    let label_size = if compact { 10 } else { 14 };
    let fmt_x = |x: &f64| x_label(*x, axis);
    let fmt_y = |y: &f64| percent(*y);
    let mut mesh = chart.configure_mesh();
    grid(&mut mesh, label_size, 15).x_label_formatter(&fmt_x).y_label_formatter(&fmt_y).y_labels(if compact {
        4
    } else {
        8
    });
    if !compact {
        mesh.x_desc(x_desc(axis)).y_desc("score");
    }
    mesh.draw()?;

    // chance, and the fitted floor and ceiling, as faint lines
    let flat = |y: f64| vec![(x0, y), (x1, y)];
    chart.draw_series(DashedLineSeries::new(flat(p.chance), 5, 4, GREY.stroke_width(1)))?;
    chart.draw_series(LineSeries::new(flat(p.floor), GREY.mix(0.45).stroke_width(1)))?;
    if p.ceiling <= y1 {
        chart.draw_series(LineSeries::new(flat(p.ceiling), GREY.mix(0.45).stroke_width(1)))?;
    }

    let band = |b: &[(f64, f64)]| -> Vec<(f64, f64)> {
        let upper = p.grid.iter().zip(b).map(|(&x, &(_, hi))| (x, hi.clamp(y0, y1)));
        let lower = p.grid.iter().zip(b).rev().map(|(&x, &(lo, _))| (x, lo.clamp(y0, y1)));
        upper.chain(lower).collect()
    };
    chart.draw_series(std::iter::once(Polygon::new(band(&p.band90), BLUE.mix(0.12).filled())))?;
    chart.draw_series(std::iter::once(Polygon::new(band(&p.band50), BLUE.mix(0.25).filled())))?;
    let inside = |y: f64| y >= y0 && y <= y1;
    chart.draw_series(LineSeries::new(
        p.grid.iter().zip(&p.median).filter(|&(_, &m)| inside(m)).map(|(&x, &m)| (x, m)),
        BLUE.stroke_width(2),
    ))?;

    let bar_width = if compact { 3 } else { 6 };
    let radius = if compact { 2 } else { 4 };
    for heldout in [false, true] {
        let pts: Vec<&ObservedPoint> = p.points.iter().filter(|q| q.heldout == heldout).collect();
        if pts.is_empty() {
            continue;
        }
        let colour = if heldout { RED } else { INK };
        chart.draw_series(pts.iter().filter(|q| q.lo.is_finite()).map(|q| {
            ErrorBar::new_vertical(q.x, q.lo.max(y0), q.score, q.hi.min(y1), colour.stroke_width(1), bar_width)
        }))?;
        if heldout {
            chart.draw_series(pts.iter().map(|q| TriangleMarker::new((q.x, q.score), radius + 2, colour.filled())))?;
        } else {
            chart.draw_series(pts.iter().map(|q| Circle::new((q.x, q.score), radius, colour.filled())))?;
        }
    }

    if !p.forecasts.is_empty() {
        let (thin, thick) = if compact { (1, 3) } else { (2, 6) };
        for f in &p.forecasts {
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(f.x, f.lo90.max(y0)), (f.x, f.hi90.min(y1))],
                ORANGE.stroke_width(thin),
            )))?;
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(f.x, f.lo50.max(y0)), (f.x, f.hi50.min(y1))],
                ORANGE.stroke_width(thick),
            )))?;
        }
        chart.draw_series(p.forecasts.iter().map(|f| Circle::new((f.x, f.median), radius + 1, WHITE.filled())))?;
        chart.draw_series(
            p.forecasts.iter().map(|f| Circle::new((f.x, f.median), radius + 1, ORANGE.stroke_width(2))),
        )?;
    }
    Ok(())
}

/// One task, large, with a legend.
pub struct TaskFigure<'a> {
    pub panel: &'a TaskPanel,
    pub axis: XAxis,
}

impl Figure for TaskFigure<'_> {
    fn size(&self) -> (u32, u32) {
        (1140, 580)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (chart, side) = root.split_horizontally(860);
        let p = self.panel;
        draw_panel(&chart, p, self.axis, x_extent(p), false)?;
        let mut entries = vec![
            (Swatch::Line(BLUE.to_rgba(), 2), "curve: posterior median".to_string()),
            (Swatch::Band(BLUE.mix(0.25)), "curve: 50% interval".into()),
            (Swatch::Band(BLUE.mix(0.12)), "curve: 90% interval".into()),
            (Swatch::Dot(INK.to_rgba()), "fitted score (95% binomial)".into()),
        ];
        if p.points.iter().any(|q| q.heldout) {
            entries.push((Swatch::Triangle(RED.to_rgba()), "held out (95% binomial)".into()));
        }
        if !p.forecasts.is_empty() {
            entries.push((Swatch::Bar(ORANGE.to_rgba()), "new model: 50% and 90%".into()));
        }
        entries.push((Swatch::Dashed(GREY.to_rgba()), format!("chance ({})", percent(p.chance))));
        entries.push((
            Swatch::Line(GREY.mix(0.45), 1),
            format!("floor {} and ceiling {}", percent(p.floor), percent(p.ceiling)),
        ));
        legend(&side, (10, 70), &entries)?;
        let mid = if p.midpoint.is_finite() {
            format!("midpoint (median): {}", x_label(p.midpoint, self.axis))
        } else if p.midpoint > 0.0 {
            "midpoint (median): never reached".to_string()
        } else {
            "midpoint (median): below every size".to_string()
        };
        side.draw_text(&mid, &(SANS, 13).into_font().color(&INK), (10, 70 + 22 * entries.len() as i32 + 10))
    }
}

/// Every task as small multiples on a shared x-axis, sorted by midpoint.
pub struct OverviewFigure<'a> {
    pub panels: Vec<&'a TaskPanel>,
    pub axis: XAxis,
}

impl OverviewFigure<'_> {
    const CELL: (u32, u32) = (250, 180);
    const HEADER: u32 = 56;

    fn columns(&self) -> usize {
        let n = self.panels.len().max(1);
        ((n as f64 * 1.4).sqrt().ceil() as usize).clamp(1, 10).min(n)
    }
}

impl Figure for OverviewFigure<'_> {
    fn size(&self) -> (u32, u32) {
        let cols = self.columns();
        let rows = self.panels.len().max(1).div_ceil(cols);
        (cols as u32 * Self::CELL.0, rows as u32 * Self::CELL.1 + Self::HEADER)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (header, body) = root.split_vertically(Self::HEADER);
        header.draw_text(
            &format!(
                "{} tasks, sorted by midpoint. Blue: posterior median curve with 50% and 90% intervals; \
                 dots: fitted scores; red triangles: held out; orange: forecasts; dashed: chance.",
                self.panels.len()
            ),
            &(SANS, 14).into_font().color(&INK),
            (10, 20),
        )?;
        let mut order: Vec<&TaskPanel> = self.panels.clone();
        order.sort_by(|a, b| a.midpoint.total_cmp(&b.midpoint));
        let x_range = order.first().map_or((8.0, 11.0), |p| x_extent(p));
        let cols = self.columns();
        let rows = order.len().max(1).div_ceil(cols);
        for (cell, p) in body.split_evenly((rows, cols)).iter().zip(order) {
            draw_panel(cell, p, self.axis, x_range, true)?;
        }
        Ok(())
    }
}

/// Histograms of the tasks' midpoints and slopes (posterior medians).
pub struct PopulationFigure {
    pub midpoints: Vec<f64>,
    pub slopes: Vec<f64>,
    /// The range of x observed in the data, shaded on the midpoint histogram.
    pub observed: (f64, f64),
    pub axis: XAxis,
}

/// Counts of `values` in `bins` equal bins over `[lo, hi]`; values outside go to the edge bins.
fn histogram(values: &[f64], lo: f64, hi: f64, bins: usize) -> Vec<usize> {
    let mut counts = vec![0; bins];
    let w = (hi - lo) / bins as f64;
    for &v in values.iter().filter(|v| v.is_finite()) {
        let i = (((v - lo) / w).floor().max(0.0) as usize).min(bins - 1);
        counts[i] += 1;
    }
    counts
}

fn draw_histogram<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    title: &str,
    values: &[f64],
    (lo, hi, ticks): (f64, f64, Vec<f64>),
    x_fmt: &dyn Fn(&f64) -> String,
    x_name: &str,
    shade: Option<(f64, f64)>,
) -> DrawResult<DB> {
    const BINS: usize = 24;
    let counts = histogram(values, lo, hi, BINS);
    let top = (*counts.iter().max().unwrap_or(&1)).max(1) as f64 * 1.12;
    let w = (hi - lo) / BINS as f64;
    let below = values.iter().filter(|&&v| v < lo).count();
    let above = values.iter().filter(|&&v| v > hi).count();
    let x_name = match (below, above) {
        (0, 0) => x_name.to_string(),
        (b, a) => format!("{x_name}; the edge bars include {b} below and {a} above the axis"),
    };
    let mut chart = ChartBuilder::on(area)
        .caption(title, (SANS, 17))
        .margin(14)
        .x_label_area_size(42)
        .y_label_area_size(46)
        .build_cartesian_2d(ticked(lo, hi, ticks), ticked(0.0, top, nice_ticks(0.0, top, 8, 1.0)))?;
    let fmt_y = |y: &f64| format!("{y:.0}");
    grid(&mut chart.configure_mesh(), 13, 14)
        .x_label_formatter(x_fmt)
        .y_label_formatter(&fmt_y)
        .x_desc(x_name)
        .y_desc("tasks")
        .draw()?;
    if let Some((a, b)) = shade {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a.max(lo), 0.0), (b.min(hi), top)],
                GREY.mix(0.12).filled(),
            )))?
            .label("sizes in the data")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 18, y + 5)], GREY.mix(0.2).filled()));
    }
    chart.draw_series(counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(i, &c)| {
        let a = lo + w * i as f64;
        Rectangle::new([(a + w * 0.06, 0.0), (a + w * 0.94, c as f64)], BLUE.mix(0.75).filled())
    }))?;
    if shade.is_some() {
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .label_font((SANS, 12))
            .draw()?;
    }
    Ok(())
}

impl Figure for PopulationFigure {
    fn size(&self) -> (u32, u32) {
        (1100, 440)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(550);
        let (o0, o1) = self.observed;
        let m = sorted(self.midpoints.iter().copied().filter(|v| v.is_finite()));
        let (m_lo, m_hi) = if m.is_empty() {
            (o0 - 1.0, o1 + 2.0)
        } else {
            (quantile_sorted(&m, 0.0).max(o0 - 3.0).min(o0 - 0.5), quantile_sorted(&m, 1.0).min(o1 + 4.0).max(o1 + 0.5))
        };
        let axis = self.axis;
        draw_histogram(
            &left,
            "Task midpoints (size of fastest gain)",
            &self.midpoints,
            (m_lo, m_hi, decade_ticks(m_lo, m_hi)),
            &|x| x_label(*x, axis),
            x_desc(axis),
            Some((o0, o1)),
        )?;
        let s = sorted(self.slopes.iter().copied().filter(|v| v.is_finite()));
        let (s_lo, s_hi) = if s.is_empty() {
            (0.0, 5.0)
        } else {
            let (a, b) = (quantile_sorted(&s, 0.0), quantile_sorted(&s, 0.98));
            let pad = ((b - a) * 0.15).max(0.1);
            ((a - pad).max(0.0), (b + pad).min(50.0))
        };
        let ticks = nice_ticks(s_lo, s_hi, 8, 0.0);
        draw_histogram(
            &right,
            "Task slopes (logistic slope per decade)",
            &self.slopes,
            (s_lo, s_hi, ticks),
            &|x| format!("{x:.2}"),
            "slope per decade of x",
            None,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_interval_matches_a_hand_computation() {
        // 50 of 100 at z = 1.96: centre 0.5, half-width 1.96·sqrt(0.0025 + 0.000096)/1.038416
        let (lo, hi) = wilson(50, 100, 1.96);
        assert!((lo - 0.40383).abs() < 1e-4 && (hi - 0.59617).abs() < 1e-4, "{lo} {hi}");
        let (lo, hi) = wilson(0, 20, 1.96);
        assert_eq!(lo, 0.0);
        assert!(hi > 0.1 && hi < 0.2);
    }

    #[test]
    fn histogram_puts_outliers_in_edge_bins() {
        assert_eq!(histogram(&[-5.0, 0.1, 0.6, 0.9, 7.0], 0.0, 1.0, 2), vec![2, 3]);
    }
}
