"""Where a store leaves its trace (issue 15): after each good run its identity (`sync.storebewaking`'s
`pmiek_store` id) goes as a small marker file (`SPOOR_NAAM`, a dot-file the folder source skips)
into the folders the service writes and that exist: the master's folder, the publish folder, the
outbox. A store that is missing while such a marker, or a backup, exists was there and is gone:
it is not made anew without `--new-store`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine

from fiche.bestanden import atomisch_schrijven
from sync.storebewaking import (
    NIEUWE_STORE_VLAG,
    StoreFout,
    StoreLocatie,
    _herstel,
    _zonder_wachtwoord,
    store_identiteit,
)

log = logging.getLogger("pmiek.sync.storespoor")

#: The marker file with the store's identity, in each folder the service writes.
SPOOR_NAAM = ".pmiek-store.json"


def nu() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def store_id(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("pmiek_store"):
            return None
        return conn.execute(select(store_identiteit.c.store_id)).scalar()


def spoor_mappen(config: Any) -> list[Path]:
    """The folders the service writes into, where the store leaves its marker."""
    mappen = [config.master.path.parent]
    if config.master.publish == "folder" and config.master.publish_folder is not None:
        mappen.append(config.master.publish_folder)
    if config.report.transport == "outbox" and config.path is not None:  # without a config: no outbox of ours
        mappen.append(config.report.outbox)
    uniek: list[Path] = []
    for m in mappen:
        if m not in uniek:
            uniek.append(m)
    return uniek


def lees_sporen(config: Any) -> list[tuple[Path, dict]]:
    uit = []
    for map_ in spoor_mappen(config):
        pad = map_ / SPOOR_NAAM
        try:
            data = json.loads(pad.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("store_id"):
            uit.append((pad, data))
    return uit


def schrijf_sporen(config: Any, engine: Engine) -> None:
    """Leave the store's identity in every folder the service writes (best effort: a marker
    that cannot be written is a warning in the log, never a failed run)."""
    ident = store_id(engine)
    if ident is None:
        return
    for map_ in spoor_mappen(config):
        if not map_.is_dir():  # a folder nothing was written to yet is not made for the marker
            continue
        pad = map_ / SPOOR_NAAM
        try:
            oud = json.loads(pad.read_text(encoding="utf-8")) if pad.is_file() else {}
        except (OSError, ValueError):
            oud = {}
        if oud.get("store_id") == ident and oud.get("store") == str(config.store_path or config.store_url):
            continue
        data = {"store_id": ident, "store": str(config.store_path or _zonder_wachtwoord(config.store_url)),
                "bijgewerkt": nu().isoformat()}
        try:
            atomisch_schrijven(pad, json.dumps(data, indent=1).encode("utf-8"))
        except OSError as exc:
            log.warning("store marker not written", extra={"fields": {"path": str(pad), "error": str(exc)}})


def controleer_aanwezig(config: Any, nieuwe_store: bool = False) -> None:
    """Before a command creates the store: a missing store that was there (a marker of it, or
    a backup) is refused unless `nieuwe_store`."""
    pad = config.store_path
    if pad is None or pad.exists() or nieuwe_store:
        return
    laatste = StoreLocatie.uit_config(config).laatste()
    sporen = lees_sporen(config)
    if not sporen and laatste is None:
        return
    bewijs = f"het spoor {sporen[0][0]}" if sporen else f"de reservekopie {laatste}"
    log.error("store is missing but was there; not re-creating it", extra={"fields": {
        "store": str(pad), "marker": str(sporen[0][0]) if sporen else None, "latest_backup": str(laatste)}})
    raise StoreFout(
        f"store {pad} is missing but was there ({'marker' if sporen else 'backup'} found); not re-created",
        f"De database {pad} ontbreekt, maar er was er wel een ({bewijs} laat dat zien). Er wordt geen nieuwe, "
        f"lege database gemaakt: dan zouden alle historie en de verzendadministratie verloren gaan. "
        + _herstel(laatste, config.path, pad)
        + f" Alleen als u bewust opnieuw begint: voeg {NIEUWE_STORE_VLAG} toe.", "verdwenen")


def verwijder_lege(config: Any) -> None:
    """With `--new-store`: an empty (0-byte) store file may be started anew."""
    pad = config.store_path
    if pad is not None and pad.is_file() and pad.stat().st_size == 0:
        log.warning("empty store file started anew (--new-store)", extra={"fields": {"store": str(pad)}})
        pad.unlink()
