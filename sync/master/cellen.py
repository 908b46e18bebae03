"""Writing the master workbook's cells and tables: values as text or typed cells in the
stoplicht colours, hyperlinks only to web addresses, real Excel tables with the icon set, row
heights for wrapped text, the title block and the print layout of every sheet (`sync.master`).

The cells go through XlsxWriter (`xlsxwriter.Workbook`, one `add_format` per style combination,
cached per workbook): writing a master of 1,000 projects takes a fraction of what openpyxl took
(docs/benchmarks.md). Sheets use only this module's API (`Blad`, `titelblok`, `tabel`,
`totaalrij`, `kolombreedte`, `opmaak`, `Kolom`, `Link`, `Markering`, `celverwijzing`); rows and
columns are 1-based here, as in Excel, and 0-based only in the calls to XlsxWriter.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import quote_sheetname

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
TABELSTIJL = "Table Style Medium 2"  # TableStyleMedium2
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
PAPIER_A4, PAPIER_A3 = 9, 8
#: XlsxWriter stores a width w as the width of (7w + 5) pixels; giving it w - 5/7 stores w
#: itself, the number Excel's own files (and the previous writer) hold.
_BREEDTE_CORRECTIE = 5 / 7

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
#: Style parts (XlsxWriter format properties); a cell's format is the union of its parts.
TITEL_FONT: dict[str, Any] = {"font_size": 14, "bold": True}
VET_FONT: dict[str, Any] = {"bold": True}
NOOT_FONT: dict[str, Any] = {"italic": True, "font_color": "#595959"}
LINK_FONT: dict[str, Any] = {"font_color": "#0563C1", "underline": 1}
KOP_ALIGN: dict[str, Any] = {"text_wrap": True, "valign": "vcenter"}
LANG_ALIGN: dict[str, Any] = {"text_wrap": True, "valign": "top"}
BOVEN_ALIGN: dict[str, Any] = {"valign": "top"}
MIDDEN_ALIGN: dict[str, Any] = {"align": "center", "valign": "top"}
STOPLICHT_VUL: dict[Stoplicht, dict[str, Any]] = {
    light: {"pattern": 1, "bg_color": f"#{light.kleur}"} for light in Stoplicht}
STOPLICHT_FONT: dict[tuple[Stoplicht, bool], dict[str, Any]] = {
    (light, vet): {"font_color": f"#{TEKSTKLEUREN[light]}", "bold": vet}
    for light in Stoplicht for vet in (False, True)}
ICONEN = {"type": "icon_set", "icon_style": "3_traffic_lights",
          "icons": [{"criteria": ">=", "type": "number", "value": 3},
                    {"criteria": ">=", "type": "number", "value": 2}]}


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
    text = str(value)
    # A printable text holds no control character: the regex is only needed for the others
    # (with a line break or a tab, which stay, or a character XML cannot hold).
    if not text.isprintable():
        text = ILLEGAL_CHARACTERS_RE.sub("", text)
    if len(text) > MAX_CEL:
        text = text[: MAX_CEL - 1] + "…"
    return text


#: What bars a link from being a hyperlink: whitespace (`str.isspace`, as `\s` matches) or a
#: control character.
_GEEN_URL_RE = re.compile(r"[\s\x00-\x1f\x7f]")


def veilige_url(url: str | None) -> str | None:
    """The link as a hyperlink target, or None: only web links become hyperlinks ('javascript:',
    'file:' and the like stay plain text). Spaces, as in a file name, are percent-encoded."""
    if not url:
        return None
    url = url.strip().replace(" ", "%20")
    if _GEEN_URL_RE.search(url):
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


def _opmaak(blad: "Blad", a: dict[str, Any] | None = None, b: dict[str, Any] | None = None,
            c: dict[str, Any] | None = None, number_format: str | None = None) -> Any:
    """The XlsxWriter format made of these style parts (later parts win), created once per
    workbook. Only module-level constants are passed, so their ids are stable keys."""
    sleutel = (id(a), id(b), id(c), number_format)
    fmt = blad.formaten.get(sleutel)
    if fmt is None:
        eigenschappen: dict[str, Any] = {}
        for deel in (a, b, c):
            if deel is not None:
                eigenschappen.update(deel)
        if number_format is not None:
            eigenschappen["num_format"] = number_format
        fmt = blad.formaten[sleutel] = blad.werkboek.add_format(eigenschappen)
    return fmt


#: Excel's day 0 (with its 1900 leap-year bug folded in, as every writer does for dates after
#: February 1900).
_EXCEL_NUL = dt.datetime(1899, 12, 30)
_EXCEL_NUL_DATUM = _EXCEL_NUL.date()


def _excel_datum(value: dt.date | dt.datetime) -> float | int:
    """The Excel serial number of a (naive) date or time: what XlsxWriter's own, much slower,
    write_datetime computes."""
    if isinstance(value, dt.datetime):
        verschil = value - _EXCEL_NUL
        return verschil.days + (verschil.seconds + verschil.microseconds / 1e6) / 86400
    return value.toordinal() - _EXCEL_NUL_DATUM.toordinal()


def _schrijf_tekst(blad: "Blad", rij: int, kolom: int, value: Any, fmt: Any = None) -> None:
    _tekst(blad.ws, rij - 1, kolom - 1, value, fmt)


def _tekst(ws: Any, r: int, c: int, value: Any, fmt: Any) -> None:
    """A text cell at 0-based (r, c)."""
    # write_string, never write(): a text starting with "=" stays text and never becomes a formula.
    ws.write_string(r, c, veilige_tekst(value), fmt)


def _link(ws: Any, r: int, c: int, tekst: str, doel: str, fmt: Any) -> None:
    # XlsxWriter refuses (and returns < 0) a link it cannot hold, e.g. beyond its limit of links
    # per sheet or an address that escaping made too long: the text is then written plainly.
    if ws.write_url(r, c, doel, fmt, veilige_tekst(tekst)) < 0:
        _tekst(ws, r, c, tekst, fmt)


#: Writes one value into the cell at 0-based (row, column).
CelSchrijver = Callable[[int, int, Any], None]
#: The types whose values never equal "" (an empty text is no value): their writers skip that test.
_NOOIT_LEEG = frozenset({bool, int, float, dt.date, dt.datetime, Link, Markering, Stoplicht})


def _cel_schrijver(blad: "Blad", kolom: Kolom, soort_type: type, tz: dt.tzinfo) -> CelSchrijver | None:
    """How a value of `soort_type` is written in `kolom`, or None when it leaves the cell empty;
    `tz`: the snapshot's configured zone. Worked out once per column and type (`_Kolomschrijver`),
    as `isinstance` would per value; the formats are made on first use (`_opmaak`)."""
    ws = blad.ws
    soort = kolom.soort
    if soort == "score":
        def score(r: int, c: int, value: Any) -> None:
            light = als_stoplicht(value)
            punten = SCORE.get(light) if light is not None else (value if isinstance(value, int) else None)
            if punten is not None:
                ws.write_number(r, c, punten, _opmaak(blad, MIDDEN_ALIGN))
        return score
    if soort_type is type(None):
        return None
    schrijver = _waarde_schrijver(blad, kolom, soort_type, tz)
    if soort_type in _NOOIT_LEEG:
        return schrijver

    def niet_leeg(r: int, c: int, value: Any) -> None:
        if not value == "":
            schrijver(r, c, value)
    return niet_leeg


def _waarde_schrijver(blad: "Blad", kolom: Kolom, soort_type: type, tz: dt.tzinfo) -> CelSchrijver:
    ws = blad.ws
    soort = kolom.soort
    uitlijning = LANG_ALIGN if soort == "lang" else BOVEN_ALIGN
    if issubclass(soort_type, Link):
        def link(r: int, c: int, value: Link) -> None:
            if value.tekst is None:
                return
            if value.locatie:
                _link(ws, r, c, value.tekst, f"internal:{value.locatie}", _opmaak(blad, LINK_FONT, uitlijning))
            elif (url := veilige_url(value.url)) is not None:
                _link(ws, r, c, value.tekst, url, _opmaak(blad, LINK_FONT, uitlijning))
            else:
                _tekst(ws, r, c, value.tekst, _opmaak(blad, uitlijning))
        return link
    if issubclass(soort_type, Markering):
        stoplicht_kolom = soort == "stoplicht"

        def markering(r: int, c: int, value: Markering) -> None:
            vet = value.vet or stoplicht_kolom
            _tekst(ws, r, c, value.tekst, _opmaak(
                blad, STOPLICHT_VUL[value.kleur], STOPLICHT_FONT[value.kleur, vet], LANG_ALIGN))
        return markering
    if soort == "stoplicht":
        def stoplicht(r: int, c: int, value: Any) -> None:
            light = als_stoplicht(value)
            if light is None:
                _tekst(ws, r, c, value, _opmaak(blad, BOVEN_ALIGN))
            else:
                _tekst(ws, r, c, light.label, _opmaak(
                    blad, STOPLICHT_VUL[light], STOPLICHT_FONT[light, True], BOVEN_ALIGN))
        return stoplicht
    write_number = ws.write_number
    if issubclass(soort_type, dt.datetime):
        fmt = _opmaak(blad, uitlijning, number_format=DATUMTIJD if soort == "tijd" else DATUM)
        return lambda r, c, value: write_number(r, c, _excel_datum(lokale_tijd(value, tz)), fmt)
    if issubclass(soort_type, dt.date):
        fmt = _opmaak(blad, uitlijning, number_format=DATUM)
        return lambda r, c, value: write_number(r, c, _excel_datum(value), fmt)
    if issubclass(soort_type, bool):
        fmt = _opmaak(blad, uitlijning)
        return lambda r, c, value: _tekst(ws, r, c, "Ja" if value else "Nee", fmt)
    if issubclass(soort_type, (int, float)):
        fmt = _opmaak(blad, uitlijning, number_format=UREN if soort == "uren" else None)
        return lambda r, c, value: write_number(r, c, value, fmt)
    fmt = _opmaak(blad, uitlijning)
    if issubclass(soort_type, Stoplicht):
        return lambda r, c, value: _tekst(ws, r, c, value.label, fmt)
    return lambda r, c, value: _tekst(ws, r, c, value, fmt)


class _Kolomschrijver:
    """The cell writers of one table column, one per type of value met (`_cel_schrijver`)."""

    __slots__ = ("blad", "kolom", "tz", "per_type")

    def __init__(self, blad: "Blad", kolom: Kolom, tz: dt.tzinfo) -> None:
        self.blad, self.kolom, self.tz = blad, kolom, tz
        self.per_type: dict[type, CelSchrijver | None] = {}

    def voor(self, soort_type: type) -> CelSchrijver | None:
        schrijver = self.per_type[soort_type] = _cel_schrijver(self.blad, self.kolom, soort_type, self.tz)
        return schrijver

    @property
    def met_markering(self) -> bool:
        """Whether a value written so far was a `Markering`."""
        return any(issubclass(t, Markering) for t in self.per_type)


# --- Sheets and tables ------------------------------------------------------------------------

@dataclass
class Blad:
    """One sheet's shared context while it is built: the snapshot, the XlsxWriter worksheet
    (`ws`) and its workbook, and the column widths and row heights set so far."""

    overzicht: Overzicht
    ws: Any
    titel: str
    werkboek: Any = None
    #: The workbook's formats per combination of style parts (`_opmaak`), shared by its sheets.
    formaten: dict[tuple, Any] = field(default_factory=dict)
    breedtes: dict[int, float] = field(default_factory=dict)
    hoogtes: dict[int, float] = field(default_factory=dict)


def kolombreedte(blad: Blad, kolom: int, breedte: float) -> None:
    """Sets the width of column `kolom` (1-based) in Excel's width units."""
    blad.breedtes[kolom] = breedte
    blad.ws.set_column(kolom - 1, kolom - 1, max(0.0, breedte - _BREEDTE_CORRECTIE) if breedte >= 1 else breedte)


