# SPDX-License-Identifier: MIT OR Apache-2.0
# Non-project Vivado batch flow shared by the boards. hw/board/<board>/build.tcl sets the board
# variables below and sources this file; hw/board/<board>/Makefile runs
#   vivado -mode batch -source build.tcl -tclargs <bar2_size_log2> <num_queues> <out_dir>
#
# Board variables: peerbar_board, peerbar_part, peerbar_board_dir, peerbar_xdc (list),
# peerbar_num_leds, peerbar_cfgmem_interface, peerbar_cfgmem_size_mb.
#
# Steps: PCIe IP (ip.tcl) -> port-list check against the lint stub -> IP out-of-context
# synthesis -> synthesis of peerbar_board_top + hw/rtl -> opt/place/phys_opt/route -> timing
# gate (the run fails on negative setup or hold slack, or on unrouted nets) -> bitstream ->
# configuration-memory image. Reports land in <out_dir>/reports.

if {[llength $argv] != 3} {
  puts "usage: vivado -mode batch -source build.tcl -tclargs <bar2_size_log2> <num_queues> <out_dir>"
  exit 2
}
lassign $argv peerbar_bar2_log2 peerbar_num_queues out_dir
# PART=... on the make command line (environment PEERBAR_PART) overrides the board's part, e.g.
# for an AS02MC04 whose FPGA reads back as speed grade -1.
if {[info exists ::env(PEERBAR_PART)] && $::env(PEERBAR_PART) ne ""} {
  set peerbar_part $::env(PEERBAR_PART)
}

set peerbar_common_dir [file dirname [file normalize [info script]]]
set peerbar_rtl_dir    [file normalize [file join $peerbar_common_dir .. .. rtl]]
set out_dir            [file normalize $out_dir]
set peerbar_ip_dir     [file join $out_dir ip]
set peerbar_report_dir [file join $out_dir reports]
# A rerun starts from a fresh IP directory (create_ip refuses to overwrite an existing .xci).
file delete -force $peerbar_ip_dir
file mkdir $peerbar_ip_dir $peerbar_report_dir

set top    peerbar_board_top
set name   peerbar_$peerbar_board
set t0     [clock seconds]
proc step {what} {
  puts "\n=== peerbar $::peerbar_board: $what ([expr {[clock seconds] - $::t0}] s)"
}

step "project in memory, part $peerbar_part, BAR2 2**$peerbar_bar2_log2 bytes, $peerbar_num_queues queues"
create_project -in_memory -part $peerbar_part
set_property target_language Verilog [current_project]

#################################################################################################
# PCIe IP
#################################################################################################

step "PCIe IP"
source [file join $peerbar_common_dir ip_helpers.tcl]
source [file join $peerbar_board_dir ip.tcl]
set ip [get_ips pcie4_uscale_plus_0]
generate_target {instantiation_template synthesis implementation} $ip

