//! Loaders on the real data in ../shared/data.

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use common::shared;
use scurve::data::harness::HarnessOptions;
use scurve::data::{Dataset, GivenItems, Outcome, Selection, Series};

#[test]
fn tidy_csvs_load_with_65_tasks() {
    for (file, models) in [
        ("opt-0shot.csv", 8),
        ("pythia-0shot.csv", 8),
        ("pythia-5shot.csv", 8),
        ("pythia-deduped-0shot.csv", 8),
        ("pythia-deduped-5shot.csv", 8),
        ("bloom-0shot.csv", 5),
    ] {
        let ds = Dataset::load(&shared(&format!("data/tidy/{file}")), &HarnessOptions::default()).unwrap();
        let series = ds.select(&Selection::default()).unwrap();
        assert_eq!(series.len(), 65, "{file}");
        assert_eq!(ds.observations.len(), 65 * models, "{file}");
        assert!(series.iter().all(|s| s.n_sizes() == models), "{file}");
        assert!(ds.observations.iter().all(|o| matches!(o.outcome, Outcome::Counts { n, .. } if n >= 100)));
    }
}

/// `--task`, `--skip-task` and `--skip-model` take patterns: MMLU's 57 subjects by one, every
/// task but them by the other, several patterns together, the models of a pattern left out,
/// and a pattern that matches nothing is an error that says so.
/// `--family` takes patterns as `--task` does: 'Qwen*' keeps Qwen, Qwen1.5 and Qwen2 of the
/// observational-scaling table and nothing else; a pattern matching no family is an error.
#[test]
fn family_patterns_keep_the_families_they_match() {
    let path = shared("data/obs_scaling/eval_results/base_llm_benchmark_eval.csv");
    let ds = Dataset::load(&path, &HarnessOptions::default()).unwrap();
    let chance: std::collections::BTreeMap<String, f64> = [("TruthfulQA".to_string(), 0.2)].into();
    let families = |patterns: &[&str]| -> BTreeSet<String> {
        let sel = Selection {
            families: patterns.iter().map(|p| p.to_string()).collect(),
            task_chance: chance.clone(),
            ..Default::default()
        };
        ds.select(&sel).unwrap().into_iter().filter_map(|s| s.family).collect()
    };
    assert_eq!(families(&["Qwen*"]), ["Qwen", "Qwen1.5", "Qwen2"].map(String::from).into());
    assert_eq!(families(&["Qwen?*", "OPT"]), ["OPT", "Qwen1.5", "Qwen2"].map(String::from).into());
    let sel = Selection { families: vec!["Qwen".into(), "Qwen3*".into()], ..Default::default() };
    let e = ds.select(&sel).unwrap_err().to_string();
    assert!(e.contains("no family matches 'Qwen3*' (found: Amber, BLOOM"), "{e}");
}

#[test]
fn patterns_keep_and_leave_out_the_tasks_and_models_they_match() {
    let ds = Dataset::load(&shared("data/tidy/opt-0shot.csv"), &HarnessOptions::default()).unwrap();
    let tasks = |sel: Selection| -> BTreeSet<String> { ds.select(&sel).unwrap().into_iter().map(|s| s.task).collect() };
    let mmlu = tasks(Selection { tasks: vec!["hendrycksTest-*".into()], ..Default::default() });
    assert_eq!(mmlu.len(), 57);
    assert!(mmlu.iter().all(|t| t.starts_with("hendrycksTest-")));
    let rest = tasks(Selection { skip_tasks: vec!["hendrycksTest-*".into()], ..Default::default() });
    assert_eq!(rest.len(), 8);
    assert!(rest.is_disjoint(&mmlu));
    let some = tasks(Selection {
        tasks: vec!["arc_*".into(), "hendrycksTest-high_school_*".into(), "piqa".into()],
        skip_tasks: vec!["*_physics".into(), "arc_?asy".into()],
        ..Default::default()
    });
    assert_eq!(some.len(), 1 + 13 + 1, "{some:?}");
    assert!(some.contains("arc_challenge") && !some.contains("arc_easy") && some.contains("piqa"));
    assert!(!some.contains("hendrycksTest-high_school_physics"));
    let big = ds.select(&Selection { skip_models: vec!["opt-*m".into()], ..Default::default() }).unwrap();
    assert_eq!(big.len(), 65);
    assert!(big.iter().all(|s| s.points.len() == 6 && s.points.iter().all(|p| p.params > 1e9)));
    for (sel, what) in [
        (Selection { tasks: vec!["hendryckTest-*".into()], ..Default::default() }, "no task matches '"),
        (Selection { skip_tasks: vec!["arc_?".into()], ..Default::default() }, "no task matches '"),
        (Selection { skip_models: vec!["opt-*k".into()], ..Default::default() }, "no model matches 'opt-*k'"),
        (Selection { skip_tasks: vec!["*".into()], ..Default::default() }, "--skip-task left no observations to fit"),
        (
            Selection { tasks: vec!["arc_*".into()], skip_models: vec!["opt-*".into()], ..Default::default() },
            "--task and --skip-model left no observations to fit",
        ),
    ] {
        let e = ds.select(&sel).unwrap_err().to_string();
        assert!(e.contains(what) && e.contains("opt-0shot.csv"), "{e}");
    }
}

