"""Data sharing (数据共享): the services and selectors every sharing page and endpoint calls.

Services (each in one transaction with its audit row):
``access_request_submit`` (a department handler asks), ``access_request_approve`` (an
approver grants, possibly fewer fields and a shorter period), ``access_request_refuse``
(with a reason), ``access_request_withdraw`` (the asking department, while pending),
``grant_revoke`` (an approver, with a reason).

Selectors: ``request_scope`` / ``grant_scope`` / ``log_scope`` (what a user may see of
requests, grants and the access log — through ``core.scope``), ``reader_for`` (who reads
which fields of which records: a department under a grant in force, or a data steward
within their own data scope), ``read_rows`` (the values of the records read, logged in
``AccessLog`` in the same call — nothing reads shared records without it) and
``usage_report``.

Who may do what:
- ask: a department handler (``Role.DEPT_HANDLER``) for their own department;
- decide, revoke: a data steward or administrator whose unit contains the asking
  department's jurisdiction (and the platform's superuser);
- see requests and grants: the asking department's handlers, and data stewards,
  administrators and leaders above the department's jurisdiction;
- read records: a department handler under a grant of their department in force, only the
  granted fields, only records in the department's jurisdiction; a data steward or
  administrator every shareable field of the records in their data scope, sensitive ones
  masked.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.audit.services import audit_record
from grassroots.core.crypto import blind_index
from grassroots.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDeniedError,
    ValidationFailed,
)
from grassroots.core.scope import Action, scope_q, scoped
from grassroots.org.choices import Role
from grassroots.org.models import Department, Unit

from . import catalogue
from .catalogue import Dataset, ShareType
from .models_sharing import AccessChannel, AccessLog, AccessRequest, Grant, RequestStatus
from .validators import normalise_id_number, normalise_phone

REQUESTER_ROLES = frozenset({Role.DEPT_HANDLER})
APPROVER_ROLES = frozenset({Role.DATA_STEWARD, Role.ADMIN})
# Roles that read records within their own data scope, without a grant.
STEWARD_READER_ROLES = frozenset({Role.DATA_STEWARD, Role.ADMIN})
# Roles that see requests, grants and the usage report (each within its scope).
SHARING_ROLES = frozenset({Role.DEPT_HANDLER, Role.DATA_STEWARD, Role.ADMIN, Role.LEADER})
PURPOSE_MIN_CHARS = 10
LOOKUP_MAX_RESULTS = 20
RECENT_ACCESSES = 20


def grant_max_days() -> int:
    """The longest period a request may ask for and a grant may run (days, inclusive)."""
    return int(getattr(settings, "REGISTRY_GRANT_MAX_DAYS", 365))


def _is_superuser(user: Any) -> bool:
    return bool(getattr(user, "is_superuser", False) and getattr(user, "is_active", False))


def _role(user: Any) -> str:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ""
    return str(getattr(user, "role", ""))


def _error(cls: type[DomainError], code: str, message: str, **kwargs: Any) -> DomainError:
    exc = cls(message, **kwargs)
    exc.code = code
    return exc


# --- scope: what a user may see ---------------------------------------------------------------


def is_sharing_user(user: Any) -> bool:
    return _is_superuser(user) or _role(user) in SHARING_ROLES


def is_approver(user: Any) -> bool:
    return _is_superuser(user) or _role(user) in APPROVER_ROLES


M = TypeVar("M", AccessRequest, Grant)


def _decision_scope(user: Any, qs: QuerySet[M], action: Action) -> QuerySet[M]:
    """Requests and grants share one rule: sharing users see those of departments in their
    scope (a handler: their own department's); only approvers decide, within their units."""
    if not is_sharing_user(user):
        return qs.none()
    if action == Action.CHANGE and not is_approver(user):
        return qs.none()
    return scoped(
        user,
        qs,
        unit_field="department__jurisdiction",
        department_field=None if action == Action.CHANGE else "department",
        action=action,
    )


def request_scope(user: Any, *, action: Action = Action.VIEW) -> QuerySet[AccessRequest]:
    """The access requests ``user`` may see (or, with ``action=CHANGE``, decide on)."""
    qs = AccessRequest.objects.select_related(
        "department__jurisdiction", "requested_by", "decided_by"
    )
    return _decision_scope(user, qs, action)


def grant_scope(user: Any, *, action: Action = Action.VIEW) -> QuerySet[Grant]:
    """The grants ``user`` may see (or, with ``action=CHANGE``, revoke)."""
    qs = Grant.objects.select_related("department__jurisdiction", "request", "granted_by")
    return _decision_scope(user, qs, action)


def log_scope(user: Any) -> QuerySet[AccessLog]:
    """The access-log rows ``user`` may see: reads by departments in scope (a handler: their
    own department's), and reads by staff whose home unit is in scope."""
    qs = AccessLog.objects.all()
    if not is_sharing_user(user):
        return qs.none()
    if _is_superuser(user):
        return qs
    by_department = scope_q(
        user, unit_field="department__jurisdiction", department_field="department"
    )
    by_staff = Q(department__isnull=True) & scope_q(user, unit_field="user__unit")
    return qs.filter(by_department | by_staff)


def access_request(user: Any, pk: int) -> AccessRequest:
    """One request in ``user``'s scope; unknown and out of scope are the same 404."""
    found = request_scope(user).filter(pk=pk).first()
    if found is None:
        raise NotFound(_("找不到该共享申请。"))
    return found


def can_decide(user: Any, req: AccessRequest) -> bool:
    return request_scope(user, action=Action.CHANGE).filter(pk=req.pk).exists()


def can_withdraw(user: Any, req: AccessRequest) -> bool:
    return (
        req.status == RequestStatus.PENDING
        and _role(user) in REQUESTER_ROLES
        and user.department_id == req.department_id
    )


def grant_state(grant: Grant, today: date | None = None) -> str:
    """``active``, ``revoked``, ``expired`` or ``not_started``."""
    today = today or timezone.localdate()
    if grant.revoked_at is not None:
        return "revoked"
    if today > grant.valid_until:
        return "expired"
    if today < grant.valid_from:
        return "not_started"
    return "active"


GRANT_STATE_LABELS: dict[str, Promise] = {
    "active": gettext_lazy("生效中"),
    "revoked": gettext_lazy("已撤销"),
    "expired": gettext_lazy("已到期"),
    "not_started": gettext_lazy("未生效"),
}


def grant_state_label(state: str) -> str:
    return str(GRANT_STATE_LABELS[state])


# --- validation shared by request and grant ------------------------------------------------


def _ordered_fields(ds: Dataset, keys: list[str] | tuple[str, ...]) -> list[str]:
    """Known keys in catalogue order, then unknown ones (for the error), without repeats."""
    wanted = [str(k).strip() for k in keys if str(k).strip()]
    known = [k for k in ds.field_keys if k in wanted]
    unknown = [k for k in dict.fromkeys(wanted) if k not in ds.field_keys]
    return known + unknown


def _check_fields(ds: Dataset, fields: list[str], full_fields: list[str]) -> None:
    if not fields:
        raise ValidationFailed(_("请至少选择一个字段。"), field="fields")
    unknown = [k for k in fields if ds.field(k) is None]
    if unknown:
        raise ValidationFailed(
            _("这些字段不属于数据集“%(name)s”：%(fields)s。")
            % {"name": ds.name, "fields": "、".join(unknown)},
            field="fields",
        )
    refused = [k for k in fields if k not in ds.shareable_keys]
    if refused:
        raise ValidationFailed(
            _("这些字段不予共享：%(fields)s。") % {"fields": "、".join(refused)}, field="fields"
        )
    not_sensitive = [k for k in full_fields if k not in ds.sensitive_keys or k not in fields]
    if not_sensitive:
        raise ValidationFailed(
            _("只能对已选的敏感字段申请明文：%(fields)s 不符合。")
            % {"fields": "、".join(not_sensitive)},
            field="full_fields",
        )


def _check_period(valid_from: date | None, valid_until: date | None) -> tuple[date, date]:
    if valid_from is None or valid_until is None:
        raise ValidationFailed(_("请填写开始和结束日期。"), field="valid_from")
    if valid_until < valid_from:
        raise ValidationFailed(_("结束日期不能早于开始日期。"), field="valid_until")
    days = (valid_until - valid_from).days + 1
    if days > grant_max_days():
        raise ValidationFailed(
            _("期限最长 %(max)d 天，所填期限为 %(days)d 天，请缩短。")
            % {"max": grant_max_days(), "days": days},
            field="valid_until",
        )
    return valid_from, valid_until


def _shared_dataset(key: str) -> Dataset:
    ds = catalogue.dataset(key)
    if ds is None:
        raise ValidationFailed(_("未知的数据集。"), field="dataset")
    if not ds.is_shared:
        raise ValidationFailed(
            _("数据集“%(name)s”不予共享。依据：%(basis)s")
            % {"name": ds.name, "basis": ds.legal_basis},
            field="dataset",
        )
    return ds


# --- services: the request's life -------------------------------------------------------------


def access_request_submit(
    *,
    user: Any,
    dataset: str,
    fields: list[str],
    purpose: str,
    scenario: str,
    valid_from: date | None,
    valid_until: date | None,
    full_fields: list[str] | None = None,
    legal_basis: str = "",
) -> AccessRequest:
    """A department handler asks for fields of a dataset for their department."""
    if _role(user) not in REQUESTER_ROLES or not getattr(user, "department_id", None):
        raise PermissionDeniedError(_("只有部门承办人可以代表本部门申请共享数据。"))
    ds = _shared_dataset(dataset)
    fields = _ordered_fields(ds, fields)
    full = _ordered_fields(ds, full_fields or [])
    _check_fields(ds, fields, full)
    purpose = (purpose or "").strip()
    if len(purpose) < PURPOSE_MIN_CHARS:
        raise ValidationFailed(
            _("请具体说明用途（至少 %(n)d 个字）。") % {"n": PURPOSE_MIN_CHARS}, field="purpose"
        )
    scenario = (scenario or "").strip()
    if not scenario:
        raise ValidationFailed(_("请填写应用场景。"), field="scenario")
    legal_basis = (legal_basis or "").strip()
    if (ds.share_for(fields) == ShareType.CONDITIONAL or full) and not legal_basis:
        raise ValidationFailed(
            _("有条件共享的数据和明文字段须注明依据（法律法规条款或职责文件）。"),
            field="legal_basis",
        )
    valid_from, valid_until = _check_period(valid_from, valid_until)
    if valid_from < timezone.localdate():
        raise ValidationFailed(_("开始日期不能早于今天。"), field="valid_from")
    with transaction.atomic():
        req = AccessRequest.objects.create(
            department_id=user.department_id,
            dataset=ds.key,
            fields=fields,
            full_fields=full,
            purpose=purpose,
            scenario=scenario[:200],
            legal_basis=legal_basis[:300],
            valid_from=valid_from,
            valid_until=valid_until,
            requested_by=user,
        )
        audit_record(
            actor=user,
            action="registry.sharing.request",
            target_type="registry.accessrequest",
            target_id=req.pk,
            detail={
                "dataset": ds.key,
                "fields": fields,
                "full_fields": full,
                "valid_from": valid_from.isoformat(),
                "valid_until": valid_until.isoformat(),
            },
        )
    return req


def _lock_request(user: Any, pk: int, *, action: Action) -> AccessRequest:
    """The request, locked for the decision; 404 when ``user`` cannot see it."""
    access_request(user, pk)
    req = AccessRequest.objects.select_for_update(of=("self",)).filter(pk=pk).first()
    if req is None:  # pragma: no cover - deleted between the two reads
        raise NotFound(_("找不到该共享申请。"))
    if action == Action.CHANGE and not can_decide(user, req):
        raise PermissionDeniedError(_("只有本辖区的数据管理员或系统管理员可以审批共享申请。"))
    return req


def _pending(req: AccessRequest) -> None:
    if req.status != RequestStatus.PENDING:
        raise Conflict(_("该申请已%(status)s，不能再处理。") % {"status": req.get_status_display()})


def access_request_approve(
    *,
    user: Any,
    request_id: int,
    fields: list[str] | None = None,
    full_fields: list[str] | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    note: str = "",
) -> Grant:
    """Grant a pending request: the requested fields or fewer, its period or a shorter one."""
    with transaction.atomic():
        req = _lock_request(user, request_id, action=Action.CHANGE)
        _pending(req)
        ds = _shared_dataset(req.dataset)
        granted = req.fields if fields is None else _ordered_fields(ds, fields)
        if not granted:
            raise ValidationFailed(_("请至少授权一个字段。"), field="fields")
        extra = [k for k in granted if k not in req.fields]
        if extra:
            raise ValidationFailed(
                _("只能授权申请范围内的字段：%(fields)s 未申请。") % {"fields": "、".join(extra)},
                field="fields",
            )
        if full_fields is None:
            full = [k for k in req.full_fields if k in granted]
        else:
            full = _ordered_fields(ds, full_fields)
            extra = [k for k in full if k not in req.full_fields or k not in granted]
            if extra:
                raise ValidationFailed(
                    _("只能对申请了明文且已授权的字段授予明文：%(fields)s 不符合。")
                    % {"fields": "、".join(extra)},
                    field="full_fields",
                )
        _check_fields(ds, granted, full)
        today = timezone.localdate()
        start = valid_from or max(req.valid_from, today)
        end = valid_until or req.valid_until
        start, end = _check_period(start, end)
        if start < req.valid_from or end > req.valid_until:
            raise ValidationFailed(
                _("授权期限须在申请期限（%(start)s 至 %(end)s）之内。")
                % {"start": req.valid_from.isoformat(), "end": req.valid_until.isoformat()},
                field="valid_until",
            )
        if end < today:
            raise ValidationFailed(
                _("授权截止日期已过，请拒绝该申请或重新申请。"), field="valid_until"
            )
        grant = Grant.objects.create(
            request=req,
            department_id=req.department_id,
            dataset=req.dataset,
            fields=granted,
            full_fields=full,
            valid_from=start,
            valid_until=end,
            granted_by=user,
        )
        req.status = RequestStatus.GRANTED
        req.decided_by = user
        req.decided_at = timezone.now()
        req.decision_reason = (note or "").strip()
        req.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
        )
        audit_record(
            actor=user,
            action="registry.sharing.grant",
            target_type="registry.accessrequest",
            target_id=req.pk,
            reason=req.decision_reason[:255],
            detail={
                "grant": grant.pk,
                "dataset": req.dataset,
                "fields": granted,
                "full_fields": full,
                "valid_from": start.isoformat(),
                "valid_until": end.isoformat(),
                "narrowed": granted != req.fields
                or (start, end) != (req.valid_from, req.valid_until),
            },
        )
    return grant


