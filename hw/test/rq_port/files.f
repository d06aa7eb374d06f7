// The RTL the rq_port bench needs, relative to hw/rtl (compile order).
peerbar_axis_stable_check.sv
peerbar_axis_slice.sv
peerbar_dma_rq_port.sv