#[test]
fn harness_tree_matches_the_tidy_csv() {
    let tree = Dataset::load(&shared("data/pythia_evals/pythia-v1"), &HarnessOptions::default()).unwrap();
    let sel = Selection { families: vec!["pythia-v1.1".into()], shots: Some(0), ..Default::default() };
    let series = tree.select(&sel).unwrap();
    let tidy = Dataset::load(&shared("data/tidy/pythia-0shot.csv"), &HarnessOptions::default()).unwrap();
    let tidy_series = tidy.select(&Selection::default()).unwrap();
    let tidy_n: HashMap<&str, Vec<(f64, Outcome)>> = tidy_series
        .iter()
        .map(|s| (s.task.as_str(), s.points.iter().map(|p| (p.params, p.outcome)).collect()))
        .collect();
    assert_eq!(series.len(), 65);
    for s in &series {
        assert_eq!(s.points.len(), 8, "{}", s.task);
        let want = &tidy_n[s.task.as_str()];
        for (p, (params, outcome)) in s.points.iter().zip(want) {
            // same item counts and the same correct counts as the tidy CSV
            assert_eq!(p.outcome, *outcome, "{} {}", s.task, p.model);
            let rel = (p.params - params).abs() / params;
            assert!(rel < 0.15, "{} {} size {} vs {}", s.task, p.model, p.params, params);
        }
    }
    let models: BTreeSet<&str> = series.iter().flat_map(|s| s.points.iter().map(|p| p.model.as_str())).collect();
    assert!(models.contains("pythia-v1.1-1.4b"));
    // --items: a harness's accuracies are scores, which `none` keeps as such; the tidy CSV's
    // counts are counts, which it leaves alone
    let none = |task: &str| BTreeMap::from([(task.to_string(), GivenItems(None))]);
    let arc = |series: Vec<Series>| series.into_iter().find(|s| s.task == "arc_easy").unwrap();
    let scores = arc(tree.select(&Selection { task_items: none("arc_*"), ..sel.clone() }).unwrap());
    assert!(scores.items_given && scores.items().is_none(), "{:?}", scores.points[0]);
    let share = |o: Outcome| match o {
        Outcome::Counts { correct, n } => correct as f64 / n as f64,
        Outcome::Score(s) => s,
    };
    for (p, q) in scores.points.iter().zip(&arc(series).points) {
        assert!((share(p.outcome) - share(q.outcome)).abs() < 1e-3, "{:?} {:?}", p.outcome, q.outcome);
    }
    let counts = arc(tidy.select(&Selection { task_items: none("arc_easy"), ..Default::default() }).unwrap());
    assert_eq!(counts.items(), Some(2376));
}

/// Mixed few-shot settings need a choice, and the error says what each setting holds (tasks,
/// and sizes over every family), so that the choice can be made from it.
#[test]
fn harness_mixed_shots_need_a_choice() {
    let tree = Dataset::load(&shared("data/pythia_evals/pythia-v1"), &HarnessOptions::default()).unwrap();
    let e = tree.select(&Selection::default()).unwrap_err().to_string();
    assert!(e.contains("(0-shot: 65 tasks, 8 sizes; 5-shot: 65 tasks, 8 sizes); choose one with --shots"), "{e}");
    let bloom = Dataset::load(&shared("data/lm_eval_harness_results/bloom"), &HarnessOptions::default()).unwrap();
    let e = bloom.select(&Selection::default()).unwrap_err().to_string();
    let held =
        "(0-shot: 69 tasks, 5 sizes; 3-shot: 21 tasks, 1 size; 5-shot: 9 tasks, 5 sizes; 8-shot: 1 task, 5 sizes)";
    assert!(e.contains(held), "{e}");
}

/// Pythia's v0 files name their checkpoint only in the file name (`global_step71500`), v1's in
/// `revision=`: both read as the revision, each model at its own (v0's 160M, 410M and 1.4B
/// took 4M-token batches, so their final step is 71500), which a ladder of one checkpoint per
/// model fits without a choice.
#[test]
fn harness_checkpoints_from_names_or_model_args() {
    let v0 = shared("data/pythia_evals/pythia-v0");
    let folders: Vec<std::path::PathBuf> =
        std::fs::read_dir(&v0).unwrap().map(|e| e.unwrap().path().join("zero-shot")).filter(|p| p.is_dir()).collect();
    let ds = Dataset::load_all(&folders, &HarnessOptions::default()).unwrap();
    let mut at: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for o in &ds.observations {
        at.entry(o.revision.as_deref().expect("every v0 file names its step")).or_default().insert(&o.model);
    }
    let short: BTreeSet<&str> = at["step71500"].iter().copied().collect();
    let want = [
        "pythia-160m",
        "pythia-160m-deduped",
        "pythia-410m",
        "pythia-410m-deduped",
        "pythia-1.4b",
        "pythia-1.4b-deduped",
    ];
    assert_eq!(short, want.into_iter().collect(), "{at:?}");
    assert_eq!((at.len(), at["step143000"].len()), (2, 10), "{at:?}");
    assert_eq!(ds.select(&Selection::default()).unwrap().len(), 264);
    let v1 = Dataset::load(&shared("data/pythia_evals/pythia-v1"), &HarnessOptions::default()).unwrap();
    assert!(v1.observations.iter().all(|o| o.revision.as_deref() == Some("step143000")));
}

/// One task in two harness task groups' files, run apart, gives one model two results (LLaMA's
/// boolq in `common_sense_reasoning` and `superglue`): refused, or with `keep_first` the first
/// file's kept and the other named.
#[test]
fn harness_repeats_are_refused_or_the_first_kept() {
    let llama = Dataset::load(&shared("data/lm_eval_harness_results/llama"), &HarnessOptions::default()).unwrap();
    let sel = Selection { shots: Some(0), ..Default::default() };
    let e = llama.select(&sel).unwrap_err().to_string();
    assert!(e.contains("task 'boolq', model 'llama-13B' appears twice") && e.contains("--keep-first"), "{e}");
    let (series, repeats) = llama.select_noting(&Selection { keep_first: true, ..sel }).unwrap();
    assert_eq!(repeats.len(), 1, "{repeats:?}");
    let r = &repeats[0];
    assert_eq!((r.task.as_str(), r.model.as_str()), ("boolq", "llama-13B"));
    assert!(r.kept.file.ends_with("llama-13B_common_sense_reasoning_0-shot.json"), "{}", r.kept);
    assert!(r.left_out.file.ends_with("llama-13B_superglue_0-shot.json"), "{}", r.left_out);
    let boolq = series.iter().find(|s| s.task == "boolq").unwrap();
    let p = boolq.points.iter().find(|p| p.model == "llama-13B").unwrap();
    assert_eq!(p.at, r.kept);
    // without the repeats, nothing is kept otherwise: every other series is as it was read
    let others = Selection { shots: Some(0), skip_tasks: vec!["boolq".into()], ..Default::default() };
    let plain = llama.select(&others).unwrap();
    let kept: Vec<&scurve::data::Series> = series.iter().filter(|s| s.task != "boolq").collect();
    assert_eq!(kept.len(), plain.len());
    let seen = |s: &scurve::data::Series| s.points.iter().map(|p| (p.model.clone(), p.outcome)).collect::<Vec<_>>();
    assert!(kept.iter().zip(&plain).all(|(a, b)| a.name == b.name && seen(a) == seen(b)));
}

