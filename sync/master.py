"""The master monitoring workbook: generated from scratch from one portfolio snapshot (`Overzicht`).

The project leader opens this workbook; nobody edits it by hand, every run replaces it. Sheets:
Overzicht (one row per project), Plusprojecten, Mijlpalen, Knelpunten, Capaciteit, Datakwaliteit
and Historie. Every sheet has a title block (peildatum and generation time) above one or two real
Excel tables with filters, a frozen header row, set column widths, the stoplicht colours as
static fills, the three-traffic-lights icon set on a numeric score column and a print layout.

Everything a project team typed is written as text: a fiche line starting with "=" stays text
and never becomes a formula, and characters XML cannot hold are dropped. Only http(s) links to
a fiche become hyperlinks. The output depends only on the snapshot (the generation time comes
from `overzicht.gegenereerd`, not the clock), so a generated master can be compared part by
part with the committed reference file; only the package timestamps differ between runs.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import textwrap
import weakref
from collections import defaultdict
from copy import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.formatting.rule import IconSetRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.table import Table, TableStyleInfo

from fiche.datums import kwartaal_label
from fiche.errors import PmiekError, oorzaak_nl
from fiche.schema import FASEN, UREN_NORM
from fiche.stoplicht import TEKSTKLEUREN, Stoplicht, mijlpaal_stoplicht, mijlpaal_vertraging
from sync.bestanden import atomisch_schrijven
from sync.overzicht import DatakwaliteitMelding, Overzicht, ProjectStand, is_voorzitter, organisatie, uren_per_week

log = logging.getLogger("pmiek.sync.master")

#: Local time of the province: generation and version times are shown in it.
TIJDZONE = ZoneInfo("Europe/Amsterdam")
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
TYPE_LABEL = {"concreet": "Concreet", "verkenning": "Verkenning"}
TREND_LABEL = {"nieuw": "Nieuw", "verslechterd": "Verslechterd", "verbeterd": "Verbeterd",
               "gerealiseerd": "Gerealiseerd", "gelijk": "Gelijk"}
FASE_ONBEKEND = "Fase onbekend"
GEEN_PROJECTEN = "Geen projecten in dit overzicht: er is nog geen geldige fiche ontvangen."

#: Data-quality kinds: Dutch label and urgency (shown with the colour of a stoplicht).
SOORTEN = {
    "ongeldig": ("Ongeldige fiche", Stoplicht.VERTRAAGD),
    "onleesbaar": ("Onleesbaar bestand", Stoplicht.VERTRAAGD),
    "dubbel": ("Dubbele fiche", Stoplicht.VERTRAAGD),
    "verouderd": ("Verouderde fiche", Stoplicht.RISICO),
    "geen_voorzitter": ("Geen voorzitter", Stoplicht.RISICO),
    "verwijderd": ("Verwijderde fiche", Stoplicht.RISICO),
}
URGENTIE = {Stoplicht.VERTRAAGD: "Hoog", Stoplicht.RISICO: "Middel"}

TITEL_FONT = Font(size=14, bold=True)
LINK_FONT = Font(color="0563C1", underline="single")
KOP_ALIGN = Alignment(wrap_text=True, vertical="center")
LANG_ALIGN = Alignment(wrap_text=True, vertical="top")
BOVEN_ALIGN = Alignment(vertical="top")
MIDDEN_ALIGN = Alignment(horizontal="center", vertical="top")
STOPLICHT_VUL = {light: PatternFill("solid", start_color=light.kleur, end_color=light.kleur) for light in Stoplicht}
STOPLICHT_FONT = {(light, vet): Font(color=TEKSTKLEUREN[light], bold=vet) for light in Stoplicht for vet in (False, True)}


class MasterWriteError(PmiekError):
    """The master workbook could not be written; the previous master (if any) is untouched."""


# --- Cells ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Kolom:
    kop: str
    breedte: float
    #: tekst | lang | datum | tijd | getal | uren | stoplicht | score
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


def lokale_tijd(moment: dt.datetime) -> dt.datetime:
    """Excel has no time zones: an aware time is shown in Dutch local time, naive."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(TIJDZONE).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _als_stoplicht(value: Any) -> Stoplicht | None:
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


