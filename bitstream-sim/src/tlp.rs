// SPDX-License-Identifier: MIT OR Apache-2.0
//! The UltraScale+ block's completer interface, modelled at the user side:
//! requests turned into CQ beats, and CC beats reassembled into completions and checked against
//! the PCIe completion rules. Pure functions and data; the clocked part lives in `endpoint_model`.
//!
//! Layouts follow AMD PG213 (UltraScale+ Devices Integrated Block for PCI Express): 256-bit bus,
//! dword-aligned, no straddling. Beat 0 carries the 128-bit CQ descriptor then payload DW0..3;
//! a CC packet is the 96-bit descriptor followed by payload from DW3.

use std::fmt;

use crate::xilinx_desc::{CcDesc, CqDesc};

/// Request types of the CQ/RQ descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum RequestType {
    MemRead = 0x0,
    MemWrite = 0x1,
    IoRead = 0x2,
    IoWrite = 0x3,
    FetchAdd = 0x4,
    Swap = 0x5,
    CompareAndSwap = 0x6,
    LockedRead = 0x7,
    Message = 0xc,
    VendorMessage = 0xd,
}

impl RequestType {
    /// Posted requests get no completion.
    pub fn is_posted(self) -> bool {
        matches!(
            self,
            RequestType::MemWrite | RequestType::Message | RequestType::VendorMessage
        )
    }

    pub fn is_memory_read(self) -> bool {
        matches!(self, RequestType::MemRead | RequestType::LockedRead)
    }
}

/// One request as the link delivers it to the endpoint.
#[derive(Clone, Debug)]
pub struct Request {
    pub kind: RequestType,
    /// BAR the block decoded the address to (the CQ descriptor's BAR ID).
    pub bar_id: u8,
    /// log2 of that BAR's size (the CQ descriptor's BAR aperture).
    pub bar_aperture: u8,
    /// Bus address of the first DWORD (low two bits zero).
    pub dw_address: u64,
    /// Length in DWORDs, 1..=1024.
    pub dw_count: u16,
    pub first_be: u8,
    pub last_be: u8,
    pub requester_id: u16,
    pub tag: u8,
    pub traffic_class: u8,
    pub attr: u8,
    /// Write data, `dw_count` DWORDs for requests with data, empty otherwise.
    pub payload: Vec<u32>,
}

/// DWORD-granular span of a byte range: (first DWORD address, DWORD count, first BE, last BE).
/// A zero-length range becomes the PCIe zero-length request: 1 DWORD, both byte enables 0.
pub fn dword_span(address: u64, len: u64) -> (u64, u16, u8, u8) {
    let dw_address = address & !3;
    if len == 0 {
        return (dw_address, 1, 0, 0);
    }
    let end = address + len; // exclusive
    let dw_count = (end - dw_address).div_ceil(4);
    let first_be = 0xfu8 << (address & 3);
    let last_be = 0xfu8 >> ((4 - (end & 3)) & 3);
    if dw_count == 1 {
        (dw_address, 1, first_be & last_be, 0)
    } else {
        (dw_address, dw_count as u16, first_be & 0xf, last_be)
    }
}

/// Byte count of a read request per the PCIe byte-count rules (first completion's Byte Count).
pub fn request_byte_count(dw_count: u16, first_be: u8, last_be: u8) -> u32 {
    if dw_count == 1 {
        if first_be == 0 {
            return 1;
        }
        let lo = first_be.trailing_zeros();
        let hi = 7 - first_be.leading_zeros(); // index of highest set bit in a u8
        return hi - lo + 1;
    }
    let lo = if first_be == 0 {
        0
    } else {
        first_be.trailing_zeros()
    };
    let hi_missing = if last_be == 0 {
        0
    } else {
        3 - (7 - last_be.leading_zeros())
    };
    u32::from(dw_count) * 4 - lo - hi_missing
}

/// Address of the first enabled byte (what a completion's Lower Address starts from).
pub fn first_byte_address(dw_address: u64, first_be: u8) -> u64 {
    if first_be == 0 {
        dw_address
    } else {
        dw_address + u64::from(first_be.trailing_zeros())
    }
}

/// One beat on a 256-bit AXI4-Stream interface.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Beat {
    pub data: [u32; 8],
    pub keep: u8,
    pub last: bool,
    pub user: [u32; 3],
}

