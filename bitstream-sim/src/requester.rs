//! The UltraScale+ block's requester interface, modelled at the user side: RQ beats from the
//! DMA engine reassembled into requests and checked against the PCIe request rules; read
//! completions as they cross the link (split at RCB/MPS, optionally split further and reordered
//! across tags), and the block's Split Completion Table, which matches each of them to the
//! read that holds its tag, fills in the RC descriptor (12-bit lower address, error code,
//! Request Completed) and reports its own completion timeouts. Pure data and functions; the
//! clocked part lives in `device/requester.rs`.
//!
//! Layouts follow AMD PG213 (UltraScale+ Devices Integrated Block for PCI Express): 256-bit
//! bus, dword-aligned, no straddling. An RQ packet is the 128-bit descriptor then payload from
//! DW4; an RC packet is the 96-bit descriptor then payload from DW3.

use std::collections::{BTreeMap, VecDeque};

use crate::tlp::{request_byte_count, Beat, RequestType, STATUS_SC};
use crate::xilinx_desc::{RcDesc, RqDesc};

/// RC descriptor error codes (PG213 "Handling of Completion Errors", table "Encoding of Error
/// Codes"). Poisoned completion data (the TLP's EP bit).
pub const RC_ERROR_POISONED: u8 = 1;
/// The read was terminated by a completion with UR, CA or CRS status.
pub const RC_ERROR_STATUS: u8 = 2;
/// The read was terminated by a completion whose byte count does not match what it still owes.
pub const RC_ERROR_BYTE_COUNT: u8 = 3;
/// The completion's tag matches no read in the Split Completion Table.
pub const RC_ERROR_INVALID_TAG: u8 = 6;
/// The core's own completion timeout ended the read.
pub const RC_ERROR_TIMEOUT: u8 = 9;

/// A small deterministic generator (splitmix64) for the seeded choices of the model.
#[derive(Clone, Debug)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-ish value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True on `percent` % of calls.
    pub fn percent(&mut self, percent: u8) -> bool {
        percent >= 100 || self.below(100) < u64::from(percent)
    }
}

/// One request the DMA engine sent on RQ, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RqRequest {
    pub kind: RequestType,
    /// Bus address of the first DWORD (low two bits zero).
    pub dw_address: u64,
    pub dw_count: u16,
    pub first_be: u8,
    pub last_be: u8,
    /// Requester ID from the descriptor when "requester ID enable" is set; otherwise the block
    /// substitutes the function's own ID.
    pub requester_id: Option<u16>,
    pub tag: u8,
    pub traffic_class: u8,
    pub attr: u8,
    /// tuser seq_num (6 bits), echoed on `pcie_rq_seq_num*` once the request left the block.
    pub seq_num: u8,
    /// Write data, `dw_count` DWORDs for MemWr.
    pub payload: Vec<u32>,
}

impl RqRequest {
    /// Byte enables of DWORD `i`.
    pub fn dw_be(&self, i: usize) -> u8 {
        if i == 0 {
            self.first_be
        } else if i + 1 == usize::from(self.dw_count) {
            self.last_be
        } else {
            0xf
        }
    }

    /// A zero-length request: 1 DWORD with no byte enabled.
    pub fn is_zero_length(&self) -> bool {
        self.dw_count == 1 && self.first_be == 0
    }

    /// Address of the first enabled byte.
    pub fn first_byte(&self) -> u64 {
        crate::tlp::first_byte_address(self.dw_address, self.first_be)
    }

    /// Byte count of a read (what the first completion's Byte Count must say).
    pub fn byte_count(&self) -> u32 {
        request_byte_count(self.dw_count, self.first_be, self.last_be)
    }

    /// The enabled bytes of a write as runs of consecutive bytes: (bus address, bytes).
    pub fn write_runs(&self) -> Vec<(u64, Vec<u8>)> {
        let mut runs: Vec<(u64, Vec<u8>)> = Vec::new();
        for (i, dw) in self.payload.iter().enumerate() {
            let be = self.dw_be(i);
            for (b, byte) in dw.to_le_bytes().into_iter().enumerate() {
                if be & (1 << b) == 0 {
                    continue;
                }
                let addr = self.dw_address + 4 * i as u64 + b as u64;
                match runs.last_mut() {
                    Some((start, bytes)) if *start + bytes.len() as u64 == addr => {
                        bytes.push(byte);
                    }
                    _ => runs.push((addr, vec![byte])),
                }
            }
        }
        runs
    }

