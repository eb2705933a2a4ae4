"""Record linkage accuracy and speed on FEBRL, ours against recordlinkage's classic pipeline.

Data: FEBRL4 (two files of 5,000 people, each person once in each: link) and FEBRL3
(5,000 records of 2,000 people: deduplicate), both shipped inside the ``recordlinkage``
package, with their true links.

Ours: ``registry.linkage.run_linkage`` — the engine behind ``link_people`` (Splink 5 on
an in-memory DuckDB: u by random sampling, m by EM on blocking rules that leave the
estimated fields out, the same model check) with a spec for these English fields:

* names: exact (term-frequency adjusted), Jaro-Winkler ≥ 0.92, ≥ 0.80, else; a level for
  given name and surname swapped;
* date of birth: exact, one edit or transposition (Damerau-Levenshtein 1), month and day
  swapped, else;
* social security number: exact, one edit, two edits, else;
* street number, state: exact, else; address, suburb: exact (suburb TF-adjusted),
  Jaro-Winkler ≥ 0.9, else; postcode: exact, one edit, else.

Blocking: any of given name, surname, date of birth, social security number, postcode +
street number. Prior: pairs agreeing on social security number and date of birth, scaled
by that rule's recall as the trained m of the two fields give it.

Threshold: a pair is linked at match probability ≥ 0.5, the Bayes decision rule when a
false link and a missed link cost the same (as in F1); chosen before looking at the
labels, and not tuned on them. The labels are used only for the model check (a sample
of 300 true and 300 random false pairs) and for scoring.

Baseline: recordlinkage 0.16's classic pipeline as its documentation shows it — index
(blocking on given name, surname and date of birth, plus a sorted-neighbourhood window
on the social security number), compare (Jaro-Winkler ≥ 0.85 on names and address,
exact on the rest), ``ECMClassifier`` — in the same run.

Figures: ``febrl4_f1``, ``febrl3_f1`` (pairwise F1 against the true links; baseline:
recordlinkage's F1; ratio ours ÷ theirs), ``febrl4_seconds`` (wall time of the whole
pipeline; baseline recordlinkage's; ratio theirs ÷ ours). Precision and recall go to
stderr. ``--quick`` samples 100,000 random pairs for u instead of 300,000.

``grassroots bench linkage [--quick]``
"""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import emit, note, parse_args

