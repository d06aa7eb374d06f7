// SPDX-License-Identifier: MIT OR Apache-2.0
use super::*;

const HEADER: &str =
    "[block]\nname = \"t\"\ndescription = \"test block\"\nsize = 0x100\ngroup = \"g\"\n";

fn reg(name: &str, offset: u64, fields: &str) -> String {
    format!(
        "[[register]]\nname = \"{name}\"\noffset = {offset:#x}\ndescription = \"d\"\n\
             fields = [\n{fields}\n]\n"
    )
}

fn field(name: &str, bits: &str, access: &str, reset: u64) -> String {
    format!(
        "  {{ name = \"{name}\", bits = \"{bits}\", access = \"{access}\", reset = {reset:#x}, \
             description = \"d\" }},"
    )
}

/// Parses a map and returns its error text (panics when it validates).
fn err(regs: &[String]) -> String {
    let text = format!("{HEADER}{}", regs.concat());
    match RegMap::from_toml(&text, "test.toml") {
        Ok(m) => panic!("expected an error, got {m:?}"),
        Err(e) => format!("{e:#}"),
    }
}

fn assert_err(regs: &[String], needles: &[&str]) {
    let e = err(regs);
    for n in needles {
        assert!(e.contains(n), "error {e:?} should contain {n:?}");
    }
    assert!(e.starts_with("test.toml: "), "{e}");
}

#[test]
fn valid_map_builds_resets_and_access() {
    let text = format!(
        "{HEADER}{}{}",
        reg(
            "B",
            4,
            &[field("X", "0", "ro", 1), field("Y", "7:4", "w1p", 0)].concat()
        ),
        reg(
            "A",
            0,
            &[
                field("HI", "31:16", "const", 0xabcd),
                field("LO", "3:0", "rw", 5)
            ]
            .concat()
        ),
    );
    let m = RegMap::from_toml(&text, "t").unwrap();
    assert_eq!(m.registers[0].name, "A", "sorted by offset");
    assert_eq!(m.registers[0].fields[0].name, "LO", "fields sorted by lsb");
    assert_eq!(m.registers[0].reset(), 0xabcd_0005);
    assert_eq!(m.registers[0].access(), Access::ReadWrite);
    assert_eq!(m.registers[1].access(), Access::WriteOnePulse);
    assert_eq!(m.registers[1].fields[1].mask(), 0xf0);
}

#[test]
fn access_strength_order() {
    let f = |a| Field {
        name: "F".into(),
        lsb: 0,
        width: 1,
        access: a,
        hw: Hw::default_for(a),
        reset: 0,
        description: String::new(),
    };
    let r = |acc: &[Access]| Register {
        name: "R".into(),
        offset: 0,
        description: String::new(),
        wide: false,
        group: "g".into(),
        fields: acc
            .iter()
            .enumerate()
            .map(|(i, a)| Field {
                lsb: i as u32,
                ..f(*a)
            })
            .collect(),
    };
    assert_eq!(r(&[Access::Const]).access(), Access::Const);
    assert_eq!(
        r(&[Access::Const, Access::ReadOnly]).access(),
        Access::ReadOnly
    );
    assert_eq!(
        r(&[Access::ReadOnly, Access::WriteOnePulse]).access(),
        Access::WriteOnePulse
    );
    assert_eq!(
        r(&[Access::WriteOnePulse, Access::ReadWrite, Access::Const]).access(),
        Access::ReadWrite
    );
}

#[test]
fn duplicate_register_name() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("A", 0, &f), reg("A", 4, &f)],
        &["register A: duplicate register name"],
    );
}

#[test]
fn duplicate_offset() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("A", 8, &f), reg("B", 8, &f)],
        &["register B: offset 0x008 is already used by register A"],
    );
}

#[test]
fn misaligned_offset() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("A", 6, &f)],
        &["register A: offset 0x006 is not 4-byte aligned"],
    );
}

#[test]
fn offset_outside_block() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("A", 0x100, &f)],
        &["register A: offset 0x100 lies outside the block"],
    );
}

#[test]
fn overlapping_fields() {
    let fs = [field("X", "7:0", "ro", 0), field("Y", "4", "ro", 0)].concat();
    assert_err(
        &[reg("A", 0, &fs)],
        &["register A field Y: bits 4 overlap field X (bits 7:0)"],
    );
}

