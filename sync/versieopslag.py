"""Storing fiche versions: a version's row (its verdict's columns come from
`sync.versiekolommen`) and its file's new state, in one transaction; one at a time
(`bewaar_versie`), or many in one go from the reader processes (`versie_rij`, `bewaar_versies`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, delete, insert, update

from sync.bron import BronItem
from sync.store import STATUS_GEACCEPTEERD, Bestand, FicheVersie, Lezing, Store, nu
from sync.versiekolommen import OORDEEL_KOLOMMEN


@dataclass
class VersieRij:
    """One version to store and its file's new state, as plain column values (`bewaar_versies`)."""

    versie: dict[str, Any]
    bestand: dict[str, Any]
    bestand_id: int | None  # the file's row when it is known, else it is inserted
    lezing_id: int | None  # the record of the read that produced it, cleared with it


def versie_rij(bron_id: int, item: BronItem, bekend: Bestand | None, run_id: int | None, inhoud_hash: str | None,
               status: str, kolommen: dict[str, Any] | None = None, melding: str | None = None,
               lezing_id: int | None = None, nabij_maanden: int | None = None) -> VersieRij:
    """The rows of one version (`kolommen`: its verdict, see `versie_kolommen`; `nabij_maanden`:
    the setting it was judged with, kept with the file)."""
    moment = nu()
    oordeel = kolommen or {}
    versie = dict(
        bron_id=bron_id, item_id=item.id, naam=item.naam, link=item.link, status=status,
        geaccepteerd=status == STATUS_GEACCEPTEERD, content_hash=inhoud_hash, etag=item.etag,
        gewijzigd=item.gewijzigd, ontvangen=moment, melding=melding, run_id=run_id,
        **{k: oordeel.get(k, "[]" if k == "bevindingen" else None) for k in OORDEEL_KOLOMMEN},
    )
    bestand = dict(bron_id=bron_id, item_id=item.id, naam=item.naam, etag=item.etag, content_hash=inhoud_hash,
                   gewijzigd=item.gewijzigd, link=item.link, verwijderd=None, laatst_gezien=moment,
                   nabij_maanden=nabij_maanden)
    return VersieRij(versie, bestand, bekend.id if bekend is not None else None, lezing_id)


#: The file's columns a new version sets, as the parameters of one UPDATE for many files.
_BESTAND_SET = ("naam", "etag", "content_hash", "gewijzigd", "link", "verwijderd", "laatst_gezien", "nabij_maanden")
_WERK_BESTAND_BIJ = update(Bestand).where(Bestand.id == bindparam("b_id")).values(
    {k: bindparam(f"b_{k}") for k in _BESTAND_SET})


def bewaar_versies(conn: Any, rijen: list[VersieRij]) -> None:
    """Store versions in the transaction of `conn`: one statement per kind of row for all of
    them (SQLAlchemy sends an INSERT for many rows as one multi-row statement), rather than two
    or three statements per version; on PostgreSQL each statement is a round trip."""
    if not rijen:
        return
    conn.execute(insert(FicheVersie), [r.versie for r in rijen])
    lezingen = [r.lezing_id for r in rijen if r.lezing_id is not None]
    if lezingen:
        conn.execute(delete(Lezing).where(Lezing.id.in_(lezingen)))
    _bewaar_bestanden(conn, rijen)


def _bewaar_bestanden(conn: Any, rijen: list[VersieRij]) -> None:
    nieuw = [r.bestand for r in rijen if r.bestand_id is None]
    if nieuw:
        conn.execute(insert(Bestand), nieuw)
    bekend = [{"b_id": r.bestand_id, **{f"b_{k}": r.bestand[k] for k in _BESTAND_SET}}
              for r in rijen if r.bestand_id is not None]
    if bekend:
        conn.execute(_WERK_BESTAND_BIJ, bekend)


def bewaar_versie(store: Store, bron_id: int, item: BronItem, bekend: Bestand | None, run_id: int | None,
                  inhoud_hash: str | None, status: str, kolommen: dict[str, Any] | None = None,
                  melding: str | None = None, lezing_id: int | None = None, leesval: bool = False,
                  nabij_maanden: int | None = None) -> None:
    """Store one version (`kolommen`: its verdict, see `versie_kolommen`) and the file's new
    state in one transaction of its own, which also clears the record of the read
    (`lezing_id`) that produced it. `leesval`: the version took its reader process down; it gets
    a record of that, as `pmiek status` shows it.

    Plain SQL statements rather than ORM objects: this runs once per file read, and the unit of
    work cost more than the database itself (bench/bench_sync.py)."""
    rij = versie_rij(bron_id, item, bekend, run_id, inhoud_hash, status, kolommen, melding, lezing_id, nabij_maanden)
    with store.engine.begin() as c:
        if not leesval:
            bewaar_versies(c, [rij])
            return
        sleutel = c.execute(insert(FicheVersie), rij.versie).inserted_primary_key
        assert sleutel is not None
        if lezing_id is not None:
            c.execute(delete(Lezing).where(Lezing.id == lezing_id))
        moment = rij.versie["ontvangen"]
        c.execute(insert(Lezing), dict(
            bron_id=bron_id, item_id=item.id, naam=item.naam, link=item.link, etag=item.etag,
            content_hash=inhoud_hash, gewijzigd=item.gewijzigd, run_id=run_id, pid=None, begonnen=moment,
            vastgelopen=moment, versie_id=sleutel[0]))
        _bewaar_bestanden(c, [rij])
