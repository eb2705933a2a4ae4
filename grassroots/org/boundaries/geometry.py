"""Geometry helpers: areas on the sphere, areas and places in words, GeoJSON of arrays."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

# Relative tolerance for "outside", "overlap" and "gap" areas.
TOLERANCE = 1e-6
# Authalic radius of the earth (km): Lambert's cylindrical projection with it is equal-area.
EARTH_RADIUS_KM = 6371.0072


def _equal_area(coords: np.ndarray) -> np.ndarray:
    lon = np.radians(coords[:, 0])
    lat = np.radians(np.clip(coords[:, 1], -90.0, 90.0))
    return np.column_stack([EARTH_RADIUS_KM * lon, EARTH_RADIUS_KM * np.sin(lat)])


def area_km2(geometries: Any) -> Any:
    """Area in km² of WGS84 geometries (one or an array), on an equal-area projection."""
    return shapely.area(shapely.transform(geometries, _equal_area))


def area_in_words(geometry: BaseGeometry) -> str:
    """The area of a small WGS84 polygon, in words."""
    km2 = float(area_km2(geometry))
    if km2 >= 1:
        return _("%(n).2f 平方公里") % {"n": km2}
    return _("%(n).1f 平方米") % {"n": km2 * 1e6}


def where(geometry: BaseGeometry) -> dict[str, float]:
    point = geometry.representative_point()
    return {"x": point.x, "y": point.y}


def geojson_of(geometries: Any) -> list[dict[str, Any]]:
    """GeoJSON dicts (full precision) of an array of geometries."""
    return [json.loads(text) for text in shapely.to_geojson(geometries)]


def isclose(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
