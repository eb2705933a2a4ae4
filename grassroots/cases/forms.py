"""Forms of the resident pages: report a problem, find a case by its code, rate, reopen.

They parse and check what a person typed and say what is wrong in words they understand,
next to the field. The rules themselves stay in the services (``case_submit`` checks the
description, the phone and the place again); these checks only let the page show every
problem at once instead of one after another.
"""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from grassroots.core.errors import DomainError
from grassroots.core.geo import from_display
from grassroots.org.locate import Located, locate_point

from .choices import CategoryKind, Rating
from .models import Category
from .selectors.public import category_label, major_label, normalise_code
from .services import MAX_DESCRIPTION, MIN_DESCRIPTION

MAX_ADDRESS = 255
MAX_NAME = 50
MAX_NOTE = 500
# Field names the page shows errors next to; anything else goes to the top of the form.
REPORT_FIELDS = ("location", "description", "category", "photos", "name", "phone")
_KIND_ORDER: dict[str, int] = {
    CategoryKind.EVENT: 0,
    CategoryKind.HOTLINE: 1,
    CategoryKind.COMPONENT: 2,
}


def category_groups() -> list[tuple[str, list[tuple[int, str]]]]:
    """Active categories for a ``<select>``, grouped by kind and major class, labelled in
    the request's language."""
    categories = sorted(
        Category.objects.filter(is_active=True),
        key=lambda c: (_KIND_ORDER.get(c.kind, 9), c.major_code, c.code),
    )
    kinds = dict(CategoryKind.choices)
    groups: dict[tuple[str, str], tuple[str, list[tuple[int, str]]]] = {}
    for c in categories:
        key = (c.kind, c.major_code)
        if key not in groups:
            kind_label, major = str(kinds.get(c.kind, c.kind)), major_label(c)
            label = kind_label if not major or major == kind_label else f"{kind_label} · {major}"
            groups[key] = (label, [])
        groups[key][1].append((c.pk, category_label(c)))
    return list(groups.values())


def _parse_coordinate(value: str) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


class ReportForm(forms.Form):
    """A resident's report. ``lon``/``lat`` are in the map's display system (``crs``);
    ``cleaned_data`` holds them in WGS84, and ``located`` the units the point is in."""

    lon = forms.CharField(required=False, max_length=32)
    lat = forms.CharField(required=False, max_length=32)
    crs = forms.CharField(required=False, max_length=8)
    address = forms.CharField(
        required=False,
        max_length=MAX_ADDRESS,
        error_messages={"max_length": gettext_lazy("地址太长了（最多 255 个字）。")},
    )
    description = forms.CharField(required=False, widget=forms.Textarea)
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True),
        error_messages={
            "required": gettext_lazy("请选择问题类别。"),
            "invalid_choice": gettext_lazy("请从列表中选择问题类别。"),
        },
    )
    name = forms.CharField(
        required=False,
        max_length=MAX_NAME,
        error_messages={"max_length": gettext_lazy("姓名太长了（最多 50 个字）。")},
    )
    phone = forms.CharField(required=False, max_length=20)

    located: Located | None = None

    def clean_description(self) -> str:
        text = (self.cleaned_data.get("description") or "").strip()
        if len(text) < MIN_DESCRIPTION:
            raise forms.ValidationError(
                _("请描述一下问题（至少 %(n)d 个字）。") % {"n": MIN_DESCRIPTION}
            )
        if len(text) > MAX_DESCRIPTION:
            raise forms.ValidationError(
                _("描述太长了（最多 %(n)d 个字）。") % {"n": MAX_DESCRIPTION}
            )
        return text

    def clean_phone(self) -> str:
        raw = self.cleaned_data.get("phone") or ""
        digits = "".join(ch for ch in raw if ch.isdigit())
        if not raw.strip():
            return ""
        ok = (digits.startswith("1") and len(digits) == 11) or 7 <= len(digits) <= 12
        if not ok or any(not (ch.isdigit() or ch in " -+()") for ch in raw):
            raise forms.ValidationError(_("手机号码格式不正确。"))
        return digits

    def clean_crs(self) -> str:
        return "gcj02" if self.cleaned_data.get("crs") == "gcj02" else "wgs84"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or self.cleaned_data
        raw_lon, raw_lat = (data.get("lon") or "").strip(), (data.get("lat") or "").strip()
        data["lon"] = data["lat"] = None
        if raw_lon or raw_lat:
            lon, lat = _parse_coordinate(raw_lon), _parse_coordinate(raw_lat)
            if lon is None or lat is None:
                self.add_error("lon", _("位置无效，请在地图上重新选择。"))
                return data
            lon, lat = from_display(lon, lat, crs=data.get("crs") or "wgs84")
            try:
                self.located = locate_point(lon, lat)
            except DomainError as exc:
                self.add_error("lon", str(exc.message))
                return data
            data["lon"], data["lat"] = lon, lat
        elif not (data.get("address") or "").strip() and "address" not in self.errors:
            self.add_error("lon", _("请在地图上选择位置，或填写地址。"))
        return data

    def field_errors(self) -> dict[str, str]:
        """The first error of each field, keyed as the page shows them."""
        errors: dict[str, str] = {}
        for name, messages in self.errors.items():
            key = {"lon": "location", "lat": "location", "address": "location"}.get(name, name)
            key = key if key in REPORT_FIELDS else "general"
            errors.setdefault(key, str(messages[0]))
        return errors


class TrackForm(forms.Form):
    code = forms.CharField(
        max_length=40,
        error_messages={"required": gettext_lazy("请输入查询码。")},
    )

    def clean_code(self) -> str:
        code = normalise_code(self.cleaned_data["code"])
        if not code:
            raise forms.ValidationError(
                _("查询码是 10 位字母和数字（不区分大小写），请核对后再输入。")
            )
        return code


class RateForm(forms.Form):
    rating = forms.ChoiceField(
        choices=Rating.choices,
        error_messages={
            "required": gettext_lazy("请选择满意、基本满意或不满意。"),
            "invalid_choice": gettext_lazy("请选择满意、基本满意或不满意。"),
        },
    )
    comment = forms.CharField(
        required=False,
        max_length=MAX_NOTE,
        error_messages={"max_length": gettext_lazy("意见太长了（最多 500 个字）。")},
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        max_length=MAX_NOTE,
        error_messages={
            "required": gettext_lazy("请说一说问题为什么还没有解决。"),
            "max_length": gettext_lazy("原因太长了（最多 500 个字）。"),
        },
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("请说一说问题为什么还没有解决。"))
        return reason
