"""The early-warning scan over the summary tables: spikes (raised at the lowest unit that
explains them, one alert per situation, updated as it grows), clusters, repeated reports,
sensors; dismissed situations are not raised again unless they grow."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
import pytest
from django.core.management import call_command
from django.utils import timezone

from grassroots.cases.choices import Channel
from grassroots.cases.models import SensorDevice, SensorReading
from grassroots.insight import alerts, scan
from grassroots.insight.choices import AlertKind, AlertStatus, Severity
from grassroots.insight.models import Alert, DailyStat

from ..cases.factories import World, category, make_world
from .factories import submit

pytestmark = pytest.mark.django_db

TZ = timezone.get_default_timezone()
TODAY = date(2026, 7, 20)
NOW = datetime.combine(TODAY, time(18, 0), tzinfo=TZ)


@pytest.fixture
def world() -> World:
    return make_world()


def write_history(unit, cat, counts: np.ndarray, *, last: date = TODAY) -> None:
    first = last - timedelta(days=len(counts) - 1)
    DailyStat.objects.bulk_create(
        DailyStat(
            day=first + timedelta(days=i),
            unit=unit,
            unit_path=unit.path,
            category=cat,
            received=int(n),
        )
        for i, n in enumerate(counts)
        if n
    )


def history(rng: np.random.Generator, days: int = 400, level: float = 2.0) -> np.ndarray:
    weekday = np.array(
        [0.7 if (TODAY - timedelta(days=days - 1 - i)).weekday() >= 5 else 1.0 for i in range(days)]
    )
    return rng.poisson(level * weekday)


def test_spike_in_one_grid_is_one_alert_at_the_grid(world: World):
    rng = np.random.default_rng(1)
    drains = category("event", "0404")
    grid_counts = history(rng)
    grid_counts[-3:] += [8, 10, 12]
    write_history(world.grid, drains, grid_counts)
    write_history(world.other_grid, drains, history(rng))

    result = scan.scan(now=NOW, kinds=(AlertKind.SPIKE,))

    assert result.raised[AlertKind.SPIKE] == 1
    alert = Alert.objects.get()
    assert (alert.kind, alert.unit_id, alert.category_id) == ("spike", world.grid.pk, drains.pk)
    assert alert.status == AlertStatus.OPEN
    assert alert.observed == grid_counts[-3:].sum()
    assert 4 < alert.expected < 9  # about 2 a day, fewer at weekends
    assert alert.severity in {Severity.WARNING, Severity.CRITICAL}
    assert alert.dedup_key == f"spike:{world.grid.pk}:{drains.pk}"
    assert alert.window_start == datetime.combine(TODAY - timedelta(days=2), time.min, tzinfo=TZ)
    data = alert.explanation_data
    assert data["days"] == 3 and data["unit"] == world.grid.name
    assert len(data["series"]["observed"]) == scan.CHART_DAYS
    assert data["series"]["observed"][-3:] == [int(v) for v in grid_counts[-3:]]
    assert "第1网格近 3 天收到“下水道堵塞”" in alert.explanation
    assert "left_out" not in data
    # the community and street above it saw the same reports: no second alert there


def test_spread_over_grids_alerts_the_community(world: World):
    """A rise too small to stand out in any one grid, but clear over the community."""
    rng = np.random.default_rng(2)
    drains = category("event", "0404")
    sub = []
    for _ in range(3):
        grid = world.grid.__class__.objects.create(
            parent=world.community,
            level="grid",
            code=f"{world.community.code}{len(sub) + 50:03d}",
            name=f"附加网格{len(sub)}",
            path=f"{world.community.path}{world.community.code}{len(sub) + 50:03d}/",
            depth=world.community.depth + 1,
        )
        sub.append(grid)
    for grid in [world.grid, *sub]:
        counts = history(rng, level=2.0)
        counts[-7:] += 1  # one more a day in every grid for a week
        write_history(grid, drains, counts)

    scan.scan(now=NOW, kinds=(AlertKind.SPIKE,))

    units = set(Alert.objects.values_list("unit_id", flat=True))
    assert world.community.pk in units
    assert world.street.pk not in units and world.district.pk not in units


def test_no_alert_on_an_ordinary_week(world: World):
    rng = np.random.default_rng(3)
    write_history(world.grid, category("event", "0404"), history(rng, level=3.0))
    write_history(world.other_grid, category("event", "0404"), history(rng, level=3.0))
    assert scan.scan(now=NOW, kinds=(AlertKind.SPIKE,)).raised[AlertKind.SPIKE] == 0
    assert not Alert.objects.exists()


def test_rescan_updates_the_same_alert_and_recalculates_severity(world: World):
    rng = np.random.default_rng(4)
    drains = category("event", "0404")
    counts = history(rng)
    counts[-2:] += [6, 6]
    write_history(world.grid, drains, counts)
    scan.scan(now=NOW, kinds=(AlertKind.SPIKE,))
    first = Alert.objects.get()
    assert first.severity == Severity.WARNING
    assert scan.scan(now=NOW, kinds=(AlertKind.SPIKE,)).updated[AlertKind.SPIKE] == 1

    # the next day it has grown
    DailyStat.objects.create(
        day=TODAY + timedelta(days=1),
        unit=world.grid,
        unit_path=world.grid.path,
        category=drains,
        received=30,
    )
    later = NOW + timedelta(days=1)
    result = scan.scan(now=later, kinds=(AlertKind.SPIKE,))
    assert result.raised[AlertKind.SPIKE] == 0 and result.updated[AlertKind.SPIKE] == 1
    alert = Alert.objects.get()
    assert alert.pk == first.pk
    assert alert.observed > first.observed
    assert alert.severity == Severity.CRITICAL
    assert alert.first_seen == NOW and alert.last_seen == later
    assert alert.window_start == first.window_start


def test_dismissed_situation_is_not_raised_again_unless_it_doubles(world: World):
    rng = np.random.default_rng(5)
    drains = category("event", "0404")
    counts = history(rng)
    counts[-3:] += [5, 5, 5]
    write_history(world.grid, drains, counts)
    scan.scan(now=NOW, kinds=(AlertKind.SPIKE,))
    alert = Alert.objects.get()
    alerts.alert_dismiss(user=world.leader, alert_id=alert.pk, reason="管道施工，已知情况")

    result = scan.scan(now=NOW + timedelta(hours=1), kinds=(AlertKind.SPIKE,))
    assert result.suppressed == 1 and Alert.objects.count() == 1

    DailyStat.objects.filter(unit=world.grid, day=TODAY).update(received=60)
    result = scan.scan(now=NOW + timedelta(hours=2), kinds=(AlertKind.SPIKE,))
    assert result.raised[AlertKind.SPIKE] == 1
    assert Alert.objects.filter(status=AlertStatus.OPEN).count() == 1


def test_cluster_of_reports_in_neighbouring_cells(world: World):
    from grassroots.cases.services import case_submit

    drains = category("event", "0404")
    lon, lat = world.point
    for i in range(12):
        case_submit(
            category=drains,
            description="下水道堵了，污水漫到路面",
            channel=Channel.WEB,
            lon=lon + (i % 3) * 0.0004,
            lat=lat + (i // 3) * 0.0004,
            reporter_phone=f"1381234{i:04d}",
            now=NOW - timedelta(hours=2 * i + 1),
        )
    result = scan.scan(now=NOW, kinds=(AlertKind.CLUSTER,))
    assert result.raised[AlertKind.CLUSTER] == 1
    alert = Alert.objects.get()
    assert alert.observed == 12
    assert alert.unit_id == world.grid.pk  # every report lies in the grid
    assert alert.h3_cell and alert.h3_cell in alert.explanation_data["cells"]
    # scanned again: the same cluster, updated
    assert scan.scan(now=NOW, kinds=(AlertKind.CLUSTER,)).updated[AlertKind.CLUSTER] == 1


def test_repeated_reports_by_one_person(world: World):
    noise = category("event", "0508")
    for i in range(4):
        submit(
            world, at=NOW - timedelta(days=i * 3, hours=1), cat=noise, address=f"花园小区{i}号楼"
        )
    submit(world, at=NOW - timedelta(days=20), cat=noise)  # outside the window
    result = scan.scan(now=NOW, kinds=(AlertKind.REPEAT,))
    assert result.raised[AlertKind.REPEAT] == 1
    alert = Alert.objects.get()
    assert alert.observed == 4
    assert alert.explanation_data["phone"] == "138****5678"
    assert "13812345678" not in str(alert.explanation_data)
    assert "138****5678" in alert.explanation
    assert alert.unit_id == world.grid.pk
    assert len(alert.explanation_data["cases"]) == 4


def test_repeated_reports_at_one_address_by_different_people(world: World):
    from grassroots.cases.services import case_submit

    cat = category("event", "0508")
    for i in range(3):
        case_submit(
            category=cat,
            description="楼下餐馆油烟噪音扰民",
            channel=Channel.WEB,
            lon=world.point[0],
            lat=world.point[1],
            address="花园小区 3 号楼 2 单元",
            reporter_phone=f"1390000{i:04d}",
            now=NOW - timedelta(days=i),
        )
    scan.scan(now=NOW, kinds=(AlertKind.REPEAT,))
    alert = Alert.objects.get()
    assert alert.explanation_data["who"] == "address"
    assert "花园小区 3 号楼 2 单元" in alert.explanation


def make_device(world: World, **kw) -> SensorDevice:
    fields = {
        "device_id": "wl-001",
        "name": "花园路积水点",
        "kind": SensorDevice.Kind.WATER_LEVEL,
        "key_index": "x" * 64,
        "category": category("event", "0404"),
        "lon": world.point[0],
        "lat": world.point[1],
        "threshold": 30.0,
        "unit": "cm",
    }
    fields.update(kw)
    return SensorDevice.objects.create(**fields)


def test_sensor_rising_towards_its_threshold(world: World):
    device = make_device(world)
    for i in range(8):
        SensorReading.objects.create(
            device=device,
            value=10.0 + 2.5 * i,
            measured_at=NOW - timedelta(hours=8 - i),
            nonce=f"n{i}",
        )
    result = scan.scan(now=NOW, kinds=(AlertKind.SENSOR,))
    assert result.raised[AlertKind.SENSOR] == 1
    alert = Alert.objects.get()
    assert alert.dedup_key == "sensor:wl-001:rising"
    assert alert.unit_id == world.grid.pk
    assert alert.explanation_data["hours_to_threshold"] == pytest.approx(
        1.0
    )  # 27.5 cm, +2.5 an hour
    assert "花园路积水点" in alert.explanation


def test_quiet_sensor_raises_nothing(world: World):
    device = make_device(world)
    for i in range(8):
        SensorReading.objects.create(
            device=device, value=10.0 + (i % 2), measured_at=NOW - timedelta(hours=i), nonce=f"q{i}"
        )
    assert not scan.scan(now=NOW, kinds=(AlertKind.SENSOR,)).alerts


def test_management_command_runs_the_scan(world: World, capsys):
    rng = np.random.default_rng(6)
    counts = history(rng)
    counts[-3:] += [9, 9, 9]
    write_history(world.grid, category("event", "0404"), counts)
    call_command("insight_scan", "--at", NOW.isoformat(), "--kind", "spike")
    assert "spike: +1" in capsys.readouterr().out
    assert Alert.objects.count() == 1


def test_periodic_task_runs_the_scan(world: World):
    from grassroots.insight.tasks import scan_now, scan_schedule

    assert scan_now() is not None  # immediate mode in tests: ran in-process
    hourly, quarterly = scan_schedule(60), scan_schedule(15)
    assert hourly(datetime(2026, 7, 20, 3, 5)) and not hourly(datetime(2026, 7, 20, 3, 15))
    assert quarterly(datetime(2026, 7, 20, 3, 30)) and not quarterly(datetime(2026, 7, 20, 3, 31))


def test_a_failing_detector_does_not_stop_the_others(world: World, monkeypatch):
    rng = np.random.default_rng(7)
    counts = history(rng)
    counts[-3:] += [9, 9, 9]
    write_history(world.grid, category("event", "0404"), counts)

    def broken(**kwargs):
        raise RuntimeError("sensor table unreadable")

    monkeypatch.setattr(scan, "scan_sensors", broken)
    result = scan.scan(now=NOW)
    assert result.errors == ["sensor"]
    assert result.raised[AlertKind.SPIKE] == 1
    assert "FAILED: sensor" in result.summary()
