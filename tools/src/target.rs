// SPDX-License-Identifier: MIT OR Apache-2.0
//! Opening what the command line names: the simulated endpoint (default) or a VFIO device.

use std::sync::Arc;

use anyhow::Context;
use peerbar::device::backend::{self, VfioChoice, VfioFunction, VfioRequest};
use peerbar::device::vfio::{Bdf, SysfsPaths, VfioOpen, ENDPOINT_BARS};
use peerbar::{BarIndex, Device, Endpoint};
#[cfg(feature = "sim")]
use peerbar_sim::{SimConfig, SimDevice, SimStats};

use crate::{usage_error, GlobalOpts};

/// Which kind of target this is (the `target` field of JSON output).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    // A build without the simulator never opens one.
    #[cfg_attr(not(feature = "sim"), allow(dead_code))]
    Simulation,
    Hardware,
    /// A device served over vfio-user (`--device vfio-user:PATH`).
    VfioUser,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Simulation => "simulation",
            Kind::Hardware => "hardware",
            Kind::VfioUser => "vfio-user",
        }
    }
}

/// An opened device, not yet identified as a peerbar endpoint.
pub struct Target {
    pub kind: Kind,
    /// The device, shared with the endpoint once opened (`Box<dyn Device>` is what
    /// `Endpoint::open` takes; the simulation is a cheap clone).
    device: Option<Box<dyn Device>>,
    /// The simulation, kept for its statistics.
    #[cfg(feature = "sim")]
    pub sim: Option<SimDevice>,
    pub description: String,
    /// On hardware: the VFIO interface the device was opened through, and why.
    pub vfio: Option<VfioChoice>,
}

impl Target {
    /// Checks the option combination, then opens the device.
    pub fn open(opts: &GlobalOpts) -> anyhow::Result<Target> {
        if let Some(path) = crate::vfio_user::socket(opts)? {
            if opts.vfio != VfioRequest::Auto {
                return Err(usage_error(
                    "--vfio legacy|iommufd chooses how real hardware is opened (--device BDF); a vfio-user device has no kernel VFIO",
                ));
            }
            let dev = crate::vfio_user::connect("--device", &path)?;
            return Ok(Target {
                kind: Kind::VfioUser,
                description: dev.describe(),
                device: Some(Box::new(dev)),
                #[cfg(feature = "sim")]
                sim: None,
                vfio: None,
            });
        }
        let Some(bdf) = hardware_bdf(opts)? else {
            if opts.vfio != VfioRequest::Auto {
                return Err(usage_error(
                    "--vfio legacy|iommufd chooses how real hardware is opened (--device, --nvme); the simulated endpoint has no VFIO",
                ));
            }
            return Target::open_simulation(opts);
        };
        let text = bdf.to_string();
        let (mut opened, choice) = backend::open_set(
            opts.vfio,
            &[VfioOpen {
                bdf: &text,
                required_bars: ENDPOINT_BARS,
            }],
            &SysfsPaths::default(),
        )?;
        let dev = opened.pop().expect("one device per request");
        if let Err(e) = dev.map_bar_for_peers(BarIndex::BAR2) {
            // The registers still work; only what names BAR2's bus address will say why not.
            log::warn!("{text}: BAR2 not mapped for peers: {e}");
        }
        Ok(Target::hardware(dev, choice))
    }

    /// Opens the endpoint (`--device`) and the NVMe SSD at `nvme_bdf` together, into ONE VFIO
    /// container with one IOVA space, and maps the endpoint's BAR2 into the IOMMU for peers, so
    /// that BAR2 addresses (`PeerMemory` slices, `DataList` entries) name the IOVA the SSD
    /// reaches BAR2 at. Returns the target and the SSD (BAR0 mapped; bound to vfio-pci, or the
    /// driver's error says how). Everything is checked before anything is opened: a bad or
    /// repeated address is a usage error.
    pub fn open_with_peer(
        opts: &GlobalOpts,
        nvme_bdf: &str,
    ) -> anyhow::Result<(Target, Arc<dyn Device>)> {
        let Some(endpoint_bdf) = hardware_bdf(opts)? else {
            return Err(usage_error(
                "--nvme names a real SSD; it needs --device <BDF> for the endpoint",
            ));
        };
        let ssd_bdf = ssd_bdf(endpoint_bdf, nvme_bdf)?;
        let (endpoint_text, ssd_text) = (endpoint_bdf.to_string(), ssd_bdf.to_string());
        let (opened, choice) = backend::open_set(
            opts.vfio,
            &[
                VfioOpen {
                    bdf: &endpoint_text,
                    required_bars: ENDPOINT_BARS,
                },
                VfioOpen {
                    bdf: &ssd_text,
                    required_bars: &[BarIndex::BAR0],
                },
            ],
            &SysfsPaths::default(),
        )?;
        let mut opened = opened.into_iter();
        let (Some(endpoint), Some(ssd)) = (opened.next(), opened.next()) else {
            unreachable!("open_set returns one device per request");
        };
        endpoint
            .map_bar_for_peers(BarIndex::BAR2)
            .with_context(|| {
                format!("mapping BAR2 of {endpoint_text} into the IOMMU for the SSD {ssd_text}")
            })?;
        let ssd: Arc<dyn Device> = Arc::from(ssd.into_device());
        Ok((Target::hardware(endpoint, choice), ssd))
    }

