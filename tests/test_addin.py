"""The add-in through the real xlwings API on its remote engine (the engine xlwings Lite runs).

Payloads are built from real fiche files the way the Office.js client sends them
(`addin.payload`); assertions are on the actions xlwings returns. The actions are then applied
to a copy of the file (our own copy, with openpyxl) to check state: a second run changes
nothing, and LibreOffice opens the result.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

# xlwings decides at import time which engines it has: the licence must be in the environment
# before the first import (the fixture below keeps it there for every test).
os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")

import openpyxl  # noqa: E402
import pytest  # noqa: E402
import xlwings as xw  # noqa: E402
from openpyxl.styles import Font, PatternFill  # noqa: E402

import addin
from addin import controle, kleuren
from addin.payload import payload_uit_bestand
from fiche import kleurplan as kp
from fiche import schema as S
from fiche.stoplicht import KLEUREN, Stoplicht
from fiche.reader import lees_fiche
from fiche.template import INVOER_FILL, write_fiche
from fiche.validatie import valideer

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "workbook_templates" / "examples"
VOORBEELDEN = sorted(EXAMPLES.glob("*.xlsx"))
PEILDATUM = tomllib.loads((EXAMPLES / "projecten.toml").read_text(encoding="utf-8"))["voorbeeld"]["peildatum"]


@pytest.fixture(autouse=True)
def _remote_licence(monkeypatch):
    # xlwings PRO's remote engine: PolyForm Noncommercial (government use is a permitted purpose).
    monkeypatch.setenv("XLWINGS_LICENSE_KEY", "noncommercial")
    assert "remote" in [e.name for e in xw.engines], "xlwings' remote engine did not load (licence key)"


def run(path: Path, vandaag: dt.date = PEILDATUM):
    book = xw.Book(json=payload_uit_bestand(path))
    resultaat = addin.validate(book, vandaag=vandaag)
    return book, resultaat, book.json()["actions"]


def hex_(kleur: str | None) -> str | None:
    return None if kleur is None else "#" + kleur.lower()


# --- applying the remote engine's actions to our own copy of the file ---------------------------

def apply_actions(path: Path, actions: list[dict], out: Path) -> Path:
    """Replay xlwings' actions with openpyxl on a copy; unknown actions fail the test."""
    wb = openpyxl.load_workbook(path)

    def cells(a):
        ws = wb.worksheets[a["sheet_position"]]
        for i in range(a["row_count"]):
            for j in range(a["column_count"]):
                yield i, j, ws.cell(row=a["start_row"] + 1 + i, column=a["start_column"] + 1 + j)

    def fill(color):
        if color is None:
            return PatternFill(fill_type=None)
        return PatternFill("solid", start_color=color.lstrip("#").upper(), end_color=color.lstrip("#").upper())

    for a in actions:
        func = a["func"]
        if func == "addSheet":
            wb.create_sheet(a["args"][1], a["args"][0])
        elif func == "setColumnWidth":
            # The remote engine's widths are points; openpyxl's are characters (Calibri 11).
            ws = wb.worksheets[a["sheet_position"]]
            tekens = (a["args"][0] / controle.PUNTEN_PER_PIXEL - controle.PIXELS_MARGE) / controle.PIXELS_PER_TEKEN
            ws.column_dimensions[openpyxl.utils.get_column_letter(a["start_column"] + 1)].width = tekens
        elif func == "setFontProperty":
            eigenschap, waarde = a["args"]
            assert eigenschap in ("bold", "size"), eigenschap
            for _, _, c in cells(a):
                f = c.font
                c.font = Font(name=f.name, color=f.color, italic=f.italic,
                              size=waarde if eigenschap == "size" else f.size,
                              bold=waarde if eigenschap == "bold" else f.bold)
        elif func == "sheetClearContents":
            for row in wb.worksheets[a["sheet_position"]].iter_rows():
                for c in row:
                    c.value = None
        elif func == "setValues":
            for i, j, c in cells(a):
                v = a["values"][i][j]
                if v == "":
                    c.value = None
                elif isinstance(v, str) and v.startswith("'"):
                    c.value = v[1:]
                    c.data_type = "s"
                else:
                    c.value = v
        elif func == "setRangeColors":
            matrix = a["args"][0]
            for i, j, c in cells(a):
                if matrix[i][j] != "keep":
                    c.fill = fill(matrix[i][j])
        elif func == "setRangeColor":
            for _, _, c in cells(a):
                c.fill = fill(a["args"][0])
        elif func == "alert":
            pass  # a message box changes no cell
        else:
            raise AssertionError(f"unexpected action {func}")
    wb.save(out)
    return out


