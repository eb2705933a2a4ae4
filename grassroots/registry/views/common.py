"""What every registry page shares: who may open it, how errors become pages, and the
``Cache-Control: no-store`` rule for pages that show personal data.

The pages are thin: parse the request, call one selector (``registry.selectors``, which
scopes every query with ``core.scope.scoped``) or one service (``registry.services``),
render. Unknown and out-of-scope records are the same 404; a role that has no business on
a page gets a 403 page that says so (and never a hint about a record).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from grassroots.org.choices import Role

View = Callable[..., HttpResponse]

# Who opens which pages (superusers, the operator's break-glass account, open all of them).
STEWARD_ROLES = frozenset({Role.DATA_STEWARD, Role.ADMIN})
# 以房管人: grid workers, and the dispatchers and leaders above them (read), stewards.
HOUSE_ROLES = frozenset(
    {Role.GRID_WORKER, Role.DISPATCHER, Role.LEADER, Role.DATA_STEWARD, Role.ADMIN}
)
# Who records a visit (and its corrections): the people who knock on doors.
VISIT_ROLES = frozenset({Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN})


def role_of(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


def has_role(user: Any, roles: Iterable[str]) -> bool:
    if getattr(user, "is_superuser", False) and user.is_active:
        return True
    return str(getattr(user, "role", "")) in set(roles)


def page(
    request: HttpRequest,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status: int = 200,
) -> HttpResponse:
    """Render a registry page with what its navigation needs to know about the user."""
    user = request.user
    return render(
        request,
        template,
        {
            "rg_steward": has_role(user, STEWARD_ROLES),
            "rg_house_reader": has_role(user, HOUSE_ROLES),
            **(context or {}),
        },
        status=status,
    )


def denied(request: HttpRequest) -> HttpResponse:
    return page(
        request,
        "registry/denied.html",
        {"message": _("您的角色不能使用基础数据库的这个页面。")},
        status=403,
    )


def roles_required(roles: Iterable[str]) -> Callable[[View], View]:
    """Signed-in, active accounts of ``roles`` only: anyone signed out goes to the login
    page, a signed-in account of another role gets a 403 page."""
    allowed = frozenset(roles)

    def decorator(view: View) -> View:
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not (user.is_authenticated and user.is_active):
                return redirect_to_login(request.get_full_path())
            if not has_role(user, allowed):
                return denied(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def no_store(response: HttpResponse) -> HttpResponse:
    """Pages with personal data are never kept by a browser or a proxy."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def personal(view: View) -> View:
    """Every answer of ``view`` (pages, fragments, errors) carries ``no-store``."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return no_store(view(request, *args, **kwargs))

    return wrapper


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"
