"""The portfolio rules, computed once on the snapshot (`sync.overzicht.Overzicht`): capacity per
organisation (split by project and by phase), the data-quality list (the store's findings plus
stale fiches and teams without exactly one voorzitter), the summary per energiecluster and what
the next WKI meeting should discuss.

The master workbook (`sync.master`) and the quarterly e-mail (`sync.kwartaal.inhoud`) only present
what these functions return, so the two give the same figures by construction. The per-project
rules they rest on (`ProjectStand.is_plusproject`, `is_verouderd`, `voorzitter`, `vraagt_inzet`)
live on the snapshot itself.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from fiche.datums import datum_dmj
from fiche.schema import ENERGIECLUSTERS, FASEN
from fiche.stoplicht import Stoplicht
from sync.overzicht import (
    DatakwaliteitMelding,
    Overzicht,
    ProjectStand,
    is_voorzitter,
    organisatie,
    rangorde,
    uren_per_week,
)

#: The phase column and row of a project whose phase nobody filled in.
FASE_ONBEKEND = "Fase onbekend"
FASE_VOLGORDE = (*FASEN, FASE_ONBEKEND)


# --- capacity -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Inzet:
    """One organisation's part in one project's team."""

    organisatie: str
    project: ProjectStand
    fase: str  # one of FASE_VOLGORDE
    voorzitters: int
    deelnemers: int
    uren_per_week: float
    #: Who (name and organisation, lower case): a person in several teams counts once per group.
    personen: frozenset[str]


@dataclass(frozen=True)
class CapaciteitGroep:
    """Totals for one organisation or one phase."""

    naam: str
    personen: int
    voorzitters: int
    uren_per_week: float


@dataclass
class Capaciteit:
    """Hours per week the projectteams ask for; every view is a sum over `per_project`."""

    per_project: list[Inzet]

    def _groepen(self, sleutel) -> dict[str, CapaciteitGroep]:
        wie: dict[str, set[str]] = defaultdict(set)
        voorz: dict[str, int] = defaultdict(int)
        uren: dict[str, float] = defaultdict(float)
        for r in self.per_project:
            k = sleutel(r)
            wie[k] |= r.personen
            voorz[k] += r.voorzitters
            uren[k] += r.uren_per_week
        return {k: CapaciteitGroep(k, len(wie[k]), voorz[k], uren[k]) for k in uren}

    @property
    def per_organisatie(self) -> list[CapaciteitGroep]:
        """Largest demand first."""
        return sorted(self._groepen(lambda r: r.organisatie).values(),
                      key=lambda g: (-g.uren_per_week, g.naam.lower()))

    @property
    def per_fase(self) -> list[CapaciteitGroep]:
        """In the order of the phases, the unknown phase last."""
        return sorted(self._groepen(lambda r: r.fase).values(), key=lambda g: FASE_VOLGORDE.index(g.naam))

    @property
    def per_organisatie_fase(self) -> dict[str, dict[str, float]]:
        """Organisation -> phase -> hours per week (phases without hours left out)."""
        uit: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for r in self.per_project:
            uit[r.organisatie][r.fase] += r.uren_per_week
        return {org: dict(f) for org, f in uit.items()}

    @property
    def totaal_uren(self) -> float:
        return sum(r.uren_per_week for r in self.per_project)

    @property
    def totaal_personen(self) -> int:
        return len(set().union(*(r.personen for r in self.per_project)))


def _persoon(lid: dict, org: str) -> str:
    naam = " ".join(str(lid.get("naam") or "").split()) or "?"
    return f"{naam.lower()}|{org.lower()}"


def capaciteit(projecten: Iterable[ProjectStand]) -> Capaciteit:
    """Seed: voorzitter 3, deelnemer 2 hours a week unless the team list says otherwise; a
    realised project asks for no effort any more."""
    groepen: dict[tuple[str, str], list[dict]] = defaultdict(list)
    per_sleutel: dict[str, ProjectStand] = {}
    for p in projecten:
        if not p.vraagt_inzet:
            continue
        per_sleutel[p.sleutel] = p
        for lid in p.projectteam:
            groepen[(organisatie(lid), p.sleutel)].append(lid)
    rijen = []
    for (org, sleutel), leden in groepen.items():
        p = per_sleutel[sleutel]
        voorz = sum(1 for lid in leden if is_voorzitter(lid))
        rijen.append(Inzet(
            organisatie=org, project=p, fase=p.fase if p.fase in FASEN else FASE_ONBEKEND,
            voorzitters=voorz, deelnemers=len(leden) - voorz,
            uren_per_week=sum(uren_per_week(lid) for lid in leden),
            personen=frozenset(_persoon(lid, org) for lid in leden),
        ))
    rijen.sort(key=lambda r: (r.organisatie.lower(), r.organisatie, rangorde(r.project)))
    return Capaciteit(rijen)


# --- data quality ---------------------------------------------------------------------------------

#: Kinds of finding, most urgent first.
SOORTEN = ("ongeldig", "onleesbaar", "dubbel", "ip_dubbel", "ip_onbekend", "verwijderd", "verouderd", "geen_voorzitter")


def project_meldingen(projecten: Iterable[ProjectStand], kwartaal_begin: dt.date) -> list[DatakwaliteitMelding]:
    """What the projects themselves show: a fiche not updated this quarter, a team without
    exactly one voorzitter. `sync.overzicht_bouw` adds these to the store's findings."""
    meldingen = []
    for p in projecten:
        if p.is_verouderd(kwartaal_begin):
            meldingen.append(DatakwaliteitMelding(
                "verouderd", p.bron_naam,
                f"Fiche niet bijgewerkt dit kwartaal (peildatum {datum_dmj(p.fiche_peildatum, 'onbekende datum')}).",
                project=p.projectnaam, sinds=p.versie_ontvangen, bron_id=p.bron_id, link=p.link))
        if p.voorzitter is None and not p.is_lijstproject:
            n = p.aantal_voorzitters
            tekst = ("Projectteam heeft geen voorzitter." if n == 0
                     else f"Projectteam heeft {n} voorzitters; er hoort er één te zijn.")
            meldingen.append(DatakwaliteitMelding(
                "geen_voorzitter", p.bron_naam, tekst, project=p.projectnaam, sinds=p.versie_ontvangen,
                bron_id=p.bron_id, link=p.link))
    return meldingen


