"""Generates the fiche workbooks: the empty templates and filled copies (demo data, tests).

Layout: sheet `Fiche` holds one labelled input cell per schema field (label in A, input in B,
the seed's help text visible in C), the project stoplicht, a colour legend and the template
stamp; each schema table is a real Excel table on a sheet of its own; the hidden sheet `Lijsten`
holds the choice lists the dropdowns point at, the hidden sheet `Rekenhulp` the date helper
cells. Every input cell is a workbook-scoped defined name from the schema; the reader only ever
relies on those names and the table names, never on positions.

The traffic lights colour in plain Excel (no add-in): the stoplicht cells hold the formulas of
`fiche.stoplicht`, fed by helper cells that turn what a user typed (a real date, a bare year,
"Q3 2031", "1 maart 2031", ...) into a date the same way `fiche.datums.parse_datum` does. Those
helper formulas are long (hundreds of kB for a milestone table), so they live on the hidden sheet
`Rekenhulp`, which holds no defined name of the fiche and no table: the reader
(`fiche.reader`) only parses the sheets its names and tables point at, and never this one.

A filled fiche gets exactly the same protection, validation and layout as the empty template,
so test fiches and demo fiches behave like a team's real file.

Longer than 500 lines because the workbook's layout is one piece: the sheets point at each
other's cells (stoplicht formulas at Rekenhulp, dropdowns at Lijsten, names at the Fiche sheet),
and splitting them would spread one set of row and column constants over several modules. The
formulas for typed dates, which stand on their own, live in `fiche.excel_datum`.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.table import Table as XlTable, TableStyleInfo

from fiche import ooxml, schema as S
from fiche.datums import MAANDEN
from fiche.excel_datum import DATUM_HULPCELLEN, excel_datum_cellen
from fiche.kleurplan import INVOER_KLEUR
from fiche.stoplicht import (
    NABIJ_MAANDEN_STANDAARD,
    TEKSTKLEUREN,
    Stoplicht,
    excel_mijlpaal_stoplicht,
    excel_project_stoplicht,
)

FICHE_SHEET = "Fiche"
LIJSTEN_SHEET = "Lijsten"
#: Hidden sheet with the helper cells that parse typed dates for the stoplicht formulas.
REKENHULP_SHEET = "Rekenhulp"
DATE_FORMAT = "d-m-yyyy"
#: Date input cells: a bare year (typed 2031, stored as the number 2031) shows as the year,
#: not as a day in 1905; anything larger is a date.
INVOER_DATUM_FORMAT = "[<=2100]0;d-m-yyyy"
FIELD_FIRST_ROW = 6
TABLE_HEADER_ROW = 3
#: On `Rekenhulp`: the window dates of the Fiche sheet, one row each from REKENHULP_FICHE_ROW,
#: their label in column A and their helper cells from column REKENHULP_FICHE_COL on.
REKENHULP_FICHE_ROW = TABLE_HEADER_ROW + 1
REKENHULP_FICHE_COL = 2
#: On `Rekenhulp`: the milestone helper cells (gepland, prognose, gereed, in that order) from this
#: column on, on the same row number as their milestone on the Mijlpalen sheet.
REKENHULP_MIJLPAAL_COL = 11
#: Defined name of the derived energiecluster cell (not an input: a lookup on the gemeente).
NAAM_ENERGIECLUSTER = "pmiek_energiecluster"
#: Fixed package properties: regenerating a template must give identical parts.
VASTE_DATUM = dt.datetime(2025, 5, 6, 0, 0, 0)
MAKER = "pMIEK Monitor, Provincie Drenthe"

# Excel's limits on data-validation texts.
PROMPT_TITLE_MAX = 32
PROMPT_MAX = 255

INVOER_FILL = PatternFill("solid", start_color=INVOER_KLEUR, end_color=INVOER_KLEUR)
AFGELEID_FILL = PatternFill("solid", start_color="EDEDED", end_color="EDEDED")
HELP_FONT = Font(italic=True, size=9, color="595959")
DUN = Side(style="thin", color="BFBFBF")
RAND = Border(left=DUN, right=DUN, top=DUN, bottom=DUN)
ONTGRENDELD = Protection(locked=False)

HELP_WIDTH = 70
LABEL_WIDTH = 40
INPUT_WIDTH = 48


# --- Small helpers -----------------------------------------------------------------------------

def _absolute(sheet: str, cell: str) -> str:
    col = "".join(c for c in cell if c.isalpha())
    row = "".join(c for c in cell if c.isdigit())
    return f"{quote_sheetname(sheet)}!${col}${row}"


def _absolute_range(sheet: str, first: str, last: str) -> str:
    return f"{_absolute(sheet, first)}:{_absolute(sheet, last).split('!')[1]}"


def _add_name(wb: Workbook, name: str, sheet: str, cell: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=_absolute(sheet, cell))


def afkappen(text: str, limit: int) -> str:
    """`text` shortened to at most `limit` characters at a word boundary, marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:.") + "…"


