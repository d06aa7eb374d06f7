// SPDX-License-Identifier: MIT OR Apache-2.0
//! RTL unit tests: CQ requests in, CC completions out, checked against the PCIe rules and a
//! shadow copy of BAR2.

use super::*;

// BAR0 register offsets (hw/regmap/peerbar.toml)
const MAGIC: u64 = peerbar::regs::MAGIC_REG.offset;
const VERSION: u64 = peerbar::regs::VERSION_REG.offset;
const BAR2_SIZE_HI: u64 = peerbar::regs::BAR2_SIZE_HI_REG.offset;
const SCRATCH: u64 = peerbar::regs::SCRATCH_REG.offset;
const CONTROL: u64 = peerbar::regs::CONTROL_REG.offset;
const STATUS: u64 = peerbar::regs::STATUS_REG.offset;
const DROPPED_WRITES: u64 = peerbar::regs::DROPPED_WRITES_REG.offset;
const UNSUPPORTED_REQUESTS: u64 = peerbar::regs::UNSUPPORTED_REQUESTS_REG.offset;
const ERROR_LOG: u64 = peerbar::regs::ERROR_LOG_REG.offset;
const ERROR_ADDR_LO: u64 = peerbar::regs::ERROR_ADDR_LO_REG.offset;
const ERROR_ADDR_HI: u64 = peerbar::regs::ERROR_ADDR_HI_REG.offset;

// Where the host put the BARs (the RTL masks addresses to the BAR size).
const BAR0_BASE: u64 = 0xF000_0000;
const BAR2_BASE: u64 = 0x0000_0040_0000_0000;
const BAR2_SIZE: u64 = 1 << BAR2_SIZE_LOG2;

const MEM_RD: u32 = 0;
const MEM_WR: u32 = 1;
const IO_RD: u32 = 2;

const REQ_ID: u32 = 0x0100;

/// One CQ request: the descriptor fields plus the payload.
#[derive(Clone, Debug)]
struct Request {
    req_type: u32,
    bar_id: u32,
    addr: u64,
    dw_count: u32,
    first_be: u32,
    last_be: u32,
    tag: u32,
    payload: Vec<u32>,
}

impl Request {
    fn descriptor(&self) -> [u32; 4] {
        let aperture = if self.bar_id == 2 { BAR2_SIZE_LOG2 } else { 16 };
        [
            (self.addr as u32) & !3,
            (self.addr >> 32) as u32,
            (self.dw_count & 0x7FF) | (self.req_type << 11) | (REQ_ID << 16),
            (self.tag & 0xFF) | (self.bar_id << 16) | (aperture << 19) | (2 << 25) | (1 << 28),
        ]
    }

    /// The CQ beats: descriptor and payload DW0-3, then 8 payload DWORDs per beat.
    fn beats(&self) -> Vec<RtlInputs> {
        let desc = self.descriptor();
        let mut lanes: Vec<u32> = desc.to_vec();
        lanes.extend_from_slice(&self.payload);
        let n_beats = lanes.len().div_ceil(8);
        (0..n_beats)
            .map(|b| {
                let mut inp = RtlInputs::default();
                let chunk = &lanes[b * 8..(b * 8 + 8).min(lanes.len())];
                inp.cq_tdata[..chunk.len()].copy_from_slice(chunk);
                inp.cq_tkeep = ((1u32 << chunk.len()) - 1) as u8;
                inp.cq_tlast = u8::from(b == n_beats - 1);
                inp.cq_tuser[0] = self.first_be | (self.last_be << 4);
                inp.cq_tuser[1] = if b == 0 { 1 << 8 } else { 0 }; // sop [40]
                inp.cq_tvalid = 1;
                inp
            })
            .collect()
    }
}

