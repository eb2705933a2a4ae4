"""Validation and normalisation of the values departments send: ID numbers, credit codes,
phone numbers, dates, sex and ethnicity. Pure functions, no database.

Every refusal is a :class:`FieldError` with a stable ``code`` (the importer stores it with the
rejected row) and a message in Chinese for people; ID and phone numbers are masked in the
message, since rejects reports are shown and exported.

Choices made here (documented for the importer and the rejects report):

- Resident ID numbers (GB 11643-1999): 18 characters, the check character ISO 7064 MOD 11-2
  (``X`` upper-case). Full-width digits, a lower-case ``x``, spaces and Excel's leading
  apostrophe are normalised away. 15-digit numbers (issued before 1999) are **converted** to
  18 characters (century ``19`` inserted, check character computed), as the public security
  bureaus themselves do; ``IdNumberInfo.legacy`` says so. A 15-digit number has no check
  character, so the conversion cannot catch a typo: callers that need certainty can refuse
  ``legacy`` numbers.
- Unified social credit codes (GB 32100-2015): 18 characters from the code's own alphabet
  (no I, O, Z, S, V), weights 3^i mod 31, registering authority and organisation type from the
  standard's table, a 6-digit division code with a plausible province.
- Phone numbers become ``13812345678`` (mobile), ``010-12345678`` (landline with area code),
  ``010-12345678-801`` (with extension) or ``4001234567`` (service numbers).
- Dates accept ISO, slashes, dots, ``20240305``, ``2024年3月5日`` and Excel serial numbers.
"""

from __future__ import annotations

import math
import operator
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from django.utils.functional import Promise, lazy
from django.utils.translation import gettext_lazy as _

from grassroots.core.errors import ValidationFailed
from grassroots.core.masking import mask_id_number, mask_phone

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


def _error(field: str, code: str, template: str | Promise, **params: Any) -> FieldError:
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


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str) and not value.strip():
        return True
    # pandas.NaT and numpy NaN-likes compare unequal to themselves
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return False


def _text(value: object) -> str:
    """Half-width, stripped text (NFKC turns full-width digits, letters and spaces ASCII)."""
    return unicodedata.normalize("NFKC", str(value)).strip()


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


_TODAY_CACHE: list[tuple[float, date]] = []


def _today() -> date:
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


# ---------------------------------------------------------------------------------------
# Divisions (GB/T 2260 province-level codes)

PROVINCES: dict[str, str] = {
    "11": "北京市",
    "12": "天津市",
    "13": "河北省",
    "14": "山西省",
    "15": "内蒙古自治区",
    "21": "辽宁省",
    "22": "吉林省",
    "23": "黑龙江省",
    "31": "上海市",
    "32": "江苏省",
    "33": "浙江省",
    "34": "安徽省",
    "35": "福建省",
    "36": "江西省",
    "37": "山东省",
    "41": "河南省",
    "42": "湖北省",
    "43": "湖南省",
    "44": "广东省",
    "45": "广西壮族自治区",
    "46": "海南省",
    "50": "重庆市",
    "51": "四川省",
    "52": "贵州省",
    "53": "云南省",
    "54": "西藏自治区",
    "61": "陕西省",
    "62": "甘肃省",
    "63": "青海省",
    "64": "宁夏回族自治区",
    "65": "新疆维吾尔自治区",
    "71": "台湾省",
    "81": "香港特别行政区",
    "82": "澳门特别行政区",
    # residence permits for Taiwan residents (830000); Hong Kong/Macao permits use 81/82
    "83": "台湾居民居住证",
}


def region_plausible(code: str) -> bool:
    """A 6-digit division code whose province exists."""
    return len(code) == 6 and _ascii_digits(code) and code[:2] in PROVINCES


# ---------------------------------------------------------------------------------------
# Resident ID numbers (GB 11643-1999)

ID_WEIGHTS: tuple[int, ...] = tuple(pow(2, 17 - i, 11) for i in range(17))
ID_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11)
_ID_ZERO_WEIGHT = ord("0") * sum(ID_WEIGHTS)
EARLIEST_BIRTH = date(1890, 1, 1)
_ID18 = re.compile(r"[0-9]{17}[0-9X]")
_ID15 = re.compile(r"[0-9]{15}")


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    value: str  # 18 characters, upper-case X
    birth_date: date
    sex: str  # "M" (odd sequence) or "F" (even)
    region_code: str  # the 6-digit division where the number was issued
    legacy: bool = False  # converted from a 15-digit number