#[test]
fn harness_shot_counts_per_task_from_metadata_or_name() {
    let dir = tempfile::tempdir().unwrap();
    let write = |rel: &str, body: &str| {
        let p = dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, body).unwrap();
        p
    };
    let shots = |p: &std::path::Path| -> HashMap<String, Option<u32>> {
        let ds = Dataset::load(p, &HarnessOptions::default()).unwrap();
        ds.observations.iter().map(|o| (o.task.clone(), o.shots)).collect()
    };
    // v0.4: per task in "n-shot" (or "configs"), none in "config"; the name says nothing here
    let v04 = write(
        "results_2024-06-01T10-00-00.json",
        r#"{"results": {"arc_easy": {"acc,none": 0.5, "acc_stderr,none": 0.01},
                        "mmlu_anatomy": {"acc,none": 0.3, "acc_stderr,none": 0.04},
                        "piqa": {"acc,none": 0.6, "acc_stderr,none": 0.01}},
            "n-shot": {"arc_easy": 0, "mmlu_anatomy": "5"},
            "configs": {"piqa": {"num_fewshot": 3}},
            "config": {"model": "hf", "model_args": {"pretrained": "org/pythia-160m", "dtype": "bfloat16"}}}"#,
    );
    let ds = Dataset::load(&v04, &HarnessOptions::default()).unwrap();
    assert!(ds.observations.iter().all(|o| o.model == "pythia-160m" && o.params == 160e6));
    let got = shots(&v04);
    assert_eq!(got["arc_easy"], Some(0));
    assert_eq!(got["mmlu_anatomy"], Some(5));
    assert_eq!(got["piqa"], Some(3));
    // tasks of mixed counts in a file whose name gives one: each keeps its own
    let mixed = write("leaderboard_5shot.json", &std::fs::read_to_string(&v04).unwrap());
    assert_eq!(shots(&mixed)["mmlu_anatomy"], Some(5));
    // no metadata: the file's name, else its folder's
    let bare = r#"{"results": {"arc_easy": {"acc": 0.5, "acc_stderr": 0.01}},
                   "config": {"model_args": "pretrained=org/pythia-160m"}}"#;
    assert_eq!(shots(&write("runs/pythia-160m_10-shot.json", bare))["arc_easy"], Some(10));
    assert_eq!(shots(&write("zero-shot/pythia-160m.json", bare))["arc_easy"], Some(0));
    assert_eq!(shots(&write("plain/pythia-160m.json", bare))["arc_easy"], None);
    // metadata and name that disagree: an error naming the file and the key
    let wrong = write(
        "five-shot/pythia-160m-5shot.json",
        r#"{"results": {"arc_easy": {"acc": 0.5, "acc_stderr": 0.01}},
            "config": {"model_args": "pretrained=org/pythia-160m", "num_fewshot": 0}}"#,
    );
    let e = Dataset::load(&wrong, &HarnessOptions::default()).unwrap_err().to_string();
    assert!(
        e.contains("pythia-160m-5shot.json")
            && e.contains("config.num_fewshot")
            && e.contains("0-shot")
            && e.contains("5-shot"),
        "{e}"
    );
}

#[test]
fn harness_group_scores_are_left_out() {
    // v0.4 writes a group's score (a mean over its members) beside its members' own
    let dir = tempfile::tempdir().unwrap();
    let body = r#"{"results": {
            "mmlu": {"acc,none": 0.45, "acc_stderr,none": 0.004, "alias": "mmlu"},
            "mmlu_stem": {"acc,none": 0.40, "acc_stderr,none": 0.03, "alias": " - stem"},
            "mmlu_anatomy": {"acc,none": 0.5, "acc_stderr,none": 0.04, "alias": "  - anatomy"},
            "mmlu_virology": {"acc,none": 0.3, "acc_stderr,none": 0.035, "alias": "  - virology"},
            "arc_easy": {"acc,none": 0.6, "acc_stderr,none": 0.01}},
        "groups": {"mmlu": {"acc,none": 0.45, "acc_stderr,none": 0.004}},
        "group_subtasks": {"mmlu_stem": ["mmlu_anatomy", "mmlu_virology"], "mmlu": ["mmlu_stem"],
                           "arc_easy": [], "mmlu_anatomy": [], "mmlu_virology": []},
        "n-shot": {"mmlu": 5, "mmlu_stem": 5, "mmlu_anatomy": 5, "mmlu_virology": 5, "arc_easy": 0},
        "config": {"model": "hf", "model_args": "pretrained=org/pythia-160m"}}"#;
    let f = dir.path().join("results_2024-06-01T10-00-00.json");
    std::fs::write(&f, body).unwrap();
    let ds = Dataset::load(&f, &HarnessOptions::default()).unwrap();
    let tasks: BTreeSet<&str> = ds.observations.iter().map(|o| o.task.as_str()).collect();
    assert_eq!(tasks, BTreeSet::from(["arc_easy", "mmlu_anatomy", "mmlu_virology"]));
}

#[test]
fn harness_mislabelled_five_shot_files_are_named() {
    // six of Pythia v0's five-shot files record num_fewshot 0 in their config: taken at their
    // word they would be dropped from the 5-shot ladder without a sign
    let e = Dataset::load(&shared("data/pythia_evals/pythia-v0"), &HarnessOptions::default()).unwrap_err().to_string();
    assert!(e.contains("five-shot") && e.contains("5shot") && e.contains("config.num_fewshot"), "{e}");
    // all six in one error: the first, three more by name, and how many after them
    assert!(e.contains("; so do ") && e.matches("5shot-global_step").count() == 4 && e.ends_with("and 2 more"), "{e}");
}

