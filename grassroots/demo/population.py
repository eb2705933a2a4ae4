"""A synthetic Chinese population with the truth, and each department's noisy extract of it.

Vectorised with numpy/pandas: a million people and their four extracts take seconds, the
same for the same seed.

``generate_people(n, seed)`` — one row per real person: ``person_id``, ``name``, ``sex``
(M/F), ``birth_date`` (ISO), ``id_number`` (18 characters, valid GB 11643 check digit, the
demo district's division code for registered residents, a home-province code for the
floating population), ``phone`` (mobile; young children and some elderly people share a
household member's), ``address`` (where they live, in the demo district's style: road +
number + building + unit + room), ``household_address`` (where they are registered; differs
for 人户分离 and for the floating population), ``household_no``, ``relation_to_head``,
``person_type`` (户籍/常住/流动), ``ethnicity``.

Surnames follow a frequency table (王李张刘陈 ...), including homophone pairs (张/章, 徐/许,
王/汪, 萧/肖 ...) and surnames pypinyin misreads (单 Shan, 曾 Zeng, 乐 Yue, 解 Xie, 区 Ou,
尉迟 Yuchi ...); households share a surname (children), an address and often a phone.

``source_extracts(people, seed)`` — what each department holds, with ``person_id`` (the
truth) on every row: public security (almost everyone registered, clean), civil affairs
(mostly elderly), social security (working age) and community visits (a third of the
people, often without an ID number, the freshest phones). Noise per source: typos (a wrong
character), homophone characters, traditional characters, missing and one-digit-wrong ID
numbers, changed phones, missing or mistyped birth dates, reformatted or outdated addresses,
and the same person twice in one source.

``registry_records(n, seed)`` — the union of the extracts in the shape ``link_people``
takes (``record_id, name, sex, birth_date, id_number, phone, address, source``) plus the
truth column ``person_id``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import opencc
import pandas as pd

from grassroots.demo.generator.scales import DEMO_DISTRICT_CODE

REFERENCE_DATE = np.datetime64("2025-01-01")

# (surname, relative frequency in ‰) — the commonest surnames after the national census
# tables, plus homophones of common ones and surnames whose reading pypinyin gets wrong.
SURNAMES: tuple[tuple[str, float], ...] = (
    ("王", 71),
    ("李", 70),
    ("张", 67),
    ("刘", 54),
    ("陈", 45),
    ("杨", 32),
    ("黄", 22),
    ("赵", 20),
    ("吴", 19),
    ("周", 18),
    ("徐", 15),
    ("孙", 15),
    ("马", 14),
    ("朱", 13),
    ("胡", 13),
    ("郭", 11),
    ("何", 11),
    ("高", 11),
    ("林", 10),
    ("罗", 9),
    ("郑", 9),
    ("梁", 8),
    ("谢", 8),
    ("宋", 7),
    ("唐", 7),
    ("许", 6),
    ("韩", 6),
    ("冯", 6),
    ("邓", 6),
    ("曹", 6),
    ("彭", 6),
    ("曾", 6),
    ("肖", 5),
    ("田", 5),
    ("董", 5),
    ("袁", 5),
    ("潘", 5),
    ("于", 5),
    ("蒋", 5),
    ("蔡", 5),
    ("余", 4),
    ("杜", 4),
    ("叶", 4),
    ("程", 4),
    ("苏", 4),
    ("魏", 4),
    ("吕", 4),
    ("丁", 4),
    ("任", 4),
    ("沈", 3),
    ("姚", 3),
    ("卢", 3),
    ("姜", 3),
    ("崔", 3),
    ("钟", 3),
    ("谭", 3),
    ("陆", 3),
    ("汪", 3),
    ("范", 3),
    ("金", 3),
    ("石", 3),
    ("廖", 3),
    ("贾", 3),
    ("夏", 3),
    ("韦", 3),
    ("付", 2),
    ("方", 2),
    ("白", 2),
    ("邹", 2),
    ("孟", 2),
    ("熊", 2),
    ("秦", 2),
    ("邱", 2),
    ("江", 2),
    ("尹", 2),
    ("薛", 2),
    ("闫", 2),
    ("段", 2),
    ("雷", 2),
    ("侯", 2),
    ("龙", 2),
    ("史", 2),
    ("黎", 2),
    ("贺", 2),
    ("顾", 2),
    ("毛", 2),
    ("郝", 2),
    ("龚", 2),
    ("邵", 2),
    ("万", 2),
    ("钱", 2),
    ("严", 2),
    ("武", 2),
    ("戴", 2),
    ("孔", 1.5),
    ("章", 1.5),
    ("傅", 1.5),
    ("萧", 1),
    ("俞", 1),
    ("成", 1),
    ("柳", 1),
    ("鲁", 1),
    ("单", 1),
    ("乐", 0.6),
    ("解", 0.6),
    ("仇", 0.5),
    ("朴", 0.5),
    ("查", 0.5),
    ("区", 0.4),
    ("翟", 0.5),
    ("盖", 0.3),
    ("缪", 0.3),
    ("覃", 0.5),
    ("欧阳", 0.5),
    ("司马", 0.2),
    ("诸葛", 0.1),
    ("上官", 0.1),
    ("尉迟", 0.05),
)

# Given-name characters with a rough weight (the popular ones of each generation).
_GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志梅琳斌宇浩凯欣怡晨阳"
    "文雯辉鹏飞婷雪慧佳俊峰波海燕萍鑫亮林娇婧健斌龙玲丹晶颖倩璐瑶琪子轩涵博睿思雨嘉泽"
    "彤琳梓欣诗一可若昊宁春秋冬立新永德福寿祥荣长兴利民生"
)
_GIVEN_CHARS = np.array(sorted(set(_GIVEN)))

# Characters that sound the same (same toneless pinyin) — what a clerk writes down when
# a resident says their name: 伟 → 玮, 张 → 章.
HOMOPHONES: dict[str, str] = {
    "伟": "玮炜",
    "明": "铭鸣",
    "静": "婧",
    "婧": "静",
    "丽": "莉俐",
    "军": "君",
    "华": "桦",
    "红": "虹鸿",
    "玉": "钰",
    "杰": "洁婕",
    "芳": "方",
    "强": "蔷",
    "磊": "蕾",
    "艳": "燕",
    "燕": "艳",
    "涛": "韬",
    "霞": "侠",
    "平": "萍",
    "萍": "平",
    "刚": "钢",
    "英": "瑛",
    "兰": "岚",
    "建": "剑健",
    "国": "帼",
    "志": "智",
    "梅": "玫",
    "琳": "霖",
    "林": "琳",
    "斌": "彬",
    "宇": "雨",
    "雨": "宇",
    "浩": "昊皓",
    "昊": "浩",
    "凯": "楷",
    "欣": "馨",
    "怡": "仪",
    "晨": "辰",
    "阳": "洋扬",
    "洋": "阳",
    "文": "雯",
    "雯": "文",
    "秀": "绣",
    "娟": "鹃",
    "辉": "晖",
    "鹏": "朋",
    "飞": "菲",
    "婷": "亭",
    "慧": "惠",
    "佳": "嘉",
    "嘉": "佳",
    "俊": "骏",
    "峰": "锋",
    "波": "博",
    "海": "海",
    "鑫": "新",
    "新": "鑫",
    "亮": "谅",
    "颖": "莹",
    "丹": "单",
    "晶": "静",
    "倩": "茜",
    "瑶": "遥",
    "琪": "琦",
    "轩": "萱",
    "涵": "含",
    "博": "波",
    "睿": "瑞",
    "思": "丝",
    "泽": "择",
    "彤": "桐",
    "梓": "子",
    "子": "梓",
    "诗": "师",
    "宁": "凝",
    "春": "椿",
    "立": "力",
    "永": "勇",
    "勇": "永",
    "德": "得",
    "福": "富",
    "荣": "容",
    "兴": "星",
    "利": "丽",
    "民": "敏",
    "敏": "民",
    "生": "升",
    # surnames
    "张": "章",
    "章": "张",
    "徐": "许",
    "许": "徐",
    "王": "汪",
    "汪": "王",
    "姜": "江",
    "江": "姜",
    "萧": "肖",
    "肖": "萧",
    "于": "余俞",
    "余": "于",
    "付": "傅",
    "傅": "付",
    "卢": "鲁",
    "程": "成",
    "李": "黎",
    "杨": "阳",
    "吴": "武",
    "刘": "柳",
}

# Home-province division codes of the floating population (GB/T 2260).
_HOME_REGIONS = np.array(
    ["410102", "130102", "370102", "510104", "320102", "340102", "430102", "420102", "230102"]
)
_HOME_PLACES = np.array(
    [
        "河南省郑州市中原区",
        "河北省石家庄市长安区",
        "山东省济南市历下区",
        "四川省成都市锦江区",
        "江苏省南京市玄武区",
        "安徽省合肥市瑶海区",
        "湖南省长沙市芙蓉区",
        "湖北省武汉市江岸区",
        "黑龙江省哈尔滨市道里区",
    ]
)
_ROAD_FIRST = "东西南北新长永和安兴光建景德福康宁华春泰嘉瑞明青文金龙凤红枣柳松桃"
_ROAD_SECOND = "华安平兴宁园桥门湖山河苑林庄坊阳泉源盛和祥丰德乐顺城台营塘溪"
_ROAD_SUFFIX = ("路", "街", "大街", "胡同", "西路", "东路", "北街", "南街")
_MOBILE_PREFIXES = np.array(
    [f"{p}" for p in (130, 131, 133, 135, 136, 137, 138, 139, 150, 151)]
    + [f"{p}" for p in (152, 155, 158, 159, 166, 170, 177, 180, 181, 186, 187, 188, 189, 199)]
)
_ETHNICITIES = np.array(["汉族", "回族", "满族", "蒙古族", "朝鲜族", "壮族"])
_ETHNICITY_P = np.array([0.955, 0.015, 0.015, 0.005, 0.005, 0.005])
_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.array(list("10X98765432"), dtype=object)
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
_S2T = opencc.OpenCC("s2t")

SOURCE_KEYS = ("public_security", "civil_affairs", "social_security", "community_visit")


@dataclass(frozen=True)
class SourceProfile:
    """How one department's extract covers and garbles the population (shares of rows)."""

    key: str
    id_missing: float
    id_typo: float
    phone_missing: float
    phone_outdated: float
    dob_missing: float
    dob_typo: float
    name_homophone: float
    name_traditional: float
    name_typo: float
    address_missing: float
    address_reformatted: float
    address_outdated: float
    sex_missing: float
    duplicated: float
    registered_address: bool  # the household register's address rather than the residence


