// The RTL the sgl_prefetch bench needs, relative to hw/rtl (compile order).
peerbar_wire_pkg.sv
peerbar_reg_pkg.sv
peerbar_pkg.sv
peerbar_dma_tlp_pkg.sv
peerbar_dma_fbuf_banks.sv
peerbar_dma_sgl_prefetch.sv