impl Request {
    /// The 128-bit CQ descriptor as four little-endian DWORDs.
    pub fn cq_descriptor(&self) -> [u32; 4] {
        // AT = 00b (untranslated); 1024 DWORDs is 0 in the 11-bit count, as on the link.
        let mut d = CqDesc::default();
        d.set_address(self.dw_address >> 2)
            .set_dword_count(self.dw_count.into())
            .set_req_type(self.kind as u64)
            .set_requester_id(self.requester_id.into())
            .set_tag(self.tag.into())
            .set_bar_id(self.bar_id.into())
            .set_bar_aperture(self.bar_aperture.into())
            .set_tc(self.traffic_class.into())
            .set_attr(self.attr.into());
        d.0
    }

    /// Byte enables of payload DWORD `i`.
    fn payload_be(&self, i: usize) -> u8 {
        if i == 0 {
            self.first_be
        } else if i + 1 == usize::from(self.dw_count) {
            self.last_be
        } else {
            0xf
        }
    }

    /// The request as CQ beats: descriptor and first four payload DWORDs in beat 0, then eight
    /// payload DWORDs per beat. tuser carries first/last BE, per-byte enables and sop.
    pub fn cq_beats(&self) -> Vec<Beat> {
        let desc = self.cq_descriptor();
        let mut dws: Vec<(u32, u8)> = desc.iter().map(|&d| (d, 0u8)).collect();
        for (i, &d) in self.payload.iter().enumerate() {
            dws.push((d, self.payload_be(i)));
        }
        let mut beats = Vec::with_capacity(dws.len().div_ceil(8));
        for (n, chunk) in dws.chunks(8).enumerate() {
            let mut beat = Beat::default();
            let mut byte_en: u32 = 0;
            for (i, &(d, be)) in chunk.iter().enumerate() {
                beat.data[i] = d;
                beat.keep |= 1 << i;
                byte_en |= u32::from(be) << (4 * i);
            }
            // tuser: first_be[3:0], last_be[7:4], byte_en[39:8], sop[40].
            let user: u128 = u128::from(self.first_be & 0xf)
                | (u128::from(self.last_be & 0xf) << 4)
                | (u128::from(byte_en) << 8)
                | (u128::from(n == 0) << 40);
            beat.user = [user as u32, (user >> 32) as u32, (user >> 64) as u32];
            beats.push(beat);
        }
        if let Some(last) = beats.last_mut() {
            last.last = true;
        }
        beats
    }
}

/// Completion status field values.
pub const STATUS_SC: u8 = 0b000;
pub const STATUS_UR: u8 = 0b001;
pub const STATUS_CRS: u8 = 0b010;
pub const STATUS_CA: u8 = 0b100;

/// A CC descriptor, decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CcDescriptor {
    pub lower_address: u8,
    pub address_type: u8,
    pub byte_count: u16,
    pub locked: bool,
    pub dw_count: u16,
    pub status: u8,
    pub poisoned: bool,
    pub requester_id: u16,
    pub tag: u8,
    pub completer_id: u16,
    pub completer_id_enable: bool,
    pub traffic_class: u8,
    pub attr: u8,
    pub force_ecrc: bool,
}

impl CcDescriptor {
    pub fn decode(d: [u32; 3]) -> CcDescriptor {
        let d = CcDesc(d);
        CcDescriptor {
            lower_address: d.lower_address() as u8,
            address_type: d.addr_type() as u8,
            byte_count: d.byte_count() as u16,
            locked: d.locked_read() != 0,
            dw_count: d.dword_count() as u16,
            status: d.status() as u8,
            poisoned: d.poisoned() != 0,
            requester_id: d.requester_id() as u16,
            tag: d.tag() as u8,
            completer_id: d.completer_id() as u16,
            completer_id_enable: d.completer_id_enable() != 0,
            traffic_class: d.tc() as u8,
            attr: d.attr() as u8,
            force_ecrc: d.force_ecrc() != 0,
        }
    }
}

/// Reassembles CC beats into packets, checking the AXI4-Stream framing on the way.
#[derive(Default)]
pub struct CcAssembler {
    dws: Vec<u32>,
    beats: usize,
}

