# SPDX-License-Identifier: MIT OR Apache-2.0
# The pcie4_uscale_plus configuration every board shares. Sourced at the end of
# hw/board/<board>/ip.tcl, which sets $peerbar_ip_location (the board's lane, quad and block
# location properties): creates the IP as $ip, sets the location first (it constrains the
# rest), then everything else.
# Property names are the ones open pcie4_uscale_plus scripts use (corundum's
# fpga/mqnic/*/ip/pcie4_uscale_plus_0.tcl, verilog-pcie's examples); values follow PG213 and
# what hw/rtl/peerbar_top.sv expects. Every value is read back (peerbar_set_and_verify).

set ip_name pcie4_uscale_plus_0
create_ip -name pcie4_uscale_plus -vendor xilinx.com -library ip \
  -module_name $ip_name -dir $peerbar_ip_dir
set ip [get_ips $ip_name]

lassign [peerbar_bar_scale_size $peerbar_bar2_log2] bar2_scale bar2_size
set msix_table_size [format %03X [expr {$peerbar_num_queues - 1}]]

peerbar_set_and_verify $ip $peerbar_ip_location

# User interface: 256-bit @ 250 MHz, DWORD-aligned, no straddle (peerbar_top's contract);
# client tags (the DMA engine picks its own tags) and the Extended Tag Field capability (the
# engine uses 8-bit tags when the host enables them, docs/dma-engine.md); MPS up to 1024 bytes
# (cfg_max_payload 0..3).
peerbar_set_and_verify $ip [dict create \
  CONFIG.axisten_if_width                256_bit \
  CONFIG.axisten_freq                    250 \
  CONFIG.AXISTEN_IF_CQ_ALIGNMENT_MODE    DWORD_Aligned \
  CONFIG.AXISTEN_IF_RQ_ALIGNMENT_MODE    DWORD_Aligned \
  CONFIG.AXISTEN_IF_RC_STRADDLE          false \
  CONFIG.axisten_if_enable_client_tag    true \
  CONFIG.extended_tag_field              true \
  CONFIG.pf0_dev_cap_max_payload         1024_bytes \
]

# Identity: 10EE:9038, class 058000h (memory controller, other). The class-code lookup
# assistant is turned off first: with it on, the IP derives the class code from its menus.
peerbar_set_and_verify $ip [dict create CONFIG.PF0_Use_Class_Code_Lookup_Assistant false]
peerbar_set_and_verify $ip [dict create \
  CONFIG.vendor_id                 10EE \
  CONFIG.PF0_DEVICE_ID             9038 \
  CONFIG.PF0_CLASS_CODE            058000 \
]

# BARs: BAR0 64 KiB 32-bit non-prefetchable memory (registers + MSI-X table/PBA), BAR2 64-bit
# prefetchable memory of 2**Bar2SizeLog2 bytes (takes BAR3 as its upper half), nothing else.
peerbar_set_and_verify $ip [dict create \
  CONFIG.pf0_bar0_enabled          true \
  CONFIG.pf0_bar0_64bit            false \
  CONFIG.pf0_bar0_prefetchable     false \
  CONFIG.pf0_bar0_scale            Kilobytes \
  CONFIG.pf0_bar0_size             64 \
  CONFIG.pf0_bar1_enabled          false \
  CONFIG.pf0_bar2_enabled          true \
  CONFIG.pf0_bar2_64bit            true \
  CONFIG.pf0_bar2_prefetchable     true \
  CONFIG.pf0_bar2_scale            $bar2_scale \
  CONFIG.pf0_bar2_size             $bar2_size \
  CONFIG.pf0_bar4_enabled          false \
]

# Interrupts: no legacy MSI; MSI-X with the table in user logic ("external"): table and PBA in
# BAR0 at the offsets of the register map (peerbar_regmap.tcl, generated from
# hw/regmap/peerbar.toml), NumQueues vectors (table size field is N-1). peerbar_top sends MSI-X
# messages itself as MemWr on RQ.
source [file join [file dirname [info script]] peerbar_regmap.tcl]
peerbar_set_and_verify $ip [dict create \
  CONFIG.pf0_msi_enabled                false \
  CONFIG.pf0_msix_enabled               true \
  CONFIG.MSI_X_OPTIONS                  MSI-X_External \
  CONFIG.PF0_MSIX_CAP_TABLE_SIZE        $msix_table_size \
  CONFIG.PF0_MSIX_CAP_TABLE_BIR         BAR_0 \
  CONFIG.PF0_MSIX_CAP_TABLE_OFFSET      $peerbar_msix_table_offset \
  CONFIG.PF0_MSIX_CAP_PBA_BIR           BAR_0 \
  CONFIG.PF0_MSIX_CAP_PBA_OFFSET        $peerbar_msix_pba_offset \
]

# Function Level Reset capability and the Completion Timeout Ranges Supported field (Device
# Capabilities 2): their property names were not found in an open pcie4_uscale_plus script, so
# they are looked up by pattern. FLR must be advertised (the board wrapper answers
# cfg_flr_done; VFIO resets the function by FLR); the build stops if no FLR property exists.
# The completion timeout properties found are only reported (reports/ip_config.txt), with the
# IP's default left in place: the DMA engine has its own timeout (DMA_COMPLETION_TIMEOUT) and
# the block's timeout ends a read on RC with error code 9 either way (docs/dma-engine.md).
set report [open [file join $peerbar_report_dir ip_optional_properties.txt] w]
puts $report "# Function Level Reset capability"
peerbar_find_property $ip {^CONFIG\..*(flr|function_level_reset).*} $report
set flr_prop [lsearch -inline -regexp [list_property $ip] \
  {(?i)^CONFIG\.pf0_dev_cap_function_level_reset_capable$}]
puts $report "# Completion timeout"
peerbar_find_property $ip {^CONFIG\..*(cpl|completion).*timeout.*} $report
close $report
if {$flr_prop eq ""} {
  error "peerbar: no FLR capability property on the PCIe IP; see reports/ip_optional_properties.txt"
}
peerbar_set_and_verify $ip [dict create $flr_prop true]

# The whole configuration, for review against docs/board.md.
report_property $ip -file [file join $peerbar_report_dir ip_config.txt]
