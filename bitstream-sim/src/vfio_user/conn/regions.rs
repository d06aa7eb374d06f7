// SPDX-License-Identifier: MIT OR Apache-2.0
//! REGION_READ and REGION_WRITE: config space and BAR accesses on the client's behalf.

use peerbar::device::vfio_user::wire::{self, region, Header};
use peerbar::device::CONFIG_SPACE_LEN;
use peerbar::{BarIndex, BarOffset};
use zerocopy::IntoBytes;

use super::{args, device_refusal, refuse, Connection, Refusal};

impl Connection {
    /// Size of a region, `None` when the device has no such region.
    pub(super) fn region_size(&self, index: u32) -> Option<u64> {
        match index {
            region::CONFIG => Some(CONFIG_SPACE_LEN as u64),
            0..=5 => self.device.bar_len(BarIndex::new(index as u8)?),
            _ => None,
        }
    }

    /// Checks an access: the region exists, the bytes lie inside it, the size is allowed.
    fn check_access(&self, access: &wire::RegionAccess) -> Result<(), Refusal> {
        let Some(size) = self.region_size(access.region) else {
            return refuse(libc::EINVAL, format!("no region {}", access.region));
        };
        if access.count > self.max_xfer {
            return refuse(
                libc::E2BIG,
                format!(
                    "{} bytes in one access, at most {}",
                    access.count, self.max_xfer
                ),
            );
        }
        let end = access.offset.checked_add(u64::from(access.count));
        if end.is_none_or(|end| end > size) {
            return refuse(
                libc::EINVAL,
                format!(
                    "{} bytes at {:#x} run past the end of region {} ({size:#x} bytes)",
                    access.count, access.offset, access.region
                ),
            );
        }
        Ok(())
    }

    pub(super) fn region_read(
        &mut self,
        header: &Header,
        payload: &[u8],
    ) -> Result<Vec<u8>, Refusal> {
        let (access, _) = args::<wire::RegionAccess>(header, payload)?;
        self.check_access(&access)?;
        let mut data = vec![0u8; access.count as usize];
        let dev = &*self.device;
        if access.region == region::CONFIG {
            dev.config_read(access.offset as u16, &mut data)
        } else {
            let bar = BarIndex::new(access.region as u8).expect("check_access found the region");
            let at = BarOffset::new(access.offset);
            let aligned = access.offset % u64::from(access.count.max(1)) == 0;
            match (access.count, aligned) {
                (1, _) => dev.bar_read8(bar, at).map(|v| data.copy_from_slice(&[v])),
                (2, true) => dev
                    .bar_read16(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                (4, true) => dev
                    .bar_read32(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                (8, true) => dev
                    .bar_read64(bar, at)
                    .map(|v| data.copy_from_slice(&v.to_le_bytes())),
                _ => dev.bar_read(bar, at, &mut data),
            }
        }
        .map_err(device_refusal)?;
        let mut out = access.as_bytes().to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    pub(super) fn region_write(
        &mut self,
        header: &Header,
        payload: &[u8],
    ) -> Result<Vec<u8>, Refusal> {
        let (access, data) = args::<wire::RegionAccess>(header, payload)?;
        self.check_access(&access)?;
        if data.len() != access.count as usize {
            return refuse(
                libc::EINVAL,
                format!(
                    "REGION_WRITE of {} bytes carries {}",
                    access.count,
                    data.len()
                ),
            );
        }
        let dev = &*self.device;
        if access.region == region::CONFIG {
            dev.config_write(access.offset as u16, data)
        } else {
            let bar = BarIndex::new(access.region as u8).expect("check_access found the region");
            let at = BarOffset::new(access.offset);
            let aligned = access.offset % u64::from(access.count.max(1)) == 0;
            match (data, aligned) {
                (&[b], _) => dev.bar_write8(bar, at, b),
                (&[a, b], true) => dev.bar_write16(bar, at, u16::from_le_bytes([a, b])),
                (d, true) if d.len() == 4 => {
                    dev.bar_write32(bar, at, u32::from_le_bytes(d.try_into().expect("4 bytes")))
                }
                (d, true) if d.len() == 8 => {
                    dev.bar_write64(bar, at, u64::from_le_bytes(d.try_into().expect("8 bytes")))
                }
                (d, _) => dev.bar_write(bar, at, d),
            }
        }
        .map_err(device_refusal)?;
        Ok(access.as_bytes().to_vec())
    }
}
