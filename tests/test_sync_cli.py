"""`pmiek sync`, `pmiek status` and `pmiek demo` as a user runs them (real processes, real files)."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

pytestmark = pytest.mark.subprocess  # every test here runs pmiek as a process

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))


def pmiek(*args: str, cwd: Path = ROOT, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    import os
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "pmiek.cli", *args], capture_output=True, text=True,
                          timeout=300, cwd=cwd, env=env)


def test_sync_without_config_then_status(tmp_path) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for pad in VOORBEELDEN[:4]:
        shutil.copyfile(pad, fiches / pad.name)
    (fiches / "kapot.xlsx").write_bytes(b"geen werkmap")
    store, master = tmp_path / "s.sqlite", tmp_path / "uit" / "master.xlsx"

    r = pmiek("sync", "--source", str(fiches), "--store", str(store), "--master", str(master))
    assert r.returncode == 0, r.stderr
    assert "5 fiches in de bron, 5 gelezen, 4 geaccepteerd, 1 afgekeurd" in r.stdout
    assert f"Masterwerkboek: {master}" in r.stdout and master.is_file()
    assert "Traceback" not in r.stderr
    # The master lists the four projects and the unreadable file under Datakwaliteit.
    wb = load_workbook(master, read_only=True)
    teksten = {str(c) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for c in row if c}
    assert "kapot.xlsx" in teksten
    wb.close()

    r2 = pmiek("sync", "--source", str(fiches), "--store", str(store), "--master", str(master))
    assert "5 fiches in de bron, 0 gelezen, 0 geaccepteerd, 0 afgekeurd, 5 ongewijzigd" in r2.stdout

    s = pmiek("status", "--store", str(store))
    assert s.returncode == 0
    assert "run 2: geslaagd" in s.stdout and "run 1: geslaagd" in s.stdout
    assert "5 in bron, 5 opgehaald, 5 gelezen, 4 geaccepteerd, 1 afgekeurd" in s.stdout


def test_sync_arguments_are_checked(tmp_path) -> None:
    r = pmiek("sync", "--source", str(tmp_path))
    assert r.returncode == 2 and "--source MAP --store BESTAND|URL --master BESTAND" in r.stderr
    # Against a store that has runs, a missing folder is a failed run that `pmiek status` shows.
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    shutil.copyfile(VOORBEELDEN[0], fiches / "a.xlsx")
    assert pmiek("sync", "--source", str(fiches), "--store", str(tmp_path / "s.sqlite"),
                 "--master", str(tmp_path / "m.xlsx")).returncode == 0
    r = pmiek("sync", "--source", str(tmp_path / "nee"), "--store", str(tmp_path / "s.sqlite"),
              "--master", str(tmp_path / "m.xlsx"))
    assert r.returncode == 2 and "bestaat niet" in r.stderr and "Traceback" not in r.stderr
    s = pmiek("status", "--store", str(tmp_path / "s.sqlite"))
    assert s.returncode == 1  # the last run failed: usable as a health check
    assert "run 2: mislukt" in s.stdout and "De fichemap" in s.stdout and "bestaat niet" in s.stdout
    r = pmiek("status", "--store", str(tmp_path / "nee.sqlite"))
    assert r.returncode == 2 and "bestaat niet" in r.stderr


def test_a_mistyped_source_on_a_fresh_setup_leaves_nothing_behind(tmp_path) -> None:
    data = tmp_path / "data"
    r = pmiek("sync", "--source", str(tmp_path / "fichse"), "--store", str(data / "s.sqlite"),
              "--master", str(tmp_path / "uit" / "m.xlsx"), env_extra={"PMIEK_LOG_LEVEL": ""})
    assert r.returncode == 2
    # The Dutch message stands alone: no English log line in front of it without -v.
    assert r.stderr == f"Fout: De fichemap {tmp_path / 'fichse'} bestaat niet of is geen map.\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no store, no lock file, no folders


def test_the_english_log_line_only_when_asked_for(tmp_path) -> None:
    config = tmp_path / "pmiek.toml"
    config.write_text('[source]\npath = "fiches"\n[sync]\ncron = "0 25 * * *"\n', encoding="utf-8")
    stil = pmiek("sync", "--config", str(config), env_extra={"PMIEK_LOG_LEVEL": ""})
    assert stil.returncode == 2 and stil.stderr.startswith("Fout: Instelling 'sync.cron':")
    assert stil.stderr.count("\n") == 1 and "level=" not in stil.stderr
    for gevraagd in (pmiek("-v", "sync", "--config", str(config)),
                     pmiek("sync", "--config", str(config), env_extra={"PMIEK_LOG_LEVEL": "WARNING"})):
        assert gevraagd.returncode == 2 and "Fout: Instelling 'sync.cron':" in gevraagd.stderr
        assert "level=error" in gevraagd.stderr and "config key 'sync.cron'" in gevraagd.stderr


def test_structured_log_lines_when_not_a_terminal(tmp_path) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    shutil.copyfile(VOORBEELDEN[0], fiches / "a.xlsx")
    r = pmiek("sync", "--source", str(fiches), "--store", str(tmp_path / "s.sqlite"), "--master",
              str(tmp_path / "m.xlsx"), env_extra={"PMIEK_LOG_LEVEL": "INFO"})
    assert r.returncode == 0
    assert "msg=\"fiche version stored\"" in r.stderr and "item='a.xlsx'" in r.stderr and "status='geaccepteerd'" in r.stderr
    assert "msg=\"sync finished\"" in r.stderr and "gelezen=1" in r.stderr
    assert "\r" not in r.stderr  # no progress bar in a pipe


def test_demo_in_a_fresh_folder(tmp_path) -> None:
    doel = tmp_path / "demo"
    r = pmiek("demo", "--dir", str(doel))
    assert r.returncode == 0, r.stderr
    assert f"Demo klaar in {doel}" in r.stdout
    assert f"{len(VOORBEELDEN)} fiches in de bron" in r.stdout
    assert sorted(p.name for p in (doel / "fiches").iterdir()) == [p.name for p in VOORBEELDEN]
    assert (doel / "master" / "pMIEK-monitoring.xlsx").is_file() and (doel / "pmiek.sqlite").is_file()
    # The whole portfolio: fiche and list projects side by side, list plusprojecten among them.
    wb = load_workbook(doel / "master" / "pMIEK-monitoring.xlsx", read_only=True)
    plus = {(rij[0], rij[1], rij[-1]) for rij in wb["Plusprojecten"].iter_rows(min_row=6, values_only=True)}
    assert ("Uitbreiding station Emmen Bargermeer", "IP", 546) in plus
    assert any(t == "Concreet" for _, t, _ in plus) and any(t == "MS-T" for _, t, _ in plus)
    lijst = [rij for rij in wb["Lijstprojecten"].iter_rows(min_row=6, values_only=True) if rij[1]]
    assert any(rij[1] == "VB-1007" and rij[21] == "Niet meer in IP2026" for rij in lijst)
    assert sorted(p.name for p in (doel / "lijsten").iterdir())[0] == "ip_Enexis_IP2024_2024-06-30_voorbeeld.xlsx"
    # The config it wrote works for the next steps it prints.
    s = pmiek("status", "--config", str(doel / "pmiek.toml"))
    # Three earlier quarters, then the current examples: four runs.
    assert s.returncode == 0 and "run 4: geslaagd, demo" in s.stdout and "run 1: geslaagd, demo" in s.stdout
    # ...and the next steps work exactly as printed (`pmiek` itself is not on PATH after demo.sh).
    stappen = r.stdout.split("Probeer daarna:\n", 1)[1].splitlines()
    assert len(stappen) == 2
    for stap in stappen:
        argv = shlex.split(stap.split("   (")[0])
        assert argv[0] != "pmiek" or shutil.which("pmiek"), stap
        uit = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=300, cwd=ROOT)
        assert uit.returncode == 0, (stap, uit.stderr)
    assert "run 5: geslaagd" in pmiek("status", "--config", str(doel / "pmiek.toml")).stdout
    # Not into a folder that holds something.
    r2 = pmiek("demo", "--dir", str(doel))
    assert r2.returncode == 2 and "is niet leeg" in r2.stderr


KLOK = Path(__file__).resolve().parent / "klok"


def _demo_op(tmp_path: Path, moment: str) -> tuple[subprocess.CompletedProcess, Path]:
    """`pmiek demo` with the process's clock at `moment` (tests/klok)."""
    import os
    doel = tmp_path / moment[:10]
    pad = os.pathsep.join(p for p in (str(KLOK), os.environ.get("PYTHONPATH")) if p)
    r = pmiek("demo", "--dir", str(doel), env_extra={"PMIEK_TEST_KLOK": moment, "PYTHONPATH": pad})
    assert r.returncode == 0, r.stderr
    return r, doel


