"""以房管人: houses by building with the people living there, organisations and facilities,
for the grid worker's own grid (the community's grids for its staff), and recording a
visit with its corrections.

Phone first: one column, big rows, few words. Every list and every record through
``registry.selectors`` (scoped: a house outside the user's grid is a 404); a visit through
``services.record_visit``, which makes it a new source with its own provenance.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from grassroots.core.errors import DomainError, NotFound
from grassroots.core.scope import Action
from grassroots.org.choices import UnitLevel

from .. import selectors as sel
from .. import services
from ..forms import VisitForm
from .common import HOUSE_ROLES, VISIT_ROLES, has_role, page, personal, roles_required

readers = roles_required(HOUSE_ROLES)
HOUSES_PAGE_SIZE = 40
# What the house page shows of each person living there (masked where sensitive).
HOUSE_PAGE_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "relation_to_head",
    "person_type",
    "household_address",
    "id_number",
    "phone",
]


def _filters(request: HttpRequest, grids: list[Any]) -> sel.HouseFilters:
    code = request.GET.get("grid", "")
    grid = next((g for g in grids if g.code == code), None) if code else None
    if grid is None and len(grids) == 1:
        grid = grids[0]
    return sel.HouseFilters(grid=grid, q=request.GET.get("q", "").strip()[:50])


def _query(filters: sel.HouseFilters) -> str:
    from urllib.parse import urlencode

    params = {}
    if filters.grid is not None:
        params["grid"] = filters.grid.code
    if filters.q:
        params["q"] = filters.q
    return urlencode(params)


def _list_context(request: HttpRequest, kind: str) -> tuple[dict[str, Any], sel.HouseFilters]:
    grids = sel.grids_in_scope(request.user)
    filters = _filters(request, grids)
    return (
        {
            "kind": kind,
            "grids": grids,
            "filters": filters,
            "query": _query(filters),
            "own_grid": getattr(request.user.unit, "level", "") == UnitLevel.GRID,
            "choose_grid": filters.grid is None and not filters.q and len(grids) > 1,
            "tab": "houses",
        },
        filters,
    )


@readers
@personal
@require_GET
def house_list(request: HttpRequest) -> HttpResponse:
    context, filters = _list_context(request, "houses")
    if context["choose_grid"]:
        context["summary"] = sel.grid_summary(request.user, context["grids"])
        return page(request, "registry/houses.html", context)
    houses = Paginator(sel.house_list(request.user, filters), HOUSES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = list(houses.object_list)
    ids = [h.pk for h in rows]
    visited = sel.last_visit_dates(ids)
    names = sel.residents_by_house(request.user, ids)
    for house in rows:
        house.last_visit = visited.get(house.pk)  # type: ignore[attr-defined]
        house.resident_names = names.get(house.pk, [])  # type: ignore[attr-defined]
    context.update(page_obj=houses, buildings=sel.group_by_building(rows))
    return page(request, "registry/houses.html", context)


@readers
@personal
@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    context, filters = _list_context(request, "organisations")
    context["choose_grid"] = False
    context["page_obj"] = Paginator(
        sel.organisation_list(request.user, filters), sel.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return page(request, "registry/organisations.html", context)


@readers
@personal
@require_GET
def facility_list(request: HttpRequest) -> HttpResponse:
    context, filters = _list_context(request, "facilities")
    context["choose_grid"] = False
    context["page_obj"] = Paginator(
        sel.facility_list(request.user, filters), sel.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return page(request, "registry/facilities.html", context)


def _moved_out_supported() -> bool:
    """Whether a visit may say that someone moved out (a correction the service knows)."""
    return "moved_out" in getattr(services, "PERSON_CORRECTABLE", ())


def _house(request: HttpRequest, pk: int, *, action: Action = Action.VIEW) -> Any:
    try:
        return sel.access_house(request.user, pk, action=action)
    except NotFound as exc:
        raise Http404(str(exc)) from exc


def _render_house(
    request: HttpRequest,
    house: Any,
    *,
    form: VisitForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    residents = sel.house_people(request.user, house)
    for person in residents:  # every person shown is a read on record
        services.person_read_audit(person=person, user=request.user, fields=HOUSE_PAGE_FIELDS)
    can_visit = has_role(request.user, VISIT_ROLES) and bool(
        sel.houses(request.user, action=Action.CHANGE).filter(pk=house.pk).exists()
    )
    if form is None:
        form = VisitForm(people=residents, moved_out=_moved_out_supported())
    return page(
        request,
        "registry/house.html",
        {
            "house": house,
            "house_fields": sel.house_fields(house),
            "people": residents,
            "organisations": sel.house_organisations(request.user, house),
            "visits": sel.house_visits(house),
            "form": form if can_visit else None,
            "error": error,
            "tab": "houses",
        },
        status=status,
    )


@readers
@personal
@require_GET
def house_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _render_house(request, _house(request, pk))


@readers
@personal
@require_POST
def house_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a visit (a note and/or corrections) to a house the user may change."""
    if not has_role(request.user, VISIT_ROLES):
        return page(
            request,
            "registry/denied.html",
            {"message": _("您的角色不能登记走访。")},
            status=403,
        )
    house = _house(request, pk, action=Action.CHANGE)
    residents = sel.house_people(request.user, house)
    form = VisitForm(request.POST, people=residents, moved_out=_moved_out_supported())
    if not form.is_valid():
        return _render_house(request, house, form=form, error=_("请检查标红的内容。"), status=400)
    if form.is_empty():
        return _render_house(
            request, house, form=form, error=_("请填写走访情况或至少一项更正。"), status=400
        )
    people = {p.pk: p for p in residents}
    try:
        with transaction.atomic():  # the note and every correction, or nothing
            house_changes = form.house_corrections()
            if form.cleaned_data["note"] or house_changes:
                services.record_visit(
                    house=house,
                    user=request.user,
                    note=form.cleaned_data["note"],
                    corrections=house_changes,
                )
            for person_id, changes in form.person_corrections().items():
                services.record_visit(
                    house=house, user=request.user, person=people[person_id], corrections=changes
                )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        return _render_house(
            request, house, form=form, error=str(exc.message), status=exc.status_code
        )
    messages.success(request, _("走访已登记。"))
    return redirect("registry:house", pk=house.pk)
