// SPDX-License-Identifier: MIT OR Apache-2.0
//! The NVM command set on namespace 1: Read, Write, Flush. Checks run in this order, the
//! first failure deciding the status: opcode, common fields (FUSE, reserved CDW0 bits, PSDT),
//! NSID, MDTS, LBA range, then the data pointer walk.

use super::bus::NvmeBus;
use super::command::{Psdt, Sqe};
use super::data_pointer::{map_prp, map_sgl, Segment};
use super::status::Status;
use super::transfer::{Source, Transfer};
use super::{CommandState, NvmeController};

const FLUSH: u8 = 0x00;
const WRITE: u8 = 0x01;
const READ: u8 = 0x02;

impl NvmeController {
    pub(super) fn execute_io(&mut self, sqe: &Sqe, bus: &mut dyn NvmeBus) -> CommandState {
        self.io_command(sqe, bus)
            .unwrap_or_else(CommandState::failed)
    }

    fn io_command(&mut self, sqe: &Sqe, bus: &mut dyn NvmeBus) -> Result<CommandState, Status> {
        let opcode = sqe.opcode();
        if !matches!(opcode, FLUSH | WRITE | READ) {
            return Err(Status::INVALID_OPCODE);
        }
        let sgl_refused = sqe.psdt() == Psdt::Sgl && !self.config.sgl;
        if sqe.fuse() != 0
            || sqe.cdw0_reserved() != 0
            || sqe.psdt() == Psdt::Reserved
            || sgl_refused
        {
            return Err(Status::INVALID_FIELD);
        }
        if sqe.nsid() != 1 {
            return Err(Status::INVALID_NAMESPACE);
        }
        if opcode == FLUSH {
            self.namespace.flush().map_err(|e| {
                log::error!("NVMe: {} flush: {e}", self.namespace.describe());
                Status::INTERNAL_ERROR
            })?;
            return Ok(CommandState::done(0));
        }
        let slba = u64::from(sqe.cdw(10)) | (u64::from(sqe.cdw(11)) << 32);
        // CDW12 NLB (15:0) is 0-based; the other CDW12/13 hints (FUA, LR, DSM) change nothing
        // in a model without a cache.
        let blocks = u64::from(sqe.cdw(12) & 0xffff) + 1;
        let lba_size = u64::from(self.config.lba_size);
        let len = blocks * lba_size;
        if self.config.max_transfer().is_some_and(|max| len > max) {
            return Err(Status::INVALID_FIELD);
        }
        if slba
            .checked_add(blocks)
            .is_none_or(|end| end > self.namespace.blocks())
        {
            return Err(Status::LBA_OUT_OF_RANGE);
        }
        let write = opcode == WRITE;
        let segments = self.map_data_pointer(sqe, len, write, bus)?;
        let offset = slba * lba_size;
        Ok(CommandState::Moving(if write {
            Transfer::from_host(segments, offset)
        } else {
            Transfer::to_host(segments, Source::Namespace(offset))
        }))
    }

    /// The command's data pointer as bus segments for `len` bytes (PSDT already checked).
    /// A refused PRP list or SGL segment fetch counts as a DMA fault.
    pub(super) fn map_data_pointer(
        &mut self,
        sqe: &Sqe,
        len: u64,
        write: bool,
        bus: &mut dyn NvmeBus,
    ) -> Result<Vec<Segment>, Status> {
        let segments = match sqe.psdt() {
            Psdt::Prp => map_prp(sqe.prp1(), sqe.prp2(), len, bus),
            Psdt::Sgl => map_sgl(sqe.sgl(), len, write, bus),
            Psdt::Reserved => Err(Status::INVALID_FIELD),
        };
        if segments == Err(Status::DATA_TRANSFER_ERROR) {
            self.stats.dma_faults += 1;
        }
        segments
    }
}
