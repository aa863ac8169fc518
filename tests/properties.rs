//! Property tests: the curve, its inverse, and size parsing.

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
