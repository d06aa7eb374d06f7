#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# The VFIO path in a real Linux kernel: boots a Debian kernel under QEMU (TCG, no KVM) on a q35
# machine with an emulated Intel IOMMU (interrupt remapping on) and three QEMU NVMe controllers,
# and runs the project's own `peerbar vfio-check` inside it; then a kernel built here with iommufd
# and the VFIO device cdev (scripts/qemu/build-kernel.sh, cached) on the same machine; then the
# simulated endpoint as a PCI function of the guest, through QEMU's vfio-user client. See
# docs/vfio-qemu.md and docs/vfio-user.md.
#
#   scripts/test-vfio.sh            build, boot, check; exit 0 only if every step passed
#   KEEP_LOG=1 scripts/test-vfio.sh print the guest log even when everything passed
#
# Environment: CARGO_TARGET_DIR (default: target/ in the repository), PEERBAR_QEMU_CACHE (the
# unpacked guest kernel and busybox; default $CARGO_TARGET_DIR/qemu-guest), PEERBAR_QEMU_WORK
# (this run's initramfs, NVMe images, logs and vfio-user socket, rewritten by every run; default
# $PEERBAR_QEMU_CACHE/run: set it to share one cache between runs at once), PEERBAR_QEMU_TIMEOUT
# (seconds for the guest run, default 300), PEERBAR_BIN (a static peerbar already built: skips
# the cargo build), PEERBAR_IOMMUFD_GUEST (default 1: build, once, and boot the guest kernel
# with iommufd and the VFIO cdev, scripts/qemu/build-kernel.sh; its cold build took 3.9 min on
# 2 idle cores, 12-17 min on 2 busy ones; 0 skips that guest), PEERBAR_VFIO_USER_GUEST (default
# 1: QEMU 11 from trixie-backports, scripts/qemu/fetch-qemu.sh, attaches the simulated endpoint
# that `peerbar sim serve` serves over vfio-user; 0 skips that guest).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$repo/target}
cache=${PEERBAR_QEMU_CACHE:-$target_dir/qemu-guest}
guest_timeout=${PEERBAR_QEMU_TIMEOUT:-300}
iommufd_guest=${PEERBAR_IOMMUFD_GUEST:-1}
vfio_user_guest=${PEERBAR_VFIO_USER_GUEST:-1}
triple=x86_64-unknown-linux-gnu
start=$(date +%s)

say() { echo "test-vfio: $*" >&2; }

# --- host tools -----------------------------------------------------------------------------
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v cpio >/dev/null || missing+=(cpio)
command -v xz >/dev/null || missing+=(xz-utils)
command -v gzip >/dev/null || missing+=(gzip)
command -v apt-get >/dev/null || {
    say "apt-get is needed to download the guest's Debian kernel and busybox packages"
    exit 1
}
source "$repo/scripts/qemu/install-missing.sh"
install_missing test-vfio "for the QEMU guest" ${missing[@]+"${missing[@]}"}

# --- guest kernel, busybox, peerbar, initramfs ---------------------------------------------
"$repo/scripts/qemu/fetch-guest.sh" "$cache" 2> >(grep -v 'Download is performed unsandboxed' >&2)

if [[ -n ${PEERBAR_BIN:-} ]]; then
    peerbar=$PEERBAR_BIN
else
    say "building a static peerbar without the simulator"
    # crt-static: glibc linked in, so the binary runs in an initramfs with no libraries.
    # --target keeps RUSTFLAGS away from build scripts and proc macros (host-dynamic).
    RUSTFLAGS='-C target-feature=+crt-static' CARGO_TARGET_DIR=$target_dir \
        cargo build -q --release -p peerbar-tools --no-default-features --target "$triple" \
        --manifest-path "$repo/Cargo.toml"
    peerbar=$target_dir/$triple/release/peerbar
fi

work=${PEERBAR_QEMU_WORK:-$cache/run}
mkdir -p "$work"
"$repo/scripts/qemu/build-initramfs.sh" "$cache" "$peerbar" "$work/initramfs.cpio.gz"
for disk in a b c z; do
    rm -f "$work/nvme-$disk.img"
    truncate -s 16M "$work/nvme-$disk.img"
