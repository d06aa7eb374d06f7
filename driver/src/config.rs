// SPDX-License-Identifier: MIT OR Apache-2.0
//! PCI configuration space, parsed through the [`Device`] trait or from a snapshot of its bytes.
//!
//! Every parser reads through [`ConfigSpace`]: every [`Device`] is one, and so is
//! [`ConfigBytes`], config space read from a file such as sysfs's `config` (what
//! `peerbar topology` analyses without opening the device).
//!
//! - [`Identity`]: vendor/device/subsystem IDs, class code, revision;
//! - [`capabilities`] / [`extended_capabilities`]: walks of the capability lists that refuse a
//!   malformed list (a loop, a pointer into the header or past the end) with
//!   [`Error::MalformedCapabilityList`] instead of hanging or reading garbage;
//! - [`PcieCapability`]: Max Payload Size supported/configured, Max Read Request Size, RCB and
//!   link speed/width, all sizes in bytes;
//! - [`MsixCapability`]: table size, table and PBA location, enable and function mask.
//!
//! Offsets and encodings follow the PCI Express Base Specification (7.5.1 header, 7.5.3 PCI
//! Express capability, 7.7.2 MSI-X capability).

use std::fmt;

use crate::address::{BarIndex, BarOffset};
use crate::device::{Device, CONFIG_SPACE_LEN};
use crate::error::{Error, Result};

/// Capability ID of Power Management.
pub const CAP_ID_PM: u8 = 0x01;
/// Capability ID of MSI.
pub const CAP_ID_MSI: u8 = 0x05;
/// Capability ID of the PCI Express capability.
pub(crate) const CAP_ID_PCIE: u8 = 0x10;
/// Capability ID of MSI-X.
pub(crate) const CAP_ID_MSIX: u8 = 0x11;

/// The Command register and its Memory Space / Bus Master enables (PCI Local Bus 3.0, 6.2.2).
const COMMAND: u16 = 0x04;
const COMMAND_MEMORY: u16 = 1 << 1;
const COMMAND_MASTER: u16 = 1 << 2;
const STATUS: u16 = 0x06;
const STATUS_CAP_LIST: u16 = 1 << 4;
const CAP_PTR: u16 = 0x34;
/// First byte after the type 0/1 header: the lowest legal capability offset.
const HEADER_END: u16 = 0x40;
/// End of conventional config space, where the (classic) capability list must end.
const CONVENTIONAL_END: u16 = 0x100;
/// Bytes of the PCI Express capability (version 2) that [`pcie_capability`] reads.
const PCIE_CAP_LEN: u16 = 0x14;
/// Bytes of the MSI-X capability.
const MSIX_CAP_LEN: u16 = 0x0c;

/// Read-only access to config space: all the parsers in this module need.
pub trait ConfigSpace {
    /// Reads `buf.len()` bytes at `offset`.
    fn read_config(&self, offset: u16, buf: &mut [u8]) -> Result<()>;
}

impl<D: Device + ?Sized> ConfigSpace for D {
    fn read_config(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        self.config_read(offset, buf)
    }
}

/// Config space as bytes read earlier. Sysfs hands out fewer than 4096 bytes (64 to a process
/// without CAP_SYS_ADMIN, 256 for a function without extended config space); a read past the
/// end is [`Error::ConfigOutOfRange`], never zeroes, so a parser cannot mistake a short snapshot
/// for an empty capability list.
#[derive(Clone, Copy, Debug)]
pub struct ConfigBytes<'a>(pub &'a [u8]);

impl ConfigSpace for ConfigBytes<'_> {
    fn read_config(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        let start = usize::from(offset);
        let bytes = start
            .checked_add(buf.len())
            .and_then(|end| self.0.get(start..end))
            .ok_or(Error::ConfigOutOfRange {
                offset,
                len: buf.len(),
            })?;
        buf.copy_from_slice(bytes);
        Ok(())
    }
}

fn read16(dev: &(impl ConfigSpace + ?Sized), offset: u16) -> Result<u16> {
    let mut b = [0u8; 2];
    dev.read_config(offset, &mut b)?;
    Ok(u16::from_le_bytes(b))
}

