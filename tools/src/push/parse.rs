// SPDX-License-Identifier: MIT OR Apache-2.0
//! The list parsers (text, JSON, raw NVMe SGL descriptors) and the device-independent
//! checks of a parsed list. Their errors are [`ListError`]: where in the file, and what is
//! wrong with which value.

use peerbar::dma::sgl;
use peerbar::dma::wire::{SglDescriptor, SglType};
use serde_json::{Number, Value};

use crate::units::{human_bytes, parse_size};

use super::{Entry, List, Location, Op, MAX_ENTRIES, MAX_HOST_BUFFER, MAX_LINE_BYTES};

/// Where in the list file an entry (or an error) is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A text list's line, counted from 1.
    Line(usize),
    /// A JSON list's `entries[N]`, counted from 0.
    Entry(usize),
    /// An sgl list's descriptor, counted from 0 (at byte 16 N of the file).
    Descriptor(usize),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            Origin::Line(n) => write!(f, "line {n}"),
            Origin::Entry(i) => write!(f, "entries[{i}]"),
            Origin::Descriptor(i) => {
                write!(f, "descriptor {i} (byte {:#x})", i * SglDescriptor::SIZE)
            }
        }
    }
}

/// Why a list file was refused. The messages name the line, entry or descriptor first.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// Something wrong with one entry.
    #[error("{origin}: {problem}")]
    At {
        origin: Origin,
        problem: EntryProblem,
    },
    #[error("not UTF-8 text ({0}); for a binary list use --format sgl")]
    NotUtf8(#[from] std::str::Utf8Error),
    #[error("not valid JSON: {0}")]
    NotJson(#[from] serde_json::Error),
    #[error("expected an object {{\"entries\": [...]}} at the top level")]
    NoEntriesArray,
    #[error(
        "descriptor {}: the file is {bytes} bytes, not a multiple of {}: the last descriptor \
         is cut short ({} bytes)",
        bytes / SglDescriptor::SIZE,
        SglDescriptor::SIZE,
        bytes % SglDescriptor::SIZE
    )]
    CutShort { bytes: usize },
    #[error("the list is empty: nothing to move")]
    Empty,
    #[error(
        "the entries add up to {total} bytes, over the job's 32-bit LENGTH (4 GiB - 1 at most)"
    )]
    TotalOverLength { total: u64 },
    #[error(
        "--bar2-offset {bar2_offset:#x} + the list's {total} bytes ends at {end:#x}, past the \
         end of BAR2 ({bar2_len:#x} bytes)"
    )]
    JobPastBar2 {
        bar2_offset: u64,
        total: u32,
        end: u64,
        bar2_len: u64,
    },
}

