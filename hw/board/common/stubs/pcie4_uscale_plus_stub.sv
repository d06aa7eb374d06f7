// Port-exact lint stand-ins for the Xilinx parts hw/board/common/peerbar_board_top.sv
// instantiates. Ports only: every output is tied to zero, nothing is modelled. Used by
// hw/board/lint.sh (Verilator --lint-only); never synthesized (Vivado uses the generated IP and
// the UNISIM library instead).
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

  assign pci_exp_txn                      = '0;
  assign pci_exp_txp                      = '0;
  assign user_clk                         = 1'b0;
  assign user_reset                       = 1'b0;
  assign user_lnk_up                      = 1'b0;
  assign s_axis_rq_tready                 = '0;
  assign m_axis_rc_tdata                  = '0;
  assign m_axis_rc_tkeep                  = '0;
  assign m_axis_rc_tlast                  = 1'b0;
  assign m_axis_rc_tuser                  = '0;
  assign m_axis_rc_tvalid                 = 1'b0;
  assign m_axis_cq_tdata                  = '0;
  assign m_axis_cq_tkeep                  = '0;
  assign m_axis_cq_tlast                  = 1'b0;
  assign m_axis_cq_tuser                  = '0;
  assign m_axis_cq_tvalid                 = 1'b0;
  assign s_axis_cc_tready                 = '0;
  assign pcie_rq_seq_num0                 = '0;
  assign pcie_rq_seq_num_vld0             = 1'b0;
  assign pcie_rq_seq_num1                 = '0;
  assign pcie_rq_seq_num_vld1             = 1'b0;
  assign pcie_rq_tag0                     = '0;
  assign pcie_rq_tag1                     = '0;
  assign pcie_rq_tag_av                   = '0;
  assign pcie_rq_tag_vld0                 = 1'b0;
  assign pcie_rq_tag_vld1                 = 1'b0;
  assign pcie_tfc_nph_av                  = '0;
  assign pcie_tfc_npd_av                  = '0;
  assign pcie_cq_np_req_count             = '0;
  assign cfg_phy_link_down                = 1'b0;
  assign cfg_phy_link_status              = '0;
  assign cfg_negotiated_width             = '0;
  assign cfg_current_speed                = '0;
  assign cfg_max_payload                  = '0;
  assign cfg_max_read_req                 = '0;
  assign cfg_function_status              = '0;
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
  assign cfg_rcb_status                   = '0;
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
  assign cfg_flr_in_process               = '0;
  assign cfg_vf_flr_in_process            = '0;
  assign cfg_interrupt_sent               = 1'b0;
  assign cfg_interrupt_msix_enable        = '0;
  assign cfg_interrupt_msix_mask          = '0;
  assign cfg_interrupt_msix_vf_enable     = '0;
  assign cfg_interrupt_msix_vf_mask       = '0;
  assign cfg_interrupt_msix_vec_pending_status = '0;
  assign cfg_interrupt_msi_sent           = 1'b0;
  assign cfg_interrupt_msi_fail           = 1'b0;
  assign cfg_hot_reset_out                = 1'b0;
  assign phy_rdy_out                      = 1'b0;

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
  assign O     = 1'b0;
  assign ODIV2 = 1'b0;
endmodule

// IBUF (single-ended input buffer), UG974.
module IBUF (
  output logic O,
  input  wire  I
);
  assign O = 1'b0;
endmodule

`default_nettype wire
