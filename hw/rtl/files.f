// The RTL of peerbar_top in compile order: packages first (a package must be parsed before it
// is imported), then the modules. The one list every tool reads: hw/lint/lint.sh,
// hw/board/lint.sh, bitstream-sim/build.rs (Verilator), hw/board/common/flow.tcl (Vivado) and
// hw/synth/synth.sh (Yosys).
// One path per line, relative to this file; // starts a comment.
peerbar_wire_pkg.sv
peerbar_reg_pkg.sv
peerbar_pkg.sv
peerbar_crc32c_pkg.sv
peerbar_dma_tlp_pkg.sv
// Generated with peerbar_reg_pkg.sv (hw/regmap): the register files of peerbar_regs and peerbar_dma_csr.
peerbar_regs_reg_file.sv
peerbar_dma_reg_file.sv
peerbar_axis_stable_check.sv
peerbar_axis_slice.sv
peerbar_bar2_mem.sv
peerbar_cc_gen.sv
peerbar_completer.sv
peerbar_dma_crc32c.sv
peerbar_dma_checksum.sv
peerbar_dma_crc_inline.sv
peerbar_dma_csr.sv
peerbar_dma_rc.sv
peerbar_dma_sq_fetch.sv
peerbar_dma_retire.sv
peerbar_dma_rq_port.sv
peerbar_dma_tag_pick.sv
peerbar_dma_fbuf_banks.sv
peerbar_dma_sgl_prefetch.sv
peerbar_dma_push_mover.sv
peerbar_dma_engine.sv
peerbar_regs.sv
peerbar_top.sv
