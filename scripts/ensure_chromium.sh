#!/usr/bin/env bash
# Debian's chromium for the browser tests (Playwright drives it; it downloads
# no browser of its own here).
set -euo pipefail
if [[ -x /usr/bin/chromium ]]; then
    exit 0
fi
echo "» Installing Debian's chromium for the browser tests…"
if [[ $(id -u) -ne 0 ]]; then
    echo "chromium is missing and installing it needs root: sudo apt-get install chromium" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
