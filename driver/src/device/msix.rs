// SPDX-License-Identifier: MIT OR Apache-2.0
//! MSI-X through eventfds, shared by both VFIO backends ([`super::vfio`], [`super::iommufd`]):
//! one eventfd per vector, handed to the kernel with `VFIO_DEVICE_SET_IRQS`
//! (`VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER`, include/uapi/linux/vfio.h), and a
//! thread that polls them and forwards each interrupt's vector number to a channel.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use crate::device::vfio::Bdf;
use crate::error::{Error, Result};

/// A function's MSI-X state as both VFIO backends keep it: the forwarder while enabled.
/// The backend supplies the kernel calls (how many vectors, enable with eventfds, disable).
#[derive(Default)]
pub(crate) struct Msix {
    slot: Mutex<Option<MsixForwarder>>,
}

impl Msix {
    /// Replaces any previous forwarder; checks `vectors` against `max`, hands fresh eventfds
    /// to `enable` and starts forwarding them.
    pub(crate) fn enable(
        &self,
        bdf: Bdf,
        vectors: u16,
        max: u32,
        enable: impl FnOnce(&[RawFd]) -> io::Result<()>,
    ) -> Result<crossbeam_channel::Receiver<u16>> {
        let msix_error = |operation: String| move |source| Error::Msix { operation, source };
        let mut slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            old.stop();
        }
        if u32::from(vectors) > max {
            return Err(Error::Msix {
                operation: format!("enabling {vectors} vectors on {bdf}"),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("the function has {max} MSI-X vectors"),
                ),
            });
        }
        let fds = MsixEventfds::new(vectors).map_err(msix_error("creating eventfds".to_owned()))?;
        enable(&fds.raw()).map_err(msix_error(format!("enabling {vectors} vectors on {bdf}")))?;
        let (forwarder, rx) = fds
            .start()
            .map_err(msix_error("starting the forwarding thread".to_owned()))?;
        *slot = Some(forwarder);
        Ok(rx)
    }

    /// Calls `disable` and stops the forwarder (its channel disconnects).
    pub(crate) fn disable(&self, bdf: Bdf, disable: impl FnOnce() -> io::Result<()>) -> Result<()> {
        let forwarder = self.slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        let result = disable();
        if let Some(f) = forwarder {
            f.stop();
        }
        result.map_err(|source| Error::Msix {
            operation: format!("disabling MSI-X on {bdf}"),
            source,
        })
    }

    /// Whether MSI-X is on (a poisoned lock counts as on, so that drop still disables it).
    pub(crate) fn is_enabled(&mut self) -> bool {
        self.slot.get_mut().map(|m| m.is_some()).unwrap_or(true)
    }
}

/// The eventfds of `vectors` MSI-X vectors (eventfd `i` = vector `i`), not yet polled: give
/// [`MsixEventfds::raw`] to the kernel, then [`MsixEventfds::start`] the forwarding thread.
pub(crate) struct MsixEventfds {
    fds: Vec<OwnedFd>,
}

impl MsixEventfds {
    pub(crate) fn new(vectors: u16) -> io::Result<MsixEventfds> {
        let fds = (0..vectors)
            .map(|_| new_eventfd())
            .collect::<io::Result<Vec<_>>>()?;
        Ok(MsixEventfds { fds })
    }

    /// The descriptors, in vector order.
    pub(crate) fn raw(&self) -> Vec<RawFd> {
        self.fds.iter().map(|fd| fd.as_raw_fd()).collect()
    }

    /// Starts the thread that forwards interrupts to the returned channel.
    pub(crate) fn start(self) -> io::Result<(MsixForwarder, crossbeam_channel::Receiver<u16>)> {
        let stop = Arc::new(new_eventfd()?);
        let (tx, rx) = crossbeam_channel::unbounded();
        let thread_stop = Arc::clone(&stop);
        let fds = self.fds;
        let thread = std::thread::Builder::new()
            .name("peerbar-msix".to_owned())
            .spawn(move || forward_msix(fds, thread_stop, tx))?;
        Ok((
            MsixForwarder {
                stop,
                thread: Some(thread),
            },
            rx,
        ))
    }
}

