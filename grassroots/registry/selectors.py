"""Staff reads of the base database for the registry pages: every query is scoped.

The rule is ``core.scope.scoped(user, qs, unit_field="grid")`` on the golden records: a grid
worker sees their grid, a community dispatcher the community's grids, a district steward
the district. Two additions, each one condition:

* **Unplaced records.** A golden record whose address matched no grid (``grid`` empty) is
  nobody's grid's: stewards and administrators at district level or above see them (they
  are the ones who fix the address); nobody else does.
* **Import batches** have no grid: a steward sees the batches uploaded by anyone at or
  below their home unit (``uploaded_by__unit``), and, at district level or above, the
  batches loaded by a command (no uploader).

Unknown and out-of-scope records are the same :class:`NotFound`. Values of ID numbers and
phone numbers leave this module masked (the stored ``*_masked`` copy); the full value is
only ever read through ``services.person_reveal``.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, TypeVar

import opencc
from django.db.models import Case as SqlCase
from django.db.models import Count, F, Max, OuterRef, Q, QuerySet, Subquery, When
from django.db.models.functions import Length
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.core.errors import NotFound
from grassroots.core.masking import mask_id_number, mask_phone
from grassroots.core.scope import Action, Reach, reach_of, scope_q
from grassroots.org.choices import Role, UnitLevel
from grassroots.org.models import Unit

from .choices import EntityType, ImportStatus, MatchStatus, PersonType
from .models import (
    Facility,
    House,
    ImportBatch,
    ImportReject,
    MatchCandidate,
    MergeEvent,
    Organisation,
    Person,
    Source,
    SourceRecord,
    Visit,
)

PAGE_SIZE = 30
REJECTS_PAGE_SIZE = 50
STEWARD_ROLES = frozenset({Role.DATA_STEWARD, Role.ADMIN})
# Levels at which a steward answers for records no grid claims.
UNPLACED_LEVELS = frozenset({UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.DISTRICT})
# Roles that see a person's sensitive tags (低保, 高龄, …): those who act on them.
TAG_ROLES = frozenset({Role.GRID_WORKER, Role.DISPATCHER, Role.DATA_STEWARD, Role.ADMIN})
REVEALABLE_FIELDS = ("id_number", "phone")
HEAD_OF_HOUSEHOLD = "户主"


# --- scope -------------------------------------------------------------------------------------


def sees_unplaced(user: Any) -> bool:
    """Stewards and administrators at district level or above (and superusers)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    if reach_of(user, Action.VIEW) != Reach.SUBTREE or user.role not in STEWARD_ROLES:
        return False
    unit = user.unit
    return unit is not None and unit.level in UNPLACED_LEVELS


def _in_scope(
    user: Any, qs: QuerySet[Any], *, unit_field: str, action: Action = Action.VIEW
) -> QuerySet[Any]:
    """``qs`` limited by ``core.scope`` on ``unit_field``, plus unplaced rows for stewards."""
    q = scope_q(user, unit_field=unit_field, action=action)
    if sees_unplaced(user):
        q |= Q(**{f"{unit_field}__isnull": True})
    elif q == Q(pk__in=[]):
        return qs.none()
    return qs.filter(q)


def people(user: Any, *, action: Action = Action.VIEW) -> QuerySet[Person]:
    return _in_scope(user, Person.objects.all(), unit_field="grid", action=action)


def houses(user: Any, *, action: Action = Action.VIEW) -> QuerySet[House]:
    return _in_scope(user, House.objects.all(), unit_field="grid", action=action)


def organisations(user: Any) -> QuerySet[Organisation]:
    return _in_scope(user, Organisation.objects.all(), unit_field="grid")


def facilities(user: Any) -> QuerySet[Facility]:
    return _in_scope(user, Facility.objects.all(), unit_field="grid")


def batches(user: Any) -> QuerySet[ImportBatch]:
    q = scope_q(user, unit_field="uploaded_by__unit")
    if sees_unplaced(user):
        q |= Q(uploaded_by__isnull=True)
    return ImportBatch.objects.filter(q).select_related("source", "uploaded_by")


