"""Is this model fit to merge people? Checked before any merge, every run.

Unsupervised training can fail silently: on a million records a different training rule
once taught the model "same locality" instead of "same person" and precision fell from
0.997 to 0.894 with nothing in the logs. So every model (trained, given, or the shipped
known-good set) passes three checks:

* **parameter sanity** — every level estimated; for the strong identifiers (spec.strong)
  every agreement level has m > u, the top level a Bayes factor of at least
  ``MIN_TOP_BAYES_FACTOR`` and the else level one below 1; each comparison's levels
  ordered (a closer agreement never weighs less than a looser one, within
  ``ORDER_SLACK``; for comparisons that are not a scale, such as phone-and-address, only
  the else level must weigh least); the prior plausible (expected matches per record between
  ``PRIOR_RANGE``);
* **labelled sample** — when labelled pairs are given (the steward's confirmed and rejected
  pairs, or a generator's truth): pairwise precision and recall at the automatic-merge
  probability must reach the settings' minimums; a labelled pair that blocking never
  produced counts as not merged;
* **silver sample** — where the records carry a near-unique identifier (the resident ID
  number), pairs that share it are the same person and pairs whose identifiers disagree
  are different people. The model *without* that identifier's evidence must still tell
  them apart: precision at the automatic-merge probability of at least
  ``MIN_SILVER_PRECISION``. This is the check that catches "same household" learnt as
  "same person": family members share a phone, an address and a surname but not an ID.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .engine import LinkageSettings, LinkageSpec

MIN_TOP_BAYES_FACTOR = 10.0
ORDER_SLACK = 1.25
PRIOR_RANGE = (1e-4, 50.0)
MIN_SILVER_PRECISION = 0.95
MIN_SILVER_PAIRS = 20


def _bayes_factor(level: dict[str, Any]) -> float | None:
    m, u = level.get("m"), level.get("u")
    if m is None or u is None or u <= 0:
        return None
    return float(m) / float(u)


def parameter_sanity(
    parameters: dict[str, Any],
    strong: dict[str, tuple[str, ...]],
    ordered: tuple[str, ...] = (),
) -> list[str]:
    """The reasons a parameter set is implausible (empty when it is fine)."""
    failures: list[str] = []
    comparisons: dict[str, list[dict[str, Any]]] = parameters.get("comparisons", {})
    for name, levels in comparisons.items():
        factors = []
        for level in levels:
            bf = _bayes_factor(level)
            if bf is None or level.get("m") is None or level["m"] <= 0:
                failures.append(f"{name}.{level['label']}: not estimated")
            factors.append(bf)
        known = [(lv["label"], bf) for lv, bf in zip(levels, factors, strict=True) if bf]
        # levels from closest to loosest agreement, the else level last; where levels are
        # not a scale the else level must still weigh least (phone and address together
        # may rightly weigh less than the phone alone: families share both)
        if name in ordered:
            steps = list(itertools.pairwise(known))
        else:
            steps = [(other, known[-1]) for other in known[:-1]]
        for (label_a, a), (label_b, b) in steps:
            if b > a * ORDER_SLACK:
                failures.append(
                    f"{name}: level {label_b} weighs more than {label_a} ({b:.3g} > {a:.3g})"
                )
        if name in strong and known:
            for level, bf in zip(levels, factors, strict=True):
                if level["label"] in strong[name] and bf is not None and bf <= 1:
                    failures.append(f"{name}.{level['label']}: m <= u for a strong identifier")
            top = factors[0]
            if top is not None and top < MIN_TOP_BAYES_FACTOR:
                failures.append(f"{name}.{levels[0]['label']}: Bayes factor only {top:.3g}")
            last = factors[-1]
            if last is not None and last >= 1:
                failures.append(f"{name}.{levels[-1]['label']}: disagreement is not evidence")
    per_record = parameters.get("matches_per_record")
    low, high = PRIOR_RANGE
    if per_record is None or not low <= float(per_record) <= high:
        failures.append(f"prior: {per_record} expected matches per record is implausible")
    return failures


def _rates(truth: np.ndarray, predicted: np.ndarray) -> dict[str, Any]:
    tp = int((truth & predicted).sum())
    fp = int((~truth & predicted).sum())
    fn = int((truth & ~predicted).sum())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return {
        "pairs": len(truth),
        "matches": int(truth.sum()),
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
    }


def label_accuracy(
    con: duckdb.DuckDBPyConnection, table: str, labels: pd.DataFrame, auto: float
) -> dict[str, Any]:
    """Pairwise precision/recall of the scored pairs on labelled pairs."""
    frame = pd.DataFrame(
        {
            "a": np.minimum(labels["record_id_l"], labels["record_id_r"]).astype("int64"),
            "b": np.maximum(labels["record_id_l"], labels["record_id_r"]).astype("int64"),
            "is_match": labels["is_match"].astype(bool),
        }
    ).drop_duplicates(["a", "b"])
    con.register("_labels", frame)
    try:
        query = f"""
            SELECT l.a, l.b, l.is_match, max(p.match_probability) AS probability
            FROM _labels l LEFT JOIN {table} p
              ON least(p.record_id_l, p.record_id_r) = l.a
             AND greatest(p.record_id_l, p.record_id_r) = l.b
            GROUP BY l.a, l.b, l.is_match
            """  # noqa: S608 - the table name is Splink's own
        scored = con.sql(query).df()
    finally:
        con.unregister("_labels")
    probability = scored["probability"].fillna(0.0).to_numpy()
    return _rates(scored["is_match"].to_numpy(bool), probability >= auto)


def silver_accuracy(
    con: duckdb.DuckDBPyConnection,
    table: str,
    comparison: str,
    parameters: dict[str, Any],
    levels: dict[int, str],
    prior: float,
    auto: float,
) -> dict[str, Any] | None:
    """Precision/recall without ``comparison``'s evidence on pairs it decides."""
    params = {lv["label"]: lv for lv in parameters["comparisons"][comparison]}
    order = [lv["label"] for lv in parameters["comparisons"][comparison]]
    agree, disagree = order[0], order[-1]
    gamma = {label: g for g, label in levels.items()}
    weights = {}
    for label in (agree, disagree):
        bf = _bayes_factor(params[label])
        if bf is None or bf <= 0:
            return None
        weights[gamma[label]] = math.log2(bf)
    frame = con.sql(
        f"SELECT gamma_{comparison} AS g, match_weight FROM {table} "  # noqa: S608
        f"WHERE gamma_{comparison} IN ({gamma[agree]}, {gamma[disagree]})"
    ).df()
    if len(frame) < MIN_SILVER_PAIRS:
        return None
    without = frame["match_weight"].to_numpy() - frame["g"].map(weights).to_numpy()
    # the prior is in match_weight already; the probability of what remains:
    probability = 1.0 / (1.0 + np.power(2.0, -without))
    result = _rates(frame["g"].to_numpy() == gamma[agree], probability >= auto)
    result["identifier"] = comparison
    return result


