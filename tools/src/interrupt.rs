// SPDX-License-Identifier: MIT OR Apache-2.0
//! Ctrl-C (SIGINT) for the long-running subcommands (bench, copy): the first one
//! asks the run to stop at the next job boundary and print its summary; a second one ends the
//! process at once (exit status 130, as a shell reports a SIGINT).

use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

static REQUESTED: AtomicBool = AtomicBool::new(false);

/// Installs the handler. Failing to (another handler is set) only loses the summary on Ctrl-C.
pub fn install() {
    let installed = ctrlc::set_handler(|| {
        if REQUESTED.swap(true, Ordering::SeqCst) {
            // The second Ctrl-C: the user does not want to wait for the summary.
            std::process::exit(130);
        }
        let mut stderr = std::io::stderr().lock();
        writeln!(
            stderr,
            "\n(interrupted: finishing the jobs in flight, then the summary; Ctrl-C again to quit now)"
        )
        .ok();
    });
    if let Err(e) = installed {
        log::warn!("no Ctrl-C handler ({e}): an interrupt ends peerbar without a summary");
    }
}

/// Whether Ctrl-C has been pressed.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// How long a run goes: `--duration SECONDS`, or `forever` (until Ctrl-C).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RunFor {
    Seconds(Duration),
    UntilInterrupted,
}

impl RunFor {
    /// The deadline from `start`, `None` for until Ctrl-C.
    pub fn deadline(self, start: Instant) -> Option<Instant> {
        match self {
            RunFor::Seconds(d) => Some(start + d),
            RunFor::UntilInterrupted => None,
        }
    }

    /// Seconds, `None` for until Ctrl-C (JSON: null).
    pub fn seconds(self) -> Option<f64> {
        match self {
            RunFor::Seconds(d) => Some(d.as_secs_f64()),
            RunFor::UntilInterrupted => None,
        }
    }
}

/// Parses `--duration`: a positive number of seconds (at most a week), or `forever`.
pub fn parse_run_for(text: &str) -> Result<RunFor, String> {
    if text.trim().eq_ignore_ascii_case("forever") {
        return Ok(RunFor::UntilInterrupted);
    }
    crate::units::parse_seconds(text)
        .map(RunFor::Seconds)
        .map_err(|e| format!("{e}; or `forever` to run until Ctrl-C"))
}

/// A live rate on stderr, refreshed once a second: on a terminal one line rewritten in place,
/// else one line per refresh (CI logs). Never on stdout, which holds the report.
pub struct Live {
    start: Instant,
    last: Instant,
    last_bytes: u64,
    terminal: bool,
}

impl Live {
    pub fn new() -> Live {
        let now = Instant::now();
        Live {
            start: now,
            last: now,
            last_bytes: 0,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    /// Called often; prints when a second has passed: `bytes` moved so far, `extra` appended.
    pub fn tick(&mut self, bytes: u64, extra: impl FnOnce() -> String) {
        let dt = self.last.elapsed().as_secs_f64();
        if dt < 1.0 {
            return;
        }
        let rate = (bytes - self.last_bytes.min(bytes)) as f64 / dt / 1e6;
        let line = format!(
            "{:>7.1} s  {:>10}  {rate:>9.1} MB/s wall (last second){}",
            self.start.elapsed().as_secs_f64(),
            crate::units::human_bytes(bytes),
            extra()
        );
        let mut stderr = std::io::stderr().lock();
        if self.terminal {
            write!(stderr, "\r{line}\x1b[K").ok();
        } else {
            writeln!(stderr, "{line}").ok();
        }
        stderr.flush().ok();
        self.last = Instant::now();
        self.last_bytes = bytes;
    }

    /// Ends the rewritten line (terminal) before the report.
    pub fn finish(&self) {
        if self.terminal && self.last != self.start {
            let mut stderr = std::io::stderr().lock();
            writeln!(stderr).ok();
        }
    }
}
