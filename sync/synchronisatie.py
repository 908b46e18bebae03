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
from typing import Callable

from fiche.bestanden import veeg_tijdelijke
from fiche.errors import ConfigError, InputError, PmiekError
from sync import herhaling
from sync.bron import FicheBron
from sync.config import Config, laad_config, toon_url
from sync.gcpauze import zonder_cyclische_gc
from sync.intake import IntakeResultaat, Tellingen, verwerk
from sync.overzicht import Overzicht
from sync.overzicht_bouw import bouw_overzicht
from sync.rapportagetabellen import ververs_rapportage
from sync.store import Store, open_store
from sync.vergrendeling import Bezet, Slot, slot_voor_config

log = logging.getLogger("pmiek.sync.synchronisatie")

JOB_ID = "pmiek-sync"
#: Run after every scheduled sync (each never raises). The service puts the quarterly e-mail's due
#: check here (`sync.dienst.start_schema`): that module depends on this one, not the other way.
NA_GEPLANDE_SYNC: list[Callable[[Config], object]] = []
#: In `pmiek status` for a run stopped with Ctrl+C or SIGTERM.
AFGEBROKEN = ("De synchronisatie is afgebroken (gestopt met Ctrl+C of SIGTERM); wat al gelezen was is bewaard, "
              "de volgende synchronisatie maakt het af.")
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
    #: False when nothing changed and the master (and its published copy) was left as it was.
    master_herschreven: bool = True


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


#: The run's note when the master was left as it was (`pmiek status` shows it).
MASTER_ONGEWIJZIGD = "Niets gewijzigd sinds de vorige run: de master is niet opnieuw geschreven."


def ruim_tijdelijke_op(config: Config) -> None:
    """Stale temp files a killed process left in the folders the service writes: the master's,
    the publish folder and the outbox (`fiche.bestanden.veeg_tijdelijke`: our own names only)."""
    mappen = [config.master.path.parent, config.master.publish_folder if config.master.publish == "folder" else None,
              config.report.outbox if config.report.transport == "outbox" else None]
    for map_ in dict.fromkeys(m for m in mappen if m is not None):
        weg = veeg_tijdelijke(map_)
        if weg:
            log.info("stale temp files removed",
                     extra={"fields": {"folder": str(map_), "files": [p.name for p in weg]}})


def schrijf_master_atomisch(overzicht: Overzicht, pad: Path, geen_nieuwe_versies: bool,
                            ondertussen: Callable[[str], object]) -> tuple[Path, bool]:
    """Write the master (`sync.master` writes atomically: temp file, then `os.replace`), after
    removing temp files a killed run may have left beside it; returns (path, rewritten).

    When the run accepted no new version and the master on disk is the one of a snapshot with
    the same fingerprint (content, peildatum, layout: `sync.master.vingerafdruk`), it is left
    as it is: same file, same bytes, nothing to publish.

    `ondertussen(afdruk)`: the run's work that does not need the master (the reporting tables,
    given the snapshot's fingerprint), done while a child process builds the master's bytes
    (`sync.master.bouwproces`); an error in it leaves the master unwritten, as before. When new
    versions came in, the master is rebuilt whatever the fingerprint says, so the child starts
    before the fingerprint is even taken.
    """
    from sync.master import schrijf_master, vingerafdruk
    from sync.master.bouwproces import MasterBouw
    if pad.parent.is_dir():
        # The run lock guarantees no other writer is busy, so any temp file here is stale.
        for achtergebleven in pad.parent.glob(f".{pad.name}.*.tmp"):  # also an earlier version's names
            achtergebleven.unlink(missing_ok=True)
    bouw = None if geen_nieuwe_versies else MasterBouw(overzicht)
    try:
        afdruk = vingerafdruk.vingerafdruk(overzicht)
        if bouw is None and vingerafdruk.is_actueel(pad, afdruk):
            ondertussen(afdruk)
            log.info("master unchanged, not rewritten",
                     extra={"fields": {"path": str(pad), "fingerprint": afdruk[:16]}})
            return pad, False
        bouw = bouw or MasterBouw(overzicht)
        ondertussen(afdruk)
        schrijf_master(overzicht, pad, inhoud=bouw.inhoud())
    finally:
        if bouw is not None:
            bouw.stop()
    vingerafdruk.onthoud(pad, afdruk)
    return pad, True


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


