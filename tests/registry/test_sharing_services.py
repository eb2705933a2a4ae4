"""The life of a sharing request: submit, approve (possibly narrower), refuse, withdraw,
revoke — each with its audit row, and each refusal from the same setup; the scopes of
requests, grants and the access log; the usage report."""

# ruff: noqa: F811  (the ``world`` fixture is imported from test_sharing_world)
from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from grassroots.registry import catalogue, sharing
from grassroots.registry.models import AccessLog, AccessRequest, Grant, RequestStatus

from .test_sharing_world import make_grant, today, world  # noqa: F401

pytestmark = pytest.mark.django_db


def submit(world, **kwargs) -> AccessRequest:
    params = dict(
        user=world.handler,
        dataset="person",
        fields=["name", "id_number", "phone"],
        full_fields=[],
        purpose="低保复核：核对救助对象的居住和联系情况",
        scenario="社会救助",
        legal_basis="《社会救助暂行办法》第十一条",
        valid_from=today(),
        valid_until=today() + timedelta(days=90),
    )
    params.update(kwargs)
    return sharing.access_request_submit(**params)


# --- submit ---------------------------------------------------------------------------------


def test_submit_records_a_pending_request_with_an_audit_row(world):
    req = submit(world, fields=["phone", "name", "name"], full_fields=["phone"])
    assert req.status == RequestStatus.PENDING
    assert req.department == world.civil and req.requested_by == world.handler
    assert req.fields == ["name", "phone"]  # catalogue order, no repeats
    assert req.full_fields == ["phone"]
    event = AuditEvent.objects.get(action="registry.sharing.request")
    assert event.actor == world.handler and event.target_id == str(req.pk)
    assert event.detail["fields"] == ["name", "phone"]


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"fields": []}, "fields", "至少选择一个字段"),
        ({"fields": ["name", "salary"]}, "fields", "salary"),
        ({"purpose": "查一下"}, "purpose", "至少 10 个字"),
        ({"purpose": "          "}, "purpose", "用途"),
        ({"scenario": " "}, "scenario", "应用场景"),
        ({"legal_basis": ""}, "legal_basis", "依据"),
        ({"full_fields": ["name"]}, "full_fields", "敏感字段"),
        ({"full_fields": ["tags"]}, "full_fields", "tags"),
        ({"dataset": "source_record", "fields": ["name"]}, "dataset", "不予共享"),
        ({"dataset": "salaries"}, "dataset", "未知的数据集"),
        ({"valid_until": None}, "valid_from", "日期"),
    ],
)
def test_submit_refuses_bad_input_in_chinese(world, kwargs, field, words):
    with pytest.raises(ValidationFailed) as info:
        submit(world, **kwargs)
    assert info.value.field == field
    assert words in str(info.value.message)
    assert not AccessRequest.objects.exists()


def test_submit_refuses_a_reversed_long_or_past_period(world):
    with pytest.raises(ValidationFailed, match="不能早于开始日期"):
        submit(world, valid_from=today() + timedelta(days=5), valid_until=today())
    with pytest.raises(ValidationFailed, match="最长 365 天"):
        submit(world, valid_until=today() + timedelta(days=365))
    with pytest.raises(ValidationFailed, match="不能早于今天"):
        submit(world, valid_from=today() - timedelta(days=1))
    assert submit(world, valid_until=today() + timedelta(days=364)).pk


def test_period_cap_is_a_setting(world, settings):
    settings.REGISTRY_GRANT_MAX_DAYS = 30
    with pytest.raises(ValidationFailed, match="最长 30 天"):
        submit(world, valid_until=today() + timedelta(days=30))


def test_unconditional_fields_need_no_legal_basis(world):
    req = submit(world, dataset="facility", fields=["code", "status"], legal_basis="")
    assert req.status == RequestStatus.PENDING
    with pytest.raises(ValidationFailed) as info:
        submit(world, dataset="house", fields=["address", "owner_name"], legal_basis="")
    assert info.value.field == "legal_basis"