    fn hardware(dev: Box<dyn VfioFunction>, choice: VfioChoice) -> Target {
        Target {
            kind: Kind::Hardware,
            description: dev.describe(),
            vfio: Some(choice),
            device: Some(dev.into_device()),
            #[cfg(feature = "sim")]
            sim: None,
        }
    }

    #[cfg(feature = "sim")]
    fn open_simulation(opts: &GlobalOpts) -> anyhow::Result<Target> {
        let config = sim_config(opts)?;
        let sim = SimDevice::new(config).context("starting the simulated endpoint")?;
        Ok(Target {
            kind: Kind::Simulation,
            description: sim.describe(),
            vfio: None,
            device: Some(Box::new(sim.clone())),
            sim: Some(sim),
        })
    }

    #[cfg(not(feature = "sim"))]
    fn open_simulation(_opts: &GlobalOpts) -> anyhow::Result<Target> {
        Err(usage_error(NO_SIMULATOR))
    }

    /// The raw device (config space, BARs).
    pub fn device(&self) -> &dyn Device {
        self.device.as_deref().expect("device taken by endpoint()")
    }

    /// Identifies the endpoint. Consumes the target's device handle.
    pub fn endpoint(&mut self) -> anyhow::Result<Endpoint> {
        let device = self
            .device
            .take()
            .expect("endpoint() called once per target");
        Ok(Endpoint::open(device)?)
    }

    /// Identifies the endpoint, sharing the device (what the DMA engine needs). Consumes the
    /// target's device handle.
    pub fn shared_endpoint(&mut self) -> anyhow::Result<Endpoint> {
        let device: Arc<dyn Device> = Arc::from(
            self.device
                .take()
                .expect("shared_endpoint() called once per target"),
        );
        Ok(Endpoint::open_shared(device)?)
    }

    /// Simulation statistics, `None` on hardware.
    #[cfg(feature = "sim")]
    pub fn sim_stats(&self) -> Option<SimStats> {
        self.sim.as_ref().map(SimDevice::stats)
    }

    /// Simulated clock cycles so far, `None` on hardware.
    pub fn sim_cycles(&self) -> Option<u64> {
        #[cfg(feature = "sim")]
        return self.sim_stats().map(|s| s.cycles);
        #[cfg(not(feature = "sim"))]
        None
    }

    /// Simulated cycles the DMA engine was active so far (`SimStats::dma_active_cycles`), `None`
    /// on hardware and through vfio-user (the server's statistics are not visible to clients).
    pub fn sim_dma_active_cycles(&self) -> Option<u64> {
        #[cfg(feature = "sim")]
        return self.sim_stats().map(|s| s.dma_active_cycles);
        #[cfg(not(feature = "sim"))]
        None
    }

    /// The simulated clock in Hz (the RTL's 250 MHz user clock), `None` unless this is the
    /// simulated endpoint.
    pub fn sim_clock_hz(&self) -> Option<u64> {
        #[cfg(feature = "sim")]
        return self.sim.as_ref().map(|_| peerbar_sim::CLOCK_HZ);
        #[cfg(not(feature = "sim"))]
        None
    }
}

/// `--device` checked: `None` for the simulated endpoint; with `--device`, its address, and
/// no simulation-only option (both usage errors, found before anything is opened).
pub(crate) fn hardware_bdf(opts: &GlobalOpts) -> anyhow::Result<Option<Bdf>> {
    let Some(bdf) = &opts.device else {
        return Ok(None);
    };
    if crate::vfio_user::socket(opts)?.is_some() {
        return Ok(None);
    }
    if let Some(name) = simulation_option_given(opts) {
        return Err(usage_error(format!(
            "{name} applies to the simulated endpoint only and cannot be used with --device \
             (on hardware, MPS/MRRS/RCB are set by the OS; waveforms come from the simulation)"
        )));
    }
    // Check the address first so that a typo is a usage error, not a device error.
    let parsed = bdf.parse::<Bdf>().map_err(|e| usage_error(e.to_string()))?;
    Ok(Some(parsed))
}

