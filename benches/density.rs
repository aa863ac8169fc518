//! Benchmarks: the log density with its gradient on a real ladder, and whole fits.
//! Run with `cargo bench`; figures are compared within one run only.

use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use scurve::data::harness::HarnessOptions;
use scurve::data::{Dataset, FitData, Selection, XAxis};
use scurve::density::LogDensity;
use scurve::model::CurveModel;
use scurve::sample::NutsOptions;
use scurve::spec::ModelSpec;

fn opt() -> FitData {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tidy/opt-0shot.csv");
    let ds = Dataset::load(&path, &HarnessOptions::default()).expect("../shared/data beside the repository");
    FitData::build(&ds.select(&Selection::default()).unwrap(), XAxis::Params, Some(13e9)).unwrap()
}

fn density(c: &mut Criterion) {
    let data = opt();
    for name in ["reference", "no_model_effect", "hierarchical", "dispersion"] {
        let model = CurveModel::new(ModelSpec::builtin(name).unwrap(), data.clone()).unwrap();
        // at the joint mode, where the sampler spends its time (the concentration there is in
        // the thousands, which the lnΓ terms feel)
        let x = scurve::fit::pooled_start(&model, 1, 3000).unwrap().position;
        let mut g = vec![0.0; model.dim()];
        c.bench_function(&format!("logp_grad/{name}/opt-0shot (390 obs)"), |b| {
            b.iter(|| black_box(model.logp_grad(black_box(&x), &mut g).unwrap()))
        });
        // the same point with the well-fitted parameters pinned, as after the sampler's pilot
        let mut pinned = model.clone();
        let pins = model.pins_from_curvature(&x);
        let y = model.repinned(&pins, &x);
        pinned.set_pins(pins.clone());
        c.bench_function(&format!("logp_grad/{name}/opt-0shot, pinned"), |b| {
            b.iter(|| black_box(pinned.logp_grad(black_box(&y), &mut g).unwrap()))
        });
        // and with every midpoint sheared halfway along ln(g)/s, as the sampler holds them after
        // its pilot (κ there comes from the pilot's draws, mostly between 0 and 1)
        let shear = vec![0.5; data.series.len()];
        let y = model.recoordinated(&pins, &shear, &x);
        let mut sheared = pinned.clone();
        sheared.set_shear(shear);
        c.bench_function(&format!("logp_grad/{name}/opt-0shot, pinned and sheared"), |b| {
            b.iter(|| black_box(sheared.logp_grad(black_box(&y), &mut g).unwrap()))
        });
    }
}

fn fits(c: &mut Criterion) {
    let data = opt();
    let mut group = c.benchmark_group("fit");
    group.sample_size(10);
    let spec = ModelSpec::builtin("independent").unwrap();
    group.bench_function("map/independent/opt-0shot (65 tasks)", |b| {
        b.iter(|| scurve::fit::fit_independent(&spec, &data, 1, 1000).unwrap())
    });
    let small = {
        let ds = Dataset::example();
        FitData::build(
            &ds.select(&Selection { families: vec!["opt".into()], ..Default::default() }).unwrap(),
            XAxis::Params,
            None,
        )
        .unwrap()
    };
    group.bench_function("nuts/hierarchical/example-opt (4 x 500 + 500)", |b| {
        b.iter(|| {
            let model = CurveModel::new(ModelSpec::builtin("hierarchical").unwrap(), small.clone()).unwrap();
            let opts = NutsOptions { warmup: 500, draws: 500, ..NutsOptions::default() };
            scurve::fit::fit_nuts(model, &opts, &(), &AtomicBool::new(false)).unwrap()
        })
    });
    group.finish();
}

criterion_group!(benches, density, fits);
criterion_main!(benches);
