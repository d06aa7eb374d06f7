// SPDX-License-Identifier: MIT OR Apache-2.0
//! Running one job: building the list, submitting it, waiting, and `--verify`.

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use peerbar::dma::sgl::{self, SglBuilder};
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::{DataList, Held, PreparedSgl};
use peerbar::{BarOffset, BusAddr, Endpoint};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::target::Target;
use crate::units::human_bytes;
use crate::{usage_error, GlobalOpts, Outcome};

use super::parse::{check_bar2, Origin};
use super::report::{render, Fault, Mismatch, Report};
use super::{list_error, List, Loaded, Location, Op, PushArgs, MAX_MISMATCHES};

/// The entry (its origin) whose bus range holds `address`.
pub(super) fn entry_at(spans: &[(u64, u32, Origin)], address: u64) -> Option<String> {
    spans
        .iter()
        .find(|&&(start, len, _)| address >= start && address - start < u64::from(len))
        .map(|&(_, _, origin)| origin.to_string())
}

/// DMA_ERROR_ADDR when the engine's error log (sticky: the first failed job since reset) holds
/// this job: command `cid` on `queue`.
pub(super) fn logged_error_address(
    endpoint: &Endpoint,
    cid: u16,
    queue: u16,
) -> anyhow::Result<Option<u64>> {
    use peerbar::regs::{read, read64, DMA_ERROR_ADDR_REG64, DMA_ERROR_LOG, DMA_ERROR_LOG_REG};
    let dev = endpoint.device();
    let log = read(dev, &DMA_ERROR_LOG_REG).context("reading DMA_ERROR_LOG")?;
    let this_job = log.is_set(DMA_ERROR_LOG::VALID)
        && log.read(DMA_ERROR_LOG::CID) == u32::from(cid)
        && log.read(DMA_ERROR_LOG::QUEUE) == u32::from(queue);
    if !this_job {
        return Ok(None);
    }
    let addr = read64(dev, &DMA_ERROR_ADDR_REG64).context("reading DMA_ERROR_ADDR")?;
    Ok(Some(addr))
}

/// The simulation's refused DMAs since it started, as (address, bytes, direction, reason):
/// a PUSH's posted writes into unmapped memory complete with success, so the IOMMU's refusal
/// is the only sign they went nowhere. None on hardware (the kernel logs IOMMU faults).
pub(super) fn take_sim_faults(target: &Target) -> Vec<(u64, u64, &'static str, &'static str)> {
    #[cfg(feature = "sim")]
    if let Some(sim) = &target.sim {
        return sim
            .take_faults()
            .into_iter()
            .map(|f| {
                let direction = match f.direction {
                    peerbar_sim::DmaDirection::Read => "read",
                    peerbar_sim::DmaDirection::Write => "write",
                };
                (f.address, f.len, direction, f.reason)
            })
            .collect();
    }
    #[cfg(not(feature = "sim"))]
    let _ = target;
    Vec::new()
}

/// The host buffer's pattern.
pub(crate) fn host_pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

pub(super) fn bar2_read(endpoint: &Endpoint, offset: u64, len: usize) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    endpoint
        .peer_read(BarOffset::new(offset), &mut buf)
        .with_context(|| format!("reading BAR2 {offset:#x}+{len} for --verify"))?;
    Ok(buf)
}

/// Reads `buf.len()` bytes at bus address `addr` from one of the held host buffers.
pub(super) fn read_held(held: &[Held], addr: BusAddr, buf: &mut [u8]) -> Result<(), String> {
    for h in held {
        if let Held::Buffer(b) = h {
            let base = b.bus_addr().get();
            let a = addr.get();
            if a >= base && a - base + buf.len() as u64 <= b.len() as u64 {
                return b.read((a - base) as usize, buf).map_err(|e| e.to_string());
            }
        }
    }
    Err(format!("{addr} is not in the list's memory"))
}

