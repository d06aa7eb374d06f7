// SPDX-License-Identifier: MIT OR Apache-2.0
//! The peer-to-peer steps: the P2P verdict (sysfs, or the simulated fabric) and a short
//! verified copy through BAR2.

use peerbar::bringup::Finding;
use peerbar::topology::{Sysfs, VerdictKind};

use crate::copy::{CopyArgs, Destination, Direction, Transfer};
use crate::target::Target;
use crate::units::human_bytes;
use crate::GlobalOpts;

use super::{
    BringupArgs, Checklist, COPY_CHUNK, COPY_CHUNKS, COPY_DEPTH, DMA_PULL, DMA_PUSH, JOB_TIMEOUT,
    P2P_COPY, P2P_COPY_TITLE, P2P_VERDICT, P2P_VERDICT_TITLE, SEED, VISIBLE,
};

/// The P2P verdict and the short copy: with --nvme on hardware, with the simulated NVMe
/// controller on the simulation (`sim_verdict`: what the simulated fabric said).
pub(super) fn p2p_steps(
    list: &mut Checklist,
    opts: &GlobalOpts,
    args: &BringupArgs,
    sim_verdict: Option<anyhow::Result<Finding>>,
) {
    let copy_needs: &[&'static str] = &[P2P_VERDICT, DMA_PULL, DMA_PUSH];
    let hardware_nvme = match (&opts.device, &args.nvme) {
        (Some(_), None) => {
            let why = "no --nvme <BDF> given: nothing to check".to_owned();
            list.skip(P2P_VERDICT, P2P_VERDICT_TITLE, &[VISIBLE], why.clone());
            list.skip(P2P_COPY, P2P_COPY_TITLE, copy_needs, why);
            return;
        }
        (Some(device), Some(nvme)) => Some((device.clone(), nvme.clone())),
        (None, _) => None,
    };
    list.run(
        P2P_VERDICT,
        P2P_VERDICT_TITLE,
        &[VISIBLE],
        "sysfs could not be read for the pair: the message says why (`peerbar topology` \
         shows the same facts)",
        || match (&hardware_nvme, sim_verdict) {
            (Some((device, nvme)), _) => sysfs_verdict(&args.sysfs(), device, nvme),
            (None, Some(verdict)) => verdict,
            (None, None) => Err(anyhow::anyhow!("no target to ask")),
        },
    );
    if hardware_nvme.is_some() && !args.allow_nvme_write {
        // A step it needs that did not pass is the first thing to say.
        if !list.ready(P2P_COPY, P2P_COPY_TITLE, copy_needs) {
            return;
        }
        list.skip(
            P2P_COPY,
            P2P_COPY_TITLE,
            copy_needs,
            format!(
                "the copy writes a pattern to the SSD and reads it back: give \
                 --allow-nvme-write ({} from --nvme-lba, default 0, are overwritten)",
                human_bytes(COPY_CHUNK * COPY_CHUNKS)
            ),
        );
        return;
    }
    list.run(
        P2P_COPY,
        P2P_COPY_TITLE,
        copy_needs,
        "the copy could not run: the message says why; `peerbar copy` with the same \
         options runs it with every detail",
        || short_copy(opts, args),
    );
}

fn sysfs_verdict(sysfs: &Sysfs, device: &str, nvme: &str) -> anyhow::Result<Finding> {
    let endpoint = sysfs.function(device.parse()?)?;
    let ssd = sysfs.function(nvme.parse()?)?;
    let pair = sysfs.pair(&endpoint, &ssd, &sysfs.iommu())?;
    let verdict = &pair.verdict;
    let detail = format!(
        "{}: {} (common: {})",
        verdict.kind.name(),
        verdict.summary,
        pair.common.kind()
    );
    Ok(match verdict.kind {
        VerdictKind::Direct | VerdictKind::ThroughRootComplex => Finding::pass(detail),
        VerdictKind::Blocked | VerdictKind::Unknown => {
            let mut fix = verdict.actions.join("; ");
            if fix.is_empty() {
                fix = verdict.reasons.join("; ");
            }
            Finding::fail(
                detail,
                format!("{fix} (`peerbar topology {device} {nvme}`)"),
            )
        }
    })
}

/// Simulation: where the simulated fabric routes a peer's request for BAR2's bus address.
#[cfg(feature = "sim")]
pub(super) fn simulated_verdict(target: &Target) -> anyhow::Result<Finding> {
    use peerbar_sim::fabric::{PeerId, Route};
    let sim = target.sim.as_ref().expect("simulation target");
    let bar2 = target.device().bar_bus_addr(peerbar::BarIndex::BAR2)?.get();
    Ok(match sim.route(bar2) {
        Route::Peer { bar, offset: 0 } if bar.device == PeerId::Endpoint && bar.bar == 2 => {
            Finding::pass(format!(
                "direct: the simulated fabric routes a peer's request for {bar2:#x} to the \
                 endpoint's BAR2, not through the IOMMU to host memory"
            ))
        }
        other => Finding::fail(
            format!("the simulated fabric routes {bar2:#x} to {other:?}, not to BAR2"),
            "a simulation bug: BAR2's address is not in the fabric's address map",
        ),
    })
}

#[cfg(not(feature = "sim"))]
pub(super) fn simulated_verdict(_target: &Target) -> anyhow::Result<Finding> {
    Err(crate::usage_error(crate::target::NO_SIMULATOR))
}

/// `copy` at a small size: to the SSD and back through BAR2, every byte compared.
fn short_copy(opts: &GlobalOpts, args: &BringupArgs) -> anyhow::Result<Finding> {
    let copy = CopyArgs {
        size: COPY_CHUNK * COPY_CHUNKS,
        chunk: COPY_CHUNK,
        depth: COPY_DEPTH,
        direction: Direction::Both,
        to: Destination::Host,
        lba: args.nvme_lba.unwrap_or(0),
        seed: SEED,
        transfer: Transfer::Auto,
        no_verify: false,
        timeout: JOB_TIMEOUT,
        duration: None,
        nvme: args.nvme.clone(),
        allow_nvme_write: args.allow_nvme_write,
        sim: crate::copy::SimNvmeArgs::default(),
    };
    crate::copy::check_args(&copy, opts)?;
    // Quiet: the copy's own header and progress bar would break the checklist (and its JSON).
    let quiet = GlobalOpts {
        json: true,
        trace: None,
        ..opts.clone()
    };
    let report = crate::copy::execute(&quiet, &copy)?;
    let what = format!(
        "{} each way in {COPY_CHUNKS} chunks with {} ({}), {} bytes compared",
        human_bytes(copy.size),
        report.nvme(),
        report.leg_names().join(", "),
        report.bytes_compared()
    );
    Ok(match report.problem() {
        None => Finding::pass(what),
        Some(problem) => Finding::fail(
            format!("{what}: {problem}"),
            "run `peerbar copy` with the same devices for the whole report; wrong bytes from \
             the SSD with the DMA steps passing point at the P2P path (docs/topology.md)",
        ),
    })
}
