"""The demo tree planned in memory: codes, names, polygons and population, no database.

``plan_tree(scale=..., seed=...)`` is a pure function of its arguments: the same seed
gives the same codes, names and geometry. The builder writes a plan to the database;
the benchmarks use a plan directly.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely
from shapely.geometry import Point, Polygon
from tqdm import tqdm

from . import geometry as geo
from .names import NameBook, grid_name
from .scales import (
    CENTER,
    CITY_CODE,
    CITY_NAME,
    DEMO_DISTRICT_CODE,
    DEMO_DISTRICT_NAME,
    Scale,
    get_scale,
)


@dataclass
class PlannedUnit:
    code: str
    name: str
    name_en: str
    level: str
    parent: int | None  # index into Plan.units
    geometry: Polygon
    population: int = 0
    households: int = 0
    children: list[int] = field(default_factory=list)


@dataclass
class Plan:
    scale: Scale
    seed: int
    units: list[PlannedUnit]  # every parent comes before its children
    demo_district: int  # index of the district the demo staff work in

    @property
    def root(self) -> PlannedUnit:
        return self.units[0]

    def indices(self, level: str) -> list[int]:
        return [i for i, unit in enumerate(self.units) if unit.level == level]

    def first_child(self, index: int) -> int:
        """The child with the lowest code (sequence 001)."""
        unit = self.units[index]
        return min(unit.children, key=lambda i: self.units[i].code)

    def fingerprint(self) -> str:
        """A hash of every code, name, count and polygon, to compare builds."""
        digest = hashlib.sha256()
        for unit in self.units:
            digest.update(
                f"{unit.code}|{unit.name}|{unit.name_en}|{unit.level}|{unit.population}|".encode()
            )
            digest.update(shapely.to_wkb(unit.geometry, output_dimension=2))
        return digest.hexdigest()


class _Planner:
    def __init__(self, scale: Scale, seed: int, progress: bool) -> None:
        self.scale = scale
        self.rng = np.random.default_rng([seed, 0x6E0])
        self.names = NameBook(random.Random(f"grassroots-demo-names:{seed}"))
        self.units: list[PlannedUnit] = []
        self.progress = progress

    def add(self, unit: PlannedUnit) -> int:
        self.units.append(unit)
        index = len(self.units) - 1
        if unit.parent is not None:
            self.units[unit.parent].children.append(index)
        return index

    def count(self, bounds: tuple[int, int]) -> int:
        low, high = bounds
        return int(self.rng.integers(low, high + 1))

    def split(self, parent: int, n: int) -> list[Polygon]:
        """Children polygons of ``parent`` in coding order (north → south, west → east)."""
        cells = geo.partition(self.units[parent].geometry, n, self.rng, relax=self.scale.relax)
        return [cells[i] for i in geo.reading_order(cells)]

    def plan(self) -> Plan:
        scale = self.scale
        if scale.districts:
            radius = scale.district_radius_km * math.sqrt(scale.districts)
            city = geo.outline(self.rng, center=CENTER, radius_km=radius, vertices=160)
            root = self.add(PlannedUnit(CITY_CODE, *CITY_NAME, "city", None, city))
            cells = self.split(root, scale.districts)
            demo = geo.nearest_to(cells, Point(CENTER))
            districts, number = [], 0
            for i, cell in enumerate(cells):
                if i == demo:
                    code, names = DEMO_DISTRICT_CODE, DEMO_DISTRICT_NAME
                else:
                    code = f"{int(DEMO_DISTRICT_CODE) - scale.districts + 1 + number:06d}"
                    names, number = self.names.district(), number + 1
                districts.append(self.add(PlannedUnit(code, *names, "district", root, cell)))
            demo_district = districts[demo]
        else:
            shape = geo.outline(self.rng, center=CENTER, radius_km=scale.district_radius_km)
            demo_district = self.add(
                PlannedUnit(DEMO_DISTRICT_CODE, *DEMO_DISTRICT_NAME, "district", None, shape)
            )
            districts = [demo_district]
        steps = len(districts) * scale.streets[1]
        with tqdm(
            total=steps, desc="plan streets", unit="street", disable=not self.progress
        ) as bar:
            for district in districts:
                self._plan_district(district, bar)
        self._populate()
        return Plan(scale=scale, seed=0, units=self.units, demo_district=demo_district)

    def _plan_district(self, district: int, bar: tqdm) -> None:
        scale = self.scale
        for s, street_shape in enumerate(self.split(district, self.count(scale.streets)), 1):
            code = f"{self.units[district].code}{s:03d}"
            street = self.add(
                PlannedUnit(code, *self.names.street(), "street", district, street_shape)
            )
            for c, shape in enumerate(self.split(street, self.count(scale.communities)), 1):
                name = self.names.community()
                community = self.add(
                    PlannedUnit(f"{code}{c:03d}", *name, "community", street, shape)
                )
                for g, grid_shape in enumerate(self.split(community, self.count(scale.grids)), 1):
                    grid_code = f"{code}{c:03d}{g:03d}"
                    self.add(
                        PlannedUnit(
                            grid_code, *grid_name(name[0], g), "grid", community, grid_shape
                        )
                    )
            bar.update(1)

    def _populate(self) -> None:
        """Population per grid from a density surface (dense centre, a few dense estates),
        households ≈ population / 2.6, both summed up the tree."""
        grids = [i for i, unit in enumerate(self.units) if unit.level == "grid"]
        centres = shapely.get_coordinates(shapely.centroid([self.units[i].geometry for i in grids]))
        dx, dy = geo.km_to_degrees(1.0, 1.0, CENTER[1])
        dist_km = np.hypot((centres[:, 0] - CENTER[0]) / dx, (centres[:, 1] - CENTER[1]) / dy)
        sigma = self.scale.district_radius_km * max(1.0, math.sqrt(self.scale.districts) * 0.8)
        density = 0.35 + np.exp(-((dist_km / sigma) ** 2))
        communities = [i for i, unit in enumerate(self.units) if unit.level == "community"]
        estate = {community: self.rng.lognormal(0.0, 0.35) for community in communities}
        areas = np.array([geo.area_km2(self.units[i].geometry) for i in grids])
        weight = density * areas * self.rng.lognormal(0.0, 0.25, len(grids))
        weight *= np.array([estate[cast(int, self.units[i].parent)] for i in grids])
        total = self.scale.population * self.rng.uniform(0.97, 1.03)
        people = np.maximum(30, np.round(weight / weight.sum() * total)).astype(int)
        for i, count in zip(grids, people, strict=True):
            unit = self.units[i]
            unit.population = int(count)
            unit.households = max(1, round(count / 2.6))
        for unit in reversed(self.units):  # children come after parents
            if unit.children:
                unit.population = sum(self.units[c].population for c in unit.children)
                unit.households = sum(self.units[c].households for c in unit.children)


def plan_tree(*, scale: str | Scale, seed: int, progress: bool = False) -> Plan:
    """Plan the demo tree for ``scale`` deterministically from ``seed`` (≥ 0)."""
    if seed < 0:
        raise ValueError("seed must be ≥ 0")
    resolved = get_scale(scale) if isinstance(scale, str) else scale
    plan = _Planner(resolved, seed, progress).plan()
    plan.seed = seed
    return plan
