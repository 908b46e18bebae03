"""The Dutch plain-text report of a validated fiche, as `pmiek validate` prints it.

Kept apart from the command so other front ends (a log mail, the add-in's message box) can show
the very same wording.
"""

from __future__ import annotations

from collections import Counter

from fiche.errors import FileRefused
from fiche.model import Beoordeling, Bevinding

ERNST_LABEL = {"error": "FOUT", "warning": "WAARSCHUWING"}


def gesorteerd(bevindingen: list[Bevinding]) -> list[Bevinding]:
    """Errors before warnings, otherwise in the order the validator found them (fiche order)."""
    return sorted(bevindingen, key=lambda b: 0 if b.ernst == "error" else 1)


def _meervoud(n: int, een: str, meer: str) -> str:
    return f"{n} {een if n == 1 else meer}"


def tekst_rapport(pad: str, beoordeling: Beoordeling) -> str:
    b = beoordeling
    regels = [
        f"Bestand: {pad}",
        f"  Project:   {b.project or '(geen projectnaam)'}",
        f"  Type:      {b.fiche_type or '(onbekend)'}",
        f"  Stoplicht: {b.stoplicht.label}",
    ]
    if b.mijlpalen:
        telling = Counter(m.stoplicht.label for m in b.mijlpalen)
        regels.append(f"  Mijlpalen: {len(b.mijlpalen)} ("
                      + ", ".join(f"{n} {label}" for label, n in sorted(telling.items())) + ")")
    if not b.bevindingen:
        regels.append("  Geen bevindingen: de fiche is in orde.")
        return "\n".join(regels)
    regels.append(f"  {_meervoud(len(b.fouten), 'fout', 'fouten')}, "
                  f"{_meervoud(len(b.waarschuwingen), 'waarschuwing', 'waarschuwingen')}:")
    breedte = max(len(x.cel or "-") for x in b.bevindingen)
    for x in gesorteerd(b.bevindingen):
        regels.append(f"    {ERNST_LABEL[x.ernst]:<12}  {(x.cel or '-'):<{breedte}}  {x.melding}  [{x.code}]")
    return "\n".join(regels)


def tekst_weigering(pad: str, fout: FileRefused) -> str:
    return f"Bestand: {pad}\n  Niet te lezen: {fout.melding}  [{fout.reason}]"


def tekst_samenvatting(in_orde: int, met_fouten: int, onleesbaar: int) -> str:
    totaal = in_orde + met_fouten + onleesbaar
    return (f"{_meervoud(totaal, 'bestand', 'bestanden')}: {in_orde} zonder fouten, "
            f"{met_fouten} met fouten, {onleesbaar} niet te lezen.")