def _lines(text: object, width: int) -> int:
    """Rough number of wrapped lines `text` needs in a column `width` characters wide."""
    if not text:
        return 1
    return sum(max(1, math.ceil(len(part) / max(width - 4, 10))) for part in str(text).split("\n"))


def _stoplicht_rules(ws, ref: str, first_cell: str) -> None:
    """Conditional fills on cells holding a stoplicht label (computed by formula or chosen)."""
    for light in Stoplicht:
        ws.conditional_formatting.add(
            ref,
            FormulaRule(
                formula=[f'{first_cell}="{light.value}"'],
                fill=PatternFill("solid", start_color=light.kleur, end_color=light.kleur),
                font=Font(color=TEKSTKLEUREN[light], bold=True),
                stopIfTrue=True,
            ),
        )


def _write_value(cell, value: Any, kind: str) -> None:
    if value is None:
        return
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    cell.value = value
    if isinstance(value, str):
        # Text from a user is text, never a formula.
        cell.data_type = "s"
    if kind == "date":
        cell.number_format = INVOER_DATUM_FORMAT
    elif isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = DATE_FORMAT


def _header_footer(ws, titel: str, versie: str) -> None:
    ws.oddHeader.left.text = titel.replace("&", "&&")
    ws.oddHeader.right.text = "&A"
    ws.oddFooter.left.text = f"pMIEK-fiche, templateversie {versie}"
    ws.oddFooter.right.text = "Pagina &P van &N"


def _print_layout(ws, area: str, landscape: bool, title_rows: str | None) -> None:
    ws.print_area = area
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    if title_rows:
        ws.print_title_rows = title_rows


def _protect(ws) -> None:
    """Protect the sheet without a password: input cells are unlocked, everything else is not."""
    p = ws.protection
    p.sheet = True
    # False means "allowed" in the OOXML protection flags.
    p.formatColumns = False
    p.formatRows = False
    # The add-in colours stoplicht cells and marks findings: formatting must stay allowed.
    p.formatCells = False
    p.autoFilter = False
    p.sort = False
    p.selectLockedCells = False
    p.selectUnlockedCells = False


# --- The Rekenhulp sheet: typed dates turned into dates for the stoplicht formulas ------------

def _hulpcellen(hulp, x: str, row: int, first_col: int, grens: str) -> str:
    """Write the helper cells of one date input (`x`, a reference with its sheet) on the Rekenhulp
    sheet `hulp`, from column `first_col` on; returns the result cell as an absolute reference
    with the sheet name, for formulas on other sheets."""
    letters = [get_column_letter(first_col + i) for i in range(len(DATUM_HULPCELLEN))]
    refs = [f"${letter}{row}" for letter in letters]
    for letter, formula in zip(letters, excel_datum_cellen(x, refs, grens)):
        hulp[f"{letter}{row}"] = "=" + formula
    hulp[f"{letters[-1]}{row}"].number_format = DATE_FORMAT
    return _absolute(REKENHULP_SHEET, f"{letters[-1]}{row}")


