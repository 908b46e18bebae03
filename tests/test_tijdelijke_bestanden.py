"""Temp files a killed process leaves are swept from every folder the service writes (issue 15):
the master's folder, the publish folder and the outbox; only our own recognisable names
(`.NAME.RANDOM.pmiek.tmp`), never a user's file. A real process killed with SIGKILL at the rename."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fiche.bestanden import TIJDELIJK_ACHTERVOEGSEL, atomisch_schrijven, veeg_tijdelijke

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))

KILL_BIJ_RENAME = """
import os, signal, sys
def hook(event, args):
    if event == "os.rename" and str(args[1]).endswith(sys.argv[1]):
        os.kill(os.getpid(), signal.SIGKILL)  # the temp file is written, the rename never happens
sys.addaudithook(hook)
from pmiek.cli import main
sys.exit(main(sys.argv[2:]))
"""


def oud_maken(pad: Path, seconden: float = 3600) -> None:
    moment = time.time() - seconden
    os.utime(pad, (moment, moment))


def test_sweep_removes_only_our_stale_temp_files(tmp_path) -> None:
    atomisch_schrijven(tmp_path / "m.xlsx", b"inhoud")
    assert [p.name for p in tmp_path.iterdir()] == ["m.xlsx"]  # no temp file after a normal write
    ons_oud = tmp_path / f".m.xlsx.k3j4h5{TIJDELIJK_ACHTERVOEGSEL}"
    ons_nieuw = tmp_path / f".m.xlsx.a1b2c3{TIJDELIJK_ACHTERVOEGSEL}"
    gebruiker = [tmp_path / ".notities.tmp", tmp_path / "rapport.tmp", tmp_path / "pmiek.tmp",
                 tmp_path / f"kopie{TIJDELIJK_ACHTERVOEGSEL}"]
    for pad in [ons_oud, ons_nieuw, *gebruiker]:
        pad.write_bytes(b"x")
        oud_maken(pad)
    oud_maken(ons_nieuw, 5)  # a writer busy right now
    assert veeg_tijdelijke(tmp_path) == [ons_oud]
    assert ons_nieuw.exists() and all(p.exists() for p in gebruiker)


@pytest.mark.subprocess
def test_a_killed_sync_leaves_temp_files_that_the_service_sweeps(tmp_path) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for voorbeeld in VOORBEELDEN:
        shutil.copyfile(voorbeeld, fiches / voorbeeld.name)
    publiceer = tmp_path / "share"
    config = tmp_path / "pmiek.toml"
    config.write_text(
        '[source]\npath = "fiches"\n[store]\npath = "pmiek.sqlite"\n'
        f'[master]\npath = "master/m.xlsx"\npublish = "folder"\npublish_folder = "{publiceer}"\n'
        '[report]\ntransport = "outbox"\noutbox = "outbox"\n', encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    r = subprocess.run([sys.executable, "-c", KILL_BIJ_RENAME, "m.xlsx", "sync", "--config", str(config)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert r.returncode == -signal.SIGKILL, r.stderr
    achtergelaten = list((tmp_path / "master").glob(f".m.xlsx.*{TIJDELIJK_ACHTERVOEGSEL}"))
    assert len(achtergelaten) == 1  # what the kill left, recognisably ours
    # What earlier kills left in the publish folder and the outbox, and files of users there.
    (tmp_path / "outbox").mkdir()
    publiceer.mkdir()
    oud = [publiceer / f".m.xlsx.q8w7e6{TIJDELIJK_ACHTERVOEGSEL}",
           tmp_path / "outbox" / f".2026Q4-0123abcd.eml.z9x8c7{TIJDELIJK_ACHTERVOEGSEL}", *achtergelaten]
    gebruiker = [publiceer / ".notities.tmp", publiceer / "concept.tmp", tmp_path / "outbox" / "lees-mij.txt"]
    for pad in oud + gebruiker:
        pad.write_bytes(b"x") if not pad.exists() else None
        oud_maken(pad)

    dienst = subprocess.Popen([sys.executable, "-m", "pmiek.cli", "serve", "--config", str(config)], cwd=ROOT,
                              env={**env, "PMIEK_LOG_LEVEL": "INFO"}, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        assert "pMIEK-dienst gestart" in dienst.stdout.readline()
        dienst.send_signal(signal.SIGTERM)
        _, err = dienst.communicate(timeout=60)
    finally:
        if dienst.poll() is None:
            dienst.kill()
            dienst.wait()
    assert dienst.returncode == 0 and "Traceback" not in err
    assert "stale temp files removed" in err
    assert not any(p.exists() for p in oud)
    assert all(p.exists() for p in gebruiker)

    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "sync", "--config", str(config)],
                       capture_output=True, text=True, timeout=300, cwd=ROOT, env=env)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in publiceer.iterdir()) == sorted([".notities.tmp", "concept.tmp", "m.xlsx"])
    assert [p.name for p in (tmp_path / "master").iterdir() if p.name.endswith(".tmp")] == []
