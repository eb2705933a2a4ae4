"""Staff see the reporter's phone masked; the full number only with a reason, audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots.audit.models import AuditEvent
from grassroots.cases.choices import Channel
from grassroots.cases.services import (
    Actor,
    case_reporter_phone_reveal,
    case_submit,
    case_transition,
)
from grassroots.core.errors import NotFound, PermissionDeniedError, ValidationFailed

from .factories import category, make_world

pytestmark = pytest.mark.django_db
PHONE = "13812345678"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def case(world):
    lon, lat = world.point
    case = case_submit(
        category=category("event", "0404"),
        description="下水道堵了，污水冒出来",
        channel=Channel.WEB,
        lon=lon,
        lat=lat,
        reporter_phone=PHONE,
    )
    case = case_transition(case=case, action="register", actor=Actor.of(world.dispatcher))
    return case_transition(case=case, action="dispatch", actor=Actor.of(world.dispatcher))


def test_handler_reveals_with_a_reason_and_it_is_audited(world, case):
    assert case_reporter_phone_reveal(case_id=case.pk, user=world.handler, reason="回访") == PHONE
    event = AuditEvent.objects.get(action="cases.reporter_phone_reveal")
    assert (event.actor, event.target_id, event.reason) == (world.handler, str(case.pk), "回访")
    assert PHONE not in str(event.detail)


def test_no_reason_no_number_no_audit(world, case):
    with pytest.raises(ValidationFailed):
        case_reporter_phone_reveal(case_id=case.pk, user=world.handler, reason=" ")
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("who", ["leader", "other_dispatcher", "other_handler", "resident"])
def test_outside_scope_or_read_only_is_not_found(world, case, who):
    with pytest.raises(NotFound):
        case_reporter_phone_reveal(case_id=case.pk, user=getattr(world, who), reason="回访")
    assert not AuditEvent.objects.exists()


def test_role_without_the_need_is_refused(world, case):
    from ..org.factories import UserFactory

    steward = UserFactory(role="data_steward", unit=world.district)
    with pytest.raises(PermissionDeniedError):
        case_reporter_phone_reveal(case_id=case.pk, user=steward, reason="看看")
    assert not AuditEvent.objects.exists()


def test_page_masks_then_reveals_without_caching(client, world, case):
    client.force_login(world.handler)
    page = client.get(reverse("cases:staff-case", args=[case.pk])).content.decode()
    assert "138****5678" in page and PHONE not in page
    url = reverse("cases:staff-reveal-phone", args=[case.pk])
    refused = client.post(url, {"reason": ""})
    assert refused.status_code == 400 and PHONE not in refused.content.decode()
    response = client.post(url, {"reason": "回访群众"})
    assert response.status_code == 200
    assert PHONE in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    assert AuditEvent.objects.filter(action="cases.reporter_phone_reveal").count() == 1
    # back on the page, the number is masked again
    assert PHONE not in client.get(reverse("cases:staff-case", args=[case.pk])).content.decode()


def test_leader_gets_404_over_http(client, world, case):
    client.force_login(world.leader)
    url = reverse("cases:staff-reveal-phone", args=[case.pk])
    assert client.post(url, {"reason": "看看"}).status_code == 404
