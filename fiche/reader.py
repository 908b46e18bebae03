"""Reads a fiche workbook into `FicheData`, relying only on defined names and Excel table names.

Two layers:
- `WerkboekBron`, a small protocol over any open workbook (defined names, tables, cell values),
  and `extraheer`, which turns any `WerkboekBron` into `FicheData`. The file reader below and the
  xlwings add-in (which implements the protocol over a live Excel workbook) share `extraheer`,
  so a fiche means the same in Excel as on the server.
- `lees_fiche`, the file reader: safe-open checks first (`fiche.veilig`), then python-calamine for
  the cell values; defined names and table ranges come from `xl/workbook.xml`, the relationships
  and `xl/tables/*.xml`, read through `fiche.ooxml` (calamine has no API for names, and its table
  API parses every table's data too). Those parts are parsed only after defusedxml has refused
  any DTD in the archive.
  A Strict Open XML workbook (Excel's "Strict Open XML Spreadsheet") is read the same way: `fiche.ooxml`
  matches both namespace spellings, and calamine ignores namespaces. Excel stores a date in a Strict
  workbook as ISO 8601 text (`t="d"`, "2031-03-31T00:00:00") instead of a serial number; calamine
  turns some of those spellings into dates and leaves others text, so in each sheet the reader opens
  those cells are turned into the serial numbers a transitional workbook holds, in an in-memory copy
  (`_iso_datums`), after the sheet passed the grid check.
  The input is only ever read, never saved.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import logging
import re
from pathlib import Path
from typing import Any, Protocol

from fiche import ooxml, schema as S
from fiche.celadres import cel_grenzen, kolom_letters
from fiche.errors import FileRefused
from fiche.model import FicheData, TabelRij
from fiche.rooster import controleer_blad
from fiche.veilig import (
    STANDAARD_LIMIETEN,
    GecontroleerdArchief,
    Limieten,
    controleer_archief,
    vereis_defusedxml,
    weiger_te_groot,
)

log = logging.getLogger("pmiek.fiche.reader")

_REF = re.compile(
    r"^(?:'(?P<q>(?:[^']|'')+)'|(?P<p>[^'!]+))!\$?(?P<c1>[A-Za-z]{1,3})\$?(?P<r1>\d+)"
    r"(?::\$?(?P<c2>[A-Za-z]{1,3})\$?(?P<r2>\d+))?$"
)
_KALE_NAAM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")


class WerkboekBron(Protocol):
    """An open workbook as the fiche reader needs it; implemented over calamine and over xlwings."""

    def defined_names(self) -> dict[str, str]:
        """Workbook-scoped defined names: name -> reference such as "'Fiche'!$B$6"."""

    def tabellen(self) -> dict[str, tuple[str, str]]:
        """Excel tables: table name -> (sheet name, range including the header row, e.g. "A3:I23")."""

    def waarden(self, sheet: str, ref: str) -> list[list[Any]]:
        """Cell values of `ref` on `sheet`, row by row; empty cells are None (or ""). Trailing
        empty rows and columns beyond the sheet's used range may be left out."""


@functools.lru_cache(maxsize=256)
@functools.lru_cache(maxsize=1024)  # every fiche of a template names the same sheets and cells
def sheet_ref(sheet: str) -> str:
    """A sheet name as Excel writes it in a reference: quoted when it needs to be."""
    if _KALE_NAAM.match(sheet):
        return sheet
    return "'" + sheet.replace("'", "''") + "'"


def celadres(sheet: str, cel: str) -> str:
    """The address findings carry: "Fiche!B6", "'Knelpunten en oplossingen'!A4"."""
    return f"{sheet_ref(sheet)}!{cel}"


@functools.lru_cache(maxsize=4096)
def splits_verwijzing(verwijzing: str) -> tuple[str, str] | None:
    """"'Fiche'!$B$6" -> ("Fiche", "B6"); None for a broken (#REF!) or non-range reference."""
    m = _REF.match(verwijzing.strip().lstrip("="))
    if not m:
        return None
    sheet = m["q"].replace("''", "'") if m["q"] is not None else m["p"]
    ref = f"{m['c1'].upper()}{m['r1']}"
    if m["c2"]:
        ref += f":{m['c2'].upper()}{m['r2']}"
    return sheet, ref