@pytest.mark.parametrize("who", ["steward", "admin", "leader", "dispatcher", "resident"])
def test_only_department_handlers_submit(world, who):
    with pytest.raises(PermissionDeniedError):
        submit(world, user=getattr(world, who))


# --- approve --------------------------------------------------------------------------------


def test_approve_grants_what_was_asked(world):
    req = submit(world, full_fields=["id_number"])
    grant = sharing.access_request_approve(user=world.steward, request_id=req.pk, note="同意")
    req.refresh_from_db()
    assert req.status == RequestStatus.GRANTED and req.decided_by == world.steward
    assert req.decided_at is not None and req.decision_reason == "同意"
    assert grant.fields == ["name", "id_number", "phone"]
    assert grant.full_fields == ["id_number"]
    assert (grant.valid_from, grant.valid_until) == (req.valid_from, req.valid_until)
    assert grant.department == world.civil and grant.granted_by == world.steward
    event = AuditEvent.objects.get(action="registry.sharing.grant")
    assert event.detail["grant"] == grant.pk and event.detail["narrowed"] is False


def test_approve_fewer_fields_and_a_shorter_period(world):
    req = submit(world, full_fields=["id_number"])
    grant = sharing.access_request_approve(
        user=world.admin,
        request_id=req.pk,
        fields=["name", "id_number"],
        full_fields=[],
        valid_until=today() + timedelta(days=30),
    )
    assert grant.fields == ["name", "id_number"] and grant.full_fields == []
    assert grant.valid_until == today() + timedelta(days=30)
    assert AuditEvent.objects.get(action="registry.sharing.grant").detail["narrowed"] is True


def test_full_value_not_granted_unless_asked(world):
    req = submit(world)
    with pytest.raises(ValidationFailed) as info:
        sharing.access_request_approve(
            user=world.steward, request_id=req.pk, full_fields=["id_number"]
        )
    assert info.value.field == "full_fields"


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"fields": []}, "fields"),
        ({"fields": ["name", "tags"]}, "fields"),
        ({"valid_until": "late"}, "valid_until"),
        ({"valid_from": "early"}, "valid_until"),
        ({"valid_until": "reversed"}, "valid_until"),
    ],
)
def test_approve_refuses_more_than_was_asked(world, kwargs, field):
    req = submit(world, valid_from=today() + timedelta(days=2))
    periods = {
        "late": req.valid_until + timedelta(days=1),
        "early": today(),
        "reversed": today() + timedelta(days=1),
    }
    kwargs = {k: periods.get(v, v) if isinstance(v, str) else v for k, v in kwargs.items()}
    with pytest.raises(ValidationFailed) as info:
        sharing.access_request_approve(user=world.steward, request_id=req.pk, **kwargs)
    assert info.value.field == field
    req.refresh_from_db()
    assert req.status == RequestStatus.PENDING and not Grant.objects.exists()


@pytest.mark.parametrize("who", ["leader", "handler", "health_handler", "dispatcher"])
def test_only_approvers_decide(world, who):
    req = submit(world)
    user = getattr(world, who)
    with pytest.raises((PermissionDeniedError, NotFound)):
        sharing.access_request_approve(user=user, request_id=req.pk)
    with pytest.raises((PermissionDeniedError, NotFound)):
        sharing.access_request_refuse(user=user, request_id=req.pk, reason="不同意")
    assert AccessRequest.objects.get(pk=req.pk).status == RequestStatus.PENDING


@pytest.mark.parametrize("who", ["far_steward", "street_steward"])
def test_approvers_outside_the_departments_jurisdiction_see_nothing(world, who):
    req = submit(world)
    with pytest.raises(NotFound):
        sharing.access_request_approve(user=getattr(world, who), request_id=req.pk)
    with pytest.raises(NotFound):
        sharing.access_request(getattr(world, who), req.pk)