def access_request_refuse(*, user: Any, request_id: int, reason: str) -> AccessRequest:
    reason = (reason or "").strip()
    with transaction.atomic():
        req = _lock_request(user, request_id, action=Action.CHANGE)
        _pending(req)
        if not reason:
            raise ValidationFailed(_("请填写拒绝理由。"), field="reason")
        req.status = RequestStatus.REFUSED
        req.decided_by = user
        req.decided_at = timezone.now()
        req.decision_reason = reason
        req.save(
            update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
        )
        audit_record(
            actor=user,
            action="registry.sharing.refuse",
            target_type="registry.accessrequest",
            target_id=req.pk,
            reason=reason[:255],
        )
    return req


def access_request_withdraw(*, user: Any, request_id: int) -> AccessRequest:
    with transaction.atomic():
        req = _lock_request(user, request_id, action=Action.VIEW)
        if _role(user) not in REQUESTER_ROLES or user.department_id != req.department_id:
            raise PermissionDeniedError(_("只有申请部门可以撤回申请。"))
        _pending(req)
        req.status = RequestStatus.WITHDRAWN
        req.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=user,
            action="registry.sharing.withdraw",
            target_type="registry.accessrequest",
            target_id=req.pk,
        )
    return req


def grant_revoke(*, user: Any, grant_id: int, reason: str) -> Grant:
    reason = (reason or "").strip()
    with transaction.atomic():
        if not grant_scope(user).filter(pk=grant_id).exists():
            raise NotFound(_("找不到该授权。"))
        if not grant_scope(user, action=Action.CHANGE).filter(pk=grant_id).exists():
            raise PermissionDeniedError(_("只有本辖区的数据管理员或系统管理员可以撤销授权。"))
        grant = Grant.objects.select_for_update(of=("self",)).get(pk=grant_id)
        if grant.revoked_at is not None:
            raise Conflict(_("该授权已撤销。"))
        if not reason:
            raise ValidationFailed(_("请填写撤销理由。"), field="reason")
        grant.revoked_at = timezone.now()
        grant.revoked_by = user
        grant.revoke_reason = reason
        grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason", "updated_at"])
        audit_record(
            actor=user,
            action="registry.sharing.revoke",
            target_type="registry.grant",
            target_id=grant.pk,
            reason=reason[:255],
            detail={"request": grant.request_id, "dataset": grant.dataset},
        )
    return grant