done

# --- boot ------------------------------------------------------------------------------------
# Topology (docs/vfio-qemu.md):
#   pcie.0 - root port 00:03.0 - switch upstream port - downstream port .0 - NVMe B
#                                                     - downstream port .1 - NVMe A (CMB)
#          - root port 00:04.0 - NVMe C (left to the kernel's nvme driver)
# A and B share an upstream switch, as an SSD and the FPGA do on a P2P board. The guest finds
# the NVMe functions by position (device.function of each port on the way; see
# scripts/qemu/init), given on the kernel command line. legacy-cmb=on: QEMU 7.2 otherwise shows
# CMBLOC/CMBSZ only after the host enables the CMB through CMBMSC.
positions='peerbar.nvme=03.0/00.0/00.0/00.0 peerbar.cmb=03.0/00.0/01.0/00.0 peerbar.kernel=04.0/00.0'
vmlinuz=$(ls "$cache"/kernel/boot/vmlinuz-*)
initramfs=$work/initramfs.cpio.gz

# boot NAME EXPECTED_RESULT APPEND [QEMU ARGS...]: boots the guest, prints its summary, and
# records a failure in $failures unless the guest's PEERBAR-RESULT line is EXPECTED_RESULT.
# $vmlinuz, $initramfs and $kernel_name (for the messages) name the kernel booted.
# $nvme_b_options (appended to NVMe B's -device) and the array $after_nvme (QEMU arguments
# after the NVMe controllers, e.g. a namespace on B) vary the devices per boot.
kernel_name=$(basename "$vmlinuz")
qemu=qemu-system-x86_64
failures=()
nvme_b_options=
after_nvme=()
boot() {
    local name=$1 expected=$2 append=$3 log status t0 t1 result fail=
    shift 3
    log=$work/guest-$name.log
    say "$name: booting $kernel_name under TCG (timeout ${guest_timeout}s)"
    t0=$(date +%s)
    set +e
    timeout "$guest_timeout" "$qemu" \
        -accel tcg -machine q35 -cpu max -smp 2 -m 1G \
        -nodefaults -display none -serial stdio -monitor none -no-reboot \
        "$@" \
        -kernel "$vmlinuz" -initrd "$initramfs" \
        -append "console=ttyS0 loglevel=4 panic=-1 $positions $append" \
        -device pcie-root-port,id=rp_sw,bus=pcie.0,chassis=1,slot=4,addr=0x3 \
        -device x3130-upstream,id=sw_up,bus=rp_sw \
        -device xio3130-downstream,id=sw_dn1,bus=sw_up,addr=0x0,chassis=2,slot=1 \
        -device xio3130-downstream,id=sw_dn2,bus=sw_up,addr=0x1,chassis=2,slot=2 \
        -device pcie-root-port,id=rp_c,bus=pcie.0,chassis=3,slot=3,addr=0x4 \
        -drive "file=$work/nvme-b.img,if=none,id=disk_b,format=raw" \
        -drive "file=$work/nvme-a.img,if=none,id=disk_a,format=raw" \
        -drive "file=$work/nvme-c.img,if=none,id=disk_c,format=raw" \
        -device "nvme,id=nvme_b,serial=peerbar-b,drive=disk_b,bus=sw_dn1$nvme_b_options" \
        -device nvme,serial=peerbar-a,drive=disk_a,bus=sw_dn2,cmb_size_mb=1,legacy-cmb=on \
        -device nvme,serial=peerbar-c,drive=disk_c,bus=rp_c \
        "${after_nvme[@]}" \
        </dev/null >"$log" 2>&1
    status=$?
    set -e
    t1=$(date +%s)

    tr -d '\r' <"$log" >"$log.txt"
    result=$(grep -m1 '^PEERBAR-RESULT ' "$log.txt" || true)
    echo "---- peerbar in the guest: $name ----"
    # The init's own lines, the steps, errors, and the topology verdicts if there are any.
    grep -E '^(PASS|FAIL|SKIP) |^guest: |^error: |caused by: |No interrupt remapping|dma-buf|^[0-9a-f:.]+ <-> |^  (common|verdict|do) |^(OK|status|moved|verify) ' \
        "$log.txt" || true
    echo "------------------------------"
    say "$name: guest run $((t1 - t0)) s"
    if [[ -z $result ]]; then
        if [[ $status == 124 ]]; then
            fail="$name: the guest did not finish within ${guest_timeout}s"
        else
            fail="$name: the guest stopped without a result line (QEMU exit status $status)"
        fi
    elif [[ $result != "$expected" ]]; then
        fail="$name: $result"
    fi
    if [[ -n $fail || -n ${KEEP_LOG:-} ]]; then
        echo "---- guest log ($log) ----"
        cat "$log.txt"
        echo "------------------------------"
    fi
    if [[ -n $fail ]]; then
        failures+=("$fail")
    else
        say "$name: PASS: $result"
    fi
}

