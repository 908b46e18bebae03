#!/usr/bin/env bash
# Renders the demo quarter's e-mail (HTML preview) with headless Chromium into
# docs/report-2026Q4.png, the picture in the README's "Quarterly report" section.
#
# Runs `pmiek demo` in a temporary folder, writes the 2026Q4 preview with `pmiek report`, and
# screenshots it at phone-and-laptop width. Installs Debian's `chromium` when missing (needs root).
# Usage: bash scripts/screenshot_report.sh [QUARTER] [OUTPUT.png]
set -euo pipefail
cd "$(dirname "$0")/.."

KWARTAAL="${1:-2026Q4}"
UIT="${2:-docs/report-${KWARTAAL}.png}"
PY="${PMIEK_PYTHON:-}"
if [ -z "$PY" ]; then
    # The first interpreter that has pMIEK Monitor and its dependencies installed.
    for kandidaat in .venv/bin/python /tmp/venv/bin/python python3; do
        if "$kandidaat" -c "import sync.kwartaal.rapportage" >/dev/null 2>&1; then PY="$kandidaat"; break; fi
    done
    if [ -z "$PY" ]; then echo "no Python with pMIEK Monitor installed; run scripts/setup.sh" >&2; exit 1; fi
fi

if ! command -v chromium >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    apt-get install -y -q --no-install-recommends chromium fonts-dejavu-core
fi

WERK="$(mktemp -d)"
trap 'rm -rf "$WERK"' EXIT

"$PY" -m pmiek.cli demo --dir "$WERK/demo" >/dev/null
"$PY" -m pmiek.cli report --quarter "$KWARTAAL" --preview "$WERK/preview" --config "$WERK/demo/pmiek.toml" >/dev/null
HTML="$WERK/preview/pmiek-kwartaaloverzicht-${KWARTAAL}.html"

# A tall viewport catches the whole mail; the empty bottom is trimmed afterwards.
PY="$PY" bash scripts/html_naar_png.sh "$HTML" "$UIT" 9000