# --- reading records --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reader:
    """Who reads which fields of which records, and why (the row every read logs)."""

    user: Any
    dataset: Dataset
    grant: Grant | None
    fields: list[str]
    full_fields: list[str]
    purpose: str
    department_id: int | None
    records: QuerySet[Any] = field(repr=False)

    def require_field(self, key: str) -> None:
        """Refuse a filter or lookup on a field the reader may not read."""
        if key not in self.fields:
            raise _error(
                PermissionDeniedError,
                "field_not_granted",
                _("授权不包含字段“%(field)s”，不能按它筛选或查询。") % {"field": key},
                field=key,
            )


def _check_in_force(grant: Grant) -> None:
    state = grant_state(grant)
    if state == "revoked":
        raise _error(
            PermissionDeniedError,
            "grant_revoked",
            _("授权 #%(id)d 已于 %(date)s 撤销，不能再读取数据。")
            % {"id": grant.pk, "date": timezone.localtime(grant.revoked_at).date().isoformat()},
        )
    if state == "expired":
        raise _error(
            PermissionDeniedError,
            "grant_expired",
            _("授权 #%(id)d 已于 %(date)s 到期，不能再读取数据；如仍需使用请重新申请。")
            % {"id": grant.pk, "date": grant.valid_until.isoformat()},
        )
    if state == "not_started":
        raise _error(
            PermissionDeniedError,
            "grant_not_started",
            _("授权 #%(id)d 自 %(date)s 起生效。")
            % {"id": grant.pk, "date": grant.valid_from.isoformat()},
        )


