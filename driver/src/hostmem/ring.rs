// SPDX-License-Identifier: MIT OR Apache-2.0
//! The host side of an NVMe-style queue pair's rings, shared by the engine's queues
//! ([`crate::dma::QueuePair`]) and the NVMe host driver ([`crate::nvme`]): both devices post 16-byte,
//! phase-tagged completion entries and report how far they fetched the SQ.

use std::sync::atomic::{fence, Ordering};

use zerocopy::{FromBytes, IntoBytes};

use crate::error::Result;
use crate::hostmem::DmaBuffer;

/// Byte offset of the status word (phase tag in bit 0) in a 16-byte CQ entry.
const STATUS_OFFSET: usize = 14;

/// Where the host reads a completion queue next, and which phase tag marks a new entry.
#[derive(Debug)]
pub(crate) struct CqCursor {
    entries: u32,
    head: u32,
    /// The tag of entries the device writes in the current lap: 1 on the first lap.
    phase: bool,
}

impl CqCursor {
    /// A cursor over a freshly zeroed (phase 0) ring of `entries` 16-byte entries.
    pub(crate) fn new(entries: u32) -> CqCursor {
        CqCursor {
            entries,
            head: 0,
            phase: true,
        }
    }

    /// The next entry if the device has posted it (and then moves past it).
    pub(crate) fn pop<T: FromBytes + IntoBytes>(&mut self, cq: &DmaBuffer) -> Result<Option<T>> {
        debug_assert_eq!(std::mem::size_of::<T>(), 16);
        let offset = self.head as usize * 16;
        // Volatile read of the status word: the device writes it behind the CPU's back.
        let status = cq.volatile_u16(offset + STATUS_OFFSET)?.read();
        if (status & 1 != 0) != self.phase {
            return Ok(None);
        }
        // Acquire: the rest of the entry, and the data the command moved (which the device made
        // visible before the entry), are read only after the phase tag said the entry is new.
        fence(Ordering::Acquire);
        let entry = cq.read_obj(offset)?;
        self.head += 1;
        if self.head == self.entries {
            self.head = 0;
            self.phase = !self.phase;
        }
        Ok(Some(entry))
    }

    /// The CQ head to write to the device's head doorbell.
    pub(crate) fn head(&self) -> u32 {
        self.head
    }
}

/// Moves the known SQ head to `reported` if it lies in (head, tail] in ring order: completions
/// arrive out of order and may carry older heads.
pub(crate) fn advance_sq_head(head: &mut u32, tail: u32, entries: u32, reported: u32) {
    if reported >= entries {
        return;
    }
    let ahead = (reported + entries - *head) % entries;
    let pending = (tail + entries - *head) % entries;
    if ahead <= pending {
        *head = reported;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sq_head_moves_forward_only_within_the_submitted_entries() {
        let mut head = 2;
        advance_sq_head(&mut head, 6, 8, 4);
        assert_eq!(head, 4);
        advance_sq_head(&mut head, 6, 8, 3); // older: ignored
        assert_eq!(head, 4);
        advance_sq_head(&mut head, 6, 8, 7); // past the tail: ignored
        assert_eq!(head, 4);
        advance_sq_head(&mut head, 6, 8, 9); // not a slot: ignored
        assert_eq!(head, 4);
        let mut wrapped = 6;
        advance_sq_head(&mut wrapped, 1, 8, 0); // across the wrap
        assert_eq!(wrapped, 0);
    }
}
