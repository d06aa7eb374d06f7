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

/// A byte offset inside one BAR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct BarOffset(u64);

impl BarOffset {
    pub const ZERO: BarOffset = BarOffset(0);

    pub const fn new(offset: u64) -> BarOffset {
        BarOffset(offset)
    }

    pub const fn get(self) -> u64 {
        self.0
    }

    /// `self + bytes`, or `None` on overflow.
    pub const fn checked_add(self, bytes: u64) -> Option<BarOffset> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(BarOffset(v)),
            None => None,
        }
    }

    /// True when `self` is a multiple of `align` (a power of two).
    pub const fn is_aligned(self, align: u64) -> bool {
        self.0 & (align - 1) == 0
    }
}

impl fmt::Display for BarOffset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}

/// A PCI bus address (what a device puts in a TLP), as opposed to a CPU pointer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BusAddr(u64);

impl BusAddr {
    pub const fn new(addr: u64) -> BusAddr {
        BusAddr(addr)
    }

    pub const fn get(self) -> u64 {
        self.0
    }

    /// `self + bytes`, or `None` on overflow.
    pub const fn checked_add(self, bytes: u64) -> Option<BusAddr> {
        match self.0.checked_add(bytes) {
            Some(v) => Some(BusAddr(v)),
            None => None,
        }
    }
}

impl fmt::Display for BusAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#x}", self.0)
    }
}
