// The RTL the push_mover bench needs, relative to hw/rtl (compile order).
peerbar_wire_pkg.sv
peerbar_reg_pkg.sv
peerbar_pkg.sv
peerbar_dma_tlp_pkg.sv
peerbar_bar2_mem.sv
peerbar_dma_push_mover.sv
