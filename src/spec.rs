//! Model specification files (`models/*.toml`): priors, likelihood, x-axis.
//!
//! Each of the four curve parameters is, per task, `location + scale · z` on an unconstrained
//! scale with `z ~ Normal(0, 1)` (non-centred). A number fixes `location` or `scale`; a table
//! `{ normal = [mean, sd] }` or `{ half_normal = sd }` gives it a prior. Fixed location and scale
//! make tasks independent; priors on them pool the tasks (partial pooling).
//!
//! The unconstrained scales: floor `logit(floor) − logit(chance)`; ceiling
//! `logit((ceiling − floor) / (1 − floor))`; midpoint `log10(size)`; slope `log(slope)`.

use std::path::Path;

use sha2::{Digest, Sha256};
use toml::{Table, Value};

use crate::data::XAxis;
use crate::error::{Error, Location, Result};

/// A prior, or a fixed value.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Prior {
    Fixed(f64),
    Normal { mean: f64, sd: f64 },
    HalfNormal { sd: f64 },
}

impl Prior {
    /// Log density (up to a constant) at `v` on the prior's own scale, and its derivative.
    #[inline]
    pub fn logp(&self, v: f64) -> (f64, f64) {
        match *self {
            Prior::Fixed(_) => (0.0, 0.0),
            Prior::Normal { mean, sd } => {
                let z = (v - mean) / sd;
                (-0.5 * z * z, -z / sd)
            }
            Prior::HalfNormal { sd } => {
                let z = v / sd;
                (-0.5 * z * z, -z / sd)
            }
        }
    }
    /// Whether this is a fixed value rather than a free parameter.
    pub fn is_fixed(&self) -> bool {
        matches!(self, Prior::Fixed(_))
    }
}

/// How the counts are modelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Likelihood {
    /// Binomial counts.
    Binomial,
    /// Beta-binomial counts (extra spread beyond binomial).
    BetaBinomial,
}

/// The pooled distribution of one curve parameter across tasks.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Block {
    pub location: Prior,
    pub scale: Prior,
}

/// Where a per-model effect enters the curve (`model_effect = true | "size" | "logit"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EffectOn {
    /// A shift of the model's effective log10 size: it moves the tasks still rising, and not
    /// those at their floor or ceiling.
    Size,
    /// A shift of the logit of every score of the model: it moves the tasks at chance too, as
    /// a model's answer habits move a whole benchmark of multiple-choice subjects.
    Logit,
}

impl EffectOn {
    /// The name of the effect's sd column in a fit's draws, and the prefix of its per-model
    /// columns (`model_shift.j`, `model_logit.j`).
    pub fn columns(self) -> (&'static str, &'static str) {
        match self {
            EffectOn::Size => ("model_sd", "model_shift"),
            EffectOn::Logit => ("model_logit_sd", "model_logit"),
        }
    }

    /// Whether `prefix` (a column name before its `.j`) is a per-model effect's column.
    pub fn is_per_model(prefix: &str) -> bool {
        [EffectOn::Size, EffectOn::Logit].iter().any(|e| e.columns().1 == prefix)
    }
}

/// Names of the four curve parameters, in the order used everywhere.
pub const CURVE_PARAMS: [&str; 4] = ["floor", "ceiling", "midpoint", "slope"];

/// A validated model specification.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ModelSpec {
    pub name: String,
    pub description: String,
    pub x_axis: XAxis,
    pub likelihood: Likelihood,
    /// Whether each evaluated model has an effect shared across its tasks (its luck).
    pub model_effect: bool,
    /// Where that effect enters: a shift of effective log size, or of every score's logit.
    pub model_effect_on: EffectOn,
    /// floor, ceiling, midpoint, slope.
    pub blocks: [Block; 4],
    /// Prior of log(φ), the beta-binomial concentration.
    pub concentration: Prior,
    /// Prior of log(d), the dispersion of the counts: the binomial part's variance times d
    /// (`crate::counts`); fixed at 0 (d = 1) unless the file has a `[dispersion]` section.
    pub dispersion: Prior,
    /// Prior of log(s), the spread of logit(score) when only scores are known, beyond
    /// `noise_min_sd`: the sd is σ = √(noise_min_sd² + s²).
    pub noise: Prior,
    /// The least sd of logit(score) for scores without item counts (`[noise] min_sd`, default
    /// [`NOISE_MIN_SD`]): no benchmark score is known better than its items' sampling lets it be.
    pub noise_min_sd: f64,
    /// Prior of the sd of the per-model effect (decades of size, or logits).
    pub model_effect_scale: Prior,
    /// Where it was read from.
    pub source: String,
    /// SHA-256 of the file's text.
    pub hash: String,
    #[serde(skip)]
    pub text: String,
}

