"""The store: every fiche version the service ever saw, the runs, the sources' cursors, the reads in
progress (a file that kills the reader is not read again), the quarterly e-mail's snapshots and sends,
the uitvraag round's records (declared in `sync.uitvraag.tabellen`).

SQLite through SQLAlchemy by default (one file, WAL mode so `pmiek status` can read while a run
writes), or PostgreSQL (`sync.database`): the same tables and upgrade steps on both.
Accepted versions are never deleted or rewritten: any past peildatum can be rebuilt
from them. A refused version is kept too, for the Datakwaliteit view. Every table is declared
here and created by one chain of numbered upgrade steps; `open_store` applies the missing steps
in order (also to the scheduler's stored jobs, whose function references move with the code),
refuses a store written by a newer pMIEK, and when only reading never changes the schema.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Callable, cast

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from fiche.errors import InputError, PmiekError
from sync import storebewaking as bewaking
from sync.database import (
    UPGRADE_SLEUTEL,
    huidige_versie,
    maak_engine,
    onbegrensde_tekst_op_postgresql,
    toon_url,
    versie_in,
)
from sync.herstel import upgrade_herstel as _upgrade_herstel  # step 7: plain SQL, imports nothing of ours
from sync.jsonvorm import dumps, loads  # noqa: F401 - the store's JSON columns; imported from here too
from sync.lijsten.tabellen import upgrade_lijsten  # step 10: the project lists (issue 10)
from sync.rapportage_schema import maak_rapportage as _upgrade_rapportage, upgrade_soort_bron  # steps 6, 11: views

log = logging.getLogger("pmiek.sync.store")

#: Current schema version; `UPGRADES[n]` brings a store from n-1 to n.
SCHEMA_VERSIE = 12

STATUS_GEACCEPTEERD = "geaccepteerd"
STATUS_GEWEIGERD = "geweigerd"  # read, but the validator found errors
STATUS_ONLEESBAAR = "onleesbaar"  # not a readable fiche at all
STATUS_VERWIJDERD = "verwijderd"  # the file disappeared from the source


def nu() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UtcDateTime(TypeDecorator):
    """SQLite has no time zones: store UTC, hand back aware datetimes."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        return None if value is None else value.replace(tzinfo=dt.timezone.utc)


class Base(DeclarativeBase):
    pass


