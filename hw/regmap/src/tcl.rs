// SPDX-License-Identifier: MIT OR Apache-2.0
//! The register-map facts the Vivado builds need (hw/board/common/peerbar_regmap.tcl): where
//! the MSI-X table and PBA live in BAR0, which the PCIe IP's MSI-X capability must announce
//! (PCI Express Base Specification, "MSI-X Capability": Table Offset/BIR and PBA Offset/BIR).

use anyhow::Context;

use crate::model::RegMap;

/// Path of the generated file, relative to the workspace root.
pub const PATH: &str = "hw/board/common/peerbar_regmap.tcl";

/// The Tcl variables for `map`: the MSI-X table's and PBA's BAR0 offsets as the IP wants them
/// (8 hex digits), from the array `MSIX_TABLE` and the register `MSIX_PBA`.
pub fn generate(map: &RegMap, source: &str) -> anyhow::Result<String> {
    let table = map
        .arrays
        .iter()
        .find(|a| a.name == "MSIX_TABLE")
        .context("the register map has no MSIX_TABLE array")?;
    let pba = map
        .registers
        .iter()
        .find(|r| r.name == "MSIX_PBA")
        .context("the register map has no MSIX_PBA register")?;
    Ok(format!(
        "# SPDX-License-Identifier: MIT OR Apache-2.0\n\
         # Generated from {source}: do not edit; regenerate with cargo run -p peerbar-regmap.\n\
         # The MSI-X table and PBA offsets in BAR0 that the PCIe IP's MSI-X capability announces\n\
         # (hw/board/common/ip_common.tcl sources this file).\n\
         set peerbar_msix_table_offset {:08X}\n\
         set peerbar_msix_pba_offset {:08X}\n",
        table.base, pba.offset
    ))
}