PROFILES: dict[str, SourceProfile] = {
    "public_security": SourceProfile(
        "public_security", 0.0, 0.002, 0.6, 0.0, 0.0, 0.0, 0.003, 0.002, 0.003, 0.0, 0.05, 0.0,
        0.0, 0.002, True,
    ),
    "civil_affairs": SourceProfile(
        "civil_affairs", 0.02, 0.01, 0.15, 0.15, 0.3, 0.01, 0.02, 0.02, 0.015, 0.0, 0.4, 0.05,
        0.2, 0.01, False,
    ),
    "social_security": SourceProfile(
        "social_security", 0.05, 0.015, 0.08, 0.25, 0.2, 0.01, 0.02, 0.01, 0.02, 0.3, 0.5,
        0.15, 0.1, 0.01, False,
    ),
    "community_visit": SourceProfile(
        "community_visit", 0.6, 0.03, 0.1, 0.03, 0.45, 0.03, 0.05, 0.03, 0.03, 0.0, 0.6, 0.02,
        0.3, 0.05, False,
    ),
}  # fmt: skip


def _coverage(people: pd.DataFrame, key: str) -> np.ndarray:
    """Probability that each person is in the source's extract."""
    age = people["age"].to_numpy()
    floating = people["person_type"].to_numpy() == "流动"
    if key == "public_security":
        return np.where(floating, 0.75, 0.98)
    if key == "civil_affairs":
        return np.where(age >= 70, 0.35, np.where(age >= 60, 0.15, 0.03))
    if key == "social_security":
        return np.where((age >= 18) & (age < 65), 0.8, np.where(age >= 65, 0.5, 0.05))
    return np.full(len(people), 0.33)


