"""Writing the master workbook's cells and tables: values as text or typed cells in the
stoplicht colours, hyperlinks only to web addresses, real Excel tables with the icon set, row
heights for wrapped text, the title block and the print layout of every sheet (`sync.master`).
"""

from __future__ import annotations

import datetime as dt
import textwrap
import weakref
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import IconSetRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from fiche.datums import datum_dmj, kwartaal_label, lokale_tijd, tijd_dmj
from fiche.stoplicht import TEKSTKLEUREN, Stoplicht
from sync.overzicht import Overzicht

DATUM = "d-m-yyyy"
DATUMTIJD = "d-m-yyyy hh:mm"
UREN = "0.0"
#: Row of every table header; rows above it hold the title block.
KOPRIJ = 5
MAX_CEL = 32767  # Excel's limit on the characters in one cell
MAX_URL = 2079  # Excel's limit on a hyperlink address
TABELSTIJL = "TableStyleMedium2"
REGELHOOGTE = 15.0  # points per line of 11 pt text
MAX_REGELS = 12
#: A stoplicht column fits its longest label in bold ("Risico op vertraging").
STOPLICHT_BREEDTE = 24
#: A project-name column widens to its longest name up to this width, and wraps beyond it.
#: Widening rather than wrapping: LibreOffice does not wrap a cell holding a hyperlink, and the
#: project names on most sheets link to another sheet.
MAX_NAAMBREEDTE = 100
#: Sheets wider than this (in column width units) print on A3: on A4 the text gets too small.
A3_VANAF = 220

#: Score for the icon set: 3TrafficLights1 shows red for 1, amber for 2, green for 3. Onbekend
#: gets no score and so no icon: missing data is never green.
SCORE = {
    Stoplicht.OP_PLANNING: 3,
    Stoplicht.GEREALISEERD: 3,
    Stoplicht.RISICO: 2,
    Stoplicht.VERTRAAGD: 1,
}
SCORE_UITLEG = ("Score (icoon): 3 = op planning of gerealiseerd, 2 = risico op vertraging, "
                "1 = vertraagd, leeg = onbekend.")
