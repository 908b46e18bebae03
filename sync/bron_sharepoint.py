"""The SharePoint source: fiche workbooks in one folder of a document library, read through
Microsoft Graph's delta query so a run only sees what changed.

The office365 library keeps no `@odata.deltaLink` (PITFALLS), so the pages are followed here:
nextLink after nextLink until the deltaLink, which becomes the cursor. A cursor Graph no longer
accepts (410 Gone) starts a full enumeration, reported as `volledig` so intake treats it as the
complete listing. Delta may return one item more than once: the last occurrence wins. Only
`.xlsx` files whose `parentReference.id` is the configured folder count (delta gives no
`parentReference.path`; subfolders are not included). In an incremental answer a deleted item,
and a file that was moved out of the folder or renamed away from `.xlsx`, is reported as removed;
intake ignores removals of ids it never knew. The eTag is the version (SharePoint's delta often
lacks `cTag`).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any
from urllib.parse import quote

from office365.runtime.client_request_exception import ClientRequestException

from fiche.errors import ConfigError, FileRefused, RemoteError
from sync.bron import BronItem, Wijzigingen
from sync.bron_map import MAX_GROOTTE, is_fiche_bestand
from sync.graph import GraphVerbinding

log = logging.getLogger("pmiek.sync.bron_sharepoint")

#: A guard against a server that never ends its paging.
MAX_PAGINAS = 100_000


def _status(exc: ClientRequestException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def _tijd(waarde: str | None) -> dt.datetime:
    if not waarde:
        return dt.datetime.now(dt.timezone.utc)
    t = dt.datetime.fromisoformat(waarde.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


class SharePointLocatie:
    """One folder of a SharePoint document library, its ids looked up once, on first use.

    `site` is "host:/sites/name" or a Graph site id (its default library, or the one named
    `bibliotheek`); `drive_id` names the library directly. `folder` is a path below the library
    root ("Fiches/2025") or a driveItem id.
    """

    def __init__(self, verbinding: GraphVerbinding, *, folder: str, site: str | None = None,
                 drive_id: str | None = None, bibliotheek: str | None = None) -> None:
        if not site and not drive_id:
            raise ConfigError("source.site", "either site or drive_id is required",
                              "geef de SharePoint-site (site) of de documentbibliotheek (drive_id) op.")
        self.verbinding = verbinding
        self.folder = folder
        self.site = site
        self._drive_id = drive_id
        self.bibliotheek = bibliotheek
        self._map_id: str | None = None

    def beschrijving(self) -> str:
        return f"sharepoint {self.site or self._drive_id} folder {self.folder}"

    @property
    def drive_id(self) -> str:
        if self._drive_id is None:
            self._drive_id = zoek_drive(self.verbinding, self.site or "", self.bibliotheek)
        return self._drive_id

    @property
    def map_id(self) -> str:
        if self._map_id is None:
            self._map_id = zoek_map(self.verbinding, self.drive_id, self.folder)
        return self._map_id



class SharePointBron(SharePointLocatie):
    """`FicheBron` over one folder of a SharePoint document library."""

    # --- FicheBron -------------------------------------------------------------------------------

    def wijzigingen(self, cursor: str | None) -> Wijzigingen:
        map_id = self.map_id
        begin = self.verbinding.url(f"drives/{quote(self.drive_id)}/root/delta")
        volledig = cursor is None
        try:
            records, nieuwe_cursor, paginas = self._alle_paginas(cursor or begin)
        except ClientRequestException as exc:
            if _status(exc) != 410 or volledig:
                raise self.verbinding.als_remote("delta query", exc) from None
            log.warning("delta token expired (410 Gone), starting a full enumeration",
                        extra={"fields": {"source": self.beschrijving()}})
            volledig = True
            try:
                records, nieuwe_cursor, paginas = self._alle_paginas(begin)
            except ClientRequestException as exc2:
                raise self.verbinding.als_remote("delta query", exc2) from None

        items: list[BronItem] = []
        verwijderd: list[str] = []
        for rec in records.values():
            item_id = rec.get("id")
            if not item_id or "root" in rec or "folder" in rec:
                continue
            if "deleted" in rec:
                if not volledig:
                    verwijderd.append(item_id)
                continue
            telt = ("file" in rec and (rec.get("parentReference") or {}).get("id") == map_id
                    and is_fiche_bestand(rec.get("name") or ""))
            if telt:
                items.append(BronItem(
                    id=item_id, naam=rec["name"], etag=rec.get("eTag") or rec.get("cTag") or "",
                    gewijzigd=_tijd(rec.get("lastModifiedDateTime")), grootte=int(rec.get("size") or 0),
                    link=rec.get("webUrl"),
                ))
            elif not volledig and "file" in rec:
                verwijderd.append(item_id)  # moved out of the folder or renamed: no longer a fiche here
        log.info("delta listing read", extra={"fields": {
            "source": self.beschrijving(), "full": volledig, "pages": paginas, "records": len(records),
            "fiches": len(items), "removed": len(verwijderd)}})
        return Wijzigingen(items=items, verwijderd=verwijderd, cursor=nieuwe_cursor, volledig=volledig)

    def _alle_paginas(self, url: str) -> tuple[dict[str, dict[str, Any]], str, int]:
        """Follow nextLinks to the deltaLink; the records by id, last occurrence last."""
        records: dict[str, dict[str, Any]] = {}
        for pagina in range(1, MAX_PAGINAS + 1):
            body = self.verbinding.get_json(url, wat="delta page")
            for rec in body.get("value") or []:
                item_id = rec.get("id")
                if item_id:
                    records.pop(item_id, None)  # a later occurrence replaces an earlier one
                    records[item_id] = rec
            if body.get("@odata.nextLink"):
                url = body["@odata.nextLink"]
                continue
            if body.get("@odata.deltaLink"):
                return records, body["@odata.deltaLink"], pagina
            raise RemoteError("delta page without nextLink or deltaLink",
                              "SharePoint gaf een onvolledig antwoord; de volgende run probeert het opnieuw.")
        raise RemoteError(f"delta query did not end within {MAX_PAGINAS} pages",
                          "SharePoint bleef doorgaan met pagina's; de volgende run probeert het opnieuw.")

    def download(self, item: BronItem) -> bytes:
        if item.grootte > MAX_GROOTTE:
            raise FileRefused("too_large", f"{item.naam}: larger than {MAX_GROOTTE} bytes",
                              f"{item.naam} is te groot om een fiche te zijn.")
        resultaat = self.verbinding.client.drives[self.drive_id].items[item.id].get_content()
        try:
            self.verbinding.uitvoeren(f"download {item.naam}")
        except ClientRequestException as exc:
            if _status(exc) == 404:
                raise FileRefused("gone", f"{item.naam}: removed during the sync",
                                  f"{item.naam} is tijdens de synchronisatie verwijderd.") from None
            raise self.verbinding.als_remote(f"download {item.naam}", exc) from None
        inhoud = resultaat.value
        if isinstance(inhoud, str):
            inhoud = inhoud.encode("latin-1")
        if len(inhoud) > MAX_GROOTTE:
            raise FileRefused("too_large", f"{item.naam}: larger than {MAX_GROOTTE} bytes",
                              f"{item.naam} is te groot om een fiche te zijn.")
        return bytes(inhoud)


def zoek_drive(verbinding: GraphVerbinding, site: str, bibliotheek: str | None = None) -> str:
    """The drive id of `site`'s default library, or of the library named `bibliotheek`."""
    site_pad = f"sites/{quote(site, safe=':/,')}"
    try:
        if ":/" in site:  # host:/sites/name -> resolve to the site id first
            site_id = verbinding.get_json(site_pad, wat="site lookup")["id"]
            site_pad = f"sites/{quote(site_id, safe=',')}"
        if bibliotheek:
            for drive in verbinding.get_json(f"{site_pad}/drives", wat="library lookup").get("value") or []:
                if (drive.get("name") or "").lower() == bibliotheek.lower():
                    return drive["id"]
            raise ConfigError("source.library", f"library {bibliotheek!r} not found on site {site}",
                              f"de documentbibliotheek '{bibliotheek}' bestaat niet op de site {site}.")
        return verbinding.get_json(f"{site_pad}/drive", wat="library lookup")["id"]
    except ClientRequestException as exc:
        if _status(exc) in (403, 404):
            raise ConfigError("source.site", f"site {site} not found or not granted ({_status(exc)})",
                              f"de SharePoint-site {site} bestaat niet of de app heeft er geen toegang toe "
                              "(Sites.Selected: vraag de beheerder de site toe te kennen).") from None
        raise verbinding.als_remote("site lookup", exc) from None