#[test]
fn several_inputs_load_as_one_data_set() {
    // Pythia v0 as a whole stops on its mislabelled five-shot files (above); its zero-shot
    // folders alone make the full ladder of both families
    let v0 = shared("data/pythia_evals/pythia-v0");
    let mut zero: Vec<std::path::PathBuf> =
        std::fs::read_dir(&v0).unwrap().map(|e| e.unwrap().path().join("zero-shot")).collect();
    zero.sort();
    assert_eq!(zero.len(), 16);
    let opts = HarnessOptions::default();
    let ds = Dataset::load_all(&zero, &opts).unwrap();
    let models: BTreeSet<&str> = ds.observations.iter().map(|o| o.model.as_str()).collect();
    assert_eq!(models.len(), 16);
    assert!(ds.observations.iter().all(|o| o.shots == Some(0)));
    assert!(ds.source.ends_with("and 14 more"), "{}", ds.source);
    let series = ds.select(&Selection { families: vec!["pythia".into()], ..Default::default() }).unwrap();
    assert!(series.iter().all(|s| s.n_sizes() == 8));
    // one folder as the only input reads the same as load
    assert_eq!(Dataset::load_all(&zero[..1], &opts).unwrap().hash(), Dataset::load(&zero[0], &opts).unwrap().hash());
    // a folder and a file inside it: the file is read once
    let opt = shared("data/pythia_evals/opt");
    let whole = Dataset::load(&opt, &opts).unwrap();
    let twice = Dataset::load_all(&[opt.clone(), opt.join("opt-66b.json")], &opts).unwrap();
    assert_eq!(twice.observations.len(), whole.observations.len());
    // harness JSON beside a tidy CSV: both kinds are read; the same rows twice count once
    let tidy = shared("data/tidy/bloom-0shot.csv");
    let mixed = Dataset::load_all(&[tidy.clone(), opt.join("opt-66b.json"), tidy.clone()], &opts).unwrap();
    let fams: BTreeSet<Option<String>> = mixed.families();
    assert!(fams.contains(&Some("opt".into())) && fams.len() == 2, "{fams:?}");
    let series = mixed.select(&Selection::default()).unwrap();
    assert_eq!(series.iter().filter(|s| s.task == "piqa").count(), 2);
    assert!(series.iter().filter(|s| s.family.as_deref() != Some("opt")).all(|s| s.n_sizes() == 5));
    assert!(Dataset::load_all::<&std::path::Path>(&[], &opts).is_err());
}

