// SPDX-License-Identifier: MIT OR Apache-2.0
//! vfio-user backend: a PCI function served by another process over a UNIX socket, e.g. the
//! simulated endpoint served by `peerbar sim serve --socket PATH` (docs/vfio-user.md).
//!
//! The protocol is QEMU's "vfio-user Protocol Specification" (version 0.1); its messages are
//! defined once, in [`wire`], for this client and the simulation's server. Config space, BAR0
//! and BAR2 accesses become REGION_READ/REGION_WRITE messages (a 1-8 byte access is one
//! message of that size, so the server issues one TLP as a CPU would), reset is DEVICE_RESET,
//! MSI-X is DEVICE_SET_IRQS with one eventfd per vector (the server signals them; a thread
//! forwards them to the channel [`Device::enable_msix`] returns).
//!
//! DMA memory ([`DmaPath`]) is by default shared memory: [`Device::alloc_dma_host_memory`]
//! hands [`crate::hostmem`] a sealed memfd-backed mapping, and [`Device::map_dma`] passes the
//! memfd with DMA_MAP, so the server maps the same pages and the device's DMA lands in them
//! directly. Any other memory (all of it with [`DmaPath::Messages`]) is mapped without an fd:
//! the server then sends DMA_READ/DMA_WRITE messages, which the connection's reader thread
//! serves from this process's memory. The reader thread also hands each reply to the caller
//! waiting for it, so that the server's DMA messages are served at any time, also while a
//! caller waits for its own reply.
//!
//! Several clients may share one server; the server gives each one that asks (the
//! `peerbar_iova_window` capability, an extension of this project) an IOVA window of its own,
//! which [`Device::iova_ranges`] returns, so two clients' DMA buffers never collide.

pub mod wire;

use std::collections::{BTreeMap, HashMap};
use std::io;
use std::ops::Range;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_channel::Sender;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::msix::{MsixEventfds, MsixForwarder};
use super::{bar_bus_addr_from_config, check_bar_access, check_config_access, Device};
use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::error::{Error, Result};
use crate::hostmem::HostMemError;
use wire::{command, flags, irq, region, Header, Message};

/// The capability key of this project's IOVA-window extension: a client sends
/// `"peerbar_iova_window": true` in its VERSION capabilities, and the server answers with
/// `"peerbar_iova_window": [[start, end], ...]`, the IOVA ranges this connection may map.
/// Other clients (QEMU) neither send nor receive it.
pub const IOVA_WINDOW_CAP: &str = "peerbar_iova_window";

