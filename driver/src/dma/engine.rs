// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`DmaEngine`]: the endpoint's engine as a whole (capability check, enable, reset, status,
//! completion timeout, the MSI-X thread) and the factory of its [`QueuePair`]s.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::device::Device;
use crate::dma::peer::PeerMemory;
use crate::dma::queue_pair::{CompletionMode, QueueConfig, QueuePair, QueueShared, QueueState};
use crate::dma::wire::{CqEntry, SqEntry};
use crate::dma::DmaError;
use crate::error::{Error, Result};
use crate::hostmem::ring::CqCursor;
use crate::hostmem::{AddressSpace, DmaMemory};
use crate::regs::{
    self, DMA_COMPLETION_TIMEOUT, DMA_CONTROL, DMA_STATUS, QUEUE_CONTROL, QUEUE_CQ_HEAD,
    QUEUE_SIZE, QUEUE_SQ_TAIL,
};

/// MSI-X dispatch: vector -> queue.
type IrqTable = Arc<Mutex<Vec<Option<Weak<QueueShared>>>>>;

pub(super) struct EngineInner {
    pub(super) device: Arc<dyn Device>,
    pub(super) memory: DmaMemory,
    pub(super) peer: PeerMemory,
    /// `Device::iova_ranges`: where this driver's DMA buffers live.
    pub(super) iova_ranges: Vec<std::ops::Range<u64>>,
    pub(super) queues: u16,
    pub(super) msix: bool,
    pub(super) in_use: Mutex<Vec<bool>>,
    pub(super) irq_table: IrqTable,
    pub(super) irq_thread: Mutex<Option<JoinHandle<()>>>,
    /// Function resets found by any queue so far (see [`QueueShared::check_alive`]): lets the
    /// other queues' tickets fail at their next wake-up.
    pub(super) resets: Arc<AtomicU64>,
    /// MSI-X messages the interrupt thread has received (any vector): proof that interrupts
    /// reach this process, which a job completing does not give (a wait also polls).
    interrupts: Arc<AtomicU64>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        let thread = self
            .irq_thread
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        if let Some(thread) = thread {
            if let Err(e) = self.device.disable_msix() {
                log::warn!("disabling MSI-X: {e}");
            }
            let _ = thread.join();
        }
    }
}

/// The endpoint's DMA engine (cheap to clone). See the [module docs](crate::dma).
#[derive(Clone)]
pub struct DmaEngine {
    pub(super) inner: Arc<EngineInner>,
}

impl std::fmt::Debug for DmaEngine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DmaEngine")
            .field("device", &self.inner.device.describe())
            .field("queues", &self.inner.queues)
            .field("msix", &self.inner.msix)
            .finish()
    }
}

/// DMA_STATUS, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineStatus {
    pub busy: bool,
    pub tags_in_flight: u8,
}

impl DmaEngine {
    /// The DMA engine of the peerbar endpoint behind `device`: fails with
    /// [`DmaError::EngineAbsent`] when CAPABILITIES.DMA_ENGINE is 0. Writes nothing.
    pub fn new(device: Arc<dyn Device>) -> Result<DmaEngine> {
        let caps = regs::read(device.as_ref(), &regs::CAPABILITIES_REG)?;
        if !caps.is_set(regs::CAPABILITIES::DMA_ENGINE) {
            return Err(Error::Dma(DmaError::EngineAbsent {
                device: device.describe(),
            }));
        }
        let queues = caps.read(regs::CAPABILITIES::DMA_QUEUES) as u16;
        let msix = caps.is_set(regs::CAPABILITIES::MSIX);
        let memory = DmaMemory::new(Arc::clone(&device))?;
        let peer = PeerMemory::new(Arc::clone(&device))?;
        let iova_ranges = device.iova_ranges()?;
        Ok(DmaEngine {
            inner: Arc::new(EngineInner {
                device,
                memory,
                peer,
                iova_ranges,
                queues,
                msix,
                in_use: Mutex::new(vec![false; usize::from(queues)]),
                irq_table: Arc::new(Mutex::new(vec![None; usize::from(queues)])),
                irq_thread: Mutex::new(None),
                resets: Arc::new(AtomicU64::new(0)),
                interrupts: Arc::new(AtomicU64::new(0)),
            }),
        })
    }