    /// e.g. `MemRead of 16 DW at 0x100001000, tag 0x03`.
    pub fn describe(&self) -> String {
        format!(
            "{:?} of {} DW at {:#x}, tag {:#04x}",
            self.kind, self.dw_count, self.dw_address, self.tag
        )
    }
}

/// The PCIe limits and state a request is checked against.
#[derive(Clone, Copy, Debug)]
pub struct RqLimits {
    /// Max Payload Size, bytes.
    pub max_payload: u32,
    /// Max Read Request Size, bytes.
    pub max_read_req: u32,
    /// Bus Master Enable in the Command register.
    pub bus_master: bool,
    /// Extended Tag Field Enable in Device Control: 8-bit tags allowed (else 5-bit).
    pub extended_tags: bool,
}

/// One beat as the RTL drives it on `s_axis_rq_*`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RqBeat {
    pub data: [u32; 8],
    pub keep: u8,
    pub last: bool,
    pub user: u64,
}

/// Reassembles RQ beats into requests and checks every request against the PCIe rules.
#[derive(Default)]
pub struct RqChecker {
    dws: Vec<u32>,
    first_user: u64,
    beats: usize,
    /// Requests completed so far (names requests in messages).
    pub requests: u64,
}

impl RqChecker {
    /// True while a packet is partly received.
    pub fn in_packet(&self) -> bool {
        self.beats > 0
    }

    /// Adds one accepted beat. Returns the request when `tlast` closes it, or a message naming
    /// the request and the rule it broke. `tag_outstanding` says whether a read tag is in use.
    pub fn push(
        &mut self,
        beat: &RqBeat,
        limits: RqLimits,
        tag_outstanding: impl Fn(u8) -> bool,
    ) -> Result<Option<RqRequest>, String> {
        let keep = beat.keep;
        let n = self.requests;
        if keep == 0 || (keep & keep.wrapping_add(1)) != 0 {
            self.abort();
            return Err(format!(
                "RQ request #{n}, beat {}: tkeep {keep:#04x} is not contiguous from DW0",
                self.beats
            ));
        }
        if !beat.last && keep != 0xff {
            self.abort();
            return Err(format!(
                "RQ request #{n}, beat {}: not the last beat but tkeep {keep:#04x} (must be 0xff)",
                self.beats
            ));
        }
        if (beat.user >> 11) & 1 != 0 {
            self.abort();
            return Err(format!(
                "RQ request #{n}, beat {}: discontinue (tuser[11]) set: the block would drop the request",
                self.beats
            ));
        }
        if self.beats == 0 {
            if keep & 0xf != 0xf {
                self.abort();
                return Err(format!(
                    "RQ request #{n}: first beat has tkeep {keep:#04x}, too short for the 4-DWORD descriptor"
                ));
            }
            self.first_user = beat.user;
        }
        self.dws
            .extend_from_slice(&beat.data[..keep.count_ones() as usize]);
        self.beats += 1;
        if !beat.last {
            return Ok(None);
        }
        let dws = std::mem::take(&mut self.dws);
        let user = self.first_user;
        self.beats = 0;
        self.requests += 1;
        check_request(n, &dws, user, limits, tag_outstanding).map(Some)
    }

    fn abort(&mut self) {
        self.dws.clear();
        self.beats = 0;
        self.requests += 1;
    }
}

/// Byte enables of a DWORD that are contiguous and reach the DWORD's top (first DWORD of a
/// multi-DWORD request) or start at its bottom (last DWORD).
fn contiguous_to_top(be: u8) -> bool {
    matches!(be, 0b1111 | 0b1110 | 0b1100 | 0b1000)
}

fn contiguous_from_bottom(be: u8) -> bool {
    matches!(be, 0b1111 | 0b0111 | 0b0011 | 0b0001)
}

