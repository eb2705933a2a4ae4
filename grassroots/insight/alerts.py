"""Early-warning alerts: who may see and act on them, what they say, and what can be done.

Reads: ``alerts_for(user)`` (the data scope: ``core.scope`` with ``unit_field="unit"``) and
``alert_get(user=..., alert_id=...)`` (unknown or out of scope: ``NotFound``).
Writes, each in one transaction with its audit row: ``alert_acknowledge``,
``alert_dismiss`` (a reason is required), ``alert_to_case`` (a case through
``cases.services.case_submit``, channel ``patrol``: raised inside the platform by staff),
``alert_to_topic`` (a new 每月一题 topic or an existing one), ``topic_advance`` (proposed →
adopted → done).

Leaders, dispatchers and administrators see and act on the alerts of their unit and
below; anyone else is refused (403) before anything is looked up.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import h3
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from grassroots.audit.services import audit_record
from grassroots.cases import services as case_services
from grassroots.cases.choices import Channel
from grassroots.cases.models import Case, Category
from grassroots.core.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDeniedError,
    ValidationFailed,
)
from grassroots.core.scope import scoped
from grassroots.org.choices import Role
from grassroots.org.models import Department, Unit

from .choices import LIVE_ALERT_STATUSES, AlertKind, AlertStatus, TopicStatus
from .models import Alert, Topic

ALERT_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMIN})
REASON_MIN = 2
REASON_MAX = 500


# --------------------------------------------------------------------------------------
# Access


def may_use_alerts(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in ALERT_ROLES)


def _check_role(user: Any) -> None:
    if not may_use_alerts(user):
        raise PermissionDeniedError(_("只有领导、调度员和管理员可以查看和处理预警。"))


def alerts_for(user: Any) -> QuerySet[Alert]:
    """The alerts ``user`` may see (their unit and below)."""
    _check_role(user)
    return scoped(user, Alert.objects.all(), unit_field="unit")


def topics_for(user: Any) -> QuerySet[Topic]:
    _check_role(user)
    return scoped(user, Topic.objects.all(), unit_field="unit")


def alert_get(*, user: Any, alert_id: int, for_update: bool = False) -> Alert:
    queryset = alerts_for(user)
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    alert = queryset.filter(pk=alert_id).first()
    if alert is None:
        raise NotFound(_("没有找到这条预警，或不在您的管辖范围内。"))
    return alert


# --------------------------------------------------------------------------------------
# What an alert says (rendered in the viewer's language from the stored data)


def _num(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.1f}".rstrip("0").rstrip(".")
    return str(value)


def _category(data: dict[str, Any]) -> str:
    if (get_language() or "").startswith("en") and data.get("category_en"):
        return str(data["category_en"])
    return str(data.get("category", ""))


def render_explanation(kind: str, data: dict[str, Any]) -> str:
    """One sentence saying what was seen, against what was expected."""
    values = {
        "unit": data.get("unit") or _("本辖区"),
        "category": _category(data),
        "days": data.get("days", 0),
        "observed": _num(data.get("observed", 0)),
        "expected": _num(data.get("expected", 0)),
        "upper": _num(data.get("upper", 0)),
    }
    if kind == AlertKind.SPIKE:
        text = (
            _(
                "%(unit)s近 %(days)s 天收到“%(category)s”%(observed)s 件，按本区域历史和季节"
                "预计约 %(expected)s 件（正常上限 %(upper)s 件）。"
            )
            % values
        )
        if data.get("left_out"):
            text += _("（不含已另行预警的 %(n)s 个下级区域）") % {"n": data["left_out"]}
        return text
    if kind == AlertKind.CLUSTER:
        values["cells"] = len(data.get("cells", []))
        return (
            _(
                "%(unit)s相邻 %(cells)s 个网格单元近 %(days)s 天收到“%(category)s”"
                "%(observed)s 件，按这些位置的历史预计约 %(expected)s 件。"
            )
            % values
        )
    if kind == AlertKind.REPEAT:
        if data.get("who") == "address":
            values["address"] = data.get("address", "")
            if not values["category"]:
                return _("同一地址“%(address)s”近 %(days)s 天被反映 %(observed)s 次。") % values
            return (
                _("同一地址“%(address)s”近 %(days)s 天被反映 %(observed)s 次，多为“%(category)s”。")
                % values
            )
        values["phone"] = data.get("phone") or _("同一账号")
        values["categories"] = data.get("categories", 1)
        if not values["category"]:
            return _("同一反映人（%(phone)s）近 %(days)s 天反映 %(observed)s 次。") % values
        return (
            _(
                "同一反映人（%(phone)s）近 %(days)s 天反映 %(observed)s 次，"
                "涉及 %(categories)s 个类别，多为“%(category)s”。"
            )
            % values
        )
    if kind == AlertKind.SENSOR:
        values.update(
            device=data.get("device_name") or data.get("device", ""),
            threshold=_num(data.get("threshold", 0)),
            measure=data.get("measure_unit", ""),
            value=_num(data.get("last_value") or 0),
            over=data.get("over_count", 0),
            hours=data.get("hours", 24),
            eta=_num(data.get("hours_to_threshold") or 0),
            slope=_num(data.get("slope_per_hour", 0)),
            excursions=data.get("excursions", 0),
            recur_days=data.get("recur_days", 30),
        )
        reason = data.get("reason")
        if reason == "rising":
            return (
                _(
                    "设备“%(device)s”读数持续上升（每小时约 %(slope)s%(measure)s），最新 "
                    "%(value)s%(measure)s，预计约 %(eta)s 小时后超过阈值 %(threshold)s%(measure)s。"
                )
                % values
            )
        if reason == "recurring":
            return (
                _(
                    "设备“%(device)s”近 %(recur_days)s 天已 %(excursions)s 次超限立案，"
                    "案件办结后问题反复出现。"
                )
                % values
            )
        return (
            _(
                "设备“%(device)s”近 %(hours)s 小时 %(over)s 次超过阈值 "
                "%(threshold)s%(measure)s，但没有在办的案件。"
            )
            % values
        )
    return ""


def explanation_of(alert: Alert) -> str:
    return render_explanation(alert.kind, alert.explanation_data or {})


# --------------------------------------------------------------------------------------
# Actions


def _require_live(alert: Alert) -> None:
    if alert.status not in LIVE_ALERT_STATUSES:
        raise Conflict(
            _("这条预警已经%(status)s，不能再操作。") % {"status": alert.get_status_display()}
        )


def _act(alert: Alert, *, user: Any, status: str, reason: str = "") -> None:
    alert.status = status
    alert.status_reason = reason
    alert.acted_by = user
    alert.acted_at = timezone.now()


def _audit(user: Any, action: str, alert: Alert, reason: str = "", **detail: Any) -> None:
    audit_record(
        actor=user,
        action=f"insight.alert.{action}",
        target_type="insight.alert",
        target_id=alert.pk,
        reason=reason,
        detail={"kind": alert.kind, "dedup_key": alert.dedup_key, **detail},
    )


def _clean_reason(reason: str, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and len(text) < REASON_MIN:
        raise ValidationFailed(_("请填写忽略这条预警的原因。"), field="reason")
    if len(text) > REASON_MAX:
        raise ValidationFailed(_("原因太长了（最多 500 个字）。"), field="reason")
    return text


@transaction.atomic
def alert_acknowledge(*, user: Any, alert_id: int, note: str = "") -> Alert:
    """The alert is seen and being looked into; the scan keeps updating it."""
    alert = alert_get(user=user, alert_id=alert_id, for_update=True)
    if alert.status != AlertStatus.OPEN:
        _require_live(alert)
        raise Conflict(_("这条预警已经确认过了。"))
    text = _clean_reason(note, required=False)
    _act(alert, user=user, status=AlertStatus.ACKNOWLEDGED, reason=text)
    alert.save(update_fields=["status", "status_reason", "acted_by", "acted_at"])
    _audit(user, "acknowledge", alert, text)
    return alert


@transaction.atomic
def alert_dismiss(*, user: Any, alert_id: int, reason: str) -> Alert:
    """Not a real problem (a known event, a data error …): the reason is required and kept."""
    text = _clean_reason(reason, required=True)
    alert = alert_get(user=user, alert_id=alert_id, for_update=True)
    _require_live(alert)
    _act(alert, user=user, status=AlertStatus.DISMISSED, reason=text)
    alert.save(update_fields=["status", "status_reason", "acted_by", "acted_at"])
    _audit(user, "dismiss", alert, text)
    return alert


def _place_of(alert: Alert) -> tuple[float | None, float | None, str]:
    data = alert.explanation_data or {}
    if alert.kind == AlertKind.SENSOR and data.get("lon") is not None:
        return float(data["lon"]), float(data["lat"]), ""
    if alert.kind == AlertKind.CLUSTER and data.get("center"):
        lat, lon = h3.cell_to_latlng(str(data["center"]))
        return float(lon), float(lat), ""
    if alert.kind == AlertKind.REPEAT and data.get("address"):
        return None, None, str(data["address"])
    unit = alert.unit
    if unit is not None and unit.centroid_lon is not None and unit.centroid_lat is not None:
        return unit.centroid_lon, unit.centroid_lat, unit.name
    return None, None, unit.name if unit is not None else _("本辖区")


@transaction.atomic
def alert_to_case(
    *, user: Any, alert_id: int, note: str = "", category_id: int | None = None
) -> Case:
    """Open a case for the situation (registered at once, like a patrol report) and mark
    the alert converted. The category is the alert's unless another is given."""
    alert = alert_get(user=user, alert_id=alert_id, for_update=True)
    _require_live(alert)
    category = None
    if category_id is not None:
        category = Category.objects.filter(pk=category_id, is_active=True).first()
        if category is None:
            raise ValidationFailed(_("请选择一个有效的问题类别。"), field="category")
    elif alert.category_id is not None:
        category = Category.objects.get(pk=alert.category_id)
    if category is None:
        raise ValidationFailed(_("这条预警没有问题类别，请选择一个。"), field="category")
    text = _clean_reason(note, required=False)
    description = _("【预警转办】") + explanation_of(alert) + (f"\n{text}" if text else "")
    lon, lat, address = _place_of(alert)
    submit = {
        "category": category,
        "description": description,
        "channel": Channel.PATROL,
        "entered_by": user,
        "extra": {"alert": alert.pk},
    }
    try:
        case = case_services.case_submit(lon=lon, lat=lat, address=address, **submit)
    except DomainError:
        if lon is None:
            raise
        # the point fell outside every grid (a cell on the border): place it by address
        fallback = alert.unit.name if alert.unit is not None else _("本辖区")
        case = case_services.case_submit(address=address or fallback, **submit)
    _act(alert, user=user, status=AlertStatus.CONVERTED, reason=text)
    alert.case = case
    alert.save(update_fields=["status", "status_reason", "acted_by", "acted_at", "case"])
    _audit(user, "to_case", alert, text, case=case.tracking_code)
    return case