def _schrijf_cel(cell, value: Any, kolom: Kolom) -> None:
    if kolom.soort == "score":
        light = _als_stoplicht(value)
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
        _stijl(cell, font=STOPLICHT_FONT[value.kleur, kolom.soort == "stoplicht"], fill=STOPLICHT_VUL[value.kleur],
               alignment=LANG_ALIGN)
        return
    if kolom.soort == "stoplicht":
        light = _als_stoplicht(value)
        if light is None:
            _schrijf_tekst(cell, value)
            return
        cell.value = light.label
        cell.data_type = "s"
        _stijl(cell, font=STOPLICHT_FONT[light, True], fill=STOPLICHT_VUL[light], alignment=BOVEN_ALIGN)
        return
    formaat = None
    if isinstance(value, dt.datetime):
        cell.value = lokale_tijd(value)
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


def _titelblok(blad: Blad, regel3: str | None, regel4: str | None = None) -> None:
    ws, o = blad.ws, blad.overzicht
    _schrijf_tekst(ws.cell(row=1, column=1), f"pMIEK monitoring – {blad.titel}")
    ws.cell(row=1, column=1).font = TITEL_FONT
    _schrijf_tekst(ws.cell(row=2, column=1), _peilregel(o))
    ws.cell(row=2, column=1).font = Font(bold=True)
    if regel3:
        _schrijf_tekst(ws.cell(row=3, column=1), regel3)
    if regel4:
        _schrijf_tekst(ws.cell(row=4, column=1), regel4)
        ws.cell(row=4, column=1).font = Font(italic=True, color="595959")


def _peilregel(o: Overzicht) -> str:
    return (f"Peildatum: {_datum(o.peildatum)} ({kwartaal_label(o.peildatum)})  ·  "
            f"Gegenereerd: {_datumtijd(o.gegenereerd)}")


def _datum(d: dt.date | None) -> str:
    return "" if d is None else f"{d.day}-{d.month}-{d.year}"


def _datumtijd(moment: dt.datetime) -> str:
    t = lokale_tijd(moment)
    return f"{_datum(t.date())} {t:%H:%M}"


def _tabel(
    blad: Blad, naam: str, kolommen: Sequence[Kolom], rijen: Sequence[Sequence[Any]], eerste_kolom: int = 1,
) -> tuple[int, int]:
    """Writes a real Excel table with its header on KOPRIJ; returns (first, last) data row.

    A table without rows keeps one empty body row: Excel wants at least one.
    """
    ws = blad.ws
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
            _schrijf_cel(ws.cell(row=KOPRIJ + 1 + i, column=eerste_kolom + j), value, kolom)
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


def _opmaak(blad: Blad, bevries: str = "A") -> None:
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
    ws.oddHeader.right.text = f"Peildatum {_datum(o.peildatum)}"
    ws.oddFooter.left.text = f"Gegenereerd {_datumtijd(o.gegenereerd)}"
    ws.oddFooter.right.text = "Pagina &P van &N"


def _locatie(blad_naam: str, rij: int, kolom: str = "A") -> str:
    return f"{quote_sheetname(blad_naam)}!{kolom}{rij}"


# --- Ordering and derived values --------------------------------------------------------------

def _volgorde(p: ProjectStand) -> tuple:
    """Concrete projects first, worst light first, then by name."""
    return (p.fiche_type != "concreet", -p.stoplicht.ernst, p.projectnaam.lower(), p.sleutel)


def _mijlpaal_stoplicht(p: ProjectStand, m: dict[str, Any]) -> Stoplicht:
    light = _als_stoplicht(m.get("stoplicht"))
    if light is not None:
        return light
    hand = _als_stoplicht(m.get("stoplicht_handmatig"))
    if hand is not None:
        return hand
    return mijlpaal_stoplicht(_als_datum(m.get("gepland")), _als_datum(m.get("prognose")),
                              _als_datum(m.get("gereed")), p.ondergrens, p.bovengrens)


