"""Which cell of a fiche gets which fill after one validation run: the one decision behind the
add-in's colours in the open workbook (`addin.kleuren` writes it through xlwings) and the coloured
copy of `pmiek validate --colour` (`fiche.gekleurde_kopie` writes it into a new file).

The plan covers every cell pMIEK owns, in this order (a later step wins on the same cell):
1. every input cell gets its plain fill back: field cells the templates' yellow input fill, table
   bodies no fill (the table style shows through). That is how the marks of a previous run go;
2. cells with a finding get the warning mark, then the error mark (an error wins);
3. the project's and every milestone's stoplicht cell gets its light's colour (the light is
   derived: a finding never hides it).

Standard library only at import: the add-in bundles this module into xlwings Lite (Pyodide).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from fiche import schema as S

#: Mark for a cell with an error: Excel's own "light red fill".
FOUT_KLEUR = "FFC7CE"
#: Mark for a cell with a warning: Excel's "light yellow fill".
WAARSCHUWING_KLEUR = "FFEB9C"
#: Fill of a field input cell without a finding: the templates' yellow input fill
#: (`fiche.template.INVOER_FILL`; a test keeps the two equal).
INVOER_KLEUR = "FFF2CC"
#: Table cells have no fill of their own (the table style shows through).
TABEL_KLEUR = None

Kleur = str | None  # "RRGGBB", or None for no fill


@dataclass
class Kleurplan:
    #: sheet name (as the workbook spells it) -> {(row, col): colour}, 1-based
    cellen: dict[str, dict[tuple[int, int], Kleur]] = field(default_factory=dict)

    def zet(self, sheet: str, rij: int, kolom: int, kleur: Kleur, *, overschrijf: bool = True) -> None:
        per_sheet = self.cellen.setdefault(sheet, {})
        if overschrijf or (rij, kolom) not in per_sheet:
            per_sheet[(rij, kolom)] = kleur

    def per_kleur(self, sheet: str) -> dict[Kleur, list[tuple[int, int]]]:
        groepen: dict[Kleur, list[tuple[int, int]]] = defaultdict(list)
        for cel, kleur in self.cellen.get(sheet, {}).items():
            groepen[kleur].append(cel)
        return dict(groepen)


def maak_kleurplan(data, beoordeling, bladen: Iterable[str],
                   tabel_bodies: Mapping[str, tuple[str, str] | None] | None = None,
                   namen: Mapping[str, str] | None = None) -> Kleurplan:
    """Every owned cell's fill for this run of `beoordeling` (`fiche.model.Beoordeling`) on
    `data` (`fiche.model.FicheData`).

    `bladen`: the workbook's sheet names (references name sheets case-insensitively; cells on a
    sheet that is not there are left out). `tabel_bodies`: Excel table name -> (sheet, data rows
    such as "A4:I23"). `namen`: the workbook's defined names, for the project stoplicht cell when
    the reader found none.
    """
    from fiche.celadres import cel_grenzen
    from fiche.reader import splits_verwijzing

    op_naam = {b.casefold(): b for b in bladen}
    plan = Kleurplan()

    def zet_bereik(sheet: str, ref: str, kleur: Kleur) -> None:
        naam = op_naam.get(sheet.casefold())
        if naam is None:
            return
        try:
            c1, r1, c2, r2 = cel_grenzen(ref)
        except (ValueError, TypeError):
            return  # not a reference, or a whole row or column: no cell of ours
        for r in range(r1, r2 + 1):
            for c in range(c1, c2 + 1):
                plan.zet(naam, r, c, kleur)

    def zet(cel: str | None, kleur: Kleur) -> None:
        plek = splits_verwijzing(cel) if cel else None
        if plek is not None:
            zet_bereik(*plek, kleur)

    # 1. Plain fill on every input cell: this is what removes last run's marks.
    for cel in data.cellen.values():
        zet(cel, INVOER_KLEUR)
    schema = S.SCHEMAS.get(data.fiche_type or "")
    bodies = {n.casefold(): plek for n, plek in (tabel_bodies or {}).items() if plek}
    for tabel in (schema.tables if schema else ()):
        body = bodies.get(tabel.name.casefold())
        if body is not None:
            # The whole body, whatever columns a user moved or added; the stoplicht cells of rows
            # with a milestone get their colour below.
            zet_bereik(*body, TABEL_KLEUR)
    # 2. Marks: warnings first so an error on the same cell wins.
    for ernst, kleur in (("warning", WAARSCHUWING_KLEUR), ("error", FOUT_KLEUR)):
        for b in beoordeling.bevindingen:
            if b.ernst == ernst:
                zet(b.cel, kleur)
    # 3. Stoplicht cells last: they are derived, a finding never hides the light.
    zet(data.stoplicht_cel or (namen or {}).get(S.NAAM_STOPLICHT), beoordeling.stoplicht.kleur)
    for oordeel in beoordeling.mijlpalen:
        zet(oordeel.cel, oordeel.stoplicht.kleur)
    return plan
