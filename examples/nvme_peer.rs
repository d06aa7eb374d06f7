// SPDX-License-Identifier: MIT OR Apache-2.0
//! Peer to peer: an NVMe SSD reads its blocks straight into the endpoint's BAR2, then the
//! endpoint's DMA engine pushes them on to host memory.
//!
//! Run from the repository root:
//!
//! ```sh
//! cargo run --example nvme_peer
//! ```
//!
//! The SSD is the simulated NVMe controller, a second endpoint on the same simulated fabric
//! and IOMMU as the RTL; its writes into BAR2 are real TLPs through the RTL's completer. The
//! NVMe side is driven by the library's own user-mode NVMe driver (`peerbar::nvme`).

use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DataList;
use peerbar::nvme::{Nvme, NvmeOptions};
use peerbar::Endpoint;
use peerbar_sim::nvme::NvmeConfig;
use peerbar_sim::{SimConfig, SimDevice};

const LEN: usize = 16 * 1024;
const FIRST_LBA: u64 = 8;
const WAIT: Duration = Duration::from_secs(30);

fn main() -> anyhow::Result<()> {
    let sim = SimDevice::new(SimConfig::default()).context("starting the simulated endpoint")?;
    let ssd = sim
        .attach_nvme(NvmeConfig::default())
        .context("attaching the simulated SSD")?;
    let endpoint = Endpoint::open_shared(Arc::new(sim))?;
    let engine = endpoint.dma()?;
    engine.enable()?;

    // Put known bytes on the SSD first (the simulation's back door: data already on the disk).
    let on_disk: Vec<u8> = (0..LEN).map(|i| (i * 13 + i / 509) as u8).collect();
    ssd.namespace_write(FIRST_LBA * 512, &on_disk)?;

    // Bring the SSD up: reset, admin queues, Identify, one I/O queue pair. Its queues and
    // lists live in the same IOMMU address space as the endpoint's DMA memory.
    let nvme = Nvme::open(
        Arc::new(ssd),
        engine.memory().clone(),
        NvmeOptions::default(),
    )?;
    let info = nvme.controller();
    println!(
        "ssd: {} ({}), {} byte blocks",
        info.model,
        info.serial,
        nvme.namespace().lba_size
    );
    let io = nvme.io_queue()?;

    // NVMe Read whose destination is BAR2: the list names the slice's bus address, so the SSD
    // writes into the endpoint's peer memory, not into host memory.
    let slice = Arc::new(engine.peer_memory().alloc(LEN as u64, 4096)?);
    let mut into_bar2 = DataList::new();
    into_bar2.push_peer(&slice, 0, LEN as u32)?;
    io.read(FIRST_LBA, &into_bar2)?.wait(WAIT)?.check()?;
    println!(
        "NVMe read: {LEN} bytes from LBA {FIRST_LBA} into BAR2 at {}",
        slice.offset()
    );

    // The DMA engine pushes the slice on to host memory.
    let host = Arc::new(engine.memory().alloc(LEN)?);
    let mut to_host = DataList::new();
    to_host.push_buffer(&host, 0, LEN as u32)?;
    let queue = engine.create_queue(QueueConfig::new(0))?;
    let push = Job::Push {
        peer: PeerRange::whole(&slice)?,
        list: Sgl::List(to_host),
    };
    queue.submit(push)?.wait(WAIT)?.check()?;

    let landed = host.to_vec();
    if let Some(at) = landed
        .iter()
        .zip(&on_disk)
        .position(|(got, want)| got != want)
    {
        bail!(
            "host byte {at} is {:#04x}, the disk holds {:#04x}",
            landed[at],
            on_disk[at]
        );
    }
    println!("all {LEN} bytes went SSD -> BAR2 -> host unchanged");
    Ok(())
}
