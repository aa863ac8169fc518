//! A progress bar on standard error while sampling, and Ctrl-C handling.

use std::io::IsTerminal;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A progress bar that stays quiet when stderr is not a terminal or when asked.
pub struct Bar(ProgressBar);

impl Bar {
    pub fn new(total: u64, quiet: bool) -> Self {
        let bar = ProgressBar::with_draw_target(
            Some(total),
            if quiet || !std::io::stderr().is_terminal() {
                ProgressDrawTarget::hidden()
            } else {
                ProgressDrawTarget::stderr()
            },
        );
        bar.set_style(
            ProgressStyle::with_template("sampling {bar:40} {percent:>3}% {elapsed_precise} (eta {eta})")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Bar(bar)
    }

    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl scurve::sample::Progress for Bar {
    fn update(&self, done: u64) {
        self.0.set_position(done);
    }

    fn extend(&self, more: u64) {
        self.0.inc_length(more);
    }
}

static STOP: OnceLock<&'static AtomicBool> = OnceLock::new();

/// A flag set by Ctrl-C (installed once per process).
pub fn interrupt_flag() -> &'static AtomicBool {
    STOP.get_or_init(|| {
        let flag: &'static AtomicBool = Box::leak(Box::new(AtomicBool::new(false)));
        let _ = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst));
        flag
    })
}
