// SPDX-License-Identifier: MIT OR Apache-2.0
//! Tag safety as the UltraScale+ block behaves (PG213): the simulated block keeps a Split
//! Completion Table, hands the RTL a lower address whose bits 11:7 come from the read that holds
//! the tag now, and ends reads with its own completion timeout. Stale, duplicated and late
//! completions are injected on the link. Each test checks that every job ends with its
//! documented status, exactly once, that the bytes of a failed read never land, and that BAR2
//! changes nowhere outside the jobs' targets.

use std::sync::Arc;
use std::time::Duration;

use peerbar::dma::sgl::SglBuilder;
use peerbar::dma::wire::StatusCode;
use peerbar::dma::PeerSlice;
use peerbar::dma::{Completion, DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::{DataList, PreparedSgl};
use peerbar::regs::{
    self, DMA_CONTROL, DMA_CONTROL_REG, DMA_ERROR_ADDR_REG64, DMA_ERR_BAD_COMPLETION_REG,
    DMA_JOBS_REG, DMA_STATUS, DMA_STATUS_REG,
};
use peerbar::{BarIndex, BarOffset, Device, Endpoint};
use peerbar_sim::{ReadFault, SimConfig, SimDevice};
use peerbar_tests::{disable_extended_tags, pattern};

const WAIT: Duration = Duration::from_secs(30);
/// hw/rtl/peerbar_dma_rc.sv `TagQuarantine`.
const TAG_QUARANTINE: u64 = 2048;

struct Rig {
    sim: SimDevice,
    dma: DmaEngine,
    q: QueuePair,
}

/// An enabled engine with queue 0. `five_bit_tags`: the host leaves Extended Tag Field Enable
/// (Device Control bit 8) clear, so the driver must keep the engine on 5-bit tags.
fn rig(config: SimConfig, five_bit_tags: bool) -> Rig {
    let sim = SimDevice::new(config).expect("simulated endpoint");
    if five_bit_tags {
        disable_extended_tags(&sim);
    }
    let dev: Arc<dyn Device> = Arc::new(sim.clone());
    let dma = Endpoint::open_shared(dev).unwrap().dma().unwrap();
    dma.enable().unwrap();
    let ext = regs::read(&sim, &DMA_CONTROL_REG)
        .unwrap()
        .is_set(DMA_CONTROL::EXT_TAGS);
    assert_eq!(
        ext, !five_bit_tags,
        "the driver follows Device Control bit 8"
    );
    let q = dma.create_queue(QueueConfig::new(0)).unwrap();
    Rig { sim, dma, q }
}

/// The engine's timeout (DMA_COMPLETION_TIMEOUT) 2 000 cycles, the block's 20 000.
fn short_timeouts(five_bit_tags: bool) -> Rig {
    let r = rig(
        SimConfig {
            core_completion_timeout_cycles: 20_000,
            ..SimConfig::default()
        },
        five_bit_tags,
    );
    r.dma.set_completion_timeout_cycles(2_000).unwrap();
    r
}

impl Rig {
    fn run(&self, job: Job) -> Completion {
        self.q
            .submit(job)
            .unwrap()
            .wait(WAIT)
            .map_err(|e| format!("{e}; simulation: {:?}", self.sim.failure()))
            .unwrap()
    }

    fn bar2(&self, offset: u64, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        self.sim
            .bar_read(BarIndex::BAR2, BarOffset::new(offset), &mut b)
            .unwrap();
        b
    }

    /// A host buffer of `len` bytes filled with data, and a BAR2 slice of `len` bytes filled
    /// with a guard pattern: (host, data, slice, guard).
    fn buffers(&self, len: usize, seed: u64) -> (Arc<DmaBuffer>, Vec<u8>, Arc<PeerSlice>, Vec<u8>) {
        let host = Arc::new(self.dma.memory().alloc(len).unwrap());
        let data = pattern(seed, len);
        host.write(0, &data).unwrap();
        let slice = Arc::new(self.dma.peer_memory().alloc(len as u64, 4096).unwrap());
        let guard = pattern(seed + 1, len);
        slice.write(0, &guard).unwrap();
        (host, data, slice, guard)
    }

    fn tags_held(&self) -> u32 {
        regs::read(&self.sim, &DMA_STATUS_REG)
            .unwrap()
            .read(DMA_STATUS::TAGS_IN_FLIGHT)
    }

    fn error_addr(&self) -> u64 {
        regs::read64(&self.sim, &DMA_ERROR_ADDR_REG64).unwrap()
    }

    fn healthy(&self) {
        assert!(
            self.sim.failure().is_none(),
            "PCIe rule broken: {:?}",
            self.sim.failure()
        );
    }
}

/// The scenario, in both tag modes: read A (host page offset 0xE00, 512 bytes) on some
/// tag completes, the next reads are B-shaped (offset 0x200 of other pages, 512 bytes: the same
/// end bits 6:0 and byte count, another end), and a copy of A's completions arrives on the link
/// 200 cycles after A's own, while B-shaped reads are in flight. With the real core's lower
/// address the copy would be taken for B's data if it reached a read on A's tag. It must be
/// discarded and counted; BAR2 gets exactly the list's bytes.
fn stale_copy_of_a_finished_read(five_bit_tags: bool, config: SimConfig) {
    let r = rig(config, five_bit_tags);
    const READS: usize = 48;
    let host = Arc::new(r.dma.memory().alloc((READS + 1) * 4096).unwrap());
    let data = pattern(41, (READS + 1) * 4096);
    host.write(0, &data).unwrap();
    let slice = Arc::new(r.dma.peer_memory().alloc(64 * 1024, 4096).unwrap());
    let guard = pattern(42, 64 * 1024);
    slice.write(0, &guard).unwrap();
    let mut list = DataList::new();
    let mut expect = Vec::new();
    list.push_buffer(&host, 0xe00, 512).unwrap();
    expect.extend_from_slice(&data[0xe00..0x1000]);
    for k in 1..=READS {
        let at = k * 4096 + 0x200;
        list.push_buffer(&host, at, 512).unwrap();
        expect.extend_from_slice(&data[at..at + 512]);
    }
    let a = host.bus_addr().get() + 0xe00;
    r.sim.inject_read_fault(a..a + 1, ReadFault::Duplicated);
    let bad0 = regs::read(&r.sim, &DMA_ERR_BAD_COMPLETION_REG)
        .unwrap()
        .get();
    let jobs0 = regs::read(&r.sim, &DMA_JOBS_REG).unwrap().get();
    let len = expect.len();
    let c = r.run(Job::Pull {
        peer: PeerRange::new(&slice, 0, len as u32).unwrap(),
        list: Sgl::List(list),
    });
    r.sim.run_dma_until_idle(1_000_000).unwrap();
    r.healthy();
    assert_eq!(c.status, StatusCode::Success);
    let mut want = guard.clone();
    want[..len].copy_from_slice(&expect);
    assert!(
        r.bar2(slice.offset().get(), 64 * 1024) == want,
        "BAR2 differs: a stale copy landed, or bytes outside the target changed"
    );
    let bad = regs::read(&r.sim, &DMA_ERR_BAD_COMPLETION_REG)
        .unwrap()
        .get()
        - bad0;
    assert!(bad >= 2, "both copies (split at MPS 256) discarded: {bad}");
    assert_eq!(
        regs::read(&r.sim, &DMA_JOBS_REG).unwrap().get() - jobs0,
        1,
        "one job, one completion"
    );
    assert_eq!(r.tags_held(), 0, "every tag released");
}

#[test]
fn stale_copy_never_becomes_data_with_8_bit_tags() {
    stale_copy_of_a_finished_read(false, SimConfig::default());
}

#[test]
fn stale_copy_never_becomes_data_with_5_bit_tags() {
    stale_copy_of_a_finished_read(true, SimConfig::default());
}

/// The same with completions split at random RCB boundaries, in order (no reordering across
/// tags) and with the copy arriving in the middle of the next reads' completions.
#[test]
fn stale_copy_never_becomes_data_split_at_rcb_in_order() {
    for five_bit in [false, true] {
        stale_copy_of_a_finished_read(
            five_bit,
            SimConfig {
                rc_split_seed: Some(9),
                rc_reorder: false,
                ..SimConfig::default()
            },
        );
    }
}

/// The engine's own timeout comes first (DMA_COMPLETION_TIMEOUT 2 000 cycles), the block's
/// later (20 000): the job fails with C5h, but the block still holds the tag, so the engine must
/// not reuse it (the simulated block fails on a MemRd with a tag it holds). When the block's
/// timeout report arrives the tag is free again; later jobs move every byte.
#[test]
fn the_blocks_timeout_report_after_the_engines_own_frees_the_tag() {
    for five_bit in [false, true] {
        let r = short_timeouts(five_bit);
        let (host, data, slice, guard) = r.buffers(64 * 1024, 43);
        let lost = host.bus_addr().get() + 4096;
        r.sim.inject_read_fault(lost..lost + 1, ReadFault::Dropped);
        let mut list = DataList::new();
        list.push_buffer(&host, 0, 8192).unwrap();
        let c = r.run(Job::Pull {
            peer: PeerRange::new(&slice, 0, 8192).unwrap(),
            list: Sgl::List(list),
        });
        assert_eq!(c.status, StatusCode::CompletionTimeout);
        assert_eq!(r.error_addr(), lost, "DMA_ERROR_ADDR names the lost read");
        assert!(
            r.tags_held() >= 1,
            "the block still holds the lost read's tag"
        );
        assert_eq!(
            r.bar2(slice.offset().get() + 4096, 512),
            guard[4096..4608],
            "no byte of the lost read"
        );
        // Jobs go on meanwhile, on other tags: 32 KiB = 64 reads, more than there are slots.
        let mut list = DataList::new();
        list.push_buffer(&host, 0, 32 * 1024).unwrap();
        let c = r.run(Job::Pull {
            peer: PeerRange::new(&slice, 16 * 1024, 32 * 1024).unwrap(),
            list: Sgl::List(list),
        });
        assert_eq!(c.status, StatusCode::Success);
        r.healthy();
        // The block's report frees the tag.
        r.sim.run_dma_until_idle(1_000_000).unwrap();
        assert_eq!(r.tags_held(), 0);
        let mut list = DataList::new();
        list.push_buffer(&host, 0, 64 * 1024).unwrap();
        let c = r.run(Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        });
        assert_eq!(c.status, StatusCode::Success);
        assert!(
            r.bar2(slice.offset().get(), 64 * 1024) == data,
            "BAR2 differs"
        );
        r.healthy();
    }
}

