#![no_main]
//! The model-file parser on arbitrary text; a model it accepts is built on the example data and
//! its log density evaluated once.

use libfuzzer_sys::fuzz_target;
use scurve::data::{Dataset, FitData, Selection};
use scurve::density::LogDensity;
use scurve::model::CurveModel;
use scurve::spec::ModelSpec;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(spec) = ModelSpec::parse(text, "fuzz.toml") else { return };
    let series = Dataset::example().select(&Selection::default()).expect("the example selects");
    let Ok(fit_data) = FitData::build(&series[..3], spec.x_axis, None) else { return };
    if let Ok(model) = CurveModel::new(spec, fit_data) {
        let x = vec![0.1; model.dim()];
        let mut g = vec![0.0; model.dim()];
        let _ = model.logp_grad(&x, &mut g);
    }
});