def _als_datum(value: Any) -> dt.date | None:
    """A table cell's date: a date, or the ISO text a JSON round trip through the store leaves."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def voorzitter_meldingen(overzicht: Overzicht) -> list[DatakwaliteitMelding]:
    """Teams without exactly one voorzitter that the snapshot's findings do not mention yet."""
    al = {(m.project or "").lower() for m in overzicht.datakwaliteit if m.soort == "geen_voorzitter"}
    out = []
    for p in sorted(overzicht.projecten, key=_volgorde):
        if p.voorzitter is not None or p.projectnaam.lower() in al:
            continue
        aantal = p.aantal_voorzitters
        if aantal == 0:
            tekst = "Het projectteam heeft geen voorzitter (trekker en contactpersoon)."
        else:
            tekst = f"Het projectteam heeft {aantal} voorzitters; er hoort er één te zijn."
        out.append(DatakwaliteitMelding("geen_voorzitter", p.bron_naam, tekst, project=p.projectnaam,
                                        bron_id=p.bron_id, link=p.link))
    return out


def _kwartaal_sleutel(q: str) -> tuple[int, int]:
    jaar, _, nummer = q.upper().partition("Q")
    try:
        return int(jaar), int(nummer)
    except ValueError:
        return (9999, 9)


def _kwartaal_kop(q: str) -> str:
    jaar, nummer = _kwartaal_sleutel(q)
    return f"Q{nummer} {jaar}" if jaar != 9999 else q


# --- The sheets -------------------------------------------------------------------------------

OVERZICHT = "Overzicht"
PLUS = "Plusprojecten"
MIJLPALEN = "Mijlpalen"
KNELPUNTEN = "Knelpunten"
CAPACITEIT = "Capaciteit"
DATAKWALITEIT = "Datakwaliteit"
HISTORIE = "Historie"
BLADEN = (OVERZICHT, PLUS, MIJLPALEN, KNELPUNTEN, CAPACITEIT, DATAKWALITEIT, HISTORIE)

