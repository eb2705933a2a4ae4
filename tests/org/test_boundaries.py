from __future__ import annotations

import copy
import json
from datetime import timedelta

import pytest
from django.utils import timezone
from shapely.geometry import box, mapping

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import ValidationFailed
from grassroots.org.boundaries import boundaries_export
from grassroots.org.locate import build_index
from grassroots.org.models import BoundaryGeneration, Unit, UnitBoundary
from grassroots.org.services import boundaries_import

from .factories import UnitFactory, boundary_for

pytestmark = pytest.mark.django_db

DISTRICT, STREET = "110199", "110199001"
C1, C2 = "110199001001", "110199001002"
G11, G12, G21, G22 = C1 + "001", C1 + "002", C2 + "001", C2 + "002"


def feature(code, name, geometry, **props):
    if not isinstance(geometry, dict) and geometry is not None:
        geometry = mapping(geometry)
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, **props},
        "geometry": json.loads(json.dumps(geometry)) if geometry else geometry,
    }


def collection(*features):
    return {"type": "FeatureCollection", "features": list(features)}


def good_file():
    """A district of 2 communities with 2 grids each, tiling a 0.04° × 0.02° box."""
    return collection(
        feature(DISTRICT, "示范区", box(116.0, 39.0, 116.04, 39.02), population=5000),
        feature(STREET, "示范街道", box(116.0, 39.0, 116.04, 39.02)),
        feature(C1, "东社区", box(116.0, 39.0, 116.02, 39.02)),
        feature(C2, "西社区", box(116.02, 39.0, 116.04, 39.02)),
        feature(G11, "第1网格", box(116.0, 39.0, 116.01, 39.02), population=120, households=50),
        feature(G12, "第2网格", box(116.01, 39.0, 116.02, 39.02)),
        feature(G21, "第3网格", box(116.02, 39.0, 116.03, 39.02)),
        feature(G22, "第4网格", box(116.03, 39.0, 116.04, 39.02)),
    )


def with_feature(data, which, /, **changes):
    """A copy of ``data`` with the feature coded ``which`` changed (``geometry=`` or properties)."""
    data = copy.deepcopy(data)
    for f in data["features"]:
        if f["properties"]["code"] == which:
            if "geometry" in changes:
                geometry = changes.pop("geometry")
                f["geometry"] = mapping(geometry) if hasattr(geometry, "geom_type") else geometry
                f["geometry"] = json.loads(json.dumps(f["geometry"]))
            f["properties"].update(changes)
    return data


def run(data, **kwargs):
    kwargs.setdefault("commit", True)
    return boundaries_import(data=data, source="test.geojson", actor=None, **kwargs)


def counts():
    return Unit.objects.count(), UnitBoundary.objects.count(), AuditEvent.objects.count()


def messages(report):
    return [str(p) for p in report.problems]


def assert_problem(report, code, *words):
    texts = [str(p) for p in report.problems if p.code == code]
    assert any(all(w in t for w in words) for t in texts), messages(report)


# --- success ---------------------------------------------------------------------------------


def test_import_creates_the_tree_with_paths_figures_and_one_boundary_each():
    report = run(good_file())
    assert report.ok and report.written, messages(report)
    assert (report.created, report.updated, report.unchanged, report.versions) == (8, 0, 0, 8)
    grid = Unit.objects.select_related("parent").get(code=G22)
    assert grid.level == "grid" and grid.parent.code == C2
    assert grid.path == f"/{DISTRICT}/{STREET}/{C2}/{G22}/" and grid.depth == 3
    district = Unit.objects.get(code=DISTRICT)
    assert district.parent is None and district.level == "district" and district.population == 5000
    g11 = Unit.objects.get(code=G11)
    assert (g11.population, g11.households) == (120, 50)
    # 0.01° × 0.02° at 39°N ≈ 0.865 km × 2.22 km
    assert 1.85 < g11.area_km2 < 1.98
    assert g11.centroid_lon == pytest.approx(116.005) and g11.centroid_lat == pytest.approx(39.01)
    boundary = UnitBoundary.objects.get(unit=g11)
    assert boundary.valid_to is None and boundary.source == "test.geojson"
    assert (boundary.min_lon, boundary.max_lat) == (116.0, 39.02)
    assert BoundaryGeneration.objects.get(pk=1).generation == 1
    event = AuditEvent.objects.get(action="org.boundaries_import")
    assert event.detail["created"] == 8


