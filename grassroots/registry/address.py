"""Chinese addresses split into their levels, and the key that says two spellings are one house.

``parse_address("北京市朝阳区和平街道和平里社区和平里东街12号3号楼2单元501室")`` gives
province 北京市, city 北京市, district 朝阳区, street 和平街道, community 和平里社区, road
和平里东街, number 12, building 3, unit 2, floor 5 (from the room), room 501.

The same house is written many ways in department files; the parser undoes the usual ones:

- full-width digits and letters (NFKC), traditional characters (OpenCC t2s), stray spaces
  and punctuation;
- Chinese numerals in door, building, unit, floor and room numbers (十二号院 → 12, 五〇一室
  → 501), ``第`` before them;
- building written 号楼 / 栋 / 幢 / 座 / 楼 / ``#``; unit 单元 / 门; room 室 / 户 / 号 / bare;
  door number 号 / 号院; the dash forms 3-2-501 (building-unit-room) and 2-501 (unit-room
  once the building is known, building-room otherwise);
- missing levels (no province, no street, no door number...) are left blank; what cannot be
  placed is kept in ``rest``.

A room number of 3–4 digits gives the floor when none is written (501 → 5, 1203 → 12).

:func:`address_key` is road + door number + building + unit + room in normalised digits:
equal for two spellings of one house, different for two houses (a different room included).
Province to community are deliberately left out of the key: sources omit them freely, and the
key is unique per grid (``House.address_key``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, fields
from functools import lru_cache
from typing import Any

from .validators import PROVINCES

# ---------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True, slots=True)
class AddressParts:
    province: str = ""
    city: str = ""
    district: str = ""
    street: str = ""
    community: str = ""
    road: str = ""
    number: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""
    rest: str = ""

    def as_dict(self) -> dict[str, str]:
        """Every part (blank ones included), for ``SourceRecord.address_parts``."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AddressParts:
        names = {f.name for f in fields(cls)}
        return cls(**{k: str(v or "") for k, v in data.items() if k in names})

    @property
    def has_house(self) -> bool:
        """Whether the address is precise enough to name a house (a road or compound and a
        number, building or room)."""
        return bool(self.road and (self.number or self.building or self.room))

    def standard(self) -> str:
        """The address written back in the standard way (for ``House.address``)."""
        parts = [self.province]
        if self.city != self.province:
            parts.append(self.city)
        parts += [self.district, self.street, self.community, self.road]
        if self.number:
            parts.append(f"{self.number}号")
        if self.building:
            parts.append(f"{self.building}号楼")
        if self.unit:
            parts.append(f"{self.unit}单元")
        if self.room:
            parts.append(f"{self.room}室")
        if self.rest:
            parts.append(self.rest)
        return "".join(parts)


# ---------------------------------------------------------------------------------------
# Text normalisation


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


_PUNCTUATION = re.compile(r"[\s,，。.、;；:：'\"“”‘’`()（）\[\]【】<>《》{}|/\\]+")
_DASHES = re.compile(r"[－—–~～_]+")


def _simplified_only(text: str) -> bool:
    """Text GB2312 can write holds no traditional characters to convert: skip OpenCC (the
    slowest step) for it."""
    try:
        text.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


def normalise_text(text: str) -> str:
    """Half-width, simplified, without spaces or punctuation; dashes kept as ``-``."""
    value = unicodedata.normalize("NFKC", text or "")
    if not _simplified_only(value):
        value = str(_t2s().convert(value))
    value = value.upper()
    value = _DASHES.sub("-", value)
    return _PUNCTUATION.sub("", value).strip("-")


# ---------------------------------------------------------------------------------------
# Chinese numerals

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUMBER = "零〇○一二两三四五六七八九十百千"