def _names_from(chars: np.ndarray, index: np.ndarray) -> np.ndarray:
    return chars[index]


def _id_check_digits(body: np.ndarray) -> np.ndarray:
    """GB 11643 check characters of 17-digit bodies (vectorised)."""
    raw = np.frombuffer("".join(body).encode("ascii"), dtype=np.uint8)
    digits = (raw.reshape(-1, 17) - 48).astype(np.int64)
    return _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]


_NUMBERS = np.array([str(i) for i in range(10000)], dtype=object)
_NUMBERS4 = np.array([f"{i:04d}" for i in range(10000)], dtype=object)
_NUMBERS2 = np.array([f"{i:02d}" for i in range(100)], dtype=object)
_NUMBERS3 = np.array([f"{i:03d}" for i in range(1000)], dtype=object)


def _obj(values: np.ndarray | list[str] | str, n: int | None = None) -> np.ndarray:
    """An object array of strings (numpy's ``+`` concatenates them element-wise)."""
    if isinstance(values, str):
        return np.full(n or 0, values, dtype=object)
    return np.asarray(values, dtype=object)


def _roads(rng: np.random.Generator, count: int) -> np.ndarray:
    first = rng.choice(list(_ROAD_FIRST), size=count * 3)
    second = rng.choice(list(_ROAD_SECOND), size=count * 3)
    suffix = rng.choice(list(_ROAD_SUFFIX), size=count * 3)
    names = pd.unique(pd.Series(first) + pd.Series(second) + pd.Series(suffix))
    return _obj([n for n in names if n[0] != n[1]][:count])


