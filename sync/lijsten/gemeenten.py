"""A list's "Gemeente" or "Locatie" text as one of Drenthe's 12 gemeenten (for the energiecluster).

Lists name a gemeente, a place or a station ("Emmen Noord", "Beilen", "Assen-Zuid"). The text is
matched, case-insensitively, against the gemeenten first and then against the larger places
(kernen) of each gemeente; the longest name found as a whole word wins. Text that names none of
them stays as it is, without a cluster.
"""

from __future__ import annotations

import re

from fiche.schema import ENERGIECLUSTERS

#: Larger places per gemeente, as lists name them instead of the gemeente.
KERNEN = {
    "Tynaarlo": ("Zuidlaren", "Vries", "Eelde", "Paterswolde", "Eelderwolde"),
    "Assen": ("Zeijerveen", "Loon", "Rhee"),
    "Noordenveld": ("Roden", "Peize", "Norg", "Leek"),
    "Midden-Drenthe": ("Beilen", "Westerbork", "Smilde", "Hooghalen"),
    "Borger-Odoorn": ("Borger", "Exloo", "Odoorn", "Valthermond", "Nieuw-Buinen"),
    "Aa en Hunze": ("Gieten", "Annen", "Rolde", "Gasselte", "Gieterveen"),
    "Emmen": ("Klazienaveen", "Nieuw-Amsterdam", "Schoonebeek", "Emmer-Compascuum", "Bargermeer", "Erica"),
    "Coevorden": ("Dalen", "Sleen", "Oosterhesselen", "Aalden"),
    "Meppel": ("Nijeveen", "Rogat"),
    "Hoogeveen": ("Hollandscheveld", "Nieuweroord", "Pesse", "Elim"),
    "De Wolden": ("Zuidwolde", "Ruinen", "De Wijk", "Ansen"),
    "Westerveld": ("Havelte", "Dwingeloo", "Diever", "Vledder", "Uffelte"),
}

_NAMEN = sorted([(g, g) for g in ENERGIECLUSTERS] + [(k, g) for g, ks in KERNEN.items() for k in ks],
                key=lambda t: -len(t[0]))
_PATRONEN = [(re.compile(r"(?<![a-z])" + re.escape(n.lower()) + r"(?![a-z])"), g) for n, g in _NAMEN]


def gemeente_in_tekst(tekst: str | None) -> str | None:
    """The gemeente a location text names, or None."""
    if not tekst:
        return None
    laag = " ".join(str(tekst).lower().split())
    for patroon, gemeente in _PATRONEN:
        if patroon.search(laag):
            return gemeente
    return None