/// One eventfd per MSI-X vector plus a stop eventfd, and the thread that polls them.
pub(crate) struct MsixForwarder {
    stop: Arc<OwnedFd>,
    thread: Option<JoinHandle<()>>,
}

impl MsixForwarder {
    /// Stops the thread; the vector eventfds close with it.
    pub(crate) fn stop(mut self) {
        // Wake the thread through the stop eventfd; it exits and drops the vector eventfds.
        let _ = write_eventfd(self.stop.as_raw_fd());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn new_eventfd() -> io::Result<OwnedFd> {
    // SAFETY: eventfd(2) takes no pointers; the result is checked before use.
    let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub fn write_eventfd(fd: RawFd) -> io::Result<()> {
    let one: u64 = 1;
    // SAFETY: writes the 8 bytes of `one`, a live local, to an eventfd.
    let n = unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
    if n == 8 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Reads (and so resets) an eventfd's counter; `false` when it was zero.
fn drain_eventfd(fd: RawFd) -> bool {
    let mut value: u64 = 0;
    // SAFETY: reads at most 8 bytes into `value`, a live local of 8 bytes.
    let n = unsafe { libc::read(fd, (&mut value as *mut u64).cast(), 8) };
    n == 8 && value != 0
}

/// Forwards MSI-X interrupts (eventfd `i` = vector `i`) to `tx` until `stop` is signalled or the
/// receiver is gone.
fn forward_msix(fds: Vec<OwnedFd>, stop: Arc<OwnedFd>, tx: crossbeam_channel::Sender<u16>) {
    let mut pollfds: Vec<libc::pollfd> = fds
        .iter()
        .map(|fd| fd.as_raw_fd())
        .chain(std::iter::once(stop.as_raw_fd()))
        .map(|fd| libc::pollfd {
            fd,
            events: libc::POLLIN,
            revents: 0,
        })
        .collect();
    loop {
        // SAFETY: `pollfds` is a live array of `len` pollfd structs; its descriptors stay open
        // (owned by `fds` and `stop`) for the whole call.
        let n = unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, -1) };
        if n < 0 {
            let err = io::Error::last_os_error();
            if err.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            log::error!("MSI-X forwarder: poll failed, stopping: {err}");
            return;
        }
        if pollfds.last().is_some_and(|p| p.revents != 0) {
            return;
        }
        for (vector, p) in pollfds[..fds.len()].iter_mut().enumerate() {
            if p.revents != 0 && drain_eventfd(p.fd) && tx.send(vector as u16).is_err() {
                return;
            }
            p.revents = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msix_forwarder_reports_vectors_and_stops() {
        let fds: Vec<OwnedFd> = (0..3).map(|_| new_eventfd().unwrap()).collect();
        let raw: Vec<RawFd> = fds.iter().map(|f| f.as_raw_fd()).collect();
        let stop = Arc::new(new_eventfd().unwrap());
        let (tx, rx) = crossbeam_channel::unbounded();
        let forwarder = MsixForwarder {
            stop: Arc::clone(&stop),
            thread: Some(std::thread::spawn(move || forward_msix(fds, stop, tx))),
        };
        write_eventfd(raw[2]).unwrap();
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap(),
            2
        );
        write_eventfd(raw[0]).unwrap();
        write_eventfd(raw[0]).unwrap();
        assert_eq!(
            rx.recv_timeout(std::time::Duration::from_secs(5)).unwrap(),
            0
        );
        forwarder.stop();
        // The two writes may have been drained one at a time (two 0s) or together (one): a
        // second 0 may still be queued. Nothing else may be, and then the channel disconnects.
        let rest: Vec<u16> = rx.iter().collect();
        assert!(rest.iter().all(|&v| v == 0), "{rest:?}");
        assert!(rest.len() <= 1, "{rest:?}");
    }
}
