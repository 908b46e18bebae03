"""Each ended quarter reaches the Board exactly once, whatever happens to the service (issue 15).

Real processes (`pmiek serve`, `pmiek report`) on the frozen clock (tests/klok), killed with real
SIGKILL and stopped with real SIGTERM, sending to a real aiosmtpd server on loopback:
- serve killed during the scheduled quarterly job (in its sync, or while the server refuses and
  the sender backs off), then restarted: the due check sends the quarter once;
- SIGTERM while the server answers 451 and the sender backs off: the service exits 0 within
  seconds, the record is "mislukt" (nothing was handed over), the next send delivers once;
- a manual send killed during its backoff: the next manual send records it "mislukt" and sends once.
Each ends with the number of e-mails, no traceback and the Dutch message.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_kwartaal import ROOT, TZ, VOORBEELDEN, omgeving, records

pytestmark = pytest.mark.subprocess

#: Two seconds before the default quarterly schedule fires for 2026Q4 (first Monday of January, 08:00).
VLAK_VOOR = dt.datetime(2027, 1, 4, 7, 59, 58, tzinfo=TZ)
#: The restart, a few minutes later: the job's next run has moved on to April by then.
HERSTART = dt.datetime(2027, 1, 4, 8, 10, tzinfo=TZ)


def config(map_: Path, poort: int, ca: Path, *, kopieen: int = 1, retries: int = 2, basis: float = 0,
           timeout: float = 30) -> Path:
    fiches = map_ / "fiches"
    fiches.mkdir(parents=True, exist_ok=True)
    for i in range(kopieen):
        for pad in sorted(VOORBEELDEN.glob("*.xlsx")):
            shutil.copyfile(pad, fiches / (f"{i:02d}-{pad.name}" if kopieen > 1 else pad.name))
    pad = map_ / "pmiek.toml"
    pad.write_text(textwrap.dedent(f"""\
        [source]
        path = "fiches"
        [store]
        path = "pmiek.sqlite"
        [master]
        path = "master/pMIEK-monitoring.xlsx"
        [sync]
        timezone = "Europe/Amsterdam"
        [report]
        transport = "smtp"
        recipients = ["energy-board@drenthe.nl"]
        sender = "pmiek@drenthe.nl"
        smtp_host = "127.0.0.1"
        smtp_port = {poort}
        smtp_ca_bundle = "{ca}"
        retries = {retries}
        retry_base_seconds = {basis}
        timeout = {timeout}
        """), encoding="utf-8")
    return pad


def db(map_: Path, sql: str) -> list[tuple]:
    pad = map_ / "pmiek.sqlite"
    if not pad.exists():
        return []
    con = sqlite3.connect(pad, timeout=30)
    try:
        return con.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []
    finally:
        con.close()


def wacht_tot(voorwaarde, timeout: float = 120.0) -> None:
    einde = time.monotonic() + timeout
    while time.monotonic() < einde:
        if voorwaarde():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {voorwaarde}")


def serve(pad: Path, moment: dt.datetime) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "pmiek.cli", "serve", "--config", str(pad)], cwd=ROOT,
                            env=omgeving(moment), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def kill(proces: subprocess.Popen) -> str:
    os.kill(proces.pid, signal.SIGKILL)
    _, err = proces.communicate(timeout=30)
    assert proces.returncode == -signal.SIGKILL
    return err


def stop(proces: subprocess.Popen, timeout: float = 60) -> tuple[str, str, float]:
    begin = time.monotonic()
    proces.send_signal(signal.SIGTERM)
    uit, err = proces.communicate(timeout=timeout)
    return uit, err, time.monotonic() - begin


def herstart_stuurt_eenmaal(pad: Path, server) -> None:
    """Restart the service after the quarterly time: the due check sends 2026Q4 once, nothing more."""
    proces = serve(pad, HERSTART)
    try:
        wacht_tot(lambda: any(r["status"] == "verzonden" for r in records(pad)))
        time.sleep(1.0)  # room for a second send, which must not come
    finally:
        uit, err, _ = stop(proces)
    assert proces.returncode == 0, err
    assert "Traceback" not in err and "pMIEK-dienst gestopt" in uit
    assert "quarterly report due and unsent" in err
    assert len(server.berichten) == 1
    assert server.berichten[0].bericht["X-Pmiek-Kwartaal"] == "2026Q4"
    # And a third start, the same week: already sent, nothing due.
    proces = serve(pad, HERSTART + dt.timedelta(hours=2))
    try:
        assert "pMIEK-dienst gestart" in proces.stdout.readline()
        time.sleep(2.0)
    finally:
        _, err, _ = stop(proces)
    assert proces.returncode == 0 and "Traceback" not in err
    assert len(server.berichten) == 1


def test_serve_killed_during_the_quarterly_jobs_sync_sends_once_after_restart(tmp_path, smtp_server, certificaat):
    pad = config(tmp_path, smtp_server.port, certificaat[0], kopieen=12)
    proces = serve(pad, VLAK_VOOR)
    try:
        # The quarterly job fires at 08:00 and syncs first: killed halfway through that sync.
        wacht_tot(lambda: (db(tmp_path, "SELECT count(*) FROM fiche_versies") or [(0,)])[0][0] >= 10)
        err = kill(proces)
    finally:
        if proces.poll() is None:
            proces.kill()
    assert "Traceback" not in err
    assert db(tmp_path, "SELECT status, aanleiding FROM runs") == [("bezig", "gepland")]
    assert records(pad) == [] and smtp_server.berichten == []
    # APScheduler moved the job on when it started: on its own it would wait for April.
    (volgende,) = db(tmp_path, "SELECT next_run_time FROM apscheduler_jobs WHERE id = 'pmiek-kwartaalrapport'")[0]
    assert dt.datetime.fromtimestamp(volgende, TZ).month == 4

    herstart_stuurt_eenmaal(pad, smtp_server)
    (rij,) = records(pad)
    assert rij["status"] == "verzonden" and rij["aanleiding"] == "ingehaald"


def test_serve_killed_while_the_server_refuses_sends_once_after_restart(tmp_path, smtp_server, certificaat):
    pad = config(tmp_path, smtp_server.port, certificaat[0], retries=6, basis=30)
    smtp_server.weiger_tijdelijk = 100
    proces = serve(pad, VLAK_VOOR)
    try:
        wacht_tot(lambda: smtp_server.data_pogingen >= 1)
        wacht_tot(lambda: [r["status"] for r in records(pad)] == ["verzenden"])  # refused: withdrawn again
        err = kill(proces)  # what a service manager does when the stop takes too long
    finally:
        if proces.poll() is None:
            proces.kill()
    assert "Traceback" not in err and smtp_server.berichten == []
    smtp_server.weiger_tijdelijk = 0

    herstart_stuurt_eenmaal(pad, smtp_server)
    eerste, tweede = records(pad)
    # Refused every time: "mislukt", never "controleren" (which would need a person).
    assert eerste["status"] == "mislukt" and "voordat het bericht aan smtp was overgedragen" in eerste["melding"]
    assert tweede["status"] == "verzonden"
    status = subprocess.run([sys.executable, "-m", "pmiek.cli", "status", "--config", str(pad)], cwd=ROOT,
                            env=omgeving(HERSTART), capture_output=True, text=True, timeout=120)
    assert "2026Q4: verzonden via smtp" in status.stdout and "Traceback" not in status.stderr


def test_sigterm_during_backoff_stops_within_seconds_and_records_mislukt(tmp_path, smtp_server, certificaat):
    pad = config(tmp_path, smtp_server.port, certificaat[0], retries=6, basis=30)
    smtp_server.weiger_tijdelijk = 100
    proces = serve(pad, VLAK_VOOR)
    try:
        wacht_tot(lambda: smtp_server.data_pogingen >= 1)
        wacht_tot(lambda: [r["status"] for r in records(pad)] == ["verzenden"])
        time.sleep(0.5)  # into the 30-second pause
        uit, err, duur = stop(proces, timeout=30)
    finally:
        if proces.poll() is None:
            proces.kill()
    assert proces.returncode == 0, err
    assert duur < 5, f"the stop took {duur:.1f}s"
    assert "Traceback" not in err and "pMIEK-dienst gestopt" in uit
    assert smtp_server.data_pogingen == 1 and smtp_server.berichten == []
    (rij,) = records(pad)
    assert rij["status"] == "mislukt"
    assert "Verzenden afgebroken omdat pMIEK stopte" in rij["melding"] and "niets verzonden" in rij["melding"]

    smtp_server.weiger_tijdelijk = 0
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "report", "--quarter", "2026Q4", "--send", "--config",
                        str(pad)], cwd=ROOT, env=omgeving(HERSTART), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Kwartaaloverzicht 2026Q4 verzonden via smtp" in r.stdout
    assert len(smtp_server.berichten) == 1
    assert [x["status"] for x in records(pad)] == ["mislukt", "verzonden"]


def test_sigterm_while_the_server_hangs_stops_within_seconds(tmp_path, smtp_server, certificaat):
    """A server that goes silent (a 60-second timeout configured): the stop shuts the connection
    instead of waiting for the timeout; nothing was handed over, so the record is "mislukt"."""
    pad = config(tmp_path, smtp_server.port, certificaat[0], retries=3, basis=30, timeout=60)
    smtp_server.hangt = 120
    proces = serve(pad, VLAK_VOOR)
    try:
        wacht_tot(lambda: smtp_server.ehlo_pogingen >= 1)
        time.sleep(0.5)
        uit, err, duur = stop(proces, timeout=30)
    finally:
        if proces.poll() is None:
            proces.kill()
    assert proces.returncode == 0, err
    assert duur < 5, f"the stop took {duur:.1f}s"
    assert "Traceback" not in err and "pMIEK-dienst gestopt" in uit
    assert smtp_server.berichten == [] and smtp_server.data_pogingen == 0
    (rij,) = records(pad)
    assert rij["status"] == "mislukt" and "Verzenden afgebroken omdat pMIEK stopte" in rij["melding"]


def test_manual_send_killed_after_refusals_is_mislukt_and_resent_once(tmp_path, smtp_server, certificaat):
    pad = config(tmp_path, smtp_server.port, certificaat[0], retries=6, basis=30)
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(pad)], cwd=ROOT,
                       env=omgeving(HERSTART), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    smtp_server.weiger_tijdelijk = 100
    proces = subprocess.Popen([sys.executable, "-m", "pmiek.cli", "report", "--quarter", "2026Q4", "--send",
                               "--config", str(pad)], cwd=ROOT, env=omgeving(HERSTART),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wacht_tot(lambda: smtp_server.data_pogingen >= 1)
        wacht_tot(lambda: [x["status"] for x in records(pad)] == ["verzenden"])
        kill(proces)
    finally:
        if proces.poll() is None:
            proces.kill()
    smtp_server.weiger_tijdelijk = 0
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "report", "--quarter", "2026Q4", "--send", "--config",
                        str(pad)], cwd=ROOT, env=omgeving(HERSTART), capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and "Kwartaaloverzicht 2026Q4 verzonden via smtp" in r.stdout
    assert len(smtp_server.berichten) == 1
    assert [x["status"] for x in records(pad)] == ["mislukt", "verzonden"]
