"""Resident pages: report a problem, follow it by its tracking code, rate the result.

Anyone may report, with or without an account (a signed-in reporter is recorded). The
tracking code is the reporter's credential (see ``cases.selectors.public``): the tracking
page, its photos, rating and reopening all go through it. Reports are limited per client
address per hour (``CASE_REPORTS_PER_HOUR``); lookups of codes that do not exist are
limited too (``CASE_TRACK_MISSES_PER_HOUR``, default 30), against guessing.

Every refusal is a page in the person's language with their input kept — never a 500 and
never a half-written case: the report view validates the photos, writes the case and
stores the photos inside one transaction.
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.core import ratelimit
from grassroots.core.errors import DomainError
from grassroots.core.masking import mask_phone

from .. import photos, services
from ..choices import Channel, Rating
from ..forms import REPORT_FIELDS, RateForm, ReopenForm, ReportForm, TrackForm, category_groups
from ..models import Case
from ..selectors import public as selectors
from ..suggest import suggest_categories

SESSION_KEY = "cases_reported"
# The "done" page shows the code for this long after the report, then forgets it (a shared
# device must not show the next person someone else's code).
DONE_PAGE_SECONDS = 30 * 60
TRACK_MISSES_PER_HOUR = 30


# --- helpers ------------------------------------------------------------------------------


def _too_many(request: HttpRequest, *, what: str) -> HttpResponse:
    response = render(request, "cases/public/rate_limited.html", {"what": what}, status=429)
    response["Retry-After"] = str(ratelimit.HOUR)
    return response


def _report_key(request: HttpRequest) -> str:
    return f"cases:report:{ratelimit.client_ip(request)}"


def _miss_key(request: HttpRequest) -> str:
    return f"cases:track-miss:{ratelimit.client_ip(request)}"


def _misses_per_hour() -> int:
    return int(getattr(settings, "CASE_TRACK_MISSES_PER_HOUR", TRACK_MISSES_PER_HOUR))


def _suggestions_json(text: str) -> list[dict[str, Any]]:
    return [
        {
            "id": c.pk,
            "name": selectors.category_label(c),
            "group": selectors.major_label(c),
        }
        for c in suggest_categories(text)
    ]


def _report_context(
    form: ReportForm,
    *,
    errors: dict[str, str] | None = None,
    suggestions: list[dict[str, Any]] | None = None,
    photos_dropped: bool = False,
    selected_category: str = "",
) -> dict[str, Any]:
    data = form.data if form.is_bound else {}
    return {
        "form": form,
        "values": {
            name: data.get(name, "")
            for name in ("lon", "lat", "crs", "address", "description", "name", "phone")
        },
        "selected_category": selected_category or str(data.get("category", "")),
        "category_groups": category_groups(),
        "errors": errors or {},
        "suggestions": suggestions or [],
        "photos_dropped": photos_dropped,
        "max_description": services.MAX_DESCRIPTION,
        "max_photos": settings.CASE_PHOTO_MAX_COUNT,
        "max_photo_mb": settings.CASE_PHOTO_MAX_BYTES // (1024 * 1024),
        "report_strings": _report_strings(),
    }


def _report_strings() -> dict[str, str]:
    """Words the report script shows, in the request's language."""
    return {
        "locating": _("正在查询所在网格…"),
        "located": _("您选的位置属于："),
        "locate_failed": _("查询失败，请稍后再试，也可以直接填写地址。"),
        "geo_unsupported": _("您的手机或浏览器不能提供位置，请在地图上点选或填写地址。"),
        "geo_denied": _("没有获得位置权限。请在地图上点选，或填写地址。"),
        "geo_working": _("正在获取您的位置…"),
        "suggesting": _("正在根据描述推荐…"),
        "suggest_none": _("没有找到合适的类别，请在下面的列表中选择。"),
        "suggest_title": _("推荐的类别（点一下即可选中）："),
        "suggest_short": _("请先多写几个字描述问题。"),
        "chosen": _("已选择"),
        "photo_count": _("已选 %(n)d 张照片"),
        "photo_too_many": _("最多上传 %(n)d 张照片。"),
        "photo_too_big": _("照片“%(name)s”太大了（每张最多 %(mb)d MB）。"),
        "photo_not_image": _("“%(name)s”不是照片，请选择 JPG 或 PNG 格式的图片。"),
        "remove_photos": _("清除已选照片"),
        "need_location": _("请在地图上选择位置，或填写地址。"),
        "need_description": _("请描述一下问题（至少 %(n)d 个字）。")
        % {"n": services.MIN_DESCRIPTION},
        "need_category": _("请选择问题类别。"),
        "fix_errors": _("还有内容需要修改，请看标红的提示。"),
        "sending": _("正在提交，请稍候…"),
        "chars": _("%(n)d / %(max)d 字"),
    }


