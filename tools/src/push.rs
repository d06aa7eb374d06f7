//! `peerbar push`: hand one descriptor list to the DMA engine as one PULL or PUSH job.
//!
//! The list file is parsed and checked without the device (syntax, lengths, the host buffer's
//! size, Bit Buckets in a PUSH), then against BAR2's size, then built into NVMe SGL segments and
//! walked by `peerbar::dma::sgl::validate` (the engine's own rules). Only then is the job
//! submitted. Every input error names the line, entry or descriptor and exits with 2.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, ValueEnum};
use peerbar::dma::sgl::{self, SglBuilder};
use peerbar::dma::wire::{Opcode, SglDescriptor, SglType};
use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
use peerbar::hostmem::DmaBuffer;
use peerbar::hostmem::{DataList, Held, PreparedSgl};
use peerbar::{BarOffset, BusAddr, Endpoint};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use serde_json::Value;

use crate::target::Target;
use crate::units::{human_bytes, human_seconds, parse_seconds, parse_size};
use crate::{list_error, usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Push one descriptor list to the DMA engine as one job and report its completion.

  --op pull (default)  the list's bytes -> BAR2[--bar2-offset ..]
  --op push            BAR2[--bar2-offset ..] -> the list's addresses
The job's LENGTH is the sum of the entries' lengths. The tool builds the NVMe SGL (inline Data
Block, or segments chained as needed) and checks it with the engine's own rules before anything
is submitted.

List file, text format (default; one entry per line, `#` starts a comment, blank lines ignored):
  ADDRESS LENGTH [TYPE]
  ADDRESS  a bus address: 0x1234_5000 or decimal (nothing checks it: an unmapped one makes the
           engine's read fail, e.g. status 0C2h)
           bar2:+OFFSET   peer memory: BAR2's bus address + OFFSET (must lie inside BAR2 and
                          not overlap the job's own BAR2 range)
           host:+OFFSET   a host buffer the tool allocates and maps for the device, sized to
                          cover every host: entry (at most 256 MiB) and filled with a ChaCha8
                          pattern seeded by --seed (default 0), so runs are reproducible
           -              no address (bitbucket entries only)
  LENGTH   bytes, 1 ..= 4 GiB - 1: 4096, 0x1000, 4KiB, 4K, 1MiB, 1M (binary units)
  TYPE     data (default) or bitbucket (PULL only: that many BAR2 bytes are skipped and left
           untouched; ADDRESS must be -)
Example:
  # 12 KiB into BAR2: two host pieces, a hole, then 1 KiB copied from BAR2 itself
  host:+0x0       4KiB
  host:+0x2000    0x1000
  -               3K        bitbucket
  bar2:+0x80000   1024

JSON format (--format json, or a .json file; `length` may be a number):
  {\"entries\": [{\"address\": \"host:+0x100\", \"length\": \"4KiB\", \"type\": \"data\"},
               {\"length\": 512, \"type\": \"bitbucket\"}]}
SGL format (--format sgl, or a .sgl file): a flat list of 16-byte NVMe SGL Data Block (0h) and
Bit Bucket (1h) descriptors, little-endian, as the engine reads them; no Segment descriptors
(the tool chains the list itself).

Checks (exit status 2, nothing submitted): unknown address syntax, bad numbers or units, zero or
too large lengths, bar2: ranges past the end of BAR2 or overlapping the job's BAR2 range, a host
buffer over 256 MiB, a total over 4 GiB - 1 or past the end of BAR2 from --bar2-offset, a
bitbucket in a PUSH (the engine would answer 11h), a data entry whose address + length passes
2^64, an empty list, more than 65 281 entries (the engine fetches at most 65 536 descriptors per
job, the segments' chain descriptors included), a text line over 4096 bytes, a list file over
16 MiB (text, JSON) or over 65 281 descriptors (sgl). Errors name the line (text), the entry
index (JSON, entries[0] first) or the descriptor index (sgl, 0 first). FILE `-` is stdin.

--verify (every data entry host: or bar2:): after a PULL, BAR2[--bar2-offset ..] must hold the
concatenated source bytes, and be unchanged under bitbucket spans; after a PUSH, every target
must hold BAR2's bytes. So that every compare sees known bytes, --verify first fills the job's
BAR2 range and (PULL) every bar2: source with ChaCha8 patterns seeded by --seed, distinct from
the host buffer's: what BAR2 held there before is overwritten. A mismatch prints the first
differing offsets and exits with 1. A job that completes with an error status exits with 4 and
names the entry DMA_ERROR_ADDR lies in; on the simulation a DMA the IOMMU refuses (a PUSH into
unmapped memory completes with success) is reported with its entry and exits with 4 too; no
completion within --wait seconds is a device error (3).

Your own data (--in, --out; each run is a fresh simulation whose BAR2 starts as zeros, so the
data goes in and comes out within this one command):
  --op push --in FILE  FILE -> BAR2[--bar2-offset ..] first, then the PUSH sends it to the
                       list's addresses; FILE must be exactly the job's LENGTH (the sum of the
                       entries' lengths). With host: entries and --verify, the host buffer is
                       compared with FILE's bytes.
  --out FILE           after a PULL (the default op) that succeeded: BAR2[--bar2-offset .. +
                       LENGTH] -> FILE, i.e. the list's bytes in list order (bitbucket spans:
                       what BAR2 held there). Not written when the job fails.
  E.g. gather three host pieces into one file:
    peerbar push examples/lists/gather.txt --out gathered.bin

JSON output (--json), stable field names:
  schema        \"peerbar-push/1\"
  target, device as in `peerbar info --json`
  file, format  the list file and how it was read (text, json, sgl)
  op            \"pull\" or \"push\"
  queue         queue pair used
  bar2_offset   BAR2 offset of the job's range
  entries       entries in the list
  bytes         the job's LENGTH (sum of the entries' lengths)
  seed          the host buffer's pattern seed (a decimal string above 2^53, which JSON
                readers such as jq would round)
  host_buffer_bytes  size of the host buffer (0 when no host: entry)
  status        e.g. \"000h (success)\", \"0C2h (Unsupported Request ...)\"
  status_code   the status code as a number (0xc2 = 194)
  ok            true when the status is success
  result        the completion's RESULT: bytes moved
  wall_seconds  submit to completion, wall clock
  sim_cycles    simulated clock cycles over the same span (null on hardware)
  error_address a failed job's bus address from DMA_ERROR_ADDR (\"0x\" hex), else null
  error_entry   the entry (line/entry/descriptor) that address lies in, else null
  iommu_faults[]  simulation: {address, bytes, direction, reason, entry}, each DMA of the job
                the IOMMU refused; a PUSH into unmapped memory completes with success, so
                this is how it shows (exit status 4)
  verified      true/false with --verify, else null (null too when the job failed)
  mismatches[]  {entry, location, offset, expected, actual}: first differing byte per entry
                (at most 16)
  in, out       the --in and --out files, else null
Errors (exit status 2 or 3) with --json are one object on stdout: {schema \"peerbar-error/1\",
exit_code, message, line (text lists) or entry (\"entries[2]\", \"descriptor 5\") where the
error is in the list}.";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar push list.txt                          PULL the list into BAR2 at offset 0
  peerbar push list.txt --verify --seed 7        ... and check every byte
  peerbar push list.txt --op push --bar2-offset 0x10000 --verify
  peerbar push list.sgl --json | jq .status_code  raw NVMe SGL descriptors
  peerbar push list.txt --op push --in data.bin  your bytes: BAR2 first, then out to the list
  peerbar push list.txt --out pulled.bin         keep what the PULL brought into BAR2";

/// Largest host buffer the tool allocates.
const MAX_HOST_BUFFER: u64 = 256 << 20;

/// Most entries one job's list holds. The engine fetches at most [`sgl::DESCRIPTOR_LIMIT`]
/// (65 536) descriptors per job, and the builder chains segments of
/// [`sgl::DEFAULT_DESCRIPTORS_PER_SEGMENT`] (256) descriptors, each but the last ending in a
/// chain descriptor: 256 segments hold 255 x 255 + 256 entries.
pub const MAX_ENTRIES: usize = 65_281;

/// Largest sgl list file: [`MAX_ENTRIES`] descriptors of 16 bytes.
const MAX_SGL_FILE_BYTES: u64 = MAX_ENTRIES as u64 * SglDescriptor::SIZE as u64;

/// Largest text or JSON list file: room for [`MAX_ENTRIES`] entries of 256 bytes each
/// (comments and indentation included), so that reading a huge or endless input (/dev/zero)
/// stops early instead of filling memory.
const MAX_TEXT_FILE_BYTES: u64 = 16 << 20;

/// Longest text line, comment included (the error message quotes the line).
const MAX_LINE_BYTES: usize = 4096;
/// Mismatches reported.
const MAX_MISMATCHES: usize = 16;

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Op {
    /// List addresses -> BAR2.
    Pull,
    /// BAR2 -> list addresses.
    Push,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Pull => "pull",
            Op::Push => "push",
        }
    }

    fn opcode(self) -> Opcode {
        match self {
            Op::Pull => Opcode::Pull,
            Op::Push => Opcode::Push,
        }
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `ADDRESS LENGTH [TYPE]` lines.
    Text,
    /// `{"entries": [...]}`.
    Json,
    /// Raw 16-byte NVMe SGL descriptors.
    Sgl,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Json => "json",
            Format::Sgl => "sgl",
        }
    }

    /// From the file's extension: .json, .sgl, anything else text.
    fn from_path(path: &Path) -> Format {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("json") => Format::Json,
            Some("sgl") => Format::Sgl,
            _ => Format::Text,
        }
    }
}

