"""Queue jobs run with Huey in immediate mode: the deadline sweep and the calendar refresh."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone
from huey.contrib.djhuey import HUEY

from grassroots.cases import tasks
from grassroots.cases.choices import Channel
from grassroots.cases.models import CalendarDay, Case
from grassroots.cases.services import Actor, case_submit, case_transition

from .factories import category, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def immediate():
    previous = HUEY.immediate
    HUEY.immediate = True
    yield HUEY
    HUEY.immediate = previous


def overdue_case(world) -> Case:
    lon, lat = world.point
    then = timezone.now() - timedelta(days=10)
    case = case_submit(
        category=category("event", "0404"),
        description="小区门口下水道堵了",
        channel=Channel.WEB,
        lon=lon,
        lat=lat,
        now=then,
    )
    actor = Actor.of(world.dispatcher)
    case = case_transition(case=case, action="register", actor=actor, now=then)
    return case_transition(case=case, action="dispatch", actor=actor, now=then)


def due(*when: int) -> set[str]:
    return {task.name for task in HUEY.read_periodic(datetime(*when))}


def test_schedules():
    sweep, refresh = "cases.overdue_escalate", "cases.calendar_refresh"
    assert sweep in due(2026, 3, 2, 9, 45)
    assert sweep not in due(2026, 3, 2, 9, 46)
    assert refresh in due(2026, 3, 2, 3, 20)
    assert refresh not in due(2026, 3, 2, 4, 20)


def test_overdue_sweep_escalates(immediate):
    world = make_world()
    case = overdue_case(world)
    tasks.overdue_escalate()  # runs at once in immediate mode
    case.refresh_from_db()
    assert case.escalation_level == 1 and case.supervised
    assert case.owner_unit == world.street


def test_overdue_sweep_with_nothing_overdue(immediate):
    tasks.overdue_escalate()
    assert tasks.overdue_escalate.call_local() == 0


def test_calendar_refresh_adds_next_year_and_keeps_the_administrators_rows(immediate):
    year = timezone.localdate().year
    national_day = date(year, 10, 1)
    CalendarDay.objects.update_or_create(
        date=national_day, defaults={"is_workday": True, "name": "已更正", "source": "admin"}
    )
    CalendarDay.objects.filter(date__year=year + 1).delete()
    tasks.calendar_refresh()
    assert CalendarDay.objects.filter(date__year=year + 1).exists()
    row = CalendarDay.objects.get(date=national_day)
    assert (row.is_workday, row.name, row.source) == (True, "已更正", "admin")
    assert tasks.calendar_refresh.call_local() == 0  # idempotent
