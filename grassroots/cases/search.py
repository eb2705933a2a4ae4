"""Search text of cases: simplified and traditional Chinese match each other.

Every case stores ``search_text``: its tracking code, category, address and description
converted to simplified Chinese (OpenCC t2s) and lower-cased. A query is normalised the
same way, so 「下水道堵塞」 finds 「下水道堵塞」 and 「下水道堵塞」 alike.

The query side, :func:`search_cases`, is a small vendor seam. Every whitespace-separated
term of the normalised query must occur in ``search_text`` (AND), newest first:

* **SQLite** with the FTS5 table ``cases_case_fts`` (``trigram`` tokenizer, SQLite ≥ 3.34,
  kept in sync with ``cases_case`` by triggers; see :data:`SQLITE_FTS_SQL`): a term of
  three or more characters is a phrase of the trigram index. A two-character term (most
  Chinese words) is the OR of the indexed trigrams that begin with it, read from the
  index's vocabulary (``cases_case_fts_vocab``): every text is indexed with a trailing
  space, so each occurrence of the term begins some trigram and the answer is exact.
  One-character terms are checked with ``LIKE`` on the rows the index found.
* **PostgreSQL** with ``pg_trgm`` and a GIN trigram index on ``search_text``
  (see :data:`POSTGRES_TRGM_SQL`): the planner uses the index for ``LIKE '%term%'`` by
  itself, so the query is the plain ``contains`` lookup.
* Anything else, or either database without its index: ``contains`` per term — correct,
  only slower.

Whether the SQLite table exists is asked once per connection (:func:`fts_available`).
"""

from __future__ import annotations

import sqlite3
from functools import lru_cache
from typing import Any, TypeVar

import opencc
from django.db import connections
from django.db.models import Model, Q, QuerySet
from django.db.models.expressions import RawSQL

M = TypeVar("M", bound=Model)

FTS_TABLE = "cases_case_fts"
FTS_VOCAB = "cases_case_fts_vocab"
FTS_MATCH_SQL = "SELECT rowid FROM cases_case_fts WHERE cases_case_fts MATCH %s"
FTS_VOCAB_SQL = (
    "SELECT term FROM cases_case_fts_vocab WHERE term >= %s AND term < %s AND length(term) = 3"
)
FTS_OBJECTS = (
    FTS_TABLE,
    FTS_VOCAB,
    "cases_case_fts_ai",
    "cases_case_fts_ad",
    "cases_case_fts_au",
)
# A two-character term that begins more trigrams than this is checked with LIKE instead.
MAX_EXPANSION = 2000
# FTS5's trigram tokenizer indexes every run of three characters; shorter terms cannot
# use it.
TRIGRAM = 3
# The trigram tokenizer arrived in SQLite 3.34.0.
SQLITE_TRIGRAM_VERSION = (3, 34, 0)

