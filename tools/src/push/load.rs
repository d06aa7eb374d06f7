// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading the list file and `--in`, and the checks of the options that need no device.

use std::io::Read;
use std::path::Path;

use crate::usage_error;

use super::parse::{check_list, parse_json, parse_sgl, parse_text, EntryProblem};
use super::{
    list_error, Format, List, Location, Op, PushArgs, MAX_ENTRIES, MAX_SGL_FILE_BYTES,
    MAX_TEXT_FILE_BYTES,
};

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
pub(super) fn read_list(
    path: &Path,
    file: &str,
    format: Format,
    limit: u64,
) -> Result<Vec<u8>, String> {
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
            Err(e) => Err(e.into()),
            Ok(text) if format == Format::Json => parse_json(text),
            Ok(text) => parse_text(text),
        },
    };
    let list = parsed
        .and_then(|entries| check_list(entries, args.op))
        .map_err(|e| list_error(&file, e))?;
    if args.verify {
        if let Some(e) = list
            .entries
            .iter()
            .find(|e| matches!(e.data, Some(Location::Bus(_))))
        {
            return Err(list_error(
                &file,
                EntryProblem::VerifyUnreadable.at(e.origin),
            ));
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
pub(super) fn read_input(path: &Path, args: &PushArgs, list: &List) -> anyhow::Result<Vec<u8>> {
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
