//! The register map: parsing `peerbar.toml` and validating it.
//!
//! Parsing is two-step: serde reads the raw TOML shape ([`RawMap`]), then [`RegMap::from_toml`]
//! checks every rule and builds the validated model the generators use. All problems found are
//! reported together, each naming the register (and field) concerned.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Deserialize;

/// How software may access a field (the `access` key in the toml).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Read-only constant: always reads as its reset value.
    Const,
    /// Read-only status driven by hardware.
    ReadOnly,
    /// Write 1 to pulse an action; reads as 0.
    WriteOnePulse,
    /// Read/write storage, byte enables honoured.
    ReadWrite,
}

impl Access {
    /// All access types, in legend order.
    pub const ALL: [Access; 4] = [
        Access::Const,
        Access::ReadOnly,
        Access::ReadWrite,
        Access::WriteOnePulse,
    ];

    /// Parses the toml spelling.
    pub fn parse(s: &str) -> Option<Access> {
        match s {
            "const" => Some(Access::Const),
            "ro" => Some(Access::ReadOnly),
            "rw" => Some(Access::ReadWrite),
            "w1p" => Some(Access::WriteOnePulse),
            _ => None,
        }
    }

    /// The toml spelling (also used in the docs).
    pub fn keyword(self) -> &'static str {
        match self {
            Access::Const => "const",
            Access::ReadOnly => "ro",
            Access::ReadWrite => "rw",
            Access::WriteOnePulse => "w1p",
        }
    }

    /// The variant name of the driver's `regs::Access` enum.
    pub fn rust_variant(self) -> &'static str {
        match self {
            Access::Const => "Const",
            Access::ReadOnly => "ReadOnly",
            Access::ReadWrite => "ReadWrite",
            Access::WriteOnePulse => "WriteOnePulse",
        }
    }

    /// One-line meaning, for the docs legend.
    pub fn meaning(self) -> &'static str {
        match self {
            Access::Const => "read-only constant: always reads as its reset value",
            Access::ReadOnly => "read-only status driven by hardware",
            Access::ReadWrite => "read/write storage, byte enables honoured",
            Access::WriteOnePulse => "write 1 to pulse an action; reads as 0",
        }
    }
}

impl fmt::Display for Access {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.keyword())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    block: RawBlock,
    #[serde(default)]
    register: Vec<RawRegister>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBlock {
    name: String,
    description: String,
    size: u64,
    #[serde(default)]
    rules: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRegister {
    name: String,
    offset: u64,
    description: String,
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    bits: String,
    access: String,
    #[serde(default)]
    reset: u64,
    description: String,
}

/// The validated register block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegMap {
    pub name: String,
    pub description: String,
    /// Size of the block in bytes.
    pub size: u64,
    /// General rules that apply to every register (prose, one paragraph each).
    pub rules: Vec<String>,
    /// Registers sorted by offset.
    pub registers: Vec<Register>,
}

/// One 32-bit register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    pub name: String,
    pub offset: u64,
    pub description: String,
    /// Fields sorted by LSB.
    pub fields: Vec<Field>,
}

/// One bit field of a register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub lsb: u32,
    pub width: u32,
    pub access: Access,
    /// Reset value of the field, right-aligned (not shifted into register position).
    pub reset: u32,
    pub description: String,
}

impl Field {
    /// Most significant bit.
    pub fn msb(&self) -> u32 {
        self.lsb + self.width - 1
    }

    /// Mask of the field's bits in register position.
    pub fn mask(&self) -> u32 {
        let ones = if self.width >= 32 {
            u32::MAX
        } else {
            (1u32 << self.width) - 1
        };
        ones << self.lsb
    }

    /// `"msb:lsb"`, or `"bit"` for a one-bit field.
    pub fn bits(&self) -> String {
        if self.width == 1 {
            self.lsb.to_string()
        } else {
            format!("{}:{}", self.msb(), self.lsb)
        }
    }
}