#[derive(Args, Debug, Clone)]
pub struct PushArgs {
    /// The descriptor list (format: --format, else the extension: .json, .sgl, else text);
    /// `-` reads it from stdin.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// pull: list -> BAR2; push: BAR2 -> list.
    #[arg(long, value_enum, default_value = "pull")]
    pub op: Op,

    /// BAR2 offset of the job's range (decimal, 0x hex, or with k/M/G suffix).
    #[arg(long, value_parser = parse_size, default_value = "0", value_name = "N")]
    pub bar2_offset: u64,

    /// Queue pair to submit on.
    #[arg(long, default_value_t = 0, value_name = "Q")]
    pub queue: u16,

    /// How long to wait for the completion (at most a week).
    #[arg(long, default_value = "10", value_parser = parse_seconds, value_name = "SECONDS")]
    pub wait: Duration,

    /// Format of FILE (default: from its extension).
    #[arg(long, value_enum)]
    pub format: Option<Format>,

    /// Seed of the host buffer's pattern.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// Check the moved bytes afterwards (every data entry must be host: or bar2:).
    #[arg(long)]
    pub verify: bool,

    /// PUSH your own data: write FILE into BAR2[--bar2-offset ..] first (its size must be the
    /// job's LENGTH), then PUSH it to the list's addresses. Needs --op push.
    #[arg(long = "in", value_name = "FILE")]
    pub input: Option<PathBuf>,

    /// Keep what a PULL brought: after the job, write BAR2[--bar2-offset .. + LENGTH] into FILE.
    /// Needs --op pull (the default).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// Where a data entry's bytes are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// A raw bus address.
    Bus(u64),
    /// BAR2 offset (bus address = BAR2's + offset).
    Bar2(u64),
    /// Offset in the tool's host buffer.
    Host(u64),
}

impl Location {
    fn describe(self) -> String {
        match self {
            Location::Bus(a) => format!("{a:#x}"),
            Location::Bar2(o) => format!("bar2:+{o:#x}"),
            Location::Host(o) => format!("host:+{o:#x}"),
        }
    }
}

/// One entry of the list, with where it came from (for error messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// `None`: a Bit Bucket.
    pub data: Option<Location>,
    pub len: u32,
    /// "line 3", "entries[2]", "descriptor 5".
    pub origin: String,
}

/// A checked list (device-independent checks passed).
#[derive(Clone, Debug)]
pub struct List {
    pub entries: Vec<Entry>,
    /// The job's LENGTH.
    pub total: u32,
    /// Bytes of host buffer the host: entries need.
    pub host_len: u64,
}

/// A plain number: decimal or 0x hex, `_` allowed (no units: an address).
fn parse_number(text: &str) -> Result<u64, String> {
    let err = || format!("{text:?} is not a number (use decimal or 0x hex, e.g. 0x1234_5000)");
    let t = text.replace('_', "");
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_err(|_| err());
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err());
    }
    t.parse().map_err(|_| err())
}

/// An entry's length: 1 ..= u32::MAX bytes.
fn check_len(value: u64, text: &str) -> Result<u32, String> {
    if value == 0 {
        return Err(format!(
            "length {text}: zero-length entries are not allowed (an entry moves 1 byte at least)"
        ));
    }
    u32::try_from(value).map_err(|_| {
        format!(
            "length {text} ({value} bytes) is over the limit: an entry is at most 4 GiB - 1 \
             bytes (the descriptor's 32-bit length)"
        )
    })
}

fn parse_len(text: &str) -> Result<u32, String> {
    let value = parse_size(text).map_err(|e| format!("bad length: {e}"))?;
    check_len(value, text)
}

/// `bar2:+OFFSET`, `host:+OFFSET`, a bus address, or `-` (`None`).
fn parse_address(text: &str) -> Result<Option<Location>, String> {
    if text == "-" {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    if let Some((kind, rest)) = lower.split_once(':') {
        let make: fn(u64) -> Location = match kind {
            "bar2" => Location::Bar2,
            "host" => Location::Host,
            _ => {
                return Err(format!(
                    "unknown address {text:?}: use a bus address (0x1234_5000 or decimal), \
                     bar2:+OFFSET, host:+OFFSET or - (bitbucket)"
                ))
            }
        };
        let Some(offset) = rest.strip_prefix('+') else {
            return Err(format!(
                "address {text:?}: write {kind}:+OFFSET (e.g. {kind}:+0x1000)"
            ));
        };
        let offset =
            parse_size(offset).map_err(|e| format!("address {text:?}: bad offset: {e}"))?;
        return Ok(Some(make(offset)));
    }
    parse_number(text)
        .map(|a| Some(Location::Bus(a)))
        .map_err(|e| {
            format!("unknown address {e}; other forms: bar2:+OFFSET, host:+OFFSET, - (bitbucket)")
        })
}

/// One entry from its address, length and type texts.
fn make_entry(
    address: Option<Location>,
    len: u32,
    ty: &str,
    origin: String,
) -> Result<Entry, String> {
    match ty.to_ascii_lowercase().as_str() {
        "data" => match address {
            Some(loc) => Ok(Entry {
                data: Some(loc),
                len,
                origin,
            }),
            None => Err(format!(
                "{origin}: a data entry needs an address (`-` is for bitbucket entries)"
            )),
        },
        "bitbucket" => match address {
            None => Ok(Entry {
                data: None,
                len,
                origin,
            }),
            Some(_) => Err(format!(
                "{origin}: a bitbucket entry takes `-` as its address (it names no memory)"
            )),
        },
        other => Err(format!(
            "{origin}: unknown type {other:?}: use data or bitbucket"
        )),
    }
}

/// Refuses the entry at `origin` when the list already holds [`MAX_ENTRIES`], so that a huge
/// list is refused as soon as it passes the limit, not after it was all parsed.
fn check_room(entries: &[Entry], origin: &str) -> Result<(), String> {
    if entries.len() < MAX_ENTRIES {
        return Ok(());
    }
    Err(format!(
        "{origin}: too many entries: a list holds at most {MAX_ENTRIES} (the engine fetches at \
         most {} descriptors per job, the segments' chain descriptors included); split it into \
         several jobs",
        sgl::DESCRIPTOR_LIMIT
    ))
}

/// The text format: `ADDRESS LENGTH [TYPE]` per line.
pub fn parse_text(text: &str) -> Result<Vec<Entry>, String> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let origin = format!("line {}", i + 1);
        if raw.len() > MAX_LINE_BYTES {
            return Err(format!(
                "{origin}: {} bytes long, over the limit of {MAX_LINE_BYTES} bytes per line",
                raw.len()
            ));
        }
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        check_room(&entries, &origin)?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(format!(
                "{origin}: expected `ADDRESS LENGTH [TYPE]`, found {} field(s): {line:?}",
                fields.len()
            ));
        }
        let address = parse_address(fields[0]).map_err(|e| format!("{origin}: {e}"))?;
        let len = parse_len(fields[1]).map_err(|e| format!("{origin}: {e}"))?;
        let ty = fields.get(2).copied().unwrap_or("data");
        entries.push(make_entry(address, len, ty, origin)?);
    }
    Ok(entries)
}

