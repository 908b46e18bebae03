"""Generates the fiche workbooks: the empty templates and filled copies (demo data, tests).

Layout: sheet `Fiche` holds one labelled input cell per schema field, the project stoplicht and
the template stamp; each schema table is a real Excel table on a sheet of its own. Every input
cell is a workbook-scoped defined name from the schema; the reader only ever relies on those
names and the table names, never on positions.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Mapping, Sequence

from openpyxl import Workbook
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table as XlTable, TableStyleInfo

from fiche import schema as S
from fiche.stoplicht import (
    KLEUREN, NABIJ_MAANDEN_STANDAARD, TEKSTKLEUREN, Stoplicht, excel_mijlpaal_stoplicht, excel_project_stoplicht,
)

FICHE_SHEET = "Fiche"
DATE_FORMAT = "d-m-yyyy"
FIELD_FIRST_ROW = 6
TABLE_HEADER_ROW = 3


def _absolute(sheet: str, cell: str) -> str:
    col = "".join(c for c in cell if c.isalpha())
    row = "".join(c for c in cell if c.isdigit())
    return f"{quote_sheetname(sheet)}!${col}${row}"


def _add_name(wb: Workbook, name: str, sheet: str, cell: str) -> None:
    wb.defined_names[name] = DefinedName(name, attr_text=_absolute(sheet, cell))


def _stoplicht_rules(ws, ref: str, first_cell: str) -> None:
    """Conditional fills on cells holding a stoplicht label (computed by formula)."""
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
    cell.value = value
    if isinstance(value, str):
        # Text from a user is text, never a formula.
        cell.data_type = "s"
    if kind == "date" or isinstance(value, (dt.date, dt.datetime)):
        cell.number_format = DATE_FORMAT


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
    ws = wb.active
    ws.title = FICHE_SHEET
    ws["A1"] = f"pMIEK {schema.title}"
    ws["A1"].font = Font(size=16, bold=True)
    ws["A2"] = "Templateversie"
    ws["B2"] = template_versie
    ws["B2"].data_type = "s"
    ws["C2"] = fiche_type
    _add_name(wb, S.NAAM_TEMPLATE_VERSIE, FICHE_SHEET, "B2")
    _add_name(wb, S.NAAM_FICHE_TYPE, FICHE_SHEET, "C2")
    ws["A3"] = "Nabij ondergrens (maanden)"
    ws["B3"] = nabij_maanden
    _add_name(wb, S.NAAM_NABIJ_MAANDEN, FICHE_SHEET, "B3")
    ws["A4"] = "Stoplicht project"
    ws["A4"].font = Font(bold=True)
    ws.column_dimensions["A"].width = 44
    ws.column_dimensions["B"].width = 60

    row = FIELD_FIRST_ROW
    for f in schema.fields:
        ws.cell(row=row, column=1, value=f.label + (" *" if f.required else "")).font = Font(bold=f.required)
        cell = ws.cell(row=row, column=2)
        _write_value(cell, velden.get(f.key), f.type)
        if f.type == "date":
            cell.number_format = DATE_FORMAT
        if f.type == "longtext":
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        _add_name(wb, f.name, FICHE_SHEET, cell.coordinate)
        row += 1

    lo, hi, prog, real = (S.CONCREET if fiche_type == "concreet" else S.VERKENNING).window_keys
    names = {k: schema.field(k).name for k in (lo, hi, prog, real)}
    ws["B4"] = excel_project_stoplicht(names[prog], names[lo], names[hi], names[real], S.NAAM_NABIJ_MAANDEN)
    _add_name(wb, S.NAAM_STOPLICHT, FICHE_SHEET, "B4")
    _stoplicht_rules(ws, "B4", "$B$4")

    for table in schema.tables:
        _build_table_sheet(wb, table, list(tabellen.get(table.key, [])), names[lo], names[hi])
    return wb


def _build_table_sheet(wb: Workbook, table: S.Table, rows: list[Mapping[str, Any]], lo: str, hi: str) -> None:
    ws = wb.create_sheet(table.label[:31])
    ws["A1"] = table.label
    ws["A1"].font = Font(size=14, bold=True)
    ws["A2"] = table.help
    header = TABLE_HEADER_ROW
    for j, col in enumerate(table.columns, start=1):
        ws.cell(row=header, column=j, value=col.label).font = Font(bold=True)
        ws.column_dimensions[get_column_letter(j)].width = col.width
    n_rows = max(table.rows, len(rows))
    col_letter = {col.key: get_column_letter(j) for j, col in enumerate(table.columns, start=1)}
    for i in range(n_rows):
        r = header + 1 + i
        data = rows[i] if i < len(rows) else {}
        for j, col in enumerate(table.columns, start=1):
            cell = ws.cell(row=r, column=j)
            if col.type == "derived":
                continue
            _write_value(cell, data.get(col.key), col.type)
            if col.type == "date":
                cell.number_format = DATE_FORMAT
        if table.key == "mijlpalen":
            c = col_letter
            ws[f"{c['stoplicht']}{r}"] = excel_mijlpaal_stoplicht(
                f"${c['gepland']}{r}", f"${c['prognose']}{r}", f"${c['gereed']}{r}", lo, hi, S.NAAM_NABIJ_MAANDEN,
            )
    last = header + n_rows
    ref = f"A{header}:{get_column_letter(len(table.columns))}{last}"
    xl_table = XlTable(displayName=table.name, ref=ref)
    xl_table.tableStyleInfo = TableStyleInfo(name="TableStyleLight9", showRowStripes=True)
    ws.add_table(xl_table)
    if table.key == "mijlpalen":
        c = col_letter["stoplicht"]
        _stoplicht_rules(ws, f"{c}{header + 1}:{c}{last}", f"${c}{header + 1}")


def write_fiche(path: str | Path, fiche_type: str, velden=None, tabellen=None, **kwargs) -> Path:
    """Write a (filled) fiche workbook to `path`."""
    path = Path(path)
    build_fiche_workbook(fiche_type, velden, tabellen, **kwargs).save(path)
    return path
