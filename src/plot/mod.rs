//! Figures: scaling curves, validation, thresholds and the momentum picture. Each figure is a
//! value that draws itself on any plotters backend, so one code path writes SVG files, PNG
//! files and the inline SVG of the HTML report. PNG text is drawn with a bundled font (DejaVu
//! Sans), so plots render the same on a machine with no fonts installed.

mod curves;
mod momentum;
mod threshold;
mod validation;

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

pub use curves::{
    ForecastMark, ObservedPoint, OverviewFigure, PopulationFigure, TaskFigure, TaskPanel, task_panels, wilson,
};
pub use momentum::MomentumFigure;
pub use threshold::ThresholdFigure;
pub use validation::{CalibrationFigure, DistanceFigure, PitFigure, ScatterFigure, ScatterPoint, figures};

use crate::data::XAxis;
use crate::error::{Error, Result};
use crate::size::format_size;

/// The bundled font (see `assets/fonts/LICENSE-DejaVu.txt`).
const FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
/// The font family every figure asks for.
pub(crate) const SANS: &str = "sans-serif";

/// Image formats figures are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Svg,
    Png,
}

impl Format {
    /// The file extension.
    pub fn ext(self) -> &'static str {
        match self {
            Format::Svg => "svg",
            Format::Png => "png",
        }
    }

    /// The format a file name asks for by its extension.
    pub fn of_path(path: &Path) -> Result<Format> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("svg") => Ok(Format::Svg),
            Some("png") => Ok(Format::Png),
            _ => Err(Error::Usage(format!("{}: a plot file must end in .svg or .png", path.display()))),
        }
    }
}

/// What drawing on a backend returns.
pub type DrawResult<DB> = std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A figure: its size in pixels and how to draw it.
pub trait Figure {
    fn size(&self) -> (u32, u32);
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // the bytes are a valid TrueType font, checked by a test
        let _ = plotters::style::register_font(SANS, FontStyle::Normal, FONT);
    });
}

fn plot_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Plot(format!("{what}: {e}"))
}

/// A figure as an SVG document.
pub fn svg_string<F: Figure>(fig: &F) -> Result<String> {
    register_font();
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, fig.size()).into_drawing_area();
        fig.draw(&root).map_err(|e| plot_error("drawing SVG", e))?;
        root.present().map_err(|e| plot_error("drawing SVG", e))?;
    }
    Ok(s)
}

/// Write a figure to `path`, whole or not at all (a temporary file beside it, then a rename).
pub fn save<F: Figure>(fig: &F, path: &Path, format: Format) -> Result<()> {
    match format {
        Format::Svg => crate::fitio::write_whole(path, svg_string(fig)?.as_bytes()),
        Format::Png => {
            // the bitmap backend writes the file itself, and picks the encoder by extension
            let shown = path.display().to_string();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("plot");
            let tmp = path.with_file_name(format!(".{name}.tmp.png"));
            register_font();
            let root = BitMapBackend::new(&tmp, fig.size()).into_drawing_area();
            let drawn = fig
                .draw(&root)
                .and_then(|_| root.present())
                .map_err(|e| plot_error(&format!("{shown}: drawing PNG"), e))
                .and_then(|_| std::fs::rename(&tmp, path).map_err(|e| Error::io(&shown, e)));
            if drawn.is_err() {
                let _ = std::fs::remove_file(&tmp);
            }
            drawn
        }
    }
}

/// Refuse to replace an existing file unless asked to.
pub fn check_new(path: &Path, force: bool) -> Result<()> {
    if path.exists() && !force {
        return Err(Error::Usage(format!("{} exists; pass --force to replace it", path.display())));
    }
    Ok(())
}

/// The grid every chart uses: light lines at the ticks only, tick labels of `label` px and axis
/// names of `desc` px in the figures' font.
pub(crate) fn grid<'m, 'a, 'b, X, Y, DB>(
    mesh: &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>,
    label: u32,
    desc: u32,
) -> &'m mut plotters::chart::MeshStyle<'a, 'b, X, Y, DB>
where
    X: plotters::coord::ranged1d::Ranged,
    Y: plotters::coord::ranged1d::Ranged,
    DB: DrawingBackend,
{
    mesh.bold_line_style(palette::LIGHT.stroke_width(1))
        .light_line_style(TRANSPARENT)
        .label_style((SANS, label))
        .axis_desc_style((SANS, desc))
}

