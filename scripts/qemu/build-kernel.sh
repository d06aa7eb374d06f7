#!/usr/bin/env bash
# SPDX-License-Identifier: MIT OR Apache-2.0
# Builds the iommufd guest's kernel: Debian's kernels are built without CONFIG_IOMMUFD, so this
# one is built from Debian's own kernel source (linux-source-N from trixie-backports, the newest
# the linux-source metapackage names there), configured as `make tinyconfig` plus the options in
# iommufd-kernel.config, all built in (no modules). See docs/vfio-qemu.md.
#
# Usage: build-kernel.sh CACHE_DIR
# Prints the path of the bzImage on stdout, progress and timings on stderr. Cached:
#   $CACHE/iommufd-kernel/apt/                 private apt state (the system's apt config is untouched)
#   $CACHE/iommufd-kernel/src-<version>/       the unpacked source
#   $CACHE/iommufd-kernel/<version>-<hash>/    the build (bzImage, .config, times, make.log), keyed by the
#                                              source version and the hash of the config fragment
# A rerun with the same version and fragment prints the cached bzImage without building.
# Environment: PEERBAR_KERNEL_SUITE (default trixie-backports), PEERBAR_KERNEL_JOBS (default nproc).
set -euo pipefail

cache=${1:?usage: build-kernel.sh CACHE_DIR}
here=$(cd "$(dirname "$0")" && pwd)
fragment=$here/iommufd-kernel.config
suite=${PEERBAR_KERNEL_SUITE:-trixie-backports}
jobs=${PEERBAR_KERNEL_JOBS:-$(nproc)}
top=$cache/iommufd-kernel
mkdir -p "$top"
top=$(cd "$top" && pwd)

say() { echo "build-kernel: $*" >&2; }
TIMEFORMAT='%R s wall, %U s user, %S s sys'

# --- host tools ------------------------------------------------------------------------------
missing=()
for tool in gcc:build-essential make:build-essential bc:bc bison:bison flex:flex \
    xz:xz-utils perl:perl; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
[[ -e /usr/include/gelf.h ]] || missing+=(libelf-dev) # objtool
[[ -e /usr/include/openssl/ssl.h ]] || missing+=(libssl-dev)
source "$here/install-missing.sh"
mapfile -t missing < <(printf '%s\n' ${missing[@]+"${missing[@]}"} | sort -u | grep .)
install_missing build-kernel "to build the kernel" ${missing[@]+"${missing[@]}"}

# --- which source ----------------------------------------------------------------------------
# Private apt state: only $suite's package list, nothing installed, nothing in /etc/apt changed.
apt_dir=$top/apt
mkdir -p "$apt_dir"/{lists/partial,cache/archives/partial}
echo "deb http://deb.debian.org/debian $suite main" >"$apt_dir/sources.list"
apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache")
# Offline, the lists of the last run still resolve (and then name the cached build).
apt-get "${apt_opts[@]}" update -qq 2>&1 | grep -v 'Download is performed unsandboxed' >&2 || true
src_pkg=$(apt-cache "${apt_opts[@]}" depends linux-source 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-source-[0-9.]*\)$/\1/p' | head -1)
if [[ -z $src_pkg ]]; then
    say "cannot resolve linux-source in $suite to a source package; check that"
    say "  apt-get ${apt_opts[*]} update"
    say "works (deb.debian.org reachable?)"
    exit 1
fi
version=$(apt-cache "${apt_opts[@]}" show "$src_pkg" 2>/dev/null | sed -n 's/^Version: //p' | head -1)
hash=$(sha256sum "$fragment" | cut -c1-12)
build=$top/$version-$hash
if [[ -f $build/bzImage ]]; then
    say "cached: $src_pkg $version, config $hash"
    echo "$build/bzImage"
    exit 0
fi
say "building $src_pkg $version (from $suite), config fragment $hash; load: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- source ----------------------------------------------------------------------------------
src=$top/src-$version
if [[ ! -f $src/.unpacked ]]; then
    rm -rf "$src" "$top/deb"
    mkdir -p "$top/deb"
    say "downloading $src_pkg $version"
    time (cd "$top/deb" && apt-get "${apt_opts[@]}" download -q "$src_pkg" 2>&1 |
        grep -v 'Download is performed unsandboxed' | grep -v '^Get:' >&2 || true)
    deb=$(ls "$top/deb/${src_pkg}"_*.deb 2>/dev/null | head -1)
    [[ -n $deb ]] || {
        say "the download of $src_pkg failed (see above)"
        exit 1
    }
    say "unpacking the source"
    mkdir -p "$src"
    time {
        dpkg-deb --fsys-tarfile "$deb" | tar -xO --wildcards './usr/src/linux-source-*.tar.xz' |
            tar -xJ -C "$src" --strip-components=1
    }
    rm -rf "$top/deb"
    [[ -f $src/Makefile ]] || {
        say "unpacking gave no kernel tree in $src"
        exit 1
    }
    touch "$src/.unpacked"
fi

# --- configuration ---------------------------------------------------------------------------
rm -rf "$build.tmp"
mkdir -p "$build.tmp"
say "configuring: make tinyconfig, the fragment, make olddefconfig"
time {
    nice make -s -C "$src" O="$build.tmp" tinyconfig >/dev/null
    options=()
    while read -r line; do
        [[ $line =~ ^CONFIG_([A-Za-z0-9_]+)=y$ ]] && options+=(--enable "${BASH_REMATCH[1]}")
    done <"$fragment"
    "$src/scripts/config" --file "$build.tmp/.config" "${options[@]}"
    nice make -s -C "$src" O="$build.tmp" olddefconfig >/dev/null
}
# Every option of the fragment must have survived olddefconfig.
lost=()
while read -r line; do
    [[ $line =~ ^CONFIG_[A-Za-z0-9_]+=y$ ]] || continue
    grep -qx "$line" "$build.tmp/.config" || lost+=("${line%=y}")
done <"$fragment"
if ((${#lost[@]})); then
    say "not =y after make olddefconfig (a dependency missing, or renamed in $version):"
    for option in "${lost[@]}"; do
        say "  $option: $(grep -E "^(# )?$option[= ]" "$build.tmp/.config" || echo 'absent')"
    done
    say "fix $fragment"
    exit 1
fi

# --- build -----------------------------------------------------------------------------------
say "make -j$jobs bzImage (niced; a line a minute)"
(
    while sleep 60; do
        say "  ... $(find "$build.tmp" -name '*.o' | wc -l) objects, load $(cut -d' ' -f1 /proc/loadavg)"
    done
) &
ticker=$!
t0=$(date +%s)
status=0
{ time nice make -s -C "$src" O="$build.tmp" -j"$jobs" bzImage >"$build.tmp/make.log" 2>&1 || status=$?; } \
    2> >(tee "$build.tmp/times" >&2)
kill "$ticker" 2>/dev/null || true
wait "$ticker" 2>/dev/null || true
if ((status)); then
    tail -30 "$build.tmp/make.log" >&2
    say "the kernel build failed (log: $build.tmp/make.log)"
    exit 1
fi
say "built in $(($(date +%s) - t0)) s with -j$jobs"
# Only what the boot and the docs need is kept; the object tree (hundreds of MB) goes.
rm -rf "$build"
mkdir -p "$build"
cp "$build.tmp/.config" "$build.tmp/times" "$build.tmp/make.log" "$build/"
cp "$build.tmp/arch/x86/boot/bzImage" "$build/bzImage"
rm -rf "$build.tmp"
echo "$build/bzImage"
