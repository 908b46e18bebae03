"""The master sheet "Stand uitvraag": the quarter's uitvraag round per project (voorzitter,
requested, reminded, delivered on, valid), from `Overzicht.uitvraag` (`sync.uitvraag.stand`)."""

from __future__ import annotations

from fiche.datums import datum_dmj, kwartaal_label_van_code, tijd_dmj
from fiche.stoplicht import Stoplicht
from sync.master.bladen import GEEN_PROJECTEN, UITVRAAG
from sync.master.cellen import Blad, Kolom, Markering, opmaak, tabel, titelblok
from sync.overzicht import UitvraagRij

__all__ = ["UITVRAAG", "uitvraag_blad"]

K_UITVRAAG = (
    Kolom("Projectnaam", 44, "naam"), Kolom("Voorzitter", 22, "naam"), Kolom("E-mail voorzitter", 30, "naam"),
    Kolom("Gevraagd", 16, "tijd"), Kolom("Herinnerd", 16, "tijd"), Kolom("Geleverd op", 16, "tijd"),
    Kolom("Geldig", 10), Kolom("Stand", 16), Kolom("Score", 8, "score"), Kolom("Opmerking", 48, "lang"),
)


def _stand(r: UitvraagRij) -> Stoplicht:
    """Delivered and valid in colour green, refused red, not (yet) delivered amber."""
    if r.geleverd:
        return Stoplicht.OP_PLANNING
    return Stoplicht.VERTRAAGD if r.geldig is False else Stoplicht.RISICO


STAND_TEKST = {Stoplicht.OP_PLANNING: "Geleverd", Stoplicht.VERTRAAGD: "Afgekeurd", Stoplicht.RISICO: "Niet geleverd"}


def uitvraag_blad(blad: Blad) -> None:
    stand = blad.overzicht.uitvraag
    if stand is None:
        titelblok(blad, "Er is voor dit kwartaal (nog) geen uitvraagronde gestart (pmiek uitvraag)."
                  + ("" if blad.overzicht.projecten else " " + GEEN_PROJECTEN))
        tabel(blad, "tblUitvraag", K_UITVRAAG, [])
        opmaak(blad)
        return
    tz = blad.overzicht.tz
    geleverd = sum(1 for r in stand.rijen if r.geleverd)
    titelblok(blad, f"Uitvraag {kwartaal_label_van_code(stand.ronde)}: deadline {datum_dmj(stand.deadline)}, "
                    f"gestart {tijd_dmj(stand.gestart, tz)}; {geleverd} van de {len(stand.rijen)} projecten "
                    "geleverd.",
              "Geleverd: een geaccepteerde versie van de fiche sinds het begin van de ronde; geldig: de nieuwste "
              "versie is niet afgekeurd. Score (icoon): 3 = geleverd, 2 = niet geleverd, 1 = afgekeurd.")
    rijen = []
    for r in stand.rijen:
        if r.geldig is None:
            geldig: object = None
        elif r.geldig:
            geldig = Markering("Ja", Stoplicht.OP_PLANNING)
        else:
            geldig = Markering("Nee", Stoplicht.VERTRAAGD)
        licht = _stand(r)
        rijen.append([r.projectnaam, r.voorzitter, r.email, r.gevraagd, r.herinnerd, r.geleverd_op, geldig,
                      Markering(STAND_TEKST[licht], licht), licht, r.opmerking])
    tabel(blad, "tblUitvraag", K_UITVRAAG, rijen)
    opmaak(blad)