BENCH = "linkage"
THRESHOLD = 0.5
FIELDS = [
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def _febrl_spec():  # type: ignore[no-untyped-def]
    import splink.comparison_level_library as cll
    from splink import block_on
    from splink.comparison_library import CustomComparison

    from grassroots.registry.linkage import LinkageSpec

    def level(creator, label, **options):  # type: ignore[no-untyped-def]
        return creator.configure(label_for_charts=label, **options)

    def name(column: str, other: str) -> CustomComparison:
        return CustomComparison(
            output_column_name=column,
            comparison_levels=[
                cll.NullLevel(column),
                level(cll.ExactMatchLevel(column), "exact", tf_adjustment_column=column),
                level(cll.ColumnsReversedLevel(column, other), "swapped"),
                level(cll.JaroWinklerLevel(column, 0.92), "jw92"),
                level(cll.JaroWinklerLevel(column, 0.80), "jw80"),
                level(cll.ElseLevel(), "different"),
            ],
        )

    def simple(column: str, *, fuzzy: list[tuple[object, str]] | None = None, tf: bool = False):  # type: ignore[no-untyped-def]
        exact_options = {"tf_adjustment_column": column} if tf else {}
        levels = [
            cll.NullLevel(column),
            level(cll.ExactMatchLevel(column), "exact", **exact_options),
        ]
        levels += [level(creator, label) for creator, label in fuzzy or []]
        levels.append(level(cll.ElseLevel(), "different"))
        return CustomComparison(output_column_name=column, comparison_levels=levels)

    def comparisons():  # type: ignore[no-untyped-def]
        return [
            name("given_name", "surname"),
            name("surname", "given_name"),
            simple(
                "date_of_birth",
                fuzzy=[
                    (
                        cll.CustomLevel(
                            "substr(date_of_birth_l, 1, 4) = substr(date_of_birth_r, 1, 4)"
                            " AND substr(date_of_birth_l, 5, 2) = substr(date_of_birth_r, 7, 2)"
                            " AND substr(date_of_birth_l, 7, 2) = substr(date_of_birth_r, 5, 2)"
                        ),
                        "swapped",
                    ),
                    (cll.DamerauLevenshteinLevel("date_of_birth", 1), "typo"),
                ],
            ),
            simple(
                "soc_sec_id",
                fuzzy=[
                    (cll.DamerauLevenshteinLevel("soc_sec_id", 1), "typo"),
                    (cll.DamerauLevenshteinLevel("soc_sec_id", 2), "two_edits"),
                ],
            ),
            simple("street_number"),
            simple("address_1", fuzzy=[(cll.JaroWinklerLevel("address_1", 0.9), "jw90")]),
            simple("address_2", fuzzy=[(cll.JaroWinklerLevel("address_2", 0.9), "jw90")]),
            simple("suburb", fuzzy=[(cll.JaroWinklerLevel("suburb", 0.9), "jw90")], tf=True),
            simple("postcode", fuzzy=[(cll.DamerauLevenshteinLevel("postcode", 1), "typo")]),
            simple("state"),
        ]

    return LinkageSpec(
        name="febrl",
        comparisons=comparisons,
        blocking_rules=[
            block_on("given_name"),
            block_on("surname"),
            block_on("date_of_birth"),
            block_on("soc_sec_id"),
            block_on("postcode", "street_number"),
        ],
        training_rules=[block_on("date_of_birth"), block_on("given_name", "surname")],
        exact_columns={(column, "exact"): column for column in FIELDS},
        prior_rules=[block_on("soc_sec_id", "date_of_birth")],
        prior_recall=_prior_recall,
        strong={
            "given_name": ("exact",),
            "surname": ("exact",),
            "date_of_birth": ("exact",),
            "soc_sec_id": ("exact",),
        },
        ordered=("date_of_birth", "soc_sec_id", "address_1", "suburb", "postcode"),
    )


def _prior_recall(table: pd.DataFrame, m_exact: dict[str, float | None]) -> float:
    """Matching pairs agreeing on both social security number and date of birth: both
    present on both records, and neither garbled (their trained m)."""
    present = float((table["soc_sec_id"].notna() & table["date_of_birth"].notna()).mean())
    return present**2 * (m_exact.get("soc_sec_id") or 1.0) * (m_exact.get("date_of_birth") or 1.0)


def _prepare(frame: pd.DataFrame, offset: int) -> pd.DataFrame:
    out = frame.reset_index()[["rec_id", *FIELDS]].copy()
    for column in FIELDS:
        text = out[column].astype("string").str.strip().str.lower()
        out[column] = text.where(text.notna() & (text != ""), None).astype(object)
    out.insert(0, "record_id", np.arange(offset, offset + len(out), dtype=np.int64))
    return out


def _labels(true_pairs: set[tuple[int, int]], ids: np.ndarray, seed: int) -> pd.DataFrame:
    """300 true pairs and 300 random pairs that are not true (the check's sample)."""
    rng = np.random.default_rng(seed)
    truth = sorted(true_pairs)
    chosen = [truth[i] for i in rng.choice(len(truth), size=300, replace=False)]
    negatives: list[tuple[int, int]] = []
    while len(negatives) < 300:
        a, b = (int(x) for x in rng.choice(ids, size=2, replace=False))
        pair = (min(a, b), max(a, b))
        if pair not in true_pairs:
            negatives.append(pair)
    rows = [(a, b, True) for a, b in chosen] + [(a, b, False) for a, b in negatives]
    return pd.DataFrame(rows, columns=["record_id_l", "record_id_r", "is_match"])


def _cluster_pairs(clusters: pd.DataFrame, allowed: set[int] | None = None) -> set[tuple[int, int]]:
    """Pairs of records in one cluster (for a link: one from each file)."""
    pairs: set[tuple[int, int]] = set()
    for members in clusters.groupby("cluster_id")["record_id"]:
        ids = sorted(members[1].tolist())
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if allowed is None or ((a in allowed) != (b in allowed)):
                    pairs.add((a, b))
    return pairs


def _scores(predicted: set[tuple[int, int]], truth: set[tuple[int, int]]) -> dict[str, float]:
    correct = len(predicted & truth)
    precision = correct / len(predicted) if predicted else 1.0
    recall = correct / len(truth) if truth else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "pairs": len(predicted)}


U_MAX_PAIRS = {"quick": 1e5, "full": 3e5}


def ours_febrl4(a: pd.DataFrame, b: pd.DataFrame, links: pd.MultiIndex, quick: bool):  # type: ignore[no-untyped-def]
    from grassroots.registry.linkage import LinkageSettings, run_linkage

    started = time.perf_counter()
    left, right = _prepare(a, 0), _prepare(b, len(a))
    id_of = {
        **dict(zip(left.rec_id, left.record_id, strict=True)),
        **dict(zip(right.rec_id, right.record_id, strict=True)),
    }
    truth = {tuple(sorted((id_of[x], id_of[y]))) for x, y in links}
    settings = LinkageSettings(
        auto_merge_probability=THRESHOLD,
        review_probability=THRESHOLD,
        labels=_labels(truth, np.concatenate([left.record_id, right.record_id]), 4),
        min_records_to_train=0,
        u_max_pairs=U_MAX_PAIRS["quick" if quick else "full"],
    )
    result = run_linkage(
        [left.drop(columns=["rec_id"]), right.drop(columns=["rec_id"])],
        _febrl_spec(),
        settings=settings,
        link_type="link_only",
    )
    seconds = time.perf_counter() - started
    predicted = _cluster_pairs(result.clusters, set(left.record_id.tolist()))
    return _scores(predicted, truth), seconds, result.model_check, result


