"""Reads for residents: a case by its tracking code, and what of it they may see.

The tracking code is the reporter's credential — like a password: 10 characters from a
31-symbol alphabet (no 0/O, 1/I/L), about 8·10^14 possibilities, made with ``secrets``.
Whoever holds it sees the redacted case and may rate it; lookups are rate-limited by the
views against enumeration.

What the holder of the code sees (``public_timeline``, ``progress``): only timeline
entries marked public; for each the step's name, its time, the *unit or department* that
took it (never a staff member's name, account or phone) and the public note. Internal
notes never leave the database here. Phone numbers and other tracking codes inside a
public note are masked, in case staff typed them there. A case merged into another shows
that it is handled together with the same problem reported by others — never their
codes, names or ratings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

import opencc
from django.db.models import Q, QuerySet
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from grassroots.core.masking import mask_phone

from .. import workflow
from ..choices import CaseStatus, Rating
from ..models import Case, CasePhoto, Category, TimelineEntry

CODE_LENGTH = 10
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
_CODE_RE = re.compile(rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")
# Anything in free text that looks like a tracking code (10 code symbols with at least one
# digit and one letter), or like a phone number.
_CODE_IN_TEXT = re.compile(
    rf"(?<![0-9A-Z])(?=[{CODE_ALPHABET}]*\d)(?=[{CODE_ALPHABET}]*[A-Z])"
    rf"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}(?![0-9A-Z])"
)
_PHONE_IN_TEXT = re.compile(r"(?<!\d)(1\d{10}|0\d{2,3}-?\d{7,8})(?!\d)")
# Steps the reporter takes themselves (shown as "you"), and steps that belong to one
# reporter only (never shown to the reporter of a merged case).
REPORTER_ACTIONS = frozenset({"submit", "rate", "reopen", "withdraw"})
PUBLIC_PHOTO_KINDS = (CasePhoto.Kind.REPORT, CasePhoto.Kind.AFTER, CasePhoto.Kind.RESULT)


def normalise_code(raw: str) -> str:
    """A typed code as stored: upper case, spaces and dashes ignored ('' when it cannot be
    a code). Lookalikes are forgiven: O→0 is not in the alphabet, so it is not guessed."""
    code = "".join(ch for ch in (raw or "") if not ch.isspace() and ch not in "-_").upper()
    return code if _CODE_RE.match(code) else ""


def case_by_code(code: str) -> Case | None:
    """The case with this tracking code, or None (unknown and malformed alike)."""
    code = normalise_code(code)
    if not code:
        return None
    return (
        Case.objects.select_related(
            "category", "department", "area", "grid", "community", "street", "owner_unit"
        )
        .filter(tracking_code=code)
        .first()
    )


# --- labels in the request's language ---------------------------------------------------


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


@lru_cache(maxsize=4096)
def _traditional(text: str) -> str:
    return _s2t().convert(text)


def localise(text: str, english: str = "") -> str:
    """A name stored in simplified Chinese, shown in the request's language: the English
    name where there is one, traditional characters for zh-hant."""
    language = (get_language() or "zh-hans").lower()
    if language.startswith("en"):
        return english or text
    if language in {"zh-hant", "zh-tw", "zh-hk"}:
        return _traditional(text)
    return text


# English names of the major classes of the taxonomy (the CSV has Chinese names only).
MAJOR_EN = {
    "公用设施": "Public utilities",
    "道路交通": "Roads and traffic",
    "市容环境": "Streetscape and environment",
    "园林绿化": "Parks and greenery",
    "房屋土地": "Buildings and land",
    "宣传广告": "Advertising",
    "施工管理": "Construction",
    "突发事件": "Emergencies",
    "街面秩序": "Street order",
    "热线诉求": "Hotline requests",
}


def category_label(category: Category) -> str:
    return localise(category.name, category.name_en)


def major_label(category: Category) -> str:
    return localise(category.major_name, MAJOR_EN.get(category.major_name, ""))


def unit_label(name: str, name_en: str = "") -> str:
    return localise(name, name_en)


# --- progress --------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    state: str  # "done", "current" or "todo"


STEPS: tuple[str, ...] = ("submit", "register", "dispatch", "handle", "verify", "close", "rate")

# status -> index of the step now under way (all before it are done); len(STEPS) = all done.
_CURRENT_STEP: dict[str, int] = {
    CaseStatus.SUBMITTED: 1,
    CaseStatus.REGISTERED: 2,
    CaseStatus.RETURNED: 2,
    CaseStatus.REOPENED: 2,
    CaseStatus.DISPATCHED: 3,
    CaseStatus.ACCEPTED: 3,
    CaseStatus.HANDLED: 4,
    CaseStatus.VERIFIED: 5,
    CaseStatus.CLOSED: 6,
    CaseStatus.RATED: 7,
}


def _step_labels() -> dict[str, str]:
    # Written out so that the message extractor finds each one.
    return {
        "submit": _("提交"),
        "register": _("立案"),
        "dispatch": _("派遣"),
        "handle": _("处置"),
        "verify": _("核查"),
        "close": _("结案"),
        "rate": _("评价"),
    }


def progress(case: Case) -> list[Step]:
    """The seven steps 提交 → 立案 → 派遣 → 处置 → 核查 → 结案 → 评价 with their state.
    A suspended case shows the step it was suspended at; a merged case the progress of the
    case it was merged into; a case not accepted or withdrawn only its first step."""
    status = case.status
    if status == CaseStatus.MERGED and case.merged_into_id:
        target = Case.objects.only("status", "status_before_suspension").get(pk=case.merged_into_id)
        status = target.status
        if status == CaseStatus.SUSPENDED:
            status = target.status_before_suspension or CaseStatus.ACCEPTED
    if status == CaseStatus.SUSPENDED:
        status = case.status_before_suspension or CaseStatus.ACCEPTED
    current = _CURRENT_STEP.get(status, 1)
    labels = _step_labels()
    steps = []
    for index, key in enumerate(STEPS):
        if index < current:
            state = "done"
        elif index == current and status not in {CaseStatus.NOT_ACCEPTED, CaseStatus.WITHDRAWN}:
            state = "current"
        else:
            state = "todo"
        steps.append(Step(key=key, label=labels[key], state=state))
    return steps


# --- the public timeline -------------------------------------------------------------------


@dataclass(frozen=True)
class PublicEntry:
    at: datetime
    action: str
    label: str
    actor: str
    note: str
    merged: bool = False
    data: dict[str, str] = field(default_factory=dict)


def redact(text: str, *, own_code: str = "") -> str:
    """Mask phone numbers and other cases' tracking codes in free text."""
    if not text:
        return ""
    text = _PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0).replace("-", "")), text)
    return _CODE_IN_TEXT.sub(lambda m: m.group(0) if m.group(0) == own_code else "******", text)