def id_check_char(body: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(body) != 17 or not _ascii_digits(body):
        raise ValueError("an ID number body is 17 digits")
    # bytes iterate as code points: subtract the weight of the "0"s instead of int() each digit
    total = sum(map(operator.mul, body.encode("ascii"), ID_WEIGHTS)) - _ID_ZERO_WEIGHT
    return ID_CHECK_CHARS[total % 11]


def _clean_id(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    text = _text(value).lstrip("'").upper()
    return "".join(text.split())


def validate_id_number(
    value: object, *, field: str = "id_number", today: date | None = None
) -> IdNumberInfo:
    """Check a resident ID number and read its birth date, sex and region.

    Raises :class:`FieldError` with ``required``, ``id_length``, ``id_format``, ``id_region``,
    ``id_birth_date`` or ``id_checksum`` (checked in that order, so the most specific reason
    is given for a mistyped birth date).
    """
    if _is_blank(value):
        raise _error(field, "required", _("缺少身份证号。"))
    if isinstance(value, float):
        raise _error(
            field,
            "id_format",
            _(
                "身份证号被表格软件当成了数字（%(value)s），末位已丢失，请把该列设为文本后重新导出。"
            ),
            value=mask_id_number(f"{value:.0f}"),
        )
    text = _clean_id(value)
    if len(text) not in (15, 18):
        if re.fullmatch(r"[0-9.]+E\+?[0-9]+", text):
            raise _error(
                field,
                "id_format",
                _("身份证号被表格软件写成了科学计数法（%(value)s），请把该列设为文本后重新导出。"),
                value=text,
            )
        raise _error(
            field,
            "id_length",
            _("身份证号 %(value)s 的长度是 %(length)d 位，应为 18 位。"),
            value=mask_id_number(text),
            length=len(text),
        )
    legacy = len(text) == 15
    if legacy:
        if not _ID15.fullmatch(text):
            raise _error(
                field,
                "id_format",
                _("15 位身份证号 %(value)s 只能由数字组成。"),
                value=mask_id_number(text),
            )
        body = text[:6] + "19" + text[6:]
        text = body + id_check_char(body)
    elif not _ID18.fullmatch(text):
        raise _error(
            field,
            "id_format",
            _("身份证号 %(value)s 含有非法字符：前 17 位应为数字，末位为数字或 X。"),
            value=mask_id_number(text),
        )
    region = text[:6]
    if not region_plausible(region):
        raise _error(
            field,
            "id_region",
            _("身份证号 %(value)s 的地区码 %(region)s 不存在。"),
            value=mask_id_number(text),
            region=region,
        )
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise _error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期不存在。"),
            value=mask_id_number(text),
        ) from None
    if birth > (today or _today()):
        raise _error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期在未来。"),
            value=mask_id_number(text),
        )
    if birth < EARLIEST_BIRTH:
        raise _error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期早于 1890 年。"),
            value=mask_id_number(text),
        )
    if not legacy and id_check_char(text[:17]) != text[17]:
        raise _error(
            field,
            "id_checksum",
            _("身份证号 %(value)s 的校验码不正确。"),
            value=mask_id_number(text),
        )
    sex = "M" if int(text[16]) % 2 else "F"
    return IdNumberInfo(value=text, birth_date=birth, sex=sex, region_code=region, legacy=legacy)


def normalise_id_number(value: object, *, field: str = "id_number") -> str:
    """The valid 18-character form of an ID number (raises like :func:`validate_id_number`)."""
    return validate_id_number(value, field=field).value


# ---------------------------------------------------------------------------------------
# Unified social credit codes (GB 32100-2015)

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, Z, S, V
USCC_WEIGHTS: tuple[int, ...] = tuple(pow(3, i, 31) for i in range(17))
_USCC_VALUE = {char: i for i, char in enumerate(USCC_ALPHABET)}

