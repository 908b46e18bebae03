#!/usr/bin/env bash
# The README's main-job command: sets up .venv and validates the example fiches (demo data of the
# 11 pMIEK 2.0 projects) with `pmiek validate`, as of the examples' fixed peildatum so the
# stoplichten shown do not depend on the clock. Exit code: 0 when no fiche has errors.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
PEILDATUM=${PMIEK_DEMO_PEILDATUM:-15-11-2026}
.venv/bin/pmiek validate --peildatum "$PEILDATUM" workbook_templates/examples/*.xlsx
