// SPDX-License-Identifier: MIT OR Apache-2.0
//! The NVMe driver's errors: [`NvmeError`], which the crate's [`Error`](crate::Error) carries
//! as [`Error::Nvme`](crate::Error::Nvme).

use std::fmt;
use std::time::Duration;

use super::NvmeStatus;

/// What can fail while bringing up or driving an NVMe controller.
#[derive(Debug, thiserror::Error)]
pub enum NvmeError {
    /// The function's class code is not an NVMe I/O controller's.
    #[error("{device} is not an NVMe controller: its class code is {class:06x}h, expected 010802h (mass storage, NVM, NVMe I/O controller); check the PCI address")]
    NotNvme {
        /// The device, as [`Device::describe`](crate::Device::describe) names it.
        device: String,
        /// The class code read from config space.
        class: u32,
    },

    /// CSTS.CFS = 1: the controller needs a reset.
    #[error("NVMe controller {device} reports Controller Fatal Status (CSTS.CFS = 1) {during}: the controller needs a reset (reopen it; on hardware, a function-level reset or power cycle)")]
    ControllerFatal {
        /// The device, as [`Device::describe`](crate::Device::describe) names it.
        device: String,
        /// What the driver was doing.
        during: Step,
    },

    /// CSTS reads all ones: the device is gone from the bus.
    #[error("NVMe controller {device} reads all ones (CSTS = FFFFFFFFh) {during}: the device is gone from the bus (surprise removal, link down, or a failed simulation)")]
    DeviceGone {
        /// The device, as [`Device::describe`](crate::Device::describe) names it.
        device: String,
        /// What the driver was doing.
        during: Step,
    },

    /// A wait ran out.
    #[error("NVMe: timed out after {timeout:?} waiting for {what}")]
    Timeout {
        /// What the driver waited for.
        what: Awaited,
        /// How long it waited.
        timeout: Duration,
    },

    /// A command completed with an error status.
    #[error("NVMe {command} (queue {queue}, CID {cid}) failed: {status}")]
    Command {
        /// The command's name (`"Read"`, `"Identify"`, ...).
        command: &'static str,
        /// The queue's identifier (0: admin).
        queue: u16,
        /// The command identifier.
        cid: u16,
        /// The completion's status.
        status: NvmeStatus,
    },

    /// The controller lacks something the driver needs.
    #[error("NVMe controller {device}: {reason}")]
    Unsupported {
        /// The device, as [`Device::describe`](crate::Device::describe) names it.
        device: String,
        /// What it lacks.
        reason: String,
    },

    /// An [`NvmeOptions`](crate::NvmeOptions) field out of range (nothing was written).
    #[error("invalid NvmeOptions::{option}: {reason}")]
    InvalidOption {
        /// The field's name.
        option: &'static str,
        /// What is wrong with its value.
        reason: String,
    },

    /// A transfer the driver refused before submitting it.
    #[error("NVMe {command} not submitted: {reason}")]
    BadTransfer {
        /// `"Read"`, `"Write"` or `"data pointer"`.
        command: &'static str,
        /// What is wrong with the transfer.
        reason: String,
    },

    /// Every I/O queue the controller granted is in use.
    #[error("no NVMe I/O queue left: the controller granted {granted} and all are in use; drop an IoQueue (or share one: IoQueue is Clone)")]
    NoIoQueue {
        /// I/O queues the controller granted.
        granted: u16,
    },

    /// The submission queue has no free slot (nothing was submitted).
    #[error("NVMe queue {queue} is full ({in_flight} command(s) in flight, {entries}-entry queue): wait for a completion and submit again")]
    QueueFull {
        /// The queue's identifier.
        queue: u16,
        /// The queue's size.
        entries: u16,
        /// Commands in flight on it.
        in_flight: usize,
    },

    /// The queue was deleted before the command completed.
    #[error("NVMe queue {queue} was deleted before command {cid} completed")]
    QueueClosed {
        /// The queue's identifier.
        queue: u16,
        /// The command identifier.
        cid: u16,
    },
}

/// What the driver was doing when it found the controller failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Reading CAP, before anything was written.
    ReadingCap,
    /// Waiting for CSTS.RDY to clear after CC.EN = 0.
    Disabling,
    /// Waiting for CSTS.RDY after CC.EN = 1.
    Enabling,
    /// Waiting for a command's completion.
    Waiting(CommandRef),
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::ReadingCap => f.write_str("reading CAP"),
            Step::Disabling => f.write_str("after disabling"),
            Step::Enabling => f.write_str("after enabling"),
            Step::Waiting(command) => write!(f, "while waiting for {command}"),
        }
    }
}

/// What an [`NvmeError::Timeout`] waited for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Awaited {
    /// CSTS.RDY to become `ready` on `device`.
    Ready {
        /// The CSTS.RDY value waited for.
        ready: bool,
        /// [`Step::Disabling`] or [`Step::Enabling`].
        step: Step,
        /// The device, as [`Device::describe`](crate::Device::describe) names it.
        device: String,
    },
    /// A command's completion.
    Completion(CommandRef),
}

impl fmt::Display for Awaited {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Awaited::Ready {
                ready,
                step,
                device,
            } => write!(f, "CSTS.RDY = {} {step} on {device}", u8::from(*ready)),
            Awaited::Completion(command) => command.fmt(f),
        }
    }
}

/// One submitted command, as messages name it: `Flush (CID 0) on I/O queue 1`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandRef {
    /// The command's name (`"Read"`, `"Identify"`, ...).
    pub command: &'static str,
    /// The command identifier.
    pub cid: u16,
    /// Whether the queue is the admin queue.
    pub admin: bool,
    /// The queue's identifier.
    pub qid: u16,
}

impl fmt::Display for CommandRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = if self.admin { "admin" } else { "I/O" };
        write!(
            f,
            "{} (CID {}) on {kind} queue {}",
            self.command, self.cid, self.qid
        )
    }
}
