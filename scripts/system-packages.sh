#!/usr/bin/env bash
# Installs the Debian packages the tests need: LibreOffice headless (recalculates and opens the
# generated workbooks). Idempotent; needs root (CI runs as root).
set -euo pipefail
if command -v soffice >/dev/null 2>&1; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends libreoffice-calc-nogui fonts-dejavu-core
