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
    At, ForecastAt, ForecastRow, Score, ThresholdRow, forecast_rows, group_predictive, group_threshold, summarise,
    threshold,
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
use super::{DataArgs, ForecastSize, forecast_size_arg, size_arg};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub data: DataArgs,
    /// The HTML file to write (.html or .htm).
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
    /// Forecast sizes (repeatable): a size, or a multiple of the largest size each task was fitted
    /// on (on the compute axis, of its largest training compute). Default: 3x and 10x.
    #[arg(id = "forecast_sizes", long = "size", value_parser = forecast_size_arg, value_name = "SIZE")]
    pub sizes: Vec<ForecastSize>,
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
    /// Target score of the thresholds; `chance+0.1`: ten points above each task's chance;
    /// `largest+0.05`: five points above what each task's largest fitted model scored.
    #[arg(long, default_value = "0.8", value_parser = super::score_arg)]
    pub score: Score,
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

/// Where the report forecasts, as amounts on its axis: each `--size` (with `--tokens`, its
/// training compute, on the compute axis), or 3x and 10x each task's largest when none is given.
fn report_points(sizes: &[ForecastSize], axis: XAxis, tokens: Option<f64>) -> Result<Vec<At>> {
    if sizes.is_empty() {
        if tokens.is_some() {
            return Err(scurve::Error::Usage("--tokens goes with the forecast sizes given by --size".into()).into());
        }
        return Ok(vec![At::Times(3.0), At::Times(10.0)]);
    }
    if axis == XAxis::Params && tokens.is_some() {
        return Err(scurve::Error::Usage("--tokens is for the compute axis (--x compute)".into()).into());
    }
    sizes
        .iter()
        .map(|&s| match (s, axis, tokens) {
            (ForecastSize::Times(_), ..) | (ForecastSize::Size(_), XAxis::Params, _) => Ok(s.on_axis()),
            (ForecastSize::Size(s), XAxis::Compute, Some(t)) => {
                let c = training_compute(s, t);
                Ok(At::Amount { amount: c, x: c.log10() })
            }
            (ForecastSize::Size(_), XAxis::Compute, None) => Err(scurve::Error::Usage(
                "this report's x-axis is compute: forecast sizes need the new models' training tokens (--tokens), \
                 or give them as multiples of the largest (--size 3x)"
                    .into(),
            )
            .into()),
        })
        .collect()
}

/// The report's forecast points in words: amounts as they are, and multiples as their amounts
/// when every task was fitted up to the same size (else "3× and 10× each task's largest").
fn forecast_words(forecast: &ForecastAt, axis: XAxis) -> String {
    let largest = forecast.largest_x.iter().fold(f64::NEG_INFINITY, |m, &x| m.max(x));
    let same = forecast.largest_x.iter().all(|&x| x == largest);
    let (amounts, times): (Vec<At>, Vec<At>) = forecast.at.iter().partition(|p| same || p.times().is_none());
    let mut words: Vec<String> = amounts.iter().map(|p| format_on_axis(p.resolve(largest).0, axis)).collect();
    if !times.is_empty() {
        let times: Vec<String> = times.iter().filter_map(|p| p.times()).map(|f| format!("{f}×")).collect();
        words.push(format!("{} each task's largest", times.join(" and ")));
    }
    words.join(", ")
}

