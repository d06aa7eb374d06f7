#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Builds the guest's initramfs: busybox (static), the kernel modules VFIO and NVMe need (with
# their dependencies, resolved here because the Debian package ships no modules.dep), the guest
# init script and a static `peerbar`.
# Usage: build-initramfs.sh CACHE_DIR PEERBAR_BINARY OUTPUT.cpio.gz [--no-modules]
# --no-modules: for a kernel with VFIO and NVMe built in (build-kernel.sh's): no modules are
# looked up or copied, the init's load-order is empty.
set -euo pipefail

cache=${1:?usage: build-initramfs.sh CACHE_DIR PEERBAR OUTPUT}
peerbar=${2:?usage: build-initramfs.sh CACHE_DIR PEERBAR OUTPUT}
output=${3:?usage: build-initramfs.sh CACHE_DIR PEERBAR OUTPUT [--no-modules]}
modules=yes
case ${4:-} in
'') ;;
--no-modules) modules=no ;;
*)
    echo "build-initramfs: unknown option $4 (only --no-modules)" >&2
    exit 1
    ;;
esac
here=$(cd "$(dirname "$0")" && pwd)

root=$(mktemp -d "${TMPDIR:-/tmp}/peerbar-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,lib/modules}
cp "$cache/busybox/bin/busybox" "$root/bin/busybox"
# The applets init uses; busybox picks the applet from argv[0].
for applet in sh mount mkdir cat echo ls insmod poweroff sleep readlink basename grep \
    printf dmesg head tr cut uname seq sed; do
    ln -s busybox "$root/bin/$applet"
done
install -m 0755 "$here/init" "$root/init"
install -m 0755 "$peerbar" "$root/bin/peerbar"

if [[ $modules == yes ]]; then
    version=$(cat "$cache/kernel.version")
    moddir=$cache/kernel/lib/modules/$version
fi

# module_file NAME: path of NAME.ko or NAME.ko.xz (names with '-' and '_' are the same module).
module_file() {
    local name=$1 alt
    alt=$(tr '_-' '-_' <<<"$name")
    find "$moddir/kernel" \( -name "$name.ko" -o -name "$name.ko.xz" -o -name "$alt.ko" \
        -o -name "$alt.ko.xz" \) -print -quit
}

# Modules in load order: each one's dependencies (from its .modinfo "depends=" string) first.
declare -A seen=()
order=()
add_module() {
    local name=$1 file deps dep
    [[ -n ${seen[$name]:-} ]] && return
    seen[$name]=1
    file=$(module_file "$name")
    if [[ -z $file ]]; then
        echo "build-initramfs: module $name not found under $moddir (built in?)" >&2
        return
    fi
    if [[ $file == *.xz ]]; then
        xz -dc "$file" >"$root/lib/modules/$name.ko"
    else
        cp "$file" "$root/lib/modules/$name.ko"
    fi
    deps=$(tr '\0' '\n' <"$root/lib/modules/$name.ko" | sed -n 's/^depends=//p' | head -1)
    for dep in ${deps//,/ }; do
        add_module "$dep"
    done
    order+=("$name")
}
if [[ $modules == yes ]]; then
    for m in vfio vfio_iommu_type1 vfio-pci nvme; do
        add_module "$m"
    done
fi
printf '%s' "${order[@]/%/$'\n'}" >"$root/lib/modules/load-order"

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$output"
echo "build-initramfs: $output ($(du -h "$output" | cut -f1), modules: ${order[*]:-none, built in})" >&2
