# SPDX-License-Identifier: MIT OR Apache-2.0
# Vivado batch build of peerbar for the Alibaba Cloud AS02MC04. Run through the Makefile:
#   make -C hw/board/as02mc04          (BAR2_SIZE_LOG2=.. NUM_QUEUES=.. OUT=.. to override)
set peerbar_board            as02mc04
set peerbar_part             xcku3p-ffvb676-2-e
set peerbar_board_dir        [file dirname [file normalize [info script]]]
set peerbar_xdc              {as02mc04.xdc}
set peerbar_num_leds         4
# Configuration memory: one Micron MT25QU256 (256 Mb = 32 MB, FBGA code RW170 =
# MT25QU256ABA8ESF-0SIT) on quad SPI, SPIx4: Chester Gillon's notes on the card (read back over
# PCIe: Micron, density 0x19 = 32 MB, 4 address bytes), mirrored in dkozel/Alibaba-Cloud-FPGA
# external-docs/Chester-Gillon/Notes_about_Alibaba_Cloud_AS02MC04_NIC_Card.md.
set peerbar_cfgmem_interface SPIx4
set peerbar_cfgmem_size_mb   32
source [file join $peerbar_board_dir .. common flow.tcl]