def _schoon(waarde: Any) -> Any:
    """Empty text is no value; text loses surrounding blanks."""
    if waarde is None:
        return None
    if isinstance(waarde, str):
        waarde = waarde.strip()
        return waarde or None
    return waarde


def _label(tekst: Any) -> str:
    return " ".join(str(tekst or "").split()).lower()


def _weiger_geen_fiche(naam: str, reden: str) -> FileRefused:
    log.warning("refused file=%r reason=geen_fiche: %s", naam, reden)
    return FileRefused(
        "geen_fiche", f"{naam}: {reden}",
        "Dit werkboek is geen pMIEK-fiche: de vaste celnamen van het fiche-sjabloon ontbreken. "
        "Vul de fiche in op basis van het sjabloon (pmiek template).",
    )


def extraheer(bron: WerkboekBron, naam: str | None = None) -> FicheData:
    """The fiche in any open workbook, found through its defined names and table names."""
    naam = naam or "werkboek"
    namen = bron.defined_names()
    eigen = {n: v for n, v in namen.items() if n.lower().startswith("pmiek_")}
    if not eigen:
        raise _weiger_geen_fiche(naam, "no pmiek_* defined names")
    # Defined names are case-insensitive in Excel.
    op_naam = {n.lower(): v for n, v in eigen.items()}

    gelezen = _lees_namen(bron, op_naam, naam)

    def lees(defined: str) -> tuple[Any, str | None]:
        return gelezen.get(defined.lower(), (None, None))

    type_waarde, type_cel = lees(S.NAAM_FICHE_TYPE)
    fiche_type = _label(type_waarde) or None
    versie, _ = lees(S.NAAM_TEMPLATE_VERSIE)
    if isinstance(versie, float) and versie.is_integer():
        versie = f"{versie:.1f}"
    nabij_waarde, _ = lees(S.NAAM_NABIJ_MAANDEN)
    nabij: int | None = None
    if isinstance(nabij_waarde, (int, float)) and not isinstance(nabij_waarde, bool) \
            and float(nabij_waarde).is_integer():
        nabij = int(nabij_waarde)
    _, stoplicht_cel = lees(S.NAAM_STOPLICHT)

    if fiche_type in S.SCHEMAS:
        schemas = [S.SCHEMAS[fiche_type]]
    else:
        schemas = list(S.SCHEMAS.values())
    velden: dict[str, Any] = {}
    cellen: dict[str, str] = {}
    for schema in schemas:
        for f in schema.fields:
            if f.key in cellen:
                continue
            waarde, cel = lees(f.name)
            if cel is not None:
                velden[f.key] = waarde
                cellen[f.key] = cel

    tabellen: dict[str, list[TabelRij]] = {}
    xl_tabellen = {n.lower(): v for n, v in bron.tabellen().items()}
    gezien: set[str] = set()
    for schema in schemas:
        for table in schema.tables:
            if table.key in gezien:
                continue
            gezien.add(table.key)
            plaats = xl_tabellen.get(table.name.lower())
            if plaats is None:
                continue
            rijen = _lees_tabel(bron, table, *plaats)
            if rijen is not None:
                tabellen[table.key] = rijen

    return FicheData(
        fiche_type=fiche_type,
        template_versie=None if versie is None else str(versie),
        velden=velden,
        cellen=cellen,
        tabellen=tabellen,
        nabij_maanden=nabij,
        stoplicht_cel=stoplicht_cel,
        bron=naam,
        type_verwijzing=op_naam.get(S.NAAM_FICHE_TYPE.lower()),
        type_cel=type_cel,
    )


#: Above this many cells, the named cells of a sheet are read one by one instead of as one block.
_MAX_BLOK = 5000


