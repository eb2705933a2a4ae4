"""Routing: which department answers for a category at a place (duty rules), and which
unit owns a case first (首问负责). The one module for these rules.

Precedence of duty rules, most specific first:
1. the rule whose area is the deepest ancestor-or-self of the case's area
   (a rule for the grid beats one for its community, which beats one for the street …,
   and any area beats a rule for the whole jurisdiction);
2. at the same area, a rule naming the category beats a rule for every category;
3. ties are broken by the department key, so the answer is deterministic.
With no rule, the category's default department of the nearest jurisdiction answers; with
none of those either, the street office of the place (属地兜底).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from grassroots.org.choices import UnitLevel
from grassroots.org.models import Department, Unit

from .choices import AssignmentRole
from .models import Category, DutyRule

TERRITORIAL_FALLBACK_KEY = "street_office"


@dataclass(frozen=True)
class Route:
    department: Department | None
    assisting: list[Department] = field(default_factory=list)
    rule: DutyRule | None = None
    reason: str = ""


def _ancestor_codes(area: Unit) -> list[str]:
    return [c for c in area.path.strip("/").split("/") if c]


def _specificity(rule: DutyRule, depth_by_id: dict[int, int]) -> tuple[int, int, str]:
    area_depth = depth_by_id.get(rule.area_id, -1) if rule.area_id else -1
    return (-area_depth, 0 if rule.category_id else 1, rule.department.key)


def route(*, category: Category, area: Unit) -> Route:
    """The lead (and assisting) departments for ``category`` at ``area``."""
    ancestors = list(Unit.objects.filter(code__in=_ancestor_codes(area)).only("id", "depth"))
    depth_by_id = {u.id: u.depth for u in ancestors}
    rules = list(
        DutyRule.objects.filter(
            (Q(category=category) | Q(category__isnull=True))
            & (Q(area_id__in=list(depth_by_id)) | Q(area__isnull=True)),
            department__is_active=True,
        ).select_related("department")
    )
    leads = sorted(
        (r for r in rules if r.role == AssignmentRole.LEAD),
        key=lambda r: _specificity(r, depth_by_id),
    )
    if leads:
        best = leads[0]
        best_key = _specificity(best, depth_by_id)[:2]
        assisting = [
            r.department
            for r in sorted(rules, key=lambda r: _specificity(r, depth_by_id))
            if r.role == AssignmentRole.ASSIST
            and _specificity(r, depth_by_id)[:2] <= best_key
            and r.department_id != best.department_id
        ]
        return Route(best.department, assisting, best, "duty_rule")
    # No rule: the category's default department in the nearest jurisdiction.
    by_jurisdiction = {
        d.jurisdiction_id: d
        for d in Department.objects.filter(
            key=category.default_department_key,
            jurisdiction_id__in=list(depth_by_id),
            is_active=True,
        )
    }
    for unit in sorted(ancestors, key=lambda u: -u.depth):
        if unit.id in by_jurisdiction:
            return Route(by_jurisdiction[unit.id], [], None, "category_default")
    fallback = (
        Department.objects.filter(
            key=TERRITORIAL_FALLBACK_KEY, jurisdiction_id__in=list(depth_by_id), is_active=True
        )
        .order_by("-jurisdiction__depth")
        .first()
    )
    return Route(fallback, [], None, "territorial_fallback" if fallback else "unrouted")


def owner_unit_for(*, area: Unit, entered_by_unit: Unit | None = None) -> Unit:
    """Who owns a new case (首问负责): the staff member's own unit when staff entered it
    (the hotline or window that received the call), otherwise the community of the place,
    or the deepest unit known above a grid."""
    if entered_by_unit is not None:
        return entered_by_unit
    if area.level == UnitLevel.GRID and area.parent_id:
        return area.parent  # type: ignore[return-value]
    return area
