"""The sheets of the master workbook (`sync.master`): Overzicht, WKI, Plusprojecten,
Energieclusters, Mijlpalen, Knelpunten, Projectdetails, Capaciteit, Datakwaliteit and Historie.

The figures are the snapshot's rules (`Overzicht.plusprojecten`, `sync.regels.capaciteit`,
`sync.regels.datakwaliteit`, `sync.regels.per_energiecluster` and `sync.regels.wki_agenda`); the
sheets only lay them out, so they match the quarterly e-mail by construction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fiche.datums import (
    kwartaal_label,
    kwartaal_label_van_code,
    kwartaal_sorteersleutel,
)
from fiche.schema import FASEN, UREN_NORM
from fiche.stoplicht import Stoplicht, mijlpaal_stoplicht, mijlpaal_vertraging
from sync.master.cellen import (
    KOPRIJ,
    SCORE,
    SCORE_UITLEG,
    STOPLICHT_BREEDTE,
    Blad,
    Kolom,
    Link,
    Markering,
    als_stoplicht,
    celverwijzing,
    kolombreedte,
    opmaak,
    tabel,
    titelblok,
    totaalrij,
)
from sync.master.lijstbladen import LIJSTEN
from sync.overzicht import PROJECTSOORTEN, SOORT_LABEL, ProjectStand
from sync.regels import FASE_ONBEKEND, GEEN_CLUSTER, capaciteit, datakwaliteit, per_energiecluster, wki_agenda

TYPE_LABEL = {"concreet": "Concreet", "verkenning": "Verkenning", **SOORT_LABEL}
TREND_LABEL = {"nieuw": "Nieuw", "verslechterd": "Verslechterd", "verbeterd": "Verbeterd",
               "gerealiseerd": "Gerealiseerd", "gelijk": "Gelijk"}
GEEN_PROJECTEN = "Geen projecten in dit overzicht: er is nog geen geldige fiche ontvangen."

#: Data-quality kinds: Dutch label and urgency (shown with the colour of a stoplicht).
SOORTEN = {
    "ongeldig": ("Ongeldige fiche", Stoplicht.VERTRAAGD),
    "onleesbaar": ("Onleesbaar bestand", Stoplicht.VERTRAAGD),
    "dubbel": ("Dubbele fiche", Stoplicht.VERTRAAGD),
    "verouderd": ("Verouderde fiche", Stoplicht.RISICO),
    "geen_voorzitter": ("Geen voorzitter", Stoplicht.RISICO),
    "verwijderd": ("Verwijderde fiche", Stoplicht.RISICO),
    "ip_dubbel": ("IP-project dubbel geclaimd", Stoplicht.VERTRAAGD),
    "ip_onbekend": ("Onbekende IP-code", Stoplicht.RISICO),
}
URGENTIE = {Stoplicht.VERTRAAGD: "Hoog", Stoplicht.RISICO: "Middel"}

# --- Ordering and derived values --------------------------------------------------------------

def _mijlpaal_stoplicht(p: ProjectStand, m: dict[str, Any]) -> Stoplicht:
    light = als_stoplicht(m.get("stoplicht"))
    if light is not None:
        return light
    hand = als_stoplicht(m.get("stoplicht_handmatig"))
    if hand is not None:
        return hand
    return mijlpaal_stoplicht(_als_datum(m.get("gepland")), _als_datum(m.get("prognose")),
                              _als_datum(m.get("gereed")), p.ondergrens, p.bovengrens)


def _als_datum(value: Any) -> dt.date | None:
    """A table cell's date: a date, or the ISO text a JSON round trip through the store leaves."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.strip()).date()
        except ValueError:
            return None
    return None