#[test]
fn bits_outside_register() {
    assert_err(
        &[reg("A", 0, &field("X", "32:30", "ro", 0))],
        &["register A field X: bits \"32:30\" lie outside 31:0"],
    );
    assert_err(
        &[reg("A", 0, &field("X", "3:5", "ro", 0))],
        &["register A field X: bits \"3:5\": write msb:lsb with msb >= lsb"],
    );
    assert_err(
        &[reg("A", 0, &field("X", "a", "ro", 0))],
        &["register A field X: bits \"a\": \"a\" is not a bit number"],
    );
}

#[test]
fn reset_does_not_fit() {
    assert_err(
        &[reg("A", 0, &field("X", "5:4", "ro", 4))],
        &["register A field X: reset value 0x4 does not fit in 2 bit(s)"],
    );
    assert_err(
        &[reg("A", 0, &field("X", "31:0", "ro", 0x1_0000_0000))],
        &["register A field X: reset value 0x100000000 does not fit in 32 bit(s)"],
    );
}

#[test]
fn unknown_access() {
    assert_err(
        &[reg("A", 0, &field("X", "0", "wo", 0))],
        &["register A field X: unknown access type \"wo\""],
    );
}

#[test]
fn names_must_be_upper_snake() {
    let f = field("V", "0", "ro", 0);
    assert_err(
        &[reg("Status", 0, &f)],
        &["register Status: name is not UPPER_SNAKE"],
    );
    assert_err(
        &[reg("A", 0, &field("link_up", "0", "ro", 0))],
        &["register A field link_up: name is not UPPER_SNAKE"],
    );
    assert!(is_upper_snake("BAR2_SIZE_LO"));
    for bad in ["", "_A", "A_", "A__B", "2A", "A-B", "aB"] {
        assert!(!is_upper_snake(bad), "{bad}");
    }
}

#[test]
fn generated_names_must_not_clash() {
    assert_err(
        &[
            reg("A_B", 0, &field("C", "0", "ro", 0)),
            reg("A", 4, &field("B_C", "0", "ro", 0)),
        ],
        &["register A field B_C: generated name A_B_C_LSB clashes"],
    );
}

#[test]
fn all_errors_reported_together() {
    let e = err(&[reg("a", 3, &field("X", "40", "zz", 0))]);
    assert!(e.contains("not UPPER_SNAKE"), "{e}");
    assert!(e.contains("not 4-byte aligned"), "{e}");
    assert!(e.contains("unknown access type"), "{e}");
    assert!(e.contains("outside 31:0"), "{e}");
}

#[test]
fn unknown_keys_are_rejected() {
    let text = format!("{HEADER}[[register]]\nname = \"A\"\noffset = 0\ndescription = \"d\"\nfields = []\nbogus = 32\n");
    let e = format!("{:#}", RegMap::from_toml(&text, "t.toml").unwrap_err());
    assert!(e.contains("bogus"), "{e}");
}

/// `[[array]]` with its `[[array.register]]` tables (`regs` from [`areg`]).
fn arr(name: &str, base: u64, stride: u64, count: u64, regs: &[String]) -> String {
    format!(
        "[[array]]\nname = \"{name}\"\nbase = {base:#x}\nstride = {stride:#x}\n\
             count = {count}\ndescription = \"d\"\n{}",
        regs.concat()
    )
}

fn areg(name: &str, offset: u64, fields: &str) -> String {
    reg(name, offset, fields).replacen("[[register]]", "[[array.register]]", 1)
}

fn vreg(name: &str, offset: u64) -> String {
    areg(name, offset, &field("V", "31:0", "rw", 0))
}

#[test]
fn valid_array_builds() {
    let text = format!(
        "{HEADER}{}{}",
        reg("A", 0, &field("V", "31:0", "ro", 0)),
        arr(
            "Q",
            0x40,
            0x10,
            4,
            &[
                areg(
                    "CTRL",
                    4,
                    &[field("EN", "0", "rw", 1), field("V", "9:8", "ro", 2)].concat()
                ),
                vreg("BASE", 0),
            ]
        ),
    );
    let m = RegMap::from_toml(&text, "t").unwrap();
    assert_eq!(m.registers.len(), 1);
    let q = &m.arrays[0];
    assert_eq!((q.base, q.stride, q.count, q.end()), (0x40, 0x10, 4, 0x80));
    assert_eq!(
        q.registers[0].name, "BASE",
        "element registers sorted by offset"
    );
    assert_eq!(q.registers[1].offset, 4, "offsets stay relative");
    assert_eq!(q.registers[1].reset(), 0x201);
    assert_eq!(q.ident(&q.registers[1]), "Q_CTRL");
    assert!(q.contains(0x7c) && !q.contains(0x80) && !q.contains(0x3c));
}

