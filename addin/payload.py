"""The book payload the xlwings Office.js client (xlwings Lite, xlwings Server) sends, built
from an .xlsx file, so the remote engine can replay a real fiche on any machine.

Used by the tests, the benchmark and for support ("what would the add-in say about this file?").
It mirrors what the client collects: every sheet's values from A1 to the last used cell
(empty cells as "", date-formatted numbers as ISO strings ending in "Z"), the defined names
(`refers_to`, `sheet_index`, unqualified `address`, scope) and each sheet's tables (range,
header row, data body). Formula cells carry their cached results: recalculate a generated file
first (e.g. with LibreOffice) when those matter. Not part of the Lite bundle (it needs
python-calamine and openpyxl, both only on the desktop/server side).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any


def _cel(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%dT00:00:00.000Z")
    if isinstance(value, dt.time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        # JSON from JavaScript has one number type: 3, not 3.0.
        return int(value)
    return value


def payload_uit_bestand(path: str | Path, naam: str | None = None) -> dict:
    """The payload for the workbook at `path` (as if `naam` were open in Excel)."""
    import python_calamine
    from openpyxl import load_workbook
    from xlwings import __version__

    from addin.werkboek import quote_sheet
    from fiche.veilig import vereis_veilige_openpyxl

    vereis_veilige_openpyxl()
    path = Path(path)
    structuur = load_workbook(path)  # names and tables only; values come from calamine
    waarden = python_calamine.CalamineWorkbook.from_path(str(path))
    sheet_namen = structuur.sheetnames
    index = {n: i for i, n in enumerate(sheet_namen)}

    def naam_entry(name: str, dn, scope: str | None) -> dict:
        entry = {"name": name, "refers_to": "=" + dn.attr_text, "type": "Range", "sheet_index": None,
                 "address": None, "scope_sheet_name": scope, "scope_sheet_index": index.get(scope),
                 "book_scope": scope is None}
        if scope is not None:
            # As Office.js reports a sheet-scoped name: qualified with its sheet.
            entry["name"] = f"{quote_sheet(scope)}!{name}"
        dests = list(dn.destinations) if "!" in dn.attr_text else []
        if len(dests) == 1 and dests[0][0] in index:
            sheet, ref = dests[0]
            entry["sheet_index"] = index[sheet]
            entry["address"] = ref.replace("$", "")
        else:
            entry["type"] = "String" if dn.attr_text.startswith('"') else "Formula"
        return entry

    names = [naam_entry(name, dn, None) for name, dn in structuur.defined_names.items()]
    for ws in structuur.worksheets:
        names += [naam_entry(name, dn, ws.title) for name, dn in ws.defined_names.items()]

    sheets = []
    for naam_sheet in sheet_namen:
        ws = structuur[naam_sheet]
        rows = waarden.get_sheet_by_name(naam_sheet).to_python(skip_empty_area=False)
        breedte = max((len(r) for r in rows), default=0)
        values = [[_cel(v) for v in r] + [""] * (breedte - len(r)) for r in rows] or [[]]
        tables = []
        for t in ws.tables.values():
            first, last = t.ref.split(":")
            header_rows = t.headerRowCount if t.headerRowCount is not None else 1
            col1 = "".join(ch for ch in first if ch.isalpha())
            row1 = int("".join(ch for ch in first if ch.isdigit()))
            col2 = "".join(ch for ch in last if ch.isalpha())
            row2 = int("".join(ch for ch in last if ch.isdigit()))
            tables.append({
                "name": t.displayName,
                "range_address": t.ref,
                "header_row_range_address": f"{col1}{row1}:{col2}{row1}" if header_rows else None,
                "data_body_range_address": f"{col1}{row1 + header_rows}:{col2}{row2}",
                "total_row_range_address": None,
                "show_headers": bool(header_rows),
                "show_totals": False,
                "table_style": t.tableStyleInfo.name if t.tableStyleInfo else None,
                "show_autofilter": True,
                "row_count": row2 - row1 + 1,
                "column_count": len(t.tableColumns),
                "columns": [c.name for c in t.tableColumns],
            })
        used = None
        if rows and breedte:
            from openpyxl.utils import get_column_letter
            used = f"A1:{get_column_letter(breedte)}{len(rows)}"
        sheets.append({
            "name": naam_sheet,
            "visibility": "Visible" if ws.sheet_state == "visible" else "Hidden",
            "values": values,
            "used_range_address": used,
            "pictures": [], "shapes": [], "charts": [], "notes": [], "pivot_tables": [],
            "tables": tables,
            "show_gridlines": True,
            "print_area": None,
        })

    return {
        "client": "Office.js",
        "version": __version__,
        "book": {"name": naam or path.name, "active_sheet_index": 0, "selection": "A1",
                 "calculation": "Automatic"},
        "names": names,
        "sheets": sheets,
    }
