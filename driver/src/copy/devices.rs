// SPDX-License-Identifier: MIT OR Apache-2.0
//! Opening what a copy drives: the endpoint's DMA engine with a queue, and the NVMe
//! controller with an I/O queue, on one DMA memory.

use std::sync::Arc;

use crate::device::Device;
use crate::dma::{CompletionMode, DmaEngine, QueueConfig, QueuePair};
use crate::endpoint::Endpoint;
use crate::nvme::{IoQueue, Nvme, NvmeOptions, TransferMode};

/// What a copy drives, opened: the endpoint's DMA engine (enabled) with queue 0 polling, and
/// the NVMe controller on the engine's DMA memory with one I/O queue. [`P2pCopy::new`](super::P2pCopy::new) takes
/// them.
#[derive(Debug)]
pub struct CopyDevices {
    /// The endpoint's DMA engine, enabled.
    pub engine: DmaEngine,
    /// Its queue 0, polling.
    pub queue: QueuePair,
    /// The NVMe controller, on the engine's DMA memory.
    pub nvme: Nvme,
    /// One I/O queue of it.
    pub io: IoQueue,
}

/// Why [`CopyDevices::open`] failed, by step (the driver's error is the source).
#[derive(Debug, thiserror::Error)]
pub enum CopyOpenError {
    /// Opening or enabling the DMA engine, or creating its queue.
    #[error(transparent)]
    Engine(crate::Error),
    /// Bringing the NVMe controller up.
    #[error("initialising the NVMe controller")]
    Nvme(#[source] crate::Error),
    /// Creating the NVMe I/O queue.
    #[error("creating an NVMe I/O queue")]
    IoQueue(#[source] crate::Error),
}

impl CopyDevices {
    /// Enables `endpoint`'s DMA engine and creates its queue 0 (polling), then brings up the
    /// NVMe controller `nvme` with `transfer`, sharing the engine's DMA memory, and creates an
    /// I/O queue. For the SSD to reach BAR2 on hardware, both functions must be in one VFIO
    /// container, with BAR2 mapped for peers.
    pub fn open(
        endpoint: &Endpoint,
        nvme: Arc<dyn Device>,
        transfer: TransferMode,
    ) -> Result<CopyDevices, CopyOpenError> {
        let engine = endpoint.dma().map_err(CopyOpenError::Engine)?;
        engine.enable().map_err(CopyOpenError::Engine)?;
        let queue = engine
            .create_queue(QueueConfig {
                mode: CompletionMode::Polling,
                ..QueueConfig::new(0)
            })
            .map_err(CopyOpenError::Engine)?;
        let nvme = Nvme::open(
            nvme,
            engine.memory().clone(),
            NvmeOptions {
                transfer,
                ..NvmeOptions::default()
            },
        )
        .map_err(CopyOpenError::Nvme)?;
        let io = nvme.io_queue().map_err(CopyOpenError::IoQueue)?;
        Ok(CopyDevices {
            engine,
            queue,
            nvme,
            io,
        })
    }
}
