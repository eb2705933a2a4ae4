"""Chinese names for linkage: surnames, pinyin, traditional characters (linkage.chinese)."""

from __future__ import annotations

import pytest
from pypinyin import lazy_pinyin

from grassroots.registry.linkage.chinese import (
    name_features,
    normalise_name,
    split_surname,
    surname_pinyin,
)


@pytest.mark.parametrize(
    ("name", "surname", "expected"),
    [
        ("单雄信", "单", "shan"),
        ("曾国藩", "曾", "zeng"),
        ("乐嘉", "乐", "yue"),
        ("解缙", "解", "xie"),
        ("仇英", "仇", "qiu"),
        ("朴树", "朴", "piao"),
        ("查良镛", "查", "zha"),
        ("区志强", "区", "ou"),
        ("尉迟恭", "尉迟", "yuchi"),
        ("欧阳修", "欧阳", "ouyang"),
        ("诸葛亮", "诸葛", "zhuge"),
    ],
)
def test_surnames_read_as_surnames(name, surname, expected):
    assert split_surname(name)[0] == surname
    assert surname_pinyin(surname) == expected
    assert name_features(name)[1] == expected


def test_pypinyin_alone_misreads_the_surnames():
    """The trap the surname table exists for (pypinyin 0.55 has no surname mode)."""
    assert lazy_pinyin("单") == ["dan"]
    assert lazy_pinyin("曾") == ["ceng"]
    assert lazy_pinyin("乐") == ["le"]


def test_traditional_is_simplified_and_separators_are_dropped():
    assert normalise_name("張偉") == normalise_name("张伟") == "张伟"
    assert normalise_name("歐陽修") == "欧阳修"
    assert normalise_name(" 李  明 ") == "李明"
    assert normalise_name("买买提·艾力") == "买买提艾力"
    assert normalise_name("") is None
    assert normalise_name(None) is None
    assert name_features("張偉") == name_features("张伟")


def test_homophones_share_pinyin_but_not_characters():
    a, b = name_features("张伟"), name_features("章伟")
    assert a[3] == b[3] == "zhangwei"
    assert a[0] != b[0]


def test_given_name_single_characters_and_latin():
    assert name_features("王") == ("王", "wang", None, "wang")
    assert name_features("ＪＯＨＮ")[0] == "john"
