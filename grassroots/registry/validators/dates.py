"""Dates as department files write them, Excel serial numbers included."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

from django.utils.translation import gettext_lazy as _

from .base import (
    field_error,
    halfwidth,
    is_blank,
)

# ---------------------------------------------------------------------------------------
# Dates

EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 = 1900-01-01 once Excel's 1900-02-29 is skipped
EXCEL_SERIAL_RANGE = (1, 73415)  # 1900-01-01 … 2100-12-31
_YMD = re.compile(r"([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})(?:\s*日)?")
_COMPACT = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})")
_TIME_TAIL = re.compile(
    r"(?:[T\s]+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
)


def _from_serial(serial: float, field: str, raw: object) -> date:
    whole = math.floor(serial)
    low, high = EXCEL_SERIAL_RANGE
    if not low <= whole <= high:
        raise field_error(
            field,
            "date_range",
            _("日期“%(value)s”超出了合理范围。"),
            value=str(raw),
        )
    if whole == 60:  # Excel's 29 February 1900, a day that never was
        raise field_error(field, "date_impossible", _("日期“%(value)s”不存在。"), value=str(raw))
    if whole < 60:
        whole += 1
    return EXCEL_EPOCH + timedelta(days=whole)


def _ymd(year: int, month: int, day: int, field: str, raw: object) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise field_error(
            field, "date_impossible", _("日期“%(value)s”不存在。"), value=str(raw)
        ) from None


def _ymd_match(match: re.Match[str], field: str, raw: object) -> date:
    year, month, day = (int(group) for group in match.groups())
    return _ymd(year, month, day, field, raw)


def parse_date(
    value: object,
    *,
    field: str = "date",
    earliest: date = date(1890, 1, 1),
    latest: date | None = date(2100, 12, 31),
) -> date:
    """A date from what a department file holds.

    Accepts ``date``/``datetime`` (and pandas Timestamps), ``2024-03-05``, ``2024/3/5``,
    ``2024.3.5``, ``20240305``, ``2024年3月5日`` (full-width digits too, with an optional
    time after it), and Excel serial numbers (int/float or a numeric string of up to 5
    digits, 1 … 73415). Codes: ``required``, ``date_format``, ``date_impossible``
    (2023-02-30), ``date_range`` (before ``earliest`` or after ``latest``).
    """
    if is_blank(value):
        raise field_error(field, "required", _("缺少日期。"))
    result: date
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, bool):
        raise field_error(field, "date_format", _("“%(value)s”不是日期。"), value=str(value))
    elif isinstance(value, int | float) or type(value).__name__.startswith(("int", "float")):
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer() and 1000 <= number <= 2999:
            raise field_error(
                field, "date_format", _("“%(value)s”只有年份，缺少月和日。"), value=str(value)
            )
        if number.is_integer() and 10_000_101 <= number <= 99_991_231:
            match = _COMPACT.fullmatch(str(int(number)))
            assert match is not None
            result = _ymd_match(match, field, value)
        else:
            result = _from_serial(number, field, value)
    else:
        text = halfwidth(value)
        match = _YMD.fullmatch(text) or _ymd_with_time(text)
        if match or (match := _COMPACT.fullmatch(text)) is not None:
            result = _ymd_match(match, field, text)
        elif re.fullmatch(r"[0-9]{4}", text) and 1000 <= int(text) <= 2999:
            raise field_error(
                field, "date_format", _("“%(value)s”只有年份，缺少月和日。"), value=text
            )
        elif re.fullmatch(r"[0-9]{1,5}(?:\.[0-9]+)?", text):
            result = _from_serial(float(text), field, text)
        else:
            raise field_error(
                field,
                "date_format",
                _("无法识别日期“%(value)s”，请写成 2024-03-05 这样的格式。"),
                value=text[:40],
            )
    if result < earliest or (latest is not None and result > latest):
        raise field_error(
            field,
            "date_range",
            _("日期 %(value)s 超出了合理范围（%(earliest)s 至 %(latest)s）。"),
            value=result.isoformat(),
            earliest=earliest.isoformat(),
            latest=latest.isoformat() if latest else "",
        )
    return result


def _ymd_with_time(text: str) -> re.Match[str] | None:
    match = _YMD.match(text)
    if match and _TIME_TAIL.fullmatch(text[match.end() :]):
        return match
    return None
