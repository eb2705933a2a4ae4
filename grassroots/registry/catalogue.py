"""The data-sharing catalogue (共享目录): which datasets the base database shares, every
field with its description, sensitivity, grade and share type, and who provides it.

This module is data plus the one place that turns a golden record into the values of a
set of fields (``read_values``), masking sensitive ones unless the caller may see them in
full. Both the API and the pages call it; nothing else reads a golden record's fields for
sharing.

Share types follow the government data-sharing rules: *unconditional* (无条件共享),
*conditional* (有条件共享: a request must cite a legal basis and the approver decides) and
*not shared* (不予共享, with the legal basis for refusing). Grades follow GB/T 43697-2024
(核心数据 / 重要数据 / 一般数据; when in doubt the higher grade). Sensitive personal
information (个人信息保护法 第二十八条) is masked on every answer unless the grant names the
field as granted in full — and each such read is logged like every other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from django.apps import apps
from django.db.models import Model
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.core.crypto import decrypt

from .models_sharing import DatasetKey


class Sensitivity(StrEnum):
    PUBLIC = "public"  # may be published (e.g. business registration facts)
    INTERNAL = "internal"  # government-internal, not personal
    PERSONAL = "personal"  # personal information
    SENSITIVE = "sensitive"  # sensitive personal information (PIPL art. 28)


SENSITIVITY_LABELS: dict[str, Promise] = {
    Sensitivity.PUBLIC: _("可公开"),
    Sensitivity.INTERNAL: _("内部数据"),
    Sensitivity.PERSONAL: _("个人信息"),
    Sensitivity.SENSITIVE: _("敏感个人信息"),
}


class ShareType(StrEnum):
    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NOT_SHARED = "not_shared"


SHARE_LABELS: dict[str, Promise] = {
    ShareType.UNCONDITIONAL: _("无条件共享"),
    ShareType.CONDITIONAL: _("有条件共享"),
    ShareType.NOT_SHARED: _("不予共享"),
}
_SHARE_RANK = {ShareType.UNCONDITIONAL: 0, ShareType.CONDITIONAL: 1, ShareType.NOT_SHARED: 2}


class Grade(StrEnum):
    CORE = "core"
    IMPORTANT = "important"
    GENERAL = "general"


GRADE_LABELS: dict[str, Promise] = {
    Grade.CORE: _("核心数据"),
    Grade.IMPORTANT: _("重要数据"),
    Grade.GENERAL: _("一般数据"),
}

# Value kinds, for the API schema and the Excel export.
STRING, DATE, NUMBER, LIST, INTEGER = "string", "date", "number", "list", "integer"


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, name)


def _fk_code(name: str, attr: str = "code") -> Callable[[Any], Any]:
    def read(obj: Any) -> Any:
        related = getattr(obj, name)
        return getattr(related, attr) if related is not None else None

    return read


def _decrypted(name: str) -> Callable[[Any], Any]:
    return lambda obj: decrypt(getattr(obj, f"{name}_encrypted")) or None


def _masked(name: str) -> Callable[[Any], Any]:
    return lambda obj: getattr(obj, f"{name}_masked") or None


def _masked_tags(obj: Any) -> list[str]:
    """Masked tags say only whether there are any (``["***"]``), never which."""
    return ["***"] if obj.tags else []


def _number(name: str) -> Callable[[Any], Any]:
    def read(obj: Any) -> Any:
        value = getattr(obj, name)
        return float(value) if value is not None else None

    return read


@dataclass(frozen=True)
class FieldSpec:
    """One shareable field of a dataset."""

    key: str
    label: Promise
    description: Promise
    sensitivity: Sensitivity
    read: Callable[[Any], Any]
    kind: str = STRING
    # The masked reading of a sensitive field; ``None`` for fields that are never masked.
    masked: Callable[[Any], Any] | None = None
    # select_related paths that ``read`` needs.
    related: tuple[str, ...] = ()
    # Overrides the dataset's share type for this field (only ever stricter).
    share: ShareType | None = None
    legal_basis: Promise | str = ""
    # Exact lookup through the API (POST body, never the URL): the blind-index purpose of
    # an encrypted field ("id_number", "phone"), or "exact" for a plain column.
    lookup: str = ""

    @property
    def is_sensitive(self) -> bool:
        return self.sensitivity == Sensitivity.SENSITIVE

    @property
    def sensitivity_label(self) -> Promise:
        return SENSITIVITY_LABELS[self.sensitivity]


@dataclass(frozen=True)
class Dataset:
    key: str
    name: Promise
    description: Promise
    model_label: str  # "registry.Person"
    path: str  # the API path segment: people, houses, ...
    grade: Grade
    share: ShareType
    legal_basis: Promise | str
    providers: tuple[str, ...]  # registry.Source keys
    update_cycle: Promise
    fields: tuple[FieldSpec, ...] = field(default=())

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    @property
    def record_type(self) -> str:
        return self.model_label.split(".")[1].lower()

    @property
    def is_shared(self) -> bool:
        return self.share != ShareType.NOT_SHARED

    @property
    def share_label(self) -> Promise:
        return SHARE_LABELS[self.share]

    @property
    def grade_label(self) -> Promise:
        return GRADE_LABELS[self.grade]

    def field(self, key: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.key == key), None)

    @property
    def field_keys(self) -> list[str]:
        return [f.key for f in self.fields]

    @property
    def shareable_keys(self) -> list[str]:
        return [f.key for f in self.fields if self.share_of(f) != ShareType.NOT_SHARED]

    @property
    def sensitive_keys(self) -> list[str]:
        return [f.key for f in self.fields if f.is_sensitive]

    def share_of(self, spec: FieldSpec) -> ShareType:
        """A field's share type: the stricter of the dataset's and the field's own."""
        if spec.share is None or _SHARE_RANK[spec.share] < _SHARE_RANK[self.share]:
            return self.share
        return spec.share

    def share_for(self, keys: list[str]) -> ShareType:
        """The share type of a request for these fields (the strictest of them)."""
        found = [self.share_of(f) for f in self.fields if f.key in keys] or [self.share]
        return max(found, key=lambda s: _SHARE_RANK[s])

    def related_for(self, keys: list[str]) -> list[str]:
        return sorted({r for f in self.fields if f.key in keys for r in f.related})


