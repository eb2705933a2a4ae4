"""The dashboard: figures equal to those counted from the cases themselves (made through
the real services), the data scope of every role, drill-down links, Excel exports, the
API, the query budget."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from grassroots.cases.choices import Channel, Rating
from grassroots.cases.models import Case
from grassroots.insight.choices import AlertKind, AlertStatus, Severity
from grassroots.insight.models import Alert
from grassroots.insight.selectors.dashboard import Period, as_data, dashboard
from grassroots.insight.services import weights_current
from grassroots.org.choices import Role

from ..cases.factories import category, make_world
from ..org.factories import UserFactory
from .factories import T0, run_to, step, submit

pytestmark = pytest.mark.django_db

URL = "/insight/dashboard/"
API = "/api/v1/insight/dashboard/"
MARCH = {"from": "2026-03", "to": "2026-03"}
H = timedelta(hours=1)


@pytest.fixture
def world():
    w = make_world()
    # 花园社区 (world.grid): a patrol report handled and rated 满意 on time; a web report
    # dispatched to sanitation and never signed for; a web report withdrawn.
    # 河畔社区 (world.other_grid): a hotline report rated 不满意.
    # A year earlier, in world.grid: one report, closed.
    good = step(w, submit(w, at=T0, channel=Channel.PATROL), "dispatch", at=T0 + H)
    run_to(w, good, ["accept", "handle", "verify", "close", "rate"], start=T0 + H)
    pending = step(
        w, submit(w, at=T0 + 2 * H, cat=category("component", "0101")), "register", at=T0 + 2 * H
    )
    step(w, pending, "dispatch", at=T0 + 3 * H, department=w.sanitation)
    step(w, submit(w, at=T0 + 3 * H), "withdraw", at=T0 + 4 * H)
    bad = step(w, submit(w, at=T0, other=True, channel=Channel.HOTLINE), "register", at=T0 + H)
    bad = step(w, bad, "dispatch", at=T0 + H)
    run_to(
        w,
        bad,
        ["accept", "handle", "verify", "close", "rate"],
        start=T0 + H,
        rate={"rating": Rating.DISSATISFIED},
    )
    old = submit(w, at=T0 - timedelta(days=365), channel=Channel.PATROL)
    old = step(w, old, "dispatch", at=T0 - timedelta(days=364))
    run_to(w, old, ["accept", "handle", "verify", "close"], start=T0 - timedelta(days=364))
    return w


def board_of(user, unit=None, months=MARCH):
    period = Period.of(*(T0.date().replace(day=1),) * 2)
    if months is not MARCH:
        period = months
    return dashboard(
        user=user, unit_id=unit.pk if unit else None, period=period, weights=weights_current()
    )


def march_cases(**filters):
    start = T0.replace(day=1, hour=0)
    return Case.objects.filter(created_at__gte=start, created_at__lt=start + timedelta(days=31))


def expected_counts(cases):
    """The figures counted straight from the cases, by the rules of kpi-definitions."""
    valid = [c for c in cases if c.status not in ("merged", "not_accepted", "withdrawn")]
    dispatched = [c for c in valid if c.dispatched_at]
    on_time = [c for c in dispatched if c.responded_at and c.responded_at <= c.response_due]
    closed = [c for c in valid if c.status in ("closed", "rated")]
    closed_on_time = [c for c in closed if c.closed_at <= c.resolve_due]
    rated = [c for c in valid if c.rating]
    happy = [c for c in rated if c.rating in ("satisfied", "basic")]
    return {
        "received": len(cases),
        "valid": len(valid),
        "response": len(on_time) / len(dispatched) if dispatched else None,
        "satisfaction": len(happy) / len(rated) if rated else None,
        "on_time": len(closed_on_time) / len(closed) if closed else None,
    }


# --- figures -------------------------------------------------------------------------------


def test_cards_equal_figures_counted_from_the_cases(world):
    board = board_of(world.leader)
    cases = list(march_cases())
    expected = expected_counts(cases)
    cards = {c.key: c for c in board.cards}
    assert expected["received"] == 4
    assert cards["received"].value == expected["received"]
    assert cards["valid"].value == expected["valid"] == 3
    assert cards["response"].value == pytest.approx(expected["response"])
    assert cards["satisfaction"].value == pytest.approx(expected["satisfaction"]) == 0.5
    assert cards["on_time"].value == pytest.approx(expected["on_time"])
    # last year: the one report of March 2025, never rated
    assert cards["received"].last_year == 1
    assert cards["satisfaction"].last_year is None


def test_volumes_by_category_channel_month_and_area(world):
    board = board_of(world.leader)
    cases = list(march_cases())
    by_category: dict[str, int] = {}
    by_channel: dict[str, int] = {}
    for case in cases:
        by_category[case.category.name] = by_category.get(case.category.name, 0) + 1
        by_channel[case.channel] = by_channel.get(case.channel, 0) + 1
    assert {s.label: s.received for s in board.categories} == by_category
    assert {s.key: s.received for s in board.channels} == by_channel
    assert [(s.key, s.received, s.last_year) for s in board.trend] == [("2026-03", 4, 1)]
    # the district's sub-areas are its streets; one street holds every case
    assert [(a.name, a.received) for a in board.areas] == [(world.street.name, 4)]
    street = board_of(world.leader, world.street)
    assert {a.name: a.received for a in street.areas} == {
        world.community.name: 3,
        world.other_community.name: 1,
    }
    assert sum(c.received for c in board.cells) == 4
    assert all(len(c.boundary) == 7 for c in board.cells)  # hexagon, closed ring


def test_departments_ranked_by_outcome(world):
    board = board_of(world.leader)
    rows = {d.name: d for d in board.departments}
    assert set(rows) == {world.drainage.name, world.sanitation.name}
    drainage = rows[world.drainage.name]
    assert drainage.received == 2
    assert drainage.assessed.values["satisfaction"] == pytest.approx(0.5)
    assert drainage.rank == 1 or rows[world.sanitation.name].rank == 1
    # ranks follow the composite score, best first
    scored = [d for d in board.departments if d.assessed.composite is not None]
    assert scored == sorted(scored, key=lambda d: -(d.assessed.composite or 0))


def test_the_map_cache_follows_new_cases(world, client):
    client.force_login(world.leader)
    before = client.get(URL, MARCH).context["data"]["cells"]
    submit(world, at=T0 + 5 * H)
    after = client.get(URL, MARCH).context["data"]["cells"]
    assert sum(c["received"] for c in after) == sum(c["received"] for c in before) + 1


def test_a_case_changed_later_changes_the_dashboard(world):
    pending = march_cases().get(department=world.sanitation)
    step(world, pending, "accept", at=T0 + 30 * H, role=Role.DEPT_HANDLER)
    board = board_of(world.leader)
    cards = {c.key: c for c in board.cards}
    expected = expected_counts(list(march_cases()))
    assert cards["response"].value == pytest.approx(expected["response"])


# --- drill-down ------------------------------------------------------------------------------


def test_every_chart_drills_down(world, client):
    client.force_login(world.leader)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    data = response.context["data"]
    street = data["areas"][0]
    assert street["url"].startswith(reverse("insight:dashboard"))
    assert f"unit={world.street.pk}" in street["url"] and "from=2026-03" in street["url"]
    inbox = reverse("cases:inbox")
    for item in data["categories"] + data["channels"] + data["trend"]:
        assert item["url"].startswith(inbox) and "tab=all" in item["url"]
        assert "from=2026-03-01" in item["url"] and "to=2026-03-31" in item["url"]
    assert any(f"category={category('event', '0404').pk}" in s["url"] for s in data["categories"])
    assert any("channel=patrol" in s["url"] for s in data["channels"])
    # street → community → grid → the grid's cases
    response = client.get(URL, {**MARCH, "unit": world.street.pk})
    community = next(
        a for a in response.context["data"]["areas"] if a["code"] == world.community.code
    )
    response = client.get(community["url"])
    assert response.status_code == 200
    grid = response.context["data"]["areas"][0]
    assert grid["code"] == world.grid.code
    assert grid["url"].startswith(inbox) and f"area={world.grid.code}" in grid["url"]
    # the page links the trail back up and renders the drill links for no-JS readers
    html = response.content.decode()
    assert f"unit={world.district.pk}" in html and f"unit={world.street.pk}" in html
    assert f"area={world.grid.code}" in html


def test_default_period_is_the_last_twelve_months(world, client):
    client.force_login(world.leader)
    response = client.get(URL)
    period = response.context["board"].period
    today = timezone.localdate()
    assert period.month_to == today.replace(day=1)
    assert period.length == 12
    assert period.last_year.month_from.year == period.month_from.year - 1


def test_bad_months_fall_back_and_long_ranges_are_capped(world, client):
    client.force_login(world.leader)
    assert client.get(URL, {"from": "junk", "to": "2026-13"}).status_code == 200
    response = client.get(URL, {"from": "2020-01", "to": "2026-03"})
    assert response.context["board"].period.length == 36


# --- scope --------------------------------------------------------------------------------------


def test_community_dispatcher_sees_only_their_community(world, client):
    client.force_login(world.community_dispatcher)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    assert response.context["board"].unit == world.community
    assert response.context["data"]["cards"][0]["value"] == 3
    for unit in (world.other_community, world.street, world.district, world.other_grid):
        assert client.get(URL, {**MARCH, "unit": unit.pk}).status_code == 404
    assert client.get(URL, {**MARCH, "unit": world.grid.pk}).status_code == 200
    assert client.get(URL, {**MARCH, "unit": 999999}).status_code == 404


def test_a_community_leader_never_sees_another_community(world, client):
    leader = UserFactory(role=Role.LEADER, unit=world.other_community)
    client.force_login(leader)
    response = client.get(URL, MARCH)
    assert response.status_code == 200
    data = response.context["data"]
    assert data["unit"]["code"] == world.other_community.code
    assert data["cards"][0]["value"] == 1
    assert client.get(URL, {**MARCH, "unit": world.community.pk}).status_code == 404
    assert client.get(URL, {**MARCH, "unit": world.grid.pk}).status_code == 404
    export = reverse("insight:dashboard_export")
    assert client.get(export, {"unit": world.community.pk, "table": "areas"}).status_code == 404


@pytest.mark.parametrize("role", ["handler", "grid_worker", "operator"])
def test_roles_without_dashboards_get_404(world, client, role):
    client.force_login(getattr(world, role))
    assert client.get(URL, MARCH).status_code == 404
    assert client.get(reverse("insight:dashboard_export"), {"table": "areas"}).status_code == 404


@pytest.mark.parametrize("who", ["resident", None])
def test_residents_and_visitors_go_to_the_login_page(world, client, who):
    if who:
        client.force_login(getattr(world, who))
    response = client.get(URL, MARCH)
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_open_alerts_in_scope_are_listed(world, client):
    now = timezone.now()
    common = {
        "kind": AlertKind.SPIKE,
        "severity": Severity.WARNING,
        "window_start": now - timedelta(days=3),
        "window_end": now,
        "observed": 42,
        "expected": 6,
        "first_seen": now,
        "last_seen": now,
    }
    mine = Alert.objects.create(unit=world.grid, dedup_key="a", explanation="花园积水", **common)
    Alert.objects.create(unit=world.other_grid, dedup_key="b", explanation="河畔积水", **common)
    Alert.objects.create(
        unit=world.grid, dedup_key="c", status=AlertStatus.DISMISSED, explanation="旧", **common
    )
    client.force_login(world.community_dispatcher)
    alerts = client.get(URL, MARCH).context["data"]["alerts"]
    assert [a["id"] for a in alerts] == [mine.pk]
    client.force_login(world.leader)
    alerts = client.get(URL, MARCH).context["data"]["alerts"]
    assert len(alerts) == 2
    try:
        detail = reverse("insight:alert_detail", args=[mine.pk])
    except Exception:  # the alert pages may not be installed
        detail = ""
    assert next(a for a in alerts if a["id"] == mine.pk)["url"] == detail


# --- Excel --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "table,header",
    [
        ("categories", "类别"),
        ("channels", "渠道"),
        ("trend", "月份"),
        ("areas", "排名"),
        ("departments", "排名"),
    ],
)
def test_every_table_exports_to_excel(world, client, table, header):
    client.force_login(world.leader)
    response = client.get(
        reverse("insight:dashboard_export"), {**MARCH, "unit": world.street.pk, "table": table}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == header
    page = client.get(URL, {**MARCH, "unit": world.street.pk}).context["board"]
    if table == "areas":
        assert {(r[1], r[3]) for r in rows[1:]} == {(a.name, a.received) for a in page.areas}
    elif table == "categories":
        assert sum(r[1] for r in rows[1:]) == 4
    elif table == "trend":
        assert rows[1][:3] == ("2026-03", 4, 1)


def test_unknown_export_table_is_404(world, client):
    client.force_login(world.leader)
    assert client.get(reverse("insight:dashboard_export"), {"table": "x"}).status_code == 404


# --- the query budget ----------------------------------------------------------------------------


def test_page_reads_rollups_with_a_fixed_number_of_queries(
    world, client, django_assert_max_num_queries
):
    client.force_login(world.leader)
    client.get(URL, MARCH)  # warm caches (content types, weights row)
    cache.clear()  # the map's cells are cached: count their query too
    with django_assert_max_num_queries(16) as captured:
        response = client.get(URL, MARCH)
    assert response.status_code == 200
    sql = " ".join(q["sql"] for q in captured.captured_queries)
    assert '"cases_case"' not in sql  # never the case table
    # more cases: the same number of queries
    before = len(captured.captured_queries)
    for _ in range(3):
        submit(world, at=T0 + 5 * H)
    cache.clear()
    with django_assert_max_num_queries(before):
        client.get(URL, MARCH)


# --- API ---------------------------------------------------------------------------------------


def token_client(client, user):
    token = Token.objects.create(user=user)
    client.defaults["HTTP_AUTHORIZATION"] = f"Token {token.key}"
    return client


def test_api_returns_the_same_figures_as_the_page(world, client):
    api = token_client(client, world.leader)
    response = api.get(API, {**MARCH, "unit": world.street.pk})
    assert response.status_code == 200
    body = response.json()
    expected = as_data(board_of(world.leader, world.street))
    assert body["cards"] == expected["cards"]
    assert body["areas"] == expected["areas"]
    assert body["trend"] == expected["trend"]
    assert body["period"]["from"] == "2026-03"
    assert {c["key"]: c["value"] for c in body["cards"]}["satisfaction"] == 50.0


def test_api_scope_and_errors(world, client):
    api = token_client(client, world.community_dispatcher)
    assert api.get(API, MARCH).status_code == 200
    assert api.get(API, {**MARCH, "unit": world.other_community.pk}).status_code == 404
    assert api.get(API, {"from": "2026-3x"}).status_code == 400
    assert api.get(API, {"unit": "abc"}).status_code == 400
    client.defaults.pop("HTTP_AUTHORIZATION")
    handler = token_client(client, world.handler)
    assert handler.get(API, MARCH).status_code == 403
    client.defaults.pop("HTTP_AUTHORIZATION")
    assert client.get(API, MARCH).status_code == 401


def test_api_is_documented_in_openapi(client, world):
    client.force_login(world.leader)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/v1/insight/dashboard/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"unit", "from", "to"}
    assert "DashboardOut" in str(operation["responses"]["200"])
