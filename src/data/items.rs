//! Item counts of common benchmark tasks, used when the data gives only a score: a score that
//! is an exact multiple of 1/n for the task's n becomes a count (`correct` of n), so the
//! likelihood knows how noisy it is. The counts are those lm-evaluation-harness evaluates (the
//! split it scores), as recovered exactly from the standard errors of the result files in the
//! project's reference data; leaderboard column names for the same tasks are included.

use std::collections::HashMap;

use crate::data::chance::look_up;
use crate::data::{Observation, Outcome};

/// The item count of a task by its lm-evaluation-harness name (or a leaderboard's column name,
/// such as `ARC-C`; case, `-` and spaces do not matter; a results table's metric and shot
/// count after the name, as in `parsinlu_qa_2_acc`, are passed over), when known.
pub fn builtin_items(task: &str) -> Option<u64> {
    look_up(task, items_of)
}

/// The item count of a task as [`crate::data::chance::table_key`] spells it.
fn items_of(t: &str) -> Option<u64> {
    if let Some(subject) = t.strip_prefix("hendryckstest_").or_else(|| t.strip_prefix("mmlu_")) {
        return mmlu_subject(subject);
    }
    for (prefix, n) in
        [("arithmetic_", 2000), ("pawsx_", 2000), ("xcopa_", 500), ("xnli_", 5010), ("xstory_cloze_", 1511)]
    {
        if t.starts_with(prefix) {
            return Some(n);
        }
    }
    Some(match t {
        "arc_challenge" | "arc_c" => 1172,
        "arc_easy" | "arc_e" => 2376,
        "hellaswag" => 10042,
        "winogrande" => 1267,
        "piqa" => 1838,
        "boolq" => 3270,
        "copa" => 100,
        "cb" => 56,
        "lambada_openai" | "lambada_standard" | "lambada_openai_cloze" | "lambada_standard_cloze" => 5153,
        "logiqa" => 651,
        "mathqa" => 2985,
        "openbookqa" => 500,
        "prost" => 18736,
        "race" => 1045,
        "sciq" => 1000,
        "swag" => 20006,
        "wsc" => 104,
        "wsc273" => 273,
        "gsm8k" => 1319,
        "humaneval" => 164,
        "headqa_en" | "headqa_es" => 2742,
        "triviaqa" => 11313,
        "webqs" => 2032,
        "rte" => 277,
        "wic" => 638,
        "mrpc" => 408,
        "qnli" => 5463,
        "qqp" => 40430,
        "sst" => 872,
        "wnli" => 71,
        "mnli" => 9815,
        "mnli_mismatched" => 9832,
        "anli_r1" | "anli_r2" => 1000,
        "anli_r3" => 1200,
        "toxigen" => 940,
        "ethics_cm" => 3885,
        "ethics_deontology" => 3596,
        "ethics_justice" => 2704,
        "ethics_utilitarianism" | "ethics_utilitarianism_original" => 4808,
        "ethics_virtue" => 4975,
        "asdiv" | "math_asdiv" => 2305,
        "math_algebra" => 1187,
        "math_counting_and_prob" => 474,
        "math_geometry" => 479,
        "math_intermediate_algebra" => 903,
        "math_num_theory" => 540,
        "math_prealgebra" => 871,
        "math_precalc" => 546,
        "xwinograd_en" => 2325,
        "xwinograd_fr" => 83,
        "xwinograd_jp" => 959,
        "xwinograd_pt" => 263,
        "xwinograd_ru" => 315,
        "xwinograd_zh" => 504,
        // the Open LLM Leaderboard's (v2) tasks as lm-evaluation-harness's leaderboard group
        // scores them: each a share of all its subtasks' items (every score of 72 models in the
        // observational-scaling data is a whole count of these; the site shows other, normalised
        // figures under the short names)
        "leaderboard_bbh" => 5761,
        "leaderboard_gpqa" => 1192,
        "leaderboard_ifeval" => 834,
        "leaderboard_math_hard" => 1324,
        "leaderboard_mmlu_pro" => 12032,
        "leaderboard_musr" => 756,
        // BIG-bench (the examples in each task's file)
        "parsinlu_qa" => 1050,
        "ipa_transliterate" | "international_phonetic_alphabet_transliterate" => 1003,
        _ => return None,
    })
}