@dataclass(frozen=True)
class Addresses:
    """Addresses of the demo district as components (index = address id)."""

    road: np.ndarray
    number: np.ndarray
    building: np.ndarray
    unit: np.ndarray
    room: np.ndarray

    @classmethod
    def draw(cls, rng: np.random.Generator, roads: np.ndarray, count: int) -> Addresses:
        """``count`` homes in compounds (road + door number) of about 250 households,
        each of up to 12 buildings × 6 units × 18 floors × 4 flats."""
        compounds = max(20, count // 250)
        road = roads[rng.integers(0, len(roads), compounds)]
        number = rng.integers(1, 400, compounds)
        which = rng.integers(0, compounds, count)
        return cls(
            road=road[which],
            number=number[which],
            building=rng.integers(1, 13, count),
            unit=rng.integers(1, 7, count),
            room=rng.integers(1, 19, count) * 100 + rng.integers(1, 5, count),
        )

    def __len__(self) -> int:
        return len(self.road)

    def text(self, ids: np.ndarray, rng: np.random.Generator | None = None) -> np.ndarray:
        """The standard form, or (with ``rng``) each written one of the ways people do:
        with or without 北京市示范区, 号楼/栋/幢, 2单元501室 or 2-501."""
        n = len(ids)
        prefix: str | np.ndarray
        building: str | np.ndarray
        unit: str | np.ndarray
        room: str | np.ndarray
        if rng is None:
            prefix, building, unit, room = "北京市示范区", "号楼", "单元", "室"
        else:
            prefix = _obj(["北京市示范区", "示范区", "", "北京市示范区"])[rng.integers(0, 4, n)]
            building = _obj(["号楼", "栋", "幢", "号楼"])[rng.integers(0, 4, n)]
            unit = _obj(["单元", "-", "单元", "单元"])[rng.integers(0, 4, n)]
            room = _obj(["室", "", "室", "号"])[rng.integers(0, 4, n)]
            room = np.where(unit == "-", np.where(room == "号", "", room), room)
        return (
            prefix
            + self.road[ids]
            + _NUMBERS[self.number[ids]]
            + "号"
            + _NUMBERS[self.building[ids]]
            + building
            + _NUMBERS[self.unit[ids]]
            + unit
            + _NUMBERS[self.room[ids]]
            + room
        )


def generate_people(
    n: int, seed: int = 20250101, *, district_code: str = DEMO_DISTRICT_CODE
) -> pd.DataFrame:
    """``n`` people in households, deterministic from ``seed`` (see the module doc)."""
    rng = np.random.default_rng(seed)
    # households: sizes 1–5, members in order head, spouse, children
    sizes = rng.choice([1, 2, 3, 4, 5], size=n // 2 + 2, p=[0.22, 0.3, 0.28, 0.13, 0.07])
    sizes = sizes[: int(np.searchsorted(np.cumsum(sizes), n)) + 1]
    household = np.repeat(np.arange(len(sizes)), sizes)[:n]
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    position = np.arange(n) - starts[household]
    n_households = int(household[-1]) + 1

    head_age = rng.triangular(22, 45, 92, n_households).astype(int)
    age = head_age[household].copy()
    spouse = position == 1
    child = position >= 2
    age[spouse] = np.clip(age[spouse] + rng.integers(-5, 6, spouse.sum()), 20, 99)
    age[child] = np.clip(age[child] - rng.integers(22, 38, child.sum()), 0, None)

    head_male = rng.random(n_households) < 0.6
    male = np.where(position == 0, head_male[household], rng.random(n) < 0.5)
    male[spouse] = ~head_male[household][spouse]

    surnames, weights = zip(*SURNAMES, strict=True)
    surname_p = np.array(weights) / sum(weights)
    surname_pool = np.array(surnames)
    own_surname = surname_pool[rng.choice(len(surname_pool), size=n, p=surname_p)]
    head_surname = own_surname[starts[household]]
    surname = np.where(child, head_surname, own_surname)
    given_len = np.where(rng.random(n) < 0.72, 2, 1)
    g1 = _GIVEN_CHARS[rng.integers(0, len(_GIVEN_CHARS), n)]
    g2 = np.where(given_len == 2, _GIVEN_CHARS[rng.integers(0, len(_GIVEN_CHARS), n)], "")
    names = _obj(surname) + _obj(g1) + _obj(g2)

    # birth dates: age in years plus a random day of the year
    days = (age * 365.25 + rng.integers(0, 365, n)).astype(int)
    birth = REFERENCE_DATE - days.astype("timedelta64[D]")
    birth_str = _obj(np.datetime_as_string(birth, unit="D"))

    # registered here, living here (常住, registered elsewhere in the city) or floating
    kind = rng.choice([0, 1, 2], size=n_households, p=[0.78, 0.07, 0.15])[household]
    person_type = np.array(["户籍", "常住", "流动"])[kind]
    home = rng.integers(0, len(_HOME_REGIONS), n_households)[household]
    region = np.where(kind == 2, _HOME_REGIONS[home], district_code)
    region = _obj(np.where(kind == 1, "110105", region))

    # ID numbers: region + birth date + sequence (odd for men) + check digit, unique
    frame = pd.DataFrame({"region": region, "birth": birth_str, "male": male})
    groups = frame.groupby(["region", "birth", "male"], sort=False)
    rank = groups.cumcount().to_numpy()
    group = groups.ngroup().to_numpy()
    offset = rng.integers(0, 40, int(group.max()) + 1)[group]  # one per group: no clashes
    sequence = (offset + rank) * 2 + male.astype(int)
    year = birth.astype("datetime64[Y]").astype(int) + 1970
    month = birth.astype("datetime64[M]").astype(int) % 12 + 1
    day = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    body = region + _NUMBERS4[year] + _NUMBERS2[month] + _NUMBERS2[day] + _NUMBERS3[sequence % 1000]
    id_number = body + _id_check_digits(body)

    # phones: unique mobiles; young children and some elderly share the head's phone
    numbers = rng.choice(10**8, size=n, replace=False)
    prefix = _obj(_MOBILE_PREFIXES)[rng.integers(0, len(_MOBILE_PREFIXES), n)]
    phone = prefix + _NUMBERS4[numbers // 10000] + _NUMBERS4[numbers % 10000]
    head_phone = phone[starts[household]]
    shares = ((age < 14) & (rng.random(n) < 0.7)) | ((age >= 80) & (rng.random(n) < 0.4))
    phone = np.where(shares & (position > 0), head_phone, phone)
    phone[(age < 14) & ~shares] = None

    # addresses: one per household; 人户分离 registered at another address of the district
    separated = (kind == 0) & (rng.random(n) < 0.06)
    roads = _roads(rng, 150 if n_households > 3000 else 30)
    table = Addresses.draw(rng, roads, n_households + int(separated.sum()))
    address_id = household
    registered_id = household.copy()
    registered_id[separated] = n_households + np.arange(int(separated.sum()))
    registered_id[kind != 0] = -1
    address = table.text(address_id)
    household_address = address.copy()
    household_address[separated] = table.text(registered_id[separated])
    floating = kind == 2
    household_address[floating] = (
        _obj(_HOME_PLACES)[home[floating]] + _NUMBERS[rng.integers(1, 300, floating.sum())] + "号"
    )
    elsewhere_in_city = kind == 1
    household_address[elsewhere_in_city] = (
        "北京市朝阳区"
        + roads[rng.integers(0, len(roads), elsewhere_in_city.sum())]
        + _NUMBERS[rng.integers(1, 300, elsewhere_in_city.sum())]
        + "号"
    )
    relation = np.where(position == 0, "户主", np.where(spouse, "配偶", "子女"))
    people = pd.DataFrame(
        {
            "person_id": np.arange(n, dtype=np.int64),
            "name": names,
            "sex": np.where(male, "M", "F"),
            "birth_date": birth_str,
            "age": age,
            "id_number": id_number,
            "phone": phone,
            "address": address,
            "household_address": household_address,
            "household_no": _NUMBERS4[1000 + household // 10000] + _NUMBERS4[household % 10000],
            "household": household,
            "relation_to_head": relation,
            "person_type": person_type,
            "ethnicity": _ETHNICITIES[rng.choice(len(_ETHNICITIES), size=n, p=_ETHNICITY_P)],
        }
    )
    # the address components, so that extracts can write an address another way
    for prefix_, ids in (("", address_id), ("reg_", registered_id)):
        valid = ids >= 0
        safe = np.where(valid, ids, 0)
        for part in ("road", "number", "building", "unit", "room"):
            values = getattr(table, part)[safe]
            people[f"{prefix_}{part}"] = np.where(valid, values, None if part == "road" else -1)
    return people


# ----------------------------------------------------------------------------- noise


def _pick(rng: np.random.Generator, n: int, share: float) -> np.ndarray:
    return rng.random(n) < share


def _homophone(name: str, roll: float) -> str:
    """Replace one character that has a homophone (the given name first)."""
    positions = [i for i, c in enumerate(name) if c in HOMOPHONES and HOMOPHONES[c] != c]
    if not positions:
        return name
    given = [i for i in positions if i > 0]
    i = given[int(roll * len(given))] if given and roll < 0.8 else positions[0]
    options = HOMOPHONES[name[i]]
    return name[:i] + options[int(roll * 1000) % len(options)] + name[i + 1 :]


def _typo_name(name: str, replacement: str) -> str:
    """A wrong character in the given name (not a homophone: a misread or slip)."""
    if len(name) < 2:
        return name
    i = len(name) - 1 if len(name) == 2 else 1 + (ord(replacement) % (len(name) - 1))
    if name[i] == replacement:
        replacement = "文" if replacement != "文" else "明"
    return name[:i] + replacement + name[i + 1 :]


def _noisy_names(rng: np.random.Generator, names: np.ndarray, p: SourceProfile) -> np.ndarray:
    out = names.astype(object).copy()
    n = len(out)
    for i in np.flatnonzero(_pick(rng, n, p.name_homophone)):
        out[i] = _homophone(out[i], rng.random())
    typo = np.flatnonzero(_pick(rng, n, p.name_typo))
    wrong = _GIVEN_CHARS[rng.integers(0, len(_GIVEN_CHARS), len(typo))]
    for i, c in zip(typo, wrong, strict=True):
        out[i] = _typo_name(out[i], c)
    trad = np.flatnonzero(_pick(rng, n, p.name_traditional))
    out[trad] = [_S2T.convert(s) for s in out[trad]]
    spaced = np.flatnonzero(_pick(rng, n, 0.005))
    out[spaced] = [s[0] + " " + s[1:] for s in out[spaced]]
    return out


def _digit_typo(rng: np.random.Generator, values: np.ndarray, width: int) -> np.ndarray:
    """Change one digit (among the first ``width``) of each value to another digit."""
    out = values.astype(object).copy()
    pos = rng.integers(0, width, len(out))
    shift = rng.integers(1, 10, len(out))
    for k, (s, i, d) in enumerate(zip(out, pos, shift, strict=True)):
        if s is None or len(s) <= i or not s[i].isdigit():
            continue
        out[k] = s[:i] + str((int(s[i]) + d) % 10) + s[i + 1 :]
    return out


def _date_typo(rng: np.random.Generator, dates: np.ndarray) -> np.ndarray:
    """A plausible slip: day ±1, month/day swapped, or the year's last digit off by one."""
    parsed = pd.to_datetime(pd.Series(dates), errors="coerce")
    kind = rng.integers(0, 3, len(dates))
    day_shift = parsed + pd.to_timedelta(np.where(rng.random(len(dates)) < 0.5, -1, 1), "D")
    swapped = pd.to_datetime(
        parsed.dt.year.astype(str)
        + "-"
        + parsed.dt.day.astype(str)
        + "-"
        + parsed.dt.month.astype(str),
        errors="coerce",
        format="%Y-%m-%d",
    )
    year_off = parsed - pd.DateOffset(years=1)
    result = np.where(kind == 0, day_shift, np.where(kind == 1, swapped, year_off))
    result = pd.Series(pd.to_datetime(result))
    result = result.where(result.notna(), day_shift)
    return result.dt.strftime("%Y-%m-%d").to_numpy()


def _reformat_addresses(
    rng: np.random.Generator, rows: pd.DataFrame, prefix: str, texts: np.ndarray
) -> np.ndarray:
    """The same district address written another way (prefixes dropped, 栋/幢, 2-501,
    full-width digits, traditional characters); other addresses as they were."""
    parts = {k: rows[f"{prefix}{k}"].to_numpy() for k in ("road", "number", "building", "unit")}
    parts["room"] = rows[f"{prefix}room"].to_numpy()
    inside = np.flatnonzero(pd.notna(parts["road"]))
    table = Addresses(*(parts[k][inside] for k in ("road", "number", "building", "unit", "room")))
    out = texts.astype(object).copy()
    written = table.text(np.arange(len(inside)), rng)
    full = _pick(rng, len(written), 0.1)
    written[full] = [t.translate(_FULLWIDTH) for t in written[full]]
    trad = _pick(rng, len(written), 0.05)
    written[trad] = [_S2T.convert(t) for t in written[trad]]
    out[inside] = written
    return out


def _extract(
    people: pd.DataFrame, profile: SourceProfile, rng: np.random.Generator
) -> pd.DataFrame:
    n_people = len(people)
    chosen = np.flatnonzero(rng.random(n_people) < _coverage(people, profile.key))
    again = chosen[_pick(rng, len(chosen), profile.duplicated)]
    rows = people.iloc[np.concatenate([chosen, again])].reset_index(drop=True)
    n = len(rows)

    name = _noisy_names(rng, rows["name"].to_numpy(), profile)

    id_number = rows["id_number"].to_numpy().astype(object)
    typo = _pick(rng, n, profile.id_typo)
    id_number[typo] = _digit_typo(rng, id_number[typo], 17)
    id_number[_pick(rng, n, profile.id_missing)] = None

    phone = rows["phone"].to_numpy().astype(object)
    outdated = _pick(rng, n, profile.phone_outdated) & pd.notna(phone)
    fresh = rng.choice(10**8, size=int(outdated.sum()), replace=False)
    phone[outdated] = (
        _obj(_MOBILE_PREFIXES)[fresh % len(_MOBILE_PREFIXES)]
        + _NUMBERS4[fresh // 10000]
        + _NUMBERS4[fresh % 10000]
    )
    phone[_pick(rng, n, profile.phone_missing)] = None

    birth = rows["birth_date"].to_numpy().astype(object)
    slip = _pick(rng, n, profile.dob_typo)
    birth[slip] = _date_typo(rng, birth[slip])
    birth[_pick(rng, n, profile.dob_missing)] = None

    prefix = "reg_" if profile.registered_address else ""
    address = rows["household_address" if prefix else "address"].to_numpy().astype(object)
    reform = np.flatnonzero(_pick(rng, n, profile.address_reformatted))
    address[reform] = _reformat_addresses(rng, rows.iloc[reform], prefix, address[reform])
    # an outdated address: the previous home (another address of the district)
    old = np.flatnonzero(_pick(rng, n, profile.address_outdated))
    address[old] = people["address"].to_numpy()[rng.integers(0, n_people, len(old))]
    address[_pick(rng, n, profile.address_missing)] = None

    sex = rows["sex"].to_numpy().astype(object)
    sex[_pick(rng, n, profile.sex_missing)] = None
    return pd.DataFrame(
        {
            "person_id": rows["person_id"].to_numpy(),
            "source": profile.key,
            "name": name,
            "sex": sex,
            "birth_date": birth,
            "id_number": id_number,
            "phone": phone,
            "address": address,
            "ethnicity": rows["ethnicity"].to_numpy(),
            "household_no": rows["household_no"].to_numpy(),
            "relation_to_head": rows["relation_to_head"].to_numpy(),
            "person_type": rows["person_type"].to_numpy(),
            "household_address": rows["household_address"].to_numpy(),
        }
    )


def source_extracts(
    people: pd.DataFrame,
    seed: int = 20250101,
    *,
    profiles: dict[str, SourceProfile] | None = None,
) -> dict[str, pd.DataFrame]:
    """Each department's noisy extract of ``people``, with the true ``person_id``."""
    rng = np.random.default_rng([seed, 1])
    return {key: _extract(people, p, rng) for key, p in (profiles or PROFILES).items()}


def registry_records(
    n: int, seed: int = 20250101, *, profiles: dict[str, SourceProfile] | None = None
) -> pd.DataFrame:
    """The union of the extracts of ``n`` people, as ``link_people`` takes it, + truth."""
    people = generate_people(n, seed)
    extracts = source_extracts(people, seed, profiles=profiles)
    records = pd.concat(extracts.values(), ignore_index=True)
    records.insert(0, "record_id", np.arange(len(records), dtype=np.int64))
    columns = ["record_id", "name", "sex", "birth_date", "id_number", "phone", "address"]
    return records[[*columns, "source", "person_id"]]
