"""The home page's tiles: who sees which, by audience and by role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots.core.views import HOME_TILES, Tile
from grassroots.org.choices import Role
from tests.org.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tile_hrefs(client) -> set[str]:
    html = client.get("/").content.decode()
    return {
        tile.url_name
        for tile in HOME_TILES
        if f'class="tile" href="{reverse(tile.url_name)}"' in html
    }


def test_patrol_tile_is_limited_to_grid_workers():
    patrol = next(t for t in HOME_TILES if t.url_name == "cases:patrol")
    assert patrol.audience == "staff"
    assert patrol.roles == (Role.GRID_WORKER,)


def test_tiles_without_roles_are_for_any_role():
    assert Tile("org:map", "t", "x").roles == ()


def test_grid_worker_sees_the_patrol_tile(client):
    client.force_login(UserFactory(role=Role.GRID_WORKER))
    shown = _tile_hrefs(client)
    assert "cases:patrol" in shown
    assert "cases:inbox" in shown


@pytest.mark.parametrize("role", [Role.DISPATCHER, Role.OPERATOR, Role.LEADER])
def test_other_staff_do_not_see_the_patrol_tile(client, role):
    client.force_login(UserFactory(role=role))
    shown = _tile_hrefs(client)
    assert "cases:patrol" not in shown
    assert "cases:inbox" in shown  # a staff tile without roles: every staff role


def test_residents_and_visitors_do_not_see_the_patrol_tile(client):
    assert "cases:patrol" not in _tile_hrefs(client)
    client.force_login(UserFactory(role=Role.RESIDENT))
    shown = _tile_hrefs(client)
    assert "cases:patrol" not in shown
    assert "cases:inbox" not in shown


def test_leaders_find_the_dashboard_assessment_and_alerts(client):
    client.force_login(UserFactory(role=Role.LEADER))
    shown = _tile_hrefs(client)
    assert {"insight:dashboard", "insight:assessment", "insight:alerts"} <= shown
    assert "registry:houses" not in shown


def test_department_handlers_find_data_sharing_not_the_alerts(client):
    from tests.org.factories import DepartmentFactory

    client.force_login(UserFactory(role=Role.DEPT_HANDLER, department=DepartmentFactory()))
    shown = _tile_hrefs(client)
    assert "registry:sharing-requests" in shown
    assert "insight:alerts" not in shown
    assert "registry:home" not in shown
