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
trap 'rm -rf "$WERK"' EXIT

"$PY" -m pmiek.cli demo --dir "$WERK/demo" >/dev/null
HTML="$(ls "$WERK"/demo/outbox/uitvraag-*-"$NR"-verzoek.html)"

PY="$PY" bash scripts/html_naar_png.sh "$HTML" "$UIT" 3000
