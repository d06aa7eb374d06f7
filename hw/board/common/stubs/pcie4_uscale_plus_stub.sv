// SPDX-License-Identifier: MIT OR Apache-2.0
// Port-exact stand-ins for the Xilinx parts hw/board/common/peerbar_board_top.sv instantiates,
// for Verilator only: the lint of the wrapper (hw/board/lint.sh) and the simulation
// (bitstream-sim/build.rs), which hands the IP's user side to its Rust model of the block (see
// the model_* signals below); the two buffers pass their input through. Never synthesized:
// Vivado uses the generated IP and the UNISIM library instead.
//
// pcie4_uscale_plus_0: the UltraScale+ Integrated Block for PCI Express (pcie4_uscale_plus) as
// hw/board/<board>/ip.tcl configures it: Gen3 x8, 256-bit AXI4-Stream at 250 MHz, MSI disabled,
// MSI-X "external" (table in user logic), no SR-IOV VFs (the VF ports exist all the same),
// configuration/management/status/flow-control/message interfaces enabled (the IP's defaults),
// no extended configuration interface, no PIPE simulation ports. Port names, directions and
// widths follow AMD PG213 ("UltraScale+ Devices Integrated Block for PCI Express"), port
// description tables for the 256-bit interface (tuser widths: CQ 88, CC 33, RQ 62, RC 75; CQ and
// RC tready are one bit on this core, CC and RQ tready four), cross-checked against a Vivado
// instantiation template of a pcie4_uscale_plus x8 256-bit core and against the MSI-X-external
// port set used by the open verilog-pcie VCU118 example (example/VCU118/fpga/rtl/fpga.v).
// hw/board/common/flow.tcl compares this port list with the stub Vivado generates for the
// configured IP and stops the build if they differ.

