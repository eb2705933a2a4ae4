"""Sex and ethnicity (GB/T 2261.1, GB/T 3304)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.utils.translation import gettext_lazy as _

from .base import (
    ascii_digits,
    field_error,
    halfwidth,
    is_blank,
)

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
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = halfwidth(value).lower()
    try:
        return _SEX[text]
    except KeyError:
        raise field_error(
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
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = to_simplified(halfwidth(value)).replace(" ", "")
    if ascii_digits(text):
        name = ETHNICITY_CODES.get(text.zfill(2))
        if name:
            return name
    elif text in _ETHNICITY_NAMES:
        return text
    elif text in _ETHNICITY_STEMS:
        return _ETHNICITY_STEMS[text]
    elif text in _ETHNICITY_ALIASES:
        return _ETHNICITY_ALIASES[text]
    raise field_error(field, "ethnicity_invalid", _("无法识别民族“%(value)s”。"), value=text[:20])
