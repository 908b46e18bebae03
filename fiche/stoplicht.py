"""The stoplicht rule of the pMIEK monitoring (figure 8 of the Uitvoeringsagenda).

One rule classifies a date against a window (ondergrens, bovengrens): near the ondergrens is
Op planning, up to the bovengrens is Risico op vertraging, beyond it Vertraagd; missing data is
Onbekend, never green, and so is an inverted window (ondergrens after bovengrens). A milestone
aims at the IBN: its delay moved onto the ondergrens is classified by the same rule. The Excel
formulas in the templates (see `excel_*` below) express this very rule; a LibreOffice
recalculation test proves they agree.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from fiche.datums import add_months

#: "Near the ondergrens": reporting is quarterly, so one quarter is the default tolerance.
NABIJ_MAANDEN_STANDAARD = 3


class Stoplicht(str, Enum):
    OP_PLANNING = "Op planning"
    RISICO = "Risico op vertraging"
    VERTRAAGD = "Vertraagd"
    ONBEKEND = "Onbekend"
    GEREALISEERD = "Gerealiseerd"

    @property
    def label(self) -> str:
        return self.value

    @property
    def kleur(self) -> str:
        """Fill colour (RGB hex) used in every workbook and e-mail."""
        return KLEUREN[self]

    @property
    def ernst(self) -> int:
        """Higher is worse; Onbekend ranks between orange and red for attention."""
        return ERNST[self]

    @classmethod
    def van_label(cls, label: str | None) -> "Stoplicht | None":
        if label is None:
            return None
        wanted = " ".join(str(label).split()).lower()
        for light in cls:
            if light.value.lower() == wanted:
                return light
        return None


KLEUREN = {
    Stoplicht.OP_PLANNING: "63BE7B",
    Stoplicht.RISICO: "FFC000",
    Stoplicht.VERTRAAGD: "F8696B",
    Stoplicht.ONBEKEND: "BFBFBF",
    Stoplicht.GEREALISEERD: "5B9BD5",
}
#: Text colour that stays readable on each fill.
TEKSTKLEUREN = {
    Stoplicht.OP_PLANNING: "000000",
    Stoplicht.RISICO: "000000",
    Stoplicht.VERTRAAGD: "000000",
    Stoplicht.ONBEKEND: "000000",
    Stoplicht.GEREALISEERD: "FFFFFF",
}
ERNST = {
    Stoplicht.GEREALISEERD: 0,
    Stoplicht.OP_PLANNING: 1,
    Stoplicht.RISICO: 2,
    Stoplicht.ONBEKEND: 3,
    Stoplicht.VERTRAAGD: 4,
}
#: Order of greenness for comparing a hand-set light with the computed one.
GROENHEID = {Stoplicht.OP_PLANNING: 0, Stoplicht.RISICO: 1, Stoplicht.VERTRAAGD: 2}


def classificeer(
    datum: dt.date | None,
    ondergrens: dt.date | None,
    bovengrens: dt.date | None,
    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD,
) -> Stoplicht:
    """A date against an IBN (or oplevering) window."""
    if datum is None or ondergrens is None or bovengrens is None:
        return Stoplicht.ONBEKEND
    # An inverted window (ondergrens after bovengrens) is an input error: no colour can be right.
    if ondergrens > bovengrens:
        return Stoplicht.ONBEKEND
    # Beyond the bovengrens is late even when the tolerance reaches past it (a narrow window).
    if datum > bovengrens:
        return Stoplicht.VERTRAAGD
    if datum <= add_months(ondergrens, nabij_maanden):
        return Stoplicht.OP_PLANNING
    return Stoplicht.RISICO


def project_stoplicht(
    prognose: dt.date | None,
    ondergrens: dt.date | None,
    bovengrens: dt.date | None,
    gerealiseerd: dt.date | None = None,
    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD,
) -> Stoplicht:
    """The project's light: Gerealiseerd once taken into use, else the prognose in its window."""
    if gerealiseerd is not None:
        return Stoplicht.GEREALISEERD
    return classificeer(prognose, ondergrens, bovengrens, nabij_maanden)


def mijlpaal_vertraging(gepland: dt.date | None, prognose: dt.date | None, gereed: dt.date | None) -> int | None:
    """Days the milestone runs late (negative: early); None when it cannot be known."""
    actueel = gereed or prognose
    if gepland is None or actueel is None:
        return None
    return (actueel - gepland).days


def mijlpaal_stoplicht(
    gepland: dt.date | None,
    prognose: dt.date | None,
    gereed: dt.date | None,
    ondergrens: dt.date | None,
    bovengrens: dt.date | None,
    nabij_maanden: int = NABIJ_MAANDEN_STANDAARD,
) -> Stoplicht:
    """A milestone's delay moved onto the ondergrens, classified by the same rule."""
    vertraging = mijlpaal_vertraging(gepland, prognose, gereed)
    if vertraging is None or ondergrens is None:
        return Stoplicht.ONBEKEND
    return classificeer(ondergrens + dt.timedelta(days=vertraging), ondergrens, bovengrens, nabij_maanden)


def is_groener(handmatig: Stoplicht, berekend: Stoplicht) -> bool:
    """True when a hand-set light claims better progress than the computed one."""
    if handmatig not in GROENHEID:
        return False
    if berekend not in GROENHEID:
        # Computed Onbekend (missing data) is never beaten by a hand-set green.
        return berekend is Stoplicht.ONBEKEND
    return GROENHEID[handmatig] < GROENHEID[berekend]


# --- The same rule as Excel formulas (used by the templates) -------------------------------

def excel_classificeer(datum: str, ondergrens: str, bovengrens: str, nabij: str) -> str:
    """Excel formula text for `classificeer`; arguments are cell references or expressions."""
    return (
        f'IF(OR(NOT(ISNUMBER({datum})),NOT(ISNUMBER({ondergrens})),NOT(ISNUMBER({bovengrens})),'
        f'{ondergrens}>{bovengrens}),'
        f'"{Stoplicht.ONBEKEND.value}",'
        f'IF({datum}>{bovengrens},"{Stoplicht.VERTRAAGD.value}",'
        f'IF({datum}<=EDATE({ondergrens},{nabij}),"{Stoplicht.OP_PLANNING.value}","{Stoplicht.RISICO.value}")))'
    )


def excel_project_stoplicht(prognose: str, ondergrens: str, bovengrens: str, gerealiseerd: str, nabij: str) -> str:
    return (
        f'=IF(ISNUMBER({gerealiseerd}),"{Stoplicht.GEREALISEERD.value}",'
        f"{excel_classificeer(prognose, ondergrens, bovengrens, nabij)})"
    )


def excel_mijlpaal_stoplicht(
    gepland: str, prognose: str, gereed: str, ondergrens: str, bovengrens: str, nabij: str,
) -> str:
    actueel = f"IF(ISNUMBER({gereed}),{gereed},{prognose})"
    verschoven = f"({ondergrens}+({actueel}-{gepland}))"
    return (
        f'=IF(OR(NOT(ISNUMBER({gepland})),AND(NOT(ISNUMBER({gereed})),NOT(ISNUMBER({prognose})))),'
        f'"{Stoplicht.ONBEKEND.value}",{excel_classificeer(verschoven, ondergrens, bovengrens, nabij)})'
    )
