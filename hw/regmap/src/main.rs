// SPDX-License-Identifier: MIT OR Apache-2.0
//! peerbar-regmap: generates the SystemVerilog package, the Rust register definitions and the
//! register reference from `hw/regmap/peerbar.toml`.
//!
//! `cargo run -p peerbar-regmap` writes every output; `cargo run -p peerbar-regmap -- --check`
//! regenerates in memory and fails, listing each stale or missing file, when the committed
//! outputs differ.

mod md;
mod model;
mod regfile;
mod rust;
mod sv;
mod tcl;
mod wire;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use model::RegMap;

/// The source, relative to the workspace root.
pub const SOURCE: &str = "hw/regmap/peerbar.toml";
/// First line of every generated source file: the project's licence (README, LICENSE-*).
pub const SPDX_LINE: &str = "// SPDX-License-Identifier: MIT OR Apache-2.0";
/// The regeneration hint printed on a failed check.
const HINT: &str = "run: cargo run -p peerbar-regmap";

/// The workspace root (this crate lives in hw/regmap).
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every generated file of the register map: (path relative to the workspace root, contents).
pub fn generate_all(map: &RegMap, root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let mut out = vec![
        (
            "hw/rtl/peerbar_reg_pkg.sv".to_owned(),
            sv::generate(map, SOURCE),
        ),
        (
            "driver/src/regs/map.rs".to_owned(),
            rust::generate(map, SOURCE, root)?,
        ),
        ("docs/registers.md".to_owned(), md::generate(map, SOURCE)),
        (tcl::PATH.to_owned(), tcl::generate(map, SOURCE)?),
    ];
    out.extend(regfile::generate(map, SOURCE));
    Ok(out)
}

/// Every generated file of the wire formats (hw/regmap/wire.toml).
fn generate_wire(root: &Path) -> anyhow::Result<Vec<(String, String)>> {
    let path = root.join(wire::SOURCE);
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let out = wire::WireSpec::from_toml(&text)?.generate_all(root)?;
    Ok(out.into_iter().map(|(p, c)| (p.to_owned(), c)).collect())
}

fn run(check: bool) -> anyhow::Result<bool> {
    let root = workspace_root();
    let src_path = root.join(SOURCE);
    let text = std::fs::read_to_string(&src_path)
        .with_context(|| format!("reading {}", src_path.display()))?;
    let map = RegMap::from_toml(&text, SOURCE)?;
    let mut outputs = generate_all(&map, &root)?;
    outputs.extend(generate_wire(&root)?);
    let mut stale = Vec::new();
    for (rel, contents) in &outputs {
        let path = root.join(rel);
        let current = std::fs::read_to_string(&path).ok();
        if current.as_deref() == Some(contents.as_str()) {
            continue;
        }
        if check {
            let why = if current.is_none() {
                "missing"
            } else {
                "stale"
            };
            stale.push(format!("{rel}: {why}"));
        } else {
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
            }
            std::fs::write(&path, contents).with_context(|| format!("writing {rel}"))?;
            println!("wrote {rel}");
        }
    }
    if check {
        if stale.is_empty() {
            println!(
                "register map and wire format outputs are up to date ({} files)",
                outputs.len()
            );
        } else {
            for s in &stale {
                eprintln!("{s}; {HINT}");
            }
            return Ok(false);
        }
    }
    Ok(true)
}

