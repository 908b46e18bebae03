"""The OOXML package helper (`fiche.ooxml`) on real packages: a generated fiche and small zips."""

from __future__ import annotations

import io
import zipfile

import pytest

from fiche import ooxml
from fiche.template import write_fiche


def _zip(delen: dict[str, bytes], datum=(2024, 1, 2, 3, 4, 6)) -> bytes:
    uit = io.BytesIO()
    with zipfile.ZipFile(uit, "w", zipfile.ZIP_DEFLATED) as z:
        for naam, data in delen.items():
            info = zipfile.ZipInfo(naam, date_time=datum)
            info.compress_type = zipfile.ZIP_STORED if naam.endswith(".png") else zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    return uit.getvalue()


@pytest.mark.parametrize(("map_", "target", "pad"), [
    ("xl", "worksheets/sheet1.xml", "xl/worksheets/sheet1.xml"),
    ("xl/worksheets", "../tables/table1.xml", "xl/tables/table1.xml"),
    ("xl", "/xl/styles.xml", "xl/styles.xml"),
    ("", "xl/workbook.xml", "xl/workbook.xml"),
    ("xl", "./a/../b.xml", "xl/b.xml"),
])
def test_relative_targets_resolve_against_the_part_folder(map_, target, pad):
    assert ooxml.doelpad(map_, target) == pad


def test_rels_path_of_a_part():
    assert ooxml.rels_pad("xl/workbook.xml") == "xl/_rels/workbook.xml.rels"
    assert ooxml.rels_pad("/xl/worksheets/sheet1.xml") == "xl/worksheets/_rels/sheet1.xml.rels"
    assert ooxml.rels_pad("[Content_Types].xml") == "_rels/[Content_Types].xml.rels"


def test_strict_and_transitional_relationship_types_both_match():
    rels = (b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            b'<Relationship Id="r1" Type="http://purl.oclc.org/ooxml/officeDocument/relationships/styles" '
            b'Target="styles.xml"/>'
            b'<Relationship Id="r2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            b'hyperlink" Target="https://example.org/" TargetMode="External"/></Relationships>')
    delen = {"xl/_rels/workbook.xml.rels": rels}
    assert ooxml.relatie_van_type(delen, "xl/workbook.xml", "styles") == "xl/styles.xml"
    assert ooxml.relaties(delen, "xl/workbook.xml") == {
        "r1": ("http://purl.oclc.org/ooxml/officeDocument/relationships/styles", "xl/styles.xml")}
    assert ooxml.is_type("http://schemas.openxmlformats.org/officeDocument/2006/relationships/table", "table")


def test_sheets_tables_and_names_of_a_generated_fiche(tmp_path):
    pad = write_fiche(tmp_path / "f.xlsx", "concreet")
    with zipfile.ZipFile(pad) as z:
        delen = {n: z.read(n) for n in z.namelist() if n.endswith((".rels", ".xml"))}
    bladen = ooxml.blad_delen(delen)
    assert all(deel in delen for deel in bladen.values()) and "Fiche" in bladen
    tabellen = ooxml.tabellen(delen)
    assert tabellen and all(sheet in bladen for sheet, _ in tabellen.values())
    namen = ooxml.defined_names(ooxml.lees_xml(delen[ooxml.WORKBOOK]))
    assert any(n.startswith("pmiek_") for n in namen)
    assert ooxml.relatie_van_type(delen, ooxml.WORKBOOK, "styles") == "xl/styles.xml"


def test_rewrite_is_deterministic_with_the_one_fixed_timestamp():
    bron = _zip({"a.xml": b"<a/>", "b.png": b"\x89PNG" + bytes(50), "c.xml": b"<c/>"})
    later = _zip({"a.xml": b"<a/>", "b.png": b"\x89PNG" + bytes(50), "c.xml": b"<c/>"}, datum=(2026, 7, 8, 9, 10, 12))
    een = ooxml.herschrijf(bron, {"a.xml": lambda d: d.replace(b"a", b"x")}, {"b.png": b"nieuw", "d.xml": b"<d/>"})
    assert een == ooxml.herschrijf(later, {"a.xml": lambda d: d.replace(b"a", b"x")}, {"b.png": b"nieuw", "d.xml": b"<d/>"})
    with zipfile.ZipFile(io.BytesIO(een)) as z:
        assert z.namelist() == ["a.xml", "c.xml", "b.png", "d.xml"]
        assert z.read("a.xml") == b"<x/>" and z.read("b.png") == b"nieuw"
        assert {i.date_time for i in z.infolist()} == {ooxml.ZIP_TIJD}
        assert {i.external_attr >> 16 for i in z.infolist()} == {ooxml.ZIP_MODUS}


def test_rewrite_of_a_users_file_keeps_each_members_entry():
    bron = _zip({"a.xml": b"<a/>", "b.png": b"\x89PNG" + bytes(50)})
    uit = ooxml.herschrijf(bron, {"a.xml": b"<x/>"}, vast=False)
    with zipfile.ZipFile(io.BytesIO(bron)) as a, zipfile.ZipFile(io.BytesIO(uit)) as b:
        assert [(i.filename, i.date_time, i.compress_type) for i in a.infolist()] == \
            [(i.filename, i.date_time, i.compress_type) for i in b.infolist()]
        assert b.read("a.xml") == b"<x/>" and b.read("b.png") == a.read("b.png")
    with pytest.raises(KeyError):
        ooxml.herschrijf(bron, {"ontbreekt.xml": b""})


def test_package_bookkeeping_is_edited_once():
    ct = b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"></Types>'
    een = ooxml.voeg_override_toe(ct, "xl/x.xml", "application/x+xml")
    assert een.count(b'PartName="/xl/x.xml"') == 1
    assert ooxml.voeg_override_toe(een, "/xl/x.xml", "application/x+xml") == een
    rels = b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
    twee = ooxml.voeg_relatie_toe(rels, "rId9", "urn:soort", "x.xml")
    assert b'Id="rId9" Type="urn:soort" Target="x.xml"' in twee
    assert ooxml.voeg_relatie_toe(twee, "rId10", "urn:soort", "y.xml") == twee
    with pytest.raises(ooxml.OngeldigeXml):
        ooxml.lees_xml(b"<niet")
