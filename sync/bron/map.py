"""The folder source: fiche workbooks in a local (or mounted) folder, the built-in default.

Every listing is a full one (a folder has no change feed), so intake treats it as
authoritative. The eTag is a hash of size and modification time in nanoseconds: cheap to get
from `stat`, and it changes whenever a save changes the file. Only `*.xlsx` counts; Office lock
files (`~$name.xlsx`) and temporary files are skipped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from pathlib import Path

from fiche.errors import FileRefused, InputError
from sync.bron import BronItem, Wijzigingen

log = logging.getLogger("pmiek.sync.bron.map")

#: Refuse to read anything this big: a fiche is tens of kilobytes.
MAX_GROOTTE = 50 * 1024 * 1024


def is_fiche_bestand(naam: str) -> bool:
    """A file name that may hold a fiche: `.xlsx`, not a lock or temp file, not hidden."""
    lower = naam.lower()
    if not lower.endswith(".xlsx"):
        return False
    return not (naam.startswith("~$") or naam.startswith(".~") or naam.startswith(".") or naam.startswith("~"))


def etag_voor(stat: os.stat_result) -> str:
    return hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]


class MapBron:
    """`FicheBron` over a folder (and its subfolders)."""

    def __init__(self, map_: str | Path, overslaan: tuple[str | Path, ...] = ()) -> None:
        self.map = Path(map_).resolve()
        # Our own output (the master, its published copy) may be configured inside the fiche
        # folder; read back, it would be refused as "not a fiche" on every run.
        self.overslaan = {Path(p).resolve() for p in overslaan}

    def beschrijving(self) -> str:
        return f"folder {self.map}"

    def wijzigingen(self, cursor: str | None) -> Wijzigingen:
        if not self.map.is_dir():
            raise InputError(f"source folder {self.map} does not exist",
                             f"De fichemap {self.map} bestaat niet of is geen map.")
        items: list[BronItem] = []
        for root, dirs, files in os.walk(self.map):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for naam in sorted(files):
                if not is_fiche_bestand(naam):
                    continue
                pad = Path(root) / naam
                if pad in self.overslaan:
                    continue
                try:
                    st = pad.stat()
                except OSError:
                    continue  # removed between listing and stat: it is simply not there
                relatief = pad.relative_to(self.map).as_posix()
                items.append(BronItem(
                    id=relatief,
                    naam=relatief,  # "Noord/emmen.xlsx": where the user finds it, as on SharePoint
                    etag=etag_voor(st),
                    gewijzigd=dt.datetime.fromtimestamp(st.st_mtime, dt.timezone.utc),
                    grootte=st.st_size,
                    link=pad.as_uri(),
                ))
        return Wijzigingen(items=items, verwijderd=[], cursor=None, volledig=True)

    def download(self, item: BronItem) -> bytes:
        pad = self.map / item.id
        try:
            if pad.stat().st_size > MAX_GROOTTE:
                raise FileRefused("too_large", f"{item.naam}: larger than {MAX_GROOTTE} bytes",
                                  f"{item.naam} is te groot om een fiche te zijn.")
            return pad.read_bytes()
        except FileNotFoundError:
            raise FileRefused("gone", f"{item.naam}: removed during the sync",
                              f"{item.naam} is tijdens het synchroniseren verwijderd.") from None
        except PermissionError:
            raise FileRefused("locked", f"{item.naam}: permission denied",
                              f"{item.naam} kan niet worden gelezen (geen toegang of geopend).") from None
