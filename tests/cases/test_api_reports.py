"""``POST /api/v1/cases/reports/``: a resident's report in JSON, and every bad input."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache
from django.urls import reverse
from rest_framework.test import APIClient

from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, Category

from .factories import make_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/reports/"


@pytest.fixture
def world():
    cache.clear()  # the anti-automation counters
    yield make_world()
    cache.clear()


def body(world, **overrides) -> dict:
    lon, lat = world.point
    data = {
        "category": "event:0404",
        "description": "小区门口下水道堵了，污水冒出来",
        "lon": lon,
        "lat": lat,
        "address": "花园路 1 号",
        "phone": "13812345678",
        "name": "张三",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not ...}


def post(data, client=None):
    client = client or APIClient()
    payload = data if isinstance(data, str) else json.dumps(data)
    return client.post(URL, data=payload, content_type="application/json")


def test_report_is_accepted(world):
    assert reverse("api-case-report") == URL
    response = post(body(world))
    assert response.status_code == 201, response.content
    data = response.json()
    assert set(data) == {"tracking_code", "status"}
    case = Case.objects.get(tracking_code=data["tracking_code"])
    assert data["status"] == CaseStatus.SUBMITTED
    assert case.channel == Channel.WEB
    assert case.grid == world.grid
    assert case.reporter_name == "张三"
    assert "13812345678" not in case.reporter_phone_encrypted
    assert case.timeline.get().action == "submit"


def test_address_alone_is_enough(world):
    response = post(body(world, lon=..., lat=...))
    assert response.status_code == 201
    assert Case.objects.get().area == world.district


def test_signed_in_resident_is_the_reporter(world):
    client = APIClient()
    client.force_login(world.resident)
    client.enforce_csrf_checks = False
    response = post(body(world, phone="", name=""), client)
    assert response.status_code == 201
    assert Case.objects.get().reporter == world.resident


BAD_INPUTS = [
    ({"category": "event:9999"}, "category"),
    ({"category": "0404"}, "category"),
    ({"category": ...}, "category"),
    ({"description": ""}, "description"),
    ({"description": "堵"}, "description"),
    ({"description": "很" * 2001}, "description"),
    ({"description": ...}, "description"),
    ({"lon": 200}, "lon"),
    ({"lat": "north"}, "lat"),
    ({"lat": ...}, "location"),
    ({"lon": ..., "lat": ..., "address": ""}, "location"),
    ({"address": "路" * 256}, "address"),
    ({"phone": "12"}, "phone"),
    ({"name": "名" * 51}, "name"),
]


def test_bad_input_is_400_naming_the_field(world):
    for overrides, field in BAD_INPUTS:
        response = post(body(world, **overrides))
        assert response.status_code == 400, (overrides, response.content)
        assert response.json()["field"] == field, overrides
        assert response.json()["message"]
    assert not Case.objects.exists()


def test_malformed_body_is_400(world):
    for payload in ["{not json", "[1]", '"text"']:
        response = post(payload)
        assert response.status_code == 400, payload
        assert response.json()["field"] == "body"
    empty = post("")
    assert (empty.status_code, empty.json()["field"]) == (400, "category")


def test_point_outside_the_district_is_422(world):
    response = post(body(world, lon=100.0, lat=30.0))
    assert response.status_code == 422
    assert response.json()["code"] == "outside_jurisdiction"
    assert not Case.objects.exists()


def test_inactive_category_is_refused(world):
    Category.objects.filter(kind="event", code="0404").update(is_active=False)
    response = post(body(world))
    assert response.status_code == 400
    assert response.json()["field"] == "category"


def test_reports_are_rate_limited_per_address(world, settings):
    settings.CASE_REPORTS_PER_HOUR = 2
    assert post(body(world)).status_code == 201
    assert post(body(world, description="")).status_code == 400  # refused: not counted
    assert post(body(world)).status_code == 201
    response = post(body(world))
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert Case.objects.count() == 2


def test_the_report_page_and_the_api_share_one_allowance(world, settings):
    from grassroots.core import ratelimit

    settings.CASE_REPORTS_PER_HOUR = 1
    ratelimit.hit("cases:report:127.0.0.1")  # as the report page counts an accepted report
    assert post(body(world)).status_code == 429
