from __future__ import annotations

import numpy as np
import pytest

from grassroots.core.errors import OutsideJurisdiction, ValidationFailed
from grassroots.org.locate import locate_many, locate_point
from grassroots.org.services import boundary_generation_bump

from .factories import UnitFactory, boundary_for

pytestmark = pytest.mark.django_db


def _two_grids():
    district = UnitFactory()
    street = UnitFactory(parent=district)
    community = UnitFactory(parent=street)
    west = UnitFactory(parent=community)
    east = UnitFactory(parent=community)
    boundary_for(west, minx=116.0, miny=39.0, maxx=116.01, maxy=39.01)
    boundary_for(east, minx=116.01, miny=39.0, maxx=116.02, maxy=39.01)
    boundary_generation_bump()
    return district, street, community, west, east


def test_point_resolves_to_grid_and_its_chain(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        district, street, community, west, east = _two_grids()
    located = locate_point(116.005, 39.005)
    assert located.grid_id == west.id
    assert located.unit_id("community") == community.id
    assert located.unit_id("street") == street.id
    assert located.unit_id("district") == district.id
    assert locate_point(116.015, 39.005).grid_id == east.id


def test_point_outside_is_outside_jurisdiction(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _two_grids()
    with pytest.raises(OutsideJurisdiction):
        locate_point(117.0, 39.005)


def test_invalid_coordinates_are_refused():
    with pytest.raises(ValidationFailed):
        locate_point(200.0, 39.0)


def test_batch_lookup(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        *_rest, west, east = _two_grids()
    ids = locate_many(np.array([116.005, 116.015, 120.0]), np.array([39.005, 39.005, 39.0]))
    assert ids.tolist() == [west.id, east.id, -1]


def test_located_units_need_no_query_and_load_the_rest_lazily(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    with django_capture_on_commit_callbacks(execute=True):
        _district, street, community, west, _east = _two_grids()
    located = locate_point(116.005, 39.005)
    with django_assert_num_queries(0):
        units = located.units()
        assert units["grid"].pk == west.pk and units["grid"].parent_id == community.pk
        assert units["street"].code == street.code
    with django_assert_num_queries(1):
        assert units["grid"].path == west.path
