"""The demo district's department files: what each department would send the base database.

``write_registry_files(directory, extracts, seed=...)`` writes one file per source in the
formats of the registry's source contract (``grassroots.registry.sources``; exactly the
headers of docs REGISTRY "Department file formats"), from per-source DataFrames of noisy
extracts (``grassroots.demo.population.source_extracts``: ``name, sex, birth_date,
id_number, phone, address, ethnicity, household_no, relation_to_head, person_type,
household_address, person_id``; missing columns are left blank). Organisations (market
regulation) and houses (housing) are made up from the people when not given.

Each file looks like a real export:

============== =================== ==============================================
source          file                 encoding / dates
============== =================== ==============================================
公安户籍        public_security.csv  GBK (GB18030 if a name needs it); 19900105
民政            civil_affairs.csv    UTF-8 with BOM; 2024/3/5
人社            social_security.csv  UTF-8; 2024-03-05 10:21:33
社区走访        community_visit.csv  UTF-8; 2024年3月5日
市场监管        market_regulation.xlsx  Excel date cells (a few serial numbers)
住建            housing.csv          UTF-8; 2024.03.05
============== =================== ==============================================

and carries realistic dirt at a few percent of rows (``dirt``), one problem per dirty row:
a bad ID check digit, an impossible birth date inside an ID number, an impossible date, a
broken phone number, a bad credit code (check character or a forbidden letter), a blank
required cell, a cell with an Excel formula (a real formula in the XLSX file), and exact
duplicated rows; plus accepted variants (``+86 138-1234-5678``, a lower-case ``x``, other
date spellings, ``汉`` for 汉族). ``examples/civil_affairs_wrong_columns.csv`` is a file
whose columns match no source, kept apart.

The result says, for tests, which rows are dirty and why (:class:`FileTruth`): the injected
dirt and the rows that the extracts' own noise makes invalid (a mistyped ID number, a blank
required cell), with the reject codes an importer using ``registry.validators`` gives.
Rows are numbered from 0 in data order; the spreadsheet row is ``row + 2``. Everything is
deterministic from ``seed``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grassroots.registry.address import parse_address
from grassroots.registry.validators import (
    USCC_ALPHABET,
    FieldError,
    id_check_char,
    normalise_ethnicity,
    normalise_phone,
    parse_date,
    uscc_check_char,
    validate_id_number,
    validate_uscc,
)

DEFAULT_SEED = 20250101
OBSERVED_AT = date(2025, 1, 1)

HEADERS: dict[str, tuple[str, ...]] = {
    "public_security": (
        "姓名",
        "性别",
        "民族",
        "出生日期",
        "公民身份号码",
        "户籍地址",
        "户号",
        "与户主关系",
        "人员类型",
        "登记日期",
    ),
    "civil_affairs": ("姓名", "身份证号", "联系电话", "居住地址", "救助类别", "更新日期"),
    "social_security": (
        "姓名",
        "证件号码",
        "手机号",
        "通讯地址",
        "参保单位",
        "参保单位统一社会信用代码",
        "更新时间",
    ),
    "community_visit": (
        "姓名",
        "身份证号",
        "手机号",
        "居住地址",
        "居住类型",
        "房屋用途",
        "走访日期",
    ),
    "market_regulation": (
        "企业名称",
        "统一社会信用代码",
        "法定代表人",
        "联系电话",
        "住所",
        "企业类型",
        "登记状态",
        "成立日期",
    ),
    "housing": ("房屋地址", "房屋用途", "建筑面积", "产权人", "登记日期"),
}
REQUIRED: dict[str, frozenset[str]] = {
    "public_security": frozenset({"姓名", "公民身份号码", "户籍地址"}),
    "civil_affairs": frozenset({"姓名", "身份证号", "居住地址"}),
    "social_security": frozenset({"姓名"}),
    "community_visit": frozenset({"姓名", "居住地址"}),
    "market_regulation": frozenset({"企业名称", "统一社会信用代码", "住所"}),
    "housing": frozenset({"房屋地址"}),
}
# the column saying when the row was true (the importer's ``observed_at``) and the address
OBSERVED_HEADER: dict[str, str] = {
    "public_security": "登记日期",
    "civil_affairs": "更新日期",
    "social_security": "更新时间",
    "community_visit": "走访日期",
    "housing": "登记日期",
}
ADDRESS_HEADER: dict[str, str] = {
    "public_security": "户籍地址",
    "civil_affairs": "居住地址",
    "social_security": "通讯地址",
    "community_visit": "居住地址",
    "market_regulation": "住所",
    "housing": "房屋地址",
}
PERSON_SOURCES = ("public_security", "civil_affairs", "social_security", "community_visit")
SOURCE_ORDER = (*PERSON_SOURCES, "market_regulation", "housing")

# what kind of value each header holds (for dirt and for checking rows)
_KIND: dict[str, str] = {
    "公民身份号码": "id",
    "身份证号": "id",
    "证件号码": "id",
    "联系电话": "phone",
    "手机号": "phone",
    "统一社会信用代码": "uscc",
    "参保单位统一社会信用代码": "uscc",
    "出生日期": "date",
    "登记日期": "date",
    "更新日期": "date",
    "更新时间": "date",
    "走访日期": "date",
    "成立日期": "date",
    "姓名": "name",
    "企业名称": "name",
    "产权人": "name",
    "法定代表人": "name",
}


@dataclass(frozen=True)
class _FileFormat:
    filename: str
    file_format: str  # csv / xlsx
    encoding: str  # for CSV: the codec written
    date_style: str  # strftime-like style of dates, see _format_date


FORMATS: dict[str, _FileFormat] = {
    "public_security": _FileFormat("public_security.csv", "csv", "gbk", "compact"),
    "civil_affairs": _FileFormat("civil_affairs.csv", "csv", "utf-8-sig", "slash"),
    "social_security": _FileFormat("social_security.csv", "csv", "utf-8", "datetime"),
    "community_visit": _FileFormat("community_visit.csv", "csv", "utf-8", "chinese"),
    "market_regulation": _FileFormat("market_regulation.xlsx", "xlsx", "", "cell"),
    "housing": _FileFormat("housing.csv", "csv", "utf-8", "dots"),
}

# dirt that can be put in each source's file (kind → header it goes in)
DIRT: dict[str, dict[str, str]] = {
    "public_security": {
        "id_checksum": "公民身份号码",
        "id_birth_date": "公民身份号码",
        "date_impossible": "出生日期",
        "required": "公民身份号码",
        "formula": "姓名",
    },
    "civil_affairs": {
        "id_checksum": "身份证号",
        "phone_format": "联系电话",
        "date_impossible": "更新日期",
        "required": "居住地址",
        "formula": "姓名",
    },
    "social_security": {
        "id_checksum": "证件号码",
        "phone_format": "手机号",
        "date_impossible": "更新时间",
        "uscc_checksum": "参保单位统一社会信用代码",
        "required": "姓名",
        "formula": "姓名",
    },
    "community_visit": {
        "id_checksum": "身份证号",
        "phone_format": "手机号",
        "date_impossible": "走访日期",
        "required": "居住地址",
        "formula": "姓名",
    },
    "market_regulation": {
        "uscc_checksum": "统一社会信用代码",
        "uscc_format": "统一社会信用代码",
        "phone_format": "联系电话",
        "date_impossible": "成立日期",
        "required": "住所",
        "formula": "企业名称",
    },
    "housing": {
        "date_impossible": "登记日期",
        "required": "房屋地址",
        "formula": "产权人",
    },
}
DUPLICATE = "duplicate"


# ---------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class FileTruth:
    """What the generator knows about one file (rows numbered from 0 in data order)."""

    rows: int
    entity_ids: tuple[int | None, ...]  # person_id / organisation or house index per row
    injected: dict[int, str]  # row → the dirt put in it (a DIRT kind or "duplicate")
    rejects: dict[int, tuple[str, ...]]  # row → reject codes (injected and the extract's noise)
    duplicates: dict[int, int]  # row → the earlier row it repeats exactly
    variants: dict[int, str] = field(default_factory=dict)  # accepted unusual spellings

    @property
    def accepted(self) -> int:
        """Rows an importer keeps: neither rejected nor a repeat."""
        return self.rows - len(self.rejects) - len(self.duplicates)


@dataclass(frozen=True)
class RegistryFile:
    source: str
    path: Path
    file_format: str
    encoding: str  # the codec of a CSV file ("gbk", "gb18030", "utf-8", "utf-8-sig"); "" xlsx
    headers: tuple[str, ...]
    truth: FileTruth


@dataclass(frozen=True)
class RegistryFiles:
    directory: Path
    files: dict[str, RegistryFile]
    wrong_columns: Path  # an example file whose columns match no source

    @property
    def paths(self) -> dict[str, Path]:
        return {key: f.path for key, f in self.files.items()}


# ---------------------------------------------------------------------------------------
# Values


def _blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _str(value: Any) -> str:
    return "" if _blank(value) else str(value)


def _iso(value: Any) -> date | None:
    if _blank(value):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _id_birth(id_number: str) -> date | None:
    try:
        return validate_id_number(id_number).birth_date
    except FieldError:
        return None


def _format_date(day: date, style: str, rng: np.random.Generator | None = None) -> Any:
    if style == "compact":
        return day.strftime("%Y%m%d")
    if style == "slash":
        return f"{day.year}/{day.month}/{day.day}"
    if style == "datetime":
        assert rng is not None
        seconds = int(rng.integers(8 * 3600, 18 * 3600))
        return (datetime.combine(day, datetime.min.time()) + timedelta(seconds=seconds)).strftime(
            "%Y-%m-%d %H:%M:%S"
        )
    if style == "chinese":
        return f"{day.year}年{day.month}月{day.day}日"
    if style == "dots":
        return day.strftime("%Y.%m.%d")
    if style == "cell":
        return day
    return day.isoformat()


def _impossible_date(rng: np.random.Generator, style: str) -> str:
    year = int(rng.integers(1990, 2024))
    month, day = [(2, 30), (2, 31), (4, 31), (6, 31), (9, 31), (11, 31), (13, 1)][
        int(rng.integers(0, 7))
    ]
    if style == "compact":
        return f"{year}{month:02d}{day:02d}"
    if style == "slash":
        return f"{year}/{month}/{day}"
    if style == "chinese":
        return f"{year}年{month}月{day}日"
    if style == "dots":
        return f"{year}.{month:02d}.{day:02d}"
    if style == "datetime":
        return f"{year}-{month:02d}-{day:02d} 09:30:00"
    return f"{year}-{month:02d}-{day:02d}"


def _observed(rng: np.random.Generator, observed_at: date, earliest: date | None) -> date:
    start = date(2019, 1, 1)
    span = (observed_at - start).days - 1
    day = start + timedelta(days=int(rng.integers(0, span)))
    if earliest is not None and day < earliest:
        day = min(earliest, observed_at - timedelta(days=1))
    return day


_SEX_TEXT = {"M": "男", "F": "女"}
_SEX_CODE = {"男": "M", "女": "F"}
_FORMULA = re.compile(r"^[=@]|^[+\-](?![0-9\s.()（）+\-]*$)")


def _is_formula(value: Any) -> bool:
    return isinstance(value, str) and bool(_FORMULA.match(value.strip().lstrip("'")))


# ---------------------------------------------------------------------------------------
# Rows of each person source


Row = dict[str, Any]


def _column(frame: pd.DataFrame, name: str) -> list[Any]:
    if name in frame.columns:
        return frame[name].tolist()
    return [None] * len(frame)


def _entity_ids(frame: pd.DataFrame) -> list[int | None]:
    for name in ("person_id", "entity_id"):
        if name in frame.columns:
            return [None if _blank(v) else int(v) for v in frame[name].tolist()]
    return [None] * len(frame)


def _person_rows(
    source: str,
    frame: pd.DataFrame,
    rng: np.random.Generator,
    observed_at: date,
    employers: pd.DataFrame | None,
) -> tuple[list[Row], dict[int, str]]:
    style = FORMATS[source].date_style
    variants: dict[int, str] = {}
    rows: list[Row] = []
    names = _column(frame, "name")
    sexes = _column(frame, "sex")
    births = _column(frame, "birth_date")
    ids = _column(frame, "id_number")
    phones = _column(frame, "phone")
    addresses = _column(frame, "address")
    household_addresses = _column(frame, "household_address")
    ethnicities = _column(frame, "ethnicity")
    household_nos = _column(frame, "household_no")
    relations = _column(frame, "relation_to_head")
    person_types = _column(frame, "person_type")
    rolls = rng.random((len(frame), 4))
    for i in range(len(frame)):
        birth = _iso(births[i])
        id_number, phone = _str(ids[i]), _str(phones[i])
        seen = _observed(rng, observed_at, birth or _id_birth(id_number))
        if id_number.endswith("X") and rolls[i, 0] < 0.1:
            id_number, variants[i] = id_number.lower(), "id_lower_x"
        if phone and rolls[i, 1] < 0.04:
            phone = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}"
            variants[i] = "phone_international"
        elif phone and rolls[i, 1] < 0.07:
            phone = f"{phone[:3]} {phone[3:7]} {phone[7:]}"
            variants[i] = "phone_spaced"
        seen_text = _format_date(seen, style, rng)
        if rolls[i, 2] < 0.03:
            seen_text, variants[i] = seen.isoformat(), "date_iso"
        address = _str(addresses[i])
        if source == "public_security":
            ethnicity = _str(ethnicities[i])
            if ethnicity == "汉族" and rolls[i, 3] < 0.05:
                ethnicity, variants[i] = "汉", "ethnicity_short"
            row = {
                "姓名": _str(names[i]),
                "性别": _SEX_TEXT.get(_str(sexes[i]), ""),
                "民族": ethnicity,
                "出生日期": _format_date(birth, style) if birth else "",
                "公民身份号码": id_number,
                "户籍地址": address or _str(household_addresses[i]),
                "户号": _str(household_nos[i]),
                "与户主关系": _str(relations[i]),
                "人员类型": _str(person_types[i]),
                "登记日期": seen_text,
            }
        elif source == "civil_affairs":
            age = (observed_at - birth).days // 365 if birth else 70
            if age >= 80:
                tag = "高龄补贴"
            else:
                tag = ("低保", "特困供养", "残疾人两项补贴", "临时救助")[int(rolls[i, 3] * 4)]
            row = {
                "姓名": _str(names[i]),
                "身份证号": id_number,
                "联系电话": phone,
                "居住地址": address,
                "救助类别": tag,
                "更新日期": seen_text,
            }
        elif source == "social_security":
            employer_name = employer_code = ""
            if employers is not None and len(employers) and rolls[i, 3] < 0.85:
                k = int(rolls[i, 3] / 0.85 * len(employers))
                employer_name = str(employers["org_name"].iloc[k])
                employer_code = str(employers["uscc"].iloc[k])
            row = {
                "姓名": _str(names[i]),
                "证件号码": id_number,
                "手机号": phone,
                "通讯地址": address,
                "参保单位": employer_name,
                "参保单位统一社会信用代码": employer_code,
                "更新时间": seen_text,
            }
        else:  # community_visit
            person_type = _str(person_types[i])
            use = "出租" if person_type == "流动" else ("自住" if rolls[i, 3] < 0.9 else "经营")
            row = {
                "姓名": _str(names[i]),
                "身份证号": id_number,
                "手机号": phone,
                "居住地址": address,
                "居住类型": person_type,
                "房屋用途": use,
                "走访日期": seen_text,
            }
        rows.append(row)
    return rows, variants


# ---------------------------------------------------------------------------------------
# Organisations and houses made up from the people


_ORG_FIRST = "东西南北新长永和安兴光建景德福康宁华春泰嘉瑞明青文金龙凤"
_ORG_SECOND = "华安平兴宁园桥湖山河苑林庄阳泉源盛和祥丰德乐顺城"
_INDUSTRIES = ("商贸", "餐饮", "科技", "文化传媒", "建筑工程", "物业管理", "家政服务", "教育咨询")
_ORG_KINDS = (
    # (type label, USCC prefix, name pattern, share)
    ("有限责任公司（自然人投资或控股）", "91", "示范市{stem}{industry}有限公司", 0.55),
    ("股份有限公司", "91", "示范市{stem}{industry}股份有限公司", 0.05),
    ("个体工商户", "92", "示范区{stem}{shop}", 0.35),
    ("农民专业合作社", "93", "示范区{stem}种植专业合作社", 0.05),
)
_SHOPS = ("便利店", "小吃店", "理发店", "五金店", "水果店", "洗衣店", "汽车维修部", "药店")
_ORG_STATUS = (("存续", 0.6), ("在业", 0.3), ("注销", 0.07), ("吊销", 0.03))
_FALLBACK_ROADS = ("和平路", "安华街", "新园胡同", "永泉西路", "康宁大街")


def _roads_of(addresses: Iterable[Any]) -> list[str]:
    roads: list[str] = []
    seen: set[str] = set()
    for text in addresses:
        if _blank(text):
            continue
        road = parse_address(str(text)).road
        if road and road not in seen:
            seen.add(road)
            roads.append(road)
        if len(roads) >= 60:
            break
    return roads or list(_FALLBACK_ROADS)


def make_organisations(
    count: int,
    *,
    seed: int = DEFAULT_SEED,
    people: pd.DataFrame | None = None,
    district_code: str = "110199",
    observed_at: date = OBSERVED_AT,
) -> pd.DataFrame:
    """``count`` organisations of the demo district with valid credit codes (truth)."""
    rng = np.random.default_rng([seed, 0x0C0])
    adults = None
    if people is not None and len(people):
        births = pd.to_datetime(people["birth_date"], errors="coerce")
        adults = people[births < pd.Timestamp(observed_at) - pd.DateOffset(years=22)]
    roads = _roads_of(people["address"] if people is not None else [])
    shares = np.array([k[3] for k in _ORG_KINDS])
    kinds = rng.choice(len(_ORG_KINDS), size=count, p=shares / shares.sum())
    records: list[dict[str, Any]] = []
    names: set[str] = set()
    codes: set[str] = set()
    for i in range(count):
        label, prefix, pattern, _share = _ORG_KINDS[int(kinds[i])]
        for _attempt in range(50):
            stem = str(rng.choice(list(_ORG_FIRST))) + str(rng.choice(list(_ORG_SECOND)))
            name = pattern.format(
                stem=stem,
                industry=str(rng.choice(list(_INDUSTRIES))),
                shop=str(rng.choice(list(_SHOPS))),
            )
            if name not in names:
                break
        else:
            name = f"{name}{i}"
        names.add(name)
        while True:
            org_code = "".join(rng.choice(list(USCC_ALPHABET[:10]), size=6)) + "".join(
                rng.choice(list(USCC_ALPHABET), size=3)
            )
            body = prefix + district_code + org_code
            code = body + uscc_check_char(body)
            if code not in codes:
                codes.add(code)
                break
        if adults is not None and len(adults):
            rep = adults.iloc[int(rng.integers(0, len(adults)))]
            legal_rep, rep_phone = str(rep["name"]), _str(rep.get("phone"))
        else:
            legal_rep, rep_phone = f"法人{i}", ""
        phone = rep_phone or f"010-6{int(rng.integers(0, 10**7)):07d}"
        if rng.random() < 0.3:
            phone = f"010-{int(rng.integers(6, 9))}{int(rng.integers(0, 10**7)):07d}"
        road = roads[int(rng.integers(0, len(roads)))]
        address = f"北京市示范区{road}{int(rng.integers(1, 200))}号"
        if rng.random() < 0.5:
            address += f"{int(rng.integers(1, 25))}号楼1层{int(rng.integers(1, 9)) + 100}室"
        founded = observed_at - timedelta(days=int(rng.integers(60, 25 * 365)))
        status_p = np.array([s[1] for s in _ORG_STATUS])
        status = _ORG_STATUS[int(rng.choice(len(_ORG_STATUS), p=status_p))][0]
        records.append(
            {
                "entity_id": i,
                "org_name": name,
                "uscc": code,
                "legal_rep": legal_rep,
                "phone": phone,
                "address": address,
                "org_type": label,
                "org_status": status,
                "founded_on": founded.isoformat(),
            }
        )
    return pd.DataFrame.from_records(records)


_HOUSE_USES = (("自住", 0.72), ("出租", 0.2), ("经营", 0.03), ("空置", 0.05))


def make_houses(
    people: pd.DataFrame, *, seed: int = DEFAULT_SEED, observed_at: date = OBSERVED_AT
) -> pd.DataFrame:
    """One row per distinct home of ``people`` (address, use, area, owner)."""
    rng = np.random.default_rng([seed, 0x40E])
    homes = people.dropna(subset=["address"]).drop_duplicates("address", keep="first")
    n = len(homes)
    uses = np.array([u[0] for u in _HOUSE_USES])
    use_p = np.array([u[1] for u in _HOUSE_USES])
    area = np.round(rng.normal(85, 25, n).clip(25, 260), 1)
    registered = [
        (observed_at - timedelta(days=int(d))).isoformat() for d in rng.integers(30, 20 * 365, n)
    ]
    return pd.DataFrame(
        {
            "entity_id": np.arange(n),
            "address": homes["address"].to_numpy(),
            "house_use": uses[rng.choice(len(uses), size=n, p=use_p)],
            "area_m2": area,
            "owner_name": homes["name"].to_numpy(),
            "registered_on": registered,
        }
    )


def _organisation_rows(
    frame: pd.DataFrame, rng: np.random.Generator
) -> tuple[list[Row], dict[int, str]]:
    rows: list[Row] = []
    variants: dict[int, str] = {}
    for i, org in enumerate(frame.itertuples(index=False)):
        founded: Any = date.fromisoformat(str(org.founded_on))
        roll = rng.random()
        if roll < 0.04:
            # an Excel serial number typed as a plain number
            founded, variants[i] = (founded - date(1899, 12, 30)).days, "date_serial"
        elif roll < 0.08:
            founded, variants[i] = f"{founded.year}年{founded.month}月{founded.day}日", "date_text"
        rows.append(
            {
                "企业名称": org.org_name,
                "统一社会信用代码": org.uscc,
                "法定代表人": org.legal_rep,
                "联系电话": org.phone,
                "住所": org.address,
                "企业类型": org.org_type,
                "登记状态": org.org_status,
                "成立日期": founded,
            }
        )
    return rows, variants


def _house_rows(frame: pd.DataFrame) -> list[Row]:
    return [
        {
            "房屋地址": house.address,
            "房屋用途": house.house_use,
            "建筑面积": f"{house.area_m2:.1f}",
            "产权人": house.owner_name,
            "登记日期": _format_date(date.fromisoformat(str(house.registered_on)), "dots"),
        }
        for house in frame.itertuples(index=False)
    ]


# ---------------------------------------------------------------------------------------
# Checking rows (the truth about the extract's own noise) and dirt


def row_codes(
    source: str,
    row: Row,
    *,
    today: date = OBSERVED_AT,
    cache: dict[tuple[Any, ...], tuple[str, ...]] | None = None,
) -> tuple[str, ...]:
    """The reject codes a row earns from ``registry.validators`` (empty when valid)."""
    if cache is not None:
        key = (source, *(row.get(h) for h in HEADERS[source]))
        if key not in cache:
            cache[key] = row_codes(source, row, today=today)
        return cache[key]
    codes: list[str] = []
    required = REQUIRED[source]
    parsed: dict[str, Any] = {}
    for header in HEADERS[source]:
        value = row.get(header)
        if _is_formula(value):
            codes.append("formula")
            continue
        if _blank(value):
            if header in required:
                codes.append("required")
            continue
        kind = _KIND.get(header)
        try:
            if kind == "id":
                parsed[header] = validate_id_number(value, today=today)
            elif kind == "phone":
                normalise_phone(value)
            elif kind == "uscc":
                validate_uscc(value)
            elif kind == "date":
                parsed[header] = parse_date(value, latest=today)
        except FieldError as error:
            codes.append(error.code)
    if not codes:
        codes.extend(_cross_check_codes(source, row, parsed))
    return tuple(codes)


def _cross_check_codes(source: str, row: Row, parsed: dict[str, Any]) -> list[str]:
    """What the importer checks across the fields of a valid row."""
    codes: list[str] = []
    id_header = next((h for h in HEADERS[source] if _KIND.get(h) == "id"), None)
    info = parsed.get(id_header) if id_header else None
    birth = parsed.get("出生日期")
    if info is not None and birth is not None and info.birth_date != birth:
        codes.append("id_birth_mismatch")
    sex = _SEX_CODE.get(_str(row.get("性别")))
    if info is not None and sex and sex != info.sex:
        codes.append("id_sex_mismatch")
    birth = birth or (info.birth_date if info is not None else None)
    observed = parsed.get(OBSERVED_HEADER.get(source, ""))
    if birth is not None and observed is not None and observed < birth:
        codes.append("date_order")
    if source in PERSON_SOURCES and info is None:
        phone = next((row.get(h) for h in HEADERS[source] if _KIND.get(h) == "phone"), None)
        address = row.get(ADDRESS_HEADER[source])
        if _blank(phone) and birth is None and _blank(address):
            codes.append("unidentifiable")
    return codes


def _dirty_value(kind: str, value: Any, source: str, rng: np.random.Generator, row: Row) -> Any:
    style = FORMATS[source].date_style
    if kind == "id_checksum":
        number = str(value).upper()
        others = [c for c in "0123456789X" if c != number[17]]
        return number[:17] + others[int(rng.integers(0, len(others)))]
    if kind == "id_birth_date":
        number = str(value).upper()
        impossible = ("0230", "0231", "0431", "1301", "0001")[int(rng.integers(0, 5))]
        body = number[:10] + impossible + number[14:17]
        return body + id_check_char(body)
    if kind == "date_impossible":
        return _impossible_date(rng, style)
    if kind == "phone_format":
        digits = re.sub(r"[^0-9]", "", str(value))
        choice = int(rng.integers(0, 3))
        if choice == 0:
            return digits[:-1]  # a digit short
        if choice == 1:
            return digits + str(int(rng.integers(0, 10)))  # a digit too many
        return digits[:3] + "l" + digits[4:]  # a letter l for the digit 1
    if kind == "uscc_checksum":
        code = str(value)
        others = [c for c in USCC_ALPHABET if c != code[17]]
        return code[:17] + others[int(rng.integers(0, len(others)))]
    if kind == "uscc_format":
        code = str(value)
        position = int(rng.integers(8, 17))
        return code[:position] + str(rng.choice(list("IOZSV"))) + code[position + 1 :]
    if kind == "required":
        return ""
    if kind == "formula":
        text = str(value) or "张三"
        if FORMATS[source].file_format == "xlsx":
            return f'=CONCATENATE("{text[:1]}","{text[1:]}")'
        return (
            f'=HYPERLINK("http://example.invalid/?q={text}","{text}")',
            "=1+1",
            f"@SUM(1,1)*{text}",
        )[int(rng.integers(0, 3))]
    raise ValueError(f"unknown dirt {kind!r}")


def _duplicate_key(source: str, row: Row) -> tuple[Any, ...]:
    """Rows an importer takes for repeats: equal once values are normalised."""
    key: list[Any] = []
    for header in HEADERS[source]:
        if header == OBSERVED_HEADER.get(source):
            continue  # when the row was seen is not part of what it says
        value = row.get(header)
        kind = _KIND.get(header)
        try:
            if _blank(value):
                key.append("")
            elif kind == "id":
                key.append(validate_id_number(value).value)
            elif kind == "phone":
                key.append(normalise_phone(value))
            elif kind == "date":
                key.append(parse_date(value))
            elif header == "民族":
                key.append(normalise_ethnicity(value))
            else:
                key.append(re.sub(r"\s+", "", str(value)))
        except FieldError:
            key.append(str(value))
    return tuple(key)


def _add_dirt(
    source: str,
    rows: list[Row],
    entity_ids: list[int | None],
    rng: np.random.Generator,
    share: float,
    today: date,
    cache: dict[tuple[Any, ...], tuple[str, ...]],
) -> tuple[list[Row], list[int | None], dict[int, str], dict[int, int]]:
    """Dirt in about ``share`` of the rows (every kind once when there are enough rows),
    then exact repeats of clean rows inserted after their original."""
    kinds = list(DIRT[source])
    n = len(rows)
    clean = [i for i in range(n) if not row_codes(source, rows[i], today=today, cache=cache)]
    wanted = round(share * n)
    if share > 0 and n >= 4 * (len(kinds) + 1):
        wanted = max(wanted, len(kinds))
    injected: dict[int, str] = {}
    order = [clean[int(k)] for k in rng.permutation(len(clean))]
    for index in order:
        if len(injected) >= wanted:
            break
        kind = kinds[len(injected) % len(kinds)]
        header = DIRT[source][kind]
        value = rows[index].get(header)
        if kind != "required" and kind != "formula" and _blank(value):
            continue  # nothing to spoil (no ID number, no phone)
        if kind in ("id_checksum", "id_birth_date") and len(str(value)) != 18:
            continue
        dirty = dict(rows[index])
        dirty[header] = _dirty_value(kind, value, source, rng, dirty)
        if kind == "formula" or row_codes(source, dirty, today=today):
            rows[index] = dirty
            injected[index] = kind
    # exact repeats of clean rows, each inserted somewhere after its original
    repeats = max(1, round(share * n / 3)) if share > 0 and n >= 10 else 0
    candidates = [i for i in clean if i not in injected]
    picks = (
        sorted(
            candidates[int(k)]
            for k in rng.choice(len(candidates), size=min(repeats, len(candidates)), replace=False)
        )
        if candidates and repeats
        else []
    )
    inserts: dict[int, list[int]] = {}
    for original in picks:
        after = int(rng.integers(original, n))
        inserts.setdefault(after, []).append(original)
    out_rows: list[Row] = []
    out_ids: list[int | None] = []
    out_injected: dict[int, str] = {}
    repeated: dict[int, int] = {}
    position_of: dict[int, int] = {}
    for i in range(n):
        position_of[i] = len(out_rows)
        if i in injected:
            out_injected[len(out_rows)] = injected[i]
        out_rows.append(rows[i])
        out_ids.append(entity_ids[i])
        for original in inserts.get(i, []):
            out_injected[len(out_rows)] = DUPLICATE
            repeated[len(out_rows)] = position_of[original]
            out_rows.append(dict(rows[original]))
            out_ids.append(entity_ids[original])
    return out_rows, out_ids, out_injected, repeated


def _truth(
    source: str,
    rows: list[Row],
    entity_ids: list[int | None],
    injected: dict[int, str],
    variants: dict[int, str],
    today: date,
    cache: dict[tuple[Any, ...], tuple[str, ...]],
) -> FileTruth:
    rejects: dict[int, tuple[str, ...]] = {}
    duplicates: dict[int, int] = {}
    first_of: dict[tuple[Any, ...], int] = {}
    for i, row in enumerate(rows):
        codes = row_codes(source, row, today=today, cache=cache)
        if codes:
            rejects[i] = codes
            continue
        key = _duplicate_key(source, row)
        if key in first_of:
            duplicates[i] = first_of[key]
        else:
            first_of[key] = i
    return FileTruth(
        rows=len(rows),
        entity_ids=tuple(entity_ids),
        injected=injected,
        rejects=rejects,
        duplicates=duplicates,
        variants=variants,
    )


# ---------------------------------------------------------------------------------------
# Writing


def _csv_text(headers: tuple[str, ...], rows: list[Row]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([_str(row.get(h)) for h in headers])
    return buffer.getvalue()


def _write_csv(path: Path, headers: tuple[str, ...], rows: list[Row], encoding: str) -> str:
    text = _csv_text(headers, rows)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        if encoding != "gbk":
            raise
        encoding, data = "gb18030", text.encode("gb18030")  # a name GBK cannot write
    path.write_bytes(data)
    return encoding


def _write_xlsx(path: Path, headers: tuple[str, ...], rows: list[Row]) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "企业登记信息"
    sheet.append(list(headers))
    for row in rows:
        sheet.append([None if _blank(row.get(h)) else row.get(h) for h in headers])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, date | datetime):
                cell.number_format = "yyyy-mm-dd"
    fixed = datetime(2025, 1, 1)
    workbook.properties.created = workbook.properties.modified = fixed
    workbook.save(path)


def write_wrong_columns_example(path: Path) -> Path:
    """A civil affairs export whose columns were renamed: no required column is found."""
    headers = ("序号", "人员姓名", "公民证件", "家庭住址", "救助类别", "更新日期")
    rows = [
        (
            "1",
            "张伟",
            "11019919900101123" + id_check_char("11019919900101123"),
            "和平路1号",
            "低保",
            "2024/3/5",
        ),
        ("2", "王芳", "", "和平路2号3号楼1单元101室", "特困供养", "2024/3/6"),
    ]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path


def write_registry_files(
    directory: Path | str,
    extracts: Mapping[str, pd.DataFrame],
    *,
    seed: int = DEFAULT_SEED,
    people: pd.DataFrame | None = None,
    organisations: pd.DataFrame | None = None,
    houses: pd.DataFrame | None = None,
    dirt: float = 0.03,
    observed_at: date = OBSERVED_AT,
) -> RegistryFiles:
    """Write the department files of the demo district into ``directory`` (module doc).

    ``extracts`` holds the person sources' extracts (any of ``PERSON_SOURCES``).
    ``organisations`` (columns as :func:`make_organisations` returns) and ``houses`` (as
    :func:`make_houses`) are made up from ``people`` when not given; without ``people``
    either, those files are not written. ``dirt`` is the share of rows spoiled.
    """
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    unknown = set(extracts) - set(PERSON_SOURCES)
    if unknown:
        raise ValueError(f"not person sources: {', '.join(sorted(unknown))}")
    if organisations is None and people is not None:
        organisations = make_organisations(
            max(10, len(people) // 30), seed=seed, people=people, observed_at=observed_at
        )
    if houses is None and people is not None:
        houses = make_houses(people, seed=seed, observed_at=observed_at)
    files: dict[str, RegistryFile] = {}
    for number, source in enumerate(SOURCE_ORDER):
        rng = np.random.default_rng([seed, 0x5EC, number])
        variants: dict[int, str] = {}
        if source in PERSON_SOURCES:
            if source not in extracts:
                continue
            frame = extracts[source].reset_index(drop=True)
            rows, variants = _person_rows(source, frame, rng, observed_at, organisations)
            ids = _entity_ids(frame)
        elif source == "market_regulation":
            if organisations is None:
                continue
            rows, variants = _organisation_rows(organisations, rng)
            ids = _entity_ids(organisations)
        else:
            if houses is None:
                continue
            rows, ids = _house_rows(houses), _entity_ids(houses)
        cache: dict[tuple[Any, ...], tuple[str, ...]] = {}
        rows, ids, injected, _repeats = _add_dirt(source, rows, ids, rng, dirt, observed_at, cache)
        variants = _shift_variants(variants, injected, len(rows))
        spec = FORMATS[source]
        path = folder / spec.filename
        headers = HEADERS[source]
        if spec.file_format == "xlsx":
            _write_xlsx(path, headers, rows)
            encoding = ""
        else:
            encoding = _write_csv(path, headers, rows, spec.encoding)
        files[source] = RegistryFile(
            source=source,
            path=path,
            file_format=spec.file_format,
            encoding=encoding,
            headers=headers,
            truth=_truth(source, rows, ids, injected, variants, observed_at, cache),
        )
    wrong = write_wrong_columns_example(folder / "examples" / "civil_affairs_wrong_columns.csv")
    return RegistryFiles(directory=folder, files=files, wrong_columns=wrong)


def _shift_variants(
    variants: dict[int, str], injected: dict[int, str], rows: int
) -> dict[int, str]:
    """Variant row numbers after the repeats were inserted (repeats and dirty rows keep
    none)."""
    if not variants:
        return {}
    shifted: dict[int, str] = {}
    original = 0
    for position in range(rows):
        if injected.get(position) == DUPLICATE:
            continue
        if original in variants and position not in injected:
            shifted[position] = variants[original]
        original += 1
    return shifted


def write_demo_registry_files(
    directory: Path | str,
    *,
    people: int = 2000,
    seed: int = DEFAULT_SEED,
    dirt: float = 0.03,
) -> RegistryFiles:
    """Generate ``people`` residents (``demo.population``) and write every source's file."""
    from grassroots.demo import population

    crowd = population.generate_people(people, seed)
    extracts = population.source_extracts(crowd, seed)
    return write_registry_files(
        directory,
        {k: v for k, v in extracts.items() if k in PERSON_SOURCES},
        seed=seed,
        people=crowd,
        dirt=dirt,
    )
