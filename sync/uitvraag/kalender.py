"""A round's calendar: when a quarter's deadline is, and what is due on a given day.

The deadline of quarter Q is `days_before_meeting` days before the last configured meeting
(Energy Board / WKI) inside Q; without one, `weeks_before_quarter_end` weeks before Q's last
day. The requests go out from `request_days_before_deadline` days before it (or earlier, when a
person starts the round by hand), a reminder on each of `reminder_days` before it, and the
project leader's notice on the first day after it. What is due follows from the date and the
records only, never from when a scheduler last ran: a service that was down catches up on its
next run, sending the latest reminder that is due rather than every one it missed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from fiche.datums import kwartaal_grenzen
from sync.config import UitvraagConfig

VERZOEK = "verzoek"
DEADLINE = "deadline"


def herinnering(dagen: int) -> str:
    """The record's kind for the reminder `dagen` days before the deadline."""
    return f"herinnering-{dagen}"


def is_herinnering(soort: str) -> bool:
    return soort.startswith("herinnering-")


@dataclass(frozen=True)
class Planning:
    kwartaal: str
    deadline: dt.date
    verzoek_vanaf: dt.date
    #: (days before the deadline, the day), earliest first.
    herinneringen: tuple[tuple[int, dt.date], ...]

    @property
    def melding_op(self) -> dt.date:
        """The project leader's notice: the first day after the deadline."""
        return self.deadline + dt.timedelta(days=1)

    def verzoek_open(self, vandaag: dt.date) -> bool:
        """Requests may go out (also to a project that appears during the round) until the deadline."""
        return self.verzoek_vanaf <= vandaag <= self.deadline

    def herinnering_nu(self, vandaag: dt.date) -> int | None:
        """The reminder due today (its days before the deadline): the latest one whose day has
        come, up to and including the deadline day; None when none is due."""
        if vandaag > self.deadline:
            return None
        due = [d for d, dag in self.herinneringen if dag <= vandaag]
        return min(due) if due else None

    def deadline_voorbij(self, vandaag: dt.date) -> bool:
        return vandaag >= self.melding_op


def deadline(kwartaal: str, inst: UitvraagConfig) -> dt.date:
    begin, eind = kwartaal_grenzen(kwartaal)
    vergaderingen = [d for d in inst.meeting_dates if begin <= d <= eind]
    if vergaderingen:
        dag = vergaderingen[-1] - dt.timedelta(days=inst.days_before_meeting)
    else:
        dag = eind - dt.timedelta(weeks=inst.weeks_before_quarter_end)
    return max(dag, begin)


def planning(kwartaal: str, inst: UitvraagConfig, vaste_deadline: dt.date | None = None) -> Planning:
    """The quarter's calendar; `vaste_deadline`: the one recorded when the round was opened (a
    config changed afterwards does not move a running round's deadline)."""
    dag = vaste_deadline or deadline(kwartaal, inst)
    return Planning(
        kwartaal=kwartaal, deadline=dag,
        verzoek_vanaf=dag - dt.timedelta(days=inst.request_days_before_deadline),
        herinneringen=tuple((d, dag - dt.timedelta(days=d)) for d in sorted(inst.reminder_days, reverse=True)),
    )
