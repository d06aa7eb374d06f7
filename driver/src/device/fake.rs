// SPDX-License-Identifier: MIT OR Apache-2.0
//! In-memory fake device, for unit tests of code above the [`Device`] trait.
//!
//! A `FakeDevice` is config space bytes plus one byte array per BAR. Accesses are checked with
//! [`check_bar_access`] / [`check_config_access`] exactly like the real backends, so tests see
//! the same errors. [`FakeDevice::peerbar_endpoint`] makes BAR0 behave like the peerbar register
//! block (reset values from the generated map, `const`/`ro` bits ignore writes,
//! `CONTROL.CLEAR_ERRORS` clears the error counters and log) and fills config space with a
//! PCI Express and an MSI-X capability.
//!
//! Test helpers ([`FakeDevice::poke_bar32`], [`FakeDevice::poke_config`], ...) bypass the
//! register semantics, to play the hardware's part (raise a counter, corrupt a capability list).
//!
//! DMA: [`Device::map_dma`] records IOMMU windows (page-aligned, inside [`Device::iova_ranges`],
//! never overlapping); [`FakeDevice::dma_read`] / [`FakeDevice::dma_write`] play the device's
//! part of a DMA through them and fail on an unmapped address, like an IOMMU fault.
//! [`Device::enable_msix`] hands out a channel that [`FakeDevice::fire_msix`] feeds. The DMA
//! engine's registers (DMA_*, the QUEUE array) follow the generated map like every other
//! register (DMA_CONTROL.RESET disables every queue); the fake does not run jobs (tests that
//! need an engine model one on top of these helpers).

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

use crossbeam_channel::{Receiver, Sender};

use crate::address::{BarIndex, BarOffset, BusAddr};
use crate::device::{
    bar_bus_addr_from_config, check_bar_access, check_config_access, Device, CONFIG_SPACE_LEN,
};
use crate::error::{DmaMapFault, Error, Result};
use crate::regs::{self, Access, ALL_ARRAYS, ALL_REGISTERS};

/// Vendor ID the peerbar fake reports (Xilinx, the UltraScale+ block's default).
pub const FAKE_VENDOR_ID: u16 = 0x10ee;
/// Device ID the peerbar fake reports (UltraScale+ Gen3 x8 default).
pub const FAKE_DEVICE_ID: u16 = 0x9038;
/// Config offset of the fake's MSI-X capability.
pub const FAKE_CAP_MSIX: u16 = 0x60;
/// Config offset of the fake's PCI Express capability.
pub const FAKE_CAP_PCIE: u16 = 0x70;

/// Table Size the fake's MSI-X capability announces: a build with 8 queue pairs, one vector
/// each, in the table the register map lays out.
const FAKE_MSIX_VECTORS: u16 = 8;
const _: () = assert!(FAKE_MSIX_VECTORS as u32 <= regs::MSIX_TABLE_COUNT);

/// BAR0 size of a peerbar endpoint.
pub const PEERBAR_BAR0_LEN: u64 = 0x1_0000;

/// The IOVA range a fake device accepts unless told otherwise (4 GiB at 4 GiB).
pub const FAKE_IOVA_RANGE: Range<u64> = 0x1_0000_0000..0x2_0000_0000;

/// Page size the fake IOMMU maps with.
const FAKE_PAGE: u64 = 4096;

/// One IOMMU window: host memory at `host` (an address, kept as an integer so the fake stays
/// `Send`), `len` bytes.
#[derive(Clone, Copy, Debug)]
struct DmaWindow {
    host: usize,
    len: usize,
}

#[derive(Default)]
struct DmaState {
    /// IOVA -> window.
    windows: BTreeMap<u64, DmaWindow>,
    msix: Option<(u16, Sender<u16>)>,
}

struct State {
    config: Vec<u8>,
    bars: [Option<Vec<u8>>; 6],
}

/// An in-memory PCIe function. See the [module docs](self).
pub struct FakeDevice {
    name: String,
    state: Mutex<State>,
    /// BAR0 and config space as they were built, restored by [`Device::reset`].
    initial_bar0: Option<Vec<u8>>,
    initial_config: Vec<u8>,
    peerbar_registers: bool,
    resets: AtomicU32,
    iova_ranges: Vec<Range<u64>>,
    /// What [`Device::shared_iova_allocator`] returns (a device in a shared container).
    shared_iova: Option<std::sync::Arc<crate::hostmem::IovaAllocator>>,
    dma: Mutex<DmaState>,
}

