// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar reg read|write`: one BAR0 register, by its name in the register map
//! (hw/regmap/peerbar.toml) or by its offset, decoded by field; what dma_ip_drivers' reg_rw
//! does, with the map's names and access rules.

use anyhow::Context;
use clap::{Args, Subcommand};
use peerbar::regs::{Access, RegisterInfo};
use peerbar::{BarIndex, BarOffset, Device};
use serde::Serialize;

use crate::target::Target;
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Read or write one BAR0 register, named as `peerbar regs` names it (SCRATCH, DMA_CONTROL, \
QUEUE[1].SQ_TAIL; case-insensitive) or given by its BAR0 offset (0x20, 32), and print it decoded \
by the register map's fields (hw/regmap/peerbar.toml; reference in docs/registers.md).

  reg read NAME|OFFSET                one 32-bit read
  reg read NAME.FIELD                 ... and only that field's value
  reg write NAME|OFFSET VALUE         one 32-bit write of VALUE (0x hex or decimal), then a read
                                      back
  reg write NAME.FIELD=VALUE          read, change only that field, write back, read back

Checks (exit status 2, nothing written): an unknown name or field, an offset that is not 4-byte \
aligned or lies outside BAR0, a VALUE that does not fit 32 bits (or the field). A write to a \
read-only register or field (access const or ro: the write changes nothing), to the MSI-X \
table or PBA (MSIX_TABLE[q].*, MSIX_PBA: the interrupt setup of whoever enabled MSI-X) or to an \
offset the register map does not name needs --force. Reading an offset the map does not name is \
allowed (the endpoint answers 0 there).

Each command runs on its own fresh simulated endpoint (without --device): a value written by \
one `peerbar reg write` is gone by the next `peerbar reg read`. On a board (--device) the \
registers keep their values.

JSON output (--json), schema \"peerbar-reg/1\": {schema, op (\"read\"/\"write\"), name (null \
for an offset the map does not name), offset (\"0x\" hex), access, written (\"0x\" hex; null for \
a read), value (\"0x\" hex: what the register reads, after the write for a write), fields \
{FIELD: number}, field (NAME.FIELD only: {name, value}, else null)}.";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar reg read VERSION                  the interface version, decoded
  peerbar reg read status.max_payload       one field
  peerbar reg read 0x20 --json
  peerbar reg write SCRATCH 0x12345678      write, then read back
  peerbar reg write DMA_CONTROL.ENABLE=1    change one field
  peerbar reg write 0x7fc 1 --force         an offset the map does not name";

#[derive(Args, Debug, Clone)]
pub struct RegArgs {
    #[command(subcommand)]
    pub op: RegOp,
}

#[derive(Subcommand, Debug, Clone)]
pub enum RegOp {
    /// Read one register (NAME, NAME.FIELD or a BAR0 OFFSET) and decode it.
    Read {
        /// Register name (SCRATCH, QUEUE[0].SQ_TAIL), NAME.FIELD, or a BAR0 offset (0x20).
        #[arg(value_name = "NAME|OFFSET")]
        register: String,
    },
    /// Write one register (NAME or OFFSET, then VALUE; or NAME.FIELD=VALUE), then read it back.
    Write {
        /// Register name, BAR0 offset, or NAME.FIELD=VALUE.
        #[arg(value_name = "NAME|OFFSET")]
        register: String,
        /// The 32-bit value (0x hex or decimal); none with NAME.FIELD=VALUE.
        #[arg(value_name = "VALUE")]
        value: Option<String>,
        /// Write even to a read-only register or field, or to an offset the map does not name.
        #[arg(long)]
        force: bool,
    },
}

/// A register the command line named: where it is and what the map says of it.
struct Resolved {
    /// Its name as `peerbar regs` shows it; `None` for an offset the map does not name.
    name: Option<String>,
    offset: u64,
    info: Option<&'static RegisterInfo>,
}

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    op: &'static str,
    name: Option<String>,
    offset: String,
    access: Option<&'static str>,
    written: Option<String>,
    value: String,
    fields: serde_json::Map<String, serde_json::Value>,
    field: Option<FieldValue>,
}

#[derive(Serialize)]
struct FieldValue {
    name: &'static str,
    value: u32,
}

/// A number: decimal or 0x hex, `_` allowed.
fn parse_u64(text: &str) -> Option<u64> {
    let t = text.trim().replace('_', "");
    match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) => t.parse().ok(),
        None => None,
    }
}

fn parse_value(text: &str, what: &str) -> anyhow::Result<u32> {
    let v = parse_u64(text).ok_or_else(|| {
        usage_error(format!(
            "{what} {text:?} is not a number: use 0x hex or decimal (0x12345678, 42)"
        ))
    })?;
    u32::try_from(v).map_err(|_| {
        usage_error(format!(
            "{what} {text}: a register holds 32 bits (at most 0xffffffff)"
        ))
    })
}

