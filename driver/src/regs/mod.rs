// SPDX-License-Identifier: MIT OR Apache-2.0
//! BAR0 registers: the generated register map and typed accessors over any [`Device`].
//!
//! The map ([`map`](self), re-exported here) is generated from `hw/regmap/peerbar.toml`: one
//! tock-registers `register_bitfields!` module per register (`STATUS::LINK_UP`, ...), one
//! [`RegisterDef`] constant per register (`STATUS_REG`) tying the bitfields to an offset, and
//! [`ALL_REGISTERS`] describing every register and field for tools and docs.
//!
//! Accesses go through the [`Device`] trait (one 32-bit BAR0 access per register), so they work
//! the same on VFIO hardware, in the simulation and on the in-memory fake:
//!
//! ```
//! # use peerbar::device::fake::FakeDevice;
//! use peerbar::regs::{self, SCRATCH, SCRATCH_REG, VERSION_REG, VERSION};
//! # let dev = FakeDevice::peerbar_endpoint(1 << 20);
//! let version = regs::read(&dev, &VERSION_REG)?;
//! let major = version.read(VERSION::MAJOR);
//! regs::write(&dev, &SCRATCH_REG, SCRATCH::VALUE.val(0x1234))?;
//! # assert_eq!(regs::read(&dev, &SCRATCH_REG)?.get(), 0x1234);
//! # Ok::<(), peerbar::Error>(())
//! ```

use std::fmt;
use std::marker::PhantomData;

use tock_registers::fields::FieldValue;
use tock_registers::{LocalRegisterCopy, RegisterLongName};

use crate::address::{BarIndex, BarOffset};
use crate::device::Device;
use crate::error::{Error, Result};

mod map;
pub use map::*;

/// How software may access a register or a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-only constant: always reads as its reset value.
    Const,
    /// Read-only status driven by the hardware.
    ReadOnly,
    /// Read/write storage.
    ReadWrite,
    /// Write 1 to pulse an action; reads as 0.
    WriteOnePulse,
}

impl Access {
    /// True when a write can change anything (`rw` and `w1p`).
    pub const fn is_writable(self) -> bool {
        matches!(self, Access::ReadWrite | Access::WriteOnePulse)
    }

    /// The short name used in the register map source: `const`, `ro`, `rw`, `w1p`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Access::Const => "const",
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
            Access::WriteOnePulse => "w1p",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A 64-bit quantity the map keeps in two consecutive registers, `X_LO` then `X_HI` (marked
/// `width = 64` in the map source): one value to software, read with [`read64`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register64Def {
    /// Byte offset in BAR0 of the low half; the high half is at offset + 4.
    pub offset: u64,
    /// Name of the quantity, without `_LO`/`_HI` (`"BAR2_SIZE"`).
    pub name: &'static str,
    /// The low register's access (both halves have the same).
    pub access: Access,
}

impl Register64Def {
    pub const fn new(offset: u64, name: &'static str, access: Access) -> Self {
        Register64Def {
            offset,
            name,
            access,
        }
    }
}

/// A 64-bit quantity of a register array (`QUEUE_SQ_BASE_REG64`): [`at`](Self::at) gives the
/// [`Register64Def`] of one element, to use with [`read64`] and [`write64`].
#[derive(Debug, Clone, Copy)]
pub struct Register64ArrayDef {
    /// Byte offset in BAR0 of element 0.
    pub base: u64,
    /// Bytes from one element to the next.
    pub stride: u64,
    /// Number of elements.
    pub count: u32,
    /// Offset of the low half relative to the element start.
    pub offset: u64,
    /// Name of the quantity as generated (`"QUEUE_SQ_BASE"`).
    pub name: &'static str,
    /// The low register's access.
    pub access: Access,
}

impl Register64ArrayDef {
    pub const fn new(
        base: u64,
        stride: u64,
        count: u32,
        offset: u64,
        name: &'static str,
        access: Access,
    ) -> Self {
        Register64ArrayDef {
            base,
            stride,
            count,
            offset,
            name,
            access,
        }
    }

