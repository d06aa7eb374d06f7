// SPDX-License-Identifier: MIT OR Apache-2.0
//! The first checks of a freshly programmed board, before the driver opens it: is the function
//! there with the identity the bitstream gives it, did its link train as built, are its BARs
//! the sizes the RTL was built with, and can VFIO take it (IOMMU group, vfio-pci bound)?
//!
//! Each check takes plain facts ([`Identity`], [`LinkState`], [`BarLayout`], a sysfs
//! [`Function`]) and returns a [`Finding`]: passed or not, what was found, and the fix. The facts
//! come from sysfs on a real machine ([`Sysfs::function`], so the checks are tested against
//! fake trees) or from config space (the simulation, or a device already opened).
//! [`bind_vfio_pci`] is the one writer: it binds a function to vfio-pci through sysfs.
//!
//! The identity and BAR layout are those the board build gives the PCIe block
//! (hw/board/common/ip_common.tcl) and the simulation's config space models.

use std::fs;
use std::path::Path;

use crate::config::{ConfigSpace, LinkSpeed, PcieCapability};
use crate::device::vfio::Bdf;
use crate::error::{Error, Result};
use crate::topology::{Function, Iommu, Sysfs};

/// Vendor ID the board build gives the function (Xilinx).
pub const VENDOR_ID: u16 = 0x10ee;
/// Device ID the board build gives the function (the UltraScale+ Gen3 x8 default).
pub const DEVICE_ID: u16 = 0x9038;
/// Class code: memory controller (05h), other (80h), programming interface 00h.
pub const CLASS_CODE: u32 = 0x05_80_00;
/// BAR0 (registers, MSI-X table and PBA) is 64 KiB in every build.
pub const BAR0_BYTES: u64 = 64 << 10;
/// The link every board build configures: 8 GT/s (Gen3), 8 lanes.
pub const BUILT_LINK_GENERATION: u8 = 3;
pub const BUILT_LINK_WIDTH: u8 = 8;

/// The result of one check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub passed: bool,
    /// What was found, in one line.
    pub detail: String,
    /// What to do about it (failed checks only).
    pub fix: Option<String>,
}

impl Finding {
    pub fn pass(detail: impl Into<String>) -> Finding {
        Finding {
            passed: true,
            detail: detail.into(),
            fix: None,
        }
    }

    pub fn fail(detail: impl Into<String>, fix: impl Into<String>) -> Finding {
        Finding {
            passed: false,
            detail: detail.into(),
            fix: Some(fix.into()),
        }
    }
}

/// IDs and class of a function (`None` where they could not be read).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Identity {
    pub vendor_id: Option<u16>,
    pub device_id: Option<u16>,
    pub class_code: Option<u32>,
}

impl Identity {
    pub fn from_sysfs(f: &Function) -> Identity {
        Identity {
            vendor_id: f.vendor_id,
            device_id: f.device_id,
            class_code: f.class,
        }
    }

    pub fn from_config(dev: &(impl ConfigSpace + ?Sized)) -> Result<Identity> {
        let id = crate::config::identity(dev)?;
        Ok(Identity {
            vendor_id: Some(id.vendor_id),
            device_id: Some(id.device_id),
            class_code: Some(id.class_code),
        })
    }
}

fn show<T>(value: Option<T>, width: usize) -> String
where
    T: std::fmt::UpperHex,
{
    value.map_or_else(|| "?".repeat(width), |v| format!("{v:0width$X}"))
}

/// The function is the one the bitstream builds: 10EE:9038, class 058000h.
pub fn check_identity(found: &Identity) -> Finding {
    let text = format!(
        "{}:{} class {}h",
        show(found.vendor_id, 4),
        show(found.device_id, 4),
        show(found.class_code, 6)
    );
    let expected = (Some(VENDOR_ID), Some(DEVICE_ID), Some(CLASS_CODE));
    if (found.vendor_id, found.device_id, found.class_code) == expected {
        return Finding::pass(text);
    }
    Finding::fail(
        format!(
            "{text}, expected {VENDOR_ID:04X}:{DEVICE_ID:04X} class {CLASS_CODE:06X}h: not a peerbar endpoint"
        ),
        "check --device names the board (lspci -d 10ee:); if the board's function shows other \
         IDs, it runs another bitstream: program the peerbar one (docs/bringup.md), then reboot \
         or rescan (echo 1 > /sys/bus/pci/rescan)",
    )
}