impl FakeDevice {
    /// A device with zeroed config space and zero-filled BARs of the given sizes.
    pub fn new(bars: &[(BarIndex, u64)]) -> FakeDevice {
        let mut arrays: [Option<Vec<u8>>; 6] = Default::default();
        for &(bar, len) in bars {
            let len = usize::try_from(len).expect("fake BAR larger than the address space");
            arrays[usize::from(bar.get())] = Some(vec![0; len]);
        }
        let config = vec![0; CONFIG_SPACE_LEN];
        FakeDevice {
            name: "fake".to_owned(),
            initial_bar0: arrays[0].clone(),
            initial_config: config.clone(),
            state: Mutex::new(State {
                config,
                bars: arrays,
            }),
            peerbar_registers: false,
            resets: AtomicU32::new(0),
            iova_ranges: vec![FAKE_IOVA_RANGE],
            shared_iova: None,
            dma: Mutex::new(DmaState::default()),
        }
    }

    /// A peerbar endpoint: BAR0 (64 KiB) holds the register block at its reset values with
    /// BAR2_SIZE_LO/HI = `bar2_len`, BAR2 is `bar2_len` bytes of zeroes, and config space has
    /// IDs, a PCI Express capability (MPS 256 B, MRRS 512 B, 8 GT/s x8) and an MSI-X capability.
    pub fn peerbar_endpoint(bar2_len: u64) -> FakeDevice {
        let mut dev = FakeDevice::new(&[
            (BarIndex::BAR0, PEERBAR_BAR0_LEN),
            (BarIndex::BAR2, bar2_len),
        ]);
        dev.name = "fake peerbar endpoint".to_owned();
        dev.peerbar_registers = true;
        {
            let mut st = dev.lock();
            let bar0 = st.bars[0].as_mut().expect("BAR0 was just created");
            for reg in ALL_REGISTERS {
                put32(bar0, reg.offset as usize, reg.reset);
            }
            put32(
                bar0,
                regs::BAR2_SIZE_LO_REG.offset as usize,
                bar2_len as u32,
            );
            put32(
                bar0,
                regs::BAR2_SIZE_HI_REG.offset as usize,
                (bar2_len >> 32) as u32,
            );
            // Link up, bus master, MPS 256 B, MRRS 512 B, RCB 64 B: matches config space.
            put32(
                bar0,
                regs::STATUS_REG.offset as usize,
                1 | (1 << 1) | (1 << 4) | (2 << 8),
            );
            for (offset, _, reset) in array_registers() {
                put32(bar0, offset, reset);
            }
            build_peerbar_config(&mut st.config);
        }
        dev.snapshot_initial_state();
        dev
    }

    /// Makes CAPABILITIES announce a DMA engine with `queues` queue pairs and MSI-X (as the
    /// default RTL build does), whatever the generated map's reset value says.
    pub fn with_dma_engine(mut self, queues: u8) -> FakeDevice {
        let caps = regs::CAPABILITIES_REG.offset;
        let old = get32(
            &self.peek_bar(BarIndex::BAR0).expect("peerbar BAR0"),
            caps as usize,
        );
        let datapath = regs::CAPABILITIES::DATAPATH_BYTES;
        let value = (old & (datapath.mask << datapath.shift))
            | (regs::CAPABILITIES::DMA_QUEUES.val(u32::from(queues))
                + regs::CAPABILITIES::DMA_ENGINE::SET
                + regs::CAPABILITIES::MSIX::SET)
                .value;
        self.poke_bar32(BarIndex::BAR0, caps, value);
        self.snapshot_initial_state();
        self
    }

    /// Replaces the IOVA ranges [`Device::iova_ranges`] reports.
    pub fn with_iova_ranges(mut self, ranges: impl IntoIterator<Item = Range<u64>>) -> FakeDevice {
        self.iova_ranges = ranges.into_iter().collect();
        self
    }

    /// Puts the device in an IOMMU address space shared with others, whose IOVAs all come
    /// from `allocator` (as VFIO devices opened into one container).
    pub fn with_shared_iova_allocator(
        mut self,
        allocator: std::sync::Arc<crate::hostmem::IovaAllocator>,
    ) -> FakeDevice {
        self.shared_iova = Some(allocator);
        self
    }

    fn dma_lock(&self) -> MutexGuard<'_, DmaState> {
        self.dma.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The current IOMMU windows as (IOVA, length), lowest first.
    pub fn dma_windows(&self) -> Vec<(BusAddr, usize)> {
        self.dma_lock()
            .windows
            .iter()
            .map(|(&iova, w)| (BusAddr::new(iova), w.len))
            .collect()
    }

