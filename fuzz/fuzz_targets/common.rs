//! What every loader target does with a data set it accepted: select series, build the fit
//! arrays and evaluate the default model's log density once. None of it may panic.

use scurve::data::{Dataset, FitData, Selection, XAxis};
use scurve::density::LogDensity;
use scurve::model::CurveModel;
use scurve::spec::ModelSpec;

pub fn exercise(ds: &Dataset) {
    let _ = ds.hash();
    let Ok(series) = ds.select(&Selection::default()) else { return };
    for s in &series {
        let _ = s.report();
    }
    let Ok(data) = FitData::build(&series, XAxis::Params, None) else { return };
    let Ok(spec) = ModelSpec::builtin("hierarchical") else { return };
    if let Ok(model) = CurveModel::new(spec, data) {
        let x = vec![0.1; model.dim()];
        let mut g = vec![0.0; model.dim()];
        let _ = model.logp_grad(&x, &mut g);
    }
}
