"""Errors and helpers shared by the validators."""

from __future__ import annotations

import math
import time
import unicodedata
from datetime import date
from typing import Any

from django.utils.functional import Promise, lazy

from grassroots.core.errors import ValidationFailed

# ---------------------------------------------------------------------------------------
# Errors


def _interpolate(template: str | Promise, params: dict[str, Any]) -> str:
    return str(template) % params


_lazy_interpolate = lazy(_interpolate, str)


class FieldError(ValidationFailed):
    """One value refused: ``field`` (canonical field name), a stable ``code``, a message.

    A ``ValidationFailed`` (400) so a service may let it through to the API unchanged; the
    importer turns it into a reject reason with :meth:`as_reason`.
    """

    def __init__(self, field: str, code: str, message: str | Promise) -> None:
        super().__init__(message, field=field)
        self.code = code

    def as_reason(self) -> dict[str, str]:
        return {"field": self.field or "", "code": self.code, "message": str(self.message)}

    def __repr__(self) -> str:
        return f"FieldError({self.field!r}, {self.code!r})"


def field_error(field: str, code: str, template: str | Promise, **params: Any) -> FieldError:
    message: str | Promise = _lazy_interpolate(template, params) if params else template
    return FieldError(field, code, message)


# Every code a validator here may raise, for the rejects report's legend and for tests.
ERROR_CODES: frozenset[str] = frozenset(
    {
        "required",
        "id_length",
        "id_format",
        "id_checksum",
        "id_birth_date",
        "id_region",
        "uscc_length",
        "uscc_format",
        "uscc_checksum",
        "uscc_authority",
        "uscc_region",
        "phone_format",
        "phone_area_code",
        "date_format",
        "date_impossible",
        "date_range",
        "sex_invalid",
        "ethnicity_invalid",
    }
)

# ---------------------------------------------------------------------------------------
# Shared helpers


def is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    if type(value).__name__ == "NAType":  # pandas.NA: comparisons give NA, not a bool
        return True
    # pandas.NaT and numpy NaN-likes compare unequal to themselves
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def halfwidth(value: object) -> str:
    """Half-width, stripped text (NFKC turns full-width digits, letters and spaces ASCII)."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


_TODAY_CACHE: list[tuple[float, date]] = []


def local_today() -> date:
    """Today in the site's time zone, looked up at most once a minute (it is called per row)."""
    now = time.monotonic()
    if _TODAY_CACHE and _TODAY_CACHE[0][0] > now:
        return _TODAY_CACHE[0][1]
    try:
        from django.utils import timezone

        today = timezone.localdate()
    except Exception:  # settings not configured: a plain script
        today = date.today()
    _TODAY_CACHE[:] = [(now + 60.0, today)]
    return today
