// SPDX-License-Identifier: MIT OR Apache-2.0
//! Reading sysfs: the attribute files, the `config` file's capabilities and the canonical
//! device path, each turned into the analysis's types or into why it is unknown.

use std::fs;
use std::io;
use std::path::Path;

use super::{
    Acs, AcsBits, Bar, HostBridge, Probe, CONVENTIONAL_LEN, EXT_CAP_ID_ACS, UNPRIVILEGED_LEN,
};
use crate::config::{self, ConfigBytes, PcieCapability};
use crate::device::vfio::Bdf;
use crate::device::CONFIG_SPACE_LEN;

/// The host bridge and the BDF-named directories below it in a canonical device path.
pub(super) fn parse_device_path(path: &Path) -> (Option<HostBridge>, Vec<Bdf>) {
    let mut host = None;
    let mut chain = Vec::new();
    for component in path.components() {
        let name = component.as_os_str().to_string_lossy();
        if let Some(h) = HostBridge::parse(&name) {
            // A later host bridge (nested platforms) starts the chain again.
            host = Some(h);
            chain.clear();
        } else if host.is_some() {
            if let Ok(bdf) = name.parse::<Bdf>() {
                chain.push(bdf);
            }
        }
    }
    (host, chain)
}

/// Reads `config` and decodes the PCI Express and ACS capabilities, saying why either is
/// unknown when the file is short or unreadable.
pub(super) fn read_config(path: &Path) -> (usize, Probe<PcieCapability>, Probe<Acs>) {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(err) => {
            let reason = format!("{} could not be read: {err}", path.display());
            return (0, Probe::Unknown(reason.clone()), Probe::Unknown(reason));
        }
    };
    let len = bytes.len();
    let snapshot = ConfigBytes(&bytes);
    let pcie = if len < CONVENTIONAL_LEN {
        Probe::Unknown(short_config_reason(path, len))
    } else {
        match config::pcie_capability(&snapshot) {
            Ok(Some(pcie)) => Probe::Found(pcie),
            Ok(None) => Probe::Absent,
            Err(err) => Probe::Unknown(err.to_string()),
        }
    };
    let acs = if len == CONVENTIONAL_LEN && pcie == Probe::Absent {
        // ACS is an extended capability: a conventional PCI function cannot have one.
        Probe::Absent
    } else if len < CONFIG_SPACE_LEN {
        Probe::Unknown(short_config_reason(path, len))
    } else {
        match config::extended_capabilities(&snapshot) {
            Ok(caps) => match caps.iter().find(|c| c.id == EXT_CAP_ID_ACS) {
                Some(cap) => {
                    let at = usize::from(cap.offset) + 4;
                    let reg = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
                    Probe::Found(Acs {
                        offset: cap.offset,
                        capability: AcsBits::from_register(reg(at)),
                        control: AcsBits::from_register(reg(at + 2)),
                    })
                }
                None => Probe::Absent,
            },
            Err(err) => Probe::Unknown(err.to_string()),
        }
    };
    (len, pcie, acs)
}

fn short_config_reason(path: &Path, len: usize) -> String {
    if len <= UNPRIVILEGED_LEN {
        format!(
            "only {len} bytes of {} are readable: the kernel shows the rest of config space \
             only to root (CAP_SYS_ADMIN); run as root",
            path.display()
        )
    } else if len == CONVENTIONAL_LEN {
        format!(
            "{} has 256 bytes: the kernel has no access to extended config space for this \
             function (a conventional PCI function, or no ECAM/MMCONFIG access on this platform)",
            path.display()
        )
    } else {
        format!(
            "{} has only {len} bytes (expected 4096 for a PCI Express function)",
            path.display()
        )
    }
}

/// BARs 0-5 from `resource` (one `start end flags` line each; later lines are the ROM and
/// bridge windows). Unassigned BARs (all zero) are left out.
pub(super) fn read_bars(path: &Path) -> Vec<Bar> {
    let Ok(text) = fs::read_to_string(path) else {
        return Vec::new();
    };
    text.lines()
        .take(6)
        .enumerate()
        .filter_map(|(index, line)| {
            let mut fields = line
                .split_whitespace()
                .map(|f| u64::from_str_radix(f.trim_start_matches("0x"), 16).ok());
            let (start, end, flags) = (fields.next()??, fields.next()??, fields.next()??);
            (end > start).then_some(Bar {
                index: index as u8,
                start,
                size: end - start + 1,
                flags,
            })
        })
        .collect()
}

pub(super) fn read_trimmed(path: &Path) -> Option<String> {
    fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

pub(super) fn read_hex(path: &Path) -> Option<u64> {
    let text = read_trimmed(path)?;
    u64::from_str_radix(text.trim_start_matches("0x"), 16).ok()
}

/// The last component of a symlink's target (`driver` -> `.../drivers/nvme` gives `nvme`).
pub(super) fn link_name(path: &Path) -> Option<String> {
    fs::read_link(path)
        .ok()?
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
}

/// Sorted entry names of a directory; empty when it does not exist or cannot be read.
pub(super) fn dir_names(dir: &Path) -> Vec<String> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Vec::new(),
        Err(err) => {
            log::warn!("cannot list {}: {err}", dir.display());
            return Vec::new();
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}
