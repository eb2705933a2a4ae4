"""Admin for insight: the composite score's weights (a new row per change, through
``insight.services.weights_update`` so it is validated and audited), monthly topics, and a
read-only list of alerts. Rollups are never edited by hand (``insight_rebuild``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.forms import ModelForm
from django.http import HttpRequest

from grassroots.core.admin import ReadOnlyAdmin
from grassroots.core.errors import DomainError

from .models import Alert, KpiWeights, Topic
from .services import WEIGHT_FIELDS, can_edit_weights, weights_current, weights_update


class KpiWeightsForm(ModelForm):
    class Meta:
        model = KpiWeights
        fields = [*WEIGHT_FIELDS, "handling_target_hours", "note"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not any(data.get(name) for name in WEIGHT_FIELDS):
            raise ValidationError("至少要有一个指标的权重大于 0。")
        return data


@admin.register(KpiWeights)
class KpiWeightsAdmin(admin.ModelAdmin):
    """History of the weights; "add" sets new ones (the newest row is in force)."""

    form = KpiWeightsForm
    list_display = [
        "changed_at",
        *WEIGHT_FIELDS,
        "handling_target_hours",
        "changed_by",
        "note",
    ]
    ordering = ["-changed_at", "-id"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        current = weights_current()
        return {name: getattr(current, name) for name in (*WEIGHT_FIELDS, "handling_target_hours")}

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can_edit_weights(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and can_edit_weights(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: KpiWeights, form: Any, change: bool) -> None:
        values = {
            name: form.cleaned_data[name] for name in (*WEIGHT_FIELDS, "handling_target_hours")
        }
        try:
            saved = weights_update(
                actor=request.user, values=values, note=form.cleaned_data["note"]
            )
        except DomainError as exc:
            messages.error(request, str(exc.message))
            return
        obj.pk, obj.changed_at, obj.changed_by = saved.pk, saved.changed_at, saved.changed_by


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["month", "title", "category", "unit", "lead_department", "status"]
    list_filter = ["status", "month"]
    search_fields = ["title", "description"]
    raw_id_fields = ["category", "unit", "lead_department", "created_by"]


@admin.register(Alert)
class AlertAdmin(ReadOnlyAdmin):
    """Read-only: alerts are acted on through the alert pages (``insight.alerts``)."""

    list_display = [
        "last_seen",
        "kind",
        "severity",
        "status",
        "unit",
        "category",
        "observed",
        "expected",
    ]
    list_filter = ["kind", "severity", "status"]
    search_fields = ["dedup_key", "explanation"]
