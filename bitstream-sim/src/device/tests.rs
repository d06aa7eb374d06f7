// SPDX-License-Identifier: MIT OR Apache-2.0
use peerbar::device::Device;
use peerbar::regs::{self, CAPABILITIES};
use peerbar::{BarIndex, BarOffset, BusAddr};

use crate::config_space::{CAP_MSIX, MSIX_TABLE_SIZE};
use crate::fabric::{DmaDirection, IOVA_RANGES, MSI_RANGE};
use crate::requester::{RcDescriptor, RqRequest};
use crate::tlp::{dword_span, Beat, RequestType, STATUS_SC, STATUS_UR};

use super::*;
use crate::requester::rq_beats;

fn dev() -> SimDevice {
    SimDevice::new(SimConfig::default()).expect("simulation")
}

fn rq(kind: RequestType, addr: u64, len: u64, tag: u8, data: &[u8]) -> RqRequest {
    let (dw_address, dw_count, first_be, last_be) = dword_span(addr, len);
    let mut payload = Vec::new();
    if kind == RequestType::MemWrite {
        let skew = (addr & 3) as usize;
        let mut bytes = vec![0u8; usize::from(dw_count) * 4];
        bytes[skew..skew + data.len()].copy_from_slice(data);
        payload = bytes
            .chunks_exact(4)
            .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
    }
    RqRequest {
        kind,
        dw_address,
        dw_count,
        first_be,
        last_be,
        requester_id: None,
        tag,
        traffic_class: 0,
        attr: 0,
        seq_num: tag & 0x3f,
        payload,
    }
}

impl Core {
    /// Feeds a request as if the RTL had sent it on RQ.
    fn inject_rq(&mut self, req: &RqRequest) {
        let now = self.stats.cycles;
        for beat in rq_beats(req) {
            self.accept_rq_beat(now, &beat);
        }
    }
}

/// Splits captured RC beats into packets (descriptor + payload DWORDs + payload BEs).
fn rc_packets(beats: &[Beat]) -> Vec<(RcDescriptor, Vec<u32>, Vec<u8>)> {
    let mut out = Vec::new();
    let mut dws: Vec<(u32, u8)> = Vec::new();
    for b in beats {
        for i in 0..b.keep.count_ones() as usize {
            let be = ((b.user[0] >> (4 * i)) & 0xf) as u8;
            dws.push((b.data[i], be));
        }
        if b.last {
            let d = RcDescriptor::decode([dws[0].0, dws[1].0, dws[2].0]);
            let payload = dws[3..].iter().map(|x| x.0).collect();
            let bes = dws[3..].iter().map(|x| x.1).collect();
            out.push((d, payload, bes));
            dws.clear();
        }
    }
    out
}

/// The bytes of one tag's completions, checking the RC fields on the way.
fn rc_bytes(packets: &[(RcDescriptor, Vec<u32>, Vec<u8>)], tag: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mine: Vec<_> = packets.iter().filter(|p| p.0.tag == tag).collect();
    for (i, (d, payload, bes)) in mine.iter().enumerate() {
        assert_eq!(d.status, STATUS_SC, "{d:?}");
        assert_eq!(d.request_completed, i + 1 == mine.len(), "{d:?}");
        assert_eq!(usize::from(d.dw_count), payload.len());
        for (dw, be) in payload.iter().zip(bes) {
            for b in 0..4 {
                if be & (1 << b) != 0 {
                    out.push(dw.to_le_bytes()[b]);
                }
            }
        }
    }
    out
}

fn run(dev: &SimDevice, cycles: u64) {
    let mut core = dev.lock().unwrap();
    for _ in 0..cycles {
        core.clock();
    }
}

#[repr(C, align(4096))]
struct Page([u8; 4096]);

/// Queue 0 with 16-entry SQ and CQ rings at `sq` and `cq`, its QUEUE_CONTROL = `control`,
/// and the engine enabled.
fn start_queue0(dev: &SimDevice, sq: u64, cq: u64, control: u32) {
    let w = |off: BarOffset, v: u32| dev.bar_write32(BarIndex::BAR0, off, v).unwrap();
    regs::write64(dev, &regs::QUEUE_SQ_BASE_REG64.at(0).unwrap(), sq).unwrap();
    regs::write64(dev, &regs::QUEUE_CQ_BASE_REG64.at(0).unwrap(), cq).unwrap();
    w(
        regs::QUEUE_SIZE_REG.at(0).unwrap().bar_offset(),
        15 | (15 << 16),
    );
    w(regs::QUEUE_CONTROL_REG.at(0).unwrap().bar_offset(), control);
    w(regs::DMA_CONTROL_REG.bar_offset(), 1);
}

