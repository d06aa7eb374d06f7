// SPDX-License-Identifier: MIT OR Apache-2.0
//! One client connection: its negotiated state, its DMA maps, and the dispatcher.

use std::collections::BTreeMap;
use std::ops::Range;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;

use peerbar::device::vfio_user::wire::{
    self, command, flags, irq, region, Capabilities, Header, Message,
};
use peerbar::device::vfio_user::IOVA_WINDOW_CAP;
use peerbar::{Device, Error};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::peer::Peer;
use super::{Function, ServerState};

mod dma_map;
mod irqs;
mod regions;

pub(crate) use irqs::IrqOwner;

/// A refused command: the errno of the error reply, and why (logged).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub errno: i32,
    pub why: String,
}

fn refuse<T>(errno: i32, why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal {
        errno,
        why: why.into(),
    })
}

/// A device error as the errno of a reply: bad arguments are EINVAL, the rest EIO.
fn device_refusal(e: Error) -> Refusal {
    let errno = match e {
        Error::OutOfRange { .. }
        | Error::Misaligned { .. }
        | Error::ConfigOutOfRange { .. }
        | Error::NoSuchBar { .. } => libc::EINVAL,
        _ => libc::EIO,
    };
    Refusal {
        errno,
        why: format!("{e}"),
    }
}
/// Client memory mapped into this process for the fabric.
struct Mapping {
    /// This process's mmap of the client's fd; `None` for a region reached by DMA_READ/WRITE.
    host: Option<*mut u8>,
    len: usize,
}

/// One client's connection to the server.
pub struct Connection {
    state: Arc<ServerState>,
    /// The function this connection serves, and its device.
    function: Function,
    device: Box<dyn Device>,
    /// Its MSI-X table size, from its MSI-X capability.
    msix_vectors: u16,
    /// Its Interrupt Pin is not 0: it has an INTx line to report.
    intx: bool,
    id: u64,
    negotiated: bool,
    max_xfer: u32,
    /// The IOVA window (slot, range), for a client that asked for one.
    window: Option<(u64, Range<u64>)>,
    maps: BTreeMap<u64, Mapping>,
    /// The sending side, while serving a socket (`None` when driven by `handle` alone).
    peer: Option<Arc<Peer>>,
}

// SAFETY: the raw pointers in `maps` are this connection's own mmaps of client memory, used
// only from the thread that holds the connection (and by the fabric under the simulation's
// lock, under map_dma's contract).
unsafe impl Send for Connection {}

/// Reads `T` from the front of a command's payload.
fn args<'p, T: FromBytes + KnownLayout + Immutable>(
    header: &Header,
    payload: &'p [u8],
) -> Result<(T, &'p [u8]), Refusal> {
    match wire::split::<T>(payload) {
        Some(v) => Ok(v),
        None => refuse(
            libc::EINVAL,
            format!(
                "{} carries {} bytes after the header, its struct needs {}",
                wire::command_name(header.command),
                payload.len(),
                size_of::<T>()
            ),
        ),
    }
}

impl Connection {
    /// A connection to the endpoint.
    pub fn new(state: Arc<ServerState>) -> Connection {
        Connection::for_function(state, Function::Endpoint)
    }

    /// A connection to `function`, which `state` must serve ([`super::Server::bind_function`]
    /// checks it before accepting anyone).
    pub(crate) fn for_function(state: Arc<ServerState>, function: Function) -> Connection {
        let id = state.next_id();
        let device: Box<dyn Device> = match function {
            Function::Endpoint => Box::new(state.sim.clone()),
            Function::Nvme => Box::new(
                state
                    .nvme
                    .clone()
                    .expect("bind_function refuses a state without the NVMe controller"),
            ),
        };
        // What the kernel's vfio-pci reports too: the MSI-X table size from the capability's
        // Message Control, and one INTx line when the Interrupt Pin register (config 3Dh, PCI
        // Base Spec "Interrupt Pin") is not 0.
        let msix_vectors = peerbar::config::msix_capability(&*device)
            .ok()
            .flatten()
            .map_or(0, |c| c.table_size);
        let mut pin = [0u8];
        let intx = device.config_read(0x3d, &mut pin).is_ok() && pin[0] != 0;
        Connection {
            state,
            function,
            device,
            msix_vectors,
            intx,
            id,
            negotiated: false,
            max_xfer: wire::MAX_DATA_XFER_SIZE,
            window: None,
            maps: BTreeMap::new(),
            peer: None,
        }
    }

