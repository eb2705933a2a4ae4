"""Pages of data sharing (数据共享) under ``/registry/sharing/``: the catalogue, requests
(mine / to approve / all / grants), a new request, one request with its decision forms, and
the usage report with its Excel export.

Thin: parse, call one ``registry.sharing`` selector or service, render. Out-of-scope and
unknown requests are the same 404; a role with no business on a page gets the registry's
403 page. A refused input re-renders the form with the message next to the field and
status 400 (409 for a request already decided).
"""

from __future__ import annotations

import functools
from datetime import date, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.core.errors import DomainError, NotFound
from grassroots.core.export import xlsx_response
from grassroots.core.scope import Action

from . import catalogue, sharing
from .models_sharing import AccessChannel, AccessLog, AccessRequest, Grant, RequestStatus
from .views.common import View, denied, no_store, page

DEFAULT_REQUEST_DAYS = 90


def _signed_in(view: View, *, allowed: Any) -> View:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active):
            return redirect_to_login(request.get_full_path())
        if not allowed(user):
            return denied(request)
        return view(request, *args, **kwargs)

    return wrapper


def staff_only(view: View) -> View:
    return _signed_in(
        view,
        allowed=lambda u: getattr(u, "is_staff_member", False) or u.is_superuser,
    )


def sharing_only(view: View) -> View:
    return _signed_in(view, allowed=sharing.is_sharing_user)


def _date(value: str | None) -> date | None:
    try:
        return parse_date(value or "")
    except ValueError:
        return None