/// Negotiated and maximum link speed (GT/s) and width.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LinkState {
    pub speed_gts: Option<f64>,
    pub width: Option<u8>,
    pub max_speed_gts: Option<f64>,
    pub max_width: Option<u8>,
}

/// Parses a sysfs link speed (`8.0 GT/s PCIe`, `2.5 GT/s`) into GT/s; `None` for `Unknown`.
pub(crate) fn parse_sysfs_speed(text: &str) -> Option<f64> {
    text.split_whitespace().next()?.parse().ok()
}

impl LinkState {
    pub fn from_sysfs(f: &Function) -> LinkState {
        LinkState {
            speed_gts: f.link.speed.as_deref().and_then(parse_sysfs_speed),
            width: f.link.width,
            max_speed_gts: f.link.max_speed.as_deref().and_then(parse_sysfs_speed),
            max_width: f.link.max_width,
        }
    }

    /// From the PCI Express capability's Link Status and Link Capabilities.
    pub fn from_pcie(p: &PcieCapability) -> LinkState {
        LinkState {
            speed_gts: p.link_speed.gt_per_s(),
            width: Some(p.link_width),
            max_speed_gts: p.max_link_speed.gt_per_s(),
            max_width: Some(p.max_link_width),
        }
    }
}

/// GT/s of a PCIe generation (1..=6).
pub(crate) fn generation_speed(generation: u8) -> Option<f64> {
    LinkSpeed::from_code(generation).gt_per_s()
}

fn link_text(speed: Option<f64>, width: Option<u8>) -> String {
    let speed = speed.map_or_else(|| "unknown speed".to_owned(), |s| format!("{s:.1} GT/s"));
    let width = width.map_or_else(|| "x?".to_owned(), |w| format!("x{w}"));
    format!("{speed} {width}")
}

/// The link trained at `generation` and `width` or better.
pub fn check_link(found: &LinkState, generation: u8, width: u8) -> Finding {
    let Some(want_speed) = generation_speed(generation) else {
        return Finding::fail(
            format!("Gen{generation} is not a PCIe generation this tool knows"),
            "give --link-gen 1..=6",
        );
    };
    let current = link_text(found.speed_gts, found.width);
    let max = link_text(found.max_speed_gts, found.max_width);
    let detail =
        format!("trained {current} (endpoint supports {max}), expected Gen{generation} x{width}");
    if found.width.is_none() && found.speed_gts.is_none() {
        return Finding::fail(
            format!("{detail}: no link state (sysfs current_link_speed/width absent)"),
            "the function is not PCI Express or the kernel is too old to show its link: check \
             lspci -vv (LnkSta)",
        );
    }
    if found.width == Some(0) || found.speed_gts.is_none() {
        return Finding::fail(
            format!("{detail}: the link is down"),
            "the board's link did not train: check that the bitstream is loaded (DONE LED), \
             that the board sits fully in the slot and gets its reference clock, then reboot \
             or rescan (echo 1 > /sys/bus/pci/rescan)",
        );
    }
    let speed_ok = found.speed_gts.is_some_and(|s| s + 1e-9 >= want_speed);
    let width_ok = found.width.is_some_and(|w| w >= width);
    if speed_ok && width_ok {
        return Finding::pass(detail);
    }
    let built_lower = found.max_speed_gts.is_some_and(|s| s + 1e-9 < want_speed)
        || found.max_width.is_some_and(|w| w < width);
    let fix = if built_lower {
        format!(
            "the endpoint itself offers only {max}: the bitstream's PCIe block was built for \
             less than Gen{generation} x{width}; rebuild with the board's flow (make -C \
             hw/board/<board>), or pass --link-gen/--link-width if that is intended"
        )
    } else {
        format!(
            "the link trained below what both ends support (downtrained to {current}): seat \
             the board fully, use a slot wired for x{width} at Gen{generation} or faster (many \
             x16 slots are x4 or x8 electrically; see the mainboard manual), check the riser \
             or cable; retrain by rebooting, or by removing and rescanning the function \
             (echo 1 > /sys/bus/pci/devices/<bdf>/remove; echo 1 > /sys/bus/pci/rescan)"
        )
    };
    Finding::fail(detail, fix)
}

