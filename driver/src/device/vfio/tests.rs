// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;
use std::os::unix::fs::symlink;
use std::sync::atomic::{AtomicU32, Ordering};

/// A fake `/sys` + `/dev/vfio` tree in a fresh temporary directory, removed on drop.
struct FakeSysfs {
    root: PathBuf,
}

impl FakeSysfs {
    fn new() -> FakeSysfs {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let root = std::env::temp_dir().join(format!(
            "peerbar-vfio-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(root.join("sys/bus/pci/devices")).unwrap();
        std::fs::create_dir_all(root.join("sys/bus/pci/drivers")).unwrap();
        std::fs::create_dir_all(root.join("sys/kernel/iommu_groups")).unwrap();
        std::fs::create_dir_all(root.join("dev/vfio")).unwrap();
        std::fs::write(root.join("dev/vfio/vfio"), b"").unwrap();
        FakeSysfs { root }
    }

    fn paths(&self) -> SysfsPaths {
        SysfsPaths {
            sysfs: self.root.join("sys"),
            dev_vfio: self.root.join("dev/vfio"),
        }
    }

    /// Adds a device directory, optionally bound to `driver` and in `group`.
    fn add_device(&self, bdf: &str, driver: Option<&str>, group: Option<u32>) {
        let dir = self.root.join("sys/bus/pci/devices").join(bdf);
        std::fs::create_dir_all(&dir).unwrap();
        if let Some(driver) = driver {
            let target = self.root.join("sys/bus/pci/drivers").join(driver);
            std::fs::create_dir_all(&target).unwrap();
            symlink(&target, dir.join("driver")).unwrap();
        }
        if let Some(group) = group {
            let target = self
                .root
                .join("sys/kernel/iommu_groups")
                .join(group.to_string());
            std::fs::create_dir_all(&target).unwrap();
            symlink(&target, dir.join("iommu_group")).unwrap();
            std::fs::write(self.root.join("dev/vfio").join(group.to_string()), b"").unwrap();
        }
    }
}

impl Drop for FakeSysfs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

#[test]
fn bdf_parses_both_forms() {
    let full: Bdf = "0000:01:00.0".parse().unwrap();
    assert_eq!(
        full,
        Bdf {
            domain: 0,
            bus: 1,
            device: 0,
            function: 0
        }
    );
    let short: Bdf = "01:00.0".parse().unwrap();
    assert_eq!(short, full);
    let other: Bdf = "ABCD:Ef:1f.7".parse().unwrap();
    assert_eq!(other.to_string(), "abcd:ef:1f.7");
    assert_eq!(
        " 0000:3b:00.1\n".parse::<Bdf>().unwrap().to_string(),
        "0000:3b:00.1"
    );
}

#[test]
fn bad_bdfs_are_refused() {
    for bad in [
        "",
        "01:00",
        "1:00.0",
        "0000:01:00.8",
        "0000:01:20.0",
        "0000:01:00.00",
        "00000:01:00.0",
        "0000:01:00:00.0",
        "zz:00.0",
        "+1:00.0",
        "0000:01:00.",
    ] {
        let err = bad.parse::<Bdf>().unwrap_err();
        assert!(matches!(err, Error::InvalidBdf { .. }), "{bad:?}: {err}");
    }
}

#[test]
fn probe_accepts_a_vfio_bound_device() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("vfio-pci"), Some(17));
    let loc = probe_with("01:00.0", &fs.paths(), &|_| Ok(())).unwrap();
    assert_eq!(loc.iommu_group, 17);
    assert_eq!(loc.group_path, fs.root.join("dev/vfio/17"));
    assert_eq!(loc.bdf.to_string(), "0000:01:00.0");
    // The real opener works on the fake nodes too (files this test created).
    probe("0000:01:00.0", &fs.paths()).unwrap();
}

#[test]
fn missing_device_is_reported() {
    let fs = FakeSysfs::new();
    let err = probe("0000:02:00.0", &fs.paths()).unwrap_err();
    assert!(
        matches!(&err, Error::DeviceNotFound { bdf, .. } if bdf.to_string() == "0000:02:00.0"),
        "{err}"
    );
}

#[test]
fn device_bound_to_another_driver_is_reported_with_its_name() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("xdma"), Some(3));
    let err = probe("0000:01:00.0", &fs.paths()).unwrap_err();
    assert!(
        matches!(&err, Error::NotBoundToVfio { driver, .. } if driver == "xdma"),
        "{err}"
    );
    assert!(err.to_string().contains("bound to xdma"), "{err}");
}

#[test]
fn unbound_device_is_reported() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", None, Some(3));
    let err = probe("0000:01:00.0", &fs.paths()).unwrap_err();
    assert!(matches!(err, Error::NoDriver { .. }), "{err}");
}

