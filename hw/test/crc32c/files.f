// The RTL the crc32c bench needs, relative to hw/rtl (compile order).
peerbar_dma_crc32c.sv
