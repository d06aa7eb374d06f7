// SPDX-License-Identifier: MIT OR Apache-2.0
//! Property test: random sequences of BAR2 accesses of every size, checked against a plain
//! byte-array reference model. Any divergence is a bug in the RTL, the model or the driver path.

use peerbar::{BarIndex, BarOffset, Device};
use peerbar_tests::{pattern, sim};
use proptest::prelude::*;

/// The accesses cover a window at the start of BAR2 and one at its very end.
const WINDOW: u64 = 8192;

#[derive(Clone, Debug)]
enum Op {
    Write { size: u8, slot: u64, value: u64 },
    Read { size: u8, slot: u64 },
    BulkWrite { offset: u64, data: Vec<u8> },
    BulkRead { offset: u64, len: usize },
}

fn op() -> impl Strategy<Value = Op> {
    let size = prop_oneof![Just(1u8), Just(2), Just(4), Just(8)];
    prop_oneof![
        (size.clone(), 0..WINDOW, any::<u64>()).prop_map(|(size, slot, value)| Op::Write {
            size,
            slot,
            value
        }),
        (size, 0..WINDOW).prop_map(|(size, slot)| Op::Read { size, slot }),
        (0..WINDOW, prop::collection::vec(any::<u8>(), 1..1500))
            .prop_map(|(offset, data)| Op::BulkWrite { offset, data }),
        (0..WINDOW, 1usize..5000).prop_map(|(offset, len)| Op::BulkRead { offset, len }),
    ]
}

/// Maps a window position to a BAR2 offset: first half at the start, second half at the end.
fn place(bar_len: u64, window_pos: u64) -> u64 {
    if window_pos < WINDOW / 2 {
        window_pos
    } else {
        bar_len - WINDOW + window_pos
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn random_accesses_match_a_byte_array(
        ops in prop::collection::vec(op(), 1..60),
        mps in prop_oneof![Just(128u16), Just(256), Just(512)],
        mrrs in prop_oneof![Just(128u16), Just(512), Just(4096)],
    ) {
        let dev = sim(mps, mrrs, 64);
        let bar = BarIndex::BAR2;
        let bar_len = dev.bar_len(bar).unwrap();
        let mut model = vec![0u8; bar_len as usize];
        // Known contents in both windows.
        for half in [0, WINDOW / 2] {
            let at = place(bar_len, half) as usize;
            let fill = pattern(at as u64, (WINDOW / 2) as usize);
            dev.bar_write(bar, BarOffset::new(at as u64), &fill).unwrap();
            model[at..at + fill.len()].copy_from_slice(&fill);
        }
        for op in ops {
            match op {
                Op::Write { size, slot, value } => {
                    let at = place(bar_len, slot) & !(u64::from(size) - 1);
                    let o = BarOffset::new(at);
                    match size {
                        1 => dev.bar_write8(bar, o, value as u8),
                        2 => dev.bar_write16(bar, o, value as u16),
                        4 => dev.bar_write32(bar, o, value as u32),
                        _ => dev.bar_write64(bar, o, value),
                    }.unwrap();
                    let n = usize::from(size);
                    model[at as usize..at as usize + n].copy_from_slice(&value.to_le_bytes()[..n]);
                }
                Op::Read { size, slot } => {
                    let at = place(bar_len, slot) & !(u64::from(size) - 1);
                    let o = BarOffset::new(at);
                    let got = match size {
                        1 => u64::from(dev.bar_read8(bar, o).unwrap()),
                        2 => u64::from(dev.bar_read16(bar, o).unwrap()),
                        4 => u64::from(dev.bar_read32(bar, o).unwrap()),
                        _ => dev.bar_read64(bar, o).unwrap(),
                    };
                    let n = usize::from(size);
                    let mut want = [0u8; 8];
                    want[..n].copy_from_slice(&model[at as usize..at as usize + n]);
                    prop_assert_eq!(got, u64::from_le_bytes(want), "{}-byte read at {:#x}", size, at);
                }
                Op::BulkWrite { offset, data } => {
                    let at = place(bar_len, offset).min(bar_len - data.len() as u64);
                    dev.bar_write(bar, BarOffset::new(at), &data).unwrap();
                    model[at as usize..at as usize + data.len()].copy_from_slice(&data);
                }
                Op::BulkRead { offset, len } => {
                    let at = place(bar_len, offset).min(bar_len - len as u64);
                    let mut buf = vec![0u8; len];
                    dev.bar_read(bar, BarOffset::new(at), &mut buf).unwrap();
                    prop_assert!(buf == model[at as usize..at as usize + len],
                        "bulk read of {} at {:#x} differs from the model", len, at);
                }
            }
        }
        // Nothing outside what the sequence wrote changed, in either window.
        for half in [0, WINDOW / 2] {
            let at = place(bar_len, half) as usize;
            let mut buf = vec![0u8; (WINDOW / 2) as usize];
            dev.bar_read(bar, BarOffset::new(at as u64), &mut buf).unwrap();
            prop_assert!(buf == model[at..at + buf.len()], "window at {:#x} differs", at);
        }
    }
}
