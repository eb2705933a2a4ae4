"""Clustered pairwise precision, recall and F1 against a known truth (benchmarks, tests)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def _pairs(sizes: pd.Series) -> int:
    n = sizes.to_numpy().astype("int64")
    return int((n * (n - 1) // 2).sum())


def cluster_scores(clusters: pd.DataFrame, truth: pd.Series) -> dict[str, float]:
    """``clusters`` (``record_id, cluster_id``) against ``truth`` (record_id → entity id).

    Counts pairs of records: predicted pairs share a cluster, true pairs an entity.
    """
    frame = pd.DataFrame(
        {
            "cluster": clusters["cluster_id"].to_numpy(),
            "entity": clusters["record_id"].map(truth).to_numpy(),
        }
    )
    predicted = _pairs(frame.groupby("cluster").size())
    actual = _pairs(frame.groupby("entity").size())
    correct = _pairs(frame.groupby(["cluster", "entity"]).size())
    precision = correct / predicted if predicted else 1.0
    recall = correct / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "predicted_pairs": predicted,
        "true_pairs": actual,
        "correct_pairs": correct,
    }


def truth_labels(
    records: pd.DataFrame,
    *,
    entity: str = "person_id",
    n: int = 2000,
    seed: int = 0,
    hard_negative_columns: tuple[str, ...] = ("phone", "address"),
) -> pd.DataFrame:
    """A labelled sample from a generator's truth: ``record_id_l, record_id_r, is_match``.

    Up to ``n`` matching pairs (two records of one entity) and up to ``n`` hard
    non-matching pairs (records of different entities sharing a phone or an address —
    family members, the pairs a model that learnt "same household" would merge).
    """
    rng = np.random.default_rng(seed)
    ids = records["record_id"].to_numpy()
    owner = records[entity].to_numpy()
    order = np.argsort(owner, kind="stable")
    same = owner[order][1:] == owner[order][:-1]
    positives = pd.DataFrame(
        {"record_id_l": ids[order][:-1][same], "record_id_r": ids[order][1:][same]}
    )
    negatives = []
    for column in hard_negative_columns:
        if column not in records.columns:
            continue
        sub = records[["record_id", entity, column]].dropna()
        sub = sub.sort_values(column, kind="stable")
        value = sub[column].to_numpy()
        who = sub[entity].to_numpy()
        rid = sub["record_id"].to_numpy()
        pair = (value[1:] == value[:-1]) & (who[1:] != who[:-1])
        negatives.append(
            pd.DataFrame({"record_id_l": rid[:-1][pair], "record_id_r": rid[1:][pair]})
        )
    negative = pd.concat(negatives, ignore_index=True) if negatives else positives.iloc[:0]
    positives = positives.sample(min(n, len(positives)), random_state=rng.integers(1 << 31))
    negative = negative.drop_duplicates()
    negative = negative.sample(min(n, len(negative)), random_state=rng.integers(1 << 31))
    return pd.concat(
        [positives.assign(is_match=True), negative.assign(is_match=False)], ignore_index=True
    )
