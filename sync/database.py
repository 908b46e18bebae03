"""The store's database connection, per backend: SQLite (the default, one file) or PostgreSQL.

`maak_engine` sets SQLite's pragmas (WAL, busy timeout, foreign keys); PostgreSQL needs none.
`huidige_versie` reads the schema version without touching the schema, on both backends.
The password of a PostgreSQL store never appears in a URL here: libpq reads it from
`PGPASSWORD` or the password file (`~/.pgpass`, `PGPASSFILE`); `sync.config` refuses a URL with one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import MetaData, String, create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError


def toon_url(url: Any) -> str:
    """A store URL fit for a log line or a message: never with a password in it."""
    try:
        u = make_url(url)
    except ArgumentError:
        return "(geen geldige database-URL)"
    return u.set(query={k: v for k, v in u.query.items() if k.lower() != "password"}).render_as_string(
        hide_password=True)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    # WAL: readers (status, the scheduler) never block the writer; a killed process leaves a
    # consistent database. NORMAL sync is durable against process crashes.
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def maak_engine(url: str) -> Engine:
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def versie_in(conn) -> int:
    # Asked first: on PostgreSQL a query on a missing table aborts the whole transaction.
    if not inspect(conn).has_table("pmiek_schema_versie"):
        return 0
    return int(conn.execute(text("SELECT MAX(versie) FROM pmiek_schema_versie")).scalar() or 0)


def huidige_versie(engine: Engine) -> int:
    with engine.connect() as conn:
        try:
            return versie_in(conn)
        except OperationalError:  # SQLite: a file that is not a database at all is refused later
            return 0


#: Transaction-level advisory lock key for schema upgrades on PostgreSQL ("pmiek:schema").
UPGRADE_SLEUTEL = 0x706D69656B736368


def onbegrensde_tekst_op_postgresql(metadata: MetaData) -> None:
    """Make the `String(n)` columns of `metadata` unbounded `varchar` on PostgreSQL.

    SQLite ignores a VARCHAR's length and has always stored whatever a fiche holds (a long
    project name, a deep folder path); PostgreSQL would refuse it and fail the run. The lengths
    stay as documentation and for SQLite's DDL; idempotent.
    """
    for tabel in metadata.tables.values():
        for kolom in tabel.columns:
            if (type(kolom.type) is String and kolom.type.length
                    and "postgresql" not in kolom.type._variant_mapping):
                kolom.type = kolom.type.with_variant(String(), "postgresql")
