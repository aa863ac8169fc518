//! The `scurve` command line: parses arguments, calls the library, prints.
//! Exit codes: 0 success, 1 failure, 2 bad input, 3 `--strict` diagnostics warnings.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            let input = e.chain().any(|c| c.downcast_ref::<scurve::Error>().is_some_and(|s| s.is_input()));
            ExitCode::from(if input { 2 } else { 1 })
        }
    }
}
