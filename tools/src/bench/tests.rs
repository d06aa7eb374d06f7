// SPDX-License-Identifier: MIT OR Apache-2.0
use super::combo::{ranges_per_queue, MAX_RANGES};
use super::model::{ideal_cycles, tlp_beats, Link};
use super::report::{csv, svg, table, CSV_HEADER};
use super::run::Row;
use super::*;
use crate::push::Op;

const LINK: Link = Link {
    mps: 256,
    mrrs: 512,
    rcb: 64,
    latency_ns: 800,
};

#[test]
fn ideal_matches_hand_counts() {
    // PUSH 4 KiB aligned, MPS 256: 16 MemWr of (16 + 256) / 32 -> 9 beats.
    assert_eq!(ideal_cycles(Op::Push, 0x1000, 4096, 1, LINK), 16 * 9);
    // PULL 4 KiB aligned: 8 reads of 512, each 2 completions of 256 -> (12 + 256) / 32 -> 9.
    assert_eq!(ideal_cycles(Op::Pull, 0x1000, 4096, 1, LINK), 16 * 9);
    // PULL 100 bytes at 0x1030: completions end on RCB: 16 bytes (to 0x1040), then 84.
    assert_eq!(
        ideal_cycles(Op::Pull, 0x1030, 100, 1, LINK),
        tlp_beats(12, 0x1030, 16) + tlp_beats(12, 0x1040, 84)
    );
    // Two entries are twice one when both are aligned alike.
    assert_eq!(
        ideal_cycles(Op::Push, 0, 512, 2, LINK),
        2 * ideal_cycles(Op::Push, 0, 512, 1, LINK)
    );
    // The docs' figure: 4 jobs of 256 KiB -> 36 864 cycles.
    assert_eq!(4 * ideal_cycles(Op::Pull, 0, 4096, 64, LINK), 36_864);
    assert_eq!(4 * ideal_cycles(Op::Push, 0, 512, 512, LINK), 36_864);
}

fn args(f: impl FnOnce(&mut BenchArgs)) -> BenchArgs {
    let mut a = BenchArgs {
        op: vec!["pull".into(), "push".into()],
        entry_sizes: vec!["512".into(), "4KiB".into()],
        list_lengths: vec!["64".into()],
        queue_depths: vec!["1".into(), "4".into()],
        queues: vec!["1".into()],
        jobs: "4".into(),
        duration: None,
        crc: false,
        csv: None,
        plot: None,
    };
    f(&mut a);
    a
}

#[test]
fn plan_expands_and_checks() {
    let p = plan(&args(|_| {})).unwrap();
    assert_eq!(p.combos.len(), 8);
    assert!(p.swept_depths && !p.swept_queues);
    type Edit = fn(&mut BenchArgs);
    let cases: [(Edit, &str); 8] = [
        (|a| a.op = vec!["pul".into()], "--op"),
        (|a| a.entry_sizes = vec!["0".into()], "--entry-sizes"),
        (|a| a.entry_sizes = vec!["4q".into()], "--entry-sizes"),
        (|a| a.list_lengths = vec!["0".into()], "--list-lengths"),
        (|a| a.queue_depths = vec!["x".into()], "--queue-depths"),
        (|a| a.queues = vec!["-1".into()], "--queues"),
        (|a| a.jobs = "0".into(), "--jobs"),
        (
            |a| a.list_lengths = vec!["1000000".into()],
            "--list-lengths",
        ),
    ];
    for (f, needle) in cases {
        let err = plan(&args(f)).unwrap_err();
        assert!(err.downcast_ref::<crate::UsageError>().is_some());
        assert!(err.to_string().contains(needle), "{err}");
    }
}

#[test]
fn csv_and_svg_shapes() {
    let row = |op, e, g| Row {
        op,
        entry_bytes: e,
        list_length: 4,
        queue_depth: 1,
        queues: 1,
        jobs: 1,
        bytes: 4 * u64::from(e),
        cycles: Some(100),
        wall_seconds: 0.1,
        gbytes_per_s: g,
        ideal_gbytes_per_s: Some(7.0),
        percent_of_ideal: Some(50.0),
    };
    let rows = vec![
        row("pull", 512, 3.5),
        row("pull", 4096, 6.0),
        row("push", 512, 3.0),
    ];
    let text = csv(&rows);
    assert_eq!(text.lines().count(), 4);
    assert!(text.starts_with(CSV_HEADER));
    let p = plan(&args(|_| {})).unwrap();
    let s = svg(&rows, &p, true);
    assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
    assert_eq!(s.matches("class=\"measured\"").count(), 2);
    assert_eq!(s.matches("class=\"ideal\"").count(), 2);
    assert!(s.contains("4 KiB") && s.contains("throughput (GB/s)"));
}

