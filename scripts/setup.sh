#!/usr/bin/env bash
# Creates (or reuses) the virtual environment .venv and installs pMIEK Monitor with its test extra.
# Used by the README's commands and by CI alike.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PY" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'
