"""Suggest a category from a resident's description.

Both the description and each category's name and keywords are normalised the same way
as search (``cases.search.normalise``: OpenCC traditional→simplified, lower case), so
「下水道堵塞」, 「下水道堵塞」 and "blocked sewer" all find 下水道堵塞. A category scores
for

* each of its keywords found in the text (the words residents use: 堵, 不亮, 噪音 …),
  weighted by the keyword's length;
* its whole name found in the text;
* each two-character piece of its name found in the text (下水, 水道, 道堵 …);
* each distinct character of its name found in the text (a small tie-breaker);
* each word of its English name found in an English text.

The best ``limit`` categories with a positive score are returned, best first; ties go to
events before components before hotline types, then by code. It is a ranking for a
person to confirm, not a classifier: the reporter always chooses.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from django.db.models import Count, Max

from .models import Category
from .search import normalise

KEYWORD_WEIGHT = 2.0
NAME_WEIGHT = 3.0
BIGRAM_WEIGHT = 2.0
CHAR_WEIGHT = 0.5
ENGLISH_WEIGHT = 2.0
MIN_SCORE = 1.0
MAX_QUERY = 2000
# Characters too common to say anything about a category on their own.
_STOP_CHARS = frozenset("的了在是有不人我们这那个一和就都也很到说要会着没吗呢吧啊")
_STOP_WORDS = frozenset({"the", "a", "an", "of", "or", "and", "to", "in", "on", "by", "for"})
_KIND_ORDER = {"event": 0, "component": 1, "hotline": 2}
_WORD = re.compile(r"[a-z][a-z\-']+")


@dataclass(frozen=True)
class Suggestion:
    category_id: int
    score: float


@dataclass(frozen=True)
class _Entry:
    category_id: int
    order: tuple[int, str]
    name: str
    bigrams: frozenset[str]
    chars: frozenset[str]
    keywords: tuple[str, ...]
    english: frozenset[str]


def _is_cjk(text: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in text)


def _entry(category: Category) -> _Entry:
    name = normalise(category.name).replace(" ", "")
    english_words = _WORD.findall(normalise(category.name_en))
    return _Entry(
        category_id=category.pk,
        order=(_KIND_ORDER.get(category.kind, 9), category.code),
        name=name,
        bigrams=frozenset(name[i : i + 2] for i in range(len(name) - 1)),
        chars=frozenset(ch for ch in name if _is_cjk(ch) and ch not in _STOP_CHARS),
        keywords=tuple(sorted(set(normalise(category.keywords).split()))),
        english=frozenset(w for w in english_words if len(w) > 2 and w not in _STOP_WORDS),
    )


class _Index:
    """The active categories, prepared once per process and rebuilt when they change."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: tuple[int, object] | None = None
        self.entries: list[_Entry] = []

    def get(self) -> list[_Entry]:
        state = Category.objects.filter(is_active=True).aggregate(
            n=Count("id"), changed=Max("updated_at")
        )
        version = (state["n"], state["changed"])
        if version != self.version:
            with self.lock:
                self.entries = [_entry(c) for c in Category.objects.filter(is_active=True)]
                self.version = version
        return self.entries


_index = _Index()


def _score(entry: _Entry, text: str, words: set[str]) -> float:
    score = 0.0
    for keyword in entry.keywords:
        if _is_cjk(keyword):
            if keyword in text:
                score += KEYWORD_WEIGHT * len(keyword)
        elif keyword in words:
            score += KEYWORD_WEIGHT * 2
    if entry.name and entry.name in text:
        score += NAME_WEIGHT * len(entry.name)
    score += BIGRAM_WEIGHT * sum(1 for b in entry.bigrams if b in text)
    score += CHAR_WEIGHT * sum(1 for ch in entry.chars if ch in text)
    score += ENGLISH_WEIGHT * len(entry.english & words)
    return score


def suggest(text: str, *, limit: int = 3) -> list[Suggestion]:
    """The categories that best fit ``text``, best first (at most ``limit``)."""
    normalised = normalise((text or "")[:MAX_QUERY])
    if not normalised:
        return []
    compact = normalised.replace(" ", "")
    words = set(_WORD.findall(normalised))
    # English plurals: "drains" also counts as "drain".
    words |= {w[:-1] for w in words if w.endswith("s") and len(w) > 3}
    scored = []
    for entry in _index.get():
        score = _score(entry, compact, words)
        if score >= MIN_SCORE:
            scored.append((-score, entry.order, entry.category_id))
    scored.sort()
    return [Suggestion(category_id=cid, score=-neg) for neg, _order, cid in scored[:limit]]


def suggest_categories(text: str, *, limit: int = 3) -> list[Category]:
    """Like :func:`suggest`, as ``Category`` rows in rank order."""
    ranked = suggest(text, limit=limit)
    by_id = Category.objects.in_bulk([s.category_id for s in ranked])
    return [by_id[s.category_id] for s in ranked if s.category_id in by_id]
