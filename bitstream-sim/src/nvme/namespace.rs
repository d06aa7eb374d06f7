// SPDX-License-Identifier: MIT OR Apache-2.0
//! Namespace 1: the controller's only namespace, in memory or in a file.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::sparse::SparseMemory;
use crate::SimError;

/// Where namespace 1 keeps its blocks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamespaceBacking {
    /// `bytes` of zeroed memory (pages are allocated on first write, so large sizes are cheap).
    Memory { bytes: u64 },
    /// An existing file, opened read+write; its length is the namespace size.
    File(PathBuf),
}

enum Store {
    Memory(SparseMemory),
    File { file: File, path: PathBuf },
}

pub(super) struct Namespace {
    store: Store,
    bytes: u64,
    lba_size: u32,
}

impl Namespace {
    /// Opens the backing; its size must be a non-zero multiple of `lba_size`.
    pub fn open(backing: &NamespaceBacking, lba_size: u32) -> Result<Namespace, SimError> {
        let (store, bytes) = match backing {
            NamespaceBacking::Memory { bytes } => {
                (Store::Memory(SparseMemory::new(*bytes)), *bytes)
            }
            NamespaceBacking::File(path) => {
                let file = OpenOptions::new()
                    .read(true)
                    .write(true)
                    .open(path)
                    .map_err(|e| {
                        SimError::InvalidConfig(format!("namespace file {}: {e}", path.display()))
                    })?;
                let bytes = file
                    .metadata()
                    .map_err(|e| {
                        SimError::InvalidConfig(format!("namespace file {}: {e}", path.display()))
                    })?
                    .len();
                let path = path.clone();
                (Store::File { file, path }, bytes)
            }
        };
        if bytes == 0 || bytes % u64::from(lba_size) != 0 {
            return Err(SimError::InvalidConfig(format!(
                "namespace size {bytes} is not a non-zero multiple of the {lba_size}-byte LBA"
            )));
        }
        Ok(Namespace {
            store,
            bytes,
            lba_size,
        })
    }

    pub fn lba_size(&self) -> u32 {
        self.lba_size
    }

    /// Namespace size in logical blocks (NSZE).
    pub fn blocks(&self) -> u64 {
        self.bytes / u64::from(self.lba_size)
    }

    /// Reads `buf.len()` bytes at byte `offset`; the range must lie inside the namespace.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.check(offset, buf.len())?;
        match &self.store {
            Store::Memory(m) => {
                m.read(offset, buf);
                Ok(())
            }
            Store::File { file, .. } => file.read_exact_at(buf, offset),
        }
    }

    /// Writes `data` at byte `offset`; the range must lie inside the namespace.
    pub fn write(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.check(offset, data.len())?;
        match &mut self.store {
            Store::Memory(m) => {
                m.write(offset, data);
                Ok(())
            }
            Store::File { file, .. } => file.write_all_at(data, offset),
        }
    }

    /// Makes written data durable (Flush): the file's data reaches the disk.
    pub fn flush(&mut self) -> io::Result<()> {
        match &self.store {
            Store::Memory(_) => Ok(()),
            Store::File { file, .. } => file.sync_data(),
        }
    }

    /// A description for log messages.
    pub fn describe(&self) -> String {
        match &self.store {
            Store::Memory(m) => format!("{}-byte memory namespace", m.size()),
            Store::File { path, .. } => format!("namespace file {}", path.display()),
        }
    }

    fn check(&self, offset: u64, len: usize) -> io::Result<()> {
        match offset.checked_add(len as u64) {
            Some(end) if end <= self.bytes => Ok(()),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "{len} bytes at {offset:#x} run past the end of the {}-byte namespace",
                    self.bytes
                ),
            )),
        }
    }
}
