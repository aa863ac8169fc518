//! Chance levels of common benchmark tasks, used when the data does not give one.

/// The chance level of a task by its lm-evaluation-harness name (or a leaderboard's column
/// name, such as `ARC-C`; case, `-` and spaces do not matter; a results table's metric and
/// shot count after the name, as in `parsinlu_qa_2_acc`, are passed over), when known.
pub fn builtin_chance(task: &str) -> Option<f64> {
    look_up(task, chance_of)
}

/// The chance level of a task as [`table_key`] spells it.
fn chance_of(t: &str) -> Option<f64> {
    // lm-evaluation-harness's names for the Open LLM Leaderboard's tasks
    let t = t.strip_prefix("leaderboard_").unwrap_or(t);
    let t = t.strip_prefix("bigbench_").unwrap_or(t);
    let t = t.strip_prefix("bbh_").unwrap_or(t);
    // MMLU-Pro's questions have ten options, not MMLU's four
    if t.starts_with("mmlu_pro") {
        return Some(0.1);
    }
    if t.starts_with("hendrycktest") || t.starts_with("hendryckstest") || t.starts_with("mmlu") {
        return Some(0.25);
    }
    // answers generated, not chosen: a guess is right almost never
    if ["lambada", "gsm8k", "dyck", "math_", "arithmetic_", "anagrams", "humaneval", "mbpp", "ifeval"]
        .iter()
        .any(|p| t.starts_with(p))
    {
        return Some(0.0);
    }
    if ["xcopa", "xstory_cloze", "xwinograd", "pawsx", "ethics_"].iter().any(|p| t.starts_with(p)) {
        return Some(0.5);
    }
    if t.starts_with("xnli") || t.starts_with("anli") {
        return Some(1.0 / 3.0);
    }
    if t.starts_with("blimp") || t.starts_with("crows_pairs") {
        return Some(0.5);
    }
    let c = match t {
        "parsinlu_qa"
        | "arc_challenge"
        | "arc_easy"
        | "arc"
        | "arc_c"
        | "arc_e"
        | "gpqa"
        | "sciq"
        | "logiqa"
        | "hellaswag"
        | "openbookqa"
        | "race"
        | "headqa"
        | "headqa_en"
        | "headqa_es"
        | "movie_recommendation"
        | "ruin_names"
        | "temporal_sequences"
        | "truthfulqa_mc"
        | "swag"
        | "prost" => 0.25,
        "piqa"
        | "winogrande"
        | "winograd"
        | "wsc"
        | "wsc273"
        | "boolq"
        | "copa"
        | "rte"
        | "wic"
        | "mrpc"
        | "qqp"
        | "sst"
        | "cola"
        | "qnli"
        | "causal_judgement"
        | "causal_judgment"
        | "formal_fallacies_syllogisms_negation"
        | "hyperbaton"
        | "navigate"
        | "snarks"
        | "sports_understanding"
        | "web_of_lies"
        | "boolean_expressions"
        | "multirc"
        | "wnli"
        | "toxigen" => 0.5,
        "cb"
        | "mnli"
        | "mnli_mismatched"
        | "disambiguation_qa"
        | "logical_deduction_three_objects"
        | "tracking_shuffled_objects_three_objects" => 1.0 / 3.0,
        "mathqa" | "logical_deduction_five_objects" | "tracking_shuffled_objects_five_objects" => 0.2,
        "date_understanding" | "salient_translation_error_detection" => 1.0 / 6.0,
        "logical_deduction_seven_objects" | "tracking_shuffled_objects_seven_objects" => 1.0 / 7.0,
        "geometric_shapes" => 0.1,
        "triviaqa"
        | "webqs"
        | "cycle_letters"
        | "random_insertion"
        | "reversed_words"
        | "word_unscrambling"
        | "ipa_transliterate"
        | "international_phonetic_alphabet_transliterate" => 0.0,
        "reasoning_about_colored_objects" => 1.0 / 18.0,
        _ => return None,
    };
    Some(c)
}

/// A task's name as the built-in tables spell it: lower case, with `-` and spaces as `_`.
pub(crate) fn table_key(task: &str) -> String {
    task.to_ascii_lowercase().replace(['-', ' '], "_")
}

/// A built-in table's entry for a task: by its name as [`table_key`] spells it, else by that
/// name without what a results table appends to it ([`bare_task`]).
pub(crate) fn look_up<T>(task: &str, table: impl Fn(&str) -> Option<T>) -> Option<T> {
    let key = table_key(task);
    table(&key).or_else(|| bare_task(&key).and_then(|k| table(&k)))
}

/// A column name (as [`table_key`] spells it) without what results tables append to a task's
/// name, when it has any: a harness filter after a comma (`gsm8k_5_exact_match,strict_match`),
/// then a metric that is a share of items (`_acc`, `_acc_norm`, `_exact_match`, …), then the
/// few-shot count (`_2`, `_5shot`). `parsinlu_qa_2_acc` is `parsinlu_qa`.
fn bare_task(key: &str) -> Option<String> {
    let mut t = key.split(',').next().unwrap_or(key);
    for metric in ["_acc_norm", "_acc", "_exact_str_match", "_exact_match", "_em", "_multiple_choice_grade"] {
        if let Some(rest) = t.strip_suffix(metric) {
            t = rest;
            break;
        }
    }
    let without_shot = t.strip_suffix("shots").or_else(|| t.strip_suffix("shot")).unwrap_or(t);
    let without_shot = without_shot.strip_suffix('_').unwrap_or(without_shot);
    let digits = without_shot.len() - without_shot.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 && without_shot[..without_shot.len() - digits].ends_with('_') {
        t = &without_shot[..without_shot.len() - digits - 1];
    }
    (t != key && !t.is_empty()).then(|| t.to_string())
}

