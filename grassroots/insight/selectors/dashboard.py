"""Reads for the leader's dashboard (领导驾驶舱): one unit's figures over a range of months,
from the rollups only.

Every figure comes from ``MonthlyStat`` rows of one unit (``unit = U``: its totals, by
month, category, channel and lead department), of its children (``parent = U``: the
sub-areas and their ranking) and from ``CellStat`` (``unit_path`` prefix: the map), each
with the month range in the indexed filter. The case table is never read. A page costs a
fixed number of queries whatever the volume (pinned by a test).

Scope (``core.scope``): leaders, dispatchers and administrators see their unit and every
unit below it; any other unit is 404 (``NotFound``), never a hint. Department handlers
and every other role are refused (``PermissionDeniedError``): a department's own figures
are on the assessment page.

Rates use ``insight.kpi`` (the definitions written there and on the assessment page).
Rankings are of outcome measures only: the composite score and its KPIs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import h3
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound, PermissionDeniedError
from grassroots.core.geo import to_display
from grassroots.core.scope import scoped
from grassroots.org.choices import UnitLevel
from grassroots.org.models import Unit

from ..choices import LIVE_ALERT_STATUSES
from ..kpi import KPI_BY_KEY, Assessed, assess
from ..models import MEASURES, CellStat, MonthlyStat
from ..summary import path_prefixes
from .assessment import INSIGHT_UNIT_ROLES, home_unit

TOP_CATEGORIES = 10
ALERTS_SHOWN = 5
MAX_MONTHS = 36
MAP_CACHE_SECONDS = 300
CARD_KPIS = ("response", "resolution", "satisfaction", "on_time")
CHILD_LEVEL: dict[str, str] = {
    UnitLevel.PROVINCE: UnitLevel.CITY,
    UnitLevel.CITY: UnitLevel.DISTRICT,
    UnitLevel.DISTRICT: UnitLevel.STREET,
    UnitLevel.STREET: UnitLevel.COMMUNITY,
    UnitLevel.COMMUNITY: UnitLevel.GRID,
}

Counts = dict[str, float]


# --- months ---------------------------------------------------------------------------------


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


@dataclass(frozen=True)
class Period:
    """A range of whole months (first days) and the same months a year earlier."""

    month_from: date
    month_to: date

    @classmethod
    def last_months(cls, today: date, months: int = 12) -> Period:
        end = today.replace(day=1)
        return cls(add_months(end, 1 - months), end)

    @classmethod
    def of(cls, month_from: date, month_to: date) -> Period:
        month_from, month_to = month_from.replace(day=1), month_to.replace(day=1)
        if month_from > month_to:
            month_from, month_to = month_to, month_from
        if months_between(month_from, month_to) > MAX_MONTHS:
            month_from = add_months(month_to, 1 - MAX_MONTHS)
        return cls(month_from, month_to)

    @property
    def months(self) -> list[date]:
        return [add_months(self.month_from, i) for i in range(self.length)]

    @property
    def length(self) -> int:
        return months_between(self.month_from, self.month_to)

    @property
    def last_year(self) -> Period:
        return Period(add_months(self.month_from, -12), add_months(self.month_to, -12))

    @property
    def first_day(self) -> date:
        return self.month_from

    @property
    def last_day(self) -> date:
        return add_months(self.month_to, 1) - timedelta(days=1)


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Card:
    key: str
    label: str
    value: float | None
    last_year: float | None
    unit: str  # "件", "%" or "h"
    higher_is_better: bool = True
    formula: str = ""


@dataclass
class Slice:
    """One bar or pie slice: a category, a channel, a month."""

    key: str
    label: str
    received: float
    last_year: float | None = None
    url: str = ""


@dataclass
class AreaRow:
    """A unit (sub-area) or a department with its outcome figures."""

    id: int
    name: str
    code: str
    level: str
    assessed: Assessed
    rank: int | None = None
    url: str = ""  # drill-down: the dashboard of the sub-area, or its cases

    @property
    def received(self) -> float:
        return self.assessed.received


@dataclass
class MapCell:
    cell: str
    received: float
    boundary: list[list[float]]  # [lon, lat] rings in the display CRS


@dataclass
class AlertItem:
    id: int
    kind: str
    severity: str
    severity_label: str
    unit_name: str
    explanation: str
    last_seen: Any
    url: str = ""


@dataclass
class Dashboard:
    unit: Unit
    period: Period
    trail: list[Unit]
    child_level: str
    cards: list[Card]
    total: Assessed
    total_last_year: Assessed
    categories: list[Slice]
    channels: list[Slice]
    trend: list[Slice]
    areas: list[AreaRow]
    departments: list[AreaRow]
    cells: list[MapCell]
    alerts: list[AlertItem] = field(default_factory=list)
    cases_url: str = ""


# --- access -------------------------------------------------------------------------------


def may_view_dashboard(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or getattr(user, "role", None) in INSIGHT_UNIT_ROLES)


def dashboard_unit(user: Any, unit_id: int | None) -> Unit:
    """The unit whose dashboard ``user`` asks for: their home unit by default, any unit of
    their subtree on request; anything else is 404."""
    if not may_view_dashboard(user):
        raise PermissionDeniedError(_("只有领导、调度员和管理员可以查看数据驾驶舱。"))
    if unit_id is None:
        return home_unit(user)
    unit = scoped(user, Unit.objects.all(), unit_field="").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("找不到该区域。"))
    return unit


# --- links ----------------------------------------------------------------------------------


def _url(name: str) -> str:
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def dashboard_url(unit_id: int, period: Period) -> str:
    base = _url("insight:dashboard")
    query = {
        "unit": unit_id,
        "from": f"{period.month_from:%Y-%m}",
        "to": f"{period.month_to:%Y-%m}",
    }
    return f"{base}?{urlencode(query)}" if base else ""


def cases_url(unit: Unit, first_day: date, last_day: date, **filters: Any) -> str:
    """The staff case list (工作台, tab 全部) of ``unit`` received in the days given, with the
    inbox's own filters (``category`` id, ``channel``)."""
    base = _url("cases:inbox")
    if not base:
        return ""
    query: dict[str, Any] = {"tab": "all", "area": unit.code}
    if unit.parent_id is None:
        query.pop("area")
    query.update({"from": first_day.isoformat(), "to": last_day.isoformat()})
    query.update({k: v for k, v in filters.items() if v not in ("", None)})
    return f"{base}?{urlencode(query)}"


