"""The SharePoint source: fiche workbooks in one folder of a document library and its subfolders,
read through Microsoft Graph's delta query so a run only sees what changed.

The office365 library keeps no `@odata.deltaLink` (PITFALLS), so the pages are followed here:
nextLink after nextLink until the deltaLink. A cursor Graph no longer accepts (410 Gone) starts a
full enumeration, reported as `volledig` so intake treats it as the complete listing. Delta may
return one item more than once: the last occurrence wins. The eTag is the version (SharePoint's
delta often lacks `cTag`).

Delta gives no `parentReference.path` and SharePoint only offers delta on the library root, so
which files lie below the configured folder is worked out from `parentReference.id`: the cursor
we hand out carries the deltaLink *and* the folder tree below the configured folder. Files count
when their parent is in that tree, whatever their extension (`sync.bron.map.telt_mee`: every file
but a lock, temporary or system file, so an `.ods` or `.csv` shows in Datakwaliteit as in the folder
source); a file deleted, moved out of it or renamed to a lock or temporary name is reported as
removed (intake ignores removals of ids it never knew). When a folder in the tree
is moved, deleted, or a folder appears in it, its files are not all in the delta feed, so the run
falls back to a full enumeration: rare, and it downloads nothing whose eTag is unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any
from urllib.parse import quote

from office365.runtime.client_request_exception import ClientRequestException

from fiche.errors import ConfigError, FileRefused, RemoteError
from sync.bron import BronItem, Wijzigingen
from sync.bron.map import MAX_GROOTTE, telt_mee
from sync.graph import GraphVerbinding
from sync.verhuizing import sharepoint_sleutel

log = logging.getLogger("pmiek.sync.bron.sharepoint")

#: A guard against a server that never ends its paging.
MAX_PAGINAS = 100_000

#: Version of the cursor format below; any other cursor starts a full enumeration.
CURSOR_VERSIE = 2


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
        #: The config key of `folder`, named when it is not found (a publish target is another key).
        self.config_sleutel = "source.folder"

    def beschrijving(self) -> str:
        return f"sharepoint {self.site or self._drive_id} folder {self.folder}"

    def sleutel(self) -> str:
        # driveItem ids stay the same when the fiche folder moves: the folder is not part of the key.
        return sharepoint_sleutel(self.site or self._drive_id or "")

    @property
    def drive_id(self) -> str:
        if self._drive_id is None:
            self._drive_id = zoek_drive(self.verbinding, self.site or "", self.bibliotheek)
        return self._drive_id

    @property
    def map_id(self) -> str:
        if self._map_id is None:
            self._map_id = zoek_map(self.verbinding, self.drive_id, self.folder, self.config_sleutel)
        return self._map_id



class SharePointBron(SharePointLocatie):
    """`FicheBron` over one folder of a SharePoint document library."""

    # --- FicheBron -------------------------------------------------------------------------------

    def wijzigingen(self, cursor: str | None) -> Wijzigingen:
        map_id = self.map_id
        begin = self.verbinding.url(f"drives/{quote(self.drive_id)}/root/delta")
        vorige = _lees_cursor(cursor, map_id)
        if cursor is not None and vorige is None:
            log.info("cursor from another version, starting a full enumeration",
                     extra={"fields": {"source": self.beschrijving()}})
        volledig = vorige is None
        try:
            records, delta_link, paginas = self._alle_paginas(vorige[0] if vorige else begin)
        except ClientRequestException as exc:
            if _status(exc) != 410 or volledig:
                raise self.verbinding.als_remote("delta query", exc) from None
            log.warning("delta token expired (410 Gone), starting a full enumeration",
                        extra={"fields": {"source": self.beschrijving()}})
            volledig = True
            records, delta_link, paginas = self._volledig(begin)

        if volledig:
            mappen = _mappen_onder(map_id, records)
        else:
            mappen = dict(vorige[1])  # type: ignore[index]
            reden = _structuur_gewijzigd(map_id, mappen, records)
            if reden:
                log.info("folder structure below the fiche folder changed, starting a full enumeration",
                         extra={"fields": {"source": self.beschrijving(), "reason": reden}})
                volledig = True
                records, delta_link, extra = self._volledig(begin)
                paginas += extra
                mappen = _mappen_onder(map_id, records)

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
            parent = (rec.get("parentReference") or {}).get("id") or ""  # "": in no folder of ours
            telt = ("file" in rec and (parent == map_id or parent in mappen)
                    and telt_mee(rec.get("name") or ""))
            if telt:
                items.append(BronItem(
                    id=item_id, naam=_pad(parent, rec["name"], map_id, mappen),
                    etag=rec.get("eTag") or rec.get("cTag") or "",
                    gewijzigd=_tijd(rec.get("lastModifiedDateTime")), grootte=int(rec.get("size") or 0),
                    link=rec.get("webUrl"),
                ))
            elif not volledig and "file" in rec:
                verwijderd.append(item_id)  # moved out of the folder or renamed: no longer a fiche here
        log.info("delta listing read", extra={"fields": {
            "source": self.beschrijving(), "full": volledig, "pages": paginas, "records": len(records),
            "subfolders": len(mappen), "fiches": len(items), "removed": len(verwijderd)}})
        return Wijzigingen(items=items, verwijderd=verwijderd, cursor=_schrijf_cursor(delta_link, mappen, map_id),
                           volledig=volledig)

    def _volledig(self, begin: str) -> tuple[dict[str, dict[str, Any]], str, int]:
        try:
            return self._alle_paginas(begin)
        except ClientRequestException as exc:
            raise self.verbinding.als_remote("delta query", exc) from None

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
        items = self.verbinding.client.drives[self.drive_id].items
        try:
            resultaat = self.verbinding.uitvoeren(f"download {item.naam}", lambda: items[item.id].get_content())
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


Mappen = dict[str, tuple[str, str]]  # folder id -> (parent id, name), below the configured folder


def _lees_cursor(cursor: str | None, map_id: str | None = None) -> tuple[str, Mappen] | None:
    """(deltaLink, folder tree) from a cursor we handed out; None for none, another format, or a
    cursor of another fiche folder (`map_id`: the config now points elsewhere, so a full listing)."""
    if not cursor:
        return None
    try:
        data = json.loads(cursor)
        if data.get("versie") != CURSOR_VERSIE or not isinstance(data.get("delta"), str):
            return None
        if map_id is not None and data.get("map") != map_id:
            return None
        mappen = {str(k): (str(v[0]), str(v[1])) for k, v in (data.get("mappen") or {}).items()}
    except (ValueError, TypeError, AttributeError, IndexError, KeyError):
        return None
    return data["delta"], mappen


def _schrijf_cursor(delta_link: str, mappen: Mappen, map_id: str | None = None) -> str:
    return json.dumps({"versie": CURSOR_VERSIE, "delta": delta_link, "map": map_id,
                       "mappen": {k: list(v) for k, v in sorted(mappen.items())}}, ensure_ascii=False)


def _mappen_onder(map_id: str, records: dict[str, dict[str, Any]]) -> Mappen:
    """Every live folder below `map_id`, from a full listing (parents may come after children)."""
    kinderen: dict[str, list[tuple[str, str]]] = {}
    for rec in records.values():
        if "folder" in rec and "deleted" not in rec and "root" not in rec:
            parent = (rec.get("parentReference") or {}).get("id")
            if parent:
                kinderen.setdefault(parent, []).append((rec["id"], rec.get("name") or rec["id"]))
    mappen: Mappen = {}
    open_ = [map_id]
    while open_:
        ouder = open_.pop()
        for kind_id, naam in kinderen.get(ouder, []):
            if kind_id not in mappen and kind_id != map_id:
                mappen[kind_id] = (ouder, naam)
                open_.append(kind_id)
    return mappen


def _structuur_gewijzigd(map_id: str, mappen: Mappen, records: dict[str, dict[str, Any]]) -> str | None:
    """Why an incremental answer cannot be applied to the known folder tree, or None.

    A renamed folder only updates the tree. SharePoint also lists a folder when something below
    it changed; with its parent unchanged that is no structural change.
    """
    for rec in records.values():
        fid = rec.get("id")
        if not fid or fid == map_id or "root" in rec:
            continue
        if "deleted" in rec:
            if fid in mappen:
                return "subfolder deleted"
            continue
        if "folder" not in rec:
            continue
        parent = (rec.get("parentReference") or {}).get("id")
        if fid in mappen:
            if parent != mappen[fid][0]:
                return "subfolder moved"
            mappen[fid] = (parent, rec.get("name") or mappen[fid][1])
        elif parent == map_id or parent in mappen:
            return "subfolder added"
    return None


def _pad(parent: str, naam: str, map_id: str, mappen: Mappen) -> str:
    """The file's path below the configured folder, as the user sees it: "Noord/emmen.xlsx"."""
    delen = [naam]
    gezien = set()
    while parent != map_id and parent in mappen and parent not in gezien:
        gezien.add(parent)
        parent, map_naam = mappen[parent]
        delen.append(map_naam)
    return "/".join(reversed(delen))


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


def zoek_map(verbinding: GraphVerbinding, drive_id: str, folder: str, sleutel: str = "source.folder") -> str:
    """The driveItem id of `folder`: a path below the library root, or an item id. A missing
    folder is a `ConfigError` on `sleutel`, the config key that named it."""
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
            raise ConfigError(sleutel, f"{folder!r} is not a folder",
                              f"'{folder}' in de documentbibliotheek is geen map.")
        return item["id"]
    raise ConfigError(sleutel, f"folder {folder!r} not found in the library",
                      f"de map '{folder}' bestaat niet in de documentbibliotheek.")


def bron_uit_config(sp: Any) -> SharePointBron:
    """The source for the config's `SharePointConfig` (`[source]` with type "sharepoint")."""
    from sync.graph import verbinding_uit_config

    return SharePointBron(verbinding_uit_config(sp), folder=sp.folder, site=sp.site, drive_id=sp.drive_id,
                          bibliotheek=sp.library)
