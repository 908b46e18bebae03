"""fiche.stoplicht: the traffic-light rule in Python (its Excel twin is checked in
test_stoplicht_excel.py against LibreOffice)."""

from __future__ import annotations

import datetime as dt

import pytest

from fiche.stoplicht import (
    NABIJ_MAANDEN_STANDAARD, Stoplicht, classificeer, excel_mijlpaal_stoplicht, excel_project_stoplicht,
    is_groener, mijlpaal_stoplicht, mijlpaal_vertraging, project_stoplicht,
)

D = dt.date
LO, HI = D(2031, 1, 31), D(2032, 12, 31)
OP, RISICO, LAAT, ONB, KLAAR = (Stoplicht.OP_PLANNING, Stoplicht.RISICO, Stoplicht.VERTRAAGD,
                                Stoplicht.ONBEKEND, Stoplicht.GEREALISEERD)


def test_default_tolerance_is_a_quarter():
    assert NABIJ_MAANDEN_STANDAARD == 3


@pytest.mark.parametrize("datum, expected", [
    (D(2030, 1, 1), OP),          # before the ondergrens: early is on schedule
    (LO - dt.timedelta(days=1), OP),
    (LO, OP),
    (D(2031, 4, 29), OP),
    (D(2031, 4, 30), OP),         # EDATE(31-1, 3) = 30-4: still near
    (D(2031, 5, 1), RISICO),
    (HI - dt.timedelta(days=1), RISICO),
    (HI, RISICO),                 # the bovengrens itself is not late
    (HI + dt.timedelta(days=1), LAAT),
])
def test_classificeer_boundaries(datum, expected):
    assert classificeer(datum, LO, HI) is expected


@pytest.mark.parametrize("nabij, last_near", [
    (0, D(2031, 1, 31)), (1, D(2031, 2, 28)), (3, D(2031, 4, 30)), (6, D(2031, 7, 31)),
])
def test_tolerance_setting_with_month_end_clamping(nabij, last_near):
    assert classificeer(last_near, LO, HI, nabij) is OP
    assert classificeer(last_near + dt.timedelta(days=1), LO, HI, nabij) is RISICO


def test_tolerance_wider_than_window_skips_orange():
    lo, hi = D(2032, 2, 29), D(2032, 4, 30)
    assert classificeer(D(2032, 4, 30), lo, hi, 6) is OP
    assert classificeer(D(2032, 5, 1), lo, hi, 6) is LAAT


@pytest.mark.parametrize("args", [
    (None, LO, HI), (D(2031, 3, 1), None, HI), (D(2031, 3, 1), LO, None), (None, None, None),
])
def test_missing_data_is_onbekend_never_green(args):
    assert classificeer(*args) is ONB


@pytest.mark.parametrize("datum", [D(2030, 1, 1), D(2031, 3, 1), D(2032, 6, 1), D(2034, 1, 1)])
def test_inverted_window_is_onbekend_never_a_colour(datum):
    # Ondergrens after bovengrens is an input error: neither green nor orange nor red is right.
    assert classificeer(datum, HI, LO) is ONB
    assert project_stoplicht(datum, HI, LO) is ONB
    assert mijlpaal_stoplicht(D(2028, 1, 1), datum, None, HI, LO) is ONB
    # A window of one day is not inverted.
    assert classificeer(LO, LO, LO) is OP


def test_project_stoplicht():
    assert project_stoplicht(D(2031, 3, 1), LO, HI) is OP
    assert project_stoplicht(D(2032, 3, 1), LO, HI) is RISICO
    assert project_stoplicht(D(2033, 3, 1), LO, HI) is LAAT
    assert project_stoplicht(None, LO, HI) is ONB
    # Realised beats everything, even a late prognose or a missing window.
    assert project_stoplicht(D(2035, 1, 1), LO, HI, gerealiseerd=D(2034, 1, 1)) is KLAAR
    assert project_stoplicht(None, None, None, gerealiseerd=D(2031, 2, 1)) is KLAAR
    assert project_stoplicht(D(2031, 6, 1), LO, HI, nabij_maanden=6) is OP
    assert project_stoplicht(D(2031, 6, 1), LO, HI, nabij_maanden=3) is RISICO


