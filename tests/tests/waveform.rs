// SPDX-License-Identifier: MIT OR Apache-2.0
//! FST waveforms on request: the file is written and holds the RTL's activity.

use peerbar::{BarIndex, BarOffset, Device};
use peerbar_sim::{SimConfig, SimDevice};

#[test]
fn trace_writes_an_fst_file() {
    let dir = std::env::temp_dir().join(format!("peerbar-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("wave.fst");
    {
        let dev = SimDevice::new(SimConfig {
            trace: Some(path.clone()),
            ..SimConfig::default()
        })
        .unwrap();
        dev.bar_write32(BarIndex::BAR2, BarOffset::new(0x40), 0x1234_5678)
            .unwrap();
        assert_eq!(
            dev.bar_read32(BarIndex::BAR2, BarOffset::new(0x40))
                .unwrap(),
            0x1234_5678
        );
    } // dropping the last handle closes the trace
    let bytes = std::fs::read(&path).expect("trace file exists");
    // An FST file starts with a header block (type 0) and is far larger than its header
    // once signals have been dumped.
    assert_eq!(bytes.first(), Some(&0u8), "FST header block");
    assert!(bytes.len() > 1000, "trace has {} bytes", bytes.len());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_trace_that_cannot_be_created_is_a_clear_error() {
    let err = SimDevice::new(SimConfig {
        trace: Some("/nonexistent-dir/peerbar/wave.fst".into()),
        ..SimConfig::default()
    })
    .err()
    .expect("error");
    let mut text = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(s) = source {
        text.push_str(&format!(": {s}"));
        source = s.source();
    }
    assert!(text.contains("/nonexistent-dir/peerbar/wave.fst"), "{text}");
}
