"""The weights in the admin: each change is a new row through the audited service."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots.audit.models import AuditEvent
from grassroots.insight.models import KpiWeights
from grassroots.insight.services import weights_current
from grassroots.org.models import User

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = User.objects.create_superuser("root", "root@example.org", "pass-word-123")
    client.force_login(user)
    return client


def form(**changes):
    data = {
        "response": "0.5",
        "resolution": "0.25",
        "satisfaction": "0.25",
        "on_time": "0",
        "handling": "0",
        "return_rate": "0",
        "reopen": "0",
        "handling_target_hours": "72",
        "note": "年度方案",
    }
    data.update(changes)
    return data


def test_admin_adds_weights_through_the_service(admin_client):
    add = reverse("admin:insight_kpiweights_add")
    assert admin_client.get(add).status_code == 200
    response = admin_client.post(add, form())
    assert response.status_code == 302
    assert KpiWeights.objects.count() == 1
    assert weights_current().response == 0.5
    assert AuditEvent.objects.filter(action="insight.weights_update").count() == 1
    admin_client.post(add, form(response="1"))
    assert KpiWeights.objects.count() == 2 and weights_current().response == 1
    first = KpiWeights.objects.order_by("id").first()
    change = reverse("admin:insight_kpiweights_change", args=[first.pk])
    page = admin_client.get(change)
    assert page.status_code == 200 and b'name="response"' not in page.content  # read-only
    assert admin_client.get(reverse("admin:insight_kpiweights_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:insight_alert_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:insight_topic_changelist")).status_code == 200


def test_admin_refuses_all_zero_or_negative_weights(admin_client):
    add = reverse("admin:insight_kpiweights_add")
    zero = form(response="0", resolution="0", satisfaction="0")
    assert admin_client.post(add, zero).status_code == 200  # the form again, with the error
    assert admin_client.post(add, form(response="-1")).status_code == 200
    assert KpiWeights.objects.count() == 0
