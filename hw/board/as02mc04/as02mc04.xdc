# SPDX-License-Identifier: MIT OR Apache-2.0
# peerbar on the Alibaba Cloud AS02MC04 (xcku3p-ffvb676-2-e), top peerbar_board_top.
# There is no vendor documentation for this card; every pin fact below comes from public
# reverse-engineering and was checked only by reading (no Vivado run here):
# - TiferKing/as02mc04_hack, as02mc04/1.0/part0_pins.xml (Vivado board file; also restated with
#   banks in FabianLiske/AS02MC04-template PINOUT.md),
# - litex-boards litex_boards/platforms/alibaba_xcku3p.py,
# - JochiSt/Alibaba-Cloud-AS02MC04 constraints/pcie.xdc and constraints/bitstream.xdc,
# - Chester Gillon's notes on the card (quad SPI part, configuration settings from the "Domi
#   fruit" tutorial), mirrored in dkozel/Alibaba-Cloud-FPGA external-docs/Chester-Gillon/.

# Configuration: quad SPI MT25QU256 (32 MB), SPIx4. 32-bit addressing because the part is
# larger than 16 MB (the factory image has a second copy above 16 MB). Bank 0 voltage
# (CFGBVS/CONFIG_VOLTAGE) is not documented for this card and is left unset.
set_property CONFIG_MODE SPIx4                     [current_design]
set_property BITSTREAM.CONFIG.SPI_BUSWIDTH 4       [current_design]
set_property BITSTREAM.CONFIG.SPI_32BIT_ADDR YES   [current_design]
set_property BITSTREAM.CONFIG.CONFIGRATE 31.9      [current_design]
set_property BITSTREAM.GENERAL.COMPRESS TRUE       [current_design]

# PCIe reference clock, 100 MHz from the edge connector, on MGTREFCLK1 of quad 225.
set_property PACKAGE_PIN T7 [get_ports pcie_refclk_p] ;# MGTREFCLK1P_225
set_property PACKAGE_PIN T6 [get_ports pcie_refclk_n] ;# MGTREFCLK1N_225
create_clock -period 10.000 -name pcie_refclk [get_ports pcie_refclk_p]

# PERST# on bank 86 (HD). The board file and LiteX say LVCMOS18 (as do the LEDs in the same
# bank); JochiSt's pcie.xdc uses LVCMOS33. LVCMOS18 here, consistent with the LEDs: check the
# bank's VCCO on the card before trusting either.
set_property -dict {PACKAGE_PIN A9 IOSTANDARD LVCMOS18 PULLUP true} [get_ports pcie_perst_n]
set_false_path -from [get_ports pcie_perst_n]

