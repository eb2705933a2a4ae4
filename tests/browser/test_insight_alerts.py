"""The alert pages in a real browser: a leader on a phone and on a desktop, in the
elderly mode; the chart draws from the vendored ECharts, nothing leaves the machine, the
page never scrolls sideways, and dismissing without a reason is refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.insight.choices import AlertKind, AlertStatus, Severity
from grassroots.insight.models import Alert
from grassroots.org.choices import Role

from ..cases.factories import category, make_world
from ..org.factories import UserFactory
from .conftest import DESKTOP, FAST_HASHERS, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "pass-word-123"


@pytest.fixture
def alert_site(transactional_db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    world = make_world()
    leader = UserFactory(role=Role.LEADER, unit=world.district, username="leader_alerts")
    drains = category("event", "0404")
    now = timezone.now()
    days = 42
    series = {
        "start": (timezone.localdate(now) - timedelta(days=days - 1)).isoformat(),
        "observed": [2, 1, 3, 2, 0, 1, 2] * 5 + [2, 1, 2, 3, 9, 14, 19],
        "expected": [1.8] * days,
        "upper": [5] * days,
    }
    spike = Alert.objects.create(
        kind=AlertKind.SPIKE,
        severity=Severity.CRITICAL,
        unit=world.grid,
        category=drains,
        window_start=now - timedelta(days=3),
        window_end=now,
        observed=42,
        expected=5.6,
        message_key="spike",
        explanation_data={
            "days": 3,
            "observed": 42,
            "expected": 5.6,
            "upper": 12,
            "unit": world.grid.name,
            "category": drains.name,
            "series": series,
        },
        dedup_key="spike:browser",
        first_seen=now,
        last_seen=now,
    )
    Alert.objects.create(
        kind=AlertKind.REPEAT,
        severity=Severity.INFO,
        unit=world.grid,
        category=category("event", "0508"),
        window_start=now - timedelta(days=14),
        window_end=now,
        observed=3,
        expected=0,
        message_key="repeat",
        explanation_data={"who": "person", "phone": "138****5678", "days": 14, "observed": 3},
        dedup_key="repeat:browser",
        first_seen=now,
        last_seen=now,
    )
    return {"leader": leader, "spike": spike}


def _sign_in(session, username: str, next_url: str) -> None:
    page = session.page
    session.context.set_default_timeout(45_000)  # a loaded CI machine: pages, not timings
    session.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button.primary")
    page.wait_for_url(session.base_url + next_url)


def test_alert_pages_on_phone_and_desktop(alert_site, open_session, artifacts_dir):
    spike = alert_site["spike"]
    phone = open_session(PHONE)
    page = phone.page
    _sign_in(phone, "leader_alerts", "/insight/alerts/")
    assert page.locator("#alert-list li").count() == 2
    assert "第1网格近 3 天收到“下水道堵塞”42 件" in page.locator("#alert-list").inner_text()
    assert phone.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "alerts-phone.png"), full_page=True)

    page.click(f"#alert-list li[data-alert='{spike.pk}'] a.iw-title")
    page.wait_for_selector("#alert-chart canvas")
    assert phone.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "alert-detail-phone.png"), full_page=True)

    # dismiss without a reason: the browser's own check, then the server's
    page.click("details[data-action='dismiss'] > summary")
    page.evaluate("document.getElementById('dismiss-reason').removeAttribute('required')")
    page.click("details[data-action='dismiss'] button[type=submit]")
    page.wait_for_selector("#action-error")
    assert "请填写忽略这条预警的原因" in page.locator("#action-error").inner_text()
    spike.refresh_from_db()
    assert spike.status == AlertStatus.OPEN

    page.click("details[data-action='acknowledge'] > summary")
    page.click("details[data-action='acknowledge'] button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert page.locator("#alert-status").inner_text() == "已确认"
    errors = [e for e in phone.console_errors if "status of 400" not in e]  # the refusal above
    assert not errors, errors
    assert not phone.foreign_requests()

    desktop = open_session(DESKTOP)
    _sign_in(desktop, "leader_alerts", f"/insight/alerts/{spike.pk}/")
    desktop.page.wait_for_selector("#alert-chart canvas")
    desktop.page.screenshot(path=str(artifacts_dir / "alert-detail-desktop.png"), full_page=True)
    assert not desktop.foreign_requests()

    elder = open_session(PHONE)
    _sign_in(elder, "leader_alerts", "/insight/alerts/")
    elder.page.click("#elderly-toggle")
    elder.page.wait_for_selector("html.elderly")
    assert elder.horizontal_overflow() <= 0
    elder.page.screenshot(path=str(artifacts_dir / "alerts-elderly-phone.png"), full_page=True)
