"""Benchmark: project lists (issue 10) at scale.

1. Import of one list of R rows (default 5,000; an Enexis-style .xlsx) into an empty SQLite store:
   `sync.lijsten.opslag.importeer` (pandas read and vectorised cleaning, one bulk insert) against a
   naive script: `openpyxl.load_workbook`, the rows one by one, each cleaned in Python and
   inserted with its own INSERT statement (one transaction).
2. A sync with N fiches (default 1,000, generated as bench/bench_sync.py does) plus two editions of
   that R-row list in the watched lists folder: the full sync (lists imported), the same sync
   again with nothing changed, and the same two syncs without any lists, to show what the list
   projects add to a run (phases: intake, list import, overview, master); and the naive
   consolidation of bench/bench_sync.py for the same inputs (the fiches, plus the lists read with
   openpyxl into one more sheet), so each sync is compared with the naive script for its inputs.

Every scenario runs in a fresh worker process; time is the wall time of the work (imports
excluded). Generation of the fiches and lists is not timed.

    .venv/bin/python bench/bench_lijsten.py [--rows 5000] [--n 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

KOP = ["Projectnummer", "Projectnaam", "Gemeente", "Spanningsniveau", "Type werk", "Verwachte ingebruikname", "Status"]
GEMEENTEN = ("Assen", "Emmen", "Hoogeveen", "Meppel", "Coevorden", "Tynaarlo", "Beilen", "Roden")


def lijst_xlsx(rijen: int, editie: int) -> bytes:
    """An R-row list; in the second edition every seventh project is a year later, every 50th gone."""
    from openpyxl import Workbook
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Projecten")
    ws.append(["Voorbeelddata (benchmark)"])
    ws.append(KOP)
    for i in range(rijen):
        if editie == 2 and i % 50 == 0:
            continue
        jaar = 2027 + i % 9 + (1 if editie == 2 and i % 7 == 0 else 0)
        ibn = dt.date(jaar, 1 + i % 12, 1) if i % 3 else (f"Q{1 + i % 4} {jaar}" if i % 2 else jaar)
        ws.append([f"BM-{i:05d}", f"Project {i} {GEMEENTEN[i % len(GEMEENTEN)]}", GEMEENTEN[i % len(GEMEENTEN)],
                   "20 kV" if i % 4 else "110/20 kV", "Netversterking", ibn, "Projectfase"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


# --- workers ------------------------------------------------------------------------------------

def import_worker(pad: str, store: str) -> dict:
    import sync.lijsten.lezen  # noqa: F401 - pandas imported before the clock starts, as openpyxl for the naive one
    from sync.lijsten.opslag import importeer
    from sync.store import open_store
    s = open_store(f"sqlite:///{store}")
    data = Path(pad).read_bytes()
    start = time.perf_counter()
    r = importeer(s, data, Path(pad).name, "ip", "Enexis", "IP2026", dt.date(2026, 6, 30))
    seconden = time.perf_counter() - start
    s.close()
    return {"seconds": seconden, "rows": r.rijen}


def naive_worker(pad: str, store: str) -> dict:
    """What a spreadsheet user would write: openpyxl row by row, one INSERT per row."""
    import hashlib

    import openpyxl

    from fiche.datums import parse_datum
    from sync.lijsten.tabellen import lijst_imports, lijst_rijen
    from sync.store import open_store
    s = open_store(f"sqlite:///{store}")
    start = time.perf_counter()
    data = Path(pad).read_bytes()
    wb = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    ws = wb.worksheets[0]
    n = 0
    with s.engine.begin() as conn:
        import_id = conn.execute(lijst_imports.insert().values(
            bron="Enexis", soort="ip", editie="IP2026", peildatum=dt.date(2026, 6, 30), naam=Path(pad).name,
            content_hash=hashlib.sha256(data).hexdigest(), ontvangen=dt.datetime.now(), rijen=0,
            fouten="[]")).inserted_primary_key[0]
        for i, rij in enumerate(ws.iter_rows(min_row=3, values_only=True), start=3):
            code, naam, gemeente, spanning, werk, ibn, status = rij[:7]
            if code is None and naam is None:
                continue
            try:
                datum = parse_datum(ibn, "eind")
            except ValueError:
                datum = None
            conn.execute(lijst_rijen.insert().values(
                import_id=import_id, sleutel=str(code).lower(), rij=i, code=str(code), naam=str(naam).strip(),
                gemeente=gemeente, spanningsniveau=spanning, soort_werk=werk, ibn=datum, ibn_tekst=str(ibn),
                status=status, opmerking=None))
            n += 1
    seconden = time.perf_counter() - start
    s.close()
    return {"seconds": seconden, "rows": n}


def sync_worker(fiches: str, lijsten: str | None, store: str, master: str) -> dict:
    from bench_sync import _gemeten

    from sync import synchronisatie as dienst
    from sync.config import config_voor_map
    from sync.lijsten import map as lijstmap
    from sync.lijsten.instellingen import LijstenConfig

    fasen: dict[str, float] = {}
    for naam in ("verwerk", "bouw_overzicht", "schrijf_master_atomisch"):
        _gemeten(dienst, naam, fasen)
    _gemeten(lijstmap, "importeer_map", fasen)
    config = config_voor_map(Path(fiches), Path(store), Path(master))
    if lijsten:
        config.lijsten = LijstenConfig(map=Path(lijsten))
    start = time.perf_counter()
    r = dienst.sync_eenmalig(config, voortgang=False)
    seconden = time.perf_counter() - start
    assert r.overzicht is not None
    return {"seconds": seconden, "phases": fasen, "projects": len(r.overzicht.projecten),
            "lijst": sum(1 for p in r.overzicht.projecten if p.is_lijstproject)}


def naive_sync_worker(fiches: str, lijsten: str | None, master: str) -> dict:
    """bench_sync's naive consolidation (openpyxl + pandas), with the lists in one more sheet."""
    import openpyxl  # noqa: F401 - imported before the clock starts, as for the sync
    import pandas  # noqa: F401

    from bench_sync import baseline_worker
    return baseline_worker(Path(fiches), Path(master), Path(lijsten) if lijsten else None)


