// SPDX-License-Identifier: MIT OR Apache-2.0
//! `peerbar vfio-check` without a machine to check: the errors a bad setup gets. The checks
//! themselves run in the QEMU guest of scripts/test-vfio.sh (docs/vfio-qemu.md).

mod common;

use common::{run, EXIT_DEVICE, EXIT_USAGE};

#[test]
fn a_missing_device_is_a_device_error_naming_it() {
    let r = run(&["vfio-check", "--nvme", "fedc:ff:1f.7"]);
    assert_eq!(r.code, EXIT_DEVICE, "{}", r.stderr);
    assert!(
        r.stderr.contains("no PCI device fedc:ff:1f.7"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no step ran: {}", r.stdout);
}

#[test]
fn every_device_is_checked_before_any_is_opened() {
    let r = run(&[
        "vfio-check",
        "--nvme",
        "fedc:ff:1f.6",
        "--peer-cmb",
        "fedc:ff:1f.7",
    ]);
    assert_eq!(r.code, EXIT_DEVICE, "{}", r.stderr);
    assert!(r.stderr.contains("fedc:ff:1f.6"), "{}", r.stderr);
}

#[test]
fn device_is_refused_with_its_own_options() {
    let r = run(&[
        "--device",
        "0000:01:00.0",
        "vfio-check",
        "--nvme",
        "0000:02:00.0",
    ]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(r.stderr.contains("--nvme and --peer-cmb"), "{}", r.stderr);
}

#[test]
fn forced_iommufd_still_names_a_missing_device_first() {
    let r = run(&["--vfio", "iommufd", "vfio-check", "--nvme", "fedc:ff:1f.7"]);
    assert_eq!(r.code, EXIT_DEVICE, "{}", r.stderr);
    assert!(
        r.stderr.contains("no PCI device fedc:ff:1f.7"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_bad_vfio_interface_is_a_usage_error() {
    let r = run(&["--vfio", "type1", "vfio-check", "--nvme", "0000:02:00.0"]);
    assert_eq!(r.code, EXIT_USAGE, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("\"type1\" is not a VFIO interface: expected auto, legacy or iommufd"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "{}", r.stdout);
}
