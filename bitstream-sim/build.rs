// SPDX-License-Identifier: MIT OR Apache-2.0
//! Builds the Verilator model of the board wrapper (top `peerbar_board_top`,
//! hw/board/common/peerbar_board_top.sv, around hw/rtl) with the PCIe IP's port-exact stub
//! (hw/board/common/stubs/pcie4_uscale_plus_stub.sv, whose user side the shim drives and reads),
//! and the C++ shim in csrc/, into one static library linked into this crate.
//!
//! Steps: check Verilator (>= 5.006) and zlib (FST traces); verilate into `$OUT_DIR/verilated`;
//! compile the model (Verilator's `Vpeerbar_board_top__ALL.a`), the Verilator runtime and the
//! shim there with Verilator's own makefile (`make -j`); archive them into `libpeerbar_rtl.a`.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// BAR2 size the model is verilated with (log2 of bytes): the RTL parameter `Bar2SizeLog2`.
/// Exported to Rust as `PEERBAR_BAR2_SIZE_LOG2`.
const BAR2_SIZE_LOG2: u32 = 20;

/// Cycles the board wrapper holds the user logic in reset for an FLR before it answers
/// `cfg_flr_done` (its parameter `FlrHoldCycles`, here set to the boards' default). Exported to
/// Rust as `PEERBAR_FLR_HOLD_CYCLES`.
const FLR_HOLD_CYCLES: u32 = 16;

/// Oldest Verilator this build is tested with.
const MIN_VERILATOR: (u32, u32) = (5, 6);

const INSTALL_HINT: &str = "sudo apt-get install -y verilator";

