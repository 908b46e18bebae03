"""The watched lists folder (`[lijsten] map`): every sync run imports the lists placed there.

The file name says what a list is, in parts separated by underscores:

    <soort>_<bron>_<editie>[_<peildatum>][_<anything>].xlsx|.csv
    ip_Enexis_IP2026.xlsx
    ip_TenneT_IP2026-update1_2027-03-31.csv
    ms-t_Emmen_MST2026_voorbeeld.xlsx

`soort` is ip, ms-t or pmiek1; `peildatum` (YYYY-MM-DD) defaults to the file's modification day.
Subfolders are read too; Office's lock files (~$...) and other extensions are skipped. A file
already imported with the same content changes nothing (`sync.lijsten.opslag`), so the folder
can keep every edition. A file that cannot be imported is reported in the run's failures and
the run goes on.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from fiche.errors import PmiekError
from sync.lijsten.instellingen import LijstenConfig
from sync.lijsten.opslag import SOORTEN, ImportResultaat, importeer
from sync.store import Store

log = logging.getLogger("pmiek.sync.lijsten")

EXTENSIES = (".xlsx", ".csv")
_DATUM = re.compile(r"^\d{4}-\d{2}-\d{2}$")

NAAMAFSPRAAK = ("<soort>_<bron>_<editie>[_<peildatum JJJJ-MM-DD>].xlsx of .csv, bijv. ip_Enexis_IP2026.xlsx "
                f"(soort: {', '.join(SOORTEN)})")


@dataclass(frozen=True)
class Lijstnaam:
    soort: str
    bron: str
    editie: str
    peildatum: dt.date | None


def lees_naam(naam: str) -> Lijstnaam | None:
    """The kind, source, edition and peildatum a file name states; None when it follows no convention."""
    delen = Path(naam).stem.split("_")
    if len(delen) < 3 or delen[0].lower() not in SOORTEN or not delen[1].strip() or not delen[2].strip():
        return None
    peildatum = None
    if len(delen) > 3 and _DATUM.match(delen[3]):
        try:
            peildatum = dt.date.fromisoformat(delen[3])
        except ValueError:
            return None
    return Lijstnaam(delen[0].lower(), delen[1], delen[2], peildatum)


@dataclass
class MapResultaat:
    resultaten: list[ImportResultaat] = field(default_factory=list)
    fouten: list[dict[str, str]] = field(default_factory=list)  # {"item", "melding"} as a run records them


def importeer_map(store: Store, instellingen: LijstenConfig, tz: dt.tzinfo) -> MapResultaat:
    uit = MapResultaat()
    map_ = instellingen.map
    if map_ is None:
        return uit
    if not map_.is_dir():
        uit.fouten.append({"item": str(map_), "melding": f"De lijstenmap {map_} bestaat niet of is geen map."})
        return uit
    for pad in sorted(p for p in map_.rglob("*") if p.is_file() and p.suffix.lower() in EXTENSIES
                      and not p.name.startswith(("~$", "."))):
        naam = lees_naam(pad.name)
        if naam is None:
            uit.fouten.append({"item": pad.name, "melding": f"De bestandsnaam volgt de afspraak niet: {NAAMAFSPRAAK}."})
            continue
        peildatum = naam.peildatum or dt.datetime.fromtimestamp(pad.stat().st_mtime, tz).date()
        try:
            r = importeer(store, pad.read_bytes(), pad.name, naam.soort, naam.bron, naam.editie, peildatum,
                          instellingen.mapping(naam.bron))
        except PmiekError as exc:
            log.warning("list not imported", extra={"fields": {"file": pad.name, "error": str(exc)}})
            uit.fouten.append({"item": pad.name, "melding": exc.melding})
            continue
        except OSError as exc:
            uit.fouten.append({"item": pad.name, "melding": f"De lijst kon niet worden gelezen: {exc.strerror}."})
            continue
        uit.resultaten.append(r)
    return uit
