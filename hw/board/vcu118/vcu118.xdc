# SPDX-License-Identifier: MIT OR Apache-2.0
# peerbar on the Xilinx VCU118 (xcvu9p-flga2104-2L-e), top peerbar_board_top.
# Pin facts, checked only by reading (no Vivado run here): AMD UG1224 "VCU118 Evaluation Board
# User Guide" and the open corundum design, fpga/mqnic/VCU118/fpga_100g/fpga.xdc (same board,
# same part). Comments give the bank and GT channel each pin belongs to.

# Configuration: bank 0 at 1.8 V, dual-quad SPI (2x MT25QU01G, SPIx8) with 32-bit addressing,
# external master CCLK (UG1224; corundum VCU118 fpga.xdc "General configuration").
set_property CFGBVS GND                                [current_design]
set_property CONFIG_VOLTAGE 1.8                        [current_design]
set_property CONFIG_MODE SPIx8                         [current_design]
set_property BITSTREAM.CONFIG.SPI_BUSWIDTH 8           [current_design]
set_property BITSTREAM.CONFIG.SPI_32BIT_ADDR YES       [current_design]
set_property BITSTREAM.CONFIG.SPI_FALL_EDGE YES        [current_design]
set_property BITSTREAM.CONFIG.EXTMASTERCCLK_EN {DIV-1} [current_design]
set_property BITSTREAM.GENERAL.COMPRESS TRUE           [current_design]

# PCIe reference clock, 100 MHz from the edge connector. The board brings it to MGTREFCLK0 of
# quad 227 (AC9/AC8) and of quad 225 (AL9/AL8); x8 uses quads 227/226, so the quad-227 copy.
set_property PACKAGE_PIN AC9 [get_ports pcie_refclk_p] ;# MGTREFCLK0P_227
set_property PACKAGE_PIN AC8 [get_ports pcie_refclk_n] ;# MGTREFCLK0N_227
create_clock -period 10.000 -name pcie_refclk [get_ports pcie_refclk_p]

# PERST# (active low, 1.8 V bank).
set_property -dict {PACKAGE_PIN AM17 IOSTANDARD LVCMOS18 PULLUP true} [get_ports pcie_perst_n]
set_false_path -from [get_ports pcie_perst_n]

# PCIe lanes 0-7 (edge connector lanes 0-7). The IP places its GT channels itself
# (pcie_blk_locn X1Y2, select_quad GTY_Quad_227); these pins must agree with it.
set_property PACKAGE_PIN AA4 [get_ports {pcie_rx_p[0]}] ;# MGTYRXP3_227 GTYE4_CHANNEL_X1Y35
set_property PACKAGE_PIN AA3 [get_ports {pcie_rx_n[0]}]
set_property PACKAGE_PIN Y7  [get_ports {pcie_tx_p[0]}] ;# MGTYTXP3_227
set_property PACKAGE_PIN Y6  [get_ports {pcie_tx_n[0]}]
set_property PACKAGE_PIN AB2 [get_ports {pcie_rx_p[1]}] ;# MGTYRXP2_227 GTYE4_CHANNEL_X1Y34
set_property PACKAGE_PIN AB1 [get_ports {pcie_rx_n[1]}]
set_property PACKAGE_PIN AB7 [get_ports {pcie_tx_p[1]}] ;# MGTYTXP2_227
set_property PACKAGE_PIN AB6 [get_ports {pcie_tx_n[1]}]
set_property PACKAGE_PIN AC4 [get_ports {pcie_rx_p[2]}] ;# MGTYRXP1_227 GTYE4_CHANNEL_X1Y33
set_property PACKAGE_PIN AC3 [get_ports {pcie_rx_n[2]}]
set_property PACKAGE_PIN AD7 [get_ports {pcie_tx_p[2]}] ;# MGTYTXP1_227
set_property PACKAGE_PIN AD6 [get_ports {pcie_tx_n[2]}]
set_property PACKAGE_PIN AD2 [get_ports {pcie_rx_p[3]}] ;# MGTYRXP0_227 GTYE4_CHANNEL_X1Y32
set_property PACKAGE_PIN AD1 [get_ports {pcie_rx_n[3]}]
set_property PACKAGE_PIN AF7 [get_ports {pcie_tx_p[3]}] ;# MGTYTXP0_227
set_property PACKAGE_PIN AF6 [get_ports {pcie_tx_n[3]}]
set_property PACKAGE_PIN AE4 [get_ports {pcie_rx_p[4]}] ;# MGTYRXP3_226 GTYE4_CHANNEL_X1Y31
set_property PACKAGE_PIN AE3 [get_ports {pcie_rx_n[4]}]
set_property PACKAGE_PIN AH7 [get_ports {pcie_tx_p[4]}] ;# MGTYTXP3_226
set_property PACKAGE_PIN AH6 [get_ports {pcie_tx_n[4]}]
set_property PACKAGE_PIN AF2 [get_ports {pcie_rx_p[5]}] ;# MGTYRXP2_226 GTYE4_CHANNEL_X1Y30
set_property PACKAGE_PIN AF1 [get_ports {pcie_rx_n[5]}]
set_property PACKAGE_PIN AK7 [get_ports {pcie_tx_p[5]}] ;# MGTYTXP2_226
set_property PACKAGE_PIN AK6 [get_ports {pcie_tx_n[5]}]
set_property PACKAGE_PIN AG4 [get_ports {pcie_rx_p[6]}] ;# MGTYRXP1_226 GTYE4_CHANNEL_X1Y29
set_property PACKAGE_PIN AG3 [get_ports {pcie_rx_n[6]}]
set_property PACKAGE_PIN AM7 [get_ports {pcie_tx_p[6]}] ;# MGTYTXP1_226
set_property PACKAGE_PIN AM6 [get_ports {pcie_tx_n[6]}]
set_property PACKAGE_PIN AH2 [get_ports {pcie_rx_p[7]}] ;# MGTYRXP0_226 GTYE4_CHANNEL_X1Y28
set_property PACKAGE_PIN AH1 [get_ports {pcie_rx_n[7]}]
set_property PACKAGE_PIN AN5 [get_ports {pcie_tx_p[7]}] ;# MGTYTXP0_226
set_property PACKAGE_PIN AN4 [get_ports {pcie_tx_n[7]}]

# User LEDs GPIO_LED_0..7 (1.2 V bank). 0 link up, 1 activity, 2 user logic in reset,
# 3 heartbeat, 4-7 off (hw/board/common/peerbar_board_top.sv).
set_property -dict {PACKAGE_PIN AT32 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[0]}]
set_property -dict {PACKAGE_PIN AV34 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[1]}]
set_property -dict {PACKAGE_PIN AY30 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[2]}]
set_property -dict {PACKAGE_PIN BB32 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[3]}]
set_property -dict {PACKAGE_PIN BF32 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[4]}]
set_property -dict {PACKAGE_PIN AU37 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[5]}]
set_property -dict {PACKAGE_PIN AV36 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[6]}]
set_property -dict {PACKAGE_PIN BA37 IOSTANDARD LVCMOS12 DRIVE 8 SLEW SLOW} [get_ports {led[7]}]
set_false_path -to [get_ports {led[*]}]
