"""The assessment page (考评): every unit of a level under the viewer's scope (or every
department) with all KPIs over a month range, ranked by the composite score; its Excel
export; the administrator's weights form. Thin: parse, call the selector/service, render."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.cases.views.staff_common import int_or_none, staff_required
from grassroots.core.errors import DomainError, NotFound, PermissionDeniedError
from grassroots.core.export import xlsx_response

from ..choices import AssessmentLevel
from ..kpi import COMPOSITE_FORMULA, EXCLUSION_RULE, KPIS
from ..models import KpiWeights
from ..selectors.assessment import (
    SORT_KEYS,
    AssessmentTable,
    assessment_table,
    kpi_columns,
    sort_rows,
)
from ..services import WEIGHT_FIELDS, can_edit_weights, weights_current, weights_update

MAX_MONTHS = 36


def parse_month(value: str | None) -> date | None:
    """``YYYY-MM`` → the first day of that month; anything else → None."""
    try:
        year, month = (int(part) for part in (value or "").split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        return None


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _query(request: HttpRequest) -> dict[str, Any]:
    default = previous_month(timezone.localdate())
    month_from = parse_month(request.GET.get("from")) or default
    month_to = parse_month(request.GET.get("to")) or month_from
    if month_from > month_to:
        month_from, month_to = month_to, month_from
    if _months_between(month_from, month_to) > MAX_MONTHS:
        month_from = date(month_to.year - MAX_MONTHS // 12, month_to.month, 1)
    sort = request.GET.get("sort") or "composite"
    return {
        "level": request.GET.get("level") or "",
        "unit_id": int_or_none(request.GET.get("unit")),
        "month_from": month_from,
        "month_to": month_to,
        "sort": sort if sort in SORT_KEYS else "composite",
        "descending": request.GET.get("dir", "desc") != "asc",
    }


def _table(request: HttpRequest, query: dict[str, Any], weights: KpiWeights) -> AssessmentTable:
    try:
        table = assessment_table(
            user=request.user,
            level=query["level"],
            month_from=query["month_from"],
            month_to=query["month_to"],
            unit_id=query["unit_id"],
            weights=weights,
        )
    except (NotFound, PermissionDeniedError) as exc:
        # Out of scope or not a viewer of insight: the page does not exist for them.
        raise Http404(str(exc.message)) from exc
    table.rows = sort_rows(table.rows, query["sort"], query["descending"])
    return table


def _link(query: dict[str, Any], table: AssessmentTable, **changes: Any) -> str:
    params = {
        "level": table.level,
        "unit": table.within.pk if table.within is not None else "",
        "from": f"{table.month_from:%Y-%m}",
        "to": f"{table.month_to:%Y-%m}",
        "sort": query["sort"],
        "dir": "desc" if query["descending"] else "asc",
    }
    params.update(changes)
    return "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})


@staff_required
@require_GET
def assessment(request: HttpRequest) -> HttpResponse:
    query = _query(request)
    weights = weights_current()
    table = _table(request, query, weights)
    columns = kpi_columns()
    sort_links = {
        key: _link(
            query,
            table,
            sort=key,
            dir="asc"
            if (query["sort"] == key and query["descending"])
            or (query["sort"] != key and key == "name")
            else "desc",
        )
        for key in SORT_KEYS
    }
    rows = [
        {
            "row": row,
            "cells": [display(kpi, row.assessed.values[kpi.key]) for kpi in KPIS],
            "composite": "—" if row.assessed.composite is None else f"{row.assessed.composite:.1f}",
            "drill": _link(query, table, level=row.drill_level, unit=row.key)
            if row.drill_level
            else "",
        }
        for row in table.rows
    ]
    context = {
        "table": table,
        "total_cells": [display(k, table.total.values[k.key]) for k in KPIS] if table.total else [],
        "total_composite": "—"
        if table.total is None or table.total.composite is None
        else f"{table.total.composite:.1f}",
        "columns": columns,
        "rows": rows,
        "query": query,
        "weights": weights,
        "weight_items": [(kpi, getattr(weights, kpi.key)) for kpi in KPIS],
        "can_edit_weights": can_edit_weights(request.user),
        "levels": [(lv, AssessmentLevel(lv).label) for lv in table.levels],
        "level_label": AssessmentLevel(table.level).label,
        "sort_links": sort_links,
        "export_url": _link(query, table),
        "trail": [(u, _link(query, table, unit=u.pk, level="")) for u in table.trail],
        "exclusion_rule": EXCLUSION_RULE,
        "composite_formula": COMPOSITE_FORMULA,
        "month_from": f"{table.month_from:%Y-%m}",
        "month_to": f"{table.month_to:%Y-%m}",
    }
    return render(request, "insight/assessment.html", context)


def display(kpi: Any, value: float | None) -> str:
    """A KPI value as shown: a percentage with one decimal, hours with one decimal, or a
    dash when there is no data (a zero denominator)."""
    if value is None:
        return "—"
    return f"{value:.1f}" if kpi.unit == "h" else f"{100 * value:.1f}%"


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


@staff_required
@require_GET
def assessment_export(request: HttpRequest) -> HttpResponse:
    """The table on the page, as .xlsx (same scope, same order)."""
    query = _query(request)
    table = _table(request, query, weights_current())
    headers: list[Any] = [_("排名"), _("名称"), _("编码"), _("受理量"), _("有效诉求量")]
    for kpi in KPIS:
        headers.append(f"{kpi.label}（{'小时' if kpi.unit == 'h' else '%'}）")
    headers.append(_("综合得分"))
    rows = []
    for row in table.rows:
        values = [
            round(v, 1) if kpi.unit == "h" and v is not None else _percent(v)
            for kpi, v in ((k, row.assessed.values[k.key]) for k in KPIS)
        ]
        composite = row.assessed.composite
        rows.append(
            [
                row.rank,
                row.name,
                row.code,
                row.assessed.received,
                row.assessed.valid,
                *values,
                None if composite is None else round(composite, 1),
            ]
        )
    name = f"assessment-{table.level}-{table.month_from:%Y%m}-{table.month_to:%Y%m}"
    return xlsx_response(name, headers, rows, sheet_title=str(_("考评")))


@staff_required
@require_POST
def weights_edit(request: HttpRequest) -> HttpResponse:
    """The administrator sets the composite score's weights (audited; history kept)."""
    back = request.POST.get("next") or ""
    target = "insight:assessment"
    values = {name: request.POST.get(name) for name in (*WEIGHT_FIELDS, "handling_target_hours")}
    try:
        weights_update(actor=request.user, values=values, note=request.POST.get("note", ""))
    except PermissionDeniedError as exc:
        raise Http404(str(exc.message)) from exc
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("考评权重已更新。"))
    response = redirect(target)
    if back.startswith("?"):
        response["Location"] += back
    return response