class SchemaVersie(Base):
    __tablename__ = "pmiek_schema_versie"
    versie: Mapped[int] = mapped_column(Integer, primary_key=True)
    toegepast: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Bron(Base):
    """A source the service syncs from ("folder /data/fiches", "sharepoint drive b!x folder y")."""

    __tablename__ = "bronnen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sleutel: Mapped[str] = mapped_column(String(500), unique=True)
    soort: Mapped[str] = mapped_column(String(20))
    aangemaakt: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class DeltaCursor(Base):
    """Where an incremental listing continues (a Graph deltaLink); absent: a full listing."""

    __tablename__ = "delta_cursors"
    bron_id: Mapped[int] = mapped_column(ForeignKey("bronnen.id"), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(Text)
    bijgewerkt: Mapped[dt.datetime] = mapped_column(UtcDateTime)


class Bestand(Base):
    """The current state of one file in a source: what intake compares a listing against."""

    __tablename__ = "bestanden"
    __table_args__ = (UniqueConstraint("bron_id", "item_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bron_id: Mapped[int] = mapped_column(ForeignKey("bronnen.id"))
    item_id: Mapped[str] = mapped_column(String(1000))
    naam: Mapped[str] = mapped_column(String(500))
    etag: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    gewijzigd: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    link: Mapped[str | None] = mapped_column(Text)
    verwijderd: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    laatst_gezien: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    #: The `sync.nabij_maanden` its current version was judged with (schema step 12; None: before
    #: that step, the default then): a run with another setting reads the file again.
    nabij_maanden: Mapped[int | None] = mapped_column(Integer)


class FicheVersie(Base):
    """One version of one file as intake judged it, or its disappearance. Append-only."""

    __tablename__ = "fiche_versies"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bron_id: Mapped[int] = mapped_column(ForeignKey("bronnen.id"))
    item_id: Mapped[str] = mapped_column(String(1000))
    naam: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    geaccepteerd: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    etag: Mapped[str | None] = mapped_column(String(500))
    #: When the version was made (the source's modified time; for a deletion: when it was noticed).
    gewijzigd: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    ontvangen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    fiche_type: Mapped[str | None] = mapped_column(String(20))
    project_sleutel: Mapped[str | None] = mapped_column(String(500))
    projectnaam: Mapped[str | None] = mapped_column(String(500))
    fiche_peildatum: Mapped[dt.date | None] = mapped_column(Date)
    stoplicht: Mapped[str | None] = mapped_column(String(40))
    #: Findings as JSON (list of {severity, code, field, cell, message}).
    bevindingen: Mapped[str] = mapped_column(Text, default="[]")
    #: The parsed Beoordeling (values, tables, milestone verdicts) as JSON; enough for a ProjectStand.
    beoordeling: Mapped[str | None] = mapped_column(Text)
    #: Dutch reason, when the file could not be read at all.
    melding: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    einde: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(20), default="bezig")  # bezig | ok | fout | afgebroken
    aanleiding: Mapped[str] = mapped_column(String(20), default="handmatig")  # handmatig | gepland | demo
    bron: Mapped[str | None] = mapped_column(String(500))
    pid: Mapped[int | None] = mapped_column(Integer)
    gezien: Mapped[int] = mapped_column(Integer, default=0)
    gedownload: Mapped[int] = mapped_column(Integer, default=0)
    gelezen: Mapped[int] = mapped_column(Integer, default=0)
    geaccepteerd: Mapped[int] = mapped_column(Integer, default=0)
    geweigerd: Mapped[int] = mapped_column(Integer, default=0)
    ongewijzigd: Mapped[int] = mapped_column(Integer, default=0)
    verwijderd: Mapped[int] = mapped_column(Integer, default=0)
    #: Failures as JSON: [{"item": ..., "melding": ...}] plus a run-level error.
    fouten: Mapped[str] = mapped_column(Text, default="[]")
    master: Mapped[str | None] = mapped_column(Text)
    melding: Mapped[str | None] = mapped_column(Text)


class Lezing(Base):
    """One file version handed to the reader (`sync.intake`), committed before the reader starts.

    Removed in the transaction that stores the reader's verdict. A row that outlives its run
    means the process died while reading that version (an engine abort, the out-of-memory
    killer): the next run records the version as refused instead of reading it again, and keeps
    the row with `vastgelopen` set, for `pmiek status`.
    """

    __tablename__ = "lezingen"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    bron_id: Mapped[int] = mapped_column(ForeignKey("bronnen.id"))
    item_id: Mapped[str] = mapped_column(String(1000))
    naam: Mapped[str] = mapped_column(String(500))
    link: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(String(500))
    content_hash: Mapped[str] = mapped_column(String(64))
    gewijzigd: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"))
    pid: Mapped[int | None] = mapped_column(Integer)
    begonnen: Mapped[dt.datetime] = mapped_column(UtcDateTime)
    #: When a later run found the read abandoned and refused the version (None: still reading).
    vastgelopen: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    versie_id: Mapped[int | None] = mapped_column(ForeignKey("fiche_versies.id"))  # the refusal recorded


# The quarterly e-mail's record (sync.kwartaal.rapportage reads and writes them).

kwartaal_snapshots = Table(
    "kwartaal_snapshots", Base.metadata,
    Column("kwartaal", String(8), primary_key=True),
    Column("peildatum", Date, nullable=False),
    Column("gemaakt", UtcDateTime, nullable=False),
    Column("overzicht", Text, nullable=False),  # the Overzicht as JSON
    Column("master", LargeBinary, nullable=False),  # the master workbook of that peildatum
)

kwartaal_verzendingen = Table(
    "kwartaal_verzendingen", Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("kwartaal", String(8), nullable=False, index=True),
    Column("message_id", String(300), nullable=False),
    Column("transport", String(20), nullable=False),
    Column("status", String(20), nullable=False),
    Column("aanleiding", String(20), nullable=False),
    Column("geforceerd", Boolean, nullable=False, default=False),
    Column("ontvangers", Text, nullable=False),
    Column("aangemaakt", UtcDateTime, nullable=False),
    Column("bijgewerkt", UtcDateTime, nullable=False),
    Column("detail", Text),  # where it went (a file, the server's reply)
    Column("melding", Text),  # Dutch, for `pmiek status`
    Column("pid", Integer),
)
# One attempt in flight per quarter, enforced by the database itself.
Index("ux_verzending_in_behandeling", kwartaal_verzendingen.c.kwartaal, unique=True,
      sqlite_where=text("status = 'verzenden'"), postgresql_where=text("status = 'verzenden'"))


# --- schema upgrades --------------------------------------------------------------------------

def _upgrade_1(conn) -> None:
    # Only the tables of version 1: later tables arrive through their own steps.
    tabellen = [cast(Table, m.__table__) for m in (SchemaVersie, Bron, DeltaCursor, Bestand, FicheVersie, Run)]
    Base.metadata.create_all(conn, tables=tabellen)


def _upgrade_2(conn) -> None:
    # The overview asks "last version per file / per project as of a date" on every run.
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_versies_item ON fiche_versies (bron_id, item_id, gewijzigd)"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_versies_project ON fiche_versies (project_sleutel)"))