def grant_in_force(*, user: Any, ds: Dataset, grant_id: int | None = None) -> Grant:
    """The grant of the user's department under which they read ``ds`` now (403 otherwise).

    With ``grant_id``, that grant (it must be the department's own); without, the one
    grant of the department for the dataset in force.
    """
    grants = Grant.objects.filter(department_id=user.department_id, dataset=ds.key)
    grants = grants.select_related("request", "department__jurisdiction")
    if grant_id is not None:
        grant = grants.filter(pk=grant_id).first()
        if grant is None:
            raise _error(
                PermissionDeniedError,
                "no_grant",
                _("贵部门没有编号为 %(id)d 的“%(name)s”授权。") % {"id": grant_id, "name": ds.name},
                field="grant",
            )
        _check_in_force(grant)
        return grant
    found = list(grants.order_by("-valid_until", "-id"))
    active = [g for g in found if grant_state(g) == "active"]
    if len(active) == 1:
        return active[0]
    if len(active) > 1:
        raise ValidationFailed(
            _("贵部门有 %(n)d 项有效的“%(name)s”授权，请用 grant 参数指明使用哪一项。")
            % {"n": len(active), "name": ds.name},
            field="grant",
        )
    if not found:
        raise _error(
            PermissionDeniedError,
            "no_grant",
            _("贵部门没有“%(name)s”的共享授权，请先提出共享申请。") % {"name": ds.name},
        )
    _check_in_force(found[0])
    raise AssertionError("unreachable")  # pragma: no cover