def _lees_namen(bron: WerkboekBron, op_naam: dict[str, str], naam: str) -> dict[str, tuple[Any, str]]:
    """Value and address of every single-cell name, with one read per sheet (one round trip per
    sheet matters in Excel: the add-in's WerkboekBron talks to a live workbook)."""
    per_blad: dict[str, list[tuple[str, int, int]]] = {}
    for defined, verwijzing in op_naam.items():
        gesplitst = splits_verwijzing(verwijzing)
        if gesplitst is None or ":" in gesplitst[1]:
            log.info("file=%r name=%s has no single-cell reference: %r", naam, defined, verwijzing)
            continue
        sheet, cel = gesplitst
        kolom, rij, _, _ = cel_grenzen(cel)
        per_blad.setdefault(sheet, []).append((defined, rij, kolom))
    uit: dict[str, tuple[Any, str]] = {}
    for sheet, cellen in per_blad.items():
        r0, r1 = min(c[1] for c in cellen), max(c[1] for c in cellen)
        k0, k1 = min(c[2] for c in cellen), max(c[2] for c in cellen)
        try:
            blok = None
            if (r1 - r0 + 1) * (k1 - k0 + 1) <= _MAX_BLOK:
                blok = bron.waarden(sheet, f"{kolom_letters(k0)}{r0}:{kolom_letters(k1)}{r1}")
            for defined, r, k in cellen:
                adres = f"{kolom_letters(k)}{r}"
                if blok is not None:  # trailing empty rows and columns may be cut from the block
                    waarde = blok[r - r0][k - k0] if r - r0 < len(blok) and k - k0 < len(blok[r - r0]) else None
                else:
                    waarde = (bron.waarden(sheet, adres) or [[None]])[0][0]
                uit[defined] = (_schoon(waarde), celadres(sheet, adres))
        except KeyError:  # the names point at a sheet that no longer exists
            log.info("file=%r sheet %r of defined names not found", naam, sheet)
    return uit


def _lees_tabel(bron: WerkboekBron, table: S.Table, sheet: str, ref: str) -> list[TabelRij] | None:
    try:
        min_col, min_row, max_col, max_row = cel_grenzen(ref)
        rijen = bron.waarden(sheet, ref)
    except (KeyError, ValueError, TypeError):
        return None
    if not rijen:
        return []
    kop = [_label(v) for v in rijen[0]]
    # Columns by header label, so a user who moves or adds a column does not shift the data.
    positie: dict[str, int] = {}
    for col in table.columns:
        label = _label(col.label)
        if label in kop:
            positie[col.key] = kop.index(label)
    if not positie:
        positie = {col.key: j for j, col in enumerate(table.columns) if j < len(kop)}
    invoer = [c.key for c in table.columns if c.type != "derived" and c.key in positie]
    # Each column's address up to its row number, once per table rather than once per cell.
    kolommen = [(k, j, celadres(sheet, kolom_letters(min_col + j))) for k, j in positie.items()]
    uit: list[TabelRij] = []
    for i, rij in enumerate(rijen[1:], start=1):
        n = len(rij)
        waarden = {k: _schoon(rij[j]) if j < n else None for k, j, _ in kolommen}
        if all(waarden[k] is None for k in invoer):
            continue
        r = min_row + i
        uit.append(TabelRij(nummer=i, waarden=waarden, cellen={k: f"{adres}{r}" for k, _, adres in kolommen}))
    return uit


