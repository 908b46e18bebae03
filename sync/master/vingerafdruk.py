"""Nothing changed, nothing written: the fingerprint of the snapshot behind the local master.

A sync run whose snapshot (`Overzicht`) has the same content and peildatum as the one the
current master was built from does not rebuild the master. The fingerprint is a SHA-256 of the
snapshot's content (everything but its generation time) and of the master's layout: `LAYOUT_VERSIE`,
the pMIEK version, the fiche template version and a digest of this package's own source, so a
new pMIEK or any change to a sheet rebuilds the master even when nobody bumped a number.

The fingerprint is kept beside the master in a small state file (`.{name}.vingerafdruk`, JSON)
together with the SHA-256 of the master file it describes. The master counts as current only
when both match: a deleted, replaced or half-restored master is rebuilt. The state file is
written after the master itself, so a crash between the two leaves a state file that no longer
matches the master, and the next run rebuilds.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from fiche.bestanden import atomisch_schrijven
from sync.jsonvorm import json_waarde
from sync.overzicht import Overzicht

log = logging.getLogger("pmiek.sync.master")

#: Bump when the master's layout changes in a way the source digest would not show (it always
#: does today; the number documents intent).
LAYOUT_VERSIE = "2"


@functools.cache
def layout() -> str:
    """What besides the snapshot decides the master's content."""
    from importlib import metadata

    from fiche.schema import TEMPLATE_VERSION

    try:
        versie = metadata.version("pmiek-monitor")
    except metadata.PackageNotFoundError:  # run from a source tree without installing
        versie = "onbekend"
    bron = hashlib.sha256()
    for pad in sorted(Path(__file__).parent.glob("*.py")):
        bron.update(pad.name.encode() + b"\0" + pad.read_bytes() + b"\0")
    return f"layout {LAYOUT_VERSIE}; pmiek {versie}; template {TEMPLATE_VERSION}; bron {bron.hexdigest()[:16]}"


#: Field names per dataclass of the snapshot, looked up once per class.
_VELDEN: dict[type, tuple[str, ...]] = {}


def _json(value: Any) -> Any:
    """The snapshot's dataclasses by their fields (no deep copy as `dataclasses.asdict` makes:
    this runs on every sync, for every project and milestone); dates, times and enums as the
    store writes them."""
    soort = type(value)
    if soort is dt.date or soort is dt.datetime:
        return value.isoformat()  # a fingerprint needs no tag to read it back (`sync.jsonvorm` has one)
    namen = _VELDEN.get(soort)
    if namen is None:
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            return json_waarde(value)
        namen = _VELDEN[soort] = tuple(f.name for f in dataclasses.fields(value))
    return {naam: getattr(value, naam) for naam in namen}


def vingerafdruk(overzicht: Overzicht) -> str:
    """SHA-256 (hex) of the snapshot's content, peildatum and time zone, and of the layout."""
    data = _json(overzicht)
    data.pop("gegenereerd")  # the generation time is the one thing that differs on every run
    tekst = json.dumps({"layout": layout(), "overzicht": data}, default=_json, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(tekst.encode("utf-8")).hexdigest()


def staat_pad(master: Path) -> Path:
    return master.with_name(f".{master.name}.vingerafdruk")


def bestand_hash(pad: Path) -> str | None:
    """SHA-256 of a file's bytes; None when it cannot be read (missing, a folder)."""
    try:
        return hashlib.sha256(pad.read_bytes()).hexdigest()
    except OSError:
        return None


def is_actueel(master: Path, afdruk: str) -> bool:
    """True when `master` is the master of a snapshot with fingerprint `afdruk`, as written."""
    try:
        staat = json.loads(staat_pad(master).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(staat, dict) or staat.get("vingerafdruk") != afdruk:
        return False
    return staat.get("sha256") is not None and staat.get("sha256") == bestand_hash(master)


def onthoud(master: Path, afdruk: str) -> None:
    """Record that `master` (as it is now on disk) was built from a snapshot with fingerprint `afdruk`."""
    inhoud = bestand_hash(master)
    if inhoud is None:
        return
    tekst = json.dumps({"vingerafdruk": afdruk, "sha256": inhoud, "layout": layout()}, ensure_ascii=False)
    try:
        atomisch_schrijven(staat_pad(master), tekst.encode("utf-8"))
    except OSError as exc:  # the master itself is fine; the next run just rebuilds it
        log.warning("could not record the master's fingerprint",
                    extra={"fields": {"path": str(staat_pad(master)), "error": str(exc)}})
