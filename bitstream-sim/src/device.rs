//! `SimDevice`: the RTL under Verilator, wrapped in a model of the UltraScale+ block, presented
//! to the driver through the same `Device` trait as real hardware.
//!
//! The model is clocked only while a request is in flight: an idle simulation costs no CPU.
//! Every MMIO access becomes a TLP on the CQ interface; every completion the RTL sends on CC is
//! checked against the PCIe rules, and a malformed one fails the access (and every later one)
//! with a description of what was wrong.

use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use peerbar::device::{check_bar_access, check_config_access, Device};
use peerbar::{BarIndex, BarOffset, CompletionStatus, Error, Result};

use crate::config_space::{ConfigSpace, BAR0_SIZE_LOG2};
use crate::rtl::{Rtl, RtlInputs, RtlOutputs, BAR2_SIZE_LOG2};
use crate::tlp::{
    dword_span, Beat, CcAssembler, CcDescriptor, CompletionRules, PendingRead, ReadOutcome,
    Request, RequestType, STATUS_CA, STATUS_CRS, STATUS_UR,
};
use crate::SimError;

/// The user clock of the 256-bit Gen3 x8 configuration.
pub const CLOCK_HZ: u64 = 250_000_000;

/// Cycles without any CQ or CC progress after which the RTL is declared hung. PCIe's default
/// completion timeout range starts at 50 us (12 500 cycles); this is 400 us.
const HANG_CYCLES: u64 = 100_000;
/// Reads kept in flight by a bulk read (tags outstanding).
const READ_WINDOW: usize = 8;
/// Cycles `user_reset` is held at start-up and on reset().
const RESET_CYCLES: u32 = 16;
/// Requester ID of the host (root complex) issuing MMIO.
const HOST_REQUESTER_ID: u16 = 0x0000;

/// Settings of the simulated endpoint and of the host around it.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Write an FST waveform of every RTL signal here.
    pub trace: Option<PathBuf>,
    /// Max Payload Size the host configured, bytes (128..=1024).
    pub max_payload: u16,
    /// Max Read Request Size the host configured, bytes (128..=4096).
    pub max_read_req: u16,
    /// Read Completion Boundary, bytes (64 or 128).
    pub rcb: u16,
    /// Percentage of cycles on which the model accepts a CC beat (100 = never back-pressure).
    /// Lower values exercise the RTL's handling of `s_axis_cc_tready`.
    pub cc_ready_percent: u8,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            trace: None,
            max_payload: 256,
            max_read_req: 512,
            rcb: 64,
            cc_ready_percent: 100,
        }
    }
}

/// Counters of the simulation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SimStats {
    /// RTL clock cycles simulated.
    pub cycles: u64,
    /// Requests (TLPs) delivered on CQ.
    pub requests: u64,
    /// Completion packets received on CC.
    pub completions: u64,
}

/// A request a test sends exactly as a (possibly misbehaving) peer would, with no checks on the
/// host side: used to show how the RTL answers what the driver itself would never send.
#[derive(Clone, Debug)]
pub struct RawRequest {
    pub kind: RequestType,
    /// BAR ID the block reports (0 and 2 exist; anything else is "not implemented").
    pub bar_id: u8,
    /// Byte offset of the first DWORD inside the BAR (low two bits ignored).
    pub offset: u64,
    pub dw_count: u16,
    pub first_be: u8,
    pub last_be: u8,
    /// Write data: `dw_count` DWORDs for MemWr.
    pub payload: Vec<u32>,
}

/// What came back for a raw request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RawOutcome {
    /// A posted request: no completion.
    Posted,
    /// Successful completion(s) with these bytes.
    Data(Vec<u8>),
    /// A completion with an error status.
    Status(CompletionStatus),
}

/// The simulated endpoint. Cheap to clone: clones share one simulation.
#[derive(Clone)]
pub struct SimDevice {
    core: Arc<Mutex<Core>>,
}

impl SimDevice {
    /// Builds the Verilator model, brings it out of reset and checks that the RTL's own idea
    /// of its BAR2 size matches the model's config space.
    pub fn new(config: SimConfig) -> Result<SimDevice> {
        let core = Core::new(&config).map_err(Error::from_sim)?;
        let dev = SimDevice {
            core: Arc::new(Mutex::new(core)),
        };
        dev.check_identity()?;
        Ok(dev)
    }

