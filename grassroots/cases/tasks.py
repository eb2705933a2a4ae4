"""Queue jobs of the closed loop (Huey, see ``HUEY`` in settings). Each calls one service.

Run the consumer with ``grassroots run_huey``; it schedules the periodic jobs below. With
``HUEY_IMMEDIATE`` (tests) a call runs the job at once in the calling process.
"""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from . import services
from .calendar import calendar_seed


@db_periodic_task(crontab(minute="*/15"), name="cases.overdue_escalate")
@HUEY.lock_task("cases-overdue-escalate")
def overdue_escalate() -> int:
    """The deadline sweep, every 15 minutes: overdue cases go up a level (督办).
    The lock keeps a slow sweep from overlapping the next one."""
    return services.overdue_escalate()


# Huey's clock is UTC: 03:20 UTC is 11:20 in Beijing.
@db_periodic_task(crontab(minute="20", hour="3"), name="cases.calendar_refresh")
def calendar_refresh() -> int:
    """Daily: add this year's and next year's holidays and adjusted working days from the
    ``holidays`` package as soon as it knows them. Rows an administrator corrected are
    never overwritten, nor are rows already seeded."""
    year = timezone.localdate().year
    return calendar_seed(years=[year, year + 1])
