// SPDX-License-Identifier: MIT OR Apache-2.0
//! A namespace backed by a file: data reaches the file and survives the controller.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use super::*;
use crate::SimError;

/// A temporary file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(len: u64) -> TempFile {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "peerbar-nvme-model-{}-{}.img",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(len).unwrap();
        TempFile(path)
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn file_namespace_round_trip() {
    let file = TempFile::new(1 << 20);
    let seeded = pattern(8, 4096);
    let mut image = std::fs::read(&file.0).unwrap();
    image[0x8_0000..0x8_1000].copy_from_slice(&seeded);
    std::fs::write(&file.0, &image).unwrap();
    let config = NvmeConfig {
        namespace: NamespaceBacking::File(file.0.clone()),
        lba_size: 4096,
        ..test_config()
    };
    let mut h = Host::ready(config.clone());
    // The data already in the file is namespace data.
    h.exec(1, Cmd::read(0x80, 1).prp(DATA, 0)).assert_ok();
    assert!(h.bus.mem(DATA, 4096) == seeded);
    // Written blocks reach the file.
    h.round_trip(3, &[(DATA, 4096), (DATA + 0x2000, 4096)], |c| {
        c.prp(DATA, DATA + 0x2000)
    });
    h.exec(1, Cmd::new(0x00).nsid(1)).assert_ok();
    let expected = pattern(3 ^ 0x5a, 8192);
    assert!(std::fs::read(&file.0).unwrap()[3 * 4096..5 * 4096] == expected);
    assert!(h.ns(3 * 4096, 8192) == expected);
    // Past the end of the file: LBA Out of Range, and the backdoor refuses too.
    let cqe = h.exec(1, Cmd::read(256, 1).prp(DATA, 0));
    assert_eq!(cqe.status(), (0, 0x80, true));
    assert!(h.ctrl.namespace_read(1 << 20, &mut [0u8; 1]).is_err());
    drop(h);
    // Another controller on the same file sees the data.
    let again = NvmeController::new(config).unwrap();
    let mut back = vec![0u8; 8192];
    again.namespace_read(3 * 4096, &mut back).unwrap();
    assert!(back == expected);
}

#[test]
fn unusable_files_are_refused() {
    let odd = TempFile::new(1000);
    let empty = TempFile::new(0);
    let missing = std::env::temp_dir().join("peerbar-nvme-model-does-not-exist.img");
    for path in [odd.0.clone(), empty.0.clone(), missing] {
        let config = NvmeConfig {
            namespace: NamespaceBacking::File(path.clone()),
            ..test_config()
        };
        assert!(
            matches!(NvmeController::new(config), Err(SimError::InvalidConfig(_))),
            "{}",
            path.display()
        );
    }
}
