"""One store shared by several processes, on both backends (`store_url`): two `pmiek sync`
processes started at once never both write (the run lock: a lock file beside SQLite, an advisory
lock in PostgreSQL), and a store URL with a password in it is refused before anything runs.
(Two services on one store: tests/test_serve.py, parametrised the same way.)"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pgserver
import pytest
from sqlalchemy import text

from fiche.errors import ConfigError, InputError
from sync.config import config_uit_dict, store_uit_argument
from sync.store import open_store

ROOT = Path(__file__).resolve().parent.parent
VOORBEELDEN = sorted((ROOT / "workbook_templates" / "examples").glob("*.xlsx"))


def _sync(fiches: Path, store: str, master: Path) -> subprocess.Popen:
    env = {**os.environ, "PMIEK_LOG_LEVEL": "INFO", "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "pmiek.cli", "sync", "--source", str(fiches), "--store", store,
                             "--master", str(master), "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT, env=env)


@pytest.mark.subprocess
def test_two_syncs_started_at_once_never_both_write(tmp_path, store_url) -> None:
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for i in range(8):  # enough work that the second process starts while the first is busy
        for pad in VOORBEELDEN:
            shutil.copyfile(pad, fiches / f"{i}-{pad.name}")
    totaal = 8 * len(VOORBEELDEN)
    master = tmp_path / "uit" / "master.xlsx"

    processen = [_sync(fiches, store_url, master) for _ in range(2)]
    uitvoer = [p.communicate(timeout=300) for p in processen]
    for p, (uit, err) in zip(processen, uitvoer):
        # Both exit as documented: the one that waited for the run lock then runs, finding nothing new.
        assert p.returncode == 0, err
        assert "Traceback" not in err
        assert pgserver.WACHTWOORD not in uit + err  # the password (PGPASSWORD) is never logged
    # They did run at the same time: exactly one found the run lock taken and waited for it.
    assert sum("waiting for the run lock" in err for _, err in uitvoer) == 1, [err for _, err in uitvoer]
    regels = sorted(next(r for r in uit.splitlines() if r.startswith("Synchronisatie klaar")) for uit, _ in uitvoer)
    assert any(f"{totaal} fiches in de bron, {totaal} gelezen" in r for r in regels), regels
    assert any(f"{totaal} fiches in de bron, 0 gelezen" in r and f"{totaal} ongewijzigd" in r for r in regels), regels

    store = open_store(store_url, alleen_lezen=True)
    try:
        runs = sorted(store.runs(), key=lambda r: r.start)
        assert [r.status for r in runs] == ["ok", "ok"]
        # One after the other: the second run began (took the lock) after the first had ended.
        assert runs[0].einde is not None and runs[0].einde <= runs[1].start
        assert sorted(r.gelezen for r in runs) == [0, totaal]
        with store.engine.connect() as conn:
            per_bestand = conn.execute(text("SELECT item_id, count(*) FROM fiche_versies GROUP BY item_id")).all()
        assert len(per_bestand) == totaal and {n for _, n in per_bestand} == {1}  # no duplicate versions
    finally:
        store.close()
    assert master.is_file()


@pytest.mark.parametrize("url", [
    "postgresql+psycopg://pmiek:Geheim-123@db.example.nl:5432/pmiek",
    "postgresql+psycopg://pmiek@db.example.nl/pmiek?password=Geheim-123",
])
def test_a_store_url_with_a_password_is_refused_naming_the_key_or_option(tmp_path, url) -> None:
    with pytest.raises(ConfigError) as e:
        config_uit_dict({"source": {"path": "fiches"}, "store": {"url": url}}, tmp_path)
    assert e.value.key == "store.url" and "PGPASSWORD" in e.value.melding and ".pgpass" in e.value.melding
    assert "Geheim-123" not in e.value.melding + str(e.value)

    with pytest.raises(InputError) as e2:
        store_uit_argument(url)
    assert e2.value.melding.startswith("Optie --store: de database-URL bevat een wachtwoord")
    assert "Geheim-123" not in e2.value.melding + str(e2.value)


def test_the_cli_refuses_a_password_on_the_command_line(tmp_path, capsys) -> None:
    from pmiek.cli import main

    url = "postgresql+psycopg://pmiek:Geheim-123@127.0.0.1:1/pmiek"
    for args in (["status", "--store", url],
                 ["sync", "--source", str(tmp_path), "--store", url, "--master", str(tmp_path / "m.xlsx")],
                 ["report", "--preview", str(tmp_path / "p"), "--quarter", "2026Q3", "--store", url]):
        assert main(args) == 2
        err = capsys.readouterr().err
        assert "Optie --store: de database-URL bevat een wachtwoord" in err and "Geheim-123" not in err
    assert list(tmp_path.iterdir()) == []  # refused before anything was made


def test_other_databases_are_refused(tmp_path) -> None:
    with pytest.raises(InputError) as e:
        store_uit_argument("mssql+pymssql://u@h/db")
    assert e.value.melding.startswith("Optie --store:")


def test_status_reads_a_postgresql_store_given_as_url(postgres_url, tmp_path, capsys) -> None:
    from pmiek.cli import main

    assert main(["status", "--store", postgres_url]) == 2  # an empty database is no store yet
    assert "geen pMIEK-database" in capsys.readouterr().err
    store = open_store(postgres_url)
    try:
        run = store.start_run("folder /x", "handmatig", 1)
        store.eindig_run(run, "ok", {"gezien": 2}, [])
    finally:
        store.close()
    assert main(["status", "--store", postgres_url]) == 0
    assert "run 1: geslaagd, handmatig" in capsys.readouterr().out


@pytest.mark.subprocess
def test_two_senders_at_once_send_the_quarter_once(tmp_path, store_url) -> None:
    """The quarterly record holds under concurrency: two `pmiek report --send` processes started
    together; one sends, the other waits for the report lock and then finds the quarter sent."""
    from test_kwartaal import maak_config, omgeving, records, sync

    pad = maak_config(tmp_path, store=store_url)
    sync(pad)
    processen = [subprocess.Popen([sys.executable, "-m", "pmiek.cli", "report", "--quarter", "2026Q4", "--send",
                                   "--config", str(pad)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  cwd=ROOT, env=omgeving()) for _ in range(2)]
    uitvoer = [(p, *p.communicate(timeout=300)) for p in processen]
    assert sorted(p.returncode for p, _, _ in uitvoer) == [0, 2], [err for _, _, err in uitvoer]
    geweigerd = next(err for p, _, err in uitvoer if p.returncode == 2)
    assert "Het kwartaaloverzicht 2026Q4 is al verzonden" in geweigerd and "Traceback" not in geweigerd
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 1
    assert [(r["kwartaal"], r["status"]) for r in records(pad)] == [("2026Q4", "verzonden")]


def test_an_unreachable_postgresql_store_is_a_dutch_message_not_a_traceback(tmp_path, capsys) -> None:
    from pmiek.cli import main

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        poort = s.getsockname()[1]
    url = f"postgresql+psycopg://pmiek@127.0.0.1:{poort}/pmiek"
    (tmp_path / "fiches").mkdir()
    code = main(["sync", "--source", str(tmp_path / "fiches"), "--store", url, "--master", str(tmp_path / "m.xlsx")])
    err = capsys.readouterr().err
    assert code != 0 and f"De database postgresql+psycopg://pmiek@127.0.0.1:{poort}/pmiek is niet bereikbaar" in err
    assert "Traceback" not in err
    assert main(["status", "--store", url]) != 0
    err = capsys.readouterr().err
    assert "is niet bereikbaar" in err and "Traceback" not in err
