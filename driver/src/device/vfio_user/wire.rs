// SPDX-License-Identifier: MIT OR Apache-2.0
//! The vfio-user protocol on the wire: the one definition of its messages, used by the client
//! ([`super::VfioUserDevice`]) and by the simulation's server (`peerbar_sim::vfio_user`).
//!
//! Source: QEMU's `docs/interop/vfio-user.rst` ("vfio-user Protocol Specification", version
//! 0.1). Every message starts with a 16-byte [`Header`]; the structs after it mirror the
//! kernel's VFIO ioctl structs. Fields are in the host's byte order: both ends share one
//! machine (a UNIX socket). File descriptors (DMA memory, eventfds) travel as `SCM_RIGHTS`
//! ancillary data of the message that names them ([`send_message`], [`recv_message`]).

use std::io::{self, IoSlice, IoSliceMut};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::UnixStream;

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// Protocol version this implementation speaks (major.minor).
pub const VERSION_MAJOR: u16 = 0;
pub const VERSION_MINOR: u16 = 1;

/// Largest data payload of one REGION_READ/WRITE or DMA_READ/WRITE (the `max_data_xfer_size`
/// capability; also the spec's default).
pub const MAX_DATA_XFER_SIZE: u32 = 1 << 20;
/// File descriptors one message may carry (the `max_msg_fds` capability; the spec's default is
/// 1, MSI-X needs one eventfd per vector).
pub const MAX_MSG_FDS: u32 = 16;
/// Largest whole message accepted: a maximal transfer plus its header and access struct, with
/// room to spare for a VERSION message's JSON. Anything larger is refused unread.
pub const MAX_MESSAGE_SIZE: u32 = MAX_DATA_XFER_SIZE + 4096;

/// Message commands (`Header::command`).
pub mod command {
    pub const VERSION: u16 = 1;
    pub const DMA_MAP: u16 = 2;
    pub const DMA_UNMAP: u16 = 3;
    pub const DEVICE_GET_INFO: u16 = 4;
    pub const DEVICE_GET_REGION_INFO: u16 = 5;
    pub(crate) const DEVICE_GET_REGION_IO_FDS: u16 = 6;
    pub const DEVICE_GET_IRQ_INFO: u16 = 7;
    pub const DEVICE_SET_IRQS: u16 = 8;
    pub const REGION_READ: u16 = 9;
    pub const REGION_WRITE: u16 = 10;
    pub const DMA_READ: u16 = 11;
    pub const DMA_WRITE: u16 = 12;
    pub const DEVICE_RESET: u16 = 13;
}

/// `Header::flags` bits.
pub mod flags {
    /// Bits 3:0: message type.
    pub const TYPE_MASK: u32 = 0xf;
    pub const TYPE_COMMAND: u32 = 0;
    pub const TYPE_REPLY: u32 = 1;
    /// The sender wants no reply (commands only).
    pub const NO_REPLY: u32 = 1 << 4;
    /// A reply carrying an errno in `Header::error`.
    pub const ERROR: u32 = 1 << 5;
}

/// Region indices of a PCI device (VFIO_PCI_*_REGION_INDEX).
pub mod region {
    pub const BAR0: u32 = 0;
    pub const BAR2: u32 = 2;
    pub const ROM: u32 = 6;
    pub const CONFIG: u32 = 7;
    pub const VGA: u32 = 8;
    /// Regions a PCI device reports (BAR0-5, ROM, config, VGA).
    pub const COUNT: u32 = 9;
    /// `RegionInfo::flags`: VFIO_REGION_INFO_FLAG_READ / _WRITE.
    pub const FLAG_READ: u32 = 1 << 0;
    pub const FLAG_WRITE: u32 = 1 << 1;
}

/// Interrupt indices and flags (VFIO_PCI_*_IRQ_INDEX, VFIO_IRQ_INFO_*, VFIO_IRQ_SET_*).
pub mod irq {
    pub const INTX: u32 = 0;
    pub const MSI: u32 = 1;
    pub const MSIX: u32 = 2;
    pub const ERR: u32 = 3;
    pub const REQ: u32 = 4;
    /// Interrupt indices a PCI device reports.
    pub const COUNT: u32 = 5;
    pub const INFO_EVENTFD: u32 = 1 << 0;
    pub const INFO_MASKABLE: u32 = 1 << 1;
    pub const INFO_AUTOMASKED: u32 = 1 << 2;
    pub const INFO_NORESIZE: u32 = 1 << 3;
    pub const SET_DATA_NONE: u32 = 1 << 0;
    pub const SET_DATA_BOOL: u32 = 1 << 1;
    pub const SET_DATA_EVENTFD: u32 = 1 << 2;
    pub const SET_DATA_TYPE_MASK: u32 = 0x7;
    pub const SET_ACTION_MASK: u32 = 1 << 3;
    pub const SET_ACTION_UNMASK: u32 = 1 << 4;
    pub const SET_ACTION_TRIGGER: u32 = 1 << 5;
    pub const SET_ACTION_TYPE_MASK: u32 = 0x38;
}