/// What is wrong with one entry of the list.
#[derive(Debug, thiserror::Error)]
pub enum EntryProblem {
    #[error("{len} bytes long, over the limit of {MAX_LINE_BYTES} bytes per line")]
    LineTooLong { len: usize },
    #[error("expected `ADDRESS LENGTH [TYPE]`, found {count} field(s): {line:?}")]
    FieldCount { count: usize, line: String },
    #[error(
        "unknown address {text:?}: use a bus address (0x1234_5000 or decimal), bar2:+OFFSET, \
         host:+OFFSET or - (bitbucket)"
    )]
    UnknownAddressKind { text: String },
    #[error("address {text:?}: write {kind}:+OFFSET (e.g. {kind}:+0x1000)")]
    OffsetWithoutPlus { text: String, kind: String },
    /// `reason` is the size parser's message.
    #[error("address {text:?}: bad offset: {reason}")]
    BadOffset { text: String, reason: String },
    #[error(
        "unknown address {text:?} is not a number (use decimal or 0x hex, e.g. 0x1234_5000); \
         other forms: bar2:+OFFSET, host:+OFFSET, - (bitbucket)"
    )]
    NotANumber { text: String },
    /// `reason` is the size parser's message.
    #[error("bad length: {reason}")]
    BadLength { reason: String },
    #[error("length {text}: zero-length entries are not allowed (an entry moves 1 byte at least)")]
    ZeroLength { text: String },
    #[error(
        "length {text} ({value} bytes) is over the limit: an entry is at most 4 GiB - 1 bytes \
         (the descriptor's 32-bit length)"
    )]
    LengthOverLimit { text: String, value: u64 },
    #[error("a data entry needs an address (`-` is for bitbucket entries)")]
    DataWithoutAddress,
    #[error("a bitbucket entry takes `-` as its address (it names no memory)")]
    BitBucketWithAddress,
    #[error("unknown type {ty:?}: use data or bitbucket")]
    UnknownType { ty: String },
    #[error(
        "too many entries: a list holds at most {MAX_ENTRIES} (the engine fetches at most {} \
         descriptors per job, the segments' chain descriptors included); split it into several \
         jobs",
        sgl::DESCRIPTOR_LIMIT
    )]
    TooManyEntries,
    #[error("expected an object {{\"address\", \"length\", \"type\"}}")]
    NotAnObject,
    #[error("unknown field {field:?} (fields: address, length, type)")]
    UnknownField { field: String },
    #[error("type {value} is not a string")]
    TypeNotString { value: Value },
    #[error("no \"address\"")]
    NoAddress,
    #[error("address {value} is not a non-negative integer")]
    AddressNotInteger { value: Number },
    #[error("address {value} is not a string")]
    AddressNotString { value: Value },
    #[error("no \"length\"")]
    NoLength,
    #[error("length {value} is not a non-negative integer")]
    LengthNotInteger { value: Number },
    #[error("length {value} is neither a number nor a string")]
    LengthNotNumberOrString { value: Value },
    #[error("subtype {subtype:X}h: only subtype 0h (address) is supported")]
    Subtype { subtype: u8 },
    #[error(
        "a {ty:?} descriptor (type {:X}h): the file must be a flat list of Data Block (0h) and \
         Bit Bucket (1h) descriptors (the tool builds the segments itself)",
        ty.nibble()
    )]
    NotFlat { ty: SglType },
    #[error(
        "a bitbucket entry in a PUSH (the engine rejects it with status 11h, SGL Descriptor Type \
         Invalid); bit buckets are for PULL only"
    )]
    BitBucketInPush,
    #[error(
        "--verify needs every data entry to be host: or bar2: (this one is a raw bus address the \
         tool cannot read)"
    )]
    VerifyUnreadable,
    #[error(
        "address {address:#x} + {len} bytes goes past the end of the 64-bit bus address space"
    )]
    PastBusEnd { address: u64, len: u32 },
    #[error(
        "host:+{offset:#x} + {len} bytes needs a host buffer of {}, over the {} limit",
        human_bytes(*end),
        human_bytes(MAX_HOST_BUFFER)
    )]
    HostBufferOverLimit { offset: u64, len: u32, end: u64 },
    #[error(
        "bar2:+{offset:#x} + {len} bytes ends at {end:#x}, past the end of BAR2 ({bar2_len:#x} \
         bytes)"
    )]
    PastBar2 {
        offset: u64,
        len: u32,
        end: u64,
        bar2_len: u64,
    },
    #[error(
        "bar2:+{offset:#x}..{end:#x} overlaps the job's own BAR2 range \
         {bar2_offset:#x}..{job_end:#x} (--bar2-offset)"
    )]
    OverlapsJob {
        offset: u64,
        end: u64,
        bar2_offset: u64,
        job_end: u64,
    },
}

impl ListError {
    /// The list file's line the error is about: a text list's line, or where a JSON list's
    /// syntax error is.
    pub fn line(&self) -> Option<u64> {
        match self {
            ListError::At {
                origin: Origin::Line(n),
                ..
            } => u64::try_from(*n).ok(),
            // serde_json says line 0 when the error has no position (then its message names none).
            ListError::NotJson(e) if e.line() > 0 => u64::try_from(e.line()).ok(),
            _ => None,
        }
    }

    /// The list entry the error is about, as the message names it (`entries[2]`,
    /// `descriptor 5`).
    pub fn entry(&self) -> Option<String> {
        match self {
            ListError::At {
                origin: Origin::Entry(i),
                ..
            } => Some(format!("entries[{i}]")),
            ListError::At {
                origin: Origin::Descriptor(i),
                ..
            } => Some(format!("descriptor {i}")),
            ListError::CutShort { bytes } => {
                Some(format!("descriptor {}", bytes / SglDescriptor::SIZE))
            }
            _ => None,
        }
    }
}

impl EntryProblem {
    /// This problem at `origin`.
    pub(super) fn at(self, origin: Origin) -> ListError {
        ListError::At {
            origin,
            problem: self,
        }
    }
}

/// A plain number: decimal or 0x hex, `_` allowed (no units: an address).
fn parse_number(text: &str) -> Option<u64> {
    let t = text.replace('_', "");
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok()
}

/// An entry's length: 1 ..= u32::MAX bytes.
fn check_len(value: u64, text: &str) -> Result<u32, EntryProblem> {
    if value == 0 {
        return Err(EntryProblem::ZeroLength {
            text: text.to_owned(),
        });
    }
    u32::try_from(value).map_err(|_| EntryProblem::LengthOverLimit {
        text: text.to_owned(),
        value,
    })
}