def check_model(
    *,
    con: duckdb.DuckDBPyConnection,
    table: str,
    parameters: dict[str, Any],
    levels: dict[str, dict[int, str]],
    spec: LinkageSpec,
    settings: LinkageSettings,
    auto: float,
    pairs_total: float,
    n_records: int,
) -> dict[str, Any]:
    """All three checks; ``passed`` only when none failed."""
    failures = parameter_sanity(parameters, spec.strong, spec.ordered)
    report: dict[str, Any] = {"sanity_failures": list(failures)}
    if settings.labels is not None and len(settings.labels):
        accuracy = label_accuracy(con, table, settings.labels, auto)
        report["labels"] = accuracy
        if accuracy["precision"] < settings.min_label_precision:
            failures.append(f"labelled precision {accuracy['precision']}")
        if accuracy["recall"] < settings.min_label_recall:
            failures.append(f"labelled recall {accuracy['recall']}")
    silver_column = spec.silver("id") if spec.silver else None
    if silver_column and silver_column in levels and not failures:
        prior = float(parameters["matches_per_record"]) * n_records / max(pairs_total, 1.0)
        silver = silver_accuracy(
            con, table, silver_column, parameters, levels[silver_column], prior, auto
        )
        report["silver"] = silver
        if silver is not None and silver["precision"] < MIN_SILVER_PRECISION:
            failures.append(f"silver precision {silver['precision']} without {silver_column}")
    report["failures"] = failures
    report["passed"] = not failures
    return report
