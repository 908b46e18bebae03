"""The words and limits every part of the quarterly e-mail shares: the order and short names of
the stoplichten, how many items a section details, and counts and shifts in Dutch."""

from __future__ import annotations

from fiche.stoplicht import Stoplicht

#: Order in which the counts are shown: worst first is what a board member scans for.
TELVOLGORDE = (Stoplicht.VERTRAAGD, Stoplicht.RISICO, Stoplicht.ONBEKEND, Stoplicht.OP_PLANNING,
               Stoplicht.GEREALISEERD)
#: The stoplicht names in the board's short words.
KORT = {
    Stoplicht.VERTRAAGD: "rood", Stoplicht.RISICO: "oranje", Stoplicht.OP_PLANNING: "groen",
    Stoplicht.ONBEKEND: "onbekend", Stoplicht.GEREALISEERD: "gerealiseerd",
}
#: Details per section: what a Board member reads on a phone; the rest is counted (issue 11).
MAX_DETAILS = 12


def aantal(n: int, enkelvoud: str, meervoud: str) -> str:
    return f"{n} {enkelvoud if n == 1 else meervoud}"


def slip_woorden(dagen: int) -> str:
    """"+90 dagen", "-1 dag": a shift in days (never 0)."""
    return f"{'+' if dagen > 0 else '-'}{aantal(abs(dagen), 'dag', 'dagen')}"