/// A memory request for `len` bytes at byte address `addr`: DWORD count and byte enables.
fn mem_request(req_type: u32, bar_id: u32, addr: u64, len: usize, data: Option<&[u8]>) -> Request {
    assert!(len >= 1);
    let first_dw = addr / 4;
    let end = addr + len as u64;
    let dw_count = (end.div_ceil(4) - first_dw) as u32;
    let lo = (addr % 4) as u32;
    let hi = (end - 1) % 4; // last enabled byte in the last DWORD
    let (first_be, last_be) = if dw_count == 1 {
        (((0xF << lo) & (0xF >> (3 - hi))) & 0xF, 0)
    } else {
        ((0xF << lo) & 0xF, 0xF >> (3 - hi))
    };
    let payload = data
        .map(|d| {
            let mut bytes = vec![0u8; dw_count as usize * 4];
            bytes[lo as usize..lo as usize + len].copy_from_slice(d);
            bytes
                .chunks(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect()
        })
        .unwrap_or_default();
    Request {
        req_type,
        bar_id,
        addr: first_dw * 4,
        dw_count,
        first_be,
        last_be,
        tag: 0x5A,
        payload,
    }
}

/// One completion packet from CC.
#[derive(Clone, Debug)]
struct Completion {
    lower_addr: u32,
    at: u32,
    byte_count: u32,
    dw_count: u32,
    status: u32,
    /// Locked read completion (CplLk / CplDLk).
    locked: bool,
    req_id: u32,
    tag: u32,
    tc: u32,
    attr: u32,
    /// Payload DWORDs (tkeep-valid lanes after the descriptor).
    payload: Vec<u32>,
    beats: usize,
}

struct Tb {
    rtl: Rtl,
    inp: RtlInputs,
    /// xorshift state for CC back-pressure; None = always ready.
    backpressure: Option<u64>,
    cc_beats: Vec<RtlOutputs>,
    /// Test-only host for the DMA engine's RQ/RC; None = RQ must stay idle.
    host: Option<Host>,
}

impl Tb {
    fn new() -> Tb {
        let mut tb = Tb {
            rtl: Rtl::new(None).expect("model"),
            inp: RtlInputs {
                pcie_perst_n: 1,
                user_lnk_up: 1,
                cc_tready: 1,
                rq_tready: 1,
                cfg_max_payload: 0,
                cfg_max_read_req: 5,
                cfg_function_status: 0x4,
                cfg_rcb_status: 1,
                ..Default::default()
            },
            backpressure: None,
            cc_beats: Vec::new(),
            host: None,
        };
        tb.reset(4);
        tb
    }

    /// Holds the block's `user_reset` for `cycles` cycles, then clocks until the board
    /// wrapper has released the user logic (its reset is registered: reset-held LED off).
    fn reset(&mut self, cycles: u32) {
        self.inp.user_reset = 1;
        for _ in 0..cycles {
            self.cycle();
        }
        self.inp.user_reset = 0;
        let released = (0..4).any(|_| self.cycle().led & LED_RESET_HELD == 0);
        assert!(released, "the wrapper still holds the user logic in reset");
    }

    fn cycle(&mut self) -> RtlOutputs {
        self.inp.cc_tready = match &mut self.backpressure {
            None => 1,
            Some(s) => {
                *s ^= *s << 13;
                *s ^= *s >> 7;
                *s ^= *s << 17;
                u8::from(*s % 3 != 0)
            }
        };
        if let Some(host) = &mut self.host {
            host.drive(&mut self.inp);
        }
        let out = self.rtl.cycle(&self.inp);
        assert_eq!(out.cq_np_req, 3, "pcie_cq_np_req must be 2'b11");
        match &mut self.host {
            None => {
                assert_eq!(out.rq_tvalid, 0, "RQ must be idle");
                assert_eq!(out.rc_tready, 1, "RC must be ready");
            }
            Some(host) => host.observe(&self.inp, &out),
        }
        assert_eq!(out.cc_tuser, 0);
        if out.cc_tvalid == 1 && self.inp.cc_tready == 1 {
            self.cc_beats.push(out.clone());
        }
        out
    }

    /// Drives the request's beats (honouring cq_tready); returns the cycles it took.
    fn send(&mut self, req: &Request) -> u64 {
        let start = self.rtl.cycles();
        for beat in req.beats() {
            self.inp.cq_tdata = beat.cq_tdata;
            self.inp.cq_tkeep = beat.cq_tkeep;
            self.inp.cq_tlast = beat.cq_tlast;
            self.inp.cq_tuser = beat.cq_tuser;
            self.inp.cq_tvalid = 1;
            let mut waited = 0;
            while self.cycle().cq_tready & 1 == 0 {
                waited += 1;
                assert!(waited < 100_000, "CQ stuck not ready");
            }
        }
        self.inp.cq_tvalid = 0;
        self.inp.cq_tdata = [0xDEAD_BEEF; 8];
        self.rtl.cycles() - start
    }

    /// Runs until CQ is ready and CC idle for a while; returns the completions collected.
    fn drain(&mut self) -> Vec<Completion> {
        let mut idle = 0;
        let mut n = 0;
        while idle < 8 {
            let out = self.cycle();
            idle = if out.cq_tready & 1 == 1 && out.cc_tvalid == 0 {
                idle + 1
            } else {
                0
            };
            n += 1;
            assert!(n < 100_000, "RTL never went idle");
        }
        parse_completions(std::mem::take(&mut self.cc_beats))
    }

    fn request(&mut self, req: &Request) -> Vec<Completion> {
        self.send(req);
        self.drain()
    }

    fn write(&mut self, bar_id: u32, offset: u64, data: &[u8]) {
        let base = if bar_id == 2 { BAR2_BASE } else { BAR0_BASE };
        let req = mem_request(MEM_WR, bar_id, base + offset, data.len(), Some(data));
        let cpls = self.request(&req);
        assert!(cpls.is_empty(), "a posted write got a completion: {cpls:?}");
    }

    /// Reads and checks every completion against the split rules; returns the bytes.
    fn read(&mut self, bar_id: u32, offset: u64, len: usize) -> Vec<u8> {
        let base = if bar_id == 2 { BAR2_BASE } else { BAR0_BASE };
        let req = mem_request(MEM_RD, bar_id, base + offset, len, None);
        let cpls = self.request(&req);
        check_split(&cpls, offset, len, 128 << self.inp.cfg_max_payload, &req);
        let mut bytes: Vec<u8> = cpls
            .iter()
            .flat_map(|c| c.payload.iter().flat_map(|d| d.to_le_bytes()))
            .collect();
        let lo = (offset % 4) as usize;
        bytes.drain(..lo);
        bytes.truncate(len);
        bytes
    }

    fn read_reg(&mut self, offset: u64) -> u32 {
        let b = self.read(0, offset, 4);
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    fn write_reg(&mut self, offset: u64, value: u32) {
        self.write(0, offset, &value.to_le_bytes());
    }

    /// Reads the 64-bit quantity `def` as `peerbar::regs::read64` does: low register, then high.
    fn read_reg64(&mut self, def: &peerbar::regs::Register64Def) -> u64 {
        let lo = self.read_reg(def.offset);
        let hi = self.read_reg(def.offset + 4);
        (u64::from(hi) << 32) | u64::from(lo)
    }

    /// Writes the 64-bit quantity `def` as `peerbar::regs::write64` does: low register, then
    /// high.
    fn write_reg64(&mut self, def: &peerbar::regs::Register64Def, value: u64) {
        self.write_reg(def.offset, value as u32);
        self.write_reg(def.offset + 4, (value >> 32) as u32);
    }
}

fn parse_completions(beats: Vec<RtlOutputs>) -> Vec<Completion> {
    let mut cpls = Vec::new();
    let mut cur: Option<Completion> = None;
    for beat in beats {
        let keep = beat.cc_tkeep;
        let n_lanes = keep.count_ones() as usize;
        assert_eq!(
            u32::from(keep),
            (1u32 << n_lanes) - 1,
            "tkeep not contiguous: {keep:#x}"
        );
        let c = cur.get_or_insert_with(|| {
            let d = &beat.cc_tdata;
            assert!(n_lanes >= 3, "first beat shorter than the descriptor");
            assert_eq!(d[0] & 0xFC80, 0, "reserved descriptor bits set");
            assert_eq!(d[2] >> 31, 0, "force ECRC");
            assert_eq!((d[2] >> 8) & 0x1FFFF, 0, "completer ID / enable must be 0");
            Completion {
                lower_addr: d[0] & 0x7F,
                at: (d[0] >> 8) & 3,
                byte_count: (d[0] >> 16) & 0x1FFF,
                dw_count: d[1] & 0x7FF,
                status: (d[1] >> 11) & 7,
                locked: (d[0] >> 29) & 1 == 1,
                req_id: d[1] >> 16,
                tag: d[2] & 0xFF,
                tc: (d[2] >> 25) & 7,
                attr: (d[2] >> 28) & 7,
                payload: Vec::new(),
                beats: 0,
            }
        });
        let start = if c.beats == 0 { 3 } else { 0 };
        c.payload.extend_from_slice(&beat.cc_tdata[start..n_lanes]);
        for (i, w) in beat.cc_tdata.iter().enumerate().skip(n_lanes) {
            assert_eq!(*w, 0, "lane {i} beyond tkeep not zero");
        }
        c.beats += 1;
        if beat.cc_tlast == 1 {
            cpls.push(cur.take().unwrap());
        }
    }
    assert!(cur.is_none(), "completion without tlast");
    cpls
}

/// The completions of a successful read: split at MPS-aligned boundaries, lower address,
/// byte count and DWORD count per the PCIe rules, and one beat per 8 lanes.
fn check_split(cpls: &[Completion], offset: u64, len: usize, mps: u64, req: &Request) {
    let end = offset + len as u64;
    let mut at = offset & !3; // DWORD-aligned start of the next completion
    let end_dw = end.div_ceil(4) * 4;
    for (i, c) in cpls.iter().enumerate() {
        assert!(at < end_dw, "too many completions: {cpls:?}");
        let to_boundary = mps - at % mps;
        let dws = (end_dw - at).min(to_boundary) / 4;
        let (lower, bc) = if i == 0 {
            (offset & 0x7F, len as u64)
        } else {
            (at & 0x7F, end - at)
        };
        assert_eq!(c.status, 0, "completion {i} status");
        assert_eq!(
            u64::from(c.lower_addr),
            lower,
            "completion {i} lower address"
        );
        assert_eq!(
            u64::from(c.byte_count),
            bc & 0x1FFF,
            "completion {i} byte count"
        );
        assert_eq!(u64::from(c.dw_count), dws, "completion {i} DWORD count");
        assert_eq!(c.payload.len() as u64, dws, "completion {i} payload length");
        assert_eq!(
            c.beats as u64,
            1 + (dws.saturating_sub(5)).div_ceil(8),
            "completion {i} beats"
        );
        assert_eq!(
            (c.req_id, c.tag, c.tc, c.attr, c.at),
            (REQ_ID, req.tag, 2, 1, 0)
        );
        at += dws * 4;
    }
    assert_eq!(at, end_dw, "completions do not cover the request");
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
        .collect()
}

#[test]
fn abi_layout_matches_header() {
    check_abi();
}

#[test]
fn identification_registers() {
    let mut tb = Tb::new();
    assert_eq!(tb.read_reg(MAGIC), 0x5045_4552);
    assert_eq!(tb.read_reg(VERSION), 0x0000_0200);
    assert_eq!(tb.read_reg64(&peerbar::regs::BAR2_SIZE_REG64), BAR2_SIZE);
    // STATUS: link up, bus master, MPS 0, MRRS 5, RCB 128.
    assert_eq!(tb.read_reg(STATUS), 0x1 | 0x2 | (5 << 8) | (1 << 12));
    tb.inp.cfg_max_payload = 3;
    tb.inp.cfg_function_status = 0;
    assert_eq!(tb.read_reg(STATUS), 0x1 | (3 << 4) | (5 << 8) | (1 << 12));
    // 64-bit read: MAGIC then VERSION.
    assert_eq!(
        tb.read(0, MAGIC, 8),
        [0x52, 0x45, 0x45, 0x50, 0x00, 0x02, 0x00, 0x00]
    );
    // Unmapped offsets read 0 and ignore writes.
    tb.write_reg(0x100, 0xFFFF_FFFF);
    assert_eq!(tb.read_reg(0x100), 0);
    assert_eq!(tb.read_reg(0xFFFC), 0);
    // Writes to const registers are ignored.
    tb.write_reg(MAGIC, 0);
    assert_eq!(tb.read_reg(MAGIC), 0x5045_4552);
}

#[test]
fn scratch_byte_enables() {
    let mut tb = Tb::new();
    assert_eq!(tb.read_reg(SCRATCH), 0);
    tb.write_reg(SCRATCH, 0x1122_3344);
    assert_eq!(tb.read_reg(SCRATCH), 0x1122_3344);
    // Bytes 0 and 2 only (first_be = 0101).
    let req = Request {
        req_type: MEM_WR,
        bar_id: 0,
        addr: BAR0_BASE + SCRATCH,
        dw_count: 1,
        first_be: 0b0101,
        last_be: 0,
        tag: 0,
        payload: vec![0xAABB_CCDD],
    };
    assert!(tb.request(&req).is_empty());
    assert_eq!(tb.read_reg(SCRATCH), 0x11BB_33DD);
    // One byte at offset 3, two bytes at offset 1 (unaligned sub-DWORD writes).
    tb.write(0, SCRATCH + 3, &[0x77]);
    assert_eq!(tb.read_reg(SCRATCH), 0x77BB_33DD);
    tb.write(0, SCRATCH + 1, &[0x01, 0x02]);
    assert_eq!(tb.read_reg(SCRATCH), 0x7702_01DD);
    assert_eq!(tb.read(0, SCRATCH + 1, 2), [0x01, 0x02]);
    // 2-DWORD write covering BAR2_SIZE_HI (ro: ignored) and SCRATCH (low 2 bytes).
    tb.write(0, BAR2_SIZE_HI + 2, &[0xEE, 0xEE, 0xAB, 0xCD]);
    assert_eq!(tb.read_reg(SCRATCH), 0x7702_CDAB);
    assert_eq!(tb.read_reg(BAR2_SIZE_HI), (BAR2_SIZE >> 32) as u32);
    // 2-DWORD write covering SCRATCH and CONTROL (0: no action), 2-DWORD read back.
    tb.write(0, SCRATCH, &[1, 2, 3, 4, 0, 0, 0, 0]);
    assert_eq!(tb.read(0, SCRATCH, 8), [1, 2, 3, 4, 0, 0, 0, 0]);
    // A 2-DWORD read across a 128-byte (MPS) boundary is split into two completions.
    tb.write_reg(0x7C, 0x1234_5678);
    assert_eq!(tb.read(0, 0x7C, 8), [0; 8]);
    // Reset restores the reset value.
    tb.reset(1);
    assert_eq!(tb.read_reg(SCRATCH), 0);
}

/// The board wrapper sits between the block and peerbar_top: function 0's FLR holds the user
/// logic in reset from the cycle after `cfg_flr_in_process[0]` rises and is answered with
/// one `cfg_flr_done[0]` pulse in cycle FLR_HOLD_CYCLES + 2; the LEDs show link up, reset
/// held and activity as the wrapper documents.
#[test]
fn flr_and_leds_go_through_the_board_wrapper() {
    let mut tb = Tb::new();
    assert_eq!(tb.cycle().led & (LED_LINK_UP | LED_RESET_HELD), LED_LINK_UP);
    tb.write_reg(SCRATCH, 0x1122_3344);
    assert!(tb.cycle().led & LED_ACTIVITY != 0, "a CQ beat was taken");
    tb.inp.cfg_flr_in_process = 1;
    let mut answered_in = None;
    for cycle in 1..=4 * FLR_HOLD_CYCLES {
        let out = tb.cycle();
        assert_eq!(
            out.led & LED_RESET_HELD != 0,
            cycle >= 2,
            "reset-held LED in FLR cycle {cycle}"
        );
        if out.cfg_flr_done & 1 == 1 {
            answered_in = Some(cycle);
            break;
        }
    }
    assert_eq!(answered_in, Some(FLR_HOLD_CYCLES + 2));
    // A pulse: gone in the next cycle even while the FLR is still in process.
    assert_eq!(tb.cycle().cfg_flr_done, 0);
    tb.inp.cfg_flr_in_process = 0;
    assert!(tb.cycle().led & LED_RESET_HELD != 0, "one register stage");
    assert_eq!(tb.cycle().led & LED_RESET_HELD, 0);
    assert_eq!(tb.read_reg(SCRATCH), 0, "the FLR reset the user logic");
    tb.inp.user_lnk_up = 0;
    tb.cycle();
    assert_eq!(tb.cycle().led & LED_LINK_UP, 0);
}

#[test]
fn bar2_write_read_unaligned() {
    let mut tb = Tb::new();
    let mut shadow = vec![0u8; 0x6000];
    for offset in (0..0x6000).step_by(4096) {
        tb.write(2, offset, &[0; 4096]);
    }
    let cases: &[(u64, usize)] = &[
        (0, 1),
        (0x101, 3),
        (0x1235, 300),
        (0x2000, 4096),
        (0x4040, 4096),
        (0x5002, 7),
        (0x5103, 1021),
    ];
    for (i, &(offset, len)) in cases.iter().enumerate() {
        let data = pattern(len, i as u8 + 1);
        tb.write(2, offset, &data);
        shadow[offset as usize..offset as usize + len].copy_from_slice(&data);
    }
    for mps in [0u8, 1, 2, 3] {
        tb.inp.cfg_max_payload = mps;
        for &(offset, len) in cases {
            assert_eq!(
                tb.read(2, offset, len),
                &shadow[offset as usize..offset as usize + len],
                "read {len} bytes at {offset:#x}, MPS code {mps}"
            );
        }
        // Reads that straddle what the writes left behind.
        for (offset, len) in [(0x0FFF, 2), (0x1FFD, 4096), (0x3F00, 700)] {
            assert_eq!(
                tb.read(2, offset, len),
                &shadow[offset as usize..offset as usize + len]
            );
        }
    }
}

#[test]
fn bar2_4k_read_splits_at_mps_and_streams() {
    let mut tb = Tb::new();
    let data = pattern(4096, 9);
    tb.write(2, 0x8000, &data);
    tb.inp.cfg_max_payload = 1; // 256 B
    let req = mem_request(MEM_RD, 2, BAR2_BASE + 0x8000, 4096, None);
    tb.send(&req);
    let start = tb.rtl.cycles();
    let cpls = tb.drain();
    assert_eq!(cpls.len(), 16);
    check_split(&cpls, 0x8000, 4096, 256, &req);
    for (i, c) in cpls.iter().enumerate() {
        assert_eq!(c.byte_count, 4096 - 256 * i as u32);
        assert_eq!(c.lower_addr, 0);
        assert_eq!(c.dw_count, 64);
    }
    // One CC beat per cycle once started (16 x 9 beats), plus pipeline latency and the idle tail.
    let beats: usize = cpls.iter().map(|c| c.beats).sum();
    assert_eq!(beats, 16 * 9);
    let took = tb.rtl.cycles() - start;
    assert!(
        took <= beats as u64 + 4 + 8,
        "4 KiB read took {took} cycles for {beats} beats"
    );
    let bytes: Vec<u8> = cpls
        .iter()
        .flat_map(|c| c.payload.iter().flat_map(|d| d.to_le_bytes()))
        .collect();
    assert_eq!(bytes, data);
    // Unaligned start: first completion runs to the first 256-byte boundary.
    let cpls = tb.request(&mem_request(
        MEM_RD,
        2,
        BAR2_BASE + 0x8000 + 0x4A,
        1000,
        None,
    ));
    let summary: Vec<(u32, u32, u32)> = cpls
        .iter()
        .map(|c| (c.lower_addr, c.byte_count, c.dw_count))
        .collect();
    assert_eq!(
        summary,
        [
            (0x4A, 1000, 46),
            (0x00, 1000 - 182, 64),
            (0x00, 1000 - 438, 64),
            (0x00, 1000 - 694, 64),
            (0x00, 1000 - 950, 13)
        ]
    );
}

#[test]
fn bar2_writes_run_at_full_rate() {
    let mut tb = Tb::new();
    // 1024 DWORDs: 4 in the first beat, then 127.5 beats of 8 = 129 beats, no bubbles.
    let req = mem_request(
        MEM_WR,
        2,
        BAR2_BASE + 0x1_0000,
        4096,
        Some(&pattern(4096, 3)),
    );
    assert_eq!(tb.send(&req), 129);
    // Back to back with another write: still no bubble.
    let req2 = mem_request(MEM_WR, 2, BAR2_BASE + 0x2_0001, 100, Some(&pattern(100, 4)));
    assert_eq!(tb.send(&req2), req2.beats().len() as u64);
    assert!(tb.drain().is_empty());
    assert_eq!(tb.read(2, 0x1_0000, 4096), pattern(4096, 3));
    assert_eq!(tb.read(2, 0x2_0001, 100), pattern(100, 4));
}

#[test]
fn zero_length_read_and_write() {
    let mut tb = Tb::new();
    tb.write(2, 0x40, &[9, 8, 7, 6]);
    let zero = |req_type, payload: Vec<u32>| Request {
        req_type,
        bar_id: 2,
        addr: BAR2_BASE + 0x40,
        dw_count: 1,
        first_be: 0,
        last_be: 0,
        tag: 3,
        payload,
    };
    assert!(tb.request(&zero(MEM_WR, vec![0xFFFF_FFFF])).is_empty());
    let cpls = tb.request(&zero(MEM_RD, vec![]));
    assert_eq!(cpls.len(), 1);
    let c = &cpls[0];
    assert_eq!(
        (c.status, c.byte_count, c.dw_count, c.lower_addr, c.tag),
        (0, 1, 1, 0x40, 3)
    );
    assert_eq!(tb.read(2, 0x40, 4), [9, 8, 7, 6]);
}

#[test]
fn past_end_of_bar2_is_refused() {
    let mut tb = Tb::new();
    let last = BAR2_SIZE - 8;
    tb.write(2, last, &[1, 2, 3, 4, 5, 6, 7, 8]);

    // A read of 3 DWORDs from the last 2: UR, one 8-DWORD beat.
    let req = mem_request(MEM_RD, 2, BAR2_BASE + last + 1, 10, None);
    let cpls = tb.request(&req);
    assert_eq!(cpls.len(), 1, "{cpls:?}");
    let c = &cpls[0];
    assert_eq!(c.beats, 1);
    assert_eq!(
        (c.status, c.dw_count, c.byte_count, c.lower_addr),
        (1, 0, 10, ((last + 1) & 0x7F) as u32)
    );
    assert_eq!((c.req_id, c.tag, c.tc, c.attr), (REQ_ID, req.tag, 2, 1));
    assert_eq!(c.payload.len(), 5);
    assert_eq!(c.payload[0], req.first_be | (req.last_be << 4));
    assert_eq!(&c.payload[1..], &req.descriptor());
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 1);
    assert_eq!(tb.read_reg(DROPPED_WRITES), 0);
    // CAUSE 1, REQ_TYPE 0, BAR_ID 2, DWORD_COUNT 3, VALID.
    assert_eq!(tb.read_reg(ERROR_LOG), 1 | (2 << 8) | (3 << 16) | (1 << 31));
    assert_eq!(tb.read_reg64(&peerbar::regs::ERROR_ADDR_REG64), last & !3);

    // A write past the end: dropped, nothing changes (no wrap to offset 0 either).
    tb.write(2, 0, &[0xAA; 4]);
    tb.write(2, last, &pattern(12, 7));
    assert_eq!(tb.read(2, last, 8), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(tb.read(2, 0, 4), [0xAA; 4]);
    assert_eq!(tb.read_reg(DROPPED_WRITES), 1);
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 1);
    // The log keeps the first refusal.
    assert_eq!(tb.read_reg(ERROR_LOG) & 0xF, 1);
    assert_eq!(tb.read_reg(ERROR_LOG) & 0xF0, 0);

    // CONTROL.CLEAR_ERRORS clears counters and log; the next refusal is logged.
    tb.write_reg(CONTROL, 1);
    for reg in [
        DROPPED_WRITES,
        UNSUPPORTED_REQUESTS,
        ERROR_LOG,
        ERROR_ADDR_LO,
        ERROR_ADDR_HI,
        CONTROL,
    ] {
        assert_eq!(tb.read_reg(reg), 0, "register {reg:#x} after CLEAR_ERRORS");
    }
    tb.write(2, BAR2_SIZE - 4, &pattern(8, 1));
    assert_eq!(tb.read_reg(DROPPED_WRITES), 1);
    assert_eq!(
        tb.read_reg(ERROR_LOG),
        1 | (1 << 4) | (2 << 8) | (2 << 16) | (1 << 31)
    );
    assert_eq!(
        tb.read_reg64(&peerbar::regs::ERROR_ADDR_REG64),
        BAR2_SIZE - 4
    );
}

#[test]
fn other_refusals() {
    let mut tb = Tb::new();
    // IORd: UR with byte count 4 and lower address 0.
    let io = Request {
        req_type: IO_RD,
        bar_id: 0,
        addr: 0x1_0030,
        dw_count: 1,
        first_be: 0xF,
        last_be: 0,
        tag: 7,
        payload: vec![],
    };
    let cpls = tb.request(&io);
    assert_eq!(cpls.len(), 1);
    assert_eq!(
        (
            cpls[0].status,
            cpls[0].byte_count,
            cpls[0].lower_addr,
            cpls[0].dw_count,
            cpls[0].tag
        ),
        (1, 4, 0, 0, 7)
    );
    assert_eq!(tb.read_reg(ERROR_LOG), 2 | (2 << 4) | (1 << 16) | (1 << 31));
    tb.write_reg(CONTROL, 1);

    // BAR 4 (not implemented): read gets UR, write dropped.
    let cpls = tb.request(&mem_request(MEM_RD, 4, 0x1000, 4, None));
    assert_eq!((cpls.len(), cpls[0].status, cpls[0].byte_count), (1, 1, 4));
    assert_eq!(tb.read_reg(ERROR_LOG), 4 | (4 << 8) | (1 << 16) | (1 << 31));
    tb.write(4, 0, &[1, 2, 3, 4]);
    assert_eq!(tb.read_reg(DROPPED_WRITES), 1);
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 1);
    tb.write_reg(CONTROL, 1);

    // BAR0 wider than 2 DWORDs: read UR (cause 3), write dropped, SCRATCH unchanged.
    tb.write_reg(SCRATCH, 0x55);
    let cpls = tb.request(&mem_request(MEM_RD, 0, BAR0_BASE + SCRATCH, 12, None));
    assert_eq!(
        (
            cpls.len(),
            cpls[0].status,
            cpls[0].byte_count,
            cpls[0].lower_addr
        ),
        (1, 1, 12, 0x18)
    );
    assert_eq!(tb.read_reg(ERROR_LOG), 3 | (3 << 16) | (1 << 31));
    tb.write(0, SCRATCH, &[0xFF; 12]);
    assert_eq!(tb.read_reg(SCRATCH), 0x55);
    assert_eq!(tb.read_reg(DROPPED_WRITES), 1);
    // BAR0 past its end: 2 DWORDs at 0xFFFC.
    let cpls = tb.request(&mem_request(MEM_RD, 0, BAR0_BASE + 0xFFFC, 8, None));
    assert_eq!(cpls[0].status, 1);
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 2);

    // A locked read: refused with a CplLk carrying UR, lower address/byte count as a read.
    let mut lk = mem_request(MEM_RD, 2, BAR2_BASE + 0x21, 6, None);
    lk.req_type = 7;
    let cpls = tb.request(&lk);
    let c = &cpls[0];
    assert_eq!(
        (c.status, c.locked, c.byte_count, c.lower_addr, c.dw_count),
        (1, true, 6, 0x21, 0)
    );
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 3);
    assert!(tb
        .request(&mem_request(MEM_RD, 2, BAR2_BASE, 4, None))
        .iter()
        .all(|c| !c.locked));

    // A message (posted) is dropped; the CQ keeps flowing.
    let msg = Request {
        req_type: 0xC,
        bar_id: 0,
        addr: 0,
        dw_count: 2,
        first_be: 0,
        last_be: 0,
        tag: 0,
        payload: vec![1, 2],
    };
    assert!(tb.request(&msg).is_empty());
    assert_eq!(tb.read_reg(DROPPED_WRITES), 2);
}

