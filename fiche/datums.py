"""The one home for dates: as people type them in a fiche, Excel's month arithmetic (EDATE),
quarters, the Dutch ways of writing a date, and local date and time in a given time zone.

A fiche cell may hold a real Excel date, or text such as `1-3-2031`, `01-03-2031`,
`1 maart 2031`, `Q3 2031`, `H1 2031` or `2031`. A quarter, a half year or a year is a period: as a
lower bound it means its first day, as an upper bound (or a prognose) its last day.

Planning phrases: `begin 2031`, `medio 2031` and `eind 2031` (also `einde`) name one day
whatever the bound: 1-1, 1-7 and 31-12. They are points, not periods, so the bound does not move
them. Medio is 1 July rather than 30 June: it is where the two halves of the year meet, it does
not depend on which half a reader counts it to, and like `begin` it is the first day of a month,
as every other date we read without a day is for a lower bound. Seasons (`voorjaar 2031`),
`begin`/`eind` with a month or quarter and half years in words are refused with a message that
says what to type instead: a season has no agreed first or last day.

Standard library only: this module is bundled into xlwings Lite, which runs in Pyodide. The time
zone is always passed in (the service's configured `sync.timezone`); nothing here assumes one.
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
#: "begin 2031", "medio 2031", "eind 2031": one space (the text is normalised first), so the
#: Excel formulas can test the same thing exactly.
_RONDOM_JAAR = re.compile(r"^(begin|medio|eind|einde) (\d{4})$", re.ASCII)
_RONDOM_DAG = {"begin": (1, 1), "medio": (7, 1), "eind": (12, 31), "einde": (12, 31)}
#: "H1 2031", "2031 H2", "h1-2031": tested after spaces, "-" and "/" are dropped, exactly as the
#: Excel formulas do it.
_HALFJAAR = re.compile(r"^h([12])(\d{4})$|^(\d{4})h([12])$", re.ASCII)
_JAARTAL = re.compile(r"(?<!\d)(\d{4})(?!\d)", re.ASCII)
#: Phrases refused with a hint. A season has no agreed first or last day; say which quarter.
_SEIZOENEN = {
    "voorjaar": ("Q2", "1-4"), "lente": ("Q2", "1-4"), "zomer": ("Q3", "1-7"),
    "najaar": ("Q4", "1-10"), "herfst": ("Q4", "1-10"), "winter": ("Q1", "1-1"),
}
_SEIZOEN = re.compile(r"^(?:in )?(?:het |de )?(" + "|".join(_SEIZOENEN) + r")(?![a-z])", re.ASCII)
_RONDOM = re.compile(r"^(begin|medio|eind|einde|half|halverwege|midden)(?![a-z])", re.ASCII)
_HELFT = re.compile(r"\b(eerste|1e|tweede|2e) (?:helft|halfjaar)\b", re.ASCII)
#: The forms every refusal offers.
VOORBEELDEN = "1-3-2031, 1 maart 2031, Q3 2031, H1 2031, eind 2031 of 2031"


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
        raise DatumFout(f"not a date: {value!r}", f"'{value}' is geen datum. Gebruik bijvoorbeeld {VOORBEELDEN}.")
    if isinstance(value, (int, float)):
        # A bare year typed in a cell arrives as a number; real serials are far larger.
        if float(value).is_integer() and MIN_JAAR <= value <= MAX_JAAR:
            return _period(int(value), 1, 12, grens)
        if 1 <= value < 2958466:
            day = from_excel_serial(value)
            if MIN_JAAR <= day.year <= MAX_JAAR:
                return day
        raise DatumFout(f"number is no date: {value!r}",
                        f"'{value}' is geen datum. Gebruik bijvoorbeeld {VOORBEELDEN}.")
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
    if m := _RONDOM_JAAR.match(text):
        month, day = _RONDOM_DAG[m[1]]
        return _checked(int(m[2]), month, day, original)
    if m := _HALFJAAR.match(re.sub(r"[ /-]", "", text)):
        half = int(m[1] or m[4])
        year = int(m[2] or m[3])
        _checked(year, 1, 1, original)
        return _period(year, 6 * half - 5, 6 * half, grens)
    if fout := _planningsfout(text, original):
        raise fout
    if m := _MAAND_Y.match(text):
        if m[1] not in MAANDEN:
            raise DatumFout(f"unknown month {m[1]!r}: {original!r}",
                            f"'{original}' is geen datum. Gebruik bijvoorbeeld {VOORBEELDEN}.")
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
    raise DatumFout(f"not a date: {original!r}", f"'{original}' is geen datum. Gebruik bijvoorbeeld {VOORBEELDEN}.")


def _planningsfout(text: str, original: str) -> DatumFout | None:
    """A refusal that says what to type for a planning phrase we do not read as a date (a season,
    "eind maart 2031", "eerste helft 2031"); None when `text` is none of them."""
    jaren = _JAARTAL.findall(text)
    jaar = jaren[-1] if jaren else "2031"
    if m := _SEIZOEN.match(text):
        kwartaal, eerste_dag = _SEIZOENEN[m[1]]
        return DatumFout(
            f"season is no date: {original!r}",
            f"'{original}': een seizoen is geen eenduidige datum. Typ het kwartaal of een dag, "
            f"bijvoorbeeld {kwartaal} {jaar} of {eerste_dag}-{jaar}.",
        )
    if m := _HELFT.search(text):
        half = "H1" if m[1] in ("eerste", "1e") else "H2"
        return DatumFout(f"half year in words: {original!r}",
                         f"'{original}' is geen datum. Typ het halfjaar als {half} {jaar}.")
    if m := _RONDOM.match(text):
        woord = {"einde": "eind", "half": "medio", "halverwege": "medio", "midden": "medio"}.get(m[1], m[1])
        rest = text[m.end():].strip(" -/")
        if _JAAR.match(rest):
            hint = f"typ {woord} {rest}" + (", met een spatie" if woord == m[1] else "")
        else:
            # A day to type instead: the first or last day of the period that follows, the 15th
            # of a month for "medio".
            try:
                eerste, laatste = parse_datum(rest, "begin"), parse_datum(rest, "eind")
            except DatumFout:
                eerste = laatste = None
            dag: dt.date | None = {"begin": eerste, "eind": laatste}.get(woord)
            if woord == "medio" and eerste and laatste and (eerste.year, eerste.month) == (laatste.year, laatste.month):
                dag = eerste.replace(day=15)
            hint = (f"typ de dag zelf: {dag.day}-{dag.month}-{dag.year}" if dag
                    else f"typ de dag zelf (bijvoorbeeld 1-3-{jaar}) of een kwartaal (Q3 {jaar})")
        return DatumFout(
            f"planning phrase is no date: {original!r}",
            f"'{original}' is geen datum. Begin, medio en eind gaan alleen samen met een jaar (eind {jaar} is "
            f"31-12-{jaar}); {hint}.",
        )
    return None


# --- quarters ---------------------------------------------------------------------------------

_KWARTAALCODE = re.compile(r"^(\d{4})Q([1-4])$|^Q([1-4])(\d{4})$")


def kwartaal(day: dt.date) -> str:
    """'2026Q4' for a date in October-December 2026."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def kwartaal_label(day: dt.date) -> str:
    """The Dutch way of naming a quarter: 'Q4 2026'."""
    return f"Q{(day.month - 1) // 3 + 1} {day.year}"


