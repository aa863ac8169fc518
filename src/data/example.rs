//! The built-in example: lm-evaluation-harness 0-shot accuracy of the Pythia and OPT ladders on
//! eight tasks (real figures), used when no data file is given.

/// The example as a tidy CSV (family,model,params,task,correct,n,chance).
pub const EXAMPLE_CSV: &str = include_str!("example.csv");
