"""The service: the real APScheduler on the real job store (SQLite, and PostgreSQL through
`store_url` for the job store, lock and kill tests), real processes and signals.

- a run missed while the service was down (across the autumn DST change) is caught up once,
  not dropped and not doubled;
- a second service on the same store is refused, a manual sync beside it still works, SIGTERM
  stops the service cleanly;
- a sync killed with SIGKILL halfway is followed by a clean run that loses nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fiche.errors import ConfigError
from sync.config import laad_config
from sync.dienst import serve

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))
AMS = ZoneInfo("Europe/Amsterdam")


def maak_omgeving(tmp_path: Path, cron: str = "0 7 * * *", kopieen: int = 1, store: str | None = None) -> Path:
    """Fiches and a config in `tmp_path`; `store` a database URL (default: pmiek.sqlite there)."""
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    stempel = dt.datetime(2026, 10, 20, 9, tzinfo=AMS).timestamp()
    for i in range(kopieen):
        for pad in VOORBEELDEN:
            doel = fiches / (f"{i:03d}-{pad.name}" if kopieen > 1 else pad.name)
            shutil.copyfile(pad, doel)
            os.utime(doel, (stempel, stempel))
    config = tmp_path / "pmiek.toml"
    opslag = f'url = "{store}"' if store else 'path = "pmiek.sqlite"'
    config.write_text(
        f'[source]\npath = "fiches"\n[store]\n{opslag}\n[master]\npath = "master/master.xlsx"\n'
        f'[sync]\ncron = "{cron}"\ntimezone = "Europe/Amsterdam"\n', encoding="utf-8")
    return config


def db(tmp_path: Path, sql: str) -> list[tuple]:
    """Rows of `sql` on the store of the config in `tmp_path` ([] while the table is missing)."""
    config = laad_config(tmp_path / "pmiek.toml")
    url = config.store_url
    if url.startswith("postgresql"):
        from sqlalchemy import create_engine, text
        from sqlalchemy.exc import ProgrammingError
        from sqlalchemy.pool import NullPool

        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return [tuple(r) for r in conn.execute(text(sql))]
        except ProgrammingError:  # table not created yet
            return []
        finally:
            engine.dispose()
    pad = config.store_path
    if pad is None or not pad.exists():
        return []
    con = sqlite3.connect(pad, timeout=30)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:  # table not created yet
        return []
    finally:
        con.close()


def wacht_tot(voorwaarde, timeout: float = 60.0, stap: float = 0.05) -> None:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        if voorwaarde():
            return
        time.sleep(stap)
    raise AssertionError(f"timed out after {timeout}s waiting for {voorwaarde}")


def volgende_run(tmp_path: Path) -> dt.datetime | None:
    rows = db(tmp_path, "SELECT next_run_time FROM apscheduler_jobs WHERE id = 'pmiek-sync'")
    if not rows or rows[0][0] is None:
        return None
    return dt.datetime.fromtimestamp(rows[0][0], AMS)


def runs(tmp_path: Path) -> list[tuple]:
    return db(tmp_path, "SELECT id, status, aanleiding FROM runs ORDER BY id")


class Dienst:
    """`serve` in a thread (signals are for the main thread; a stop event does the same)."""

    def __init__(self, config_pad: Path) -> None:
        self.stop = threading.Event()
        self.fout: BaseException | None = None
        self.thread = threading.Thread(target=self._run, args=(laad_config(config_pad),), daemon=True)

    def _run(self, config) -> None:
        try:
            serve(config, self.stop)
        except BaseException as exc:  # noqa: BLE001 - reported by stoppen()
            self.fout = exc

    def __enter__(self) -> "Dienst":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()
        if self.fout is not None:
            raise self.fout


def test_missed_run_is_caught_up_once_across_dst(tmp_path, store_url) -> None:
    config = maak_omgeving(tmp_path, cron="0 7 * * *", store=store_url)

    # Saturday 24 October 2026, 06:00 summer time: the service starts; the 07:00 run is ahead.
    with time_machine.travel(dt.datetime(2026, 10, 24, 6, 0, tzinfo=AMS), tick=True):
        with Dienst(config):
            wacht_tot(lambda: volgende_run(tmp_path) is not None)
            assert volgende_run(tmp_path) == dt.datetime(2026, 10, 24, 7, 0, tzinfo=AMS)
            assert volgende_run(tmp_path).utcoffset() == dt.timedelta(hours=2)
    assert runs(tmp_path) == []

    # Down over the weekend (the clocks go back on Sunday 25 October); back on Monday 10:00.
    # Three runs were missed (Sat, Sun, Mon 07:00): exactly one catch-up run, at start-up.
    with time_machine.travel(dt.datetime(2026, 10, 26, 10, 0, tzinfo=AMS), tick=True):
        with Dienst(config):
            wacht_tot(lambda: [r[1] for r in runs(tmp_path)] == ["ok"])
            time.sleep(1.5)  # room for a wrong second run to show up
            assert [(r[1], r[2]) for r in runs(tmp_path)] == [("ok", "gepland")]
            volgende = volgende_run(tmp_path)
            assert volgende == dt.datetime(2026, 10, 27, 7, 0, tzinfo=AMS)
            assert volgende.utcoffset() == dt.timedelta(hours=1)  # winter time now
    assert (tmp_path / "master" / "master.xlsx").is_file()

    # A restart later that morning does not run it again.
    with time_machine.travel(dt.datetime(2026, 10, 26, 10, 30, tzinfo=AMS), tick=True):
        with Dienst(config):
            time.sleep(2.0)
            assert len(runs(tmp_path)) == 1
            assert volgende_run(tmp_path) == dt.datetime(2026, 10, 27, 7, 0, tzinfo=AMS)


def test_changed_cron_keeps_a_pending_catch_up(tmp_path, store_url) -> None:
    config = maak_omgeving(tmp_path, cron="0 7 * * *", store=store_url)
    with time_machine.travel(dt.datetime(2026, 3, 27, 6, 0, tzinfo=AMS), tick=True):
        with Dienst(config):
            wacht_tot(lambda: volgende_run(tmp_path) is not None)
    # The operator changes the schedule while the service is down (and DST starts on 29 March).
    config.write_text(config.read_text().replace('cron = "0 7 * * *"', 'cron = "15 8 * * 1-5"'))
    with time_machine.travel(dt.datetime(2026, 3, 30, 9, 0, tzinfo=AMS), tick=True):
        with Dienst(config):
            wacht_tot(lambda: [r[1] for r in runs(tmp_path)] == ["ok"])
            time.sleep(1.0)
            assert len(runs(tmp_path)) == 1
            assert volgende_run(tmp_path) == dt.datetime(2026, 3, 31, 8, 15, tzinfo=AMS)


def test_changed_cron_or_time_zone_takes_effect_at_the_next_start(tmp_path) -> None:
    config = maak_omgeving(tmp_path, cron="0 7 1 1,4,7,10 *")  # quarterly: next run on 1 January
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 0, tzinfo=AMS), tick=True):
        with Dienst(config):
            wacht_tot(lambda: volgende_run(tmp_path) is not None)
            assert volgende_run(tmp_path) == dt.datetime(2027, 1, 1, 7, 0, tzinfo=AMS)
    # The operator wants it daily: not from 1 January on, but from tomorrow.
    config.write_text(config.read_text().replace('cron = "0 7 1 1,4,7,10 *"', 'cron = "30 6 * * *"'))
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 5, tzinfo=AMS), tick=True):
        with Dienst(config):
            time.sleep(1.0)
            assert volgende_run(tmp_path) == dt.datetime(2026, 12, 1, 6, 30, tzinfo=AMS)
            assert runs(tmp_path) == []  # a new schedule is no missed run
    # Only the time zone changes: 06:30 in New York is 12:30 in Amsterdam.
    config.write_text(config.read_text().replace('timezone = "Europe/Amsterdam"', 'timezone = "America/New_York"'))
    with time_machine.travel(dt.datetime(2026, 11, 30, 9, 10, tzinfo=AMS), tick=True):
        with Dienst(config):
            time.sleep(1.0)
            assert volgende_run(tmp_path) == dt.datetime(2026, 11, 30, 12, 30, tzinfo=AMS)


@pytest.mark.parametrize("wijziging, sleutel", [
    (lambda tmp, tekst: (shutil.rmtree(tmp / "fiches"), tekst)[1], "source.path"),
    (lambda tmp, tekst: ((tmp / "master" / "master.xlsx").mkdir(parents=True), tekst)[1], "master.path"),
    (lambda tmp, tekst: tekst + '[report]\ntransport = "smtp"\nsmtp_host = "smtp.example.nl"\n'
     'recipients = ["eb@example.nl"]\nsender = "pmiek@example.nl"\nsmtp_user_env = "PMIEK_TEST_GEEN_USER"\n',
     "report.smtp_user_env"),
    (lambda tmp, tekst: tekst.replace('[source]\npath = "fiches"\n',
     '[source]\ntype = "sharepoint"\ntenant_id = "t"\nclient_id = "c"\nsite = "x.sharepoint.com:/sites/p"\n'
     'folder = "Fiches"\nsecret_env = "PMIEK_TEST_GEEN_GEHEIM"\n'), "source.secret_env"),
    (lambda tmp, tekst: tekst.replace('[source]\npath = "fiches"\n',
     '[source]\ntype = "sharepoint"\ntenant_id = "t"\nclient_id = "c"\nsite = "x.sharepoint.com:/sites/p"\n'
     'folder = "Fiches"\ncertificate = "geen.pem"\ncertificate_thumbprint = "AB12"\n'), "source.certificate"),
], ids=["no-fiche-folder", "master-is-a-folder", "no-smtp-login", "no-client-secret", "no-certificate"])
def test_serve_refuses_to_start_with_a_config_that_cannot_work(tmp_path, monkeypatch, wijziging, sleutel) -> None:
    monkeypatch.delenv("PMIEK_TEST_GEEN_USER", raising=False)
    monkeypatch.delenv("PMIEK_TEST_GEEN_GEHEIM", raising=False)
    config = maak_omgeving(tmp_path)
    config.write_text(wijziging(tmp_path, config.read_text()), encoding="utf-8")
    with pytest.raises(ConfigError) as fout:
        serve(laad_config(config), threading.Event())
    assert fout.value.key == sleutel and fout.value.melding.startswith(f"Instelling '{sleutel}'")
    assert runs(tmp_path) == [] and volgende_run(tmp_path) is None  # nothing was started


def _pmiek(*args: str, **kwargs) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PMIEK_LOG_LEVEL": "INFO"}
    return subprocess.Popen([sys.executable, "-m", "pmiek.cli", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT, **kwargs)


@pytest.mark.subprocess
def test_second_service_refused_sync_beside_it_and_sigterm_stops(tmp_path, store_url) -> None:
    config = maak_omgeving(tmp_path, cron="0 7 * * 1-5", store=store_url)
    eerste = _pmiek("serve", "--config", str(config))
    try:
        regel = eerste.stdout.readline()
        assert "pMIEK-dienst gestart" in regel, regel + eerste.stderr.read() if eerste.poll() is not None else regel

        tweede = subprocess.run([sys.executable, "-m", "pmiek.cli", "serve", "--config", str(config)],
                                capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert tweede.returncode == 2
        assert "Er draait al een pMIEK-dienst op deze database" in tweede.stderr
        assert "Traceback" not in tweede.stderr

        # A manual run beside the service is fine: it takes the run lock, not the service lock.
        handmatig = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(config)],
                                   capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert handmatig.returncode == 0, handmatig.stderr
        assert "11 geaccepteerd" in handmatig.stdout

        eerste.send_signal(signal.SIGTERM)
        uit, err = eerste.communicate(timeout=60)
        assert eerste.returncode == 0, err
        assert "pMIEK-dienst gestopt" in uit and "Traceback" not in err
    finally:
        if eerste.poll() is None:
            eerste.kill()
            eerste.wait()
    # The lock went with the process: a new service starts.
    opnieuw = _pmiek("serve", "--config", str(config))
    try:
        assert "pMIEK-dienst gestart" in opnieuw.stdout.readline()
    finally:
        opnieuw.send_signal(signal.SIGTERM)
        opnieuw.communicate(timeout=60)
    assert opnieuw.returncode == 0


@pytest.mark.subprocess
def test_sigkill_mid_sync_then_a_clean_run_loses_nothing(tmp_path, store_url) -> None:
    config = maak_omgeving(tmp_path, kopieen=30, store=store_url)
    totaal = 30 * len(VOORBEELDEN)
    proces = _pmiek("sync", "--config", str(config))
    try:
        wacht_tot(lambda: (db(tmp_path, "SELECT count(*) FROM fiche_versies") or [(0,)])[0][0] >= 20,
                  timeout=120, stap=0.01)
        os.kill(proces.pid, signal.SIGKILL)
        proces.communicate(timeout=30)
    finally:
        if proces.poll() is None:
            proces.kill()
    assert proces.returncode == -signal.SIGKILL
    voor = db(tmp_path, "SELECT id, item_id, content_hash FROM fiche_versies ORDER BY id")
    assert 20 <= len(voor) < totaal, "the kill must land in the middle of the run"
    assert runs(tmp_path) == [(1, "bezig", "handmatig")]
    # A kill that lands while a file is being read leaves its "reading" record: the next run
    # refuses that version unread (issue 13: a file that takes the reader down is not read twice).
    onderbroken = len(db(tmp_path, "SELECT id FROM lezingen"))
    assert onderbroken <= 1

    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(config)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert f"{totaal} fiches in de bron, {totaal - len(voor) - onderbroken} gelezen" in r.stdout

    na = db(tmp_path, "SELECT id, item_id, content_hash FROM fiche_versies ORDER BY id")
    assert na[:len(voor)] == voor  # nothing stored before the kill was lost or rewritten
    assert len(na) == totaal and len({row[1] for row in na}) == totaal  # every file once
    assert [row[1] for row in runs(tmp_path)] == ["afgebroken", "ok"]
    assert (tmp_path / "master" / "master.xlsx").is_file()
    assert not list((tmp_path / "master").glob(".*.tmp"))

    status = subprocess.run([sys.executable, "-m", "pmiek.cli", "status", "--config", str(config)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert status.returncode == 0
    assert "run 1: afgebroken" in status.stdout and "run 2: geslaagd" in status.stdout


@pytest.mark.subprocess
def test_ctrl_c_stops_the_service_cleanly(tmp_path) -> None:
    config = maak_omgeving(tmp_path)
    dienst = _pmiek("serve", "--config", str(config))
    try:
        assert "pMIEK-dienst gestart" in dienst.stdout.readline()
        dienst.send_signal(signal.SIGINT)  # what a Windows service wrapper sends as Ctrl+C
        uit, err = dienst.communicate(timeout=60)
    finally:
        if dienst.poll() is None:
            dienst.kill()
            dienst.wait()
    assert dienst.returncode == 0 and "pMIEK-dienst gestopt" in uit
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
