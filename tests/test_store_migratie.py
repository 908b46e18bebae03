"""`pmiek store migrate` (sync.store_migratie): a store filled by real syncs and a sent quarter,
copied to SQLite and to PostgreSQL, gives the same master workbook; the verification catches a
changed row; a non-empty target and a running sync are refused.

Real parts only: the example fiches synced into a real SQLite store with an example project list
imported (sync.lijsten), the quarter sent to the outbox, the scheduler's jobs stored by APScheduler
itself, a real PostgreSQL server (tests/pgserver).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import create_engine, inspect, text

from fiche.errors import InputError, PmiekError
from pmiek.cli import main
from sync.config import laad_config
from sync.kwartaal import rapportage as kr
from sync.lijsten.opslag import importeer
from sync.master import schrijf_master
from sync.overzicht_bouw import bouw_overzicht
from sync.store import open_store
from sync.store_migratie import controleer, migreer
from sync.synchronisatie import run_lock
from test_kwartaal import TZ, maak_config, sync
from test_master import compare_with_reference

PEILDATUM = dt.date(2027, 1, 4)
GEGENEREERD = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.timezone.utc)
#: Every table a store of this version holds after a sync, a sent quarter and a started service.
TABELLEN = {"pmiek_schema_versie", "bronnen", "delta_cursors", "bestanden", "fiche_versies", "runs", "lezingen",
            "kwartaal_snapshots", "kwartaal_verzendingen", "apscheduler_jobs", "rapport_verversing",
            "rapport_projecten", "rapport_mijlpalen", "rapport_knelpunten", "rapport_capaciteit", "rapport_historie",
            "uitvraag_rondes", "uitvraag_berichten", "pmiek_store", "lijst_imports", "lijst_rijen"}
#: The example project list the source store holds (TenneT's IP of 2026, 5 rows).
LIJST = (Path(__file__).resolve().parents[1] / "workbook_templates" / "examples" / "lijsten"
         / "ip_TenneT_IP2026_2026-06-30_voorbeeld.csv")


@pytest.fixture(scope="module")
def bron(tmp_path_factory) -> tuple[Path, str]:
    """(config, store URL): the examples synced in December with an example IP list imported,
    2026Q4 sent in January, synced again, and the service's scheduler started once (its jobs stored)."""
    from sync.dienst import start_schema

    pad = maak_config(tmp_path_factory.mktemp("bron"))
    config = laad_config(pad)
    with time_machine.travel(dt.datetime(2026, 12, 20, 9, 0, tzinfo=TZ), tick=False):
        sync(pad)
        store = open_store(config.store_url)
        try:
            assert importeer(store, LIJST.read_bytes(), LIJST.name, "ip", "TenneT", "IP2026",
                             dt.date(2026, 6, 30)).rijen
        finally:
            store.close()
    with time_machine.travel(dt.datetime(2027, 1, 4, 8, 0, tzinfo=TZ), tick=False):
        rapport, store = kr.voor_config(config)
        try:
            rapport.verstuur("2026Q4", config.report, kr.maak_transport(config.report))
        finally:
            store.close()
        sync(pad)
        store = open_store(config.store_url)
        try:
            scheduler = start_schema(config, store.engine)
            assert len(scheduler.get_jobs()) == 3  # sync, quarterly report, daily backup
            scheduler.shutdown(wait=True)
        finally:
            store.close()
    return pad, config.store_url


def _master(url: str, pad: Path) -> Path:
    store = open_store(url, alleen_lezen=True)
    try:
        overzicht = bouw_overzicht(store, PEILDATUM, gegenereerd=GEGENEREERD, tijdzone="Europe/Amsterdam")
    finally:
        store.close()
    assert overzicht.projecten
    return schrijf_master(overzicht, pad)