#[cfg(test)]
mod tests {
    use super::builtin_chance;

    #[test]
    fn table_covers_the_common_tasks() {
        assert_eq!(builtin_chance("hendrycksTest-anatomy"), Some(0.25));
        assert_eq!(builtin_chance("arc_easy"), Some(0.25));
        assert_eq!(builtin_chance("piqa"), Some(0.5));
        assert_eq!(builtin_chance("lambada_openai"), Some(0.0));
        assert_eq!(builtin_chance("bigbench_logical_deduction_five_objects"), Some(0.2));
        assert_eq!(builtin_chance("my_private_task"), None);
        // leaderboard and spreadsheet column names
        assert_eq!(builtin_chance("ARC-C"), Some(0.25));
        assert_eq!(builtin_chance("HellaSwag"), Some(0.25));
        assert_eq!(builtin_chance("Winograd"), Some(0.5));
        assert_eq!(builtin_chance("XWinograd"), Some(0.5));
        assert_eq!(builtin_chance("GSM8K"), Some(0.0));
        assert_eq!(builtin_chance("HumanEval"), Some(0.0));
        assert_eq!(builtin_chance("MMLU"), Some(0.25));
        // ten options
        assert_eq!(builtin_chance("MMLU-Pro"), Some(0.1));
        assert_eq!(builtin_chance("mmlu_pro_math"), Some(0.1));
        assert_eq!(builtin_chance("leaderboard_mmlu_pro"), Some(0.1));
        assert_eq!(builtin_chance("leaderboard_gpqa"), Some(0.25));
        assert_eq!(builtin_chance("leaderboard_math_hard"), Some(0.0));
        assert_eq!(builtin_chance("leaderboard_ifeval"), Some(0.0));
        // BBH and MuSR mix tasks with different numbers of options
        assert_eq!(builtin_chance("leaderboard_bbh"), None);
        assert_eq!(builtin_chance("leaderboard_musr"), None);
        assert_eq!(builtin_chance("leaderboard_bbh_boolean_expressions"), Some(0.5));
        // MC2 is a probability mass, not a share of questions: no chance level to look up
        assert_eq!(builtin_chance("TruthfulQA"), None);
    }

    #[test]
    fn a_results_tables_metric_and_shot_count_are_passed_over() {
        use super::bare_task;
        assert_eq!(bare_task("parsinlu_qa_2_acc").as_deref(), Some("parsinlu_qa"));
        assert_eq!(bare_task("arc_challenge_25_acc_norm").as_deref(), Some("arc_challenge"));
        assert_eq!(bare_task("gsm8k_5_exact_match,strict_match").as_deref(), Some("gsm8k"));
        assert_eq!(bare_task("hellaswag_10shot").as_deref(), Some("hellaswag"));
        assert_eq!(bare_task("winogrande_5_shots").as_deref(), Some("winogrande"));
        assert_eq!(bare_task("arc_easy_acc").as_deref(), Some("arc_easy"));
        // nothing appended, or digits that are part of the name
        assert_eq!(bare_task("arc_easy"), None);
        assert_eq!(bare_task("anli_r2"), None);
        assert_eq!(bare_task("arithmetic_2da").as_deref(), None);
        assert_eq!(bare_task("_2"), None);
        // BIG-bench's emergent tasks as a results table names them
        assert_eq!(builtin_chance("parsinlu_qa_2_acc"), Some(0.25));
        assert_eq!(builtin_chance("word_unscrambling_2_exact_match"), Some(0.0));
        assert_eq!(builtin_chance("ipa_transliterate_2_exact_match"), Some(0.0));
        assert_eq!(builtin_chance("arithmetic_3ds_2_acc"), Some(0.0));
        // a metric that is not a share of items is not passed over
        assert_eq!(builtin_chance("parsinlu_qa_2_bleu"), None);
        assert_eq!(builtin_chance("my_task_5_acc"), None);
    }

    #[test]
    fn table_covers_the_tasks_of_the_harness_results() {
        // four choices per PROST question, four endings per SWAG context
        assert_eq!(builtin_chance("prost"), Some(0.25));
        assert_eq!(builtin_chance("swag"), Some(0.25));
        assert_eq!(builtin_chance("ethics_virtue"), Some(0.5));
        assert_eq!(builtin_chance("toxigen"), Some(0.5));
        assert_eq!(builtin_chance("math_algebra"), Some(0.0));
        assert_eq!(builtin_chance("arithmetic_2da"), Some(0.0));
        assert_eq!(builtin_chance("triviaqa"), Some(0.0));
        // the multiple-choice MathQA is not one of the generated math_ tasks
        assert_eq!(builtin_chance("mathqa"), Some(0.2));
    }
}