def _found(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


# --- the catalogue ---------------------------------------------------------------------------


@staff_only
@require_GET
def catalogue_page(request: HttpRequest) -> HttpResponse:
    from .models import Source

    names = dict(Source.objects.values_list("key", "name"))
    datasets = [
        {
            "ds": ds,
            "providers": [names.get(key, key) for key in ds.providers],
            "fields": [
                {
                    "spec": f,
                    "share": ds.share_of(f),
                    "share_label": catalogue.SHARE_LABELS[ds.share_of(f)],
                }
                for f in ds.fields
            ],
        }
        for ds in catalogue.DATASETS
    ]
    return page(
        request,
        "registry/sharing/catalogue.html",
        {
            "datasets": datasets,
            "can_request": request.user.role in sharing.REQUESTER_ROLES,
            "tab": "catalogue",
            "sharing_user": sharing.is_sharing_user(request.user),
        },
    )


# --- lists -----------------------------------------------------------------------------------


def _tabs(user: Any) -> list[tuple[str, str]]:
    tabs = []
    if user.role in sharing.REQUESTER_ROLES:
        tabs.append(("mine", _("本部门的申请")))
    if sharing.is_approver(user):
        tabs.append(("approve", _("待我审批")))
    tabs.append(("all", _("全部申请")))
    tabs.append(("grants", _("授权")))
    return tabs


@sharing_only
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    tabs = _tabs(user)
    keys = [k for k, _label in tabs]
    tab = request.GET.get("tab") or keys[0]
    if tab not in keys:
        tab = keys[0]
    requests: list[AccessRequest] = []
    grants: list[dict[str, Any]] = []
    if tab == "grants":
        today = timezone.localdate()
        for g in sharing.grant_scope(user).order_by("-valid_until", "-id")[:200]:
            state = sharing.grant_state(g, today)
            grants.append(
                {"grant": g, "state": state, "state_label": sharing.grant_state_label(state)}
            )
    else:
        qs = sharing.request_scope(user)
        if tab == "mine":
            qs = qs.filter(department_id=user.department_id)
        elif tab == "approve":
            qs = sharing.request_scope(user, action=Action.CHANGE).filter(
                status=RequestStatus.PENDING
            )
        requests = list(qs.order_by("-created_at", "-id")[:200])
    pending = sharing.request_scope(user, action=Action.CHANGE).filter(status=RequestStatus.PENDING)
    return no_store(
        page(
            request,
            "registry/sharing/requests.html",
            {
                "tabs": tabs,
                "tab": tab,
                "requests": requests,
                "grants": grants,
                "pending_count": pending.count() if sharing.is_approver(user) else 0,
                "can_request": user.role in sharing.REQUESTER_ROLES,
                "datasets": {d.key: d for d in catalogue.DATASETS},
            },
        )
    )


# --- a new request ---------------------------------------------------------------------------


def _form_fields(ds: catalogue.Dataset) -> list[dict[str, Any]]:
    return [
        {"spec": f, "share": ds.share_of(f), "share_label": catalogue.SHARE_LABELS[ds.share_of(f)]}
        for f in ds.fields
        if f.key in ds.shareable_keys
    ]


def handler_only(view: View) -> View:
    return _signed_in(view, allowed=lambda u: u.role in sharing.REQUESTER_ROLES)


def _request_form(
    request: HttpRequest,
    *,
    values: dict[str, Any] | None = None,
    error: DomainError | None = None,
    status: int = 200,
) -> HttpResponse:
    shared = catalogue.shared_datasets()
    values = values or {}
    ds = catalogue.dataset(values.get("dataset") or request.GET.get("dataset") or "")
    if ds is None or not ds.is_shared:
        ds = shared[0]
    today = timezone.localdate()
    context = {
        "datasets": shared,
        "ds": ds,
        "fields": _form_fields(ds),
        "v": {
            "fields": values.get("fields", []),
            "full_fields": values.get("full_fields", []),
            "purpose": values.get("purpose", ""),
            "scenario": values.get("scenario", ""),
            "legal_basis": values.get("legal_basis", ""),
            "valid_from": values.get("valid_from_raw", today.isoformat()),
            "valid_until": values.get(
                "valid_until_raw", (today + timedelta(days=DEFAULT_REQUEST_DAYS)).isoformat()
            ),
        },
        "error": error,
        "max_days": sharing.grant_max_days(),
        "min_purpose": sharing.PURPOSE_MIN_CHARS,
        "share_label": catalogue.SHARE_LABELS[ds.share],
    }
    return no_store(page(request, "registry/sharing/request_form.html", context, status=status))


@handler_only
@require_http_methods(["GET", "POST"])
def request_new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _request_form(request)
    post = request.POST
    values = {
        "dataset": post.get("dataset", ""),
        "fields": post.getlist("fields"),
        "full_fields": post.getlist("full_fields"),
        "purpose": post.get("purpose", ""),
        "scenario": post.get("scenario", ""),
        "legal_basis": post.get("legal_basis", ""),
        "valid_from_raw": post.get("valid_from", ""),
        "valid_until_raw": post.get("valid_until", ""),
    }
    try:
        req = sharing.access_request_submit(
            user=request.user,
            dataset=values["dataset"],
            fields=values["fields"],
            full_fields=values["full_fields"],
            purpose=values["purpose"],
            scenario=values["scenario"],
            legal_basis=values["legal_basis"],
            valid_from=_date(values["valid_from_raw"]),
            valid_until=_date(values["valid_until_raw"]),
        )
    except DomainError as exc:
        return _request_form(request, values=values, error=exc, status=exc.status_code)
    messages.success(request, _("申请已提交，等待审批。"))
    return redirect("registry:sharing-request", pk=req.pk)


# --- one request -----------------------------------------------------------------------------


def _detail(
    request: HttpRequest,
    req: AccessRequest,
    *,
    error: DomainError | None = None,
    error_action: str = "",
    status: int = 200,
) -> HttpResponse:
    user = request.user
    ds = catalogue.dataset(req.dataset)
    grant: Grant | None = (
        getattr(req, "grant", None) if req.status == RequestStatus.GRANTED else None
    )
    grant_info = None
    if grant is not None:
        state = sharing.grant_state(grant)
        reads = AccessLog.objects.filter(grant=grant)
        grant_info = {
            "grant": grant,
            "state": state,
            "state_label": sharing.grant_state_label(state),
            "reads": reads.count(),
            "last_read": reads.order_by("-at").values_list("at", flat=True).first(),
            "can_revoke": grant.revoked_at is None
            and sharing.grant_scope(user, action=Action.CHANGE).filter(pk=grant.pk).exists(),
        }
    labels = {f.key: f for f in ds.fields} if ds else {}
    decide = req.status == RequestStatus.PENDING and sharing.can_decide(user, req)
    return no_store(
        page(
            request,
            "registry/sharing/request_detail.html",
            {
                "req": req,
                "ds": ds,
                "field_specs": [labels[k] for k in req.fields if k in labels],
                "full_specs": [labels[k] for k in req.full_fields if k in labels],
                "share_label": catalogue.SHARE_LABELS[ds.share_for(req.fields)] if ds else "",
                "grant_info": grant_info,
                "granted_specs": [labels[k] for k in grant.fields if k in labels] if grant else [],
                "can_decide": decide,
                "can_withdraw": sharing.can_withdraw(user, req),
                "error": error,
                "error_action": error_action,
                "posted": request.POST if error else {},
                "today": timezone.localdate(),
            },
            status=status,
        )
    )


@sharing_only
@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _found(sharing.access_request, request.user, pk))