/// The JSON format: `{"entries": [{"address", "length", "type"}, ...]}`.
pub fn parse_json(text: &str) -> Result<Vec<Entry>, String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON: {e}"))?;
    let list = doc
        .get("entries")
        .and_then(Value::as_array)
        .ok_or("expected an object {\"entries\": [...]} at the top level")?;
    let mut entries = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let origin = format!("entries[{i}]");
        check_room(&entries, &origin)?;
        let obj = item.as_object().ok_or_else(|| {
            format!("{origin}: expected an object {{\"address\", \"length\", \"type\"}}")
        })?;
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "address" | "length" | "type"))
        {
            return Err(format!(
                "{origin}: unknown field {key:?} (fields: address, length, type)"
            ));
        }
        let ty = match obj.get("type") {
            None => "data",
            Some(Value::String(s)) => s.as_str(),
            Some(other) => return Err(format!("{origin}: type {other} is not a string")),
        };
        let address =
            match obj.get("address") {
                None if ty.eq_ignore_ascii_case("bitbucket") => None,
                None => return Err(format!("{origin}: no \"address\"")),
                Some(Value::String(s)) => parse_address(s).map_err(|e| format!("{origin}: {e}"))?,
                Some(Value::Number(n)) => Some(Location::Bus(n.as_u64().ok_or_else(|| {
                    format!("{origin}: address {n} is not a non-negative integer")
                })?)),
                Some(other) => return Err(format!("{origin}: address {other} is not a string")),
            };
        let len = match obj.get("length") {
            None => return Err(format!("{origin}: no \"length\"")),
            Some(Value::String(s)) => parse_len(s).map_err(|e| format!("{origin}: {e}"))?,
            Some(Value::Number(n)) => {
                let v = n
                    .as_u64()
                    .ok_or_else(|| format!("{origin}: length {n} is not a non-negative integer"))?;
                check_len(v, &n.to_string()).map_err(|e| format!("{origin}: {e}"))?
            }
            Some(other) => {
                return Err(format!(
                    "{origin}: length {other} is neither a number nor a string"
                ))
            }
        };
        entries.push(make_entry(address, len, ty, origin)?);
    }
    Ok(entries)
}

/// The sgl format: a flat list of 16-byte Data Block / Bit Bucket descriptors.
pub fn parse_sgl(bytes: &[u8]) -> Result<Vec<Entry>, String> {
    let size = SglDescriptor::SIZE;
    if bytes.len() % size != 0 {
        return Err(format!(
            "descriptor {}: the file is {} bytes, not a multiple of {size}: the last descriptor \
             is cut short ({} bytes)",
            bytes.len() / size,
            bytes.len(),
            bytes.len() % size
        ));
    }
    let mut entries = Vec::new();
    for (i, chunk) in bytes.chunks_exact(size).enumerate() {
        let origin = format!("descriptor {i} (byte {:#x})", i * size);
        check_room(&entries, &origin)?;
        let raw: &[u8; 16] = chunk.try_into().expect("chunks of 16 bytes");
        let d = SglDescriptor::from_bytes(raw);
        if d.subtype() != 0 {
            return Err(format!(
                "{origin}: subtype {:X}h: only subtype 0h (address) is supported",
                d.subtype()
            ));
        }
        let len = check_len(u64::from(d.length()), &d.length().to_string())
            .map_err(|e| format!("{origin}: {e}"))?;
        let data = match d.sgl_type() {
            SglType::DataBlock => Some(Location::Bus(d.address().get())),
            SglType::BitBucket => None,
            other => {
                return Err(format!(
                    "{origin}: a {other:?} descriptor (type {:X}h): the file must be a flat list \
                     of Data Block (0h) and Bit Bucket (1h) descriptors (the tool builds the \
                     segments itself)",
                    other.nibble()
                ))
            }
        };
        entries.push(Entry { data, len, origin });
    }
    Ok(entries)
}

/// Device-independent checks of a parsed list.
pub fn check_list(entries: Vec<Entry>, op: Op) -> Result<List, String> {
    if entries.is_empty() {
        return Err("the list is empty: nothing to move".to_owned());
    }
    let mut total: u64 = 0;
    let mut host_len: u64 = 0;
    for e in &entries {
        match e.data {
            None if op == Op::Push => {
                return Err(format!(
                    "{}: a bitbucket entry in a PUSH (the engine rejects it with status 11h, \
                     SGL Descriptor Type Invalid); bit buckets are for PULL only",
                    e.origin
                ))
            }
            // The builder refuses it too, but without naming the entry (a device error).
            Some(Location::Bus(a)) if a.checked_add(u64::from(e.len)).is_none() => {
                return Err(format!(
                    "{}: address {a:#x} + {} bytes goes past the end of the 64-bit bus \
                     address space",
                    e.origin, e.len
                ))
            }
            Some(Location::Host(o)) => {
                let end = o.saturating_add(u64::from(e.len));
                if end > MAX_HOST_BUFFER {
                    return Err(format!(
                        "{}: host:+{o:#x} + {} bytes needs a host buffer of {}, over the {} limit",
                        e.origin,
                        e.len,
                        human_bytes(end),
                        human_bytes(MAX_HOST_BUFFER)
                    ));
                }
                host_len = host_len.max(end);
            }
            _ => {}
        }
        total += u64::from(e.len);
    }
    let total = u32::try_from(total).map_err(|_| {
        format!(
            "the entries add up to {total} bytes, over the job's 32-bit LENGTH \
             (4 GiB - 1 at most)"
        )
    })?;
    Ok(List {
        entries,
        total,
        host_len,
    })
}

/// Checks the job's BAR2 range and every bar2: entry against BAR2's size.
pub fn check_bar2(list: &List, bar2_offset: u64, bar2_len: u64) -> Result<(), String> {
    let target_end = bar2_offset.saturating_add(u64::from(list.total));
    if target_end > bar2_len {
        return Err(format!(
            "--bar2-offset {bar2_offset:#x} + the list's {} bytes ends at {target_end:#x}, past \
             the end of BAR2 ({bar2_len:#x} bytes)",
            list.total
        ));
    }
    for e in &list.entries {
        if let Some(Location::Bar2(o)) = e.data {
            let end = o.saturating_add(u64::from(e.len));
            if end > bar2_len {
                return Err(format!(
                    "{}: bar2:+{o:#x} + {} bytes ends at {end:#x}, past the end of BAR2 \
                     ({bar2_len:#x} bytes)",
                    e.origin, e.len
                ));
            }
            if o < target_end && bar2_offset < end {
                return Err(format!(
                    "{}: bar2:+{o:#x}..{end:#x} overlaps the job's own BAR2 range \
                     {bar2_offset:#x}..{target_end:#x} (--bar2-offset)",
                    e.origin
                ));
            }
        }
    }
    Ok(())
}

/// A list read from its file and checked (no device needed).
#[derive(Debug)]
pub struct Loaded {
    pub file: String,
    pub format: Format,
    pub list: List,
    /// `--in`: the bytes to PUSH, exactly the job's LENGTH.
    pub input: Option<Vec<u8>>,
}

/// Reads the list file (`-`: stdin), at most `limit` bytes: a larger input is refused.
fn read_list(path: &Path, file: &str, format: Format, limit: u64) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    // One byte past the limit tells a file of exactly `limit` bytes from a larger one.
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| format!("cannot read the list file {file}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{file}: over the limit of {limit} bytes for a list file in {} format (a list holds at most \
             {MAX_ENTRIES} entries)",
            format.name()
        ));
    }
    Ok(bytes)
}

/// Reads, parses and checks the list file and the options that need no device.
pub fn load(args: &PushArgs) -> anyhow::Result<Loaded> {
    let file = if args.file == Path::new("-") {
        "stdin".to_owned()
    } else {
        args.file.display().to_string()
    };
    let format = args.format.unwrap_or_else(|| Format::from_path(&args.file));
    let limit = match format {
        Format::Sgl => MAX_SGL_FILE_BYTES,
        Format::Text | Format::Json => MAX_TEXT_FILE_BYTES,
    };
    let bytes = read_list(&args.file, &file, format, limit).map_err(usage_error)?;
    let parsed = match format {
        Format::Sgl => parse_sgl(&bytes),
        Format::Text | Format::Json => match std::str::from_utf8(&bytes) {
            Err(e) => Err(format!(
                "not UTF-8 text ({e}); for a binary list use --format sgl"
            )),
            Ok(text) if format == Format::Json => parse_json(text),
            Ok(text) => parse_text(text),
        },
    };
    let list = parsed
        .and_then(|entries| check_list(entries, args.op))
        .map_err(|e| list_error(format!("{file}: {e}"), &e))?;
    if args.verify {
        if let Some(e) = list
            .entries
            .iter()
            .find(|e| matches!(e.data, Some(Location::Bus(_))))
        {
            let detail = format!(
                "{}: --verify needs every data entry to be host: or bar2: (this one is a raw bus \
                 address the tool cannot read)",
                e.origin
            );
            return Err(list_error(format!("{file}: {detail}"), &detail));
        }
    }
    let input = match &args.input {
        None => None,
        Some(path) => Some(read_input(path, args, &list)?),
    };
    if let Some(path) = &args.out {
        if args.op != Op::Pull {
            return Err(usage_error(format!(
                "--out {}: --out keeps what a PULL brought into BAR2; with --op push the data \
                 goes to the list's addresses (give --in FILE to push your own data)",
                path.display()
            )));
        }
        if args.file == Path::new("-") && path == Path::new("-") {
            return Err(usage_error(
                "--out - and a list from stdin: give --out FILE",
            ));
        }
        if path == Path::new("-") {
            return Err(usage_error(
                "--out -: stdout holds the report; give --out FILE (or use `peerbar mem`)",
            ));
        }
        // Checked now, so that a path it cannot write is said before the job runs; the file is
        // written (and so created or replaced) only when the job succeeds.
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        if !parent.is_dir() {
            return Err(usage_error(format!(
                "--out {}: cannot create it: the directory {} does not exist",
                path.display(),
                parent.display()
            )));
        }
        if path.is_dir() {
            return Err(usage_error(format!(
                "--out {}: is a directory; give a file name",
                path.display()
            )));
        }
    }
    Ok(Loaded {
        file,
        format,
        list,
        input,
    })
}