#[test]
fn array_order_in_toml_does_not_matter() {
    let a = arr("A", 0x40, 0x10, 2, &[vreg("X", 0), vreg("Y", 8)]);
    let b = arr("B", 0x80, 0x8, 2, &[vreg("Z", 4)]);
    let a_rev = arr("A", 0x40, 0x10, 2, &[vreg("Y", 8), vreg("X", 0)]);
    let one = RegMap::from_toml(&format!("{HEADER}{a}{b}"), "t").unwrap();
    let two = RegMap::from_toml(&format!("{HEADER}{b}{a_rev}"), "t").unwrap();
    assert_eq!(one, two);
    assert_eq!(one.arrays[0].name, "A");
}

#[test]
fn array_register_outside_stride() {
    assert_err(
        &[arr("Q", 0x40, 0x10, 2, &[vreg("A", 0x10)])],
        &["array Q register A: offset 0x10 lies outside the array element (stride 0x10"],
    );
    assert_err(
        &[arr("Q", 0x40, 0x10, 2, &[vreg("A", 0x0e)])],
        &[
            "array Q register A: offset 0x0e is not 4-byte aligned",
            "array Q register A: offset 0x0e lies outside the array element",
        ],
    );
}

#[test]
fn array_register_duplicates() {
    assert_err(
        &[arr("Q", 0x40, 0x10, 2, &[vreg("A", 0), vreg("B", 0)])],
        &["array Q register B: offset 0x00 is already used by array Q register A"],
    );
    assert_err(
        &[arr("Q", 0x40, 0x10, 2, &[vreg("A", 0), vreg("A", 4)])],
        &["array Q register A: duplicate register name in the array"],
    );
}

#[test]
fn array_stride_and_count() {
    assert_err(
        &[arr("Q", 0x40, 0x12, 2, &[vreg("A", 0)])],
        &["array Q: stride 0x12 must be a non-zero multiple of 4"],
    );
    assert_err(
        &[arr("Q", 0x40, 0, 2, &[vreg("A", 0)])],
        &["array Q: stride 0x0 must be a non-zero multiple of 4"],
    );
    assert_err(
        &[arr("Q", 0x40, 0x10, 0, &[vreg("A", 0)])],
        &["array Q: count 0 must be at least 1"],
    );
    assert_err(
        &[arr("Q", 0x42, 0x10, 1, &[vreg("A", 0)])],
        &["array Q: base 0x042 is not 4-byte aligned"],
    );
    assert_err(
        &[arr("Q", 0x40, 0x10, 2, &[])],
        &["array Q: has no registers"],
    );
}

#[test]
fn array_must_fit_in_the_block() {
    // HEADER's block is 0x100 bytes: 0xc0 + 5 * 0x10 = 0x110.
    assert_err(
            &[arr("Q", 0xc0, 0x10, 5, &[vreg("A", 0)])],
            &["array Q: base 0x0c0 + count 5 * stride 0x10 runs past the end of the block (size 0x100)"],
        );
    // Exactly filling the block is fine.
    let ok = format!("{HEADER}{}", arr("Q", 0xc0, 0x10, 4, &[vreg("A", 0xc)]));
    RegMap::from_toml(&ok, "t").unwrap();
    // No overflow on absurd values.
    assert_err(
        &[arr("Q", 0x40, 0x10, 0xffff_ffff_ffff, &[vreg("A", 0)])],
        &[
            "must be at least 1 (and fit in 32 bits)",
            "runs past the end of the block",
        ],
    );
}

#[test]
fn array_must_not_overlap_registers_or_arrays() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("R", 0x5c, &f), arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)])],
        &["register R: offset 0x05c lies inside array Q (0x040..0x060)"],
    );
    // A register at the first byte after the array is fine.
    let ok = format!(
        "{HEADER}{}{}",
        reg("R", 0x60, &f),
        arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)])
    );
    RegMap::from_toml(&ok, "t").unwrap();
    assert_err(
        &[
            arr("P", 0x40, 0x10, 2, &[vreg("A", 0)]),
            arr("Q", 0x50, 0x8, 2, &[vreg("B", 0)]),
        ],
        &["array Q (0x050..0x060) overlaps array P (0x040..0x060)"],
    );
}