    /// The quantity of element `index`. Fails with [`Error::RegisterIndexOutOfRange`] when
    /// `index >= count`.
    pub fn at(&self, index: u32) -> Result<Register64Def> {
        if index >= self.count {
            return Err(Error::RegisterIndexOutOfRange {
                register: self.name,
                index,
                count: self.count,
            });
        }
        Ok(Register64Def::new(
            self.base + u64::from(index) * self.stride + self.offset,
            self.name,
            self.access,
        ))
    }
}

/// A register of the map tied to its tock-registers bitfield type `R`, so that only that
/// register's fields can be read from or written to it.
pub struct RegisterDef<R: RegisterLongName> {
    /// Byte offset in BAR0.
    pub offset: u64,
    /// Register name as in the map source (`"STATUS"`).
    pub name: &'static str,
    /// Value after reset.
    pub reset: u32,
    /// The register's access: the strongest of its fields' (rw > w1p > ro > const).
    pub access: Access,
    _marker: PhantomData<R>,
}

impl<R: RegisterLongName> RegisterDef<R> {
    pub const fn new(offset: u64, name: &'static str, reset: u32, access: Access) -> Self {
        RegisterDef {
            offset,
            name,
            reset,
            access,
            _marker: PhantomData,
        }
    }

    /// The register's offset in BAR0.
    pub const fn bar_offset(&self) -> BarOffset {
        BarOffset::new(self.offset)
    }
}

impl<R: RegisterLongName> fmt::Debug for RegisterDef<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterDef")
            .field("offset", &format_args!("{:#x}", self.offset))
            .field("name", &self.name)
            .field("reset", &format_args!("{:#010x}", self.reset))
            .field("access", &self.access)
            .finish()
    }
}

/// A register of a register array (`QUEUE_CONTROL_REG`): the same register repeated in `count`
/// elements, `stride` bytes apart from `base`. [`at`](Self::at) gives the [`RegisterDef`] of one
/// element, to use with [`read`], [`write()`] and [`modify`].
pub struct RegisterArrayDef<R: RegisterLongName> {
    /// Byte offset in BAR0 of element 0.
    pub base: u64,
    /// Bytes from one element to the next.
    pub stride: u64,
    /// Number of elements.
    pub count: u32,
    /// Offset of the register relative to the element start.
    pub offset: u64,
    /// Register name as generated (`"QUEUE_CONTROL"`).
    pub name: &'static str,
    /// Value after reset.
    pub reset: u32,
    /// The register's access: the strongest of its fields' (rw > w1p > ro > const).
    pub access: Access,
    _marker: PhantomData<R>,
}

impl<R: RegisterLongName> RegisterArrayDef<R> {
    pub const fn new(
        base: u64,
        stride: u64,
        count: u32,
        offset: u64,
        name: &'static str,
        reset: u32,
        access: Access,
    ) -> Self {
        RegisterArrayDef {
            base,
            stride,
            count,
            offset,
            name,
            reset,
            access,
            _marker: PhantomData,
        }
    }

    /// The register of element `index`, at BAR0 offset base + index * stride + offset.
    /// Fails with [`Error::RegisterIndexOutOfRange`] when `index >= count`.
    pub fn at(&self, index: u32) -> Result<RegisterDef<R>> {
        if index >= self.count {
            return Err(Error::RegisterIndexOutOfRange {
                register: self.name,
                index,
                count: self.count,
            });
        }
        let offset = self.base + u64::from(index) * self.stride + self.offset;
        Ok(RegisterDef::new(offset, self.name, self.reset, self.access))
    }
}

impl<R: RegisterLongName> fmt::Debug for RegisterArrayDef<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisterArrayDef")
            .field("base", &format_args!("{:#x}", self.base))
            .field("stride", &format_args!("{:#x}", self.stride))
            .field("count", &self.count)
            .field("offset", &format_args!("{:#x}", self.offset))
            .field("name", &self.name)
            .field("reset", &format_args!("{:#010x}", self.reset))
            .field("access", &self.access)
            .finish()
    }
}

/// Description of a register array for tools and docs: `count` elements, `stride` bytes
/// apart from `base`, each holding `registers` (offsets relative to the element start).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArrayInfo {
    pub name: &'static str,
    /// Byte offset in BAR0 of element 0.
    pub base: u64,
    /// Bytes from one element to the next.
    pub stride: u64,
    /// Number of elements.
    pub count: u32,
    pub description: &'static str,
    /// The element's registers; their names are the short ones (`"CONTROL"`) and their
    /// offsets are relative to the element start.
    pub registers: &'static [RegisterInfo],
}

impl ArrayInfo {
    /// One past the last byte of the array in BAR0.
    pub const fn end(&self) -> u64 {
        self.base + self.count as u64 * self.stride
    }
}

/// Description of a register for tools and docs (no bitfield type attached).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegisterInfo {
    pub name: &'static str,
    pub offset: u64,
    pub reset: u32,
    pub access: Access,
    pub description: &'static str,
    pub fields: &'static [FieldInfo],
}

impl RegisterInfo {
    /// The register's offset in BAR0.
    pub const fn bar_offset(&self) -> BarOffset {
        BarOffset::new(self.offset)
    }

