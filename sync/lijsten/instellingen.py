"""The `[lijsten]` section of the config: the watched lists folder, the tolerance and the column
mappings per source. Parsed by `sync.config` (which hands over its section reader), so bad
values fail at start-up naming the key, like every other setting.

    [lijsten]
    map = "lijsten"            # watched folder (optional); file names say kind, source, edition
    tolerantie_maanden = 12    # bovengrens = first planned IBN + this

    [lijsten.kolommen.Enexis]  # only for headers the defaults do not recognise
    code = "Proj.nr."
    ibn = "Gereed (jaar)"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fiche.errors import ConfigError
from sync.lijsten.kolommen import VELDEN

#: The default tolerance: bovengrens = the first planned IBN plus one year.
TOLERANTIE_STANDAARD = 12


@dataclass
class LijstenConfig:
    map: Path | None = None
    tolerantie_maanden: int = TOLERANTIE_STANDAARD
    #: Source (lower case) -> field -> header.
    kolommen: dict[str, dict[str, str]] = field(default_factory=dict)

    def mapping(self, bron: str) -> dict[str, str]:
        return self.kolommen.get(" ".join(bron.split()).lower(), {})


def lijsten_config(sectie: Any) -> LijstenConfig:
    """From `sync.config`'s section reader for `[lijsten]`."""
    kolommen: dict[str, dict[str, str]] = {}
    ruw = sectie._get("kolommen", False) or {}
    if not isinstance(ruw, dict):
        raise ConfigError("lijsten.kolommen", "must be a table per source",
                          "moet per bron een sectie zijn, bijv. [lijsten.kolommen.Enexis].")
    for bron, mapping in ruw.items():
        sleutel = f"lijsten.kolommen.{bron}"
        if not isinstance(mapping, dict):
            raise ConfigError(sleutel, "must be a table of field = header",
                              "moet een sectie zijn met per veld de kolomkop, bijv. code = \"Proj.nr.\".")
        velden = {}
        for veld, kop in mapping.items():
            if veld not in VELDEN:
                raise ConfigError(f"{sleutel}.{veld}", "unknown list field",
                                  f"onbekend veld; bekend zijn: {', '.join(VELDEN)}.")
            if not isinstance(kop, str) or not kop.strip():
                raise ConfigError(f"{sleutel}.{veld}", "must be a column header", "moet de kolomkop zijn (tekst).")
            velden[veld] = kop.strip()
        kolommen[" ".join(str(bron).split()).lower()] = velden
    return LijstenConfig(
        map=sectie.path("map"),
        tolerantie_maanden=sectie.integer("tolerantie_maanden", TOLERANTIE_STANDAARD, 0, 120),
        kolommen=kolommen,
    )