    /// Runs `f` on each (host pointer, length) piece of `len` bytes at `iova`, all of which
    /// must be mapped (else [`Error::DmaMapRejected`], like an IOMMU fault), with the DMA lock
    /// held so that no window is unmapped meanwhile.
    fn with_dma_range(
        &self,
        iova: BusAddr,
        len: usize,
        mut f: impl FnMut(*mut u8, usize, usize),
    ) -> Result<()> {
        let st = self.dma_lock();
        let fault = |fault: DmaMapFault| Error::DmaMapRejected { iova, len, fault };
        // Check everything first, so a faulting access touches nothing.
        let mut pieces = Vec::new();
        let mut at = iova.get();
        let end = at
            .checked_add(len as u64)
            .ok_or_else(|| fault(DmaMapFault::Overflow))?;
        while at < end {
            let (&base, w) = st
                .windows
                .range(..=at)
                .next_back()
                .filter(|(&base, w)| at < base + w.len as u64)
                .ok_or_else(|| fault(DmaMapFault::NotMapped))?;
            let within = (at - base) as usize;
            let n = (w.len - within).min((end - at) as usize);
            pieces.push((w.host + within, n));
            at += n as u64;
        }
        let mut done = 0;
        for (host, n) in pieces {
            f(host as *mut u8, n, done);
            done += n;
        }
        Ok(())
    }

    /// Plays the device's part of a DMA read: copies `buf.len()` bytes at bus address `iova`
    /// out of mapped host memory. An unmapped byte fails the whole read, copying nothing.
    pub fn dma_read(&self, iova: BusAddr, buf: &mut [u8]) -> Result<()> {
        self.with_dma_range(iova, buf.len(), |host, n, done| {
            for (i, b) in buf[done..done + n].iter_mut().enumerate() {
                // SAFETY: `host..host + n` lies inside a window registered by `map_dma`, whose
                // contract keeps the memory allocated until `unmap_dma`, which cannot run while
                // we hold the DMA lock. Volatile: the CPU side uses the memory concurrently.
                *b = unsafe { host.add(i).read_volatile() };
            }
        })
    }

    /// Plays the device's part of a DMA write into mapped host memory at `iova`. An unmapped
    /// byte fails the whole write, writing nothing.
    pub fn dma_write(&self, iova: BusAddr, data: &[u8]) -> Result<()> {
        self.with_dma_range(iova, data.len(), |host, n, done| {
            for (i, &b) in data[done..done + n].iter().enumerate() {
                // SAFETY: as in `dma_read`: inside a live window, unmapping excluded by the lock.
                unsafe { host.add(i).write_volatile(b) };
            }
        })
    }

    /// Raises MSI-X `vector`: true when MSI-X is enabled with that vector and the driver's
    /// channel is still open.
    pub fn fire_msix(&self, vector: u16) -> bool {
        match &self.dma_lock().msix {
            Some((vectors, tx)) if vector < *vectors => tx.send(vector).is_ok(),
            _ => false,
        }
    }

    /// The number of MSI-X vectors enabled, `None` when MSI-X is disabled.
    pub fn msix_vectors(&self) -> Option<u16> {
        self.dma_lock().msix.as_ref().map(|(v, _)| *v)
    }

    /// Sets the name [`Device::describe`] returns.
    pub fn with_name(mut self, name: &str) -> FakeDevice {
        self.name = name.to_owned();
        self
    }

    /// Writes a 32-bit little-endian value into a BAR's array, bypassing register semantics
    /// (plays the hardware's part: set a status bit, raise a counter). Panics when out of range.
    pub fn poke_bar32(&self, bar: BarIndex, offset: u64, value: u32) {
        let mut st = self.lock();
        let array = st.bars[usize::from(bar.get())]
            .as_mut()
            .expect("poke_bar32 on an absent BAR");
        put32(array, offset as usize, value);
    }

    /// A copy of a BAR's contents (`None` for an absent BAR).
    pub fn peek_bar(&self, bar: BarIndex) -> Option<Vec<u8>> {
        self.lock().bars[usize::from(bar.get())].clone()
    }

    /// Writes raw bytes into config space (no write masks). Panics when out of range.
    pub fn poke_config(&self, offset: u16, data: &[u8]) {
        let mut st = self.lock();
        let start = usize::from(offset);
        st.config[start..start + data.len()].copy_from_slice(data);
    }

