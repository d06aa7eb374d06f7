// SPDX-License-Identifier: MIT OR Apache-2.0
//! The steps that drive the opened endpoint: registers, BAR2, DMA loopback both ways, MSI-X.

use std::sync::Arc;
use std::time::{Duration, Instant};

use peerbar::bringup::Finding;
use peerbar::dma::{CompletionMode, DmaEngine, Job, PeerRange, QueueConfig, QueuePair, Sgl};
use peerbar::hostmem::DataList;
use peerbar::Endpoint;

use crate::target::Target;
use crate::units::{human_bytes, plural};

use super::{
    error_text, Checklist, BAR2, BAR2_TEST_BYTES, BAR2_TITLE, BARS, DMA_FIX, DMA_PULL,
    DMA_PULL_TITLE, DMA_PUSH, DMA_PUSH_TITLE, JOB_TIMEOUT, LOOPBACK_BYTES, LOOPBACK_ENTRIES, MSIX,
    MSIX_TITLE, OPEN_FIX, REGISTERS, REGISTERS_TITLE, SEED, VFIO, VISIBLE,
};

/// The steps that drive the opened endpoint (`None` when it could not be opened: every one
/// is then skipped). Everything opened is closed on return, so that the copy can open the
/// endpoint again (with the SSD, into one VFIO container).
pub(super) fn device_steps(list: &mut Checklist, target: Option<Target>) {
    let Some(mut target) = target else {
        // Not opened: REGISTERS failed opening it, or a step before did not pass.
        if !list.has(REGISTERS) {
            list.ready(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO]);
        }
        skip_device_steps(list);
        return;
    };
    if !list.ready(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO]) {
        skip_device_steps(list);
        return;
    }
    let endpoint = match target.shared_endpoint() {
        Ok(ep) => ep,
        Err(e) => {
            list.opening_failed(&e);
            skip_device_steps(list);
            return;
        }
    };
    let finding =
        registers(&target, &endpoint).unwrap_or_else(|e| Finding::fail(error_text(&e), OPEN_FIX));
    list.record(REGISTERS, REGISTERS_TITLE, &[VISIBLE, VFIO], finding);

    list.run(
        BAR2,
        BAR2_TITLE,
        &[BARS, REGISTERS],
        "BAR2 accesses failed: the message says which",
        || {
            let r = crate::bar_test::quick_bar2(&target, &endpoint, BAR2_TEST_BYTES, SEED)?;
            let what = format!(
                "{} over {} of BAR2 ({} bytes written and read back)",
                plural(r.passes, "pass", "passes"),
                human_bytes(BAR2_TEST_BYTES.min(r.bytes)),
                r.bytes
            );
            Ok(match r.first_mismatch {
                None => Finding::pass(what),
                Some(first) => Finding::fail(
                    format!("{what}: {} wrong word(s), first {first}", r.mismatches),
                    "BAR2 does not hold what is written: run `peerbar bar-test` for every \
                     wrong word; errors in single bits point at the memory or its timing \
                     (docs/synthesis.md), whole words at the completer's addressing",
                ),
            })
        },
    );

    let dma = match endpoint.dma() {
        Ok(dma) => Some(dma),
        Err(e) => {
            for (id, title) in [
                (DMA_PULL, DMA_PULL_TITLE),
                (DMA_PUSH, DMA_PUSH_TITLE),
                (MSIX, MSIX_TITLE),
            ] {
                list.run(id, title, &[REGISTERS], DMA_FIX, || {
                    Err(anyhow::anyhow!("opening the DMA engine: {e}"))
                });
            }
            None
        }
    };
    if let Some(dma) = dma {
        dma_steps(list, &dma);
    }
}

