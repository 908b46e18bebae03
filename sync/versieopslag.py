"""A fiche version in the store: what intake keeps of a verdict, and the statements that store it.

`beoordeel` reads and validates one file into the columns of its version (`versie_kolommen`): in
the service's process, or in a reader process (`sync.leesploeg`), from which only those columns
travel back. `bewaar_versie` stores a version with its file's new state in one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sqlalchemy import delete, insert, update

from sync.bron import BronItem
from sync.store import STATUS_GEACCEPTEERD, Bestand, FicheVersie, Lezing, Store, dumps, nu


def project_sleutel(projectnaam: str | None) -> str | None:
    """The identity of a project across versions and files: its name, case and spacing ignored."""
    if not projectnaam or not str(projectnaam).strip():
        return None
    return " ".join(str(projectnaam).lower().split())


def beoordeling_als_dict(beoordeling) -> dict[str, Any]:
    """Everything of a `Beoordeling` the overview needs, JSON-ready (see `store.dumps`)."""
    return {
        "fiche_type": beoordeling.fiche_type,
        "project": beoordeling.project,
        "stoplicht": beoordeling.stoplicht.value,
        "waarden": beoordeling.waarden,
        "tabellen": beoordeling.tabellen,
        # Shallow: every field of a milestone verdict is immutable, and asdict's deep copy was
        # a tenth of storing a version.
        "mijlpalen": [{f.name: getattr(m, f.name) for f in dataclasses.fields(m)} for m in beoordeling.mijlpalen],
        "bevindingen": [b.as_json() for b in beoordeling.bevindingen],
    }



def versie_kolommen(beoordeling) -> dict[str, Any]:
    """What a version's row holds of a verdict (JSON already encoded), and what intake counts
    and logs of it. Computed where the file was read: in a reader process, only this crosses
    back to the service."""
    waarden = beoordeling.waarden
    projectnaam = beoordeling.project or waarden.get("projectnaam")
    peildatum = waarden.get("peildatum")
    return {
        "fiche_type": beoordeling.fiche_type,
        "project_sleutel": project_sleutel(projectnaam),
        "projectnaam": str(projectnaam).strip() if projectnaam else None,
        "fiche_peildatum": peildatum if isinstance(peildatum, dt.date) else None,
        "stoplicht": beoordeling.stoplicht.value,
        "bevindingen": dumps([b.as_json() for b in beoordeling.bevindingen]),
        "beoordeling": dumps(beoordeling_als_dict(beoordeling)),
        "geldig": beoordeling.geldig, "project": beoordeling.project,
        "fouten": len(beoordeling.fouten), "waarschuwingen": len(beoordeling.waarschuwingen),
    }

def beoordeel(data: bytes, naam: str, vandaag: dt.date, nabij_maanden: int) -> dict[str, Any]:
    """Read and validate one file: the version's columns (`versie_kolommen`); `PmiekError`
    when the file is no readable fiche. What a reader process runs (`sync.leesploeg`)."""
    # Imported here: the reader and validator are the core's; intake only orchestrates them.
    from fiche.reader import lees_fiche
    from fiche.validatie import valideer
    return versie_kolommen(valideer(lees_fiche(data, naam), vandaag, nabij_maanden))


def bewaar_versie(store: Store, bron_id: int, item: BronItem, bekend: Bestand | None, run_id: int | None,
            inhoud_hash: str | None, status: str, kolommen: dict[str, Any] | None = None, melding: str | None = None,
            lezing_id: int | None = None, leesval: bool = False, conn: Any = None) -> None:
    """Store one version (`kolommen`: its verdict, see `versie_kolommen`) and the file's new
    state in one transaction (its own, or `conn`'s), which also clears the record of the read
    (`lezing_id`) that produced it. `leesval`: the version took its reader process down; it gets a record of that,
    as `pmiek status` shows it.

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
    if conn is None:
        with store.engine.begin() as eigen:
            _schrijf(eigen, versie, bestand, bron_id, item, bekend, run_id, inhoud_hash, lezing_id, leesval)
    else:
        _schrijf(conn, versie, bestand, bron_id, item, bekend, run_id, inhoud_hash, lezing_id, leesval)


def _schrijf(conn, versie: dict[str, Any], bestand: dict[str, Any], bron_id: int, item: BronItem,
                    bekend: Bestand | None, run_id: int | None, inhoud_hash: str | None, lezing_id: int | None,
                    leesval: bool) -> None:
    moment = versie["ontvangen"]
    sleutel = conn.execute(insert(FicheVersie), versie).inserted_primary_key
    assert sleutel is not None
    versie_id = sleutel[0]
    if lezing_id is not None:
        conn.execute(delete(Lezing).where(Lezing.id == lezing_id))
    if leesval:
        conn.execute(insert(Lezing), dict(
            bron_id=bron_id, item_id=item.id, naam=item.naam, link=item.link, etag=item.etag,
            content_hash=inhoud_hash, gewijzigd=item.gewijzigd, run_id=run_id, pid=None, begonnen=moment,
            vastgelopen=moment, versie_id=versie_id))
    if bekend is None:
        conn.execute(insert(Bestand), dict(bron_id=bron_id, item_id=item.id, **bestand))
    else:
        conn.execute(update(Bestand).where(Bestand.id == bekend.id).values(**bestand))


#: The columns of a version that come from its verdict (`versie_kolommen`).
OORDEEL_KOLOMMEN = ("fiche_type", "project_sleutel", "projectnaam", "fiche_peildatum", "stoplicht", "bevindingen",
                     "beoordeling")