def sorteer_meldingen(meldingen: list[DatakwaliteitMelding]) -> list[DatakwaliteitMelding]:
    return sorted(meldingen, key=lambda m: (SOORTEN.index(m.soort) if m.soort in SOORTEN else len(SOORTEN),
                                            m.bron_naam.lower()))


def datakwaliteit(overzicht: Overzicht) -> list[DatakwaliteitMelding]:
    """Every data-quality finding of the snapshot, once per kind and project.

    `overzicht.datakwaliteit` holds what the store found (and, for a snapshot built by
    `sync.overzicht_bouw`, these project findings already); whatever the projects show that no
    finding mentions yet (a hand-made or older frozen snapshot) is added here.
    """
    meldingen = list(overzicht.datakwaliteit)

    def soort(m: DatakwaliteitMelding) -> str:
        return "ongeldig" if m.soort == "onleesbaar" else m.soort  # one refusal per project is enough

    gezien = {(soort(m), (m.project or m.bron_naam).lower()) for m in meldingen}
    aanvulling = project_meldingen(overzicht.projecten, overzicht.kwartaal_begin)
    # The store reports a refused newer version by file; make sure its project shows it too.
    aanvulling += [DatakwaliteitMelding(
        "ongeldig", p.bron_naam, "Nieuwste versie afgekeurd; het overzicht toont de vorige geldige versie.",
        project=p.projectnaam, bron_id=p.bron_id, link=p.link)
        for p in overzicht.projecten if p.nieuwere_versie_ongeldig]
    for m in aanvulling:
        sleutel = (soort(m), (m.project or m.bron_naam).lower())
        if sleutel not in gezien:
            gezien.add(sleutel)
            meldingen.append(m)
    return sorteer_meldingen(meldingen)


# --- project lists: carrier, and the link between a fiche and its IP row -------------------------

#: The grid operator for hydrogen and gas: its list projects are not electricity projects.
GAS_BRONNEN = ("gasunie", "hynetwork")


def lijst_drager(soort: str, bron: str, soort_werk: str | None = None, naam: str | None = None) -> str:
    """The carrier of a list project: Gasunie's (Hynetwork's) lists and rows about hydrogen are
    Waterstof, rows about heat Warmte; every other IP, MS-T or pMIEK 1.0 row is Elektriciteit (the
    lists of Enexis, TenneT and RENDO are electricity grids)."""
    tekst = f"{soort_werk or ''} {naam or ''}".lower()
    if bron.strip().lower() in GAS_BRONNEN or "waterstof" in tekst:
        return "Waterstof"
    if "warmte" in tekst:
        return "Warmte"
    return "Elektriciteit"


