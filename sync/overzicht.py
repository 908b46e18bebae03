"""The snapshot of the portfolio at a peildatum: what the master workbook and the quarterly
e-mail are both built from.

The store produces an `Overzicht`; `sync.master` writes it as a workbook and the report renders
it as an e-mail. Keeping one snapshot type means the two always tell the same story; the portfolio
rules computed on it (capacity, data quality) live in `sync.regels`, the per-project ones
(plusproject, freshness, voorzitter) here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from fiche.datums import kwartaal, kwartaal_begin
from fiche.schema import FASEN, UREN_NORM
from fiche.stoplicht import Stoplicht
from sync.config import STANDAARD_TIJDZONE


def is_voorzitter(lid: dict[str, Any]) -> bool:
    """A team member (a projectteam row) who chairs the team."""
    return (lid.get("rol") or "").strip().lower() == "voorzitter"


def organisatie(lid: dict[str, Any]) -> str:
    """A team member's organisation, whitespace-normalised, so "Enexis " and "Enexis" group together."""
    org = " ".join(str(lid.get("organisatie") or "").split())
    return org or "(organisatie onbekend)"


def uren_per_week(lid: dict[str, Any]) -> float:
    """A team member's hours per week: as filled in, else the norm of the role (3 or 2)."""
    # After the store's JSON round trip a number may come back as text ("4,5").
    for key in ("uren", "uren_per_week"):
        value = lid.get(key)
        if isinstance(value, str):
            try:
                value = float(value.strip().replace(",", "."))
            except ValueError:
                continue
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 1000:
            return float(value)
    rol = (lid.get("rol") or "").strip().capitalize()
    return UREN_NORM.get(rol, UREN_NORM["Deelnemer"])


#: The kind of every project (`ProjectStand.fiche_type`) and how master and e-mail name it, in order.
PROJECTSOORTEN = {"concreet": "pMIEK 2.0 concreet", "verkenning": "pMIEK 2.0 verkenning", "pmiek1": "pMIEK 1.0",
                  "ip": "IP", "ms-t": "MS-T"}
#: The kinds that come from project lists (`sync.lijsten`) rather than fiches.
LIJSTSOORTEN = ("pmiek1", "ip", "ms-t")
SOORT_LABEL = {k: PROJECTSOORTEN[k] for k in LIJSTSOORTEN}


@dataclass
class LijstStand:
    """A project as the grid operators' (or municipalities') lists describe it (`sync.lijsten.venster`).

    The planned IBN per edition or update it appeared in, oldest first; the shifts are in days
    (positive: later). A project absent from the newest list of its source and kind is
    `verdwenen` and keeps the data of its last appearance."""

    soort: str  # a key of LIJSTSOORTEN
    bron: str  # "Enexis"
    sleutel: str  # its identity in the list: the code (lower case), else "naam:<name>"
    code: str | None
    naam: str
    editie: str  # the last edition or update it appeared in
    peildatum: dt.date  # of that edition
    bestand: str  # the file of that edition
    eerste_editie: str
    ibn_eerste: dt.date | None  # the first planned IBN: the window's ondergrens
    ibn_vorige: dt.date | None  # in the appearance before the last one
    ibn_laatste: dt.date | None  # the prognose
    gemeente_tekst: str | None = None  # as the list has it ("Emmen Noord")
    spanningsniveau: str | None = None
    soort_werk: str | None = None
    status: str | None = None
    opmerking: str | None = None
    verdwenen: bool = False
    verdwenen_in: str | None = None  # the newer edition it is missing from
    #: [{"editie", "peildatum", "ibn"}] per appearance, oldest first.
    edities: list[dict[str, Any]] = field(default_factory=list)

    @property
    def verschuiving_vorige(self) -> int | None:
        """Days the planned IBN moved since the previous edition or update."""
        if self.ibn_laatste is None or self.ibn_vorige is None:
            return None
        return (self.ibn_laatste - self.ibn_vorige).days

    @property
    def verschuiving_eerste(self) -> int | None:
        """Days the planned IBN moved since the project first appeared."""
        if self.ibn_laatste is None or self.ibn_eerste is None:
            return None
        return (self.ibn_laatste - self.ibn_eerste).days

    @property
    def bron_label(self) -> str:
        """"Enexis IP2026": where the row comes from."""
        return f"{self.bron} {self.editie}" if self.bron.lower() not in self.editie.lower() else self.editie


