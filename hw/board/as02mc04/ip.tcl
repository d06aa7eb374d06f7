# SPDX-License-Identifier: MIT OR Apache-2.0
# pcie4_uscale_plus configuration for the Alibaba Cloud AS02MC04 (xcku3p-ffvb676-2-e), native
# Gen3 x8 edge connector. Sourced by hw/board/common/flow.tcl, which sets peerbar_bar2_log2
# (peerbar_top's Bar2SizeLog2), peerbar_num_queues (NumQueues = MSI-X vectors), peerbar_ip_dir
# and peerbar_report_dir, and has sourced common/ip_helpers.tcl.
#
# Placement facts (checked only by reading, not by a Vivado run here):
# - The edge connector's lanes are on GTY quads 225 (lanes 0-3, lane 0 on channel 3,
#   GTYE4_CHANNEL_X0Y7) and 224 (lanes 4-7): the reverse-engineered board file
#   TiferKing/as02mc04_hack, as02mc04/1.0/part0_pins.xml, restated in
#   JochiSt/Alibaba-Cloud-AS02MC04 constraints/pcie.xdc and litex-boards
#   litex_boards/platforms/alibaba_xcku3p.py.
# - Open AS02MC04 PCIe designs select GTY_Quad_225 for x8 and leave the block location at the
#   IP's default for the KU3P (its only integrated PCIe block); so does this script. The
#   chosen location is written to reports/ip_config.txt.
# - Known risk: Chester Gillon's notes on this card (mirrored in dkozel/Alibaba-Cloud-FPGA,
#   external-docs/Chester-Gillon/Notes_about_Alibaba_Cloud_AS02MC04_NIC_Card.md) report x8
#   designs with this lane order failing to enumerate in some hosts and training x4 in others.
#   See docs/board.md.

set peerbar_ip_location [dict create \
  CONFIG.mode_selection              Advanced \
  CONFIG.en_gt_selection             true \
  CONFIG.select_quad                 GTY_Quad_225 \
  CONFIG.PL_LINK_CAP_MAX_LINK_SPEED  8.0_GT/s \
  CONFIG.PL_LINK_CAP_MAX_LINK_WIDTH  X8 \
]

source [file join $peerbar_common_dir ip_common.tcl]
