// SPDX-License-Identifier: MIT OR Apache-2.0
//! The requester side of the block: the DMA engine's requests on RQ, the fabric serving them
//! (host memory, peer-to-peer, MSI-X), completions on RC, and the sideband.

use std::collections::{HashMap, VecDeque};
use std::ops::Range;

use crate::config_space::BAR0_SIZE_LOG2;
use crate::fabric::{DmaDirection, DmaFault, PeerBar, PeerId, Route};
use crate::requester::{
    RcDescriptor, RcPacket, RcScheduler, ReadAnswer, RqBeat, RqChecker, RqLimits, RqRequest, SimRng,
};
use crate::rtl::{RtlOutputs, BAR2_SIZE_LOG2};
use crate::tlp::{
    CcDescriptor, PendingRead, Request, RequestType, STATUS_CA, STATUS_SC, STATUS_UR,
};

use super::{
    rtl_dma_busy, Core, ReadFault, SimConfig, CREDIT_RETURN_CYCLES, ENDPOINT_ID, HOST_REQUESTER_ID,
    KICK_CYCLES, MSIX_SENT_CYCLES, NPH_CREDITS, SEQ_ECHO_CYCLES,
};

/// Cycles after the genuine completions that an injected duplicate arrives.
const DUPLICATE_DELAY: u64 = 200;

/// A peer-to-peer read the fabric forwarded to the endpoint's completer: which engine read it
/// answers.
#[derive(Clone, Debug)]
pub(super) struct P2pRead {
    pub(super) answer: ReadAnswer,
}

/// The requester side of the block: RQ in, RC out, sideband.
pub(super) struct DmaSide {
    pub(super) rq: RqChecker,
    /// Completions on their way to RC, and the block's Split Completion Table (the engine's
    /// reads the block still holds).
    pub(super) rc: RcScheduler,
    /// P2P tag (requester ENDPOINT_ID on CQ) -> the engine read it serves.
    pub(super) p2p: HashMap<u8, P2pRead>,
    pub(super) next_p2p_tag: u8,
    /// (cycle, seq_num) echoes still to drive on pcie_rq_seq_num*.
    pub(super) seq_echo: VecDeque<(u64, u8)>,
    /// Cycles at which used non-posted header credits return.
    pub(super) nph_used: VecDeque<u64>,
    /// `RtlOutputs.dma_busy` of the last cycle.
    pub(super) busy: bool,
    /// Last cycle with RQ or RC progress (or idle).
    pub(super) last_progress: u64,
    /// Clock at least until this cycle (doorbell grace period).
    pub(super) kick_until: u64,
    pub(super) rq_ready_percent: u8,
    pub(super) rc_valid_percent: u8,
    pub(super) rc_rng: SimRng,
    /// An RC beat was presented last cycle and not accepted: it must stay valid.
    pub(super) rc_stalled: bool,
    /// Injected faults: the next engine read of host memory overlapping the range gets it.
    pub(super) read_faults: Vec<(Range<u64>, ReadFault)>,
    pub(super) rq_rng: SimRng,
    pub(super) jitter_rng: SimRng,
    pub(super) split_rng: Option<SimRng>,
    pub(super) latency: u64,
    pub(super) reorder: bool,
    pub(super) hang_cycles: u64,
}

impl DmaSide {
    pub(super) fn new(config: &SimConfig) -> DmaSide {
        DmaSide {
            rq: RqChecker::default(),
            rc: RcScheduler::new(
                config.rc_reorder,
                config.seed,
                config.core_completion_timeout_cycles,
            ),
            p2p: HashMap::new(),
            next_p2p_tag: 0,
            seq_echo: VecDeque::new(),
            nph_used: VecDeque::new(),
            busy: false,
            last_progress: 0,
            kick_until: 0,
            rq_ready_percent: config.rq_ready_percent,
            rc_valid_percent: config.rc_valid_percent,
            rc_rng: SimRng::new(config.seed ^ 0x7263),
            rc_stalled: false,
            read_faults: Vec::new(),
            rq_rng: SimRng::new(config.seed ^ 0x7271),
            jitter_rng: SimRng::new(config.seed ^ 0x6a69),
            split_rng: config.rc_split_seed.map(SimRng::new),
            latency: u64::from(config.rc_latency_cycles),
            reorder: config.rc_reorder,
            hang_cycles: config.dma_hang_cycles,
        }
    }

