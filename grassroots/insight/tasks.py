"""Queue jobs of insight (Huey): the early-warning scan, every ``INSIGHT_SCAN_MINUTES``.

Run the consumer with ``grassroots run_huey``; it schedules the periodic job. The lock
keeps a slow scan from overlapping the next one.
"""

from __future__ import annotations

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from . import scan as scanner


def scan_schedule(minutes: int) -> crontab:
    """A crontab that fires every ``minutes`` (a divisor of 60, or whole hours)."""
    minutes = max(1, int(minutes))
    if minutes >= 60:
        hours = max(1, minutes // 60)
        return crontab(minute="5", hour=f"*/{hours}" if hours > 1 else "*")
    return crontab(minute=f"*/{minutes}")


@db_periodic_task(scan_schedule(settings.INSIGHT_SCAN_MINUTES), name="insight.scan")
@HUEY.lock_task("insight-scan")
def scan_periodic() -> str:
    """Run every early-warning detector and raise or update the alerts."""
    return scanner.scan().summary()


@db_task(name="insight.scan_now")
def scan_now() -> str:
    """The same scan, queued on demand (``insight_scan --queue``)."""
    return scanner.scan().summary()
