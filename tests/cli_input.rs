//! Every class of bad input gives a one-line error naming file, row/key and field, exit code 2.

mod common;

use common::{falling_families_csv, scurve, scurve_in, scurve_piped, shared, stderr, stdout};

const HEADER: &str = "task,model,params,correct,n,chance\n";

fn good_rows() -> String {
    "a,m1,1e8,30,100,0.25\na,m2,1e9,40,100,0.25\na,m3,1e10,60,100,0.25\n".to_string()
}

/// Write `body` to a CSV in a temp dir, run `scurve fit` on it, and check the error.
fn bad_csv(body: &str, must_contain: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "bad.csv", "--method", "map"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("bad.csv"), "names the file: {err}");
    for m in must_contain {
        assert!(err.contains(m), "expected '{m}' in: {err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_file() {
    let out = scurve(&["fit", "no-such-file.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("no-such-file.csv"), "{err}");
    // the reason once, not again as the error's cause
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(err.matches("No such file").count(), 1, "{err}");
}

/// Data, a missing folder, or a folder of fits given where a saved fit is read: one line that
/// says what it is and what to give instead.
#[test]
fn data_given_for_a_saved_fit_says_how_to_fit_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("d.csv"), format!("{HEADER}{}", good_rows())).unwrap();
    std::fs::create_dir_all(d.join("fits/a")).unwrap();
    std::fs::create_dir_all(d.join("harness")).unwrap();
    std::fs::write(d.join("fits/a/fit.json"), "{}").unwrap();
    for (args, says) in [
        (&["forecast", "d.csv", "--size", "30B"][..], "d.csv is a file, not a saved fit"),
        (&["threshold", "harness", "--score", "0.8"][..], "harness is a folder without a fit.json, not a saved fit"),
        (&["plot", "nosuch", "--out", "p"][..], "nosuch: no such folder"),
        (&["forecast", "fits", "--size", "30B"][..], "fits is not a saved fit, but holds some: fits/a"),
    ] {
        let out = scurve_in(d, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
    let err = stderr(&scurve_in(d, &["forecast", "d.csv", "--size", "30B"]));
    assert!(err.contains("`scurve fit d.csv --out fits/NAME`"), "{err}");
}

/// `-` reads a CSV from standard input; a saved fit keeps a copy, which later commands read
/// (held-out points) and check (a changed copy is refused), as they do a data file.
#[test]
fn a_dash_reads_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let example = scurve(&["example"]).stdout;
    let out = scurve_piped(d, &["inspect", "-"], &example);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("standard input: 8 tasks, 16 models"), "{}", stdout(&out));
    let out = scurve_piped(d, &["fit", "-", "--method", "map", "--holdout-above", "13B", "--out", "f"], &example);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(std::fs::read(d.join("f/stdin.csv")).unwrap(), example);
    let fit = common::fit_json(&d.join("f"));
    assert_eq!(fit["data"]["source"], "-");
    let out = scurve_in(d, &["forecast", "f", "--size", "30B", "--task", "opt/arc_easy"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // the held-out points come from the copy: OPT's 30B and 66B on the task's picture
    let out = scurve_in(d, &["plot", "f", "--task", "opt/arc_easy", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let svg = std::fs::read_to_string(d.join("p/tasks/opt_arc_easy.svg")).unwrap();
    assert!(svg.contains("held out"), "held-out points in the legend");
    // a changed copy is refused, by its path
    let copy = String::from_utf8(example.clone()).unwrap().replace(",1703,2376,", ",1600,2376,");
    assert_ne!(copy.as_bytes(), &example[..]);
    std::fs::write(d.join("f/stdin.csv"), copy).unwrap();
    let out = scurve_in(d, &["forecast", "f", "--size", "30B"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("the data file f/stdin.csv (standard input, as the fit read it) changed"), "{err}");
    // bad input is named as standard input, with its row and field; JSON and a second `-` are refused
    for (input, args, says) in [
        (
            &b"task,model,params,correct,n,chance\narc,m1,1e9,x,100,0.25\n"[..],
            &["fit", "-"][..],
            "standard input: row 2, field 'correct'",
        ),
        (&b"{\"results\": {}}"[..], &["fit", "-"][..], "standard input: this is JSON"),
        (&example[..], &["fit", "-", "-"][..], "'-' (standard input) is given twice"),
        (&b""[..], &["inspect", "-"][..], "standard input: the file is empty"),
    ] {
        let out = scurve_piped(d, args, input);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    }
}

/// A --model that is neither a file nor a built-in name (an old one, say) lists the built-ins.
#[test]
fn unknown_model() {
    let out = scurve(&["fit", "--model", "model_logit"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("model_logit") && err.contains("hierarchical, no_model_effect"), "{err}");
}

#[test]
fn empty_file() {
    bad_csv("", &["empty"]);
    bad_csv(HEADER, &["no rows"]);
}

#[test]
fn missing_column() {
    bad_csv("task,model,params,correct,chance\na,m,1e9,3,0.25\n", &["row 1", "field 'n'", "missing column"]);
    bad_csv("task,params,correct,n,chance\na,1e9,3,10,0.25\n", &["field 'model'"]);
}

#[test]
fn non_numeric_and_non_finite() {
    bad_csv(&format!("{HEADER}{}a,m4,1e11,abc,100,0.25\n", good_rows()), &["row 5", "field 'correct'", "abc"]);
    bad_csv(&format!("{HEADER}a,m1,NaN,30,100,0.25\n"), &["row 2", "field 'params'"]);
    bad_csv(&format!("{HEADER}a,m1,1e9,30,100,inf\n"), &["row 2", "field 'chance'"]);
}

#[test]
fn score_outside_unit_interval() {
    bad_csv("task,model,params,score,chance\na,m1,1e9,1.5,0.25\n", &["row 2", "field 'score'", "outside"]);
    bad_csv("task,model,params,score,chance\na,m1,1e9,-0.1,0.25\n", &["field 'score'"]);
}

#[test]
fn correct_above_n_and_zero_n() {
    bad_csv(&format!("{HEADER}a,m1,1e9,120,100,0.25\n"), &["row 2", "field 'correct'", "exceeds"]);
    bad_csv(&format!("{HEADER}a,m1,1e9,0,0,0.25\n"), &["row 2", "field 'n'"]);
}

#[test]
fn bad_sizes() {
    bad_csv(&format!("{HEADER}a,m1,-5,30,100,0.25\n"), &["row 2", "field 'params'", "positive"]);
    bad_csv(&format!("{HEADER}a,m1,0,30,100,0.25\n"), &["row 2", "field 'params'"]);
}

#[test]
fn conflicting_duplicates() {
    bad_csv(&format!("{HEADER}{}a,m2,1e9,41,100,0.25\n", good_rows()), &["row 5", "twice", "--skip-task a"]);
    // one model at two sizes, in two tasks' rows: a typo that would fit it at both
    let b = good_rows().replace("a,", "b,").replace("m2,1e9", "m2,2e9");
    bad_csv(
        &format!("{HEADER}{}{b}", good_rows()),
        &["row 6, field 'params'", "model 'm2' has size 2B here but 1B at", "row 3"],
    );
    let tokens = "task,model,params,tokens,correct,n,chance\na,m1,1e8,2e9,30,100,0.25\nb,m1,1e8,3e9,30,100,0.25\n";
    bad_csv(tokens, &["row 3, field 'tokens'", "model 'm1' has training tokens 3B here but 2B at"]);
}

/// `--keep-first`: of a task and model given two results, the first read is fitted, a note
/// names the other, and a saved fit remembers the choice; a model at two sizes in one task's
/// rows is still refused, and not pointed to the flag.
#[test]
fn keep_first_keeps_the_first_of_two_results() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let b = good_rows().replace("a,", "b,");
    std::fs::write(d.join("r.csv"), format!("{HEADER}{}{b}a,m2,1e9,41,100,0.25\n", good_rows())).unwrap();
    let out = scurve_in(d, &["fit", "r.csv", "--method", "map", "--keep-first", "--out", "f", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let note = "note: --keep-first kept the result read first of each task and model given twice with different \
                values: task 'a', model 'm2' from r.csv: row 3, not r.csv: row 8";
    assert!(stderr(&out).contains(note), "{}", stderr(&out));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("f/fit.json")).unwrap()).unwrap();
    assert_eq!(saved["data"]["keep_first"], true);
    // m2's 40 of a's row 3 is fitted, not the 41 of row 8
    assert_eq!(saved["observations"]["y"], serde_json::json!([30, 40, 60, 30, 40, 60]), "{}", saved["observations"]);
    // the saved fit is read again with the choice it was made with
    assert!(scurve_in(d, &["forecast", "f", "--size", "30B"]).status.success());
    // and the report's facts say what was left out
    let quick = ["--chains", "2", "--warmup", "100", "--draws", "100", "--extend", "0", "--quiet", "--no-validate"];
    let out = scurve_in(d, &[&["report", "r.csv", "--keep-first", "--out", "r.html"][..], &quick].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(page.contains("results given twice") && page.contains("r.csv: row 3, not r.csv: row 8"), "no fact");
    let twice = format!("{HEADER}{}a,m2,2e9,41,100,0.25\n", good_rows());
    std::fs::write(d.join("s.csv"), twice).unwrap();
    let out = scurve_in(d, &["inspect", "s.csv", "--keep-first"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("appears twice") && !stderr(&out).contains("--keep-first"), "{}", stderr(&out));
}

/// A harness result file of model `name` at checkpoint `revision` (v0.3's model_args string, or
/// v0.4's object when `object`), scoring `acc` on arc_easy and piqa (1000 items each).
fn harness_at(name: &str, revision: &str, acc: f64, object: bool) -> String {
    let se = (acc * (1.0 - acc) / 999.0).sqrt();
    let args = if object {
        format!(r#"{{"pretrained": "org/{name}", "revision": "{revision}"}}"#)
    } else {
        format!(r#""pretrained=org/{name},revision={revision}""#)
    };
    let task = |t: &str| format!(r#""{t}": {{"acc": {acc}, "acc_stderr": {se}}}"#);
    format!(
        r#"{{"results": {{{}, {}}}, "config": {{"model_args": {args}, "num_fewshot": 0}}}}"#,
        task("arc_easy"),
        task("piqa")
    )
}

/// Harness files of several checkpoints of one model (`revision=` in model_args), or a CSV's
/// rows of them (a `revision` column), are several models of one size: refused with both
/// revisions and files (or rows) named, until `--revision` picks one, which a saved fit
/// remembers; a revision no file has, or a model without it, is named.
#[test]
fn revisions_of_one_model_need_a_choice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("h")).unwrap();
    for (file, name, rev, acc, object) in [
        ("a.json", "pythia-70m", "step143000", 0.40, false),
        ("b.json", "pythia-160m", "step143000", 0.45, false),
        ("c.json", "pythia-160m", "step71500", 0.43, true),
        ("d.json", "pythia-410m", "step143000", 0.52, false),
        ("e.json", "pythia-410m", "step71500", 0.50, false),
        ("f.json", "pythia-1b", "step143000", 0.58, false),
    ] {
        std::fs::write(d.join("h").join(file), harness_at(name, rev, acc, object)).unwrap();
    }
    let out = scurve_in(d, &["fit", "h", "--method", "map"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let says = "h/c.json: key 'config.model_args': model 'pythia-160m' is given at 2 revisions: step143000 \
                (h/b.json), step71500 (h/c.json); so is 'pythia-410m'; each is another checkpoint";
    assert!(err.contains(says) && err.contains("choose one with --revision"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // the final checkpoint: one result per model, the revision's own
    let out = scurve_in(d, &["fit", "h", "--method", "map", "--revision", "step143000", "--out", "f", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = common::fit_json(&d.join("f"));
    assert_eq!(saved["data"]["revision"], "step143000");
    assert_eq!(saved["observations"]["y"], serde_json::json!([400, 450, 520, 580, 400, 450, 520, 580]));
    assert!(scurve_in(d, &["forecast", "f", "--size", "7B"]).status.success());
    // the report's facts name the checkpoint
    let quick = ["--chains", "2", "--warmup", "100", "--draws", "100", "--extend", "0", "--quiet", "--no-validate"];
    let out = scurve_in(d, &[&["report", "h", "--revision", "step143000", "--out", "r.html"][..], &quick].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let page = std::fs::read_to_string(d.join("r.html")).unwrap();
    assert!(page.contains("checkpoint (--revision)</dt><dd>step143000</dd>"), "no fact");
    // the other: two models have no result at it
    let out = scurve_in(d, &["inspect", "h", "--revision", "step71500"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains(
            "model 'pythia-1b' has no results at --revision step71500, only at step143000 (h/f.json); nor has \
                      'pythia-70m'; leave them out with --skip-model 'pythia-1b' --skip-model 'pythia-70m'"
        ),
        "{err}"
    );
    let out = scurve_in(d, &["inspect", "h", "--revision", "step71500", "--skip-model", "pythia-1b", "--json"]);
    assert_eq!(out.status.code(), Some(2), "pythia-70m still lacks it");
    let two = ["--skip-model", "pythia-1b", "--skip-model", "pythia-70m"];
    let out = scurve_in(d, &[&["inspect", "h", "--revision", "step71500", "--json"][..], &two].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"observations\": 4"), "{}", stdout(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["revisions"], serde_json::json!([{"revision": "step71500", "models": 2}]));
    let out = scurve_in(d, &["inspect", "h", "--revision", "step1"]);
    assert!(stderr(&out).contains("no results at --revision step1 (found: step143000, step71500)"), "{}", stderr(&out));
    // results that record no revision are kept beside those that do; asked of data with none, it says so
    std::fs::write(d.join("h/g.json"), harness_at("opt-125m", "", 0.41, false).replace(",revision=", "")).unwrap();
    let out = scurve_in(d, &["inspect", "h", "--revision", "step143000", "--json"]);
    assert!(out.status.success() && stdout(&out).contains("\"observations\": 10"), "{}", stderr(&out));
    let csv = d.join("r.csv");
    std::fs::write(&csv, format!("{HEADER}{}", good_rows())).unwrap();
    let out = scurve_in(d, &["inspect", "r.csv", "--revision", "step143000"]);
    assert!(stderr(&out).contains("no results record a revision"), "{}", stderr(&out));
    // a CSV's revision column, tidy or wide, the same way, its rows named
    let tidy = "task,model,params,correct,n,chance,revision\na,m1,1e8,30,100,0.25,s2\na,m2,1e9,40,100,0.25,s2\n\
                a,m3,1e10,60,100,0.25,s2\na,m3,1e10,55,100,0.25,s1\n";
    std::fs::write(&csv, tidy).unwrap();
    let out = scurve_in(d, &["inspect", "r.csv"]);
    let err = stderr(&out);
    assert!(
        err.contains(
            "r.csv: row 5, field 'revision': model 'm3' is given at 2 revisions: s2 (r.csv: row 4), s1 (r.csv: row 5)"
        ),
        "{err}"
    );
    let out = scurve_in(d, &["fit", "r.csv", "--method", "map", "--revision", "s2", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // models each at one checkpoint, not all the same: inspect says which
    std::fs::write(&csv, tidy.replace("a,m3,1e10,60,100,0.25,s2\n", "")).unwrap();
    let out = scurve_in(d, &["inspect", "r.csv"]);
    assert!(stdout(&out).contains("\nrevisions: s1 (1 model), s2 (2 models)\n"), "{}", stdout(&out));
    let wide = "model,params (B),revision,arc_easy\nm1,0.1,s2,0.30\nm2,1,s2,0.40\nm3,10,s1,0.55\nm3,10,s2,0.60\n";
    std::fs::write(&csv, wide).unwrap();
    let out = scurve_in(d, &["inspect", "r.csv", "--json", "--revision", "s1"]);
    assert!(
        stderr(&out).contains("model 'm1' has no results at --revision s1, only at s2 (r.csv: row 2)"),
        "{}",
        stderr(&out)
    );
    let out = scurve_in(d, &["inspect", "r.csv", "--json", "--revision", "s2"]);
    assert!(out.status.success() && stdout(&out).contains("\"observations\": 3"), "{}", stderr(&out));
}

/// Every task with conflicting rows is named at once, not one per run.
#[test]
fn all_conflicting_tasks_are_named_at_once() {
    let b = good_rows().replace("a,", "b,");
    bad_csv(
        &format!("{HEADER}{}{b}a,m2,1e9,41,100,0.25\nb,m3,1e10,61,100,0.25\n", good_rows()),
        &["row 8", "twice", "so do 'b'", "--skip-task a --skip-task b"],
    );
}

#[test]
fn identical_duplicates_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), format!("{HEADER}{}a,m2,1e9,40,100,0.25\n", good_rows())).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "d.csv", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"observations\": 3"));
}

#[test]
fn too_few_sizes_fail_the_fit_but_inspect_lists_them() {
    let body = format!("{HEADER}{}b,m1,1e8,30,100,0.25\nb,m2,1e9,35,100,0.25\n", good_rows());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("few.csv"), &body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "few.csv", "--method", "map"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("'b'") && stderr(&out).contains("3"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--skip-task b"), "says how to leave it out: {}", stderr(&out));
    let out = scurve_in(dir.path(), &["inspect", "few.csv"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("fewer than 3 sizes"));
    assert!(stdout(&out).contains("1 of 2 series have fewer than 3 sizes: fit the rest with --skip-short"));
    // leaving it out, or naming the tasks to keep, fits the rest
    for only in [["--skip-task", "b"], ["--task", "a"]] {
        let out = scurve_in(dir.path(), &["fit", "few.csv", "--method", "map", "--json", only[0], only[1]]);
        assert!(out.status.success(), "{only:?}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let tasks: Vec<&str> = v["tasks"].as_array().unwrap().iter().map(|t| t["task"].as_str().unwrap()).collect();
        assert_eq!(tasks, ["a"], "{only:?}");
    }
}

/// inspect points out a set of tasks that reads as one benchmark (MMLU's 57 subjects) and how
/// to get its mean; a handful of unrelated tasks gets no such line.
#[test]
fn inspect_names_benchmarks_of_many_tasks() {
    let data = shared("data/tidy/opt-0shot.csv");
    let out = scurve(&["inspect", data.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("hendrycksTest-* (57 tasks); `forecast --mean 'hendrycksTest-*'`"),
        "{}",
        stdout(&out)
    );
    let out = scurve(&["inspect"]);
    assert!(out.status.success() && !stdout(&out).contains("--mean"), "{}", stdout(&out));
}

/// inspect names the series whose scores have no item count (fitted on the logit scale, with
/// a spread the fit learns), and says an `n` column makes them counts; counts get no such line.
#[test]
fn inspect_names_the_scores_without_item_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let rows = "mine,m1,1e8,0.30,\nmine,m2,1e9,0.41,\nmine,m3,1e10,0.52,\n\
                arc_easy,m1,1e8,0.30,2376\narc_easy,m2,1e9,0.41,2376\narc_easy,m3,1e10,0.52,2376\n";
    std::fs::write(d.join("s.csv"), format!("task,model,params,score,n\n{rows}")).unwrap();
    let out = stdout(&scurve_in(d, &["inspect", "s.csv", "--chance", "0.25"]));
    assert!(out.contains("scores without item counts: 'mine';") && out.contains("an `n` column"), "{out}");
    let out = stdout(&scurve_in(d, &["inspect", "s.csv", "--task", "mine", "--chance", "0.25"]));
    assert!(out.contains("scores without item counts: every series;"), "{out}");
    let out = stdout(&scurve_in(d, &["inspect", "s.csv", "--task", "arc_easy"]));
    assert!(!out.contains("without item counts"), "{out}");
}

#[test]
fn a_papers_rounded_percentages_of_known_tasks_become_counts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // ARC-C to one decimal (543/1172 is 46.3%), HellaSwag to none (±50 of 10,042 items)
    let table = "Model,Params (B),ARC-C (%),HellaSwag (%)\na,0.4,25.1,31\nb,1.4,30.6,41\nc,6.9,46.3,62\n";
    std::fs::write(d.join("paper.csv"), table).unwrap();
    let out = stdout(&scurve_in(d, &["inspect", "paper.csv"]));
    assert!(out.contains("rounded scores taken as counts: 'ARC-C' (1172 items, 3 decimals);"), "{out}");
    assert!(out.contains("scores without item counts: 'HellaSwag';"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&scurve_in(d, &["inspect", "paper.csv", "--json"]))).unwrap();
    let items: Vec<_> = json["series"].as_array().unwrap().iter().map(|s| s["items"].as_u64()).collect();
    assert_eq!(items, [Some(1172), None]);
    assert_eq!(json["rounded_counts"], serde_json::json!([{ "task": "ARC-C", "items": 1172, "decimals": 3 }]));
    // --items keeps them scores (none), or makes them counts of another n, over the built-in table
    let items = |flag: &str| {
        let out = stdout(&scurve_in(d, &["inspect", "paper.csv", "--json", "--items", flag]));
        let json: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["rounded_counts"], serde_json::json!([]), "{flag}");
        json["series"].as_array().unwrap().iter().map(|s| s["items"].as_u64()).collect::<Vec<_>>()
    };
    assert_eq!(items("ARC-C=none"), [None, None]);
    assert_eq!(items("ARC-?=1000"), [Some(1000), None]);
    assert_eq!(items("*=none"), [None, None]);
    let out = scurve_in(d, &["fit", "paper.csv", "--items", "ARC-C=none", "--method", "map", "--out", "f"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("f/fit.json")).unwrap()).unwrap();
    assert_eq!(saved["data"]["task_items"], serde_json::json!({"ARC-C": null}), "{}", saved["data"]);
    assert!(saved["series"].as_array().unwrap().iter().all(|s| s["items"].is_null()), "{}", saved["series"]);
    assert!(scurve_in(d, &["forecast", "f", "--size", "20B"]).status.success());
    // one cell that no count of 1,172 items rounds to keeps the whole column as scores
    std::fs::write(d.join("paper.csv"), table.replace("30.6", "30.66")).unwrap();
    let out = stdout(&scurve_in(d, &["inspect", "paper.csv"]));
    assert!(!out.contains("rounded scores") && out.contains("scores without item counts: every series"), "{out}");
}

#[test]
fn inspect_names_scores_that_are_whole_counts_of_some_number_of_items() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // 'mine' is 301, 402 and 515 of 743 items, to every digit; 'mean' a mean of probabilities
    let share = |k: f64| (k / 743.0).to_string();
    let table = format!(
        "Model,Params (B),mine,mean\na,0.4,{},0.3898020280158031\nb,1.4,{},0.3417240296370838\nc,6.9,{},0.4492349372188735\n",
        share(301.0),
        share(402.0),
        share(515.0)
    );
    std::fs::write(d.join("t.csv"), &table).unwrap();
    let out = stdout(&scurve_in(d, &["inspect", "t.csv", "--chance", "0.25"]));
    assert!(
        out.contains("scores that are whole counts: 'mine' (743 items);") && out.contains("`--items 'mine=743'`"),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&stdout(&scurve_in(d, &["inspect", "t.csv", "--chance", "0.25", "--json"]))).unwrap();
    assert_eq!(json["revealed_items"], serde_json::json!([{ "task": "mine", "items": 743 }]));
    // a fit says so too
    let out = scurve_in(d, &["fit", "t.csv", "--chance", "0.25", "--method", "map"]);
    assert!(
        stderr(&out).contains("of 'mine' (743 items) is a whole count") && stderr(&out).contains("--items 'mine=743'")
    );
    // so given, they are counts, and nothing is left to reveal; a fit keeps the flag with it
    let out = stdout(&scurve_in(d, &["inspect", "t.csv", "--chance", "0.25", "--items", "mine=743"]));
    assert!(!out.contains("whole counts") && out.contains("scores without item counts: 'mean';"), "{out}");
    let out =
        scurve_in(d, &["fit", "t.csv", "--chance", "0.25", "--items", "mi*=743", "--method", "map", "--out", "f"]);
    assert!(out.status.success() && !stderr(&out).contains("--items"), "{}", stderr(&out));
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("f/fit.json")).unwrap()).unwrap();
    assert_eq!(saved["data"]["task_items"], serde_json::json!({"mi*": 743}), "{}", saved["data"]);
    let mine = saved["series"].as_array().unwrap().iter().find(|s| s["name"] == "mine").unwrap();
    assert_eq!(mine["items"], 743, "{mine}");
    let out = scurve_in(d, &["forecast", "f", "--size", "20B"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // the same file made into other counts by the saved options (as a version of scurve that
    // read --items otherwise would) is refused, though its observations' hash is the same
    let fit_json = d.join("f/fit.json");
    let text = std::fs::read_to_string(&fit_json).unwrap();
    std::fs::write(&fit_json, text.replacen("\"mi*\": 743", "\"mi*\": 744", 1)).unwrap();
    let out = scurve_in(d, &["forecast", "f", "--size", "20B"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("reads it differently") && stderr(&out).contains("the same observations"));
    // the same in a wide table's column name
    std::fs::write(d.join("t.csv"), table.replace(",mine,", ",mine (n=743),")).unwrap();
    let out = stdout(&scurve_in(d, &["inspect", "t.csv", "--chance", "0.25"]));
    assert!(!out.contains("whole counts") && out.contains("scores without item counts: 'mean';"), "{out}");
    let out = scurve_in(d, &["inspect", "t.csv", "--items", "mine=0"]);
    assert_eq!(out.status.code(), Some(2));
    // the count the column's name gives is one --items can overrule, and none keeps scores
    let out = stdout(&scurve_in(d, &["inspect", "t.csv", "--chance", "0.25", "--items", "mine=none"]));
    assert!(!out.contains("whole counts") && out.contains("scores without item counts: every series"), "{out}");
}

#[test]
fn a_holdout_that_leaves_no_task_fittable_says_so_in_one_line() {
    let data = shared("data/tidy/opt-0shot.csv");
    let data = data.to_str().unwrap();
    let out = scurve(&["fit", data, "--method", "map", "--holdout-above", "200M"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.len() < 300 && err.contains("none of the 65 tasks") && err.contains("sizes kept: 125M"), "{err}");
    // 10.2 (a log size, or 10.2B without its unit) would be ten parameters, which left every
    // task with nothing: it is refused as it is read
    let out = scurve(&["fit", data, "--method", "map", "--holdout-above", "10.2"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("'10.2' is under 1,000: give its unit ('10.2B' for 10.2 billion)"), "{err}");
}

#[test]
fn every_task_with_too_few_sizes_is_named_at_once() {
    let body = format!("{HEADER}{}b,m1,1e8,30,100,0.25\nb,m2,1e9,35,100,0.25\ne,m3,1e10,35,100,0.25\n", good_rows());
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("few.csv"), &body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "few.csv", "--method", "map"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
    assert!(err.contains("'b' (2), 'e' (1)") && err.contains("--skip-task b --skip-task e"), "{err}");
    let out = scurve_in(dir.path(), &["fit", "few.csv", "--method", "map", "--skip-task", "b", "--skip-task", "e"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// Many tasks seen at too few sizes (a harness folder whose models ran different task lists):
/// the error names a few and the one flag that leaves them all out; a fit with it remembers it.
#[test]
fn many_short_tasks_are_left_out_by_one_flag() {
    let mut body = format!("{HEADER}{}a,m4,1e11,70,100,0.25\n", good_rows());
    for t in 0..6 {
        body += &format!("s{t},m1,1e8,30,100,0.25\ns{t},m4,1e11,40,100,0.25\n");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "d.csv", "--method", "map"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("6 tasks") && err.contains("and 3 more") && err.contains("--skip-short"), "{err}");
    assert!(!err.contains("--skip-task s5"), "{err}");
    let fit = ["fit", "d.csv", "--method", "map", "--skip-short", "--holdout-above", "5e10", "--out", "f", "--json"];
    let out = scurve_in(dir.path(), &fit);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("left out 6 of 7 tasks"), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["tasks"].as_array().unwrap().len(), 1);
    let saved = common::fit_json(&dir.path().join("f"));
    assert_eq!(saved["data"]["skip_short"], true);
    // the plot reads the data again with the same selection (and marks a's held-out point)
    let out = scurve_in(dir.path(), &["plot", "f", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("p/tasks/a.svg").exists() && !dir.path().join("p/tasks/s0.svg").exists());
    // counted up to the holdout: a, with 2 sizes below 5e9, is left out too, and nothing remains
    let out = scurve_in(dir.path(), &["fit", "d.csv", "--method", "map", "--skip-short", "--holdout-above", "5e9"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no task is left"), "{}", stderr(&out));
}

/// A task whose scores are all exactly 0 (or 1), with no item counts, gives the logit-normal
/// likelihood nothing to fit (it once clamped them to 1e-4 and the noise scale could not be
/// sampled): the fit stops and says what to do.
#[test]
fn a_score_only_task_at_exactly_zero_is_refused() {
    let mut body = "task,model,params,score,chance\n".to_string();
    for (m, p) in [("m1", "1e8"), ("m2", "1e9"), ("m3", "1e10")] {
        body += &format!("a,{m},{p},0.4,0.25\nz,{m},{p},0,0\n");
    }
    bad_csv(&body, &["'z'", "exactly 0", "--skip-task z"]);
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.csv"), &body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "s.csv", "--method", "map", "--skip-task", "z"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // one score of 0 among others is still fitted
    std::fs::write(dir.path().join("s.csv"), body.replace("z,m3,1e10,0,0", "z,m3,1e10,0.1,0")).unwrap();
    let out = scurve_in(dir.path(), &["fit", "s.csv", "--method", "map"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // two families, one at exactly 0 throughout: the task named once, and the way to keep the
    // family whose scores are fine
    let mut two = "task,model,family,params,score,chance\n".to_string();
    for (m, p) in [("1", "1e8"), ("2", "1e9"), ("3", "1e10")] {
        two += &format!("a,f{m},f,{p},0.4,0.25\nz,f{m},f,{p},0,0\na,g{m},g,{p},0.4,0.25\nz,g{m},g,{p},0.0{m},0\n");
    }
    bad_csv(&two, &["task 'f/z' has", "--skip-task z, which leaves the task out of every family", "--family"]);
    std::fs::write(dir.path().join("two.csv"), &two).unwrap();
    let out = scurve_in(dir.path(), &["fit", "two.csv", "--method", "map", "--family", "g"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn an_unknown_task_to_keep_or_skip_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), format!("{HEADER}{}", good_rows())).unwrap();
    for flag in ["--task", "--skip-task"] {
        let out = scurve_in(dir.path(), &["fit", "d.csv", "--method", "map", flag, "nosuch"]);
        assert_eq!(out.status.code(), Some(2), "{flag}");
        assert!(stderr(&out).contains("no task 'nosuch'") && stderr(&out).contains("d.csv"), "{}", stderr(&out));
    }
}

/// A saved fit remembers the tasks it left out: commands that read its data again (here the
/// plot, for the held-out points) select the same tasks, so a task whose rows conflict, left
/// out of the fit, does not stop them.
#[test]
fn a_saved_fit_reads_its_data_again_without_the_skipped_tasks() {
    let mut body = format!("{HEADER}{}a,m4,1e11,70,100,0.25\n", good_rows());
    body += "c,m1,1e8,26,100,0.25\nc,m2,1e9,28,100,0.25\nc,m3,1e10,45,100,0.25\nc,m4,1e11,60,100,0.25\n";
    body += "d,m1,1e8,30,100,0.25\nd,m1,1e8,31,100,0.25\n";
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("d.csv"), body).unwrap();
    let fit = ["fit", "d.csv", "--method", "map", "--holdout-above", "5e10", "--out", "f"];
    let out = scurve_in(dir.path(), &fit);
    assert_eq!(out.status.code(), Some(2), "the conflicting rows of d stop a fit that keeps d");
    let out = scurve_in(dir.path(), &[&fit[..], &["--skip-task", "d"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let out = scurve_in(dir.path(), &["plot", "f", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("p/tasks/a.svg").exists() && !dir.path().join("p/tasks/d.svg").exists());
}

/// Data in several files is one data set; a fit remembers every file, reads them all again
/// and notices when any of them changed.
#[test]
fn a_fit_of_several_files_reads_them_all_again() {
    let dir = tempfile::tempdir().unwrap();
    let second = "c,m1,1e8,26,100,0.25\nc,m2,1e9,28,100,0.25\nc,m3,1e10,45,100,0.25\nc,m4,1e11,60,100,0.25\n";
    std::fs::write(dir.path().join("a.csv"), format!("{HEADER}{}a,m4,1e11,70,100,0.25\n", good_rows())).unwrap();
    std::fs::write(dir.path().join("c.csv"), format!("{HEADER}{second}")).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "a.csv", "c.csv", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("\"observations\": 8"), "{}", stdout(&out));
    let fit = ["fit", "a.csv", "c.csv", "--method", "map", "--holdout-above", "5e10", "--out", "f"];
    let out = scurve_in(dir.path(), &fit);
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = common::fit_json(&dir.path().join("f"));
    assert_eq!(saved["data"]["sources"], serde_json::json!(["a.csv", "c.csv"]), "{}", saved["data"]);
    let out = scurve_in(dir.path(), &["plot", "f", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("p/tasks/a.svg").exists() && dir.path().join("p/tasks/c.svg").exists());
    // the second file changes: the fit no longer describes it
    std::fs::write(dir.path().join("c.csv"), format!("{HEADER}{}", second.replace("60,100", "61,100"))).unwrap();
    let out = scurve_in(dir.path(), &["forecast", "f", "--size", "1e12"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("changed"), "{}", stderr(&out));
    // rows that disagree between the files name both
    std::fs::write(dir.path().join("c.csv"), format!("{HEADER}{}", good_rows().replace("40,100", "41,100"))).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "a.csv", "c.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("a.csv") && err.contains("c.csv") && err.contains("twice"), "{err}");
}

/// Files without a family column that share a task are one ladder per task: inspect (and a fit)
/// says so, and how to keep them apart; files that share no task, or name their families, get
/// no such line.
#[test]
fn inspect_says_when_files_without_families_make_one_ladder() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let other = "a,n1,2e8,31,100,0.25\na,n2,2e9,45,100,0.25\na,n3,2e10,66,100,0.25\n";
    std::fs::write(d.join("a.csv"), format!("{HEADER}{}", good_rows())).unwrap();
    std::fs::write(d.join("b.csv"), format!("{HEADER}{other}")).unwrap();
    std::fs::write(d.join("c.csv"), format!("{HEADER}{}", other.replace("a,", "c,"))).unwrap();
    let with = |rows: &str, family: &str| rows.lines().map(|l| format!("{l},{family}\n")).collect::<String>();
    let header = "task,model,params,correct,n,chance,family\n";
    std::fs::write(d.join("fa.csv"), format!("{header}{}", with(&good_rows(), "m"))).unwrap();
    std::fs::write(d.join("fb.csv"), format!("{header}{}", with(other, "n"))).unwrap();
    let says = |files: &[&str]| {
        let out = scurve_in(d, &[&["inspect"][..], files].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).contains("have no family column, so each task they share is one curve")
    };
    assert!(says(&["a.csv", "b.csv"]));
    let out = stdout(&scurve_in(d, &["inspect", "a.csv", "b.csv"]));
    assert!(out.contains("\na.csv, b.csv have no family column"), "{out}");
    assert!(!says(&["a.csv", "c.csv"]), "no task in common");
    assert!(!says(&["fa.csv", "fb.csv"]), "families named");
    assert!(!says(&["a.csv"]));
    // and a fit says it too, as a note
    let out = scurve_in(d, &["fit", "a.csv", "b.csv", "--method", "map"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("note: a.csv, b.csv have no family column"), "{}", stderr(&out));
    let out = scurve_in(d, &["fit", "a.csv", "c.csv", "--method", "map"]);
    assert!(out.status.success() && !stderr(&out).contains("no family column"), "{}", stderr(&out));
}

/// `--shots K` cannot tell whether a result that records no setting is K-shot: with inputs of
/// both kinds it stops, naming the first such row, rather than drop them without a word.
#[test]
fn shots_with_an_input_that_records_none_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let with: String = good_rows().lines().map(|l| format!("{l},0\n")).collect();
    std::fs::write(dir.path().join("s.csv"), format!("task,model,params,correct,n,chance,shots\n{with}")).unwrap();
    let other = "b,m1,1e8,30,100,0.25\nb,m2,1e9,35,100,0.25\nb,m3,1e10,50,100,0.25\n";
    std::fs::write(dir.path().join("u.csv"), format!("{HEADER}{other}")).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "s.csv", "u.csv", "--shots", "0"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("u.csv") && err.contains("row 2") && err.contains("--shots 0"), "{err}");
    // leaving that task out, or not asking for a setting, reads the rest
    for extra in [&["--shots", "0", "--skip-task", "b"][..], &[][..]] {
        let out = scurve_in(dir.path(), &[&["inspect", "s.csv", "u.csv"][..], extra].concat());
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
    }
}

/// A validation with nothing to score says which half failed: sizes to fit, or one to predict.
#[test]
fn validate_with_nothing_to_score_says_why() {
    for (split, why) in [
        (&["--holdout-above", "1e13"][..], "no task has 3 sizes at or below 10T and one above it"),
        (&["--holdout-largest", "6"][..], "holding out its 6 largest leaves fewer than the 3"),
    ] {
        let out = scurve(&[&["validate", "--methods", "persistence"][..], split].concat());
        assert_eq!(out.status.code(), Some(2), "{split:?}");
        assert!(stderr(&out).contains(why), "{split:?}: {}", stderr(&out));
    }
}

/// The methods' names as the tables print them (`independent_map`) are accepted beside the
/// option's own spelling (`independent-map`).
#[test]
fn validate_methods_as_the_tables_name_them() {
    for methods in ["persistence,independent_map", "persistence,independent-map"] {
        let out = scurve(&["validate", "--holdout-largest", "1", "--methods", methods, "--json"]);
        assert!(out.status.success(), "{methods}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert!(v.to_string().contains("\"independent_map\""), "{methods}");
    }
}

/// A validation's NUTS fit that falls short (here 2 chains of 50 draws cannot reach a bulk ESS
/// of 400) is named on standard error and in the JSON, so that its scores are not taken on trust.
#[test]
fn validate_names_a_fit_that_falls_short() {
    let quick = ["--chains", "2", "--warmup", "100", "--draws", "50", "--extend", "0", "--quiet"];
    let args = ["validate", "--family", "opt", "--holdout-largest", "1", "--methods", "hierarchical,persistence"];
    let out = scurve(&[&args[..], &quick, &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("warning: the hierarchical fit of sizes up to 30B ended with R-hat"), "{err}");
    assert!(err.contains("after 50 draws per chain"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let fits = v["fits"].as_array().unwrap();
    assert_eq!(fits.len(), 1);
    assert_eq!((fits[0]["falls_short"].as_bool(), fits[0]["largest_fitted"].as_f64()), (Some(true), Some(3e10)));
}

/// `--model` repeated compares model files in one run: a row each, named with its model, in the
/// tables, the JSON and the warnings of fits that fell short.
#[test]
fn validate_compares_model_files() {
    let quick = ["--chains", "2", "--warmup", "100", "--draws", "50", "--extend", "0", "--quiet"];
    let args = ["validate", "--family", "opt", "--holdout-largest", "1", "--methods", "hierarchical,persistence"];
    let models = ["--model", "hierarchical", "--model", "no_model_effect"];
    let out = scurve(&[&args[..], &models, &quick].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("8 held-out scores (models: hierarchical, no_model_effect)"), "{text}");
    for row in ["hierarchical:hierarchical ", "hierarchical:no_model_effect ", "persistence "] {
        assert!(text.lines().any(|l| l.starts_with(row)), "{row}: {text}");
    }
    let err = stderr(&out);
    for m in ["hierarchical", "no_model_effect"] {
        assert!(err.contains(&format!("warning: the hierarchical fit ({m}) of sizes up to 30B")), "{err}");
    }
    let out = scurve(&[&args[..], &models, &quick, &["--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["models"], serde_json::json!(["hierarchical", "no_model_effect"]));
    let fits: Vec<&str> = v["fits"].as_array().unwrap().iter().map(|f| f["model_file"].as_str().unwrap()).collect();
    assert_eq!(fits, ["hierarchical", "no_model_effect"]);
    let methods: Vec<&String> = v["methods"].as_object().unwrap().keys().collect();
    assert_eq!(methods, ["hierarchical:hierarchical", "hierarchical:no_model_effect", "persistence"]);
}

/// `--mean` scores the mean of the matching tasks apart from the tasks, per family, and says
/// which pattern matches nothing.
#[test]
fn validate_scores_means_of_tasks_apart() {
    let run = |extra: &[&str]| {
        scurve(&[&["validate", "--holdout-largest", "1", "--methods", "persistence,momentum"][..], extra].concat())
    };
    let out = run(&["--mean", "arc_*", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    // the example's 16 tasks are scored as before; two families, one largest model each
    assert_eq!(v["heldout"], 16);
    assert_eq!(v["model"], "hierarchical", "the pooled methods' model is named");
    assert_eq!(v["means"]["heldout"], 2);
    let first = &v["means"]["predictions"][0];
    assert_eq!(first["task"], "opt/arc_* (mean of 2)");
    assert_eq!(first["mean_of"], 2);
    let out = run(&["--mean", "arc_*"]);
    assert!(stdout(&out).contains("2 held-out means of tasks"), "{}", stdout(&out));
    let out = run(&["--mean", "nope*"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--mean 'nope*' matches no task"), "{}", stderr(&out));
}

/// Each prediction is there to read, with what was observed: in the JSON and as CSV, the same
/// rows, from which the tables' figures follow.
#[test]
fn validate_lists_every_prediction_as_json_and_csv() {
    let args = ["validate", "--holdout-largest", "1", "--methods", "persistence,independent_map", "--mean", "arc_*"];
    let out = scurve(&[&args[..], &["--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let preds = v["predictions"].as_array().unwrap();
    // 16 held-out scores, two methods each; the means are listed apart, under "means"
    assert_eq!(preds.len(), 32);
    assert!(preds.iter().all(|p| p["mean_of"].is_null() && p["observed"].is_number()));
    let out = scurve(&[&args[..], &["--csv"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (header, rows) = common::read_csv(&text);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    assert_eq!(rows.len(), 32 + 2 * 2, "the tasks' predictions, then each family's arc mean by both methods");
    let (method, task, mean_of) = (col("method"), col("task"), col("mean_of"));
    assert_eq!(&rows[32][mean_of], "2");
    assert_eq!(&rows[32][task], rows[32][task].split(" (").next().unwrap().to_string() + " (mean of 2)");
    // persistence has no interval: empty cells, not NaN
    let persistence = rows.iter().find(|r| &r[method] == "persistence").unwrap();
    assert_eq!((&persistence[col("lo80")], &persistence[col("pit")]), ("", ""));
    assert!(!text.contains("NaN"), "{text}");
    // the CSV's rows give the table's MAE
    let num = |r: &csv::StringRecord, c: &str| r[col(c)].parse::<f64>().unwrap();
    let ind: Vec<&csv::StringRecord> = rows[..32].iter().filter(|r| &r[method] == "independent_map").collect();
    assert!(ind.iter().all(|r| num(r, "lo80") <= num(r, "hi80")));
    let mae = ind.iter().map(|r| (num(r, "predicted") - num(r, "observed")).abs()).sum::<f64>() / ind.len() as f64;
    let reported = v["methods"]["independent_map"]["mae_pp"].as_f64().unwrap();
    assert!((100.0 * mae - reported).abs() < 1e-9, "{mae} {reported}");
    // --json and --csv are one or the other
    assert_eq!(scurve(&[&args[..], &["--json", "--csv"]].concat()).status.code(), Some(2));
    // the table lists the first method's misses furthest into a tail of its predictive
    // distribution, furthest first; a method without one (persistence) lists none
    let head = "the misses independent_map was surest of";
    let out = scurve(&["validate", "--holdout-largest", "1", "--methods", "independent_map,persistence"]);
    let text = stdout(&out);
    let listed: Vec<&str> = text.split(head).nth(1).expect("the misses").lines().skip(1).collect();
    let pits: Vec<f64> = listed.iter().map(|l| l.rsplit("PIT ").next().unwrap().parse().unwrap()).collect();
    assert!(!pits.is_empty() && pits.len() <= 5, "{text}");
    let tail: Vec<f64> = pits.iter().map(|p| p.min(1.0 - p)).collect();
    assert!(tail.iter().all(|&t| t < 0.1) && tail.windows(2).all(|w| w[0] <= w[1]), "{text}");
    let csv_rows: Vec<String> = stdout(&scurve(&[&args[..], &["--csv"]].concat())).lines().map(String::from).collect();
    for l in &listed {
        let task = l.split_whitespace().next().unwrap();
        assert!(csv_rows.iter().any(|r| r.starts_with(&format!("independent_map,{task},"))), "{l}");
    }
    let out = scurve(&["validate", "--holdout-largest", "1", "--methods", "persistence,independent_map"]);
    assert!(!stdout(&out).contains("was surest of"), "{}", stdout(&out));
}

/// `--above chance+0.05`: each prediction's score to pass and the method's probability of it,
/// and a Brier column from them; a score a task cannot have is refused, naming it.
#[test]
fn validate_scores_the_chance_of_passing_a_score() {
    let args = ["validate", "--holdout-largest", "1", "--methods", "independent_map,persistence", "--above"];
    let out = scurve(&[&args[..], &["chance+0.05", "--csv"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let (header, rows) = common::read_csv(&text);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    let num = |r: &csv::StringRecord, c: &str| r[col(c)].parse::<f64>().unwrap();
    let chance = |task: &str| match task.rsplit('/').next().unwrap() {
        "lambada_openai" => 0.0,
        "arc_easy" | "arc_challenge" | "logiqa" | "sciq" => 0.25,
        _ => 0.5,
    };
    let mut brier = std::collections::BTreeMap::<String, Vec<f64>>::new();
    for r in &rows {
        assert!((num(r, "above") - (chance(&r[col("task")]) + 0.05)).abs() < 1e-12, "{r:?}");
        let p = num(r, "p_above");
        if &r[col("method")] == "persistence" {
            assert_eq!(p, if num(r, "predicted") > num(r, "above") { 1.0 } else { 0.0 }, "{r:?}");
        }
        let passed = if num(r, "observed") > num(r, "above") { 1.0 } else { 0.0 };
        brier.entry(r[col("method")].to_string()).or_default().push((p - passed).powi(2));
    }
    let out = scurve(&[&args[..], &["chance+0.05", "--json"]].concat());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    for (m, sq) in &brier {
        let expected = sq.iter().sum::<f64>() / sq.len() as f64;
        assert!((v["methods"][m]["brier"].as_f64().unwrap() - expected).abs() < 1e-12, "{m}");
    }
    let text = stdout(&scurve(&[&args[..], &["chance+0.05"]].concat()));
    assert!(text.lines().nth(1).unwrap().ends_with("95%  Brier"), "{text}");
    assert!(text.contains("(Brier: of each method's probability that a held-out score is above chance + 0.05"));
    // none asked, none given
    let text = stdout(&scurve(&args[..args.len() - 1]));
    assert!(!text.contains("Brier"), "{text}");
    let out = scurve(&[&args[..], &["chance+0.6"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("has chance 0.5, so its score would be 1.100, outside [0, 1]"), "{}", stderr(&out));
}

#[test]
fn unknown_chance_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.csv"), "task,model,params,correct,n\nmytask,m1,1e9,3,10\n").unwrap();
    let out = scurve_in(dir.path(), &["inspect", "c.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("mytask") && stderr(&out).contains("--chance"));
    let out = scurve_in(dir.path(), &["inspect", "c.csv", "--chance", "0.25"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A wide table (one row per model, a column per task): units in the headers, percentages,
/// item counts, per-task chance levels that a saved fit remembers.
#[test]
fn a_wide_table_fits_with_its_units_and_chance_levels() {
    let dir = tempfile::tempdir().unwrap();
    // as a data frame writes it, with its index first and a compute column
    let body = ",Model,Family,Params (M),FLOPs (1E21),ARC-C (n=1172),Mine (%)\n\
                0,m1,f,100,1,0.25,26\n1,m2,f,1000,10,0.3,35\n2,m3,f,10000,100,0.45,60\n3,m4,f,100000,1000,0.6,\n";
    std::fs::write(dir.path().join("w.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "w.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("field 'Mine (%)'") && err.contains("--chance 'Mine=P'"), "{err}");
    let out = scurve_in(dir.path(), &["inspect", "w.csv", "--chance", "Mine=0.25", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["observations"], 7, "{j}");
    let fit = ["fit", "w.csv", "--method", "map", "--chance", "Mine=0.25", "--out", "f", "--json"];
    let out = scurve_in(dir.path(), &fit);
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let tasks: Vec<&str> = j["tasks"].as_array().unwrap().iter().map(|t| t["task"].as_str().unwrap()).collect();
    assert_eq!(tasks, ["ARC-C", "Mine"]);
    // the percentages were read as fractions: the fitted ceiling of Mine is below 1
    assert!(j["tasks"][1]["ceiling"]["est"].as_f64().unwrap() < 1.0, "{j}");
    let saved = common::fit_json(&dir.path().join("f"));
    assert_eq!(saved["data"]["task_chance"], serde_json::json!({"Mine": 0.25}), "{}", saved["data"]);
    let out = scurve_in(dir.path(), &["plot", "f", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("p/tasks/Mine.svg").exists());
}

#[test]
fn wide_table_bad_input() {
    bad_csv("Model,Params (B),X\nm1,1,1.5\nm2,2,53\n", &["row 2", "field 'X'", "outside", "(%)"]);
    bad_csv("Model,Params (B),X\nm1,1,abc\n", &["row 2", "field 'X'", "not a score: 'abc'"]);
    bad_csv("Model,Params (B),X,Y\nm1,1,0.5,abc\n", &["row 2", "field 'Y'", "--skip-task 'Y'"]);
    bad_csv("Model,Params,X\nm1,7,0.5\n", &["row 2", "field 'Params'", "unit"]);
    bad_csv("Model,Params (furlongs),X\nm1,7,0.5\n", &["row 1", "field 'Params (furlongs)'", "unknown unit"]);
    bad_csv("Model,Params (B),Size (B),X\nm1,7,7,0.5\n", &["row 1", "field 'Size (B)'", "same as"]);
    bad_csv("Model,X\nmystery,0.5\n", &["row 2", "size of model 'mystery'", "--sizes"]);
    bad_csv("Model,Params (B),X\n,7,0.5\n", &["row 2", "field 'Model'", "empty"]);
    bad_csv("Model,Params (B),shots,X\nm1,7,1.5,0.5\n", &["row 2", "field 'shots'", "whole number"]);
    let big_shots = format!("{}a,m1,1e8,30,100,0.25,5000000000\n", HEADER.replace("chance", "chance,shots"));
    bad_csv(&big_shots, &["row 2", "field 'shots'", "more than any prompt"]);
    // a tidy file without its task column is not read as a wide one
    bad_csv("model,params,correct,n,chance\nm,1e9,3,10,0.25\n", &["missing column 'task'", "wide table"]);
}

/// A column that is not scores (text, a 0–100 metric) stops the fit until it is left out.
#[test]
fn a_wide_tables_bad_column_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let body = "Model,Family,Params (B),ARC-C,BLEU,License\n\
                a-1,a,1,0.3,12.5,mit\na-2,a,2,0.35,20.1,mit\na-3,a,4,0.42,31,mit\n\
                b-1,b,1,0.31,0.2,mit\nb-2,b,2,0.36,0.3,mit\nb-3,b,4,0.45,0.4,mit\n";
    std::fs::write(dir.path().join("w.csv"), body).unwrap();
    let run = |extra: &[&str]| scurve_in(dir.path(), &[&["fit", "w.csv", "--method", "map"][..], extra].concat());
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // both bad columns at once, the first with its cell
    assert!(err.contains("row 2, field 'BLEU'") && err.contains("so do columns 'License'"), "{err}");
    assert!(err.contains("--skip-task 'BLEU' --skip-task 'License'"), "{err}");
    let out = run(&["--skip-task", "BLEU"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("field 'License'") && stderr(&out).contains("not a score: 'mit'"),
        "{}",
        stderr(&out)
    );
    let out = run(&["--skip-task", "BLEU", "--skip-task", "License", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // or only the score columns kept
    let out = run(&["--task", "ARC-C"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // with many bad columns the error points to --task
    let many =
        "Model,Params (B),ARC-C,a,b,c,d,e,f\nm-1,1,0.3,x,x,x,x,x,x\nm-2,2,0.4,x,x,x,x,x,x\nm-3,4,0.5,x,x,x,x,x,x\n";
    std::fs::write(dir.path().join("many.csv"), many).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "many.csv"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("and 2 more") && stderr(&out).contains("--task"), "{}", stderr(&out));
    // family b's BLEU cells are scores: its fit needs only License left out
    let out = run(&["--family", "b", "--skip-task", "License", "--chance", "BLEU=0"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("BLEU"), "{}", stdout(&out));
}

/// A model can be left out (an API model of unknown size, a bad checkpoint); a saved fit
/// remembers it, and the commands that read the data again leave it out too.
#[test]
fn a_model_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let body = "Model,Params (B),ARC-C,PIQA\nacme-500m,0.5,0.27,0.56\nacme-1b,1,0.30,0.60\nacme-2b,2,0.36,0.65\n\
                acme-4b,4,0.45,0.70\nacme-8b,8,0.20,0.50\napi-model,,0.80,0.85\n";
    std::fs::write(dir.path().join("w.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "w.csv"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("row 7") && err.contains("'api-model'") && err.contains("--skip-model 'api-model'"), "{err}");
    let fit = ["fit", "w.csv", "--method", "map", "--skip-model", "api-model", "--skip-model", "acme-8b"];
    let out = scurve_in(dir.path(), &[&fit[..], &["--holdout-above", "3B", "--out", "f", "--json"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    let saved = common::fit_json(&dir.path().join("f"));
    assert_eq!(saved["data"]["skip_models"], serde_json::json!(["api-model", "acme-8b"]), "{}", saved["data"]);
    // the plot reads the data again for the held-out sizes, leaving the same models out
    // (api-model, of no size, would stop it otherwise)
    let out = scurve_in(dir.path(), &["plot", "f", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = scurve_in(dir.path(), &["forecast", "f", "--size", "8B", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // a name the data does not hold
    let out = scurve_in(dir.path(), &["inspect", "w.csv", "--skip-model", "acme-9b"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no model 'acme-9b'"), "{}", stderr(&out));
}

/// `--family` repeated keeps those families, each task of each its own series; a saved fit
/// remembers them, and a fit saved when one family could be kept (`"family"`) still reads.
#[test]
fn several_families_can_be_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut body = "family,task,model,params,correct,n,chance\n".to_string();
    for (f, base) in [("a", 30), ("b", 35), ("c", 40)] {
        for (i, size) in ["1e8", "1e9", "1e10", "1e11"].iter().enumerate() {
            body += &format!("{f},t,{f}{i},{size},{},100,0.25\n", base + 10 * i);
        }
    }
    std::fs::write(dir.path().join("f.csv"), body).unwrap();
    let fit = ["fit", "f.csv", "--method", "map", "--family", "a", "--family", "c", "--json", "--out", "fit"];
    let out = scurve_in(dir.path(), &fit);
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let names: Vec<&str> = j["tasks"].as_array().unwrap().iter().map(|t| t["task"].as_str().unwrap()).collect();
    assert_eq!(names, ["a/t", "c/t"]);
    let path = dir.path().join("fit/fit.json");
    let mut saved: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(saved["data"]["families"], serde_json::json!(["a", "c"]), "{}", saved["data"]);
    let out = scurve_in(dir.path(), &["forecast", "fit", "--size", "1e12", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    // as an earlier release wrote a fit of one family
    saved["data"].as_object_mut().unwrap().remove("families");
    saved["data"]["family"] = serde_json::json!("a");
    let record: scurve::fitio::DataRecord = serde_json::from_value(saved["data"].clone()).unwrap();
    assert_eq!(record.selection().families, ["a"]);
    let out = scurve_in(dir.path(), &["fit", "f.csv", "--method", "map", "--family", "a", "--family", "z"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no family 'z' (found: a, b, c)"), "{}", stderr(&out));
}

/// A task whose scores fall with size is fitted, with a note that its rising curve says little;
/// a fall only in the sizes held out is not one.
#[test]
fn a_falling_task_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("{HEADER}{}f,m1,1e8,60,100,0.25\nf,m2,1e9,45,100,0.25\nf,m3,1e10,30,100,0.25\n", good_rows());
    std::fs::write(dir.path().join("f.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "f.csv", "--method", "map"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).contains("'f' falls with size"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("'a'"), "{}", stderr(&out));
    let body = format!("{HEADER}{}a,m4,1e11,10,100,0.25\n", good_rows());
    std::fs::write(dir.path().join("g.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "g.csv", "--method", "map", "--holdout-above", "5e10"]);
    assert!(out.status.success() && !stderr(&out).contains("falls"), "{}", stderr(&out));
    // a task of two sizes cannot be fitted: the error names it, the note does not
    let body = format!("{HEADER}{}s,m1,1e8,60,100,0.25\ns,m2,1e9,30,100,0.25\n", good_rows());
    std::fs::write(dir.path().join("s.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["fit", "s.csv", "--method", "map"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("2 size(s)") && !stderr(&out).contains("falls"), "{}", stderr(&out));
    // two falling tasks and a model with a per-model effect: the note says what the luck can do
    // to the chains (a MAP fit's independent model has none, and says nothing of it)
    let falling = "f,m1,1e8,60,100,0.25\nf,m2,1e9,45,100,0.25\nf,m3,1e10,30,100,0.25\n\
                   g,m1,1e8,70,100,0.25\ng,m2,1e9,50,100,0.25\ng,m3,1e10,40,100,0.25\n";
    std::fs::write(dir.path().join("h.csv"), format!("{HEADER}{}{falling}", good_rows())).unwrap();
    let quick = ["--chains", "1", "--warmup", "60", "--draws", "30", "--extend", "0", "--quiet"];
    for (model, says) in [("hierarchical", true), ("no_model_effect", false)] {
        let out = scurve_in(dir.path(), &[&["fit", "h.csv", "--model", model][..], &quick].concat());
        assert!(out.status.success(), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("fall with size") && err.contains("'f', 'g'"), "{err}");
        assert_eq!(err.contains("--model no_model_effect"), says, "{model}: {err}");
    }
    let out = scurve_in(dir.path(), &["fit", "h.csv", "--method", "map"]);
    assert!(!stderr(&out).contains("per-model effect"), "{}", stderr(&out));
}

/// A fall is judged by the line through every size, not by the first and last alone: a steady
/// fall whose ends lie within the noise of each other falls (OPT's MMLU human_aging), and
/// scores that only bounce, to a low last size, do not (Pythia deduped's 5-shot MMLU high
/// school statistics).
#[test]
fn a_fall_is_judged_by_the_trend_over_every_size() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = ["7e7", "1.6e8", "4.1e8", "1e9", "1.4e9", "2.8e9", "6.9e9", "1.2e10"];
    let mut body = HEADER.to_string();
    for (task, counts, n) in
        [("steady", [81, 80, 79, 72, 68, 65, 57, 64], 223), ("bounce", [72, 60, 51, 66, 51, 58, 67, 48], 216)]
    {
        for (i, (size, y)) in sizes.iter().zip(counts).enumerate() {
            body += &format!("{task},m{i},{size},{y},{n},0.25\n");
        }
    }
    std::fs::write(dir.path().join("f.csv"), body).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "f.csv", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let falls: Vec<(String, bool)> = j["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["series"].as_str().unwrap().to_string(), s["falls"].as_bool().unwrap()))
        .collect();
    assert_eq!(falls, [("bounce".to_string(), false), ("steady".to_string(), true)]);
    // the line itself: steady's slope is −4.71 points per decade, its standard error 1.52
    let steady = &j["series"][1];
    let (slope, se) = (steady["trend_per_decade"].as_f64().unwrap(), steady["trend_se"].as_f64().unwrap());
    assert!((slope + 0.04714).abs() < 1e-4 && (se - 0.01520).abs() < 1e-4, "{slope} {se}");
    let out = scurve_in(dir.path(), &["inspect", "f.csv"]);
    assert!(stdout(&out).contains("falls with size (-4.7 ± 1.5 pp per decade)"), "{}", stdout(&out));
}

/// `--skip-falling` leaves out each series whose scores fall with size up to the holdout, in
/// its own family only; the note names them, a saved fit remembers it, and later commands that
/// read the data again keep to the same series.
#[test]
fn falling_tasks_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("f.csv"), falling_families_csv()).unwrap();
    let tasks = |out: &std::process::Output| -> Vec<String> {
        let j: serde_json::Value = serde_json::from_str(&stdout(out)).unwrap();
        j["tasks"].as_array().unwrap().iter().map(|t| t["task"].as_str().unwrap().to_string()).collect()
    };
    let fit = ["fit", "f.csv", "--method", "map", "--skip-falling", "--json"];
    let out = scurve_in(dir.path(), &[&fit[..], &["--out", "fit"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tasks(&out), ["a/t", "a/u", "b/t"]);
    let err = stderr(&out);
    assert!(err.contains("left out 3 of 6 tasks, whose scores fall with size: 'a/v', 'b/u', 'b/v'"), "{err}");
    assert!(!err.contains("falls with size in the data fitted"), "nothing left falls: {err}");
    let saved = common::fit_json(&dir.path().join("fit"));
    assert_eq!(saved["data"]["skip_falling"], true);
    let out = scurve_in(dir.path(), &["plot", "fit", "--out", "p"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("p/tasks/a_u.svg").exists() && !dir.path().join("p/tasks/b_u.svg").exists());
    // judged up to the holdout: v's fall lies above it, so v stays in both families
    let out = scurve_in(dir.path(), &[&fit[..], &["--holdout-above", "5e10"]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(tasks(&out), ["a/t", "a/u", "a/v", "b/t", "b/v"]);
    assert!(stderr(&out).contains("left out 1 of 6 tasks, whose scores fall with size up to the holdout: 'b/u'"));
    // inspect points to the flag, and lists what is left with it; a selection with nothing left
    // that rises is an error
    let out = scurve_in(dir.path(), &["inspect", "f.csv"]);
    assert!(
        stdout(&out).contains(
            "\n3 of 6 series fall with size, which an S-curve cannot follow: fit the rest with --skip-falling"
        ),
        "{}",
        stdout(&out)
    );
    let out = scurve_in(dir.path(), &["inspect", "f.csv", "--skip-falling", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stdout(&out).contains("b/u"), "{}", stdout(&out));
    let out =
        scurve_in(dir.path(), &["fit", "f.csv", "--method", "map", "--skip-falling", "--family", "b", "--task", "u"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no task is left that rises with size (--skip-falling"), "{}", stderr(&out));
}

/// `--chance PATTERN=P` gives the level to every task the pattern matches, before the built-in
/// table; a task's own name comes first, patterns that disagree on a task are refused, and a
/// level the data give is still checked against it.
#[test]
fn chance_levels_by_pattern() {
    let dir = tempfile::tempdir().unwrap();
    let rows = |task: &str| format!("{task},m1,1e8,30,100\n{task},m2,1e9,40,100\n{task},m3,1e10,60,100\n");
    let body = format!("task,model,params,correct,n\n{}{}{}", rows("mb_x"), rows("mb_y"), rows("arc_easy"));
    std::fs::write(dir.path().join("p.csv"), body).unwrap();
    std::fs::write(dir.path().join("d.csv"), format!("{HEADER}{}", good_rows())).unwrap();
    let run = |file: &str, extra: &[&str]| scurve_in(dir.path(), &[&["inspect", file, "--json"][..], extra].concat());
    let chances = |extra: &[&str]| -> Vec<(String, f64)> {
        let out = run("p.csv", extra);
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
        let series = v["series"].as_array().unwrap();
        series.iter().map(|s| (s["task"].as_str().unwrap().to_string(), s["chance"].as_f64().unwrap())).collect()
    };
    let level = |all: &[(String, f64)], task: &str| all.iter().find(|(t, _)| t == task).unwrap().1;
    let all = chances(&["--chance", "mb_*=0.2"]);
    assert_eq!((level(&all, "mb_x"), level(&all, "mb_y"), level(&all, "arc_easy")), (0.2, 0.2, 0.25));
    let all = chances(&["--chance", "mb_*=0.2", "--chance", "mb_y=0.3", "--chance", "arc_*=0.5"]);
    assert_eq!((level(&all, "mb_x"), level(&all, "mb_y"), level(&all, "arc_easy")), (0.2, 0.3, 0.5));
    // patterns that agree are one level; patterns that disagree name the task to give its own
    assert_eq!(level(&chances(&["--chance", "mb_*=0.2", "--chance", "*_y=0.2"]), "mb_y"), 0.2);
    for (file, extra, says) in [
        ("p.csv", &["--chance", "mb_*=0.2", "--chance", "*_y=0.4"][..], "both match task 'mb_y'; give it its own"),
        ("p.csv", &["--chance", "zz*=0.2"][..], "no task matches 'zz*'"),
        ("d.csv", &["--chance", "?=0.5"][..], "chance 0.25 here but --chance ?=0.5"),
    ] {
        let out = run(file, extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&out).contains(says), "{extra:?}: {}", stderr(&out));
    }
}

#[test]
fn chance_levels_per_task() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("c.csv"),
        format!("task,model,params,correct,n\n{}", good_rows().replace(",0.25", "")),
    )
    .unwrap();
    std::fs::write(dir.path().join("d.csv"), format!("{HEADER}{}", good_rows())).unwrap();
    let run = |file: &str, extra: &[&str]| scurve_in(dir.path(), &[&["inspect", file][..], extra].concat());
    assert!(run("c.csv", &["--chance", "a=0.3"]).status.success());
    assert!(run("c.csv", &["--chance", "a=0.3", "--chance", "a=0.3"]).status.success(), "the same value twice");
    for (extra, says) in [
        (&["--chance", "a=1.5"][..], "outside"),
        (&["--chance", "=0.5"][..], "no task"),
        (&["--chance", "0.1", "--chance", "0.2"][..], "twice"),
        (&["--chance", "nosuch=0.3"][..], "no task 'nosuch'"),
        (&["--chance", "a=0.3", "--chance", "a=0.2"][..], "--chance 'a=0.3' and --chance 'a=0.2' give 'a' two"),
        (&["--chance", "a=0.3", "--items", "a=50", "--items", "a=none"][..], "--items 'a=50' and --items 'a=none'"),
    ] {
        let out = run("c.csv", extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        assert!(stderr(&out).contains(says), "{extra:?}: {}", stderr(&out));
    }
    // the data's own chance level and a flag that contradicts it
    let out = run("d.csv", &["--chance", "a=0.5"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("chance 0.25 here but --chance a=0.5"), "{}", stderr(&out));
    assert!(run("d.csv", &["--chance", "a=0.25"]).status.success());
}

#[test]
fn malformed_json() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("r.json"), "{\"results\": {\"arc_easy\": {\"acc\": 0.5,}}").unwrap();
    let out = scurve_in(dir.path(), &["inspect", "r.json"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("r.json") && e.contains("malformed JSON"), "{e}");
    assert_eq!(e.trim_end().lines().count(), 1);
}

#[test]
fn json_score_outside_range_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"results": {"arc_easy": {"acc": 1.5, "acc_stderr": 0.01}}, "config": {"model_args": "pretrained=org/pythia-1b", "num_fewshot": 0}}"#;
    std::fs::write(dir.path().join("r.json"), body).unwrap();
    let out = scurve_in(dir.path(), &["inspect", "r.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("results.arc_easy.acc"), "{}", stderr(&out));
}

#[test]
fn bad_size_option() {
    let out = scurve(&["fit", "--holdout-above", "lots"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("lots"));
}

#[test]
fn bad_sampler_options_are_refused_before_fitting() {
    for (args, says) in [
        (&["--target-accept", "1.2"][..], "--target-accept"),
        (&["--pilot", "10"][..], "--pilot 10"),
        (&["--chains", "0"][..], "--chains"),
    ] {
        let out = scurve(&[&["fit"][..], args].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(says), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn real_tidy_file_fits_65_tasks() {
    let f = shared("data/tidy/opt-0shot.csv");
    let out = scurve(&["fit", f.to_str().unwrap(), "--method", "map", "--json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let tasks = v["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 65);
    assert_eq!(v["method"], "map");
    for key in ["floor", "ceiling", "midpoint_log10", "slope"] {
        assert!(tasks[0][key]["lo"].as_f64().unwrap() <= tasks[0][key]["hi"].as_f64().unwrap());
    }
}

#[test]
fn inspect_json_has_counts() {
    let out = scurve(&["inspect", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["tasks"], 8);
    assert_eq!(v["models"], 16);
    assert_eq!(v["observations"], 128);
    assert_eq!(v["series"].as_array().unwrap().len(), 16);
    // logiqa stays at chance in both families
    let logiqa = v["series"].as_array().unwrap().iter().find(|s| s["series"] == "opt/logiqa").unwrap();
    assert_eq!(logiqa["at_chance"], true);
    // every model once, by size, with its family
    let list = v["model_list"].as_array().unwrap();
    assert_eq!(list.len(), 16);
    assert_eq!(list[0], serde_json::json!({"model": "pythia-70m", "params": 70426624.0, "family": "pythia"}));
    assert_eq!(list[15]["model"], "opt-66b");
    // in the table, many models of several families are listed a family to a line
    let out = scurve(&["inspect"]);
    let text = stdout(&out);
    assert!(text.contains("models: 16 from 70.4M to 66B, in 2 families:"), "{text}");
    assert!(text.contains("\n  opt: opt-125m (125M), opt-350m (350M),"), "{text}");
    assert!(text.contains("\n  pythia: pythia-70m (70.4M), pythia-160m (162M),"), "{text}");
    let out = scurve(&["inspect", "--family", "opt"]);
    assert!(stdout(&out).contains("\nmodels: opt-125m (125M), opt-350m (350M),"), "{}", stdout(&out));
}

#[test]
fn example_prints_the_builtin_csv() {
    let out = scurve(&["example"]);
    assert!(out.status.success());
    let s = stdout(&out);
    assert!(s.starts_with("family,model,params,task,correct,n,chance"));
    assert_eq!(s.lines().count(), 129);
}

/// `momentum --mean` counts a mean's tasks once, as their mean: in the correlation, in the
/// forecasts' errors, and in the model's forecast (drawn for the mean as `forecast --mean` draws it).
#[test]
fn momentum_counts_a_means_tasks_once() {
    let run = |extra: &[&str]| {
        let base = ["momentum", "--family", "opt", "--sizes", "350M,2.7B,30B", "--json"];
        let out = scurve(&[&base[..], extra].concat());
        assert!(out.status.success(), "{extra:?}: {}", stderr(&out));
        serde_json::from_str::<serde_json::Value>(&stdout(&out)).unwrap()
    };
    let all = run(&["--no-fit"]);
    assert_eq!(all["correlation"]["tasks"], 8);
    assert!(all.get("means").is_none());
    let quick = ["--chains", "2", "--warmup", "150", "--draws", "100", "--extend", "0", "--quiet"];
    let v = run(&[&["--mean", "arc_*"][..], &quick].concat());
    // the example's eight OPT tasks, arc_easy and arc_challenge as one
    assert_eq!(v["correlation"]["tasks"], 7);
    assert_eq!(v["means"][0]["mean"], "arc_* (mean of 2)");
    assert_eq!(v["means"][0]["tasks"], serde_json::json!(["arc_challenge", "arc_easy"]));
    assert!(v["mae_pp"]["hierarchical"].as_f64().is_some_and(|m| m > 0.0 && m < 20.0), "{v}");
    assert_ne!(v["mae_pp"]["persistence"], all["mae_pp"]["persistence"]);
    // 2 chains of 100 draws cannot reach a bulk ESS of 400: the model's fit says it fell short
    let base = ["momentum", "--family", "opt", "--sizes", "350M,2.7B,30B"];
    let out = scurve(&[&base[..], &quick].concat());
    assert!(stderr(&out).contains("warning: the fit on sizes up to B: bulk ESS is"), "{}", stderr(&out));
    let out = scurve(&["momentum", "--family", "opt", "--sizes", "350M,2.7B,30B", "--mean", "*", "--no-fit"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("1 tasks and means are left"), "{}", stderr(&out));
}

/// `simulate` writes a tidy CSV that `inspect` reads; a population value fixed twice at two
/// values is refused rather than the last one taken.
#[test]
fn simulate_writes_a_ladder_and_refuses_a_value_or_size_given_twice() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = scurve_in(d, &["simulate", "--tasks", "3", "--fix", "phi=2000", "--fix", "phi=2000", "--seed", "4"]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(d.join("sim.csv"), stdout(&out)).unwrap();
    let seen = stdout(&scurve_in(d, &["inspect", "sim.csv"]));
    assert!(seen.starts_with("sim.csv: 3 tasks, 8 models, 24 observations"), "{seen}");
    let out = scurve_in(d, &["simulate", "--fix", "phi=2000", "--fix", "phi=3000"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--fix 'phi=2000' and --fix 'phi=3000' give 'phi' two values"), "{}", stderr(&out));
    // each size is a model named by it: a size twice (or two that read alike) would write a
    // model with two sets of scores, which inspect refuses to read back
    for (sizes, said) in [("1B,2B,1B", "the size 1B twice"), ("1B,1.0001B,2B", "which name one model, model-1B,")] {
        let out = scurve_in(d, &["simulate", "--sizes", sizes]);
        assert_eq!(out.status.code(), Some(2), "{sizes}");
        assert!(stderr(&out).contains(said) && stdout(&out).is_empty(), "{}", stderr(&out));
    }
}