_PIPL_STATE = _(
    "《中华人民共和国个人信息保护法》第十三条第一款第三项、第三十四条（国家机关为履行法定职责处理个人信息）；"
    "《政务信息资源共享管理暂行办法》第九条"
)
_PIPL_SENSITIVE = _(
    "《中华人民共和国个人信息保护法》第二十八条、第二十九条（敏感个人信息，须具有特定目的和充分必要性）"
)
_SHARING_RULES = _("《政务信息资源共享管理暂行办法》第九条、第十三条")
_GRID = FieldSpec(
    "grid",
    _("所在网格"),
    _("记录所在网格的 15 位网格编码（可按网格及其上级单位筛选）"),
    Sensitivity.INTERNAL,
    _fk_code("grid"),
    related=("grid",),
)

PERSON = Dataset(
    key=DatasetKey.PERSON,
    name=_("实有人口"),
    description=_(
        "辖区内户籍、常住、流动和境外人员的标准人口信息，由各部门来源记录比对合并而成，"
        "每个字段注明来源与日期。"
    ),
    model_label="registry.Person",
    path="people",
    grade=Grade.IMPORTANT,
    share=ShareType.CONDITIONAL,
    legal_basis=_PIPL_STATE,
    providers=("public_security", "civil_affairs", "social_security", "community_visit"),
    update_cycle=_("随部门数据导入和网格走访更新"),
    fields=(
        FieldSpec("name", _("姓名"), _("公民姓名"), Sensitivity.PERSONAL, _attr("name")),
        FieldSpec("sex", _("性别"), _("M 男 / F 女"), Sensitivity.PERSONAL, _attr("sex")),
        FieldSpec(
            "birth_date",
            _("出生日期"),
            _("公历出生日期"),
            Sensitivity.PERSONAL,
            _attr("birth_date"),
            kind=DATE,
        ),
        FieldSpec("ethnicity", _("民族"), _("民族名称"), Sensitivity.PERSONAL, _attr("ethnicity")),
        FieldSpec(
            "id_number",
            _("公民身份号码"),
            _("18 位公民身份号码；默认脱敏为 110105********1234，可按号码精确查询（请求体提交）"),
            Sensitivity.SENSITIVE,
            _decrypted("id_number"),
            masked=_masked("id_number"),
            legal_basis=_PIPL_SENSITIVE,
            lookup="id_number",
        ),
        FieldSpec(
            "phone",
            _("联系电话"),
            _("手机或固定电话；默认脱敏为 138****5678，可按号码精确查询（请求体提交）"),
            Sensitivity.SENSITIVE,
            _decrypted("phone"),
            masked=_masked("phone"),
            legal_basis=_PIPL_SENSITIVE,
            lookup="phone",
        ),
        FieldSpec(
            "person_type",
            _("人员类型"),
            _("registered 户籍 / resident 常住 / floating 流动 / overseas 境外"),
            Sensitivity.PERSONAL,
            _attr("person_type"),
        ),
        FieldSpec(
            "address",
            _("居住地址"),
            _("实际居住的标准地址"),
            Sensitivity.PERSONAL,
            _attr("address"),
        ),
        FieldSpec(
            "household_address",
            _("户籍地址"),
            _("户口登记地址（与居住地址不同即人户分离）"),
            Sensitivity.PERSONAL,
            _attr("household_address"),
        ),
        FieldSpec(
            "household_no", _("户号"), _("户口簿户号"), Sensitivity.PERSONAL, _attr("household_no")
        ),
        FieldSpec(
            "relation_to_head",
            _("与户主关系"),
            _("本人、配偶、子女等"),
            Sensitivity.PERSONAL,
            _attr("relation_to_head"),
        ),
        FieldSpec(
            "house",
            _("居住房屋编号"),
            _("实有房屋数据集中的房屋编号"),
            Sensitivity.INTERNAL,
            _attr("house_id"),
            kind=INTEGER,
        ),
        FieldSpec(
            "employer_uscc",
            _("工作单位信用代码"),
            _("就业单位的统一社会信用代码"),
            Sensitivity.PERSONAL,
            _attr("employer_uscc"),
        ),
        FieldSpec(
            "tags",
            _("人员标签"),
            _("低保、特困、高龄、残疾等救助与关爱标签；脱敏时只表明是否有标签"),
            Sensitivity.SENSITIVE,
            _attr("tags"),
            kind=LIST,
            masked=_masked_tags,
            legal_basis=_PIPL_SENSITIVE,
        ),
        _GRID,
    ),
)

