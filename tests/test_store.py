"""The store on a real SQLite file: schema versions and upgrades, WAL, append-only versions."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import text

from fiche.errors import InputError
from sync.config import sqlite_url
from sync.store import SCHEMA_VERSIE, dumps, huidige_versie, loads, maak_engine, open_store, upgrade
from fiche.stoplicht import Stoplicht


def test_new_store_is_current_and_in_wal_mode(tmp_path) -> None:
    pad = tmp_path / "pmiek.sqlite"
    store = open_store(sqlite_url(pad))
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
    finally:
        store.close()
    con = sqlite3.connect(pad)
    try:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tabellen = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"bronnen", "delta_cursors", "bestanden", "fiche_versies", "runs", "pmiek_schema_versie"} <= tabellen
        assert [r[0] for r in con.execute("SELECT versie FROM pmiek_schema_versie ORDER BY versie")] == list(
            range(1, SCHEMA_VERSIE + 1))
    finally:
        con.close()


def test_upgrade_from_version_1_keeps_the_data(tmp_path) -> None:
    url = sqlite_url(tmp_path / "oud.sqlite")
    engine = maak_engine(url)
    assert upgrade(engine, tot=1) == 1
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bronnen (sleutel, soort, aangemaakt) VALUES ('folder /x', 'folder', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO fiche_versies (bron_id, item_id, naam, status, geaccepteerd, gewijzigd, ontvangen, bevindingen,"
            " project_sleutel) VALUES (1, 'a.xlsx', 'a.xlsx', 'geaccepteerd', 1, '2026-01-02', '2026-01-02', '[]', 'p')"))
        indexen = {r[1] for r in conn.execute(text("PRAGMA index_list('fiche_versies')"))}
    assert "ix_versies_project" not in indexen
    engine.dispose()

    store = open_store(url)  # upgrades to the current version
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM fiche_versies WHERE geaccepteerd")).scalar() == 1
            indexen = {r[1] for r in conn.execute(text("PRAGMA index_list('fiche_versies')"))}
        assert {"ix_versies_project", "ix_versies_item"} <= indexen
    finally:
        store.close()


def test_store_from_a_newer_version_is_refused(tmp_path) -> None:
    url = sqlite_url(tmp_path / "nieuw.sqlite")
    open_store(url).close()
    engine = maak_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pmiek_schema_versie (versie, toegepast) VALUES (:v, '2030-01-01')"),
                     {"v": SCHEMA_VERSIE + 1})
    engine.dispose()
    with pytest.raises(InputError) as e:
        open_store(url)
    assert "nieuwere pMIEK Monitor" in e.value.melding


def test_not_a_database_gives_a_dutch_message(tmp_path) -> None:
    pad = tmp_path / "geen.sqlite"
    pad.write_bytes(b"dit is geen database" * 100)
    from fiche.errors import PmiekError
    with pytest.raises(PmiekError) as e:
        open_store(sqlite_url(pad))
    assert "kan niet worden geopend" in e.value.melding


def test_interrupted_run_is_marked_by_the_next(tmp_path) -> None:
    store = open_store(sqlite_url(tmp_path / "s.sqlite"))
    try:
        eerste = store.start_run("folder /x", "handmatig", 123)
        tweede = store.start_run("folder /x", "handmatig", 456)
        store.eindig_run(tweede, "ok", {"gezien": 3}, [])
        runs = {r.id: r for r in store.runs()}
        assert runs[eerste].status == "afgebroken" and "onderbroken" in runs[eerste].melding
        assert runs[tweede].status == "ok" and runs[tweede].gezien == 3 and runs[tweede].einde is not None
    finally:
        store.close()


def test_json_round_trip_keeps_dates_and_lights() -> None:
    waarde = {"d": dt.date(2031, 1, 1), "t": dt.datetime(2026, 1, 1, 8, tzinfo=dt.timezone.utc),
              "licht": Stoplicht.RISICO, "lijst": [dt.date(2030, 2, 3)], "tekst": "2031-01-01"}
    terug = loads(dumps(waarde))
    assert terug == {**waarde, "licht": "Risico op vertraging"}
    assert isinstance(terug["tekst"], str)


def test_cursor_round_trip(tmp_path) -> None:
    store = open_store(sqlite_url(tmp_path / "s.sqlite"))
    try:
        bron = store.bron_id("sharepoint drive x", "sharepoint")
        assert store.bron_id("sharepoint drive x", "sharepoint") == bron
        assert store.cursor(bron) is None
        store.zet_cursor(bron, "https://graph/delta?token=1")
        store.zet_cursor(bron, "https://graph/delta?token=2")
        assert store.cursor(bron) == "https://graph/delta?token=2"
    finally:
        store.close()
