"""Is a quarter's e-mail due and unsent? Decided from the calendar and the send records only.

APScheduler moves a job's next run time on when the job *starts*: a service killed during the
quarterly job (in its sync, or while sending) finds the job planned for the next quarter after a
restart, and its misfire catch-up never applies. So the service asks here, at start-up and after
every scheduled sync (`sync.dienst`; `sync.synchronisatie.geplande_sync` calls it through the
hook the service sets, as that module cannot import this one):

- the quarter is the last one that ended (`rapportage.te_rapporteren_kwartaal`);
- it is due from the quarterly schedule's first time after the quarter ended
  (`kwartaal_trigger`, the same schedule the job runs on) until `catch_up_days` later
  (0: no catch-up at all, only the scheduled run itself);
- it is unsent when no record of it is `verzonden` and the last one is not `controleren`
  (a person decides those). A `mislukt` one is retried; one left `verzenden`/`overgedragen` by a
  dead process is settled by `Kwartaalrapport.verstuur` (mislukt and resent, or controleren).

The send itself is `Kwartaalrapport.verstuur`, under its lock: a due check that races the
scheduled job finds the quarter sent and does nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable
from zoneinfo import ZoneInfo

from fiche.datums import kwartaal_grenzen
from fiche.errors import PmiekError
from sync import herhaling
from sync.config import STANDAARD_TIJDZONE, ReportConfig
from sync.kwartaal import rapportage

log = logging.getLogger("pmiek.sync.kwartaal.inhalen")

#: The one-off job the service adds at start-up when a quarter is due (`sync.dienst.inhaal_job`;
#: it runs in the service's scheduler, so never beside the sync or the quarterly job).
JOB_ID = "pmiek-kwartaal-inhalen"


def kwartaal_trigger(inst: ReportConfig, timezone: str = STANDAARD_TIJDZONE) -> Any:
    """The quarterly job's schedule (`report.cron`, default `rapportage.STANDAARD_CRON`)."""
    from apscheduler.triggers.cron import CronTrigger
    if inst.cron:
        return CronTrigger.from_crontab(inst.cron, timezone=timezone)
    return CronTrigger(**rapportage.STANDAARD_CRON, timezone=timezone)


def geplande_tijd(kwartaal: str, inst: ReportConfig, timezone: str = STANDAARD_TIJDZONE) -> dt.datetime:
    """When the schedule sends `kwartaal`: its first time after the quarter ended."""
    tz = ZoneInfo(timezone)
    begin_daarna = dt.datetime.combine(kwartaal_grenzen(kwartaal)[1] + dt.timedelta(days=1), dt.time(0), tz)
    return kwartaal_trigger(inst, timezone).get_next_fire_time(None, begin_daarna)


def verschuldigd_kwartaal(inst: ReportConfig, timezone: str, moment: dt.datetime) -> str | None:
    """The last ended quarter if `moment` lies in its send window, else None."""
    kwartaal = rapportage.te_rapporteren_kwartaal(moment, ZoneInfo(timezone))
    gepland = geplande_tijd(kwartaal, inst, timezone)
    if inst.catch_up_days <= 0 or not gepland <= moment <= gepland + dt.timedelta(days=inst.catch_up_days):
        return None
    return kwartaal


def onverzonden(records: list[dict]) -> bool:
    """Whether the records of one quarter leave it to be sent automatically."""
    if any(r["status"] == rapportage.VERZONDEN for r in records):
        return False
    return not records or records[-1]["status"] != rapportage.CONTROLEREN


def te_verzenden(config: Any, moment: dt.datetime | None = None) -> str | None:
    """The quarter to send now (due and unsent), or None. Only reads the store."""
    moment = moment or rapportage.nu()
    kwartaal = verschuldigd_kwartaal(config.report, config.sync.timezone, moment)
    if kwartaal is None:
        return None
    rapport, store = rapportage.voor_config(config)
    try:
        return kwartaal if onverzonden(rapport.verzendingen(kwartaal)) else None
    finally:
        store.close()


def verstuur_als_verschuldigd(config: Any, voor_verzenden: Callable[[], None] | None = None) -> dict | None:
    """Send the last ended quarter when it is due and unsent; returns its record, or None.

    `voor_verzenden` runs first when there is something to send (the service's start-up job syncs
    there; after a scheduled sync the store is fresh already). Never raises: the service keeps
    running, the log says why.
    """
    try:
        kwartaal = te_verzenden(config)
        if kwartaal is None:
            return None
        log.warning("quarterly report due and unsent, sending it now", extra={"fields": {"quarter": kwartaal}})
        if voor_verzenden is not None:
            voor_verzenden()
        if herhaling.gestopt():
            log.info("service stopping: the due quarterly report waits for the next start",
                     extra={"fields": {"quarter": kwartaal}})
            return None
        rapport, store = rapportage.voor_config(config)
        try:
            rij = rapport.verstuur(kwartaal, config.report, rapportage.maak_transport(config.report, config),
                                   aanleiding="ingehaald")
        finally:
            store.close()
        log.info("due quarterly report sent", extra={"fields": {"quarter": kwartaal, "record": rij["id"]}})
        return rij
    except rapportage.AlVerzonden:
        return None
    except PmiekError as exc:
        log.error("due quarterly report not sent", extra={"fields": {"error": str(exc)}})
    except Exception:  # noqa: BLE001 - the service must keep running
        log.exception("due quarterly report failed unexpectedly")
    return None
