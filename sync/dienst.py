"""The service: `pmiek serve`, one APScheduler that runs the jobs (the sync, the quarterly e-mail and,
with an `[uitvraag]` section, the uitvraag round to the voorzitters).

The jobs live in the store (APScheduler's SQLAlchemy job store), so a restart finds them with
their next run time. The scheduler starts paused, each job is added only when absent or brought
up to date (`plan_job`), then it resumes: a run missed while the service was down is caught up
once (coalesced) instead of being silently dropped by a recomputed next run. When the operator
changed the cron or the time zone, the stored time belongs to the old schedule and is computed
anew.

The service lock of the store (`sync.vergrendeling`: a lock file beside a SQLite file, an
advisory lock on PostgreSQL; held by `serve` for its lifetime) refuses a second service on the
same store, also one on another machine sharing a PostgreSQL database. This module imports the
jobs; no job imports it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from pathlib import Path
from typing import Any, Callable

from fiche.errors import ConfigError, InputError, PmiekError
from sync import herhaling
from sync.config import Config, toon_url
from sync.kwartaal import inhalen, rapportage
from sync.kwartaal.inhalen import kwartaal_trigger
from sync.kwartaal.transport import SmtpTransport
from sync.store import open_store
from sync.synchronisatie import JOB_ID, NA_GEPLANDE_SYNC, geplande_sync, ruim_tijdelijke_op, sync_eenmalig
from sync.vergrendeling import Bezet, Slot, slot_voor_config

log = logging.getLogger("pmiek.sync.dienst")


# --- keeping stored jobs in step with the config ---------------------------------------------

def trigger_sleutel(trigger: Any) -> tuple[str, str]:
    """What makes two triggers the same: `str(CronTrigger)` leaves out the time zone."""
    return str(trigger), str(getattr(trigger, "timezone", ""))


def plan_job(scheduler: Any, job_id: str, func: Callable[..., Any], trigger: Any, args: list[str],
             naam: str, **opties: Any) -> None:
    """Add the job when absent, or bring the stored one up to date.

    A changed trigger gets its next run from the new schedule, unless the stored next run has
    already passed: that is a missed run, caught up once when the scheduler resumes.
    """
    job = scheduler.get_job(job_id)
    if job is None:
        scheduler.add_job(func, trigger, id=job_id, name=naam, args=args, **opties)
        log.info("job added", extra={"fields": {"job": job_id, "trigger": str(trigger)}})
        return
    nieuw_schema = trigger_sleutel(job.trigger) != trigger_sleutel(trigger)
    if not nieuw_schema and list(job.args) == args and all(getattr(job, k) == v for k, v in opties.items()):
        return
    wijzigingen: dict[str, Any] = {"trigger": trigger, "args": args, **opties}
    if nieuw_schema:
        nu = dt.datetime.now(trigger.timezone)
        if job.next_run_time is None or job.next_run_time > nu:
            wijzigingen["next_run_time"] = trigger.get_next_fire_time(None, nu)
    scheduler.modify_job(job_id, **wijzigingen)
    volgende = wijzigingen.get("next_run_time", job.next_run_time)
    log.info("job updated", extra={"fields": {
        "job": job_id, "trigger": str(trigger), "timezone": str(trigger.timezone), "schedule_changed": nieuw_schema,
        "next_run": volgende.isoformat() if volgende else None}})


def dienst_lock(config: Config) -> Slot:
    """Acquire the one-service-per-store lock or refuse with a Dutch message."""
    lock = slot_voor_config(config, "dienst")
    try:
        lock.acquire(0)
    except Bezet:
        raise InputError(
            f"another pmiek service holds the service lock of {toon_url(config.store_url)}",
            f"Er draait al een pMIEK-dienst op deze database ({config.store_path or toon_url(config.store_url)}). "
            "Een tweede dienst op dezelfde database wordt geweigerd.",
        ) from None
    return lock


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
    registreer_kwartaalrapport(scheduler, config)
    if inhalen.verstuur_als_verschuldigd not in NA_GEPLANDE_SYNC:
        NA_GEPLANDE_SYNC.append(inhalen.verstuur_als_verschuldigd)  # the due check after every scheduled sync
    plan_inhalen(scheduler, config)
    registreer_uitvraag(scheduler, config)
    if config.store_path is not None:  # the daily backup (issue 15); PostgreSQL has its own tools
        from sync.reservekopie import JOB_ID as BACKUP_JOB, geplande_reservekopie
        plan_job(scheduler, BACKUP_JOB, geplande_reservekopie,
                 CronTrigger.from_crontab(config.backup.cron, timezone=config.sync.tz), [str(config.path)],
                 "pMIEK reservekopie")
    scheduler.resume()
    job = scheduler.get_job(JOB_ID)
    volgende = job.next_run_time.isoformat() if job.next_run_time else None
    log.info("scheduler running", extra={"fields": {"next_run": volgende}})
    return scheduler


def controleer_bij_start(config: Config) -> None:
    """What a scheduled run would only find out hours later: a missing fiche folder, a missing
    secret or certificate, a master path that cannot be written, missing SMTP login variables.
    Local checks only: the network may be briefly away when the service starts, and that is no
    reason to refuse to start."""
    if config.source.type == "folder":
        pad = config.source.map_instellingen().path
        if not pad.is_dir():
            raise ConfigError("source.path", f"fiche folder {pad} does not exist",
                              f"de fichemap {pad} bestaat niet of is geen map.")
    else:
        from sync.graph import certificaat_credential
        sp = config.source.sharepoint_instellingen()
        if sp.certificate:
            certificaat_credential(Path(sp.certificate), sp.certificate_thumbprint,
                                    sp.certificate_password_env)
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
    if config.report.transport == "smtp":
        transport = rapportage.maak_transport(config.report, config)
        if isinstance(transport, SmtpTransport):  # always so for "smtp"; narrows the type
            transport.inloggegevens()


def serve(config: Config, stop: threading.Event | None = None, nieuwe_store: bool = False) -> int:
    """`pmiek serve`: run until SIGTERM/SIGINT (or `stop` is set); returns the exit code. A store
    that was there and is gone is not made anew without `nieuwe_store`; a damaged one (quick
    check at start-up) is refused with the backup to restore."""
    from sync import storebewaking, storespoor
    controleer_bij_start(config)
    storespoor.controleer_aanwezig(config, nieuwe_store)
    lock = dienst_lock(config)
    ruim_tijdelijke_op(config)  # what a killed service left behind (each sync sweeps again)
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
        if nieuwe_store:
            storespoor.verwijder_lege(config)
        store = open_store(config.store_url)
        storebewaking.controleer_gezond(store.engine, config.path)
        log.info("store integrity quick check passed", extra={"fields": {"store": str(config.store_path)}})
        storespoor.schrijf_sporen(config, store.engine)
        scheduler = start_schema(config, store.engine)
        job = scheduler.get_job(JOB_ID)
        volgende = job.next_run_time.astimezone(config.sync.tz) if job and job.next_run_time else None
        database = config.store_path or toon_url(config.store_url)
        print(f"pMIEK-dienst gestart (database {database}); volgende synchronisatie: "
              f"{volgende:%d-%m-%Y %H:%M} ({config.sync.timezone})." if volgende else "pMIEK-dienst gestart.",
              flush=True)
        while not stop.wait(1.0):
            pass
        log.info("stopping on signal")
        return 0
    finally:
        if scheduler is not None:
            herhaling.stop_herhalingen()  # a job waiting between retries gives up now instead of holding the stop
            try:
                scheduler.shutdown(wait=True)  # a running sync finishes; its files are committed one by one anyway
            finally:
                herhaling.herhalingen_toestaan()
        if store is not None:
            store.close()
        for sig, handler in vorige.items():
            signal.signal(sig, handler)
        lock.release()
        print("pMIEK-dienst gestopt.", flush=True)

# --- the quarterly job --------------------------------------------------------------------------

def registreer_kwartaalrapport(scheduler: Any, config: Any) -> None:
    """Add the quarterly job to the service's (paused) scheduler when absent, the same way as the
    sync job: an existing job keeps its stored next run, so a run missed while the service was
    down is made up once at start (within `catch_up_days`)."""
    inst = config.report
    trig = kwartaal_trigger(inst, config.sync.timezone)
    args = [str(config.path)]
    # 0 days means no catch-up; APScheduler reads None as "no limit", so use its smallest grace.
    grace = inst.catch_up_days * 86400 if inst.catch_up_days > 0 else 1
    plan_job(scheduler, rapportage.JOB_ID, rapportage.geplande_rapportage, trig, args, "pMIEK kwartaaloverzicht",
             misfire_grace_time=grace, coalesce=True, max_instances=1)


def plan_inhalen(scheduler: Any, config: Any) -> None:
    """The quarter that ended and is due but unsent (a service killed during the quarterly job,
    whose next run had already moved on) is sent once now: decided from the send records and the
    calendar (`sync.kwartaal.inhalen`), not from the job's next run time."""
    try:
        kwartaal = inhalen.te_verzenden(config)
    except Exception:  # noqa: BLE001 - a check at start-up must not keep the service from starting
        log.exception("could not check for a due quarterly report at start-up")
        return
    nu = dt.datetime.now(config.sync.tz)
    job = scheduler.get_job(rapportage.JOB_ID)
    if kwartaal is None or (job is not None and job.next_run_time is not None and job.next_run_time <= nu):
        return  # nothing due, or the quarterly job's own catch-up of a missed run sends it now
    scheduler.add_job(inhaal_job, "date", run_date=nu, id=inhalen.JOB_ID,
                      name="pMIEK kwartaaloverzicht inhalen", args=[str(config.path)], replace_existing=True)
    log.info("due quarterly report planned for now", extra={"fields": {"quarter": kwartaal}})


