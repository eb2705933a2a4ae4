"""Writes of insight's own settings: the composite score's weights.

(The rollups are written by ``insight.summary``; alerts by ``insight.alerts``.)
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.audit.services import audit_record
from grassroots.core.errors import PermissionDeniedError, ValidationFailed
from grassroots.org.choices import Role

from .kpi import KPIS
from .models import KpiWeights

WEIGHT_FIELDS: tuple[str, ...] = tuple(kpi.key for kpi in KPIS)
MAX_WEIGHT = 100.0


def weights_current() -> KpiWeights:
    """The weights in force: the newest row, or the defaults (30/35/35) when none was set."""
    return KpiWeights.objects.order_by("-changed_at", "-id").first() or KpiWeights()


def can_edit_weights(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(getattr(user, "is_superuser", False)) or getattr(user, "role", None) == Role.ADMIN


def _number(values: dict[str, Any], name: str) -> float:
    raw = values.get(name, 0)
    try:
        number = float(raw if raw not in (None, "") else 0)
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(_("请输入数字。"), field=name) from exc
    if not math.isfinite(number):
        raise ValidationFailed(_("请输入数字。"), field=name)
    return number


def weights_update(*, actor: Any, values: dict[str, Any], note: str = "") -> KpiWeights:
    """Set new weights (a new row; the old ones stay as history), audited.

    Only administrators. Weights are non-negative, at most 100, and at least one is
    positive; the handling-time target is positive. Weights need not add up to 1: the
    composite divides by the sum of the weights of the KPIs that have data."""
    if not can_edit_weights(actor):
        raise PermissionDeniedError(_("只有系统管理员可以修改考评权重。"))
    cleaned: dict[str, float] = {}
    for name in WEIGHT_FIELDS:
        weight = _number(values, name)
        if weight < 0 or weight > MAX_WEIGHT:
            raise ValidationFailed(
                _("权重应在 0 到 %(max)d 之间。") % {"max": int(MAX_WEIGHT)}, field=name
            )
        cleaned[name] = weight
    if not any(cleaned.values()):
        raise ValidationFailed(_("至少要有一个指标的权重大于 0。"), field=WEIGHT_FIELDS[0])
    target = _number(values, "handling_target_hours")
    if target <= 0 or target > 24 * 365:
        raise ValidationFailed(_("处置时长目标应为正数（小时）。"), field="handling_target_hours")
    note = (note or "").strip()[:200]
    previous = weights_current()
    with transaction.atomic():
        row = KpiWeights.objects.create(
            **cleaned, handling_target_hours=target, note=note, changed_by=actor
        )
        audit_record(
            actor=actor,
            action="insight.weights_update",
            target_type="insight.kpiweights",
            target_id=row.pk,
            reason=note,
            detail={
                "before": {
                    name: getattr(previous, name)
                    for name in (*WEIGHT_FIELDS, "handling_target_hours")
                },
                "after": {**cleaned, "handling_target_hours": target},
            },
        )
    return row
