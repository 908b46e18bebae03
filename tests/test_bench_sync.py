"""bench/bench_sync.py (the README's sync figures) still runs on a few fiches, and times the master
for a small portfolio; timings are not checked."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.subprocess  # the benchmark runs as a process

ROOT = Path(__file__).resolve().parents[1]


def test_sync_benchmark_runs_on_a_few_fiches():
    run = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_sync.py"), "--n", "5", "--changed", "2",
                          "--master-sizes", "10"],
                         capture_output=True, text=True, timeout=600, cwd=ROOT)
    # Exit 2 means a scenario did not do what it claims (e.g. the unchanged run read files).
    assert run.returncode == 0, run.stderr
    assert "Sync 5 distinct fiches from a folder" in run.stdout
    rows = {
        "pmiek sync, full (empty store)": 5,
        "pmiek sync, incremental, nothing changed": 0,
        "pmiek sync, incremental, 2 changed": 2,
        "naive openpyxl + pandas (baseline)": 5,
    }
    for label, files_read in rows.items():
        # label, files read, seconds, ms/file, speed-up, peak RSS, growth, helper peak
        pattern = (rf"^{re.escape(label)}\s+{files_read}\s+\d+\.\d+\s+\d+\.\d+\s+\d+\.\dx\s+\d+\.\d\s+\d+\.\d"
                   rf"\s+\d+\.\d$")
        assert re.search(pattern, run.stdout, re.M), (label, run.stdout)
    # Nothing changed, nothing written: the script exits 2 otherwise, and says so.
    assert "The unchanged run left the master as it was: rewritten = False." in run.stdout
    assert re.search(r"^\s+10 projects\s+\d+\.\d+ s wall\s+\d+\.\d+ s CPU", run.stdout, re.M), run.stdout
    for phase in ("full", "unchanged", "changed"):
        assert re.search(rf"^\s+{phase}\s+intake\s+\d+\.\d+\s+overview\s+\d+\.\d+\s+master\s+\d+\.\d+ "
                         r"\(reporting tables beside it: \d+\.\d+\)$", run.stdout, re.M), (phase, run.stdout)