def state(path: Path) -> dict:
    """Every cell's value and fill, per sheet."""
    wb = openpyxl.load_workbook(path)
    uit = {}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                kleur = c.fill.fgColor.rgb if c.fill and c.fill.fill_type == "solid" else None
                if c.value is not None or kleur is not None:
                    uit[(ws.title, c.coordinate)] = (c.value, kleur)
    return uit


def kleur_van(actions: list[dict], sheet_pos: int, rij: int, kolom: int):
    """The colour the last colour action gives a cell (1-based row/col); ... when untouched."""
    gevonden = ...
    for a in actions:
        if a["func"] not in ("setRangeColors", "setRangeColor") or a["sheet_position"] != sheet_pos:
            continue
        i, j = rij - 1 - a["start_row"], kolom - 1 - a["start_column"]
        if 0 <= i < a["row_count"] and 0 <= j < a["column_count"]:
            v = a["args"][0][i][j] if a["func"] == "setRangeColors" else a["args"][0]
            if v != "keep":
                gevonden = v
    return gevonden


def controle_rijen(actions: list[dict]) -> list[list]:
    writes = [a for a in actions if a["func"] == "setValues"]
    assert len(writes) == 1, "the Controle sheet is one value write"
    return writes[0]["values"]


# --- a fiche with known faults --------------------------------------------------------------------

def foute_fiche(tmp_path: Path, naam: str = "fout.xlsx", projectnaam: str = "Testproject met fouten") -> Path:
    """A concrete fiche with known faults (wrong gemeente, a prognose that is no date, milestone
    errors), shared by the add-in tests here and the Pyodide test."""
    velden = {
        "projectnaam": projectnaam, "drager": "Elektriciteit", "gemeente": "Atlantis",
        "omschrijving": "x", "locatie": "x", "type_infrastructuur": "x", "bevoegd_gezag": "x",
        "pmiek_2_0": "Nee, nieuw project", "uitvoerende_organisatie": "Enexis", "netbeheerder": "Enexis",
        "fase_netbeheerder": "Projectfase", "fase_overheid": "Projectfase",
        "ibn_ondergrens": dt.date(2030, 1, 1), "ibn_bovengrens": dt.date(2031, 12, 31),
        "ibn_prognose": "ergens in 2032", "escalatie": "Geen", "peildatum": dt.date(2026, 11, 1),
    }
    tabellen = {
        "mijlpalen": [
            {"mijlpaal": "Voorkeursalternatief", "gepland": dt.date(2026, 3, 1), "gereed": dt.date(2026, 3, 1)},
            {"mijlpaal": "Investeringsbesluit", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2029, 6, 1)},
            {"mijlpaal": "Projectbesluit", "gepland": "geen idee"},
        ],
        "projectteam": [{"naam": "A. Voorbeeld", "organisatie": "Enexis", "rol": "Deelnemer"}],
    }
    return write_fiche(tmp_path / naam, "concreet", velden, tabellen)


# --- tests -------------------------------------------------------------------------------------------

def test_invoer_kleur_is_the_templates_input_fill():
    assert kp.INVOER_KLEUR == INVOER_FILL.fgColor.rgb[-6:]


def cli_oordelen_van(paths: list[Path]) -> dict[str, dict]:
    """`pmiek validate --json` over `paths` in one process, by file stem."""
    cli = subprocess.run(
        [sys.executable, "-m", "pmiek.cli", "validate", "--json", "--as-of", PEILDATUM.isoformat(),
         *map(str, paths)],
        capture_output=True, text=True, timeout=300, cwd=ROOT,
    )
    assert cli.returncode in (0, 1), cli.stderr
    oordelen = {Path(f["path"]).stem: f for f in json.loads(cli.stdout)["files"]}
    assert sorted(oordelen) == sorted(p.stem for p in paths)
    return oordelen


