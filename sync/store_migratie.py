"""Copy a whole store to another database and prove the copy (`pmiek store migrate`, `verify`).

SQLite to PostgreSQL is the intended use (a province outgrowing one server), but any pair of
supported databases works, SQLite to SQLite too. The copy:

- refuses a source that is not a pMIEK store of this version (`open_store(alleen_lezen=True)`:
  a sync upgrades it first), and a source or target whose run lock a sync holds;
- refuses a target that holds rows (other than its schema version) unless `overschrijven`;
- creates the target's schema through the store's own upgrade chain (`open_store`), so types,
  indexes and views are the target's own, not translated; a source table the chain does not
  know (the scheduler's `apscheduler_jobs`, a table of a later feature) is created from the
  source's reflected columns in their generic types;
- copies every table of the source, discovered with the inspector, in dependency order, with
  its primary keys, in one transaction; on PostgreSQL the sequences continue after the copied
  ids afterwards.

The verification (`controleer`) counts the rows of every source table on both sides and hashes
them in primary-key order with the values normalised so both databases hash the same: times in
UTC ISO form, dates ISO, booleans 0/1, binary data by its SHA-256, JSON values as sorted text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Column, DateTime, Index, MetaData, Table, func, insert, inspect, select, text
from sqlalchemy.engine import Connection, Engine, make_url

from fiche.errors import InputError, PmiekError
from sync.store import open_store

log = logging.getLogger("pmiek.sync.store_migratie")

#: The table whose rows an empty, freshly made store already has.
VERSIETABEL = "pmiek_schema_versie"
BLOK = 500


@dataclass
class TabelControle:
    tabel: str
    bron_rijen: int
    doel_rijen: int | None  # None: the table is missing in the target
    bron_hash: str
    doel_hash: str | None

    @property
    def gelijk(self) -> bool:
        return self.bron_rijen == self.doel_rijen and self.bron_hash == self.doel_hash

    @property
    def oordeel(self) -> str:
        if self.doel_rijen is None:
            return "ONTBREEKT in doel"
        if self.bron_rijen != self.doel_rijen:
            return "VERSCHILT (aantal rijen)"
        return "gelijk" if self.gelijk else "VERSCHILT (inhoud)"


@dataclass
class Controle:
    tabellen: list[TabelControle]

    @property
    def ok(self) -> bool:
        return all(t.gelijk for t in self.tabellen)

    @property
    def afwijkend(self) -> list[str]:
        return [t.tabel for t in self.tabellen if not t.gelijk]

    def regels(self) -> list[str]:
        """The Dutch summary table: rows per table on both sides and the verdict."""
        breedte = max([len("Tabel")] + [len(t.tabel) for t in self.tabellen])
        uit = [f"{'Tabel':<{breedte}}  {'Bron':>8}  {'Doel':>8}  Controle (aantal en hash)"]
        for t in self.tabellen:
            doel = "-" if t.doel_rijen is None else str(t.doel_rijen)
            uit.append(f"{t.tabel:<{breedte}}  {t.bron_rijen:>8}  {doel:>8}  {t.oordeel}")
        return uit


# --- value normalisation and hashing ------------------------------------------------------------

def normaliseer(waarde: Any) -> Any:
    """A column value in a form that is the same whichever database it came from."""
    if waarde is None or isinstance(waarde, str):
        return waarde
    if isinstance(waarde, bool):
        return int(waarde)
    if isinstance(waarde, int):
        return waarde
    if isinstance(waarde, float):
        return repr(waarde)
    if isinstance(waarde, decimal.Decimal):
        return str(waarde.normalize())
    if isinstance(waarde, dt.datetime):
        if waarde.tzinfo is not None:  # naive times in the store are UTC already
            waarde = waarde.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return waarde.isoformat()
    if isinstance(waarde, (dt.date, dt.time)):
        return waarde.isoformat()
    if isinstance(waarde, (bytes, bytearray, memoryview)):
        return "sha256:" + hashlib.sha256(bytes(waarde)).hexdigest()
    if isinstance(waarde, (dict, list)):
        return json.dumps(waarde, sort_keys=True, ensure_ascii=False)
    return str(waarde)


def _sleutelkolommen(tabel: Table) -> list[Column]:
    return list(tabel.primary_key.columns) or list(tabel.columns)


def tabel_hash(conn: Connection, tabel: Table, kolommen: list[str]) -> tuple[int, str]:
    """(rows, hash) of `tabel` over `kolommen`, in primary-key order.

    The order is that of the normalised keys, sorted here rather than by the database, so two
    databases with different collations give the same order."""
    sleutels = [c.name for c in _sleutelkolommen(tabel)]
    paren = []
    resultaat = conn.execution_options(yield_per=BLOK).execute(select(*(tabel.c[k] for k in kolommen)))
    for rij in resultaat.mappings():
        waarden = [normaliseer(rij[k]) for k in kolommen]
        sleutel = json.dumps([normaliseer(rij[k]) for k in sleutels], ensure_ascii=False)
        paren.append((sleutel, hashlib.sha256(json.dumps(waarden, ensure_ascii=False).encode()).hexdigest()))
    paren.sort()
    totaal = hashlib.sha256()
    for sleutel, digest in paren:
        totaal.update(f"{sleutel}\t{digest}\n".encode())
    return len(paren), totaal.hexdigest()


def _weerspiegeling(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(bind=engine)
    return meta


def controleer_engines(bron: Engine, doel: Engine) -> Controle:
    bron_meta, doel_meta = _weerspiegeling(bron), _weerspiegeling(doel)
    uitkomst = []
    with bron.connect() as b, doel.connect() as d:
        for tabel in bron_meta.sorted_tables:
            kolommen = sorted(c.name for c in tabel.columns)
            n, h = tabel_hash(b, tabel, kolommen)
            doel_tabel = doel_meta.tables.get(tabel.name)
            if doel_tabel is None or not set(kolommen) <= set(doel_tabel.c.keys()):
                uitkomst.append(TabelControle(tabel.name, n, None, h, None))
                continue
            dn, dh = tabel_hash(d, doel_tabel, kolommen)
            uitkomst.append(TabelControle(tabel.name, n, dn, h, dh))
    return Controle(uitkomst)


def controleer(van: str, naar: str) -> Controle:
    """Compare every table of the store at `van` with its copy at `naar` (counts and hashes)."""
    bron, doel = _engine(van), _engine(naar)
    try:
        return controleer_engines(bron, doel)
    finally:
        bron.dispose()
        doel.dispose()


# --- the copy -------------------------------------------------------------------------------------

def _engine(url: str) -> Engine:
    from sync.store import maak_engine
    return maak_engine(url)


def _naam(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _run_lock(url: str) -> Iterator[None]:
    """The store's run lock, taken without waiting: no sync may write while the copy is made."""
    from sync.config import config_voor_map
    from sync.synchronisatie import run_lock

    u = make_url(url)
    pad = Path(u.database) if u.get_backend_name() == "sqlite" and u.database else None
    config = config_voor_map(Path("."), pad or Path("pmiek.sqlite"), Path("pmiek.xlsx"))
    config = dataclasses.replace(config, store_url=url, store_path=pad.resolve() if pad else None)
    lock = run_lock(config, wachttijd=0)
    try:
        yield
    finally:
        lock.release()


