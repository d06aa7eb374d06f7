//! The list parsers (text, JSON, raw NVMe SGL descriptors) and the device-independent
//! checks of a parsed list.

use peerbar::dma::sgl::{self};
use peerbar::dma::wire::{SglDescriptor, SglType};
use serde_json::Value;

use crate::units::{human_bytes, parse_size};

use super::{Entry, List, Location, Op, MAX_ENTRIES, MAX_HOST_BUFFER, MAX_LINE_BYTES};

/// A plain number: decimal or 0x hex, `_` allowed (no units: an address).
pub(super) fn parse_number(text: &str) -> Result<u64, String> {
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
pub(super) fn check_len(value: u64, text: &str) -> Result<u32, String> {
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

pub(super) fn parse_len(text: &str) -> Result<u32, String> {
    let value = parse_size(text).map_err(|e| format!("bad length: {e}"))?;
    check_len(value, text)
}

/// `bar2:+OFFSET`, `host:+OFFSET`, a bus address, or `-` (`None`).
pub(super) fn parse_address(text: &str) -> Result<Option<Location>, String> {
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
pub(super) fn make_entry(
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
pub(super) fn check_room(entries: &[Entry], origin: &str) -> Result<(), String> {
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
