"""The grid a sheet asks the spreadsheet engine for, bounded before the engine reads the sheet.

python-calamine aborts the whole process (no Python exception) when it cannot allocate the grid a
sheet's cell positions ask for, so the reader calls `controleer_blad` for each sheet it opens, after
`fiche.veilig.controleer_archief` passed the file, and this module refuses a sheet whose grid would
be larger than `fiche.veilig.MAX_ROOSTER` cells or `MAX_RIJ` rows (`FileRefused`, reason
"zip_bom", a Dutch message naming the sheet, an English log line).
"""

from __future__ import annotations

import re
import zipfile

from fiche.errors import FileRefused
from fiche.veilig import (
    MAX_RIJ,
    MAX_ROOSTER,
    GecontroleerdArchief,
    _Gelogen,
    _Klaar,
    _pak_uit,
    _parse,
    _weiger,
    _weiger_gelogen,
)

# python-calamine builds one grid per sheet: from its first to its last non-empty cell, and the
# reader's `to_python(skip_empty_area=False)` a second one from A1 to the last row and column.
# What it allocates follows from the cell positions as the engine itself computes them, so that
# is what is bounded here, measured against python-calamine 0.9.1 (calamine 0.37) in a child
# process under RLIMIT_AS:
# - a reference is read right to left in 32-bit arithmetic that wraps: digits make the row,
#   letters of either case the column (`xfd1048576` is XFD1048576, `A0001048576` is row
#   1048576, `A4294967297` wraps to row 1); `$` or anything else makes the engine raise;
# - a cell without `r` sits in the column after the previous cell of its row, on the row of
#   the last `<row r>` plus one per `</row>` since (a row without `r` is the previous row plus
#   one, also `<row/>`); a cell's own `r` sets its row and column but not the row counter;
# - elements count by local name (`x:c` is a cell), attributes only as plain `r`;
# - only cells with a value count; `<c r="XFD1048576"/>` costs nothing. Here every cell with a
#   child element counts (a formula without a value too): an upper bound;
# - `<dimension ref>` only sizes a reservation the engine caps itself, merged cells are not read
#   by the reader: both are ignored; only the first `<sheetData>` is read.
# Ordinary sheets (every cell written as `<c r="B12"`, as Excel, LibreOffice and openpyxl write
# them) are bounded by a few regular-expression passes in C; anything else is replayed exactly
# by a streaming expat parse with the engine's own counting, memory flat whatever the part's size.

_M32 = 0xFFFF_FFFF
#: A sheet the reader opens is parsed once more here: beyond this it is no fiche (a fiche sheet
#: is about 25 KB unpacked) and the parse alone would take too long.
MAX_BLAD = 25 * 1024 * 1024
#: Sheets up to this size are inflated whole for the quick bound; larger ones only in pieces.
MAX_SNEL = 8 * 1024 * 1024

# Every place a cell element can start: `<c`, then whitespace, `/` or `>` (each pattern starts with
# a literal, which `re` searches fast); a prefixed cell (`:c`) sends the sheet to the full scan.
_CEL_VOORVOEGSEL = re.compile(rb":c[\s/>]")
# ... read in one pass with the ordinary form: `r` first, an uppercase column of 1-3 letters, a row
# without leading zeros of at most 7 digits (no arithmetic can wrap); any other cell matches the
# second branch, with empty groups.
_CEL = re.compile(rb'<c(?:[\t\n\r ]+r="([A-Z]{1,3})([1-9][0-9]{0,6})"|[\s/>])')


def _kolomnummer(letters: bytes) -> int:
    n = 0
    for b in letters:
        n = n * 26 + (b - 64)
    return n


def _positie(ref: str) -> tuple[int, int | None] | None:
    """(row, column), 0-based, as the engine computes them from a reference (`column` None when it
    has no letters); None where the engine raises instead. The engine's own algorithm, 32-bit
    wrapping included, so that a reference it understands is never judged by another rule."""
    rij = kol = 0
    macht = 1
    in_rij = True
    for teken in reversed(ref):
        o = ord(teken)
        if 48 <= o <= 57:
            if not in_rij:
                return None
            rij = (rij + (o - 48) * macht) & _M32
            macht = (macht * 10) & _M32
        elif 65 <= o <= 90 or 97 <= o <= 122:
            if in_rij:
                if rij == 0:
                    return None
                macht = 1
                in_rij = False
            kol = (kol + ((o & ~32) - 64) * macht) & _M32
            macht = (macht * 26) & _M32
        else:
            return None
    if rij == 0:
        return None
    return rij - 1, (kol - 1 if kol else None)


class _Structuur(Exception):
    """A row or cell inside a cell: no writer makes that, and the engine's reading of it is not
    worth predicting."""