#[test]
fn harness_sizes_map_overrides_names() {
    let dir = tempfile::tempdir().unwrap();
    let sizes = dir.path().join("sizes.csv");
    std::fs::write(&sizes, "model,params\nopt-66b,65.7B\n").unwrap();
    let map = scurve::data::harness::load_sizes(&sizes).unwrap();
    let ds = Dataset::load(
        &shared("data/pythia_evals/opt/opt-66b.json"),
        &HarnessOptions { sizes: Some(map), ..Default::default() },
    )
    .unwrap();
    assert!(ds.observations.iter().all(|o| o.params == 65.7e9));
    assert!(ds.observations.iter().all(|o| o.shots == Some(0)));
    // its columns known by name as a wide table's are, a unit in the header
    std::fs::write(&sizes, "Model Name,Release,Model Size (B)\nopt-66b,2022,65.7\nopt-66b,2022,65.7\n").unwrap();
    let map = scurve::data::harness::load_sizes(&sizes).unwrap();
    assert_eq!(map["opt-66b"], 65.7e9);
    for (text, want) in [
        ("model,params\nopt-66b,66\n", "row 2, field 'params': a model of 66 parameters?"),
        ("model,params,size\nopt-66b,66B,66B\n", "column 'size' means the same as column 'params'"),
        ("model,release\nopt-66b,2022\n", "missing column 'params' (or 'parameters', 'size'"),
        ("model,params\nopt-66b,66B\nopt-30b,30B\nopt-66b,65.7B\n", "row 4, field 'params': model 'opt-66b' has size"),
        ("model,params\nopt-66b,66B\n,30B\n", "row 3, field 'model': empty value"),
    ] {
        std::fs::write(&sizes, text).unwrap();
        let e = scurve::data::harness::load_sizes(&sizes).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}

#[test]
fn example_has_two_families_of_eight_tasks() {
    let ds = Dataset::example();
    let series = ds.select(&Selection::default()).unwrap();
    assert_eq!(series.len(), 16);
    assert!(series.iter().any(|s| s.name == "opt/arc_easy"));
    let only = ds.select(&Selection { families: vec!["pythia".into()], ..Default::default() }).unwrap();
    assert_eq!(only.len(), 8);
    assert_eq!(only[0].name, only[0].task);
}

#[test]
fn fuzz_seeds_are_valid_inputs() {
    // the fuzz corpus starts from inputs the loaders accept, so fuzzing begins deep inside them
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    for e in std::fs::read_dir(root.join("tidy_csv")).unwrap() {
        let p = e.unwrap().path();
        let bytes = std::fs::read(&p).unwrap();
        let ds = scurve::data::tidy::parse_csv(&bytes, "seed.csv").unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(!ds.observations.is_empty());
    }
    let v04 = std::fs::read_to_string(root.join("harness_json/v04.json")).unwrap();
    let ds = scurve::data::harness::parse_json(&v04, "v04.json", &HarnessOptions::default()).unwrap();
    assert_eq!(ds.observations.len(), 2);
    let arc = ds.observations.iter().find(|o| o.task == "arc_easy").unwrap();
    assert_eq!(arc.outcome, Outcome::Counts { correct: 1036, n: 2376 });
    assert_eq!(arc.params, 160e6);
    let v03 = std::fs::read_to_string(root.join("harness_json/v03.json")).unwrap();
    let ds = scurve::data::harness::parse_json(&v03, "v03.json", &HarnessOptions::default()).unwrap();
    assert_eq!(ds.observations.len(), 2);
    assert_eq!(ds.observations[0].shots, Some(5));
    let groups = std::fs::read_to_string(root.join("harness_json/v04_groups.json")).unwrap();
    let ds = scurve::data::harness::parse_json(&groups, "v04_groups.json", &HarnessOptions::default()).unwrap();
    assert_eq!(ds.observations.len(), 2);
    assert!(ds.observations.iter().all(|o| o.shots == Some(5) && o.params == 160e6));
    for e in std::fs::read_dir(root.join("model_spec")).unwrap() {
        let p = e.unwrap().path();
        let text = std::fs::read_to_string(&p).unwrap();
        scurve::spec::ModelSpec::parse(&text, "seed.toml").unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    }
}

/// A wide table (one row per model, one column per task), as the observational-scaling
/// tables are kept: sizes in billions, tokens in trillions, a compute column left unread.
#[test]
fn a_wide_table_loads_one_observation_per_score() {
    let path = shared("data/obs_scaling/eval_results/base_llm_benchmark_eval.csv");
    let ds = Dataset::load(&path, &HarnessOptions::default()).unwrap();
    // every score cell that is not empty is one observation (the first five columns describe the model)
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let cells: usize = rdr.records().map(|r| r.unwrap().iter().skip(5).filter(|c| !c.is_empty()).count()).sum();
    assert_eq!(ds.observations.len(), cells);
    let opt66: Vec<_> = ds.observations.iter().filter(|o| o.model == "facebook/opt-66b").collect();
    assert_eq!(opt66.len(), 8);
    let arc = opt66.iter().find(|o| o.task == "ARC-C").unwrap();
    // 0.4633105802047781 is 543 of ARC-Challenge's 1172 items: the score becomes a count
    assert_eq!(arc.outcome, Outcome::Counts { correct: 543, n: 1172 });
    // per task, the scores that are whole counts of its items (the source's own tally)
    let counted = |task: &str| {
        let of: Vec<_> = ds.observations.iter().filter(|o| o.task == task).collect();
        (of.iter().filter(|o| matches!(o.outcome, Outcome::Counts { .. })).count(), of.len())
    };
    assert_eq!(counted("ARC-C"), (145, 145));
    assert_eq!(counted("HellaSwag"), (148, 148));
    assert_eq!(counted("GSM8K"), (148, 148));
    assert_eq!(counted("HumanEval"), (127, 127));
    // of which Gemma-2's three, and ten code models' HumanEval, are given to three decimals: the
    // nearest whole counts (0.714 of 1172 items is 837, 0.71416 to five)
    let rounded = |task: &str| ds.observations.iter().filter(|o| o.task == task && o.rounded == Some(3)).count();
    assert_eq!([rounded("ARC-C"), rounded("HellaSwag"), rounded("GSM8K"), rounded("HumanEval")], [3, 2, 3, 10]);
    let gemma = ds.observations.iter().find(|o| o.model == "google/gemma-2-27b" && o.task == "ARC-C").unwrap();
    assert_eq!(gemma.outcome, Outcome::Counts { correct: 837, n: 1172 });
    // MMLU here is an average over subjects, and Winograd's name is not one the table knows
    assert_eq!(counted("MMLU").0, 0);
    assert_eq!(counted("Winograd").0, 0);
    assert_eq!(arc.params, 66e9);
    assert!((arc.tokens.unwrap() - 0.18e12).abs() < 1.0, "{:?}", arc.tokens);
    assert_eq!(arc.family.as_deref(), Some("OPT"));
    assert!(ds.observations.iter().all(|o| o.task != "FLOPs (1E21)" && o.task != "FLOPs"));

    // TruthfulQA (MC2, a probability mass) has no chance level to look up
    let e = ds.select(&Selection { families: vec!["Pythia".into()], ..Default::default() }).unwrap_err().to_string();
    assert!(e.contains("TruthfulQA") && e.contains("field 'TruthfulQA'") && e.contains("--chance"), "{e}");
    let sel = Selection {
        families: vec!["Pythia".into()],
        task_chance: [("TruthfulQA".to_string(), 0.2)].into(),
        ..Default::default()
    };
    let series = ds.select(&sel).unwrap();
    assert_eq!(series.len(), 8);
    assert!(series.iter().all(|s| s.n_sizes() == 8));
    let chance: HashMap<&str, f64> = series.iter().map(|s| (s.task.as_str(), s.chance)).collect();
    assert_eq!(chance["ARC-C"], 0.25);
    assert_eq!(chance["Winograd"], 0.5);
    assert_eq!(chance["GSM8K"], 0.0);
    assert_eq!(chance["TruthfulQA"], 0.2);
}

/// A wide table without a size column (the leaderboard-v2 scores) takes each model's size,
/// family and tokens from another table read with it.
#[test]
fn a_wide_table_without_sizes_takes_them_from_the_other_input() {
    let dir = shared("data/obs_scaling/eval_results");
    let paths = [dir.join("base_llm_benchmark_eval.csv"), dir.join("base_llm_leaderboard_v2_eval.csv")];
    let ds = Dataset::load_all(&paths, &HarnessOptions::default()).unwrap();
    let o = ds.observations.iter().find(|o| o.model == "Qwen/Qwen1.5-7B" && o.task == "leaderboard_gpqa").unwrap();
    assert_eq!(o.params, 7e9);
    assert_eq!(o.family.as_deref(), Some("Qwen1.5"));
    assert_eq!(o.tokens, Some(4e12));
    assert!(ds.observations.iter().all(|o| o.params.is_finite()));
    let sel = Selection {
        families: vec!["Qwen1.5".into()],
        task_chance: [("TruthfulQA", 0.2), ("leaderboard_bbh", 0.3), ("leaderboard_musr", 0.3)]
            .map(|(t, c)| (t.to_string(), c))
            .into(),
        ..Default::default()
    };
    let series = ds.select(&sel).unwrap();
    let v2: Vec<&str> = series.iter().filter(|s| s.task.starts_with("leaderboard_")).map(|s| s.task.as_str()).collect();
    assert_eq!(v2.len(), 6, "{v2:?}");
    let mmlu_pro = series.iter().find(|s| s.task == "leaderboard_mmlu_pro").unwrap();
    assert_eq!(mmlu_pro.chance, 0.1);
    assert!(mmlu_pro.n_sizes() >= 3, "{}", mmlu_pro.n_sizes());
    // each score is a whole count of all its subtasks' items, as the harness's group scores them
    let items: Vec<(&str, Option<u64>)> =
        (series.iter().filter(|s| s.task.starts_with("leaderboard_"))).map(|s| (s.task.as_str(), s.items())).collect();
    let want =
        [("bbh", 5761), ("gpqa", 1192), ("ifeval", 834), ("math_hard", 1324), ("mmlu_pro", 12032), ("musr", 756)];
    for (task, n) in want {
        let task = format!("leaderboard_{task}");
        assert!(items.contains(&(task.as_str(), Some(n))), "{task}: {items:?}");
    }
}

/// LLaMA's harness files give math_asdiv as 0.0 with a standard error of 0 at every size, which
/// says nothing of its item count; the built-in count turns the scores into counts of 2305.
#[test]
fn a_score_of_zero_without_an_item_count_takes_the_builtin_one() {
    let ds = Dataset::load(&shared("data/lm_eval_harness_results/llama"), &HarnessOptions::default()).unwrap();
    let asdiv: Vec<_> = ds.observations.iter().filter(|o| o.task == "math_asdiv").collect();
    assert!(asdiv.len() >= 3, "{}", asdiv.len());
    assert!(asdiv.iter().all(|o| o.outcome == Outcome::Counts { correct: 0, n: 2305 }), "{:?}", asdiv[0].outcome);
    // a count the file gives (through its standard error) is kept as it is
    let algebra = ds.observations.iter().find(|o| o.task == "math_algebra" && o.model == "llama-7B").unwrap();
    assert_eq!(algebra.outcome, Outcome::Counts { correct: 20, n: 1187 });
}

/// The emergent-capability table has no family column and a BLEU column on 0–100. Its rows
/// take their family from the benchmark table read with it, and a family's fit is refused on
/// that column only where its own rows have a bad cell.
#[test]
fn a_bad_cell_of_a_joined_table_belongs_to_its_rows_family() {
    let dir = shared("data/obs_scaling/eval_results");
    let paths = [dir.join("base_llm_benchmark_eval.csv"), dir.join("base_llm_emergent_capability_eval.csv")];
    let ds = Dataset::load_all(&paths, &HarnessOptions::default()).unwrap();
    let sel = |family: &str| Selection {
        families: vec![family.into()],
        chance: Some(0.0),
        task_chance: [("TruthfulQA".to_string(), 0.2)].into(),
        ..Default::default()
    };
    // one OPT row has a BLEU above 1 (the table's first such row is a Llama-2 one)
    let e = match ds.select(&sel("OPT")) {
        Err(e) => e.to_string(),
        Ok(s) => panic!("OPT selected with {} series", s.len()),
    };
    assert!(e.contains("field 'ipa_transliterate_2_bleu'") && e.contains("--skip-task"), "{e}");
    let row: usize = e.split("row ").nth(1).and_then(|r| r.split(',').next()).unwrap().parse().unwrap();
    let text = std::fs::read_to_string(&paths[1]).unwrap();
    assert!(text.lines().nth(row - 1).unwrap().starts_with("facebook/opt"), "row {row}");
    let kept = ds.select(&Selection { skip_tasks: vec!["ipa_transliterate_2_bleu".into()], ..sel("OPT") }).unwrap();
    assert!(kept.iter().any(|s| s.task == "word_unscrambling_2_exact_match"));
    // Pythia's BLEU cells are all below 1
    assert!(ds.select(&sel("Pythia")).map(|s| s.len()).is_ok_and(|n| n == 16));
}

/// A wide table with neither sizes nor families: the sizes from `--sizes` (before the names),
/// the family from the name, as harness JSON gets it.
#[test]
fn a_wide_table_without_sizes_or_families() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.csv");
    std::fs::write(&path, "model,arc_easy\nacme-1b,0.4\nacme-3b,0.5\nother,0.6\n").unwrap();
    // the size is looked for when the rows are selected, so a model can be left out
    let ds = Dataset::load(&path, &HarnessOptions::default()).unwrap();
    let e = ds.select(&Selection::default()).unwrap_err().to_string();
    assert!(e.contains("row 4") && e.contains("size of model 'other'") && e.contains("--skip-model 'other'"), "{e}");
    let kept = ds.select(&Selection { skip_models: vec!["other".into()], ..Default::default() }).unwrap();
    let models: Vec<&str> = kept[0].points.iter().map(|p| p.model.as_str()).collect();
    assert_eq!(models, ["acme-1b", "acme-3b"]);
    let sizes = HashMap::from([("other".to_string(), 9e9), ("acme-3b".to_string(), 2.9e9)]);
    let ds = Dataset::load(&path, &HarnessOptions { sizes: Some(sizes), ..Default::default() }).unwrap();
    let got: Vec<(&str, f64, Option<&str>)> =
        ds.observations.iter().map(|o| (o.model.as_str(), o.params, o.family.as_deref())).collect();
    assert_eq!(got, [("acme-1b", 1e9, Some("acme")), ("acme-3b", 2.9e9, Some("acme")), ("other", 9e9, None)]);
}