def test_a_migrated_store_gives_the_same_master_and_passes_the_verification(bron, store_url, tmp_path, capsys):
    _, bron_url = bron
    controle = migreer(bron_url, store_url)
    assert controle.ok, controle.regels()
    assert {t.tabel for t in controle.tabellen} == TABELLEN
    # Tables the fixture leaves empty: no read of an unreadable file, a folder source, no uitvraag round.
    leeg = ("lezingen", "delta_cursors", "uitvraag_rondes", "uitvraag_berichten")
    assert all(t.bron_rijen for t in controle.tabellen if t.tabel not in leeg)

    verschillen = compare_with_reference(_master(store_url, tmp_path / "kopie.xlsx"),
                                         _master(bron_url, tmp_path / "origineel.xlsx"))
    assert verschillen == []

    # The frozen quarter came along byte for byte: the copy sends the same master to nobody twice.
    with create_engine(store_url).connect() as conn:
        kwartalen = conn.execute(text("SELECT kwartaal FROM kwartaal_snapshots")).scalars().all()
        historie = conn.execute(text("SELECT COUNT(*) FROM v_historie_kwartaal WHERE kwartaal = '2026Q4' "
                                     "AND vastgelegd")).scalar()
    assert kwartalen == ["2026Q4"] and historie

    # And back again (from PostgreSQL to SQLite in the PostgreSQL case): still the same store.
    terug = f"sqlite:///{tmp_path / 'terug.sqlite'}"
    assert migreer(store_url, terug).ok
    assert controleer(bron_url, terug).ok

    # A deliberately changed row is found, by the library and by `pmiek store verify`.
    with create_engine(store_url).begin() as conn:
        conn.execute(text("UPDATE fiche_versies SET projectnaam = projectnaam || ' ' WHERE id = 1"))
    controle = controleer(bron_url, store_url)
    assert not controle.ok and controle.afwijkend == ["fiche_versies"]
    capsys.readouterr()
    assert main(["store", "verify", "--from", bron_url, "--to", store_url]) == 3
    uit = capsys.readouterr()
    assert "VERSCHILT (inhoud)" in uit.out and "fiche_versies" in uit.err

    # New rows continue after the copied ids (PostgreSQL: the sequences were moved on).
    store = open_store(store_url)
    try:
        oude = max(r.id for r in store.runs(100))
        assert store.start_run("test", "handmatig", None) == oude + 1
    finally:
        store.close()


def test_migrate_refuses_a_filled_target_unless_overwrite_and_cli_prints_the_summary(bron, tmp_path, capsys):
    _, bron_url = bron
    doel = tmp_path / "kopie.sqlite"
    assert main(["store", "migrate", "--from", bron_url, "--to", str(doel)]) == 0
    uit = capsys.readouterr().out
    assert "fiche_versies" in uit and "gelijk" in uit and f"Klaar: {len(TABELLEN)} tabellen" in uit

    assert main(["store", "migrate", "--from", bron_url, "--to", str(doel)]) == 2
    assert "is niet leeg" in capsys.readouterr().err
    with create_engine(f"sqlite:///{doel}").begin() as conn:
        conn.execute(text("DELETE FROM rapport_knelpunten"))
    assert main(["store", "migrate", "--from", bron_url, "--to", str(doel), "--overwrite"]) == 0
    assert controleer(bron_url, f"sqlite:///{doel}").ok


def test_migrate_refuses_a_running_sync_a_password_in_the_url_and_a_non_store(bron, tmp_path, capsys):
    pad, bron_url = bron
    lock = run_lock(laad_config(pad), wachttijd=0)
    try:
        with pytest.raises(InputError) as fout:
            migreer(bron_url, f"sqlite:///{tmp_path / 'kopie.sqlite'}")
        assert "Er loopt al een synchronisatie" in fout.value.melding
    finally:
        lock.release()
    assert not inspect(create_engine(f"sqlite:///{tmp_path / 'kopie.sqlite'}")).get_table_names()

    assert main(["store", "migrate", "--from", bron_url, "--to", "postgresql+psycopg://u:geheim@127.0.0.1/x"]) == 2
    assert "PGPASSWORD" in capsys.readouterr().err
    leeg = tmp_path / "leeg.sqlite"
    create_engine(f"sqlite:///{leeg}").connect().close()
    with pytest.raises(PmiekError) as fout:  # an empty file is refused before SQLite sees it (issue 15)
        migreer(f"sqlite:///{leeg}", f"sqlite:///{tmp_path / 'x.sqlite'}")
    assert "is leeg (0 bytes)" in fout.value.melding