/// One memory BAR's size and kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarShape {
    pub bytes: u64,
    pub is_64bit: bool,
    pub prefetchable: bool,
}

/// BAR0 and BAR2 of a function (`None`: absent or not assigned).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BarLayout {
    pub bar0: Option<BarShape>,
    pub bar2: Option<BarShape>,
}

impl BarLayout {
    pub fn from_sysfs(f: &Function) -> BarLayout {
        let shape = |index: u8| {
            f.bars
                .iter()
                .find(|b| b.index == index && !b.is_io())
                .map(|b| BarShape {
                    bytes: b.size,
                    is_64bit: b.is_64bit(),
                    prefetchable: b.is_prefetchable(),
                })
        };
        BarLayout {
            bar0: shape(0),
            bar2: shape(2),
        }
    }

    /// From the Base Address Registers' type bits (config space) and the sizes the device
    /// backend found (`bar_len`).
    pub fn from_config(
        dev: &(impl ConfigSpace + ?Sized),
        bar0_len: Option<u64>,
        bar2_len: Option<u64>,
    ) -> Result<BarLayout> {
        let shape = |index: u16, len: Option<u64>| -> Result<Option<BarShape>> {
            let mut reg = [0u8; 4];
            dev.read_config(0x10 + 4 * index, &mut reg)?;
            let low = u32::from_le_bytes(reg);
            Ok(len.filter(|_| low & 1 == 0).map(|bytes| BarShape {
                bytes,
                is_64bit: (low >> 1) & 0b11 == 0b10,
                prefetchable: low & (1 << 3) != 0,
            }))
        };
        Ok(BarLayout {
            bar0: shape(0, bar0_len)?,
            bar2: shape(2, bar2_len)?,
        })
    }
}

/// A byte count as the board flow names sizes (`64 KiB`, `1 MiB`), exact.
fn size_text(bytes: u64) -> String {
    const UNITS: [(u32, &str); 3] = [(30, "GiB"), (20, "MiB"), (10, "KiB")];
    for (shift, unit) in UNITS {
        if bytes >= 1 << shift && bytes % (1 << shift) == 0 {
            return format!("{} {unit}", bytes >> shift);
        }
    }
    format!("{bytes} bytes")
}

/// BAR0 is 64 KiB 32-bit memory; BAR2 is 64-bit prefetchable memory of a power of two from
/// 4 KiB (Bar2SizeLog2 12..=32), of `bar2_bytes` when given.
pub fn check_bars(found: &BarLayout, bar2_bytes: Option<u64>) -> Finding {
    let describe = |shape: Option<BarShape>| match shape {
        None => "absent".to_owned(),
        Some(s) => format!(
            "{} {}{}",
            size_text(s.bytes),
            if s.is_64bit { "64-bit" } else { "32-bit" },
            if s.prefetchable { " prefetchable" } else { "" }
        ),
    };
    let detail = format!(
        "BAR0 {}, BAR2 {}",
        describe(found.bar0),
        describe(found.bar2)
    );
    let mut problems = Vec::new();
    match found.bar0 {
        Some(b) if b.bytes == BAR0_BYTES => {}
        _ => problems.push(format!("BAR0 must be {}", size_text(BAR0_BYTES))),
    }
    match found.bar2 {
        None => problems.push("BAR2 is missing".to_owned()),
        Some(b) => {
            if !b.is_64bit || !b.prefetchable {
                problems.push("BAR2 must be 64-bit prefetchable".to_owned());
            }
            let log2_ok = b.bytes.is_power_of_two() && (12..=32).contains(&b.bytes.ilog2());
            if !log2_ok {
                problems.push("BAR2 must be a power of two from 4 KiB to 4 GiB".to_owned());
            }
            if let Some(want) = bar2_bytes.filter(|&want| want != b.bytes) {
                problems.push(format!("BAR2 must be {} (--bar2-size)", size_text(want)));
            }
        }
    }
    if problems.is_empty() {
        return Finding::pass(detail);
    }
    let unassigned = found.bar0.is_none() || found.bar2.is_none();
    let mut fix = String::from(
        "the bitstream's PCIe block is configured with other BARs than the RTL: rebuild with the \
         board flow, which sizes BAR2 from the same BAR2_SIZE_LOG2 as the RTL (make -C \
         hw/board/<board> BAR2_SIZE_LOG2=..), and program it",
    );
    if unassigned {
        fix.push_str(
            "; a BAR the device has but the kernel left unassigned (dmesg: \"BAR 2: no space\") \
             needs more MMIO space: enable Above 4G Decoding in the firmware, or boot with \
             pci=realloc",
        );
    }
    Finding::fail(format!("{detail}: {}", problems.join("; ")), fix)
}