/// Finds NAME or OFFSET among the registers this endpoint has.
fn resolve(dev: &dyn Device, text: &str) -> anyhow::Result<Resolved> {
    let layout = crate::regs::layout(dev, None)?;
    if let Some(offset) = parse_u64(text) {
        let bar0 = dev.bar_len(BarIndex::BAR0).unwrap_or(0);
        if offset % 4 != 0 {
            return Err(usage_error(format!(
                "offset {text}: registers are 32 bits wide at 4-byte aligned offsets"
            )));
        }
        if offset >= bar0 {
            return Err(usage_error(format!(
                "offset {text}: outside BAR0 ({bar0:#x} bytes)"
            )));
        }
        let found = layout.iter().find(|(_, o, _)| *o == offset);
        return Ok(Resolved {
            name: found.map(|(n, _, _)| n.clone()),
            offset,
            info: found.map(|(_, _, i)| *i),
        });
    }
    let wanted = text.trim().to_ascii_uppercase();
    match layout.iter().find(|(n, _, _)| *n == wanted) {
        Some((name, offset, info)) => Ok(Resolved {
            name: Some(name.clone()),
            offset: *offset,
            info: Some(info),
        }),
        None => {
            if let Some(array) = peerbar::regs::ALL_ARRAYS
                .iter()
                .find(|a| wanted.starts_with(&format!("{}[", a.name)))
            {
                let count = layout
                    .iter()
                    .filter(|(n, _, _)| n.starts_with(&format!("{}[", array.name)))
                    .count()
                    / array.registers.len().max(1);
                let name = array.name;
                let last = count.saturating_sub(1);
                let fields: Vec<&str> = array.registers.iter().map(|r| r.name).collect();
                return Err(usage_error(format!(
                    "no register named {text:?}: this endpoint has {count} of {name} \
                     ({name}[0] .. {name}[{last}]), each with {}",
                    fields.join(", ")
                )));
            }
            let close: Vec<&str> = layout
                .iter()
                .map(|(n, _, _)| n.as_str())
                .filter(|n| n.contains(&wanted) || wanted.contains(*n))
                .take(5)
                .collect();
            Err(usage_error(format!(
                "no register named {text:?}{}; `peerbar regs` lists them all (or give a BAR0 \
                 offset such as 0x20)",
                if close.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean {}?)", close.join(", "))
                }
            )))
        }
    }
}

/// Splits `NAME.FIELD` when FIELD is a field of NAME (queue registers hold a dot too:
/// `QUEUE[0].SQ_TAIL`).
fn resolve_with_field(
    dev: &dyn Device,
    text: &str,
) -> anyhow::Result<(Resolved, Option<&'static peerbar::regs::FieldInfo>)> {
    let whole = resolve(dev, text);
    if whole.is_ok() {
        return whole.map(|r| (r, None));
    }
    if let Some((reg, field)) = text.rsplit_once('.') {
        if let Ok(r) = resolve(dev, reg) {
            let info = r.info.expect("a named register has its description");
            let f = info
                .fields
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(field.trim()))
                .ok_or_else(|| {
                    let names: Vec<&str> = info.fields.iter().map(|f| f.name).collect();
                    usage_error(format!(
                        "{} has no field {field:?}: its fields are {}",
                        r.name.as_deref().unwrap_or(reg),
                        names.join(", ")
                    ))
                })?;
            return Ok((r, Some(f)));
        }
    }
    whole.map(|r| (r, None))
}

fn read(dev: &dyn Device, r: &Resolved) -> anyhow::Result<u32> {
    dev.bar_read32(BarIndex::BAR0, BarOffset::new(r.offset))
        .with_context(|| format!("reading BAR0+{:#x}", r.offset))
}