def escalatie_cel(p: ProjectStand) -> Any:
    """An escalation stands out: bold on red for the Energy Board or a versnellingsatelier,
    on amber for the WKI; "Geen" stays plain."""
    if not p.is_geescaleerd:
        return p.escalatie
    kleur = Stoplicht.RISICO if (p.escalatie or "").strip() == "WKI" else Stoplicht.VERTRAAGD
    return Markering(p.escalatie or "", kleur, vet=True)


# --- The sheets -------------------------------------------------------------------------------

OVERZICHT = "Overzicht"
PLUS = "Plusprojecten"
MIJLPALEN = "Mijlpalen"
KNELPUNTEN = "Knelpunten"
CAPACITEIT = "Capaciteit"
DATAKWALITEIT = "Datakwaliteit"
HISTORIE = "Historie"
WKI = "WKI"
CLUSTERS_BLAD = "Energieclusters"
DETAILS = "Projectdetails"
UITVRAAG = "Stand uitvraag"  # laid out in sync.master.uitvraag_blad
BLADEN = (OVERZICHT, WKI, PLUS, CLUSTERS_BLAD, LIJSTEN, MIJLPALEN, KNELPUNTEN, DETAILS, CAPACITEIT, DATAKWALITEIT,
          UITVRAAG,
          HISTORIE)