def _upgrade_3(conn) -> None:
    # The quarterly e-mail's tables. Releases up to 5bff393 created them outside this chain
    # (whenever the report was used), so they may already be there: checkfirst, with their indexes.
    Base.metadata.create_all(conn, tables=[kwartaal_snapshots, kwartaal_verzendingen], checkfirst=True)


#: Where the scheduled jobs' functions used to live (APScheduler stores them as "module:name").
OUDE_JOB_FUNCTIES = {
    "sync.dienst:geplande_sync": "sync.synchronisatie:geplande_sync",
    "sync.kwartaalrapport:geplande_rapportage": "sync.kwartaal.rapportage:geplande_rapportage",
}


def _upgrade_4(conn) -> None:
    # APScheduler removes a stored job whose function it cannot import, and with it a pending
    # catch-up: point the stored references at the functions' new homes. The pickled state holds
    # the reference as text, so unpickling it imports no job code; every other key is kept.
    import pickle

    if not inspect(conn).has_table("apscheduler_jobs"):
        return
    for job_id, toestand in conn.execute(text("SELECT id, job_state FROM apscheduler_jobs")).all():
        state = pickle.loads(toestand)
        nieuw = OUDE_JOB_FUNCTIES.get(state.get("func"))
        if nieuw is None:
            continue
        state["func"] = nieuw
        conn.execute(text("UPDATE apscheduler_jobs SET job_state = :s WHERE id = :i"),
                     {"s": pickle.dumps(state, pickle.HIGHEST_PROTOCOL), "i": job_id})
        log.info("stored job reference updated", extra={"fields": {"job": job_id, "func": nieuw}})


def _upgrade_5(conn) -> None:
    # Reads in progress (issue 13), so a file that took the process down is not read blindly again.
    Base.metadata.create_all(conn, tables=[cast(Table, Lezing.__table__)])


def _upgrade_uitvraag(conn) -> None:  # the uitvraag round's records (issue 12)
    __import__("sync.uitvraag.tabellen", fromlist=["maak_tabellen"]).maak_tabellen(conn)  # (a cycle at the top)


def _upgrade_store_identiteit(conn) -> None:
    bewaking.maak_identiteit(conn)  # issue 15: the store's own random id


def _upgrade_nabij(conn) -> None:  # the setting each file's verdict was made with
    # A store made by this version has the column from step 1 (which creates the current table).
    if "nabij_maanden" not in {c["name"] for c in inspect(conn).get_columns("bestanden")}:
        conn.execute(text("ALTER TABLE bestanden ADD COLUMN nabij_maanden INTEGER"))