def _actor_label(entry: TimelineEntry) -> str:
    if entry.actor_department_id and entry.actor_department is not None:
        dept = entry.actor_department
        return localise(dept.name, dept.name_en)
    if entry.actor_unit_id and entry.actor_unit is not None:
        unit = entry.actor_unit
        return localise(unit.name, unit.name_en)
    if entry.action in REPORTER_ACTIONS and entry.actor_id is None:
        return _("您")
    if entry.actor_id is None:
        return _("平台")
    return _("工作人员")


_RATING_LABELS = dict(Rating.choices)


def _note(entry: TimelineEntry, case: Case) -> str:
    if entry.action == "merge":
        return _("已与其他群众反映的同一问题合并办理。")
    if entry.action == "rate":
        rating = str(_RATING_LABELS.get(entry.data.get("rating", ""), ""))
        comment = redact(entry.public_note, own_code=case.tracking_code)
        return f"{rating} — {comment}" if rating and comment else rating or comment
    return redact(entry.public_note, own_code=case.tracking_code)


def _entries(case: Case) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(case=case, is_public=True)
        .select_related("actor_unit", "actor_department")
        .only(
            "at",
            "action",
            "public_note",
            "data",
            "actor_id",
            "actor_unit__name",
            "actor_unit__name_en",
            "actor_department__name",
            "actor_department__name_en",
        )
        .order_by("at", "id")
    )


def public_timeline(case: Case) -> list[PublicEntry]:
    """What the holder of the tracking code sees of the case's history, oldest first.

    For a case merged into another, the other case's public steps of handling follow
    (marked ``merged``), without anything that belongs to its reporter."""
    steps = [
        PublicEntry(
            at=e.at,
            action=e.action,
            label=workflow.label(e.action),
            actor=_actor_label(e),
            note=_note(e, case),
        )
        for e in _entries(case)
    ]
    if case.status == CaseStatus.MERGED and case.merged_into_id:
        target = Case.objects.only("id", "tracking_code").get(pk=case.merged_into_id)
        merged_at = next((s.at for s in steps if s.action == "merge"), None)
        for e in _entries(target):
            if e.action in REPORTER_ACTIONS or e.action == "merge":
                continue
            if merged_at is not None and e.at < merged_at:
                continue
            steps.append(
                PublicEntry(
                    at=e.at,
                    action=e.action,
                    label=workflow.label(e.action),
                    actor=_actor_label(e),
                    note=redact(e.public_note, own_code=""),
                    merged=True,
                )
            )
        steps.sort(key=lambda s: s.at)
    return steps


def public_photos(case: Case) -> dict[str, list[CasePhoto]]:
    """Photos the holder of the code may see: the report's own, and the result's (for a
    merged case, the result photos of the case it was merged into)."""
    photos = list(_photos(case).order_by("uploaded_at", "id"))
    return {
        "report": [p for p in photos if p.kind == CasePhoto.Kind.REPORT and p.case_id == case.pk],
        "result": [p for p in photos if p.kind != CasePhoto.Kind.REPORT],
    }


def _photos(case: Case) -> QuerySet[CasePhoto]:
    own = Q(case=case, kind__in=PUBLIC_PHOTO_KINDS)
    if case.status == CaseStatus.MERGED and case.merged_into_id:
        own |= Q(case_id=case.merged_into_id, kind__in=PUBLIC_PHOTO_KINDS[1:])
    return CasePhoto.objects.filter(own)


def public_photo(case: Case, photo_id: int) -> CasePhoto | None:
    """One photo the holder of ``case``'s code may see, or None."""
    return _photos(case).filter(pk=photo_id).first()


def can_rate(case: Case) -> bool:
    return case.status == CaseStatus.CLOSED


def can_reopen(case: Case) -> bool:
    return (
        case.status == CaseStatus.RATED
        and case.rating == Rating.DISSATISFIED
        and case.reopen_count == 0
    )
