"""Which column of a grid operator's project list holds what: header recognition and mapping.

Every operator (and every edition) names its columns differently. A list is read without any
mapping when its headers are one of the usual Dutch variants below, in any case and spacing
("Projectnummer", "project-ID", "IBN (jaar)" ...); a per-source mapping in the config
(`[lijsten.kolommen.Enexis]`, field = header) overrides or adds to that. A list whose header row
holds no project code or name, or no planned IBN, is refused with a Dutch message naming the
columns found and the ones needed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from fiche.errors import InputError


@dataclass(frozen=True)
class RijFout:
    """A row of a list that could not be imported (the rest of the list is)."""

    rij: int  # the row number as Excel or a text editor shows it (1-based)
    melding: str  # Dutch


#: The fields of a list row, in the order the master shows them.
VELDEN = ("code", "naam", "gemeente", "spanningsniveau", "soort_werk", "ibn", "status", "opmerking")

#: Dutch names of the fields, for messages and docs.
VELD_LABELS = {
    "code": "projectcode", "naam": "projectnaam", "gemeente": "gemeente of locatie",
    "spanningsniveau": "spanningsniveau", "soort_werk": "type werk", "ibn": "geplande IBN",
    "status": "status of fase", "opmerking": "opmerking",
}

#: Recognised header variants per field, normalised (`normaliseer`). First match wins per field.
VARIANTEN: dict[str, tuple[str, ...]] = {
    "code": ("projectnummer", "projectcode", "projectid", "projectnr", "projectno", "ipcode", "ipnummer",
             "code", "nummer", "id", "kenmerk"),
    "naam": ("projectnaam", "naam", "project", "projecttitel", "titel", "naamproject"),
    "gemeente": ("gemeente", "locatie", "plaats", "woonplaats", "gemeenten"),
    "spanningsniveau": ("spanningsniveau", "spanning", "netvlak", "spanningkv", "niveau"),
    "soort_werk": ("typewerk", "soortwerk", "typewerkzaamheden", "werkzaamheden", "soortproject", "typeproject",
                   "categorie", "type", "maatregel"),
    "ibn": ("verwachteingebruikname", "geplandgereed", "ibn", "ibnjaar", "ibndatum", "ibnkwartaal", "ingebruikname",
            "geplandeingebruikname", "geplandeibn", "verwachteibn", "inbedrijfname", "gereed", "planningibn",
            "opleverdatum", "oplevering", "geplandeoplevering"),
    "status": ("status", "fase", "projectfase", "projectstatus"),
    "opmerking": ("opmerking", "opmerkingen", "toelichting", "bijzonderheden", "notitie", "notities"),
}


def normaliseer(kop: object) -> str:
    """A header as compared: lower case, letters and digits only ("IBN (jaar)" -> "ibnjaar")."""
    return re.sub(r"[^0-9a-z]", "", str(kop).lower())


def _zonder_haakjes(kop: object) -> str:
    """The header without a parenthesised part ("IBN (jaar)" -> "ibn")."""
    return normaliseer(re.sub(r"\(.*?\)|\[.*?\]", "", str(kop)))


@dataclass(frozen=True)
class Indeling:
    """The columns of one list: field -> column position, and the header row as found."""

    kolommen: dict[str, int]
    koppen: tuple[str, ...]

    @property
    def volledig(self) -> bool:
        return ("code" in self.kolommen or "naam" in self.kolommen) and "ibn" in self.kolommen


def herken(koppen: Iterable[object], mapping: Mapping[str, str] | None = None) -> Indeling:
    """Match a header row against the configured mapping first, then the default variants."""
    tekst = tuple("" if k is None else " ".join(str(k).split()) for k in koppen)
    genormaliseerd = [normaliseer(k) for k in tekst]
    kaal = [_zonder_haakjes(k) for k in tekst]
    kolommen: dict[str, int] = {}
    bezet: set[int] = set()
    for veld, kop in (mapping or {}).items():
        doel = normaliseer(kop)
        for i, n in enumerate(genormaliseerd):
            if n == doel and i not in bezet:
                kolommen[veld] = i
                bezet.add(i)
                break
    for veld in VELDEN:
        if veld in kolommen:
            continue
        for variant in VARIANTEN[veld]:
            i = next((i for i, n in enumerate(genormaliseerd) if n == variant and i not in bezet), None)
            if i is None:
                i = next((i for i, n in enumerate(kaal) if n == variant and i not in bezet), None)
            if i is not None:
                kolommen[veld] = i
                bezet.add(i)
                break
    return Indeling(kolommen, tekst)


def onbekende_indeling(naam: str, koppen: Iterable[str]) -> InputError:
    """The refusal of a list whose columns we do not recognise, naming found and needed columns."""
    gevonden = [k for k in koppen if k]
    lijst = ", ".join(f"'{k}'" for k in gevonden[:20]) or "(geen)"
    if len(gevonden) > 20:
        lijst += f" en nog {len(gevonden) - 20}"
    return InputError(
        f"{naam}: unknown list layout, headers {gevonden[:20]}",
        f"De lijst '{naam}' heeft een onbekende indeling. Gevonden kolommen: {lijst}. Nodig zijn een kolom "
        "met de projectcode of projectnaam (bijv. 'Projectnummer', 'Projectcode', 'Project ID', 'Projectnaam' "
        "of 'Naam') en een kolom met de geplande IBN (bijv. 'Verwachte ingebruikname', 'Gepland gereed' of "
        "'IBN'). Geef anders de kolommen op in de configuratie, sectie [lijsten.kolommen.<bron>].")