# registering authority → organisation types it issues (GB 32100-2015, table 1)
USCC_AUTHORITIES: dict[str, dict[str, str]] = {
    "1": {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"},
    "2": {"1": "外国常驻新闻机构", "9": "其他"},
    "3": {
        "1": "律师执业机构",
        "2": "公证处",
        "3": "基层法律服务所",
        "4": "司法鉴定机构",
        "5": "仲裁委员会",
        "9": "其他",
    },
    "4": {"1": "外国在华文化中心", "9": "其他"},
    "5": {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"},
    "6": {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地代表机构", "9": "其他"},
    "7": {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"},
    "8": {"1": "基层工会", "9": "其他"},
    "9": {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"},
    "A": {"1": "军队事业单位", "9": "其他"},
    "N": {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"},
    "Y": {"1": "其他"},
}


def uscc_check_char(body: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    if len(body) != 17 or any(char not in _USCC_VALUE for char in body):
        raise ValueError("a credit code body is 17 characters of the code's alphabet")
    total = sum(_USCC_VALUE[char] * weight for char, weight in zip(body, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def validate_uscc(value: object, *, field: str = "uscc") -> str:
    """Check a unified social credit code and return it upper-case, without spaces.

    Codes: ``required``, ``uscc_length``, ``uscc_format`` (a character outside the alphabet,
    e.g. I, O, Z, S, V), ``uscc_authority`` (unknown registering authority or type),
    ``uscc_region`` (the division code), ``uscc_checksum``.
    """
    if _is_blank(value):
        raise _error(field, "required", _("缺少统一社会信用代码。"))
    text = re.sub(r"\s+", "", _text(value).lstrip("'").upper())
    if len(text) != 18:
        raise _error(
            field,
            "uscc_length",
            _("统一社会信用代码“%(value)s”的长度是 %(length)d 位，应为 18 位。"),
            value=text,
            length=len(text),
        )
    bad = sorted({char for char in text if char not in _USCC_VALUE})
    if bad:
        raise _error(
            field,
            "uscc_format",
            _(
                "统一社会信用代码“%(value)s”含有不允许的字符：%(chars)s"
                "（代码中不使用 I、O、Z、S、V）。"
            ),
            value=text,
            chars="、".join(bad),
        )
    types = USCC_AUTHORITIES.get(text[0])
    if types is None or text[1] not in types:
        raise _error(
            field,
            "uscc_authority",
            _("统一社会信用代码“%(value)s”的登记管理部门或机构类别代码无效。"),
            value=text,
        )
    division = text[2:8]
    if not (_ascii_digits(division) and (division[:2] in PROVINCES or division == "100000")):
        raise _error(
            field,
            "uscc_region",
            _("统一社会信用代码“%(value)s”中的行政区划码 %(region)s 无效。"),
            value=text,
            region=division,
        )
    if uscc_check_char(text[:17]) != text[17]:
        raise _error(
            field,
            "uscc_checksum",
            _("统一社会信用代码“%(value)s”的校验码不正确。"),
            value=text,
        )
    return text


def uscc_division(code: str) -> str:
    """The 6-digit division code embedded in a (valid) credit code."""
    return code[2:8]


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
    if _is_blank(value):
        raise _error(field, "required", _("缺少电话号码。"))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value).lstrip("'")
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
    if not _ascii_digits(digits):
        raise _error(
            field,
            "phone_format",
            _("电话号码“%(value)s”含有非法字符。"),
            value=mask_phone(_text(value)),
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
        raise _error(
            field,
            "phone_area_code",
            _("固定电话“%(value)s”缺少区号。"),
            value=mask_phone(digits),
        )
    raise _error(
        field,
        "phone_format",
        _("“%(value)s”不是有效的手机号或固定电话号码。"),
        value=mask_phone(digits),
    )


def is_mobile(phone: str) -> bool:
    """Whether a normalised phone number is a mainland mobile number."""
    return bool(_MOBILE.fullmatch(phone))


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
        raise _error(
            field,
            "date_range",
            _("日期“%(value)s”超出了合理范围。"),
            value=str(raw),
        )
    if whole == 60:  # Excel's 29 February 1900, a day that never was
        raise _error(field, "date_impossible", _("日期“%(value)s”不存在。"), value=str(raw))
    if whole < 60:
        whole += 1
    return EXCEL_EPOCH + timedelta(days=whole)


def _ymd(year: int, month: int, day: int, field: str, raw: object) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise _error(
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
    if _is_blank(value):
        raise _error(field, "required", _("缺少日期。"))
    result: date
    if isinstance(value, datetime):
        result = value.date()
    elif isinstance(value, date):
        result = value
    elif isinstance(value, bool):
        raise _error(field, "date_format", _("“%(value)s”不是日期。"), value=str(value))
    elif isinstance(value, int | float) or type(value).__name__.startswith(("int", "float")):
        number = float(value)  # type: ignore[arg-type]
        if number.is_integer() and 1000 <= number <= 2999:
            raise _error(
                field, "date_format", _("“%(value)s”只有年份，缺少月和日。"), value=str(value)
            )
        if number.is_integer() and 10_000_101 <= number <= 99_991_231:
            match = _COMPACT.fullmatch(str(int(number)))
            assert match is not None
            result = _ymd_match(match, field, value)
        else:
            result = _from_serial(number, field, value)
    else:
        text = _text(value)
        match = _YMD.fullmatch(text) or _ymd_with_time(text)
        if match or (match := _COMPACT.fullmatch(text)) is not None:
            result = _ymd_match(match, field, text)
        elif re.fullmatch(r"[0-9]{4}", text) and 1000 <= int(text) <= 2999:
            raise _error(field, "date_format", _("“%(value)s”只有年份，缺少月和日。"), value=text)
        elif re.fullmatch(r"[0-9]{1,5}(?:\.[0-9]+)?", text):
            result = _from_serial(float(text), field, text)
        else:
            raise _error(
                field,
                "date_format",
                _("无法识别日期“%(value)s”，请写成 2024-03-05 这样的格式。"),
                value=text[:40],
            )
    if result < earliest or (latest is not None and result > latest):
        raise _error(
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


# ---------------------------------------------------------------------------------------
# Sex and ethnicity

_SEX = {
    "男": "M",
    "男性": "M",
    "m": "M",
    "male": "M",
    "1": "M",
    "女": "F",
    "女性": "F",
    "f": "F",
    "female": "F",
    "2": "F",
    # GB/T 2261.1: 0 unknown, 9 not stated
    "0": "",
    "9": "",
    "未知": "",
    "未说明": "",
}


def parse_sex(value: object, *, field: str = "sex") -> str:
    """``"M"``, ``"F"``, or ``""`` (unknown, not stated, blank) from 男/女/M/F/1/2."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value).lower()
    try:
        return _SEX[text]
    except KeyError:
        raise _error(
            field, "sex_invalid", _("无法识别性别“%(value)s”，应为男或女。"), value=text[:20]
        ) from None


# GB/T 3304: code → name
_ETHNICITY_TEXT = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 "
    "土家族 哈尼族 哈萨克族 傣族 黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 "
    "景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 撒拉族 毛南族 仡佬族 锡伯族 阿昌族 "
    "普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 京族 塔塔尔族 "
    "独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
)
ETHNICITIES: dict[int, str] = dict(enumerate(_ETHNICITY_TEXT.split(" "), start=1))
ETHNICITY_CODES: dict[str, str] = {f"{code:02d}": name for code, name in ETHNICITIES.items()} | {
    "97": "其他",
    "98": "外国血统中国籍人士",
}
_ETHNICITY_NAMES = frozenset(ETHNICITY_CODES.values())
_ETHNICITY_STEMS = {name.removesuffix("族"): name for name in ETHNICITIES.values()}
_ETHNICITY_ALIASES = {"其它": "其他", "外国血统": "外国血统中国籍人士", "穿青人": "其他"}


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional characters to simplified (OpenCC t2s)."""
    return str(_t2s().convert(text))


def normalise_ethnicity(value: object, *, field: str = "ethnicity") -> str:
    """The standard name (汉 → 汉族, 01 → 汉族, 漢族 → 汉族); blank stays blank."""
    if _is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = to_simplified(_text(value)).replace(" ", "")
    if _ascii_digits(text):
        name = ETHNICITY_CODES.get(text.zfill(2))
        if name:
            return name
    elif text in _ETHNICITY_NAMES:
        return text
    elif text in _ETHNICITY_STEMS:
        return _ETHNICITY_STEMS[text]
    elif text in _ETHNICITY_ALIASES:
        return _ETHNICITY_ALIASES[text]
    raise _error(field, "ethnicity_invalid", _("无法识别民族“%(value)s”。"), value=text[:20])