    /// Makes the current contents the state [`Device::reset`] returns to.
    pub fn snapshot_initial_state(&mut self) {
        let st = self.state.get_mut().unwrap_or_else(|e| e.into_inner());
        self.initial_bar0 = st.bars[0].clone();
        self.initial_config = st.config.clone();
    }

    /// How many times [`Device::reset`] was called.
    pub fn reset_count(&self) -> u32 {
        self.resets.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic in another test thread while holding the lock leaves plain bytes behind,
        // which are still consistent enough for a fake.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn read_bar(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8], align: u64) -> Result<()> {
        let st = self.lock();
        let array = st.bars[usize::from(bar.get())].as_deref();
        check_bar_access(
            array.map(|a| a.len() as u64),
            bar,
            offset,
            buf.len() as u64,
            align,
        )?;
        let array = array.expect("checked above");
        let start = offset.get() as usize;
        buf.copy_from_slice(&array[start..start + buf.len()]);
        Ok(())
    }

    fn write_bar(&self, bar: BarIndex, offset: BarOffset, data: &[u8], align: u64) -> Result<()> {
        let mut st = self.lock();
        let array = st.bars[usize::from(bar.get())].as_deref_mut();
        check_bar_access(
            array.as_ref().map(|a| a.len() as u64),
            bar,
            offset,
            data.len() as u64,
            align,
        )?;
        let array = array.expect("checked above");
        let start = offset.get() as usize;
        if self.peerbar_registers && bar == BarIndex::BAR0 {
            write_registers(array, start, data);
        } else {
            array[start..start + data.len()].copy_from_slice(data);
        }
        Ok(())
    }
}

impl std::fmt::Debug for FakeDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeDevice")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

