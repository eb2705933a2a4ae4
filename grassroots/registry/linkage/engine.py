"""The linkage engine: Splink on an in-memory DuckDB, trained, checked, then used.

One path for every model (the people of the registry, the FEBRL benchmark): a
:class:`LinkageSpec` says what to compare and how to block; :func:`run_linkage` does the
rest:

1. register the prepared tables in a private in-memory DuckDB (spilling to disk switched
   off: nothing personal is written anywhere);
2. parameters: the ones given in the settings, or trained (u by random sampling, m by
   expectation maximisation on the spec's training rules, each of which leaves the
   compared fields it blocks on out of its estimate), or — for a data set too small to
   train on — the known-good set shipped with the spec;
3. score every blocked pair (``predict``);
4. **check** the model (:mod:`.check`): parameter sanity and accuracy on a labelled
   sample; a model that fails is replaced by the known-good set, and the pairs are scored
   again;
5. cluster (connected components at the automatic-merge probability) and return the pairs
   above the review probability.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
from splink import DuckDBAPI, Linker, SettingsCreator
from splink.internals.blocking_rule_creator import BlockingRuleCreator
from splink.internals.comparison_creator import ComparisonCreator

from . import check as checks
from . import parameters as params

logger = logging.getLogger(__name__)

DEFAULT_AUTO_MERGE_PROBABILITY = 0.95
DEFAULT_REVIEW_PROBABILITY = 0.50


def _setting(name: str, default: float) -> float:
    """A Django setting when Django is configured (the registry), else ``default``."""
    try:
        from django.conf import settings

        if settings.configured:
            return float(getattr(settings, name, default))
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    return default


@dataclass
class LinkageSettings:
    """Everything ``link_people`` can be told; every field has a sensible default.

    ``labels``: pairs known to be the same person or not (``record_id_l``, ``record_id_r``,
    ``is_match``) — the steward's confirmed and rejected review pairs, or a generator's
    truth; the trained model must reach ``min_label_precision``/``min_label_recall`` on them.
    ``parameters``: a parameter set (as :func:`export_parameters` writes it) to use instead
    of training — it is checked like a trained one.
    """

    auto_merge_probability: float | None = None
    review_probability: float | None = None
    labels: pd.DataFrame | None = None
    parameters: dict[str, Any] | None = None
    train: bool = True
    min_records_to_train: int = 5_000
    u_max_pairs: float = 3e5
    em_max_pairs: float | None = 5e5
    seed: int = 20250101
    min_label_precision: float = 0.95
    min_label_recall: float = 0.80
    max_identifier_group: int = 50
    memory_limit: str | None = None
    threads: int | None = None

    def thresholds(self) -> tuple[float, float]:
        auto = self.auto_merge_probability
        if auto is None:
            auto = _setting("REGISTRY_AUTO_MERGE_PROBABILITY", DEFAULT_AUTO_MERGE_PROBABILITY)
        review = self.review_probability
        if review is None:
            review = _setting("REGISTRY_REVIEW_PROBABILITY", DEFAULT_REVIEW_PROBABILITY)
        if not 0 < review <= auto < 1:
            raise ValueError("need 0 < review probability <= automatic-merge probability < 1")
        return auto, review


@dataclass
class LinkageResult:
    """What ``link_people`` returns (see REGISTRY.md).

    ``clusters``: ``record_id, cluster_id`` for every record. ``pairs``: every scored pair
    at or above the review probability (``record_id_l, record_id_r, match_probability,
    match_weight, explanation``). ``review``: those below the automatic-merge probability
    whose records ended in different clusters. ``model_check``: the checks and whether the
    trained model was used. ``timings``: seconds per step.
    """

    clusters: pd.DataFrame
    pairs: pd.DataFrame
    review: pd.DataFrame
    model_check: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkageSpec:
    """What to compare and how to block, for one kind of record.

    ``comparisons`` builds fresh Splink comparison creators (their level labels are the
    short codes shown in explanations). ``strong`` names the strong identifiers and
    their agreement levels, which must have m > u; ``ordered`` the comparisons whose
    levels run from closest to loosest agreement (the others need only their first level
    weigh most and their last least).
    ``prior_rules`` are deterministic rules (nearly no false
    positives) for the prior; ``prior_recall`` estimates their recall from the table and
    the trained m of each comparison's ``exact`` level.
    """

    name: str
    comparisons: Callable[[], list[ComparisonCreator]]
    blocking_rules: Sequence[BlockingRuleCreator | str]
    training_rules: Sequence[BlockingRuleCreator | str]
    prior_rules: Sequence[BlockingRuleCreator | str]
    prior_recall: Callable[[pd.DataFrame, dict[str, float | None]], float]
    strong: dict[str, tuple[str, ...]]
    ordered: tuple[str, ...] = ()
    known_good: Path | None = None
    scaled: dict[str, tuple[str, ...]] = field(default_factory=dict)
    exact_columns: dict[tuple[str, str], str] = field(default_factory=dict)
    count_u: Callable[[duckdb.DuckDBPyConnection, str], dict[tuple[str, str], float]] | None = None
    silver: Callable[[str], str | None] | None = None


# --------------------------------------------------------------------------- the run


def _connection(settings: LinkageSettings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    # never spill to disk: the records are personal data (an out-of-memory error instead)
    con.execute("SET temp_directory = ''")
    con.execute("SET preserve_insertion_order = false")
    if settings.memory_limit:
        con.execute(f"SET memory_limit = '{settings.memory_limit}'")
    if settings.threads:
        con.execute(f"SET threads = {int(settings.threads)}")
    return con


def _pairs_total(tables: Sequence[pd.DataFrame], link_type: str) -> float:
    sizes = [len(t) for t in tables]
    if link_type == "link_only":
        total = 0.0
        for i, a in enumerate(sizes):
            for b in sizes[i + 1 :]:
                total += a * b
        return total
    n = sum(sizes)
    return n * (n - 1) / 2


def _levels_by_gamma(linker: Linker) -> dict[str, dict[int, str]]:
    labels: dict[str, dict[int, str]] = {}
    for comparison in linker._settings_obj.comparisons:
        labels[comparison.output_column_name] = {
            level.comparison_vector_value: "missing"
            if level.is_null_level
            else level.label_for_charts
            for level in comparison.comparison_levels
        }
    return labels


def _count_exact(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    link_type: str,
    exact_columns: dict[tuple[str, str], str],
) -> dict[tuple[str, str], float]:
    """The rate of agreement on each single-column exact level over *all* pairs (GROUP BY
    counts: random sampling sees agreement on a date of birth a few times in a million
    pairs). Dedupe: Σ C(k, 2) / C(n, 2); link: Σ k_left·k_right / (n_left·n_right), over
    non-null values."""
    rates: dict[tuple[str, str], float] = {}
    for key, column in exact_columns.items():
        if link_type == "dedupe_only" and len(tables) == 1:
            query = (
                f"SELECT coalesce(sum(k * (k - 1) / 2), 0), coalesce(sum(k), 0) FROM ("  # noqa: S608
                f"SELECT count(*) AS k FROM {tables[0]} WHERE {column} IS NOT NULL "
                f"GROUP BY {column})"
            )
            agreeing, n = con.sql(query).fetchall()[0]
            pairs = float(n) * (float(n) - 1) / 2
        elif link_type == "link_only" and len(tables) == 2:
            left, right = tables
            query = (
                f"WITH l AS (SELECT {column} AS v, count(*) AS k FROM {left} "  # noqa: S608
                f"WHERE {column} IS NOT NULL GROUP BY 1), "
                f"r AS (SELECT {column} AS v, count(*) AS k FROM {right} "
                f"WHERE {column} IS NOT NULL GROUP BY 1) "
                "SELECT coalesce((SELECT sum(l.k * r.k) FROM l JOIN r USING (v)), 0), "
                "(SELECT coalesce(sum(k), 0) FROM l) * (SELECT coalesce(sum(k), 0) FROM r)"
            )
            agreeing, pairs = con.sql(query).fetchall()[0]
        else:
            continue
        if float(pairs) > 0:
            rates[key] = float(agreeing) / float(pairs)
    return rates


def _train(
    linker: Linker,
    con: duckdb.DuckDBPyConnection,
    spec: LinkageSpec,
    settings: LinkageSettings,
    tables: Sequence[pd.DataFrame],
    link_type: str,
) -> list[str]:
    """Prior, u (random sampling, corrected with exact counts), m (EM); returns the levels
    training could not estimate (filled, see :func:`parameters.fill_unestimated`)."""
    n_records = sum(len(t) for t in tables)
    training = linker.training
    training.estimate_u_using_random_sampling(max_pairs=settings.u_max_pairs, seed=settings.seed)
    for rule in spec.training_rules:
        training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=settings.em_max_pairs
        )
    # the prior last: the recall of its deterministic rule follows from the m just trained
    # (a pair of records of one person agrees on the rule's fields with probability
    # presence² × m(exact), field by field)
    m_exact = {
        comparison.output_column_name: params.number(level._m_probability)
        for comparison in linker._settings_obj.comparisons
        for level in comparison.comparison_levels
        if not level.is_null_level and level.label_for_charts == "exact"
    }
    recall = spec.prior_recall(pd.concat(tables, ignore_index=True), m_exact)
    training.estimate_probability_two_random_records_match(
        list(spec.prior_rules), recall=max(min(recall, 1.0), 0.01)
    )
    names = [f"input_{i}" for i in range(len(tables))]
    counted = _count_exact(con, names, link_type, spec.exact_columns)
    if spec.count_u and link_type == "dedupe_only":
        counted.update(spec.count_u(con, names[0]))
    floor = 1.0 / settings.u_max_pairs
    params.correct_u(linker, counted=counted, floor=floor, scaled=spec.scaled, n_records=n_records)
    return params.fill_unestimated(linker, floor=floor, scaled=spec.scaled, n_records=n_records)


def run_linkage(
    tables: Sequence[pd.DataFrame],
    spec: LinkageSpec,
    *,
    settings: LinkageSettings | None = None,
    link_type: str = "dedupe_only",
) -> LinkageResult:
    """Link or deduplicate prepared tables (``record_id`` unique across all of them)."""
    settings = settings or LinkageSettings()
    auto, review = settings.thresholds()
    timings: dict[str, float] = {}
    started = time.perf_counter()
    n_records = sum(len(t) for t in tables)
    pairs_total = _pairs_total(tables, link_type)

    def export(linker: Linker) -> dict[str, Any]:
        return params.export_parameters(linker, n_records, pairs_total, spec.scaled)

    con = _connection(settings)
    try:
        db_api = DuckDBAPI(connection=con)
        frames = [db_api.register(t, table_name=f"input_{i}") for i, t in enumerate(tables)]
        comparisons: list[ComparisonCreator | dict[str, Any]] = list(spec.comparisons())
        rules: list[BlockingRuleCreator | dict[str, Any]] = [
            r if isinstance(r, BlockingRuleCreator) else {"blocking_rule": r}
            for r in spec.blocking_rules
        ]
        splink_settings = SettingsCreator(
            link_type=link_type,  # type: ignore[arg-type]
            unique_id_column_name="record_id",
            comparisons=comparisons,
            blocking_rules_to_generate_predictions=rules,
            retain_intermediate_calculation_columns=False,
            retain_matching_columns=True,
            additional_columns_to_retain=[],
        )
        linker = Linker(frames if len(frames) > 1 else frames[0], splink_settings, log_level=None)
        logging.getLogger("splink").setLevel(logging.WARNING)

        known_good = (
            params.load_parameters(spec.known_good)
            if spec.known_good and spec.known_good.exists()
            else None
        )
        filled: list[str] = []
        if settings.parameters is not None:
            origin = "given"
            params.apply_parameters(linker, settings.parameters, n_records, pairs_total)
        elif settings.train and n_records >= settings.min_records_to_train:
            origin = "trained"
            filled = _train(linker, con, spec, settings, tables, link_type)
        elif known_good is not None:
            origin = "known_good"
            params.apply_parameters(linker, known_good, n_records, pairs_total)
        else:
            raise ValueError(f"{spec.name}: too few records to train and no known-good set")
        parameters = export(linker)
        timings["train"] = time.perf_counter() - started

        mark = time.perf_counter()
        predictions = linker.inference.predict()
        timings["predict"] = time.perf_counter() - mark

        mark = time.perf_counter()
        levels = _levels_by_gamma(linker)
        report = checks.check_model(
            con=con,
            table=predictions.physical_name,
            parameters=parameters,
            levels=levels,
            spec=spec,
            settings=settings,
            auto=auto,
            pairs_total=pairs_total,
            n_records=n_records,
        )
        report["origin"] = origin
        report["filled_from_known_good"] = filled
        report["accepted"] = report["passed"]
        if not report["passed"] and origin != "known_good" and known_good is not None:
            logger.warning("linkage model %s failed its check: %s", spec.name, report["failures"])
            params.apply_parameters(linker, known_good, n_records, pairs_total)
            predictions.drop_table_from_database_and_remove_from_cache()
            predictions = linker.inference.predict()
            fallback = checks.check_model(
                con=con,
                table=predictions.physical_name,
                parameters=export(linker),
                levels=levels,
                spec=spec,
                settings=settings,
                auto=auto,
                pairs_total=pairs_total,
                n_records=n_records,
            )
            report["used"] = "known_good"
            report["fallback"] = fallback
        else:
            report["used"] = origin
        report["parameters"] = export(linker)
        timings["check"] = time.perf_counter() - mark

        mark = time.perf_counter()
        clusters_sdf = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=auto
        )
        clusters = con.sql(
            f"SELECT record_id, cluster_id FROM {clusters_sdf.physical_name}"  # noqa: S608
        ).df()
        timings["cluster"] = time.perf_counter() - mark

        mark = time.perf_counter()
        pairs = _pairs(con, predictions.physical_name, review, levels)
        timings["pairs"] = time.perf_counter() - mark
    finally:
        con.close()

    cluster_of = clusters.set_index("record_id")["cluster_id"]
    if len(pairs):
        separate = (
            pairs["record_id_l"].map(cluster_of).to_numpy()
            != pairs["record_id_r"].map(cluster_of).to_numpy()
        )
        queue = pairs[(pairs["match_probability"] < auto) & separate].reset_index(drop=True)
    else:
        queue = pairs.copy()
    timings["total"] = time.perf_counter() - started
    return LinkageResult(
        clusters=clusters, pairs=pairs, review=queue, model_check=report, timings=timings
    )


def _pairs(
    con: duckdb.DuckDBPyConnection, table: str, review: float, levels: dict[str, dict[int, str]]
) -> pd.DataFrame:
    gammas = [f"gamma_{name}" for name in levels]
    frame = con.sql(
        f"SELECT record_id_l, record_id_r, match_probability, match_weight, "  # noqa: S608
        f"{', '.join(gammas)} FROM {table} WHERE match_probability >= {float(review)!r}"
    ).df()
    explanation: list[dict[str, str]]
    if len(frame):
        codes = {
            name: frame[f"gamma_{name}"].map(mapping).to_numpy() for name, mapping in levels.items()
        }
        names = list(levels)
        explanation = [
            dict(zip(names, row, strict=True))
            for row in zip(*(codes[n] for n in names), strict=True)
        ]
    else:
        explanation = []
    out = frame[["record_id_l", "record_id_r", "match_probability", "match_weight"]].copy()
    out["explanation"] = explanation
    return out
