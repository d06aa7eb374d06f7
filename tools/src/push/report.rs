// SPDX-License-Identifier: MIT OR Apache-2.0
//! The job's report: its JSON fields and the human-readable rendering.

use serde::Serialize;

use crate::units::human_seconds;

#[derive(Serialize, Debug)]
pub(super) struct Report {
    pub(super) schema: &'static str,
    pub(super) target: &'static str,
    pub(super) device: String,
    pub(super) file: String,
    pub(super) format: &'static str,
    pub(super) op: &'static str,
    pub(super) queue: u16,
    pub(super) bar2_offset: u64,
    pub(super) entries: usize,
    pub(super) bytes: u32,
    #[serde(serialize_with = "crate::units::serialize_u64_lossless")]
    pub(super) seed: u64,
    pub(super) host_buffer_bytes: u64,
    pub(super) status: String,
    pub(super) status_code: u16,
    pub(super) ok: bool,
    pub(super) result: u32,
    pub(super) wall_seconds: f64,
    pub(super) sim_cycles: Option<u64>,
    /// A failed job's bus address from DMA_ERROR_ADDR, "0x" hex.
    pub(super) error_address: Option<String>,
    /// The entry whose bytes `error_address` lies in.
    pub(super) error_entry: Option<String>,
    pub(super) iommu_faults: Vec<Fault>,
    pub(super) verified: Option<bool>,
    pub(super) mismatches: Vec<Mismatch>,
    /// `--in FILE`, else null.
    #[serde(rename = "in")]
    pub(super) input: Option<String>,
    /// `--out FILE`, else null.
    pub(super) out: Option<String>,
}

/// A DMA of the job the simulated IOMMU refused.
#[derive(Serialize, Debug, Clone)]
pub(super) struct Fault {
    /// First byte, "0x" hex.
    pub(super) address: String,
    pub(super) bytes: u64,
    /// "read" or "write".
    pub(super) direction: &'static str,
    pub(super) reason: &'static str,
    /// The entry the address lies in, if any.
    pub(super) entry: Option<String>,
}

#[derive(Serialize, Debug, Clone)]
pub(super) struct Mismatch {
    /// The entry's origin (line / entry / descriptor).
    pub(super) entry: String,
    /// Where the differing byte is: `bar2:+0x..` or `host:+0x..`.
    pub(super) location: String,
    /// Offset of the byte in the job's BAR2 range.
    pub(super) offset: u64,
    pub(super) expected: String,
    pub(super) actual: String,
}

pub(super) fn render(r: &Report) -> String {
    let mut out = String::new();
    out.push_str(&format!("status   {}\n", r.status));
    out.push_str(&format!(
        "moved    {} of {} bytes (RESULT)\n",
        r.result, r.bytes
    ));
    out.push_str(&format!(
        "time     {} wall{}\n",
        human_seconds(r.wall_seconds),
        r.sim_cycles
            .map_or_else(String::new, |c| format!(", {c} simulated cycles"))
    ));
    match r.verified {
        Some(true) => out.push_str("verify   passed\n"),
        Some(false) => {
            out.push_str("verify   MISMATCH (first differing byte of each entry)\n");
            for m in &r.mismatches {
                out.push_str(&format!(
                    "  {}: {} (job offset {:#x}): expected {}, found {}\n",
                    m.entry, m.location, m.offset, m.expected, m.actual
                ));
            }
        }
        None => {}
    }
    if let Some(address) = &r.error_address {
        out.push_str(&format!(
            "failed at {address} ({}, DMA_ERROR_ADDR)\n",
            r.error_entry
                .as_deref()
                .unwrap_or("in no entry: the list's own segments or memory it does not name")
        ));
    }
    if !r.iommu_faults.is_empty() {
        out.push_str(&format!(
            "IOMMU    refused {} DMA(s) of the job; the data did not arrive:\n",
            r.iommu_faults.len()
        ));
        for f in &r.iommu_faults {
            out.push_str(&format!(
                "  {} {} + {} bytes ({}): {}\n",
                f.direction,
                f.address,
                f.bytes,
                f.entry.as_deref().unwrap_or("in no entry"),
                f.reason
            ));
        }
    }
    if let Some(path) = &r.input {
        out.push_str(&format!("in       {path} -> BAR2, then pushed\n"));
    }
    if let Some(path) = &r.out {
        if r.ok && r.iommu_faults.is_empty() {
            out.push_str(&format!("out      BAR2 -> {path} ({} bytes)\n", r.bytes));
        } else {
            out.push_str(&format!("out      {path} not written: the job failed\n"));
        }
    }
    if !r.ok {
        out.push_str("the job completed with an error status (exit status 4)\n");
    } else if !r.iommu_faults.is_empty() {
        out.push_str("the IOMMU refused some of the job's DMAs (exit status 4)\n");
    }
    out
}
