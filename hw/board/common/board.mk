# Shared rules for hw/board/<board>/Makefile (which sets BOARD, FLASH_PART and includes this).
#
#   make            IP, synthesis, implementation, timing gate, bitstream, flash image (Vivado)
#   make config     print what would be built (no Vivado needed)
#   make program    load build/peerbar_$(BOARD).bit over JTAG (volatile)
#   make flash      write the flash image to the board's configuration memory over JTAG
#   make clean
#
# BAR2_SIZE_LOG2 and NUM_QUEUES default to peerbar_top's parameter defaults, read from the RTL,
# so the IP's BAR2 and MSI-X table always match what the RTL is built with.

COMMON := $(dir $(lastword $(MAKEFILE_LIST)))
RTL    := $(COMMON)../../rtl
VIVADO ?= vivado
OUT    ?= build
# Empty: the board's part (build.tcl). Set to build for another part of the same package.
PART   ?=

rtl_param = $(shell sed -n 's/^[[:space:]]*parameter int unsigned $(1)[[:space:]]*=[[:space:]]*\([0-9][0-9]*\).*/\1/p' $(RTL)/peerbar_top.sv)
BAR2_SIZE_LOG2 ?= $(call rtl_param,Bar2SizeLog2)
NUM_QUEUES     ?= $(call rtl_param,NumQueues)

ifeq ($(strip $(BAR2_SIZE_LOG2)),)
$(error cannot read Bar2SizeLog2 from $(RTL)/peerbar_top.sv; pass BAR2_SIZE_LOG2=)
endif
ifeq ($(strip $(NUM_QUEUES)),)
$(error cannot read NumQueues from $(RTL)/peerbar_top.sv; pass NUM_QUEUES=)
endif

VIVADO_BATCH := $(VIVADO) -mode batch -nojournal -notrace

.PHONY: all config program flash clean
all:
	mkdir -p $(OUT)
	PEERBAR_PART=$(PART) $(VIVADO_BATCH) -log $(OUT)/vivado.log -source build.tcl \
	  -tclargs $(BAR2_SIZE_LOG2) $(NUM_QUEUES) $(OUT)

config:
	@echo "board          $(BOARD)"
	@echo "part           $(if $(PART),$(PART),the board's, see build.tcl)"
	@echo "BAR2           2**$(BAR2_SIZE_LOG2) bytes (BAR2_SIZE_LOG2)"
	@echo "queues/vectors $(NUM_QUEUES) (NUM_QUEUES)"
	@echo "flash part     $(FLASH_PART)"
	@echo "outputs        $(OUT)/peerbar_$(BOARD).bit, $(OUT)/peerbar_$(BOARD)*.mcs/.prm, $(OUT)/reports/"

program:
	$(VIVADO_BATCH) -log $(OUT)/program.log -source $(COMMON)jtag.tcl \
	  -tclargs program $(OUT)/peerbar_$(BOARD).bit

flash:
	$(VIVADO_BATCH) -log $(OUT)/flash.log -source $(COMMON)jtag.tcl \
	  -tclargs flash $(OUT)/peerbar_$(BOARD).bit $(FLASH_PART) \
	  $(sort $(wildcard $(OUT)/peerbar_$(BOARD)*.mcs))

clean:
	rm -rf $(OUT) .Xil