pub fn run(
    target: &mut Target,
    opts: &GlobalOpts,
    args: &PushArgs,
    loaded: &Loaded,
) -> anyhow::Result<Outcome> {
    let list = &loaded.list;
    let endpoint = target.shared_endpoint()?;
    let dma = endpoint.dma()?;
    let bar2_len = dma.peer_memory().bar_len();
    check_bar2(list, args.bar2_offset, bar2_len).map_err(|e| list_error(&loaded.file, e))?;
    if args.queue >= dma.queue_count() {
        return Err(usage_error(format!(
            "--queue {}: the endpoint has {} queue pair(s) (0..={})",
            args.queue,
            dma.queue_count(),
            dma.queue_count().saturating_sub(1)
        )));
    }

    // The job's memory: all of BAR2 as one slice (the tool is its only user), and the host
    // buffer with its seeded pattern.
    let bar2 = Arc::new(dma.peer_memory().alloc(bar2_len, 1)?);
    let pattern = host_pattern(args.seed, list.host_len as usize);
    let host: Option<Arc<DmaBuffer>> = if list.host_len > 0 {
        let buf = dma
            .memory()
            .alloc(list.host_len as usize)
            .context("allocating the host buffer")?;
        buf.write(0, &pattern)?;
        Some(Arc::new(buf))
    } else {
        None
    };
    let mut data = DataList::new();
    for e in &list.entries {
        match e.data {
            None => {
                data.push_bit_bucket(e.len);
            }
            Some(Location::Bus(a)) => {
                data.push_bus(BusAddr::new(a), e.len);
            }
            Some(Location::Bar2(o)) => {
                data.push_peer(&bar2, o, e.len)?;
            }
            Some(Location::Host(o)) => {
                let buf = host.as_ref().expect("host buffer for host: entries");
                data.push_buffer(buf, o as usize, e.len)?;
            }
        }
    }
    // Each data entry's bus range, to name the entry an engine error or IOMMU fault hit.
    let spans: Vec<(u64, u32, Origin)> = data
        .entries()
        .iter()
        .zip(&list.entries)
        .filter_map(|(sgl_entry, e)| match *sgl_entry {
            sgl::SglEntry::Data { addr, len } => Some((addr.get(), len, e.origin)),
            sgl::SglEntry::BitBucket { .. } => None,
        })
        .collect();
    let prepared = PreparedSgl::build(dma.memory(), &data, &SglBuilder::default())
        .context("building the SGL")?;
    // The engine's rules, on the list exactly as it sits in memory.
    let opcode = args.op.opcode();
    sgl::validate(prepared.dptr(), list.total, opcode, |addr, buf| {
        read_held(prepared.held(), addr, buf)
    })
    .map_err(|e| {
        usage_error(format!(
            "{}: the built list breaks the engine's SGL rules ({e:?}, status {}); nothing was \
             submitted",
            loaded.file,
            e.status().map_or_else(|| "-".to_owned(), |s| s.to_string())
        ))
    })?;

    // --verify must compare known bytes: BAR2 is zero on a fresh simulation, and zeros compared
    // with zeros prove nothing (overlapping PUSH targets "verified"). So the BAR2 bytes the job
    // reads (PUSH: its range; PULL: the bar2: sources) and a PULL's target range (what bit
    // buckets must leave untouched) first get patterns of their own, unlike the host buffer's.
    if args.verify {
        // --in: the job's range holds the file's bytes, known already.
        let mut fills = Vec::new();
        if loaded.input.is_none() {
            fills.push((args.bar2_offset, list.total));
        }
        if args.op == Op::Pull {
            fills.extend(list.entries.iter().filter_map(|e| match e.data {
                Some(Location::Bar2(o)) => Some((o, e.len)),
                _ => None,
            }));
        }
        for (stream, &(offset, len)) in (1..).zip(&fills) {
            let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
            rng.set_stream(stream);
            let mut bytes = vec![0u8; len as usize];
            rng.fill_bytes(&mut bytes);
            endpoint
                .peer_write(BarOffset::new(offset), &bytes)
                .with_context(|| format!("filling BAR2 {offset:#x}+{len} for --verify"))?;
        }
    }
    if let Some(bytes) = &loaded.input {
        crate::mem::bar2_write(endpoint.device(), args.bar2_offset, bytes)
            .context("writing --in into BAR2")?;
    }
    // Before the job: what --verify compares against.
    let before_target = if args.verify && args.op == Op::Pull {
        Some(bar2_read(&endpoint, args.bar2_offset, list.total as usize)?)
    } else {
        None
    };
    let mut bar2_sources = Vec::new();
    if args.verify && args.op == Op::Pull {
        for e in &list.entries {
            if let Some(Location::Bar2(o)) = e.data {
                bar2_sources.push(bar2_read(&endpoint, o, e.len as usize)?);
            }
        }
    }

    let peer = PeerRange::new(&bar2, args.bar2_offset, list.total)?;
    let sgl = Sgl::Prepared(Arc::new(prepared));
    let job = match args.op {
        Op::Pull => Job::Pull { peer, list: sgl },
        Op::Push => Job::Push { peer, list: sgl },
    };
    dma.enable()?;
    let queue = dma.create_queue(QueueConfig::new(args.queue))?;
    if !opts.json {
        outln!(
            "push on {}: {}\n{} {} entr{} from {} ({}), {} ({} bytes) {} BAR2 {:#x}..{:#x}, queue {}{}",
            target.kind.as_str(),
            target.description,
            args.op.name().to_uppercase(),
            list.entries.len(),
            if list.entries.len() == 1 { "y" } else { "ies" },
            loaded.file,
            loaded.format.name(),
            human_bytes(u64::from(list.total)),
            list.total,
            if args.op == Op::Pull { "->" } else { "<-" },
            args.bar2_offset,
            args.bar2_offset + u64::from(list.total),
            args.queue,
            if list.host_len > 0 {
                format!(
                    ", host buffer {} (seed {})",
                    human_bytes(list.host_len),
                    args.seed
                )
            } else {
                String::new()
            }
        )?;
    }

    let stats_before = target.sim_cycles();
    let t0 = Instant::now();
    let ticket = queue.submit(job).context("submitting the job")?;
    let completion = match ticket.wait(args.wait) {
        Ok(c) => c,
        Err(e @ peerbar::Error::Dma(peerbar::DmaError::Timeout { .. })) => {
            return Err(anyhow::Error::new(e).context(format!(
                "the job got no completion within --wait {} s (the engine may be stuck or \
                 the list names memory that never answers)",
                args.wait.as_secs_f64()
            )))
        }
        Err(e) => return Err(anyhow::Error::new(e).context("waiting for the job's completion")),
    };
    let wall = t0.elapsed();
    let sim_cycles = match (stats_before, target.sim_cycles()) {
        (Some(b), Some(a)) => Some(a - b),
        _ => None,
    };
    let ok = completion.status.is_success();
    let error_address = if ok {
        None
    } else {
        logged_error_address(&endpoint, completion.cid, args.queue)?
    };
    let iommu_faults: Vec<Fault> = take_sim_faults(target)
        .into_iter()
        .map(|(address, bytes, direction, reason)| Fault {
            address: format!("{address:#x}"),
            bytes,
            direction,
            reason,
            entry: entry_at(&spans, address),
        })
        .collect();

    let mut mismatches = Vec::new();
    let verified = if args.verify && ok {
        verify(
            &endpoint,
            args,
            list,
            &pattern,
            host.as_deref(),
            before_target.as_deref().unwrap_or(&[]),
            &bar2_sources,
            &mut mismatches,
        )?;
        Some(mismatches.is_empty())
    } else {
        None
    };

    let report = Report {
        schema: "peerbar-push/1",
        target: target.kind.as_str(),
        device: target.description.clone(),
        file: loaded.file.clone(),
        format: loaded.format.name(),
        op: args.op.name(),
        queue: args.queue,
        bar2_offset: args.bar2_offset,
        entries: list.entries.len(),
        bytes: list.total,
        seed: args.seed,
        host_buffer_bytes: list.host_len,
        status: completion.status.to_string(),
        status_code: completion.status.code(),
        ok,
        result: completion.result,
        wall_seconds: wall.as_secs_f64(),
        sim_cycles,
        error_address: error_address.map(|a| format!("{a:#x}")),
        error_entry: error_address.and_then(|a| entry_at(&spans, a)),
        iommu_faults,
        verified,
        mismatches,
        input: args.input.as_ref().map(|p| p.display().to_string()),
        out: args.out.as_ref().map(|p| p.display().to_string()),
    };
    // --out: what the PULL brought, kept only when the job succeeded.
    if let Some(path) = &args.out {
        if ok && report.iommu_faults.is_empty() {
            let bytes =
                crate::mem::bar2_read(endpoint.device(), args.bar2_offset, u64::from(list.total))
                    .context("reading BAR2 for --out")?;
            std::fs::write(path, &bytes).map_err(|e| {
                usage_error(format!("--out {}: cannot write it: {e}", path.display()))
            })?;
        }
    }
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        crate::out::print(render(&report))?;
    }
    Ok(if !ok || !report.iommu_faults.is_empty() {
        Outcome::JobError
    } else if verified == Some(false) {
        Outcome::Mismatch
    } else {
        Outcome::Ok
    })
}

