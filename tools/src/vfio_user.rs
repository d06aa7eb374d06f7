// SPDX-License-Identifier: MIT OR Apache-2.0
//! The simulation as a vfio-user server (`peerbar sim serve --socket PATH`) and the client side
//! of `--device vfio-user:PATH`.

use std::path::{Path, PathBuf};

use peerbar::device::vfio_user::{DmaPath, VfioUserDevice};

#[cfg(feature = "sim")]
use crate::Outcome;
use crate::{usage_error, GlobalOpts};

/// The `--device` prefix naming a vfio-user socket.
pub const PREFIX: &str = "vfio-user:";

pub const SERVE_LONG_ABOUT: &str = "\
Start one simulated endpoint (the RTL under Verilator, the model of the PCIe block, the fabric
with its IOMMU) and serve it over vfio-user on a UNIX socket until Ctrl-C or SIGTERM. Every
other peerbar command then drives that one device with --device vfio-user:PATH: several
commands in a row see one device state, and several at once share it (regs --watch beside
bench). The server speaks QEMU's vfio-user protocol 0.1 (docs/vfio-user.md): DMA memory is
passed as sealed memfds, MSI-X as eventfds. On a client's disconnect its DMA maps and
interrupts go; the device state stays. --mps, --mrrs, --rcb and --trace shape the simulation
as for any command.
With --nvme NVME.sock the server also attaches the simulated NVMe controller to the same
fabric and IOMMU and serves it as a second device on its own socket (config space, BAR0 with
its doorbells, MSI-X), shaped by the --sim-* options (as `copy` shapes its own); its DMA to the
endpoint's BAR2 goes peer to peer through the fabric, and its namespace lives as long as the
server: `peerbar --device vfio-user:EP.sock copy --nvme vfio-user:NVME.sock` drives both.";

pub const SERVE_AFTER_HELP: &str = "\
Examples:
  peerbar sim serve --socket ./peerbar.sock &
  peerbar --device vfio-user:./peerbar.sock push list.txt
  peerbar --device vfio-user:./peerbar.sock regs --only dma
  kill %1                                  stops the server; the socket file is removed
  peerbar sim serve --socket ep.sock --nvme nvme.sock --sim-namespace 256MiB &
  peerbar --device vfio-user:ep.sock copy --nvme vfio-user:nvme.sock --allow-nvme-write";

/// `peerbar sim ...`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum SimCommand {
    /// Serve one simulated endpoint over vfio-user on a UNIX socket, for --device
    /// vfio-user:PATH (several commands, in a row or at once, on one device); with --nvme, the
    /// simulated NVMe controller on a second socket.
    #[command(long_about = SERVE_LONG_ABOUT, after_help = SERVE_AFTER_HELP)]
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The UNIX socket to listen on (created; removed again on exit).
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
    /// Also serve the simulated NVMe controller, on the same fabric and IOMMU, on this socket
    /// (for `copy --nvme vfio-user:PATH`).
    #[arg(long, value_name = "PATH")]
    pub nvme: Option<PathBuf>,
    /// With --nvme: the controller's memory buffer (its BAR2, for `copy --to cmb`), a power of
    /// two of 4 KiB ..= 1 GiB [default: none].
    #[arg(long, value_parser = crate::units::parse_size, value_name = "BYTES")]
    pub sim_cmb: Option<u64>,
    #[command(flatten)]
    pub sim: crate::copy::SimNvmeArgs,
}

/// `--device vfio-user:PATH`: the socket, `None` for any other `--device` (or none). A
/// simulation option beside it, or an empty path, is a usage error.
pub fn socket(opts: &GlobalOpts) -> anyhow::Result<Option<PathBuf>> {
    let Some(path) = opts.device.as_deref().and_then(|d| d.strip_prefix(PREFIX)) else {
        return Ok(None);
    };
    if path.is_empty() {
        return Err(usage_error(
            "--device vfio-user:PATH needs the socket's path (as given to peerbar sim serve --socket)",
        ));
    }
    if let Some(name) = crate::target::simulation_option_given(opts) {
        return Err(usage_error(format!(
            "{name} shapes the simulation and cannot be used with --device vfio-user:...: give it \
             to `peerbar sim serve`, which owns the simulation"
        )));
    }
    Ok(Some(PathBuf::from(path)))
}

/// `bringup` needs what a client does not see: sysfs (the driver binding, the IOMMU group and
/// the topology of a real board) and, on the simulation, the fabric's routing verdict. With
/// `--device vfio-user:...` it is a usage error.
pub fn refuse_bringup(opts: &GlobalOpts) -> anyhow::Result<()> {
    if socket(opts)?.is_some() {
        return Err(usage_error(
            "bringup does not run on --device vfio-user:...: its checks read sysfs (binding, \
             IOMMU group, topology) and the simulation's fabric, which a vfio-user client does \
             not see; run `peerbar bringup` without --device for the simulation, and \
             `info`, `bar-test`, `push --verify` and `copy --nvme vfio-user:...` for the served \
             devices",
        ));
    }
    Ok(())
}

