"""The staff side of the closed loop in a real browser.

A dispatcher signs in on a phone, opens the inbox and dispatches a case; the department's
handler accepts and handles it; a grid worker files a patrol report in three taps (the
device's location comes from the browser); the case map draws the in-scope cases.

Screenshots: inbox-phone.png, case-detail-desktop.png, case-detail-phone.png,
patrol-phone.png, cases-map-desktop.png, intake-phone.png, inbox-elderly-phone.png.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from shapely.geometry import shape

from .conftest import DESKTOP, PHONE

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _account(demo_site: dict[str, Any], username: str) -> dict[str, Any]:
    return next(a for a in demo_site["accounts"] if a["username"] == username)


def _point_in(unit: Any) -> tuple[float, float]:
    from grassroots.org.models import UnitBoundary

    boundary = UnitBoundary.objects.get(unit=unit, valid_to__isnull=True)
    point = shape(boundary.geometry).representative_point()
    return point.x, point.y


@pytest.fixture
def staff_site(demo_site: dict[str, Any], settings: Any) -> Any:
    """The demo district with the category taxonomy (a transactional test before may have
    flushed what the migration loaded), notifications kept in memory."""
    from grassroots.cases.models import Category
    from grassroots.cases.reference import load_categories

    load_categories(Category)
    yield demo_site


def _cases(demo_site: dict[str, Any]) -> dict[str, Any]:
    """Cases in the grid worker's grid: some to dispatch, one late, one nearly due."""
    from django.utils import timezone

    from grassroots.cases.models import Case, Category
    from grassroots.cases.services import Actor, case_submit, case_transition
    from grassroots.org.models import User

    dispatcher = User.objects.get(username="dispatcher_district")
    grid = User.objects.get(username="gridworker").unit
    lon, lat = _point_in(grid)
    sewer = Category.objects.get(kind="event", code="0404")
    rubbish = Category.objects.get(kind="event", code="0102")
    texts = [
        (sewer, "小区北门下水道堵塞，污水漫到人行道上，老人出门要绕行", "13812345678"),
        (rubbish, "3号楼下垃圾桶满了两天没人清运，味道很大", "13900001111"),
        (sewer, "幼儿园门口雨水箅子被树叶堵住，一下雨就积水", ""),
        (rubbish, "菜市场东侧建筑垃圾乱倒，占了半条路", "13700002222"),
    ]
    made = []
    for i, (category, text, phone) in enumerate(texts):
        case = case_submit(
            category=category,
            description=text,
            channel="web",
            lon=lon + 0.0004 * i,
            lat=lat + 0.0003 * i,
            reporter_name="张建国",
            reporter_phone=phone,
        )
        case_transition(case=case, action="register", actor=Actor.of(dispatcher))
        made.append(case)
    # two already under way: one overdue, one nearly due
    for case, hours_left in ((made[2], -5), (made[3], 2)):
        case_transition(case=case, action="dispatch", actor=Actor.of(dispatcher))
        now = timezone.now()
        Case.objects.filter(pk=case.pk).update(
            dispatched_at=now - timedelta(hours=40), resolve_due=now + timedelta(hours=hours_left)
        )
    return {"sewer": made[0], "all": made, "point": (lon, lat)}


def _sign_in(session: Any, account: dict[str, Any], next_url: str) -> None:
    page = session.page
    session.goto(f"/accounts/login/?next={next_url}")
    page.fill("#id_username", account["username"])
    page.fill("#id_password", account["password"])
    page.click("button.primary")
    page.wait_for_url(session.base_url + next_url)


def _open_action(page: Any, action: str) -> None:
    page.click(f"details[data-action='{action}'] > summary")


