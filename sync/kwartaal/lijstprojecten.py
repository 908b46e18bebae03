"""The project lists (IP, MS-T, pMIEK 1.0) in the quarterly e-mail: their counts per kind, the
list projects planned later than last quarter, and the list plusprojecten in one line each.

A list project has no fiche, so no toelichting, knelpunt or oplossing: a card for it would be
empty rows. Which projects are plusprojecten is the snapshot's rule (`Overzicht.plusprojecten`).
"""

from __future__ import annotations

from dataclasses import dataclass

from fiche.datums import datum_kort, datum_nl
from fiche.stoplicht import Stoplicht
from sync.kwartaal.woorden import KORT, MAX_DETAILS, TELVOLGORDE, aantal, slip_woorden
from sync.overzicht import LIJSTSOORTEN, PROJECTSOORTEN, Overzicht, ProjectStand


@dataclass(frozen=True)
class LijstPlusRij:
    """A plusproject known only from a project list: one line, not a card, since a list has no
    toelichting, knelpunt or oplossing to show. The same parts in the plain-text and HTML version."""

    project: ProjectStand

    @property
    def herkomst(self) -> str:
        """"IP · Enexis · Emmen": the kind, the list's source and the gemeente when known."""
        p = self.project
        bron = p.lijst.bron if p.lijst is not None else p.netbeheerder
        return " · ".join(d.strip() for d in (p.soort, bron, p.gemeente) if d and d.strip())

    @property
    def ibn(self) -> str:
        """The shift of the planned IBN: from the first edition the project appeared in (the
        window's ondergrens) to now, and the part of it since last quarter."""
        p = self.project
        uit = f"IBN {datum_kort(p.ondergrens)} → {datum_kort(p.prognose)}"
        delen = []
        if p.ondergrens is not None and p.prognose is not None:
            dagen = (p.prognose - p.ondergrens).days
            delen.append(slip_woorden(dagen) if dagen else "0 dagen")
        if (p.slip_dagen or 0) > 0:
            delen.append(f"{slip_woorden(p.slip_dagen or 0)} sinds vorig kwartaal")
        return uit + (f" ({', '.join(delen)})" if delen else "")


def lijst_plusrijen(overzicht: Overzicht) -> list[LijstPlusRij]:
    return [LijstPlusRij(p) for p in overzicht.plusprojecten if p.is_lijstproject]


@dataclass(frozen=True)
class LijstSamenvatting:
    """The project lists in the e-mail: counts per kind, and the list projects whose planned IBN
    moved later since last quarter, by name (the largest shift first, at most MAX_DETAILS)."""

    per_soort: list[tuple[str, int, dict[Stoplicht, int]]]  # (kind label, projects, per light)
    verschoven: list[tuple[ProjectStand, int]]  # (project, days later since last quarter)
    aantal_verschoven: int
    aantal_plus: int

    @property
    def meer_verschoven(self) -> int:
        return self.aantal_verschoven - len(self.verschoven)

    def regels(self) -> list[str]:
        """Dutch lines, the same in the plain-text and the HTML version."""
        uit = []
        for label, n, tel in self.per_soort:
            delen = [f"{tel[s]} {KORT[s]}" for s in TELVOLGORDE if tel[s]]
            uit.append(f"{label} ({n}): " + (", ".join(delen) if delen else "geen"))
        return uit

    @staticmethod
    def verschoven_tekst(p: ProjectStand, dagen: int) -> str:
        s = p.lijst
        bron = f" ({s.bron_label}{', ' + s.code if s.code else ''})" if s is not None else ""
        return (f"{p.projectnaam}{bron}: +{aantal(dagen, 'dag', 'dagen')}, nu {datum_nl(p.prognose)} "
                f"[{p.stoplicht.label}]")


def lijst_samenvatting(overzicht: Overzicht) -> LijstSamenvatting:
    lijst = [p for p in overzicht.projecten if p.is_lijstproject]
    per_soort = []
    for soort in LIJSTSOORTEN:
        ps = [p for p in lijst if p.fiche_type == soort]
        if ps:
            tel = {s: sum(1 for p in ps if p.stoplicht is s) for s in Stoplicht}
            per_soort.append((PROJECTSOORTEN[soort], len(ps), tel))
    verschoven = sorted(((p, p.slip_dagen or 0) for p in lijst if (p.slip_dagen or 0) > 0),
                        key=lambda t: (-t[1], t[0].projectnaam.lower()))
    return LijstSamenvatting(per_soort, verschoven[:MAX_DETAILS], len(verschoven),
                             sum(1 for p in lijst if p.is_plusproject))