def kwartaal_begin(day: dt.date) -> dt.date:
    """The first day of the quarter `day` lies in."""
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def kwartaal_einde(day: dt.date) -> dt.date:
    """The last day of the quarter `day` lies in."""
    return _period(day.year, 1, 3 * ((day.month - 1) // 3) + 3, "eind")


def volgend_kwartaal_begin(day: dt.date) -> dt.date:
    """The first day of the quarter after the one `day` lies in."""
    return kwartaal_einde(day) + dt.timedelta(days=1)


def parse_kwartaal(code: str) -> tuple[int, int]:
    """'2026Q4' (also '2026-Q4', 'Q4 2026') as (2026, 4); DatumFout (a ValueError) with a Dutch
    text otherwise."""
    tekst = "".join(str(code).split()).upper().replace("-", "")
    m = _KWARTAALCODE.match(tekst)
    if m:
        jaar, q = int(m[1] or m[4]), int(m[2] or m[3])
        if MIN_JAAR <= jaar <= MAX_JAAR:
            return jaar, q
    raise DatumFout(f"'{code}' is geen kwartaal; schrijf bijvoorbeeld 2026Q4.")


def kwartaal_grenzen(code: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter code like '2026Q4'."""
    jaar, q = parse_kwartaal(code)
    begin = dt.date(jaar, 3 * q - 2, 1)
    return begin, kwartaal_einde(begin)


def vorig_kwartaal(code: str) -> str:
    """'2026Q4' -> '2026Q3'; '2027Q1' -> '2026Q4'."""
    jaar, q = parse_kwartaal(code)
    return f"{jaar - 1}Q4" if q == 1 else f"{jaar}Q{q - 1}"


def kwartaal_label_van_code(code: str) -> str:
    """'2026Q4' as 'Q4 2026'; text that is no quarter code is returned as it is."""
    try:
        jaar, q = parse_kwartaal(code)
    except DatumFout:
        return code
    return f"Q{q} {jaar}"


def kwartaal_sorteersleutel(code: str) -> tuple[int, int]:
    """Sorts quarter codes in time order; anything else after them."""
    try:
        return parse_kwartaal(code)
    except DatumFout:
        return (9999, 9)


# --- writing dates the Dutch way ----------------------------------------------------------------

MAANDNAMEN = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")
#: The Dutch abbreviations (the first three letters would give "maa" for maart).
MAANDEN_KORT = ("jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec")


def datum_dmj(day: dt.date | None, leeg: str = "") -> str:
    """'1-3-2031': how a fiche and the master write a date; `leeg` when unknown."""
    if day is None:
        return leeg
    return f"{day.day}-{day.month}-{day.year}"


def datum_nl(day: dt.date | None, leeg: str = "-") -> str:
    """'31 december 2026', for running text; `leeg` when unknown."""
    if day is None:
        return leeg
    return f"{day.day} {MAANDNAMEN[day.month - 1]} {day.year}"


def datum_kort(day: dt.date | None, leeg: str = "-") -> str:
    """'30 jun 2032' for narrow table cells; `leeg` when unknown."""
    if day is None:
        return leeg
    return f"{day.day} {MAANDEN_KORT[day.month - 1]} {day.year}"


# --- local time -----------------------------------------------------------------------------------

def lokale_tijd(moment: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    """An aware moment as naive local time in `tz`, to the second (Excel has no time zones); a
    naive moment is taken as local already."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(tz).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def lokale_datum(moment: dt.datetime, tz: dt.tzinfo) -> dt.date:
    """The calendar day an aware moment falls on in `tz`."""
    return moment.astimezone(tz).date()


def tijd_dmj(moment: dt.datetime, tz: dt.tzinfo) -> str:
    """'1-3-2031 14:05' in local time."""
    t = lokale_tijd(moment, tz)
    return f"{datum_dmj(t.date())} {t:%H:%M}"


def dag_einde(dag: dt.date, tz: dt.tzinfo) -> dt.datetime:
    """The last instant of `dag` in local time `tz`, as an aware UTC datetime."""
    volgende = dt.datetime.combine(dag + dt.timedelta(days=1), dt.time(0, 0), tzinfo=tz)
    return (volgende - dt.timedelta(microseconds=1)).astimezone(dt.timezone.utc)