def _start_rekenhulp(wb: Workbook):
    """The hidden Rekenhulp sheet with its headings (its cells are filled by `_hulpcellen`)."""
    hulp = wb.create_sheet(REKENHULP_SHEET)
    hulp.sheet_state = "hidden"
    hulp["A1"] = ("Rekenhulp voor de stoplichten: elke datum zoals hij is getypt, omgerekend naar een datum. "
                  "Niet wijzigen; de cellen worden berekend.")
    hulp["A1"].font = HELP_FONT
    hulp.cell(row=TABLE_HEADER_ROW, column=1, value="Veld op het blad Fiche").font = Font(bold=True)
    hulp.cell(row=TABLE_HEADER_ROW, column=REKENHULP_MIJLPAAL_COL - 1,
              value="Rij op het blad Mijlpalen").font = Font(bold=True)
    for blok, first in ((("",), REKENHULP_FICHE_COL),
                        (("gepland ", "prognose ", "gereed "), REKENHULP_MIJLPAAL_COL)):
        for k, voor in enumerate(blok):
            for i, naam in enumerate(DATUM_HULPCELLEN):
                hulp.cell(row=TABLE_HEADER_ROW, column=first + k * len(DATUM_HULPCELLEN) + i,
                          value=voor + naam).font = Font(bold=True)
    hulp.column_dimensions["A"].width = LABEL_WIDTH
    return hulp


# --- The workbook ----------------------------------------------------------------------------

def _choice_lists(schema: S.FicheSchema) -> dict[tuple[str, ...], str]:
    """One defined name per distinct choice list: `lijst_<field>` or `lijst_<table>_<column>`."""
    lists: dict[tuple[str, ...], str] = {}
    for f in schema.fields:
        if f.choices and f.choices not in lists:
            lists[f.choices] = f"lijst_{f.key}"
    for t in schema.tables:
        for c in t.columns:
            if c.choices and c.choices not in lists:
                lists[c.choices] = f"lijst_{t.key}_{c.key}"
    return lists


def _build_lijsten(wb: Workbook, lists: dict[tuple[str, ...], str]) -> None:
    ws = wb.create_sheet(LIJSTEN_SHEET)
    ws.sheet_state = "hidden"
    col = 1
    for choices, name in lists.items():
        letter = get_column_letter(col)
        ws.cell(row=1, column=col, value=name).font = Font(bold=True)
        for i, choice in enumerate(choices, start=2):
            ws.cell(row=i, column=col, value=choice).data_type = "s"
        wb.defined_names[name] = DefinedName(
            name, attr_text=_absolute_range(LIJSTEN_SHEET, f"{letter}2", f"{letter}{len(choices) + 1}"))
        ws.column_dimensions[letter].width = max(12, max(len(c) for c in choices) + 2)
        col += 1
    col += 1
    # Gemeente -> energiecluster, for the derived cell on the Fiche sheet.
    g, c = get_column_letter(col), get_column_letter(col + 1)
    ws.cell(row=1, column=col, value="gemeente").font = Font(bold=True)
    ws.cell(row=1, column=col + 1, value="energiecluster").font = Font(bold=True)
    for i, (gemeente, cluster) in enumerate(S.ENERGIECLUSTERS.items(), start=2):
        ws.cell(row=i, column=col, value=gemeente)
        ws.cell(row=i, column=col + 1, value=cluster)
    wb.defined_names["lijst_energieclusters"] = DefinedName(
        "lijst_energieclusters",
        attr_text=_absolute_range(LIJSTEN_SHEET, f"{g}2", f"{c}{len(S.ENERGIECLUSTERS) + 1}"))
    ws.column_dimensions[g].width = 16
    col += 3
    # Dutch month names (and abbreviations) -> month number, for dates typed as text.
    m, n = get_column_letter(col), get_column_letter(col + 1)
    ws.cell(row=1, column=col, value="maand").font = Font(bold=True)
    ws.cell(row=1, column=col + 1, value="nummer").font = Font(bold=True)
    for i, (naam, nummer) in enumerate(MAANDEN.items(), start=2):
        ws.cell(row=i, column=col, value=naam).data_type = "s"
        ws.cell(row=i, column=col + 1, value=nummer)
    wb.defined_names["lijst_maanden"] = DefinedName(
        "lijst_maanden", attr_text=_absolute_range(LIJSTEN_SHEET, f"{m}2", f"{n}{len(MAANDEN) + 1}"))
    _protect(ws)


