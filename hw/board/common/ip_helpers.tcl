# SPDX-License-Identifier: MIT OR Apache-2.0
# Helpers for hw/board/<board>/ip.tcl (sourced by hw/board/common/flow.tcl before ip.tcl).

# BAR size as the pcie4_uscale_plus GUI wants it: a scale and a number. log2 in 12..32.
proc peerbar_bar_scale_size {log2} {
  if {$log2 < 12 || $log2 > 32} {
    error "peerbar: BAR2 size log2 $log2 is outside 12..32 (peerbar_top's Bar2SizeLog2 range)"
  }
  if {$log2 < 20} { return [list Kilobytes [expr {1 << ($log2 - 10)}]] }
  if {$log2 < 30} { return [list Megabytes [expr {1 << ($log2 - 20)}]] }
  return [list Gigabytes [expr {1 << ($log2 - 30)}]]
}

# Set a list of CONFIG.* properties in one call, then read every one back and stop the build
# if the IP did not take a value (Vivado can silently recompute dependent properties).
proc peerbar_set_and_verify {ip props} {
  set_property -dict $props $ip
  set bad {}
  dict for {name want} $props {
    set got [get_property $name $ip]
    if {[string tolower [string trim $got]] ne [string tolower [string trim $want]]} {
      lappend bad "$name: wanted {$want}, the IP has {$got}"
    }
  }
  if {[llength $bad]} {
    error "peerbar: the PCIe IP did not take these properties:\n  [join $bad "\n  "]"
  }
}

# Properties whose exact name this project has not seen in a pcie4_uscale_plus script: find
# them by pattern, write what exists to the report, and return the first match (or "").
proc peerbar_find_property {ip pattern report} {
  set found [lsearch -all -inline -regexp [list_property $ip] "(?i)$pattern"]
  foreach p $found {
    puts $report "$p = [get_property $p $ip]"
  }
  if {![llength $found]} {
    puts $report "(no property matches /$pattern/)"
    return ""
  }
  return [lindex $found 0]
}
