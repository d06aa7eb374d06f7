// SPDX-License-Identifier: MIT OR Apache-2.0
//! Typed addresses: a BAR offset is not a bus address is not a host pointer.
//!
//! Each kind is a newtype with checked arithmetic and no operator overloading, so an
//! overflow or a mix-up is a compile error or an explicit `None`, never a silent wrap.

use std::fmt;

/// Index of a PCI Base Address Register (0..=5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BarIndex(u8);

impl BarIndex {
    /// BAR0: the endpoint's registers and doorbells.
    pub const BAR0: BarIndex = BarIndex(0);
    /// BAR2: the endpoint's peer memory.
    pub const BAR2: BarIndex = BarIndex(2);

    /// Returns `None` for an index above 5.
    pub const fn new(index: u8) -> Option<BarIndex> {
        if index <= 5 {
            Some(BarIndex(index))
        } else {
            None
        }
    }

    pub const fn get(self) -> u8 {
        self.0
    }
}

impl fmt::Display for BarIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BAR{}", self.0)
    }
}

/// Defines a `u64` address newtype: constructor, getter, `ZERO`, checked offset arithmetic,
/// alignment helpers, and hex `Display`. Every address kind gets the same helpers from here
/// instead of a hand-written copy each.
macro_rules! address_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(u64);

        impl $name {
            pub const ZERO: $name = $name(0);

            pub const fn new(value: u64) -> $name {
                $name(value)
            }

            pub const fn get(self) -> u64 {
                self.0
            }

            /// `self + bytes`, or `None` on overflow.
            pub const fn checked_add(self, bytes: u64) -> Option<$name> {
                match self.0.checked_add(bytes) {
                    Some(v) => Some($name(v)),
                    None => None,
                }
            }

            /// Bytes from `base` up to `self`, or `None` when `self` lies below `base`.
            pub const fn offset_from(self, base: $name) -> Option<u64> {
                self.0.checked_sub(base.0)
            }

            /// True when `self` is a multiple of `align` (a power of two).
            pub(crate) const fn is_aligned(self, align: u64) -> bool {
                debug_assert!(align.is_power_of_two());
                self.0 & (align - 1) == 0
            }

            /// `self` rounded down to a multiple of `align` (a power of two).
            pub const fn align_down(self, align: u64) -> $name {
                debug_assert!(align.is_power_of_two());
                $name(self.0 & !(align - 1))
            }

            /// `self` rounded up to a multiple of `align` (a power of two), or `None` on
            /// overflow.
            pub(crate) const fn align_up(self, align: u64) -> Option<$name> {
                debug_assert!(align.is_power_of_two());
                match self.0.checked_add(align - 1) {
                    Some(v) => Some($name(v & !(align - 1))),
                    None => None,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:#x}", self.0)
            }
        }
    };
}

address_type! {
    /// A byte offset inside one BAR.
    BarOffset
}

address_type! {
    /// A PCI bus address (what a device puts in a TLP: an IOVA behind an IOMMU, a peer's BAR
    /// address), as opposed to a CPU pointer.
    BusAddr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_and_alignment_are_checked() {
        let a = BusAddr::new(0x1234);
        assert_eq!(a.checked_add(0x10), Some(BusAddr::new(0x1244)));
        assert_eq!(BusAddr::new(u64::MAX).checked_add(1), None);
        assert_eq!(a.offset_from(BusAddr::new(0x1000)), Some(0x234));
        assert_eq!(BusAddr::new(0x1000).offset_from(a), None);
        assert!(!a.is_aligned(8) && a.is_aligned(4));
        assert_eq!(a.align_down(0x1000), BusAddr::new(0x1000));
        assert_eq!(a.align_up(0x1000), Some(BusAddr::new(0x2000)));
        assert_eq!(
            BusAddr::new(0x2000).align_up(0x1000),
            Some(BusAddr::new(0x2000))
        );
        assert_eq!(BusAddr::new(u64::MAX - 2).align_up(8), None);
        assert_eq!(
            BarOffset::new(0x40).align_up(0x40),
            Some(BarOffset::new(0x40))
        );
        assert_eq!(BarOffset::ZERO.to_string(), "0x0");
    }
}
