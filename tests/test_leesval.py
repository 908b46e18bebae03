"""A file that took the reader down is never read twice blindly (issue 13, part 2).

The real case: `pmiek sync` is killed (SIGKILL, as the kernel's out-of-memory killer or an
engine abort would end it) while it reads one fiche. The runs after it refuse that version
without reading it, name it in Datakwaliteit and `pmiek status`, read every other fiche and write
the master; a new version of the file is read as usual.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import inspect, text
from test_serve import ctrl_c_bereikbaar

from sync.config import sqlite_url
from sync.store import SCHEMA_VERSIE, huidige_versie, maak_engine, open_store, upgrade

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))
REFERENTIE = ROOT / "tests" / "reference" / "store-5bff393.sqlite"
DOEL = "03x-lezer-valt.xlsx"  # listed between example 03 and 04


def _opgevuld(bron: Path, mb: int = 24) -> bytes:
    """A valid fiche with a large extra part: the safe-open check inflates every member of an
    archive this size, so reading it takes a few hundred milliseconds of CPU, a window wide
    enough to kill the process in."""
    buf = io.BytesIO()
    with zipfile.ZipFile(bron) as zin, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info, zin.read(info.filename))
        zout.writestr("customXml/opvulling.bin", random.Random(13).randbytes(mb * 1024 * 1024 // 2).hex().encode(),
                      compresslevel=1)
    return buf.getvalue()


def _pmiek(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pmiek.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)


def _leest(store: Path, naam: str) -> bool:
    """Whether the store holds an open "reading" record for `naam` (read-only: looking changes nothing)."""
    if not store.exists():
        return False
    try:
        conn = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True, timeout=0)
    except sqlite3.Error:
        return False
    try:
        return conn.execute("SELECT 1 FROM lezingen WHERE naam = ? AND vastgelopen IS NULL", (naam,)).fetchone() \
            is not None
    except sqlite3.Error:  # not created yet, or busy for a moment
        return False
    finally:
        conn.close()


def _stop_tijdens_lezen(args: list[str], store: Path, naam: str, uitvoer: Path, sig: int = signal.SIGKILL,
                        limiet: float = 240) -> int:
    """Run `pmiek *args`, send it `sig` while it reads `naam`; returns its exit code.

    The child runs in steps of about a millisecond (SIGCONT, SIGSTOP) and the store is looked at
    while it stands still, so the kill lands between "reading recorded" and "verdict stored"
    whatever the machine's load: no race with the reader.
    """
    with open(uitvoer, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "pmiek.cli", *args], stdout=out, stderr=subprocess.STDOUT,
                                cwd=ROOT, preexec_fn=ctrl_c_bereikbaar)
    gestopt = False
    try:
        einde = time.monotonic() + limiet
        while time.monotonic() < einde:
            os.kill(proc.pid, signal.SIGCONT)
            time.sleep(0.001)
            os.kill(proc.pid, signal.SIGSTOP)
            _, toestand = os.waitpid(proc.pid, os.WUNTRACED)
            if not os.WIFSTOPPED(toestand):
                proc.returncode = os.waitstatus_to_exitcode(toestand)
                raise AssertionError(f"the sync ended ({proc.returncode}) before it was seen reading {naam}: "
                                     + uitvoer.read_text(errors="replace"))
            if _leest(store, naam):
                gestopt = True
                break
        assert gestopt, f"no reading record for {naam} within {limiet}s"
        os.kill(proc.pid, sig)
        os.kill(proc.pid, signal.SIGCONT)
        return proc.wait(timeout=60)
    finally:
        if proc.returncode is None:
            os.kill(proc.pid, signal.SIGKILL)
            os.kill(proc.pid, signal.SIGCONT)
            proc.wait(timeout=30)


def _datakwaliteit(master: Path) -> list[tuple]:
    wb = load_workbook(master, read_only=True)
    try:
        return [rij for rij in wb["Datakwaliteit"].iter_rows(values_only=True) if any(rij)]
    finally:
        wb.close()


def _tellingen(store: Path) -> list[tuple]:
    conn = sqlite3.connect(f"{store.as_uri()}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT id, status, gezien, gelezen, geaccepteerd, geweigerd, ongewijzigd "
                            "FROM runs ORDER BY id").fetchall()
    finally:
        conn.close()


@pytest.mark.subprocess
def test_a_sync_killed_while_reading_a_file_does_not_read_that_version_again(tmp_path) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for pad in VOORBEELDEN[:4]:
        shutil.copyfile(pad, fiches / pad.name)
    (fiches / DOEL).write_bytes(_opgevuld(VOORBEELDEN[4]))
    store, master = tmp_path / "pmiek.sqlite", tmp_path / "uit" / "master.xlsx"
    args = ["sync", "--source", str(fiches), "--store", str(store), "--master", str(master), "--no-progress"]

    assert _stop_tijdens_lezen(["-v", *args], store, DOEL, tmp_path / "run1.log") == -signal.SIGKILL
    assert not master.exists()  # the first run died before the master

    # Run 2: the dead run's record refuses that version unread; the rest is read, the master written.
    r = _pmiek("-v", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    assert "5 fiches in de bron, 1 gelezen, 1 geaccepteerd, 1 afgekeurd, 3 ongewijzigd" in r.stdout
    leesregels = [regel for regel in r.stderr.splitlines() if 'msg="reading file"' in regel]
    assert len(leesregels) == 1 and "04-" in leesregels[0]  # only the file after it; not DOEL
    assert DOEL in r.stderr and "took the reader down" in r.stderr
    rijen = _datakwaliteit(master)
    (rij,) = [rij for rij in rijen if DOEL in rij]
    assert any("bracht de lezer ten val" in str(c) for c in rij), rij

    status = _pmiek("status", "--store", str(store))
    assert status.returncode == 0, status.stdout + status.stderr
    assert "run 1: afgebroken" in status.stdout and "run 2: geslaagd" in status.stdout
    assert "Fiches die de lezer ten val brachten" in status.stdout
    assert f"- {DOEL}: versie van " in status.stdout and "het lezen brak af in run 1" in status.stdout

    # Run 3, and a save that changes only the file's time (new eTag, same bytes): still not read.
    r = _pmiek("-v", *args)
    assert r.returncode == 0 and "5 fiches in de bron, 0 gelezen" in r.stdout and "5 ongewijzigd" in r.stdout
    os.utime(fiches / DOEL, (time.time() + 60, time.time() + 60))
    r = _pmiek("-v", *args)
    assert r.returncode == 0 and "5 fiches in de bron, 0 gelezen" in r.stdout, r.stdout
    assert 'msg="reading file"' not in r.stderr
    assert any(DOEL in rij for rij in _datakwaliteit(master))

    # A new version (other bytes) is read as usual, and the entry is gone from both views.
    (fiches / DOEL).write_bytes(VOORBEELDEN[4].read_bytes())
    r = _pmiek("-v", *args)
    assert r.returncode == 0 and "5 fiches in de bron, 1 gelezen, 1 geaccepteerd, 0 afgekeurd" in r.stdout, r.stdout
    assert f"item='{DOEL}'" in r.stderr and 'msg="reading file"' in r.stderr
    assert not any("ten val" in str(c) for rij in _datakwaliteit(master) for c in rij)
    status = _pmiek("status", "--store", str(store))
    assert status.returncode == 0 and "ten val" not in status.stdout

    assert [(i, s, gezien, gelezen) for i, s, gezien, gelezen, *_ in _tellingen(store)] == [
        (1, "afgebroken", 0, 0), (2, "ok", 5, 1), (3, "ok", 5, 0), (4, "ok", 5, 0), (5, "ok", 5, 1)]


@pytest.mark.subprocess
def test_a_sync_stopped_with_ctrl_c_while_reading_does_not_distrust_the_file(tmp_path) -> None:
    """Ctrl-C stops the run from outside: the version it was reading is read as usual next time."""
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    shutil.copyfile(VOORBEELDEN[0], fiches / VOORBEELDEN[0].name)
    (fiches / DOEL).write_bytes(_opgevuld(VOORBEELDEN[4]))
    store, master = tmp_path / "pmiek.sqlite", tmp_path / "master.xlsx"
    args = ["sync", "--source", str(fiches), "--store", str(store), "--master", str(master), "--no-progress"]

    code = _stop_tijdens_lezen(args, store, DOEL, tmp_path / "run1.log", sig=signal.SIGINT)
    assert code == 130, (tmp_path / "run1.log").read_text()  # pmiek's exit code for Ctrl-C
    assert "Traceback" not in (tmp_path / "run1.log").read_text()
    r = _pmiek("-v", *args)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "2 fiches in de bron, 1 gelezen, 1 geaccepteerd, 0 afgekeurd" in r.stdout, r.stdout
    assert f"item='{DOEL}'" in r.stderr and "ten val" not in r.stderr
    assert not any("ten val" in str(c) for rij in _datakwaliteit(master) for c in rij)


# --- the rules, in one process -------------------------------------------------------------------

def _versie_4(pad: Path) -> str:
    shutil.copyfile(REFERENTIE, pad)
    url = sqlite_url(pad)
    engine = maak_engine(url)
    assert upgrade(engine, tot=4) == 4
    engine.dispose()
    return url


def test_a_version_4_store_upgrades_and_keeps_its_history(tmp_path, capsys) -> None:
    from pmiek.cli import main

    url = _versie_4(tmp_path / "pmiek.sqlite")
    engine = maak_engine(url)
    assert huidige_versie(engine) == 4 and not inspect(engine).has_table("lezingen")
    engine.dispose()
    assert SCHEMA_VERSIE >= 5  # lezingen arrived in step 5; later steps follow it

    store = open_store(url)
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        kolommen = {k["name"] for k in inspect(store.engine).get_columns("lezingen")}
        assert {"bron_id", "item_id", "etag", "content_hash", "run_id", "begonnen", "vastgelopen"} <= kolommen
        (run,) = store.runs()
        assert (run.status, run.gezien, run.geaccepteerd) == ("ok", 11, 11)
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM fiche_versies")).scalar() == 11
        assert store.vastgelopen_lezingen() == []
    finally:
        store.close()
    assert main(["status", "--store", str(tmp_path / "pmiek.sqlite")]) == 0
    assert "ten val" not in capsys.readouterr().out


def _map_sync(tmp_path: Path, fiches: Path):
    from sync.config import config_voor_map
    from sync.synchronisatie import voer_sync_uit
    config = config_voor_map(fiches, tmp_path / "s.sqlite", tmp_path / "m.xlsx")
    return voer_sync_uit(config, voortgang=False, peildatum=dt.date(2026, 12, 2))


def test_a_record_whose_run_ended_normally_is_not_a_crash(tmp_path) -> None:
    """A record left by a run that ended by itself (its process outlived the read: a store
    write after it failed, say) is cleared and the file read again; one of a live process is
    left alone."""
    from sync.bron.map import MapBron
    from sync.intake import verwerk

    fiches = tmp_path / "fiches"
    fiches.mkdir()
    shutil.copyfile(VOORBEELDEN[0], fiches / "a.xlsx")
    store = open_store(sqlite_url(tmp_path / "s.sqlite"))
    try:
        bron = MapBron(fiches)
        (item,) = bron.wijzigingen(None).items
        bron_id = store.bron_id(bron.sleutel(), "folder")  # the key intake uses
        geeindigd = store.start_run(bron.beschrijving(), "handmatig", os.getpid())
        store.begin_lezing(bron_id, item.id, item.naam, item.link, item.etag, "0" * 64, item.gewijzigd, geeindigd,
                           os.getpid())
        store.eindig_run(geeindigd, "fout", {}, [])
        # A read without a run by this (live) process: not abandoned.
        store.begin_lezing(bron_id, "b.xlsx", "b.xlsx", None, "e", "1" * 64, item.gewijzigd, None, os.getpid())

        run = store.start_run(bron.beschrijving(), "handmatig", os.getpid())
        r = verwerk(store, bron, "folder", run, dt.date(2026, 12, 2), 6, voortgang=False)
        assert (r.tellingen.gelezen, r.tellingen.geaccepteerd, r.tellingen.geweigerd) == (1, 1, 0)
        assert [lezing.item_id for lezing, _ in store.open_lezingen(bron_id)] == ["b.xlsx"]
        assert store.vastgelopen_lezingen() == []
    finally:
        store.close()
