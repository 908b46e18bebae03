"""Structure of the generated fiche templates, read back with openpyxl (read-only) and by
inspecting the package XML: defined names, tables, dropdowns, input messages, protection with
unlocked input cells, print layout, frozen panes and the stoplicht conditional formatting."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from defusedxml import ElementTree as ET
from openpyxl import load_workbook

from fiche import schema as S
from fiche.stoplicht import Stoplicht
from fiche.template import (
    FICHE_SHEET, LIJSTEN_SHEET, NAAM_ENERGIECLUSTER, REKENHULP_SHEET, PROMPT_MAX, PROMPT_TITLE_MAX, afkappen, build_fiche_workbook,
    write_fiche, write_template,
)

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


@pytest.fixture(scope="module")
def templates(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("templates")
    return {t: write_template(t, out) for t in S.FICHE_TYPES}


class Package:
    """The XML parts of an .xlsx, with sheets found by name."""

    def __init__(self, path: Path) -> None:
        with zipfile.ZipFile(path) as z:
            self.parts = {n: z.read(n) for n in z.namelist()}
        self.workbook = ET.fromstring(self.parts["xl/workbook.xml"])
        rels = ET.fromstring(self.parts["xl/_rels/workbook.xml.rels"])
        target = {r.get("Id"): r.get("Target") for r in rels}
        self.sheet_part = {}
        self.sheet_state = {}
        for i, sheet in enumerate(self.workbook.find("m:sheets", NS)):
            rid = sheet.get(f"{{{NS['r']}}}id")
            self.sheet_part[sheet.get("name")] = "xl/" + target[rid].lstrip("/").removeprefix("xl/")
            self.sheet_state[sheet.get("name")] = sheet.get("state", "visible")
        self.names = {}
        for d in self.workbook.find("m:definedNames", NS):
            key = d.get("name") if d.get("localSheetId") is None else (d.get("name"), int(d.get("localSheetId")))
            self.names[key] = d.text
        styles = ET.fromstring(self.parts["xl/styles.xml"])
        self.unlocked_styles = set()
        for idx, xf in enumerate(styles.find("m:cellXfs", NS)):
            prot = xf.find("m:protection", NS)
            if prot is not None and prot.get("locked") in ("0", "false"):
                self.unlocked_styles.add(str(idx))

    def sheet(self, name: str):
        return ET.fromstring(self.parts[self.sheet_part[name]])

    def sheet_index(self, name: str) -> int:
        return list(self.sheet_part).index(name)

    def cells(self, name: str) -> dict[str, ET.Element]:
        return {c.get("r"): c for c in self.sheet(name).iter(f"{{{NS['m']}}}c")}

    def validations(self, name: str) -> dict[str, ET.Element]:
        dvs = self.sheet(name).find("m:dataValidations", NS)
        return {dv.get("sqref"): dv for dv in (dvs if dvs is not None else [])}

    def tables(self) -> dict[str, ET.Element]:
        return {ET.fromstring(v).get("displayName"): ET.fromstring(v)
                for k, v in self.parts.items() if k.startswith("xl/tables/")}


def cell_of(ref: str) -> tuple[str, str]:
    sheet, cell = ref.rsplit("!", 1)
    return sheet.strip("'"), cell.replace("$", "")


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_read_only_openpyxl_sees_names_and_stamp(templates, fiche_type):
    wb = load_workbook(templates[fiche_type], read_only=True)
    schema = S.schema_for(fiche_type)
    assert wb.sheetnames == [FICHE_SHEET] + [t.label for t in schema.tables] + [LIJSTEN_SHEET, REKENHULP_SHEET]
    names = wb.defined_names
    for f in schema.fields:
        assert f.name in names, f.name
        sheet, cell = cell_of(names[f.name].attr_text)
        assert sheet == FICHE_SHEET
        assert wb[sheet][cell].value is None  # an empty template
    for special in (S.NAAM_TEMPLATE_VERSIE, S.NAAM_FICHE_TYPE, S.NAAM_NABIJ_MAANDEN, S.NAAM_STOPLICHT,
                    NAAM_ENERGIECLUSTER):
        assert special in names
    ws = wb[FICHE_SHEET]
    assert ws[cell_of(names[S.NAAM_TEMPLATE_VERSIE].attr_text)[1]].value == S.TEMPLATE_VERSION
    assert ws[cell_of(names[S.NAAM_FICHE_TYPE].attr_text)[1]].value == fiche_type
    assert ws[cell_of(names[S.NAAM_NABIJ_MAANDEN].attr_text)[1]].value == 3
    assert str(ws[cell_of(names[S.NAAM_STOPLICHT].attr_text)[1]].value).startswith("=IF(")
    # The template version is visible next to a Dutch label, and every field's help text too.
    assert ws["A2"].value == "Templateversie"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=1, max_col=3) if r[0].value}
    for f in schema.fields:
        row = rows[f.label + (" *" if f.required else "")]
        assert row[2].value == (f.help or None), f.key
    wb.close()


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_defined_names_in_workbook_xml(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    schema = S.schema_for(fiche_type)
    for f in schema.fields:
        assert pkg.names[f.name] == pkg.names[f.name].strip()
        sheet, cell = cell_of(pkg.names[f.name])
        assert (sheet, cell[0]) == (FICHE_SHEET, "B")
    input_cells = [cell_of(pkg.names[f.name])[1] for f in schema.fields]
    assert len(set(input_cells)) == len(input_cells)
    assert pkg.sheet_state[LIJSTEN_SHEET] == "hidden"
    assert pkg.sheet_state[REKENHULP_SHEET] == "hidden"
    assert all(pkg.sheet_state[t.label] == "visible" for t in schema.tables)


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_tables_are_real_excel_tables(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    tables = pkg.tables()
    schema = S.schema_for(fiche_type)
    assert set(tables) == {t.name for t in schema.tables}
    for t in schema.tables:
        xml = tables[t.name]
        columns = [c.get("name") for c in xml.find("m:tableColumns", NS)]
        assert columns == [c.label for c in t.columns]
        first, last = xml.get("ref").split(":")
        body_rows = int("".join(filter(str.isdigit, last))) - int("".join(filter(str.isdigit, first)))
        assert body_rows == t.rows
        assert xml.find("m:autoFilter", NS) is not None


def lijst_values(pkg: Package, name: str) -> list[str]:
    sheet, rng = pkg.names[name].rsplit("!", 1)
    first, last = rng.replace("$", "").split(":")
    col = first.rstrip("0123456789")
    lo, hi = int(first[len(col):]), int(last[len(col):])
    wb_cells = pkg.cells(sheet.strip("'"))
    shared = []
    if "xl/sharedStrings.xml" in pkg.parts:
        shared = ["".join(t.itertext()) for t in ET.fromstring(pkg.parts["xl/sharedStrings.xml"])]
    values = []
    for row in range(lo, hi + 1):
        c = wb_cells[f"{col}{row}"]
        if c.get("t") == "inlineStr":
            values.append("".join(c.find("m:is", NS).itertext()))
        elif c.get("t") == "s":
            values.append(shared[int(c.find("m:v", NS).text)])
        else:
            values.append(c.find("m:v", NS).text)
    return values


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_every_field_has_an_input_message_and_choices_a_dropdown(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    schema = S.schema_for(fiche_type)
    dvs = pkg.validations(FICHE_SHEET)
    for f in schema.fields:
        cell = cell_of(pkg.names[f.name])[1]
        dv = dvs[cell]
        assert dv.get("showInputMessage") == "1"
        title, prompt = dv.get("promptTitle"), dv.get("prompt")
        assert 0 < len(title) <= PROMPT_TITLE_MAX and 0 < len(prompt) <= PROMPT_MAX
        assert prompt == afkappen(f.help, PROMPT_MAX)
        if f.choices:
            assert dv.get("type") == "list"
            formula = dv.find("m:formula1", NS).text
            # A named list on the hidden sheet, not an inline list (those stop at 255 characters).
            assert formula.startswith("lijst_") and '"' not in formula
            assert lijst_values(pkg, formula) == list(f.choices)
            assert dv.get("showErrorMessage") == "1"
            assert dv.get("errorStyle") == ("information" if f.open_choice else "stop")
        elif f.type == "date":
            # Typed text such as "Q3 2031" must stay possible: no date validation that refuses it.
            assert dv.get("type") in (None, "none")
            assert dv.get("showErrorMessage") in (None, "0")


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_table_columns_have_dropdowns_and_messages(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    schema = S.schema_for(fiche_type)
    for t in schema.tables:
        dvs = pkg.validations(t.label)
        by_col = {sqref.split(":")[0].rstrip("0123456789"): dv for sqref, dv in dvs.items()}
        for j, col in enumerate(t.columns):
            letter = "ABCDEFGHIJ"[j]
            if col.type == "derived":
                assert letter not in by_col
                continue
            dv = by_col[letter]
            assert dv.get("sqref") == f"{letter}4:{letter}{3 + t.rows}"
            assert dv.get("promptTitle") == col.label
            if col.choices:
                formula = dv.find("m:formula1", NS).text
                assert lijst_values(pkg, formula) == list(col.choices)
                assert dv.get("errorStyle") == ("information" if col.open_choice else "stop")


def test_long_help_text_is_cut_at_a_word(templates):
    long = "woord " * 80
    cut = afkappen(long, PROMPT_MAX)
    assert len(cut) <= PROMPT_MAX and cut.endswith("woord…")
    assert afkappen("Korte tekst.", PROMPT_MAX) == "Korte tekst."
    assert afkappen("Afhankelijkheden van sectorale gebiedsontwikkelingen", PROMPT_TITLE_MAX) == \
        "Afhankelijkheden van sectorale…"
    # Some labels are longer than Excel's prompt title allows: the full label stays in column A.
    assert max(len(f.label) for f in S.CONCREET.fields) > PROMPT_TITLE_MAX


def protection(pkg: Package, sheet: str) -> ET.Element:
    return pkg.sheet(sheet).find("m:sheetProtection", NS)


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_sheets_protected_without_password_inputs_unlocked(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    schema = S.schema_for(fiche_type)
    for sheet in pkg.sheet_part:
        prot = protection(pkg, sheet)
        assert prot is not None and prot.get("sheet") == "1", sheet
        assert not {"password", "hashValue", "algorithmName"} & set(prot.attrib), sheet
    cells = pkg.cells(FICHE_SHEET)
    inputs = {cell_of(pkg.names[f.name])[1] for f in schema.fields}
    for ref in inputs:
        assert cells[ref].get("s") in pkg.unlocked_styles, ref
    for name in (S.NAAM_STOPLICHT, S.NAAM_TEMPLATE_VERSIE, S.NAAM_NABIJ_MAANDEN, NAAM_ENERGIECLUSTER):
        ref = cell_of(pkg.names[name])[1]
        assert cells[ref].get("s") not in pkg.unlocked_styles, name
    for ref, c in cells.items():
        if c.get("s") in pkg.unlocked_styles:
            assert ref in inputs, f"{ref} unlocked but not an input"
    for t in schema.tables:
        cells = pkg.cells(t.label)
        for j, col in enumerate(t.columns):
            letter = "ABCDEFGHIJ"[j]
            assert cells[f"{letter}3"].get("s") not in pkg.unlocked_styles  # the header
            for row in range(4, 4 + t.rows):
                unlocked = cells[f"{letter}{row}"].get("s") in pkg.unlocked_styles
                assert unlocked == (col.type != "derived"), (t.key, col.key, row)


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_print_layout_and_frozen_panes(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    schema = S.schema_for(fiche_type)
    for sheet in [FICHE_SHEET] + [t.label for t in schema.tables]:
        xml = pkg.sheet(sheet)
        idx = pkg.sheet_index(sheet)
        assert ("_xlnm.Print_Area", idx) in pkg.names, sheet
        assert ("_xlnm.Print_Titles", idx) in pkg.names, sheet
        setup = xml.find("m:pageSetup", NS)
        assert setup.get("fitToWidth") == "1" and setup.get("fitToHeight") == "0"
        assert setup.get("orientation") == ("portrait" if sheet == FICHE_SHEET else "landscape")
        assert xml.find("m:sheetPr/m:pageSetUpPr", NS).get("fitToPage") == "1"
        hf = xml.find("m:headerFooter", NS)
        assert "&P" in hf.find("m:oddFooter", NS).text and "&N" in hf.find("m:oddFooter", NS).text
        assert "&A" in hf.find("m:oddHeader", NS).text
        pane = xml.find("m:sheetViews/m:sheetView/m:pane", NS)
        assert pane is not None and pane.get("state") == "frozen"
    table_sheet = schema.tables[0].label
    assert pkg.names[("_xlnm.Print_Titles", pkg.sheet_index(table_sheet))].endswith("$3:$3")
    area = pkg.names[("_xlnm.Print_Area", pkg.sheet_index(FICHE_SHEET))]
    assert area.endswith(area.split(":")[-1]) and "$C$" in area  # labels, inputs and help text


def cf_rules(pkg: Package, sheet: str) -> dict[str, list[str]]:
    rules: dict[str, list[str]] = {}
    for cf in pkg.sheet(sheet).findall("m:conditionalFormatting", NS):
        for rule in cf.findall("m:cfRule", NS):
            rules.setdefault(cf.get("sqref"), []).append(rule.find("m:formula", NS).text)
    return rules


@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_stoplicht_cells_coloured_by_conditional_formatting(templates, fiche_type):
    pkg = Package(templates[fiche_type])
    project_cell = cell_of(pkg.names[S.NAAM_STOPLICHT])[1]
    rules = cf_rules(pkg, FICHE_SHEET)
    assert sorted(rules[project_cell]) == sorted(f'$B$4="{s.value}"' for s in Stoplicht)
    cells = pkg.cells(FICHE_SHEET)
    formula = cells[project_cell].find("m:f", NS).text
    assert "EDATE(" in formula and S.NAAM_NABIJ_MAANDEN in formula
    mijlpalen = S.MIJLPALEN
    rules = cf_rules(pkg, mijlpalen.label)
    col = "ABCDEFGHIJ"[[c.key for c in mijlpalen.columns].index("stoplicht")]
    sqref = f"{col}4:{col}{3 + mijlpalen.rows}"
    assert sorted(rules[sqref]) == sorted(f'${col}4="{s.value}"' for s in Stoplicht)
    cells = pkg.cells(mijlpalen.label)
    for row in range(4, 4 + mijlpalen.rows):
        f = cells[f"{col}{row}"].find("m:f", NS).text
        assert "EDATE(" in f and f"${'ABCDEFGHIJ'[3]}{row}" not in f  # reads the parsed helper, not the raw cell
    # The dxf fills are the colours of fiche.stoplicht.
    styles = pkg.parts["xl/styles.xml"].decode()
    for s in Stoplicht:
        assert s.kleur in styles


def test_every_formula_fits_excel_limits(templates):
    for path in templates.values():
        wb = load_workbook(path, read_only=True)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, str) and c.value.startswith("="):
                        assert len(c.value) < 8192
                        assert c.value.count("(") == c.value.count(")")
        wb.close()


def test_legend_uses_the_figure_8_wording(templates):
    wb = load_workbook(templates["concreet"], read_only=True)
    texts = [r[1].value for r in wb[FICHE_SHEET].iter_rows(max_col=2) if r[0].value in
             {s.value for s in Stoplicht}]
    assert "Huidige voortgang resulteert in inbedrijfname nabij ondergrens." in texts
    assert "Huidige voortgang resulteert in inbedrijfname tussen ondergrens en bovengrens." in texts
    assert "Huidige voortgang resulteert in inbedrijfname buiten de bovengrens." in texts
    wb.close()
    wb = load_workbook(templates["verkenning"], read_only=True)
    texts = [r[1].value for r in wb[FICHE_SHEET].iter_rows(max_col=2)]
    assert "Huidige voortgang resulteert in oplevering nabij ondergrens." in texts
    wb.close()


def test_filled_fiche_keeps_protection_and_validation(tmp_path, templates):
    velden = {"projectnaam": "Aftakking waterstofbackbone Emmen", "gemeente": "Emmen", "drager": "Waterstof",
              "ibn_ondergrens": dt.date(2030, 1, 1), "ibn_bovengrens": "Q4 2030", "netbeheerder": "Gasunie",
              "omschrijving": "=HYPERLINK(\"http://example.invalid\")"}
    rows = [{"mijlpaal": f"M{i}", "gepland": dt.date(2028, 1, 1)} for i in range(30)]
    path = write_fiche(tmp_path / "gevuld.xlsx", "concreet", velden, {"mijlpalen": rows})
    filled, empty = Package(path), Package(templates["concreet"])
    assert filled.validations(FICHE_SHEET).keys() == empty.validations(FICHE_SHEET).keys()
    for sheet in filled.sheet_part:
        assert protection(filled, sheet).attrib == protection(empty, sheet).attrib
    names = {k: v for k, v in filled.names.items() if isinstance(k, str)}
    assert names == {k: v for k, v in empty.names.items() if isinstance(k, str)}
    # More milestones than the template's empty rows: the table, its validation and its lights grow.
    t = filled.tables()[S.MIJLPALEN.name]
    assert t.get("ref") == "A3:I33"
    assert "A4:A33" in filled.validations(S.MIJLPALEN.label)
    assert "I4:I33" in cf_rules(filled, S.MIJLPALEN.label)
    cells = filled.cells(S.MIJLPALEN.label)
    assert cells["A33"].get("s") in filled.unlocked_styles
    # A user's text starting with "=" stays text.
    ws = load_workbook(path)[FICHE_SHEET]
    omschrijving = ws[cell_of(filled.names["pmiek_omschrijving"])[1]]
    assert omschrijving.data_type == "s"
    assert filled.parts["xl/worksheets/sheet1.xml"].count(b"HYPERLINK") == 1
    assert b"<f>HYPERLINK" not in filled.parts["xl/worksheets/sheet1.xml"]
    # The header names the project.
    assert b"Aftakking waterstofbackbone Emmen" in filled.parts["xl/worksheets/sheet2.xml"]


def test_energiecluster_is_a_lookup_on_lijsten(templates):
    pkg = Package(templates["concreet"])
    ref = cell_of(pkg.names[NAAM_ENERGIECLUSTER])[1]
    formula = pkg.cells(FICHE_SHEET)[ref].find("m:f", NS).text
    assert "VLOOKUP(pmiek_gemeente,lijst_energieclusters,2,FALSE)" in formula
    values = lijst_values(pkg, "lijst_energieclusters")
    assert values == list(S.ENERGIECLUSTERS)  # first column: the 12 gemeenten


def test_build_is_deterministic(tmp_path):
    a = write_template("concreet", tmp_path / "a")
    b = write_template("concreet", tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    core = zipfile.ZipFile(a).read("docProps/core.xml").decode()
    assert "2025-05-06T00:00:00Z" in core and "pMIEK Monitor" in core


@pytest.mark.subprocess
def test_cli_writes_both_templates(tmp_path):
    out = tmp_path / "uit"
    result = subprocess.run([sys.executable, "-m", "pmiek.cli", "template", "--out", str(out)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "Fiche-templates" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["pmiek-fiche-concreet.xlsx", "pmiek-fiche-verkenning.xlsx"]
    bad = subprocess.run([sys.executable, "-m", "pmiek.cli", "template", "--out", str(out / "pmiek-fiche-concreet.xlsx")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2
    assert "is geen map" in bad.stderr and "Traceback" not in bad.stderr


def test_workbook_model_helpers_still_work_for_other_callers():
    wb = build_fiche_workbook("verkenning", {"projectnaam": "X", "onderzoeksvraag": "Waarom?"},
                              {"knelpunten": [{"knelpunt": "Netcongestie", "status": "Open"}]}, nabij_maanden=6)
    assert wb[FICHE_SHEET]["B3"].value == 6
    assert wb["Knelpunten en oplossingen"]["A4"].value == "Netcongestie"


@pytest.mark.libreoffice
@pytest.mark.parametrize("fiche_type", S.FICHE_TYPES)
def test_template_opens_in_libreoffice(libreoffice, templates, fiche_type, tmp_path):
    pdf = libreoffice.convert(templates[fiche_type], "pdf", tmp_path / "pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 5000
    xlsx = libreoffice.convert(templates[fiche_type], "xlsx", tmp_path / "xlsx")
    wb = load_workbook(xlsx)
    assert S.schema_for(fiche_type).fields[0].name in wb.defined_names
    assert wb[FICHE_SHEET]["B4"].value.startswith("=")
    sheets = libreoffice.sheets_as_csv(templates[fiche_type], tmp_path / "csv")
    fiche = sheets[FICHE_SHEET].read_text(encoding="utf-8").splitlines()
    # An empty fiche is Onbekend (never green), and no formula errors anywhere.
    assert fiche[3].startswith("Stoplicht project,Onbekend,")
    for name, path in sheets.items():
        text = path.read_text(encoding="utf-8")
        for error in ("#NAME?", "#VALUE!", "#REF!", "Err:", "#N/A"):
            assert error not in text, (name, error)


def test_reader_never_parses_the_rekenhulp_sheet(tmp_path):
    """The date helper formulas (most of a fiche's XML) sit on a sheet the reader has no reason to open."""
    from fiche.reader import CalamineBron, extraheer
    from fiche.veilig import controleer_archief

    rows = [{"mijlpaal": f"M{i}", "gepland": "Q1 2028", "prognose": dt.date(2028, 6, 1)} for i in range(5)]
    path = write_fiche(tmp_path / "f.xlsx", "concreet", {"projectnaam": "P", "ibn_ondergrens": "2031"},
                       {"mijlpalen": rows})
    pkg = Package(path)
    assert not any(REKENHULP_SHEET in v for k, v in pkg.names.items() if isinstance(k, str) and k.startswith("pmiek_"))
    assert pkg.sheet(REKENHULP_SHEET).find("m:tableParts", NS) is None
    assert pkg.sheet(REKENHULP_SHEET).find("m:sheetProtection", NS).get("sheet") in ("1", "true")
    # The stoplicht formulas read the parsed dates there.
    licht = pkg.cells(S.MIJLPALEN.label)["I4"].find("m:f", NS).text
    assert f"'{REKENHULP_SHEET}'!" in licht and "EDATE(" in licht

    class Bladen(CalamineBron):
        def waarden(self, sheet, ref):
            self.gelezen.add(sheet)
            return super().waarden(sheet, ref)

    bron = Bladen(controleer_archief(path.read_bytes(), "f.xlsx"), "f.xlsx")
    bron.gelezen = set()
    data = extraheer(bron, "f.xlsx")
    assert data.velden["projectnaam"] == "P" and len(data.tabellen["mijlpalen"]) == 5
    assert REKENHULP_SHEET not in bron.gelezen and FICHE_SHEET in bron.gelezen
