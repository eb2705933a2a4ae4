"""Duplicate suggestions: same category, within the radius and the time window, open,
not merged, in the viewer's scope; nearest first."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from django.utils import timezone

from grassroots.cases.choices import CaseStatus
from grassroots.cases.duplicates import bbox, duplicate_candidates, haversine_m
from grassroots.cases.models import Case

from .factories import category, make_world
from .test_services import step, submit

pytestmark = pytest.mark.django_db

LAT = 39.005


def east(metres: float, lon: float = 116.005) -> float:
    """The longitude ``metres`` east of ``lon`` at the world's latitude."""
    return lon + metres / (111_320.0 * math.cos(math.radians(LAT)))


@pytest.fixture
def world():
    return make_world()


def near(world, metres: float, **kwargs):
    return submit(world, lon=east(metres), lat=LAT, **kwargs)


def test_haversine_and_box():
    assert haversine_m(116.0, 39.0, 116.0, 39.0) == 0
    assert abs(haversine_m(116.0, 39.0, 116.0, 39.001) - 111.2) < 0.5
    _min_lon, _min_lat, max_lon, max_lat = bbox(116.0, 39.0, 150)
    assert haversine_m(116.0, 39.0, max_lon, 39.0) >= 150
    assert haversine_m(116.0, 39.0, 116.0, max_lat) >= 150


def test_same_category_close_and_recent_is_suggested_nearest_first(world):
    case = near(world, 0)
    far_ish = near(world, 120)
    close = near(world, 40)
    found = duplicate_candidates(case)
    assert [c.pk for c in found] == [close.pk, far_ish.pk]
    assert 35 <= found[0].distance_m <= 45


@pytest.mark.parametrize(
    "variant",
    ["farther", "older", "other_category", "closed", "merged", "no_point", "itself"],
)
def test_not_suggested(world, variant):
    case = near(world, 0)
    if variant == "farther":
        near(world, 200)
    elif variant == "older":
        old = near(world, 30)
        Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=73))
    elif variant == "other_category":
        near(world, 30, category=category("event", "0102"))
    elif variant == "closed":
        done = near(world, 30)
        Case.objects.filter(pk=done.pk).update(status=CaseStatus.CLOSED)
    elif variant == "merged":
        target = near(world, 500)
        dup = near(world, 30)
        step(dup, "merge", world.dispatcher, merge_into=target)
    elif variant == "no_point":
        case = submit(world, lon=None, lat=None, address="花园社区3号楼")
        near(world, 0)
    assert duplicate_candidates(case) == []


def test_radius_and_window_are_settings(world, settings):
    case = near(world, 0)
    other = near(world, 120)
    settings.DUPLICATE_RADIUS_M = 100
    assert duplicate_candidates(case) == []
    assert [c.pk for c in duplicate_candidates(case, radius_m=130)] == [other.pk]
    Case.objects.filter(pk=other.pk).update(created_at=timezone.now() - timedelta(hours=10))
    assert duplicate_candidates(case, radius_m=130, window_hours=5) == []
    settings.DUPLICATE_WINDOW_HOURS = 12
    assert [c.pk for c in duplicate_candidates(case, radius_m=130)] == [other.pk]


def test_candidates_are_scoped_to_the_viewer(world):
    # either side of the border between the two grids (lon 116.01), about 80 m apart
    case = submit(world, lon=116.0095, lat=LAT)
    across = submit(world, lon=east(45, 116.01), lat=LAT)
    assert [c.pk for c in duplicate_candidates(case, user=world.dispatcher)] == [across.pk]
    assert duplicate_candidates(case, user=world.community_dispatcher) == []


def test_detail_page_offers_merge_into_a_candidate(client, world):
    case = near(world, 0)
    other = near(world, 50)
    client.force_login(world.dispatcher)
    page = client.get(f"/cases/staff/{case.pk}/").content.decode()
    assert other.tracking_code in page
    assert f'name="merge_into" value="{other.pk}"' in page
    response = client.post(f"/cases/staff/{case.pk}/act/merge/", {"merge_into": other.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == CaseStatus.MERGED and case.merged_into_id == other.pk