TITEL_FONT = Font(size=14, bold=True)
VET_FONT = Font(bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
KOP_ALIGN = Alignment(wrap_text=True, vertical="center")
LANG_ALIGN = Alignment(wrap_text=True, vertical="top")
BOVEN_ALIGN = Alignment(vertical="top")
MIDDEN_ALIGN = Alignment(horizontal="center", vertical="top")
STOPLICHT_VUL = {light: PatternFill("solid", start_color=light.kleur, end_color=light.kleur) for light in Stoplicht}
STOPLICHT_FONT = {(light, vet): Font(color=TEKSTKLEUREN[light], bold=vet)
                  for light in Stoplicht for vet in (False, True)}


# --- Cells ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kolom:
    kop: str
    breedte: float
    #: tekst | lang | naam | datum | tijd | getal | uren | stoplicht | score; a "naam" column
    #: (a project name, a person, an e-mail address) is `breedte` wide at least and widens to fit
    #: its longest value.
    soort: str = "tekst"


@dataclass(frozen=True)
class Link:
    """A cell value with a hyperlink: `url` to a fiche (http/https only) or `locatie` inside
    the workbook ("'Mijlpalen'!A6")."""

    tekst: str | None
    url: str | None = None
    locatie: str | None = None


@dataclass(frozen=True)
class Markering:
    """A text cell in the colours of a stoplicht: a warning (a newer fiche version was refused)
    or an urgency."""

    tekst: str
    kleur: Stoplicht = Stoplicht.RISICO
    #: Bold, for what must stand out in a row (an escalation).
    vet: bool = False


def veilige_tekst(value: Any) -> str:
    """Text for a cell: no characters XML cannot hold, within Excel's cell limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", str(value))
    if len(text) > MAX_CEL:
        text = text[: MAX_CEL - 1] + "…"
    return text


def veilige_url(url: str | None) -> str | None:
    """The link as a hyperlink target, or None: only web links become hyperlinks ('javascript:',
    'file:' and the like stay plain text). Spaces, as in a file name, are percent-encoded."""
    if not url:
        return None
    url = url.strip().replace(" ", "%20")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or len(url) > MAX_URL:
        return None
    return url


def als_stoplicht(value: Any) -> Stoplicht | None:
    if isinstance(value, Stoplicht):
        return value
    if isinstance(value, str):
        return Stoplicht.van_label(value)
    return None


def _schrijf_tekst(cell, value: Any) -> None:
    cell.value = veilige_tekst(value)
    # Assigning a str starting with "=" makes openpyxl write a formula; this keeps it text.
    cell.data_type = "s"


#: Per workbook: the cell style (openpyxl's StyleArray of ids) each combination of style
#: constants gave when it was first set.
_STIJLEN: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _stijl(cell, font: Font | None = None, fill: PatternFill | None = None, alignment: Alignment | None = None,
           number_format: str | None = None) -> None:
    """Styles a freshly written cell. openpyxl hashes every style object on every assignment,
    which dominated writing a master with a thousand projects; a combination is therefore set
    once per workbook and its style ids copied after. Only module-level constants are passed, so
    their ids are stable keys; the result is the same as setting each attribute on every cell."""
    per_werkboek = _STIJLEN.setdefault(cell.parent.parent, {})
    sleutel = (id(font), id(fill), id(alignment), number_format)
    stijl = per_werkboek.get(sleutel)
    if stijl is not None:
        cell._style = copy(stijl)
        return
    if number_format is not None:
        cell.number_format = number_format
    if fill is not None:
        cell.fill = fill
    if font is not None:
        cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    per_werkboek[sleutel] = copy(cell._style)


def _schrijf_cel(cell, value: Any, kolom: Kolom, tz: dt.tzinfo) -> None:
    """`tz`: the snapshot's configured zone; Excel has no time zones, so aware times are written
    as naive local time in it."""
    if kolom.soort == "score":
        light = als_stoplicht(value)
        score = SCORE.get(light) if light is not None else (value if isinstance(value, int) else None)
        if score is not None:
            cell.value = score
            _stijl(cell, alignment=MIDDEN_ALIGN)
        return
    if value is None or value == "":
        return
    if isinstance(value, Link):
        if value.tekst is None:
            return
        _schrijf_tekst(cell, value.tekst)
        font = None
        if value.locatie:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=value.locatie)
            font = LINK_FONT
        elif (url := veilige_url(value.url)) is not None:
            cell.hyperlink = Hyperlink(ref=cell.coordinate, target=url)
            font = LINK_FONT
        _stijl(cell, font=font, alignment=LANG_ALIGN if kolom.soort == "lang" else BOVEN_ALIGN)
        return
    if isinstance(value, Markering):
        _schrijf_tekst(cell, value.tekst)
        vet = value.vet or kolom.soort == "stoplicht"
        _stijl(cell, font=STOPLICHT_FONT[value.kleur, vet], fill=STOPLICHT_VUL[value.kleur], alignment=LANG_ALIGN)
        return
    if kolom.soort == "stoplicht":
        light = als_stoplicht(value)
        if light is None:
            _schrijf_tekst(cell, value)
            return
        cell.value = light.label
        cell.data_type = "s"
        _stijl(cell, font=STOPLICHT_FONT[light, True], fill=STOPLICHT_VUL[light], alignment=BOVEN_ALIGN)
        return
    formaat = None
    if isinstance(value, dt.datetime):
        cell.value = lokale_tijd(value, tz)
        formaat = DATUMTIJD if kolom.soort == "tijd" else DATUM
    elif isinstance(value, dt.date):
        cell.value = value
        formaat = DATUM
    elif isinstance(value, bool):
        _schrijf_tekst(cell, "Ja" if value else "Nee")
    elif isinstance(value, (int, float)):
        cell.value = value
        if kolom.soort == "uren":
            formaat = UREN
    elif isinstance(value, Stoplicht):
        _schrijf_tekst(cell, value.label)
    else:
        _schrijf_tekst(cell, value)
    _stijl(cell, number_format=formaat, alignment=LANG_ALIGN if kolom.soort == "lang" else BOVEN_ALIGN)


# --- Sheets and tables ------------------------------------------------------------------------

@dataclass
class Blad:
    """One sheet's shared context while it is built."""

    overzicht: Overzicht
    ws: Any
    titel: str


def titelblok(blad: Blad, regel3: str | None, regel4: str | None = None) -> None:
    ws, o = blad.ws, blad.overzicht
    _schrijf_tekst(ws.cell(row=1, column=1), f"pMIEK monitoring – {blad.titel}")
    ws.cell(row=1, column=1).font = TITEL_FONT
    _schrijf_tekst(ws.cell(row=2, column=1), peilregel(o))
    ws.cell(row=2, column=1).font = Font(bold=True)
    if regel3:
        _schrijf_tekst(ws.cell(row=3, column=1), regel3)
    if regel4:
        _schrijf_tekst(ws.cell(row=4, column=1), regel4)
        ws.cell(row=4, column=1).font = Font(italic=True, color="595959")


def peilregel(o: Overzicht) -> str:
    return (f"Peildatum: {datum_dmj(o.peildatum)} ({kwartaal_label(o.peildatum)})  ·  "
            f"Gegenereerd: {tijd_dmj(o.gegenereerd, o.tz)}")


def tabel(
    blad: Blad, naam: str, kolommen: Sequence[Kolom], rijen: Sequence[Sequence[Any]], eerste_kolom: int = 1,
) -> tuple[int, int]:
    """Writes a real Excel table with its header on KOPRIJ; returns (first, last) data row.

    A table without rows keeps one empty body row: Excel wants at least one.
    """
    ws = blad.ws
    kolommen = [_passend(k, [rij[j] for rij in rijen]) for j, k in enumerate(kolommen)]
    for j, kolom in enumerate(kolommen):
        c = eerste_kolom + j
        cell = ws.cell(row=KOPRIJ, column=c)
        _schrijf_tekst(cell, kolom.kop)
        cell.font = Font(bold=True)
        cell.alignment = KOP_ALIGN
        ws.column_dimensions[get_column_letter(c)].width = kolom.breedte
    for i, rij in enumerate(rijen):
        if len(rij) != len(kolommen):
            raise ValueError(f"table {naam}: row has {len(rij)} values for {len(kolommen)} columns")
        for j, (kolom, value) in enumerate(zip(kolommen, rij)):
            _schrijf_cel(ws.cell(row=KOPRIJ + 1 + i, column=eerste_kolom + j), value, kolom, blad.overzicht.tz)
    _rijhoogte(ws, KOPRIJ, [(k.kop, k.breedte) for k in kolommen])
    for i, rij in enumerate(rijen):
        _rijhoogte(ws, KOPRIJ + 1 + i, [
            (_celtekst(v), k.breedte) for k, v in zip(kolommen, rij) if k.soort == "lang" or isinstance(v, Markering)
        ])
    eerste, laatste = KOPRIJ + 1, KOPRIJ + max(1, len(rijen))
    ref = (f"{get_column_letter(eerste_kolom)}{KOPRIJ}:"
           f"{get_column_letter(eerste_kolom + len(kolommen) - 1)}{laatste}")
    table = Table(displayName=naam, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=TABELSTIJL, showRowStripes=True)
    ws.add_table(table)
    for j, kolom in enumerate(kolommen):
        if kolom.soort == "score":
            letter = get_column_letter(eerste_kolom + j)
            ws.conditional_formatting.add(
                f"{letter}{eerste}:{letter}{laatste}",
                IconSetRule("3TrafficLights1", "num", [1, 2, 3], showValue=True),
            )
    return eerste, laatste


def _passend(kolom: Kolom, waarden: Sequence[Any]) -> Kolom:
    """A "naam" column as wide as its longest value (about one width unit per character plus
    the cell padding), up to MAX_NAAMBREEDTE; beyond that it wraps like a "lang" column."""
    if kolom.soort != "naam":
        return kolom
    langste = max((len(_celtekst(v)) for v in waarden), default=0)
    breedte = max(kolom.breedte, min(MAX_NAAMBREEDTE, langste + 3))
    return Kolom(kolom.kop, breedte, "lang" if langste + 3 > MAX_NAAMBREEDTE else "tekst")


def totaalrij(blad: Blad, rij: int, kolommen: Sequence[Kolom], waarden: Sequence[Any], eerste_kolom: int = 1) -> None:
    """A bold totals row directly under a table (outside it, so sorting or filtering the table
    leaves it where it is); `None` leaves a cell empty."""
    for j, (kolom, value) in enumerate(zip(kolommen, waarden)):
        if value is None:
            continue
        cell = blad.ws.cell(row=rij, column=eerste_kolom + j)
        if isinstance(value, (int, float)):
            cell.value = value
            _stijl(cell, font=VET_FONT, number_format=UREN if kolom.soort == "uren" else None, alignment=BOVEN_ALIGN)
        else:
            _schrijf_tekst(cell, value)
            _stijl(cell, font=VET_FONT, alignment=BOVEN_ALIGN)


def _celtekst(value: Any) -> str:
    if isinstance(value, (Link, Markering)):
        return value.tekst or ""
    return "" if value is None else str(value)


def _rijhoogte(ws, rij: int, teksten: Sequence[tuple[str, float]]) -> None:
    """Wrapped text needs a taller row: neither Excel nor LibreOffice fits it on opening a
    generated file. Estimated from the text length per column width (about one character per
    width unit); a row shared by two tables gets the taller of both."""
    regels = 1
    for tekst, breedte in teksten:
        per_regel = max(1, int(breedte * 1.05) - 1)
        # A line no longer than the width (and without tabs, which textwrap expands) is one line.
        n = sum(1 if len(deel) <= per_regel and "\t" not in deel else max(1, len(textwrap.wrap(deel, per_regel)))
                for deel in tekst.split("\n"))
        regels = max(regels, n)
    regels = min(regels, MAX_REGELS)
    if regels > 1:
        huidig = ws.row_dimensions[rij].height or 0
        ws.row_dimensions[rij].height = max(huidig, REGELHOOGTE * regels)


def opmaak(blad: Blad, bevries: str = "A") -> None:
    """Frozen header, print layout and header/footer."""
    ws, o = blad.ws, blad.overzicht
    ws.freeze_panes = f"{bevries}{KOPRIJ + 1}"
    ws.sheet_view.zoomScale = 90
    ws.page_setup.orientation = "landscape"
    breedte = sum(d.width or 0 for d in ws.column_dimensions.values())
    ws.page_setup.paperSize = ws.PAPERSIZE_A3 if breedte > A3_VANAF else ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.print_title_rows = f"{KOPRIJ}:{KOPRIJ}"
    ws.print_options.horizontalCentered = False
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.75
    ws.page_margins.header = ws.page_margins.footer = 0.3
    ws.oddHeader.left.text = f"pMIEK monitoring – {blad.titel}"
    ws.oddHeader.right.text = f"Peildatum {datum_dmj(o.peildatum)}"
    ws.oddFooter.left.text = f"Gegenereerd {tijd_dmj(o.gegenereerd, o.tz)}"
    ws.oddFooter.right.text = "Pagina &P van &N"


def celverwijzing(blad_naam: str, rij: int, kolom: str = "A") -> str:
    return f"{quote_sheetname(blad_naam)}!{kolom}{rij}"


