"""``Idempotency-Key`` on the POSTs that create or change something: a retry returns the
first answer and does nothing again; the same key with another body is refused."""

from __future__ import annotations

import pytest

from grassroots.cases.models import Case, TimelineEntry

from .conftest import client_for, submit

pytestmark = pytest.mark.django_db


def register(client, case, key: str | None, **data):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(f"/api/v1/cases/{case.pk}/register/", data, format="json", **headers)


def test_a_retried_step_replays_the_first_answer(world):
    case = submit(world)
    client = client_for(world.dispatcher)
    first = register(client, case, "key-1", note="立案")
    assert first.status_code == 200
    entries = TimelineEntry.objects.filter(case=case).count()
    again = register(client, case, "key-1", note="立案")
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert TimelineEntry.objects.filter(case=case).count() == entries
    # without the key the same step is judged again: now illegal
    assert register(client, case, None, note="立案").status_code == 409


def test_the_same_key_with_another_body_is_422(world):
    case = submit(world)
    client = client_for(world.dispatcher)
    assert register(client, case, "key-2", note="a").status_code == 200
    response = register(client, case, "key-2", note="b")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    other = submit(world)
    response = client.post(
        f"/api/v1/cases/{other.pk}/register/",
        {"note": "a"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="key-2",
    )
    assert response.status_code == 422  # another path is another request
    other.refresh_from_db()
    assert other.status == "submitted"


def test_keys_belong_to_their_user(world):
    case = submit(world)
    assert register(client_for(world.dispatcher), case, "shared", note="x").status_code == 200
    # another user with the same key is not answered from the first user's record
    response = register(client_for(world.other_dispatcher), case, "shared", note="x")
    assert response.status_code == 404
    assert "Idempotent-Replayed" not in response


def test_a_refusal_is_not_stored(world):
    case = submit(world)
    client = client_for(world.dispatcher)
    response = client.post(
        f"/api/v1/cases/{case.pk}/reject/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k3"
    )
    assert response.status_code == 400
    response = client.post(
        f"/api/v1/cases/{case.pk}/reject/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k3"
    )
    assert response.status_code == 400
    assert "Idempotent-Replayed" not in response


@pytest.mark.parametrize("key", ["", " ", "x" * 256, "键"])
def test_a_malformed_key_is_400(world, key):
    case = submit(world)
    response = register(client_for(world.dispatcher), case, key)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_idempotency_key"
    case.refresh_from_db()
    assert case.status == "submitted"


def report(client, world, key: str, **overrides):
    lon, lat = world.point
    body = {"category": "event:0404", "description": "小区门口下水道堵了，污水冒出来"}
    body |= {"lon": lon, "lat": lat, "phone": "13812345678"} | overrides
    return client.post("/api/v1/cases/reports/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_retried_report_creates_one_case(world):
    client = client_for(None)
    first = report(client, world, "report-1")
    assert first.status_code == 201
    again = report(client, world, "report-1")
    assert again.status_code == 201
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert again["Idempotent-Replayed"] == "true"
    assert Case.objects.count() == 1
    assert "13812345678" not in again.content.decode()
    mismatch = report(client, world, "report-1", description="另一件事：路灯不亮了很久了")
    assert mismatch.status_code == 422
    assert Case.objects.count() == 1
