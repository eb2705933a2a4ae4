from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from grassroots.org.choices import Role

from .health import check_database, check_queue
from .middleware import ELDERLY_COOKIE


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database, queue = check_database(), check_queue()
    ok = bool(database["ok"]) and bool(queue["ok"])
    return JsonResponse(
        {"status": "ok" if ok else "error", "database": database, "queue": queue},
        status=200 if ok else 503,
    )


@dataclass(frozen=True)
class Tile:
    """One big button on the home page.

    ``audience``: "all", "anonymous" (only when signed out) or "staff" (signed-in staff).
    ``roles``: role values (``org.choices.Role``) it is further limited to; empty means any.
    ``icon`` names a symbol in templates/core/_icons.html.
    """

    url_name: str
    title: str | Promise
    text: str | Promise
    icon: str = "grid"
    audience: str = "all"
    roles: tuple[str, ...] = ()


# The home page's tiles, in order. Adding a task is one line; a tile whose URL does not
# exist (an app not installed) is left out.
HOME_TILES: list[Tile] = [
    Tile("cases:report", _("反映问题"), _("拍照、标出位置，交给社区办理"), "report"),
    Tile("cases:track", _("查询办理进度"), _("凭查询码查看进展、评价结果"), "search"),
    Tile("org:map", _("查看网格地图"), _("各网格的范围和人口，点地图查所在网格"), "map"),
    Tile("cases:inbox", _("我的工作台"), _("待办案件、超期提醒和督办事项"), "service", "staff"),
    Tile(
        "cases:patrol",
        _("巡查上报"),
        _("三步上报巡查发现的问题"),
        "map",
        "staff",
        roles=(Role.GRID_WORKER,),
    ),
    Tile(
        "registry:home",
        _("基础数据"),
        _("导入部门数据、审核疑似重复、查看来源"),
        "chart",
        "staff",
        roles=(Role.DATA_STEWARD, Role.ADMIN),
    ),
    Tile(
        "registry:houses",
        _("以房管人"),
        _("本网格的房屋、住户和单位，登记走访"),
        "house",
        "staff",
        roles=(Role.GRID_WORKER,),
    ),
    Tile(
        "insight:dashboard",
        _("数据看板"),
        _("诉求量、趋势、热力地图和排名，逐级下钻"),
        "chart",
        "staff",
        roles=(Role.LEADER, Role.DISPATCHER, Role.ADMIN),
    ),
    Tile(
        "insight:assessment",
        _("考评"),
        _("各部门、街道、社区、网格的响应率、解决率、满意率和综合得分"),
        "chart",
        "staff",
        roles=(Role.LEADER, Role.DISPATCHER, Role.ADMIN, Role.DEPT_HANDLER),
    ),
    Tile(
        "insight:alerts",
        _("预警研判"),
        _("异常增多、聚集、重复投诉和传感器超限的预警"),
        "notice",
        "staff",
        roles=(Role.LEADER, Role.DISPATCHER, Role.ADMIN),
    ),
    Tile(
        "registry:sharing-requests",
        _("数据共享"),
        _("查看数据目录，申请使用基础数据，查看授权"),
        "service",
        "staff",
        roles=(Role.DEPT_HANDLER, Role.LEADER),
    ),
    Tile("login", _("工作人员登录"), _("网格员、调度员、部门人员登录"), "user", "anonymous"),
]


def _visible_tiles(request: HttpRequest) -> list[dict[str, object]]:
    user = request.user
    signed_in = bool(user.is_authenticated)
    staff = signed_in and bool(getattr(user, "is_staff_member", False))
    allowed = {"all"} | ({"staff"} if staff else set()) | (set() if signed_in else {"anonymous"})
    role = str(getattr(user, "role", "")) if signed_in else ""
    tiles: list[dict[str, object]] = []
    for tile in HOME_TILES:
        if tile.audience not in allowed or (tile.roles and role not in tile.roles):
            continue
        try:
            url = reverse(tile.url_name)
        except NoReverseMatch:
            continue
        tiles.append({"url": url, "title": tile.title, "text": tile.text, "icon": tile.icon})
    return tiles


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html", {"tiles": _visible_tiles(request)})


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return target


@require_POST
def set_elderly_mode(request: HttpRequest) -> HttpResponse:
    """Turn the elderly-friendly mode (large text, high contrast) on or off.

    The choice is kept in a cookie and, for a signed-in user, on the account (see
    ``core.middleware`` for the rule that reads them).
    """
    enabled = request.POST.get("enabled") == "1"
    user = request.user
    if user.is_authenticated:
        user.elderly_mode = enabled  # type: ignore[union-attr]
        user.save(update_fields=["elderly_mode"])  # type: ignore[union-attr]
    response = redirect(_next_url(request))
    response.set_cookie(
        ELDERLY_COOKIE,
        "1" if enabled else "0",
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        httponly=False,
    )
    return response
