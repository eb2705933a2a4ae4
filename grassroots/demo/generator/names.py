"""Plausible Chinese place and person names for the demo tree, with English forms.

Names are drawn from small pools of characters common in Beijing place names; a
``NameBook`` never hands out the same name twice, so names are unique across one build.
"""

from __future__ import annotations

import random

from pypinyin import lazy_pinyin

_FIRST = "东西南北新长永和安兴光建景德福康宁华春泰嘉瑞明青文金龙凤红枣柳松桃"
_SECOND = "华安平兴宁园桥门湖山河苑林庄坊阳泉源盛和祥丰德乐顺城台营塘溪"
_COMMUNITY_SUFFIX = [
    "里",
    "东里",
    "西里",
    "北里",
    "南里",
    "家园",
    "花园",
    "新村",
    "小区",
    "路",
    "胡同",
    "一区",
    "二区",
    "大街",
    "",
]
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程"
)
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰红建国志梅琳斌宇浩凯欣怡晨阳"


def pinyin(text: str) -> str:
    """Chinese text as capitalised pinyin without tones: 和平里 → Hepingli."""
    return "".join(lazy_pinyin(text)).capitalize()


class NameBook:
    """Unique names for one build, drawn from a seeded ``random.Random``."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _stem(self, suffixes: list[str], *, fallback: str) -> str:
        for _ in range(200):
            first, second = self.rng.choice(_FIRST), self.rng.choice(_SECOND)
            if first == second:
                continue
            stem = first + second + self.rng.choice(suffixes)
            if stem not in self.used:
                self.used.add(stem)
                return stem
        stem = f"{fallback}{len(self.used) + 1}"
        self.used.add(stem)
        return stem

    def district(self) -> tuple[str, str]:
        stem = self._stem([""], fallback="新")
        return f"{stem}区", f"{pinyin(stem)} District"

    def street(self) -> tuple[str, str]:
        stem = self._stem([""], fallback="街")
        return f"{stem}街道", f"{pinyin(stem)} Subdistrict"

    def community(self) -> tuple[str, str]:
        stem = self._stem(_COMMUNITY_SUFFIX, fallback="社")
        return f"{stem}社区", f"{pinyin(stem)} Community"

    def person(self) -> str:
        given = self.rng.choice(_GIVEN)
        if self.rng.random() < 0.6:
            given += self.rng.choice(_GIVEN)
        return self.rng.choice(_SURNAMES) + given


def grid_name(community_name: str, number: int) -> tuple[str, str]:
    """``和平里社区第3网格`` and its English form."""
    stem = community_name.removesuffix("社区")
    return f"{community_name}第{number}网格", f"{pinyin(stem)} Community Grid {number}"
