// SPDX-License-Identifier: MIT OR Apache-2.0
//! Which VFIO interface opens a device: the VFIO device cdev with iommufd
//! ([`super::iommufd`]) or the legacy group + type-1 container ([`super::vfio`]), and why.
//!
//! [`choose`] is the one place that decides; `peerbar topology` and `peerbar info` print its
//! reason, [`open_set`] follows it. The facts it decides from are read from sysfs by
//! [`VfioFacts::read`] (or by `peerbar topology` from its own sysfs snapshot):
//!
//! - iommufd: `<sysfs>/class/misc/iommu` (the `/dev/iommu` misc device, drivers/iommu/iommufd/main.c);
//! - a function's VFIO device cdev: `<function>/vfio-dev/vfioN/dev` (kernels without
//!   `CONFIG_VFIO_DEVICE_CDEV`, e.g. Debian's 6.1, list `vfio-dev/vfioN` with no `dev`).
//!
//! [`VfioRequest::Auto`] takes iommufd when the kernel offers it and every function to open has
//! a cdev, the legacy container otherwise; [`VfioRequest::Iommufd`] refuses with
//! [`Error::IommufdUnavailable`] naming what is missing; [`VfioRequest::Legacy`] always takes
//! the container.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use crate::address::{BarIndex, BusAddr};
use crate::device::iommufd::IommufdDevice;
use crate::device::vfio::{probe_sysfs, Bdf, SysfsPaths, VfioDevice, VfioOpen};
use crate::device::Device;
use crate::error::{Error, Result};

/// The interface a VFIO device is opened through.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VfioBackend {
    /// `/dev/vfio/vfio` + `/dev/vfio/<group>`, type-1 IOMMU ([`VfioDevice`]).
    Legacy,
    /// `/dev/vfio/devices/vfioN` + `/dev/iommu` ([`IommufdDevice`]).
    Iommufd,
}

impl fmt::Display for VfioBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            VfioBackend::Legacy => "the legacy VFIO container (/dev/vfio/vfio)",
            VfioBackend::Iommufd => "the VFIO device cdev with iommufd (/dev/iommu)",
        })
    }
}

/// What the user asked for (`--vfio auto|legacy|iommufd`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum VfioRequest {
    /// iommufd when the kernel offers it for every function, the legacy container otherwise.
    #[default]
    Auto,
    Legacy,
    Iommufd,
}

impl VfioRequest {
    /// The accepted spellings, in the order help lists them.
    pub const NAMES: [&'static str; 3] = ["auto", "legacy", "iommufd"];
}

impl FromStr for VfioRequest {
    type Err = Error;

    fn from_str(s: &str) -> Result<VfioRequest> {
        match s {
            "auto" => Ok(VfioRequest::Auto),
            "legacy" => Ok(VfioRequest::Legacy),
            "iommufd" => Ok(VfioRequest::Iommufd),
            _ => Err(Error::InvalidVfioRequest {
                value: s.to_owned(),
            }),
        }
    }
}

/// What is missing for the iommufd path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IommufdMissing {
    /// The kernel has no iommufd (`CONFIG_IOMMUFD`): no `/dev/iommu`.
    Iommufd,
    /// The function has no VFIO device cdev (`CONFIG_VFIO_DEVICE_CDEV`, or not bound to vfio-pci).
    Cdev { bdf: Bdf },
}

impl fmt::Display for IommufdMissing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IommufdMissing::Iommufd => write!(
                f,
                "this kernel has no iommufd (no /dev/iommu, no class/misc/iommu in sysfs: CONFIG_IOMMUFD is off)"
            ),
            IommufdMissing::Cdev { bdf } => write!(
                f,
                "{bdf} has no VFIO device cdev (no vfio-dev/vfioN/dev in sysfs: not bound to vfio-pci, or CONFIG_VFIO_DEVICE_CDEV is off)"
            ),
        }
    }
}

/// What [`choose`] decides from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfioFacts {
    /// The kernel offers iommufd.
    pub iommufd: bool,
    /// Each function to open and its cdev name (`vfio3`), if it has one.
    pub cdevs: Vec<(Bdf, Option<String>)>,
}

impl VfioFacts {
    /// Reads the facts for `bdfs` from `paths.sysfs`.
    pub fn read(bdfs: &[Bdf], paths: &SysfsPaths) -> VfioFacts {
        VfioFacts {
            iommufd: paths.sysfs.join("class/misc/iommu").exists(),
            cdevs: bdfs
                .iter()
                .map(|bdf| {
                    let dir = paths.sysfs.join("bus/pci/devices").join(bdf.to_string());
                    (*bdf, vfio_cdev(&dir))
                })
                .collect(),
        }
    }
}

