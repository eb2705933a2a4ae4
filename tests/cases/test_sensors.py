"""IoT sensors: registration, device-key authentication, replay refusal, one case per
excursion — through the service and through ``POST /api/v1/cases/sensors/readings/``."""

from __future__ import annotations

import itertools
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grassroots.cases import sensors
from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, SensorDevice, SensorReading
from grassroots.core.errors import (
    Conflict,
    OutsideJurisdiction,
    PermissionDeniedError,
    ValidationFailed,
)

from .factories import category, make_world

pytestmark = pytest.mark.django_db
URL = "/api/v1/cases/sensors/readings/"
_nonces = itertools.count(1)


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def device(world):
    lon, lat = world.point
    device, key = sensors.sensor_register(
        device_id="WL-001",
        name="花园路积水监测点",
        kind=SensorDevice.Kind.WATER_LEVEL,
        category=category("event", "0404"),
        lon=lon,
        lat=lat,
        threshold=30.0,
        unit="cm",
    )
    device.key = key  # for the tests only: the platform never keeps it
    return device


def auth(device_id: str, key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Device {device_id}:{key}"}


def reading(value: float = 35.0, **overrides) -> dict:
    body = {
        "value": value,
        "measured_at": timezone.now().isoformat(),
        "nonce": f"n-{next(_nonces)}",
    }
    body.update(overrides)
    return body


def post(device, body, *, key=None, device_id=None):
    client = APIClient()
    return client.post(
        URL,
        data=json.dumps(body) if not isinstance(body, str) else body,
        content_type="application/json",
        **auth(device_id or device.device_id, key or device.key),
    )


def ingest(device, value, **kwargs):
    return sensors.reading_ingest(
        device=device,
        value=value,
        measured_at=kwargs.pop("measured_at", timezone.now()),
        nonce=kwargs.pop("nonce", f"s-{next(_nonces)}"),
        **kwargs,
    )


# --- registration ----------------------------------------------------------------------


def test_registration_keeps_only_the_keyed_hash(device):
    assert reverse("api-sensor-readings") == URL
    stored = SensorDevice.objects.get(device_id="WL-001")
    assert len(device.key) >= 40
    assert device.key not in stored.key_index
    assert stored.key_index == sensors.key_index(device.key)
    assert sensors.device_authenticate(device_id="WL-001", key=device.key) == stored


def test_registration_refusals(world, device):
    lon, lat = world.point
    common = dict(
        name="x", kind="smoke", category=category("event", "0404"), lon=lon, lat=lat, threshold=1
    )
    with pytest.raises(Conflict):
        sensors.sensor_register(device_id="WL-001", **common)
    with pytest.raises(ValidationFailed) as exc:
        sensors.sensor_register(device_id="bad id with spaces", **common)
    assert exc.value.field == "device_id"
    with pytest.raises(ValidationFailed) as exc:
        sensors.sensor_register(device_id="S-2", **{**common, "threshold": float("nan")})
    assert exc.value.field == "threshold"
    with pytest.raises(OutsideJurisdiction):
        sensors.sensor_register(device_id="S-3", **{**common, "lon": 100.0, "lat": 30.0})
    assert SensorDevice.objects.count() == 1


def test_key_rotation_stops_the_old_key(device):
    new_key = sensors.sensor_key_rotate(device=device)
    assert sensors.device_authenticate(device_id=device.device_id, key=device.key) is None
    assert sensors.device_authenticate(device_id=device.device_id, key=new_key) is not None


def test_empty_stored_index_never_matches_an_empty_key(device):
    SensorDevice.objects.filter(pk=device.pk).update(key_index="")
    assert sensors.device_authenticate(device_id=device.device_id, key="") is None


# --- one case per excursion ------------------------------------------------------------


def test_many_readings_past_the_threshold_open_exactly_one_case(device):
    readings = [ingest(device, value) for value in (31, 45, 50, 33.5, 40)]
    assert Case.objects.count() == 1
    case = Case.objects.get()
    assert case.channel == Channel.SENSOR
    assert case.status == CaseStatus.REGISTERED  # sensor cases are registered at once
    assert case.category == device.category
    assert (case.lon, case.lat) == (device.lon, device.lat)
    assert "花园路积水监测点" in case.description
    assert "WL-001" in case.description
    assert "31cm" in case.description and "30cm" in case.description
    assert all(r.case_id == case.pk and r.over_threshold for r in readings)
    device.refresh_from_db()
    assert device.open_case == case
    assert device.last_reading_at is not None


def test_readings_under_the_threshold_open_nothing(device):
    for value in (10, 29.9, 30.0):  # at the threshold is not past it
        r = ingest(device, value)
        assert r.case is None and not r.over_threshold
    assert Case.objects.count() == 0
    assert SensorReading.objects.count() == 3


def test_back_under_the_threshold_adds_nothing_and_the_case_stays_open(device):
    ingest(device, 40)
    ingest(device, 20)
    ingest(device, 41)
    assert Case.objects.count() == 1
    assert SensorReading.objects.filter(case__isnull=False).count() == 2


def test_below_comparison(world, device):
    SensorDevice.objects.filter(pk=device.pk).update(comparison="below", threshold=5)
    device.refresh_from_db()
    ingest(device, 6)
    assert Case.objects.count() == 0
    ingest(device, 4)
    assert Case.objects.count() == 1
    assert "低于阈值" in Case.objects.get().description


@pytest.mark.parametrize("status", ["closed", "rated", "withdrawn", "not_accepted"])
def test_a_new_excursion_after_the_case_ended_opens_a_new_case(device, status):
    ingest(device, 40)
    first = Case.objects.get()
    Case.objects.filter(pk=first.pk).update(status=status, rating="satisfied")
    ingest(device, 42)
    assert Case.objects.count() == 2
    device.refresh_from_db()
    assert device.open_case != first
    assert device.open_case.status == CaseStatus.REGISTERED


def test_a_merged_case_sends_readings_to_the_case_it_was_merged_into(device):
    ingest(device, 40)
    first = Case.objects.get()
    target = Case.objects.create(
        **{
            f.name: getattr(first, f.name)
            for f in Case._meta.concrete_fields
            if f.name not in {"id", "tracking_code"}
        },
        tracking_code="MERGETARGT",
    )
    Case.objects.filter(pk=first.pk).update(status="merged", merged_into=target)
    r = ingest(device, 41)
    assert r.case == target
    assert Case.objects.count() == 2


def test_service_refusals_write_nothing(device):
    now = timezone.now()
    with pytest.raises(ValidationFailed) as exc:
        ingest(device, 40, measured_at=now + timedelta(minutes=11))
    assert exc.value.field == "measured_at"
    with pytest.raises(ValidationFailed):
        ingest(device, 40, measured_at=now - timedelta(hours=25))
    ingest(device, 40, nonce="same")
    with pytest.raises(Conflict):
        ingest(device, 40, nonce="same")
    SensorDevice.objects.filter(pk=device.pk).update(is_active=False)
    device.refresh_from_db()
    with pytest.raises(PermissionDeniedError):
        ingest(device, 40)
    assert SensorReading.objects.count() == 1
    assert Case.objects.count() == 1


def test_a_ten_minute_clock_skew_is_accepted(device):
    ingest(device, 1, measured_at=timezone.now() + timedelta(minutes=9))
    ingest(device, 1, measured_at=timezone.now() - timedelta(hours=23))
    assert SensorReading.objects.count() == 2


# --- through HTTP ----------------------------------------------------------------------


def test_post_one_reading(device):
    response = post(device, reading(35))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stored"] == 1
    code = Case.objects.get().tracking_code
    assert body["readings"][0]["case"] == code
    assert body["readings"][0]["over_threshold"] is True


def test_batch(device):
    batch = {"readings": [reading(v) for v in (10, 35, 40, 20)]}
    response = post(device, batch)
    assert response.status_code == 201, response.content
    assert response.json()["stored"] == 4
    assert SensorReading.objects.count() == 4
    assert Case.objects.count() == 1
    assert [r["over_threshold"] for r in response.json()["readings"]] == [
        False,
        True,
        True,
        False,
    ]


def test_replayed_reading_is_409_and_writes_nothing(device):
    body = reading(35)
    assert post(device, body).status_code == 201
    before = (SensorReading.objects.count(), Case.objects.count())
    response = post(device, body)
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["field"] == "nonce"
    assert body["nonce"] in response.json()["message"]
    assert (SensorReading.objects.count(), Case.objects.count()) == before


def test_batch_with_one_replayed_nonce_writes_nothing(device):
    seen = reading(35)
    assert post(device, seen).status_code == 201
    response = post(device, {"readings": [reading(40), seen, reading(12)]})
    assert response.status_code == 409
    assert response.json()["field"] == "readings[1].nonce"
    assert SensorReading.objects.count() == 1


def test_bad_key_and_unknown_device_get_the_same_401(device):
    wrong_key = post(device, reading(), key="not-the-key")
    unknown = post(device, reading(), device_id="NOPE-404")
    assert wrong_key.status_code == unknown.status_code == 401
    assert wrong_key.json() == unknown.json()
    assert wrong_key["WWW-Authenticate"] == "Device"
    assert SensorReading.objects.count() == 0


MALFORMED_CREDENTIALS = [
    "",
    "Device",
    "Device WL-001",
    "Bearer WL-001:x",
    "Device WL-001:",
    "Device :abc",
    "Device WL-001:a b",
]


def test_malformed_credentials_are_401(device):
    client = APIClient()
    for header in MALFORMED_CREDENTIALS:
        kwargs = {"HTTP_AUTHORIZATION": header} if header else {}
        response = client.post(URL, data=reading(), format="json", **kwargs)
        assert response.status_code == 401, header
    assert SensorReading.objects.count() == 0


def test_session_login_is_not_a_device(device, world):
    client = APIClient()
    client.force_login(world.dispatcher)
    assert client.post(URL, data=reading(), format="json").status_code == 401


def test_inactive_device_is_403_only_with_its_key(device):
    SensorDevice.objects.filter(pk=device.pk).update(is_active=False)
    assert post(device, reading()).status_code == 403
    assert post(device, reading(), key="wrong").status_code == 401
    assert SensorReading.objects.count() == 0


MALFORMED_BODIES = [
    ("{not json", "body"),
    ("[1, 2]", "body"),
    ({"measured_at": "2026-01-01T00:00:00Z", "nonce": "a"}, "value"),
    ({"value": "35", "measured_at": "2026-01-01T00:00:00Z", "nonce": "a"}, "value"),
    ({"value": True, "measured_at": "2026-01-01T00:00:00Z", "nonce": "a"}, "value"),
    ({"value": 1, "measured_at": "yesterday", "nonce": "a"}, "measured_at"),
    ({"value": 1, "measured_at": "2026-01-01T00:00:00", "nonce": "a"}, "measured_at"),
    ({"value": 1, "nonce": "a"}, "measured_at"),
    ({"value": 1, "measured_at": "2026-01-01T00:00:00Z"}, "nonce"),
    ({"value": 1, "measured_at": "2026-01-01T00:00:00Z", "nonce": "x" * 65}, "nonce"),
    ({"value": 1, "measured_at": "2026-01-01T00:00:00Z", "nonce": "  "}, "nonce"),
    ({"readings": []}, "readings"),
    ({"readings": {"value": 1}}, "readings"),
    ({"readings": ["x"]}, "readings[0]."),
    ({"readings": [{"value": 1, "nonce": "a"}]}, "readings[0].measured_at"),
]


def test_malformed_body_is_400_naming_the_field(device):
    for body, field in MALFORMED_BODIES:
        response = post(device, body)
        assert response.status_code == 400, (body, response.content)
        assert response.json()["field"] == field, body
        assert response.json()["message"]
    assert SensorReading.objects.count() == 0


def test_out_of_window_times_are_400(device):
    future = (timezone.now() + timedelta(minutes=15)).isoformat()
    old = (timezone.now() - timedelta(days=2)).isoformat()
    for when in (future, old):
        response = post(device, reading(measured_at=when))
        assert response.status_code == 400
        assert response.json()["field"] == "measured_at"
    response = post(device, {"readings": [reading(), reading(measured_at=old)]})
    assert response.json()["field"] == "readings[1].measured_at"
    assert SensorReading.objects.count() == 0


def test_batch_limits(device):
    too_many = {"readings": [reading() for _ in range(sensors.MAX_BATCH + 1)]}
    assert post(device, too_many).json()["field"] == "readings"
    twice = reading()
    response = post(device, {"readings": [twice, dict(twice)]})
    assert response.status_code == 400
    assert response.json()["field"] == "readings[1].nonce"
    full = {"readings": [reading(1) for _ in range(sensors.MAX_BATCH)]}
    assert post(device, full).status_code == 201


def test_wrong_content_type_is_refused_not_500(device):
    client = APIClient()
    response = client.post(
        URL, data="value=1", content_type="text/plain", **auth("WL-001", device.key)
    )
    assert response.status_code == 415
