"""registry.address: Chinese addresses split into levels, and the house match key."""

from __future__ import annotations

import random

import opencc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grassroots.demo.generator.names import NameBook
from grassroots.registry.address import (
    AddressParts,
    address_key,
    chinese_to_int,
    normalise_text,
    parse_address,
)

S2T = opencc.OpenCC("s2t")
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def test_full_address():
    parts = parse_address("北京市朝阳区和平街道和平里社区和平里东街12号3号楼2单元501室")
    assert parts == AddressParts(
        province="北京市",
        city="北京市",
        district="朝阳区",
        street="和平街道",
        community="和平里社区",
        road="和平里东街",
        number="12",
        building="3",
        unit="2",
        floor="5",
        room="501",
    )
    assert address_key(parts) == "和平里东街|12|3|2|501"


def test_chinese_numerals_and_compound_number():
    parts = parse_address("和平里东街十二号院3栋2单元501")
    assert (parts.road, parts.number, parts.building, parts.unit, parts.room) == (
        "和平里东街",
        "12",
        "3",
        "2",
        "501",
    )
    assert parts.province == parts.district == parts.street == ""


def test_building_numbered_like_a_door_and_unit_as_door():
    parts = parse_address("朝阳区和平里东街12号楼2门501")
    assert parts.district == "朝阳区"
    assert parts.road == "和平里东街"
    assert parts.number == ""
    assert (parts.building, parts.unit, parts.floor, parts.room) == ("12", "2", "5", "501")


SAME_HOUSE = [
    "北京市朝阳区和平街道和平里社区和平里东街12号3号楼2单元501室",
    "和平里东街12号3号楼2单元501室",
    "和平里东街12号院3号楼2单元501",
    "和平里东街十二号院三号楼二单元五〇一室",
    "和平里东街十二号院3栋2单元501",
    "和平里东街12号3幢2单元501户",
    "和平里东街12号3#2单元501",
    "和平里东街12号3号楼2门501",
    "和平里东街12号3号楼2-501",
    "和平里东街12号3-2-501",
    "和平里东街12号3号楼第2单元501号",
    "和平里东街12号3楼2单元501",
    "和平里东街12号3号楼2单元5层501室",
    "和平里东街12号3号楼2单元0501室",
    "和平裏東街12號3號樓2單元501室",
    "和平里东街１２号３号楼２单元５０１室",
    " 和平里东街 12号 3号楼 2单元 501室 ",
    "和平里东街，12号，3号楼，2单元，501室。",
    "北京市 朝阳区 和平里东街12号（院）3号楼2单元501室",
    "北京朝阳区和平里东街12号3号楼2单元501室",
    "北京市市辖区朝阳区和平里东街12号3号楼2单元501室",
    "朝阳区和平街道和平里东街12号3号楼2单元501室",
    "和平街道和平里社区和平里东街12号3号楼2单元501室",
    "和平里东街12号院和平花园3号楼2单元501室",
]


@pytest.mark.parametrize("text", SAME_HOUSE)
def test_spellings_of_one_house_share_the_key(text):
    parts = parse_address(text)
    assert address_key(parts) == "和平里东街|12|3|2|501", parts
    assert parts.floor == "5"


DIFFERENT_HOUSES = [
    "和平里东街12号3号楼2单元501室",
    "和平里东街12号3号楼2单元502室",  # another room
    "和平里东街12号3号楼2单元601室",  # another floor
    "和平里东街12号3号楼1单元501室",  # another unit
    "和平里东街12号4号楼2单元501室",  # another building
    "和平里东街13号3号楼2单元501室",  # another door number
    "和平里西街12号3号楼2单元501室",  # another road
    "和平里东街12号楼2单元501室",  # building 12, no door number
    "和平里东街12号3号楼501室",  # no unit
    "和平里东街12号3号楼2单元5010室",
]


def test_different_houses_get_different_keys():
    keys = [address_key(parse_address(text)) for text in DIFFERENT_HOUSES]
    assert all(keys)
    assert len(set(keys)) == len(keys), keys


@pytest.mark.parametrize(
    "text",
    [
        "",
        None,
        "   ",
        "北京市朝阳区",
        "和平里东街",
        "河南省郑州市中原区",
        "朝阳区和平街道和平里社区",
    ],
)
def test_vague_addresses_have_no_key(text):
    assert address_key(parse_address(text)) == ""


def test_missing_levels_and_other_provinces():
    parts = parse_address("河南省郑州市中原区123号")
    assert (parts.province, parts.city, parts.district, parts.number) == (
        "河南省",
        "郑州市",
        "中原区",
        "123",
    )
    assert parts.road == ""
    parts = parse_address("黑龙江省哈尔滨市道里区和平路45号")
    assert (parts.province, parts.city, parts.district, parts.road, parts.number) == (
        "黑龙江省",
        "哈尔滨市",
        "道里区",
        "和平路",
        "45",
    )
    parts = parse_address("广西南宁市青秀区民族大道100号")
    assert (parts.province, parts.city, parts.district, parts.road) == (
        "广西壮族自治区",
        "南宁市",
        "青秀区",
        "民族大道",
    )


@pytest.mark.parametrize(
    ("text", "road"),
    [
        ("城市花园3号楼201", "城市花园"),
        ("新区路8号", "新区路"),
        ("和平市场3号", "和平市场"),
        ("市场街5号", "市场街"),
        ("示范区里仁街3号", "里仁街"),
        ("示范区园林路3号", "园林路"),
        ("和平新村3号楼2单元501", "和平新村"),
        ("张家村12号", "张家村"),
    ],
)
def test_places_inside_a_district_are_not_cities_or_districts(text, road):
    parts = parse_address(text)
    assert parts.road == road
    assert parts.city == parts.community == ""
    assert parts.district in ("", "示范区")


