"""Backups of the store (issue 15): `pmiek store backup`, `pmiek store restore`, and the
service's daily backup job.

A backup is made with SQLite's online backup API (`sqlite3.Connection.backup`, consistent while
a run writes), into a temp file that is checked with `PRAGMA integrity_check` before it gets its
final name: a damaged store never replaces a good backup. The newest `backup_keep` backups are
kept in `backup_folder` (default: `<store>.backups/` beside the store). A restore refuses while
the service or a sync holds its lock, checks the backup first, and puts the store it replaces
aside (`<store>.vervangen-<time>`, with its -wal/-shm files) instead of deleting it.

PostgreSQL has its own backup tools (pg_dump): on such a store both commands say so.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from filelock import FileLock, Timeout

from fiche.errors import InputError
from sync.storebewaking import StoreFout, StoreLocatie, map_niet_beschrijfbaar, storefout

log = logging.getLogger("pmiek.sync.reservekopie")

JOB_ID = "pmiek-reservekopie"


def _alleen_sqlite(loc: StoreLocatie) -> Path:
    if loc.pad is None:
        raise InputError(f"store {loc.url.split('@')[-1]} is not SQLite; use the database's own backup",
                         "Deze database is geen SQLite-bestand (PostgreSQL): maak en herstel reservekopieën met "
                         "de eigen hulpmiddelen van de database (pg_dump en pg_restore, of de back-up van de "
                         "databaseserver). pmiek store backup/restore werkt alleen voor SQLite.")
    return loc.pad


def _uri(pad: Path) -> str:
    return "file:" + quote(str(Path(pad).resolve()))


def integriteit(pad: Path) -> list[str]:
    """`PRAGMA integrity_check` of a database file: [] when sound."""
    conn = sqlite3.connect(_uri(pad) + "?mode=ro", uri=True)
    try:
        regels = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    finally:
        conn.close()
    return [] if regels == ["ok"] else regels


def maak_reservekopie(loc: StoreLocatie, moment: dt.datetime | None = None) -> Path:
    """Back the store up (online backup API, checked), then keep the newest `loc.bewaren`."""
    pad = _alleen_sqlite(loc)
    if not pad.is_file():
        raise InputError(f"store {pad} does not exist", f"De database {pad} bestaat niet; er is niets om te bewaren.")
    assert loc.backup_map is not None
    moment = moment or dt.datetime.now()
    doel = loc.backup_map / f"{pad.stem}-{moment:%Y%m%d-%H%M%S}.sqlite"
    n = 1
    while doel.exists():
        n += 1
        doel = loc.backup_map / f"{pad.stem}-{moment:%Y%m%d-%H%M%S}-{n}.sqlite"
    tijdelijk = doel.with_name(f".{doel.name}.tmp")
    try:
        loc.backup_map.mkdir(parents=True, exist_ok=True)
        bron = sqlite3.connect(_uri(pad) + "?mode=ro", uri=True, timeout=30)
        try:
            kopie = sqlite3.connect(tijdelijk)
            try:
                bron.backup(kopie)
                kopie.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                kopie.close()
        finally:
            bron.close()
        bevindingen = integriteit(tijdelijk)
        if bevindingen:
            log.error("backup failed its integrity check; store is damaged", extra={"fields": {
                "store": str(pad), "findings": bevindingen[:5]}})
            from sync.storebewaking import melding_beschadigd
            raise StoreFout(f"store {pad} failed integrity_check: {bevindingen[:3]}",
                            "Er is geen reservekopie gemaakt: de integriteitscontrole vond fouten. "
                            + melding_beschadigd(pad, loc.laatste(), loc.config_pad), "beschadigd")
        os.replace(tijdelijk, doel)
    except (sqlite3.Error, OSError) as exc:
        fout = storefout(exc, loc.url, loc.config_pad)
        if fout is not None and fout.soort == "beschadigd":  # the copy itself stumbled on a damaged page
            fout.melding = f"Er is geen reservekopie gemaakt. {fout.melding}"
        raise (fout or exc) from None
    finally:
        tijdelijk.unlink(missing_ok=True)
    weg = _opruimen(loc)
    log.info("store backed up", extra={"fields": {"store": str(pad), "backup": str(doel), "removed": len(weg)}})
    return doel


def _opruimen(loc: StoreLocatie) -> list[Path]:
    weg = loc.kopieen()[loc.bewaren:]
    for oud in weg:
        try:
            oud.unlink()
        except OSError as exc:
            log.warning("old backup not removed", extra={"fields": {"backup": str(oud), "error": str(exc)}})
    return weg


def zet_terug(loc: StoreLocatie, kopie: Path | None = None) -> tuple[Path, Path | None]:
    """Put backup `kopie` (default: the latest) in place of the store; returns (the backup used,
    where the replaced store was put aside, if there was one)."""
    pad = _alleen_sqlite(loc)
    if kopie is None:
        kopie = loc.laatste()
        if kopie is None:
            raise InputError(f"no backups in {loc.backup_map}", f"Er staan geen reservekopieën in {loc.backup_map}.")
    kopie = Path(kopie)
    if not kopie.is_file():
        raise InputError(f"backup {kopie} does not exist", f"De reservekopie {kopie} bestaat niet.")
    try:
        bevindingen = integriteit(kopie)
    except sqlite3.Error as exc:
        bevindingen = [str(exc)]
    if bevindingen:
        raise StoreFout(f"backup {kopie} failed integrity_check: {bevindingen[:3]}",
                        f"De reservekopie {kopie} is beschadigd of geen database en wordt niet teruggezet; kies een "
                        "andere (pmiek store restore BESTAND).", "beschadigd")
    locks = []
    try:
        for lock_pad in loc.lock_paden():
            lock = FileLock(str(lock_pad), timeout=0, thread_local=False)
            try:
                lock.acquire()
            except Timeout:
                raise InputError(f"{lock_pad} is held: a service or sync is running",
                                 "De pMIEK-dienst of een synchronisatie gebruikt deze database nu; stop de dienst "
                                 "(en wacht tot de synchronisatie klaar is) en probeer het opnieuw.") from None
            except OSError as exc:
                raise map_niet_beschrijfbaar(lock_pad.parent, exc) from None
            locks.append(lock)
        return kopie, _vervang(pad, kopie)
    finally:
        for lock in locks:
            lock.release()


def _vervang(pad: Path, kopie: Path) -> Path | None:
    apart = None
    tijdelijk = pad.with_name(f".{pad.name}.terugzetten.tmp")
    try:
        tijdelijk.write_bytes(kopie.read_bytes())
        if pad.exists():
            apart = pad.with_name(f"{pad.name}.vervangen-{dt.datetime.now():%Y%m%d-%H%M%S}")
            os.replace(pad, apart)
        for achter in ("-wal", "-shm"):  # they belong to the replaced store, not to the backup
            bij = pad.with_name(pad.name + achter)
            if bij.exists():
                if apart is not None:
                    os.replace(bij, apart.with_name(apart.name + achter))
                else:
                    bij.unlink()
        os.replace(tijdelijk, pad)
    except OSError as exc:
        fout = storefout(exc, f"sqlite:///{pad}")
        raise (fout or exc) from None
    finally:
        tijdelijk.unlink(missing_ok=True)
    log.info("store restored", extra={"fields": {"store": str(pad), "backup": str(kopie), "replaced": str(apart)}})
    return apart


def geplande_reservekopie(config_pad: str) -> None:
    """The service's daily job (module level, plain argument: APScheduler pickles it)."""
    from fiche.errors import PmiekError
    from sync.config import laad_config
    try:
        loc = StoreLocatie.uit_config(laad_config(config_pad))
        if loc.pad is None:
            return
        maak_reservekopie(loc)
    except PmiekError as exc:
        log.error("scheduled backup failed", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("scheduled backup failed unexpectedly")