/// A job that completes with an error status ends the sweep with `Outcome::JobError`, which
/// `main` turns into exit status 4. Nothing on the command line makes a bench job fail, so the
/// simulation's fault injection answers the engine's read of the first job's host buffer with
/// Unsupported Request.
#[cfg(feature = "sim")]
#[test]
fn a_job_that_fails_ends_the_sweep_with_job_error() {
    use std::sync::Arc;

    use crate::target::Target;
    use crate::{GlobalOpts, Outcome};

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        global: GlobalOpts,
    }
    let opts = <Cli as clap::Parser>::parse_from(["peerbar", "--json"]).global;
    let mut target = Target::open(&opts).unwrap();
    let sim = target.sim.clone().expect("the simulated endpoint");
    let a = args(|a| {
        a.op = vec!["pull".into()];
        a.entry_sizes = vec!["4KiB".into()];
        a.list_lengths = vec!["1".into()];
        a.queue_depths = vec!["1".into()];
        a.jobs = "1".into();
    });
    let p = plan(&a).unwrap();
    // The bench's first allocation is its host buffer, and a fresh allocator over the same
    // IOVA ranges hands out the same address first (the rings come after it).
    let memory = peerbar::hostmem::DmaMemory::new(Arc::new(sim.clone())).unwrap();
    let probe = memory.alloc(4096).unwrap();
    let host = probe.bus_addr().get();
    drop(probe);
    sim.inject_read_fault(
        host..host + 4096,
        peerbar_sim::ReadFault::UnsupportedRequest,
    );
    assert_eq!(run(&mut target, &opts, &a, &p).unwrap(), Outcome::JobError);
    assert_eq!(sim.armed_read_faults(), 0, "the fault hit the job's data");
}

/// Off the simulation (hardware, vfio-user) a row has no cycles and no ideal: the table shows
/// the wall-clock rate in MB/s and jobs per second instead, the CSV leaves those cells empty,
/// and the plot draws no ideal.
#[test]
fn wall_clock_rows_show_mb_per_s_and_jobs_per_s_without_the_ideal() {
    // 2 queues x 10 jobs of 8 x 4 KiB in 0.5 s: 655 360 bytes, 1.31 MB/s, 40 jobs/s.
    let bytes = 2 * 10 * 8 * 4096u64;
    let row = Row {
        op: "pull",
        entry_bytes: 4096,
        list_length: 8,
        queue_depth: 4,
        queues: 2,
        jobs: 10,
        bytes,
        cycles: None,
        wall_seconds: 0.5,
        gbytes_per_s: bytes as f64 / 0.5 / 1e9,
        ideal_gbytes_per_s: None,
        percent_of_ideal: None,
    };
    assert_eq!(report::jobs_per_s(&row), 40.0);
    let text = table(std::slice::from_ref(&row), false);
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("MB/s") && header.contains("jobs/s"),
        "{text}"
    );
    assert!(
        !text.contains("cycles") && !text.contains("ideal"),
        "{text}"
    );
    let line = text.lines().nth(2).unwrap_or_default();
    assert!(line.contains("1.31") && line.contains("40.0"), "{text}");
    // The simulation's table is unchanged: cycles, simulated GB/s, the ideal.
    assert!(table(std::slice::from_ref(&row), true).contains("of ideal"));
    let csv_text = csv(std::slice::from_ref(&row));
    let cells: Vec<&str> = csv_text.lines().nth(1).unwrap().split(',').collect();
    assert_eq!(cells.len(), 12);
    assert_eq!((cells[7], cells[10], cells[11]), ("", "", ""), "{csv_text}");
    let p = plan(&args(|_| {})).unwrap();
    let s = svg(std::slice::from_ref(&row), &p, false);
    assert!(
        s.contains("wall clock") && !s.contains("class=\"ideal\""),
        "{s}"
    );
}

#[test]
fn each_job_in_flight_gets_its_own_bar2_range_while_bar2_holds_them() {
    const MIB: u64 = 1 << 20;
    // 4 KiB jobs, 1 MiB BAR2: one range per job in flight, at most MAX_RANGES.
    assert_eq!(ranges_per_queue(MIB, 1, 4096, 1), 1);
    assert_eq!(ranges_per_queue(MIB, 4, 4096, 4), 4);
    assert_eq!(ranges_per_queue(MIB, 4, 4096, 16), MAX_RANGES);
    // 256 KiB jobs on 4 queues fill BAR2 with one range each; on 2 queues two fit.
    assert_eq!(ranges_per_queue(MIB, 4, 256 * 1024, 16), 1);
    assert_eq!(ranges_per_queue(MIB, 2, 256 * 1024, 16), 2);
}
