"""Strict Open XML fiches: a Strict copy of every example fiche validates exactly like the original.

Excel's "Save as > Strict Open XML Spreadsheet (.xlsx)" writes the same parts as a transitional
workbook, with these differences (ECMA-376 Part 1, Strict conformance), which `strict_kopie` applies
to a transitional package, part by part, as Excel does when it saves Strict:
- every namespace of Part 1 moves from `http://schemas.openxmlformats.org/...` to
  `http://purl.oclc.org/ooxml/...` (`NAMESPACES` below: SpreadsheetML, the relationships namespace
  of `r:id` attributes, DrawingML, extended and custom properties, docPropsVTypes);
- so do the relationship types of Part 1 (`.../officeDocument/2006/relationships/worksheet` ->
  `http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet`; the extended-properties type
  is spelled `extendedProperties`). The packaging namespaces of Part 2 (OPC: [Content_Types].xml,
  the `Relationships` element, core properties) have no Strict variant and stay as they are;
- the workbook element says `conformance="strict"`;
- a date is stored as ISO 8601 text in a cell typed `t="d"` (`<v>2031-03-31T00:00:00</v>`), not as
  a serial number under a date format. Every number cell whose number format shows it as a date is
  rewritten that way (the time part in the spelling `iso` asks for: Excel writes "T00:00:00").
LibreOffice cannot write Strict reliably, so the copies are made here, from the real examples.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest

from fiche.reader import lees_fiche
from fiche.validatie import valideer

VOORBEELDEN = sorted((Path(__file__).resolve().parent.parent / "workbook_templates" / "examples").glob("*.xlsx"))
VANDAAG = dt.date(2026, 11, 15)

_OUD = "http://schemas.openxmlformats.org/"
_NIEUW = "http://purl.oclc.org/ooxml/"
#: Transitional -> Strict, longest first so a namespace never rewrites part of a longer one.
NAMESPACES = [
    (_OUD + "officeDocument/2006/relationships/extended-properties",
     _NIEUW + "officeDocument/relationships/extendedProperties"),
    (_OUD + "officeDocument/2006/relationships/custom-properties",
     _NIEUW + "officeDocument/relationships/customProperties"),
    (_OUD + "officeDocument/2006/relationships", _NIEUW + "officeDocument/relationships"),
    (_OUD + "officeDocument/2006/extended-properties", _NIEUW + "officeDocument/extendedProperties"),
    (_OUD + "officeDocument/2006/custom-properties", _NIEUW + "officeDocument/customProperties"),
    (_OUD + "officeDocument/2006/docPropsVTypes", _NIEUW + "officeDocument/docPropsVTypes"),
    (_OUD + "spreadsheetml/2006/main", _NIEUW + "spreadsheetml/main"),
    (_OUD + "drawingml/2006/spreadsheetDrawing", _NIEUW + "drawingml/spreadsheetDrawing"),
    (_OUD + "drawingml/2006/chart", _NIEUW + "drawingml/chart"),
    (_OUD + "drawingml/2006/main", _NIEUW + "drawingml/main"),
]
_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
#: Built-in number formats that are dates (ECMA-376 Part 1, 18.8.30).
_DATUM_FORMATEN = {14, 15, 16, 17, 22, 27, 30, 36, 50, 57}
_CEL = re.compile(rb'<c\b([^>]*?)(?<!/)>((?:(?!</c>).)*?)</c>', re.DOTALL)
_CONDITIE = re.compile(r"^\[<=(\d+)\]")


def _datum_stijlen(styles: bytes) -> dict[int, int | None]:
    """Style index -> the largest number still shown as a plain number (None: every number is a date),
    for the cell styles whose number format shows dates ("d-m-yyyy"; "[<=2100]0;d-m-yyyy")."""
    root = ET.fromstring(styles)
    codes = {int(n.get("numFmtId")): n.get("formatCode", "") for n in root.iter(f"{_MAIN}numFmt")}
    uit: dict[int, int | None] = {}
    xfs = root.find(f"{_MAIN}cellXfs")
    for i, xf in enumerate(xfs if xfs is not None else []):
        fmt = int(xf.get("numFmtId", "0"))
        code = codes.get(fmt)
        if code is None:
            if fmt in _DATUM_FORMATEN:
                uit[i] = None
            continue
        kaal = re.sub(r'"[^"]*"|\[[^\]]*\]', "", code.split(";")[-1]).lower()
        if re.search(r"[dy]", kaal):
            m = _CONDITIE.match(code)
            uit[i] = int(m[1]) if m else None
    return uit


def _iso(serial: float, tijd: str) -> str:
    moment = dt.datetime(1899, 12, 30) + dt.timedelta(days=serial)
    if tijd == "datum":
        return moment.date().isoformat()
    return moment.isoformat(timespec="seconds") + ("Z" if tijd == "Z" else "")


def _datums_als_iso(blad: bytes, stijlen: dict[int, int | None], tijd: str) -> bytes:
    def cel(m: re.Match[bytes]) -> bytes:
        attrs, inhoud = m[1].decode(), m[2].decode()
        s = re.search(r'\ss="(\d+)"', attrs)
        t = re.search(r'\st="([^"]*)"', attrs)
        v = re.search(r"<v>([^<]+)</v>", inhoud)
        if not s or int(s[1]) not in stijlen or (t and t[1] != "n") or not v:
            return m[0]
        try:
            getal = float(v[1])
        except ValueError:
            return m[0]
        grens = stijlen[int(s[1])]
        if grens is not None and getal <= grens:
            return m[0]  # shown as a plain number (a year), so no date
        attrs = re.sub(r'\st="n"', "", attrs) + ' t="d"'
        inhoud = inhoud.replace(v[0], f"<v>{_iso(getal, tijd)}</v>")
        return f"<c{attrs}>{inhoud}</c>".encode()
    return _CEL.sub(cel, blad)


def strict_kopie(transitioneel: bytes, tijd: str = "T00:00:00") -> bytes:
    """The package as Excel saves it as Strict Open XML (see the module docstring).
    `tijd`: how a date's ISO text is spelled: "T00:00:00", "Z" (with a zone) or "datum" (no time)."""
    uit = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(transitioneel)) as zin, zipfile.ZipFile(uit, "w", zipfile.ZIP_DEFLATED) as zout:
        stijlen = _datum_stijlen(zin.read("xl/styles.xml"))
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                data = _datums_als_iso(data, stijlen, tijd)
            if info.filename.endswith((".xml", ".rels")):
                tekst = data.decode("utf-8")
                for oud, nieuw in NAMESPACES:
                    tekst = tekst.replace(oud, nieuw)
                if info.filename == "xl/workbook.xml":
                    tekst = re.sub(r"<workbook\b", '<workbook conformance="strict"', tekst, count=1)
                data = tekst.encode("utf-8")
            zout.writestr(info.filename, data)
    return uit.getvalue()