#[test]
fn p2p_read_of_bar2_comes_back_on_rc_through_the_real_completer() {
    let dev = dev();
    let pattern: Vec<u8> = (0..2048u32).map(|i| (i * 13 + 1) as u8).collect();
    dev.bar_write(BarIndex::BAR2, BarOffset::new(0x1000), &pattern)
        .unwrap();
    let bar2 = dev.bar_bus_addr(BarIndex::BAR2).unwrap().get();
    {
        let mut core = dev.lock().unwrap();
        core.rc_capture = Some(Vec::new());
        // Two reads in flight, the first unaligned at both ends.
        core.inject_rq(&rq(RequestType::MemRead, bar2 + 0x1003, 509, 5, &[]));
        core.inject_rq(&rq(RequestType::MemRead, bar2 + 0x1200, 512, 6, &[]));
    }
    dev.run_dma_until_idle(100_000).unwrap();
    let mut core = dev.lock().unwrap();
    let beats = core.rc_capture.take().unwrap();
    let packets = rc_packets(&beats);
    assert!(packets.len() >= 4, "split at MPS 256: {}", packets.len());
    for (d, _, _) in &packets {
        assert_eq!(d.requester_id, ENDPOINT_ID);
        assert_eq!(d.completer_id, ENDPOINT_ID);
    }
    assert_eq!(rc_bytes(&packets, 5), &pattern[3..512]);
    assert_eq!(rc_bytes(&packets, 6), &pattern[0x200..0x400]);
    let first = packets.iter().find(|p| p.0.tag == 5).unwrap();
    assert_eq!((first.0.lower_address, first.0.byte_count), (0x003, 509));
    assert!(core.dma.rc.table().is_empty() && core.dma.p2p.is_empty());
    assert_eq!(core.stats.p2p_requests, 2);
    // A P2P write lands in BAR2.
    core.inject_rq(&rq(RequestType::MemWrite, bar2 + 0x2001, 6, 7, b"peerbr"));
    drop(core);
    dev.run_dma_until_idle(100_000).unwrap();
    let mut got = [0u8; 6];
    dev.bar_read(BarIndex::BAR2, BarOffset::new(0x2001), &mut got)
        .unwrap();
    assert_eq!(&got, b"peerbr");
    // Past the end of BAR2's window is host memory, not mapped: a fault and UR.
    assert!(dev.faults().is_empty());
}

#[test]
fn host_memory_through_the_iommu_and_faults() {
    let dev = dev();
    let mut page = Box::new(Page([0; 4096]));
    for (i, b) in page.0.iter_mut().enumerate() {
        *b = (i % 251) as u8;
    }
    let iova = 0x1_2345_6000u64;
    let host = page.0.as_mut_ptr();
    // SAFETY: `page` stays allocated until the unmap at the end of the test.
    unsafe { dev.map_dma(host, 4096, BusAddr::new(iova)).unwrap() };
    {
        let mut core = dev.lock().unwrap();
        core.rc_capture = Some(Vec::new());
        core.inject_rq(&rq(RequestType::MemWrite, iova + 0x10, 5, 0, b"hello"));
        core.inject_rq(&rq(RequestType::MemRead, iova + 0x7e, 300, 1, &[]));
        // Unmapped read and write: UR and a dropped write.
        core.inject_rq(&rq(RequestType::MemRead, iova + 0x1000, 8, 2, &[]));
        core.inject_rq(&rq(RequestType::MemWrite, iova + 0x1ffe, 2, 3, b"no"));
    }
    dev.run_dma_until_idle(100_000).unwrap();
    let beats = dev.lock().unwrap().rc_capture.take().unwrap();
    let packets = rc_packets(&beats);
    let mut expect = Vec::new();
    for i in 0x7e..0x7e + 300 {
        expect.push(if (0x10..0x15).contains(&i) {
            b"hello"[i - 0x10]
        } else {
            (i % 251) as u8
        });
    }
    assert_eq!(rc_bytes(&packets, 1), expect);
    let ur = packets.iter().find(|p| p.0.tag == 2).unwrap();
    assert_eq!(
        (ur.0.status, ur.0.error_code),
        (STATUS_UR, crate::requester::RC_ERROR_STATUS)
    );
    assert!(ur.0.request_completed && ur.1.is_empty());
    let faults = dev.take_faults();
    assert_eq!(faults.len(), 2, "{faults:?}");
    assert_eq!(
        (faults[0].address, faults[0].direction, faults[0].tag),
        (iova + 0x1000, DmaDirection::Read, Some(2))
    );
    assert_eq!(
        (faults[1].address, faults[1].len, faults[1].direction),
        (iova + 0x1ffe, 2, DmaDirection::Write)
    );
    assert_eq!(faults[1].requester_id, ENDPOINT_ID);
    dev.unmap_dma(BusAddr::new(iova), 4096).unwrap();
    assert_eq!(&page.0[0x10..0x15], b"hello");
    assert!(dev.failure().is_none());
}

