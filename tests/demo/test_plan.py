"""The planned demo tree, without the database: tiling, codes, names, determinism."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon

from grassroots.demo.generator import geometry as geo
from grassroots.demo.generator.accounts import password_for, plan_accounts
from grassroots.demo.generator.plan import Plan, plan_tree
from grassroots.org.choices import CODE_LENGTH, Role


@pytest.fixture(scope="module")
def plan() -> Plan:
    return plan_tree(scale="small", seed=11)


def test_same_seed_same_tree_other_seed_other_tree(plan):
    again = plan_tree(scale="small", seed=11)
    assert again.fingerprint() == plan.fingerprint()
    assert [u.code for u in again.units] == [u.code for u in plan.units]
    assert [u.name for u in again.units] == [u.name for u in plan.units]
    other = plan_tree(scale="small", seed=12)
    assert other.fingerprint() != plan.fingerprint()
    assert [u.name for u in other.units] != [u.name for u in plan.units]


def test_small_scale_sizes(plan):
    levels = [u.level for u in plan.units]
    assert levels.count("district") == 1
    assert levels.count("street") == 2
    assert 4 <= levels.count("community") <= 6
    assert 12 <= levels.count("grid") <= 30
    district = plan.root
    assert district.code == "110199"
    assert district.name == "示范区"
    assert 116.3 < district.geometry.centroid.x < 116.5
    assert 39.85 < district.geometry.centroid.y < 40.0


def test_every_geometry_is_one_valid_polygon(plan):
    for unit in plan.units:
        assert isinstance(unit.geometry, Polygon), unit.code
        assert unit.geometry.is_valid, unit.code
        assert unit.geometry.area > 0


def test_children_tile_their_parent_exactly(plan):
    for parent in plan.units:
        if not parent.children:
            continue
        children = [plan.units[i].geometry for i in parent.children]
        union = shapely.union_all(children)
        tolerance = 1e-9 * parent.geometry.area
        assert abs(union.area - parent.geometry.area) <= tolerance, parent.code
        assert abs(sum(c.area for c in children) - parent.geometry.area) <= tolerance
        assert shapely.symmetric_difference(union, parent.geometry).area <= tolerance
        container = parent.geometry.buffer(1e-9)
        for i, child in enumerate(children):
            assert child.within(container), plan.units[parent.children[i]].code
            for other in children[i + 1 :]:
                assert child.intersection(other).area <= tolerance


def test_codes_follow_the_national_grid_coding(plan):
    for unit in plan.units:
        assert len(unit.code) == CODE_LENGTH[unit.level]
        assert unit.code.isdigit()
        if unit.parent is not None:
            parent = plan.units[unit.parent]
            assert unit.code.startswith(parent.code)
    for parent in plan.units:
        sequence = sorted(int(plan.units[i].code[-3:]) for i in parent.children)
        assert sequence == list(range(1, len(sequence) + 1))


def test_grids_numbered_north_to_south_then_west_to_east(plan):
    for community in (u for u in plan.units if u.level == "community"):
        grids = sorted((plan.units[i] for i in community.children), key=lambda u: u.code)
        centres = [g.geometry.centroid for g in grids]
        n = len(grids)
        per_row = math.ceil(n / max(1, round(math.sqrt(n))))
        bands = [centres[i : i + per_row] for i in range(0, n, per_row)]
        for band in bands:
            assert [c.x for c in band] == sorted(c.x for c in band)
        for upper, lower in itertools.pairwise(bands):
            assert min(c.y for c in upper) >= max(c.y for c in lower)


def test_names_counts_and_areas(plan):
    for unit in plan.units:
        assert unit.name and unit.name_en
        if unit.level == "street":
            assert unit.name.endswith("街道")
        elif unit.level == "community":
            assert unit.name.endswith("社区")
        elif unit.level == "grid":
            parent = plan.units[unit.parent]
            assert unit.name == f"{parent.name}第{int(unit.code[-3:])}网格"
        if unit.children:
            assert unit.population == sum(plan.units[i].population for i in unit.children)
            assert unit.households == sum(plan.units[i].households for i in unit.children)
        else:
            assert unit.population > 0
            assert 2.3 < unit.population / unit.households < 2.9
    assert len({u.name for u in plan.units}) == len(plan.units)
    assert 5 < geo.area_km2(plan.root.geometry) < 25


def test_partition_handles_a_concave_parent():
    # a U shape: Voronoi cells straddling the gap come out in two parts and get merged
    parent = Polygon([(0, 0), (3, 0), (3, 3), (2, 3), (2, 1), (1, 1), (1, 3), (0, 3)])
    rng = np.random.default_rng(5)
    for n in (2, 3, 5, 8, 13):
        children = geo.partition(parent, n, rng)
        assert len(children) == n
        assert all(isinstance(c, Polygon) and c.is_valid for c in children)
        assert math.isclose(shapely.union_all(children).area, parent.area, rel_tol=1e-9)
        assert math.isclose(sum(c.area for c in children), parent.area, rel_tol=1e-9)


def test_accounts_cover_every_role_with_a_home(plan):
    accounts = plan_accounts(plan)
    assert {a.role for a in accounts} == {r.value for r in Role}
    codes = {u.code for u in plan.units}
    for account in accounts:
        if account.role == Role.DEPT_HANDLER:
            assert account.department_key and account.unit_code is None
        elif account.role == Role.RESIDENT:
            assert account.unit_code is None and account.department_key is None
        else:
            assert account.unit_code in codes
    assert len({a.username for a in accounts}) == len(accounts)


def test_passwords_depend_on_the_seed():
    first = password_for(seed=1, username="admin")
    assert first == password_for(seed=1, username="admin")
    assert first != password_for(seed=2, username="admin")
    assert first.startswith("demo-") and len(first) == len("demo-xxxx-xxxx")


@pytest.mark.slow
def test_district_scale_sizes_and_tiling():
    plan = plan_tree(scale="district", seed=3)
    levels = [u.level for u in plan.units]
    assert levels.count("street") == 8
    assert 60 <= levels.count("community") <= 80
    assert 600 <= levels.count("grid") <= 960
    assert 95_000 <= plan.root.population <= 105_000
    grids = [u.geometry for u in plan.units if u.level == "grid"]
    assert all(isinstance(g, Polygon) and g.is_valid for g in grids)
    union = shapely.union_all(grids)
    assert abs(union.area - plan.root.geometry.area) <= 1e-9 * plan.root.geometry.area
    assert abs(sum(g.area for g in grids) - plan.root.geometry.area) <= 1e-9 * union.area
