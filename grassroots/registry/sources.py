"""The department sources: what each one's file looks like and how far each is trusted.

This module is the contract with the departments' exports (and with
``grassroots.demo.registry_files``, which writes such files for the demo): for every
source, the columns it sends (Chinese headers as departments export them, with a few
common aliases), which are required, and the canonical field each maps to. The trust
figures are defaults: an administrator changes them on the ``Source`` rows (admin), and
:func:`ensure_sources` never overwrites them.

To add a source: add a :class:`SourceSpec` to ``SOURCES`` (and a department key to look
up), then run ``migrate`` (the post-migrate hook creates the row). See
docs/development/registry.md.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import EntityType

StrOrPromise = str | Promise

# Headers accepted for a canonical field in every source, besides the source's own header.
COMMON_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字"),
    "sex": ("性别",),
    "ethnicity": ("民族",),
    "birth_date": ("出生日期", "出生年月日", "生日"),
    "id_number": (
        "公民身份号码",
        "身份证号",
        "身份证号码",
        "证件号码",
        "证件号",
        "身份证",
    ),
    "phone": ("联系电话", "手机号", "手机号码", "电话", "联系方式", "手机"),
    "source_key": ("记录编号", "来源编号", "业务编号"),
}

# Columns that are never data: the reason column of a rejects file being re-submitted.
IGNORED_HEADERS = frozenset({"错误原因", "行号", "序号"})


@dataclass(frozen=True)
class Column:
    field: str
    header: str
    required: bool = False
    aliases: tuple[str, ...] = ()

    def headers(self) -> tuple[str, ...]:
        extra = COMMON_ALIASES.get(self.field, ())
        seen: list[str] = []
        for h in (self.header, *self.aliases, *extra):
            if h not in seen:
                seen.append(h)
        return tuple(seen)


@dataclass(frozen=True)
class SourceSpec:
    key: str
    name: StrOrPromise
    entity_type: str
    columns: tuple[Column, ...]
    trust: int
    field_trust: dict[str, int] = field(default_factory=dict)
    department_keys: tuple[str, ...] = ()
    description: StrOrPromise = ""
    # The field whose address places the row in a house (and so a grid).
    house_field: str = "address"

    @property
    def required_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.required]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def header_map(self) -> dict[str, str]:
        """Normalised header → canonical field, for every accepted spelling."""
        mapping: dict[str, str] = {}
        for column in (*self.columns, *OPTIONAL_COLUMNS):
            for h in column.headers():
                mapping.setdefault(normalise_header(h), column.field)
        return mapping

    def column_for(self, field_name: str) -> Column | None:
        for column in (*self.columns, *OPTIONAL_COLUMNS):
            if column.field == field_name:
                return column
        return None


def normalise_header(value: object) -> str:
    """Compare headers loosely: full-width forms, spaces, BOM, a required-marker ``*``."""
    text = unicodedata.normalize("NFKC", str(value or "")).replace("\ufeff", "")
    text = re.sub(r"\s+", "", text)
    return text.strip("*:：")


C = Column

# Columns any source may add: coordinates place a row's house in its grid directly.
OPTIONAL_COLUMNS: tuple[Column, ...] = (
    Column("lon", "经度", aliases=("lon", "lng", "longitude", "X坐标")),
    Column("lat", "纬度", aliases=("lat", "latitude", "Y坐标")),
)

SOURCES: tuple[SourceSpec, ...] = (
    SourceSpec(
        key="public_security",
        name=_("公安户籍"),
        entity_type=EntityType.PERSON,
        department_keys=("public_security", "police"),
        trust=90,
        field_trust={
            "name": 95,
            "sex": 95,
            "birth_date": 95,
            "id_number": 95,
            "ethnicity": 95,
            "household_address": 95,
            "household_no": 95,
            "relation_to_head": 95,
            "person_type": 70,
            # the household register says where one is registered, not where one lives
            "address": 40,
            "phone": 40,
        },
        description=_("公安部门户籍登记：姓名、身份证号、户籍地址、户号等。"),
        house_field="household_address",
        columns=(
            C("name", "姓名", True),
            C("sex", "性别"),
            C("ethnicity", "民族"),
            C("birth_date", "出生日期"),
            C("id_number", "公民身份号码", True),
            C("household_address", "户籍地址", True, ("户籍地详址", "户籍所在地")),
            C("household_no", "户号"),
            C("relation_to_head", "与户主关系"),
            C("person_type", "人员类型"),
            C("observed_at", "登记日期", False, ("更新日期",)),
            C("source_key", "记录编号"),
        ),
    ),
    SourceSpec(
        key="civil_affairs",
        name=_("民政救助"),
        entity_type=EntityType.PERSON,
        department_keys=("civil_affairs",),
        trust=70,
        field_trust={"tag": 90, "address": 75, "phone": 70},
        description=_("民政部门救助对象：低保、特困、高龄补贴等。"),
        columns=(
            C("name", "姓名", True),
            C("id_number", "身份证号", True),
            C("phone", "联系电话"),
            C("address", "居住地址", True, ("现住址", "住址")),
            C("tag", "救助类别", False, ("救助类型",)),
            C("observed_at", "更新日期", False, ("更新时间",)),
            C("source_key", "记录编号"),
        ),
    ),
    SourceSpec(
        key="social_security",
        name=_("人社参保"),
        entity_type=EntityType.PERSON,
        department_keys=("human_resources", "social_security"),
        trust=75,
        field_trust={"employer_uscc": 90, "phone": 75, "address": 60},
        description=_("人力资源和社会保障部门参保登记：参保单位、联系方式。"),
        columns=(
            C("name", "姓名", True),
            C("id_number", "证件号码"),
            C("phone", "手机号"),
            C("address", "通讯地址", False, ("联系地址", "居住地址")),
            C("employer_name", "参保单位", False, ("单位名称",)),
            C("employer_uscc", "参保单位统一社会信用代码", False, ("单位统一社会信用代码",)),
            C("observed_at", "更新时间", False, ("更新日期",)),
            C("source_key", "记录编号"),
        ),
    ),
    SourceSpec(
        key="community_visit",
        name=_("社区走访"),
        entity_type=EntityType.PERSON,
        department_keys=(),
        trust=60,
        field_trust={"phone": 85, "address": 85, "person_type": 85, "house_use": 90},
        description=_("网格员和社区工作人员入户走访采集与更正，电话、居住情况最新。"),
        columns=(
            C("name", "姓名", True),
            C("id_number", "身份证号"),
            C("phone", "手机号"),
            C("address", "居住地址", True, ("现住址", "住址")),
            C("person_type", "居住类型", False, ("人员类型",)),
            C("house_use", "房屋用途"),
            C("observed_at", "走访日期", False, ("更新日期",)),
            C("source_key", "记录编号"),
        ),
    ),
    SourceSpec(
        key="market_regulation",
        name=_("市场监管登记"),
        entity_type=EntityType.ORGANISATION,
        department_keys=("market_regulation",),
        trust=90,
        field_trust={"phone": 60},
        description=_("市场监督管理部门企业登记：名称、统一社会信用代码、住所、状态。"),
        columns=(
            C("org_name", "企业名称", True, ("单位名称", "名称")),
            C("uscc", "统一社会信用代码", True, ("社会信用代码",)),
            C("legal_rep", "法定代表人", False, ("法人代表", "负责人")),
            C("phone", "联系电话"),
            C("address", "住所", True, ("地址", "经营场所")),
            C("org_type", "企业类型", False, ("类型",)),
            C("org_status", "登记状态", False, ("经营状态",)),
            C("founded_on", "成立日期"),
            C("observed_at", "更新日期"),
            C("source_key", "记录编号"),
        ),
    ),
    SourceSpec(
        key="housing",
        name=_("住建房屋"),
        entity_type=EntityType.HOUSE,
        department_keys=("housing_construction", "housing"),
        trust=85,
        field_trust={"area_m2": 95, "owner_name": 95, "house_use": 70},
        description=_("住房和城乡建设部门房屋登记：地址、用途、面积、产权人。"),
        columns=(
            C("address", "房屋地址", True, ("地址", "坐落")),
            C("house_use", "房屋用途", False, ("用途",)),
            C("area_m2", "建筑面积", False, ("面积",)),
            C("owner_name", "产权人", False, ("所有权人",)),
            C("observed_at", "登记日期", False, ("更新日期",)),
            C("source_key", "记录编号"),
        ),
    ),
)

SOURCE_BY_KEY: dict[str, SourceSpec] = {s.key: s for s in SOURCES}


def spec_for(key: str) -> SourceSpec:
    try:
        return SOURCE_BY_KEY[key]
    except KeyError:
        raise KeyError(f"unknown registry source {key!r}") from None


def ensure_sources(*, using: str = "default") -> int:
    """Create the shipped sources that are missing and attach a department to those without
    one; never changes an existing row's trust. Returns how many rows were created."""
    from grassroots.org.models import Department

    from .models import Source

    created = 0
    with translation.override(settings.LANGUAGE_CODE):
        created = _ensure(using, Department, Source)
    return created


def _ensure(using: str, Department: Any, Source: Any) -> int:
    created = 0
    existing = {s.key: s for s in Source.objects.using(using).all()}
    for spec in SOURCES:
        department = None
        if spec.department_keys:
            department = (
                Department.objects.using(using)
                .filter(key__in=spec.department_keys)
                .order_by("jurisdiction__depth", "id")
                .first()
            )
        row = existing.get(spec.key)
        if row is None:
            Source.objects.using(using).create(
                key=spec.key,
                name=str(spec.name),
                entity_type=spec.entity_type,
                trust=spec.trust,
                field_trust=dict(spec.field_trust),
                description=str(spec.description),
                department=department,
            )
            created += 1
        elif row.department_id is None and department is not None:
            row.department = department
            row.save(update_fields=["department", "updated_at"])
    return created