# --- queries -----------------------------------------------------------------------------------

_SUMS = {f"s_{m}": Sum(m) for m in MEASURES}


def _counts(row: Any) -> Counts:
    return {m: row[f"s_{m}"] or 0 for m in MEASURES}


def _zero() -> Counts:
    return dict.fromkeys(MEASURES, 0)


def _add(total: Counts, counts: Counts) -> None:
    for m in MEASURES:
        total[m] += counts[m]


def _rank(rows: list[AreaRow]) -> list[AreaRow]:
    """Best composite first (competition ranking 1, 2, 2, 4); rows without data last."""
    scored = sorted(
        (r for r in rows if r.assessed.composite is not None),
        key=lambda r: (-(r.assessed.composite or 0), r.code),
    )
    previous, rank = None, 0
    for position, row in enumerate(scored, start=1):
        score = round(row.assessed.composite or 0, 6)
        if score != previous:
            rank, previous = position, score
        row.rank = rank
    rest = sorted((r for r in rows if r.assessed.composite is None), key=lambda r: r.code)
    return scored + rest


def _cell_boundary(cell: str) -> list[list[float]]:
    ring = []
    for lat, lon in h3.cell_to_boundary(cell):
        x, y = to_display(lon, lat)
        ring.append([round(x, 6), round(y, 6)])
    ring.append(ring[0])
    return ring


