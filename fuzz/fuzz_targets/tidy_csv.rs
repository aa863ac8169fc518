#![no_main]
//! The tidy CSV loader on arbitrary bytes.

use libfuzzer_sys::fuzz_target;

mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(ds) = scurve::data::tidy::parse_csv(data, "fuzz.csv") {
        common::exercise(&ds);
    }
});