def test_a_decided_request_cannot_be_decided_again(world):
    req = submit(world)
    sharing.access_request_approve(user=world.steward, request_id=req.pk)
    with pytest.raises(Conflict):
        sharing.access_request_approve(user=world.steward, request_id=req.pk)
    with pytest.raises(Conflict):
        sharing.access_request_refuse(user=world.steward, request_id=req.pk, reason="不同意")
    with pytest.raises(Conflict):
        sharing.access_request_withdraw(user=world.handler, request_id=req.pk)
    assert Grant.objects.count() == 1


# --- refuse, withdraw -----------------------------------------------------------------------


def test_refuse_needs_a_reason(world):
    req = submit(world)
    with pytest.raises(ValidationFailed) as info:
        sharing.access_request_refuse(user=world.steward, request_id=req.pk, reason="  ")
    assert info.value.field == "reason" and "拒绝理由" in str(info.value.message)
    req = sharing.access_request_refuse(
        user=world.steward, request_id=req.pk, reason="用途不需要身份证号"
    )
    assert req.status == RequestStatus.REFUSED and req.decision_reason == "用途不需要身份证号"
    event = AuditEvent.objects.get(action="registry.sharing.refuse")
    assert event.reason == "用途不需要身份证号" and event.actor == world.steward
    assert not Grant.objects.exists()


def test_withdraw_by_the_asking_department_only(world):
    req = submit(world)
    with pytest.raises(NotFound):
        sharing.access_request_withdraw(user=world.health_handler, request_id=req.pk)
    with pytest.raises(PermissionDeniedError):
        sharing.access_request_withdraw(user=world.steward, request_id=req.pk)
    req = sharing.access_request_withdraw(user=world.handler2, request_id=req.pk)
    assert req.status == RequestStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="registry.sharing.withdraw").count() == 1
    with pytest.raises(Conflict):
        sharing.access_request_approve(user=world.steward, request_id=req.pk)


# --- revoke ---------------------------------------------------------------------------------


def test_revoke_ends_the_grant_with_a_reason(world):
    grant = sharing.access_request_approve(user=world.steward, request_id=submit(world).pk)
    with pytest.raises(ValidationFailed):
        sharing.grant_revoke(user=world.steward, grant_id=grant.pk, reason="")
    with pytest.raises(PermissionDeniedError):
        sharing.grant_revoke(user=world.handler, grant_id=grant.pk, reason="不用了")
    with pytest.raises(NotFound):
        sharing.grant_revoke(user=world.far_steward, grant_id=grant.pk, reason="不用了")
    grant = sharing.grant_revoke(user=world.admin, grant_id=grant.pk, reason="发现超范围使用")
    assert grant.revoked_at is not None and grant.revoked_by == world.admin
    assert sharing.grant_state(grant) == "revoked" and not grant.is_active_on()
    assert AuditEvent.objects.get(action="registry.sharing.revoke").reason == "发现超范围使用"
    with pytest.raises(Conflict):
        sharing.grant_revoke(user=world.steward, grant_id=grant.pk, reason="再次")
    with pytest.raises(PermissionDeniedError) as info:
        sharing.reader_for(user=world.handler, dataset="person")
    assert info.value.code == "grant_revoked"


def test_grant_states(world):
    grant = make_grant(world.civil, valid_from=today(), valid_until=today() + timedelta(days=3))
    assert sharing.grant_state(grant) == "active"
    assert sharing.grant_state(grant, today() + timedelta(days=3)) == "active"
    assert sharing.grant_state(grant, today() + timedelta(days=4)) == "expired"
    assert sharing.grant_state(grant, today() - timedelta(days=1)) == "not_started"


# --- scopes ---------------------------------------------------------------------------------


def test_request_scope_by_role(world):
    mine = submit(world)
    theirs = submit(world, user=world.health_handler)
    far = submit(world, user=world.far_handler)
    visible = {
        who: set(sharing.request_scope(getattr(world, who)).values_list("pk", flat=True))
        for who in (
            "handler",
            "handler2",
            "health_handler",
            "steward",
            "admin",
            "leader",
            "street_steward",
            "far_steward",
            "dispatcher",
            "grid_worker",
            "resident",
        )
    }
    assert visible["handler"] == visible["handler2"] == {mine.pk}
    assert visible["health_handler"] == {theirs.pk}
    assert visible["steward"] == visible["admin"] == visible["leader"] == {mine.pk, theirs.pk}
    assert visible["far_steward"] == {far.pk}
    for nobody in ("street_steward", "dispatcher", "grid_worker", "resident"):
        assert visible[nobody] == set(), nobody
    assert sharing.can_decide(world.steward, mine)
    assert not sharing.can_decide(world.leader, mine)
    assert not sharing.can_decide(world.far_steward, mine)


