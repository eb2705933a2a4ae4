"""The leader's dashboard in a real browser: charts (ECharts) and the map (Leaflet) drawn
from local files at desktop and phone width, one column of charts on the phone, the
elderly mode, drill-down by clicking, no console errors, nothing fetched from outside.

Screenshots: insight-dashboard-desktop.png, insight-dashboard-phone.png,
insight-dashboard-elderly-phone.png, insight-dashboard-street-desktop.png.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESKTOP_1280 = {"width": 1280, "height": 900}
URL = "/insight/dashboard/"


@pytest.fixture
def insight_site(demo_site: dict[str, Any]) -> dict[str, Any]:
    """The small demo district with two years of cases written by the bulk generator (and
    their rollups), and one open early warning."""
    from django.utils import timezone

    from grassroots.cases.models import Category
    from grassroots.cases.reference import load_categories
    from grassroots.demo.bulk_history import bulk_cases
    from grassroots.insight.choices import AlertKind, Severity
    from grassroots.insight.models import Alert
    from grassroots.org.models import Unit

    load_categories(Category)
    district = Unit.objects.get(code=demo_site["district"]["code"])
    bulk_cases(root_code=district.code, total=3000, months=24, seed=11)
    grid = Unit.objects.filter(path__startswith=district.path, level="grid").first()
    now = timezone.now()
    Alert.objects.create(
        kind=AlertKind.SPIKE,
        severity=Severity.WARNING,
        unit=grid,
        window_start=now - timedelta(days=3),
        window_end=now,
        observed=42,
        expected=6,
        explanation="3天内排水类诉求42件，预期6件",
        dedup_key="browser-test",
        first_seen=now,
        last_seen=now,
    )
    return demo_site


def _sign_in(session: Any, site: dict[str, Any], username: str, next_url: str) -> None:
    account = next(a for a in site["accounts"] if a["username"] == username)
    page = session.page
    session.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", account["username"])
    page.fill("#id_password", account["password"])
    page.click("button.primary")
    page.wait_for_url(session.base_url + next_url)


def _wait_drawn(page: Any) -> None:
    for chart in ("trend", "categories", "channels", "areas"):
        page.wait_for_selector(f"#id-chart-{chart}[data-ready='1'] svg", state="attached")
    page.wait_for_selector("#id-map.leaflet-container[data-ready='1']")
    page.wait_for_selector("#id-map .leaflet-overlay-pane path", state="attached")
    # the sub-areas' boundaries arrive by fetch; wait until they are drawn too
    page.wait_for_function(
        "document.querySelectorAll('#id-map .leaflet-overlay-pane path').length > "
        "JSON.parse(document.getElementById('insight-dashboard-data').textContent).cells.length"
    )


def test_dashboard_at_desktop_width(insight_site, open_session, artifacts_dir):
    session = open_session(DESKTOP_1280)
    _sign_in(session, insight_site, "leader", URL)
    page = session.page
    _wait_drawn(page)
    cards = page.locator(".id-card")
    assert cards.count() == 6
    assert page.locator(".id-card[data-kpi='received'] .id-card-value").inner_text() != "—"
    assert page.locator(".id-alert").count() == 1
    # two charts side by side on a wide screen
    cat = page.locator("#id-chart-categories").bounding_box()
    chan = page.locator("#id-chart-channels").bounding_box()
    assert abs(cat["y"] - chan["y"]) < 2 and chan["x"] > cat["x"] + 100
    page.screenshot(path=str(artifacts_dir / "insight-dashboard-desktop.png"), full_page=True)
    assert session.console_errors == []
    assert session.foreign_requests() == []

    # drill down: the first street of the ranking opens the street's dashboard
    link = page.locator("#id-table-areas th[scope='row'] a").first
    name = link.inner_text()
    link.click()
    page.wait_for_url("**/insight/dashboard/?unit=*")
    assert name in page.locator("h1").inner_text()
    _wait_drawn(page)
    page.screenshot(
        path=str(artifacts_dir / "insight-dashboard-street-desktop.png"), full_page=True
    )
    assert session.console_errors == []


def test_dashboard_at_phone_width_and_in_elderly_mode(insight_site, open_session, artifacts_dir):
    session = open_session(PHONE)
    _sign_in(session, insight_site, "leader", URL)
    page = session.page
    _wait_drawn(page)
    # one column: every chart starts at the same left edge, one below the other
    boxes = [
        page.locator(f"#id-chart-{c}").bounding_box() for c in ("trend", "categories", "channels")
    ]
    assert len({round(b["x"]) for b in boxes}) == 1
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"]
    assert all(b["width"] <= PHONE["width"] for b in boxes)
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "insight-dashboard-phone.png"), full_page=True)

    page.click("#elderly-toggle")
    page.wait_for_selector("html.elderly")
    _wait_drawn(page)
    size = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.id-card-value')).fontSize)"
    )
    assert size >= 28
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "insight-dashboard-elderly-phone.png"), full_page=True)
    assert session.console_errors == []
    assert session.foreign_requests() == []
