"""Reads one project list (.xlsx, or .csv with `,` or `;`) into clean rows, with pandas.

The user's file is only read, never saved again. A workbook passes the same safe-open checks as
a fiche (`fiche.veilig`, `fiche.rooster`) before the engine sees it; its first sheet counts. The
header row is the first of the top rows whose columns `sync.lijsten.kolommen` recognises (so a
title or "voorbeelddata" note above the table is fine). Cleaning is vectorised: text trimmed and
its spacing collapsed, codes like 1234.0 written as 1234, and the planned IBN parsed once per
distinct value with `fiche.datums.parse_datum` at the *end* of the period it names: a year means
31 December of that year, a quarter its last day, a month its last day, a date itself.

A row without code and name is skipped, a row whose IBN is not a date, quarter or year is kept
without a date; both are reported with their row number as the user sees it in Excel. A file that
cannot be read at all raises a `PmiekError` with a Dutch message, and nothing is imported.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from fiche.datums import DatumFout, parse_datum
from fiche.errors import FileRefused, InputError
from sync.lijsten.kolommen import VELDEN, Indeling, RijFout, herken, onbekende_indeling

#: How many top rows may hold the header (a title and a note above the table are common).
KOPRIJEN_ZOEKEN = 20
SCHEIDINGSTEKENS = (";", ",", "\t")


@dataclass
class GelezenLijst:
    """The clean rows of one list: a DataFrame with the columns `VELDEN` + "rij", and the faults."""

    rijen: pd.DataFrame
    fouten: list[RijFout] = field(default_factory=list)
    indeling: Indeling | None = None


def _tekst(data: bytes) -> str:
    for codering in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(codering)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")  # every byte is a character: never fails


def _scheidingsteken(tekst: str) -> str:
    """`;` (Dutch Excel), `,` or tab: the sniffer's choice on the first lines, else the most frequent."""
    proef = "\n".join(tekst.splitlines()[:50])
    try:
        return csv.Sniffer().sniff(proef, delimiters="".join(SCHEIDINGSTEKENS)).delimiter
    except csv.Error:
        return max(SCHEIDINGSTEKENS, key=proef.count)


def _lees_csv(data: bytes, naam: str) -> pd.DataFrame:
    if b"\x00" in data[:4096]:
        raise FileRefused("onleesbaar", f"{naam}: binary data in a CSV",
                          f"'{naam}' is geen tekstbestand (CSV); sla de lijst op als .csv of .xlsx.")
    tekst = _tekst(data)
    sep = _scheidingsteken(tekst)
    breedte = max((len(r) for r in csv.reader(io.StringIO(tekst), delimiter=sep)), default=0)
    if breedte == 0:
        return pd.DataFrame()
    return pd.read_csv(io.StringIO(tekst), sep=sep, header=None, names=range(breedte), dtype=str,
                       keep_default_na=False, skip_blank_lines=False, engine="c")


def _lees_xlsx(data: bytes, naam: str) -> pd.DataFrame:
    from python_calamine import CalamineWorkbook

    from fiche.rooster import controleer_blad
    from fiche.veilig import controleer_archief
    archief = controleer_archief(data, naam)
    try:
        bladen = CalamineWorkbook.from_filelike(io.BytesIO(data)).sheet_names
    except Exception as exc:  # noqa: BLE001 - any engine failure is "cannot be read"
        raise FileRefused("onleesbaar", f"{naam}: {exc!r}",
                          f"'{naam}' kan niet als Excel-werkmap worden gelezen.") from None
    if not bladen:
        raise FileRefused("onleesbaar", f"{naam}: no sheets", f"'{naam}' bevat geen werkblad.")
    controleer_blad(archief, None, naam, blad=bladen[0])
    return pd.read_excel(io.BytesIO(data), sheet_name=bladen[0], header=None, engine="calamine", dtype=object)


def lees_tabel(data: bytes, naam: str) -> pd.DataFrame:
    """The raw grid of the file's first sheet (or the CSV), every cell as read."""
    if not data:
        raise FileRefused("leeg", f"{naam}: empty", f"De lijst '{naam}' is leeg (0 bytes).")
    try:
        if data.startswith(b"PK"):
            return _lees_xlsx(data, naam)
        if naam.lower().endswith((".xlsx", ".xlsm", ".xls")):
            raise FileRefused("geen_zip", f"{naam}: not an xlsx",
                              f"'{naam}' is geen Excel-werkmap (.xlsx); sla de lijst op als .xlsx of .csv.")
        return _lees_csv(data, naam)
    except FileRefused:
        raise
    except Exception as exc:  # noqa: BLE001 - pandas and the engines raise many kinds
        raise FileRefused("onleesbaar", f"{naam}: {exc!r}",
                          f"De lijst '{naam}' kan niet worden gelezen ({type(exc).__name__}). Sla haar opnieuw "
                          "op als .xlsx of als .csv (gescheiden door ; of ,).") from None


def _koprij(tabel: pd.DataFrame, naam: str, mapping: Mapping[str, str] | None) -> tuple[int, Indeling]:
    beste: tuple[int, Indeling] | None = None
    for i in range(min(KOPRIJEN_ZOEKEN, len(tabel))):
        koppen = ["" if _leeg(v) else v for v in tabel.iloc[i].tolist()]
        indeling = herken(koppen, mapping)
        if indeling.volledig:
            return i, indeling
        if beste is None or len(indeling.kolommen) > len(beste[1].kolommen) or (
                not beste[1].kolommen and sum(1 for k in indeling.koppen if k) > sum(1 for k in beste[1].koppen if k)):
            beste = (i, indeling)
    raise onbekende_indeling(naam, beste[1].koppen if beste else ())