fn skip_device_steps(list: &mut Checklist) {
    for (id, title, needs) in [
        (BAR2, BAR2_TITLE, &[BARS, REGISTERS][..]),
        (DMA_PULL, DMA_PULL_TITLE, &[REGISTERS][..]),
        (DMA_PUSH, DMA_PUSH_TITLE, &[REGISTERS][..]),
        (MSIX, MSIX_TITLE, &[REGISTERS][..]),
    ] {
        list.ready(id, title, needs);
    }
}

/// MAGIC and VERSION (checked by opening), BAR2_SIZE against the BAR, CAPABILITIES, SCRATCH.
fn registers(target: &Target, endpoint: &Endpoint) -> anyhow::Result<Finding> {
    let version = endpoint.version();
    let bar2 = match endpoint.bar2_size() {
        Ok(size) => size,
        Err(peerbar::Error::Bar2SizeMismatch { register, bar_len }) => {
            return Ok(Finding::fail(
                format!(
                    "version {version}; BAR2_SIZE says {} but BAR2 is {}",
                    human_bytes(register),
                    human_bytes(bar_len)
                ),
                "the PCIe block's BAR2 and the RTL were built with different sizes: rebuild \
                 with the board flow, which sizes both from BAR2_SIZE_LOG2 (docs/board.md)",
            ))
        }
        Err(e) => return Err(e.into()),
    };
    let caps = endpoint.capabilities()?;
    let scratch = crate::bar_test::quick_scratch(target, endpoint, SEED)?;
    let what = format!(
        "MAGIC \"PEER\", version {version}, BAR2_SIZE {} = BAR2, {} queue(s), {}-byte datapath, \
         SCRATCH {} value(s) read back",
        human_bytes(bar2),
        caps.dma_queues,
        caps.datapath_bytes,
        scratch.bytes / 4
    );
    if let Some(first) = scratch.first_mismatch {
        return Ok(Finding::fail(
            format!("{what}: {first}"),
            "SCRATCH does not hold what is written: BAR0 writes are lost or corrupted (run \
             `peerbar reg write SCRATCH 0x12345678`; check the error counters with `peerbar \
             info`)",
        ));
    }
    if !caps.dma_engine || !caps.msix {
        return Ok(Finding::fail(
            format!(
                "{what}; CAPABILITIES: DMA engine {}, MSI-X {}",
                caps.dma_engine, caps.msix
            ),
            "this bitstream was built without the DMA engine or MSI-X: build the default \
             configuration (docs/board.md)",
        ));
    }
    Ok(Finding::pass(what))
}

/// Which way a loopback job moves the data.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loopback {
    Pull,
    Push,
}

fn dma_steps(list: &mut Checklist, dma: &DmaEngine) {
    // A polling queue for the loopback jobs, when they will run.
    let queue = list.unmet(&[REGISTERS]).is_none().then(|| {
        dma.enable()
            .and_then(|()| dma.create_queue(QueueConfig::new(0)))
    });
    for (id, title, op) in [
        (DMA_PULL, DMA_PULL_TITLE, Loopback::Pull),
        (DMA_PUSH, DMA_PUSH_TITLE, Loopback::Push),
    ] {
        list.run(id, title, &[REGISTERS], DMA_FIX, || match &queue {
            Some(Ok(queue)) => loopback(dma, queue, op),
            Some(Err(e)) => Err(anyhow::anyhow!("enabling the engine and queue 0: {e}")),
            None => Err(anyhow::anyhow!("the registers step did not pass")),
        });
    }
    // The MSI-X check takes queue 0 again, in interrupt mode.
    drop(queue);
    list.run(
        MSIX,
        MSIX_TITLE,
        &[REGISTERS],
        "MSI-X could not be enabled: the message says why (VFIO needs the IOMMU's interrupt \
         remapping or allow_unsafe_interrupts)",
        || msix(dma),
    );
}

