"""``registry_resolve``: link every person record into golden persons now (entity
resolution); naturally idempotent — a second run changes nothing new."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from grassroots.registry import services

STAGES = ("gather", "link", "write", "review")


class Command(BaseCommand):
    help = "Resolve person records into golden persons (Splink), queue review pairs."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        show = not options["no_progress"] and options["verbosity"] > 0
        with tqdm(total=len(STAGES), desc="resolve", disable=not show) as bar:

            def step(stage: str) -> None:
                bar.set_postfix_str(stage)
                if stage != STAGES[0]:
                    bar.update(1)

            report = services.resolve_people(progress=step)
            bar.update(1)
        self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
