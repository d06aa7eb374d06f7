// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar regs`: every BAR0 register, decoded by the field names of the register map
//! (hw/regmap/peerbar.toml), including each queue pair's registers.

use std::io::IsTerminal;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use peerbar::regs::{
    self, RegisterInfo, ALL_ARRAYS, ALL_REGISTERS, CAPABILITIES, CAPABILITIES_REG,
};
use peerbar::{BarIndex, BarOffset, Device};
use serde::Serialize;

use crate::target::Target;
use crate::units::parse_seconds;
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Read every BAR0 register and decode it by the field names of the register map \
(hw/regmap/peerbar.toml; reference in docs/registers.md). Queue-pair registers are shown for the \
queues this build has (CAPABILITIES.DMA_QUEUES), as QUEUE[q].NAME, and so is each queue's MSI-X \
table entry, as MSIX_TABLE[q].NAME, beside the pending bits (MSIX_PBA).

JSON output (--json), schema \"peerbar-regs/1\": {schema, registers: [{name, offset (\"0x\" hex), \
value (\"0x\" hex), access, fields: {FIELD: number}}]}. With --watch, one such document per \
refresh, one per line (JSON Lines).";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar regs                       all registers, decoded
  peerbar regs --only dma            registers whose name contains DMA
  peerbar regs --watch 0.5           refresh twice a second, changed values marked with *
  peerbar regs --json | jq '.registers[] | select(.name == \"STATUS\")'";

#[derive(Args, Debug)]
pub struct RegsArgs {
    /// Refresh every SECONDS until interrupted (or --count refreshes); at most a week.
    #[arg(long, value_parser = parse_seconds, value_name = "SECONDS")]
    pub watch: Option<Duration>,

    /// With --watch: stop after this many refreshes.
    #[arg(long, value_name = "N", requires = "watch")]
    pub count: Option<u64>,

    /// Show only registers whose name contains TEXT (case-insensitive).
    #[arg(long, value_name = "TEXT")]
    pub only: Option<String>,
}

#[derive(Serialize, Clone, PartialEq)]
struct RegisterValue {
    name: String,
    offset: String,
    value: String,
    access: &'static str,
    fields: serde_json::Map<String, serde_json::Value>,
    #[serde(skip)]
    raw: u32,
    #[serde(skip)]
    decoded: Vec<(&'static str, u32, u32)>,
}

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    registers: Vec<RegisterValue>,
}

/// Every register to show: (display name, absolute offset, description).
pub(crate) fn layout(
    dev: &dyn Device,
    only: Option<&str>,
) -> anyhow::Result<Vec<(String, u64, &'static RegisterInfo)>> {
    let queues = regs::read(dev, &CAPABILITIES_REG)
        .context("reading CAPABILITIES")?
        .read(CAPABILITIES::DMA_QUEUES);
    let mut all: Vec<(String, u64, &'static RegisterInfo)> = ALL_REGISTERS
        .iter()
        .map(|r| (r.name.to_string(), r.offset, r))
        .collect();
    for array in ALL_ARRAYS {
        for q in 0..queues.min(array.count) {
            for r in array.registers {
                let offset = array.base + u64::from(q) * array.stride + r.offset;
                all.push((format!("{}[{q}].{}", array.name, r.name), offset, r));
            }
        }
    }
    if let Some(text) = only {
        let text = text.to_ascii_uppercase();
        all.retain(|(name, _, _)| name.contains(&text));
        if all.is_empty() {
            return Err(usage_error(format!("no register name contains {text:?}")));
        }
    }
    Ok(all)
}

fn snapshot(
    dev: &dyn Device,
    layout: &[(String, u64, &'static RegisterInfo)],
) -> anyhow::Result<Vec<RegisterValue>> {
    layout
        .iter()
        .map(|(name, offset, info)| {
            let raw = dev
                .bar_read32(BarIndex::BAR0, BarOffset::new(*offset))
                .with_context(|| format!("reading {name} at BAR0+{offset:#x}"))?;
            let decoded: Vec<(&'static str, u32, u32)> = info
                .decode(raw)
                .into_iter()
                .map(|d| (d.field.name, d.field.width, d.value))
                .collect();
            Ok(RegisterValue {
                name: name.clone(),
                offset: format!("{offset:#06x}"),
                value: format!("{raw:#010x}"),
                access: info.access.as_str(),
                fields: decoded
                    .iter()
                    .map(|&(f, _, v)| (f.to_string(), serde_json::Value::from(v)))
                    .collect(),
                raw,
                decoded,
            })
        })
        .collect()
}

fn print_table(values: &[RegisterValue], previous: Option<&[RegisterValue]>) -> anyhow::Result<()> {
    let width = values.iter().map(|v| v.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (i, v) in values.iter().enumerate() {
        let changed = previous.is_some_and(|p| p.get(i).is_some_and(|old| old.raw != v.raw));
        let fields: Vec<String> = if v.decoded.len() == 1 && v.decoded[0].1 == 32 {
            Vec::new()
        } else {
            v.decoded
                .iter()
                .map(|&(f, w, val)| {
                    if w == 1 {
                        format!("{f}={val}")
                    } else {
                        format!("{f}={val:#x}")
                    }
                })
                .collect()
        };
        out.push_str(&format!(
            "{} {} {:<width$}  {}  {:<5}  {}\n",
            if changed { "*" } else { " " },
            v.offset,
            v.name,
            v.value,
            v.access,
            fields.join(" "),
        ));
    }
    crate::out::print(out)
}

pub fn run(target: &mut Target, opts: &GlobalOpts, args: &RegsArgs) -> anyhow::Result<Outcome> {
    let interval = args.watch;
    let dev = target.device();
    let layout = layout(dev, args.only.as_deref())?;
    let mut previous: Option<Vec<RegisterValue>> = None;
    let mut refreshes = 0u64;
    loop {
        let values = snapshot(dev, &layout)?;
        if opts.json {
            let report = Report {
                schema: "peerbar-regs/1",
                registers: values.clone(),
            };
            if interval.is_some() {
                outln!("{}", serde_json::to_string(&report)?)?;
            } else {
                outln!("{}", serde_json::to_string_pretty(&report)?)?;
            }
        } else {
            if interval.is_some() && refreshes > 0 && std::io::stdout().is_terminal() {
                // Clear the screen and go home, like watch(1); never into a pipe or a file.
                crate::out::print("\x1b[2J\x1b[H")?;
            }
            if interval.is_some() {
                outln!(
                    "{} (every {:.2} s; * = changed)",
                    target.description,
                    interval.unwrap_or_default().as_secs_f64()
                )?;
            }
            print_table(&values, previous.as_deref())?;
        }
        refreshes += 1;
        let Some(interval) = interval else { break };
        if args.count.is_some_and(|n| refreshes >= n) {
            break;
        }
        previous = Some(values);
        std::thread::sleep(interval);
    }
    Ok(Outcome::Ok)
}
