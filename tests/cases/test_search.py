"""Chinese full-text search: simplified and traditional match each other, every term must
match (AND), newest first; the same answers with and without the vendor's index."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from grassroots.cases import search
from grassroots.cases.models import Case
from grassroots.cases.search import normalise, query_terms, search_cases

from .factories import category, make_world
from .test_services import submit

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["plain", "index"])
def index(request):
    """Run each test without the search index and with the vendor's index installed
    (either way inside the test's transaction, which takes it back)."""
    search.forget_fts()
    if request.param == "plain":
        search.drop_index()  # in case a migration installed it
    if request.param == "index":
        if connection.vendor == "sqlite" and not search.sqlite_has_trigram():
            pytest.skip("SQLite without the trigram tokenizer")
        try:
            installed = search.install_index()
        except Exception as exc:  # e.g. no right to CREATE EXTENSION on PostgreSQL
            pytest.skip(f"cannot install the search index: {exc}")
        if not installed:
            pytest.skip(f"no search index for {connection.vendor}")
    yield request.param
    search.forget_fts()  # the table goes with the test's transaction


@pytest.fixture
def world():
    return make_world()


@pytest.fixture
def cases(world, index):
    made = {
        "simplified": submit(world, description="小区门口下水道堵塞，污水冒出来"),
        "traditional": submit(
            world,
            category=category("component", "0118"),
            description="社區門口的路燈壞了，晚上很黑",
        ),
        "mixed": submit(
            world,
            category=category("event", "0102"),
            description="路灯旁边的下水道井盖松动",
            address="幸福路12号",
        ),
        "english": submit(
            world, category=category("event", "0507"), description="Manhole COVER missing"
        ),
    }
    # a clear order by recency
    now = timezone.now()
    for i, case in enumerate(made.values()):
        Case.objects.filter(pk=case.pk).update(created_at=now - timedelta(minutes=10 - i))
    return made


def found(query: str) -> list[str]:
    return [c.description for c in search_cases(Case.objects.all(), query)]


def names(cases, *keys) -> list[str]:
    return [cases[k].description for k in keys]


def test_normalise_and_terms():
    assert normalise("  社區  路燈 ABC ") == "社区 路灯 abc"
    assert query_terms("路燈 路灯  壞了") == ["路灯", "坏了"]
    assert query_terms("") == []


def test_simplified_query_finds_traditional_text(cases):
    assert found("路灯坏了") == names(cases, "traditional")


def test_traditional_query_finds_simplified_text(cases):
    assert found("汙水") == names(cases, "simplified")
    assert found("小區門口") == names(cases, "simplified")
    assert found("下水道堵塞") == names(cases, "simplified")
    assert found("下水道") == names(cases, "mixed", "simplified")


def test_every_term_must_match(cases):
    assert found("路灯 下水道") == names(cases, "mixed")
    assert found("路燈 井蓋 幸福路") == names(cases, "mixed")
    assert found("路灯 不存在的词") == []


def test_short_terms_and_case(cases):
    assert found("井盖") == names(cases, "mixed")  # two characters: below a trigram
    assert found("manhole cover") == names(cases, "english")
    assert found("污水 下水道堵塞") == names(cases, "simplified")


def test_tracking_code_and_address(cases):
    code = cases["simplified"].tracking_code
    assert found(code.lower()) == names(cases, "simplified")
    assert found("幸福路") == names(cases, "mixed")


def test_empty_query_changes_nothing(cases):
    qs = Case.objects.all()
    assert search_cases(qs, "   ") is qs


def test_quotes_and_operators_are_just_text(cases):
    assert found('"下水道" OR 路灯') == []
    assert found("下水道*") == []


def test_the_index_is_used_when_there(cases, index):
    sql = str(search_cases(Case.objects.all(), "下水道 井盖").query)
    if index == "index" and connection.vendor == "sqlite":
        assert search.FTS_TABLE in sql
    else:
        assert search.FTS_TABLE not in sql


def test_without_its_triggers_the_index_is_not_trusted(cases, index):
    if index != "index" or connection.vendor != "sqlite":
        pytest.skip("the SQLite index")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER cases_case_fts_au")
    search.forget_fts()
    assert not search.fts_available()
    assert search.FTS_TABLE not in str(search_cases(Case.objects.all(), "下水道").query)
    assert found("下水道堵塞") == names(cases, "simplified")


def test_index_follows_changes(cases, index):
    case = cases["english"]
    Case.objects.filter(pk=case.pk).update(search_text=normalise("排水管道破裂"))
    assert [c.pk for c in search_cases(Case.objects.all(), "排水管道")] == [case.pk]
    assert list(search_cases(Case.objects.all(), "manhole")) == []
    Case.objects.filter(pk=case.pk).delete()
    assert list(search_cases(Case.objects.all(), "排水管道")) == []


def test_two_character_terms_at_the_very_end_and_single_characters(world, index):
    at_end = submit(world, category=category("event", "0102"), description="门口堆着很多垃圾桶")
    Case.objects.filter(pk=at_end.pk).update(search_text=normalise("门口堆着很多垃圾桶"))
    assert [c.pk for c in search_cases(Case.objects.all(), "圾桶")] == [at_end.pk]
    assert [c.pk for c in search_cases(Case.objects.all(), "桶")] == [at_end.pk]
    assert list(search_cases(Case.objects.all(), "桶子")) == []
    sql = str(search_cases(Case.objects.all(), "垃圾").query)
    assert (search.FTS_TABLE in sql) == (index == "index" and connection.vendor == "sqlite")


def test_too_common_a_pair_falls_back_to_like(cases, index, monkeypatch):
    monkeypatch.setattr(search, "MAX_EXPANSION", 0)
    assert found("井盖") == names(cases, "mixed")
    assert found("井盖 幸福路") == names(cases, "mixed")
