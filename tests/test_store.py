"""The store on a real SQLite file and on a real PostgreSQL server (`store_url`, tests/pgserver.py):
schema versions and upgrades, WAL (SQLite), append-only versions."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Column, Float, LargeBinary, MetaData, Table, Unicode, inspect, text

from fiche.errors import InputError
from fiche.stoplicht import Stoplicht
from sync.config import sqlite_url
from sync.store import SCHEMA_VERSIE, dumps, huidige_versie, loads, maak_engine, open_store, upgrade


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


def _indexen(conn, tabel: str) -> set[str]:
    return {i["name"] for i in inspect(conn).get_indexes(tabel)}


def test_upgrade_from_version_1_keeps_the_data(store_url) -> None:
    url = store_url
    engine = maak_engine(url)
    assert upgrade(engine, tot=1) == 1
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO bronnen (sleutel, soort, aangemaakt) "
                          "VALUES ('folder /x', 'folder', '2026-01-01')"))
        conn.execute(text(
            "INSERT INTO fiche_versies (bron_id, item_id, naam, status, geaccepteerd, gewijzigd, ontvangen, "
            "bevindingen, project_sleutel) VALUES (1, 'a.xlsx', 'a.xlsx', 'geaccepteerd', :ja, '2026-01-02', "
            "'2026-01-02', '[]', 'p')"),
            {"ja": True})
        indexen = _indexen(conn, "fiche_versies")
    assert "ix_versies_project" not in indexen
    engine.dispose()

    store = open_store(url)  # upgrades to the current version
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM fiche_versies WHERE geaccepteerd")).scalar() == 1
            indexen = _indexen(conn, "fiche_versies")
        assert {"ix_versies_project", "ix_versies_item"} <= indexen
    finally:
        store.close()


def test_store_from_a_newer_version_is_refused(store_url) -> None:
    url = store_url
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
    # Refused before SQLite sees it, and left as it is (issue 15).
    assert "geen pMIEK-database (geen SQLite-bestand)" in e.value.melding
    assert pad.read_bytes() == b"dit is geen database" * 100


def test_interrupted_run_is_marked_by_the_next(store_url) -> None:
    store = open_store(store_url)
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


def test_cursor_round_trip(store_url) -> None:
    store = open_store(store_url)
    try:
        bron = store.bron_id("sharepoint drive x", "sharepoint")
        assert store.bron_id("sharepoint drive x", "sharepoint") == bron
        assert store.cursor(bron) is None
        store.zet_cursor(bron, "https://graph/delta?token=1")
        store.zet_cursor(bron, "https://graph/delta?token=2")
        assert store.cursor(bron) == "https://graph/delta?token=2"
    finally:
        store.close()


def _tabellen(url: str) -> set[str]:
    """The tables and indexes in the store (on either backend)."""
    engine = maak_engine(url)
    try:
        with engine.connect() as conn:
            tabellen = inspect(conn).get_table_names()
            return set(tabellen) | {i for t in tabellen for i in _indexen(conn, t)}
    finally:
        engine.dispose()


def _store_van_versie_2(url: str) -> str:
    """A store as the previous release left it when only `pmiek sync` ever ran: no quarterly tables."""
    engine = maak_engine(url)
    assert upgrade(engine, tot=2) == 2
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO runs (start, status, aanleiding, gezien, gedownload, gelezen, geaccepteerd, "
                          "geweigerd, ongewijzigd, verwijderd, fouten) VALUES ('2026-11-30 06:00:00', 'ok', "
                          "'gepland', 3, 3, 3, 3, 0, 0, 0, '[]')"))
    engine.dispose()
    return url


def test_looking_at_an_older_store_never_changes_its_schema(tmp_path, capsys, store_url) -> None:
    from pmiek.cli import main

    url = _store_van_versie_2(store_url)
    pad = url  # what --store is given: a database URL (of either backend)
    voor = _tabellen(url)
    assert "kwartaal_verzendingen" not in voor
    with pytest.raises(InputError) as e:
        open_store(url, alleen_lezen=True)
    assert "eerdere versie van pMIEK Monitor" in e.value.melding and "pmiek sync" in e.value.melding
    # The commands that only look: status and a preview of the quarterly e-mail.
    assert main(["status", "--store", pad]) != 0
    assert "eerdere versie" in capsys.readouterr().err
    assert main(["report", "--quarter", "2026Q3", "--preview", str(tmp_path / "p"), "--store", pad]) != 0
    assert "eerdere versie" in capsys.readouterr().err
    config = tmp_path / "pmiek.toml"
    config.write_text(f'[source]\npath = "fiches"\n[store]\nurl = "{url}"\n', encoding="utf-8")
    assert main(["report", "--quarter", "2026Q3", "--preview", str(tmp_path / "p"), "--config", str(config)]) != 0
    assert "eerdere versie" in capsys.readouterr().err
    config.write_text('[source]\npath = "fiches"\n[store]\npath = "nog-niet.sqlite"\n', encoding="utf-8")
    assert main(["report", "--quarter", "2026Q3", "--preview", str(tmp_path / "p"), "--config", str(config)]) != 0
    assert "bestaat nog niet" in capsys.readouterr().err and not (tmp_path / "nog-niet.sqlite").exists()
    assert _tabellen(url) == voor and huidige_versie(maak_engine(url)) == 2

    store = open_store(url)  # a sync (or the service) upgrades it; then looking works
    store.close()
    assert {"kwartaal_snapshots", "kwartaal_verzendingen", "ux_verzending_in_behandeling"} <= _tabellen(url)
    assert main(["status", "--store", pad]) == 0
    assert "run 1: geslaagd, gepland" in capsys.readouterr().out


def test_quarterly_tables_made_outside_the_chain_are_kept(store_url) -> None:
    """Releases up to 5bff393 created the quarterly tables whenever the report ran: step 3 finds
    them there and keeps their rows."""
    from sync.store import Base, kwartaal_verzendingen

    url = _store_van_versie_2(store_url)
    engine = maak_engine(url)
    Base.metadata.create_all(engine, tables=[kwartaal_verzendingen])
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO kwartaal_verzendingen (kwartaal, message_id, transport, status, aanleiding, "
                          "geforceerd, ontvangers, aangemaakt, bijgewerkt) VALUES ('2026Q3', '<m@x>', 'outbox', "
                          "'verzonden', 'gepland', :nee, 'a@b.nl', '2026-10-05 06:00:00', '2026-10-05 06:00:00')"),
                     {"nee": False})
    engine.dispose()
    store = open_store(url)
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        with store.engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM kwartaal_verzendingen")).scalars().all() == ["verzonden"]
    finally:
        store.close()


def test_stored_jobs_point_at_the_moved_functions(store_url) -> None:
    import pickle

    from apscheduler.triggers.cron import CronTrigger

    url = _store_van_versie_2(store_url)
    trigger = CronTrigger.from_crontab("0 7 * * 1-5", timezone="Europe/Amsterdam")
    volgende = dt.datetime(2026, 12, 1, 7, 0, tzinfo=trigger.timezone)
    staten = {
        "pmiek-sync": {"version": 1, "id": "pmiek-sync", "func": "sync.dienst:geplande_sync", "trigger": trigger,
                       "args": ("/etc/pmiek.toml",), "kwargs": {}, "next_run_time": volgende, "coalesce": True},
        "pmiek-kwartaalrapport": {"version": 1, "id": "pmiek-kwartaalrapport",
                                  "func": "sync.kwartaalrapport:geplande_rapportage", "trigger": trigger, "args": (),
                                  "kwargs": {}, "next_run_time": volgende, "misfire_grace_time": 604800},
        "iets-anders": {"version": 1, "id": "iets-anders", "func": "elders:taak", "trigger": trigger},
    }
    engine = maak_engine(url)
    with engine.begin() as conn:
        # The table as APScheduler 3 declares it.
        Table("apscheduler_jobs", MetaData(), Column("id", Unicode(191), primary_key=True),
              Column("next_run_time", Float(25), index=True),
              Column("job_state", LargeBinary, nullable=False)).create(conn)
        for job_id, state in staten.items():
            conn.execute(text("INSERT INTO apscheduler_jobs VALUES (:i, :t, :s)"),
                         {"i": job_id, "t": volgende.timestamp(), "s": pickle.dumps(state)})
    engine.dispose()
    open_store(url).close()
    engine = maak_engine(url)
    with engine.connect() as conn:
        na = {i: pickle.loads(s) for i, s in conn.execute(text("SELECT id, job_state FROM apscheduler_jobs"))}
    engine.dispose()
    for state in [*na.values(), *staten.values()]:  # a trigger has no ==: compare what it says
        state["trigger"] = (str(state["trigger"]), str(state["trigger"].timezone))
    assert na["pmiek-sync"] == {**staten["pmiek-sync"], "func": "sync.synchronisatie:geplande_sync"}
    assert na["pmiek-kwartaalrapport"] == {**staten["pmiek-kwartaalrapport"],
                                           "func": "sync.kwartaal.rapportage:geplande_rapportage"}
    assert na["iets-anders"] == staten["iets-anders"]


def test_a_store_without_scheduled_jobs_upgrades(store_url) -> None:
    url = _store_van_versie_2(store_url)
    store = open_store(url)
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        assert [r.status for r in store.runs()] == ["ok"]
    finally:
        store.close()


REFERENTIE = Path(__file__).resolve().parent / "reference" / "store-5bff393.sqlite"


def test_a_store_written_by_the_previous_release_opens_and_upgrades(tmp_path, capsys) -> None:
    """tests/reference/store-5bff393.sqlite was made by the release before the restructure
    (scripts/make_reference_store.py): a sync of the example fiches, 2026Q4 sent to an outbox,
    and the service's two jobs in its job store, all on 30-11-2026 at 09:00."""
    from pmiek.cli import main
    from sync.config import config_voor_map
    from sync.dienst import maak_scheduler
    from sync.kwartaal import rapportage as kr
    from sync.overzicht_bouw import bouw_overzicht
    from sync.synchronisatie import JOB_ID, geplande_sync

    pad = tmp_path / "pmiek.sqlite"
    shutil.copyfile(REFERENTIE, pad)
    url = sqlite_url(pad)
    engine = maak_engine(url)
    assert huidige_versie(engine) == 2
    engine.dispose()

    store = open_store(url)
    try:
        assert huidige_versie(store.engine) == SCHEMA_VERSIE
        # History and runs survive: the run, and every accepted version behind the overview.
        (run,) = store.runs()
        assert (run.status, run.gezien, run.geaccepteerd) == ("ok", 11, 11)
        assert len(bouw_overzicht(store, dt.date(2026, 11, 30)).projecten) == 11
        # The send record and the frozen quarter survive.
        rapport = kr.Kwartaalrapport(store.engine, store, tmp_path / "rapport.lock")
        assert [(r["kwartaal"], r["status"], r["transport"]) for r in rapport.verzendingen()] == [
            ("2026Q4", "verzonden", "outbox")]
        stuk = rapport.stuk("2026Q4")
        assert stuk.bevroren and stuk.overzicht.peildatum == dt.date(2026, 11, 30) and len(stuk.overzicht.projecten) == 11

        # Today's scheduler restores both stored jobs (a job it cannot import it would delete),
        # with their stored next runs: the sync's, already past, is a pending catch-up.
        config = config_voor_map(tmp_path / "fiches", pad, tmp_path / "master.xlsx")
        scheduler = maak_scheduler(config, store.engine)
        scheduler.start(paused=True)
        try:
            jobs = {job.id: job for job in scheduler.get_jobs()}
        finally:
            scheduler.shutdown(wait=False)
        assert set(jobs) == {JOB_ID, kr.JOB_ID}
        assert jobs[JOB_ID].func_ref == "sync.synchronisatie:geplande_sync" and jobs[JOB_ID].func is geplande_sync
        assert jobs[kr.JOB_ID].func_ref == "sync.kwartaal.rapportage:geplande_rapportage"
        assert jobs[kr.JOB_ID].func is kr.geplande_rapportage
        amsterdam = config.sync.tz
        assert jobs[JOB_ID].next_run_time == dt.datetime(2026, 12, 1, 7, 0, tzinfo=amsterdam)
        assert jobs[kr.JOB_ID].next_run_time == dt.datetime(2027, 1, 4, 8, 0, tzinfo=amsterdam)
    finally:
        store.close()

    # The quarter counts as sent: a second --send is refused.
    outbox = tmp_path / "outbox"
    assert main(["report", "--quarter", "2026Q4", "--send", "--store", str(pad), "--outbox", str(outbox)]) != 0
    assert "Het kwartaaloverzicht 2026Q4 is al verzonden op 30-11-2026 09:00 via outbox" in capsys.readouterr().err
    assert not outbox.exists()
    assert main(["status", "--store", str(pad)]) == 0
    uit = capsys.readouterr().out
    assert "run 1: geslaagd, handmatig" in uit and "2026Q4: verzonden via outbox (30-11-2026 09:00)" in uit


