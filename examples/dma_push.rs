// SPDX-License-Identifier: MIT OR Apache-2.0
//! Builds a DMA-only scatter-gather list (bus address + length, no CPU pointer), pushes it to
//! the endpoint's DMA engine and checks that every byte landed where the list said.
//!
//! Run from the repository root:
//!
//! ```sh
//! cargo run --example dma_push
//! ```
//!
//! Two jobs on one queue pair of the simulated endpoint (the RTL under Verilator):
//! 1. PULL: three pieces of host memory, gathered into one 8 KiB slice of BAR2;
//! 2. PUSH: that BAR2 slice, scattered out to two pieces of another host buffer.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DataList;
use peerbar::Endpoint;
use peerbar_sim::{SimConfig, SimDevice};

const SLICE: usize = 8 * 1024;
// The simulation runs the RTL cycle by cycle: generous, a job takes milliseconds.
const WAIT: Duration = Duration::from_secs(30);

fn main() -> anyhow::Result<()> {
    let sim = SimDevice::new(SimConfig::default()).context("starting the simulated endpoint")?;
    let endpoint = Endpoint::open(Box::new(sim))?;
    let engine = endpoint.dma()?;
    engine.enable()?;
    let queue = engine.create_queue(QueueConfig::new(0))?;

    // Host memory the device reaches by DMA (mapped through the IOMMU at a bus address), and
    // a slice of BAR2, the endpoint's peer memory.
    let source = Arc::new(engine.memory().alloc(16 * 1024)?);
    let target = Arc::new(engine.memory().alloc(16 * 1024)?);
    let slice = Arc::new(engine.peer_memory().alloc(SLICE as u64, 4096)?);
    let bytes: Vec<u8> = (0..source.len()).map(|i| (i * 7 + i / 251) as u8).collect();
    source.write(0, &bytes)?;

    // PULL: the list names host memory by bus address; the engine reads the pieces in order
    // and writes them one after the other into BAR2. The lengths add up to the slice.
    let pieces = [(0, 4096), (5000, 1000), (12000, 3096)];
    let mut gather = DataList::new();
    for (offset, len) in pieces {
        gather.push_buffer(&source, offset, len as u32)?;
        println!(
            "PULL list entry: bus {} length {len}",
            source.bus_addr_at(offset)?
        );
    }
    let peer = PeerRange::whole(&slice)?;
    let pull = Job::Pull {
        peer: peer.clone(),
        list: Sgl::List(gather),
    };
    // submit() returns at once with a Ticket; wait() returns the job's completion entry and
    // check() turns an error status into an error.
    let done = queue.submit(pull)?.wait(WAIT)?.check()?;
    println!(
        "PULL done: {} bytes into BAR2 at {}",
        done.result,
        peer.bar2_offset()
    );

    let expected: Vec<u8> = pieces
        .iter()
        .flat_map(|&(o, l)| bytes[o..o + l].to_vec())
        .collect();
    let mut in_bar2 = vec![0u8; SLICE];
    slice.read(0, &mut in_bar2)?;
    compare("BAR2 after PULL", &in_bar2, &expected)?;

    // PUSH: the same BAR2 slice out to two places in another host buffer (scatter).
    let mut scatter = DataList::new();
    scatter
        .push_buffer(&target, 8192, 4096)?
        .push_buffer(&target, 100, 4096)?;
    let done = queue
        .submit(Job::Push {
            peer,
            list: Sgl::List(scatter),
        })?
        .wait(WAIT)?
        .check()?;
    println!("PUSH done: {} bytes out to host memory", done.result);

    let landed = target.to_vec();
    compare(
        "host at 8192",
        &landed[8192..8192 + 4096],
        &expected[..4096],
    )?;
    compare("host at 100", &landed[100..100 + 4096], &expected[4096..])?;
    println!("every byte landed where the lists said");
    Ok(())
}

/// Fails with the first differing byte, so a wrong result says where it went wrong.
fn compare(what: &str, got: &[u8], want: &[u8]) -> anyhow::Result<()> {
    if let Some(at) = got.iter().zip(want).position(|(g, w)| g != w) {
        bail!(
            "{what}: byte {at} is {:#04x}, expected {:#04x}",
            got[at],
            want[at]
        );
    }
    Ok(())
}