fn read32(dev: &(impl ConfigSpace + ?Sized), offset: u16) -> Result<u32> {
    let mut b = [0u8; 4];
    dev.read_config(offset, &mut b)?;
    Ok(u32::from_le_bytes(b))
}

/// Identification registers of the type 0/1 header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub vendor_id: u16,
    pub device_id: u16,
    pub subsystem_vendor_id: u16,
    pub subsystem_id: u16,
    /// Base class, sub-class and programming interface: `0x058000`.
    pub class_code: u32,
    pub revision: u8,
    /// Header type (bit 7: multi-function).
    pub header_type: u8,
}

/// Reads the identification registers.
/// Sets Memory Space and Bus Master Enable in the Command register, if either is off, and
/// says whether it wrote. A function may not start a DMA with Bus Master Enable off (the hard
/// block holds its requests, PG213 `cfg_function_status`), and nothing sets it for a user-space
/// driver: vfio-pci enables the device but leaves bus mastering to its user, as firmware may
/// leave it off.
pub(crate) fn enable_memory_and_bus_master(dev: &(impl Device + ?Sized)) -> Result<bool> {
    let command = dev.config_read16(COMMAND)?;
    let wanted = command | COMMAND_MEMORY | COMMAND_MASTER;
    if wanted == command {
        return Ok(false);
    }
    dev.config_write(COMMAND, &wanted.to_le_bytes())?;
    Ok(true)
}

pub fn identity(dev: &(impl ConfigSpace + ?Sized)) -> Result<Identity> {
    let mut h = [0u8; 0x30];
    dev.read_config(0, &mut h)?;
    let le16 = |at: usize| u16::from_le_bytes([h[at], h[at + 1]]);
    Ok(Identity {
        vendor_id: le16(0x00),
        device_id: le16(0x02),
        revision: h[0x08],
        class_code: u32::from_le_bytes([h[0x09], h[0x0a], h[0x0b], 0]),
        header_type: h[0x0e],
        subsystem_vendor_id: le16(0x2c),
        subsystem_id: le16(0x2e),
    })
}

/// One entry of a capability list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capability {
    /// Capability ID (`CAP_ID_*`), or the extended capability ID for extended capabilities.
    pub id: u16,
    /// Config space offset of the capability header.
    pub offset: u16,
    /// Extended capabilities only: the capability version.
    pub version: u8,
}

impl Capability {
    /// Short name of a classic capability ID (`"PCIe"`, `"MSI-X"`, ...).
    pub fn name(id: u16) -> &'static str {
        match id {
            0x01 => "Power Management",
            0x05 => "MSI",
            0x09 => "Vendor Specific",
            0x10 => "PCI Express",
            0x11 => "MSI-X",
            0x12 => "SATA",
            0x13 => "Advanced Features",
            _ => "unknown",
        }
    }

    /// Short name of an extended capability ID.
    pub fn extended_name(id: u16) -> &'static str {
        match id {
            0x0001 => "Advanced Error Reporting",
            0x0002 => "Virtual Channel",
            0x0003 => "Device Serial Number",
            0x000b => "Vendor Specific",
            0x000d => "ACS",
            0x000e => "ARI",
            0x0010 => "SR-IOV",
            0x0015 => "Resizable BAR",
            0x0018 => "Latency Tolerance Reporting",
            0x0019 => "Secondary PCI Express",
            0x001e => "L1 PM Substates",
            0x0025 => "Data Link Feature",
            0x0026 => "Physical Layer 16.0 GT/s",
            _ => "unknown",
        }
    }
}