#[test]
fn msix_messages_reach_the_channel_and_bad_ones_fail() {
    let dev = dev();
    assert_eq!(dev.config_read16(CAP_MSIX + 2).unwrap() & 0x8000, 0);
    let rx = dev.enable_msix(4).unwrap();
    assert_eq!(dev.config_read16(CAP_MSIX + 2).unwrap() & 0xc000, 0x8000);
    {
        // The clock thread may already have run the cycle that drives the
        // enable into the RTL; one more cycle under the lock makes it certain.
        let mut core = dev.lock().unwrap();
        core.clock();
        assert_eq!(core.inputs.msix_enable, 1);
        let mut msg = rq(RequestType::MemWrite, MSI_RANGE.start + 0x20, 4, 0, &[]);
        msg.payload = vec![2];
        core.inject_rq(&msg);
    }
    assert_eq!(rx.try_recv(), Ok(2));
    assert_eq!(dev.stats().interrupts, 1);
    {
        let mut core = dev.lock().unwrap();
        let mut msg = rq(RequestType::MemWrite, MSI_RANGE.start + 0x20, 4, 0, &[]);
        msg.payload = vec![3];
        core.inject_rq(&msg);
    }
    let why = dev.failure().expect("sticky failure");
    assert!(why.contains("match no enabled MSI-X table entry"), "{why}");
    assert!(dev
        .bar_read32(BarIndex::BAR0, regs::MAGIC_REG.bar_offset())
        .is_err());
    dev.disable_msix().unwrap();
    assert!(rx.recv().is_err(), "disconnected");
}

#[test]
fn rq_rule_violation_poisons_the_simulation() {
    let dev = dev();
    {
        let mut core = dev.lock().unwrap();
        core.inject_rq(&rq(RequestType::MemRead, 0x1_0000_0f00, 512, 9, &[]));
    }
    let err = dev
        .bar_read32(BarIndex::BAR0, regs::MAGIC_REG.bar_offset())
        .unwrap_err();
    let msg = format!("{:?}", err);
    assert!(msg.contains("crosses a 4 KiB boundary"), "{msg}");
    assert!(msg.contains("tag 0x09"), "{msg}");
}

#[test]
fn bus_master_disabled_is_a_named_failure() {
    let dev = dev();
    let cmd = dev.config_read16(4).unwrap();
    dev.config_write(4, &(cmd & !4).to_le_bytes()).unwrap();
    dev.lock()
        .unwrap()
        .inject_rq(&rq(RequestType::MemWrite, 0x1_0000_0000, 4, 0, b"abcd"));
    assert!(dev.failure().unwrap().contains("bus mastering is disabled"));
}