fn main() -> ExitCode {
    let mut check = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--check" => check = true,
            "-h" | "--help" => {
                println!(
                    "usage: cargo run -p peerbar-regmap [-- --check]\n\n\
                     Regenerates the outputs of {SOURCE}; with --check, only reports stale files."
                );
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("peerbar-regmap: unknown argument {other:?} (expected --check)");
                return ExitCode::from(2);
            }
        }
    }
    match run(check) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("peerbar-regmap: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn real_map_text() -> String {
        std::fs::read_to_string(workspace_root().join(SOURCE)).unwrap()
    }

    #[test]
    fn real_map_validates() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        let status = map.registers.iter().find(|r| r.name == "STATUS").unwrap();
        assert_eq!(status.offset, 0x020);
        assert_eq!(status.access(), model::Access::ReadOnly);
        let magic = &map.registers[0];
        assert_eq!((magic.name.as_str(), magic.reset()), ("MAGIC", 0x5045_4552));
    }

    #[test]
    fn output_is_deterministic() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        let root = workspace_root();
        let a = generate_all(&map, &root).unwrap();
        let b = generate_all(&map, &root).unwrap();
        assert_eq!(a, b);
        // Each output names its source and how to regenerate it.
        for (path, text) in &a {
            assert!(text.contains(SOURCE), "{path}");
            assert!(
                text.contains("do not edit") || text.contains("Do not edit"),
                "{path}"
            );
            assert!(
                text.contains("regenerate with cargo run -p peerbar-regmap"),
                "{path}"
            );
        }
    }

    /// Reverses the order of the TOML tables of `text` that start with `header`.
    fn reverse_tables(text: &str, header: &str) -> String {
        let mut parts: Vec<&str> = text.split(header).collect();
        let head = parts.remove(0);
        parts.reverse();
        let tables = parts
            .iter()
            .map(|p| format!("{header}{}\n", p.trim_end()))
            .collect::<String>();
        format!("{head}{tables}")
    }

    /// Reverses the order of the TOML tables that start with `header` in the real map, within
    /// each part that starts with `section` when given (an array's registers stay in their
    /// array), and checks that every generated output stays byte-identical.
    fn assert_order_independent(header: &str, section: Option<&str>) {
        let text = real_map_text();
        let reversed = match section {
            None => reverse_tables(&text, header),
            Some(section) => text
                .split(section)
                .map(|part| reverse_tables(part, header))
                .collect::<Vec<_>>()
                .join(section),
        };
        assert_ne!(reversed, text, "the real map has several {header} tables");
        let root = workspace_root();
        let a = generate_all(&RegMap::from_toml(&text, SOURCE).unwrap(), &root).unwrap();
        let b = generate_all(&RegMap::from_toml(&reversed, SOURCE).unwrap(), &root).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn output_does_not_depend_on_toml_order() {
        assert_order_independent("\n[[register]]", None);
    }

    #[test]
    fn array_register_order_does_not_matter() {
        assert_order_independent("\n[[array.register]]", Some("\n[[array]]"));
    }

    #[test]
    fn real_map_queue_array_in_every_output() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        let q = map.arrays.iter().find(|a| a.name == "QUEUE").unwrap();
        assert_eq!((q.base, q.stride, q.count), (0x1000, 0x40, 16));
        let control = q.registers.iter().find(|r| r.name == "CONTROL").unwrap();
        assert_eq!(control.offset, 0x14, "element offsets stay relative");
        assert_outputs_contain(
            &map,
            &[
                (
                    "hw/rtl/peerbar_reg_pkg.sv",
                    &[
                        "localparam logic [15:0] QUEUE_BASE = 16'h1000;",
                        "localparam logic [15:0] QUEUE_STRIDE = 16'h0040;",
                        "localparam int unsigned QUEUE_COUNT = 16;",
                        "localparam logic [15:0] QUEUE_SQ_BASE_LO_OFFSET = 16'h0000;",
                        "localparam logic [15:0] QUEUE_CONTROL_OFFSET = 16'h0014;",
                        "localparam int unsigned QUEUE_CONTROL_MSIX_VECTOR_LSB = 8;",
                        "localparam logic [31:0] QUEUE_CONTROL_MSIX_VECTOR_MASK = 32'h0000_1f00;",
                        // The plain CONTROL register keeps its names.
                        "localparam logic [15:0] CONTROL_OFFSET = 16'h001c;",
                    ],
                ),
                (
                    "driver/src/regs/map.rs",
                    &[
                        "pub QUEUE_CONTROL [",
                        "pub const QUEUE_CONTROL_REG: RegisterArrayDef<QUEUE_CONTROL::Register>",
                        "pub const ALL_ARRAYS: &[ArrayInfo]",
                        "pub const QUEUE_BASE: u64 = 0x1000;",
                    ],
                ),
                (
                    "docs/registers.md",
                    &[
                        "## Array QUEUE",
                        "### QUEUE_CONTROL",
                        // The block rules.
                        "The MSI-X table (array MSIX_TABLE)",
                    ],
                ),
            ],
        );
    }

    /// Generates every output of `map` and checks that the file at each path contains each of
    /// its lines.
    fn assert_outputs_contain(map: &RegMap, expected: &[(&str, &[&str])]) {
        let out = generate_all(map, &workspace_root()).unwrap();
        for (path, lines) in expected {
            let text = &out.iter().find(|(p, _)| p == path).unwrap().1;
            for line in *lines {
                assert!(text.contains(line), "{path}: {line}");
            }
        }
    }

    /// The MSI-X table and PBA (PCI MSI-X Table and PBA Structures): 16-byte entries of
    /// address low/high, data and vector control (mask in bit 0, reset masked), one entry and
    /// one PBA bit for each queue pair's vector, in every output.
    #[test]
    fn real_map_msix_table_and_pba() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        let array = |name: &str| map.arrays.iter().find(|a| a.name == name).unwrap();
        let (table, queues) = (array("MSIX_TABLE"), array("QUEUE"));
        assert_eq!((table.base, table.stride), (0x8000, 16));
        assert_eq!(table.count, queues.count, "one vector per queue pair");
        let layout: Vec<(&str, u64)> = table
            .registers
            .iter()
            .map(|r| (r.name.as_str(), r.offset))
            .collect();
        assert_eq!(
            layout,
            [
                ("ADDR_LO", 0),
                ("ADDR_HI", 4),
                ("DATA", 8),
                ("VECTOR_CONTROL", 12)
            ]
        );
        let control = &table.registers[3];
        assert_eq!(
            (control.fields[0].name.as_str(), control.fields[0].mask()),
            ("MASK", 1)
        );
        assert_eq!(control.reset(), 1, "vectors reset masked");
        assert_eq!(
            table.registers[0].fields[0].mask(),
            !3,
            "DWORD-aligned address"
        );
        let pba = map.registers.iter().find(|r| r.name == "MSIX_PBA").unwrap();
        assert_eq!(pba.offset, 0x9000);
        assert_eq!(pba.offset % 8, 0, "the PBA is QWORD aligned");
        assert_eq!(pba.fields[0].lsb, 0);
        assert_eq!(
            pba.fields[0].width, table.count,
            "one pending bit per vector"
        );

        assert_outputs_contain(
            &map,
            &[
                (
                    "hw/rtl/peerbar_reg_pkg.sv",
                    &[
                        "localparam logic [15:0] MSIX_TABLE_BASE = 16'h8000;",
                        "localparam logic [15:0] MSIX_TABLE_STRIDE = 16'h0010;",
                        "localparam logic [15:0] MSIX_TABLE_VECTOR_CONTROL_OFFSET = 16'h000c;",
                        "localparam int unsigned MSIX_TABLE_VECTOR_CONTROL_MASK_LSB = 0;",
                        "localparam logic [15:0] MSIX_PBA_OFFSET = 16'h9000;",
                    ],
                ),
                (
                    "driver/src/regs/map.rs",
                    &[
                        "pub const MSIX_TABLE_BASE: u64 = 0x8000;",
                        "pub const MSIX_TABLE_STRIDE: u64 = 0x10;",
                        "pub const MSIX_TABLE_COUNT: u32 = 16;",
                        "pub MSIX_TABLE_VECTOR_CONTROL [",
                        "pub const MSIX_PBA_REG: RegisterDef<MSIX_PBA::Register>",
                    ],
                ),
                (
                    "docs/registers.md",
                    &[
                        "## Array MSIX_TABLE",
                        "### MSIX_TABLE_VECTOR_CONTROL",
                        "### MSIX_PBA",
                    ],
                ),
            ],
        );
    }

    /// One register file per group; the pairs are one 64-bit field of the structs, the arrays
    /// arrays of element structs.
    #[test]
    fn real_map_register_files() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        assert_eq!(map.groups, ["regs", "dma"]);
        assert_outputs_contain(
            &map,
            &[
                (
                    "hw/rtl/peerbar_reg_pkg.sv",
                    &[
                        "  } regs_reg2hw_t;",
                        "  } dma_hw2reg_t;",
                        "  } dma_queue_reg2hw_t;",
                        "  } dma_msix_table_reg2hw_t;",
                        "    // SQ_BASE_LO + SQ_BASE_HI\n    struct packed {\n      logic [63:0] q;",
                        "      logic [15:0] wd;  // the value after this cycle's software write",
                        "    // DMA_BYTES_IN_LO + DMA_BYTES_IN_HI\n    struct packed {\n      \
                         logic [63:0] d;\n      logic de;",
                    ],
                ),
                (
                    "hw/rtl/peerbar_dma_reg_file.sv",
                    &[
                        "module peerbar_dma_reg_file",
                        "  parameter int unsigned QueueCount = QUEUE_COUNT",
                        "  output      dma_queue_reg2hw_t [QueueCount-1:0] queue_reg2hw_o",
                    ],
                ),
                (
                    "hw/rtl/peerbar_regs_reg_file.sv",
                    &["  parameter logic [31:0] CapabilitiesValue = CAPABILITIES_RESET"],
                ),
            ],
        );
    }

    #[test]
    fn generated_rust_is_rustfmt_stable() {
        let map = RegMap::from_toml(&real_map_text(), SOURCE).unwrap();
        let root = workspace_root();
        let once = rust::generate(&map, SOURCE, &root).unwrap();
        assert_eq!(rust::rustfmt(&once, &root).unwrap(), once);
    }
}
