// SPDX-License-Identifier: MIT OR Apache-2.0
//! Writing the report to stdout without panicking when the reader has gone away.
//!
//! Rust programs ignore SIGPIPE, so writing into a closed pipe (`peerbar topology | head -1`)
//! fails with EPIPE, and `print!`/`println!` turn that failure into a panic. Subcommands print
//! through [`outln!`] and [`print`] instead: a closed stdout becomes the error [`StdoutClosed`],
//! which ends the subcommand (a `--watch` loop too) and which `main` turns into a quiet exit
//! with status 0, as when the reader took all it wanted.

use std::fmt::Display;
use std::io::{ErrorKind, Write};

/// Whoever read stdout has closed it.
#[derive(Debug)]
pub struct StdoutClosed;

impl Display for StdoutClosed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("stdout was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `text` to stdout and flushes it (so that a `--watch` refresh shows at once).
pub fn print(text: impl Display) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match write!(stdout, "{text}").and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(anyhow::Error::new(StdoutClosed)),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
    }
}

/// `println!` through [`print`]: evaluates to `anyhow::Result<()>`.
macro_rules! outln {
    () => {
        $crate::out::print("\n")
    };
    ($($arg:tt)*) => {
        $crate::out::print(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes raw bytes to stdout (`mem read --out -`), a closed stdout as in [`print`].
pub fn print_bytes(bytes: &[u8]) -> anyhow::Result<()> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(anyhow::Error::new(StdoutClosed)),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
    }
}
