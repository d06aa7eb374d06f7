// SPDX-License-Identifier: MIT OR Apache-2.0
//! The completion side of the requester interface: read completions as they cross the link,
//! the block's Split Completion Table and the RC scheduler (PG213 "Requester Completion
//! Interface").

use std::collections::{BTreeMap, VecDeque};

use super::{RqRequest, SimRng};
use crate::tlp::{Beat, STATUS_SC};
use crate::xilinx_desc::RcDesc;

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