/// The least sd of logit(score) for a score without an item count, unless a model file's
/// `[noise] min_sd` says otherwise: a binomial's at 50% with 10,000 items (2/√10,000), more
/// items than nearly any benchmark task has. Without a least sd, a few scores that the curves
/// can pass through exactly put the posterior's mass at σ → 0 (curves known to the last digit)
/// and the sampler cannot move there.
pub const NOISE_MIN_SD: f64 = 0.02;

/// The model files that ship inside the binary.
pub const BUILTIN: [(&str, &str); 6] = [
    ("hierarchical", include_str!("../models/hierarchical.toml")),
    ("no_model_effect", include_str!("../models/no_model_effect.toml")),
    ("model_effect", include_str!("../models/model_effect.toml")),
    ("reference", include_str!("../models/reference.toml")),
    ("independent", include_str!("../models/independent.toml")),
    ("dispersion", include_str!("../models/dispersion.toml")),
];

/// The built-in models' names, for messages.
fn builtin_names() -> String {
    BUILTIN.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}

impl ModelSpec {
    /// A built-in model by name (one of [`BUILTIN`]).
    pub fn builtin(name: &str) -> Result<Self> {
        let (_, text) = BUILTIN
            .iter()
            .find(|(n, _)| *n == name)
            .ok_or_else(|| Error::Usage(format!("no built-in model '{name}' ({})", builtin_names())))?;
        Self::parse(text, &format!("built-in {name} model"))
    }

    /// A model by file path, or by built-in name when no such file exists.
    pub fn load(arg: &str) -> Result<Self> {
        let p = Path::new(arg);
        if p.exists() {
            let text = std::fs::read_to_string(p).map_err(|e| Error::io(arg, e))?;
            Self::parse(&text, arg)
        } else if BUILTIN.iter().any(|(n, _)| *n == arg) {
            Self::builtin(arg)
        } else {
            let why = format!("no such model file, nor a built-in model ({})", builtin_names());
            Err(Error::io(arg, std::io::Error::new(std::io::ErrorKind::NotFound, why)))
        }
    }

