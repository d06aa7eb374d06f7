// SPDX-License-Identifier: MIT OR Apache-2.0
//! The request side of the requester interface: RQ beats from the DMA engine decoded into
//! requests and checked against the PCIe request rules (PG213 "Requester Request Interface").

use crate::tlp::{request_byte_count, RequestType};
use crate::xilinx_desc::RqDesc;

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
