"""The master workbook as a whole: built from one snapshot and written atomically (`sync.master`)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from pathlib import Path
from typing import BinaryIO

import xlsxwriter

from fiche.bestanden import atomisch_schrijven
from fiche.datums import kwartaal_label
from fiche.errors import FileError, oorzaak_nl
from sync.gcpauze import zonder_cyclische_gc
from sync.master.bladen import (
    BLADEN,
    CAPACITEIT,
    CLUSTERS_BLAD,
    DATAKWALITEIT,
    DETAILS,
    GEEN_PROJECTEN,
    HISTORIE,
    KNELPUNTEN,
    MIJLPALEN,
    OVERZICHT,
    PLUS,
    WKI,
    capaciteit_blad,
    clusters_blad,
    datakwaliteit_blad,
    details_blad,
    historie_blad,
    knelpunten_blad,
    mijlpalen_blad,
    mijlpalen_rijen,
    overzicht_blad,
    plus_blad,
    wki_blad,
)
from sync.master.cellen import Blad, peilregel
from sync.master.lijstbladen import LIJSTEN, lijsten_blad
from sync.master.uitvraag_blad import UITVRAAG, uitvraag_blad
from sync.overzicht import Overzicht, rangorde
from sync.regels import op_overzicht

# The name the log has always used, whichever module of the package writes.
log = logging.getLogger("pmiek.sync.master")


class MasterWriteError(FileError):
    """The master workbook could not be written; the previous master (if any) is untouched."""


# --- The workbook -----------------------------------------------------------------------------

def bouw_master(overzicht: Overzicht, doel: BinaryIO) -> None:
    """Writes the master workbook for one snapshot, built from scratch, into `doel` (a binary file)."""
    with zonder_cyclische_gc():
        _bouw(overzicht, doel)


def _bouw(overzicht: Overzicht, doel: BinaryIO) -> None:
    projecten = sorted(overzicht.projecten, key=rangorde)
    # Every value goes through an explicit write_string/write_number/...: nothing is guessed
    # from the text (no formulas, numbers or links out of what a team typed).
    wb = xlsxwriter.Workbook(doel, {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
                                    "strings_to_urls": False})
    bladen: dict[str, Blad] = {}
    formaten: dict[tuple, object] = {}
    for naam in BLADEN:
        bladen[naam] = Blad(overzicht, wb.add_worksheet(naam), naam, wb, formaten)
    mijlpaal_rijen, mijlpaal_eerste = mijlpalen_rijen(projecten)
    # A list project has no fiche details or quarterly history, and only the ones asking attention
    # are on Overzicht: a grid operator's thousands of rows are all on Lijstprojecten.
    getoond = [p for p in projecten if op_overzicht(p)]
    fiches = [p for p in projecten if not p.is_lijstproject]
    overzicht_rij = overzicht_blad(bladen[OVERZICHT], getoond, mijlpaal_eerste, len(projecten) - len(getoond))
    wki_blad(bladen[WKI], projecten, overzicht_rij)
    plus_blad(bladen[PLUS], projecten, overzicht_rij)
    clusters_blad(bladen[CLUSTERS_BLAD], projecten)
    lijsten_blad(bladen[LIJSTEN], projecten, overzicht_rij, GEEN_PROJECTEN)
    mijlpalen_blad(bladen[MIJLPALEN], projecten, mijlpaal_rijen, overzicht_rij)
    knelpunten_blad(bladen[KNELPUNTEN], projecten, overzicht_rij)
    details_blad(bladen[DETAILS], fiches, overzicht_rij)
    capaciteit_blad(bladen[CAPACITEIT], projecten)
    datakwaliteit_blad(bladen[DATAKWALITEIT], projecten)
    uitvraag_blad(bladen[UITVRAAG])
    historie_blad(bladen[HISTORIE], fiches)

    gegenereerd = overzicht.gegenereerd
    if gegenereerd.tzinfo is not None:
        gegenereerd = gegenereerd.astimezone(dt.timezone.utc).replace(tzinfo=None)
    wb.set_properties({
        "author": "pMIEK Monitor",  # also the last-modified-by
        "title": f"pMIEK monitoring {kwartaal_label(overzicht.peildatum)}",
        "subject": "Masterwerkmap pMIEK monitoring",
        "comments": f"{peilregel(overzicht)}. Gegenereerd door pMIEK Monitor; niet handmatig bewerken.",
        "keywords": "pMIEK; monitoring; Provincie Drenthe",
        "created": gegenereerd.replace(microsecond=0),
    })
    bladen[BLADEN[0]].ws.activate()
    wb.close()


def master_inhoud(overzicht: Overzicht) -> bytes:
    """The master workbook of `overzicht` as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    bouw_master(overzicht, buffer)
    return buffer.getvalue()


def schrijf_master(overzicht: Overzicht, pad: Path, inhoud: bytes | None = None) -> Path:
    """Writes the master atomically: a temp file in the same folder, then `os.replace`.

    A reader (or a crash) never sees a half-written master; when writing fails the previous
    master stays as it was and `MasterWriteError` says why, in Dutch for the user. `inhoud`: the
    workbook's bytes when they were built already (`sync.master.bouwproces`).
    """
    pad = Path(pad)
    # Serialised in memory first (a master is small): a failing disk then fails one plain write.
    if inhoud is None:
        inhoud = master_inhoud(overzicht)
    try:
        atomisch_schrijven(pad, inhoud)
    except PermissionError as exc:
        log.error("master write refused path=%s error=%s", pad, exc)
        raise MasterWriteError(
            f"cannot write master workbook {pad}: {exc}",
            f"De masterwerkmap '{pad}' kon niet worden geschreven: het bestand is geopend (bijvoorbeeld in "
            "Excel) of de map is niet schrijfbaar. De vorige versie is ongewijzigd; sluit het bestand en "
            "probeer het opnieuw.",
        ) from exc
    except OSError as exc:
        log.error("master write failed path=%s error=%s", pad, exc)
        raise MasterWriteError(
            f"cannot write master workbook {pad}: {exc}",
            f"Het masterwerkboek '{pad}' kon niet worden geschreven ({oorzaak_nl(exc)}). "
            "De vorige versie is ongewijzigd.",
        ) from exc
    log.info("master written path=%s projects=%d peildatum=%s", pad, len(overzicht.projecten),
             overzicht.peildatum.isoformat())
    return pad