#[test]
fn non_posted_with_payload_is_refused_after_its_payload() {
    let mut tb = Tb::new();
    // IOWr (1 DWORD, in the first beat) and CAS (8 DWORDs: a second beat) get a UR once
    // their payload is consumed; the next request is served normally.
    for (req_type, dws) in [(3u32, 1usize), (6, 8), (4, 2)] {
        let req = Request {
            req_type,
            bar_id: 2,
            addr: BAR2_BASE + 0x100,
            dw_count: dws as u32,
            first_be: 0xF,
            last_be: if dws > 1 { 0xF } else { 0 },
            tag: 0x11,
            payload: vec![0xFFFF_FFFF; dws],
        };
        let cpls = tb.request(&req);
        assert_eq!(cpls.len(), 1);
        let c = &cpls[0];
        assert_eq!(
            (c.status, c.dw_count, c.byte_count, c.lower_addr, c.tag),
            (1, 0, 4, 0, 0x11)
        );
        assert_eq!(&c.payload[1..], &req.descriptor());
    }
    assert_eq!(tb.read(2, 0x100, 32), [0; 32]);
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 3);
    assert_eq!(tb.read_reg(DROPPED_WRITES), 0);
    assert_eq!(
        tb.read_reg(ERROR_LOG),
        2 | (3 << 4) | (2 << 8) | (1 << 16) | (1 << 31)
    );
}