def uitslag(inhoud: bytes, naam: str) -> dict:
    return dataclasses.asdict(valideer(lees_fiche(inhoud, naam), VANDAAG))


def test_the_copy_is_strict_throughout() -> None:
    kopie = strict_kopie(VOORBEELDEN[0].read_bytes())
    with zipfile.ZipFile(io.BytesIO(kopie)) as z:
        alles = b"".join(z.read(n) for n in z.namelist())
        workbook = z.read("xl/workbook.xml")
    assert b"schemas.openxmlformats.org/spreadsheetml" not in alles
    assert b"schemas.openxmlformats.org/officeDocument/2006/relationships" not in alles
    assert b'conformance="strict"' in workbook
    assert re.search(rb't="d"><v>20\d\d-\d\d-\d\dT00:00:00</v>', alles)


@pytest.mark.parametrize("voorbeeld", VOORBEELDEN, ids=lambda p: p.stem)
def test_strict_copy_of_every_example_validates_like_the_original(voorbeeld: Path) -> None:
    origineel = uitslag(voorbeeld.read_bytes(), voorbeeld.name)
    strict = uitslag(strict_kopie(voorbeeld.read_bytes()), voorbeeld.name)
    assert strict == origineel
    assert origineel["waarden"].get("projectnaam")


@pytest.mark.parametrize("tijd", ["Z", "datum"])
def test_every_iso_spelling_of_a_date_reads_as_that_date(tijd: str) -> None:
    voorbeeld = VOORBEELDEN[0]
    origineel = uitslag(voorbeeld.read_bytes(), voorbeeld.name)
    assert uitslag(strict_kopie(voorbeeld.read_bytes(), tijd), voorbeeld.name) == origineel
    assert any(isinstance(v, dt.date) for v in origineel["waarden"].values())


def _vullingen(pad: Path) -> dict[tuple[str, str], str | None]:
    """(sheet part, cell) -> the solid fill colour its style shows, in either namespace spelling."""
    def kinderen(el, naam: str) -> list:
        return [k for k in el if k.tag.rpartition("}")[2] == naam]

    with zipfile.ZipFile(pad) as z:
        stijlen = ET.fromstring(z.read("xl/styles.xml"))
        fills: list[str | None] = []
        for f in kinderen(kinderen(stijlen, "fills")[0], "fill"):
            fg = [c for p in kinderen(f, "patternFill") for c in kinderen(p, "fgColor")]
            fills.append(fg[0].get("rgb") if fg else None)
        xfs = [fills[int(x.get("fillId", "0"))] for x in kinderen(kinderen(stijlen, "cellXfs")[0], "xf")]
        uit = {}
        for naam in z.namelist():
            if naam.startswith("xl/worksheets/") and naam.endswith(".xml"):
                for c in ET.fromstring(z.read(naam)).iter():
                    if c.tag.rpartition("}")[2] == "c":
                        uit[(naam, c.get("r"))] = xfs[int(c.get("s", "0"))]
    return uit


def test_the_coloured_copy_of_a_strict_fiche_marks_the_same_cells(tmp_path: Path) -> None:
    from fiche.gekleurde_kopie import schrijf_gekleurde_kopie
    from fiche.kleurplan import FOUT_KLEUR
    from test_validatie import maak, velden_concreet

    origineel = maak(tmp_path / "fiche.xlsx", velden=velden_concreet(gemeente=None, ibn_prognose="binnenkort"))
    strict = tmp_path / "strict.xlsx"
    strict.write_bytes(strict_kopie(origineel.read_bytes()))
    kopieen = []
    for pad in (origineel, strict):
        data = lees_fiche(pad)
        b = valideer(data, VANDAAG)
        assert {x.code for x in b.bevindingen} >= {"verplicht"}
        kopieen.append(schrijf_gekleurde_kopie(pad, data, b, tmp_path / f"kleur-{pad.name}"))
    assert _vullingen(kopieen[1]) == _vullingen(kopieen[0])
    assert any(rgb and rgb.endswith(FOUT_KLEUR) for rgb in _vullingen(kopieen[0]).values())
    with zipfile.ZipFile(kopieen[1]) as z:
        assert b"schemas.openxmlformats.org/spreadsheetml" not in z.read("xl/styles.xml")
