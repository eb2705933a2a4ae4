"""Per-user display preferences: language and the elderly-friendly mode.

One rule for both: **the last choice wins, and a choice is kept in two places** — a
long-lived cookie on the device (so a resident without an account keeps large text on the
next visit) and, for a signed-in user, the account (so it follows them to a new device).
When the request carries a cookie, the cookie is the choice; without one, the account's
value applies.

* Language: Django's ``set_language`` view writes the ``gr_lang`` cookie and
  ``LocaleMiddleware`` reads it. This middleware applies the account's language when no
  cookie is present, and stores a signed-in user's switch on ``User.language``.
* Elderly mode: ``core.views.set_elderly_mode`` writes the ``gr_elderly`` cookie and the
  account; this middleware reads them into ``request.elderly_mode``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

ELDERLY_COOKIE = "gr_elderly"
SET_LANGUAGE_URL_NAME = "set_language"


def _signed_in(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))


def elderly_preference(request: HttpRequest) -> bool:
    """Whether the elderly-friendly mode is on for this request (cookie, else account)."""
    cookie = request.COOKIES.get(ELDERLY_COOKIE)
    if cookie in {"0", "1"}:
        return cookie == "1"
    user = getattr(request, "user", None)
    return _signed_in(user) and bool(getattr(user, "elderly_mode", False))


def _supported_language(code: str) -> str | None:
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if _signed_in(user) and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
            language = _supported_language(getattr(user, "language", "") or "")
            if language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        request.elderly_mode = elderly_preference(request)  # type: ignore[attr-defined]
        response = self.get_response(request)
        self._remember_language_switch(request, response)
        return response

    @staticmethod
    def _remember_language_switch(request: HttpRequest, response: HttpResponse) -> None:
        """After ``set_language`` accepted a language, store it on the signed-in account."""
        match = getattr(request, "resolver_match", None)
        if request.method != "POST" or match is None:
            return
        if match.url_name != SET_LANGUAGE_URL_NAME:
            return
        cookie = response.cookies.get(settings.LANGUAGE_COOKIE_NAME)
        user = getattr(request, "user", None)
        if cookie is None or not _signed_in(user):
            return
        language = _supported_language(cookie.value)
        if language and getattr(user, "language", "") != language:
            user.language = language  # type: ignore[union-attr]
            user.save(update_fields=["language"])  # type: ignore[union-attr]