/// What went wrong talking to a vfio-user server.
#[derive(Debug, thiserror::Error)]
pub enum VfioUserError {
    #[error("cannot connect to the vfio-user socket {path}: {source} (is `peerbar sim serve --socket {path}` running?)")]
    Connect {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{operation}: {source}")]
    Io {
        operation: String,
        #[source]
        source: io::Error,
    },
    #[error("receiving the reply to {command}: {source}")]
    Recv {
        command: &'static str,
        #[source]
        source: wire::RecvError,
    },
    /// The server answered with an error reply.
    #[error("the server refused {command}: {}", io::Error::from_raw_os_error(*errno))]
    Refused { command: &'static str, errno: i32 },
    /// The server's reply does not follow the protocol.
    #[error("protocol error: {0}")]
    Protocol(String),
}

impl From<VfioUserError> for Error {
    fn from(e: VfioUserError) -> Error {
        Error::VfioUser(Box::new(e))
    }
}

/// A connection to a vfio-user server: one PCI function.
pub struct VfioUserDevice {
    path: PathBuf,
    /// The connection, shared with its reader thread.
    link: Arc<Link>,
    reader: Option<std::thread::JoinHandle<()>>,
    /// Where DMA memory lives: shared memfds (default) or this process's own memory, served
    /// to the server's DMA_READ/DMA_WRITE.
    dma: DmaPath,
    /// Largest data payload per message (the server's `max_data_xfer_size`).
    max_xfer: usize,
    bar_lens: [Option<u64>; 6],
    config_len: u64,
    msix_vectors: u32,
    iova_ranges: Vec<Range<u64>>,
    /// Shared DMA memory this client allocated: host address -> (memfd, length).
    shared: Mutex<BTreeMap<usize, (OwnedFd, usize)>>,
    /// Live DMA mappings: IOVA -> host address (the key into `shared`).
    mapped: Mutex<BTreeMap<u64, usize>>,
    msix: Mutex<Option<MsixForwarder>>,
}

/// How the server reaches this client's DMA memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DmaPath {
    /// Buffers are memfds passed with DMA_MAP: the server maps them and the device's DMA lands
    /// in them directly.
    SharedMemory,
    /// Buffers are this process's private memory, mapped without an fd: every DMA is a
    /// DMA_READ/DMA_WRITE message the client's reader thread serves (slower; what a client
    /// does whose memory cannot be shared).
    Messages,
}

/// The socket and what the reader thread and the callers share.
struct Link {
    path: PathBuf,
    writer: Mutex<UnixStream>,
    /// Commands waiting for their reply, by message id.
    pending: Mutex<HashMap<u16, Sender<Message>>>,
    next_id: AtomicU16,
    closed: AtomicBool,
    /// Regions mapped without an fd: IOVA -> (host address, length). The reader serves the
    /// server's DMA_READ/DMA_WRITE from them; `map_dma`'s contract keeps them valid while here.
    served: Mutex<BTreeMap<u64, (usize, usize)>>,
}

impl Link {
    fn lock_pending(&self) -> std::sync::MutexGuard<'_, HashMap<u16, Sender<Message>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Reads the socket until it closes: replies to their waiters, the server's DMA commands
    /// served.
    fn read_loop(&self, stream: UnixStream) {
        loop {
            let msg = match wire::recv_message(&stream) {
                Ok(msg) => msg,
                Err(e) => {
                    if !matches!(e, wire::RecvError::Closed) {
                        log::warn!("vfio-user {}: {e}", self.path.display());
                    }
                    break;
                }
            };
            if msg.is_reply() {
                if let Some(tx) = self.lock_pending().remove(&msg.header.msg_id) {
                    let _ = tx.send(msg);
                }
                continue;
            }
            let answer = self.serve_dma(&msg);
            if msg.header.flags & flags::NO_REPLY != 0 {
                continue;
            }
            let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
            let sent = match answer {
                Ok(parts) => wire::send_reply(&w, &msg.header, &[&parts]),
                Err(errno) => wire::send_error(&w, &msg.header, errno),
            };
            if sent.is_err() {
                break;
            }
        }
        self.closed.store(true, Ordering::SeqCst);
        self.lock_pending().clear();
    }

    /// Carries out the server's DMA_READ/DMA_WRITE on a region mapped without an fd.
    fn serve_dma(&self, msg: &Message) -> std::result::Result<Vec<u8>, i32> {
        let cmd = msg.header.command;
        if cmd != command::DMA_READ && cmd != command::DMA_WRITE {
            log::warn!(
                "vfio-user server sent {} (msg {}); refused",
                wire::command_name(cmd),
                msg.header.msg_id
            );
            return Err(libc::EOPNOTSUPP);
        }
        let (access, data) = wire::split::<wire::DmaAccess>(&msg.payload).ok_or(libc::EINVAL)?;
        let count = usize::try_from(access.count).map_err(|_| libc::EINVAL)?;
        let served = self.served.lock().unwrap_or_else(|e| e.into_inner());
        let (&iova, &(host, len)) = served
            .range(..=access.address)
            .next_back()
            .ok_or(libc::EFAULT)?;
        let offset = (access.address - iova) as usize;
        if offset.checked_add(count).is_none_or(|end| end > len) {
            return Err(libc::EFAULT);
        }
        let mut out = access.as_bytes().to_vec();
        if cmd == command::DMA_READ {
            let mut bytes = vec![0u8; count];
            // SAFETY: `host + offset .. + count` lies inside a region mapped with `map_dma`,
            // whose contract keeps it allocated until `unmap_dma` returns, which removes it
            // from `served` first (under this lock). A plain copy, as a device's DMA read.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    (host + offset) as *const u8,
                    bytes.as_mut_ptr(),
                    count,
                );
            }
            out.extend_from_slice(&bytes);
        } else {
            if data.len() != count {
                return Err(libc::EINVAL);
            }
            // SAFETY: as above, for writes: the region is live and writable memory of this
            // process (a DMA buffer), and `data` is a distinct buffer.
            unsafe {
                std::ptr::copy_nonoverlapping(data.as_ptr(), (host + offset) as *mut u8, count);
            }
        }
        Ok(out)
    }
}

impl std::fmt::Debug for VfioUserDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VfioUserDevice")
            .field("path", &self.path)
            .field("bar_lens", &self.bar_lens)
            .finish_non_exhaustive()
    }
}

