"""A year of case history for the demo district, played through the real services.

- ``profiles``: what residents report, in which season, at which hours, through which
  channels and at which hotspots;
- ``setup``: the district's grids and hotspots, the staff who act on cases, duty rules,
  sensors (keys derived from the seed);
- ``intake``: the weather and every report of the period, planned in memory;
- ``lifecycle``: each case's fate and its next step;
- ``run``: the event loop that drives ``cases.services`` in time order.

Volume: a real district of 100,000 residents sees about 0.3 reports per resident per
year (≈30,000: 12345 hotline requests plus the grid workers' patrol reports; Beijing's
12345 alone takes about one request per resident a year, a third of them dispatched to a
district). Every report is played through the services (about ten service calls and
~45 queries each: 30–40 ms of CPU per case on SQLite on a small 2-core machine), so the
default demo plays 0.06 per resident (≈6,000 a year for ``district``, a few minutes) and
``small`` 600 (for the tests); ``annual=`` (``--history-cases``) asks for more, up to
the realistic 30,000 (proportionally longer: about 20 minutes there). Deterministic
from the seed and the end of the period (tracking codes aside: they come from
``secrets``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone

from grassroots.audit.services import audit_record
from grassroots.cases import calendar, notify
from grassroots.cases.models import Case, SensorDevice
from grassroots.org.locate import invalidate_index
from grassroots.org.models import Unit

from .intake import plan_intakes, plan_readings, plan_weather
from .run import Player
from .setup import (
    choose_hotspots,
    ensure_departments,
    ensure_duty_rules,
    ensure_sensors,
    ensure_staff,
    load_district,
    plan_sensors,
    sensor_key,
)

HISTORY_ACTION = "demo.history"
REALISTIC_PER_RESIDENT_YEAR = 0.30  # what a real district sees (see above)
DEMO_PER_RESIDENT_YEAR = 0.06  # what the demo plays by default, to build in minutes
ANNUAL_CASES = {"small": 600}
DEFAULT_ON = frozenset({"small", "district"})

__all__ = [
    "DEFAULT_ON",
    "HISTORY_ACTION",
    "HistoryResult",
    "annual_volume",
    "build_history",
    "has_history",
    "sensor_credentials",
]


@dataclass
class HistoryResult:
    cases: int
    days: int
    end: datetime
    readings: int = 0
    escalated: int = 0
    staff_created: int = 0
    duty_rules: int = 0
    steps: dict[str, int] = field(default_factory=dict)
    refused: dict[str, int] = field(default_factory=dict)
    sensors: list[dict[str, str]] = field(default_factory=list)
    hotspots: dict[str, list[str]] = field(default_factory=dict)
    seconds: float = 0.0


def annual_volume(scale: str, population: int) -> int:
    """Default reports per year: 600 for ``small``, 0.06 per resident otherwise."""
    if scale in ANNUAL_CASES:
        return ANNUAL_CASES[scale]
    return int(round(population * DEMO_PER_RESIDENT_YEAR, -2))


def has_history(district_code: str) -> bool:
    return Case.objects.filter(area__path__contains=f"/{district_code}/").exists()


def sensor_credentials(*, seed: int, district_code: str) -> list[dict[str, str]]:
    """The demo sensors of the district with their keys (derived from the seed)."""
    devices = SensorDevice.objects.filter(device_id__contains=f"-{district_code}-").order_by(
        "device_id"
    )
    return [
        {"device_id": d.device_id, "key": sensor_key(seed, d.device_id), "name": d.name}
        for d in devices
    ]


def build_history(
    *,
    scale: str,
    seed: int,
    district_code: str,
    days: int = 365,
    end: datetime | None = None,
    annual: int | None = None,
    progress: bool = False,
) -> HistoryResult:
    """Generate and play ``days`` of reports ending at ``end`` (default: now) in the demo
    district ``district_code``, with its staff, duty rules and sensors; ``annual`` reports
    a year (default ``annual_volume``)."""
    started = time.perf_counter()
    if not 1 <= days <= 365:
        raise ValueError("history days must be between 1 and 365")
    if annual is not None and not 1 <= annual <= 1_000_000:
        raise ValueError("history cases a year must be between 1 and 1,000,000")
    end = (end or timezone.now()).replace(microsecond=0)
    start = end - timedelta(days=days)
    invalidate_index()
    calendar.clear_cache()
    root = Unit.objects.get(code=district_code)
    district = load_district(district_code)
    choose_hotspots(district, np.random.default_rng([seed, 0x415, 1]))
    with transaction.atomic():
        departments = ensure_departments(root)
        staff, created = ensure_staff(district, departments)
        rules = ensure_duty_rules(district, departments)
        specs = plan_sensors(district)
        devices, keys = ensure_sensors(district, specs, seed)
    weather = plan_weather(end, np.random.default_rng([seed, 0x415, 2]), calendar.is_workday)
    intakes = plan_intakes(
        district=district,
        weather=weather,
        annual=annual or annual_volume(scale, root.population),
        start=start,
        end=end,
        rng=np.random.default_rng([seed, 0x415, 3]),
    )
    readings = plan_readings(
        kinds=[s.kind for s in specs],
        thresholds=[s.threshold for s in specs],
        weather=weather,
        start=start,
        end=end,
        rng=np.random.default_rng([seed, 0x415, 4]),
    )
    player = Player(
        seed=seed,
        district=district,
        staff=staff,
        intakes=intakes,
        devices=devices,
        readings=readings,
        start=start,
        end=end,
        progress=progress,
    )
    # no query log (DEBUG) and nothing sent to anyone while a year of steps is played
    with override_settings(DEBUG=False), notify.suppressed():
        stats = player.play()
    hotspots = {
        kind: [district.grids[i].code for i in grids] for kind, grids in district.hotspots.items()
    }
    result = HistoryResult(
        cases=stats.cases,
        days=days,
        end=end,
        readings=stats.readings,
        escalated=stats.escalated,
        staff_created=created,
        duty_rules=rules,
        steps=dict(stats.steps),
        refused=dict(stats.refused),
        sensors=keys,
        hotspots=hotspots,
    )
    detail: dict[str, Any] = {
        "scale": scale,
        "seed": seed,
        "district_code": district_code,
        "days": days,
        "annual": annual or annual_volume(scale, root.population),
        "end": end.isoformat(),
        "cases": stats.cases,
        "hotspots": hotspots,
        "refused": sum(stats.refused.values()),
    }
    audit_record(
        actor=None,
        action=HISTORY_ACTION,
        target_type="org.unit",
        target_id=district_code,
        detail=detail,
    )
    result.seconds = time.perf_counter() - started
    return result
