// SPDX-License-Identifier: MIT OR Apache-2.0
//! The simulated endpoint served over vfio-user (`peerbar sim serve --socket PATH`): one
//! long-running simulation that any number of vfio-user clients (peerbar's own
//! `--device vfio-user:PATH`, and by the protocol QEMU's `vfio-user-pci`) drive at once.
//!
//! The messages are defined once in [`peerbar::device::vfio_user::wire`]; this module is the
//! server: an accept loop ([`Server::run`]) and per connection ([`Connection`]) a worker thread,
//! whose dispatcher turns each command into `Device` calls on the shared [`SimDevice`], and a
//! reader thread that also routes the client's replies to the server's DMA_READ/DMA_WRITE
//! (`peer`: client memory mapped without an fd, reached by messages).
//!
//! Rules for several clients (docs/vfio-user.md):
//! - every client sees the one device: registers, BAR2, queues and the IOMMU's mappings are
//!   shared, and a DEVICE_RESET from any client resets the function for all;
//! - DMA maps belong to the connection that made them and go when it disconnects. A client
//!   that asks for it (the `peerbar_iova_window` capability) gets an IOVA window of its own
//!   ([`WINDOW_SIZE`] bytes of the IOMMU's 64-bit range) and may map only inside it, so two
//!   peerbar clients never collide; any map that overlaps an existing one (whoever made it) is
//!   refused with EEXIST;
//! - MSI-X belongs to one client at a time: the first to attach eventfds with
//!   DEVICE_SET_IRQS; another client's attempt is refused with EBUSY until the owner detaches
//!   them (or disconnects). A client without interrupts (`regs --watch`) never needs them.
//!
//! - with an NVMe controller on the fabric ([`ServerState::with_nvme`]), a second socket serves
//!   it ([`Function::Nvme`]) as a device of its own: config space, BAR0 with its doorbells,
//!   MSI-X. Both devices sit behind the one IOMMU, as two functions in one VFIO container: a
//!   map made on either socket is reachable by both devices' DMA, and each one's DMA to the
//!   other's BAR goes peer to peer through the fabric (docs/vfio-user.md, "Two devices").
//!
//! Bad input never panics or hangs the server: a malformed command gets an error reply with an
//! errno (logged with the reason); a message whose size field is impossible (the stream has lost
//! its framing) ends that connection, logged; other connections go on.

mod conn;
mod peer;

use std::collections::BTreeSet;
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

pub use conn::{Connection, Refusal};

use crate::{SimDevice, SimNvme};

/// Size of the IOVA window each windowed client gets (16 GiB).
pub const WINDOW_SIZE: u64 = 16 << 30;
/// Where the windows start: the IOMMU's 64-bit range ([`crate::IOVA_RANGES`]`[1]`).
const WINDOWS_START: u64 = crate::fabric::IOVA_RANGES[1].start;
/// Windows that fit below the range's end.
pub const WINDOWS: u64 =
    (crate::fabric::IOVA_RANGES[1].end - crate::fabric::IOVA_RANGES[1].start) / WINDOW_SIZE;

/// IOVA ranges the served IOMMU accepts: the simulation's ([`crate::IOVA_RANGES`]) with the
/// low one starting at 0. A client that chooses its own addresses (QEMU) maps guest RAM at its
/// guest-physical addresses, from 0, until the guest turns its IOMMU on.
pub const SERVED_IOVA_RANGES: [std::ops::Range<u64>; 2] = [
    0..crate::fabric::IOVA_RANGES[0].end,
    crate::fabric::IOVA_RANGES[1].start..crate::fabric::IOVA_RANGES[1].end,
];

/// Which function of the simulation a socket serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Function {
    /// The peerbar endpoint (the RTL).
    Endpoint,
    /// The NVMe controller model on the same fabric ([`SimDevice::attach_nvme`]).
    Nvme,
}

impl Function {
    fn index(self) -> usize {
        match self {
            Function::Endpoint => 0,
            Function::Nvme => 1,
        }
    }
}

