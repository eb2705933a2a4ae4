"""Admin pages of the closed loop load for a superuser; cases are read-only there; a
calendar day saved by an administrator is marked as theirs; a sensor's key never shows."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from grassroots.cases import sensors
from grassroots.cases.choices import Channel
from grassroots.cases.models import CalendarDay, Case, SensorDevice
from grassroots.cases.services import case_submit
from grassroots.org.models import User

from .factories import category, duty_rule, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.org", "pass-word-123")
    client.force_login(user)
    return client


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def case(world) -> Case:
    lon, lat = world.point
    return case_submit(
        category=category("event", "0404"),
        description="小区门口下水道堵了",
        channel=Channel.WEB,
        lon=lon,
        lat=lat,
        reporter_name="张三丰",
        reporter_phone="13812345678",
    )


@pytest.fixture
def device(world) -> SensorDevice:
    lon, lat = world.point
    device, _key = sensors.sensor_register(
        device_id="WL-1",
        name="水位计",
        kind="water_level",
        category=category("event", "0404"),
        lon=lon,
        lat=lat,
        threshold=30,
    )
    return device


def test_every_page_loads(admin_client, world, case, device):
    rule = duty_rule(
        category=category("event", "0404"), area=world.street, department=world.drainage
    )
    day = CalendarDay.objects.first()
    pages = [
        ("cases_category", category("event", "0404").pk),
        ("cases_dutyrule", rule.pk),
        ("cases_calendarday", day.pk),
        ("cases_case", case.pk),
        ("cases_sensordevice", device.pk),
    ]
    for name, pk in pages:
        assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
        assert admin_client.get(reverse(f"admin:{name}_change", args=[pk])).status_code == 200, name
    for name in ("cases_category", "cases_dutyrule", "cases_calendarday"):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200, name
    filtered = [
        ("cases_category", "kind=event&urgency=general&edition=cjt214"),
        ("cases_calendarday", f"year={day.date.year}"),
        ("cases_case", "status=submitted&channel=web&category__kind=event"),
        ("cases_case", f"q={case.tracking_code}"),
        ("cases_dutyrule", "role=lead"),
    ]
    for name, query in filtered:
        response = admin_client.get(reverse(f"admin:{name}_changelist") + "?" + query)
        assert response.status_code == 200, (name, query)
    found = admin_client.get(reverse("admin:cases_case_changelist") + f"?q={case.tracking_code}")
    assert case.tracking_code in found.content.decode()


def test_case_admin_is_read_only(admin_client, case):
    assert admin_client.get(reverse("admin:cases_case_add")).status_code == 403
    assert admin_client.get(reverse("admin:cases_case_delete", args=[case.pk])).status_code == 403
    change = reverse("admin:cases_case_change", args=[case.pk])
    page = admin_client.get(change).content.decode()
    assert 'name="_save"' not in page
    assert "13812345678" not in page and "张三丰" not in page  # personal data stays out
    assert "张**" in page
    response = admin_client.post(change, {"status": "closed", "description": "改"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == "submitted"


def test_calendar_day_saved_by_an_administrator_is_theirs(admin_client):
    day = CalendarDay.objects.filter(source="holidays").first()
    response = admin_client.post(
        reverse("admin:cases_calendarday_change", args=[day.pk]),
        {"date": day.date.isoformat(), "is_workday": "on", "name": "国务院通知更正"},
    )
    assert response.status_code == 302
    day.refresh_from_db()
    assert (day.is_workday, day.name, day.source) == (True, "国务院通知更正", "admin")
    response = admin_client.post(
        reverse("admin:cases_calendarday_add"),
        {"date": date(2099, 1, 3).isoformat(), "is_workday": "on", "name": "调休上班"},
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=date(2099, 1, 3)).source == "admin"


def test_sensor_admin_never_shows_the_key(admin_client, device):
    page = admin_client.get(reverse("admin:cases_sensordevice_change", args=[device.pk]))
    assert device.key_index not in page.content.decode()
    listing = admin_client.get(reverse("admin:cases_sensordevice_changelist"))
    assert device.key_index not in listing.content.decode()
    assert admin_client.get(reverse("admin:cases_sensordevice_add")).status_code == 403


def test_category_cannot_be_deleted_in_admin(admin_client):
    pk = category("event", "0404").pk
    assert admin_client.get(reverse("admin:cases_category_delete", args=[pk])).status_code == 403
