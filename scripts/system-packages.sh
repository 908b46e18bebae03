#!/usr/bin/env bash
# Installs the Debian packages the tests need: LibreOffice headless (recalculates and opens the
# generated workbooks) and Chromium headless (lays out the quarterly e-mail at phone width).
# Idempotent; needs root (CI runs as root).
set -euo pipefail
nodig=()
command -v soffice >/dev/null 2>&1 || nodig+=(libreoffice-calc-nogui)
command -v chromium >/dev/null 2>&1 || nodig+=(chromium)
fc-list 2>/dev/null | grep -qi dejavu || nodig+=(fonts-dejavu-core)
if [ ${#nodig[@]} -eq 0 ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${nodig[@]}"
