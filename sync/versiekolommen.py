"""What a fiche version keeps of a verdict: `beoordeel` reads and validates one file into the
columns of its version (`versie_kolommen`), in the service's process or in a reader process
(`sync.leesploeg`), from which only those columns travel back. The core and the standard
library only: a reader process starts without the database layer."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from sync.jsonvorm import dumps


def project_sleutel(projectnaam: str | None) -> str | None:
    """The identity of a project across versions and files: its name, case and spacing ignored."""
    if not projectnaam or not str(projectnaam).strip():
        return None
    return " ".join(str(projectnaam).lower().split())


def beoordeling_als_dict(beoordeling) -> dict[str, Any]:
    """Everything of a `Beoordeling` the overview needs, JSON-ready (see `sync.jsonvorm.dumps`)."""
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


#: The columns of a version that come from its verdict (`versie_kolommen`).
OORDEEL_KOLOMMEN = ("fiche_type", "project_sleutel", "projectnaam", "fiche_peildatum", "stoplicht", "bevindingen",
                    "beoordeling")
