#!/usr/bin/env bash
# Renders one request e-mail of the demo's uitvraag round (HTML preview) with headless Chromium
# into docs/uitvraag-verzoek.png, the picture in docs/uitvraag.md (and the README).
#
# Runs `pmiek demo` in a temporary folder (which writes the round's messages into its outbox) and
# screenshots request number NR (default 06: a project at risk with an open finding). Needs `chromium` (see
# scripts/screenshot_report.sh, which installs it).
# Usage: bash scripts/screenshot_uitvraag.sh [NR] [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."

NR="${1:-06}"
UIT="${2:-docs/uitvraag-verzoek.png}"
PY="${PMIEK_PYTHON:-}"
if [ -z "$PY" ]; then
    for kandidaat in .venv/bin/python /tmp/venv/bin/python python3; do
        if "$kandidaat" -c "import sync.uitvraag.verzending" >/dev/null 2>&1; then PY="$kandidaat"; break; fi
    done
    if [ -z "$PY" ]; then echo "no Python with pMIEK Monitor installed; run scripts/setup.sh" >&2; exit 1; fi
fi
command -v chromium >/dev/null 2>&1 || { echo "chromium is not installed (scripts/screenshot_report.sh installs it)" >&2; exit 1; }

WERK="$(mktemp -d)"
PROFIEL="$(mktemp -d)"
trap 'rm -rf "$WERK" "$PROFIEL"' EXIT

"$PY" -m pmiek.cli demo --dir "$WERK/demo" >/dev/null
HTML="$(ls "$WERK"/demo/outbox/uitvraag-*-"$NR"-verzoek.html)"

timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$PROFIEL" --window-size=720,3000 --screenshot="$WERK/shot.png" "file://$HTML" \
    >/dev/null 2>&1

mkdir -p "$(dirname "$UIT")"
"$PY" - "$WERK/shot.png" "$UIT" <<'PYEOF'
import sys
from PIL import Image, ImageChops

img = Image.open(sys.argv[1]).convert("RGB")
achtergrond = Image.new("RGB", img.size, img.getpixel((img.width - 1, img.height - 1)))
box = ImageChops.difference(img, achtergrond).getbbox()
if box:
    img = img.crop((0, 0, img.width, min(img.height, box[3] + 12)))
img.save(sys.argv[2], optimize=True)
print(f"{sys.argv[2]}: {img.width}x{img.height}")
PYEOF