fn main() {
    let manifest_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    let hw = manifest_dir.join("../hw");
    let rtl_dir = hw.join("rtl");
    let vlt = hw.join("lint/verilator.vlt");
    let board_common = hw.join("board/common");
    let board_vlt = hw.join("board/lint.vlt");
    // The wrapper the board builds use, and the IP's port-exact stub that hands the IP's user
    // side to the model.
    let board_sources = [
        board_common.join("stubs/pcie4_uscale_plus_stub.sv"),
        board_common.join("peerbar_board_top.sv"),
    ];
    let csrc = manifest_dir.join("csrc");

    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", rtl_dir.display());
    println!("cargo:rerun-if-changed={}", vlt.display());
    println!("cargo:rerun-if-changed={}", board_vlt.display());
    for source in &board_sources {
        println!("cargo:rerun-if-changed={}", source.display());
    }
    println!("cargo:rerun-if-changed={}", csrc.display());
    println!("cargo:rerun-if-env-changed=VERILATOR");
    println!("cargo:rerun-if-env-changed=PEERBAR_SIM_JOBS");
    println!("cargo:rustc-env=PEERBAR_BAR2_SIZE_LOG2={BAR2_SIZE_LOG2}");
    println!("cargo:rustc-env=PEERBAR_FLR_HOLD_CYCLES={FLR_HOLD_CYCLES}");

    let verilator = env::var("VERILATOR").unwrap_or_else(|_| "verilator".to_string());
    check_verilator(&verilator);
    check_zlib();

    let sources = rtl_sources(&rtl_dir);
    let mdir = out_dir.join("verilated");
    // Start clean so that removed RTL files or changed options leave nothing stale behind.
    if mdir.exists() {
        fs::remove_dir_all(&mdir).unwrap_or_else(|e| fail(&format!("cannot clean {mdir:?}: {e}")));
    }

    // 1. Verilate.
    let mut cmd = Command::new(&verilator);
    cmd.args([
        "--cc",
        "--trace-fst",
        "-O3",
        "--x-assign",
        "fast",
        "--x-initial",
        "fast",
    ])
    .args([
        "--top-module",
        "peerbar_board_top",
        "--prefix",
        "Vpeerbar_board_top",
    ])
    .args(["--timescale", "1ns/1ns"])
    .arg(format!("-GBar2SizeLog2={BAR2_SIZE_LOG2}"))
    .arg(format!("-GFlrHoldCycles={FLR_HOLD_CYCLES}"))
    .args(["-CFLAGS", "-fPIC"])
    .arg("-Mdir")
    .arg(&mdir)
    .arg(&vlt)
    .arg(&board_vlt)
    .args(&sources)
    .args(&board_sources)
    .arg(csrc.join("peerbar_rtl.cpp"));
    run(&mut cmd, "verilator");

    // 2. Compile model, runtime and shim with Verilator's makefile (parallel).
    let jobs = env::var("PEERBAR_SIM_JOBS")
        .ok()
        .or_else(|| env::var("NUM_JOBS").ok())
        .unwrap_or_else(|| "2".to_string());
    // The model is built as Verilator's archive `Vpeerbar_board_top__ALL.a` (one or several
    // objects, depending on how Verilator split the C++), the runtime and the shim as objects.
    let model_archive = "Vpeerbar_board_top__ALL.a";
    let objects = [
        "verilated.o",
        "verilated_fst_c.o",
        "verilated_threads.o",
        "verilated_dpi.o",
        "peerbar_rtl.o",
    ];
    let mut cmd = Command::new("make");
    cmd.arg("-C")
        .arg(&mdir)
        .args(["-f", "Vpeerbar_board_top.mk", "-s"])
        .arg(format!("-j{jobs}"))
        .arg(format!("USER_CPPFLAGS=-I{}", csrc.display()))
        // -O2 for the model: the simulation runs a lot of cycles in tests.
        .args(["OPT_FAST=-O2", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2"])
        .arg(model_archive)
        .args(objects);
    // cargo's jobserver flags would make make(1) warn; this make runs its own -j.
    cmd.env_remove("MAKEFLAGS")
        .env_remove("MFLAGS")
        .env_remove("CARGO_MAKEFLAGS");
    run(&mut cmd, "make (compiling the Verilator model)");

    // 3. Archive into one static library: the model archive's members plus the objects.
    let ar = env::var("AR").unwrap_or_else(|_| "ar".to_string());
    let members_dir = mdir.join("model_objects");
    fs::create_dir_all(&members_dir)
        .unwrap_or_else(|e| fail(&format!("cannot create {members_dir:?}: {e}")));
    let mut cmd = Command::new(&ar);
    cmd.current_dir(&members_dir)
        .arg("x")
        .arg(mdir.join(model_archive));
    run(&mut cmd, "ar x (model archive)");
    let mut members: Vec<PathBuf> = fs::read_dir(&members_dir)
        .unwrap_or_else(|e| fail(&format!("cannot read {members_dir:?}: {e}")))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    members.sort();
    let lib = out_dir.join("libpeerbar_rtl.a");
    let _ = fs::remove_file(&lib);
    let mut cmd = Command::new(&ar);
    cmd.arg("crs").arg(&lib).args(&members);
    for o in objects {
        cmd.arg(mdir.join(o));
    }
    run(&mut cmd, "ar");

    println!("cargo:rustc-link-search=native={}", out_dir.display());
    println!("cargo:rustc-link-lib=static=peerbar_rtl");
    println!("cargo:rustc-link-lib=dylib=stdc++");
    println!("cargo:rustc-link-lib=dylib=z");
    println!("cargo:rustc-link-lib=dylib=pthread");
}

/// The RTL in compile order (packages first), from the one list every tool reads:
/// hw/rtl/files.f (one path per line, relative to it; `//` starts a comment).
fn rtl_sources(rtl_dir: &Path) -> Vec<PathBuf> {
    let list = rtl_dir.join("files.f");
    let text =
        fs::read_to_string(&list).unwrap_or_else(|e| fail(&format!("cannot read {list:?}: {e}")));
    let files: Vec<PathBuf> = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| rtl_dir.join(l))
        .collect();
    if !files.iter().any(|p| p.ends_with("peerbar_top.sv")) {
        fail(&format!("{rtl_dir:?} has no peerbar_top.sv"));
    }
    files
}

fn check_verilator(verilator: &str) {
    let not_found = |detail: &str| -> ! {
        fail(&format!(
            "peerbar-sim builds the RTL with Verilator {}.{:03} or newer, which was not found \
             ({detail}). Install it: {INSTALL_HINT} (or set VERILATOR to its path)",
            MIN_VERILATOR.0, MIN_VERILATOR.1
        ))
    };
    let output = match Command::new(verilator).arg("--version").output() {
        Ok(o) if o.status.success() => o,
        Ok(o) => not_found(&format!("`{verilator} --version` exited with {}", o.status)),
        Err(e) => not_found(&format!("`{verilator} --version`: {e}")),
    };
    let text = String::from_utf8_lossy(&output.stdout);
    // Benchmarks state the version their simulation speed was measured with.
    println!("cargo:rustc-env=PEERBAR_VERILATOR_VERSION={}", text.trim());
    // "Verilator 5.006 2023-01-22 rev (Debian 5.006-3)"
    let version = text
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.split_once('.'))
        .and_then(|(major, minor)| Some((major.parse::<u32>().ok()?, minor.parse::<u32>().ok()?)));
    match version {
        Some(v) if v >= MIN_VERILATOR => {}
        Some((major, minor)) => not_found(&format!("found {major}.{minor:03}, too old")),
        None => not_found(&format!("cannot parse `{}`", text.trim())),
    }
}

/// FST traces are written with zlib; its header must be installed.
fn check_zlib() {
    let found = [
        "/usr/include",
        "/usr/local/include",
        "/opt/homebrew/include",
    ]
    .iter()
    .any(|d| Path::new(d).join("zlib.h").exists())
        || Command::new("pkg-config")
            .args(["--exists", "zlib"])
            .status()
            .is_ok_and(|s| s.success());
    if !found {
        fail(
            "peerbar-sim writes FST waveforms with zlib, whose headers were not found (zlib.h). \
             Install them: sudo apt-get install -y zlib1g-dev",
        );
    }
}

fn run(cmd: &mut Command, what: &str) {
    let status = cmd
        .status()
        .unwrap_or_else(|e| fail(&format!("cannot run {what} ({cmd:?}): {e}")));
    if !status.success() {
        fail(&format!("{what} failed ({status}): {cmd:?}"));
    }
}

/// Stops the build with one clear message (cargo shows the build script's stderr).
fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}
