"""``registry_import SOURCE FILE [--observed-at YYYY-MM-DD] [--user NAME] [--resolve]``:
import one department file now, with a progress bar; the rejects file is written next to
the input when rows were refused. Importing the same file again imports nothing new."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from grassroots.registry import services
from grassroots.registry.choices import ImportStatus
from grassroots.registry.sources import SOURCE_BY_KEY


class Command(BaseCommand):
    help = "Import a department file (CSV or XLSX) into the base database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("source", choices=sorted(SOURCE_BY_KEY))
        parser.add_argument("file", type=Path)
        parser.add_argument("--observed-at", type=date.fromisoformat, default=None)
        parser.add_argument("--user", default=None, help="username recorded as the uploader")
        parser.add_argument(
            "--resolve", action="store_true", help="link people into golden records afterwards"
        )
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        user = None
        if options["user"]:
            user = get_user_model().objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"no such user: {options['user']}")
        show = not options["no_progress"] and options["verbosity"] > 0
        with tqdm(desc=path.name, unit="row", disable=not show) as bar:
            batch = services.import_file(
                source=options["source"],
                path=path,
                user=user,
                observed_at=options["observed_at"],
                progress=bar.update,
            )
        if batch.status != ImportStatus.DONE:
            raise CommandError(f"file refused: {batch.error}")
        self.stdout.write(
            f"batch {batch.pk}: {batch.accepted_rows} imported, {batch.rejected_rows} rejected, "
            f"{batch.duplicate_rows} duplicates"
        )
        if batch.rejected_rows:
            name, content = services.import_rejects_file(batch=batch, user=user)
            target = path.with_name(name)
            target.write_bytes(content)
            self.stdout.write(f"rejects written to {target}")
        if options["resolve"]:
            report = services.resolve_people(user=user)
            self.stdout.write(f"resolution: {report.as_dict()}")
