// SPDX-License-Identifier: MIT OR Apache-2.0
//! DEVICE_SET_IRQS: MSI-X eventfds, owned by one connection at a time, and their release.

use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::{Arc, Mutex};

use peerbar::device::vfio_user::wire::{self, irq, Header};
use peerbar::device::write_eventfd;

use super::{args, device_refusal, refuse, Connection, Refusal};

/// The connection that owns MSI-X: its eventfds by vector and the forwarding thread.
pub(crate) struct IrqOwner {
    conn: u64,
    fds: Arc<Mutex<Vec<Option<OwnedFd>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Vectors enabled in the device (MSI-X table entries programmed).
    enabled: u16,
}

impl Connection {
    pub(super) fn set_irqs(
        &mut self,
        header: &Header,
        payload: &[u8],
        fds: Vec<OwnedFd>,
    ) -> Result<Vec<u8>, Refusal> {
        let (set, _) = args::<wire::IrqSet>(header, payload)?;
        if set.index == irq::INTX && self.intx && set.count <= 1 {
            // QEMU's vfio-pci wires INTx up at realize (trigger eventfd, unmask). The RTL
            // signals MSI-X only, so the eventfd is accepted and never signalled.
            log::debug!(
                "vfio-user: client {}: INTx set up (flags {:#x}); the endpoint never asserts INTx",
                self.id,
                set.flags
            );
            return Ok(Vec::new());
        }
        if set.index != irq::MSIX {
            if set.count == 0 && set.index < irq::COUNT {
                return Ok(Vec::new());
            }
            return refuse(
                libc::EINVAL,
                format!("interrupt index {} has no vectors", set.index),
            );
        }
        if set.flags & irq::SET_ACTION_TYPE_MASK != irq::SET_ACTION_TRIGGER {
            return refuse(
                libc::ENOTSUP,
                format!("SET_IRQS action {:#x}: only TRIGGER", set.flags),
            );
        }
        let vectors = u32::from(self.msix_vectors);
        if set.start.checked_add(set.count).is_none_or(|e| e > vectors) {
            return refuse(
                libc::EINVAL,
                format!("vectors {}+{} of {vectors}", set.start, set.count),
            );
        }
        let mut owner = self.state.irq[self.function.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(o) = owner.as_ref() {
            if o.conn != self.id {
                return refuse(
                    libc::EBUSY,
                    format!("MSI-X belongs to client {} (one client at a time)", o.conn),
                );
            }
        }
        match set.flags & irq::SET_DATA_TYPE_MASK {
            irq::SET_DATA_NONE if set.count == 0 => {
                drop(owner);
                self.release_irqs();
                Ok(Vec::new())
            }
            irq::SET_DATA_NONE => {
                // Loopback: fire the vectors.
                if let Some(o) = owner.as_ref() {
                    let fds = o.fds.lock().unwrap_or_else(|e| e.into_inner());
                    for fd in fds[set.start as usize..(set.start + set.count) as usize]
                        .iter()
                        .flatten()
                    {
                        let _ = write_eventfd(fd.as_raw_fd());
                    }
                }
                Ok(Vec::new())
            }
            irq::SET_DATA_EVENTFD => {
                if fds.len() != set.count as usize {
                    return refuse(
                        libc::EINVAL,
                        format!(
                            "SET_IRQS of {} vectors carries {} eventfds",
                            set.count,
                            fds.len()
                        ),
                    );
                }
                let needed = (set.start + set.count) as u16;
                let o = match owner.as_mut() {
                    Some(o) => o,
                    None => owner.insert(IrqOwner {
                        conn: self.id,
                        fds: Arc::new(Mutex::new((0..vectors).map(|_| None).collect())),
                        thread: None,
                        enabled: 0,
                    }),
                };
                {
                    let mut table = o.fds.lock().unwrap_or_else(|e| e.into_inner());
                    for (i, fd) in fds.into_iter().enumerate() {
                        table[set.start as usize + i] = Some(fd);
                    }
                }
                if needed > o.enabled {
                    let rx = self.device.enable_msix(needed).map_err(device_refusal)?;
                    let table = Arc::clone(&o.fds);
                    let id = self.id;
                    let thread = std::thread::Builder::new()
                        .name("peerbar-vfio-user-msix".into())
                        .spawn(move || {
                            for v in rx {
                                let fds = table.lock().unwrap_or_else(|e| e.into_inner());
                                match fds.get(usize::from(v)).and_then(Option::as_ref) {
                                    Some(fd) => {
                                        let _ = write_eventfd(fd.as_raw_fd());
                                    }
                                    None => log::debug!("vfio-user: client {id}: MSI-X vector {v} has no eventfd; dropped"),
                                }
                            }
                        })
                        .map_err(|e| Refusal {
                            errno: libc::EAGAIN,
                            why: format!("cannot start the interrupt thread: {e}"),
                        })?;
                    // The previous thread ends when enable_msix replaced its channel.
                    if let Some(old) = o.thread.replace(thread) {
                        let _ = old.join();
                    }
                    o.enabled = needed;
                }
                Ok(Vec::new())
            }
            other => refuse(libc::ENOTSUP, format!("SET_IRQS data type {other:#x}")),
        }
    }

    /// Detaches this connection's interrupts, if it owns them: MSI-X is disabled in the device.
    pub(super) fn release_irqs(&mut self) {
        let mut owner = self.state.irq[self.function.index()]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if owner.as_ref().is_some_and(|o| o.conn == self.id) {
            let mut o = owner.take().expect("checked");
            if let Err(e) = self.device.disable_msix() {
                log::warn!("vfio-user: client {}: disabling MSI-X: {e}", self.id);
            }
            if let Some(t) = o.thread.take() {
                let _ = t.join();
            }
        }
    }
}