def _base_records(ds: Dataset, fields: list[str]) -> QuerySet[Any]:
    qs = ds.model._default_manager.filter(is_active=True)
    related = ds.related_for(fields)
    if related:
        qs = qs.select_related(*related)
    return qs.order_by("id")


def reader_for(*, user: Any, dataset: str, grant_id: int | None = None) -> Reader:
    """What ``user`` may read of ``dataset`` now; 403 with the reason when nothing."""
    ds = catalogue.dataset(dataset)
    if ds is None:
        raise NotFound(_("未知的数据集。"))
    if not ds.is_shared:
        raise _error(
            PermissionDeniedError,
            "not_shared",
            _("数据集“%(name)s”不予共享。") % {"name": ds.name},
        )
    role = _role(user)
    if role in REQUESTER_ROLES and getattr(user, "department_id", None):
        grant = grant_in_force(user=user, ds=ds, grant_id=grant_id)
        fields = [k for k in ds.shareable_keys if k in grant.fields]
        full = [k for k in grant.full_fields if k in fields]
        jurisdiction: Unit = grant.department.jurisdiction
        records = _base_records(ds, fields).filter(grid__path__startswith=jurisdiction.path)
        return Reader(
            user=user,
            dataset=ds,
            grant=grant,
            fields=fields,
            full_fields=full,
            purpose=grant.request.purpose[:300],
            department_id=grant.department_id,
            records=records,
        )
    if _is_superuser(user) or role in STEWARD_READER_ROLES:
        fields = ds.shareable_keys
        records = scoped(user, _base_records(ds, fields), unit_field="grid")
        return Reader(
            user=user,
            dataset=ds,
            grant=None,
            fields=fields,
            full_fields=[],
            purpose=_("本辖区数据管理（数据范围内）"),
            department_id=None,
            records=records,
        )
    raise _error(
        PermissionDeniedError,
        "no_grant",
        _("只有获得授权的部门或本辖区的数据管理员可以读取共享数据。"),
    )