def test_demo_gives_the_same_result_whatever_the_clock_says(tmp_path) -> None:
    """Months before and after the examples' peildatum (15-11-2026): the same four quarters, all
    eleven fiches accepted, the same e-mail of 2026Q4 with quarter-on-quarter changes."""
    uitkomsten = []
    for moment in ("2026-06-01T09:00:00+02:00", "2027-09-20T09:00:00+02:00"):
        r, doel = _demo_op(tmp_path, moment)
        assert "11 fiches in de bron, 11 gelezen, 11 geaccepteerd, 0 afgekeurd" in r.stdout
        # 11 fiche projects and 23 list projects (one IP row is the fiche that names its code).
        assert "Overzicht per 15-11-2026: 34 projecten" in r.stdout
        assert r.stdout.count("Eerder kwartaal ingelezen") == 3
        (html,) = (doel / "outbox").glob("pmiek-kwartaaloverzicht-2026Q4.html")
        tekst = html.read_text(encoding="utf-8")
        assert "nieuw op rood" in tekst and "schoof de prognose op" in tekst and "gerealiseerd" in tekst
        assert "geen projecten" not in tekst
        wb = load_workbook(doel / "master" / "pMIEK-monitoring.xlsx", read_only=True)
        historie = list(wb["Historie"].iter_rows(values_only=True))
        kop = next(rij for rij in historie if rij and rij[0] == "Projectnaam")
        assert kop[2:6] == ("Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026")
        zeijerveen = next(rij for rij in historie if rij and str(rij[0]).startswith("Nieuwbouw station Assen"))
        assert zeijerveen[2:7] == ("Op planning", "Risico op vertraging", "Risico op vertraging", "Vertraagd",
                                   "Verslechterd")
        overzicht = [rij for rij in wb["Overzicht"].iter_rows(values_only=True)]
        uitkomsten.append(tuple(tekst.replace(str(doel), "DEMO") for tekst in
                                [r.stdout.split("Demo klaar")[0]] + [str(rij) for rij in overzicht[3:]]))
    assert uitkomsten[0] == uitkomsten[1]


def test_master_published_to_a_folder(tmp_path) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    shutil.copyfile(VOORBEELDEN[0], fiches / "a.xlsx")
    config = tmp_path / "pmiek.toml"
    config.write_text('[source]\npath = "fiches"\n[master]\npath = "lokaal/master.xlsx"\npublish = "folder"\n'
                      'publish_folder = "share/monitoring"\n', encoding="utf-8")
    r = pmiek("sync", "--config", str(config))
    assert r.returncode == 0, r.stderr
    gedeeld = tmp_path / "share" / "monitoring" / "master.xlsx"
    assert gedeeld.read_bytes() == (tmp_path / "lokaal" / "master.xlsx").read_bytes()
    assert f"Master gepubliceerd in {gedeeld}" in r.stdout
