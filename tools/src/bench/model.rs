// SPDX-License-Identifier: MIT OR Apache-2.0
//! The interface's TLP-limited ideal: the fewest cycles a combination's jobs need on the
//! 256-bit interface, and throughput at the simulated clock. Pure arithmetic, in every build;
//! `bench` reports it on the simulated endpoint only, the one target whose cycles it sees.

use crate::push::Op;

/// What the host configured: Max Payload Size, Max Read Request Size, Read Completion
/// Boundary, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Link {
    pub mps: u64,
    pub mrrs: u64,
    pub rcb: u64,
    /// The simulated host's read latency (the ideal does not depend on it: the header says it).
    pub latency_ns: u64,
}

/// Bytes per beat of the 256-bit interface (one beat per clock cycle).
const BEAT: u64 = 32;
/// Bytes of an RC (completion) descriptor.
const RC_HEADER: u64 = 12;
/// Bytes of an RQ (request) descriptor.
const RQ_HEADER: u64 = 16;

/// Beats of a TLP with a `header`-byte descriptor carrying `len` bytes starting at `addr`
/// (the payload covers whole DWORDs).
pub(super) fn tlp_beats(header: u64, addr: u64, len: u64) -> u64 {
    (header + 4 * (addr % 4 + len).div_ceil(4)).div_ceil(BEAT)
}

/// The fewest cycles the interface needs to move `entries` list entries of `entry` bytes each,
/// entry i at bus address `base + i * entry`, with no idle cycle:
/// - PULL is limited by the RC interface: each read the engine issues (split at MRRS-aligned
///   boundaries) comes back as completions of at most MPS bytes that end on RCB boundaries
///   (except the last), each ceil((12 + payload) / 32) beats;
/// - PUSH is limited by the RQ interface: MemWr split at MPS-aligned boundaries (so never
///   crossing 4 KiB), each ceil((16 + payload) / 32) beats.
pub fn ideal_cycles(op: Op, base: u64, entry: u64, entries: u64, link: Link) -> u64 {
    let limit = match op {
        Op::Pull => link.mrrs,
        Op::Push => link.mps,
    };
    let mut beats = 0;
    for i in 0..entries {
        let mut at = base + i * entry;
        let end = at + entry;
        while at < end {
            let n = (end - at).min(limit - at % limit);
            beats += match op {
                Op::Pull => {
                    // The completions of this read.
                    let mut c = at;
                    let mut b = 0;
                    while c < at + n {
                        let len = (at + n - c).min(link.mps - c % link.rcb);
                        b += tlp_beats(RC_HEADER, c, len);
                        c += len;
                    }
                    b
                }
                Op::Push => tlp_beats(RQ_HEADER, at, n),
            };
            at += n;
        }
    }
    beats
}

/// Bytes moved in `cycles` of a `clock_hz` clock (the simulated one), as 10^9 bytes per second.
pub(super) fn gbytes_per_s_at_clock(bytes: u64, cycles: u64, clock_hz: u64) -> f64 {
    if cycles == 0 {
        0.0
    } else {
        bytes as f64 * clock_hz as f64 / cycles as f64 / 1e9
    }
}
