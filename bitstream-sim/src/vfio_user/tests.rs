// SPDX-License-Identifier: MIT OR Apache-2.0
//! The server against the project's client and against raw, malformed messages.

use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::sync::Arc;

use peerbar::device::vfio_user::wire::{self, command, flags, region, Header};
use peerbar::device::vfio_user::VfioUserDevice;
use peerbar::hostmem::DmaMemory;
use peerbar::{BarIndex, BarOffset, Device, Error};
use proptest::prelude::*;
use zerocopy::IntoBytes;

use super::{Connection, Function, Server, ServerState, WINDOW_SIZE};
use crate::{SimConfig, SimDevice, SimNvme};

/// A server on a fresh socket, running in a thread; stops (and is checked to clean up) on drop.
struct Running {
    path: PathBuf,
    sim: SimDevice,
    stop: super::StopHandle,
    thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
}

fn socket_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("peerbar-vfio-user-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

impl Running {
    fn start(name: &str) -> Running {
        let sim = SimDevice::new(SimConfig::default()).unwrap();
        Running::serve(name, sim.clone(), ServerState::new(sim), Function::Endpoint)
    }

    /// Serves `function` of the simulation in `state` on socket `name`.
    fn serve(name: &str, sim: SimDevice, state: Arc<ServerState>, function: Function) -> Running {
        let path = socket_path(name);
        let server = Server::bind_function(&path, state, function).unwrap();
        let stop = server.stop_handle();
        let thread = std::thread::spawn(move || server.run());
        Running {
            path,
            sim,
            stop,
            thread: Some(thread),
        }
    }

    /// The endpoint on socket `name` and the NVMe controller, attached to its fabric, on
    /// `nvme_name`: two servers sharing one state.
    fn start_with_nvme(name: &str, nvme_name: &str) -> (Running, Running, SimNvme) {
        let sim = SimDevice::new(SimConfig::default()).unwrap();
        let nvme = sim.attach_nvme(crate::nvme::NvmeConfig::default()).unwrap();
        let state = ServerState::with_nvme(sim.clone(), nvme.clone());
        let endpoint = Running::serve(name, sim.clone(), Arc::clone(&state), Function::Endpoint);
        let controller = Running::serve(nvme_name, sim, state, Function::Nvme);
        (endpoint, controller, nvme)
    }

    fn client(&self) -> VfioUserDevice {
        VfioUserDevice::connect(&self.path).unwrap()
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.stop();
        if let Some(t) = self.thread.take() {
            t.join().unwrap().unwrap();
        }
        assert!(!self.path.exists(), "the socket file is removed on stop");
    }
}

#[test]
fn clients_share_one_device_and_a_disconnect_releases_only_its_maps() {
    let server = Running::start("share.sock");
    let a = Arc::new(server.client());
    let b = server.client();
    // One device: what A writes into BAR2 and the scratch register, B reads.
    a.bar_write(BarIndex::BAR2, BarOffset::new(0x8_0000), b"one device")
        .unwrap();
    let mut got = [0u8; 10];
    b.bar_read(BarIndex::BAR2, BarOffset::new(0x8_0000), &mut got)
        .unwrap();
    assert_eq!(&got, b"one device");
    assert_eq!(a.config_read16(0).unwrap(), 0x10ee);
    assert_eq!(b.bar_len(BarIndex::BAR2), Some(1 << 20));

    // Each client gets its own IOVA window; their buffers land in the one fabric, disjoint.
    let (wa, wb) = (a.iova_ranges().unwrap(), b.iova_ranges().unwrap());
    assert_eq!((wa.len(), wa[0].end - wa[0].start), (1, WINDOW_SIZE));
    assert!(
        wa[0].end <= wb[0].start || wb[0].end <= wa[0].start,
        "{wa:x?} {wb:x?}"
    );
    let b = Arc::new(b);
    // A's buffers come from its DMA engine's memory (one IOVA allocator per client).
    let endpoint = peerbar::Endpoint::open_shared(a.clone() as Arc<dyn Device>).unwrap();
    let engine = endpoint.dma().unwrap();
    let mem_a = engine.memory().clone();
    let mem_b = DmaMemory::new(b.clone()).unwrap();
    let buf_a = Arc::new(mem_a.alloc(8192).unwrap());
    let buf_b = mem_b.alloc(4096).unwrap();
    assert!(wa[0].contains(&buf_a.bus_addr().get()));
    assert_eq!(server.sim.iommu_mappings().len(), 2);

    // The engine reaches A's memory through the shared fd: a PULL of A's bytes into BAR2,
    // read back by B.
    buf_a.write(0, &[0x5a; 8192]).unwrap();
    buf_a.write(4000, b"shared memory").unwrap();
    let at = pull_into_bar2(&engine, &buf_a);
    let mut landed = vec![0u8; 8192];
    b.bar_read(BarIndex::BAR2, at, &mut landed).unwrap();
    assert_eq!(&landed[4000..4013], b"shared memory");
    assert_eq!(landed, buf_a.to_vec());

    // A goes away: B's maps stay, the device state stays.
    drop((buf_a, mem_a, engine, endpoint));
    drop(a);
    wait_for(|| server.sim.iommu_mappings().len() == 1);
    assert_eq!(
        server.sim.iommu_mappings(),
        vec![(buf_b.bus_addr().get(), 4096)]
    );
    b.bar_read(BarIndex::BAR2, BarOffset::new(0x8_0000), &mut got)
        .unwrap();
    assert_eq!(&got, b"one device");

    // A client that maps memory and vanishes without unmapping: the server unmaps it.
    let raw = UnixStream::connect(&server.path).unwrap();
    exchange(&raw, command::VERSION, &version_payload());
    let memfd = sealed_memfd(8192);
    let map = wire::DmaMap {
        argsz: 32,
        flags: wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE,
        offset: 0,
        address: 0x2000_0000,
        size: 8192,
    };
    let header = Header {
        msg_id: 1,
        command: command::DMA_MAP,
        ..Default::default()
    };
    wire::send_message(&raw, header, &[map.as_bytes()], &[memfd.as_raw_fd()]).unwrap();
    let reply = wire::recv_message(&raw).unwrap();
    assert_eq!(errno_of(&reply.header), None);
    // An overlapping map (from any client) is refused with EEXIST.
    let again = Header {
        msg_id: 2,
        ..header
    };
    wire::send_message(&raw, again, &[map.as_bytes()], &[memfd.as_raw_fd()]).unwrap();
    assert_eq!(
        errno_of(&wire::recv_message(&raw).unwrap().header),
        Some(libc::EEXIST)
    );
    // Read-only memory is mapped (privately); write-only is refused.
    for (flags, id, errno) in [
        (wire::DMA_FLAG_READ, 3, None),
        (wire::DMA_FLAG_WRITE, 4, Some(libc::ENOTSUP)),
    ] {
        let map = wire::DmaMap {
            flags,
            address: 0x2000_0000 + 0x1_0000 * u64::from(id),
            ..map
        };
        let h = Header {
            msg_id: id,
            ..header
        };
        wire::send_message(&raw, h, &[map.as_bytes()], &[memfd.as_raw_fd()]).unwrap();
        assert_eq!(errno_of(&wire::recv_message(&raw).unwrap().header), errno);
    }
    assert_eq!(server.sim.iommu_mappings().len(), 3);
    drop(raw);
    wait_for(|| server.sim.iommu_mappings().len() == 1);
    drop(buf_b);
    assert!(server.sim.iommu_mappings().is_empty());
}

/// A memfd of `len` bytes sealed against shrinking, as the server requires.
fn sealed_memfd(len: i64) -> std::os::fd::OwnedFd {
    use std::os::fd::FromRawFd;
    // SAFETY: memfd_create reads a static C string; the result is checked.
    let fd = unsafe { libc::memfd_create(c"test".as_ptr(), libc::MFD_ALLOW_SEALING) };
    assert!(fd >= 0);
    // SAFETY: a fresh descriptor we own.
    let fd = unsafe { std::os::fd::OwnedFd::from_raw_fd(fd) };
    // SAFETY: ftruncate/fcntl on our descriptor; no pointers.
    unsafe {
        assert_eq!(libc::ftruncate(fd.as_raw_fd(), len), 0);
        assert_eq!(
            libc::fcntl(fd.as_raw_fd(), libc::F_ADD_SEALS, libc::F_SEAL_SHRINK),
            0
        );
    }
    fd
}

/// The project's client with its DMA memory private (DmaPath::Messages): the engine's reads of
/// the data and its writes of the completion entry are DMA_READ/DMA_WRITE messages its reader
/// thread serves, interrupts through eventfds as before.
#[test]
fn a_client_with_private_memory_is_served_by_its_reader_thread() {
    use peerbar::device::vfio_user::DmaPath;
    let server = Running::start("private.sock");
    let dev = Arc::new(VfioUserDevice::connect_with(&server.path, DmaPath::Messages).unwrap());
    let endpoint = peerbar::Endpoint::open_shared(dev.clone() as Arc<dyn Device>).unwrap();
    let engine = endpoint.dma().unwrap();
    let buf = Arc::new(engine.memory().alloc(3 * 4096).unwrap());
    let pattern: Vec<u8> = (0..3 * 4096u32).map(|i| (i % 253) as u8).collect();
    buf.write(0, &pattern).unwrap();
    let at = pull_into_bar2(&engine, &buf);
    let mut landed = vec![0u8; pattern.len()];
    dev.bar_read(BarIndex::BAR2, at, &mut landed).unwrap();
    assert_eq!(landed, pattern);
    // The queue (its rings) went with pull_into_bar2; the buffer is still mapped.
    assert_eq!(
        server.sim.iommu_mappings(),
        vec![(buf.bus_addr().get(), 3 * 4096)]
    );
    drop(buf);
    drop((engine, endpoint));
    drop(dev);
    wait_for(|| server.sim.iommu_mappings().is_empty());
}

/// A client that maps memory without an fd: the server reaches it by DMA_READ/DMA_WRITE.
/// Client A (raw messages) serves its 16 KiB from a Vec; client B drives the engine with a
/// PULL from A's window into BAR2 and a PUSH from BAR2 into A's window.
#[test]
fn memory_mapped_without_an_fd_is_reached_by_dma_read_and_dma_write() {
    use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
    use peerbar::hostmem::DataList;
    use peerbar::BusAddr;
    use std::sync::Mutex;

    const IOVA: u64 = 0x3000_0000;
    let server = Running::start("dma-rw.sock");
    let a = UnixStream::connect(&server.path).unwrap();
    // A small transfer size, so that the server splits the engine's reads and writes.
    let mut version = wire::Version { major: 0, minor: 1 }.as_bytes().to_vec();
    version.extend_from_slice(b"{\"capabilities\":{\"max_data_xfer_size\":1024}}\0");
    exchange(&a, command::VERSION, &version);
    let map = wire::DmaMap {
        argsz: 32,
        flags: wire::DMA_FLAG_READ | wire::DMA_FLAG_WRITE,
        offset: 0,
        address: IOVA,
        size: 16384,
    };
    let (h, _) = exchange(&a, command::DMA_MAP, map.as_bytes());
    assert_eq!(errno_of(&h), None);
    let memory: Arc<Mutex<Vec<u8>>> = Arc::new(Mutex::new(
        (0..16384u32).map(|i| (i * 7 % 251) as u8).collect(),
    ));
    let served = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let serving = {
        let (a, memory, served) = (a.try_clone().unwrap(), memory.clone(), served.clone());
        std::thread::spawn(move || {
            while let Ok(msg) = wire::recv_message(&a) {
                let (access, data) = wire::split::<wire::DmaAccess>(&msg.payload).unwrap();
                assert!(access.count <= 1024, "chunked to the client's size");
                let at = (access.address - IOVA) as usize
                    ..(access.address - IOVA + access.count) as usize;
                let mut mem = memory.lock().unwrap();
                let reply = match msg.header.command {
                    command::DMA_READ => [access.as_bytes(), &mem[at]].concat(),
                    command::DMA_WRITE => {
                        mem[at].copy_from_slice(data);
                        access.as_bytes().to_vec()
                    }
                    other => panic!("unexpected command {other}"),
                };
                served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                wire::send_reply(&a, &msg.header, &[&reply]).unwrap();
            }
        })
    };

    let b = Arc::new(server.client());
    let endpoint = peerbar::Endpoint::open_shared(b.clone() as Arc<dyn Device>).unwrap();
    let engine = endpoint.dma().unwrap();
    engine.enable().unwrap();
    let queue = engine.create_queue(QueueConfig::new(0)).unwrap();
    let bar2 = Arc::new(engine.peer_memory().alloc(16384, 4096).unwrap());
    let run = |job| {
        queue
            .submit(job)
            .unwrap()
            .wait(std::time::Duration::from_secs(30))
            .unwrap()
            .check()
            .unwrap()
    };
    let mut list = DataList::new();
    list.push_bus(BusAddr::new(IOVA), 16384);
    run(Job::Pull {
        peer: PeerRange::whole(&bar2).unwrap(),
        list: Sgl::List(list),
    });
    let mut landed = vec![0u8; 16384];
    b.bar_read(BarIndex::BAR2, bar2.offset(), &mut landed)
        .unwrap();
    assert_eq!(landed, *memory.lock().unwrap(), "A's bytes, by DMA_READ");
    assert!(served.load(std::sync::atomic::Ordering::Relaxed) >= 16);

    b.bar_write(BarIndex::BAR2, bar2.offset(), &[0xc3; 4096])
        .unwrap();
    let mut list = DataList::new();
    list.push_bus(BusAddr::new(IOVA + 0x2000), 4096);
    run(Job::Push {
        peer: PeerRange::new(&bar2, 0, 4096).unwrap(),
        list: Sgl::List(list),
    });
    {
        let mem = memory.lock().unwrap();
        assert_eq!(
            &mem[0x2000..0x3000],
            &[0xc3; 4096][..],
            "B's bytes, by DMA_WRITE"
        );
        assert_eq!(mem[0x1fff], (0x1fffu32 * 7 % 251) as u8);
    }
    drop((queue, engine, endpoint));
    // A goes: its serving thread ends, and the server removes A's window.
    a.shutdown(std::net::Shutdown::Both).unwrap();
    serving.join().unwrap();
    wait_for(|| {
        !server
            .sim
            .iommu_mappings()
            .iter()
            .any(|&(iova, _)| iova == IOVA)
    });
}

/// PULLs all of `buf` into BAR2 with the DMA engine, through `dev` (completion interrupts
/// through the server's eventfds); returns where in BAR2.
fn pull_into_bar2(
    engine: &peerbar::dma::DmaEngine,
    buf: &Arc<peerbar::hostmem::DmaBuffer>,
) -> BarOffset {
    use peerbar::dma::{Job, PeerRange, QueueConfig, Sgl};
    use peerbar::hostmem::DataList;
    engine.enable().unwrap();
    let queue = engine
        .create_queue(QueueConfig {
            mode: peerbar::dma::CompletionMode::Interrupt,
            ..QueueConfig::new(0)
        })
        .unwrap();
    let bar2 = Arc::new(engine.peer_memory().alloc(buf.len() as u64, 4096).unwrap());
    let mut list = DataList::new();
    list.push_buffer(buf, 0, buf.len() as u32).unwrap();
    let job = Job::Pull {
        peer: PeerRange::whole(&bar2).unwrap(),
        list: Sgl::List(list),
    };
    let done = queue
        .submit(job)
        .unwrap()
        .wait(std::time::Duration::from_secs(20))
        .unwrap()
        .check()
        .unwrap();
    assert_eq!(done.result as usize, buf.len());
    // The completion came as MSI-X: the server signalled the client's eventfd.
    let start = std::time::Instant::now();
    while engine.interrupts_received() == 0 {
        assert!(
            start.elapsed().as_secs() < 10,
            "no MSI-X reached the client"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    bar2.offset()
}

fn wait_for(mut done: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !done() {
        assert!(start.elapsed().as_secs() < 10, "timed out");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

#[test]
fn msix_has_one_owner_at_a_time() {
    let server = Running::start("msix.sock");
    let a = server.client();
    let b = server.client();
    let _rx = a.enable_msix(4).unwrap();
    let err = b.enable_msix(4).unwrap_err();
    assert!(
        matches!(&err, Error::VfioUser(e) if e.to_string().contains("busy")),
        "{err}"
    );
    a.disable_msix().unwrap();
    let _rx = b.enable_msix(4).unwrap();
    // A disconnect releases them too.
    drop(b);
    wait_for(|| a.enable_msix(2).is_ok());
}

/// Sends one raw message and returns the reply's header and payload.
fn exchange(stream: &UnixStream, cmd: u16, payload: &[u8]) -> (Header, Vec<u8>) {
    let header = Header {
        msg_id: 7,
        command: cmd,
        ..Default::default()
    };
    wire::send_message(stream, header, &[payload], &[]).unwrap();
    let reply = wire::recv_message(stream).unwrap();
    assert!(reply.is_reply());
    assert_eq!((reply.header.msg_id, reply.header.command), (7, cmd));
    (reply.header, reply.payload)
}

fn errno_of(h: &Header) -> Option<i32> {
    (h.flags & flags::ERROR != 0).then_some(h.error as i32)
}

fn version_payload() -> Vec<u8> {
    let mut v = wire::Version { major: 0, minor: 1 }.as_bytes().to_vec();
    v.extend_from_slice(b"{\"capabilities\":{}}\0");
    v
}

#[test]
fn bad_input_gets_error_replies_and_bad_framing_a_closed_connection() {
    let server = Running::start("bad.sock");
    let s = UnixStream::connect(&server.path).unwrap();
    // Anything before VERSION is refused.
    let (h, _) = exchange(&s, command::DEVICE_GET_INFO, &[0; 16]);
    assert_eq!(errno_of(&h), Some(libc::EINVAL));
    let (h, reply) = exchange(&s, command::VERSION, &version_payload());
    assert_eq!(errno_of(&h), None);
    let caps = wire::Capabilities::parse(&reply[4..]).unwrap();
    assert_eq!(caps.max_data_xfer_size, wire::MAX_DATA_XFER_SIZE);
    assert_eq!(caps.iova_window, None, "not asked for");
    let access = |region: u32, offset: u64, count: u32| {
        wire::RegionAccess {
            offset,
            region,
            count,
        }
        .as_bytes()
        .to_vec()
    };
    for (cmd, payload, errno) in [
        (99, vec![], libc::EOPNOTSUPP),
        (command::VERSION, version_payload(), libc::EINVAL),
        (command::REGION_READ, vec![1, 2, 3], libc::EINVAL),
        (command::REGION_READ, access(5, 0, 4), libc::EINVAL),
        (
            command::REGION_READ,
            access(region::VGA, 0, 4),
            libc::EINVAL,
        ),
        (
            command::REGION_READ,
            access(region::BAR0, 0xfffc, 8),
            libc::EINVAL,
        ),
        (
            command::REGION_READ,
            access(region::BAR2, u64::MAX, 8),
            libc::EINVAL,
        ),
        (
            command::REGION_READ,
            access(region::BAR2, 0, 2 << 20),
            libc::E2BIG,
        ),
        (
            command::REGION_READ,
            access(region::CONFIG, 4095, 2),
            libc::EINVAL,
        ),
        (
            command::REGION_WRITE,
            access(region::BAR2, 0, 8),
            libc::EINVAL,
        ),
        (command::DMA_MAP, vec![0; 32], libc::EINVAL),
        (command::DMA_UNMAP, vec![0; 24], libc::EINVAL),
        (command::DMA_READ, vec![0; 16], libc::EINVAL),
        (command::DEVICE_GET_REGION_INFO, vec![0; 8], libc::EINVAL),
        (
            command::DEVICE_GET_IRQ_INFO,
            [16u32, 0, 9, 0].as_bytes().to_vec(),
            libc::EINVAL,
        ),
        (
            command::DEVICE_SET_IRQS,
            [20u32, 0x24, 2, 0, 3].as_bytes().to_vec(),
            libc::EINVAL,
        ),
    ] {
        let (h, _) = exchange(&s, cmd, &payload);
        assert_eq!(
            errno_of(&h),
            Some(errno),
            "{} {payload:?}",
            wire::command_name(cmd)
        );
    }
    // Still serving: a good read of the vendor ID.
    let (h, reply) = exchange(&s, command::REGION_READ, &access(region::CONFIG, 0, 2));
    assert_eq!(errno_of(&h), None);
    assert_eq!(&reply[16..], &0x10eeu16.to_le_bytes());
    // A message claiming 2 GiB: refused unread (E2BIG) and the connection closed.
    let huge = Header {
        msg_id: 9,
        command: command::REGION_WRITE,
        msg_size: 1 << 31,
        ..Default::default()
    };
    use std::io::Write;
    (&s).write_all(huge.as_bytes()).unwrap();
    let reply = wire::recv_message(&s).unwrap();
    assert_eq!(errno_of(&reply.header), Some(libc::E2BIG));
    assert!(matches!(
        wire::recv_message(&s),
        Err(wire::RecvError::Closed)
    ));
    // A client that vanishes mid-message costs nothing; others are still served.
    let t = UnixStream::connect(&server.path).unwrap();
    (&t).write_all(&huge.as_bytes()[..7]).unwrap();
    drop(t);
    let c = server.client();
    assert_eq!(c.config_read16(0).unwrap(), 0x10ee);
}

/// A random message: mostly well-formed headers of known commands with random (often short or
/// too long) payloads, sometimes anything at all.
fn any_message() -> impl Strategy<Value = (Header, Vec<u8>)> {
    let cmd = prop_oneof![0u16..16, any::<u16>()];
    let flags = prop_oneof![Just(0u32), Just(flags::NO_REPLY), any::<u32>()];
    let access = (
        prop_oneof![0u32..9, any::<u32>()],
        prop_oneof![0u64..0x1_0000, 0xff000u64..0x100100, any::<u64>()],
        prop_oneof![
            Just(1u32),
            Just(2),
            Just(4),
            Just(8),
            0u32..300,
            any::<u32>()
        ],
        proptest::collection::vec(any::<u8>(), 0..64),
    )
        .prop_map(|(region, offset, count, data)| {
            let mut p = wire::RegionAccess {
                offset,
                region,
                count,
            }
            .as_bytes()
            .to_vec();
            p.extend(data);
            p
        });
    let payload = prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..64),
        access,
        Just(version_payload()),
    ];
    (cmd, flags, any::<u16>(), payload).prop_map(|(command, flags, msg_id, payload)| {
        (
            Header {
                msg_id,
                command,
                msg_size: 0,
                flags,
                error: 0,
            },
            payload,
        )
    })
}

/// Some BAR0 registers start DMA or reset the engine; the fuzz leaves BAR0 writes out so that
/// every case runs in bounded time, and checks them separately above.
fn harmless((h, payload): &(Header, Vec<u8>)) -> bool {
    !(h.command == command::REGION_WRITE
        && wire::split::<wire::RegionAccess>(payload)
            .is_some_and(|(a, _)| a.region == region::BAR0))
}

#[test]
fn fuzzed_messages_get_a_reply_or_an_error_never_a_panic() {
    let state = ServerState::new(SimDevice::new(SimConfig::default()).unwrap());
    let conn = std::sync::Mutex::new(Connection::new(Arc::clone(&state)));
    let config = ProptestConfig {
        cases: 3000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(msg in any_message().prop_filter("BAR0 write", harmless))| {
        let (header, payload) = msg;
        let is_command = header.flags & flags::TYPE_MASK == flags::TYPE_COMMAND;
        let reply = conn.lock().unwrap().handle(wire::Message { header, payload, fds: Vec::new() });
        if is_command && header.flags & flags::NO_REPLY == 0 {
            let (h, result) = reply.expect("a command gets a reply");
            prop_assert_eq!((h.msg_id, h.command), (header.msg_id, header.command));
            if let Err(errno) = result {
                prop_assert!(errno > 0);
            }
        }
    });
    // The device still answers.
    assert_eq!(state.sim().config_read16(0).unwrap(), 0x10ee);
}

#[test]
fn fuzzed_byte_streams_end_in_a_message_or_an_error() {
    let config = ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(bytes in proptest::collection::vec(any::<u8>(), 0..200))| {
        let (a, b) = UnixStream::pair().unwrap();
        use std::io::Write;
        (&a).write_all(&bytes).unwrap();
        drop(a);
        // Reads until the stream ends: each message is either parsed whole or refused.
        while let Ok(m) = wire::recv_message(&b) {
            prop_assert_eq!(m.header.msg_size as usize, 16 + m.payload.len());
        }
    });
}

/// Copies with the driver's pipeline over two connections of one process, to the endpoint and
/// to the NVMe controller served beside it: every DMA buffer is mapped through the endpoint's
/// connection only, and the controller reaches it through the one IOMMU and the endpoint's BAR2
/// peer to peer through the fabric.
#[test]
fn the_nvme_controller_is_a_second_device_on_the_same_fabric_and_iommu() {
    use peerbar::copy::{
        CopyDestination, CopyDevices, CopyDirection, CopyObserver, CopyOptions, P2pCopy, Passes,
    };
    let (endpoint_server, nvme_server, nvme) = Running::start_with_nvme("ep.sock", "nvme.sock");
    let ep = Arc::new(endpoint_server.client());
    let ssd = Arc::new(nvme_server.client());

    // The second socket serves the controller: its identity, BARs and interrupts.
    assert_eq!(
        ssd.config_read32(0x08).unwrap() >> 8,
        0x01_08_02,
        "NVMe class code"
    );
    assert_eq!(
        ssd.bar_len(BarIndex::BAR0),
        Some(crate::nvme::NvmeController::BAR0_LEN)
    );
    assert_eq!(ssd.bar_len(BarIndex::BAR2), None, "no CMB configured");
    assert_eq!(
        ssd.bar_bus_addr(BarIndex::BAR0).unwrap().get(),
        crate::NVME_BAR0_BASE
    );
    let mut info = wire::IrqInfo {
        argsz: size_of::<wire::IrqInfo>() as u32,
        index: wire::irq::INTX,
        ..Default::default()
    };
    let raw = UnixStream::connect(&nvme_server.path).unwrap();
    exchange(&raw, command::VERSION, &version_payload());
    let (_, reply) = exchange(&raw, command::DEVICE_GET_IRQ_INFO, info.as_bytes());
    assert_eq!(
        &reply[12..16],
        0u32.as_bytes(),
        "Interrupt Pin 0: no INTx line"
    );
    info.index = wire::irq::MSIX;
    let (_, reply) = exchange(&raw, command::DEVICE_GET_IRQ_INFO, info.as_bytes());
    let vectors = crate::nvme::NvmeConfig::default().msix_vectors;
    assert_eq!(&reply[12..16], u32::from(vectors).as_bytes());
    drop(raw);
    // MSI-X belongs to one client per function: both devices' at once.
    let _ep_irqs = ep.enable_msix(2).unwrap();
    let _ssd_irqs = ssd.enable_msix(2).unwrap();

    let endpoint = peerbar::Endpoint::open_shared(ep.clone() as Arc<dyn Device>).unwrap();
    let devices = CopyDevices::open(
        &endpoint,
        ssd.clone() as Arc<dyn Device>,
        peerbar::nvme::TransferMode::Auto,
    )
    .unwrap();
    const SIZE: u64 = 192 << 10;
    let options = CopyOptions {
        size: SIZE,
        chunk: 64 << 10,
        depth: 3,
        direction: CopyDirection::Both,
        destination: CopyDestination::Host,
        first_lba: 24,
        seed: 7,
        verify: true,
        timeout: std::time::Duration::from_secs(60),
    };
    let mut copy = P2pCopy::new(
        &devices.engine,
        &devices.queue,
        &devices.nvme,
        &devices.io,
        options,
    )
    .unwrap();
    struct Quiet;
    impl CopyObserver for Quiet {}
    let run = copy.run(Passes::Once, &mut Quiet).unwrap();
    assert_eq!(run.stop, None, "{:?}", run.stop);
    assert_eq!(run.legs.len(), 2);
    for (leg, figures) in &run.legs {
        assert_eq!(figures.bytes, SIZE, "{leg}");
        assert_eq!(figures.checksums, 3, "{leg}");
    }
    // Both ways: the bytes written are compared when they come back through BAR2.
    assert_eq!(run.legs[1].1.compared, SIZE);
    // What the SSD stored is the pattern, read straight from the model's namespace.
    let mut stored = vec![0u8; SIZE as usize];
    nvme.namespace_read(24 * 512, &mut stored).unwrap();
    assert_eq!(stored, copy.pattern().bytes(24 * 512, SIZE as usize));

    // Every mapping lies in the endpoint connection's window; the controller's connection
    // mapped nothing, yet its DMA found the queues and buffers; nothing faulted.
    let window = ep.iova_ranges().unwrap()[0].clone();
    let maps = endpoint_server.sim.iommu_mappings();
    assert!(!maps.is_empty());
    assert!(
        maps.iter()
            .all(|&(s, l)| window.start <= s && s + l <= window.end),
        "{maps:x?} outside {window:x?}"
    );
    let other = ssd.iova_ranges().unwrap()[0].clone();
    assert!(other.start >= window.end || other.end <= window.start);
    // The controller's data went peer to peer: it wrote every byte it read into BAR2 and
    // took every byte it wrote from BAR2, without a refused DMA.
    let stats = nvme.stats();
    assert_eq!(stats.dma_faults, 0, "{stats:?}");
    assert_eq!(stats.commands_failed, 0, "{stats:?}");
    assert_eq!(stats.bytes_written, SIZE, "{stats:?}");
    assert_eq!(stats.bytes_read, SIZE, "{stats:?}");

    // The controller's socket going away leaves the endpoint and the controller as they are.
    drop(copy);
    drop(devices);
    drop(endpoint);
    drop(ssd);
    let again = nvme_server.client();
    assert_eq!(again.config_read32(0x08).unwrap() >> 8, 0x01_08_02);
}

#[test]
fn a_socket_for_the_nvme_controller_needs_one_attached() {
    let sim = SimDevice::new(SimConfig::default()).unwrap();
    let path = socket_path("none.sock");
    let err = Server::bind_function(&path, ServerState::new(sim), Function::Nvme)
        .err()
        .expect("refused");
    assert!(err.to_string().contains("no NVMe controller"), "{err}");
    assert!(!path.exists());
}
