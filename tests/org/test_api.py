from __future__ import annotations

import pytest

from grassroots.org.services import boundary_generation_bump

from .factories import DepartmentFactory, UnitFactory, boundary_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        district = UnitFactory(name="示范区")
        street = UnitFactory(parent=district, name="东街道")
        community = UnitFactory(parent=street, name="花园社区")
        grid = UnitFactory(parent=community, name="第1网格")
        boundary_for(district, minx=116.0, miny=39.0, maxx=116.1, maxy=39.1)
        boundary_for(street, minx=116.0, miny=39.0, maxx=116.1, maxy=39.1)
        boundary_for(community, minx=116.0, miny=39.0, maxx=116.1, maxy=39.1)
        boundary_for(grid, minx=116.0, miny=39.0, maxx=116.1, maxy=39.1)
        boundary_generation_bump()
    return district, street, community, grid


def test_locate_answers_the_chain(client, tree):
    district, street, _community, grid = tree
    response = client.get("/api/v1/org/locate/", {"lon": 116.05, "lat": 39.05})
    assert response.status_code == 200
    units = response.json()["units"]
    assert units["grid"]["code"] == grid.code
    assert units["community"]["name"] == "花园社区"
    assert units["street"]["code"] == street.code
    assert units["district"]["code"] == district.code


def test_locate_outside_jurisdiction_is_a_clear_422(client, tree):
    response = client.get("/api/v1/org/locate/", {"lon": 117.5, "lat": 39.05})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "outside_jurisdiction"
    assert "辖区" in body["message"]


def test_locate_outside_jurisdiction_in_english(client, tree):
    response = client.get(
        "/api/v1/org/locate/", {"lon": 117.5, "lat": 39.05}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    assert "jurisdiction" in response.json()["message"]


@pytest.mark.parametrize(
    "params", [{}, {"lon": "abc", "lat": 39}, {"lon": 200, "lat": 39}, {"lon": 116, "lat": 95}]
)
def test_locate_bad_input_is_400_naming_the_field(client, tree, params):
    response = client.get("/api/v1/org/locate/", params)
    assert response.status_code == 400
    assert response.json()["field"] in {"lon", "lat"}


def test_locate_accepts_gcj02_points(client, tree):
    from grassroots.core.geo import to_display

    x, y = to_display(116.05, 39.05, crs="gcj02")
    response = client.get("/api/v1/org/locate/", {"lon": x, "lat": y, "crs": "gcj02"})
    assert response.status_code == 200
    assert response.json()["lon"] == pytest.approx(116.05, abs=1e-8)


def test_units_list_and_detail(client, tree):
    district, street, *_ = tree
    response = client.get("/api/v1/org/units/")
    assert [u["code"] for u in response.json()] == [district.code]
    response = client.get("/api/v1/org/units/", {"parent": district.code})
    assert [u["code"] for u in response.json()] == [street.code]
    response = client.get(f"/api/v1/org/units/{street.code}/")
    assert response.json()["parent_code"] == district.code
    assert client.get("/api/v1/org/units/999999/").status_code == 404
    assert client.get("/api/v1/org/units/", {"level": "planet"}).status_code == 400


def test_units_geojson(client, tree):
    district, street, *_ = tree
    body = client.get("/api/v1/org/units.geojson", {"parent": district.code}).json()
    assert body["type"] == "FeatureCollection"
    assert [f["properties"]["code"] for f in body["features"]] == [street.code]
    assert body["features"][0]["geometry"]["type"] == "Polygon"
    gcj = client.get("/api/v1/org/units.geojson", {"parent": district.code, "crs": "gcj02"})
    assert gcj.json()["features"][0]["geometry"] != body["features"][0]["geometry"]
    assert client.get("/api/v1/org/units.geojson", {"crs": "bd09"}).status_code == 400


def test_departments(client, tree):
    DepartmentFactory(jurisdiction=tree[0], key="drainage", name="排水集团")
    body = client.get("/api/v1/org/departments/").json()
    assert body[0]["key"] == "drainage"


def test_openapi_schema_is_served_locally(client):
    response = client.get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/org/locate/" in response.content
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    assert b"cdn" not in docs.content.lower()
    assert b"https://" not in docs.content


def test_locate_says_where_to_draw_the_point(client, tree, settings):
    settings.MAP_CRS = "gcj02"
    body = client.get("/api/v1/org/locate/", {"lon": 116.05, "lat": 39.05}).json()
    assert body["display"]["crs"] == "gcj02"
    assert body["display"]["lon"] != pytest.approx(116.05, abs=1e-4)
    settings.MAP_CRS = "wgs84"
    body = client.get("/api/v1/org/locate/", {"lon": 116.05, "lat": 39.05}).json()
    assert body["display"] == {"lon": 116.05, "lat": 39.05, "crs": "wgs84"}