/// What is wrong with a capability list ([`Error::MalformedCapabilityList`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CapabilityListFault {
    #[error("next pointer {next:#x} points into the header (below {HEADER_END:#x})")]
    IntoHeader { next: u16 },
    #[error("next pointer {next:#x} loops back to a capability already visited")]
    Loop { next: u16 },
    #[error("next pointer {next:#x} points at an empty header ({header:#010x})")]
    EmptyHeader { next: u16, header: u32 },
    #[error("next pointer {next:#x} points below extended config space ({CONVENTIONAL_END:#x})")]
    BelowExtended { next: u16 },
    #[error(
        "the {capability} capability ({len} bytes) runs past the end of conventional config space"
    )]
    PastEnd { capability: &'static str, len: u16 },
    #[error("MSI-X {structure} BIR {bir} is reserved (BARs are 0..=5)")]
    ReservedBir { structure: &'static str, bir: u8 },
}

fn malformed(offset: u16, fault: CapabilityListFault) -> Error {
    Error::MalformedCapabilityList { offset, fault }
}

/// Walks the capability list in conventional config space (0x40..0x100).
///
/// Returns an empty list when the Status register says there is none. A pointer into the
/// header (below 0x40) or a loop is [`Error::MalformedCapabilityList`]; the walk visits each of
/// the 48 possible positions at most once, so it always terminates.
pub fn capabilities(dev: &(impl ConfigSpace + ?Sized)) -> Result<Vec<Capability>> {
    let mut caps = Vec::new();
    if read16(dev, STATUS)? & STATUS_CAP_LIST == 0 {
        return Ok(caps);
    }
    let mut visited = [false; (CONVENTIONAL_END / 4) as usize];
    let mut from = CAP_PTR;
    let mut ptr = read8(dev, CAP_PTR)? & 0xfc;
    while ptr != 0 {
        let at = u16::from(ptr);
        if at < HEADER_END {
            return Err(malformed(
                from,
                CapabilityListFault::IntoHeader { next: at },
            ));
        }
        let slot = &mut visited[usize::from(at / 4)];
        if *slot {
            return Err(malformed(from, CapabilityListFault::Loop { next: at }));
        }
        *slot = true;
        let mut header = [0u8; 2];
        dev.read_config(at, &mut header)?;
        caps.push(Capability {
            id: u16::from(header[0]),
            offset: at,
            version: 0,
        });
        from = at + 1;
        ptr = header[1] & 0xfc;
    }
    Ok(caps)
}

/// Walks the extended capability list (0x100..0x1000).
///
/// A device without extended config space (all zeroes or all ones at 0x100) has none. A next
/// pointer below 0x100, past the end, or looping is [`Error::MalformedCapabilityList`].
pub fn extended_capabilities(dev: &(impl ConfigSpace + ?Sized)) -> Result<Vec<Capability>> {
    let mut caps = Vec::new();
    let mut visited = vec![false; CONFIG_SPACE_LEN / 4];
    let mut from = CONVENTIONAL_END;
    let mut at = CONVENTIONAL_END;
    loop {
        let header = read32(dev, at)?;
        if header == 0 || header == u32::MAX {
            if at == CONVENTIONAL_END {
                return Ok(caps);
            }
            return Err(malformed(
                from,
                CapabilityListFault::EmptyHeader { next: at, header },
            ));
        }
        let slot = &mut visited[usize::from(at / 4)];
        if *slot {
            return Err(malformed(from, CapabilityListFault::Loop { next: at }));
        }
        *slot = true;
        caps.push(Capability {
            id: (header & 0xffff) as u16,
            offset: at,
            version: ((header >> 16) & 0xf) as u8,
        });
        let next = (header >> 20) as u16 & 0xffc;
        if next == 0 {
            return Ok(caps);
        }
        if next < CONVENTIONAL_END {
            return Err(malformed(at, CapabilityListFault::BelowExtended { next }));
        }
        from = at;
        at = next;
    }
}

/// Offset of the first capability with `id` in the classic list, if any.
pub(crate) fn find_capability(dev: &(impl ConfigSpace + ?Sized), id: u8) -> Result<Option<u16>> {
    Ok(capabilities(dev)?
        .into_iter()
        .find(|c| c.id == u16::from(id))
        .map(|c| c.offset))
}

fn read8(dev: &(impl ConfigSpace + ?Sized), offset: u16) -> Result<u8> {
    let mut b = [0u8; 1];
    dev.read_config(offset, &mut b)?;
    Ok(b[0])
}

/// Checks that a capability of `len` bytes at `offset` fits in conventional config space.
fn check_fits(offset: u16, len: u16, capability: &'static str) -> Result<()> {
    if offset + len > CONVENTIONAL_END {
        return Err(malformed(
            offset,
            CapabilityListFault::PastEnd { capability, len },
        ));
    }
    Ok(())
}

/// Size encoding of Max_Payload_Size / Max_Read_Request_Size fields: 0 = 128 B .. 5 = 4096 B;
/// 6 and 7 are reserved (`None`).
pub(crate) const fn decode_size(code: u32) -> Option<u32> {
    if code <= 5 {
        Some(128 << code)
    } else {
        None
    }
}

/// A PCIe link speed, as encoded in Link Capabilities / Link Status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkSpeed {
    Gt2_5,
    Gt5,
    Gt8,
    Gt16,
    Gt32,
    Gt64,
    /// An encoding this driver does not know (0 when the link is down on some devices).
    Unknown(u8),
}

