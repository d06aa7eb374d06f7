// SPDX-License-Identifier: MIT OR Apache-2.0
//! One client connection: its negotiated state, its DMA maps, and the dispatcher.

use std::collections::BTreeMap;
use std::ops::Range;
use std::os::fd::{AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::sync::{Arc, Mutex};

use peerbar::device::vfio_user::wire::{
    self, command, flags, irq, region, Capabilities, Header, Message,
};
use peerbar::device::vfio_user::IOVA_WINDOW_CAP;
use peerbar::device::write_eventfd;
use peerbar::device::CONFIG_SPACE_LEN;
use peerbar::{BarIndex, BarOffset, BusAddr, Device, Error};
use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::peer::{Peer, RemoteWindow};
use super::{Function, ServerState};

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

/// The connection that owns MSI-X: its eventfds by vector and the forwarding thread.
pub(crate) struct IrqOwner {
    conn: u64,
    fds: Arc<Mutex<Vec<Option<OwnedFd>>>>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Vectors enabled in the device (MSI-X table entries programmed).
    enabled: u16,
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

    /// Size of a region, `None` when the device has no such region.
    fn region_size(&self, index: u32) -> Option<u64> {
        match index {
            region::CONFIG => Some(CONFIG_SPACE_LEN as u64),
            0..=5 => self.device.bar_len(BarIndex::new(index as u8)?),
            _ => None,
        }
    }

    /// Checks an access: the region exists, the bytes lie inside it, the size is allowed.
    fn check_access(&self, access: &wire::RegionAccess) -> Result<(), Refusal> {
        let Some(size) = self.region_size(access.region) else {
            return refuse(libc::EINVAL, format!("no region {}", access.region));
        };
        if access.count > self.max_xfer {
            return refuse(
                libc::E2BIG,
                format!(
                    "{} bytes in one access, at most {}",
                    access.count, self.max_xfer
                ),
            );
        }
        let end = access.offset.checked_add(u64::from(access.count));
        if end.is_none_or(|end| end > size) {
            return refuse(
                libc::EINVAL,
                format!(
                    "{} bytes at {:#x} run past the end of region {} ({size:#x} bytes)",
                    access.count, access.offset, access.region
                ),
            );
        }
        Ok(())
    }

    fn region_read(&mut self, header: &Header, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        let (access, _) = args::<wire::RegionAccess>(header, payload)?;
        self.check_access(&access)?;
        let mut data = vec![0u8; access.count as usize];
        let dev = &*self.device;
        if access.region == region::CONFIG {
            dev.config_read(access.offset as u16, &mut data)
        } else {
            let bar = BarIndex::new(access.region as u8).expect("check_access found the region");
            let at = BarOffset::new(access.offset);
            let aligned = access.offset % u64::from(access.count.max(1)) == 0;
            match (access.count, aligned) {
                (1, _) => dev.bar_read8(bar, at).map(|v| data.copy_from_slice(&[v])),
                (2, true) => dev
                    .bar_read16(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                (4, true) => dev
                    .bar_read32(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                (8, true) => dev
                    .bar_read64(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                _ => dev.bar_read(bar, at, &mut data),
            }
        }
        .map_err(device_refusal)?;
        let mut out = access.as_bytes().to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    fn region_write(&mut self, header: &Header, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        let (access, data) = args::<wire::RegionAccess>(header, payload)?;
        self.check_access(&access)?;
        if data.len() != access.count as usize {
            return refuse(
                libc::EINVAL,
                format!(
                    "REGION_WRITE of {} bytes carries {}",
                    access.count,
                    data.len()
                ),
            );
        }
        let dev = &*self.device;
        if access.region == region::CONFIG {
            dev.config_write(access.offset as u16, data)
        } else {
            let bar = BarIndex::new(access.region as u8).expect("check_access found the region");
            let at = BarOffset::new(access.offset);
            let aligned = access.offset % u64::from(access.count.max(1)) == 0;
            match (data, aligned) {
                (&[b], _) => dev.bar_write8(bar, at, b),
                (&[a, b], true) => dev.bar_write16(bar, at, u16::from_le_bytes([a, b])),
                (d, true) if d.len() == 4 => {
                    dev.bar_write32(bar, at, u32::from_le_bytes(d.try_into().expect("4 bytes")))
                }
                (d, true) if d.len() == 8 => {
                    dev.bar_write64(bar, at, u64::from_le_bytes(d.try_into().expect("8 bytes")))
                }
                (d, _) => dev.bar_write(bar, at, d),
            }
        }
        .map_err(device_refusal)?;
        Ok(access.as_bytes().to_vec())
    }

    fn dma_map(
        &mut self,
        header: &Header,
        payload: &[u8],
        mut fds: Vec<OwnedFd>,
    ) -> Result<Vec<u8>, Refusal> {
        let (map, _) = args::<wire::DmaMap>(header, payload)?;
        let fd = match fds.len() {
            0 => None,
            1 => fds.pop(),
            n => {
                return refuse(
                    libc::EINVAL,
                    format!("DMA_MAP with {n} file descriptors: one at most"),
                )
            }
        };
        let page = 4096u64;
        let end = map.address.checked_add(map.size);
        if map.size == 0
            || map.size % page != 0
            || map.address % page != 0
            || map.offset % page != 0
            || end.is_none()
            || usize::try_from(map.size).is_err()
        {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_MAP of {:#x} bytes at IOVA {:#x} (file offset {:#x}): all must be 4 KiB multiples, size not 0",
                    map.size, map.address, map.offset
                ),
            );
        }
        let range = map.address..end.expect("checked");
        // Read and write: shared with the client. Read only (QEMU maps ROM so): a private
        // copy-on-write mapping, so a device write never reaches the client's memory. Write
        // only cannot be enforced by the fabric.
        let sharing = match map.flags & (wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE) {
            f if f == wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE => wire::Sharing::Shared,
            wire::DMA_FLAG_READ => wire::Sharing::Private,
            _ => {
                return refuse(
                    libc::ENOTSUP,
                    format!(
                        "DMA_MAP flags {:#x}: READ, or READ and WRITE, are supported",
                        map.flags
                    ),
                )
            }
        };
        if let Some((_, window)) = &self.window {
            if range.start < window.start || range.end > window.end {
                return refuse(
                    libc::EINVAL,
                    format!(
                        "IOVA {:#x}..{:#x} is outside this client's window {:#x}..{:#x}",
                        range.start, range.end, window.start, window.end
                    ),
                );
            }
        }
        if let Some((s, l)) = self
            .state
            .sim
            .iommu_mappings()
            .into_iter()
            .find(|&(s, l)| s < range.end && range.start < s + l)
        {
            return refuse(
                libc::EEXIST,
                format!(
                    "IOVA {:#x}..{:#x} overlaps the mapping {s:#x}..{:#x} (this or another client's)",
                    range.start,
                    range.end,
                    s + l
                ),
            );
        }
        let len = map.size as usize;
        let Some(fd) = fd else {
            return self.map_remote(map.address, len, sharing == wire::Sharing::Shared);
        };
        check_shared_fd(&fd, map.offset, map.size)?;
        // The file cannot shrink under the mapping (F_SEAL_SHRINK, checked above), so every
        // byte of it stays accessible.
        let host = match wire::map_fd(fd.as_raw_fd(), map.offset, len, sharing) {
            Ok(host) => host.as_ptr(),
            Err(e) => {
                return refuse(
                    e.raw_os_error().unwrap_or(libc::EINVAL),
                    format!("cannot mmap the client's memory: {e}"),
                )
            }
        };
        // SAFETY: `host..host+len` is our own mapping, valid for reads and writes; it stays
        // until `unmap_one` has removed it from the fabric (in `dma_unmap` or on drop).
        if let Err(e) = unsafe { self.state.sim.map_dma(host, len, BusAddr::new(map.address)) } {
            // SAFETY: the mapping made above, never handed to the fabric.
            unsafe { libc::munmap(host.cast(), len) };
            return Err(device_refusal(e));
        }
        self.maps.insert(
            map.address,
            Mapping {
                host: Some(host),
                len,
            },
        );
        log::debug!(
            "vfio-user: client {} mapped {:#x}..{:#x}",
            self.id,
            range.start,
            range.end
        );
        Ok(Vec::new())
    }

    /// A DMA_MAP without an fd: the fabric reaches the region by DMA_READ/DMA_WRITE messages
    /// to the client (writes refused when the client mapped it read-only).
    fn map_remote(&mut self, iova: u64, len: usize, writable: bool) -> Result<Vec<u8>, Refusal> {
        let Some(peer) = &self.peer else {
            return refuse(
                libc::ENOTSUP,
                "DMA_MAP without an fd needs a connection the server can send DMA_READ/DMA_WRITE on",
            );
        };
        let window = RemoteWindow {
            peer: Arc::clone(peer),
            iova,
            writable,
        };
        self.state
            .sim
            .map_remote(BusAddr::new(iova), len, Arc::new(window))
            .map_err(device_refusal)?;
        self.maps.insert(iova, Mapping { host: None, len });
        log::debug!(
            "vfio-user: client {} mapped {iova:#x}..{:#x} (DMA_READ/DMA_WRITE)",
            self.id,
            iova + len as u64
        );
        Ok(Vec::new())
    }

    fn dma_unmap(&mut self, header: &Header, payload: &[u8]) -> Result<Vec<u8>, Refusal> {
        let (unmap, _) = args::<wire::DmaUnmap>(header, payload)?;
        if unmap.flags & wire::DMA_UNMAP_FLAG_ALL != 0 {
            self.unmap_all();
            return Ok(unmap.as_bytes().to_vec());
        }
        if unmap.flags != 0 {
            return refuse(libc::ENOTSUP, format!("DMA_UNMAP flags {:#x}", unmap.flags));
        }
        // As the kernel's type1 VFIO_IOMMU_UNMAP_DMA: a size of 0 or a range not in whole
        // pages is invalid.
        if unmap.size == 0 || unmap.size % 4096 != 0 || unmap.address % 4096 != 0 {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_UNMAP of {:#x} bytes at {:#x}: not whole 4 KiB pages",
                    unmap.size, unmap.address
                ),
            );
        }
        let Some(end) = unmap.address.checked_add(unmap.size) else {
            return refuse(libc::EINVAL, "DMA_UNMAP range overflows");
        };
        let inside: Vec<u64> = self
            .maps
            .range(unmap.address..end)
            .filter(|(&s, m)| s + m.len as u64 <= end)
            .map(|(&s, _)| s)
            .collect();
        let partial = self.maps.iter().any(|(&s, m)| {
            let e = s + m.len as u64;
            s < end && unmap.address < e && (s < unmap.address || e > end)
        });
        if partial {
            return refuse(
                libc::EINVAL,
                format!(
                    "DMA_UNMAP {:#x}..{end:#x} cuts a mapping in two",
                    unmap.address
                ),
            );
        }
        // A range that holds no mapping unmaps nothing and succeeds, as the kernel's type1
        // VFIO_IOMMU_UNMAP_DMA does (QEMU unmaps whole power-of-two blocks of its address
        // space when the guest's IOMMU mappings change, most of them empty).
        if inside.is_empty() {
            log::debug!(
                "vfio-user: client {}: DMA_UNMAP {:#x}..{end:#x}: nothing mapped there",
                self.id,
                unmap.address
            );
        }
        for iova in inside {
            self.unmap_one(iova);
        }
        Ok(unmap.as_bytes().to_vec())
    }

    /// Removes one mapping from the fabric, then from this process.
    fn unmap_one(&mut self, iova: u64) {
        let Some(m) = self.maps.remove(&iova) else {
            return;
        };
        match self.state.sim.unmap_dma(BusAddr::new(iova), m.len) {
            Ok(()) => {
                if let Some(host) = m.host {
                    // SAFETY: the fabric no longer reaches the mapping; it is ours to release.
                    unsafe { libc::munmap(host.cast(), m.len) };
                }
            }
            Err(e) => log::error!(
                "vfio-user: client {}: unmapping {iova:#x} from the fabric failed ({e}); keeping its memory mapped",
                self.id
            ),
        }
    }

    fn unmap_all(&mut self) {
        let all: Vec<u64> = self.maps.keys().copied().collect();
        for iova in all {
            self.unmap_one(iova);
        }
    }

    fn set_irqs(
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
    fn release_irqs(&mut self) {
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

/// Checks that the client's file may be mapped: its size covers `offset + size` and it cannot
/// shrink (F_SEAL_SHRINK: a file cut short under the mapping would kill the server with SIGBUS
/// at the device's next DMA).
fn check_shared_fd(fd: &OwnedFd, offset: u64, size: u64) -> Result<(), Refusal> {
    // SAFETY: fcntl on a descriptor we own; no pointers.
    let seals = unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_GET_SEALS) };
    if seals < 0 || seals & libc::F_SEAL_SHRINK == 0 {
        return refuse(
            libc::EINVAL,
            "the DMA memory's fd must be a memfd sealed against shrinking (F_SEAL_SHRINK; \
             QEMU: memory-backend-memfd, seal=on)",
        );
    }
    // SAFETY: fstat writes into `st`, a live local of the right type.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return refuse(libc::EINVAL, "cannot fstat the DMA memory's fd");
    }
    if offset
        .checked_add(size)
        .is_none_or(|end| end > st.st_size as u64)
    {
        return refuse(
            libc::EINVAL,
            format!(
                "{size:#x} bytes at offset {offset:#x} run past the end of the fd ({:#x} bytes)",
                st.st_size
            ),
        );
    }
    Ok(())
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
