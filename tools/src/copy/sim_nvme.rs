// SPDX-License-Identifier: MIT OR Apache-2.0
//! The `--sim-*` options that shape a simulated NVMe controller: `copy`'s own (in process) and
//! the one `peerbar sim serve --nvme` serves.

use clap::Args;

use crate::units::parse_size;
use crate::usage_error;

/// Longest simulated command latency: 1 ms of simulated time already takes seconds to simulate.
const MAX_SIM_LATENCY_US: f64 = 1000.0;
/// Highest simulated bandwidth (1 TB/s): keeps the bytes per simulated cycle in range.
const MAX_SIM_BANDWIDTH_MBPS: u64 = 1_000_000;

/// The simulated controller's shape, as given on the command line.
#[derive(Args, Debug, Clone, Default)]
pub struct SimNvmeArgs {
    /// Simulation: namespace size (copy: what the copy needs, at least 64 MiB; sim serve:
    /// 1 GiB; memory is allocated as it is written).
    #[arg(long = "sim-namespace", value_parser = parse_size, value_name = "BYTES")]
    pub namespace: Option<u64>,
    /// Simulation: back the namespace with this file instead of memory.
    #[arg(long = "sim-file", value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
    /// Simulation: logical block size, 512 or 4096 [default: 512].
    #[arg(long = "sim-lba-size", value_name = "BYTES")]
    pub lba_size: Option<u32>,
    /// Simulation: command latency of the NVMe controller, microseconds, 0 ..= 1000
    /// [default: 10].
    #[arg(long = "sim-latency-us", value_name = "US")]
    pub latency_us: Option<f64>,
    /// Simulation: data bandwidth of the NVMe controller, MB/s, at most 1000000 (0: unlimited)
    /// [default: 7000].
    #[arg(long = "sim-bandwidth-mbps", value_name = "MBPS")]
    pub bandwidth_mbps: Option<u64>,
    /// Simulation: the controller does not advertise SGLs (PRP only).
    #[arg(long = "sim-no-sgl")]
    pub no_sgl: bool,
}

impl SimNvmeArgs {
    /// The options given, by name.
    pub fn given(&self) -> Vec<&'static str> {
        [
            (self.namespace.is_some(), "--sim-namespace"),
            (self.file.is_some(), "--sim-file"),
            (self.lba_size.is_some(), "--sim-lba-size"),
            (self.latency_us.is_some(), "--sim-latency-us"),
            (self.bandwidth_mbps.is_some(), "--sim-bandwidth-mbps"),
            (self.no_sgl, "--sim-no-sgl"),
        ]
        .into_iter()
        .filter_map(|(given, name)| given.then_some(name))
        .collect()
    }

    /// The LBA size, default 512.
    pub fn lba_bytes(&self) -> u64 {
        u64::from(self.lba_size.unwrap_or(512))
    }

    /// Checks every value as the simulation would, before it starts (it would refuse them as
    /// a device error, after a log line saying the same).
    pub fn check(&self) -> anyhow::Result<()> {
        if !matches!(self.lba_size, None | Some(512 | 4096)) {
            return Err(usage_error("--sim-lba-size must be 512 or 4096"));
        }
        if self
            .latency_us
            .is_some_and(|us| !(0.0..=MAX_SIM_LATENCY_US).contains(&us))
        {
            return Err(usage_error(format!(
                "--sim-latency-us must be 0 ..= {MAX_SIM_LATENCY_US} (the simulation runs far \
                 slower than real time: a longer latency times out the driver's commands)"
            )));
        }
        if self
            .bandwidth_mbps
            .is_some_and(|mbps| mbps > MAX_SIM_BANDWIDTH_MBPS)
        {
            return Err(usage_error(format!(
                "--sim-bandwidth-mbps must be at most {MAX_SIM_BANDWIDTH_MBPS} (0: unlimited)"
            )));
        }
        let lba_size = self.lba_bytes();
        if let Some(bytes) = self.namespace {
            if bytes == 0 || bytes % lba_size != 0 {
                return Err(usage_error(format!(
                    "--sim-namespace {bytes}: must be a non-zero multiple of the {lba_size}-byte LBA"
                )));
            }
        }
        if let Some(path) = &self.file {
            // Opened as the simulation will open it, to say now what is wrong with it.
            let file = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .and_then(|f| f.metadata())
                .map_err(|e| usage_error(format!("--sim-file {}: {e}", path.display())))?;
            if file.len() == 0 || file.len() % lba_size != 0 {
                return Err(usage_error(format!(
                    "--sim-file {}: its size, {} bytes, must be a non-zero multiple of the \
                     {lba_size}-byte LBA",
                    path.display(),
                    file.len()
                )));
            }
        }
        Ok(())
    }

    /// The controller's configuration: a memory namespace of `default_namespace` bytes unless
    /// the options say otherwise, a CMB of `cmb_bytes` (0: none).
    #[cfg(feature = "sim")]
    pub fn config(&self, default_namespace: u64, cmb_bytes: u64) -> peerbar_sim::nvme::NvmeConfig {
        use peerbar_sim::nvme::{NamespaceBacking, NvmeConfig};
        let latency_us = self.latency_us.unwrap_or(10.0);
        let bandwidth_mbps = self.bandwidth_mbps.unwrap_or(7000);
        let namespace = match &self.file {
            Some(path) => NamespaceBacking::File(path.clone()),
            None => NamespaceBacking::Memory {
                bytes: self.namespace.unwrap_or(default_namespace),
            },
        };
        NvmeConfig {
            namespace,
            cmb_bytes,
            lba_size: self.lba_bytes() as u32,
            sgl: !self.no_sgl,
            latency_cycles: (latency_us * peerbar_sim::CLOCK_HZ as f64 / 1e6) as u64,
            bytes_per_cycle: (bandwidth_mbps * 1_000_000).div_ceil(peerbar_sim::CLOCK_HZ) as u32,
            ..NvmeConfig::default()
        }
    }
}
