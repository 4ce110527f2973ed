#!/usr/bin/env bash
# System packages the tests and benchmarks use: real Rust crate sources from Debian
# (librust-*-dev under /usr/share/cargo/registry) and Vim 9. Installed only when missing and only
# when we are allowed to (root, or passwordless sudo); otherwise we say what to install.
# Usage: setup-system.sh [LIST] (default scripts/debian-packages.txt: what `make test` needs;
# `make bench` adds scripts/bench-packages.txt).
set -euo pipefail
cd "$(dirname "$0")/.."
LIST=${1:-scripts/debian-packages.txt}

mapfile -t wanted < <(grep -v '^\s*#' "$LIST" | grep -v '^\s*$')
missing=()
for pkg in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
else
    echo "rrag: these Debian packages ($LIST) are missing: ${missing[*]}" >&2
    echo "rrag: install them with: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; then
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