impl CcAssembler {
    /// Adds one accepted beat; returns the packet's DWORDs when `tlast` closes it.
    pub fn push(&mut self, beat: &Beat) -> Result<Option<Vec<u32>>, String> {
        let keep = beat.keep;
        if keep == 0 || (keep & keep.wrapping_add(1)) != 0 {
            return Err(format!(
                "CC beat {} has tkeep {keep:#04x}: valid DWORDs must be contiguous from DW0",
                self.beats
            ));
        }
        if !beat.last && keep != 0xff {
            return Err(format!(
                "CC beat {} is not the last of its packet but has tkeep {keep:#04x} (must be 0xff)",
                self.beats
            ));
        }
        let n = keep.count_ones() as usize;
        self.dws.extend_from_slice(&beat.data[..n]);
        self.beats += 1;
        if beat.last {
            self.beats = 0;
            return Ok(Some(std::mem::take(&mut self.dws)));
        }
        Ok(None)
    }
}

/// What a read is still owed by its completer.
#[derive(Clone, Debug)]
pub struct PendingRead {
    pub request: Request,
    /// Address of the next byte the completer owes.
    pub next_address: u64,
    /// Bytes still owed (the Byte Count the next completion must carry).
    pub remaining: u32,
    /// Bytes received so far, in address order.
    pub data: Vec<u8>,
    pub completions: u32,
}

/// How a read finished.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadOutcome {
    Data(Vec<u8>),
    /// The completer answered with an error status (UR, CA, ...).
    Status(u8),
}

/// Limits a completion is checked against.
#[derive(Clone, Copy, Debug)]
pub struct CompletionRules {
    /// Max Payload Size in bytes.
    pub max_payload: u32,
    /// Read Completion Boundary in bytes.
    pub rcb: u32,
}

impl PendingRead {
    pub fn new(request: Request) -> PendingRead {
        let remaining = if request.kind.is_memory_read() {
            request_byte_count(request.dw_count, request.first_be, request.last_be)
        } else {
            4
        };
        PendingRead {
            next_address: first_byte_address(request.dw_address, request.first_be),
            remaining,
            data: Vec::with_capacity(remaining as usize),
            completions: 0,
            request,
        }
    }

    fn zero_length(&self) -> bool {
        self.request.dw_count == 1 && self.request.first_be == 0
    }

    /// Checks one completion packet (DWORDs, descriptor first) for this read against the PCIe
    /// rules. `Ok(Some(outcome))` when the read is finished, `Ok(None)` when more is owed, and
    /// `Err(what was wrong)` for a malformed completion.
    pub fn accept(
        &mut self,
        packet: &[u32],
        rules: CompletionRules,
    ) -> Result<Option<ReadOutcome>, String> {
        if packet.len() < 3 {
            return Err(format!(
                "CC packet of {} DWORD(s) is shorter than its 3-DWORD descriptor",
                packet.len()
            ));
        }
        let d = CcDescriptor::decode([packet[0], packet[1], packet[2]]);
        let req = &self.request;
        let what = format!(
            "completion #{} for tag {:#04x} ({:?} of {} DW at {:#x})",
            self.completions, req.tag, req.kind, req.dw_count, req.dw_address
        );
        let mut errors = Vec::new();
        if d.requester_id != req.requester_id {
            errors.push(format!(
                "requester ID {:#06x}, request came from {:#06x}",
                d.requester_id, req.requester_id
            ));
        }
        if d.traffic_class != req.traffic_class || d.attr != req.attr {
            errors.push(format!(
                "TC/attr {}/{} differ from the request's {}/{}",
                d.traffic_class, d.attr, req.traffic_class, req.attr
            ));
        }
        if d.address_type != 0 {
            errors.push(format!("address type {} (request had 0)", d.address_type));
        }
        if d.poisoned {
            errors.push("poisoned bit set".to_string());
        }
        // A locked read is answered with a locked completion (CplLk/CplDLk), anything else not.
        let locked_request = req.kind == RequestType::LockedRead;
        if d.locked != locked_request {
            errors.push(format!(
                "locked-read completion bit is {} for a {:?} request",
                u8::from(d.locked),
                req.kind
            ));
        }
        let payload = &packet[3..];
        let outcome = if d.status == STATUS_SC {
            self.check_successful(&d, payload, rules, &mut errors)
        } else {
            self.check_error(&d, payload, &mut errors)
        };
        self.completions += 1;
        if errors.is_empty() {
            Ok(outcome)
        } else {
            Err(format!("{what}: {}", errors.join("; ")))
        }
    }

