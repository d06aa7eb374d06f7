#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Fetches a QEMU new enough for the vfio-user client (`-device vfio-user-pci`, merged in QEMU
# 10.1) onto a Debian 12 machine, whose own QEMU is 7.2. Debian 13 (trixie) ships 10.0, its
# trixie-backports 11.x: this script downloads qemu-system-x86 from trixie-backports with every
# package it depends on (trixie's glibc included), unpacks them into a private root, and writes a
# wrapper that runs that QEMU with that root's dynamic loader and libraries. Nothing is installed
# on the system and /etc/apt is untouched (the apt state is private, as in build-kernel.sh).
#
# Usage: fetch-qemu.sh CACHE_DIR
# Prints the path of the wrapper (CACHE/qemu-<version>/qemu-system-x86_64) on stdout, progress on
# stderr. A rerun with the same version prints the cached wrapper without downloading.
# Environment: PEERBAR_QEMU_SUITE (default trixie-backports), PEERBAR_QEMU_BASE (default trixie).
#
# Why the wrapper needs a mount namespace: QEMU loads its modules (display, audio, ...) from the
# directory compiled into it, /usr/lib/x86_64-linux-gnu/qemu, where the system's 7.2 keeps its
# own; loading a module of another build aborts QEMU ("Only modules from the same build can be
# loaded"). The wrapper runs QEMU in a private mount namespace (`unshare -m`, root only) with the
# fetched modules bind-mounted over that directory, so the system's QEMU is not disturbed.
set -euo pipefail

cache=${1:?usage: fetch-qemu.sh CACHE_DIR}
suite=${PEERBAR_QEMU_SUITE:-trixie-backports}
base=${PEERBAR_QEMU_BASE:-trixie}
top=$cache/qemu
mkdir -p "$top"
top=$(cd "$top" && pwd)

say() { echo "fetch-qemu: $*" >&2; }

if [[ $(id -u) != 0 ]]; then
    say "the wrapper bind-mounts QEMU's module directory in a private mount namespace: run as root"
    exit 1
fi
for tool in apt-get dpkg-deb unshare mount; do
    command -v "$tool" >/dev/null || {
        say "missing $tool (Debian: apt-get install apt dpkg util-linux mount)"
        exit 1
    }
done

# --- private apt state: the two suites' lists, an empty dpkg status ------------------------------
apt_dir=$top/apt
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial}
printf 'deb http://deb.debian.org/debian %s main\n' "$base" "$suite" >"$apt_dir/sources.list"
: >"$apt_dir/status"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache"
    -o "Dir::State::status=$apt_dir/status" -o Dir::Etc::Preferences=/dev/null
    -o Dir::Etc::PreferencesParts=/dev/null -o APT::Architecture=amd64 -o Debug::NoLocking=1)
# Offline, the lists of the last run still resolve (and then name the cached root).
apt-get "${apt_opts[@]}" update -qq 2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true
version=$(apt-cache "${apt_opts[@]}" show "qemu-system-x86/$suite" 2>/dev/null |
    sed -n 's/^Version: //p' | head -1)
if [[ -z $version ]]; then
    say "cannot find qemu-system-x86 in $suite; check that"
    say "  apt-get ${apt_opts[*]} update"
    say "works (deb.debian.org reachable?)"
    exit 1
fi
root=$top/${version//[:~+]/_}
wrapper=$root/qemu-system-x86_64
if [[ -x $wrapper ]]; then
    say "cached: qemu-system-x86 $version"
    echo "$wrapper"
    exit 0
fi

# --- download and unpack ---------------------------------------------------------------------
# `install --download-only` against an empty dpkg status resolves the whole dependency closure
# as for an empty system (glibc and all), taking qemu-system-x86 itself from $suite.
say "downloading qemu-system-x86 $version from $suite and its dependencies"
rm -f "$apt_dir"/cache/archives/*.deb
apt-get "${apt_opts[@]}" install --download-only -y -q --no-install-recommends \
    -t "$suite" qemu-system-x86 2>&1 | grep -E '^(E:|Fetched|Download complete)' >&2 || true
debs=("$apt_dir"/cache/archives/*.deb)
[[ -e ${debs[0]} ]] || {
    say "the download failed (no packages in $apt_dir/cache/archives)"
    exit 1
}
say "unpacking ${#debs[@]} packages"
rm -rf "$root.tmp"
mkdir -p "$root.tmp/root"
for deb in "${debs[@]}"; do
    dpkg-deb -x "$deb" "$root.tmp/root"
done
rm -f "$apt_dir"/cache/archives/*.deb
r=$root/root
lib=$r/usr/lib/x86_64-linux-gnu
cat >"$root.tmp/qemu-system-x86_64" <<EOF
#!/bin/sh
# QEMU $version from Debian $suite, unpacked by fetch-qemu.sh: run with its own loader and
# libraries, its modules bind-mounted over the system's module directory in a private mount
# namespace, its firmware (-L) from the same root.
exec unshare -m sh -c 'mount --bind "\$0" /usr/lib/x86_64-linux-gnu/qemu && exec "\$@"' \\
    "$lib/qemu" "$lib/ld-linux-x86-64.so.2" --library-path "$lib" "$r/usr/bin/qemu-system-x86_64" \\
    -L "$r/usr/share/qemu" -L "$r/usr/share/seabios" "\$@"
EOF
chmod +x "$root.tmp/qemu-system-x86_64"
rm -rf "$root"
mv "$root.tmp" "$root"
# The wrapper's paths name $root, so it is checked where it will stay.
if ! "$wrapper" -machine none -device help 2>/dev/null | grep -q '"vfio-user-pci"'; then
    say "the unpacked QEMU $version does not run or has no vfio-user-pci device:"
    "$wrapper" -machine none -device help 2>&1 | tail -5 >&2 || true
    rm -rf "$root"
    exit 1
fi
say "qemu-system-x86 $version ready ($(du -sh "$root" | cut -f1))"
echo "$wrapper"
