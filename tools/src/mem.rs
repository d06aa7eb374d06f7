// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar mem read|write|fill|dump`: BAR2 (peer memory) from the host's side, what pcimem and
//! litepcie_util do: to and from files, filled with a byte or a seeded pattern, or hexdumped.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use peerbar::{BarIndex, BarOffset, Device};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::target::Target;
use crate::units::{human_bytes, parse_size};
use crate::{usage_error, GlobalOpts, Outcome};

pub const LONG_ABOUT: &str = "\
Read, write, fill or hexdump BAR2, the endpoint's peer memory, through the BAR from the host.

  mem read  OFFSET LENGTH --out FILE     BAR2[OFFSET..+LENGTH] -> FILE (`-`: stdout)
  mem write OFFSET --in FILE             FILE (`-`: stdin) -> BAR2[OFFSET..]; LENGTH is the file's
  mem fill  OFFSET LENGTH --byte B       every byte B (0x hex or decimal, 0..=255)
  mem fill  OFFSET LENGTH --seed S       the ChaCha8 pattern of seed S (the one push uses for its
                                         host buffer: `push --seed S` fills host:+0 with the same
                                         bytes)
  mem dump  OFFSET LENGTH                hexdump -C style: offset, 16 bytes, ASCII

OFFSET and LENGTH: decimal, 0x hex, or with a binary unit (4k, 4KiB, 1MiB). LENGTH defaults to \
256 for dump. Checks (exit status 2, nothing read or written): a range past the end of BAR2 \
(its size is in `peerbar info`), a zero LENGTH, an --in file larger than what is left of BAR2 \
after OFFSET, --out to a terminal (binary; use dump), a missing --out/--in.

Each command runs on its own fresh simulated endpoint (without --device), whose BAR2 starts \
as zeros: what `peerbar mem write` wrote is gone by the next `peerbar mem read`. To move your \
own data through one simulation, use `peerbar push --in FILE` / `--out FILE`. On a board \
(--device) BAR2 keeps its contents between commands.

JSON output (--json), schema \"peerbar-mem/1\": {schema, op, offset, bytes, file (read/write, \
else null), crc32c (of the bytes read, written or filled, \"0x\" hex), hex (dump only: the \
bytes as one hex string, else null)}.";

pub const AFTER_HELP: &str = "\
Examples:
  peerbar mem dump 0 64                       the first 64 bytes of BAR2
  peerbar mem fill 0x1000 4KiB --byte 0xa5 --json
  peerbar mem write 0 --in firmware.bin
  peerbar mem read 0 1MiB --out bar2.bin
  peerbar --device 01:00.0 mem dump 0x10000 256";

#[derive(Args, Debug, Clone)]
pub struct MemArgs {
    #[command(subcommand)]
    pub op: MemOp,
}

#[derive(Subcommand, Debug, Clone)]
pub enum MemOp {
    /// Copy BAR2[OFFSET..+LENGTH] into FILE.
    Read {
        #[arg(value_parser = parse_size, value_name = "OFFSET")]
        offset: u64,
        #[arg(value_parser = parse_size, value_name = "LENGTH")]
        length: u64,
        /// Where the bytes go (`-`: stdout, which must not be a terminal).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Copy FILE into BAR2 from OFFSET.
    Write {
        #[arg(value_parser = parse_size, value_name = "OFFSET")]
        offset: u64,
        /// What to write (`-`: stdin).
        #[arg(long = "in", value_name = "FILE")]
        input: PathBuf,
    },
    /// Fill BAR2[OFFSET..+LENGTH] with one byte or a seeded pattern.
    Fill {
        #[arg(value_parser = parse_size, value_name = "OFFSET")]
        offset: u64,
        #[arg(value_parser = parse_size, value_name = "LENGTH")]
        length: u64,
        /// Every byte this value (0x hex or decimal).
        #[arg(long, value_parser = parse_byte, value_name = "B", conflicts_with = "seed", required_unless_present = "seed")]
        byte: Option<u8>,
        /// The ChaCha8 pattern of this seed.
        #[arg(long, value_name = "S")]
        seed: Option<u64>,
    },
    /// Hexdump BAR2[OFFSET..+LENGTH] (hexdump -C style).
    Dump {
        #[arg(value_parser = parse_size, value_name = "OFFSET")]
        offset: u64,
        #[arg(value_parser = parse_size, default_value = "256", value_name = "LENGTH")]
        length: u64,
    },
}

fn parse_byte(text: &str) -> Result<u8, String> {
    let v = parse_size(text)
        .map_err(|_| format!("{text:?} is not a byte: use 0x hex or decimal (0xa5, 165)"))?;
    u8::try_from(v).map_err(|_| format!("{text}: a byte is 0..=255 (0x00..=0xff)"))
}

#[derive(Serialize)]
struct Report {
    schema: &'static str,
    op: &'static str,
    offset: u64,
    bytes: u64,
    file: Option<String>,
    crc32c: String,
    hex: Option<String>,
}

/// Refuses a range that is empty or passes the end of BAR2.
fn check_range(offset: u64, length: u64, bar2_len: u64) -> anyhow::Result<()> {
    if length == 0 {
        return Err(usage_error("LENGTH is 0: nothing to do"));
    }
    let end = offset.checked_add(length);
    if end.is_none_or(|end| end > bar2_len) {
        return Err(usage_error(format!(
            "{offset:#x} + {length} bytes ends past the end of BAR2 ({bar2_len:#x} bytes, {})",
            human_bytes(bar2_len)
        )));
    }
    Ok(())
}

fn file_name(path: &Path, stdio: &str) -> String {
    if path == Path::new("-") {
        stdio.to_owned()
    } else {
        path.display().to_string()
    }
}

/// Reads at most `limit` bytes of `path` (`-`: stdin); a larger input is a usage error.
fn read_input(path: &Path, offset: u64, limit: u64) -> anyhow::Result<Vec<u8>> {
    let name = file_name(path, "stdin");
    let mut bytes = Vec::new();
    let read = if path == Path::new("-") {
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| usage_error(format!("--in {name}: cannot read it: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(usage_error(format!(
            "--in {name}: more than the {limit} bytes ({}) BAR2 holds from {offset:#x}",
            human_bytes(limit)
        )));
    }
    if bytes.is_empty() {
        return Err(usage_error(format!(
            "--in {name}: the file is empty: nothing to write"
        )));
    }
    Ok(bytes)
}