fn parse_len(text: &str) -> Result<u32, EntryProblem> {
    let value = parse_size(text).map_err(|reason| EntryProblem::BadLength { reason })?;
    check_len(value, text)
}

/// `bar2:+OFFSET`, `host:+OFFSET`, a bus address, or `-` (`None`).
fn parse_address(text: &str) -> Result<Option<Location>, EntryProblem> {
    if text == "-" {
        return Ok(None);
    }
    let lower = text.to_ascii_lowercase();
    if let Some((kind, rest)) = lower.split_once(':') {
        let make: fn(u64) -> Location = match kind {
            "bar2" => Location::Bar2,
            "host" => Location::Host,
            _ => {
                return Err(EntryProblem::UnknownAddressKind {
                    text: text.to_owned(),
                })
            }
        };
        let Some(offset) = rest.strip_prefix('+') else {
            return Err(EntryProblem::OffsetWithoutPlus {
                text: text.to_owned(),
                kind: kind.to_owned(),
            });
        };
        let offset = parse_size(offset).map_err(|reason| EntryProblem::BadOffset {
            text: text.to_owned(),
            reason,
        })?;
        return Ok(Some(make(offset)));
    }
    parse_number(text)
        .map(|a| Some(Location::Bus(a)))
        .ok_or_else(|| EntryProblem::NotANumber {
            text: text.to_owned(),
        })
}

/// One entry from its address, length and type texts.
fn make_entry(
    address: Option<Location>,
    len: u32,
    ty: &str,
    origin: Origin,
) -> Result<Entry, ListError> {
    match ty.to_ascii_lowercase().as_str() {
        "data" => match address {
            Some(loc) => Ok(Entry {
                data: Some(loc),
                len,
                origin,
            }),
            None => Err(EntryProblem::DataWithoutAddress.at(origin)),
        },
        "bitbucket" => match address {
            None => Ok(Entry {
                data: None,
                len,
                origin,
            }),
            Some(_) => Err(EntryProblem::BitBucketWithAddress.at(origin)),
        },
        other => Err(EntryProblem::UnknownType {
            ty: other.to_owned(),
        }
        .at(origin)),
    }
}

/// Refuses the entry at `origin` when the list already holds [`MAX_ENTRIES`], so that a huge
/// list is refused as soon as it passes the limit, not after it was all parsed.
fn check_room(entries: &[Entry], origin: Origin) -> Result<(), ListError> {
    if entries.len() < MAX_ENTRIES {
        return Ok(());
    }
    Err(EntryProblem::TooManyEntries.at(origin))
}

/// The text format: `ADDRESS LENGTH [TYPE]` per line.
pub fn parse_text(text: &str) -> Result<Vec<Entry>, ListError> {
    let mut entries = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let origin = Origin::Line(i + 1);
        if raw.len() > MAX_LINE_BYTES {
            return Err(EntryProblem::LineTooLong { len: raw.len() }.at(origin));
        }
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        check_room(&entries, origin)?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        if !(2..=3).contains(&fields.len()) {
            return Err(EntryProblem::FieldCount {
                count: fields.len(),
                line: line.to_owned(),
            }
            .at(origin));
        }
        let address = parse_address(fields[0]).map_err(|e| e.at(origin))?;
        let len = parse_len(fields[1]).map_err(|e| e.at(origin))?;
        let ty = fields.get(2).copied().unwrap_or("data");
        entries.push(make_entry(address, len, ty, origin)?);
    }
    Ok(entries)
}

/// The JSON format: `{"entries": [{"address", "length", "type"}, ...]}`.
pub fn parse_json(text: &str) -> Result<Vec<Entry>, ListError> {
    let doc: Value = serde_json::from_str(text)?;
    let list = doc
        .get("entries")
        .and_then(Value::as_array)
        .ok_or(ListError::NoEntriesArray)?;
    let mut entries = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let origin = Origin::Entry(i);
        check_room(&entries, origin)?;
        let obj = item
            .as_object()
            .ok_or_else(|| EntryProblem::NotAnObject.at(origin))?;
        if let Some(key) = obj
            .keys()
            .find(|k| !matches!(k.as_str(), "address" | "length" | "type"))
        {
            return Err(EntryProblem::UnknownField { field: key.clone() }.at(origin));
        }
        let ty = match obj.get("type") {
            None => "data",
            Some(Value::String(s)) => s.as_str(),
            Some(other) => {
                return Err(EntryProblem::TypeNotString {
                    value: other.clone(),
                }
                .at(origin))
            }
        };
        let address =
            match obj.get("address") {
                None if ty.eq_ignore_ascii_case("bitbucket") => None,
                None => return Err(EntryProblem::NoAddress.at(origin)),
                Some(Value::String(s)) => parse_address(s).map_err(|e| e.at(origin))?,
                Some(Value::Number(n)) => Some(Location::Bus(n.as_u64().ok_or_else(|| {
                    EntryProblem::AddressNotInteger { value: n.clone() }.at(origin)
                })?)),
                Some(other) => {
                    return Err(EntryProblem::AddressNotString {
                        value: other.clone(),
                    }
                    .at(origin))
                }
            };
        let len = match obj.get("length") {
            None => return Err(EntryProblem::NoLength.at(origin)),
            Some(Value::String(s)) => parse_len(s).map_err(|e| e.at(origin))?,
            Some(Value::Number(n)) => {
                let v = n.as_u64().ok_or_else(|| {
                    EntryProblem::LengthNotInteger { value: n.clone() }.at(origin)
                })?;
                check_len(v, &n.to_string()).map_err(|e| e.at(origin))?
            }
            Some(other) => {
                return Err(EntryProblem::LengthNotNumberOrString {
                    value: other.clone(),
                }
                .at(origin))
            }
        };
        entries.push(make_entry(address, len, ty, origin)?);
    }
    Ok(entries)
}