def titelblok(blad: Blad, regel3: str | None, regel4: str | None = None) -> None:
    o = blad.overzicht
    _schrijf_tekst(blad, 1, 1, f"pMIEK monitoring – {blad.titel}", _opmaak(blad, TITEL_FONT))
    _schrijf_tekst(blad, 2, 1, peilregel(o), _opmaak(blad, VET_FONT))
    if regel3:
        _schrijf_tekst(blad, 3, 1, regel3)
    if regel4:
        _schrijf_tekst(blad, 4, 1, regel4, _opmaak(blad, NOOT_FONT))


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
    for rij in rijen:
        if len(rij) != len(kolommen):
            raise ValueError(f"table {naam}: row has {len(rij)} values for {len(kolommen)} columns")
    kolommen = [_passend(k, [rij[j] for rij in rijen]) if k.soort == "naam" else k for j, k in enumerate(kolommen)]
    tz = blad.overzicht.tz
    kolomschrijvers = [_Kolomschrijver(blad, k, tz) for k in kolommen]
    kolom_info = [(c, k.per_type, k) for c, k in enumerate(kolomschrijvers, start=eerste_kolom - 1)]
    for r, rij in enumerate(rijen, start=KOPRIJ):
        for (c, per_type, kolomschrijver), value in zip(kolom_info, rij):
            soort = type(value)
            schrijver = per_type[soort] if soort in per_type else kolomschrijver.voor(soort)
            if schrijver is not None:
                schrijver(r, c, value)
    for j, kolom in enumerate(kolommen):
        kolombreedte(blad, eerste_kolom + j, kolom.breedte)
    _rijhoogte(blad, KOPRIJ, [(k.kop, k.breedte) for k in kolommen])
    # A long text wraps, and so does a warning (`Markering`) in any column: only the columns that
    # hold one are looked at per row.
    wikkelend = [(j, k.kolom.breedte, k.kolom.soort == "lang") for j, k in enumerate(kolomschrijvers)
                 if k.kolom.soort == "lang" or k.met_markering]
    for i, rij in enumerate(rijen):
        _rijhoogte(blad, KOPRIJ + 1 + i, [
            (_celtekst(rij[j]), breedte) for j, breedte, lang in wikkelend if lang or isinstance(rij[j], Markering)
        ])
    eerste, laatste = KOPRIJ + 1, KOPRIJ + max(1, len(rijen))
    kop = _opmaak(blad, VET_FONT, KOP_ALIGN)
    # The header cells are written by add_table (as text, in the header format).
    ws.add_table(KOPRIJ - 1, eerste_kolom - 1, laatste - 1, eerste_kolom + len(kolommen) - 2, {
        "name": naam, "style": TABELSTIJL, "banded_rows": True, "autofilter": True,
        "columns": [{"header": veilige_tekst(k.kop), "header_format": kop} for k in kolommen],
    })
    for j, kolom in enumerate(kolommen):
        if kolom.soort == "score":
            c = eerste_kolom + j - 1
            ws.conditional_format(eerste - 1, c, laatste - 1, c, ICONEN)
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
        if isinstance(value, (int, float)):
            blad.ws.write_number(rij - 1, eerste_kolom + j - 1, value, _opmaak(
                blad, VET_FONT, BOVEN_ALIGN, number_format=UREN if kolom.soort == "uren" else None))
        else:
            _schrijf_tekst(blad, rij, eerste_kolom + j, value, _opmaak(blad, VET_FONT, BOVEN_ALIGN))