    /// The injected fault for a read of `len` bytes at `addr`, if one was armed for it.
    pub(super) fn take_read_fault(&mut self, addr: u64, len: u64) -> Option<ReadFault> {
        let hit = self
            .read_faults
            .iter()
            .position(|(r, _)| addr < r.end && r.start < addr + len)?;
        Some(self.read_faults.remove(hit).1)
    }

    /// Drops everything in flight (reset).
    pub(super) fn clear(&mut self) {
        self.rq = RqChecker::default();
        self.rc.clear();
        self.p2p.clear();
        self.seq_echo.clear();
        self.nph_used.clear();
        self.rc_stalled = false;
        self.busy = false;
        self.kick_until = 0;
    }

    /// Anything in flight on the requester side.
    pub(super) fn in_flight(&self) -> bool {
        self.rq.in_packet()
            || !self.rc.table().is_empty()
            || !self.rc.is_empty()
            || !self.p2p.is_empty()
            || !self.seq_echo.is_empty()
    }
}

/// MSI-X as the host set it up.
pub(super) struct Msix {
    /// (message address, data) of each enabled vector, index = vector.
    pub(super) table: Vec<(u64, u32)>,
    pub(super) sender: Option<crossbeam_channel::Sender<u16>>,
    /// `cfg_interrupt_msix_int` of the last cycle (an interrupt is its rising edge).
    pub(super) int_prev: bool,
    /// (cycle, sent) answers still to pulse on `cfg_interrupt_msix_sent`/`fail`.
    pub(super) answers: VecDeque<(u64, bool)>,
    /// Fault injection: messages still to lose, then a seeded share of the rest.
    pub(super) lose_next: u64,
    pub(super) loss_percent: u8,
    pub(super) loss_rng: SimRng,
}

impl Default for Msix {
    fn default() -> Msix {
        Msix {
            table: Vec::new(),
            sender: None,
            int_prev: false,
            answers: VecDeque::new(),
            lose_next: 0,
            loss_percent: 0,
            loss_rng: SimRng::new(0),
        }
    }
}

/// The requester side: the DMA engine's requests on RQ, the fabric serving them, completions
/// on RC, and the sideband (credits, sequence numbers, MSI-X).
impl Core {
    /// Keeps the model clocking for a while (after a possible doorbell or MSI-X enable).
    pub(super) fn kick(&mut self) {
        self.dma.kick_until = self.dma.kick_until.max(self.stats.cycles + KICK_CYCLES);
    }

    /// True while the background thread should clock.
    pub(super) fn wants_clock(&self) -> bool {
        self.failure.is_none()
            && (self.dma.busy
                || self.dma.in_flight()
                || !self.msix.answers.is_empty()
                || self.stats.cycles < self.dma.kick_until
                || self.nvme_busy())
    }

    pub(super) fn dma_summary(&self) -> String {
        format!(
            "engine busy {}, {} RQ read(s) outstanding [{}], {} completion(s) queued for RC, {} P2P read(s) at the completer, RQ packet half received: {}",
            self.dma.busy,
            self.dma.rc.table().len(),
            {
                let mut t: Vec<String> = self
                    .dma
                    .rc
                    .table()
                    .entries()
                    .map(|(_, e)| e.request.describe())
                    .collect();
                t.sort_unstable();
                t.join(", ")
            },
            self.dma.rc.len(),
            self.dma.p2p.len(),
            self.dma.rq.in_packet()
        )
    }