def _validation(kind: str, label: str, help_text: str, choices_name: str | None, open_choice: bool,
                first_cell: str) -> DataValidation:
    """The data validation (dropdown and/or input message) for one field or table column."""
    title = afkappen(label.rstrip(" *"), PROMPT_TITLE_MAX)
    prompt = afkappen(help_text or label, PROMPT_MAX) or None
    dv: DataValidation
    if choices_name:
        dv = DataValidation(type="list", formula1=choices_name, allow_blank=True)
        dv.showErrorMessage = True
        if open_choice:
            # Other text is allowed: Excel only asks whether the value is meant.
            dv.errorStyle = "information"
            dv.errorTitle = "Waarde niet in de lijst"
            dv.error = "Deze waarde staat niet in de keuzelijst. Klik OK om hem toch te gebruiken."
        else:
            dv.errorStyle = "stop"
            dv.errorTitle = "Ongeldige keuze"
            dv.error = "Kies een waarde uit de keuzelijst."
    elif kind == "number":
        dv = DataValidation(type="decimal", operator="between", formula1="0", formula2="40", allow_blank=True)
        dv.showErrorMessage = True
        dv.errorStyle = "stop"
        dv.errorTitle = "Ongeldig getal"
        dv.error = "Vul een aantal uren per week in (0 tot 40), of laat de cel leeg voor de norm."
    elif kind == "email":
        dv = DataValidation(type="custom", formula1=f'ISNUMBER(FIND("@",{first_cell}))', allow_blank=True)
        dv.showErrorMessage = True
        dv.errorStyle = "warning"
        dv.errorTitle = "E-mailadres"
        dv.error = "Dit lijkt geen e-mailadres (naam@organisatie.nl). Toch gebruiken?"
    else:
        # Dates included: text such as "Q3 2031" must stay possible, so only the input message.
        dv = DataValidation(type=None, allow_blank=True)
        dv.showErrorMessage = False
    dv.showInputMessage = True
    dv.promptTitle = title
    dv.prompt = prompt
    return dv


def build_fiche_workbook(
    fiche_type: str,
    velden: Mapping[str, Any] | None = None,
    tabellen: Mapping[str, Sequence[Mapping[str, Any]]] | None = None,
    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD,
    template_versie: str = S.TEMPLATE_VERSION,
) -> Workbook:
    """A fiche workbook of `fiche_type`, optionally filled with field values and table rows."""
    schema = S.schema_for(fiche_type)
    velden = velden or {}
    tabellen = tabellen or {}
    wb = Workbook()
    props = wb.properties
    props.creator = MAKER
    props.lastModifiedBy = MAKER
    props.created = VASTE_DATUM
    props.modified = VASTE_DATUM
    props.title = f"pMIEK {schema.title}"
    lists = _choice_lists(schema)

    ws = wb.active
    ws.title = FICHE_SHEET
    hulp = _start_rekenhulp(wb)
    projectnaam = velden.get("projectnaam")
    _build_fiche_sheet(wb, ws, hulp, schema, velden, lists, nabij_maanden, template_versie)
    lo, hi = (f"reken_{schema.window_keys[0]}", f"reken_{schema.window_keys[1]}")
    for table in schema.tables:
        _build_table_sheet(wb, hulp, table, list(tabellen.get(table.key, [])), lo, hi, lists, template_versie,
                           projectnaam)
    _build_lijsten(wb, lists)
    # Rekenhulp goes last: the visible sheets and Lijsten keep their places.
    wb.move_sheet(hulp, offset=len(wb.sheetnames) - 1 - wb.index(hulp))
    _protect(hulp)
    wb.active = 0
    return wb


