"""The content of the quarterly overview for the Energy Board and the WIP, derived from one `Overzicht`.

Everything the e-mail says is decided here, as data with Dutch labels, in the order a Board
member reads it: what the Energy Board is asked to decide (escalations), the plusprojecten worst
first (a fiche's as a card, a list project's in one line), what changed since the previous
quarter, then the rest (counts per stoplicht, the verkenningen, data quality and capacity), with
the one-sentence summary on top.

Size does not grow with the portfolio: counts cover everything, but each section details at most
`MAX_DETAILS` items (the most urgent first) and counts the rest, which the attached master lists
in full. The timeline shows exactly the projects the e-mail details (`Rapport.projecten`).
`sync.kwartaal.bericht` only lays this out (text and HTML), so the plain-text and HTML parts
cannot disagree. The portfolio rules themselves (plusprojecten, capacity, data quality) are the
snapshot's (`sync.overzicht`, `sync.regels`), shared with the master workbook.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fiche.datums import DatumFout, datum_nl, kwartaal_grenzen, kwartaal_label, parse_datum, vorig_kwartaal
from fiche.stoplicht import Stoplicht
from sync.kwartaal.lijstprojecten import LijstPlusRij, LijstSamenvatting, lijst_plusrijen, lijst_samenvatting
from sync.kwartaal.woorden import KORT, MAX_DETAILS, TELVOLGORDE, aantal, slip_woorden
from sync.overzicht import Overzicht, ProjectStand
from sync.regels import Capaciteit, capaciteit, datakwaliteit

#: The escalation levels that ask something of the Energy Board (the WKI handles its own).
BOARD_ESCALATIES = ("energy board", "versnellingsatelier")


@dataclass
class Verschuiving:
    project: ProjectStand
    dagen: int


@dataclass
class Wijzigingen:
    """What moved since the previous quarter."""

    nieuw_rood: list[ProjectStand] = field(default_factory=list)
    nieuw_oranje: list[ProjectStand] = field(default_factory=list)
    nieuw_onbekend: list[ProjectStand] = field(default_factory=list)
    verbeterd: list[ProjectStand] = field(default_factory=list)
    nieuw: list[ProjectStand] = field(default_factory=list)
    gerealiseerd: list[ProjectStand] = field(default_factory=list)
    #: Prognose later than last quarter, largest slip first.
    verschoven: list[Verschuiving] = field(default_factory=list)
    #: Prognose earlier than last quarter.
    vervroegd: list[Verschuiving] = field(default_factory=list)

    @property
    def leeg(self) -> bool:
        return not any((self.nieuw_rood, self.nieuw_oranje, self.nieuw_onbekend, self.verbeterd,
                        self.nieuw, self.gerealiseerd, self.verschoven, self.vervroegd))


@dataclass
class PlusRij:
    """One row of the plusprojecten table."""

    project: ProjectStand
    knelpunt: str | None
    oplossing: str | None
    knelpunt_eigenaar: str | None

    @property
    def slip_dagen(self) -> int | None:
        return self.project.slip_dagen


@dataclass
class EscalatieRij:
    """One thing the Energy Board is asked: an escalation to the Board or a versnellingsatelier."""

    project: ProjectStand
    overleg: str  # "Energy Board" | "Versnellingsatelier", as the fiche says it
    knelpunt: str | None
    oplossing: str | None
    knelpunt_eigenaar: str | None
    #: What is asked, in Dutch: the fiche has no field for it, so it follows from the level.
    gevraagd: str


@dataclass
class WijzigingRegel:
    """One detail line of "what changed": its kind ("Nieuw op rood", "Prognose later", ...), the
    project and the change in words ("Vertraagd (was Risico op vertraging)", "+90 dagen (nu ...)")."""

    soort: str
    project: ProjectStand
    wat: str


@dataclass
class VerkenningRij:
    project: ProjectStand
    mijlpalen_gereed: int
    mijlpalen_totaal: int
    volgende_mijlpaal: str | None
    volgende_datum: dt.date | None


@dataclass
class Datakwaliteit:
    #: (project or file name, Dutch explanation)
    niet_bijgewerkt: list[tuple[str, str]] = field(default_factory=list)
    ongeldig: list[tuple[str, str]] = field(default_factory=list)
    zonder_voorzitter: list[tuple[str, str]] = field(default_factory=list)
    overig: list[tuple[str, str]] = field(default_factory=list)

    @property
    def leeg(self) -> bool:
        return not (self.niet_bijgewerkt or self.ongeldig or self.zonder_voorzitter or self.overig)


@dataclass
class Rapport:
    kwartaal: str
    kwartaal_label: str
    peildatum: dt.date
    gegenereerd: dt.datetime
    samenvatting: str
    tellingen_concreet: dict[Stoplicht, int]
    tellingen_verkenning: dict[Stoplicht, int]
    aantal_concreet: int
    aantal_verkenning: int
    wijzigingen: Wijzigingen
    plusprojecten: list[PlusRij]
    verkenningen: list[VerkenningRij]
    datakwaliteit: Datakwaliteit
    capaciteit: Capaciteit
    #: The projects the e-mail details, worst first: the timeline's rows, in its order.
    projecten: list[ProjectStand]
    vorig_kwartaal_label: str
    #: Escalations to the Energy Board or a versnellingsatelier, most urgent first, at most MAX_DETAILS.
    gevraagd: list[EscalatieRij] = field(default_factory=list)
    aantal_gevraagd: int = 0
    #: All plusprojecten, fiche and list ones (before the cuts to `plusprojecten`, `lijst_plusprojecten`).
    aantal_plus: int = 0
    #: The list plusprojecten as one line each, at most MAX_DETAILS; `aantal_lijst_plus` all.
    lijst_plusprojecten: list[LijstPlusRij] = field(default_factory=list)
    aantal_lijst_plus: int = 0
    #: Detail lines of the changes, most urgent first, at most MAX_DETAILS; `aantal_wijzigingen` all.
    wijziging_regels: list[WijzigingRegel] = field(default_factory=list)
    aantal_wijzigingen: int = 0
    #: The one line about new projects ("" when none).
    nieuw_regel: str = ""
    aantal_verkenningen_detail: int = 0
    #: The project lists (IP, MS-T, pMIEK 1.0): counted, and the newly shifted ones named.
    lijsten: LijstSamenvatting | None = None

    @property
    def meer_gevraagd(self) -> int:
        return self.aantal_gevraagd - len(self.gevraagd)

    @property
    def meer_plus(self) -> int:
        """Fiche plusprojecten beyond the cards shown."""
        return self.aantal_plus - self.aantal_lijst_plus - len(self.plusprojecten)

    @property
    def meer_lijst_plus(self) -> int:
        return self.aantal_lijst_plus - len(self.lijst_plusprojecten)

    @property
    def meer_wijzigingen(self) -> int:
        return self.aantal_wijzigingen - len(self.wijziging_regels)

    @property
    def meer_verkenningen(self) -> int:
        return self.aantal_verkenningen_detail - len(self.verkenningen)


# --- building --------------------------------------------------------------------------------

def _ernst_volgorde(p: ProjectStand) -> tuple:
    return (-p.stoplicht.ernst, p.projectnaam.lower())


def bepaal_wijzigingen(overzicht: Overzicht) -> Wijzigingen:
    """The fiche projects' changes; the list projects (thousands of rows) get their own counted
    section (`lijst_samenvatting`)."""
    w = Wijzigingen()
    for p in sorted((p for p in overzicht.projecten if not p.is_lijstproject), key=_ernst_volgorde):
        trend = p.trend
        if trend == "nieuw":
            w.nieuw.append(p)
        elif trend == "gerealiseerd":
            w.gerealiseerd.append(p)
        elif trend == "verbeterd":
            w.verbeterd.append(p)
        elif trend == "verslechterd":
            if p.stoplicht is Stoplicht.VERTRAAGD:
                w.nieuw_rood.append(p)
            elif p.stoplicht is Stoplicht.RISICO:
                w.nieuw_oranje.append(p)
            elif p.stoplicht is Stoplicht.ONBEKEND:
                w.nieuw_onbekend.append(p)
        slip = p.slip_dagen
        if slip and p.stoplicht is not Stoplicht.GEREALISEERD:
            (w.verschoven if slip > 0 else w.vervroegd).append(Verschuiving(p, slip))
    w.verschoven.sort(key=lambda v: (-v.dagen, v.project.projectnaam.lower()))
    w.vervroegd.sort(key=lambda v: (v.dagen, v.project.projectnaam.lower()))
    return w


def samenvatting(w: Wijzigingen, plus: int) -> str:
    """The sentence on top: only what happened, worst first."""
    delen: list[str] = []
    if w.nieuw_rood:
        delen.append(f"{aantal(len(w.nieuw_rood), 'project', 'projecten')} nieuw op rood")
    if w.nieuw_oranje:
        delen.append(f"{aantal(len(w.nieuw_oranje), 'project', 'projecten')} nieuw op oranje")
    if w.nieuw_onbekend:
        delen.append(f"{aantal(len(w.nieuw_onbekend), 'project', 'projecten')} zonder actuele prognose (onbekend)")
    if w.verbeterd:
        delen.append(f"{len(w.verbeterd)} verbeterd")
    if w.gerealiseerd:
        delen.append(f"{len(w.gerealiseerd)} gerealiseerd")
    if w.nieuw:
        delen.append(f"{aantal(len(w.nieuw), 'nieuw project', 'nieuwe projecten')}")
    if w.verschoven:
        grootste = w.verschoven[0].dagen
        delen.append(f"bij {aantal(len(w.verschoven), 'project', 'projecten')} schoof de prognose op "
                     f"(tot {aantal(grootste, 'dag', 'dagen')})")
    if not delen:
        zin = "Geen wijzigingen in de stoplichten ten opzichte van vorig kwartaal"
    elif len(delen) == 1:
        zin = delen[0]
    else:
        zin = ", ".join(delen[:-1]) + " en " + delen[-1]
    zin = zin[0].upper() + zin[1:]
    zin += f". {aantal(plus, 'plusproject vraagt', 'plusprojecten vragen')} aandacht." if plus else \
        ". Geen plusprojecten."
    return zin


def _tekst(v: Any) -> str | None:
    if v is None:
        return None
    s = str(v).strip()
    return s or None


def plusrijen(overzicht: Overzicht) -> list[PlusRij]:
    """The fiche plusprojecten, each a card (the list ones are `lijst_plusrijen`)."""
    rijen = []
    for p in overzicht.plusprojecten:
        if p.is_lijstproject:
            continue
        k = p.hoofdknelpunt or {}
        rijen.append(PlusRij(p, _tekst(k.get("knelpunt")), _tekst(k.get("oplossing")), _tekst(k.get("eigenaar"))))
    return rijen


def _als_datum(v: Any) -> dt.date | None:
    if isinstance(v, dt.datetime):
        return v.date()
    if isinstance(v, dt.date):
        return v
    try:
        return parse_datum(v, "eind") if v not in (None, "") else None
    except DatumFout:
        return None


def verkenningrijen(overzicht: Overzicht) -> list[VerkenningRij]:
    rijen = []
    for p in sorted((p for p in overzicht.projecten if p.fiche_type == "verkenning"), key=_ernst_volgorde):
        mp = [m for m in p.mijlpalen if _tekst(m.get("mijlpaal"))]
        gereed = [m for m in mp if _als_datum(m.get("gereed"))]
        open_ = [m for m in mp if not _als_datum(m.get("gereed"))]
        open_.sort(key=lambda m: _als_datum(m.get("prognose")) or _als_datum(m.get("gepland")) or dt.date.max)
        volgende = open_[0] if open_ else None
        rijen.append(VerkenningRij(
            p, len(gereed), len(mp),
            _tekst(volgende.get("mijlpaal")) if volgende else None,
            (_als_datum(volgende.get("prognose")) or _als_datum(volgende.get("gepland"))) if volgende else None,
        ))
    return rijen


def _urgentie(p: ProjectStand) -> tuple:
    """Most urgent first: worst light, then the largest slip, then by name."""
    return (-p.stoplicht.ernst, -(p.slip_dagen or 0), p.projectnaam.lower(), p.sleutel)


def escalatierijen(overzicht: Overzicht) -> list[EscalatieRij]:
    """Every escalation to the Energy Board or a versnellingsatelier, most urgent first."""
    rijen = []
    for p in sorted(overzicht.projecten, key=_urgentie):
        overleg = _tekst(p.escalatie)
        if overleg is None or overleg.lower() not in BOARD_ESCALATIES or p.stoplicht is Stoplicht.GEREALISEERD:
            continue
        k = p.hoofdknelpunt or {}
        eigenaar = _tekst(k.get("eigenaar"))
        if overleg.lower() == "energy board":
            vraag = "Een besluit over de oplossing van het knelpunt"
        else:
            vraag = "Een versnellingsatelier om het knelpunt met de partijen op te lossen"
        vraag += f", samen met {eigenaar}." if eigenaar else "."
        rijen.append(EscalatieRij(p, overleg, _tekst(k.get("knelpunt")), _tekst(k.get("oplossing")), eigenaar, vraag))
    return rijen


def wijziging_regels(w: Wijzigingen) -> list[WijzigingRegel]:
    """Every change except new projects (those get one line), most urgent first."""
    regels: list[WijzigingRegel] = []

    def licht(soort: str, lijst: list[ProjectStand]) -> None:
        for p in lijst:
            vorig = f" (was {p.vorig_stoplicht.label})" if p.vorig_stoplicht else ""
            regels.append(WijzigingRegel(soort, p, f"{p.stoplicht.label}{vorig}"))

    def schuif(soort: str, lijst: list[Verschuiving]) -> None:
        for v in lijst:
            wat = f"{slip_woorden(v.dagen)} (nu {datum_nl(v.project.prognose)})"
            regels.append(WijzigingRegel(soort, v.project, wat))

    licht("Nieuw op rood", w.nieuw_rood)
    licht("Nieuw op oranje", w.nieuw_oranje)
    licht("Nieuw op onbekend", w.nieuw_onbekend)
    schuif("Prognose later", w.verschoven)
    licht("Gerealiseerd", w.gerealiseerd)
    licht("Verbeterd", w.verbeterd)
    schuif("Prognose eerder", w.vervroegd)
    return regels


def nieuw_regel(nieuw: list[ProjectStand]) -> str:
    """New projects in one line: their number and lights, never one line each."""
    if not nieuw:
        return ""
    per_licht = [f"{sum(1 for p in nieuw if p.stoplicht is s)} {KORT[s]}" for s in TELVOLGORDE
                 if any(p.stoplicht is s for p in nieuw)]
    return f"{aantal(len(nieuw), 'nieuw project', 'nieuwe projecten')} ({', '.join(per_licht)})."


#: The summary (and the Datakwaliteit line) of a quarter in which the store holds no project.
GEEN_PROJECTEN = ("Op de peildatum staan geen projecten in de database: er is niets te melden of te controleren. "
                  "Draai eerst een synchronisatie (pmiek sync).")


def bepaal_datakwaliteit(overzicht: Overzicht) -> Datakwaliteit:
    """The snapshot's findings (`sync.regels.datakwaliteit`) grouped for the Board, one line per
    project (or file) and kind."""
    dk = Datakwaliteit()
    gezien: dict[str, set[str]] = defaultdict(set)
    for m in datakwaliteit(overzicht):
        naam = m.project or m.bron_naam
        if m.soort in ("ongeldig", "onleesbaar"):
            soort, lijst = "ongeldig", dk.ongeldig
        elif m.soort == "verouderd":
            soort, lijst = m.soort, dk.niet_bijgewerkt
        elif m.soort == "geen_voorzitter":
            soort, lijst = m.soort, dk.zonder_voorzitter
        else:
            soort, lijst = m.soort, dk.overig
        if naam.lower() not in gezien[soort]:
            gezien[soort].add(naam.lower())
            lijst.append((naam, m.melding))
    if not overzicht.projecten and dk.leeg:
        # Nothing to check is not "all is well": an empty store must not read as an all-clear.
        dk.overig.append(("Geen projecten", GEEN_PROJECTEN))
    return dk


def bouw_rapport(overzicht: Overzicht) -> Rapport:
    """The whole content of the quarter's e-mail."""
    w = bepaal_wijzigingen(overzicht)
    plus, lijst_plus = plusrijen(overzicht), lijst_plusrijen(overzicht)
    gevraagd = escalatierijen(overzicht)
    regels = wijziging_regels(w)
    verkenningen = verkenningrijen(overzicht)
    code = overzicht.kwartaal
    gevraagd_kort, plus_kort, regels_kort = gevraagd[:MAX_DETAILS], plus[:MAX_DETAILS], regels[:MAX_DETAILS]
    lijst_plus_kort = lijst_plus[:MAX_DETAILS]
    # The timeline shows what the e-mail details, no more: its size stays bounded too.
    gezien: set[str] = set()
    getoond: list[ProjectStand] = []
    for p in ([r.project for r in gevraagd_kort] + [r.project for r in plus_kort]
              + [r.project for r in lijst_plus_kort] + [r.project for r in regels_kort]):
        if p.sleutel not in gezien:
            gezien.add(p.sleutel)
            getoond.append(p)
    getoond.sort(key=_urgentie)
    return Rapport(
        kwartaal=code,
        kwartaal_label=kwartaal_label(overzicht.peildatum),
        peildatum=overzicht.peildatum,
        gegenereerd=overzicht.gegenereerd,
        samenvatting=samenvatting(w, len(plus) + len(lijst_plus)) if overzicht.projecten else GEEN_PROJECTEN,
        tellingen_concreet=overzicht.tellingen("concreet"),
        tellingen_verkenning=overzicht.tellingen("verkenning"),
        aantal_concreet=sum(1 for p in overzicht.projecten if p.fiche_type == "concreet"),
        aantal_verkenning=sum(1 for p in overzicht.projecten if p.fiche_type == "verkenning"),
        wijzigingen=w,
        plusprojecten=plus_kort,
        verkenningen=verkenningen[:MAX_DETAILS],
        datakwaliteit=bepaal_datakwaliteit(overzicht),
        capaciteit=capaciteit(overzicht.projecten),
        projecten=getoond,
        vorig_kwartaal_label=kwartaal_label(kwartaal_grenzen(vorig_kwartaal(code))[0]),
        gevraagd=gevraagd_kort,
        aantal_gevraagd=len(gevraagd),
        aantal_plus=len(plus) + len(lijst_plus),
        lijst_plusprojecten=lijst_plus_kort,
        aantal_lijst_plus=len(lijst_plus),
        wijziging_regels=regels_kort,
        aantal_wijzigingen=len(regels),
        nieuw_regel=nieuw_regel(w.nieuw),
        aantal_verkenningen_detail=len(verkenningen),
        lijsten=lijst_samenvatting(overzicht),
    )