# The real test: IOMMU with interrupt remapping (the whole NVMe BAR0, MSI-X table included,
# can then be mmapped), caching-mode so that every IOMMU mapping the guest makes is seen.
boot iommu "PEERBAR-RESULT vfio-check=0 copy-not-endpoint=PASS not-bound=PASS bringup=PASS" "intel_iommu=on" \
    -device intel-iommu,intremap=on,caching-mode=on
# Interrupt remapping off: the kernel refuses the container (EPERM) and peerbar must name that
# cause, not file permissions; with vfio_iommu_type1 allow_unsafe_interrupts=1 the check passes,
# NVMe B's BAR0 (MSI-X table inside) mmapped whole. B is also a smaller controller here: MDTS
# 8 KiB (mdts=1), one MSI-X vector, and a zoned namespace 2 that peerbar must refuse by name.
nvme_b_options=,mdts=1,msix_qsize=1
after_nvme=(-drive "file=$work/nvme-z.img,if=none,id=disk_z,format=raw"
    -device nvme-ns,bus=nvme_b,drive=disk_z,nsid=2,zoned=true,zoned.zone_size=4M)
boot no-intremap "PEERBAR-RESULT no-intremap=PASS unsafe-interrupts=PASS zoned=PASS" \
    "intel_iommu=on peerbar.mode=no-intremap" \
    -device intel-iommu,intremap=off,caching-mode=on
nvme_b_options=
after_nvme=()
# A bad setup: no IOMMU at all. vfio-pci cannot bind, and peerbar must say the IOMMU is off.
boot no-iommu "PEERBAR-RESULT no-iommu=PASS" "intel_iommu=off peerbar.mode=no-iommu"

# The iommufd guest: a kernel built here from Debian's source with iommufd and the VFIO device
# cdev (Debian's kernel packages have neither; docs/vfio-qemu.md), everything built in. It must
# show /dev/iommu and NVMe B's /dev/vfio/devices/vfioN; vfio-check must pass on the iommufd
# path peerbar chooses there (the CMB as a dma-buf mapped with map-file, and the revoke case)
# and, forced with --vfio legacy, on the container. The build is cached in $cache/iommufd-kernel.
if [[ $iommufd_guest == 1 ]]; then
    say "iommufd: the guest kernel (scripts/qemu/build-kernel.sh; cached after the first build)"
    if vmlinuz=$("$repo/scripts/qemu/build-kernel.sh" "$cache"); then
        initramfs=$work/initramfs-builtin.cpio.gz
        "$repo/scripts/qemu/build-initramfs.sh" "$cache" "$peerbar" "$initramfs" --no-modules
        kernel_name="$(basename "$(dirname "$vmlinuz")")/bzImage"
        boot iommufd "PEERBAR-RESULT iommufd-dev=PASS vfio-cdev=PASS topology=PASS vfio-check-iommufd=0 info=PASS copy-not-endpoint=PASS vfio-check-legacy=0" \
            "intel_iommu=on peerbar.mode=iommufd" \
            -device intel-iommu,intremap=on,caching-mode=on
    else
        failures+=("iommufd: scripts/qemu/build-kernel.sh failed (see above)")
    fi