#[test]
fn background_thread_serves_dma_without_mmio_and_then_sleeps() {
    let dev = SimDevice::new(SimConfig {
        rc_latency_cycles: 2000,
        ..SimConfig::default()
    })
    .unwrap();
    let mut page = Box::new(Page([7; 4096]));
    // SAFETY: `page` outlives the mapping (unmapped below before it drops).
    unsafe {
        dev.map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x20_0000))
            .unwrap()
    };
    {
        let mut core = dev.lock().unwrap();
        core.rc_capture = Some(Vec::new());
        core.inject_rq(&rq(RequestType::MemRead, 0x20_0000, 64, 1, &[]));
    }
    dev.wake();
    let start = std::time::Instant::now();
    loop {
        let done = dev
            .lock()
            .unwrap()
            .rc_capture
            .as_ref()
            .is_some_and(|c| c.iter().any(|b| b.last));
        if done {
            break;
        }
        assert!(
            start.elapsed().as_secs() < 20,
            "background thread did not clock"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // It goes idle once the grace period is over, and stops clocking.
    let start = std::time::Instant::now();
    while dev.lock().unwrap().wants_clock() {
        assert!(start.elapsed().as_secs() < 20, "never idle");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    let c0 = dev.stats().cycles;
    std::thread::sleep(std::time::Duration::from_millis(50));
    assert_eq!(dev.stats().cycles, c0, "idle simulation does not clock");
    dev.unmap_dma(BusAddr::new(0x20_0000), 4096).unwrap();
    drop(page);
    // Dropping the last clone stops the thread (the test would hang on join otherwise).
    let clone = dev.clone();
    drop(dev);
    drop(clone);
}

#[test]
fn reset_drops_in_flight_dma_and_hang_is_detected() {
    let dev = SimDevice::new(SimConfig {
        dma_hang_cycles: 5_000,
        ..SimConfig::default()
    })
    .unwrap();
    {
        let mut core = dev.lock().unwrap();
        core.inject_rq(&rq(RequestType::MemRead, 0x20_0000, 64, 1, &[]));
        assert!(core.wants_clock());
    }
    dev.reset().unwrap();
    assert!(!dev.lock().unwrap().dma.in_flight());
    // A completion the RTL never takes (rc_tready is never low in this RTL, so simulate a
    // stuck engine read by an outstanding tag with nothing queued).
    {
        let mut core = dev.lock().unwrap();
        let req = rq(RequestType::MemRead, 0x20_0000, 64, 2, &[]);
        core.dma.rc.issue(&req, 0);
    }
    run(&dev, 6_000);
    let why = dev.failure().expect("hang recorded");
    assert!(why.contains("no RQ or RC progress"), "{why}");
    assert!(why.contains("MemRead of 16 DW"), "{why}");
}

/// Both FLR paths reset the RTL (SCRATCH, a plain rw register, reads 0 again). Initiated in
/// config space, the function also loses its config (decoding off, BARs 0) until the host
/// restores it; `Device::reset` restores config space and the MSI-X table as the OS does.
#[test]
fn flr_resets_the_rtl_and_device_reset_restores_what_the_os_restores() {
    const SCRATCH: BarOffset = regs::SCRATCH_REG.bar_offset();
    let devctl = crate::config_space::CAP_PCIE + 0x08;
    let dev = dev();
    dev.bar_write32(BarIndex::BAR0, SCRATCH, 0x1234_5678)
        .unwrap();
    let mut saved = [0u8; 0x40];
    dev.config_read(0, &mut saved).unwrap();
    let d = dev.config_read16(devctl).unwrap();
    dev.config_write(devctl, &(d | 1 << 15).to_le_bytes())
        .unwrap();
    assert_eq!(dev.stats().function_resets, 1);
    assert!(
        dev.bar_read32(BarIndex::BAR0, SCRATCH).is_err(),
        "decoding is off"
    );
    assert_eq!(dev.config_read16(0x04).unwrap() & 0x6, 0);
    for offset in [0x10u16, 0x18, 0x1c, 0x04] {
        let at = usize::from(offset);
        dev.config_write(offset, &saved[at..at + 4]).unwrap();
    }
    assert_eq!(dev.bar_read32(BarIndex::BAR0, SCRATCH).unwrap(), 0);

    dev.bar_write32(BarIndex::BAR0, SCRATCH, 0x1234_5678)
        .unwrap();
    let _rx = dev.enable_msix(2).unwrap();
    dev.reset().unwrap();
    assert_eq!(dev.stats().function_resets, 2);
    assert_eq!(dev.bar_read32(BarIndex::BAR0, SCRATCH).unwrap(), 0);
    // The table was written back: entry 1 unmasked with its address and data.
    let address = regs::MSIX_TABLE_ADDR_REG64.at(1).unwrap();
    let data = regs::MSIX_TABLE_DATA_REG.at(1).unwrap().bar_offset();
    let control = regs::MSIX_TABLE_VECTOR_CONTROL_REG
        .at(1)
        .unwrap()
        .bar_offset();
    assert_eq!(regs::read64(&dev, &address).unwrap(), msix_address(1));
    assert_eq!(dev.bar_read32(BarIndex::BAR0, data).unwrap(), 1);
    assert_eq!(dev.bar_read32(BarIndex::BAR0, control).unwrap(), 0);
    assert!(dev.config_read16(CAP_MSIX + 2).unwrap() & (1 << 15) != 0);
}

/// An FLR in the middle of a PULL goes through the board wrapper: the model raises
/// cfg_flr_in_process[0], the wrapper resets the user logic and answers cfg_flr_done[0] in
/// the FLR_HOLD_CYCLES + 2-th cycle; the engine's traffic and registers are gone after it.
#[test]
fn flr_during_dma_resets_the_user_logic_through_the_wrapper() {
    use crate::rtl::{FLR_HOLD_CYCLES, LED_LINK_UP, LED_RESET_HELD};
    let dev = dev();
    assert_eq!(dev.leds() & (LED_LINK_UP | LED_RESET_HELD), LED_LINK_UP);
    let mut mem: Vec<Page> = (0..6).map(|_| Page([0; 4096])).collect();
    let iova = 0x1_0000_0000u64;
    // SAFETY: `mem` stays allocated until the unmap at the end.
    unsafe {
        dev.map_dma(mem.as_mut_ptr().cast(), 6 * 4096, BusAddr::new(iova))
            .unwrap()
    };
    let sq_tail = regs::QUEUE_SQ_TAIL_REG.at(0).unwrap().bar_offset();
    let w = |off: BarOffset, v: u32| dev.bar_write32(BarIndex::BAR0, off, v).unwrap();
    let (sq, cq, data) = (iova, iova + 0x1000, iova + 0x2000);
    start_queue0(&dev, sq, cq, 1 | (3 << 8));
    // SQ entry 0: PULL 16 KiB of host memory to BAR2 0.
    let e0 = &mut mem[0].0[..64];
    e0[0] = 0x01;
    e0[16..20].copy_from_slice(&0x4000u32.to_le_bytes());
    e0[24..32].copy_from_slice(&data.to_le_bytes());
    e0[32..36].copy_from_slice(&0x4000u32.to_le_bytes());
    w(sq_tail, 1);
    // Clock until the engine's reads are on the link and their data is coming back.
    let in_flight = (0..200).any(|_| {
        run(&dev, 20);
        let core = dev.lock().unwrap();
        core.stats.rc_completions > 0 && core.dma.in_flight()
    });
    assert!(in_flight, "the PULL never got going");
    let devctl = crate::config_space::CAP_PCIE + 0x08;
    let mut saved = [0u8; 0x40];
    dev.config_read(0, &mut saved).unwrap();
    let d = dev.config_read16(devctl).unwrap();
    dev.config_write(devctl, &(d | 1 << 15).to_le_bytes())
        .unwrap();
    let stats = dev.stats();
    assert_eq!(stats.function_resets, 1);
    assert_eq!(stats.flr_done_cycles, u64::from(FLR_HOLD_CYCLES) + 2);
    assert!(dev.failure().is_none(), "{:?}", dev.failure());
    assert!(!dev.lock().unwrap().dma.in_flight());
    assert_eq!(dev.leds() & (LED_LINK_UP | LED_RESET_HELD), LED_LINK_UP);
    for offset in [0x10u16, 0x18, 0x1c, 0x04] {
        let at = usize::from(offset);
        dev.config_write(offset, &saved[at..at + 4]).unwrap();
    }
    // The queue's registers are back at reset: the engine forgot the PULL.
    let sq_base = regs::QUEUE_SQ_BASE_REG64.at(0).unwrap();
    assert_eq!(regs::read64(&dev, &sq_base).unwrap(), 0);
    let control = regs::QUEUE_CONTROL_REG.at(0).unwrap().bar_offset();
    assert_eq!(dev.bar_read32(BarIndex::BAR0, control).unwrap(), 0);
    run(&dev, 1_000);
    assert!(dev.failure().is_none(), "{:?}", dev.failure());
    dev.unmap_dma(BusAddr::new(iova), 6 * 4096).unwrap();
}

/// A user side that never answers cfg_flr_done is a rule failure, not a hang. The wrapper's
/// FLR logic is held in reset by user_reset, so with user_reset high it cannot answer.
#[test]
fn an_unanswered_flr_is_a_rule_failure() {
    let dev = dev();
    {
        let mut core = dev.lock().unwrap();
        core.inputs.user_reset = 1;
        core.function_level_reset();
        assert_eq!(core.inputs.cfg_flr_in_process, 0, "dropped after the bound");
    }
    let why = dev.failure().expect("rule failure recorded");
    assert!(why.contains("did not answer function 0's FLR"), "{why}");
    assert!(why.contains(&FLR_DONE_LIMIT_CYCLES.to_string()), "{why}");
}

/// End to end through the engine (when the RTL has one): a NOP with an interrupt, and a
/// PULL of host memory into BAR2 with a Data Block SGL.
#[test]
fn engine_nop_and_pull_through_the_model() {
    let dev = dev();
    let caps = dev
        .bar_read32(BarIndex::BAR0, regs::CAPABILITIES_REG.bar_offset())
        .unwrap();
    if caps & (1 << 16) == 0 {
        eprintln!("no DMA engine in this RTL build; skipped");
        return;
    }
    let mut mem: Vec<Page> = (0..4).map(|_| Page([0; 4096])).collect();
    let iova = 0x1_0000_0000u64;
    // SAFETY: `mem` stays allocated until the unmap at the end.
    unsafe {
        dev.map_dma(mem.as_mut_ptr().cast(), 4 * 4096, BusAddr::new(iova))
            .unwrap()
    };
    let rx = dev.enable_msix(4).unwrap();
    let sq_tail = regs::QUEUE_SQ_TAIL_REG.at(0).unwrap().bar_offset();
    let w = |off: BarOffset, v: u32| dev.bar_write32(BarIndex::BAR0, off, v).unwrap();
    let (sq, cq, data) = (iova, iova + 0x1000, iova + 0x2000);
    start_queue0(&dev, sq, cq, 1 | 2 | (3 << 8));
    // SQ entry 0: NOP with interrupt, CID 0x1234; entry 1: PULL 300 bytes to BAR2 0x100.
    mem[0].0[0] = 0x00;
    mem[0].0[1] = 0x01;
    mem[0].0[2..4].copy_from_slice(&0x1234u16.to_le_bytes());
    let e1 = &mut mem[0].0[64..128];
    e1[0] = 0x01;
    e1[2..4].copy_from_slice(&0x5678u16.to_le_bytes());
    e1[8..16].copy_from_slice(&0x100u64.to_le_bytes());
    e1[16..20].copy_from_slice(&300u32.to_le_bytes());
    e1[24..32].copy_from_slice(&(data + 3).to_le_bytes());
    e1[32..36].copy_from_slice(&300u32.to_le_bytes());
    e1[39] = 0x00; // Data Block
    for (i, b) in mem[2].0.iter_mut().enumerate() {
        *b = (i * 5 + 1) as u8;
    }
    w(sq_tail, 2);
    dev.run_dma_until_idle(2_000_000).unwrap();
    let cqe = |i: usize| mem[1].0[16 * i..16 * i + 16].to_vec();
    let c0 = cqe(0);
    let c1 = cqe(1);
    eprintln!("CQ entries: {c0:02x?} {c1:02x?}, faults {:?}", dev.faults());
    assert_eq!(u16::from_le_bytes([c0[12], c0[13]]), 0x1234);
    assert_eq!(u16::from_le_bytes([c0[14], c0[15]]), 1, "phase 1, success");
    assert_eq!(rx.try_recv(), Ok(3));
    assert_eq!(u16::from_le_bytes([c1[12], c1[13]]), 0x5678);
    assert_eq!(u16::from_le_bytes([c1[14], c1[15]]), 1, "phase 1, success");
    let mut got = vec![0u8; 300];
    dev.bar_read(BarIndex::BAR2, BarOffset::new(0x100), &mut got)
        .unwrap();
    assert_eq!(got, &mem[2].0[3..303]);
    assert!(dev.faults().is_empty());
    dev.unmap_dma(BusAddr::new(iova), 4 * 4096).unwrap();
}

#[test]
fn mapping_api_and_bar_addresses() {
    let dev = dev();
    assert_eq!(dev.iova_ranges().unwrap(), IOVA_RANGES.to_vec());
    assert_eq!(
        dev.bar_bus_addr(BarIndex::BAR0).unwrap().get(),
        crate::config_space::BAR0_BASE
    );
    assert_eq!(
        dev.bar_bus_addr(BarIndex::BAR2).unwrap().get(),
        crate::config_space::BAR2_BASE
    );
    assert!(dev.bar_bus_addr(BarIndex::new(4).unwrap()).is_err());
    let mut page = Box::new(Page([0; 4096]));
    // SAFETY: refused mappings keep nothing; the accepted one is unmapped before `page` drops.
    unsafe {
        assert!(dev
            .map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0xfee0_0000))
            .is_err());
        dev.map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x10_0000))
            .unwrap();
        assert!(dev
            .map_dma(page.0.as_mut_ptr(), 4096, BusAddr::new(0x10_0000))
            .is_err());
    }
    dev.unmap_dma(BusAddr::new(0x10_0000), 4096).unwrap();
    assert!(dev.unmap_dma(BusAddr::new(0x10_0000), 4096).is_err());
    assert!(dev.enable_msix(0).is_err() && dev.enable_msix(MSIX_TABLE_SIZE + 1).is_err());
}

