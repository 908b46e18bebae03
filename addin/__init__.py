"""The pMIEK Excel add-in: `validate(book)` checks the open fiche and shows the result in it.

One entry point for every engine: the desktop ribbon (`addin.ribbon`, through RunPython on
`Book.caller()`), xlwings Lite (the `@script` in the workbook's generated main.py) and the
remote engine in the tests all call `validate` with an `xlwings.Book`. It

1. reads the fiche through `addin.werkboek.XlwingsBron` (one read per block or table),
2. runs the core reader and validator (`fiche.reader`, `fiche.validatie`),
3. rebuilds the `Controle` sheet with the findings (`addin.controle`),
4. marks cells with findings, clears the marks of the previous run and colours the project's
   and every milestone's stoplicht cell (`addin.kleuren`, one write per colour per sheet).

It never calls `book.fullname` (it raises for many SharePoint/OneDrive URLs) and never saves.
This package must stay importable in Pyodide: standard library, xlwings and `fiche` only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from addin import controle, kleuren
from addin.werkboek import XlwingsBron, bereik_coords, splits_verwijzing
from fiche import schema as S
from fiche.errors import PmiekError

log = logging.getLogger("pmiek.addin")

__all__ = ["validate", "Resultaat"]

#: Fill of a field input cell without a finding: the templates' yellow input fill
#: (`fiche.template.INVOER_FILL`; a test keeps the two equal). Table cells have no fill of their
#: own (the table style shows through), so theirs is None.
INVOER_KLEUR = "FFF2CC"
TABEL_KLEUR = None

ALGEMENE_FOUT = ("De controle kon niet worden uitgevoerd door een onverwachte fout. "
                 "Probeer het opnieuw of neem contact op met het pMIEK-team.")


@dataclass
class Resultaat:
    """What one run did: the verdict and how many workbook calls it took."""

    beoordeling: object  # fiche.model.Beoordeling
    leesacties: int
    schrijfacties: int


def _sheet_naam(book, naam: str) -> str | None:
    for sheet in book.sheets:
        if sheet.name.casefold() == naam.casefold():
            return sheet.name
    return None


def kleurplan(book, bron: XlwingsBron, data, beoordeling) -> kleuren.Kleurplan:
    """Every owned cell's fill for this run."""
    plan = kleuren.Kleurplan()

    def zet(cel: str | None, kleur, overschrijf=True) -> None:
        if not cel:
            return
        sheet, ref = splits_verwijzing(cel)
        naam = _sheet_naam(book, sheet) if sheet else None
        if naam is None:
            return
        r1, c1, r2, c2 = bereik_coords(ref)
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                plan.zet(naam, r, c, kleur, overschrijf=overschrijf)

    # 1. Plain fill on every input cell: this is what removes last run's marks.
    for cel in data.cellen.values():
        zet(cel, INVOER_KLEUR)
    schema = S.SCHEMAS.get(data.fiche_type or "")
    for tabel in (schema.tables if schema else ()):
        body = bron.tabel_body(tabel.name)
        if body is None:
            continue
        sheet, ref = body
        r1, c1, r2, c2 = bereik_coords(ref)
        # The whole body, whatever columns a user moved or added; the stoplicht cells of rows
        # with a milestone get their colour below.
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                plan.zet(sheet, r, c, TABEL_KLEUR)
    # 2. Marks: warnings first so an error on the same cell wins.
    for ernst, kleur in (("warning", kleuren.WAARSCHUWING_KLEUR), ("error", kleuren.FOUT_KLEUR)):
        for b in beoordeling.bevindingen:
            if b.ernst == ernst:
                zet(b.cel, kleur)
    # 3. Stoplicht cells last: they are derived, a finding never hides the light.
    project_cel = data.stoplicht_cel or bron.defined_names().get(S.NAAM_STOPLICHT)
    zet(project_cel, beoordeling.stoplicht.kleur)
    for oordeel in beoordeling.mijlpalen:
        zet(oordeel.cel, oordeel.stoplicht.kleur)
    return plan


def _melding(book, tekst: str) -> None:
    try:
        book.app.alert(tekst, title="pMIEK fiche-controle", mode="critical")
    except Exception:  # an engine without alerts: the log line is all we can do
        log.warning("could not show an alert in Excel")


def validate(book, vandaag: dt.date | None = None, nabij_maanden: int | None = None) -> Resultaat | None:
    """Validate the fiche in `book` and show the result in the workbook itself.

    Returns what the run did, or None when the workbook could not be checked (the user then
    got a Dutch message box, the log an English line).
    """
    from fiche.reader import extraheer
    from fiche.validatie import valideer

    vandaag = vandaag or dt.date.today()
    desktop = not kleuren.is_remote(book)
    if desktop:
        try:
            book.app.screen_updating = False
        except Exception:
            pass
    try:
        bron = XlwingsBron(book)
        data = extraheer(bron, book.name)
        # None: the validator takes the workbook's own tolerance (and flags a bad one).
        beoordeling = valideer(data, vandaag, nabij_maanden)
        schrijfacties = controle.schrijf(book, beoordeling, vandaag)
        schrijfacties += kleuren.schrijf(book, kleurplan(book, bron, data, beoordeling))
        log.info("validated %s: %d findings, light %s, %d reads, %d writes", book.name,
                 len(beoordeling.bevindingen), beoordeling.stoplicht.name, bron.leesacties, schrijfacties)
        return Resultaat(beoordeling, bron.leesacties, schrijfacties)
    except PmiekError as exc:
        log.error("validation refused: %s", exc)
        _melding(book, exc.melding)
        return None
    except Exception as exc:
        log.error("validation failed unexpectedly: %r", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        _melding(book, ALGEMENE_FOUT)
        return None
    finally:
        if desktop:
            try:
                book.app.screen_updating = True
            except Exception:
                pass