/// `DeviceInfo::flags`: VFIO_DEVICE_FLAGS_RESET | VFIO_DEVICE_FLAGS_PCI.
pub const DEVICE_FLAGS_RESET: u32 = 1 << 0;
pub const DEVICE_FLAGS_PCI: u32 = 1 << 1;
/// `DmaMap::flags`: the device may read / write the region.
pub const DMA_FLAG_READ: u32 = 1 << 0;
pub const DMA_FLAG_WRITE: u32 = 1 << 1;
/// `DmaUnmap::flags`: VFIO_DMA_UNMAP_FLAG_ALL.
pub const DMA_UNMAP_FLAG_ALL: u32 = 1 << 1;

/// The header every message starts with.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Header {
    /// Chosen by the sender of a command, echoed by its reply.
    pub msg_id: u16,
    pub command: u16,
    /// Size of the whole message, header included.
    pub msg_size: u32,
    pub flags: u32,
    /// errno of an error reply, else 0.
    pub error: u32,
}

/// VERSION: followed by a NUL-terminated JSON object of capabilities.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct Version {
    pub major: u16,
    pub minor: u16,
}

/// DMA_MAP (struct vfio_user_dma_map). With a file descriptor, `offset` is the region's offset
/// in it; without one, the server reaches the memory by DMA_READ/DMA_WRITE.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct DmaMap {
    pub argsz: u32,
    pub flags: u32,
    pub offset: u64,
    pub address: u64,
    pub size: u64,
}

/// DMA_UNMAP (struct vfio_user_dma_unmap); its reply echoes it.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct DmaUnmap {
    pub argsz: u32,
    pub flags: u32,
    pub address: u64,
    pub size: u64,
}

/// DEVICE_GET_INFO (struct vfio_device_info without capabilities).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct DeviceInfo {
    pub argsz: u32,
    pub flags: u32,
    pub num_regions: u32,
    pub num_irqs: u32,
}

/// DEVICE_GET_REGION_INFO (struct vfio_region_info).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct RegionInfo {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub cap_offset: u32,
    pub size: u64,
    pub offset: u64,
}

/// DEVICE_GET_IRQ_INFO (struct vfio_irq_info).
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct IrqInfo {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub count: u32,
}

/// DEVICE_SET_IRQS (struct vfio_irq_set); eventfds ride along as `SCM_RIGHTS`, one per vector.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct IrqSet {
    pub argsz: u32,
    pub flags: u32,
    pub index: u32,
    pub start: u32,
    pub count: u32,
}

/// REGION_READ / REGION_WRITE (struct vfio_user_region_access): a write's data follows it, and
/// so does a read reply's.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct RegionAccess {
    pub offset: u64,
    pub region: u32,
    pub count: u32,
}

/// DMA_READ / DMA_WRITE (struct vfio_user_dma_region_access), sent by the server.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct DmaAccess {
    pub address: u64,
    pub count: u64,
}

const _: () = {
    assert!(size_of::<Header>() == 16);
    assert!(size_of::<Version>() == 4);
    assert!(size_of::<DmaMap>() == 32);
    assert!(size_of::<DmaUnmap>() == 24);
    assert!(size_of::<DeviceInfo>() == 16);
    assert!(size_of::<RegionInfo>() == 32);
    assert!(size_of::<IrqInfo>() == 16);
    assert!(size_of::<IrqSet>() == 20);
    assert!(size_of::<RegionAccess>() == 16);
    assert!(size_of::<DmaAccess>() == 16);
};

/// The VERSION capabilities this implementation reads (others are ignored).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Capabilities {
    pub max_msg_fds: u32,
    pub max_data_xfer_size: u32,
    /// The project's IOVA-window extension (`super::IOVA_WINDOW_CAP`): in a client's
    /// request `Some(vec![])` asks for a window; in a server's reply, the window granted.
    pub iova_window: Option<Vec<std::ops::Range<u64>>>,
}

