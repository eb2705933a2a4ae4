"""Staff pages of the closed loop: inboxes, case detail with its steps, bulk dispatch,
patrol reports, hotline/window intake and the case map.

Thin: parse the request, call one selector or service, render. Reads go through
``selectors.staff`` (the data scope); every change through ``cases.services`` with
``Actor.of(request.user)``. A ``DomainError`` becomes a message on the page with its HTTP
status (400 invalid input, 403 wrong role, 404 unknown or out of scope, 409 illegal step).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from grassroots.core.errors import DomainError, NotFound, ValidationFailed
from grassroots.core.geo import from_display, to_display
from grassroots.org.choices import Role

from .. import services, workflow
from ..choices import OPEN_STATUSES, CaseStatus, Channel, DeadlineState
from ..duplicates import duplicate_candidates
from ..models import Case, CasePhoto, Category
from ..routing import route
from ..selectors import staff as sel

try:  # photo handling arrives with the public side; without it, staff pages skip photos
    from .. import photos as photo_service
except ImportError:  # pragma: no cover - depends on the checkout
    photo_service = None  # type: ignore[assignment]

View = Callable[..., HttpResponse]
SUPERVISORS = {Role.DISPATCHER, Role.LEADER}
INTAKE_CHANNELS = [Channel.HOTLINE, Channel.WINDOW]
# Steps after which a photo of the work may be added, and what kind it is.
PHOTO_STEPS = {"handle": CasePhoto.Kind.RESULT, "verify": CasePhoto.Kind.AFTER}


def staff_required(view: View) -> View:
    """Signed-in, active staff only; anyone else goes to the login page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (
            user.is_authenticated and user.is_active and getattr(user, "is_staff_member", False)
        ):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def _role(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


def _photos_enabled() -> bool:
    return photo_service is not None


def _boundary_url(unit: Any) -> str:
    """The boundaries drawn under a map for context: the children of ``unit`` (its parent's
    when it is a grid; the root's children without one), in the map's CRS."""
    params = {}
    if unit is not None:
        code = unit.parent.code if unit.level == "grid" and unit.parent_id else unit.code
        params["parent"] = code
    if settings.MAP_CRS != "wgs84":
        params["crs"] = settings.MAP_CRS
    url = reverse("api-units-geojson")
    return f"{url}?{urlencode(params)}" if params else url


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
        "boundary_url": _boundary_url(unit),
        "picker_strings": {
            "located": _("已定位，精度约 %(m)s 米。"),
            "picked": _("已在地图上选择位置。"),
            "locating": _("正在获取位置…"),
            "failed": _("无法获取位置，请在地图上点选或填写地址。"),
        },
    }


# --- inbox -------------------------------------------------------------------------------


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _filters(params: Any, units: list[Any]) -> sel.InboxFilters:
    """The inbox filters from the query string; anything malformed is ignored."""
    status = params.get("status", "")
    channel = params.get("channel", "")
    deadline = params.get("deadline", "")
    area_code = params.get("area", "")
    sort = params.get("sort", "newest")
    return sel.InboxFilters(
        status=status if status in CaseStatus.values else "",
        category=_int(params.get("category")),
        channel=channel if channel in Channel.values else "",
        area=next((u for u in units if u.code == area_code), None) if area_code else None,
        deadline=deadline if deadline in (DeadlineState.YELLOW, DeadlineState.RED) else "",
        supervised=params.get("supervised") == "1",
        date_from=_date(params.get("from")),
        date_to=_date(params.get("to")),
        q=params.get("q", "").strip()[:100],
        sort=sort if sort in sel.SORTS else "newest",
    )