HOUSE = Dataset(
    key=DatasetKey.HOUSE,
    name=_("实有房屋"),
    description=_("辖区内每一处房屋的标准地址、用途、面积和产权人，以房管人的基础。"),
    model_label="registry.House",
    path="houses",
    grade=Grade.GENERAL,
    share=ShareType.UNCONDITIONAL,
    legal_basis=_SHARING_RULES,
    providers=("housing", "public_security", "community_visit"),
    update_cycle=_("随住建数据导入和网格走访更新"),
    fields=(
        FieldSpec(
            "address",
            _("标准地址"),
            _("省市区街道路门牌楼栋单元室"),
            Sensitivity.INTERNAL,
            _attr("address"),
        ),
        FieldSpec(
            "street_name",
            _("街道"),
            _("所属街道（乡镇）"),
            Sensitivity.INTERNAL,
            _attr("street_name"),
        ),
        FieldSpec(
            "community_name",
            _("社区"),
            _("所属社区（村）"),
            Sensitivity.INTERNAL,
            _attr("community_name"),
        ),
        FieldSpec("road", _("路/小区"), _("道路或小区名"), Sensitivity.INTERNAL, _attr("road")),
        FieldSpec("number", _("门牌号"), _("门牌号"), Sensitivity.INTERNAL, _attr("number")),
        FieldSpec("building", _("楼栋"), _("楼栋号"), Sensitivity.INTERNAL, _attr("building")),
        FieldSpec("unit", _("单元"), _("单元号"), Sensitivity.INTERNAL, _attr("unit")),
        FieldSpec("floor", _("楼层"), _("楼层"), Sensitivity.INTERNAL, _attr("floor")),
        FieldSpec("room", _("房号"), _("室号"), Sensitivity.INTERNAL, _attr("room")),
        FieldSpec(
            "house_use",
            _("房屋用途"),
            _("self_occupied 自住 / rented 出租 / business 经营 / vacant 空置"),
            Sensitivity.INTERNAL,
            _attr("house_use"),
        ),
        FieldSpec(
            "area_m2",
            _("建筑面积"),
            _("平方米"),
            Sensitivity.INTERNAL,
            _number("area_m2"),
            kind=NUMBER,
        ),
        FieldSpec(
            "owner_name",
            _("产权人"),
            _("房屋产权人姓名或单位名称"),
            Sensitivity.PERSONAL,
            _attr("owner_name"),
            share=ShareType.CONDITIONAL,
            legal_basis=_PIPL_STATE,
        ),
        FieldSpec(
            "lon", _("经度"), _("WGS84 经度"), Sensitivity.INTERNAL, _attr("lon"), kind=NUMBER
        ),
        FieldSpec(
            "lat", _("纬度"), _("WGS84 纬度"), Sensitivity.INTERNAL, _attr("lat"), kind=NUMBER
        ),
        _GRID,
    ),
)

