"""Guarding the store (issue 15): every store or disk fault is a Dutch message that names the
cause and the next step, and a store file that is not ours is never used or overwritten.

- **Identity**: every store holds a random id (`pmiek_store`, schema step "store_identiteit");
  `sync.storespoor` leaves it where the service writes, to notice a store that disappeared.
- **Refusals before opening**: an existing store file that is empty, unreadable or not SQLite is
  refused (SQLite would silently start a new database in an empty file); a SQLite database with
  tables that are not ours is refused instead of getting our tables. Each refusal names the
  latest backup (`StoreLocatie`: where the store's backups are, see `sync.reservekopie`).
- **Faults**: `storefout` sorts a database error (full disk, read-only, corrupt, locked) or an
  `OSError` into a `StoreFout` with a Dutch message; `controleer_gezond` runs `PRAGMA quick_check`.
- **Reading only**: `lees_engine` opens a SQLite store read-only (`mode=ro`, no journal-mode
  change), so `pmiek status` and `report --preview` never write and work on a read-only store.

`sync.store` imports this module; it imports nothing of `sync` but `sync.config` (lazily).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import logging
import re
import secrets
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator
from urllib.parse import quote

from sqlalchemy import Column, MetaData, String, Table, create_engine, event, inspect, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.pool import NullPool

from fiche.errors import FileError, PmiekError, oorzaak_nl

log = logging.getLogger("pmiek.sync.storebewaking")

SQLITE_KOP = b"SQLite format 3\x00"
#: The flag that allows a new store where one was before (`--nieuwe-store` still accepted).
NIEUWE_STORE_VLAG = "--new-store"

#: The store's identity (its own MetaData: `sync.store` imports this module, not the reverse).
store_identiteit = Table(
    "pmiek_store", MetaData(),
    Column("store_id", String(64), primary_key=True),
    Column("aangemaakt", String(40), nullable=False),  # ISO time, UTC
)

#: Tables a pMIEK store may hold (ours and the scheduler's); anything else means not ours.
EIGEN_TABELLEN_EXTRA = {"pmiek_store", "apscheduler_jobs", "sqlite_sequence", "sqlite_stat1"}


STANDAARD_BEWAREN = 7
_NAAM = re.compile(r"-\d{8}-\d{6}(-\d+)?\.sqlite$")


@dataclass
class StoreLocatie:
    """Where a SQLite store, its backups and its locks are (None `pad`: not SQLite)."""

    url: str
    pad: Path | None
    backup_map: Path | None
    bewaren: int = STANDAARD_BEWAREN
    config_pad: Path | None = None

    @classmethod
    def uit_config(cls, config: Any) -> "StoreLocatie":
        b = getattr(config, "backup", None)
        pad = config.store_path
        map_ = b.folder if b is not None and b.folder is not None else (standaard_map(pad) if pad else None)
        return cls(config.store_url, pad, map_, b.keep if b is not None else STANDAARD_BEWAREN, config.path)

    @classmethod
    def uit_pad(cls, pad: Path) -> "StoreLocatie":
        from sync.config import sqlite_url
        pad = Path(pad).resolve()
        return cls(sqlite_url(pad), pad, standaard_map(pad))

    def kopieen(self) -> list[Path]:
        """The backups, newest first."""
        if self.backup_map is None or self.pad is None or not self.backup_map.is_dir():
            return []
        stam = self.pad.stem
        try:
            namen = [p for p in self.backup_map.iterdir()
                     if p.name.startswith(stam + "-") and _NAAM.search(p.name[len(stam):])]
        except OSError:
            return []
        return sorted(namen, key=lambda p: p.name, reverse=True)

    def laatste(self) -> Path | None:
        kopieen = self.kopieen()
        return kopieen[0] if kopieen else None

    def lock_paden(self) -> list[Path]:
        """The service lock and the run lock (see `sync.config.Config.lock_path`)."""
        assert self.pad is not None
        basis = self.pad.resolve()
        return [basis.with_name(basis.name + ".lock"), basis.with_name(basis.name + ".run.lock")]


def standaard_map(pad: Path) -> Path:
    return pad.with_name(pad.name + ".backups")


class StoreFout(FileError):
    """The store cannot be used: `soort` is vol | alleen_lezen | beschadigd | onleesbaar |
    vreemd | leeg | bezet | verdwenen | anders."""

    def __init__(self, log_message: str, melding: str, soort: str) -> None:
        super().__init__(log_message, melding)
        self.soort = soort


# --- identity --------------------------------------------------------------------------------

def maak_identiteit(conn: Any) -> None:
    """Schema step: the identity table with one random id (idempotent)."""
    store_identiteit.create(conn, checkfirst=True)
    if conn.execute(select(store_identiteit.c.store_id)).first() is None:
        conn.execute(store_identiteit.insert().values(
            store_id=secrets.token_hex(16), aangemaakt=dt.datetime.now(dt.timezone.utc).isoformat()))


def _zonder_wachtwoord(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def _herstel(laatste: Path | None, config_pad: Path | None, store: Path | None = None) -> str:
    waar = f" --config {config_pad}" if config_pad else (f" --store {store}" if store else "")
    if laatste is None:
        return "Er is geen reservekopie gevonden; zet de database terug uit de back-up van de server."
    return f"Zet de laatste reservekopie terug: pmiek store restore{waar} (laatste: {laatste})."


# --- before opening --------------------------------------------------------------------------

def sqlite_pad(url: str) -> Path | None:
    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database)


def _laatste_kopie(pad: Path) -> Path | None:
    return StoreLocatie.uit_pad(pad).laatste()


def controleer_bestand(url: str) -> None:
    """An existing SQLite store file must be readable and a SQLite database with content."""
    pad = sqlite_pad(url)
    if pad is None or not pad.exists():
        return
    if pad.is_dir():
        raise StoreFout(f"store {pad} is a directory", f"De database {pad} is een map, geen bestand.", "vreemd")
    try:
        with open(pad, "rb") as fh:
            kop = fh.read(len(SQLITE_KOP))
    except OSError as exc:
        raise StoreFout(f"store {pad} cannot be read: {exc}",
                        f"De database {pad} kan niet worden gelezen ({oorzaak_nl(exc)}). Geef het dienstaccount "
                        "lees- en schrijfrechten op het bestand.", "onleesbaar") from None
    laatste = _laatste_kopie(pad)
    if not kop:
        raise StoreFout(f"store {pad} is an empty file", f"De database {pad} is leeg (0 bytes): de gegevens zijn "
                        f"weg. Er wordt niet stilletjes een nieuwe database in gemaakt. {_herstel(laatste, None, pad)} "
                        f"Alleen als u bewust opnieuw begint: voeg {NIEUWE_STORE_VLAG} toe.", "leeg")
    if kop != SQLITE_KOP:
        raise StoreFout(f"store {pad} is not a SQLite database", f"Het bestand {pad} is geen pMIEK-database (geen "
                        f"SQLite-bestand); het wordt niet gebruikt en niet overschreven. Controleer store.path. "
                        f"{_herstel(laatste, None, pad)}", "vreemd")


def open_engine(url: str, alleen_lezen: bool, maak_engine: Callable[[str], Engine]) -> Engine:
    """The engine `open_store` uses (`maak_engine` for writing), after `controleer_bestand`."""
    controleer_bestand(url)
    return lees_engine(url) if alleen_lezen else maak_engine(url)


def weiger_vreemde(engine: Engine, naam: str, versie: int, eigen: set[str]) -> None:
    """A database without our schema (`versie` 0) but with tables not in `eigen` is someone else's."""
    if versie != 0:
        return
    with engine.connect() as conn:
        tabellen = set(inspect(conn).get_table_names())
    vreemd = tabellen - eigen - EIGEN_TABELLEN_EXTRA
    if vreemd:
        pad = sqlite_pad(str(engine.url)) if engine.url.database else None
        laatste = _laatste_kopie(pad) if pad else None
        raise StoreFout(f"database {naam} holds other tables ({', '.join(sorted(vreemd)[:5])}); not a pMIEK store",
                        f"De database {naam} is geen pMIEK-database (er staan andere tabellen in, bijv. "
                        f"{sorted(vreemd)[0]}); pMIEK Monitor voegt er niets aan toe. Controleer store.path of "
                        f"store.url. {_herstel(laatste, None, pad)}", "vreemd")


