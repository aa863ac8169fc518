//! Model sizes: parsing `125M`, `1.3B`, `2T`, `1.3e9`, `1300000000`, and printing them back.

/// Parse a size given by a user: a plain number (`1300000000`, `1.3e9`) or a number with a
/// suffix `k`, `M`, `B` (or `G`), `T` (case-insensitive). Returns `None` for anything else,
/// including zero, negative and non-finite values.
pub fn parse_size(text: &str) -> Option<f64> {
    let t = text.trim().replace('_', "");
    if t.is_empty() {
        return None;
    }
    let (num, mult) = match t.chars().last()? {
        'k' | 'K' => (&t[..t.len() - 1], 1e3),
        'm' | 'M' => (&t[..t.len() - 1], 1e6),
        'b' | 'B' | 'g' | 'G' => (&t[..t.len() - 1], 1e9),
        't' | 'T' => (&t[..t.len() - 1], 1e12),
        _ => (&t[..], 1.0),
    };
    if num.is_empty() || num.starts_with('+') {
        return None;
    }
    let v: f64 = num.parse().ok()?;
    let v = v * mult;
    (v.is_finite() && v > 0.0).then_some(v)
}

/// Parse a size token inside a model name: `1.4b`, `560m`, `7b1` (7.1B), `13B`.
/// Returns `None` when the token is not a size.
pub fn parse_name_token(token: &str) -> Option<f64> {
    let t = token.to_ascii_lowercase();
    let pos = t.find(['k', 'm', 'b', 't'])?;
    let (head, rest) = t.split_at(pos);
    if head.is_empty() || !head.chars().all(|c| c.is_ascii_digit() || c == '.') {
        return None;
    }
    let unit = &rest[..1];
    let tail = &rest[1..];
    if !tail.chars().all(|c| c.is_ascii_digit()) || (!tail.is_empty() && head.contains('.')) {
        return None;
    }
    let number = if tail.is_empty() { head.to_string() } else { format!("{head}.{tail}") };
    let v: f64 = number.parse().ok()?;
    let mult = match unit {
        "k" => 1e3,
        "m" => 1e6,
        "b" => 1e9,
        _ => 1e12,
    };
    (v > 0.0).then_some(v * mult)
}

/// The family a model name gives (its name without the size token), when it has a size token
/// and something besides: `pythia-1.4b` → `pythia`.
pub fn family_in_name(name: &str) -> Option<String> {
    split_model_name(name).map(|(f, _)| f).filter(|f| !f.is_empty())
}

/// Split a model name into (family, size): the size token is the last `-`/`_`-separated token
/// that reads as a size; the family is the rest, without precision tags such as `bf16`.
pub fn split_model_name(name: &str) -> Option<(String, f64)> {
    let tokens: Vec<&str> = name.split(['-', '_']).collect();
    let (idx, size) = tokens.iter().enumerate().rev().find_map(|(i, t)| parse_name_token(t).map(|s| (i, s)))?;
    let family: Vec<&str> = tokens
        .iter()
        .enumerate()
        .filter(|(i, t)| {
            *i != idx && !matches!(t.to_ascii_lowercase().as_str(), "bf16" | "fp16" | "fp32" | "int8" | "int4")
        })
        .map(|(_, t)| *t)
        .collect();
    Some((family.join("-").to_ascii_lowercase(), size))
}

/// Print a size compactly: `70M`, `1.4B`, `13B`, `2.1T`, and from 10^15 on `3.2e15` or `1e15`. The
/// suffix is chosen after rounding, so 999.96M prints as `1B`, not `1000M`.
pub fn format_size(v: f64) -> String {
    if !v.is_finite() {
        return "inf".into();
    }
    const UNITS: [(f64, &str); 4] = [(1e3, "k"), (1e6, "M"), (1e9, "B"), (1e12, "T")];
    let Some(mut u) = UNITS.iter().rposition(|&(div, _)| v >= div) else {
        return format!("{v:.0}");
    };
    loop {
        let (div, suffix) = UNITS[u];
        let x = v / div;
        let s = if x >= 10.0 && (x - x.round()).abs() < 0.05 || x >= 100.0 {
            format!("{x:.0}")
        } else {
            let s = format!("{x:.1}");
            s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
        };
        if s.parse::<f64>().is_ok_and(|shown| shown < 1000.0) {
            return format!("{s}{suffix}");
        }
        if u + 1 == UNITS.len() {
            let s = format!("{v:.1e}");
            return s.replace(".0e", "e");
        }
        u += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_user_sizes() {
        assert_eq!(parse_size("125M"), Some(125e6));
        assert_eq!(parse_size("1.3B"), Some(1.3e9));
        assert_eq!(parse_size("2T"), Some(2e12));
        assert_eq!(parse_size("1.3e9"), Some(1.3e9));
        assert_eq!(parse_size("1300000000"), Some(1.3e9));
        assert_eq!(parse_size("70k"), Some(70e3));
        for bad in ["", "B", "-1B", "0", "abc", "1.3X", "nan", "inf", "+5"] {
            assert_eq!(parse_size(bad), None, "{bad}");
        }
    }

    #[test]
    fn parses_model_names() {
        assert_eq!(split_model_name("pythia-1.4b"), Some(("pythia".into(), 1.4e9)));
        assert_eq!(split_model_name("opt-66b"), Some(("opt".into(), 66e9)));
        let (fam, s) = split_model_name("bloom-7b1").unwrap();
        assert_eq!(fam, "bloom");
        assert!((s - 7.1e9).abs() < 1.0);
        assert_eq!(split_model_name("pythia-v1.1-1b-bf16"), Some(("pythia-v1.1".into(), 1e9)));
        assert_eq!(split_model_name("pythia-160m-deduped"), Some(("pythia-deduped".into(), 160e6)));
        assert_eq!(split_model_name("llama-13B"), Some(("llama".into(), 13e9)));
        assert_eq!(split_model_name("gpt2"), None);
    }

    #[test]
    fn formats_sizes() {
        assert_eq!(format_size(70e6), "70M");
        assert_eq!(format_size(1.4e9), "1.4B");
        assert_eq!(format_size(13e9), "13B");
        assert_eq!(format_size(3.16e9), "3.2B");
        assert_eq!(format_size(2.1e12), "2.1T");
        assert_eq!(format_size(125e6), "125M");
        assert_eq!(format_size(999.96e6), "1B");
        assert_eq!(format_size(999.4e6), "999M");
        assert_eq!(format_size(12.34e9), "12.3B");
        assert_eq!(format_size(5.657e15), "5.7e15");
        assert_eq!(format_size(999.2e12), "999T");
        assert_eq!(format_size(1.6e18), "1.6e18");
        assert_eq!(format_size(950.0), "950");
        assert_eq!(format_size(1e15), "1e15");
        for v in [70e6, 1.4e9, 12.34e9, 999.96e6, 5.657e15, 999.2e12, 2.1e12] {
            let back = parse_size(&format_size(v)).unwrap();
            assert!((back / v - 1.0).abs() < 0.05, "{v}");
        }
    }
}
