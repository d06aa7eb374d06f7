// SPDX-License-Identifier: MIT OR Apache-2.0
//! The admin command set: Identify, Create/Delete I/O SQ and CQ, Set/Get Features Number of
//! Queues. Every command takes effect when it is fetched; its completion follows the latency
//! rule like any other (Delete I/O SQ also waits for the queue's commands).

use super::bus::NvmeBus;
use super::command::{Psdt, Sqe, CQ_ENTRY_SIZE, SQ_ENTRY_SIZE};
use super::config_space::{SUBSYSTEM_VENDOR_ID, VENDOR_ID};
use super::data_pointer::PAGE;
use super::queues::{CompletionQueue, SubmissionQueue};
use super::registers::VERSION;
use super::status::Status;
use super::transfer::{Source, Transfer};
use super::{CommandState, NvmeController};

const DELETE_IO_SQ: u8 = 0x00;
const CREATE_IO_SQ: u8 = 0x01;
const DELETE_IO_CQ: u8 = 0x04;
const CREATE_IO_CQ: u8 = 0x05;
const IDENTIFY: u8 = 0x06;
const SET_FEATURES: u8 = 0x09;
const GET_FEATURES: u8 = 0x0a;

const FEATURE_NUMBER_OF_QUEUES: u32 = 0x07;
/// Identify data structures are one 4 KiB page.
const IDENTIFY_LEN: usize = 4096;
/// Controller ID of the only controller.
const CONTROLLER_ID: u16 = 1;
/// CC.IOSQES / CC.IOCQES the I/O queues need (log2 of 64 and 16 bytes).
const IOSQES: u32 = 6;
const IOCQES: u32 = 4;

impl NvmeController {
    pub(super) fn execute_admin(&mut self, sqe: &Sqe, bus: &mut dyn NvmeBus) -> CommandState {
        let known = matches!(
            sqe.opcode(),
            DELETE_IO_SQ
                | CREATE_IO_SQ
                | DELETE_IO_CQ
                | CREATE_IO_CQ
                | IDENTIFY
                | SET_FEATURES
                | GET_FEATURES
        );
        let outcome = if !known {
            Err(Status::INVALID_OPCODE)
        } else if sqe.fuse() != 0 || sqe.cdw0_reserved() != 0 || sqe.psdt() != Psdt::Prp {
            // Admin commands use PRPs only (NVMe over PCIe).
            Err(Status::INVALID_FIELD)
        } else {
            match sqe.opcode() {
                DELETE_IO_SQ => self.delete_sq(sqe),
                CREATE_IO_SQ => self.create_sq(sqe),
                DELETE_IO_CQ => self.delete_cq(sqe),
                CREATE_IO_CQ => self.create_cq(sqe),
                IDENTIFY => self.identify(sqe, bus),
                SET_FEATURES => self.set_features(sqe),
                _ => self.get_features(sqe),
            }
        };
        outcome.unwrap_or_else(CommandState::failed)
    }

    /// Queue ID and size in entries (CDW10: QID 15:0, 0-based QSIZE 31:16), checked against
    /// the negotiated count `allowed` and CAP.MQES.
    fn new_queue_id_and_size(
        &self,
        sqe: &Sqe,
        allowed: u16,
        exists: bool,
    ) -> Result<(u16, u32), Status> {
        let cdw10 = sqe.cdw(10);
        let qid = cdw10 as u16;
        let entries = (cdw10 >> 16) + 1;
        if qid == 0 || qid > allowed || exists {
            return Err(Status::INVALID_QUEUE_IDENTIFIER);
        }
        if entries < 2 || entries > self.config.max_queue_entries {
            return Err(Status::INVALID_QUEUE_SIZE);
        }
        // CDW11 bit 0, PC: only physically contiguous queues (CAP.CQR = 1).
        if sqe.cdw(11) & 1 == 0 {
            return Err(Status::INVALID_FIELD);
        }
        Ok((qid, entries))
    }

    fn create_cq(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let qid = sqe.cdw(10) as u16;
        let (qid, entries) =
            self.new_queue_id_and_size(sqe, self.cqs_allowed, self.cqs.contains_key(&qid))?;
        let cdw11 = sqe.cdw(11);
        let interrupts = cdw11 & 0b10 != 0;
        let vector = (cdw11 >> 16) as u16;
        if interrupts && vector >= self.config.msix_vectors {
            return Err(Status::INVALID_INTERRUPT_VECTOR);
        }
        if self.regs.cc.iocqes() != IOCQES {
            return Err(Status::INVALID_FIELD);
        }
        let base = checked_queue_base(sqe.prp1(), entries, CQ_ENTRY_SIZE)?;
        let cq = CompletionQueue::new(base, entries, interrupts.then_some(vector));
        self.cqs.insert(qid, cq);
        Ok(CommandState::done(0))
    }

