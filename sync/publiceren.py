"""Publishing the master workbook once it is written locally: into a folder (the built-in
default, e.g. a network share) or into a SharePoint document library through Microsoft Graph.

The local master is never touched here: when publishing fails the new local copy stays, and the
result says to try again on the next run. SharePoint specifics (PITFALLS):

- Up to 4 MB one `PUT .../content`; above it an upload session (`sync.graph.upload_sessie`,
  shared with mail attachments): chunks of a multiple of 320 KiB to the pre-authenticated
  `uploadUrl`, through our own session, so proxy, CA bundle, timeouts, retries and test routing
  apply (the library's own chunk upload bypasses all of that).
- 423 Locked: the master is open in Excel (a shared lock the API cannot break). We log who holds
  it and report "retry next run".
- 412 Precondition Failed: with `vorige_etag` (the eTag of our last upload) as `If-Match`, the
  copy in SharePoint was changed by someone since. The master is generated from the store, so
  it is uploaded anyway; the other version stays in the library's version history, and the
  result and log say so.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import quote

from office365.runtime.client_request_exception import ClientRequestException

from fiche.bestanden import atomisch_schrijven
from fiche.errors import RemoteError
from sync.bron.sharepoint import SharePointLocatie
from sync.graph import CHUNK_EENHEID, CHUNK_STANDAARD, GraphVerbinding

log = logging.getLogger("pmiek.sync.publiceren")

#: Graph's limit for a single PUT of file content.
SIMPEL_MAX = 4 * 1024 * 1024

__all__ = ["CHUNK_EENHEID", "CHUNK_STANDAARD", "SIMPEL_MAX", "MapPublicatie", "Publicatie", "PublicatieResultaat",
           "SharePointPublicatie", "publiceer_sharepoint"]


@dataclass
class PublicatieResultaat:
    gelukt: bool
    doel: str  # where the master went: a path or a SharePoint web URL
    etag: str | None = None  # pass back as `vorige_etag` next time
    opnieuw_proberen: bool = False  # not published now; the next run tries again
    vergrendeld_door: str | None = None  # 423: who has the master open, when known
    overschreven: bool = False  # 412: someone's change in SharePoint was replaced (kept in version history)
    melding: str | None = None  # Dutch, for the run report
    ongewijzigd: bool = False  # the target already held exactly this master: nothing was sent


class Publicatie(Protocol):
    def beschrijving(self) -> str:
        """Short English description for logs."""

    def publiceer(self, bestand: Path, vorige_etag: str | None = None) -> PublicatieResultaat:
        """Publish the local master `bestand`; never alters or removes it."""


class MapPublicatie:
    """Copies the master atomically into a folder (a share the project leader opens)."""

    def __init__(self, map_: str | Path, bestandsnaam: str | None = None) -> None:
        self.map = Path(map_)
        self.bestandsnaam = bestandsnaam

    def beschrijving(self) -> str:
        return f"folder {self.map}"

    def publiceer(self, bestand: Path, vorige_etag: str | None = None) -> PublicatieResultaat:
        doel = self.map / (self.bestandsnaam or bestand.name)
        try:
            data = bestand.read_bytes()
            if _zelfde_inhoud(doel, data):
                # Nothing to do (a run in which nothing changed): the copy there is this master.
                log.info("published master is current, not copied", extra={"fields": {"target": str(doel)}})
                return PublicatieResultaat(True, str(doel), ongewijzigd=True)
            atomisch_schrijven(doel, data)
        except PermissionError as exc:
            # Windows refuses to replace a file someone has open in Excel
            log.warning("master in publish folder is in use, keeping the local copy; retrying next run",
                        extra={"fields": {"target": str(doel), "error": str(exc)}})
            return PublicatieResultaat(False, str(doel), opnieuw_proberen=True,
                                       melding=f"{doel} is in gebruik (open in Excel?); "
                                               "de volgende run probeert het opnieuw.")
        except OSError as exc:
            log.error("publishing the master to the folder failed",
                      extra={"fields": {"target": str(doel), "error": str(exc)}})
            return PublicatieResultaat(False, str(doel), opnieuw_proberen=True,
                                       melding=f"De master kon niet naar {doel.parent} worden geschreven; "
                                               "de volgende run probeert het opnieuw.")
        log.info("master published to folder", extra={"fields": {"target": str(doel)}})
        return PublicatieResultaat(True, str(doel), melding=f"Master gepubliceerd in {doel}.")


class SharePointPublicatie(SharePointLocatie):
    """Uploads the master into a folder of a SharePoint document library."""

    def __init__(self, verbinding: GraphVerbinding, *, folder: str, site: str | None = None,
                 drive_id: str | None = None, bibliotheek: str | None = None, bestandsnaam: str | None = None,
                 chunk_grootte: int = CHUNK_STANDAARD) -> None:
        if chunk_grootte <= 0 or chunk_grootte % CHUNK_EENHEID:
            raise ValueError(f"chunk_grootte must be a positive multiple of {CHUNK_EENHEID}")
        super().__init__(verbinding, folder=folder, site=site, drive_id=drive_id, bibliotheek=bibliotheek)
        self.config_sleutel = "master.upload_folder"
        self.bestandsnaam = bestandsnaam
        self.chunk_grootte = chunk_grootte

    def publiceer(self, bestand: Path, vorige_etag: str | None = None) -> PublicatieResultaat:
        naam = self.bestandsnaam or bestand.name
        data = bestand.read_bytes()
        doel = f"{self.beschrijving()}/{naam}"
        overschreven = False
        try:
            try:
                item = self._upload(naam, data, vorige_etag)
            except ClientRequestException as exc:
                if _status(exc) != 412:
                    raise
                wie = self._laatst_gewijzigd_door(naam)
                log.warning("master was changed in SharePoint since our last upload (412); replacing it, "
                            "the other version stays in the version history",
                            extra={"fields": {"target": doel, "expected_etag": vorige_etag, "last_modified_by": wie}})
                overschreven = True
                item = self._upload(naam, data, None)
        except ClientRequestException as exc:
            if _status(exc) == 423:
                eigenaar = getattr(exc, "lock_owner", None)
                log.warning("master is locked in SharePoint (open in Excel?), keeping the local copy; "
                            "retrying next run", extra={"fields": {
                                "target": doel, "lock_owner": eigenaar or "unknown", "local": str(bestand)}})
                wie = f" door {eigenaar}" if eigenaar else ""
                return PublicatieResultaat(False, doel, opnieuw_proberen=True, vergrendeld_door=eigenaar,
                                           melding=f"De master in SharePoint is geopend{wie}; de nieuwe versie "
                                                   f"staat lokaal in {bestand} en wordt bij de volgende run "
                                                   "opnieuw geüpload.")
            fout = self.verbinding.als_remote(f"upload {naam}", exc)
            log.error("uploading the master failed, keeping the local copy",
                      extra={"fields": {"target": doel, "error": str(fout)}})
            return PublicatieResultaat(False, doel, opnieuw_proberen=True, melding=fout.melding)
        except RemoteError as exc:
            log.error("uploading the master failed, keeping the local copy",
                      extra={"fields": {"target": doel, "error": str(exc)}})
            return PublicatieResultaat(False, doel, opnieuw_proberen=True, melding=exc.melding)
        url = item.get("webUrl") or doel
        log.info("master uploaded to SharePoint",
                 extra={"fields": {"target": url, "bytes": len(data), "replaced_change": overschreven}})
        melding = f"Master geüpload naar {url}."
        if overschreven:
            melding += " Iemand had de master in SharePoint gewijzigd; die versie staat in de versiegeschiedenis."
        return PublicatieResultaat(True, url, etag=item.get("eTag"), overschreven=overschreven, melding=melding)

    # --- Graph calls -----------------------------------------------------------------------------

    def _item_pad(self, naam: str) -> str:
        return f"drives/{quote(self.drive_id)}/items/{quote(self.map_id)}:/{quote(naam)}:"

    def _upload(self, naam: str, data: bytes, if_match: str | None) -> dict[str, Any]:
        headers = {"If-Match": if_match} if if_match else {}
        if len(data) <= SIMPEL_MAX:
            headers["Content-Type"] = "application/octet-stream"
            return self.verbinding.verzoek("PUT", f"{self._item_pad(naam)}/content", data=data, headers=headers,
                                           wat=f"upload {naam}").json()
        sessie = self.verbinding.verzoek(
            "POST", f"{self._item_pad(naam)}/createUploadSession", headers=headers, wat=f"upload session {naam}",
            json={"item": {"@microsoft.graph.conflictBehavior": "replace", "name": naam}}).json()
        return self.verbinding.upload_sessie(
            sessie["uploadUrl"], data, chunk_grootte=self.chunk_grootte, wat=f"upload chunk {naam}",
            melding="SharePoint bevestigde de upload van de master niet; de volgende run probeert het opnieuw.")

    def huidige_etag(self, naam: str | None = None) -> str | None:
        """The eTag of the published master in the library now; None when it is not there (or
        cannot be asked for: then the upload that follows reports what is wrong)."""
        naam = naam or self.bestandsnaam or ""
        try:
            item = self.verbinding.get_json(self._item_pad(naam), wat="master metadata")
        except Exception:  # noqa: BLE001 - any doubt means: upload
            return None
        return None if item.get("deleted") else item.get("eTag")

    def _laatst_gewijzigd_door(self, naam: str) -> str | None:
        try:
            item = self.verbinding.get_json(self._item_pad(naam), wat="master metadata")
        except Exception:  # noqa: BLE001 - only for the log line
            return None
        gebruiker = (item.get("lastModifiedBy") or {}).get("user") or {}
        return gebruiker.get("displayName") or gebruiker.get("email")


def _zelfde_inhoud(doel: Path, data: bytes) -> bool:
    try:
        return doel.stat().st_size == len(data) and doel.read_bytes() == data
    except OSError:
        return False


def _status(exc: ClientRequestException) -> int | None:
    return getattr(getattr(exc, "response", None), "status_code", None)


def publiceer_sharepoint(config: Any, master: Path) -> str | None:
    """Upload the local master per the config (`[master] publish = "sharepoint"`); a Dutch note for the run.

    The eTag of our last upload is kept beside the local master, so a change someone made to
    the copy in SharePoint is noticed (412) and reported.
    """
    from sync.graph import verbinding_uit_config

    sp = config.source.sharepoint
    publicatie = SharePointPublicatie(verbinding_uit_config(sp), folder=config.master.upload_folder or "",
                                      site=sp.site, drive_id=sp.drive_id, bibliotheek=sp.library,
                                      bestandsnaam=master.name)
    etag_pad = master.with_name(f".{master.name}.sharepoint-etag")
    hash_pad = master.with_name(f".{master.name}.sharepoint-sha256")
    vorige = etag_pad.read_text(encoding="utf-8").strip() if etag_pad.is_file() else None
    inhoud = hashlib.sha256(master.read_bytes()).hexdigest()
    geupload = hash_pad.read_text(encoding="utf-8").strip() if hash_pad.is_file() else None
    # Nothing changed: our last upload was this very file and the library still holds it
    # untouched (same eTag). A deleted or edited copy is uploaded again.
    if vorige and geupload == inhoud and publicatie.huidige_etag() == vorige:
        log.info("master in SharePoint is current, not uploaded", extra={"fields": {"etag": vorige}})
        return None
    res = publicatie.publiceer(master, vorige_etag=vorige or None)
    if res.gelukt and res.etag:
        atomisch_schrijven(etag_pad, res.etag.encode("utf-8"))
        atomisch_schrijven(hash_pad, inhoud.encode("utf-8"))
    return res.melding
