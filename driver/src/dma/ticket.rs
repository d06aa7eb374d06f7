// SPDX-License-Identifier: MIT OR Apache-2.0
//! [`Ticket`]: one submitted job's handle, through which its [`Completion`] arrives.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use crate::dma::job::Completion;
use crate::dma::queue_pair::{CompletionMode, QueueShared};
use crate::dma::DmaError;
use crate::error::{Error, Result};

/// How often a polling [`Ticket::wait`] checks that the device still answers.
pub(super) const HEALTH_CHECK_INTERVAL: Duration = Duration::from_millis(200);

/// How often an interrupt-mode [`Ticket::wait`] looks at its queue's registers while another
/// queue has found a function reset this one has not seen yet (the polling loop wakes at least
/// every millisecond anyway).
const RESET_RECHECK_INTERVAL: Duration = Duration::from_millis(1);

/// Receives one job's [`Completion`]: [`QueuePair::submit`](crate::dma::QueuePair::submit)
/// shows submit and wait.
#[derive(Debug)]
pub struct Ticket {
    pub(super) cid: u16,
    pub(super) rx: Receiver<Completion>,
    pub(super) queue: Arc<QueueShared>,
}

impl Ticket {
    /// The job's command identifier.
    pub fn cid(&self) -> u16 {
        self.cid
    }

    /// The completion if it has arrived (polls the CQ once in polling mode).
    pub fn try_get(&self) -> Result<Option<Completion>> {
        if let Ok(c) = self.rx.try_recv() {
            return Ok(Some(c));
        }
        self.queue.poll()?;
        match self.rx.try_recv() {
            Ok(c) => Ok(Some(c)),
            Err(crossbeam_channel::TryRecvError::Empty) => Ok(None),
            Err(crossbeam_channel::TryRecvError::Disconnected) => Err(self.closed()),
        }
    }

    /// Polling reads only host memory, so a device that stopped answering (surprise removal
    /// on a board, a failed simulation) or was reset would look like a slow job until the
    /// timeout. Reading the queue's registers now and then surfaces the device's own error, or
    /// finds the queue dropped ([`QueueShared::check_alive`]): then the completion (written
    /// before the device dropped the queue) or [`DmaError::QueueLost`].
    fn check_device(&self) -> Result<Option<Completion>> {
        self.queue.check_alive()?;
        self.try_get()
    }

    fn closed(&self) -> Error {
        if let Some(lost) = self.queue.lost_error(Some(self.cid)) {
            return lost;
        }
        if self.queue.lock().dropped_unfetched {
            return Error::Dma(DmaError::QueueDropped {
                queue: self.queue.id,
                cid: self.cid,
            });
        }
        Error::Dma(DmaError::QueueClosed {
            queue: self.queue.id,
            cid: self.cid,
        })
    }

    /// Waits up to `timeout` for the completion ([`DmaError::Timeout`] after that,
    /// [`DmaError::QueueDropped`] if the QueuePair was dropped before the engine fetched the job,
    /// [`DmaError::QueueClosed`] if it was dropped while the engine might still run the job (its
    /// memory is then leaked), [`DmaError::QueueLost`] if the device dropped the queue: reset,
    /// engine reset, SQ fetch failure). Polling mode polls the
    /// CQ (spinning briefly, then sleeping up to 1 ms between polls); interrupt mode sleeps on
    /// the ticket's channel and also polls the CQ every 200 ms, so a masked or lost interrupt
    /// delays a job by at most that. Both check the queue's registers every 200 ms, so a lost
    /// queue fails its tickets within about that; once any queue of the engine has found a
    /// function reset, the others check at their next wake-up (at once when a wait starts).
    pub fn wait(&self, timeout: Duration) -> Result<Completion> {
        let deadline = Instant::now() + timeout;
        let timed_out = || {
            Error::Dma(DmaError::Timeout {
                queue: self.queue.id,
                cid: self.cid,
                timeout,
            })
        };
        if self.queue.mode == CompletionMode::Interrupt {
            // Sleep on the interrupt, but poll the CQ every HEALTH_CHECK_INTERVAL as well: an
            // interrupt that is masked or lost then delays a job by at most that, and a dead
            // device is noticed.
            loop {
                if self.queue.reset_pending() {
                    if let Some(c) = self.check_device()? {
                        return Ok(c);
                    }
                }
                let now = Instant::now();
                // While a reset is pending (this queue's engine side still busy aborting),
                // look again soon rather than after a whole interval.
                let interval = if self.queue.reset_pending() {
                    RESET_RECHECK_INTERVAL
                } else {
                    HEALTH_CHECK_INTERVAL
                };
                let until = deadline.min(now + interval);
                match self.rx.recv_deadline(until) {
                    Ok(c) => return Ok(c),
                    Err(crossbeam_channel::RecvTimeoutError::Disconnected) => {
                        return Err(self.closed())
                    }
                    Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                }
                if let Some(c) = self.check_device()? {
                    log::warn!(
                        "queue {}: job {} had completed but no interrupt delivered it",
                        self.queue.id,
                        self.cid
                    );
                    return Ok(c);
                }
                if Instant::now() >= deadline {
                    return Err(timed_out());
                }
            }
        }
        let mut pause = Duration::from_micros(1);
        let mut next_check = Instant::now() + HEALTH_CHECK_INTERVAL;
        loop {
            if let Some(c) = self.try_get()? {
                return Ok(c);
            }
            let now = Instant::now();
            if now >= deadline {
                return match self.check_device()? {
                    Some(c) => Ok(c),
                    None => Err(timed_out()),
                };
            }
            if now >= next_check || self.queue.reset_pending() {
                if let Some(c) = self.check_device()? {
                    return Ok(c);
                }
                next_check = now + HEALTH_CHECK_INTERVAL;
            }
            std::thread::sleep(pause.min(deadline - now));
            pause = (pause * 2).min(Duration::from_millis(1));
        }
    }
}
