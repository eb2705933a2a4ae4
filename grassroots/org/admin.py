from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .models import Department, Unit, UnitBoundary, User
from .services import boundaries_import

PROBLEMS_SHOWN = 1000
CHANGES_SHOWN = 200


class BoundaryImportForm(forms.Form):
    file = forms.FileField(label=_("GeoJSON 文件"), help_text=_("FeatureCollection，WGS84 经纬度"))
    replace_subtree = forms.BooleanField(
        label=_("替换下级"),
        required=False,
        help_text=_("文件未列出的下级单元将停用其现行边界（单元本身保留）"),
    )
    valid_from = forms.DateTimeField(
        label=_("生效时间"), required=False, help_text=_("留空表示现在，例如 2025-01-01 00:00")
    )


class UnitBoundaryInline(admin.TabularInline):
    model = UnitBoundary
    extra = 0
    fields = ["valid_from", "valid_to", "source"]
    readonly_fields = fields
    can_delete = False
    show_change_link = True


class StaffInline(admin.TabularInline):
    model = User
    fk_name = "unit"
    extra = 0
    fields = ["username", "display_name", "role"]
    readonly_fields = fields
    can_delete = False
    verbose_name_plural = _("staff")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "population", "households", "area_km2"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    readonly_fields = ["path", "depth", "centroid_lon", "centroid_lat"]
    raw_id_fields = ["parent"]
    inlines = [UnitBoundaryInline, StaffInline]

    def get_urls(self) -> list[URLPattern]:
        view = self.admin_site.admin_view(self.import_boundaries_view)
        return [
            path("import-boundaries/", view, name="org_unit_import_boundaries"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = extra_context or {}
        if self.has_add_permission(request):
            extra_context["subtitle"] = format_html(
                '<a class="button" href="{}">{}</a>',
                reverse("admin:org_unit_import_boundaries"),
                gettext("从 GeoJSON 导入边界"),
            )
        return super().changelist_view(request, extra_context)

    def import_boundaries_view(self, request: HttpRequest) -> HttpResponse:
        """Upload a GeoJSON file, then check it or import it (one service call)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        report = None
        if request.method == "POST":
            form = BoundaryImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                report = boundaries_import(
                    data=upload.read(),
                    source=f"admin:{upload.name}",
                    actor=request.user,
                    commit="_import" in request.POST,
                    valid_from=form.cleaned_data["valid_from"],
                    replace_subtree=form.cleaned_data["replace_subtree"],
                )
                if report.written:
                    messages.success(request, gettext("边界已导入。"))
        else:
            form = BoundaryImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": gettext("从 GeoJSON 导入行政区划边界"),
            "form": form,
            "report": report,
            "problems": report.problems[:PROBLEMS_SHOWN] if report else [],
            "changes": report.changes[:CHANGES_SHOWN] if report else [],
            "more_problems": max(0, len(report.problems) - PROBLEMS_SHOWN) if report else 0,
            "more_changes": max(0, len(report.changes) - CHANGES_SHOWN) if report else 0,
        }
        return TemplateResponse(request, "admin/org/boundary_import.html", context)


@admin.register(UnitBoundary)
class UnitBoundaryAdmin(admin.ModelAdmin):
    list_display = ["unit", "valid_from", "valid_to", "source"]
    list_filter = ["unit__level"]
    search_fields = ["unit__code", "unit__name"]
    raw_id_fields = ["unit"]
    readonly_fields = ["min_lon", "min_lat", "max_lon", "max_lat"]


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["key", "name", "jurisdiction", "phone", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["key", "name", "name_en"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "unit", "department", "is_active"]
    list_filter = ["role", "is_active"]
    search_fields = ["username", "display_name"]
    raw_id_fields = ["unit", "department"]
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Role and home"),
            {"fields": ("display_name", "role", "unit", "department", "language", "elderly_mode")},
        ),
    )
