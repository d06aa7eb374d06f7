// SPDX-License-Identifier: MIT OR Apache-2.0
//! The state the `SimDevice` clones share with the background thread that clocks the model
//! while the DMA side has work.

use std::sync::atomic::{AtomicUsize, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

use peerbar::{BusAddr, Error, Result};

use crate::SimError;

use super::{Core, FromSim, BATCH_CYCLES};

/// The simulation shared by the clones of a `SimDevice` and its background thread.
pub(super) struct Shared {
    pub(super) core: Mutex<Core>,
    /// Signalled when the DMA side may have work (doorbell, MSI-X enable) or on shutdown.
    pub(super) wake: Condvar,
    /// Callers (MMIO, config, statistics) waiting for the core. The clock thread gives way to
    /// them between cycles: on a real system software reacts in microseconds, and letting a
    /// doorbell wait for whole batches of simulated cycles would make every device look idle
    /// for part of each job.
    pub(super) callers: AtomicUsize,
}

/// Owned by the `SimDevice` clones only: the last one dropped stops the background thread.
pub(super) struct Clocker {
    pub(super) shared: Arc<Shared>,
    pub(super) thread: Option<JoinHandle<()>>,
}

impl Shared {
    /// The core, or the sticky failure that poisoned it.
    pub(super) fn lock(&self) -> Result<MutexGuard<'_, Core>> {
        let core = self.lock_raw().map_err(|_| {
            Error::from_sim(SimError::Failed(
                "a thread panicked while driving the simulation".into(),
            ))
        })?;
        if let Some(why) = &core.failure {
            return Err(Error::from_sim(SimError::Failed(why.clone())));
        }
        Ok(core)
    }

    /// The core even after a failure (statistics, fault logs, unmapping).
    pub(super) fn lock_any(&self) -> MutexGuard<'_, Core> {
        match self.lock_raw() {
            Ok(core) => core,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// `Device::map_dma` of either device: both share the fabric's IOMMU.
    ///
    /// # Safety
    /// As `Device::map_dma`: `host..host+len` stays allocated and unmoved until
    /// `unmap_dma(iova, len)` returns.
    pub(super) unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        let mut core = self.lock()?;
        // SAFETY: the caller guarantees (trait contract) that `host..host+len` stays allocated
        // and unmoved until `unmap_dma(iova, len)` returns, which is what `Fabric::map` needs.
        unsafe { core.fabric.map(host, len, iova.get()) }.map_err(Error::from_sim)
    }

    /// `Device::unmap_dma` of either device. Works after a failure too: the memory is about to
    /// go whatever the simulation's state.
    pub(super) fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        self.lock_any()
            .fabric
            .unmap(iova.get(), len)
            .map_err(Error::from_sim)
    }

    /// Takes the core lock as a caller (the clock thread yields to callers).
    pub(super) fn lock_raw(&self) -> std::sync::LockResult<MutexGuard<'_, Core>> {
        self.callers.fetch_add(1, AtomicOrdering::SeqCst);
        let core = self.core.lock();
        self.callers.fetch_sub(1, AtomicOrdering::SeqCst);
        core
    }
}

impl Drop for Clocker {
    fn drop(&mut self) {
        {
            let mut core = match self.shared.core.lock() {
                Ok(c) => c,
                Err(poisoned) => poisoned.into_inner(),
            };
            core.stop = true;
        }
        self.shared.wake.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The background thread: sleeps while the DMA side is idle, otherwise clocks in batches,
/// releasing the lock between batches so MMIO callers interleave.
pub(super) fn clock_in_background(shared: Arc<Shared>) {
    let Ok(mut core) = shared.core.lock() else {
        return;
    };
    loop {
        if core.stop {
            return;
        }
        if !core.wants_clock() {
            core = match shared.wake.wait(core) {
                Ok(c) => c,
                Err(_) => return,
            };
            continue;
        }
        for _ in 0..BATCH_CYCLES {
            core.clock();
            if !core.wants_clock() || shared.callers.load(AtomicOrdering::Relaxed) > 0 {
                break;
            }
        }
        drop(core);
        std::thread::yield_now();
        // Let waiting callers in first (bounded: a caller that never comes back must not stall
        // the simulation).
        for _ in 0..10_000 {
            if shared.callers.load(AtomicOrdering::Relaxed) == 0 {
                break;
            }
            std::thread::yield_now();
        }
        core = match shared.core.lock() {
            Ok(c) => c,
            Err(_) => return,
        };
    }
}
