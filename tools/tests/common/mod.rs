// SPDX-License-Identifier: MIT OR Apache-2.0
//! Helpers shared by the CLI test binaries (cli.rs, push.rs, bench.rs): run `peerbar` and
//! capture its exit code and output. Each test binary uses a subset, hence the allow.
#![allow(dead_code)]

use assert_cmd::Command;
use serde_json::Value;

/// Exit codes documented in `peerbar --help`.
pub const EXIT_OK: i32 = 0;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_DEVICE: i32 = 3;
pub const EXIT_DMA_STATUS: i32 = 4;

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// The `peerbar` binary, with `RUST_LOG` removed so the output is free of log lines.
pub fn peerbar() -> Command {
    let mut cmd = Command::cargo_bin("peerbar").expect("the peerbar binary is built");
    cmd.env_remove("RUST_LOG");
    cmd
}

pub fn run(args: &[&str]) -> Run {
    let out = peerbar().args(args).output().expect("peerbar runs");
    Run {
        code: out.status.code().expect("peerbar exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `peerbar` expecting success and parses its stdout as JSON.
pub fn json(args: &[&str]) -> Value {
    let r = run(args);
    assert_eq!(r.code, EXIT_OK, "peerbar {args:?} failed: {}", r.stderr);
    serde_json::from_str(&r.stdout)
        .unwrap_or_else(|e| panic!("peerbar {args:?}: stdout is not JSON ({e}):\n{}", r.stdout))
}

/// Follows a `a.b.c` path into a JSON value; panics naming the missing field.
pub fn field<'a>(v: &'a Value, path: &str) -> &'a Value {
    let mut cur = v;
    for key in path.split('.') {
        cur = cur
            .get(key)
            .unwrap_or_else(|| panic!("field {path:?} missing (at {key:?}) in {v:#}"));
    }
    cur
}

/// How a watched run ended: [`run_watched`].
pub struct Watched {
    /// `None` when it was killed (over time or memory) or died by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub timed_out: bool,
    /// Peak resident memory (VmHWM), KiB, as last seen while it ran.
    pub peak_rss_kib: u64,
    pub over_memory: bool,
}

/// Runs `peerbar` with `stdin` as its input, killing it after `timeout` or once its resident
/// memory passes `max_rss_kib` (polled from /proc every 10 ms: a runaway allocation is caught
/// long before it hurts the machine).
pub fn run_watched(
    args: &[&str],
    stdin: &[u8],
    timeout: std::time::Duration,
    max_rss_kib: u64,
) -> Watched {
    use std::io::{Read, Write};
    use std::process::Stdio;
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("peerbar"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("peerbar starts");
    // Pipes are fed and drained by threads so that a full pipe never blocks either side.
    let mut input = child.stdin.take().expect("piped");
    let stdin = stdin.to_vec();
    let feeder = std::thread::spawn(move || {
        // peerbar may stop reading early (a refused list): a broken pipe here is expected.
        input.write_all(&stdin).ok();
    });
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            r.read_to_end(&mut bytes).ok();
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("piped")));
    let err = drain(Box::new(child.stderr.take().expect("piped")));
    let status_path = format!("/proc/{}/status", child.id());
    let started = std::time::Instant::now();
    let (mut timed_out, mut over_memory, mut peak_rss_kib) = (false, false, 0);
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting for peerbar") {
            break status;
        }
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_rss_kib = peak_rss_kib.max(kib);
            }
        }
        timed_out = started.elapsed() > timeout;
        over_memory = peak_rss_kib > max_rss_kib;
        if timed_out || over_memory {
            child.kill().ok();
            break child.wait().expect("waiting for killed peerbar");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    feeder.join().ok();
    Watched {
        code: status.code().filter(|_| !(timed_out || over_memory)),
        stdout: out.join().expect("stdout drained"),
        stderr: err.join().expect("stderr drained"),
        timed_out,
        peak_rss_kib,
        over_memory,
    }
}