def path_prefix_q(field: str, path: str) -> Q:
    """Rows whose ``field`` starts with the materialised ``path``, in the form each
    database's index serves: PostgreSQL's ``varchar_pattern_ops`` index serves ``LIKE
    'p%'``; SQLite's ``LIKE`` is case-insensitive and never uses an index, so there it is
    the equivalent range ``p ≤ field < p'`` (``p'``: ``p`` with its final ``/`` replaced by
    ``0``, the next character — codes are digits)."""
    if connection.vendor == "sqlite" and path.endswith("/"):
        return Q(**{f"{field}__gte": path, f"{field}__lt": path[:-1] + "0"})
    return Q(**{f"{field}__startswith": path})


def map_cells(unit: Unit, period: Period, *, received: float) -> list[MapCell]:
    """Cases of ``unit`` received in ``period`` per H3 cell (``CellStat``), with each
    cell's outline in the display CRS.

    The map is the one figure whose rollup rows grow with the area (cells × grids ×
    categories): it is kept in the cache for ``MAP_CACHE_SECONDS``, keyed by the unit, the
    period and the unit's received total for it, so a new case shows at once and any
    other change (a case moved to another grid) within the cache time."""
    key = (
        f"insight:dashboard:cells:{unit.pk}:{unit.path}:{period.month_from:%Y%m}:"
        f"{period.month_to:%Y%m}:{int(received)}:{settings.MAP_CRS}"
    )
    cached = cache.get(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    stats = CellStat.objects.filter(path_prefix_q("unit_path", unit.path))
    if connection.vendor == "sqlite":
        # SQLite's planner prefers ranging over the whole city's months (the month index)
        # to ranging over the scope's paths: the month is hidden from it (an expression
        # is never matched to an index), so it takes the path index.
        stats = stats.alias(in_month=Coalesce("month", "month")).filter(
            in_month__gte=period.month_from, in_month__lte=period.month_to
        )
    else:
        stats = stats.filter(month__gte=period.month_from, month__lte=period.month_to)
    rows = stats.values("h3_cell").annotate(n=Sum("received")).order_by()
    cells = [
        MapCell(cell=row["h3_cell"], received=row["n"], boundary=_cell_boundary(row["h3_cell"]))
        for row in rows
        if row["n"]
    ]
    cells.sort(key=lambda c: c.cell)
    cache.set(key, cells, MAP_CACHE_SECONDS)
    return cells


def dashboard(
    *, user: Any, unit_id: int | None, period: Period, weights: Any, alerts: bool = True
) -> Dashboard:
    """The dashboard of ``unit_id`` (default: the viewer's home unit) for ``period``."""
    unit = dashboard_unit(user, unit_id)
    home_path = user.unit.path if getattr(user, "unit_id", None) else "/"
    trail = list(
        Unit.objects.filter(path__in=path_prefixes(unit.path), path__startswith=home_path)
        .order_by("depth")
        .only("pk", "name", "code", "level", "path", "parent_id")
    )
    both = Q(month__gte=period.last_year.month_from, month__lte=period.month_to)
    own = MonthlyStat.objects.filter(both, unit=unit)

    # 1. the unit's totals by month (this period and last year's), by category and channel
    by_month: dict[date, Counts] = {
        row["month"]: _counts(row) for row in own.values("month").annotate(**_SUMS).order_by()
    }
    in_period = own.filter(month__gte=period.month_from)
    names: dict[int, str] = {}
    by_category: dict[int, float] = {}
    by_channel: dict[str, float] = {}
    for row in (
        in_period.values("category_id", "category__name", "channel")
        .annotate(n=Sum("received"))
        .order_by()
    ):
        n = row["n"] or 0
        by_category[row["category_id"]] = by_category.get(row["category_id"], 0) + n
        by_channel[row["channel"]] = by_channel.get(row["channel"], 0) + n
        names[row["category_id"]] = row["category__name"]
    total, last_total = _zero(), _zero()
    for month, counts in by_month.items():
        _add(total if month >= period.month_from else last_total, counts)
    assessed, assessed_last = assess(total, weights), assess(last_total, weights)

    # 2. the lead departments inside the unit
    departments = [
        AreaRow(
            id=row["department_id"],
            name=row["department__name"],
            code=row["department__key"],
            level="department",
            assessed=assess(_counts(row), weights),
        )
        for row in MonthlyStat.objects.filter(
            unit=unit, month__gte=period.month_from, month__lte=period.month_to
        )
        .filter(department__isnull=False)
        .values("department_id", "department__name", "department__key")
        .annotate(**_SUMS)
        .order_by()
    ]

    # 3. the sub-areas (children of the unit)
    child_level = str(CHILD_LEVEL.get(unit.level, ""))
    children = {
        u.pk: u
        for u in scoped(user, Unit.objects.filter(parent=unit), unit_field="").only(
            "pk", "name", "code", "level", "path", "parent_id"
        )
    }
    child_sums = {
        row["unit_id"]: _counts(row)
        for row in MonthlyStat.objects.filter(
            parent=unit, month__gte=period.month_from, month__lte=period.month_to
        )
        .values("unit_id")
        .annotate(**_SUMS)
        .order_by()
    }
    areas: list[AreaRow] = []
    for pk, child in children.items():
        area = AreaRow(
            id=pk,
            name=child.name,
            code=child.code,
            level=child.level,
            assessed=assess(child_sums.get(pk, _zero()), weights),
        )
        if child.level == UnitLevel.GRID:
            area.url = cases_url(child, period.first_day, period.last_day)
        else:
            area.url = dashboard_url(pk, period)
        areas.append(area)

    # 4. the map: H3 cells (res 8) of the unit's cases
    received = sum(c["received"] for m, c in by_month.items() if m >= period.month_from)
    cells = map_cells(unit, period, received=received)

    # 5. slices and cards
    first, last = period.first_day, period.last_day
    top = sorted(by_category.items(), key=lambda kv: (-kv[1], names[kv[0]]))
    categories = [
        Slice(
            key=str(pk),
            label=names[pk],
            received=n,
            url=cases_url(unit, first, last, category=pk),
        )
        for pk, n in top[:TOP_CATEGORIES]
        if n
    ]
    rest = sum(n for _pk, n in top[TOP_CATEGORIES:])
    if rest:
        categories.append(Slice(key="other", label=_("其他"), received=rest))
    from grassroots.cases.choices import Channel

    channel_labels = dict(Channel.choices)
    channels = [
        Slice(
            key=key,
            label=str(channel_labels.get(key, key)),
            received=n,
            url=cases_url(unit, first, last, channel=key),
        )
        for key, n in sorted(by_channel.items(), key=lambda kv: -kv[1])
        if n
    ]
    trend = []
    for month in period.months:
        end = add_months(month, 1) - timedelta(days=1)
        before = by_month.get(add_months(month, -12))
        trend.append(
            Slice(
                key=f"{month:%Y-%m}",
                label=f"{month:%Y-%m}",
                received=by_month[month]["received"] if month in by_month else 0,
                last_year=before["received"] if before else 0,
                url=cases_url(unit, month, end),
            )
        )
    cards = [
        Card(
            "received",
            _("受理量"),
            assessed.received,
            assessed_last.received,
            _("件"),
            formula=_("期内受理的全部诉求（含合并、不予立案、撤回）"),
        ),
        Card(
            "valid",
            _("有效诉求量"),
            assessed.valid,
            assessed_last.valid,
            _("件"),
            formula=_("受理量 − 已合并 − 不予立案 − 已撤回"),
        ),
    ]
    for key in CARD_KPIS:
        kpi = KPI_BY_KEY[key]
        cards.append(
            Card(
                key,
                str(kpi.label),
                assessed.values[key],
                assessed_last.values[key],
                kpi.unit,
                kpi.higher_is_better,
                str(kpi.formula),
            )
        )
    result = Dashboard(
        unit=unit,
        period=period,
        trail=trail,
        child_level=child_level,
        cards=cards,
        total=assessed,
        total_last_year=assessed_last,
        categories=categories,
        channels=channels,
        trend=trend,
        areas=_rank(areas),
        departments=_rank(departments),
        cells=cells,
        cases_url=cases_url(unit, first, last),
    )
    if alerts:
        result.alerts = open_alerts(user, unit)
    return result


def open_alerts(user: Any, unit: Unit, *, limit: int = ALERTS_SHOWN) -> list[AlertItem]:
    """The newest live early warnings in ``unit`` (the warning helper's alerts, in the
    viewer's scope), with links to their pages where those exist."""
    try:
        from .. import alerts as alert_services
    except ImportError:  # pragma: no cover - the alerts module ships with insight
        return []
    if not alert_services.may_use_alerts(user):
        return []
    rows = (
        alert_services.alerts_for(user)
        .filter(status__in=[s.value for s in LIVE_ALERT_STATUSES], unit__path__startswith=unit.path)
        .select_related("unit")
        .order_by("-last_seen", "-id")[:limit]
    )
    items = []
    for alert in rows:
        try:
            url = reverse("insight:alert_detail", args=[alert.pk])
        except NoReverseMatch:
            url = ""
        items.append(
            AlertItem(
                id=alert.pk,
                kind=alert.kind,
                severity=alert.severity,
                severity_label=str(alert.get_severity_display()),
                unit_name=alert.unit.name if alert.unit else "",
                explanation=(
                    alert_services.explanation_of(alert)
                    if alert.explanation_data
                    else alert.explanation
                ),
                last_seen=alert.last_seen,
                url=url,
            )
        )
    return items


# --- the same figures as plain data (the page's charts, the API, the exports) --------------------


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _kpi_value(key: str, value: float | None) -> float | None:
    if value is None:
        return None
    kpi = KPI_BY_KEY.get(key)
    if kpi is not None and kpi.unit == "%":
        return _percent(value)
    return round(value, 1)


def _area(row: AreaRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "code": row.code,
        "name": row.name,
        "level": row.level,
        "received": row.assessed.received,
        "valid": row.assessed.valid,
        "rank": row.rank,
        "composite": None if row.assessed.composite is None else round(row.assessed.composite, 1),
        "kpis": {k: _kpi_value(k, v) for k, v in row.assessed.values.items()},
        "url": row.url,
    }


def as_data(board: Dashboard) -> dict[str, Any]:
    """Everything the charts and the API need, JSON-ready (rates in percent)."""
    return {
        "unit": {
            "id": board.unit.pk,
            "code": board.unit.code,
            "name": board.unit.name,
            "level": board.unit.level,
        },
        "period": {
            "from": f"{board.period.month_from:%Y-%m}",
            "to": f"{board.period.month_to:%Y-%m}",
            "last_year_from": f"{board.period.last_year.month_from:%Y-%m}",
            "last_year_to": f"{board.period.last_year.month_to:%Y-%m}",
        },
        "cards": [
            {
                "key": c.key,
                "label": c.label,
                "value": _kpi_value(c.key, c.value),
                "last_year": _kpi_value(c.key, c.last_year),
                "unit": c.unit,
                "higher_is_better": c.higher_is_better,
                "formula": c.formula,
            }
            for c in board.cards
        ],
        "categories": [_slice(s) for s in board.categories],
        "channels": [_slice(s) for s in board.channels],
        "trend": [_slice(s) for s in board.trend],
        "areas": [_area(r) for r in board.areas],
        "child_level": board.child_level,
        "departments": [_area(r) for r in board.departments],
        "cells": [
            {"cell": c.cell, "received": c.received, "boundary": c.boundary} for c in board.cells
        ],
        "alerts": [
            {
                "id": a.id,
                "kind": a.kind,
                "severity": a.severity,
                "severity_label": a.severity_label,
                "unit": a.unit_name,
                "explanation": a.explanation,
                "last_seen": a.last_seen.isoformat() if a.last_seen else None,
                "url": a.url,
            }
            for a in board.alerts
        ],
        "cases_url": board.cases_url,
    }


def _slice(s: Slice) -> dict[str, Any]:
    return {
        "key": s.key,
        "label": s.label,
        "received": s.received,
        "last_year": s.last_year,
        "url": s.url,
    }
