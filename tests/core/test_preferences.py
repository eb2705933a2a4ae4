"""Display preferences: the elderly-friendly mode and the language, for visitors and accounts."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.urls import reverse

from grassroots.core.middleware import ELDERLY_COOKIE
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_home_renders_in_simplified_chinese_by_default(client):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="zh-Hans"' in html
    assert "基层治理平台" in html
    assert 'class="elderly"' not in html
    assert 'href="#main"' in html  # skip link


def test_elderly_toggle_sets_cookie_and_renders_elderly_class(client):
    response = client.post(reverse("set_elderly_mode"), {"enabled": "1", "next": "/org/map/"})
    assert response.status_code == 302
    assert response["Location"] == "/org/map/"
    assert response.cookies[ELDERLY_COOKIE].value == "1"
    html = client.get("/").content.decode()
    assert 'class="elderly"' in html
    assert 'aria-pressed="true"' in html

    client.post(reverse("set_elderly_mode"), {"enabled": "0"})
    assert 'class="elderly"' not in client.get("/").content.decode()


def test_elderly_toggle_is_stored_on_the_account(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_elderly_mode"), {"enabled": "1"})
    user.refresh_from_db()
    assert user.elderly_mode is True

    # a new device (no cookie) picks the mode up from the account
    fresh = client.__class__()
    fresh.force_login(user)
    assert 'class="elderly"' in fresh.get("/").content.decode()


def test_elderly_cookie_wins_over_account(client):
    user = UserFactory(elderly_mode=True)
    client.force_login(user)
    client.cookies[ELDERLY_COOKIE] = "0"
    assert 'class="elderly"' not in client.get("/").content.decode()


def test_next_url_must_be_on_this_site(client):
    response = client.post(
        reverse("set_elderly_mode"), {"enabled": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_language_switch_to_english(client):
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get("/").content.decode()
    assert 'lang="en"' in html
    assert "Grassroots Governance Platform" in html
    assert "View the grid map" in html
    assert "查看网格地图" not in html


def test_language_switch_to_traditional_chinese(client):
    client.post(reverse("set_language"), {"language": "zh-hant", "next": "/"})
    html = client.get("/org/map/").content.decode()
    assert 'lang="zh-Hant"' in html
    assert "網格地圖" in html
    assert "网格地图" not in html


def test_language_switch_is_stored_on_the_account(client):
    user = UserFactory()
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"

    fresh = client.__class__()
    fresh.force_login(user)
    assert 'lang="en"' in fresh.get("/").content.decode()


def test_unsupported_language_changes_nothing(client):
    user = UserFactory(language="zh-hant")
    client.force_login(user)
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "zh-hant"


def test_login_error_in_the_users_language(client):
    UserFactory(username="worker")
    response = client.post(reverse("login"), {"username": "worker", "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'role="alert"' in html
    assert "请输入一个正确的" in html

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    html = client.post(reverse("login"), {"username": "worker", "password": "wrong"}).content
    assert b"Please enter a correct" in html


def test_login_page_never_prints_credentials(client):
    html = client.get(reverse("login")).content.decode()
    assert "pass-word" not in html
    assert "password:" not in html.lower()
