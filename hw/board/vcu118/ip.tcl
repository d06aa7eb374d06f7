# SPDX-License-Identifier: MIT OR Apache-2.0
# pcie4_uscale_plus configuration for the Xilinx VCU118 (xcvu9p-flga2104-2L-e): Gen3 x8 on
# the x16 edge connector (lanes 0-7). Sourced by hw/board/common/flow.tcl, which sets
# peerbar_bar2_log2 (peerbar_top's Bar2SizeLog2), peerbar_num_queues (NumQueues = MSI-X
# vectors), peerbar_ip_dir and peerbar_report_dir, and has sourced common/ip_helpers.tcl.
#
# Placement facts (checked only by reading, not by a Vivado run here):
# - PCIe lanes 0-7 of the edge connector are on GTY quads 227 (lanes 0-3) and 226 (lanes 4-7),
#   lane 0 on MGTY channel 3 of quad 227 (GTYE4_CHANNEL_X1Y35): corundum,
#   fpga/mqnic/VCU118/fpga_100g/fpga.xdc (PCIe Interface section), and AMD UG1224 (VCU118
#   board user guide), PCIe edge connector table.
# - The integrated block next to those quads is PCIE40E4 X1Y2, selected with quad 227: same
#   die (VU9P) and same quads 224-227 as the Alveo U200, whose open CAPI2 BSP
#   (open-power/capi2-bsp, U200) builds with pcie_blk_locn X1Y2 and select_quad GTY_Quad_227.

# The location (set first by ip_common.tcl: the lane and quad choice constrains the rest).
set peerbar_ip_location [dict create \
  CONFIG.mode_selection              Advanced \
  CONFIG.en_gt_selection             true \
  CONFIG.pcie_blk_locn               X1Y2 \
  CONFIG.select_quad                 GTY_Quad_227 \
  CONFIG.PL_LINK_CAP_MAX_LINK_SPEED  8.0_GT/s \
  CONFIG.PL_LINK_CAP_MAX_LINK_WIDTH  X8 \
]

# The IP itself and everything else is the same on every board.
source [file join $peerbar_common_dir ip_common.tcl]
