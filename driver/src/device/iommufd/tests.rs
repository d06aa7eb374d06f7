// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;
use std::path::PathBuf;

#[test]
fn ioctl_numbers_match_the_uapi_headers() {
    // _IO(';', 100 + n) of include/uapi/linux/vfio.h; _IO(';', 0x80 + n) of iommufd.h.
    assert_eq!(VFIO_DEVICE_GET_REGION_INFO, 0x3b6c);
    assert_eq!(VFIO_DEVICE_SET_IRQS, 0x3b6e);
    assert_eq!(VFIO_DEVICE_RESET, 0x3b6f);
    assert_eq!(VFIO_DEVICE_FEATURE, 0x3b75);
    assert_eq!(VFIO_DEVICE_BIND_IOMMUFD, 0x3b76);
    assert_eq!(VFIO_DEVICE_ATTACH_IOMMUFD_PT, 0x3b77);
    assert_eq!(IOMMU_IOAS_ALLOC, 0x3b81);
    assert_eq!(IOMMU_IOAS_IOVA_RANGES, 0x3b84);
    assert_eq!(IOMMU_IOAS_MAP, 0x3b85);
    assert_eq!(IOMMU_IOAS_UNMAP, 0x3b86);
    assert_eq!(IOMMU_IOAS_MAP_FILE, 0x3b8f);
}

#[test]
fn only_writes_covering_the_command_register_follow_memory_enable() {
    assert!(touches_command(0x04, 2));
    assert!(touches_command(0x04, 4), "Command + Status as one dword");
    assert!(touches_command(0x05, 1));
    assert!(touches_command(0x00, 8));
    assert!(!touches_command(0x06, 2), "Status only");
    assert!(!touches_command(0x00, 4), "IDs only");
    assert!(!touches_command(0x3c, 1));
}

/// A fake `/sys` and `/dev` with one function bound to vfio-pci in group 5, optionally with
/// a cdev, and no `/dev/iommu`.
fn fake_tree(cdev: bool) -> (PathBuf, SysfsPaths) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let root = std::env::temp_dir().join(format!(
        "peerbar-iommufd-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&root);
    let sysfs = root.join("sys");
    let function = sysfs.join("bus/pci/devices/0000:01:00.0");
    std::fs::create_dir_all(&function).unwrap();
    std::fs::create_dir_all(sysfs.join("bus/pci/drivers/vfio-pci")).unwrap();
    std::fs::create_dir_all(sysfs.join("kernel/iommu_groups/5")).unwrap();
    std::os::unix::fs::symlink(
        sysfs.join("bus/pci/drivers/vfio-pci"),
        function.join("driver"),
    )
    .unwrap();
    std::os::unix::fs::symlink(
        sysfs.join("kernel/iommu_groups/5"),
        function.join("iommu_group"),
    )
    .unwrap();
    if cdev {
        std::fs::create_dir_all(function.join("vfio-dev/vfio0")).unwrap();
        std::fs::write(function.join("vfio-dev/vfio0/dev"), "511:0\n").unwrap();
    }
    std::fs::create_dir_all(root.join("dev/vfio/devices")).unwrap();
    let paths = SysfsPaths {
        sysfs,
        dev_vfio: root.join("dev/vfio"),
    };
    (root, paths)
}

fn open_one(paths: &SysfsPaths) -> Result<Vec<IommufdDevice>> {
    IommufdDevice::open_set(
        &[VfioOpen {
            bdf: "0000:01:00.0",
            required_bars: &[BarIndex::BAR0],
        }],
        paths,
    )
}

#[test]
fn a_function_without_a_cdev_is_refused_by_name() {
    let (root, paths) = fake_tree(false);
    let err = open_one(&paths).unwrap_err();
    assert!(
        matches!(&err, Error::IommufdUnavailable { missing: IommufdMissing::Cdev { bdf } } if bdf.to_string() == "0000:01:00.0"),
        "{err}"
    );
    assert!(err.to_string().contains("CONFIG_VFIO_DEVICE_CDEV"), "{err}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_kernel_without_dev_iommu_is_refused_by_name() {
    let (root, paths) = fake_tree(true);
    let err = open_one(&paths).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::IommufdUnavailable {
                missing: IommufdMissing::Iommufd
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("no /dev/iommu"), "{err}");
    std::fs::remove_dir_all(root).unwrap();
}

#[test]
fn a_missing_device_is_named_before_any_iommufd_check() {
    let (root, paths) = fake_tree(true);
    let err = IommufdDevice::open_set(
        &[VfioOpen {
            bdf: "0000:09:00.0",
            required_bars: &[],
        }],
        &paths,
    )
    .unwrap_err();
    assert!(matches!(err, Error::DeviceNotFound { .. }), "{err}");
    std::fs::remove_dir_all(root).unwrap();
}