    /// Serves `stream` until the client disconnects or breaks the framing; then releases what
    /// the client held (on drop). A reader thread takes every message off the socket: the
    /// client's replies (to DMA_READ/DMA_WRITE) go to whoever waits for them, its commands to
    /// this thread, which carries them out and replies.
    pub fn serve(mut self, stream: UnixStream) {
        // Clients do not see the simulation's clock; the log says how much simulated time
        // passed while each one was connected (what a measurement of a client's simulated
        // throughput reads).
        let connected_at = self.state.sim.stats().cycles;
        log::info!(
            "vfio-user: client {} connected ({:?})",
            self.id,
            self.function
        );
        let (reader_stream, writer) = match (stream.try_clone(), stream.try_clone()) {
            (Ok(r), Ok(w)) => (r, w),
            (Err(e), _) | (_, Err(e)) => {
                log::warn!(
                    "vfio-user: client {}: cannot clone the socket: {e}",
                    self.id
                );
                return;
            }
        };
        let peer = Arc::new(Peer::new(self.id, writer));
        self.peer = Some(Arc::clone(&peer));
        let (tx, rx) = crossbeam_channel::unbounded();
        let reader_peer = Arc::clone(&peer);
        let reader = std::thread::Builder::new()
            .name("peerbar-vfio-user-rx".into())
            .spawn(move || {
                loop {
                    match wire::recv_message(&reader_stream) {
                        Ok(msg) if msg.is_reply() => reader_peer.deliver(msg),
                        Ok(msg) => {
                            if tx.send(Ok(msg)).is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            break;
                        }
                    }
                }
                reader_peer.close();
            });
        let reader = match reader {
            Ok(r) => r,
            Err(e) => {
                log::warn!(
                    "vfio-user: client {}: cannot start its reader: {e}",
                    self.id
                );
                return;
            }
        };
        for received in rx {
            let msg = match received {
                Ok(msg) => msg,
                Err(wire::RecvError::Closed) => {
                    log::info!(
                        "vfio-user: client {} disconnected after {} simulated cycles",
                        self.id,
                        self.state.sim.stats().cycles.saturating_sub(connected_at)
                    );
                    break;
                }
                Err(e) => {
                    log::warn!("vfio-user: client {}: {e}; closing the connection", self.id);
                    if let wire::RecvError::BadSize {
                        msg_id, command, ..
                    } = e
                    {
                        let header = Header {
                            msg_id,
                            command,
                            ..Default::default()
                        };
                        let _ = peer.send(
                            Header {
                                flags: flags::TYPE_REPLY | flags::ERROR,
                                error: libc::E2BIG as u32,
                                ..header
                            },
                            &[],
                        );
                    }
                    break;
                }
            };
            let handled = self.handle(msg);
            // The device's refused DMAs, said where the server's user sees them (and not kept
            // for ever: the fabric's list would grow for as long as the server runs).
            for fault in self.state.sim.take_faults() {
                log::warn!("vfio-user: the device's DMA was refused: {fault}");
            }
            if let Some((header, result)) = handled {
                let reply = Header {
                    msg_id: header.msg_id,
                    command: header.command,
                    flags: flags::TYPE_REPLY,
                    ..Default::default()
                };
                let sent = match &result {
                    Ok(payload) => peer.send(reply, &[payload]),
                    Err(errno) => peer.send(
                        Header {
                            flags: flags::TYPE_REPLY | flags::ERROR,
                            error: *errno as u32,
                            ..reply
                        },
                        &[],
                    ),
                };
                if let Err(e) = sent {
                    log::info!("vfio-user: client {} gone while replying: {e}", self.id);
                    break;
                }
            }
        }
        let _ = stream.shutdown(std::net::Shutdown::Both);
        peer.close();
        let _ = reader.join();
    }

