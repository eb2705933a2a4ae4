"""``grassroots demo --scale small|district|city [--seed N] [--if-missing] [--force]
[--history|--no-history] [--history-days N] [--history-cases N]``."""

from __future__ import annotations

from argparse import BooleanOptionalAction
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from grassroots.demo.services import (
    DEFAULT_SEED,
    SCALES,
    DemoRefused,
    credentials_table,
    demo_build,
    history_default,
)


class Command(BaseCommand):
    help = (
        "Build the demo district (streets, communities, grids, departments, accounts) and "
        "a year of case history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="district")
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing if this scale and seed are already built, only print the accounts "
            "(always the case: the flag states it for scripts such as bin/demo)",
        )
        parser.add_argument(
            "--force", action="store_true", help="wipe a previous demo and build again"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bars")
        parser.add_argument(
            "--history",
            action=BooleanOptionalAction,
            default=None,
            help="play a case history through the case services after the tree "
            "(default: on for small and district, off for city); added to an existing "
            "demo that has none",
        )
        parser.add_argument(
            "--history-days",
            type=int,
            default=365,
            help="days of case history, ending now (1–365, default 365)",
        )
        parser.add_argument(
            "--history-cases",
            type=int,
            default=None,
            help="reports a year (default: 600 for small, 0.06 per resident otherwise, about "
            "6,000 for district; a real district sees about 0.3 per resident, 30,000, which "
            "takes proportionally longer to build)",
        )

        parser.add_argument(
            "--registry",
            action=BooleanOptionalAction,
            default=None,
            help="load the base database (department files imported, people linked) after "
            "the tree (default: on for small and district, off for city)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seed"] < 0:
            raise CommandError("--seed must be ≥ 0")
        if not 1 <= options["history_days"] <= 365:
            raise CommandError("--history-days must be between 1 and 365")
        if options["history_cases"] is not None and not 1 <= options["history_cases"] <= 10**6:
            raise CommandError("--history-cases must be between 1 and 1,000,000")
        history = options["history"]
        if history is None:
            history = history_default(options["scale"])
        try:
            result = demo_build(
                scale=options["scale"],
                seed=options["seed"],
                force=options["force"],
                progress=not options["no_progress"] and options["verbosity"] > 0,
                history=history,
                history_days=options["history_days"],
                history_cases=options["history_cases"],
            )
        except DemoRefused as error:
            raise CommandError(str(error)) from error
        registry = options["registry"]
        if registry is None:
            registry = options["scale"] != "city"
        if registry:
            self._registry(options)
        if result.status == "present":
            self.stdout.write(
                f"demo (scale {result.scale}, seed {result.seed}) already built; nothing to do."
            )
        else:
            counts = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
            self.stdout.write(
                self.style.SUCCESS(
                    f"built demo (scale {result.scale}, seed {result.seed}) in "
                    f"{result.seconds:.1f} s: {counts}"
                )
            )
        if result.history is not None and result.history.refused:
            refused = sum(result.history.refused.values())
            self.stdout.write(self.style.WARNING(f"{refused} history steps were refused"))
        self.stdout.write(f"\ndemo accounts (also in {result.credentials_file}):\n")
        self.stdout.write(credentials_table(result.credentials))
        for sensor in result.credentials.get("sensors", []):
            self.stdout.write(f"sensor {sensor['device_id']}: key {sensor['key']}")

    def _registry(self, options: dict[str, Any]) -> None:
        from grassroots.demo.generator.build import current_marker
        from grassroots.demo.registry_load import load_demo_registry

        marker = current_marker()
        district_code = (marker.detail or {}).get("district_code") if marker else None
        if not district_code:
            return
        loaded = load_demo_registry(
            scale=options["scale"],
            seed=options["seed"],
            district_code=district_code,
            force=options["force"],
            progress=not options["no_progress"] and options["verbosity"] > 0,
        )
        if loaded.status == "built":
            counts = ", ".join(f"{k} {v:,}" for k, v in loaded.counts.items())
            self.stdout.write(f"base database loaded in {loaded.seconds:.1f} s: {counts}")
