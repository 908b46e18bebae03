"""Make tests/reference/store-5bff393.sqlite: a store written by the previous release.

The store is made by the code of commit 5bff393 (the last release before the "one house"
restructure, issue 8), not by today's code, so `tests/test_store.py` checks that a real
store of that release opens and upgrades in place. What it holds, all made at Monday
30-11-2026 09:00 Europe/Amsterdam (the clock is set with time-machine):

- one `pmiek sync --source ... --store ... --master ...` of the example fiches (their files dated
  15-10-2026), so the history and one run;
- one `pmiek report --quarter 2026Q4 --send --store ... --outbox ...`: a frozen snapshot and a
  `verzonden` record for 2026Q4;
- the service's scheduler started once (`sync.dienst.start_schema`, the release's own start-up)
  and stopped: both jobs stored in `apscheduler_jobs` with the release's function references
  ("sync.dienst:geplande_sync", "sync.kwartaalrapport:geplande_rapportage").

Run from the repository root (needs git and the project's virtualenv):

    .venv/bin/python scripts/make_reference_store.py

The old code is taken with `git archive` into a temporary folder; nothing in the work tree but
the reference file changes.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

COMMIT = "5bff393"
ROOT = Path(__file__).resolve().parents[1]
DOEL = ROOT / "tests" / "reference" / f"store-{COMMIT}.sqlite"

# Runs inside the old tree (its `sync`, `fiche` and `pmiek` first on the path).
IN_OUDE_CODE = r'''
import datetime as dt
import os
import shutil
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import time_machine

oud, werk = Path(sys.argv[1]), Path(sys.argv[2])
assert Path(__import__("sync").__file__).resolve().is_relative_to(oud.resolve()), "not the old code"
TZ = ZoneInfo("Europe/Amsterdam")
fiches = werk / "fiches"
fiches.mkdir(parents=True)
gedateerd = dt.datetime(2026, 10, 15, 12, 0, tzinfo=TZ).timestamp()
for pad in sorted((oud / "workbook_templates" / "examples").glob("*.xlsx")):
    shutil.copyfile(pad, fiches / pad.name)
    os.utime(fiches / pad.name, (gedateerd, gedateerd))
store = werk / "pmiek.sqlite"

from pmiek.cli import main
from sync.config import laad_config
from sync.dienst import start_schema
from sync.store import open_store

with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=TZ), tick=False):
    assert main(["sync", "--source", str(fiches), "--store", str(store), "--master", str(werk / "master.xlsx")]) == 0
    assert main(["report", "--quarter", "2026Q4", "--send", "--store", str(store), "--outbox", str(werk / "outbox")]) == 0
    config_pad = werk / "pmiek.toml"
    config_pad.write_text('[source]\npath = "fiches"\n[store]\npath = "pmiek.sqlite"\n[master]\npath = "master.xlsx"\n'
                          '[report]\noutbox = "outbox"\n', encoding="utf-8")
    config = laad_config(config_pad)
    s = open_store(config.store_url)
    scheduler = start_schema(config, s.engine)
    assert len(scheduler.get_jobs()) == 2
    scheduler.shutdown(wait=True)
    s.close()
'''


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="pmiek-referentie-") as tmp:
        oud, werk = Path(tmp) / "oud", Path(tmp) / "werk"
        oud.mkdir()
        archief = Path(tmp) / "oud.tar"
        subprocess.run(["git", "-C", str(ROOT), "archive", "-o", str(archief), COMMIT], check=True)
        with tarfile.open(archief) as tar:
            tar.extractall(oud, filter="data")
        env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(oud), "PMIEK_LOG_LEVEL": "WARNING", "TZ": "UTC",
               "HOME": tmp}
        subprocess.run([sys.executable, "-c", IN_OUDE_CODE, str(oud), str(werk)], cwd=oud, env=env, check=True)

        pad = werk / "pmiek.sqlite"
        con = sqlite3.connect(pad)
        try:
            # One self-contained file: the WAL folded in, free pages dropped.
            con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            con.execute("VACUUM")
            jobs = con.execute("SELECT count(*) FROM apscheduler_jobs").fetchone()[0]
            versie = con.execute("SELECT max(versie) FROM pmiek_schema_versie").fetchone()[0]
        finally:
            con.close()
        assert jobs == 2 and versie == 2, (jobs, versie)
        DOEL.parent.mkdir(parents=True, exist_ok=True)
        DOEL.write_bytes(pad.read_bytes())
    print(f"{DOEL.relative_to(ROOT)}: {DOEL.stat().st_size} bytes, made by commit {COMMIT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
