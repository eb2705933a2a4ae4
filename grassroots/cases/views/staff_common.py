"""What the staff pages of the closed loop share: the staff-only decorator, the user's role,
photo handling when installed, and the boundaries drawn under a map.

The staff pages are thin: parse the request, call one selector or service, render. Reads go
through ``selectors.staff`` (the data scope); every change through ``cases.services`` with
``Actor.of(request.user)``. A ``DomainError`` becomes a message on the page with its HTTP
status (400 invalid input, 403 wrong role, 404 unknown or out of scope, 409 illegal step).

The pages themselves: ``staff_inbox`` (inbox, bulk dispatch, the case map),
``staff_case`` (case detail and its steps), ``staff_entry`` (patrol and hotline/window intake).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

try:  # photo handling arrives with the public side; without it, staff pages skip photos
    from .. import photos as photo_service
except ImportError:  # pragma: no cover - depends on the checkout
    photo_service = None  # type: ignore[assignment]

View = Callable[..., HttpResponse]


def staff_required(view: View) -> View:
    """Signed-in, active staff only; anyone else goes to the login page."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (
            user.is_authenticated and user.is_active and getattr(user, "is_staff_member", False)
        ):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapper


def role_of(request: HttpRequest) -> str:
    return str(getattr(request.user, "role", ""))


def photos_enabled() -> bool:
    return photo_service is not None


def int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def boundary_url(unit: Any) -> str:
    """The boundaries drawn under a map for context: the children of ``unit`` (its parent's
    when it is a grid; the root's children without one), in the map's CRS."""
    params = {}
    if unit is not None:
        code = unit.parent.code if unit.level == "grid" and unit.parent_id else unit.code
        params["parent"] = code
    if settings.MAP_CRS != "wgs84":
        params["crs"] = settings.MAP_CRS
    url = reverse("api-units-geojson")
    return f"{url}?{urlencode(params)}" if params else url