# PCIe lanes 0-7: quad 225 channels 3..0 carry lanes 0-3, quad 224 channels 3..0 lanes 4-7
# (board file order). The IP places its GT channels itself (select_quad GTY_Quad_225); these
# pins must agree with it. See docs/board.md for the reported lane-order trouble on this card.
set_property PACKAGE_PIN P2  [get_ports {pcie_rx_p[0]}] ;# MGTYRXP3_225 GTYE4_CHANNEL_X0Y7
set_property PACKAGE_PIN P1  [get_ports {pcie_rx_n[0]}]
set_property PACKAGE_PIN R5  [get_ports {pcie_tx_p[0]}] ;# MGTYTXP3_225
set_property PACKAGE_PIN R4  [get_ports {pcie_tx_n[0]}]
set_property PACKAGE_PIN T2  [get_ports {pcie_rx_p[1]}] ;# MGTYRXP2_225 GTYE4_CHANNEL_X0Y6
set_property PACKAGE_PIN T1  [get_ports {pcie_rx_n[1]}]
set_property PACKAGE_PIN U5  [get_ports {pcie_tx_p[1]}] ;# MGTYTXP2_225
set_property PACKAGE_PIN U4  [get_ports {pcie_tx_n[1]}]
set_property PACKAGE_PIN V2  [get_ports {pcie_rx_p[2]}] ;# MGTYRXP1_225 GTYE4_CHANNEL_X0Y5
set_property PACKAGE_PIN V1  [get_ports {pcie_rx_n[2]}]
set_property PACKAGE_PIN W5  [get_ports {pcie_tx_p[2]}] ;# MGTYTXP1_225
set_property PACKAGE_PIN W4  [get_ports {pcie_tx_n[2]}]
set_property PACKAGE_PIN Y2  [get_ports {pcie_rx_p[3]}] ;# MGTYRXP0_225 GTYE4_CHANNEL_X0Y4
set_property PACKAGE_PIN Y1  [get_ports {pcie_rx_n[3]}]
set_property PACKAGE_PIN AA5 [get_ports {pcie_tx_p[3]}] ;# MGTYTXP0_225
set_property PACKAGE_PIN AA4 [get_ports {pcie_tx_n[3]}]
set_property PACKAGE_PIN AB2 [get_ports {pcie_rx_p[4]}] ;# MGTYRXP3_224 GTYE4_CHANNEL_X0Y3
set_property PACKAGE_PIN AB1 [get_ports {pcie_rx_n[4]}]
set_property PACKAGE_PIN AC5 [get_ports {pcie_tx_p[4]}] ;# MGTYTXP3_224
set_property PACKAGE_PIN AC4 [get_ports {pcie_tx_n[4]}]
set_property PACKAGE_PIN AD2 [get_ports {pcie_rx_p[5]}] ;# MGTYRXP2_224 GTYE4_CHANNEL_X0Y2
set_property PACKAGE_PIN AD1 [get_ports {pcie_rx_n[5]}]
set_property PACKAGE_PIN AD7 [get_ports {pcie_tx_p[5]}] ;# MGTYTXP2_224
set_property PACKAGE_PIN AD6 [get_ports {pcie_tx_n[5]}]
set_property PACKAGE_PIN AE4 [get_ports {pcie_rx_p[6]}] ;# MGTYRXP1_224 GTYE4_CHANNEL_X0Y1
set_property PACKAGE_PIN AE3 [get_ports {pcie_rx_n[6]}]
set_property PACKAGE_PIN AE9 [get_ports {pcie_tx_p[6]}] ;# MGTYTXP1_224
set_property PACKAGE_PIN AE8 [get_ports {pcie_tx_n[6]}]
set_property PACKAGE_PIN AF2 [get_ports {pcie_rx_p[7]}] ;# MGTYRXP0_224 GTYE4_CHANNEL_X0Y0
set_property PACKAGE_PIN AF1 [get_ports {pcie_rx_n[7]}]
set_property PACKAGE_PIN AF7 [get_ports {pcie_tx_p[7]}] ;# MGTYTXP0_224
set_property PACKAGE_PIN AF6 [get_ports {pcie_tx_n[7]}]

# User LEDs GPIO_LED_1..4 (bank 86, LVCMOS18 per the board file). 0 link up, 1 activity,
# 2 user logic in reset, 3 heartbeat. Polarity (active high assumed) is not documented.
set_property -dict {PACKAGE_PIN B11 IOSTANDARD LVCMOS18 DRIVE 8 SLEW SLOW} [get_ports {led[0]}]
set_property -dict {PACKAGE_PIN C11 IOSTANDARD LVCMOS18 DRIVE 8 SLEW SLOW} [get_ports {led[1]}]
set_property -dict {PACKAGE_PIN A10 IOSTANDARD LVCMOS18 DRIVE 8 SLEW SLOW} [get_ports {led[2]}]
set_property -dict {PACKAGE_PIN B10 IOSTANDARD LVCMOS18 DRIVE 8 SLEW SLOW} [get_ports {led[3]}]
set_false_path -to [get_ports {led[*]}]
