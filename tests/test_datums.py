"""fiche.datums: dates as people type them in a fiche, Excel's EDATE month arithmetic, quarters,
Dutch date texts and local time in a given zone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from fiche.datums import (
    DatumFout,
    add_months,
    dag_einde,
    datum_dmj,
    datum_kort,
    datum_nl,
    from_excel_serial,
    kwartaal,
    kwartaal_begin,
    kwartaal_einde,
    kwartaal_grenzen,
    kwartaal_label,
    kwartaal_label_van_code,
    kwartaal_sorteersleutel,
    lokale_datum,
    lokale_tijd,
    parse_datum,
    parse_kwartaal,
    tijd_dmj,
    to_excel_serial,
    volgend_kwartaal_begin,
    vorig_kwartaal,
)
from fiche.errors import InputError

D = dt.date


@pytest.mark.parametrize("text, expected", [
    ("1-3-2031", D(2031, 3, 1)),
    ("01-03-2031", D(2031, 3, 1)),
    ("1/3/2031", D(2031, 3, 1)),
    ("1.3.2031", D(2031, 3, 1)),
    ("  1-3-2031 ", D(2031, 3, 1)),
    ("31-12-2031", D(2031, 12, 31)),
    ("29-2-2032", D(2032, 2, 29)),
    ("2031-03-01", D(2031, 3, 1)),
    ("1 maart 2031", D(2031, 3, 1)),
    ("1 Maart 2031", D(2031, 3, 1)),
    ("1 mrt 2031", D(2031, 3, 1)),
    ("1 mrt. 2031", D(2031, 3, 1)),
    ("15   december 2031", D(2031, 12, 15)),
    ("3 okt 2030", D(2030, 10, 3)),
])
def test_day_forms(text, expected):
    assert parse_datum(text) == expected
    # A real day is the same whichever bound it stands for.
    assert parse_datum(text, "eind") == expected


@pytest.mark.parametrize("text, begin, eind", [
    ("Q3 2031", D(2031, 7, 1), D(2031, 9, 30)),
    ("q1 2031", D(2031, 1, 1), D(2031, 3, 31)),
    ("Q4-2031", D(2031, 10, 1), D(2031, 12, 31)),
    ("K2 2031", D(2031, 4, 1), D(2031, 6, 30)),
    ("kw2 2031", D(2031, 4, 1), D(2031, 6, 30)),
    ("2031 Q3", D(2031, 7, 1), D(2031, 9, 30)),
    ("2031", D(2031, 1, 1), D(2031, 12, 31)),
    ("maart 2031", D(2031, 3, 1), D(2031, 3, 31)),
    ("feb 2032", D(2032, 2, 1), D(2032, 2, 29)),
    ("feb 2031", D(2031, 2, 1), D(2031, 2, 28)),
])
def test_period_forms_take_the_bound(text, begin, eind):
    assert parse_datum(text, "begin") == begin
    assert parse_datum(text, "eind") == eind


@pytest.mark.parametrize("text, begin, eind", [
    ("H1 2031", D(2031, 1, 1), D(2031, 6, 30)),
    ("h2 2031", D(2031, 7, 1), D(2031, 12, 31)),
    ("H2-2031", D(2031, 7, 1), D(2031, 12, 31)),
    ("H1/2031", D(2031, 1, 1), D(2031, 6, 30)),
    ("H 1 2031", D(2031, 1, 1), D(2031, 6, 30)),
    ("h12031", D(2031, 1, 1), D(2031, 6, 30)),
    ("2031 H2", D(2031, 7, 1), D(2031, 12, 31)),
    ("2031-h1", D(2031, 1, 1), D(2031, 6, 30)),
    ("Q3/2031", D(2031, 7, 1), D(2031, 9, 30)),
    # begin, medio and eind name one day, whichever bound the field stands for.
    ("begin 2031", D(2031, 1, 1), D(2031, 1, 1)),
    ("Begin  2031", D(2031, 1, 1), D(2031, 1, 1)),
    ("medio 2032", D(2032, 7, 1), D(2032, 7, 1)),
    ("MEDIO 2032", D(2032, 7, 1), D(2032, 7, 1)),
    ("eind 2031", D(2031, 12, 31), D(2031, 12, 31)),
    (" Eind\u00a02031 ", D(2031, 12, 31), D(2031, 12, 31)),
    ("einde 2031", D(2031, 12, 31), D(2031, 12, 31)),
    ("begin 1990", D(1990, 1, 1), D(1990, 1, 1)),
    ("eind 2100", D(2100, 12, 31), D(2100, 12, 31)),
])
def test_planning_phrases(text, begin, eind):
    assert parse_datum(text, "begin") == begin
    assert parse_datum(text, "eind") == eind


@pytest.mark.parametrize("value, words", [
    ("voorjaar 2031", ["seizoen", "Q2 2031", "1-4-2031"]),
    ("Lente 2031", ["seizoen", "Q2 2031"]),
    ("zomer 2031", ["seizoen", "Q3 2031", "1-7-2031"]),
    ("najaar 2031", ["seizoen", "Q4 2031", "1-10-2031"]),
    ("herfst 2031", ["Q4 2031"]),
    ("winter 2031", ["seizoen", "Q1 2031"]),
    ("in de zomer van 2032", ["Q3 2032"]),
    ("eind maart 2031", ["alleen samen met een jaar", "31-3-2031"]),
    ("begin Q3 2031", ["1-7-2031"]),
    ("medio maart 2031", ["15-3-2031"]),
    ("medio Q3 2031", ["Q3 2031"]),
    ("eind2031", ["eind 2031, met een spatie"]),
    ("half 2031", ["medio 2031"]),
    ("midden 2031", ["medio 2031"]),
    ("eerste helft 2031", ["H1 2031"]),
    ("2e helft 2031", ["H2 2031"]),
    ("H3 2031", ["is geen datum", "H1 2031", "eind 2031"]),
    ("eind 2150", ["het jaar 2150 ligt buiten"]),
    ("H1 1989", ["het jaar 1989 ligt buiten"]),
    ("medio 2e03", ["is geen datum"]),
])
def test_refused_planning_phrases_say_what_to_type(value, words):
    with pytest.raises(DatumFout) as exc:
        parse_datum(value, "eind")
    assert exc.value.melding.startswith(f"'{value.strip()}'")
    for word in words:
        assert word in exc.value.melding, (word, exc.value.melding)
    assert "geen" not in str(exc.value)  # the log line is English


def test_bound_defaults_to_begin():
    assert parse_datum("Q2 2031") == D(2031, 4, 1)


def test_excel_values():
    assert parse_datum(D(2031, 3, 1)) == D(2031, 3, 1)
    assert parse_datum(dt.datetime(2031, 3, 1, 0, 0)) == D(2031, 3, 1)
    assert parse_datum(dt.datetime(2031, 3, 1, 14, 30)) == D(2031, 3, 1)
    serial = to_excel_serial(D(2031, 3, 1))
    assert parse_datum(serial) == D(2031, 3, 1)
    assert parse_datum(float(serial)) == D(2031, 3, 1)
    # A serial with a time part is that day.
    assert parse_datum(serial + 0.75) == D(2031, 3, 1)


def test_year_as_number_is_a_period():
    assert parse_datum(2031) == D(2031, 1, 1)
    assert parse_datum(2031.0, "eind") == D(2031, 12, 31)


def test_year_typed_in_a_date_cell_read_as_a_date_in_1905():
    # 2031 stored in a date-formatted cell comes out of a format-aware reader as 23-7-1905.
    as_date = from_excel_serial(2031)
    assert as_date == D(1905, 7, 23)
    assert parse_datum(as_date, "begin") == D(2031, 1, 1)
    assert parse_datum(dt.datetime.combine(as_date, dt.time()), "eind") == D(2031, 12, 31)


def test_empty_is_none():
    assert parse_datum(None) is None
    assert parse_datum("") is None
    assert parse_datum("   ") is None


@pytest.mark.parametrize("value, words", [
    ("onzin", ["'onzin' is geen datum", "1-3-2031", "Q3 2031", "eind 2031"]),
    ("31-2-2031", ["'31-2-2031' is geen bestaande datum"]),
    ("29-2-2031", ["geen bestaande datum"]),
    ("13-13-2031", ["geen bestaande datum"]),
    ("1 brumaire 2031", ["onbekende maand 'brumaire'"]),
    ("1-3-1890", ["het jaar 1890 ligt buiten 1990-2100"]),
    ("Q3 2150", ["het jaar 2150 ligt buiten"]),
    ("Q5 2031", ["is geen datum"]),
    ("2031-13-01", ["geen bestaande datum"]),
    ("frimaire 2031", ["is geen datum", "Gebruik bijvoorbeeld"]),
    (True, ["is geen datum"]),
    (0.5, ["is geen datum"]),
    # serial 1989 is a day in 1905: neither a plan nor a year in range
    (1989, ["is geen datum", "Gebruik bijvoorbeeld"]),
    (3_000_000, ["is geen datum"]),
])
def test_garbage_gives_a_dutch_datumfout(value, words):
    with pytest.raises(DatumFout) as exc:
        parse_datum(value)
    for word in words:
        assert word in exc.value.melding
    assert isinstance(exc.value, InputError) and isinstance(exc.value, ValueError)
    assert "geen" not in str(exc.value)  # the log line is English


@pytest.mark.parametrize("day, months, expected", [
    (D(2031, 1, 31), 1, D(2031, 2, 28)),
    (D(2032, 1, 31), 1, D(2032, 2, 29)),
    (D(2031, 1, 31), 3, D(2031, 4, 30)),
    (D(2031, 1, 31), 6, D(2031, 7, 31)),
    (D(2031, 8, 31), 6, D(2032, 2, 29)),
    (D(2031, 11, 15), 3, D(2032, 2, 15)),
    (D(2031, 3, 31), -1, D(2031, 2, 28)),
    (D(2031, 5, 5), 0, D(2031, 5, 5)),
])
def test_add_months_is_edate(day, months, expected):
    assert add_months(day, months) == expected


def test_serial_round_trip_and_quarters():
    for day in (D(1990, 1, 1), D(2031, 2, 28), D(2100, 12, 31)):
        assert from_excel_serial(to_excel_serial(day)) == day
    assert to_excel_serial(D(1900, 3, 1)) == 61  # Excel's (Lotus) epoch, past the 1900 leap bug
    assert kwartaal(D(2026, 11, 3)) == "2026Q4"
    assert kwartaal_label(D(2026, 1, 1)) == "Q1 2026"


def test_quarter_codes():
    assert parse_kwartaal("2026Q4") == (2026, 4)
    assert parse_kwartaal("q1 2027") == (2027, 1)
    assert parse_kwartaal("2026-Q2") == (2026, 2)
    for fout in ("2026Q5", "Q4", "2026", "abc", "1890Q1"):
        with pytest.raises(ValueError, match="geen kwartaal"):
            parse_kwartaal(fout)
    assert kwartaal_grenzen("2026Q4") == (D(2026, 10, 1), D(2026, 12, 31))
    assert kwartaal_grenzen("2024Q1") == (D(2024, 1, 1), D(2024, 3, 31))
    assert vorig_kwartaal("2027Q1") == "2026Q4"
    assert vorig_kwartaal("2026Q3") == "2026Q2"
    assert kwartaal_label_van_code("2026Q3") == "Q3 2026"
    assert kwartaal_label_van_code("iets anders") == "iets anders"
    assert sorted(["2026Q1", "x", "2025Q4", "2026Q10"], key=kwartaal_sorteersleutel)[:2] == ["2025Q4", "2026Q1"]


@pytest.mark.parametrize("day, begin, einde", [
    (D(2026, 2, 28), D(2026, 1, 1), D(2026, 3, 31)),
    (D(2024, 5, 15), D(2024, 4, 1), D(2024, 6, 30)),
    (D(2026, 9, 30), D(2026, 7, 1), D(2026, 9, 30)),
    (D(2026, 12, 31), D(2026, 10, 1), D(2026, 12, 31)),
])
def test_quarter_bounds_of_a_day(day, begin, einde):
    assert (kwartaal_begin(day), kwartaal_einde(day)) == (begin, einde)
    assert volgend_kwartaal_begin(day) == einde + dt.timedelta(days=1)
    assert kwartaal_grenzen(kwartaal(day)) == (begin, einde)


def test_dutch_date_texts():
    assert datum_dmj(D(2031, 3, 1)) == "1-3-2031"
    assert datum_dmj(None) == "" and datum_dmj(None, "onbekende datum") == "onbekende datum"
    assert datum_nl(D(2026, 12, 31)) == "31 december 2026"
    assert datum_kort(D(2032, 6, 30)) == "30 jun 2032"
    assert datum_nl(None) == datum_kort(None) == "-"


def test_short_month_names_are_the_dutch_abbreviations_and_read_back():
    korte = [datum_kort(D(2031, m, 1)).split()[1] for m in range(1, 13)]
    assert korte == ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]
    # What the e-mail writes, a fiche accepts.
    for m in range(1, 13):
        assert parse_datum(datum_kort(D(2031, m, 1))) == D(2031, m, 1)


def test_local_time_follows_the_given_zone():
    ams, ny = ZoneInfo("Europe/Amsterdam"), ZoneInfo("America/New_York")
    # 31 October 2026 is after the DST change: local midnight is 23:00 UTC.
    assert dag_einde(D(2026, 10, 31), ams) == dt.datetime(2026, 10, 31, 22, 59, 59, 999999, tzinfo=dt.timezone.utc)
    assert dag_einde(D(2026, 7, 1), ams) == dt.datetime(2026, 7, 1, 21, 59, 59, 999999, tzinfo=dt.timezone.utc)
    moment = dt.datetime(2026, 9, 30, 23, 30, 12, 500, tzinfo=dt.timezone.utc)
    assert lokale_tijd(moment, ams) == dt.datetime(2026, 10, 1, 1, 30, 12)
    assert lokale_datum(moment, ams) == D(2026, 10, 1) and lokale_datum(moment, ny) == D(2026, 9, 30)
    assert tijd_dmj(moment, ams) == "1-10-2026 01:30"
    assert lokale_tijd(dt.datetime(2026, 1, 2, 3, 4, 5, 6), ny) == dt.datetime(2026, 1, 2, 3, 4, 5)