impl Capabilities {
    /// Parses the NUL-terminated JSON after a VERSION struct. An absent or empty string means
    /// the spec's defaults (1 fd, 1 MiB).
    pub fn parse(bytes: &[u8]) -> Result<Capabilities, String> {
        let text = bytes.split(|&b| b == 0).next().unwrap_or_default();
        let mut caps = Capabilities {
            max_msg_fds: 1,
            max_data_xfer_size: MAX_DATA_XFER_SIZE,
            iova_window: None,
        };
        if text.iter().all(u8::is_ascii_whitespace) {
            return Ok(caps);
        }
        let value: serde_json::Value = serde_json::from_slice(text)
            .map_err(|e| format!("the VERSION capabilities are not JSON: {e}"))?;
        let Some(c) = value.get("capabilities") else {
            return Ok(caps);
        };
        let number = |key: &str| -> Result<Option<u32>, String> {
            match c.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok())
                    .map(Some)
                    .ok_or_else(|| format!("capability {key} is not a 32-bit number: {v}")),
            }
        };
        if let Some(n) = number("max_msg_fds")? {
            caps.max_msg_fds = n;
        }
        if let Some(n) = number("max_data_xfer_size")? {
            caps.max_data_xfer_size = n;
        }
        match c.get(super::IOVA_WINDOW_CAP) {
            None | Some(serde_json::Value::Bool(false)) => {}
            Some(serde_json::Value::Bool(true)) => caps.iova_window = Some(Vec::new()),
            Some(v) => {
                let bad = || {
                    format!(
                        "capability {} is not a list of [start, end]: {v}",
                        super::IOVA_WINDOW_CAP
                    )
                };
                let list = v.as_array().ok_or_else(bad)?;
                let mut ranges = Vec::new();
                for r in list {
                    let pair = r.as_array().filter(|p| p.len() == 2).ok_or_else(bad)?;
                    let (Some(s), Some(e)) = (pair[0].as_u64(), pair[1].as_u64()) else {
                        return Err(bad());
                    };
                    ranges.push(s..e);
                }
                caps.iova_window = Some(ranges);
            }
        }
        Ok(caps)
    }
}

/// The command name, for logs and errors.
pub fn command_name(command: u16) -> &'static str {
    match command {
        command::VERSION => "VERSION",
        command::DMA_MAP => "DMA_MAP",
        command::DMA_UNMAP => "DMA_UNMAP",
        command::DEVICE_GET_INFO => "DEVICE_GET_INFO",
        command::DEVICE_GET_REGION_INFO => "DEVICE_GET_REGION_INFO",
        command::DEVICE_GET_REGION_IO_FDS => "DEVICE_GET_REGION_IO_FDS",
        command::DEVICE_GET_IRQ_INFO => "DEVICE_GET_IRQ_INFO",
        command::DEVICE_SET_IRQS => "DEVICE_SET_IRQS",
        command::REGION_READ => "REGION_READ",
        command::REGION_WRITE => "REGION_WRITE",
        command::DMA_READ => "DMA_READ",
        command::DMA_WRITE => "DMA_WRITE",
        command::DEVICE_RESET => "DEVICE_RESET",
        _ => "unknown command",
    }
}

/// Splits `T` off the front of `payload`; `None` when it is shorter than `T`.
pub fn split<T: FromBytes + KnownLayout + Immutable>(payload: &[u8]) -> Option<(T, &[u8])> {
    T::read_from_prefix(payload).ok()
}

/// One received message: header, the bytes after it, and the file descriptors it carried.
#[derive(Debug)]
pub struct Message {
    pub header: Header,
    pub payload: Vec<u8>,
    pub fds: Vec<OwnedFd>,
}

impl Message {
    /// Whether this is a reply (else a command).
    pub fn is_reply(&self) -> bool {
        self.header.flags & flags::TYPE_MASK == flags::TYPE_REPLY
    }
}