def test_mijlpaal_vertraging():
    assert mijlpaal_vertraging(D(2028, 1, 1), D(2028, 1, 11), None) == 10
    assert mijlpaal_vertraging(D(2028, 1, 11), D(2028, 1, 1), None) == -10
    # Gereed wins over the prognose.
    assert mijlpaal_vertraging(D(2028, 1, 1), D(2029, 1, 1), D(2028, 1, 3)) == 2
    assert mijlpaal_vertraging(D(2028, 1, 1), None, D(2028, 1, 3)) == 2
    assert mijlpaal_vertraging(None, D(2028, 1, 1), None) is None
    assert mijlpaal_vertraging(D(2028, 1, 1), None, None) is None


def test_mijlpaal_delay_moved_onto_the_ondergrens():
    gepland = D(2028, 3, 31)
    # EDATE(31-1-2031, 3) is 30-4-2031: 89 days after the ondergrens.
    near = (D(2031, 4, 30) - LO).days
    assert mijlpaal_stoplicht(gepland, gepland + dt.timedelta(days=near), None, LO, HI) is OP
    assert mijlpaal_stoplicht(gepland, gepland + dt.timedelta(days=near + 1), None, LO, HI) is RISICO
    late = (HI - LO).days
    assert mijlpaal_stoplicht(gepland, None, gepland + dt.timedelta(days=late), LO, HI) is RISICO
    assert mijlpaal_stoplicht(gepland, None, gepland + dt.timedelta(days=late + 1), LO, HI) is LAAT
    assert mijlpaal_stoplicht(gepland, gepland - dt.timedelta(days=100), None, LO, HI) is OP
    assert mijlpaal_stoplicht(gepland, gepland, None, LO, HI, nabij_maanden=0) is OP
    assert mijlpaal_stoplicht(gepland, gepland + dt.timedelta(days=1), None, LO, HI, nabij_maanden=0) is RISICO


def test_mijlpaal_missing_data():
    g = D(2028, 1, 1)
    assert mijlpaal_stoplicht(None, g, None, LO, HI) is ONB
    assert mijlpaal_stoplicht(g, None, None, LO, HI) is ONB
    assert mijlpaal_stoplicht(g, g, None, None, HI) is ONB
    assert mijlpaal_stoplicht(g, g, None, LO, None) is ONB


@pytest.mark.parametrize("handmatig, berekend, expected", [
    (OP, RISICO, True), (OP, LAAT, True), (RISICO, LAAT, True),
    (OP, OP, False), (RISICO, RISICO, False), (LAAT, LAAT, False),
    (LAAT, OP, False), (RISICO, OP, False), (LAAT, RISICO, False),
    # A hand-set light over missing data claims knowledge the fiche does not show.
    (OP, ONB, True), (RISICO, ONB, True), (LAAT, ONB, True),
    (OP, KLAAR, False),
    # Only the three colours can be set by hand.
    (ONB, LAAT, False), (KLAAR, LAAT, False),
])
def test_is_groener(handmatig, berekend, expected):
    assert is_groener(handmatig, berekend) is expected


def test_labels_colours_and_order():
    assert [s.label for s in Stoplicht] == [
        "Op planning", "Risico op vertraging", "Vertraagd", "Onbekend", "Gerealiseerd"]
    assert Stoplicht.van_label("  risico   op vertraging ") is RISICO
    assert Stoplicht.van_label("groen") is None
    assert Stoplicht.van_label(None) is None
    assert len({s.kleur for s in Stoplicht}) == 5
    assert KLAAR.ernst < OP.ernst < RISICO.ernst < ONB.ernst < LAAT.ernst


def test_excel_formulas_name_every_label_and_use_edate():
    project = excel_project_stoplicht("P", "L", "H", "R", "N")
    mijlpaal = excel_mijlpaal_stoplicht("G", "P", "K", "L", "H", "N")
    for formula in (project, mijlpaal):
        assert formula.startswith("=")
        assert formula.count("(") == formula.count(")")
        assert "EDATE(L,N)" in formula
        for light in (OP, RISICO, LAAT, ONB):
            assert f'"{light.value}"' in formula
    assert f'"{KLAAR.value}"' in project