def chinese_to_int(text: str) -> int:
    """十二 → 12, 一百零一 → 101, 五〇一 → 501 (digit by digit when no 十/百/千)."""
    if not text or any(char not in _CN_DIGITS and char not in _CN_UNITS for char in text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    if not any(char in _CN_UNITS for char in text):
        return int("".join(str(_CN_DIGITS[char]) for char in text))
    total, digit = 0, 0
    for char in text:
        if char in _CN_DIGITS:
            digit = _CN_DIGITS[char]
        else:
            total += (digit or 1) * _CN_UNITS[char]
            digit = 0
    return total + digit


_MARKERS = "号楼|号院|号|栋|幢|座|单元|门|层|楼|室|户|房|#"
_CN_BEFORE_MARKER = re.compile(rf"第?([{_CN_NUMBER}]+)(?={_MARKERS})")
_ORDINAL = re.compile(rf"第(?=[0-9]+(?:{_MARKERS}))")


def _convert_numerals(text: str) -> str:
    text = _CN_BEFORE_MARKER.sub(lambda m: str(chinese_to_int(m.group(1))), text)
    return _ORDINAL.sub("", text)


# ---------------------------------------------------------------------------------------
# Administrative levels

# province-level names from the division table (83 is a permit code, not a place)
_PROVINCE_NAMES = [name for code, name in PROVINCES.items() if code != "83"]
MUNICIPALITIES = frozenset({"北京市", "天津市", "上海市", "重庆市"})


def _short(name: str) -> str:
    for suffix in ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市"):
        if name.endswith(suffix):
            return name.removesuffix(suffix)
    return name


_PROVINCE_BY_SHORT = {_short(name): name for name in _PROVINCE_NAMES}
_PROVINCE = re.compile(
    "(?:"
    + "|".join(
        sorted(
            (re.escape(n) for n in (*_PROVINCE_NAMES, *_PROVINCE_BY_SHORT)), key=len, reverse=True
        )
    )
    + ")(?![路街道巷胡同里大])"  # 北京路 is a road, not Beijing
)
_NAME = r"[^0-9\-#号楼路街巷社村镇乡]"
# what follows a city or district name is never a road, an estate or a market (城市花园,
# 新区路, 和平市场 are places inside a district)
_NOT_AFTER = "(?!社区|小区|场|政|区|路|街|巷|胡同|花园|广场|中心)"
_CITY = re.compile(rf"{_NAME}{{2,8}}?(?:自治州|地区|盟|市){_NOT_AFTER}")
_DISTRICT = re.compile(rf"{_NAME}{{1,8}}?(?:(?<![小园{_CN_NUMBER}])区|县|旗|市){_NOT_AFTER}")
_STREET = re.compile(r"[^0-9\-#号楼路街巷社村]{1,10}?(?:街道办事处|街道|地区办事处|镇|乡)")
_COMMUNITY = re.compile(
    r"[^0-9\-#号楼]{1,12}?(?:社区居民委员会|社区居委会|社区|居民委员会|居委会|村民委员会|村委会)"
)
_VILLAGE = re.compile(r"[^0-9\-#号楼路街巷社]{1,6}?村(?!委|民委|社区|[0-9])")


def _take(pattern: re.Pattern[str], text: str) -> tuple[str, str]:
    match = pattern.match(text)
    if not match:
        return "", text
    return match.group(0), text[match.end() :]


# ---------------------------------------------------------------------------------------
# House part

_TOKEN = re.compile(
    r"(地下|B)?([0-9]+[A-Z]?|[A-Z](?=座|栋|幢|号楼))"
    r"(号楼|号院|号|栋|幢|座|单元|门|层|楼|室|户|房|#楼|#|-)?"
)


_NUMBER_VALUE = re.compile(r"0*([0-9]+)([A-Z]?)")
_DIGITS = re.compile(r"[0-9]+")
_MUNICIPAL_DISTRICTS = re.compile(r"^市?辖区")
_FIRST_DIGIT = re.compile(r"(地下|B)?[0-9]")
_LETTER_BUILDING = re.compile(r"[A-Z](?=座|栋|幢|号楼)")


@dataclass
class _House:
    number: str = ""
    building: str = ""
    unit: str = ""
    floor: str = ""
    room: str = ""


def _clean_number(value: str) -> str:
    """Leading zeros off (0501 → 501), letters kept (12A)."""
    if value.isascii() and value.isdigit() and value[0] != "0":
        return value
    match = _NUMBER_VALUE.fullmatch(value)
    if not match:
        return value
    return (match.group(1).lstrip("0") or "0") + match.group(2)


def _assign_chain(house: _House, values: list[str]) -> None:
    """3-2-501: building-unit-room; 2-501: unit-room when the building is known."""
    values = values[-3:]
    if len(values) == 3:
        house.building = house.building or values[0]
        house.unit, house.room = values[1], values[2]
    elif house.building or house.unit:
        if house.unit:
            house.room = values[1]
        else:
            house.unit, house.room = values
    else:
        house.building, house.room = values


def _parse_house(text: str) -> tuple[_House, list[str]]:
    house = _House()
    leftovers: list[str] = []
    tokens = list(_TOKEN.finditer(text))
    position = 0
    chain: list[str] = []
    for index, token in enumerate(tokens):
        if token.start() > position:
            between = text[position : token.start()].strip("-")
            if between and between not in ("院", "楼"):
                leftovers.append(between)
        position = token.end()
        basement, raw, marker = token.group(1), token.group(2), token.group(3) or ""
        value = _clean_number(raw)
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        next_marker = (following.group(3) or "") if following else ""
        if basement and marker in ("层", "楼"):
            house.floor = f"-{value}"
            continue
        if basement:
            value = f"B{value}"
            house.floor = house.floor or "-1"
        if marker == "-":
            chain.append(value)
            continue
        if chain:
            chain.append(value)
            _assign_chain(house, chain)
            chain = []
            if marker in ("室", "户", "房", "号", ""):
                continue
        if marker == "号院":
            house.number = house.number or value
        elif marker == "号":
            if house.unit or house.building:
                house.room = value
            elif house.number:
                house.building = value
            else:
                house.number = value
        elif marker in ("号楼", "栋", "幢", "座", "#", "#楼"):
            if house.building:
                leftovers.append(token.group(0))
            else:
                house.building = value
        elif marker in ("单元", "门"):
            house.unit = value
        elif marker == "层":
            house.floor = value
        elif marker == "楼":
            if not house.building and not house.unit and next_marker in ("单元", "门", "-"):
                house.building = value
            else:
                house.floor = value
        elif marker in ("室", "户", "房"):
            house.room = value
        else:  # bare digits
            if house.unit or house.building or house.number:
                if house.room:
                    leftovers.append(raw)
                else:
                    house.room = value
            else:
                house.number = value
    if chain:
        if len(chain) == 1:
            house.room = house.room or chain[0]
        else:
            _assign_chain(house, chain)
    tail = text[position:].strip("-")
    if tail and tail not in ("院", "楼"):
        leftovers.append(tail)
    if house.room and not house.floor:
        digits = _DIGITS.match(house.room)
        if digits and 3 <= len(digits.group(0)) <= 4:
            house.floor = str(int(digits.group(0)[:-2]))
    return house, leftovers


# ---------------------------------------------------------------------------------------
# Public API


def parse_address(text: str | None) -> AddressParts:
    """Split a Chinese address into its levels (see the module doc); never raises."""
    return _parse_cached(text or "")


@lru_cache(maxsize=8192)  # members of a household follow each other in department files
def _parse_cached(text: str) -> AddressParts:
    value = normalise_text(text)
    if not value:
        return AddressParts()
    province = city = ""
    match = _PROVINCE.match(value)
    if match:
        province = _PROVINCE_BY_SHORT.get(match.group(0), match.group(0))
        value = value[match.end() :]
        if province in MUNICIPALITIES:
            city = province
            # 北京市市辖区 / 北京市辖区: the municipality's own districts
            value = _MUNICIPAL_DISTRICTS.sub("", value)
    if not city:
        city, value = _take(_CITY, value)
    district, value = _take(_DISTRICT, value)
    street, value = _take(_STREET, value)
    community, value = _take(_COMMUNITY, value)
    if not community:
        community, value = _take(_VILLAGE, value)
    value = _convert_numerals(value)
    first_digit = _FIRST_DIGIT.search(value)
    if first_digit is None:
        road, house_text = value, ""
    else:
        road, house_text = value[: first_digit.start()], value[first_digit.start() :]
    # a letter building written before its marker (A座) belongs to the house part
    letter = _LETTER_BUILDING.search(road)
    if letter:
        road, house_text = road[: letter.start()], road[letter.start() :] + house_text
    road = road.strip("-")
    # 12号院和平花园3号楼: the compound name after the door number is kept in ``rest``
    house, leftovers = _parse_house(house_text)
    if road.endswith(("甲", "乙", "丙", "丁")) and house.number:
        house.number = road[-1] + house.number
        road = road[:-1]
    return AddressParts(
        province=province,
        city=city,
        district=district,
        street=street,
        community=community,
        road=road,
        number=house.number,
        building=house.building,
        unit=house.unit,
        floor=house.floor,
        room=house.room,
        rest="".join(leftovers),
    )


def address_key(parts: AddressParts | str) -> str:
    """The match key of a house: ``road|number|building|unit|room`` in normalised digits.

    Blank when the address names no house (no road, or none of number/building/room), so
    that two vague addresses are never taken for one house.
    """
    if isinstance(parts, str):
        parts = parse_address(parts)
    if not parts.has_house:
        return ""
    return "|".join((parts.road, parts.number, parts.building, parts.unit, parts.room))