/// Why a message could not be received. The connection is unusable after any of them.
#[derive(Debug, thiserror::Error)]
pub enum RecvError {
    /// The peer closed the connection between messages.
    #[error("the peer closed the connection")]
    Closed,
    #[error("socket error: {0}")]
    Io(#[from] io::Error),
    /// The header's size is below the header or above [`MAX_MESSAGE_SIZE`]; the rest of the
    /// message was not read, so the stream has lost its framing.
    #[error("message {msg_id} ({name}) claims {size} bytes: a message is 16..={max} bytes", name = command_name(*command))]
    BadSize {
        msg_id: u16,
        command: u16,
        size: u32,
        max: u32,
    },
}

/// Sends one message: `header` (whose `msg_size` is set here), then `parts`, with `fds` as
/// `SCM_RIGHTS` on the first byte.
pub fn send_message(
    stream: &UnixStream,
    mut header: Header,
    parts: &[&[u8]],
    fds: &[RawFd],
) -> io::Result<()> {
    let total = size_of::<Header>() + parts.iter().map(|p| p.len()).sum::<usize>();
    header.msg_size = u32::try_from(total)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message over 4 GiB"))?;
    let mut bytes = Vec::with_capacity(total);
    bytes.extend_from_slice(header.as_bytes());
    for p in parts {
        bytes.extend_from_slice(p);
    }
    let mut sent = send_with_fds(stream, &bytes, fds)?;
    while sent < bytes.len() {
        sent += send_with_fds(stream, &bytes[sent..], &[])?;
    }
    Ok(())
}

/// Receives one message. Blocks until a whole message has arrived.
pub fn recv_message(stream: &UnixStream) -> Result<Message, RecvError> {
    let mut head = [0u8; size_of::<Header>()];
    let mut fds = Vec::new();
    let mut got = 0;
    while got < head.len() {
        let n = recv_with_fds(stream, &mut head[got..], &mut fds)?;
        if n == 0 {
            return Err(if got == 0 {
                RecvError::Closed
            } else {
                RecvError::Io(io::ErrorKind::UnexpectedEof.into())
            });
        }
        got += n;
    }
    let header = Header::read_from_bytes(&head).expect("16 bytes");
    if header.msg_size < head.len() as u32 || header.msg_size > MAX_MESSAGE_SIZE {
        return Err(RecvError::BadSize {
            msg_id: header.msg_id,
            command: header.command,
            size: header.msg_size,
            max: MAX_MESSAGE_SIZE,
        });
    }
    let mut payload = vec![0u8; header.msg_size as usize - head.len()];
    let mut got = 0;
    while got < payload.len() {
        let n = recv_with_fds(stream, &mut payload[got..], &mut fds)?;
        if n == 0 {
            return Err(RecvError::Io(io::ErrorKind::UnexpectedEof.into()));
        }
        got += n;
    }
    Ok(Message {
        header,
        payload,
        fds,
    })
}

/// Room for the control message of [`MAX_MSG_FDS`] descriptors (CMSG_SPACE, 8-byte aligned).
const CMSG_BUF: usize = 16 + 4 * MAX_MSG_FDS as usize + 8;

/// Control-message buffer with the alignment `cmsghdr` needs.
#[repr(C, align(8))]
struct CmsgBuf([u8; CMSG_BUF]);

fn send_with_fds(stream: &UnixStream, bytes: &[u8], fds: &[RawFd]) -> io::Result<usize> {
    if fds.len() > MAX_MSG_FDS as usize {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "{} file descriptors in one message, at most {MAX_MSG_FDS}",
                fds.len()
            ),
        ));
    }
    let iov = [IoSlice::new(bytes)];
    let mut cmsg = CmsgBuf([0; CMSG_BUF]);
    // SAFETY: an all-zero msghdr is a valid "no name, no control" value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_ptr() as *mut libc::iovec;
    msg.msg_iovlen = 1;
    if !fds.is_empty() {
        let data_len = std::mem::size_of_val(fds) as u32;
        // SAFETY: CMSG_SPACE only computes a size.
        let space = unsafe { libc::CMSG_SPACE(data_len) } as usize;
        msg.msg_control = cmsg.0.as_mut_ptr().cast();
        msg.msg_controllen = space as _;
        // SAFETY: `msg_control` points at `cmsg`, at least `space` bytes (checked by the
        // MAX_MSG_FDS bound above), aligned for cmsghdr; CMSG_FIRSTHDR returns a pointer inside
        // it, and CMSG_DATA one whose `data_len` bytes lie inside it too.
        unsafe {
            let hdr = libc::CMSG_FIRSTHDR(&msg);
            (*hdr).cmsg_level = libc::SOL_SOCKET;
            (*hdr).cmsg_type = libc::SCM_RIGHTS;
            (*hdr).cmsg_len = libc::CMSG_LEN(data_len) as _;
            std::ptr::copy_nonoverlapping(
                fds.as_ptr().cast::<u8>(),
                libc::CMSG_DATA(hdr),
                data_len as usize,
            );
        }
    }
    loop {
        // SAFETY: `msg` points at live buffers (`iov`, `cmsg`) for the duration of the call.
        let n = unsafe { libc::sendmsg(stream.as_raw_fd(), &msg, libc::MSG_NOSIGNAL) };
        if n >= 0 {
            return Ok(n as usize);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

fn recv_with_fds(stream: &UnixStream, buf: &mut [u8], fds: &mut Vec<OwnedFd>) -> io::Result<usize> {
    let mut iov = [IoSliceMut::new(buf)];
    let mut cmsg = CmsgBuf([0; CMSG_BUF]);
    // SAFETY: an all-zero msghdr is a valid "no name, no control" value.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov.as_mut_ptr().cast();
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.0.as_mut_ptr().cast();
    msg.msg_controllen = CMSG_BUF as _;
    let n = loop {
        // SAFETY: `msg` points at live, writable buffers (`iov`, `cmsg`) of the sizes given.
        let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
        if n >= 0 {
            break n as usize;
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    };
    // SAFETY: after a successful recvmsg the kernel filled `msg_control`/`msg_controllen`;
    // CMSG_FIRSTHDR/NXTHDR walk only inside it, and each SCM_RIGHTS header's data holds
    // (cmsg_len - CMSG_LEN(0)) / 4 descriptors now owned by this process.
    unsafe {
        let mut hdr = libc::CMSG_FIRSTHDR(&msg);
        while !hdr.is_null() {
            if (*hdr).cmsg_level == libc::SOL_SOCKET && (*hdr).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*hdr).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(hdr);
                for i in 0..bytes / 4 {
                    let fd = data.add(4 * i).cast::<RawFd>().read_unaligned();
                    fds.push(OwnedFd::from_raw_fd(fd));
                }
            }
            hdr = libc::CMSG_NXTHDR(&msg, hdr);
        }
    }
    if msg.msg_flags & libc::MSG_CTRUNC != 0 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("a message carried more than {MAX_MSG_FDS} file descriptors"),
        ));
    }
    Ok(n)
}