@pytest.fixture(scope="module")
def cli_oordelen() -> dict[str, dict]:
    # One CLI process for all examples, not one per example: the same verdicts, ten start-ups fewer.
    return cli_oordelen_van(VOORBEELDEN)


@pytest.mark.subprocess
@pytest.mark.parametrize("path", VOORBEELDEN, ids=[p.stem for p in VOORBEELDEN])
def test_example_same_verdict_as_cli(path, cli_oordelen):
    same_verdict_as_cli(path, cli_oordelen[path.stem])


def same_verdict_as_cli(path: Path, fiche: dict) -> None:
    _, resultaat, actions = run(path)
    b = resultaat.beoordeling
    assert b.stoplicht.label == fiche["status"]
    assert b.project == fiche["project"] and b.fiche_type == fiche["fiche_type"]
    assert [f.as_json() for f in b.bevindingen] == fiche["findings"]
    # The CLI's JSON has no milestone lights: compare those with the file reader in-process.
    file_verdict = valideer(lees_fiche(path), vandaag=PEILDATUM)
    assert [(m.nummer, m.stoplicht, m.cel) for m in b.mijlpalen] == [
        (m.nummer, m.stoplicht, m.cel) for m in file_verdict.mijlpalen]
    assert b.mijlpalen, "every example has milestones"
    # Controle lists exactly those findings.
    rijen = controle_rijen(actions)[controle.KOPRIJ:]
    assert sorted(r[2].lstrip("'") for r in rijen) == sorted(f["message"] for f in fiche["findings"])