/// `--in FILE`: the bytes a PUSH sends, exactly the job's LENGTH (read no further than that).
fn read_input(path: &Path, args: &PushArgs, list: &List) -> anyhow::Result<Vec<u8>> {
    let name = path.display();
    if args.op != Op::Push {
        return Err(usage_error(format!(
            "--in {name}: --in is what a PUSH sends (BAR2 -> the list's addresses): add --op \
             push; a PULL's data comes from the list's memory (host: entries hold the --seed \
             pattern), keep it with --out FILE"
        )));
    }
    if path == Path::new("-") {
        return Err(usage_error(
            "--in -: give a file (stdin may hold the list, `push -`)",
        ));
    }
    let want = u64::from(list.total);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(want + 1).read_to_end(&mut bytes))
        .map_err(|e| usage_error(format!("--in {name}: cannot read it: {e}")))?;
    if bytes.len() as u64 != want {
        return Err(usage_error(format!(
            "--in {name}: {} bytes, but the list's entries add up to {want} bytes (the job's \
             LENGTH): the file must be exactly as long as the list",
            if bytes.len() as u64 > want {
                "more than that".to_owned()
            } else {
                bytes.len().to_string()
            }
        )));
    }
    Ok(bytes)
}

#[derive(Serialize, Debug)]
struct Report {
    schema: &'static str,
    target: &'static str,
    device: String,
    file: String,
    format: &'static str,
    op: &'static str,
    queue: u16,
    bar2_offset: u64,
    entries: usize,
    bytes: u32,
    #[serde(serialize_with = "crate::units::serialize_u64_lossless")]
    seed: u64,
    host_buffer_bytes: u64,
    status: String,
    status_code: u16,
    ok: bool,
    result: u32,
    wall_seconds: f64,
    sim_cycles: Option<u64>,
    /// A failed job's bus address from DMA_ERROR_ADDR, "0x" hex.
    error_address: Option<String>,
    /// The entry whose bytes `error_address` lies in.
    error_entry: Option<String>,
    iommu_faults: Vec<Fault>,
    verified: Option<bool>,
    mismatches: Vec<Mismatch>,
    /// `--in FILE`, else null.
    #[serde(rename = "in")]
    input: Option<String>,
    /// `--out FILE`, else null.
    out: Option<String>,
}

/// A DMA of the job the simulated IOMMU refused.
#[derive(Serialize, Debug, Clone)]
struct Fault {
    /// First byte, "0x" hex.
    address: String,
    bytes: u64,
    /// "read" or "write".
    direction: &'static str,
    reason: &'static str,
    /// The entry the address lies in, if any.
    entry: Option<String>,
}

/// The entry (its origin) whose bus range holds `address`.
fn entry_at(spans: &[(u64, u32, &str)], address: u64) -> Option<String> {
    spans
        .iter()
        .find(|&&(start, len, _)| address >= start && address - start < u64::from(len))
        .map(|&(_, _, origin)| origin.to_owned())
}

/// DMA_ERROR_ADDR when the engine's error log (sticky: the first failed job since reset) holds
/// this job: command `cid` on `queue`.
fn logged_error_address(endpoint: &Endpoint, cid: u16, queue: u16) -> anyhow::Result<Option<u64>> {
    use peerbar::regs::{
        read, DMA_ERROR_ADDR_HI_REG, DMA_ERROR_ADDR_LO_REG, DMA_ERROR_LOG, DMA_ERROR_LOG_REG,
    };
    let dev = endpoint.device();
    let log = read(dev, &DMA_ERROR_LOG_REG).context("reading DMA_ERROR_LOG")?;
    let this_job = log.is_set(DMA_ERROR_LOG::VALID)
        && log.read(DMA_ERROR_LOG::CID) == u32::from(cid)
        && log.read(DMA_ERROR_LOG::QUEUE) == u32::from(queue);
    if !this_job {
        return Ok(None);
    }
    let lo = read(dev, &DMA_ERROR_ADDR_LO_REG).context("reading DMA_ERROR_ADDR_LO")?;
    let hi = read(dev, &DMA_ERROR_ADDR_HI_REG).context("reading DMA_ERROR_ADDR_HI")?;
    Ok(Some((u64::from(hi.get()) << 32) | u64::from(lo.get())))
}

