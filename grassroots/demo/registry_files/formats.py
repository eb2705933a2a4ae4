"""Formats of the department files (headers, encodings, date styles), the dirt each can
carry, the result types, and small value helpers."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from grassroots.registry.validators import (
    FieldError,
    validate_id_number,
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
KIND: dict[str, str] = {
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
class FileFormat:
    filename: str
    file_format: str  # csv / xlsx
    encoding: str  # for CSV: the codec written
    date_style: str  # strftime-like style of dates, see format_date


FORMATS: dict[str, FileFormat] = {
    "public_security": FileFormat("public_security.csv", "csv", "gbk", "compact"),
    "civil_affairs": FileFormat("civil_affairs.csv", "csv", "utf-8-sig", "slash"),
    "social_security": FileFormat("social_security.csv", "csv", "utf-8", "datetime"),
    "community_visit": FileFormat("community_visit.csv", "csv", "utf-8", "chinese"),
    "market_regulation": FileFormat("market_regulation.xlsx", "xlsx", "", "cell"),
    "housing": FileFormat("housing.csv", "csv", "utf-8", "dots"),
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


def blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def text_of(value: Any) -> str:
    return "" if blank(value) else str(value)


def iso_date(value: Any) -> date | None:
    if blank(value):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def id_birth(id_number: str) -> date | None:
    try:
        return validate_id_number(id_number).birth_date
    except FieldError:
        return None


def format_date(day: date, style: str, rng: np.random.Generator | None = None) -> Any:
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


def impossible_date(rng: np.random.Generator, style: str) -> str:
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


def observed_date(rng: np.random.Generator, observed_at: date, earliest: date | None) -> date:
    start = date(2019, 1, 1)
    span = (observed_at - start).days - 1
    day = start + timedelta(days=int(rng.integers(0, span)))
    if earliest is not None and day < earliest:
        day = min(earliest, observed_at - timedelta(days=1))
    return day


SEX_TEXT = {"M": "男", "F": "女"}
SEX_CODE = {"男": "M", "女": "F"}
FORMULA_START = re.compile(r"^[=@]|^[+\-](?![0-9\s.()（）+\-]*$)")


def is_formula(value: Any) -> bool:
    return isinstance(value, str) and bool(FORMULA_START.match(value.strip().lstrip("'")))


Row = dict[str, Any]