    /// Parse and validate a model file's text.
    pub fn parse(text: &str, file: &str) -> Result<Self> {
        let at = |key: &str| Location::file(file).key(key);
        let table: Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e.span().map(|s| text[..s.start].lines().count().max(1));
            let mut loc = Location::file(file);
            loc.row = line;
            Error::input(loc, format!("malformed TOML: {}", e.message()))
        })?;
        let allowed = [
            "name",
            "description",
            "x_axis",
            "likelihood",
            "model_effect",
            "floor",
            "ceiling",
            "midpoint",
            "slope",
            "concentration",
            "dispersion",
            "noise",
            "model_effect_scale",
        ];
        for k in table.keys() {
            if !allowed.contains(&k.as_str()) {
                return Err(Error::input(at(k), format!("unknown key (allowed: {})", allowed.join(", "))));
            }
        }
        let string = |k: &str| -> Result<Option<String>> {
            match table.get(k) {
                None => Ok(None),
                Some(Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(Error::input(at(k), "must be a string")),
            }
        };
        let name = string("name")?.ok_or_else(|| Error::input(at("name"), "missing"))?;
        let description = string("description")?.unwrap_or_default();
        let x_axis = match string("x_axis")?.as_deref() {
            None | Some("params") => XAxis::Params,
            Some("compute") => XAxis::Compute,
            Some(o) => return Err(Error::input(at("x_axis"), format!("'{o}' is not params or compute"))),
        };
        let likelihood = match string("likelihood")?.as_deref() {
            None | Some("beta_binomial") => Likelihood::BetaBinomial,
            Some("binomial") => Likelihood::Binomial,
            Some(o) => return Err(Error::input(at("likelihood"), format!("'{o}' is not beta_binomial or binomial"))),
        };
        let (model_effect, model_effect_on) = match table.get("model_effect") {
            None => (false, EffectOn::Size),
            Some(Value::Boolean(b)) => (*b, EffectOn::Size),
            Some(Value::String(s)) if s == "size" => (true, EffectOn::Size),
            Some(Value::String(s)) if s == "logit" => (true, EffectOn::Logit),
            Some(_) => {
                return Err(Error::input(at("model_effect"), "must be true, false, \"size\" or \"logit\""));
            }
        };
        let section = |k: &str| -> Result<&Table> {
            match table.get(k) {
                Some(Value::Table(t)) => Ok(t),
                Some(_) => Err(Error::input(at(k), "must be a table")),
                None => Err(Error::input(at(k), "missing section")),
            }
        };
        let mut blocks = [Block { location: Prior::Fixed(0.0), scale: Prior::Fixed(1.0) }; 4];
        for (i, k) in CURVE_PARAMS.iter().enumerate() {
            let t = section(k)?;
            check_keys(t, &["location", "scale"], file, k)?;
            let loc = parse_prior(t.get("location"), file, &format!("{k}.location"), false)?;
            let scale = parse_prior(t.get("scale"), file, &format!("{k}.scale"), true)?;
            blocks[i] = Block { location: loc, scale };
        }
        // a section with a 'prior' (and the other keys `more` allows)
        let single_with = |k: &str, positive: bool, default: Prior, more: &[&str]| -> Result<Prior> {
            match table.get(k) {
                None => Ok(default),
                Some(Value::Table(t)) => {
                    check_keys(t, &[&["prior"], more].concat(), file, k)?;
                    parse_prior(t.get("prior"), file, &format!("{k}.prior"), positive)
                }
                Some(_) => Err(Error::input(at(k), "must be a table with a 'prior'")),
            }
        };
        let single = |k: &str, positive: bool, default: Prior| single_with(k, positive, default, &[]);
        let concentration = single("concentration", false, Prior::Normal { mean: 4.0, sd: 1.5 })?;
        let dispersion = single("dispersion", false, Prior::Fixed(0.0))?;
        let bound = crate::counts::MAX_LOG_DISPERSION;
        if let Prior::Fixed(v) = dispersion
            && v.abs() > bound
        {
            let msg = format!("fixed ln d {v} is outside ±{bound} (d from e^-{bound} to e^{bound})");
            return Err(Error::input(at("dispersion"), msg));
        }
        let noise = single_with("noise", false, Prior::Normal { mean: -3.0, sd: 1.0 }, &["min_sd"])?;
        let noise_min_sd = match table.get("noise").and_then(|t| t.get("min_sd")) {
            None => NOISE_MIN_SD,
            Some(v) => match number(v) {
                Some(x) if (0.0..1.0).contains(&x) => x,
                _ => return Err(Error::input(at("noise.min_sd"), "must be a number in [0, 1)")),
            },
        };
        let model_effect_scale = single("model_effect_scale", true, Prior::HalfNormal { sd: 0.2 })?;
        let hash = crate::data::hex(&Sha256::digest(text.as_bytes()));
        Ok(ModelSpec {
            name,
            description,
            x_axis,
            likelihood,
            model_effect,
            model_effect_on,
            blocks,
            concentration,
            dispersion,
            noise,
            noise_min_sd,
            model_effect_scale,
            source: file.to_string(),
            hash,
            text: text.to_string(),
        })
    }

    /// Whether tasks share information (any location or scale is free).
    pub fn is_pooled(&self) -> bool {
        self.blocks.iter().any(|b| !b.location.is_fixed() || !b.scale.is_fixed())
    }
}

