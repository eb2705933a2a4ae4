"""Issue an Open311 api_key for a third-party app; the key is printed once."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from grassroots.core.errors import DomainError
from grassroots.open311.services import api_key_issue


class Command(BaseCommand):
    help = "Issue an Open311 api_key (printed once; only its hash is stored)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--app", required=True, help="name of the third-party app")
        parser.add_argument("--contact", default="")
        parser.add_argument("--limit", type=int, default=100, help="requests per hour")
        parser.add_argument("--commit", action="store_true", help="really issue the key")

    def handle(self, *args: Any, **options: Any) -> None:
        app, limit = options["app"], options["limit"]
        if not options["commit"]:
            self.stdout.write(f"would issue a key for {app!r} limited to {limit}/hour (--commit)")
            return
        try:
            issued = api_key_issue(
                app_name=app, contact=options["contact"], rate_limit_per_hour=limit
            )
        except DomainError as exc:
            raise CommandError(str(exc.message)) from exc
        self.stdout.write(f"api_key for {issued.api_key.app_name}: {issued.key}")
        self.stdout.write("It is shown only now; store it safely.")