/// Decodes the descriptor of a complete RQ packet and checks it against the PCIe rules.
fn check_request(
    n: u64,
    dws: &[u32],
    user: u64,
    limits: RqLimits,
    tag_outstanding: impl Fn(u8) -> bool,
) -> Result<RqRequest, String> {
    let d = RqDesc([dws[0], dws[1], dws[2], dws[3]]);
    let at = d.addr_type();
    let dw_address = d.address() << 2;
    let dw_count = d.dword_count() as u16;
    let req_type = d.req_type() as u8;
    let poisoned = d.poisoned() != 0;
    let requester_id = d.requester_id() as u16;
    let tag = d.tag() as u8;
    let completer_id = d.completer_id() as u16;
    let requester_id_enable = d.requester_id_enable() != 0;
    let traffic_class = d.tc() as u8;
    let attr = d.attr() as u8;
    let force_ecrc = d.force_ecrc() != 0;
    let first_be = (user & 0xf) as u8;
    let last_be = ((user >> 4) & 0xf) as u8;
    let addr_offset = (user >> 8) & 0x7;
    let seq_num = (((user >> 24) & 0xf) | (((user >> 60) & 0x3) << 4)) as u8;
    let kind = match req_type {
        0 => RequestType::MemRead,
        1 => RequestType::MemWrite,
        other => {
            return Err(format!(
                "RQ request #{n} (type {other:#x}, tag {tag:#04x} at {dw_address:#x}): request type {other:#x} is not a memory read or write; the DMA engine issues only MemRd/MemWr"
            ));
        }
    };
    let req = RqRequest {
        kind,
        dw_address,
        dw_count,
        first_be,
        last_be,
        requester_id: requester_id_enable.then_some(requester_id),
        tag,
        traffic_class,
        attr,
        seq_num,
        payload: dws[4..].to_vec(),
    };
    let mut errors = Vec::new();
    if !limits.bus_master {
        errors.push("bus mastering is disabled in the Command register".to_string());
    }
    if dw_count == 0 {
        errors.push("DWORD count 0 (1..=1024 DWORDs)".to_string());
    }
    let bytes = u64::from(dw_count) * 4;
    let payload_len = dws.len() - 4;
    match kind {
        RequestType::MemWrite if payload_len != usize::from(dw_count) => errors.push(format!(
            "DWORD count {dw_count} but the packet carries {payload_len} payload DWORD(s)"
        )),
        RequestType::MemRead if payload_len != 0 => errors.push(format!(
            "DWORD count mismatch: a read carries no payload but the packet has {payload_len} DWORD(s) after the descriptor"
        )),
        _ => {}
    }
    // Checked: a request may end at (or, malformed, past) the top of the 64-bit address space.
    match dw_address.checked_add(bytes.saturating_sub(1)) {
        None => errors.push(format!(
            "runs past the end of the 64-bit address space ({dw_address:#x} + {bytes} bytes)"
        )),
        Some(last) if dw_count > 0 && dw_address / 4096 != last / 4096 => errors.push(format!(
            "crosses a 4 KiB boundary ({dw_address:#x}..={last:#x})"
        )),
        Some(_) => {}
    }
    if kind == RequestType::MemWrite && bytes > u64::from(limits.max_payload) {
        errors.push(format!(
            "{bytes} payload bytes exceed Max Payload Size {}",
            limits.max_payload
        ));
    }
    if kind == RequestType::MemRead && bytes > u64::from(limits.max_read_req) {
        errors.push(format!(
            "{bytes} bytes exceed Max Read Request Size {}",
            limits.max_read_req
        ));
    }
    // PCIe Base Spec "Transaction Descriptor - Transaction ID Field": without Extended Tag
    // Field Enable a requester uses only the 5 low tag bits.
    if kind == RequestType::MemRead && !limits.extended_tags && tag >= 32 {
        errors.push(format!(
            "8-bit tag {tag:#04x} while Extended Tag Field Enable (Device Control bit 8) is clear"
        ));
    }
    if kind == RequestType::MemRead && tag_outstanding(tag) {
        errors.push(format!(
            "tag {tag:#04x} is reused while the core still holds its read in the Split Completion \
             Table (PG213: a tag is free again only after the completion marked Request \
             Completed, or the core's completion timeout report)"
        ));
    }
    // Byte enables (PCIe base spec 2.2.5).
    if dw_count == 1 {
        if last_be != 0 {
            errors.push(format!(
                "byte enables: last_be {last_be:#06b} must be 0 for a 1-DWORD request"
            ));
        }
    } else if dw_count > 1 {
        if first_be == 0 {
            errors.push("byte enables: first_be 0 on a request longer than 1 DWORD".to_string());
        }
        if last_be == 0 {
            errors.push("byte enables: last_be 0 on a request longer than 1 DWORD".to_string());
        }
        let qw_aligned_pair = dw_count == 2 && dw_address % 8 == 0;
        if !qw_aligned_pair
            && first_be != 0
            && last_be != 0
            && !(contiguous_to_top(first_be) && contiguous_from_bottom(last_be))
        {
            errors.push(format!(
                "byte enables first {first_be:#06b} / last {last_be:#06b} are not contiguous (only 1-DWORD and QWORD-aligned 2-DWORD requests may have gaps)"
            ));
        }
    }
    // Fields that must be zero in this configuration.
    if at != 0 {
        errors.push(format!(
            "reserved: address type {at} (the engine uses untranslated addresses, 0)"
        ));
    }
    if poisoned {
        errors.push("reserved: poisoned request bit set".to_string());
    }
    if addr_offset != 0 {
        errors.push(format!(
            "reserved: tuser addr_offset {addr_offset} in dword-aligned mode (must be 0)"
        ));
    }
    if !requester_id_enable && completer_id != 0 {
        errors.push(format!(
            "reserved: completer ID {completer_id:#06x} on a memory request (must be 0)"
        ));
    }
    if force_ecrc {
        errors.push("reserved: force ECRC set (ECRC is not enabled)".to_string());
    }
    if errors.is_empty() {
        Ok(req)
    } else {
        Err(format!(
            "RQ request #{n} ({}): {}",
            req.describe(),
            errors.join("; ")
        ))
    }
}