impl Register {
    /// Reset value of the whole register, assembled from its fields.
    pub fn reset(&self) -> u32 {
        self.fields
            .iter()
            .fold(0, |acc, f| acc | (f.reset << f.lsb))
    }

    /// The strongest access of the fields: rw > w1p > ro > const.
    pub fn access(&self) -> Access {
        self.fields
            .iter()
            .map(|f| f.access)
            .max()
            .unwrap_or(Access::Const)
    }
}

/// Every validation problem found, one per line.
#[derive(Debug)]
pub struct ValidationErrors(pub Vec<String>);

impl fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} problem(s) in the register map:", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ValidationErrors {}

/// `UPPER_SNAKE`: starts with an uppercase letter, then uppercase letters, digits and single
/// underscores, not ending in an underscore.
pub fn is_upper_snake(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_uppercase()
        && b.iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || *c == b'_')
        && !s.ends_with('_')
        && !s.contains("__")
}

/// Parses `"msb:lsb"` or `"bit"` into (lsb, width).
fn parse_bits(bits: &str) -> Result<(u32, u32), String> {
    let num = |s: &str| -> Result<u32, String> {
        s.trim()
            .parse::<u32>()
            .map_err(|_| format!("bits \"{bits}\": \"{}\" is not a bit number", s.trim()))
    };
    let (msb, lsb) = match bits.split_once(':') {
        Some((m, l)) => (num(m)?, num(l)?),
        None => {
            let b = num(bits)?;
            (b, b)
        }
    };
    if msb < lsb {
        return Err(format!("bits \"{bits}\": write msb:lsb with msb >= lsb"));
    }
    if msb > 31 {
        return Err(format!("bits \"{bits}\" lie outside 31:0"));
    }
    Ok((lsb, msb - lsb + 1))
}

impl RegMap {
    /// Parses and validates the toml text. `source` names the file in error messages.
    pub fn from_toml(text: &str, source: &str) -> anyhow::Result<RegMap> {
        let raw: RawMap =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{source}: TOML error: {e}"))?;
        Self::validate(raw).map_err(|e| anyhow::anyhow!("{source}: {e}"))
    }

