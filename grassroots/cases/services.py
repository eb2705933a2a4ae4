"""Writes of the closed loop: intake, transitions, supervision, escalation.

Every function validates, writes inside ``transaction.atomic`` with its timeline entry,
and schedules notifications on commit. The state machine is ``cases.workflow``; routing is
``cases.routing``; deadlines are ``cases.calendar``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.core.crypto import blind_index, encrypt
from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.core.scope import Action, can
from grassroots.org.choices import Role, UnitLevel
from grassroots.org.locate import locate_point
from grassroots.org.models import Department, Unit

from . import workflow
from .calendar import deadline
from .choices import OPEN_STATUSES, AssignmentRole, CaseStatus, Channel, Rating
from .models import Case, CaseAssignment, Category, TimelineEntry
from .notify import Message, notify
from .notify import is_suppressed as notifications_suppressed
from .search import search_text_for
from .signals import case_changed

MAX_DESCRIPTION = 2000
MIN_DESCRIPTION = 5
STAFF_CHANNELS = {Channel.PATROL, Channel.HOTLINE, Channel.WINDOW}
AUTO_REGISTERED = {Channel.PATROL, Channel.SENSOR}
# Unambiguous alphabet for codes read out over the phone (no 0/O, 1/I/L).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

CASE_SCOPE = {"unit_field": "area", "department_field": "department"}


@dataclass(frozen=True)
class Actor:
    """Who takes a step: a staff user, the reporter (by tracking code) or the platform."""

    user: Any = None
    role: str = workflow.SYSTEM

    @classmethod
    def of(cls, user: Any) -> Actor:
        return cls(user=user, role=getattr(user, "role", workflow.SYSTEM))


REPORTER = Actor(role=workflow.REPORTER)
SYSTEM = Actor(role=workflow.SYSTEM)


def new_tracking_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(10))


def _timeline(
    case: Case,
    *,
    action: str,
    actor: Actor,
    from_status: str = "",
    public_note: str = "",
    internal_note: str = "",
    is_public: bool = True,
    at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    user = actor.user if getattr(actor.user, "pk", None) else None
    entry = TimelineEntry.objects.create(
        case=case,
        at=at or timezone.now(),
        action=action,
        from_status=from_status,
        to_status=case.status,
        actor=user,
        actor_unit_id=getattr(user, "unit_id", None),
        actor_department_id=getattr(user, "department_id", None),
        public_note=public_note,
        internal_note=internal_note,
        is_public=is_public,
        data=data or {},
    )
    case_changed.send(sender=Case, case=case, entry=entry)
    return entry


def _notify_reporters(case: Case, text: str, *, kind: str) -> None:
    """Tell the reporter of ``case`` and of every case merged into it."""
    if notifications_suppressed():
        return
    merged = (
        Case.objects.filter(merged_into=case)
        .order_by()
        .values_list("reporter_phone_encrypted", "reporter_id", "tracking_code")
    )
    targets = [(case.reporter_phone_encrypted, case.reporter_id, case.tracking_code), *merged]
    for phone, user_id, code in targets:
        notify(
            Message(
                to_phone_encrypted=phone,
                to_user_id=user_id,
                tracking_code=code,
                text=text,
                kind=kind,
            )
        )


def _clean_description(description: str) -> str:
    text = (description or "").strip()
    if len(text) < MIN_DESCRIPTION:
        raise ValidationFailed(
            _("请描述一下问题（至少 %(n)d 个字）。") % {"n": MIN_DESCRIPTION}, field="description"
        )
    if len(text) > MAX_DESCRIPTION:
        raise ValidationFailed(
            _("描述太长了（最多 %(n)d 个字）。") % {"n": MAX_DESCRIPTION}, field="description"
        )
    return text


def _clean_phone(phone: str) -> str:
    digits = "".join(ch for ch in (phone or "") if ch.isdigit())
    if not digits:
        return ""
    if not (digits.startswith("1") and len(digits) == 11) and not (7 <= len(digits) <= 12):
        raise ValidationFailed(_("手机号码格式不正确。"), field="phone")
    return digits


def _root_unit() -> Unit:
    root = Unit.objects.filter(parent__isnull=True).order_by("code").first()
    if root is None:
        raise ValidationFailed(_("平台尚未配置行政区划。"))
    return root


def _place(lon: float | None, lat: float | None, address: str) -> dict[str, Unit | None]:
    """Locate the case: a point gives grid/community/street; an address alone gives the
    jurisdiction root (the dispatcher places it)."""
    if lon is None or lat is None:
        if not address.strip():
            raise ValidationFailed(_("请在地图上选择位置，或填写地址。"), field="location")
        root = _root_unit()
        return {"area": root, "grid": None, "community": None, "street": None}
    units = locate_point(lon, lat).units()
    grid = units[UnitLevel.GRID]
    return {
        "area": grid,
        "grid": grid,
        "community": units.get(UnitLevel.COMMUNITY),
        "street": units.get(UnitLevel.STREET),
    }


def case_submit(
    *,
    category: Category,
    description: str,
    channel: str,
    lon: float | None = None,
    lat: float | None = None,
    address: str = "",
    reporter: Any = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    entered_by: Any = None,
    extra: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> Case:
    """Take in a report from any channel: validate, locate, record, register when the
    channel is staff-verified. Routing happens at dispatch.

    Everything that needs no lock (validation, location, encryption, deadline arithmetic)
    is done before the transaction opens, so the write lock is held only for the inserts.
    """
    given_now = now
    now = now or timezone.now()
    if channel not in Channel.values:
        raise ValidationFailed(_("未知的受理渠道。"), field="channel")
    if not category.is_active:
        raise ValidationFailed(_("该类别已停用，请选择其他类别。"), field="category")
    if channel in STAFF_CHANNELS and getattr(entered_by, "role", None) in (None, Role.RESIDENT):
        raise ValidationFailed(_("该渠道只能由工作人员录入。"), field="channel")
    text = _clean_description(description)
    phone = _clean_phone(reporter_phone)
    address = address.strip()
    if len(address) > 255:
        raise ValidationFailed(_("地址太长了（最多 255 个字）。"), field="address")
    place = _place(lon, lat, address)
    area = place["area"]
    assert area is not None
    community = place["community"]
    if community is not None and area.parent_id == community.pk:
        area.parent = community  # spare owner_unit_for a query
    from .routing import owner_unit_for

    owner = owner_unit_for(area=area, entered_by_unit=getattr(entered_by, "unit", None))
    tracking_code = new_tracking_code()
    registered = channel in AUTO_REGISTERED
    fields: dict[str, Any] = {
        "tracking_code": tracking_code,
        "category": category,
        "channel": channel,
        "status": CaseStatus.REGISTERED if registered else CaseStatus.SUBMITTED,
        "description": text,
        "address": address,
        "lon": lon,
        "lat": lat,
        "area": area,
        "grid": place["grid"],
        "community": community,
        "street": place["street"],
        "owner_unit": owner,
        "reporter": reporter if getattr(reporter, "pk", None) else None,
        "reporter_name": reporter_name.strip()[:50],
        "reporter_phone_encrypted": encrypt(phone),
        "reporter_phone_index": blind_index(phone, purpose="phone"),
        "entered_by": entered_by if getattr(entered_by, "pk", None) else None,
        "urgency": category.urgency,
        "response_due": deadline(now, category.response_limit, category.response_unit),
        "extra": extra or {},
        "search_text": search_text_for(
            tracking_code=tracking_code,
            category_name=category.name,
            address=address,
            description=text,
        ),
    }
    actor = Actor.of(entered_by) if entered_by is not None else REPORTER
    with transaction.atomic():
        case = Case.objects.create(**fields)
        if given_now is not None:  # created_at is auto_now_add: history imports set it
            Case.objects.filter(pk=case.pk).update(created_at=now)
            case.created_at = now
        case.status = CaseStatus.SUBMITTED
        _timeline(case, action="submit", actor=actor, at=now, data={"channel": channel})
        if registered:
            case.status = CaseStatus.REGISTERED
            _timeline(
                case, action="register", actor=actor, from_status=CaseStatus.SUBMITTED, at=now
            )
        notify(
            Message(
                to_phone_encrypted=case.reporter_phone_encrypted,
                to_user_id=case.reporter_id,
                tracking_code=case.tracking_code,
                text=_("您的诉求已受理，查询码 %(code)s。") % {"code": case.tracking_code},
                kind="submitted",
            )
        )
    return case


def case_get_for_update(*, case_id: int, user: Any) -> Case:
    """The case, locked, if ``user`` may change it; 404 otherwise (never a hint)."""
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or not can(user, case, action=Action.CHANGE, **CASE_SCOPE):
        raise NotFound(_("找不到该案件。"))
    return case


def _apply(
    case: Case,
    *,
    action: str,
    actor: Actor,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> TimelineEntry:
    transition = workflow.check(status=case.status, action=action, role=actor.role, reason=reason)
    from_status = case.status
    target = transition.target or case.status_before_suspension or CaseStatus.DISPATCHED
    case.status = target
    case.save()
    public = note or (reason if action in {"reject", "return"} else "")
    return _timeline(
        case,
        action=action,
        actor=actor,
        from_status=from_status,
        public_note=public,
        internal_note=reason,
        at=now,
        data=data,
    )


@transaction.atomic
def case_transition(
    *,
    case: Case,
    action: str,
    actor: Actor,
    reason: str = "",
    note: str = "",
    department: Department | None = None,
    assisting: list[Department] | None = None,
    merge_into: Case | None = None,
    rating: str = "",
    now: datetime | None = None,
) -> Case:
    """Take one step of the state machine on ``case`` (already access-checked)."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if actor.role == Role.DEPT_HANDLER and case.department_id != getattr(
        actor.user, "department_id", None
    ):
        raise NotFound(_("找不到该案件。"))
    data: dict[str, Any] = {}
    if action == "dispatch":
        department, assisting = _dispatch_targets(case, department, assisting)
        _set_assignments(case, department, assisting or [])
        case.department = department
        case.dispatched_at = now
        category = case.category
        case.response_due = deadline(now, category.response_limit, category.response_unit)
        case.resolve_due = deadline(now, category.resolve_limit, category.resolve_unit)
        data = {"department": department.key, "assisting": [d.key for d in assisting or []]}
        note = note or _("已派遣至%(dept)s。") % {"dept": department.name}
    elif action == "accept":
        case.responded_at = case.responded_at or now
    elif action == "return":
        case.return_count += 1
        CaseAssignment.objects.filter(case=case, is_active=True).update(is_active=False)
        case.department = None
    elif action == "handle":
        if not note.strip():
            raise ValidationFailed(_("请填写处置结果。"), field="note")
        case.result = note.strip()
        case.handled_at = now
    elif action == "suspend":
        case.status_before_suspension = case.status
        case.suspended_at = now
    elif action == "resume":
        _resume_clock(case, now)
    elif action == "close":
        case.closed_at = now
    elif action == "rate":
        if rating not in Rating.values:
            raise ValidationFailed(_("请选择满意、基本满意或不满意。"), field="rating")
        case.rating, case.rating_comment, case.rated_at = rating, note.strip()[:500], now
        data = {"rating": rating}
    elif action == "reopen":
        if actor.role == workflow.REPORTER and (
            case.rating != Rating.DISSATISFIED or case.reopen_count >= 1
        ):
            raise ValidationFailed(_("只有评价为不满意的案件可以申请重启一次。"))
        case.reopen_count += 1
    elif action == "merge":
        if merge_into is None or merge_into.pk == case.pk:
            raise ValidationFailed(_("请选择要合并到的案件。"), field="merge_into")
        if merge_into.status not in OPEN_STATUSES or merge_into.merged_into_id:
            raise ValidationFailed(_("只能合并到仍在办理的案件。"), field="merge_into")
        case.merged_into = merge_into
        data = {"into": merge_into.tracking_code}
    entry = _apply(case, action=action, actor=actor, reason=reason, note=note, now=now, data=data)
    if action == "close":
        _close_merged(case, actor=actor, now=now)
    _notify_reporters(
        case,
        _("您的诉求 %(code)s 进展：%(step)s。")
        % {"code": case.tracking_code, "step": workflow.label(action)},
        kind=entry.action,
    )
    return case


