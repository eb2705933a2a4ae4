"""``manage.py insight_rebuild [--no-progress] [--queue]``: recompute every case fact and
rollup from the case table. Idempotent: run it any time (after an import, a change of the
administrative tree, a demo wipe)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from grassroots.cases.models import Case
from grassroots.insight import summary


class Command(BaseCommand):
    help = "Rebuild the insight summary tables (case facts, monthly, daily and cell counts)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")
        parser.add_argument(
            "--queue", action="store_true", help="hand the rebuild to the task queue and return"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            summary.rebuild_in_queue()
            self.stdout.write("insight rebuild queued")
            return
        started = time.perf_counter()
        with tqdm(
            total=Case.objects.count(),
            unit="case",
            desc="insight rebuild",
            disable=options["no_progress"],
        ) as bar:
            result = summary.rebuild(progress=bar.update)
        self.stdout.write(
            f"rebuilt from {result.cases} cases: {result.monthly_rows} monthly, "
            f"{result.daily_rows} daily, {result.cell_rows} cell rows "
            f"in {time.perf_counter() - started:.1f} s"
        )
