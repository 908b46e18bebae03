"""Benchmark: how long the xlwings Lite code takes in real Pyodide, against the runtime's own start.

Per Pyodide version (those scripts/pyodide.sh installs: the one xlwings Lite ships and the
newest), in one run on the same machine, with the template's embedded `main.py` and its
`requirements.txt` (installed by micropip from a wheel folder on 127.0.0.1, as in
tests/test_lite_pyodide.py, so no network time is counted):

- runtime start: `loadPyodide()` (what a partner's browser pays for any Lite workbook);
- rest of the first validation: micropip and the requirements' installs (only xlwings, which the
  Lite add-in itself provides), importing xlwings, then importing the embedded modules and the
  first "Valideer fiche" ("ours + 1st run": the part this project's code decides);
- later validations: the median of --rounds further runs over the example fiches.

Each is also given as a ratio to the runtime start (the issue's aim: everything after the start
under a quarter of it). A cold start is a fresh Node process: --repeat starts that many per version
and reports the median of each figure.

    python bench/bench_lite.py [--rounds 22] [--repeat 1] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import pyodide_lite  # noqa: E402

from addin.lite import lees_lite_code  # noqa: E402
from addin.payload import payload_uit_bestand  # noqa: E402
from pmiek.commands.demo import demo_peildatum, laad_data  # noqa: E402

EXAMPLES = ROOT / "workbook_templates" / "examples"
TEMPLATE = ROOT / "workbook_templates" / "pmiek-fiche-concreet.xlsx"


def meet(versie: str, werkmap: Path, payloads: list[Path], rounds: int, peildatum: str) -> dict:
    calls = [("valideer_fiche", payloads[i % len(payloads)]) for i in range(rounds + 1)]
    run = pyodide_lite.draai(versie, werkmap, lees_lite_code(TEMPLATE), peildatum, calls)
    fouten = [r["error"] for r in run["results"] if "error" in r]
    if fouten:
        raise RuntimeError(fouten[0])
    t = run["timings"]
    return {"runtime_start": t["runtime_start"], "installs": t["installs"], "xlwings_import": t["xlwings_import"],
            "import_and_first_run": t["first"] - t["installs"] - t["xlwings_import"], "rest_of_first": t["first"],
            "later": statistics.median(t["calls"][1:])}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=22, help="later validations per version")
    ap.add_argument("--repeat", type=int, default=1, help="cold starts (Node processes) per version")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args(argv)

    peildatum = demo_peildatum(laad_data())
    uit: dict[str, dict] = {}
    with tempfile.TemporaryDirectory() as tmp:
        werk = Path(tmp)
        payloads = []
        for p in sorted(EXAMPLES.glob("*.xlsx")):
            doel = werk / (p.stem + ".json")
            doel.write_text(json.dumps(payload_uit_bestand(p)), encoding="utf-8")
            payloads.append(doel)
        for versie in pyodide_lite.VERSIES:
            if not pyodide_lite.aanwezig(versie):
                print(f"Pyodide {versie} not installed: run `bash scripts/pyodide.sh`", file=sys.stderr)
                return 2
        metingen: dict[str, list[dict]] = {v: [] for v in pyodide_lite.VERSIES}
        # Versions take turns per repeat, so a busy moment on the machine does not hit one alone.
        for i in range(args.repeat):
            for versie in pyodide_lite.VERSIES:
                metingen[versie].append(meet(versie, werk / f"{versie}-{i}", payloads, args.rounds,
                                             peildatum.isoformat()))
        for versie, lijst in metingen.items():
            uit[versie] = {k: statistics.median(m[k] for m in lijst) for k in lijst[0]}

    print(f"{'Pyodide':>9}  {'runtime start':>13}  {'installs':>16}  {'import xlwings':>16}  {'ours + 1st run':>16}  "
          f"{'rest of 1st':>16}  {'later (median)':>16}")
    for versie, m in uit.items():
        start = m["runtime_start"]

        def cel(k: str, m: dict = m, start: float = start) -> str:
            return f"{m[k] / 1000:6.2f} s ({m[k] / start:4.2f}x)"

        later = f"{m['later']:5.0f} ms ({m['later'] / start:5.3f}x)"
        print(f"{versie:>9}  {start / 1000:11.2f} s  {cel('installs'):>16}  {cel('xlwings_import'):>16}  "
              f"{cel('import_and_first_run'):>16}  "
              f"{cel('rest_of_first'):>16}  {later:>16}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(uit, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