def _dispatch_targets(
    case: Case, department: Department | None, assisting: list[Department] | None
) -> tuple[Department, list[Department]]:
    if department is None:
        from .routing import route

        decision = route(category=case.category, area=case.area)
        if decision.department is None:
            raise ValidationFailed(
                _("没有找到负责该类问题的部门，请手动选择。"), field="department"
            )
        department = decision.department
        assisting = assisting if assisting is not None else decision.assisting
    assisting = [d for d in (assisting or []) if d.pk != department.pk]
    return department, assisting


def _set_assignments(case: Case, lead: Department, assisting: list[Department]) -> None:
    CaseAssignment.objects.filter(case=case, is_active=True).update(is_active=False)
    CaseAssignment.objects.create(case=case, department=lead, role=AssignmentRole.LEAD)
    for dept in assisting:
        CaseAssignment.objects.create(case=case, department=dept, role=AssignmentRole.ASSIST)


def _resume_clock(case: Case, now: datetime) -> None:
    """The clock paused while suspended: push the deadlines by the time spent."""
    if case.suspended_at:
        paused = now - case.suspended_at
        if case.resolve_due:
            case.resolve_due += paused
        if case.response_due and not case.responded_at:
            case.response_due += paused
    case.suspended_at = None


def _close_merged(case: Case, *, actor: Actor, now: datetime) -> None:
    """Merged cases share the result of the case they were merged into."""
    for dup in Case.objects.select_for_update().filter(merged_into=case):
        dup.result = case.result
        dup.closed_at = now
        dup.save(update_fields=["result", "closed_at", "updated_at"])
        _timeline(dup, action="merged_result", actor=actor, public_note=case.result, at=now)