/// Builds the RQ beats of a request (the inverse of `RqChecker`): for tests, and for the
/// fabric's own requests in later models.
pub fn rq_beats(req: &RqRequest) -> Vec<RqBeat> {
    let mut d = RqDesc::default();
    d.set_address(req.dw_address >> 2)
        .set_dword_count(req.dw_count.into())
        .set_req_type(req.kind as u64)
        .set_requester_id(req.requester_id.unwrap_or(0).into())
        .set_tag(req.tag.into())
        .set_requester_id_enable(req.requester_id.is_some().into())
        .set_tc(req.traffic_class.into())
        .set_attr(req.attr.into());
    let mut dws = d.0.to_vec();
    dws.extend_from_slice(&req.payload);
    let user = u64::from(req.first_be & 0xf)
        | (u64::from(req.last_be & 0xf) << 4)
        | (u64::from(req.seq_num & 0xf) << 24)
        | (u64::from((req.seq_num >> 4) & 3) << 60);
    let chunks: Vec<&[u32]> = dws.chunks(8).collect();
    let last = chunks.len() - 1;
    chunks
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut beat = RqBeat {
                keep: ((1u32 << c.len()) - 1) as u8,
                last: i == last,
                user,
                ..RqBeat::default()
            };
            beat.data[..c.len()].copy_from_slice(c);
            beat
        })
        .collect()
}

/// An RC descriptor (96 bits). The same type carries a completion as it crosses the link, before
/// the Split Completion Table has seen it: then `lower_address` holds only the TLP's 7 bits,
/// `error_code` and `request_completed` are not yet known (the table sets them), and the TLP's
/// EP bit is `poisoned`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RcDescriptor {
    /// Bits 11:0 of the address of the first byte this completion carries: bits 11:7 from the
    /// Split Completion Table entry of the read that holds the tag, bits 6:0 from the TLP (only
    /// 6:0 are meaningful on an error completion; PG213 "Requester Completion Descriptor
    /// Format").
    pub lower_address: u16,
    pub error_code: u8,
    /// Bytes still owed, this completion's included.
    pub byte_count: u16,
    pub request_completed: bool,
    pub dw_count: u16,
    pub status: u8,
    pub poisoned: bool,
    pub requester_id: u16,
    pub tag: u8,
    pub completer_id: u16,
    pub traffic_class: u8,
    pub attr: u8,
}