    /// Inputs of the requester side for this cycle.
    pub(super) fn drive_requester_side(&mut self, now: u64) {
        let dma = &mut self.dma;
        self.inputs.rq_tready = u8::from(dma.rq_rng.percent(dma.rq_ready_percent));
        if let Some(capture) = &mut self.rc_capture {
            while let Some(beat) = dma.rc.head(now) {
                capture.push(beat.clone());
                dma.rc.accept();
            }
        }
        let rc_gap = !dma.rc_stalled && !dma.rc_rng.percent(dma.rc_valid_percent);
        match dma.rc.head(now).filter(|_| !rc_gap) {
            Some(beat) => {
                self.inputs.rc_tdata = beat.data;
                self.inputs.rc_tkeep = beat.keep;
                self.inputs.rc_tlast = u8::from(beat.last);
                self.inputs.rc_tuser = beat.user;
                self.inputs.rc_tvalid = 1;
            }
            None => {
                self.inputs.rc_tvalid = 0;
                self.inputs.rc_tkeep = 0;
                self.inputs.rc_tlast = 0;
                self.inputs.rc_tuser = [0; 3];
            }
        }
        // Sequence-number echoes: up to two per cycle.
        self.inputs.rq_seq_num_vld0 = 0;
        self.inputs.rq_seq_num_vld1 = 0;
        if dma.seq_echo.front().is_some_and(|e| e.0 <= now) {
            let (_, s) = dma.seq_echo.pop_front().expect("echo");
            self.inputs.rq_seq_num0 = s;
            self.inputs.rq_seq_num_vld0 = 1;
            if dma.seq_echo.front().is_some_and(|e| e.0 <= now) {
                let (_, s) = dma.seq_echo.pop_front().expect("echo");
                self.inputs.rq_seq_num1 = s;
                self.inputs.rq_seq_num_vld1 = 1;
            }
        }
        // Flow-control credits (4-bit fields saturate at 15).
        while dma.nph_used.front().is_some_and(|&t| t <= now) {
            dma.nph_used.pop_front();
        }
        let nph = NPH_CREDITS.saturating_sub(dma.nph_used.len()).min(15);
        self.inputs.tfc_nph_av = nph as u8;
        self.inputs.tfc_npd_av = 15;
        // MSI-X answers (one-cycle pulses).
        self.inputs.msix_sent = 0;
        self.inputs.msix_fail = 0;
        if self.msix.answers.front().is_some_and(|a| a.0 <= now) {
            let (_, sent) = self.msix.answers.pop_front().expect("answer");
            self.inputs.msix_sent = u8::from(sent);
            self.inputs.msix_fail = u8::from(!sent);
        }
    }

    /// Handshakes and outputs of the requester side after a cycle.
    pub(super) fn sample_requester_side(&mut self, now: u64, out: &RtlOutputs) {
        if out.rq_tvalid == 1 && self.inputs.rq_tready == 1 {
            self.dma.last_progress = now;
            self.kick();
            let beat = RqBeat {
                data: out.rq_tdata,
                keep: out.rq_tkeep,
                last: out.rq_tlast == 1,
                user: out.rq_tuser,
            };
            self.accept_rq_beat(now, &beat);
        }
        self.dma.rc_stalled = self.inputs.rc_tvalid == 1 && out.rc_tready & 1 == 0;
        if self.inputs.rc_tvalid == 1 && out.rc_tready & 1 == 1 {
            self.dma.last_progress = now;
            self.kick();
            if self.inputs.rc_tlast == 1 {
                self.stats.rc_completions += 1;
            }
            self.dma.rc.accept();
        }
        self.sample_msix_interface(now, out);
        self.dma.busy = rtl_dma_busy(out);
        let active = self.dma.busy || self.dma.in_flight();
        if active {
            self.stats.dma_active_cycles += 1;
        }
        if !active {
            self.dma.last_progress = now;
        } else if now - self.dma.last_progress > self.dma.hang_cycles && self.failure.is_none() {
            let why = format!(
                "DMA: no RQ or RC progress for {} cycles ({})",
                self.dma.hang_cycles,
                self.dma_summary()
            );
            self.fail(why);
        }
    }

