"""The content of the quarterly overview for the Energy Board, derived from one `Overzicht`.

Everything the e-mail says is decided here, as data with Dutch labels: counts per stoplicht,
what changed since the previous quarter, the plusprojecten, the verkenningen, data quality and
capacity, and the one-sentence summary on top. `sync.kwartaal.bericht` only lays this out (text and HTML),
so the plain-text and HTML parts cannot disagree. The portfolio rules themselves (plusprojecten,
capacity, data quality) are the snapshot's (`sync.overzicht`, `sync.regels`), shared with the
master workbook.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fiche.datums import DatumFout, kwartaal_grenzen, kwartaal_label, parse_datum, vorig_kwartaal
from fiche.stoplicht import Stoplicht
from sync.overzicht import Overzicht, ProjectStand
from sync.regels import Capaciteit, capaciteit, datakwaliteit

#: Order in which the counts are shown: worst first is what a board member scans for.
TELVOLGORDE = (Stoplicht.VERTRAAGD, Stoplicht.RISICO, Stoplicht.ONBEKEND, Stoplicht.OP_PLANNING,
               Stoplicht.GEREALISEERD)
#: The stoplicht names in the board's short words.
KORT = {
    Stoplicht.VERTRAAGD: "rood", Stoplicht.RISICO: "oranje", Stoplicht.OP_PLANNING: "groen",
    Stoplicht.ONBEKEND: "onbekend", Stoplicht.GEREALISEERD: "gerealiseerd",
}


def aantal(n: int, enkelvoud: str, meervoud: str) -> str:
    return f"{n} {enkelvoud if n == 1 else meervoud}"


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
    projecten: list[ProjectStand]
    vorig_kwartaal_label: str


# --- building --------------------------------------------------------------------------------

def _ernst_volgorde(p: ProjectStand) -> tuple:
    return (-p.stoplicht.ernst, p.projectnaam.lower())


def bepaal_wijzigingen(overzicht: Overzicht) -> Wijzigingen:
    w = Wijzigingen()
    for p in sorted(overzicht.projecten, key=_ernst_volgorde):
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
    rijen = []
    for p in overzicht.plusprojecten:
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
    plus = plusrijen(overzicht)
    code = overzicht.kwartaal
    return Rapport(
        kwartaal=code,
        kwartaal_label=kwartaal_label(overzicht.peildatum),
        peildatum=overzicht.peildatum,
        gegenereerd=overzicht.gegenereerd,
        samenvatting=samenvatting(w, len(plus)) if overzicht.projecten else GEEN_PROJECTEN,
        tellingen_concreet=overzicht.tellingen("concreet"),
        tellingen_verkenning=overzicht.tellingen("verkenning"),
        aantal_concreet=sum(1 for p in overzicht.projecten if p.fiche_type == "concreet"),
        aantal_verkenning=sum(1 for p in overzicht.projecten if p.fiche_type == "verkenning"),
        wijzigingen=w,
        plusprojecten=plus,
        verkenningen=verkenningrijen(overzicht),
        datakwaliteit=bepaal_datakwaliteit(overzicht),
        capaciteit=capaciteit(overzicht.projecten),
        projecten=sorted(overzicht.projecten, key=lambda p: (p.fiche_type != "concreet", p.projectnaam.lower())),
        vorig_kwartaal_label=kwartaal_label(kwartaal_grenzen(vorig_kwartaal(code))[0]),
    )
