"""The leader's dashboard (数据看板): figures of one unit over a range of months, charts,
a map of H3 cells and sub-areas, rankings and open early warnings; every table to Excel.

Thin: parse the query string, call ``selectors.dashboard``, render. The charts read the
same figures as the API (``selectors.dashboard.as_data``), embedded with ``json_script``.
Out of scope is 404; a role that does not see dashboards is 404 as well (the page does
not exist for it); signed-out visitors and residents go to the login page.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from grassroots.cases.views.staff_common import int_or_none, staff_required
from grassroots.core.errors import NotFound, PermissionDeniedError
from grassroots.core.export import xlsx_response

from ..kpi import COMPOSITE_FORMULA, EXCLUSION_RULE, KPIS
from ..selectors.dashboard import (
    Dashboard,
    Period,
    as_data,
    dashboard,
    dashboard_url,
)
from ..services import weights_current
from .assessment import parse_month

TABLES = ("categories", "channels", "trend", "areas", "departments")


def period_from(params: Any, today: date | None = None) -> Period:
    """``from``/``to`` (``YYYY-MM``) from the query string; the last 12 months (this one
    included) by default; at most 36 months."""
    default = Period.last_months(today or timezone.localdate())
    month_from = parse_month(params.get("from"))
    month_to = parse_month(params.get("to"))
    if month_from is None and month_to is None:
        return default
    return Period.of(month_from or month_to or default.month_from, month_to or default.month_to)


def load(request: HttpRequest) -> Dashboard:
    """The dashboard the request asks for; out of scope or not a viewer → 404."""
    try:
        return dashboard(
            user=request.user,
            unit_id=int_or_none(request.GET.get("unit")),
            period=period_from(request.GET),
            weights=weights_current(),
        )
    except (NotFound, PermissionDeniedError) as exc:
        raise Http404(str(exc.message)) from exc


def _boundary_url(board: Dashboard) -> str:
    unit = board.unit
    code = unit.code if board.areas or unit.parent is None else unit.parent.code
    params = {"parent": code}
    if settings.MAP_CRS != "wgs84":
        params["crs"] = settings.MAP_CRS
    return f"{reverse('api-units-geojson')}?{urlencode(params)}"


def _display(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "h":
        return f"{value:.1f}"
    return f"{value:,.0f}"


def _card_view(card: Any) -> dict[str, Any]:
    scale = 100 if card.unit == "%" else 1
    value = None if card.value is None else card.value * scale
    last = None if card.last_year is None else card.last_year * scale
    change = None
    better = None
    if value is not None and last is not None:
        if card.unit == "%":
            change = f"{value - last:+.1f}"
            better = (value >= last) == card.higher_is_better
        elif last:
            change = f"{(value - last) / last * 100:+.1f}%"
    return {
        "card": card,
        "value": _display(value, card.unit),
        "last_year": _display(last, card.unit),
        "change": change,
        "better": better,
    }


def _export_link(board: Dashboard, table: str) -> str:
    query = {
        "unit": board.unit.pk,
        "from": f"{board.period.month_from:%Y-%m}",
        "to": f"{board.period.month_to:%Y-%m}",
        "table": table,
    }
    return f"{reverse('insight:dashboard_export')}?{urlencode(query)}"


def _row_view(row: Any) -> dict[str, Any]:
    values = row.assessed.values
    return {
        "row": row,
        "cells": [_display(_scaled(k.unit, values[k.key]), k.unit) for k in KPIS],
        "composite": "—" if row.assessed.composite is None else f"{row.assessed.composite:.1f}",
    }


def _scaled(unit: str, value: float | None) -> float | None:
    if value is None:
        return None
    return value * 100 if unit == "%" else value


@staff_required
@require_GET
def dashboard_page(request: HttpRequest) -> HttpResponse:
    board = load(request)
    data = as_data(board)
    period = board.period
    context = {
        "board": board,
        "data": data,
        "cards": [_card_view(c) for c in board.cards],
        "areas": [_row_view(r) for r in board.areas],
        "departments": [_row_view(r) for r in board.departments],
        "kpis": KPIS,
        "trail": [(u, dashboard_url(u.pk, period)) for u in board.trail],
        "month_from": f"{period.month_from:%Y-%m}",
        "month_to": f"{period.month_to:%Y-%m}",
        "last_year_from": f"{period.last_year.month_from:%Y-%m}",
        "last_year_to": f"{period.last_year.month_to:%Y-%m}",
        "exports": {t: _export_link(board, t) for t in TABLES},
        "boundary_url": _boundary_url(board),
        "exclusion_rule": EXCLUSION_RULE,
        "composite_formula": COMPOSITE_FORMULA,
        "strings": {
            "received": _("受理量"),
            "last_year": _("去年同期"),
            "this_period": _("本期"),
            "cases": _("件"),
            "cells": _("案件热力（H3 网格单元）"),
            "areas": _("下级区域"),
            "open_cases": _("查看案件"),
            "open_dashboard": _("查看看板"),
            "no_data": _("本期暂无数据"),
            "map_failed": _("边界数据加载失败，仅显示热力单元。"),
            "legend": _("受理量（件）"),
        },
    }
    return render(request, "insight/dashboard.html", context)


def _table_rows(board: Dashboard, table: str) -> tuple[list[Any], list[list[Any]], str]:
    if table == "categories":
        headers = [_("类别"), _("受理量（件）")]
        return headers, [[s.label, s.received] for s in board.categories], _("类别")
    if table == "channels":
        headers = [_("渠道"), _("受理量（件）")]
        return headers, [[s.label, s.received] for s in board.channels], _("渠道")
    if table == "trend":
        headers = [_("月份"), _("受理量（件）"), _("去年同期（件）")]
        rows = [[s.label, s.received, s.last_year] for s in board.trend]
        return headers, rows, _("趋势")
    rows_source = board.areas if table == "areas" else board.departments
    headers = [_("排名"), _("名称"), _("编码"), _("受理量"), _("有效诉求量")]
    headers += [f"{k.label}（{'小时' if k.unit == 'h' else '%'}）" for k in KPIS]
    headers.append(_("综合得分"))
    rows = []
    for row in rows_source:
        values = [_rounded(_scaled(k.unit, row.assessed.values[k.key])) for k in KPIS]
        composite = row.assessed.composite
        rows.append(
            [
                row.rank,
                row.name,
                row.code,
                row.received,
                row.assessed.valid,
                *values,
                None if composite is None else round(composite, 1),
            ]
        )
    return headers, rows, _("下级区域") if table == "areas" else _("职能部门")


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@staff_required
@require_GET
def dashboard_export(request: HttpRequest) -> HttpResponse:
    """One table of the dashboard (``table=``) as .xlsx: same scope, same period."""
    table = request.GET.get("table", "")
    if table not in TABLES:
        raise Http404(_("没有这张表。"))
    board = load(request)
    headers, rows, title = _table_rows(board, table)
    period = board.period
    name = f"dashboard-{board.unit.code}-{table}-{period.month_from:%Y%m}-{period.month_to:%Y%m}"
    return xlsx_response(name, headers, rows, sheet_title=str(title))
