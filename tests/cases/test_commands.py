"""Management commands of the closed loop: dry runs write nothing, ``--commit`` writes."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from grassroots.cases import sensors
from grassroots.cases.models import CalendarDay, Case, Category, SensorDevice

from .factories import make_world
from .test_tasks import overdue_case

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_load_categories_is_a_dry_run_without_commit():
    Category.objects.filter(kind="event", code="0404").delete()
    total = Category.objects.count()
    assert "将新增 1 个类别" in run("cases_load_categories")
    assert Category.objects.count() == total
    run("cases_load_categories", "--commit")
    assert Category.objects.count() == total + 1
    assert Category.objects.filter(kind="event", code="0404").exists()


def test_load_categories_update():
    Category.objects.filter(kind="event", code="0404").update(name="改过的名字")
    run("cases_load_categories", "--update")
    assert Category.objects.get(kind="event", code="0404").name == "改过的名字"
    run("cases_load_categories", "--update", "--commit")
    assert Category.objects.get(kind="event", code="0404").name != "改过的名字"


def test_seed_calendar_keeps_the_administrators_rows():
    CalendarDay.objects.filter(date__year=2027).delete()
    corrected = CalendarDay.objects.filter(date__year=2026).first()
    CalendarDay.objects.filter(pk=corrected.pk).update(name="管理员更正", source="admin")
    out = run("cases_seed_calendar", "--years", "2026", "2027")
    assert "2026, 2027" in out
    assert CalendarDay.objects.filter(date__year=2027).count() > 0
    corrected.refresh_from_db()
    assert (corrected.name, corrected.source) == ("管理员更正", "admin")
    assert "写入 0 个日期" in run("cases_seed_calendar", "--years", "2027")  # idempotent


def test_seed_calendar_refuses_absurd_years():
    with pytest.raises(CommandError):
        run("cases_seed_calendar", "--years", "202")


def test_sweep_deadlines():
    world = make_world()
    case = overdue_case(world)
    assert "将升级 1 件" in run("cases_sweep_deadlines", "--dry-run")
    case.refresh_from_db()
    assert case.escalation_level == 0
    assert case.timeline.filter(action="escalate").count() == 0
    assert "已升级 1 件" in run("cases_sweep_deadlines")
    case.refresh_from_db()
    assert case.escalation_level == 1


def sensor_args(world, *extra: str) -> list[str]:
    lon, lat = world.point
    return [
        "cases_sensor_add",
        "WL-9",
        "--name=花园路水位",
        "--kind=water_level",
        "--category=event:0404",
        f"--lon={lon}",
        f"--lat={lat}",
        "--threshold=30",
        "--unit=cm",
        *extra,
    ]


def test_sensor_add_dry_run_then_commit_prints_the_key_once():
    world = make_world()
    out = run(*sensor_args(world))
    assert "WL-9" in out and "--commit" in out
    assert not SensorDevice.objects.exists()
    out = run(*sensor_args(world, "--commit"))
    device = SensorDevice.objects.get(device_id="WL-9")
    key = next(
        word
        for line in out.splitlines()
        for word in line.split()
        if len(word) >= 40 and sensors.key_index(word) == device.key_index
    )
    assert key not in device.key_index
    assert sensors.device_authenticate(device_id="WL-9", key=key) == device
    with pytest.raises(CommandError):
        run(*sensor_args(world, "--commit"))  # registered already


def test_sensor_add_refusals():
    world = make_world()
    with pytest.raises(CommandError):
        run(
            *[
                a if not a.startswith("--category") else "--category=event:9999"
                for a in sensor_args(world)
            ]
        )
    with pytest.raises(CommandError):
        run(*sensor_args(world, "--lon=100", "--commit"))
    assert not SensorDevice.objects.exists()


def test_sensor_rotate_key():
    world = make_world()
    run(*sensor_args(world, "--commit"))
    before = SensorDevice.objects.get().key_index
    run("cases_sensor_rotate_key", "WL-9")
    assert SensorDevice.objects.get().key_index == before
    run("cases_sensor_rotate_key", "WL-9", "--commit")
    assert SensorDevice.objects.get().key_index != before
    with pytest.raises(CommandError):
        run("cases_sensor_rotate_key", "NOPE")


def test_sweep_leaves_no_trace_in_dry_run_even_with_many_cases():
    world = make_world()
    overdue_case(world)
    overdue_case(world)
    run("cases_sweep_deadlines", "--dry-run")
    assert not Case.objects.filter(escalation_level__gt=0).exists()
    assert Case.objects.filter(resolve_due__lt=timezone.now() - timedelta(days=1)).count() == 2
