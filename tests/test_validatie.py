"""The validator, rule by rule, on real fiche files generated with the template and read back.

Every rule code in `fiche.validatie.KNOWN_CODES` has a case below that triggers it on a fiche that
is otherwise clean (the clean fiches themselves give no finding at all). "Today" is frozen by
passing `vandaag`.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest

from fiche import schema as S
from fiche.model import Beoordeling
from fiche.reader import lees_fiche
from fiche.stoplicht import Stoplicht
from fiche.template import build_fiche_workbook, write_fiche
from fiche.validatie import KNOWN_CODES, valideer

VANDAAG = dt.date(2026, 11, 1)


def velden_concreet(**over: Any) -> dict[str, Any]:
    v = {
        "projectnaam": "Nieuwbouw station Emmen Noord 110/20 kV", "drager": "Elektriciteit", "gemeente": "Emmen",
        "omschrijving": "Nieuw 110/20 kV-station.", "locatie": "Emmen Noord", "type_infrastructuur": "Station",
        "bevoegd_gezag": "Gemeente Emmen", "pmiek_2_0": "Ja, stond in pMIEK 2.0",
        "uitvoerende_organisatie": "Enexis / TenneT", "netbeheerder": "Enexis / TenneT",
        "fase_netbeheerder": "Planuitwerkfase", "fase_overheid": "Projectfase",
        "ibn_ondergrens": dt.date(2031, 1, 1), "ibn_bovengrens": dt.date(2033, 12, 31),
        "ibn_prognose": dt.date(2031, 2, 1), "escalatie": "Geen", "toelichting": "Loopt volgens planning.",
        "peildatum": dt.date(2026, 10, 1),
    }
    v.update(over)
    return v


def velden_verkenning(**over: Any) -> dict[str, Any]:
    v = {
        "projectnaam": "Waterstof in Hoogeveen", "drager": "Waterstof", "gemeente": "Hoogeveen",
        "uitvoerende_organisatie": "Gemeente Hoogeveen", "locatie": "Hoogeveen",
        "type_infrastructuur": "Waterstofleiding", "omschrijving": "Verkenning.",
        "onderzoeksvraag": "Is lokale waterstofproductie haalbaar?", "ip_opname": "Nog onbekend",
        "oplevering_ondergrens": "Q1 2027", "oplevering_bovengrens": "2027", "oplevering_prognose": "1 maart 2027",
        "escalatie": "Geen", "peildatum": "1-10-2026",
    }
    v.update(over)
    return v


def tabellen_ok(**over: Any) -> dict[str, list[dict[str, Any]]]:
    t = {
        "mijlpalen": [
            {"mijlpaal": "Voorkeursalternatief", "fase": "Projectfase", "actiehouder": "Netbeheerder",
             "gepland": dt.date(2026, 3, 1), "gereed": dt.date(2026, 4, 1)},
            {"mijlpaal": "Projectbesluit", "fase": "Planuitwerkfase", "actiehouder": "Bevoegd gezag",
             "gepland": dt.date(2027, 6, 1), "prognose": dt.date(2027, 7, 1)},
        ],
        "knelpunten": [],
        "projectteam": [
            {"naam": "Anna de Vries", "organisatie": "Provincie Drenthe", "rol": "Voorzitter",
             "email": "a.devries@drenthe.nl"},
            {"naam": "Bert Jansen", "organisatie": "Enexis", "rol": "Deelnemer", "email": "bert.jansen@enexis.nl",
             "uren_per_week": 4},
        ],
        "betrokken_partijen": [{"partij": "Gemeente Emmen", "rol": "Belanghebbende"}],
    }
    t.update(over)
    return t


def maak(pad: Path, fiche_type: str = "concreet", velden: dict | None = None, tabellen: dict | None = None,
         **kwargs: Any) -> Path:
    if velden is None:
        velden = velden_concreet() if fiche_type == "concreet" else velden_verkenning()
    return write_fiche(pad, fiche_type, velden, tabellen if tabellen is not None else tabellen_ok(), **kwargs)


def beoordeel(pad: Path, vandaag: dt.date = VANDAAG, **kwargs: Any) -> Beoordeling:
    return valideer(lees_fiche(pad), vandaag=vandaag, **kwargs)


def codes(b: Beoordeling) -> list[str]:
    return [x.code for x in b.bevindingen]


def met_code(b: Beoordeling, code: str):
    gevonden = [x for x in b.bevindingen if x.code == code]
    assert gevonden, f"{code} not in {codes(b)}"
    return gevonden


# --- clean fiches -------------------------------------------------------------------------------

def test_clean_concreet_has_no_findings_and_green_light(tmp_path):
    b = beoordeel(maak(tmp_path / "f.xlsx"))
    assert b.bevindingen == []
    assert b.fiche_type == "concreet"
    assert b.project == "Nieuwbouw station Emmen Noord 110/20 kV"
    assert b.stoplicht is Stoplicht.OP_PLANNING
    assert b.geldig
    assert b.waarden["ibn_prognose"] == dt.date(2031, 2, 1)
    assert [m.stoplicht for m in b.mijlpalen] == [Stoplicht.OP_PLANNING, Stoplicht.OP_PLANNING]
    assert [m.vertraging_dagen for m in b.mijlpalen] == [31, 30]
    assert b.mijlpalen[0].cel.startswith("Mijlpalen!") and b.mijlpalen[0].cel.endswith("4")


def test_clean_verkenning_parses_typed_dates_as_bounds(tmp_path):
    b = beoordeel(maak(tmp_path / "v.xlsx", "verkenning"))
    assert b.bevindingen == []
    assert b.fiche_type == "verkenning"
    assert b.waarden["oplevering_ondergrens"] == dt.date(2027, 1, 1)  # Q1 2027 as lower bound
    assert b.waarden["oplevering_bovengrens"] == dt.date(2027, 12, 31)  # 2027 as upper bound
    assert b.waarden["oplevering_prognose"] == dt.date(2027, 3, 1)
    assert b.waarden["peildatum"] == dt.date(2026, 10, 1)
    assert b.stoplicht is Stoplicht.OP_PLANNING


def test_parsed_tables_and_norm_hours(tmp_path):
    b = beoordeel(maak(tmp_path / "f.xlsx"))
    team = b.tabellen["projectteam"]
    assert [(r["naam"], r["rol"], r["uren_per_week"]) for r in team] == [
        ("Anna de Vries", "Voorzitter", 3.0), ("Bert Jansen", "Deelnemer", 4.0)]
    assert b.tabellen["mijlpalen"][1]["stoplicht"] is Stoplicht.OP_PLANNING
    assert b.tabellen["betrokken_partijen"] == [{"_rij": 1, "partij": "Gemeente Emmen", "rol": "Belanghebbende"}]


@pytest.mark.parametrize(("prognose", "verwacht"), [
    (dt.date(2031, 4, 1), Stoplicht.OP_PLANNING),  # exactly ondergrens + one quarter
    (dt.date(2031, 4, 2), Stoplicht.RISICO),
    (dt.date(2033, 12, 31), Stoplicht.RISICO),
    (dt.date(2034, 1, 1), Stoplicht.VERTRAAGD),
])
def test_project_light_follows_the_stoplicht_rule(tmp_path, prognose, verwacht):
    tabellen = tabellen_ok(knelpunten=[{"knelpunt": "Netcongestie", "oplossing": "Flex", "status": "Open"}])
    b = beoordeel(maak(tmp_path / "f.xlsx", velden=velden_concreet(ibn_prognose=prognose), tabellen=tabellen))
    assert b.stoplicht is verwacht


def test_realised_project_is_gerealiseerd(tmp_path):
    b = beoordeel(maak(tmp_path / "f.xlsx", velden=velden_concreet(ibn_gerealiseerd=dt.date(2026, 9, 1),
                                                                    ibn_prognose=None)))
    assert b.stoplicht is Stoplicht.GEREALISEERD
    assert "prognose_ontbreekt" not in codes(b)


def test_nabij_from_argument_then_workbook_then_default(tmp_path):
    velden = velden_concreet(ibn_prognose=dt.date(2031, 6, 1))
    tabellen = tabellen_ok(knelpunten=[{"knelpunt": "Vergunning", "oplossing": "Overleg", "status": "Open"}])
    standaard = maak(tmp_path / "std.xlsx", velden=velden, tabellen=tabellen)
    zes = maak(tmp_path / "zes.xlsx", velden=velden, tabellen=tabellen, nabij_maanden=6)
    assert beoordeel(standaard).stoplicht is Stoplicht.RISICO
    assert beoordeel(zes).stoplicht is Stoplicht.OP_PLANNING  # the workbook's own tolerance
    assert beoordeel(zes, nabij_maanden=3).stoplicht is Stoplicht.RISICO  # the argument wins
    assert beoordeel(standaard, nabij_maanden=6).stoplicht is Stoplicht.OP_PLANNING


def test_choice_matching_is_case_insensitive_and_open_choice_accepts_free_text(tmp_path):
    b = beoordeel(maak(tmp_path / "f.xlsx", velden=velden_concreet(gemeente="emmen", netbeheerder="Stedin")))
    assert b.bevindingen == []
    assert b.waarden["gemeente"] == "Emmen"
    assert b.waarden["netbeheerder"] == "Stedin"


def test_hand_set_greener_light_with_toelichting_is_accepted(tmp_path):
    mijlpalen = [{"mijlpaal": "Projectbesluit", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2029, 6, 1),
                  "stoplicht_handmatig": "Op planning", "toelichting": "Versnelling afgesproken met RVO."}]
    tabellen = tabellen_ok(mijlpalen=mijlpalen)
    b = beoordeel(maak(tmp_path / "f.xlsx", tabellen=tabellen))
    assert "handmatig_groener" not in codes(b)
    assert b.mijlpalen[0].berekend is Stoplicht.RISICO
    assert b.mijlpalen[0].stoplicht is Stoplicht.OP_PLANNING


def test_open_knelpunt_silences_the_red_orange_warning(tmp_path):
    tabellen = tabellen_ok(knelpunten=[{"knelpunt": "Netcongestie", "oplossing": "Flex", "status": "In behandeling"}])
    b = beoordeel(maak(tmp_path / "f.xlsx", velden=velden_concreet(ibn_prognose=dt.date(2033, 1, 1)),
                       tabellen=tabellen))
    assert b.stoplicht is Stoplicht.RISICO
    assert b.bevindingen == []


# --- one case per rule --------------------------------------------------------------------------

def _met_werkboek(pad: Path, wijzig: Callable, fiche_type: str = "concreet", **kwargs: Any) -> Path:
    """A generated fiche changed the way a careless hand (or an old template) would."""
    velden = velden_concreet() if fiche_type == "concreet" else velden_verkenning()
    wb = build_fiche_workbook(fiche_type, velden, tabellen_ok(), **kwargs)
    wijzig(wb)
    wb.save(pad)
    return pad


def _zet_type(waarde):
    def wijzig(wb):
        ref = wb.defined_names[S.NAAM_FICHE_TYPE].attr_text
        sheet, cel = ref.split("!")
        wb[sheet.strip("'")][cel.replace("$", "")].value = waarde
    return wijzig


def _verwijder_naam(naam):
    def wijzig(wb):
        del wb.defined_names[naam]
    return wijzig


def _verwijder_tabel(tabel):
    def wijzig(wb):
        for ws in wb.worksheets:
            if tabel in ws.tables:
                del ws.tables[tabel]
    return wijzig


def _c(pad, velden=None, tabellen=None, **kw):
    return maak(pad, "concreet", velden_concreet(**(velden or {})), tabellen_ok(**(tabellen or {})), **kw)


ROOD_KNELPUNT = {"knelpunten": [{"knelpunt": "Netcongestie", "oplossing": "Flex", "status": "Open"}]}

GEVALLEN: dict[str, Callable[[Path], Path]] = {
    "type_onbekend": lambda p: _met_werkboek(p, _zet_type("concreetje")),
    "versie_onbekend": lambda p: _c(p, template_versie="0.9"),
    "veld_ontbreekt": lambda p: _met_werkboek(p, _verwijder_naam("pmiek_locatie")),
    "tabel_ontbreekt": lambda p: _met_werkboek(p, _verwijder_tabel("tbl_knelpunten")),
    "verplicht": lambda p: _c(p, {"gemeente": None}),
    "verplicht_kolom": lambda p: _c(p, tabellen={"mijlpalen": [{"fase": "Projectfase",
                                                                "gepland": dt.date(2027, 1, 1),
                                                                "prognose": dt.date(2027, 1, 1)}]}),
    "keuze_ongeldig": lambda p: _c(p, {"gemeente": "Groningen"}),
    "datum_ongeldig": lambda p: _c(p, {"ibn_ondergrens": "binnenkort"}),
    "getal_ongeldig": lambda p: _c(p, tabellen={"projectteam": [
        {"naam": "A", "organisatie": "B", "rol": "Voorzitter", "email": "a@drenthe.nl", "uren_per_week": "veel"}]}),
    "venster_omgekeerd": lambda p: _c(p, {"ibn_ondergrens": dt.date(2034, 1, 1)}),
    "prognose_ontbreekt": lambda p: _c(p, {"ibn_prognose": None}),
    "gerealiseerd_toekomst": lambda p: _c(p, {"ibn_gerealiseerd": dt.date(2027, 1, 1)}),
    "peildatum_toekomst": lambda p: _c(p, {"peildatum": dt.date(2026, 12, 1)}),
    "peildatum_verouderd": lambda p: _c(p, {"peildatum": dt.date(2026, 1, 1)}),
    "prognose_verlopen": lambda p: _c(p, {"ibn_prognose": dt.date(2026, 6, 1), "ibn_ondergrens": dt.date(2026, 1, 1)}),
    "mijlpaal_gereed_toekomst": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": dt.date(2026, 12, 1), "gereed": dt.date(2026, 12, 1)}]}),
    "mijlpaal_zonder_prognose": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": dt.date(2027, 12, 1)}]}),
    "mijlpaal_prognose_verlopen": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": dt.date(2026, 9, 1), "prognose": dt.date(2026, 10, 1)}]}),
    "mijlpaal_datums_onwaarschijnlijk": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2039, 1, 1)}], **ROOD_KNELPUNT}),
    "handmatig_groener": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2029, 6, 1),
         "stoplicht_handmatig": "Op planning"}]}),
    "voorzitter_aantal": lambda p: _c(p, tabellen={"projectteam": [
        {"naam": "A", "organisatie": "B", "rol": "Deelnemer", "email": "a@drenthe.nl"}]}),
    "voorzitter_zonder_email": lambda p: _c(p, tabellen={"projectteam": [
        {"naam": "A", "organisatie": "B", "rol": "Voorzitter"}]}),
    "email_ongeldig": lambda p: _c(p, tabellen={"projectteam": [
        {"naam": "A", "organisatie": "B", "rol": "Voorzitter", "email": "anna@@drenthe"}]}),
    "knelpunt_ontbreekt": lambda p: _c(p, {"ibn_prognose": dt.date(2034, 6, 1)}),
    "knelpunt_zonder_oplossing": lambda p: _c(p, tabellen={"knelpunten": [{"knelpunt": "Vergunning", "status": "Open"}]}),
    "toelichting_ontbreekt": lambda p: _c(p, {"ibn_prognose": dt.date(2032, 6, 1), "toelichting": None},
                                          tabellen=ROOD_KNELPUNT),
    "prognose_mogelijk_verouderd": lambda p: _c(p, tabellen={"mijlpalen": [
        {"mijlpaal": "Projectbesluit", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2031, 1, 1)}],
        **ROOD_KNELPUNT}),
    "nabij_ongeldig": lambda p: _c(p, nabij_maanden=99),
    "venster_onbekend": lambda p: maak(p, "verkenning", velden_verkenning(oplevering_prognose=None,
                                                                          oplevering_bovengrens=None)),
}


def test_every_rule_code_has_a_case():
    assert set(GEVALLEN) == set(KNOWN_CODES)


@pytest.mark.parametrize("code", sorted(GEVALLEN))
def test_each_rule_fires_with_its_severity_and_a_dutch_message(tmp_path, code):
    b = beoordeel(GEVALLEN[code](tmp_path / f"{code}.xlsx"))
    gevonden = met_code(b, code)
    for x in gevonden:
        assert x.ernst == KNOWN_CODES[code][0]
        assert x.melding and x.melding[0].isupper() or x.melding.startswith("'")
    if KNOWN_CODES[code][0] == "error":
        assert not b.geldig
    # Only the template-level rules may lack a cell; everything else points where to fix it.
    if code not in ("type_onbekend", "versie_onbekend", "veld_ontbreekt", "tabel_ontbreekt", "nabij_ongeldig"):
        assert all(x.cel for x in gevonden), gevonden


def test_unknown_template_version_names_both_versions(tmp_path):
    b = beoordeel(GEVALLEN["versie_onbekend"](tmp_path / "f.xlsx"))
    (x,) = met_code(b, "versie_onbekend")
    assert "0.9" in x.melding and S.SUPPORTED_TEMPLATE_VERSIONS[0] in x.melding


def test_unknown_type_gives_unknown_light_and_no_field_rules(tmp_path):
    b = beoordeel(GEVALLEN["type_onbekend"](tmp_path / "f.xlsx"))
    assert codes(b) == ["type_onbekend"]
    assert "concreetje" in b.bevindingen[0].melding
    assert b.stoplicht is Stoplicht.ONBEKEND


def test_missing_type_is_an_error(tmp_path):
    b = beoordeel(_met_werkboek(tmp_path / "f.xlsx", _zet_type(None)))
    assert codes(b) == ["type_onbekend"]
    assert "ontbreekt" in b.bevindingen[0].melding


def _wijs_type_naar(verwijzing):
    def wijzig(wb):
        wb.defined_names[S.NAAM_FICHE_TYPE].attr_text = verwijzing
    return wijzig


def test_template_keeps_the_fiche_type_where_the_messages_say(tmp_path):
    from fiche.validatie import TYPE_CEL_SJABLOON

    data = lees_fiche(maak(tmp_path / "f.xlsx"))
    assert (data.type_cel, data.type_verwijzing) == (TYPE_CEL_SJABLOON, "'Fiche'!$C$2")


@pytest.mark.parametrize("fiche_type", ["concreet", "verkenning"])
def test_deleted_help_column_names_the_broken_name_and_what_to_do(tmp_path, fiche_type):
    # Deleting column C of the sheet Fiche (the help texts, and the fiche type in C2) leaves
    # Excel's "#REF!" in the defined name; the field names in column B still tell the type.
    b = beoordeel(_met_werkboek(tmp_path / "f.xlsx", _wijs_type_naar("Fiche!#REF!"), fiche_type))
    assert codes(b) == ["type_onbekend"]
    (x,) = b.bevindingen
    for woord in ("pmiek_fiche_type", "Fiche!#REF!", "Fiche!C2", "verwijderd", "ongedaan", f"'{fiche_type}'"):
        assert woord in x.melding, (woord, x.melding)
    assert "geen pMIEK-fiche" not in x.melding
    assert b.stoplicht is Stoplicht.ONBEKEND


@pytest.mark.parametrize(("verwijzing", "cel", "woorden"), [
    ("#REF!", None, ["'#REF!'", "verwijderd"]),
    ("Weg!$C$2", None, ["'Weg!$C$2'", "geen losse cel"]),
    ("Fiche!$C:$C", None, ["'Fiche!$C:$C'", "geen losse cel"]),
    # The name moved onto another cell: the template version in B2, an empty cell.
    ("Fiche!$B$2", "Fiche!B2", ["Onbekend fichetype '1.0' in cel Fiche!B2", "Fiche!C2", "Namen beheren"]),
    ("Fiche!$C$99", "Fiche!C99", ["cel Fiche!C99 (celnaam pmiek_fiche_type) is leeg", "Fiche!C2"]),
])
def test_broken_or_moved_fiche_type_name_points_at_the_cell(tmp_path, verwijzing, cel, woorden):
    b = beoordeel(_met_werkboek(tmp_path / "f.xlsx", _wijs_type_naar(verwijzing)))
    (x,) = b.bevindingen
    assert (x.code, x.cel) == ("type_onbekend", cel)
    for woord in woorden + ["pmiek_fiche_type", "'concreet'"]:
        assert woord in x.melding, (woord, x.melding)


def test_missing_type_name_says_so(tmp_path):
    b = beoordeel(_met_werkboek(tmp_path / "f.xlsx", _verwijder_naam(S.NAAM_FICHE_TYPE)))
    (x,) = b.bevindingen
    assert x.code == "type_onbekend" and "geen celnaam pmiek_fiche_type" in x.melding


@pytest.mark.parametrize(("tekst", "woorden"), [
    ("eind maart 2031", ["31-3-2031"]),
    ("voorjaar 2031", ["seizoen", "Q2 2031", "1-4-2031"]),
    ("H3 2031", ["H1 2031", "eind 2031"]),
])
def test_refused_planning_phrase_says_what_to_type(tmp_path, tekst, woorden):
    b = beoordeel(_c(tmp_path / "f.xlsx", {"ibn_bovengrens": tekst}))
    (x,) = met_code(b, "datum_ongeldig")
    assert x.veld == "ibn_bovengrens" and x.cel == lees_fiche(tmp_path / "f.xlsx").cellen["ibn_bovengrens"]
    assert x.melding.startswith(f"Inbedrijfname (IBN) bovengrens: '{tekst}'")
    for woord in woorden:
        assert woord in x.melding, (woord, x.melding)


def test_accepted_planning_phrases_take_their_day(tmp_path):
    b = beoordeel(_c(tmp_path / "f.xlsx", {"ibn_ondergrens": "begin 2031", "ibn_bovengrens": "eind 2033",
                                           "ibn_prognose": "H1 2031"}, nabij_maanden=6))
    assert b.bevindingen == []
    assert b.stoplicht is Stoplicht.OP_PLANNING  # 30-6-2031 lies within six months of 1-1-2031
    assert (b.waarden["ibn_ondergrens"], b.waarden["ibn_bovengrens"], b.waarden["ibn_prognose"]) == (
        dt.date(2031, 1, 1), dt.date(2033, 12, 31), dt.date(2031, 6, 30))


def test_required_field_finding_names_field_and_cell(tmp_path):
    b = beoordeel(GEVALLEN["verplicht"](tmp_path / "f.xlsx"))
    (x,) = met_code(b, "verplicht")
    assert (x.veld, x.cel) == ("gemeente", lees_fiche(tmp_path / "f.xlsx").cellen["gemeente"])
    assert x.cel.startswith("Fiche!B")
    assert "Gemeente" in x.melding


def test_table_findings_use_table_dot_column_keys(tmp_path):
    b = beoordeel(GEVALLEN["email_ongeldig"](tmp_path / "f.xlsx"))
    (x,) = met_code(b, "email_ongeldig")
    assert x.veld == "projectteam.email"
    assert x.cel == "Projectteam!D4"
    assert "anna@@drenthe" in x.melding


def test_two_voorzitters_is_an_error(tmp_path):
    team = [{"naam": n, "organisatie": "B", "rol": "Voorzitter", "email": f"{n}@drenthe.nl"} for n in ("an", "bo")]
    b = beoordeel(_c(tmp_path / "f.xlsx", tabellen={"projectteam": team}))
    (x,) = met_code(b, "voorzitter_aantal")
    assert "2 voorzitters" in x.melding and "an" in x.melding and "bo" in x.melding


def test_date_text_that_does_not_parse_in_a_table(tmp_path):
    b = beoordeel(_c(tmp_path / "f.xlsx", tabellen={"mijlpalen": [
        {"mijlpaal": "VKA", "gepland": "ooit", "prognose": dt.date(2027, 1, 1)}]}))
    (x,) = met_code(b, "datum_ongeldig")
    assert x.veld == "mijlpalen.gepland" and "'ooit'" in x.melding
    assert b.mijlpalen[0].stoplicht is Stoplicht.ONBEKEND


def test_red_milestone_without_knelpunt_points_at_its_light(tmp_path):
    b = beoordeel(GEVALLEN["prognose_mogelijk_verouderd"](tmp_path / "a.xlsx"))
    assert "knelpunt_ontbreekt" not in codes(b)  # there is an open knelpunt
    b = beoordeel(_c(tmp_path / "b.xlsx", tabellen={"mijlpalen": [
        {"mijlpaal": "Projectbesluit", "gepland": dt.date(2027, 1, 1), "prognose": dt.date(2031, 1, 1)}]}))
    assert b.stoplicht is Stoplicht.OP_PLANNING
    (x,) = met_code(b, "knelpunt_ontbreekt")
    assert x.cel == b.mijlpalen[0].cel
    assert "Projectbesluit" in x.melding and "Vertraagd" in x.melding


def test_only_solved_knelpunten_count_as_none(tmp_path):
    tabellen = {"knelpunten": [{"knelpunt": "Oud", "oplossing": "Gedaan", "status": "Opgelost"}]}
    b = beoordeel(_c(tmp_path / "f.xlsx", {"ibn_prognose": dt.date(2034, 6, 1)}, tabellen))
    assert b.stoplicht is Stoplicht.VERTRAAGD
    (x,) = met_code(b, "knelpunt_ontbreekt")
    assert x.cel == lees_fiche(tmp_path / "f.xlsx").stoplicht_cel


def test_validator_is_pure_and_repeatable(tmp_path):
    data = lees_fiche(GEVALLEN["peildatum_toekomst"](tmp_path / "f.xlsx"))
    eerst = valideer(data, vandaag=VANDAAG)
    assert valideer(data, vandaag=VANDAAG).bevindingen == eerst.bevindingen
    # A month later the same peildatum is no longer in the future.
    assert "peildatum_toekomst" not in codes(valideer(data, vandaag=dt.date(2027, 1, 1)))


@pytest.mark.parametrize("adres", [
    "anna.devries@drenthe.nl", "b.jansen+pmiek@enexis.nl", "o'brien@tennet.eu", "x@sub.domein.gasunie.nl",
    "anna@@drenthe", "anna(at)drenthe.nl", ".anna@drenthe.nl", "anna..b@drenthe.nl", "anna@drenthe",
    "anna@-drenthe.nl", "anna@drenthe.test", "anna@localhost", "anna@drenthe.123", "anna@drënthe.nl",
    "\"anna b\"@drenthe.nl", "a" * 65 + "@drenthe.nl", "anna@" + "d" * 64 + ".nl", "",
])
def test_email_check_agrees_with_email_validator(adres):
    from email_validator import EmailNotValidError, validate_email

    from fiche.validatie import _email_fout

    try:
        validate_email(adres, check_deliverability=False)
        geldig = True
    except EmailNotValidError:
        geldig = False
    assert (_email_fout(adres) is None) == geldig


def test_orange_project_without_knelpunt_is_a_warning(tmp_path):
    b = beoordeel(_c(tmp_path / "f.xlsx", {"ibn_prognose": dt.date(2032, 6, 1)}))
    assert b.stoplicht is Stoplicht.RISICO
    (x,) = met_code(b, "knelpunt_ontbreekt")
    assert x.ernst == "warning" and "Risico op vertraging" in x.melding
