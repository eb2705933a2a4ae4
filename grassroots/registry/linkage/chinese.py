"""Chinese names for record linkage: simplified form, surname, pinyin.

Three traps this module exists for:

* DuckDB's string distances count UTF-8 bytes, not characters (``levenshtein('张', '章')``
  is 2), so raw Chinese is only ever compared exactly; fuzzy comparison runs on pinyin,
  which is ASCII.
* pypinyin reads a character by its commonest reading and has no surname mode (checked
  with pypinyin 0.55: ``lazy_pinyin('单')`` is ``dan``, ``'曾'`` ``ceng``, ``'乐'`` ``le``,
  ``'区'`` ``qu``), so the surname is looked up in :data:`SURNAME_PINYIN` first.
* Pinyin merges homophones (张伟 and 章伟 are both ``zhang wei``): pinyin agreement is a
  weaker level than character agreement and never confirms identity on its own.

Traditional characters are folded to simplified (OpenCC ``t2s``) before anything else, so
張偉 and 张伟 are the same name.

Pinyin is looked up character by character (the commonest reading of each character, the
surname table for the surname) rather than with pypinyin's phrase segmentation: it is 50
times faster, and both sides of a comparison go through the same function, which is all
that consistency needs.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc
from pypinyin import Style
from pypinyin import pinyin as _pypinyin

# Surnames whose reading differs from the character's commonest reading, and the
# compound surnames (checked before single characters). Readings per 《百家姓》 and the
# 现代汉语词典 surname entries.
SURNAME_PINYIN: dict[str, str] = {
    # compound surnames
    "尉迟": "yuchi",
    "万俟": "moqi",
    "长孙": "zhangsun",
    "单于": "chanyu",
    "欧阳": "ouyang",
    "司马": "sima",
    "诸葛": "zhuge",
    "上官": "shangguan",
    "皇甫": "huangfu",
    "令狐": "linghu",
    "澹台": "tantai",
    "宇文": "yuwen",
    "东方": "dongfang",
    "公孙": "gongsun",
    "慕容": "murong",
    "夏侯": "xiahou",
    "端木": "duanmu",
    "独孤": "dugu",
    "南宫": "nangong",
    "西门": "ximen",
    "轩辕": "xuanyuan",
    "呼延": "huyan",
    "司徒": "situ",
    "司空": "sikong",
    # single characters read differently as a surname
    "单": "shan",
    "曾": "zeng",
    "乐": "yue",
    "解": "xie",
    "仇": "qiu",
    "朴": "piao",
    "查": "zha",
    "区": "ou",
    "盖": "ge",
    "缪": "miao",
    "翟": "zhai",
    "覃": "qin",
    "秘": "bi",
    "繁": "po",
    "种": "chong",
    "召": "shao",
    "祭": "zhai",
    "能": "nai",
    "员": "yun",
    "柏": "bai",
    "谌": "chen",
    "冼": "xian",
    "燕": "yan",
    "宓": "mi",
    "贲": "ben",
    "佴": "nai",
    "纪": "ji",
    "过": "guo",
    "尉": "wei",
    "长": "chang",
    "重": "chong",
    "蕃": "pi",
    "阚": "kan",
    "句": "gou",
    "相": "xiang",
    "折": "she",
    "都": "du",
    "訾": "zi",
    "逄": "pang",
    "隗": "wei",
    "华": "hua",
    "朝": "chao",
    "沈": "shen",
    "石": "shi",
    "薄": "bo",
    "叶": "ye",
    "牟": "mou",
    "洗": "xian",
    "莘": "shen",
    "郇": "huan",
    "眭": "sui",
    "禚": "zhuo",
    "厍": "she",
    "哈": "ha",
    "黑": "he",
    "乜": "nie",
    "隽": "juan",
}

_COMPOUND = frozenset(s for s in SURNAME_PINYIN if len(s) == 2)
_T2S = opencc.OpenCC("t2s")
# Separators inside names of minority or foreign people (买买提·艾力), spaces, punctuation.
_NAME_DROP = re.compile(r"[\s·•・.．\-_,，、()（）]+")


@lru_cache(maxsize=65536)
def to_simplified(text: str) -> str:
    """Traditional → simplified, full-width → half-width (NFKC), trimmed."""
    return _T2S.convert(unicodedata.normalize("NFKC", text)).strip()


def to_simplified_text(text: str) -> str:
    """OpenCC t2s of any text (no cache: for long joined batches)."""
    return str(_T2S.convert(text))


def normalise_name(name: str | None) -> str | None:
    """The name as compared character by character: simplified, without separators."""
    if name is None:
        return None
    text = _NAME_DROP.sub("", to_simplified(str(name))).lower()
    return text or None


def split_surname(name: str) -> tuple[str, str]:
    """(surname, given name) of a normalised name; compound surnames first."""
    if len(name) >= 3 and name[:2] in _COMPOUND:
        return name[:2], name[2:]
    if len(name) == 2 and name in _COMPOUND:  # 欧阳 alone: a surname, no given name
        return name, ""
    return name[:1], name[1:]


@lru_cache(maxsize=16384)
def char_pinyin(char: str) -> str:
    """The commonest toneless reading of one character; other characters as they are."""
    if "\u3400" <= char <= "\u9fff" or "\uf900" <= char <= "\ufaff":
        reading = _pypinyin(char, style=Style.NORMAL, heteronym=False, errors="ignore")
        if reading and reading[0]:
            return reading[0][0].replace("ü", "v")
    return char


def surname_pinyin(surname: str) -> str:
    """Pinyin of a surname, with the surname readings (单 shan, 曾 zeng, 乐 yue)."""
    known = SURNAME_PINYIN.get(surname)
    if known is not None:
        return known
    return "".join(char_pinyin(c) for c in surname)


def given_pinyin(given: str) -> str:
    return "".join(char_pinyin(c) for c in given)


def name_pinyin(name: str) -> tuple[str, str, str]:
    """(surname pinyin, given-name pinyin, full pinyin) of a normalised name."""
    surname, given = split_surname(name)
    s, g = surname_pinyin(surname), given_pinyin(given)
    return s, g, s + g


def name_features(name: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    """(normalised name, surname pinyin, given pinyin, full pinyin) — None when empty."""
    normalised = normalise_name(name)
    if normalised is None:
        return None, None, None, None
    s, g, full = name_pinyin(normalised)
    return normalised, s or None, g or None, full or None


_SEPARATOR = "\x1f"  # unit separator: untouched by NFKC and OpenCC
# _NAME_DROP without \s (which takes in the separator): the usual spaces by name
_NAME_DROP_BUT_SEPARATOR = re.compile(r"[ \t\r\n\v\f\u00a0\u3000·•・.．\-_,，、()（）]+")


def name_features_many(
    names: list[str],
) -> list[tuple[str | None, str | None, str | None, str | None]]:
    """:func:`name_features` of many names at once: one NFKC, one OpenCC and one regular
    expression pass over all of them joined, then pinyin from a per-character table."""
    if not names:
        return []
    text = unicodedata.normalize("NFKC", _SEPARATOR.join(names))
    text = _T2S.convert(text)
    text = _NAME_DROP_BUT_SEPARATOR.sub("", text)
    parts = text.lower().split(_SEPARATOR)
    if len(parts) != len(names):  # a separator inside a name: the careful way
        return [name_features(n) for n in names]
    readings = {c: char_pinyin(c) for c in set("".join(parts))}
    out: list[tuple[str | None, str | None, str | None, str | None]] = []
    for name in parts:
        if not name:
            out.append((None, None, None, None))
            continue
        surname, given = split_surname(name)
        s = SURNAME_PINYIN.get(surname) or "".join(readings[c] for c in surname)
        g = "".join(readings[c] for c in given)
        out.append((name, s or None, g or None, (s + g) or None))
    return out
