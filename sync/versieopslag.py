"""Storing a fiche version: the version's row (its verdict's columns come from
`sync.versiekolommen`) and its file's new state, in one transaction."""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy import delete, insert, update

from sync.bron import BronItem
from sync.store import STATUS_GEACCEPTEERD, Bestand, FicheVersie, Lezing, Store, nu
from sync.versiekolommen import OORDEEL_KOLOMMEN


def bewaar_versie(store: Store, bron_id: int, item: BronItem, bekend: Bestand | None, run_id: int | None,
                  inhoud_hash: str | None, status: str, kolommen: dict[str, Any] | None = None,
                  melding: str | None = None, lezing_id: int | None = None, leesval: bool = False,
                  conn: Any = None) -> None:
    """Store one version (`kolommen`: its verdict, see `versie_kolommen`) and the file's new
    state in one transaction (its own, or `conn`'s), which also clears the record of the read
    (`lezing_id`) that produced it. `leesval`: the version took its reader process down; it gets
    a record of that, as `pmiek status` shows it.

    Plain SQL statements rather than ORM objects: this runs once per file read, and the unit of
    work cost more than the database itself (bench/bench_sync.py)."""
    moment = nu()
    oordeel = kolommen or {}
    versie = dict(
        bron_id=bron_id, item_id=item.id, naam=item.naam, link=item.link, status=status,
        geaccepteerd=status == STATUS_GEACCEPTEERD, content_hash=inhoud_hash, etag=item.etag,
        gewijzigd=item.gewijzigd, ontvangen=moment, melding=melding, run_id=run_id,
        **{k: oordeel.get(k, "[]" if k == "bevindingen" else None) for k in OORDEEL_KOLOMMEN},
    )
    bestand = dict(naam=item.naam, etag=item.etag, content_hash=inhoud_hash, gewijzigd=item.gewijzigd,
                   link=item.link, verwijderd=None, laatst_gezien=moment)
    with store.engine.begin() if conn is None else contextlib.nullcontext(conn) as c:
        sleutel = c.execute(insert(FicheVersie), versie).inserted_primary_key
        assert sleutel is not None
        if lezing_id is not None:
            c.execute(delete(Lezing).where(Lezing.id == lezing_id))
        if leesval:
            c.execute(insert(Lezing), dict(
                bron_id=bron_id, item_id=item.id, naam=item.naam, link=item.link, etag=item.etag,
                content_hash=inhoud_hash, gewijzigd=item.gewijzigd, run_id=run_id, pid=None, begonnen=moment,
                vastgelopen=moment, versie_id=sleutel[0]))
        if bekend is None:
            c.execute(insert(Bestand), dict(bron_id=bron_id, item_id=item.id, **bestand))
        else:
            c.execute(update(Bestand).where(Bestand.id == bekend.id).values(**bestand))