/// The sample drawn beside a legend entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Swatch {
    Line(RGBAColor, u32),
    Dashed(RGBAColor),
    Band(RGBAColor),
    Dot(RGBAColor),
    Triangle(RGBAColor),
    Bar(RGBAColor),
}

/// A legend drawn as a column of entries from (x, y) in pixels of `area`.
pub(crate) fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    entries: &[(Swatch, String)],
) -> DrawResult<DB> {
    let font = (SANS, 13).into_font().color(&palette::INK);
    for (i, (swatch, text)) in entries.iter().enumerate() {
        let cy = y + 22 * i as i32;
        match *swatch {
            Swatch::Line(c, w) => area.draw(&PathElement::new(vec![(x, cy), (x + 22, cy)], c.stroke_width(w)))?,
            Swatch::Dashed(c) => {
                for k in 0..3 {
                    area.draw(&PathElement::new(vec![(x + 8 * k, cy), (x + 8 * k + 5, cy)], c.stroke_width(1)))?;
                }
            }
            Swatch::Band(c) => area.draw(&Rectangle::new([(x, cy - 6), (x + 22, cy + 6)], c.filled()))?,
            Swatch::Dot(c) => area.draw(&Circle::new((x + 11, cy), 4, c.filled()))?,
            Swatch::Triangle(c) => area.draw(&TriangleMarker::new((x + 11, cy), 6, c.filled()))?,
            Swatch::Bar(c) => {
                area.draw(&PathElement::new(vec![(x + 11, cy - 7), (x + 11, cy + 7)], c.stroke_width(5)))?
            }
        }
        area.draw_text(text, &font, (x + 30, cy - 7))?;
    }
    Ok(())
}

/// Colours, one per role, shared by every figure.
pub(crate) mod palette {
    use plotters::style::RGBColor;
    pub const BLUE: RGBColor = RGBColor(31, 119, 180);
    pub const ORANGE: RGBColor = RGBColor(230, 120, 20);
    pub const GREEN: RGBColor = RGBColor(44, 150, 44);
    pub const RED: RGBColor = RGBColor(200, 40, 40);
    pub const PURPLE: RGBColor = RGBColor(128, 80, 170);
    pub const GREY: RGBColor = RGBColor(120, 120, 120);
    pub const LIGHT: RGBColor = RGBColor(225, 225, 225);
    pub const INK: RGBColor = RGBColor(40, 40, 40);

    /// The colour of a validation method, the same in every figure.
    pub fn method(name: &str) -> RGBColor {
        match name {
            "hierarchical" => BLUE,
            "hierarchical_map" => PURPLE,
            "independent_map" => ORANGE,
            "persistence" => GREY,
            "momentum" => RED,
            _ => GREEN,
        }
    }

    /// The colours of validation methods drawn together, in order: each [`method`]'s, except
    /// that the arms of several model files (`hierarchical:NAME`) take blue, green, teal, brown
    /// and pink in turn, so that no two of them share one.
    pub fn method_colours<'a>(names: impl IntoIterator<Item = &'a String>) -> Vec<RGBColor> {
        const ARMS: [RGBColor; 5] =
            [BLUE, GREEN, RGBColor(23, 160, 170), RGBColor(140, 86, 75), RGBColor(220, 90, 160)];
        let mut k = 0;
        (names.into_iter())
            .map(|n| {
                if n.starts_with("hierarchical:") {
                    k += 1;
                    ARMS[(k - 1) % ARMS.len()]
                } else {
                    method(n)
                }
            })
            .collect()
    }
}