def test_reimport_of_the_same_file_changes_nothing():
    run(good_file())
    before = UnitBoundary.objects.count()
    report = run(good_file())
    assert report.ok
    assert (report.created, report.updated, report.unchanged, report.versions) == (0, 0, 8, 0)
    assert UnitBoundary.objects.count() == before


def test_changed_geometry_closes_the_old_version_and_old_lookups_still_work():
    t0 = timezone.now() - timedelta(days=30)
    run(good_file(), valid_from=t0)
    t1 = timezone.now() - timedelta(days=1)
    moved = with_feature(good_file(), G11, geometry=box(116.0, 39.0, 116.012, 39.02))
    moved = with_feature(moved, G12, geometry=box(116.012, 39.0, 116.02, 39.02), name="新2网格")
    report = run(moved, valid_from=t1)
    assert report.ok, messages(report)
    assert (report.updated, report.unchanged, report.versions) == (2, 6, 2)
    g11, g12 = Unit.objects.get(code=G11), Unit.objects.get(code=G12)
    versions = list(UnitBoundary.objects.filter(unit=g12).order_by("valid_from"))
    assert [v.valid_to for v in versions] == [t1, None]
    assert g12.name == "新2网格"
    # a point between 116.010 and 116.012 was in grid 2 then, and is in grid 1 now
    assert build_index(at=t0 + timedelta(days=1)).locate_ids([116.011], [39.01]).tolist() == [
        g12.id
    ]
    assert build_index().locate_ids([116.011], [39.01]).tolist() == [g11.id]


def test_replace_subtree_retires_grids_left_out():
    run(good_file())
    merged = with_feature(good_file(), G21, geometry=box(116.02, 39.0, 116.04, 39.02))
    merged["features"] = [f for f in merged["features"] if f["properties"]["code"] != G22]

    without = run(merged)  # the old grid 4 is still there and overlaps
    assert not without.ok
    assert_problem(without, G21, "重叠", G22)

    report = run(merged, replace_subtree=True)
    assert report.ok, messages(report)
    assert (report.retired, report.updated, report.versions) == (1, 1, 1)
    g22 = Unit.objects.get(code=G22)  # kept: it may be referenced
    assert not g22.boundaries.filter(valid_to__isnull=True).exists()
    assert g22.boundaries.count() == 1


def test_check_only_reports_changes_and_writes_nothing():
    before = counts()
    report = run(good_file(), commit=False)
    assert report.ok and not report.written
    assert report.created == 8 and len(report.changes) == 8
    assert counts() == before


def test_grids_under_an_existing_community():
    district = UnitFactory()
    street = UnitFactory(parent=district)
    community = UnitFactory(parent=street)
    boundary_for(community, minx=116.0, miny=39.0, maxx=116.02, maxy=39.01)
    data = collection(
        feature(community.code + "001", "甲", box(116.0, 39.0, 116.01, 39.01)),
        feature(community.code + "002", "乙", box(116.01, 39.0, 116.02, 39.01)),
    )
    report = run(data)
    assert report.ok, messages(report)
    grid = Unit.objects.get(code=community.code + "002")
    assert grid.path == f"{community.path}{grid.code}/" and grid.depth == community.depth + 1


def test_moving_a_district_moves_its_subtree():
    city_a = UnitFactory(level="city", code="110100")
    city_b = UnitFactory(level="city", code="120100")
    district = UnitFactory(parent=city_a)
    street = UnitFactory(parent=district)
    community = UnitFactory(parent=street)
    data = collection(
        feature(district.code, district.name, box(116, 39, 116.1, 39.1), parent_code="120100")
    )
    report = run(data)
    assert report.ok, messages(report)
    assert report.updated == 1
    district.refresh_from_db()
    community.refresh_from_db()
    assert district.parent_id == city_b.id and district.level == "district"
    assert community.path == f"/120100/{district.code}/{street.code}/{community.code}/"
    assert community.depth == 3


# --- problems, each on its own ---------------------------------------------------------------

BOWTIE = {
    "type": "Polygon",
    "coordinates": [
        [[116.0, 39.0], [116.01, 39.02], [116.01, 39.0], [116.0, 39.02], [116.0, 39.0]]
    ],
}


