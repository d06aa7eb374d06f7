// SPDX-License-Identifier: MIT OR Apache-2.0
//! The clocked model's construction, resets and clock, and the completer side of the block:
//! MMIO requests on CQ, the RTL's completions on CC.

use std::collections::{HashMap, VecDeque};

use peerbar::{BarIndex, BarOffset};

use crate::config_space::{ConfigSpace, BAR0_SIZE_LOG2};
use crate::fabric::Fabric;
use crate::requester::SimRng;
use crate::rtl::{Rtl, RtlInputs, RtlOutputs, BAR2_SIZE_LOG2, LED_RESET_HELD};
use crate::tlp::{
    dword_span, Beat, CcAssembler, CcDescriptor, CompletionRules, PendingRead, ReadOutcome,
    Request, RequestType,
};
use crate::SimError;

use super::{
    nvme_peer, payload_lanes, Core, DmaSide, Msix, ReadError, SimConfig, SimStats, ENDPOINT_ID,
    FLR_DONE_LIMIT_CYCLES, HANG_CYCLES, HOST_REQUESTER_ID, READ_WINDOW, RESET_CYCLES,
    RESET_RELEASE_LIMIT_CYCLES,
};

impl Core {
    pub(super) fn new(config: &SimConfig) -> std::result::Result<Core, SimError> {
        let pow2 = |v: u16| v.is_power_of_two();
        if !(128..=1024).contains(&config.max_payload) || !pow2(config.max_payload) {
            return Err(SimError::InvalidConfig(format!(
                "max payload size {} must be 128, 256, 512 or 1024 bytes",
                config.max_payload
            )));
        }
        if !(128..=4096).contains(&config.max_read_req) || !pow2(config.max_read_req) {
            return Err(SimError::InvalidConfig(format!(
                "max read request size {} must be a power of two from 128 to 4096 bytes",
                config.max_read_req
            )));
        }
        if config.rcb != 64 && config.rcb != 128 {
            return Err(SimError::InvalidConfig(format!(
                "read completion boundary {} must be 64 or 128 bytes",
                config.rcb
            )));
        }
        if config.cc_ready_percent == 0 || config.cc_ready_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "cc_ready_percent {} must be 1..=100",
                config.cc_ready_percent
            )));
        }
        if config.rq_ready_percent == 0 || config.rq_ready_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "rq_ready_percent {} must be 1..=100",
                config.rq_ready_percent
            )));
        }
        for (name, v) in [
            ("cq_valid_percent", config.cq_valid_percent),
            ("rc_valid_percent", config.rc_valid_percent),
        ] {
            if v == 0 || v > 100 {
                return Err(SimError::InvalidConfig(format!(
                    "{name} {v} must be 1..=100"
                )));
            }
        }
        if config.msix_loss_percent > 100 {
            return Err(SimError::InvalidConfig(format!(
                "msix_loss_percent {} must be 0..=100",
                config.msix_loss_percent
            )));
        }
        let rtl = Rtl::new(config.trace.as_deref())?;
        let mut core = Core {
            rtl,
            inputs: RtlInputs::default(),
            config: ConfigSpace::new(
                BAR2_SIZE_LOG2,
                config.max_payload,
                config.max_read_req,
                config.rcb,
            ),
            cq_queue: VecDeque::new(),
            cq_pushed: 0,
            cq_accepted: 0,
            cc: CcAssembler::default(),
            pending: HashMap::new(),
            finished: HashMap::new(),
            next_tag: 0,
            stats: SimStats::default(),
            failure: None,
            cc_ready_percent: config.cc_ready_percent,
            rng: 0x9e37_79b9_7f4a_7c15,
            cq_valid_percent: config.cq_valid_percent,
            cq_rng: SimRng::new(config.seed ^ 0x6371),
            cq_stalled: false,
            last_progress: 0,
            fabric: Fabric::default(),
            dma: DmaSide::new(config),
            msix: Msix {
                loss_percent: config.msix_loss_percent,
                loss_rng: SimRng::new(config.seed ^ 0x6d73),
                ..Msix::default()
            },
            stop: false,
            rc_capture: None,
            nvme: None,
            leds: 0,
        };
        core.power_on_reset();
        core.refresh_peer_bars();
        Ok(core)
    }

    /// Start-up as on a board: PERST# (the block's `sys_reset`) is held while power and the
    /// reference clock settle, then released; the block keeps `user_reset` high until it is
    /// out of reset itself and then brings the link up (PG213, Designing with the Core, Resets:
    /// `sys_reset` is the block's fundamental reset, `user_reset` is deasserted synchronously
    /// to `user_clk` after it). The model drives both: `user_reset` stays high RESET_CYCLES
    /// after PERST#.
    pub(super) fn power_on_reset(&mut self) {
        self.drop_in_flight();
        self.inputs.pcie_perst_n = 0;
        self.inputs.user_reset = 1;
        self.inputs.user_lnk_up = 0;
        for _ in 0..RESET_CYCLES {
            self.clock();
        }
        self.inputs.pcie_perst_n = 1;
        for _ in 0..RESET_CYCLES {
            self.clock();
        }
        self.inputs.user_reset = 0;
        self.inputs.user_lnk_up = 1;
        self.wait_reset_release("user_reset");
    }

    /// After the block released the user logic, the wrapper's reset must end (its reset-held
    /// LED goes off) within RESET_RELEASE_LIMIT_CYCLES; otherwise a rule failure.
    pub(super) fn wait_reset_release(&mut self, released: &str) {
        for _ in 0..RESET_RELEASE_LIMIT_CYCLES {
            if self.clock().led & LED_RESET_HELD == 0 {
                return;
            }
        }
        self.fail(format!(
            "the board wrapper still holds the user logic in reset {RESET_RELEASE_LIMIT_CYCLES} \
             cycles after the block released {released} (reset-held LED on)"
        ));
    }

    /// Forgets everything in flight on the block's four interfaces (a reset of the function).
    pub(super) fn drop_in_flight(&mut self) {
        self.cq_accepted += self.cq_queue.len() as u64;
        self.cq_queue.clear();
        self.cc = CcAssembler::default();
        self.pending.clear();
        self.finished.clear();
        self.nvme_endpoint_reset();
        self.dma.clear();
        self.msix.answers.clear();
        self.msix.int_prev = false;
        self.inputs.rc_tvalid = 0;
        self.cq_stalled = false;
    }

    /// Function-level reset, as the UltraScale+ block performs one for function 0: config space
    /// goes back to what the function owns at reset ([`ConfigSpace::function_level_reset`]); the
    /// block raises `cfg_flr_in_process[0]` and holds it until the user side answers
    /// `cfg_flr_done[0]`, then drops it (PG213, Configuration Control Interface Port Descriptions:
    /// `cfg_flr_in_process`, `cfg_flr_done`). The board wrapper resets the user logic while
    /// the FLR is in process and answers after its hold time; no answer within
    /// FLR_DONE_LIMIT_CYCLES is a rule failure. Every request and completion in flight on
    /// the block's four interfaces is dropped: completions of reads the function issued
    /// before the FLR never reach the new RTL (the block discards them as unexpected), and a
    /// host MMIO read the FLR cut short would complete with an error on the host side (none
    /// can be in flight here: the FLR is a config write, which holds the simulation lock).
    pub(super) fn function_level_reset(&mut self) {
        self.config.function_level_reset();
        self.stats.function_resets += 1;
        self.drop_in_flight();
        self.inputs.cfg_flr_in_process = 1;
        let raised_at = self.stats.cycles;
        let mut answered = false;
        while self.stats.cycles - raised_at < FLR_DONE_LIMIT_CYCLES {
            if self.clock().cfg_flr_done & 1 == 1 {
                answered = true;
                break;
            }
        }
        self.inputs.cfg_flr_in_process = 0;
        if answered {
            // The answer came in the cycle just clocked: counted from the first FLR cycle.
            self.stats.flr_done_cycles = self.stats.cycles - raised_at;
            self.wait_reset_release("cfg_flr_in_process[0]");
        } else {
            self.fail(format!(
                "the user logic did not answer function 0's FLR: no cfg_flr_done[0] within \
                 {FLR_DONE_LIMIT_CYCLES} cycles of cfg_flr_in_process[0]"
            ));
        }
        self.refresh_peer_bars();
    }

    /// One clock cycle: drive the CQ beat at the head of the queue and the RC beat at the head
    /// of the completion schedule, accept CC and RQ beats, and serve the sideband (credits,
    /// sequence numbers, MSI-X).
    pub(super) fn clock(&mut self) -> RtlOutputs {
        let now = self.stats.cycles;
        let cfg = &self.config;
        self.inputs.cfg_max_payload = cfg.cfg_max_payload();
        self.inputs.cfg_max_read_req = cfg.cfg_max_read_req();
        // cfg_function_status, function 0: bit 1 memory space enable, bit 2 bus master enable.
        let memory = if cfg.memory_enabled() { 1 << 1 } else { 0 };
        let master = if cfg.bus_master() { 1 << 2 } else { 0 };
        self.inputs.cfg_function_status = memory | master;
        self.inputs.cfg_rcb_status = u8::from(cfg.rcb() == 128);
        self.inputs.msix_enable = u8::from(cfg.msix_enabled());
        self.inputs.msix_mask = u8::from(cfg.msix_function_masked());
        self.drive_requester_side(now);
        // Idle cycles before a beat (never while one is presented: AXI4-Stream keeps tvalid
        // up until the handshake).
        let cq_gap = !self.cq_stalled
            && !self.cq_queue.is_empty()
            && !self.cq_rng.percent(self.cq_valid_percent);
        match self.cq_queue.front().filter(|_| !cq_gap) {
            Some(beat) => {
                self.inputs.cq_tdata = beat.data;
                self.inputs.cq_tkeep = beat.keep;
                self.inputs.cq_tlast = u8::from(beat.last);
                self.inputs.cq_tuser = beat.user;
                self.inputs.cq_tvalid = 1;
            }
            None => {
                self.inputs.cq_tvalid = 0;
                self.inputs.cq_tkeep = 0;
                self.inputs.cq_tlast = 0;
            }
        }
        self.inputs.cc_tready = u8::from(self.cc_ready_this_cycle());
        if self.inputs.user_reset == 1 || self.inputs.cfg_flr_in_process & 1 == 1 {
            // The block's interfaces are idle while the user logic is in reset: whatever the
            // RTL drives in the reset cycles is not taken (a half-sent request at an FLR is
            // lost with the rest).
            self.inputs.cq_tvalid = 0;
            self.inputs.rc_tvalid = 0;
            self.inputs.cc_tready = 0;
            self.inputs.rq_tready = 0;
        }
        let out = self.rtl.cycle(&self.inputs);
        self.stats.cycles += 1;
        self.leds = out.led;
        self.cq_stalled = self.inputs.cq_tvalid == 1 && out.cq_tready & 1 == 0;
        if self.inputs.cq_tvalid == 1 && out.cq_tready & 1 == 1 {
            self.cq_accepted += 1;
            if self.cq_queue.pop_front().is_some_and(|b| b.last) {
                self.stats.requests += 1;
            }
            self.last_progress = self.stats.cycles;
        }
        if out.cc_tvalid == 1 && self.inputs.cc_tready == 1 {
            self.last_progress = self.stats.cycles;
            let beat = Beat {
                data: out.cc_tdata,
                keep: out.cc_tkeep,
                last: out.cc_tlast == 1,
                user: [0; 3],
            };
            if let Err(why) = self.accept_cc_beat(&beat) {
                self.fail(why);
            }
        }
        self.sample_requester_side(now, &out);
        self.tick_nvme(now);
        out
    }

    pub(super) fn cc_ready_this_cycle(&mut self) -> bool {
        if self.cc_ready_percent >= 100 {
            return true;
        }
        // xorshift64: deterministic back-pressure pattern.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % 100) < u64::from(self.cc_ready_percent)
    }

    pub(super) fn accept_cc_beat(&mut self, beat: &Beat) -> std::result::Result<(), String> {
        let Some(packet) = self.cc.push(beat)? else {
            return Ok(());
        };
        self.stats.completions += 1;
        if packet.len() < 3 {
            return Err(format!(
                "CC packet of {} DWORD(s) has no descriptor",
                packet.len()
            ));
        }
        let d = CcDescriptor::decode([packet[0], packet[1], packet[2]]);
        let key = (d.requester_id, d.tag);
        let Some(pending) = self.pending.get_mut(&key) else {
            return Err(format!(
                "completion with requester ID {:#06x} and tag {:#04x} matches no outstanding read (descriptor {d:?})",
                d.requester_id, d.tag
            ));
        };
        let rules = CompletionRules {
            max_payload: u32::from(self.config.max_payload()),
            rcb: u32::from(self.config.rcb()),
        };
        let next_address = pending.next_address;
        let outcome = pending.accept(&packet, rules)?;
        let done = outcome.is_some();
        if done {
            self.pending.remove(&key);
        }
        if key.0 == ENDPOINT_ID {
            self.forward_p2p_completion(&d, next_address, &packet[3..], done);
        } else if key.0 == nvme_peer::NVME_ID {
            if let Some(outcome) = outcome {
                self.nvme_read_done(d.tag, outcome);
            }
        } else if let Some(outcome) = outcome {
            self.finished.insert(d.tag, outcome);
        }
        Ok(())
    }

    pub(super) fn fail(&mut self, why: String) {
        log::error!("simulated PCIe block: {why}");
        if self.failure.is_none() {
            self.failure = Some(why);
        }
    }

    /// Clocks until `done` holds, the model records a failure, or nothing moves for too long.
    pub(super) fn run_until(
        &mut self,
        what: &str,
        mut done: impl FnMut(&Core) -> bool,
    ) -> std::result::Result<(), SimError> {
        self.last_progress = self.stats.cycles;
        loop {
            if let Some(why) = &self.failure {
                return Err(SimError::ProtocolViolation(why.clone()));
            }
            if done(self) {
                return Ok(());
            }
            if self.stats.cycles - self.last_progress > HANG_CYCLES {
                let why = format!(
                    "{what}: no CQ or CC progress for {HANG_CYCLES} cycles ({} beat(s) not accepted, {} read(s) unanswered)",
                    self.cq_queue.len(),
                    self.pending.len()
                );
                self.fail(why.clone());
                return Err(SimError::Hang(why));
            }
            self.clock();
        }
    }

    /// Queues a request's beats for the CQ interface; returns the `cq_accepted` value at which
    /// all of them have been accepted.
    pub(super) fn push_cq(&mut self, request: &Request) -> u64 {
        let beats = request.cq_beats();
        self.cq_pushed += beats.len() as u64;
        self.cq_queue.extend(beats);
        self.cq_pushed
    }

    pub(super) fn alloc_tag(&mut self) -> u8 {
        loop {
            let tag = self.next_tag;
            self.next_tag = self.next_tag.wrapping_add(1);
            if !self.pending.contains_key(&(HOST_REQUESTER_ID, tag))
                && !self.finished.contains_key(&tag)
            {
                return tag;
            }
        }
    }

    pub(super) fn bar_base(&self, bar: BarIndex) -> (u64, u8) {
        if bar == BarIndex::BAR0 {
            (self.config.bar0_base(), BAR0_SIZE_LOG2 as u8)
        } else {
            (self.config.bar2_base(), BAR2_SIZE_LOG2 as u8)
        }
    }

    pub(super) fn check_decoding(&self) -> std::result::Result<(), SimError> {
        if self.config.memory_enabled() {
            Ok(())
        } else {
            Err(SimError::MemoryDisabled)
        }
    }

    /// Largest TLP for a chunk starting at `offset`: BAR0 takes at most one aligned QWORD (the
    /// register file serves 1-2 DWORD accesses, as a CPU issues them); BAR2 takes up to
    /// `limit` bytes. No request crosses a 4 KiB boundary.
    pub(super) fn chunk_len(bar: BarIndex, offset: u64, remaining: usize, limit: u64) -> usize {
        let limit = if bar == BarIndex::BAR0 { 8 } else { limit };
        let to_boundary = limit - (offset % limit);
        let to_page = 4096 - (offset % 4096);
        (remaining as u64).min(to_boundary).min(to_page) as usize
    }

    pub(super) fn request(
        &self,
        bar: BarIndex,
        kind: RequestType,
        offset: u64,
        len: u64,
    ) -> Request {
        let (base, aperture) = self.bar_base(bar);
        let (dw_address, dw_count, first_be, last_be) = dword_span(base + offset, len);
        Request {
            kind,
            bar_id: bar.get(),
            bar_aperture: aperture,
            dw_address,
            dw_count,
            first_be,
            last_be,
            requester_id: HOST_REQUESTER_ID,
            tag: 0,
            traffic_class: 0,
            attr: 0,
            payload: Vec::new(),
        }
    }

    pub(super) fn write(
        &mut self,
        bar: BarIndex,
        offset: BarOffset,
        data: &[u8],
    ) -> std::result::Result<(), SimError> {
        self.check_decoding()?;
        let limit = u64::from(self.config.max_payload());
        let mut done = 0;
        while done < data.len() {
            let at = offset.get() + done as u64;
            let n = Core::chunk_len(bar, at, data.len() - done, limit);
            let mut req = self.request(bar, RequestType::MemWrite, at, n as u64);
            req.payload = payload_lanes(at, &data[done..done + n], req.dw_count);
            self.push_cq(&req);
            done += n;
        }
        let end = self.cq_pushed;
        self.run_until("posted write", |c| c.cq_accepted >= end)
    }

    pub(super) fn send_posted(&mut self, request: Request) -> std::result::Result<(), SimError> {
        let end = self.push_cq(&request);
        self.run_until("posted request", |c| c.cq_accepted >= end)
    }

    pub(super) fn send_non_posted(
        &mut self,
        mut request: Request,
    ) -> std::result::Result<ReadOutcome, SimError> {
        let tag = self.alloc_tag();
        request.tag = tag;
        self.push_cq(&request);
        self.pending
            .insert((HOST_REQUESTER_ID, tag), PendingRead::new(request));
        self.run_until("non-posted request", |c| c.finished.contains_key(&tag))?;
        Ok(self.finished.remove(&tag).expect("finished"))
    }

    /// Reads `buf.len()` bytes with up to READ_WINDOW reads in flight, each at most MRRS
    /// (BAR2) and never crossing 4 KiB.
    pub(super) fn read(
        &mut self,
        bar: BarIndex,
        offset: BarOffset,
        buf: &mut [u8],
    ) -> std::result::Result<(), ReadError> {
        self.check_decoding()?;
        let limit = u64::from(self.config.max_read_request());
        let mut issued = 0usize;
        // (tag, position in buf, length) in issue order.
        let mut in_flight: VecDeque<(u8, usize, usize)> = VecDeque::new();
        while issued < buf.len() || !in_flight.is_empty() {
            while issued < buf.len() && in_flight.len() < READ_WINDOW {
                let at = offset.get() + issued as u64;
                let n = Core::chunk_len(bar, at, buf.len() - issued, limit);
                let mut req = self.request(bar, RequestType::MemRead, at, n as u64);
                let tag = self.alloc_tag();
                req.tag = tag;
                self.push_cq(&req);
                self.pending
                    .insert((HOST_REQUESTER_ID, tag), PendingRead::new(req));
                in_flight.push_back((tag, issued, n));
                issued += n;
            }
            let (tag, pos, n) = in_flight.pop_front().expect("in flight");
            self.run_until("memory read", |c| c.finished.contains_key(&tag))?;
            match self.finished.remove(&tag).expect("finished") {
                ReadOutcome::Data(d) => buf[pos..pos + n].copy_from_slice(&d),
                ReadOutcome::Status(status) => {
                    // Let the reads behind it finish so no stale tag is left outstanding.
                    for (t, _, _) in in_flight.drain(..) {
                        self.run_until("memory read", |c| c.finished.contains_key(&t))?;
                        self.finished.remove(&t);
                    }
                    return Err(ReadError::Completion {
                        offset: BarOffset::new(offset.get() + pos as u64),
                        status,
                    });
                }
            }
        }
        Ok(())
    }
}