#[test]
fn random_accesses_match_a_shadow_memory() {
    let mut tb = Tb::new();
    let window = 0x4000usize;
    // Exercise the top of BAR2 as well as its start.
    let bases = [0u64, BAR2_SIZE - window as u64];
    let mut shadow = [vec![0u8; window], vec![0u8; window]];
    for (base, _) in bases.iter().zip(&shadow) {
        for offset in (0..window as u64).step_by(4096) {
            tb.write(2, base + offset, &[0; 4096]);
        }
    }
    let mut rng = 0x2545_F491_4F6C_DD1Du64;
    let mut next = move |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    tb.backpressure = Some(0x1234_5678_9ABC_DEF1);
    for i in 0..300 {
        let w = next(2) as usize;
        let len = match next(4) {
            0 => 1 + next(8) as usize,
            1 => 1 + next(64) as usize,
            _ => 1 + next(4096) as usize,
        };
        let offset = next((window - len + 1) as u64) as usize;
        let addr = bases[w] + offset as u64;
        tb.inp.cfg_max_payload = next(4) as u8;
        if next(2) == 0 {
            let data = pattern(len, i as u8);
            tb.write(2, addr, &data);
            shadow[w][offset..offset + len].copy_from_slice(&data);
        } else {
            let got = tb.read(2, addr, len);
            assert_eq!(
                got,
                &shadow[w][offset..offset + len],
                "op {i}: read {len} at {addr:#x}"
            );
        }
    }
    assert_eq!(tb.read_reg(DROPPED_WRITES), 0);
    assert_eq!(tb.read_reg(UNSUPPORTED_REQUESTS), 0);
}

