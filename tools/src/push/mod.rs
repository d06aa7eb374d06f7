// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar push`: hand one descriptor list to the DMA engine as one PULL or PUSH job.
//!
//! The list file is parsed and checked without the device (syntax, lengths, the host buffer's
//! size, Bit Buckets in a PUSH), then against BAR2's size, then built into NVMe SGL segments and
//! walked by `peerbar::dma::sgl::validate` (the engine's own rules). Only then is the job
//! submitted. Every input error names the line, entry or descriptor and exits with 2.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, ValueEnum};
use peerbar::dma::wire::{Opcode, SglDescriptor};

use crate::units::{parse_seconds, parse_size};
use crate::UsageError;

#[cfg(test)]
mod fuzz;
mod load;
mod parse;
mod report;
mod run;
#[cfg(test)]
mod tests;

pub use load::{load, Loaded};
use parse::ListError;
pub use parse::Origin;
pub(crate) use run::host_pattern;
pub use run::run;

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

/// A [`UsageError`] about the list file `file`: its message, and the line or entry
/// `--json` names.
fn list_error(file: &str, error: ListError) -> anyhow::Error {
    anyhow::Error::new(UsageError {
        message: format!("{file}: {error}"),
        line: error.line(),
        entry: error.entry(),
    })
}

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
    pub origin: Origin,
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
