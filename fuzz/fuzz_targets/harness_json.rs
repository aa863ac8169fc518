#![no_main]
//! The lm-evaluation-harness JSON loader on arbitrary text.

use libfuzzer_sys::fuzz_target;
use scurve::data::harness::{HarnessOptions, Metric, parse_json};

mod common;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    for metric in [Metric::Acc, Metric::AccNorm] {
        if let Ok(ds) = parse_json(text, "results_pythia-160m.json", &HarnessOptions { metric, sizes: None }) {
            common::exercise(&ds);
        }
    }
});
