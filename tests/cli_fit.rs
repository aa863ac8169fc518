//! The fit → forecast → threshold → score path through the binary, and saved-fit safety.

mod common;

use common::{scurve_in, stderr, stdout};

fn example_csv(dir: &std::path::Path) {
    let out = common::scurve(&["example"]);
    std::fs::write(dir.join("ex.csv"), &out.stdout).unwrap();
}

/// What scurve prints as JSON when run in `dir` with `args` (which must succeed).
fn json_in(dir: &std::path::Path, args: &[&str]) -> serde_json::Value {
    let out = scurve_in(dir, args);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    serde_json::from_str(&stdout(&out)).unwrap()
}

/// The record of series `name` in a saved fit's `fit.json`.
fn series<'a>(fit: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    fit["series"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()
}

/// The example written as ex.csv in `dir`, then fitted by MAP (with `args`) into the folder `f`.
fn example_map_fit(dir: &std::path::Path, args: &[&str]) {
    example_csv(dir);
    let out = scurve_in(dir, &[&["fit", "ex.csv", "--method", "map", "--out", "f"][..], args].concat());
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn map_fit_saves_and_forecasts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_csv(d);
    let out = scurve_in(
        d,
        &["fit", "ex.csv", "--method", "map", "--family", "opt", "--holdout-above", "13B", "--out", "fits/opt"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("fits/opt/fit.json").exists() && d.join("fits/opt/draws_1.csv").exists());
    // not overwritten without --force
    let again = scurve_in(d, &["fit", "ex.csv", "--method", "map", "--family", "opt", "--out", "fits/opt"]);
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--force"));
    let f = scurve_in(d, &["forecast", "fits/opt", "--size", "30B", "--size", "66B", "--json", "--above", "0.7"]);
    assert!(f.status.success(), "{}", stderr(&f));
    let v: serde_json::Value = serde_json::from_str(&stdout(&f)).unwrap();
    let rows = v["forecasts"].as_array().unwrap();
    assert_eq!(rows.len(), 16);
    for r in rows {
        for k in ["median", "lo50", "hi50", "lo80", "hi80", "lo95", "hi95", "latent_median", "p_above"] {
            assert!(r[k].is_number(), "{k} in {r}");
        }
        assert!(r["lo95"].as_f64() <= r["lo80"].as_f64() && r["lo80"].as_f64() <= r["lo50"].as_f64());
    }
    let t = scurve_in(d, &["threshold", "fits/opt", "--score", "0.5", "--task", "arc_easy", "--json"]);
    assert!(t.status.success(), "{}", stderr(&t));
    let v: serde_json::Value = serde_json::from_str(&stdout(&t)).unwrap();
    let r = &v["thresholds"][0];
    assert_eq!(r["task"], "arc_easy");
    // OPT's arc_easy passed 0.5 around 1.3B, inside the fit
    assert!(r["p_already"].as_f64().unwrap() > 0.9, "{r}");
    for k in ["median_size", "lo80_size", "hi80_size", "p_reach", "p_never"] {
        assert!(r.get(k).is_some(), "{k}");
    }
    let bad = scurve_in(d, &["forecast", "fits/opt", "--size", "30B", "--task", "nope"]);
    assert_eq!(bad.status.code(), Some(2));
    // the tasks' curves as CSV hold what the JSON holds
    let fit = |format: &str| scurve_in(d, &["fit", "ex.csv", "--method", "map", "--family", "opt", format]);
    let (csv_out, json_out) = (fit("--csv"), fit("--json"));
    assert!(csv_out.status.success() && json_out.status.success(), "{}", stderr(&csv_out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&json_out)).unwrap();
    let text = stdout(&csv_out);
    let (header, rows) = common::read_csv(&text);
    assert_eq!(header.len(), 1 + 4 * 3 + 1, "{header:?}");
    assert_eq!(
        (header[1].as_str(), header[9].as_str(), header[13].as_str()),
        ("floor", "midpoint_log10_hi", "converged")
    );
    let tasks = v["tasks"].as_array().unwrap();
    assert_eq!(rows.len(), tasks.len());
    for (row, t) in rows.iter().zip(tasks) {
        assert_eq!(&row[0], t["task"].as_str().unwrap());
        for (p, k, name) in
            [("ceiling", "est", "ceiling"), ("midpoint_log10", "lo", "midpoint_log10_lo"), ("slope", "hi", "slope_hi")]
        {
            let col = header.iter().position(|h| h == name).unwrap();
            assert_eq!(row[col].parse::<f64>().unwrap(), t[p][k].as_f64().unwrap(), "{p} {k}");
        }
        assert_eq!(&row[13], t["converged"].to_string());
    }
    assert_eq!(scurve_in(d, &["fit", "ex.csv", "--method", "map", "--json", "--csv"]).status.code(), Some(2));
}

#[test]
fn a_task_name_or_pattern_picks_tasks_in_every_family_of_a_fit() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &[]);
    let tasks = |args: &[&str]| -> Vec<String> {
        let out = scurve_in(d, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let rows = v.as_object().unwrap().values().find(|v| v.is_array()).unwrap().as_array().unwrap().clone();
        rows.iter().map(|r| r["task"].as_str().unwrap().to_string()).collect()
    };
    // the bare task stands for it in both families; a series name for that one alone
    let both = tasks(&["forecast", "f", "--size", "30B", "--task", "arc_easy", "--json"]);
    assert_eq!(both, ["opt/arc_easy", "pythia/arc_easy"]);
    // a size asked for twice (written alike or not) is one row per task
    let out =
        scurve_in(d, &["forecast", "f", "--size", "30B", "--size", "3e10", "--size", "3x", "--size", "3x", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 2 * 16, "{}", stderr(&out));
    let one = tasks(&["threshold", "f", "--score", "0.5", "--task", "pythia/arc_easy", "--task", "arc_easy", "--json"]);
    assert_eq!(one, ["pythia/arc_easy", "opt/arc_easy"]);
    // P(now) counts by each row's largest fitted size, named when the rows share it; a
    // --max-size below it gets a note, since P(reach) can then be below P(now)
    let table = |args: &[&str]| {
        let out = scurve_in(d, args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        (stdout(&out), stderr(&out))
    };
    let (text, err) = table(&["threshold", "f", "--score", "0.5", "--task", "arc_easy"]);
    assert!(text.contains("P(now): by each row's largest fitted size;"), "{text}");
    assert!(!err.contains("is below the largest fitted size"), "{err}");
    let (text, err) = table(&["threshold", "f", "--score", "0.5", "--task", "pythia/arc_easy", "--max-size", "1B"]);
    assert!(text.contains("P(reach): by 1B; P(now): by the largest fitted size, 11.8B;"), "{text}");
    assert!(err.contains("note: --max-size 1B is below the largest fitted size (11.8B)"), "{err}");
    let bad = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "rc_easy"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no task 'rc_easy'"), "{}", stderr(&bad));
    // a pattern picks every task it matches, in every family or (with a `/`) in one
    let arcs = tasks(&["forecast", "f", "--size", "30B", "--task", "arc_*", "--json"]);
    assert_eq!(arcs, ["opt/arc_challenge", "opt/arc_easy", "pythia/arc_challenge", "pythia/arc_easy"]);
    let one = tasks(&["threshold", "f", "--score", "0.5", "--task", "opt/w*", "--task", "*/?iqa", "--json"]);
    assert_eq!(one, ["opt/winogrande", "opt/wsc", "opt/piqa", "pythia/piqa"]);
    let bad = scurve_in(d, &["plot", "f", "--task", "arc_?", "--out", "p.png"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("no task matches 'arc_?'"), "{}", stderr(&bad));
    // a size below what the fit saw of a task, or more than two decades beyond, gets a note;
    // OPT's ladder here runs from 125M to 66B, Pythia's from 70M to 12B
    let notes = |args: &[&str]| -> Vec<String> {
        let (_, err) = table(args);
        err.lines().filter(|l| l.starts_with("note: ")).map(String::from).collect()
    };
    let none = notes(&["forecast", "f", "--size", "200M", "--size", "30B", "--size", "5T", "--task", "opt/arc_easy"]);
    assert!(none.is_empty(), "{none:?}");
    let below = notes(&["forecast", "f", "--size", "100M", "--task", "arc_easy"]);
    assert_eq!(below.len(), 1, "{below:?}");
    assert!(
        below[0].starts_with("note: 100M is below the smallest model fitted of some of these tasks (125M)"),
        "{below:?}"
    );
    let beyond = notes(&["forecast", "f", "--size", "2T", "--mean", "arc_*"]);
    let of_size: Vec<&String> = beyond.iter().filter(|n| n.contains("decades")).collect();
    assert_eq!(of_size.len(), 1, "{beyond:?}");
    assert!(of_size[0].contains("2T is 2.2 decades beyond the largest model fitted of some of these tasks (11.8B)"));
    let beyond = notes(&["forecast", "f", "--size", "100T", "--task", "opt/arc_easy"]);
    assert!(beyond[0].contains("100T is 3.2 decades beyond the largest model fitted (66B);"), "{beyond:?}");
    // and in JSON, each with its size
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--size", "100T", "--task", "opt/arc_easy", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let listed = v["outside_fit"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{v}");
    assert_eq!(listed[0]["size"].as_f64(), Some(1e14));
    assert_eq!(listed[0]["note"].as_str().map(|n| beyond[0].ends_with(n)), Some(true), "{v}");
}

/// `--size 3x` is three times the largest model each task was fitted on, a mean's the largest of
/// its tasks': on a fit of two ladders, each its own "next model".
#[test]
fn multiples_of_each_tasks_largest_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &[]);
    let json = |args: &[&str]| json_in(d, args);
    let fit = common::fit_json(&d.join("f"));
    let largest = |name: &str| 10f64.powf(series(&fit, name)["largest_x"].as_f64().unwrap());
    let (opt, pythia) = (largest("opt/arc_easy"), largest("pythia/arc_easy"));
    assert!((opt / 66e9 - 1.0).abs() < 1e-9 && (pythia / 11.8e9 - 1.0).abs() < 0.01, "{opt:e} {pythia:e}");
    let v =
        json(&["forecast", "f", "--size", "3x", "--size", "30B", "--task", "arc_easy", "--mean", "arc_*", "--json"]);
    let rows = v["forecasts"].as_array().unwrap();
    let at: Vec<(&str, f64, Option<f64>)> =
        rows.iter().map(|r| (r["task"].as_str().unwrap(), r["size"].as_f64().unwrap(), r["times"].as_f64())).collect();
    assert_eq!(
        at,
        [
            ("opt/arc_easy", (3.0 * opt).round(), Some(3.0)),
            ("opt/arc_easy", 30e9, None),
            ("pythia/arc_easy", (3.0 * pythia).round(), Some(3.0)),
            ("pythia/arc_easy", 30e9, None)
        ]
    );
    // each family's mean at its own largest (every task of the example reaches it)
    let means: Vec<(String, f64)> = v["means"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["times"] == 3.0)
        .map(|r| (r["task"].as_str().unwrap().to_string(), r["size"].as_f64().unwrap()))
        .collect();
    assert_eq!(
        means,
        [("opt/arc_*".to_string(), (3.0 * opt).round()), ("pythia/arc_*".into(), (3.0 * pythia).round())]
    );
    // the same forecast as the size it stands for
    let given = json(&["forecast", "f", "--size", "198B", "--task", "opt/arc_easy", "--json"]);
    let median = |v: &serde_json::Value| v["forecasts"][0]["median"].as_f64().unwrap();
    assert!((median(&given) - rows[0]["median"].as_f64().unwrap()).abs() < 0.01, "{given} against {}", rows[0]);
    // the table says what the multiple is of; far multiples get the note a far size gets
    let out = scurve_in(d, &["forecast", "f", "--size", "3x", "--size", "1000x", "--task", "pythia/arc_easy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("\n(3x, 1000x: multiples of the largest model each task was fitted on"),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("pythia/arc_easy   35.5B"), "{}", stdout(&out));
    assert!(stderr(&out).contains("is 3.0 decades beyond the largest model fitted (11.8B)"), "{}", stderr(&out));
    // thresholds: P(reach) within a tenfold scale-up of each task's own largest
    let v = json(&["threshold", "f", "--score", "0.7", "--task", "arc_easy", "--max-size", "10x", "--json"]);
    let rows = v["thresholds"].as_array().unwrap();
    let by: Vec<f64> = rows.iter().map(|r| r["reach_by"].as_f64().unwrap()).collect();
    assert_eq!(by, [(10.0 * opt).round(), (10.0 * pythia).round()]);
    let given = json(&["threshold", "f", "--score", "0.7", "--task", "opt/arc_easy", "--max-size", "660B", "--json"]);
    assert_eq!(given["thresholds"][0]["p_reach"], rows[0]["p_reach"]);
    let out = scurve_in(d, &["threshold", "f", "--score", "0.7", "--task", "arc_easy", "--max-size", "10x"]);
    assert!(stdout(&out).contains("P(reach): by 10× each row's largest fitted size;"), "{}", stdout(&out));
    let out = scurve_in(d, &["threshold", "f", "--score", "0.7", "--task", "opt/*", "--max-size", "3x"]);
    assert!(stdout(&out).contains("P(reach): by 198B (3× the largest fitted);"), "{}", stdout(&out));
    // and the picture's legend says by what, since the rows' sizes differ
    let out = scurve_in(d, &["threshold", "f", "--score", "0.7", "--max-size", "10x", "--plot", "t.svg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(d.join("t.svg")).unwrap();
    assert!(svg.contains("by 10× the largest"), "the legend");
    // pictures too
    let out = scurve_in(d, &["plot", "f", "--size", "3x", "--task", "arc_easy", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(d.join("p/tasks/opt_arc_easy.svg").exists() && d.join("p/tasks/pythia_arc_easy.svg").exists());
    // a new model's training tokens do not enter a fit of sizes: refused, not ignored
    for cmd in [&["forecast", "f"][..], &["plot", "f", "--out", "p3"]] {
        let out = scurve_in(d, &[cmd, &["--size", "30B", "--tokens", "1T"]].concat());
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        assert!(stderr(&out).contains("--tokens is for a fit on the compute axis"), "{}", stderr(&out));
    }
    assert!(!d.join("p3").exists());
    for bad in ["0x", "-2x", "x", "3xx"] {
        let out = scurve_in(d, &["forecast", "f", &format!("--size={bad}")]);
        assert_eq!(out.status.code(), Some(2), "{bad}");
        assert!(stderr(&out).contains(&format!("'{bad}' is not a")), "{bad}: {}", stderr(&out));
    }
}

/// `--score chance+0.1` and `--above chance+0.05`: each task's own score, its chance plus the
/// points (a mean's: the mean of its tasks' chances), as the same command would give for that
/// score asked alone.
#[test]
fn scores_above_each_tasks_chance() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &[]);
    let json = |args: &[&str]| json_in(d, args);
    let fit = common::fit_json(&d.join("f"));
    let chance = |name: &str| series(&fit, name)["chance"].as_f64().unwrap();
    let v = json(&["threshold", "f", "--score", "chance+0.1", "--task", "opt/*", "--mean", "opt/*", "--json"]);
    let rows = v["thresholds"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let mut chances = Vec::new();
    for r in rows {
        let c = chance(r["task"].as_str().unwrap());
        chances.push(c);
        assert!((r["score"].as_f64().unwrap() - (c + 0.1)).abs() < 1e-12, "{r}");
    }
    assert!(chances.contains(&0.0) && chances.contains(&0.25) && chances.contains(&0.5), "{chances:?}");
    let mean = &v["means"][0];
    let mean_chance = chances.iter().sum::<f64>() / 8.0;
    assert!((mean["score"].as_f64().unwrap() - (mean_chance + 0.1)).abs() < 1e-12, "{mean}");
    // the same row as the score asked for that task alone
    let alone = json(&["threshold", "f", "--score", "0.35", "--task", "opt/arc_easy", "--json"]);
    let row = rows.iter().find(|r| r["task"] == "opt/arc_easy").unwrap();
    assert_eq!(&alone["thresholds"][0], row);
    // the table gives each row's score and says what it is
    let out =
        scurve_in(d, &["threshold", "f", "--score", "chance+0.1", "--task", "opt/arc_easy", "--task", "opt/piqa"]);
    let text = stdout(&out);
    assert!(text.starts_with("task          score    median"), "{text}");
    assert!(text.contains("\nopt/arc_easy  0.350 ") && text.contains("\nopt/piqa      0.600 "), "{text}");
    assert!(text.contains("reaches each row's score, its chance + 0.1;"), "{text}");
    let out = scurve_in(d, &["threshold", "f", "--score", "chance+0.1", "--task", "opt/piqa", "--plot", "t.svg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(std::fs::read_to_string(d.join("t.svg")).unwrap().contains("reaches 10 points above chance"));

    // forecasts: P(score > chance + 0.05) per task, the same as P(score > that score) alone
    let v = json(&[
        "forecast",
        "f",
        "--size",
        "30B",
        "--task",
        "opt/*",
        "--mean",
        "opt/*",
        "--above",
        "chance+0.05",
        "--json",
    ]);
    for r in v["forecasts"].as_array().unwrap() {
        let above = chance(r["task"].as_str().unwrap()) + 0.05;
        assert!((r["above"].as_f64().unwrap() - above).abs() < 1e-12, "{r}");
    }
    let mean = &v["means"][0];
    assert!((mean["above"].as_f64().unwrap() - (mean_chance + 0.05)).abs() < 1e-12, "{mean}");
    let alone = json(&["forecast", "f", "--size", "30B", "--task", "opt/arc_easy", "--above", "0.3", "--json"]);
    let row = v["forecasts"].as_array().unwrap().iter().find(|r| r["task"] == "opt/arc_easy").unwrap();
    assert_eq!(&alone["forecasts"][0], row);
    let out =
        scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "opt/piqa", "--above", "chance+0.05", "--csv"]);
    let text = stdout(&out);
    assert!(text.starts_with("task,size,") && text.lines().next().unwrap().ends_with(",above,p_above"), "{text}");
    assert!(text.lines().nth(1).unwrap().contains(",0.55,"), "{text}");
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "opt/piqa", "--above", "chance+0.05"]);
    let text = stdout(&out);
    assert!(text.lines().next().unwrap().ends_with("  above  P(score > chance + 0.05)"), "{text}");
    let p = v["forecasts"].as_array().unwrap().iter().find(|r| r["task"] == "opt/piqa").unwrap()["p_above"].clone();
    assert!(text.lines().nth(1).unwrap().ends_with(&format!("  0.550  {:.2}", p.as_f64().unwrap())), "{text}");
    // one score for every task needs no column of its own
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "opt/piqa", "--above", "0.55"]);
    let head = stdout(&out).lines().next().unwrap().to_string();
    assert!(head.ends_with("P(score > 0.55)") && !head.contains("above"), "{head}");

    // five points above what each task's largest fitted model scored: opt-66b's 1703 of 2376 on
    // arc_easy; a mean's, the mean of its tasks'
    let largest = 1703.0 / 2376.0;
    let v = json(&["forecast", "f", "--size", "3x", "--task", "opt/arc_easy", "--above", "largest+0.05", "--json"]);
    assert!((v["forecasts"][0]["above"].as_f64().unwrap() - (largest + 0.05)).abs() < 1e-12, "{v}");
    let t =
        json(&["threshold", "f", "--score", "largest+0.05", "--task", "opt/arc_easy", "--mean", "opt/arc_*", "--json"]);
    assert!((t["thresholds"][0]["score"].as_f64().unwrap() - (largest + 0.05)).abs() < 1e-12, "{t}");
    let mean = (largest + 436.0 / 1172.0) / 2.0 + 0.05;
    assert!((t["means"][0]["score"].as_f64().unwrap() - mean).abs() < 1e-12, "{t}");
    let out = scurve_in(d, &["threshold", "f", "--score", "largest+0.3", "--task", "opt/piqa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("'opt/piqa' scored 0.788 at its largest fitted size, so its score would be 1.088"),
        "{}",
        stderr(&out)
    );

    // a score a task shown cannot have is refused, naming the task; one left out does not count
    let out = scurve_in(d, &["threshold", "f", "--score", "chance+0.6", "--task", "opt/piqa"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'opt/piqa' has chance 0.5, so its score would be 1.100, outside (0, 1)"));
    let out = scurve_in(d, &["threshold", "f", "--score", "chance+0.6", "--task", "opt/arc_easy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--above", "chance+0.6"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--above chance + 0.6: '") && stderr(&out).contains("outside [0, 1]"));
    for (args, says) in [
        (&["threshold", "f", "--score", "chance+1"][..], "the points above chance are a share in [0, 1)"),
        (&["threshold", "f", "--score", "chance-0.1"][..], "is not a score"),
        (&["threshold", "f", "--score", "1"][..], "--score 1 must be in (0, 1)"),
        (&["forecast", "f", "--size", "30B", "--above", "1.5"][..], "'1.5' is not a score in [0, 1]"),
    ] {
        let out = scurve_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn means_of_tasks_are_forecast_and_thresholded() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &[]);
    let json = |args: &[&str]| json_in(d, args);
    // Pythia's lambada: its curve flattens at 0.69, below the 0.705 its 12B scored, and the
    // forecast for a larger model says so, once, in the note and the JSON; OPT's does not
    let args = ["forecast", "f", "--size", "36B", "--size", "100B", "--task", "lambada_openai"];
    let out = scurve_in(d, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("keeps rising slowly at the top")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(notes[0].starts_with("note: pythia/lambada_openai: pythia-12b (11.8B) scored 0.705,"), "{}", notes[0]);
    assert!(notes[0].contains("the forecast at 36B (0.6"), "{}", notes[0]);
    let flat = json(&[&args[..], &["--json"]].concat())["flattened"].clone();
    assert_eq!(flat.as_array().map(Vec::len), Some(1), "{flat}");
    assert_eq!(
        (flat[0]["task"].as_str(), flat[0]["model"].as_str()),
        (Some("pythia/lambada_openai"), Some("pythia-12b"))
    );
    let v = json(&["forecast", "f", "--size", "36B", "--task", "arc_easy", "--json"]);
    assert!(v.get("flattened").is_none(), "{v}");
    // its threshold of 0.8 is never reached, which rests on that ceiling: said so too
    let args = ["threshold", "f", "--score", "0.8", "--task", "lambada_openai"];
    let out = scurve_in(d, &args);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    let notes: Vec<&str> = err.lines().filter(|l| l.contains("keeps rising slowly at the top")).collect();
    assert_eq!(notes.len(), 1, "{err}");
    assert!(notes[0].starts_with("note: pythia/lambada_openai: pythia-12b (11.8B) scored 0.705,"), "{err}");
    assert!(notes[0].ends_with("Its P(never) of 1.00 at 0.8 rests on that ceiling."), "{err}");
    let t = json(&[&args[..], &["--json"]].concat());
    assert_eq!(t["flattened"].as_array().map(Vec::len), Some(1), "{t}");
    // a score the curve reaches needs no such note
    let out = scurve_in(d, &["threshold", "f", "--score", "0.5", "--task", "lambada_openai"]);
    assert!(!stderr(&out).contains("keeps rising"), "{}", stderr(&out));
    // a mean of a MAP fit is noted as too sure (tasks at chance rise at their modes); a task is not
    let map_note =
        |args: &[&str]| stderr(&scurve_in(d, args)).matches("is a MAP fit, each task's curve at its mode").count();
    assert_eq!(map_note(&["forecast", "f", "--size", "30B", "--mean", "arc_*"]), 1);
    assert_eq!(map_note(&["threshold", "f", "--score", "0.5", "--mean", "arc_*"]), 1);
    assert_eq!(map_note(&["forecast", "f", "--size", "30B", "--task", "arc_easy"]), 0);
    // one mean per family, and only the means without --task
    let v = json(&["forecast", "f", "--size", "30B", "--mean", "arc_*", "--json"]);
    assert_eq!(v["forecasts"].as_array().unwrap().len(), 0);
    let means = v["means"].as_array().unwrap();
    assert_eq!(means.iter().map(|m| m["task"].as_str().unwrap()).collect::<Vec<_>>(), ["opt/arc_*", "pythia/arc_*"]);
    assert_eq!(means[0]["tasks"], serde_json::json!(["opt/arc_challenge", "opt/arc_easy"]));
    assert_eq!(means[0]["weighting"], "tasks");
    // the mean lies between its tasks' forecasts
    let tasks =
        json(&["forecast", "f", "--size", "30B", "--task", "opt/arc_challenge", "--task", "opt/arc_easy", "--json"]);
    let medians: Vec<f64> =
        tasks["forecasts"].as_array().unwrap().iter().map(|r| r["latent_median"].as_f64().unwrap()).collect();
    let m = means[0]["latent_median"].as_f64().unwrap();
    assert!(m > medians[0].min(medians[1]) && m < medians[0].max(medians[1]), "{m} {medians:?}");
    // weighed by items: arc_easy has about twice arc_challenge's, so the mean moves toward it
    let by_items = json(&["forecast", "f", "--size", "30B", "--mean", "opt/arc_*", "--by-items", "--json"]);
    let mi = by_items["means"][0]["latent_median"].as_f64().unwrap();
    assert!((mi - medians[1]).abs() < (m - medians[1]).abs(), "{mi} {m} {medians:?}");
    // with --task the table holds both, the mean labelled with its count
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "opt/piqa", "--mean", "opt/arc_*"]);
    let text = stdout(&out);
    assert!(text.contains("opt/piqa") && text.contains("opt/arc_* (mean of 2)"), "{text}");
    assert!(!stderr(&out).contains("ended with"), "a MAP fit has no chains to fall short: {}", stderr(&out));
    // MAP's independent model has no luck shared by a mean's tasks, and the table says so; the
    // default model of NUTS has a per-model effect and does not need the note
    assert!(text.contains("has no per-model effect"), "{text}");
    let logit = tempfile::tempdir().unwrap();
    example_csv(logit.path());
    let quick = ["--chains", "2", "--warmup", "100", "--draws", "100", "--extend", "0", "--quiet"];
    let out = scurve_in(logit.path(), &[&["fit", "ex.csv", "--out", "f"][..], &quick].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    // the fit shows each evaluated model's luck, the JSON too, one per model
    let text = stdout(&out);
    assert!(text.contains("each model's luck (shift of the logit") && text.contains("  pythia-12b "), "{text}");
    assert!(text.contains("  sd across models: 0.0"), "the luck's sd, with its interval: {text}");
    assert!(text.contains("\npredictive check: ") && text.contains("128 fitted scores"), "{text}");
    let out = scurve_in(logit.path(), &[&["fit", "ex.csv", "--json"][..], &quick].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let luck = v["model_effects"].as_array().unwrap();
    assert_eq!(luck.len(), 16);
    assert_eq!((luck[0]["model"].as_str(), luck[15]["model"].as_str()), (Some("opt-125m"), Some("pythia-12b")));
    assert!(luck.iter().all(|m| m["lo"].as_f64() <= m["est"].as_f64() && m["est"].as_f64() <= m["hi"].as_f64()));
    let out = scurve_in(logit.path(), &["forecast", "f", "--size", "30B", "--mean", "opt/arc_*"]);
    assert!(out.status.success() && !stdout(&out).contains("per-model effect"), "{}", stdout(&out));
    assert!(!stderr(&out).contains("is a MAP fit"), "a NUTS fit's mean has no MAP note: {}", stderr(&out));
    // 2 chains of 100 draws fall short, and what is drawn from the fit says so
    assert!(stderr(&out).contains("note: the fit in f ended with R-hat"), "{}", stderr(&out));
    assert!(stderr(&out).contains("after 100 draws per chain") && stderr(&out).contains("--draws 2000"));
    assert!(stderr(&out).contains("may not describe the posterior"), "{}", stderr(&out));
    // a fit short only in a population value says that what follows rests on values that passed
    let path = logit.path().join("f/fit.json");
    let mut saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    // its forecast values fell short, so the curves at the forecast sizes were checked too
    let curves = &saved["diagnostics"]["forecast_curves"];
    assert!(curves["worst_ess"].as_str().unwrap().starts_with("curve of "), "{curves}");
    assert!(curves["ess_bulk_min"].as_f64().unwrap() < 400.0, "2 × 100 draws: {curves}");
    let diag = &mut saved["diagnostics"];
    (diag["rhat_max"], diag["worst_rhat"], diag["ess_bulk_min"]) =
        (1.014.into(), "ceiling_location".into(), 900.0.into());
    diag["divergences"] = 0.into();
    diag["forecast_values"] =
        serde_json::json!({"rhat_max": 1.006, "worst_rhat": "slope.2", "ess_bulk_min": 512.0, "worst_ess": "floor.1"});
    std::fs::write(&path, serde_json::to_string(&saved).unwrap()).unwrap();
    let out = scurve_in(logit.path(), &["forecast", "f", "--size", "30B", "--task", "opt/arc_easy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = stderr(&out);
    assert!(
        note.contains("ended with R-hat 1.014 (ceiling_location)") && note.contains("only population values"),
        "{note}"
    );
    assert!(
        note.contains("(R-hat at most 1.006, bulk ESS at least 512)") && !note.contains("may not describe"),
        "{note}"
    );
    // short in a task's value too, but not in its curve up to a tenfold scale-up: forecasts up
    // to there rest on draws that agree
    saved["diagnostics"]["forecast_values"] = serde_json::json!({"rhat_max": 1.02, "worst_rhat": "midpoint.2", "ess_bulk_min": 512.0, "worst_ess": "floor.1"});
    saved["diagnostics"]["forecast_curves"] = serde_json::json!({"rhat_max": 1.004, "worst_rhat": "curve of t at 10×",
        "ess_bulk_min": 900.0, "worst_ess": "curve of t at 1×"});
    std::fs::write(&path, serde_json::to_string(&saved).unwrap()).unwrap();
    let note = stderr(&scurve_in(logit.path(), &["forecast", "f", "--size", "30B", "--task", "opt/arc_easy"]));
    assert!(note.contains("at 3× and 10× it passed (R-hat at most 1.004, bulk ESS at least 900)"), "{note}");
    assert!(note.contains("forecasts up to a tenfold scale-up rest on draws that agree"), "{note}");
    let t = json(&["threshold", "f", "--score", "0.5", "--mean", "*", "--json"]);
    let rows = t["means"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["tasks"].as_array().unwrap().len(), 8);
    assert!(rows[0]["p_reach"].as_f64().is_some() && t["thresholds"].as_array().unwrap().is_empty());
    // the same as CSV: a row per task, then per mean, with `never` where the JSON has null
    let args = ["threshold", "f", "--score", "0.95", "--task", "opt/logiqa", "--task", "opt/sciq", "--mean", "*"];
    let t = json(&[&args[..], &["--json"]].concat());
    let out = scurve_in(d, &[&args[..], &["--csv"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (header, rows) = common::read_csv(&text);
    assert_eq!(header, ["task", "score", "median_size", "lo80_size", "hi80_size", "p_reach", "p_now", "p_never"]);
    let expected: Vec<&serde_json::Value> =
        t["thresholds"].as_array().unwrap().iter().chain(t["means"].as_array().unwrap()).collect();
    assert_eq!(rows.len(), 4, "two tasks and the two families' means: {text}");
    let mut never = 0;
    for (row, e) in rows.iter().zip(&expected) {
        // a mean as the table labels it: `opt/* (mean of 8)`
        assert!(row[0].starts_with(e["task"].as_str().unwrap()), "{text}");
        for (i, k) in [(2, "median_size"), (3, "lo80_size"), (4, "hi80_size")] {
            match e[k].as_f64() {
                None => {
                    assert_eq!(&row[i], "never", "{k}: {text}");
                    never += 1;
                }
                Some(v) => assert_eq!(row[i].parse::<f64>().unwrap(), v, "{k}: {text}"),
            }
        }
        for (i, k) in [(5, "p_reach"), (6, "p_already"), (7, "p_never")] {
            assert_eq!(row[i].parse::<f64>().unwrap(), e[k].as_f64().unwrap(), "{k}: {text}");
        }
    }
    assert!(never > 0, "logiqa does not reach 0.95: {text}");
    for (args, says) in [
        (&["forecast", "f", "--size", "30B", "--mean", "nothing*"][..], "matches no task"),
        (&["threshold", "f", "--score", "0.5", "--by-items"][..], "--mean"),
    ] {
        let out = scurve_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

/// A stored forecast of a mean is scored against the mean of its tasks' real results at that
/// size, apart from any task forecasts.
#[test]
fn stored_means_are_scored_against_the_mean_of_the_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &["--family", "opt", "--holdout-above", "13B"]);
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--size", "66B", "--mean", "arc_*", "--save", "m.json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let stored: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(d.join("m.json")).unwrap()).unwrap();
    assert!(stored["rows"].as_array().unwrap().is_empty(), "only the means were asked for");
    // the real means, from the example's counts
    let csv = std::fs::read_to_string(d.join("ex.csv")).unwrap();
    let score = |model: &str, task: &str| -> f64 {
        let line = csv.lines().find(|l| l.contains(&format!(",{model},")) && l.contains(&format!(",{task},"))).unwrap();
        let f: Vec<&str> = line.split(',').collect();
        f[4].parse::<f64>().unwrap() / f[5].parse::<f64>().unwrap()
    };
    let mut errors = Vec::new();
    for (m, model) in stored["means"].as_array().unwrap().iter().zip(["opt-30b", "opt-66b"]) {
        let y = 0.5 * score(model, "arc_challenge") + 0.5 * score(model, "arc_easy");
        errors.push((m["forecast"]["median"].as_f64().unwrap() - y).abs());
    }
    let out = scurve_in(d, &["score", "m.json", "ex.csv", "--family", "opt", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!((v["scored"].as_u64(), v["means"]["scored"].as_u64()), (Some(0), Some(2)), "{v}");
    let want = 100.0 * (errors[0] + errors[1]) / 2.0;
    assert!((v["means"]["mae_pp"].as_f64().unwrap() - want).abs() < 1e-9, "{v} against {want}");
    let text = stdout(&scurve_in(d, &["score", "m.json", "ex.csv", "--family", "opt"]));
    assert!(text.contains("means of tasks (--mean)") && !text.contains("forecast made"), "{text}");
}

#[test]
fn a_fit_whose_data_changed_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_csv(d);
    let out = scurve_in(d, &["fit", "ex.csv", "--method", "map", "--family", "pythia", "--out", "f"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let json = d.join("f/fit.json");
    let saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(saved["data"]["files_hash"].as_str().map(str::len), Some(64), "{}", saved["data"]);
    let with = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut v = saved.clone();
        edit(&mut v);
        std::fs::write(&json, serde_json::to_string_pretty(&v).unwrap()).unwrap();
        let f = scurve_in(d, &["forecast", "f", "--size", "30B"]);
        assert_eq!(f.status.code(), Some(2), "{}", stdout(&f));
        stderr(&f)
    };
    // the same file read into other observations (as when a new version turns scores into
    // counts): the file is not blamed
    let other = |v: &mut serde_json::Value| v["data"]["hash"] = "0".repeat(64).into();
    let e = with(&other);
    let version = env!("CARGO_PKG_VERSION");
    let same = format!(
        "ex.csv is unchanged, but this build of scurve reads it differently from the one that made the fit (both {version})"
    );
    assert!(e.contains(&same) && e.contains("fit again"), "{e}");
    // a fit made by another version says which two
    let e = with(&|v| {
        other(v);
        v["scurve_version"] = "0.0.9".into();
    });
    let other_version =
        format!("this version of scurve ({version}) reads it differently from the one that made the fit (0.0.9)");
    assert!(e.contains(&other_version), "{e}");
    // a fit from before the files' hash was recorded cannot tell which
    let e = with(&|v| {
        other(v);
        v["data"].as_object_mut().unwrap().remove("files_hash");
    });
    assert!(e.contains("changed since this fit was made, or this build of scurve"), "{e}");
    // the file itself changed
    let text = std::fs::read_to_string(d.join("ex.csv"))
        .unwrap()
        .replace("pythia-70m,70426624,arc_easy,888", "pythia-70m,70426624,arc_easy,889");
    std::fs::write(d.join("ex.csv"), text).unwrap();
    let e = with(&|_| {});
    assert!(e.contains("the data file ex.csv changed since this fit was made (") && e.contains("fit again"), "{e}");
    // the file gone: the fit is used as saved, and the user told it went unchecked
    std::fs::write(&json, serde_json::to_string_pretty(&saved).unwrap()).unwrap();
    std::fs::remove_file(d.join("ex.csv")).unwrap();
    let f = scurve_in(d, &["forecast", "f", "--size", "30B"]);
    assert!(f.status.success(), "{}", stderr(&f));
    let note =
        "note: ex.csv that the fit in f was made from is not found (from here): the fit is used as saved, unchecked";
    assert!(stderr(&f).contains(note), "{}", stderr(&f));
}

/// A fit whose `--sizes` map is gone is used as saved, as one whose data is gone, with a note;
/// the map is not required to read the fit.
#[test]
fn a_fit_whose_sizes_map_is_gone_is_used_as_saved() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("w.csv"), "model,arc_easy\nm-a,0.30\nm-b,0.42\nm-c,0.61\n").unwrap();
    std::fs::write(d.join("sizes.csv"), "model,params\nm-a,1e8\nm-b,1e9\nm-c,1e10\n").unwrap();
    let out = scurve_in(d, &["fit", "w.csv", "--sizes", "sizes.csv", "--method", "map", "--out", "f"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::remove_file(d.join("sizes.csv")).unwrap();
    let f = scurve_in(d, &["forecast", "f", "--size", "30B"]);
    assert!(f.status.success(), "{}", stderr(&f));
    assert!(
        stderr(&f).contains("note: sizes.csv that the fit in f was made from is not found (from here)"),
        "{}",
        stderr(&f)
    );
}

#[test]
fn stored_forecasts_are_scored_and_protected() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    example_map_fit(d, &["--family", "opt", "--holdout-above", "13B"]);
    let f = scurve_in(d, &["forecast", "f", "--size", "30B", "--size", "66B", "--save", "pre.json"]);
    assert!(f.status.success(), "{}", stderr(&f));
    let s = scurve_in(d, &["score", "pre.json", "ex.csv", "--family", "opt", "--json"]);
    assert!(s.status.success(), "{}", stderr(&s));
    let v: serde_json::Value = serde_json::from_str(&stdout(&s)).unwrap();
    assert_eq!((v["scored"].as_u64(), v["forecasts"].as_u64()), (Some(16), Some(16)), "{v}");
    assert!(v["mae_pp"].as_f64().unwrap() < 10.0);
    // results for some of the forecasts: the others are said to be left out
    let s = scurve_in(d, &["score", "pre.json", "ex.csv", "--family", "opt", "--task", "arc_easy"]);
    assert!(
        stdout(&s).contains("against 2 results (of its 16; the results hold no score of the others'"),
        "{}",
        stdout(&s)
    );
    // a forecast of one family's tasks, against results of two: which family is for the user
    let s = scurve_in(d, &["score", "pre.json", "ex.csv"]);
    assert_eq!(s.status.code(), Some(2));
    assert!(
        stderr(&s).contains("task 'arc_challenge' is in 2 families of the results (opt, pythia): pick"),
        "{}",
        stderr(&s)
    );
    // and a size held by two models of the results
    let twice = std::fs::read_to_string(d.join("ex.csv")).unwrap();
    let extra: String = twice
        .lines()
        .filter(|l| l.contains(",opt-30b,"))
        .map(|l| l.replace(",opt-30b,", ",opt-30b-re,") + "\n")
        .collect();
    std::fs::write(d.join("twice.csv"), twice + &extra).unwrap();
    let s = scurve_in(d, &["score", "pre.json", "twice.csv", "--family", "opt"]);
    assert_eq!(s.status.code(), Some(2));
    assert!(stderr(&s).contains("two models of 30B for 'arc_challenge', opt-30b and opt-30b-re"), "{}", stderr(&s));
    // without DATA, against the built-in example, which is what the fit was of
    let s = scurve_in(d, &["score", "pre.json", "--family", "opt", "--json"]);
    assert_eq!(stdout(&s), stdout(&scurve_in(d, &["score", "pre.json", "ex.csv", "--family", "opt", "--json"])));
    // but a forecast from other data is not scored against the example by its tasks' names
    let other = std::fs::read_to_string(d.join("ex.csv")).unwrap().replace(",opt-125m,", ",opt-125m-b,");
    std::fs::write(d.join("other.csv"), other).unwrap();
    let out = scurve_in(
        d,
        &["fit", "other.csv", "--method", "map", "--family", "opt", "--holdout-above", "13B", "--out", "g"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(scurve_in(d, &["forecast", "g", "--size", "30B", "--save", "other.json"]).status.success());
    let s = scurve_in(d, &["score", "other.json"]);
    assert_eq!(s.status.code(), Some(2));
    assert!(
        stderr(&s).contains("other.json is a forecast from a fit of other data than the built-in example"),
        "{}",
        stderr(&s)
    );
    assert!(scurve_in(d, &["score", "other.json", "other.csv", "--family", "opt"]).status.success());
    // saving again over it is refused
    let again = scurve_in(d, &["forecast", "f", "--size", "30B", "--save", "pre.json"]);
    assert_eq!(again.status.code(), Some(2));
    // an altered forecast is refused
    let text = std::fs::read_to_string(d.join("pre.json")).unwrap();
    let altered = text.replacen("\"median\": 0.", "\"median\": 0.0", 1);
    assert_ne!(text, altered);
    std::fs::write(d.join("pre.json"), altered).unwrap();
    let s = scurve_in(d, &["score", "pre.json", "ex.csv", "--family", "opt"]);
    assert_eq!(s.status.code(), Some(2));
    assert!(stderr(&s).contains("altered"), "{}", stderr(&s));
}

#[test]
fn nuts_fit_json_has_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = scurve_in(
        d,
        &[
            "fit", "--family", "opt", "--chains", "2", "--warmup", "200", "--draws", "150", "--json", "--out", "n",
            "--quiet",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["method"], "nuts");
    for k in [
        "rhat_max",
        "ess_bulk_min",
        "ess_tail_min",
        "divergences",
        "mean_tree_depth",
        "sampling_seconds",
        "ess_bulk_per_second",
    ] {
        assert!(v["diagnostics"][k].is_number(), "{k}");
    }
    assert!(v["population"]["midpoint_location"]["est"].is_number());
    let luck = v["model_effects"].as_array().expect("the default model has a per-model effect");
    assert_eq!(luck.len(), 8, "one per OPT model of the example");
    // every fitted score is checked against its predictive interval; those outside are listed
    let check = &v["predictive_check"];
    assert_eq!((check["scores"].as_u64(), check["level"].as_f64()), (Some(64), Some(0.99)), "{check}");
    // one repeat per draw: two chains of 450 draws (below the check's 1000)
    assert_eq!(check["repeats"].as_u64(), Some(900), "{check}");
    assert!(check["outside"].as_array().is_some_and(|o| o.len() < 8), "{check}");
    assert_eq!(v["tasks"].as_array().unwrap().len(), 8);
    assert!(d.join("n/draws_2.csv").exists());
    // two chains of 150 draws cannot reach a bulk ESS of 400: extended four times, by 75 each
    // time, and said so; the saved draws are all of them. Then, short by more than a near miss
    // (bulk ESS below 200, or R-hat above 1.02), it stops though --extend allows eight
    assert_eq!(v["diagnostics"]["draws_per_chain"], 450);
    let (rhat, ess) =
        (v["diagnostics"]["rhat_max"].as_f64().unwrap(), v["diagnostics"]["ess_bulk_min"].as_f64().unwrap());
    assert!(rhat > 1.02 || ess < 200.0, "a near miss would have gone on: R-hat {rhat}, ESS {ess}");
    // the values a forecast rests on are checked apart: no population location or scale, no
    // evaluated model's own shift among their worst
    let values = &v["diagnostics"]["forecast_values"];
    for key in ["worst_rhat", "worst_ess"] {
        let name = values[key].as_str().unwrap();
        assert!(
            !name.contains("_location") && !name.contains("_scale") && !name.starts_with("model_logit."),
            "{values}"
        );
    }
    assert!(values["rhat_max"].as_f64().unwrap() <= v["diagnostics"]["rhat_max"].as_f64().unwrap(), "{values}");
    assert!(values["ess_bulk_min"].as_f64().unwrap() >= v["diagnostics"]["ess_bulk_min"].as_f64().unwrap(), "{values}");
    let ext = v["diagnostics"]["extensions"].as_array().unwrap();
    assert_eq!(ext.iter().map(|e| e["after_draws"].as_u64().unwrap()).collect::<Vec<_>>(), [150, 225, 300, 375]);
    assert!(ext.iter().all(|e| e["added"] == 75 && e["ess_bulk_min"].as_f64().unwrap() < 400.0));
    assert_eq!(stderr(&out).matches(" more per chain (--extend 0 keeps to the draws asked for)").count(), 4);
    let draws = std::fs::read_to_string(d.join("n/draws_2.csv")).unwrap();
    assert!(draws.contains("#   num_samples = 450\n"));
    assert_eq!(draws.lines().filter(|l| !l.starts_with('#')).count(), 1 + 450);
    let saved = common::fit_json(&d.join("n"));
    assert_eq!(saved["diagnostics"]["extensions"], v["diagnostics"]["extensions"]);
    assert_eq!(saved["settings"]["extend"], 8);
    // the draws' header names the sampler and its target, as CmdStan's names its engine
    let header = std::fs::read_to_string(d.join("n/draws_1.csv")).unwrap();
    assert!(header.contains("#     engine = walnuts\n#     max_depth = 10\n#     delta = 0.98\n"), "{header:.400}");
    let plain = scurve_in(
        d,
        &[
            "fit",
            "--family",
            "opt",
            "--chains",
            "1",
            "--warmup",
            "60",
            "--draws",
            "20",
            "--sampler",
            "nuts",
            "--extend",
            "0",
            "--out",
            "p",
            "--quiet",
        ],
    );
    assert!(plain.status.success(), "{}", stderr(&plain));
    assert!(stdout(&plain).contains("\nNUTS: 1 chains × 20 draws after 60 warm-up"), "{}", stdout(&plain));
    assert!(!stderr(&plain).contains("more per chain"), "{}", stderr(&plain));
    let header = std::fs::read_to_string(d.join("p/draws_1.csv")).unwrap();
    assert!(header.contains("#     engine = nuts\n#     max_depth = 10\n#     delta = 0.96\n"), "{header:.400}");
    // the saved fit loads and forecasts
    let f = scurve_in(d, &["forecast", "n", "--size", "30B", "--task", "arc_easy"]);
    assert!(f.status.success(), "{}", stderr(&f));
    assert!(stdout(&f).contains("arc_easy"));
}

/// A fit on the compute axis (log10 of 6 · params · tokens) forecasts with the new model's
/// tokens, or at a training compute (`--compute`), and its thresholds are training compute in
/// FLOPs: named so in the table, the JSON and the plot, with --max-compute (not --max-size)
/// setting how far to look.
#[test]
fn a_compute_axis_fit_gives_thresholds_in_flops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // a command line refused with a usage error that says `why`
    let refused = |args: &[&str], why: &str| {
        let out = scurve_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(why), "{}", stderr(&out));
    };
    std::fs::write(d.join("c.csv"), common::chinchilla_csv(&[("rise", 9.1)])).unwrap();
    let out = scurve_in(d, &["fit", "c.csv", "--method", "map", "--x", "compute", "--out", "f"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = scurve_in(d, &["threshold", "f", "--score", "0.5", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let row = &v["thresholds"][0];
    assert!(row.get("median_size").is_none(), "{row}");
    let median = row["median_compute"].as_f64().unwrap();
    // the curve reaches 0.5 where 0.7·logistic(2(log10 N − 9.1)) = 0.25
    let n_half = 10f64.powf(9.1 + (0.25f64 / 0.45).ln() / 2.0);
    let truth = 120.0 * n_half * n_half;
    assert!((median / truth).log10().abs() < 0.1, "{median:e} against {truth:e}");
    assert!(row["lo80_compute"].as_f64().unwrap() <= median && median <= row["hi80_compute"].as_f64().unwrap());
    let out = scurve_in(d, &["threshold", "f", "--score", "0.5", "--max-compute", "1e21", "--plot", "t.svg"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("training compute (FLOPs)") && text.contains("by 1e21 FLOPs"), "{text}");
    let svg = std::fs::read_to_string(d.join("t.svg")).unwrap();
    assert!(svg.contains("Training compute at which") && svg.contains("training compute, FLOPs"));
    // a size is not a compute, nor the other way round
    refused(&["threshold", "f", "--score", "0.5", "--max-size", "1e12"], "--max-compute");
    let out = scurve_in(d, &["fit", "c.csv", "--method", "map", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    refused(&["threshold", "p", "--score", "0.5", "--max-compute", "1e21"], "--max-size");
    // forecasts on the compute axis need the new model's tokens
    refused(&["forecast", "f", "--size", "30B"], "--tokens");
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--tokens", "600B", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // a threshold's horizon may be a multiple of the largest compute
    let fit = common::fit_json(&d.join("f"));
    let largest = 10f64.powf(fit["series"][0]["largest_x"].as_f64().unwrap());
    let out = scurve_in(d, &["threshold", "f", "--score", "0.5", "--max-compute", "10x", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["thresholds"][0]["reach_by"].as_f64(), Some((10.0 * largest).round()), "{v}");
    // and a multiple of a size would be of training compute there, which --compute asks for
    refused(
        &["forecast", "f", "--size", "3x"],
        "a multiple would be of training compute: ask for that with --compute 3x",
    );
    let out = scurve_in(d, &["forecast", "f", "--compute", "3x", "--compute", "1.08e23", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let rows = v["forecasts"].as_array().unwrap();
    assert!(rows.iter().all(|r| r.get("size").is_none()), "{v}");
    assert_eq!((rows[0]["compute"].as_f64(), rows[0]["times"].as_f64()), (Some((3.0 * largest).round()), Some(3.0)));
    // 1.08e23 FLOPs is 30B parameters trained on 600B tokens: the same forecast
    let by_size = scurve_in(d, &["forecast", "f", "--size", "30B", "--tokens", "600B", "--json"]);
    let w: serde_json::Value = serde_json::from_str(&stdout(&by_size)).unwrap();
    for k in ["median", "lo80", "hi80", "latent_median"] {
        let (a, b) = (rows[1][k].as_f64().unwrap(), w["forecasts"][0][k].as_f64().unwrap());
        assert!((a - b).abs() < 0.01, "{k}: {a} against {b}");
    }
    let text = stdout(&scurve_in(d, &["forecast", "f", "--compute", "3x"]));
    assert!(text.starts_with("task  compute") && text.contains("largest training compute each task"), "{text}");
    let out = scurve_in(d, &["plot", "f", "--compute", "3x", "--out", "plots"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // a forecast at a compute names no model for `score` to find; a fit of sizes has no compute
    refused(&["forecast", "f", "--compute", "3x", "--save", "s.json"], "--size and --tokens");
    refused(&["forecast", "p", "--compute", "1e23"], "this one is on sizes: use --size");
    // a mean of one task is that task, in FLOPs too
    let out = scurve_in(d, &["threshold", "f", "--score", "0.5", "--mean", "ri*", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let mean = &v["means"][0];
    assert!(mean.get("median_size").is_none(), "{mean}");
    assert!((mean["median_compute"].as_f64().unwrap() / median).log10().abs() < 1e-6, "{mean} against {median:e}");
}

/// The dispersion model: its d is printed with the luck, saved among the draws (a population
/// value ArviZ reads like any other), and a saved fit forecasts with it.
#[test]
fn a_dispersion_fit_prints_saves_and_forecasts_with_its_d() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let args = [
        "fit",
        "--model",
        "dispersion",
        "--family",
        "opt",
        "--chains",
        "2",
        "--warmup",
        "150",
        "--draws",
        "100",
        "--extend",
        "0",
        "--out",
        "f",
        "--quiet",
    ];
    let out = scurve_in(d, &args);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let line = text.lines().find(|l| l.starts_with("the counts' dispersion d")).unwrap_or_else(|| panic!("{text}"));
    let numbers: Vec<f64> =
        line.rsplit(": ").next().unwrap().split([' ', '[', ']', ',']).filter_map(|w| w.parse().ok()).collect();
    assert!(numbers.len() == 3 && numbers[1] <= numbers[0] && numbers[0] <= numbers[2] && numbers[1] > 0.0, "{line}");
    let draws = std::fs::read_to_string(d.join("f/draws_1.csv")).unwrap();
    let header = draws.lines().find(|l| !l.starts_with('#')).unwrap();
    assert!(header.split(',').any(|c| c == "dispersion"), "{header}");
    let saved = common::fit_json(&d.join("f"));
    assert!(saved["population"]["dispersion"]["est"].is_number(), "{}", saved["population"]);
    let f = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "arc_easy", "--json"]);
    assert!(f.status.success(), "{}", stderr(&f));
    assert!(stdout(&f).contains("arc_easy"));
}

/// A few scores without item counts (two Pythia tasks at four sizes, as a spreadsheet holds
/// them): the curves can pass through every score, and without a least sd of logit(score) the
/// posterior's mass sits at σ → 0, where no chain can move (R-hat in the tens, every transition
/// divergent). With the default model's least sd (0.02, `[noise] min_sd`) the fit passes its
/// checks and σ stays at what the items' sampling gives (about 0.04 on these tasks).
#[test]
fn a_few_scores_without_item_counts_fit_with_a_least_noise() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = std::fs::read_to_string(common::shared("data/tidy/pythia-0shot.csv")).unwrap();
    let (head, rows) = common::read_csv(&text);
    let col = |name: &str| head.iter().position(|h| h == name).unwrap();
    let mut csv = String::from("task,model,params,score\n");
    for r in &rows {
        let sizes = ["pythia-160m", "pythia-410m", "pythia-1.4b", "pythia-2.8b"];
        if ["arc_easy", "piqa"].contains(&&r[col("task")]) && sizes.contains(&&r[col("model")]) {
            let score = r[col("correct")].parse::<f64>().unwrap() / r[col("n")].parse::<f64>().unwrap();
            // names the item-count table does not know, so the scores stay scores
            csv += &format!("my_{},{},{},{score}\n", &r[col("task")], &r[col("model")], &r[col("params")]);
        }
    }
    std::fs::write(d.join("s.csv"), csv).unwrap();
    let chance = ["--chance", "my_arc_easy=0.25", "--chance", "my_piqa=0.5"];
    let fit =
        |model: &str| json_in(d, &[&["fit", "s.csv", "--model", model, "--json", "--quiet"][..], &chance].concat());
    let v = fit("hierarchical");
    let g = &v["diagnostics"];
    assert!(g["rhat_max"].as_f64().unwrap() <= 1.01 && g["divergences"] == 0, "{g}");
    let sigma = &v["population"]["sigma"];
    assert!(sigma["lo"].as_f64().unwrap() > 0.02 && (0.025..0.06).contains(&sigma["est"].as_f64().unwrap()), "{sigma}");
    // the table says it too
    let out = scurve_in(d, &[&["fit", "s.csv", "--quiet"][..], &chance].concat());
    let line = format!(
        "the spread of the scores without item counts around their curves (sd of logit(score), at least 0.02; 0.04 is about a point at 50%): {:.3}",
        sigma["est"].as_f64().unwrap()
    );
    assert!(stdout(&out).contains(&line), "{}", stdout(&out));
    // the same model without the least sd
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/models/hierarchical.toml")).unwrap();
    assert!(text.contains("min_sd = 0.02"));
    std::fs::write(d.join("none.toml"), text.replace("min_sd = 0.02", "min_sd = 0")).unwrap();
    let g = &fit("none.toml")["diagnostics"];
    assert!(g["rhat_max"].as_f64().unwrap() > 1.1, "{g}");
}
