"""Entity resolution of people: which records of which sources are the same person.

``link_people(records, *, settings=None) -> LinkageResult`` — Splink 5 on an in-memory
DuckDB (nothing written to disk), settings that run unchanged on Spark. See
``docs/development/entity-resolution.md`` for how it works and the traps it avoids.
"""

from __future__ import annotations

import pandas as pd

from .engine import LinkageResult, LinkageSettings, LinkageSpec, run_linkage
from .people import PEOPLE
from .prepare import REQUIRED_COLUMNS, prepare_people

__all__ = [
    "REQUIRED_COLUMNS",
    "LinkageResult",
    "LinkageSettings",
    "LinkageSpec",
    "link_people",
    "prepare_people",
    "run_linkage",
]


def link_people(records: pd.DataFrame, *, settings: LinkageSettings | None = None) -> LinkageResult:
    """Cluster person records into people (see ``LinkageResult``).

    ``records``: ``record_id`` (int, unique), ``name``, ``sex``, ``birth_date`` (ISO or
    None), ``id_number`` (plain, in memory only, or None), ``phone``, ``address``,
    ``source``. Thresholds default to ``REGISTRY_AUTO_MERGE_PROBABILITY`` and
    ``REGISTRY_REVIEW_PROBABILITY``.
    """
    settings = settings or LinkageSettings()
    if len(records) == 0:
        empty_pairs = pd.DataFrame(
            columns=["record_id_l", "record_id_r", "match_probability", "match_weight"]
        )
        empty_pairs["explanation"] = []
        return LinkageResult(
            clusters=pd.DataFrame({"record_id": [], "cluster_id": []}, dtype="int64"),
            pairs=empty_pairs,
            review=empty_pairs.copy(),
            model_check={"passed": True, "accepted": True, "used": "none", "failures": []},
        )
    table = prepare_people(records, max_identifier_group=settings.max_identifier_group)
    return run_linkage([table], PEOPLE, settings=settings)