@staff_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = request.user
    now = timezone.now()
    counts = sel.tab_counts(user, now)
    # without a choice, the first list with work in it
    default = next((k for k, n in counts.items() if n), None)
    tab = sel.tab_for(user, request.GET.get("tab") or default)
    units = list(sel.filter_units(user))
    filters = _filters(request.GET, units)
    page: Page[Any]
    rows: list[dict[str, Any]] = []
    if tab.kind == "returns":
        page = Paginator(sel.department_returns(user), sel.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
    else:
        cases = sel.inbox_cases(user, tab=tab, filters=filters, now=now)
        case_page = Paginator(cases, sel.PAGE_SIZE).get_page(request.GET.get("page"))
        rows = [{"case": c, "state": sel.deadline_state(c, now)} for c in case_page.object_list]
        page = case_page
    params = request.GET.copy()
    params.pop("page", None)
    filter_keys = (
        "status",
        "category",
        "channel",
        "area",
        "deadline",
        "supervised",
        "from",
        "to",
        "q",
    )
    return render(
        request,
        "cases/staff/inbox.html",
        {
            "tabs": [(t, counts.get(t.key)) for t in sel.tabs_for(user)],
            "tab": tab,
            "page": page,
            "rows": rows,
            "filters": filters,
            "filtering": any(request.GET.get(k) for k in filter_keys),
            "units": units,
            "categories": list(sel.filter_categories()),
            "statuses": CaseStatus.choices,
            "channels": Channel.choices,
            "sorts": [(k, v[0]) for k, v in sel.SORTS.items()],
            "query_string": params.urlencode(),
            "bulk": _role(request) == Role.DISPATCHER and tab.key == "to_dispatch",
        },
    )


# --- case detail and its steps -----------------------------------------------------------


def _action_forms(request: HttpRequest, case: Case, *, changeable: bool) -> list[dict[str, Any]]:
    """One small form per step the user's role may take on the case now."""
    if not changeable:
        return []
    forms = []
    for transition in workflow.actions_for(status=case.status, role=_role(request)):
        form: dict[str, Any] = {
            "action": transition.action,
            "label": transition.label,
            "reason_required": transition.reason_required,
            "photos": _photos_enabled() and transition.action in PHOTO_STEPS,
        }
        if transition.action == "dispatch":
            suggestion = route(category=case.category, area=case.area)
            form["suggested"] = suggestion.department
            form["suggested_assisting"] = {d.pk for d in suggestion.assisting}
            form["departments"] = list(sel.dispatch_departments(case))
        elif transition.action == "merge":
            form["candidates"] = duplicate_candidates(case, user=request.user)
        forms.append(form)
    return forms


def _render_detail(
    request: HttpRequest,
    case: Case,
    *,
    error: DomainError | None = None,
    error_action: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    detail = sel.case_detail(case, now=now)
    changeable = sel.can_change(request.user, case)
    point = None
    if case.lon is not None and case.lat is not None:
        lon, lat = to_display(case.lon, case.lat)
        point = {"lon": round(lon, 7), "lat": round(lat, 7)}
    is_open = case.status in OPEN_STATUSES
    return render(
        request,
        "cases/staff/case_detail.html",
        {
            "d": detail,
            "case": case,
            "point": point,
            "boundary_url": _boundary_url(case.community or case.street or case.area),
            "forms": _action_forms(request, case, changeable=changeable),
            "can_supervise": is_open and _role(request) in SUPERVISORS,
            "duplicates": (
                duplicate_candidates(case, user=request.user)
                if is_open and not case.merged_into_id
                else []
            ),
            "error": error,
            "error_action": error_action,
            "posted": request.POST if error else {},
        },
        status=status,
    )


@staff_required
@require_GET
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        case = sel.access_case(request.user, pk)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    return _render_detail(request, case)


def _department(value: str | None, *, field: str) -> Any:
    from grassroots.org.models import Department

    pk = _int(value)
    if pk is None:
        return None
    department = Department.objects.filter(pk=pk, is_active=True).first()
    if department is None:
        raise ValidationFailed(_("请选择有效的部门。"), field=field)
    return department


def _take_step(request: HttpRequest, pk: int, action: str) -> Case:
    """Run one step inside a transaction (all or nothing) and return the case."""
    user = request.user
    post = request.POST
    processed = []
    if action in PHOTO_STEPS and photo_service is not None:
        processed = photo_service.process(request.FILES.getlist("photos"))
    with transaction.atomic():
        case = services.case_get_for_update(case_id=pk, user=user)
        kwargs: dict[str, Any] = {}
        if action == "dispatch":
            kwargs["department"] = _department(post.get("department"), field="department")
            if kwargs["department"] is not None:
                kwargs["assisting"] = [
                    d
                    for d in (_department(v, field="assisting") for v in post.getlist("assisting"))
                    if d is not None
                ]
        elif action == "merge":
            target = _int(post.get("merge_into"))
            if target is None:
                raise ValidationFailed(_("请选择要合并到的案件。"), field="merge_into")
            kwargs["merge_into"] = sel.access_case(user, target)
        case = services.case_transition(
            case=case,
            action=action,
            actor=services.Actor.of(user),
            reason=post.get("reason", "").strip()[:500],
            note=post.get("note", "").strip()[:2000],
            **kwargs,
        )
        if processed and photo_service is not None:
            photo_service.attach(
                case=case, processed=processed, kind=PHOTO_STEPS[action], user=user
            )
    return case


def _after_step(request: HttpRequest, case: Case, text: str) -> HttpResponse:
    messages.success(request, text)
    if sel.case_scope(request.user).filter(pk=case.pk).exists():
        return redirect("cases:staff-case", pk=case.pk)
    # e.g. a department returned the case: it has left the department's scope
    return redirect("cases:inbox")


@staff_required
@require_POST
def case_act(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """POST one step of the state machine (or 督办) on a case."""
    try:
        if action == "supervise":
            case = sel.access_case(request.user, pk)
            with transaction.atomic():
                case = services.case_supervise(
                    case=case,
                    actor=services.Actor.of(request.user),
                    note=request.POST.get("note", "").strip()[:2000],
                )
            return _after_step(request, case, _("已督办。"))
        case = _take_step(request, pk, action)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        try:
            case = sel.access_case(request.user, pk)
        except NotFound as missing:
            raise Http404(str(missing)) from missing
        return _render_detail(request, case, error=exc, error_action=action, status=exc.status_code)
    return _after_step(
        request,
        case,
        _("“%(step)s”已完成，案件状态：%(status)s。")
        % {"step": workflow.label(action), "status": case.get_status_display()},
    )


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@staff_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch several cases, each to its routed department, each in its own transaction;
    say which went and which did not, and why."""
    ids = [i for i in (_int(v) for v in request.POST.getlist("case")) if i is not None][:100]
    back = _safe_next(request, reverse("cases:inbox") + "?tab=to_dispatch")
    if not ids:
        messages.error(request, _("请先勾选要派遣的案件。"))
        return redirect(back)
    actor = services.Actor.of(request.user)
    done: list[str] = []
    for pk in ids:
        label = f"#{pk}"
        try:
            with transaction.atomic():
                case = services.case_get_for_update(case_id=pk, user=request.user)
                label = case.tracking_code
                case = services.case_transition(case=case, action="dispatch", actor=actor)
            done.append(
                _("%(code)s → %(dept)s")
                % {
                    "code": case.tracking_code,
                    "dept": case.department.name if case.department else "",
                }
            )
        except DomainError as exc:
            messages.error(
                request,
                _("%(code)s 未派遣：%(reason)s") % {"code": label, "reason": exc.message},
            )
    if done:
        messages.success(
            request,
            _("已派遣 %(n)d 件：%(list)s") % {"n": len(done), "list": "；".join(done)},
        )
    return redirect(back)


# --- patrol report and hotline/window intake ---------------------------------------------


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
    pk = _int(value)
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
    if _role(request) != Role.GRID_WORKER:
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
            "photos_enabled": _photos_enabled(),
            **_picker_context(request),
        },
        status=error.status_code if error else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """A hotline or window operator enters a request for a caller or visitor."""
    if _role(request) != Role.OPERATOR:
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
            "photos_enabled": _photos_enabled(),
            **_picker_context(request),
        },
        status=error.status_code if error else 200,
    )


# --- the map -----------------------------------------------------------------------------


@staff_required
@require_GET
def case_map(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/staff/map.html",
        {
            "limit": sel.MAP_LIMIT,
            "boundary_url": _boundary_url(getattr(request.user, "unit", None)),
            "map_strings": {
                "loaded": _("共 %(n)s 件在办案件。"),
                "empty": _("辖区内暂无带位置的在办案件。"),
                "failed": _("案件数据加载失败，请稍后再试。"),
                "open": _("查看案件"),
                "states": {value: str(label) for value, label in DeadlineState.choices},
            },
        },
    )


@staff_required
@require_GET
def case_map_data(request: HttpRequest) -> JsonResponse:
    """The in-scope open cases as GeoJSON points (display CRS), coloured by deadline."""
    now = timezone.now()
    features = []
    for case in sel.map_cases(request.user):
        assert case.lon is not None and case.lat is not None
        lon, lat = to_display(case.lon, case.lat)
        features.append(
            {
                "type": "Feature",
                "id": case.pk,
                "geometry": {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]},
                "properties": {
                    "code": case.tracking_code,
                    "category": case.category.name,
                    "status": case.get_status_display(),
                    "state": sel.deadline_state(case, now),
                    "supervised": case.supervised,
                    "url": reverse("cases:staff-case", args=[case.pk]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})
