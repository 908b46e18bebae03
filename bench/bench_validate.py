"""Benchmark: reading and validating fiches against a plain `openpyxl.load_workbook` of the same files.

Copies one fiche N times (default 1,000) into a temporary folder, then in one run times
- pMIEK's path: `fiche.reader.lees_fiche` (safe-open checks + python-calamine) followed by
  `fiche.validatie.valideer` (every rule and the stoplicht), and
- the baseline: `openpyxl.load_workbook(path)` alone, which does not even validate,
plus, for reference, `openpyxl.load_workbook(path, read_only=True)`, python-calamine alone
(every sheet and table, no safety checks, no validation: the ceiling for a calamine-based
reader) and pMIEK's safe-open checks alone (`fiche.veilig.controleer_archief`: zip-bomb caps,
XML prologs through defusedxml), the part of pMIEK's time a bare calamine read does not spend.
It prints the time per file and the ratio against the baseline (higher is better). Peak memory
is the growth of the peak RSS of a fresh worker process that handles a sample of the files with
one method (RSS, not tracemalloc, because calamine allocates outside Python's allocator).

    .venv/bin/python bench/bench_validate.py [--n 1000] [--fiche FILE] [--rounds 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from geheugen import peak_rss_bytes
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_FICHE = ROOT / "workbook_templates" / "examples" / "01-deelnet-emmen-noord.xlsx"
#: The examples are meant to be validated on this day (see workbook_templates/examples/projecten.toml).
VANDAAG = dt.date(2026, 11, 15)
MEMORY_SAMPLE = 50


def pmiek_read_validate(path: Path):
    from fiche.reader import lees_fiche
    from fiche.validatie import valideer

    data = lees_fiche(path)
    return valideer(data, VANDAAG, data.nabij_maanden)


def openpyxl_load(path: Path):
    import openpyxl

    wb = openpyxl.load_workbook(path)
    wb.close()
    return None


def openpyxl_load_read_only(path: Path):
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    wb.close()
    return None


def calamine_raw(path: Path):
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path), load_tables=True)
    for name in wb.sheet_names:
        wb.get_sheet_by_name(name).to_python()
    for name in wb.table_names:
        wb.get_table_by_name(name)
    return None


def pmiek_checks_only(path: Path):
    from fiche.veilig import controleer_archief

    return controleer_archief(path.read_bytes(), str(path))


METHODS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "pmiek": ("pmiek lees_fiche + valideer", pmiek_read_validate),
    "checks": ("  part of it: safe-open checks", pmiek_checks_only),
    "openpyxl": ("openpyxl.load_workbook (baseline)", openpyxl_load),
    "openpyxl_ro": ("openpyxl.load_workbook(read_only=True)", openpyxl_load_read_only),
    "calamine": ("python-calamine alone (no checks)", calamine_raw),
}
#: Modules a worker imports before its memory baseline, so the figure is about reading files.
IMPORTS = {
    "pmiek": ("fiche.reader", "fiche.validatie", "email_validator"),
    "openpyxl": ("openpyxl",),
    "openpyxl_ro": ("openpyxl",),
    "calamine": ("python_calamine",),
    "checks": ("fiche.veilig",),
}
BASELINE = "openpyxl"
#: Rows that time a part of another row (no speed-up of their own).
PARTS = {"checks"}


def time_method(func: Callable[[Path], object], files: list[Path]) -> list[float]:
    """Seconds per file, timed one by one."""
    timings = []
    gc.collect()
    for path in files:
        start = time.perf_counter()
        func(path)
        timings.append(time.perf_counter() - start)
    return timings


def worker(method: str, folder: Path, count: int) -> None:
    """Child process: import, then report the peak-RSS growth while reading `count` files."""
    import importlib

    for module in IMPORTS[method]:
        importlib.import_module(module)
    func = METHODS[method][1]
    files = sorted(folder.glob("*.xlsx"))[:count]
    before = peak_rss_bytes()
    for path in files:
        func(path)
    print(json.dumps({"peak_growth": peak_rss_bytes() - before, "peak": peak_rss_bytes()}))


def measure_memory(method: str, folder: Path, count: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--worker", method, "--folder", str(folder), "--n", str(count)],
        capture_output=True, text=True, check=True, timeout=600,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of copies (default 1000)")
    parser.add_argument("--fiche", type=Path, default=DEFAULT_FICHE, help="the fiche to copy")
    parser.add_argument("--rounds", type=int, default=1, help="timed rounds per method; the best round counts")
    parser.add_argument("--worker", choices=sorted(METHODS), help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker, args.folder, args.n)
        return 0

    if args.n < 1:
        parser.error("--n must be at least 1")
    with tempfile.TemporaryDirectory(prefix="pmiek-bench-") as tmp:
        folder = Path(tmp)
        files = []
        for i in range(args.n):
            target = folder / f"fiche-{i:05d}.xlsx"
            shutil.copyfile(args.fiche, target)
            files.append(target)

        # The fiche must really be read and validated, or the comparison means nothing.
        beoordeling = pmiek_read_validate(files[0])
        status = beoordeling.stoplicht.value
        if not beoordeling.mijlpalen or not beoordeling.waarden.get("projectnaam"):
            print(f"{args.fiche} is not a filled fiche; benchmark a filled one", file=sys.stderr)
            return 2
        for _, func in METHODS.values():
            for path in files[:5]:
                func(path)  # warm-up: imports, caches

        # Rounds interleave the methods, so a busy machine slows them alike; the best round counts.
        per_file: dict[str, tuple[float, float, float]] = {}
        for _ in range(args.rounds):
            for key, (_, func) in METHODS.items():
                timings = time_method(func, files)
                mean = statistics.fmean(timings)
                if key not in per_file or mean < per_file[key][0]:
                    per_file[key] = (mean, statistics.median(timings), sum(timings))

        sample = min(args.n, MEMORY_SAMPLE)
        memory = {key: measure_memory(key, folder, sample) for key in METHODS}

    load = ", load average %.1f at the end" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    size_kb = args.fiche.stat().st_size / 1000
    print(f"Read + validate {args.n} copies of {args.fiche.name} ({size_kb:.1f} kB, project stoplicht: {status})")
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs{load}; best of {args.rounds} round(s); peak RSS over {sample} files in a fresh process")
    print()
    header = f"{'method':<40} {'mean ms/file':>12} {'median ms':>10} {'total s':>8} {'speed-up':>9} {'peak RSS +MiB':>14}"
    print(header)
    print("-" * len(header))
    base_mean = per_file[BASELINE][0]
    for key, (label, _) in METHODS.items():
        mean, median, total = per_file[key]
        ratio = "-" if key in PARTS else f"{base_mean / mean:.1f}x"
        growth = memory[key]["peak_growth"] / 2**20
        print(f"{label:<40} {mean * 1000:>12.2f} {median * 1000:>10.2f} {total:>8.2f} {ratio:>9} {growth:>14.1f}")
    print()
    print(f"pMIEK reads and validates a fiche {base_mean / per_file['pmiek'][0]:.1f}x faster than "
          f"openpyxl.load_workbook merely loads it (aim: >= 10x).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
