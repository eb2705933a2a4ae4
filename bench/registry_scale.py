"""Deduplicating a generated registry of 1,000,000 people (``--quick``: 100,000).

The registry is the union of four departments' noisy extracts of a synthetic population
(``grassroots.demo.population.registry_records``: public security, civil affairs, social
security, community visits — about two records per person, with typos, homophones,
traditional characters, missing and one-digit-wrong ID numbers, changed phones, address
variants). The generator knows the truth (``person_id``).

Figures:

* ``dedupe_seconds`` — wall time of ``registry.linkage.link_people`` (prepare, train,
  check, score, cluster) over all the records; baseline: the naive rule a clerk would
  write — same ID number, or same name and birth date — as connected components over
  the same records (pandas), same run. ``ratio`` = baseline ÷ ours (< 1: what the model
  costs).
* ``dedupe_f1`` — clustered pairwise F1 of ours against the truth; baseline: the naive
  rule's F1. ``ratio`` = ours ÷ baseline.
* ``peak_mem_mb`` — the peak resident memory of this process and its children
  (``resource.getrusage``, the whole run: data, DuckDB, clustering); no baseline.
* ``import_rows_per_s`` — ``registry.services.import_file`` importing the generated public
  security file (``demo.registry_files``, ~100,000 rows; ``--quick``: ~20,000) into a
  throwaway SQLite database; baseline: ``pandas.read_csv`` of the same file (parsing
  alone, no validation or writing). ``ratio`` = ours ÷ baseline.

``grassroots bench registry_scale [--quick]`` (``--save-known-good PATH``: write the trained
parameters when they pass the check, to refresh the shipped known-good set.)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import secrets
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import emit, note

BENCH = "registry_scale"


def _args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="100,000 people")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--people", type=int, default=None, help="override the size")
    parser.add_argument("--save-known-good", type=Path, default=None)
    parser.add_argument("--skip-import", action="store_true")
    return parser.parse_args()


def _peak_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, children) / 1024.0  # kilobytes on Linux


def naive_clusters(records: pd.DataFrame) -> pd.DataFrame:
    """Same ID number, or same name and birth date: connected components (union-find)."""
    ids = records["record_id"].to_numpy()
    parent = np.arange(len(ids))

    def find(i: np.ndarray) -> np.ndarray:
        while True:
            nxt = parent[i]
            if (nxt == i).all():
                return i
            i = nxt

    def union_groups(keys: pd.Series) -> None:
        present = keys.notna().to_numpy()
        codes = pd.factorize(keys[present])[0]
        idx = np.flatnonzero(present)
        order = np.argsort(codes, kind="stable")
        codes, idx = codes[order], idx[order]
        same = codes[1:] == codes[:-1]
        a, b = idx[:-1][same], idx[1:][same]
        for _ in range(64):  # pointer jumping until every pair shares a root
            ra, rb = find(a), find(b)
            differ = ra != rb
            if not differ.any():
                break
            lo, hi = np.minimum(ra, rb)[differ], np.maximum(ra, rb)[differ]
            parent[hi] = lo

    union_groups(records["id_number"])
    name_birth = (
        records["name"].where(records["birth_date"].notna())
        + "|"
        + records["birth_date"].fillna("")
    )
    union_groups(name_birth)
    roots = find(np.arange(len(ids)))
    return pd.DataFrame({"record_id": ids, "cluster_id": ids[roots]})


def _import_rate(extracts: dict[str, pd.DataFrame], seed: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="bench-registry-"))
    try:
        _import_into(workdir, extracts, seed)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _import_into(workdir: Path, extracts: dict[str, pd.DataFrame], seed: int) -> None:
    """The throwaway database in ``workdir``: its own keys, migrated, then the import."""
    os.environ["DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    os.environ["GRASSROOTS_VAR_DIR"] = str(workdir)
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(40)
    os.environ["FIELD_ENCRYPTION_KEY"] = secrets.token_urlsafe(40)
    os.environ.pop("GRASSROOTS_ENV_FILE", None)
    from bench._common import setup_django

    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from grassroots.demo.registry_files import write_registry_files
    from grassroots.registry.services import import_file
    from tests.org.factories import UserFactory

    files = write_registry_files(
        workdir / "files", {"public_security": extracts["public_security"]}, seed=seed
    )
    source_file = files.files["public_security"]
    steward = UserFactory()
    started = time.perf_counter()
    batch = import_file(source="public_security", user=steward, path=source_file.path)
    seconds = time.perf_counter() - started
    rows = batch.total_rows or 0
    note(
        f"import: {rows} rows ({batch.accepted_rows} accepted, {batch.rejected_rows} rejected,"
        f" {batch.duplicate_rows} duplicate) in {seconds:.1f} s, status {batch.status}"
    )
    if source_file.file_format == "csv":
        started = time.perf_counter()
        pd.read_csv(source_file.path, encoding=source_file.encoding or "utf-8", dtype=str)
        parse = time.perf_counter() - started
        baseline = rows / parse
    else:
        started = time.perf_counter()
        pd.read_excel(source_file.path, dtype=str)
        baseline = rows / (time.perf_counter() - started)
    ours = rows / seconds
    emit(BENCH, "import_rows_per_s", ours, "rows/s", baseline, ours / baseline)


def main() -> None:
    args = _args()
    from grassroots.demo.population import generate_people, source_extracts
    from grassroots.registry.linkage import LinkageSettings, link_people
    from grassroots.registry.linkage.evaluate import cluster_scores

    n = args.people or (100_000 if args.quick else 1_000_000)
    started = time.perf_counter()
    people = generate_people(n, args.seed)
    extracts = source_extracts(people, args.seed)
    records = pd.concat(extracts.values(), ignore_index=True)
    records.insert(0, "record_id", np.arange(len(records), dtype=np.int64))
    note(f"{n:,} people → {len(records):,} records in {time.perf_counter() - started:.1f} s")
    truth = records.set_index("record_id")["person_id"]
    columns = ["record_id", "name", "sex", "birth_date", "id_number", "phone", "address"]
    inputs = records[[*columns, "source"]]

    started = time.perf_counter()
    naive = naive_clusters(inputs)
    naive_seconds = time.perf_counter() - started
    naive_scores = cluster_scores(naive, truth)
    note(f"naive (same ID, or same name + birth date): {naive_seconds:.1f} s, {naive_scores}")

    started = time.perf_counter()
    result = link_people(inputs, settings=LinkageSettings())
    seconds = time.perf_counter() - started
    scores = cluster_scores(result.clusters, truth)
    check = dict(result.model_check)
    parameters = check.pop("parameters", None)
    note(f"link_people: {seconds:.1f} s, steps {result.timings}")
    note(f"scores {scores}")
    note(f"model check: {json.dumps(check, ensure_ascii=False, default=str)}")
    note(f"pairs {len(result.pairs):,}, review queue {len(result.review):,}")
    emit(BENCH, "dedupe_seconds", seconds, "s", naive_seconds, naive_seconds / seconds)
    emit(
        BENCH,
        "dedupe_f1",
        scores["f1"],
        "f1",
        naive_scores["f1"],
        scores["f1"] / naive_scores["f1"],
    )
    if args.save_known_good and check.get("used") == "trained" and parameters:
        parameters["trained_on"] = f"demo.population, {n} people, seed {args.seed}"
        args.save_known_good.write_text(
            json.dumps(parameters, indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        note(f"saved the trained parameters to {args.save_known_good}")
    del result, naive, inputs, records
    emit(BENCH, "peak_mem_mb", _peak_mb(), "MB", None, None)

    if not args.skip_import:
        size = 22_000 if args.quick else 110_000  # public security holds ~93% of them
        small = generate_people(size, args.seed + 1)
        _import_rate(source_extracts(small, args.seed + 1), args.seed + 1)


if __name__ == "__main__":
    main()