/// The sgl format: a flat list of 16-byte Data Block / Bit Bucket descriptors.
pub fn parse_sgl(bytes: &[u8]) -> Result<Vec<Entry>, ListError> {
    let size = SglDescriptor::SIZE;
    if bytes.len() % size != 0 {
        return Err(ListError::CutShort { bytes: bytes.len() });
    }
    let mut entries = Vec::new();
    for (i, chunk) in bytes.chunks_exact(size).enumerate() {
        let origin = Origin::Descriptor(i);
        check_room(&entries, origin)?;
        let raw: &[u8; 16] = chunk.try_into().expect("chunks of 16 bytes");
        let d = SglDescriptor::from_bytes(raw);
        if d.subtype() != 0 {
            return Err(EntryProblem::Subtype {
                subtype: d.subtype(),
            }
            .at(origin));
        }
        let len =
            check_len(u64::from(d.length()), &d.length().to_string()).map_err(|e| e.at(origin))?;
        let data = match d.sgl_type() {
            SglType::DataBlock => Some(Location::Bus(d.address().get())),
            SglType::BitBucket => None,
            other => return Err(EntryProblem::NotFlat { ty: other }.at(origin)),
        };
        entries.push(Entry { data, len, origin });
    }
    Ok(entries)
}

/// Device-independent checks of a parsed list.
pub fn check_list(entries: Vec<Entry>, op: Op) -> Result<List, ListError> {
    if entries.is_empty() {
        return Err(ListError::Empty);
    }
    let mut total: u64 = 0;
    let mut host_len: u64 = 0;
    for e in &entries {
        match e.data {
            None if op == Op::Push => return Err(EntryProblem::BitBucketInPush.at(e.origin)),
            // The builder refuses it too, but without naming the entry (a device error).
            Some(Location::Bus(address)) if address.checked_add(u64::from(e.len)).is_none() => {
                return Err(EntryProblem::PastBusEnd {
                    address,
                    len: e.len,
                }
                .at(e.origin))
            }
            Some(Location::Host(offset)) => {
                let end = offset.saturating_add(u64::from(e.len));
                if end > MAX_HOST_BUFFER {
                    return Err(EntryProblem::HostBufferOverLimit {
                        offset,
                        len: e.len,
                        end,
                    }
                    .at(e.origin));
                }
                host_len = host_len.max(end);
            }
            _ => {}
        }
        total += u64::from(e.len);
    }
    let total = u32::try_from(total).map_err(|_| ListError::TotalOverLength { total })?;
    Ok(List {
        entries,
        total,
        host_len,
    })
}

/// Checks the job's BAR2 range and every bar2: entry against BAR2's size.
pub fn check_bar2(list: &List, bar2_offset: u64, bar2_len: u64) -> Result<(), ListError> {
    let job_end = bar2_offset.saturating_add(u64::from(list.total));
    if job_end > bar2_len {
        return Err(ListError::JobPastBar2 {
            bar2_offset,
            total: list.total,
            end: job_end,
            bar2_len,
        });
    }
    for e in &list.entries {
        if let Some(Location::Bar2(offset)) = e.data {
            let end = offset.saturating_add(u64::from(e.len));
            if end > bar2_len {
                return Err(EntryProblem::PastBar2 {
                    offset,
                    len: e.len,
                    end,
                    bar2_len,
                }
                .at(e.origin));
            }
            if offset < job_end && bar2_offset < end {
                return Err(EntryProblem::OverlapsJob {
                    offset,
                    end,
                    bar2_offset,
                    job_end,
                }
                .at(e.origin));
            }
        }
    }
    Ok(())
}