/// One request of `overlapped_reads_complete_in_request_order`, with what it must return.
enum Op {
    Read {
        requester_id: u16,
        tag: u8,
        expect: ReadOutcome,
    },
    Write,
}

/// The completer takes the next request while peerbar_cc_gen still sends the previous one's
/// completions. Back-to-back reads of BAR2 of random lengths, offsets and byte enables from two
/// requesters, BAR0 register reads, refused reads (UR) and BAR2 / BAR0 writes between them, all
/// queued on CQ at once, under random CC back-pressure: every completion's header is checked by
/// the model (PendingRead), every byte against a reference image that applies the writes in
/// request order (a read returns exactly the writes queued before it, none after), and the
/// completions must leave in request order, each request's contiguously.
#[test]
fn overlapped_reads_complete_in_request_order() {
    const OTHER_REQUESTER: u16 = 0x0308;
    const SCRATCH: u64 = regs::SCRATCH_REG.offset;
    const SPAN: usize = 64 * 1024; // BAR2 bytes the requests touch
    let dev = SimDevice::new(SimConfig {
        cc_ready_percent: 60,
        ..SimConfig::default()
    })
    .expect("simulation");
    let bar2_len = dev.bar_len(BarIndex::BAR2).expect("BAR2");
    let mut rng = SimRng::new(0x0cc0_5eed);
    let mut image: Vec<u8> = (0..SPAN).map(|_| rng.next_u64() as u8).collect();
    dev.bar_write(BarIndex::BAR2, BarOffset::ZERO, &image)
        .expect("BAR2 fill");
    let mut scratch = 0x5eed_0001u32;
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(SCRATCH), scratch)
        .expect("scratch");

    let mut core = dev.lock().expect("core");
    let mut reads = 0usize;
    for batch in 0..12u8 {
        let mut ops = Vec::new();
        for i in 0..40u8 {
            let (requester_id, tag) = if rng.below(2) == 0 {
                (HOST_REQUESTER_ID, i)
            } else {
                (OTHER_REQUESTER, 0x80 | i)
            };
            let choice = rng.below(100);
            let (mut req, expect) = if choice < 70 {
                // BAR2 read of 1..=1024 bytes at any byte offset, within a 4 KiB page.
                let len = 1 + rng.below(1024);
                let page = rng.below((SPAN / 4096) as u64) * 4096;
                let at = page + rng.below(4096 - len + 1);
                let want = image[at as usize..(at + len) as usize].to_vec();
                let req = core.request(BarIndex::BAR2, RequestType::MemRead, at, len);
                (req, Some(ReadOutcome::Data(want)))
            } else if choice < 78 {
                let req = core.request(BarIndex::BAR0, RequestType::MemRead, SCRATCH, 4);
                (req, Some(ReadOutcome::Data(scratch.to_le_bytes().to_vec())))
            } else if choice < 83 {
                // Past the end of BAR2: refused with UR.
                let req = core.request(BarIndex::BAR2, RequestType::MemRead, bar2_len - 4, 8);
                (req, Some(ReadOutcome::Status(STATUS_UR)))
            } else if choice < 95 {
                let len = 1 + rng.below(256);
                let page = rng.below((SPAN / 4096) as u64) * 4096;
                let at = page + rng.below(4096 - len + 1);
                let data: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
                let mut req = core.request(BarIndex::BAR2, RequestType::MemWrite, at, len);
                req.payload = payload_lanes(at, &data, req.dw_count);
                image[at as usize..(at + len) as usize].copy_from_slice(&data);
                (req, None)
            } else {
                scratch = rng.next_u64() as u32;
                let mut req = core.request(BarIndex::BAR0, RequestType::MemWrite, SCRATCH, 4);
                req.payload = vec![scratch];
                (req, None)
            };
            req.requester_id = requester_id;
            req.tag = tag;
            req.traffic_class = rng.below(8) as u8;
            req.attr = rng.below(8) as u8;
            core.push_cq(&req);
            ops.push(match expect {
                Some(expect) => {
                    core.pending
                        .insert((requester_id, tag), PendingRead::new(req));
                    Op::Read {
                        requester_id,
                        tag,
                        expect,
                    }
                }
                None => Op::Write,
            });
        }

        // Clock until every read is answered, noting each CC packet's requester ID and tag.
        let mut order: Vec<(u16, u8)> = Vec::new();
        let mut packet_start = true;
        let start = core.stats.cycles;
        while core.cq_accepted < core.cq_pushed || !core.pending.is_empty() {
            let out = core.clock();
            if out.cc_tvalid == 1 && core.inputs.cc_tready == 1 {
                if packet_start {
                    let d = crate::tlp::CcDescriptor::decode([
                        out.cc_tdata[0],
                        out.cc_tdata[1],
                        out.cc_tdata[2],
                    ]);
                    order.push((d.requester_id, d.tag));
                }
                packet_start = out.cc_tlast == 1;
            }
            assert!(core.failure.is_none(), "batch {batch}: {:?}", core.failure);
            assert!(
                core.stats.cycles - start < 200_000,
                "batch {batch}: not answered"
            );
        }
        order.dedup();
        let wanted: Vec<(u16, u8)> = ops
            .iter()
            .filter_map(|op| match op {
                Op::Read {
                    requester_id, tag, ..
                } => Some((*requester_id, *tag)),
                Op::Write => None,
            })
            .collect();
        assert_eq!(order, wanted, "batch {batch}: completion order");
        for op in ops {
            if let Op::Read {
                requester_id,
                tag,
                expect,
            } = op
            {
                let got = core.finished.remove(&tag).expect("answered");
                if let (ReadOutcome::Data(g), ReadOutcome::Data(e)) = (&got, &expect) {
                    let first_bad = g.iter().zip(e).position(|(a, b)| a != b);
                    assert!(
                        g.len() == e.len() && first_bad.is_none(),
                        "batch {batch}: requester {requester_id:#06x} tag {tag:#04x}: {} bytes, expected {}, first difference at byte {first_bad:?}",
                        g.len(),
                        e.len()
                    );
                }
                assert_eq!(
                    got, expect,
                    "batch {batch}: requester {requester_id:#06x} tag {tag:#04x}"
                );
                reads += 1;
            }
        }
    }
    assert!(reads > 300, "only {reads} reads checked");
}