ORGANISATION = Dataset(
    key=DatasetKey.ORGANISATION,
    name=_("实有单位"),
    description=_("辖区内登记的企业、个体工商户和其他单位，以统一社会信用代码为准。"),
    model_label="registry.Organisation",
    path="organisations",
    grade=Grade.GENERAL,
    share=ShareType.UNCONDITIONAL,
    legal_basis=_(
        "《企业信息公示暂行条例》第六条（登记信息依法公示）；《政务信息资源共享管理暂行办法》第九条"
    ),
    providers=("market_regulation", "social_security"),
    update_cycle=_("随市场监管数据导入更新"),
    fields=(
        FieldSpec("name", _("单位名称"), _("登记名称"), Sensitivity.PUBLIC, _attr("name")),
        FieldSpec(
            "uscc",
            _("统一社会信用代码"),
            _("18 位统一社会信用代码，可精确查询"),
            Sensitivity.PUBLIC,
            _attr("uscc"),
            lookup="exact",
        ),
        FieldSpec("org_type", _("单位类型"), _("企业类型"), Sensitivity.PUBLIC, _attr("org_type")),
        FieldSpec(
            "legal_rep",
            _("法定代表人"),
            _("法定代表人姓名"),
            Sensitivity.PUBLIC,
            _attr("legal_rep"),
        ),
        FieldSpec(
            "phone",
            _("联系电话"),
            _("单位联系电话（可能是个人手机）；默认脱敏，可按号码精确查询"),
            Sensitivity.SENSITIVE,
            _decrypted("phone"),
            masked=_masked("phone"),
            share=ShareType.CONDITIONAL,
            legal_basis=_PIPL_SENSITIVE,
            lookup="phone",
        ),
        FieldSpec("address", _("住所"), _("登记住所"), Sensitivity.PUBLIC, _attr("address")),
        FieldSpec(
            "house",
            _("所在房屋编号"),
            _("实有房屋数据集中的房屋编号"),
            Sensitivity.INTERNAL,
            _attr("house_id"),
            kind=INTEGER,
        ),
        FieldSpec(
            "status",
            _("登记状态"),
            _("existing 存续 / operating 在业 / cancelled 注销 / revoked 吊销"),
            Sensitivity.PUBLIC,
            _attr("status"),
        ),
        FieldSpec(
            "founded_on",
            _("成立日期"),
            _("成立日期"),
            Sensitivity.PUBLIC,
            _attr("founded_on"),
            kind=DATE,
        ),
        _GRID,
    ),
)