/// Completions late on the link. Later than the engine's timeout but before the block's: the
/// block delivers them (it still holds the read), the job has already failed with C5h, and the
/// bytes must not land. Later than the block's own timeout: the block has reported the read
/// (error code 9) and released the tag; the data arrives within the tag's quarantine, as a
/// completion for a tag the block does not hold, and must not land either.
#[test]
fn late_completions_never_land() {
    for (late, what) in [
        (6_000u64, "after the engine's timeout"),
        (21_000, "after the block's timeout"),
    ] {
        for five_bit in [false, true] {
            let r = short_timeouts(five_bit);
            let (host, data, slice, guard) = r.buffers(16 * 1024, 45);
            let slow = host.bus_addr().get() + 1024;
            r.sim
                .inject_read_fault(slow..slow + 1, ReadFault::Late { cycles: late });
            let mut list = DataList::new();
            list.push_buffer(&host, 0, 2048).unwrap();
            let bad0 = regs::read(&r.sim, &DMA_ERR_BAD_COMPLETION_REG)
                .unwrap()
                .get();
            let c = r.run(Job::Pull {
                peer: PeerRange::new(&slice, 0, 2048).unwrap(),
                list: Sgl::List(list),
            });
            assert_eq!(c.status, StatusCode::CompletionTimeout, "{what}");
            // A healthy job on the same shape of reads while the late data is on its way.
            let mut list = DataList::new();
            list.push_buffer(&host, 4096, 4096).unwrap();
            let c = r.run(Job::Pull {
                peer: PeerRange::new(&slice, 8192, 4096).unwrap(),
                list: Sgl::List(list),
            });
            assert_eq!(c.status, StatusCode::Success, "{what}");
            r.sim.run_dma_until_idle(1_000_000).unwrap();
            r.healthy();
            let after = r.bar2(slice.offset().get(), 16 * 1024);
            assert!(
                after[1024..1536] == guard[1024..1536],
                "{what}: the late read's bytes landed"
            );
            assert!(
                after[8192..12288] == data[4096..8192],
                "{what}: healthy job"
            );
            assert!(
                after[2048..8192] == guard[2048..8192] && after[12288..] == guard[12288..],
                "{what}: BAR2 changed outside the jobs' targets"
            );
            assert!(
                regs::read(&r.sim, &DMA_ERR_BAD_COMPLETION_REG)
                    .unwrap()
                    .get()
                    > bad0,
                "{what}: the late completions were counted"
            );
            assert_eq!(r.tags_held(), 0, "{what}");
        }
    }
}