def _gevulde_tabel(engine: Engine) -> tuple[str, int] | None:
    """A table of the target that holds rows (its schema versions aside), with its count."""
    with engine.connect() as conn:
        for naam in inspect(conn).get_table_names():
            if naam == VERSIETABEL:
                continue
            aantal = conn.execute(select(func.count()).select_from(Table(naam, MetaData()))).scalar() or 0
            if aantal:
                return naam, int(aantal)
    return None


def _generiek(kolom: Column) -> Column:
    try:
        soort = kolom.type.as_generic()
    except NotImplementedError:
        soort = kolom.type
    return Column(kolom.name, soort, primary_key=kolom.primary_key, nullable=kolom.nullable)


def _maak_ontbrekende(bron_meta: MetaData, doel: Engine) -> MetaData:
    """The target's tables, after creating the ones only the source has (not made by our upgrades)."""
    doel_meta = _weerspiegeling(doel)
    nieuw = []
    for tabel in bron_meta.sorted_tables:
        if tabel.name in doel_meta.tables:
            continue
        kopie = Table(tabel.name, doel_meta, *(_generiek(c) for c in tabel.columns))
        for index in tabel.indexes:
            Index(index.name, *(kopie.c[c.name] for c in index.columns), unique=bool(index.unique))
        nieuw.append(kopie)
    if nieuw:
        doel_meta.create_all(doel, tables=nieuw)
        log.info("tables created from the source", extra={"fields": {"tables": [t.name for t in nieuw]}})
    return doel_meta


