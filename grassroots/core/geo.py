"""Coordinate systems. Everything is stored in WGS84; the base map may draw in GCJ-02.

``MAP_CRS`` names the tile server's system. Points and geometries are converted to it only
for display (``to_display``), and points picked on the map are converted back to WGS84
(``from_display``) before anything is stored or located. The GCJ-02 offset is applied only
inside China, as the published algorithm defines (coordTransform implements it).
"""

from __future__ import annotations

from typing import Any

from coordTransform import gcj02_to_wgs84, wgs84_to_gcj02
from django.conf import settings


def display_crs() -> str:
    return settings.MAP_CRS


def to_display(lon: float, lat: float, *, crs: str | None = None) -> tuple[float, float]:
    if (crs or display_crs()) == "gcj02":
        x, y = wgs84_to_gcj02(lon, lat)
        return float(x), float(y)
    return lon, lat


def from_display(lon: float, lat: float, *, crs: str | None = None) -> tuple[float, float]:
    """Back to WGS84. The published GCJ-02 inverse is a one-step approximation (about 1 m
    off); a few fixed-point refinements bring it below a millimetre."""
    if (crs or display_crs()) != "gcj02":
        return lon, lat
    x, y = (float(v) for v in gcj02_to_wgs84(lon, lat))
    for _ in range(3):
        gx, gy = wgs84_to_gcj02(x, y)
        x, y = x - (float(gx) - lon), y - (float(gy) - lat)
    return x, y


def _convert_coords(coords: Any, crs: str) -> Any:
    if coords and isinstance(coords[0], (int, float)):
        x, y = to_display(float(coords[0]), float(coords[1]), crs=crs)
        return [round(x, 7), round(y, 7)]
    return [_convert_coords(c, crs) for c in coords]


def geometry_to_display(geometry: dict[str, Any], *, crs: str | None = None) -> dict[str, Any]:
    """A GeoJSON geometry converted for display (unchanged when the map is WGS84)."""
    crs = crs or display_crs()
    if crs == "wgs84":
        return geometry
    if geometry.get("type") == "GeometryCollection":
        return {
            "type": "GeometryCollection",
            "geometries": [geometry_to_display(g, crs=crs) for g in geometry["geometries"]],
        }
    return {"type": geometry["type"], "coordinates": _convert_coords(geometry["coordinates"], crs)}
