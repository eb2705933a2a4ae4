"""Administrators issue, limit and revoke API keys; the key is shown once, after issuing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import services
from .models import ApiKey, ApiKeyUse


class ApiKeyForm(forms.ModelForm):
    class Meta:
        model = ApiKey
        fields = ["app_name", "contact", "rate_limit_per_hour"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["app_name", "prefix", "rate_limit_per_hour", "is_active", "revoked_at"]
    list_filter = ["is_active"]
    search_fields = ["app_name", "contact", "prefix"]
    readonly_fields = ["prefix", "is_active", "revoked_at", "created_by", "created_at"]
    actions = ["revoke"]

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            services.api_key_set_limit(
                api_key=obj, rate_limit_per_hour=obj.rate_limit_per_hour, actor=request.user
            )
            ApiKey.objects.filter(pk=obj.pk).update(app_name=obj.app_name, contact=obj.contact)
            return
        issued = services.api_key_issue(
            app_name=obj.app_name,
            contact=obj.contact,
            rate_limit_per_hour=obj.rate_limit_per_hour,
            created_by=request.user,
        )
        obj.pk = issued.api_key.pk
        obj.__dict__.update(
            {f.attname: getattr(issued.api_key, f.attname) for f in ApiKey._meta.concrete_fields}
        )
        messages.warning(
            request,
            _("新的 api_key（只显示这一次，请立即复制）：%(key)s") % {"key": issued.key},
        )

    @admin.action(description=gettext_lazy("吊销所选的 api_key"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key, actor=request.user)
        messages.success(request, _("已吊销。"))


@admin.register(ApiKeyUse)
class ApiKeyUseAdmin(admin.ModelAdmin):
    list_display = ["at", "key", "endpoint", "status", "ip"]
    list_filter = ["status"]
    list_select_related = ["key"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
