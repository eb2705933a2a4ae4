"""``/api/v1/cases/``: the staff list, one case, its steps, the inbox and categories,
through HTTP with token authentication — and every refusal from the same setup."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, TimelineEntry

from .conftest import NAME, PHONE, client_for, step, submit

pytestmark = pytest.mark.django_db
LIST = "/api/v1/cases/"


def dispatched(world, **kwargs):
    case = step(submit(world, **kwargs), "register", world.dispatcher)
    return step(case, "dispatch", world.dispatcher, department=world.drainage)


def detail_url(case) -> str:
    return f"/api/v1/cases/{case.pk}/"


def step_url(case, action: str) -> str:
    return f"/api/v1/cases/{case.pk}/{action}/"


def codes(response) -> set[str]:
    return {row["tracking_code"] for row in response.json()["results"]}


def assert_no_personal_data(response) -> None:
    text = response.content.decode()
    assert PHONE not in text
    assert NAME not in text


# --- authentication --------------------------------------------------------------------------


def test_anonymous_gets_401_everywhere(world):
    case = submit(world)
    anonymous = client_for(None)
    for url in (LIST, detail_url(case), "/api/v1/cases/inbox/"):
        response = anonymous.get(url)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
        assert case.tracking_code not in response.content.decode()
    assert anonymous.post(step_url(case, "register"), {}, format="json").status_code == 401
    case.refresh_from_db()
    assert case.status == CaseStatus.SUBMITTED


def test_a_bad_token_is_401(world):
    client = client_for(None)
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(LIST).status_code == 401


# --- the list --------------------------------------------------------------------------------


def test_list_is_scoped_and_masked(world):
    mine = submit(world)
    theirs = submit(world, point=world.other_point)
    response = client_for(world.community_dispatcher).get(LIST)
    assert response.status_code == 200
    assert codes(response) == {mine.tracking_code}
    row = response.json()["results"][0]
    assert row["reporter_phone"] == "138****5678"
    assert row["reporter_name"] == "张**"
    assert row["category"]["key"] == "event:0404"
    assert row["area"]["code"] == world.grid.code
    assert row["deadline_state"] == "on_time"
    assert_no_personal_data(response)
    assert codes(client_for(world.other_dispatcher).get(LIST)) == {theirs.tracking_code}
    assert codes(client_for(world.dispatcher).get(LIST)) == {
        mine.tracking_code,
        theirs.tracking_code,
    }
    assert codes(client_for(world.resident).get(LIST)) == set()


def test_handlers_list_only_their_departments_cases(world):
    case = dispatched(world)
    assert codes(client_for(world.handler).get(LIST)) == {case.tracking_code}
    assert codes(client_for(world.other_handler).get(LIST)) == set()


def test_list_filters(world):
    plain = submit(world)
    other = submit(world, point=world.other_point, description="路边有人乱扔垃圾很脏")
    sent = dispatched(world)
    client = client_for(world.dispatcher)

    def found(**params):
        response = client.get(LIST, params)
        assert response.status_code == 200, response.content
        return codes(response)

    assert found(status="dispatched") == {sent.tracking_code}
    assert found(area=world.other_community.code) == {other.tracking_code}
    assert found(category="event:0404") == {
        plain.tracking_code,
        other.tracking_code,
        sent.tracking_code,
    }
    assert found(channel=Channel.PATROL) == set()
    assert found(q="垃圾") == {other.tracking_code}
    assert found(deadline="red") == set()
    assert sent.tracking_code in found(deadline="on_time")
    assert found(tab="to_register") == {plain.tracking_code, other.tracking_code}
    for bad in ({"category": "event:9999"}, {"area": "nowhere"}, {"tab": "nope"}, {"status": "x"}):
        response = client.get(LIST, bad)
        assert response.status_code == 400
        assert set(response.json()) >= {"code", "message"}


def test_cursor_pagination_walks_every_case_once(world):
    made = {submit(world).tracking_code for _ in range(5)}
    client = client_for(world.dispatcher)
    seen: list[str] = []
    url = f"{LIST}?page_size=2"
    pages = 0
    while url:
        body = client.get(url).json()
        assert len(body["results"]) <= 2
        seen += [row["tracking_code"] for row in body["results"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_list_query_count_does_not_grow_with_rows(world):
    submit(world)
    client = client_for(world.dispatcher)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(LIST, {"category": "event:0404"}).status_code == 200
        return len(ctx.captured_queries)

    count()  # the category table is loaded once per process (then cached)
    one = count()
    for _ in range(6):
        submit(world)
    assert count() == one


def test_list_query_count_is_pinned(world, django_assert_num_queries):
    for _ in range(3):
        submit(world)
    client = client_for(world.dispatcher)
    # the token with its user, the user's home unit (the scope), the page of cases with
    # their related rows
    with django_assert_num_queries(3):
        assert client.get(LIST).status_code == 200


# --- one case --------------------------------------------------------------------------------


def test_detail_has_timeline_assignments_deadlines_and_actions(world):
    case = step(submit(world), "register", world.dispatcher)
    case = step(case, "dispatch", world.dispatcher, department=world.drainage)
    case = step(case, "suspend", world.handler, reason="等待管线图，内部说明")
    response = client_for(world.dispatcher).get(detail_url(case))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "suspended"
    assert [e["action"] for e in body["timeline"]] == ["submit", "register", "dispatch", "suspend"]
    assert body["timeline"][-1]["internal_note"] == "等待管线图，内部说明"
    assert body["assignments"][0]["department"]["key"] == "drainage"
    assert body["deadlines"]["resolve_due"] is not None
    assert {a["action"] for a in body["actions"]} == {"resume", "supervise"}
    assert body["reporter_phone"] == "138****5678"
    assert_no_personal_data(response)


def test_detail_out_of_scope_is_404_never_the_record(world):
    case = dispatched(world)
    for user in (world.other_dispatcher, world.other_handler, world.resident):
        response = client_for(user).get(detail_url(case))
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert case.tracking_code not in response.content.decode()
    assert client_for(world.dispatcher).get("/api/v1/cases/999999/").status_code == 404
    assert client_for(world.handler).get(detail_url(case)).status_code == 200
    assert client_for(world.leader).get(detail_url(case)).status_code == 200


def test_detail_query_count_does_not_grow_with_the_timeline(world):
    case = dispatched(world)
    client = client_for(world.dispatcher)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(detail_url(case)).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    step(case, "suspend", world.handler, reason="等待")
    step(case, "resume", world.handler)
    assert count() == before


def test_leader_is_offered_only_supervise(world):
    case = submit(world)
    body = client_for(world.leader).get(detail_url(case)).json()
    assert [a["action"] for a in body["actions"]] == ["supervise"]


# --- steps -----------------------------------------------------------------------------------


def post(user, case, action, **data):
    return client_for(user).post(step_url(case, action), data, format="json")


def test_the_closed_loop_through_the_api(world):
    case = submit(world)
    target = submit(world)
    duplicate = submit(world)
    assert post(world.community_dispatcher, case, "register").json()["status"] == "registered"
    response = post(
        world.dispatcher, case, "dispatch", department="drainage", assisting=["sanitation"]
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "dispatched"
    case.refresh_from_db()
    assert case.department == world.drainage
    assert {a.department.key for a in case.assignments.filter(is_active=True)} == {
        "drainage",
        "sanitation",
    }
    assert post(world.handler, case, "accept").json()["status"] == "accepted"
    assert post(world.handler, case, "handle", note="已疏通").json()["status"] == "handled"
    assert post(world.grid_worker, case, "verify").json()["status"] == "verified"
    response = post(world.dispatcher, case, "close")
    assert response.json()["status"] == "closed"
    assert_no_personal_data(response)
    response = post(world.dispatcher, duplicate, "merge", merge_into=target.tracking_code)
    assert response.json()["status"] == "merged"
    duplicate.refresh_from_db()
    assert duplicate.merged_into == target


def test_return_takes_the_case_out_of_the_handlers_sight(world):
    case = dispatched(world)
    response = post(world.handler, case, "return", reason="不属于本单位职责")
    assert response.status_code == 200
    assert response.json() == response.json() | {"status": "returned", "visible": False}
    assert client_for(world.handler).get(detail_url(case)).status_code == 404


def _unchanged(case, before: int) -> None:
    fresh = Case.objects.get(pk=case.pk)
    assert fresh.status == case.status
    assert TimelineEntry.objects.filter(case=case).count() == before


def test_illegal_step_is_409_and_changes_nothing(world):
    case = submit(world)
    before = case.timeline.count()
    response = post(world.dispatcher, case, "close")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert response.json()["message"]
    _unchanged(case, before)


def test_missing_reason_is_400_and_changes_nothing(world):
    case = submit(world)
    before = case.timeline.count()
    response = post(world.dispatcher, case, "reject")
    assert response.status_code == 400
    assert response.json()["field"] == "reason"
    _unchanged(case, before)
    response = post(world.dispatcher, case, "reject", reason="x" * 501)
    assert response.status_code == 400
    _unchanged(case, before)


def test_bad_dispatch_input_is_400_and_changes_nothing(world):
    case = step(submit(world), "register", world.dispatcher)
    before = case.timeline.count()
    for data in ({"department": "nope"}, {"department": "drainage", "assisting": ["nope"]}):
        response = post(world.dispatcher, case, "dispatch", **data)
        assert response.status_code == 400
        _unchanged(case, before)
    response = post(world.dispatcher, case, "merge", merge_into="NOSUCHCODE")
    assert response.status_code == 400
    assert response.json()["field"] == "merge_into"
    _unchanged(case, before)


def test_steps_out_of_scope_are_404_and_change_nothing(world):
    case = dispatched(world)
    before = case.timeline.count()
    refusals = [
        (world.other_dispatcher, "suspend", {"reason": "x"}),
        (world.other_handler, "accept", {}),
        (world.leader, "suspend", {"reason": "x"}),  # a leader sees but never changes
        (world.resident, "accept", {}),
        (world.other_dispatcher, "supervise", {"note": "抓紧"}),
    ]
    for user, action, data in refusals:
        response = post(user, case, action, **data)
        assert response.status_code == 404, (user.role, action, response.content)
        assert case.tracking_code not in response.content.decode()
        _unchanged(case, before)
    missing = Case(pk=999999, status="submitted")
    assert post(world.dispatcher, missing, "register").status_code == 404


def test_leader_supervises(world):
    case = submit(world)
    response = post(world.leader, case, "supervise", note="请尽快处理")
    assert response.status_code == 200
    assert response.json()["supervised"] is True
    assert post(world.leader, case, "supervise").status_code == 400


def test_form_encoded_steps_work_too(world):
    case = submit(world)
    response = client_for(world.dispatcher).post(
        step_url(case, "register"), "note=ok", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200


def test_body_must_be_a_json_object(world):
    case = submit(world)
    response = client_for(world.dispatcher).post(
        step_url(case, "register"), json.dumps([1]), content_type="application/json"
    )
    assert response.status_code == 400


# --- inbox, categories, schema ---------------------------------------------------------------


def test_inbox_counts_per_tab(world):
    submit(world)
    dispatched(world)
    body = client_for(world.dispatcher).get("/api/v1/cases/inbox/").json()
    assert body["role"] == "dispatcher"
    counts = {t["key"]: t["count"] for t in body["tabs"]}
    assert counts["to_register"] == 1
    assert counts["open"] == 2
    assert counts["all"] == 2
    body = client_for(world.other_handler).get("/api/v1/cases/inbox/").json()
    assert {t["key"]: t["count"] for t in body["tabs"]}["to_accept"] == 0
    body = client_for(world.handler).get("/api/v1/cases/inbox/").json()
    tabs = {t["key"]: t for t in body["tabs"]}
    assert tabs["to_accept"]["count"] == 1
    assert tabs["returned"]["kind"] == "returns"


def test_categories_are_public(world):
    response = client_for(None).get("/api/v1/cases/categories/")
    assert response.status_code == 200
    keys = {c["key"] for c in response.json()}
    assert "event:0404" in keys


def test_schema_documents_the_endpoints(world):
    response = client_for(None).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for p in (
        "/api/v1/cases/",
        "/api/v1/cases/{id}/",
        "/api/v1/cases/{id}/dispatch/",
        "/api/v1/cases/inbox/",
        "/api/v1/cases/categories/",
    ):
        assert p in paths
    params = {p["name"] for p in paths["/api/v1/cases/{id}/accept/"]["post"]["parameters"]}
    assert "Idempotency-Key" in params


def test_a_dispatcher_reopens_a_rated_case_and_reporter_steps_are_not_routed(world):
    from grassroots.cases.services import REPORTER, case_transition

    case = dispatched(world)
    case = step(case, "accept", world.handler)
    case = step(case, "handle", world.handler, note="已疏通")
    case = step(case, "verify", world.grid_worker)
    case = step(case, "close", world.dispatcher)
    case = case_transition(case=case, action="rate", actor=REPORTER, rating="dissatisfied")
    for action in ("rate", "withdraw"):
        assert post(world.dispatcher, case, action).status_code == 404
    assert post(world.dispatcher, case, "reopen").status_code == 400
    response = post(world.dispatcher, case, "reopen", reason="群众不满意，重新处理")
    assert response.status_code == 200
    assert response.json()["status"] == "reopened"
