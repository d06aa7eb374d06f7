// SPDX-License-Identifier: MIT OR Apache-2.0
//! Bring-up commands: `reg read|write`, `mem read|write|fill|dump`,
//! `push --in/--out`, `--duration` and Ctrl-C for bench and copy, the example lists under
//! examples/ (every one run, as the README and the files' own comments use them), and
//! `--json` errors as one `peerbar-error/1` object on stdout.

mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

/// The workspace root: the examples' and the README's paths are relative to it.
fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tools/ is in the workspace")
        .to_path_buf()
}

/// Runs `peerbar` from the workspace root.
fn run_at_root(args: &[&str]) -> Run {
    let out = peerbar()
        .current_dir(root())
        .args(args)
        .output()
        .expect("peerbar runs");
    Run {
        code: out.status.code().expect("peerbar exited normally"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn parse(r: &Run, what: &str) -> Value {
    serde_json::from_str(&r.stdout).unwrap_or_else(|e| {
        panic!(
            "{what}: stdout is not JSON ({e}):\n{}\nstderr: {}",
            r.stdout, r.stderr
        )
    })
}

/// A directory under the system's temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir =
            std::env::temp_dir().join(format!("peerbar-bringup-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("creating a temp dir");
        TempDir(dir)
    }

    fn file(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Asserts the JSON error object a failed `--json` command prints on stdout.
fn assert_json_error(args: &[&str], code: i32, needles: &[&str]) -> Value {
    let r = run_at_root(args);
    assert_eq!(r.code, code, "peerbar {args:?}: {}{}", r.stdout, r.stderr);
    let v = parse(&r, &format!("peerbar {args:?}"));
    assert_eq!(v["schema"], "peerbar-error/1", "{v:#}");
    assert_eq!(v["exit_code"], code, "{v:#}");
    let message = v["message"].as_str().expect("message is a string");
    for needle in needles {
        assert!(
            message.contains(needle),
            "{args:?}: {message:?} lacks {needle:?}"
        );
    }
    // The human message still goes to stderr.
    assert!(r.stderr.contains("error: "), "{}", r.stderr);
    v
}

// ---- reg ----

#[test]
fn reg_read_by_name_offset_and_field() {
    let r = run(&["reg", "read", "version"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(r.stdout.starts_with("0x0004 VERSION = 0x"), "{}", r.stdout);
    assert!(
        r.stdout.contains("const") && r.stdout.contains("MINOR="),
        "{}",
        r.stdout
    );

    let v = json(&["reg", "read", "0x0", "--json"]);
    assert_eq!(v["schema"], "peerbar-reg/1");
    assert_eq!(v["name"], "MAGIC");
    assert_eq!(v["op"], "read");
    assert_eq!(v["written"], Value::Null);

    let v = json(&["reg", "read", "STATUS.MAX_PAYLOAD", "--json"]);
    assert_eq!(v["name"], "STATUS");
    assert_eq!(v["field"]["name"], "MAX_PAYLOAD");
    assert_eq!(v["field"]["value"], v["fields"]["MAX_PAYLOAD"]);

    let v = json(&["reg", "read", "queue[1].sq_tail", "--json"]);
    assert_eq!(v["name"], "QUEUE[1].SQ_TAIL");
    assert_eq!(v["access"], "rw");
}

#[test]
fn reg_write_reads_back_and_changes_one_field() {
    let v = json(&["reg", "write", "SCRATCH", "0x12345678", "--json"]);
    assert_eq!(v["op"], "write");
    assert_eq!(v["written"], "0x12345678");
    assert_eq!(v["value"], "0x12345678");

    let r = run(&["reg", "write", "scratch", "0xcafe"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains("wrote 0x0000cafe to 0x0018 SCRATCH"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("SCRATCH = 0x0000cafe"), "{}", r.stdout);

    let v = json(&["reg", "write", "DMA_CONTROL.ENABLE=1", "--json"]);
    assert_eq!(v["field"]["name"], "ENABLE");
    assert_eq!(v["field"]["value"], 1);
    assert_eq!(v["fields"]["ENABLE"], 1);
}

#[test]
fn reg_refuses_bad_input_and_read_only_writes_without_force() {
    let cases: &[(&[&str], &[&str])] = &[
        (
            &["reg", "read", "NOPE"],
            &["no register named \"NOPE\"", "peerbar regs"],
        ),
        (&["reg", "read", "0x3"], &["4-byte aligned"]),
        (
            &["reg", "read", "QUEUE[99].SQ_TAIL"],
            &["this endpoint has", "QUEUE[0] .. QUEUE[", "SQ_TAIL"],
        ),
        (&["reg", "read", "0x10000"], &["outside BAR0"]),
        (
            &["reg", "read", "STATUS.NOPE"],
            &["STATUS has no field \"NOPE\"", "MAX_PAYLOAD"],
        ),
        (
            &["reg", "write", "VERSION", "1"],
            &["VERSION is const", "--force"],
        ),
        (
            &["reg", "write", "STATUS.LINK_UP=0"],
            &["STATUS.LINK_UP is ro", "--force"],
        ),
        (
            &["reg", "write", "0x7fc", "1"],
            &["not a register of the map", "--force"],
        ),
        (&["reg", "write", "SCRATCH", "0x1_0000_0000"], &["32 bits"]),
        (&["reg", "write", "SCRATCH", "12q"], &["not a number"]),
        (&["reg", "write", "SCRATCH"], &["which value?"]),
        (
            &["reg", "write", "DMA_CONTROL.ENABLE=2"],
            &["1 bit(s) wide"],
        ),
        (&["reg", "write", "SCRATCH=3"], &["needs a field"]),
        (
            &["reg", "write", "MSIX_TABLE[0].DATA", "0x55"],
            &["MSIX_TABLE[0].DATA belongs to the MSI-X setup", "--force"],
        ),
        (
            &["reg", "write", "MSIX_TABLE[1].VECTOR_CONTROL.MASK=0"],
            &["MSI-X setup", "--force"],
        ),
    ];
    for (args, needles) in cases {
        let r = run(args);
        assert_eq!(r.code, EXIT_USAGE, "peerbar {args:?}: {}", r.stderr);
        for needle in *needles {
            assert!(
                r.stderr.contains(needle),
                "{args:?}: {} lacks {needle:?}",
                r.stderr
            );
        }
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        assert!(
            r.stdout.is_empty(),
            "{args:?} wrote to stdout: {}",
            r.stdout
        );
    }
    // --force writes anyway.
    let r = run(&["reg", "write", "VERSION", "1", "--force"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains("VERSION = 0x00000200"),
        "a constant keeps its value: {}",
        r.stdout
    );
    let r = run(&["reg", "write", "MSIX_TABLE[0].DATA", "0x55", "--force"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(r.stdout.contains("0x00000055"), "{}", r.stdout);
    let r = run(&["reg", "write", "0x7fc", "1", "--force"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains("(not in the register map)"),
        "{}",
        r.stdout
    );
}

// ---- mem ----

#[test]
fn mem_fill_dump_write_read() {
    let dir = TempDir::new("mem");
    // A fresh simulation's BAR2 is zero.
    let r = run(&["mem", "dump", "0x10", "20"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "00000010  00 00 00 00 00 00 00 00  00 00 00 00 00 00 00 00  |................|\n\
         00000020  00 00 00 00                                       |....|\n"
    );
    let v = json(&["mem", "dump", "0", "4", "--json"]);
    assert_eq!(v["schema"], "peerbar-mem/1");
    assert_eq!(v["hex"], "00000000");

    let v = json(&["mem", "fill", "0x1000", "4KiB", "--byte", "0xa5", "--json"]);
    assert_eq!(v["op"], "fill");
    assert_eq!(
        (v["offset"].as_u64(), v["bytes"].as_u64()),
        (Some(4096), Some(4096))
    );
    // The same pattern twice has the same CRC; another seed another.
    let a = json(&["mem", "fill", "0", "1k", "--seed", "7", "--json"]);
    let b = json(&["mem", "fill", "0x800", "1k", "--seed", "7", "--json"]);
    let c = json(&["mem", "fill", "0", "1k", "--seed", "8", "--json"]);
    assert_eq!(a["crc32c"], b["crc32c"]);
    assert_ne!(a["crc32c"], c["crc32c"]);

    // write: the file's bytes; read: a fresh simulation's zeros into a file.
    let input = dir.file("in.bin");
    std::fs::write(&input, b"hello BAR2").unwrap();
    let r = run(&["mem", "write", "0xff000", "--in", &input]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains("wrote to BAR2 0xff000..0xff00a: 10 B"),
        "{}",
        r.stdout
    );
    let out = dir.file("out.bin");
    let v = json(&["mem", "read", "0xfff00", "256", "--out", &out, "--json"]);
    assert_eq!(v["bytes"], 256);
    assert_eq!(std::fs::read(&out).unwrap(), vec![0u8; 256]);
    // --out -: the bytes on stdout (a pipe here), the summary on stderr.
    let r = run(&["mem", "read", "0", "16", "--out", "-"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert_eq!(r.stdout.as_bytes(), &[0u8; 16]);
    assert!(
        r.stderr.contains("read from BAR2 0x0..0x10"),
        "{}",
        r.stderr
    );
}

#[test]
fn mem_refuses_ranges_outside_bar2_and_bad_input() {
    let dir = TempDir::new("membad");
    let big = dir.file("big.bin");
    std::fs::write(&big, vec![1u8; 4097]).unwrap();
    let empty = dir.file("empty.bin");
    std::fs::write(&empty, b"").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (
            &["mem", "dump", "1MiB", "1"],
            "past the end of BAR2 (0x100000 bytes, 1 MiB)",
        ),
        (&["mem", "dump", "0xfffff", "2"], "past the end of BAR2"),
        (
            &["mem", "dump", "0xffffffffffffffff", "2"],
            "past the end of BAR2",
        ),
        (&["mem", "fill", "0", "0", "--byte", "1"], "LENGTH is 0"),
        (
            &["mem", "fill", "0", "2MiB", "--seed", "1"],
            "past the end of BAR2",
        ),
        (
            &["mem", "fill", "0", "16", "--byte", "256"],
            "a byte is 0..=255",
        ),
        (&["mem", "fill", "0", "16"], "--byte"),
        (&["mem", "read", "0", "16"], "--out"),
        (
            &["mem", "read", "0", "16", "--out", "-", "--json"],
            "--json puts its report",
        ),
        (
            &["mem", "write", "0xff000", "--in", &big],
            "more than the 4096 bytes",
        ),
        (&["mem", "write", "0", "--in", &empty], "the file is empty"),
        (
            &["mem", "write", "0", "--in", "/no/such/file"],
            "cannot read it",
        ),
        (
            &["mem", "write", "1MiB", "--in", &big],
            "past the end of BAR2",
        ),
        (&["mem", "dump", "4q"], "not a size"),
    ];
    for (args, needle) in cases {
        let r = run(args);
        assert_eq!(r.code, EXIT_USAGE, "peerbar {args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: {} lacks {needle:?}",
            r.stderr
        );
    }
}

// ---- push --in / --out ----

#[test]
fn push_out_keeps_what_a_pull_brought_in_list_order() {
    let dir = TempDir::new("pushout");
    let whole_list = dir.file("whole.txt");
    std::fs::write(&whole_list, "host:+0 16KiB\n").unwrap();
    let whole = dir.file("whole.bin");
    let r = run(&["push", &whole_list, "--out", &whole]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("BAR2 -> {whole} (16384 bytes)")),
        "{}",
        r.stdout
    );
    let whole = std::fs::read(&whole).unwrap();
    assert_eq!(whole.len(), 16384);
    assert!(
        whole.iter().any(|&b| b != 0),
        "the host pattern is not zeros"
    );

    // The example gathers host:+0, +0x3000, +0x1000 (4 KiB each) in that order.
    let gathered = dir.file("gathered.bin");
    let v = parse(
        &run_at_root(&[
            "push",
            "examples/lists/gather.txt",
            "--out",
            &gathered,
            "--json",
        ]),
        "push --out --json",
    );
    assert_eq!(v["out"], gathered.as_str());
    assert_eq!(v["in"], Value::Null);
    let expected = [
        &whole[0..0x1000],
        &whole[0x3000..0x4000],
        &whole[0x1000..0x2000],
    ]
    .concat();
    assert_eq!(std::fs::read(&gathered).unwrap(), expected);
}

#[test]
fn push_in_sends_the_files_bytes() {
    let dir = TempDir::new("pushin");
    let list = dir.file("one.txt");
    std::fs::write(&list, "host:+0x100 4KiB\n").unwrap();
    let data = dir.file("data.bin");
    std::fs::write(
        &data,
        (0..4096u32).map(|i| (i * 13 + 5) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    // --verify compares the host buffer with BAR2, which held the file: the file arrived.
    let r = run(&[
        "push", &list, "--op", "push", "--in", &data, "--verify", "--json",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v = parse(&r, "push --in");
    assert_eq!(v["verified"], true);
    assert_eq!(v["in"], data.as_str());
    // A file of another size than the job is refused before anything runs.
    let short = dir.file("short.bin");
    std::fs::write(&short, [1u8; 100]).unwrap();
    let r = run(&["push", &list, "--op", "push", "--in", &short]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(
        r.stderr
            .contains("100 bytes, but the list's entries add up to 4096"),
        "{}",
        r.stderr
    );
    let r = run(&["push", &list, "--op", "push", "--in", &list]);
    assert_eq!(r.code, EXIT_USAGE);
    // Each option belongs to one direction.
    let r = run(&["push", &list, "--in", &data]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("add --op push"), "{}", r.stderr);
    let r = run(&["push", &list, "--op", "push", "--out", &dir.file("x.bin")]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(r.stderr.contains("give --in FILE"), "{}", r.stderr);
    let r = run(&["push", &list, "--out", "/no/such/dir/x.bin"]);
    assert_eq!(r.code, EXIT_USAGE);
    assert!(
        r.stderr
            .contains("the directory /no/such/dir does not exist"),
        "{}",
        r.stderr
    );
    // A failed job writes no --out file.
    let failing = dir.file("failing.txt");
    std::fs::write(&failing, "0xdead_0000 4KiB\n").unwrap();
    let kept = dir.file("kept.bin");
    let r = run(&["push", &failing, "--out", &kept]);
    assert_eq!(r.code, EXIT_DMA_STATUS, "{}", r.stderr);
    assert!(
        r.stdout.contains("not written: the job failed"),
        "{}",
        r.stdout
    );
    assert!(!Path::new(&kept).exists());
    // --help says how.
    let r = run(&["push", "--help"]);
    assert!(r.stdout.contains("--op push --in FILE") && r.stdout.contains("--out FILE"));
}

// ---- examples/ ----

/// Every command the example lists' comments and the README give, with its exit status.
/// `OUT` stands for a file in a temporary directory.
const EXAMPLE_RUNS: &[(&str, i32)] = &[
    ("push examples/lists/gather.txt --verify", EXIT_OK),
    ("push examples/lists/gather.txt --out OUT", EXIT_OK),
    ("push examples/lists/gather.json --verify", EXIT_OK),
    ("push examples/lists/holes.txt --verify --seed 7", EXIT_OK),
    (
        "push examples/lists/scatter.txt --op push --verify",
        EXIT_OK,
    ),
    (
        "push examples/lists/scatter.txt --op push --in examples/data/16KiB.bin --verify",
        EXIT_OK,
    ),
    ("push examples/lists/unmapped.txt", EXIT_DMA_STATUS),
    ("push examples/lists/bad-line.txt --json", EXIT_USAGE),
];

/// `peerbar ...` commands in `text` that name examples/ (a README line's `cargo run ... --`
/// prefix and a `#` comment after it dropped; `gathered.bin`-style outputs become OUT).
fn example_commands(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let Some(at) = line
            .find("peerbar ")
            .or_else(|| line.find("peerbar-tools -- "))
        else {
            continue;
        };
        let rest = &line[at..];
        let rest = rest
            .strip_prefix("peerbar-tools -- ")
            .or_else(|| rest.strip_prefix("peerbar "))
            .unwrap();
        let command = rest.split('#').next().unwrap();
        let command = command.split("  ").next().unwrap().trim();
        if !command.contains("examples/") {
            continue;
        }
        let words: Vec<String> = command
            .split_whitespace()
            .scan(false, |after_out, w| {
                let word = if *after_out {
                    "OUT".to_owned()
                } else {
                    w.to_owned()
                };
                *after_out = w == "--out";
                Some(word)
            })
            .collect();
        found.push(words.join(" "));
    }
    found
}

#[test]
fn every_example_list_runs_as_documented() {
    let dir = TempDir::new("examples");
    let out = dir.file("out.bin");
    let lists = root().join("examples/lists");
    let mut files: Vec<String> = std::fs::read_dir(&lists)
        .expect("examples/lists exists")
        .map(|e| {
            format!(
                "examples/lists/{}",
                e.unwrap().file_name().to_str().unwrap()
            )
        })
        .collect();
    files.sort();
    // Every example file is run, and every command its comments give is one that is run.
    for file in &files {
        assert!(
            EXAMPLE_RUNS
                .iter()
                .any(|(c, _)| c.split(' ').any(|w| w == file)),
            "{file} is not run by this test: add it to EXAMPLE_RUNS"
        );
        let text = std::fs::read_to_string(root().join(file)).unwrap();
        for command in example_commands(&text) {
            assert!(
                EXAMPLE_RUNS.iter().any(|(c, _)| *c == command),
                "{file} documents `peerbar {command}`, which this test does not run"
            );
        }
    }
    // The README's commands on examples/ too.
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let readme_commands = example_commands(&readme);
    assert!(
        !readme_commands.is_empty(),
        "the README uses no example list"
    );
    for command in readme_commands {
        assert!(
            EXAMPLE_RUNS.iter().any(|(c, _)| *c == command),
            "README.md runs `peerbar {command}`, which this test does not run"
        );
    }
    for (command, code) in EXAMPLE_RUNS {
        let args: Vec<&str> = command
            .split(' ')
            .map(|w| if w == "OUT" { out.as_str() } else { w })
            .collect();
        let r = run_at_root(&args);
        assert_eq!(
            r.code, *code,
            "peerbar {command}:\n{}{}",
            r.stdout, r.stderr
        );
        assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
        if command.contains("--verify") {
            assert!(
                r.stdout.contains("verify   passed"),
                "peerbar {command}: {}",
                r.stdout
            );
        }
    }
    // What the failing examples show.
    let r = run_at_root(&["push", "examples/lists/unmapped.txt", "--json"]);
    let v = parse(&r, "unmapped.txt");
    assert_eq!(v["error_entry"], "line 6", "{v:#}");
    let v = assert_json_error(
        &["push", "examples/lists/bad-line.txt", "--json"],
        EXIT_USAGE,
        &["bad-line.txt: line 4"],
    );
    assert_eq!(v["line"], 4);
}

// ---- --json errors ----

#[test]
fn json_errors_are_one_object_on_stdout() {
    let dir = TempDir::new("jsonerr");
    let list = dir.file("l.json");
    std::fs::write(
        &list,
        r#"{"entries": [{"address": "host:+0", "length": 512}, {"length": 0}]}"#,
    )
    .unwrap();
    let v = assert_json_error(&["push", &list, "--json"], EXIT_USAGE, &["entries[1]"]);
    assert_eq!(v["entry"], "entries[1]");
    assert!(v.get("line").is_none(), "{v:#}");
    // A JSON syntax error names its line.
    let broken = dir.file("broken.json");
    std::fs::write(&broken, "{\"entries\": [\n  {\"length\": 5},\n  oops\n]}\n").unwrap();
    let v = assert_json_error(
        &["push", &broken, "--json"],
        EXIT_USAGE,
        &["not valid JSON"],
    );
    assert_eq!(v["line"], 3);
    // sgl: the descriptor.
    let sgl = dir.file("l.sgl");
    std::fs::write(&sgl, [0u8; 17]).unwrap();
    assert_json_error(&["push", &sgl, "--json"], EXIT_USAGE, &[]);
    // Each subcommand's own checks, the device's, and clap's.
    let cases: &[(&[&str], i32, &str)] = &[
        (
            &["reg", "read", "NOPE", "--json"],
            EXIT_USAGE,
            "no register named",
        ),
        (
            &["mem", "dump", "2MiB", "--json"],
            EXIT_USAGE,
            "past the end of BAR2",
        ),
        (
            &["regs", "--only", "zzz", "--json"],
            EXIT_USAGE,
            "no register name contains",
        ),
        (&["bar-test", "--length", "2M", "--json"], EXIT_USAGE, ""),
        (&["bench", "--jobs", "0", "--json"], EXIT_USAGE, "--jobs"),
        (&["copy", "--depth", "0", "--json"], EXIT_USAGE, "--depth"),
        (&["--mps", "300", "info", "--json"], EXIT_USAGE, "--mps 300"),
        (&["topology", "zz:00.0", "--json"], EXIT_USAGE, ""),
        (
            &["--device", "0000:ff:1f.7", "info", "--json"],
            EXIT_DEVICE,
            "",
        ),
        (
            &["info", "--json", "--no-such-option"],
            EXIT_USAGE,
            "--no-such-option",
        ),
        (
            &["--json", "no-such-command"],
            EXIT_USAGE,
            "no-such-command",
        ),
        (&["--json"], EXIT_USAGE, ""),
        (&["push", "--json"], EXIT_USAGE, "FILE"),
    ];
    for (args, code, needle) in cases {
        let needles: &[&str] = if needle.is_empty() { &[] } else { &[needle] };
        assert_json_error(args, *code, needles);
    }
    // Without --json, stdout stays empty on an error; help is not an error.
    let r = run(&["reg", "read", "NOPE"]);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    let r = run(&["--json", "--help"]);
    assert_eq!(r.code, EXIT_OK);
    assert!(r.stdout.contains("Usage:") && r.stdout.contains("\"schema\": \"peerbar-error/1\""));
    for (sub, needle) in [
        ("reg", "needs --force"),
        ("mem", "fresh simulated endpoint"),
        ("bench", "--duration forever"),
        ("copy", "--duration forever"),
        ("push", "peerbar-error/1"),
    ] {
        let r = run(&[sub, "--help"]);
        assert!(r.stdout.contains(needle), "{sub} --help lacks {needle:?}");
    }
}

// ---- --duration and Ctrl-C ----

#[test]
fn bench_and_copy_run_for_a_duration_with_a_live_rate() {
    let r = run(&[
        "bench",
        "--op",
        "pull",
        "--entry-sizes",
        "4k",
        "--queue-depths",
        "2",
        "--duration",
        "1.5",
        "--json",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v = parse(&r, "bench --duration");
    assert_eq!(v["duration_seconds"], 1.5);
    assert_eq!(v["interrupted"], false);
    let row = &v["rows"][0];
    assert!(row["jobs"].as_u64().unwrap() > 0, "{v:#}");
    assert!(row["wall_seconds"].as_f64().unwrap() >= 1.5, "{v:#}");
    assert!(
        r.stderr.contains("MB/s wall (last second)"),
        "no live rate: {}",
        r.stderr
    );

    let r = run(&["copy", "--size", "128KiB", "--duration", "1", "--json"]);
    assert_eq!(r.code, EXIT_OK, "{}", r.stderr);
    let v = parse(&r, "copy --duration");
    assert!(v["passes"].as_u64().unwrap() >= 1, "{v:#}");
    assert_eq!(v["duration_seconds"], 1.0);
    let chunks = v["legs"][0]["chunks"].as_u64().unwrap();
    assert_eq!(
        chunks,
        v["passes"].as_u64().unwrap(),
        "one 128 KiB chunk per pass: {v:#}"
    );

    for (args, needle) in [
        (
            &["bench", "--duration", "forever"][..],
            "--duration forever runs one combination",
        ),
        (
            &["bench", "--duration", "0"][..],
            "positive number of seconds",
        ),
        (
            &["bench", "--duration", "5", "--jobs", "3"][..],
            "cannot be used with",
        ),
        (&["copy", "--duration", "1e30"][..], "too long"),
        (&["copy", "--duration", "soon"][..], "forever"),
    ] {
        let r = run(args);
        assert_eq!(r.code, EXIT_USAGE, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.contains(needle),
            "{args:?}: {} lacks {needle:?}",
            r.stderr
        );
    }
}

/// Starts `peerbar args`, waits until its stderr shows `ready` (the live rate), sends SIGINT,
/// and returns (exit code, stdout, stderr).
fn interrupt_when(args: &[&str], ready: &str) -> (Option<i32>, String, String) {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("peerbar"))
        .args(args)
        .env_remove("RUST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("peerbar starts");
    let mut stdout = child.stdout.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).ok();
        s
    });
    let mut stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let err = std::thread::spawn(move || {
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            all.extend_from_slice(&buf[..n]);
            tx.send(String::from_utf8_lossy(&all).into_owned()).ok();
        }
        String::from_utf8_lossy(&all).into_owned()
    });
    let started = Instant::now();
    loop {
        match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(text) if text.contains(ready) => break,
            Ok(_) => {}
            Err(_) => break,
        }
        if started.elapsed() > Duration::from_secs(60) {
            break;
        }
    }
    let pid = child.id().to_string();
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill runs");
    assert!(sent.success());
    // It ends by itself, soon: the jobs in flight are short.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("peerbar {args:?} did not end within 60 s of SIGINT");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (status.code(), out.join().unwrap(), err.join().unwrap())
}

#[test]
fn ctrl_c_ends_bench_and_copy_with_their_summary() {
    let (code, stdout, stderr) = interrupt_when(
        &[
            "bench",
            "--op",
            "push",
            "--entry-sizes",
            "4k",
            "--queue-depths",
            "4",
            "--duration",
            "forever",
            "--json",
        ],
        "MB/s wall",
    );
    assert_eq!(code, Some(EXIT_OK), "{stderr}");
    assert!(
        stderr.contains("interrupted: finishing the jobs in flight"),
        "{stderr}"
    );
    let v: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(v["interrupted"], true);
    assert_eq!(v["until_interrupted"], true);
    assert!(v["rows"][0]["jobs"].as_u64().unwrap() > 0, "{v:#}");

    // The table too, and copy.
    let (code, stdout, stderr) = interrupt_when(
        &["copy", "--size", "256KiB", "--duration", "forever"],
        "MB/s wall",
    );
    assert_eq!(code, Some(EXIT_OK), "{stderr}");
    assert!(stdout.contains("interrupted (Ctrl-C)"), "{stdout}");
    assert!(stdout.contains("whole pass(es)"), "{stdout}");
    assert!(stdout.contains("OK: every chunk's CRC32C"), "{stdout}");
}