@pytest.mark.parametrize(
    ("code", "change", "words"),
    [
        (G11, {"geometry": BOWTIE}, ["第 5 个要素", G11, "第1网格", "自相交", "at 116.005"]),
        (G11, {"geometry": box(115.99, 39.0, 116.01, 39.02)}, ["超出上级", C1]),
        (G12, {"geometry": box(116.009, 39.0, 116.02, 39.02)}, ["重叠", G11]),
        (G12, {"geometry": box(116.011, 39.0, 116.02, 39.02)}, ["空隙", "116.01"]),
        (G11, {"code": "11019900100100"}, ["长度为 14 位"]),
        (G11, {"code": "11019900100X001"}, ["全部为数字"]),
        (G11, {"level": "grid", "code": "110199001001"}, ["重复"]),
        (G11, {"parent_code": C2}, ["不是以上级编码", C2]),
        (G11, {"code": "110199001009001"}, ["上级单元 110199001009 不存在"]),
        (G11, {"population": -3}, ["人口数应为非负整数", "-3"]),
        (G11, {"households": "many"}, ["户数应为非负整数"]),
        (G11, {"name": " "}, ["缺少名称"]),
        (G11, {"level": "block"}, ["未知的层级"]),
        (G11, {"geometry": {"type": "Point", "coordinates": [116.0, 39.0]}}, ["Point"]),
        (G11, {"geometry": None}, ["缺少几何图形"]),
        (G11, {"geometry": {"type": "Polygon", "coordinates": []}}, ["为空"]),
        (
            G11,
            {"geometry": {"type": "Polygon", "coordinates": [[[116, 39], [116.1, 39], [116, 39]]]}},
            ["只有 3 个点"],
        ),
        (G11, {"geometry": box(196.0, 39.0, 196.01, 39.02)}, ["WGS84"]),
    ],
)
def test_each_problem_is_reported_and_nothing_written(code, change, words):
    run(good_file())  # an existing tree: a failed import must leave it as it is
    before = counts()
    data = with_feature(good_file(), code, **change)
    report = run(data)
    assert not report.ok
    texts = messages(report)
    assert any(all(w in t for w in words) for t in texts), texts
    assert counts() == before


def test_level_must_be_below_the_parent():
    data = collection(
        feature("110199", "区", box(116, 39, 116.1, 39.1)),
        feature("110198", "另一区", box(116, 39, 116.1, 39.1), parent_code="110199"),
    )
    report = run(data)
    assert_problem(report, "110198", "应低于上级 110199")


def test_unknown_6_digit_parent():
    report = run(collection(feature("110199", "区", box(116, 39, 116.1, 39.1), parent_code="1")))
    assert_problem(report, "110199", "不存在")


def test_not_json_and_not_a_feature_collection():
    assert "不是有效的 JSON" in messages(run(b"{not json"))[0]
    assert "FeatureCollection" in messages(run('{"type": "Feature"}'))[0]
    assert "UTF-8" in messages(run(b"\xff\xfe{}"))[0]


def test_grid_outside_a_community_already_in_the_database():
    community = UnitFactory(parent=UnitFactory(parent=UnitFactory()))
    boundary_for(community, minx=116.0, miny=39.0, maxx=116.02, maxy=39.01)
    data = collection(feature(community.code + "001", "甲", box(116.0, 39.0, 116.03, 39.01)))
    report = run(data)
    assert_problem(report, community.code + "001", "超出上级", community.code)


def test_valid_from_must_be_after_the_current_version():
    run(good_file())
    moved = with_feature(good_file(), C1, geometry=box(116.0, 39.0, 116.02, 39.03))
    report = run(moved, valid_from=timezone.now() - timedelta(days=400))
    assert_problem(report, C1, "生效时间")


def test_every_problem_is_reported_at_once():
    data = good_file()
    data = with_feature(data, G11, geometry=BOWTIE)
    data = with_feature(data, G21, population=-1)
    data = with_feature(data, G22, code="110199009001001")
    data["features"].append(copy.deepcopy(data["features"][2]))  # C1 again
    data["features"].append({"type": "Feature", "properties": {}, "geometry": None})
    report = run(data)
    texts = messages(report)
    for words in (["自相交"], ["人口数"], ["不存在"], ["重复"], ["缺少编码"], ["缺少几何图形"]):
        assert any(all(w in t for w in words) for t in texts), (words, texts)
    assert Unit.objects.count() == 0
    with pytest.raises(ValidationFailed) as failed:
        report.raise_for_problems()
    assert len(failed.value.details) == len(report.problems)
    # every problem names its record; the list is in file order
    indexes = [p.index for p in report.problems]
    assert indexes == sorted(indexes)


def test_export_round_trips():
    run(good_file())
    exported = json.loads(json.dumps(boundaries_export()))
    assert len(exported["features"]) == 8
    report = run(exported)
    assert report.ok and report.unchanged == 8 and report.versions == 0
