"""Where fiche workbooks come from: the interface every source (folder, SharePoint) implements.

A source lists what changed since a cursor it handed out earlier and downloads one item's bytes.
Intake decides, by eTag against the store, what is really new; a full listing (first run, an
expired delta token, every folder scan) is authoritative, so anything known but absent from it
counts as deleted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class BronItem:
    """One fiche file in a source."""

    id: str  # stable id: the path below the folder, or the Graph driveItem id
    naam: str  # path below the fiche folder as the user sees it: "emmen.xlsx", "Noord/emmen.xlsx"
    etag: str  # version tag: Graph eTag, or size+mtime for a folder file
    gewijzigd: dt.datetime  # last modified, timezone-aware UTC
    grootte: int
    link: str | None = None  # where a person opens it (webUrl, or a file URI)


@dataclass
class Wijzigingen:
    """The answer to `FicheBron.wijzigingen`."""

    items: list[BronItem]  # new or changed (or, when `volledig`, every) fiche file
    verwijderd: list[str] = field(default_factory=list)  # ids removed since the cursor
    cursor: str | None = None  # hand back next time (a deltaLink, for Graph)
    volledig: bool = True  # True: `items` is the complete listing


class FicheBron(Protocol):
    def beschrijving(self) -> str:
        """Short English description for logs, e.g. 'folder /data/fiches'."""

    def sleutel(self) -> str:
        """The source's key in the store: what stays the same when its folder moves (`sync.verhuizing`)."""

    def wijzigingen(self, cursor: str | None) -> Wijzigingen:
        """What changed since `cursor` (None: a full listing)."""

    def download(self, item: BronItem) -> bytes:
        """The file's bytes; raises `fiche.errors.RemoteError` or `FileRefused`."""
