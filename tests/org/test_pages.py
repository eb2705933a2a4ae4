"""The unit map page and unit detail pages, through HTTP."""

from __future__ import annotations

import pytest
from django.urls import reverse

from grassroots.org.choices import Role

from .factories import UnitFactory, UserFactory, boundary_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    district = UnitFactory(name="示范区")
    street = UnitFactory(parent=district, name="和平街道")
    north = UnitFactory(parent=street, name="北苑社区")
    south = UnitFactory(parent=street, name="南苑社区")
    grid = UnitFactory(parent=north, name="第1网格")
    boundary_for(street, minx=116.0, miny=39.0, maxx=116.02, maxy=39.02)
    boundary_for(north, minx=116.0, miny=39.01, maxx=116.02, maxy=39.02)
    boundary_for(south, minx=116.0, miny=39.0, maxx=116.02, maxy=39.01)
    boundary_for(grid, minx=116.0, miny=39.01, maxx=116.01, maxy=39.02)
    return {"district": district, "street": street, "north": north, "south": south, "grid": grid}


def test_map_page_renders_for_anonymous_visitors(client, tree):
    response = client.get(reverse("org:map"))
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="unit-map"' in html
    assert "/static/vendor/leaflet/leaflet.js" in html
    assert f'data-root-code="{tree["district"].code}"' in html
    # the list works without script: links to the streets' pages
    assert reverse("org:unit", args=[tree["street"].code]) in html
    assert "和平街道" in html


def test_map_page_renders_with_no_units(client):
    response = client.get(reverse("org:map"))
    assert response.status_code == 200
    assert "尚未导入行政区划" in response.content.decode()


def test_map_page_in_elderly_mode(client, tree):
    client.post(reverse("set_elderly_mode"), {"enabled": "1"})
    html = client.get(reverse("org:map")).content.decode()
    assert 'class="elderly"' in html


def test_map_page_names_tile_server_and_crs(client, tree, settings):
    settings.MAP_TILE_URL = "http://tiles.intranet/{z}/{x}/{y}.png"
    settings.MAP_CRS = "gcj02"
    html = client.get(reverse("org:map")).content.decode()
    assert 'data-tile-url="http://tiles.intranet/{z}/{x}/{y}.png"' in html
    assert 'data-crs="gcj02"' in html


def test_unit_detail_shows_facts_breadcrumb_children_and_map(client, tree):
    response = client.get(reverse("org:unit", args=[tree["north"].code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "北苑社区" in html
    assert tree["north"].code in html
    assert "和平街道" in html and "示范区" in html  # breadcrumb
    assert "第1网格" in html  # children
    assert 'id="unit-geojson"' in html
    assert "工作人员" not in html.split('id="main"')[1].split("site-footer")[0]


def test_unit_detail_unknown_code_is_404(client, tree):
    assert client.get(reverse("org:unit", args=["999999999"])).status_code == 404


def test_staff_list_only_for_signed_in_staff_in_scope(client, tree):
    UserFactory(role=Role.GRID_WORKER, unit=tree["north"], display_name="北苑甲")
    south_worker = UserFactory(role=Role.GRID_WORKER, unit=tree["south"], display_name="南苑乙")
    dispatcher = UserFactory(role=Role.DISPATCHER, unit=tree["north"])
    north_url = reverse("org:unit", args=[tree["north"].code])
    south_url = reverse("org:unit", args=[tree["south"].code])

    # anonymous: no staff section at all
    assert "北苑甲" not in client.get(north_url).content.decode()

    client.force_login(dispatcher)
    assert "北苑甲" in client.get(north_url).content.decode()
    sibling = client.get(south_url).content.decode()
    assert sibling.count('id="staff"') == 1
    assert "南苑乙" not in sibling
    assert south_worker.username not in sibling


def test_resident_sees_no_staff_list(client, tree):
    UserFactory(role=Role.GRID_WORKER, unit=tree["north"], display_name="北苑甲")
    client.force_login(UserFactory(role=Role.RESIDENT))
    html = client.get(reverse("org:unit", args=[tree["north"].code])).content.decode()
    assert "北苑甲" not in html
    assert 'id="staff"' not in html


def test_unit_detail_in_english(client, tree):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get(reverse("org:unit", args=[tree["north"].code])).content.decode()
    assert "Population" in html
    assert "Community / village" in html


def test_home_tiles(client):
    html = client.get("/").content.decode()
    assert reverse("org:map") in html
    assert reverse("login") in html
    client.force_login(UserFactory(role=Role.RESIDENT))
    html = client.get("/").content.decode()
    assert 'class="tile" href="/accounts/login/"' not in html
