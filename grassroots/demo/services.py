"""Building the demo district: the one entry point for the command and ``bin/demo``."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import datetime
from pathlib import Path

from grassroots.open311.services import demo_key_ensure

from .generator.build import BuildResult, DemoRefused, build_demo, current_marker
from .generator.credentials import credentials_table, write_credentials
from .generator.scales import DEFAULT_SEED, SCALES
from .history import DEFAULT_ON, HistoryResult, build_history, has_history, sensor_credentials

__all__ = [
    "DEFAULT_SEED",
    "SCALES",
    "BuildResult",
    "DemoRefused",
    "DemoResult",
    "HistoryResult",
    "credentials_table",
    "demo_build",
    "history_default",
]


@dataclass
class DemoResult(BuildResult):
    """A build, with the case history played after it (``None`` when none was)."""

    history: HistoryResult | None = None


def history_default(scale: str) -> bool:
    """Whether a scale gets its case history unless told otherwise (not ``city``)."""
    return scale in DEFAULT_ON


def demo_build(
    *,
    scale: str = "district",
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: bool = False,
    credentials_file: Path | None = None,
    history: bool = False,
    history_days: int = 365,
    history_end: datetime | None = None,
    history_cases: int | None = None,
) -> DemoResult:
    """Build the demo tree, departments and accounts for ``scale`` from ``seed``, in one
    transaction, and write the credentials file; with ``history``, then play
    ``history_days`` of cases (ending ``history_end``, default now; ``history_cases`` a
    year, default ``history.annual_volume``) through the case services
    (``grassroots.demo.history``), with sensors whose keys join the file.

    Idempotent: if the database already holds this scale and seed, nothing is built (the
    credentials file is written again; a missing history is added when asked for). A
    different demo is replaced only with ``force``; a tree that is not a demo is never
    touched (``DemoRefused``).
    """
    built = build_demo(
        scale=scale,
        seed=seed,
        force=force,
        progress=progress,
        credentials_file=credentials_file,
    )
    result = DemoResult(**{f.name: getattr(built, f.name) for f in fields(built)})
    marker = current_marker()
    district_code = (marker.detail or {}).get("district_code") if marker else None
    if not district_code:
        return result
    if history and not has_history(district_code):
        outcome = build_history(
            scale=scale,
            seed=seed,
            district_code=district_code,
            days=history_days,
            end=history_end,
            annual=history_cases,
            progress=progress,
        )
        counts = dict(result.counts)
        counts["cases"] = outcome.cases
        counts["sensor readings"] = outcome.readings
        result = replace(
            result,
            status="built",
            counts=counts,
            seconds=result.seconds + outcome.seconds,
            history=outcome,
        )
    document = dict(result.credentials)
    # The demo's Open311 app: a key derived from the seed, stored only hashed. A demo left
    # as it was keeps the key its file already names (``PRESERVED_KEYS``).
    demo_key = demo_key_ensure(seed=seed)
    if result.status != "present" or not document.get("open311_api_key"):
        document["open311_api_key"] = demo_key
    sensors = sensor_credentials(seed=seed, district_code=district_code)
    if sensors:
        document["sensors"] = sensors
    path = write_credentials(document, credentials_file or result.credentials_file)
    return replace(result, credentials=document, credentials_file=path)
