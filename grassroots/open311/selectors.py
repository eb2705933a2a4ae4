"""Reads of the Open311 interface: services, service definitions and public service
requests. Public answers carry what ``cases.selectors.public`` shows the public — never the
reporter's name, phone or e-mail, nor staff names; the department is the agency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.utils import timezone

from grassroots.cases.choices import OPEN_STATUSES, CaseStatus
from grassroots.cases.models import Case, Category, TimelineEntry
from grassroots.cases.selectors.public import (
    category_label,
    localise,
    major_label,
    redact,
)
from grassroots.org.models import Unit

from .services import DATATYPES, attribute_values

MAX_RESULTS = 1000
WINDOW = timedelta(days=90)
OPEN, CLOSED = "open", "closed"


def root_unit_code() -> str:
    code = Unit.objects.filter(parent__isnull=True).order_by("code").values_list("code", flat=True)
    return str(code.first() or "")


def active_categories() -> list[Category]:
    return list(Category.objects.filter(is_active=True).order_by("kind", "code"))


def category_by_service_code(service_code: str) -> Category | None:
    code = (service_code or "").strip()
    if not code:
        return None
    for category in active_categories():
        if category.service_code == code:
            return category
    return None


def service_dict(category: Category) -> dict[str, Any]:
    return {
        "service_code": category.service_code,
        "service_name": category_label(category),
        "description": localise(category.description) if category.description else "",
        "metadata": bool(category.extra_fields),
        "type": "realtime",
        "keywords": category.keywords,
        "group": major_label(category),
    }


def service_definition(category: Category) -> dict[str, Any]:
    attributes: list[dict[str, Any]] = []
    fields = [f for f in category.extra_fields or [] if f.get("code")]
    for position, field in enumerate(fields, start=1):
        datatype = str(field.get("datatype") or "string")
        datatype = datatype if datatype in DATATYPES else "string"
        description = str(field.get("description") or field.get("code"))
        attributes.append(
            {
                "variable": True,
                "code": str(field["code"]),
                "datatype": datatype,
                "required": bool(field.get("required")),
                "datatype_description": str(field.get("datatype_description") or ""),
                "order": int(field.get("order") or position),
                "description": localise(description),
                "values": attribute_values(field)
                if datatype in ("singlevaluelist", "multivaluelist")
                else [],
            }
        )
    attributes.sort(key=lambda a: a["order"])
    return {"service_code": category.service_code, "attributes": attributes}


# --- requests -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RequestQuery:
    ids: list[str]
    service_codes: list[str]
    start: datetime | None
    end: datetime | None
    statuses: list[str]


def _public_requests() -> QuerySet[Case]:
    latest_note = (
        TimelineEntry.objects.filter(case=OuterRef("pk"), is_public=True)
        .exclude(public_note="")
        .exclude(action__in=("rate", "reopen", "merge"))
        .order_by("-at", "-id")
        .values("public_note")[:1]
    )
    updated = TimelineEntry.objects.filter(case=OuterRef("pk")).order_by("-at").values("at")[:1]
    return (
        Case.objects.select_related("category", "department")
        .only(
            "tracking_code",
            "status",
            "description",
            "address",
            "lon",
            "lat",
            "created_at",
            "updated_at",
            "resolve_due",
            "extra",
            "category__kind",
            "category__code",
            "category__name",
            "category__name_en",
            "department__name",
            "department__name_en",
        )
        .annotate(
            latest_note=Subquery(latest_note),
            last_step_at=Subquery(updated),
        )
    )


def requests_list(query: RequestQuery, *, now: datetime | None = None) -> list[Case]:
    """Public requests: by id (overriding every other filter), or by service, time window
    (requested time; default the last 90 days) and status; newest first, at most 1000."""
    cases = _public_requests()
    if query.ids:
        ids = [n for n in (public_id_to_pk(i) for i in query.ids) if n is not None]
        return list(cases.filter(pk__in=ids).order_by("-created_at")[:MAX_RESULTS])
    now = now or timezone.now()
    end = query.end or now
    start = query.start or end - WINDOW
    start = max(start, end - WINDOW)
    cases = cases.filter(created_at__gte=start, created_at__lte=end)
    if query.service_codes:
        wanted = set(query.service_codes)
        ids = [c.pk for c in Category.objects.all() if c.service_code in wanted]
        cases = cases.filter(category_id__in=ids)
    if query.statuses and set(query.statuses) != {OPEN, CLOSED}:
        if OPEN in query.statuses:
            cases = cases.filter(status__in=OPEN_STATUSES)
        else:
            cases = cases.exclude(status__in=OPEN_STATUSES)
    return list(cases.order_by("-created_at", "-id")[:MAX_RESULTS])


def request_by_id(service_request_id: str) -> Case | None:
    pk = public_id_to_pk(service_request_id)
    if pk is None:
        return None
    return _public_requests().filter(pk=pk).first()


def public_id(case: Case) -> str:
    """The public ``service_request_id``: the case's number. Never the tracking code, which
    is the reporter's credential (it lets its holder rate and reopen the case)."""
    return str(case.pk)


def public_id_to_pk(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def open_or_closed(status: str) -> str:
    return OPEN if status in OPEN_STATUSES else CLOSED


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def request_dict(case: Case) -> dict[str, Any]:
    """One public request in GeoReport v2's fields."""
    category = case.category
    department = case.department
    note = getattr(case, "latest_note", None) or ""
    updated = getattr(case, "last_step_at", None) or case.updated_at
    media = (case.extra or {}).get("open311", {}).get("media_url") if case.extra else None
    status_notes = redact(note, own_code=case.tracking_code)
    if case.status == CaseStatus.MERGED and not status_notes:
        status_notes = str(CaseStatus.MERGED.label)
    return {
        "service_request_id": public_id(case),
        "status": open_or_closed(case.status),
        "status_notes": status_notes,
        "service_name": category_label(category),
        "service_code": category.service_code,
        "description": redact(case.description, own_code=case.tracking_code),
        "agency_responsible": localise(department.name, department.name_en) if department else "",
        "service_notice": "",
        "requested_datetime": _iso(case.created_at),
        "updated_datetime": _iso(updated),
        "expected_datetime": _iso(case.resolve_due),
        "address": case.address,
        "address_id": "",
        "zipcode": "",
        "lat": case.lat,
        "long": case.lon,
        # Our own photos are shown only to the holder of the tracking code; a client's own
        # media_url is public by its nature.
        "media_url": media or "",
    }
