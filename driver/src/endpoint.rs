// SPDX-License-Identifier: MIT OR Apache-2.0
//! An opened, identified peerbar endpoint.
//!
//! [`Endpoint::open`] takes any [`Device`] (VFIO hardware, the simulation, the in-memory fake),
//! checks that BAR0 holds a peerbar register block of a version this driver supports, and then
//! offers decoded views of the registers and byte access to BAR2 (peer memory).

use std::fmt;
use std::sync::Arc;

use crate::address::{BarIndex, BarOffset};
use crate::device::Device;
use crate::error::{Error, Result};
use crate::regs::{self, CAPABILITIES, ERROR_LOG, STATUS, VERSION};

/// What MAGIC reads on a peerbar endpoint: "PEER" as a big-endian ASCII word.
pub const MAGIC: u32 = 0x5045_4552;
/// The register interface major version this driver is written for.
pub const SUPPORTED_MAJOR: u16 = 0;

/// Version of the endpoint's register interface (the VERSION register).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version {
    pub major: u16,
    pub minor: u8,
    pub patch: u8,
}

impl Version {
    /// Decodes a raw VERSION register value.
    pub(crate) fn from_raw(raw: u32) -> Version {
        let reg = tock_registers::LocalRegisterCopy::<u32, VERSION::Register>::new(raw);
        Version {
            major: reg.read(VERSION::MAJOR) as u16,
            minor: reg.read(VERSION::MINOR) as u8,
            patch: reg.read(VERSION::PATCH) as u8,
        }
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// What this build of the endpoint implements (the CAPABILITIES register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capabilities {
    /// Width of the PCIe user interface in bytes (32 = 256 bits).
    pub datapath_bytes: u8,
    /// Number of DMA queue pairs (0 when there is no DMA engine).
    pub dma_queues: u8,
    pub dma_engine: bool,
    pub msix: bool,
}

/// Link and configuration state as the endpoint sees it (the STATUS register), sizes in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Status {
    pub link_up: bool,
    pub bus_master: bool,
    /// Max Payload Size the endpoint obeys (`cfg_max_payload`).
    pub max_payload: u32,
    /// Max Read Request Size the endpoint obeys (`cfg_max_read_req`); `None` for an encoding
    /// above 5 (reserved).
    pub max_read_request: Option<u32>,
    /// Read Completion Boundary: 64 or 128.
    pub read_completion_boundary: u32,
}

/// The endpoint's error counters (both saturate at `u32::MAX`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ErrorCounters {
    /// Posted writes the endpoint could not serve and dropped.
    pub dropped_writes: u32,
    /// Non-posted requests answered with an Unsupported Request completion.
    pub unsupported_requests: u32,
}

/// Why the endpoint refused a request (ERROR_LOG.CAUSE).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCause {
    /// Past the end of the BAR.
    PastEndOfBar,
    /// A request type the endpoint does not serve.
    UnsupportedRequestType,
    /// Wider than BAR0 accepts (more than 2 DWORDs).
    TooWideForBar0,
    /// The request hit a BAR the endpoint does not implement.
    BarNotImplemented,
    /// A code this driver does not know.
    Other(u8),
}

impl ErrorCause {
    /// Decodes ERROR_LOG.CAUSE; `None` for 0 (no error).
    pub(crate) fn from_code(code: u8) -> Option<ErrorCause> {
        Some(match code {
            0 => return None,
            1 => ErrorCause::PastEndOfBar,
            2 => ErrorCause::UnsupportedRequestType,
            3 => ErrorCause::TooWideForBar0,
            4 => ErrorCause::BarNotImplemented,
            other => ErrorCause::Other(other),
        })
    }
}

impl fmt::Display for ErrorCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorCause::PastEndOfBar => f.write_str("past the end of the BAR"),
            ErrorCause::UnsupportedRequestType => f.write_str("unsupported request type"),
            ErrorCause::TooWideForBar0 => f.write_str("too wide for BAR0 (more than 2 DWORDs)"),
            ErrorCause::BarNotImplemented => f.write_str("BAR not implemented"),
            ErrorCause::Other(c) => write!(f, "unknown cause {c}"),
        }
    }
}

