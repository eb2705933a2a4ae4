"""Reads of the administrative tree. The tree itself (codes, names, boundaries, population
figures) is public reference data; staff lists are scoped."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound
from grassroots.core.geo import geometry_to_display
from grassroots.core.scope import scoped

from .choices import UnitLevel
from .models import Unit, UnitBoundary, User


def unit_get(*, code: str) -> Unit:
    unit = Unit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise NotFound(_("找不到该单元。"))
    return unit


def unit_roots() -> QuerySet[Unit]:
    return Unit.objects.filter(parent__isnull=True).order_by("code")


def unit_children(*, unit: Unit | None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(parent=unit) if unit else unit_roots()
    return qs.annotate(child_count=Count("children")).order_by("code")


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    codes = [c for c in unit.path.strip("/").split("/") if c]
    by_code = {u.code: u for u in Unit.objects.filter(code__in=codes)}
    return [by_code[c] for c in codes if c in by_code]


def unit_subtree(*, unit: Unit, level: str | None = None) -> QuerySet[Unit]:
    qs = Unit.objects.filter(path__startswith=unit.path)
    if level:
        qs = qs.filter(level=level)
    return qs


def unit_geojson(
    *,
    parent: Unit | None = None,
    level: str | None = None,
    limit: int = 5000,
    crs: str = "wgs84",
) -> dict[str, Any]:
    """Current boundaries as a GeoJSON FeatureCollection (for the map page and the API).

    ``crs="gcj02"`` converts coordinates for a base map drawn in GCJ-02 (display only).
    """
    boundaries = UnitBoundary.objects.filter(valid_to__isnull=True).select_related("unit")
    if parent is not None:
        boundaries = boundaries.filter(unit__parent=parent)
    if level:
        boundaries = boundaries.filter(unit__level=level)
    features = []
    for b in boundaries.order_by("unit__code")[:limit]:
        u = b.unit
        features.append(
            {
                "type": "Feature",
                "id": u.code,
                "geometry": geometry_to_display(b.geometry, crs=crs),
                "properties": {
                    "code": u.code,
                    "name": u.name,
                    "name_en": u.name_en,
                    "level": u.level,
                    "population": u.population,
                    "households": u.households,
                    "area_km2": round(u.area_km2, 4),
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


def staff_list(*, user: Any, unit: Unit | None = None) -> QuerySet[User]:
    """Staff the viewer may see (scoped), optionally those homed in one unit's subtree."""
    qs = scoped(user, User.objects.exclude(role="resident"), unit_field="unit").select_related(
        "unit"
    )
    if unit is not None:
        qs = qs.filter(Q(unit__path__startswith=unit.path))
    return qs.order_by("unit__path", "username")


def level_counts() -> dict[str, int]:
    rows = Unit.objects.values("level").annotate(n=Count("id"))
    counts = {level.value: 0 for level in UnitLevel}
    counts.update({r["level"]: r["n"] for r in rows})
    return counts
