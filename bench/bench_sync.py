"""Benchmark: the sync service on a folder of N distinct fiches against a naive openpyxl + pandas script.

Generates N (default 1,000) distinct fiches in a temporary folder (the eleven example projects in
turn, each copy with its own projectnaam, so they are N projects and no duplicates; generation is
not timed), then measures in one run, each scenario in a fresh worker process:

- full:      `pmiek sync` (`sync.synchronisatie.sync_eenmalig`) into an empty SQLite store: list, read,
             validate and store every fiche, build the overview, write the master workbook;
- unchanged: the same sync again with nothing changed (every file skipped by its eTag);
- changed:   the same sync after 10 fiches were rewritten with new content;
- baseline:  the naive script: `openpyxl.load_workbook` per file, the named cells into a dict and
             the tables into DataFrames, `pandas.concat`, `to_excel` (no validation, no store, so
             nothing to skip on a second run: every run costs the same).

The unchanged run must leave the master as it was (nothing changed, nothing written); the
script exits 2 when it did not. Separately it times writing the master workbook alone
(`sync.master.master_inhoud`) for portfolios of 1,000 and 5,000 projects
(`tests/sample_overzicht.groot_overzicht`), each size in a fresh process.

`--store-url` runs the sync scenarios against that store instead of a fresh SQLite file per round
(e.g. a PostgreSQL database): it must be empty at the start, and only one round is run.

Time is the wall time of the work inside the worker (Python start-up and imports excluded for
every scenario alike). Peak memory is the worker's peak RSS (VmHWM: calamine and SQLite allocate
outside Python's allocator, so tracemalloc would miss them), absolute and as growth over the RSS
after the imports; "helper peak" is the largest peak RSS among the helper processes the run
collected (`RUSAGE_CHILDREN`): the forked child that builds the master (`sync.master.bouwproces`),
whose RSS counts the pages it still shares with the worker. Ratios are against the baseline
(higher is better).

    .venv/bin/python bench/bench_sync.py [--n 1000] [--changed 10] [--rounds 1] [--store-url URL]
                                         [--master-sizes 1000,5000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

from geheugen import peak_rss_bytes, rss_bytes

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SCENARIOS = {
    "full": "pmiek sync, full (empty store)",
    "unchanged": "pmiek sync, incremental, nothing changed",
    "changed": "pmiek sync, incremental, {k} changed",
    "baseline": "naive openpyxl + pandas (baseline)",
}
BASELINE = "baseline"
#: Modules a worker imports before its memory baseline, so the figures are about the work.
IMPORTS = {
    "sync": ("sync.synchronisatie", "sync.intake", "sync.master", "sync.overzicht_bouw", "sync.bron.map", "sync.config",
             "fiche.reader", "fiche.validatie", "email_validator", "tqdm"),
    "baseline": ("openpyxl", "pandas"),
}


# --- Generating the fiches (not timed) ---------------------------------------------------------

def _voorbeelden() -> list[dict]:
    sys.path.insert(0, str(ROOT / "scripts"))
    import build_examples  # the example data, checked against the schema

    return build_examples.load()["fiche"]


def _schrijf(taak: tuple[str, str, dict, dict]) -> str:
    from fiche.template import write_fiche

    pad, fiche_type, velden, tabellen = taak
    write_fiche(pad, fiche_type, velden, tabellen)
    return pad


def fiche_taak(voorbeelden: list[dict], folder: Path, i: int, versie: int = 0) -> tuple[str, str, dict, dict]:
    """Fiche number `i`: example i mod 11 under a name of its own (version > 0: changed content)."""
    entry = voorbeelden[i % len(voorbeelden)]
    velden = dict(entry.get("velden", {}))
    velden["projectnaam"] = f"{velden['projectnaam']} [bench {i:05d}]"
    if versie:
        velden["toelichting"] = f"{velden.get('toelichting', '')} Bijgewerkt (versie {versie})."
    return (str(folder / f"{i:05d}-{entry['bestand']}.xlsx"), entry["fiche_type"], velden, entry.get("tabellen", {}))


def genereer(taken: list[tuple[str, str, dict, dict]]) -> None:
    if len(taken) < 8:
        for taak in taken:
            _schrijf(taak)
        return
    with Pool(os.cpu_count() or 1) as pool:
        pool.map(_schrijf, taken, chunksize=8)


# --- Workers ------------------------------------------------------------------------------------


def _gemeten(module, naam: str, fasen: dict[str, float]) -> None:
    """Wrap `module.naam` so its wall time adds up in `fasen[naam]` (instrumentation only)."""
    origineel = getattr(module, naam)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return origineel(*args, **kwargs)
        finally:
            fasen[naam] = fasen.get(naam, 0.0) + time.perf_counter() - start

    setattr(module, naam, wrapper)


def sync_worker(folder: Path, store: str, master: Path) -> dict:
    """One `pmiek sync` run, as the CLI runs it (under the run lock), with its phases timed.
    `store`: a file path (SQLite) or a store URL."""
    import dataclasses

    from sync import synchronisatie as dienst
    from sync.config import config_voor_map

    fasen: dict[str, float] = {}
    for naam in ("verwerk", "bouw_overzicht", "schrijf_master_atomisch", "ververs_rapportage"):
        _gemeten(dienst, naam, fasen)
    if "://" in store:
        config = dataclasses.replace(config_voor_map(folder, master.with_suffix(".sqlite"), master), store_url=store,
                                     store_path=None)
    else:
        config = config_voor_map(folder, Path(store), master)
    start = time.perf_counter()
    r = dienst.sync_eenmalig(config, voortgang=False)
    seconden = time.perf_counter() - start
    return {"seconds": seconden, "phases": fasen, "counts": r.tellingen.as_dict(), "status": r.status,
            "master_rewritten": r.master_herschreven,
            "projects": len(r.overzicht.projecten) if r.overzicht else 0,
            "datakwaliteit": len(r.overzicht.datakwaliteit) if r.overzicht else 0}


def baseline_worker(folder: Path, master: Path, lijsten: Path | None = None) -> dict:
    """The naive script a spreadsheet user would write: no checks, no validation, no store.
    `lijsten`: a folder of project lists (bench/bench_lijsten.py), each read with openpyxl (its
    header: the first row filled in every column), all of them in one more sheet."""
    import openpyxl
    import pandas as pd

    start = time.perf_counter()
    rijen: list[pd.DataFrame] = []
    tabellen: dict[str, list[pd.DataFrame]] = {}
    bestanden = sorted(folder.rglob("*.xlsx"))
    for pad in bestanden:
        wb = openpyxl.load_workbook(pad)
        record = {"bestand": pad.name}
        for naam, dn in wb.defined_names.items():
            for blad, cel in dn.destinations:
                if ":" not in cel:  # the named single cells: the fiche's fields
                    record[naam] = wb[blad][cel.replace("$", "")].value
        rijen.append(pd.DataFrame([record]))
        for ws in wb.worksheets:
            for naam, ref in ws.tables.items():
                cellen = ws[ref]
                kop = [c.value for c in cellen[0]]
                df = pd.DataFrame([[c.value for c in rij] for rij in cellen[1:]], columns=kop).dropna(how="all")
                df.insert(0, "bestand", pad.name)
                tabellen.setdefault(naam, []).append(df)
        wb.close()
    lijstdelen = []
    for pad in sorted(lijsten.glob("*.xlsx")) if lijsten else []:
        wb = openpyxl.load_workbook(pad, read_only=True)
        regels = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
        breedte = max(len(r) for r in regels)
        kop = next(i for i, r in enumerate(regels) if sum(v is not None for v in r) == breedte)
        df = pd.DataFrame(regels[kop + 1:], columns=regels[kop])
        df.insert(0, "bestand", pad.name)
        lijstdelen.append(df)
    overzicht = pd.concat(rijen, ignore_index=True)
    with pd.ExcelWriter(master, engine="openpyxl") as xw:
        overzicht.to_excel(xw, sheet_name="Overzicht", index=False)
        for naam, delen in tabellen.items():
            pd.concat(delen, ignore_index=True).to_excel(xw, sheet_name=naam[:31], index=False)
        if lijstdelen:
            pd.concat(lijstdelen, ignore_index=True).to_excel(xw, sheet_name="Lijstprojecten", index=False)
    seconden = time.perf_counter() - start
    return {"seconds": seconden, "phases": {}, "counts": {"gezien": len(bestanden), "gelezen": len(bestanden)},
            "projects": len(overzicht), "status": "ok", "lijstrijen": sum(len(d) for d in lijstdelen)}


def master_worker(n: int) -> dict:
    """Writing the master workbook alone (`master_inhoud`, in memory) for a portfolio of n projects."""
    sys.path.insert(0, str(ROOT / "tests"))
    from sample_overzicht import groot_overzicht  # tests/ is not a package

    from sync.master import master_inhoud

    overzicht = groot_overzicht(n)
    start = time.perf_counter()
    cpu = time.process_time()
    inhoud = master_inhoud(overzicht)
    return {"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu, "bytes": len(inhoud),
            "projects": n}


def worker(soort: str, folder: Path, store: str | None, master: Path) -> None:
    import importlib

    for module in IMPORTS["baseline" if soort == "baseline" else "sync"]:
        importlib.import_module(module)
    voor = rss_bytes()
    if soort == "master":
        uit = master_worker(int(store or 0))
    elif soort == "baseline":
        uit = baseline_worker(folder, master)
    else:
        assert store is not None
        uit = sync_worker(folder, store, master)
    piek = peak_rss_bytes()
    helpers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * (1 if sys.platform == "darwin" else 1024)
    uit.update({"peak": piek, "growth": max(0, piek - voor), "helper_peak": helpers})
    print(json.dumps(uit))


def meet(soort: str, folder: Path, store: str | Path | None, master: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", soort, "--folder", str(folder), "--master", str(master)]
    if store is not None:
        cmd += ["--store", str(store)]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=3600)
    if out.returncode != 0:
        raise RuntimeError(f"worker {soort} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


# --- The run -----------------------------------------------------------------------------------

def ronde(folder: Path, werk: Path, voorbeelden: list[dict], n: int, k: int, r: int,
          store_url: str | None = None) -> dict[str, dict]:
    """One round: the baseline, then full, unchanged and changed on a fresh store (or `store_url`)."""
    # Each round in a folder of its own: a sync leaves the store's marker beside its master, and a
    # missing store where another store's marker lies is refused (sync.storespoor).
    (werk / f"ronde-{r}").mkdir()
    store, master = store_url or werk / f"ronde-{r}" / "store.sqlite", werk / f"ronde-{r}" / "master.xlsx"
    uit = {"baseline": meet("baseline", folder, None, werk / f"baseline-{r}.xlsx")}
    uit["full"] = meet("full", folder, store, master)
    uit["unchanged"] = meet("unchanged", folder, store, master)
    stap = max(1, n // k) if k else 1
    genereer([fiche_taak(voorbeelden, folder, i, versie=r + 1) for i in range(0, n, stap)[:k]])
    uit["changed"] = meet("changed", folder, store, master)
    return uit


def controleer(uit: dict[str, dict], n: int, k: int) -> list[str]:
    """The scenarios must have done what they claim, or the comparison means nothing."""
    fout = []
    full, zelfde, anders = uit["full"]["counts"], uit["unchanged"]["counts"], uit["changed"]["counts"]
    if full["gelezen"] != n or full["geaccepteerd"] != n:
        fout.append(f"full sync read {full['gelezen']} and accepted {full['geaccepteerd']} of {n}")
    if zelfde["gedownload"] or zelfde["gelezen"] or zelfde["ongewijzigd"] != n:
        fout.append(f"unchanged sync downloaded {zelfde['gedownload']} and read {zelfde['gelezen']}")
    if anders["gelezen"] != k or anders["geaccepteerd"] != k:
        fout.append(f"changed sync read {anders['gelezen']} and accepted {anders['geaccepteerd']}, expected {k}")
    for key in ("full", "unchanged", "changed"):
        if uit[key]["projects"] != n:
            fout.append(f"{key}: the overview has {uit[key]['projects']} projects, expected {n}")
    if uit["unchanged"].get("master_rewritten", True):
        fout.append("the unchanged sync rewrote the master")
    if uit["baseline"]["projects"] != n:
        fout.append(f"baseline collected {uit['baseline']['projects']} rows, expected {n}")
    return fout


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of distinct fiches (default 1000)")
    parser.add_argument("--changed", type=int, default=10, help="fiches changed before the incremental run (default 10)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of all scenarios; the best round per scenario counts")
    parser.add_argument("--store-url", help="run the syncs against this (empty) store, e.g. postgresql+psycopg://...; "
                                            "default: a fresh SQLite file per round")
    parser.add_argument("--master-sizes", default="1000,5000",
                        help="portfolio sizes to time writing the master for (default 1000,5000; empty: none)")
    parser.add_argument("--worker", choices=sorted(SCENARIOS) + ["master"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--store", help=argparse.SUPPRESS)
    parser.add_argument("--master", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        worker(args.worker, args.folder, args.store, args.master)
        return 0
    if args.n < 1:
        parser.error("--n must be at least 1")
    if args.store_url and args.rounds != 1:
        parser.error("--store-url runs one round (the store must be empty at its start)")
    try:
        groottes = [int(g) for g in args.master_sizes.split(",") if g.strip()]
    except ValueError:
        parser.error("--master-sizes: numbers separated by commas")
    k = min(args.changed, args.n)
    voorbeelden = _voorbeelden()

    with tempfile.TemporaryDirectory(prefix="pmiek-bench-sync-") as tmp:
        folder, werk = Path(tmp) / "fiches", Path(tmp) / "werk"
        folder.mkdir()
        werk.mkdir()
        start = time.perf_counter()
        genereer([fiche_taak(voorbeelden, folder, i) for i in range(args.n)])
        generatie = time.perf_counter() - start
        grootte = sum(p.stat().st_size for p in folder.glob("*.xlsx"))

        beste: dict[str, dict] = {}
        for r in range(args.rounds):
            uit = ronde(folder, werk, voorbeelden, args.n, k, r, args.store_url)
            fouten = controleer(uit, args.n, k)
            if fouten:
                print("benchmark invalid: " + "; ".join(fouten), file=sys.stderr)
                return 2
            for key, m in uit.items():
                if key not in beste or m["seconds"] < beste[key]["seconds"]:
                    beste[key] = m
        masters = [meet("master", werk, str(g), werk / "unused.xlsx") for g in groottes]

    load = ", load average %.1f at the end" % os.getloadavg()[0] if hasattr(os, "getloadavg") else ""
    print(f"Sync {args.n} distinct fiches from a folder ({grootte / args.n / 1000:.1f} kB each on average; "
          f"generated in {generatie:.0f} s, not timed)")
    print(f"Store: {_zonder_wachtwoord(args.store_url) if args.store_url else 'SQLite (a fresh file per round)'}")
    print(f"Python {platform.python_version()} on {platform.system()} {platform.machine()}, "
          f"{os.cpu_count()} CPUs{load}; best of {args.rounds} round(s); every scenario in a fresh process")
    print()
    header = (f"{'scenario':<42} {'files read':>10} {'seconds':>8} {'ms/file':>8} {'speed-up':>9} "
              f"{'peak RSS MiB':>13} {'growth MiB':>11} {'helper peak MiB':>16}")
    print(header)
    print("-" * len(header))
    base = beste[BASELINE]
    for key, label in SCENARIOS.items():
        m = beste[key]
        print(f"{label.format(k=k):<42} {m['counts']['gelezen']:>10} {m['seconds']:>8.2f} "
              f"{m['seconds'] * 1000 / args.n:>8.2f} {base['seconds'] / m['seconds']:>8.1f}x "
              f"{m['peak'] / 2**20:>13.1f} {m['growth'] / 2**20:>11.1f} {m.get('helper_peak', 0) / 2**20:>16.1f}")
    print()
    print("Where the sync time goes (seconds: intake = list, read, validate, store; overview; master workbook):")
    for key in ("full", "unchanged", "changed"):
        f = beste[key]["phases"]
        print(f"  {key:<10} intake {f.get('verwerk', 0):7.2f}   overview {f.get('bouw_overzicht', 0):6.2f}   "
              f"master {f.get('schrijf_master_atomisch', 0):6.2f} (reporting tables beside it: "
              f"{f.get('ververs_rapportage', 0):4.2f})")
    print(f"  The unchanged run left the master as it was: rewritten = {beste['unchanged']['master_rewritten']}.")
    if masters:
        print()
        print("Writing the master workbook alone (sync.master.master_inhoud, in memory; fresh process per size):")
        for m in masters:
            print(f"  {m['projects']:>6} projects   {m['seconds']:7.2f} s wall   {m['cpu']:7.2f} s CPU   "
                  f"{m['bytes'] / 1e6:6.2f} MB   peak RSS {m['peak'] / 2**20:7.1f} MiB")
    print()
    print(f"Full sync {base['seconds'] / beste['full']['seconds']:.1f}x, unchanged re-run "
          f"{base['seconds'] / beste['unchanged']['seconds']:.1f}x, {k} changed "
          f"{base['seconds'] / beste['changed']['seconds']:.1f}x faster than the naive baseline; "
          f"peak RSS {max(beste['full']['peak'], beste['full'].get('helper_peak', 0)) / base['peak']:.2f}x the "
          "baseline's in the full sync (the largest process).")
    return 0


def _zonder_wachtwoord(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


if __name__ == "__main__":
    sys.exit(main())
