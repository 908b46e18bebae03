"""`sync.reservekopie`: checked backups, rotation, restore (refused while the store is in use,
the replaced store kept aside), PostgreSQL pointed to its own tools; the `[store] backup_*` keys."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from filelock import FileLock
from sqlalchemy import text

from fiche.errors import ConfigError, InputError
from sync.config import config_uit_dict, sqlite_url
from sync.reservekopie import StoreLocatie, maak_reservekopie, zet_terug
from sync.store import open_store
from sync.storebewaking import StoreFout
from sync.storespoor import store_id


def _store(pad):
    store = open_store(sqlite_url(pad))
    run = store.start_run("folder /x", "handmatig", 1)
    store.eindig_run(run, "ok", {"gezien": 3}, [])
    return store


def _runs(pad) -> int:
    conn = sqlite3.connect(pad)
    try:
        return conn.execute("SELECT count(*) FROM runs").fetchone()[0]
    finally:
        conn.close()


def test_backup_is_checked_and_rotated(tmp_path):
    pad = tmp_path / "pmiek.sqlite"
    store = _store(pad)  # open while backing up: the online backup API copies a consistent state
    try:
        loc = StoreLocatie.uit_pad(pad)
        loc.bewaren = 2
        gemaakt = [maak_reservekopie(loc, dt.datetime(2026, 12, d, 6, 30)) for d in (1, 2, 3)]
    finally:
        store.close()
    assert loc.backup_map == tmp_path / "pmiek.sqlite.backups"
    assert loc.kopieen() == [gemaakt[2], gemaakt[1]]  # newest first; the oldest removed
    assert not gemaakt[0].exists() and not list(loc.backup_map.glob(".*.tmp"))
    conn = sqlite3.connect(gemaakt[2])
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()
    assert _runs(gemaakt[2]) == 1


def test_restore_puts_the_replaced_store_aside_and_keeps_the_identity(tmp_path):
    pad = tmp_path / "pmiek.sqlite"
    store = _store(pad)
    ident = store_id(store.engine)
    loc = StoreLocatie.uit_pad(pad)
    kopie = maak_reservekopie(loc)
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM runs"))
    store.close()
    gebruikt, apart = zet_terug(loc)
    assert gebruikt == kopie and apart is not None and apart.name.startswith("pmiek.sqlite.vervangen-")
    assert _runs(pad) == 1 and _runs(apart) == 0
    store = open_store(sqlite_url(pad))
    assert store_id(store.engine) == ident  # the same store again: its markers still match
    store.close()


def test_restore_is_refused_while_the_store_is_in_use(tmp_path):
    pad = tmp_path / "pmiek.sqlite"
    _store(pad).close()
    loc = StoreLocatie.uit_pad(pad)
    maak_reservekopie(loc)
    lock = FileLock(str(pad.with_name("pmiek.sqlite.run.lock")), thread_local=False)
    with lock:
        with pytest.raises(InputError) as e:
            zet_terug(loc)
    assert "stop de dienst" in e.value.melding
    assert not list(tmp_path.glob("pmiek.sqlite.vervangen-*"))


def test_a_damaged_backup_is_not_restored(tmp_path):
    pad = tmp_path / "pmiek.sqlite"
    _store(pad).close()
    slecht = tmp_path / "pmiek.sqlite.backups" / "pmiek-20261201-063000.sqlite"
    slecht.parent.mkdir()
    slecht.write_bytes(b"kapot" * 1000)
    with pytest.raises(StoreFout) as e:
        zet_terug(StoreLocatie.uit_pad(pad))
    assert f"De reservekopie {slecht} is beschadigd" in e.value.melding
    assert _runs(pad) == 1


def test_postgresql_is_pointed_to_its_own_tools():
    loc = StoreLocatie("postgresql://pmiek:geheim@db/pmiek", None, None)
    for actie in (maak_reservekopie, zet_terug):
        with pytest.raises(InputError) as e:
            actie(loc)
        assert "pg_dump" in e.value.melding and "geheim" not in str(e.value)


def test_backup_of_a_missing_store_says_so(tmp_path):
    with pytest.raises(InputError) as e:
        maak_reservekopie(StoreLocatie.uit_pad(tmp_path / "nee.sqlite"))
    assert "bestaat niet" in e.value.melding


def test_backup_keys_in_the_config(tmp_path):
    basis = {"source": {"path": "f"}}
    config = config_uit_dict({**basis, "store": {"backup_folder": "kopie", "backup_keep": 3}}, tmp_path)
    loc = StoreLocatie.uit_config(config)
    assert loc.backup_map == tmp_path / "kopie" and loc.bewaren == 3
    assert StoreLocatie.uit_config(config_uit_dict(basis, tmp_path)).backup_map == tmp_path / "pmiek.sqlite.backups"
    with pytest.raises(ConfigError) as e:
        config_uit_dict({**basis, "store": {"backup_keep": 0}}, tmp_path)
    assert "store.backup_keep" in e.value.melding
    with pytest.raises(ConfigError) as e:
        config_uit_dict({**basis, "store": {"backup_cron": "30 2 * * *"}}, tmp_path)
    assert "store.backup_cron" in e.value.melding