    pub fn device(&self) -> &Arc<dyn Device> {
        &self.inner.device
    }

    /// MSI-X messages received so far by the engine's interrupt thread (interrupt-mode queues),
    /// whatever their vector. A job in interrupt mode completes even when its interrupt is lost
    /// (the wait also polls), so this count is what shows that MSI-X works.
    pub fn interrupts_received(&self) -> u64 {
        self.inner.interrupts.load(Ordering::Relaxed)
    }

    /// Number of queue pairs (CAPABILITIES.DMA_QUEUES).
    pub fn queue_count(&self) -> u16 {
        self.inner.queues
    }

    /// Allocator of host DMA buffers for this device.
    pub fn memory(&self) -> &DmaMemory {
        &self.inner.memory
    }

    /// Allocator of BAR2 slices.
    pub fn peer_memory(&self) -> &PeerMemory {
        &self.inner.peer
    }

    fn dev(&self) -> &dyn Device {
        self.inner.device.as_ref()
    }

    /// The bus ranges this driver owns: its IOVA ranges and the endpoint's BAR2.
    pub(super) fn own_spaces(&self) -> Vec<(AddressSpace, std::ops::Range<u64>)> {
        let mut spaces: Vec<_> = self
            .inner
            .iova_ranges
            .iter()
            .map(|r| (AddressSpace::Iova, r.clone()))
            .collect();
        let bar2 = self.inner.peer.bus_base().get();
        spaces.push((
            AddressSpace::Bar2,
            bar2..bar2.saturating_add(self.inner.peer.bar_len()),
        ));
        spaces
    }

    /// DMA_CONTROL.ENABLE = 1: the engine fetches from enabled queues. Also sets
    /// DMA_CONTROL.EXT_TAGS when the host enabled 8-bit tags (Device Control bit 8): the engine
    /// then gives each tag slot 8 generations of tags (docs/dma-engine.md, "Tag rules").
    pub fn enable(&self) -> Result<()> {
        if crate::config::enable_memory_and_bus_master(self.dev())? {
            log::info!(
                "{}: Bus Master Enable was off; set it (the engine's DMA needs it)",
                self.dev().describe()
            );
        }
        let ext_tags = match crate::config::pcie_capability(self.dev()) {
            Ok(cap) => cap.is_some_and(|c| c.extended_tags),
            Err(e) => {
                log::warn!("Device Control unreadable ({e}): the engine uses 5-bit tags");
                false
            }
        };
        let tags = if ext_tags {
            DMA_CONTROL::EXT_TAGS::SET
        } else {
            DMA_CONTROL::EXT_TAGS::CLEAR
        };
        regs::modify(
            self.dev(),
            &regs::DMA_CONTROL_REG,
            DMA_CONTROL::ENABLE::SET + tags,
        )
    }

    /// DMA_CONTROL.ENABLE = 0: jobs in flight finish, nothing new is fetched.
    pub fn disable(&self) -> Result<()> {
        regs::modify(
            self.dev(),
            &regs::DMA_CONTROL_REG,
            DMA_CONTROL::ENABLE::CLEAR,
        )
    }

    /// True when DMA_CONTROL.ENABLE is set.
    pub fn is_enabled(&self) -> Result<bool> {
        Ok(regs::read(self.dev(), &regs::DMA_CONTROL_REG)?.is_set(DMA_CONTROL::ENABLE))
    }

    /// DMA_CONTROL.RESET: aborts every job and disables every queue. Tickets of jobs that were
    /// in flight fail with [`DmaError::QueueLost`] (reason
    /// [`QueueLostReason::QueueDisabled`](crate::QueueLostReason::QueueDisabled)) at their next
    /// register check; drop the queue pairs and create them again. ENABLE keeps its value.
    pub fn reset(&self) -> Result<()> {
        regs::modify(self.dev(), &regs::DMA_CONTROL_REG, DMA_CONTROL::RESET::SET)
    }

