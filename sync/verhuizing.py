"""A source that moved keeps its history (issue 15): pointing the config at a moved fiche folder
(or another folder of the same SharePoint library) is not a wave of "Dubbele fiche" findings.

A file is identified within its source by `BronItem.id`: the path relative to the folder root,
or the SharePoint driveItem id, both unchanged by a move. What used to break was the source's
own key in the store (`Bron.sleutel`): it named the folder's absolute path (or the SharePoint
folder), so a moved folder became a second source whose files duplicated the first one's. Now
the key is what stays the same (`FicheBron.sleutel`: "folder" for the folder source, "sharepoint
<site or drive>" for SharePoint), so a moved folder's files continue their own history: unchanged
ones stay unchanged, their links follow the new place (`verhuis_link`), and files the new place
lacks are marked deleted like any other. A SharePoint cursor names the folder it belongs to, so a
changed folder starts a full listing (`sync.bron.sharepoint`).

Stores of earlier versions: the schema upgrade (`sync.herstel.upgrade_bron_sleutels`) gives the most recently used
source of each kind the new key; any other source of the same kind is an old location, whose
files the next sync marks deleted (`markeer_oude_locaties`).
"""

from __future__ import annotations

import logging

from sqlalchemy import select, update

from sync.herstel import MAP_SLEUTEL, sharepoint_sleutel
from sync.store import STATUS_VERWIJDERD, Bestand, Bron, FicheVersie, Store, nu

__all__ = ["MAP_SLEUTEL", "sharepoint_sleutel", "markeer_oude_locaties", "verhuis_link"]

log = logging.getLogger("pmiek.sync.verhuizing")

def markeer_oude_locaties(store: Store, bron_id: int, soort: str, run_id: int | None) -> int:
    """Mark deleted every live file of the other sources of kind `soort`: the store has one
    configured source, so they are where the source used to be. Returns how many."""
    moment = nu()
    with store.session() as s, s.begin():
        oude = list(s.scalars(select(Bestand).join(Bron, Bron.id == Bestand.bron_id).where(
            Bron.soort == soort, Bron.id != bron_id, Bestand.verwijderd.is_(None))))
        for b in oude:
            s.add(FicheVersie(
                bron_id=b.bron_id, item_id=b.item_id, naam=b.naam, link=b.link, status=STATUS_VERWIJDERD,
                geaccepteerd=False, content_hash=None, etag=None, gewijzigd=moment, ontvangen=moment,
                melding=f"{b.naam} staat niet meer op de oude plek van de bron.", run_id=run_id))
            b.verwijderd = moment
    if oude:
        log.warning("files of an earlier source location marked deleted",
                    extra={"fields": {"count": len(oude), "run": run_id}})
    return len(oude)


def verhuis_link(store: Store, bron_id: int, item_id: str, oud: str | None, nieuw: str | None) -> None:
    """A file found at a new place with the same content: its versions' links follow it (the
    overview links the latest version), so the master does not point at the old place."""
    if oud == nieuw:
        return
    with store.session() as s, s.begin():
        s.execute(update(FicheVersie).where(FicheVersie.bron_id == bron_id, FicheVersie.item_id == item_id)
                  .values(link=nieuw))

