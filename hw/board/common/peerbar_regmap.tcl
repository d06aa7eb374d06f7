# SPDX-License-Identifier: MIT OR Apache-2.0
# Generated from hw/regmap/peerbar.toml: do not edit; regenerate with cargo run -p peerbar-regmap.
# The MSI-X table and PBA offsets in BAR0 that the PCIe IP's MSI-X capability announces
# (hw/board/common/ip_common.tcl sources this file).
set peerbar_msix_table_offset 00008000
set peerbar_msix_pba_offset 00009000