/// The simulation's refused DMAs since it started, as (address, bytes, direction, reason):
/// a PUSH's posted writes into unmapped memory complete with success, so the IOMMU's refusal
/// is the only sign they went nowhere. None on hardware (the kernel logs IOMMU faults).
fn take_sim_faults(target: &Target) -> Vec<(u64, u64, &'static str, &'static str)> {
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

#[derive(Serialize, Debug, Clone)]
struct Mismatch {
    /// The entry's origin (line / entry / descriptor).
    entry: String,
    /// Where the differing byte is: `bar2:+0x..` or `host:+0x..`.
    location: String,
    /// Offset of the byte in the job's BAR2 range.
    offset: u64,
    expected: String,
    actual: String,
}

/// The host buffer's pattern.
pub(crate) fn host_pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

fn bar2_read(endpoint: &Endpoint, offset: u64, len: usize) -> anyhow::Result<Vec<u8>> {
    let mut buf = vec![0u8; len];
    endpoint
        .peer_read(BarOffset::new(offset), &mut buf)
        .with_context(|| format!("reading BAR2 {offset:#x}+{len} for --verify"))?;
    Ok(buf)
}

/// Reads `buf.len()` bytes at bus address `addr` from one of the held host buffers.
fn read_held(held: &[Held], addr: BusAddr, buf: &mut [u8]) -> Result<(), String> {
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
    check_bar2(list, args.bar2_offset, bar2_len)
        .map_err(|e| list_error(format!("{}: {e}", loaded.file), &e))?;
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
    let spans: Vec<(u64, u32, &str)> = data
        .entries()
        .iter()
        .zip(&list.entries)
        .filter_map(|(sgl_entry, e)| match *sgl_entry {
            sgl::SglEntry::Data { addr, len } => Some((addr.get(), len, e.origin.as_str())),
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
        Err(e @ peerbar::Error::DmaTimeout { .. }) => {
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
fn verify(
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
                    entry: e.origin.clone(),
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

fn render(r: &Report) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::seq::SliceRandom;
    use rand::Rng;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn data(loc: Location, len: u32, origin: &str) -> Entry {
        Entry {
            data: Some(loc),
            len,
            origin: origin.to_owned(),
        }
    }

    #[test]
    fn max_entries_is_the_most_the_descriptor_limit_allows() {
        let descriptors = |n: usize| {
            let entries = vec![sgl::SglEntry::BitBucket { len: 1 }; n];
            (SglBuilder::default().list_len(&entries) / SglDescriptor::SIZE) as u64
        };
        assert!(descriptors(MAX_ENTRIES) <= sgl::DESCRIPTOR_LIMIT);
        assert!(descriptors(MAX_ENTRIES + 1) > sgl::DESCRIPTOR_LIMIT);
    }

    #[test]
    fn text_parses_every_form() {
        let text = "\
# a comment line

host:+0x100 4KiB            # trailing comment
bar2:+4K    0x1000   data
0x1234_5000 4096
305419264   1M
-           512      bitbucket
HOST:+0     4k
";
        let e = parse_text(text).unwrap();
        assert_eq!(
            e,
            vec![
                data(Location::Host(0x100), 4096, "line 3"),
                data(Location::Bar2(4096), 4096, "line 4"),
                data(Location::Bus(0x1234_5000), 4096, "line 5"),
                data(Location::Bus(305_419_264), 1 << 20, "line 6"),
                Entry {
                    data: None,
                    len: 512,
                    origin: "line 7".into()
                },
                data(Location::Host(0), 4096, "line 8"),
            ]
        );
    }

    #[test]
    fn text_errors_name_the_line_and_the_problem() {
        for (text, needles) in [
            ("host:+0 4k\nfoo:+0 4k", &["line 2", "unknown address"][..]),
            ("host:0 4k", &["line 1", "host:+OFFSET"]),
            ("12q 4k", &["line 1", "unknown address"]),
            ("host:+0 4q", &["line 1", "bad length"]),
            ("host:+0 0", &["line 1", "zero-length"]),
            ("host:+0 4GiB", &["line 1", "4 GiB - 1"]),
            ("- 4k", &["line 1", "needs an address"]),
            ("host:+0 4k bitbucket", &["line 1", "takes `-`"]),
            ("host:+0 4k frob", &["line 1", "unknown type"]),
            ("\n\nhost:+0", &["line 3", "ADDRESS LENGTH"]),
            ("host:+0 1 data extra", &["line 1", "found 4 field"]),
        ] {
            let err = parse_text(text).unwrap_err();
            for n in needles {
                assert!(err.contains(n), "{text:?}: {err:?} lacks {n:?}");
            }
        }
    }

    #[test]
    fn json_parses_and_names_entries() {
        let e = parse_json(
            r#"{"entries": [
                {"address": "host:+0x100", "length": "4KiB", "type": "data"},
                {"address": 4096, "length": 512},
                {"length": 16, "type": "bitbucket"},
                {"address": "-", "length": 16, "type": "bitbucket"}
            ]}"#,
        )
        .unwrap();
        assert_eq!(e[0], data(Location::Host(0x100), 4096, "entries[0]"));
        assert_eq!(e[1], data(Location::Bus(4096), 512, "entries[1]"));
        assert_eq!(e[2].data, None);
        assert_eq!(e[3].len, 16);
        for (text, needle) in [
            ("[]", "top level"),
            ("{", "not valid JSON"),
            (
                r#"{"entries": [{"address": "x:+0", "length": 1}]}"#,
                "entries[0]: unknown address",
            ),
            (
                r#"{"entries": [{"length": 1}, {"address": 0, "length": 0}]}"#,
                "entries[0]: no \"address\"",
            ),
            (
                r#"{"entries": [{"address": 0, "length": 1}, {"address": 0, "length": 0}]}"#,
                "entries[1]: length 0",
            ),
            (
                r#"{"entries": [{"address": 0, "length": -1}]}"#,
                "entries[0]: length -1",
            ),
            (
                r#"{"entries": [{"address": 0, "length": 1, "typ": "data"}]}"#,
                "unknown field \"typ\"",
            ),
        ] {
            let err = parse_json(text).unwrap_err();
            assert!(err.contains(needle), "{text}: {err:?} lacks {needle:?}");
        }
    }

    #[test]
    fn sgl_reads_data_blocks_and_bit_buckets_only() {
        let mut bytes = Vec::new();
        bytes.extend(SglDescriptor::data_block(BusAddr::new(0x1000), 64).to_bytes());
        bytes.extend(SglDescriptor::bit_bucket(32).to_bytes());
        let e = parse_sgl(&bytes).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].data, Some(Location::Bus(0x1000)));
        assert_eq!(
            e[1],
            Entry {
                data: None,
                len: 32,
                origin: "descriptor 1 (byte 0x10)".into()
            }
        );

        let mut seg = bytes.clone();
        seg.extend(SglDescriptor::last_segment(BusAddr::new(0x2000), 16).to_bytes());
        let err = parse_sgl(&seg).unwrap_err();
        assert!(
            err.contains("descriptor 2") && err.contains("LastSegment"),
            "{err}"
        );

        let err = parse_sgl(&bytes[..20]).unwrap_err();
        assert!(
            err.contains("descriptor 1") && err.contains("multiple of 16"),
            "{err}"
        );

        let mut zero = bytes.clone();
        zero.extend(SglDescriptor::data_block(BusAddr::new(0), 0).to_bytes());
        assert!(parse_sgl(&zero).unwrap_err().contains("descriptor 2"));

        let keyed = SglDescriptor::with_identifier(0x40, BusAddr::new(0), 8).to_bytes();
        assert!(parse_sgl(&keyed).unwrap_err().contains("type 4h"));
    }

    #[test]
    fn list_checks() {
        let bb = Entry {
            data: None,
            len: 8,
            origin: "line 2".into(),
        };
        let host = data(Location::Host(0), 8, "line 1");
        let l = check_list(vec![host.clone(), bb.clone()], Op::Pull).unwrap();
        assert_eq!((l.total, l.host_len), (16, 8));
        let err = check_list(vec![host.clone(), bb], Op::Push).unwrap_err();
        assert!(err.contains("line 2") && err.contains("11h"), "{err}");
        assert!(check_list(vec![], Op::Pull).unwrap_err().contains("empty"));
        let big = data(Location::Host(MAX_HOST_BUFFER - 4), 8, "line 9");
        assert!(check_list(vec![big], Op::Pull)
            .unwrap_err()
            .contains("line 9"));
        let huge = data(Location::Bus(0), u32::MAX, "line 1");
        let err = check_list(vec![huge.clone(), huge], Op::Pull).unwrap_err();
        assert!(err.contains("32-bit LENGTH"), "{err}");
    }

    #[test]
    fn bar2_checks() {
        let list =
            check_list(vec![data(Location::Bar2(0x800), 0x100, "line 4")], Op::Pull).unwrap();
        assert!(check_bar2(&list, 0, 0x1000).is_ok());
        let err = check_bar2(&list, 0x880, 0x1000).unwrap_err();
        assert!(err.contains("line 4") && err.contains("overlaps"), "{err}");
        let err = check_bar2(&list, 0, 0x880).unwrap_err();
        assert!(
            err.contains("line 4") && err.contains("past the end"),
            "{err}"
        );
        assert!(check_bar2(&list, 0x900, 0x2000).is_ok());
        assert!(check_bar2(&list, u64::MAX, 0x2000).is_err());
        let err = check_bar2(&list, 0x1f80, 0x2000).unwrap_err();
        assert!(err.contains("--bar2-offset"), "{err}");
    }

    #[test]
    fn format_from_extension() {
        assert_eq!(Format::from_path(Path::new("a.json")), Format::Json);
        assert_eq!(Format::from_path(Path::new("a.SGL")), Format::Sgl);
        assert_eq!(Format::from_path(Path::new("a.txt")), Format::Text);
        assert_eq!(Format::from_path(Path::new("list")), Format::Text);
    }

    // ---- Fuzzing the list-file parsers and the list checks ------------------------------
    //
    // Property tests over seeded ChaCha8 streams (this crate has no proptest dependency):
    // `PROPTEST_CASES` sets the number of inputs per property (default below),
    // `PEERBAR_FUZZ_SEED` the seed (default fixed). A failure names the property, the seed,
    // the iteration and the input.

    const FUZZ_SEED: u64 = 0x9a45_e7f1;

    fn fuzz_cases(default: u64) -> u64 {
        std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    }

    fn fuzz_seed() -> u64 {
        std::env::var("PEERBAR_FUZZ_SEED")
            .ok()
            .and_then(|v| {
                let v = v.replace('_', "");
                match v.strip_prefix("0x") {
                    Some(h) => u64::from_str_radix(h, 16).ok(),
                    None => v.parse().ok(),
                }
            })
            .unwrap_or(FUZZ_SEED)
    }

    /// Runs `property` on `cases` inputs made by `make` from per-input RNGs; a panic or a
    /// failed check (`Err`) fails the test with the seed, the iteration and the input.
    fn fuzz<T: std::fmt::Debug>(
        name: &str,
        default_cases: u64,
        make: impl Fn(&mut ChaCha8Rng) -> T,
        property: impl Fn(&T) -> Result<(), String>,
    ) {
        let seed = fuzz_seed();
        for i in 0..fuzz_cases(default_cases) {
            let mut rng = ChaCha8Rng::seed_from_u64(seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15));
            let input = make(&mut rng);
            let verdict = catch_unwind(AssertUnwindSafe(|| property(&input)))
                .unwrap_or_else(|_| Err("panicked".to_owned()));
            if let Err(why) = verdict {
                panic!(
                    "{name}: seed {seed:#x} (PEERBAR_FUZZ_SEED) iteration {i}: {why}\ninput: \
                     {input:?}"
                );
            }
        }
    }

    fn check(ok: bool, why: impl FnOnce() -> String) -> Result<(), String> {
        if ok {
            Ok(())
        } else {
            Err(why())
        }
    }

    /// Tokens the text format is made of, and some it is not.
    const TEXT_TOKENS: &[&str] = &[
        "host:+",
        "bar2:+",
        "HOST:+",
        "Bar2:",
        "foo:+",
        ":",
        "+",
        "-",
        "0x",
        "0X",
        "_",
        "#",
        " ",
        " ",
        "\t",
        "\n",
        "\n",
        "\r\n",
        "data",
        "bitbucket",
        "BITBUCKET",
        "Data",
        "k",
        "KiB",
        "kb",
        "M",
        "MiB",
        "G",
        "gib",
        "b",
        "q",
        "0",
        "1",
        "7",
        "16",
        "4096",
        "0x1000",
        "4294967295",
        "4294967296",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999",
        "0xffffffffffffffff",
        "0x1_0000_0000_0000_0000",
        "é",
        "\u{0}",
        "\u{feff}",
        "💥",
        "=",
        "\"",
        "{",
        "}",
    ];

    fn random_text(rng: &mut ChaCha8Rng) -> String {
        let n = rng.gen_range(0..40);
        (0..n)
            .map(|_| *TEXT_TOKENS.choose(rng).unwrap())
            .collect::<Vec<_>>()
            .concat()
    }

    /// Text-level mutations of a valid input: delete, insert a token, duplicate or swap
    /// lines, truncate.
    fn mutate_text(rng: &mut ChaCha8Rng, text: &str) -> String {
        let mut chars: Vec<char> = text.chars().collect();
        for _ in 0..rng.gen_range(1..4) {
            match rng.gen_range(0..4) {
                0 if !chars.is_empty() => {
                    let at = rng.gen_range(0..chars.len());
                    let n = rng.gen_range(1..=4).min(chars.len() - at);
                    chars.drain(at..at + n);
                }
                1 => {
                    let at = rng.gen_range(0..=chars.len());
                    let tok: Vec<char> = TEXT_TOKENS.choose(rng).unwrap().chars().collect();
                    chars.splice(at..at, tok);
                }
                2 if !chars.is_empty() => {
                    let at = rng.gen_range(0..chars.len());
                    chars.truncate(at);
                }
                _ => {
                    let mut lines: Vec<String> = chars
                        .iter()
                        .collect::<String>()
                        .lines()
                        .map(str::to_owned)
                        .collect();
                    if !lines.is_empty() {
                        let i = rng.gen_range(0..lines.len());
                        let j = rng.gen_range(0..lines.len());
                        if rng.gen_bool(0.5) {
                            lines.swap(i, j);
                        } else {
                            let l = lines[i].clone();
                            lines.insert(j, l);
                        }
                    }
                    chars = lines.join("\n").chars().collect();
                }
            }
        }
        chars.into_iter().collect()
    }

    /// A valid entry: any location kind, lengths from 1 byte to 4 GiB - 1.
    fn random_entry(rng: &mut ChaCha8Rng) -> (Option<Location>, u32) {
        let len = match rng.gen_range(0..5) {
            0 => rng.gen_range(1..=16),
            1 => rng.gen_range(1..=1 << 20),
            2 => rng.gen_range(1..=64u32) << rng.gen_range(10..=25),
            3 => u32::MAX - rng.gen_range(0..3),
            _ => rng.gen_range(1..=u32::MAX),
        };
        let off = |rng: &mut ChaCha8Rng| match rng.gen_range(0..3) {
            0 => rng.gen_range(0..1 << 20),
            1 => rng.gen_range(0..1024u64) << 10,
            _ => rng.gen(),
        };
        let data = match rng.gen_range(0..4) {
            0 => None,
            1 => Some(Location::Bus(off(rng))),
            2 => Some(Location::Bar2(off(rng))),
            _ => Some(Location::Host(off(rng))),
        };
        (data, len)
    }

    /// `value` in one of the number forms the parsers take: decimal, hex, `_` groups, and
    /// (`units`) a binary-unit suffix when it divides.
    fn render_number(rng: &mut ChaCha8Rng, value: u64, units: bool) -> String {
        let choice = rng.gen_range(0..5);
        if units && choice == 4 {
            for (shift, names) in [
                (30, &["G", "g", "GiB", "gib", "GB"][..]),
                (20, &["M", "m", "MiB", "MB"]),
                (10, &["K", "k", "KiB", "kb", "KB"]),
            ] {
                if value != 0 && value % (1 << shift) == 0 {
                    return format!("{}{}", value >> shift, names.choose(rng).unwrap());
                }
            }
        }
        match choice {
            0 => format!("{value:#x}"),
            1 => format!("0X{value:X}"),
            2 => {
                // Hex in `_`-separated groups of 4 digits.
                let hex = format!("{value:x}");
                let mut out = String::new();
                for (i, c) in hex.chars().enumerate() {
                    if i > 0 && (hex.len() - i) % 4 == 0 {
                        out.push('_');
                    }
                    out.push(c);
                }
                format!("0x{out}")
            }
            _ => value.to_string(),
        }
    }

    fn render_address(rng: &mut ChaCha8Rng, data: Option<Location>) -> String {
        match data {
            None => "-".to_owned(),
            Some(Location::Bus(a)) => render_number(rng, a, false),
            Some(Location::Bar2(o)) => format!(
                "{}:+{}",
                ["bar2", "BAR2", "Bar2"].choose(rng).unwrap(),
                render_number(rng, o, true)
            ),
            Some(Location::Host(o)) => format!(
                "{}:+{}",
                ["host", "HOST"].choose(rng).unwrap(),
                render_number(rng, o, true)
            ),
        }
    }

    /// `entries` as a text file in a random style (spacing, comments, blank lines, number
    /// forms, optional `data`), and the line number of each entry.
    fn render_text(
        rng: &mut ChaCha8Rng,
        entries: &[(Option<Location>, u32)],
    ) -> (String, Vec<usize>) {
        let mut out = String::new();
        let mut lines = Vec::new();
        let mut line = 1;
        let space =
            |rng: &mut ChaCha8Rng| [" ", "  ", "\t", " \t "].choose(rng).unwrap().to_string();
        for &(data, len) in entries {
            while rng.gen_bool(0.2) {
                out.push_str(
                    ["", "# a comment: host:+0 4k", "   ", "\t# -"]
                        .choose(rng)
                        .unwrap(),
                );
                out.push('\n');
                line += 1;
            }
            if rng.gen_bool(0.3) {
                out.push_str(&space(rng));
            }
            out.push_str(&render_address(rng, data));
            out.push_str(&space(rng));
            out.push_str(&render_number(rng, u64::from(len), true));
            match data {
                None => {
                    out.push_str(&space(rng));
                    out.push_str(["bitbucket", "BITBUCKET", "BitBucket"].choose(rng).unwrap());
                }
                Some(_) if rng.gen_bool(0.5) => {
                    out.push_str(&space(rng));
                    out.push_str(["data", "DATA", "Data"].choose(rng).unwrap());
                }
                Some(_) => {}
            }
            if rng.gen_bool(0.2) {
                out.push_str(" # trailing: - 4k bitbucket");
            }
            out.push_str(if rng.gen_bool(0.1) { "\r\n" } else { "\n" });
            lines.push(line);
            line += 1;
        }
        (out, lines)
    }

    fn render_json(rng: &mut ChaCha8Rng, entries: &[(Option<Location>, u32)]) -> Value {
        let items: Vec<Value> = entries
            .iter()
            .map(|&(data, len)| {
                let mut obj = serde_json::Map::new();
                match data {
                    None => {
                        obj.insert("type".into(), Value::from("bitbucket"));
                        if rng.gen_bool(0.3) {
                            obj.insert("address".into(), Value::from("-"));
                        }
                    }
                    Some(loc) => {
                        let address = match loc {
                            Location::Bus(a) if rng.gen_bool(0.5) => Value::from(a),
                            _ => Value::from(render_address(rng, Some(loc))),
                        };
                        obj.insert("address".into(), address);
                        if rng.gen_bool(0.5) {
                            obj.insert("type".into(), Value::from("data"));
                        }
                    }
                }
                let length = if rng.gen_bool(0.5) {
                    Value::from(len)
                } else {
                    Value::from(render_number(rng, u64::from(len), true))
                };
                obj.insert("length".into(), length);
                Value::Object(obj)
            })
            .collect();
        serde_json::json!({ "entries": items })
    }

    fn render_sgl(entries: &[(Option<Location>, u32)]) -> Vec<u8> {
        entries
            .iter()
            .flat_map(|&(data, len)| {
                match data {
                    Some(Location::Bus(a)) => SglDescriptor::data_block(BusAddr::new(a), len),
                    None => SglDescriptor::bit_bucket(len),
                    Some(other) => panic!("{other:?} has no SGL form"),
                }
                .to_bytes()
            })
            .collect()
    }

    fn pairs(entries: &[Entry]) -> Vec<(Option<Location>, u32)> {
        entries.iter().map(|e| (e.data, e.len)).collect()
    }

    /// The line number an error or origin starts with ("line N").
    fn line_of(msg: &str) -> Option<usize> {
        msg.strip_prefix("line ")?
            .split(|c: char| !c.is_ascii_digit())
            .next()?
            .parse()
            .ok()
    }

    /// What any parse_text verdict must satisfy: errors and entries name a line of the file.
    fn text_verdict_is_sound(text: &str) -> Result<(), String> {
        let lines = text.lines().count();
        match parse_text(text) {
            Err(e) => {
                let n = line_of(&e).ok_or_else(|| format!("error names no line: {e:?}"))?;
                check(
                    (1..=lines).contains(&n) && e.starts_with(&format!("line {n}: ")),
                    || format!("error names line {n} of {lines}: {e:?}"),
                )
            }
            Ok(entries) => {
                let mut last = 0;
                for e in &entries {
                    let n = line_of(&e.origin).ok_or_else(|| format!("origin {:?}", e.origin))?;
                    check(n > last && n <= lines && e.len > 0, || {
                        format!("entry {e:?}")
                    })?;
                    last = n;
                }
                // A parsed list renders back to the same entries.
                let mut rng = ChaCha8Rng::seed_from_u64(entries.len() as u64);
                let (again, _) = render_text(&mut rng, &pairs(&entries));
                let reparsed = parse_text(&again).map_err(|e| format!("re-render: {e}"))?;
                check(pairs(&reparsed) == pairs(&entries), || {
                    format!("re-rendered as {again:?}: {reparsed:?}")
                })
            }
        }
    }

    #[test]
    fn fuzz_parse_text_arbitrary_and_mutated_input() {
        fuzz("parse_text, random tokens", 3000, random_text, |t| {
            text_verdict_is_sound(t)
        });
        fuzz(
            "parse_text, mutated valid files",
            3000,
            |rng| {
                let n = rng.gen_range(1..8);
                let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
                let (text, _) = render_text(rng, &entries);
                mutate_text(rng, &text)
            },
            |t| text_verdict_is_sound(t),
        );
        fuzz(
            "parse_text, random bytes as text",
            2000,
            |rng| {
                let n = rng.gen_range(0..64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                String::from_utf8_lossy(&bytes).into_owned()
            },
            |t| text_verdict_is_sound(t),
        );
    }

    #[test]
    fn fuzz_text_round_trip() {
        fuzz(
            "text round trip",
            3000,
            |rng| {
                let n = rng.gen_range(0..30);
                let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
                let (text, lines) = render_text(rng, &entries);
                (entries, text, lines)
            },
            |(entries, text, lines)| {
                let parsed = parse_text(text)?;
                check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))?;
                let origins: Vec<String> = lines.iter().map(|n| format!("line {n}")).collect();
                let got: Vec<String> = parsed.iter().map(|e| e.origin.clone()).collect();
                check(got == origins, || {
                    format!("origins {got:?}, expected {origins:?}")
                })
            },
        );
    }

    /// What any parse_json verdict must satisfy: errors name the document or an entry index
    /// that exists; entries are named entries[0], entries[1], ... in order.
    fn json_verdict_is_sound(text: &str) -> Result<(), String> {
        let doc: Option<Value> = serde_json::from_str(text).ok();
        let count = doc
            .as_ref()
            .and_then(|d| d.get("entries"))
            .and_then(Value::as_array)
            .map(Vec::len);
        match parse_json(text) {
            Err(e) => {
                if let Some(rest) = e.strip_prefix("entries[") {
                    let i: usize = rest
                        .split(']')
                        .next()
                        .and_then(|n| n.parse().ok())
                        .ok_or_else(|| format!("bad entry index in {e:?}"))?;
                    check(count.is_some_and(|c| i < c), || {
                        format!("error names entry {i} of {count:?}: {e:?}")
                    })
                } else {
                    check(
                        e.starts_with("not valid JSON") || e.starts_with("expected an object"),
                        || format!("error names neither the document nor an entry: {e:?}"),
                    )?;
                    check(doc.is_none() || count.is_none(), || {
                        format!("a document error for a document with entries: {e:?}")
                    })
                }
            }
            Ok(entries) => {
                check(Some(entries.len()) == count, || {
                    format!("{} entries of {count:?}", entries.len())
                })?;
                for (i, e) in entries.iter().enumerate() {
                    check(e.origin == format!("entries[{i}]") && e.len > 0, || {
                        format!("{e:?}")
                    })?;
                }
                Ok(())
            }
        }
    }

    const JSON_TOKENS: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        ":",
        ",",
        "\"entries\"",
        "\"address\"",
        "\"length\"",
        "\"type\"",
        "\"data\"",
        "\"bitbucket\"",
        "\"host:+0x10\"",
        "\"bar2:+4k\"",
        "\"-\"",
        "\"4KiB\"",
        "0",
        "1",
        "-1",
        "1.5",
        "1e3",
        "4294967296",
        "18446744073709551616",
        "null",
        "true",
        " ",
        "\"\\u0000\"",
        "\"é\"",
    ];

    /// Replaces one value of a valid document with another JSON value of any kind.
    fn mutate_json(rng: &mut ChaCha8Rng, doc: &mut Value) {
        let junk = |rng: &mut ChaCha8Rng| -> Value {
            match rng.gen_range(0..10) {
                0 => Value::Null,
                1 => Value::from(rng.gen_bool(0.5)),
                2 => Value::from(-rng.gen_range(0..100i64)),
                3 => Value::from(rng.gen::<f64>() * 1e6),
                4 => serde_json::from_str("18446744073709551616").unwrap(),
                5 => Value::from(rng.gen::<u64>()),
                6 => Value::from(random_text(rng)),
                7 => serde_json::json!([]),
                8 => serde_json::json!({"x": 1}),
                _ => Value::from(0),
            }
        };
        let Some(items) = doc.get_mut("entries").and_then(Value::as_array_mut) else {
            return;
        };
        if items.is_empty() || rng.gen_bool(0.1) {
            *doc = match rng.gen_range(0..3) {
                0 => junk(rng),
                1 => serde_json::json!({ "entries": junk(rng) }),
                _ => serde_json::json!({ "list": [] }),
            };
            return;
        }
        let i = rng.gen_range(0..items.len());
        let key = *["address", "length", "type", "extra"].choose(rng).unwrap();
        match (rng.gen_range(0..4), items[i].as_object_mut()) {
            (0, Some(obj)) => {
                obj.remove(key);
            }
            (1, _) => items[i] = junk(rng),
            (_, Some(obj)) => {
                obj.insert(key.to_owned(), junk(rng));
            }
            (_, None) => {}
        }
    }

    #[test]
    fn fuzz_parse_json_arbitrary_and_mutated_input() {
        fuzz(
            "parse_json, random tokens",
            3000,
            |rng| {
                let n = rng.gen_range(0..30);
                (0..n)
                    .map(|_| *JSON_TOKENS.choose(rng).unwrap())
                    .collect::<Vec<_>>()
                    .concat()
            },
            |t| json_verdict_is_sound(t),
        );
        fuzz(
            "parse_json, mutated valid documents",
            3000,
            |rng| {
                let n = rng.gen_range(0..8);
                let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
                let mut doc = render_json(rng, &entries);
                mutate_json(rng, &mut doc);
                let text = doc.to_string();
                if rng.gen_bool(0.3) {
                    mutate_text(rng, &text)
                } else {
                    text
                }
            },
            |t| json_verdict_is_sound(t),
        );
    }

    #[test]
    fn fuzz_json_round_trip() {
        fuzz(
            "json round trip",
            3000,
            |rng| {
                let n = rng.gen_range(0..30);
                let entries: Vec<_> = (0..n).map(|_| random_entry(rng)).collect();
                let doc = render_json(rng, &entries);
                let text = if rng.gen_bool(0.5) {
                    serde_json::to_string_pretty(&doc).unwrap()
                } else {
                    doc.to_string()
                };
                (entries, text)
            },
            |(entries, text)| {
                let parsed = parse_json(text)?;
                check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))
            },
        );
    }

    /// What any parse_sgl verdict must satisfy: errors name a descriptor of the file (or the
    /// cut-short one just past it); entries are the file's descriptors, in order.
    fn sgl_verdict_is_sound(bytes: &[u8]) -> Result<(), String> {
        match parse_sgl(bytes) {
            Err(e) => {
                let i: usize = e
                    .strip_prefix("descriptor ")
                    .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| format!("error names no descriptor: {e:?}"))?;
                check(i <= bytes.len() / 16, || {
                    format!("descriptor {i} of {}: {e:?}", bytes.len())
                })?;
                check(bytes.len() % 16 != 0 || i < bytes.len() / 16, || e.clone())
            }
            Ok(entries) => {
                check(entries.len() * 16 == bytes.len(), || {
                    format!("{} entries", entries.len())
                })?;
                for (i, (e, chunk)) in entries.iter().zip(bytes.chunks_exact(16)).enumerate() {
                    let d = SglDescriptor::from_bytes(chunk.try_into().unwrap());
                    let want = match d.sgl_type() {
                        SglType::DataBlock => Some(Location::Bus(d.address().get())),
                        _ => None,
                    };
                    check(
                        d.subtype() == 0
                            && matches!(d.sgl_type(), SglType::DataBlock | SglType::BitBucket)
                            && e.data == want
                            && e.len == d.length()
                            && e.len > 0
                            && e.origin == format!("descriptor {i} (byte {:#x})", i * 16),
                        || format!("entry {e:?} from {d:?}"),
                    )?;
                }
                Ok(())
            }
        }
    }

    #[test]
    fn fuzz_parse_sgl_arbitrary_and_mutated_input() {
        fuzz(
            "parse_sgl, random bytes",
            3000,
            |rng| {
                let n = if rng.gen_bool(0.7) {
                    rng.gen_range(0..8) * 16
                } else {
                    rng.gen_range(0..130)
                };
                (0..n).map(|_| rng.gen()).collect::<Vec<u8>>()
            },
            |b| sgl_verdict_is_sound(b),
        );
        fuzz(
            "parse_sgl, mutated valid files",
            3000,
            |rng| {
                let n = rng.gen_range(1..10);
                let entries: Vec<_> = (0..n)
                    .map(|_| match random_entry(rng) {
                        (Some(_), len) => (Some(Location::Bus(rng.gen())), len),
                        bb => bb,
                    })
                    .collect();
                let mut bytes = render_sgl(&entries);
                for _ in 0..rng.gen_range(1..4) {
                    let whole = bytes.len() / 16;
                    match rng.gen_range(0..4) {
                        0 if whole > 0 => {
                            // The identifier byte of a descriptor: any type and subtype.
                            let i = rng.gen_range(0..whole) * 16 + 15;
                            bytes[i] = rng.gen();
                        }
                        1 if whole > 0 => {
                            let i = rng.gen_range(0..whole) * 16 + 8;
                            bytes[i..i + 4].copy_from_slice(&[0; 4]); // length 0
                        }
                        2 if !bytes.is_empty() => {
                            let cut = rng.gen_range(0..bytes.len());
                            bytes.truncate(cut);
                        }
                        _ if !bytes.is_empty() => {
                            let i = rng.gen_range(0..bytes.len());
                            bytes[i] ^= 1 << rng.gen_range(0..8);
                        }
                        _ => {}
                    }
                }
                bytes
            },
            |b| sgl_verdict_is_sound(b),
        );
    }

    #[test]
    fn fuzz_sgl_round_trip() {
        fuzz(
            "sgl round trip",
            3000,
            |rng| {
                let n = rng.gen_range(0..40);
                (0..n)
                    .map(|_| match random_entry(rng) {
                        (Some(_), len) => (Some(Location::Bus(rng.gen())), len),
                        bb => bb,
                    })
                    .collect::<Vec<_>>()
            },
            |entries| {
                let parsed = parse_sgl(&render_sgl(entries))?;
                check(pairs(&parsed) == *entries, || format!("parsed {parsed:?}"))
            },
        );
    }

    fn entry_of(data: Option<Location>, len: u32, i: usize) -> Entry {
        Entry {
            data,
            len,
            origin: format!("line {}", i + 1),
        }
    }

    /// Entries near every limit: lengths up to 4 GiB - 1, host offsets around the host
    /// buffer limit (ending one byte before, at or after it), offsets near 2^64.
    fn extreme_entry(rng: &mut ChaCha8Rng) -> (Option<Location>, u32) {
        let len = match rng.gen_range(0..5) {
            0 => rng.gen_range(1..=4096),
            1 => u32::MAX - rng.gen_range(0..4096),
            2 => 1 << rng.gen_range(0..32),
            3 => (rng.gen_range(1..=u32::MAX) >> rng.gen_range(0..32)).max(1),
            _ => rng.gen_range(1..=u32::MAX),
        };
        let off = |rng: &mut ChaCha8Rng| match rng.gen_range(0..5) {
            0 => rng.gen_range(0..1 << 20),
            1 => (MAX_HOST_BUFFER + 1)
                .wrapping_sub(u64::from(len))
                .wrapping_sub(rng.gen_range(0..=2)),
            2 => MAX_HOST_BUFFER - rng.gen_range(0..=8192),
            3 => u64::MAX - rng.gen_range(0..=8192),
            _ => rng.gen(),
        };
        let data = match rng.gen_range(0..4) {
            0 => None,
            1 => Some(Location::Bus(off(rng))),
            2 => Some(Location::Bar2(off(rng))),
            _ => Some(Location::Host(off(rng))),
        };
        (data, len)
    }

    /// Up to 5 extreme entries; often the last one brings the total to 4 GiB - 2, - 1 or 4 GiB.
    fn extreme_list(rng: &mut ChaCha8Rng) -> Vec<Entry> {
        let n = rng.gen_range(0..6);
        let mut entries: Vec<Entry> = (0..n)
            .map(|i| {
                let (d, l) = extreme_entry(rng);
                entry_of(d, l, i)
            })
            .collect();
        if n >= 2 && rng.gen_bool(0.4) {
            let before: u64 = entries[..n - 1].iter().map(|e| u64::from(e.len)).sum();
            let want = (u64::from(u32::MAX) + 1 - rng.gen_range(0..=2)).checked_sub(before);
            if let Some(len) = want.and_then(|w| u32::try_from(w).ok()).filter(|&l| l > 0) {
                entries[n - 1].len = len;
            }
        }
        entries
    }

    #[test]
    fn fuzz_check_list_accepts_exactly_the_lists_that_fit() {
        fuzz(
            "check_list",
            5000,
            |rng| {
                let op = if rng.gen_bool(0.5) {
                    Op::Pull
                } else {
                    Op::Push
                };
                (extreme_list(rng), op)
            },
            |(entries, op)| {
                let total: u128 = entries.iter().map(|e| u128::from(e.len)).sum();
                let host_end = entries
                    .iter()
                    .filter_map(|e| match e.data {
                        Some(Location::Host(o)) => Some(u128::from(o) + u128::from(e.len)),
                        _ => None,
                    })
                    .max()
                    .unwrap_or(0);
                let bus_overflow = entries.iter().any(|e| match e.data {
                    Some(Location::Bus(a)) => a.checked_add(u64::from(e.len)).is_none(),
                    _ => false,
                });
                let fits = !entries.is_empty()
                    && !bus_overflow
                    && total <= u128::from(u32::MAX)
                    && host_end <= u128::from(MAX_HOST_BUFFER)
                    && !(*op == Op::Push && entries.iter().any(|e| e.data.is_none()));
                match check_list(entries.clone(), *op) {
                    Ok(list) => check(
                        fits && u128::from(list.total) == total
                            && u128::from(list.host_len) == host_end
                            && list.entries == *entries,
                        || format!("accepted: total {}, host_len {}", list.total, list.host_len),
                    ),
                    Err(e) => check(!fits, || format!("refused a list that fits: {e}")),
                }
            },
        );
    }

    #[test]
    fn fuzz_check_bar2_never_accepts_a_range_past_bar2_or_overflowing() {
        fuzz(
            "check_bar2",
            5000,
            |rng| {
                let mut entries = extreme_list(rng);
                let total: u64 = entries.iter().map(|e| u64::from(e.len)).sum();
                let bar2_len = 1u64 << rng.gen_range(12..=40);
                // Around the edges: the job's range ending one byte before, at or after the
                // end of BAR2; a bar2: entry ending there, or touching or overlapping the
                // job's range on either side.
                let near = |rng: &mut ChaCha8Rng, x: u64| {
                    x.wrapping_add(rng.gen_range(0..=2)).wrapping_sub(1)
                };
                let offset = match rng.gen_range(0..5) {
                    0 => rng.gen_range(0..bar2_len),
                    1 => near(rng, bar2_len.wrapping_sub(total)),
                    2 => bar2_len - rng.gen_range(0..=4096.min(bar2_len)),
                    3 => u64::MAX - rng.gen_range(0..=8192),
                    _ => rng.gen(),
                };
                for e in &mut entries {
                    if let Some(Location::Bar2(o)) = &mut e.data {
                        let len = u64::from(e.len);
                        *o = match rng.gen_range(0..5) {
                            0 => near(rng, bar2_len.wrapping_sub(len)),
                            1 => near(rng, offset.wrapping_add(total)),
                            2 => near(rng, offset.wrapping_sub(len)),
                            _ => *o,
                        };
                    }
                }
                (entries, offset, bar2_len)
            },
            |(entries, offset, bar2_len)| {
                let Ok(list) = check_list(entries.clone(), Op::Pull) else {
                    return Ok(());
                };
                let (offset, bar2_len) = (*offset, *bar2_len);
                let target = u128::from(offset)..u128::from(offset) + u128::from(list.total);
                let target_ok = target.end <= u128::from(bar2_len);
                let bad_entry = list.entries.iter().find(|e| match e.data {
                    Some(Location::Bar2(o)) => {
                        let r = u128::from(o)..u128::from(o) + u128::from(e.len);
                        r.end > u128::from(bar2_len)
                            || (r.start < target.end && target.start < r.end)
                    }
                    _ => false,
                });
                match check_bar2(&list, offset, bar2_len) {
                    Ok(()) => check(target_ok && bad_entry.is_none(), || {
                        format!("accepted: target {target:x?}, entry {bad_entry:?}")
                    }),
                    Err(e) => {
                        check(!target_ok || bad_entry.is_some(), || {
                            format!("refused: {e}")
                        })?;
                        match bad_entry {
                            Some(b) if target_ok => check(e.contains(&b.origin), || {
                                format!("error does not name {}: {e}", b.origin)
                            }),
                            _ => Ok(()),
                        }
                    }
                }
            },
        );
    }
}
