"""Staff pages for lists of cases: the inbox with its tabs and filters, bulk dispatch from
the inbox, and the case map with its GeoJSON data (see ``staff_common`` for the rules all
staff pages follow)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET, require_POST

from grassroots.core.errors import DomainError
from grassroots.core.geo import to_display
from grassroots.org.choices import Role
from grassroots.org.models import Unit

from .. import services
from ..choices import CaseStatus, Channel, DeadlineState
from ..selectors import staff as sel
from ..selectors.public import category_label, unit_label
from .staff_common import boundary_url, int_or_none, role_of, staff_required

# --- inbox -------------------------------------------------------------------------------


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _area(code: str, offered: list[Any]) -> Unit | None:
    """The unit of the area filter: one offered in the menu, or any other unit by its code
    (a grid reached by drilling down from a dashboard). The case list is already limited
    to the user's scope, so a unit outside it only narrows the list to nothing."""
    if not code:
        return None
    unit = next((u for u in offered if u.code == code), None)
    if unit is None and len(code) <= 32:
        unit = Unit.objects.filter(code=code).only("id", "code", "path").first()
    return unit


def _filters(params: Any, units: list[Any]) -> sel.InboxFilters:
    """The inbox filters from the query string; anything malformed is ignored."""
    status = params.get("status", "")
    channel = params.get("channel", "")
    deadline = params.get("deadline", "")
    area_code = params.get("area", "")
    sort = params.get("sort", "newest")
    return sel.InboxFilters(
        status=status if status in CaseStatus.values else "",
        category=int_or_none(params.get("category")),
        channel=channel if channel in Channel.values else "",
        area=_area(area_code, units),
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
            "bulk": role_of(request) == Role.DISPATCHER and tab.key == "to_dispatch",
        },
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
    ids = [i for i in (int_or_none(v) for v in request.POST.getlist("case")) if i is not None][:100]
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
                    "dept": unit_label(case.department.name, case.department.name_en)
                    if case.department
                    else "",
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
            _("已派遣 %(n)d 件：%(list)s")
            % {"n": len(done), "list": pgettext("list separator", "；").join(done)},
        )
    return redirect(back)


# --- the map -----------------------------------------------------------------------------


@staff_required
@require_GET
def case_map(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "cases/staff/map.html",
        {
            "limit": sel.MAP_LIMIT,
            "boundary_url": boundary_url(getattr(request.user, "unit", None)),
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
                    "category": category_label(case.category),
                    "status": case.get_status_display(),
                    "state": sel.deadline_state(case, now),
                    "supervised": case.supervised,
                    "url": reverse("cases:staff-case", args=[case.pk]),
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})