#: How a fiche names its IP code in the Investeringsplannen answer ("code VB-1042", "IP-code: 0417").
_CODE_GENOEMD = re.compile(r"(?:ip[- ]?code|projectcode|projectnummer|codering|code)\s*[:=]?\s*"
                           r"([a-z0-9][a-z0-9._/-]*[0-9][a-z0-9._/-]*)", re.IGNORECASE)
_WOORD = re.compile(r"[a-z0-9][a-z0-9._/-]*", re.IGNORECASE)


def genoemde_codes(tekst: str | None, bekende: Iterable[str] = ()) -> set[str]:
    """The IP codes (lower case) a fiche's Investeringsplannen text names: every code after the word
    "code" (or "codering", "IP-code", "projectnummer"), and every known list code it contains as a word."""
    if not tekst:
        return set()
    codes = {m.group(1).rstrip("./-").lower() for m in _CODE_GENOEMD.finditer(tekst)}
    bekend = set(bekende)
    codes |= {w.rstrip("./-").lower() for w in _WOORD.findall(tekst) if w.rstrip("./-").lower() in bekend}
    return codes


def koppel_fiches(fiches: list[ProjectStand], ip_projecten: dict[str, ProjectStand]
                  ) -> tuple[dict[str, ProjectStand], list[DatakwaliteitMelding]]:
    """Which fiche is which IP project: fiche sleutel -> the IP list project (by its code, lower case,
    in `ip_projecten`). One IP project claimed by two fiches goes to the first (in `rangorde`) and
    is a finding; a code that no imported IP list knows is a finding too (only when lists were
    imported at all: without them there is nothing to check against)."""
    koppeling: dict[str, ProjectStand] = {}
    claims: dict[str, list[ProjectStand]] = defaultdict(list)
    meldingen: list[DatakwaliteitMelding] = []
    for f in sorted(fiches, key=rangorde):
        for code in sorted(genoemde_codes(f.investeringsplannen, ip_projecten)):
            ip = ip_projecten.get(code)
            if ip is None:
                if ip_projecten:
                    meldingen.append(DatakwaliteitMelding(
                        "ip_onbekend", f.bron_naam,
                        f"De fiche noemt IP-code '{code.upper()}', maar geen ingelezen IP-lijst kent die code. "
                        "Controleer de code bij de netbeheerder of lees de juiste lijst in (pmiek import-lijst).",
                        project=f.projectnaam, sinds=f.versie_ontvangen, bron_id=f.bron_id, link=f.link))
                continue
            claims[code].append(f)
            if len(claims[code]) == 1 and f.sleutel not in koppeling:
                koppeling[f.sleutel] = ip
    for code, fs in claims.items():
        if len(fs) < 2:
            continue
        ip = ip_projecten[code]
        namen = " en ".join(f"'{f.projectnaam}'" for f in fs)
        for f in fs[1:]:
            meldingen.append(DatakwaliteitMelding(
                "ip_dubbel", f.bron_naam,
                f"IP-project {ip.lijst.code if ip.lijst else code} ('{ip.projectnaam}') wordt door {len(fs)} fiches "
                f"geclaimd: {namen}. Alleen '{fs[0].projectnaam}' is eraan gekoppeld; één IP-project hoort bij "
                "één fiche.", project=f.projectnaam, sinds=f.versie_ontvangen, bron_id=f.bron_id, link=f.link))
    return koppeling, meldingen


def op_overzicht(p: ProjectStand) -> bool:
    """Whether a project gets a row on the master's Overzicht: every fiche project, and the list
    projects that ask attention (plusproject, not on planning, or gone from the newest list). A
    grid operator's list holds thousands of rows; all of them are on the Lijstprojecten sheet."""
    if not p.is_lijstproject:
        return True
    verdwenen = p.lijst is not None and p.lijst.verdwenen
    return p.is_plusproject or verdwenen or p.stoplicht not in (Stoplicht.OP_PLANNING, Stoplicht.GEREALISEERD)


# --- per energiecluster ---------------------------------------------------------------------------

#: The four energieclusters (letters from `fiche.schema.ENERGIECLUSTERS`) in order.
CLUSTERS = tuple(sorted(set(ENERGIECLUSTERS.values())))
#: The row of projects outside one cluster (several gemeenten, or none filled in).
GEEN_CLUSTER = "Geen cluster"