fn put32(array: &mut [u8], offset: usize, value: u32) {
    array[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
}

fn get32(array: &[u8], offset: usize) -> u32 {
    let mut b = [0u8; 4];
    b.copy_from_slice(&array[offset..offset + 4]);
    u32::from_le_bytes(b)
}

/// Every instance of every array register (the QUEUE block) as (offset, rw mask, reset).
fn array_registers() -> impl Iterator<Item = (usize, u32, u32)> {
    ALL_ARRAYS.iter().flat_map(|array| {
        (0..u64::from(array.count)).flat_map(move |i| {
            array.registers.iter().map(move |reg| {
                let rw = reg
                    .fields
                    .iter()
                    .filter(|f| f.access == Access::ReadWrite)
                    .fold(0, |m, f| m | f.mask_in_register());
                (
                    (array.base + i * array.stride + reg.offset) as usize,
                    rw,
                    reg.reset,
                )
            })
        })
    })
}

/// Applies a BAR0 write of `data` at `start` with peerbar register semantics: only `rw` field
/// bits change (byte enables honoured), `w1p` bits trigger their action, everything else
/// (constants, status, offsets that name no register) ignores the write.
fn write_registers(bar0: &mut [u8], start: usize, data: &[u8]) {
    let end = start + data.len();
    for reg in ALL_REGISTERS {
        let reg_start = reg.offset as usize;
        if reg_start + 4 <= start || reg_start >= end {
            continue;
        }
        let mut value = 0u32;
        let mut byte_mask = 0u32;
        for i in 0..4 {
            let at = reg_start + i;
            if (start..end).contains(&at) {
                value |= u32::from(data[at - start]) << (8 * i);
                byte_mask |= 0xff << (8 * i);
            }
        }
        let mask_of = |access: Access| -> u32 {
            reg.fields
                .iter()
                .filter(|f| f.access == access)
                .fold(0, |m, f| m | f.mask_in_register())
        };
        let rw = mask_of(Access::ReadWrite) & byte_mask;
        let old = get32(bar0, reg_start);
        put32(bar0, reg_start, (old & !rw) | (value & rw));
        let pulsed = value & mask_of(Access::WriteOnePulse) & byte_mask;
        if reg.offset == regs::DMA_CONTROL_REG.offset
            && pulsed & regs::DMA_CONTROL::RESET::SET.value != 0
        {
            // Abort everything: every queue is disabled.
            for q in 0..regs::QUEUE_CONTROL_REG.count {
                let control = regs::QUEUE_CONTROL_REG.at(q).expect("in range").offset;
                put32(bar0, control as usize, 0);
            }
        }
        if reg.offset == regs::CONTROL_REG.offset
            && pulsed & regs::CONTROL::CLEAR_ERRORS::SET.value != 0
        {
            for cleared in [
                regs::DROPPED_WRITES_REG.offset,
                regs::UNSUPPORTED_REQUESTS_REG.offset,
                regs::ERROR_LOG_REG.offset,
                regs::ERROR_ADDR_LO_REG.offset,
                regs::ERROR_ADDR_HI_REG.offset,
            ] {
                put32(bar0, cleared as usize, 0);
            }
        }
    }
    for (offset, rw, _) in array_registers() {
        if offset + 4 <= start || offset >= end {
            continue;
        }
        let mut value = 0u32;
        let mut byte_mask = 0u32;
        for i in 0..4 {
            let at = offset + i;
            if (start..end).contains(&at) {
                value |= u32::from(data[at - start]) << (8 * i);
                byte_mask |= 0xff << (8 * i);
            }
        }
        let rw = rw & byte_mask;
        let old = get32(bar0, offset);
        put32(bar0, offset, (old & !rw) | (value & rw));
    }
}

/// Config space of the fake peerbar endpoint: type 0 header, capability list
/// MSI-X (0x60) -> PCI Express (0x70).
fn build_peerbar_config(cs: &mut [u8]) {
    let put16 = |cs: &mut [u8], at: usize, v: u16| cs[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |cs: &mut [u8], at: usize, v: u32| cs[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(cs, 0x00, FAKE_VENDOR_ID);
    put16(cs, 0x02, FAKE_DEVICE_ID);
    put16(cs, 0x04, 0x0006); // memory space + bus master enabled
    put16(cs, 0x06, 1 << 4); // capabilities list present
    put32(cs, 0x08, 0x0580_0000); // class 05 80 00 (memory controller, other), revision 0
    put32(cs, 0x10, 0xfe00_0000); // BAR0: 32-bit memory
    put32(cs, 0x18, 0x0000_000c); // BAR2: 64-bit prefetchable memory
    put32(cs, 0x1c, 0x0000_0038);
    put16(cs, 0x2c, FAKE_VENDOR_ID);
    put16(cs, 0x2e, 0x0007);
    cs[0x34] = FAKE_CAP_MSIX as u8;

    let msix = usize::from(FAKE_CAP_MSIX);
    cs[msix] = 0x11;
    cs[msix + 1] = FAKE_CAP_PCIE as u8;
    // MSI-X disabled; table and PBA in BAR0 (BIR 0) where the register map puts them.
    put16(cs, msix + 2, FAKE_MSIX_VECTORS - 1);
    put32(cs, msix + 4, regs::MSIX_TABLE_BASE as u32);
    put32(cs, msix + 8, regs::MSIX_PBA_REG.offset as u32);

    let pcie = usize::from(FAKE_CAP_PCIE);
    cs[pcie] = 0x10;
    cs[pcie + 1] = 0x00; // end of list
    put16(cs, pcie + 2, 0x0002); // version 2, endpoint
    put32(cs, pcie + 4, 0b011); // max payload supported 1024 B
    put16(cs, pcie + 8, (1 << 5) | (2 << 12)); // MPS 256 B, MRRS 512 B
    put32(cs, pcie + 0x0c, 3 | (8 << 4)); // link capabilities 8 GT/s x8
    put16(cs, pcie + 0x12, 3 | (8 << 4)); // link status 8 GT/s x8
}

impl Device for FakeDevice {
    fn describe(&self) -> String {
        self.name.clone()
    }

    fn config_read(&self, offset: u16, buf: &mut [u8]) -> Result<()> {
        check_config_access(offset, buf.len())?;
        let st = self.lock();
        let start = usize::from(offset);
        buf.copy_from_slice(&st.config[start..start + buf.len()]);
        Ok(())
    }

    fn config_write(&self, offset: u16, data: &[u8]) -> Result<()> {
        check_config_access(offset, data.len())?;
        let mut st = self.lock();
        let start = usize::from(offset);
        st.config[start..start + data.len()].copy_from_slice(data);
        Ok(())
    }

    fn bar_len(&self, bar: BarIndex) -> Option<u64> {
        self.lock().bars[usize::from(bar.get())]
            .as_ref()
            .map(|a| a.len() as u64)
    }

    fn bar_read8(&self, bar: BarIndex, offset: BarOffset) -> Result<u8> {
        let mut b = [0u8; 1];
        self.read_bar(bar, offset, &mut b, 1)?;
        Ok(b[0])
    }

    fn bar_read16(&self, bar: BarIndex, offset: BarOffset) -> Result<u16> {
        let mut b = [0u8; 2];
        self.read_bar(bar, offset, &mut b, 2)?;
        Ok(u16::from_le_bytes(b))
    }

    fn bar_read32(&self, bar: BarIndex, offset: BarOffset) -> Result<u32> {
        let mut b = [0u8; 4];
        self.read_bar(bar, offset, &mut b, 4)?;
        Ok(u32::from_le_bytes(b))
    }

    fn bar_read64(&self, bar: BarIndex, offset: BarOffset) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_bar(bar, offset, &mut b, 8)?;
        Ok(u64::from_le_bytes(b))
    }

    fn bar_write8(&self, bar: BarIndex, offset: BarOffset, value: u8) -> Result<()> {
        self.write_bar(bar, offset, &[value], 1)
    }

    fn bar_write16(&self, bar: BarIndex, offset: BarOffset, value: u16) -> Result<()> {
        self.write_bar(bar, offset, &value.to_le_bytes(), 2)
    }

    fn bar_write32(&self, bar: BarIndex, offset: BarOffset, value: u32) -> Result<()> {
        self.write_bar(bar, offset, &value.to_le_bytes(), 4)
    }

    fn bar_write64(&self, bar: BarIndex, offset: BarOffset, value: u64) -> Result<()> {
        self.write_bar(bar, offset, &value.to_le_bytes(), 8)
    }

    fn bar_read(&self, bar: BarIndex, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        self.read_bar(bar, offset, buf, 1)
    }

    fn bar_write(&self, bar: BarIndex, offset: BarOffset, data: &[u8]) -> Result<()> {
        self.write_bar(bar, offset, data, 1)
    }

    fn iova_ranges(&self) -> Result<Vec<Range<u64>>> {
        Ok(self.iova_ranges.clone())
    }

    unsafe fn map_dma(&self, host: *mut u8, len: usize, iova: BusAddr) -> Result<()> {
        let reject = |fault: DmaMapFault| Err(Error::DmaMapRejected { iova, len, fault });
        if len == 0 {
            return reject(DmaMapFault::Empty);
        }
        if (host as u64 | len as u64 | iova.get()) % FAKE_PAGE != 0 {
            return reject(DmaMapFault::Misaligned { align: 4096 });
        }
        let Some(end) = iova.checked_add(len as u64) else {
            return reject(DmaMapFault::Overflow);
        };
        if !self
            .iova_ranges
            .iter()
            .any(|r| r.start <= iova.get() && end.get() <= r.end)
        {
            return reject(DmaMapFault::OutsideIovaRanges);
        }
        let mut st = self.dma_lock();
        let overlaps = st
            .windows
            .range(..end.get())
            .next_back()
            .is_some_and(|(&base, w)| base + w.len as u64 > iova.get());
        if overlaps {
            return reject(DmaMapFault::Overlaps);
        }
        st.windows.insert(
            iova.get(),
            DmaWindow {
                host: host as usize,
                len,
            },
        );
        Ok(())
    }

    fn unmap_dma(&self, iova: BusAddr, len: usize) -> Result<()> {
        let mut st = self.dma_lock();
        match st.windows.get(&iova.get()) {
            Some(w) if w.len == len => {
                st.windows.remove(&iova.get());
                Ok(())
            }
            _ => Err(Error::DmaMapRejected {
                iova,
                len,
                fault: DmaMapFault::NotOneMapping,
            }),
        }
    }

    fn bar_bus_addr(&self, bar: BarIndex) -> Result<BusAddr> {
        if self.bar_len(bar).is_none() {
            return Err(Error::NoSuchBar { bar });
        }
        bar_bus_addr_from_config(self, bar)
    }

    fn shared_iova_allocator(&self) -> Option<std::sync::Arc<crate::hostmem::IovaAllocator>> {
        self.shared_iova.clone()
    }

    fn enable_msix(&self, vectors: u16) -> Result<Receiver<u16>> {
        let (tx, rx) = crossbeam_channel::unbounded();
        self.dma_lock().msix = Some((vectors, tx));
        Ok(rx)
    }

    fn disable_msix(&self) -> Result<()> {
        self.dma_lock().msix = None;
        Ok(())
    }

    fn reset(&self) -> Result<()> {
        self.resets.fetch_add(1, Ordering::Relaxed);
        let mut st = self.lock();
        if let Some(initial) = &self.initial_bar0 {
            st.bars[0] = Some(initial.clone());
        }
        st.config.clone_from(&self.initial_config);
        Ok(())
    }
}

#[cfg(test)]
mod tests;