/// A linear f64 axis with mesh lines and labels exactly at the given points (plotters' own
/// key-point wrapper gives up custom label formatting).
#[derive(Debug, Clone)]
pub(crate) struct Ticked {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

/// An axis from `lo` to `hi` (either order) with ticks at `ticks`.
pub(crate) fn ticked(lo: f64, hi: f64, ticks: Vec<f64>) -> Ticked {
    Ticked { lo, hi, ticks }
}

impl plotters::coord::ranged1d::Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let t = (value - self.lo) / (self.hi - self.lo);
        (limit.0 as f64 + t * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: plotters::coord::ranged1d::KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            return Vec::new();
        }
        let (a, b) = (self.lo.min(self.hi), self.lo.max(self.hi));
        self.ticks.iter().copied().filter(|t| *t >= a && *t <= b).collect()
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// Round-numbered ticks (steps of 1, 2 or 5 times a power of ten) in `[lo, hi]`, at most `max`.
pub(crate) fn nice_ticks(lo: f64, hi: f64, max: usize, min_step: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let base = 10f64.powf((span / max.max(1) as f64).log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * base).find(|st| span / st <= max as f64).unwrap_or(10.0 * base);
    let step = step.max(min_step);
    ((lo / step).ceil() as i64..=(hi / step).floor() as i64).map(|i| i as f64 * step).collect()
}

/// Whole decades in `[lo, hi]` (halves as well when the range spans fewer than three).
pub(crate) fn decade_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let whole: Vec<f64> = (lo.ceil() as i64..=hi.floor() as i64).map(|d| d as f64).collect();
    if whole.len() >= 3 {
        return whole;
    }
    ((lo * 2.0).ceil() as i64..=(hi * 2.0).floor() as i64).map(|h| h as f64 / 2.0).collect()
}

/// A label for a point of the log10 x-axis: `100M`, `1B`, `10B` for sizes; `1e21` for compute.
pub(crate) fn x_label(x: f64, axis: XAxis) -> String {
    format_on_axis(10f64.powf(x), axis)
}

/// A value of an axis as tables and labels print it: a size (`1.4B`), or training compute in
/// FLOPs (`3.2e23`, and `1e21` for a whole power of ten).
pub fn format_on_axis(v: f64, axis: XAxis) -> String {
    match axis {
        XAxis::Params => format_size(v),
        XAxis::Compute => {
            let s = format!("{v:.1e}");
            match s.strip_prefix("1.0e") {
                Some(exponent) => format!("1e{exponent}"),
                None => s,
            }
        }
    }
}

/// The name of the x-axis.
pub(crate) fn x_desc(axis: XAxis) -> &'static str {
    match axis {
        XAxis::Params => "parameters (log scale)",
        XAxis::Compute => "training compute, FLOPs (log scale)",
    }
}

/// A score as a percentage label.
pub(crate) fn percent(y: f64) -> String {
    format!("{:.0}%", 100.0 * y)
}

/// Cut a name to `max` characters with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bundled_font_loads() {
        assert!(plotters::style::register_font("scurve-test", FontStyle::Normal, FONT).is_ok());
    }

    #[test]
    fn decade_ticks_cover_the_range() {
        assert_eq!(decade_ticks(7.8, 10.2), vec![8.0, 9.0, 10.0]);
        assert_eq!(decade_ticks(8.2, 9.4), vec![8.5, 9.0]);
    }

    #[test]
    fn nice_ticks_are_round() {
        let close = |a: Vec<f64>, b: &[f64]| a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-12);
        assert!(close(nice_ticks(0.0, 1.12, 8, 0.0), &[0.0, 0.2, 0.4, 0.6, 0.8, 1.0]));
        assert!(close(nice_ticks(0.0, 1.12, 8, 1.0), &[0.0, 1.0]));
        assert!(close(nice_ticks(0.96, 1.19, 8, 0.0), &[1.0, 1.05, 1.1, 1.15]));
    }

    #[test]
    fn size_labels_read_as_sizes() {
        assert_eq!(x_label(8.0, XAxis::Params), "100M");
        assert_eq!(x_label(9.0, XAxis::Params), "1B");
        assert_eq!(x_label(10.0, XAxis::Params), "10B");
        assert_eq!(x_label(21.0, XAxis::Compute), "1e21");
    }

    #[test]
    fn formats_follow_extensions() {
        assert_eq!(Format::of_path(Path::new("a/b.SVG")).unwrap(), Format::Svg);
        assert_eq!(Format::of_path(Path::new("b.png")).unwrap(), Format::Png);
        assert!(Format::of_path(Path::new("b.pdf")).is_err());
    }
}
