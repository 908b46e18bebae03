"""The quarterly report's content (sync.kwartaal.inhoud) and its timeline picture (sync.kwartaal.tijdlijn)."""

from __future__ import annotations

import datetime as dt
import io

from PIL import Image
from sample_overzicht import HOSTILE_FORMULA, empty_overzicht, sample_overzicht

from fiche.stoplicht import Stoplicht
from sync.kwartaal.inhoud import Wijzigingen, bouw_rapport, samenvatting
from sync.kwartaal.tijdlijn import tijdlijn_png

L = Stoplicht


def namen(projecten) -> list[str]:
    return [p.projectnaam for p in projecten]


def test_counts_per_light_for_both_types():
    r = bouw_rapport(sample_overzicht())
    assert r.kwartaal == "2026Q3" and r.kwartaal_label == "Q3 2026" and r.vorig_kwartaal_label == "Q2 2026"
    assert r.aantal_concreet == 6 and r.aantal_verkenning == 4
    c = r.tellingen_concreet
    assert (c[L.OP_PLANNING], c[L.RISICO], c[L.VERTRAAGD], c[L.ONBEKEND], c[L.GEREALISEERD]) == (1, 2, 1, 1, 1)
    v = r.tellingen_verkenning
    assert (v[L.OP_PLANNING], v[L.RISICO], v[L.VERTRAAGD], v[L.ONBEKEND]) == (1, 1, 1, 1)


def test_changes_since_previous_quarter():
    w = bouw_rapport(sample_overzicht()).wijzigingen
    assert namen(w.nieuw_rood) == ["Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV",
                                   "Waterstof in Hoogeveen"]
    assert namen(w.nieuw_oranje) == ["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV",
                                     "Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)"]
    assert namen(w.verbeterd) == ["Aftakking waterstofbackbone Emmen", "Onderzoek lokale elektrolyse"]
    assert namen(w.gerealiseerd) == ["Uitbreiding station Hoogeveen 110/20 kV"]
    assert namen(w.nieuw) == ["MS-T verzwaring Coevorden - Dalen"]
    # Emmen Noord: prognose 31-3-2031 -> 30-6-2033 = 822 days; largest slip first.
    assert [(v.project.projectnaam[:20], v.dagen) for v in w.verschoven] == [
        ("Deelnet Emmen: nieuw", 822), ("Deelnet Emmen: nieuw", 273), ("Toepassing restwarmt", 90),
        ("Waterstof in Hoogeve", 90)]
    assert [(v.project.projectnaam, v.dagen) for v in w.vervroegd] == [("Aftakking waterstofbackbone Emmen", -182)]


def test_summary_sentence():
    r = bouw_rapport(sample_overzicht())
    assert r.samenvatting == (
        "2 projecten nieuw op rood, 2 projecten nieuw op oranje, 2 verbeterd, 1 gerealiseerd, 1 nieuw project "
        "en bij 4 projecten schoof de prognose op (tot 822 dagen). 4 plusprojecten vragen aandacht.")
    assert samenvatting(Wijzigingen(), 0) == (
        "Geen wijzigingen in de stoplichten ten opzichte van vorig kwartaal. Geen plusprojecten.")


def test_a_quarter_without_projects_says_so_and_is_no_all_clear():
    from sync.kwartaal.bericht import bouw_bericht
    leeg = bouw_rapport(empty_overzicht())
    assert leeg.samenvatting.startswith("Op de peildatum staan geen projecten in de database")
    assert not leeg.datakwaliteit.leeg
    bericht = bouw_bericht(leeg, tijdlijn_png(leeg.projecten, leeg.peildatum), b"", afzender="a@b.nl",
                           ontvangers=["c@d.nl"])
    tekst = bericht.get_body(("plain",)).get_content()
    html = bericht.get_body(("html",)).get_content()
    for inhoud in (tekst, html):
        assert "geen projecten in de database" in inhoud
        assert "Alle fiches zijn bijgewerkt en geldig" not in inhoud


def test_summary_grammar_singular():
    o = sample_overzicht()
    # Keep one project that turned red; everything else unchanged.
    o.projecten = [p for p in o.projecten if p.projectnaam.startswith("Deelnet Emmen: nieuwbouw station omgeving")]
    r = bouw_rapport(o)
    assert r.samenvatting.startswith("1 project nieuw op rood en bij 1 project schoof de prognose op (tot 273 dagen).")
    assert r.samenvatting.endswith("1 plusproject vraagt aandacht.")


