"""The pMIEK Excel add-in: `validate(book)` checks the open fiche and shows the result in it.

One entry point for every engine: the desktop ribbon (`addin.ribbon`, through RunPython on
`Book.caller()`), xlwings Lite (the `@script` in the workbook's generated main.py) and the
remote engine in the tests all call `validate` with an `xlwings.Book`. It

1. reads the fiche through `addin.werkboek.XlwingsBron` (one read per block or table),
2. runs the core reader and validator (`fiche.reader`, `fiche.validatie`),
3. rebuilds the `Controle` sheet with the findings (`addin.controle`),
4. marks cells with findings, clears the marks of the previous run and colours the project's
   and every milestone's stoplicht cell: the core decides the fills (`fiche.kleurplan`, as for
   the CLI's coloured copy), `addin.kleuren` writes them (one write per colour per sheet).

A workbook it cannot check (not a fiche, a wrong template version, damaged) or an unexpected
error gets its Dutch message on the Controle sheet under a heading, and in an alert where the
engine has alerts; `toon_help` does the same for Help.

It never calls `book.fullname` (it raises for many SharePoint/OneDrive URLs) and never saves.
This package must stay importable in Pyodide: standard library, xlwings and `fiche` only.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from addin import controle, kleuren
from addin.werkboek import XlwingsBron
from fiche.errors import PmiekError
from fiche.kleurplan import Kleurplan, maak_kleurplan

log = logging.getLogger("pmiek.addin")

__all__ = ["validate", "toon_help", "Resultaat"]

#: Help for xlwings Lite (the desktop ribbon has its own, `addin.ribbon.HELP_TEKST`).
HELP_TEKST = (
    "Vul de gele cellen van de fiche in en klik bij 'valideer_fiche' op Run. Het blad "
    "'Controle' toont per bevinding het veld, de melding en een link naar de cel; cellen met "
    "een fout worden rood gemarkeerd, waarschuwingen geel. De stoplichten volgen de "
    "inbedrijfname (of oplevering) ten opzichte van de ondergrens en bovengrens."
)
ALGEMENE_FOUT = ("De controle kon niet worden uitgevoerd door een onverwachte fout. "
                 "Probeer het opnieuw of neem contact op met het pMIEK-team.")


@dataclass
class Resultaat:
    """What one run did: the verdict and how many workbook calls it took."""

    beoordeling: object  # fiche.model.Beoordeling
    leesacties: int
    schrijfacties: int


def kleurplan(book, bron: XlwingsBron, data, beoordeling) -> Kleurplan:
    """Every owned cell's fill for this run (decided in `fiche.kleurplan`)."""
    bodies = {naam: bron.tabel_body(naam) for naam in bron.tabellen()}
    return maak_kleurplan(data, beoordeling, [s.name for s in book.sheets], bodies, bron.defined_names())


def _melding(book, kop: str, tekst: str, titel: str = "pMIEK fiche-controle", soort: str = "critical") -> None:
    """Show a message the user must read: on the Controle sheet always (not every Wasm runtime
    has alerts), and in an alert where the engine has one."""
    try:
        controle.schrijf_melding(book, kop, tekst)
    except Exception as exc:  # a protected workbook, say: the alert below may still reach the user
        log.warning("could not write the message on the Controle sheet: %r", exc)
    try:
        book.app.alert(tekst, title=titel, mode=soort)
    except Exception:  # an engine without alerts: the sheet (or the log line) is all there is
        log.warning("could not show an alert in Excel")


def toon_help(book, tekst: str = HELP_TEKST, titel: str = "pMIEK fiche-controle") -> None:
    """"Help": the text on the Controle sheet and in an alert."""
    _melding(book, controle.KOP_HELP, tekst, titel=titel, soort="info")


def validate(book, vandaag: dt.date | None = None, nabij_maanden: int | None = None) -> Resultaat | None:
    """Validate the fiche in `book` and show the result in the workbook itself.

    Returns what the run did, or None when the workbook could not be checked (the user then
    finds the Dutch reason on the Controle sheet and in a message box, the log an English line).
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
        _melding(book, controle.KOP_WEIGERING, exc.melding)
        return None
    except Exception as exc:
        log.error("validation failed unexpectedly: %r", exc, exc_info=log.isEnabledFor(logging.DEBUG))
        _melding(book, controle.KOP_FOUT, ALGEMENE_FOUT)
        return None
    finally:
        if desktop:
            try:
                book.app.screen_updating = True
            except Exception:
                pass
