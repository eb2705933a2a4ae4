"""Staff pages that enter new cases: a grid worker's patrol report and the hotline/window
operator's intake (see ``staff_common`` for the rules all staff pages follow)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from grassroots.core.errors import DomainError, ValidationFailed
from grassroots.core.geo import from_display, to_display
from grassroots.org.choices import Role

from .. import services
from ..choices import Channel
from ..models import Case, CasePhoto, Category
from ..selectors import staff as sel
from .staff_common import (
    boundary_url,
    int_or_none,
    photo_service,
    photos_enabled,
    role_of,
    staff_required,
)

INTAKE_CHANNELS = [Channel.HOTLINE, Channel.WINDOW]


def _picker_context(request: HttpRequest) -> dict[str, Any]:
    """What the point picker needs: the centre of the user's unit (display CRS) and its
    words in the request's language."""
    unit = getattr(request.user, "unit", None)
    center = None
    if unit is not None and unit.centroid_lon is not None and unit.centroid_lat is not None:
        lon, lat = to_display(unit.centroid_lon, unit.centroid_lat)
        center = {"lon": round(lon, 7), "lat": round(lat, 7)}
    return {
        "center": center,
        "boundary_url": boundary_url(unit),
        "picker_strings": {
            "located": _("已定位，精度约 %(m)s 米。"),
            "picked": _("已在地图上选择位置。"),
            "locating": _("正在获取位置…"),
            "failed": _("无法获取位置，请在地图上点选或填写地址。"),
        },
    }


def _point(post: Any) -> tuple[float | None, float | None]:
    """The point posted by a form (display CRS of the map, or WGS84 from the device)."""
    try:
        lon = float(post.get("lon", ""))
        lat = float(post.get("lat", ""))
    except ValueError:
        return None, None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ValidationFailed(_("位置坐标不正确。"), field="location")
    crs = "gcj02" if post.get("crs") == "gcj02" else "wgs84"
    return from_display(lon, lat, crs=crs)


def _category(value: str | None) -> Category:
    pk = int_or_none(value)
    category = Category.objects.filter(pk=pk, is_active=True).first() if pk else None
    if category is None:
        raise ValidationFailed(_("请选择问题类别。"), field="category")
    return category


def _submit_with_photos(request: HttpRequest, **kwargs: Any) -> Case:
    processed = []
    if photo_service is not None:
        processed = photo_service.process(request.FILES.getlist("photos"))
    with transaction.atomic():
        case = services.case_submit(**kwargs)
        if processed and photo_service is not None:
            photo_service.attach(
                case=case, processed=processed, kind=CasePhoto.Kind.REPORT, user=request.user
            )
    return case


@staff_required
@require_http_methods(["GET", "POST"])
def patrol(request: HttpRequest) -> HttpResponse:
    """A grid worker's patrol report in three taps: category, location, send."""
    if role_of(request) != Role.GRID_WORKER:
        raise Http404(_("只有网格员可以上报巡查。"))
    categories = sel.patrol_categories(request.user)
    error: DomainError | None = None
    if request.method == "POST":
        try:
            category = _category(request.POST.get("category"))
            lon, lat = _point(request.POST)
            description = request.POST.get("description", "").strip() or (
                _("巡查发现：%(name)s") % {"name": category.name}
            )
            case = _submit_with_photos(
                request,
                category=category,
                description=description,
                channel=Channel.PATROL,
                lon=lon,
                lat=lat,
                address=request.POST.get("address", "").strip(),
                entered_by=request.user,
            )
        except DomainError as exc:
            error = exc
        else:
            messages.success(
                request,
                _("已上报并立案，案件编号 %(code)s。") % {"code": case.tracking_code},
            )
            request.session["cases_patrol_last"] = case.pk
            return redirect("cases:patrol")
    last = None
    last_id = request.session.pop("cases_patrol_last", None) if request.method == "GET" else None
    if last_id:
        last = sel.case_scope(request.user).filter(pk=last_id).only("id", "tracking_code").first()
    return render(
        request,
        "cases/staff/patrol.html",
        {
            "categories": categories,
            "more_categories": list(sel.filter_categories().filter(kind="event")),
            "error": error,
            "posted": request.POST if error else {},
            "last": last,
            "photos_enabled": photos_enabled(),
            **_picker_context(request),
        },
        status=error.status_code if error else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """A hotline or window operator enters a request for a caller or visitor."""
    if role_of(request) != Role.OPERATOR:
        raise Http404(_("只有热线/窗口受理员可以录入诉求。"))
    error: DomainError | None = None
    if request.method == "POST":
        channel = request.POST.get("channel", "")
        try:
            if channel not in INTAKE_CHANNELS:
                raise ValidationFailed(_("请选择受理渠道：热线或窗口。"), field="channel")
            lon, lat = _point(request.POST)
            case = _submit_with_photos(
                request,
                category=_category(request.POST.get("category")),
                description=request.POST.get("description", ""),
                channel=channel,
                lon=lon,
                lat=lat,
                address=request.POST.get("address", ""),
                reporter_name=request.POST.get("reporter_name", ""),
                reporter_phone=request.POST.get("reporter_phone", ""),
                entered_by=request.user,
            )
        except DomainError as exc:
            error = exc
        else:
            request.session["cases_intake_last"] = case.tracking_code
            return redirect(reverse("cases:intake") + "?" + urlencode({"done": "1"}))
    code = request.session.pop("cases_intake_last", None) if request.GET.get("done") else None
    return render(
        request,
        "cases/staff/intake.html",
        {
            "categories": list(sel.filter_categories()),
            "channels": [(c.value, c.label) for c in INTAKE_CHANNELS],
            "error": error,
            "posted": request.POST if error else {},
            "code": code,
            # read out in two groups of five, character by character
            "code_groups": [" ".join(code[i : i + 5]) for i in range(0, len(code), 5)]
            if code
            else [],
            "photos_enabled": photos_enabled(),
            **_picker_context(request),
        },
        status=error.status_code if error else 200,
    )