fn io_error(operation: impl Into<String>) -> impl FnOnce(io::Error) -> VfioUserError {
    let operation = operation.into();
    move |source| VfioUserError::Io { operation, source }
}

/// Reads `T` from the front of a reply's payload.
fn reply_struct<T: FromBytes + KnownLayout + Immutable>(
    command: u16,
    payload: &[u8],
) -> std::result::Result<(T, &[u8]), VfioUserError> {
    wire::split::<T>(payload).ok_or_else(|| {
        VfioUserError::Protocol(format!(
            "the reply to {} has {} bytes, too short for its {}-byte struct",
            wire::command_name(command),
            payload.len(),
            size_of::<T>()
        ))
    })
}

impl VfioUserDevice {
    /// Connects to the server at `path`, negotiates the version and reads the device's regions
    /// and interrupts.
    pub fn connect(path: &Path) -> Result<VfioUserDevice> {
        VfioUserDevice::connect_with(path, DmaPath::SharedMemory)
    }

    /// [`VfioUserDevice::connect`], with DMA memory where `dma` says.
    pub fn connect_with(path: &Path, dma: DmaPath) -> Result<VfioUserDevice> {
        let connect_error = |source| VfioUserError::Connect {
            path: path.to_owned(),
            source,
        };
        let stream = UnixStream::connect(path).map_err(connect_error)?;
        let reader_stream = stream.try_clone().map_err(connect_error)?;
        let link = Arc::new(Link {
            path: path.to_owned(),
            writer: Mutex::new(stream),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU16::new(1),
            closed: AtomicBool::new(false),
            served: Mutex::new(BTreeMap::new()),
        });
        let for_reader = Arc::clone(&link);
        let reader = std::thread::Builder::new()
            .name("peerbar-vfio-user".to_owned())
            .spawn(move || for_reader.read_loop(reader_stream))
            .map_err(io_error("starting the socket's reader thread"))?;
        let mut dev = VfioUserDevice {
            path: path.to_owned(),
            link,
            reader: Some(reader),
            dma,
            max_xfer: wire::MAX_DATA_XFER_SIZE as usize,
            bar_lens: [None; 6],
            config_len: 0,
            msix_vectors: 0,
            iova_ranges: Vec::new(),
            shared: Mutex::new(BTreeMap::new()),
            mapped: Mutex::new(BTreeMap::new()),
            msix: Mutex::new(None),
        };
        dev.negotiate()?;
        let info_req = wire::DeviceInfo {
            argsz: size_of::<wire::DeviceInfo>() as u32,
            ..Default::default()
        };
        let reply = dev.request(command::DEVICE_GET_INFO, &[info_req.as_bytes()], &[])?;
        let (info, _) = reply_struct::<wire::DeviceInfo>(command::DEVICE_GET_INFO, &reply)?;
        if info.flags & wire::DEVICE_FLAGS_PCI == 0 || info.num_regions <= region::CONFIG {
            return Err(VfioUserError::Protocol(format!(
                "the device is not a PCI device with a config region (flags {:#x}, {} regions)",
                info.flags, info.num_regions
            ))
            .into());
        }
        for index in (0..6).chain([region::CONFIG]) {
            let req = wire::RegionInfo {
                argsz: size_of::<wire::RegionInfo>() as u32,
                index,
                ..Default::default()
            };
            let reply = dev.request(command::DEVICE_GET_REGION_INFO, &[req.as_bytes()], &[])?;
            let (ri, _) =
                reply_struct::<wire::RegionInfo>(command::DEVICE_GET_REGION_INFO, &reply)?;
            let size = (ri.size > 0 && ri.flags & region::FLAG_READ != 0).then_some(ri.size);
            match index {
                region::CONFIG => dev.config_len = size.unwrap_or(0),
                bar => dev.bar_lens[bar as usize] = size,
            }
        }
        if info.num_irqs > irq::MSIX {
            let req = wire::IrqInfo {
                argsz: size_of::<wire::IrqInfo>() as u32,
                index: irq::MSIX,
                ..Default::default()
            };
            let reply = dev.request(command::DEVICE_GET_IRQ_INFO, &[req.as_bytes()], &[])?;
            let (ii, _) = reply_struct::<wire::IrqInfo>(command::DEVICE_GET_IRQ_INFO, &reply)?;
            dev.msix_vectors = ii.count;
        }
        log::info!(
            "vfio-user {}: BARs {:?}, config {} bytes, {} MSI-X vectors, IOVA {:x?}",
            path.display(),
            dev.bar_lens,
            dev.config_len,
            dev.msix_vectors,
            dev.iova_ranges
        );
        Ok(dev)
    }