@pytest.mark.subprocess
def test_other_names_in_the_workbook_are_none_of_the_add_ins_business(tmp_path):
    # A partner's own names: a whole column, a whole row, a formula and a far-away cell; and one
    # of ours made sheet-scoped (as a copied sheet does). Same verdict as the CLI, few reads.
    import re
    import zipfile
    bron = EXAMPLES / "01-deelnet-emmen-noord.xlsx"
    doel = tmp_path / "met-eigen-namen.xlsx"
    with zipfile.ZipFile(bron) as zin, zipfile.ZipFile(doel, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/workbook.xml":
                data = data.replace(b"<definedNames>", (
                    b'<definedNames><definedName name="MijnKolom">Fiche!$A:$A</definedName>'
                    b'<definedName name="MijnRij">Fiche!$1:$1</definedName>'
                    b'<definedName name="Som">SUM(Fiche!$B$1:$B$5)</definedName>'
                    b'<definedName name="Ver">Fiche!$Z$60000</definedName>'), 1)
                data, n = re.subn(rb'<definedName name="pmiek_toelichting"', b'<definedName localSheetId="0" '
                                  b'name="pmiek_toelichting"', data, count=1)
                assert n == 1
            zout.writestr(info, data)
    same_verdict_as_cli(doel, cli_oordelen_van([doel])[doel.stem])
    _, resultaat, _ = run(doel)
    assert resultaat.leesacties <= 1 + len(S.TABLES) + 1


def test_examples_present():
    assert len(VOORBEELDEN) == 11


def test_faults_marked_lights_coloured_controle_filled(tmp_path):
    path = foute_fiche(tmp_path)
    book, resultaat, actions = run(path, dt.date(2026, 11, 28))
    b = resultaat.beoordeling
    fouten = [f for f in b.bevindingen if f.ernst == "error"]
    codes = {f.code for f in fouten}
    assert {"keuze_ongeldig", "datum_ongeldig", "voorzitter_aantal"} <= codes

    wb = openpyxl.load_workbook(path)
    namen = {n: d.attr_text for n, d in wb.defined_names.items()}

    def pos(naam):
        sheet, ref = namen[naam].split("!")
        r, c = openpyxl.utils.cell.coordinate_to_tuple(ref.replace("$", ""))
        return wb.sheetnames.index(sheet.strip("'")), r, c

    # The gemeente (not in the list) and the prognose (no date) carry the error mark ...
    assert kleur_van(actions, *pos("pmiek_gemeente")) == hex_(kp.FOUT_KLEUR)
    assert kleur_van(actions, *pos("pmiek_ibn_prognose")) == hex_(kp.FOUT_KLEUR)
    # ... a correct field gets its plain input fill back, the project light its colour.
    assert kleur_van(actions, *pos("pmiek_drager")) == hex_(kp.INVOER_KLEUR)
    assert b.stoplicht is Stoplicht.ONBEKEND
    assert kleur_van(actions, *pos(S.NAAM_STOPLICHT)) == hex_(KLEUREN[Stoplicht.ONBEKEND])

    # Every milestone's stoplicht cell has the colour of its light.
    mijlpalen_pos = wb.sheetnames.index("Mijlpalen")
    assert [m.stoplicht for m in b.mijlpalen] == [Stoplicht.OP_PLANNING, Stoplicht.VERTRAAGD, Stoplicht.ONBEKEND]
    for m in b.mijlpalen:
        r, c = openpyxl.utils.cell.coordinate_to_tuple(m.cel.split("!")[1])
        assert kleur_van(actions, mijlpalen_pos, r, c) == hex_(m.stoplicht.kleur)
    # The milestone with text in 'gepland' is marked on that cell.
    fout_gepland = next(f for f in fouten if f.code == "datum_ongeldig" and f.veld == "mijlpalen.gepland")
    r, c = openpyxl.utils.cell.coordinate_to_tuple(fout_gepland.cel.split("!")[1])
    assert kleur_van(actions, mijlpalen_pos, r, c) == hex_(kp.FOUT_KLEUR)

    # At most one colour write per sheet (the remote engine's multi-colour write).
    per_sheet = {}
    for a in actions:
        if a["func"] in ("setRangeColors", "setRangeColor"):
            per_sheet[a["sheet_position"]] = per_sheet.get(a["sheet_position"], 0) + 1
    assert per_sheet and max(per_sheet.values()) == 1

    # Controle: one row per finding, errors first, with a working link to the cell.
    rijen = controle_rijen(actions)
    assert rijen[controle.KOPRIJ - 1] == list(controle.KOPPEN)
    body = rijen[controle.KOPRIJ:]
    assert len(body) == len(b.bevindingen)
    assert [r[0] for r in body] == sorted((r[0] for r in body), key=lambda e: e != "Fout")
    gemeente_rij = next(r for r in body if r[1] == "Gemeente")
    assert gemeente_rij[0] == "Fout" and "Atlantis" in gemeente_rij[2]
    assert gemeente_rij[3].startswith('=HYPERLINK("#\'Fiche\'!B')
    assert "Vul" in rijen[0][0] or rijen[0][0] == "Controle pMIEK-fiche"
    assert "fout(en)" in rijen[4][1]
    # Never book.fullname, never a traceback: no alert on a readable fiche.
    assert not [a for a in actions if a["func"] == "alert"]


def test_clean_fiche_empty_controle_no_marks():
    schoon = [p for p in VOORBEELDEN if not valideer(lees_fiche(p), vandaag=PEILDATUM).bevindingen]
    assert schoon, "at least one example fiche is meant to be without findings"
    _, resultaat, actions = run(schoon[0])
    assert resultaat.beoordeling.bevindingen == []
    rijen = controle_rijen(actions)
    assert rijen[controle.KOPRIJ - 1] == list(controle.KOPPEN)
    assert rijen[controle.KOPRIJ:] == []
    assert rijen[4][1].startswith("Geen bevindingen")
    marks = {hex_(kp.FOUT_KLEUR), hex_(kp.WAARSCHUWING_KLEUR)}
    for a in actions:
        if a["func"] == "setRangeColors":
            assert not marks & {c for row in a["args"][0] for c in row}


def test_reads_one_call_per_block():
    path = EXAMPLES / "01-deelnet-emmen-noord.xlsx"
    _, resultaat, _ = run(path)
    # One block of defined-name cells on the Fiche sheet plus one read per schema table.
    assert resultaat.leesacties == 1 + len(S.TABLES)


def test_second_run_changes_nothing_and_libreoffice_opens_it(tmp_path, libreoffice):
    bron = foute_fiche(tmp_path)
    _, _, acties1 = run(bron, dt.date(2026, 11, 28))
    na1 = apply_actions(bron, acties1, tmp_path / "na1.xlsx")
    book2, resultaat2, acties2 = run(na1, dt.date(2026, 11, 28))
    assert resultaat2 is not None
    assert not [a for a in acties2 if a["func"] == "addSheet"], "Controle is reused, not added again"
    na2 = apply_actions(na1, acties2, tmp_path / "na2.xlsx")
    assert state(na2) == state(na1)

    # LibreOffice opens the coloured copy, recalculates it and saves it again; the Controle
    # sheet then holds the messages and the links' display texts as computed values.
    herberekend = libreoffice.convert(na2, "xlsx", tmp_path / "lo")
    import python_calamine
    rows = python_calamine.CalamineWorkbook.from_path(str(herberekend)).get_sheet_by_name("Controle").to_python()
    tekst = "\n".join(" | ".join(str(v) for v in r) for r in rows)
    assert "Controle pMIEK-fiche" in tekst
    for f in resultaat2.beoordeling.bevindingen:
        assert f.melding in tekst
        if f.cel:
            assert f.cel.replace("'", "") in tekst  # the HYPERLINK's display text, computed


def test_not_a_fiche_gives_a_dutch_message_on_the_controle_sheet_and_in_an_alert(tmp_path):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Boodschappenlijst"
    wb.save(tmp_path / "ander.xlsx")
    book = xw.Book(json=payload_uit_bestand(tmp_path / "ander.xlsx"))
    assert addin.validate(book) is None
    actions = book.json()["actions"]
    (alert,) = [a for a in actions if a["func"] == "alert"]
    assert "geen pMIEK-fiche" in alert["args"][0]
    # The same text on the Controle sheet (a Wasm runtime without alerts shows nothing else),
    # under its heading; nothing else of the workbook is touched.
    assert [a for a in actions if a["func"] == "addSheet"][0]["args"][1] == controle.CONTROLE_SHEET
    rijen = controle_rijen(actions)
    assert rijen[0][0] == controle.KOP_WEIGERING
    assert rijen[2][0] == alert["args"][0]
    controle_pos = len(book.sheets) - 1
    assert {a["sheet_position"] for a in actions if a["sheet_position"] is not None} == {controle_pos}
    na = apply_actions(tmp_path / "ander.xlsx", actions, tmp_path / "na.xlsx")
    assert state(na)[("Sheet", "A1")] == ("Boodschappenlijst", None)
    assert state(na)[("Controle", "A3")][0] == alert["args"][0]


def test_unexpected_error_says_so_on_the_controle_sheet(tmp_path):
    pad = write_fiche(tmp_path / "f.xlsx", "concreet", {"projectnaam": "Onverwacht"})
    book = xw.Book(json=payload_uit_bestand(pad))
    assert addin.validate(book, vandaag="geen datum") is None  # makes the validator fail
    rijen = controle_rijen(book.json()["actions"])
    assert rijen[0][0] == controle.KOP_FOUT and rijen[2][0] == addin.ALGEMENE_FOUT


def test_help_text_on_the_controle_sheet():
    from addin import ribbon

    for tekst in (addin.HELP_TEKST, ribbon.HELP_TEKST):
        book = xw.Book(json=payload_uit_bestand(VOORBEELDEN[0]))
        addin.toon_help(book, tekst)
        actions = book.json()["actions"]
        rijen = controle_rijen(actions)
        assert rijen[0][0] == controle.KOP_HELP
        assert [r[0] for r in rijen[2:]] == [regel or "" for regel in tekst.split("\n")]
        (alert,) = [a for a in actions if a["func"] == "alert"]
        assert alert["args"][0] == tekst and alert["args"][3] == "info"


def test_controle_widths_are_points_on_the_remote_engine_and_characters_on_the_desktop(tmp_path):
    _, _, actions = run(foute_fiche(tmp_path))
    breedtes = [a["args"][0] for a in actions if a["func"] == "setColumnWidth"]
    # Points: Calibri 11 is 7 pixels a character plus 5 pixels padding, 0.75 point a pixel.
    assert breedtes == [(t * 7 + 5) * 0.75 for t in controle.KOLOMBREEDTES]
    assert breedtes[0] == 77.25 and breedtes[2] == 476.25
    # The desktop (COM) takes characters: the same call gets the plain widths.
    book = _DesktopControleBook()
    controle.schrijf_melding(book, controle.KOP_HELP, "x")
    assert book.sheet.breedtes == {k: float(t) for k, t in zip("ABCDE", controle.KOLOMBREEDTES)}


class _DesktopControleBook:
    """Records what xlwings' desktop Sheet/Range receive when the Controle sheet is made."""

    class app:
        class engine:
            name, type = "excel", "desktop"

    class _Bereik:
        def __init__(self, sheet, adres):
            self.sheet, self.adres = sheet, adres
            self.font = type("Font", (), {})()

        @property
        def column_width(self):
            raise AssertionError("never read")

        @column_width.setter
        def column_width(self, waarde):
            self.sheet.breedtes[self.adres[0]] = float(waarde)

        @property
        def value(self):
            raise AssertionError("never read")

        @value.setter
        def value(self, waarde):
            self.sheet.waarden = waarde

    class _Blad:
        def __init__(self, naam):
            self.name, self.breedtes, self.waarden = naam, {}, None

        def range(self, adres, *rest):
            return _DesktopControleBook._Bereik(self, adres if isinstance(adres, str) else "A1")

    def __init__(self):
        self.fiche = self._Blad("Fiche")
        self.sheet = self._Blad("Controle")
        self._bladen = [self.fiche]

    @property
    def sheets(self):
        boek = self

        class Bladen(list):
            def add(self, naam, after=None):
                boek._bladen.append(boek.sheet)
                return boek.sheet

        return Bladen(self._bladen)


def test_deleted_help_column_names_the_broken_fiche_type_name(tmp_path):
    # Deleting column C of the sheet Fiche leaves Excel's "#REF!" in pmiek_fiche_type: the add-in
    # passes the broken name on, so the finding says which name broke (not that it is missing).
    pad = write_fiche(tmp_path / "f.xlsx", "concreet", {"projectnaam": "Kolom weg"})
    wb = openpyxl.load_workbook(pad)
    wb.defined_names[S.NAAM_FICHE_TYPE].attr_text = "Fiche!#REF!"
    wb.save(pad)
    _, resultaat, _ = run(pad)
    (x,) = resultaat.beoordeling.bevindingen
    assert x.code == "type_onbekend"
    assert "pmiek_fiche_type" in x.melding and "Fiche!#REF!" in x.melding and "'concreet'" in x.melding


def test_multi_area_addresses_cover_cells_within_excels_limit():
    cellen = [(r, 2) for r in range(6, 40) if r % 3] + [(r, 9) for r in range(4, 200)] + [(5, 3), (5, 4)]
    adressen = kleuren.multi_area_adressen(cellen)
    assert all(len(a) <= kleuren.MAX_ADRES for a in adressen)
    gedekt = set()
    for adres in adressen:
        for deel in adres.split(","):
            r1, c1, r2, c2 = __import__("addin.werkboek").werkboek.bereik_coords(deel)
            gedekt |= {(r, c) for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
    assert gedekt == set(cellen)
    # Runs are merged: column I's 196 cells are one area, row 5's two cells one area.
    assert "I4:I199" in ",".join(adressen) and "C5:D5" in ",".join(adressen)


class _OpnameRange:
    """Records what xlwings' desktop Range receives (Excel itself is not on Linux)."""

    def __init__(self, sheet, adres):
        self.sheet, self.adres = sheet, adres

    @property
    def color(self):
        raise AssertionError("the add-in never reads colours")

    @color.setter
    def color(self, waarde):
        self.sheet.writes.append((self.adres, waarde))


class _OpnameSheet:
    def __init__(self):
        self.writes = []

    def range(self, adres, *rest):
        assert not rest and isinstance(adres, str), "desktop writes use one (multi-area) address"
        return _OpnameRange(self, adres)


class _DesktopBook:
    class app:
        class engine:
            name, type = "excel", "desktop"  # what xlwings' Windows and macOS engines report

    def __init__(self):
        self.sheets = {"Fiche": _OpnameSheet(), "Mijlpalen": _OpnameSheet()}


def test_desktop_engine_one_multi_area_write_per_colour_per_sheet():
    plan = kp.Kleurplan()
    for r in range(6, 40):
        plan.zet("Fiche", r, 2, kp.INVOER_KLEUR)
    for r in (8, 12, 13):
        plan.zet("Fiche", r, 2, kp.FOUT_KLEUR)
    plan.zet("Fiche", 4, 2, KLEUREN[Stoplicht.RISICO])
    for r in range(4, 54):
        plan.zet("Mijlpalen", r, 9, KLEUREN[list(KLEUREN)[r % 5]])
    book = _DesktopBook()
    n = kleuren.schrijf(book, plan)
    fiche, mijlpalen = book.sheets["Fiche"].writes, book.sheets["Mijlpalen"].writes
    assert n == len(fiche) + len(mijlpalen)
    assert sorted(k for _, k in fiche) == sorted(["#" + kp.INVOER_KLEUR, "#" + kp.FOUT_KLEUR,
                                                  "#" + KLEUREN[Stoplicht.RISICO]])
    assert dict((k, a) for a, k in fiche)["#" + kp.FOUT_KLEUR] == "B8,B12:B13"
    assert len(mijlpalen) == 5 and len({k for _, k in mijlpalen}) == 5
    assert all(len(a) <= kleuren.MAX_ADRES for a, _ in fiche + mijlpalen)


def test_addin_never_touches_book_fullname():
    import ast as _ast

    for pad in (ROOT / "addin").glob("*.py"):
        for node in _ast.walk(_ast.parse(pad.read_text(encoding="utf-8"))):
            assert not (isinstance(node, _ast.Attribute) and node.attr == "fullname"), f"{pad.name} uses .fullname"


def test_fixing_a_fault_removes_its_mark_and_its_controle_row(tmp_path):
    bron = foute_fiche(tmp_path)
    _, eerste, acties1 = run(bron, dt.date(2026, 11, 28))
    na1 = apply_actions(bron, acties1, tmp_path / "na1.xlsx")
    # The user corrects the gemeente in the marked workbook.
    wb = openpyxl.load_workbook(na1)
    sheet, ref = wb.defined_names["pmiek_gemeente"].attr_text.split("!")
    cel = wb[sheet.strip("'")][ref.replace("$", "")]
    assert cel.fill.fgColor.rgb.endswith(kp.FOUT_KLEUR)
    cel.value = "Emmen"
    wb.save(tmp_path / "hersteld.xlsx")
    _, tweede, acties2 = run(tmp_path / "hersteld.xlsx", dt.date(2026, 11, 28))
    na2 = apply_actions(tmp_path / "hersteld.xlsx", acties2, tmp_path / "na2.xlsx")

    assert len(tweede.beoordeling.bevindingen) == len(eerste.beoordeling.bevindingen) - 1
    wb2 = openpyxl.load_workbook(na2)
    assert wb2[sheet.strip("'")][ref.replace("$", "")].fill.fgColor.rgb.endswith(kp.INVOER_KLEUR)
    controle_ws = wb2["Controle"]
    teksten = [c.value for row in controle_ws.iter_rows() for c in row if c.value is not None]
    assert not [t for t in teksten if isinstance(t, str) and "Atlantis" in t]
    laatste_rij = max(c.row for row in controle_ws.iter_rows() for c in row if c.value is not None)
    assert laatste_rij == controle.KOPRIJ + len(tweede.beoordeling.bevindingen)


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_templates_let_the_add_in_format_cells_on_protected_sheets(fiche_type):
    # Excel refuses fill changes on a protected sheet unless "format cells" is allowed
    # (False in OOXML means allowed); the add-in colours locked stoplicht cells.
    wb = openpyxl.load_workbook(ROOT / "workbook_templates" / f"pmiek-fiche-{fiche_type}.xlsx")
    beschermd = [ws for ws in wb.worksheets if ws.protection.sheet]
    assert beschermd
    for ws in beschermd:
        assert ws.protection.formatCells is False, ws.title