    pub(super) fn rq_limits(&self) -> RqLimits {
        RqLimits {
            max_payload: u32::from(self.config.max_payload()),
            max_read_req: u32::from(self.config.max_read_request()),
            bus_master: self.config.bus_master(),
            extended_tags: self.config.extended_tags(),
        }
    }

    /// Feeds one RQ beat to the checker (RQ handshake happened) and serves a complete request.
    pub(super) fn accept_rq_beat(&mut self, now: u64, beat: &RqBeat) {
        let limits = self.rq_limits();
        let DmaSide { rq, rc, .. } = &mut self.dma;
        match rq.push(beat, limits, |t| rc.table().holds(t)) {
            Ok(Some(req)) => {
                self.stats.rq_requests += 1;
                self.dma
                    .seq_echo
                    .push_back((now + SEQ_ECHO_CYCLES, req.seq_num));
                self.dispatch(now, req);
            }
            Ok(None) => {}
            Err(why) => self.fail(why),
        }
    }

    /// Where the endpoint's own BARs are on the fabric (config space may have moved them).
    /// A BAR at address 0 is taken as unassigned and decodes nothing, as Linux treats it: after
    /// a reset, or when a vfio-user client such as QEMU keeps the BAR addresses to itself, the
    /// registers read 0, and the engine's reads of low IOVAs (a guest's first DMA buffers) must
    /// reach host memory, not the endpoint's own BAR0.
    pub(super) fn refresh_peer_bars(&mut self) {
        let bars = if self.config.memory_enabled() {
            [
                PeerBar {
                    device: PeerId::Endpoint,
                    bar: 0,
                    base: self.config.bar0_base(),
                    size_log2: BAR0_SIZE_LOG2,
                },
                PeerBar {
                    device: PeerId::Endpoint,
                    bar: 2,
                    base: self.config.bar2_base(),
                    size_log2: BAR2_SIZE_LOG2,
                },
            ]
            .into_iter()
            .filter(|bar| bar.base != 0)
            .collect()
        } else {
            Vec::new()
        };
        self.fabric.set_peer_bars(PeerId::Endpoint, &bars);
    }

