// SPDX-License-Identifier: MIT OR Apache-2.0
// Clocks the Verilator model through the C shim (csrc/peerbar_rtl.h) with every input idle
// after the reset sequence of tests/benches/rtl_speed.rs, for profile.sh: the cost of one
// idle cycle is the cost every cycle pays whatever the traffic.
#include "peerbar_rtl.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

int main(int argc, char** argv) {
    const long cycles = argc > 1 ? atol(argv[1]) : 200000;
    PeerbarRtl* rtl = peerbar_rtl_new(nullptr);
    if (rtl == nullptr) {
        fprintf(stderr, "cannot create the model\n");
        return 1;
    }
    PeerbarRtlInputs in;
    memset(&in, 0, sizeof in);
    PeerbarRtlOutputs out;
    in.user_reset = 1;
    in.cc_tready = 1;
    in.rq_tready = 1;
    for (int i = 0; i < 16; i++) peerbar_rtl_cycle(rtl, &in, &out);
    in.pcie_perst_n = 1;
    for (int i = 0; i < 16; i++) peerbar_rtl_cycle(rtl, &in, &out);
    in.user_reset = 0;
    in.user_lnk_up = 1;
    for (int i = 0; i < 16; i++) peerbar_rtl_cycle(rtl, &in, &out);
    const auto start = std::chrono::steady_clock::now();
    for (long i = 0; i < cycles; i++) peerbar_rtl_cycle(rtl, &in, &out);
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    printf("%ld idle cycles, %.3f M cycles per wall second\n", cycles, cycles / s / 1e6);
    peerbar_rtl_free(rtl);
    return 0;
}
