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
