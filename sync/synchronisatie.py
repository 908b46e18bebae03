"""One sync run: source -> intake -> overview -> master -> publish.

`voer_sync_uit` is one run; `pmiek sync` calls it once and the service's scheduler
(`sync.dienst`) calls it through `geplande_sync`. The run lock of the store (`sync.vergrendeling`:
a lock file beside a SQLite file, an advisory lock on PostgreSQL; held during one run) makes a
manual `pmiek sync` wait for a scheduled run, or a second process's run, instead of interleaving
with it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from fiche.errors import ConfigError, InputError, PmiekError
from sync.bron import FicheBron
from sync.config import Config, laad_config, toon_url
from sync.intake import IntakeResultaat, Tellingen, verwerk
from sync.overzicht import Overzicht
from sync.overzicht_bouw import bouw_overzicht
from sync.rapportagetabellen import ververs_rapportage
from sync.store import Store, open_store
from sync.vergrendeling import Bezet, Slot, slot_voor_config

log = logging.getLogger("pmiek.sync.synchronisatie")

JOB_ID = "pmiek-sync"
#: How long a manual run waits for a scheduled one to finish.
RUN_LOCK_WACHTTIJD = 600.0


@dataclass
class SyncResultaat:
    run_id: int
    status: str  # ok | fout
    tellingen: Tellingen
    fouten: list[dict[str, str]] = field(default_factory=list)
    master: Path | None = None
    overzicht: Overzicht | None = None
    melding: str | None = None  # Dutch, when something needs the operator's attention


# --- locks ----------------------------------------------------------------------------------

def run_lock(config: Config, wachttijd: float = RUN_LOCK_WACHTTIJD) -> Slot:
    lock = slot_voor_config(config, "run")
    try:
        try:
            lock.acquire(0)
        except Bezet:
            log.info("waiting for the run lock: another sync run is busy on this store",
                     extra={"fields": {"store": toon_url(config.store_url), "max_wait_s": wachttijd}})
            lock.acquire(wachttijd)
    except Bezet:
        raise InputError(
            f"a sync run on {toon_url(config.store_url)} is still busy after {wachttijd:.0f}s",
            "Er loopt al een synchronisatie op deze database; probeer het later opnieuw.",
        ) from None
    return lock


# --- one run --------------------------------------------------------------------------------

def maak_bron(config: Config) -> tuple[FicheBron, str]:
    if config.source.type == "folder":
        from sync.bron.map import MapBron
        eigen = [config.master.path]
        if config.master.publish_folder is not None:
            eigen.append(config.master.publish_folder / config.master.path.name)
        # The outbox only when the report goes there: another transport's folder is not ours.
        mappen: tuple[Path, ...] = (config.report.outbox,) if config.report.transport == "outbox" else ()
        if config.lijsten.map is not None:  # project lists are no fiches
            mappen += (config.lijsten.map,)
        return MapBron(config.source.map_instellingen().path, overslaan=tuple(eigen),
                       overslaan_mappen=mappen), "folder"
    from sync.bron import sharepoint as bron_sharepoint  # the Graph source (optional import: only for SharePoint)
    return bron_sharepoint.bron_uit_config(config.source.sharepoint_instellingen()), "sharepoint"


def bron_omschrijving(config: Config) -> str:
    if config.source.type == "folder":
        return f"folder {config.source.map_instellingen().path}"
    sp = config.source.sharepoint_instellingen()
    return f"sharepoint {sp.site or sp.drive_id} folder {sp.folder}"


def schrijf_master_atomisch(overzicht: Overzicht, pad: Path) -> Path:
    """Write the master (`sync.master` writes atomically: temp file, then `os.replace`), after
    removing temp files a killed run may have left beside it."""
    from sync.master import schrijf_master
    if pad.parent.is_dir():
        # The run lock guarantees no other writer is busy, so any temp file here is stale.
        for achtergebleven in pad.parent.glob(f".{pad.stem}.*.tmp"):
            achtergebleven.unlink(missing_ok=True)
    return schrijf_master(overzicht, pad)


def publiceer(config: Config, master: Path) -> str | None:
    """Hand the local master to its publish target; returns a Dutch note for the run, if any."""
    doel = config.master.publish
    if doel == "none":
        return None
    from sync import publiceren
    if doel == "folder":
        # A failed copy (file open on a share) is a note for the run; the next run tries again.
        if config.master.publish_folder is None:  # parsing refuses publish = "folder" without it
            raise ConfigError("master.publish_folder", "is required when master.publish is 'folder'",
                              "is verplicht als master.publish 'folder' is.")
        return publiceren.MapPublicatie(config.master.publish_folder).publiceer(master).melding
    return publiceren.publiceer_sharepoint(config, master)


def voer_sync_uit(config: Config, aanleiding: str = "handmatig", peildatum: dt.date | None = None,
                  voortgang: bool | None = None, store: Store | None = None,
                  lege_bron_toestaan: bool = False) -> SyncResultaat:
    """One complete run. Failures of single files are counted, not raised; a failure of the run
    itself is recorded in the store and raised as a `PmiekError`."""
    eigen_store = store is None
    store = store or open_store(config.store_url)
    vandaag = peildatum or dt.datetime.now(config.sync.tz).date()
    run_id = None
    try:
        # The run is recorded first, so a source that cannot even be set up (no certificate,
        # token refused) shows in `pmiek status` as a failed run.
        run_id = store.start_run(bron_omschrijving(config), aanleiding, os.getpid())
        bron, soort = maak_bron(config)
        log.info("sync started",
                 extra={"fields": {"run": run_id, "source": bron.beschrijving(), "trigger": aanleiding}})
        intake: IntakeResultaat = verwerk(store, bron, soort, run_id, vandaag, config.sync.nabij_maanden, voortgang,
                                          lege_bron_toestaan=lege_bron_toestaan)
        if config.lijsten.map is not None:
            from sync.lijsten.map import importeer_map
            intake.fouten += importeer_map(store, config.lijsten, config.sync.tz).fouten
        overzicht = bouw_overzicht(store, vandaag, tijdzone=config.sync.timezone,
                                   tolerantie_maanden=config.lijsten.tolerantie_maanden,
                                   nabij_maanden=config.sync.nabij_maanden)
        ververs_rapportage(store, overzicht, run_id)  # the SQL views (Power BI); a no-op when unchanged
        master = schrijf_master_atomisch(overzicht, config.master.path)
        melding = publiceer(config, master)
        store.eindig_run(run_id, "ok", intake.tellingen.as_dict(), intake.fouten,
                         master=str(master) if master else None, melding=melding)
        log.info("sync finished", extra={"fields": {"run": run_id, **intake.tellingen.as_dict(),
                                                     "failures": len(intake.fouten), "master": str(master)}})
        return SyncResultaat(run_id, "ok", intake.tellingen, intake.fouten, master, overzicht, melding)
    except PmiekError as exc:
        log.error("sync failed", extra={"fields": {"run": run_id, "error": str(exc)}})
        if run_id is not None:
            store.eindig_run(run_id, "fout", {}, [{"item": "", "melding": exc.melding}], melding=exc.melding)
        raise
    except Exception as exc:
        log.exception("sync failed unexpectedly", extra={"fields": {"run": run_id}})
        melding = f"De synchronisatie is mislukt door een onverwachte fout ({type(exc).__name__}); zie het logbestand."
        if run_id is not None:
            store.eindig_run(run_id, "fout", {}, [{"item": "", "melding": melding}], melding=melding)
        raise PmiekError(f"sync failed: {exc!r}", melding) from exc
    finally:
        if eigen_store:
            store.close()


def _weiger_ontbrekende_map_vooraf(config: Config) -> None:
    """A mistyped --source on a fresh setup must not leave an empty store and lock files behind,
    so a missing fiche folder is refused before either is opened. Against an existing store the
    run goes ahead and is recorded as failed (by the folder source), so `pmiek status` shows it."""
    if config.source.type != "folder":
        return
    pad = config.source.map_instellingen().path
    if pad.is_dir() or config.store_path is None or config.store_path.exists():
        return
    raise InputError(f"source folder {pad} does not exist", f"De fichemap {pad} bestaat niet of is geen map.")


def sync_eenmalig(config: Config, aanleiding: str = "handmatig", voortgang: bool | None = None,
                  peildatum: dt.date | None = None, lege_bron_toestaan: bool = False) -> SyncResultaat:
    """`pmiek sync`: one run under the run lock."""
    _weiger_ontbrekende_map_vooraf(config)
    lock = run_lock(config)
    try:
        return voer_sync_uit(config, aanleiding=aanleiding, voortgang=voortgang, peildatum=peildatum,
                             lege_bron_toestaan=lege_bron_toestaan)
    finally:
        lock.release()


def geplande_sync(config_pad: str) -> None:
    """The scheduled job (module level and plain arguments: APScheduler pickles it). Re-reads the
    config so an edit takes effect at the next run; never raises into the scheduler."""
    try:
        config = laad_config(config_pad)
        sync_eenmalig(config, aanleiding="gepland", voortgang=False)
    except PmiekError as exc:
        log.error("scheduled sync failed", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("scheduled sync failed unexpectedly")