pub fn run(a: Args) -> Result<ExitCode> {
    if a.validate_largest == 0 {
        return Err(scurve::Error::Usage("--validate-largest must be at least 1".into()).into());
    }
    if !a.out.extension().is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm")) {
        return Err(scurve::Error::Usage(format!(
            "{}: the report is one HTML page; its file must end in .html or .htm",
            a.out.display()
        ))
        .into());
    }
    check_new(&a.out, a.force)?;
    let (ds, series, repeats) = a.data.series_noting(a.holdout_above)?;
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
    super::note_one_ladder(&ds, &series);
    super::note_revealed_counts(&series);
    let axis = a.data.x_axis();
    let data = FitData::build(&series, axis, a.holdout_above)?;
    let opts = a.sampler.options(a.seed)?;
    // where to forecast, as amounts on the axis (sizes, or training FLOPs), checked before any
    // sampling: 3× and 10× each task's largest fitted unless sizes are given
    let records = series_records(&data);
    // each task's threshold score (`chance+0.1`: its own), checked before any sampling
    let baselines = scurve::forecast::baselines(&data);
    let scores: Vec<f64> = (records.iter().zip(&baselines))
        .map(|(r, &b)| super::score_for(a.score, b, &r.name, "--score", true))
        .collect::<Result<_>>()?;
    let forecast = ForecastAt {
        at: report_points(&a.sizes, axis, a.tokens)?,
        largest_x: records.iter().map(|r| r.largest_x).collect(),
    };
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
    let panels = task_panels(post, &data, &heldout, &items, &tasks, &forecast, a.seed)?;
    let overview_svg = svg_string(&OverviewFigure { panels: panels.iter().collect(), axis })?;
    let summaries = fit.task_summaries();
    let population_svg = svg_string(&PopulationFigure {
        midpoints: panels.iter().map(|p| p.midpoint).collect(),
        slopes: summaries.iter().map(|s| s.slope.est).collect(),
        observed: data.x_range(),
        axis,
    })?;
    let jobs = forecast.jobs(&tasks);
    let mut forecasts: Vec<ForecastRow> =
        forecast_rows(post, &items, &jobs, None, a.seed).into_iter().map(|(r, _)| r).collect();
    let mut forecast_notes: Vec<String> = scurve::forecast::flattened_rows(post, &data, &jobs, &forecasts)
        .iter()
        .map(|f| f.describe(|v| format_on_axis(v, axis)))
        .collect();
    forecast_notes.extend(
        (forecast.outside(&data, &tasks).into_iter()).map(|(_, x, o)| o.describe(x, |v| format_on_axis(v, axis))),
    );
    let max_x = scurve::forecast::threshold_horizon(axis);
    let mut thresholds: Vec<ThresholdRow> =
        tasks.iter().map(|&t| threshold(post, t, scores[t], records[t].largest_x, max_x)).collect();
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
        let at = forecast.of_group(g);
        let xs: Vec<f64> = at.iter().map(|&(_, x)| x).collect();
        let panel = TaskPanel::for_group(post, g, &of, &xs, a.seed);
        means_svg.push(svg_string(&TaskFigure { panel: &panel, axis })?);
        for (p, (size, x)) in forecast.at.iter().zip(at) {
            let row = summarise(&g.label(), size, &group_predictive(post, g, x, a.seed), None);
            forecasts.push(ForecastRow { times: p.times(), ..row });
        }
        let largest = group_largest_x(g, &records);
        let score = super::score_for(a.score, g.baseline(&baselines), &g.label(), "--score", true)?;
        thresholds.push(ThresholdRow { task: g.label(), ..group_threshold(post, g, score, largest, max_x) });
    }
    // within a tenfold scale-up of each row's largest fitted (a mean's: of its tasks', as its
    // forecasts take it)
    let tenfold = ForecastAt { at: vec![At::Times(10.0)], largest_x: forecast.largest_x.clone() };
    let within: Vec<f64> = (tasks.iter().map(|&t| tenfold.of_task(t)[0].1))
        .chain(groups.iter().map(|g| tenfold.of_group(g)[0].1))
        .zip(&thresholds)
        .map(|(x, r)| r.p_by(x))
        .collect();
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
            above: Some(scurve::report::LEAVES_CHANCE),
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
                "{}, {} chains × {} draws{} after {} warm-up, seed {}, target acceptance {}",
                opts.engine().to_uppercase(),
                opts.chains,
                d.draws_per_chain,
                opts.draw_length(),
                opts.warmup,
                a.seed,
                opts.target_accept
            ),
        ),
        (
            if axis == XAxis::Params { "forecast sizes" } else { "forecast compute (FLOPs)" }.into(),
            forecast_words(&forecast, axis),
        ),
        ("scurve".into(), env!("CARGO_PKG_VERSION").into()),
    ]);
    for e in &d.extensions {
        facts.push(("draws extended".into(), e.describe()));
    }
    if let Some(k) = a.data.shots {
        facts.push(("few-shot setting (--shots)".into(), k.to_string()));
    }
    if let Some(r) = &a.data.revision {
        facts.push(("checkpoint (--revision)".into(), r.clone()));
    }
    if !a.data.items.is_empty() {
        let given: Vec<String> = a.data.items.iter().map(|(t, n)| format!("{t}={n}")).collect();
        facts.push(("item counts given (--items)".into(), given.join(", ")));
    }
    if let Some(note) = super::repeats_note(&repeats) {
        facts.push(("results given twice".into(), note));
    }
    if let Some(note) = super::revealed_counts_note(&series) {
        facts.push(("scores that are whole counts".into(), note));
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
        score_noise: post.score_noise().map(|s| (s, spec.noise_min_sd)),
        forecasts,
        forecast_notes,
        means_svg,
        axis,
        threshold_score: a.score,
        thresholds,
        within_tenfold: within,
        threshold_notes,
        threshold_svg,
        validation,
    };
    write_whole(&a.out, report.html().as_bytes())?;
    eprintln!("wrote {}", a.out.display());
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use scurve::data::XAxis;
    use scurve::forecast::{At, ForecastAt};

    use super::{ForecastSize, forecast_words, report_points};

    #[test]
    fn report_forecast_points_and_their_words() {
        let times = |v: &[f64]| v.iter().map(|&f| At::Times(f)).collect::<Vec<_>>();
        assert_eq!(report_points(&[], XAxis::Params, None).unwrap(), times(&[3.0, 10.0]));
        assert_eq!(report_points(&[], XAxis::Compute, None).unwrap(), times(&[3.0, 10.0]));
        assert!(report_points(&[], XAxis::Compute, Some(1e12)).is_err(), "tokens with no size");
        let sizes = [ForecastSize::Size(30e9), ForecastSize::Times(2.0)];
        assert_eq!(
            report_points(&sizes, XAxis::Params, None).unwrap(),
            [At::Amount { amount: 30e9, x: 30e9f64.log10() }, At::Times(2.0)]
        );
        assert!(report_points(&sizes, XAxis::Params, Some(1e12)).is_err(), "tokens on the size axis");
        assert!(report_points(&sizes, XAxis::Compute, None).is_err(), "a size on the compute axis needs tokens");
        let c = 6.0 * 30e9 * 1e12;
        assert_eq!(
            report_points(&sizes, XAxis::Compute, Some(1e12)).unwrap()[0],
            At::Amount { amount: c, x: c.log10() }
        );
        // a multiple as its amount when every task ends at one size, else as the multiple
        let at = times(&[3.0, 10.0]);
        let same = ForecastAt { at: at.clone(), largest_x: vec![13e9f64.log10(); 3] };
        assert_eq!(forecast_words(&same, XAxis::Params), "39B, 130B");
        let two = ForecastAt { at, largest_x: vec![13e9f64.log10(), 12e9f64.log10()] };
        assert_eq!(forecast_words(&two, XAxis::Params), "3× and 10× each task's largest");
    }
}
