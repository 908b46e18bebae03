"""Writing one validation run's fills into the open workbook through xlwings, in few calls.

Which cell gets which fill is decided in the core (`fiche.kleurplan`, shared with the coloured copy
of `pmiek validate --colour`); this module only writes that plan.

Writing is the costly part, so it never goes cell by cell:
- desktop Excel (COM): one `Range.color` per colour per sheet on a multi-area range
  ("B6,B9:B11,..."), split only where Excel's 255-character address limit forces it;
- the remote engine (xlwings Lite, xlwings Server, the tests): Office.js addresses ranges by
  index and knows no multi-area range, so each sheet gets ONE `Range.set_colors` call on the
  bounding box of its cells (cells we don't own are passed as `...`: left untouched). That is
  fewer writes than one per colour. Engines whose xlwings lacks `set_colors` (before 0.37.5)
  fall back to one write per colour per rectangle of equal colour.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from addin.werkboek import adres
from fiche.celadres import kolom_letters
from fiche.kleurplan import Kleur, Kleurplan

#: Excel's limit on the length of a (multi-area) address passed to Range.
MAX_ADRES = 255


def rechthoeken(cellen: list[tuple[int, int]]) -> list[tuple[int, int, int, int]]:
    """Cells merged into vertical runs per column, then equal runs side by side merged:
    (first_row, first_col, last_row, last_col)."""
    per_kolom: dict[int, list[int]] = defaultdict(list)
    for r, c in cellen:
        per_kolom[c].append(r)
    runs: list[tuple[int, int, int, int]] = []
    for c in sorted(per_kolom):
        rijen = sorted(set(per_kolom[c]))
        start = prev = rijen[0]
        for r in rijen[1:]:
            if r != prev + 1:
                runs.append((start, c, prev, c))
                start = r
            prev = r
        runs.append((start, c, prev, c))
    # Join a run with the identical run in the next column (e.g. a whole table row).
    samen: list[tuple[int, int, int, int]] = []
    for r1, c1, r2, c2 in runs:
        for i, (s1, d1, s2, d2) in enumerate(samen):
            if s1 == r1 and s2 == r2 and d2 + 1 == c1:
                samen[i] = (s1, d1, s2, c2)
                break
        else:
            samen.append((r1, c1, r2, c2))
    return sorted(samen)


def _adres_van(r1: int, c1: int, r2: int, c2: int) -> str:
    if (r1, c1) == (r2, c2):
        return adres(r1, c1)
    return f"{kolom_letters(c1)}{r1}:{kolom_letters(c2)}{r2}"


def multi_area_adressen(cellen: list[tuple[int, int]], max_lengte: int = MAX_ADRES) -> list[str]:
    """Multi-area addresses ("B6,B9:B11") covering `cellen`, each at most `max_lengte` long."""
    adressen: list[str] = []
    huidig = ""
    for rect in rechthoeken(cellen):
        stuk = _adres_van(*rect)
        if huidig and len(huidig) + 1 + len(stuk) > max_lengte:
            adressen.append(huidig)
            huidig = stuk
        else:
            huidig = f"{huidig},{stuk}" if huidig else stuk
    if huidig:
        adressen.append(huidig)
    return adressen


def _hex(kleur: Kleur) -> str | None:
    return None if kleur is None else "#" + kleur.upper()


def is_remote(book) -> bool:
    """False only for desktop Excel (COM/AppleScript), the one engine with multi-area ranges.

    xlwings Lite, xlwings Server and the tests all address ranges by index (Office.js), whatever
    the engine calls itself; an engine that cannot tell gets that path too, which works anywhere.
    """
    try:
        return book.app.engine.type != "desktop"
    except Exception:
        return True


def schrijf(book, plan: Kleurplan) -> int:
    """Apply the plan to the workbook; returns the number of colour writes made."""
    remote = is_remote(book)
    schrijfacties = 0
    for sheet_naam, cellen in plan.cellen.items():
        if not cellen:
            continue
        sheet = book.sheets[sheet_naam]
        if remote and hasattr(sheet.range("A1"), "set_colors"):
            rows = [r for r, _ in cellen]
            cols = [c for _, c in cellen]
            r1, r2, c1, c2 = min(rows), max(rows), min(cols), max(cols)
            # Ellipsis leaves a cell as it is (set_colors skips it).
            matrix: list[list[Any]] = [[...] * (c2 - c1 + 1) for _ in range(r2 - r1 + 1)]
            for (r, c), kleur in cellen.items():
                matrix[r - r1][c - c1] = _hex(kleur)
            sheet.range((r1, c1), (r2, c2)).set_colors(matrix)
            schrijfacties += 1
            continue
        for kleur, groep in sorted(plan.per_kleur(sheet_naam).items(), key=lambda kv: kv[0] or ""):
            if remote:
                # No multi-area ranges on Office.js: one write per rectangle of this colour.
                for rect in rechthoeken(groep):
                    sheet.range(rect[:2], rect[2:]).color = _hex(kleur)
                    schrijfacties += 1
            else:
                for address in multi_area_adressen(groep):
                    sheet.range(address).color = _hex(kleur)
                    schrijfacties += 1
    return schrijfacties