/// MMLU's subjects (test split), as `hendrycksTest-X` and `mmlu_X` name them.
fn mmlu_subject(subject: &str) -> Option<u64> {
    Some(match subject {
        "abstract_algebra"
        | "business_ethics"
        | "college_chemistry"
        | "college_computer_science"
        | "college_mathematics"
        | "computer_security"
        | "global_facts"
        | "high_school_computer_science"
        | "medical_genetics"
        | "us_foreign_policy" => 100,
        "college_physics" => 102,
        "management" => 103,
        "jurisprudence" => 108,
        "public_relations" => 110,
        "machine_learning" => 112,
        "econometrics" => 114,
        "international_law" => 121,
        "formal_logic" => 126,
        "human_sexuality" => 131,
        "anatomy" => 135,
        "college_biology" => 144,
        "electrical_engineering" => 145,
        "high_school_physics" => 151,
        "astronomy" => 152,
        "logical_fallacies" => 163,
        "high_school_european_history" => 165,
        "virology" => 166,
        "world_religions" => 171,
        "college_medicine" => 173,
        "high_school_government_and_politics" => 193,
        "high_school_geography" => 198,
        "sociology" => 201,
        "high_school_chemistry" => 203,
        "high_school_us_history" => 204,
        "high_school_statistics" => 216,
        "human_aging" => 223,
        "marketing" => 234,
        "conceptual_physics" => 235,
        "high_school_world_history" => 237,
        "high_school_microeconomics" => 238,
        "security_studies" => 245,
        "clinical_knowledge" => 265,
        "high_school_mathematics" => 270,
        "professional_medicine" => 272,
        "professional_accounting" => 282,
        "nutrition" => 306,
        "high_school_biology" => 310,
        "philosophy" => 311,
        "prehistory" => 324,
        "moral_disputes" => 346,
        "elementary_mathematics" => 378,
        "high_school_macroeconomics" => 390,
        "high_school_psychology" => 545,
        "professional_psychology" => 612,
        "miscellaneous" => 783,
        "moral_scenarios" => 895,
        "professional_law" => 1534,
        _ => return None,
    })
}

/// Turn each score-only observation of a task in the table into counts: when its score is a
/// whole number of items out of the task's n (to 1e-6 of an item), the score exactly, with its
/// noise known; and when it is such a share rounded (a paper's 46.3%, a table's 0.4633), the
/// nearest whole number of items, with `rounded` set to the decimals it was written to. A
/// task's rounded scores are taken as written alike, to the most decimals any of them shows
/// (43.0% beside 43.1% is 0.430), and become counts all or none: each must lie within its
/// rounding of a whole count, and the rounding be at most half the count's binomial standard
/// deviation (its error then adds at most a twelfth to the count's variance). Scores that are
/// neither (an average of subtasks, another split, 78% of 10,042 items) stay scores.
pub fn fill_item_counts(observations: &mut [Observation]) {
    // the exact shares; then, per task with rounded ones, its items and their decimals, and
    // whether every one passes
    let mut rounded_of: HashMap<String, (u64, u32)> = HashMap::new();
    for o in observations.iter_mut() {
        let Outcome::Score(s) = o.outcome else { continue };
        let Some(n) = builtin_items(&o.task) else { continue };
        let k = s * n as f64;
        if (k - k.round()).abs() < 1e-6 {
            o.outcome = Outcome::Counts { correct: k.round() as u64, n };
        } else if let Some(d) = written_decimals(s) {
            let e = rounded_of.entry(o.task.clone()).or_insert((n, d));
            e.1 = e.1.max(d);
        }
    }
    // each rounded score's nearest count (None when it fails), worked out once
    let rounded: Vec<Option<(Option<u64>, u64, u32)>> = observations
        .iter()
        .map(|o| match (o.outcome, rounded_of.get(&o.task)) {
            (Outcome::Score(s), Some(&(n, d))) if written_decimals(s).is_some() => Some((nearest_count(s, n, d), n, d)),
            _ => None,
        })
        .collect();
    let mut passes: HashMap<String, bool> = HashMap::new();
    for (o, r) in observations.iter().zip(&rounded) {
        if let Some((count, _, _)) = r {
            *passes.entry(o.task.clone()).or_insert(true) &= count.is_some();
        }
    }
    for (o, r) in observations.iter_mut().zip(rounded) {
        if let Some((Some(correct), n, d)) = r.filter(|_| passes[&o.task]) {
            o.outcome = Outcome::Counts { correct, n };
            o.rounded = Some(d);
        }
    }
}

/// The whole number of n items nearest to score `s` written to `d` decimals, when it lies
/// within the rounding and the rounding is at most half its binomial sd (at least one item).
fn nearest_count(s: f64, n: u64, d: u32) -> Option<u64> {
    let correct = (s * n as f64).round();
    let half_unit = 0.5 * 10f64.powi(-(d as i32));
    let within = (correct / n as f64 - s).abs() <= half_unit * (1.0 + 1e-9);
    let sd = (correct * (n as f64 - correct) / n as f64).sqrt().max(1.0);
    (within && half_unit * n as f64 <= 0.5 * sd).then_some(correct as u64)
}

