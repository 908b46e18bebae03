"""Intake and the overview builder on details the scenarios do not cover: renames, files that
come back, project identity, and rebuilding a past peildatum from the store."""

from __future__ import annotations

import datetime as dt

from test_sync_scenarios import (  # noqa: F401 - klok: the scenarios' clock
    VANDAAG, MapOmgeving, fiche_bytes, klok, meldingen, projectnaam, sync, t, versies,
)

from sync.versiekolommen import project_sleutel
from sync.overzicht_bouw import bouw_overzicht
from sync.store import open_store


def test_project_identity_ignores_case_and_spacing() -> None:
    assert project_sleutel("  Waterstof  in\tHoogeveen ") == project_sleutel("waterstof in hoogeveen")
    assert project_sleutel("") is None and project_sleutel(None) is None


def test_renamed_file_is_not_a_deleted_project(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("oud.xlsx", fiche_bytes(2), t(2026, 11, 1))
    sync(o)
    (o.map / "oud.xlsx").rename(o.map / "nieuw.xlsx")
    r = sync(o)
    assert r.tellingen.verwijderd == 1 and r.tellingen.gelezen == 1
    [p] = r.overzicht.projecten
    assert p.bron_naam == "nieuw.xlsx"
    assert not meldingen(r, "verwijderd") and not meldingen(r, "dubbel")


def test_same_project_with_other_spelling_is_a_duplicate(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(6), t(2026, 11, 1))
    o.zet("b.xlsx", fiche_bytes(6, projectnaam="  " + projectnaam(6).upper().replace(" ", "  ")), t(2026, 11, 2))
    r = sync(o)
    assert len(r.overzicht.projecten) == 1 and r.overzicht.projecten[0].bron_naam == "b.xlsx"
    assert [m.bron_naam for m in meldingen(r, "dubbel")] == ["a.xlsx"]


def test_deleted_file_that_comes_back_is_read_again(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(3), t(2026, 11, 1))
    sync(o)
    o.verwijder("a.xlsx")
    assert sync(o).overzicht.projecten == []
    o.zet("a.xlsx", fiche_bytes(3), t(2026, 11, 14))
    r = sync(o)
    assert r.tellingen.gelezen == 1 and [p.projectnaam for p in r.overzicht.projecten] == [projectnaam(3)]
    assert [v.status for v in versies(o)] == ["geaccepteerd", "verwijderd", "geaccepteerd"]


def test_invalid_without_any_valid_version(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("nieuw.xlsx", fiche_bytes(0, drager=None), t(2026, 11, 1))
    r = sync(o)
    assert r.overzicht.projecten == []
    [m] = meldingen(r, "ongeldig")
    assert "Drager" in m.melding and "nog geen geldige versie" in m.melding and m.project == projectnaam(0)


def test_invalid_second_file_of_a_shown_project_is_a_duplicate_and_names_the_version_shown(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(6), t(2026, 11, 1))
    o.zet("b.xlsx", fiche_bytes(6, drager=None), t(2026, 11, 2))
    r = sync(o)
    [p] = r.overzicht.projecten
    assert p.bron_naam == "a.xlsx"
    [m] = meldingen(r, "ongeldig")
    assert m.bron_naam == "b.xlsx" and m.project == projectnaam(6)
    assert "niet in het overzicht" not in m.melding
    assert "Het project staat wel in het overzicht, met 'a.xlsx' (versie van 1-11-2026)" in m.melding
    [d] = meldingen(r, "dubbel")
    assert d.bron_naam == "b.xlsx" and d.project == projectnaam(6)
    assert "claimt ook project" in d.melding and "Alleen 'a.xlsx' telt mee" in d.melding


def test_refused_new_version_names_its_own_valid_version(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("a.xlsx", fiche_bytes(6), t(2026, 11, 1))
    sync(o)
    o.zet("a.xlsx", fiche_bytes(6, drager=None), t(2026, 11, 3))
    r = sync(o)
    [m] = meldingen(r, "ongeldig")
    assert "toont de laatste geldige versie van dit bestand, van 1-11-2026" in m.melding
    assert not meldingen(r, "dubbel")


def test_any_past_peildatum_can_be_rebuilt(tmp_path) -> None:
    o = MapOmgeving(tmp_path)
    o.zet("f.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2031, 2, 1), peildatum=dt.date(2026, 6, 1)), t(2026, 6, 1))
    sync(o, peildatum=dt.date(2026, 6, 2))
    o.zet("f.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2032, 2, 1), peildatum=dt.date(2026, 8, 1)), t(2026, 8, 1))
    sync(o, peildatum=dt.date(2026, 8, 2))
    o.zet("f.xlsx", fiche_bytes(0, ibn_prognose=dt.date(2034, 2, 1)), t(2026, 11, 10))
    sync(o)
    store = open_store(o.config().store_url)
    try:
        prognoses = {d: [p.prognose for p in bouw_overzicht(store, d).projecten]
                     for d in (dt.date(2026, 4, 30), dt.date(2026, 6, 30), dt.date(2026, 9, 30), VANDAAG)}
        laatst = bouw_overzicht(store, VANDAAG)
    finally:
        store.close()
    assert prognoses == {dt.date(2026, 4, 30): [], dt.date(2026, 6, 30): [dt.date(2031, 2, 1)],
                         dt.date(2026, 9, 30): [dt.date(2032, 2, 1)], VANDAAG: [dt.date(2034, 2, 1)]}
    [p] = laatst.projecten
    assert p.vorige_prognose == dt.date(2032, 2, 1)
    assert list(laatst.historie[p.sleutel]) == ["2026Q2", "2026Q3", "2026Q4"]

