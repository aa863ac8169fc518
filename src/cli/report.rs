//! `scurve report`: fit, forecast, threshold and validate, and write it all as one HTML page.

use std::borrow::Cow;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use scurve::check::{CHECK_LEVEL, predictive_check};
use scurve::data::{FitData, Selection, Series, XAxis, points_above, training_compute};
use scurve::fit::{fit_nuts, series_records};
use scurve::fitio::write_whole;
use scurve::forecast::{
    ForecastRow, ThresholdRow, forecast_rows, group_predictive, group_threshold, summarise, threshold,
};
use scurve::model::CurveModel;
use scurve::plot::{
    OverviewFigure, PopulationFigure, TaskFigure, TaskPanel, ThresholdFigure, check_new, figures, format_on_axis,
    svg_string, task_panels,
};
use scurve::report::{MeansValidation, Report, ValidationSection};
use scurve::size::format_size;
use scurve::validate::{Prediction, Split, ValidateOptions, nothing_to_validate, score, validate};

use super::fit::SamplerArgs;
use super::forecast::{group_largest_x, select_groups};
use super::{DataArgs, size_arg};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// The HTML file to write.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Replace an existing --out file.
    #[arg(long)]
    pub force: bool,
    /// Model file, or a built-in name (hierarchical, the default; no_model_effect; model_effect; reference).
    /// Repeat to compare several in the validation, each scored as `hierarchical:NAME`; the fit,
    /// forecasts and thresholds are the first one's.
    #[arg(long)]
    pub model: Vec<String>,
    /// Leave sizes above this out of the main fit (they are drawn as held out).
    #[arg(long, value_parser = size_arg, value_name = "SIZE")]
    pub holdout_above: Option<f64>,
    /// Forecast sizes (repeatable; default: 3× and 10× the largest size in the data, or on the
    /// compute axis the largest training compute).
    #[arg(id = "forecast_sizes", long = "size", value_parser = size_arg, value_name = "SIZE")]
    pub sizes: Vec<f64>,
    /// Training tokens of the forecast sizes, on the compute axis (`--x compute`).
    #[arg(long, value_parser = size_arg)]
    pub tokens: Option<f64>,
    /// Also forecast, give the threshold of, and validate the mean score of the tasks matching PATTERN
    /// (`*` any characters, `?` one; repeatable): `--mean 'hendrycksTest-*'` for MMLU. Per
    /// family, unless the pattern holds a `/`.
    #[arg(long = "mean", value_name = "PATTERN")]
    pub means: Vec<String>,
    /// Weigh each task of a --mean by its item count, not equally.
    #[arg(long, requires = "means")]
    pub by_items: bool,
    /// Target score of the thresholds.
    #[arg(long, default_value_t = 0.8)]
    pub score: f64,
    /// Validation: hold out each task's K largest sizes.
    #[arg(long, default_value_t = 1, value_name = "K")]
    pub validate_largest: usize,
    /// Leave the validation out (one fit instead of two).
    #[arg(long)]
    pub no_validate: bool,
    /// Seed for every random choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    #[command(flatten)]
    pub sampler: SamplerArgs,
}