    /// Looks a field up by name (case-sensitive, as in the map: `"MAX_PAYLOAD"`).
    pub fn field(&self, name: &str) -> Option<&'static FieldInfo> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// Splits a raw register value into its fields, in map order.
    pub fn decode(&self, raw: u32) -> Vec<DecodedField> {
        self.fields
            .iter()
            .map(|field| DecodedField {
                field,
                value: field.extract(raw),
            })
            .collect()
    }
}

/// Description of one field of a register.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldInfo {
    pub name: &'static str,
    /// Lowest bit of the field.
    pub lsb: u32,
    /// Width in bits (1..=32).
    pub width: u32,
    pub access: Access,
    /// Reset value of the field, right-aligned.
    pub reset: u32,
    pub description: &'static str,
}

impl FieldInfo {
    /// The field's mask, right-aligned (`width` ones).
    pub const fn mask(&self) -> u32 {
        if self.width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.width) - 1
        }
    }

    /// The field's mask in register position.
    pub const fn mask_in_register(&self) -> u32 {
        self.mask() << self.lsb
    }

    /// The field's value (right-aligned) in a raw register value.
    pub const fn extract(&self, raw: u32) -> u32 {
        (raw >> self.lsb) & self.mask()
    }

    /// The field's bits as written in the map source: `"31:0"`, or `"16"` for one bit.
    pub fn bits(&self) -> String {
        if self.width == 1 {
            format!("{}", self.lsb)
        } else {
            format!("{}:{}", self.lsb + self.width - 1, self.lsb)
        }
    }
}

/// One field of a decoded register value (see [`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DecodedField {
    pub field: &'static FieldInfo,
    /// The field's value, right-aligned.
    pub value: u32,
}

impl DecodedField {
    pub fn name(&self) -> &'static str {
        self.field.name
    }
}

/// Splits a raw value of register `info` into (field, value) pairs, in map order.
pub fn decode(info: &RegisterInfo, raw: u32) -> Vec<DecodedField> {
    info.decode(raw)
}

/// Looks a register up by name, case-insensitively (`"status"` finds `STATUS`). Plain
/// registers only: array registers are in [`ALL_ARRAYS`].
pub fn find_register(name: &str) -> Option<&'static RegisterInfo> {
    ALL_REGISTERS
        .iter()
        .find(|r| r.name.eq_ignore_ascii_case(name))
}

/// Looks a register up by its BAR0 offset. Plain registers only: for an offset inside a
/// register array use [`find_array_register`].
pub fn register_at(offset: u64) -> Option<&'static RegisterInfo> {
    ALL_REGISTERS.iter().find(|r| r.offset == offset)
}

/// Decodes a BAR0 offset that falls on a register of a register array: the array, the element
/// index and the element register (whose `offset` is relative to the element start).
pub fn find_array_register(
    offset: u64,
) -> Option<(&'static ArrayInfo, u32, &'static RegisterInfo)> {
    let array = ALL_ARRAYS
        .iter()
        .find(|a| offset >= a.base && offset < a.end())?;
    let rel = offset - array.base;
    let index = u32::try_from(rel / array.stride).ok()?;
    let within = rel % array.stride;
    let reg = array.registers.iter().find(|r| r.offset == within)?;
    Some((array, index, reg))
}

/// Reads register `def` (one 32-bit access to BAR0).
pub fn read<R: RegisterLongName>(
    dev: &dyn Device,
    def: &RegisterDef<R>,
) -> Result<LocalRegisterCopy<u32, R>> {
    let raw = dev.bar_read32(BarIndex::BAR0, def.bar_offset())?;
    log::trace!("read {} = {raw:#010x}", def.name);
    Ok(LocalRegisterCopy::new(raw))
}

/// Reads the 64-bit quantity `def`: its low register, then its high one (two 32-bit accesses).
pub fn read64(dev: &dyn Device, def: &Register64Def) -> Result<u64> {
    let lo = dev.bar_read32(BarIndex::BAR0, BarOffset::new(def.offset))?;
    let hi = dev.bar_read32(BarIndex::BAR0, BarOffset::new(def.offset + 4))?;
    let value = (u64::from(hi) << 32) | u64::from(lo);
    log::trace!("read {} = {value:#x}", def.name);
    Ok(value)
}

