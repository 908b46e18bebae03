#!/usr/bin/env bash
# Installs what tests/test_lite_pyodide.py and bench/bench_lite.py need to run the Lite code in
# real Pyodide under Node, offline: the npm `pyodide` package in the versions below (into
# .pyodide/<version>/, ignored by git) and the pure-Python wheels micropip installs there
# (.pyodide/wheels/: micropip and packaging for each version, and everything the templates'
# embedded requirements.txt needs, dependencies included). Only the npm registry and PyPI are
# used, here and never during a test. Idempotent: what is present is not fetched again.
#   bash scripts/pyodide.sh            (called by scripts/test.sh in full mode; needs .venv)
set -euo pipefail
cd "$(dirname "$0")/.."
# 0.27.7: the last of the 0.27 line that xlwings Lite ships (its changelog: Pyodide 0.27.5); 314.0.8: the newest
# release on npm (the 315 line is alpha).
VERSIONS=${PMIEK_PYODIDE_VERSIONS:-"0.27.7 314.0.8"}
# The requirements the committed template embeds (the list shrinks as the Lite path needs less).
vereisten=$(.venv/bin/python -c "from addin.lite import lees_lite_code; print(lees_lite_code('workbook_templates/pmiek-fiche-concreet.xlsx')['requirements.txt'])")
for v in $VERSIONS; do
    if [ ! -f ".pyodide/$v/node_modules/pyodide/pyodide.mjs" ]; then
        npm install --prefix ".pyodide/$v" --no-save --no-audit --no-fund --loglevel=error "pyodide@$v"
    fi
    lock=".pyodide/$v/node_modules/pyodide/pyodide-lock.json"
    wielen=".pyodide/$v/wheels"
    mkdir -p "$wielen"
    python=$(node -e "console.log(require('./$lock').info.python.split('.').slice(0, 2).join('.'))")
    download=(.venv/bin/python -m pip download --quiet --only-binary=:all: --platform any --python-version "$python"
              -d "$wielen")
    # micropip and packaging in the versions the package's lockfile names (the npm package does not
    # ship them; the test points its copy of the lockfile at these PyPI wheels and their hashes).
    for naam in micropip packaging; do
        versie=$(node -e "console.log(require('./$lock').packages['$naam'].version)")
        if ! ls "$wielen/$naam-$versie"-*.whl >/dev/null 2>&1; then
            "${download[@]}" --no-deps "$naam==$versie"
        fi
    done
    # The requirements' pure-Python wheels with their dependencies, for this Python version.
    stempel="$wielen/.requirements.txt"
    if [ ! -f "$stempel" ] || [ "$(cat "$stempel")" != "$vereisten" ]; then
        printf '%s\n' "$vereisten" > "$wielen/requirements.in"
        "${download[@]}" -r "$wielen/requirements.in"
        printf '%s' "$vereisten" > "$stempel"
    fi
done
