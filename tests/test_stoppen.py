"""A manual `pmiek sync` stopped with SIGTERM or Ctrl+C (real signals to a real process, issue 15):
its run is recorded "afgebroken" at once (not left "bezig"), the Dutch message says what happened,
the exit code is 128 + the signal (143 for SIGTERM, 130 for Ctrl+C), and the next run completes it."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest
from test_serve import ROOT, VOORBEELDEN, _pmiek, db, maak_omgeving, runs, wacht_tot

pytestmark = pytest.mark.subprocess


@pytest.mark.parametrize(("signaal", "code", "naam"),
                         [(signal.SIGTERM, 143, "SIGTERM"), (signal.SIGINT, 130, "Ctrl+C")])
def test_manual_sync_stopped_is_afgebroken_and_says_so(tmp_path, signaal, code, naam) -> None:
    config = maak_omgeving(tmp_path, kopieen=30)
    totaal = 30 * len(VOORBEELDEN)
    proces = _pmiek("sync", "--config", str(config))
    try:
        wacht_tot(lambda: (db(tmp_path, "SELECT count(*) FROM fiche_versies") or [(0,)])[0][0] >= 20,
                  timeout=120, stap=0.01)
        proces.send_signal(signaal)
        _, err = proces.communicate(timeout=30)
    finally:
        if proces.poll() is None:
            proces.kill()
            proces.wait()
    assert proces.returncode == code, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert f"Synchronisatie afgebroken ({naam}), run 1" in err and "de volgende synchronisatie maakt het af" in err
    assert runs(tmp_path) == [(1, "afgebroken", "handmatig")]  # recorded by the run itself, not left "bezig"
    gelezen = len(db(tmp_path, "SELECT id FROM fiche_versies"))
    assert gelezen < totaal, "the stop must land in the middle of the run"

    status = subprocess.run([sys.executable, "-m", "pmiek.cli", "status", "--config", str(config)],
                            capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert "run 1: afgebroken" in status.stdout
    assert "De synchronisatie is afgebroken (gestopt met Ctrl+C of SIGTERM)" in status.stdout

    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(config)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert len({row[0] for row in db(tmp_path, "SELECT item_id FROM fiche_versies")}) == totaal
    assert [row[1] for row in runs(tmp_path)] == ["afgebroken", "ok"]
    assert not list((tmp_path / "master").glob(".*.tmp"))