/// A table that stops a fit for several reasons of one kind names every one at once, with the
/// flags for each: here the API models of a leaderboard (no size), then the tasks with no
/// chance level to look up.
#[test]
fn every_sizeless_model_and_every_task_without_chance_is_named_at_once() {
    let path = shared("data/obs_scaling/eval_results/instruct_llm_benchmark_eval.csv");
    let ds = Dataset::load(&path, &HarnessOptions::default()).unwrap();
    let e = ds.select(&Selection::default()).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("size of model 'gpt-4-0613'"), "{e}");
    assert!(e.contains("'claude-2.0', 'claude-1.3', 'gpt-3.5-turbo-0613' and 2 more"), "{e}");
    assert!(e.contains("--skip-model for each") && e.contains("--sizes"), "{e}");
    let closed = ["gpt-4-0613", "claude-2.0", "claude-1.3", "gpt-3.5-turbo-0613", "claude-instant-1.1", "gpt-4-0314"];
    let open = Selection { skip_models: closed.iter().map(|m| m.to_string()).collect(), ..Default::default() };
    let e = ds.select(&open).unwrap_err().to_string();
    assert!(e.contains("no chance level for task 'Arena-Elo'; nor for 'TruthfulQA', 'MTBench'"), "{e}");
    for t in ["Arena-Elo", "TruthfulQA", "MTBench"] {
        assert!(e.contains(&format!("--chance '{t}=P'")), "{e}");
    }
    let task_chance = ["Arena-Elo", "TruthfulQA", "MTBench"].map(|t| (t.to_string(), 0.0)).into();
    let series = ds.select(&Selection { task_chance, ..open.clone() }).unwrap();
    assert!(
        series.iter().all(|s| s.points.iter().all(|p| p.params.is_finite() && !closed.contains(&p.model.as_str())))
    );
    // the scores of the 21 open models (counted with Python's csv module)
    assert_eq!(series.iter().map(|s| s.points.len()).sum::<usize>(), 171);
    // leaving out a model the data does not have is a mistake worth saying
    let e = ds.select(&Selection { skip_models: vec!["gpt-5".into()], ..open }).unwrap_err().to_string();
    assert!(e.contains("no model 'gpt-5'"), "{e}");
}

