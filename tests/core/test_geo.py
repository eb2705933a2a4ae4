import pytest

from grassroots.core.geo import from_display, geometry_to_display, to_display


def test_wgs84_display_is_identity(settings):
    settings.MAP_CRS = "wgs84"
    assert to_display(116.397, 39.909) == (116.397, 39.909)


def test_gcj02_offset_and_round_trip(settings):
    settings.MAP_CRS = "gcj02"
    x, y = to_display(116.397, 39.909)
    # Beijing: GCJ-02 shifts by roughly 600 m east and 150 m north.
    assert 0.005 < x - 116.397 < 0.007
    assert 0.0005 < y - 39.909 < 0.002
    back = from_display(x, y)
    assert back == pytest.approx((116.397, 39.909), abs=1e-8)


def test_outside_china_is_not_shifted():
    assert to_display(2.35, 48.85, crs="gcj02") == pytest.approx((2.35, 48.85))


def test_geometry_conversion_keeps_structure():
    poly = {
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0], [116.1, 39.0], [116.1, 39.1], [116.0, 39.0]]],
    }
    out = geometry_to_display(poly, crs="gcj02")
    assert out["type"] == "Polygon"
    assert len(out["coordinates"][0]) == 4
    assert out["coordinates"][0][0][0] != 116.0