    /// Serves one checked request of the engine.
    pub(super) fn dispatch(&mut self, now: u64, req: RqRequest) {
        let requester_id = req.requester_id.unwrap_or(ENDPOINT_ID);
        self.refresh_peer_bars();
        let route = self.fabric.route(req.dw_address);
        if req.kind == RequestType::MemRead {
            self.dma.rc.issue(&req, now);
            self.dma.nph_used.push_back(now + CREDIT_RETURN_CYCLES);
        }
        match (req.kind, route) {
            (RequestType::MemWrite, Route::Memory) => {
                // A fault is recorded by the fabric; the write is dropped.
                let _ = self.fabric.write(&req.write_runs(), requester_id);
            }
            (RequestType::MemWrite, Route::Msi) => self.msi_write(&req),
            (_, Route::Peer { bar, .. }) => self.p2p_request(&req, bar, requester_id),
            (_, Route::Memory) => {
                let answer = ReadAnswer::for_request(&req, requester_id, HOST_REQUESTER_ID);
                let len = if answer.zero_length {
                    0
                } else {
                    u64::from(answer.byte_count)
                };
                let fault = self.dma.take_read_fault(answer.first_byte, len.max(1));
                let mut packets = match fault {
                    Some(ReadFault::UnsupportedRequest) => vec![answer.error(STATUS_UR)],
                    Some(ReadFault::CompleterAbort) => vec![answer.error(STATUS_CA)],
                    Some(ReadFault::Dropped) => {
                        // Lost on the link: the engine times the read out, and the block keeps
                        // the tag until its own completion timeout reports the read on RC.
                        return;
                    }
                    Some(ReadFault::Poisoned | ReadFault::Duplicated | ReadFault::Late { .. })
                    | None => {
                        match self
                            .fabric
                            .read(answer.first_byte, len, requester_id, req.tag)
                        {
                            Ok(data) => answer.split(
                                &data,
                                u32::from(self.config.max_payload()),
                                u32::from(self.config.rcb()),
                                self.dma.split_rng.as_mut(),
                            ),
                            Err(_) => vec![answer.error(STATUS_UR)],
                        }
                    }
                };
                if fault == Some(ReadFault::Poisoned) {
                    for p in &mut packets {
                        p.desc.poisoned = true;
                    }
                }
                // Copies on the link: the Split Completion Table matches them to whatever read
                // holds the tag when they arrive.
                let copies = if fault == Some(ReadFault::Duplicated) {
                    packets.clone()
                } else {
                    Vec::new()
                };
                let jitter = if self.dma.reorder && self.dma.latency >= 2 {
                    self.dma.jitter_rng.below(self.dma.latency / 2)
                } else {
                    0
                };
                let delay = match fault {
                    Some(ReadFault::Late { cycles }) => cycles,
                    _ => 0,
                };
                let ready = now + self.dma.latency + jitter + delay;
                self.dma.rc.push(req.tag, ready, packets);
                if !copies.is_empty() {
                    // Queued behind the genuine completions of the same tag.
                    self.dma.rc.push(req.tag, ready + DUPLICATE_DELAY, copies);
                }
            }
            (_, Route::Msi) => {
                self.fabric.record_fault(DmaFault {
                    address: req.first_byte(),
                    len: u64::from(req.byte_count()),
                    direction: DmaDirection::Read,
                    requester_id,
                    tag: Some(req.tag),
                    reason: "read of the MSI window",
                });
                let answer = ReadAnswer::for_request(&req, requester_id, HOST_REQUESTER_ID);
                self.dma.rc.push(
                    req.tag,
                    now + self.dma.latency,
                    vec![answer.error(STATUS_UR)],
                );
            }
        }
    }

    /// Delivers an engine request that targets a BAR on the fabric to that device.
    pub(super) fn p2p_request(&mut self, req: &RqRequest, bar: PeerBar, requester_id: u16) {
        self.stats.p2p_requests += 1;
        match bar.device {
            PeerId::Nvme => self.nvme_p2p_request(req, bar, requester_id),
            PeerId::Endpoint => {
                // The endpoint's own completer, through CQ, with the fabric's tag space.
                let tag = loop {
                    let t = self.dma.next_p2p_tag;
                    self.dma.next_p2p_tag = t.wrapping_add(1);
                    if !self.pending.contains_key(&(ENDPOINT_ID, t)) {
                        break t;
                    }
                };
                let request = Request {
                    kind: req.kind,
                    bar_id: bar.bar,
                    bar_aperture: bar.size_log2 as u8,
                    dw_address: req.dw_address,
                    dw_count: req.dw_count,
                    first_be: req.first_be,
                    last_be: req.last_be,
                    requester_id: ENDPOINT_ID,
                    tag,
                    traffic_class: req.traffic_class,
                    attr: req.attr,
                    payload: req.payload.clone(),
                };
                self.push_cq(&request);
                if req.kind == RequestType::MemRead {
                    self.pending
                        .insert((ENDPOINT_ID, tag), PendingRead::new(request));
                    self.dma.p2p.insert(
                        tag,
                        P2pRead {
                            answer: ReadAnswer::for_request(req, requester_id, ENDPOINT_ID),
                        },
                    );
                }
            }
        }
    }