class CalamineBron:
    """`WerkboekBron` over a checked xlsx: python-calamine for values and tables, defusedxml for names."""

    def __init__(self, archief: GecontroleerdArchief, naam: str = "werkboek") -> None:
        self.naam = naam
        self._archief = archief
        self._grids: dict[str, list[list[Any]]] = {}
        self._namen: dict[str, str] | None = None
        self._tabellen: dict[str, tuple[str, str]] | None = None
        self._wb_xml = None
        self._blad_delen: dict[str, str] | None = None
        self._strict = (archief.delen.get(ooxml.WORKBOOK, b"").find(b"purl.oclc.org/ooxml/spreadsheetml") >= 0
                        and ooxml.is_strict(self._workbook_xml()))
        self._wb = self._open(archief.inhoud)

    def _open(self, inhoud: bytes):
        import python_calamine

        try:
            return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(inhoud))
        except BaseException as exc:  # noqa: BLE001 - calamine's Rust panics are BaseException
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            raise _onleesbaar(self.naam, exc) from None

    def _bladen(self) -> dict[str, str]:
        if self._blad_delen is None:
            wb = self._workbook_xml()
            with _leesbaar(self.naam):
                self._blad_delen = ooxml.blad_delen(self._archief.delen, wb)
        return self._blad_delen

    def _met_serienummers(self, deel: str):
        """For a sheet of a Strict workbook: a workbook to read it from in which its ISO 8601 date
        cells hold serial numbers (an in-memory copy with only that part changed), or the workbook
        itself when the sheet has none. Only called after `controleer_blad` passed that part."""
        try:
            data = ooxml.lees_deel(self._archief.inhoud, deel)
        except Exception as exc:  # noqa: BLE001 - zipfile's CRC, size and deflate errors alike
            raise _onleesbaar(self.naam, exc) from None
        if b't="d"' not in data:
            return self._wb
        pr = next(ooxml.elementen(self._workbook_xml(), "workbookPr"), None)
        basis = _BASIS_1904 if pr is not None and pr.get("date1904") in ("1", "true") else _BASIS_1900
        return self._open(ooxml.herschrijf(self._archief.inhoud, {deel: _iso_datums(data, basis)}, vast=False))

    def defined_names(self) -> dict[str, str]:
        if self._namen is None:
            self._namen = ooxml.defined_names(self._workbook_xml())
        return dict(self._namen)

    def _workbook_xml(self):
        if self._wb_xml is None:
            with _leesbaar(self.naam):
                self._wb_xml = ooxml.lees_xml(self._archief.delen.get(ooxml.WORKBOOK, b""))
        return self._wb_xml

    def tabellen(self) -> dict[str, tuple[str, str]]:
        # From the table parts themselves: calamine's table API would also parse every table's
        # data, which costs more than the rest of the read.
        if self._tabellen is None:
            wb = self._workbook_xml()
            with _leesbaar(self.naam):
                self._tabellen = ooxml.tabellen(self._archief.delen, wb)
        return dict(self._tabellen)

    def _grid(self, sheet: str) -> list[list[Any]]:
        if sheet not in self._grids:
            if sheet not in self._wb.sheet_names:
                raise KeyError(sheet)
            deel = self._bladen().get(sheet)
            wb = self._wb
            controleer_blad(self._archief, deel.lstrip("/") if deel else None, self.naam, blad=sheet)
            if deel is not None and self._strict and deel.lstrip("/") in self._archief.leden:
                wb = self._met_serienummers(deel.lstrip("/"))
            try:
                ws = wb.get_sheet_by_name(sheet)
                grid = ws.to_python(skip_empty_area=False)
            except BaseException as exc:  # noqa: BLE001
                if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                    raise
                raise _onleesbaar(self.naam, exc) from None
            self._grids[sheet] = grid
        return self._grids[sheet]

    def waarden(self, sheet: str, ref: str) -> list[list[Any]]:
        min_col, min_row, max_col, max_row = cel_grenzen(ref)
        grid = self._grid(sheet)
        # Clamped to the used range: a table or name reaching to row 1048576 must not make a
        # million empty rows (the cells out there are empty anyway).
        breedte = max((len(r) for r in grid), default=0)
        max_row = min(max_row, max(len(grid), min_row))
        max_col = min(max_col, max(breedte, min_col))
        uit = []
        for r in range(min_row - 1, max_row):
            rij = grid[r] if r < len(grid) else []
            uit.append([rij[c] if c < len(rij) else None for c in range(min_col - 1, max_col)])
        return uit


#: Day zero of Excel's two date systems (1900: counted from 30-12-1899, which absorbs Lotus's
#: non-existent 29-2-1900 for every date from March 1900 on).
_BASIS_1900 = dt.datetime(1899, 12, 30)
_BASIS_1904 = dt.datetime(1904, 1, 1)
#: A cell typed `t="d"` (its start tag, not self-closing) up to its value.
_ISO_CEL = re.compile(rb'<c\b([^>]*?)\st="d"([^>]*?)(?<!/)>((?:(?!</c>).)*?)<v>([^<]*)</v>', re.DOTALL)
_ISO = re.compile(r"^(?:(\d{4})-(\d{2})-(\d{2}))?(?:T?(\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
                  r"(Z|[+-]\d{2}:?\d{2})?$")


