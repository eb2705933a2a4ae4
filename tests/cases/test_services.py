"""Intake and transitions through the services: the closed loop end to end, and its refusals."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.cases import services
from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, CaseAssignment, TimelineEntry
from grassroots.cases.notify import MemoryBackend
from grassroots.cases.services import REPORTER, Actor, case_submit, case_transition
from grassroots.core.errors import (
    Conflict,
    NotFound,
    OutsideJurisdiction,
    PermissionDeniedError,
    ValidationFailed,
)

from .factories import category, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def submit(world, **kwargs):
    lon, lat = world.point
    params = dict(
        category=category("event", "0404"),
        description="小区门口下水道堵了，污水冒出来",
        channel=Channel.WEB,
        lon=lon,
        lat=lat,
        reporter_phone="13812345678",
    )
    params.update(kwargs)
    return case_submit(**params)


def step(case, action, user=None, **kwargs):
    actor = Actor.of(user) if user is not None else REPORTER
    return case_transition(case=case, action=action, actor=actor, **kwargs)


def to_closed(world, case, *, result: str):
    """Dispatch → accept → handle → verify → close, by the right people."""
    case = step(case, "dispatch", world.dispatcher)
    case = step(case, "accept", world.handler)
    case = step(case, "handle", world.handler, note=result)
    case = step(case, "verify", world.grid_worker)
    return step(case, "close", world.dispatcher)


def test_resident_report_is_located_owned_and_recorded(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(world)
    assert case.status == CaseStatus.SUBMITTED
    assert (case.grid, case.community, case.street) == (world.grid, world.community, world.street)
    assert case.owner_unit == world.community  # 首问负责: the community owns it
    assert len(case.tracking_code) == 10
    assert "13812345678" not in case.reporter_phone_encrypted
    assert case.timeline.get().action == "submit"
    assert MemoryBackend.outbox[-1].tracking_code == case.tracking_code


def test_full_loop(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = submit(world)
        case = step(case, "register", world.dispatcher)
        case = step(case, "dispatch", world.dispatcher)
        assert case.department == world.drainage
        assert case.resolve_due > case.dispatched_at
        case = step(case, "accept", world.handler)
        assert case.responded_at is not None
        case = step(case, "handle", world.handler, note="已疏通")
        case = step(case, "verify", world.grid_worker)
        case = step(case, "close", world.dispatcher)
        case = step(case, "rate", rating="satisfied", note="很快")
    assert case.status == CaseStatus.RATED
    actions = list(case.timeline.values_list("action", flat=True))
    assert actions == [
        "submit",
        "register",
        "dispatch",
        "accept",
        "handle",
        "verify",
        "close",
        "rate",
    ]
    statuses = list(case.timeline.values_list("to_status", flat=True))
    assert statuses[-1] == "rated"
    assert len(MemoryBackend.outbox) == 8


def test_patrol_report_is_registered_at_once(world):
    case = submit(world, channel=Channel.PATROL, entered_by=world.grid_worker, reporter_phone="")
    assert case.status == CaseStatus.REGISTERED
    assert case.owner_unit == world.grid  # the grid worker's unit received it
    assert [e.action for e in case.timeline.all()] == ["submit", "register"]


def test_hotline_operator_records_channel_and_operator(world):
    case = submit(world, channel=Channel.HOTLINE, entered_by=world.operator)
    assert case.entered_by == world.operator
    assert case.owner_unit == world.district
    assert case.timeline.get().actor == world.operator


def test_staff_channel_refused_to_residents(world):
    with pytest.raises(ValidationFailed) as exc:
        submit(world, channel=Channel.HOTLINE, entered_by=world.resident)
    assert exc.value.field == "channel"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"description": "堵"}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"lon": None, "lat": None, "address": ""}, "location"),
        ({"reporter_phone": "12ab"}, "phone"),
        ({"channel": "pigeon"}, "channel"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(world, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        submit(world, **kwargs)
    assert exc.value.field == field
    assert Case.objects.count() == 0 and TimelineEntry.objects.count() == 0


def test_point_outside_the_district(world):
    with pytest.raises(OutsideJurisdiction):
        submit(world, lon=118.0, lat=39.0)
    assert Case.objects.count() == 0


def test_address_only_report_lands_at_the_root(world):
    case = submit(world, lon=None, lat=None, address="东街道花园社区3号楼")
    assert case.area == world.district and case.grid is None


def test_illegal_transition_is_409_and_writes_nothing(world):
    case = submit(world)
    before = TimelineEntry.objects.count()
    with pytest.raises(Conflict) as exc:
        step(case, "close", world.dispatcher)
    assert exc.value.status_code == 409
    assert TimelineEntry.objects.count() == before
    assert Case.objects.get(pk=case.pk).status == CaseStatus.SUBMITTED


def test_handler_of_another_department_cannot_touch_it(world):
    case = step(step(submit(world), "register", world.dispatcher), "dispatch", world.dispatcher)
    with pytest.raises(NotFound):
        step(case, "accept", world.other_handler)


def test_wrong_role_is_refused(world):
    case = submit(world)
    with pytest.raises(PermissionDeniedError):
        step(case, "register", world.leader)


def test_return_needs_a_reason_and_clears_the_department(world):
    case = step(step(submit(world), "register", world.dispatcher), "dispatch", world.dispatcher)
    with pytest.raises(ValidationFailed):
        step(case, "return", world.handler)
    case = step(case, "return", world.handler, reason="不属于本单位管辖")
    assert case.status == CaseStatus.RETURNED and case.department is None
    assert case.return_count == 1
    assert not CaseAssignment.objects.filter(case=case, is_active=True).exists()
    case = step(case, "dispatch", world.dispatcher, department=world.sanitation)
    assert case.department == world.sanitation


def test_joint_handling_sets_lead_and_assisting(world):
    case = step(submit(world), "register", world.dispatcher)
    case = step(
        case, "dispatch", world.dispatcher, department=world.drainage, assisting=[world.sanitation]
    )
    roles = dict(CaseAssignment.objects.filter(case=case).values_list("department__key", "role"))
    assert roles == {"drainage": "lead", "sanitation": "assist"}


def test_suspension_pauses_the_clock(world):
    now = timezone.now()
    case = step(submit(world), "register", world.dispatcher, now=now)
    case = step(case, "dispatch", world.dispatcher, now=now)
    due = case.resolve_due
    case = step(case, "suspend", world.dispatcher, reason="等待产权单位确认", now=now)
    case = step(case, "resume", world.dispatcher, now=now + timedelta(hours=5))
    assert case.status == CaseStatus.DISPATCHED
    assert case.resolve_due == due + timedelta(hours=5)


def test_dissatisfied_rating_reopens_once(world):
    case = step(submit(world), "register", world.dispatcher)
    case = to_closed(world, case, result="已处理")
    case = step(case, "rate", rating="dissatisfied", note="还是堵")
    case = step(case, "reopen", reason="问题没有解决")
    assert case.status == CaseStatus.REOPENED and case.reopen_count == 1
    case = to_closed(world, case, result="更换管道")
    case = step(case, "rate", rating="dissatisfied")
    with pytest.raises(ValidationFailed):
        step(case, "reopen", reason="还是不行")


def test_rating_must_be_one_of_three(world):
    case = step(submit(world), "register", world.dispatcher)
    case = to_closed(world, case, result="已处理")
    with pytest.raises(ValidationFailed):
        step(case, "rate", rating="meh")


def test_merged_duplicates_share_the_result_and_reporters_are_told(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        main = step(submit(world), "register", world.dispatcher)
        dup = submit(world, reporter_phone="13900001111")
        dup = step(dup, "merge", world.dispatcher, merge_into=main)
        assert dup.status == CaseStatus.MERGED
        main = step(main, "dispatch", world.dispatcher)
        main = step(main, "accept", world.handler)
        main = step(main, "handle", world.handler, note="已疏通")
        main = step(main, "verify", world.grid_worker)
        MemoryBackend.outbox.clear()
        main = step(main, "close", world.dispatcher)
    dup.refresh_from_db()
    assert dup.result == "已疏通" and dup.closed_at is not None
    told = {m.tracking_code for m in MemoryBackend.outbox}
    assert told == {main.tracking_code, dup.tracking_code}


def test_supervise_and_escalate_overdue(world):
    now = timezone.now()
    case = step(submit(world), "register", world.dispatcher, now=now - timedelta(days=10))
    case = step(case, "dispatch", world.dispatcher, now=now - timedelta(days=10))
    assert case.resolve_due < now
    assert services.overdue_escalate(now=now) == 1
    case.refresh_from_db()
    assert case.owner_unit == world.street and case.supervised
    assert case.timeline.filter(action="escalate", is_public=False).count() == 1
    # the same day's sweep does not escalate twice at the same level
    assert services.overdue_escalate(now=now) == 1  # next level: the district
    assert services.overdue_escalate(now=now) == 0
    with pytest.raises(ValidationFailed):
        services.case_supervise(case=case, actor=Actor.of(world.leader), note=" ")
    services.case_supervise(case=case, actor=Actor.of(world.leader), note="请三日内办结")
    assert case.timeline.filter(action="supervise").count() == 1


def test_case_get_for_update_is_scoped(world):
    case = submit(world)
    assert services.case_get_for_update(case_id=case.pk, user=world.community_dispatcher) == case
    for outsider in (world.other_dispatcher, world.leader, world.resident, world.handler):
        with pytest.raises(NotFound):
            services.case_get_for_update(case_id=case.pk, user=outsider)
    with pytest.raises(NotFound):
        services.case_get_for_update(case_id=999999, user=world.dispatcher)