@dataclass
class ProjectStand:
    """One project as its last valid fiche version describes it, or a list project (`lijst`)."""

    sleutel: str  # identity of the project across versions (normalised projectnaam; "lijst:..." for a list's)
    fiche_type: str  # the kind: a key of PROJECTSOORTEN ("concreet" | "verkenning" for a fiche)
    projectnaam: str
    drager: str | None
    gemeente: str | None
    energiecluster: str | None
    netbeheerder: str | None
    fase_netbeheerder: str | None
    fase_overheid: str | None
    ondergrens: dt.date | None  # IBN (concreet) or oplevering (verkenning) window
    bovengrens: dt.date | None
    prognose: dt.date | None
    gerealiseerd: dt.date | None
    stoplicht: Stoplicht
    escalatie: str | None
    toelichting: str | None
    fiche_peildatum: dt.date | None  # the peildatum the team filled in
    versie_ontvangen: dt.datetime  # when this accepted version was modified in the source
    bron_id: str
    bron_naam: str
    link: str | None = None
    onderzoeksvraag: str | None = None
    #: Dependencies: a concrete fiche asks three questions (other infrastructure, sectoral
    #: developments, outside the province), a verkenning one (`afhankelijkheden`).
    afhankelijkheden_infra: str | None = None
    afhankelijkheden_sectoraal: str | None = None
    afhankelijkheden_buiten_provincie: str | None = None
    afhankelijkheden: str | None = None
    uitvoeringsafspraken: str | None = None
    #: Light and prognose at the end of the previous quarter (None: the project is new).
    vorig_stoplicht: Stoplicht | None = None
    vorige_prognose: dt.date | None = None
    #: A newer version of this fiche was refused; the overview shows this (older) valid one.
    nieuwere_versie_ongeldig: bool = False
    mijlpalen: list[dict[str, Any]] = field(default_factory=list)
    knelpunten: list[dict[str, Any]] = field(default_factory=list)
    projectteam: list[dict[str, Any]] = field(default_factory=list)  # naam, organisatie, rol, email, uren
    #: The fiche's Investeringsplannen answer (it names the project's IP code, if any).
    investeringsplannen: str | None = None
    #: The list row of this project: a list project's own, or the IP row a fiche names by its code.
    lijst: LijstStand | None = None

    @property
    def soort(self) -> str:
        """The kind as the master and the e-mail name it ("pMIEK 2.0 concreet", "IP", ...)."""
        return PROJECTSOORTEN.get(self.fiche_type, self.fiche_type)

    @property
    def is_lijstproject(self) -> bool:
        """Known only from a list: no fiche, no team, nothing to update each quarter."""
        return self.fiche_type in LIJSTSOORTEN

    @property
    def bronnen(self) -> str:
        """Where the project's data comes from: the fiche, the list row, or both."""
        delen = [] if self.is_lijstproject else [f"Fiche {self.bron_naam}"]
        if self.lijst is not None:
            code = f" ({self.lijst.code})" if self.lijst.code else ""
            delen.append(f"{SOORT_LABEL.get(self.lijst.soort, self.lijst.soort)}-lijst {self.lijst.bron_label}{code}")
        return "; ".join(delen)

    @property
    def fase(self) -> str | None:
        """The phase the project is in: a verkenning is in Verkenningsfase; a concrete project is
        as far as its slowest track (grid operator or government)."""
        if self.fiche_type == "verkenning":
            return FASEN[0]
        known = [f for f in (self.fase_netbeheerder, self.fase_overheid) if f in FASEN]
        return min(known, key=FASEN.index) if known else None

    @property
    def slip_dagen(self) -> int | None:
        """Days the prognose moved since the previous quarter (positive: later)."""
        if self.prognose is None or self.vorige_prognose is None:
            return None
        return (self.prognose - self.vorige_prognose).days

    @property
    def trend(self) -> str:
        """'nieuw', 'verslechterd', 'verbeterd', 'gerealiseerd' or 'gelijk' against last quarter."""
        if self.vorig_stoplicht is None:
            return "nieuw"
        if self.stoplicht is Stoplicht.GEREALISEERD and self.vorig_stoplicht is not Stoplicht.GEREALISEERD:
            return "gerealiseerd"
        if self.stoplicht.ernst > self.vorig_stoplicht.ernst:
            return "verslechterd"
        if self.stoplicht.ernst < self.vorig_stoplicht.ernst:
            return "verbeterd"
        return "gelijk"

    @property
    def is_plusproject(self) -> bool:
        """Seed, section 4: electricity projects whose IBN threatens to shift through (possible)
        delay; later also verkenningen that run late."""
        if self.stoplicht is Stoplicht.GEREALISEERD:
            return False  # taken into use: nothing left to shift
        late = self.stoplicht in (Stoplicht.RISICO, Stoplicht.VERTRAAGD) or (self.slip_dagen or 0) > 0
        if self.fiche_type != "verkenning":  # a concrete fiche, or an IP, MS-T or pMIEK 1.0 list project
            return self.drager == "Elektriciteit" and late
        return self.stoplicht in (Stoplicht.RISICO, Stoplicht.VERTRAAGD)

    @property
    def vraagt_inzet(self) -> bool:
        """Whether the team's hours still count towards capacity: a realised project asks for none."""
        return self.stoplicht is not Stoplicht.GEREALISEERD

    @property
    def aantal_voorzitters(self) -> int:
        return sum(1 for m in self.projectteam if is_voorzitter(m))

    @property
    def voorzitter(self) -> dict[str, Any] | None:
        """The team's one voorzitter; None when there is none or more than one."""
        chairs = [m for m in self.projectteam if is_voorzitter(m)]
        return chairs[0] if len(chairs) == 1 else None

    def is_verouderd(self, kwartaal_begin: dt.date) -> bool:
        """Not updated this quarter (a realised project has nothing left to report on, a list project
        has no fiche to update)."""
        if self.stoplicht is Stoplicht.GEREALISEERD or self.is_lijstproject:
            return False
        return self.fiche_peildatum is None or self.fiche_peildatum < kwartaal_begin

    @property
    def open_knelpunten(self) -> int:
        """Knelpunten not yet solved (a row without status counts as open, as on the fiche)."""
        return sum(1 for k in self.knelpunten if (k.get("status") or "Open") != "Opgelost")

    @property
    def is_geescaleerd(self) -> bool:
        """Escalated to the WKI, the Energy Board or a versnellingsatelier."""
        return (self.escalatie or "").strip().lower() not in ("", "geen")

    @property
    def hoofdknelpunt(self) -> dict[str, Any] | None:
        """The first knelpunt not yet solved (the team lists the main one first)."""
        for k in self.knelpunten:
            if (k.get("status") or "Open") != "Opgelost":
                return k
        return None