/// The MSI-X capability announces the vectors the RTL's table has (one per queue pair), at the
/// register map's offsets: the last entry keeps what is written to it and resets masked, the
/// one after it reads as zero.
#[test]
fn msix_capability_matches_the_rtl_table() {
    let dev = dev();
    let caps = dev
        .bar_read32(BarIndex::BAR0, regs::CAPABILITIES_REG.bar_offset())
        .unwrap();
    let queues = (caps >> CAPABILITIES::DMA_QUEUES.shift) & CAPABILITIES::DMA_QUEUES.mask;
    let cap = peerbar::config::msix_capability(&dev).unwrap().unwrap();
    assert_eq!(u32::from(cap.table_size), queues);
    assert_eq!(cap.table_size, MSIX_TABLE_SIZE);
    assert_eq!(
        (cap.table_bar, cap.table_offset.get()),
        (BarIndex::BAR0, regs::MSIX_TABLE_BASE)
    );
    assert_eq!(
        (cap.pba_bar, cap.pba_offset),
        (BarIndex::BAR0, regs::MSIX_PBA_REG.bar_offset())
    );
    let last = u32::from(cap.table_size) - 1;
    for (v, expect) in [(last, 0x1234_5678), (last + 1, 0)] {
        let data = regs::MSIX_TABLE_DATA_REG.at(v).unwrap().bar_offset();
        dev.bar_write32(BarIndex::BAR0, data, 0x1234_5678).unwrap();
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, data).unwrap(),
            expect,
            "entry {v}"
        );
        let control = regs::MSIX_TABLE_VECTOR_CONTROL_REG
            .at(v)
            .unwrap()
            .bar_offset();
        let reset = if expect == 0 {
            0
        } else {
            regs::MSIX_TABLE_VECTOR_CONTROL_REG.reset
        };
        assert_eq!(
            dev.bar_read32(BarIndex::BAR0, control).unwrap(),
            reset,
            "entry {v}"
        );
    }
}