impl LinkSpeed {
    pub(crate) const fn from_code(code: u8) -> LinkSpeed {
        match code {
            1 => LinkSpeed::Gt2_5,
            2 => LinkSpeed::Gt5,
            3 => LinkSpeed::Gt8,
            4 => LinkSpeed::Gt16,
            5 => LinkSpeed::Gt32,
            6 => LinkSpeed::Gt64,
            other => LinkSpeed::Unknown(other),
        }
    }

    /// Gigatransfers per second, `None` for an unknown encoding.
    pub fn gt_per_s(self) -> Option<f64> {
        match self {
            LinkSpeed::Gt2_5 => Some(2.5),
            LinkSpeed::Gt5 => Some(5.0),
            LinkSpeed::Gt8 => Some(8.0),
            LinkSpeed::Gt16 => Some(16.0),
            LinkSpeed::Gt32 => Some(32.0),
            LinkSpeed::Gt64 => Some(64.0),
            LinkSpeed::Unknown(_) => None,
        }
    }

    /// The PCIe generation (1 for 2.5 GT/s ...), `None` for an unknown encoding.
    pub fn generation(self) -> Option<u8> {
        match self {
            LinkSpeed::Unknown(_) => None,
            known => Some(match known {
                LinkSpeed::Gt2_5 => 1,
                LinkSpeed::Gt5 => 2,
                LinkSpeed::Gt8 => 3,
                LinkSpeed::Gt16 => 4,
                LinkSpeed::Gt32 => 5,
                _ => 6,
            }),
        }
    }
}

impl fmt::Display for LinkSpeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self, self.gt_per_s()) {
            (_, Some(gt)) => write!(f, "{gt:.1} GT/s"),
            (LinkSpeed::Unknown(code), None) => write!(f, "unknown speed ({code:#x})"),
            (_, None) => f.write_str("unknown speed"),
        }
    }
}

/// The PCI Express capability, decoded. Sizes are in bytes; `None` for a reserved encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PcieCapability {
    /// Config offset of the capability.
    pub offset: u16,
    /// Capability version (PCI Express Capabilities register, bits 3:0).
    pub version: u8,
    /// Device/port type (bits 7:4; 0 = PCI Express endpoint).
    pub device_type: u8,
    /// Device Capabilities: Max_Payload_Size Supported.
    pub max_payload_supported: Option<u32>,
    /// Device Control: Max_Payload_Size the host configured (MPS).
    pub max_payload: Option<u32>,
    /// Device Control: Max_Read_Request_Size (MRRS).
    pub max_read_request: Option<u32>,
    /// Device Control: Extended Tag Field Enable (the function may use 8-bit tags).
    pub extended_tags: bool,
    /// Link Control: Read Completion Boundary, 64 or 128 bytes.
    pub read_completion_boundary: u32,
    /// Link Capabilities: maximum link speed and width.
    pub max_link_speed: LinkSpeed,
    pub max_link_width: u8,
    /// Link Status: current (negotiated) link speed and width.
    pub link_speed: LinkSpeed,
    pub link_width: u8,
}

