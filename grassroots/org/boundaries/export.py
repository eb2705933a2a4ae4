"""``boundaries_export``: the boundaries in the database as the file the import reads."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Q

from ..models import Unit, UnitBoundary


def boundaries_export(*, root: Unit | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The boundaries of the tree (or of ``root``'s subtree) current now or valid ``at``,
    as a FeatureCollection that ``boundaries_import`` reads back unchanged."""
    boundaries = UnitBoundary.objects.select_related("unit", "unit__parent")
    if at is None:
        boundaries = boundaries.filter(valid_to__isnull=True)
    else:
        boundaries = boundaries.filter(
            Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        )
    if root is not None:
        boundaries = boundaries.filter(unit__path__startswith=root.path)
    features = []
    for boundary in boundaries.order_by("unit__path").iterator(chunk_size=2000):
        unit = boundary.unit
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": unit.code,
                    "name": unit.name,
                    "level": unit.level,
                    "parent_code": unit.parent.code if unit.parent else None,
                    "name_en": unit.name_en,
                    "population": unit.population,
                    "households": unit.households,
                },
                "geometry": boundary.geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}