def _build_fiche_sheet(wb: Workbook, ws, hulp, schema: S.FicheSchema, velden: Mapping[str, Any],
                       lists: dict[tuple[str, ...], str], nabij_maanden: int, template_versie: str) -> None:
    woord = "inbedrijfname" if schema.fiche_type == "concreet" else "oplevering"
    ws["A1"] = f"pMIEK {schema.title}"
    ws["A1"].font = Font(size=16, bold=True)
    ws["C1"] = ("Vul de gele cellen in; velden met * zijn verplicht. De uitleg per veld staat in deze kolom "
                "en verschijnt ook als u de cel selecteert.")
    ws["C1"].font = HELP_FONT
    ws["C1"].alignment = Alignment(wrap_text=True, vertical="top")
    ws["A2"] = "Templateversie"
    ws["B2"] = template_versie
    ws["B2"].data_type = "s"
    ws["B2"].alignment = Alignment(horizontal="left")
    ws["C2"] = schema.fiche_type
    ws["C2"].font = HELP_FONT
    _add_name(wb, S.NAAM_TEMPLATE_VERSIE, FICHE_SHEET, "B2")
    _add_name(wb, S.NAAM_FICHE_TYPE, FICHE_SHEET, "C2")
    ws["A3"] = "Nabij ondergrens (maanden)"
    ws["B3"] = nabij_maanden
    ws["B3"].alignment = Alignment(horizontal="left")
    ws["C3"] = (f"Instelling van de provincie: een {woord} tot zoveel maanden na de ondergrens telt als "
                "'nabij de ondergrens' (Op planning).")
    _add_name(wb, S.NAAM_NABIJ_MAANDEN, FICHE_SHEET, "B3")
    ws["A4"] = "Stoplicht project"
    ws["A4"].font = Font(bold=True, size=12)
    ws["C4"] = (f"Berekend uit de prognose van de {woord} en het venster ondergrens-bovengrens; "
                "zie de legenda onderaan.")
    for ref in ("C3", "C4"):
        ws[ref].font = HELP_FONT
        ws[ref].alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[3].height = 15 * _lines(ws["C3"].value, HELP_WIDTH)
    ws.column_dimensions["A"].width = LABEL_WIDTH
    ws.column_dimensions["B"].width = INPUT_WIDTH
    ws.column_dimensions["C"].width = HELP_WIDTH
    ws.row_dimensions[1].height = 30

    row = FIELD_FIRST_ROW
    hulp_row = REKENHULP_FICHE_ROW
    for f in schema.fields:
        if f.key in schema.window_keys:
            hulp.cell(row=hulp_row, column=1, value=f.label)
            result = _hulpcellen(hulp, _absolute(FICHE_SHEET, f"B{row}"), hulp_row, REKENHULP_FICHE_COL, f.bound)
            wb.defined_names[f"reken_{f.key}"] = DefinedName(f"reken_{f.key}", attr_text=result)
            hulp_row += 1
        row = _field_row(wb, ws, row, f, velden.get(f.key), lists)
        if f.key == "gemeente":
            row = _energiecluster_row(wb, ws, row)

    lo, hi, prog, real = schema.window_keys
    reken = {k: f"reken_{k}" for k in (lo, hi, prog, real)}
    ws["B4"] = excel_project_stoplicht(reken[prog], reken[lo], reken[hi], reken[real], S.NAAM_NABIJ_MAANDEN)
    ws["B4"].font = Font(bold=True, size=12)
    ws["B4"].border = RAND
    ws.row_dimensions[4].height = max(22, 15 * _lines(ws["C4"].value, HELP_WIDTH))
    _add_name(wb, S.NAAM_STOPLICHT, FICHE_SHEET, "B4")
    _stoplicht_rules(ws, "B4", "$B$4")

    row = _legend(ws, row + 1, woord)
    _print_layout(ws, f"A1:C{row - 1}", landscape=False, title_rows="1:4")
    _header_footer(ws, str(velden.get("projectnaam") or f"pMIEK {schema.title}"), template_versie)
    ws.freeze_panes = f"A{FIELD_FIRST_ROW}"
    _protect(ws)


def _field_row(wb: Workbook, ws, row: int, f: S.Field, value: Any, lists: dict[tuple[str, ...], str]) -> int:
    label = ws.cell(row=row, column=1, value=f.label + (" *" if f.required else ""))
    label.font = Font(bold=f.required)
    label.alignment = Alignment(wrap_text=True, vertical="top")
    cell = ws.cell(row=row, column=2)
    _write_value(cell, value, f.type)
    cell.fill = INVOER_FILL
    cell.border = RAND
    cell.protection = ONTGRENDELD
    cell.alignment = Alignment(wrap_text=f.type == "longtext", vertical="top", horizontal="left")
    if f.type == "date":
        cell.number_format = INVOER_DATUM_FORMAT
    help_cell = ws.cell(row=row, column=3, value=f.help or None)
    help_cell.font = HELP_FONT
    help_cell.alignment = Alignment(wrap_text=True, vertical="top")
    _add_name(wb, f.name, FICHE_SHEET, cell.coordinate)
    dv = _validation(f.type, f.label, f.help, lists.get(f.choices), f.open_choice, cell.coordinate)
    dv.add(cell.coordinate)
    ws.add_data_validation(dv)
    lines = max(_lines(f.help, HELP_WIDTH), _lines(value, INPUT_WIDTH) if f.type == "longtext" and value else 1,
                3 if f.type == "longtext" else 1, _lines(f.label, LABEL_WIDTH))
    ws.row_dimensions[row].height = 15 * lines
    return row + 1


