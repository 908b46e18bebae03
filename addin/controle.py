"""The `Controle` sheet: the validator's findings as a person reads them, rebuilt on every run.

Layout (Dutch, like everything a user sees): a title, the project and its stoplicht, the date
of the check and a one-line verdict, then a table of findings with severity, field label,
message, a link to the cell and the rule code. The whole block is ONE value write; the links
are HYPERLINK formulas inside it, so no per-cell hyperlink calls are needed. The previous run's
content is cleared first, so running twice leaves the same sheet.

The same sheet carries every other message a user must read (a refused workbook, an unexpected
error, Help) under a Dutch heading (`schrijf_melding`): not every Wasm runtime shows an `alert`.

Column widths are set in the unit of the engine (`kolombreedte`): characters on the desktop,
points on the remote engine (xlwings Lite and Server, Office.js `format.columnWidth`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from addin.kleuren import is_remote
from addin.werkboek import quote_sheet, splits_verwijzing
from fiche import schema as S

CONTROLE_SHEET = "Controle"
KOPRIJ = 7  # the findings' header row
KOPPEN = ("Ernst", "Veld", "Melding", "Cel", "Code")
ERNST_LABEL = {"error": "Fout", "warning": "Waarschuwing"}
#: Column widths in characters of the default font (Calibri 11), as the desktop sets them.
KOLOMBREEDTES = (14, 34, 90, 22, 26)
#: Calibri 11 at 96 dpi: a character is 7 pixels wide and a column has 5 pixels padding; a pixel
#: is 0.75 point. Excel's default width of 8.43 characters is 64 pixels, 48 points.
PIXELS_PER_TEKEN = 7
PIXELS_MARGE = 5
PUNTEN_PER_PIXEL = 0.75

KOP_WEIGERING = "Fiche niet gecontroleerd"
KOP_FOUT = "Controle mislukt"
KOP_HELP = "Help: pMIEK fiche-controle"


def kolombreedte(tekens: float, remote: bool) -> float:
    """The width to give `column_width` for a column `tekens` characters wide: characters on the
    desktop, points on the remote engine (14 characters: 77.25 points)."""
    if not remote:
        return tekens
    return (tekens * PIXELS_PER_TEKEN + PIXELS_MARGE) * PUNTEN_PER_PIXEL


def veld_label(fiche_type: str | None, veld: str | None) -> str:
    """The Dutch label of a field key, a table ("mijlpalen") or a table column ("mijlpalen.gepland")."""
    if not veld:
        return ""
    schema = S.SCHEMAS.get(fiche_type or "")
    schemas = [schema] if schema else list(S.SCHEMAS.values())
    for s in schemas:
        if s.has_field(veld):
            return s.field(veld).label
        tabel, _, kolom = veld.partition(".")
        for t in s.tables:
            if t.key == tabel or t.name == tabel:
                if not kolom:
                    return t.label
                try:
                    return f"{t.label}: {t.column(kolom).label}"
                except KeyError:
                    return f"{t.label}: {kolom}"
    return veld


def tekst(value: Any) -> Any:
    """Text that Excel must not take for a formula (user text can start with '=')."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def link(cel: str | None) -> str:
    if not cel:
        return ""
    sheet, ref = splits_verwijzing(cel)
    if not sheet:
        return ref
    doel = f"#{quote_sheet(sheet)}!{ref}"
    getoond = f"{sheet}!{ref}"
    return f'=HYPERLINK("{doel.replace(chr(34), chr(34) * 2)}","{getoond.replace(chr(34), chr(34) * 2)}")'


def inhoud(beoordeling, vandaag: dt.date) -> list[list[Any]]:
    """The sheet's rows (a rectangular block starting at A1)."""
    breedte = len(KOPPEN)
    bevindingen = sorted(
        beoordeling.bevindingen, key=lambda b: (0 if b.ernst == "error" else 1)
    )
    fouten = sum(1 for b in bevindingen if b.ernst == "error")
    waarschuwingen = len(bevindingen) - fouten
    if not bevindingen:
        oordeel = "Geen bevindingen: de fiche is in orde."
    else:
        oordeel = (f"{fouten} fout(en) en {waarschuwingen} waarschuwing(en). "
                   "Klik op een cel-link om naar het veld te gaan.")
    rows: list[list[Any]] = [
        ["Controle pMIEK-fiche"],
        ["Project", tekst(beoordeling.project or "(geen projectnaam)")],
        ["Stoplicht project", beoordeling.stoplicht.label],
        ["Gecontroleerd op", vandaag.strftime("%d-%m-%Y")],
        ["Oordeel", oordeel],
        [],
        list(KOPPEN),
    ]
    for b in bevindingen:
        rows.append([
            ERNST_LABEL.get(b.ernst, b.ernst),
            tekst(veld_label(beoordeling.fiche_type, b.veld)),
            tekst(b.melding),
            link(b.cel),
            b.code,
        ])
    return [row + [None] * (breedte - len(row)) for row in rows]


def _blad(book) -> tuple[Any, int]:
    """The Controle sheet, made and laid out if it is not there, else emptied; and the writes."""
    acties = 0
    namen = [s.name for s in book.sheets]
    bestaand = next((n for n in namen if n.casefold() == CONTROLE_SHEET.casefold()), None)
    if bestaand is None:
        sheet = book.sheets.add(CONTROLE_SHEET, after=book.sheets[len(namen) - 1])
        acties += 1
        # Layout once, when the sheet is made: later runs only replace the contents.
        remote = is_remote(book)
        for i, breedte in enumerate(KOLOMBREEDTES):
            col = chr(ord("A") + i)
            sheet.range(f"{col}1").column_width = kolombreedte(breedte, remote)
            acties += 1
        sheet.range("A1").font.size = 14
        sheet.range("A1").font.bold = True
        sheet.range((KOPRIJ, 1), (KOPRIJ, len(KOPPEN))).font.bold = True
        acties += 3
    else:
        sheet = book.sheets[bestaand]
        # Clear only what the previous run may have written; keeps column widths.
        sheet.clear_contents()
        acties += 1
    return sheet, acties


def schrijf(book, beoordeling, vandaag: dt.date) -> int:
    """(Re)build the Controle sheet; returns the number of write calls made."""
    sheet, acties = _blad(book)
    sheet.range("A1").value = inhoud(beoordeling, vandaag)
    acties += 1
    return acties


def melding_inhoud(kop: str, bericht: str) -> list[list[Any]]:
    """A message as sheet rows: the heading in A1, then one row per line of the text from A3."""
    rows: list[list[Any]] = [[kop], [None]]
    rows.extend([tekst(regel) if regel else None] for regel in bericht.split("\n"))
    return rows


def schrijf_melding(book, kop: str, bericht: str) -> int:
    """The Controle sheet holding only a message under a Dutch heading; returns the writes."""
    sheet, acties = _blad(book)
    sheet.range("A1").value = melding_inhoud(kop, bericht)
    return acties + 1