/// Linux's IOMMU is on, the function has an IOMMU group, it is bound to vfio-pci, and every
/// other member of its group is one VFIO accepts.
pub fn check_binding(f: &Function, iommu: &Iommu) -> Finding {
    let bdf = f.bdf;
    let Some(group) = f.iommu_group else {
        let why = if iommu.active() {
            "the IOMMU is on but the function has no IOMMU group"
        } else {
            "no IOMMU is active (no /sys/class/iommu units, no IOMMU groups)"
        };
        return Finding::fail(
            format!("{bdf}: {why}"),
            Error::NoIommuGroup { bdf }.to_string(),
        );
    };
    let driver = f.driver.as_deref();
    let others: Vec<String> = f
        .group_peers
        .iter()
        .filter(|m| !m.vfio_compatible)
        .map(|m| format!("{} ({})", m.bdf, m.driver.as_deref().unwrap_or("no driver")))
        .collect();
    let detail = format!(
        "IOMMU group {group} ({} other member(s)), driver {}",
        f.group_peers.len(),
        driver.unwrap_or("none")
    );
    match driver {
        Some("vfio-pci") => {}
        Some(other) => {
            return Finding::fail(
                detail,
                format!(
                    "{}; or run this check again with --bind",
                    Error::NotBoundToVfio {
                        bdf,
                        driver: other.to_owned()
                    }
                ),
            )
        }
        None => {
            return Finding::fail(
                detail,
                format!(
                    "{}; or run this check again with --bind",
                    Error::NoDriver { bdf }
                ),
            )
        }
    }
    if !others.is_empty() {
        return Finding::fail(
            format!(
                "{detail}; group members VFIO does not accept: {}",
                others.join(", ")
            ),
            "VFIO opens a group only when every member is unbound or bound to vfio-pci: bind \
             those functions to vfio-pci too, or move the board to a slot whose IOMMU group it \
             has alone (peerbar topology shows the groups)",
        );
    }
    Finding::pass(detail)
}

/// What [`bind_vfio_pci`] did, in order (each a sentence naming the file and the value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BindReport {
    pub actions: Vec<String>,
    /// The driver bound after the writes.
    pub driver_after: Option<String>,
}

/// Binds `bdf` to vfio-pci through sysfs, the kernel's documented way
/// (Documentation/driver-api/vfio.rst; `driver_override`, Linux 3.16 and later): writes
/// `vfio-pci` to `driver_override`, unbinds the current driver when there is one, and asks the
/// PCI core to probe the function again (`drivers_probe`). Nothing is written when it is bound
/// to vfio-pci already, and nothing when the vfio-pci driver is not loaded (the error says
/// `modprobe vfio-pci`). The report says what was written and which driver is bound after.
pub fn bind_vfio_pci(sysfs: &Sysfs, bdf: Bdf) -> Result<BindReport> {
    let function = sysfs.function(bdf)?;
    if function.driver.as_deref() == Some("vfio-pci") {
        return Ok(BindReport {
            actions: vec![format!("nothing: {bdf} is bound to vfio-pci already")],
            driver_after: function.driver,
        });
    }
    let vfio_driver = sysfs.root().join("bus/pci/drivers/vfio-pci");
    if !vfio_driver.is_dir() {
        return Err(Error::VfioPciNotLoaded { path: vfio_driver });
    }
    let dir = &function.sysfs_path;
    let mut actions = Vec::new();
    write_sysfs(&dir.join("driver_override"), "vfio-pci", &mut actions)?;
    if let Some(driver) = &function.driver {
        write_sysfs(&dir.join("driver/unbind"), &bdf.to_string(), &mut actions)?;
        log::info!("{bdf}: unbound from {driver}");
    }
    write_sysfs(
        &sysfs.root().join("bus/pci/drivers_probe"),
        &bdf.to_string(),
        &mut actions,
    )?;
    let driver_after = sysfs.function(bdf)?.driver;
    Ok(BindReport {
        actions,
        driver_after,
    })
}