    /// Handles one message: the reply to send (header of the command, payload or errno), or
    /// `None` when nothing is to be sent (NO_REPLY, or a stray reply).
    pub fn handle(&mut self, msg: Message) -> Option<(Header, Result<Vec<u8>, i32>)> {
        let header = msg.header;
        if msg.is_reply() {
            log::warn!(
                "vfio-user: client {}: unexpected reply (msg {}, {}); ignored",
                self.id,
                header.msg_id,
                wire::command_name(header.command)
            );
            return None;
        }
        let result = self.dispatch(&header, &msg.payload, msg.fds);
        if let Err(r) = &result {
            log::warn!(
                "vfio-user: client {}: {} (msg {}) refused ({}): {}",
                self.id,
                wire::command_name(header.command),
                header.msg_id,
                std::io::Error::from_raw_os_error(r.errno),
                r.why
            );
        }
        if header.flags & flags::NO_REPLY != 0 {
            return None;
        }
        Some((header, result.map_err(|r| r.errno)))
    }

    /// Carries out one command; its reply payload.
    pub fn dispatch(
        &mut self,
        header: &Header,
        payload: &[u8],
        fds: Vec<OwnedFd>,
    ) -> Result<Vec<u8>, Refusal> {
        if header.flags & flags::TYPE_MASK != flags::TYPE_COMMAND {
            return refuse(
                libc::EINVAL,
                format!("message type {:#x}", header.flags & flags::TYPE_MASK),
            );
        }
        let takes_fds = matches!(header.command, command::DMA_MAP | command::DEVICE_SET_IRQS);
        if !fds.is_empty() && !takes_fds {
            return refuse(
                libc::EINVAL,
                format!(
                    "{} file descriptor(s) with a command that takes none",
                    fds.len()
                ),
            );
        }
        if header.command != command::VERSION && !self.negotiated {
            return refuse(libc::EINVAL, "the first message must be VERSION");
        }
        match header.command {
            command::VERSION => self.version(header, payload),
            command::DEVICE_GET_INFO => {
                args::<wire::DeviceInfo>(header, payload)?;
                let info = wire::DeviceInfo {
                    argsz: size_of::<wire::DeviceInfo>() as u32,
                    flags: wire::DEVICE_FLAGS_RESET | wire::DEVICE_FLAGS_PCI,
                    num_regions: region::COUNT,
                    num_irqs: irq::COUNT,
                };
                Ok(info.as_bytes().to_vec())
            }
            command::DEVICE_GET_REGION_INFO => {
                let (req, _) = args::<wire::RegionInfo>(header, payload)?;
                if req.index >= region::COUNT {
                    return refuse(libc::EINVAL, format!("no region {}", req.index));
                }
                let size = self.region_size(req.index).unwrap_or(0);
                let info = wire::RegionInfo {
                    argsz: size_of::<wire::RegionInfo>() as u32,
                    flags: if size > 0 {
                        region::FLAG_READ | region::FLAG_WRITE
                    } else {
                        0
                    },
                    index: req.index,
                    cap_offset: 0,
                    size,
                    offset: 0,
                };
                Ok(info.as_bytes().to_vec())
            }
            command::DEVICE_GET_IRQ_INFO => {
                let (req, _) = args::<wire::IrqInfo>(header, payload)?;
                if req.index >= irq::COUNT {
                    return refuse(libc::EINVAL, format!("no interrupt index {}", req.index));
                }
                let (flags, count) = match req.index {
                    irq::MSIX => (
                        irq::INFO_EVENTFD | irq::INFO_NORESIZE,
                        u32::from(self.msix_vectors),
                    ),
                    // The endpoint's Interrupt Pin is INTA (the block's default, PG213's
                    // "Legacy Interrupt Settings"), so a VFIO client expects one INTx line,
                    // as the kernel's vfio-pci reports it. The RTL never asserts it. The NVMe
                    // model's pin is 0: no line, as vfio-pci reports such a function.
                    irq::INTX if self.intx => (
                        irq::INFO_EVENTFD | irq::INFO_MASKABLE | irq::INFO_AUTOMASKED,
                        1,
                    ),
                    _ => (0, 0),
                };
                let info = wire::IrqInfo {
                    argsz: size_of::<wire::IrqInfo>() as u32,
                    flags,
                    index: req.index,
                    count,
                };
                Ok(info.as_bytes().to_vec())
            }
            command::DEVICE_SET_IRQS => self.set_irqs(header, payload, fds),
            command::REGION_READ => self.region_read(header, payload),
            command::REGION_WRITE => self.region_write(header, payload),
            command::DMA_MAP => self.dma_map(header, payload, fds),
            command::DMA_UNMAP => self.dma_unmap(header, payload),
            command::DEVICE_RESET => {
                log::info!("vfio-user: client {}: {:?} reset", self.id, self.function);
                self.device.reset().map_err(device_refusal)?;
                Ok(Vec::new())
            }
            command::DMA_READ | command::DMA_WRITE => refuse(
                libc::EINVAL,
                "DMA_READ/DMA_WRITE are sent by the server, not to it",
            ),
            other => refuse(
                libc::EOPNOTSUPP,
                format!(
                    "command {other} ({}) is not supported",
                    wire::command_name(other)
                ),
            ),
        }
    }

