"""The fiche reader: extraction by defined names and tables, and every refused input.

All inputs are real files: fiches from the template generator, bombs built with zipfile, an
encrypted workbook made by msoffcrypto-tool, a legacy .xls written by LibreOffice.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from fiche import schema as S
from fiche.errors import FileRefused, PmiekError
from fiche.reader import WerkboekBron, extraheer, lees_fiche, splits_verwijzing
from fiche.template import build_fiche_workbook
from fiche.validatie import valideer
from fiche.veilig import MAX_LEDEN, WEIGERCODES, Limieten
from test_validatie import VANDAAG, maak, tabellen_ok, velden_concreet

import formaten


@pytest.fixture
def fiche(tmp_path) -> Path:
    return maak(tmp_path / "fiche.xlsx")


def weigering(bron, **kwargs) -> FileRefused:
    with pytest.raises(FileRefused) as info:
        lees_fiche(bron, **kwargs)
    exc = info.value
    assert exc.reason in WEIGERCODES
    assert exc.melding and "Traceback" not in exc.melding
    return exc


def herpak(bron: Path, doel: Path, vervang: dict[str, bytes] | None = None,
           extra: list[tuple[str, bytes]] | None = None, weglaten: tuple[str, ...] = ()) -> Path:
    """A copy of a zip with parts replaced, added or left out (how a hostile file is made)."""
    vervang = vervang or {}
    with zipfile.ZipFile(bron) as zin, zipfile.ZipFile(doel, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in weglaten:
                continue
            zout.writestr(info.filename, vervang.get(info.filename, zin.read(info)))
        for naam, data in extra or []:
            zout.writestr(naam, data)
    return doel


# --- extraction ---------------------------------------------------------------------------------

def test_reads_fields_cells_and_stamp(fiche):
    data = lees_fiche(fiche)
    assert data.fiche_type == "concreet"
    assert data.template_versie == S.TEMPLATE_VERSION
    assert data.nabij_maanden == 3
    assert data.bron == str(fiche)
    assert data.velden["projectnaam"] == "Nieuwbouw station Emmen Noord 110/20 kV"
    assert data.velden["gemeente"] == "Emmen"
    assert data.velden["ibn_gerealiseerd"] is None
    # Every field of the schema was found by its defined name, on the Fiche sheet.
    assert set(data.cellen) == {f.key for f in S.CONCREET.fields}
    assert all(c.startswith("Fiche!") for c in data.cellen.values())
    assert data.stoplicht_cel and data.stoplicht_cel.startswith("Fiche!")


def test_cell_addresses_come_from_the_defined_names(fiche):
    wb = openpyxl.load_workbook(fiche)  # reading our own generated file to cross-check
    data = lees_fiche(fiche)
    for f in S.CONCREET.fields:
        sheet, ref = splits_verwijzing(wb.defined_names[f.name].attr_text)
        assert data.cellen[f.key] == f"{sheet}!{ref}"


def test_table_rows_keep_their_position_and_cells(tmp_path):
    team = [{"naam": "Anna", "organisatie": "Provincie", "rol": "Voorzitter", "email": "anna@drenthe.nl"},
            {}, {"naam": "Bert", "organisatie": "Enexis", "rol": "Deelnemer"}]
    data = lees_fiche(maak(tmp_path / "f.xlsx", tabellen=tabellen_ok(projectteam=team)))
    rijen = data.tabellen["projectteam"]
    assert [r.nummer for r in rijen] == [1, 3]  # the empty row is skipped, numbering is the table's
    assert rijen[1].waarden["naam"] == "Bert"
    assert rijen[1].cellen["naam"] == "Projectteam!A6"
    assert data.tabellen["knelpunten"] == []
    partijen = data.tabellen["betrokken_partijen"][0]
    assert partijen.cellen["partij"] == "'Betrokken partijen'!A4"


def test_quoted_sheet_references_round_trip():
    assert splits_verwijzing("'Fiche'!$B$6") == ("Fiche", "B6")
    assert splits_verwijzing("'Knelpunten en oplossingen'!$A$3:$D$13") == ("Knelpunten en oplossingen", "A3:D13")
    assert splits_verwijzing("'Jan''s blad'!B2") == ("Jan's blad", "B2")
    assert splits_verwijzing("Fiche!#REF!") is None
    assert splits_verwijzing("#REF!") is None


def test_columns_are_found_by_header_not_position(tmp_path):
    wb = build_fiche_workbook("concreet", velden_concreet(), tabellen_ok())
    ws = wb["Projectteam"]
    # Swap the Naam and Organisatie columns, headers and data, as a user dragging columns would.
    for row in ws.iter_rows(min_row=S_TABLE_HEADER, max_row=ws.max_row, min_col=1, max_col=2):
        a, b = row
        a.value, b.value = b.value, a.value
    pad = tmp_path / "f.xlsx"
    wb.save(pad)
    rij = lees_fiche(pad).tabellen["projectteam"][0]
    assert rij.waarden["naam"] == "Anna de Vries"
    assert rij.waarden["organisatie"] == "Provincie Drenthe"
    assert rij.cellen["naam"] == "Projectteam!B4"


S_TABLE_HEADER = 3


def test_table_reaching_the_last_row_reads_only_what_is_there(fiche, tmp_path):
    with zipfile.ZipFile(fiche) as zf:
        tabel = zf.read("xl/tables/table3.xml")
    assert b'displayName="tbl_projectteam"' in tabel
    import re as _re

    ref = _re.search(rb'ref="([A-Z]+\d+):([A-Z]+)\d+"', tabel)
    groot = tabel.replace(ref.group(0), b'ref="' + ref.group(1) + b":" + ref.group(2) + b'1048576"', 1)
    pad = herpak(fiche, tmp_path / "lang.xlsx", vervang={"xl/tables/table3.xml": groot})
    data = lees_fiche(pad)
    assert [r.waarden["naam"] for r in data.tabellen["projectteam"]] == ["Anna de Vries", "Bert Jansen"]
    from fiche.reader import CalamineBron
    from fiche.veilig import controleer_archief

    bron = CalamineBron(controleer_archief(pad.read_bytes()))
    blok = bron.waarden("Projectteam", "A3:XFD1048576")
    assert 3 <= len(blok) < 100 and max(len(r) for r in blok) < 100
    assert blok[1][0] == "Anna de Vries"


def test_bytes_input_and_name(fiche):
    data = lees_fiche(fiche.read_bytes(), naam="upload.xlsx")
    assert data.bron == "upload.xlsx"
    assert data.velden["gemeente"] == "Emmen"


def test_reading_never_writes_the_input(fiche):
    voor = fiche.read_bytes()
    os.utime(fiche, (1_000_000_000, 1_000_000_000))
    lees_fiche(fiche)
    assert fiche.read_bytes() == voor
    assert fiche.stat().st_mtime == 1_000_000_000


class OpenpyxlBron:
    """A second, independent `WerkboekBron` (openpyxl, read only) to prove `extraheer` is engine-neutral."""

    def __init__(self, pad: Path) -> None:
        self.wb = openpyxl.load_workbook(pad, data_only=True)

    def defined_names(self) -> dict[str, str]:
        return {n: d.attr_text for n, d in self.wb.defined_names.items()}

    def tabellen(self) -> dict[str, tuple[str, str]]:
        return {t.displayName: (ws.title, t.ref) for ws in self.wb.worksheets for t in ws.tables.values()}

    def waarden(self, sheet: str, ref: str) -> list[list[Any]]:
        c1, r1, c2, r2 = range_boundaries(ref if ":" in ref else f"{ref}:{ref}")
        return [list(r) for r in self.wb[sheet].iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2,
                                                              values_only=True)]


def test_extraheer_gives_the_same_verdict_over_another_engine(tmp_path):
    team = tabellen_ok()["projectteam"] + [{"naam": "C", "organisatie": "D", "rol": "Voorzitter", "email": "x@@y"}]
    pad = maak(tmp_path / "f.xlsx", velden=velden_concreet(ibn_bovengrens="2033", ibn_prognose="Q3 2032"),
               tabellen=tabellen_ok(projectteam=team))
    bron: WerkboekBron = OpenpyxlBron(pad)
    via_openpyxl = valideer(extraheer(bron, "f.xlsx"), vandaag=VANDAAG)
    via_calamine = valideer(lees_fiche(pad), vandaag=VANDAAG)
    assert via_openpyxl.bevindingen == via_calamine.bevindingen
    assert {x.code for x in via_calamine.bevindingen} >= {"email_ongeldig", "voorzitter_aantal"}
    assert via_openpyxl.waarden == via_calamine.waarden
    assert via_openpyxl.stoplicht is via_calamine.stoplicht


# --- refused inputs -----------------------------------------------------------------------------

def test_empty_file(tmp_path):
    (tmp_path / "leeg.xlsx").write_bytes(b"")
    exc = weigering(tmp_path / "leeg.xlsx")
    assert exc.reason == "leeg" and "leeg" in exc.melding


def test_missing_file(tmp_path):
    exc = weigering(tmp_path / "bestaat-niet.xlsx")
    assert exc.reason == "niet_gevonden" and "bestaat niet" in exc.melding
    assert weigering(tmp_path).reason == "niet_gevonden"  # a directory


def test_not_a_zip(tmp_path):
    pad = tmp_path / "fiche.xlsx"
    pad.write_text("projectnaam;gemeente\nStation;Emmen\n", encoding="utf-8")
    exc = weigering(pad)
    assert exc.reason == "geen_zip" and ".xlsx" in exc.melding


def test_truncated_file(fiche, tmp_path):
    inhoud = fiche.read_bytes()
    for lengte in (len(inhoud) // 2, len(inhoud) - 30, 10):
        exc = weigering(inhoud[:lengte])
        assert exc.reason == "beschadigd", lengte
        assert "onvolledig" in exc.melding


#: Format -> (its bytes, reason code, what the message must name). The file is always called
#: "fiche.xlsx": the format is recognised from the bytes, not the name.
VREEMDE_FORMATEN = {
    "xls": (formaten.xls, "xls", "Excel 97-2003"),
    "doc": (formaten.doc, "xls", "Word 97-2003"),
    "ods": (formaten.ods, "geen_werkboek", "OpenDocument-rekenblad (.ods)"),
    "odt": (formaten.odt, "geen_werkboek", "OpenDocument-bestand"),
    "xlsb": (formaten.xlsb, "geen_werkboek", "binaire Excel-werkmap (.xlsb)"),
    "docx": (formaten.docx, "geen_werkboek", "Word-document (.docx)"),
    "csv": (formaten.csv, "geen_zip", "(CSV)"),
    "csv-komma": (lambda: b"naam,gemeente\nStation,Emmen\n", "geen_zip", "(CSV)"),
    "tekst": (lambda: "Zie de mail van Anne-Marie.\n".encode("utf-16"), "geen_zip", "tekstbestand"),
    "html": (formaten.html, "geen_zip", "webpagina (HTML)"),
    "xml2003": (formaten.xml2003, "geen_zip", "Excel 2003"),
    "pdf": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "geen_zip", "PDF-bestand"),
}


@pytest.mark.parametrize("formaat", VREEMDE_FORMATEN)
def test_a_foreign_format_is_named_from_its_bytes(tmp_path, formaat):
    maker, reden, naam = VREEMDE_FORMATEN[formaat]
    pad = tmp_path / "fiche.xlsx"
    pad.write_bytes(maker())
    exc = weigering(pad)
    assert exc.reason == reden
    assert naam in exc.melding and "(.xlsx)" in exc.melding
    assert "zip-bestand" not in exc.melding and "zip-bom" not in exc.melding


def test_unrecognised_bytes_keep_the_plain_message(tmp_path):
    assert "Dit is geen Excel-werkmap (.xlsx)" in weigering(b"\x00\x01\x02 binair" * 40).melding
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("foto.jpg", b"\xff\xd8\xff")
    assert "Dit zip-bestand is geen Excel-werkmap" in weigering(buf.getvalue()).melding


@pytest.mark.libreoffice
def test_opendocument_spreadsheet_from_libreoffice(fiche, tmp_path, libreoffice):
    ods = libreoffice.convert(fiche, "ods", tmp_path / "ods")
    exc = weigering(ods)
    assert exc.reason == "geen_werkboek" and "OpenDocument-rekenblad (.ods)" in exc.melding


def test_macro_enabled_fiche_is_read(fiche, tmp_path):
    pad = tmp_path / "fiche.xlsm"
    pad.write_bytes(formaten.xlsm(fiche.read_bytes()))
    assert lees_fiche(pad).velden == lees_fiche(fiche).velden


def _lid_data(inhoud: bytes, lid: str) -> tuple[zipfile.ZipInfo, int]:
    with zipfile.ZipFile(io.BytesIO(inhoud)) as zf:
        info = zf.getinfo(lid)
    return info, info.header_offset + 30 + len(info.filename) + len(info.extra)


def test_damaged_data_is_beschadigd_not_a_zip_bomb(fiche):
    # Flipping a byte of deflate data often makes the stream run a little past the member's
    # declared size before it breaks: that is damage, not a bomb.
    inhoud = fiche.read_bytes()
    gevonden = 0
    for lid in ("xl/_rels/workbook.xml.rels", "xl/worksheets/sheet2.xml", "xl/workbook.xml", "_rels/.rels"):
        info, begin = _lid_data(inhoud, lid)
        for i in range(0, info.compress_size, max(1, info.compress_size // 40)):
            kapot = bytearray(inhoud)
            kapot[begin + i] ^= 0x55
            d = zlib.decompressobj(-15)
            try:
                if len(d.decompress(bytes(kapot[begin:begin + info.compress_size]), info.file_size + 1)) \
                        <= info.file_size:
                    continue
            except zlib.error:
                continue
            gevonden += 1
            exc = weigering(bytes(kapot))
            assert exc.reason == "beschadigd" and "beschadigd" in exc.melding, (lid, i)
    assert gevonden >= 3  # the case this test is about did occur


def test_wrong_crc_is_beschadigd(fiche):
    inhoud = bytearray(fiche.read_bytes())
    info, _ = _lid_data(bytes(inhoud), "xl/workbook.xml")
    # The CRC in the local header and in the central directory, both: the data no longer matches it.
    fout = struct.pack("<I", info.CRC ^ 0xFFFF)
    inhoud[info.header_offset + 14:info.header_offset + 18] = fout
    pos = inhoud.find(b"PK\x01\x02")
    while pos != -1:
        if inhoud[pos + 46:pos + 46 + len(info.filename)] == info.filename.encode():
            inhoud[pos + 16:pos + 20] = fout
        pos = inhoud.find(b"PK\x01\x02", pos + 4)
    exc = weigering(bytes(inhoud))
    assert exc.reason == "beschadigd" and "CRC" in str(exc)


def test_corrupt_member_data(fiche, tmp_path):
    inhoud = bytearray(fiche.read_bytes())
    with zipfile.ZipFile(fiche) as zf:
        info = zf.getinfo("xl/workbook.xml")
    # Flip bytes inside the compressed data of one member (after its local header).
    start = info.header_offset + 30 + len(info.filename) + 20
    inhoud[start:start + 8] = b"\xff" * 8
    assert weigering(bytes(inhoud)).reason == "beschadigd"


def test_password_encrypted_workbook(fiche, tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    uit = io.BytesIO()
    with fiche.open("rb") as f:
        OOXMLFile(f).encrypt("geheim-wachtwoord", uit)
    pad = tmp_path / "versleuteld.xlsx"
    pad.write_bytes(uit.getvalue())
    exc = weigering(pad)
    assert exc.reason == "versleuteld"
    assert "wachtwoord" in exc.melding


@pytest.mark.libreoffice
def test_legacy_xls(fiche, tmp_path, libreoffice):
    xls = libreoffice.convert(fiche, "xls", tmp_path / "xls")
    assert xls.suffix == ".xls" and xls.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"
    exc = weigering(xls)
    assert exc.reason == "xls" and ".xlsx" in exc.melding and "Excel 97-2003" in exc.melding


def test_too_many_members(fiche, tmp_path):
    pad = herpak(fiche, tmp_path / "bom.xlsx", extra=[(f"xl/media/x{i}.bin", b"") for i in range(MAX_LEDEN)])
    exc = weigering(pad)
    assert exc.reason == "zip_bom" and "veiligheid" in exc.melding


def test_high_compression_ratio(fiche, tmp_path):
    # 20 MB of zeros packs into about 20 KB: no spreadsheet a person made looks like that.
    pad = herpak(fiche, tmp_path / "bom.xlsx", extra=[("xl/media/nul.bin", bytes(20 * 1024 * 1024))])
    assert pad.stat().st_size < 200_000
    assert weigering(pad).reason == "zip_bom"


def test_high_ratio_of_one_member(fiche, tmp_path):
    limieten = Limieten(max_ratio_totaal=10**9, max_ratio_lid=100)
    pad = herpak(fiche, tmp_path / "bom.xlsx", extra=[("xl/media/nul.bin", bytes(4 * 1024 * 1024))])
    assert weigering(pad, limieten=limieten).reason == "zip_bom"
    # The same caps pass the plain fiche: the refusal is about that member.
    assert lees_fiche(fiche, limieten=limieten).fiche_type == "concreet"


def test_total_uncompressed_size(fiche, tmp_path):
    pad = herpak(fiche, tmp_path / "groot.xlsx", extra=[("xl/media/ruis.bin", os.urandom(3 * 1024 * 1024))])
    exc = weigering(pad, limieten=Limieten(max_uitgepakt=2 * 1024 * 1024))
    assert exc.reason == "zip_bom"
    assert lees_fiche(pad).fiche_type == "concreet"  # incompressible, under the default caps: fine


def _liegende_grootte(pad: Path, lid: str, grootte: int) -> bytes:
    """The zip with `lid`'s declared uncompressed size replaced (local header and central directory)."""
    inhoud = bytearray(pad.read_bytes())
    with zipfile.ZipFile(pad) as zf:
        info = zf.getinfo(lid)
    struct.pack_into("<I", inhoud, info.header_offset + 22, grootte)
    naam = lid.encode()
    pos = inhoud.rfind(b"PK\x01\x02", 0)
    while pos != -1:
        if inhoud[pos + 46:pos + 46 + len(naam)] == naam:
            struct.pack_into("<I", inhoud, pos + 24, grootte)
            break
        pos = inhoud.rfind(b"PK\x01\x02", 0, pos)
    return bytes(inhoud)