    fn create_sq(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let qid = sqe.cdw(10) as u16;
        let (qid, entries) =
            self.new_queue_id_and_size(sqe, self.sqs_allowed, self.sqs.contains_key(&qid))?;
        // CDW11: CQID 31:16; QPRIO (2:1) means nothing under round robin.
        let cq_id = (sqe.cdw(11) >> 16) as u16;
        if cq_id == 0 || !self.cqs.contains_key(&cq_id) {
            return Err(Status::COMPLETION_QUEUE_INVALID);
        }
        if self.regs.cc.iosqes() != IOSQES {
            return Err(Status::INVALID_FIELD);
        }
        let base = checked_queue_base(sqe.prp1(), entries, SQ_ENTRY_SIZE)?;
        self.sqs
            .insert(qid, SubmissionQueue::new(base, entries, cq_id));
        if let Some(cq) = self.cqs.get_mut(&cq_id) {
            cq.sqs += 1;
        }
        Ok(CommandState::done(0))
    }

    fn delete_sq(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let qid = sqe.cdw(10) as u16;
        match self.sqs.get_mut(&qid) {
            Some(sq) if qid != 0 && qid <= self.sqs_allowed && !sq.deleting => {
                sq.deleting = true;
                Ok(CommandState::DeletingSq(qid))
            }
            _ => Err(Status::INVALID_QUEUE_IDENTIFIER),
        }
    }

    fn delete_cq(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let qid = sqe.cdw(10) as u16;
        match self.cqs.get(&qid) {
            Some(cq) if qid != 0 && qid <= self.cqs_allowed => {
                if cq.sqs != 0 {
                    return Err(Status::INVALID_QUEUE_DELETION);
                }
                self.cqs.remove(&qid);
                Ok(CommandState::done(0))
            }
            _ => Err(Status::INVALID_QUEUE_IDENTIFIER),
        }
    }

    /// Number of Queues: the host asks for NSQR/NCQR (0-based) I/O queues and gets at most
    /// `max_io_queues`; only before the first I/O queue exists.
    fn set_features(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let cdw10 = sqe.cdw(10);
        if cdw10 & 0xff != FEATURE_NUMBER_OF_QUEUES {
            return Err(Status::INVALID_FIELD);
        }
        if cdw10 >> 31 != 0 {
            return Err(Status::FEATURE_NOT_SAVEABLE);
        }
        if self.sqs.len() > 1 || self.cqs.len() > 1 {
            return Err(Status::COMMAND_SEQUENCE_ERROR);
        }
        let cdw11 = sqe.cdw(11);
        let (nsqr, ncqr) = (cdw11 as u16, (cdw11 >> 16) as u16);
        if nsqr == u16::MAX || ncqr == u16::MAX {
            return Err(Status::INVALID_FIELD);
        }
        self.sqs_allowed = (nsqr + 1).min(self.config.max_io_queues);
        self.cqs_allowed = (ncqr + 1).min(self.config.max_io_queues);
        Ok(CommandState::done(self.queue_counts()))
    }

    /// Number of Queues: SEL (CDW10 10:8) 0 current, 1 default, 2 saved (= default),
    /// 3 supported capabilities (changeable).
    fn get_features(&mut self, sqe: &Sqe) -> Result<CommandState, Status> {
        let cdw10 = sqe.cdw(10);
        if cdw10 & 0xff != FEATURE_NUMBER_OF_QUEUES {
            return Err(Status::INVALID_FIELD);
        }
        let max = u32::from(self.config.max_io_queues - 1);
        let result = match (cdw10 >> 8) & 0x7 {
            0 => self.queue_counts(),
            1 | 2 => max | (max << 16),
            3 => 1 << 2,
            _ => return Err(Status::INVALID_FIELD),
        };
        Ok(CommandState::done(result))
    }

    /// NSQA | NCQA << 16, both 0-based.
    fn queue_counts(&self) -> u32 {
        u32::from(self.sqs_allowed - 1) | (u32::from(self.cqs_allowed - 1) << 16)
    }