def test_dispatch_accept_handle(staff_site, open_session, artifacts_dir):
    demo_site = staff_site
    from grassroots.cases.models import Case
    from grassroots.org.models import User

    made = _cases(demo_site)
    case = made["sewer"]
    handler_department = User.objects.get(username="handler_drainage").department

    # --- the dispatcher, on a phone
    session = open_session(PHONE)
    page = session.page
    _sign_in(session, _account(demo_site, "dispatcher_district"), "/cases/staff/?tab=to_dispatch")
    page.wait_for_selector("#case-list .cs-row")
    assert page.locator("#case-list .cs-row").count() == 2
    assert page.locator(".cs-tab[data-tab='overdue'] .cs-count").inner_text() == "1"
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "inbox-phone.png"), full_page=True)

    page.click(f"a.cs-row-link[href='/cases/staff/{case.pk}/']")
    page.wait_for_selector("#case-status")
    assert "138****5678" in page.locator("#reporter-phone").inner_text()
    assert "13812345678" not in page.content()
    _open_action(page, "dispatch")
    page.select_option("#dispatch-dept", str(handler_department.pk))
    page.click("details[data-action='dispatch'] button[type=submit]")
    page.wait_for_selector(".messages li.success")
    assert page.locator("#case-status").inner_text() == "已派遣"
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "case-detail-phone.png"), full_page=True)

    # --- the department's handler
    handler = open_session(PHONE)
    hpage = handler.page
    _sign_in(handler, _account(demo_site, "handler_drainage"), "/cases/staff/")
    hpage.click(f"a.cs-row-link[href='/cases/staff/{case.pk}/']")
    _open_action(hpage, "accept")
    hpage.click("details[data-action='accept'] button[type=submit]")
    hpage.wait_for_selector(".messages li.success")
    assert hpage.locator("#case-status").inner_text() == "处置中"
    _open_action(hpage, "handle")
    hpage.fill("#note-handle", "已派人疏通管道，路面已冲洗干净")
    hpage.click("details[data-action='handle'] button[type=submit]")
    hpage.wait_for_selector(".messages li.success")
    assert hpage.locator("#case-status").inner_text() == "已处置"
    case.refresh_from_db()
    assert case.status == "handled" and case.department_id == handler_department.pk

    # --- the case as the dispatcher sees it on a desktop: timeline, map, next step
    desktop = open_session(DESKTOP)
    _sign_in(desktop, _account(demo_site, "dispatcher_district"), f"/cases/staff/{case.pk}/")
    desktop.page.wait_for_selector("#case-minimap[data-ready='1']")
    steps = desktop.page.locator("#timeline li").count()
    assert steps == Case.objects.get(pk=case.pk).timeline.count() >= 5
    assert desktop.page.locator("details[data-action='verify']").count() == 1
    desktop.page.screenshot(path=str(artifacts_dir / "case-detail-desktop.png"), full_page=True)

    for s in (session, handler, desktop):
        assert not s.foreign_requests(), s.foreign_requests()
        assert not s.console_errors, s.console_errors


def test_patrol_in_three_taps_and_the_case_map(staff_site, open_session, artifacts_dir):
    demo_site = staff_site
    from grassroots.cases.models import Case

    made = _cases(demo_site)
    lon, lat = made["point"]
    session = open_session(
        PHONE,
        permissions=["geolocation"],
        geolocation={"longitude": lon, "latitude": lat, "accuracy": 12},
    )
    page = session.page
    _sign_in(session, _account(demo_site, "gridworker"), "/cases/staff/patrol/")
    page.wait_for_function("document.querySelector('[data-lon]').value !== ''")
    assert page.locator(".cs-cat-btn").count() == 8
    assert session.horizontal_overflow() <= 0
    page.screenshot(path=str(artifacts_dir / "patrol-phone.png"), full_page=True)

    page.click(".cs-cat-btn >> nth=0")  # tap 1: the category (tap 2, the location, was the
    page.click("#patrol-form button[type=submit]")  # device's); tap 3: send
    page.wait_for_selector("#patrol-done")
    case = Case.objects.filter(channel="patrol").get()
    assert case.status == "registered" and case.grid is not None
    assert abs(case.lon - lon) < 1e-6 and abs(case.lat - lat) < 1e-6
    assert case.tracking_code in page.locator(".messages").inner_text()

    desktop = open_session(DESKTOP)
    _sign_in(desktop, _account(demo_site, "dispatcher_district"), "/cases/staff/map/")
    desktop.page.wait_for_selector("#cases-map[data-ready='1']")
    dots = desktop.page.locator("path.leaflet-interactive").count()
    assert dots == Case.objects.filter(lon__isnull=False).count() == 5
    assert desktop.page.locator("[data-count='red']").inner_text() == "1"
    assert desktop.page.locator("[data-count='yellow']").inner_text() == "1"
    desktop.page.screenshot(path=str(artifacts_dir / "cases-map-desktop.png"), full_page=True)

    # a hotline operator enters a call and reads the tracking code out
    operator = open_session(PHONE)
    opage = operator.page
    _sign_in(operator, _account(demo_site, "operator"), "/cases/staff/intake/")
    opage.fill("#in-name", "李阿姨")
    opage.fill("#in-phone", "13611112222")
    opage.select_option("#in-category", label="噪音扰民")
    opage.fill("#in-desc", "楼下广场舞音响每天晚上九点半以后还很吵")
    opage.fill("#in-address", "金阳社区7号楼")
    opage.click("#intake-form button[type=submit]")
    opage.wait_for_selector("#tracking-code")
    entered = Case.objects.get(channel="hotline")
    assert "".join(opage.locator("#tracking-code").inner_text().split()) == entered.tracking_code
    assert operator.horizontal_overflow() <= 0
    opage.screenshot(path=str(artifacts_dir / "intake-phone.png"), full_page=True)

    # elderly mode: one column, larger targets, still no sideways scrolling
    elder = open_session(PHONE)
    _sign_in(elder, _account(demo_site, "dispatcher_district"), "/cases/staff/")
    elder.page.click("#elderly-toggle")
    elder.page.wait_for_selector("html.elderly")
    height = elder.page.evaluate("document.querySelector('.cs-tab').getBoundingClientRect().height")
    assert height >= 56
    assert elder.horizontal_overflow() <= 0
    elder.page.screenshot(path=str(artifacts_dir / "inbox-elderly-phone.png"), full_page=True)

    for s in (session, desktop, operator, elder):
        assert not s.foreign_requests(), s.foreign_requests()
        assert not s.console_errors, s.console_errors