    /// DMA_STATUS.
    pub fn status(&self) -> Result<EngineStatus> {
        let reg = regs::read(self.dev(), &regs::DMA_STATUS_REG)?;
        Ok(EngineStatus {
            busy: reg.is_set(DMA_STATUS::BUSY),
            tags_in_flight: reg.read(DMA_STATUS::TAGS_IN_FLIGHT) as u8,
        })
    }

    /// Sets DMA_COMPLETION_TIMEOUT in user_clk cycles (250 MHz: 4 ns each; 0 acts as 1).
    pub fn set_completion_timeout_cycles(&self, cycles: u32) -> Result<()> {
        regs::write(
            self.dev(),
            &regs::DMA_COMPLETION_TIMEOUT_REG,
            DMA_COMPLETION_TIMEOUT::CYCLES.val(cycles),
        )
    }

    /// DMA_COMPLETION_TIMEOUT in cycles.
    pub fn completion_timeout_cycles(&self) -> Result<u32> {
        Ok(regs::read(self.dev(), &regs::DMA_COMPLETION_TIMEOUT_REG)?
            .read(DMA_COMPLETION_TIMEOUT::CYCLES))
    }

    /// Sets the completion timeout from a duration (rounded up to 4 ns cycles, saturating).
    pub fn set_completion_timeout(&self, timeout: Duration) -> Result<()> {
        let cycles = timeout.as_nanos().div_ceil(4).min(u128::from(u32::MAX)) as u32;
        self.set_completion_timeout_cycles(cycles.max(1))
    }

    fn start_interrupts(&self) -> Result<()> {
        let mut thread = self
            .inner
            .irq_thread
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if thread.is_some() {
            return Ok(());
        }
        let rx = self.inner.device.enable_msix(self.inner.queues)?;
        let table = Arc::clone(&self.inner.irq_table);
        let interrupts = Arc::clone(&self.inner.interrupts);
        let handle = std::thread::Builder::new()
            .name("peerbar-dma-irq".to_owned())
            .spawn(move || {
                // Ends when the device disables MSI-X (the channel disconnects).
                for vector in rx {
                    interrupts.fetch_add(1, Ordering::Relaxed);
                    let queue = table
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(usize::from(vector))
                        .cloned()
                        .flatten()
                        .and_then(|w| w.upgrade());
                    match queue {
                        Some(q) => {
                            if let Err(e) = q.poll() {
                                log::error!("queue {}: polling after MSI-X: {e}", q.id);
                            }
                        }
                        None => log::debug!("MSI-X vector {vector} for no queue"),
                    }
                }
            })
            .map_err(|source| Error::Msix {
                operation: "starting the DMA interrupt thread".to_owned(),
                source,
            })?;
        *thread = Some(handle);
        Ok(())
    }

    /// Creates queue pair `config.id`: allocates its rings, programs SQ/CQ base, SIZE,
    /// doorbells and CONTROL (ENABLE, and IRQ_ENABLE + MSIX_VECTOR = id in interrupt mode).
    /// The engine itself must be enabled ([`DmaEngine::enable`]) for jobs to run.
    pub fn create_queue(&self, config: QueueConfig) -> Result<QueuePair> {
        let id = config.id;
        if id >= self.inner.queues {
            return Err(Error::Dma(DmaError::NoSuchQueue {
                queue: id,
                queues: self.inner.queues,
            }));
        }
        for entries in [config.sq_entries, config.cq_entries] {
            if !(2..=65536).contains(&entries) {
                return Err(Error::Dma(DmaError::InvalidQueueSize { entries }));
            }
        }
        {
            let mut in_use = self.inner.in_use.lock().unwrap_or_else(|e| e.into_inner());
            if in_use[usize::from(id)] {
                return Err(Error::Dma(DmaError::QueueInUse { queue: id }));
            }
            in_use[usize::from(id)] = true;
        }
        match self.setup_queue(&config) {
            Ok(q) => Ok(q),
            Err(e) => {
                self.inner.in_use.lock().unwrap_or_else(|e| e.into_inner())[usize::from(id)] =
                    false;
                Err(e)
            }
        }
    }