pub fn run(a: Args) -> Result<ExitCode> {
    if !(a.score > 0.0 && a.score < 1.0) {
        return Err(scurve::Error::Usage(format!("--score {} must be in (0, 1)", a.score)).into());
    }
    if a.validate_largest == 0 {
        return Err(scurve::Error::Usage("--validate-largest must be at least 1".into()).into());
    }
    check_new(&a.out, a.force)?;
    let (ds, series) = a.data.series(a.holdout_above)?;
    let specs = super::load_models(&a.model)?;
    let spec = &specs[0];
    if specs.len() > 1 && a.no_validate {
        return Err(scurve::Error::Usage(
            "--model given more than once compares the model files in the validation, which --no-validate leaves out"
                .into(),
        )
        .into());
    }
    let falling = a.data.note_falling(&series, a.holdout_above, spec.model_effect);
    let axis = a.data.x_axis();
    let data = FitData::build(&series, axis, a.holdout_above)?;
    let opts = a.sampler.options(a.seed)?;
    // where to forecast, as amounts on the axis (sizes, or training FLOPs), checked before any
    // sampling: 3× and 10× the largest in the data unless sizes are given
    let points = || series.iter().flat_map(|s| &s.points);
    let sizes = match (axis, a.tokens) {
        (XAxis::Params, None) if a.sizes.is_empty() => {
            let largest = points().map(|p| p.params).fold(0.0, f64::max);
            vec![3.0 * largest, 10.0 * largest]
        }
        (XAxis::Params, None) => a.sizes.clone(),
        (XAxis::Compute, None) if a.sizes.is_empty() => {
            let largest = points().filter_map(|p| Some(training_compute(p.params, p.tokens?))).fold(0.0, f64::max);
            vec![3.0 * largest, 10.0 * largest]
        }
        (XAxis::Compute, Some(_)) if a.sizes.is_empty() => {
            return Err(scurve::Error::Usage("--tokens goes with the forecast sizes given by --size".into()).into());
        }
        (XAxis::Compute, Some(t)) => a.sizes.iter().map(|&s| training_compute(s, t)).collect(),
        (XAxis::Compute, None) => {
            return Err(scurve::Error::Usage(
                "this report's x-axis is compute: forecast sizes need the new models' training tokens (--tokens)"
                    .into(),
            )
            .into());
        }
        (XAxis::Params, Some(_)) => {
            return Err(scurve::Error::Usage("--tokens is for the compute axis (--x compute)".into()).into());
        }
    };
    let forecast_x: Vec<f64> = sizes.iter().map(|s| s.log10()).collect();
    let records = series_records(&data);
    let items: Vec<Option<u64>> = records.iter().map(|r| r.items).collect();
    let source = a.data.source(&ds);
    let groups = select_groups(&data.series, &items, &a.means, a.by_items, &source)?;
    let per_fit = opts.chains as u64 * (opts.warmup + opts.draws);
    // --skip-falling is judged in the validation's fit on the sizes it keeps, never on the one
    // it holds out: a task that falls only there is predicted like any other
    let (vseries, vgroups): (Cow<[Series]>, _) = if a.data.skip_falling {
        let all = ds.select(&Selection { skip_falling: None, ..a.data.selection(a.holdout_above)? })?;
        let names: Vec<String> = all.iter().map(|s| s.name.clone()).collect();
        let items: Vec<Option<u64>> = all.iter().map(|s| s.items()).collect();
        let vgroups = select_groups(&names, &items, &a.means, a.by_items, &source)?;
        (Cow::Owned(all), vgroups)
    } else {
        (Cow::Borrowed(&series), groups.clone())
    };
    let no_validation = if a.no_validate {
        Some("Not run (--no-validate).".to_string())
    } else {
        nothing_to_validate(&vseries, Split::Largest(a.validate_largest), a.data.skip_falling)
            .map(|why| format!("Not possible: {why} (--validate-largest sets how many are held out)."))
    };
    // the main fit, and one validation fit per model file
    let fits = if no_validation.is_some() { 1 } else { 1 + specs.len() as u64 };
    if let (Some(why), [_, _, ..]) = (&no_validation, &specs[..]) {
        eprintln!("note: only the first --model is fitted, with no validation to compare them in. {why}");
    }
    let bar = super::progress::Bar::new(per_fit * fits, a.sampler.quiet);
    let stop = super::progress::interrupt_flag();
    let fit = fit_nuts(CurveModel::new(spec.clone(), data.clone())?, &opts, &bar, stop)?;
    let post = &fit.posterior;

    // held-out points and forecasts, per fitted series
    let heldout = points_above(&series, &data.series, a.holdout_above);
    let tasks: Vec<usize> = (0..data.series.len()).collect();
    let panels = task_panels(post, &data, &heldout, &items, &tasks, &forecast_x, a.seed)?;
    let overview_svg = svg_string(&OverviewFigure { panels: panels.iter().collect(), axis })?;
    let summaries = fit.task_summaries();
    let population_svg = svg_string(&PopulationFigure {
        midpoints: panels.iter().map(|p| p.midpoint).collect(),
        slopes: summaries.iter().map(|s| s.slope.est).collect(),
        observed: data.x_range(),
        axis,
    })?;
    let at: Vec<(f64, f64)> = sizes.iter().copied().zip(forecast_x.iter().copied()).collect();
    let mut forecasts: Vec<ForecastRow> =
        forecast_rows(post, &items, &tasks, &at, None, a.seed).into_iter().map(|(r, _)| r).collect();
    let mut forecast_notes: Vec<String> =
        scurve::forecast::flattened_rows(post, &data, &tasks, &forecast_x, &forecasts)
            .iter()
            .map(|f| f.describe(|v| format_on_axis(v, axis)))
            .collect();
    forecast_notes.extend(forecast_x.iter().filter_map(|&x| {
        scurve::forecast::OutsideFit::of(&data, &tasks, x).map(|o| o.describe(x, |v| format_on_axis(v, axis)))
    }));
    let max_x = scurve::forecast::threshold_horizon(axis);
    let mut thresholds: Vec<ThresholdRow> =
        tasks.iter().map(|&t| threshold(post, t, a.score, records[t].largest_x, max_x)).collect();
    let threshold_notes = scurve::forecast::flattened_thresholds(post, &data, &items, &tasks, &thresholds)
        .iter()
        .map(|(f, p_never)| {
            format!(
                "{}: its P(never) of {p_never:.2} rests on its fitted ceiling ({:.3}), below the {:.3} that {} scored. \
                 An S-curve cannot rise past its ceiling, and a task that keeps rising slowly at the top may reach \
                 the score after all (docs/validation.md).",
                f.task, f.ceiling, f.observed, f.model
            )
        })
        .collect();
    let mut means_svg = Vec::new();
    for g in &groups {
        let of: Vec<&TaskPanel> = g.tasks.iter().map(|t| &panels[t.task]).collect();
        let panel = TaskPanel::for_group(post, g, &of, &forecast_x, a.seed);
        means_svg.push(svg_string(&TaskFigure { panel: &panel, axis })?);
        for &(size, x) in &at {
            forecasts.push(summarise(&g.label(), size, &group_predictive(post, g, x, a.seed), None));
        }
        let largest = group_largest_x(g, &records);
        thresholds.push(ThresholdRow { task: g.label(), ..group_threshold(post, g, a.score, largest, max_x) });
    }
    let threshold_svg = svg_string(&ThresholdFigure::new(a.score, &thresholds, data.x_range(), max_x, axis))?;

    let validation = if let Some(why) = no_validation {
        Err(why)
    } else {
        let vopts = ValidateOptions {
            split: Split::Largest(a.validate_largest),
            methods: scurve::validate::Method::ALL.to_vec(),
            models: specs.clone(),
            nuts: opts,
            x_axis: axis,
            seed: a.seed,
            means: vgroups,
            skip_falling: a.data.skip_falling,
        };
        let validation = validate(&vseries, &vopts, &bar, stop)?;
        let fit_warnings = validation.fit_warnings();
        // the means of tasks are scored on their own, beside the tasks
        let (mean_preds, preds): (Vec<Prediction>, Vec<Prediction>) =
            validation.predictions.into_iter().partition(|p| p.mean_of.is_some());
        let means = (!groups.is_empty()).then(|| MeansValidation {
            scores: score(&mean_preds.iter().collect::<Vec<_>>()),
            predictions: mean_preds,
        });
        let all: Vec<_> = preds.iter().collect();
        let arms = vopts.arms();
        let heldout = preds.iter().filter(|p| p.method == arms[0]).count();
        let (calibration, pit, scatter, _) = figures(&preds, &arms);
        Ok(ValidationSection {
            split: format!(
                "each task's {} largest size(s) held out{}",
                a.validate_largest,
                if a.data.skip_falling {
                    ", and the tasks whose scores fall with size up to there left out (--skip-falling)"
                } else {
                    ""
                }
            ),
            heldout,
            scores: score(&all),
            fit_warnings,
            misses: scurve::validate::surest_misses(&preds, &arms[0], 5).into_iter().cloned().collect(),
            means,
            figures: vec![
                ("Calibration: share of held-out scores inside central predictive intervals of each level.".into(), svg_string(&calibration)?),
                ("PIT histograms: flat when the predictive distributions are calibrated; a hump in the middle means intervals too wide.".into(), svg_string(&pit)?),
                ("Predicted (median) against observed held-out scores, with 80% predictive intervals.".into(), svg_string(&scatter)?),
            ],
        })
    };
    bar.finish();

    let validated = validation.is_ok();
    let d = &fit.diagnostics;
    let mut facts = vec![
        ("data".to_string(), source.clone()),
        ("series".into(), format!("{} fitted, {} observations", data.series.len(), data.len())),
        ("model".into(), format!("{} ({})", spec.name, spec.source)),
    ];
    if specs.len() > 1 && validated {
        let others: Vec<String> = specs[1..].iter().map(|m| format!("{} ({})", m.name, m.source)).collect();
        facts.push(("validation also compares".into(), others.join(", ")));
    }
    facts.extend([
        (
            "sampler".into(),
            format!(
                "{}, {} chains × {} draws after {} warm-up, seed {}, target acceptance {}",
                opts.engine().to_uppercase(),
                opts.chains,
                d.draws_per_chain,
                opts.warmup,
                a.seed,
                opts.target_accept
            ),
        ),
        (
            if axis == XAxis::Params { "forecast sizes" } else { "forecast compute (FLOPs)" }.into(),
            sizes.iter().map(|&s| format_on_axis(s, axis)).collect::<Vec<_>>().join(", "),
        ),
        ("scurve".into(), env!("CARGO_PKG_VERSION").into()),
    ]);
    for e in &d.extensions {
        facts.push(("draws extended".into(), e.describe()));
    }
    if !groups.is_empty() && !post.has_model_effect() {
        facts.push(("means of tasks".into(), scurve::forecast::MEAN_WITHOUT_LUCK.into()));
    }
    let (short, falling_out) = a.data.flags_left_out(&ds, a.holdout_above, &series)?;
    if let Some(left) = a.data.left_out(short, &falling_out) {
        facts.insert(2, ("left out".into(), left));
    }
    if let Some(h) = a.holdout_above {
        facts.insert(2, ("held out of the fit".into(), format!("sizes above {}", format_size(h))));
    }
    let report = Report {
        title: format!("scurve report: {source}"),
        facts,
        series: series.iter().map(|s| s.report()).collect(),
        diagnostics: Some(d.clone()),
        warnings: d
            .falling_warning(&falling)
            .into_iter()
            .chain(d.warnings(&opts))
            .chain(d.families_advice(&series))
            .collect(),
        check: Some(predictive_check(post, &data, CHECK_LEVEL, a.seed)),
        overview_svg,
        population_svg,
        luck: post.luck(),
        dispersion: post.dispersion(),
        forecasts,
        forecast_notes,
        means_svg,
        axis,
        threshold_score: a.score,
        thresholds,
        threshold_notes,
        threshold_svg,
        validation,
    };
    write_whole(&a.out, report.html().as_bytes())?;
    eprintln!("wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}