# --- reading only ----------------------------------------------------------------------------

def lees_engine(url: str) -> Engine:
    """A read-only engine: SQLite through `mode=ro` (no WAL pragma, no table creation possible);
    in a read-only folder a WAL store without its -shm file opens as immutable instead."""
    pad = sqlite_pad(url)
    if pad is None:
        engine = create_engine(url, future=True)
        event.listen(engine, "connect", lambda c, _r: _alleen_lezen_sessie(c))
        return engine
    basis = "file:" + quote(str(pad.resolve()))

    def verbind() -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(basis + "?mode=ro", uri=True, check_same_thread=False, timeout=30)
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
            return conn
        except sqlite3.OperationalError as exc:
            if "unable to open" not in str(exc):
                raise
            # A WAL database needs its -shm file; a read-only folder cannot get one. Nothing can
            # write here either, so reading the file as it is is safe.
            log.info("store opened immutable (read-only folder)", extra={"fields": {"store": str(pad)}})
            return sqlite3.connect(basis + "?mode=ro&immutable=1", uri=True, check_same_thread=False)

    engine = create_engine("sqlite://", creator=verbind, poolclass=NullPool, future=True)
    engine.url = make_url(url)  # names the file in messages (the creator opens it)
    return engine


def _alleen_lezen_sessie(dbapi_conn: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cur.close()


# --- faults ----------------------------------------------------------------------------------

def snelle_controle(engine: Engine) -> list[str]:
    """`PRAGMA quick_check` on a SQLite store: [] when sound, else SQLite's findings."""
    if engine.dialect.name != "sqlite":
        return []
    with engine.connect() as conn:
        regels = [str(r[0]) for r in conn.execute(text("PRAGMA quick_check")).all()]
    return [] if regels == ["ok"] else regels


def melding_beschadigd(pad: Any, laatste: Path | None, config_pad: Path | None = None) -> str:
    herstel = _herstel(laatste, config_pad, pad if isinstance(pad, Path) else None)
    return (f"{_db(pad)} is beschadigd. Stop de dienst en {herstel[0].lower()}{herstel[1:]} De beschadigde "
            "database wordt daarbij apart gezet, niet gewist.")


def controleer_gezond(engine: Engine, config_pad: Path | None = None) -> None:
    """Refuse a store that `quick_check` finds damaged (logged in English, raised in Dutch)."""
    try:
        bevindingen = snelle_controle(engine)
    except Exception as exc:  # noqa: BLE001 - sorted below; anything else is not a store fault
        fout = storefout(exc, str(engine.url), config_pad)
        if fout is None:
            raise
        raise fout from None
    if bevindingen:
        pad = sqlite_pad(str(engine.url))
        log.error("store integrity check failed", extra={"fields": {"store": str(pad), "findings": bevindingen[:5]}})
        raise StoreFout(f"store {pad} failed quick_check: {bevindingen[:3]}",
                        melding_beschadigd(pad, _laatste_kopie(pad) if pad else None, config_pad), "beschadigd")


_CORRUPT = ("file is not a database", "malformed", "database corrupt", "disk image")


def storefout(exc: BaseException, url: str, config_pad: Path | None = None) -> StoreFout | None:
    """A database error or `OSError` as a `StoreFout` with the cause and the next step in Dutch;
    None when `exc` is neither."""
    from sqlalchemy.exc import DBAPIError

    orig: BaseException = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
    if not isinstance(orig, (sqlite3.Error, OSError)) and not isinstance(exc, DBAPIError):
        return None
    tekst = str(orig).lower()
    pad: Any = (sqlite_pad(url) if url.startswith("sqlite") else _zonder_wachtwoord(url)) if url else ""
    fs_errno = orig.errno if isinstance(orig, OSError) else None
    bestand = getattr(orig, "filename", None) or pad or "de database"
    if "disk is full" in tekst or fs_errno in (errno.ENOSPC, errno.EDQUOT) or (
            "disk i/o error" in tekst and _bijna_vol(pad)):  # SQLite's WAL index cannot grow: an I/O error
        return StoreFout(f"disk full: {orig}", f"De schijf is vol ({bestand}). Maak ruimte vrij op die schijf en "
                         "probeer het opnieuw; wat al was opgeslagen blijft bewaard.", "vol")
    if "readonly" in tekst or "read-only" in tekst or fs_errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return StoreFout(f"read-only: {orig}", f"Er kan niet worden geschreven in {bestand} (alleen-lezen of geen "
                         "schrijfrechten). Geef het dienstaccount schrijfrechten op de database en de map waarin "
                         "die staat, of kies met store.path een beschrijfbare plek.", "alleen_lezen")
    if any(s in tekst for s in _CORRUPT):
        laatste = _laatste_kopie(pad) if isinstance(pad, Path) else None
        log.error("store is corrupt", extra={"fields": {"store": str(pad), "error": str(orig)}})
        return StoreFout(f"store corrupt: {orig}", melding_beschadigd(pad, laatste, config_pad), "beschadigd")
    if not str(url).startswith("sqlite") and "connection" in tekst and ("failed" in tekst or "refused" in tekst):
        return StoreFout(f"store server unreachable: {orig}",
                         f"De database {pad} is niet bereikbaar ({orig}). Controleer of de databaseserver draait, "
                         "de server en poort in store.url en het wachtwoord (PGPASSWORD of ~/.pgpass).", "anders")
    if "unable to open" in tekst:
        return StoreFout(f"cannot open store: {orig}", f"{_db(pad)} kan niet worden geopend of aangemaakt "
                         "(bestaat de map, en mag het dienstaccount daar schrijven?).", "onleesbaar")
    if "disk i/o error" in tekst:
        return StoreFout(f"disk I/O error: {orig}", f"{_db(pad)} kreeg een lees- of schrijffout van de schijf. "
                         "Controleer de schijf (vrije ruimte, de verbinding met een netwerkmap) en probeer opnieuw; "
                         "meldt een volgende run de database als beschadigd, zet dan de laatste reservekopie terug.",
                         "anders")
    if "locked" in tekst or "busy" in tekst:
        return StoreFout(f"store busy: {orig}", f"{_db(pad)} is bezet door een ander proces; probeer het "
                         "later opnieuw.", "bezet")
    if isinstance(orig, OSError):
        return StoreFout(f"file system error: {orig}", f"Bestandsfout bij {bestand}: {oorzaak_nl(orig)}.", "anders")
    return StoreFout(f"database error: {orig}", f"{_db(pad)} gaf een fout: {orig}.", "anders")


def _bijna_vol(pad: Any) -> bool:
    """Less than 1 MiB free where the store is (an I/O error there is then a full disk)."""
    import shutil
    try:
        return isinstance(pad, Path) and shutil.disk_usage(pad.parent).free < 1024 * 1024
    except OSError:
        return False


def _db(pad: Any) -> str:
    return f"De database {pad}" if pad else "De database"


@contextlib.contextmanager
def fouten_vertaald(url: str, config_pad: Path | None = None) -> Iterator[None]:
    """Around a command's use of the store: a database or file-system fault leaves as a `StoreFout`
    that names this store (and its latest backup), not as a traceback."""
    try:
        yield
    except PmiekError:
        raise
    except Exception as exc:
        fout = storefout(exc, url, config_pad)
        if fout is None:
            raise
        raise fout from None


def map_niet_beschrijfbaar(map_: Path, exc: OSError) -> StoreFout:
    """The run or service lock cannot be made beside the store."""
    return StoreFout(f"cannot write lock files in {map_}: {exc}",
                     f"In de map {map_} kan niet worden geschreven ({oorzaak_nl(exc)}); daar staan de database "
                     "en haar vergrendelingsbestanden. Geef het dienstaccount schrijfrechten op die map, of kies "
                     "met store.path een beschrijfbare plek.", "alleen_lezen")
