"""Deadline arithmetic across weekends, public holidays and adjusted working days (调休)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from grassroots.cases import calendar
from grassroots.cases.models import CalendarDay

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    calendar.clear_cache()
    yield
    calendar.clear_cache()


def at(*args):
    return datetime(*args, tzinfo=TZ)


def test_seeded_2026_arrangement():
    # Spring Festival 2026: 16–23 Feb off, Saturday 14 Feb and 28 Feb worked.
    assert calendar.is_workday(date(2026, 2, 13)) is True
    assert calendar.is_workday(date(2026, 2, 14)) is True  # Saturday, adjusted workday
    assert calendar.is_workday(date(2026, 2, 16)) is False
    assert calendar.is_workday(date(2026, 2, 23)) is False  # Monday, day off in lieu
    assert calendar.is_workday(date(2026, 2, 24)) is True
    assert calendar.is_workday(date(2026, 2, 28)) is True  # Saturday, adjusted workday
    assert calendar.is_workday(date(2026, 3, 7)) is False  # ordinary Saturday


def test_working_days_skip_the_spring_festival():
    # Dispatched Friday 13 Feb: working days after are Sat 14, Tue 24, Wed 25.
    assert calendar.deadline(at(2026, 2, 13, 10, 0), 3, "working_days") == at(2026, 2, 25, 18, 0)


def test_working_days_across_an_ordinary_weekend():
    assert calendar.deadline(at(2026, 3, 6, 15, 0), 1, "working_days") == at(2026, 3, 9, 18, 0)


def test_working_hours_skip_lunch_night_and_weekend():
    # Friday 16:00 + 4 working hours: 2 h on Friday (to 18:00), 2 h Monday from 09:00.
    assert calendar.deadline(at(2026, 3, 6, 16, 0), 4, "working_hours") == at(2026, 3, 9, 11, 0)
    # 11:00 + 2 working hours: 1 h before lunch, 1 h after 13:00.
    assert calendar.deadline(at(2026, 3, 9, 11, 0), 2, "working_hours") == at(2026, 3, 9, 14, 0)
    # Reported at night: the clock starts at 09:00.
    assert calendar.deadline(at(2026, 3, 9, 22, 0), 1, "working_hours") == at(2026, 3, 10, 10, 0)


def test_working_hours_on_an_adjusted_saturday():
    assert calendar.deadline(at(2026, 2, 13, 17, 0), 2, "working_hours") == at(2026, 2, 14, 10, 0)


def test_natural_hours_and_days_ignore_the_calendar():
    assert calendar.deadline(at(2026, 2, 16, 10, 0), 2, "hours") == at(2026, 2, 16, 12, 0)
    assert calendar.deadline(at(2026, 2, 16, 10, 0), 7, "days") == at(2026, 2, 23, 10, 0)


def test_administrator_correction_wins():
    CalendarDay.objects.update_or_create(
        date=date(2026, 3, 9), defaults={"is_workday": False, "name": "临时调整", "source": "admin"}
    )
    calendar.clear_cache()
    assert calendar.deadline(at(2026, 3, 6, 15, 0), 1, "working_days") == at(2026, 3, 10, 18, 0)
    # re-seeding never overwrites an administrator's row
    calendar.calendar_seed(years=[2026], overwrite=True)
    assert CalendarDay.objects.get(date=date(2026, 3, 9)).source == "admin"


def test_unknown_unit_is_refused():
    with pytest.raises(ValueError):
        calendar.deadline(at(2026, 3, 6, 15, 0), 1, "fortnights")