    /// Turns one (already checked) CC completion of a P2P read into an RC completion of the
    /// engine read it serves, with the engine's tag.
    pub(super) fn forward_p2p_completion(
        &mut self,
        d: &CcDescriptor,
        next_address: u64,
        payload: &[u32],
        done: bool,
    ) {
        let Some(p2p) = self.dma.p2p.get(&d.tag) else {
            return;
        };
        let answer = p2p.answer.clone();
        if done {
            self.dma.p2p.remove(&d.tag);
        }
        let packet = if d.status == STATUS_SC {
            let skew = (next_address & 3) as u32;
            let bytes = if answer.zero_length {
                0
            } else {
                (u32::from(d.dw_count) * 4 - skew).min(u32::from(d.byte_count))
            };
            let desc = RcDescriptor {
                lower_address: (next_address & 0x7f) as u16,
                byte_count: d.byte_count,
                dw_count: d.dw_count,
                status: STATUS_SC,
                tag: answer.tag,
                requester_id: answer.requester_id,
                completer_id: answer.completer_id,
                traffic_class: answer.traffic_class,
                attr: answer.attr,
                ..RcDescriptor::default()
            };
            RcPacket::data(desc, payload.to_vec(), next_address, bytes)
        } else {
            let mut p = answer.error(d.status);
            p.desc.byte_count = d.byte_count;
            p
        };
        let now = self.stats.cycles;
        self.dma.rc.push(answer.tag, now, vec![packet]);
    }

    /// A MemWr into the MSI window: must be a well-formed message matching an enabled vector.
    pub(super) fn msi_write(&mut self, req: &RqRequest) {
        let what = format!("MSI-X write ({})", req.describe());
        if req.dw_count != 1 || req.first_be != 0xf || req.last_be != 0 {
            return self.fail(format!(
                "{what}: an MSI-X message is one DWORD with all bytes enabled (first_be {:#x}, last_be {:#x})",
                req.first_be, req.last_be
            ));
        }
        let data = req.payload.first().copied().unwrap_or(0);
        self.deliver_msix(&what, req.dw_address, data);
    }

    pub(super) fn deliver_msix(&mut self, what: &str, address: u64, data: u32) -> bool {
        if !self.config.msix_enabled() {
            self.fail(format!(
                "{what}: MSI-X is disabled in config space (Message Control bit 15)"
            ));
            return false;
        }
        if self.config.msix_function_masked() {
            self.fail(format!(
                "{what}: MSI-X Function Mask is set; the message must be held pending"
            ));
            return false;
        }
        let Some(vector) = self
            .msix
            .table
            .iter()
            .position(|&(a, d)| a == address && d == data)
        else {
            self.fail(format!(
                "{what}: address {address:#x} / data {data:#x} match no enabled MSI-X table entry {:x?}",
                self.msix.table
            ));
            return false;
        };
        let msix = &mut self.msix;
        let lost = if msix.lose_next > 0 {
            msix.lose_next -= 1;
            true
        } else {
            msix.loss_percent > 0 && msix.loss_rng.percent(msix.loss_percent)
        };
        if lost {
            // Fault injection: the message was sent and accepted, and the host never sees it.
            self.stats.interrupts_lost += 1;
            return true;
        }
        self.stats.interrupts += 1;
        if let Some(tx) = &self.msix.sender {
            // The receiver may be gone; the interrupt is then lost, as on hardware.
            let _ = tx.send(vector as u16);
        }
        true
    }

    /// The block's `cfg_interrupt_msix_*` interface (the RTL may signal interrupts this way
    /// instead of a MemWr): an interrupt is a rising edge of `msix_int`, answered with a
    /// `sent` pulse (or `fail` when MSI-X is disabled or masked) two cycles later.
    pub(super) fn sample_msix_interface(&mut self, now: u64, out: &RtlOutputs) {
        let int = out.msix_int & 1 == 1;
        let rising = int && !self.msix.int_prev;
        self.msix.int_prev = int;
        if !rising {
            return;
        }
        let deliverable = self.config.msix_enabled() && !self.config.msix_function_masked();
        if deliverable {
            let what = "cfg_interrupt_msix_int".to_string();
            self.deliver_msix(&what, out.msix_address, out.msix_data);
        }
        self.msix
            .answers
            .push_back((now + MSIX_SENT_CYCLES, deliverable));
    }
}