    /// VERSION: ours and our capabilities out, the server's back.
    fn negotiate(&mut self) -> Result<()> {
        let caps = serde_json::json!({
            "capabilities": {
                "max_msg_fds": wire::MAX_MSG_FDS,
                "max_data_xfer_size": wire::MAX_DATA_XFER_SIZE,
                IOVA_WINDOW_CAP: true,
            }
        });
        let mut json = caps.to_string().into_bytes();
        json.push(0);
        let version = wire::Version {
            major: wire::VERSION_MAJOR,
            minor: wire::VERSION_MINOR,
        };
        let reply = self.request(command::VERSION, &[version.as_bytes(), &json], &[])?;
        let (theirs, rest) = reply_struct::<wire::Version>(command::VERSION, &reply)?;
        if theirs.major != wire::VERSION_MAJOR {
            return Err(VfioUserError::Protocol(format!(
                "the server speaks vfio-user {}.{}, this client {}.{}",
                theirs.major,
                theirs.minor,
                wire::VERSION_MAJOR,
                wire::VERSION_MINOR
            ))
            .into());
        }
        let caps = wire::Capabilities::parse(rest).map_err(VfioUserError::Protocol)?;
        self.max_xfer =
            (caps.max_data_xfer_size as usize).clamp(8, wire::MAX_DATA_XFER_SIZE as usize);
        self.iova_ranges = caps.iova_window.unwrap_or_default();
        Ok(())
    }

    /// Sends one command and waits for its reply; returns the reply's payload.
    fn request(&self, cmd: u16, parts: &[&[u8]], fds: &[RawFd]) -> Result<Vec<u8>> {
        let name = wire::command_name(cmd);
        let link = &self.link;
        let msg_id = link.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = crossbeam_channel::bounded(1);
        link.lock_pending().insert(msg_id, tx);
        let closed = || VfioUserError::Recv {
            command: name,
            source: wire::RecvError::Closed,
        };
        if link.closed.load(Ordering::SeqCst) {
            link.lock_pending().remove(&msg_id);
            return Err(closed().into());
        }
        let header = Header {
            msg_id,
            command: cmd,
            ..Default::default()
        };
        let sent = {
            let w = link.writer.lock().unwrap_or_else(|e| e.into_inner());
            wire::send_message(&w, header, parts, fds)
        };
        if let Err(e) = sent {
            link.lock_pending().remove(&msg_id);
            return Err(io_error(format!("sending {name} to {}", self.path.display()))(e).into());
        }
        let reply = rx.recv().map_err(|_| closed())?;
        if reply.header.command != cmd {
            return Err(VfioUserError::Protocol(format!(
                "expected the reply to {name} (msg {msg_id}), got one to {}",
                wire::command_name(reply.header.command),
            ))
            .into());
        }
        if reply.header.flags & flags::ERROR != 0 {
            return Err(VfioUserError::Refused {
                command: name,
                errno: reply.header.error as i32,
            }
            .into());
        }
        Ok(reply.payload)
    }

    /// REGION_READ of `buf.len()` bytes (at most one transfer) at `offset`.
    fn region_read_once(&self, index: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        let req = wire::RegionAccess {
            offset,
            region: index,
            count: buf.len() as u32,
        };
        let reply = self.request(command::REGION_READ, &[req.as_bytes()], &[])?;
        let (access, data) = reply_struct::<wire::RegionAccess>(command::REGION_READ, &reply)?;
        if access.count as usize != buf.len() || data.len() != buf.len() {
            return Err(VfioUserError::Protocol(format!(
                "REGION_READ of {} bytes answered with {} ({} bytes of data)",
                buf.len(),
                access.count,
                data.len()
            ))
            .into());
        }
        buf.copy_from_slice(data);
        Ok(())
    }

    fn region_write_once(&self, index: u32, offset: u64, data: &[u8]) -> Result<()> {
        let req = wire::RegionAccess {
            offset,
            region: index,
            count: data.len() as u32,
        };
        self.request(command::REGION_WRITE, &[req.as_bytes(), data], &[])?;
        Ok(())
    }

    fn region_read(&self, index: u32, offset: u64, buf: &mut [u8]) -> Result<()> {
        for (i, chunk) in buf.chunks_mut(self.max_xfer).enumerate() {
            self.region_read_once(index, offset + (i * self.max_xfer) as u64, chunk)?;
        }
        Ok(())
    }