    fn identify(&mut self, sqe: &Sqe, bus: &mut dyn NvmeBus) -> Result<CommandState, Status> {
        let nsid = sqe.nsid();
        let data = match sqe.cdw(10) & 0xff {
            0 if nsid == 1 => self.identify_namespace(),
            0 => return Err(Status::INVALID_NAMESPACE),
            1 => self.identify_controller(),
            2 if nsid < 0xffff_fffe => {
                // Active namespaces above NSID: just namespace 1, if it is above.
                let mut list = vec![0u8; IDENTIFY_LEN];
                if nsid == 0 {
                    put(&mut list, 0, &1u32.to_le_bytes());
                }
                list
            }
            2 => return Err(Status::INVALID_NAMESPACE),
            // Namespace Identification Descriptor list (mandatory since NVMe 1.3): one
            // Command Set Identifier descriptor (NIDT 04h, NIDL 1) naming the NVM command
            // set (CSI 00h), then the zero header that ends the list.
            3 if nsid == 1 => {
                let mut list = vec![0u8; IDENTIFY_LEN];
                put(&mut list, 0, &[0x04, 1, 0, 0, 0x00]);
                list
            }
            3 => return Err(Status::INVALID_NAMESPACE),
            _ => return Err(Status::INVALID_FIELD),
        };
        let segments = self.map_data_pointer(sqe, IDENTIFY_LEN as u64, false, bus)?;
        Ok(CommandState::Moving(Transfer::to_host(
            segments,
            Source::Buffer(data),
        )))
    }

    /// Identify Controller (CNS 1), NVMe 1.4 byte offsets.
    fn identify_controller(&self) -> Vec<u8> {
        let c = &self.config;
        let mut d = vec![0u8; IDENTIFY_LEN];
        put(&mut d, 0, &VENDOR_ID.to_le_bytes()); // VID
        put(&mut d, 2, &SUBSYSTEM_VENDOR_ID.to_le_bytes()); // SSVID
        put_text(&mut d, 4, 20, &c.serial); // SN
        put_text(&mut d, 24, 40, &c.model); // MN
        put_text(&mut d, 64, 8, &c.firmware); // FR
        d[77] = c.mdts; // MDTS
        put(&mut d, 78, &CONTROLLER_ID.to_le_bytes()); // CNTLID
        put(&mut d, 80, &VERSION.to_le_bytes()); // VER
        d[111] = 1; // CNTRLTYPE: I/O controller
        put(&mut d, 266, &343u16.to_le_bytes()); // WCTEMP: 70 °C, in kelvin
        put(&mut d, 268, &358u16.to_le_bytes()); // CCTEMP: 85 °C
        d[512] = ((IOSQES as u8) << 4) | IOSQES as u8; // SQES: 64 bytes, required = maximum
        d[513] = ((IOCQES as u8) << 4) | IOCQES as u8; // CQES: 16 bytes
        put(&mut d, 516, &1u32.to_le_bytes()); // NN
        let sgls: u32 = if c.sgl { 0b01 | (1 << 16) } else { 0 };
        put(&mut d, 536, &sgls.to_le_bytes()); // SGLS: byte-aligned, Bit Bucket
                                               // SUBNQN, the NVMe 1.4 form for controllers without an assigned NQN.
        let nqn = format!(
            "nqn.2014.08.org.nvmexpress:{VENDOR_ID:04x}{SUBSYSTEM_VENDOR_ID:04x}{:<20}{:<40}",
            c.serial, c.model
        );
        put(&mut d, 768, nqn.as_bytes());
        put(&mut d, 2048, &2500u16.to_le_bytes()); // power state 0: MP 25 W
        d
    }

    /// Identify Namespace (CNS 0) for namespace 1: one LBA format, no metadata.
    fn identify_namespace(&self) -> Vec<u8> {
        let blocks = self.namespace.blocks();
        let mut d = vec![0u8; IDENTIFY_LEN];
        put(&mut d, 0, &blocks.to_le_bytes()); // NSZE
        put(&mut d, 8, &blocks.to_le_bytes()); // NCAP
        put(&mut d, 16, &blocks.to_le_bytes()); // NUSE
                                                // NLBAF (25) = 0: one format; FLBAS (26) = 0: format 0, no metadata.
        let lbads = self.namespace.lba_size().trailing_zeros();
        put(&mut d, 128, &(lbads << 16).to_le_bytes()); // LBAF0: MS 0, LBADS, RP 0
        d
    }
}

/// A queue's base (PRP1): page aligned, and the whole queue inside the 64-bit bus.
fn checked_queue_base(base: u64, entries: u32, entry_size: u64) -> Result<u64, Status> {
    if base % PAGE != 0 {
        return Err(Status::PRP_OFFSET_INVALID);
    }
    base.checked_add(u64::from(entries) * entry_size - 1)
        .map(|_| base)
        .ok_or(Status::INVALID_FIELD)
}

fn put(data: &mut [u8], offset: usize, bytes: &[u8]) {
    data[offset..offset + bytes.len()].copy_from_slice(bytes);
}

/// An ASCII field, left-aligned and padded with spaces (the config checked the length).
fn put_text(data: &mut [u8], offset: usize, len: usize, text: &str) {
    data[offset..offset + len].fill(b' ');
    put(data, offset, text.as_bytes());
}
