"""Mainland mobile and landline phone numbers."""

from __future__ import annotations

import re

from django.utils.translation import gettext_lazy as _

from grassroots.core.masking import mask_phone

from .base import (
    ascii_digits,
    field_error,
    halfwidth,
    is_blank,
)

# ---------------------------------------------------------------------------------------
# Phone numbers

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SERVICE = re.compile(r"[48]00[0-9]{7}")
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|x|#)\s*([0-9]{1,6})\s*$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-–—()（）.]+")


def _landline(digits: str) -> tuple[str, str] | None:
    """(area code, local number) for digits starting with the trunk prefix 0."""
    if not digits.startswith("0") or digits[1:2] in ("", "0") or len(digits) < 10:
        return None
    # 010 and 02x are 3-digit area codes, every other one is 4 digits
    area_len = 3 if digits[1] in "12" else 4
    area, local = digits[:area_len], digits[area_len:]
    if len(local) in (7, 8) and local[0] != "0":
        return area, local
    return None


def normalise_phone(value: object, *, field: str = "phone") -> str:
    """A mobile number as 11 digits, a landline as ``010-12345678`` (``-801`` extension).

    Strips +86/0086, spaces, dashes, brackets and full-width forms. Codes: ``required``,
    ``phone_area_code`` (a landline without area code), ``phone_format``.
    """
    if is_blank(value):
        raise field_error(field, "required", _("缺少电话号码。"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = halfwidth(value).lstrip("'")
    extension = ""
    match = _EXTENSION.search(text)
    if match:
        extension, text = match.group(1), text[: match.start()]
    text = text.strip()
    international = False
    for prefix in ("+86", "0086"):
        if text.startswith(prefix):
            text, international = text[len(prefix) :], True
            break
    groups = [group for group in _SEPARATORS.split(text) if group]
    digits = "".join(groups)
    if not ascii_digits(digits):
        raise field_error(
            field,
            "phone_format",
            _("电话号码“%(value)s”含有非法字符。"),
            value=mask_phone(halfwidth(value)),
        )
    if not international and len(digits) == 13 and digits.startswith("861"):
        digits, international = digits[2:], True
    if _MOBILE.fullmatch(digits) and not extension:
        return digits
    if _SERVICE.fullmatch(digits):
        return digits + (f"-{extension}" if extension else "")
    if international and not digits.startswith("0"):
        digits = "0" + digits
    landline = _landline(digits)
    if landline is None and not extension and len(groups) >= 2 and len(groups[-1]) <= 6:
        # 010-12345678-801: the last group is an extension
        head = _landline("".join(groups[:-1]))
        if head is not None:
            landline, extension = head, groups[-1]
    if landline is not None:
        area, local = landline
        return f"{area}-{local}" + (f"-{extension}" if extension else "")
    if len(digits) in (7, 8) and digits[0] != "0":
        raise field_error(
            field,
            "phone_area_code",
            _("固定电话“%(value)s”缺少区号。"),
            value=mask_phone(digits),
        )
    raise field_error(
        field,
        "phone_format",
        _("“%(value)s”不是有效的手机号或固定电话号码。"),
        value=mask_phone(digits),
    )


def is_mobile(phone: str) -> bool:
    """Whether a normalised phone number is a mainland mobile number."""
    return bool(_MOBILE.fullmatch(phone))
