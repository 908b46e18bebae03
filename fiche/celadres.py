"""Cell addresses ("B6", "$A$3:$I$23") as numbers and back, with the standard library only.

The one helper for the reader, the colour plan, the coloured copy and the add-in. It replaces
openpyxl's `get_column_letter` and `range_boundaries` so the xlwings Lite path does not import
openpyxl (seconds of start-up in Pyodide, and a download from PyPI); tests/test_celadres.py
holds it to openpyxl's results.
"""

from __future__ import annotations

import functools
import re

_CEL = re.compile(r"^\$?([A-Za-z]{1,3})\$?(\d+)$")
# A cell, a range of cells, columns ("A:C") or rows ("3:5"), each side optionally absolute: the
# same expression as openpyxl's, so both accept and refuse the same references.
_BEREIK = re.compile(r"^[$]?([A-Za-z]{1,3})?[$]?(\d+)?(:[$]?([A-Za-z]{1,3})?[$]?(\d+)?)?$")


def kolom_nummer(letters: str) -> int:
    """'A' -> 1, 'XFD' -> 16384."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ord(ch) - 64)
    return n


def kolom_letters(n: int) -> str:
    """1 -> 'A', 16384 -> 'XFD' (openpyxl's get_column_letter; ValueError outside 1..18278)."""
    if not 1 <= n <= 18278:
        raise ValueError(f"invalid column index {n}")
    out = ""
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def cel_coord(cel: str) -> tuple[int, int]:
    """'B6' or '$B$6' as (row, column), 1-based."""
    m = _CEL.match(cel.strip())
    if not m:
        raise ValueError(f"not a cell reference: {cel!r}")
    return int(m[2]), kolom_nummer(m[1])


def bereik_coords(ref: str) -> tuple[int, int, int, int]:
    """'A3:I23' (or one cell) as (first_row, first_col, last_row, last_col)."""
    parts = ref.replace("$", "").split(":")
    r1, c1 = cel_coord(parts[0])
    r2, c2 = cel_coord(parts[-1])
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@functools.lru_cache(maxsize=4096)  # every fiche of a template has the same names and tables
def range_boundaries(ref: str) -> tuple[int | None, int | None, int | None, int | None]:
    """(min_col, min_row, max_col, max_row) of 'A1:B2', 'B6', 'A:C' or '3:5', exactly as openpyxl's
    function of that name: whole columns or rows leave the row or column bounds None, the order
    of the two corners is kept as written; ValueError when `ref` is not a reference."""
    m = _BEREIK.match(ref)
    if not m:
        raise ValueError(f"{ref} is not a valid coordinate or range")
    k1, r1, scheiding, k2, r2 = m.groups()
    if scheiding:
        kolommen, rijen = (k1, k2), (r1, r2)
        if not (all(kolommen + rijen) or (all(kolommen) and not any(rijen))
                or (all(rijen) and not any(kolommen))):
            raise ValueError(f"{ref} is not a valid coordinate or range")
    min_col = _kolom_index(k1) if k1 is not None else None
    max_col = _kolom_index(k2) if k2 is not None else min_col
    min_row = int(r1) if r1 is not None else None
    max_row = int(r2) if r2 is not None else min_row
    return min_col, min_row, max_col, max_row


def _kolom_index(letters: str) -> int:
    n = kolom_nummer(letters)
    if not 0 < n < 18279:
        raise ValueError(f"'{letters}' is not a valid column name")
    return n


def cel_grenzen(ref: str) -> tuple[int, int, int, int]:
    """`range_boundaries` of cells only ('B6', 'A3:I23'): TypeError for whole columns or rows
    (the error arithmetic on openpyxl's None bounds used to give), ValueError for no reference."""
    c1, r1, c2, r2 = range_boundaries(ref)
    if c1 is None or r1 is None or c2 is None or r2 is None:
        raise TypeError(f"{ref} is not a range of cells")
    return c1, r1, c2, r2
