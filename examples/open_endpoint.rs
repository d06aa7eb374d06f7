// SPDX-License-Identifier: MIT OR Apache-2.0
//! Opens the simulated peerbar endpoint and prints who it is.
//!
//! Run from the repository root:
//!
//! ```sh
//! cargo run --example open_endpoint
//! ```
//!
//! The device here is the real RTL (hw/rtl) compiled by Verilator, behind a Rust model of the
//! PCIe hard block and the host (crate peerbar-sim). On a board you would open
//! `peerbar::device::vfio::VfioDevice::open("0000:03:00.0")` instead: everything from
//! `Endpoint::open` on is the same code.

use anyhow::Context;
use peerbar::{config, regs, Device, Endpoint};
use peerbar_sim::{SimConfig, SimDevice};

fn main() -> anyhow::Result<()> {
    // Start the simulation: the RTL comes out of reset and the simulated host has enumerated
    // it (BARs assigned, memory decoding and bus mastering on), as the kernel would.
    let sim = SimDevice::new(SimConfig::default()).context("starting the simulated endpoint")?;

    // Config space: who the function says it is, before any BAR is touched.
    let id = config::identity(&sim)?;
    println!("device:      {}", sim.describe());
    println!(
        "pci id:      {:04x}:{:04x}, class {:06x}",
        id.vendor_id, id.device_id, id.class_code
    );

    // Endpoint::open reads MAGIC and VERSION from BAR0 and refuses anything that is not a
    // peerbar endpoint of a register interface version this driver supports.
    let endpoint = Endpoint::open(Box::new(sim))?;

    // The raw MAGIC register ("PEER" in ASCII), read through the generated register map.
    let magic = regs::read(endpoint.device(), &regs::MAGIC_REG)?.get();
    println!("magic:       {magic:#010x}");
    println!("version:     {}", endpoint.version());

    // BAR2 is the peer memory: its size register is cross-checked against the BAR itself.
    let bar2 = endpoint.bar2_size()?;
    println!("bar2 size:   {} KiB", bar2 / 1024);

    let caps = endpoint.capabilities()?;
    println!(
        "dma engine:  {} ({} queue pairs), msi-x: {}",
        caps.dma_engine, caps.dma_queues, caps.msix
    );
    let status = endpoint.status()?;
    println!(
        "link:        up {}, max payload {} B, max read request {} B",
        status.link_up,
        status.max_payload,
        status
            .max_read_request
            .map_or("reserved".to_string(), |b| b.to_string())
    );
    Ok(())
}
