"""Early-warning pages: the alert list, an alert with its chart and actions, the 每月一题
topics. Thin: parse, call ``insight.alerts``, render. A ``DomainError`` from a service is
shown on the alert's page with its status (400 invalid input, 409 wrong state); unknown
or out-of-scope alerts are 404; roles without access get 403."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Case, Count, Q, Value, When
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.cases.models import Case as CaseModel
from grassroots.cases.models import Category
from grassroots.cases.views.staff_common import int_or_none, staff_required
from grassroots.core.errors import DomainError, NotFound, PermissionDeniedError
from grassroots.core.scope import scoped
from grassroots.org.models import Department

from .. import alerts as service
from ..choices import LIVE_ALERT_STATUSES, AlertKind, AlertStatus, Severity, TopicStatus
from ..models import Alert

PAGE_SIZE = 30
STATUS_FILTERS = {"live": [s.value for s in LIVE_ALERT_STATUSES], "all": None} | {
    s.value: [s.value] for s in AlertStatus
}
ACTIONS = ("acknowledge", "dismiss", "to_case", "to_topic")


def _visible(request: HttpRequest) -> Any:
    try:
        return service.alerts_for(request.user)
    except PermissionDeniedError as exc:
        raise PermissionDenied(str(exc)) from exc


@require_GET
@staff_required
def alert_list(request: HttpRequest) -> HttpResponse:
    alerts = _visible(request)
    status = request.GET.get("status") or "live"
    if status not in STATUS_FILTERS:
        status = "live"
    severity = request.GET.get("severity") or ""
    kind = request.GET.get("kind") or ""
    live = alerts.filter(status__in=STATUS_FILTERS["live"])
    counts = live.aggregate(
        **{s.value: Count("pk", filter=Q(severity=s.value)) for s in Severity},
    )
    shown = alerts
    if STATUS_FILTERS[status] is not None:
        shown = shown.filter(status__in=STATUS_FILTERS[status])
    if severity in Severity.values:
        shown = shown.filter(severity=severity)
    if kind in AlertKind.values:
        shown = shown.filter(kind=kind)
    rank = Case(
        When(severity=Severity.CRITICAL, then=Value(0)),
        When(severity=Severity.WARNING, then=Value(1)),
        default=Value(2),
    )
    shown = (
        shown.select_related("unit", "category")
        .annotate(rank=rank)
        .order_by("rank", "-last_seen", "-id")
    )
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [{"alert": a, "text": service.explanation_of(a)} for a in page.object_list]
    return render(
        request,
        "insight/alerts.html",
        {
            "page": page,
            "rows": rows,
            "counts": counts,
            "status": status,
            "severity": severity,
            "kind": kind,
            "status_choices": [
                ("live", _("待处理和已确认")),
                *AlertStatus.choices,
                ("all", _("全部")),
            ],
            "severity_choices": list(reversed(Severity.choices)),  # the gravest first
            "kind_choices": AlertKind.choices,
            "query": _query_without_page(request),
        },
    )


def _query_without_page(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _detail_context(request: HttpRequest, alert: Alert) -> dict[str, Any]:
    data = alert.explanation_data or {}
    user = request.user
    cases = []
    if alert.kind == AlertKind.REPEAT and data.get("cases"):
        visible = scoped(
            user, CaseModel.objects.all(), unit_field="area", department_field="department"
        )
        cases = list(
            visible.filter(pk__in=data["cases"])
            .select_related("category")
            .only("pk", "tracking_code", "created_at", "status", "category__name")
            .order_by("-created_at")
        )
    chart: dict[str, Any] | None = None
    if data.get("series"):
        chart = {"kind": alert.kind, "series": data["series"]}
        if alert.kind == AlertKind.SENSOR:
            chart["threshold"] = data.get("threshold")
            chart["unit"] = data.get("measure_unit", "")
    live = alert.status in LIVE_ALERT_STATUSES
    return {
        "alert": alert,
        "text": service.explanation_of(alert),
        "data": data,
        "cases": cases,
        "chart": chart,
        "chart_strings": {
            "observed": _("实际"),
            "expected": _("预计"),
            "upper": _("正常上限"),
            "reading": _("读数"),
            "threshold": _("阈值"),
        },
        "live": live,
        "can_acknowledge": alert.status == AlertStatus.OPEN,
        "categories": Category.objects.filter(is_active=True).order_by("kind", "code")
        if live
        else [],
        "topics": service.topics_for(user)
        .exclude(status=TopicStatus.DONE)
        .order_by("-month", "title")[:50]
        if live
        else [],
        "departments": Department.objects.order_by("name")[:200] if live else [],
    }


@require_GET
@staff_required
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _visible(request)
    try:
        alert = service.alert_get(user=request.user, alert_id=pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return render(request, "insight/alert_detail.html", _detail_context(request, alert))


@require_POST
@staff_required
def alert_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    _visible(request)
    if action not in ACTIONS:
        raise Http404
    post = request.POST
    user = request.user
    try:
        if action == "acknowledge":
            service.alert_acknowledge(user=user, alert_id=pk, note=post.get("note", ""))
            messages.success(request, _("已确认这条预警。"))
        elif action == "dismiss":
            service.alert_dismiss(user=user, alert_id=pk, reason=post.get("reason", ""))
            messages.success(request, _("已忽略这条预警，原因已记录。"))
        elif action == "to_case":
            case = service.alert_to_case(
                user=user,
                alert_id=pk,
                note=post.get("note", ""),
                category_id=int_or_none(post.get("category")),
            )
            messages.success(request, _("已转为案件 %(code)s。") % {"code": case.tracking_code})
        else:
            month_text = post.get("month", "")
            month = parse_date(f"{month_text}-01") if len(month_text) == 7 else None
            topic = service.alert_to_topic(
                user=user,
                alert_id=pk,
                topic_id=int_or_none(post.get("topic")),
                title=post.get("title", ""),
                description=post.get("description", ""),
                month=month,
                lead_department_id=int_or_none(post.get("lead_department")),
            )
            messages.success(request, _("已列入每月一题：%(title)s") % {"title": topic.title})
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        try:
            alert = service.alert_get(user=user, alert_id=pk)
        except NotFound as missing:  # pragma: no cover - vanished meanwhile
            raise Http404(str(missing)) from missing
        context = _detail_context(request, alert)
        context.update(error=exc, error_action=action, posted=post)
        return render(request, "insight/alert_detail.html", context, status=exc.status_code)
    return redirect("insight:alert_detail", pk=pk)


@require_POST
@staff_required
def topic_advance(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        topic = service.topic_advance(user=request.user, topic_id=pk)
    except PermissionDeniedError as exc:
        raise PermissionDenied(str(exc)) from exc
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
        return redirect("insight:topics")
    messages.success(
        request,
        _("“%(title)s”已改为%(status)s。")
        % {"title": topic.title, "status": topic.get_status_display()},
    )
    return redirect("insight:topics")


@require_GET
@staff_required
def topic_list(request: HttpRequest) -> HttpResponse:
    try:
        topics = service.topics_for(request.user)
    except PermissionDeniedError as exc:
        raise PermissionDenied(str(exc)) from exc
    status = request.GET.get("status") or ""
    if status in TopicStatus.values:
        topics = topics.filter(status=status)
    topics = (
        topics.select_related("unit", "category", "lead_department", "created_by")
        .annotate(alert_count=Count("alerts"))
        .order_by("-month", "title")
    )
    page = Paginator(topics, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "insight/topics.html",
        {
            "page": page,
            "status": status,
            "status_choices": TopicStatus.choices,
            "query": _query_without_page(request),
        },
    )