else
    say "iommufd: the iommufd guest kernel skipped (PEERBAR_IOMMUFD_GUEST=0)"
fi

# The simulated endpoint as a PCI function of the guest: `peerbar sim serve` (the RTL under
# Verilator, on this host) serves it over vfio-user, QEMU's vfio-user-pci client (QEMU >= 10.1,
# from trixie-backports: scripts/qemu/fetch-qemu.sh) attaches it below the switch next to NVMe
# B, and the guest's vfio-pci and the static peerbar drive it as they would a board: info,
# bar-test, push --verify, a short bench in wall time (its rows are printed as guest: lines),
# and a copy where NVMe B DMAs into the simulated BAR2 through the IOMMU. Guest RAM is a shared
# memfd, so the server can reach it (DMA_MAP passes the fd).
if [[ $vfio_user_guest == 1 ]]; then
    say "vfio-user: QEMU with the vfio-user client (scripts/qemu/fetch-qemu.sh; cached)"
    if qemu=$("$repo/scripts/qemu/fetch-qemu.sh" "$cache"); then
        say "vfio-user: building the host peerbar with the simulator"
        CARGO_TARGET_DIR=$target_dir cargo build -q -p peerbar-tools --manifest-path "$repo/Cargo.toml"
        socket=$work/endpoint.sock
        rm -f "$socket"
        "$target_dir/debug/peerbar" -v sim serve --socket "$socket" >"$work/server.log" 2>&1 &
        server=$!
        for _ in $(seq 300); do
            [[ -S $socket ]] && break
            sleep 0.1
        done
        [[ -S $socket ]] || say "vfio-user: the server made no socket within 30 s (log: $work/server.log)"
        vmlinuz=$(ls "$cache"/kernel/boot/vmlinuz-*)
        initramfs=$work/initramfs.cpio.gz
        kernel_name=$(basename "$vmlinuz")
        positions="$positions peerbar.endpoint=03.0/00.0/02.0/00.0"
        after_nvme=(-device xio3130-downstream,id=sw_dn3,bus=sw_up,addr=0x2,chassis=2,slot=3
            -device "{\"driver\":\"vfio-user-pci\",\"socket\":{\"type\":\"unix\",\"path\":\"$socket\"},\"bus\":\"sw_dn3\"}")
        boot vfio-user "PEERBAR-RESULT vu-bind=PASS vu-info=PASS vu-bar-test=PASS vu-push=PASS vu-bench=PASS vu-copy=PASS" \
            "intel_iommu=on peerbar.mode=vfio-user" \
            -object memory-backend-memfd,id=ram,size=1G,share=on -machine memory-backend=ram \
            -device intel-iommu,intremap=on,caching-mode=on
        after_nvme=()
        # SIGTERM: the server stops cleanly and removes its socket.
        kill -TERM "$server"
        server_status=0
        wait "$server" || server_status=$?
        echo "---- peerbar sim serve (host) ----"
        grep -v '^\[DEBUG' "$work/server.log" | tail -20
        echo "------------------------------"
        if [[ $server_status != 0 ]]; then
            failures+=("vfio-user: peerbar sim serve exited with status $server_status on SIGTERM")
        elif [[ -e $socket ]]; then
            failures+=("vfio-user: peerbar sim serve left its socket $socket behind on SIGTERM")
        fi
    else
        failures+=("vfio-user: scripts/qemu/fetch-qemu.sh failed (see above)")
    fi
else
    say "vfio-user: the vfio-user guest skipped (PEERBAR_VFIO_USER_GUEST=0)"
fi

say "whole test $(($(date +%s) - start)) s"
if ((${#failures[@]})); then
    for f in "${failures[@]}"; do
        say "FAIL: $f"
    done
    exit 1
fi
say "PASS"
