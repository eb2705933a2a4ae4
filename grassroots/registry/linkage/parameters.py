"""Model parameters: read from and written to a linker, corrected, filled, saved as JSON.

A parameter set is m and u per level (by label) and the prior. Two kinds of number depend
on the size of the table and are stored per record so that one set fits any size:

* the prior, as expected matches per record;
* u of the *scaled* levels — agreement on an identifier that only a bounded number of
  other people share (an ID number, a phone, a flat): the chance that two different
  people agree falls as 1/n. Stored as ``u_per_record`` = u × n.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from splink import Linker

PARAMETER_FORMAT = 1
# a level expectation maximisation never saw among thousands of matching pairs is rarer
# than one in a thousand; we claim no more than that, and no trained m goes below it
# either (EM finds "sex differs" in no matching pair of a clean file: m = 1e-12 would let
# one mistyped sex veto every other agreement)
UNOBSERVED_M = 1e-3
# a scaled level random pairs never showed: fewer than one record in twenty has another
# person agreeing with it
UNOBSERVED_U_PER_RECORD = 0.05

Scaled = Mapping[str, tuple[str, ...]]


def number(value: Any) -> float | None:
    """A float, or None for "not estimated" (None, NaN, Splink's not-observed text)."""
    if value is None or isinstance(value, str):
        return None
    value = float(value)
    return None if math.isnan(value) else value


def clamp(value: float | None) -> float | None:
    if value is None:
        return None
    return min(max(float(value), 1e-12), 1.0)


def _levels(linker: Linker):  # type: ignore[no-untyped-def]
    for comparison in linker._settings_obj.comparisons:
        for level in comparison.comparison_levels:
            if not level.is_null_level:
                yield comparison.output_column_name, level


def export_parameters(
    linker: Linker, n_records: int, pairs_total: float, scaled: Scaled
) -> dict[str, Any]:
    """The linker's parameters as JSON-able data (raw: None where not estimated)."""
    comparisons: dict[str, list[dict[str, Any]]] = {}
    for name, level in _levels(linker):
        label = level.label_for_charts
        item: dict[str, Any] = {
            "label": label,
            "m": number(level._m_probability),
            "u": number(level._u_probability),
        }
        if label in scaled.get(name, ()) and item["u"] is not None:
            item["u_per_record"] = item["u"] * n_records
        comparisons.setdefault(name, []).append(item)
    prior = float(linker._settings_obj._probability_two_random_records_match)
    return {
        "format": PARAMETER_FORMAT,
        "matches_per_record": prior * pairs_total / max(n_records, 1),
        "comparisons": comparisons,
    }


def apply_parameters(
    linker: Linker, parameters: dict[str, Any], n_records: int, pairs_total: float
) -> None:
    """Put a parameter set into the linker (its labels must match the spec's levels)."""
    given = parameters["comparisons"]
    for name, level in _levels(linker):
        items = {item["label"]: item for item in given.get(name, [])}
        item = items.get(level.label_for_charts)
        if item is None:
            raise ValueError(f"parameter set lacks {name}.{level.label_for_charts}")
        u = item["u"]
        if item.get("u_per_record") is not None:
            u = float(item["u_per_record"]) / max(n_records, 1)
        level.m_probability = clamp(item["m"])
        level.u_probability = clamp(u)
    prior = float(parameters["matches_per_record"]) * n_records / max(pairs_total, 1.0)
    linker._settings_obj._probability_two_random_records_match = min(max(prior, 1e-12), 0.5)


def correct_u(
    linker: Linker,
    *,
    counted: Mapping[tuple[str, str], float],
    floor: float,
    scaled: Scaled,
    n_records: int,
) -> None:
    """Take the true matches out of u, using exact counts where the spec gives them.

    u is estimated on random pairs as if none of them matched. In a small table they do:
    with two records per person among 10,000 records, one random pair in 5,000 is the
    same person, and "same ID number" looks far less telling than it is. A random pair is
    a match with probability λ (the prior), so the observed rate of a level is
    λ·m + (1 − λ)·u; solve for u. ``counted`` holds rates counted over *all* pairs (a
    GROUP BY per identifier) for the exact-agreement levels, which random sampling sees
    too rarely to estimate.
    """
    prior = float(linker._settings_obj._probability_two_random_records_match)
    scaled_floor = UNOBSERVED_U_PER_RECORD / max(n_records, 1)
    for name, level in _levels(linker):
        label = level.label_for_charts
        m = number(level._m_probability)
        rate = counted.get((name, label), number(level._u_probability))
        if m is None or rate is None:
            continue
        low = scaled_floor if label in scaled.get(name, ()) else floor
        level.u_probability = max((rate - prior * m) / (1.0 - prior), low)


def fill_unestimated(linker: Linker, *, floor: float, scaled: Scaled, n_records: int) -> list[str]:
    """Give every level training left without an estimate one; ``comparison.level.m|u``
    of each filled. m: ``UNOBSERVED_M`` (also the least any m may be); u: the sampling
    floor (scaled levels: one in twenty records)."""
    filled = []
    scaled_floor = UNOBSERVED_U_PER_RECORD / max(n_records, 1)
    for name, level in _levels(linker):
        label = level.label_for_charts
        m = number(level._m_probability)
        if m is None:
            level.m_probability = UNOBSERVED_M
            filled.append(f"{name}.{label}.m")
        elif m < UNOBSERVED_M:
            level.m_probability = UNOBSERVED_M
        if number(level._u_probability) is None:
            level.u_probability = scaled_floor if label in scaled.get(name, ()) else floor
            filled.append(f"{name}.{label}.u")
    return filled


def load_parameters(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))