    fn version(&mut self, header: &Header, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        if self.negotiated {
            return refuse(libc::EINVAL, "VERSION was already negotiated");
        }
        let (theirs, rest) = args::<wire::Version>(header, payload)?;
        if theirs.major != wire::VERSION_MAJOR {
            return refuse(
                libc::ENOTSUP,
                format!(
                    "the client speaks vfio-user {}.{}, this server {}.{}",
                    theirs.major,
                    theirs.minor,
                    wire::VERSION_MAJOR,
                    wire::VERSION_MINOR
                ),
            );
        }
        let caps = Capabilities::parse(rest).map_err(|why| Refusal {
            errno: libc::EINVAL,
            why,
        })?;
        self.max_xfer = caps.max_data_xfer_size.clamp(8, wire::MAX_DATA_XFER_SIZE);
        if let Some(peer) = &self.peer {
            peer.max_xfer
                .store(self.max_xfer, std::sync::atomic::Ordering::Relaxed);
        }
        let mut reply_caps = serde_json::json!({
            "max_msg_fds": wire::MAX_MSG_FDS,
            "max_data_xfer_size": self.max_xfer,
            "pgsizes": 4096,
            "max_dma_maps": 65535,
        });
        if caps.iova_window.is_some() {
            match self.state.take_window() {
                Some((slot, range)) => {
                    log::info!(
                        "vfio-user: client {} gets IOVA window {:#x}..{:#x}",
                        self.id,
                        range.start,
                        range.end
                    );
                    reply_caps[IOVA_WINDOW_CAP] = serde_json::json!([[range.start, range.end]]);
                    self.window = Some((slot, range));
                }
                None => log::warn!(
                    "vfio-user: client {}: all {} IOVA windows are taken; it gets none",
                    self.id,
                    super::WINDOWS
                ),
            }
        }
        self.negotiated = true;
        let version = wire::Version {
            major: wire::VERSION_MAJOR,
            minor: wire::VERSION_MINOR.min(theirs.minor),
        };
        let mut out = version.as_bytes().to_vec();
        out.extend_from_slice(
            serde_json::json!({ "capabilities": reply_caps })
                .to_string()
                .as_bytes(),
        );
        out.push(0);
        Ok(out)
    }
}

impl Drop for Connection {
    /// A disconnect: the client's DMA maps and interrupts go, the device state stays.
    fn drop(&mut self) {
        self.unmap_all();
        self.release_irqs();
        if let Some((slot, _)) = self.window.take() {
            self.state.free_window(slot);
        }
    }
}
