"""Locks between processes that share one store: one service, one sync run, one report sender.

Four locks guard a store (`SOORTEN`): the service lock (`pmiek serve` holds it for its
lifetime, a second service is refused), the run lock (held during one sync run; a manual
`pmiek sync` waits for a scheduled one), the report lock (one quarterly sender at a time) and
the uitvraag lock (one sender of the round at a time).

How a lock is held depends on the store:
- **SQLite**: a lock file beside the database file (`filelock`), as before. Everything that
  shares a SQLite file runs on the same machine, so a file lock is enough.
- **PostgreSQL**: a session-level advisory lock (`pg_try_advisory_lock`) in the store's database,
  held on a connection of its own for the lock's lifetime. Services on different machines that
  share the database see each other's locks; a process that dies loses its connection and with
  it the lock (no stale lock file to clean up). Advisory locks are per database, so two stores
  on one server do not block each other.

Both kinds share one interface (`Slot`): `acquire(timeout)` with filelock's meaning of the
timeout (0: try once, negative: wait forever), raising `Bezet` when the lock stays taken;
`release()`; and use as a context manager (acquire waiting forever).
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol

from filelock import FileLock, Timeout
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from fiche.errors import RemoteError
from sync.database import toon_url

log = logging.getLogger("pmiek.sync.vergrendeling")

#: The locks of one store, with the lock file's suffix beside a SQLite database.
SOORTEN = {"dienst": ".lock", "run": ".run.lock", "rapport": ".rapport.lock", "uitvraag": ".uitvraag.lock"}
#: How often a waiting process asks PostgreSQL again.
PEILING = 0.2


class Bezet(Exception):
    """The lock is still held by another process after the timeout."""


class Slot(Protocol):
    def acquire(self, timeout: float) -> None: ...

    def release(self) -> None: ...

    def __enter__(self) -> Slot: ...

    def __exit__(self, *exc: Any) -> None: ...


class _Basis:
    def acquire(self, timeout: float) -> None:
        raise NotImplementedError

    def release(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> _Basis:
        self.acquire(-1)
        return self

    def __exit__(self, soort: type[BaseException] | None, fout: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


class Bestandsslot(_Basis):
    """A lock file beside a SQLite store."""

    def __init__(self, pad: Path) -> None:
        self.pad = pad
        self._lock = FileLock(str(pad), thread_local=False)

    def acquire(self, timeout: float) -> None:
        try:
            self.pad.parent.mkdir(parents=True, exist_ok=True)
            self._lock.acquire(timeout=timeout)
        except Timeout:
            raise Bezet(str(self.pad)) from None
        except OSError as exc:  # after Timeout (an OSError too): a read-only folder (EROFS, EACCES), in Dutch
            from sync.storebewaking import map_niet_beschrijfbaar
            raise map_niet_beschrijfbaar(self.pad.parent, exc) from None

    def release(self) -> None:
        self._lock.release()


def advisory_sleutel(soort: str) -> int:
    """The advisory lock's key (a signed 64-bit number) for a kind of lock: stable across versions."""
    return int.from_bytes(hashlib.sha256(f"pmiek:{soort}".encode()).digest()[:8], "big", signed=True)


class Advisoryslot(_Basis):
    """A session-level PostgreSQL advisory lock on a connection of its own."""

    def __init__(self, url: str | URL, soort: str) -> None:
        self.url = make_url(url)
        self.soort = soort
        self.sleutel = advisory_sleutel(soort)
        self._engine: Engine | None = None
        self._conn: Connection | None = None

    def acquire(self, timeout: float) -> None:
        if self._conn is not None:
            raise RuntimeError(f"the {self.soort} lock is already held by this object")
        # Its own engine without a pool: the lock lives exactly as long as this connection.
        # Keepalives: a lock held for months (the service's) must not vanish with a connection an
        # idle firewall dropped unnoticed; the name shows who holds it in pg_stat_activity.
        engine = create_engine(self.url, poolclass=NullPool, connect_args={
            "application_name": f"pmiek-{self.soort}-lock", "keepalives": 1, "keepalives_idle": 60,
            "keepalives_interval": 10, "keepalives_count": 6})
        try:
            conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        except DBAPIError as exc:
            engine.dispose()
            # Before any run is recorded: the server is down, the name is wrong, or the password
            # (PGPASSWORD, ~/.pgpass) is refused. libpq's reason names which.
            adres = toon_url(self.url)
            raise RemoteError(f"cannot connect to the store {adres} for the {self.soort} lock: {exc.orig}",
                              f"De database {adres} is niet bereikbaar: {exc.orig}".strip()) from None
        einde = time.monotonic() + timeout
        try:
            while not conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": self.sleutel}).scalar():
                if 0 <= timeout and time.monotonic() >= einde:
                    raise Bezet(f"advisory lock {self.soort} on {self.url.render_as_string(hide_password=True)}")
                time.sleep(PEILING if timeout < 0 else max(0.0, min(PEILING, einde - time.monotonic())))
        except BaseException:
            conn.close()
            engine.dispose()
            raise
        self._engine, self._conn = engine, conn
        log.debug("advisory lock taken", extra={"fields": {"lock": self.soort, "database": self.url.database}})

    def release(self) -> None:
        conn, engine = self._conn, self._engine
        self._conn = self._engine = None
        if conn is None or engine is None:
            return
        try:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": self.sleutel})
        finally:
            # Closing the session frees the lock anyway, also when the unlock itself failed.
            conn.close()
            engine.dispose()


def is_postgresql(url: str | URL) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


def slot(store_url: str | URL, soort: str, lock_pad: Path) -> Slot:
    """The lock `soort` ("dienst", "run", "rapport") of the store at `store_url`.

    `lock_pad` is the service lock file beside a SQLite database (`Config.lock_path`); the other
    kinds live beside it with their own suffix. It is not used for PostgreSQL.
    """
    if soort not in SOORTEN:
        raise ValueError(f"unknown lock {soort!r}")
    if is_postgresql(store_url):
        return Advisoryslot(store_url, soort)
    return Bestandsslot(lock_pad.with_name(lock_pad.name.replace(".lock", SOORTEN[soort])))


def slot_in(store_url: str | URL, soort: str, bestand: Path) -> Slot:
    """The lock `soort` of the store at `store_url` where the lock file's own path is known
    (`bestand`, beside a SQLite store; a PostgreSQL store takes the advisory lock instead)."""
    return Advisoryslot(store_url, soort) if is_postgresql(store_url) else Bestandsslot(bestand)


def slot_voor_config(config: Any, soort: str) -> Slot:
    """The lock `soort` of the config's store (`sync.config.Config`)."""
    return slot(config.store_url, soort, config.lock_path)