def _energiecluster_row(wb: Workbook, ws, row: int) -> int:
    ws.cell(row=row, column=1, value="Energiecluster (afgeleid)").alignment = Alignment(vertical="top")
    cell = ws.cell(row=row, column=2)
    cell.value = f'=IFERROR(VLOOKUP({S.CONCREET.field("gemeente").name},lijst_energieclusters,2,FALSE),"")'
    cell.fill = AFGELEID_FILL
    cell.border = RAND
    cell.alignment = Alignment(horizontal="left", vertical="top")
    clusters = "; ".join(
        f"{letter}: " + ", ".join(g for g, c in S.ENERGIECLUSTERS.items() if c == letter)
        for letter in sorted(set(S.ENERGIECLUSTERS.values())))
    help_cell = ws.cell(row=row, column=3, value=f"Volgt uit de gemeente. {clusters}.")
    help_cell.font = HELP_FONT
    help_cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.row_dimensions[row].height = 15 * _lines(help_cell.value, HELP_WIDTH)
    _add_name(wb, NAAM_ENERGIECLUSTER, FICHE_SHEET, cell.coordinate)
    return row + 1


def legenda(woord: str = "inbedrijfname") -> list[tuple[Stoplicht, str]]:
    """The colour legend (figure 8 of the Uitvoeringsagenda) for the word `woord`."""
    return [
        (Stoplicht.OP_PLANNING, f"Huidige voortgang resulteert in {woord} nabij ondergrens."),
        (Stoplicht.RISICO, f"Huidige voortgang resulteert in {woord} tussen ondergrens en bovengrens."),
        (Stoplicht.VERTRAAGD, f"Huidige voortgang resulteert in {woord} buiten de bovengrens."),
        (Stoplicht.ONBEKEND, "Gegevens ontbreken of zijn geen datum; vul ze aan."),
        (Stoplicht.GEREALISEERD, f"De {woord} heeft plaatsgevonden."),
    ]


def _legend(ws, row: int, woord: str) -> int:
    ws.cell(row=row, column=1, value="Legenda stoplicht").font = Font(bold=True, size=12)
    row += 1
    for light, text in legenda(woord):
        cell = ws.cell(row=row, column=1, value=light.value)
        cell.fill = PatternFill("solid", start_color=light.kleur, end_color=light.kleur)
        cell.font = Font(bold=True, color=TEKSTKLEUREN[light])
        cell.border = RAND
        cell.alignment = Alignment(vertical="center")
        ws.cell(row=row, column=2, value=text).alignment = Alignment(wrap_text=True, vertical="center")
        ws.row_dimensions[row].height = 15 * _lines(text, INPUT_WIDTH)
        row += 1
    ws.cell(row=row, column=2, value=(
        "Een mijlpaal telt de vertraging (prognose of gereed min gepland) op bij de ondergrens en "
        "krijgt zo dezelfde kleuren.")).alignment = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=row, column=2).font = HELP_FONT
    ws.row_dimensions[row].height = 30
    return row + 1