/// Harness JSON of a model whose name gives no size is refused only when it is kept.
#[test]
fn harness_json_of_a_model_of_unknown_size_can_be_left_out() {
    let dir = tempfile::tempdir().unwrap();
    for (name, model, acc) in
        [("a.json", "org/pythia-160m", 0.5), ("b.json", "org/pythia-1b", 0.6), ("c.json", "org/mystery", 0.7)]
    {
        let body = format!(
            r#"{{"results": {{"arc_easy": {{"acc": {acc}, "acc_stderr": 0.01}}}}, "config": {{"model_args": "pretrained={model}"}}}}"#
        );
        std::fs::write(dir.path().join(name), body).unwrap();
    }
    let ds = Dataset::load(dir.path(), &HarnessOptions::default()).unwrap();
    let e = ds.select(&Selection::default()).unwrap_err().to_string();
    assert!(
        e.contains("c.json") && e.contains("size of model 'mystery'") && e.contains("--skip-model 'mystery'"),
        "{e}"
    );
    let kept = ds.select(&Selection { skip_models: vec!["mystery".into()], ..Default::default() }).unwrap();
    assert_eq!(kept[0].points.len(), 2);
    // --sizes gives it (its name gives no family: a series of its own)
    let sizes = HashMap::from([("mystery".to_string(), 3e9)]);
    let ds = Dataset::load(dir.path(), &HarnessOptions { sizes: Some(sizes), ..Default::default() }).unwrap();
    let series = ds.select(&Selection::default()).unwrap();
    let mystery: Vec<f64> =
        series.iter().flat_map(|s| &s.points).filter(|p| p.model == "mystery").map(|p| p.params).collect();
    assert_eq!(mystery, [3e9]);
}

/// BIG-bench's emergent tasks as a results table names them (task, shots, metric) get their
/// chance level and item count from the built-in tables.
#[test]
fn emergent_task_columns_get_chance_and_item_counts() {
    let dir = shared("data/obs_scaling/eval_results");
    let paths = [dir.join("base_llm_benchmark_eval.csv"), dir.join("base_llm_emergent_capability_eval.csv")];
    let ds = Dataset::load_all(&paths, &HarnessOptions::default()).unwrap();
    let counted = |task: &str| {
        let of: Vec<_> = ds.observations.iter().filter(|o| o.task == task).collect();
        (of.iter().filter(|o| matches!(o.outcome, Outcome::Counts { .. })).count(), of.len())
    };
    // SOURCE.md: parsinlu_qa's 1,050 and ipa_transliterate's 1,003 BIG-bench examples, the
    // arithmetic tasks' 2,000 (two Qwen models' ipa_transliterate given to three decimals, 0.008
    // and 0.014, the nearest counts); word_unscrambling's scores are of some other number
    assert_eq!(counted("parsinlu_qa_2_acc"), (76, 76));
    assert_eq!(counted("ipa_transliterate_2_exact_match"), (72, 72));
    assert_eq!(counted("arithmetic_2dm_2_acc").0, counted("arithmetic_2dm_2_acc").1);
    assert_eq!(counted("word_unscrambling_2_exact_match").0, 0);
    let sel = Selection {
        families: vec!["Pythia".into()],
        skip_tasks: vec!["ipa_transliterate_2_bleu".into()],
        task_chance: [("TruthfulQA".to_string(), 0.2)].into(),
        ..Default::default()
    };
    let chance: HashMap<String, f64> = ds.select(&sel).unwrap().into_iter().map(|s| (s.task, s.chance)).collect();
    assert_eq!(chance["parsinlu_qa_2_acc"], 0.25);
    assert_eq!(chance["word_unscrambling_2_exact_match"], 0.0);
    assert_eq!(chance["ipa_transliterate_2_exact_match"], 0.0);
}

/// The files' hash covers every JSON file under a folder and the `--sizes` map, and nothing
/// else there.
#[test]
fn the_files_hash_follows_the_files_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir_all(d.join("runs/a")).unwrap();
    std::fs::write(d.join("runs/a/m.json"), "{}").unwrap();
    std::fs::write(d.join("runs/notes.txt"), "x").unwrap();
    std::fs::write(d.join("sizes.csv"), "model,params\nm,1e9\n").unwrap();
    let hash = |sizes: bool| {
        Dataset::files_hash(&[d.join("runs")], sizes.then(|| d.join("sizes.csv")).as_deref(), None).unwrap()
    };
    let first = hash(false);
    assert_eq!(hash(false), first);
    assert_ne!(hash(true), first);
    std::fs::write(d.join("runs/notes.txt"), "y").unwrap();
    assert_eq!(hash(false), first);
    std::fs::write(d.join("runs/a/m.json"), "{ }").unwrap();
    assert_ne!(hash(false), first);
}

