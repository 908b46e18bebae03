"""Reading in worker processes (`sync.leesploeg`): the same verdicts as reading in-process, and a
reader process that dies or hangs costs the run one file, not the run.

The processes are real: the pool's workers are found through /proc and stopped or killed with
real signals, as the kernel's out-of-memory killer or a hung engine would leave them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import shutil
import signal
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sync import leesploeg
from sync.bron.map import MapBron
from sync.config import sqlite_url
from sync.intake import MELDING_LEESVAL, verwerk
from sync.store import FicheVersie, open_store

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))
VANDAAG = dt.date(2026, 12, 2)
AANTAL = leesploeg.PLOEG_VANAF + 6  # enough files for a pool



def _map(tmp_path: Path, aantal: int = AANTAL) -> Path:
    """`aantal` fiches (the examples in turn), a workbook that is no fiche, and a corrupt file."""
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for i in range(aantal):
        shutil.copyfile(VOORBEELDEN[i % len(VOORBEELDEN)], fiches / f"{i:03d}-{VOORBEELDEN[i % len(VOORBEELDEN)].name}")
    from openpyxl import Workbook
    wb = Workbook()
    wb.active["A1"] = "Begroting"
    wb.save(fiches / "zz-begroting.xlsx")
    (fiches / "zz-kapot.xlsx").write_bytes(VOORBEELDEN[0].read_bytes()[:5000])
    return fiches


def _lees(tmp_path: Path, fiches: Path, naam: str, bron: MapBron | None = None, **opties):
    store = open_store(sqlite_url(tmp_path / f"{naam}.sqlite"))
    try:
        bron = bron or MapBron(fiches)
        run = store.start_run(bron.beschrijving(), "handmatig", os.getpid())
        r = verwerk(store, bron, "folder", run, VANDAAG, 3, voortgang=False, **opties)
        with store.session() as s:
            versies = {v.naam: (v.status, v.stoplicht, v.bevindingen, v.beoordeling, v.melding)
                       for v in s.scalars(select(FicheVersie))}
        return r, versies, store.vastgelopen_lezingen()
    finally:
        store.close()


def test_small_runs_read_in_process_and_large_ones_in_a_pool() -> None:
    assert leesploeg.aantal_lezers(0, leesploeg.PLOEG_VANAF - 1) == 1
    assert leesploeg.aantal_lezers(1, 10_000) == 1  # readers = 1: never a pool
    assert leesploeg.aantal_lezers(3, 10_000) == 3
    assert leesploeg.aantal_lezers(0, 10_000) == min(leesploeg.MAX_AUTOMATISCH, os.cpu_count() or 1)


def test_the_pool_judges_every_file_as_reading_in_process_does(tmp_path, caplog) -> None:
    fiches = _map(tmp_path)
    hier, in_proces, _ = _lees(tmp_path, fiches, "hier", lezers=1)
    with caplog.at_level(logging.INFO):
        ploeg, in_ploeg, _ = _lees(tmp_path, fiches, "ploeg", lezers=2)
    assert "reader pool started" in caplog.text  # it really ran in workers
    assert ploeg.tellingen == hier.tellingen
    assert (ploeg.tellingen.gelezen, ploeg.tellingen.geaccepteerd, ploeg.tellingen.geweigerd) == (AANTAL + 2, AANTAL, 2)
    assert in_ploeg == in_proces  # status, stoplicht, findings, the whole verdict and the message, per file
    assert "geen pMIEK-fiche" in in_ploeg["zz-begroting.xlsx"][4]
    # The workers' own log lines reach the service's log, as a read in-process writes them.
    assert any(r.name == "pmiek.fiche.reader" and "zz-begroting.xlsx" in r.getMessage() and r.process != os.getpid()
               for r in caplog.records)


def _werkers() -> list[int]:
    """The pool's worker processes: children of this process's forkserver."""
    def ouder(pid: str) -> int | None:
        try:
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            return None

    pids = [p for p in os.listdir("/proc") if p.isdigit()]
    servers = {int(p) for p in pids if ouder(p) == os.getpid()
               and b"forkserver" in Path(f"/proc/{p}/cmdline").read_bytes()}
    return sorted(int(p) for p in pids if ouder(p) in servers)


class _IngreepBron(MapBron):
    """A folder source that, when the pool asks for its tenth file (both workers busy reading by
    then), does `ingreep(workers)`: the test acts on the real processes at a known point."""

    def __init__(self, map_: Path, ingreep) -> None:
        super().__init__(map_)
        self.ingreep, self.gevraagd, self.werkers = ingreep, 0, []

    def download(self, item):
        self.gevraagd += 1
        if self.gevraagd == 10:
            self.werkers = _werkers()
            assert len(self.werkers) == 2, self.werkers
            self.ingreep(self.werkers)
        return super().download(item)


def _tijdens_lezen(tmp_path: Path, fiches: Path, ingreep, **opties):
    bron = _IngreepBron(fiches, ingreep)
    uit = _lees(tmp_path, fiches, "ploeg", bron=bron, lezers=2, **opties)
    assert len(bron.werkers) == 2
    for pid in bron.werkers:  # ended, and reaped
        assert not Path(f"/proc/{pid}").exists()
    return uit


def _bevries_en_dood(werkers: list[int]) -> None:
    # Stopped first, so each holds a file when it dies (an idle one is handed one within
    # milliseconds and never answers): then exactly two files were in a reader that died.
    for pid in werkers:
        os.kill(pid, signal.SIGSTOP)
    time.sleep(0.3)
    for pid in werkers:
        os.kill(pid, signal.SIGKILL)


def test_a_reader_process_that_dies_costs_only_the_file_it_held(tmp_path, caplog) -> None:
    fiches = _map(tmp_path)
    with caplog.at_level(logging.INFO):
        r, versies, vastgelopen = _tijdens_lezen(tmp_path, fiches, _bevries_en_dood)
    t = r.tellingen
    assert t.gelezen == AANTAL + 2 and t.geaccepteerd == AANTAL - 2 and t.geweigerd == 4, t
    dood = sorted(naam for naam, v in versies.items() if v[4] == MELDING_LEESVAL)
    assert len(dood) == 2 and all(naam[0].isdigit() for naam in dood)
    assert sorted(lezing.naam for lezing in vastgelopen) == dood  # what `pmiek status` lists
    assert caplog.text.count("a version took its reader process down") == 2
    assert caplog.text.count("reader process ended on a file") == 2


def test_a_read_over_the_time_limit_is_ended_and_the_file_refused(tmp_path) -> None:
    fiches = _map(tmp_path)

    def bevries(werkers: list[int]) -> None:
        for pid in werkers:
            os.kill(pid, signal.SIGSTOP)

    r, versies, vastgelopen = _tijdens_lezen(tmp_path, fiches, bevries, leestijd=2.0)
    t = r.tellingen
    assert t.geaccepteerd == AANTAL - 2 and t.geweigerd == 4, t
    traag = sorted(naam for naam, v in versies.items() if v[4] and "duurde langer dan 2 seconden" in v[4])
    assert len(traag) == 2
    assert sorted(lezing.naam for lezing in vastgelopen) == traag
    for naam in traag:  # the refusal is a stored version like any other
        assert versies[naam][0] == "onleesbaar" and json.loads(versies[naam][2]) == []


def _versies_in(store: Path) -> int:
    import sqlite3
    if not store.exists():
        return 0
    try:
        conn = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True, timeout=0)
        try:
            return conn.execute("SELECT COUNT(*) FROM fiche_versies").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:  # not created yet, or busy for a moment
        return 0


@pytest.mark.subprocess
def test_a_sync_killed_while_its_pool_reads_loses_nothing_and_blames_no_file(tmp_path) -> None:
    """The pool's reads leave no record to distrust: a `pmiek sync` killed halfway keeps the
    verdicts it committed, and the next run reads the rest as usual."""
    import subprocess
    import sys

    fiches = _map(tmp_path, aantal=3 * leesploeg.PLOEG_VANAF)
    store, master = tmp_path / "pmiek.sqlite", tmp_path / "master.xlsx"
    args = [sys.executable, "-m", "pmiek.cli", "sync", "--source", str(fiches), "--store", str(store),
            "--master", str(master), "--no-progress"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        einde = time.monotonic() + 120
        while time.monotonic() < einde and _versies_in(store) < 25 and proc.poll() is None:
            time.sleep(0.01)
        assert proc.poll() is None, "the sync ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    bewaard = _versies_in(store)
    totaal = 3 * leesploeg.PLOEG_VANAF + 2
    assert 25 <= bewaard < totaal

    r = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert (f"{totaal} fiches in de bron, {totaal - bewaard} gelezen, " in r.stdout
            and f"{bewaard} ongewijzigd" in r.stdout), r.stdout
    assert _versies_in(store) == totaal  # every file judged once
    status = subprocess.run([sys.executable, "-m", "pmiek.cli", "status", "--store", str(store)], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert "ten val" not in status.stdout


def _lees_als_daemon(werk: str, fiches: str) -> dict:
    import multiprocessing
    assert multiprocessing.current_process().daemon
    r, versies, _ = _lees(Path(werk), Path(fiches), "daemon", lezers=2)
    return r.tellingen.as_dict()


def test_a_sync_in_a_daemonic_process_reads_in_process(tmp_path) -> None:
    """A daemonic process may not start children (a sync run from multiprocessing.Pool): it
    reads the files itself instead of failing."""
    from multiprocessing import get_context

    fiches = _map(tmp_path)
    with get_context("spawn").Pool(1) as pool:
        tellingen = pool.apply(_lees_als_daemon, (str(tmp_path), str(fiches)))
    assert (tellingen["gelezen"], tellingen["geaccepteerd"], tellingen["geweigerd"]) == (AANTAL + 2, AANTAL, 2)
