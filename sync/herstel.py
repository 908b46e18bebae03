"""A schema upgrade step (issue 15, faults and crashes), in its own module because `sync.store` runs it
and this code must not import the store (plain SQL only):

- a quarterly send record an earlier version left `verzenden` may have died in the middle of
  SMTP DATA: that version did not record the hand-over point, so it counts as handed over
  (`overgedragen`: a person checks, it is never resent automatically; `sync.kwartaal.rapportage`);
- a source's key no longer names its location (`sync.verhuizing`): the most recently used source
  of each key gets the new key; older ones keep theirs, and the next sync marks their files deleted.

Both are idempotent and plain SQL, for SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging

from sqlalchemy import inspect, text

log = logging.getLogger("pmiek.sync.herstel")

#: The store key of the folder source, wherever the folder is.
MAP_SLEUTEL = "folder"


def sharepoint_sleutel(locatie: str) -> str:
    """The store key of a SharePoint source: its site (or drive), not the folder inside it."""
    return f"sharepoint {locatie}"


def nieuwe_sleutel(oude: str, soort: str) -> str:
    """The key an earlier version's `Bron.sleutel` ("folder /abs/path", "sharepoint X folder Y") becomes."""
    if soort == "folder":
        return MAP_SLEUTEL
    return oude.split(" folder ", 1)[0]


def upgrade_bron_sleutels(conn) -> None:
    """Schema step: the most recently used source of each key gets the new key; older ones keep
    theirs (they are old locations, emptied by the next sync). Idempotent."""
    rijen = conn.execute(text(
        "SELECT b.id, b.sleutel, b.soort, (SELECT MAX(f.laatst_gezien) FROM bestanden f WHERE f.bron_id = b.id) "
        "FROM bronnen b ORDER BY b.id")).all()
    bezet = {r[1] for r in rijen}
    kandidaten: dict[str, tuple] = {}
    for rij in rijen:
        nieuw = nieuwe_sleutel(rij[1], rij[2])
        if nieuw == rij[1] or nieuw in bezet:
            continue
        vorige = kandidaten.get(nieuw)
        if vorige is None or (str(rij[3] or ""), rij[0]) > (str(vorige[3] or ""), vorige[0]):
            kandidaten[nieuw] = rij
    for nieuw, rij in kandidaten.items():
        conn.execute(text("UPDATE bronnen SET sleutel = :s WHERE id = :i"), {"s": nieuw, "i": rij[0]})
        log.info("source key no longer names its location", extra={"fields": {"old": rij[1], "new": nieuw}})



def upgrade_herstel(conn) -> None:
    if inspect(conn).has_table("kwartaal_verzendingen"):
        conn.execute(text("UPDATE kwartaal_verzendingen SET status = 'overgedragen' WHERE status = 'verzenden'"))
    upgrade_bron_sleutels(conn)
