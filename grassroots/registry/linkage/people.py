"""The model for people of the registry: what is compared, how pairs are found.

Every comparison uses Splink's comparison library or plain SQL (``=``, ``substr``,
``levenshtein``, ``jaro_winkler``) that Splink translates for each backend, so the same
settings run on DuckDB here and on Spark (Splink's SparkAPI registers its similarity
functions) for a province-sized registry. Raw Chinese is only compared with ``=``:
DuckDB's string distances count UTF-8 bytes (levenshtein('张', '章') = 2). Fuzziness runs
on ASCII: pinyin, digits.

Comparisons and their levels (labels are the codes shown in review explanations):

========== ===================================================================
name       exact (characters, term-frequency adjusted: 张伟 says less than 诸葛亮)
           · pinyin (homophone: 张伟/章伟 — never enough alone) · same_surname
           (surname pinyin equal, given-name pinyin Jaro-Winkler ≥ 0.75: one
           character off) · surname_only · different
birth_date exact · swapped (month and day) · typo (one character) · different
id_number  exact · typo (one character: a mistyped digit) · different
contact    phone_and_address · phone · address (the flat: road|number|building|
           unit|room) · phone_typo (one digit) · different — phone and
           address in one comparison because they are not independent (a household
           shares both)
sex        exact · different
========== ===================================================================

Blocking (pairs scored): same ID number; same phone; same birth date and name pinyin;
same birth date and given-name pinyin; same name pinyin and building. Training: u from
random pairs (exact agreement counted over all pairs); m by expectation maximisation
blocked on the ID number (estimates everything but the ID), then on name + birth date
(estimates the ID, contact and sex) — neither rule is about where people live, so EM
cannot learn "same household" as "same person".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import splink.comparison_level_library as cll
from splink import block_on
from splink.comparison_library import CustomComparison
from splink.internals.comparison_creator import ComparisonCreator
from splink.internals.comparison_level_creator import ComparisonLevelCreator

from .engine import LinkageSpec

KNOWN_GOOD = Path(__file__).with_name("known_good_people.json")


def _level(creator: ComparisonLevelCreator, label: str, **options: Any) -> ComparisonLevelCreator:
    return creator.configure(label_for_charts=label, **options)


def comparisons() -> list[ComparisonCreator]:
    name = CustomComparison(
        output_column_name="name",
        comparison_levels=[
            cll.NullLevel("name_s"),
            _level(cll.ExactMatchLevel("name_s"), "exact", tf_adjustment_column="name_s"),
            # term-frequency adjusted too, or a common name's homophone would weigh more
            # than the name itself (陈婧 against 陈静 more than 陈静 against 陈静)
            _level(cll.ExactMatchLevel("name_py"), "pinyin", tf_adjustment_column="name_py"),
            _level(
                cll.And(cll.ExactMatchLevel("surname_py"), cll.JaroWinklerLevel("given_py", 0.75)),
                "same_surname",
            ),
            _level(cll.ExactMatchLevel("surname_py"), "surname_only"),
            _level(cll.ElseLevel(), "different"),
        ],
    )
    birth_date = CustomComparison(
        output_column_name="birth_date",
        comparison_levels=[
            cll.NullLevel("birth_date"),
            _level(cll.ExactMatchLevel("birth_date"), "exact"),
            _level(
                cll.CustomLevel(
                    "substr(birth_date_l, 1, 4) = substr(birth_date_r, 1, 4)"
                    " AND substr(birth_date_l, 6, 2) = substr(birth_date_r, 9, 2)"
                    " AND substr(birth_date_l, 9, 2) = substr(birth_date_r, 6, 2)"
                ),
                "swapped",
            ),
            _level(cll.LevenshteinLevel("birth_date", 1), "typo"),
            _level(cll.ElseLevel(), "different"),
        ],
    )
    id_number = CustomComparison(
        output_column_name="id_number",
        comparison_levels=[
            cll.NullLevel("id_number"),
            _level(cll.ExactMatchLevel("id_number"), "exact"),
            _level(cll.LevenshteinLevel("id_number", 1), "typo"),
            _level(cll.ElseLevel(), "different"),
        ],
    )
    # Phone and address in one comparison: they are not independent. Family members
    # share a flat and often a phone (a child's, a grandparent's), so "same phone" and
    # "same flat" together say little more than "same phone" — scored as two comparisons,
    # Splink would add both weights and merge a household into one person.
    contact = CustomComparison(
        output_column_name="contact",
        comparison_levels=[
            cll.And(cll.NullLevel("phone"), cll.NullLevel("address_key")),
            _level(
                cll.And(cll.ExactMatchLevel("phone"), cll.ExactMatchLevel("address_key")),
                "phone_and_address",
            ),
            _level(cll.ExactMatchLevel("phone"), "phone"),
            _level(cll.ExactMatchLevel("address_key"), "address"),
            _level(cll.LevenshteinLevel("phone", 1), "phone_typo"),
            _level(cll.ElseLevel(), "different"),
        ],
    )
    sex = CustomComparison(
        output_column_name="sex",
        comparison_levels=[
            cll.NullLevel("sex"),
            _level(cll.ExactMatchLevel("sex"), "exact"),
            _level(cll.ElseLevel(), "different"),
        ],
    )
    return [name, birth_date, id_number, contact, sex]


# Measured on 408,279 generated records: "birth date + surname" scored 122,037 pairs for
# 25,474 new matches and grows with the square of the registry; "name + birth year"
# 26,155 pairs for 135. Birth date with the full pinyin, or with the given name's pinyin
# (for a misheard surname), keeps recall within 0.002 and scores 30 % fewer pairs.
BLOCKING_RULES = [
    block_on("id_number"),
    block_on("phone"),
    block_on("birth_date", "name_py"),
    block_on("birth_date", "given_py"),
    block_on("name_py", "building_key"),
]

TRAINING_RULES = [block_on("id_number"), block_on("name_s", "birth_date")]


def _agreeing_pairs(con: duckdb.DuckDBPyConnection, table: str, columns: list[str]) -> float:
    """Pairs of records with equal, non-null ``columns`` (a GROUP BY: exact, every pair)."""
    present = " AND ".join(f"{c} IS NOT NULL" for c in columns)
    row = con.sql(
        f"SELECT coalesce(sum(k * (k - 1) / 2), 0) FROM ("  # noqa: S608 - our column names
        f"SELECT count(*) AS k FROM {table} WHERE {present} GROUP BY {', '.join(columns)})"
    ).fetchall()
    return float(row[0][0]) if row else 0.0


def _pairs(n: float) -> float:
    return n * (n - 1) / 2


def count_u(con: duckdb.DuckDBPyConnection, table: str) -> dict[tuple[str, str], float]:
    """The rates of the agreement levels that are not one column's equality (those the
    engine counts from ``exact_columns``), over *all* pairs, counted, not sampled.

    Random sampling sees "same phone" between two records a handful of times at best;
    these levels carry most of the evidence, so their rates are counted exactly: pairs
    agreeing ÷ pairs where the comparison is not null. (Matches are still in the counts;
    ``parameters.correct_u`` takes them out.)
    """
    counts = (
        con.sql(
            "SELECT count(*) AS n,"  # noqa: S608 - the table is ours
            " count(name_s) AS name,"
            " count(*) FILTER (WHERE phone IS NOT NULL AND address_key IS NOT NULL) AS both_,"
            " count(*) FILTER (WHERE phone IS NOT NULL AND address_key IS NULL) AS phone_only,"
            " count(*) FILTER (WHERE phone IS NULL AND address_key IS NOT NULL) AS address_only,"
            " count(*) FILTER (WHERE phone IS NULL AND address_key IS NULL) AS neither"
            f" FROM {table}"
        )
        .df()
        .iloc[0]
    )
    n = float(counts["n"])
    rates: dict[tuple[str, str], float] = {}

    def rate(agreeing: float, pairs: float) -> float | None:
        return agreeing / pairs if pairs > 0 else None

    name_exact = _agreeing_pairs(con, table, ["name_s"])
    name_pinyin = _agreeing_pairs(con, table, ["name_py"]) - name_exact
    both = _agreeing_pairs(con, table, ["phone", "address_key"])
    phone = _agreeing_pairs(con, table, ["phone"]) - both
    address = _agreeing_pairs(con, table, ["address_key"]) - both
    # the contact comparison is null when phone and address are each missing on a side:
    # a record with neither against anyone, or phone-only against address-only
    neither, phone_only, address_only = (
        float(counts["neither"]),
        float(counts["phone_only"]),
        float(counts["address_only"]),
    )
    contact_null = _pairs(neither) + neither * (n - neither) + phone_only * address_only
    contact_pairs = _pairs(n) - contact_null
    for key, agreeing, pairs in (
        (("name", "pinyin"), name_pinyin, _pairs(float(counts["name"]))),
        (("contact", "phone_and_address"), both, contact_pairs),
        (("contact", "phone"), phone, contact_pairs),
        (("contact", "address"), address, contact_pairs),
    ):
        value = rate(agreeing, pairs)
        if value is not None:
            rates[key] = value
    return rates


def _prior_recall(table: pd.DataFrame, m_exact: dict[str, float | None]) -> float:
    """Share of matching pairs that the same-ID rule finds: both records must carry an
    ID number, and it must be typed right (m of the exact level)."""
    with_id = float(table["id_number"].notna().mean()) if len(table) else 0.0
    return with_id**2 * (m_exact.get("id_number") or 0.99)


PEOPLE = LinkageSpec(
    name="people",
    comparisons=comparisons,
    blocking_rules=BLOCKING_RULES,
    training_rules=TRAINING_RULES,
    prior_rules=[block_on("id_number")],
    prior_recall=_prior_recall,
    strong={
        "id_number": ("exact", "typo"),
        "birth_date": ("exact",),
        "name": ("exact", "pinyin"),
        "contact": ("phone_and_address", "phone", "address"),
    },
    ordered=("name", "birth_date", "id_number", "sex"),
    known_good=KNOWN_GOOD,
    # identifiers a bounded number of other people share: u falls as 1/n
    scaled={
        "id_number": ("exact", "typo"),
        "contact": ("phone_and_address", "phone", "address", "phone_typo"),
    },
    exact_columns={
        ("name", "exact"): "name_s",
        ("birth_date", "exact"): "birth_date",
        ("id_number", "exact"): "id_number",
        ("sex", "exact"): "sex",
    },
    count_u=count_u,
    silver=lambda kind: "id_number",
)