/// What the connections share: the simulation and who holds what.
pub struct ServerState {
    pub(crate) sim: SimDevice,
    /// The NVMe controller on the simulation's fabric, when it is served too.
    pub(crate) nvme: Option<SimNvme>,
    /// Window slots in use (one pool for both functions: they share the IOMMU).
    pub(crate) windows: Mutex<BTreeSet<u64>>,
    /// Per function ([`Function::index`]): the connection that owns its MSI-X, and its
    /// forwarding.
    pub(crate) irq: [Mutex<Option<conn::IrqOwner>>; 2],
    next_id: AtomicU64,
}

impl ServerState {
    /// State for serving the endpoint of `sim`.
    pub fn new(sim: SimDevice) -> Arc<ServerState> {
        ServerState::build(sim, None)
    }

    /// State for serving the endpoint of `sim` and `nvme`, the controller attached to its
    /// fabric ([`SimDevice::attach_nvme`]), each on a socket of its own.
    pub fn with_nvme(sim: SimDevice, nvme: SimNvme) -> Arc<ServerState> {
        ServerState::build(sim, Some(nvme))
    }

    fn build(sim: SimDevice, nvme: Option<SimNvme>) -> Arc<ServerState> {
        sim.set_iova_ranges(SERVED_IOVA_RANGES.to_vec());
        Arc::new(ServerState {
            sim,
            nvme,
            windows: Mutex::new(BTreeSet::new()),
            irq: [Mutex::new(None), Mutex::new(None)],
            next_id: AtomicU64::new(1),
        })
    }

    /// The simulation served.
    pub fn sim(&self) -> &SimDevice {
        &self.sim
    }

    /// The NVMe controller served, if any.
    pub fn nvme(&self) -> Option<&SimNvme> {
        self.nvme.as_ref()
    }

    /// The device a socket of `function` serves (`None`: no NVMe controller here).
    pub(crate) fn device(&self, function: Function) -> Option<&dyn peerbar::Device> {
        match function {
            Function::Endpoint => Some(&self.sim),
            Function::Nvme => self.nvme.as_ref().map(|n| n as &dyn peerbar::Device),
        }
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Takes a free IOVA window: (slot, range).
    pub(crate) fn take_window(&self) -> Option<(u64, std::ops::Range<u64>)> {
        let mut used = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let slot = (0..WINDOWS).find(|s| !used.contains(s))?;
        used.insert(slot);
        let start = WINDOWS_START + slot * WINDOW_SIZE;
        Some((slot, start..start + WINDOW_SIZE))
    }

    pub(crate) fn free_window(&self, slot: u64) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&slot);
    }
}

/// Sets the stop flag of a running [`Server`] (from a signal handler's thread).
#[derive(Clone)]
pub struct StopHandle(Arc<AtomicBool>);

impl StopHandle {
    pub fn stop(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

/// A vfio-user server listening on a UNIX socket for one function of a simulation. The socket
/// file is removed when it is dropped (after [`Server::run`], or when it never ran).
pub struct Server {
    listener: UnixListener,
    path: PathBuf,
    state: Arc<ServerState>,
    function: Function,
    stop: Arc<AtomicBool>,
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error("{path}: a server is already listening on this socket")]
    InUse { path: PathBuf },
    #[error("{path} exists and is not a socket; not replacing it")]
    NotASocket { path: PathBuf },
    /// (The io::Error is in the message, not a `source`: the message says it all once.)
    #[error("cannot listen on {path}: {error}")]
    Bind { path: PathBuf, error: io::Error },
    #[error("{path}: this simulation has no NVMe controller to serve")]
    NoNvme { path: PathBuf },
}

impl Server {
    /// Binds `path` (a stale socket file nobody listens on is replaced) for serving the
    /// endpoint of `sim`.
    pub fn bind(path: &Path, sim: SimDevice) -> Result<Server, ServeError> {
        Server::bind_function(path, ServerState::new(sim), Function::Endpoint)
    }

