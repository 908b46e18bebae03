"""The portfolio snapshot (`sync.overzicht.Overzicht`) as JSON and back, losslessly.

The quarterly report freezes a quarter's snapshot in this form (`kwartaal_snapshots.overzicht`,
`sync.kwartaal.rapportage`), and the reporting tables read the frozen quarters back from it
(`sync.rapportagetabellen`), so both sides use the one format.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fiche.stoplicht import Stoplicht
from sync.config import STANDAARD_TIJDZONE
from sync.lijsten.instellingen import TOLERANTIE_STANDAARD
from sync.overzicht import DatakwaliteitMelding, LijstStand, Overzicht, ProjectStand, UitvraagRij, UitvraagStand
from sync.store import dumps, loads


def _stoplicht(v: Any) -> Stoplicht | None:
    return None if v is None else Stoplicht(v)


def _rijen(rijen: list[dict]) -> list[dict]:
    uit = []
    for r in rijen:
        r = dict(r)
        if isinstance(r.get("stoplicht"), str) and Stoplicht.van_label(r["stoplicht"]):
            r["stoplicht"] = Stoplicht.van_label(r["stoplicht"])
        uit.append(r)
    return uit


def overzicht_naar_json(o: Overzicht) -> str:
    data = dataclasses.asdict(o)
    data["historie"] = {k: {q: s.value for q, s in v.items()} for k, v in o.historie.items()}
    return dumps(data)


def overzicht_van_json(tekst: str) -> Overzicht:
    data = loads(tekst)
    projecten = []
    for p in data["projecten"]:
        p["stoplicht"] = _stoplicht(p["stoplicht"])
        p["vorig_stoplicht"] = _stoplicht(p.get("vorig_stoplicht"))
        p["mijlpalen"] = _rijen(p.get("mijlpalen") or [])
        if isinstance(p.get("lijst"), dict):  # a grid operator's list row (sync.lijsten)
            p["lijst"] = LijstStand(**p["lijst"])
        projecten.append(ProjectStand(**p))
    return Overzicht(
        peildatum=data["peildatum"], gegenereerd=data["gegenereerd"], projecten=projecten,
        datakwaliteit=[DatakwaliteitMelding(**m) for m in data.get("datakwaliteit") or []],
        historie={k: {q: Stoplicht(s) for q, s in v.items()} for k, v in (data.get("historie") or {}).items()},
        tijdzone=data.get("tijdzone") or STANDAARD_TIJDZONE,
        tolerantie_maanden=data.get("tolerantie_maanden") or TOLERANTIE_STANDAARD,
        uitvraag=_uitvraag_van_json(data.get("uitvraag")),
    )


def _uitvraag_van_json(u: dict | None) -> UitvraagStand | None:
    return None if u is None else UitvraagStand(**{**u, "rijen": [UitvraagRij(**r) for r in u["rijen"]]})
