// The RTL the axis_stable_check bench needs, relative to hw/rtl (compile order).
peerbar_axis_stable_check.sv