/// Name of a request type as encoded in the UltraScale+ CQ descriptor.
pub fn request_type_name(code: u8) -> &'static str {
    match code {
        0x0 => "MemRd",
        0x1 => "MemWr",
        0x2 => "IORd",
        0x3 => "IOWr",
        0x4 => "FetchAdd",
        0x5 => "Swap",
        0x6 => "CAS",
        0x7 => "locked MemRd",
        0x8 => "CfgRd0",
        0x9 => "CfgRd1",
        0xa => "CfgWr0",
        0xb => "CfgWr1",
        0xc => "Msg",
        0xd => "vendor Msg",
        0xe => "ATS Msg",
        _ => "reserved",
    }
}

/// The first request the endpoint refused since reset or the last [`Endpoint::clear_errors`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ErrorLogEntry {
    pub cause: ErrorCause,
    /// Request type code from the CQ descriptor (see [`request_type_name`]).
    pub request_type: u8,
    /// The BAR the request hit (the raw BAR ID: it may name a BAR that does not exist).
    pub bar_id: u8,
    /// Request length in DWORDs.
    pub dword_count: u16,
    /// Offset of the request in the BAR.
    pub offset: BarOffset,
}

impl fmt::Display for ErrorLogEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} DWORD(s) at BAR{} offset {}: {}",
            request_type_name(self.request_type),
            self.dword_count,
            self.bar_id,
            self.offset,
            self.cause
        )
    }
}

/// An opened peerbar endpoint. See the [module docs](self).
pub struct Endpoint {
    device: Arc<dyn Device>,
    version: Version,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("device", &self.device.describe())
            .field("version", &self.version)
            .finish()
    }
}

impl Endpoint {
    /// Identifies the endpoint behind `device`: MAGIC must read [`MAGIC`]
    /// ([`Error::BadMagic`] otherwise) and VERSION's major must be [`SUPPORTED_MAJOR`]
    /// ([`Error::UnsupportedVersion`] otherwise). Nothing is written to the device.
    ///
    /// A real program passes a `VfioDevice` (a board) or a `peerbar_sim::SimDevice` (the RTL
    /// under Verilator: `cargo run --example open_endpoint`); this example opens the in-memory
    /// fake of the `test-utils` feature, which has the register block's reset values.
    ///
    /// ```
    /// use peerbar::Endpoint;
    /// # use peerbar::device::fake::FakeDevice;
    /// # fn main() -> peerbar::Result<()> {
    /// # let device = FakeDevice::peerbar_endpoint(1 << 20);
    /// let endpoint = Endpoint::open(Box::new(device))?;
    /// println!("peerbar {} with {} bytes of BAR2", endpoint.version(), endpoint.bar2_size()?);
    /// assert_eq!(endpoint.bar2_size()?, 1 << 20);
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// On a board, through VFIO (needs the function bound to vfio-pci):
    ///
    /// ```no_run
    /// use peerbar::device::vfio::VfioDevice;
    /// use peerbar::Endpoint;
    /// # fn main() -> peerbar::Result<()> {
    /// let endpoint = Endpoint::open(Box::new(VfioDevice::open("0000:03:00.0")?))?;
    /// # Ok(())
    /// # }
    /// ```
    pub fn open(device: Box<dyn Device>) -> Result<Endpoint> {
        Endpoint::open_shared(Arc::from(device))
    }

