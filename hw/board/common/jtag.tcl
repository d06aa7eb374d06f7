# SPDX-License-Identifier: MIT OR Apache-2.0
# JTAG actions for hw/board/common/board.mk, run in Vivado batch mode with a board on the first
# hardware target of a local hw_server:
#   -tclargs program <bit>                        load the bitstream (lost at power-off)
#   -tclargs flash <bit> <cfgmem part> <mcs>...   erase, program and verify the configuration
#                                                 memory (one .mcs, or _primary and _secondary
#                                                 for dual-quad SPI), then boot from it
lassign $argv action bit
open_hw_manager
connect_hw_server
open_hw_target
set dev [lindex [get_hw_devices -filter {PART =~ xc*}] 0]
current_hw_device $dev
refresh_hw_device -update_hw_probes false $dev

if {$action eq "program"} {
  set_property PROGRAM.FILE $bit $dev
  program_hw_devices $dev
  puts "programmed $dev with $bit"
  exit 0
}

if {$action ne "flash"} { puts "unknown action $action"; exit 2 }
set part [lindex $argv 2]
set mcs  [lrange $argv 3 end]
if {![llength $mcs]} { puts "no .mcs image: run make first"; exit 1 }
set prm {}
foreach m $mcs { lappend prm "[file rootname $m].prm" }
create_hw_cfgmem -hw_device $dev [lindex [get_cfgmem_parts $part] 0]
set mem [get_property PROGRAM.HW_CFGMEM $dev]
set_property PROGRAM.FILES $mcs $mem
set_property PROGRAM.PRM_FILES $prm $mem
set_property PROGRAM.ADDRESS_RANGE use_file $mem
set_property PROGRAM.ERASE 1 $mem
set_property PROGRAM.CFG_PROGRAM 1 $mem
set_property PROGRAM.VERIFY 1 $mem
set_property PROGRAM.BLANK_CHECK 0 $mem
set_property PROGRAM.CHECKSUM 0 $mem
# The FPGA reaches the flash through a bridge design Vivado loads first.
create_hw_bitstream -hw_device $dev [get_property PROGRAM.HW_CFGMEM_BITFILE $dev]
program_hw_devices $dev
refresh_hw_device $dev
program_hw_cfgmem -hw_cfgmem $mem
puts "flash written and verified; booting $dev from it"
boot_hw_device $dev
exit 0
