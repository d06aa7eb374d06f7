// The RTL the dma_checksum bench needs, relative to hw/rtl (compile order).
peerbar_wire_pkg.sv
peerbar_crc32c_pkg.sv
peerbar_dma_crc32c.sv
peerbar_dma_checksum.sv
