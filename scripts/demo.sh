#!/usr/bin/env bash
# The README's main-job command: sets up .venv, then `pmiek demo` puts the example fiches (demo data
# of the 11 pMIEK 2.0 projects) in a fresh folder source, syncs them into a new SQLite store and
# writes the master monitoring workbook. It prints (in Dutch) where everything is.
# Usage: bash scripts/demo.sh [DIR]   (DIR must be new or empty; default: demo-output/<time>)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
DIR=${1:-demo-output/$(date +%Y%m%d-%H%M%S)}
.venv/bin/pmiek demo --dir "$DIR"
