# SPDX-License-Identifier: MIT OR Apache-2.0
# Sourced by test-vfio.sh and build-kernel.sh. install_missing WHO WHAT PACKAGE...: as root,
# installs the Debian packages with apt-get; otherwise prints the command and exits 1. WHO
# prefixes the messages, WHAT says what they are for. No packages: nothing to do.
install_missing() {
    local who=$1 what=$2
    shift 2
    (($#)) || return 0
    if [[ $(id -u) == 0 ]]; then
        echo "$who: installing $*" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >/dev/null
    else
        echo "$who: missing host packages $what; install them with:" >&2
        echo "$who:   sudo apt-get install --no-install-recommends $*" >&2
        exit 1
    fi
}
