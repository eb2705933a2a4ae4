from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from grassroots.core.errors import NotFound

from . import selectors
from .choices import UnitLevel
from .models import Unit


def _map_strings() -> dict[str, Any]:
    """Words the map script shows, in the request's language."""
    return {
        "levels": {value: str(label) for value, label in UnitLevel.choices},
        "code": _("编码"),
        "level": _("层级"),
        "population": _("人口"),
        "households": _("户数"),
        "area": _("面积（平方公里）"),
        "details": _("查看详情"),
        "loading": _("正在加载…"),
        "load_failed": _("边界数据加载失败，请稍后再试。"),
        "locating": _("正在查询所在网格…"),
        "locate_failed": _("查询失败，请稍后再试。"),
        "located": _("您点击的位置属于："),
        "no_children": _("没有下级单元。"),
        "top": _("全区"),
        "drill": _("进入下级"),
        "children_of": _("%(name)s的下级单元"),
    }


def unit_map(request: HttpRequest) -> HttpResponse:
    """The tree of units on a map: boundaries drawn from the GeoJSON API, a list beside.

    The page starts at the children of the root (a district's streets). Without script the
    list links to each unit's page; with it, the map and the list drill down together.
    """
    roots = list(selectors.unit_children(unit=None))
    root = roots[0] if len(roots) == 1 else None
    units = list(selectors.unit_children(unit=root)) if root else roots
    return render(
        request,
        "org/map.html",
        {
            "root": root,
            "units": units,
            "level_counts": selectors.level_counts(),
            "map_strings": _map_strings(),
        },
    )


def _own_feature(unit: Unit, crs: str) -> dict[str, Any] | None:
    siblings = selectors.unit_geojson(
        parent=unit.parent, level=None if unit.parent else unit.level, crs=crs
    )
    for feature in siblings["features"]:
        if feature["id"] == unit.code:
            return feature
    return None


def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        unit = selectors.unit_get(code=code)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    user = request.user
    show_staff = bool(user.is_authenticated and getattr(user, "is_staff_member", False))
    staff = (
        list(selectors.staff_list(user=user, unit=unit).filter(unit=unit)[:200])
        if show_staff
        else []
    )
    crs = settings.MAP_CRS
    own = _own_feature(unit, crs)
    children_geojson = selectors.unit_geojson(parent=unit, crs=crs)
    features = ([own] if own else []) + children_geojson["features"]
    return render(
        request,
        "org/unit_detail.html",
        {
            "unit": unit,
            "ancestors": selectors.unit_ancestors(unit=unit)[:-1],
            "children": list(selectors.unit_children(unit=unit)),
            "show_staff": show_staff,
            "staff": staff,
            "geojson": {"type": "FeatureCollection", "features": features},
            "map_strings": _map_strings(),
        },
    )
