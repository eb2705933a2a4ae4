"""Category suggestion from a description: keywords and names, simplified and traditional."""

from __future__ import annotations

import pytest

from grassroots.cases.models import Category
from grassroots.cases.suggest import suggest, suggest_categories

pytestmark = pytest.mark.django_db


def names(text: str) -> list[str]:
    return [c.name for c in suggest_categories(text)]


def test_blocked_drain_in_everyday_words_comes_first():
    assert names("下水道堵了")[0] == "下水道堵塞"


def test_traditional_input_matches_simplified_categories():
    assert names("下水道堵塞")[0] == "下水道堵塞"
    assert names("社區門口下水道堵了，汙水冒出來")[0] == "下水道堵塞"
    assert names("路燈不亮，晚上很黑")[0] == "路灯"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("楼下广场舞音响太吵了", {"商业噪音", "噪音扰民"}),
        ("路边有个井盖松动了，很危险", None),  # a manhole cover category
        ("小区门口有人乱停车，堵住了大门", {"机动车乱停放"}),
        ("The street light outside is dark", {"路灯"}),
    ],
)
def test_everyday_descriptions(text, expected):
    found = names(text)
    assert found, text
    if expected is None:
        assert "井盖" in found[0]
    else:
        assert found[0] in expected


def test_at_most_three_best_first_and_nothing_for_noise():
    ranked = suggest("下水道堵了，污水冒出来，路上积水")
    assert 1 <= len(ranked) <= 3
    assert [r.score for r in ranked] == sorted((r.score for r in ranked), reverse=True)
    assert suggest("") == []
    assert suggest("   ") == []
    assert suggest("xyzzy") == []


def test_inactive_categories_are_not_suggested_and_edits_are_seen():
    drain = Category.objects.get(kind="event", code="0404")
    drain.is_active = False
    drain.save()
    assert "下水道堵塞" not in names("下水道堵了")
    drain.is_active = True
    drain.keywords = "臭水沟"
    drain.save()
    assert names("门口的臭水沟")[0] == "下水道堵塞"


def test_long_text_is_cut_not_refused():
    assert names("下水道堵了" + "啊" * 10_000)[0] == "下水道堵塞"