# --- report ----------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report a problem: where, what, photos, contact — then the tracking code."""
    if request.method != "POST":
        context = _report_context(ReportForm())
        return render(request, "cases/public/report.html", context)

    form = ReportForm(request.POST)
    files = request.FILES.getlist("photos")

    # Without script, "suggest a category" posts the form: answer with suggestions only.
    if "suggest" in request.POST:
        text = str(request.POST.get("description", ""))
        found = _suggestions_json(text)
        chosen = str(request.POST.get("category", "")) or (str(found[0]["id"]) if found else "")
        context = _report_context(
            form,
            suggestions=found,
            photos_dropped=bool(files),
            selected_category=chosen,
        )
        context["suggest_done"] = True
        return render(request, "cases/public/report.html", context)

    if ratelimit.limited(_report_key(request), limit=settings.CASE_REPORTS_PER_HOUR):
        return _too_many(request, what="report")

    errors = form.field_errors() if not form.is_valid() else {}
    processed: list[photos.ProcessedPhoto] = []
    try:
        processed = photos.process(files)
    except DomainError as exc:
        errors.setdefault("photos", str(exc.message))

    case: Case | None = None
    if not errors:
        data = form.cleaned_data
        user = request.user if request.user.is_authenticated else None
        try:
            with transaction.atomic():
                case = services.case_submit(
                    category=data["category"],
                    description=data["description"],
                    channel=Channel.WEB,
                    lon=data["lon"],
                    lat=data["lat"],
                    address=data["address"],
                    reporter=user,
                    reporter_name=data["name"],
                    reporter_phone=data["phone"],
                )
                photos.attach(case=case, processed=processed, kind="report", user=user)
        except DomainError as exc:
            case = None
            field = exc.field if exc.field in REPORT_FIELDS else "general"
            errors[field] = str(exc.message)

    if case is None:
        context = _report_context(form, errors=errors, photos_dropped=bool(files))
        return render(request, "cases/public/report.html", context, status=400)

    ratelimit.hit(_report_key(request))
    phone = form.cleaned_data["phone"]
    request.session[SESSION_KEY] = {
        "code": case.tracking_code,
        "sms_to": mask_phone(phone) if phone else "",
        "at": time.time(),
    }
    return redirect("cases:report_done")


@never_cache
@require_GET
def report_done(request: HttpRequest) -> HttpResponse:
    """The tracking code, big and clear, after a report (kept in the session)."""
    done = request.session.get(SESSION_KEY)
    if not done or time.time() - float(done.get("at", 0)) > DONE_PAGE_SECONDS:
        request.session.pop(SESSION_KEY, None)
        return redirect("cases:report")
    return render(
        request,
        "cases/public/report_done.html",
        {"code": done["code"], "sms_to": done.get("sms_to", "")},
    )


@require_GET
def report_suggest(request: HttpRequest) -> JsonResponse:
    """Categories that fit a description: ``{"suggestions": [{id, name, group}, …]}``."""
    text = str(request.GET.get("q", ""))[:2000]
    return JsonResponse({"suggestions": _suggestions_json(text)})


# --- tracking --------------------------------------------------------------------------------


@never_cache
@require_GET
def track(request: HttpRequest) -> HttpResponse:
    """Enter a tracking code (case-insensitive, spaces ignored)."""
    if "code" not in request.GET:
        return render(request, "cases/public/track.html", {"form": TrackForm()})
    form = TrackForm(request.GET)
    if not form.is_valid():
        return render(request, "cases/public/track.html", {"form": form}, status=400)
    return redirect("cases:track_detail", code=form.cleaned_data["code"])


def _case_or_refusal(request: HttpRequest, code: str) -> Case | HttpResponse:
    """The case for ``code``; a 429 page after too many unknown codes; a 404 page for an
    unknown one (which says nothing about whether any code exists)."""
    if ratelimit.limited(_miss_key(request), limit=_misses_per_hour()):
        return _too_many(request, what="track")
    case = selectors.case_by_code(code)
    if case is None:
        ratelimit.hit(_miss_key(request))
        return render(request, "cases/public/not_found.html", {"form": TrackForm()}, status=404)
    return case


