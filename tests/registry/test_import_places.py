"""Where imported rows land: houses by address key, grids by coordinates, by another
house of the same building, by the community named in the address; organisations by
credit code, else by name and house; houses located afterwards carry their people along."""

from __future__ import annotations

import csv
import io

import pytest

from grassroots.org.services import boundary_generation_bump
from grassroots.registry import resolve, services
from grassroots.registry.models import House, Organisation, Person, SourceRecord
from tests.org.factories import UnitFactory, UserFactory, boundary_for
from tests.registry.factories import PersonFactory, valid_id_number, valid_uscc

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def tree(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        district = UnitFactory(name="示范区")
        street = UnitFactory(parent=district, name="和平街道")
        happy = UnitFactory(parent=street, name="幸福社区")
        west = UnitFactory(parent=happy, name="幸福社区第1网格")
        east = UnitFactory(parent=happy, name="幸福社区第2网格")
        lonely = UnitFactory(parent=street, name="光明社区")
        only = UnitFactory(parent=lonely, name="光明社区第1网格")
        boundary_for(west, minx=116.0, miny=39.0, maxx=116.01, maxy=39.01)
        boundary_for(east, minx=116.01, miny=39.0, maxx=116.02, maxy=39.01)
        boundary_for(only, minx=116.02, miny=39.0, maxx=116.03, maxy=39.01)
        boundary_generation_bump()
    return {"happy": happy, "west": west, "east": east, "lonely": lonely, "only": only}


def write(path, headers, rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    return path


def test_grids_by_coordinates_building_and_community(tmp_path, tree):
    path = write(
        tmp_path / "visit.csv",
        ["姓名", "身份证号", "居住地址", "经度", "纬度"],
        [
            ["甲", valid_id_number(), "和平街道幸福社区幸福路1号1号楼101", "116.015", "39.005"],
            ["乙", valid_id_number(), "和平街道幸福社区幸福路1号2号楼301", "", ""],
            ["丙", valid_id_number(), "和平街道幸福社区幸福路9号1号楼101", "", ""],
            ["丁", valid_id_number(), "和平街道光明社区光明路3号1号楼101", "", ""],
            ["戊", valid_id_number(), "某某路8号1号楼101", "", ""],
            ["己", valid_id_number(), "幸福社区", "", ""],
        ],
    )
    batch = services.import_file(source="community_visit", path=path, user=None)
    assert batch.accepted_rows == 6, batch.error
    grid_of = {r.name: r.grid for r in SourceRecord.objects.select_related("grid")}
    assert grid_of["甲"] == tree["east"]  # its coordinates
    assert grid_of["乙"] == tree["east"]  # same building (road + number) as 甲
    assert grid_of["丙"] == tree["happy"]  # the community only: it has two grids
    assert grid_of["丁"] == tree["only"]  # a community with one grid
    assert grid_of["戊"] is None  # nowhere known
    assert grid_of["己"] is None  # too vague to be a house
    assert SourceRecord.objects.get(name="己").house is None
    located = batch.report["located"]
    assert located == {
        "coordinates": 1,
        "building": 1,
        "community": 1,
        "community_single_grid": 1,
        "unlocated": 1,
    }
    assert batch.report["address_vague"] == 1
    house = House.objects.get(records__name="甲")
    assert (house.lon, house.lat) == (116.015, 39.005)


def test_same_house_spelled_differently_is_one_house(tmp_path, tree):
    path = write(
        tmp_path / "civil.csv",
        ["姓名", "身份证号", "居住地址"],
        [
            ["甲", valid_id_number(), "北京市示范区幸福路１２号３号楼２单元５０１室"],
            ["乙", valid_id_number(), "幸福路12号3栋2-501"],
        ],
    )
    services.import_file(source="civil_affairs", path=path, user=None)
    assert House.objects.count() == 1
    assert House.objects.get().provenance["address"]["source"] == "civil_affairs"


def test_organisations_by_credit_code_then_name_and_house(tmp_path, tree):
    code = valid_uscc()
    headers = ["企业名称", "统一社会信用代码", "住所"]
    first = write(
        tmp_path / "a.csv",
        headers,
        [["幸福商店", code, "幸福路1号"], ["光明超市", valid_uscc(), "光明路3号"]],
    )
    services.import_file(source="market_regulation", path=first, user=None)
    second = write(tmp_path / "b.csv", headers, [["幸福商店（新名）", code, "幸福路2号"]])
    batch = services.import_file(source="market_regulation", path=second, user=None)
    assert batch.report["organisations_matched"] == 1
    assert Organisation.objects.count() == 2
    org = Organisation.objects.get(uscc=code)
    assert org.name == "幸福商店（新名）"  # the most recent of equal trust
    assert org.records.count() == 2
    assert resolve.organisation_name_key("北京（幸福）商貿有限公司") == "北京幸福商贸有限公司"


def test_locating_houses_moves_their_people(tree):
    from tests.registry.factories import HouseFactory, SourceRecordFactory

    house = HouseFactory(grid=None)
    person = PersonFactory(house=house)
    record = SourceRecordFactory(person=person, house=house)
    org = Organisation.objects.create(name="店", house=house)
    counts = services.houses_locate(points={house.pk: (116.005, 39.005), 999999: (0, 0)})
    assert counts == {"houses": 1, "placed": 1}
    for obj in (house, person, record, org):
        obj.refresh_from_db()
        assert obj.grid == tree["west"]
    assert (house.lon, house.lat) == (116.005, 39.005)


def test_people_follow_their_houses_in_scope(tmp_path, tree):
    """A grid worker's scope reaches the people whose house is in the grid."""
    import grassroots.registry.linkage as linkage
    from grassroots.core.scope import scoped
    from tests.registry.test_resolve import FakeLinker

    path = write(
        tmp_path / "v.csv",
        ["姓名", "身份证号", "居住地址", "经度", "纬度"],
        [["甲", valid_id_number(), "幸福路1号1号楼101", "116.005", "39.005"]],
    )
    services.import_file(source="community_visit", path=path, user=None)
    original = linkage.link_people
    linkage.link_people = FakeLinker()
    try:
        services.resolve_people()
    finally:
        linkage.link_people = original
    worker = UserFactory(role="grid_worker", unit=tree["west"])
    other = UserFactory(role="grid_worker", unit=tree["east"])
    assert scoped(worker, Person.objects.all(), unit_field="grid").count() == 1
    assert scoped(other, Person.objects.all(), unit_field="grid").count() == 0


def test_facilities_by_component_code(tmp_path, tree, monkeypatch):
    """A facility source (none is shipped; a deployment adds one) links rows by code."""
    from grassroots.registry import sources
    from grassroots.registry.choices import EntityType
    from grassroots.registry.models import Facility, Source

    spec = sources.SourceSpec(
        key="urban_components",
        name="城管部件普查",
        entity_type=EntityType.FACILITY,
        trust=80,
        columns=(
            sources.Column("code", "部件编码", True),
            sources.Column("name", "部件名称"),
            sources.Column("kind", "部件类别"),
            sources.Column("address", "位置"),
        ),
    )
    monkeypatch.setitem(sources.SOURCE_BY_KEY, spec.key, spec)
    Source.objects.create(key=spec.key, name=spec.name, entity_type=spec.entity_type, trust=80)
    path = write(
        tmp_path / "f.csv",
        ["部件编码", "部件名称", "部件类别", "位置", "经度", "纬度"],
        [
            ["1101990101000001", "上水井盖", "0101", "幸福路1号", "116.005", "39.005"],
            ["1101990101000001", "上水井盖（新）", "0101", "幸福路1号", "116.005", "39.005"],
            ["1101990101000002", "路灯", "0201", "幸福路2号", "116.025", "39.005"],
        ],
    )
    batch = services.import_file(source=spec.key, path=path, user=None)
    assert batch.accepted_rows == 3, batch.error
    assert Facility.objects.count() == 2
    lid = Facility.objects.get(code="1101990101000001")
    assert lid.grid == tree["west"] and lid.records.count() == 2
    assert Facility.objects.get(code="1101990101000002").grid == tree["only"]
