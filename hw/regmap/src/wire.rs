// SPDX-License-Identifier: MIT OR Apache-2.0
//! The wire formats (hw/regmap/wire.toml): SQ/CQ entries, SGL descriptors, the PCIe block's
//! descriptors, opcodes and status codes, generated into SystemVerilog packed structs, the
//! driver's zerocopy types, bit-field accessors for the simulation and docs/wire.md.

use std::fmt::Write;
use std::path::Path;

use anyhow::{bail, Context};
use serde::Deserialize;

/// The source, relative to the workspace root.
pub const SOURCE: &str = "hw/regmap/wire.toml";
const REGEN: &str = "regenerate with cargo run -p peerbar-regmap";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSpec {
    format: Vec<RawFormat>,
    codes: Vec<Codes>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFormat {
    name: String,
    title: String,
    source: String,
    bytes: u32,
    rust: String,
    rust_name: String,
    /// Derives beyond the zerocopy ones and Clone, Copy, PartialEq, Eq (byte formats).
    #[serde(default)]
    rust_derive: Vec<String>,
    fields: Vec<RawField>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawField {
    name: String,
    bits: String,
    #[serde(rename = "type")]
    ty: Option<String>,
    doc: String,
}

/// A set of named values of one width (opcodes, status codes).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Codes {
    pub name: String,
    pub title: String,
    pub bits: u32,
    pub sv_prefix: String,
    /// The Rust constants' type when wider than `bits` needs (the field holding them is).
    pub rust_type: Option<String>,
    pub values: Vec<Code>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Code {
    pub name: String,
    pub value: u64,
    pub doc: String,
}

/// How the Rust side represents a format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RustKind {
    /// A zerocopy struct of whole-byte little-endian fields.
    Bytes,
    /// Getters and setters over little-endian 32-bit words.
    Bits,
}

#[derive(Debug)]
pub struct Field {
    pub name: String,
    pub hi: u32,
    pub lo: u32,
    /// Another format this field holds.
    pub ty: Option<String>,
    pub doc: String,
}

impl Field {
    pub fn width(&self) -> u32 {
        self.hi - self.lo + 1
    }
}

#[derive(Debug)]
pub struct Format {
    pub name: String,
    pub title: String,
    pub source: String,
    pub bytes: u32,
    pub rust: RustKind,
    pub rust_name: String,
    pub rust_derive: Vec<String>,
    /// Sorted by their low bit.
    pub fields: Vec<Field>,
}

#[derive(Debug)]
pub struct WireSpec {
    pub formats: Vec<Format>,
    pub codes: Vec<Codes>,
}

fn parse_bits(bits: &str) -> Option<(u32, u32)> {
    let (hi, lo) = bits.split_once(':')?;
    let (hi, lo) = (hi.trim().parse().ok()?, lo.trim().parse().ok()?);
    (hi >= lo).then_some((hi, lo))
}

impl WireSpec {
    pub fn from_toml(text: &str) -> anyhow::Result<WireSpec> {
        let raw: RawSpec = toml::from_str(text).with_context(|| format!("parsing {SOURCE}"))?;
        let mut formats: Vec<Format> = Vec::new();
        for f in raw.format {
            let rust = match f.rust.as_str() {
                "byte" => RustKind::Bytes,
                "bits" => RustKind::Bits,
                other => bail!(
                    "{SOURCE}: format {}: rust = {other:?} (byte or bits)",
                    f.name
                ),
            };
            let mut fields = Vec::new();
            for r in f.fields {
                let what = format!("{SOURCE}: format {}, field {}", f.name, r.name);
                let Some((hi, lo)) = parse_bits(&r.bits) else {
                    bail!("{what}: bits {:?} is not \"HI:LO\" with HI >= LO", r.bits);
                };
                if hi >= f.bytes * 8 {
                    bail!("{what}: bit {hi} is past the format's {} bytes", f.bytes);
                }
                let field = Field {
                    name: r.name,
                    hi,
                    lo,
                    ty: r.ty,
                    doc: r.doc,
                };
                if let Some(ty) = &field.ty {
                    let Some(inner) = formats.iter().find(|g| &g.name == ty) else {
                        bail!("{what}: type {ty} is not a format defined before it");
                    };
                    if inner.bytes * 8 != field.width() {
                        bail!(
                            "{what}: {} bits hold {ty} of {} bytes",
                            field.width(),
                            inner.bytes
                        );
                    }
                }
                if rust == RustKind::Bytes
                    && (lo % 8 != 0
                        || (field.ty.is_none() && ![8, 16, 32, 64].contains(&field.width())))
                {
                    bail!("{what}: a byte format's fields are whole 1, 2, 4 or 8-byte values");
                }
                if rust == RustKind::Bits && field.width() > 64 {
                    bail!("{what}: wider than 64 bits");
                }
                fields.push(field);
            }
            fields.sort_by_key(|x| x.lo);
            for pair in fields.windows(2) {
                if pair[1].lo <= pair[0].hi {
                    bail!(
                        "{SOURCE}: format {}: fields {} and {} overlap",
                        f.name,
                        pair[0].name,
                        pair[1].name
                    );
                }
            }
            formats.push(Format {
                name: f.name,
                title: f.title,
                source: f.source,
                bytes: f.bytes,
                rust,
                rust_name: f.rust_name,
                rust_derive: f.rust_derive,
                fields,
            });
        }
        for c in &raw.codes {
            for v in &c.values {
                if c.bits < 64 && v.value >> c.bits != 0 {
                    bail!(
                        "{SOURCE}: {} {} = {:#x} does not fit {} bits",
                        c.name,
                        v.name,
                        v.value,
                        c.bits
                    );
                }
            }
        }
        let spec = WireSpec {
            formats,
            codes: raw.codes,
        };
        // Every SystemVerilog constant of the package is a name in one scope (the RTL imports
        // the package whole): two that come out the same would not compile, or one would hide
        // the other.
        let mut seen = std::collections::BTreeSet::new();
        let values = spec.codes.iter().flat_map(|c| {
            c.values
                .iter()
                .map(move |v| format!("{}{}", c.sv_prefix, v.name))
        });
        for name in spec.sv_widths().into_iter().map(|(n, _)| n).chain(values) {
            if !seen.insert(name.clone()) {
                bail!("{SOURCE}: two SystemVerilog constants would be named {name}");
            }
        }
        Ok(spec)
    }

    /// The width constants of the SystemVerilog package, in the order it declares them: per
    /// format its width (`<Format>W`) and each field's (`<Format><Field>W`), per code set its
    /// width (`<Codes>W`), names in CamelCase (docs/regmap-generator.md).
    fn sv_widths(&self) -> Vec<(String, u32)> {
        let mut out = Vec::new();
        for f in &self.formats {
            let fmt = camel(&f.name);
            out.push((format!("{fmt}W"), f.bytes * 8));
            for x in &f.fields {
                out.push((format!("{fmt}{}W", camel(&x.name)), x.width()));
            }
        }
        for c in &self.codes {
            out.push((format!("{}W", camel(&c.name)), c.bits));
        }
        out
    }

    /// Every generated file: (path relative to the workspace root, contents).
    pub fn generate_all(&self, root: &Path) -> anyhow::Result<Vec<(&'static str, String)>> {
        Ok(vec![
            ("hw/rtl/peerbar_wire_pkg.sv", self.sv()),
            (
                "driver/src/dma/wire_layout.rs",
                crate::rust::rustfmt(&self.rust_bytes(), root)?,
            ),
            (
                "bitstream-sim/src/xilinx_desc.rs",
                crate::rust::rustfmt(&self.rust_bits(), root)?,
            ),
            ("docs/wire.md", self.md()),
        ])
    }

    /// The fields of a format with the reserved gaps between them, most significant first (the
    /// order of a SystemVerilog packed struct).
    fn msb_first(f: &Format) -> Vec<(u32, u32, Option<&Field>)> {
        let mut out = Vec::new();
        let mut next = 0;
        for field in &f.fields {
            if field.lo > next {
                out.push((field.lo - 1, next, None));
            }
            out.push((field.hi, field.lo, Some(field)));
            next = field.hi + 1;
        }
        if next < f.bytes * 8 {
            out.push((f.bytes * 8 - 1, next, None));
        }
        out.reverse();
        out
    }

    fn sv(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", crate::SPDX_LINE);
        let _ = writeln!(o, "// Generated from {SOURCE}: do not edit ({REGEN}).");
        let _ = writeln!(
            o,
            "// peerbar's wire formats as packed structs (bit 0 = bit 0 of byte 0: cast a little-endian"
        );
        let _ = writeln!(
            o,
            "// bus or tdata slice to the type) and their code values. Width constants, for what holds a"
        );
        let _ = writeln!(
            o,
            "// field, slices one or casts to its width (names: the TOML names in CamelCase):"
        );
        let _ = writeln!(
            o,
            "//   <Format><Field>W  a field's width in bits (RqDescDwordCountW: rq_desc_t's dword_count)"
        );
        let _ = writeln!(
            o,
            "//   <Format>W         a format's width in bits (CqEntryW: $bits(cq_entry_t))"
        );
        let _ = writeln!(
            o,
            "//   <Codes>W          a code set's width in bits (StatusW: the St* values)"
        );
        let _ = writeln!(o, "\n`default_nettype none\n");
        let _ = writeln!(o, "package peerbar_wire_pkg;");
        let _ = writeln!(
            o,
            "\n  // A design uses only some of these constants; Verilator would flag the rest."
        );
        let _ = writeln!(o, "  // verilator lint_off UNUSEDPARAM");
        for f in &self.formats {
            let _ = writeln!(o, "\n  // {} ({} bytes): {}", f.title, f.bytes, f.source);
            let _ = writeln!(o, "  typedef struct packed {{");
            for (hi, lo, field) in Self::msb_first(f) {
                let w = hi - lo + 1;
                match field {
                    Some(x) => {
                        let ty = match &x.ty {
                            Some(t) => format!("{t}_t"),
                            None if w == 1 => "logic".to_string(),
                            None => format!("logic [{}:0]", w - 1),
                        };
                        let _ = writeln!(o, "    {ty} {}; // [{hi}:{lo}] {}", x.name, x.doc);
                    }
                    None => {
                        let ty = if w == 1 {
                            "logic".to_string()
                        } else {
                            format!("logic [{}:0]", w - 1)
                        };
                        let _ = writeln!(o, "    {ty} rsvd_{hi}_{lo}; // reserved");
                    }
                }
            }
            let _ = writeln!(o, "  }} {}_t;", f.name);
            let fmt = camel(&f.name);
            let _ = writeln!(o, "  // Widths in bits: the format's, its fields'.");
            let _ = writeln!(o, "  localparam int unsigned {fmt}W = {};", f.bytes * 8);
            for x in &f.fields {
                let _ = writeln!(
                    o,
                    "  localparam int unsigned {fmt}{}W = {};",
                    camel(&x.name),
                    x.width()
                );
            }
        }
        for c in &self.codes {
            let cw = format!("{}W", camel(&c.name));
            let _ = writeln!(o, "\n  // {}", c.title);
            let _ = writeln!(o, "  localparam int unsigned {cw} = {};", c.bits);
            for v in &c.values {
                let _ = writeln!(
                    o,
                    "  localparam logic [{cw}-1:0] {}{} = {}'h{:02X}; // {}",
                    c.sv_prefix, v.name, c.bits, v.value, v.doc
                );
            }
        }
        let _ = writeln!(o, "\n  // verilator lint_on UNUSEDPARAM");
        let _ = writeln!(o, "\nendpackage\n\n`default_nettype wire");
        o
    }

    fn rust_bytes(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", crate::SPDX_LINE);
        let _ = writeln!(o, "// Generated from {SOURCE}: do not edit ({REGEN}).");
        let _ = writeln!(
            o,
            "//! Byte layouts of the DMA engine's wire formats (hw/regmap/wire.toml): `#[repr(C)]` structs of"
        );
        let _ = writeln!(
            o,
            "//! little-endian fields (alignment 1, no padding) with their size and offsets checked at"
        );
        let _ = writeln!(
            o,
            "//! compile time. `wire.rs` gives them typed getters and constructors; the code values"
        );
        let _ = writeln!(o, "//! are in [`codes`].\n");
        let _ = writeln!(o, "use std::mem::{{offset_of, size_of}};\n");
        let _ = writeln!(o, "use zerocopy::little_endian::{{U16, U32, U64}};");
        let _ = writeln!(
            o,
            "use zerocopy::{{FromBytes, Immutable, IntoBytes, KnownLayout}};\n"
        );
        for f in self.formats.iter().filter(|f| f.rust == RustKind::Bytes) {
            let _ = writeln!(o, "/// {} ({} bytes): {}.", f.title, f.bytes, f.source);
            let extra: String = f.rust_derive.iter().map(|d| format!("{d}, ")).collect();
            let _ = writeln!(
                o,
                "#[derive(Clone, Copy, {extra}PartialEq, Eq, FromBytes, IntoBytes, KnownLayout, Immutable)]"
            );
            let _ = writeln!(o, "#[repr(C)]\npub struct {} {{", f.rust_name);
            let mut lsb_first = Self::msb_first(f);
            lsb_first.reverse();
            for (hi, lo, field) in &lsb_first {
                let bytes = (hi - lo + 1) / 8;
                match field {
                    Some(x) => {
                        let ty = match &x.ty {
                            Some(t) => self
                                .formats
                                .iter()
                                .find(|g| &g.name == t)
                                .map(|g| g.rust_name.clone())
                                .unwrap_or_default(),
                            None => match bytes {
                                1 => "u8".to_string(),
                                2 => "U16".to_string(),
                                4 => "U32".to_string(),
                                _ => "U64".to_string(),
                            },
                        };
                        let _ = writeln!(o, "    /// {}", x.doc);
                        let _ = writeln!(o, "    pub(crate) {}: {ty},", x.name);
                    }
                    None => {
                        let _ = writeln!(o, "    pub(crate) reserved_{}: [u8; {bytes}],", lo / 8);
                    }
                }
            }
            let _ = writeln!(o, "}}\n");
            let _ = writeln!(
                o,
                "const _: () = assert!(size_of::<{}>() == {});",
                f.rust_name, f.bytes
            );
            for x in &f.fields {
                let _ = writeln!(
                    o,
                    "const _: () = assert!(offset_of!({}, {}) == {});",
                    f.rust_name,
                    x.name,
                    x.lo / 8
                );
            }
            let _ = writeln!(o);
        }
        let _ = writeln!(
            o,
            "/// Code values (hw/regmap/wire.toml).\npub mod codes {{"
        );
        for c in &self.codes {
            let ty = c.rust_type.as_deref().unwrap_or(match c.bits {
                0..=8 => "u8",
                9..=16 => "u16",
                17..=32 => "u32",
                _ => "u64",
            });
            let _ = writeln!(o, "    // {}", c.title);
            for v in &c.values {
                let _ = writeln!(o, "    /// {}", v.doc);
                let _ = writeln!(
                    o,
                    "    pub const {}_{}: {ty} = {:#04x};",
                    c.name.to_uppercase(),
                    snake_upper(&v.name),
                    v.value
                );
            }
        }
        let _ = writeln!(o, "}}");
        o
    }

    fn rust_bits(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(o, "{}", crate::SPDX_LINE);
        let _ = writeln!(o, "// Generated from {SOURCE}: do not edit ({REGEN}).");
        let _ = writeln!(
            o,
            "//! The UltraScale+ PCIe block's descriptors (hw/regmap/wire.toml) as little-endian 32-bit"
        );
        let _ = writeln!(
            o,
            "//! words with a getter and a setter per field: what the RTL slices out of tdata, by name.\n"
        );
        for f in self.formats.iter().filter(|f| f.rust == RustKind::Bits) {
            let words = f.bytes.div_ceil(4) as usize;
            let _ = writeln!(o, "/// {} ({} bytes): {}.", f.title, f.bytes, f.source);
            let _ = writeln!(o, "#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]");
            let _ = writeln!(o, "pub struct {}(pub [u32; {words}]);\n", f.rust_name);
            let _ = writeln!(o, "impl {} {{", f.rust_name);
            let _ = writeln!(o, "    /// Size in bytes.");
            let _ = writeln!(o, "    pub const BYTES: usize = {};", f.bytes);
            for x in &f.fields {
                let _ = writeln!(o, "\n    /// Bits {}:{}: {}", x.hi, x.lo, x.doc);
                let _ = writeln!(
                    o,
                    "    pub fn {}(&self) -> u64 {{ get_bits(&self.0, {}, {}) }}",
                    x.name, x.lo, x.hi
                );
                let _ = writeln!(
                    o,
                    "    /// Sets bits {}:{} (the value's higher bits are dropped).",
                    x.hi, x.lo
                );
                let _ = writeln!(
                    o,
                    "    pub fn set_{}(&mut self, value: u64) -> &mut Self {{ set_bits(&mut self.0, {}, {}, value); self }}",
                    x.name, x.lo, x.hi
                );
            }
            let _ = writeln!(o, "}}\n");
        }
        o.push_str(
            "/// Bits `hi..=lo` of little-endian words `w` (at most 64).
fn get_bits(w: &[u32], lo: u32, hi: u32) -> u64 {
    (lo..=hi).rev().fold(0u64, |acc, b| {
        (acc << 1) | u64::from((w[(b / 32) as usize] >> (b % 32)) & 1)
    })
}

fn set_bits(w: &mut [u32], lo: u32, hi: u32, value: u64) {
    for b in lo..=hi {
        let bit = ((value >> (b - lo)) & 1) as u32;
        let word = &mut w[(b / 32) as usize];
        *word = (*word & !(1 << (b % 32))) | (bit << (b % 32));
    }
}
",
        );
        o
    }

    fn md(&self) -> String {
        let mut o = String::new();
        let _ = writeln!(
            o,
            "<!-- Generated from {SOURCE}: do not edit ({REGEN}). -->\n"
        );
        let _ = writeln!(o, "# Wire formats\n");
        let _ = writeln!(
            o,
            "Every field peerbar puts on the wire besides the registers (docs/registers.md), from one\n\
             source, `{SOURCE}`: the RTL's packed structs (`hw/rtl/peerbar_wire_pkg.sv`), the\n\
             driver's zerocopy types (`driver/src/dma/wire_layout.rs`) and the simulation's\n\
             descriptor accessors (`bitstream-sim/src/xilinx_desc.rs`) are generated from it.\n\
             Little-endian: bit n is bit n % 8 of byte n / 8. Unnamed bits are reserved: 0 when\n\
             sent, ignored when received."
        );
        for f in &self.formats {
            let _ = writeln!(o, "\n## {} ({} bytes)\n", f.title, f.bytes);
            let _ = writeln!(o, "Source: {}.\n", f.source);
            let _ = writeln!(o, "| bits | bytes | field | meaning |\n|---|---|---|---|");
            for (hi, lo, field) in Self::msb_first(f).into_iter().rev() {
                let bytes = if lo % 8 == 0 && (hi + 1) % 8 == 0 {
                    if hi / 8 == lo / 8 {
                        format!("{}", lo / 8)
                    } else {
                        format!("{}:{}", hi / 8, lo / 8)
                    }
                } else {
                    String::new()
                };
                let (name, doc) = match field {
                    Some(x) => (
                        format!("`{}`", x.name),
                        match &x.ty {
                            Some(t) => format!("{} ({t})", x.doc),
                            None => x.doc.clone(),
                        },
                    ),
                    None => ("reserved".to_string(), String::new()),
                };
                let bits = if hi == lo {
                    format!("{hi}")
                } else {
                    format!("{hi}:{lo}")
                };
                let _ = writeln!(o, "| {bits} | {bytes} | {name} | {doc} |");
            }
        }
        for c in &self.codes {
            let _ = writeln!(o, "\n## {}\n", c.title);
            let _ = writeln!(o, "| value | name | meaning |\n|---|---|---|");
            for v in &c.values {
                let _ = writeln!(o, "| {:02X}h | {} | {} |", v.value, v.name, v.doc);
            }
        }
        o
    }
}

/// `dword_count` -> `DwordCount`, `bar2_offset` -> `Bar2Offset`.
fn camel(name: &str) -> String {
    name.split('_')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|first| first.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// `BadCompletion` -> `BAD_COMPLETION`.
fn snake_upper(name: &str) -> String {
    let mut out = String::new();
    for (i, c) in name.chars().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real() -> WireSpec {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        WireSpec::from_toml(&std::fs::read_to_string(root.join(SOURCE)).unwrap()).unwrap()
    }

    #[test]
    fn real_spec_layouts() {
        let spec = real();
        let rc = spec.formats.iter().find(|f| f.name == "rc_desc").unwrap();
        let la = &rc.fields[0];
        assert_eq!((la.name.as_str(), la.hi, la.lo), ("lower_address", 11, 0));
        let sq = spec.formats.iter().find(|f| f.name == "sq_entry").unwrap();
        assert_eq!(sq.bytes, 64);
        let sv = spec.sv();
        assert!(sv.contains("sgl_desc_t dptr; // [319:192]"), "{sv}");
        assert!(
            sv.contains("logic [191:160] rsvd_191_160;")
                || sv.contains("logic [31:0] rsvd_191_160;")
        );
        assert!(sv.contains("localparam int unsigned StatusW = 8;"));
        assert!(sv.contains("localparam logic [StatusW-1:0] StBadCompletion = 8'hC6;"));
        for line in [
            "localparam int unsigned SqEntryW = 512;",
            "localparam int unsigned SqEntryBar2OffsetW = 64;",
            "localparam int unsigned SqEntryDptrW = 128;",
            "localparam int unsigned RqDescDwordCountW = 11;",
            "localparam int unsigned RcDescByteCountW = 13;",
            "localparam int unsigned CcDescLowerAddressW = 7;",
            "localparam int unsigned CcDescPoisonedW = 1;",
            "localparam int unsigned OpcodeW = 8;",
        ] {
            assert!(sv.contains(line), "{line}");
        }
        // Every field of every format has its width constant, declared after the struct.
        for f in &spec.formats {
            let after = &sv[sv.find(&format!("}} {}_t;", f.name)).unwrap()..];
            for x in &f.fields {
                let name = format!("{}{}W", camel(&f.name), camel(&x.name));
                assert!(
                    after.contains(&format!("localparam int unsigned {name} = {};", x.width())),
                    "{name}"
                );
            }
        }
    }

    #[test]
    fn sv_constant_names_are_unique() {
        // Format a_b's field c and format a's field b_c would both give ABCW.
        let text = "[[format]]\nname = \"a_b\"\ntitle = \"X\"\nsource = \"s\"\nbytes = 4\nrust = \"bits\"\nrust_name = \"X\"\n\
                    fields = [{ name = \"c\", bits = \"3:0\", doc = \"\" }]\n\
                    [[format]]\nname = \"a\"\ntitle = \"Y\"\nsource = \"s\"\nbytes = 4\nrust = \"bits\"\nrust_name = \"Y\"\n\
                    fields = [{ name = \"b_c\", bits = \"3:0\", doc = \"\" }]\n\
                    [[codes]]\nname = \"c\"\ntitle = \"C\"\nbits = 8\nsv_prefix = \"C\"\nvalues = []\n";
        let err = format!("{:#}", WireSpec::from_toml(text).unwrap_err());
        assert!(err.contains("ABCW"), "{err}");
        assert_eq!(camel("bar2_offset"), "Bar2Offset");
    }

    #[test]
    fn bad_specs_are_refused_with_the_field() {
        let base = |fields: &str| {
            format!(
                "[[format]]\nname = \"x\"\ntitle = \"X\"\nsource = \"s\"\nbytes = 4\nrust = \"byte\"\nrust_name = \"X\"\nfields = [{fields}]\n\
                 [[codes]]\nname = \"c\"\ntitle = \"C\"\nbits = 8\nsv_prefix = \"C\"\nvalues = []\n"
            )
        };
        let err = |f: &str| format!("{:#}", WireSpec::from_toml(&base(f)).unwrap_err());
        assert!(err("{ name = \"a\", bits = \"15:0\", doc = \"\" }, { name = \"b\", bits = \"23:8\", doc = \"\" }").contains("overlap"));
        assert!(err("{ name = \"a\", bits = \"40:33\", doc = \"\" }").contains("past the format"));
        assert!(err("{ name = \"a\", bits = \"11:0\", doc = \"\" }")
            .contains("whole 1, 2, 4 or 8-byte"));
        assert!(err("{ name = \"a\", bits = \"0:3\", doc = \"\" }").contains("HI:LO"));
    }
}