def rangorde(p: ProjectStand) -> tuple:
    """The order projects are listed in: concrete projects first, then verkenningen, then list projects
    (pMIEK 1.0, IP, MS-T); within each worst light first, then by name."""
    return (p.fiche_type != "concreet", p.is_lijstproject, -p.stoplicht.ernst, p.projectnaam.lower(), p.sleutel)


@dataclass
class DatakwaliteitMelding:
    """A fiche the project leader must chase: invalid, stale, duplicate, without voorzitter."""

    soort: str  # "ongeldig" | "verouderd" | "dubbel" | "geen_voorzitter" | "verwijderd" | "onleesbaar"
    bron_naam: str
    melding: str  # Dutch, for the workbook and e-mail
    project: str | None = None
    sinds: dt.datetime | None = None
    bron_id: str | None = None
    link: str | None = None


@dataclass
class UitvraagRij:
    """One project in the quarter's uitvraag round (filled by `sync.uitvraag.stand`)."""

    projectnaam: str
    voorzitter: str | None
    email: str | None
    gevraagd: dt.datetime | None  # when the request went out
    herinnerd: dt.datetime | None  # the last reminder
    geleverd_op: dt.datetime | None  # the last accepted version since the round opened
    geldig: bool | None  # False: the newest version was refused; True: delivered validly; None: neither
    opmerking: str | None = None  # Dutch: no voorzitter, opted out, to check, failed

    @property
    def geleverd(self) -> bool:
        return self.geleverd_op is not None and bool(self.geldig)


@dataclass
class UitvraagStand:
    """The quarter's round as of the snapshot: who was asked, reminded, who delivered."""

    ronde: str
    deadline: dt.date
    gestart: dt.datetime
    rijen: list[UitvraagRij] = field(default_factory=list)


@dataclass
class Overzicht:
    peildatum: dt.date
    gegenereerd: dt.datetime
    projecten: list[ProjectStand]
    datakwaliteit: list[DatakwaliteitMelding] = field(default_factory=list)
    #: Stoplicht per project (sleutel) per quarter ("2026Q4"), oldest first.
    historie: dict[str, dict[str, Stoplicht]] = field(default_factory=dict)
    #: The configured time zone (`sync.timezone`) the snapshot was taken in: local times shown
    #: from it (generation time, version times) use this zone. A name, so the frozen JSON keeps it.
    tijdzone: str = STANDAARD_TIJDZONE
    #: Months a list project's bovengrens lies after its first planned IBN (`[lijsten] tolerantie_maanden`).
    tolerantie_maanden: int = 12
    #: The uitvraag round of the snapshot's quarter, when one was opened (master sheet "Stand uitvraag").
    uitvraag: UitvraagStand | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.tijdzone)

    @property
    def kwartaal(self) -> str:
        return kwartaal(self.peildatum)

    @property
    def kwartaal_begin(self) -> dt.date:
        """Fiches with an older peildatum are not updated this quarter (`ProjectStand.is_verouderd`)."""
        return kwartaal_begin(self.peildatum)

    @property
    def plusprojecten(self) -> list[ProjectStand]:
        """The plusprojecten (`ProjectStand.is_plusproject`) in `rangorde`: master and e-mail list
        exactly these, in this order."""
        return sorted((p for p in self.projecten if p.is_plusproject), key=rangorde)

    def tellingen(self, fiche_type: str) -> dict[Stoplicht, int]:
        counts = {light: 0 for light in Stoplicht}
        for p in self.projecten:
            if p.fiche_type == fiche_type:
                counts[p.stoplicht] += 1
        return counts
