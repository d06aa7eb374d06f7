// SPDX-License-Identifier: MIT OR Apache-2.0
//! Progress bars on stderr for long work: hidden for `--json` and when stderr is not a terminal
//! (CI logs, pipes), so machine-readable output and logs stay clean.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What the bar counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counting {
    /// Bytes: shown with units and a rate.
    Bytes,
    /// Steps (jobs, sweep points): shown as `n/total`.
    Steps,
}

/// A bar over `total` units, or a hidden one when nobody would see it.
pub fn bar(json: bool, total: u64, counting: Counting) -> ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = match counting {
        Counting::Bytes => {
            "{spinner} [{elapsed_precise}] [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} {msg}"
        }
        Counting::Steps => "{spinner} [{elapsed_precise}] [{bar:30}] {pos}/{len} {msg}",
    };
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(template)
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}