/// How [`map_fd`] maps a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sharing {
    /// Writes reach the file (and every other mapping of it).
    Shared,
    /// Copy-on-write: writes stay in this mapping (a client's read-only DMA region: the device
    /// may write it without the client ever seeing it, as an IOMMU would drop the write).
    Private,
}

/// Maps `len` bytes of `fd` at `offset`, read/write: DMA memory as both ends see it (the client
/// its memfd, the server the fd the client passed).
pub fn map_fd(
    fd: RawFd,
    offset: u64,
    len: usize,
    sharing: Sharing,
) -> io::Result<std::ptr::NonNull<u8>> {
    let flags = match sharing {
        Sharing::Shared => libc::MAP_SHARED,
        Sharing::Private => libc::MAP_PRIVATE,
    };
    let offset = libc::off_t::try_from(offset)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "file offset over 2^63"))?;
    // SAFETY: a new shared mapping at an address the kernel chooses: no existing memory is
    // affected; the result is checked against MAP_FAILED. Whether every byte of it may be
    // touched (the file's size) is the caller's to ensure before it touches them.
    let ptr = unsafe {
        libc::mmap(
            std::ptr::null_mut(),
            len,
            libc::PROT_READ | libc::PROT_WRITE,
            flags,
            fd,
            offset,
        )
    };
    if ptr == libc::MAP_FAILED {
        return Err(io::Error::last_os_error());
    }
    Ok(std::ptr::NonNull::new(ptr.cast::<u8>()).expect("mmap never returns NULL on success"))
}

/// Sends an error reply to the command `request` with `errno`.
pub(crate) fn send_error(stream: &UnixStream, request: &Header, errno: i32) -> io::Result<()> {
    let header = Header {
        msg_id: request.msg_id,
        command: request.command,
        msg_size: 0,
        flags: flags::TYPE_REPLY | flags::ERROR,
        error: errno as u32,
    };
    send_message(stream, header, &[], &[])
}

/// Sends the reply to the command `request`, made of `parts`.
pub fn send_reply(stream: &UnixStream, request: &Header, parts: &[&[u8]]) -> io::Result<()> {
    let header = Header {
        msg_id: request.msg_id,
        command: request.command,
        msg_size: 0,
        flags: flags::TYPE_REPLY,
        error: 0,
    };
    send_message(stream, header, parts, &[])
}