/// Copies BAR2[offset..+length] into `path` (`-`: stdout) piece by piece; returns the CRC32C.
fn read_into(dev: &dyn Device, offset: u64, length: u64, path: &Path) -> anyhow::Result<u32> {
    let mut file =
        if path == Path::new("-") {
            None
        } else {
            Some(std::fs::File::create(path).map_err(|e| {
                usage_error(format!("--out {}: cannot create it: {e}", path.display()))
            })?)
        };
    let mut crc = 0;
    let mut at = offset;
    let end = offset + length;
    while at < end {
        let piece = bar2_read(dev, at, (end - at).min(PIECE as u64))?;
        crc = crc32c::crc32c_append(crc, &piece);
        match file.as_mut() {
            None => crate::out::print_bytes(&piece)?,
            Some(f) => f
                .write_all(&piece)
                .with_context(|| format!("writing --out {}", path.display()))?,
        }
        at += piece.len() as u64;
    }
    Ok(crc)
}

/// Checks what needs no device: `mem read --out -` puts raw bytes on stdout, which must then
/// be neither a terminal nor shared with `--json`.
pub fn check_args(args: &MemArgs, opts: &GlobalOpts) -> anyhow::Result<()> {
    let MemOp::Read { out, .. } = &args.op else {
        return Ok(());
    };
    if out != Path::new("-") {
        return Ok(());
    }
    if opts.json {
        return Err(usage_error(
            "--out - puts the bytes on stdout, where --json puts its report: give --out FILE",
        ));
    }
    if std::io::stdout().is_terminal() {
        return Err(usage_error(
            "--out -: stdout is a terminal and these are raw bytes: redirect it to a file or a \
             pipe, or use `peerbar mem dump`",
        ));
    }
    Ok(())
}

/// BAR2 reads and writes in pieces, so that a large range is not one huge access.
const PIECE: usize = 64 << 10;

pub fn bar2_read(dev: &dyn Device, offset: u64, len: u64) -> anyhow::Result<Vec<u8>> {
    let mut bytes = vec![0u8; len as usize];
    for (i, piece) in bytes.chunks_mut(PIECE).enumerate() {
        let at = offset + (i * PIECE) as u64;
        dev.bar_read(BarIndex::BAR2, BarOffset::new(at), piece)
            .with_context(|| format!("reading BAR2 {at:#x}+{}", piece.len()))?;
    }
    Ok(bytes)
}

pub fn bar2_write(dev: &dyn Device, offset: u64, bytes: &[u8]) -> anyhow::Result<()> {
    for (i, piece) in bytes.chunks(PIECE).enumerate() {
        let at = offset + (i * PIECE) as u64;
        dev.bar_write(BarIndex::BAR2, BarOffset::new(at), piece)
            .with_context(|| format!("writing BAR2 {at:#x}+{}", piece.len()))?;
    }
    Ok(())
}

/// The bytes of `fill --seed`, in one piece: ChaCha8 seeded as push's host buffer.
#[cfg(test)]
fn pattern(seed: u64, len: usize) -> Vec<u8> {
    let mut bytes = vec![0u8; len];
    ChaCha8Rng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes
}