/// A table separated by tabs (a TSV, or cells copied from a spreadsheet) or by semicolons (a
/// spreadsheet's export where numbers have decimal commas) reads as one separated by commas; a
/// score written with its percent sign is a percentage, in the tidy and in the wide form; a
/// decimal comma stops the load with an error that names it.
#[test]
fn separators_percent_signs_and_decimal_commas() {
    use scurve::data::tidy::parse_csv;
    let rows = |ds: &Dataset| -> Vec<(String, String, f64, Outcome)> {
        ds.observations.iter().map(|o| (o.task.clone(), o.model.clone(), o.params, o.outcome)).collect()
    };
    let comma =
        parse_csv(b"task,model,params,score,chance\na,m1,1e8,0.3,0.25\na,m2,1.3B,0.455,0.25\n", "c.csv").unwrap();
    for (text, name) in [
        (&b"task\tmodel\tparams\tscore\tchance\na\tm1\t1e8\t30%\t0.25\na\tm2\t1.3B\t45.5 %\t0.25\n"[..], "t.tsv"),
        (&b"task;model;params;score;chance\na;m1;1e8;0.3;0.25\na;m2;1.3B;45.5%;0.25\n"[..], "s.csv"),
    ] {
        let ds = parse_csv(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
        let (got, want) = (rows(&ds), rows(&comma));
        assert_eq!(got.len(), want.len(), "{name}");
        for (g, w) in got.iter().zip(&want) {
            assert_eq!((&g.0, &g.1, g.2), (&w.0, &w.1, w.2), "{name}");
            let (Outcome::Score(a), Outcome::Score(b)) = (g.3, w.3) else { panic!("{name}: {:?}", g.3) };
            assert!((a - b).abs() < 1e-12, "{name}: {a} against {b}");
        }
    }
    // a percentage in a wide table's cell, whatever its column's name says
    // (a task without a known item count: piqa's would make them the nearest counts of 1,838)
    let wide = parse_csv(b"model,params (B),arc,qa (%)\nx,1,30%,61%\ny,2,0.5,70\n", "w.csv").unwrap();
    let mut scores: Vec<(String, f64)> =
        (wide.observations.iter()).map(|o| (format!("{}/{}", o.task, o.model), o.outcome.score())).collect();
    scores.sort_by(|a, b| a.0.cmp(&b.0));
    let want = [("arc/x", 0.3), ("arc/y", 0.5), ("qa/x", 0.61), ("qa/y", 0.7)];
    assert_eq!(scores.len(), want.len());
    for ((got, s), (name, w)) in scores.iter().zip(want) {
        assert!(got == name && (s - w).abs() < 1e-12, "{got} {s} against {name} {w}");
    }
    // a decimal comma, and a percentage written as a plain number in the tidy form
    let err =
        parse_csv(b"task;model;params;correct;n;chance\na;m1;1e8;30;100;0,25\n", "d.csv").unwrap_err().to_string();
    assert!(err.contains("row 2") && err.contains("'chance'") && err.contains("a decimal comma?"), "{err}");
    let err = parse_csv(b"task;model;params;score\na;m1;1e8;0,3\n", "d.csv").unwrap_err().to_string();
    assert!(err.contains("not a score: '0,3' (a decimal comma?"), "{err}");
    let err = parse_csv(b"task,model,params,score\na,m1,1e8,30\n", "p.csv").unwrap_err().to_string();
    assert!(
        err.contains(
            "score 30 is outside [0, 1] (percentages? write 30% or 0.30, or mark the column's name with '(%)')"
        ),
        "{err}"
    );
    // a comma in the header decides: a semicolon inside a quoted name does not
    let ds = parse_csv(b"task,model,params,score\n\"a;b\",m1,1e8,0.3\n", "q.csv").unwrap();
    assert_eq!(ds.observations[0].task, "a;b");
}

/// A tidy CSV knows its columns by the names a wide table knows them by (case, `_` and `-`
/// aside; a unit in parentheses after a size or token count), and its score as `score`, `acc`
/// or `accuracy` (`(%)` for percentages): the same observations as the canonical header. Two
/// columns that hold the same, and a size without its unit, are refused with the column named.
#[test]
fn a_tidy_csv_knows_its_columns_by_the_names_a_wide_table_does() {
    use scurve::data::tidy::parse_csv;
    let canonical = parse_csv(
        b"task,model,params,score,n,tokens,family,shots\narc,m1,1.4e9,0.45,1000,3e11,f,0\narc,m2,7e9,0.581,1000,1e12,f,0\n",
        "c.csv",
    )
    .unwrap();
    let renamed = parse_csv(
        b"Benchmark,Model Name,Model_Size (B),ACC (%),Items,Training-Tokens (T),Model Family,Shots,stderr\n\
          arc,m1,1.4,45,1000,0.3,f,0,0.01\narc,m2,7,58.1,1000,1,f,0,0.01\n",
        "r.csv",
    )
    .unwrap();
    let key = |ds: &Dataset| -> Vec<String> {
        (ds.observations.iter())
            .map(|o| {
                format!(
                    "{} {} {} {:?} {:?} {:?} {:?}",
                    o.task, o.model, o.params, o.tokens, o.outcome, o.family, o.shots
                )
            })
            .collect()
    };
    assert_eq!(key(&renamed), key(&canonical));
    assert!(matches!(renamed.observations[1].outcome, Outcome::Counts { correct: 581, n: 1000 }));
    let ds = parse_csv(b"task,model,size,accuracy\narc,m1,1.3B,0.3\n", "a.csv").unwrap();
    assert_eq!((ds.observations[0].params, ds.observations[0].outcome.score()), (1.3e9, 0.3));
    // a suite beside its tasks: the task column is the task
    let ds = parse_csv(b"benchmark,task,model,params,score\nmmlu,anatomy,m1,1e9,0.3\n", "b.csv").unwrap();
    assert_eq!(ds.observations[0].task, "anatomy");
    for (text, want) in [
        (&b"task,model,params,acc,score\na,m,1e9,0.3,0.3\n"[..], "column 'score' means the same as column 'acc'"),
        (b"task,model,params,parameters,score\na,m,1e9,1e9,0.3\n", "field 'parameters'"),
        (b"task,model,params,score\na,m,1.4,0.3\n", "row 2, field 'params': a model of 1.4 parameters?"),
        (b"task,model,params (B),score\na,m,1.4B,0.3\n", "field 'params (B)': not a positive size: '1.4B'"),
        (b"task,model,acc\na,m,0.3\n", "missing column 'params' (or 'parameters', 'size'"),
        (
            b"task,model,params,Accuracy (n=100)\na,m,1e9,0.3\n",
            "field 'Accuracy (n=100)': unknown unit after 'Accuracy'",
        ),
        (b"task,model,params,acc_norm\na,m,1e9,0.3\n", "missing column 'correct' (or 'score', 'acc', 'accuracy')"),
    ] {
        let err = parse_csv(text, "e.csv").unwrap_err().to_string();
        assert!(err.contains(want), "{err}");
    }
}
