"""What keeping the insight rollups current costs, and how fast they are rebuilt.

Runs over a throwaway SQLite database (a temporary directory), migrated, holding the small
located world of the tests (``tests.cases.factories.make_world``: one district, a street,
two communities with a grid each, three departments).

Figures:

* ``receiver_intake_ms`` — CPU milliseconds per report through ``cases.services.case_submit``
  with the insight receiver connected; baseline: the same reports with it disconnected,
  same run (alternating rounds, best of each). ``ratio`` = baseline ÷ ours (< 1: the cost).
* ``receiver_lifecycle_ms`` — the same for a whole loop per case: submit (patrol),
  dispatch, accept, handle, verify, close, rate (7 steps, 8 timeline entries).
* ``rebuild_cases_per_s`` — ``insight.summary.rebuild`` over a case table grown by copying
  the looped cases (``--quick``: 50,000 cases; otherwise 1,000,000); baseline: replaying the
  receiver's incremental path (``apply_case``) case by case over a sample, same run.

``grassroots bench insight_summary [--quick]``
"""

from __future__ import annotations

import copy
import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import emit, note, parse_args

BENCH = "insight_summary"


def main() -> None:
    args = parse_args(__doc__ or "")
    workdir = tempfile.mkdtemp(prefix="bench-insight-")
    os.environ["DATABASE_URL"] = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
    os.environ["DEBUG"] = "false"  # as deployed: no SQL logging
    from bench._common import setup_django

    setup_django()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    from grassroots.cases.choices import Channel, Rating
    from grassroots.cases.models import Case
    from grassroots.cases.notify import suppressed
    from grassroots.cases.signals import case_changed
    from grassroots.insight import receivers
    from grassroots.insight.summary import apply_case, rebuild
    from tests.cases.factories import make_world
    from tests.insight.factories import T0, run_to, step, submit

    world = make_world()
    per_round = 60 if args.quick else 200
    rounds = 2 if args.quick else 3

    def connect(on: bool) -> None:
        if on:
            case_changed.connect(receivers._case_changed, dispatch_uid="insight.summary.apply_case")
        else:
            case_changed.disconnect(dispatch_uid="insight.summary.apply_case")

    def intake(n: int) -> None:
        for i in range(n):
            submit(world, at=T0 + timedelta(minutes=i), channel=Channel.PATROL)

    def lifecycle(n: int) -> None:
        for i in range(n):
            at = T0 + timedelta(minutes=i)
            case = submit(world, at=at, channel=Channel.PATROL)
            case = step(world, case, "dispatch", at=at + timedelta(minutes=1))
            run_to(
                world,
                case,
                ["accept", "handle", "verify", "close", "rate"],
                start=at,
                rate={"rating": Rating.SATISFIED},
            )

    def measure(work, n: int) -> tuple[float, float]:
        best = {True: float("inf"), False: float("inf")}
        for _ in range(rounds):
            for on in (False, True):
                connect(on)
                with transaction.atomic():
                    started = time.process_time()
                    work(n)
                    best[on] = min(best[on], time.process_time() - started)
                    transaction.set_rollback(True)
        connect(True)
        return 1000 * best[True] / n, 1000 * best[False] / n

    with suppressed():
        ours, base = measure(intake, per_round)
        emit(BENCH, "receiver_intake_ms", ours, "ms", base, base / ours)
        ours, base = measure(lifecycle, per_round)
        emit(BENCH, "receiver_lifecycle_ms", ours, "ms", base, base / ours)

        # Grow the case table by copying looped cases (ORM bulk insert of Case rows).
        lifecycle(per_round)
        seed = list(Case.objects.all())
        target = 50_000 if args.quick else 1_000_000
        note(f"growing the case table to {target} cases …")
        copies = []
        serial = 0
        while Case.objects.count() + len(copies) < target:
            for case in seed:
                serial += 1
                twin = copy.copy(case)
                twin.pk = None
                twin.tracking_code = f"B{serial:09d}"
                copies.append(twin)
            if len(copies) >= 20_000:
                Case.objects.bulk_create(copies, batch_size=2000)
                copies = []
        Case.objects.bulk_create(copies, batch_size=2000)
        total = Case.objects.count()
        started = time.perf_counter()
        result = rebuild()
        rebuild_s = time.perf_counter() - started
        note(f"rebuild of {total} cases: {rebuild_s:.1f} s, {result}")
        sample = list(Case.objects.order_by("pk")[:2000])
        with transaction.atomic():
            from grassroots.insight.models import CaseFact

            CaseFact.objects.filter(case__in=sample).delete()
            started = time.perf_counter()
            for case in sample:
                apply_case(case)
            incremental_s = (time.perf_counter() - started) / len(sample)
            transaction.set_rollback(True)
        emit(
            BENCH,
            "rebuild_cases_per_s",
            total / rebuild_s,
            "cases/s",
            1 / incremental_s,
            (total / rebuild_s) * incremental_s,
        )
    connection.close()


if __name__ == "__main__":
    main()
