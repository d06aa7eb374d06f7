// The RTL the crc_inline bench needs, relative to hw/rtl (compile order).
peerbar_crc32c_pkg.sv
peerbar_dma_crc_inline.sv
