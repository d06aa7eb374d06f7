// The RTL the tag_pick bench needs, relative to hw/rtl (compile order).
peerbar_dma_tag_pick.sv