def _celtekst(value: Any) -> str:
    if isinstance(value, (Link, Markering)):
        return value.tekst or ""
    return "" if value is None else str(value)


def _rijhoogte(blad: Blad, rij: int, teksten: Sequence[tuple[str, float]]) -> None:
    """Wrapped text needs a taller row: neither Excel nor LibreOffice fits it on opening a
    generated file. Estimated from the text length per column width (about one character per
    width unit); a row shared by two tables gets the taller of both."""
    regels = 1
    for tekst, breedte in teksten:
        per_regel = max(1, int(breedte * 1.05) - 1)
        # A line no longer than the width (and without tabs, which textwrap expands) is one line.
        if len(tekst) <= per_regel and "\t" not in tekst:
            n = tekst.count("\n") + 1
        else:
            n = sum(1 if len(deel) <= per_regel and "\t" not in deel else _gewikkeld(deel, per_regel)
                    for deel in tekst.split("\n"))
        regels = max(regels, n)
    regels = min(regels, MAX_REGELS)
    if regels > 1:
        hoogte = max(blad.hoogtes.get(rij, 0.0), REGELHOOGTE * regels)
        blad.hoogtes[rij] = hoogte
        blad.ws.set_row(rij - 1, hoogte)


@lru_cache(maxsize=4096)
def _gewikkeld(regel: str, per_regel: int) -> int:
    """The lines textwrap makes of one line of text; the same texts recur (a warning on every row
    it applies to, the same remark on several sheets), and wrapping is the costly part of a row."""
    return max(1, len(textwrap.wrap(regel, per_regel)))