    fn check_successful(
        &mut self,
        d: &CcDescriptor,
        payload: &[u32],
        rules: CompletionRules,
        errors: &mut Vec<String>,
    ) -> Option<ReadOutcome> {
        if !self.request.kind.is_memory_read() {
            errors.push(format!(
                "successful completion for a {:?} request, which this endpoint must answer with UR",
                self.request.kind
            ));
            return None;
        }
        if usize::from(d.dw_count) != payload.len() {
            errors.push(format!(
                "DWORD count field says {} but the packet carries {} payload DWORD(s)",
                d.dw_count,
                payload.len()
            ));
            return None;
        }
        if d.dw_count == 0 {
            errors.push("successful completion with no data".to_string());
            return None;
        }
        if u32::from(d.dw_count) * 4 > rules.max_payload {
            errors.push(format!(
                "{} payload bytes exceed Max Payload Size {}",
                u32::from(d.dw_count) * 4,
                rules.max_payload
            ));
        }
        if u32::from(d.byte_count) != self.remaining {
            errors.push(format!(
                "byte count {} but {} byte(s) are still owed",
                d.byte_count, self.remaining
            ));
        }
        let expected_lower = (self.next_address & 0x7f) as u8;
        if d.lower_address != expected_lower {
            errors.push(format!(
                "lower address {:#04x} but the next byte owed is at {:#x} (lower address {:#04x})",
                d.lower_address, self.next_address, expected_lower
            ));
        }
        if !errors.is_empty() {
            return None;
        }
        let skew = (self.next_address & 3) as u32;
        let capacity = u32::from(d.dw_count) * 4 - skew;
        let zero_length = self.zero_length();
        let bytes = if zero_length {
            0
        } else {
            capacity.min(self.remaining)
        };
        let last = zero_length || bytes == self.remaining;
        // A completion that does not finish the read carries whole DWORDs up to an RCB boundary.
        let needed_dws = (skew + bytes.max(1)).div_ceil(4);
        if last && u32::from(d.dw_count) != needed_dws {
            errors.push(format!(
                "last completion carries {} DWORD(s) but the {} remaining byte(s) at {:#x} need {}",
                d.dw_count, self.remaining, self.next_address, needed_dws
            ));
            return None;
        }
        if !last {
            let end = self.next_address + u64::from(bytes);
            if end % u64::from(rules.rcb) != 0 {
                errors.push(format!(
                    "completion ends at {end:#x}, which is not on a {}-byte Read Completion Boundary although more completions follow",
                    rules.rcb
                ));
                return None;
            }
        }
        if !zero_length {
            let mut raw = Vec::with_capacity(payload.len() * 4);
            for dw in payload {
                raw.extend_from_slice(&dw.to_le_bytes());
            }
            self.data
                .extend_from_slice(&raw[skew as usize..(skew + bytes) as usize]);
        }
        self.next_address += u64::from(bytes);
        self.remaining -= if zero_length { 1 } else { bytes };
        if self.remaining == 0 {
            Some(ReadOutcome::Data(std::mem::take(&mut self.data)))
        } else {
            None
        }
    }

    fn check_error(
        &mut self,
        d: &CcDescriptor,
        payload: &[u32],
        errors: &mut Vec<String>,
    ) -> Option<ReadOutcome> {
        if d.status != STATUS_UR && d.status != STATUS_CA {
            errors.push(format!(
                "completion status {:#05b} is reserved or CRS",
                d.status
            ));
            return None;
        }
        if d.dw_count != 0 {
            errors.push(format!(
                "{} completion with DWORD count {} (must be 0: no data)",
                status_name(d.status),
                d.dw_count
            ));
        }
        // UR/CA from the user side: descriptor + one DWORD of CQ tuser + the request descriptor.
        if payload.len() != 5 {
            errors.push(format!(
                "{} completion is {} DWORDs long; the block expects 8 (3 descriptor, 1 byte enables, 4 request descriptor)",
                status_name(d.status),
                payload.len() + 3
            ));
            return None;
        }
        let be = u32::from(self.request.first_be) | (u32::from(self.request.last_be) << 4);
        if payload[0] != be {
            errors.push(format!(
                "byte-enable DWORD {:#010x}, request had {be:#010x}",
                payload[0]
            ));
        }
        let desc = self.request.cq_descriptor();
        if payload[1..5] != desc {
            errors.push(format!(
                "echoed request descriptor {:08x?} differs from the request's {desc:08x?}",
                &payload[1..5]
            ));
        }
        let expected_bc = if self.request.kind.is_memory_read() {
            self.remaining
        } else {
            4
        };
        if u32::from(d.byte_count) != expected_bc {
            errors.push(format!(
                "{} completion byte count {} (expected {expected_bc})",
                status_name(d.status),
                d.byte_count
            ));
        }
        Some(ReadOutcome::Status(d.status))
    }
}

