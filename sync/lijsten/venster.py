"""The list projects as of a peildatum: their derived IBN window, stoplicht and shifts.

A list row has no IBN window, only a planned IBN. So (documented in Dutch on the master's
Lijstprojecten sheet, `TOELICHTING`):

- the *ondergrens* is the planned IBN of the first edition or update the project appeared in
  (with a date), the *bovengrens* that plus the tolerance (`[lijsten] tolerantie_maanden`,
  default 12 months), the *prognose* the planned IBN of the latest edition it appears in;
- the stoplicht is `fiche.stoplicht.project_stoplicht` on that window, so a list project and a
  fiche are judged by the one rule; without a date it is Onbekend;
- the shift is counted in days against the previous appearance and against the first;
- a project missing from the newest import of its source and kind is `verdwenen` (flagged, with
  the data of its last appearance), not dropped.

The imports that count are those whose peildatum lies on or before the overview's peildatum, in
the order of their peildatum (the import order breaks a tie): every import is a full list of its
source and kind.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from fiche.datums import add_months
from fiche.schema import FASEN, energiecluster
from fiche.stoplicht import NABIJ_MAANDEN_STANDAARD, project_stoplicht
from sync.lijsten.gemeenten import gemeente_in_tekst
from sync.lijsten.instellingen import TOLERANTIE_STANDAARD
from sync.lijsten.tabellen import lijst_imports, lijst_rijen
from sync.overzicht import DatakwaliteitMelding, LijstStand, ProjectStand
from sync.regels import koppel_fiches, lijst_drager
from sync.store import Store

TOELICHTING = (
    "Een lijstproject (IP, MS-T, pMIEK 1.0) heeft geen eigen IBN-venster. De ondergrens is de geplande IBN in de "
    "eerste editie of update waarin het project voorkwam; de bovengrens is die datum plus de tolerantie "
    "({tolerantie}); de prognose is de geplande IBN in de nieuwste editie. Het stoplicht volgt dezelfde regel als "
    "bij de fiches: dicht bij de ondergrens is Op planning, tot de bovengrens Risico op vertraging, daarna "
    "Vertraagd; zonder datum Onbekend. Een jaartal telt als 31 december van dat jaar, een kwartaal als de laatste "
    "dag ervan. Heeft het project ook een fiche (die de IP-code noemt), dan geldt het venster van de fiche. "
    "Een elektriciteitsproject dat oranje of rood staat (verschoven voorbij de tolerantie) of sinds vorig "
    "kwartaal later is gepland, is een plusproject. 'Niet meer in lijst': het project ontbreekt in de nieuwste "
    "editie van zijn bron."
)


def tolerantie_tekst(maanden: int) -> str:
    if maanden % 12 == 0:
        jaren = maanden // 12
        return f"{jaren} jaar"
    return f"{maanden} maanden"


@dataclass(frozen=True)
class _Import:
    id: int
    bron: str
    soort: str
    editie: str
    peildatum: dt.date
    naam: str


def lijst_standen(store: Store, peildatum: dt.date) -> list[LijstStand]:
    """Every list project as the imports up to `peildatum` describe it."""
    with store.engine.connect() as conn:
        imports = [_Import(*r) for r in conn.execute(
            select(lijst_imports.c.id, lijst_imports.c.bron, lijst_imports.c.soort, lijst_imports.c.editie,
                   lijst_imports.c.peildatum, lijst_imports.c.naam)
            .where(lijst_imports.c.peildatum <= peildatum)
            .order_by(lijst_imports.c.peildatum, lijst_imports.c.id))]
        if not imports:
            return []
        rijen = conn.execute(
            select(lijst_rijen.c.import_id, lijst_rijen.c.sleutel, lijst_rijen.c.code, lijst_rijen.c.naam,
                   lijst_rijen.c.gemeente, lijst_rijen.c.spanningsniveau, lijst_rijen.c.soort_werk,
                   lijst_rijen.c.ibn, lijst_rijen.c.status, lijst_rijen.c.opmerking)
            .where(lijst_rijen.c.import_id.in_([i.id for i in imports]))).all()
    volgorde = {imp.id: n for n, imp in enumerate(imports)}
    per_import = {imp.id: imp for imp in imports}
    nieuwste: dict[tuple[str, str], _Import] = {}
    for imp in imports:
        nieuwste[(imp.soort, imp.bron)] = imp  # in peildatum order: the last one wins
    per_project: dict[tuple[str, str, str], list] = defaultdict(list)
    for r in rijen:
        imp = per_import[r.import_id]
        per_project[(imp.soort, imp.bron, r.sleutel)].append(r)
    uit = []
    for (soort, bron, sleutel), reeks in per_project.items():
        reeks.sort(key=lambda r: volgorde[r.import_id])
        laatste = reeks[-1]
        imp = per_import[laatste.import_id]
        eerste_datum = next((r.ibn for r in reeks if r.ibn is not None), None)
        vorige = reeks[-2].ibn if len(reeks) > 1 else None
        recent = nieuwste[(soort, bron)]
        verdwenen = recent.id != imp.id
        uit.append(LijstStand(
            soort=soort, bron=bron, sleutel=sleutel, code=laatste.code, naam=laatste.naam or laatste.code or sleutel,
            editie=imp.editie, peildatum=imp.peildatum, bestand=imp.naam,
            eerste_editie=per_import[reeks[0].import_id].editie,
            ibn_eerste=eerste_datum, ibn_vorige=vorige, ibn_laatste=laatste.ibn,
            gemeente_tekst=laatste.gemeente, spanningsniveau=laatste.spanningsniveau,
            soort_werk=laatste.soort_werk, status=laatste.status, opmerking=laatste.opmerking,
            verdwenen=verdwenen, verdwenen_in=recent.editie if verdwenen else None,
            edities=[{"editie": per_import[r.import_id].editie, "peildatum": per_import[r.import_id].peildatum,
                      "ibn": r.ibn} for r in reeks],
        ))
    uit.sort(key=lambda s: (s.soort, s.bron.lower(), s.naam.lower(), s.sleutel))
    return uit


def imports_tussen(store: Store, na: dt.date, tot_en_met: dt.date) -> bool:
    """Whether a list was imported with a peildatum after `na` up to `tot_en_met`: if not, the
    lists' state on both days is the same."""
    with store.engine.connect() as conn:
        return conn.execute(select(lijst_imports.c.id).where(
            lijst_imports.c.peildatum > na, lijst_imports.c.peildatum <= tot_en_met).limit(1)).first() is not None


