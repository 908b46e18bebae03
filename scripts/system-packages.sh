#!/usr/bin/env bash
# Installs the Debian packages the tests need: LibreOffice headless (recalculates and opens the
# generated workbooks), Chromium headless (lays out the quarterly e-mail at phone width) and the
# PostgreSQL server (tests/pgserver.py starts a throwaway cluster on loopback; nothing is enabled
# as a system service).
# Idempotent; needs root (CI runs as root).
set -euo pipefail
nodig=()
command -v soffice >/dev/null 2>&1 || nodig+=(libreoffice-calc-nogui)
command -v chromium >/dev/null 2>&1 || nodig+=(chromium)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || nodig+=(postgresql)
# Not `grep -q`: it exits at the first match, fc-list then dies of SIGPIPE and, under pipefail,
# the font counted as missing now and then, so apt-get ran on a machine that had everything.
fc-list 2>/dev/null | grep -i dejavu >/dev/null || nodig+=(fonts-dejavu-core)
if [ ${#nodig[@]} -eq 0 ]; then
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${nodig[@]}"
