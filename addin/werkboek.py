"""A fiche workbook as seen through xlwings: the `WerkboekBron` the core reader consumes.

The same class serves every engine (desktop COM, xlwings Lite, the remote engine in tests).
Reads are the expensive part on the desktop (each one is a COM round-trip), so this source
reads each block once: all defined-name cells of a sheet in one bounding range, each Excel
table in one range, and serves every later request for cells inside them from that snapshot.
`leesacties` counts the real reads so tests and the benchmark can hold us to that.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from fiche.celadres import bereik_coords, kolom_letters

log = logging.getLogger("pmiek.addin.werkboek")

__all__ = ["XlwingsBron", "adres", "bereik_coords", "quote_sheet", "splits_verwijzing"]


def adres(rij: int, kolom: int) -> str:
    return f"{kolom_letters(kolom)}{rij}"


def _blok(verwijzing: str) -> tuple[str, str] | None:
    """(sheet, cell or range) of a name that points at one block of cells, else None (#REF!, a
    list of areas, a formula, a constant)."""
    if "!" not in verwijzing or "," in verwijzing:
        return None
    sheet, ref = splits_verwijzing(verwijzing)
    if not sheet:
        return None
    try:
        bereik_coords(ref)  # refuses "" and "#REF!" too
    except ValueError:
        return None
    return sheet, ref


def splits_verwijzing(verwijzing: str) -> tuple[str, str]:
    """"='My sheet'!$B$6" or "Fiche!B6" as (sheet, "B6")."""
    text = verwijzing.strip().lstrip("=")
    sheet, _, ref = text.rpartition("!")
    if sheet.startswith("'") and sheet.endswith("'"):
        sheet = sheet[1:-1].replace("''", "'")
    return sheet, ref.replace("$", "")


def quote_sheet(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


def _absoluut(ref: str) -> str:
    r1, c1, r2, c2 = bereik_coords(ref)
    first = f"${kolom_letters(c1)}${r1}"
    if (r1, c1) == (r2, c2):
        return first
    return f"{first}:${kolom_letters(c2)}${r2}"


def _schoon(value: Any) -> Any:
    # Engines differ only in how they hand over an empty cell and a date; the core wants
    # None for empty and a date for a date cell (a time part never matters in a fiche).
    if isinstance(value, str) and value == "":
        return None
    if isinstance(value, dt.datetime) and value.time() == dt.time(0, 0):
        return value.date()
    return value


#: The largest block of named cells read in one call (a fiche's names span about 40 x 5).
_MAX_LEESBLOK = 20_000


@dataclass
class _Blok:
    sheet: str
    r1: int
    c1: int
    r2: int
    c2: int
    waarden: list[list[Any]] | None = None

    def bevat(self, r1: int, c1: int, r2: int, c2: int) -> bool:
        return self.r1 <= r1 and self.c1 <= c1 and r2 <= self.r2 and c2 <= self.c2


class XlwingsBron:
    """`fiche.reader.WerkboekBron` over an open `xlwings.Book` (any engine)."""

    def __init__(self, book) -> None:
        self.book = book
        self.leesacties = 0
        # Only our own names (pmiek_*): a workbook may carry any other name, a whole column
        # ("Fiche!$A:$A"), a formula or a far-away cell, and none of them is the add-in's business.
        # As in the reader, a sheet-scoped pmiek_ name only fills in when no global one exists.
        globaal: dict[str, str] = {}
        lokaal: dict[str, str] = {}
        # Broken ones (#REF! after a deleted column) are passed on as they are, never read: the
        # validator then says which name broke instead of calling it missing.
        self._verbroken: dict[str, str] = {}
        for name in book.names:
            volledig = name.name
            naam = volledig.rpartition("!")[2]
            if not naam.lower().startswith("pmiek_"):
                continue
            verwijzing = name.refers_to or ""
            plek = _blok(verwijzing)
            if plek is None:
                # not a cell or a block of cells: the validator reports the name as broken
                self._verbroken.setdefault(naam, verwijzing.lstrip("="))
                continue
            sheet, ref = plek
            (lokaal if "!" in volledig else globaal).setdefault(naam, f"{quote_sheet(sheet)}!{_absoluut(ref)}")
        self._namen: dict[str, str] = {**lokaal, **globaal}
        self._tabellen: dict[str, tuple[str, str]] = {}
        self._tabel_body: dict[str, tuple[str, str]] = {}
        for sheet in book.sheets:
            for table in sheet.tables:
                rng = table.range
                if rng is None:
                    continue
                self._tabellen[table.name] = (sheet.name, rng.address.replace("$", ""))
                body = table.data_body_range
                if body is not None:
                    self._tabel_body[table.name] = (sheet.name, body.address.replace("$", ""))
        self._blokken: list[_Blok] = self._maak_blokken()

    def _maak_blokken(self) -> list[_Blok]:
        blokken = []
        per_sheet: dict[str, list[tuple[int, int, int, int]]] = {}
        for verwijzing in self._namen.values():
            sheet, ref = splits_verwijzing(verwijzing)
            per_sheet.setdefault(sheet, []).append(bereik_coords(ref))
        for sheet, coords in per_sheet.items():
            blok = _Blok(sheet, min(c[0] for c in coords), min(c[1] for c in coords),
                         max(c[2] for c in coords), max(c[3] for c in coords))
            # One read per sheet is the point, but not when a name far away would make that one
            # read a huge block: then each name is read on its own.
            if (blok.r2 - blok.r1 + 1) * (blok.c2 - blok.c1 + 1) <= _MAX_LEESBLOK:
                blokken.append(blok)
        for sheet, ref in self._tabellen.values():
            blokken.append(_Blok(sheet, *bereik_coords(ref)))
        return blokken

    # --- WerkboekBron ------------------------------------------------------------------

    def defined_names(self) -> dict[str, str]:
        return {**self._verbroken, **self._namen}

    def tabellen(self) -> dict[str, tuple[str, str]]:
        return dict(self._tabellen)

    def waarden(self, sheet: str, ref: str) -> list[list[Any]]:
        r1, c1, r2, c2 = bereik_coords(ref)
        for blok in self._blokken:
            if blok.sheet.casefold() == sheet.casefold() and blok.bevat(r1, c1, r2, c2):
                if blok.waarden is None:
                    blok.waarden = self._lees(blok.sheet, blok.r1, blok.c1, blok.r2, blok.c2)
                return [row[c1 - blok.c1:c2 - blok.c1 + 1] for row in blok.waarden[r1 - blok.r1:r2 - blok.r1 + 1]]
        return self._lees(sheet, r1, c1, r2, c2)

    # --- for the writer ----------------------------------------------------------------

    def tabel_body(self, tabelnaam: str) -> tuple[str, str] | None:
        """(sheet, "A4:I23") of a table's data rows."""
        return self._tabel_body.get(tabelnaam)

    def _lees(self, sheet: str, r1: int, c1: int, r2: int, c2: int) -> list[list[Any]]:
        self.leesacties += 1
        rng = self.book.sheets[sheet].range((r1, c1), (r2, c2))
        values = rng.options(ndim=2).value
        return [[_schoon(v) for v in row] for row in values]
