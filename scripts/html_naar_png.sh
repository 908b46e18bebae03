#!/usr/bin/env bash
# Screenshots one HTML e-mail preview with headless Chromium into a PNG, trimming the empty bottom
# of the tall viewport; shared by screenshot_report.sh and screenshot_uitvraag.sh.
# Usage: PY=python bash scripts/html_naar_png.sh HTML OUTPUT.png [VIEWPORT-HEIGHT]
set -euo pipefail
HTML="$1"
UIT="$2"
HOOGTE="${3:-3000}"
PY="${PY:-python3}"
WERK="$(mktemp -d)"
PROFIEL="$(mktemp -d)"
trap 'rm -rf "$WERK" "$PROFIEL"' EXIT

timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$PROFIEL" --window-size=720,"$HOOGTE" --screenshot="$WERK/shot.png" "file://$HTML" \
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