    /// Binds `path` for serving `function` of the simulation in `state` (several servers may
    /// share one state: the endpoint and the NVMe controller, one socket each).
    pub fn bind_function(
        path: &Path,
        state: Arc<ServerState>,
        function: Function,
    ) -> Result<Server, ServeError> {
        if state.device(function).is_none() {
            return Err(ServeError::NoNvme {
                path: path.to_owned(),
            });
        }
        if let Ok(meta) = std::fs::symlink_metadata(path) {
            use std::os::unix::fs::FileTypeExt;
            if !meta.file_type().is_socket() {
                return Err(ServeError::NotASocket {
                    path: path.to_owned(),
                });
            }
            if UnixStream::connect(path).is_ok() {
                return Err(ServeError::InUse {
                    path: path.to_owned(),
                });
            }
            log::info!("{}: replacing a stale socket", path.display());
            let _ = std::fs::remove_file(path);
        }
        let listener = UnixListener::bind(path).map_err(|error| ServeError::Bind {
            path: path.to_owned(),
            error,
        })?;
        Ok(Server {
            listener,
            path: path.to_owned(),
            state,
            function,
            stop: Arc::new(AtomicBool::new(false)),
        })
    }

    /// Makes SIGINT and SIGTERM stop [`Server::run`] (cleanly: connections closed, socket file
    /// removed) instead of ending the process.
    pub fn stop_on_signals(&self) -> io::Result<()> {
        for signal in [libc::SIGINT, libc::SIGTERM] {
            // SAFETY: a zeroed sigaction is a valid "no flags, empty mask" value; the handler
            // only stores to an atomic, which is async-signal-safe.
            let installed = unsafe {
                let mut action: libc::sigaction = std::mem::zeroed();
                action.sa_sigaction = on_stop_signal as extern "C" fn(libc::c_int) as usize;
                libc::sigemptyset(&mut action.sa_mask);
                libc::sigaction(signal, &action, std::ptr::null_mut())
            };
            if installed != 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst) || STOP_SIGNALLED.load(Ordering::SeqCst)
    }

    pub fn stop_handle(&self) -> StopHandle {
        StopHandle(Arc::clone(&self.stop))
    }

    pub fn state(&self) -> &Arc<ServerState> {
        &self.state
    }

    /// Serves until the stop handle is used: accepts clients, one thread each. Then closes every
    /// connection (each one's DMA maps and interrupts are released as on a disconnect), waits
    /// for their threads and removes the socket file (on drop).
    pub fn run(self) -> io::Result<()> {
        let mut clients: Vec<(UnixStream, std::thread::JoinHandle<()>)> = Vec::new();
        while !self.stopping() {
            if !wait_readable(&self.listener, 100)? {
                clients.retain(|(_, t)| !t.is_finished());
                continue;
            }
            let stream = match self.listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    log::warn!("vfio-user: accept failed: {e}");
                    continue;
                }
            };
            let closer = stream.try_clone()?;
            let state = Arc::clone(&self.state);
            let function = self.function;
            let thread = std::thread::Builder::new()
                .name("peerbar-vfio-user".into())
                .spawn(move || Connection::for_function(state, function).serve(stream))?;
            clients.push((closer, thread));
        }
        log::info!(
            "vfio-user: stopping, closing {} connection(s)",
            clients.len()
        );
        for (stream, _) in &clients {
            let _ = stream.shutdown(std::net::Shutdown::Both);
        }
        for (_, thread) in clients {
            let _ = thread.join();
        }
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Set by SIGINT/SIGTERM once [`Server::stop_on_signals`] has run.
static STOP_SIGNALLED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_stop_signal(_signal: libc::c_int) {
    STOP_SIGNALLED.store(true, Ordering::SeqCst);
}

/// Waits up to `ms` for the listener to have a connection; `false` on timeout or signal.
fn wait_readable(listener: &UnixListener, ms: i32) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd: listener.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: one live pollfd, its descriptor open for the whole call.
    let n = unsafe { libc::poll(&mut p, 1, ms) };
    if n < 0 {
        let e = io::Error::last_os_error();
        return if e.kind() == io::ErrorKind::Interrupted {
            Ok(false)
        } else {
            Err(e)
        };
    }
    Ok(n > 0)
}

#[cfg(test)]
mod tests;
