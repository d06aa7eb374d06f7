// The RTL the axis_slice bench needs, relative to hw/rtl (compile order).
peerbar_axis_stable_check.sv
peerbar_axis_slice.sv