@transaction.atomic
def case_supervise(*, case: Case, actor: Actor, note: str, now: datetime | None = None) -> Case:
    """督办: a higher level presses the owner of an open case; no status change."""
    if case.status not in OPEN_STATUSES:
        from grassroots.core.errors import Conflict

        raise Conflict(_("已办结的案件不能督办。"))
    if actor.role not in {Role.DISPATCHER, Role.LEADER, workflow.SYSTEM}:
        from grassroots.core.errors import PermissionDeniedError

        raise PermissionDeniedError(_("您的角色不能督办案件。"))
    if not note.strip():
        raise ValidationFailed(_("请填写督办意见。"), field="note")
    case = Case.objects.select_for_update().get(pk=case.pk)
    case.supervised = True
    case.save(update_fields=["supervised", "updated_at"])
    _timeline(
        case,
        action="supervise",
        actor=actor,
        internal_note=note.strip(),
        is_public=False,
        at=now,
    )
    return case


def overdue_escalate(*, now: datetime | None = None) -> int:
    """The deadline sweep: every open case past its resolution deadline is raised to the
    level above its owner (community → street → district), once per level, with a timeline
    entry. Returns the number of cases escalated."""
    now = now or timezone.now()
    count = 0
    overdue = Case.objects.filter(
        status__in=[CaseStatus.DISPATCHED, CaseStatus.ACCEPTED, CaseStatus.RETURNED],
        resolve_due__lt=now,
    ).select_related("owner_unit")
    for case_id in overdue.values_list("pk", flat=True).iterator():
        with transaction.atomic():
            case = Case.objects.select_for_update().select_related("owner_unit").get(pk=case_id)
            overdue_for = now - (case.resolve_due or now)
            level_due = int(overdue_for / timedelta(days=1)) + 1
            if case.escalation_level >= level_due or case.owner_unit.parent_id is None:
                continue
            parent = case.owner_unit.parent
            assert parent is not None
            case.escalation_level += 1
            case.owner_unit = parent
            case.supervised = True
            case.save(update_fields=["escalation_level", "owner_unit", "supervised", "updated_at"])
            _timeline(
                case,
                action="escalate",
                actor=SYSTEM,
                is_public=False,
                internal_note=_("超期未办结，已升级至%(unit)s督办。") % {"unit": parent.name},
                at=now,
                data={"level": case.escalation_level, "owner": parent.code},
            )
            count += 1
    return count