@dataclass(frozen=True)
class ClusterStand:
    """One energiecluster's projects: what its uitvoeringstafel discusses."""

    cluster: str  # a letter of CLUSTERS, or GEEN_CLUSTER
    gemeenten: tuple[str, ...]
    projecten: int
    tellingen: dict[Stoplicht, int]
    plusprojecten: int
    open_knelpunten: int
    geescaleerd: int
    uren_per_week: float


def per_energiecluster(overzicht: Overzicht) -> list[ClusterStand]:
    """Every cluster A-D (also one without projects, so the sheet always has the four rows),
    then the projects outside one cluster when there are any."""
    per: dict[str, list[ProjectStand]] = {c: [] for c in (*CLUSTERS, GEEN_CLUSTER)}
    for p in overzicht.projecten:
        per[p.energiecluster if p.energiecluster in per else GEEN_CLUSTER].append(p)
    uit = []
    for cluster, projecten in per.items():
        if cluster == GEEN_CLUSTER and not projecten:
            continue
        tel = {light: 0 for light in Stoplicht}
        for p in projecten:
            tel[p.stoplicht] += 1
        uit.append(ClusterStand(
            cluster=cluster,
            gemeenten=tuple(g for g, c in ENERGIECLUSTERS.items() if c == cluster),
            projecten=len(projecten), tellingen=tel,
            plusprojecten=sum(1 for p in projecten if p.is_plusproject),
            open_knelpunten=sum(p.open_knelpunten for p in projecten),
            geescaleerd=sum(1 for p in projecten if p.is_geescaleerd),
            uren_per_week=capaciteit(projecten).totaal_uren,
        ))
    return uit


# --- what the next WKI discusses ------------------------------------------------------------------

#: Kinds of WKI agenda item, in the order the meeting takes them.
WKI_SOORTEN = ("plusproject", "rood_niet_geescaleerd", "ongeldig", "verouderd")


@dataclass(frozen=True)
class WkiPunt:
    """One item for the next WKI meeting."""

    soort: str  # one of WKI_SOORTEN
    project: str | None
    bron_naam: str | None
    stoplicht: Stoplicht | None
    escalatie: str | None
    reden: str  # Dutch: why it is on the agenda
    link: str | None = None
    sleutel: str | None = None  # the project's, when it is in the overview


def wki_agenda(overzicht: Overzicht) -> list[WkiPunt]:
    """Seed: the WKI discusses the plusprojecten, decides on escalation of delayed projects, and
    the project leader chases the fiches that are invalid or not updated. A red project already
    escalated is on its escalation's agenda instead."""
    punten = []
    for p in overzicht.plusprojecten:
        k = p.hoofdknelpunt
        reden = "Plusproject: de IBN/oplevering dreigt te verschuiven."
        if p.slip_dagen:
            reden += f" Prognose {p.slip_dagen:+d} dagen t.o.v. vorig kwartaal."
        if p.lijst is not None and p.lijst.verschuiving_eerste:
            reden += (f" Geplande IBN in {p.lijst.bron_label} {p.lijst.verschuiving_eerste:+d} dagen t.o.v. "
                      f"{p.lijst.eerste_editie}.")
        if k and k.get("knelpunt"):
            reden += f" Hoofdknelpunt: {k['knelpunt']}"
        punten.append(WkiPunt("plusproject", p.projectnaam, p.bron_naam, p.stoplicht, p.escalatie, reden, p.link,
                              p.sleutel))
    for p in sorted(overzicht.projecten, key=rangorde):
        # A red list project has no escalation field; as an electricity project it is a plusproject already.
        if p.stoplicht is Stoplicht.VERTRAAGD and not p.is_geescaleerd and not p.is_lijstproject:
            punten.append(WkiPunt(
                "rood_niet_geescaleerd", p.projectnaam, p.bron_naam, p.stoplicht, p.escalatie,
                "Vertraagd en nog niet geëscaleerd: besluit of escalatie nodig is.", p.link, p.sleutel))
    per_project = {p.projectnaam: p for p in overzicht.projecten}
    for m in datakwaliteit(overzicht):
        soort = {"ongeldig": "ongeldig", "onleesbaar": "ongeldig", "dubbel": "ongeldig",
                 "verouderd": "verouderd"}.get(m.soort)
        if soort is None:
            continue
        p = per_project.get(m.project or "")
        punten.append(WkiPunt(soort, m.project, m.bron_naam, p.stoplicht if p else None,
                              p.escalatie if p else None, m.melding, m.link, p.sleutel if p else None))
    punten.sort(key=lambda w: WKI_SOORTEN.index(w.soort))  # stable: each kind keeps its own order
    return punten