class _Rooster:
    """The engine's walk over a sheet's XML, replayed from expat events: the position of every
    cell as it counts them, and the largest row and column with a value."""

    def __init__(self) -> None:
        self.fase = 0  # 0 before <sheetData>, 1 inside it
        self.rij = 0  # the engine's row counter
        self.kol = 0  # the engine's column counter
        self.diepte = 0  # > 0 inside a cell
        self.cel = (0, 0)
        self.waarde = False
        self.max_rij = -1
        self.max_kol = -1
        self.cellen = 0

    def start(self, naam: str, attrs: dict[str, str]) -> None:
        lokaal = naam.split(":", 1)[-1]
        if self.fase == 0:
            if lokaal == "sheetData":
                self.fase = 1
            return
        if self.diepte:
            if lokaal in ("c", "row", "sheetData"):
                raise _Structuur(naam)
            self.diepte += 1
            self.waarde = True
            return
        if lokaal == "c":
            r = attrs.get("r")
            if r is None:
                self.cel = (self.rij, self.kol)
            else:
                pos = _positie(r)
                if pos is None or pos[1] is None:
                    raise _Klaar  # the engine raises here, before it allocates any grid
                self.cel = (pos[0], pos[1])
                self.kol = pos[1]
            self.diepte = 1
            self.waarde = False
        elif lokaal == "row":
            r = attrs.get("r")
            if r is not None:
                pos = _positie(r)
                if pos is None:
                    raise _Klaar
                self.rij = pos[0]

    def einde(self, naam: str) -> None:
        if self.fase == 0:
            return
        if self.diepte:
            self.diepte -= 1
            if not self.diepte:
                if self.waarde:
                    self.cellen += 1
                    rij, kol = self.cel
                    if rij > self.max_rij:
                        self.max_rij = rij
                    if kol > self.max_kol:
                        self.max_kol = kol
                    if self.max_rij >= MAX_RIJ or self.cellen > MAX_ROOSTER:
                        raise _Klaar  # already too large: no need to read on
                self.kol = (self.kol + 1) & _M32
            return
        lokaal = naam.split(":", 1)[-1]
        if lokaal == "row":
            self.rij = (self.rij + 1) & _M32
            self.kol = 0
        elif lokaal == "sheetData":
            raise _Klaar


def _snelle_grens(data: bytes) -> tuple[int, int, int] | None:
    """(rows, columns, cells) bounding the grid of a sheet whose every cell is written the
    ordinary way, counted by regular expressions in C; None when any cell is not."""
    if _CEL_VOORVOEGSEL.search(data) or b"\x00" in data:
        return None  # a prefixed cell, or UTF-16 (the patterns read bytes as ASCII): the full scan decides
    refs = _CEL.findall(data)
    if not refs:
        return 0, 0, 0
    if not all(k for k, _ in refs):
        return None
    max_kol = max(_kolomnummer(k) for k in {k for k, _ in refs})
    max_rij = max(map(int, {r for _, r in refs}))
    return max_rij, max_kol, len(refs)


def _zip_leden(archief: GecontroleerdArchief, deel: str) -> list[zipfile.ZipInfo]:
    """The members the engine may open for part `deel`: it matches names ignoring ASCII case."""
    deel = deel.lstrip("/").lower()
    return [i for n, i in archief.leden.items() if n.lower() == deel]


def _varianten(archief: GecontroleerdArchief, naam: str) -> list:
    """Every member named `naam` in any letter case (the engine matches names so), parsed; a member
    the safe-open checks did not keep (another case than the one they look for) is parsed by
    defusedxml, and one that cannot be read is left out (the engine cannot read it either)."""
    from defusedxml.ElementTree import fromstring as veilig_fromstring

    from fiche import ooxml

    uit = []
    for lid, info in archief.leden.items():
        if lid.lower() != naam:
            continue
        try:
            if lid in archief.delen:
                uit.append(ooxml.lees_xml(archief.delen[lid]))
            else:
                uit.append(veilig_fromstring(_pak_uit(archief.inhoud, info)))
        except Exception:  # noqa: BLE001 - malformed, a DTD, damaged deflate data
            continue
    return uit


