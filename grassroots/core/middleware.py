"""Per-user display preferences: language and the elderly-friendly mode.

Both persist: in the account for signed-in users and in long-lived cookies for everyone
else (so a resident reporting without an account keeps large text on the next visit).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

ELDERLY_COOKIE = "gr_elderly"


class UserPreferencesMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        elderly = request.COOKIES.get(ELDERLY_COOKIE) == "1"
        if user is not None and user.is_authenticated:
            elderly = elderly or bool(getattr(user, "elderly_mode", False))
            language = getattr(user, "language", "")
            cookie_language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
            if language and not cookie_language:
                translation.activate(language)
                request.LANGUAGE_CODE = translation.get_language()
        request.elderly_mode = elderly  # type: ignore[attr-defined]
        return self.get_response(request)
