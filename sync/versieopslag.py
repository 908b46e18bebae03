"""Storing fiche versions: a version's row (its verdict's columns come from
`sync.versiekolommen`) and its file's new state, in one transaction (`versie_rij`,
`bewaar_versies`); a version that took its reader down with the record of that (`bewaar_leesval`)."""

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
               status: str, nabij_maanden: int, kolommen: dict[str, Any] | None = None, melding: str | None = None,
               lezing_id: int | None = None) -> VersieRij:
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
    or three statements per version; on PostgreSQL each statement is a round trip. Plain SQL
    rather than ORM objects: the unit of work cost more than the database (bench/bench_sync.py)."""
    if rijen:
        conn.execute(insert(FicheVersie), [r.versie for r in rijen])
        _na_de_versies(conn, rijen)


def _na_de_versies(conn: Any, rijen: list[VersieRij]) -> None:
    """The records of the reads that made the versions cleared, and their files' new state."""
    lezingen = [r.lezing_id for r in rijen if r.lezing_id is not None]
    if lezingen:
        conn.execute(delete(Lezing).where(Lezing.id.in_(lezingen)))
    nieuw = [r.bestand for r in rijen if r.bestand_id is None]
    if nieuw:
        conn.execute(insert(Bestand), nieuw)
    bekend = [{"b_id": r.bestand_id, **{f"b_{k}": r.bestand[k] for k in _BESTAND_SET}}
              for r in rijen if r.bestand_id is not None]
    if bekend:
        conn.execute(_WERK_BESTAND_BIJ, bekend)


def bewaar_leesval(store: Store, rij: VersieRij) -> None:
    """Store, in a transaction of its own, a version that took its reader process down, with
    the record of that (a `Lezing` that points at the version), as `pmiek status` shows it."""
    v = rij.versie
    with store.engine.begin() as c:
        sleutel = c.execute(insert(FicheVersie), v).inserted_primary_key
        assert sleutel is not None
        _na_de_versies(c, [rij])
        c.execute(insert(Lezing), dict(
            bron_id=v["bron_id"], item_id=v["item_id"], naam=v["naam"], link=v["link"], etag=v["etag"],
            content_hash=v["content_hash"], gewijzigd=v["gewijzigd"], run_id=v["run_id"], pid=None,
            begonnen=v["ontvangen"], vastgelopen=v["ontvangen"], versie_id=sleutel[0]))