def candidates(user: Any) -> QuerySet[MatchCandidate]:
    """Review pairs whose two records are both in scope."""
    both = _in_scope(user, MatchCandidate.objects.all(), unit_field="left__grid")
    return _in_scope(user, both, unit_field="right__grid")


def access_person(user: Any, pk: int, *, action: Action = Action.VIEW) -> Person:
    person = (
        people(user, action=action)
        .select_related("house", "grid", "merged_into")
        .filter(pk=pk)
        .first()
    )
    if person is None:
        raise NotFound(_("没有找到这个人员，或不在您的管辖范围内。"))
    return person


def access_house(user: Any, pk: int, *, action: Action = Action.VIEW) -> House:
    house = houses(user, action=action).select_related("grid").filter(pk=pk).first()
    if house is None:
        raise NotFound(_("没有找到这处房屋，或不在您的管辖范围内。"))
    return house


def access_batch(user: Any, pk: int) -> ImportBatch:
    batch = batches(user).filter(pk=pk).first()
    if batch is None:
        raise NotFound(_("没有找到这个导入批次。"))
    return batch


def access_candidate(user: Any, pk: int) -> MatchCandidate:
    candidate = candidates(user).select_related("left", "right").filter(pk=pk).first()
    if candidate is None:
        raise NotFound(_("没有找到这对疑似重复记录。"))
    return candidate


def access_merge(user: Any, pk: int) -> MergeEvent:
    event = (
        _in_scope(user, MergeEvent.objects.all(), unit_field="survivor__grid")
        .select_related("survivor", "absorbed")
        .filter(pk=pk)
        .first()
    )
    if event is None:
        raise NotFound(_("没有找到这次合并。"))
    return event


# --- overview ----------------------------------------------------------------------------------


@dataclass
class SourceRow:
    source: Source
    last_batch: ImportBatch | None


@dataclass
class Overview:
    counts: dict[str, int]
    sources: list[SourceRow]
    review_pending: int
    running: list[ImportBatch]
    unresolved: int = 0
    last_resolution: Any = None


def overview(user: Any) -> Overview:
    counts = {
        "people": people(user).filter(is_active=True).count(),
        "houses": houses(user).filter(is_active=True).count(),
        "organisations": organisations(user).filter(is_active=True).count(),
        "facilities": facilities(user).filter(is_active=True).count(),
    }
    visible = batches(user)
    last = visible.filter(source=OuterRef("pk")).order_by("-created_at", "-id").values("pk")[:1]
    sources = list(
        Source.objects.select_related("department")
        .annotate(last_batch_id=Subquery(last))
        .order_by("key")
    )
    by_pk = visible.in_bulk([s.last_batch_id for s in sources if s.last_batch_id])  # type: ignore[attr-defined]
    running = list(
        visible.exclude(status__in=[ImportStatus.DONE, ImportStatus.FAILED]).order_by("-id")[:5]
    )
    return Overview(
        counts=counts,
        sources=[SourceRow(s, by_pk.get(s.last_batch_id)) for s in sources],  # type: ignore[attr-defined]
        review_pending=candidates(user).filter(status=MatchStatus.PENDING).count(),
        running=running,
        unresolved=unresolved_records(user),
        last_resolution=last_resolution(),
    )


def unresolved_records(user: Any) -> int:
    """Accepted person rows not yet linked to a golden person (waiting for resolution)."""
    waiting = SourceRecord.objects.filter(
        entity_type=EntityType.PERSON, person__isnull=True, superseded=False
    )
    return _in_scope(user, waiting, unit_field="grid").count()