def ours_febrl3(data: pd.DataFrame, links: pd.MultiIndex, quick: bool):  # type: ignore[no-untyped-def]
    from grassroots.registry.linkage import LinkageSettings, run_linkage

    started = time.perf_counter()
    table = _prepare(data, 0)
    id_of = dict(zip(table.rec_id, table.record_id, strict=True))
    truth = {tuple(sorted((id_of[x], id_of[y]))) for x, y in links}
    settings = LinkageSettings(
        auto_merge_probability=THRESHOLD,
        review_probability=THRESHOLD,
        labels=_labels(truth, table.record_id.to_numpy(), 3),
        min_records_to_train=0,
        u_max_pairs=U_MAX_PAIRS["quick" if quick else "full"],
    )
    result = run_linkage([table.drop(columns=["rec_id"])], _febrl_spec(), settings=settings)
    seconds = time.perf_counter() - started
    return _scores(_cluster_pairs(result.clusters), truth), seconds, result.model_check, result


def _theirs_pipeline(left: pd.DataFrame, right: pd.DataFrame | None):  # type: ignore[no-untyped-def]
    import recordlinkage

    indexer = recordlinkage.Index()
    indexer.block("given_name")
    indexer.block("surname")
    indexer.block("date_of_birth")
    indexer.sortedneighbourhood("soc_sec_id", window=3)
    candidates = indexer.index(left) if right is None else indexer.index(left, right)
    compare = recordlinkage.Compare()
    compare.string("given_name", "given_name", method="jarowinkler", threshold=0.85)
    compare.string("surname", "surname", method="jarowinkler", threshold=0.85)
    compare.exact("date_of_birth", "date_of_birth")
    compare.exact("suburb", "suburb")
    compare.exact("state", "state")
    compare.string("address_1", "address_1", method="jarowinkler", threshold=0.85)
    compare.exact("postcode", "postcode")
    compare.exact("soc_sec_id", "soc_sec_id")
    features = (
        compare.compute(candidates, left)
        if right is None
        else compare.compute(candidates, left, right)
    )
    classifier = recordlinkage.ECMClassifier(binarize=0.5)
    return classifier.fit_predict(features)


def _rl_scores(predicted: pd.MultiIndex, links: pd.MultiIndex, dedupe: bool) -> dict[str, float]:
    def norm(index: pd.MultiIndex) -> set[tuple[str, str]]:
        pairs = set()
        for x, y in index:
            pairs.add(tuple(sorted((x, y))) if dedupe else (x, y))
        return pairs

    return _scores(norm(predicted), norm(links))


def _describe(check: dict) -> str:  # type: ignore[type-arg]
    return (
        f"model check passed={check.get('passed')} used={check.get('used')} "
        f"failures={check.get('failures')} labels={check.get('labels')}"
    )


def main() -> None:
    args = parse_args(__doc__ or "")
    logging.getLogger("recordlinkage").setLevel(logging.ERROR)
    from recordlinkage.datasets import load_febrl3, load_febrl4

    a, b, links4 = load_febrl4(return_links=True)
    data3, links3 = load_febrl3(return_links=True)

    started = time.perf_counter()
    theirs4 = _rl_scores(_theirs_pipeline(a, b), links4, dedupe=False)
    theirs4_seconds = time.perf_counter() - started
    theirs3 = _rl_scores(_theirs_pipeline(data3, None), links3, dedupe=True)
    note(f"recordlinkage ECM: FEBRL4 {theirs4} in {theirs4_seconds:.2f} s; FEBRL3 {theirs3}")

    ours4, ours4_seconds, check4, result4 = ours_febrl4(a, b, links4, args.quick)
    timings4 = {k: round(v, 2) for k, v in result4.timings.items()}
    note(f"ours FEBRL4 {ours4} in {ours4_seconds:.2f} s ({timings4}); {_describe(check4)}")
    ours3, ours3_seconds, check3, result3 = ours_febrl3(data3, links3, args.quick)
    timings3 = {k: round(v, 2) for k, v in result3.timings.items()}
    note(f"ours FEBRL3 {ours3} in {ours3_seconds:.2f} s ({timings3}); {_describe(check3)}")

    emit(BENCH, "febrl4_f1", ours4["f1"], "f1", theirs4["f1"], ours4["f1"] / theirs4["f1"])
    emit(BENCH, "febrl3_f1", ours3["f1"], "f1", theirs3["f1"], ours3["f1"] / theirs3["f1"])
    emit(
        BENCH,
        "febrl4_seconds",
        ours4_seconds,
        "s",
        theirs4_seconds,
        theirs4_seconds / ours4_seconds,
    )


if __name__ == "__main__":
    main()