def zoek_map(verbinding: GraphVerbinding, drive_id: str, folder: str) -> str:
    """The driveItem id of `folder`: a path below the library root, or an item id."""
    pad = folder.strip("/")
    kandidaten = [f"drives/{quote(drive_id)}/root:/{quote(pad)}:"] if pad else [f"drives/{quote(drive_id)}/root"]
    if pad and "/" not in pad:
        kandidaten.append(f"drives/{quote(drive_id)}/items/{quote(pad)}")
    for url in kandidaten:
        try:
            item = verbinding.get_json(url, wat="folder lookup")
        except ClientRequestException as exc:
            if _status(exc) in (400, 404):
                continue
            raise verbinding.als_remote("folder lookup", exc) from None
        if "folder" not in item and "root" not in item:
            raise ConfigError("source.folder", f"{folder!r} is not a folder",
                              f"'{folder}' in de documentbibliotheek is geen map.")
        return item["id"]
    raise ConfigError("source.folder", f"folder {folder!r} not found in the library",
                      f"de map '{folder}' bestaat niet in de documentbibliotheek.")


def bron_uit_config(sp: Any) -> SharePointBron:
    """The source for the config's `SharePointConfig` (`[source]` with type "sharepoint")."""
    from sync.graph import verbinding_uit_config

    return SharePointBron(verbinding_uit_config(sp), folder=sp.folder, site=sp.site, drive_id=sp.drive_id,
                          bibliotheek=getattr(sp, "library", None))
