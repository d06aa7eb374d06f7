// The RTL the dma_rc bench needs, relative to hw/rtl (compile order).
peerbar_wire_pkg.sv
peerbar_reg_pkg.sv
peerbar_pkg.sv
peerbar_dma_rc.sv