    fn setup_queue(&self, config: &QueueConfig) -> Result<QueuePair> {
        let id = config.id;
        let interrupt = config.mode == CompletionMode::Interrupt;
        if interrupt {
            if !self.inner.msix {
                return Err(Error::Msix {
                    operation: format!("interrupt mode for queue {id}"),
                    source: std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        "the endpoint does not raise MSI-X (CAPABILITIES.MSIX = 0)",
                    ),
                });
            }
            self.start_interrupts()?;
        }
        let sq = Arc::new(
            self.inner
                .memory
                .alloc(config.sq_entries as usize * SqEntry::SIZE)?,
        );
        let cq = Arc::new(
            self.inner
                .memory
                .alloc(config.cq_entries as usize * CqEntry::SIZE)?,
        );
        let shared = Arc::new(QueueShared {
            id,
            device: Arc::clone(&self.inner.device),
            sq,
            cq,
            sq_entries: config.sq_entries,
            cq_entries: config.cq_entries,
            mode: config.mode,
            state: Mutex::new(QueueState {
                sq_tail: 0,
                sq_head: 0,
                cq: CqCursor::new(config.cq_entries),
                next_cid: 0,
                in_flight: HashMap::new(),
                closed: false,
                lost: None,
                dropped_unfetched: false,
            }),
            engine_resets: Arc::clone(&self.inner.resets),
            // Programmed after every reset found so far: none of them concerns this queue.
            resets_checked: AtomicU64::new(self.inner.resets.load(Ordering::Relaxed)),
        });
        let sq_base = shared.sq.bus_addr().get();
        let cq_base = shared.cq.bus_addr().get();
        // Disabled while it is programmed; enabling (0 -> 1) resets SQ head, CQ tail and phase.
        shared.write_reg(&regs::QUEUE_CONTROL_REG, QUEUE_CONTROL::ENABLE::CLEAR)?;
        shared.write_reg64(&regs::QUEUE_SQ_BASE_REG64, sq_base)?;
        shared.write_reg64(&regs::QUEUE_CQ_BASE_REG64, cq_base)?;
        shared.write_reg(
            &regs::QUEUE_SIZE_REG,
            QUEUE_SIZE::SQ_ENTRIES_M1.val(config.sq_entries - 1)
                + QUEUE_SIZE::CQ_ENTRIES_M1.val(config.cq_entries - 1),
        )?;
        shared.write_reg(&regs::QUEUE_SQ_TAIL_REG, QUEUE_SQ_TAIL::VALUE.val(0))?;
        shared.write_reg(&regs::QUEUE_CQ_HEAD_REG, QUEUE_CQ_HEAD::VALUE.val(0))?;
        if interrupt {
            self.inner
                .irq_table
                .lock()
                .unwrap_or_else(|e| e.into_inner())[usize::from(id)] =
                Some(Arc::downgrade(&shared));
        }
        let control = if interrupt {
            QUEUE_CONTROL::ENABLE::SET
                + QUEUE_CONTROL::IRQ_ENABLE::SET
                + QUEUE_CONTROL::MSIX_VECTOR.val(u32::from(id))
        } else {
            QUEUE_CONTROL::ENABLE::SET
        };
        // The rings are zeroed (phase 0) and the engine starts with phase 1 on enable.
        shared.write_reg(&regs::QUEUE_CONTROL_REG, control)?;
        log::debug!(
            "DMA queue {id}: SQ {} x{} at {}, CQ {} x{} at {}, {:?}",
            SqEntry::SIZE,
            config.sq_entries,
            shared.sq.bus_addr(),
            CqEntry::SIZE,
            config.cq_entries,
            shared.cq.bus_addr(),
            config.mode
        );
        Ok(QueuePair {
            shared,
            engine: self.clone(),
            builder: config.builder,
            shutdown_timeout: config.shutdown_timeout,
        })
    }
}
