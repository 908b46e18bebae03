"""The reporting views for Power BI and Excel (sync.rapportage_schema, sync.rapportagetabellen):
filled by a real sync on SQLite and PostgreSQL with what the snapshot says, unchanged rows not
rewritten, a sent quarter in the history as frozen, the documented columns, a PostgreSQL role
that reads the views and nothing else, a SQLite store opened read-only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import sqlite3
from pathlib import Path

import psycopg
import pytest
import time_machine
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from fiche.stoplicht import Stoplicht
from pmiek.cli import main
from sync import rapportage_schema as rs
from sync.config import laad_config
from sync.kwartaal import rapportage as kr
from sync.regels import capaciteit
from sync.store import open_store
from sync.synchronisatie import sync_eenmalig
from test_kwartaal import TZ, maak_config

ROOT = Path(__file__).resolve().parents[1]


def _config(tmp_path: Path, url: str):
    config = laad_config(maak_config(tmp_path))
    u = make_url(url)
    pad = Path(u.database) if u.get_backend_name() == "sqlite" else None
    return dataclasses.replace(config, store_url=url, store_path=pad)


def _rijen(url: str, sql: str) -> list[dict]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text(sql)).mappings()]
    finally:
        engine.dispose()


def _datum(waarde) -> dt.date:
    return waarde if isinstance(waarde, dt.date) else dt.date.fromisoformat(waarde)


def test_views_show_the_snapshot_of_the_last_sync_and_a_sent_quarter_as_frozen(tmp_path, store_url):
    config = _config(tmp_path, store_url)
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        o = sync_eenmalig(config, voortgang=False).overzicht
    assert o is not None and o.projecten

    projecten = _rijen(store_url, "SELECT * FROM v_projecten")
    assert {r["project_code"]: r["stoplicht"] for r in projecten} == {p.sleutel: p.stoplicht.value
                                                                      for p in o.projecten}
    assert {_datum(r["peildatum"]) for r in projecten} == {dt.date(2026, 12, 20)}
    assert {r["project_code"] for r in projecten if r["plusproject"]} == {p.sleutel for p in o.plusprojecten}
    zeijerveen = next(r for r in projecten if "zeijerveen" in r["project_code"])
    p = next(p for p in o.projecten if p.sleutel == zeijerveen["project_code"])
    assert (_datum(zeijerveen["prognose_ibn"]), zeijerveen["fase"], zeijerveen["open_knelpunten"]) == \
        (p.prognose, p.fase, p.open_knelpunten)
    # The kind as the master's Soort column names it (the list projects: tests/test_lijsten_portefeuille.py).
    assert (zeijerveen["soort"], zeijerveen["bron"]) == ("pMIEK 2.0 concreet", None)
    assert {r["soort"] for r in projecten} == {"pMIEK 2.0 concreet", "pMIEK 2.0 verkenning"}

    uren = _rijen(store_url, "SELECT SUM(uren_per_week) AS u, COUNT(*) AS n FROM v_capaciteit")[0]
    assert uren["u"] == pytest.approx(capaciteit(o.projecten).totaal_uren)
    assert uren["n"] == len(capaciteit(o.projecten).per_project)
    assert len(_rijen(store_url, "SELECT * FROM v_mijlpalen")) == sum(len(p.mijlpalen) for p in o.projecten)
    assert len(_rijen(store_url, "SELECT * FROM v_knelpunten")) == sum(len(p.knelpunten) for p in o.projecten)
    historie = _rijen(store_url, "SELECT * FROM v_historie_kwartaal")
    assert {(r["kwartaal"], r["project_code"]) for r in historie} == \
        {(q, k) for k, per in o.historie.items() for q in per}
    assert not any(r["vastgelegd"] for r in historie)

    # Nothing changed: the tables are not rewritten (the refresh still names the first run).
    eerste = _rijen(store_url, "SELECT run_id FROM rapport_verversing")
    with time_machine.travel(dt.datetime(2026, 12, 20, 10, 0, tzinfo=TZ), tick=False):
        sync_eenmalig(config, voortgang=False)
    assert _rijen(store_url, "SELECT run_id FROM rapport_verversing") == eerste

    # 2026Q4 sent in January, then the next sync: its history is what the Board was shown.
    with time_machine.travel(dt.datetime(2027, 1, 4, 8, 0, tzinfo=TZ), tick=False):
        rapport, store = kr.voor_config(config)
        try:
            stuk = rapport.verstuur("2026Q4", config.report, kr.maak_transport(config.report))
        finally:
            store.close()
        sync_eenmalig(config, voortgang=False)
    assert stuk is not None
    bevroren = kr.overzicht_van_json(_rijen(store_url, "SELECT overzicht FROM kwartaal_snapshots")[0]["overzicht"])
    q4 = {r["project_code"]: r for r in _rijen(store_url, "SELECT * FROM v_historie_kwartaal WHERE kwartaal = '2026Q4'")}
    assert set(q4) == {p.sleutel for p in bevroren.projecten}
    for p in bevroren.projecten:
        r = q4[p.sleutel]
        assert r["vastgelegd"] and r["stoplicht"] == p.stoplicht.value and bool(r["plusproject"]) == p.is_plusproject
        assert (_datum(r["prognose_ibn"]) if r["prognose_ibn"] else None) == p.prognose
    assert {_datum(r["peildatum"]) for r in _rijen(store_url, "SELECT peildatum FROM v_projecten")} == \
        {dt.date(2027, 1, 4)}


def _gedocumenteerd() -> dict[str, list[str]]:
    tekst = (ROOT / "docs" / "power-bi.md").read_text(encoding="utf-8")
    uit: dict[str, list[str]] = {}
    for blok in re.split(r"^### ", tekst, flags=re.M)[1:]:
        naam, _, rest = blok.partition("\n")
        if naam.startswith("v_"):
            uit[naam.strip()] = re.findall(r"^\| `([a-z_]+)` \|", rest, flags=re.M)
    return uit


def test_the_guide_lists_every_column_of_every_view_in_order(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        echt = {v: [c["name"] for c in inspect(store.engine).get_columns(v)] for v in rs.VIEWS}
    finally:
        store.close()
    assert _gedocumenteerd() == echt


def test_a_sqlite_store_opened_read_only_serves_the_views_and_refuses_writes(tmp_path):
    config = _config(tmp_path, f"sqlite:///{tmp_path / 'pmiek.sqlite'}")
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        sync_eenmalig(config, voortgang=False)
    con = sqlite3.connect(f"file:{tmp_path / 'pmiek.sqlite'}?mode=ro", uri=True)
    try:
        assert con.execute("SELECT COUNT(*) FROM v_projecten").fetchone()[0] > 0
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            con.execute("DELETE FROM rapport_projecten")
    finally:
        con.close()


def test_the_readonly_role_reads_the_views_and_nothing_else(tmp_path, postgres_url, monkeypatch, capsys):
    config = _config(tmp_path, postgres_url)
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        sync_eenmalig(config, voortgang=False)
    monkeypatch.setenv("PMIEK_TEST_POWERBI", "Power%BI-'lees'-1")
    for _ in range(2):  # a second run is harmless
        assert main(["store", "readonly-role", "--store", postgres_url, "--name", "powerbi",
                     "--password-env", "PMIEK_TEST_POWERBI"]) == 0
    assert "powerbi" in capsys.readouterr().out
    # An upgrade that replaces the views keeps the grants.
    engine = create_engine(postgres_url)
    with engine.begin() as conn:
        rs.maak_views(conn)
    engine.dispose()

    u = make_url(postgres_url)
    with psycopg.connect(host=u.host, port=u.port, dbname=u.database, user="powerbi",
                         password="Power%BI-'lees'-1") as conn:
        for view in rs.VIEWS:
            conn.execute(f"SELECT COUNT(*) FROM {view}").fetchone()
        assert conn.execute("SELECT COUNT(*) FROM v_projecten").fetchone()[0] > 0
        # v_historie_kwartaal reads one table, so PostgreSQL would let it be written through: the
        # grant is what stops it. (The other views join the refresh row and cannot be written at all.)
        for verboden in ("SELECT * FROM rapport_projecten", "SELECT * FROM fiche_versies",
                         "SELECT * FROM kwartaal_verzendingen", "DELETE FROM v_historie_kwartaal",
                         "UPDATE v_historie_kwartaal SET projectnaam = 'x'",
                         "INSERT INTO v_historie_kwartaal (kwartaal, project_code) VALUES ('2020Q1', 'x')",
                         "DELETE FROM rapport_projecten", "CREATE TABLE eigen (x int)"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(verboden)
            conn.rollback()
        with pytest.raises((psycopg.errors.InsufficientPrivilege, psycopg.errors.ObjectNotInPrerequisiteState)):
            conn.execute("DELETE FROM v_projecten")


def test_refresh_is_skipped_for_unchanged_rows_or_an_unchanged_snapshot_fingerprint(tmp_path):
    from sample_overzicht import sample_overzicht
    from sync.rapportagetabellen import ververs_rapportage

    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    try:
        o = sample_overzicht()
        assert ververs_rapportage(store, o, 1) is True
        assert ververs_rapportage(store, o, 2) is False  # same rows
        o.projecten[0].stoplicht = o.projecten[1].stoplicht = Stoplicht.VERTRAAGD
        assert ververs_rapportage(store, o, 3) is True
        assert ververs_rapportage(store, o, 4, overzicht_vingerafdruk="abc") is True
        assert ververs_rapportage(store, o, 5, overzicht_vingerafdruk="abc") is False
        assert ververs_rapportage(store, o, 6, overzicht_vingerafdruk="def") is True
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT run_id FROM rapport_verversing")).scalar() == 6
            assert conn.execute(text("SELECT COUNT(*) FROM v_projecten WHERE stoplicht = 'Vertraagd'")).scalar() >= 2
    finally:
        store.close()


def test_upgrade_from_schema_10_adds_soort_and_bron_and_the_next_sync_fills_them(tmp_path, store_url):
    from sync.store import SCHEMA_VERSIE, huidige_versie

    config = _config(tmp_path, store_url)
    moment = dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ)
    with time_machine.travel(moment, tick=False):
        sync_eenmalig(config, voortgang=False)
    # Turn it into the store a sync of schema 10 left: no soort and bron in table and view, the
    # rows and their fingerprint in place.
    oude_kolommen = [k for k in rs.VIEWS["v_projecten"][1] if k not in ("soort", "bron")]
    engine = create_engine(store_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP VIEW v_projecten"))
            for kolom in ("soort", "bron"):
                conn.execute(text(f"ALTER TABLE rapport_projecten DROP COLUMN {kolom}"))
            conn.execute(text("CREATE VIEW v_projecten AS SELECT s.peildatum AS peildatum, "
                              + ", ".join(f"t.{k} AS {k}" for k in oude_kolommen)
                              + " FROM rapport_projecten t CROSS JOIN rapport_verversing s"))
            conn.execute(text("ALTER TABLE bestanden DROP COLUMN nabij_maanden"))  # step 12's
            conn.execute(text("DELETE FROM pmiek_schema_versie WHERE versie >= 11"))
        assert huidige_versie(engine) == 10
    finally:
        engine.dispose()
    # The same snapshot again: without the step clearing the fingerprint nothing would be written
    # and the new columns would stay empty.
    with time_machine.travel(moment, tick=False):
        o = sync_eenmalig(config, voortgang=False).overzicht
    assert o is not None
    engine = create_engine(store_url)
    try:
        assert huidige_versie(engine) == SCHEMA_VERSIE
        kolommen = [c["name"] for c in inspect(engine).get_columns("v_projecten")]
        assert kolommen == ["peildatum", *oude_kolommen, "soort", "bron"]  # appended: the grants survive
    finally:
        engine.dispose()
    rijen = _rijen(store_url, "SELECT project_code, soort FROM v_projecten")
    assert rijen and {r["project_code"]: r["soort"] for r in rijen} == {p.sleutel: p.soort for p in o.projecten}