    pub fn stats(&self) -> SimStats {
        match self.core.lock() {
            Ok(core) => core.stats,
            Err(poisoned) => poisoned.into_inner().stats,
        }
    }

    /// Sends one request exactly as given (no range or alignment checks) and returns what the
    /// RTL answered. Protocol violations by the RTL are still errors.
    pub fn send_raw(&self, raw: RawRequest) -> Result<RawOutcome> {
        let mut core = self.lock()?;
        let (base, aperture) = match raw.bar_id {
            0 => (core.config.bar0_base(), BAR0_SIZE_LOG2 as u8),
            2 => (core.config.bar2_base(), BAR2_SIZE_LOG2 as u8),
            _ => (0, 12),
        };
        let request = Request {
            kind: raw.kind,
            bar_id: raw.bar_id,
            bar_aperture: aperture,
            dw_address: base.wrapping_add(raw.offset) & !3,
            dw_count: raw.dw_count,
            first_be: raw.first_be,
            last_be: raw.last_be,
            requester_id: HOST_REQUESTER_ID,
            tag: 0,
            traffic_class: 0,
            attr: 0,
            payload: raw.payload,
        };
        if raw.kind.is_posted() {
            core.send_posted(request).map_err(Error::from_sim)?;
            return Ok(RawOutcome::Posted);
        }
        let outcome = core.send_non_posted(request).map_err(Error::from_sim)?;
        Ok(match outcome {
            ReadOutcome::Data(d) => RawOutcome::Data(d),
            ReadOutcome::Status(s) => RawOutcome::Status(completion_status(s)),
        })
    }

    fn lock(&self) -> Result<MutexGuard<'_, Core>> {
        let core = self.core.lock().map_err(|_| {
            Error::from_sim(SimError::Failed(
                "a thread panicked while driving the simulation".into(),
            ))
        })?;
        if let Some(why) = &core.failure {
            return Err(Error::from_sim(SimError::Failed(why.clone())));
        }
        Ok(core)
    }

    fn check_identity(&self) -> Result<()> {
        let lo = self.bar_read32(BarIndex::BAR0, BarOffset::new(0x10))?;
        let hi = self.bar_read32(BarIndex::BAR0, BarOffset::new(0x14))?;
        let rtl_size = (u64::from(hi) << 32) | u64::from(lo);
        let model_size = 1u64 << BAR2_SIZE_LOG2;
        if rtl_size != model_size {
            return Err(Error::from_sim(SimError::InvalidConfig(format!(
                "the RTL reports a BAR2 of {rtl_size} bytes but was verilated with Bar2SizeLog2={BAR2_SIZE_LOG2} ({model_size} bytes)"
            ))));
        }
        Ok(())
    }

    fn read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8], align: u64) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, buf.len() as u64, align)?;
        let mut core = self.lock()?;
        core.read(bar, offset, buf).map_err(|e| e.into_error(bar))
    }

    fn write(&self, bar: BarIndex, offset: BarOffset, data: &[u8], align: u64) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, data.len() as u64, align)?;
        let mut core = self.lock()?;
        core.write(bar, offset, data).map_err(Error::from_sim)
    }
}

macro_rules! sized_access {
    ($read:ident, $write:ident, $t:ty) => {
        fn $read(&self, bar: BarIndex, offset: BarOffset) -> Result<$t> {
            const SIZE: usize = std::mem::size_of::<$t>();
            let mut b = [0u8; SIZE];
            self.read(bar, offset, &mut b, SIZE as u64)?;
            Ok(<$t>::from_le_bytes(b))
        }

        fn $write(&self, bar: BarIndex, offset: BarOffset, value: $t) -> Result<()> {
            self.write(
                bar,
                offset,
                &value.to_le_bytes(),
                std::mem::size_of::<$t>() as u64,
            )
        }
    };
}

impl Device for SimDevice {
    fn describe(&self) -> String {
        format!(
            "simulated endpoint (Verilator model of hw/rtl, BAR2 {} KiB)",
            (1u64 << BAR2_SIZE_LOG2) / 1024
        )
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.lock()?.config.read(usize::from(offset), buf);
        Ok(())
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        self.lock()?.config.write(usize::from(offset), data);
        Ok(())
    }

    fn bar_len(&self, bar: BarIndex) -> Option<u64> {
        match bar {
            BarIndex::BAR0 => Some(1 << BAR0_SIZE_LOG2),
            BarIndex::BAR2 => Some(1 << BAR2_SIZE_LOG2),
            _ => None,
        }
    }

