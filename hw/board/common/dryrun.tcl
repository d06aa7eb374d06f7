# SPDX-License-Identifier: MIT OR Apache-2.0
# Dry run of hw/board/<board>/build.tcl without Vivado: plain tclsh with every Vivado command
# the flow uses replaced by a stand-in that records the call. It checks the flow's Tcl (syntax,
# variables, the BAR2/MSI-X arithmetic, the read-back of IP properties, the port-list check
# against the lint stub, the timing gate's parsing), not Vivado's behaviour.
#   tclsh hw/board/common/dryrun.tcl <board> [bar2_size_log2] [num_queues] [veo_mutation]
# veo_mutation "width": the generated template gets one port width wrong, and the run must
# stop at the port-list check (exit 1).
lassign $argv board bar2 queues mutation
if {$bar2 eq ""} { set bar2 20 }
if {$queues eq ""} { set queues 4 }
set here [file dirname [file normalize [info script]]]
set tmp [file join [expr {[info exists ::env(TMPDIR)] ? $::env(TMPDIR) : "/tmp"}] peerbar-dryrun-[pid]-$board]
file delete -force $tmp
set ::calls {}
set ::props {}
proc record {args} { lappend ::calls $args }

# Vivado stand-ins.
foreach cmd {create_project read_verilog read_xdc synth_ip synth_design write_checkpoint
             report_utilization report_timing_summary report_clock_interaction report_drc
             report_io opt_design place_design phys_opt_design route_design write_bitstream
             write_cfgmem current_project} {
  proc $cmd {args} "record $cmd {*}\$args"
}
proc create_ip {args} {
  record create_ip {*}$args
  set i [lsearch $args -dir]; set ::ip_dir [lindex $args [expr {$i + 1}]]
  set i [lsearch $args -module_name]; set ::ip_name [lindex $args [expr {$i + 1}]]
}
proc get_ips {name} { return $name }
proc set_property {args} {
  if {[lindex $args 0] eq "-dict"} {
    foreach {k v} [lindex $args 1] { dict set ::props $k $v }
  } else {
    dict set ::props [lindex $args 0] [lindex $args 1]
  }
}
proc get_property {name obj} {
  if {$name eq "SLACK"} { return 0.123 }
  if {[dict exists $::props $name]} { return [dict get $::props $name] }
  return ""
}
proc list_property {obj} {
  return [concat [dict keys $::props] {CONFIG.PF0_DEV_CAP_FUNCTION_LEVEL_RESET_CAPABLE
    CONFIG.pf0_dev_cap2_cpl_timeout_example}]
}
proc report_property {args} { record report_property {*}$args }
proc get_timing_paths {args} { return path }
proc report_route_status {args} {
  return "   # of nets with routing errors.......... :           0 :"
}
# generate_target writes an instantiation template built from the lint stub's ports, in the
# format Vivado uses ("  .port(port),  // output wire [7 : 0] port").
proc generate_target {args} {
  record generate_target {*}$args
  set fh [open [file join $::here stubs pcie4_uscale_plus_stub.sv]]; set s [read $fh]; close $fh
  regsub -all {//[^\n]*} $s {} s
  regexp {module\s+pcie4_uscale_plus_0\s*\((.*?)\);} $s -> ports
  set out "$::ip_name your_instance_name (\n"
  set first 1
  foreach {- dir range port} [regexp -all -inline \
      {(input|output)\s+(?:wire\s+|logic\s+)?(\[\s*\d+\s*:\s*\d+\s*\])?\s*([A-Za-z_]\w*)} $ports] {
    if {$::mutation eq "width" && $first} { set range {[6:0]} }
    set first 0
    regsub {\[(\d+):(\d+)\]} $range {[\1 : \2]} range
    append out "  .$port\($port\),  // $dir wire $range $port\n"
  }
  file mkdir [file join $::ip_dir $::ip_name]
  set fh [open [file join $::ip_dir $::ip_name $::ip_name.veo] w]; puts $fh "$out);"; close $fh
}
rename exit tcl_exit
proc exit {{code 0}} {
  puts "dryrun: the flow called exit $code"
  file delete -force $::tmp
  tcl_exit $code
}

set argv [list $bar2 $queues $tmp]
set argc 3
source [file join $here .. $board build.tcl]

# What the IP got.
foreach k {CONFIG.pf0_bar2_scale CONFIG.pf0_bar2_size CONFIG.PF0_MSIX_CAP_TABLE_SIZE
           CONFIG.PF0_MSIX_CAP_TABLE_OFFSET CONFIG.PF0_MSIX_CAP_PBA_OFFSET
           CONFIG.PF0_CLASS_CODE CONFIG.PF0_DEVICE_ID CONFIG.select_quad} {
  puts "dryrun: $k = [dict get $::props $k]"
}
puts "dryrun: [llength $::calls] Vivado calls, flow completed"
file delete -force $tmp
tcl_exit 0