def last_resolution() -> Any:
    """The last resolution run's audit event (when, by whom, and its report)."""
    from grassroots.audit.models import AuditEvent

    return (
        AuditEvent.objects.filter(action="registry.resolve_people")
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


# --- imports -----------------------------------------------------------------------------------


def import_sources() -> QuerySet[Source]:
    """Sources a file can be uploaded for (community visits come from the visit form)."""
    return Source.objects.exclude(key="community_visit").order_by("key")


def batch_list(user: Any) -> QuerySet[ImportBatch]:
    return batches(user).order_by("-created_at", "-id")


def batch_rejects(batch: ImportBatch) -> QuerySet[ImportReject]:
    return batch.rejects.order_by("row_number", "id")


_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])\d{15}(?:\d{2}[0-9Xx])?(?![0-9A-Za-z])")
_PHONE_LIKE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(?:1\d{10}|0\d{2,3}-?\d{7,8})(?!\d)")


def mask_text(value: Any) -> str:
    """A cell of a rejected row, safe to show: anything that looks like an ID number or a
    phone number is masked (the row as stored masks the ID; a bad phone may be in full)."""
    text = "" if value is None else str(value)
    text = _ID_LIKE.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE_LIKE.sub(lambda m: mask_phone(m.group(0)), text)


def masked_raw(raw: Any) -> list[tuple[str, str]]:
    if isinstance(raw, dict):
        return [(str(k), mask_text(v)) for k, v in raw.items()]
    if isinstance(raw, list):
        return [(str(i + 1), mask_text(v)) for i, v in enumerate(raw)]
    return [("", mask_text(raw))]