/// The fewest items (up to 100,000) of which every one of `scores` is a whole number (to 1e-6
/// of an item), when at least three different ones, none 0 or 1, are given to every digit
/// (rounded ones, which any count comes near, are passed over): the item count a task's
/// full-precision scores reveal, as a harness's accuracies do. Three such scores fit some n
/// below 100,000 by chance about once in 10¹². A macro-average of subtasks of unequal sizes
/// fits one too (their least common multiple), which is why this is offered, not applied.
pub fn revealed_items(scores: &[f64]) -> Option<u64> {
    let mut exact: Vec<f64> =
        scores.iter().copied().filter(|&s| s > 0.0 && s < 1.0 && written_decimals(s).is_none()).collect();
    exact.sort_by(f64::total_cmp);
    exact.dedup();
    if exact.len() < 3 {
        return None;
    }
    (2..=100_000u64).find(|&n| {
        exact.iter().all(|&s| {
            let k = s * n as f64;
            (k - k.round()).abs() < 1e-6
        })
    })
}

/// The tasks of `series` without item counts whose scores given to every digit are all whole
/// numbers of some number of items ([`revealed_items`]), each with that number; a task whose
/// item count `--items` gave (or said it has none) is not read.
pub fn revealed_counts(series: &[crate::data::Series]) -> Vec<(String, u64)> {
    let mut scores: std::collections::BTreeMap<&str, Vec<f64>> = std::collections::BTreeMap::new();
    for s in series.iter().filter(|s| !s.items_given) {
        for p in &s.points {
            if let Outcome::Score(v) = p.outcome {
                scores.entry(s.task.as_str()).or_default().push(v);
            }
        }
    }
    scores.into_iter().filter_map(|(t, v)| revealed_items(&v).map(|n| (t.to_string(), n))).collect()
}

