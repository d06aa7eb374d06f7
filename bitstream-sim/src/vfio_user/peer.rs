// SPDX-License-Identifier: MIT OR Apache-2.0
//! Messages the server sends to a client: DMA_READ/DMA_WRITE, how the fabric reaches client
//! memory mapped without a file descriptor.
//!
//! Each connection has a reader thread (`Connection::serve`) that hands the client's commands to
//! the connection's worker and the client's replies to [`Peer`], so that a reply reaches the
//! simulation's thread waiting for it even while the worker itself waits for the simulation.

use std::collections::HashMap;
use std::os::unix::net::UnixStream;
use std::sync::atomic::{AtomicBool, AtomicU16, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, Sender};
use peerbar::device::vfio_user::wire::{self, command, flags, Header, Message};
use zerocopy::IntoBytes;

use crate::fabric::RemoteMemory;

/// How long the simulation waits for a client's DMA_READ/DMA_WRITE reply before the access is a
/// fault (the simulation is stopped meanwhile: its lock is held).
const REPLY_TIMEOUT: Duration = Duration::from_secs(2);

/// The sending side of one connection, shared by its worker and the fabric.
pub(crate) struct Peer {
    id: u64,
    writer: Mutex<UnixStream>,
    /// Server commands waiting for the client's reply, by message id.
    pending: Mutex<HashMap<u16, Sender<Message>>>,
    next_id: AtomicU16,
    closed: AtomicBool,
    /// The data size per message the client accepts (negotiated by VERSION).
    pub(crate) max_xfer: AtomicU32,
}

impl Peer {
    pub(crate) fn new(id: u64, writer: UnixStream) -> Peer {
        Peer {
            id,
            writer: Mutex::new(writer),
            pending: Mutex::new(HashMap::new()),
            next_id: AtomicU16::new(0),
            closed: AtomicBool::new(false),
            max_xfer: AtomicU32::new(wire::MAX_DATA_XFER_SIZE),
        }
    }

    /// Sends a whole message (one writer at a time: replies and DMA commands interleave).
    pub(crate) fn send(&self, header: Header, parts: &[&[u8]]) -> std::io::Result<()> {
        let w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        wire::send_message(&w, header, parts, &[])
    }

    /// A reply from the client: to whoever waits for it.
    pub(crate) fn deliver(&self, reply: Message) {
        let waiter = self
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&reply.header.msg_id);
        match waiter {
            Some(tx) => {
                let _ = tx.send(reply);
            }
            None => log::warn!(
                "vfio-user: client {}: reply to no command of the server (msg {}, {}); ignored",
                self.id,
                reply.header.msg_id,
                wire::command_name(reply.header.command)
            ),
        }
    }

    /// The client is gone: every waiter fails now, and every later request at once.
    pub(crate) fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// Sends a command and waits for its reply's payload.
    fn request(&self, cmd: u16, parts: &[&[u8]]) -> Result<Vec<u8>, String> {
        let name = wire::command_name(cmd);
        let msg_id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = crossbeam_channel::bounded(1);
        self.pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(msg_id, tx);
        let forget = || {
            self.pending
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&msg_id);
        };
        if self.closed.load(Ordering::SeqCst) {
            forget();
            return Err(format!("client {} is gone", self.id));
        }
        let header = Header {
            msg_id,
            command: cmd,
            flags: flags::TYPE_COMMAND,
            ..Default::default()
        };
        if let Err(e) = self.send(header, parts) {
            forget();
            return Err(format!("sending {name} to client {}: {e}", self.id));
        }
        match rx.recv_timeout(REPLY_TIMEOUT) {
            Ok(reply) if reply.header.flags & flags::ERROR != 0 => Err(format!(
                "client {} refused {name}: {}",
                self.id,
                std::io::Error::from_raw_os_error(reply.header.error as i32)
            )),
            Ok(reply) => Ok(reply.payload),
            Err(RecvTimeoutError::Timeout) => {
                forget();
                Err(format!(
                    "client {} did not answer {name} within {REPLY_TIMEOUT:?}",
                    self.id
                ))
            }
            Err(RecvTimeoutError::Disconnected) => Err(format!("client {} is gone", self.id)),
        }
    }
}

/// A client's DMA region mapped without an fd: the fabric's accesses become DMA_READ and
/// DMA_WRITE messages (at most `max_data_xfer_size` bytes each).
pub(crate) struct RemoteWindow {
    pub(crate) peer: Arc<Peer>,
    /// The window's IOVA: DMA_READ/DMA_WRITE name client DMA addresses.
    pub(crate) iova: u64,
    /// Mapped with WRITE: a device write to a read-only region is a fault, as an IOMMU's.
    pub(crate) writable: bool,
}

impl RemoteWindow {
    fn chunk(&self) -> usize {
        self.peer.max_xfer.load(Ordering::Relaxed).max(8) as usize
    }
}

impl RemoteMemory for RemoteWindow {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<(), String> {
        let chunk = self.chunk();
        for (i, part) in buf.chunks_mut(chunk).enumerate() {
            let access = wire::DmaAccess {
                address: self.iova + offset + (i * chunk) as u64,
                count: part.len() as u64,
            };
            let reply = self.peer.request(command::DMA_READ, &[access.as_bytes()])?;
            let data = wire::split::<wire::DmaAccess>(&reply)
                .filter(|(a, data)| a.count == access.count && data.len() == part.len())
                .map(|(_, data)| data)
                .ok_or_else(|| {
                    format!(
                        "the reply to DMA_READ of {} bytes at {:#x} carries {} bytes",
                        access.count,
                        access.address,
                        reply.len()
                    )
                })?;
            part.copy_from_slice(data);
        }
        Ok(())
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<(), String> {
        if !self.writable {
            return Err(format!(
                "the client mapped {:#x} read-only",
                self.iova + offset
            ));
        }
        let chunk = self.chunk();
        for (i, part) in data.chunks(chunk).enumerate() {
            let access = wire::DmaAccess {
                address: self.iova + offset + (i * chunk) as u64,
                count: part.len() as u64,
            };
            self.peer
                .request(command::DMA_WRITE, &[access.as_bytes(), part])?;
        }
        Ok(())
    }
}
