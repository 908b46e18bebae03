"""The folder source: fiche workbooks in a local (or mounted) folder, the built-in default.

Every listing is a full one (a folder has no change feed), so intake treats it as
authoritative. The eTag is a hash of size and modification time in nanoseconds: cheap to get
from `stat`, and it changes whenever a save changes the file.

Every file in the folder counts (`telt_mee`), whatever its extension, except lock, temporary and
system files (`is_hulpbestand`): `.xlsx` and `.xlsm` are read as fiches, and an `.xls`, `.xlsb`,
`.ods`, `.csv` or anything else is refused by the reader with a message that names its real format,
so it shows in Datakwaliteit instead of silently being left out (or, renamed from `.xlsx`, seeming
deleted). The master our own service writes into the folder is left out by path (`overslaan`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import re
from pathlib import Path

from fiche.errors import FileRefused, InputError
from sync.bron import BronItem, Wijzigingen
from sync.verhuizing import MAP_SLEUTEL

log = logging.getLogger("pmiek.sync.bron.map")

#: Refuse to read anything this big: a fiche is tens of kilobytes.
MAX_GROOTTE = 50 * 1024 * 1024


#: Files the operating system or an office suite keeps beside a document: never a partner's file.
_SYSTEEMBESTANDEN = frozenset({"thumbs.db", "desktop.ini", "ehthumbs.db", ".ds_store", "icon\r"})
_TIJDELIJK = (".tmp", ".temp", ".partial", ".crdownload", ".part", "~")
#: Excel saves through a temporary file named with eight hexadecimal digits and no extension.
_EXCEL_TIJDELIJK = re.compile(r"[0-9A-F]{8}")


def is_hulpbestand(naam: str) -> bool:
    """A lock, temporary, hidden or system file (no partner put it there on purpose): an Office lock
    file `~$name.xlsx`, LibreOffice's `.~lock.name.xlsx#`, Excel's temporary saves (`~ABCD.tmp`,
    `3F2A9C01`), `*.tmp`, hidden dot-files, `Thumbs.db`, `desktop.ini`."""
    lower = naam.lower()
    return (naam.startswith(("~", ".")) or lower in _SYSTEEMBESTANDEN or lower.endswith(_TIJDELIJK)
            or _EXCEL_TIJDELIJK.fullmatch(naam) is not None)


def telt_mee(naam: str) -> bool:
    """Whether a file in the fiche folder is accounted for by intake: every file but a `is_hulpbestand`."""
    return bool(naam) and not is_hulpbestand(naam)


def etag_voor(stat: os.stat_result) -> str:
    return hashlib.sha256(f"{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]


class MapBron:
    """`FicheBron` over a folder (and its subfolders)."""

    def __init__(self, map_: str | Path, overslaan: tuple[str | Path, ...] = (),
                 overslaan_mappen: tuple[str | Path, ...] = ()) -> None:
        self.map = Path(map_).resolve()
        # Our own output (the master, its published copy, the report outbox) may be configured
        # inside the fiche folder; read back, it would be refused as "not a fiche" on every run.
        self.overslaan = {Path(p).resolve() for p in overslaan}
        self.overslaan_mappen = tuple(Path(p).resolve() for p in overslaan_mappen)

    def beschrijving(self) -> str:
        return f"folder {self.map}"

    def sleutel(self) -> str:
        # Not the path: a moved folder is the same source; its files are known by relative path.
        return MAP_SLEUTEL

    def wijzigingen(self, cursor: str | None) -> Wijzigingen:
        if not self.map.is_dir():
            raise InputError(f"source folder {self.map} does not exist",
                             f"De fichemap {self.map} bestaat niet of is geen map.")
        items: list[BronItem] = []
        for root, dirs, files in os.walk(self.map):
            dirs[:] = sorted(d for d in dirs if not d.startswith("."))
            for naam in sorted(files):
                if not telt_mee(naam):
                    continue
                pad = Path(root) / naam
                if pad in self.overslaan or any(pad.is_relative_to(m) for m in self.overslaan_mappen):
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
