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
as for any command.";

pub const SERVE_AFTER_HELP: &str = "\
Examples:
  peerbar sim serve --socket ./peerbar.sock &
  peerbar --device vfio-user:./peerbar.sock push list.txt
  peerbar --device vfio-user:./peerbar.sock regs --only dma
  kill %1                                  stops the server; the socket file is removed";

/// `peerbar sim ...`.
#[derive(clap::Args, Debug)]
pub struct SimArgs {
    #[command(subcommand)]
    pub command: SimCommand,
}

#[derive(clap::Subcommand, Debug)]
pub enum SimCommand {
    /// Serve one simulated endpoint over vfio-user on a UNIX socket, for --device
    /// vfio-user:PATH (several commands, in a row or at once, on one device).
    #[command(long_about = SERVE_LONG_ABOUT, after_help = SERVE_AFTER_HELP)]
    Serve(ServeArgs),
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// The UNIX socket to listen on (created; removed again on exit).
    #[arg(long, value_name = "PATH")]
    pub socket: PathBuf,
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

/// `bringup` and `copy` need what the server does not serve (the simulation's fabric verdict,
/// the NVMe model as a second device): with `--device vfio-user:...` they are a usage error.
pub fn refuse_for(opts: &GlobalOpts, command: &str) -> anyhow::Result<()> {
    if socket(opts)?.is_some() {
        return Err(usage_error(format!(
            "{command} does not run on --device vfio-user:... yet: the server serves the endpoint              only (no NVMe model, no view of its fabric); run `peerbar {command}` without --device              for the simulation"
        )));
    }
    Ok(())
}

/// Connects to the server at `path`. A socket that is missing is a usage error.
pub fn connect(path: &Path) -> anyhow::Result<VfioUserDevice> {
    if !path.exists() {
        return Err(usage_error(format!(
            "--device vfio-user:{0}: no such socket (start the server with `peerbar sim serve --socket {0}`)",
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
    use peerbar_sim::vfio_user::{ServeError, Server};

    if opts.device.is_some() {
        return Err(usage_error(
            "sim serve starts its own simulation; --device does not apply",
        ));
    }
    if args.socket.as_os_str().is_empty() {
        return Err(usage_error("--socket needs a path"));
    }
    let config = crate::target::sim_config(opts)?;
    let sim = peerbar_sim::SimDevice::new(config).context("starting the simulated endpoint")?;
    // Every way of failing to bind is about the path the user gave.
    let server = Server::bind(&args.socket, sim.clone())
        .map_err(|e: ServeError| usage_error(format!("--socket: {e}")))?;
    server
        .stop_on_signals()
        .context("installing the SIGINT/SIGTERM handlers")?;
    eprintln!(
        "peerbar: serving {} over vfio-user on {} (Ctrl-C or SIGTERM stops)",
        sim.describe(),
        args.socket.display()
    );
    server.run().context("serving vfio-user")?;
    eprintln!(
        "peerbar: stopped after {} simulated cycles; {} removed",
        sim.stats().cycles,
        args.socket.display()
    );
    Ok(Outcome::Ok)
}