    fn region_write(&self, index: u32, offset: u64, data: &[u8]) -> Result<()> {
        for (i, chunk) in data.chunks(self.max_xfer).enumerate() {
            self.region_write_once(index, offset + (i * self.max_xfer) as u64, chunk)?;
        }
        Ok(())
    }

    fn sized_read<const N: usize>(&self, bar: BarIndex, offset: BarOffset) -> Result<[u8; N]> {
        check_bar_access(self.bar_len(bar), bar, offset, N as u64, N as u64)?;
        let mut b = [0u8; N];
        self.region_read_once(u32::from(bar.get()), offset.get(), &mut b)?;
        Ok(b)
    }

    fn sized_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
        let n = data.len() as u64;
        check_bar_access(self.bar_len(bar), bar, offset, n, n)?;
        self.region_write_once(u32::from(bar.get()), offset.get(), data)
    }

    /// The shared allocation holding `host..host+len`: (memfd, offset into it, its base).
    fn shared_fd(&self, host: usize, len: usize) -> Option<(RawFd, u64, usize)> {
        let shared = self.shared.lock().unwrap_or_else(|e| e.into_inner());
        let (&base, (fd, size)) = shared.range(..=host).next_back()?;
        (host + len <= base + size).then(|| (fd.as_raw_fd(), (host - base) as u64, base))
    }
}

