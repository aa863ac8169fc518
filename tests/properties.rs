//! Property tests: the curve, its inverse, size parsing, and wide tables.

use proptest::prelude::*;
use scurve::curve::Curve;
use scurve::size::{format_size, parse_size};

fn curve() -> impl Strategy<Value = Curve> {
    (0.0f64..0.9, 0.01f64..1.0, 6.0f64..14.0, 0.05f64..8.0).prop_map(|(floor, room, midpoint, slope)| Curve {
        floor,
        ceiling: floor + (1.0 - floor) * room,
        midpoint,
        slope,
    })
}

proptest! {
    #[test]
    fn curve_stays_between_floor_and_ceiling(c in curve(), x in -20.0f64..40.0) {
        let v = c.value(x);
        prop_assert!(v >= c.floor - 1e-12 && v <= c.ceiling + 1e-12);
    }

    #[test]
    fn curve_rises_with_x(c in curve(), x in 0.0f64..20.0, dx in 0.001f64..5.0) {
        prop_assert!(c.value(x + dx) >= c.value(x));
    }

    #[test]
    fn inverse_round_trips(c in curve(), frac in 0.001f64..0.999) {
        let s = c.floor + frac * (c.ceiling - c.floor);
        if let Some(x) = c.inverse(s) {
            prop_assert!((c.value(x) - s).abs() < 1e-9 * (1.0 + c.slope));
        }
    }

    #[test]
    fn inverse_refuses_scores_outside(c in curve(), above in 0.0f64..0.5) {
        prop_assert!(c.inverse(c.ceiling + above).is_none());
        prop_assert!(c.inverse(c.floor - above).is_none());
    }

    #[test]
    fn sizes_parse_in_every_spelling(v in 1e3f64..1e15) {
        prop_assert_eq!(parse_size(&format!("{v}")), Some(v));
        prop_assert_eq!(parse_size(&format!("{v:e}")), Some(v));
        let b = parse_size(&format!("{}B", v / 1e9)).unwrap();
        prop_assert!((b - v).abs() <= 1e-9 * v);
        // the printed form parses back within its rounding
        let back = parse_size(&format_size(v)).unwrap();
        prop_assert!((back / v - 1.0).abs() < 0.06, "{} -> {} -> {}", v, format_size(v), back);
    }

    #[test]
    fn size_parsing_never_panics(s in "\\PC{0,12}") {
        let _ = parse_size(&s);
        let _ = scurve::size::split_model_name(&s);
    }
}

/// A wide table's cell: a score, a percentage-like number, text, or empty.
fn wide_cell() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0.0f64..=1.0).prop_map(|v| v.to_string()),
        1 => (0u32..1000).prop_map(|v| v.to_string()),
        1 => Just(String::new()),
        1 => Just("NA".to_string()),
        1 => "[a-z(),%=.]{0,6}",
    ]
}

proptest! {
    /// A wide table (a model and a size column, then tasks with or without a unit, and cells
    /// that may be anything) loads or is refused with an error, never a panic; what loads has
    /// one observation per cell that is a score in [0, 1], at a finite positive size or, where
    /// the size cell is empty, at none, which selecting the rows refuses.
    #[test]
    fn wide_tables_load_or_say_why(
        tasks in proptest::collection::vec(prop_oneof![
            Just(""), Just(" (%)"), Just(" (n=100)"), Just(" (n=0)"), Just(" (x)"), Just(" (B)"),
        ], 1..4),
        sizes in proptest::collection::vec(prop_oneof![
            4 => (0.01f64..500.0).prop_map(|v| v.to_string()),
            1 => "[0-9a-z.-]{0,4}",
        ], 1..6),
        cells in proptest::collection::vec(wide_cell(), 18),
    ) {
        let mut text = "Model,Params (B)".to_string();
        for (k, unit) in tasks.iter().enumerate() {
            text += &format!(",t{k}{unit}");
        }
        text += "\n";
        for (i, size) in sizes.iter().enumerate() {
            text += &format!("m{i},{size}");
            for k in 0..tasks.len() {
                text += &format!(",{}", cells[i * 3 + k]);
            }
            text += "\n";
        }
        match scurve::data::tidy::parse_csv(text.as_bytes(), "w.csv") {
            Ok(ds) => {
                let mut scores = 0;
                for (i, size) in sizes.iter().enumerate() {
                    for (k, unit) in tasks.iter().enumerate() {
                        let scale = if *unit == " (%)" { 0.01 } else { 1.0 };
                        let ok = cells[i * 3 + k].parse::<f64>().is_ok_and(|v| (0.0..=1.0).contains(&(v * scale)));
                        let no_size = size.is_empty() || ["na", "nan", "null", "none"].contains(&size.as_str());
                        scores += usize::from(ok && (size.parse::<f64>().is_ok() || no_size));
                    }
                }
                prop_assert_eq!(ds.observations.len(), scores, "{}", text);
                for o in &ds.observations {
                    prop_assert!(o.params.is_nan() || (o.params.is_finite() && o.params > 0.0), "{:?}", o);
                    prop_assert!((0.0..=1.0).contains(&o.outcome.score()), "{:?}", o);
                }
                let selected = ds.select(&scurve::data::Selection { chance: Some(0.0), ..Default::default() });
                if ds.observations.iter().any(|o| o.params.is_nan()) {
                    let refused = selected.err().map(|e| e.to_string()).unwrap_or_default();
                    prop_assert!(refused.starts_with("w.csv"), "{}: {}", refused, text);
                }
            }
            Err(e) => prop_assert!(e.to_string().starts_with("w.csv"), "{}", e),
        }
    }
}