/// `hexdump -C` lines: offset (BAR2's), 16 bytes in two groups of 8, ASCII.
pub fn hexdump(offset: u64, bytes: &[u8]) -> String {
    let mut out = String::new();
    for (i, row) in bytes.chunks(16).enumerate() {
        out.push_str(&format!("{:08x} ", offset + (i * 16) as u64));
        for j in 0..16 {
            if j == 8 {
                out.push(' ');
            }
            match row.get(j) {
                Some(b) => out.push_str(&format!(" {b:02x}")),
                None => out.push_str("   "),
            }
        }
        out.push_str("  |");
        out.extend(row.iter().map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                b as char
            } else {
                '.'
            }
        }));
        out.push_str("|\n");
    }
    out
}

pub fn run(target: &mut Target, opts: &GlobalOpts, args: &MemArgs) -> anyhow::Result<Outcome> {
    let dev = target.device();
    let bar2_len = dev
        .bar_len(BarIndex::BAR2)
        .context("the endpoint has no BAR2")?;
    let (op, offset, count, crc, file, hex) = match &args.op {
        MemOp::Read {
            offset,
            length,
            out,
        } => {
            check_range(*offset, *length, bar2_len)?;
            let crc = read_into(dev, *offset, *length, out)?;
            (
                "read",
                *offset,
                *length,
                crc,
                Some(file_name(out, "stdout")),
                None,
            )
        }
        MemOp::Write { offset, input } => {
            if *offset >= bar2_len {
                return Err(usage_error(format!(
                    "offset {offset:#x} is past the end of BAR2 ({bar2_len:#x} bytes, {})",
                    human_bytes(bar2_len)
                )));
            }
            let bytes = read_input(input, *offset, bar2_len - offset)?;
            bar2_write(dev, *offset, &bytes)?;
            let crc = crc32c::crc32c(&bytes);
            let file = Some(file_name(input, "stdin"));
            ("write", *offset, bytes.len() as u64, crc, file, None)
        }
        MemOp::Fill {
            offset,
            length,
            byte,
            seed,
        } => {
            check_range(*offset, *length, bar2_len)?;
            // Piece by piece (BAR2 may be large on a board). PIECE is a multiple of 4, so the
            // pieces of the ChaCha8 stream are the bytes of one `pattern(seed, length)`.
            let mut rng = seed.map(ChaCha8Rng::seed_from_u64);
            let mut crc = 0;
            let mut at = *offset;
            let end = offset + length;
            while at < end {
                let n = (end - at).min(PIECE as u64) as usize;
                let mut piece = vec![byte.unwrap_or(0); n];
                if let Some(rng) = rng.as_mut() {
                    rng.fill_bytes(&mut piece);
                }
                bar2_write(dev, at, &piece)?;
                crc = crc32c::crc32c_append(crc, &piece);
                at += n as u64;
            }
            ("fill", *offset, *length, crc, None, None)
        }
        MemOp::Dump { offset, length } => {
            check_range(*offset, *length, bar2_len)?;
            let bytes = bar2_read(dev, *offset, *length)?;
            let hex = opts
                .json
                .then(|| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>());
            if !opts.json {
                crate::out::print(hexdump(*offset, &bytes))?;
            }
            let crc = crc32c::crc32c(&bytes);
            ("dump", *offset, *length, crc, None, hex)
        }
    };
    if opts.json {
        let report = Report {
            schema: "peerbar-mem/1",
            op,
            offset,
            bytes: count,
            file,
            crc32c: format!("{crc:#010x}"),
            hex,
        };
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else if op != "dump" {
        let what = match op {
            "read" => "read from",
            "write" => "wrote to",
            _ => "filled",
        };
        // A binary read into stdout keeps stdout for the bytes: its summary goes to stderr.
        let line = format!(
            "{what} BAR2 {offset:#x}..{:#x}: {} ({} bytes){}, crc32c {crc:#010x}",
            offset + count,
            human_bytes(count),
            count,
            file.as_ref()
                .map(|f| format!(" {} {f}", if op == "read" { "into" } else { "from" }))
                .unwrap_or_default(),
        );
        if file.as_deref() == Some("stdout") {
            writeln!(std::io::stderr(), "{line}").ok();
        } else {
            outln!("{line}")?;
        }
    }
    Ok(Outcome::Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pattern_in_pieces_is_the_pattern_in_one() {
        let len = 2 * PIECE + 1000;
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut pieces = Vec::new();
        let mut left = len;
        while left > 0 {
            let mut piece = vec![0u8; left.min(PIECE)];
            rng.fill_bytes(&mut piece);
            left -= piece.len();
            pieces.extend(piece);
        }
        assert_eq!(pieces, pattern(7, len));
        // The same bytes as push's host buffer (host:+0 with --seed 7).
        assert_eq!(pattern(7, 64), crate::push::host_pattern(7, 64));
    }

    #[test]
    fn hexdump_is_hexdump_c() {
        let text = hexdump(0x100, b"peerbar BAR2\x00\x01\xff hex");
        assert_eq!(
            text,
            "00000100  70 65 65 72 62 61 72 20  42 41 52 32 00 01 ff 20  |peerbar BAR2... |\n\
             00000110  68 65 78                                          |hex|\n"
        );
    }
}