def _serieel(tekst: str, basis: dt.datetime) -> str | None:
    """ISO 8601 text of a `t="d"` cell as Excel's serial number ("2031-03-31T00:00:00" -> "47938");
    None when it is no ISO date or time. A zone suffix is dropped: a cell value has no zone."""
    m = _ISO.match(tekst.strip())
    if not m or not (m[1] or m[4]):
        return None
    try:
        dag = dt.datetime(int(m[1]), int(m[2]), int(m[3])) if m[1] else basis
        tijd = dt.timedelta(hours=int(m[4] or 0), minutes=int(m[5] or 0), seconds=int(m[6] or 0),
                            microseconds=int((m[7] or "0")[:6].ljust(6, "0")))
    except ValueError:
        return None
    if tijd >= dt.timedelta(days=1):
        return None
    serieel = (dag - basis + tijd) / dt.timedelta(days=1)
    return repr(int(serieel)) if serieel.is_integer() else repr(serieel)


def _iso_datums(data: bytes, basis: dt.datetime = _BASIS_1900) -> bytes:
    """Sheet XML with every `t="d"` cell holding ISO 8601 text turned into a number cell holding its
    serial number, as a transitional workbook stores a date (the cell's style keeps the format)."""
    def vervang(m: re.Match[bytes]) -> bytes:
        getal = _serieel(m[4].decode("utf-8", "replace"), basis)
        if getal is None:
            return m[0]
        return b"<c" + m[1] + m[2] + b">" + m[3] + b"<v>" + getal.encode() + b"</v>"
    return _ISO_CEL.sub(vervang, data)


def _onleesbaar(naam: str, exc: BaseException) -> FileRefused:
    log.warning("refused file=%r reason=onleesbaar: %s: %s", naam, type(exc).__name__, exc)
    return FileRefused(
        "onleesbaar", f"{naam}: spreadsheet engine failed: {type(exc).__name__}: {exc}",
        "Het werkboek kan niet worden gelezen (beschadigd of geen gewone Excel-werkmap). "
        "Sla de fiche opnieuw op vanuit Excel als .xlsx.",
    )


@contextlib.contextmanager
def _leesbaar(naam: str):
    """A part that is not well-formed XML makes the workbook unreadable."""
    try:
        yield
    except ooxml.OngeldigeXml as exc:
        raise _onleesbaar(naam, exc) from None


def lees_fiche(bron: str | Path | bytes, naam: str | None = None, *,
               limieten: Limieten = STANDAARD_LIMIETEN) -> FicheData:
    """A fiche file (path or bytes) as `FicheData`; `FileRefused` for anything unreadable.

    `limieten` are the safe-open caps (zip bomb, file size); the defaults suit every real fiche."""
    vereis_defusedxml()
    if isinstance(bron, (bytes, bytearray, memoryview)):
        inhoud = bytes(bron)
        naam = naam or "werkboek"
    else:
        pad = Path(bron)
        naam = naam or str(pad)
        try:
            if not pad.is_file():
                raise FileNotFoundError(str(pad))
            grootte = pad.stat().st_size
            inhoud = b"" if grootte > limieten.max_bestand else pad.read_bytes()
        except OSError as exc:
            log.warning("refused file=%r reason=niet_gevonden: %s", naam, exc)
            raise FileRefused(
                "niet_gevonden", f"{naam}: cannot open: {exc}",
                f"Het bestand '{pad}' bestaat niet of kan niet worden geopend.",
            ) from None
        if grootte > limieten.max_bestand:
            raise weiger_te_groot(naam, grootte, limieten.max_bestand)
    archief = controleer_archief(inhoud, naam, limieten)
    data = extraheer(CalamineBron(archief, naam), naam)
    data.bron = naam
    return data