@transaction.atomic
def alert_to_topic(
    *,
    user: Any,
    alert_id: int,
    topic_id: int | None = None,
    title: str = "",
    description: str = "",
    month: date | None = None,
    lead_department_id: int | None = None,
) -> Topic:
    """Attach the alert to a 每月一题 topic the user can see, or propose a new one (this
    month unless ``month`` is given) for the alert's area and category."""
    alert = alert_get(user=user, alert_id=alert_id, for_update=True)
    _require_live(alert)
    if topic_id is not None:
        topic = topics_for(user).filter(pk=topic_id).first()
        if topic is None:
            raise NotFound(_("没有找到这个每月一题，或不在您的管辖范围内。"), field="topic")
        if topic.status == TopicStatus.DONE:
            raise Conflict(_("这个每月一题已经完成，不能再加入预警。"), field="topic")
    else:
        title = (title or "").strip()
        if not title:
            title = _("%(unit)s“%(category)s”问题") % {
                "unit": alert.explanation_data.get("unit", ""),
                "category": alert.explanation_data.get("category", ""),
            }
        if len(title) > 200:
            raise ValidationFailed(_("题目太长了（最多 200 个字）。"), field="title")
        department = None
        if lead_department_id is not None:
            department = Department.objects.filter(pk=lead_department_id).first()
            if department is None:
                raise ValidationFailed(_("请选择一个有效的牵头部门。"), field="lead_department")
        first_of_month = (month or timezone.localdate()).replace(day=1)
        topic = Topic.objects.create(
            month=first_of_month,
            title=title,
            description=(description or "").strip() or explanation_of(alert),
            category_id=alert.category_id,
            unit_id=alert.unit_id,
            lead_department=department,
            created_by=user,
        )
        audit_record(
            actor=user,
            action="insight.topic.create",
            target_type="insight.topic",
            target_id=topic.pk,
            detail={"title": topic.title, "from_alert": alert.pk},
        )
    _act(alert, user=user, status=AlertStatus.CONVERTED)
    alert.topic = topic
    alert.save(update_fields=["status", "status_reason", "acted_by", "acted_at", "topic"])
    _audit(user, "to_topic", alert, topic=topic.pk)
    return topic


TOPIC_STEPS = {TopicStatus.PROPOSED: TopicStatus.ADOPTED, TopicStatus.ADOPTED: TopicStatus.DONE}


@transaction.atomic
def topic_advance(*, user: Any, topic_id: int) -> Topic:
    """Move a topic one step on: proposed → adopted (确定) → done (完成)."""
    topic = topics_for(user).select_for_update(of=("self",)).filter(pk=topic_id).first()
    if topic is None:
        raise NotFound(_("没有找到这个每月一题，或不在您的管辖范围内。"))
    following = TOPIC_STEPS.get(TopicStatus(topic.status))
    if following is None:
        raise Conflict(_("这个每月一题已经完成。"))
    previous = topic.status
    topic.status = following
    topic.save(update_fields=["status", "updated_at"])
    audit_record(
        actor=user,
        action="insight.topic.advance",
        target_type="insight.topic",
        target_id=topic.pk,
        detail={"from": previous, "to": following},
    )
    return topic


def root_unit_id() -> int | None:
    return (
        Unit.objects.filter(parent__isnull=True)
        .order_by("code")
        .values_list("pk", flat=True)
        .first()
    )