UPGRADES: dict[int, Callable] = {1: _upgrade_1, 2: _upgrade_2, 3: _upgrade_3, 4: _upgrade_4, 5: _upgrade_5,
                                  6: _upgrade_rapportage, 7: _upgrade_herstel, 8: _upgrade_uitvraag,
                                  9: _upgrade_store_identiteit, 10: upgrade_lijsten, 11: upgrade_soort_bron,
                                  12: _upgrade_nabij}


def upgrade(engine: Engine, tot: int = SCHEMA_VERSIE) -> int:
    """Apply the missing upgrade steps, each in its own transaction; returns the new version."""
    versie = huidige_versie(engine)
    if versie > SCHEMA_VERSIE:
        raise InputError(
            f"store schema version {versie} is newer than this pMIEK ({SCHEMA_VERSIE})",
            f"De database is gemaakt door een nieuwere pMIEK Monitor (schemaversie {versie}, deze versie kent "
            f"{SCHEMA_VERSIE}). Werk pMIEK Monitor bij.",
        )
    if engine.dialect.name == "postgresql":
        onbegrensde_tekst_op_postgresql(Base.metadata)
    for stap in range(versie + 1, tot + 1):
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Two processes opening a new database at once: the second waits here, then
                # finds the step done. (SQLite serialises writers on the file itself.)
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_SLEUTEL})
                if versie_in(conn) >= stap:
                    continue
            versies = cast(Table, SchemaVersie.__table__)
            if stap == 1:
                versies.create(conn, checkfirst=True)
            UPGRADES[stap](conn)
            conn.execute(versies.insert().values(versie=stap, toegepast=nu()))
        log.info("store schema upgraded", extra={"fields": {"version": stap}})
        versie = stap
    return versie


@dataclass
class Store:
    engine: Engine
    sessions: sessionmaker

    def session(self) -> Session:
        return self.sessions()

    def close(self) -> None:
        self.engine.dispose()

    # --- sources and cursors ---

    def bron_id(self, sleutel: str, soort: str) -> int:
        with self.session() as s, s.begin():
            bron = s.scalar(select(Bron).where(Bron.sleutel == sleutel))
            if bron is None:
                bron = Bron(sleutel=sleutel, soort=soort, aangemaakt=nu())
                s.add(bron)
                s.flush()
            return bron.id

    def cursor(self, bron_id: int) -> str | None:
        with self.session() as s:
            row = s.get(DeltaCursor, bron_id)
            return row.cursor if row else None

    def zet_cursor(self, bron_id: int, cursor: str | None) -> None:
        with self.session() as s, s.begin():
            row = s.get(DeltaCursor, bron_id)
            if row is None:
                s.add(DeltaCursor(bron_id=bron_id, cursor=cursor, bijgewerkt=nu()))
            else:
                row.cursor, row.bijgewerkt = cursor, nu()

    # --- runs ---

    def start_run(self, bron: str, aanleiding: str, pid: int | None) -> int:
        with self.session() as s, s.begin():
            # A run still "bezig" was cut off (killed, power loss): only one process owns the store.
            for oud in s.scalars(select(Run).where(Run.status == "bezig")):
                oud.status = "afgebroken"
                oud.melding = "De vorige run is onderbroken (proces gestopt); deze run maakt hem af."
            run = Run(start=nu(), status="bezig", aanleiding=aanleiding, bron=bron, pid=pid)
            s.add(run)
            s.flush()
            return run.id

    def eindig_run(self, run_id: int, status: str, tellingen: dict[str, int], fouten: list[dict],
                   master: str | None = None, melding: str | None = None) -> None:
        with self.session() as s, s.begin():
            run = s.get(Run, run_id)
            if run is None:  # the id comes from begin_run on this store: a bug if missing
                raise PmiekError(f"run {run_id} missing from the store")
            run.einde, run.status, run.master, run.melding = nu(), status, master, melding
            for k, v in tellingen.items():
                setattr(run, k, v)
            run.fouten = dumps(fouten)

    def runs(self, aantal: int = 10) -> list[Run]:
        with self.session() as s:
            rows = list(s.scalars(select(Run).order_by(Run.id.desc()).limit(aantal)))
            s.expunge_all()
            return rows

    # --- reads in progress (see Lezing) ---

    def begin_lezing(self, bron_id: int, item_id: str, naam: str, link: str | None, etag: str | None,
                     content_hash: str, gewijzigd: dt.datetime | None, run_id: int | None, pid: int | None) -> int:
        """Record, committed, that this version goes to the reader now; returns the record's id."""
        with self.engine.begin() as conn:  # a statement, not an ORM object: once per file read
            sleutel = conn.execute(insert(Lezing), dict(
                bron_id=bron_id, item_id=item_id, naam=naam, link=link, etag=etag, content_hash=content_hash,
                gewijzigd=gewijzigd, run_id=run_id, pid=pid, begonnen=nu())).inserted_primary_key
            assert sleutel is not None
            return sleutel[0]

    def open_lezingen(self, bron_id: int) -> list[tuple[Lezing, Run | None]]:
        """The reads of `bron_id` nobody completed, each with the run that started it."""
        with self.session() as s:
            open_ = select(Lezing).where(Lezing.bron_id == bron_id, Lezing.vastgelopen.is_(None)).order_by(Lezing.id)
            rows = [(lezing, s.get(Run, lezing.run_id) if lezing.run_id is not None else None)
                    for lezing in s.scalars(open_)]
            s.expunge_all()
            return rows

    def vastgelopen_lezingen(self) -> list[Lezing]:
        """The versions that took the reader down and are still their file's current version
        (a newer version, or the file's deletion, ends the entry), oldest first."""
        with self.session() as s:
            rows = list(s.scalars(
                select(Lezing).join(Bestand, (Bestand.bron_id == Lezing.bron_id) & (Bestand.item_id == Lezing.item_id))
                .where(Lezing.vastgelopen.is_not(None), Bestand.verwijderd.is_(None),
                       Bestand.content_hash == Lezing.content_hash)
                .order_by(Lezing.id)))
            s.expunge_all()
        # A file reverted to a version that crashed before may have crashed twice: name it once.
        return list({(r.bron_id, r.item_id): r for r in rows}.values())


