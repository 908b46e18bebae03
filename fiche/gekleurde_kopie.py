"""The coloured copy of a fiche (`pmiek validate --colour`): a NEW file with the fills of one
validation run, the user's own file left as it is.

Which cell gets which fill is `fiche.kleurplan`'s decision, the same one the add-in writes into
the open workbook: input cells their plain fill (marks of an earlier run go), cells with findings
marked, stoplicht cells in their light. Every part of the xlsx is copied byte for byte except the
style sheet and the sheets with a cell whose fill changes, which are edited as XML (lxml keeps
every namespace prefix Excel relies on). openpyxl never re-saves the input, so shapes, images,
add-in parts and VBA survive.

Not for the add-in: this module needs lxml, which xlwings Lite (Pyodide) does not have.
"""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path

from lxml import etree

from fiche import ooxml
from fiche.bestanden import atomisch_schrijven
from fiche.celadres import kolom_letters, kolom_nummer
from fiche.errors import InputError
from fiche.kleurplan import Kleur, maak_kleurplan
from fiche.model import Beoordeling, FicheData
from fiche.veilig import controleer_archief

log = logging.getLogger("pmiek.fiche.gekleurde_kopie")

_CEL = re.compile(r"^([A-Z]{1,3})(\d+)$")
_TABEL = re.compile(r"^([A-Z]{1,3})(\d+):([A-Z]{1,3})(\d+)$")
#: The fill of a format that is neither none nor one solid colour (a pattern, a gradient).
_ANDERS = object()


def _xml(data: bytes):
    # The archive passed fiche.veilig (no DTD anywhere); still never resolve entities or fetch.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ooxml.OngeldigeXml(str(exc)) from None


