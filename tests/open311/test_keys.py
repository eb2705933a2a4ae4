"""Issuing, limiting and revoking api_keys: the service, the admin, the command, the demo."""

from __future__ import annotations

import json

import pytest
from django.contrib.messages import get_messages
from django.core.management import call_command

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import ValidationFailed
from grassroots.demo.services import demo_build
from grassroots.open311.models import ApiKey
from grassroots.open311.services import (
    api_key_find,
    api_key_issue,
    api_key_revoke,
    api_key_set_limit,
    demo_key_for,
)
from grassroots.org.choices import Role
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_issue_stores_only_the_hash_and_audits():
    issued = api_key_issue(app_name=" City app ", contact="ops@example.org")
    stored = ApiKey.objects.get(pk=issued.api_key.pk)
    assert stored.app_name == "City app" and stored.prefix == issued.key[:10]
    assert issued.key not in (stored.key_index, stored.prefix)
    assert api_key_find(issued.key) == stored and api_key_find("nope") is None
    assert AuditEvent.objects.filter(action="open311.key_issue").count() == 1
    with pytest.raises(ValidationFailed):
        api_key_issue(app_name="")
    with pytest.raises(ValidationFailed):
        api_key_issue(app_name="x", rate_limit_per_hour=0)


def test_limit_and_revoke():
    api_key = api_key_issue(app_name="App").api_key
    api_key_set_limit(api_key=api_key, rate_limit_per_hour=7)
    api_key_revoke(api_key=api_key)
    api_key.refresh_from_db()
    assert api_key.rate_limit_per_hour == 7
    assert not api_key.is_active and api_key.revoked_at is not None
    with pytest.raises(ValidationFailed):
        api_key_set_limit(api_key=api_key, rate_limit_per_hour=0)


def test_command_needs_commit_and_prints_the_key_once(capsys):
    call_command("open311_issue_key", "--app", "Fixer")
    assert "would issue" in capsys.readouterr().out
    assert not ApiKey.objects.filter(app_name="Fixer").exists()
    call_command("open311_issue_key", "--app", "Fixer", "--limit", "50", "--commit")
    out = capsys.readouterr().out
    key = out.split("Fixer: ", 1)[1].split()[0]
    stored = ApiKey.objects.get(app_name="Fixer")
    assert api_key_find(key) == stored and stored.rate_limit_per_hour == 50


def test_admin_issues_shows_the_key_once_and_revokes(admin_client):
    response = admin_client.post(
        "/admin/open311/apikey/add/",
        {"app_name": "Admin app", "contact": "x", "rate_limit_per_hour": "20"},
    )
    assert response.status_code == 302, response.content
    stored = ApiKey.objects.get(app_name="Admin app")
    (message,) = [str(m) for m in get_messages(response.wsgi_request) if "api_key" in str(m)]
    key = message.rsplit("：", 1)[1]
    assert api_key_find(key) == stored
    assert admin_client.get("/admin/open311/apikey/").status_code == 200
    page = admin_client.get(f"/admin/open311/apikey/{stored.pk}/change/")
    assert page.status_code == 200 and key not in page.content.decode()
    admin_client.post(
        f"/admin/open311/apikey/{stored.pk}/change/",
        {"app_name": "Admin app", "contact": "y", "rate_limit_per_hour": "30"},
    )
    stored.refresh_from_db()
    assert stored.rate_limit_per_hour == 30 and stored.contact == "y"
    admin_client.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [stored.pk]},
    )
    stored.refresh_from_db()
    assert not stored.is_active
    assert admin_client.get("/admin/open311/apikeyuse/").status_code == 200


def test_demo_has_a_key_derived_from_the_seed(tmp_path):
    path = tmp_path / "c.json"
    result = demo_build(scale="small", seed=11, credentials_file=path)
    key = result.credentials["open311_api_key"]
    assert key == demo_key_for(seed=11)
    assert json.loads(path.read_text())["open311_api_key"] == key
    stored = api_key_find(key)
    assert stored is not None and stored.is_active
    before = ApiKey.objects.count()
    demo_build(scale="small", seed=11, credentials_file=path)
    assert ApiKey.objects.count() == before
    assert not AuditEvent.objects.filter(action__startswith="open311.").exists()
    demo_build(scale="small", seed=12, force=True, credentials_file=path)
    assert json.loads(path.read_text())["open311_api_key"] == demo_key_for(seed=12)
    # the old demo's key went with the old demo
    old = api_key_find(key)
    assert old is None or not old.is_active
