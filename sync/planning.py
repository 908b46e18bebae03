"""Keeping the scheduler's stored jobs in step with the config, for the sync and the report job.

The jobs live in the store (APScheduler's SQLAlchemy job store), so a restart finds them with
their next run time. That time must survive a restart, or a run missed while the service was
down would be silently dropped; but when the operator changed the cron or the time zone, the
stored time belongs to the old schedule and must be computed anew.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any, Callable

log = logging.getLogger("pmiek.sync.planning")


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