def _build_table_sheet(wb: Workbook, hulp, table: S.Table, rows: list[Mapping[str, Any]], lo: str, hi: str,
                       lists: dict[tuple[str, ...], str], template_versie: str, projectnaam: Any) -> None:
    ws = wb.create_sheet(table.label[:31])
    ws["A1"] = table.label
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = table.help
    ws["A2"].font = HELP_FONT
    header = TABLE_HEADER_ROW
    n_rows = max(table.rows, len(rows))
    first, last = header + 1, header + n_rows
    col_letter = {col.key: get_column_letter(j) for j, col in enumerate(table.columns, start=1)}

    for j, col in enumerate(table.columns, start=1):
        letter = get_column_letter(j)
        ws.cell(row=header, column=j, value=col.label).font = Font(bold=True)
        ws.column_dimensions[letter].width = col.width
        if col.type != "derived":
            dv = _validation(col.type, col.label, col.help, lists.get(col.choices), col.open_choice,
                             f"{letter}{first}")
            dv.add(f"{letter}{first}:{letter}{last}")
            ws.add_data_validation(dv)

    for i in range(n_rows):
        r = first + i
        data = rows[i] if i < len(rows) else {}
        for j, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=r, column=j)
            # Table styles are not rendered everywhere (LibreOffice, some print paths): a light grid.
            cell.border = RAND
            if col.type == "derived":
                continue
            _write_value(cell, data.get(col.key), col.type)
            cell.protection = ONTGRENDELD
            cell.alignment = Alignment(wrap_text=col.type == "longtext", vertical="top")
            if col.type == "date":
                cell.number_format = INVOER_DATUM_FORMAT
        # Wrapped text only shows (and prints) whole when the row is tall enough for it.
        regels = max((_lines(data.get(col.key), col.width) for col in table.columns
                      if col.type == "longtext" and data.get(col.key)), default=1)
        if regels > 1:
            ws.row_dimensions[r].height = 15 * regels
        if table.key == "mijlpalen":
            # Helper cells on Rekenhulp, same row number: each typed date as parse_datum reads it.
            c, h = col_letter, {}
            hulp.cell(row=r, column=REKENHULP_MIJLPAAL_COL - 1, value=r)
            for k, key in enumerate(("gepland", "prognose", "gereed")):
                h[key] = _hulpcellen(hulp, _absolute(ws.title, f"{c[key]}{r}"), r,
                                     REKENHULP_MIJLPAAL_COL + k * len(DATUM_HULPCELLEN), table.column(key).bound)
            licht = excel_mijlpaal_stoplicht(h["gepland"], h["prognose"], h["gereed"], lo, hi, S.NAAM_NABIJ_MAANDEN)
            # An empty row is no milestone (the reader skips it too): no light rather than a wall of Onbekend.
            laatste_invoer = max(j for j, col in enumerate(table.columns, start=1) if col.type != "derived")
            invoer = f"$A{r}:${get_column_letter(laatste_invoer)}{r}"
            ws[f"{c['stoplicht']}{r}"] = f'=IF(COUNTA({invoer})=0,"",{licht[1:]})'
    last_col = get_column_letter(len(table.columns))
    xl_table = XlTable(displayName=table.name, ref=f"A{header}:{last_col}{last}")
    xl_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(xl_table)
    if table.key == "mijlpalen":
        for key in ("stoplicht", "stoplicht_handmatig"):
            c = col_letter[key]
            _stoplicht_rules(ws, f"{c}{first}:{c}{last}", f"${c}{first}")
    ws.freeze_panes = f"A{first}"
    _print_layout(ws, f"A1:{last_col}{last}", landscape=True, title_rows=f"{header}:{header}")
    _header_footer(ws, str(projectnaam or "pMIEK projectfiche"), template_versie)
    _protect(ws)


# --- Writing files -----------------------------------------------------------------------------

_MODIFIED = re.compile(rb"<dcterms:modified([^>]*)>[^<]*</dcterms:modified>")


def maak_deterministisch(path: str | Path) -> None:
    """Rewrite a saved .xlsx so that the same content gives the same bytes: fixed modified time in
    docProps/core.xml (openpyxl stamps the save time) and fixed zip member timestamps."""
    path = Path(path)
    stamp = VASTE_DATUM.strftime("%Y-%m-%dT%H:%M:%SZ").encode()

    def vast_tijdstip(core: bytes) -> bytes:
        return _MODIFIED.sub(rb"<dcterms:modified\1>" + stamp + rb"</dcterms:modified>", core)

    path.write_bytes(ooxml.herschrijf(path, {"docProps/core.xml": vast_tijdstip}))


def write_fiche(path: str | Path, fiche_type: str, velden=None, tabellen=None, **kwargs) -> Path:
    """Write a (filled) fiche workbook to `path`."""
    path = Path(path)
    build_fiche_workbook(fiche_type, velden, tabellen, **kwargs).save(path)
    maak_deterministisch(path)
    return path


def template_bestandsnaam(fiche_type: str) -> str:
    return f"pmiek-fiche-{fiche_type}.xlsx"


def write_template(fiche_type: str, out_dir: str | Path) -> Path:
    """Write the empty template of `fiche_type` into `out_dir`; returns its path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return write_fiche(out_dir / template_bestandsnaam(fiche_type), fiche_type)