def _engine_bladen(archief: GecontroleerdArchief) -> dict[str, set[str]]:
    """Sheet name (whitespace compared loosely) -> the worksheet parts the engine may read for
    it, resolved its own way: every `<sheet>` of that name (the engine takes the first, a
    duplicate name counts too), its `r:id` looked up in the workbook's relationships, the target
    put under "xl/" unless it starts with "xl/" or "/xl/" (and also resolved as OOXML says).
    Workbook and relationship parts count in every letter case."""
    from fiche import ooxml

    doelen: dict[str, set[str]] = {}
    for rels in _varianten(archief, "xl/_rels/workbook.xml.rels"):
        for r in rels.iter():
            if isinstance(r.tag, str) and r.tag.rpartition("}")[2] == "Relationship" and r.get("Id") is not None:
                doelen.setdefault(r.get("Id", ""), set()).add(r.get("Target", ""))
    uit: dict[str, set[str]] = {}
    for wb in _varianten(archief, ooxml.WORKBOOK):
        for s in wb.iter():
            if not isinstance(s.tag, str) or s.tag.rpartition("}")[2] != "sheet":
                continue
            delen_blad = uit.setdefault(" ".join((s.get("name") or "").split()), set())
            for sleutel, waarde in s.attrib.items():
                if sleutel.rpartition("}")[2] != "id":
                    continue
                for doel in doelen.get(waarde, ()):
                    delen_blad.add(doel[1:] if doel.startswith("/xl/") else doel if doel.startswith("xl/")
                                   else f"xl/{doel}")
                    delen_blad.add(ooxml.doelpad("xl", doel))
    return uit


def _weiger_rooster(bestand: str, deel: str, blad: str | None, rijen: int, kolommen: int, cellen: int) -> FileRefused:
    werkblad = f"Het werkblad '{blad}'" if blad else "Een werkblad"
    return _weiger(
        "zip_bom", bestand,
        f"{deel} asks for a grid of {rijen} rows x {kolommen} columns ({cellen} cells with a value): grid too large",
        f"{werkblad} bevat een cel ver buiten het gebruikte gebied (bijvoorbeeld helemaal onderaan of "
        "rechts); zo'n blad wordt om veiligheidsredenen niet gelezen. Verwijder die cel of gebruik het "
        "fiche-sjabloon.",
    )


def _controleer_deel(archief: GecontroleerdArchief, info: zipfile.ZipInfo, bestand: str, blad: str | None) -> None:
    deel = info.filename
    werkblad = f"Het werkblad '{blad}'" if blad else "Een werkblad"
    if info.file_size > MAX_BLAD:
        raise _weiger(
            "zip_bom", bestand, f"{deel} unpacks to {info.file_size} bytes > {MAX_BLAD}",
            f"{werkblad} is uitgepakt veel groter dan een fiche ooit wordt "
            f"({info.file_size / (1024 * 1024):.0f} MB) en wordt om veiligheidsredenen niet gelezen.",
        )
    try:
        if info.file_size <= MAX_SNEL:
            data = _pak_uit(archief.inhoud, info)
            grens = _snelle_grens(data)
            if grens is not None and grens[0] <= MAX_RIJ and grens[0] * grens[1] <= MAX_ROOSTER:
                return
        rooster = _Rooster()
        _parse(archief.inhoud, info, rooster.start, rooster.einde)
    except _Gelogen:
        raise _weiger_gelogen(bestand, info) from None
    except _Structuur as exc:
        raise _weiger(
            "beschadigd", bestand, f"{deel}: element {exc} inside a cell",
            f"{werkblad} is beschadigd (een rij of cel binnen een cel). Sla de fiche opnieuw op vanuit Excel.",
        ) from None
    except Exception as exc:  # noqa: BLE001 - expat's ExpatError, zlib.error, a bad header
        raise _weiger(
            "beschadigd", bestand, f"{deel}: {type(exc).__name__}: {exc}",
            f"{werkblad} is beschadigd (ongeldige XML). Sla de fiche opnieuw op vanuit Excel.",
        ) from None
    if rooster.cellen:
        rijen, kolommen = rooster.max_rij + 1, rooster.max_kol + 1
        if rijen > MAX_RIJ or rijen * kolommen > MAX_ROOSTER or rooster.cellen > MAX_ROOSTER:
            raise _weiger_rooster(bestand, deel, blad, rijen, kolommen, rooster.cellen)


def controleer_blad(archief: GecontroleerdArchief, deel: str | None, bestand: str, blad: str | None = None) -> None:
    """Before the engine reads a sheet: refuse it when the grid it would build is larger than
    MAX_ROOSTER cells or MAX_RIJ rows (the engine aborts the whole process when it cannot
    allocate one). `deel` is the sheet's part as the reader resolves it; with the sheet's name
    `blad`, every part the engine itself may resolve that name to is checked too. Only the sheets
    the reader opens are inflated for this, so a large hidden helper sheet costs nothing."""
    namen = {deel} if deel else set()
    if blad is not None:
        if "engine_bladen" not in archief.cache:
            archief.cache["engine_bladen"] = _engine_bladen(archief)
        namen |= archief.cache["engine_bladen"].get(" ".join(blad.split()), set())
    gezien: set[str] = set()
    for naam in sorted(namen):
        for info in _zip_leden(archief, naam):
            if info.filename not in gezien:
                gezien.add(info.filename)
                _controleer_deel(archief, info, bestand, blad)
    # A part that is in no member: the engine will not find it either and says so.