def inhaal_job(config_pad: str) -> None:
    """The start-up job of `plan_inhalen` (module level, plain argument: APScheduler pickles it):
    a fresh sync, then the due quarter. Never raises into the scheduler."""
    from sync.config import laad_config
    try:
        config = laad_config(config_pad)
    except PmiekError as exc:
        log.error("due quarterly report not checked", extra={"fields": {"error": str(exc)}})
        return

    def eerst_sync() -> None:
        try:
            sync_eenmalig(config, aanleiding="gepland", voortgang=False)
        except PmiekError as exc:
            log.error("sync before the quarterly report failed; reporting on the last good state",
                      extra={"fields": {"error": str(exc)}})

    inhalen.verstuur_als_verschuldigd(config, eerst_sync)


def registreer_uitvraag(scheduler: Any, config: Any) -> None:
    """The uitvraag job (`sync.uitvraag.verzending`), daily by default, when `[uitvraag]` is
    enabled; removed when it is not. What it sends follows from the records and the calendar, so
    a missed day is made up by the next run (and at start-up within a week)."""
    from apscheduler.triggers.cron import CronTrigger

    from sync.uitvraag import verzending
    if not config.uitvraag.enabled:
        if scheduler.get_job(verzending.JOB_ID) is not None:
            scheduler.remove_job(verzending.JOB_ID)
        return
    trig = CronTrigger.from_crontab(config.uitvraag.cron, timezone=config.sync.timezone)
    plan_job(scheduler, verzending.JOB_ID, verzending.geplande_uitvraag, trig, [str(config.path)],
             "pMIEK uitvraag", misfire_grace_time=7 * 86400, coalesce=True, max_instances=1)
