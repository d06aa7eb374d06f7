# SPDX-License-Identifier: MIT OR Apache-2.0
# Vivado batch build of peerbar for the Xilinx VCU118. Run through the Makefile:
#   make -C hw/board/vcu118            (BAR2_SIZE_LOG2=.. NUM_QUEUES=.. OUT=.. to override)
set peerbar_board            vcu118
set peerbar_part             xcvu9p-flga2104-2L-e
set peerbar_board_dir        [file dirname [file normalize [info script]]]
set peerbar_xdc              {vcu118.xdc}
set peerbar_num_leds         8
# Configuration memory: two Micron MT25QU01G (1 Gb each) in dual-quad SPI, SPIx8; the image is
# split into _primary.mcs and _secondary.mcs. AMD UG1224 (VCU118), configuration section;
# corundum fpga/mqnic/VCU118/fpga_100g/fpga/Makefile (write_cfgmem -size 256 -interface SPIx8).
set peerbar_cfgmem_interface SPIx8
set peerbar_cfgmem_size_mb   256
source [file join $peerbar_board_dir .. common flow.tcl]