#[test]
fn missing_iommu_group_is_reported() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("vfio-pci"), None);
    let err = probe("0000:01:00.0", &fs.paths()).unwrap_err();
    assert!(matches!(err, Error::NoIommuGroup { .. }), "{err}");
    assert!(err.to_string().contains("intel_iommu=on"), "{err}");
}

#[test]
fn missing_iommu_is_reported_before_the_driver() {
    // IOMMU off: vfio-pci cannot bind, so "bind it to vfio-pci" would be wrong advice.
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", None, None);
    fs.add_device("0000:02:00.0", Some("nvme"), None);
    for bdf in ["0000:01:00.0", "0000:02:00.0"] {
        let err = probe(bdf, &fs.paths()).unwrap_err();
        assert!(matches!(err, Error::NoIommuGroup { .. }), "{bdf}: {err}");
    }
}

#[test]
fn permission_denied_on_the_group_is_reported() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("vfio-pci"), Some(5));
    let group = fs.root.join("dev/vfio/5");
    let deny = |p: &Path| {
        if p == group {
            Err(io::Error::from(io::ErrorKind::PermissionDenied))
        } else {
            Ok(())
        }
    };
    let err = probe_with("0000:01:00.0", &fs.paths(), &deny).unwrap_err();
    assert!(
        matches!(&err, Error::PermissionDenied { path, .. } if *path == group),
        "{err}"
    );
}

#[test]
fn permission_denied_through_the_real_open_when_not_root() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("vfio-pci"), Some(5));
    let group = fs.root.join("dev/vfio/5");
    std::fs::set_permissions(&group, std::fs::Permissions::from_mode(0o000)).unwrap();
    // /proc/self belongs to the effective user; root opens a mode-000 file regardless, and
    // that case is covered by the injected-opener test above.
    let root = std::fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(true);
    let result = probe("0000:01:00.0", &fs.paths());
    if !root {
        assert!(matches!(result, Err(Error::PermissionDenied { .. })));
    }
}

#[test]
fn missing_vfio_node_is_a_vfio_error_naming_the_module() {
    let fs = FakeSysfs::new();
    fs.add_device("0000:01:00.0", Some("vfio-pci"), Some(9));
    std::fs::remove_file(fs.root.join("dev/vfio/9")).unwrap();
    let err = probe("0000:01:00.0", &fs.paths()).unwrap_err();
    assert!(matches!(err, Error::Vfio { .. }), "{err}");
    assert!(err.to_string().contains("modprobe vfio-pci"), "{err}");
}

#[test]
fn container_eperm_names_interrupt_remapping_unless_unsafe_interrupts_are_allowed() {
    let fs = FakeSysfs::new();
    let group = fs.root.join("dev/vfio/5");
    let eperm = || io::Error::from_raw_os_error(1);
    // The module's parameter absent (not loaded) or off: the kernel's documented cause.
    for value in [None, Some("N\n")] {
        let parameters = fs.paths().sysfs.join("module/vfio_iommu_type1/parameters");
        if let Some(value) = value {
            std::fs::create_dir_all(&parameters).unwrap();
            std::fs::write(parameters.join("allow_unsafe_interrupts"), value).unwrap();
        }
        let err = container_permission_error(&[5, 6], &fs.paths(), group.clone(), eperm());
        assert!(
            matches!(&err, Error::NoInterruptRemapping { groups, .. } if groups == &[5, 6]),
            "{value:?}: {err}"
        );
        let text = err.to_string();
        assert!(text.contains("intremap=on"), "{text}");
        assert!(text.contains("allow_unsafe_interrupts"), "{text}");
        assert!(!text.contains("run as root"), "{text}");
    }
    let parameters = fs.paths().sysfs.join("module/vfio_iommu_type1/parameters");
    std::fs::write(parameters.join("allow_unsafe_interrupts"), "Y\n").unwrap();
    let err = container_permission_error(&[5], &fs.paths(), group.clone(), eperm());
    assert!(
        matches!(&err, Error::PermissionDenied { path, .. } if *path == group),
        "{err}"
    );
}

#[test]
fn invalid_bdf_is_checked_before_sysfs() {
    let fs = FakeSysfs::new();
    let err = probe("not-a-bdf", &fs.paths()).unwrap_err();
    assert!(matches!(err, Error::InvalidBdf { .. }), "{err}");
}

#[test]
fn open_error_maps_kinds() {
    let p = Path::new("/dev/vfio/3");
    assert!(matches!(
        open_error(p, io::Error::from_raw_os_error(13)),
        Error::PermissionDenied { .. }
    ));
    let busy = open_error(p, io::Error::from_raw_os_error(16));
    assert!(busy.to_string().contains("in use"), "{busy}");
}
