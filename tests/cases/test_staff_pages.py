"""Staff pages through HTTP: the case detail (masked, buttons from the state machine), each
step's POST with its success and its failures (which change nothing), 督办, bulk dispatch,
patrol reports, hotline intake and the case map."""

from __future__ import annotations

import re

import pytest

from grassroots.cases import workflow
from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, TimelineEntry
from grassroots.cases.selectors.staff import patrol_categories

from .factories import category, make_world
from .test_services import step, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def detail(pk: int) -> str:
    return f"/cases/staff/{pk}/"


def act(pk: int, action: str) -> str:
    return f"/cases/staff/{pk}/act/{action}/"


def snapshot(case: Case) -> tuple:
    case = Case.objects.get(pk=case.pk)
    return (
        case.status,
        case.department_id,
        case.supervised,
        case.merged_into_id,
        case.result,
        TimelineEntry.objects.filter(case=case).count(),
        case.assignments.count(),
    )


def offered(html: str) -> set[str]:
    return set(re.findall(r'class="cs-action" data-action="([a-z_]+)"', html)) - {"supervise"}


# --- detail ----------------------------------------------------------------------------------


def test_detail_masks_the_reporter_and_never_shows_the_number(client, world):
    case = submit(world, reporter_name="欧阳小明", reporter_phone="13812345678")
    client.force_login(world.dispatcher)
    html = client.get(detail(case.pk)).content.decode()
    assert "138****5678" in html
    assert "13812345678" not in html
    assert "欧阳**" in html and "欧阳小明" not in html
    assert case.tracking_code in html and case.description in html