K_OVERZICHT = (
    Kolom("Projectnaam", 48, "lang"), Kolom("Type", 12), Kolom("Drager", 14), Kolom("Gemeente", 18),
    Kolom("Energiecluster", 11), Kolom("Netbeheerder", 16), Kolom("Fase netbeheerder", 16),
    Kolom("Fase overheid", 16), Kolom("IBN/oplevering ondergrens", 13, "datum"),
    Kolom("IBN/oplevering bovengrens", 13, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Gerealiseerd", 12, "datum"), Kolom("Stoplicht", 21, "stoplicht"), Kolom("Score", 8, "score"),
    Kolom("Trend", 13), Kolom("Vorig stoplicht", 21, "stoplicht"), Kolom("Escalatie", 16),
    Kolom("Toelichting", 50, "lang"), Kolom("Peildatum fiche", 12, "datum"), Kolom("Versie van", 16, "tijd"),
    Kolom("Let op", 30, "lang"), Kolom("Fiche", 34, "lang"),
)
K_PLUS = (
    Kolom("Projectnaam", 44, "lang"), Kolom("Type", 12), Kolom("Drager", 14), Kolom("Gemeente", 18),
    Kolom("Netbeheerder", 16), Kolom("IBN/oplevering ondergrens", 13, "datum"),
    Kolom("IBN/oplevering bovengrens", 13, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Vorige prognose", 12, "datum"), Kolom("Verschuiving (dagen)", 13, "getal"),
    Kolom("Stoplicht", 21, "stoplicht"), Kolom("Score", 8, "score"), Kolom("Trend", 13),
    Kolom("Hoofdknelpunt", 44, "lang"), Kolom("Oplossing", 44, "lang"), Kolom("Eigenaar", 20),
    Kolom("Escalatie", 16),
)
K_MIJLPALEN = (
    Kolom("Projectnaam", 40, "lang"), Kolom("Type", 12), Kolom("Nr", 6, "getal"), Kolom("Mijlpaal", 36, "lang"),
    Kolom("Fase", 16), Kolom("Actiehouder", 18), Kolom("Gepland", 12, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Gereed", 12, "datum"), Kolom("Vertraging (dagen)", 12, "getal"), Kolom("Stoplicht", 21, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Handmatig stoplicht", 12), Kolom("Toelichting", 44, "lang"),
)
K_KNELPUNTEN = (
    Kolom("Projectnaam", 40, "lang"), Kolom("Type", 12), Kolom("Stoplicht project", 21, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Nr", 6, "getal"), Kolom("Knelpunt", 50, "lang"),
    Kolom("Oplossing", 50, "lang"), Kolom("Eigenaar", 22), Kolom("Status", 15), Kolom("Escalatie", 16),
)
K_CAP_FASE = (
    (Kolom("Organisatie", 28),)
    + tuple(Kolom(f, 16, "uren") for f in FASEN)
    + (Kolom(FASE_ONBEKEND, 15, "uren"), Kolom("Totaal uren per week", 15, "uren"))
)
K_CAP_PROJECT = (
    Kolom("Organisatie", 28), Kolom("Projectnaam", 40, "lang"), Kolom("Type", 12), Kolom("Fase", 16),
    Kolom("Stoplicht", 21, "stoplicht"), Kolom("Score", 8, "score"), Kolom("Voorzitters", 11, "getal"),
    Kolom("Deelnemers", 11, "getal"), Kolom("Uren per week", 12, "uren"),
)
K_DATAKWALITEIT = (
    Kolom("Soort", 20), Kolom("Urgentie", 11, "stoplicht"), Kolom("Score", 8, "score"),
    Kolom("Project", 40, "lang"), Kolom("Bestand", 34, "lang"), Kolom("Melding", 70, "lang"),
    Kolom("Sinds", 16, "tijd"),
)


def _overzicht(blad: Blad, projecten: list[ProjectStand], mijlpaal_rij: dict[str, int]) -> dict[str, int]:
    o = blad.overzicht
    if projecten:
        delen = []
        for fiche_type in ("concreet", "verkenning"):
            tel = o.tellingen(fiche_type)
            if sum(tel.values()):
                delen.append(f"{TYPE_LABEL[fiche_type]}: " + ", ".join(
                    f"{n} {light.label.lower()}" for light, n in tel.items() if n))
        regel3 = f"{len(projecten)} projecten. " + "; ".join(delen) + "."
    else:
        regel3 = GEEN_PROJECTEN
    _titelblok(blad, regel3, SCORE_UITLEG)
    rijen = []
    for p in projecten:
        let_op = None
        if p.nieuwere_versie_ongeldig:
            let_op = Markering("Nieuwere versie afgekeurd (zie Datakwaliteit); dit is de laatste geldige versie.")
        naam_link = mijlpaal_rij.get(p.sleutel)
        rijen.append([
            Link(p.projectnaam, locatie=_locatie(MIJLPALEN, naam_link) if naam_link else None),
            TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.drager, p.gemeente, p.energiecluster, p.netbeheerder,
            p.fase_netbeheerder, p.fase_overheid, p.ondergrens, p.bovengrens, p.prognose, p.gerealiseerd,
            p.stoplicht, p.stoplicht, TREND_LABEL.get(p.trend, p.trend), p.vorig_stoplicht, p.escalatie,
            p.toelichting, p.fiche_peildatum, p.versie_ontvangen, let_op, Link(p.bron_naam, url=p.link),
        ])
    _tabel(blad, "tblOverzicht", K_OVERZICHT, rijen)
    _opmaak(blad, bevries="B")
    return {p.sleutel: KOPRIJ + 1 + i for i, p in enumerate(projecten)}


def _plus(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    plus = [p for p in projecten if p.is_plusproject]
    uitleg = ("Elektriciteitsprojecten waarvan de IBN dreigt te verschuiven door (mogelijke) vertraging, "
              "en verkenningen die uitlopen.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not plus:
        uitleg += " Dit kwartaal zijn er geen plusprojecten."
    _titelblok(blad, uitleg, SCORE_UITLEG)
    rijen = []
    for p in plus:
        k = p.hoofdknelpunt or {}
        rijen.append([
            Link(p.projectnaam, locatie=_locatie(OVERZICHT, overzicht_rij[p.sleutel])),
            TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.drager, p.gemeente, p.netbeheerder,
            p.ondergrens, p.bovengrens, p.prognose, p.vorige_prognose, p.slip_dagen, p.stoplicht, p.stoplicht,
            TREND_LABEL.get(p.trend, p.trend), k.get("knelpunt"), k.get("oplossing"), k.get("eigenaar"),
            p.escalatie,
        ])
    _tabel(blad, "tblPlusprojecten", K_PLUS, rijen)
    _opmaak(blad, bevries="B")


def _mijlpalen_rijen(projecten: list[ProjectStand]) -> tuple[list[tuple[ProjectStand, list[Any]]], dict[str, int]]:
    rijen: list[tuple[ProjectStand, list[Any]]] = []
    eerste: dict[str, int] = {}
    for p in projecten:
        for nr, m in enumerate(p.mijlpalen, start=1):
            eerste.setdefault(p.sleutel, KOPRIJ + 1 + len(rijen))
            gepland, prognose, gereed = (_als_datum(m.get(k)) for k in ("gepland", "prognose", "gereed"))
            rijen.append((p, [
                TYPE_LABEL.get(p.fiche_type, p.fiche_type), nr, m.get("mijlpaal"), m.get("fase"),
                m.get("actiehouder"), gepland, prognose, gereed, mijlpaal_vertraging(gepland, prognose, gereed),
                _mijlpaal_stoplicht(p, m), _mijlpaal_stoplicht(p, m),
                "Ja" if _als_stoplicht(m.get("stoplicht_handmatig")) else None, m.get("toelichting"),
            ]))
    return rijen, eerste


def _mijlpalen(blad: Blad, projecten: list[ProjectStand], rijen: list[tuple[ProjectStand, list[Any]]],
               overzicht_rij: dict[str, int]) -> None:
    uitleg = ("Alle mijlpalen van alle projecten; het stoplicht is de vertraging van de mijlpaal "
              "verschoven op de ondergrens.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not rijen:
        uitleg += " Geen mijlpalen ingevuld."
    _titelblok(blad, uitleg, SCORE_UITLEG)
    linked = [[Link(p.projectnaam, locatie=_locatie(OVERZICHT, overzicht_rij[p.sleutel]))] + r for p, r in rijen]
    _tabel(blad, "tblMijlpalen", K_MIJLPALEN, linked)
    _opmaak(blad, bevries="B")


def _knelpunten(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    rijen = []
    for p in projecten:
        for nr, k in enumerate(p.knelpunten, start=1):
            rijen.append([
                Link(p.projectnaam, locatie=_locatie(OVERZICHT, overzicht_rij[p.sleutel])),
                TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.stoplicht, p.stoplicht, nr, k.get("knelpunt"),
                k.get("oplossing"), k.get("eigenaar"), k.get("status") or "Open", p.escalatie,
            ])
    uitleg = "Knelpunten per project en de oplossingen die ervoor zijn geformuleerd."
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not rijen:
        uitleg += " Geen knelpunten gemeld."
    _titelblok(blad, uitleg, SCORE_UITLEG)
    _tabel(blad, "tblKnelpunten", K_KNELPUNTEN, rijen)
    _opmaak(blad, bevries="B")


@dataclass
class Capaciteit:
    """Hours per week per organisation: per project and per phase."""

    per_project: list[tuple[str, ProjectStand, int, int, float]]  # organisatie, project, voorz., deeln., uren
    per_fase: dict[str, dict[str, float]]  # organisatie -> fase (or FASE_ONBEKEND) -> uren

    @property
    def totaal(self) -> float:
        return sum(sum(f.values()) for f in self.per_fase.values())


def bereken_capaciteit(projecten: Iterable[ProjectStand]) -> Capaciteit:
    groepen: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    by_key: dict[str, ProjectStand] = {}
    for p in projecten:
        if not p.vraagt_inzet:
            continue  # same rule as the quarterly e-mail, so both show the same totals
        by_key[p.sleutel] = p
        for lid in p.projectteam:
            groepen[(organisatie(lid), p.sleutel)].append(lid)
    per_project = []
    per_fase: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (org, sleutel), leden in groepen.items():
        p = by_key[sleutel]
        uren = sum(uren_per_week(lid) for lid in leden)
        voorz = sum(1 for lid in leden if is_voorzitter(lid))
        per_project.append((org, p, voorz, len(leden) - voorz, uren))
        per_fase[org][p.fase if p.fase in FASEN else FASE_ONBEKEND] += uren
    per_project.sort(key=lambda r: (r[0].lower(), r[0], _volgorde(r[1])))
    return Capaciteit(per_project, {org: dict(f) for org, f in per_fase.items()})


def _capaciteit(blad: Blad, projecten: list[ProjectStand]) -> None:
    cap = bereken_capaciteit(projecten)
    norm = (f"Uren per week uit de teamlijsten; zonder opgave geldt de norm: voorzitter "
            f"{UREN_NORM['Voorzitter']:g} uur, deelnemer {UREN_NORM['Deelnemer']:g} uur per week. "
            "Gerealiseerde projecten tellen niet mee.")
    if not projecten:
        regel3 = norm + " " + GEEN_PROJECTEN
    else:
        regel3 = norm + f" Totaal: {_uren(cap.totaal)} uur per week."
    _titelblok(blad, regel3, "Links: per organisatie en fase. Rechts: per organisatie en project. " + SCORE_UITLEG)
    fase_rijen = []
    for org in sorted(cap.per_fase, key=lambda o: (o.lower(), o)):
        f = cap.per_fase[org]
        waarden = [f.get(fase, 0.0) for fase in FASEN] + [f.get(FASE_ONBEKEND, 0.0)]
        fase_rijen.append([org, *waarden, sum(waarden)])
    _tabel(blad, "tblCapaciteitFase", K_CAP_FASE, fase_rijen)
    start = len(K_CAP_FASE) + 2  # one empty column between the two tables
    blad.ws.column_dimensions[get_column_letter(start - 1)].width = 3
    project_rijen = [
        [org, p.projectnaam, TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.fase or FASE_ONBEKEND,
         p.stoplicht, p.stoplicht, voorz, deeln, uren]
        for org, p, voorz, deeln, uren in cap.per_project
    ]
    _tabel(blad, "tblCapaciteitProject", K_CAP_PROJECT, project_rijen, eerste_kolom=start)
    _opmaak(blad, bevries="B")


def _uren(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def _datakwaliteit(blad: Blad, projecten: list[ProjectStand]) -> None:
    o = blad.overzicht
    meldingen = list(o.datakwaliteit) + voorzitter_meldingen(o)
    volgorde = list(SOORTEN)
    meldingen.sort(key=lambda m: (
        volgorde.index(m.soort) if m.soort in volgorde else len(volgorde), (m.project or "").lower(), m.bron_naam,
    ))
    uitleg = ("Fiches om na te lopen: ongeldig, onleesbaar, dubbel, verouderd, verwijderd, "
              "of een projectteam zonder (één) voorzitter.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    if not meldingen:
        uitleg += " Geen meldingen."
    _titelblok(blad, uitleg, "Score (icoon): 1 = hoge urgentie, 2 = middel.")
    rijen = []
    for m in meldingen:
        label, urgentie = SOORTEN.get(m.soort, (m.soort, Stoplicht.RISICO))
        rijen.append([label, Markering(URGENTIE[urgentie], urgentie), SCORE[urgentie], m.project,
                      Link(m.bron_naam, url=m.link), m.melding, m.sinds])
    _tabel(blad, "tblDatakwaliteit", K_DATAKWALITEIT, rijen)
    _opmaak(blad)


def _historie(blad: Blad, projecten: list[ProjectStand]) -> None:
    o = blad.overzicht
    historie: dict[str, dict[str, Stoplicht]] = {k: dict(v) for k, v in o.historie.items()}
    # Today's light is this quarter's entry, whether or not the store recorded it yet.
    for p in projecten:
        historie.setdefault(p.sleutel, {})[o.kwartaal] = p.stoplicht
    kwartalen = sorted({q for rij in historie.values() for q in rij} | {o.kwartaal}, key=_kwartaal_sleutel)
    by_key = {p.sleutel: p for p in projecten}
    huidige = [p.sleutel for p in projecten]
    vervallen = sorted(k for k in historie if k not in by_key)
    kolommen = ((Kolom("Projectnaam", 44, "lang"), Kolom("Type", 12))
                + tuple(Kolom(_kwartaal_kop(q), 21, "stoplicht") for q in kwartalen)
                + (Kolom("Trend", 13), Kolom(f"Score {_kwartaal_kop(o.kwartaal)}", 10, "score")))
    rijen = []
    for sleutel in huidige + vervallen:
        p = by_key.get(sleutel)
        rij = historie.get(sleutel, {})
        naam = p.projectnaam if p else f"{sleutel} (niet meer in het overzicht)"
        rijen.append([naam, TYPE_LABEL.get(p.fiche_type, p.fiche_type) if p else None]
                     + [rij.get(q) for q in kwartalen]
                     + [TREND_LABEL.get(p.trend, p.trend) if p else None, p.stoplicht if p else None])
    uitleg = f"Stoplicht per project per kwartaal; {kwartaal_label(o.peildatum)} is de stand van deze peildatum."
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    _titelblok(blad, uitleg, SCORE_UITLEG)
    _tabel(blad, "tblHistorie", kolommen, rijen)
    _opmaak(blad, bevries="B")


# --- The workbook -----------------------------------------------------------------------------

def bouw_master(overzicht: Overzicht) -> Workbook:
    """The master workbook for one snapshot, built from scratch."""
    projecten = sorted(overzicht.projecten, key=_volgorde)
    wb = Workbook()
    bladen = {}
    for i, naam in enumerate(BLADEN):
        ws = wb.active if i == 0 else wb.create_sheet()
        ws.title = naam
        bladen[naam] = Blad(overzicht, ws, naam)
    mijlpaal_rijen, mijlpaal_eerste = _mijlpalen_rijen(projecten)
    overzicht_rij = _overzicht(bladen[OVERZICHT], projecten, mijlpaal_eerste)
    _plus(bladen[PLUS], projecten, overzicht_rij)
    _mijlpalen(bladen[MIJLPALEN], projecten, mijlpaal_rijen, overzicht_rij)
    _knelpunten(bladen[KNELPUNTEN], projecten, overzicht_rij)
    _capaciteit(bladen[CAPACITEIT], projecten)
    _datakwaliteit(bladen[DATAKWALITEIT], projecten)
    _historie(bladen[HISTORIE], projecten)

    props = wb.properties
    props.creator = props.lastModifiedBy = "pMIEK Monitor"
    props.title = f"pMIEK monitoring {kwartaal_label(overzicht.peildatum)}"
    props.subject = "Masterwerkmap pMIEK monitoring"
    props.description = f"{_peilregel(overzicht)}. Gegenereerd door pMIEK Monitor; niet handmatig bewerken."
    props.keywords = "pMIEK; monitoring; Provincie Drenthe"
    props.language = "nl-NL"
    gegenereerd = overzicht.gegenereerd
    if gegenereerd.tzinfo is not None:
        gegenereerd = gegenereerd.astimezone(dt.timezone.utc).replace(tzinfo=None)
    props.created = gegenereerd.replace(microsecond=0)
    wb.active = 0
    return wb


def schrijf_master(overzicht: Overzicht, pad: Path) -> Path:
    """Writes the master atomically: a temp file in the same folder, then `os.replace`.

    A reader (or a crash) never sees a half-written master; when writing fails the previous
    master stays as it was and `MasterWriteError` says why, in Dutch for the user.
    """
    pad = Path(pad)
    wb = bouw_master(overzicht)
    # Serialised in memory first (a master is small): a failing disk then fails one plain write.
    buffer = io.BytesIO()
    wb.save(buffer)
    try:
        atomisch_schrijven(pad, buffer.getbuffer())
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