/// Creates `len` bytes of memfd-backed shared memory, mapped read/write.
fn shared_memory(len: usize) -> io::Result<(OwnedFd, NonNull<u8>)> {
    // SAFETY: memfd_create reads the NUL-terminated name, a static C string literal.
    let fd = unsafe {
        libc::memfd_create(
            c"peerbar-dma".as_ptr(),
            libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh descriptor that nothing else owns.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    // SAFETY: ftruncate and fcntl on a descriptor we own; no pointers. The seals promise the
    // server that the file never shrinks under its mapping (it checks).
    let sized = unsafe {
        libc::ftruncate(fd.as_raw_fd(), len as libc::off_t) == 0
            && libc::fcntl(
                fd.as_raw_fd(),
                libc::F_ADD_SEALS,
                libc::F_SEAL_SHRINK | libc::F_SEAL_GROW | libc::F_SEAL_SEAL,
            ) == 0
    };
    if !sized {
        return Err(io::Error::last_os_error());
    }
    let ptr = wire::map_fd(fd.as_raw_fd(), 0, len, wire::Sharing::Shared)?;
    Ok((fd, ptr))
}

macro_rules! sized {
    ($read:ident, $write:ident, $t:ty) => {
        fn $read(&self, bar: BarIndex, offset: BarOffset) -> Result<$t> {
            Ok(<$t>::from_le_bytes(self.sized_read(bar, offset)?))
        }

        fn $write(&self, bar: BarIndex, offset: BarOffset, value: $t) -> Result<()> {
            self.sized_write(bar, offset, &value.to_le_bytes())
        }
    };
}

impl Device for VfioUserDevice {
    fn describe(&self) -> String {
        format!("vfio-user:{}", self.path.display())
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        self.region_read(region::CONFIG, u64::from(offset), buf)
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        self.region_write(region::CONFIG, u64::from(offset), data)
    }

    fn bar_len(&self, bar: BarIndex) -> Option<u64> {
        self.bar_lens.get(usize::from(bar.get())).copied().flatten()
    }

    sized!(bar_read8, bar_write8, u8);
    sized!(bar_read16, bar_write16, u16);
    sized!(bar_read32, bar_write32, u32);
    sized!(bar_read64, bar_write64, u64);

    fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, buf.len() as u64, 1)?;
        self.region_read(u32::from(bar.get()), offset.get(), buf)
    }

    fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
        check_bar_access(self.bar_len(bar), bar, offset, data.len() as u64, 1)?;
        self.region_write(u32::from(bar.get()), offset.get(), data)
    }

    fn reset(&self) -> Result<()> {
        self.request(command::DEVICE_RESET, &[], &[])?;
        Ok(())
    }

    fn iova_ranges(&self) -> Result<Vec<Range<u64>>> {
        if self.iova_ranges.is_empty() {
            return Err(VfioUserError::Protocol(format!(
                "the server did not grant this client an IOVA window (capability {IOVA_WINDOW_CAP})"
            ))
            .into());
        }
        Ok(self.iova_ranges.clone())
    }

    fn alloc_dma_host_memory(&self, len: usize) -> Result<Option<NonNull<u8>>> {
        if self.dma == DmaPath::Messages {
            return Ok(None);
        }
        let (fd, ptr) = shared_memory(len).map_err(|source| HostMemError::Alloc { len, source })?;
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ptr.as_ptr() as usize, (fd, len));
        Ok(Some(ptr))
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        let Some((fd, offset, base)) = self.shared_fd(host as usize, len) else {
            // Private memory: mapped without an fd, served by the reader thread.
            let req = wire::DmaMap {
                argsz: size_of::<wire::DmaMap>() as u32,
                flags: wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE,
                offset: 0,
                address: iova.get(),
                size: len as u64,
            };
            self.link
                .served
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(iova.get(), (host as usize, len));
            if let Err(e) = self.request(command::DMA_MAP, &[req.as_bytes()], &[]) {
                self.link
                    .served
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .remove(&iova.get());
                return Err(e);
            }
            return Ok(());
        };
        let req = wire::DmaMap {
            argsz: size_of::<wire::DmaMap>() as u32,
            flags: wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE,
            offset,
            address: iova.get(),
            size: len as u64,
        };
        if let Err(e) = self.request(command::DMA_MAP, &[req.as_bytes()], &[fd]) {
            self.forget_shared(base);
            return Err(e);
        }
        self.mapped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(iova.get(), base);
        Ok(())
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        let req = wire::DmaUnmap {
            argsz: size_of::<wire::DmaUnmap>() as u32,
            flags: 0,
            address: iova.get(),
            size: len as u64,
        };
        self.request(command::DMA_UNMAP, &[req.as_bytes()], &[])?;
        // The server no longer reaches it: stop serving it before the caller frees it.
        self.link
            .served
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&iova.get());
        let host = self
            .mapped
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&iova.get());
        if let Some(host) = host {
            self.forget_shared(host);
        }
        Ok(())
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        bar_bus_addr_from_config(self, bar)
    }

    fn enable_msix(&self, vectors: u16) -> Result<crossbeam_channel::Receiver<u16>> {
        let msix_error = |operation: String| move |source| Error::Msix { operation, source };
        let mut slot = self.msix.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = slot.take() {
            old.stop();
        }
        if u32::from(vectors) > self.msix_vectors {
            return Err(Error::Msix {
                operation: format!("enabling {vectors} vectors on {}", self.describe()),
                source: io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("the function has {} MSI-X vectors", self.msix_vectors),
                ),
            });
        }
        let fds = MsixEventfds::new(vectors).map_err(msix_error("creating eventfds".to_owned()))?;
        let raw = fds.raw();
        let set = wire::IrqSet {
            argsz: size_of::<wire::IrqSet>() as u32,
            flags: irq::SET_DATA_EVENTFD | irq::SET_ACTION_TRIGGER,
            index: irq::MSIX,
            start: 0,
            count: u32::from(vectors),
        };
        self.request(command::DEVICE_SET_IRQS, &[set.as_bytes()], &raw)?;
        let (forwarder, rx) = fds
            .start()
            .map_err(msix_error("starting the forwarding thread".to_owned()))?;
        *slot = Some(forwarder);
        Ok(rx)
    }

    fn disable_msix(&self) -> Result<()> {
        let forwarder = self.msix.lock().unwrap_or_else(|e| e.into_inner()).take();
        let set = wire::IrqSet {
            argsz: size_of::<wire::IrqSet>() as u32,
            flags: irq::SET_DATA_NONE | irq::SET_ACTION_TRIGGER,
            index: irq::MSIX,
            start: 0,
            count: 0,
        };
        let result = self.request(command::DEVICE_SET_IRQS, &[set.as_bytes()], &[]);
        if let Some(f) = forwarder {
            f.stop();
        }
        result.map(|_| ())
    }
}

impl VfioUserDevice {
    /// Closes the memfd of the shared allocation at `host` (its mapping is the caller's to
    /// unmap: [`crate::hostmem`] munmaps it after `unmap_dma`).
    fn forget_shared(&self, host: usize) {
        self.shared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&host);
    }
}

impl Drop for VfioUserDevice {
    fn drop(&mut self) {
        if let Some(f) = self
            .msix
            .get_mut()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            f.stop();
        }
        // Closing the socket ends the reader thread.
        let _ = self
            .link
            .writer
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .shutdown(std::net::Shutdown::Both);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}