def test_detail_shows_internal_notes_to_staff(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    client.force_login(world.leader)
    assert client.post(act(case.pk, "supervise"), {"note": "内部督办意见"}).status_code == 302
    html = client.get(detail(case.pk)).content.decode()
    assert "内部督办意见" in html and "cs-step-internal" in html


@pytest.mark.parametrize(
    ("user", "actions"),
    [
        ("dispatcher", ["register"]),
        ("dispatcher", ["register", "dispatch"]),
        ("handler", ["register", "dispatch"]),
        ("handler", ["register", "dispatch", "accept"]),
        ("grid_worker", ["register", "dispatch", "accept", "handle"]),
        ("dispatcher", ["register", "dispatch", "accept", "handle", "verify"]),
        ("leader", ["register", "dispatch"]),
        ("operator", []),
    ],
)
def test_buttons_are_the_steps_the_state_machine_offers(client, world, user, actions):
    case = submit(world)
    for action in actions:
        actor = world.handler if action in {"accept", "handle"} else world.dispatcher
        step(case, action, actor, **({"note": "已疏通"} if action == "handle" else {}))
    case.refresh_from_db()
    viewer = getattr(world, user)
    client.force_login(viewer)
    response = client.get(detail(case.pk))
    assert response.status_code == 200
    expected = {t.action for t in workflow.actions_for(status=case.status, role=viewer.role)}
    if user == "leader":
        expected = set()  # read-only: no step, only 督办
        assert 'data-action="supervise"' in response.content.decode()
    assert offered(response.content.decode()) == expected


def test_dispatch_form_preselects_the_routed_department(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    client.force_login(world.dispatcher)
    html = client.get(detail(case.pk)).content.decode()
    assert re.search(rf'<option value="{world.drainage.pk}" selected>', html)
    assert 'name="assisting"' in html


def test_detail_out_of_scope_or_unknown_is_404(client, world):
    case = submit(world)
    client.force_login(world.other_dispatcher)
    assert client.get(detail(case.pk)).status_code == 404
    client.force_login(world.dispatcher)
    assert client.get(detail(999_999)).status_code == 404


@pytest.mark.parametrize("who", ["resident", None])
def test_detail_and_steps_send_residents_to_login(client, world, who):
    case = submit(world)
    before = snapshot(case)
    if who:
        client.force_login(world.resident)
    for response in (
        client.get(detail(case.pk)),
        client.post(act(case.pk, "register")),
        client.get("/cases/staff/patrol/"),
        client.get("/cases/staff/map.json"),
    ):
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
    assert snapshot(case) == before


# --- steps: success and failure ---------------------------------------------------------------


def test_register_and_dispatch_by_post(client, world):
    case = submit(world)
    client.force_login(world.community_dispatcher)
    response = client.post(act(case.pk, "register"))
    assert response.status_code == 302 and response["Location"] == detail(case.pk)
    response = client.post(
        act(case.pk, "dispatch"),
        {"department": world.drainage.pk, "assisting": [world.sanitation.pk]},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.DISPATCHED and case.department == world.drainage
    roles = dict(case.assignments.filter(is_active=True).values_list("department_id", "role"))
    assert roles == {world.drainage.pk: "lead", world.sanitation.pk: "assist"}
    page = client.get(detail(case.pk)).content.decode()
    assert "已派遣" in page


def test_handler_accepts_handles_and_the_grid_worker_verifies(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    step(case, "dispatch", world.dispatcher)
    client.force_login(world.handler)
    assert client.post(act(case.pk, "accept")).status_code == 302
    assert client.post(act(case.pk, "handle"), {"note": "已疏通管道"}).status_code == 302
    client.force_login(world.grid_worker)
    assert client.post(act(case.pk, "verify")).status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.VERIFIED and case.result == "已疏通管道"


def test_handler_return_leaves_scope_and_lands_on_the_inbox(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    step(case, "dispatch", world.dispatcher)
    client.force_login(world.handler)
    response = client.post(act(case.pk, "return"), {"reason": "不属于本部门"})
    assert response.status_code == 302 and response["Location"] == "/cases/staff/"
    case.refresh_from_db()
    assert case.status == CaseStatus.RETURNED and case.department is None


def test_illegal_step_is_409_and_changes_nothing(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    before = snapshot(case)
    client.force_login(world.dispatcher)
    response = client.post(act(case.pk, "close"))
    assert response.status_code == 409
    assert "不能执行" in response.content.decode()
    unknown = client.post(act(case.pk, "fly"))
    assert unknown.status_code == 409
    assert snapshot(case) == before


def test_missing_reason_is_400_and_changes_nothing(client, world):
    case = submit(world)
    before = snapshot(case)
    client.force_login(world.dispatcher)
    response = client.post(act(case.pk, "reject"), {"reason": "  "})
    assert response.status_code == 400
    assert 'id="action-error"' in response.content.decode()
    assert snapshot(case) == before


def test_missing_result_is_400_and_changes_nothing(client, world):
    case = submit(world)
    for action, user in (("register", world.dispatcher), ("dispatch", world.dispatcher)):
        step(case, action, user)
    step(case, "accept", world.handler)
    before = snapshot(case)
    client.force_login(world.handler)
    assert client.post(act(case.pk, "handle"), {"note": ""}).status_code == 400
    assert snapshot(case) == before


@pytest.mark.parametrize("who", ["other_dispatcher", "leader", "other_handler"])
def test_out_of_scope_or_read_only_is_404_and_changes_nothing(client, world, who):
    case = submit(world)
    step(case, "register", world.dispatcher)
    if who == "other_handler":
        step(case, "dispatch", world.dispatcher)
    before = snapshot(case)
    client.force_login(getattr(world, who))
    action = "accept" if who == "other_handler" else "dispatch"
    assert client.post(act(case.pk, action)).status_code == 404
    assert snapshot(case) == before


def test_wrong_role_is_403_and_changes_nothing(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    before = snapshot(case)
    client.force_login(world.grid_worker)
    assert client.post(act(case.pk, "dispatch")).status_code == 403
    assert snapshot(case) == before


def test_steps_need_post(client, world):
    case = submit(world)
    client.force_login(world.dispatcher)
    assert client.get(act(case.pk, "register")).status_code == 405


def test_dispatch_to_an_unknown_department_is_400(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    before = snapshot(case)
    client.force_login(world.dispatcher)
    assert client.post(act(case.pk, "dispatch"), {"department": 987654}).status_code == 400
    assert snapshot(case) == before


def test_merge_into_an_out_of_scope_case_is_404(client, world):
    case = submit(world)
    lon, lat = world.other_point
    elsewhere = submit(world, lon=lon, lat=lat)
    before = snapshot(case)
    client.force_login(world.community_dispatcher)
    response = client.post(act(case.pk, "merge"), {"merge_into": elsewhere.pk})
    assert response.status_code == 404
    assert snapshot(case) == before


# --- 督办 -----------------------------------------------------------------------------------


def test_supervise(client, world):
    case = submit(world)
    client.force_login(world.dispatcher)
    assert client.post(act(case.pk, "supervise"), {"note": ""}).status_code == 400
    assert not Case.objects.get(pk=case.pk).supervised
    assert client.post(act(case.pk, "supervise"), {"note": "三天内办结"}).status_code == 302
    assert Case.objects.get(pk=case.pk).supervised


def test_supervise_refusals(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    step(case, "dispatch", world.dispatcher)
    client.force_login(world.handler)
    assert client.post(act(case.pk, "supervise"), {"note": "督办"}).status_code == 403
    client.force_login(world.other_dispatcher)
    assert client.post(act(case.pk, "supervise"), {"note": "督办"}).status_code == 404
    Case.objects.filter(pk=case.pk).update(status=CaseStatus.CLOSED)
    client.force_login(world.leader)
    assert client.post(act(case.pk, "supervise"), {"note": "督办"}).status_code == 409
    assert not Case.objects.get(pk=case.pk).supervised


# --- bulk dispatch ----------------------------------------------------------------------------


def test_bulk_dispatch_reports_each_success_and_failure(client, world):
    first, second, not_registered = submit(world), submit(world), submit(world)
    step(first, "register", world.dispatcher)
    step(second, "register", world.dispatcher)
    lon, lat = world.other_point
    elsewhere = submit(world, lon=lon, lat=lat)
    step(elsewhere, "register", world.dispatcher)
    untouched = {c.pk: snapshot(c) for c in (not_registered, elsewhere)}
    client.force_login(world.community_dispatcher)
    response = client.post(
        "/cases/staff/bulk-dispatch/",
        {"case": [first.pk, not_registered.pk, second.pk, elsewhere.pk, "x"]},
        follow=True,
    )
    assert response.status_code == 200
    for case in (first, second):
        case.refresh_from_db()
        assert case.status == CaseStatus.DISPATCHED and case.department == world.drainage
    assert {c.pk: snapshot(c) for c in (not_registered, elsewhere)} == untouched
    text = [str(m) for m in response.context["messages"]]
    assert any("已派遣 2 件" in m and first.tracking_code in m for m in text)
    assert any(not_registered.tracking_code in m and "未派遣" in m for m in text)
    assert any(f"#{elsewhere.pk}" in m and "找不到" in m for m in text)


def test_bulk_dispatch_checkboxes_on_the_to_dispatch_list(client, world):
    case = submit(world)
    step(case, "register", world.dispatcher)
    client.force_login(world.dispatcher)
    html = client.get("/cases/staff/", {"tab": "to_dispatch"}).content.decode()
    assert f'name="case" value="{case.pk}"' in html
    html = client.get("/cases/staff/", {"tab": "all"}).content.decode()
    assert 'name="case"' not in html


def test_bulk_dispatch_with_nothing_selected(client, world):
    client.force_login(world.dispatcher)
    response = client.post("/cases/staff/bulk-dispatch/", {}, follow=True)
    assert any("勾选" in str(m) for m in response.context["messages"])


# --- patrol and intake ------------------------------------------------------------------------


def test_patrol_in_three_taps(client, world):
    client.force_login(world.grid_worker)
    page = client.get("/cases/staff/patrol/")
    assert page.status_code == 200
    buttons = re.findall(r'name="category" value="(\d+)"', page.content.decode())
    assert len(buttons) == 8
    lon, lat = world.point
    response = client.post(
        "/cases/staff/patrol/", {"category": buttons[0], "lon": lon, "lat": lat, "crs": "wgs84"}
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.PATROL and case.status == CaseStatus.REGISTERED
    assert case.entered_by == world.grid_worker and case.grid == world.grid
    assert case.description.startswith("巡查发现")
    follow = client.get("/cases/staff/patrol/").content.decode()
    assert case.tracking_code in follow


def test_patrol_categories_follow_what_patrols_report(world):
    frequent = category("event", "0108")
    for _ in range(3):
        submit(world, category=frequent, channel=Channel.PATROL, entered_by=world.grid_worker)
    chosen = patrol_categories(world.grid_worker)
    assert chosen[0] == frequent and len(chosen) == 8


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"category": "", "lon": "116.005", "lat": "39.005"}, 400),
        ({"lon": "", "lat": "", "address": ""}, 400),
        ({"lon": "118.0", "lat": "39.0"}, 422),
        ({"lon": "500", "lat": "39.0"}, 400),
    ],
)
def test_patrol_bad_input(client, world, data, status):
    client.force_login(world.grid_worker)
    data = {"category": category("event", "0102").pk, **data}
    response = client.post("/cases/staff/patrol/", data)
    assert response.status_code == status
    assert 'id="patrol-error"' in response.content.decode()
    assert Case.objects.count() == 0


def test_patrol_is_for_grid_workers(client, world):
    client.force_login(world.dispatcher)
    assert client.get("/cases/staff/patrol/").status_code == 404


def test_hotline_intake_gives_the_code_to_read_out(client, world):
    client.force_login(world.operator)
    assert client.get("/cases/staff/intake/").status_code == 200
    response = client.post(
        "/cases/staff/intake/",
        {
            "channel": "hotline",
            "reporter_name": "王大妈",
            "reporter_phone": "139 1234 5678",
            "category": category("hotline", "H10").pk,
            "address": "花园社区5号楼",
            "description": "楼下广场舞音响太吵，晚上十点后还在跳",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.HOTLINE and case.entered_by == world.operator
    assert case.reporter_name == "王大妈" and "13912345678" not in case.reporter_phone_encrypted
    page = client.get(response["Location"]).content.decode()
    code = case.tracking_code
    spoken = f"<span>{' '.join(code[:5])}</span><span>{' '.join(code[5:])}</span>"
    assert spoken in page
    # shown once: a reload does not show it again
    assert code not in client.get(response["Location"]).content.decode()


def test_window_intake_with_a_map_point(client, world):
    client.force_login(world.operator)
    lon, lat = world.point
    response = client.post(
        "/cases/staff/intake/",
        {
            "channel": "window",
            "category": category("event", "0404").pk,
            "lon": lon,
            "lat": lat,
            "description": "来访群众反映下水道堵塞",
        },
    )
    assert response.status_code == 302
    case = Case.objects.get()
    assert case.channel == Channel.WINDOW and case.grid == world.grid


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"channel": "web"}, "channel"),
        ({"description": "吵"}, "description"),
        ({"reporter_phone": "12ab"}, "phone"),
        ({"address": ""}, "location"),
        ({"category": "0"}, "category"),
    ],
)
def test_intake_bad_input(client, world, data, field):
    client.force_login(world.operator)
    values = {
        "channel": "hotline",
        "category": category("hotline", "H10").pk,
        "address": "花园社区5号楼",
        "description": "楼下广场舞音响太吵",
        **data,
    }
    response = client.post("/cases/staff/intake/", values)
    assert response.status_code == 400
    assert response.context["error"].field == field
    assert Case.objects.count() == 0


def test_intake_is_for_operators(client, world):
    client.force_login(world.grid_worker)
    assert client.get("/cases/staff/intake/").status_code == 404


# --- the map ----------------------------------------------------------------------------------


def test_map_data_is_scoped_open_and_coloured(client, world):
    here = submit(world)
    lon, lat = world.other_point
    there = submit(world, lon=lon, lat=lat)
    closed = submit(world)
    Case.objects.filter(pk=closed.pk).update(status=CaseStatus.CLOSED)
    submit(world, lon=None, lat=None, address="花园社区")
    client.force_login(world.community_dispatcher)
    assert client.get("/cases/staff/map/").status_code == 200
    data = client.get("/cases/staff/map.json").json()
    assert [f["properties"]["code"] for f in data["features"]] == [here.tracking_code]
    feature = data["features"][0]
    assert feature["properties"]["state"] == "on_time"
    assert feature["geometry"]["coordinates"] == [world.point[0], world.point[1]]
    client.force_login(world.dispatcher)
    codes = {
        f["properties"]["code"] for f in client.get("/cases/staff/map.json").json()["features"]
    }
    assert codes == {here.tracking_code, there.tracking_code}
