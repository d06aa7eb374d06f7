// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar bench`: DMA throughput over a sweep of operation, entry size, list length, queue
//! depth and queue count: on the simulated endpoint in simulated time beside the interface's
//! TLP-limited ideal, on every other target (hardware, vfio-user) in wall time. In every build:
//! without the simulator (cargo feature `sim`) it runs on `--device` only.
//!
//! Every option is checked before the device is opened ([`plan`]); the BAR2 and queue-count
//! limits right after it is opened, before anything is submitted.

mod args;
mod combo;
mod model;
mod report;
mod run;
#[cfg(test)]
mod tests;

pub use args::{check_outputs, plan, BenchArgs, AFTER_HELP, LONG_ABOUT};
pub use run::run;