def filter_by_grid(reader: Reader, records: QuerySet[Any], code: str) -> QuerySet[Any]:
    """Records in the unit ``code`` and below (the reader must be granted ``grid``)."""
    reader.require_field("grid")
    unit = Unit.objects.filter(code=(code or "").strip()).first()
    if unit is None:
        raise ValidationFailed(_("未知的网格或区域编码。"), field="grid")
    return records.filter(grid__path__startswith=unit.path)


def lookup(reader: Reader, records: QuerySet[Any], key: str, value: str) -> QuerySet[Any]:
    """Exact lookup by a lookup field (ID number, phone: by blind index; codes: equality)."""
    spec = reader.dataset.field(key)
    if spec is None or not spec.lookup:
        raise ValidationFailed(_("不能按该字段查询。"), field=key)
    reader.require_field(key)
    if spec.lookup == "id_number":
        normal = normalise_id_number(value, field=key)
        return records.filter(id_number_index=blind_index(normal, purpose="id_number"))
    if spec.lookup == "phone":
        normal = normalise_phone(value, field=key)
        return records.filter(phone_index=blind_index(normal, purpose="phone"))
    return records.filter(**{key: (value or "").strip().upper()})


def read_rows(
    reader: Reader, objs: list[Any], *, channel: str = AccessChannel.API
) -> list[dict[str, Any]]:
    """The readable values of ``objs`` (``id`` first), each read logged in ``AccessLog``
    (one row per record, written together). Unmasked values also leave an audit event."""
    ds = reader.dataset
    rows = [
        {
            "id": obj.pk,
            **catalogue.read_values(ds, obj, fields=reader.fields, full_fields=reader.full_fields),
        }
        for obj in objs
    ]
    if not objs:
        return rows
    now = timezone.now()
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                at=now,
                user=reader.user if getattr(reader.user, "is_authenticated", False) else None,
                department_id=reader.department_id,
                grant=reader.grant,
                dataset=ds.key,
                record_type=ds.record_type,
                record_id=obj.pk,
                fields=reader.fields,
                full_fields=reader.full_fields,
                purpose=reader.purpose,
                channel=channel,
            )
            for obj in objs
        ]
    )
    if reader.full_fields:
        audit_record(
            actor=reader.user,
            action="registry.sharing.read_full",
            target_type=f"registry.{ds.record_type}",
            target_id=objs[0].pk if len(objs) == 1 else "",
            reason=reader.purpose[:255],
            detail={
                "grant": reader.grant.pk if reader.grant else None,
                "fields": reader.full_fields,
                "records": [obj.pk for obj in objs][:100],
                "count": len(objs),
            },
        )
    return rows


