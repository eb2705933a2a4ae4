"""Probable duplicates: an open case of the same category, close by and recent.

The rule (one place): a candidate is another case that is still open (``OPEN_STATUSES``,
not merged), of the same category, reported within ``DUPLICATE_WINDOW_HOURS`` of the case
(before or after) and within ``DUPLICATE_RADIUS_M`` metres of it. A bounding box on
``lon``/``lat`` narrows the rows in SQL; the exact great-circle distance (haversine) is
computed in Python on what is left. Nearest first. Cases without a point have no
candidates (an address alone says too little).
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from django.conf import settings

from grassroots.core.scope import Action, scoped

from .choices import OPEN_STATUSES
from .models import Case

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
# More than this many rows in the box is a hotspot, not a duplicate check: stop there.
MAX_ROWS = 500


def haversine_m(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(a)))


def bbox(lon: float, lat: float, radius_m: float) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) of a box holding the circle (slightly larger)."""
    dlat = radius_m / METRES_PER_DEGREE_LAT * 1.01
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    dlon = radius_m / (METRES_PER_DEGREE_LAT * cos_lat) * 1.01
    return lon - dlon, lat - dlat, lon + dlon, lat + dlat


def duplicate_candidates(
    case: Case,
    *,
    user: Any = None,
    radius_m: float | None = None,
    window_hours: float | None = None,
) -> list[Case]:
    """Open cases that probably report the same problem as ``case``, nearest first.

    With ``user``, only cases that user may see (the data scope); without, all of them
    (for the platform's own checks). Each candidate carries ``distance_m``.
    """
    if case.lon is None or case.lat is None:
        return []
    radius = float(settings.DUPLICATE_RADIUS_M if radius_m is None else radius_m)
    window = timedelta(
        hours=float(settings.DUPLICATE_WINDOW_HOURS if window_hours is None else window_hours)
    )
    min_lon, min_lat, max_lon, max_lat = bbox(case.lon, case.lat, radius)
    qs = Case.objects.filter(
        category_id=case.category_id,
        status__in=sorted(OPEN_STATUSES),
        merged_into__isnull=True,
        lon__gte=min_lon,
        lon__lte=max_lon,
        lat__gte=min_lat,
        lat__lte=max_lat,
        created_at__gte=case.created_at - window,
        created_at__lte=case.created_at + window,
    ).exclude(pk=case.pk)
    if user is not None:
        qs = scoped(user, qs, unit_field="area", department_field="department", action=Action.VIEW)
    rows = list(
        qs.select_related("category", "area", "department").order_by("-created_at")[:MAX_ROWS]
    )
    found: list[Case] = []
    for other in rows:
        assert other.lon is not None and other.lat is not None
        distance = haversine_m(case.lon, case.lat, other.lon, other.lat)
        if distance <= radius:
            other.distance_m = round(distance)  # type: ignore[attr-defined]
            found.append(other)
    found.sort(key=lambda c: (c.distance_m, -c.created_at.timestamp()))  # type: ignore[attr-defined]
    return found