/// Writes the 64-bit `value` to `def`: its low register, then its high one (two 32-bit
/// accesses). Refuses (without touching the device) a quantity that is `const` or `ro`.
pub fn write64(dev: &dyn Device, def: &Register64Def, value: u64) -> Result<()> {
    check_writable(def.name, def.access)?;
    log::trace!("write {} = {value:#x}", def.name);
    dev.bar_write32(BarIndex::BAR0, BarOffset::new(def.offset), value as u32)?;
    dev.bar_write32(
        BarIndex::BAR0,
        BarOffset::new(def.offset + 4),
        (value >> 32) as u32,
    )
}

/// Writes `value` to register `def` (one 32-bit access); fields not named in `value` are
/// written as 0. Use [`modify`] to keep them.
///
/// Refuses (without touching the device) a register whose access is `const` or `ro`: such a
/// write would be silently ignored by the hardware, which is always a bug in the caller.
pub fn write<R: RegisterLongName>(
    dev: &dyn Device,
    def: &RegisterDef<R>,
    value: FieldValue<u32, R>,
) -> Result<()> {
    check_writable(def.name, def.access)?;
    write_raw_unchecked(dev, def.name, def.bar_offset(), value.value)
}

/// Read-modify-write of register `def`: the fields named in `value` are replaced, all others
/// keep the value just read.
///
/// Refuses (without touching the device) a register whose access is `const` or `ro`.
pub fn modify<R: RegisterLongName>(
    dev: &dyn Device,
    def: &RegisterDef<R>,
    value: FieldValue<u32, R>,
) -> Result<()> {
    check_writable(def.name, def.access)?;
    let old = dev.bar_read32(BarIndex::BAR0, def.bar_offset())?;
    write_raw_unchecked(dev, def.name, def.bar_offset(), value.modify(old))
}

/// Reads the register described by `info` as a raw value.
pub fn read_raw(dev: &dyn Device, info: &RegisterInfo) -> Result<u32> {
    let raw = dev.bar_read32(BarIndex::BAR0, info.bar_offset())?;
    log::trace!("read {} = {raw:#010x}", info.name);
    Ok(raw)
}

/// Writes a raw value to the register described by `info`; refuses `const` and `ro` registers.
pub fn write_raw(dev: &dyn Device, info: &RegisterInfo, value: u32) -> Result<()> {
    check_writable(info.name, info.access)?;
    write_raw_unchecked(dev, info.name, info.bar_offset(), value)
}

fn check_writable(name: &'static str, access: Access) -> Result<()> {
    if access.is_writable() {
        Ok(())
    } else {
        Err(Error::RegisterNotWritable {
            register: name,
            access,
        })
    }
}