def venster(stand: LijstStand, tolerantie_maanden: int = TOLERANTIE_STANDAARD
            ) -> tuple[dt.date | None, dt.date | None]:
    """The derived IBN window (ondergrens, bovengrens) of a list project."""
    if stand.ibn_eerste is None:
        return None, None
    return stand.ibn_eerste, add_months(stand.ibn_eerste, tolerantie_maanden)


def lijst_sleutel(stand: LijstStand) -> str:
    """The project's identity in the overview (fiche projects use their normalised name)."""
    return f"lijst:{stand.soort}:{stand.bron.lower()}:{stand.sleutel}"


def als_project(stand: LijstStand, tolerantie_maanden: int = TOLERANTIE_STANDAARD,
                nabij_maanden: int = NABIJ_MAANDEN_STANDAARD) -> ProjectStand:
    """A list project in the overview, judged by the stoplicht rule on its derived window."""
    onder, boven = venster(stand, tolerantie_maanden)
    gemeente = gemeente_in_tekst(stand.gemeente_tekst) or stand.gemeente_tekst
    fase = next((f for f in FASEN if stand.status and f.lower() in stand.status.lower()), None)
    return ProjectStand(
        sleutel=lijst_sleutel(stand), fiche_type=stand.soort, projectnaam=stand.naam,
        drager=lijst_drager(stand.soort, stand.bron, stand.soort_werk, stand.naam),
        gemeente=gemeente, energiecluster=energiecluster(gemeente), netbeheerder=stand.bron,
        fase_netbeheerder=fase, fase_overheid=None, ondergrens=onder, bovengrens=boven,
        prognose=stand.ibn_laatste, gerealiseerd=None,
        stoplicht=project_stoplicht(stand.ibn_laatste, onder, boven, None, nabij_maanden),
        escalatie=None, toelichting=stand.opmerking, fiche_peildatum=stand.peildatum,
        # "Versie van": the day the list describes (not the moment it was imported), so a snapshot
        # depends on the lists' content only.
        versie_ontvangen=dt.datetime.combine(stand.peildatum, dt.time(12), dt.timezone.utc),
        bron_id=stand.bestand, bron_naam=stand.bron_label, lijst=stand,
    )


def voeg_lijsten_toe(fiches: list[ProjectStand], standen: list[LijstStand], standen_vorig: list[LijstStand],
                     tolerantie_maanden: int = TOLERANTIE_STANDAARD, nabij_maanden: int = NABIJ_MAANDEN_STANDAARD
                     ) -> tuple[list[ProjectStand], list[DatakwaliteitMelding]]:
    """The whole portfolio: the fiche projects, each with the IP row it names (`sync.regels.koppel_fiches`),
    and every list project no fiche claims. A list project's trend and slip compare with its state at
    the end of the previous quarter (`standen_vorig`), as a fiche's do."""
    # The same list (no import since the previous quarter): each project is its own previous state.
    zelfde = standen_vorig is standen
    vorig = {} if zelfde else {lijst_sleutel(s): als_project(s, tolerantie_maanden, nabij_maanden)
                               for s in standen_vorig}
    lijst = []
    for s in standen:
        p = als_project(s, tolerantie_maanden, nabij_maanden)
        v = p if zelfde else vorig.get(p.sleutel)
        if v is not None:
            p.vorig_stoplicht, p.vorige_prognose = v.stoplicht, v.prognose
        lijst.append(p)
    ip: dict[str, ProjectStand] = {}
    for p in lijst:
        if p.fiche_type == "ip" and p.lijst is not None and p.lijst.code:
            ip.setdefault(p.lijst.code.lower(), p)
    koppeling, meldingen = koppel_fiches(fiches, ip)
    gekoppeld = set()
    for f in fiches:
        k = koppeling.get(f.sleutel)
        if k is not None:
            f.lijst = k.lijst
            gekoppeld.add(k.sleutel)
    return fiches + [p for p in lijst if p.sleutel not in gekoppeld], meldingen
