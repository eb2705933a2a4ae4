"""``manage.py insight_scan [--kind spike|cluster|repeat|sensor ...] [--at ISO] [--queue]``:
run the early-warning scan now (the task queue runs it every ``INSIGHT_SCAN_MINUTES``).
Naturally idempotent: a situation already alerted is updated, not raised again."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from grassroots.insight import scan
from grassroots.insight.choices import AlertKind


class Command(BaseCommand):
    help = "Run the early-warning scan (count spikes, clusters, repeats, sensors)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--kind", action="append", choices=AlertKind.values, help="only these detectors"
        )
        parser.add_argument("--at", help="scan as of this time (ISO 8601), e.g. to replay")
        parser.add_argument("--queue", action="store_true", help="hand it to the task queue")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["queue"]:
            from grassroots.insight.tasks import scan_now

            scan_now()
            self.stdout.write("insight scan queued")
            return
        now = None
        if options["at"]:
            now = parse_datetime(options["at"])
            if now is None:
                raise CommandError("--at must be an ISO 8601 time, e.g. 2026-07-20T18:00+08:00")
            if timezone.is_naive(now):
                now = timezone.make_aware(now)
        started = time.perf_counter()
        kinds = tuple(options["kind"]) if options["kind"] else None
        result = scan.scan(now=now, kinds=kinds)
        self.stdout.write(
            f"insight scan: {result.summary()}; {result.suppressed} suppressed "
            f"in {time.perf_counter() - started:.1f} s"
        )