`default_nettype none

module pcie4_uscale_plus_0 (
  // PCI Express lanes
  output logic [7:0]   pci_exp_txn,
  output logic [7:0]   pci_exp_txp,
  input  wire  [7:0]   pci_exp_rxn,
  input  wire  [7:0]   pci_exp_rxp,

  // User clock and reset
  output logic         user_clk,
  output logic         user_reset,
  output logic         user_lnk_up,

  // Requester request
  input  wire  [255:0] s_axis_rq_tdata,
  input  wire  [7:0]   s_axis_rq_tkeep,
  input  wire          s_axis_rq_tlast,
  output logic [3:0]   s_axis_rq_tready,
  input  wire  [61:0]  s_axis_rq_tuser,
  input  wire          s_axis_rq_tvalid,

  // Requester completion
  output logic [255:0] m_axis_rc_tdata,
  output logic [7:0]   m_axis_rc_tkeep,
  output logic         m_axis_rc_tlast,
  input  wire          m_axis_rc_tready,
  output logic [74:0]  m_axis_rc_tuser,
  output logic         m_axis_rc_tvalid,

  // Completer request
  output logic [255:0] m_axis_cq_tdata,
  output logic [7:0]   m_axis_cq_tkeep,
  output logic         m_axis_cq_tlast,
  input  wire          m_axis_cq_tready,
  output logic [87:0]  m_axis_cq_tuser,
  output logic         m_axis_cq_tvalid,

  // Completer completion
  input  wire  [255:0] s_axis_cc_tdata,
  input  wire  [7:0]   s_axis_cc_tkeep,
  input  wire          s_axis_cc_tlast,
  output logic [3:0]   s_axis_cc_tready,
  input  wire  [32:0]  s_axis_cc_tuser,
  input  wire          s_axis_cc_tvalid,

  // Requester sideband: sequence numbers, tags, transmit flow control
  output logic [5:0]   pcie_rq_seq_num0,
  output logic         pcie_rq_seq_num_vld0,
  output logic [5:0]   pcie_rq_seq_num1,
  output logic         pcie_rq_seq_num_vld1,
  output logic [7:0]   pcie_rq_tag0,
  output logic [7:0]   pcie_rq_tag1,
  output logic [3:0]   pcie_rq_tag_av,
  output logic         pcie_rq_tag_vld0,
  output logic         pcie_rq_tag_vld1,
  output logic [3:0]   pcie_tfc_nph_av,
  output logic [3:0]   pcie_tfc_npd_av,

  // Completer non-posted flow control
  input  wire  [1:0]   pcie_cq_np_req,
  output logic [5:0]   pcie_cq_np_req_count,

  // Configuration status
  output logic         cfg_phy_link_down,
  output logic [1:0]   cfg_phy_link_status,
  output logic [2:0]   cfg_negotiated_width,
  output logic [1:0]   cfg_current_speed,
  output logic [1:0]   cfg_max_payload,
  output logic [2:0]   cfg_max_read_req,
  output logic [15:0]  cfg_function_status,
  output logic [11:0]  cfg_function_power_state,
  output logic [503:0] cfg_vf_status,
  output logic [755:0] cfg_vf_power_state,
  output logic [1:0]   cfg_link_power_state,

  // Configuration management
  input  wire  [9:0]   cfg_mgmt_addr,
  input  wire  [7:0]   cfg_mgmt_function_number,
  input  wire          cfg_mgmt_write,
  input  wire  [31:0]  cfg_mgmt_write_data,
  input  wire  [3:0]   cfg_mgmt_byte_enable,
  input  wire          cfg_mgmt_read,
  output logic [31:0]  cfg_mgmt_read_data,
  output logic         cfg_mgmt_read_write_done,
  input  wire          cfg_mgmt_debug_access,

  // Error, power management and link status
  output logic         cfg_err_cor_out,
  output logic         cfg_err_nonfatal_out,
  output logic         cfg_err_fatal_out,
  output logic         cfg_local_error_valid,
  output logic [4:0]   cfg_local_error_out,
  output logic [5:0]   cfg_ltssm_state,
  output logic [1:0]   cfg_rx_pm_state,
  output logic [1:0]   cfg_tx_pm_state,
  output logic [3:0]   cfg_rcb_status,
  output logic [1:0]   cfg_obff_enable,
  output logic         cfg_pl_status_change,
  output logic [3:0]   cfg_tph_requester_enable,
  output logic [11:0]  cfg_tph_st_mode,
  output logic [251:0] cfg_vf_tph_requester_enable,
  output logic [755:0] cfg_vf_tph_st_mode,

  // Received and transmitted messages
  output logic         cfg_msg_received,
  output logic [7:0]   cfg_msg_received_data,
  output logic [4:0]   cfg_msg_received_type,
  input  wire          cfg_msg_transmit,
  input  wire  [2:0]   cfg_msg_transmit_type,
  input  wire  [31:0]  cfg_msg_transmit_data,
  output logic         cfg_msg_transmit_done,

  // Flow control credits
  output logic [7:0]   cfg_fc_ph,
  output logic [11:0]  cfg_fc_pd,
  output logic [7:0]   cfg_fc_nph,
  output logic [11:0]  cfg_fc_npd,
  output logic [7:0]   cfg_fc_cplh,
  output logic [11:0]  cfg_fc_cpld,
  input  wire  [2:0]   cfg_fc_sel,

  // Configuration control
  input  wire  [63:0]  cfg_dsn,
  output logic [7:0]   cfg_bus_number,
  input  wire          cfg_power_state_change_ack,
  output logic         cfg_power_state_change_interrupt,
  input  wire          cfg_err_cor_in,
  input  wire          cfg_err_uncor_in,
  output logic [3:0]   cfg_flr_in_process,
  input  wire  [3:0]   cfg_flr_done,
  output logic [251:0] cfg_vf_flr_in_process,
  input  wire  [7:0]   cfg_vf_flr_func_num,
  input  wire  [0:0]   cfg_vf_flr_done,
  input  wire          cfg_link_training_enable,

  // Legacy interrupts, MSI-X (external table)
  input  wire  [3:0]   cfg_interrupt_int,
  input  wire  [3:0]   cfg_interrupt_pending,
  output logic         cfg_interrupt_sent,
  output logic [3:0]   cfg_interrupt_msix_enable,
  output logic [3:0]   cfg_interrupt_msix_mask,
  output logic [251:0] cfg_interrupt_msix_vf_enable,
  output logic [251:0] cfg_interrupt_msix_vf_mask,
  input  wire  [63:0]  cfg_interrupt_msix_address,
  input  wire  [31:0]  cfg_interrupt_msix_data,
  input  wire          cfg_interrupt_msix_int,
  input  wire  [1:0]   cfg_interrupt_msix_vec_pending,
  output logic [0:0]   cfg_interrupt_msix_vec_pending_status,
  output logic         cfg_interrupt_msi_sent,
  output logic         cfg_interrupt_msi_fail,
  input  wire  [7:0]   cfg_interrupt_msi_function_number,

  // ASPM, hot reset, downstream-port identity (endpoint: unused)
  input  wire          cfg_pm_aspm_l1_entry_reject,
  input  wire          cfg_pm_aspm_tx_l0s_entry_disable,
  output logic         cfg_hot_reset_out,
  input  wire          cfg_config_space_enable,
  input  wire          cfg_req_pm_transition_l23_ready,
  input  wire          cfg_hot_reset_in,
  input  wire  [7:0]   cfg_ds_port_number,
  input  wire  [7:0]   cfg_ds_bus_number,
  input  wire  [4:0]   cfg_ds_device_number,

  // System clock (100 MHz reference) and PERST#
  input  wire          sys_clk,
  input  wire          sys_clk_gt,
  input  wire          sys_reset,
  output logic         phy_rdy_out
);

  // Outputs the simulation does not drive: the PHY, link/power status, management, messages,
  // flow control, VFs and errors. peerbar_board_top reads none of them into the user logic.
  assign pci_exp_txn                      = '0;
  assign pci_exp_txp                      = '0;
  assign pcie_rq_tag_av                   = '0;
  assign cfg_phy_link_down                = 1'b0;
  assign cfg_phy_link_status              = '0;
  assign cfg_negotiated_width             = '0;
  assign cfg_current_speed                = '0;
  assign cfg_function_power_state         = '0;
  assign cfg_vf_status                    = '0;
  assign cfg_vf_power_state               = '0;
  assign cfg_link_power_state             = '0;
  assign cfg_mgmt_read_data               = '0;
  assign cfg_mgmt_read_write_done         = 1'b0;
  assign cfg_err_cor_out                  = 1'b0;
  assign cfg_err_nonfatal_out             = 1'b0;
  assign cfg_err_fatal_out                = 1'b0;
  assign cfg_local_error_valid            = 1'b0;
  assign cfg_local_error_out              = '0;
  assign cfg_ltssm_state                  = '0;
  assign cfg_rx_pm_state                  = '0;
  assign cfg_tx_pm_state                  = '0;
  assign cfg_obff_enable                  = '0;
  assign cfg_pl_status_change             = 1'b0;
  assign cfg_tph_requester_enable         = '0;
  assign cfg_tph_st_mode                  = '0;
  assign cfg_vf_tph_requester_enable      = '0;
  assign cfg_vf_tph_st_mode               = '0;
  assign cfg_msg_received                 = 1'b0;
  assign cfg_msg_received_data            = '0;
  assign cfg_msg_received_type            = '0;
  assign cfg_msg_transmit_done            = 1'b0;
  assign cfg_fc_ph                        = '0;
  assign cfg_fc_pd                        = '0;
  assign cfg_fc_nph                       = '0;
  assign cfg_fc_npd                       = '0;
  assign cfg_fc_cplh                      = '0;
  assign cfg_fc_cpld                      = '0;
  assign cfg_bus_number                   = '0;
  assign cfg_power_state_change_interrupt = 1'b0;
  assign cfg_vf_flr_in_process            = '0;
  assign cfg_interrupt_sent               = 1'b0;
  assign cfg_interrupt_msix_vf_enable     = '0;
  assign cfg_interrupt_msix_vf_mask       = '0;
  assign cfg_interrupt_msix_vec_pending_status = '0;
  assign cfg_hot_reset_out                = 1'b0;
  assign phy_rdy_out                      = 1'b0;

  // The user side belongs to the simulation (bitstream-sim): its Rust model of the block
  // (bitstream-sim/src/device.rs) is the block. Its C++ shim (bitstream-sim/csrc/peerbar_rtl.cpp)
  // writes the model_* signals that drive the block's user-side outputs and reads the model_*
  // copies of the user-side inputs, directly through Verilator's public_flat_rw / public_flat_rd
  // access (no DPI call per cycle). Under lint nothing drives them. The user clock is the
  // reference clock the shim toggles at the edge-connector pins (one user_clk cycle per model
  // cycle); on the board it is the GT's 250 MHz from a PLL, here the clock path is a wire.

  // User-side outputs of the block, driven by the model.
  logic         model_user_reset                   /*verilator public_flat_rw*/;
  logic         model_user_lnk_up                  /*verilator public_flat_rw*/;
  logic [255:0] model_m_axis_cq_tdata              /*verilator public_flat_rw*/;
  logic [7:0]   model_m_axis_cq_tkeep              /*verilator public_flat_rw*/;
  logic         model_m_axis_cq_tlast              /*verilator public_flat_rw*/;
  logic [87:0]  model_m_axis_cq_tuser              /*verilator public_flat_rw*/;
  logic         model_m_axis_cq_tvalid             /*verilator public_flat_rw*/;
  logic [5:0]   model_pcie_cq_np_req_count         /*verilator public_flat_rw*/;
  logic [3:0]   model_s_axis_cc_tready             /*verilator public_flat_rw*/;
  logic [3:0]   model_s_axis_rq_tready             /*verilator public_flat_rw*/;
  logic [255:0] model_m_axis_rc_tdata              /*verilator public_flat_rw*/;
  logic [7:0]   model_m_axis_rc_tkeep              /*verilator public_flat_rw*/;
  logic         model_m_axis_rc_tlast              /*verilator public_flat_rw*/;
  logic [74:0]  model_m_axis_rc_tuser              /*verilator public_flat_rw*/;
  logic         model_m_axis_rc_tvalid             /*verilator public_flat_rw*/;
  logic [5:0]   model_pcie_rq_seq_num0             /*verilator public_flat_rw*/;
  logic [5:0]   model_pcie_rq_seq_num1             /*verilator public_flat_rw*/;
  logic         model_pcie_rq_seq_num_vld0         /*verilator public_flat_rw*/;
  logic         model_pcie_rq_seq_num_vld1         /*verilator public_flat_rw*/;
  logic [7:0]   model_pcie_rq_tag0                 /*verilator public_flat_rw*/;
  logic [7:0]   model_pcie_rq_tag1                 /*verilator public_flat_rw*/;
  logic         model_pcie_rq_tag_vld0             /*verilator public_flat_rw*/;
  logic         model_pcie_rq_tag_vld1             /*verilator public_flat_rw*/;
  logic [3:0]   model_pcie_tfc_nph_av              /*verilator public_flat_rw*/;
  logic [3:0]   model_pcie_tfc_npd_av              /*verilator public_flat_rw*/;
  logic [1:0]   model_cfg_max_payload              /*verilator public_flat_rw*/;
  logic [2:0]   model_cfg_max_read_req             /*verilator public_flat_rw*/;
  logic [15:0]  model_cfg_function_status          /*verilator public_flat_rw*/;
  logic [3:0]   model_cfg_rcb_status               /*verilator public_flat_rw*/;
  logic [3:0]   model_cfg_flr_in_process           /*verilator public_flat_rw*/;
  logic [3:0]   model_cfg_interrupt_msix_enable    /*verilator public_flat_rw*/;
  logic [3:0]   model_cfg_interrupt_msix_mask      /*verilator public_flat_rw*/;
  logic         model_cfg_interrupt_msi_sent       /*verilator public_flat_rw*/;
  logic         model_cfg_interrupt_msi_fail       /*verilator public_flat_rw*/;

  assign user_clk                  = sys_clk;
  assign user_reset                = model_user_reset;
  assign user_lnk_up               = model_user_lnk_up;
  assign m_axis_cq_tdata           = model_m_axis_cq_tdata;
  assign m_axis_cq_tkeep           = model_m_axis_cq_tkeep;
  assign m_axis_cq_tlast           = model_m_axis_cq_tlast;
  assign m_axis_cq_tuser           = model_m_axis_cq_tuser;
  assign m_axis_cq_tvalid          = model_m_axis_cq_tvalid;
  assign pcie_cq_np_req_count      = model_pcie_cq_np_req_count;
  assign s_axis_cc_tready          = model_s_axis_cc_tready;
  assign s_axis_rq_tready          = model_s_axis_rq_tready;
  assign m_axis_rc_tdata           = model_m_axis_rc_tdata;
  assign m_axis_rc_tkeep           = model_m_axis_rc_tkeep;
  assign m_axis_rc_tlast           = model_m_axis_rc_tlast;
  assign m_axis_rc_tuser           = model_m_axis_rc_tuser;
  assign m_axis_rc_tvalid          = model_m_axis_rc_tvalid;
  assign pcie_rq_seq_num0          = model_pcie_rq_seq_num0;
  assign pcie_rq_seq_num1          = model_pcie_rq_seq_num1;
  assign pcie_rq_seq_num_vld0      = model_pcie_rq_seq_num_vld0;
  assign pcie_rq_seq_num_vld1      = model_pcie_rq_seq_num_vld1;
  assign pcie_rq_tag0              = model_pcie_rq_tag0;
  assign pcie_rq_tag1              = model_pcie_rq_tag1;
  assign pcie_rq_tag_vld0          = model_pcie_rq_tag_vld0;
  assign pcie_rq_tag_vld1          = model_pcie_rq_tag_vld1;
  assign pcie_tfc_nph_av           = model_pcie_tfc_nph_av;
  assign pcie_tfc_npd_av           = model_pcie_tfc_npd_av;
  assign cfg_max_payload           = model_cfg_max_payload;
  assign cfg_max_read_req          = model_cfg_max_read_req;
  assign cfg_function_status       = model_cfg_function_status;
  assign cfg_rcb_status            = model_cfg_rcb_status;
  assign cfg_flr_in_process        = model_cfg_flr_in_process;
  assign cfg_interrupt_msix_enable = model_cfg_interrupt_msix_enable;
  assign cfg_interrupt_msix_mask   = model_cfg_interrupt_msix_mask;
  assign cfg_interrupt_msi_sent    = model_cfg_interrupt_msi_sent;
  assign cfg_interrupt_msi_fail    = model_cfg_interrupt_msi_fail;

  // User-side inputs of the block (and PERST#), copied for the model to read.
  wire [255:0] model_s_axis_cc_tdata /*verilator public_flat_rd*/ = s_axis_cc_tdata;
  wire [7:0]   model_s_axis_cc_tkeep /*verilator public_flat_rd*/ = s_axis_cc_tkeep;
  wire         model_s_axis_cc_tlast /*verilator public_flat_rd*/ = s_axis_cc_tlast;
  wire [32:0]  model_s_axis_cc_tuser /*verilator public_flat_rd*/ = s_axis_cc_tuser;
  wire         model_s_axis_cc_tvalid /*verilator public_flat_rd*/ = s_axis_cc_tvalid;
  wire [255:0] model_s_axis_rq_tdata /*verilator public_flat_rd*/ = s_axis_rq_tdata;
  wire [7:0]   model_s_axis_rq_tkeep /*verilator public_flat_rd*/ = s_axis_rq_tkeep;
  wire         model_s_axis_rq_tlast /*verilator public_flat_rd*/ = s_axis_rq_tlast;
  wire [61:0]  model_s_axis_rq_tuser /*verilator public_flat_rd*/ = s_axis_rq_tuser;
  wire         model_s_axis_rq_tvalid /*verilator public_flat_rd*/ = s_axis_rq_tvalid;
  wire         model_m_axis_cq_tready /*verilator public_flat_rd*/ = m_axis_cq_tready;
  wire         model_m_axis_rc_tready /*verilator public_flat_rd*/ = m_axis_rc_tready;
  wire [1:0]   model_pcie_cq_np_req /*verilator public_flat_rd*/ = pcie_cq_np_req;
  wire [3:0]   model_cfg_flr_done /*verilator public_flat_rd*/ = cfg_flr_done;
  wire [63:0]  model_cfg_interrupt_msix_address /*verilator public_flat_rd*/ =
      cfg_interrupt_msix_address;
  wire [31:0]  model_cfg_interrupt_msix_data /*verilator public_flat_rd*/ = cfg_interrupt_msix_data;
  wire         model_cfg_interrupt_msix_int /*verilator public_flat_rd*/ = cfg_interrupt_msix_int;
  wire [7:0]   model_cfg_interrupt_msi_function_number /*verilator public_flat_rd*/ =
      cfg_interrupt_msi_function_number;
  wire         model_sys_reset /*verilator public_flat_rd*/ = sys_reset;

endmodule

// IBUFDS_GTE4 (UltraScale+ GT reference clock input buffer), ports and parameters as in AMD
// UG974 (UltraScale Architecture Libraries Guide). O feeds the GT (sys_clk_gt), ODIV2 the fabric
// (sys_clk).
module IBUFDS_GTE4 #(
  parameter logic       REFCLK_EN_TX_PATH  = 1'b0,
  parameter logic [1:0] REFCLK_HROW_CK_SEL = 2'b00,
  parameter logic [1:0] REFCLK_ICNTL_RX    = 2'b00
) (
  output logic O,
  output logic ODIV2,
  input  wire  CEB,
  input  wire  I,
  input  wire  IB
);
  // Behaviour for REFCLK_HROW_CK_SEL = 00 (ODIV2 = O, not divided) and CEB low; the GT's
  // analog input stage is not modelled.
  assign O     = I;
  assign ODIV2 = I;
endmodule

// IBUF (single-ended input buffer), UG974.
module IBUF (
  output logic O,
  input  wire  I
);
  assign O = I;
endmodule

`default_nettype wire