ACTIONS = ("approve", "refuse", "withdraw")


@sharing_only
@require_POST
def request_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in ACTIONS:
        raise Http404
    user = request.user
    req = _found(sharing.access_request, user, pk)
    post = request.POST
    try:
        if action == "approve":
            sharing.access_request_approve(
                user=user,
                request_id=req.pk,
                fields=post.getlist("fields"),
                full_fields=post.getlist("full_fields"),
                valid_from=_date(post.get("valid_from")),
                valid_until=_date(post.get("valid_until")),
                note=post.get("note", ""),
            )
            messages.success(request, _("已授权。"))
        elif action == "refuse":
            sharing.access_request_refuse(
                user=user, request_id=req.pk, reason=post.get("reason", "")
            )
            messages.success(request, _("已拒绝该申请。"))
        else:
            sharing.access_request_withdraw(user=user, request_id=req.pk)
            messages.success(request, _("申请已撤回。"))
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        req.refresh_from_db()
        return _detail(request, req, error=exc, error_action=action, status=exc.status_code)
    return redirect("registry:sharing-request", pk=req.pk)


@sharing_only
@require_POST
def grant_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    grant = sharing.grant_scope(user).filter(pk=pk).first()
    if grant is None:
        raise Http404(_("找不到该授权。"))
    try:
        sharing.grant_revoke(user=user, grant_id=grant.pk, reason=request.POST.get("reason", ""))
    except NotFound as exc:  # pragma: no cover - checked above
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        req = sharing.access_request(user, grant.request_id)
        return _detail(request, req, error=exc, error_action="revoke", status=exc.status_code)
    messages.success(request, _("授权已撤销，该部门即刻不能再读取数据。"))
    return redirect("registry:sharing-request", pk=grant.request_id)


# --- the usage report ------------------------------------------------------------------------


def _report_period(request: HttpRequest) -> tuple[date, date]:
    today = timezone.localdate()
    until = _date(request.GET.get("until")) or today
    start = _date(request.GET.get("from")) or until - timedelta(days=29)
    return start, until


@sharing_only
@require_GET
def usage_report(request: HttpRequest) -> HttpResponse:
    user = request.user
    start, until = _report_period(request)
    error = None
    try:
        report = sharing.usage_report(user, date_from=start, date_until=until)
    except DomainError as exc:
        error = exc
        report = sharing.usage_report(user, date_from=until, date_until=until)
    if request.GET.get("format") == "xlsx" and error is None:
        return _report_xlsx(report)
    rows = []
    for r in report.rows:
        ds = catalogue.dataset(r.dataset)
        rows.append(
            {
                "row": r,
                "fields": [(_field_label(ds, k), n) for k, n in r.fields.items()],
            }
        )
    recent = []
    for log in report.recent:
        ds = catalogue.dataset(log.dataset)
        recent.append(
            {
                "log": log,
                "fields": [_field_label(ds, k) for k in log.fields],
                "full_fields": [_field_label(ds, k) for k in log.full_fields],
            }
        )
    return no_store(
        page(
            request,
            "registry/sharing/report.html",
            {
                "report": report,
                "rows": rows,
                "recent": recent,
                "error": error,
                "tab": "report",
                "channels": dict(AccessChannel.choices),
            },
            status=error.status_code if error else 200,
        )
    )


def _field_label(ds: catalogue.Dataset | None, key: str) -> str:
    spec = ds.field(key) if ds else None
    return str(spec.label) if spec else key


def _report_xlsx(report: sharing.UsageReport) -> HttpResponse:
    headers = [
        _("部门"),
        _("授权编号"),
        _("数据集"),
        _("读取次数"),
        _("读取记录数"),
        _("明文读取次数"),
        _("最近读取"),
        _("字段"),
        _("字段读取次数"),
    ]
    lines: list[list[Any]] = []
    for r in report.rows:
        ds = catalogue.dataset(r.dataset)
        head = [
            r.department.name if r.department else _("辖区工作人员（数据范围内）"),
            r.grant.pk if r.grant else None,
            r.dataset_name,
            r.reads,
            r.records,
            r.full_reads,
            r.last_at,
        ]
        for key, n in r.fields.items() or [("", 0)]:
            lines.append([*head, _field_label(ds, key), n])
    name = f"data-sharing-usage-{report.date_from:%Y%m%d}-{report.date_until:%Y%m%d}"
    return xlsx_response(name, headers, lines, sheet_title=_("共享数据使用情况"))