/// Compares what the job should have produced with what is there; fills `mismatches` with the
/// first differing byte of each differing entry.
#[allow(clippy::too_many_arguments)]
pub(super) fn verify(
    endpoint: &Endpoint,
    args: &PushArgs,
    list: &List,
    pattern: &[u8],
    host: Option<&DmaBuffer>,
    before_target: &[u8],
    bar2_sources: &[Vec<u8>],
    mismatches: &mut Vec<Mismatch>,
) -> anyhow::Result<()> {
    let range = bar2_read(endpoint, args.bar2_offset, list.total as usize)?;
    let mut sources = bar2_sources.iter();
    let mut pos = 0usize;
    for e in &list.entries {
        let len = e.len as usize;
        let span = pos..pos + len;
        // (expected, actual, location of byte i)
        let (expected, actual, base): (Vec<u8>, Vec<u8>, Location) = match (args.op, e.data) {
            (Op::Pull, None) => (
                before_target[span.clone()].to_vec(),
                range[span.clone()].to_vec(),
                Location::Bar2(args.bar2_offset + pos as u64),
            ),
            (Op::Pull, Some(Location::Host(o))) => (
                pattern[o as usize..o as usize + len].to_vec(),
                range[span.clone()].to_vec(),
                Location::Bar2(args.bar2_offset + pos as u64),
            ),
            (Op::Pull, Some(Location::Bar2(_))) => (
                sources
                    .next()
                    .expect("one snapshot per bar2 source")
                    .clone(),
                range[span.clone()].to_vec(),
                Location::Bar2(args.bar2_offset + pos as u64),
            ),
            (Op::Push, Some(Location::Host(o))) => {
                let mut got = vec![0u8; len];
                host.expect("host buffer").read(o as usize, &mut got)?;
                (range[span.clone()].to_vec(), got, Location::Host(o))
            }
            (Op::Push, Some(Location::Bar2(o))) => (
                range[span.clone()].to_vec(),
                bar2_read(endpoint, o, len)?,
                Location::Bar2(o),
            ),
            // Raw bus addresses are refused with --verify; bit buckets in a PUSH never load.
            _ => unreachable!("checked by load()"),
        };
        if let Some(i) = expected.iter().zip(&actual).position(|(x, y)| x != y) {
            if mismatches.len() < MAX_MISMATCHES {
                let location = match base {
                    Location::Bar2(o) => Location::Bar2(o + i as u64),
                    Location::Host(o) => Location::Host(o + i as u64),
                    Location::Bus(a) => Location::Bus(a + i as u64),
                };
                mismatches.push(Mismatch {
                    entry: e.origin.to_string(),
                    location: location.describe(),
                    offset: (pos + i) as u64,
                    expected: format!("{:#04x}", expected[i]),
                    actual: format!("{:#04x}", actual[i]),
                });
            }
        }
        pos += len;
    }
    Ok(())
}