impl RcDescriptor {
    pub fn encode(&self) -> [u32; 3] {
        let mut d = RcDesc::default();
        d.set_lower_address(self.lower_address.into())
            .set_error_code(self.error_code.into())
            .set_byte_count(self.byte_count.into())
            .set_request_completed(self.request_completed.into())
            .set_dword_count(self.dw_count.into())
            .set_status(self.status.into())
            .set_poisoned(self.poisoned.into())
            .set_requester_id(self.requester_id.into())
            .set_tag(self.tag.into())
            .set_completer_id(self.completer_id.into())
            .set_tc(self.traffic_class.into())
            .set_attr(self.attr.into());
        d.0
    }

    pub fn decode(d: [u32; 3]) -> RcDescriptor {
        let d = RcDesc(d);
        RcDescriptor {
            lower_address: d.lower_address() as u16,
            error_code: d.error_code() as u8,
            byte_count: d.byte_count() as u16,
            request_completed: d.request_completed() != 0,
            dw_count: d.dword_count() as u16,
            status: d.status() as u8,
            poisoned: d.poisoned() != 0,
            requester_id: d.requester_id() as u16,
            tag: d.tag() as u8,
            completer_id: d.completer_id() as u16,
            traffic_class: d.tc() as u8,
            attr: d.attr() as u8,
        }
    }
}

/// One completion for the RC interface.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RcPacket {
    pub desc: RcDescriptor,
    pub payload: Vec<u32>,
    /// Byte enables of each payload DWORD (tuser byte_en): set only on bytes the read asked for.
    pub payload_be: Vec<u8>,
}

impl RcPacket {
    /// A data completion whose payload starts at the DWORD holding byte address `first_byte`
    /// and carries `bytes` valid bytes from there (0 for a zero-length read).
    pub fn data(desc: RcDescriptor, payload: Vec<u32>, first_byte: u64, bytes: u32) -> RcPacket {
        let skew = (first_byte & 3) as u32;
        let payload_be = (0..payload.len() as u32)
            .map(|i| {
                let mut be = 0u8;
                for b in 0..4 {
                    let pos = i * 4 + b;
                    if pos >= skew && pos < skew + bytes {
                        be |= 1 << b;
                    }
                }
                be
            })
            .collect();
        RcPacket {
            desc,
            payload,
            payload_be,
        }
    }

    /// The packet as RC beats: descriptor DW0-2 and payload from DW3, with tuser byte_en,
    /// is_sof_0 and is_eof_0.
    pub fn beats(&self) -> Vec<Beat> {
        let mut lanes: Vec<(u32, u8)> = self.desc.encode().iter().map(|&d| (d, 0)).collect();
        lanes.extend(
            self.payload
                .iter()
                .copied()
                .zip(self.payload_be.iter().copied()),
        );
        let chunks: Vec<&[(u32, u8)]> = lanes.chunks(8).collect();
        let last = chunks.len() - 1;
        chunks
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let mut beat = Beat {
                    keep: ((1u32 << c.len()) - 1) as u8,
                    last: i == last,
                    ..Beat::default()
                };
                let mut byte_en = 0u32;
                for (j, &(d, be)) in c.iter().enumerate() {
                    beat.data[j] = d;
                    byte_en |= u32::from(be) << (4 * j);
                }
                // byte_en[31:0], is_sof_0[32], is_eof_0[37:34] = {last DW index, valid}.
                let mut user = u128::from(byte_en);
                if i == 0 {
                    user |= 1 << 32;
                }
                if i == last {
                    let eof = 1 | ((c.len() as u128 - 1) << 1);
                    user |= eof << 34;
                }
                beat.user = [user as u32, (user >> 32) as u32, (user >> 64) as u32];
                beat
            })
            .collect()
    }
}

/// What a completer needs to know to answer a read.
#[derive(Clone, Debug)]
pub struct ReadAnswer {
    /// Address of the first byte owed.
    pub first_byte: u64,
    /// Byte Count of the first completion (PCIe byte-count rules).
    pub byte_count: u32,
    pub zero_length: bool,
    pub tag: u8,
    pub requester_id: u16,
    pub completer_id: u16,
    pub traffic_class: u8,
    pub attr: u8,
}

impl ReadAnswer {
    pub fn for_request(req: &RqRequest, requester_id: u16, completer_id: u16) -> ReadAnswer {
        ReadAnswer {
            first_byte: req.first_byte(),
            byte_count: req.byte_count(),
            zero_length: req.is_zero_length(),
            tag: req.tag,
            requester_id,
            completer_id,
            traffic_class: req.traffic_class,
            attr: req.attr,
        }
    }