fn write_raw_unchecked(dev: &dyn Device, name: &str, offset: BarOffset, value: u32) -> Result<()> {
    log::trace!("write {name} = {value:#010x}");
    dev.bar_write32(BarIndex::BAR0, offset, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::FakeDevice;

    #[test]
    fn read64_joins_the_halves() {
        let dev = FakeDevice::peerbar_endpoint(1 << 20);
        assert_eq!(BAR2_SIZE_REG64.offset, BAR2_SIZE_LO_REG.offset);
        assert_eq!(BAR2_SIZE_REG64.offset + 4, BAR2_SIZE_HI_REG.offset);
        assert_eq!(read64(&dev, &BAR2_SIZE_REG64).unwrap(), 1 << 20);
    }

    #[test]
    fn write64_of_an_array_element_writes_both_halves_and_refuses_read_only_pairs() {
        let dev = FakeDevice::peerbar_endpoint(1 << 20);
        let sq_base = QUEUE_SQ_BASE_REG64.at(3).unwrap();
        assert_eq!(sq_base.offset, QUEUE_SQ_BASE_LO_REG.at(3).unwrap().offset);
        write64(&dev, &sq_base, 0x1234_5678_9abc_def0).unwrap();
        assert_eq!(
            read(&dev, &QUEUE_SQ_BASE_LO_REG.at(3).unwrap())
                .unwrap()
                .get(),
            0x9abc_def0
        );
        assert_eq!(
            read(&dev, &QUEUE_SQ_BASE_HI_REG.at(3).unwrap())
                .unwrap()
                .get(),
            0x1234_5678
        );
        assert_eq!(read64(&dev, &sq_base).unwrap(), 0x1234_5678_9abc_def0);
        assert!(QUEUE_SQ_BASE_REG64.at(QUEUE_COUNT).is_err());
        assert!(write64(&dev, &BAR2_SIZE_REG64, 0).is_err());
        assert_eq!(read64(&dev, &BAR2_SIZE_REG64).unwrap(), 1 << 20);
    }

    #[test]
    fn access_displays_like_the_map_source() {
        assert_eq!(Access::Const.to_string(), "const");
        assert_eq!(Access::ReadOnly.to_string(), "ro");
        assert_eq!(Access::ReadWrite.to_string(), "rw");
        assert_eq!(Access::WriteOnePulse.to_string(), "w1p");
    }

    #[test]
    fn map_is_sorted_aligned_and_fields_fit() {
        let mut last = None;
        for reg in ALL_REGISTERS {
            assert_eq!(reg.offset % 4, 0, "{} not aligned", reg.name);
            if let Some(last) = last {
                assert!(reg.offset > last, "{} out of order", reg.name);
            }
            last = Some(reg.offset);
            let mut used = 0u32;
            for f in reg.fields {
                assert!(
                    f.width >= 1 && f.lsb + f.width <= 32,
                    "{}.{}",
                    reg.name,
                    f.name
                );
                assert_eq!(
                    used & f.mask_in_register(),
                    0,
                    "{}.{} overlaps",
                    reg.name,
                    f.name
                );
                used |= f.mask_in_register();
            }
            // The register's reset value is assembled from its fields'.
            let reset = reg
                .fields
                .iter()
                .fold(0u32, |acc, f| acc | (f.reset << f.lsb));
            assert_eq!(reg.reset, reset, "{}", reg.name);
        }
    }

    #[test]
    fn typed_defs_agree_with_the_table() {
        for (name, offset) in [
            ("MAGIC", MAGIC_REG.offset),
            ("VERSION", VERSION_REG.offset),
            ("SCRATCH", SCRATCH_REG.offset),
            ("STATUS", STATUS_REG.offset),
            ("CONTROL", CONTROL_REG.offset),
        ] {
            assert_eq!(find_register(name).unwrap().offset, offset);
        }
        assert_eq!(MAGIC_REG.reset, 0x5045_4552);
        assert_eq!(find_register("status").unwrap().name, "STATUS");
        assert_eq!(register_at(0).unwrap().name, "MAGIC");
        assert!(find_register("NO_SUCH").is_none());
    }

    #[test]
    fn read_write_modify_through_the_device() {
        let dev = FakeDevice::peerbar_endpoint(1 << 20);
        let v = read(&dev, &VERSION_REG).unwrap();
        assert_eq!(v.read(VERSION::MAJOR), 0);
        assert_eq!(v.read(VERSION::MINOR), 2);

        write(&dev, &SCRATCH_REG, SCRATCH::VALUE.val(0xdead_beef)).unwrap();
        assert_eq!(read(&dev, &SCRATCH_REG).unwrap().get(), 0xdead_beef);
        modify(&dev, &SCRATCH_REG, SCRATCH::VALUE.val(7)).unwrap();
        assert_eq!(
            read_raw(&dev, find_register("SCRATCH").unwrap()).unwrap(),
            7
        );
    }

    #[test]
    fn writes_to_read_only_registers_are_refused() {
        let dev = FakeDevice::peerbar_endpoint(1 << 20);
        let err = modify(&dev, &MAGIC_REG, MAGIC::VALUE.val(0)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::RegisterNotWritable {
                    register: "MAGIC",
                    access: Access::Const
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("MAGIC"));
        let err = write(&dev, &STATUS_REG, STATUS::LINK_UP::SET).unwrap_err();
        assert!(matches!(
            err,
            Error::RegisterNotWritable {
                access: Access::ReadOnly,
                ..
            }
        ));
        let err = write_raw(&dev, find_register("DROPPED_WRITES").unwrap(), 1).unwrap_err();
        assert!(matches!(err, Error::RegisterNotWritable { .. }));
        assert_eq!(read(&dev, &MAGIC_REG).unwrap().get(), 0x5045_4552);
    }

    #[test]
    fn decode_splits_fields() {
        let status = find_register("STATUS").unwrap();
        // LINK_UP=1, BUS_MASTER=0, MAX_PAYLOAD=1, MAX_READ_REQ=2, RCB_128=1
        let raw = 1 | (1 << 4) | (2 << 8) | (1 << 12);
        let fields: Vec<(&str, u32)> = decode(status, raw)
            .iter()
            .map(|d| (d.name(), d.value))
            .collect();
        assert_eq!(
            fields,
            vec![
                ("LINK_UP", 1),
                ("BUS_MASTER", 0),
                ("MAX_PAYLOAD", 1),
                ("MAX_READ_REQ", 2),
                ("RCB_128", 1)
            ]
        );
        let version = find_register("VERSION").unwrap();
        assert_eq!(version.field("MAJOR").unwrap().bits(), "31:16");
        assert_eq!(status.field("LINK_UP").unwrap().bits(), "0");
    }
}