    /// [`Endpoint::open`] for a device that is already shared.
    pub fn open_shared(device: Arc<dyn Device>) -> Result<Endpoint> {
        let magic = regs::read(device.as_ref(), &regs::MAGIC_REG)?.get();
        if magic != MAGIC {
            return Err(Error::BadMagic {
                found: magic,
                expected: MAGIC,
            });
        }
        let version = Version::from_raw(regs::read(device.as_ref(), &regs::VERSION_REG)?.get());
        if version.major != SUPPORTED_MAJOR {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported_major: SUPPORTED_MAJOR,
            });
        }
        log::debug!(
            "opened peerbar endpoint {} on {}",
            version,
            device.describe()
        );
        Ok(Endpoint { device, version })
    }

    /// The underlying device (for config space, raw BAR access, reset).
    pub fn device(&self) -> &dyn Device {
        self.device.as_ref()
    }

    /// Gives the device back (shared: DMA buffers and queues hold references to it too).
    pub fn into_device(self) -> Arc<dyn Device> {
        self.device
    }

    /// A shared handle on the device.
    pub(crate) fn shared_device(&self) -> Arc<dyn Device> {
        Arc::clone(&self.device)
    }

    /// The endpoint's DMA engine: fails with [`DmaError::EngineAbsent`](crate::dma::DmaError::EngineAbsent) when this build has
    /// none (CAPABILITIES.DMA_ENGINE = 0). Writes nothing; enable it with
    /// [`crate::dma::DmaEngine::enable`].
    pub fn dma(&self) -> Result<crate::dma::DmaEngine> {
        crate::dma::DmaEngine::new(self.shared_device())
    }

    /// The register interface version read at open.
    pub fn version(&self) -> Version {
        self.version
    }

    /// Decodes the CAPABILITIES register.
    pub fn capabilities(&self) -> Result<Capabilities> {
        let reg = regs::read(self.device(), &regs::CAPABILITIES_REG)?;
        Ok(Capabilities {
            datapath_bytes: reg.read(CAPABILITIES::DATAPATH_BYTES) as u8,
            dma_queues: reg.read(CAPABILITIES::DMA_QUEUES) as u8,
            dma_engine: reg.is_set(CAPABILITIES::DMA_ENGINE),
            msix: reg.is_set(CAPABILITIES::MSIX),
        })
    }

    /// Size of BAR2 (peer memory) in bytes from BAR2_SIZE_LO/HI, cross-checked against the BAR
    /// the device exposes: a difference is [`Error::Bar2SizeMismatch`] (the BAR was sized wrong,
    /// or the bitstream does not match the board), a missing BAR2 is [`Error::NoSuchBar`].
    pub fn bar2_size(&self) -> Result<u64> {
        let register = regs::read64(self.device(), &regs::BAR2_SIZE_REG64)?;
        let bar_len = self
            .device
            .bar_len(BarIndex::BAR2)
            .ok_or(Error::NoSuchBar {
                bar: BarIndex::BAR2,
            })?;
        if register != bar_len {
            return Err(Error::Bar2SizeMismatch { register, bar_len });
        }
        Ok(register)
    }

    /// Decodes the STATUS register.
    pub fn status(&self) -> Result<Status> {
        let reg = regs::read(self.device(), &regs::STATUS_REG)?;
        Ok(Status {
            link_up: reg.is_set(STATUS::LINK_UP),
            bus_master: reg.is_set(STATUS::BUS_MASTER),
            max_payload: 128 << reg.read(STATUS::MAX_PAYLOAD),
            max_read_request: crate::config::decode_size(reg.read(STATUS::MAX_READ_REQ)),
            read_completion_boundary: if reg.is_set(STATUS::RCB_128) { 128 } else { 64 },
        })
    }

    /// Reads the SCRATCH register.
    pub fn scratch(&self) -> Result<u32> {
        Ok(regs::read(self.device(), &regs::SCRATCH_REG)?.get())
    }

    /// Writes the SCRATCH register.
    pub fn set_scratch(&self, value: u32) -> Result<()> {
        regs::write(
            self.device(),
            &regs::SCRATCH_REG,
            regs::SCRATCH::VALUE.val(value),
        )
    }

    /// Pulses CONTROL.CLEAR_ERRORS: zeroes both error counters and empties the error log.
    pub fn clear_errors(&self) -> Result<()> {
        regs::write(
            self.device(),
            &regs::CONTROL_REG,
            regs::CONTROL::CLEAR_ERRORS::SET,
        )
    }

    /// Reads DROPPED_WRITES and UNSUPPORTED_REQUESTS.
    pub fn error_counters(&self) -> Result<ErrorCounters> {
        Ok(ErrorCounters {
            dropped_writes: regs::read(self.device(), &regs::DROPPED_WRITES_REG)?.get(),
            unsupported_requests: regs::read(self.device(), &regs::UNSUPPORTED_REQUESTS_REG)?.get(),
        })
    }

    /// Decodes the error log: `None` when it holds no refused request (VALID clear).
    pub fn error_log(&self) -> Result<Option<ErrorLogEntry>> {
        let log = regs::read(self.device(), &regs::ERROR_LOG_REG)?;
        if !log.is_set(ERROR_LOG::VALID) {
            return Ok(None);
        }
        let addr = regs::read64(self.device(), &regs::ERROR_ADDR_REG64)?;
        let cause_code = log.read(ERROR_LOG::CAUSE) as u8;
        Ok(Some(ErrorLogEntry {
            // VALID with CAUSE 0 should not happen; report it rather than hide the entry.
            cause: ErrorCause::from_code(cause_code).unwrap_or(ErrorCause::Other(0)),
            request_type: log.read(ERROR_LOG::REQ_TYPE) as u8,
            bar_id: log.read(ERROR_LOG::BAR_ID) as u8,
            dword_count: log.read(ERROR_LOG::DWORD_COUNT) as u16,
            offset: BarOffset::new(addr),
        }))
    }

    /// Bulk read of peer memory (BAR2) at any offset and length.
    pub fn peer_read(&self, offset: BarOffset, buf: &mut [u8]) -> Result<()> {
        self.device.bar_read(BarIndex::BAR2, offset, buf)
    }

    /// Bulk write of peer memory (BAR2) at any offset and length.
    pub fn peer_write(&self, offset: BarOffset, data: &[u8]) -> Result<()> {
        self.device.bar_write(BarIndex::BAR2, offset, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::fake::FakeDevice;

    const MIB: u64 = 1 << 20;

    fn open_fake() -> Endpoint {
        Endpoint::open(Box::new(FakeDevice::peerbar_endpoint(MIB))).unwrap()
    }

    #[test]
    fn opens_a_peerbar_endpoint() {
        let ep = open_fake();
        assert_eq!(
            ep.version(),
            Version {
                major: 0,
                minor: 2,
                patch: 0
            }
        );
        assert_eq!(ep.version().to_string(), "0.2.0");
        assert_eq!(ep.bar2_size().unwrap(), MIB);
        let caps = ep.capabilities().unwrap();
        assert_eq!(caps.datapath_bytes, 32);
        // The default build: a DMA engine with 4 queue pairs and MSI-X.
        assert!(caps.dma_engine && caps.msix);
        assert_eq!(caps.dma_queues, 4);
    }

    #[test]
    fn bad_magic_is_refused() {
        let dev = FakeDevice::peerbar_endpoint(MIB);
        dev.poke_bar32(BarIndex::BAR0, regs::MAGIC_REG.offset, 0xffff_ffff);
        let err = Endpoint::open(Box::new(dev)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::BadMagic {
                    found: 0xffff_ffff,
                    expected: MAGIC
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn unsupported_major_version_is_refused() {
        let dev = FakeDevice::peerbar_endpoint(MIB);
        dev.poke_bar32(BarIndex::BAR0, regs::VERSION_REG.offset, 0x0001_0203);
        let err = Endpoint::open(Box::new(dev)).unwrap_err();
        match err {
            Error::UnsupportedVersion {
                found,
                supported_major,
            } => {
                assert_eq!(found.to_string(), "1.2.3");
                assert_eq!(supported_major, 0);
            }
            other => panic!("unexpected {other}"),
        }
    }

    #[test]
    fn newer_minor_version_is_accepted() {
        let dev = FakeDevice::peerbar_endpoint(MIB);
        dev.poke_bar32(BarIndex::BAR0, regs::VERSION_REG.offset, 0x0000_0907);
        assert_eq!(Endpoint::open(Box::new(dev)).unwrap().version().minor, 9);
    }

    #[test]
    fn missing_bar0_is_an_error() {
        let dev = FakeDevice::new(&[(BarIndex::BAR2, 4096)]);
        assert!(matches!(
            Endpoint::open(Box::new(dev)),
            Err(Error::NoSuchBar { .. })
        ));
    }

    #[test]
    fn bar2_size_mismatch_is_an_error() {
        let dev = FakeDevice::peerbar_endpoint(MIB);
        dev.poke_bar32(BarIndex::BAR0, regs::BAR2_SIZE_HI_REG.offset, 1);
        let ep = Endpoint::open(Box::new(dev)).unwrap();
        let err = ep.bar2_size().unwrap_err();
        assert!(
            matches!(
                err,
                Error::Bar2SizeMismatch {
                    register: 0x1_0010_0000,
                    bar_len: MIB
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn status_is_decoded_in_bytes() {
        let ep = open_fake();
        let s = ep.status().unwrap();
        assert!(s.link_up && s.bus_master);
        assert_eq!(s.max_payload, 256);
        assert_eq!(s.max_read_request, Some(512));
        assert_eq!(s.read_completion_boundary, 64);
    }

    #[test]
    fn scratch_round_trips() {
        let ep = open_fake();
        ep.set_scratch(0xa5a5_5a5a).unwrap();
        assert_eq!(ep.scratch().unwrap(), 0xa5a5_5a5a);
    }

    #[test]
    fn error_counters_log_and_clear() {
        let dev = FakeDevice::peerbar_endpoint(MIB);
        dev.poke_bar32(BarIndex::BAR0, regs::DROPPED_WRITES_REG.offset, 2);
        dev.poke_bar32(BarIndex::BAR0, regs::UNSUPPORTED_REQUESTS_REG.offset, 5);
        // VALID, DWORD_COUNT 2, BAR_ID 2, REQ_TYPE MemRd, CAUSE past the end.
        dev.poke_bar32(
            BarIndex::BAR0,
            regs::ERROR_LOG_REG.offset,
            (1 << 31) | (2 << 16) | (2 << 8) | 1,
        );
        dev.poke_bar32(BarIndex::BAR0, regs::ERROR_ADDR_LO_REG.offset, 0x0010_0000);
        let ep = Endpoint::open(Box::new(dev)).unwrap();
        assert_eq!(
            ep.error_counters().unwrap(),
            ErrorCounters {
                dropped_writes: 2,
                unsupported_requests: 5
            }
        );
        let entry = ep.error_log().unwrap().unwrap();
        assert_eq!(entry.cause, ErrorCause::PastEndOfBar);
        assert_eq!(entry.request_type, 0);
        assert_eq!(entry.bar_id, 2);
        assert_eq!(entry.dword_count, 2);
        assert_eq!(entry.offset, BarOffset::new(0x10_0000));
        assert_eq!(
            entry.to_string(),
            "MemRd of 2 DWORD(s) at BAR2 offset 0x100000: past the end of the BAR"
        );

        ep.clear_errors().unwrap();
        assert_eq!(ep.error_counters().unwrap(), ErrorCounters::default());
        assert_eq!(ep.error_log().unwrap(), None);
    }

    #[test]
    fn peer_memory_is_reachable_and_bounded() {
        let ep = open_fake();
        ep.peer_write(BarOffset::new(3), b"peer data").unwrap();
        let mut buf = [0u8; 9];
        ep.peer_read(BarOffset::new(3), &mut buf).unwrap();
        assert_eq!(&buf, b"peer data");
        assert!(matches!(
            ep.peer_write(BarOffset::new(MIB - 4), &[0; 8]),
            Err(Error::OutOfRange { .. })
        ));
    }
}
