//! Figures and the HTML report, run against the binary: files are written whole, are valid SVG
//! or PNG of the size the figure declares, are not overwritten without --force, and the report
//! opens in a headless browser with every section.

mod common;

use std::path::Path;
use std::process::Command;

use common::{falling_families_csv, scurve_in, stderr, stdout};

/// A short sampler run: enough for pictures, not for inference.
const QUICK: [&str; 7] = ["--chains", "2", "--warmup", "150", "--draws", "100", "--quiet"];

/// The section of a report page with this id, up to its end.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let from = html.split(&format!("<section id=\"{id}\">")).nth(1).unwrap_or_else(|| panic!("no section {id}"));
    &from[..from.find("</section>").unwrap()]
}

fn ok(o: &std::process::Output) {
    assert!(o.status.success(), "exit {:?}\nstdout: {}\nstderr: {}", o.status.code(), stdout(o), stderr(o));
}

/// Width and height of a PNG file, from its IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let b = std::fs::read(path).unwrap();
    assert_eq!(&b[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&b[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    (be(16), be(20))
}

/// Width and height of an SVG file, which must be well-formed XML with an `svg` root.
fn svg_size(path: &Path) -> (u32, u32) {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    let num = |k: &str| root.attribute(k).unwrap().trim_end_matches("px").parse::<u32>().unwrap();
    (num("width"), num("height"))
}

/// The texts of an SVG file, trimmed.
fn svg_texts(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&text).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(|t| t.trim().to_string())
        .collect()
}

/// A quick NUTS fit of the example's OPT ladder with sizes above 13B held out.
fn quick_fit(dir: &Path) {
    let mut args = vec!["fit", "--family", "opt", "--holdout-above", "13B", "--out", "fit"];
    args.extend(QUICK);
    ok(&scurve_in(dir, &args));
}

#[test]
fn plot_writes_valid_svg_and_png_and_keeps_what_exists() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quick_fit(d);
    ok(&scurve_in(d, &["plot", "fit", "--out", "svg", "--size", "175B"]));
    let tasks: Vec<_> = std::fs::read_dir(d.join("svg/tasks")).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(tasks.len(), 8, "one image per task");
    for t in &tasks {
        assert_eq!(svg_size(t), (1140, 580));
    }
    // 8 tasks: 4 columns of 250 px, 2 rows of 180 px under a 56 px header
    assert_eq!(svg_size(&d.join("svg/overview.svg")), (1000, 416));
    assert_eq!(svg_size(&d.join("svg/population.svg")), (1100, 440));
    // held-out points (30B, 66B) are drawn: the red triangles are polygons in the SVG
    let arc = std::fs::read_to_string(d.join("svg/tasks/arc_easy.svg")).unwrap();
    assert!(arc.contains("<polygon"), "held-out markers missing");
    let texts = svg_texts(&d.join("svg/tasks/arc_easy.svg"));
    for want in ["100M", "1B", "10B", "100B", "held out (95% binomial)", "new model: 50% and 90%"] {
        assert!(texts.iter().any(|t| t == want), "'{want}' missing from {texts:?}");
    }

    ok(&scurve_in(d, &["plot", "fit", "--out", "png", "--format", "png", "--task", "arc_easy"]));
    assert_eq!(png_size(&d.join("png/tasks/arc_easy.png")), (1140, 580));
    assert_eq!(png_size(&d.join("png/overview.png")), (250, 236));

    // nothing is replaced without --force
    let before = std::fs::read(d.join("png/tasks/arc_easy.png")).unwrap();
    let o = scurve_in(d, &["plot", "fit", "--out", "png", "--format", "png", "--task", "arc_easy", "--seed", "9"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read(d.join("png/tasks/arc_easy.png")).unwrap(), before);
    ok(&scurve_in(d, &["plot", "fit", "--out", "png", "--format", "png", "--task", "arc_easy", "--force"]));
    // no temporary files are left behind
    let stray: Vec<_> = std::fs::read_dir(d.join("png/tasks"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("tmp"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");

    let o = scurve_in(d, &["plot", "fit", "--out", "x", "--task", "no_such_task"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A mean of tasks is drawn as a task is: its curve band, the observed means (fitted and held
/// out) and a new model's interval; with --mean alone, nothing else is drawn.
#[test]
fn plot_draws_a_mean_of_tasks() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quick_fit(d);
    ok(&scurve_in(d, &["plot", "fit", "--out", "m", "--mean", "arc_*", "--size", "175B"]));
    let files: Vec<_> = std::fs::read_dir(d.join("m")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(files, ["means"], "only the means");
    let f = d.join("m/means/arc_all.svg");
    assert_eq!(svg_size(&f), (1140, 580));
    let texts = svg_texts(&f);
    for want in ["arc_* (mean of 2)", "held out (95% binomial)", "new model: 50% and 90%"] {
        assert!(texts.iter().any(|t| t == want), "'{want}' missing from {texts:?}");
    }
    // chance is the mean of the two tasks' (both 25%)
    assert!(texts.iter().any(|t| t == "chance (25%)"), "{texts:?}");
    let svg = std::fs::read_to_string(&f).unwrap();
    assert!(svg.contains("<polygon"), "held-out markers missing");
    // with --task too, the tasks are drawn beside the mean
    ok(&scurve_in(d, &["plot", "fit", "--out", "both", "--mean", "arc_*", "--task", "sciq"]));
    assert!(d.join("both/tasks/sciq.svg").exists() && d.join("both/means/arc_all.svg").exists());
}

#[test]
fn threshold_and_momentum_plots() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    quick_fit(d);
    ok(&scurve_in(d, &["threshold", "fit", "--score", "0.6", "--plot", "thr.svg"]));
    // 8 tasks: 84 px above, 60 below, 24 per task
    assert_eq!(svg_size(&d.join("thr.svg")), (1100, 84 + 60 + 8 * 24));
    let texts = svg_texts(&d.join("thr.svg"));
    assert!(texts.iter().any(|t| t == "never") && texts.iter().any(|t| t == "already"), "{texts:?}");
    ok(&scurve_in(d, &["threshold", "fit", "--score", "0.6", "--plot", "thr.png", "--task", "sciq"]));
    assert_eq!(png_size(&d.join("thr.png")), (1100, 84 + 60 + 24));
    let o = scurve_in(d, &["threshold", "fit", "--score", "0.6", "--plot", "thr.pdf"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains(".svg or .png"), "{}", stderr(&o));

    let mut args = vec!["momentum", "--family", "opt", "--sizes", "350M,2.7B,30B", "--plot", "m.svg"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    assert_eq!(svg_size(&d.join("m.svg")), (1160, 560));
    let texts = svg_texts(&d.join("m.svg"));
    assert!(texts.iter().any(|t| t.contains("r = ")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("hierarchical model (MAE")), "{texts:?}");
}

#[test]
fn validate_writes_its_figures() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args = vec![
        "validate",
        "--family",
        "pythia",
        "--rolling",
        "--methods",
        "hierarchical,persistence,momentum",
        "--plots",
        "v",
        "--plot-format",
        "png",
    ];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    assert_eq!(png_size(&d.join("v/calibration.png")), (620, 560));
    assert_eq!(png_size(&d.join("v/pit.png")), (420, 360));
    assert_eq!(png_size(&d.join("v/predicted_vs_observed.png")), (1200, 400));
    assert_eq!(png_size(&d.join("v/distance.png")), (700, 460));
    // point forecasts alone have no calibration or PIT: those images are not written blank
    let out = scurve_in(
        d,
        &[
            "validate",
            "--family",
            "pythia",
            "--holdout-largest",
            "1",
            "--methods",
            "persistence,momentum",
            "--plots",
            "p",
        ],
    );
    ok(&out);
    assert!(stderr(&out).contains("no method validated gives a predictive distribution (persistence and momentum"));
    assert!(d.join("p/predicted_vs_observed.svg").exists());
    assert!(!d.join("p/calibration.svg").exists() && !d.join("p/pit.svg").exists());
}

/// Render a page in headless Chromium and return the DOM it built.
fn chromium_dom(page: &Path) -> String {
    let profile = tempfile::tempdir().unwrap();
    let o = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            &format!("--user-data-dir={}", profile.path().display()),
            "--dump-dom",
            &format!("file://{}", page.display()),
        ])
        .output()
        .expect("chromium is needed for this test (Debian package `chromium`; .ci/run installs it)");
    assert!(o.status.success(), "chromium failed: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn report_is_one_page_with_every_section() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // a model without a per-model effect, whose means the page then says leave a new model's luck out
    let mut args = vec!["report", "--family", "opt", "--holdout-above", "13B", "--out", "report.html"];
    args.extend(["--mean", "arc_*", "--model", "no_model_effect"]);
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("report.html")).unwrap();
    assert!(only_svg_namespaces(&html), "the page refers to nothing on the network");
    let dom = chromium_dom(&d.join("report.html"));
    for id in ["data", "diagnostics", "curves", "population", "forecasts", "thresholds", "validation"] {
        assert!(dom.contains(&format!("<section id=\"{id}\">")), "section {id} missing from the rendered page");
    }
    // overview, population, the mean asked for, thresholds, and three validation figures
    assert_eq!(dom.matches("<svg").count(), 7, "inline figures");
    assert!(dom.contains("persistence") && dom.contains("hierarchical_map"), "validation table");
    // with the Brier score of each method's probability that a held-out score left chance
    let validation = html.split("<section id=\"validation\">").nth(1).unwrap();
    let table = &validation[..validation.find("</table>").unwrap()];
    assert!(table.contains("<th>95%</th><th>Brier</th></tr>") && validation.contains("above chance + 0.05"));
    let briers: Vec<f64> = (table.split("<tr><td>").skip(1))
        .map(|row| {
            let last = row.rsplit("<td>").next().unwrap();
            last[..last.find("</td>").unwrap()].parse().unwrap()
        })
        .collect();
    assert_eq!(briers.len(), 5, "a Brier score for every method: {table}");
    assert!(briers.iter().all(|b| (0.0..=1.0).contains(b)), "{briers:?}");
    assert!(dom.contains("opt/arc_easy") || dom.contains("arc_easy"));
    // the mean asked for: a forecast at each of the two sizes, its figure's title, a threshold
    // in the table and in its figure, and its validation
    assert_eq!(dom.matches("arc_* (mean of 2)").count(), 6, "the mean of arc_easy and arc_challenge");
    // validated at 66B from the sizes up to 30B: observed (436/1172 + 1703/2376)/2, and
    // persistence's (406/1172 + 1663/2376)/2 from 30B, with every method's prediction in a row
    assert!(dom.contains("<h3>Means of tasks</h3>"), "the means' validation");
    // forecast by default at 3× and 10× the largest fitted (13B, with 30B and 66B held out)
    assert!(dom.contains("forecast sizes</dt><dd>39B, 130B</dd>"), "facts");
    // each threshold row: P(already) ≤ P(within 10×) ≤ 1 − P(never) (to the table's two
    // decimals), and some row rises between
    let html_thresholds = section(&html, "thresholds");
    assert!(html_thresholds.contains("<th>P(already)</th><th>P(within 10×)</th><th>P(never)</th>"));
    let probabilities: Vec<[f64; 3]> = html_thresholds
        .split("<tr>")
        .skip(2)
        .map(|row| {
            let cells: Vec<&str> = row.split("<td>").skip(1).map(|c| &c[..c.find("</td>").unwrap()]).collect();
            let p = |i: usize| cells[cells.len() - 3 + i].parse::<f64>().unwrap();
            [p(0), p(1), p(2)]
        })
        .collect();
    assert!(!probabilities.is_empty());
    assert!(probabilities.iter().all(|[a, w, n]| a <= w && *w <= 1.0 - n + 0.0101), "{probabilities:?}");
    assert!(probabilities.iter().any(|[a, w, _]| w > a), "{probabilities:?}");
    assert!(dom.contains("has no per-model effect"), "a model without one leaves a new model's shared luck out");
    assert!(!dom.contains("Each model's luck"), "and has no luck to list");
    let row = dom.split("<td>arc_* (mean of 2)</td><td>opt-66b</td>").nth(1).expect("the mean's validation row");
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.starts_with("<td>0.34</td><td>0.544</td>"), "{row}");
    assert_eq!(row.matches("<td>").count(), 2 + 5, "{row}");
    assert!(row.contains("<td>0.523</td>"), "persistence: {row}");

    // not replaced without --force
    let o = scurve_in(d, &["report", "--out", "report.html", "--no-validate"]);
    assert_eq!(o.status.code(), Some(2));
    // an HTML page under another name is refused before any fit, and nothing is written
    let o = scurve_in(d, &["report", "--out", "report.txt", "--no-validate"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("report.txt: the report is one HTML page; its file must end in .html or .htm"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("report.txt").exists());
}

/// A ladder of three sizes cannot be validated by holding its largest out: the report is still
/// written, and says why its validation is missing, without a second fit.
#[test]
fn report_on_three_sizes_says_why_it_has_no_validation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    three_sizes_csv(d);
    let mut args = vec!["report", "three.csv", "--out", "r.html", "--skip-task", "piqa", "--score", "chance+0.1"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    // thresholds ten points above each task's chance: each row gives its own score
    let thresholds = section(&html, "thresholds");
    assert!(
        thresholds.contains("reaches 10 points above chance") && thresholds.contains("<th>task</th><th>score</th>")
    );
    for (task, score) in [("arc_easy", "0.350"), ("winogrande", "0.600"), ("lambada_openai", "0.100")] {
        assert!(thresholds.contains(&format!("<tr><td>{task}</td><td>{score}</td>")), "{task}: {thresholds}");
    }
    // and five points above what each task's largest fitted model scored
    let mut again = vec!["report", "three.csv", "--out", "r2.html", "--skip-task", "piqa", "--score", "largest+0.05"];
    again.extend(QUICK);
    ok(&scurve_in(d, &again));
    let html2 = std::fs::read_to_string(d.join("r2.html")).unwrap();
    let t2 = section(&html2, "thresholds");
    assert!(t2.contains("reaches 5 points above the largest fitted model's score"), "{t2}");
    assert!(t2.contains("<th>task</th><th>score</th>"), "each row's own score: {t2}");
    assert!(html.contains("left out</dt><dd>piqa (--skip-task)</dd>"), "the page says what was left out");
    assert!(html.contains("<section id=\"validation\">"));
    assert!(html.contains("Not possible: no task has more than 3 sizes"), "validation note missing");
    assert_eq!(html.matches("<svg").count(), 3, "overview, population and thresholds only");
    // every fitted score checked against its predictive interval, in the diagnostics
    let diag = section(&html, "diagnostics");
    assert!(
        diag.contains("<h3>Predictive check</h3>") && diag.contains(" of 21 ") && diag.contains(" outside 99%;"),
        "{diag}"
    );
    // the default model's luck: one row per evaluated model, in the population's section
    let pop = section(&html, "population");
    assert!(pop.contains("<h3>Each model's luck</h3>") && pop.contains("sd across models is 0."), "{pop}");
    for m in ["pythia-70m", "pythia-1b-bf16", "pythia-12b"] {
        assert!(pop.contains(&format!("<tr><td>{m}</td><td>")), "{m}: {pop}");
    }
    assert_eq!(pop.matches("<tr>").count(), 1 + 3);
}

/// The example's Pythia models of 70M, 1B and 12B, written as three.csv in `d`.
fn three_sizes_csv(d: &Path) {
    let example = scurve_in(d, &["example"]);
    let keep: String = String::from_utf8_lossy(&example.stdout)
        .lines()
        .filter(|l| {
            l.starts_with("family")
                || (l.contains("pythia") && ["70m", "1b", "12b"].iter().any(|m| l.contains(&format!("-{m}"))))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(d.join("three.csv"), keep).unwrap();
}

/// A model with the counts' dispersion: the page gives d with its interval, beside the luck.
#[test]
fn report_gives_the_counts_dispersion() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    three_sizes_csv(d);
    let mut args = vec!["report", "three.csv", "--out", "r.html", "--model", "dispersion"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let pop = section(&html, "population");
    assert!(pop.contains("<h3>Each model's luck</h3>"), "{pop}");
    let after = pop.split("<h3>The counts' dispersion</h3><p class=\"caption\">d = ").nth(1).expect("d on the page");
    let d_est: f64 = after.split(' ').next().unwrap().parse().unwrap();
    assert!(d_est > 0.0067 && d_est < 148.0 && after.contains("items as if independent"), "{after:.200}");
    assert!(!pop.contains("without item counts"), "counts have no σ: {pop}");
}

/// Scores without item counts: the page gives their spread σ with its interval and the least
/// σ the model allows, and the item counts their digits reveal or `--items` gave.
#[test]
fn report_gives_the_spread_of_scores_without_item_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    three_sizes_csv(d);
    let text = std::fs::read_to_string(d.join("three.csv")).unwrap();
    // family,model,params,task,correct,n,chance → family,model,params,task,score,chance, the
    // tasks renamed so that no item count is looked up
    let mut scores = String::from("family,model,params,task,score,chance\n");
    for l in text.lines().skip(1) {
        let c: Vec<&str> = l.split(',').collect();
        let score = c[4].parse::<f64>().unwrap() / c[5].parse::<f64>().unwrap();
        scores += &format!("{},{},{},my_{},{score},{}\n", c[0], c[1], c[2], c[3], c[6]);
    }
    std::fs::write(d.join("scores.csv"), scores).unwrap();
    let mut args = vec!["report", "scores.csv", "--out", "r.html", "--no-validate"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let pop = section(&html, "population");
    let after = pop
        .split("<h3>The spread of the scores without item counts</h3><p class=\"caption\">σ = ")
        .nth(1)
        .expect("σ on the page");
    let sigma: f64 = after.split(' ').next().unwrap().parse().unwrap();
    assert!((0.02..1.0).contains(&sigma) && after.contains("at least 0.02"), "{after:.200}");
    // each such score is correct/n to every digit: the page says which n they reveal
    let data = section(&html, "data");
    assert!(
        data.contains("scores that are whole counts") && data.contains("my_arc_easy") && data.contains("(2376 items)")
    );
    // and which were given
    let mut args =
        vec!["report", "scores.csv", "--out", "r.html", "--no-validate", "--force", "--items", "my_arc_easy=2376"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let data = section(&html, "data");
    assert!(data.contains("item counts given (--items)</dt><dd>my_arc_easy=2376</dd>"), "{data:.600}");
    assert!(!data.contains("(2376 items)"), "{data:.600}");
}

/// With `--skip-falling` the page says which tasks the fit left out, and its validation judges
/// the fall on the sizes it fits: a task that falls only at its largest size is predicted there.
#[test]
fn report_leaves_out_falling_tasks_and_validates_without_peeking() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("f.csv"), falling_families_csv()).unwrap();
    let mut args = vec!["report", "f.csv", "--out", "r.html", "--skip-falling"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(
        html.contains("left out</dt><dd>a/v, b/u, b/v (they fall with size; --skip-falling)</dd>"),
        "the page says what was left out"
    );
    // fitted up to 1e10, only b/u falls: a/t, a/u, a/v, b/t and b/v are predicted at 1e11
    let v = html.split("<section id=\"validation\">").nth(1).unwrap();
    assert!(v.contains("left out (--skip-falling): 5 held-out scores"), "{}", &v[..v.len().min(600)]);
}

/// The only addresses in the page are XML namespace names of the inline SVG, which are not fetched.
fn only_svg_namespaces(html: &str) -> bool {
    html.match_indices("http").all(|(i, _)| {
        let rest = &html[i..];
        rest.starts_with("http://www.w3.org/2000/svg") || rest.starts_with("http://www.w3.org/1999/xlink")
    })
}

/// A report on the compute axis forecasts at 3× and 10× the largest training compute (or at
/// sizes given with their tokens) and gives thresholds in FLOPs.
#[test]
fn report_on_the_compute_axis_speaks_of_flops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("c.csv"), common::chinchilla_csv(&[("early", 8.8), ("late", 9.6)])).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["report", "c.csv", "--x", "compute", "--no-validate", "--force"];
        args.extend(QUICK);
        args.extend(extra);
        scurve_in(d, &args)
    };
    ok(&run(&["--out", "r.html"]));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    // the largest compute is 6 · 1e10 · 2e11 = 1.2e22 FLOPs
    assert!(html.contains("forecast compute (FLOPs)</dt><dd>3.6e22, 1.2e23</dd>"), "facts");
    assert!(html.contains("<th>compute (FLOPs)</th>") && html.contains("<td>early</td><td>3.6e22</td>"));
    assert!(html.contains("The training compute (FLOPs) at which each task's curve"), "threshold caption");
    // sizes with their tokens
    ok(&run(&["--out", "s.html", "--size", "30B", "--tokens", "600B"]));
    let html = std::fs::read_to_string(d.join("s.html")).unwrap();
    assert!(html.contains("<td>early</td><td>1.1e23</td>"), "6 · 30B · 600B");
    let o = run(&["--out", "t.html", "--size", "30B"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--tokens"));
    // a multiple is of the largest compute, with no tokens needed
    ok(&run(&["--out", "u.html", "--size", "2x"]));
    let html = std::fs::read_to_string(d.join("u.html")).unwrap();
    assert!(html.contains("<td>early</td><td>2.4e22</td>"), "2 · 1.2e22");
}

/// Pythia's five-shot lambada rose fast and flattened at its fitted ceiling below what its 12B
/// scored: the report's forecasts say so under their table, and only for that task. A forecast
/// size more than two decades beyond the largest fitted gets a note too.
#[test]
fn report_names_a_forecast_below_the_largest_score_on_a_flattened_curve() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/tidy/pythia-5shot.csv");
    let mut args = vec!["report", data.to_str().unwrap(), "--out", "r.html", "--no-validate"];
    args.extend(["--task", "lambada_openai", "--task", "arc_easy", "--task", "sciq", "--size", "30B", "--size", "20T"]);
    // the default sampling (about a second here): the threshold's note rests on the forecast at
    // 3× the 12B, 0.656 against a limit of 0.660, which a quick fit's 200 draws can miss
    args.push("--quiet");
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let forecasts = section(&html, "forecasts");
    assert_eq!(forecasts.matches("keeps rising slowly at the top").count(), 1, "{forecasts}");
    assert!(forecasts.contains("<p class=\"warn\">lambada_openai: pythia-12b (11.8B) scored 0.673,"), "{forecasts}");
    assert!(
        forecasts.contains("<p class=\"warn\">20T is 3.2 decades beyond the largest model fitted (11.8B);"),
        "{forecasts}"
    );
    assert_eq!(forecasts.matches("decades beyond").count(), 1, "{forecasts}");
    // and its threshold of 0.8, never reached, rests on that ceiling
    let thresholds = section(&html, "thresholds");
    assert_eq!(thresholds.matches("<p class=\"warn\">").count(), 1, "{thresholds}");
    assert!(
        thresholds.contains("<p class=\"warn\">lambada_openai: its P(never) of 1.00 rests on its fitted ceiling (0.6"),
        "{thresholds}"
    );
    assert!(thresholds.contains("below the 0.673 that pythia-12b scored."), "{thresholds}");
}

/// The report's validation lists the misses its first method was surest of: held-out scores in
/// a tail of their predictive distributions, furthest first.
#[test]
fn report_lists_the_misses_the_model_was_surest_of() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args = vec!["report", "--out", "r.html"];
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    let section = html.split("<h3>The misses hierarchical was surest of</h3>").nth(1).expect("the misses' table");
    let table = &section[..section.find("</table>").unwrap()];
    let pits: Vec<f64> = table
        .split("<tr><td>")
        .skip(1)
        .map(|row| row.rsplit("<td>").next().unwrap().trim_end_matches("</td></tr>").parse().unwrap())
        .collect();
    assert!((1..=5).contains(&pits.len()), "{table}");
    let tail: Vec<f64> = pits.iter().map(|p| p.min(1.0 - p)).collect();
    assert!(tail.iter().all(|&t| t < 0.1) && tail.windows(2).all(|w| w[0] <= w[1]), "{table}");
    assert!(table.contains("<td>pythia/lambada_openai</td><td>pythia-12b</td><td>70.5%</td>"), "{table}");
}

/// `report --model A --model B` compares the model files in its validation, each a row of its
/// own, while the fit, forecasts and thresholds are the first one's; without a validation to
/// compare them in, the others are refused (--no-validate) or noted (a ladder too short).
#[test]
fn report_compares_model_files_in_its_validation() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut args = vec!["report", "--family", "opt", "--out", "r.html", "--model", "no_model_effect"];
    args.extend(["--model", "hierarchical"]);
    args.extend(QUICK);
    ok(&scurve_in(d, &args));
    let html = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(html.contains("<dt>model</dt><dd>no_model_effect (built-in no_model_effect model)</dd>"), "{html:.3000}");
    assert!(
        html.contains("<dt>validation also compares</dt><dd>hierarchical (built-in hierarchical model)</dd>"),
        "{html:.3000}"
    );
    let v = html.split("<section id=\"validation\">").nth(1).unwrap();
    for arm in ["hierarchical:no_model_effect", "hierarchical:hierarchical", "hierarchical_map", "persistence"] {
        assert!(v.contains(&format!("<tr><td>{arm}</td>")), "{arm}: {:.2000}", v);
    }
    // the fit is the first model's: no luck to list
    assert!(!html.contains("Each model's luck"));
    if v.contains("<h3>The misses") {
        assert!(v.contains("<h3>The misses hierarchical:no_model_effect was surest of</h3>"));
    }

    let o = scurve_in(
        d,
        &["report", "--out", "n.html", "--no-validate", "--model", "reference", "--model", "hierarchical"],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--no-validate"), "{}", stderr(&o));
    three_sizes_csv(d);
    let mut args =
        vec!["report", "three.csv", "--out", "t.html", "--model", "no_model_effect", "--model", "hierarchical"];
    args.extend(QUICK);
    let o = scurve_in(d, &args);
    ok(&o);
    assert!(stderr(&o).contains("note: only the first --model is fitted"), "{}", stderr(&o));
}
