"""Working time: deadlines in working hours and working days, with Chinese public holidays
and adjusted working days (调休).

The week is Monday–Friday; ``CalendarDay`` rows are the exceptions (a holiday on a weekday,
a working Saturday). They are seeded from the maintained ``holidays`` package and stay data
that an administrator corrects. Working hours are ``WORK_PERIODS`` (local time).
"""

from __future__ import annotations

import threading
import time as _time
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction

from .choices import LimitUnit
from .models import CalendarDay

WORK_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(12, 0)),
    (time(13, 0), time(18, 0)),
)
_CACHE_SECONDS = 60.0


class _Exceptions:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.days: dict[date, bool] | None = None
        self.loaded_at = 0.0

    def get(self) -> dict[date, bool]:
        now = _time.monotonic()
        if self.days is None or now - self.loaded_at > _CACHE_SECONDS:
            with self.lock:
                self.days = dict(CalendarDay.objects.values_list("date", "is_workday"))
                self.loaded_at = now
        return self.days

    def clear(self) -> None:
        self.days = None


_exceptions = _Exceptions()


def clear_cache() -> None:
    _exceptions.clear()


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def is_workday(day: date) -> bool:
    exceptions = _exceptions.get()
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def _periods(day: date, tz: ZoneInfo) -> list[tuple[datetime, datetime]]:
    return [
        (datetime.combine(day, a, tzinfo=tz), datetime.combine(day, b, tzinfo=tz))
        for a, b in WORK_PERIODS
    ]


def add_working_hours(start: datetime, hours: float) -> datetime:
    """The moment when ``hours`` of working time have passed since ``start``."""
    tz = _tz()
    current = start.astimezone(tz)
    remaining = timedelta(hours=hours)
    day = current.date()
    for _ in range(3660):  # ten years of days: a calendar error must not loop forever
        if is_workday(day):
            for begin, end in _periods(day, tz):
                if current >= end:
                    continue
                begin = max(begin, current)
                available = end - begin
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
        current = datetime.combine(day, time(0, 0), tzinfo=tz)
    raise ValueError("no working time found within ten years; check the calendar")


def add_working_days(start: datetime, days: int) -> datetime:
    """The end of the ``days``-th working day after the day of ``start``."""
    tz = _tz()
    day = start.astimezone(tz).date()
    counted = 0
    for _ in range(3660):
        day += timedelta(days=1)
        if is_workday(day):
            counted += 1
            if counted >= days:
                return datetime.combine(day, WORK_PERIODS[-1][1], tzinfo=tz)
    raise ValueError("no working day found within ten years; check the calendar")


def deadline(start: datetime, amount: int, unit: str) -> datetime:
    """``start`` plus a limit of ``amount`` ``unit`` (one of ``LimitUnit``)."""
    if unit == LimitUnit.HOURS:
        return start + timedelta(hours=amount)
    if unit == LimitUnit.DAYS:
        return start + timedelta(days=amount)
    if unit == LimitUnit.WORKING_HOURS:
        return add_working_hours(start, amount)
    if unit == LimitUnit.WORKING_DAYS:
        return add_working_days(start, amount)
    raise ValueError(f"unknown limit unit {unit!r}")


def calendar_seed(*, years: list[int], overwrite: bool = False) -> int:
    """Write holiday and adjusted-workday exceptions for ``years`` from the ``holidays``
    package. Rows an administrator edited (source != "holidays") are never overwritten.
    Returns the number of rows written."""
    from .reference import holiday_exceptions

    rows = holiday_exceptions(years)
    written = 0
    with transaction.atomic():
        edited = set(
            CalendarDay.objects.filter(date__in=rows)
            .exclude(source="holidays")
            .values_list("date", flat=True)
        )
        for day, (workday, name) in sorted(rows.items()):
            if day in edited:
                continue
            if overwrite:
                CalendarDay.objects.update_or_create(
                    date=day, defaults={"is_workday": workday, "name": name, "source": "holidays"}
                )
                written += 1
            else:
                _obj, created = CalendarDay.objects.get_or_create(
                    date=day, defaults={"is_workday": workday, "name": name, "source": "holidays"}
                )
                written += int(created)
    transaction.on_commit(clear_cache)
    return written