# What a reason code means, said once for every row it refused (the row's own message,
# which names the value, is in the rows table).
REASON_LABELS: dict[str, Promise] = {
    "required": _("必填项为空"),
    "formula": _("单元格是公式"),
    "id_length": _("身份证号位数不对"),
    "id_format": _("身份证号格式不对"),
    "id_checksum": _("身份证号校验码不正确"),
    "id_check_char": _("身份证号校验码不正确"),
    "id_birth_date": _("身份证号中的出生日期不存在"),
    "id_region": _("身份证号的地区码不存在"),
    "id_birth_mismatch": _("出生日期与身份证号不一致"),
    "id_sex_mismatch": _("性别与身份证号不一致"),
    "unidentifiable": _("没有身份证号，也没有其他可识别的信息"),
    "uscc_length": _("统一社会信用代码位数不对"),
    "uscc_format": _("统一社会信用代码格式不对"),
    "uscc_checksum": _("统一社会信用代码校验码不正确"),
    "uscc_check_char": _("统一社会信用代码校验码不正确"),
    "uscc_authority": _("统一社会信用代码登记机关码不对"),
    "uscc_division": _("统一社会信用代码地区码不对"),
    "uscc_region": _("统一社会信用代码地区码不对"),
    "phone_format": _("电话号码格式不对"),
    "phone_area_code": _("固定电话区号不对"),
    "date_format": _("日期格式无法识别"),
    "date_impossible": _("日期不存在"),
    "date_range": _("日期超出合理范围"),
    "date_order": _("日期先后矛盾"),
    "sex_invalid": _("性别无法识别"),
    "ethnicity_invalid": _("民族无法识别"),
    "source_key_duplicate": _("记录编号重复但内容不同"),
}
FIELD_LABELS: dict[str, Promise] = {
    "name": _("姓名"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "ethnicity": _("民族"),
    "id_number": _("身份证号"),
    "phone": _("电话"),
    "address": _("地址"),
    "household_address": _("户籍地址"),
    "household_no": _("户号"),
    "relation_to_head": _("与户主关系"),
    "person_type": _("人员类型"),
    "employer_uscc": _("单位信用代码"),
    "tag": _("类别"),
    "org_name": _("单位名称"),
    "uscc": _("统一社会信用代码"),
    "legal_rep": _("法定代表人"),
    "org_type": _("单位类型"),
    "org_status": _("登记状态"),
    "founded_on": _("成立日期"),
    "house_use": _("房屋用途"),
    "area_m2": _("建筑面积"),
    "owner_name": _("产权人"),
    "observed_at": _("登记/更新日期"),
    "source_key": _("记录编号"),
    "code": _("部件编码"),
    "kind": _("部件类别"),
    "status": _("状态"),
}


@dataclass
class ReasonCount:
    field: str
    code: str
    label: str | Promise
    field_label: str | Promise
    count: int


def reason_summary(batch: ImportBatch, *, limit: int = 20) -> list[ReasonCount]:
    """How many rejected rows each reason (field + code) has, most frequent first, each
    said in general words (the rows table below gives every row's own message). Counted
    from the first 20,000 rejected rows."""
    tally: dict[tuple[str, str], ReasonCount] = {}
    for reasons in batch.rejects.values_list("reasons", flat=True)[:20000]:
        for reason in reasons or []:
            key = (str(reason.get("field", "")), str(reason.get("code", "")))
            if key not in tally:
                tally[key] = ReasonCount(
                    field=key[0],
                    code=key[1],
                    label=REASON_LABELS.get(key[1], str(reason.get("message", ""))),
                    field_label=FIELD_LABELS.get(key[0], key[0]),
                    count=0,
                )
            tally[key].count += 1
    return sorted(tally.values(), key=lambda r: (-r.count, r.field, r.code))[:limit]


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def report_notes(batch: ImportBatch) -> list[str]:
    """What else the import noticed, in a sentence each (from the batch's report)."""
    report = batch.report or {}
    notes: list[str] = []
    counted = [
        ("duplicates_in_file", _("文件内重复的行 %(n)s 行，只导入一次。")),
        ("already_imported", _("与以前导入的内容相同的行 %(n)s 行，没有重复导入。")),
        ("blank_rows", _("空行 %(n)s 行，已跳过。")),
        ("houses_created", _("新建房屋 %(n)s 处。")),
        ("houses_matched", _("匹配到已有房屋 %(n)s 处。")),
        ("address_vague", _("地址不够具体、无法对应到房屋的行 %(n)s 行。")),
        ("organisations_created", _("新建单位 %(n)s 家。")),
        ("organisations_matched", _("匹配到已有单位 %(n)s 家。")),
        ("facilities_created", _("新建部件 %(n)s 个。")),
        ("superseded", _("更正了以前导入的记录 %(n)s 条。")),
    ]
    for key, sentence in counted:
        n = _int(report.get(key))
        if n:
            notes.append(str(sentence) % {"n": n})
    unknown = report.get("unknown_columns") or []
    if isinstance(unknown, list) and unknown:
        notes.append(
            str(_("未识别的列（没有导入）：%(columns)s。"))
            % {"columns": "、".join(str(c) for c in unknown[:20])}
        )
    return notes


# --- review ------------------------------------------------------------------------------------

AGREEMENT: dict[str, tuple[str, Promise]] = {
    "agree": ("agree", _("一致")),
    "partial": ("partial", _("相近")),
    "disagree": ("disagree", _("不同")),
    "missing": ("missing", _("缺失")),
}
_LEVEL_WORDS = {
    "agree": ("exact", "same", "match", "agree", "equal", "identical"),
    "partial": ("fuzzy", "similar", "close", "pinyin", "partial", "variant", "near"),
    "missing": ("missing", "null", "absent", "none", "unknown"),
}
COMPARE_LABELS: dict[str, Promise] = {
    "name": _("姓名"),
    "sex": _("性别"),
    "birth_date": _("出生日期"),
    "dob": _("出生日期"),
    "id_number": _("身份证号"),
    "id": _("身份证号"),
    "phone": _("电话"),
    "address": _("地址"),
    "postcode": _("邮编"),
}


def agreement_of(level: Any) -> tuple[str, Promise, str]:
    """The agreement class and word of one comparison's level, plus the level as given."""
    text = ""
    if isinstance(level, dict):
        text = str(level.get("label") or level.get("level") or level.get("name") or "")
    elif level is not None:
        text = str(level)
    lowered = text.lower()
    for kind, words in _LEVEL_WORDS.items():
        if any(word in lowered for word in words):
            return (*AGREEMENT[kind], text)
    if "精确" in text or "一致" in text or "相同" in text:
        return (*AGREEMENT["agree"], text)
    if "缺" in text or "空" in text:
        return (*AGREEMENT["missing"], text)
    if "相近" in text or "拼音" in text or "模糊" in text:
        return (*AGREEMENT["partial"], text)
    return (*AGREEMENT["disagree"], text)


@dataclass
class CompareRow:
    key: str
    label: str | Promise
    left: str
    right: str
    agreement: str = ""
    agreement_word: str | Promise = ""
    level: str = ""


def _display(person: Person, field_name: str) -> str:
    if field_name == "id_number":
        return person.id_number_masked
    if field_name == "phone":
        return person.phone_masked
    if field_name == "sex":
        return str(person.get_sex_display()) if person.sex else ""
    if field_name == "person_type":
        return str(person.get_person_type_display()) if person.person_type else ""
    if field_name == "birth_date":
        return person.birth_date.isoformat() if person.birth_date else ""
    if field_name == "house":
        return person.house.address if person.house_id and person.house else ""
    return str(getattr(person, field_name, "") or "")


PAIR_FIELDS: list[tuple[str, Promise, tuple[str, ...]]] = [
    ("name", _("姓名"), ("name",)),
    ("sex", _("性别"), ("sex",)),
    ("birth_date", _("出生日期"), ("birth_date", "dob")),
    ("id_number", _("身份证号"), ("id_number", "id")),
    ("phone", _("电话"), ("phone",)),
    ("address", _("居住地址"), ("address",)),
    ("household_address", _("户籍地址"), ()),
    ("person_type", _("人员类型"), ()),
]


def compare(candidate: MatchCandidate) -> list[CompareRow]:
    """The two records side by side (masked), with the model's per-field agreement."""
    explanation = candidate.explanation or {}
    comparisons = explanation.get("comparisons", explanation)
    if not isinstance(comparisons, dict):
        comparisons = {}
    rows: list[CompareRow] = []
    used: set[str] = set()
    for key, label, explained_by in PAIR_FIELDS:
        row = CompareRow(key, label, _display(candidate.left, key), _display(candidate.right, key))
        for name in explained_by:
            if name in comparisons:
                row.agreement, row.agreement_word, row.level = agreement_of(comparisons[name])
                used.add(name)
                break
        rows.append(row)
    # comparisons the model made on fields not shown above (e.g. pinyin, postcode)
    for name, level in comparisons.items():
        if name in used or not isinstance(name, str):
            continue
        kind, word, text = agreement_of(level)
        rows.append(CompareRow(name, COMPARE_LABELS.get(name, name), "", "", kind, word, text))
    return rows


def record_sources(person_ids: list[int]) -> dict[int, list[str]]:
    """The names of the sources behind each person, for the review cards."""
    found: dict[int, list[str]] = {pk: [] for pk in person_ids}
    rows = (
        SourceRecord.objects.filter(person_id__in=person_ids, superseded=False)
        .values_list("person_id", "source__name")
        .distinct()
        .order_by("person_id", "source__name")
    )
    for person_id, name in rows:
        found[person_id].append(name)
    return found


def review_queue(user: Any) -> QuerySet[MatchCandidate]:
    return (
        candidates(user)
        .filter(status=MatchStatus.PENDING, left__is_active=True, right__is_active=True)
        .select_related("left", "right")
        .order_by("-probability", "id")
    )


def recent_decisions(user: Any, *, limit: int = 10) -> list[MatchCandidate]:
    return list(
        candidates(user)
        .exclude(status=MatchStatus.PENDING)
        .select_related("left", "right", "decided_by")
        .order_by("-decided_at", "-id")[:limit]
    )


def merge_of(candidate: MatchCandidate) -> MergeEvent | None:
    """The merge a confirmed pair made (the one to undo), if it still stands."""
    return (
        MergeEvent.objects.filter(candidate=candidate, undone_at__isnull=True)
        .order_by("-id")
        .first()
    )


# --- golden person -----------------------------------------------------------------------------

PERSON_FIELDS: list[tuple[str, Promise]] = [
    ("name", _("姓名")),
    ("sex", _("性别")),
    ("birth_date", _("出生日期")),
    ("ethnicity", _("民族")),
    ("id_number", _("身份证号")),
    ("phone", _("电话")),
    ("person_type", _("人员类型")),
    ("address", _("居住地址")),
    ("house", _("居住房屋")),
    ("household_address", _("户籍地址")),
    ("household_no", _("户号")),
    ("relation_to_head", _("与户主关系")),
    ("employer_uscc", _("工作单位信用代码")),
]
# provenance keys that describe the same golden field
_PROVENANCE_KEYS = {"house": ("house", "address"), "tags": ("tags", "tag")}


@dataclass
class FieldRow:
    key: str
    label: str | Promise
    value: str
    source: str = ""
    observed_at: str = ""
    trust: int | None = None
    revealable: bool = False


@dataclass
class PersonDetail:
    person: Person
    fields: list[FieldRow]
    tags: list[str]
    records: list[SourceRecord]
    merges: list[MergeEvent]
    pending: list[MatchCandidate]
    visits: list[Visit]
    sources_by_key: dict[str, str] = field(default_factory=dict)

    @property
    def empty_fields(self) -> list[str]:
        return [str(f.label) for f in self.fields if not f.value and not f.source]


def provenance_rows(person: Person, sources_by_key: dict[str, str]) -> list[FieldRow]:
    provenance = person.provenance or {}
    rows = []
    for key, label in PERSON_FIELDS:
        prov: dict[str, Any] = {}
        for name in _PROVENANCE_KEYS.get(key, (key,)):
            if isinstance(provenance.get(name), dict):
                prov = provenance[name]
                break
        source_key = str(prov.get("source", ""))
        trust = prov.get("trust")
        rows.append(
            FieldRow(
                key=key,
                label=label,
                value=_display(person, key),
                source=sources_by_key.get(source_key, source_key),
                observed_at=str(prov.get("observed_at", "")),
                trust=int(trust) if isinstance(trust, (int, float)) else None,
                revealable=key in REVEALABLE_FIELDS
                and bool(
                    person.id_number_encrypted if key == "id_number" else person.phone_encrypted
                ),
            )
        )
    return rows


def person_detail(user: Any, person: Person) -> PersonDetail:
    sources_by_key = dict(Source.objects.values_list("key", "name"))
    records = list(
        SourceRecord.objects.filter(person=person)
        .select_related("source", "batch")
        .order_by("superseded", "-observed_at", "-id")[:100]
    )
    merges = list(
        MergeEvent.objects.filter(Q(survivor=person) | Q(absorbed=person))
        .select_related("survivor", "absorbed", "by", "undone_by")
        .order_by("-created_at", "-id")[:50]
    )
    pending = list(
        review_queue(user).filter(Q(left=person) | Q(right=person))[:10]
        if user.role in STEWARD_ROLES or user.is_superuser
        else []
    )
    visits = list(
        Visit.objects.filter(person=person).select_related("visited_by").order_by("-at")[:10]
    )
    tags = (
        [str(t) for t in (person.tags or [])] if user.is_superuser or user.role in TAG_ROLES else []
    )
    return PersonDetail(
        person=person,
        fields=provenance_rows(person, sources_by_key),
        tags=tags,
        records=records,
        merges=merges,
        pending=pending,
        visits=visits,
        sources_by_key=sources_by_key,
    )


# --- 以房管人: houses by building ----------------------------------------------------------------


def _resident_counts() -> dict[str, Any]:
    active = Q(people__is_active=True)
    counts = {
        f"n_{value}": Count("people", filter=active & Q(people__person_type=value), distinct=True)
        for value in PersonType.values
    }
    counts["n_people"] = Count("people", filter=active, distinct=True)
    counts["n_separated"] = Count(
        "people",
        filter=active
        & ~Q(people__household_address="")
        & ~Q(people__address="")
        & ~Q(people__household_address=F("people__address")),
        distinct=True,
    )
    counts["n_orgs"] = Count(
        "organisations", filter=Q(organisations__is_active=True), distinct=True
    )
    return counts


def grids_in_scope(user: Any) -> list[Unit]:
    """The grids a user may choose among (their own grid alone for a grid worker), and the
    communities in scope that hold houses no grid claims yet (placed by community only)."""
    if getattr(user, "is_superuser", False) and user.is_active:
        within = Unit.objects.all()
    elif reach_of(user, Action.VIEW) != Reach.SUBTREE or user.unit is None:
        return []
    else:
        within = Unit.objects.filter(path__startswith=user.unit.path)
    with_houses = House.objects.filter(is_active=True, grid__level=UnitLevel.COMMUNITY).values(
        "grid_id"
    )
    return list(
        within.filter(
            Q(level=UnitLevel.GRID) | Q(level=UnitLevel.COMMUNITY, pk__in=with_houses)
        ).order_by("path")
    )


@dataclass
class HouseFilters:
    grid: Unit | None = None
    q: str = ""


@lru_cache(maxsize=2)
def _converter(config: str) -> Any:
    return opencc.OpenCC(config)


def search_variants(text: str) -> list[str]:
    """The text as typed plus its simplified and traditional forms (OpenCC), if different."""
    variants = [text]
    for config in ("t2s", "s2t"):
        converted = _converter(config).convert(text)
        if converted not in variants:
            variants.append(converted)
    return variants


def house_list(user: Any, filters: HouseFilters) -> QuerySet[House]:
    """Active houses in scope, with the counts each row shows, in building order.

    ``q`` matches the address of the house, or the name of someone living there, or an
    organisation at it (in simplified or traditional characters).
    """
    qs = houses(user).filter(is_active=True)
    if filters.grid is not None:
        qs = qs.filter(grid=filters.grid)
    if filters.q:
        match = Q()
        for variant in search_variants(filters.q):
            match |= (
                Q(address__icontains=variant)
                | Q(people__name__icontains=variant, people__is_active=True)
                | Q(organisations__name__icontains=variant, organisations__is_active=True)
            )
        ids = qs.filter(match).values("pk")
        qs = houses(user).filter(pk__in=ids)
    return qs.select_related("grid").annotate(**_resident_counts()).order_by(*HOUSE_ORDER)


# Building order, numbers in natural order (8号 before 10号): shorter first, then by text.
HOUSE_ORDER = (
    "grid__path",
    "road",
    Length("number"),
    "number",
    Length("building"),
    "building",
    Length("unit"),
    "unit",
    Length("room"),
    "room",
    "id",
)


def building_of(house: House) -> str:
    """The building a house belongs to, as a heading (road, number, building)."""
    label = "".join(part for part in (house.road, house.number, house.building) if part)
    return label or house.address


def group_by_building(rows: list[House]) -> list[tuple[str, list[House]]]:
    groups: OrderedDict[str, list[House]] = OrderedDict()
    for house in rows:
        groups.setdefault(building_of(house), []).append(house)
    return list(groups.items())


HOUSE_FIELDS: list[tuple[str, Promise]] = [
    ("house_use", _("房屋用途")),
    ("area_m2", _("建筑面积（㎡）")),
    ("owner_name", _("产权人")),
    ("address", _("标准地址")),
]


def house_fields(house: House) -> list[FieldRow]:
    """The house's own fields, each with the source, date and trust it came from."""
    sources_by_key = dict(Source.objects.values_list("key", "name"))
    provenance = house.provenance or {}
    rows = []
    for key, label in HOUSE_FIELDS:
        found = provenance.get(key)
        prov: dict[str, Any] = found if isinstance(found, dict) else {}
        if key == "house_use":
            value = str(house.get_house_use_display()) if house.house_use else ""
        else:
            value = str(getattr(house, key) or "")
        source_key = str(prov.get("source", ""))
        trust = prov.get("trust")
        rows.append(
            FieldRow(
                key=key,
                label=label,
                value=value,
                source=sources_by_key.get(source_key, source_key),
                observed_at=str(prov.get("observed_at", "")),
                trust=int(trust) if isinstance(trust, (int, float)) else None,
            )
        )
    return rows


def house_people(user: Any, house: House) -> list[Person]:
    """The people living in ``house``, the head of each household first."""
    head_first = SqlCase(When(relation_to_head=HEAD_OF_HOUSEHOLD, then=0), default=1)
    return list(
        people(user)
        .filter(house=house, is_active=True)
        .order_by("household_no", head_first, "birth_date", "id")
    )


def residents_by_house(
    user: Any, house_ids: list[int], *, per_house: int = 4
) -> dict[int, list[str]]:
    """The names of the people living in each of these houses (the first few, heads of
    household first), for the rows of the house list; one query."""
    head_first = SqlCase(When(relation_to_head=HEAD_OF_HOUSEHOLD, then=0), default=1)
    names: dict[int, list[str]] = {pk: [] for pk in house_ids}
    rows = (
        people(user)
        .filter(house_id__in=house_ids, is_active=True)
        .order_by("house_id", head_first, "birth_date", "id")
        .values_list("house_id", "name")
    )
    for house_id, name in rows:
        if len(names[house_id]) < per_house:
            names[house_id].append(name or "—")
    return names


def house_organisations(user: Any, house: House) -> list[Organisation]:
    return list(organisations(user).filter(house=house, is_active=True).order_by("name", "id"))


def house_visits(house: House, *, limit: int = 5) -> list[Visit]:
    return list(
        Visit.objects.filter(house=house)
        .select_related("visited_by", "person")
        .order_by("-at", "-id")[:limit]
    )


M = TypeVar("M", Organisation, Facility)


def _grid_and_text(
    qs: QuerySet[M], filters: HouseFilters, match_of: Callable[[str], Q]
) -> QuerySet[M]:
    """``qs`` in the chosen grid, matching the search text in any of its written forms."""
    if filters.grid is not None:
        qs = qs.filter(grid=filters.grid)
    if filters.q:
        match = Q()
        for variant in search_variants(filters.q):
            match |= match_of(variant)
        qs = qs.filter(match)
    return qs


def organisation_list(user: Any, filters: HouseFilters) -> QuerySet[Organisation]:
    qs = _grid_and_text(
        organisations(user).filter(is_active=True),
        filters,
        lambda v: Q(name__icontains=v) | Q(address__icontains=v),
    )
    return qs.select_related("house", "grid").order_by("grid__path", "address", "name", "id")


def facility_list(user: Any, filters: HouseFilters) -> QuerySet[Facility]:
    qs = _grid_and_text(
        facilities(user).filter(is_active=True),
        filters,
        lambda v: Q(name__icontains=v) | Q(address__icontains=v) | Q(code=v),
    )
    return qs.select_related("grid", "department").order_by("grid__path", "kind", "code", "id")


def grid_summary(user: Any, grids: list[Unit]) -> list[dict[str, Any]]:
    """For each grid a user may open: its houses and people (one grouped query each)."""
    house_counts = dict(
        houses(user)
        .filter(is_active=True, grid__in=grids)
        .values_list("grid")
        .annotate(n=Count("id"))
        .values_list("grid", "n")
    )
    people_counts = dict(
        people(user)
        .filter(is_active=True, grid__in=grids)
        .values_list("grid")
        .annotate(n=Count("id"))
        .values_list("grid", "n")
    )
    return [
        {"grid": g, "houses": house_counts.get(g.pk, 0), "people": people_counts.get(g.pk, 0)}
        for g in grids
    ]


def last_visit_dates(house_ids: list[int]) -> dict[int, date]:
    rows = (
        Visit.objects.filter(house_id__in=house_ids)
        .values("house_id")
        .annotate(last=Max("at"))
        .values_list("house_id", "last")
    )
    return {house_id: last.date() for house_id, last in rows}


def entity_label(entity_type: str) -> str:
    return str(EntityType(entity_type).label) if entity_type in EntityType.values else ""