fn check_keys(t: &Table, allowed: &[&str], file: &str, section: &str) -> Result<()> {
    for k in t.keys() {
        if !allowed.contains(&k.as_str()) {
            return Err(Error::input(
                Location::file(file).key(format!("{section}.{k}")),
                format!("unknown key (allowed: {})", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Float(f) => Some(*f),
        Value::Integer(i) => Some(*i as f64),
        _ => None,
    }
}

fn parse_prior(v: Option<&Value>, file: &str, key: &str, positive: bool) -> Result<Prior> {
    let at = || Location::file(file).key(key);
    let v = v.ok_or_else(|| Error::input(at(), "missing"))?;
    if let Some(x) = number(v) {
        if !x.is_finite() || (positive && x <= 0.0) {
            return Err(Error::input(
                at(),
                format!("fixed value {x} must be finite{}", if positive { " and > 0" } else { "" }),
            ));
        }
        return Ok(Prior::Fixed(x));
    }
    let Value::Table(t) = v else {
        return Err(Error::input(at(), "must be a number or a table such as { normal = [0.0, 1.0] }"));
    };
    if t.len() != 1 {
        return Err(Error::input(at(), "give exactly one distribution: normal or half_normal"));
    }
    let (dist, args) = t.iter().next().unwrap_or_else(|| unreachable!());
    match dist.as_str() {
        "normal" if !positive => {
            let arr = args.as_array().filter(|a| a.len() == 2).and_then(|a| Some([number(&a[0])?, number(&a[1])?]));
            let [mean, sd] = arr.ok_or_else(|| Error::input(at(), "normal takes [mean, sd]"))?;
            if !(mean.is_finite() && sd > 0.0 && sd.is_finite()) {
                return Err(Error::input(at(), format!("impossible prior normal({mean}, {sd}): sd must be > 0")));
            }
            Ok(Prior::Normal { mean, sd })
        }
        "half_normal" if positive => {
            let sd = number(args).ok_or_else(|| Error::input(at(), "half_normal takes one number, the sd"))?;
            if !(sd > 0.0 && sd.is_finite()) {
                return Err(Error::input(at(), format!("impossible prior half_normal({sd}): sd must be > 0")));
            }
            Ok(Prior::HalfNormal { sd })
        }
        "normal" => Err(Error::input(at(), "a scale needs a positive prior: half_normal = sd")),
        "half_normal" => Err(Error::input(at(), "half_normal is for scales; use normal = [mean, sd]")),
        o => Err(Error::input(at(), format!("unknown distribution '{o}' (normal, half_normal)"))),
    }
}

#[cfg(test)]
impl ModelSpec {
    const BUILTIN_TEXT_FOR_TESTS: &'static str = include_str!("../models/reference.toml");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_models_parse() {
        for (name, _) in BUILTIN {
            let s = ModelSpec::builtin(name).unwrap();
            assert_eq!(s.name, name);
        }
        assert!(!ModelSpec::builtin("independent").unwrap().is_pooled());
        let default = ModelSpec::builtin("hierarchical").unwrap();
        assert!(default.is_pooled() && default.model_effect && default.model_effect_on == EffectOn::Logit);
        let size = ModelSpec::builtin("model_effect").unwrap();
        assert!(size.model_effect && size.model_effect_on == EffectOn::Size);
        assert!(!ModelSpec::builtin("no_model_effect").unwrap().model_effect);
        let e = ModelSpec::builtin("model_logit").unwrap_err().to_string();
        assert!(e.contains("'model_logit'") && e.contains("no_model_effect"), "{e}");
    }

    #[test]
    fn model_effect_says_where_it_enters() {
        let base = ModelSpec::BUILTIN_TEXT_FOR_TESTS;
        let with =
            |v: &str| ModelSpec::parse(&base.replace("model_effect = false", &format!("model_effect = {v}")), "m.toml");
        for (v, on) in [("true", EffectOn::Size), ("\"size\"", EffectOn::Size), ("\"logit\"", EffectOn::Logit)] {
            let s = with(v).unwrap();
            assert!(s.model_effect && s.model_effect_on == on, "{v}");
        }
        assert!(!with("false").unwrap().model_effect);
        let e = with("\"sideways\"").unwrap_err().to_string();
        assert!(e.contains("m.toml") && e.contains("model_effect") && e.contains("\"logit\""), "{e}");
    }

    #[test]
    fn unknown_keys_and_impossible_priors_are_errors() {
        let base = ModelSpec::BUILTIN_TEXT_FOR_TESTS;
        let bad = base.replace("[slope]", "[slope]\nwidth = 3");
        let e = ModelSpec::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("m.toml") && e.contains("slope.width") && e.contains("unknown key"), "{e}");
        let bad = base.replace("half_normal = 0.5", "half_normal = -1.0");
        let e = ModelSpec::parse(&bad, "m.toml").unwrap_err().to_string();
        assert!(e.contains("impossible prior"), "{e}");
        let bad = format!("speed = 3\n{base}");
        assert!(ModelSpec::parse(&bad, "m.toml").unwrap_err().to_string().contains("'speed'"));
        let e = ModelSpec::parse("name = [", "m.toml").unwrap_err().to_string();
        assert!(e.contains("malformed TOML"), "{e}");
    }

    /// The counts' dispersion: absent it is fixed at d = 1, a prior frees it, and a fixed ln d
    /// beyond the density's bound is refused where it is written.
    #[test]
    fn the_dispersion_is_fixed_at_one_unless_written() {
        let base = ModelSpec::BUILTIN_TEXT_FOR_TESTS;
        assert_eq!(ModelSpec::parse(base, "m.toml").unwrap().dispersion, Prior::Fixed(0.0));
        let free = format!("{base}\n[dispersion]\nprior = {{ normal = [0.0, 0.5] }}\n");
        assert_eq!(ModelSpec::parse(&free, "m.toml").unwrap().dispersion, Prior::Normal { mean: 0.0, sd: 0.5 });
        let fixed = format!("{base}\n[dispersion]\nprior = -0.5\n");
        assert_eq!(ModelSpec::parse(&fixed, "m.toml").unwrap().dispersion, Prior::Fixed(-0.5));
        let beyond = format!("{base}\n[dispersion]\nprior = 7.0\n");
        let e = ModelSpec::parse(&beyond, "m.toml").unwrap_err().to_string();
        assert!(e.contains("m.toml") && e.contains("dispersion") && e.contains("outside ±5"), "{e}");
    }

    /// The least sd of a score's logit: the default unless `[noise] min_sd` says otherwise, and
    /// refused outside [0, 1) where it is written.
    #[test]
    fn the_scores_least_noise_is_written_in_the_noise_section() {
        let base = ModelSpec::BUILTIN_TEXT_FOR_TESTS;
        assert!(!base.contains("min_sd"));
        assert_eq!(ModelSpec::parse(base, "m.toml").unwrap().noise_min_sd, NOISE_MIN_SD);
        for (name, _) in BUILTIN {
            assert_eq!(ModelSpec::builtin(name).unwrap().noise_min_sd, NOISE_MIN_SD, "{name}");
        }
        let with = |v: &str| format!("{base}\n[noise]\nprior = {{ normal = [-3.0, 1.0] }}\nmin_sd = {v}\n");
        assert_eq!(ModelSpec::parse(&with("0"), "m.toml").unwrap().noise_min_sd, 0.0);
        assert_eq!(ModelSpec::parse(&with("0.05"), "m.toml").unwrap().noise_min_sd, 0.05);
        for bad in ["-0.01", "1.5", "\"small\""] {
            let e = ModelSpec::parse(&with(bad), "m.toml").unwrap_err().to_string();
            assert!(e.contains("m.toml") && e.contains("noise.min_sd") && e.contains("[0, 1)"), "{bad}: {e}");
        }
    }
}