def test_two_processes_opening_a_new_postgresql_store_at_once_both_get_it_upgraded_once(postgres_url) -> None:
    """Services on different machines started together on an empty database: each upgrade step
    is applied once (serialised by an advisory lock), no open fails. PostgreSQL only: with
    SQLite everything sharing the file is on one machine, behind the service and run locks."""
    store_url = postgres_url
    import threading

    fouten: list[BaseException] = []
    start = threading.Barrier(3)

    def open_() -> None:
        start.wait()
        try:
            open_store(store_url).close()
        except BaseException as exc:  # noqa: BLE001 - reported below
            fouten.append(exc)

    draden = [threading.Thread(target=open_) for _ in range(3)]
    for d in draden:
        d.start()
    for d in draden:
        d.join(60)
    assert not fouten
    engine = maak_engine(store_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT versie FROM pmiek_schema_versie ORDER BY versie")).scalars().all() == list(
                range(1, SCHEMA_VERSIE + 1))
    finally:
        engine.dispose()


def test_long_names_and_paths_are_stored_on_both_backends(store_url) -> None:
    """SQLite ignores VARCHAR lengths and always took a long project name or a deep folder path;
    PostgreSQL must take them too instead of failing the run."""
    from sync.store import FicheVersie, nu

    lang = "Zuid/" * 150 + "waterstof-hub.xlsx"  # > 500 and < 1000 characters: past String(500)
    store = open_store(store_url)
    try:
        bron = store.bron_id("folder " + lang, "folder")
        with store.session() as s, s.begin():
            s.add(FicheVersie(bron_id=bron, item_id=lang * 2, naam=lang, status="geaccepteerd", geaccepteerd=True,
                              gewijzigd=nu(), ontvangen=nu(), projectnaam="Waterstof " * 80, bevindingen="[]"))
        with store.session() as s:
            (versie,) = s.query(FicheVersie).all()
            assert (versie.naam, versie.item_id, versie.projectnaam) == (lang, lang * 2, "Waterstof " * 80)
    finally:
        store.close()
