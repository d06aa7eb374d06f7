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
    #[serde(default)]
    array: Vec<RawArray>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArray {
    name: String,
    base: u64,
    stride: u64,
    count: u64,
    description: String,
    /// The `[[array.register]]` tables: offsets relative to the element start.
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
    /// Register arrays sorted by base.
    pub arrays: Vec<RegArray>,
}

/// A register array: `count` elements of `stride` bytes from `base`, each holding the same
/// registers (their offsets relative to the element start).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegArray {
    pub name: String,
    /// Byte offset of element 0 in the block.
    pub base: u64,
    /// Bytes from one element to the next.
    pub stride: u64,
    /// Number of elements (at least 1).
    pub count: u32,
    pub description: String,
    /// The element's registers, sorted by (relative) offset.
    pub registers: Vec<Register>,
}

impl RegArray {
    /// One past the last byte of the array.
    pub fn end(&self) -> u64 {
        // Saturating: also called on arrays that failed validation.
        self.base
            .saturating_add(u64::from(self.count).saturating_mul(self.stride))
    }

    /// True when block offset `offset` lies inside the array.
    pub fn contains(&self, offset: u64) -> bool {
        offset >= self.base && offset < self.end()
    }

    /// `"0x1000..0x1400"`: the byte range the array occupies (end exclusive).
    pub fn span(&self) -> String {
        format!("{:#05x}..{:#05x}", self.base, self.end())
    }

    /// The generated-name prefix of element register `reg` (`QUEUE_CONTROL`).
    pub fn ident(&self, reg: &Register) -> String {
        format!("{}_{}", self.name, reg.name)
    }
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

/// Collects validation problems and the identifiers the SystemVerilog package will declare.
struct Checker {
    errs: Vec<String>,
    /// Every identifier the SystemVerilog package will declare, and who declares it.
    sv_idents: BTreeMap<String, String>,
}

impl Checker {
    fn err(&mut self, e: String) {
        self.errs.push(e);
    }

    /// Records a generated SystemVerilog identifier; reports a clash with an earlier one.
    fn sv_ident(&mut self, ident: String, owner: &str) {
        if let Some(prev) = self.sv_idents.get(&ident) {
            self.errs.push(format!(
                "{owner}: generated name {ident} clashes with the one generated for {prev}"
            ));
        } else {
            self.sv_idents.insert(ident, owner.to_owned());
        }
    }