    sized_access!(bar_read8, bar_write8, u8);
    sized_access!(bar_read16, bar_write16, u16);
    sized_access!(bar_read32, bar_write32, u32);
    sized_access!(bar_read64, bar_write64, u64);

    fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        self.read(bar, offset, buf, 1)
    }

    fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
        self.write(bar, offset, data, 1)
    }

    /// Function-level reset: the RTL is held in reset, in-flight requests are dropped, and
    /// config space is kept (as the OS saves and restores it around an FLR).
    fn reset(&self) -> Result<()> {
        let mut core = self.lock()?;
        core.reset();
        Ok(())
    }
}

/// Maps a completion status field to the driver's type.
fn completion_status(status: u8) -> CompletionStatus {
    match status {
        STATUS_UR => CompletionStatus::UnsupportedRequest,
        STATUS_CRS => CompletionStatus::ConfigRetry,
        STATUS_CA => CompletionStatus::CompleterAbort,
        other => CompletionStatus::Reserved(other),
    }
}

/// Why a read failed inside the model.
enum ReadError {
    Sim(SimError),
    Completion { offset: BarOffset, status: u8 },
}

impl ReadError {
    fn into_error(self, bar: BarIndex) -> Error {
        match self {
            ReadError::Sim(e) => Error::from_sim(e),
            ReadError::Completion { offset, status } => Error::CompletionError {
                bar,
                offset,
                status: completion_status(status),
            },
        }
    }
}

impl From<SimError> for ReadError {
    fn from(e: SimError) -> ReadError {
        ReadError::Sim(e)
    }
}

/// Conversion of the simulation's errors into the driver's error type.
trait FromSim {
    fn from_sim(e: SimError) -> Error;
}

impl FromSim for Error {
    fn from_sim(e: SimError) -> Error {
        log::error!("simulation: {e}");
        Error::Simulation(Box::new(e))
    }
}

/// The clocked model: the RTL plus the UltraScale+ block's completer side.
struct Core {
    rtl: Rtl,
    inputs: RtlInputs,
    config: ConfigSpace,
    cq_queue: VecDeque<Beat>,
    cc: CcAssembler,
    pending: HashMap<u8, PendingRead>,
    finished: HashMap<u8, ReadOutcome>,
    next_tag: u8,
    stats: SimStats,
    /// Set on the first protocol violation or hang; every later access fails with it.
    failure: Option<String>,
    cc_ready_percent: u8,
    rng: u64,
    last_progress: u64,
}