def _naar_doel(waarde: Any, kolom: Column) -> Any:
    if isinstance(waarde, dt.datetime) and isinstance(kolom.type, DateTime):
        if kolom.type.timezone and waarde.tzinfo is None:
            return waarde.replace(tzinfo=dt.timezone.utc)
        if not kolom.type.timezone and waarde.tzinfo is not None:
            return waarde.astimezone(dt.timezone.utc).replace(tzinfo=None)
    if isinstance(waarde, memoryview):
        return bytes(waarde)
    return waarde


def _kopieer_tabel(b: Connection, d: Connection, bron: Table, doel: Table) -> int:
    kolommen = [c.name for c in bron.columns if c.name in doel.c]
    resultaat = b.execution_options(yield_per=BLOK).execute(
        select(*(bron.c[k] for k in kolommen)).order_by(*_sleutelkolommen(bron)))
    aantal = 0
    for blok in resultaat.mappings().partitions(BLOK):
        d.execute(insert(doel), [{k: _naar_doel(r[k], doel.c[k]) for k in kolommen} for r in blok])
        aantal += len(blok)
    return aantal


def _zet_reeksen(d: Connection, tabellen: list[Table]) -> None:
    """PostgreSQL: let each id sequence continue after the highest copied id."""
    for tabel in tabellen:
        for kolom in tabel.primary_key.columns:
            reeks = d.execute(text("SELECT pg_get_serial_sequence(:t, :k)"),
                              {"t": tabel.name, "k": kolom.name}).scalar()
            if reeks:
                d.execute(text(f'SELECT setval(:r, COALESCE((SELECT MAX("{kolom.name}") FROM "{tabel.name}"), 0) + 1, '
                               "false)"), {"r": reeks})


def migreer(van: str, naar: str, overschrijven: bool = False) -> Controle:
    """Copy the store at `van` into the database at `naar`, then verify the copy."""
    if _naam(van) == _naam(naar):
        raise InputError("source and target are the same database",
                         "Bron en doel zijn dezelfde database; er is niets gekopieerd.")
    bron_store = open_store(van, alleen_lezen=True)  # a pMIEK store of this version, or a Dutch refusal
    doel: Engine | None = None
    try:
        with _run_lock(van), _run_lock(naar):
            doel = _engine(naar)
            gevuld = _gevulde_tabel(doel)
            if gevuld and not overschrijven:
                raise InputError(
                    f"target {_naam(naar)} is not empty ({gevuld[0]}: {gevuld[1]} rows)",
                    f"De doeldatabase {_naam(naar)} is niet leeg (tabel {gevuld[0]} heeft {gevuld[1]} rijen); er is "
                    "niets gekopieerd. Kies een lege database, of vervang de inhoud met --overwrite.")
            doel.dispose()
            open_store(naar).close()  # the schema, through the upgrade chain (also: refuses a newer store)
            bron_meta = _weerspiegeling(bron_store.engine)
            doel_meta = _maak_ontbrekende(bron_meta, doel)
            volgorde = [doel_meta.tables[t.name] for t in bron_meta.sorted_tables]
            with bron_store.engine.connect() as b, doel.begin() as d:
                # Everything the source has, the target gets exactly: first empty (children first).
                for tabel in reversed(doel_meta.sorted_tables):
                    if tabel.name in bron_meta.tables:
                        d.execute(tabel.delete())
                for bron_tabel, doel_tabel in zip(bron_meta.sorted_tables, volgorde):
                    aantal = _kopieer_tabel(b, d, bron_tabel, doel_tabel)
                    log.info("table copied", extra={"fields": {"table": bron_tabel.name, "rows": aantal}})
                if d.dialect.name == "postgresql":
                    _zet_reeksen(d, volgorde)
            return controleer_engines(bron_store.engine, doel)
    except PmiekError:
        raise
    except Exception as exc:
        log.exception("store migration failed")
        raise PmiekError(f"store migration failed: {exc!r}",
                         f"Het kopiëren van de database is mislukt ({type(exc).__name__}: {exc}); wat al "
                         "gekopieerd was is teruggedraaid.") from exc
    finally:
        bron_store.close()
        if doel is not None:
            with suppress(Exception):
                doel.dispose()