/// `--nvme BDF` checked: an address, and not the endpoint's (both usage errors).
pub(crate) fn ssd_bdf(endpoint: Bdf, nvme: &str) -> anyhow::Result<Bdf> {
    let ssd: Bdf = nvme
        .parse()
        .map_err(|e: peerbar::Error| usage_error(e.to_string()))?;
    if ssd == endpoint {
        return Err(usage_error(format!(
            "--device and --nvme both name {endpoint}: the endpoint and the SSD are two functions"
        )));
    }
    Ok(ssd)
}

/// The first simulation-only global option given (--trace, --mps, --mrrs, --rcb,
/// --host-latency), if any.
pub fn simulation_option_given(opts: &GlobalOpts) -> Option<&'static str> {
    [
        (opts.trace.is_some(), "--trace"),
        (opts.mps.is_some(), "--mps"),
        (opts.mrrs.is_some(), "--mrrs"),
        (opts.rcb.is_some(), "--rcb"),
        (opts.host_latency.is_some(), "--host-latency"),
    ]
    .into_iter()
    .find_map(|(given, name)| given.then_some(name))
}

/// `--trace FILE`: the simulation writes FST only, so FILE must be named .fst (a .vcd name would
/// hold FST); and it must be creatable, said now as a usage error rather than by the
/// simulation as a device error after a log line.
#[cfg(feature = "sim")]
fn check_trace(path: &std::path::Path) -> anyhow::Result<()> {
    let is_fst = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("fst"));
    if !is_fst {
        return Err(usage_error(format!(
            "--trace {}: the waveform is written in FST format only: name the file *.fst (convert \
             it with fst2vcd from GTKWave if you need a VCD)",
            path.display()
        )));
    }
    std::fs::File::create(path).map_err(|e| {
        usage_error(format!(
            "--trace {}: cannot create the waveform file: {e}",
            path.display()
        ))
    })?;
    Ok(())
}

/// What a build without the `sim` feature says when asked for the simulated endpoint.
#[cfg(not(feature = "sim"))]
pub const NO_SIMULATOR: &str =
    "this peerbar was built without the simulator (cargo feature `sim`, \
     e.g. the static build for the QEMU guest): give --device <BDF> for real hardware (or \
     --device vfio-user:PATH for a served simulation), or use a default build for the simulated \
     endpoint";

/// Simulation settings from the command line, validated (a bad value is a usage error).
#[cfg(feature = "sim")]
pub(crate) fn sim_config(opts: &GlobalOpts) -> anyhow::Result<SimConfig> {
    if let Some(path) = &opts.trace {
        check_trace(path)?;
    }
    let mut config = SimConfig {
        trace: opts.trace.clone(),
        ..SimConfig::default()
    };
    if let Some(mps) = opts.mps {
        if !matches!(mps, 128 | 256 | 512 | 1024) {
            return Err(usage_error(format!(
                "--mps {mps}: Max Payload Size must be 128, 256, 512 or 1024 bytes (the endpoint supports up to 1024)"
            )));
        }
        config.max_payload = mps;
    }
    if let Some(mrrs) = opts.mrrs {
        if !matches!(mrrs, 128 | 256 | 512 | 1024 | 2048 | 4096) {
            return Err(usage_error(format!(
                "--mrrs {mrrs}: Max Read Request Size must be 128, 256, 512, 1024, 2048 or 4096 bytes"
            )));
        }
        config.max_read_req = mrrs;
    }
    if let Some(rcb) = opts.rcb {
        if !matches!(rcb, 64 | 128) {
            return Err(usage_error(format!(
                "--rcb {rcb}: Read Completion Boundary must be 64 or 128 bytes"
            )));
        }
        config.rcb = rcb;
    }
    if let Some(ns) = opts.host_latency {
        if !(4..=100_000).contains(&ns) || ns % 4 != 0 {
            return Err(usage_error(format!(
                "--host-latency {ns}: the host's read latency must be a multiple of 4 ns (the \
                 250 MHz cycle) from 4 to 100000 ns"
            )));
        }
        config.rc_latency_cycles = ns / 4;
    }
    Ok(config)
}