@zonder_cyclische_gc()  # a run allocates in bulk (`sync.gcpauze`)
def voer_sync_uit(config: Config, aanleiding: str = "handmatig", peildatum: dt.date | None = None,
                  voortgang: bool | None = None, store: Store | None = None,
                  lege_bron_toestaan: bool = False) -> SyncResultaat:
    """One complete run. Failures of single files are counted, not raised; a failure of the run
    itself is recorded in the store and raised as a `PmiekError`."""
    eigen_store = store is None
    store = store or open_store(config.store_url)
    from sync import storebewaking, storespoor
    vandaag = peildatum or dt.datetime.now(config.sync.tz).date()
    run_id = None
    try:
        # The run is recorded first, so a source that cannot even be set up (no certificate,
        # token refused) shows in `pmiek status` as a failed run.
        run_id = store.start_run(bron_omschrijving(config), aanleiding, os.getpid())
        ruim_tijdelijke_op(config)
        bron, soort = maak_bron(config)
        log.info("sync started",
                 extra={"fields": {"run": run_id, "source": bron.beschrijving(), "trigger": aanleiding}})
        intake: IntakeResultaat = verwerk(store, bron, soort, run_id, vandaag, config.sync.nabij_maanden, voortgang,
                                          lege_bron_toestaan=lege_bron_toestaan, lezers=config.sync.readers,
                                          leestijd=config.sync.read_timeout_seconds)
        if config.lijsten.map is not None:
            from sync.lijsten.map import importeer_map
            intake.fouten += importeer_map(store, config.lijsten, config.sync.tz).fouten
        overzicht = bouw_overzicht(store, vandaag, tijdzone=config.sync.timezone,
                                   tolerantie_maanden=config.lijsten.tolerantie_maanden,
                                   nabij_maanden=config.sync.nabij_maanden)
        # One fingerprint of the snapshot for both: the SQL views (Power BI) and the master are
        # left as they are when it did not change.
        master, herschreven = schrijf_master_atomisch(
            overzicht, config.master.path, geen_nieuwe_versies=intake.tellingen.geaccepteerd == 0,
            ondertussen=lambda afdruk: ververs_rapportage(store, overzicht, run_id, overzicht_vingerafdruk=afdruk))
        melding = publiceer(config, master)
        if not herschreven:
            melding = " ".join(m for m in (MASTER_ONGEWIJZIGD, melding) if m)
        store.eindig_run(run_id, "ok", intake.tellingen.as_dict(), intake.fouten,
                         master=str(master) if master else None, melding=melding)
        storespoor.schrijf_sporen(config, store.engine)  # where the store was, for when it is gone
        log.info("sync finished", extra={"fields": {"run": run_id, **intake.tellingen.as_dict(),
                                                     "failures": len(intake.fouten), "master": str(master),
                                                     "master_rewritten": herschreven}})
        return SyncResultaat(run_id, "ok", intake.tellingen, intake.fouten, master, overzicht, melding,
                             master_herschreven=herschreven)
    except PmiekError as exc:
        log.error("sync failed", extra={"fields": {"run": run_id, "error": str(exc)}})
        _eindig_mislukt(store, run_id, exc, config)
        raise
    except Exception as exc:
        fout = storebewaking.storefout(exc, config.store_url, config.path)  # full disk, read-only, corrupt
        if fout is not None:
            log.error("sync failed on a store or disk fault", extra={"fields": {"run": run_id, "error": str(exc)}})
        else:
            log.exception("sync failed unexpectedly", extra={"fields": {"run": run_id}})
            fout = PmiekError(f"sync failed: {exc!r}", "De synchronisatie is mislukt door een onverwachte fout "
                              f"({type(exc).__name__}); zie het logbestand.")
        _eindig_mislukt(store, run_id, fout, config)
        raise fout from exc
    except BaseException as exc:
        # Ctrl+C or SIGTERM (`pmiek.stoppen`): what was stored stays, the run says it was broken off.
        signaal = getattr(exc, "signaal", 2) if isinstance(exc, KeyboardInterrupt) else None
        log.warning("sync stopped", extra={"fields": {
            "run": run_id, "cause": {2: "SIGINT", 15: "SIGTERM"}.get(signaal or 0, type(exc).__name__)}})
        if run_id is not None:
            store.eindig_run(run_id, "afgebroken", {}, [], melding=AFGEBROKEN)
            exc.run_id = run_id  # type: ignore[attr-defined] # for the CLI message
        raise
    finally:
        if eigen_store:
            store.close()


def _eindig_mislukt(store: Store, run_id: int | None, fout: PmiekError, config: Config) -> None:
    """Record the failed run (which may itself fail on a full disk or a damaged store), then a
    quick integrity check: a damaged store is named with the backup to restore."""
    from sync.storebewaking import StoreFout, controleer_gezond, storefout
    if run_id is not None:
        try:
            store.eindig_run(run_id, "fout", {}, [{"item": "", "melding": fout.melding}], melding=fout.melding)
        except Exception as exc:  # noqa: BLE001 - the run's own error is the one to report
            log.error("failed run not recorded", extra={"fields": {"run": run_id, "error": str(exc)}})
    if isinstance(fout, StoreFout) and fout.soort == "beschadigd":
        return
    try:
        controleer_gezond(store.engine, config.path)
    except StoreFout as exc:
        if exc.soort == "beschadigd":
            fout.melding = f"{fout.melding} {exc.melding}"
    except Exception as exc:  # noqa: BLE001 - a check that cannot run says nothing more
        log.warning("integrity check after the failed run did not run", extra={"fields": {
            "error": str(storefout(exc, config.store_url) or exc)}})


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
                  peildatum: dt.date | None = None, lege_bron_toestaan: bool = False,
                  nieuwe_store: bool = False) -> SyncResultaat:
    """`pmiek sync`: one run under the run lock. A store that was there and is gone (or is an
    empty file) is made anew only with `nieuwe_store` (`--new-store`)."""
    from sync.storespoor import controleer_aanwezig, verwijder_lege
    _weiger_ontbrekende_map_vooraf(config)
    controleer_aanwezig(config, nieuwe_store)
    lock = run_lock(config)
    try:
        if nieuwe_store:
            verwijder_lege(config)
        return voer_sync_uit(config, aanleiding=aanleiding, voortgang=voortgang, peildatum=peildatum,
                             lege_bron_toestaan=lege_bron_toestaan)
    finally:
        lock.release()


def geplande_sync(config_pad: str) -> None:
    """The scheduled job (module level and plain arguments: APScheduler pickles it). Re-reads the
    config so an edit takes effect at the next run; never raises into the scheduler."""
    try:
        config = laad_config(config_pad)
    except PmiekError as exc:
        log.error("scheduled sync failed", extra={"fields": {"error": str(exc)}})
        return
    try:
        sync_eenmalig(config, aanleiding="gepland", voortgang=False)
    except PmiekError as exc:
        log.error("scheduled sync failed", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("scheduled sync failed unexpectedly")
    for stap in NA_GEPLANDE_SYNC:
        if not herhaling.gestopt():
            stap(config)