def test_log_scope(world):
    make_grant(world.civil, fields=["name"])
    make_grant(world.health, fields=["name"])
    for user in (world.handler, world.health_handler, world.steward, world.far_steward):
        reader = sharing.reader_for(user=user, dataset="person")
        sharing.read_rows(reader, list(reader.records))
    civil = set(sharing.log_scope(world.handler).values_list("department_id", flat=True))
    assert civil == {world.civil.pk}
    assert sharing.log_scope(world.steward).count() == AccessLog.objects.count() - 1
    far = sharing.log_scope(world.far_steward)
    assert [(log.user_id, log.record_id) for log in far] == [
        (world.far_steward.pk, world.far_person.pk)
    ]
    assert not sharing.log_scope(world.dispatcher).exists()


# --- the usage report -----------------------------------------------------------------------


def test_usage_report_counts_reads_by_department_grant_dataset_and_field(world):
    civil = make_grant(world.civil, fields=["name", "id_number"], full_fields=["id_number"])
    health = make_grant(world.health, fields=["name"])
    for user in (world.handler, world.handler2):
        reader = sharing.reader_for(user=user, dataset="person")
        sharing.read_rows(reader, list(reader.records))  # 2 records each
    reader = sharing.reader_for(user=world.health_handler, dataset="person")
    sharing.read_rows(reader, [world.person])
    old = AccessLog.objects.create(
        at=timezone.now() - timedelta(days=40),
        user=world.handler,
        department=world.civil,
        grant=civil,
        dataset="person",
        record_type="person",
        record_id=world.person.pk,
        fields=["name"],
    )
    report = sharing.usage_report(
        world.steward, date_from=today() - timedelta(days=7), date_until=today()
    )
    rows = {(r.department.key, r.grant.pk): r for r in report.rows}
    assert set(rows) == {("civil", civil.pk), ("health", health.pk)}
    row = rows[("civil", civil.pk)]
    assert (row.reads, row.records, row.full_reads) == (4, 2, 4)
    assert row.fields == {"name": 4, "id_number": 4}
    assert row.dataset_name == "实有人口"
    assert rows[("health", health.pk)].fields == {"name": 1}
    assert report.total_reads == 5
    assert len(report.recent) == 5 and old not in report.recent
    mine = sharing.usage_report(world.handler, date_from=today(), date_until=today())
    assert {r.department.key for r in mine.rows} == {"civil"}
    assert sharing.usage_report(world.far_steward, date_from=today(), date_until=today()).rows == []
    with pytest.raises(ValidationFailed):
        sharing.usage_report(world.steward, date_from=today(), date_until=today() - timedelta(1))


def test_catalogue_is_consistent():
    for ds in catalogue.DATASETS:
        keys = ds.field_keys
        assert len(keys) == len(set(keys)), ds.key
        model_fields = {f.name for f in ds.model._meta.get_fields()}
        assert "grid" in model_fields or ds.key == "source_record"
        for spec in ds.fields:
            assert str(spec.label) and str(spec.description)
            if spec.is_sensitive:
                assert spec.masked is not None, spec.key
    person = catalogue.dataset("person")
    assert set(person.sensitive_keys) == {"id_number", "phone", "tags"}
    assert not catalogue.dataset("source_record").is_shared
    assert catalogue.dataset("house").share_for(["address"]) == catalogue.ShareType.UNCONDITIONAL
    assert (
        catalogue.dataset("house").share_for(["address", "owner_name"])
        == catalogue.ShareType.CONDITIONAL
    )
