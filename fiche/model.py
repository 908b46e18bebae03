"""The fiche as data: what a workbook holds (`FicheData`) and what the validator concludes
(`Beoordeling` with its `Bevinding`s).

`FicheData` is engine-neutral: the file reader (python-calamine) and the xlwings add-in both fill
it from a workbook's defined names and Excel tables, so one validator serves both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Literal

from fiche.stoplicht import Stoplicht

Ernst = Literal["error", "warning"]


@dataclass
class TabelRij:
    """One non-empty row of an Excel table; `cellen` maps column key to its cell ("Fiche!D31")."""

    nummer: int  # 1-based row number within the table body
    waarden: dict[str, Any]
    cellen: dict[str, str]


@dataclass
class FicheData:
    """Raw values of a fiche workbook, by schema key, with where each came from."""

    fiche_type: str | None
    template_versie: str | None
    velden: dict[str, Any]
    cellen: dict[str, str]
    tabellen: dict[str, list[TabelRij]]
    #: The workbook's own "nabij" tolerance (months), if it carries one.
    nabij_maanden: int | None = None
    #: Cell of the project stoplicht formula, when the workbook has one.
    stoplicht_cel: str | None = None
    bron: str = ""
    #: Where the fiche type was read: the reference of its defined name as the workbook holds it
    #: (None when the name is missing, "Fiche!#REF!" after its cell was deleted) and the cell it
    #: led to (None when broken), so a refusal can say what broke.
    type_verwijzing: str | None = None
    type_cel: str | None = None


@dataclass(frozen=True)
class Bevinding:
    """One finding: severity, rule code, field key, cell address and a Dutch message."""

    ernst: Ernst
    code: str
    veld: str | None
    cel: str | None
    melding: str

    def as_json(self) -> dict:
        return {"severity": self.ernst, "code": self.code, "field": self.veld, "cell": self.cel,
                "message": self.melding}


@dataclass
class MijlpaalOordeel:
    nummer: int
    mijlpaal: str | None
    gepland: dt.date | None
    prognose: dt.date | None
    gereed: dt.date | None
    berekend: Stoplicht
    #: The light shown: the hand-set light when given, else the computed one.
    stoplicht: Stoplicht
    vertraging_dagen: int | None
    cel: str | None  # the row's stoplicht cell


@dataclass
class Beoordeling:
    """The validator's verdict on one fiche."""

    fiche_type: str | None
    project: str | None
    stoplicht: Stoplicht
    bevindingen: list[Bevinding]
    #: Field values after parsing (dates as `datetime.date`), keyed by schema key.
    waarden: dict[str, Any] = field(default_factory=dict)
    #: Parsed table rows, keyed by table key; each row a dict by column key.
    tabellen: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    mijlpalen: list[MijlpaalOordeel] = field(default_factory=list)

    @property
    def fouten(self) -> list[Bevinding]:
        return [b for b in self.bevindingen if b.ernst == "error"]

    @property
    def waarschuwingen(self) -> list[Bevinding]:
        return [b for b in self.bevindingen if b.ernst == "warning"]

    @property
    def geldig(self) -> bool:
        return not self.fouten