/// The VFIO device cdev of the function whose sysfs directory is `function_dir` (`vfio3`), if
/// the kernel made one (`vfio-dev/vfioN/dev` holds its device number).
pub fn vfio_cdev(function_dir: &Path) -> Option<String> {
    let mut names: Vec<String> = std::fs::read_dir(function_dir.join("vfio-dev"))
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| {
            function_dir
                .join("vfio-dev")
                .join(name)
                .join("dev")
                .exists()
        })
        .collect();
    names.sort();
    names.into_iter().next()
}

/// The decision and its reason, one sentence for `peerbar info` and `peerbar topology`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VfioChoice {
    pub backend: VfioBackend,
    pub reason: String,
}

/// Decides which interface opens the functions in `facts`. See the [module docs](self).
pub fn choose(request: VfioRequest, facts: &VfioFacts) -> Result<VfioChoice> {
    let missing = if facts.iommufd {
        facts
            .cdevs
            .iter()
            .find(|(_, cdev)| cdev.is_none())
            .map(|(bdf, _)| IommufdMissing::Cdev { bdf: *bdf })
    } else {
        Some(IommufdMissing::Iommufd)
    };
    let cdevs = || {
        facts
            .cdevs
            .iter()
            .filter_map(|(bdf, cdev)| {
                cdev.as_ref()
                    .map(|c| format!("{bdf}: /dev/vfio/devices/{c}"))
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Ok(match (request, missing) {
        (VfioRequest::Legacy, _) => VfioChoice {
            backend: VfioBackend::Legacy,
            reason: "--vfio legacy asks for it".to_owned(),
        },
        (VfioRequest::Iommufd, Some(missing)) => {
            return Err(Error::IommufdUnavailable { missing })
        }
        (VfioRequest::Iommufd, None) => VfioChoice {
            backend: VfioBackend::Iommufd,
            reason: format!("--vfio iommufd asks for it ({})", cdevs()),
        },
        (VfioRequest::Auto, None) => VfioChoice {
            backend: VfioBackend::Iommufd,
            reason: format!(
                "the kernel offers iommufd and every function has a VFIO device cdev ({}); --vfio legacy forces the container",
                cdevs()
            ),
        },
        (VfioRequest::Auto, Some(missing)) => VfioChoice {
            backend: VfioBackend::Legacy,
            reason: missing.to_string(),
        },
    })
}

/// A function opened through either interface: what tools need beyond [`Device`].
pub trait VfioFunction: Device {
    /// The function's address.
    fn bdf(&self) -> Bdf;
    /// Its IOMMU group, when sysfs names one.
    fn iommu_group(&self) -> Option<u32>;
    /// The interface it was opened through.
    fn backend(&self) -> VfioBackend;
    /// The IOMMU address space it shares with the others opened with it, for reports
    /// (`VFIO container (groups [5, 6])`, `iommufd IOAS 2`).
    fn address_space(&self) -> String;
    /// Maps all of `bar` into the shared IOMMU address space for peers; from then on
    /// [`Device::bar_bus_addr`] of `bar` is that IOVA. Idempotent.
    fn map_bar_for_peers(&self, bar: BarIndex) -> Result<BusAddr>;
    /// The BAR's address as config space holds it (diagnostics only).
    fn bar_raw_bus_addr(&self, bar: BarIndex) -> Result<BusAddr>;
    /// `self` as a plain [`Device`] (no trait upcasting at this crate's rust-version).
    fn into_device(self: Box<Self>) -> Box<dyn Device>;
    /// `self` as a shared plain [`Device`].
    fn into_arc_device(self: Arc<Self>) -> Arc<dyn Device>;
}

/// Opens every function in `devices` into one IOMMU address space (one VFIO container, or one
/// iommufd and one IOAS), through the interface `request` and the kernel choose. Returns the
/// devices in order and the choice.
pub fn open_set(
    request: VfioRequest,
    devices: &[VfioOpen<'_>],
    paths: &SysfsPaths,
) -> Result<(Vec<Box<dyn VfioFunction>>, VfioChoice)> {
    // The sysfs checks first, so that a missing or wrongly bound device is named as that,
    // whichever interface would open it.
    let bdfs = devices
        .iter()
        .map(|d| probe_sysfs(d.bdf, paths).map(|(bdf, _, _)| bdf))
        .collect::<Result<Vec<_>>>()?;
    let choice = choose(request, &VfioFacts::read(&bdfs, paths))?;
    log::debug!("VFIO through {}: {}", choice.backend, choice.reason);
    let opened: Vec<Box<dyn VfioFunction>> = match choice.backend {
        VfioBackend::Legacy => VfioDevice::open_set_with_paths(devices, paths)?
            .into_iter()
            .map(|d| Box::new(d) as Box<dyn VfioFunction>)
            .collect(),
        VfioBackend::Iommufd => IommufdDevice::open_set(devices, paths)?
            .into_iter()
            .map(|d| Box::new(d) as Box<dyn VfioFunction>)
            .collect(),
    };
    Ok((opened, choice))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bdf(s: &str) -> Bdf {
        s.parse().unwrap()
    }

    fn facts(iommufd: bool, cdevs: &[(&str, Option<&str>)]) -> VfioFacts {
        VfioFacts {
            iommufd,
            cdevs: cdevs
                .iter()
                .map(|(b, c)| (bdf(b), c.map(str::to_owned)))
                .collect(),
        }
    }

    #[test]
    fn requests_parse_and_a_bad_one_names_the_choices() {
        assert_eq!("auto".parse::<VfioRequest>().unwrap(), VfioRequest::Auto);
        assert_eq!(
            "legacy".parse::<VfioRequest>().unwrap(),
            VfioRequest::Legacy
        );
        assert_eq!(
            "iommufd".parse::<VfioRequest>().unwrap(),
            VfioRequest::Iommufd
        );
        let err = "cdev".parse::<VfioRequest>().unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("\"cdev\"") && text.contains("auto, legacy or iommufd"),
            "{text}"
        );
    }

    #[test]
    fn auto_takes_iommufd_only_when_every_function_has_a_cdev() {
        let both = facts(
            true,
            &[
                ("0000:01:00.0", Some("vfio0")),
                ("0000:02:00.0", Some("vfio1")),
            ],
        );
        let c = choose(VfioRequest::Auto, &both).unwrap();
        assert_eq!(c.backend, VfioBackend::Iommufd);
        assert!(c.reason.contains("/dev/vfio/devices/vfio1"), "{}", c.reason);

        let one = facts(
            true,
            &[("0000:01:00.0", Some("vfio0")), ("0000:02:00.0", None)],
        );
        let c = choose(VfioRequest::Auto, &one).unwrap();
        assert_eq!(c.backend, VfioBackend::Legacy);
        assert!(
            c.reason.contains("0000:02:00.0 has no VFIO device cdev"),
            "{}",
            c.reason
        );

        let none = facts(false, &[("0000:01:00.0", Some("vfio0"))]);
        let c = choose(VfioRequest::Auto, &none).unwrap();
        assert_eq!(c.backend, VfioBackend::Legacy);
        assert!(c.reason.contains("no iommufd"), "{}", c.reason);
    }

    #[test]
    fn forced_iommufd_names_what_is_missing() {
        let err = choose(
            VfioRequest::Iommufd,
            &facts(false, &[("0000:01:00.0", None)]),
        )
        .unwrap_err();
        assert!(
            matches!(
                err,
                Error::IommufdUnavailable {
                    missing: IommufdMissing::Iommufd
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("CONFIG_IOMMUFD"), "{err}");
        let err = choose(
            VfioRequest::Iommufd,
            &facts(true, &[("0000:01:00.0", None)]),
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("0000:01:00.0 has no VFIO device cdev"),
            "{err}"
        );
        let ok = choose(
            VfioRequest::Iommufd,
            &facts(true, &[("0000:01:00.0", Some("vfio4"))]),
        );
        assert_eq!(ok.unwrap().backend, VfioBackend::Iommufd);
    }

    #[test]
    fn forced_legacy_is_taken_even_with_iommufd() {
        let c = choose(
            VfioRequest::Legacy,
            &facts(true, &[("0000:01:00.0", Some("vfio0"))]),
        )
        .unwrap();
        assert_eq!(c.backend, VfioBackend::Legacy);
    }

    #[test]
    fn facts_are_read_from_a_fake_sysfs_tree() {
        let root =
            std::env::temp_dir().join(format!("peerbar-backend-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let paths = SysfsPaths {
            sysfs: root.join("sys"),
            dev_vfio: root.join("dev/vfio"),
        };
        let a = paths.sysfs.join("bus/pci/devices/0000:01:00.0");
        let b = paths.sysfs.join("bus/pci/devices/0000:02:00.0");
        // A: a cdev; B: vfio-dev/vfio1 without a device number (a kernel without the cdev).
        std::fs::create_dir_all(a.join("vfio-dev/vfio0")).unwrap();
        std::fs::write(a.join("vfio-dev/vfio0/dev"), "511:0\n").unwrap();
        std::fs::create_dir_all(b.join("vfio-dev/vfio1")).unwrap();
        let bdfs = [bdf("01:00.0"), bdf("02:00.0")];
        let read = VfioFacts::read(&bdfs, &paths);
        assert_eq!(
            read,
            facts(
                false,
                &[("0000:01:00.0", Some("vfio0")), ("0000:02:00.0", None)]
            )
        );
        std::fs::create_dir_all(paths.sysfs.join("class/misc/iommu")).unwrap();
        std::fs::write(b.join("vfio-dev/vfio1/dev"), "511:1\n").unwrap();
        let read = VfioFacts::read(&bdfs, &paths);
        assert_eq!(
            choose(VfioRequest::Auto, &read).unwrap().backend,
            VfioBackend::Iommufd
        );
        std::fs::remove_dir_all(&root).unwrap();
    }
}
