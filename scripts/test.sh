#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: the README's test command, also run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/system-packages.sh
bash scripts/setup.sh
bash scripts/lint.sh
.venv/bin/python -m pytest "$@"
