"""The pages a person uses, in a real browser at phone and desktop widths.

Screenshots go to the artefacts folder (test-artifacts/ by default): map-phone.png,
map-desktop.png, map-drilled-phone.png, map-elderly-phone.png, map-zh-hant-phone.png,
unit-phone.png, login-phone.png, login-desktop.png, login-error-phone.png,
home-phone.png, home-desktop.png, home-elderly-phone.png, home-en-desktop.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from shapely.geometry import shape

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _grid_inside(level: str = "grid") -> tuple[Any, float, float]:
    """A unit of ``level`` with a point well inside its current boundary (WGS84)."""
    from grassroots.org.models import UnitBoundary

    boundary = (
        UnitBoundary.objects.filter(valid_to__isnull=True, unit__level=level)
        .select_related("unit")
        .order_by("unit__code")
        .first()
    )
    assert boundary is not None
    point = shape(boundary.geometry).representative_point()
    return boundary.unit, point.x, point.y


def _district_shape() -> Any:
    from grassroots.org.models import UnitBoundary

    boundary = UnitBoundary.objects.filter(valid_to__isnull=True, unit__parent__isnull=True).first()
    return shape(boundary.geometry) if boundary else None


def _click_lonlat(page: Any, lon: float, lat: float) -> None:
    """Click the map at a WGS84 point (the demo map draws in WGS84)."""
    box = page.locator("#unit-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.grUnitMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def _wait_for_map(page: Any) -> int:
    page.wait_for_selector("#unit-map[data-ready='1']")
    page.wait_for_selector("path.leaflet-interactive")
    return page.locator("path.leaflet-interactive").count()


def _account(demo_site: dict[str, Any], role: str) -> dict[str, Any]:
    return next(a for a in demo_site["accounts"] if a["role"] == role)


def test_map_page_draws_locates_and_stays_local(demo_site, open_session, artifacts_dir):
    grid, lon, lat = _grid_inside()
    for name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        session = open_session(viewport)
        page = session.page
        session.goto("/org/map/")
        assert _wait_for_map(page) > 0
        assert page.locator("#unit-list .unit-item").count() > 0
        assert session.horizontal_overflow() <= 0, f"horizontal scroll at {name} width"
        page.screenshot(path=str(artifacts_dir / f"map-{name}.png"), full_page=True)

        # clicking inside a grid names it, with its community and street
        _click_lonlat(page, lon, lat)
        result = page.locator("#locate-result")
        result.locator(".locate-names").wait_for()
        assert grid.name in result.inner_text()
        assert grid.parent.name in result.inner_text()

        if name == "phone":
            # the click also drilled into the street: its communities are listed
            page.wait_for_selector("#map-breadcrumbs li:nth-child(2)")
            assert page.locator("#map-breadcrumbs li").count() == 2
            _wait_for_map(page)
            page.locator("#unit-list .unit-item").first.click()
            page.wait_for_selector("#map-breadcrumbs li:nth-child(3)")
            assert page.locator("#unit-list .badge").first.inner_text() == "网格"
            page.locator("#unit-list .unit-item").first.click()
            page.wait_for_selector("#unit-panel:not([hidden])")
            assert page.locator("#unit-panel dl").inner_text()
            page.screenshot(path=str(artifacts_dir / "map-drilled-phone.png"), full_page=True)
            assert session.horizontal_overflow() <= 0

            # outside the district: the API's message, in the page's language
            district = _district_shape()
            corner = page.evaluate(
                "(() => { const b = window.grUnitMap.getBounds();"
                " return [b.getEast() - (b.getEast() - b.getWest()) * 0.03,"
                " b.getNorth() - (b.getNorth() - b.getSouth()) * 0.03]; })()"
            )
            from shapely.geometry import Point

            if district is not None and not district.contains(Point(*corner)):
                _click_lonlat(page, corner[0], corner[1])
                page.wait_for_selector("#locate-result.is-error")
                assert "不在本辖区" in result.inner_text()

        assert not session.console_errors, session.console_errors
        assert session.requests, "no requests recorded"
        assert not session.foreign_requests(), session.foreign_requests()


def test_unit_page_on_a_phone(demo_site, open_session, artifacts_dir):
    community, _lon, _lat = _grid_inside("community")
    session = open_session(PHONE)
    session.goto(f"/org/units/{community.code}/")
    session.page.wait_for_selector("#unit-minimap[data-ready='1'] path")
    assert session.page.locator("h1").inner_text().startswith(community.name)
    assert session.horizontal_overflow() <= 0
    session.page.screenshot(path=str(artifacts_dir / "unit-phone.png"), full_page=True)
    assert not session.foreign_requests(), session.foreign_requests()


def test_login_wrong_then_right_password(demo_site, open_session, artifacts_dir):
    account = _account(demo_site, "dispatcher")
    desktop = open_session(DESKTOP)
    desktop.goto("/accounts/login/")
    desktop.page.screenshot(path=str(artifacts_dir / "login-desktop.png"), full_page=True)

    session = open_session(PHONE)
    page = session.page
    session.goto("/accounts/login/")
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "login-phone.png"), full_page=True)

    page.fill("#id_username", account["username"])
    page.fill("#id_password", "not-the-password")
    page.click("button.primary")
    error = page.locator("#login-error")
    error.wait_for()
    assert "用户名" in error.inner_text() and "密码" in error.inner_text()
    assert page.locator("#id_username").input_value() == account["username"]
    page.screenshot(path=str(artifacts_dir / "login-error-phone.png"), full_page=True)

    page.fill("#id_password", account["password"])
    page.click("button.primary")
    page.wait_for_url(session.base_url + "/")
    nav = page.locator(".site-nav").inner_text()
    assert "退出" in nav
    assert account["display_name"] in nav
    assert not session.foreign_requests(), session.foreign_requests()


def test_elderly_mode_survives_reload_and_enlarges_text(demo_site, open_session, artifacts_dir):
    desktop = open_session(DESKTOP)
    desktop.goto("/")
    desktop.page.screenshot(path=str(artifacts_dir / "home-desktop.png"), full_page=True)

    session = open_session(PHONE)
    page = session.page
    session.goto("/")
    page.screenshot(path=str(artifacts_dir / "home-phone.png"), full_page=True)
    size = "parseFloat(getComputedStyle(document.querySelector('main p')).fontSize)"
    before = page.evaluate(size)
    tap = "document.querySelector('#elderly-toggle').getBoundingClientRect().height"
    assert page.evaluate(tap) >= 44

    page.click("#elderly-toggle")
    page.wait_for_selector("html.elderly")
    page.reload()
    assert "elderly" in page.evaluate("document.documentElement.className")
    after = page.evaluate(size)
    assert after >= 20
    assert after > before
    assert page.evaluate(tap) >= 56
    assert page.locator("#elderly-toggle").get_attribute("aria-pressed") == "true"
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "home-elderly-phone.png"), full_page=True)

    session.goto("/org/map/")
    _wait_for_map(page)
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "map-elderly-phone.png"), full_page=True)

    # and back
    page.click("#elderly-toggle")
    page.wait_for_selector("html:not(.elderly)")
    assert not session.foreign_requests(), session.foreign_requests()


def test_language_switch(demo_site, open_session, artifacts_dir):
    session = open_session(DESKTOP)
    page = session.page
    session.goto("/")
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "View the grid map" in page.inner_text("main")
    assert "Sign in" in page.inner_text(".site-nav")
    page.screenshot(path=str(artifacts_dir / "home-en-desktop.png"), full_page=True)

    phone = open_session(PHONE)
    phone.goto("/")
    with phone.page.expect_navigation():
        phone.page.select_option("#language-select", "zh-hant")
    phone.goto("/org/map/")
    _wait_for_map(phone.page)
    assert "網格地圖" in phone.page.inner_text("h1")
    assert phone.horizontal_overflow() <= 0
    phone.page.screenshot(path=str(artifacts_dir / "map-zh-hant-phone.png"), full_page=True)
    assert not session.foreign_requests(), session.foreign_requests()