def _in_proces(functie, *args) -> dict:
    # Not multiprocessing.Pool: its workers are daemonic, and a sync reading many files starts
    # reader processes of its own, as it does under `pmiek sync`.
    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        return pool.submit(functie, *args).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--n", type=int, default=1000, help="fiches in the sync scenario (0: skip it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        werk = Path(tmp)
        lijsten = werk / "lijsten"
        lijsten.mkdir()
        eerste = lijsten / "ip_Enexis_IP2024_2024-06-30.xlsx"
        eerste.write_bytes(lijst_xlsx(args.rows, 1))
        (lijsten / "ip_Enexis_IP2026_2026-06-30.xlsx").write_bytes(lijst_xlsx(args.rows, 2))
        snel = _in_proces(import_worker, str(eerste), str(werk / "a.sqlite"))
        naief = _in_proces(naive_worker, str(eerste), str(werk / "b.sqlite"))
        print(f"Import of one list of {args.rows} rows ({eerste.stat().st_size // 1024} kB .xlsx) into SQLite")
        print(f"{'method':<48} {'rows':>6} {'seconds':>8} {'speed-up':>9}")
        print(f"{'pmiek import-lijst (pandas, bulk insert)':<48} {snel['rows']:>6} {snel['seconds']:>8.2f} "
              f"{naief['seconds'] / snel['seconds']:>8.1f}x")
        print(f"{'naive openpyxl, row by row':<48} {naief['rows']:>6} {naief['seconds']:>8.2f} {1.0:>8.1f}x")
        if snel["rows"] != naief["rows"]:
            print("rows differ", file=sys.stderr)
            return 2
        if not args.n:
            return 0
        from bench_sync import _voorbeelden, fiche_taak, genereer
        fiches = werk / "fiches"
        fiches.mkdir()
        voorbeelden = _voorbeelden()
        genereer([fiche_taak(voorbeelden, fiches, i) for i in range(args.n)])
        # Each store in a folder of its own: a sync leaves the store's marker beside its master, and
        # a missing store where another store's marker lies is refused (sync.storespoor).
        met, zonder = werk / "met", werk / "zonder"
        met.mkdir()
        zonder.mkdir()
        uit = {}
        uit["full"] = _in_proces(sync_worker, str(fiches), str(lijsten), str(met / "s.sqlite"), str(met / "m.xlsx"))
        uit["unchanged"] = _in_proces(sync_worker, str(fiches), str(lijsten), str(met / "s.sqlite"),
                                      str(met / "m.xlsx"))
        uit["no lists"] = _in_proces(sync_worker, str(fiches), None, str(zonder / "t.sqlite"), str(zonder / "n.xlsx"))
        uit["no lists, unchanged"] = _in_proces(sync_worker, str(fiches), None, str(zonder / "t.sqlite"),
                                                str(zonder / "n.xlsx"))
        naief_met = _in_proces(naive_sync_worker, str(fiches), str(lijsten), str(werk / "naief-met.xlsx"))
        naief_zonder = _in_proces(naive_sync_worker, str(fiches), None, str(werk / "naief-zonder.xlsx"))
        print()
        print(f"Sync of {args.n} fiches plus two editions of the {args.rows}-row list")
        print(f"{'scenario':<22} {'projects':>8} {'lists':>6} {'seconds':>8} {'intake':>7} {'lists':>6} "
              f"{'overview':>9} {'master':>7}")
        for naam, r in uit.items():
            f = r["phases"]
            print(f"{naam:<22} {r['projects']:>8} {r['lijst']:>6} {r['seconds']:>8.2f} {f.get('verwerk', 0):>7.2f} "
                  f"{f.get('importeer_map', 0):>6.2f} {f.get('bouw_overzicht', 0):>9.2f} "
                  f"{f.get('schrijf_master_atomisch', 0):>7.2f}")
        print()
        print("Against the naive consolidation (bench/bench_sync.py's baseline; with lists: each list read with")
        print("openpyxl and all editions in one more sheet), each scenario against the naive script for its inputs:")
        print(f"  naive, fiches and lists: {naief_met['seconds']:.2f} s ({naief_met['lijstrijen']} list rows); "
              f"fiches only: {naief_zonder['seconds']:.2f} s")
        for naam, basis in (("full", naief_met), ("unchanged", naief_met), ("no lists", naief_zonder),
                            ("no lists, unchanged", naief_zonder)):
            print(f"  {naam:<22} {basis['seconds'] / uit[naam]['seconds']:6.1f}x")
        verwacht = args.n + args.rows
        if uit["full"]["projects"] != verwacht or uit["no lists"]["projects"] != args.n:
            print(f"expected {verwacht} projects with lists", file=sys.stderr)
            return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