pub fn run(target: &mut Target, opts: &GlobalOpts, args: &RegArgs) -> anyhow::Result<Outcome> {
    let dev = target.device();
    let (op, resolved, field, written, value) = match &args.op {
        RegOp::Read { register } => {
            let (r, field) = resolve_with_field(dev, register)?;
            let value = read(dev, &r)?;
            ("read", r, field, None, value)
        }
        RegOp::Write {
            register,
            value,
            force,
        } => {
            let (r, field, new) = match (register.split_once('='), value) {
                (Some((name, v)), None) => {
                    let (r, field) = resolve_with_field(dev, name)?;
                    let Some(field) = field else {
                        return Err(usage_error(format!(
                            "{register}: NAME.FIELD=VALUE needs a field (e.g. \
                             DMA_CONTROL.ENABLE=1); for the whole register give NAME VALUE"
                        )));
                    };
                    let v = parse_value(v, "VALUE")?;
                    if v > field.mask() {
                        return Err(usage_error(format!(
                            "{register}: {} is {} bit(s) wide (at most {:#x})",
                            field.name,
                            field.width,
                            field.mask()
                        )));
                    }
                    if !field.access.is_writable() && !force {
                        return Err(usage_error(format!(
                            "{}.{} is {} ({}): a write changes nothing; --force writes anyway",
                            r.name.as_deref().unwrap_or_default(),
                            field.name,
                            field.access,
                            access_words(field.access)
                        )));
                    }
                    let old = read(dev, &r)?;
                    let new = (old & !field.mask_in_register()) | (v << field.lsb);
                    (r, Some(field), new)
                }
                (Some(_), Some(_)) => {
                    return Err(usage_error(format!(
                        "{register}: give NAME.FIELD=VALUE or NAME VALUE, not both"
                    )))
                }
                (None, None) => {
                    return Err(usage_error(format!(
                        "reg write {register}: which value? e.g. `peerbar reg write {register} \
                         0x1` (or NAME.FIELD=VALUE)"
                    )))
                }
                (None, Some(v)) => {
                    let r = resolve(dev, register)?;
                    let new = parse_value(v, "VALUE")?;
                    match r.info {
                        None if !force => {
                            return Err(usage_error(format!(
                                "BAR0+{:#x} is not a register of the map (docs/registers.md): \
                                 --force writes it anyway",
                                r.offset
                            )))
                        }
                        Some(info) if !info.access.is_writable() && !force => {
                            return Err(usage_error(format!(
                                "{} is {} ({}): a write changes nothing; --force writes anyway",
                                r.name.as_deref().unwrap_or_default(),
                                info.access,
                                access_words(info.access)
                            )))
                        }
                        _ => {}
                    }
                    (r, None, new)
                }
            };
            // The MSI-X table and PBA are the interrupt setup of whoever enabled MSI-X (on a
            // board the kernel's vfio-pci, for the driver that asked it): a stray write
            // redirects or masks the device's interrupts.
            let name = r.name.as_deref().unwrap_or_default();
            if name.starts_with("MSIX_") && !force {
                return Err(usage_error(format!(
                    "{name} belongs to the MSI-X setup of whoever enabled MSI-X: a write \
                     redirects or masks the device's interrupts; --force writes anyway"
                )));
            }
            dev.bar_write32(BarIndex::BAR0, BarOffset::new(r.offset), new)
                .with_context(|| format!("writing {new:#x} to BAR0+{:#x}", r.offset))?;
            let value = read(dev, &r)?;
            ("write", r, field, Some(new), value)
        }
    };
    let decoded = resolved.info.map(|i| i.decode(value)).unwrap_or_default();
    let report = Report {
        schema: "peerbar-reg/1",
        op,
        name: resolved.name.clone(),
        offset: format!("{:#06x}", resolved.offset),
        access: resolved.info.map(|i| i.access.as_str()),
        written: written.map(|w| format!("{w:#010x}")),
        value: format!("{value:#010x}"),
        fields: decoded
            .iter()
            .map(|d| (d.field.name.to_owned(), serde_json::Value::from(d.value)))
            .collect(),
        field: field.map(|f| FieldValue {
            name: f.name,
            value: f.extract(value),
        }),
    };
    if opts.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
        return Ok(Outcome::Ok);
    }
    let name = resolved
        .name
        .as_deref()
        .unwrap_or("(not in the register map)");
    if let Some(w) = written {
        outln!("wrote {w:#010x} to {} {name}", report.offset)?;
    }
    if let Some(f) = field {
        outln!(
            "{} {name}.{} = {:#x}  ({} = {value:#010x})",
            report.offset,
            f.name,
            f.extract(value),
            name
        )?;
        return Ok(Outcome::Ok);
    }
    let fields: Vec<String> = decoded
        .iter()
        .filter(|d| !(decoded.len() == 1 && d.field.width == 32))
        .map(|d| {
            if d.field.width == 1 {
                format!("{}={}", d.field.name, d.value)
            } else {
                format!("{}={:#x}", d.field.name, d.value)
            }
        })
        .collect();
    let line = format!(
        "{} {name} = {value:#010x}  {}  {}",
        report.offset,
        report.access.unwrap_or("-"),
        fields.join(" ")
    );
    outln!("{}", line.trim_end())?;
    Ok(Outcome::Ok)
}

fn access_words(access: Access) -> &'static str {
    match access {
        Access::Const => "a constant",
        Access::ReadOnly => "read-only status",
        Access::ReadWrite => "read/write",
        Access::WriteOnePulse => "write 1 to act",
    }
}