/// Finds and decodes the PCI Express capability (`None` when the device has none).
pub fn pcie_capability(dev: &(impl ConfigSpace + ?Sized)) -> Result<Option<PcieCapability>> {
    let Some(offset) = find_capability(dev, CAP_ID_PCIE)? else {
        return Ok(None);
    };
    check_fits(offset, PCIE_CAP_LEN, "PCI Express")?;
    let mut c = [0u8; PCIE_CAP_LEN as usize];
    dev.read_config(offset, &mut c)?;
    let le16 = |at: usize| u32::from(u16::from_le_bytes([c[at], c[at + 1]]));
    let le32 = |at: usize| u32::from_le_bytes([c[at], c[at + 1], c[at + 2], c[at + 3]]);
    let pcie_caps = le16(0x02);
    let dev_caps = le32(0x04);
    let dev_ctl = le16(0x08);
    let link_caps = le32(0x0c);
    let link_ctl = le16(0x10);
    let link_status = le16(0x12);
    Ok(Some(PcieCapability {
        offset,
        version: (pcie_caps & 0xf) as u8,
        device_type: ((pcie_caps >> 4) & 0xf) as u8,
        max_payload_supported: decode_size(dev_caps & 0x7),
        max_payload: decode_size((dev_ctl >> 5) & 0x7),
        max_read_request: decode_size((dev_ctl >> 12) & 0x7),
        extended_tags: dev_ctl & (1 << 8) != 0,
        read_completion_boundary: if link_ctl & (1 << 3) != 0 { 128 } else { 64 },
        max_link_speed: LinkSpeed::from_code((link_caps & 0xf) as u8),
        max_link_width: ((link_caps >> 4) & 0x3f) as u8,
        link_speed: LinkSpeed::from_code((link_status & 0xf) as u8),
        link_width: ((link_status >> 4) & 0x3f) as u8,
    }))
}

/// The MSI-X capability, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsixCapability {
    /// Config offset of the capability.
    pub offset: u16,
    /// Number of table entries (vectors).
    pub table_size: u16,
    pub table_bar: BarIndex,
    pub table_offset: BarOffset,
    pub pba_bar: BarIndex,
    pub pba_offset: BarOffset,
    /// Message Control: MSI-X Enable.
    pub enabled: bool,
    /// Message Control: Function Mask.
    pub function_mask: bool,
}

/// Finds and decodes the MSI-X capability (`None` when the device has none).
pub fn msix_capability(dev: &(impl ConfigSpace + ?Sized)) -> Result<Option<MsixCapability>> {
    let Some(offset) = find_capability(dev, CAP_ID_MSIX)? else {
        return Ok(None);
    };
    check_fits(offset, MSIX_CAP_LEN, "MSI-X")?;
    let mut c = [0u8; MSIX_CAP_LEN as usize];
    dev.read_config(offset, &mut c)?;
    let control = u16::from_le_bytes([c[2], c[3]]);
    let table = u32::from_le_bytes([c[4], c[5], c[6], c[7]]);
    let pba = u32::from_le_bytes([c[8], c[9], c[10], c[11]]);
    let bir = |reg: u32, structure: &'static str| {
        let bir = (reg & 0x7) as u8;
        BarIndex::new(bir)
            .ok_or_else(|| malformed(offset, CapabilityListFault::ReservedBir { structure, bir }))
    };
    Ok(Some(MsixCapability {
        offset,
        table_size: (control & 0x7ff) + 1,
        table_bar: bir(table, "table")?,
        table_offset: BarOffset::new(u64::from(table & !0x7)),
        pba_bar: bir(pba, "PBA")?,
        pba_offset: BarOffset::new(u64::from(pba & !0x7)),
        enabled: control & (1 << 15) != 0,
        function_mask: control & (1 << 14) != 0,
    }))
}

/// Everything [`identity`], [`capabilities`], [`pcie_capability`] and [`msix_capability`]
/// return, read in one go.
#[derive(Clone, Debug, PartialEq)]
pub struct ConfigSummary {
    pub identity: Identity,
    pub capabilities: Vec<Capability>,
    pub pcie: Option<PcieCapability>,
    pub msix: Option<MsixCapability>,
}