/// DMA_ERROR_ADDR names the failed read's address for a list-segment read too (it read 0
/// before), and for a data read among many in flight.
#[test]
fn dma_error_addr_names_the_failed_segment_read() {
    let r = rig(SimConfig::default(), false);
    let host = Arc::new(r.dma.memory().alloc(16 * 1024).unwrap());
    let slice = Arc::new(r.dma.peer_memory().alloc(16 * 1024, 4096).unwrap());
    let mut list = DataList::new();
    for k in 0..8 {
        list.push_buffer(&host, k * 2048, 1024).unwrap();
    }
    let prepared =
        Arc::new(PreparedSgl::build(r.dma.memory(), &list, &SglBuilder::default()).unwrap());
    let segment = prepared.dptr().address().get();
    r.sim
        .inject_read_fault(segment..segment + 1, ReadFault::CompleterAbort);
    let c = r.run(Job::Pull {
        peer: PeerRange::new(&slice, 0, 8 * 1024).unwrap(),
        list: Sgl::Prepared(prepared),
    });
    assert_eq!(c.status, StatusCode::CompleterAbort);
    assert_eq!(r.error_addr(), segment);
    r.dma.reset().unwrap();
    r.dma.enable().unwrap();
    let q = r.dma.create_queue(QueueConfig::new(1)).unwrap();
    let bad = host.bus_addr().get() + 2 * 4096 + 512;
    r.sim
        .inject_read_fault(bad..bad + 1, ReadFault::UnsupportedRequest);
    let mut list = DataList::new();
    list.push_buffer(&host, 0, 16 * 1024).unwrap();
    let c = q
        .submit(Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        })
        .unwrap()
        .wait(WAIT)
        .unwrap();
    assert_eq!(c.status, StatusCode::UnsupportedRequest);
    assert_eq!(
        r.error_addr(),
        bad,
        "the failed data read, not the last one issued"
    );
    r.healthy();
}