    fn descriptor(&self) -> RcDescriptor {
        RcDescriptor {
            tag: self.tag,
            requester_id: self.requester_id,
            completer_id: self.completer_id,
            traffic_class: self.traffic_class,
            attr: self.attr,
            ..RcDescriptor::default()
        }
    }

    /// The single completion of a read the completer cannot serve (UR or CA), as on the link.
    pub fn error(&self, status: u8) -> RcPacket {
        RcPacket {
            desc: RcDescriptor {
                lower_address: (self.first_byte & 0x7f) as u16,
                byte_count: self.byte_count as u16,
                status,
                ..self.descriptor()
            },
            payload: Vec::new(),
            payload_be: Vec::new(),
        }
    }

    /// Successful completions carrying `data` (`byte_count` bytes from `first_byte`; ignored
    /// for a zero-length read), as on the link: each at most `max_payload` bytes and, unless it
    /// finishes the read, ending on an `rcb` boundary. With `rng`, a completion is split further
    /// at a random RCB boundary half the time.
    pub fn split(
        &self,
        data: &[u8],
        max_payload: u32,
        rcb: u32,
        mut rng: Option<&mut SimRng>,
    ) -> Vec<RcPacket> {
        if self.zero_length {
            let desc = RcDescriptor {
                lower_address: (self.first_byte & 0x7f) as u16,
                byte_count: 1,
                dw_count: 1,
                status: STATUS_SC,
                ..self.descriptor()
            };
            return vec![RcPacket::data(desc, vec![0], self.first_byte, 0)];
        }
        let (mps, rcb) = (u64::from(max_payload), u64::from(rcb));
        let end = self.first_byte + u64::from(self.byte_count);
        let mut pos = self.first_byte;
        let mut packets = Vec::new();
        while pos < end {
            let dw_start = pos & !3;
            let mut chunk_end = if end <= dw_start + mps {
                end
            } else {
                (dw_start + mps) / rcb * rcb
            };
            if let Some(rng) = rng.as_deref_mut() {
                let first_boundary = (pos / rcb + 1) * rcb;
                if first_boundary < chunk_end && rng.below(2) == 0 {
                    let choices = (chunk_end - 1 - first_boundary) / rcb + 1;
                    chunk_end = first_boundary + rng.below(choices) * rcb;
                }
            }
            let bytes = (chunk_end - pos) as u32;
            let dw_end = chunk_end.div_ceil(4) * 4;
            let mut raw = vec![0u8; (dw_end - dw_start) as usize];
            let off = (pos - dw_start) as usize;
            let src = (pos - self.first_byte) as usize;
            raw[off..off + bytes as usize].copy_from_slice(&data[src..src + bytes as usize]);
            let payload: Vec<u32> = raw
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            let desc = RcDescriptor {
                lower_address: (pos & 0x7f) as u16,
                byte_count: (end - pos) as u16,
                dw_count: payload.len() as u16,
                status: STATUS_SC,
                ..self.descriptor()
            };
            packets.push(RcPacket::data(desc, payload, pos, bytes));
            pos = chunk_end;
        }
        packets
    }
}

/// One read in the block's Split Completion Table.
#[derive(Clone, Debug)]
pub struct SctEntry {
    pub request: RqRequest,
    /// Bus address of the next byte the read is owed.
    pub next: u64,
    /// Bytes still owed: what the next completion's Byte Count must say.
    pub remaining: u32,
    /// Cycle at which the block's completion timeout ends the read.
    pub deadline: u64,
}

