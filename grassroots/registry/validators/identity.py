"""Resident ID numbers (GB 11643) and unified social credit codes (GB 32100), with the
province-level division table both use."""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

from grassroots.core.masking import mask_id_number

from .base import (
    ascii_digits,
    field_error,
    halfwidth,
    is_blank,
    local_today,
)

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
    return len(code) == 6 and ascii_digits(code) and code[:2] in PROVINCES


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
    if len(body) != 17 or not ascii_digits(body):
        raise ValueError("an ID number body is 17 digits")
    # bytes iterate as code points: subtract the weight of the "0"s instead of int() each digit
    total = sum(map(operator.mul, body.encode("ascii"), ID_WEIGHTS)) - _ID_ZERO_WEIGHT
    return ID_CHECK_CHARS[total % 11]


def _clean_id(value: object) -> str:
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    text = halfwidth(value).lstrip("'").upper()
    return "".join(text.split())


def validate_id_number(
    value: object, *, field: str = "id_number", today: date | None = None
) -> IdNumberInfo:
    """Check a resident ID number and read its birth date, sex and region.

    Raises :class:`FieldError` with ``required``, ``id_length``, ``id_format``, ``id_region``,
    ``id_birth_date`` or ``id_checksum`` (checked in that order, so the most specific reason
    is given for a mistyped birth date).
    """
    if is_blank(value):
        raise field_error(field, "required", _("缺少身份证号。"))
    if isinstance(value, float):
        raise field_error(
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
            raise field_error(
                field,
                "id_format",
                _("身份证号被表格软件写成了科学计数法（%(value)s），请把该列设为文本后重新导出。"),
                value=text,
            )
        raise field_error(
            field,
            "id_length",
            _("身份证号 %(value)s 的长度是 %(length)d 位，应为 18 位。"),
            value=mask_id_number(text),
            length=len(text),
        )
    legacy = len(text) == 15
    if legacy:
        if not _ID15.fullmatch(text):
            raise field_error(
                field,
                "id_format",
                _("15 位身份证号 %(value)s 只能由数字组成。"),
                value=mask_id_number(text),
            )
        body = text[:6] + "19" + text[6:]
        text = body + id_check_char(body)
    elif not _ID18.fullmatch(text):
        raise field_error(
            field,
            "id_format",
            _("身份证号 %(value)s 含有非法字符：前 17 位应为数字，末位为数字或 X。"),
            value=mask_id_number(text),
        )
    region = text[:6]
    if not region_plausible(region):
        raise field_error(
            field,
            "id_region",
            _("身份证号 %(value)s 的地区码 %(region)s 不存在。"),
            value=mask_id_number(text),
            region=region,
        )
    try:
        birth = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        raise field_error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期不存在。"),
            value=mask_id_number(text),
        ) from None
    if birth > (today or local_today()):
        raise field_error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期在未来。"),
            value=mask_id_number(text),
        )
    if birth < EARLIEST_BIRTH:
        raise field_error(
            field,
            "id_birth_date",
            _("身份证号 %(value)s 中的出生日期早于 1890 年。"),
            value=mask_id_number(text),
        )
    if not legacy and id_check_char(text[:17]) != text[17]:
        raise field_error(
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
    if is_blank(value):
        raise field_error(field, "required", _("缺少统一社会信用代码。"))
    text = re.sub(r"\s+", "", halfwidth(value).lstrip("'").upper())
    if len(text) != 18:
        raise field_error(
            field,
            "uscc_length",
            _("统一社会信用代码“%(value)s”的长度是 %(length)d 位，应为 18 位。"),
            value=text,
            length=len(text),
        )
    bad = sorted({char for char in text if char not in _USCC_VALUE})
    if bad:
        raise field_error(
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
        raise field_error(
            field,
            "uscc_authority",
            _("统一社会信用代码“%(value)s”的登记管理部门或机构类别代码无效。"),
            value=text,
        )
    division = text[2:8]
    if not (ascii_digits(division) and (division[:2] in PROVINCES or division == "100000")):
        raise field_error(
            field,
            "uscc_region",
            _("统一社会信用代码“%(value)s”中的行政区划码 %(region)s 无效。"),
            value=text,
            region=division,
        )
    if uscc_check_char(text[:17]) != text[17]:
        raise field_error(
            field,
            "uscc_checksum",
            _("统一社会信用代码“%(value)s”的校验码不正确。"),
            value=text,
        )
    return text


def uscc_division(code: str) -> str:
    """The 6-digit division code embedded in a (valid) credit code."""
    return code[2:8]
