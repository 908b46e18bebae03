"""Project lists in the store: every import is a version, kept for ever, next to the fiche versions.

The tables are `sync.lijsten.tabellen`'s: one row per imported file, and its clean rows. Nothing
is updated or deleted: the state of the lists as of any peildatum is rebuilt from the imports
whose peildatum lies on or before it (`sync.lijsten.venster`). The same bytes imported again for
the same source, kind and edition change nothing (the content hash is unique there). The rows
go in with one bulk insert.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select

from fiche.errors import InputError
from fiche.schema import NETBEHEERDERS
from sync.lijsten.kolommen import RijFout
from sync.lijsten.tabellen import lijst_imports, lijst_rijen
from sync.store import Store, dumps, loads, nu

log = logging.getLogger("pmiek.sync.lijsten")

#: The kinds of list (`--soort`) and how the master names them.
SOORTEN = {"ip": "IP", "ms-t": "MS-T", "pmiek1": "pMIEK 1.0"}

def bron_naam(bron: str) -> str:
    """A source as typed, spacing normalised; a known grid operator in its usual spelling."""
    tekst = " ".join(str(bron).split())
    for bekend in NETBEHEERDERS:
        if bekend.lower() == tekst.lower():
            return bekend
    if not tekst:
        raise InputError("empty list source", "Geef de bron van de lijst op (bijv. --bron Enexis).")
    return tekst


def controleer_soort(soort: str) -> str:
    s = str(soort).strip().lower()
    if s not in SOORTEN:
        raise InputError(f"unknown list kind {soort!r}",
                         f"Onbekende soort lijst '{soort}'; kies uit: {', '.join(SOORTEN)}.")
    return s


@dataclass
class ImportResultaat:
    naam: str
    status: str  # "geimporteerd" | "ongewijzigd"
    import_id: int
    rijen: int
    fouten: list[RijFout] = field(default_factory=list)


def importeer(store: Store, data: bytes, naam: str, soort: str, bron: str, editie: str, peildatum: dt.date,
              mapping: Mapping[str, str] | None = None) -> ImportResultaat:
    """Store one list as a new version; the same content again for the same list is a no-op.

    Raises (a `PmiekError`, nothing stored) when the file cannot be read or its layout is unknown."""
    soort, bron = controleer_soort(soort), bron_naam(bron)
    editie = " ".join(str(editie).split())
    if not editie:
        raise InputError("empty edition", "Geef de editie van de lijst op (bijv. --editie IP2026).")
    inhoud_hash = hashlib.sha256(data).hexdigest()
    with store.engine.connect() as conn:
        bestaand = conn.execute(select(lijst_imports.c.id, lijst_imports.c.rijen, lijst_imports.c.fouten).where(
            lijst_imports.c.bron == bron, lijst_imports.c.soort == soort, lijst_imports.c.editie == editie,
            lijst_imports.c.content_hash == inhoud_hash)).first()
    if bestaand is not None:
        fouten = [RijFout(f["rij"], f["melding"]) for f in loads(bestaand.fouten) or []]
        return ImportResultaat(naam, "ongewijzigd", bestaand.id, bestaand.rijen, fouten)
    # Imported here: pandas takes a fifth of a second to import, and a run whose lists did not
    # change (every run of the watched folder but the first) never reads one.
    from sync.lijsten.lezen import lees_lijst
    gelezen = lees_lijst(data, naam, mapping)
    rijen = gelezen.rijen
    with store.engine.begin() as conn:
        resultaat = conn.execute(lijst_imports.insert().values(
            bron=bron, soort=soort, editie=editie, peildatum=peildatum, naam=naam, content_hash=inhoud_hash,
            ontvangen=nu().replace(tzinfo=None), rijen=len(rijen),
            fouten=dumps([{"rij": f.rij, "melding": f.melding} for f in gelezen.fouten]),
        ))
        import_id = int(resultaat.inserted_primary_key[0])  # type: ignore[index]
        if len(rijen):
            records = rijen[["sleutel", "rij", "code", "naam", "gemeente", "spanningsniveau", "soort_werk", "ibn",
                             "ibn_tekst", "status", "opmerking"]].astype(object)
            records = records.where(records.notna(), None)
            waarden = records.to_dict("records")
            for w in waarden:
                w["import_id"] = import_id
                w["rij"] = int(w["rij"])
            conn.execute(lijst_rijen.insert(), waarden)
    log.info("list imported", extra={"fields": {"file": naam, "source": bron, "kind": soort, "edition": editie,
                                                 "rows": len(rijen), "faults": len(gelezen.fouten)}})
    return ImportResultaat(naam, "geimporteerd", int(import_id), len(rijen), gelezen.fouten)
