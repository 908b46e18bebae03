"""Fuzz test of the reader: fiches with mutated sheet XML never take the process down.

Every case is an example fiche with its "Fiche" sheet (always read) rewritten: references in every
form the spreadsheet engine accepts (lowercase, leading zeros, values that wrap its 32-bit
arithmetic) and some it does not (`$`), cells and rows without `r`, huge rows and columns, dimension
and merge tags, shared strings out of range or declared by the billion, deep nesting, namespace
prefixes, malformed XML, plus a fixed set of random mutations (seeded, so every run builds the same
files). All cases go through one `pmiek validate --json` child (a crash there would fail the test;
the cases are then run one by one to name the culprit), and for each the test asserts: an answer
in the JSON, exit code 0, 1 or 2, no traceback, a Dutch message when refused, peak memory of the
child under 250 MB, and all of it in bounded time.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parent.parent
VOORBEELD = ROOT / "workbook_templates" / "examples" / "01-deelnet-emmen-noord.xlsx"
BLAD = "xl/worksheets/sheet1.xml"  # the "Fiche" sheet
MAX_RSS_MB = 250
MAX_SECONDEN = 60  # for the whole batch
#: A Dutch message: at least one of these words.
NEDERLANDS = re.compile(r"\b(het|de|een|is|wordt|niet|bestand|werkblad|werkboek|fiche)\b", re.IGNORECASE)

V = b't="inlineStr"><is><t>x</t></is></c>'
MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _letters(kol: int) -> str:
    uit = ""
    while kol:
        kol, rest = divmod(kol - 1, 26)
        uit = chr(65 + rest) + uit
    return uit


def _met_rij(sheet: bytes, extra: bytes) -> bytes:
    return sheet.replace(b"</sheetData>", extra + b"</sheetData>", 1)


def _cel(ref: str, rij: str | None = None) -> bytes:
    rij_attr = f' r="{rij}"'.encode() if rij else b""
    return b"<row" + rij_attr + b'><c r="' + ref.encode() + b'" ' + V + b"</row>"


def gevallen(sheet: bytes) -> dict[str, tuple[dict[str, bytes], str | None]]:
    """Case name -> (parts to replace or add, expected outcome: "geweigerd", "gelezen" or None for
    either). Built from the original "Fiche" sheet `sheet`."""
    uit: dict[str, tuple[dict[str, bytes], str | None]] = {}

    def blad(naam: str, xml: bytes, verwacht: str | None = None) -> None:
        uit[naam] = ({BLAD: xml}, verwacht)

    # References in every form, far away: each must be refused, none may abort.
    for rij, kol in [(1_048_576, 16_384), (1_048_576, 52), (200_000, 1), (5_000, 1_000)]:
        letters = _letters(kol)
        vormen = {
            "hoofdletters": f"{letters}{rij}",
            "kleine_letters": f"{letters.lower()}{rij}",
            "gemengd": f"{letters[0].lower()}{letters[1:]}{rij}",
            "voorloopnullen": f"{letters}{rij:012d}",
            "kleine_letters_nullen": f"{letters.lower()}000{rij}",
            "omloop_32bit": f"{letters}{rij + 2**32}",
        }
        for vorm, ref in vormen.items():
            blad(f"ref_{vorm}_{rij}x{kol}", _met_rij(sheet, _cel(ref, str(rij))), "geweigerd")
        blad(f"ref_absoluut_{rij}x{kol}", _met_rij(sheet, _cel(f"${letters}${rij}", str(rij))))
    # Forms the engine reads as small positions: read normally (or refused), never fatal.
    blad("ref_omloop_naar_rij_1", _met_rij(sheet, _cel(f"A{2**32 + 1}")))
    blad("ref_kolom_omloop", _met_rij(sheet, _cel("AAAAAAB3")), "geweigerd")
    blad("ref_kolom_omloop_plus_een", _met_rij(sheet, b'<row r="41"><c r="FXSHRXX41"/><c ' + V + b"</row>"))
    blad("ref_rij_nul", _met_rij(sheet, _cel("A0")))
    blad("ref_leeg", _met_rij(sheet, _cel("")))
    blad("ref_alleen_cijfers", _met_rij(sheet, _cel("12")))
    blad("ref_entiteit", _met_rij(sheet, b'<row><c r="&#88;FD1048576" ' + V + b"</row>"))
    # Cells and rows without `r`.
    blad("zonder_r_honderd_cellen_onderaan", _met_rij(sheet, b'<row r="1048576">' + b"<c " + V * 100 + b"</row>"),
         "geweigerd")
    blad("zonder_r_twintigduizend_kolommen", _met_rij(sheet, b'<row r="1000">' + b"<c/>" * 20_000 + b"<c " + V
                                                     + b"</row>"), "geweigerd")
    blad("zonder_r_rijen", _met_rij(sheet, b"<row/>" * 200_000 + b"<row><c " + V + b"</row>"), "geweigerd")
    blad("zonder_r_rijen_weinig", _met_rij(sheet, b"<row/>" * 50 + b"<row><c " + V + b"</row>"), "gelezen")
    blad("zonder_r_na_verre_cel", _met_rij(sheet, b'<row r="41"><c r="XFD41"/><c ' + V + b"</row>"))
    blad("cel_buiten_rij", sheet.replace(b"</sheetData>", b'<c r="XFD1048576" ' + V + b"</sheetData>"), "geweigerd")
    # Empty cells far away cost the engine nothing: the fiche is read.
    blad("lege_verre_cel", _met_rij(sheet, b'<row r="1048576"><c r="XFD1048576" s="1"/></row>'), "gelezen")
    blad("lege_verre_cel_kleine_letters", _met_rij(sheet, b'<row r="1048576"><c r="xfd1048576"/></row>'), "gelezen")
    # Namespace prefixes: the engine goes by local names.
    blad("voorvoegsel", _met_rij(sheet, b'<x:row xmlns:x="' + MAIN + b'" r="1048576"><x:c r="XFD1048576" t="n">'
                                 b"<x:v>1</x:v></x:c></x:row>"), "geweigerd")
    # Dimension and merge tags (ignored by the engine) and a second sheetData (never read).
    for naam, dim in [("groot", b"A1:XFD1048576"), ("omgekeerd", b"XFD1048576:A1"), ("omloop", b"A1:AAAAAAB4294967297"),
                      ("onzin", b"!!"), ("kleine_letters", b"a1:xfd1048576")]:
        blad(f"dimensie_{naam}", re.sub(rb"<dimension [^>]*/>", b'<dimension ref="' + dim + b'"/>', sheet))
    blad("samengevoegd_groot", sheet.replace(b"</sheetData>", b'</sheetData><mergeCells count="1"><mergeCell '
                                             b'ref="A1:XFD1048576"/></mergeCells>', 1))
    blad("tweede_sheetdata", sheet.replace(b"</sheetData>", b'</sheetData><sheetData><row r="1048576">'
                                           b'<c r="XFD1048576" ' + V + b"</row></sheetData>", 1), "gelezen")
    # Nesting.
    blad("diep_genest_buiten_cellen", _met_rij(sheet, b"<x>" * 20_000 + b"</x>" * 20_000))
    blad("diep_genest_in_cel", _met_rij(sheet, b'<row r="41"><c r="A41" t="inlineStr"><is>' + b"<r>" * 20_000
                                        + b"<t>x</t>" + b"</r>" * 20_000 + b"</is></c></row>"))
    blad("cel_in_cel", _met_rij(sheet, b'<row r="41"><c r="A41" t="inlineStr"><is><c xmlns:y="urn:y"><y:is/></c>'
                                b'<c r="XFD1048576" t="n"><v>1</v></c></is></c></row>'), "geweigerd")
    blad("rij_in_cel", _met_rij(sheet, b'<row r="41"><c r="A41"><row r="1048576"/><v>1</v></c></row>'))
    # Broken XML.
    blad("afgebroken", sheet[: len(sheet) // 2], "geweigerd")
    # (the engine does not check end tags: read or refused, both fine)
    blad("verkeerde_eindtag", _met_rij(sheet, b'<row r="41"><c r="A41" ' + V + b"</rij>"))
    blad("geen_sheetdata", re.sub(rb"<sheetData>.*</sheetData>", b"", sheet, flags=re.S))
    blad("leeg_blad", b'<worksheet xmlns="' + MAIN + b'"><sheetData/></worksheet>')
    # Shared strings: an index out of range, and tables declaring a billion entries in each form.
    blad("gedeelde_tekst_buiten_bereik", _met_rij(sheet, b'<row r="41"><c r="A41" t="s"><v>999999</v></c></row>'))
    for naam, kop in [("gewoon", b'uniqueCount="4000000000"'), ("enkele_quotes", b"uniqueCount='4000000000'"),
                      ("spaties", b'uniqueCount = "4000000000"'),
                      ("voorloopnullen", b'uniqueCount="0000000000000000000000004000000000"'),
                      ("klein", b'count="2" uniqueCount="2"')]:
        sst = b'<sst xmlns="' + MAIN + b'" ' + kop + b"><si><t>x</t></si><si><t>y</t></si></sst>"
        uit[f"gedeelde_teksten_{naam}"] = ({"xl/sharedStrings.xml": sst}, "gelezen" if naam == "klein" else "geweigerd")
    sst = b'<x:sst xmlns:x="' + MAIN + b'" uniqueCount="4000000000"><x:si><x:t>x</x:t></x:si></x:sst>'
    uit["gedeelde_teksten_voorvoegsel"] = ({"xl/sharedStrings.xml": sst}, "geweigerd")
    sst = b'<sst xmlns="' + MAIN + b'" uniqueCount="4000000000"><si><t>x</t></si></sst>'
    uit["gedeelde_teksten_deel_in_hoofdletters"] = ({"xl/SharedStrings.XML": sst}, "geweigerd")  # the engine opens it
    # The engine finds its sheet its own way: a part name in another case, the first of two sheets
    # of one name, a relationship id under another prefix.
    with zipfile.ZipFile(VOORBEELD) as zf:
        rels = zf.read("xl/_rels/workbook.xml.rels")
        wb = zf.read("xl/workbook.xml")
    ver = _met_rij(sheet, _cel("XFD1048576", "1048576"))
    uit["deel_in_hoofdletters"] = ({"xl/_rels/workbook.xml.rels": rels.replace(b"/xl/worksheets/sheet1.xml",
                                                                                 b"worksheets/SHEET1.xml"),
                                    BLAD: ver}, "geweigerd")
    uit["twee_bladen_met_een_naam"] = ({"xl/workbook.xml": wb.replace(b'name="Lijsten"', b'name="Fiche"'), BLAD: ver},
                                       "geweigerd")
    uit["relatie_onder_ander_voorvoegsel"] = ({"xl/workbook.xml": wb.replace(b"xmlns:r=", b"xmlns:q=").replace(
        b" r:id=", b" q:id="), BLAD: ver}, None)
    # Large sheets: 12 MB of cells without r (the streaming scan), 26 MB of padding.
    ruis = random.Random(7)
    cel = b'<c t="inlineStr"><is><t>%s</t></is></c>'
    rijen = b"".join(b"<row>" + b"".join(cel % ruis.randbytes(20).hex().encode() for _ in range(5)) + b"</row>"
                     for _ in range(30_000))
    blad("groot_blad_zonder_r", _met_rij(sheet, rijen))  # incompressible, so no zip-bomb cap stops it first
    blad("te_groot_blad", sheet.replace(b"<sheetData>", b"<sheetData>" + b" " * (26 * 1024 * 1024), 1), "geweigerd")
    uit["tweede_werkboekdeel_in_hoofdletters"] = ({
        "XL/WORKBOOK.XML": wb.replace(b'name="Lijsten"', b'name="Fiche"').replace(b'name="Fiche" sheetId="1"',
                                                                                  b'name="Voorblad" sheetId="1"'),
        BLAD: ver}, None)
    # The largest grid the limits allow (1000 rows x 2000 columns): read, within the memory bound.
    blad("grens_van_het_rooster", _met_rij(sheet, _cel("BXX1000", "1000")), "gelezen")
    # Random mutations, the same every run.
    rnd = random.Random(13)
    for i in range(40):
        stukken = []
        for _ in range(rnd.randint(1, 6)):
            rij = rnd.choice(["", f' r="{rnd.randint(1, 1_100_000)}"', f' r="{rnd.randint(0, 9)}"', ' r="x"'])
            cellen = []
            for _ in range(rnd.randint(0, 5)):
                kol = _letters(rnd.choice([1, 2, 26, 27, 700, 16_384, 20_000]))
                ref = rnd.choice([kol, kol.lower(), "0" + kol, ""]) + rnd.choice(
                    ["", "1", str(rnd.randint(1, 1_048_576)), "000" + str(rnd.randint(1, 99)), str(2**32 + 5)])
                attr = rnd.choice([f' r="{ref}"', "", f' r="{ref}" s="1"'])
                cellen.append("<c" + attr + rnd.choice([">" + "<v>1</v></c>", "/>", " " + V.decode()]))
            stukken.append(f"<row{rij}>" + "".join(cellen) + "</row>")
        blad(f"willekeurig_{i:02d}", _met_rij(sheet, "".join(stukken).encode()))
    return uit


def _schrijf(doel: Path, delen: dict[str, bytes]) -> None:
    with zipfile.ZipFile(VOORBEELD) as zin:
        leden = [(i.filename, zin.read(i)) for i in zin.infolist()]
    namen = {n for n, _ in leden}
    sst = next((n for n in delen if n.lower() == "xl/sharedstrings.xml"), None)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zout:
        for naam, data in leden:
            if naam == "xl/_rels/workbook.xml.rels" and sst:
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdSst" Type="http://schemas.openxmlformats.'
                                    b'org/officeDocument/2006/relationships/sharedStrings" Target="'
                                    + sst[3:].encode() + b'"/></Relationships>')
            if naam == "[Content_Types].xml" and sst:
                data = data.replace(b"</Types>", b'<Override PartName="/' + sst.encode() + b'" ContentType="'
                                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
                                    b'"/></Types>')
            zout.writestr(naam, delen.get(naam, data))
        for naam, data in delen.items():
            if naam not in namen:
                zout.writestr(naam, data)
    doel.write_bytes(buf.getvalue())


#: Starts the real child and writes its own peak RSS (kB) to argv[1]. The peak a process reports
#: includes what it had before exec, and a child forked from a pytest worker starts with the
#: worker's pages; started from this small launcher, it reports only its own.
_STARTER = """
import os, subprocess, sys
p = subprocess.Popen(sys.argv[2:])
_, status, gebruik = os.wait4(p.pid, 0)
open(sys.argv[1], "w").write(str(gebruik.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def _valideer(paden: list[Path], timeout: float, *opties: str) -> tuple[int, str, str, float, float]:
    """`pmiek validate --json` over `paden` in one child: (exit code, stdout, stderr, seconds,
    the child's peak RSS in MB, from its own rusage)."""
    uit = paden[0].parent / f"uit-{os.getpid()}-{time.monotonic_ns()}"
    with open(f"{uit}.out", "w+b") as so, open(f"{uit}.err", "w+b") as se:
        begin = time.monotonic()
        p = subprocess.Popen([sys.executable, "-c", _STARTER, f"{uit}.rss",
                              sys.executable, "-m", "pmiek.cli", *opties, "validate", "--json", *map(str, paden)],
                             stdout=so, stderr=se, cwd=ROOT, start_new_session=True)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
            pytest.fail(f"pmiek validate did not answer within {timeout} s for {[x.name for x in paden]}")
        duur = time.monotonic() - begin
        so.seek(0)
        se.seek(0)
        rss_kb = int(Path(f"{uit}.rss").read_text())
        return p.returncode, so.read().decode(), se.read().decode(errors="replace"), duur, rss_kb / 1024


@pytest.mark.subprocess
def test_mutated_sheets_never_take_the_reader_down(tmp_path):
    with zipfile.ZipFile(VOORBEELD) as zf:
        sheet = zf.read(BLAD)
    cases = gevallen(sheet)
    paden = {}
    for naam, (delen, _) in cases.items():
        paden[naam] = tmp_path / f"{naam}.xlsx"
        _schrijf(paden[naam], delen)

    rc, stdout, stderr, duur, rss = _valideer(list(paden.values()), MAX_SECONDEN * 2)
    if rc not in (0, 1, 2) or not stdout.strip():
        # The batch died: find the case that did it, so the failure names it.
        for naam, pad in paden.items():
            rc1, _, stderr1, _, _ = _valideer([pad], 60)
            assert rc1 in (0, 1, 2), f"{naam}: exit {rc1}\n{stderr1[-2000:]}"
        pytest.fail(f"batch exit {rc}\n{stderr[-2000:]}")
    assert "Traceback" not in stderr and "panicked" not in stderr, stderr[-3000:]
    assert rss < MAX_RSS_MB, f"peak RSS {rss:.0f} MB"
    assert duur < MAX_SECONDEN, f"{len(paden)} cases took {duur:.1f} s"

    per_pad = {r["path"]: r for r in json.loads(stdout)["files"]}
    assert len(per_pad) == len(paden)
    fout = []
    for naam, (_, verwacht) in cases.items():
        r = per_pad[str(paden[naam])]
        geweigerd = r["fiche_type"] is None
        if geweigerd:
            melding = r["findings"][0]["message"]
            if not melding or not NEDERLANDS.search(melding) or "Traceback" in melding:
                fout.append(f"{naam}: refused without a Dutch message: {melding!r}")
        if verwacht == "geweigerd" and not geweigerd:
            fout.append(f"{naam}: read, but should have been refused")
        if verwacht == "gelezen" and geweigerd:
            fout.append(f"{naam}: refused ({r['findings'][0]['code']}: {r['findings'][0]['message']})")
    assert not fout, "\n".join(fout)
    print(f"{len(paden)} cases in {duur:.1f} s, peak RSS {rss:.0f} MB")


@pytest.mark.subprocess
def test_a_refused_sheet_is_named_in_the_message(tmp_path):
    with zipfile.ZipFile(VOORBEELD) as zf:
        sheet = zf.read(BLAD)
    pad = tmp_path / "kleine_letters.xlsx"
    _schrijf(pad, {BLAD: _met_rij(sheet, _cel("xfd1048576", "1048576"))})
    rc, stdout, stderr, _, rss = _valideer([pad], 60, "-v")
    assert rc == 2, stderr[-2000:]
    melding = json.loads(stdout)["files"][0]["findings"][0]
    assert melding["code"] == "zip_bom"
    assert "'Fiche'" in melding["message"] and "veiligheidsredenen" in melding["message"]
    assert "grid too large" in stderr  # the English log line
    assert rss < MAX_RSS_MB


#: Run in a child (a wrong prediction could make the engine abort): random small sheets, each cell
#: position as the scan predicts it against the grid python-calamine builds.
_VERGELIJK = r'''
import io, json, random, sys, zipfile
import python_calamine
from fiche import rooster, veilig

bron = zipfile.ZipFile(sys.argv[1])
leden = [(i.filename, bron.read(i)) for i in bron.infolist()]
rnd = random.Random(int(sys.argv[2]))
V = 't="inlineStr"><is><t>x</t></is></c>'

def ref():
    letters = "".join(rnd.choice("ABCZabcz") for _ in range(rnd.randint(0, 2)))
    cijfers = rnd.choice(["", "0", "00"]) + str(rnd.choice([rnd.randint(0, 40), 2**32 + rnd.randint(1, 30)]))
    return rnd.choice([letters + cijfers] * 12 + ["$" + letters + cijfers, cijfers + letters])

verschillen, vergeleken = [], 0
for _ in range(int(sys.argv[3])):
    rijen = []
    for _ in range(rnd.randint(1, 5)):
        rij = "<row" + (f' r="{ref()}"' if rnd.random() < .5 else "") + ">"
        for _ in range(rnd.randint(0, 5)):
            soort = rnd.random()
            rij += "<c" + (f' r="{ref()}"' if rnd.random() < .5 else "") + (
                " " + V if soort < .5 else "/>" if soort < .75 else "><v>1</v></c>")
        rijen.append(rij + "</row>" if rnd.random() < .9 else "<row/>")
    blad = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
            + "".join(rijen) + "</sheetData></worksheet>").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for naam, data in leden:
            z.writestr(naam, blad if naam == "xl/worksheets/sheet1.xml" else data)
    archief = veilig.controleer_archief(buf.getvalue(), "x")
    scan = rooster._Rooster()
    veilig._parse(archief.inhoud, archief.leden["xl/worksheets/sheet1.xml"], scan.start, scan.einde)
    voorspeld = [scan.max_rij + 1, scan.max_kol + 1] if scan.cellen else [0, 0]
    if voorspeld[0] * voorspeld[1] > 10_000:
        continue  # the reader refuses such a sheet; no need to let the engine try
    try:
        grid = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(buf.getvalue())).get_sheet_by_name(
            "Fiche").to_python(skip_empty_area=False)
    except python_calamine.CalamineError:
        continue  # the engine raises: no grid to compare
    vergeleken += 1
    echt = [len(grid), max((len(r) for r in grid), default=0)]
    if echt != voorspeld:
        verschillen.append([blad.decode(), echt, voorspeld])
print(json.dumps({"vergeleken": vergeleken, "verschillen": verschillen[:5]}))
'''


@pytest.mark.subprocess
def test_the_scan_places_cells_where_the_engine_does():
    r = subprocess.run([sys.executable, "-c", _VERGELIJK, str(VOORBEELD), "13", "600"], capture_output=True,
                       text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-2000:]
    uitkomst = json.loads(r.stdout)
    assert uitkomst["vergeleken"] > 100
    assert not uitkomst["verschillen"], uitkomst["verschillen"]


@pytest.mark.subprocess
def test_a_sync_folder_with_engine_killers_still_gets_its_master_every_run(tmp_path):
    """Files that made the engine abort the whole run (before the grid bound knew these forms)
    sit among ordinary fiches: the first run and every later one writes the master and names
    each of them under Datakwaliteit."""
    with zipfile.ZipFile(VOORBEELD) as zf:
        sheet = zf.read(BLAD)
    fiches = tmp_path / "fiches"
    fiches.mkdir()
    for pad in sorted(VOORBEELD.parent.glob("0[2-4]-*.xlsx")):
        (fiches / pad.name).write_bytes(pad.read_bytes())
    killers = {
        "kleine-letters.xlsx": _met_rij(sheet, _cel("xfd1048576", "1048576")),
        "voorloopnullen.xlsx": _met_rij(sheet, _cel("XFD0001048576", "1048576")),
        "zonder-r.xlsx": _met_rij(sheet, b'<row r="1048576">' + b"<c " + V * 100 + b"</row>"),
    }
    for naam, xml in killers.items():
        _schrijf(fiches / naam, {BLAD: xml})
    store, master = tmp_path / "pmiek.sqlite", tmp_path / "master.xlsx"
    args = [sys.executable, "-m", "pmiek.cli", "sync", "--source", str(fiches), "--store", str(store),
            "--master", str(master), "--no-progress"]
    for run in (1, 2):
        if run == 2:  # touched: listed and downloaded again, refused again without a crash
            for naam in killers:
                os.utime(fiches / naam, (time.time() + 60, time.time() + 60))
        r = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=ROOT)
        assert r.returncode == 0, r.stdout + r.stderr
        assert "Traceback" not in r.stderr and "panicked" not in r.stderr
        assert "6 fiches in de bron" in r.stdout, r.stdout
        wb = load_workbook(master, read_only=True)
        try:
            regels = [" ".join(str(c) for c in rij if c) for rij in wb["Datakwaliteit"].iter_rows(values_only=True)]
            projecten = [rij for rij in wb["Overzicht"].iter_rows(min_row=1, values_only=True) if any(rij)]
        finally:
            wb.close()
        for naam in killers:
            assert any(naam in regel for regel in regels), (naam, regels)
        assert sum(1 for rij in projecten if any("Aftakking waterstofbackbone" in str(c) for c in rij)) == 1
