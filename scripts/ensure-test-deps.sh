#!/bin/sh
# Installs what the transport tests need (a real sshd, libssh2 and libcrypto headers) when missing.
# Idempotent and quiet: does nothing when everything is already there.
set -eu
missing=""
for pkg in libssh2-1-dev openssh-server libssl-dev; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
    echo "ensure-test-deps: missing packages:$missing (run as root or: sudo apt-get install -y$missing)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
# shellcheck disable=SC2086
apt-get install -y -qq $missing >/dev/null
