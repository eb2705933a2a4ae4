"""Staff reads of the closed loop: access to one case, inboxes per role, the case map.

Every read starts from :func:`case_scope` (``core.scope.scoped`` with the case's unit and
department fields), so a community dispatcher never sees a sibling community's cases and
a department handler only what is dispatched to the department. :func:`access_case` is the
one way to reach a single case; unknown and out-of-scope cases are the same ``NotFound``.

The deadline colour of a case is decided by :func:`deadline_state` alone;
:func:`filter_deadline` is the same rule written as SQL for the inbox filters (a test
holds the two together).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Case as SqlCase
from django.db.models import (
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.core.crypto import decrypt
from grassroots.core.errors import NotFound
from grassroots.core.masking import mask_name, mask_phone
from grassroots.core.scope import Action, scoped
from grassroots.org.choices import Role, UnitLevel
from grassroots.org.models import Department, Unit

from .. import workflow
from ..choices import OPEN_STATUSES, CaseStatus, Channel, DeadlineState
from ..models import Case, CaseAssignment, CasePhoto, Category, TimelineEntry
from ..search import search_cases

S = CaseStatus
# The resolution clock runs in these states …
CLOCK_RUNNING = frozenset({S.DISPATCHED, S.ACCEPTED, S.RETURNED})
# … is paused here (at ``suspended_at``) …
CLOCK_PAUSED = frozenset({S.SUSPENDED})
# … and stopped at ``handled_at`` once the work was reported done.
CLOCK_STOPPED = frozenset({S.HANDLED, S.VERIFIED, S.CLOSED, S.RATED})

ROW_RELATED = ("category", "area", "community", "street", "department")
DETAIL_RELATED = (
    "category",
    "area",
    "grid",
    "community",
    "street",
    "owner_unit",
    "department",
    "entered_by",
    "merged_into",
)
PAGE_SIZE = 25
MAP_LIMIT = 2000


# --- access ------------------------------------------------------------------------------


def case_scope(user: Any, *, action: Action = Action.VIEW) -> QuerySet[Case]:
    """Every case ``user`` may ``action`` (the data scope; nothing else decides it)."""
    return scoped(
        user, Case.objects.all(), unit_field="area", department_field="department", action=action
    )


def access_case(user: Any, case_id: Any, *, action: Action = Action.VIEW) -> Case:
    """The case ``case_id`` if ``user`` may ``action`` it; ``NotFound`` (404) otherwise,
    whether it does not exist or is out of scope."""
    try:
        pk = int(case_id)
    except (TypeError, ValueError):
        raise NotFound(_("找不到该案件。")) from None
    case = case_scope(user, action=action).select_related(*DETAIL_RELATED).filter(pk=pk).first()
    if case is None:
        raise NotFound(_("找不到该案件。"))
    return case


def can_change(user: Any, case: Case) -> bool:
    return case_scope(user, action=Action.CHANGE).filter(pk=case.pk).exists()


# --- deadlines ---------------------------------------------------------------------------


def _yellow_share() -> float:
    return float(settings.DEADLINE_YELLOW_SHARE)


def deadline_state(case: Case, now: datetime) -> DeadlineState:
    """Green (``ON_TIME``), ``YELLOW`` or ``RED`` for the resolution deadline of ``case``.

    The clock is read at ``now`` while it runs, at ``suspended_at`` while the case is
    suspended and at ``handled_at`` once the work was handled; before dispatch (no
    deadline) and for cases that left the loop otherwise the case is green.
    Red: past ``resolve_due``. Yellow: less than ``DEADLINE_YELLOW_SHARE`` of the time
    between dispatch and ``resolve_due`` left.
    """
    due = case.resolve_due
    if due is None:
        return DeadlineState.ON_TIME
    if case.status in CLOCK_RUNNING:
        at = now
    elif case.status in CLOCK_PAUSED:
        at = case.suspended_at or now
    elif case.status in CLOCK_STOPPED:
        at = case.handled_at or case.closed_at or now
    else:
        return DeadlineState.ON_TIME
    if at > due:
        return DeadlineState.RED
    start = case.dispatched_at or case.created_at
    if due - at < (due - start) * _yellow_share():
        return DeadlineState.YELLOW
    return DeadlineState.ON_TIME


def _clock_reading(now: datetime) -> SqlCase:
    return SqlCase(
        When(status__in=sorted(CLOCK_RUNNING), then=Value(now)),
        When(status__in=sorted(CLOCK_PAUSED), then=Coalesce(F("suspended_at"), Value(now))),
        When(
            status__in=sorted(CLOCK_STOPPED),
            then=Coalesce(F("handled_at"), F("closed_at"), Value(now)),
        ),
        default=None,
        output_field=DateTimeField(),
    )


def _share_ratio() -> tuple[int, int]:
    """The yellow share as a fraction of integers (durations are multiplied by integers
    only: SQLite's duration arithmetic keeps integers exact and cannot mix in floats)."""
    return round(_yellow_share() * 10_000), 10_000


def filter_deadline(qs: QuerySet[Case], state: str, now: datetime) -> QuerySet[Case]:
    """``qs`` limited to cases whose :func:`deadline_state` at ``now`` is ``state`` —
    the same rule, in SQL, for filters and counts over many rows."""
    if state not in (DeadlineState.RED, DeadlineState.YELLOW):
        late = filter_deadline(qs.model.objects.all(), DeadlineState.RED, now)
        warned = filter_deadline(qs.model.objects.all(), DeadlineState.YELLOW, now)
        return qs.exclude(pk__in=late.values("pk")).exclude(pk__in=warned.values("pk"))
    numerator, denominator = _share_ratio()
    qs = qs.annotate(_clock_at=_clock_reading(now)).filter(
        resolve_due__isnull=False, _clock_at__isnull=False
    )
    if state == DeadlineState.RED:
        return qs.filter(resolve_due__lt=F("_clock_at"))
    # time left < share × (due − start), i.e. (due − at) × D < (due − start) × N
    return qs.annotate(
        _left=ExpressionWrapper(
            (F("resolve_due") - F("_clock_at")) * Value(denominator),
            output_field=DurationField(),
        ),
        _budget=ExpressionWrapper(
            (F("resolve_due") - Coalesce(F("dispatched_at"), F("created_at"))) * Value(numerator),
            output_field=DurationField(),
        ),
    ).filter(resolve_due__gte=F("_clock_at"), _left__lt=F("_budget"))


# --- inboxes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Tab:
    """One inbox list: a key for the URL, a label, and the condition on scoped cases."""

    key: str
    label: str | Promise
    condition: Callable[[Any, datetime], Q] = field(default=lambda user, now: Q())
    # "returns": the department's own return steps rather than cases (they left its scope).
    kind: str = "cases"
    # the overdue list is a deadline filter, not a plain condition
    deadline: str = ""


def _q(**kwargs: Any) -> Callable[[Any, datetime], Q]:
    return lambda user, now: Q(**kwargs)


_OPEN = sorted(OPEN_STATUSES)
TABS: dict[str, list[Tab]] = {
    Role.DISPATCHER: [
        Tab("to_register", _("待立案"), _q(status=S.SUBMITTED)),
        Tab("to_dispatch", _("待派遣"), _q(status__in=[S.REGISTERED, S.RETURNED, S.REOPENED])),
        Tab("to_close", _("待结案"), _q(status=S.VERIFIED)),
        Tab("overdue", _("已超期"), _q(status__in=_OPEN), deadline=DeadlineState.RED),
        Tab("open", _("在办"), _q(status__in=_OPEN)),
        Tab("all", _("全部")),
    ],
    Role.DEPT_HANDLER: [
        Tab("to_accept", _("待签收"), _q(status=S.DISPATCHED)),
        Tab("in_progress", _("处置中"), _q(status=S.ACCEPTED)),
        Tab("suspended", _("已挂起"), _q(status=S.SUSPENDED)),
        Tab("done", _("已办结"), _q(status__in=[S.HANDLED, S.VERIFIED, S.CLOSED, S.RATED])),
        Tab("returned", _("我方退回"), kind="returns"),
    ],
    Role.GRID_WORKER: [
        Tab("to_verify", _("待核查"), _q(status=S.HANDLED)),
        Tab(
            "my_patrol",
            _("我的巡查上报"),
            lambda user, now: Q(channel=Channel.PATROL, entered_by=user),
        ),
        Tab("open", _("本网格在办"), _q(status__in=_OPEN)),
    ],
    Role.LEADER: [
        Tab("open", _("在办"), _q(status__in=_OPEN)),
        Tab("overdue", _("已超期"), _q(status__in=_OPEN), deadline=DeadlineState.RED),
        Tab("supervised", _("督办中"), _q(status__in=_OPEN, supervised=True)),
        Tab("all", _("全部")),
    ],
    Role.OPERATOR: [
        Tab("mine", _("我录入的"), lambda user, now: Q(entered_by=user)),
        Tab(
            "mine_open",
            _("我录入的在办"),
            lambda user, now: Q(entered_by=user, status__in=_OPEN),
        ),
    ],
}
DEFAULT_TABS = [Tab("open", _("在办"), _q(status__in=_OPEN)), Tab("all", _("全部"))]


def tabs_for(user: Any) -> list[Tab]:
    return TABS.get(getattr(user, "role", ""), DEFAULT_TABS)


def tab_for(user: Any, key: str | None) -> Tab:
    tabs = tabs_for(user)
    return next((t for t in tabs if t.key == key), tabs[0])


def tab_counts(user: Any, now: datetime) -> dict[str, int]:
    """How many cases each of the user's case tabs holds: one query."""
    aggregates: dict[str, Any] = {}
    scope = case_scope(user)
    for tab in tabs_for(user):
        if tab.kind != "cases":
            continue
        condition = tab.condition(user, now)
        if tab.deadline:
            ids = filter_deadline(scope.filter(condition), tab.deadline, now).values("pk")
            condition = Q(pk__in=ids)
        aggregates[tab.key] = Count("pk", filter=condition)
    if not aggregates:
        return {}
    return scope.aggregate(**aggregates)


SORTS: dict[str, tuple[str | Promise, list[Any]]] = {
    "newest": (_("最新上报"), [F("created_at").desc(), F("pk").desc()]),
    "oldest": (_("最早上报"), [F("created_at").asc(), F("pk").asc()]),
    "due": (_("期限最近"), [F("resolve_due").asc(nulls_last=True), F("pk").asc()]),
    "updated": (_("最近更新"), [F("updated_at").desc(), F("pk").desc()]),
}


@dataclass
class InboxFilters:
    """What the inbox form asks for; every field optional. Parsed by the view."""

    status: str = ""
    category: int | None = None
    channel: str = ""
    area: Unit | None = None
    deadline: str = ""
    supervised: bool = False
    date_from: date | None = None
    date_to: date | None = None
    q: str = ""
    sort: str = "newest"


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def inbox_cases(user: Any, *, tab: Tab, filters: InboxFilters, now: datetime) -> QuerySet[Case]:
    """The cases of one inbox list with its filters and order, rows ready to show
    (their related rows joined: a page costs one query whatever its length)."""
    qs = case_scope(user).filter(tab.condition(user, now))
    if tab.deadline:
        qs = filter_deadline(qs, tab.deadline, now)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.category:
        qs = qs.filter(category_id=filters.category)
    if filters.channel:
        qs = qs.filter(channel=filters.channel)
    if filters.area is not None:
        qs = qs.filter(area__path__startswith=filters.area.path)
    if filters.deadline in (DeadlineState.YELLOW, DeadlineState.RED):
        qs = filter_deadline(qs, filters.deadline, now)
    if filters.supervised:
        qs = qs.filter(supervised=True)
    if filters.date_from:
        qs = qs.filter(created_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(created_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    if filters.q:
        qs = search_cases(qs, filters.q)
    order = SORTS.get(filters.sort, SORTS["newest"])[1]
    return qs.select_related(*ROW_RELATED).order_by(*order)


def department_returns(user: Any) -> QuerySet[TimelineEntry]:
    """The return steps the user's department took (the cases left its scope with them;
    what it did itself it may still see: the code, the category, when and why)."""
    if getattr(user, "role", None) != Role.DEPT_HANDLER or not user.department_id:
        return TimelineEntry.objects.none()
    return (
        TimelineEntry.objects.filter(action="return", actor_department_id=user.department_id)
        .select_related("case__category", "actor")
        .order_by("-at", "-pk")
    )


def filter_units(user: Any) -> QuerySet[Unit]:
    """Units offered in the area filter: streets and communities in the user's scope
    (and grids when the user's home is a community or below)."""
    levels = [UnitLevel.STREET, UnitLevel.COMMUNITY]
    home = getattr(user, "unit", None)
    if home is not None and home.level in (UnitLevel.COMMUNITY, UnitLevel.GRID):
        levels.append(UnitLevel.GRID)
    qs = Unit.objects.filter(level__in=levels)
    if home is not None and not getattr(user, "is_superuser", False):
        qs = qs.filter(path__startswith=home.path)
    return qs.only("id", "code", "name", "name_en", "level", "path").order_by("path")[:500]


def filter_categories() -> QuerySet[Category]:
    return Category.objects.filter(is_active=True).only("id", "kind", "code", "name", "name_en")


# --- one case ----------------------------------------------------------------------------


@dataclass
class CaseDetail:
    case: Case
    state: DeadlineState
    assignments: list[CaseAssignment]
    timeline: list[TimelineEntry]
    photos: list[CasePhoto]
    reporter_name: str
    reporter_phone: str
    merged: list[Case]


def case_detail(case: Case, *, now: datetime) -> CaseDetail:
    """Everything staff see about a case (already access-checked), personal data masked:
    the full timeline with internal notes, assignments, photos."""
    assignments = list(
        CaseAssignment.objects.filter(case=case)
        .select_related("department")
        .order_by("-is_active", "role", "created_at")
    )
    timeline = list(
        case.timeline.select_related("actor", "actor_unit", "actor_department").order_by("at", "pk")
    )
    for entry in timeline:
        entry.label = workflow.label(entry.action)  # type: ignore[attr-defined]
    return CaseDetail(
        case=case,
        state=deadline_state(case, now),
        assignments=assignments,
        timeline=timeline,
        photos=list(case.photos.order_by("kind", "pk")),
        reporter_name=mask_name(case.reporter_name),
        reporter_phone=mask_phone(decrypt(case.reporter_phone_encrypted)),
        merged=list(Case.objects.filter(merged_into=case).only("id", "tracking_code")),
    )


def dispatch_departments(case: Case) -> QuerySet[Department]:
    """Departments a case may be dispatched to: active, serving the case's place."""
    codes = [c for c in case.area.path.strip("/").split("/") if c]
    return (
        Department.objects.filter(is_active=True, jurisdiction__code__in=codes)
        .select_related("jurisdiction")
        .order_by("jurisdiction__depth", "name")
    )


# --- the map -----------------------------------------------------------------------------


def map_cases(user: Any, *, limit: int = MAP_LIMIT) -> list[Case]:
    """The newest open cases in scope that have a point (at most ``limit``)."""
    qs = (
        case_scope(user)
        .filter(status__in=_OPEN, lon__isnull=False, lat__isnull=False)
        .select_related("category")
        .only(
            "id",
            "tracking_code",
            "status",
            "lon",
            "lat",
            "created_at",
            "resolve_due",
            "dispatched_at",
            "suspended_at",
            "handled_at",
            "closed_at",
            "supervised",
            "category__name",
            "category__name_en",
        )
        .order_by("-created_at", "-pk")
    )
    return list(qs[:limit])


def patrol_categories(user: Any, *, limit: int = 8) -> list[Category]:
    """The categories patrols report most in the user's scope (last 90 days), topped up
    with the usual street problems when there is little history."""
    since = timezone.now() - timedelta(days=90)
    counted = (
        case_scope(user)
        .filter(channel=Channel.PATROL, created_at__gte=since)
        .values("category_id")
        .annotate(n=Count("pk"))
        .order_by("-n", "category_id")[:limit]
    )
    ids = [row["category_id"] for row in counted]
    if len(ids) < limit:
        extra = Category.objects.filter(
            kind="event", code__in=PATROL_DEFAULT_CODES, is_active=True
        ).exclude(pk__in=ids)
        by_code = {c.code: c.pk for c in extra}
        ids += [by_code[c] for c in PATROL_DEFAULT_CODES if c in by_code][: limit - len(ids)]
    found = {c.pk: c for c in Category.objects.filter(pk__in=ids, is_active=True)}
    return [found[i] for i in ids if i in found]


# Event codes of the digital city management standard that patrols meet most: exposed
# rubbish, badly parked cars, flyers, goods piled up, business outside the shop, dirty
# road, blocked sewer, street vendors.
PATROL_DEFAULT_CODES = ["0102", "0505", "0201", "0507", "0504", "0104", "0404", "0501"]
