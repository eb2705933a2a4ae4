"""Admin for the base database's reference data: sources (trust editable) and a read-only
view of import batches. Golden records change only through ``registry.services``; the admin
never shows a decrypted ID or phone number."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from grassroots.core.admin import ReadOnlyAdmin

from . import services
from .models import ImportBatch, Source


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "entity_type", "department", "trust", "updated_at"]
    list_editable = ["trust"]
    list_filter = ["entity_type"]
    search_fields = ["key", "name"]
    readonly_fields = ["key", "entity_type", "created_at", "updated_at"]
    fields = [
        "key",
        "name",
        "entity_type",
        "department",
        "trust",
        "field_trust",
        "description",
        "created_at",
        "updated_at",
    ]
    actions = ["recompute_golden"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # sources are shipped in code (registry.sources), with their file format

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("按当前可信度重新计算全部标准记录"))
    def recompute_golden(self, request: HttpRequest, queryset: QuerySet[Source]) -> None:
        counts = services.recompute_all()
        self.message_user(
            request,
            _(
                "已重新计算：人员 %(people)d，房屋 %(houses)d，"
                "单位 %(organisations)d，部件 %(facilities)d。"
            )
            % counts,
            messages.SUCCESS,
        )


@admin.register(ImportBatch)
class ImportBatchAdmin(ReadOnlyAdmin):
    list_display = [
        "id",
        "source",
        "original_name",
        "status",
        "total_rows",
        "accepted_rows",
        "rejected_rows",
        "duplicate_rows",
        "uploaded_by",
        "created_at",
    ]
    list_filter = ["status", "source"]
    search_fields = ["original_name"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "source",
        "original_name",
        "file_format",
        "encoding",
        "status",
        "total_rows",
        "processed_rows",
        "accepted_rows",
        "rejected_rows",
        "duplicate_rows",
        "error",
        "report",
        "uploaded_by",
        "started_at",
        "finished_at",
        "resubmission_of",
        "observed_at",
        "created_at",
    ]
    fields = readonly_fields