FACILITY = Dataset(
    key=DatasetKey.FACILITY,
    name=_("部件"),
    description=_("井盖、路灯、消防栓等城市管理部件，按国家标准部件编码标识。"),
    model_label="registry.Facility",
    path="facilities",
    grade=Grade.GENERAL,
    share=ShareType.UNCONDITIONAL,
    legal_basis=_(
        "GB/T 30428.2 数字化城市管理信息系统 管理部件和事件；《政务信息资源共享管理暂行办法》第九条"
    ),
    providers=("community_visit",),
    update_cycle=_("随部件普查和巡查更新"),
    fields=(
        FieldSpec(
            "code",
            _("部件编码"),
            _("6 位区划 + 2 位大类 + 2 位小类 + 6 位序号，可精确查询"),
            Sensitivity.INTERNAL,
            _attr("code"),
            lookup="exact",
        ),
        FieldSpec("name", _("名称"), _("部件名称"), Sensitivity.INTERNAL, _attr("name")),
        FieldSpec(
            "kind",
            _("部件类别"),
            _("大类 + 小类编码，例如 0101 上水井盖"),
            Sensitivity.INTERNAL,
            _attr("kind"),
        ),
        FieldSpec(
            "status",
            _("状态"),
            _("intact 完好 / damaged 破损 / lost 丢失 / abandoned 废弃 / removed 移除"),
            Sensitivity.INTERNAL,
            _attr("status"),
        ),
        FieldSpec(
            "department",
            _("主管部门"),
            _("主管部门标识"),
            Sensitivity.INTERNAL,
            _fk_code("department", "key"),
            related=("department",),
        ),
        FieldSpec(
            "address", _("地址"), _("部件所在位置描述"), Sensitivity.INTERNAL, _attr("address")
        ),
        FieldSpec(
            "lon", _("经度"), _("WGS84 经度"), Sensitivity.INTERNAL, _attr("lon"), kind=NUMBER
        ),
        FieldSpec(
            "lat", _("纬度"), _("WGS84 纬度"), Sensitivity.INTERNAL, _attr("lat"), kind=NUMBER
        ),
        _GRID,
    ),
)

SOURCE_RECORD = Dataset(
    key=DatasetKey.SOURCE_RECORD,
    name=_("部门原始记录"),
    description=_(
        "各部门导入的原始行（未经比对合并）。原始记录由提供部门依职责持有、可能有误，"
        "共享以经核验合并的标准数据集为准。"
    ),
    model_label="registry.SourceRecord",
    path="source-records",
    grade=Grade.IMPORTANT,
    share=ShareType.NOT_SHARED,
    legal_basis=_(
        "《中华人民共和国个人信息保护法》第六条（最小必要）、第八条（信息准确）；"
        "原始数据由提供部门依《政务信息资源共享管理暂行办法》第九条自行提供"
    ),
    providers=(
        "public_security",
        "civil_affairs",
        "social_security",
        "market_regulation",
        "housing",
        "community_visit",
    ),
    update_cycle=_("每次导入"),
    fields=(
        FieldSpec(
            "source",
            _("来源"),
            _("来源标识"),
            Sensitivity.INTERNAL,
            _fk_code("source", "key"),
            related=("source",),
        ),
        FieldSpec(
            "observed_at",
            _("数据日期"),
            _("数据描述的日期"),
            Sensitivity.INTERNAL,
            _attr("observed_at"),
            kind=DATE,
        ),
        FieldSpec(
            "name", _("名称"), _("姓名或单位名称（原样）"), Sensitivity.PERSONAL, _attr("name")
        ),
        FieldSpec("address", _("地址"), _("地址（原样）"), Sensitivity.PERSONAL, _attr("address")),
    ),
)

DATASETS: tuple[Dataset, ...] = (PERSON, HOUSE, ORGANISATION, FACILITY, SOURCE_RECORD)
_BY_KEY = {d.key: d for d in DATASETS}
_BY_PATH = {d.path: d for d in DATASETS}


def dataset(key: str) -> Dataset | None:
    return _BY_KEY.get(key)


def dataset_by_path(path: str) -> Dataset | None:
    return _BY_PATH.get(path)


def shared_datasets() -> list[Dataset]:
    return [d for d in DATASETS if d.is_shared]


def read_values(
    ds: Dataset, obj: Any, *, fields: list[str], full_fields: list[str]
) -> dict[str, Any]:
    """The values of ``fields`` of one golden record, in catalogue order. Sensitive fields
    are masked unless named in ``full_fields``. Fields outside ``fields`` are never read."""
    values: dict[str, Any] = {}
    for spec in ds.fields:
        if spec.key not in fields:
            continue
        if spec.masked is not None and spec.key not in full_fields:
            value = spec.masked(obj)
        else:
            value = spec.read(obj)
        if isinstance(value, date):
            value = value.isoformat()
        values[spec.key] = value
    return values
