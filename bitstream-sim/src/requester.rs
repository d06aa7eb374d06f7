// SPDX-License-Identifier: MIT OR Apache-2.0
//! The UltraScale+ block's requester interface, modelled at the user side: RQ beats from the
//! DMA engine reassembled into requests and checked against the PCIe request rules; read
//! completions as they cross the link (split at RCB/MPS, optionally split further and reordered
//! across tags), and the block's Split Completion Table, which matches each of them to the
//! read that holds its tag, fills in the RC descriptor (12-bit lower address, error code,
//! Request Completed) and reports its own completion timeouts. Pure data and functions; the
//! clocked part lives in `device/requester.rs`.
//!
//! Layouts follow AMD PG213 (UltraScale+ Devices Integrated Block for PCI Express): 256-bit
//! bus, dword-aligned, no straddling. An RQ packet is the 128-bit descriptor then payload from
//! DW4; an RC packet is the 96-bit descriptor then payload from DW3.
//!
//! `requester/rq.rs` holds the request side (RQ beats, their decoding and the request rules),
//! `requester/rc.rs` the completion side (completions, the Split Completion Table, the RC
//! scheduler); both are re-exported here.

mod rc;
mod rq;

pub use rc::*;
pub use rq::*;

/// A small deterministic generator (splitmix64) for the seeded choices of the model.
#[derive(Clone, Debug)]
pub struct SimRng(u64);

impl SimRng {
    pub fn new(seed: u64) -> SimRng {
        SimRng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform-ish value in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True on `percent` % of calls.
    pub fn percent(&mut self, percent: u8) -> bool {
        percent >= 100 || self.below(100) < u64::from(percent)
    }
}

#[cfg(test)]
mod tests;