    fn validate(raw: RawMap) -> Result<RegMap, ValidationErrors> {
        let mut errs = Vec::new();
        let block_size = raw.block.size;
        if block_size == 0 || block_size > 0x1_0000 || block_size % 4 != 0 {
            errs.push(format!(
                "block {}: size {block_size:#x} must be a non-zero multiple of 4, at most 0x10000 \
                 (offsets are 16 bits in the SystemVerilog package)",
                raw.block.name
            ));
        }

        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut offsets: BTreeMap<u64, String> = BTreeMap::new();
        // Every identifier the SystemVerilog package will declare, and who declares it.
        let mut sv_idents: BTreeMap<String, String> = BTreeMap::new();
        let mut sv_ident = |errs: &mut Vec<String>, ident: String, owner: String| {
            if let Some(prev) = sv_idents.get(&ident) {
                errs.push(format!(
                    "{owner}: generated name {ident} clashes with the one generated for {prev}"
                ));
            } else {
                sv_idents.insert(ident, owner);
            }
        };

        let mut registers = Vec::new();
        for r in raw.register {
            let reg = r.name.clone();
            if !is_upper_snake(&reg) {
                errs.push(format!("register {reg}: name is not UPPER_SNAKE"));
            }
            if names.insert(reg.clone(), reg.clone()).is_some() {
                errs.push(format!("register {reg}: duplicate register name"));
            }
            if r.offset % 4 != 0 {
                errs.push(format!(
                    "register {reg}: offset {:#05x} is not 4-byte aligned",
                    r.offset
                ));
            }
            if r.offset.saturating_add(4) > block_size {
                errs.push(format!(
                    "register {reg}: offset {:#05x} lies outside the block (size {block_size:#x})",
                    r.offset
                ));
            }
            if let Some(prev) = offsets.get(&r.offset) {
                errs.push(format!(
                    "register {reg}: offset {:#05x} is already used by register {prev}",
                    r.offset
                ));
            } else {
                offsets.insert(r.offset, reg.clone());
            }
            if r.description.trim().is_empty() {
                errs.push(format!("register {reg}: empty description"));
            }
            if r.fields.is_empty() {
                errs.push(format!("register {reg}: has no fields"));
            }
            sv_ident(
                &mut errs,
                format!("{reg}_OFFSET"),
                format!("register {reg}"),
            );
            sv_ident(&mut errs, format!("{reg}_RESET"), format!("register {reg}"));

            let mut fields: Vec<Field> = Vec::new();
            let mut field_names = BTreeSet::new();
            for f in r.fields {
                let who = format!("register {reg} field {}", f.name);
                if !is_upper_snake(&f.name) {
                    errs.push(format!("{who}: name is not UPPER_SNAKE"));
                }
                if !field_names.insert(f.name.clone()) {
                    errs.push(format!("{who}: duplicate field name"));
                }
                if f.description.trim().is_empty() {
                    errs.push(format!("{who}: empty description"));
                }
                for suffix in ["LSB", "WIDTH", "MASK"] {
                    sv_ident(&mut errs, format!("{reg}_{}_{suffix}", f.name), who.clone());
                }
                let access = Access::parse(&f.access);
                if access.is_none() {
                    errs.push(format!(
                        "{who}: unknown access type \"{}\" (expected one of: const, ro, rw, w1p)",
                        f.access
                    ));
                }
                let (lsb, width) = match parse_bits(&f.bits) {
                    Ok(v) => v,
                    Err(e) => {
                        errs.push(format!("{who}: {e}"));
                        continue;
                    }
                };
                let max = if width >= 32 {
                    u64::from(u32::MAX)
                } else {
                    (1u64 << width) - 1
                };
                if f.reset > max {
                    errs.push(format!(
                        "{who}: reset value {:#x} does not fit in {width} bit(s) (max {max:#x})",
                        f.reset
                    ));
                }
                if access == Some(Access::WriteOnePulse) && f.reset != 0 {
                    errs.push(format!(
                        "{who}: a w1p field reads as 0, so its reset must be 0"
                    ));
                }
                let field = Field {
                    name: f.name,
                    lsb,
                    width,
                    access: access.unwrap_or(Access::Const),
                    reset: (f.reset & max) as u32,
                    description: f.description,
                };
                for other in &fields {
                    if other.mask() & field.mask() != 0 {
                        errs.push(format!(
                            "{who}: bits {} overlap field {} (bits {})",
                            field.bits(),
                            other.name,
                            other.bits()
                        ));
                    }
                }
                fields.push(field);
            }
            fields.sort_by_key(|f| f.lsb);
            registers.push(Register {
                name: r.name,
                offset: r.offset,
                description: r.description,
                fields,
            });
        }

        if !errs.is_empty() {
            return Err(ValidationErrors(errs));
        }
        registers.sort_by_key(|r| r.offset);
        Ok(RegMap {
            name: raw.block.name,
            description: raw.block.description,
            size: block_size,
            rules: raw.block.rules,
            registers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "[block]\nname = \"t\"\ndescription = \"test block\"\nsize = 0x100\n";

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
            reset: 0,
            description: String::new(),
        };
        let r = |acc: &[Access]| Register {
            name: "R".into(),
            offset: 0,
            description: String::new(),
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
        let text = format!("{HEADER}[[register]]\nname = \"A\"\noffset = 0\ndescription = \"d\"\nfields = []\nwidth = 32\n");
        let e = format!("{:#}", RegMap::from_toml(&text, "t.toml").unwrap_err());
        assert!(e.contains("width"), "{e}");
    }
}