K_OVERZICHT = (
    Kolom("Projectnaam", 48, "naam"), Kolom("Type", 12), Kolom("Soort", 18), Kolom("Drager", 14),
    Kolom("Gemeente", 18), Kolom("Energiecluster", 14), Kolom("Netbeheerder", 16), Kolom("Fase netbeheerder", 16),
    Kolom("Fase overheid", 16), Kolom("IBN/oplevering ondergrens", 13, "datum"),
    Kolom("IBN/oplevering bovengrens", 13, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Gerealiseerd", 12, "datum"), Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"), Kolom("Score", 8, "score"),
    Kolom("Trend", 13), Kolom("Vorig stoplicht", STOPLICHT_BREEDTE, "stoplicht"), Kolom("Escalatie", 21),
    Kolom("Plusproject", 12), Kolom("Open knelpunten", 11, "getal"), Kolom("Voorzitter", 22, "naam"),
    Kolom("E-mail voorzitter", 30, "naam"), Kolom("Toelichting", 50, "lang"), Kolom("Peildatum fiche", 12, "datum"),
    Kolom("Versie van", 16, "tijd"),
    Kolom("Let op", 30, "lang"), Kolom("Bronnen", 34, "lang"), Kolom("Fiche", 34, "lang"),
)
K_PLUS = (
    Kolom("Projectnaam", 44, "naam"), Kolom("Type", 12), Kolom("Drager", 14), Kolom("Gemeente", 18),
    Kolom("Netbeheerder", 16), Kolom("IBN/oplevering ondergrens", 13, "datum"),
    Kolom("IBN/oplevering bovengrens", 13, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Vorige prognose", 12, "datum"), Kolom("Verschuiving (dagen)", 13, "getal"),
    Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"), Kolom("Score", 8, "score"), Kolom("Trend", 13),
    Kolom("Hoofdknelpunt", 44, "lang"), Kolom("Oplossing", 44, "lang"), Kolom("Eigenaar", 20),
    Kolom("Escalatie", 21), Kolom("Verschuiving in de IP-/projectlijst (dagen)", 14, "getal"),
)
K_MIJLPALEN = (
    Kolom("Projectnaam", 40, "naam"), Kolom("Type", 12), Kolom("Nr", 6, "getal"), Kolom("Mijlpaal", 36, "lang"),
    Kolom("Fase", 16), Kolom("Actiehouder", 18), Kolom("Gepland", 12, "datum"), Kolom("Prognose", 12, "datum"),
    Kolom("Gereed", 12, "datum"), Kolom("Vertraging (dagen)", 12, "getal"),
    Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Handmatig stoplicht", 12), Kolom("Toelichting", 44, "lang"),
)
K_KNELPUNTEN = (
    Kolom("Projectnaam", 40, "naam"), Kolom("Type", 12), Kolom("Stoplicht project", STOPLICHT_BREEDTE, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Nr", 6, "getal"), Kolom("Knelpunt", 50, "lang"),
    Kolom("Oplossing", 50, "lang"), Kolom("Eigenaar", 22), Kolom("Status", 15), Kolom("Escalatie", 21),
)
K_CAP_FASE = (
    (Kolom("Organisatie", 28),)
    + tuple(Kolom(f, 16, "uren") for f in FASEN)
    + (Kolom(FASE_ONBEKEND, 15, "uren"), Kolom("Totaal uren per week", 15, "uren"))
)
K_CAP_PROJECT = (
    Kolom("Organisatie", 28), Kolom("Projectnaam", 40, "naam"), Kolom("Type", 12), Kolom("Fase", 16),
    Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"), Kolom("Score", 8, "score"), Kolom("Voorzitters", 11, "getal"),
    Kolom("Deelnemers", 11, "getal"), Kolom("Uren per week", 12, "uren"),
)
K_DATAKWALITEIT = (
    Kolom("Soort", 20), Kolom("Urgentie", 11, "stoplicht"), Kolom("Score", 8, "score"),
    Kolom("Project", 40, "naam"), Kolom("Bestand", 34, "lang"), Kolom("Melding", 70, "lang"),
    Kolom("Sinds", 16, "tijd"),
)


def overzicht_blad(blad: Blad, projecten: list[ProjectStand], mijlpaal_rij: dict[str, int],
                   alleen_op_lijstblad: int = 0) -> dict[str, int]:
    """`alleen_op_lijstblad`: list projects on planning left off this sheet (`sync.regels.op_overzicht`)."""
    o = blad.overzicht
    if projecten:
        delen = []
        for fiche_type in PROJECTSOORTEN:
            tel = o.tellingen(fiche_type)
            if sum(tel.values()):
                delen.append(f"{TYPE_LABEL[fiche_type]}: " + ", ".join(
                    f"{n} {light.label.lower()}" for light, n in tel.items() if n))
        regel3 = f"{len(projecten) + alleen_op_lijstblad} projecten. " + "; ".join(delen) + "."
        if alleen_op_lijstblad:
            regel3 += (f" {alleen_op_lijstblad} lijstprojecten op planning staan alleen op het blad "
                       f"{LIJSTEN}; hier staan de lijstprojecten die aandacht vragen.")
    else:
        regel3 = GEEN_PROJECTEN
    titelblok(blad, regel3, SCORE_UITLEG)
    rijen = []
    for p in projecten:
        let_op = None
        if p.nieuwere_versie_ongeldig:
            let_op = Markering("Nieuwere versie afgekeurd (zie Datakwaliteit); dit is de laatste geldige versie.")
        naam_link = mijlpaal_rij.get(p.sleutel)
        rijen.append([
            Link(p.projectnaam, locatie=celverwijzing(MIJLPALEN, naam_link) if naam_link else None),
            TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.soort, p.drager, p.gemeente, p.energiecluster,
            p.netbeheerder, p.fase_netbeheerder, p.fase_overheid, p.ondergrens, p.bovengrens, p.prognose,
            p.gerealiseerd, p.stoplicht, p.stoplicht, TREND_LABEL.get(p.trend, p.trend), p.vorig_stoplicht,
            escalatie_cel(p),
            "Ja" if p.is_plusproject else None, p.open_knelpunten, (p.voorzitter or {}).get("naam"),
            (p.voorzitter or {}).get("email"), p.toelichting, p.fiche_peildatum, p.versie_ontvangen, let_op,
            p.bronnen, Link(p.bron_naam, url=p.link) if not p.is_lijstproject else None,
        ])
    tabel(blad, "tblOverzicht", K_OVERZICHT, rijen)
    opmaak(blad, bevries="B")
    return {p.sleutel: KOPRIJ + 1 + i for i, p in enumerate(projecten)}


def plus_blad(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    plus = blad.overzicht.plusprojecten
    uitleg = ("Elektriciteitsprojecten waarvan de IBN dreigt te verschuiven door (mogelijke) vertraging, "
              "en verkenningen die uitlopen.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not plus:
        uitleg += " Dit kwartaal zijn er geen plusprojecten."
    titelblok(blad, uitleg, SCORE_UITLEG)
    rijen = []
    for p in plus:
        k = p.hoofdknelpunt or {}
        rijen.append([
            Link(p.projectnaam, locatie=celverwijzing(OVERZICHT, overzicht_rij[p.sleutel])),
            TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.drager, p.gemeente, p.netbeheerder,
            p.ondergrens, p.bovengrens, p.prognose, p.vorige_prognose, p.slip_dagen, p.stoplicht, p.stoplicht,
            TREND_LABEL.get(p.trend, p.trend), k.get("knelpunt"), k.get("oplossing"), k.get("eigenaar"),
            escalatie_cel(p), p.lijst.verschuiving_eerste if p.lijst is not None else None,
        ])
    tabel(blad, "tblPlusprojecten", K_PLUS, rijen)
    opmaak(blad, bevries="B")


def mijlpalen_rijen(projecten: list[ProjectStand]) -> tuple[list[tuple[ProjectStand, list[Any]]], dict[str, int]]:
    rijen: list[tuple[ProjectStand, list[Any]]] = []
    eerste: dict[str, int] = {}
    for p in projecten:
        for nr, m in enumerate(p.mijlpalen, start=1):
            eerste.setdefault(p.sleutel, KOPRIJ + 1 + len(rijen))
            gepland, prognose, gereed = (_als_datum(m.get(k)) for k in ("gepland", "prognose", "gereed"))
            rijen.append((p, [
                TYPE_LABEL.get(p.fiche_type, p.fiche_type), nr, m.get("mijlpaal"), m.get("fase"),
                m.get("actiehouder"), gepland, prognose, gereed, mijlpaal_vertraging(gepland, prognose, gereed),
                _mijlpaal_stoplicht(p, m), _mijlpaal_stoplicht(p, m),
                "Ja" if als_stoplicht(m.get("stoplicht_handmatig")) else None, m.get("toelichting"),
            ]))
    return rijen, eerste


def mijlpalen_blad(blad: Blad, projecten: list[ProjectStand], rijen: list[tuple[ProjectStand, list[Any]]],
               overzicht_rij: dict[str, int]) -> None:
    uitleg = ("Alle mijlpalen van alle projecten. Het stoplicht van een mijlpaal: de vertraging van de "
              "mijlpaal (prognose of gereed ten opzichte van gepland) wordt opgeteld bij de ondergrens van het "
              "IBN- of opleveringsvenster, en die datum wordt beoordeeld met dezelfde regel als de prognose "
              "van het project.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not rijen:
        uitleg += " Geen mijlpalen ingevuld."
    titelblok(blad, uitleg, SCORE_UITLEG)
    linked = [[Link(p.projectnaam, locatie=celverwijzing(OVERZICHT, overzicht_rij[p.sleutel]))] + r for p, r in rijen]
    tabel(blad, "tblMijlpalen", K_MIJLPALEN, linked)
    opmaak(blad, bevries="B")


def knelpunten_blad(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    rijen = []
    for p in projecten:
        for nr, k in enumerate(p.knelpunten, start=1):
            rijen.append([
                Link(p.projectnaam, locatie=celverwijzing(OVERZICHT, overzicht_rij[p.sleutel])),
                TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.stoplicht, p.stoplicht, nr, k.get("knelpunt"),
                k.get("oplossing"), k.get("eigenaar"), k.get("status") or "Open", escalatie_cel(p),
            ])
    uitleg = "Knelpunten per project en de oplossingen die ervoor zijn geformuleerd."
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not rijen:
        uitleg += " Geen knelpunten gemeld."
    titelblok(blad, uitleg, SCORE_UITLEG)
    tabel(blad, "tblKnelpunten", K_KNELPUNTEN, rijen)
    opmaak(blad, bevries="B")


def capaciteit_blad(blad: Blad, projecten: list[ProjectStand]) -> None:
    cap = capaciteit(projecten)
    norm = (f"Uren per week uit de teamlijsten; zonder opgave geldt de norm: voorzitter "
            f"{UREN_NORM['Voorzitter']:g} uur, deelnemer {UREN_NORM['Deelnemer']:g} uur per week. "
            "Gerealiseerde projecten tellen niet mee.")
    if not projecten:
        regel3 = norm + " " + GEEN_PROJECTEN
    else:
        regel3 = norm + f" Totaal: {_uren(cap.totaal_uren)} uur per week."
    titelblok(blad, regel3, "Links: per organisatie en fase. Rechts: per organisatie en project. " + SCORE_UITLEG)
    fase_rijen: list[list[Any]] = []
    per_organisatie_fase = cap.per_organisatie_fase
    for org in sorted(per_organisatie_fase, key=lambda o: (o.lower(), o)):
        f = per_organisatie_fase[org]
        waarden = [f.get(fase, 0.0) for fase in FASEN] + [f.get(FASE_ONBEKEND, 0.0)]
        fase_rijen.append([org, *waarden, sum(waarden)])
    _, fase_laatste = tabel(blad, "tblCapaciteitFase", K_CAP_FASE, fase_rijen)
    if fase_rijen:
        totaalrij(blad, fase_laatste + 1, K_CAP_FASE,
                  ["Totaal", *(sum(r[j] for r in fase_rijen) for j in range(1, len(K_CAP_FASE)))])
    start = len(K_CAP_FASE) + 2  # one narrow column between the two tables
    kolombreedte(blad, start - 1, 3)
    project_rijen = [
        [r.organisatie, r.project.projectnaam, TYPE_LABEL.get(r.project.fiche_type, r.project.fiche_type), r.fase,
         r.project.stoplicht, r.project.stoplicht, r.voorzitters, r.deelnemers, r.uren_per_week]
        for r in cap.per_project
    ]
    _, project_laatste = tabel(blad, "tblCapaciteitProject", K_CAP_PROJECT, project_rijen, eerste_kolom=start)
    if project_rijen:
        totaalrij(blad, project_laatste + 1, K_CAP_PROJECT,
                  ["Totaal", None, None, None, None, None, sum(r[6] for r in project_rijen),
                   sum(r[7] for r in project_rijen), cap.totaal_uren], eerste_kolom=start)
    opmaak(blad, bevries="B")


def _uren(value: float) -> str:
    return f"{value:g}".replace(".", ",")


def datakwaliteit_blad(blad: Blad, projecten: list[ProjectStand]) -> None:
    o = blad.overzicht
    meldingen = datakwaliteit(o)
    volgorde = list(SOORTEN)
    meldingen.sort(key=lambda m: (
        volgorde.index(m.soort) if m.soort in volgorde else len(volgorde), (m.project or "").lower(), m.bron_naam,
    ))
    uitleg = ("Fiches om na te lopen: ongeldig, onleesbaar, dubbel, verouderd, verwijderd, "
              "of een projectteam zonder (één) voorzitter.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    if not meldingen:
        uitleg += " Geen meldingen."
    titelblok(blad, uitleg, "Score (icoon): 1 = hoge urgentie, 2 = middel.")
    rijen = []
    for m in meldingen:
        label, urgentie = SOORTEN.get(m.soort, (m.soort, Stoplicht.RISICO))
        rijen.append([label, Markering(URGENTIE[urgentie], urgentie), SCORE[urgentie], m.project,
                      Link(m.bron_naam, url=m.link), m.melding, m.sinds])
    tabel(blad, "tblDatakwaliteit", K_DATAKWALITEIT, rijen)
    opmaak(blad)


def historie_blad(blad: Blad, projecten: list[ProjectStand]) -> None:
    o = blad.overzicht
    historie: dict[str, dict[str, Stoplicht]] = {k: dict(v) for k, v in o.historie.items()}
    # Today's light is this quarter's entry, whether or not the store recorded it yet.
    for p in projecten:
        historie.setdefault(p.sleutel, {})[o.kwartaal] = p.stoplicht
    kwartalen = sorted({q for rij in historie.values() for q in rij} | {o.kwartaal}, key=kwartaal_sorteersleutel)
    by_key = {p.sleutel: p for p in projecten}
    huidige = [p.sleutel for p in projecten]
    vervallen = sorted(k for k in historie if k not in by_key)
    kolommen = ((Kolom("Projectnaam", 44, "naam"), Kolom("Type", 12))
                + tuple(Kolom(kwartaal_label_van_code(q), STOPLICHT_BREEDTE, "stoplicht") for q in kwartalen)
                + (Kolom("Trend", 13), Kolom(f"Score {kwartaal_label_van_code(o.kwartaal)}", 10, "score")))
    rijen = []
    for sleutel in huidige + vervallen:
        p = by_key.get(sleutel)
        rij = historie.get(sleutel, {})
        naam = p.projectnaam if p else f"{sleutel} (niet meer in het overzicht)"
        rijen.append([naam, TYPE_LABEL.get(p.fiche_type, p.fiche_type) if p else None]
                     + [rij.get(q) for q in kwartalen]
                     + [TREND_LABEL.get(p.trend, p.trend) if p else None, p.stoplicht if p else None])
    uitleg = f"Stoplicht per project per kwartaal; {kwartaal_label(o.peildatum)} is de stand van deze peildatum."
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    titelblok(blad, uitleg, SCORE_UITLEG)
    tabel(blad, "tblHistorie", kolommen, rijen)
    opmaak(blad, bevries="B")




WKI_LABEL = {"plusproject": "Plusproject", "rood_niet_geescaleerd": "Vertraagd, niet geëscaleerd",
             "ongeldig": "Ongeldige of dubbele fiche", "verouderd": "Verouderde fiche"}
K_WKI = (
    Kolom("Onderwerp", 27), Kolom("Projectnaam", 40, "naam"), Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Escalatie", 21), Kolom("Waarom op de agenda", 70, "lang"),
    Kolom("Fiche", 34, "lang"),
)


def wki_blad(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    punten = wki_agenda(blad.overzicht)
    uitleg = ("Wat het volgende WKI bespreekt: de plusprojecten, vertraagde projecten die nog niet zijn "
              "geëscaleerd, en fiches die ongeldig of niet bijgewerkt zijn.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    elif not punten:
        uitleg += " Geen agendapunten dit kwartaal."
    else:
        tel = {s: sum(1 for w in punten if w.soort == s) for s in WKI_LABEL}
        uitleg += " " + ", ".join(f"{WKI_LABEL[s].lower()}: {n}" for s, n in tel.items() if n) + "."
    titelblok(blad, uitleg, SCORE_UITLEG)
    rijen = []
    for w in punten:
        rij = overzicht_rij.get(w.sleutel or "")
        rijen.append([
            WKI_LABEL[w.soort], Link(w.project, locatie=celverwijzing(OVERZICHT, rij) if rij else None),
            w.stoplicht, w.stoplicht, w.escalatie, w.reden, Link(w.bron_naam, url=w.link),
        ])
    tabel(blad, "tblWKI", K_WKI, rijen)
    opmaak(blad, bevries="C")


def _cluster_kolommen() -> tuple[Kolom, ...]:
    return ((Kolom("Energiecluster", 14), Kolom("Gemeenten", 48, "lang"), Kolom("Projecten", 11, "getal"))
            + tuple(Kolom(light.label, 13, "getal") for light in Stoplicht)
            + (Kolom("Plusprojecten", 13, "getal"), Kolom("Open knelpunten", 11, "getal"),
               Kolom("Geëscaleerd", 12, "getal"), Kolom("Uren per week", 12, "uren"),
               Kolom("Score (slechtste)", 10, "score")))


def clusters_blad(blad: Blad, projecten: list[ProjectStand]) -> None:
    clusters = per_energiecluster(blad.overzicht)
    uitleg = ("Per energiecluster (de uitvoeringstafels): projecten per stoplicht, plusprojecten, open "
              "knelpunten en gevraagde uren per week. Projecten in meerdere gemeenten staan onder "
              f"'{GEEN_CLUSTER}'.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    titelblok(blad, uitleg, "Score (icoon): het slechtste stoplicht in het cluster. " + SCORE_UITLEG)
    kolommen = _cluster_kolommen()
    rijen: list[list[Any]] = []
    for c in clusters if projecten else []:
        lichten = [light for light in Stoplicht if c.tellingen[light]]
        slechtste = max(lichten, key=lambda light: light.ernst) if lichten else None
        rijen.append([c.cluster, ", ".join(c.gemeenten) or "Meerdere gemeenten of geen gemeente", c.projecten,
                      *(c.tellingen[light] for light in Stoplicht), c.plusprojecten, c.open_knelpunten,
                      c.geescaleerd, c.uren_per_week, slechtste])
    _, laatste = tabel(blad, "tblEnergieclusters", kolommen, rijen)
    if projecten:
        totaalrij(blad, laatste + 1, kolommen,
                  ["Totaal", None, *(sum(r[j] for r in rijen) for j in range(2, len(kolommen) - 1)), None])
    opmaak(blad, bevries="B")


K_DETAILS = (
    Kolom("Projectnaam", 40, "naam"), Kolom("Type", 12), Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"),
    Kolom("Score", 8, "score"), Kolom("Toelichting", 44, "lang"), Kolom("Onderzoeksvraag", 40, "lang"),
    Kolom("Afhankelijkheden", 50, "lang"), Kolom("Uitvoeringsafspraken", 44, "lang"),
)


def afhankelijkheden_tekst(p: ProjectStand) -> str | None:
    """A concrete fiche's three dependency questions as one labelled text; a verkenning's one answer."""
    delen = [(label, waarde) for label, waarde in (
        ("Andere infrastructuur", p.afhankelijkheden_infra),
        ("Sectorale ontwikkelingen", p.afhankelijkheden_sectoraal),
        ("Buiten de provincie", p.afhankelijkheden_buiten_provincie),
    ) if waarde and str(waarde).strip()]
    if p.afhankelijkheden and str(p.afhankelijkheden).strip():
        if not delen:
            return str(p.afhankelijkheden)
        delen.append(("Overig", p.afhankelijkheden))
    return "\n".join(f"{label}: {waarde}" for label, waarde in delen) or None


def details_blad(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int]) -> None:
    uitleg = ("Per project de toelichting, de onderzoeksvraag (verkenningen), de afhankelijkheden en de "
              "uitvoeringsafspraken uit de fiche.")
    if not projecten:
        uitleg += " " + GEEN_PROJECTEN
    titelblok(blad, uitleg, SCORE_UITLEG)
    rijen = [[
        Link(p.projectnaam, locatie=celverwijzing(OVERZICHT, overzicht_rij[p.sleutel])),
        TYPE_LABEL.get(p.fiche_type, p.fiche_type), p.stoplicht, p.stoplicht, p.toelichting, p.onderzoeksvraag,
        afhankelijkheden_tekst(p), p.uitvoeringsafspraken,
    ] for p in projecten]
    tabel(blad, "tblProjectdetails", K_DETAILS, rijen)
    opmaak(blad, bevries="B")