def open_store(url: str, aanmaken: bool = True, alleen_lezen: bool = False) -> Store:
    """Open (and create or upgrade) the store at `url`. With `aanmaken=False` (report --store) a
    database that is not a pMIEK store yet is refused rather than given our tables. With
    `alleen_lezen=True` (status, a preview) the store is opened read-only and an older schema is
    refused with the advice to let a sync upgrade it: looking at a store never changes it."""
    engine = bewaking.open_engine(url, alleen_lezen, maak_engine)  # refuses an empty, unreadable, non-SQLite file
    naam = engine.url.database or url
    url = toon_url(url)  # for the messages below: never a password
    try:
        versie = huidige_versie(engine)
        bewaking.weiger_vreemde(engine, naam, versie, set(Base.metadata.tables))  # not ours: gets no tables
        if (alleen_lezen or not aanmaken) and versie == 0:
            raise InputError(f"{url} is not a pMIEK store (no schema version)",
                             f"De database {naam} is geen pMIEK-database (of nog leeg); "
                             "draai eerst een synchronisatie (pmiek sync).")
        if alleen_lezen and versie < SCHEMA_VERSIE:
            raise InputError(
                f"store {url} has schema version {versie}; this pMIEK reads {SCHEMA_VERSIE} and does not upgrade "
                "when only reading",
                f"De database {naam} is gemaakt door een eerdere versie van pMIEK Monitor (schemaversie {versie}, "
                f"deze versie gebruikt {SCHEMA_VERSIE}). Draai eerst een synchronisatie (pmiek sync) of start de "
                "dienst (pmiek serve): die werken de database bij, zonder gegevens te verliezen.")
        upgrade(engine)  # a no-op when current; refuses a store of a newer pMIEK
    except DBAPIError as exc:
        engine.dispose()
        raise bewaking.storefout(exc, url) or PmiekError(f"cannot open store {url}: {exc}") from None
    except PmiekError:
        engine.dispose()
        raise
    return Store(engine, sessionmaker(engine, expire_on_commit=False))
