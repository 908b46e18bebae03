#!/usr/bin/env bash
# Sets up everything and runs the whole test suite: the README's test command, also run by CI.
#   bash scripts/test.sh            the full suite (needs LibreOffice and Chromium: installs them)
#   bash scripts/test.sh --fast     the inner loop: leaves out the tests marked libreoffice,
#                                   chromium or subprocess (see pyproject.toml); no system packages
# Other arguments go to pytest, after ours (so `-n 0` runs in one process, `-x`, a test file...).
set -euo pipefail
cd "$(dirname "$0")/.."
snel=0
args=()
for arg in "$@"; do
    if [ "$arg" = "--fast" ]; then
        snel=1
    else
        args+=("$arg")
    fi
done
if [ "$snel" -eq 0 ]; then
    bash scripts/system-packages.sh
    # The full suite runs the store tests on PostgreSQL too: a server that does not start fails them.
    export PMIEK_POSTGRES=verplicht
fi
bash scripts/setup.sh
bash scripts/lint.sh
if [ "$snel" -eq 0 ]; then bash scripts/pyodide.sh; fi  # Pyodide + wheels for tests/test_lite_pyodide.py
# Cached bytecode for the project and the tests: each of the suite's many `pmiek` processes and
# each worker's collection would otherwise compile them again.
unset PYTHONDONTWRITEBYTECODE
# One worker per core (pytest-xdist; two on the development machine and CI): the tests use their
# own temporary folders, ports and LibreOffice profiles, so they run side by side. worksteal:
# an idle worker takes tests from a busy one, so the long LibreOffice tests do not end alone.
if [ "$snel" -eq 1 ]; then
    .venv/bin/python -m pytest -n auto --dist worksteal -m "not libreoffice and not chromium and not subprocess and not pyodide" ${args[@]+"${args[@]}"}
else
    .venv/bin/python -m pytest -n auto --dist worksteal ${args[@]+"${args[@]}"}
fi
