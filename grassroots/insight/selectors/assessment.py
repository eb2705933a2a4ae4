"""Reads for the assessment page (考评): every unit of a level (or every department) under
the viewer's scope, with all KPIs over a range of months, ranked by the composite score.

Reads ``MonthlyStat`` only (never the case table): one indexed query per table.

Scope (``core.scope``):

* unit roles that see insight (leaders, dispatchers, administrators) see the units of
  their subtree; asking for a unit outside it is 404. The department table ranks the
  departments' cases inside the viewer's unit.
* a department handler sees one row: their own department, over the whole jurisdiction.
* everyone else is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Q, QuerySet, Sum
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound, PermissionDeniedError
from grassroots.core.scope import scoped
from grassroots.org.choices import LEVEL_RANK, Role, UnitLevel
from grassroots.org.models import Department, Unit

from ..choices import AssessmentLevel
from ..kpi import KPI_BY_KEY, KPIS, Assessed, assess
from ..models import MEASURES, MonthlyStat
from ..summary import path_prefixes

# Roles that see the insight pages over their unit's subtree.
INSIGHT_UNIT_ROLES = frozenset({Role.LEADER, Role.DISPATCHER, Role.ADMIN})
SORT_KEYS = frozenset({"composite", "received", "valid", "name", *KPI_BY_KEY})
UNIT_LEVELS = (AssessmentLevel.STREET, AssessmentLevel.COMMUNITY, AssessmentLevel.GRID)


@dataclass
class AssessmentRow:
    key: int  # the unit's or department's id
    name: str
    code: str
    assessed: Assessed
    rank: int | None = None
    drill_level: str = ""  # the level one click below (street → community → grid)


@dataclass
class AssessmentTable:
    level: str
    within: Unit | None  # the unit whose subtree is assessed (None: a department handler)
    month_from: date
    month_to: date
    rows: list[AssessmentRow]
    levels: list[str] = field(default_factory=list)  # levels this viewer may choose
    trail: list[Unit] = field(default_factory=list)  # from the viewer's unit to ``within``
    total: Assessed | None = None


def may_view_insight(user: Any) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if getattr(user, "is_superuser", False):
        return True
    return user.role in INSIGHT_UNIT_ROLES or user.role == Role.DEPT_HANDLER


def home_unit(user: Any) -> Unit:
    """The viewer's home unit; the root of the tree for a superuser without one."""
    if getattr(user, "unit_id", None):
        return user.unit  # type: ignore[no-any-return]
    root = Unit.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise NotFound(_("平台尚未配置行政区划。"))
    return root


def scope_unit(user: Any, unit_id: int | None) -> Unit:
    """The unit to assess: the viewer's home unit, or ``unit_id`` if inside their scope
    (404 otherwise, never a hint)."""
    if unit_id is None:
        return home_unit(user)
    unit = scoped(user, Unit.objects.all(), unit_field="").filter(pk=unit_id).first()
    if unit is None:
        raise NotFound(_("找不到该区域。"))
    return unit


def levels_for(within: Unit) -> list[str]:
    """The levels that can be ranked under ``within``: departments, and each unit level
    at or below it."""
    rank = LEVEL_RANK.get(within.level, 0)
    return [str(AssessmentLevel.DEPARTMENT)] + [
        str(lv) for lv in UNIT_LEVELS if LEVEL_RANK[UnitLevel(lv).value] >= rank
    ]


def default_level(within: Unit) -> str:
    """The level just below ``within`` (a district ranks its streets, a street its
    communities, a community its grids; a grid shows itself)."""
    rank = LEVEL_RANK.get(within.level, 0)
    below = [str(lv) for lv in UNIT_LEVELS if LEVEL_RANK[UnitLevel(lv).value] > rank]
    return below[0] if below else str(AssessmentLevel.GRID)


def _sums(qs: QuerySet[MonthlyStat], group: str) -> dict[int, dict[str, float]]:
    rows = qs.values(group).order_by(group).annotate(**{f"s_{m}": Sum(m) for m in MEASURES})
    return {row[group]: {m: row[f"s_{m}"] or 0 for m in MEASURES} for row in rows}


def _zero() -> dict[str, float]:
    return dict.fromkeys(MEASURES, 0)


def _add(total: dict[str, float], counts: dict[str, float]) -> None:
    for m in MEASURES:
        total[m] += counts[m]


def _rank(rows: list[AssessmentRow]) -> None:
    """Competition ranking (1, 2, 2, 4) by composite, descending; rows without a
    composite are unranked."""
    scored = sorted(
        (r for r in rows if r.assessed.composite is not None),
        key=lambda r: -(r.assessed.composite or 0),
    )
    previous: float | None = None
    rank = 0
    for position, row in enumerate(scored, start=1):
        score = round(row.assessed.composite or 0, 6)
        if score != previous:
            rank, previous = position, score
        row.rank = rank


