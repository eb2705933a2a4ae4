"""Plane geometry for the demo tree: an irregular outline, and exact tilings of a polygon.

Everything is WGS84 longitude/latitude. A parent is split into children with a Voronoi
diagram of seeded points, relaxed a few times (Lloyd) so that the children have similar
sizes, and clipped to the parent: the children tile the parent with no gap and no
overlap (up to floating-point noise), and each child is one valid ``Polygon``.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Point, Polygon

KM_PER_DEGREE = math.pi * 6371.0088 / 180.0  # mean Earth radius, ≈ 111.195 km


def km_to_degrees(dx_km: float, dy_km: float, lat: float) -> tuple[float, float]:
    """Offsets in km east/north at latitude ``lat`` as degrees of longitude/latitude."""
    return dx_km / (KM_PER_DEGREE * math.cos(math.radians(lat))), dy_km / KM_PER_DEGREE


def area_km2(geom: Polygon) -> float:
    """Area in km², equal-area approximation around the geometry's own latitude."""
    lat = geom.centroid.y
    return float(geom.area * KM_PER_DEGREE**2 * math.cos(math.radians(lat)))


def outline(
    rng: np.random.Generator,
    *,
    center: tuple[float, float],
    radius_km: float,
    vertices: int = 96,
) -> Polygon:
    """An irregular, plausible administrative outline: a star-shaped polygon whose radius
    wanders smoothly (a few low harmonics plus a little per-vertex noise)."""
    lon0, lat0 = center
    angles = np.linspace(0.0, 2 * math.pi, vertices, endpoint=False)
    angles = angles + rng.uniform(-0.3, 0.3, vertices) * (2 * math.pi / vertices)
    radius = np.ones(vertices)
    for k in range(2, 7):
        radius += rng.uniform(0.02, 0.14) / (k - 1) * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
    radius += rng.normal(0.0, 0.015, vertices)
    radius = np.clip(radius, 0.45, None) * radius_km
    dx, dy = km_to_degrees(1.0, 1.0, lat0)
    xs = lon0 + radius * np.cos(angles) * dx
    ys = lat0 + radius * np.sin(angles) * dy
    polygon = Polygon(np.column_stack([xs, ys]))
    return polygon if polygon.is_valid else shapely.make_valid(polygon).convex_hull


def random_points_in(polygon: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` uniformly random points strictly inside ``polygon`` (rejection sampling)."""
    minx, miny, maxx, maxy = polygon.bounds
    found: list[np.ndarray] = []
    count = 0
    while count < n:
        xs = rng.uniform(minx, maxx, 4 * n + 8)
        ys = rng.uniform(miny, maxy, 4 * n + 8)
        inside = shapely.contains_xy(polygon, xs, ys)
        batch = np.column_stack([xs[inside], ys[inside]])
        found.append(batch)
        count += len(batch)
    return np.concatenate(found)[:n]


def _clipped_cells(parent: Polygon, seeds: np.ndarray) -> np.ndarray:
    minx, miny, maxx, maxy = parent.bounds
    margin = max(maxx - minx, maxy - miny)
    frame = shapely.box(minx - margin, miny - margin, maxx + margin, maxy + margin)
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=frame, ordered=True)
    cells = np.asarray(shapely.get_parts(diagram))
    if len(cells) != len(seeds):  # coincident seeds; never with continuous random draws
        raise ValueError("Voronoi diagram lost cells (coincident seed points)")
    return shapely.intersection(cells, parent)


def _polygon_parts(geom: shapely.Geometry) -> list[Polygon]:
    parts = [p for p in shapely.get_parts(geom) if isinstance(p, Polygon) and p.area > 0]
    return sorted(parts, key=lambda p: p.area, reverse=True)


def _shared_length(a: Polygon, b: Polygon) -> float:
    if not a.intersects(b):
        return 0.0
    return float(a.boundary.intersection(b.boundary).length)


def _single_polygons(cells: np.ndarray) -> list[Polygon]:
    """Make every cell one Polygon: keep its largest part, hand each smaller part to the
    neighbour it shares the longest edge with."""
    main: list[Polygon] = []
    fragments: list[tuple[int, Polygon]] = []
    for i, cell in enumerate(cells):
        parts = _polygon_parts(cell)
        if not parts:
            raise ValueError("empty cell in partition")
        main.append(parts[0])
        fragments.extend((i, part) for part in parts[1:])
    pending = sorted(fragments, key=lambda item: item[1].area, reverse=True)
    for _round in range(4):
        left: list[tuple[int, Polygon]] = []
        for owner, fragment in pending:
            candidates = sorted(
                ((_shared_length(fragment, main[j]), j) for j in range(len(main)) if j != owner),
                reverse=True,
            )
            for length, j in candidates:
                if length <= 0:
                    break
                merged = shapely.union(main[j], fragment)
                if isinstance(merged, Polygon) and merged.is_valid:
                    main[j] = merged
                    break
            else:
                left.append((owner, fragment))
        if not left:
            return main
        pending = left
    raise ValueError("could not merge partition fragments into neighbours")


def partition(
    parent: Polygon, n: int, rng: np.random.Generator, *, relax: int = 2
) -> list[Polygon]:
    """Split ``parent`` into ``n`` valid Polygons that exactly tile it."""
    if n <= 1:
        return [parent]
    seeds = random_points_in(parent, n, rng)
    for _ in range(relax):
        cells = _clipped_cells(parent, seeds)
        centres = shapely.centroid(cells)
        inside = shapely.contains(parent, centres)
        moved = np.where(inside, centres, shapely.point_on_surface(cells))
        seeds = shapely.get_coordinates(moved)
    children = _single_polygons(_clipped_cells(parent, seeds))
    return [shapely.normalize(child) for child in children]


def reading_order(geoms: list[Polygon]) -> list[int]:
    """Indices of ``geoms`` numbered north → south in row bands, west → east in a band,
    as the national grid coding numbers grids within a community."""
    n = len(geoms)
    if n == 0:
        return []
    centres = [g.centroid for g in geoms]
    rows = max(1, round(math.sqrt(n)))
    per_row = math.ceil(n / rows)
    north_first = sorted(range(n), key=lambda i: (-centres[i].y, centres[i].x))
    order: list[int] = []
    for start in range(0, n, per_row):
        band = north_first[start : start + per_row]
        order.extend(sorted(band, key=lambda i: (centres[i].x, -centres[i].y)))
    return order


def nearest_to(geoms: list[Polygon], point: Point) -> int:
    """Index of the polygon whose centroid is closest to ``point``."""
    return min(range(len(geoms)), key=lambda i: geoms[i].centroid.distance(point))
