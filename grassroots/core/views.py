from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

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


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "core/home.html")


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.META.get("HTTP_REFERER") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    return target


@require_POST
def set_elderly_mode(request: HttpRequest) -> HttpResponse:
    """Turn the elderly-friendly mode (large text, high contrast) on or off; it persists."""
    from django.shortcuts import redirect

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
