"""The master's Lijstprojecten sheet: the projects of the grid operators' lists (IP, MS-T, pMIEK 1.0).

One row per list project, also the ones a fiche names by its IP code (then with the fiche's
name and light, since a fiche's own window counts): source, edition, gemeente, energiecluster,
the planned IBN first, before and now, the shift in days, the derived window, the stoplicht and
whether it is a plusproject or no longer in the newest list. To the right, a summary per source
and kind. The title block says in Dutch how the window is derived (`sync.lijsten.venster`).
Built with the sheet API of `sync.master.cellen`, like the other sheets.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fiche.stoplicht import Stoplicht
from sync.lijsten.venster import TOELICHTING, tolerantie_tekst
from sync.master.cellen import (
    SCORE_UITLEG,
    STOPLICHT_BREEDTE,
    Blad,
    Kolom,
    Link,
    Markering,
    celverwijzing,
    kolombreedte,
    opmaak,
    tabel,
    titelblok,
    totaalrij,
)
from sync.overzicht import SOORT_LABEL, LijstStand, ProjectStand

LIJSTEN = "Lijstprojecten"
OVERZICHT = "Overzicht"  # the sheet a project name links to (sync.master.bladen.OVERZICHT)

K_LIJST = (
    Kolom("Projectnaam", 40, "naam"), Kolom("Code", 14), Kolom("Soort", 11), Kolom("Bron", 12),
    Kolom("Editie", 14), Kolom("Eerste editie", 14), Kolom("Gemeente", 16), Kolom("Energiecluster", 12),
    Kolom("Spanningsniveau", 12), Kolom("Type werk", 18), Kolom("Status/fase", 16),
    Kolom("IBN eerste editie", 12, "datum"), Kolom("IBN vorige editie", 12, "datum"),
    Kolom("IBN nu (prognose)", 12, "datum"), Kolom("Verschuiving t.o.v. vorige (dagen)", 13, "getal"),
    Kolom("Verschuiving t.o.v. eerste (dagen)", 13, "getal"), Kolom("Ondergrens", 12, "datum"),
    Kolom("Bovengrens", 12, "datum"), Kolom("Stoplicht", STOPLICHT_BREEDTE, "stoplicht"), Kolom("Score", 8, "score"),
    Kolom("Plusproject", 11), Kolom("In nieuwste lijst", 22), Kolom("Fiche", 30, "naam"),
    Kolom("Opmerking", 40, "lang"),
)
K_SAMENVATTING = (
    (Kolom("Bron", 14), Kolom("Soort", 11), Kolom("Nieuwste editie", 14), Kolom("Projecten", 10, "getal"))
    + tuple(Kolom(light.label, 12, "getal") for light in Stoplicht if light is not Stoplicht.GEREALISEERD)
    + (Kolom("Plusprojecten", 12, "getal"), Kolom("Later gepland", 11, "getal"),
       Kolom("Niet meer in lijst", 11, "getal"))
)


def lijst_projecten(projecten: list[ProjectStand]) -> list[tuple[ProjectStand, LijstStand]]:
    """The projects with a list row (and that row), by source, kind, gemeente and name."""
    met = [(p, p.lijst) for p in projecten if p.lijst is not None]
    return sorted(met, key=lambda t: (t[1].bron.lower(), t[1].soort, (t[0].gemeente or "~").lower(),
                                      t[0].projectnaam.lower(), t[0].sleutel))


def lijsten_blad(blad: Blad, projecten: list[ProjectStand], overzicht_rij: dict[str, int],
                 geen_projecten: str = "") -> None:
    """`geen_projecten`: the note of a snapshot without any project (the other sheets' text)."""
    o = blad.overzicht
    lijst = lijst_projecten(projecten)
    uitleg = TOELICHTING.format(tolerantie=tolerantie_tekst(o.tolerantie_maanden))
    if not projecten and geen_projecten:
        uitleg = f"{geen_projecten} {uitleg}"
    elif not lijst:
        uitleg = f"Nog geen projectlijsten ingelezen (pmiek import-lijst of de lijstenmap). {uitleg}"
    titelblok(blad, uitleg, "Per bron, gemeente en energiecluster; filter op de kolommen. " + SCORE_UITLEG)
    rijen: list[list[Any]] = []
    for p, s in lijst:
        rij = overzicht_rij.get(p.sleutel)
        in_lijst: Any = "Ja"
        if s.verdwenen:
            in_lijst = Markering(f"Niet meer in {s.verdwenen_in}", Stoplicht.RISICO)
        rijen.append([
            Link(p.projectnaam if p.is_lijstproject else s.naam,
                 locatie=celverwijzing(OVERZICHT, rij) if rij else None),
            s.code, SOORT_LABEL.get(s.soort, s.soort), s.bron, s.editie, s.eerste_editie, p.gemeente,
            p.energiecluster, s.spanningsniveau, s.soort_werk, s.status, s.ibn_eerste, s.ibn_vorige, s.ibn_laatste,
            s.verschuiving_vorige, s.verschuiving_eerste, p.ondergrens, p.bovengrens, p.stoplicht, p.stoplicht,
            "Ja" if p.is_plusproject else None, in_lijst, None if p.is_lijstproject else p.projectnaam, s.opmerking,
        ])
    tabel(blad, "tblLijstprojecten", K_LIJST, rijen)

    per: dict[tuple[str, str], list[tuple[ProjectStand, LijstStand]]] = defaultdict(list)
    for p, s in lijst:
        per[(s.bron, s.soort)].append((p, s))
    samenvatting: list[list[Any]] = []
    lichten = [light for light in Stoplicht if light is not Stoplicht.GEREALISEERD]
    for (bron, soort), ps in sorted(per.items(), key=lambda kv: (kv[0][0].lower(), kv[0][1])):
        _, nieuwste = max(ps, key=lambda t: t[1].peildatum)
        samenvatting.append([
            bron, SOORT_LABEL.get(soort, soort), nieuwste.verdwenen_in or nieuwste.editie, len(ps),
            *(sum(1 for p, _ in ps if p.stoplicht is light) for light in lichten),
            sum(1 for p, _ in ps if p.is_plusproject),
            sum(1 for _, s in ps if (s.verschuiving_vorige or 0) > 0),
            sum(1 for _, s in ps if s.verdwenen),
        ])
    start = len(K_LIJST) + 2
    kolombreedte(blad, start - 1, 3)
    _, laatste = tabel(blad, "tblLijstenPerBron", K_SAMENVATTING, samenvatting, eerste_kolom=start)
    if samenvatting:
        totaalrij(blad, laatste + 1, K_SAMENVATTING,
                  ["Totaal", None, None, *(sum(r[j] for r in samenvatting) for j in range(3, len(K_SAMENVATTING)))],
                  eerste_kolom=start)
    opmaak(blad, bevries="B")
