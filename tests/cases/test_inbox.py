"""Staff inboxes: the data scope of every role, tabs, filters, sorting, the query budget,
and the deadline colour (one rule in Python, the same rule in SQL)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.cases.choices import CaseStatus, Channel, DeadlineState
from grassroots.cases.models import Case
from grassroots.cases.selectors import staff as sel
from grassroots.cases.selectors.staff import deadline_state, filter_deadline
from grassroots.core.errors import NotFound
from grassroots.core.scope import Action

from .factories import category, make_world
from .test_services import step, submit

pytestmark = pytest.mark.django_db
INBOX = "/cases/staff/"


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def cases(world):
    """One case in each community: registered (here) and dispatched to drainage (there),
    plus a handled one in the first grid and a patrol report of the grid worker."""
    here = submit(world)
    step(here, "register", world.dispatcher)
    lon, lat = world.other_point
    there = submit(world, lon=lon, lat=lat, description="河边下水道又堵了，味道很大")
    step(there, "register", world.dispatcher)
    step(there, "dispatch", world.dispatcher)
    handled = submit(world, description="井边下水道反水，路面积水")
    for action in ("register", "dispatch", "accept"):
        step(handled, action, world.dispatcher if action != "accept" else world.handler)
    step(handled, "handle", world.handler, note="已疏通")
    patrol = submit(world, channel=Channel.PATROL, entered_by=world.grid_worker, reporter_phone="")
    hotline = submit(world, channel=Channel.HOTLINE, entered_by=world.operator)
    return {"here": here, "there": there, "handled": handled, "patrol": patrol, "hotline": hotline}


def codes(response) -> set[str]:
    return {row["case"].tracking_code for row in response.context["rows"]}


def visible(client, user, tab: str) -> set[str]:
    client.force_login(user)
    response = client.get(INBOX, {"tab": tab})
    assert response.status_code == 200
    return codes(response)


# --- data scope of every role ---------------------------------------------------------------


def test_district_dispatcher_sees_everything_in_the_district(client, world, cases):
    assert visible(client, world.dispatcher, "all") == {c.tracking_code for c in cases.values()}


def test_community_dispatcher_never_sees_the_sibling_community(client, world, cases):
    mine = visible(client, world.community_dispatcher, "all")
    assert cases["there"].tracking_code not in mine
    assert cases["here"].tracking_code in mine
    theirs = visible(client, world.other_dispatcher, "all")
    assert theirs == {cases["there"].tracking_code}


def test_street_dispatcher_sees_both_communities(client, world, cases):
    assert visible(client, world.street_dispatcher, "all") == {
        c.tracking_code for c in cases.values()
    }


def test_handler_sees_only_what_is_dispatched_to_the_department(client, world, cases):
    client.force_login(world.handler)
    assert visible(client, world.handler, "to_accept") == {cases["there"].tracking_code}
    assert visible(client, world.handler, "done") == {cases["handled"].tracking_code}
    assert visible(client, world.other_handler, "to_accept") == set()
    assert visible(client, world.other_handler, "done") == set()


def test_handler_sees_its_own_returns_but_not_the_returned_case(client, world, cases):
    step(cases["there"], "return", world.handler, reason="不属于本部门职责")
    client.force_login(world.handler)
    response = client.get(INBOX, {"tab": "returned"})
    entries = list(response.context["page"].object_list)
    assert [e.case.tracking_code for e in entries] == [cases["there"].tracking_code]
    assert "不属于本部门职责" in response.content.decode()
    assert client.get(f"{INBOX}{cases['there'].pk}/").status_code == 404
    client.force_login(world.other_handler)
    assert list(client.get(INBOX, {"tab": "returned"}).context["page"].object_list) == []


def test_grid_worker_verifies_in_the_grid_and_sees_own_patrols(client, world, cases):
    assert visible(client, world.grid_worker, "to_verify") == {cases["handled"].tracking_code}
    assert visible(client, world.grid_worker, "my_patrol") == {cases["patrol"].tracking_code}
    assert cases["there"].tracking_code not in visible(client, world.grid_worker, "open")


def test_leader_sees_all_in_scope_read_only(client, world, cases):
    assert visible(client, world.leader, "all") == {c.tracking_code for c in cases.values()}
    with pytest.raises(NotFound):
        sel.access_case(world.leader, cases["here"].pk, action=Action.CHANGE)
    assert sel.access_case(world.leader, cases["here"].pk).pk == cases["here"].pk


def test_operator_sees_the_cases_they_entered(client, world, cases):
    assert visible(client, world.operator, "mine") == {cases["hotline"].tracking_code}


@pytest.mark.parametrize("who", ["resident", None])
def test_residents_and_anonymous_go_to_login(client, world, cases, who):
    if who:
        client.force_login(getattr(world, who))
    response = client.get(INBOX)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_access_case_unknown_and_out_of_scope_are_the_same(world, cases):
    with pytest.raises(NotFound):
        sel.access_case(world.other_dispatcher, cases["here"].pk)
    with pytest.raises(NotFound):
        sel.access_case(world.dispatcher, 999_999)
    with pytest.raises(NotFound):
        sel.access_case(world.dispatcher, "abc")
    with pytest.raises(NotFound):
        sel.access_case(world.other_handler, cases["there"].pk)
    assert sel.access_case(world.handler, cases["there"].pk).pk == cases["there"].pk


# --- tabs, counts, filters, sorting ---------------------------------------------------------


def test_dispatcher_tabs_and_counts(client, world, cases):
    client.force_login(world.dispatcher)
    response = client.get(INBOX)
    counts = dict((tab.key, n) for tab, n in response.context["tabs"])
    assert counts["to_register"] == 1  # the hotline report
    assert counts["to_dispatch"] == 2  # here + the patrol report
    assert counts["to_close"] == 0
    assert counts["all"] == 5
    assert codes(response) == {cases["hotline"].tracking_code}  # first tab


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"channel": "patrol"}, {"patrol"}),
        ({"status": "handled"}, {"handled"}),
        ({"q": "河边"}, {"there"}),
        ({"q": "下水道 反水"}, {"handled"}),
        ({"supervised": "1"}, set()),
        ({"status": "nonsense"}, {"here", "there", "handled", "patrol", "hotline"}),
    ],
)
def test_filters(client, world, cases, params, expected):
    client.force_login(world.dispatcher)
    response = client.get(INBOX, {"tab": "all", **params})
    assert codes(response) == {cases[k].tracking_code for k in expected}


def test_area_filter_takes_units_in_scope_only(client, world, cases):
    client.force_login(world.dispatcher)
    response = client.get(INBOX, {"tab": "all", "area": world.other_community.code})
    assert codes(response) == {cases["there"].tracking_code}
    # a community dispatcher cannot filter their way into the sibling community
    client.force_login(world.community_dispatcher)
    response = client.get(INBOX, {"tab": "all", "area": world.other_community.code})
    assert cases["there"].tracking_code not in codes(response)


def test_area_filter_takes_a_grid_from_a_dashboard_drill_down(client, world, cases):
    # bug: a district dispatcher's menu offers streets and communities only, and a grid code
    # (the dashboard's drill-down link) was ignored, so the whole scope was listed
    client.force_login(world.dispatcher)
    response = client.get(INBOX, {"tab": "all", "area": world.other_grid.code})
    assert codes(response) == {cases["there"].tracking_code}
    # out of scope narrows to nothing, never widens
    client.force_login(world.community_dispatcher)
    response = client.get(INBOX, {"tab": "all", "area": world.other_grid.code})
    assert codes(response) == set()


def test_category_and_date_filters(client, world, cases):
    other = submit(world, category=category("event", "0102"), description="路边垃圾没人清理")
    Case.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(days=10))
    client.force_login(world.dispatcher)
    response = client.get(INBOX, {"tab": "all", "category": other.category_id})
    assert codes(response) == {other.tracking_code}
    day = (timezone.localtime() - timedelta(days=10)).date().isoformat()
    response = client.get(INBOX, {"tab": "all", "from": day, "to": day})
    assert codes(response) == {other.tracking_code}
    response = client.get(INBOX, {"tab": "all", "from": "not-a-date"})
    assert other.tracking_code in codes(response)


def test_deadline_filter_and_overdue_tab(client, world, cases):
    late = cases["there"]
    Case.objects.filter(pk=late.pk).update(resolve_due=timezone.now() - timedelta(hours=1))
    client.force_login(world.dispatcher)
    assert codes(client.get(INBOX, {"tab": "overdue"})) == {late.tracking_code}
    assert codes(client.get(INBOX, {"tab": "all", "deadline": "red"})) == {late.tracking_code}
    assert codes(client.get(INBOX, {"tab": "all", "deadline": "yellow"})) == set()


def test_sorting(client, world, cases):
    client.force_login(world.dispatcher)
    newest = [r["case"].pk for r in client.get(INBOX, {"tab": "all"}).context["rows"]]
    oldest = [
        r["case"].pk for r in client.get(INBOX, {"tab": "all", "sort": "oldest"}).context["rows"]
    ]
    assert newest == list(reversed(oldest))
    due = [r["case"] for r in client.get(INBOX, {"tab": "all", "sort": "due"}).context["rows"]]
    with_due = [c.resolve_due for c in due if c.resolve_due]
    assert with_due == sorted(with_due) and due[-1].resolve_due is None


def test_pagination(client, world):
    for i in range(sel.PAGE_SIZE + 3):
        submit(world, description=f"第{i}号下水道堵塞问题")
    client.force_login(world.dispatcher)
    first = client.get(INBOX, {"tab": "all"})
    assert len(first.context["rows"]) == sel.PAGE_SIZE
    second = client.get(INBOX, {"tab": "all", "page": 2})
    assert len(second.context["rows"]) == 3


# --- the query budget --------------------------------------------------------------------------


def _add_cases(world, n: int) -> None:
    lon, lat = world.other_point
    for i in range(n):
        case = submit(world, lon=lon, lat=lat, description=f"下水道堵塞第{i}处")
        step(case, "register", world.dispatcher)
        step(case, "dispatch", world.dispatcher)


@pytest.mark.parametrize("n", [1, 12])
def test_inbox_query_count_is_fixed(client, world, django_assert_num_queries, n):
    _add_cases(world, n)
    client.force_login(world.dispatcher)
    # session, user, the user's unit, tab counts, units, categories, page count, page rows
    with django_assert_num_queries(8):
        response = client.get(INBOX, {"tab": "all", "status": "dispatched", "sort": "due"})
    assert len(response.context["rows"]) == n


@pytest.mark.parametrize("n", [1, 12])
def test_handler_inbox_query_count_is_fixed(client, world, django_assert_num_queries, n):
    _add_cases(world, n)
    client.force_login(world.handler)
    # session, user, tab counts, units, categories, page count, page rows (no home unit)
    with django_assert_num_queries(7):
        response = client.get(INBOX, {"tab": "to_accept"})
    assert len(response.context["rows"]) == n


# --- deadline colour ---------------------------------------------------------------------------

T0 = timezone.now().replace(microsecond=0)
DUE = T0 + timedelta(hours=100)


def _case(status=CaseStatus.ACCEPTED, **kwargs) -> Case:
    values = dict(
        status=status,
        created_at=T0 - timedelta(hours=2),
        dispatched_at=T0,
        resolve_due=DUE,
    )
    values.update(kwargs)
    return Case(**values)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (T0, DeadlineState.ON_TIME),
        (T0 + timedelta(hours=75), DeadlineState.ON_TIME),  # exactly 25 % left: not yet
        (T0 + timedelta(hours=75, seconds=1), DeadlineState.YELLOW),
        (DUE, DeadlineState.YELLOW),  # due now: not past
        (DUE + timedelta(seconds=1), DeadlineState.RED),
    ],
)
def test_deadline_boundaries(settings, at, expected):
    settings.DEADLINE_YELLOW_SHARE = 0.25
    assert deadline_state(_case(), at) == expected


def test_deadline_clock_paused_stopped_and_absent(settings):
    settings.DEADLINE_YELLOW_SHARE = 0.25
    late = DUE + timedelta(days=3)
    paused = _case(CaseStatus.SUSPENDED, suspended_at=T0 + timedelta(hours=10))
    assert deadline_state(paused, late) == DeadlineState.ON_TIME
    in_time = _case(CaseStatus.CLOSED, handled_at=T0 + timedelta(hours=50))
    assert deadline_state(in_time, late) == DeadlineState.ON_TIME
    too_late = _case(CaseStatus.VERIFIED, handled_at=DUE + timedelta(hours=1))
    assert deadline_state(too_late, late) == DeadlineState.RED
    assert deadline_state(_case(CaseStatus.REGISTERED, resolve_due=None), late) == "on_time"
    assert deadline_state(_case(CaseStatus.RETURNED), late) == DeadlineState.RED
    # not dispatched yet: counted from the report
    fresh = _case(dispatched_at=None, created_at=T0)
    assert deadline_state(fresh, T0 + timedelta(hours=80)) == DeadlineState.YELLOW


def test_sql_filter_agrees_with_deadline_state(world, settings):
    """``filter_deadline`` is the same rule as ``deadline_state``, row for row."""
    settings.DEADLINE_YELLOW_SHARE = 0.25
    template = submit(world)
    variants = [
        dict(status=CaseStatus.ACCEPTED),
        dict(status=CaseStatus.DISPATCHED, resolve_due=T0 + timedelta(hours=70)),
        dict(status=CaseStatus.DISPATCHED, resolve_due=T0 + timedelta(hours=75)),
        dict(status=CaseStatus.RETURNED, resolve_due=T0 + timedelta(hours=80)),
        dict(status=CaseStatus.SUSPENDED, suspended_at=T0 + timedelta(hours=76)),
        dict(status=CaseStatus.SUSPENDED, suspended_at=T0 + timedelta(hours=10)),
        dict(status=CaseStatus.HANDLED, handled_at=DUE + timedelta(hours=1)),
        dict(status=CaseStatus.CLOSED, handled_at=T0 + timedelta(hours=1)),
        dict(status=CaseStatus.REGISTERED, resolve_due=None, dispatched_at=None),
        dict(status=CaseStatus.ACCEPTED, dispatched_at=None),
    ]
    ids = []
    for i, values in enumerate(variants):
        case = submit(world, description=f"期限测试第{i}件")
        fields = dict(dispatched_at=T0, resolve_due=DUE, created_at=T0 - timedelta(hours=2))
        fields.update(values)
        Case.objects.filter(pk=case.pk).update(**fields)
        ids.append(case.pk)
    rows = Case.objects.filter(pk__in=ids)
    for at in (T0 + timedelta(hours=74), T0 + timedelta(hours=76), DUE + timedelta(hours=2)):
        python = {state: set() for state in DeadlineState.values}
        for case in rows:
            python[deadline_state(case, at)].add(case.pk)
        for state in DeadlineState.values:
            sql = set(filter_deadline(rows, state, at).values_list("pk", flat=True))
            assert sql == python[state], (at, state)
    assert template.pk not in ids
