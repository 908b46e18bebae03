#!/usr/bin/env bash
# Renders the Overzicht sheet of the demo's master workbook into docs/master-overzicht.png, the
# picture in the README's tour: what the project leader sees on Monday morning.
#
# Runs `pmiek demo` in a temporary folder, lets LibreOffice headless print the master to PDF and
# pdftoppm turn its first page into PNG, then crops the page to the table. Installs Debian's
# `libreoffice-calc-nogui` and `poppler-utils` when missing (needs root).
# Usage: bash scripts/screenshot_master.sh [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."

UIT="${1:-docs/master-overzicht.png}"
PY=.venv/bin/python
if [ ! -x "$PY" ]; then echo "no .venv; run scripts/setup.sh first" >&2; exit 1; fi
nodig=()
command -v soffice >/dev/null 2>&1 || nodig+=(libreoffice-calc-nogui)
command -v pdftoppm >/dev/null 2>&1 || nodig+=(poppler-utils)
if [ ${#nodig[@]} -gt 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends "${nodig[@]}"
fi

WERK="$(mktemp -d)"
trap 'rm -rf "$WERK"' EXIT
.venv/bin/pmiek demo --dir "$WERK/demo" >/dev/null
cp "$WERK"/demo/master/*.xlsx "$WERK/master.xlsx"
soffice --headless "-env:UserInstallation=file://$WERK/profiel" --convert-to pdf --outdir "$WERK" \
    "$WERK/master.xlsx" >/dev/null
pdftoppm -r 180 -png -f 1 -l 1 -singlefile "$WERK/master.pdf" "$WERK/blad"
# The sheet is printed one page wide (landscape): keep the title block and the table.
"$PY" - "$WERK/blad.png" "$UIT" <<'PY'
import sys
from PIL import Image
beeld = Image.open(sys.argv[1])
w, h = beeld.size
beeld.crop((int(w * 0.018), int(h * 0.03), int(w * 0.985), int(h * 0.25))).convert("P", palette=Image.ADAPTIVE).save(
    sys.argv[2], optimize=True)
PY
echo "$UIT"