/// The block's Split Completion Table: every MemRd the user logic sent, by tag, until the block
/// is done with it. PG213 ("Requester Completion Descriptor Format", "Handling of Completion
/// Errors") says the block matches each completion from the link against this table, returns
/// the lower address from it, checks the byte count, marks the last completion of a read
/// Request Completed, and reports its own completion timeout with error code 9. Where PG213 is
/// silent the model takes the reading least convenient for the user logic:
/// - lower address bits 11:7 come from the table, bits 6:0 from the TLP, unchecked: a
///   completion with the expected byte count but another offset reaches the user logic with a
///   wrong 12-bit address (the user logic must check it);
/// - a completion that matches no entry is delivered (error code 6) with its payload, and with
///   Request Completed set when its data would cover its byte count;
/// - a byte-count mismatch (error code 3) terminates the read (Request Completed), and the
///   completion's payload is still delivered (to be discarded);
/// - the timeout report carries only lower address bits 6:0 and no data;
/// - attribute (code 4) and address (code 5) checks are not modelled: the model's completers
///   always echo the request's attributes.
pub struct SplitCompletionTable {
    entries: BTreeMap<u8, SctEntry>,
    timeout: u64,
    /// No deadline is earlier than this (a lower bound: entries may have gone since).
    earliest: u64,
}

impl SplitCompletionTable {
    /// `timeout_cycles`: the block's completion timeout (an IP setting, PG213 "Completion
    /// Timeout"; the PCIe default range is 50 us to 50 ms).
    pub fn new(timeout_cycles: u64) -> SplitCompletionTable {
        SplitCompletionTable {
            entries: BTreeMap::new(),
            timeout: timeout_cycles.max(1),
            earliest: u64::MAX,
        }
    }

    /// The block holds a read with this tag.
    pub fn holds(&self, tag: u8) -> bool {
        self.entries.contains_key(&tag)
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The reads held, by tag.
    pub fn entries(&self) -> impl Iterator<Item = (&u8, &SctEntry)> {
        self.entries.iter()
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.earliest = u64::MAX;
    }

    /// The read `req` left the block at cycle `now`. Its tag must be free (the RQ checker
    /// refuses a request on a tag the table holds).
    pub fn issue(&mut self, req: &RqRequest, now: u64) {
        let deadline = now + self.timeout;
        self.earliest = self.earliest.min(deadline);
        self.entries.insert(
            req.tag,
            SctEntry {
                request: req.clone(),
                next: req.first_byte(),
                remaining: req.byte_count(),
                deadline,
            },
        );
    }

    /// A completion arriving from the link (`lower_address` bits 6:0 only, `poisoned` the EP
    /// bit): matched against the table and turned into what the RC interface delivers.
    pub fn receive(&mut self, mut packet: RcPacket) -> RcPacket {
        let d = &mut packet.desc;
        let wire_la = d.lower_address & 0x7f;
        d.lower_address = wire_la;
        d.error_code = 0;
        d.request_completed = false;
        let carried =
            |la: u16, dw_count: u16| (u32::from(dw_count) * 4).saturating_sub(u32::from(la & 3));
        let Some(entry) = self.entries.get_mut(&d.tag) else {
            d.error_code = RC_ERROR_INVALID_TAG;
            d.request_completed =
                d.status != STATUS_SC || carried(wire_la, d.dw_count) >= u32::from(d.byte_count);
            return packet;
        };
        if d.status != STATUS_SC {
            d.error_code = RC_ERROR_STATUS;
            d.request_completed = true;
            self.entries.remove(&d.tag);
            return packet;
        }
        if u32::from(d.byte_count) != entry.remaining {
            d.error_code = RC_ERROR_BYTE_COUNT;
            d.request_completed = true;
            self.entries.remove(&d.tag);
            return packet;
        }
        d.lower_address = (entry.next & 0xf80) as u16 | wire_la;
        if d.poisoned {
            d.error_code = RC_ERROR_POISONED;
        }
        let bytes = carried(d.lower_address, d.dw_count).min(entry.remaining);
        entry.next += u64::from(bytes);
        entry.remaining -= bytes;
        if entry.remaining == 0 {
            d.request_completed = true;
            self.entries.remove(&d.tag);
        }
        packet
    }

    /// Reads whose completion timeout fired by cycle `now`: removed, each with the report the
    /// block delivers on RC (error code 9, Request Completed, no data).
    pub fn expire(&mut self, now: u64) -> Vec<RcPacket> {
        if now < self.earliest {
            return Vec::new();
        }
        let due: Vec<u8> = self
            .entries
            .iter()
            .filter(|(_, e)| e.deadline <= now)
            .map(|(&t, _)| t)
            .collect();
        let reports = due
            .into_iter()
            .filter_map(|tag| self.entries.remove(&tag))
            .map(|e| RcPacket {
                desc: RcDescriptor {
                    lower_address: (e.next & 0x7f) as u16,
                    error_code: RC_ERROR_TIMEOUT,
                    byte_count: e.remaining as u16,
                    request_completed: true,
                    tag: e.request.tag,
                    traffic_class: e.request.traffic_class,
                    attr: e.request.attr,
                    ..RcDescriptor::default()
                },
                payload: Vec::new(),
                payload_be: Vec::new(),
            })
            .collect();
        self.earliest = self
            .entries
            .values()
            .map(|e| e.deadline)
            .min()
            .unwrap_or(u64::MAX);
        reports
    }
}

/// The RC side of the block: completions arriving from the link, per tag in order, across tags
/// in arrival order or (with reordering) in a seeded random order among those whose latency has
/// elapsed; each goes through the Split Completion Table as it is delivered, and the table's
/// timeout reports go first.
pub struct RcScheduler {
    queues: BTreeMap<u8, VecDeque<(u64, u64, RcPacket)>>,
    sct: SplitCompletionTable,
    reports: VecDeque<RcPacket>,
    current: VecDeque<Beat>,
    reorder: bool,
    rng: SimRng,
    seq: u64,
}

impl RcScheduler {
    pub fn new(reorder: bool, seed: u64, core_timeout_cycles: u64) -> RcScheduler {
        RcScheduler {
            queues: BTreeMap::new(),
            sct: SplitCompletionTable::new(core_timeout_cycles),
            reports: VecDeque::new(),
            current: VecDeque::new(),
            reorder,
            rng: SimRng::new(seed ^ 0x5a5a_5a5a),
            seq: 0,
        }
    }