/// One PULL or PUSH between a host buffer (as `LOOPBACK_ENTRIES` list entries) and a BAR2
/// slot; the destination first holds the complement of the pattern, so that a job that moved
/// nothing cannot pass.
fn loopback(dma: &DmaEngine, queue: &QueuePair, op: Loopback) -> anyhow::Result<Finding> {
    let len = LOOPBACK_BYTES.min(dma.peer_memory().bar_len());
    let slot = Arc::new(dma.peer_memory().alloc(len, 4096)?);
    let host = Arc::new(dma.memory().alloc(len as usize)?);
    let pattern = crate::push::host_pattern(SEED, len as usize);
    let complement: Vec<u8> = pattern.iter().map(|b| !b).collect();
    let piece = len / LOOPBACK_ENTRIES;
    let mut data = DataList::new();
    for i in 0..LOOPBACK_ENTRIES {
        data.push_buffer(&host, (i * piece) as usize, piece as u32)?;
    }
    let peer = PeerRange::whole(&slot)?;
    let list = Sgl::List(data);
    let job = match op {
        Loopback::Pull => {
            host.write(0, &pattern)?;
            slot.write(0, &complement)?;
            Job::Pull { peer, list }
        }
        Loopback::Push => {
            slot.write(0, &pattern)?;
            host.write(0, &complement)?;
            Job::Push { peer, list }
        }
    };
    let started = Instant::now();
    let completion = queue.submit(job)?.wait(JOB_TIMEOUT)?;
    let took = started.elapsed();
    if !completion.status.is_success() {
        return Ok(Finding::fail(
            format!("the job completed with status {}", completion.status),
            DMA_FIX,
        ));
    }
    let mut got = vec![0u8; len as usize];
    match op {
        Loopback::Pull => slot.read(0, &mut got)?,
        Loopback::Push => host.read(0, &mut got)?,
    }
    let what = format!(
        "{} in {LOOPBACK_ENTRIES} list entries, {:.1} ms",
        human_bytes(len),
        took.as_secs_f64() * 1e3
    );
    let wrong = got.iter().zip(&pattern).filter(|(a, b)| a != b).count();
    match got.iter().zip(&pattern).position(|(a, b)| a != b) {
        None => Ok(Finding::pass(format!("{what}, every byte compared"))),
        Some(at) => Ok(Finding::fail(
            format!(
                "{what}: {wrong} byte(s) wrong, first at offset {at:#x}: expected {:#04x}, found \
                 {:#04x}{}",
                pattern[at],
                got[at],
                if got[at] == complement[at] {
                    " (not written)"
                } else {
                    ""
                }
            ),
            "the job reported success but the data differs: run `peerbar push` with --verify \
             on examples/lists/gather.txt to see which entry; report it with the output",
        )),
    }
}

/// A NOP on an interrupt-mode queue: the engine must send an MSI-X message that reaches this
/// process (counted by the engine's interrupt thread; a job's completion alone proves
/// nothing, the wait also polls).
fn msix(dma: &DmaEngine) -> anyhow::Result<Finding> {
    let before = dma.interrupts_received();
    let queue = dma.create_queue(QueueConfig {
        mode: CompletionMode::Interrupt,
        ..QueueConfig::new(0)
    })?;
    queue.submit(Job::Nop)?.wait(JOB_TIMEOUT)?;
    // The completion may have been found by polling just before the message arrived.
    let deadline = Instant::now() + Duration::from_secs(1);
    while dma.interrupts_received() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let received = dma.interrupts_received() - before;
    Ok(if received > 0 {
        Finding::pass(format!(
            "queue 0 on vector 0: {received} message(s) received for one job"
        ))
    } else {
        Finding::fail(
            "the job completed but no MSI-X message reached the host (the driver found the \
             completion by polling)",
            "check the kernel log (dmesg) for interrupt remapping faults, that the MSI-X \
             table is in BAR0 at 8000h with the build's vector count (lspci -vv: MSI-X: \
             Enable+ Count=..), and the bitstream's MSI-X setting (docs/board.md)",
        )
    })
}