def test_county_level_cities_and_villages():
    parts = parse_address("江苏省苏州市昆山市玉山镇和平路5号")
    assert (parts.city, parts.district, parts.street) == ("苏州市", "昆山市", "玉山镇")
    parts = parse_address("昌平区小汤山镇张家村委会张家村12号")
    assert (parts.street, parts.community, parts.road, parts.number) == (
        "小汤山镇",
        "张家村委会",
        "张家村",
        "12",
    )
    parts = parse_address("上海市浦东新区世纪大道100号")
    assert (parts.city, parts.district, parts.road) == ("上海市", "浦东新区", "世纪大道")


def test_a_road_named_after_a_province_is_a_road():
    parts = parse_address("北京路12号")
    assert parts.province == ""
    assert (parts.road, parts.number) == ("北京路", "12")


def test_compound_community_and_estate_names_are_not_districts():
    parts = parse_address("和平小区3-501")
    assert parts.district == ""
    assert (parts.road, parts.building, parts.room, parts.floor) == ("和平小区", "3", "501", "5")
    parts = parse_address("和平一区社区和平路3号")
    assert parts.district == ""
    assert parts.community == "和平一区社区"
    assert (parts.road, parts.number) == ("和平路", "3")


def test_letter_buildings_basements_and_leftovers():
    parts = parse_address("和平花园A座1203")
    assert (parts.road, parts.building, parts.floor, parts.room) == ("和平花园", "A", "12", "1203")
    parts = parse_address("和平路12号3号楼2单元地下1层B101")
    assert (parts.floor, parts.room) == ("-1", "B101")
    parts = parse_address("和平里东街12号院和平花园3号楼2单元501室旁边")
    assert parts.rest == "和平花园旁边"
    assert parts.room == "501"


def test_standard_form_round_trips():
    parts = parse_address("和平裏東街十二號院3棟2單元501")
    assert parts.standard() == "和平里东街12号3号楼2单元501室"
    assert parse_address(parts.standard()) == parts
    assert AddressParts.from_dict(parts.as_dict() | {"unknown": "x"}) == parts


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("一", 1),
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("一百零一", 101),
        ("五〇一", 501),
        ("五零一", 501),
        ("一二零三", 1203),
        ("两", 2),
        ("一千二百", 1200),
    ],
)
def test_chinese_to_int(text, value):
    assert chinese_to_int(text) == value


def test_chinese_to_int_refuses_other_text():
    with pytest.raises(ValueError):
        chinese_to_int("十二号")


def test_normalise_text():
    assert normalise_text(" 和平裏 東街，１２號 ") == "和平里东街12号"
    assert normalise_text("3—2－501") == "3-2-501"


def test_demo_tree_names_parse():
    """Streets and communities named as the demo generator names them."""
    book = NameBook(random.Random(7))
    for _ in range(60):
        street, community = book.street()[0], book.community()[0]
        text = f"示范市示范区{street}{community}和平路12号3号楼2单元501室"
        parts = parse_address(text)
        assert (parts.city, parts.district) == ("示范市", "示范区"), text
        assert parts.street == street, text
        assert parts.community == community, text
        assert address_key(parts) == "和平路|12|3|2|501", text


ROADS = st.builds(
    lambda a, b, suffix: a + b + suffix,
    st.sampled_from("东西南北新长永和安兴光建景德福康宁华春泰嘉瑞明青文金龙凤红枣柳松桃"),
    st.sampled_from("华安平兴宁园桥门湖山河苑林庄坊阳泉源盛和祥丰德乐顺城台营塘溪"),
    st.sampled_from(["路", "街", "大街", "胡同", "西路", "东路", "北街", "南街"]),
)


def _cn(n: int) -> str:
    digits = "〇一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return "".join(digits[int(c)] for c in str(n))


@st.composite
def written_addresses(draw):
    road = draw(ROADS)
    number = draw(st.integers(1, 199))
    building = draw(st.integers(1, 30))
    unit = draw(st.integers(1, 8))
    room = draw(st.integers(1, 30)) * 100 + draw(st.integers(1, 9))
    canonical = (road, str(number), str(building), str(unit), str(room))
    prefix = draw(st.sampled_from(["", "北京市示范区", "示范区", "北京市", "示范市示范区"]))
    number_text = draw(st.sampled_from([str(number), _cn(number)])) + draw(
        st.sampled_from(["号", "号院"])
    )
    building_text = str(building) + draw(st.sampled_from(["号楼", "栋", "幢", "#"]))
    style = draw(st.sampled_from(["unit", "door", "dash"]))
    room_mark = draw(st.sampled_from(["室", "", "户"]))
    if style == "unit":
        tail = f"{unit}单元{room}{room_mark}"
    elif style == "door":
        tail = f"{unit}门{room}{room_mark}"
    else:
        tail = f"{unit}-{room}{room_mark}"
    text = prefix + road + number_text + building_text + tail
    if draw(st.booleans()):
        text = text.translate(FULLWIDTH)
    if draw(st.booleans()):
        text = S2T.convert(text)
    if draw(st.booleans()):
        text = text.replace("号", "号 ")
    return text, canonical


@settings(max_examples=300)
@given(written_addresses())
def test_any_written_form_parses_to_its_house(generated):
    text, (road, number, building, unit, room) = generated
    parts = parse_address(text)
    assert (parts.road, parts.number, parts.building, parts.unit, parts.room) == (
        road,
        number,
        building,
        unit,
        room,
    ), text
    assert parts.floor == room[:-2]
    assert address_key(parts) == "|".join((road, number, building, unit, room))


@given(st.text(max_size=80))
def test_never_raises(text):
    parts = parse_address(text)
    assert isinstance(address_key(parts), str)