pub fn status_name(status: u8) -> &'static str {
    match status {
        STATUS_SC => "SC",
        STATUS_UR => "UR",
        STATUS_CRS => "CRS",
        STATUS_CA => "CA",
        _ => "reserved",
    }
}

impl fmt::Display for RequestType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dword_span_matches_pcie_byte_enables() {
        assert_eq!(dword_span(0x100, 4), (0x100, 1, 0xf, 0));
        assert_eq!(dword_span(0x101, 1), (0x100, 1, 0x2, 0));
        assert_eq!(dword_span(0x101, 2), (0x100, 1, 0x6, 0));
        assert_eq!(dword_span(0x103, 2), (0x100, 2, 0x8, 0x1));
        assert_eq!(dword_span(0x102, 8), (0x100, 3, 0xc, 0x3));
        assert_eq!(dword_span(0x100, 0), (0x100, 1, 0, 0));
    }

    #[test]
    fn byte_count_rules() {
        assert_eq!(request_byte_count(1, 0, 0), 1);
        assert_eq!(request_byte_count(1, 0b1001, 0), 4);
        assert_eq!(request_byte_count(1, 0b0110, 0), 2);
        assert_eq!(request_byte_count(2, 0b1000, 0b0001), 2);
        assert_eq!(request_byte_count(3, 0b1100, 0b0011), 8);
        for addr in 0..8u64 {
            for len in 1..40u64 {
                let (_, n, f, l) = dword_span(addr, len);
                assert_eq!(u64::from(request_byte_count(n, f, l)), len, "{addr} {len}");
            }
        }
    }

    fn read_request(addr: u64, len: u64) -> Request {
        let (dw_address, dw_count, first_be, last_be) = dword_span(addr, len);
        Request {
            kind: RequestType::MemRead,
            bar_id: 2,
            bar_aperture: 20,
            dw_address,
            dw_count,
            first_be,
            last_be,
            requester_id: 0,
            tag: 7,
            traffic_class: 0,
            attr: 0,
            payload: Vec::new(),
        }
    }

    fn completion(lower: u64, bc: u32, dws: &[u32], tag: u8) -> Vec<u32> {
        let mut p = vec![
            (lower as u32 & 0x7f) | (bc << 16),
            dws.len() as u32,
            u32::from(tag),
        ];
        p.extend_from_slice(dws);
        p
    }

    const RULES: CompletionRules = CompletionRules {
        max_payload: 256,
        rcb: 64,
    };

    #[test]
    fn split_completion_accepted_and_reassembled() {
        let mut p = PendingRead::new(read_request(0x1002, 100));
        // First completion: 0x1002..0x1040 (62 bytes in 16 DWs), ends on RCB.
        let first: Vec<u32> = (0..16).collect();
        assert_eq!(
            p.accept(&completion(0x1002, 100, &first, 7), RULES),
            Ok(None)
        );
        let rest: Vec<u32> = (0..10).collect();
        let out = p
            .accept(&completion(0x1040, 38, &rest, 7), RULES)
            .expect("valid");
        match out {
            Some(ReadOutcome::Data(d)) => assert_eq!(d.len(), 100),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_completions_are_named() {
        let mut p = PendingRead::new(read_request(0x1000, 64));
        let dws: Vec<u32> = (0..16).collect();
        let err = p
            .accept(&completion(0x1000, 60, &dws, 7), RULES)
            .unwrap_err();
        assert!(err.contains("byte count 60"), "{err}");
        let mut p = PendingRead::new(read_request(0x1000, 64));
        let err = p
            .accept(&completion(0x1004, 64, &dws, 7), RULES)
            .unwrap_err();
        assert!(err.contains("lower address"), "{err}");
        let mut p = PendingRead::new(read_request(0x1000, 128));
        // Splitting at 0x1020 is not on a 64-byte RCB.
        let err = p
            .accept(&completion(0x1000, 128, &dws[..8], 7), RULES)
            .unwrap_err();
        assert!(err.contains("Read Completion Boundary"), "{err}");
        // One DWORD too many for the bytes owed.
        let mut p = PendingRead::new(read_request(0x1000, 64));
        let too_long: Vec<u32> = (0..17).collect();
        let err = p
            .accept(&completion(0x1000, 64, &too_long, 7), RULES)
            .unwrap_err();
        assert!(err.contains("need 16"), "{err}");
    }
}