# The SQLite index: a contentless FTS5 trigram table over cases_case.search_text with a
# trailing space (so a two-character term always begins a trigram), its vocabulary, and
# triggers keeping it in step with every write (contentless: a delete names the old text).
SQLITE_FTS_SQL: list[str] = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_case_fts USING fts5("
    "search_text, content='', tokenize='trigram')",
    "CREATE VIRTUAL TABLE IF NOT EXISTS cases_case_fts_vocab "
    "USING fts5vocab(cases_case_fts, 'row')",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_ai AFTER INSERT ON cases_case BEGIN "
    "INSERT INTO cases_case_fts(rowid, search_text) VALUES (new.id, new.search_text || ' '); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_ad AFTER DELETE ON cases_case BEGIN "
    "INSERT INTO cases_case_fts(cases_case_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text || ' '); END",
    "CREATE TRIGGER IF NOT EXISTS cases_case_fts_au AFTER UPDATE OF search_text ON cases_case "
    "BEGIN INSERT INTO cases_case_fts(cases_case_fts, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text || ' '); "
    "INSERT INTO cases_case_fts(rowid, search_text) VALUES (new.id, new.search_text || ' '); "
    "END",
    # Index what is already there.
    "INSERT INTO cases_case_fts(rowid, search_text) SELECT id, search_text || ' ' FROM cases_case",
]
SQLITE_FTS_DROP_SQL: list[str] = [
    "DROP TRIGGER IF EXISTS cases_case_fts_au",
    "DROP TRIGGER IF EXISTS cases_case_fts_ad",
    "DROP TRIGGER IF EXISTS cases_case_fts_ai",
    "DROP TABLE IF EXISTS cases_case_fts_vocab",
    "DROP TABLE IF EXISTS cases_case_fts",
]
# The PostgreSQL index. pg_trgm only makes trigrams of characters the database's locale
# calls alphanumeric: the database needs a UTF-8 locale other than "C" (e.g. C.UTF-8,
# zh_CN.UTF-8) for Chinese text to be indexed.
POSTGRES_TRGM_SQL: list[str] = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS cases_case_search_trgm "
    "ON cases_case USING gin (search_text gin_trgm_ops)",
]
POSTGRES_TRGM_DROP_SQL: list[str] = ["DROP INDEX IF EXISTS cases_case_search_trgm"]


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Simplified Chinese, lower case, single spaces."""
    return " ".join(_t2s().convert(text or "").lower().split())


def search_text_for(
    *, tracking_code: str, category_name: str, address: str, description: str
) -> str:
    return normalise(" ".join([tracking_code, category_name, address, description]))


def query_terms(query: str, *, limit: int = 8) -> list[str]:
    """The distinct normalised terms of ``query`` (at most ``limit``; the rest is noise)."""
    terms: list[str] = []
    for term in normalise(query).split():
        if term not in terms:
            terms.append(term[:100])
    return terms[:limit]


# --- the vendor seam ---------------------------------------------------------------------


def sqlite_has_trigram() -> bool:
    return sqlite3.sqlite_version_info >= SQLITE_TRIGRAM_VERSION


def fts_available(using: str = "default") -> bool:
    """Whether the SQLite FTS5 trigram table, its vocabulary and the three triggers that
    keep it in step exist on this connection (asked once per connection and remembered on
    it; :func:`forget_fts` after creating or dropping them). A migration that rebuilds
    ``cases_case`` on SQLite drops its triggers: the search then falls back to ``LIKE``
    (right, only slower) until the index is installed again."""
    connection = connections[using]
    if connection.vendor != "sqlite" or not sqlite_has_trigram():
        return False
    cached = getattr(connection, "_grassroots_fts", None)
    if cached is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM sqlite_master WHERE name IN (%s, %s, %s, %s, %s)",
                list(FTS_OBJECTS),
            )
            cached = cursor.fetchone()[0] == len(FTS_OBJECTS)
        connection._grassroots_fts = cached  # type: ignore[attr-defined]
    return bool(cached)


def forget_fts(using: str = "default") -> None:
    connections[using].__dict__.pop("_grassroots_fts", None)


def install_index(using: str = "default") -> bool:
    """Create the search index of this database's vendor (what the migration does).
    Returns whether there was one to create."""
    connection = connections[using]
    if connection.vendor == "sqlite" and sqlite_has_trigram():
        statements = SQLITE_FTS_SQL
    elif connection.vendor == "postgresql":
        statements = POSTGRES_TRGM_SQL
    else:
        return False
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    forget_fts(using)
    return True


def drop_index(using: str = "default") -> None:
    connection = connections[using]
    statements = {"sqlite": SQLITE_FTS_DROP_SQL, "postgresql": POSTGRES_TRGM_DROP_SQL}.get(
        connection.vendor, []
    )
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
    forget_fts(using)


def _fts_phrase(term: str) -> str:
    """One FTS5 phrase: the term in double quotes (a quote inside doubled)."""
    return '"' + term.replace('"', '""') + '"'


def _contains_all(terms: list[str]) -> Q:
    q = Q()
    for term in terms:
        q &= Q(search_text__contains=term)
    return q


def _expand_pair(term: str, using: str) -> str | None:
    """A two-character term as the OR of the indexed trigrams that begin with it;
    ``""`` when no text holds it, ``None`` when it begins too many to list."""
    upper = term[:-1] + chr(ord(term[-1]) + 1)
    with connections[using].cursor() as cursor:
        cursor.execute(FTS_VOCAB_SQL, [term, upper])
        trigrams = [row[0] for row in cursor.fetchmany(MAX_EXPANSION + 1)]
    if len(trigrams) > MAX_EXPANSION:
        return None
    if not trigrams:
        return ""
    return "(" + " OR ".join(_fts_phrase(t) for t in trigrams) + ")"


def _fts_query(terms: list[str], using: str) -> tuple[str | None, list[str]]:
    """The FTS5 MATCH expression for ``terms`` and the terms left to ``LIKE``;
    ``("", [])`` when some term cannot match at all."""
    parts: list[str] = []
    rest: list[str] = []
    for term in terms:
        if len(term) >= TRIGRAM:
            parts.append(_fts_phrase(term))
        elif len(term) == TRIGRAM - 1:
            expanded = _expand_pair(term, using)
            if expanded == "":
                return "", []
            if expanded is None:
                rest.append(term)
            else:
                parts.append(expanded)
        else:
            rest.append(term)
    return (" AND ".join(parts) if parts else None), rest


def search_cases(qs: QuerySet[M], query: str) -> QuerySet[M]:
    """``qs`` limited to the cases whose search text holds every term of ``query``
    (simplified and traditional alike), newest first. An empty query changes nothing."""
    terms = query_terms(query)
    if not terms:
        return qs
    using: Any = qs.db
    if fts_available(using):
        match, rest = _fts_query(terms, using)
        if match == "":
            return qs.none()
        if match is not None:
            qs = qs.filter(
                # constant SQL; the user's terms travel as a parameter
                pk__in=RawSQL(FTS_MATCH_SQL, [match])  # noqa: S611
            )
            return qs.filter(_contains_all(rest)).order_by("-created_at", "-pk")
    # PostgreSQL's trigram index serves LIKE '%term%' directly; elsewhere a scan.
    return qs.filter(_contains_all(terms)).order_by("-created_at", "-pk")