def test_plusprojecten_table():
    r = bouw_rapport(sample_overzicht())
    rijen = {rij.project.projectnaam: rij for rij in r.plusprojecten}
    # Concrete electricity projects first, worst first; then late verkenningen.
    assert list(rijen) == [
        "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV",
        "Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV",
        "Waterstof in Hoogeveen",
        "Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)",
    ]
    noord = rijen["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    # The main knelpunt is the first unsolved one; its oplossing comes with it.
    assert noord.knelpunt == HOSTILE_FORMULA
    assert noord.oplossing == "Bestuurlijk overleg met grondeigenaren via de gemeente."
    assert noord.slip_dagen == 822 and noord.project.escalatie == "WKI"
    assert rijen["Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)"].knelpunt is None
    # Hydrogen and realised projects are never plusprojecten.
    assert "Aftakking waterstofbackbone Emmen" not in rijen
    assert "Uitbreiding station Hoogeveen 110/20 kV" not in rijen


def test_verkenningen_progress():
    r = bouw_rapport(sample_overzicht())
    rij = {v.project.projectnaam: v for v in r.verkenningen}
    hv = rij["Waterstof in Hoogeveen"]
    assert (hv.mijlpalen_gereed, hv.mijlpalen_totaal) == (0, 1)
    assert hv.volgende_mijlpaal == "Rapport vraag en aanbod" and hv.volgende_datum == dt.date(2027, 2, 28)
    assert len(r.verkenningen) == 4 and all(v.project.fiche_type == "verkenning" for v in r.verkenningen)


def test_data_quality():
    dk = bouw_rapport(sample_overzicht()).datakwaliteit
    niet = dict(dk.niet_bijgewerkt)
    # From the overview's own entry, and noticed from the fiche peildatum (20-6-2026 is before Q3).
    assert "Onderzoek oprichten regionaal warmtebedrijf" in niet
    assert niet["Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV"] == \
        "Fiche niet bijgewerkt dit kwartaal (peildatum 20-6-2026)."
    # Realised projects need no update.
    assert "Uitbreiding station Hoogeveen 110/20 kV" not in niet
    ongeldig = dict(dk.ongeldig)
    assert set(ongeldig) == {"Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV", "notities.xlsx"}
    # Zeijerveen has no voorzitter and no entry says so: the snapshot's rule notices it itself.
    assert dict(dk.zonder_voorzitter) == {"Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)": "Projectteam heeft geen voorzitter."}
    assert {naam for naam, _ in dk.overig} == {"Waterstof in Hoogeveen", "Waterstof in Coevorden"}


def test_capacity():
    c = bouw_rapport(sample_overzicht()).capaciteit
    org = {r.naam: r for r in c.per_organisatie}
    # Provincie Drenthe: Anna (voorzitter twice: 3+3), Jan Bos (1.0 + 2 norm), Oscar 3, Petra 3 + 2.0.
    assert org["Provincie Drenthe"].uren_per_week == 3 + 3 + 1.0 + 2 + 3 + 3 + 2.0
    assert org["Provincie Drenthe"].personen == 4
    assert org["TenneT"].uren_per_week == 4.0 + 2
    assert org["=1+1 Adviesbureau"].uren_per_week == 1.5
    # The realised project's team (Karin Meijer, Enexis) no longer counts.
    assert org["Enexis"].personen == 2
    assert c.totaal_uren == sum(r.uren_per_week for r in c.per_organisatie)
    assert c.totaal_uren == 53.5
    assert [r.naam for r in c.per_fase][0] == "Verkenningsfase"


def test_capacity_of_a_project_without_phase_has_one_label():
    from sync.regels import FASE_ONBEKEND, capaciteit

    o = sample_overzicht()
    p = next(p for p in o.projecten if p.fiche_type == "concreet" and p.vraagt_inzet)
    p.fase_netbeheerder = p.fase_overheid = None
    c = capaciteit(o.projecten)
    assert c.per_fase[-1].naam == FASE_ONBEKEND == "Fase onbekend"
    uren = sum(r.uren_per_week for r in c.per_project if r.project is p)
    assert c.per_fase[-1].uren_per_week == uren > 0
    assert sum(f.get(FASE_ONBEKEND, 0) for f in c.per_organisatie_fase.values()) == uren
    assert {r.fase for r in c.per_project if r.project is p} == {FASE_ONBEKEND}
    # Every view is a sum over the same rows.
    assert sum(g.uren_per_week for g in c.per_fase) == sum(g.uren_per_week for g in c.per_organisatie) == c.totaal_uren


def test_frozen_snapshot_keeps_its_time_zone():
    from sync.kwartaal.rapportage import overzicht_naar_json, overzicht_van_json

    o = sample_overzicht()
    o.tijdzone = "America/New_York"
    assert overzicht_van_json(overzicht_naar_json(o)).tz.key == "America/New_York"


def test_timeline_png_is_deterministic_and_coloured():
    r = bouw_rapport(sample_overzicht())
    png = tijdlijn_png(r.projecten, r.peildatum)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert tijdlijn_png(r.projecten, r.peildatum) == png
    img = Image.open(io.BytesIO(png)).convert("RGB")
    assert img.width == 720 and img.height > 400
    kleuren = {rgb for _, rgb in img.getcolors(maxcolors=1 << 20)}
    # Prognose markers are drawn in the full stoplicht colours (bars are lighter).
    for light in (L.VERTRAAGD, L.RISICO, L.OP_PLANNING):
        rgb = tuple(int(light.kleur[i:i + 2], 16) for i in (0, 2, 4))
        assert rgb in kleuren, light
    assert b"Software" not in png  # no library version in the metadata: stable across upgrades


def test_timeline_of_an_empty_portfolio():
    png = tijdlijn_png([], dt.date(2026, 9, 30))
    assert Image.open(io.BytesIO(png)).width == 720


def test_summary_function_without_changes():
    from sync.kwartaal.inhoud import Wijzigingen
    assert samenvatting(Wijzigingen(), 0).startswith("Geen wijzigingen")


def test_timeline_keeps_fiche_text_as_text():
    o = sample_overzicht()
    # Mathtext markup that matplotlib could not even parse, and markup-looking text.
    o.projecten[0].projectnaam = r"Kosten $\frac{a}$ en $x^{b$"
    o.projecten[1].projectnaam = "<script>alert(1)</script>"
    png = tijdlijn_png(o.projecten, o.peildatum)
    assert Image.open(io.BytesIO(png)).width == 720


def test_timeline_labels_keep_the_distinguishing_end_of_long_names():
    from sync.kwartaal.tijdlijn import MAX_NAAM, _kort

    noord = _kort("Deelnet Emmen (verkenning nieuwbouw station Emmen Noord 110/20 kV)")
    barger = _kort("Deelnet Emmen (verkenning nieuwbouw station omgeving Emmen Bargermeer 110/20 kV)")
    assert noord != barger
    assert len(noord) <= MAX_NAAM and len(barger) <= MAX_NAAM
    assert "Noord" in noord and "Bargermeer" in barger
    assert _kort("Waterstof in Meppel") == "Waterstof in Meppel"


def test_asked_of_the_energy_board():
    r = bouw_rapport(sample_overzicht())
    # Only escalations to the Energy Board or a versnellingsatelier; the WKI handles its own.
    (e,) = r.gevraagd
    assert e.project.projectnaam == "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV"
    assert (e.overleg, e.knelpunt, e.oplossing) == (
        "Energy Board", "Locatie nog niet gekozen; Enexis nog in verkenning.",
        "Versnellingsatelier met Enexis, TenneT en gemeente.")
    assert e.gevraagd == "Een besluit over de oplossing van het knelpunt, samen met Provincie Drenthe."
    o = sample_overzicht()
    o.projecten[0].escalatie = "Versnellingsatelier"  # Emmen Noord
    gevraagd = bouw_rapport(o).gevraagd
    # Worst first: Bargermeer (Vertraagd) before Emmen Noord (Risico op vertraging).
    assert [g.overleg for g in gevraagd] == ["Energy Board", "Versnellingsatelier"]
    assert gevraagd[1].gevraagd.startswith("Een versnellingsatelier")


def test_new_projects_in_one_line_and_changes_most_urgent_first():
    r = bouw_rapport(sample_overzicht())
    assert r.nieuw_regel == "1 nieuw project (1 onbekend)."
    soorten = [regel.soort for regel in r.wijziging_regels]
    assert soorten == ["Nieuw op rood"] * 2 + ["Nieuw op oranje"] * 2 + ["Prognose later"] * 4 + \
        ["Gerealiseerd"] + ["Verbeterd"] * 2 + ["Prognose eerder"]
    assert "Nieuw" not in soorten
    assert r.wijziging_regels[4].wat == "+822 dagen (nu 30 juni 2033)"


def test_timeline_rows_are_what_the_email_details_worst_first():
    r = bouw_rapport(sample_overzicht())
    gedetailleerd = {p.sleutel for p in [g.project for g in r.gevraagd] + [p.project for p in r.plusprojecten]
                     + [p.project for p in r.lijst_plusprojecten] + [w.project for w in r.wijziging_regels]}
    assert {p.sleutel for p in r.projecten} == gedetailleerd
    assert len(r.projecten) == len(gedetailleerd)
    ernst = [p.stoplicht.ernst for p in r.projecten]
    assert ernst == sorted(ernst, reverse=True)
    # The new project is only counted, so it is not on the timeline.
    assert "MS-T verzwaring Coevorden - Dalen" not in namen(r.projecten)


def test_sections_are_cut_to_the_most_urgent_and_the_rest_counted():
    from sample_overzicht import groot_overzicht

    from sync.kwartaal.inhoud import MAX_DETAILS

    r = bouw_rapport(groot_overzicht(200))
    assert (r.aantal_gevraagd, len(r.gevraagd), r.meer_gevraagd) == (20, MAX_DETAILS, 20 - MAX_DETAILS)
    assert (r.aantal_plus, len(r.plusprojecten), r.meer_plus) == (80, MAX_DETAILS, 80 - MAX_DETAILS)
    assert r.meer_wijzigingen == 240 - MAX_DETAILS and r.meer_verkenningen == 80 - MAX_DETAILS
    assert r.nieuw_regel == "20 nieuwe projecten (20 onbekend)."
    # Counts still cover every project.
    assert r.aantal_concreet + r.aantal_verkenning == 200
    assert sum(r.tellingen_concreet.values()) + sum(r.tellingen_verkenning.values()) == 200


def test_list_plusprojecten_are_cut_too_and_never_push_out_the_fiche_cards():
    from sync.kwartaal.bericht import tekst_versie
    from sync.kwartaal.inhoud import MAX_DETAILS
    from sync.lijsten.venster import als_project
    from sync.overzicht import LijstStand

    o = sample_overzicht()
    fiche_plus = list(o.plusprojecten)
    for i in range(MAX_DETAILS + 3):
        o.projecten.append(als_project(LijstStand(
            soort="ms-t", bron="Enexis", sleutel=f"mst-{i:02d}", code=f"MST-{i:02d}", naam=f"MS-T Ruimte {i:02d}",
            editie="2026-update2", peildatum=dt.date(2026, 9, 1), bestand="ms-t.xlsx", eerste_editie="2025",
            ibn_eerste=dt.date(2027, 3, 31), ibn_vorige=dt.date(2029, 3, 31), ibn_laatste=dt.date(2029, 3, 31))))
    r = bouw_rapport(o)
    # Worse than every fiche plusproject, yet the fiche cards stay: the list ones get their own lines.
    assert [rij.project.sleutel for rij in r.plusprojecten] == [p.sleutel for p in fiche_plus]
    assert (r.aantal_lijst_plus, len(r.lijst_plusprojecten), r.meer_lijst_plus) == (MAX_DETAILS + 3, MAX_DETAILS, 3)
    assert r.aantal_plus == len(fiche_plus) + MAX_DETAILS + 3 and r.meer_plus == 0
    tekst = tekst_versie(r)
    plus = tekst[tekst.index("\nPLUSPROJECTEN\n"):tekst.index("\nWIJZIGINGEN SINDS")]
    assert f"Uit de projectlijsten (zonder fiche): {MAX_DETAILS + 3} plusprojecten\n" in plus
    # No earlier IBN known from last quarter: only the shift since the first edition.
    assert "* MS-T Ruimte 00 (MS-T · Enexis): IBN 31 mrt 2027 → 31 mrt 2029 (+731 dagen) [Vertraagd]\n" in plus
    assert plus.count("* MS-T Ruimte") == MAX_DETAILS
    assert "En nog 3: het bijgevoegde masterwerkboek (pMIEK-monitoring-2026Q3.xlsx, blad Plusprojecten)" in plus