def _tostring(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _ns(root) -> str:
    """SpreadsheetML's main namespace as the part spells it (transitional or Strict, see
    `fiche.ooxml`), in ElementTree's "{...}" form: new elements go in the same namespace."""
    tag = str(root.tag)
    return next((ns for ns in ooxml.MAIN_NAMESPACES if tag.startswith(ns)), ooxml.MAIN_NS)


class _Stijlen:
    """Adds solid fills to the style sheet: one new cell format per (original format, colour)."""

    def __init__(self, data: bytes) -> None:
        self.root = _xml(data)
        self.ns = _ns(self.root)
        self.fills = self.root.find(f"{self.ns}fills")
        self.xfs = self.root.find(f"{self.ns}cellXfs")
        if self.fills is None or self.xfs is None or not len(self.xfs):
            raise ValueError("styles.xml without fills or cellXfs")
        self._fill: dict[str, int] = {}
        self._xf: dict[tuple[int, Kleur], int] = {}
        self.gewijzigd = False

    def _vulling(self, xf) -> object:
        """The fill a cell format shows: None (no fill), "RRGGBB" (one solid colour) or _ANDERS."""
        fills = list(self.fills)
        fill_id = int(xf.get("fillId", "0"))
        if fill_id >= len(fills):
            return _ANDERS
        pf = fills[fill_id].find(f"{self.ns}patternFill")
        if pf is None:
            return _ANDERS
        soort = pf.get("patternType", "none")
        if soort == "none":
            return None
        fg = pf.find(f"{self.ns}fgColor")
        rgb = fg.get("rgb") if fg is not None else None
        return rgb[-6:].upper() if soort == "solid" and rgb else _ANDERS

    def fill(self, rgb: Kleur) -> int:
        if rgb is None:
            return 0  # fill 0 of every style sheet is "none"
        if rgb not in self._fill:
            f = etree.SubElement(self.fills, f"{self.ns}fill")
            pf = etree.SubElement(f, f"{self.ns}patternFill", patternType="solid")
            etree.SubElement(pf, f"{self.ns}fgColor", rgb="FF" + rgb)
            etree.SubElement(pf, f"{self.ns}bgColor", indexed="64")
            self._fill[rgb] = len(self.fills) - 1
            self.fills.set("count", str(len(self.fills)))
        return self._fill[rgb]

    def xf(self, oorspronkelijk: int, rgb: Kleur) -> int:
        """The cell format to use instead of `oorspronkelijk` for fill `rgb` (itself when it
        already shows that fill)."""
        sleutel = (oorspronkelijk, rgb)
        if sleutel not in self._xf:
            bestaand = list(self.xfs)
            index = oorspronkelijk if oorspronkelijk < len(bestaand) else 0
            basis = bestaand[index]
            if self._vulling(basis) == (rgb.upper() if rgb else None):
                self._xf[sleutel] = index
            else:
                nieuw = copy.deepcopy(basis)
                nieuw.set("fillId", str(self.fill(rgb)))
                nieuw.set("applyFill", "1")
                self.xfs.append(nieuw)
                self.xfs.set("count", str(len(self.xfs)))
                self._xf[sleutel] = len(self.xfs) - 1
                self.gewijzigd = True
        return self._xf[sleutel]


def _vul_verwijzingen_aan(sheet_data) -> None:
    """Rows and cells may leave out their `r` (they then follow the previous one); written out,
    so a coloured cell lands in the existing row instead of a second row with the same number."""
    ns = _ns(sheet_data)
    vorige_rij = 0
    for rij in sheet_data.findall(f"{ns}row"):
        r = rij.get("r")
        nummer = int(r) if r and r.isdigit() else vorige_rij + 1
        rij.set("r", str(nummer))
        vorige_rij = nummer
        vorige_kolom = 0
        for c in rij.findall(f"{ns}c"):
            cm = _CEL.match(c.get("r", ""))
            kolom = kolom_nummer(cm[1]) if cm else vorige_kolom + 1
            if cm is None:
                c.set("r", f"{kolom_letters(kolom)}{nummer}")
            vorige_kolom = kolom


def _kleur_blad(data: bytes, cellen: dict[tuple[int, int], Kleur], stijlen: _Stijlen) -> bytes | None:
    """The sheet XML with `cellen` ((row, col) -> fill) applied; None when no cell changes."""
    root = _xml(data)
    ns = _ns(root)
    sheet_data = root.find(f"{ns}sheetData")
    if sheet_data is None:
        sheet_data = etree.SubElement(root, f"{ns}sheetData")
    _vul_verwijzingen_aan(sheet_data)
    rijen = {int(r.get("r")): r for r in sheet_data.findall(f"{ns}row")}
    gewijzigd = False
    for (rijnr, kolom), rgb in sorted(cellen.items()):
        rij = rijen.get(rijnr)
        cel = None
        na = None
        for c in (rij.findall(f"{ns}c") if rij is not None else ()):
            cm = _CEL.match(c.get("r", ""))
            if cm is None:
                continue
            k = kolom_nummer(cm[1])
            if k == kolom:
                cel = c
                break
            if k > kolom and na is None:
                na = c
        oud = int(cel.get("s", "0")) if cel is not None else 0
        nieuw = stijlen.xf(oud, rgb)
        if nieuw == oud:
            continue  # a cell that already shows this fill, or a missing cell that needs none
        if rij is None:
            rij = etree.Element(f"{ns}row", r=str(rijnr))
            volgende = next((r for n, r in sorted(rijen.items()) if n > rijnr), None)
            if volgende is not None:
                volgende.addprevious(rij)
            else:
                sheet_data.append(rij)
            rijen[rijnr] = rij
        if cel is None:
            cel = etree.Element(f"{ns}c", r=f"{kolom_letters(kolom)}{rijnr}")
            if na is not None:
                na.addprevious(cel)
            else:
                rij.append(cel)
        cel.set("s", str(nieuw))
        gewijzigd = True
    return _tostring(root) if gewijzigd else None


def _body(ref: str) -> str | None:
    """The data rows of a table's range: "A3:I23" -> "A4:I23" (the first row is the header)."""
    m = _TABEL.match(ref.replace("$", "").upper())
    if not m or int(m[4]) <= int(m[2]):
        return None
    return f"{m[1]}{int(m[2]) + 1}:{m[3]}{m[4]}"


def schrijf_gekleurde_kopie(invoer: Path, data: FicheData, b: Beoordeling, doel: Path) -> Path:
    """A new file `doel`: the fiche `invoer` with the fills of verdict `b` on `data`.

    Raises `InputError` when `doel` is the input, `ValueError` when the workbook's structure cannot
    take the fills (no style sheet, no fills in it), `OSError` when `doel` cannot be written.
    """
    invoer, doel = Path(invoer), Path(doel)
    if doel.resolve() == invoer.resolve():
        raise InputError(f"refusing to overwrite input {invoer}", f"{doel}: de invoer wordt nooit overschreven.")
    # Checked again: the copy is made from the bytes on disk now, not from what was validated.
    archief = controleer_archief(invoer.read_bytes(), str(invoer))
    wb = ooxml.lees_xml(archief.delen.get(ooxml.WORKBOOK, b""))
    bladen = ooxml.blad_delen(archief.delen, wb)
    bodies = {naam: (sheet, body) for naam, (sheet, ref) in ooxml.tabellen(archief.delen, wb).items()
              if (body := _body(ref)) is not None}
    plan = maak_kleurplan(data, b, bladen, bodies, ooxml.defined_names(wb))

    stijlen_deel = ooxml.relatie_van_type(archief.delen, ooxml.WORKBOOK, "styles")
    te_lezen = [stijlen_deel] if stijlen_deel else []
    te_lezen += [bladen[sheet] for sheet in plan.cellen]
    delen = ooxml.delen_lezen(archief.inhoud, te_lezen)
    if stijlen_deel not in delen:
        raise ValueError("workbook without a style sheet")
    stijlen = _Stijlen(delen[stijlen_deel])
    nieuw: dict[str, bytes] = {}
    for sheet, cellen in plan.cellen.items():
        deel = bladen[sheet]
        if deel not in delen:
            log.info("colour copy: part %s of sheet %r not found in %s", deel, sheet, invoer)
            continue
        blad = _kleur_blad(delen[deel], cellen, stijlen)
        if blad is not None:
            nieuw[deel] = blad
    if stijlen.gewijzigd:
        nieuw[stijlen_deel] = _tostring(stijlen.root)
    atomisch_schrijven(doel, ooxml.herschrijf(archief.inhoud, nieuw, vast=False))
    log.info("coloured copy written file=%r cells=%d", str(doel), sum(len(c) for c in plan.cellen.values()))
    return doel