# The wrapper was linted against hw/board/common/stubs/pcie4_uscale_plus_stub.sv: stop here if
# the IP Vivado generated has a different port list (name, direction or width).
proc peerbar_ports_from_text {text} {
  set ports {}
  foreach {- dir range port} [regexp -all -inline \
      {(input|output)\s+(?:wire\s+|logic\s+)?(\[\s*\d+\s*:\s*\d+\s*\])?\s*([A-Za-z_][A-Za-z0-9_]*)} \
      $text] {
    lappend ports "$dir [string map {{ } {}} $range] $port"
  }
  return [lsort $ports]
}
set veo [lindex [glob -nocomplain [file join $peerbar_ip_dir pcie4_uscale_plus_0 *.veo]] 0]
if {$veo eq ""} { error "peerbar: no instantiation template (.veo) for the PCIe IP" }
set fh [open $veo]; set veo_text [read $fh]; close $fh
# The template lists each port in a trailing comment: "// output wire [7 : 0] pci_exp_txn".
set generated {}
foreach line [split $veo_text "\n"] {
  if {[regexp {^\s*\.\w+\s*\(.*//\s*(.*)$} $line -> decl]} { append generated "$decl\n" }
}
set fh [open [file join $peerbar_common_dir stubs pcie4_uscale_plus_stub.sv]]
set stub_text [read $fh]; close $fh
regsub -all {//[^\n]*} $stub_text {} stub_text
regexp {module\s+pcie4_uscale_plus_0\s*\((.*?)\);} $stub_text -> stub_ports
set want [peerbar_ports_from_text $stub_ports]
set got  [peerbar_ports_from_text $generated]
set fh [open [file join $peerbar_report_dir ip_ports.txt] w]
puts $fh [join $got "\n"]; close $fh
if {$want ne $got} {
  set only_stub {}; set only_ip {}
  foreach p $want { if {[lsearch -exact $got $p] < 0} { lappend only_stub $p } }
  foreach p $got  { if {[lsearch -exact $want $p] < 0} { lappend only_ip $p } }
  puts "ERROR: the generated PCIe IP's ports differ from hw/board/common/stubs/pcie4_uscale_plus_stub.sv"
  puts "  only in the stub: $only_stub"
  puts "  only in the IP:   $only_ip"
  exit 1
}
puts "PCIe IP port list matches the lint stub ([llength $got] ports)"

step "PCIe IP out-of-context synthesis"
synth_ip $ip

#################################################################################################
# Synthesis
#################################################################################################

step "read sources"
# The RTL in compile order, from the one list (hw/rtl/files.f).
set fh [open [file join $peerbar_rtl_dir files.f]]
foreach line [split [read $fh] "\n"] {
  set f [string trim [regsub {//.*} $line ""]]
  if {$f ne ""} { read_verilog -sv [file join $peerbar_rtl_dir $f] }
}
close $fh
read_verilog -sv [file join $peerbar_common_dir peerbar_board_top.sv]
foreach x $peerbar_xdc { read_xdc [file join $peerbar_board_dir $x] }

step "synth_design"
synth_design -top $top -part $peerbar_part \
  -generic Bar2SizeLog2=$peerbar_bar2_log2 \
  -generic NumQueues=$peerbar_num_queues \
  -generic NumLeds=$peerbar_num_leds
write_checkpoint -force [file join $out_dir ${name}_synth.dcp]
report_utilization -file [file join $peerbar_report_dir utilization_synth.txt]
report_utilization -hierarchical -file [file join $peerbar_report_dir utilization_synth_hier.txt]

#################################################################################################
# Implementation
#################################################################################################

step "opt_design"
opt_design
step "place_design"
place_design
step "phys_opt_design"
phys_opt_design
step "route_design"
route_design
write_checkpoint -force [file join $out_dir ${name}_routed.dcp]

step "reports"
report_utilization -file [file join $peerbar_report_dir utilization.txt]
report_utilization -hierarchical -file [file join $peerbar_report_dir utilization_hier.txt]
report_timing_summary -max_paths 20 -report_unconstrained \
  -file [file join $peerbar_report_dir timing_summary.txt]
report_clock_interaction -file [file join $peerbar_report_dir clock_interaction.txt]
report_route_status -file [file join $peerbar_report_dir route_status.txt]
report_drc -file [file join $peerbar_report_dir drc.txt]
report_io -file [file join $peerbar_report_dir io.txt]

#################################################################################################
# Timing gate: negative setup (WNS) or hold (WHS) slack, or an unrouted net, fails the run.
#################################################################################################

step "timing gate"
set setup_path [get_timing_paths -delay_type max -max_paths 1 -nworst 1]
set hold_path  [get_timing_paths -delay_type min -max_paths 1 -nworst 1]
if {$setup_path eq "" || $hold_path eq ""} {
  puts "ERROR: no timed paths: the clocks are not constrained"
  exit 1
}
set wns [get_property SLACK $setup_path]
set whs [get_property SLACK $hold_path]
set route_status [report_route_status -return_string]
if {![regexp {# of nets with routing errors\.*\s*:\s*(\d+)} $route_status -> unrouted]} {
  puts "ERROR: cannot read the routing-error count from report_route_status"
  exit 1
}
set fh [open [file join $peerbar_report_dir timing_gate.txt] w]
puts $fh "WNS $wns ns\nWHS $whs ns\nnets not fully routed: $unrouted"
close $fh
puts "WNS $wns ns, WHS $whs ns, nets not fully routed: $unrouted"
if {$wns < 0 || $whs < 0 || $unrouted > 0} {
  puts "ERROR: timing not met or routing incomplete; see [file join $peerbar_report_dir timing_summary.txt]"
  exit 1
}

#################################################################################################
# Bitstream and configuration memory image
#################################################################################################

step "write_bitstream"
set bit [file join $out_dir $name.bit]
write_bitstream -force $bit

step "write_cfgmem ($peerbar_cfgmem_interface, $peerbar_cfgmem_size_mb MB)"
write_cfgmem -force -format mcs -size $peerbar_cfgmem_size_mb \
  -interface $peerbar_cfgmem_interface -loadbit "up 0x00000000 $bit" \
  -checksum -file [file join $out_dir $name.mcs]

step "done: [file join $out_dir $name.bit] and its flash image in $out_dir"
