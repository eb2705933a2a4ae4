"""Admin for the reference data of the closed loop (categories, duty rules, the working
calendar, sensors) and a read-only view of cases. Cases change only through
``cases.services``; nothing here edits one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from grassroots.core.admin import ReadOnlyAdmin
from grassroots.core.masking import mask_name

from .models import CalendarDay, Case, Category, DutyRule, SensorDevice, TimelineEntry

# Who last wrote a calendar row; ``calendar_seed`` never overwrites rows not its own.
ADMIN_SOURCE = "admin"


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = [
        "kind",
        "code",
        "name",
        "default_department_key",
        "urgency",
        "response_limit",
        "response_unit",
        "resolve_limit",
        "resolve_unit",
        "is_active",
    ]
    list_display_links = ["code", "name"]
    list_filter = ["kind", "urgency", "edition", "is_active"]
    search_fields = ["code", "name", "name_en", "keywords", "major_name"]
    ordering = ["kind", "code"]
    fieldsets = [
        (None, {"fields": ["edition", "kind", "code", "major_code", "major_name"]}),
        (_("name"), {"fields": ["name", "name_en", "description", "keywords"]}),
        (
            _("handling"),
            {
                "fields": [
                    "default_department_key",
                    "urgency",
                    ("response_limit", "response_unit"),
                    ("resolve_limit", "resolve_unit"),
                    "extra_fields",
                    "is_active",
                ]
            },
        ),
    ]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Cases point at categories: retire one with "active", never delete it.
        return False


@admin.register(DutyRule)
class DutyRuleAdmin(admin.ModelAdmin):
    list_display = ["category", "area", "department", "role", "note"]
    list_filter = ["role", "department", "category__kind"]
    search_fields = ["category__name", "category__code", "area__name", "department__name"]
    raw_id_fields = ["area", "category"]
    list_select_related = ["category", "area", "department"]


class YearFilter(admin.SimpleListFilter):
    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), str(d.year)) for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(date__year=int(value))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Where an administrator corrects the year's arrangement when the State Council
    publishes it: a row saved here is marked ``admin`` and the seed never overwrites it."""

    list_display = ["date", "weekday", "is_workday", "name", "source"]
    list_editable = ["is_workday", "name"]
    list_filter = [YearFilter, "is_workday", "source"]
    search_fields = ["name"]
    date_hierarchy = "date"
    fields = ["date", "is_workday", "name", "source"]
    readonly_fields = ["source"]
    ordering = ["date"]

    @admin.display(description=_("weekday"))
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "D")

    def save_model(
        self, request: HttpRequest, obj: CalendarDay, form: ModelForm, change: bool
    ) -> None:
        obj.source = ADMIN_SOURCE
        super().save_model(request, obj, form, change)
        from .calendar import clear_cache

        clear_cache()


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    fields = ("at", "action", "from_status", "to_status", "actor", "public_note", "is_public")
    readonly_fields = fields
    can_delete = False
    ordering = ["at", "id"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    """Read-only: a case changes only through the services (and their timeline)."""

    list_display = [
        "tracking_code",
        "category",
        "channel",
        "status",
        "area",
        "owner_unit",
        "department",
        "resolve_due",
        "created_at",
    ]
    list_filter = ["status", "channel", "category__kind", "urgency", "supervised"]
    search_fields = ["tracking_code"]
    list_select_related = ["category", "area", "owner_unit", "department"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    # Personal data stays out: the reporter's name masked, the phone not at all.
    fields = [
        "tracking_code",
        "category",
        "channel",
        "status",
        "urgency",
        "description",
        "address",
        ("lon", "lat"),
        ("area", "grid", "community", "street"),
        "owner_unit",
        "department",
        "reporter_masked",
        "entered_by",
        ("response_due", "resolve_due"),
        ("dispatched_at", "responded_at", "handled_at", "closed_at"),
        ("supervised", "escalation_level"),
        ("rating", "rating_comment", "rated_at"),
        ("reopen_count", "return_count"),
        "result",
        "merged_into",
        "created_at",
        "updated_at",
    ]
    inlines = [TimelineInline]

    @admin.display(description=_("reporter name"))
    def reporter_masked(self, obj: Case) -> str:
        return mask_name(obj.reporter_name)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        names: list[str] = []
        for item in self.fields or []:
            names.extend(item if isinstance(item, list | tuple) else [item])
        return names


@admin.register(SensorDevice)
class SensorDeviceAdmin(admin.ModelAdmin):
    """Devices are registered with ``cases_sensor_add`` (which prints the key once); here
    their settings are corrected. The key's hash is never shown."""

    list_display = [
        "device_id",
        "name",
        "kind",
        "category",
        "threshold",
        "comparison",
        "unit",
        "is_active",
        "open_case",
        "last_reading_at",
    ]
    list_filter = ["kind", "is_active", "comparison"]
    search_fields = ["device_id", "name"]
    list_select_related = ["category", "open_case"]
    raw_id_fields = ["category"]
    fields = [
        "device_id",
        "name",
        "kind",
        "category",
        ("lon", "lat"),
        ("threshold", "comparison", "unit"),
        "is_active",
        "open_case",
        "last_reading_at",
    ]
    # Moving a device is registering it again where it now stands (its cases must land in
    # a grid): the location is not edited here.
    readonly_fields = ["device_id", "lon", "lat", "open_case", "last_reading_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