/// Reads and decodes the parts of config space peerbar cares about.
pub fn summary(dev: &(impl ConfigSpace + ?Sized)) -> Result<ConfigSummary> {
    Ok(ConfigSummary {
        identity: identity(dev)?,
        capabilities: capabilities(dev)?,
        pcie: pcie_capability(dev)?,
        msix: msix_capability(dev)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::{FakeDevice, FAKE_CAP_MSIX, FAKE_CAP_PCIE, FAKE_DEVICE_ID};
    use crate::regs;

    fn fake() -> FakeDevice {
        FakeDevice::peerbar_endpoint(1 << 20)
    }

    #[test]
    fn identity_is_decoded() {
        let id = identity(&fake()).unwrap();
        assert_eq!(id.vendor_id, 0x10ee);
        assert_eq!(id.device_id, FAKE_DEVICE_ID);
        assert_eq!(id.subsystem_vendor_id, 0x10ee);
        assert_eq!(id.subsystem_id, 0x0007);
        assert_eq!(id.class_code, 0x05_80_00);
        assert_eq!(id.revision, 0);
    }

    #[test]
    fn capability_list_is_walked() {
        let caps = capabilities(&fake()).unwrap();
        let ids: Vec<(u16, u16)> = caps.iter().map(|c| (c.id, c.offset)).collect();
        assert_eq!(ids, vec![(0x11, FAKE_CAP_MSIX), (0x10, FAKE_CAP_PCIE)]);
        assert_eq!(Capability::name(0x11), "MSI-X");
    }

    #[test]
    fn no_capability_list_when_status_bit_clear() {
        let dev = fake();
        dev.poke_config(STATUS, &[0, 0]);
        assert!(capabilities(&dev).unwrap().is_empty());
        assert_eq!(pcie_capability(&dev).unwrap(), None);
    }

    #[test]
    fn capability_loop_is_an_error_not_a_hang() {
        let dev = fake();
        // PCIe capability points back to MSI-X.
        dev.poke_config(FAKE_CAP_PCIE + 1, &[FAKE_CAP_MSIX as u8]);
        let err = capabilities(&dev).unwrap_err();
        assert!(
            matches!(err, Error::MalformedCapabilityList { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("loops"), "{err}");
        // A capability pointing at itself.
        dev.poke_config(FAKE_CAP_MSIX + 1, &[FAKE_CAP_MSIX as u8]);
        assert!(capabilities(&dev).is_err());
    }

    #[test]
    fn pointer_into_header_is_an_error() {
        let dev = fake();
        dev.poke_config(CAP_PTR, &[0x20]);
        let err = capabilities(&dev).unwrap_err();
        assert!(
            matches!(err, Error::MalformedCapabilityList { offset: 0x34, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("header"), "{err}");
    }

    #[test]
    fn all_ones_config_space_is_an_error_not_a_hang() {
        // What a surprise-removed device reads as.
        let dev = fake();
        dev.poke_config(0, &[0xff; 256]);
        assert!(matches!(
            capabilities(&dev),
            Err(Error::MalformedCapabilityList { .. })
        ));
    }

    #[test]
    fn capability_past_the_end_is_an_error() {
        let dev = fake();
        dev.poke_config(FAKE_CAP_PCIE + 1, &[0xf8]);
        dev.poke_config(0xf8, &[CAP_ID_PCIE, 0]);
        dev.poke_config(FAKE_CAP_MSIX + 1, &[0xf8]);
        let err = pcie_capability(&dev).unwrap_err();
        assert!(err.to_string().contains("runs past"), "{err}");
    }

    #[test]
    fn pcie_capability_is_decoded_in_bytes() {
        let pcie = pcie_capability(&fake()).unwrap().unwrap();
        assert_eq!(pcie.offset, FAKE_CAP_PCIE);
        assert_eq!(pcie.version, 2);
        assert_eq!(pcie.device_type, 0);
        assert_eq!(pcie.max_payload_supported, Some(1024));
        assert_eq!(pcie.max_payload, Some(256));
        assert_eq!(pcie.max_read_request, Some(512));
        assert_eq!(pcie.read_completion_boundary, 64);
        assert_eq!(pcie.link_speed, LinkSpeed::Gt8);
        assert_eq!(pcie.link_speed.to_string(), "8.0 GT/s");
        assert_eq!(pcie.link_width, 8);
        assert_eq!(pcie.max_link_width, 8);
    }

    #[test]
    fn reserved_size_encodings_are_none() {
        let dev = fake();
        // MPS = 7 (reserved), MRRS = 5 (4096 B), RCB 128.
        dev.poke_config(FAKE_CAP_PCIE + 8, &((7u16 << 5) | (5 << 12)).to_le_bytes());
        dev.poke_config(FAKE_CAP_PCIE + 0x10, &[1 << 3, 0]);
        let pcie = pcie_capability(&dev).unwrap().unwrap();
        assert_eq!(pcie.max_payload, None);
        assert_eq!(pcie.max_read_request, Some(4096));
        assert_eq!(pcie.read_completion_boundary, 128);
        assert_eq!(decode_size(0), Some(128));
        assert_eq!(decode_size(6), None);
    }

    #[test]
    fn msix_capability_is_decoded() {
        let dev = fake();
        let msix = msix_capability(&dev).unwrap().unwrap();
        assert_eq!(msix.table_size, 8);
        assert_eq!(msix.table_bar, BarIndex::BAR0);
        assert_eq!(msix.table_offset, BarOffset::new(regs::MSIX_TABLE_BASE));
        assert_eq!(msix.pba_bar, BarIndex::BAR0);
        assert_eq!(msix.pba_offset, regs::MSIX_PBA_REG.bar_offset());
        assert!(!msix.enabled);
        dev.poke_config(FAKE_CAP_MSIX + 2, &(0x8000u16 | 0x7ff).to_le_bytes());
        dev.poke_config(FAKE_CAP_MSIX + 8, &0x0001_0002u32.to_le_bytes());
        let msix = msix_capability(&dev).unwrap().unwrap();
        assert!(msix.enabled);
        assert_eq!(msix.table_size, 2048);
        assert_eq!(msix.pba_bar, BarIndex::BAR2);
        assert_eq!(msix.pba_offset, BarOffset::new(0x1_0000));
        dev.poke_config(FAKE_CAP_MSIX + 4, &7u32.to_le_bytes());
        assert!(msix_capability(&dev).is_err());
    }

    #[test]
    fn extended_capabilities_are_walked_with_loop_detection() {
        let dev = fake();
        assert!(extended_capabilities(&dev).unwrap().is_empty());
        // AER v2 at 0x100 -> DSN v1 at 0x140 -> end.
        dev.poke_config(
            0x100,
            &(0x0001u32 | (2 << 16) | (0x140 << 20)).to_le_bytes(),
        );
        dev.poke_config(0x140, &(0x0003u32 | (1 << 16)).to_le_bytes());
        let caps = extended_capabilities(&dev).unwrap();
        assert_eq!(
            caps.iter()
                .map(|c| (c.id, c.offset, c.version))
                .collect::<Vec<_>>(),
            vec![(1, 0x100, 2), (3, 0x140, 1)]
        );
        // DSN points back to AER.
        dev.poke_config(
            0x140,
            &(0x0003u32 | (1 << 16) | (0x100 << 20)).to_le_bytes(),
        );
        assert!(extended_capabilities(&dev).is_err());
        // Pointer below 0x100.
        dev.poke_config(0x140, &(0x0003u32 | (1 << 16) | (0x40 << 20)).to_le_bytes());
        assert!(extended_capabilities(&dev).is_err());
    }

    #[test]
    fn summary_reads_everything() {
        let s = summary(&fake()).unwrap();
        assert_eq!(s.capabilities.len(), 2);
        assert!(s.pcie.is_some() && s.msix.is_some());
    }

    #[test]
    fn a_byte_snapshot_parses_like_the_device_and_a_short_one_is_an_error() {
        let dev = fake();
        let mut bytes = vec![0u8; 256];
        dev.config_read(0, &mut bytes).unwrap();
        let snapshot = ConfigBytes(&bytes);
        assert_eq!(identity(&snapshot).unwrap(), identity(&dev).unwrap());
        assert_eq!(
            pcie_capability(&snapshot).unwrap(),
            pcie_capability(&dev).unwrap()
        );
        // What an unprivileged read of sysfs `config` returns: the header only.
        let header = ConfigBytes(&bytes[..64]);
        assert_eq!(identity(&header).unwrap(), identity(&dev).unwrap());
        assert!(matches!(
            capabilities(&header),
            Err(Error::ConfigOutOfRange { offset: 0x60, .. })
        ));
        // 256 bytes: no extended config space to walk.
        assert!(extended_capabilities(&snapshot).is_err());
    }
}
