"""Masking of personal data on screen and in API answers. One rule, one place.

ID numbers keep the 6-digit region and the last 4 characters and hide the birth date
(110105********1234); phone numbers keep the first 3 and last 4 digits (138****5678);
names keep the surname (张*, 欧阳**).
"""

from __future__ import annotations

COMPOUND_SURNAMES = frozenset(
    {"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "令狐", "夏侯"}
)


def mask_id_number(value: str) -> str:
    value = (value or "").strip()
    if len(value) <= 10:
        return "*" * len(value)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    digits = (value or "").strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    keep = 2 if value[:2] in COMPOUND_SURNAMES else 1
    if value.isascii():
        return value[0] + "*" * (len(value) - 1)
    return value[:keep] + "*" * max(len(value) - keep, 1)
