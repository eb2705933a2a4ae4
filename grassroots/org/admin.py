from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Department, Unit, UnitBoundary, User


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
