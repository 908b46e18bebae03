"""bench/bench_lijsten.py (the figures in docs/benchmarks.md) still runs on a small list; timings are not checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # the benchmark runs as a process

ROOT = Path(__file__).resolve().parents[1]


def test_list_benchmark_runs_on_a_small_list():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_lijsten.py"), "--rows", "60", "--n", "3"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert run.returncode == 0, run.stderr  # exit 2: row counts or project counts did not match
    assert re.search(r"^pmiek import-lijst \(pandas, bulk insert\)\s+60\s+\d+\.\d+\s+\d+\.\dx$", run.stdout, re.M)
    assert re.search(r"^naive openpyxl, row by row\s+60\s+\d+\.\d+\s+1\.0x$", run.stdout, re.M)
    for scenario in ("full", "unchanged"):
        assert re.search(rf"^{scenario}\s+63\s+60\s", run.stdout, re.M), run.stdout
    assert re.search(r"^no lists\s+3\s+0\s", run.stdout, re.M), run.stdout
    # The naive consolidation of the same inputs: both editions' rows (60 + 58: every 50th is gone from the second).
    assert re.search(r"^  naive, fiches and lists: \d+\.\d+ s \(118 list rows\); fiches only: \d+\.\d+ s$",
                     run.stdout, re.M), run.stdout
    for scenario in ("full", "unchanged", "no lists", "no lists, unchanged"):
        assert re.search(rf"^  {re.escape(scenario)}\s+\d+\.\dx$", run.stdout, re.M), run.stdout
