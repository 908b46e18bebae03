"""The content of the quarterly overview for the Energy Board, derived from one `Overzicht`.

Everything the e-mail says is decided here, as data with Dutch labels: counts per stoplicht,
what changed since the previous quarter, the plusprojecten, the verkenningen, data quality and
capacity, and the one-sentence summary on top. `sync.kwartaal.bericht` only lays this out (text and HTML),
so the plain-text and HTML parts cannot disagree.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from fiche.datums import DatumFout, kwartaal_label, parse_datum
from fiche.schema import FASEN
from fiche.stoplicht import Stoplicht
from sync.overzicht import Overzicht, ProjectStand, is_voorzitter, organisatie, uren_per_week

MAANDNAMEN = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
              "september", "oktober", "november", "december")
#: Order in which the counts are shown: worst first is what a board member scans for.
TELVOLGORDE = (Stoplicht.VERTRAAGD, Stoplicht.RISICO, Stoplicht.ONBEKEND, Stoplicht.OP_PLANNING,
               Stoplicht.GEREALISEERD)
#: The stoplicht names in the board's short words.
KORT = {
    Stoplicht.VERTRAAGD: "rood", Stoplicht.RISICO: "oranje", Stoplicht.OP_PLANNING: "groen",
    Stoplicht.ONBEKEND: "onbekend", Stoplicht.GEREALISEERD: "gerealiseerd",
}


_KWARTAALCODE = re.compile(r"^(\d{4})Q([1-4])$|^Q([1-4])(\d{4})$")


def datum_nl(day: dt.date | None) -> str:
    """'31 december 2026'; '-' when unknown."""
    if day is None:
        return "-"
    return f"{day.day} {MAANDNAMEN[day.month - 1]} {day.year}"


def datum_kort(day: dt.date | None) -> str:
    """'30 jun 2032' for narrow table cells; '-' when unknown."""
    if day is None:
        return "-"
    return f"{day.day} {MAANDNAMEN[day.month - 1][:3]} {day.year}"


def kwartaal_grenzen(code: str) -> tuple[dt.date, dt.date]:
    """First and last day of a quarter code like '2026Q4'."""
    jaar, q = parse_kwartaal(code)
    begin = dt.date(jaar, 3 * q - 2, 1)
    eind = parse_datum(f"Q{q} {jaar}", "eind")
    assert eind is not None
    return begin, eind


def parse_kwartaal(code: str) -> tuple[int, int]:
    """'2026Q4' (also '2026-Q4', 'Q4 2026') as (2026, 4); ValueError with a Dutch text otherwise."""
    tekst = "".join(str(code).split()).upper().replace("-", "")
    m = _KWARTAALCODE.match(tekst)
    if m:
        jaar, q = int(m[1] or m[4]), int(m[2] or m[3])
        if 1990 <= jaar <= 2100:
            return jaar, q
    raise ValueError(f"'{code}' is geen kwartaal; schrijf bijvoorbeeld 2026Q4.")


def vorig_kwartaal(code: str) -> str:
    jaar, q = parse_kwartaal(code)
    return f"{jaar - 1}Q4" if q == 1 else f"{jaar}Q{q - 1}"


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
class CapaciteitRij:
    naam: str  # organisation or phase
    personen: int
    voorzitters: int
    uren_per_week: float


@dataclass
class Capaciteit:
    per_organisatie: list[CapaciteitRij]
    per_fase: list[CapaciteitRij]
    totaal_personen: int
    totaal_uren: float


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
    for p in sorted(overzicht.plusprojecten, key=lambda p: (p.fiche_type != "concreet", *_ernst_volgorde(p))):
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


def bepaal_datakwaliteit(overzicht: Overzicht) -> Datakwaliteit:
    dk = Datakwaliteit()
    begin, _ = kwartaal_grenzen(overzicht.kwartaal)
    gezien: dict[str, set[str]] = defaultdict(set)

    def add(lijst: list, soort: str, naam: str, uitleg: str) -> None:
        if naam.lower() not in gezien[soort]:
            gezien[soort].add(naam.lower())
            lijst.append((naam, uitleg))

    for m in overzicht.datakwaliteit:
        naam = m.project or m.bron_naam
        if m.soort == "ongeldig" or m.soort == "onleesbaar":
            add(dk.ongeldig, "ongeldig", naam, m.melding)
        elif m.soort == "verouderd":
            add(dk.niet_bijgewerkt, "verouderd", naam, m.melding)
        elif m.soort == "geen_voorzitter":
            add(dk.zonder_voorzitter, "geen_voorzitter", naam, m.melding)
        else:
            add(dk.overig, m.soort, naam, m.melding)
    for p in sorted(overzicht.projecten, key=lambda p: p.projectnaam.lower()):
        if p.is_verouderd(begin):
            add(dk.niet_bijgewerkt, "verouderd", p.projectnaam,
                f"laatst bijgewerkt {datum_nl(p.fiche_peildatum)}" if p.fiche_peildatum
                else "geen peildatum ingevuld")
        if p.voorzitter is None:
            add(dk.zonder_voorzitter, "geen_voorzitter", p.projectnaam,
                "meer dan één voorzitter opgegeven" if p.aantal_voorzitters > 1 else "geen voorzitter opgegeven")
        if p.nieuwere_versie_ongeldig:
            add(dk.ongeldig, "ongeldig", p.projectnaam,
                "nieuwste versie afgekeurd; het overzicht toont de vorige geldige versie")
    return dk


def bepaal_capaciteit(overzicht: Overzicht) -> Capaciteit:
    org: dict[str, list] = defaultdict(lambda: [set(), 0, 0.0])
    fase: dict[str, list] = defaultdict(lambda: [set(), 0, 0.0])
    personen: set[str] = set()
    totaal = 0.0
    for p in overzicht.projecten:
        if not p.vraagt_inzet:
            continue
        for lid in p.projectteam:
            naam = (_tekst(lid.get("naam")) or "?").lower()
            org_naam = organisatie(lid)
            wie = f"{naam}|{org_naam.lower()}"
            uren = uren_per_week(lid)
            voorzitter = is_voorzitter(lid)
            for groep, sleutel in ((org, org_naam), (fase, p.fase or "Onbekend")):
                groep[sleutel][0].add(wie)
                groep[sleutel][1] += int(voorzitter)
                groep[sleutel][2] += uren
            personen.add(wie)
            totaal += uren
    per_org = sorted((CapaciteitRij(k, len(v[0]), v[1], v[2]) for k, v in org.items()),
                     key=lambda r: (-r.uren_per_week, r.naam.lower()))
    volgorde = {f: i for i, f in enumerate(FASEN)}
    per_fase = sorted((CapaciteitRij(k, len(v[0]), v[1], v[2]) for k, v in fase.items()),
                      key=lambda r: volgorde.get(r.naam, 99))
    return Capaciteit(per_org, per_fase, len(personen), totaal)


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
        samenvatting=samenvatting(w, len(plus)),
        tellingen_concreet=overzicht.tellingen("concreet"),
        tellingen_verkenning=overzicht.tellingen("verkenning"),
        aantal_concreet=sum(1 for p in overzicht.projecten if p.fiche_type == "concreet"),
        aantal_verkenning=sum(1 for p in overzicht.projecten if p.fiche_type == "verkenning"),
        wijzigingen=w,
        plusprojecten=plus,
        verkenningen=verkenningrijen(overzicht),
        datakwaliteit=bepaal_datakwaliteit(overzicht),
        capaciteit=bepaal_capaciteit(overzicht),
        projecten=sorted(overzicht.projecten, key=lambda p: (p.fiche_type != "concreet", p.projectnaam.lower())),
        vorig_kwartaal_label=kwartaal_label(kwartaal_grenzen(vorig_kwartaal(code))[0]),
    )