/// The decimals a score in [0, 1] was written to, as a share (a percentage's one decimal is a
/// share's three): the fewest, up to six, at which it is a whole number of units to rounding.
fn written_decimals(s: f64) -> Option<u32> {
    (0..=6).find(|&d| {
        let v = s * 10f64.powi(d as i32);
        (v - v.round()).abs() <= 1e-9 * v.abs().max(1.0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    #[test]
    fn table_knows_harness_and_leaderboard_names() {
        assert_eq!(builtin_items("arc_challenge"), Some(1172));
        assert_eq!(builtin_items("ARC-C"), Some(1172));
        assert_eq!(builtin_items("hendrycksTest-anatomy"), Some(135));
        assert_eq!(builtin_items("mmlu_professional_law"), Some(1534));
        assert_eq!(builtin_items("xnli_sw"), Some(5010));
        assert_eq!(builtin_items("math_asdiv"), Some(2305));
        assert_eq!(builtin_items("HumanEval"), Some(164));
        // MMLU as one score is a macro-average, not a share of 14042 items
        assert_eq!(builtin_items("MMLU"), None);
        assert_eq!(builtin_items("mmlu_pro"), None);
        assert_eq!(builtin_items("leaderboard_mmlu_pro"), Some(12032));
        assert_eq!(builtin_items("leaderboard_math_hard"), Some(1324));
        // the leaderboard site's normalised figures are not shares of items
        assert_eq!(builtin_items("GPQA"), None);
        assert_eq!(builtin_items("my_task"), None);
        // a results table's column names
        assert_eq!(builtin_items("parsinlu_qa_2_acc"), Some(1050));
        assert_eq!(builtin_items("arithmetic_2da_2_acc"), Some(2000));
        assert_eq!(builtin_items("gsm8k_5_exact_match,strict-match"), Some(1319));
        assert_eq!(builtin_items("ipa_transliterate_2_bleu"), None);
    }

    /// A model's score `s` on `task`, without an item count.
    fn obs(task: &str, s: f64) -> Observation {
        Observation {
            task: task.into(),
            family: None,
            model: "m".into(),
            params: 1e9,
            tokens: None,
            outcome: Outcome::Score(s),
            chance: None,
            shots: None,
            at: Location::file("f"),
            revision: None,
            rounded: None,
            score: Some(s),
        }
    }

    #[test]
    fn only_whole_counts_become_counts() {
        let mut v = vec![
            obs("ARC-C", 543.0 / 1172.0),
            obs("ARC-C", 0.46331234567),
            obs("math_asdiv", 0.0),
            obs("mine", 0.5),
            obs("humaneval", 1.0),
        ];
        fill_item_counts(&mut v);
        assert_eq!(v[0].outcome, Outcome::Counts { correct: 543, n: 1172 });
        assert_eq!(v[1].outcome, Outcome::Score(0.46331234567));
        assert_eq!(v[2].outcome, Outcome::Counts { correct: 0, n: 2305 });
        assert_eq!(v[3].outcome, Outcome::Score(0.5));
        assert_eq!(v[4].outcome, Outcome::Counts { correct: 164, n: 164 });
        assert!(v.iter().all(|o| o.rounded.is_none()));
    }

    #[test]
    fn full_precision_scores_reveal_their_item_count() {
        let shares = |n: f64, ks: &[f64]| ks.iter().map(|k| k / n).collect::<Vec<f64>>();
        assert_eq!(revealed_items(&shares(1267.0, &[938.0, 971.0, 1061.0])), Some(1267));
        // a rounded one beside them is passed over, and so are 0 and 1
        let mut v = shares(1267.0, &[938.0, 971.0, 1061.0]);
        v.extend([0.873, 0.0, 1.0]);
        assert_eq!(revealed_items(&v), Some(1267));
        // all even counts: the fewest items they are whole numbers of (shares of 1,000 items look
        // rounded to three decimals, and are passed over)
        assert_eq!(revealed_items(&shares(1838.0, &[400.0, 612.0, 718.0])), Some(919));
        assert_eq!(revealed_items(&shares(1000.0, &[401.0, 613.0, 719.0])), None);
        // two are not enough, and means of probabilities fit nothing
        assert_eq!(revealed_items(&shares(1267.0, &[938.0, 971.0])), None);
        assert_eq!(revealed_items(&[0.3898020280158031, 0.3417240296370838, 0.4492349372188735]), None);
        assert_eq!(revealed_items(&[0.45, 0.5, 0.55]), None);
    }

    #[test]
    fn a_rounded_share_of_the_items_becomes_the_nearest_count() {
        // one task's scores, as a table's column gives them: each one's outcome and decimals
        let column = |task: &str, scores: &[f64]| {
            let mut v: Vec<Observation> = scores.iter().map(|&s| obs(task, s)).collect();
            fill_item_counts(&mut v);
            v.into_iter().map(|o| (o.outcome, o.rounded)).collect::<Vec<_>>()
        };
        let count = |correct, n, d| (Outcome::Counts { correct, n }, Some(d));
        // 543/1172 = 0.46331..., written 0.4633 and 46.3%
        assert_eq!(column("ARC-C", &[0.4633]), [count(543, 1172, 4)]);
        assert_eq!(column("ARC-C", &[46.3 / 100.0]), [count(543, 1172, 3)]);
        // 46% of 1172 is within 5.9 items of 539, half the binomial sd being 8.5
        assert_eq!(column("ARC-C", &[0.46]), [count(539, 1172, 2)]);
        // 78% of 10042 is 50 items either way, the sd 41; 78.1% is 5
        assert_eq!(column("hellaswag", &[0.78]), [(Outcome::Score(0.78), None)]);
        assert_eq!(column("hellaswag", &[0.781]), [count(7843, 10042, 3)]);
        // a column is written alike: 77.0% beside 78.1% is 0.770, not 0.77
        assert_eq!(column("hellaswag", &[0.77, 0.781]), [count(7732, 10042, 3), count(7843, 10042, 3)]);
        // no whole count of 164 items lies within 0.0005 of 0.125: not a share of them
        assert_eq!(column("humaneval", &[0.125]), [(Outcome::Score(0.125), None)]);
        // an average of something, not rounded to six decimals, stays a score and leaves the
        // rounded scores beside it as they are (a report's figures among a harness's)
        assert_eq!(column("ARC-C", &[0.46331234567]), [(Outcome::Score(0.46331234567), None)]);
        assert_eq!(column("ARC-C", &[0.46331234567, 0.4633])[1], count(543, 1172, 4));
        // near 0: 1% of GSM8K's 1319 is within 6.6 items of 13, the sd 3.6; 0.8% within 0.7 of 11
        assert_eq!(column("gsm8k", &[0.01]), [(Outcome::Score(0.01), None)]);
        assert_eq!(column("gsm8k", &[0.008]), [count(11, 1319, 3)]);
        assert_eq!(column("gsm8k", &[0.0076]), [count(10, 1319, 4)]);
        assert_eq!(column("mine", &[0.5]), [(Outcome::Score(0.5), None)]);
        // a column becomes counts all or none: 30% of 2376 is 11.9 items either way, above half
        // the sd, 11.2; 51% passes alone (12.2) but not beside it; an exact share is a count
        assert_eq!(column("arc_easy", &[0.51]), [count(1212, 2376, 2)]);
        let scores = column("arc_easy", &[0.51, 0.3]);
        assert_eq!(scores, [(Outcome::Score(0.51), None), (Outcome::Score(0.3), None)]);
        assert_eq!(
            column("ARC-C", &[0.4633, 0.46331234567, 543.0 / 1172.0])[2],
            (Outcome::Counts { correct: 543, n: 1172 }, None)
        );
    }
}
