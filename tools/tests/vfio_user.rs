// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar sim serve` and `--device vfio-user:PATH`: one simulation served to several commands,
//! in a row and at once; the server outlives its clients and stops cleanly on SIGTERM.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use peerbar::device::vfio_user::VfioUserDevice;
use peerbar::regs;
use serde_json::Value;

mod common;
use common::{run, EXIT_OK, EXIT_USAGE};

/// `peerbar` as a plain process (to run in the background), without `RUST_LOG`.
fn background() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_peerbar"));
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A scratch directory of this test binary.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("peerbar-vfio-user")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The server, running; killed (SIGKILL) if a test fails before stopping it.
struct Served {
    child: Option<Child>,
    socket: PathBuf,
    device: String,
}

impl Served {
    fn start(dir: &Path) -> Served {
        Served::start_with(dir, &[])
    }

    /// The server with `extra` arguments (`--nvme PATH`); waits for every socket named.
    fn start_with(dir: &Path, extra: &[&str]) -> Served {
        let socket = dir.join("peerbar.sock");
        let child = background()
            .args(["sim", "serve", "--socket"])
            .arg(&socket)
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("peerbar sim serve starts");
        let start = Instant::now();
        let nvme = extra
            .iter()
            .position(|a| *a == "--nvme")
            .map(|i| PathBuf::from(extra[i + 1]));
        while !socket.exists() || nvme.as_ref().is_some_and(|n| !n.exists()) {
            assert!(
                start.elapsed() < Duration::from_secs(120),
                "the server did not create its socket"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        Served {
            child: Some(child),
            device: format!("vfio-user:{}", socket.display()),
            socket,
        }
    }

    /// `peerbar --device vfio-user:SOCKET --json ARGS`, expecting success; stdout as JSON.
    fn json(&self, args: &[&str]) -> Value {
        let mut all = vec!["--device", &self.device, "--json"];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(r.code, EXIT_OK, "peerbar {all:?}: {}{}", r.stdout, r.stderr);
        serde_json::from_str(&r.stdout).expect("JSON on stdout")
    }

    fn jobs_counted(&self) -> u64 {
        let v = self.json(&["regs", "--only", "DMA_JOBS"]);
        v["registers"][0]["fields"]["COUNT"]
            .as_u64()
            .expect("DMA_JOBS.COUNT")
    }

    /// A client command, started in the background.
    fn spawn(&self, args: &[&str]) -> Child {
        background()
            .args(["--device", &self.device])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("peerbar starts")
    }

    /// SIGTERM; returns the server's exit status and stderr.
    fn terminate(mut self) -> (Option<i32>, String) {
        let child = self.child.take().expect("running");
        signal(&child, "TERM");
        let out = child.wait_with_output().expect("the server exits");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(child.id().to_string())
        .status()
        .expect("kill runs");
    assert!(status.success());
}

fn gather_list() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/lists/gather.txt").to_owned()
}

#[test]
fn push_then_regs_see_one_device_and_sigterm_removes_the_socket() {
    let dir = scratch("push");
    let served = Served::start(&dir);
    assert_eq!(served.jobs_counted(), 0);
    let list = gather_list();
    let v = served.json(&["push", &list, "--verify"]);
    assert_eq!(v["target"], "vfio-user");
    assert_eq!(
        (v["ok"].as_bool(), v["verified"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(v["result"], 12288);
    // The job is counted by the device the next command sees.
    assert_eq!(served.jobs_counted(), 1);
    // BAR2 kept what the PULL wrote (the list's data) across commands: write, then read back.
    let data = dir.join("data.bin");
    std::fs::write(&data, b"kept across commands").unwrap();
    let data = data.to_string_lossy().into_owned();
    served.json(&["mem", "write", "0x8000", "--in", &data]);
    let back = dir.join("back.bin");
    let back_s = back.to_string_lossy().into_owned();
    served.json(&["mem", "read", "0x8000", "20", "--out", &back_s]);
    assert_eq!(std::fs::read(&back).unwrap(), b"kept across commands");
    served.json(&["push", &list]);
    assert_eq!(served.jobs_counted(), 2);
    // The same with the DMA memory private, reached by DMA_READ/DMA_WRITE messages.
    let out = background()
        .env("PEERBAR_VFIO_USER_DMA", "messages")
        .args([
            "--device",
            &served.device,
            "--json",
            "push",
            &list,
            "--verify",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["verified"], true);
    assert_eq!(served.jobs_counted(), 3);

    let socket = served.socket.clone();
    let (code, stderr) = served.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!socket.exists(), "socket removed on SIGTERM");
    assert!(stderr.contains("removed"), "{stderr}");
}

#[test]
fn regs_watch_runs_beside_bench_on_the_same_device() {
    let dir = scratch("watch");
    let served = Served::start(&dir);
    let watch = served.spawn(&[
        "--json", "regs", "--only", "DMA_JOBS", "--watch", "0.1", "--count", "100",
    ]);
    let bench = served.spawn(&[
        "--json",
        "bench",
        "--op",
        "pull",
        "--entry-sizes",
        "4k",
        "--list-lengths",
        "4",
        "--queue-depths",
        "2",
        "--jobs",
        "8",
    ]);
    let bench = bench.wait_with_output().unwrap();
    assert!(
        bench.status.success(),
        "{}",
        String::from_utf8_lossy(&bench.stderr)
    );
    let report: Value = serde_json::from_slice(&bench.stdout).unwrap();
    assert_eq!(report["target"], "vfio-user");
    assert_eq!(report["rows"][0]["bytes"], 8 * 4 * 4096);
    let watch = watch.wait_with_output().unwrap();
    assert!(watch.status.success());
    let counts: Vec<u64> = String::from_utf8_lossy(&watch.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            v["registers"][0]["fields"]["COUNT"].as_u64().unwrap()
        })
        .collect();
    assert_eq!(counts.len(), 100);
    // The watcher saw the bench's jobs being counted on the device it watches.
    assert_eq!(counts.last(), Some(&8), "{counts:?}");
    assert!(counts.windows(2).all(|w| w[0] <= w[1]), "{counts:?}");
}

/// `bench` through vfio-user, as it runs on hardware: wall-clock rows (no cycles, no ideal), one
/// per combination in sweep order, every job counted by the device and none failed; and the
/// checks against the device's limits (queues, BAR2) refuse before anything is submitted.
#[test]
fn bench_rows_are_wall_clock_and_every_job_completes_with_success() {
    let dir = scratch("bench");
    let served = Served::start(&dir);
    let job_counters = |served: &Served| -> (u64, u64) {
        let v = served.json(&["regs", "--only", "DMA_JOB"]);
        let regs = v["registers"].as_array().expect("registers[]");
        let count = |name: &str| {
            regs.iter()
                .find(|r| r["name"] == name)
                .and_then(|r| r["fields"]["COUNT"].as_u64())
                .unwrap_or_else(|| panic!("{name}.COUNT in {v}"))
        };
        (count("DMA_JOBS"), count("DMA_JOB_ERRORS"))
    };
    assert_eq!(job_counters(&served), (0, 0));
    let jobs = 6u64;
    let v = served.json(&[
        "bench",
        "--op",
        "pull,push",
        "--entry-sizes",
        "512,4k",
        "--list-lengths",
        "4",
        "--queue-depths",
        "1,4",
        "--queues",
        "1,2",
        "--jobs",
        "6",
    ]);
    assert_eq!(v["schema"], "peerbar-bench/1");
    assert_eq!(v["target"], "vfio-user");
    assert_eq!(v["device"], served.device.as_str(), "{v}");
    for field in ["mps", "mrrs", "rcb", "clock_hz", "duration_seconds"] {
        assert!(v[field].is_null(), "{field}: {v}");
    }
    assert_eq!(
        (&v["until_interrupted"], &v["interrupted"]),
        (&Value::Bool(false), &Value::Bool(false))
    );
    let rows = v["rows"].as_array().expect("rows[]");
    // Sweep order: op, then queues, list length, depth, entry size (innermost).
    let mut expected = Vec::new();
    for op in ["pull", "push"] {
        for queues in [1u64, 2] {
            for depth in [1u64, 4] {
                for entry in [512u64, 4096] {
                    expected.push((op, queues, depth, entry));
                }
            }
        }
    }
    let got: Vec<(&str, u64, u64, u64)> = rows
        .iter()
        .map(|r| {
            (
                r["op"].as_str().unwrap(),
                r["queues"].as_u64().unwrap(),
                r["queue_depth"].as_u64().unwrap(),
                r["entry_bytes"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(got, expected);
    let mut total_jobs = 0;
    let (mut pulled, mut pushed) = (0, 0);
    for row in rows {
        let n = |f: &str| row[f].as_u64().unwrap_or_else(|| panic!("{f} in {row}"));
        assert_eq!(n("jobs"), jobs, "every job of every queue completed: {row}");
        assert_eq!(n("list_length"), 4);
        let bytes = jobs * n("queues") * 4 * n("entry_bytes");
        assert_eq!(n("bytes"), bytes, "{row}");
        for field in ["cycles", "ideal_gbytes_per_s", "percent_of_ideal"] {
            assert!(row[field].is_null(), "{field} off the simulation: {row}");
        }
        let wall = row["wall_seconds"].as_f64().expect("wall_seconds");
        let rate = row["gbytes_per_s"].as_f64().expect("gbytes_per_s");
        assert!(wall > 0.0, "{row}");
        // Wall time: bytes / wall_seconds.
        let wall_rate = bytes as f64 / wall / 1e9;
        assert!((rate - wall_rate).abs() <= wall_rate * 1e-9, "{row}");
        total_jobs += jobs * n("queues");
        match row["op"].as_str() {
            Some("pull") => pulled += bytes,
            _ => pushed += bytes,
        }
    }
    // The device counted every job, none with an error status (a failed job would also have
    // ended the sweep with exit status 4), and moved every byte each way.
    assert_eq!(job_counters(&served), (total_jobs, 0));
    // DMA_BYTES_IN and DMA_BYTES_OUT, read as the 64-bit quantities they are, by a client of
    // the same server.
    let dev = VfioUserDevice::connect(&served.socket).expect("connecting to the server");
    let bytes = |def: &regs::Register64Def| {
        regs::read64(&dev, def).unwrap_or_else(|e| panic!("reading {}: {e}", def.name))
    };
    assert_eq!(bytes(&regs::DMA_BYTES_IN_REG64), pulled);
    assert_eq!(bytes(&regs::DMA_BYTES_OUT_REG64), pushed);
    drop(dev);

    // The table: wall-clock columns, no simulated ones.
    let r = run(&[
        "--device",
        &served.device,
        "bench",
        "--op",
        "push",
        "--entry-sizes",
        "4k",
        "--list-lengths",
        "2",
        "--queue-depths",
        "2",
        "--jobs",
        "3",
    ]);
    assert_eq!(r.code, EXIT_OK, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("bench on vfio-user: "), "{}", r.stdout);
    assert!(
        r.stdout.contains("MB/s") && r.stdout.contains("jobs/s"),
        "{}",
        r.stdout
    );
    assert!(!r.stdout.contains("of ideal"), "{}", r.stdout);
    let total_jobs = total_jobs + 3;
    assert_eq!(job_counters(&served), (total_jobs, 0));

    // The device's limits: refused before anything is submitted (exit 2, no job counted).
    for (args, says) in [
        (&["bench", "--queues", "999"][..], "--queues 999"),
        // 64 x 1 MiB entries: more than the served 1 MiB BAR2.
        (&["bench", "--entry-sizes", "1MiB"][..], "BAR2"),
    ] {
        let mut all = vec!["--device", served.device.as_str()];
        all.extend_from_slice(args);
        let r = run(&all);
        assert_eq!(
            r.code, EXIT_USAGE,
            "peerbar {all:?}: {}{}",
            r.stdout, r.stderr
        );
        assert!(r.stderr.contains(says), "peerbar {all:?}: {}", r.stderr);
    }
    assert_eq!(job_counters(&served), (total_jobs, 0));
    let (code, stderr) = served.terminate();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn the_server_outlives_a_client_killed_mid_dma() {
    let dir = scratch("kill");
    let served = Served::start(&dir);
    let mut bench = served.spawn(&[
        "bench",
        "--op",
        "pull",
        "--entry-sizes",
        "64k",
        "--list-lengths",
        "8",
        "--queue-depths",
        "4",
        "--duration",
        "60",
    ]);
    // Wait until jobs run, then kill the client without a chance to clean up.
    let start = Instant::now();
    while served.jobs_counted() == 0 {
        assert!(start.elapsed() < Duration::from_secs(60), "bench never ran");
        std::thread::sleep(Duration::from_millis(50));
    }
    bench.kill().unwrap();
    bench.wait().unwrap();
    // The device is served on: its interrupts and DMA maps were released, so the next client
    // gets both.
    let v = served.json(&["push", &gather_list(), "--verify"]);
    assert_eq!(v["verified"], true);
    let (code, stderr) = served.terminate();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn bad_vfio_user_options_are_usage_errors() {
    let dir = scratch("usage");
    let missing = format!("vfio-user:{}", dir.join("nobody.sock").display());
    let not_a_socket = dir.join("plain-file");
    std::fs::write(&not_a_socket, b"x").unwrap();
    let not_a_socket = not_a_socket.to_string_lossy().into_owned();
    // copy on the missing endpoint socket with another NVMe socket, and `extra`.
    let copy_with_other = |extra: &[&'static str]| {
        let mut args = vec![
            "--device",
            missing.as_str(),
            "copy",
            "--nvme",
            "vfio-user:other.sock",
        ];
        args.extend_from_slice(extra);
        args
    };
    for (args, says) in [
        (vec!["--device", "vfio-user:", "info"], "socket's path"),
        (vec!["--device", missing.as_str(), "info"], "no such socket"),
        (
            vec!["--device", missing.as_str(), "--mps", "512", "info"],
            "--mps",
        ),
        (
            vec!["--device", missing.as_str(), "copy"],
            "--nvme vfio-user:PATH must name the NVMe socket",
        ),
        (
            vec!["--device", missing.as_str(), "copy", "--nvme", "03:00.0"],
            "both vfio-user sockets of one `peerbar sim serve`, or both PCI addresses",
        ),
        (
            vec!["--device", "01:00.0", "copy", "--nvme", missing.as_str()],
            "both vfio-user sockets of one `peerbar sim serve`, or both PCI addresses",
        ),
        (
            vec!["copy", "--nvme", missing.as_str()],
            "needs --device vfio-user:",
        ),
        (
            vec![
                "--device",
                missing.as_str(),
                "copy",
                "--nvme",
                missing.as_str(),
            ],
            "both name the socket",
        ),
        (
            vec!["--device", missing.as_str(), "copy", "--nvme", "vfio-user:"],
            "socket's path",
        ),
        (
            copy_with_other(&["--sim-latency-us", "5"]),
            "give it to `peerbar sim serve --nvme`",
        ),
        (copy_with_other(&[]), "--allow-nvme-write"),
        (to_host(&missing, "vfio-user:other.sock"), "no such socket"),
        (vec!["sim", "serve", "--nvme", "x.sock"], "--socket"),
        (
            vec![
                "sim",
                "serve",
                "--socket",
                "a.sock",
                "--sim-latency-us",
                "5",
            ],
            "only --nvme PATH serves",
        ),
        (
            vec!["sim", "serve", "--socket", "a.sock", "--nvme", "a.sock"],
            "both name a.sock",
        ),
        (
            vec![
                "sim",
                "serve",
                "--socket",
                "a.sock",
                "--nvme",
                "n.sock",
                "--sim-cmb",
                "5000",
            ],
            "power of two",
        ),
        (
            vec!["--device", missing.as_str(), "bringup"],
            "bringup does not run",
        ),
        (
            vec!["sim", "serve", "--socket", not_a_socket.as_str()],
            "not a socket",
        ),
        (
            vec!["sim", "serve", "--socket", "no-such-dir/x.sock"],
            "cannot listen on no-such-dir/x.sock",
        ),
        (
            vec!["--device", "01:00.0", "sim", "serve", "--socket", "x.sock"],
            "--device",
        ),
    ] {
        let r = run(&args);
        assert_eq!(r.code, EXIT_USAGE, "peerbar {args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "peerbar {args:?}: {}", r.stderr);
    }
    assert_eq!(std::fs::read(dir.join("plain-file")).unwrap(), b"x");
}

#[test]
fn copy_over_vfio_user_runs_both_legs_and_the_devices_keep_their_state() {
    let dir = scratch("copy");
    let nvme_socket = dir.join("nvme.sock");
    let nvme_path = nvme_socket.to_string_lossy().into_owned();
    // Shaped as copy shapes its own controller: 4 KiB LBAs, and a CMB.
    let served = Served::start_with(
        &dir,
        &[
            "--nvme",
            &nvme_path,
            "--sim-lba-size",
            "4096",
            "--sim-cmb",
            "256KiB",
        ],
    );
    let nvme = format!("vfio-user:{nvme_path}");
    // A copy of `size` (LBA 64 on, seed 9, 64 KiB chunks, 2 in flight), and `extra`.
    let copy = |size: &str, extra: &[&str]| {
        let mut args = vec![
            "copy", "--nvme", &nvme, "--size", size, "--chunk", "64KiB", "--depth", "2", "--lba",
            "64", "--seed", "9",
        ];
        args.extend_from_slice(extra);
        served.json(&args)
    };
    let writing = ["--allow-nvme-write", "--direction", "both"];
    let reading = ["--direction", "to-host"];
    let v = copy("256KiB", &writing);
    assert_eq!(v["target"], "vfio-user");
    assert_eq!(v["nvme"], nvme);
    assert_eq!(v["lba_size"], 4096);
    assert_eq!(
        (v["verified"].as_bool(), &v["mismatch"], &v["failure"]),
        (Some(true), &Value::Null, &Value::Null),
        "{v}"
    );
    let legs = v["legs"].as_array().unwrap();
    assert_eq!(legs.len(), 2, "{v}");
    // Both ways: the bytes written are compared when they come back through BAR2.
    assert_eq!(legs[1]["bytes_compared"], 256 << 10, "{v}");
    for leg in legs {
        assert_eq!(leg["bytes"], 256 << 10, "{leg}");
        assert_eq!(leg["checksums_verified"], 4, "{leg}");
        // The client does not see the simulation's clock.
        assert_eq!(leg["sim_seconds"], Value::Null, "{leg}");
    }
    // The engine's jobs stay counted for the next command: per chunk a PULL to the SSD and a
    // PUSH back, each with its inline CRC (no CHECKSUM jobs).
    assert_eq!(served.jobs_counted(), 8);
    // The namespace outlives the command: to-host alone (no seeding: the client cannot reach
    // into the model) finds what `both` wrote there.
    let v = copy("256KiB", &reading);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["mismatch"], Value::Null, "{v}");
    assert_eq!(v["legs"][0]["bytes_compared"], 256 << 10, "{v}");
    assert_eq!(served.jobs_counted(), 12);
    // The served controller's CMB (--sim-cmb) is a peer too: the engine PUSHes into it and
    // the bytes are compared through the SSD's BAR2 on its socket.
    let v = copy("128KiB", &["--direction", "to-host", "--to", "cmb"]);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["mismatch"], Value::Null, "{v}");
    assert_eq!(v["legs"][0]["bytes_compared"], 128 << 10, "{v}");

    // Bad input against a live server: exit 2, the server goes on.
    let missing = format!("vfio-user:{}", dir.join("missing.sock").display());
    let other = dir.join("other.sock").to_string_lossy().into_owned();
    for (args, says) in [
        (to_host(&served.device, &missing), "--nvme vfio-user:"),
        (
            to_host(&served.device, &served.device),
            "both name the socket",
        ),
        (
            vec![
                "sim",
                "serve",
                "--socket",
                other.as_str(),
                "--nvme",
                nvme_path.as_str(),
            ],
            "--nvme: ",
        ),
    ] {
        let r = run(&args);
        assert_eq!(r.code, EXIT_USAGE, "peerbar {args:?}: {}", r.stderr);
        assert!(r.stderr.contains(says), "peerbar {args:?}: {}", r.stderr);
    }
    // A taken --nvme path leaves neither socket behind, and the running server's alone.
    assert!(!dir.join("other.sock").exists());
    assert!(nvme_socket.exists());
    // The two sockets swapped: the endpoint's is not an NVMe controller.
    let r = run(&[
        "--device",
        &nvme,
        "copy",
        "--direction",
        "to-host",
        "--nvme",
        &served.device,
    ]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(r.stderr.contains("not an NVMe controller"), "{}", r.stderr);

    let (code, stderr) = served.terminate();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!nvme_socket.exists(), "both sockets removed: {stderr}");
}

/// `copy --direction to-host` on the endpoint socket `device` with the NVMe socket `nvme`.
fn to_host<'a>(device: &'a str, nvme: &'a str) -> Vec<&'a str> {
    vec![
        "--device",
        device,
        "copy",
        "--direction",
        "to-host",
        "--nvme",
        nvme,
    ]
}
