"""The demo's case history: volumes, channels, seasons, hotspots, and a replay of every
timeline against the state machine.

The small demo with a year of history is built once for the module and committed (like
tests/org/test_locate_property.py); the fixture wipes it afterwards.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F
from django.test import override_settings

from grassroots.audit.models import AuditEvent
from grassroots.cases import workflow
from grassroots.cases.choices import OPEN_STATUSES, CaseStatus, Channel, Rating
from grassroots.cases.models import Case, DutyRule, SensorDevice, TimelineEntry
from grassroots.cases.sensors import device_authenticate
from grassroots.demo.generator.build import MARKER_ACTION, _wipe_cases, current_marker, wipe_demo
from grassroots.demo.history import HISTORY_ACTION, build_history
from grassroots.demo.history.profiles import NIGHT_MARKET
from grassroots.demo.services import DemoResult, demo_build
from grassroots.org.locate import invalidate_index
from grassroots.org.models import BoundaryGeneration, Department, Unit

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 9, 30, 20, 0, tzinfo=TZ)
SEED = 5
DRAINAGE = {("event", "0404"), ("component", "0104"), ("component", "0103")}
NIGHT_NOISE = {("event", "0508"), ("event", "0510"), ("event", "0501"), ("hotline", "H10")}


@dataclass(frozen=True)
class Built:
    result: DemoResult
    credentials: Path


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Built]:
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        credentials = tmp_path_factory.mktemp("history") / "credentials.json"
        result = demo_build(
            scale="small",
            seed=SEED,
            credentials_file=credentials,
            history=True,
            history_end=END,
        )
        try:
            yield Built(result, credentials)
        finally:
            marker = current_marker()
            if marker is not None:
                wipe_demo(marker)
            AuditEvent.objects.filter(action__in=[MARKER_ACTION, HISTORY_ACTION]).delete()
            BoundaryGeneration.objects.all().delete()
            invalidate_index()


def _cases() -> list[Case]:
    return list(Case.objects.select_related("category").order_by("created_at", "id"))


@pytest.mark.django_db
def test_volume_channels_and_no_refused_step(built: Built) -> None:
    history = built.result.history
    assert history is not None
    assert history.refused == {}, history.refused
    assert 450 <= history.cases <= 800
    assert Case.objects.count() == history.cases
    channels = Counter(Case.objects.values_list("channel", flat=True))
    assert set(channels) == set(Channel.values)
    assert all(channels[c] > 0 for c in Channel.values)
    # realistic shares: the hotline and patrols carry most, sensors and Open311 a little
    total = sum(channels.values())
    assert channels[Channel.HOTLINE] / total > 0.25
    assert channels[Channel.PATROL] / total > 0.15
    assert channels[Channel.SENSOR] / total < 0.08
    assert channels[Channel.OPEN311] / total < 0.1


@pytest.mark.django_db
def test_seasons_and_hours(built: Built) -> None:
    summer = winter = 0
    evening_noise = night_noise_total = 0
    for case in _cases():
        key = (case.category.kind, case.category.code)
        local = case.created_at.astimezone(TZ)
        if key in DRAINAGE:
            summer += local.month in (6, 7, 8)
            winter += local.month in (12, 1, 2)
        if key in NIGHT_NOISE:
            night_noise_total += 1
            evening_noise += local.hour >= 18 or local.hour < 2
    assert summer > 2 * winter
    assert evening_noise > night_noise_total / 2
    # fewer reports at night than in the morning
    hours = Counter(c.created_at.astimezone(TZ).hour for c in _cases())
    assert sum(hours[h] for h in range(2, 6)) < sum(hours[h] for h in range(9, 13)) / 4


@pytest.mark.django_db
def test_weekly_rhythm_of_the_channels(built: Built) -> None:
    from grassroots.cases.calendar import is_workday

    per_day: dict[str, Counter[bool]] = {c: Counter() for c in Channel.values}
    for channel, created in Case.objects.values_list("channel", "created_at"):
        per_day[channel][is_workday(created.astimezone(TZ).date())] += 1
    # a year has about 250 working days and 115 rest days
    hotline = per_day[Channel.HOTLINE]
    assert hotline[True] / 250 > 1.2 * hotline[False] / 115
    assert per_day[Channel.WINDOW][False] == 0
    patrol_hours = Counter(
        c.astimezone(TZ).hour
        for c in Case.objects.filter(channel=Channel.PATROL).values_list("created_at", flat=True)
    )
    assert set(patrol_hours) <= set(range(8, 18))


@pytest.mark.django_db
def test_night_market_grid_is_a_noise_hotspot(built: Built) -> None:
    history = built.result.history
    assert history is not None
    market_code = history.hotspots[NIGHT_MARKET][0]
    per_grid: Counter[str] = Counter()
    for case in Case.objects.select_related("category", "grid"):
        if (case.category.kind, case.category.code) in NIGHT_NOISE and case.grid:
            per_grid[case.grid.code] += 1
    grids = Unit.objects.filter(level="grid").count()
    average = sum(per_grid.values()) / grids
    assert per_grid[market_code] > 4 * average
    assert per_grid.most_common(1)[0][0] == market_code


def _replay(case: Case, entries: list[TimelineEntry]) -> None:
    assert entries, case
    assert entries[0].action == "submit" and entries[0].to_status == CaseStatus.SUBMITTED
    assert entries[0].at == case.created_at
    status = ""
    before_suspend = ""
    last = entries[0].at
    for entry in entries:
        assert entry.at >= last, (case.pk, entry.action)
        last = entry.at
        if entry.action in workflow.NOTES:
            assert entry.action != "submit" or not status
            status = status or entry.to_status
            assert entry.to_status == status, (case.pk, entry.action)
            continue
        transition = workflow.TRANSITIONS[entry.action]
        assert entry.from_status == status, (case.pk, entry.action, status)
        assert status in transition.sources, (case.pk, entry.action, status)
        if entry.action == "suspend":
            before_suspend = status
        target = transition.target or before_suspend
        assert entry.to_status == target, (case.pk, entry.action)
        status = target
    assert status == case.status, case.pk


@pytest.mark.django_db
def test_every_timeline_replays_through_the_state_machine(built: Built) -> None:
    timelines: dict[int, list[TimelineEntry]] = {}
    for entry in TimelineEntry.objects.order_by("at", "id"):
        timelines.setdefault(entry.case_id, []).append(entry)
    cases = _cases()
    assert set(timelines) == {c.pk for c in cases}
    for case in cases:
        entries = timelines[case.pk]
        _replay(case, entries)
        if any(e.action == "dispatch" for e in entries):
            assert case.dispatched_at and case.response_due and case.resolve_due
            assert case.owner_unit_id
        if case.status == CaseStatus.MERGED:
            assert case.merged_into_id is not None


@pytest.mark.django_db
def test_outcomes_are_realistic(built: Built) -> None:
    statuses = Counter(Case.objects.values_list("status", flat=True))
    total = sum(statuses.values())
    for status in (
        CaseStatus.RATED,
        CaseStatus.CLOSED,
        CaseStatus.NOT_ACCEPTED,
        CaseStatus.MERGED,
        CaseStatus.WITHDRAWN,
    ):
        assert statuses[status] > 0, status
    assert statuses[CaseStatus.RATED] / total > 0.6
    # recent cases are still open, at more than one stage
    open_now = {s for s in statuses if s in OPEN_STATUSES}
    assert len(open_now) >= 3, statuses
    ratings = Counter(Case.objects.exclude(rating="").values_list("rating", flat=True))
    assert ratings[Rating.SATISFIED] > ratings[Rating.BASIC] > ratings[Rating.DISSATISFIED] > 0
    assert 0.03 < ratings[Rating.DISSATISFIED] / sum(ratings.values()) < 0.25
    assert Case.objects.filter(reopen_count__gt=0).exists()
    assert Case.objects.filter(return_count__gt=0).exists()
    overdue = Case.objects.filter(handled_at__gt=F("resolve_due")).count()
    assert 0.03 < overdue / total < 0.3
    assert TimelineEntry.objects.filter(action="escalate").exists()
    assert Case.objects.filter(escalation_level__gt=0, supervised=True).exists()
    for action in ("suspend", "resume", "send_back", "merged_result", "reject", "return"):
        assert TimelineEntry.objects.filter(action=action).exists(), action


@pytest.mark.django_db
def test_duty_rules_route_some_cases(built: Built) -> None:
    contractor = Department.objects.get(key="sanitation_contract")
    assert DutyRule.objects.count() >= 10
    assert Case.objects.filter(department=contractor).exists()
    assert Case.objects.filter(assignments__role="assist").exists()


@pytest.mark.django_db
def test_sensors_are_in_the_credentials_and_authenticate(built: Built) -> None:
    document = json.loads(built.credentials.read_text(encoding="utf-8"))
    sensors = document["sensors"]
    assert 3 <= len(sensors) <= 5
    for sensor in sensors:
        device = device_authenticate(device_id=sensor["device_id"], key=sensor["key"])
        assert device is not None
    assert SensorDevice.objects.filter(readings__over_threshold=True).exists()
    assert Case.objects.filter(channel=Channel.SENSOR, sensor_readings__isnull=False).exists()


@pytest.mark.django_db
def test_same_seed_same_history(built: Built) -> None:
    """Determinism on a short period (the full year was played once by the fixture):
    same seed and end → the same (category, created_at, channel, status) tuples."""
    district = current_marker().detail["district_code"]  # type: ignore[union-attr]

    def play() -> list[tuple[str, str, str, str]]:
        root = Unit.objects.get(code=district)
        units = Unit.objects.filter(path__startswith=root.path)
        _wipe_cases(units, Department.objects.filter(jurisdiction__in=units))
        build_history(scale="small", seed=SEED, district_code=district, days=10, end=END)
        return sorted(
            (c.category.code, c.created_at.isoformat(), c.channel, c.status)
            for c in Case.objects.select_related("category")
        )

    first = play()
    assert len(first) > 10
    assert play() == first


@pytest.mark.django_db
@pytest.mark.parametrize(
    "args", [["--history-days", "0"], ["--history-days", "400"], ["--history-cases", "0"]]
)
def test_command_refuses_bad_history_options(args: list[str]) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("demo_build", "--scale", "small", "--no-progress", *args)