/// The cost of the tag rules, printed: the same 512-byte PULL reads with 8-bit tags (each slot
/// cycles through 8 tags) and with 5-bit tags (each reuse waits out the quarantine). Both move
/// every byte; 5-bit tags are slower (a benchmark measures it: docs/verification.md).
#[test]
fn five_bit_tags_are_exact_and_wait_out_the_quarantine() {
    let mut cycles = Vec::new();
    for five_bit in [false, true] {
        let r = rig(SimConfig::default(), five_bit);
        let host = Arc::new(r.dma.memory().alloc(128 * 1024).unwrap());
        let data = pattern(47, 128 * 1024);
        host.write(0, &data).unwrap();
        let slice = Arc::new(r.dma.peer_memory().alloc(128 * 1024, 4096).unwrap());
        let mut list = DataList::new();
        list.push_buffer(&host, 0, 128 * 1024).unwrap();
        let c0 = r.sim.stats().dma_active_cycles;
        let c = r.run(Job::Pull {
            peer: PeerRange::whole(&slice).unwrap(),
            list: Sgl::List(list),
        });
        assert_eq!(c.status, StatusCode::Success);
        assert!(r.bar2(slice.offset().get(), 128 * 1024) == data);
        r.healthy();
        cycles.push(r.sim.stats().dma_active_cycles - c0);
    }
    eprintln!(
        "128 KiB PULL (256 reads of 512 B): {} engine cycles with 8-bit tags, {} with 5-bit tags",
        cycles[0], cycles[1]
    );
    // 256 reads over 32 tags: with 5-bit tags each tag is used 8 times, a quarantine apart.
    assert!(cycles[1] >= 7 * TAG_QUARANTINE, "{cycles:?}");
}