def _koptekst(tekst: str) -> str:
    return tekst.replace("&", "&&")  # "&" starts a control code in a header or footer


def opmaak(blad: Blad, bevries: str = "A") -> None:
    """Frozen header, print layout and header/footer."""
    ws, o = blad.ws, blad.overzicht
    ws.freeze_panes(KOPRIJ, _kolom_index(bevries))
    ws.set_zoom(90)
    ws.set_landscape()
    ws.set_paper(PAPIER_A3 if sum(blad.breedtes.values()) > A3_VANAF else PAPIER_A4)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(KOPRIJ - 1)
    ws.set_margins(left=0.4, right=0.4, top=0.75, bottom=0.75)
    links, rechts = _koptekst(f"pMIEK monitoring – {blad.titel}"), _koptekst(f"Peildatum {datum_dmj(o.peildatum)}")
    ws.set_header(f"&L{links}&R{rechts}", {"margin": 0.3})
    ws.set_footer(f"&L{_koptekst(f'Gegenereerd {tijd_dmj(o.gegenereerd, o.tz)}')}&RPagina &P van &N", {"margin": 0.3})


def _kolom_index(letter: str) -> int:
    """0-based index of a column letter ("A" -> 0, "C" -> 2)."""
    n = 0
    for ch in letter.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def celverwijzing(blad_naam: str, rij: int, kolom: str = "A") -> str:
    return f"{quote_sheetname(blad_naam)}!{kolom}{rij}"