    /// Validates what every register has, plain or array element: name, description, fields.
    /// `who` names it in errors (`"register STATUS"`, `"array QUEUE register CONTROL"`);
    /// `ident` is the prefix of its generated names (`"STATUS"`, `"QUEUE_CONTROL"`). The
    /// caller checks the offset.
    fn register(&mut self, r: RawRegister, who: &str, ident: &str) -> Register {
        if !is_upper_snake(&r.name) {
            self.err(format!("{who}: name is not UPPER_SNAKE"));
        }
        if r.description.trim().is_empty() {
            self.err(format!("{who}: empty description"));
        }
        if r.fields.is_empty() {
            self.err(format!("{who}: has no fields"));
        }
        self.sv_ident(format!("{ident}_OFFSET"), who);
        self.sv_ident(format!("{ident}_RESET"), who);

        let mut fields: Vec<Field> = Vec::new();
        let mut field_names = BTreeSet::new();
        for f in r.fields {
            let fwho = format!("{who} field {}", f.name);
            if !is_upper_snake(&f.name) {
                self.err(format!("{fwho}: name is not UPPER_SNAKE"));
            }
            if !field_names.insert(f.name.clone()) {
                self.err(format!("{fwho}: duplicate field name"));
            }
            if f.description.trim().is_empty() {
                self.err(format!("{fwho}: empty description"));
            }
            for suffix in ["LSB", "WIDTH", "MASK"] {
                self.sv_ident(format!("{ident}_{}_{suffix}", f.name), &fwho);
            }
            let access = Access::parse(&f.access);
            if access.is_none() {
                self.err(format!(
                    "{fwho}: unknown access type \"{}\" (expected one of: const, ro, rw, w1p)",
                    f.access
                ));
            }
            let (lsb, width) = match parse_bits(&f.bits) {
                Ok(v) => v,
                Err(e) => {
                    self.err(format!("{fwho}: {e}"));
                    continue;
                }
            };
            let max = if width >= 32 {
                u64::from(u32::MAX)
            } else {
                (1u64 << width) - 1
            };
            if f.reset > max {
                self.err(format!(
                    "{fwho}: reset value {:#x} does not fit in {width} bit(s) (max {max:#x})",
                    f.reset
                ));
            }
            if access == Some(Access::WriteOnePulse) && f.reset != 0 {
                self.err(format!(
                    "{fwho}: a w1p field reads as 0, so its reset must be 0"
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
                    self.err(format!(
                        "{fwho}: bits {} overlap field {} (bits {})",
                        field.bits(),
                        other.name,
                        other.bits()
                    ));
                }
            }
            fields.push(field);
        }
        fields.sort_by_key(|f| f.lsb);
        Register {
            name: r.name,
            offset: r.offset,
            description: r.description,
            fields,
        }
    }
}

impl RegMap {
    /// Parses and validates the toml text. `source` names the file in error messages.
    pub fn from_toml(text: &str, source: &str) -> anyhow::Result<RegMap> {
        let raw: RawMap =
            toml::from_str(text).map_err(|e| anyhow::anyhow!("{source}: TOML error: {e}"))?;
        Self::validate(raw).map_err(|e| anyhow::anyhow!("{source}: {e}"))
    }