# --- the usage report -------------------------------------------------------------------------


@dataclass
class UsageRow:
    department: Department | None
    grant: Grant | None
    dataset: str
    reads: int
    records: int
    last_at: datetime | None
    fields: dict[str, int]
    full_reads: int

    @property
    def dataset_name(self) -> str:
        ds = catalogue.dataset(self.dataset)
        return str(ds.name) if ds else self.dataset


@dataclass
class UsageReport:
    date_from: date
    date_until: date
    rows: list[UsageRow]
    recent: list[AccessLog]

    @property
    def total_reads(self) -> int:
        return sum(r.reads for r in self.rows)


def usage_report(
    user: Any, *, date_from: date, date_until: date, department_id: int | None = None
) -> UsageReport:
    """Reads per department, grant and dataset between two local dates (inclusive): how
    many reads, of how many records, of which fields, and the latest accesses."""
    if date_until < date_from:
        raise ValidationFailed(_("结束日期不能早于开始日期。"), field="until")
    tz = timezone.get_current_timezone()
    start = datetime.combine(date_from, time.min, tzinfo=tz)
    end = datetime.combine(date_until + timedelta(days=1), time.min, tzinfo=tz)
    logs = log_scope(user).filter(at__gte=start, at__lt=end)
    if department_id is not None:
        logs = logs.filter(department_id=department_id)
    key = ("department", "grant", "dataset")
    totals = logs.values(*key).annotate(
        reads=Count("id"), records=Count("record_id", distinct=True), last_at=Max("at")
    )
    by_fields = logs.values(*key, "fields", "full_fields").annotate(n=Count("id"))
    field_counts: dict[tuple[Any, ...], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    full_counts: dict[tuple[Any, ...], int] = defaultdict(int)
    for row in by_fields:
        k = (row["department"], row["grant"], row["dataset"])
        for name in row["fields"] or []:
            field_counts[k][name] += row["n"]
        if row["full_fields"]:
            full_counts[k] += row["n"]
    totals = list(totals)
    departments = Department.objects.in_bulk({r["department"] for r in totals} - {None})
    grants = Grant.objects.in_bulk({r["grant"] for r in totals} - {None})
    rows = []
    for r in totals:
        k = (r["department"], r["grant"], r["dataset"])
        ds = catalogue.dataset(r["dataset"])
        order = ds.field_keys if ds else []
        counts = field_counts[k]
        rows.append(
            UsageRow(
                department=departments.get(r["department"]),
                grant=grants.get(r["grant"]),
                dataset=r["dataset"],
                reads=r["reads"],
                records=r["records"],
                last_at=r["last_at"],
                fields={name: counts[name] for name in sorted(counts, key=_order_key(order))},
                full_reads=full_counts[k],
            )
        )
    rows.sort(key=lambda r: (r.department.name if r.department else "", r.dataset, -r.reads))
    recent = list(
        logs.select_related("user", "department", "grant").order_by("-at", "-id")[:RECENT_ACCESSES]
    )
    return UsageReport(date_from=date_from, date_until=date_until, rows=rows, recent=recent)


def _order_key(order: list[str]) -> Any:
    return lambda name: (order.index(name) if name in order else len(order), name)
