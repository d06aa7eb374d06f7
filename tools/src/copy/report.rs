// SPDX-License-Identifier: MIT OR Apache-2.0
//! What a copy reports: per leg, bytes, rates and latency percentiles; as JSON or a table.

use peerbar::copy::LegFigures;
use serde::Serialize;

use crate::units::{human_bytes, human_seconds, render_table};
use crate::Outcome;

use super::CopyReport;

/// One leg of the copy, measured.
#[derive(Debug, Serialize)]
pub(super) struct LegReport {
    leg: &'static str,
    chunks: u64,
    bytes: u64,
    wall_seconds: f64,
    wall_mb_per_s: f64,
    /// Simulated time (cycles at 250 MHz) and throughput over it; null on hardware.
    sim_seconds: Option<f64>,
    sim_gb_per_s: Option<f64>,
    /// Per-chunk latency from the first command to the chunk's last step, wall clock.
    latency_ms: Percentiles,
    /// The same in simulated time (null on hardware).
    sim_latency_us: Option<Percentiles>,
    checksums_verified: u64,
    bytes_compared: u64,
}

#[derive(Debug, Serialize, Clone, Copy)]
struct Percentiles {
    p50: f64,
    p90: f64,
    p99: f64,
    max: f64,
}

impl Percentiles {
    fn of(mut values: Vec<f64>) -> Percentiles {
        if values.is_empty() {
            return Percentiles {
                p50: 0.0,
                p90: 0.0,
                p99: 0.0,
                max: 0.0,
            };
        }
        values.sort_by(f64::total_cmp);
        // Nearest-rank percentile.
        let at =
            |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
        Percentiles {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: values[values.len() - 1],
        }
    }

    fn show(&self) -> String {
        format!(
            "{:.3} / {:.3} / {:.3} / {:.3}",
            self.p50, self.p90, self.p99, self.max
        )
    }
}

/// A leg's figures as its report.
pub(super) fn leg_report(figures: LegFigures, leg: &'static str) -> LegReport {
    let (bytes, wall, sim_seconds) = (figures.bytes, figures.wall, figures.sim);
    LegReport {
        leg,
        chunks: figures.chunks,
        bytes,
        wall_seconds: wall,
        wall_mb_per_s: if wall > 0.0 {
            bytes as f64 / wall / 1e6
        } else {
            0.0
        },
        sim_seconds,
        sim_gb_per_s: sim_seconds
            .filter(|s| *s > 0.0)
            .map(|s| bytes as f64 / s / 1e9),
        latency_ms: Percentiles::of(figures.latencies_ms),
        sim_latency_us: sim_seconds.map(|_| Percentiles::of(figures.sim_latencies_us)),
        checksums_verified: figures.checksums,
        bytes_compared: figures.compared,
    }
}

impl CopyReport {
    /// The exit status the copy's result calls for.
    pub(crate) fn outcome(&self) -> Outcome {
        if self.mismatch.is_some() {
            Outcome::Mismatch
        } else if self.failure.is_some() {
            Outcome::JobError
        } else {
            Outcome::Ok
        }
    }

    /// Bytes compared end to end, over every leg.
    pub(crate) fn bytes_compared(&self) -> u64 {
        self.legs.iter().map(|l| l.bytes_compared).sum()
    }

    /// The legs that ran, by name.
    pub(crate) fn leg_names(&self) -> Vec<&'static str> {
        self.legs.iter().map(|l| l.leg).collect()
    }

    /// The first wrong byte, or the command or job that failed.
    pub(crate) fn problem(&self) -> Option<&str> {
        self.mismatch.as_deref().or(self.failure.as_deref())
    }

    /// The SSD the copy used, as its device describes itself.
    pub(crate) fn nvme(&self) -> &str {
        &self.nvme
    }
}

pub(super) fn print_report(r: &CopyReport) -> anyhow::Result<()> {
    let sim = r.legs.iter().any(|l| l.sim_seconds.is_some());
    let mut headers = vec!["leg", "chunks", "bytes", "wall time", "wall MB/s"];
    if sim {
        headers.extend(["sim time", "sim GB/s", "sim latency us p50/p90/p99/max"]);
    }
    headers.extend(["wall latency ms p50/p90/p99/max", "CRCs", "compared"]);
    let rows: Vec<Vec<String>> = r
        .legs
        .iter()
        .map(|l| {
            let mut row = vec![
                l.leg.to_owned(),
                l.chunks.to_string(),
                human_bytes(l.bytes),
                human_seconds(l.wall_seconds),
                format!("{:.1}", l.wall_mb_per_s),
            ];
            if sim {
                row.push(l.sim_seconds.map_or("-".into(), human_seconds));
                row.push(l.sim_gb_per_s.map_or("-".into(), |g| format!("{g:.2}")));
                row.push(l.sim_latency_us.map_or("-".into(), |p| p.show()));
            }
            row.push(l.latency_ms.show());
            row.push(l.checksums_verified.to_string());
            row.push(human_bytes(l.bytes_compared));
            row
        })
        .collect();
    crate::out::print(render_table(&headers, &rows))?;
    if r.duration_seconds.is_some() || r.until_interrupted || r.interrupted {
        outln!(
            "{} whole pass(es) over the same LBAs{}",
            r.passes,
            if r.interrupted {
                "; interrupted (Ctrl-C): the last leg counts the chunks completed until then"
            } else {
                ""
            }
        )?;
    }
    match (&r.mismatch, &r.failure) {
        (Some(m), _) => outln!("MISMATCH: {m}"),
        (_, Some(f)) => outln!("FAILED: {f}"),
        _ if r.verified => outln!(
            "OK: every chunk's CRC32C in BAR2 matched and every byte compared equal (seed {})",
            r.seed
        ),
        _ => outln!("done (not verified: --no-verify)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let p = Percentiles::of((1..=100).map(f64::from).collect());
        assert_eq!((p.p50, p.p90, p.p99, p.max), (50.0, 90.0, 99.0, 100.0));
        let one = Percentiles::of(vec![3.0]);
        assert_eq!((one.p50, one.max), (3.0, 3.0));
    }
}