/// Connects to the server at `path`, given as `option` (`--device`, `--nvme`). A socket that
/// is missing is a usage error.
pub fn connect(option: &str, path: &Path) -> anyhow::Result<VfioUserDevice> {
    if !path.exists() {
        let serve = if option == "--nvme" {
            "--socket ENDPOINT.sock --nvme"
        } else {
            "--socket"
        };
        return Err(usage_error(format!(
            "{option} vfio-user:{0}: no such socket (start the server with `peerbar sim serve {serve} {0}`)",
            path.display()
        )));
    }
    // A measuring knob (docs/vfio-user.md): DMA memory by DMA_READ/DMA_WRITE messages instead
    // of shared memfds.
    let dma = match std::env::var("PEERBAR_VFIO_USER_DMA").as_deref() {
        Err(_) | Ok("" | "memfd") => DmaPath::SharedMemory,
        Ok("messages") => DmaPath::Messages,
        Ok(other) => {
            return Err(usage_error(format!(
                "PEERBAR_VFIO_USER_DMA={other}: memfd (the default) or messages"
            )))
        }
    };
    Ok(VfioUserDevice::connect_with(path, dma)?)
}

/// `peerbar sim serve`.
#[cfg(feature = "sim")]
pub fn serve(opts: &GlobalOpts, args: &ServeArgs) -> anyhow::Result<Outcome> {
    use anyhow::Context;
    use peerbar::Device;
    use peerbar_sim::vfio_user::{Function, ServeError, Server, ServerState};
    use std::sync::Arc;

    if opts.device.is_some() {
        return Err(usage_error(
            "sim serve starts its own simulation; --device does not apply",
        ));
    }
    if args.socket.as_os_str().is_empty() {
        return Err(usage_error("--socket needs a path"));
    }
    let nvme_config = nvme_config(args)?;
    let config = crate::target::sim_config(opts)?;
    let sim = peerbar_sim::SimDevice::new(config).context("starting the simulated endpoint")?;
    let (state, nvme) = match nvme_config {
        Some((path, config)) => {
            let nvme = sim
                .attach_nvme(config)
                .context("attaching the simulated NVMe controller")?;
            (ServerState::with_nvme(sim.clone(), nvme), Some(path))
        }
        None => (ServerState::new(sim.clone()), None),
    };
    // Every way of failing to bind is about the path the user gave. Both are bound before
    // either serves: a taken --nvme path leaves nothing behind (the endpoint's socket file
    // goes with its server).
    let server = Server::bind_function(&args.socket, Arc::clone(&state), Function::Endpoint)
        .map_err(|e: ServeError| usage_error(format!("--socket: {e}")))?;
    let nvme_server = match nvme {
        Some(path) => Some((
            path,
            Server::bind_function(path, Arc::clone(&state), Function::Nvme)
                .map_err(|e: ServeError| usage_error(format!("--nvme: {e}")))?,
        )),
        None => None,
    };
    server
        .stop_on_signals()
        .context("installing the SIGINT/SIGTERM handlers")?;
    eprintln!(
        "peerbar: serving {} over vfio-user on {} (Ctrl-C or SIGTERM stops)",
        sim.describe(),
        args.socket.display()
    );
    let nvme_thread = match nvme_server {
        Some((path, nvme_server)) => {
            if let Some(nvme) = state.nvme() {
                eprintln!(
                    "peerbar: serving {} on the same fabric on {}",
                    nvme.describe(),
                    path.display()
                );
            }
            let stop = nvme_server.stop_handle();
            let thread = std::thread::Builder::new()
                .name("peerbar-vfio-user-nvme".into())
                .spawn(move || nvme_server.run())
                .context("starting the NVMe socket's server")?;
            Some((stop, thread))
        }
        None => None,
    };
    let served = server.run().context("serving vfio-user");
    if let Some((stop, thread)) = nvme_thread {
        // Stopped by the same signal; stopped here too when the endpoint's server failed.
        stop.stop();
        match thread.join() {
            Ok(result) => result.context("serving the NVMe controller over vfio-user")?,
            Err(_) => anyhow::bail!("the NVMe socket's server thread panicked"),
        }
    }
    served?;
    eprintln!(
        "peerbar: stopped after {} simulated cycles; {} removed",
        sim.stats().cycles,
        match &args.nvme {
            Some(nvme) => format!("{} and {}", args.socket.display(), nvme.display()),
            None => args.socket.display().to_string(),
        }
    );
    Ok(Outcome::Ok)
}

/// `--nvme` and its shaping options, checked: the socket and the controller's configuration,
/// or `None` without `--nvme` (when a shaping option is a usage error).
#[cfg(feature = "sim")]
fn nvme_config(args: &ServeArgs) -> anyhow::Result<Option<(&Path, peerbar_sim::nvme::NvmeConfig)>> {
    let Some(path) = &args.nvme else {
        let mut given = args.sim.given();
        if args.sim_cmb.is_some() {
            given.push("--sim-cmb");
        }
        return match given.first() {
            Some(name) => Err(usage_error(format!(
                "{name} shapes the simulated NVMe controller, which only --nvme PATH serves"
            ))),
            None => Ok(None),
        };
    };
    if path.as_os_str().is_empty() {
        return Err(usage_error("--nvme needs a path"));
    }
    if path == &args.socket {
        return Err(usage_error(format!(
            "--socket and --nvme both name {}: the endpoint and the NVMe controller need a \
             socket each",
            path.display()
        )));
    }
    args.sim.check()?;
    let cmb = args.sim_cmb.unwrap_or(0);
    if cmb != 0 && !(cmb.is_power_of_two() && (4096..=1 << 30).contains(&cmb)) {
        return Err(usage_error(format!(
            "--sim-cmb {cmb}: the controller memory buffer is a power of two of 4 KiB ..= 1 GiB"
        )));
    }
    Ok(Some((path, args.sim.config(SERVED_NAMESPACE, cmb))))
}

/// The served controller's namespace unless --sim-namespace or --sim-file say otherwise: room
/// for many copies at different LBAs (memory is allocated only where it is written).
#[cfg(feature = "sim")]
const SERVED_NAMESPACE: u64 = 1 << 30;