def test_member_lying_about_its_size_in_a_large_archive(fiche, tmp_path):
    # Beyond the size where deflate's worst case could pass the cap, every member is inflated up to
    # one byte past its declared size, and the lie is seen without inflating the rest.
    bom = herpak(fiche, tmp_path / "bom.xlsx", extra=[("xl/media/nul.bin", bytes(8 * 1024 * 1024))])
    leugen = _liegende_grootte(bom, "xl/media/nul.bin", 100)
    klein = Limieten(max_uitgepakt=20 * 1024 * 1024)
    assert len(leugen) * 1040 > klein.max_uitgepakt
    exc = weigering(leugen, limieten=klein)
    assert exc.reason == "zip_bom"
    assert "nul.bin" in str(exc)


def test_sheet_lying_about_its_size_in_a_small_archive(fiche, tmp_path):
    # A small archive cannot inflate past the cap whatever it claims; a sheet the reader opens
    # that inflates past its declared size is stopped before the engine reads it.
    with zipfile.ZipFile(fiche) as zf:
        echt = zf.read("xl/worksheets/sheet2.xml")
    groter = echt.replace(b"<sheetData>", b"<sheetData>" + b" " * 5_000_000, 1)
    bom = herpak(fiche, tmp_path / "bom.xlsx", vervang={"xl/worksheets/sheet2.xml": groter})
    leugen = _liegende_grootte(bom, "xl/worksheets/sheet2.xml", len(echt))
    assert len(leugen) * 1040 < Limieten().max_uitgepakt
    exc = weigering(leugen)
    assert exc.reason == "zip_bom"
    assert "inflates beyond its declared" in str(exc)
    # With a cap below deflate's worst case the same file is refused before the engine.
    assert weigering(leugen, limieten=Limieten(max_uitgepakt=len(leugen) * 500)).reason == "zip_bom"


BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + b"".join(b' <!ENTITY lol%d "%s">\n' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
               for i in range(1, 10))
    + b"]>\n"
)


def test_entity_bomb_in_workbook_xml(fiche, tmp_path):
    with zipfile.ZipFile(fiche) as zf:
        wbxml = zf.read("xl/workbook.xml")
    body = wbxml.split(b"?>", 1)[1] if wbxml.startswith(b"<?xml") else wbxml
    bom = BILLION_LAUGHS + body.replace(b"<bookViews>", b"<bookViews>&lol9;", 1)
    pad = herpak(fiche, tmp_path / "bom.xlsx", vervang={"xl/workbook.xml": bom})
    exc = weigering(pad)
    assert exc.reason == "xml_bom"
    assert "XML" in exc.melding


def test_entity_bomb_in_a_sheet(fiche, tmp_path):
    with zipfile.ZipFile(fiche) as zf:
        sheet = zf.read("xl/worksheets/sheet2.xml")
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    pad = herpak(fiche, tmp_path / "bom.xlsx", vervang={"xl/worksheets/sheet2.xml": BILLION_LAUGHS + body})
    assert weigering(pad).reason == "xml_bom"


@pytest.mark.subprocess
@pytest.mark.parametrize("soort", ["verre_cel", "hoge_cel", "gedeelde_teksten"])
def test_a_small_file_asking_for_a_huge_grid_is_refused_not_fatal(fiche, tmp_path, soort):
    # 50 KB files that made the reading engine abort the whole process (a Rust allocation
    # failure Python cannot catch): run in a child process, so a regression fails this test
    # instead of killing the test run.
    with zipfile.ZipFile(fiche) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
        types = zf.read("[Content_Types].xml")
    extra = []
    if soort == "gedeelde_teksten":
        # A shared-string table declaring four billion entries (it holds one), wired in properly.
        extra = [("xl/sharedStrings.xml", b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.'
                  b'openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000">'
                  b"<si><t>x</t></si></sst>")]
        vervang = {
            "xl/_rels/workbook.xml.rels": rels.replace(b"</Relationships>", (
                b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
                b'sharedStrings" Target="sharedStrings.xml" Id="rIdSst"/></Relationships>')),
            "[Content_Types].xml": types.replace(b"</Types>", (
                b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>')),
        }
    else:
        cel = {"verre_cel": b'<c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c>',
               "hoge_cel": b'<c r="AZ1048576" t="inlineStr"><is><t>x</t></is></c>'}[soort]
        vervang = {"xl/worksheets/sheet1.xml": sheet.replace(
            b"</sheetData>", b'<row r="1048576">' + cel + b"</row></sheetData>")}
    pad = herpak(fiche, tmp_path / f"{soort}.xlsx", vervang=vervang, extra=extra)
    r = subprocess.run([sys.executable, "-m", "pmiek.cli", "validate", "--json", str(pad)],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 2, r.stderr[-1000:]
    assert "veiligheidsredenen" in r.stdout and "Traceback" not in r.stderr
    assert weigering(pad).reason == "zip_bom"  # in this process only once the child survived


def test_dtd_behind_a_long_comment_is_still_found(fiche, tmp_path):
    with zipfile.ZipFile(fiche) as zf:
        wbxml = zf.read("xl/workbook.xml")
    body = wbxml.split(b"?>", 1)[1] if wbxml.startswith(b"<?xml") else wbxml
    bom = (b'<?xml version="1.0"?>\n<!--' + b"x" * 300_000 + b"-->\n" + BILLION_LAUGHS.split(b"?>", 1)[1]
           + body.replace(b"<bookViews>", b"<bookViews>&lol9;", 1))
    pad = herpak(fiche, tmp_path / "bom.xlsx", vervang={"xl/workbook.xml": bom})
    assert weigering(pad).reason == "xml_bom"


def test_dtd_in_a_utf16_part_is_found(fiche, tmp_path):
    with zipfile.ZipFile(fiche) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels")
    body = rels.split(b"?>", 1)[1] if rels.startswith(b"<?xml") else rels
    tekst = ('<?xml version="1.0" encoding="UTF-16"?>\n' + BILLION_LAUGHS.split(b"?>", 1)[1].decode()
             + body.decode())
    pad = herpak(fiche, tmp_path / "bom.xlsx", vervang={"xl/_rels/workbook.xml.rels": tekst.encode("utf-16")})
    assert weigering(pad).reason == "xml_bom"


def test_external_entity_is_refused(fiche, tmp_path):
    xxe = b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
    with zipfile.ZipFile(fiche) as zf:
        sst = zf.read("xl/worksheets/sheet1.xml")
    body = sst.split(b"?>", 1)[1] if sst.startswith(b"<?xml") else sst
    pad = herpak(fiche, tmp_path / "xxe.xlsx", vervang={"xl/worksheets/sheet1.xml": xxe + body})
    assert weigering(pad).reason == "xml_bom"


def test_foreign_workbook_without_our_names(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Begroting 2027"
    wb.defined_names["totaal"] = openpyxl.workbook.defined_name.DefinedName("totaal", attr_text="'Sheet'!$A$1")
    wb.save(tmp_path / "begroting.xlsx")
    exc = weigering(tmp_path / "begroting.xlsx")
    assert exc.reason == "geen_fiche"
    assert "pMIEK-fiche" in exc.melding


def test_zip_that_is_no_workbook(tmp_path):
    pad = tmp_path / "archief.xlsx"
    with zipfile.ZipFile(pad, "w") as zf:
        zf.writestr("readme.txt", "geen werkboek")
    assert weigering(pad).reason == "geen_werkboek"


def test_workbook_the_engine_cannot_read(fiche, tmp_path):
    pad = herpak(fiche, tmp_path / "kapot.xlsx", vervang={"xl/worksheets/sheet1.xml": b"<worksheet><sheetData><row"})
    assert weigering(pad).reason == "onleesbaar"


def test_file_over_the_size_cap(fiche):
    exc = weigering(fiche, limieten=Limieten(max_bestand=1000))
    assert exc.reason == "te_groot" and "te groot" in exc.melding


def test_defusedxml_is_required(fiche, monkeypatch):
    monkeypatch.setitem(sys.modules, "defusedxml", None)  # as if not installed: importing it fails
    with pytest.raises(PmiekError) as info:
        lees_fiche(fiche)
    assert "defusedxml" in info.value.melding
    assert not isinstance(info.value, FileRefused)


def test_openpyxl_must_use_defusedxml_where_it_opens_a_users_workbook(fiche, monkeypatch):
    from addin.payload import payload_uit_bestand

    monkeypatch.setattr(openpyxl, "DEFUSEDXML", False)
    with pytest.raises(PmiekError) as info:
        payload_uit_bestand(fiche)
    assert "openpyxl gebruikt defusedxml niet" in info.value.melding
    assert lees_fiche(fiche).velden  # the fiche reader does not use openpyxl at all


@pytest.mark.subprocess
def test_reading_a_fiche_does_not_import_openpyxl(fiche):
    """A reader process starts faster without it (`sync.leesploeg` does not preload it)."""
    code = ("import sys; from fiche.reader import lees_fiche; from fiche.validatie import valideer; "
            f"valideer(lees_fiche({str(fiche)!r})); print('openpyxl' in sys.modules)")
    uit = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert uit.stdout.strip() == "False"


def test_every_refusal_code_is_documented():
    assert set(WEIGERCODES) == {"niet_gevonden", "leeg", "te_groot", "xls", "versleuteld", "geen_zip", "beschadigd",
                                "zip_bom", "xml_bom", "geen_werkboek", "onleesbaar", "geen_fiche"}
