"""Point location: which grid (and so community, street, district) is this point in?

One in-memory shapely STRtree over the current grid polygons per process. It is rebuilt
when ``BoundaryGeneration`` moves (every boundary import bumps it), checked at most every
``CHECK_INTERVAL`` seconds, and at once in the process that made the change. Batched
lookups use shapely's vectorised ``STRtree.query`` and run well over 100k points/s.
Historical lookups (``at=``) read the boundaries valid at that moment from the database.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import shapely
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from shapely import STRtree
from shapely.geometry import shape

from grassroots.core.errors import OutsideJurisdiction, ValidationFailed

from .choices import UnitLevel
from .models import BoundaryGeneration, Unit, UnitBoundary

CHECK_INTERVAL = 5.0


@dataclass(frozen=True)
class Located:
    """The chain of units a point lies in, from the grid up to the root."""

    grid_id: int
    chain: tuple[tuple[int, str, str, str], ...]  # (id, level, code, name), grid first

    def unit_id(self, level: str) -> int | None:
        for unit_id, unit_level, _code, _name in self.chain:
            if unit_level == level:
                return unit_id
        return None

    def units(self) -> dict[str, Unit]:
        """The chain as ``Unit`` instances by level, without a query: id, level, code, name
        and parent are filled in; any other field loads on first access (deferred)."""
        result: dict[str, Unit] = {}
        for i, (unit_id, level, code, name) in enumerate(self.chain):
            known = {
                "id": unit_id,
                "level": level,
                "code": code,
                "name": name,
                "parent_id": self.chain[i + 1][0] if i + 1 < len(self.chain) else None,
            }
            # from_db wants the values in the model's field order
            names = [f.attname for f in Unit._meta.concrete_fields if f.attname in known]
            result[level] = Unit.from_db("default", names, [known[n] for n in names])
        return result

    def as_dict(self) -> dict[str, dict[str, object]]:
        return {
            level: {"id": unit_id, "code": code, "name": name}
            for unit_id, level, code, name in self.chain
        }


class GridIndex:
    """An STRtree of grid polygons with their unit chains."""

    def __init__(self, grid_ids: list[int], geometries: list, chains: dict[int, Located]):
        self.grid_ids = np.asarray(grid_ids, dtype=np.int64)
        self.geometries = np.asarray(geometries, dtype=object)
        self.chains = chains
        shapely.prepare(self.geometries)
        self.tree = STRtree(self.geometries)

    def __len__(self) -> int:
        return len(self.grid_ids)

    def locate_ids(self, lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Grid id for each point, -1 where none. A point on a shared edge goes to the grid
        with the smallest id, so the answer is deterministic."""
        points = shapely.points(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
        result = np.full(len(points), -1, dtype=np.int64)
        if not len(points) or not len(self.grid_ids):
            return result
        point_idx, tree_idx = self.tree.query(points, predicate="intersects")
        if len(point_idx):
            ids = self.grid_ids[tree_idx]
            # keep the smallest grid id per point: sort by (point, id), take the first
            order = np.lexsort((ids, point_idx))
            point_idx, ids = point_idx[order], ids[order]
            first = np.ones(len(point_idx), dtype=bool)
            first[1:] = point_idx[1:] != point_idx[:-1]
            result[point_idx[first]] = ids[first]
        return result


def _chains_for(grid_ids: list[int]) -> dict[int, Located]:
    units = {u.id: u for u in Unit.objects.only("id", "level", "code", "name", "parent_id")}
    chains: dict[int, Located] = {}
    for grid_id in grid_ids:
        chain = []
        node = units.get(grid_id)
        while node is not None:
            chain.append((node.id, node.level, node.code, node.name))
            node = units.get(node.parent_id) if node.parent_id else None
        chains[grid_id] = Located(grid_id=grid_id, chain=tuple(chain))
    return chains


def build_index(*, at: datetime | None = None) -> GridIndex:
    boundaries = UnitBoundary.objects.filter(unit__level=UnitLevel.GRID)
    if at is None:
        boundaries = boundaries.filter(valid_to__isnull=True)
    else:
        boundaries = boundaries.filter(
            Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        )
    rows = list(boundaries.order_by("unit_id").values_list("unit_id", "geometry"))
    grid_ids = [unit_id for unit_id, _geom in rows]
    geometries = [shape(geom) for _unit_id, geom in rows]
    return GridIndex(grid_ids, geometries, _chains_for(grid_ids))


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.index: GridIndex | None = None
        self.generation: int | None = None
        self.checked_at = 0.0

    def current_generation(self) -> int:
        row = BoundaryGeneration.objects.filter(pk=1).values_list("generation", flat=True)
        return row[0] if row else 0

    def get(self) -> GridIndex:
        now = time.monotonic()
        if self.index is not None and now - self.checked_at < CHECK_INTERVAL:
            return self.index
        with self.lock:
            generation = self.current_generation()
            if self.index is None or generation != self.generation:
                self.index = build_index()
                self.generation = generation
            self.checked_at = now
            return self.index

    def invalidate(self) -> None:
        with self.lock:
            self.index = None
            self.generation = None


_cache = _Cache()


def grid_index() -> GridIndex:
    """The process-wide index of current grid boundaries."""
    return _cache.get()


def invalidate_index() -> None:
    """Drop this process's index (other processes notice the generation change)."""
    _cache.invalidate()


def _check_coordinates(lon: float, lat: float) -> None:
    if not (-180.0 <= lon <= 180.0) or not (-90.0 <= lat <= 90.0):
        raise ValidationFailed(
            _("坐标无效：经度应在 -180 到 180 之间，纬度应在 -90 到 90 之间。"), field="location"
        )


def locate_point(lon: float, lat: float, *, at: datetime | None = None) -> Located:
    """The units the WGS84 point (lon, lat) lies in; ``OutsideJurisdiction`` if none."""
    _check_coordinates(lon, lat)
    index = grid_index() if at is None else build_index(at=at)
    grid_id = int(index.locate_ids(np.array([lon]), np.array([lat]))[0])
    if grid_id < 0:
        raise OutsideJurisdiction(
            _("该位置不在本辖区范围内（outside our jurisdiction），请确认地点或拨打 12345。"),
            field="location",
        )
    return index.chains[grid_id]


def locate_many(lons: np.ndarray, lats: np.ndarray) -> np.ndarray:
    """Grid ids for many points at once (-1 where outside), for imports and analytics."""
    return grid_index().locate_ids(lons, lats)