#[test]
fn array_names() {
    assert_err(
        &[arr("Queue", 0x40, 0x10, 2, &[vreg("a", 0)])],
        &[
            "array Queue: name is not UPPER_SNAKE",
            "array Queue register a: name is not UPPER_SNAKE",
        ],
    );
    let f = field("V", "31:0", "ro", 0);
    assert_err(
        &[reg("Q", 0, &f), arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)])],
        &["array Q: name already used by register Q"],
    );
    assert_err(
        &[
            arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)]),
            arr("Q", 0x80, 0x10, 2, &[vreg("B", 0)]),
        ],
        &["array Q: name already used by array Q"],
    );
}

#[test]
fn array_generated_names_must_not_clash_with_plain_ones() {
    let f = field("V", "31:0", "ro", 0);
    assert_err(
            &[
                reg("Q_CONTROL", 0, &f),
                arr("Q", 0x40, 0x10, 2, &[vreg("CONTROL", 0)]),
            ],
            &["array Q register CONTROL: generated name Q_CONTROL_OFFSET clashes with the one generated for register Q_CONTROL"],
        );
    // Two arrays' element registers.
    assert_err(
            &[
                arr("A", 0x40, 0x10, 2, &[vreg("B_C", 0)]),
                arr("A_B", 0x80, 0x10, 2, &[vreg("C", 0)]),
            ],
            &["array A_B register C: generated name A_B_C_OFFSET clashes with the one generated for array A register B_C"],
        );
}

#[test]
fn array_register_fields_are_checked_like_plain_ones() {
    let fs = [
        field("X", "7:0", "rw", 0x100),
        field("Y", "4", "ro", 0),
        field("Z", "9", "w1p", 1),
        field("W", "10", "wo", 0),
    ]
    .concat();
    assert_err(
        &[arr(
            "Q",
            0x40,
            0x10,
            2,
            &[areg("A", 0, &fs), areg("B", 4, "")],
        )],
        &[
            "array Q register A field X: reset value 0x100 does not fit in 8 bit(s)",
            "array Q register A field Y: bits 4 overlap field X (bits 7:0)",
            "array Q register A field Z: a w1p field reads as 0, so its reset must be 0",
            "array Q register A field W: unknown access type \"wo\"",
            "array Q register B: has no fields",
        ],
    );
}

#[test]
fn unknown_array_keys_are_rejected() {
    let text = format!(
        "{HEADER}{}",
        arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)]).replacen("count = 2", "count = 2\nsize = 4", 1)
    );
    let e = format!("{:#}", RegMap::from_toml(&text, "t.toml").unwrap_err());
    assert!(e.contains("size"), "{e}");
}

#[test]
fn pairs_and_hw_access() {
    let lo = |w: &str| {
        format!(
            "[[register]]\nname = \"X_LO\"\noffset = 0x10\n{w}description = \"d\"\n\
             fields = [\n{}\n]\n",
            field("V", "31:0", "ro", 0)
        )
    };
    let hi = reg("X_HI", 0x14, &field("V", "31:0", "ro", 0));
    let m = RegMap::from_toml(&format!("{HEADER}{}{hi}", lo("width = 64\n")), "t").unwrap();
    assert!(m.registers[0].wide && !m.registers[1].wide);
    assert_eq!(
        m.registers[0].fields[0].hw,
        Hw::Drive,
        "ro defaults to hw w"
    );
    assert_eq!(m.groups, ["g"]);
    // The high half must follow at offset + 4, with the same access.
    assert_err(&[lo("width = 64\n")], &["X_HI is not the next register"]);
    let hi_rw = reg("X_HI", 0x14, &field("V", "31:0", "rw", 0));
    assert_err(&[lo("width = 64\n"), hi_rw], &["one access and hw"]);
    let x = reg("X", 0x20, &field("V", "31:0", "ro", 0));
    assert_err(
        &[lo("width = 64\n"), hi.clone(), x],
        &["X is a register's too"],
    );
    let bad = reg("Y", 0x20, &field("V", "31:0", "rw", 0)).replace("offset", "width = 64\noffset");
    assert_err(&[bad], &["ends in _LO"]);
    // hw must fit the access.
    let f = field("V", "31:0", "ro", 0).replace("description", "hw = \"none\", description");
    assert_err(&[reg("Z", 0, &f)], &["hw \"none\" does not fit access ro"]);
    let f = field("V", "31:0", "rw", 0).replace("description", "hw = \"x\", description");
    assert_err(&[reg("Z", 0, &f)], &["unknown hw access"]);
}