impl Core {
    fn new(config: &SimConfig) -> std::result::Result<Core, SimError> {
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
            cc: CcAssembler::default(),
            pending: HashMap::new(),
            finished: HashMap::new(),
            next_tag: 0,
            stats: SimStats::default(),
            failure: None,
            cc_ready_percent: config.cc_ready_percent,
            rng: 0x9e37_79b9_7f4a_7c15,
            last_progress: 0,
        };
        core.reset();
        Ok(core)
    }

    fn reset(&mut self) {
        self.cq_queue.clear();
        self.cc = CcAssembler::default();
        self.pending.clear();
        self.finished.clear();
        self.inputs.user_reset = 1;
        self.inputs.user_lnk_up = 1;
        for _ in 0..RESET_CYCLES {
            self.clock();
        }
        self.inputs.user_reset = 0;
        self.clock();
    }

    /// One clock cycle: drive the CQ beat at the head of the queue, accept a CC beat, and
    /// check the outputs the RTL must keep idle until the DMA engine exists.
    fn clock(&mut self) -> RtlOutputs {
        let cfg = &self.config;
        self.inputs.cfg_max_payload = cfg.cfg_max_payload();
        self.inputs.cfg_max_read_req = cfg.cfg_max_read_req();
        // cfg_function_status, function 0: bit 1 memory space enable, bit 2 bus master enable.
        let memory = if cfg.memory_enabled() { 1 << 1 } else { 0 };
        let master = if cfg.bus_master() { 1 << 2 } else { 0 };
        self.inputs.cfg_function_status = memory | master;
        self.inputs.cfg_rcb_status = u8::from(cfg.rcb() == 128);
        self.inputs.rq_tready = 1;
        match self.cq_queue.front() {
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
        let out = self.rtl.cycle(&self.inputs);
        self.stats.cycles += 1;
        if self.inputs.cq_tvalid == 1 && out.cq_tready & 1 == 1 {
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
        if out.rq_tvalid == 1 && self.failure.is_none() {
            self.fail(
                "the RTL sent a requester request on RQ, but no DMA engine is built in".into(),
            );
        }
        out
    }

    fn cc_ready_this_cycle(&mut self) -> bool {
        if self.cc_ready_percent >= 100 {
            return true;
        }
        // xorshift64: deterministic back-pressure pattern.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % 100) < u64::from(self.cc_ready_percent)
    }

    fn accept_cc_beat(&mut self, beat: &Beat) -> std::result::Result<(), String> {
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
        let Some(pending) = self.pending.get_mut(&d.tag) else {
            return Err(format!(
                "completion with tag {:#04x} matches no outstanding read (descriptor {d:?})",
                d.tag
            ));
        };
        let rules = CompletionRules {
            max_payload: u32::from(self.config.max_payload()),
            rcb: u32::from(self.config.rcb()),
        };
        if let Some(outcome) = pending.accept(&packet, rules)? {
            self.pending.remove(&d.tag);
            self.finished.insert(d.tag, outcome);
        }
        Ok(())
    }

    fn fail(&mut self, why: String) {
        log::error!("simulated PCIe block: {why}");
        if self.failure.is_none() {
            self.failure = Some(why);
        }
    }

    /// Clocks until `done` holds, the model records a failure, or nothing moves for too long.
    fn run_until(
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

    fn alloc_tag(&mut self) -> u8 {
        loop {
            let tag = self.next_tag;
            self.next_tag = self.next_tag.wrapping_add(1);
            if !self.pending.contains_key(&tag) && !self.finished.contains_key(&tag) {
                return tag;
            }
        }
    }

    fn bar_base(&self, bar: BarIndex) -> (u64, u8) {
        if bar == BarIndex::BAR0 {
            (self.config.bar0_base(), BAR0_SIZE_LOG2 as u8)
        } else {
            (self.config.bar2_base(), BAR2_SIZE_LOG2 as u8)
        }
    }

    fn check_decoding(&self) -> std::result::Result<(), SimError> {
        if self.config.memory_enabled() {
            Ok(())
        } else {
            Err(SimError::MemoryDisabled)
        }
    }

    /// Largest TLP for a chunk starting at `offset`: BAR0 takes at most one aligned QWORD (the
    /// register file serves 1-2 DWORD accesses, as a CPU issues them); BAR2 takes up to
    /// `limit` bytes. No request crosses a 4 KiB boundary.
    fn chunk_len(bar: BarIndex, offset: u64, remaining: usize, limit: u64) -> usize {
        let limit = if bar == BarIndex::BAR0 { 8 } else { limit };
        let to_boundary = limit - (offset % limit);
        let to_page = 4096 - (offset % 4096);
        (remaining as u64).min(to_boundary).min(to_page) as usize
    }

    fn request(&self, bar: BarIndex, kind: RequestType, offset: u64, len: u64) -> Request {
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

    fn write(
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
            // Place the bytes in their DWORD lanes; disabled lanes carry zeros.
            let skew = (at & 3) as usize;
            let mut bytes = vec![0u8; usize::from(req.dw_count) * 4];
            bytes[skew..skew + n].copy_from_slice(&data[done..done + n]);
            req.payload = bytes
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            self.cq_queue.extend(req.cq_beats());
            done += n;
        }
        self.run_until("posted write", |c| c.cq_queue.is_empty())
    }

    fn send_posted(&mut self, request: Request) -> std::result::Result<(), SimError> {
        self.cq_queue.extend(request.cq_beats());
        self.run_until("posted request", |c| c.cq_queue.is_empty())
    }

    fn send_non_posted(
        &mut self,
        mut request: Request,
    ) -> std::result::Result<ReadOutcome, SimError> {
        let tag = self.alloc_tag();
        request.tag = tag;
        self.cq_queue.extend(request.cq_beats());
        self.pending.insert(tag, PendingRead::new(request));
        self.run_until("non-posted request", |c| c.finished.contains_key(&tag))?;
        Ok(self.finished.remove(&tag).expect("finished"))
    }

    /// Reads `buf.len()` bytes with up to READ_WINDOW reads in flight, each at most MRRS
    /// (BAR2) and never crossing 4 KiB.
    fn read(
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
                self.cq_queue.extend(req.cq_beats());
                self.pending.insert(tag, PendingRead::new(req));
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
