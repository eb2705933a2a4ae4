"""The resident's closed loop in a real browser on a phone-sized page:
report a problem (map point, description, suggested category, photo) → tracking code →
tracking page → (staff handle it through the services) → rate it.

Screenshots go to the artefacts folder: report-phone.png, report-done-phone.png,
track-phone.png, rate-phone.png, report-elderly-phone.png.
"""

from __future__ import annotations

import io
import time
from typing import Any

import pytest
from PIL import Image

from .conftest import PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DESCRIPTION = "小区门口下水道堵了，污水冒出来，路过都是臭味"


@pytest.fixture
def resident_world(transactional_db: None, settings: Any, tmp_path: Any) -> Any:
    """make_world() committed for the live server, with the category taxonomy (a
    transactional test may have flushed what the migration loaded)."""
    from django.core.cache import cache

    from grassroots.cases.models import Category
    from grassroots.cases.reference import load_categories

    from ..cases.factories import make_world

    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    load_categories(Category)
    world = make_world()
    yield world
    cache.clear()


def _png(width: int = 120, height: int = 90) -> bytes:
    image = Image.new("RGB", (width, height), (70, 110, 160))
    for x in range(0, width, 10):
        for y in range(height // 2, height):
            image.putpixel((x, y), (40, 40, 40))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _click_lonlat(page: Any, lon: float, lat: float) -> None:
    page.locator("#report-map").scroll_into_view_if_needed()
    box = page.locator("#report-map").bounding_box()
    x, y = page.evaluate(
        "([lat, lon]) => { const p = window.grReportMap.latLngToContainerPoint([lat, lon]);"
        " return [p.x, p.y]; }",
        [lat, lon],
    )
    page.mouse.click(box["x"] + x, box["y"] + y)


def _advance(case_code: str, world: Any) -> None:
    from grassroots.cases.models import Case
    from grassroots.cases.services import Actor, case_transition

    case = Case.objects.get(tracking_code=case_code)
    for action, user, kwargs in [
        ("register", world.dispatcher, {}),
        ("dispatch", world.dispatcher, {}),
        ("accept", world.handler, {}),
        ("handle", world.handler, {"note": "已疏通下水道，路面已冲洗干净。"}),
        ("verify", world.grid_worker, {}),
        ("close", world.dispatcher, {}),
    ]:
        case = case_transition(case=case, action=action, actor=Actor.of(user), **kwargs)


def test_report_track_and_rate_on_a_phone(resident_world, open_session, artifacts_dir):
    from grassroots.cases.models import Case

    world = resident_world
    started = time.perf_counter()
    session = open_session(PHONE)
    page = session.page

    # 1 where: tap the map inside the grid
    session.goto("/cases/report/")
    page.wait_for_selector("#report-map[data-ready='1']")
    page.wait_for_selector("#report-map path")
    lon, lat = world.point
    _click_lonlat(page, lon, lat)
    page.locator("#where-result .locate-names").wait_for()
    where = page.locator("#where-result").inner_text()
    assert world.grid.name in where and world.community.name in where

    # 2 what: describe it; the suggestion is preselected and can be tapped
    page.fill("#id_description", DESCRIPTION)
    chip = page.locator("#suggestions .chip").first
    chip.wait_for()
    assert "下水道堵塞" in chip.inner_text()
    chip.click()
    drain = page.evaluate("document.getElementById('id_category').value")
    assert drain and chip.get_attribute("aria-pressed") == "true"

    # 3 photo, 4 contact
    page.set_input_files(
        "#id_photos", files=[{"name": "drain.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.locator("#photo-previews img").wait_for()
    page.fill("#id_name", "王阿姨")
    page.fill("#id_phone", "13812345678")
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "report-phone.png"), full_page=True)

    page.click("#report-submit")
    page.wait_for_url("**/cases/report/done/")
    code = page.locator("#tracking-code").get_attribute("data-code")
    assert code and len(code) == 10
    assert "138****5678" in page.locator("#sms-note").inner_text()
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "report-done-phone.png"), full_page=True)

    case = Case.objects.get(tracking_code=code)
    assert str(case.category_id) == drain
    assert case.grid_id == world.grid.pk and case.channel == "web"
    assert case.photos.count() == 1

    # the tracking page
    page.click("#track-link")
    page.wait_for_url(f"**/cases/track/{code}/")
    assert page.locator("#case-code").inner_text() == code
    assert page.locator(".progress-step.is-done").count() == 1
    page.wait_for_function(
        "() => [...document.querySelectorAll('.photo-grid img')]"
        ".every(i => i.complete && i.naturalWidth > 0)"
    )
    assert page.locator(".photo-grid img").count() == 1
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "track-phone.png"), full_page=True)

    # staff handle it; the resident rates it
    _advance(code, world)
    page.reload()
    page.locator("#rate-submit").wait_for()
    assert page.locator(".progress-step.is-done").count() == 6
    assert "已疏通下水道" in page.locator(".case-result").inner_text()
    page.locator("label.rating-satisfied").click()
    page.fill("#id_comment", "很快就修好了，谢谢！")
    page.locator("#rating").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "rate-phone.png"), full_page=True)
    page.click("#rate-submit")
    page.wait_for_selector("#rated-value")
    case.refresh_from_db()
    assert case.status == "rated" and case.rating == "satisfied"
    assert case.rating_comment == "很快就修好了，谢谢！"
    assert page.locator(".progress-step.is-done").count() == 7

    # elderly mode: the same report page, large
    page.click("#elderly-toggle")
    page.wait_for_selector("html.elderly")
    session.goto("/cases/report/")
    page.wait_for_selector("html.elderly")
    page.wait_for_selector("#report-map[data-ready='1']")
    assert session.horizontal_overflow() <= 0
    tap = page.locator("#report-submit").bounding_box()
    assert tap["height"] >= 56
    page.screenshot(path=str(artifacts_dir / "report-elderly-phone.png"), full_page=True)

    assert session.foreign_requests() == []
    assert session.console_errors == []
    print(f"resident flow in the browser: {time.perf_counter() - started:.1f} s")


def test_report_without_javascript(resident_world, open_session):
    """No script: no map, but an address, the category list and a photo still work."""
    from grassroots.cases.models import Case

    session = open_session(PHONE, java_script_enabled=False)
    page = session.page
    session.goto("/cases/report/")
    assert not page.locator("#report-map").is_visible()
    page.fill("#id_address", "幸福路 12 号南门")
    page.fill("#id_description", "下水道堵了")
    # the suggestion button posts the form and comes back with the best category chosen
    page.click("#suggest-button")
    page.wait_for_selector("#suggestions .chip.is-chosen")
    assert page.input_value("#id_description") == "下水道堵了"
    assert "下水道堵塞" in page.locator("#id_category option:checked").inner_text()
    page.set_input_files(
        "#id_photos", files=[{"name": "drain.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.click("#report-submit")
    page.wait_for_url("**/cases/report/done/")
    code = page.locator("#tracking-code").get_attribute("data-code")
    case = Case.objects.get(tracking_code=code)
    assert case.address == "幸福路 12 号南门" and case.lon is None
    assert case.photos.count() == 1
    assert session.horizontal_overflow() <= 0
    assert session.foreign_requests() == []
