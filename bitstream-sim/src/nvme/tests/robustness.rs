// SPDX-License-Identifier: MIT OR Apache-2.0
//! Arbitrary guest input: random commands, lists and register writes. The controller must
//! answer every command with some status, never panic, and always go idle.

use super::*;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    /// An address a malformed or hostile command might carry.
    fn address(&mut self) -> u64 {
        match self.below(7) {
            0 => DATA + self.below(1 << 20),
            1 => DATA + self.below(256) * 4096,
            2 => LISTS + self.below(64) * 16,
            3 => PEER_BASE + self.below(PEER_LEN),
            4 => UNMAPPED + self.below(1 << 16),
            5 => u64::MAX - self.below(1 << 13),
            _ => self.next(),
        }
    }
}

/// A descriptor with a mostly plausible type, a random address and a small length.
fn descriptor(rng: &mut Rng) -> SglDescriptor {
    let ty = if rng.below(4) == 0 {
        rng.below(16)
    } else {
        rng.below(4)
    } as u8;
    let subtype = if rng.below(8) == 0 {
        rng.below(16) as u8
    } else {
        0
    };
    let len = match rng.below(4) {
        0 => rng.next() as u32,
        1 => rng.below(8) as u32 * 16,
        _ => rng.below(4097) as u32,
    };
    SglDescriptor::with_identifier((ty << 4) | subtype, BusAddr::new(rng.address()), len)
}

#[test]
fn random_io_and_admin_commands_always_complete() {
    let mut h = Host::ready(test_config());
    h.bus.peer_delay = 7;
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Lists full of random PRP entries and descriptors.
    for i in 0..4096u64 {
        let d = descriptor(&mut rng);
        h.bus.put_sgl(LISTS + i * 16, &[d]);
    }
    for round in 0..3000 {
        let mut cmd = Cmd([0; 64]);
        for b in cmd.0.iter_mut() {
            *b = rng.next() as u8;
        }
        let admin = round % 5 == 0;
        let any = rng.next() as u8;
        let opcode = if admin {
            rng.pick(&[0x00, 0x01, 0x04, 0x05, 0x06, 0x09, 0x0a, any])
        } else {
            rng.pick(&[0x00, 0x01, 0x02, 0x02, 0x01, any])
        };
        cmd.0[0] = opcode;
        if rng.below(4) != 0 {
            // Mostly valid common fields, so the deeper checks run.
            cmd.0[1] &= if rng.below(2) == 0 { 0x00 } else { 0x40 };
            cmd = cmd.nsid(if rng.below(8) == 0 {
                rng.next() as u32
            } else {
                1
            });
        }
        if rng.below(2) == 0 {
            cmd.0[24..40].copy_from_slice(&descriptor(&mut rng).to_bytes());
        } else {
            cmd = cmd.cdw(6, rng.address() as u32);
            let a = rng.address();
            cmd.0[24..32].copy_from_slice(&a.to_le_bytes());
            let b = rng.address();
            cmd.0[32..40].copy_from_slice(&b.to_le_bytes());
        }
        if admin {
            // Queue IDs 2.. only: queue pair 1 must survive to carry the I/O commands.
            let qid = 2 + rng.below(20) as u32;
            let cdw10 = if matches!(opcode, 0x00 | 0x01 | 0x04 | 0x05) {
                qid | ((rng.below(300) as u32) << 16)
            } else {
                rng.next() as u32 & 0x8000_07ff
            };
            cmd = cmd.cdw(10, cdw10);
            if opcode == 0x01 {
                cmd = cmd.cdw(
                    11,
                    (rng.next() as u32 & 0xffff) | ((2 + rng.below(20) as u32) << 16),
                );
            }
        } else {
            let slba = if rng.below(8) == 0 {
                rng.next()
            } else {
                rng.below(2100)
            };
            cmd = cmd.cdw(10, slba as u32).cdw(11, (slba >> 32) as u32).cdw(
                12,
                if rng.below(8) == 0 {
                    rng.next() as u32
                } else {
                    rng.below(40) as u32
                },
            );
        }
        let qid = if admin { 0 } else { 1 };
        h.exec(qid, cmd);
        assert_eq!(h.reg32(0x1c) & 0b10, 0, "round {round}: controller fatal");
    }
    h.run_until_idle();
    let s = h.ctrl.stats();
    assert!(s.commands_completed > 3000 && s.commands_failed > 0 && s.bytes_read > 0);
    // Still a working controller.
    h.round_trip(0, &[(DATA, 4096)], |c| c.prp(DATA, 0));
}

#[test]
fn random_register_writes_never_panic_or_hang() {
    let mut h = Host::ready(test_config());
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for _ in 0..20_000 {
        let len = rng.pick(&[1usize, 2, 4, 8, 3, 16]);
        let offset = match rng.below(4) {
            0 => rng.below(0x40),
            1 => 0x1000 + rng.below(0x100),
            2 => 0x3000 + rng.below(0x100),
            _ => rng.below(NvmeController::BAR0_LEN + 16),
        };
        let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        h.ctrl.write_register(offset, &data, h.now);
        let mut back = vec![0u8; len];
        h.ctrl.read_register(offset, &mut back);
        if rng.below(4) == 0 {
            h.run(rng.below(20));
        }
    }
    h.run_until_idle();
    // A reset and a fresh enable bring it back.
    h.set_reg32(0x14, 0);
    h.enable();
    h.admin(Cmd::identify(1, 0, DATA, 0)).assert_ok();
}
