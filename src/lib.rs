//! scurve fits four-parameter S-curves to benchmark scores against model size and forecasts
//! what larger models will score.
//!
//! Data flows one way: [`data`] (load and validate) → [`model`] (a log density from a
//! [`spec::ModelSpec`]) → [`fit`] (MAP with [`map`], NUTS with [`sample`]) → [`posterior`] (draws)
//! → [`check`], [`forecast`], [`validate`] → [`plot`] and [`report`].
//!
//! ```
//! use scurve::data::{Dataset, FitData, Selection, XAxis};
//! use scurve::spec::ModelSpec;
//!
//! let data = Dataset::example();
//! let series = data.select(&Selection { families: vec!["opt".into()], ..Default::default() }).unwrap();
//! let fit_data = FitData::build(&series, XAxis::Params, None).unwrap();
//! let spec = ModelSpec::builtin("independent").unwrap();
//! let fits = scurve::fit::fit_independent(&spec, &fit_data, 1, 200).unwrap();
//! let arc = fits.iter().find(|f| f.task == "arc_easy").unwrap();
//! assert!(arc.curve.ceiling > 0.7 && arc.map.converged);
//! ```

mod batch;
pub mod check;
pub mod counts;
pub mod curve;
pub mod data;
pub mod density;
pub mod diagnostics;
pub mod error;
pub mod fit;
pub mod fitio;
pub mod forecast;
pub mod map;
pub mod metrics;
pub mod model;
pub mod momentum;
pub mod plot;
pub mod posterior;
pub mod report;
pub mod sample;
pub mod simulate;
pub mod size;
pub mod spec;
pub mod special;
pub mod summary;
pub mod validate;

pub use error::{Error, Result};
