"""Dates as people type them in a fiche, and the month arithmetic that Excel's EDATE does.

A fiche cell may hold a real Excel date, or text such as `1-3-2031`, `01-03-2031`,
`1 maart 2031`, `Q3 2031` or `2031`. A quarter or a year is a period: as a lower bound it means
its first day, as an upper bound (or a prognose) its last day.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any, Literal

from fiche.errors import InputError

Grens = Literal["begin", "eind"]

MAANDEN = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "maart": 3, "mrt": 3, "mar": 3,
    "april": 4, "apr": 4, "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "augustus": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10, "okt": 10,
    "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}

EXCEL_EPOCH = dt.date(1899, 12, 30)
# Beyond these the value is a typo, not a plan (and Excel serials would be meaningless).
MIN_JAAR, MAX_JAAR = 1990, 2100

# ASCII digits only and the same separators as the template's Excel formulas (which turn "/"
# and "." into "-"), so a typed date gets the same light in plain Excel as here.
_DMY = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$", re.ASCII)
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})$", re.ASCII)
_D_MAAND_Y = re.compile(r"^(\d{1,2})\s+([a-z]+)\.?\s+(\d{4})$", re.ASCII)
_MAAND_Y = re.compile(r"^([a-z]+)\.?\s+(\d{4})$", re.ASCII)
_KWARTAAL = re.compile(r"^(?:q|k|kw)\s*([1-4])\s*[-/ ]?\s*(\d{4})$|^(\d{4})\s*[-/ ]?\s*(?:q|k|kw)\s*([1-4])$",
                       re.ASCII)
_JAAR = re.compile(r"^(\d{4})$", re.ASCII)


class DatumFout(InputError, ValueError):
    """Text that is not a date (or quarter) we understand. `melding` is Dutch and names the text;
    `str()` is the English log line. Also a `ValueError`, as Python's own parsers raise, so code
    that parses with `int()`/`float()` and this module alike can catch one kind."""


def add_months(day: dt.date, months: int) -> dt.date:
    """Excel's EDATE: the same day `months` later, clamped to the month's last day."""
    total = day.year * 12 + (day.month - 1) + months
    year, month0 = divmod(total, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def from_excel_serial(serial: float) -> dt.date:
    return EXCEL_EPOCH + dt.timedelta(days=int(serial))


def to_excel_serial(day: dt.date) -> int:
    return (day - EXCEL_EPOCH).days


def _period(year: int, first_month: int, last_month: int, grens: Grens) -> dt.date:
    if grens == "begin":
        return dt.date(year, first_month, 1)
    return dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


def _checked(year: int, month: int, day: int, text: str) -> dt.date:
    if not MIN_JAAR <= year <= MAX_JAAR:
        raise DatumFout(f"year {year} outside {MIN_JAAR}-{MAX_JAAR}: {text!r}",
                        f"'{text}': het jaar {year} ligt buiten {MIN_JAAR}-{MAX_JAAR}.")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise DatumFout(f"no such day: {text!r}", f"'{text}' is geen bestaande datum.") from None


def parse_datum(value: Any, grens: Grens = "begin") -> dt.date | None:
    """A cell value as a date; None for an empty cell; DatumFout for anything else."""
    if value is None:
        return None
    if isinstance(value, (dt.date, dt.datetime)):
        day = value.date() if isinstance(value, dt.datetime) else value
        # A year typed in a date-formatted cell is stored as the number 2031; a reader that
        # converts by number format hands it over as a date in 1905. It means the year.
        serial = to_excel_serial(day)
        if MIN_JAAR <= serial <= MAX_JAAR and (not isinstance(value, dt.datetime) or value.time() == dt.time()):
            return _period(serial, 1, 12, grens)
        return day
    if isinstance(value, bool):
        raise DatumFout(f"not a date: {value!r}", f"'{value}' is geen datum.")
    if isinstance(value, (int, float)):
        # A bare year typed in a cell arrives as a number; real serials are far larger.
        if float(value).is_integer() and MIN_JAAR <= value <= MAX_JAAR:
            return _period(int(value), 1, 12, grens)
        if 1 <= value < 2958466:
            day = from_excel_serial(value)
            if MIN_JAAR <= day.year <= MAX_JAAR:
                return day
        raise DatumFout(f"number is no date: {value!r}", f"'{value}' is geen datum.")
    text = " ".join(str(value).strip().lower().split())
    if not text:
        return None
    original = str(value).strip()
    if m := _DMY.match(text):
        return _checked(int(m[3]), int(m[2]), int(m[1]), original)
    if m := _ISO.match(text):
        return _checked(int(m[1]), int(m[2]), int(m[3]), original)
    if m := _D_MAAND_Y.match(text):
        if m[2] not in MAANDEN:
            raise DatumFout(f"unknown month {m[2]!r}: {original!r}", f"'{original}': onbekende maand '{m[2]}'.")
        return _checked(int(m[3]), MAANDEN[m[2]], int(m[1]), original)
    if m := _MAAND_Y.match(text):
        if m[1] not in MAANDEN:
            raise DatumFout(f"unknown month {m[1]!r}: {original!r}", f"'{original}' is geen datum.")
        month = MAANDEN[m[1]]
        year = int(m[2])
        _checked(year, month, 1, original)
        return _period(year, month, month, grens)
    if m := _KWARTAAL.match(text):
        quarter = int(m[1] or m[4])
        year = int(m[2] or m[3])
        _checked(year, 1, 1, original)
        return _period(year, 3 * quarter - 2, 3 * quarter, grens)
    if m := _JAAR.match(text):
        year = int(m[1])
        _checked(year, 1, 1, original)
        return _period(year, 1, 12, grens)
    raise DatumFout(
        f"not a date: {original!r}",
        f"'{original}' is geen datum. Gebruik bijvoorbeeld 1-3-2031, 1 maart 2031, Q3 2031 of 2031.",
    )


def kwartaal(day: dt.date) -> str:
    """'2026Q4' for a date in October-December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def kwartaal_label(day: dt.date) -> str:
    """The Dutch way of naming a quarter: 'Q4 2026'."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"
