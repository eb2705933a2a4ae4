from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from grassroots.core.errors import NotFound

from . import selectors


def unit_map(request: HttpRequest) -> HttpResponse:
    """The tree of units on a map: boundaries drawn from the GeoJSON API, a tree beside."""
    roots = list(selectors.unit_children(unit=None))
    return render(
        request,
        "org/map.html",
        {"roots": roots, "level_counts": selectors.level_counts()},
    )


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        unit = selectors.unit_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    staff = (
        list(selectors.staff_list(user=request.user, unit=unit).filter(unit=unit)[:200])
        if request.user.is_authenticated
        else []
    )
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "ancestors": selectors.unit_ancestors(unit=unit),
            "children": list(selectors.unit_children(unit=unit)),
            "staff": staff,
        },
    )