#[test]
fn cc_backpressure_keeps_data_intact() {
    let mut tb = Tb::new();
    let data = pattern(8192, 5);
    tb.write(2, 0x3_0000, &data[..4096]);
    tb.write(2, 0x3_1000, &data[4096..]);
    tb.backpressure = Some(0x9E37_79B9_7F4A_7C15);
    for (mps, offset, len) in [
        (1u8, 0x3_0000u64, 4096usize),
        (0, 0x3_0003, 4000),
        (2, 0x3_0FF1, 3000),
        (3, 0x3_0005, 1),
        (0, 0x3_1FFE, 2),
    ] {
        tb.inp.cfg_max_payload = mps;
        let o = (offset - 0x3_0000) as usize;
        assert_eq!(
            tb.read(2, offset, len),
            &data[o..o + len],
            "read {len} at {offset:#x}"
        );
    }
    assert_eq!(tb.read_reg(MAGIC), 0x5045_4552);
    let cpls = tb.request(&mem_request(MEM_RD, 2, BAR2_BASE + BAR2_SIZE - 4, 8, None));
    assert_eq!((cpls.len(), cpls[0].status, cpls[0].beats), (1, 1, 1));
}

#[test]
fn models_in_parallel_threads_and_trace() {
    let dir = std::env::temp_dir().join(format!("peerbar-rtl-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let trace = dir.join("trace.fst");
    let handles: Vec<_> = (0..2)
        .map(|t| {
            let trace = trace.clone();
            std::thread::spawn(move || {
                let mut tb = Tb::new();
                if t == 0 {
                    tb.rtl = Rtl::new(Some(&trace)).unwrap();
                    tb.reset(1);
                }
                let data = pattern(256, t as u8);
                tb.write(2, 0x100, &data);
                assert_eq!(tb.read(2, 0x100, 256), data);
                tb.rtl.cycles()
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap() > 0);
    }
    assert!(std::fs::metadata(&trace).unwrap().len() > 0);
    let err = Rtl::new(Some(&dir.join("no/such/dir/t.fst"))).unwrap_err();
    assert!(matches!(err, RtlError::TraceCreate { .. }), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------------------
// DMA engine: a minimal test-only host (memory, MemRd answered with RC completions split at
// RCB, MemWr collected). The real model of the host and fabric is bitstream-sim's; this one
// only proves the engine's own behaviour.

use std::collections::{HashMap, VecDeque};

const DMA_CONTROL: u64 = peerbar::regs::DMA_CONTROL_REG.offset;
const DMA_JOBS: u64 = peerbar::regs::DMA_JOBS_REG.offset;
const DMA_ERR_SGL: u64 = peerbar::regs::DMA_ERR_SGL_REG.offset;
const DMA_ERROR_LOG: u64 = peerbar::regs::DMA_ERROR_LOG_REG.offset;
const CAPABILITIES: u64 = peerbar::regs::CAPABILITIES_REG.offset;
/// BAR0 offset of queue 0's instance of a queue register (the DMA tests use queue 0).
macro_rules! queue0 {
    ($def:ident) => {
        peerbar::regs::$def.base + peerbar::regs::$def.offset
    };
}
const Q_SIZE: u64 = queue0!(QUEUE_SIZE_REG);
const Q_CONTROL: u64 = queue0!(QUEUE_CONTROL_REG);
const Q_STATUS: u64 = queue0!(QUEUE_STATUS_REG);
const Q_SQ_TAIL: u64 = queue0!(QUEUE_SQ_TAIL_REG);
const Q_CQ_HEAD: u64 = queue0!(QUEUE_CQ_HEAD_REG);

const SQ_BASE: u64 = 0x1_0000_0000;
const CQ_BASE: u64 = 0x1_0010_0000;

/// A MemWr the engine sent: address and bytes (byte enables applied).
#[derive(Clone, Debug)]
struct MemWr {
    addr: u64,
    data: Vec<u8>,
}

#[derive(Default)]
struct Host {
    mem: HashMap<u64, u8>,
    /// Outstanding reads, each a queue of completion packets (RC beats, ends the read).
    pending: Vec<VecDeque<(Vec<[u32; 8]>, bool)>>,
    /// Beats of the completion being delivered: (tdata, tlast, tag freed after it).
    current: VecDeque<([u32; 8], bool, Option<u8>)>,
    rq_beats: Vec<RtlOutputs>,
    writes: Vec<MemWr>,
    reads: Vec<(u64, usize, u8)>,
    rng: u64,
    /// Deliver completions of different reads in random order.
    reorder: bool,
    /// Read completion boundary in bytes.
    rcb: u64,
    /// Tags that must never be reused while outstanding.
    tags_out: HashMap<u8, usize>,
}

impl Host {
    fn new() -> Host {
        Host {
            rng: 0x1234_5678_9ABC_DEF1,
            rcb: 64,
            ..Default::default()
        }
    }

    fn rand(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    fn load(&mut self, addr: u64, data: &[u8]) {
        for (i, b) in data.iter().enumerate() {
            self.mem.insert(addr + i as u64, *b);
        }
    }

    fn peek(&self, addr: u64, len: usize) -> Vec<u8> {
        (0..len as u64)
            .map(|i| *self.mem.get(&(addr + i)).unwrap_or(&0))
            .collect()
    }

    /// Presents the next RC beat.
    fn drive(&mut self, inp: &mut RtlInputs) {
        inp.rq_tready = 1;
        inp.tfc_nph_av = 8;
        inp.tfc_npd_av = 8;
        if self.current.is_empty() && !self.pending.is_empty() {
            let i = if self.reorder {
                self.rand(self.pending.len() as u64) as usize
            } else {
                0
            };
            let (pkt, fin) = self.pending[i].pop_front().unwrap();
            if self.pending[i].is_empty() {
                self.pending.remove(i);
            }
            let n = pkt.len();
            let tag = (pkt[0][2] & 0xFF) as u8;
            for (b, beat) in pkt.into_iter().enumerate() {
                let last = b + 1 == n;
                self.current
                    .push_back((beat, last, (last && fin).then_some(tag)));
            }
        }
        match self.current.front() {
            Some((data, last, _)) => {
                inp.rc_tdata = *data;
                inp.rc_tkeep = 0xFF;
                inp.rc_tlast = u8::from(*last);
                inp.rc_tvalid = 1;
            }
            None => inp.rc_tvalid = 0,
        }
    }

    fn observe(&mut self, inp: &RtlInputs, out: &RtlOutputs) {
        if inp.rc_tvalid == 1 && out.rc_tready == 1 {
            let (_, _, freed) = self.current.pop_front().unwrap();
            if let Some(tag) = freed {
                self.tags_out.remove(&tag);
            }
        }
        if out.rq_tvalid == 1 && inp.rq_tready == 1 {
            self.rq_beats.push(out.clone());
            if out.rq_tlast == 1 {
                let beats = std::mem::take(&mut self.rq_beats);
                self.request(&beats);
            }
        }
    }

    fn request(&mut self, beats: &[RtlOutputs]) {
        let d = &beats[0].rq_tdata;
        assert_eq!(d[0] & 3, 0, "AT");
        let addr = (u64::from(d[1]) << 32) | u64::from(d[0] & !3);
        let dwc = (d[2] & 0x7FF) as usize;
        let req_type = (d[2] >> 11) & 0xF;
        let tag = (d[3] & 0xFF) as u8;
        assert_eq!(d[2] >> 15, 0, "poisoned / requester ID");
        assert_eq!(
            d[3] >> 8,
            0,
            "completer ID, requester ID enable, TC, attr, ECRC"
        );
        let first_be = (beats[0].rq_tuser & 0xF) as u32;
        let last_be = ((beats[0].rq_tuser >> 4) & 0xF) as u32;
        assert!(dwc >= 1);
        let lo = first_be.trailing_zeros() as u64;
        let len = if dwc == 1 {
            assert_eq!(last_be, 0);
            (32 - first_be.leading_zeros()) as u64 - lo
        } else {
            assert!(last_be != 0);
            dwc as u64 * 4 - lo - (last_be.leading_zeros() - 28) as u64
        };
        let start = addr + lo;
        assert!(
            (start & !0xFFF) == ((start + len - 1) & !0xFFF),
            "request crosses 4 KiB: {start:#x} + {len}"
        );
        match req_type {
            0 => {
                assert_eq!(beats.len(), 1);
                assert_eq!(beats[0].rq_tkeep, 0x0F);
                assert!(self.tags_out.insert(tag, 1).is_none(), "tag {tag} reused");
                self.reads.push((start, len as usize, tag));
                self.read(start, len, tag);
            }
            1 => {
                let mut lanes: Vec<u32> = Vec::new();
                for (i, b) in beats.iter().enumerate() {
                    let n = b.rq_tkeep.count_ones() as usize;
                    assert_eq!(b.rq_tkeep as u32, (1u32 << n) - 1);
                    assert_eq!(b.rq_tlast == 1, i + 1 == beats.len());
                    lanes.extend_from_slice(&b.rq_tdata[..n]);
                }
                assert_eq!(lanes.len(), 4 + dwc, "MemWr payload length");
                let bytes: Vec<u8> = lanes[4..].iter().flat_map(|w| w.to_le_bytes()).collect();
                let data = bytes[lo as usize..(lo + len) as usize].to_vec();
                self.load(start, &data);
                self.writes.push(MemWr { addr: start, data });
            }
            t => panic!("unexpected request type {t}"),
        }
    }

    /// Completions for a read, split at RCB.
    fn read(&mut self, start: u64, len: u64, tag: u8) {
        let end = start + len;
        let mut cur = start;
        let mut pkts = VecDeque::new();
        while cur < end {
            let boundary = (cur / self.rcb + 1) * self.rcb;
            let stop = end.min(boundary);
            let first_dw = cur & !3;
            let dws = (stop.div_ceil(4) * 4 - first_dw) / 4;
            let mut lanes = vec![
                // Request Completed (bit 30) on the read's last completion, as the block sets it.
                (cur & 0xFFF) as u32
                    | (((end - cur) as u32 & 0x1FFF) << 16)
                    | (u32::from(stop == end) << 30),
                dws as u32,
                u32::from(tag),
            ];
            let bytes = self.peek(first_dw, dws as usize * 4);
            lanes.extend(
                bytes
                    .chunks(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
            let beats = lanes
                .chunks(8)
                .map(|c| {
                    let mut b = [0u32; 8];
                    b[..c.len()].copy_from_slice(c);
                    b
                })
                .collect();
            pkts.push_back((beats, stop == end));
            cur = stop;
        }
        self.pending.push(pkts);
    }
}

/// One CQ entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Cqe {
    result: u32,
    sq_head: u16,
    sq_id: u16,
    cid: u16,
    status: u16,
    phase: bool,
}

struct Dma {
    tb: Tb,
    sq_tail: u64,
    sq_entries: u64,
    cq_head: u64,
    cq_entries: u64,
    phase: bool,
    cid: u16,
    /// FLAGS byte of the next submissions.
    flags: u8,
}

fn crc32c(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = (c >> 1) ^ if c & 1 == 1 { 0x82F6_3B78 } else { 0 };
        }
    }
    !c
}

fn sgl(addr: u64, len: u32, ty: u8) -> [u8; 16] {
    let mut d = [0u8; 16];
    d[..8].copy_from_slice(&addr.to_le_bytes());
    d[8..12].copy_from_slice(&len.to_le_bytes());
    d[15] = ty << 4;
    d
}

impl Dma {
    fn new(sq_entries: u64, cq_entries: u64) -> Dma {
        let mut tb = Tb::new();
        tb.host = Some(Host::new());
        let sq_base = peerbar::regs::QUEUE_SQ_BASE_REG64.at(0).unwrap();
        let cq_base = peerbar::regs::QUEUE_CQ_BASE_REG64.at(0).unwrap();
        tb.write_reg64(&sq_base, SQ_BASE);
        tb.write_reg64(&cq_base, CQ_BASE);
        tb.write_reg(
            Q_SIZE,
            (sq_entries as u32 - 1) | ((cq_entries as u32 - 1) << 16),
        );
        tb.write_reg(Q_CONTROL, 1);
        tb.write_reg(DMA_CONTROL, 1);
        Dma {
            tb,
            sq_tail: 0,
            sq_entries,
            cq_head: 0,
            cq_entries,
            phase: true,
            cid: 0x100,
            flags: 0,
        }
    }

    fn host(&mut self) -> &mut Host {
        self.tb.host.as_mut().unwrap()
    }

    /// Submits one command; returns its CID.
    fn submit(&mut self, opcode: u8, bar2_offset: u64, len: u32, dptr: [u8; 16]) -> u16 {
        self.cid += 1;
        let mut e = [0u8; 64];
        e[0] = opcode;
        e[1] = self.flags;
        e[2..4].copy_from_slice(&self.cid.to_le_bytes());
        e[8..16].copy_from_slice(&bar2_offset.to_le_bytes());
        e[16..20].copy_from_slice(&len.to_le_bytes());
        e[24..40].copy_from_slice(&dptr);
        let slot = SQ_BASE + self.sq_tail * 64;
        self.host().load(slot, &e);
        self.sq_tail = (self.sq_tail + 1) % self.sq_entries;
        let tail = self.sq_tail as u32;
        self.tb.write_reg(Q_SQ_TAIL, tail);
        self.cid
    }

    /// Runs until the next CQ entry is posted; consumes it.
    fn complete(&mut self) -> Cqe {
        let slot = CQ_BASE + self.cq_head * 16;
        for _ in 0..200_000 {
            let b = self.host().peek(slot, 16);
            let status = u16::from_le_bytes([b[14], b[15]]);
            if (status & 1 == 1) == self.phase {
                let e = Cqe {
                    result: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                    sq_head: u16::from_le_bytes([b[8], b[9]]),
                    sq_id: u16::from_le_bytes([b[10], b[11]]),
                    cid: u16::from_le_bytes([b[12], b[13]]),
                    status: status >> 1,
                    phase: status & 1 == 1,
                };
                assert_eq!(&b[4..8], &[0; 4], "reserved CQ bytes");
                self.cq_head = (self.cq_head + 1) % self.cq_entries;
                if self.cq_head == 0 {
                    self.phase = !self.phase;
                }
                let head = self.cq_head as u32;
                self.tb.write_reg(Q_CQ_HEAD, head);
                return e;
            }
            self.tb.cycle();
        }
        panic!("no CQ entry");
    }

    fn run(&mut self, opcode: u8, off: u64, len: u32, dptr: [u8; 16]) -> Cqe {
        let cid = self.submit(opcode, off, len, dptr);
        let e = self.complete();
        assert_eq!((e.cid, e.sq_id), (cid, 0));
        assert_eq!(u64::from(e.sq_head), self.sq_tail);
        e
    }

    /// Runs until the engine is idle.
    fn settle(&mut self) {
        let mut idle = 0;
        for _ in 0..100_000 {
            let out = self.tb.cycle();
            idle = if out.dma_busy == 0 && out.rq_tvalid == 0 {
                idle + 1
            } else {
                0
            };
            if idle > 16 {
                return;
            }
        }
        panic!("engine never went idle");
    }
}

#[test]
fn dma_identification_and_nop() {
    let mut tb = Tb::new();
    assert_eq!(
        tb.read_reg(CAPABILITIES),
        32 | (4 << 8) | (1 << 16) | (1 << 17)
    );
    let mut dma = Dma::new(4, 4);
    for i in 0..6u16 {
        let e = dma.run(0x00, 0, 0, [0; 16]);
        assert_eq!(e.status, 0);
        assert_eq!(e.result, 0);
        // 4-entry CQ: phase 1 for entries 0-3, then 0.
        assert_eq!(e.phase, i < 4, "entry {i}");
    }
    let e = dma.run(0x7F, 0, 0, [0; 16]);
    assert_eq!(e.status, 0x001);
    dma.settle();
    assert_eq!(dma.tb.read_reg(DMA_JOBS), 7);
    assert_eq!(dma.tb.read_reg(Q_STATUS) & 0xFFFF, 3);
    assert_eq!(
        dma.tb.read_reg(DMA_ERROR_LOG),
        0x8000_0000 | (1 << 16) | 0x107
    );
    assert!(dma.host().reads.iter().all(|r| r.1 == 64));
}

#[test]
fn dma_pull_data_block_and_last_segment() {
    let mut dma = Dma::new(8, 8);
    dma.tb.inp.cfg_max_read_req = 0; // 128 B: many reads in flight
    dma.host().reorder = true;
    let src = pattern(9000, 77);
    dma.host().load(0x2_0000_0FF3, &src);
    // Zero the BAR2 window first.
    for off in (0..0x6000).step_by(4096) {
        dma.tb.write(2, off, &[0; 4096]);
    }
    // One Data Block: 5001 bytes from an odd address across a 4 KiB boundary, to an odd offset.
    let e = dma.run(0x01, 0x1235, 5001, sgl(0x2_0000_0FF3, 5001, 0));
    assert_eq!((e.status, e.result), (0, 5001));
    assert_eq!(dma.tb.read(2, 0x1234, 5003)[1..5002], src[..5001]);
    assert_eq!(dma.tb.read(2, 0x1234, 1), [0]);
    assert_eq!(dma.tb.read(2, 0x1235 + 5001, 1), [0]);
    let max_tags = dma.host().reads.iter().map(|r| r.2).max().unwrap();
    assert!(max_tags >= 16, "reads used tags up to {max_tags} only");

    // Last Segment list (at an 8-byte aligned, not 16-aligned address) with 5 descriptors:
    // odd pieces, a zero-length Data Block and a Bit Bucket that skips BAR2 bytes.
    let list_addr = 0x3_0000_0FF8u64;
    let pieces: [(u64, u32, u8); 5] = [
        (0x2_0000_0FF3 + 1, 3, 0),
        (0x2_0000_0FF3 + 100, 0, 0),
        (0x2_0000_0FF3 + 1001, 700, 0),
        (0, 9, 1),
        (0x2_0000_0FF3 + 4097, 2000, 0),
    ];
    let mut list = Vec::new();
    for (a, l, t) in pieces {
        list.extend_from_slice(&sgl(a, l, t));
    }
    dma.host().load(list_addr, &list);
    dma.tb.write(2, 0x4000, &[0xEE; 3000]);
    let total: u32 = pieces.iter().map(|p| p.1).sum();
    let e = dma.run(0x01, 0x4001, total, sgl(list_addr, list.len() as u32, 3));
    assert_eq!((e.status, e.result), (0, total - 9));
    let got = dma.tb.read(2, 0x4000, 2800);
    let mut want = vec![0xEEu8; 2800];
    let mut at = 1;
    for (a, l, t) in pieces {
        if t == 0 {
            let o = (a - 0x2_0000_0FF3) as usize;
            want[at..at + l as usize].copy_from_slice(&src[o..o + l as usize]);
        }
        at += l as usize;
    }
    assert_eq!(got, want);
    dma.settle();
    assert_eq!(
        dma.tb.read_reg64(&peerbar::regs::DMA_BYTES_IN_REG64),
        u64::from(5001 + total - 9),
        "DMA_BYTES_IN"
    );
    // Segment reads never cross 4 KiB (checked by the host) and no MemWr but the CQ entries.
    assert!(dma
        .host()
        .writes
        .iter()
        .all(|w| w.addr >= CQ_BASE && w.data.len() == 16));
}

#[test]
fn dma_push_data_block_and_segments() {
    let mut dma = Dma::new(4, 4);
    dma.tb.inp.cfg_max_payload = 0; // 128 B
    let data = pattern(6000, 5);
    dma.tb.write(2, 0x8000, &data[..4096]);
    dma.tb.write(2, 0x9000, &data[4096..]);
    let e = dma.run(0x02, 0x8003, 4500, sgl(0x5_0000_0F01, 4500, 0));
    assert_eq!((e.status, e.result), (0, 4500));
    assert_eq!(dma.host().peek(0x5_0000_0F01, 4500), data[3..4503]);
    let writes: Vec<MemWr> = dma.host().writes.drain(..).collect();
    for w in &writes[..writes.len() - 1] {
        assert!(w.data.len() <= 128);
        assert!(w.addr >= 0x5_0000_0F01 && w.addr + w.data.len() as u64 <= 0x5_0000_0F01 + 4500);
    }
    assert_eq!(writes.last().unwrap().addr, CQ_BASE);

    // Segment -> Last Segment chain: the first segment's last descriptor points on.
    let l2 = 0x6_0000_2000u64;
    let mut seg2 = Vec::new();
    seg2.extend_from_slice(&sgl(0x7_0000_0002, 1, 0));
    seg2.extend_from_slice(&sgl(0x7_0000_1FFF, 301, 0));
    dma.host().load(l2, &seg2);
    let l1 = 0x6_0000_1000u64;
    let mut seg1 = Vec::new();
    for i in 0..5u64 {
        seg1.extend_from_slice(&sgl(0x7_0000_0100 + i * 0x105, 7 + i as u32, 0));
    }
    seg1.extend_from_slice(&sgl(l2, 32, 3));
    dma.host().load(l1, &seg1);
    let total = 1 + 301 + (0..5).map(|i| 7 + i).sum::<u32>();
    dma.tb.inp.cfg_max_payload = 1;
    let e = dma.run(0x02, 0x9001, total, sgl(l1, 96, 2));
    assert_eq!((e.status, e.result), (0, total));
    let mut at = 0x9001 - 0x8000;
    for i in 0..5u64 {
        let l = 7 + i as usize;
        assert_eq!(
            dma.host().peek(0x7_0000_0100 + i * 0x105, l),
            data[at..at + l]
        );
        at += l;
    }
    assert_eq!(dma.host().peek(0x7_0000_0002, 1), data[at..at + 1]);
    at += 1;
    assert_eq!(dma.host().peek(0x7_0000_1FFF, 301), data[at..at + 301]);
    dma.settle();
    assert_eq!(
        dma.tb.read_reg64(&peerbar::regs::DMA_BYTES_OUT_REG64),
        u64::from(4500 + total)
    );
}

#[test]
fn dma_checksum_and_errors() {
    let mut dma = Dma::new(16, 16);
    let data = pattern(3000, 9);
    dma.tb.write(2, 0x100, &data);
    for (off, len) in [
        (0x100u64, 3000usize),
        (0x101, 1),
        (0x103, 70),
        (0x120, 32),
        (0x11F, 2),
    ] {
        let e = dma.run(0x03, off, len as u32, [0; 16]);
        let o = (off - 0x100) as usize;
        assert_eq!(
            (e.status, e.result),
            (0, crc32c(&data[o..o + len])),
            "{off:#x}+{len}"
        );
    }
    let bar2 = 1u64 << BAR2_SIZE_LOG2;
    // Status codes: BAR2 range, DPTR type, short/long lists, Bit Bucket on PUSH, segment rules.
    let list = 0x8_0000_0000u64;
    dma.host()
        .load(list, &[sgl(0x9000, 8, 0), sgl(0x9100, 8, 0)].concat());
    dma.host().load(
        list + 0x100,
        &[sgl(0x9000, 8, 0), sgl(list, 32, 2)].concat(),
    );
    dma.host().load(
        list + 0x200,
        &[sgl(list, 32, 2), sgl(0x9000, 8, 0)].concat(),
    );
    dma.host()
        .load(list + 0x300, &[sgl(list + 0x300, 16, 2)].concat());
    let cases: [(u8, u64, u32, [u8; 16], u16); 10] = [
        (0x01, bar2 - 4, 5, sgl(0x9000, 5, 0), 0xC0),
        (0x03, bar2, 1, [0; 16], 0xC0),
        (0x01, 0, 8, sgl(0x9000, 8, 1), 0x0D),
        (0x01, 0, 8, sgl(0x9000, 4, 0), 0x0F),
        (0x01, 0, 8, sgl(list, 32, 3), 0x0F),
        (0x02, 0, 8, sgl(0x9000, 8, 1), 0x0D),
        (0x02, 0, 24, sgl(list, 24, 3), 0x0D),
        (0x01, 0, 16, sgl(list + 0x100, 32, 3), 0x0D),
        (0x01, 0, 16, sgl(list + 0x200, 32, 2), 0x0E),
        (0x01, 0, 16, sgl(list, 16, 0x04), 0x0D), // Data Block with subtype 4 in DPTR
    ];
    for (i, (op, off, len, dptr, st)) in cases.into_iter().enumerate() {
        let e = dma.run(op, off, len, dptr);
        assert_eq!(e.status, st, "case {i}");
    }
    // A Bit Bucket in a PUSH list: 11h.
    dma.host().load(list + 0x400, &[sgl(0x9000, 8, 1)].concat());
    assert_eq!(dma.run(0x02, 0, 8, sgl(list + 0x400, 16, 3)).status, 0x11);
    // A list that loops forever: C1h after 65536 descriptors (slow: skip unless asked).
    dma.settle();
    assert_eq!(dma.tb.read_reg(DMA_ERR_SGL), 8 + 1);
}

#[test]
fn dma_cq_full_waits_and_msix() {
    let mut dma = Dma::new(4, 2);
    // MSI-X vector 1: table entry, unmasked; queue 0 raises vector 1.
    let addr = peerbar::regs::MSIX_TABLE_ADDR_REG64.at(1).unwrap();
    let data = peerbar::regs::MSIX_TABLE_DATA_REG.at(1).unwrap().offset;
    let control = peerbar::regs::MSIX_TABLE_VECTOR_CONTROL_REG
        .at(1)
        .unwrap()
        .offset;
    let pba = peerbar::regs::MSIX_PBA_REG.offset;
    dma.tb.inp.msix_enable = 1;
    dma.tb.write_reg64(&addr, 0xFEE0_0000);
    dma.tb.write_reg(data, 0x4242);
    dma.tb.write_reg(control, 0);
    dma.tb.write_reg(Q_CONTROL, 1 | 2 | (1 << 8));
    // Two NOPs with FLAGS bit 0, CQ of 2 entries: the second waits until CQ_HEAD moves.
    for _ in 0..2 {
        dma.cid += 1;
        let mut sqe = [0u8; 64];
        sqe[1] = 1;
        sqe[2..4].copy_from_slice(&dma.cid.to_le_bytes());
        let slot = SQ_BASE + dma.sq_tail * 64;
        dma.host().load(slot, &sqe);
        dma.sq_tail += 1;
    }
    let tail = dma.sq_tail as u32;
    dma.tb.write_reg(Q_SQ_TAIL, tail);
    for _ in 0..2000 {
        dma.tb.cycle();
    }
    assert_eq!(dma.tb.read_reg(Q_STATUS) >> 16 & 3, 0b11, "BUSY and FULL");
    let msi: Vec<MemWr> = dma
        .host()
        .writes
        .iter()
        .filter(|w| w.addr == 0xFEE0_0000)
        .cloned()
        .collect();
    assert_eq!(msi.len(), 1);
    assert_eq!(msi[0].data, 0x4242u32.to_le_bytes());
    assert!(dma.complete().phase);
    assert!(dma.complete().phase);
    dma.settle();
    assert_eq!(
        dma.host()
            .writes
            .iter()
            .filter(|w| w.addr == 0xFEE0_0000)
            .count(),
        2
    );
    // Masked vector: PBA bit, sent on unmask.
    dma.tb.write_reg(control, 1);
    dma.flags = 1;
    dma.sq_tail %= 4;
    let _ = dma.submit(0x00, 0, 0, [0; 16]);
    assert_eq!(dma.complete().status, 0);
    dma.settle();
    assert_eq!(dma.tb.read_reg(pba), 0b10);
    dma.tb.write_reg(control, 0);
    dma.settle();
    assert_eq!(dma.tb.read_reg(pba), 0);
    assert_eq!(
        dma.host()
            .writes
            .iter()
            .filter(|w| w.addr == 0xFEE0_0000)
            .count(),
        3
    );
}