def _detail_context(case: Case, **extra: Any) -> dict[str, Any]:
    photo_sets = selectors.public_photos(case)
    context: dict[str, Any] = {
        "case": case,
        "category_name": selectors.category_label(case.category),
        "steps": selectors.progress(case),
        "timeline": selectors.public_timeline(case),
        "report_photos": photo_sets["report"],
        "result_photos": photo_sets["result"],
        "place": [
            selectors.unit_label(u.name, u.name_en)
            for u in (case.grid, case.community, case.street)
            if u is not None
        ],
        "department_name": (
            selectors.unit_label(case.department.name, case.department.name_en)
            if case.department
            else ""
        ),
        "owner_name": selectors.unit_label(case.owner_unit.name, case.owner_unit.name_en),
        "can_rate": selectors.can_rate(case),
        "can_reopen": selectors.can_reopen(case),
        "ratings": Rating.choices,
        "rate_form": RateForm(),
        "reopen_form": ReopenForm(),
        "rating_label": dict(Rating.choices).get(case.rating, "") if case.rating else "",
        "errors": {},
    }
    context.update(extra)
    return context


@never_cache
@require_GET
def track_detail(request: HttpRequest, code: str) -> HttpResponse:
    """The case as its reporter may see it: progress, public timeline, photos, rating."""
    canonical = selectors.normalise_code(code)
    if canonical and canonical != code:
        return redirect("cases:track_detail", code=canonical)
    found = _case_or_refusal(request, code)
    if isinstance(found, HttpResponse):
        return found
    return render(request, "cases/public/track_detail.html", _detail_context(found))


def _step_refused(request: HttpRequest, case: Case, exc: DomainError, **extra: Any) -> HttpResponse:
    context = _detail_context(case, **extra)
    context["errors"] = {**context["errors"], "general": str(exc.message)}
    return render(request, "cases/public/track_detail.html", context, status=exc.status_code or 400)


@never_cache
@require_POST
def track_rate(request: HttpRequest, code: str) -> HttpResponse:
    """Rate a closed case: 满意 / 基本满意 / 不满意, with a comment."""
    found = _case_or_refusal(request, code)
    if isinstance(found, HttpResponse):
        return found
    form = RateForm(request.POST)
    if not form.is_valid():
        context = _detail_context(found, rate_form=form)
        context["errors"] = {f"rate_{k}": str(v[0]) for k, v in form.errors.items()}
        return render(request, "cases/public/track_detail.html", context, status=400)
    try:
        services.case_transition(
            case=found,
            action="rate",
            actor=services.REPORTER,
            rating=form.cleaned_data["rating"],
            note=form.cleaned_data["comment"],
        )
    except DomainError as exc:
        return _step_refused(request, found, exc, rate_form=form)
    messages.success(request, _("谢谢您的评价！"))
    return redirect(reverse("cases:track_detail", args=[found.tracking_code]) + "#rating")


@never_cache
@require_POST
def track_reopen(request: HttpRequest, code: str) -> HttpResponse:
    """Not solved: a dissatisfied reporter may reopen the case once, with a reason."""
    found = _case_or_refusal(request, code)
    if isinstance(found, HttpResponse):
        return found
    form = ReopenForm(request.POST)
    if not form.is_valid():
        context = _detail_context(found, reopen_form=form)
        context["errors"] = {f"reopen_{k}": str(v[0]) for k, v in form.errors.items()}
        return render(request, "cases/public/track_detail.html", context, status=400)
    try:
        # The reporter's own reason is also the public note: they see what they wrote.
        reason = form.cleaned_data["reason"]
        services.case_transition(
            case=found, action="reopen", actor=services.REPORTER, reason=reason, note=reason
        )
    except DomainError as exc:
        return _step_refused(request, found, exc, reopen_form=form)
    messages.success(request, _("已重新提交办理，我们会尽快处理。"))
    return redirect("cases:track_detail", code=found.tracking_code)


@require_GET
def photo(request: HttpRequest, code: str, pk: int) -> FileResponse:
    """A report or result photo of the case with this code (the cleaned copy).

    Served by the application so no web-root needs to expose MEDIA_ROOT, and only to the
    holder of the code."""
    found = _case_or_refusal(request, code)
    if isinstance(found, HttpResponse):
        raise Http404(_("找不到这张照片。"))
    item = selectors.public_photo(found, pk)
    if item is None or not item.image:
        raise Http404(_("找不到这张照片。"))
    try:
        handle = item.image.open("rb")
    except (FileNotFoundError, OSError) as exc:
        raise Http404(_("找不到这张照片。")) from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=86400"
    return response