    /// The block's Split Completion Table.
    pub fn table(&self) -> &SplitCompletionTable {
        &self.sct
    }

    /// A MemRd left the block at cycle `now` (see [`SplitCompletionTable::issue`]).
    pub fn issue(&mut self, req: &RqRequest, now: u64) {
        self.sct.issue(req, now);
    }

    /// Queues `packets` (completions of one tag as on the link, in address order) to arrive
    /// no earlier than cycle `ready`.
    pub fn push(&mut self, tag: u8, ready: u64, packets: Vec<RcPacket>) {
        let q = self.queues.entry(tag).or_default();
        for p in packets {
            q.push_back((ready, self.seq, p));
            self.seq += 1;
        }
    }

    /// Nothing queued and nothing being sent (reads may still be held in the table).
    pub fn is_empty(&self) -> bool {
        self.current.is_empty() && self.queues.is_empty() && self.reports.is_empty()
    }

    /// Drops every queued completion and every held read (reset).
    pub fn clear(&mut self) {
        self.queues.clear();
        self.current.clear();
        self.reports.clear();
        self.sct.clear();
    }

    /// Completions queued or being sent.
    pub fn len(&self) -> usize {
        self.queues.values().map(VecDeque::len).sum::<usize>()
            + self.reports.len()
            + usize::from(!self.current.is_empty())
    }

    /// The beat to drive at cycle `now`, if any.
    pub fn head(&mut self, now: u64) -> Option<&Beat> {
        if self.current.is_empty() {
            self.select(now);
        }
        self.current.front()
    }

    fn select(&mut self, now: u64) {
        self.reports.extend(self.sct.expire(now));
        if let Some(report) = self.reports.pop_front() {
            self.current = report.beats().into();
            return;
        }
        let ready: Vec<(u8, u64)> = self
            .queues
            .iter()
            .filter_map(|(&tag, q)| q.front().filter(|e| e.0 <= now).map(|e| (tag, e.1)))
            .collect();
        if ready.is_empty() {
            return;
        }
        let tag = if self.reorder {
            ready[self.rng.below(ready.len() as u64) as usize].0
        } else {
            ready.iter().min_by_key(|e| e.1).expect("non-empty").0
        };
        let q = self.queues.get_mut(&tag).expect("queue");
        let (_, _, packet) = q.pop_front().expect("ready packet");
        if q.is_empty() {
            self.queues.remove(&tag);
        }
        self.current = self.sct.receive(packet).beats().into();
    }

    /// The head beat was accepted.
    pub fn accept(&mut self) {
        self.current.pop_front();
    }
}

#[cfg(test)]
mod tests;