    fn validate(raw: RawMap) -> Result<RegMap, ValidationErrors> {
        let mut c = Checker {
            errs: Vec::new(),
            sv_idents: BTreeMap::new(),
        };
        let block_size = raw.block.size;
        if block_size == 0 || block_size > 0x1_0000 || block_size % 4 != 0 {
            c.err(format!(
                "block {}: size {block_size:#x} must be a non-zero multiple of 4, at most 0x10000 \
                 (offsets are 16 bits in the SystemVerilog package)",
                raw.block.name
            ));
        }

        // Register and array names share one namespace (who uses the name).
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        let mut offsets: BTreeMap<u64, String> = BTreeMap::new();

        let mut registers = Vec::new();
        for r in raw.register {
            let reg = r.name.clone();
            let who = format!("register {reg}");
            if let Some(prev) = names.get(&reg) {
                if prev == &who {
                    c.err(format!("{who}: duplicate register name"));
                } else {
                    c.err(format!("{who}: name already used by {prev}"));
                }
            } else {
                names.insert(reg.clone(), who.clone());
            }
            if r.offset % 4 != 0 {
                c.err(format!(
                    "{who}: offset {:#05x} is not 4-byte aligned",
                    r.offset
                ));
            }
            if r.offset.saturating_add(4) > block_size {
                c.err(format!(
                    "{who}: offset {:#05x} lies outside the block (size {block_size:#x})",
                    r.offset
                ));
            }
            if let Some(prev) = offsets.get(&r.offset) {
                c.err(format!(
                    "{who}: offset {:#05x} is already used by register {prev}",
                    r.offset
                ));
            } else {
                offsets.insert(r.offset, reg.clone());
            }
            registers.push(c.register(r, &who, &reg));
        }

        let mut arrays = Vec::new();
        for a in raw.array {
            let arr = a.name.clone();
            let who = format!("array {arr}");
            if !is_upper_snake(&arr) {
                c.err(format!("{who}: name is not UPPER_SNAKE"));
            }
            if let Some(prev) = names.get(&arr) {
                c.err(format!("{who}: name already used by {prev}"));
            } else {
                names.insert(arr.clone(), who.clone());
            }
            if a.description.trim().is_empty() {
                c.err(format!("{who}: empty description"));
            }
            for suffix in ["BASE", "STRIDE", "COUNT"] {
                c.sv_ident(format!("{arr}_{suffix}"), &who);
            }
            if a.base % 4 != 0 {
                c.err(format!("{who}: base {:#05x} is not 4-byte aligned", a.base));
            }
            if a.stride == 0 || a.stride % 4 != 0 || a.stride > 0xfffc {
                c.err(format!(
                    "{who}: stride {:#x} must be a non-zero multiple of 4, at most 0xfffc \
                     (16 bits in the SystemVerilog package)",
                    a.stride
                ));
            }
            let count = match u32::try_from(a.count) {
                Ok(n) if n >= 1 => n,
                _ => {
                    c.err(format!(
                        "{who}: count {} must be at least 1 (and fit in 32 bits)",
                        a.count
                    ));
                    0
                }
            };
            let end = a
                .stride
                .checked_mul(a.count)
                .and_then(|len| len.checked_add(a.base));
            match end {
                Some(end) if end <= block_size => {}
                _ => c.err(format!(
                    "{who}: base {:#05x} + count {} * stride {:#x} runs past the end of the \
                     block (size {block_size:#x})",
                    a.base, a.count, a.stride
                )),
            }
            if a.register.is_empty() {
                c.err(format!("{who}: has no registers"));
            }

            let mut elem_names = BTreeSet::new();
            let mut elem_offsets: BTreeMap<u64, String> = BTreeMap::new();
            let mut elems = Vec::new();
            for r in a.register {
                let reg = r.name.clone();
                let rwho = format!("array {arr} register {reg}");
                if !elem_names.insert(reg.clone()) {
                    c.err(format!("{rwho}: duplicate register name in the array"));
                }
                if r.offset % 4 != 0 {
                    c.err(format!(
                        "{rwho}: offset {:#04x} is not 4-byte aligned",
                        r.offset
                    ));
                }
                if r.offset.saturating_add(4) > a.stride {
                    c.err(format!(
                        "{rwho}: offset {:#04x} lies outside the array element (stride {:#x}; \
                         offsets are relative to the element start)",
                        r.offset, a.stride
                    ));
                }
                if let Some(prev) = elem_offsets.get(&r.offset) {
                    c.err(format!(
                        "{rwho}: offset {:#04x} is already used by array {arr} register {prev}",
                        r.offset
                    ));
                } else {
                    elem_offsets.insert(r.offset, reg.clone());
                }
                elems.push(c.register(r, &rwho, &format!("{arr}_{reg}")));
            }
            elems.sort_by_key(|r| r.offset);
            arrays.push(RegArray {
                name: a.name,
                base: a.base,
                stride: a.stride,
                count,
                description: a.description,
                registers: elems,
            });
        }

        // No plain register inside an array, no two arrays overlapping.
        for (i, a) in arrays.iter().enumerate() {
            for r in &registers {
                if a.contains(r.offset) {
                    c.err(format!(
                        "register {}: offset {:#05x} lies inside array {} ({})",
                        r.name,
                        r.offset,
                        a.name,
                        a.span()
                    ));
                }
            }
            for b in &arrays[..i] {
                if a.base < b.end() && b.base < a.end() {
                    c.err(format!(
                        "array {} ({}) overlaps array {} ({})",
                        a.name,
                        a.span(),
                        b.name,
                        b.span()
                    ));
                }
            }
        }

        if !c.errs.is_empty() {
            return Err(ValidationErrors(c.errs));
        }
        registers.sort_by_key(|r| r.offset);
        arrays.sort_by_key(|a| a.base);
        Ok(RegMap {
            name: raw.block.name,
            description: raw.block.description,
            size: block_size,
            rules: raw.block.rules,
            registers,
            arrays,
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
            arr("Q", 0x40, 0x10, 2, &[vreg("A", 0)]).replacen(
                "count = 2",
                "count = 2\nsize = 4",
                1
            )
        );
        let e = format!("{:#}", RegMap::from_toml(&text, "t.toml").unwrap_err());
        assert!(e.contains("size"), "{e}");
    }
}