def _leeg(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v) or (isinstance(v, str) and not v.strip()) or v is pd.NaT


def _schoon(kolom: pd.Series) -> pd.Series:
    """Text, trimmed, spacing collapsed, a whole float without its ".0"; empty becomes <NA>."""
    def als_tekst(v: Any) -> Any:
        if _leeg(v):
            return None
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        if isinstance(v, (dt.datetime, pd.Timestamp)):
            return v.date().isoformat()
        return str(v)
    tekst = kolom.map(als_tekst).astype("string")
    tekst = tekst.str.replace(r"\s+", " ", regex=True).str.strip()
    return tekst.mask(tekst == "")


def _ibn(kolom: pd.Series) -> tuple[pd.Series, pd.Series]:
    """The planned IBN per row (a date or None) and the text of values that are no date."""
    waarden: dict[Any, dt.date | None] = {}
    fout: dict[Any, bool] = {}

    def sleutel(v: Any) -> Any:
        return v.isoformat() if isinstance(v, (dt.date, pd.Timestamp)) else (type(v).__name__, v)

    for v in kolom.dropna().unique():
        k = sleutel(v)
        if k in waarden:
            continue
        w = v.to_pydatetime() if isinstance(v, pd.Timestamp) else v
        if isinstance(w, str) and w.strip().replace(",", ".").replace(".", "", 1).isdigit():
            w = float(w.strip().replace(",", "."))  # "2031" or "2031.0" from a CSV: a year
        try:
            waarden[k] = parse_datum(w, "eind")
            fout[k] = False
        except (DatumFout, ValueError, TypeError, OverflowError):
            waarden[k], fout[k] = None, True
    sleutels = kolom.map(lambda v: None if _leeg(v) else sleutel(v))
    return sleutels.map(lambda k: waarden.get(k) if k is not None else None), \
        sleutels.map(lambda k: bool(fout.get(k)) if k is not None else False)


def lees_lijst(data: bytes, naam: str, mapping: Mapping[str, str] | None = None) -> GelezenLijst:
    """Every usable row of the list, cleaned, and every row that is not (by row number)."""
    tabel = lees_tabel(data, naam)
    if tabel.empty:
        raise InputError(f"{naam}: no rows", f"De lijst '{naam}' bevat geen rijen.")
    kop, indeling = _koprij(tabel, naam, mapping)
    data_rijen = tabel.iloc[kop + 1:]
    uit = pd.DataFrame(index=data_rijen.index)
    for veld in VELDEN:
        positie = indeling.kolommen.get(veld)
        uit[veld] = _schoon(data_rijen.iloc[:, positie]) if positie is not None else pd.Series(
            pd.NA, index=data_rijen.index, dtype="string")
    ruw_ibn = data_rijen.iloc[:, indeling.kolommen["ibn"]]
    uit["ibn"], ibn_fout = _ibn(ruw_ibn.mask(ruw_ibn.map(_leeg)))
    uit["ibn_tekst"] = _schoon(ruw_ibn)
    uit["rij"] = data_rijen.index + 1

    # A row with nothing in it is no row; one with only an (unreadable) date is a broken row.
    leeg = uit[[v for v in VELDEN if v != "ibn"]].isna().all(axis=1) & uit["ibn_tekst"].isna()
    uit = uit[~leeg]
    ibn_fout = ibn_fout[~leeg]
    fouten: list[RijFout] = []
    zonder = uit["code"].isna() & uit["naam"].isna()
    for rij in uit.loc[zonder, "rij"]:
        fouten.append(RijFout(int(rij), f"Rij {int(rij)}: geen projectcode en geen projectnaam; rij overgeslagen."))
    for rij, tekst in uit.loc[ibn_fout & ~zonder, ["rij", "ibn_tekst"]].itertuples(index=False):
        fouten.append(RijFout(int(rij), f"Rij {int(rij)}: geplande IBN '{tekst}' is geen datum, kwartaal of jaar; "
                                        "rij geïmporteerd zonder datum."))
    uit = uit[~zonder]
    sleutel = uit["code"].fillna("").str.lower().where(uit["code"].notna(), "naam:" + uit["naam"].str.lower())
    dubbel = sleutel.duplicated(keep="first")
    if dubbel.any():
        eerste = dict(zip(sleutel[~dubbel], uit.loc[~dubbel, "rij"], strict=True))
        for s, rij, code, pnaam in zip(sleutel[dubbel], uit.loc[dubbel, "rij"], uit.loc[dubbel, "code"],
                                       uit.loc[dubbel, "naam"], strict=True):
            wie = f"projectcode {code}" if isinstance(code, str) else f"project '{pnaam}'"
            fouten.append(RijFout(int(rij), f"Rij {int(rij)}: {wie} staat al op rij {int(eerste[s])}; "
                                            "rij overgeslagen."))
        uit = uit[~dubbel]
    uit = uit.assign(sleutel=sleutel[~dubbel] if dubbel.any() else sleutel)
    fouten.sort(key=lambda f: f.rij)
    return GelezenLijst(uit.reset_index(drop=True), fouten, indeling)