def sort_rows(rows: list[AssessmentRow], key: str, descending: bool) -> list[AssessmentRow]:
    """Sort by a KPI, the composite, volume or name; rows without a value go last."""
    key = key if key in SORT_KEYS else "composite"

    def value(row: AssessmentRow) -> Any:
        if key == "name":
            return row.code
        if key == "composite":
            return row.assessed.composite
        if key == "received":
            return row.assessed.received
        if key == "valid":
            return row.assessed.valid
        return row.assessed.values[key]

    present = [r for r in rows if value(r) is not None]
    missing = [r for r in rows if value(r) is None]
    present.sort(key=value, reverse=descending)
    return present + missing


def assessment_table(
    *,
    user: Any,
    level: str,
    month_from: date,
    month_to: date,
    unit_id: int | None = None,
    weights: Any,
) -> AssessmentTable:
    """The assessment table for ``user`` (see module doc), ranked by composite."""
    if not may_view_insight(user):
        raise PermissionDeniedError(_("您的角色不能查看考评。"))
    if month_from > month_to:
        month_from, month_to = month_to, month_from
    months = Q(month__gte=month_from, month__lte=month_to)
    if user.role == Role.DEPT_HANDLER and not user.is_superuser:
        return _department_handler_table(user, months, month_from, month_to, weights)
    within = scope_unit(user, unit_id)
    levels = levels_for(within)
    if level not in levels:
        level = default_level(within)
    home = home_unit(user)
    trail = list(
        Unit.objects.filter(path__in=path_prefixes(within.path), path__startswith=home.path)
        .order_by("depth")
        .only("pk", "name", "code", "level", "path")
    )
    stats = MonthlyStat.objects.filter(months)
    if level == AssessmentLevel.DEPARTMENT:
        sums = _sums(stats.filter(unit=within, department__isnull=False), "department_id")
        departments = Department.objects.filter(
            Q(pk__in=list(sums))
            | Q(is_active=True, jurisdiction__path__in=path_prefixes(within.path))
        ).order_by("key")
        rows = [
            AssessmentRow(d.pk, d.name, d.key, assess(sums.get(d.pk, _zero()), weights))
            for d in departments
        ]
        total_counts = _sums(stats.filter(unit=within), "unit_id").get(within.pk, _zero())
    else:
        sums = _sums(stats.filter(level=level, unit_path__startswith=within.path), "unit_id")
        units = scoped(user, Unit.objects.all(), unit_field="").filter(
            level=level, path__startswith=within.path
        )
        drill = _below(level)
        rows = [
            AssessmentRow(
                u.pk, u.name, u.code, assess(sums.get(u.pk, _zero()), weights), None, drill
            )
            for u in units.order_by("path").only("pk", "name", "code")
        ]
        total_counts = _zero()
        for counts in sums.values():
            _add(total_counts, counts)
    _rank(rows)
    return AssessmentTable(
        level=level,
        within=within,
        month_from=month_from,
        month_to=month_to,
        rows=sort_rows(rows, "composite", True),
        levels=levels,
        trail=trail,
        total=assess(total_counts, weights),
    )


def _below(level: str) -> str:
    if level == AssessmentLevel.STREET:
        return str(AssessmentLevel.COMMUNITY)
    if level == AssessmentLevel.COMMUNITY:
        return str(AssessmentLevel.GRID)
    return ""


def _department_handler_table(
    user: Any, months: Q, month_from: date, month_to: date, weights: Any
) -> AssessmentTable:
    """A handler's own department over the whole jurisdiction (the root unit's rows)."""
    department = user.department
    if department is None:
        raise PermissionDeniedError(_("您的角色不能查看考评。"))
    stats = MonthlyStat.objects.filter(months, department=department, parent__isnull=True)
    counts = _sums(stats, "department_id").get(department.pk, _zero())
    row = AssessmentRow(department.pk, department.name, department.key, assess(counts, weights))
    _rank([row])
    return AssessmentTable(
        level=AssessmentLevel.DEPARTMENT,
        within=None,
        month_from=month_from,
        month_to=month_to,
        rows=[row],
        levels=[AssessmentLevel.DEPARTMENT],
        total=row.assessed,
    )


def kpi_columns() -> list[dict[str, Any]]:
    """The KPI columns in display order, with their definitions (for the page and export)."""
    return [
        {
            "key": kpi.key,
            "label": kpi.label,
            "formula": kpi.formula,
            "unit": kpi.unit,
            "doc": (kpi.compute.__doc__ or "").strip(),
            "higher_is_better": kpi.higher_is_better,
        }
        for kpi in KPIS
    ]
