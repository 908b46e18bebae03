#!/usr/bin/env bash
# Lint (ruff: pyflakes, pycodestyle, bugbear, import order) and type check (mypy) of the runtime
# code; settings in pyproject.toml. Run by scripts/test.sh before pytest; exits non-zero on a finding.
set -euo pipefail
cd "$(dirname "$0")/.."
VENV=${VENV:-.venv}
"$VENV/bin/ruff" check fiche addin sync pmiek
"$VENV/bin/mypy"
