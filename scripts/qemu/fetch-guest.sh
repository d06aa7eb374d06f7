#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Downloads the guest's kernel and busybox as Debian packages and unpacks them into a cache
# directory, without installing anything on this machine:
#   $CACHE/kernel/boot/vmlinuz-*   $CACHE/kernel/lib/modules/<version>/...
#   $CACHE/busybox/bin/busybox
# Usage: fetch-guest.sh CACHE_DIR
# Rerunning is cheap: a package already unpacked (same version) is not fetched again.
set -euo pipefail

cache=${1:?usage: fetch-guest.sh CACHE_DIR}
mkdir -p "$cache/debs"

# The kernel follows the linux-image-amd64 metapackage, so a security update of the kernel is
# picked up by the next cold run; the version actually used is recorded in $cache/kernel.version.
resolve_kernel() {
    apt-cache depends linux-image-amd64 2>/dev/null |
        sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1
}
kernel_pkg=$(resolve_kernel)
if [[ -z $kernel_pkg && $(id -u) == 0 ]]; then
    # A fresh machine may have no package lists yet.
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    kernel_pkg=$(resolve_kernel)
fi
if [[ -z $kernel_pkg ]]; then
    echo "fetch-guest: cannot resolve linux-image-amd64 to a kernel package (run apt-get update?)" >&2
    exit 1
fi

# fetch PACKAGE DEST: apt-get download + dpkg -x, skipped when DEST already holds PACKAGE.
fetch() {
    local pkg=$1 dest=$2
    if [[ -f $dest/.package && $(cat "$dest/.package") == "$pkg" ]]; then
        return
    fi
    rm -rf "$dest"
    mkdir -p "$dest"
    (cd "$cache/debs" && rm -f "${pkg}"_*.deb && apt-get download -q "$pkg" >/dev/null)
    dpkg -x "$cache/debs/${pkg}"_*.deb "$dest"
    echo "$pkg" >"$dest/.package"
    echo "fetch-guest: unpacked $pkg" >&2
}

fetch "$kernel_pkg" "$cache/kernel"
fetch busybox-static "$cache/busybox"
ls "$cache/kernel/lib/modules" >"$cache/kernel.version"
