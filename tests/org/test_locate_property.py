"""Point location on the generated demo district, property-based.

Points drawn inside each generated grid (away from its edges) resolve to that grid, with
its community, street and district as the chain; points outside the district are
outside the jurisdiction. The small demo is built once for the module and committed, so
the tests read it without a per-test transaction; the fixture wipes it afterwards.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
import shapely
from django.test import override_settings
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, Polygon, shape

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import OutsideJurisdiction
from grassroots.demo.generator.build import MARKER_ACTION, current_marker, wipe_demo
from grassroots.demo.services import demo_build
from grassroots.org.locate import invalidate_index, locate_many, locate_point
from grassroots.org.models import BoundaryGeneration, Unit

MARGIN = 1e-7


@dataclass(frozen=True)
class Grid:
    id: int
    code: str
    polygon: Polygon
    chain: tuple[int, ...]  # grid, community, street, district ids


@dataclass(frozen=True)
class Demo:
    grids: list[Grid]
    district: Polygon


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Demo:
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        credentials = tmp_path_factory.mktemp("demo") / "credentials.json"
        demo_build(scale="small", seed=7, credentials_file=credentials)
        invalidate_index()
        units = {u.id: u for u in Unit.objects.all()}
        grids = []
        for unit in units.values():
            if unit.level != "grid":
                continue
            chain = [unit.id]
            while units[chain[-1]].parent_id:
                chain.append(units[chain[-1]].parent_id)
            polygon = shape(unit.boundaries.get(valid_to__isnull=True).geometry)
            grids.append(Grid(unit.id, unit.code, polygon, tuple(chain)))
        root = next(u for u in units.values() if u.parent_id is None)
        district = shape(root.boundaries.get(valid_to__isnull=True).geometry)
        try:
            yield Demo(sorted(grids, key=lambda g: g.code), district)
        finally:
            marker = current_marker()
            if marker is not None:
                wipe_demo(marker)
            AuditEvent.objects.filter(action=MARKER_ACTION).delete()
            BoundaryGeneration.objects.all().delete()
            invalidate_index()


unit_interval = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(data=st.data(), u=unit_interval, v=unit_interval)
def test_points_inside_a_grid_resolve_to_it_and_its_ancestors(demo, django_db_blocker, data, u, v):
    grid = data.draw(st.sampled_from(demo.grids), label="grid")
    minx, miny, maxx, maxy = grid.polygon.bounds
    point = Point(minx + u * (maxx - minx), miny + v * (maxy - miny))
    assume(grid.polygon.contains(point))
    assume(grid.polygon.exterior.distance(point) > MARGIN)
    with django_db_blocker.unblock():
        located = locate_point(point.x, point.y)
    assert located.grid_id == grid.id
    assert tuple(unit_id for unit_id, *_rest in located.chain) == grid.chain
    assert [level for _id, level, _code, _name in located.chain] == [
        "grid",
        "community",
        "street",
        "district",
    ]
    codes = [code for _id, _level, code, _name in located.chain]
    assert codes[0] == grid.code
    assert all(child.startswith(parent) for child, parent in itertools.pairwise(codes))


@settings(max_examples=200, deadline=None)
@given(u=st.floats(-0.5, 1.5, allow_nan=False), v=st.floats(-0.5, 1.5, allow_nan=False))
def test_points_outside_the_district_are_outside_the_jurisdiction(demo, django_db_blocker, u, v):
    minx, miny, maxx, maxy = demo.district.bounds
    point = Point(minx + u * (maxx - minx), miny + v * (maxy - miny))
    assume(not demo.district.contains(point))
    assume(demo.district.exterior.distance(point) > MARGIN)
    with django_db_blocker.unblock(), pytest.raises(OutsideJurisdiction):
        locate_point(point.x, point.y)


def test_batched_lookup_agrees_with_a_plain_polygon_scan(demo, django_db_blocker):
    rng = np.random.default_rng(3)
    minx, miny, maxx, maxy = demo.district.bounds
    lons = rng.uniform(minx - 0.01, maxx + 0.01, 20_000)
    lats = rng.uniform(miny - 0.01, maxy + 0.01, 20_000)
    expected = np.full(len(lons), -1)
    for grid in demo.grids:
        expected[shapely.contains_xy(grid.polygon, lons, lats)] = grid.id
    # leave out points on or very near an edge, where "which grid" is a convention
    edges = shapely.union_all([g.polygon.boundary for g in demo.grids])
    clear = shapely.distance(edges, shapely.points(lons, lats)) > MARGIN
    with django_db_blocker.unblock():
        found = locate_many(lons, lats)
    assert clear.sum() > 19_000
    assert (found[clear] == expected[clear]).all()
    assert (expected[clear] >= 0).any() and (expected[clear] == -1).any()
