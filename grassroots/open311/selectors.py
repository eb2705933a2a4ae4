"""Reads of the Open311 interface: services, service definitions and public service
requests. Public answers carry what ``cases.selectors.public`` shows the public — never the
reporter's name, phone or e-mail, nor staff names; the department is the agency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KT
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
    page: int = 1  # the common page/page_size extension; 1-based
    page_size: int = MAX_RESULTS


# One row of the public list, in this order (``_rows``): no model instance is built.
_ROW = (
    "id",
    "tracking_code",
    "status",
    "description",
    "address",
    "lat",
    "lon",
    "created_at",
    "updated_at",
    "resolve_due",
    "category_id",
    "category__kind",
    "category__code",
    "category__name",
    "category__name_en",
    "department__name",
    "department__name_en",
    "latest_note",
    "last_step_at",
    "client_media_url",
)


def _rows() -> QuerySet[Case, tuple[Any, ...]]:
    """Public requests as plain rows (``_ROW``), in one query: the latest public note and
    the time of the last step come from correlated subqueries (one index probe each per
    case), the client's ``media_url`` from the JSON ``extra``."""
    latest_note = (
        TimelineEntry.objects.filter(case=OuterRef("pk"), is_public=True)
        .exclude(public_note="")
        .exclude(action__in=("rate", "reopen", "merge"))
        .order_by("-at", "-id")
        .values("public_note")[:1]
    )
    updated = TimelineEntry.objects.filter(case=OuterRef("pk")).order_by("-at").values("at")[:1]
    return Case.objects.annotate(
        latest_note=Subquery(latest_note),
        last_step_at=Subquery(updated),
        client_media_url=KT("extra__open311__media_url"),
    ).values_list(*_ROW)


def requests_list(query: RequestQuery, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Public requests in GeoReport v2's fields: by id (overriding every other filter), or
    by service, time window (requested time; default the last 90 days) and status; newest
    first, at most 1000 a page (``page``/``page_size``)."""
    rows = _rows()
    if query.ids:
        ids = [n for n in (public_id_to_pk(i) for i in query.ids) if n is not None]
        rows = rows.filter(pk__in=ids)
    else:
        now = now or timezone.now()
        end = query.end or now
        start = query.start or end - WINDOW
        start = max(start, end - WINDOW)
        rows = rows.filter(created_at__gte=start, created_at__lte=end)
        if query.service_codes:
            wanted = set(query.service_codes)
            categories = Category.objects.values_list("pk", "kind", "code")
            ids = [pk for pk, kind, code in categories if service_code(kind, code) in wanted]
            rows = rows.filter(category_id__in=ids)
        if query.statuses and set(query.statuses) != {OPEN, CLOSED}:
            if OPEN in query.statuses:
                rows = rows.filter(status__in=OPEN_STATUSES)
            else:
                rows = rows.exclude(status__in=OPEN_STATUSES)
    size = max(1, min(query.page_size, MAX_RESULTS))
    offset = (max(query.page, 1) - 1) * size
    return request_dicts(rows.order_by("-created_at", "-id")[offset : offset + size])


def request_by_id(service_request_id: str) -> dict[str, Any] | None:
    """One public request in GeoReport v2's fields, or None."""
    pk = public_id_to_pk(service_request_id)
    if pk is None:
        return None
    found = request_dicts(_rows().filter(pk=pk))
    return found[0] if found else None


def public_id(case: Case) -> str:
    """The public ``service_request_id``: the case's number. Never the tracking code, which
    is the reporter's credential (it lets its holder rate and reopen the case)."""
    return str(case.pk)


def public_id_to_pk(value: str) -> int | None:
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) <= 18 else None


def open_or_closed(status: str) -> str:
    return OPEN if status in OPEN_STATUSES else CLOSED


def service_code(kind: str, code: str) -> str:
    """``Category.service_code`` from the two columns, without a model instance."""
    return Category(kind=kind, code=code).service_code


def request_dicts(rows: Iterable[tuple[Any, ...]]) -> list[dict[str, Any]]:
    """Public requests (rows of ``_rows``) in GeoReport v2's fields, in the request's
    language. Labels are worked out once per category and department, not per row."""
    zone = timezone.get_current_timezone()
    merged = str(CaseStatus.MERGED.label)
    services: dict[int, tuple[str, str]] = {}
    agencies: dict[tuple[str, str], str] = {}
    answer = []
    for (
        pk,
        code,
        status,
        description,
        address,
        lat,
        lon,
        created_at,
        updated_at,
        resolve_due,
        category_id,
        kind,
        category_code,
        category_name,
        category_name_en,
        department_name,
        department_name_en,
        note,
        last_step_at,
        media_url,
    ) in rows:
        service = services.get(category_id)
        if service is None:
            category = Category(
                kind=kind, code=category_code, name=category_name, name_en=category_name_en
            )
            service = services[category_id] = (category_label(category), category.service_code)
        agency = ""
        if department_name is not None:
            names = (department_name, department_name_en)
            if names not in agencies:
                agencies[names] = localise(*names)
            agency = agencies[names]
        status_notes = redact(note or "", own_code=code)
        if status == CaseStatus.MERGED and not status_notes:
            status_notes = merged
        updated = last_step_at or updated_at
        answer.append(
            {
                "service_request_id": str(pk),
                "status": open_or_closed(status),
                "status_notes": status_notes,
                "service_name": service[0],
                "service_code": service[1],
                "description": redact(description, own_code=code),
                "agency_responsible": agency,
                "service_notice": "",
                "requested_datetime": created_at.astimezone(zone).isoformat(),
                "updated_datetime": updated.astimezone(zone).isoformat() if updated else None,
                "expected_datetime": resolve_due.astimezone(zone).isoformat()
                if resolve_due
                else None,
                "address": address,
                "address_id": "",
                "zipcode": "",
                "lat": lat,
                "long": lon,
                # Our own photos are shown only to the holder of the tracking code; a
                # client's own media_url is public by its nature.
                "media_url": media_url or "",
            }
        )
    return answer