fn write_sysfs(path: &Path, value: &str, actions: &mut Vec<String>) -> Result<()> {
    fs::write(path, value).map_err(|source| match source.kind() {
        std::io::ErrorKind::PermissionDenied => Error::PermissionDenied {
            path: path.to_owned(),
            source,
        },
        _ => Error::SysfsWrite {
            path: path.to_owned(),
            value: value.to_owned(),
            source,
        },
    })?;
    actions.push(format!("wrote {value} to {}", path.display()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::CONFIG_SPACE_LEN;
    use crate::topology::tests::{Spec, Tree};

    const FPGA: &[&str] = &["pci0000:00", "0000:00:1c.0", "0000:01:00.0"];
    const RP: &[&str] = &["pci0000:00", "0000:00:1c.0"];

    /// A root port with the board below it, bound to `driver`, in IOMMU group `group`.
    fn board(driver: Option<&str>, group: Option<u32>) -> Tree {
        let tree = Tree::new().with_iommu();
        tree.add(Spec {
            path: RP,
            class: 0x06_04_00,
            port_type: 4,
            acs: None,
            config_len: CONFIG_SPACE_LEN,
            driver: Some("pcieport"),
            group: None,
        })
        .add(Spec {
            path: FPGA,
            class: CLASS_CODE,
            port_type: 0,
            acs: None,
            config_len: CONFIG_SPACE_LEN,
            driver,
            group,
        });
        // The kernel's flags for the built BARs: BAR0 32-bit memory, BAR2 64-bit prefetchable.
        set(
            &tree,
            "resource",
            "0x00000000fe000000 0x00000000fe00ffff 0x0000000000040200\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
             0x000000e000000000 0x000000e0000fffff 0x000000000014220c\n",
        );
        tree
    }

    fn bdf() -> Bdf {
        "0000:01:00.0".parse().unwrap()
    }

    fn function(tree: &Tree) -> Function {
        tree.sysfs().function(bdf()).unwrap()
    }

    /// Replaces one file of the board's sysfs directory.
    fn set(tree: &Tree, name: &str, text: &str) {
        fs::write(
            tree.sysfs()
                .root()
                .join("bus/pci/devices/0000:01:00.0")
                .join(name),
            text,
        )
        .unwrap();
    }

    #[test]
    fn a_good_board_passes_the_sysfs_checks() {
        let tree = board(Some("vfio-pci"), Some(7));
        let f = function(&tree);
        let id = check_identity(&Identity::from_sysfs(&f));
        assert!(id.passed, "{id:?}");
        assert_eq!(id.detail, "10EE:9038 class 058000h");
        let link = check_link(&LinkState::from_sysfs(&f), 3, 8);
        assert!(link.passed, "{link:?}");
        let bars = check_bars(&BarLayout::from_sysfs(&f), Some(1 << 20));
        assert!(bars.passed, "{bars:?}");
        assert_eq!(
            bars.detail,
            "BAR0 64 KiB 32-bit, BAR2 1 MiB 64-bit prefetchable"
        );
        let binding = check_binding(&f, &tree.sysfs().iommu());
        assert!(binding.passed, "{binding:?}");
    }

    #[test]
    fn wrong_ids_fail_with_the_expected_ones() {
        let tree = board(Some("vfio-pci"), Some(7));
        set(&tree, "device", "0x7038\n");
        let finding = check_identity(&Identity::from_sysfs(&function(&tree)));
        assert!(!finding.passed);
        assert!(finding
            .detail
            .starts_with("10EE:7038 class 058000h, expected 10EE:9038"));
        assert!(finding.fix.unwrap().contains("program the peerbar one"));
        set(&tree, "device", "0x9038\n");
        set(&tree, "class", "0x010802\n");
        assert!(!check_identity(&Identity::from_sysfs(&function(&tree))).passed);
    }

    #[test]
    fn a_downtrained_link_fails_and_says_it_is_the_slot() {
        let tree = board(Some("vfio-pci"), Some(7));
        set(&tree, "current_link_speed", "2.5 GT/s PCIe\n");
        set(&tree, "current_link_width", "4\n");
        let finding = check_link(&LinkState::from_sysfs(&function(&tree)), 3, 8);
        assert!(!finding.passed);
        assert_eq!(
            finding.detail,
            "trained 2.5 GT/s x4 (endpoint supports 8.0 GT/s x8), expected Gen3 x8"
        );
        assert!(finding.fix.unwrap().contains("downtrained to 2.5 GT/s x4"));
        // What the user says to expect instead passes.
        assert!(check_link(&LinkState::from_sysfs(&function(&tree)), 1, 4).passed);
    }

    #[test]
    fn an_endpoint_built_for_less_fails_and_says_it_is_the_bitstream() {
        let tree = board(Some("vfio-pci"), Some(7));
        set(&tree, "current_link_width", "4\n");
        set(&tree, "max_link_width", "4\n");
        let finding = check_link(&LinkState::from_sysfs(&function(&tree)), 3, 8);
        assert!(!finding.passed);
        assert!(finding
            .fix
            .unwrap()
            .contains("rebuild with the board's flow"));
    }

    #[test]
    fn a_link_that_is_down_fails() {
        let tree = board(Some("vfio-pci"), Some(7));
        set(&tree, "current_link_speed", "Unknown\n");
        set(&tree, "current_link_width", "0\n");
        let finding = check_link(&LinkState::from_sysfs(&function(&tree)), 3, 8);
        assert!(!finding.passed);
        assert!(finding.detail.ends_with("the link is down"), "{finding:?}");
    }

    #[test]
    fn wrong_bar_sizes_fail() {
        let tree = board(Some("vfio-pci"), Some(7));
        // BAR0 4 KiB, BAR2 1 MiB.
        set(
            &tree,
            "resource",
            "0x00000000fe000000 0x00000000fe000fff 0x0000000000040200\n\
             0x0000000000000000 0x0000000000000000 0x0000000000000000\n\
             0x000000e000000000 0x000000e0000fffff 0x000000000014220c\n",
        );
        let finding = check_bars(&BarLayout::from_sysfs(&function(&tree)), None);
        assert!(!finding.passed);
        assert!(
            finding.detail.contains("BAR0 must be 64 KiB"),
            "{finding:?}"
        );
        // The built BAR0, but BAR2 is not the size the user built.
        let tree = board(Some("vfio-pci"), Some(7));
        let finding = check_bars(&BarLayout::from_sysfs(&function(&tree)), Some(4 << 20));
        assert!(!finding.passed);
        assert!(finding.detail.contains("BAR2 must be 4 MiB (--bar2-size)"));
        // BAR2 unassigned by the kernel.
        set(
            &tree,
            "resource",
            "0x00000000fe000000 0x00000000fe00ffff 0x0000000000040200\n",
        );
        let finding = check_bars(&BarLayout::from_sysfs(&function(&tree)), None);
        assert!(finding.detail.contains("BAR2 is missing"));
        assert!(finding.fix.unwrap().contains("Above 4G Decoding"));
    }

    #[test]
    fn no_iommu_group_fails_with_the_kernel_options() {
        let tree = board(Some("vfio-pci"), None);
        let finding = check_binding(&function(&tree), &tree.sysfs().iommu());
        assert!(!finding.passed);
        assert!(finding.fix.unwrap().contains("intel_iommu=on"));
    }

    #[test]
    fn another_driver_fails_with_the_commands_and_bind_writes_them() {
        let tree = board(Some("xdma"), Some(7));
        let sysfs = tree.sysfs();
        let finding = check_binding(&function(&tree), &sysfs.iommu());
        assert!(!finding.passed);
        assert_eq!(
            finding.detail,
            "IOMMU group 7 (0 other member(s)), driver xdma"
        );
        let fix = finding.fix.unwrap();
        assert!(fix.contains("echo 0000:01:00.0 > /sys/bus/pci/drivers/xdma/unbind"));
        assert!(fix.contains("--bind"));

        // Without the vfio-pci driver loaded, --bind writes nothing and says modprobe.
        let err = bind_vfio_pci(&sysfs, bdf()).unwrap_err();
        assert!(err.to_string().contains("run modprobe vfio-pci"), "{err}");
        let dir = sysfs.root().join("bus/pci/devices/0000:01:00.0");
        assert!(!dir.join("driver_override").exists());

        // The drivers' directories, as the kernel has them (the fake kernel does not rebind).
        fs::create_dir_all(sysfs.root().join("bus/pci/drivers/vfio-pci")).unwrap();
        fs::create_dir_all(sysfs.root().join("bus/pci/drivers/xdma")).unwrap();
        let report = bind_vfio_pci(&sysfs, bdf()).unwrap();
        assert_eq!(
            fs::read_to_string(dir.join("driver_override")).unwrap(),
            "vfio-pci"
        );
        assert_eq!(
            fs::read_to_string(sysfs.root().join("bus/pci/drivers/xdma/unbind")).unwrap(),
            "0000:01:00.0"
        );
        assert_eq!(
            fs::read_to_string(sysfs.root().join("bus/pci/drivers_probe")).unwrap(),
            "0000:01:00.0"
        );
        assert_eq!(report.actions.len(), 3);
        assert!(report.actions[0].starts_with("wrote vfio-pci to "));
        assert!(report.actions[0].ends_with("0000:01:00.0/driver_override"));
        assert!(report.actions[1].ends_with("0000:01:00.0/driver/unbind"));
        assert!(report.actions[2].ends_with("bus/pci/drivers_probe"));
        // The fake tree's driver link is unchanged: the report says what is bound now.
        assert_eq!(report.driver_after.as_deref(), Some("xdma"));
    }

    #[test]
    fn an_unbound_function_is_bound_without_an_unbind() {
        let tree = board(None, Some(7));
        let sysfs = tree.sysfs();
        let finding = check_binding(&function(&tree), &sysfs.iommu());
        assert!(finding.fix.unwrap().contains("not bound to any driver"));
        fs::create_dir_all(sysfs.root().join("bus/pci/drivers/vfio-pci")).unwrap();
        let report = bind_vfio_pci(&sysfs, bdf()).unwrap();
        assert_eq!(report.actions.len(), 2);
        assert!(report.actions[1].ends_with("bus/pci/drivers_probe"));
    }

    #[test]
    fn bound_already_writes_nothing() {
        let tree = board(Some("vfio-pci"), Some(7));
        let sysfs = tree.sysfs();
        let report = bind_vfio_pci(&sysfs, bdf()).unwrap();
        assert_eq!(
            report.actions,
            vec!["nothing: 0000:01:00.0 is bound to vfio-pci already"]
        );
        assert!(!sysfs
            .root()
            .join("bus/pci/devices/0000:01:00.0/driver_override")
            .exists());
    }

    #[test]
    fn a_group_member_on_another_driver_fails() {
        let tree = board(Some("vfio-pci"), Some(7));
        tree.add(Spec {
            path: &["pci0000:00", "0000:00:1c.0", "0000:01:00.1"],
            class: 0x02_00_00,
            port_type: 0,
            acs: None,
            config_len: CONFIG_SPACE_LEN,
            driver: Some("e1000e"),
            group: Some(7),
        });
        let finding = check_binding(&function(&tree), &tree.sysfs().iommu());
        assert!(!finding.passed);
        assert!(
            finding.detail.contains("0000:01:00.1 (e1000e)"),
            "{finding:?}"
        );
    }

    #[test]
    fn sysfs_speeds_parse() {
        assert_eq!(parse_sysfs_speed("8.0 GT/s PCIe"), Some(8.0));
        assert_eq!(parse_sysfs_speed("2.5 GT/s"), Some(2.5));
        assert_eq!(parse_sysfs_speed("Unknown"), None);
    }
}
