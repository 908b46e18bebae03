"""The sync service: one run (source -> intake -> overview -> master -> publish) and the schedule.

`voer_sync_uit` is one run; `pmiek sync` calls it once and the scheduler calls it through
`geplande_sync`. `serve` runs APScheduler with its job store in the same SQLite file: the job is
added only when absent and the scheduler starts paused, so a run missed while the service was
down is caught up once (coalesced) instead of being silently dropped by a recomputed next run.

Two locks next to the store keep processes apart: the service lock (held by `serve` for its
lifetime: a second service on the same store is refused) and the run lock (held during one run,
so a manual `pmiek sync` waits for a scheduled run instead of interleaving with it).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock, Timeout

from fiche.errors import ConfigError, InputError, PmiekError
from sync.bron import FicheBron
from sync.config import Config, laad_config
from sync.intake import IntakeResultaat, Tellingen, verwerk
from sync.overzicht import Overzicht
from sync.overzicht_bouw import TZ, bouw_overzicht
from sync.planning import plan_job
from sync.store import Store, open_store

log = logging.getLogger("pmiek.sync.dienst")

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

def _lock(pad: Path, wachttijd: float) -> FileLock:
    pad.parent.mkdir(parents=True, exist_ok=True)
    return FileLock(str(pad), timeout=wachttijd, thread_local=False)


def dienst_lock(config: Config) -> FileLock:
    """Acquire the one-service-per-store lock or refuse with a Dutch message."""
    lock = _lock(config.lock_path, 0)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(
            f"another pmiek service holds {config.lock_path}",
            f"Er draait al een pMIEK-dienst op deze database ({config.store_path or config.store_url}). "
            "Een tweede dienst op dezelfde database wordt geweigerd.",
        ) from None
    return lock


def run_lock(config: Config, wachttijd: float = RUN_LOCK_WACHTTIJD) -> FileLock:
    lock = _lock(config.lock_path.with_name(config.lock_path.name.replace(".lock", ".run.lock")), wachttijd)
    try:
        lock.acquire()
    except Timeout:
        raise InputError(
            f"a sync run on {config.store_url} is still busy after {wachttijd:.0f}s",
            "Er loopt al een synchronisatie op deze database; probeer het later opnieuw.",
        ) from None
    return lock


# --- one run --------------------------------------------------------------------------------

def maak_bron(config: Config) -> tuple[FicheBron, str]:
    if config.source.type == "folder":
        from sync.bron_map import MapBron
        eigen = [config.master.path]
        if config.master.publish_folder is not None:
            eigen.append(config.master.publish_folder / config.master.path.name)
        return MapBron(config.source.folder.path, overslaan=tuple(eigen)), "folder"
    from sync import bron_sharepoint  # the Graph source (optional import: only for SharePoint)
    return bron_sharepoint.bron_uit_config(config.source.sharepoint), "sharepoint"


def bron_omschrijving(config: Config) -> str:
    if config.source.type == "folder":
        return f"folder {config.source.folder.path}"
    sp = config.source.sharepoint
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
        return publiceren.MapPublicatie(config.master.publish_folder).publiceer(master).melding
    return publiceren.publiceer_sharepoint(config, master)


def voer_sync_uit(config: Config, aanleiding: str = "handmatig", peildatum: dt.date | None = None,
                  voortgang: bool | None = None, store: Store | None = None,
                  lege_bron_toestaan: bool = False) -> SyncResultaat:
    """One complete run. Failures of single files are counted, not raised; a failure of the run
    itself is recorded in the store and raised as a `PmiekError`."""
    eigen_store = store is None
    store = store or open_store(config.store_url)
    vandaag = peildatum or dt.datetime.now(TZ).date()
    run_id = None
    try:
        # The run is recorded first, so a source that cannot even be set up (no certificate,
        # token refused) shows in `pmiek status` as a failed run.
        run_id = store.start_run(bron_omschrijving(config), aanleiding, os.getpid())
        bron, soort = maak_bron(config)
        log.info("sync started", extra={"fields": {"run": run_id, "source": bron.beschrijving(), "trigger": aanleiding}})
        intake: IntakeResultaat = verwerk(store, bron, soort, run_id, vandaag, config.sync.nabij_maanden, voortgang,
                                          lege_bron_toestaan=lege_bron_toestaan)
        overzicht = bouw_overzicht(store, vandaag)
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


def sync_eenmalig(config: Config, aanleiding: str = "handmatig", voortgang: bool | None = None,
                  peildatum: dt.date | None = None, lege_bron_toestaan: bool = False) -> SyncResultaat:
    """`pmiek sync`: one run under the run lock."""
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


# --- the schedule ---------------------------------------------------------------------------

def maak_scheduler(config: Config, engine):
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
        executors={"default": {"type": "threadpool", "max_workers": 1}},
        job_defaults={"coalesce": True, "max_instances": 1,
                      "misfire_grace_time": config.sync.catch_up_hours * 3600},
        timezone=config.sync.tz,
    )


def start_schema(config: Config, engine):
    """Start the scheduler so that a missed run is caught up once: paused, jobs added or brought
    up to date (`plan_job` keeps a pending catch-up), then resumed."""
    from apscheduler.triggers.cron import CronTrigger
    if config.path is None:
        raise InputError("serve needs a config file", "pmiek serve heeft een configuratiebestand nodig (--config).")
    scheduler = maak_scheduler(config, engine)
    scheduler.start(paused=True)
    trigger = CronTrigger.from_crontab(config.sync.cron, timezone=config.sync.tz)
    plan_job(scheduler, JOB_ID, geplande_sync, trigger, [str(config.path)], "pMIEK sync")
    # The quarterly e-mail (issue 5) runs in the same scheduler, added the same way.
    from sync.kwartaalrapport import registreer
    registreer(scheduler, config)
    scheduler.resume()
    job = scheduler.get_job(JOB_ID)
    log.info("scheduler running", extra={"fields": {"next_run": job.next_run_time.isoformat() if job.next_run_time else None}})
    return scheduler


def controleer_bij_start(config: Config) -> None:
    """What a scheduled run would only find out hours later: a missing fiche folder, a missing
    secret or certificate, a master path that cannot be written, missing SMTP login variables.
    Local checks only: the network may be briefly away when the service starts, and that is no
    reason to refuse to start."""
    if config.source.type == "folder":
        pad = config.source.folder.path
        if not pad.is_dir():
            raise ConfigError("source.path", f"fiche folder {pad} does not exist",
                              f"de fichemap {pad} bestaat niet of is geen map.")
    else:
        from sync.graph import certificaat_credential
        sp = config.source.sharepoint
        if sp.certificate:
            certificaat_credential(Path(sp.certificate), sp.certificate_thumbprint,
                                    getattr(sp, "certificate_password_env", None))
        else:
            sp.client_secret()
    master = config.master.path
    if master.is_dir():
        raise ConfigError("master.path", f"{master} is a directory", f"{master} is een map; geef een .xlsx-bestand op.")
    bestaand = master.parent
    while not bestaand.exists() and bestaand != bestaand.parent:
        bestaand = bestaand.parent
    if not bestaand.is_dir() or not os.access(bestaand, os.W_OK | os.X_OK):
        raise ConfigError("master.path", f"cannot write below {bestaand}",
                          f"het masterwerkboek kan niet in {master.parent} worden geschreven (geen schrijfrechten in "
                          f"{bestaand}).")
    from sync.kwartaalrapport import instellingen_uit_config, maak_transport
    inst = instellingen_uit_config(config)
    if inst.transport == "smtp":
        maak_transport(inst, config).inloggegevens()


def serve(config: Config, stop: threading.Event | None = None) -> int:
    """`pmiek serve`: run until SIGTERM/SIGINT (or `stop` is set); returns the exit code."""
    controleer_bij_start(config)
    lock = dienst_lock(config)
    stop = stop or threading.Event()
    vorige = {}
    if threading.current_thread() is threading.main_thread():
        # SIGBREAK: what Windows service wrappers send (Ctrl+Break) besides Ctrl+C.
        for sig in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGBREAK", None)):
            if sig is None:
                continue
            vorige[sig] = signal.signal(sig, lambda *_: stop.set())
    store = None
    scheduler = None
    try:
        store = open_store(config.store_url)
        scheduler = start_schema(config, store.engine)
        job = scheduler.get_job(JOB_ID)
        volgende = job.next_run_time.astimezone(config.sync.tz) if job and job.next_run_time else None
        print(f"pMIEK-dienst gestart (database {config.store_path or config.store_url}); volgende synchronisatie: "
              f"{volgende:%d-%m-%Y %H:%M} ({config.sync.timezone})." if volgende else "pMIEK-dienst gestart.",
              flush=True)
        while not stop.wait(1.0):
            pass
        log.info("stopping on signal")
        return 0
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)  # a running sync finishes; its files are committed one by one anyway
        if store is not None:
            store.close()
        for sig, handler in vorige.items():
            signal.signal(sig, handler)
        lock.release()
        print("pMIEK-dienst gestopt.", flush=True)