# Roles whose work needs the reporter's full number (to call back), always with a reason.
CONTACT_ROLES = frozenset({Role.DEPT_HANDLER, Role.DISPATCHER, Role.OPERATOR, Role.GRID_WORKER})


def case_reporter_phone_reveal(*, case_id: int, user: Any, reason: str) -> str:
    """The reporter's full phone number, for staff who must call back: only roles that
    need it, only on a case they may change, only with a stated reason, and every reveal
    is audited in the same transaction."""
    from grassroots.audit.services import audit_record
    from grassroots.core.crypto import decrypt
    from grassroots.core.errors import PermissionDeniedError

    reason = (reason or "").strip()
    with transaction.atomic():
        case = case_get_for_update(case_id=case_id, user=user)
        if getattr(user, "role", None) not in CONTACT_ROLES:
            raise PermissionDeniedError(_("您的角色不能查看完整号码。"))
        if len(reason) < 2:
            raise ValidationFailed(_("请说明查看完整号码的原因。"), field="reason")
        audit_record(
            actor=user,
            action="cases.reporter_phone_reveal",
            target_type="cases.case",
            target_id=case.pk,
            reason=reason[:255],
            detail={"tracking_code": case.tracking_code},
        )
        return decrypt(case.reporter_phone_encrypted)
