"""The early-warning scan over the small demo history finds the outbreaks injected into it
(``demo.history.outbreaks``) and raises few alerts anywhere else.

The small demo with a year of history is built once for the module and committed; the
fixture wipes it afterwards (as tests/demo/test_history.py does)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from django.test import override_settings

from grassroots.audit.models import AuditEvent
from grassroots.cases.models import Category
from grassroots.core.masking import mask_phone
from grassroots.demo.generator.build import MARKER_ACTION, current_marker, wipe_demo
from grassroots.demo.history import HISTORY_ACTION
from grassroots.demo.history.outbreaks import Outbreak, plan_outbreaks
from grassroots.demo.history.setup import choose_hotspots, load_district
from grassroots.demo.services import demo_build
from grassroots.insight import scan, summary
from grassroots.insight.choices import AlertKind
from grassroots.insight.models import Alert, DailyStat
from grassroots.org.locate import invalidate_index
from grassroots.org.models import BoundaryGeneration, Unit

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

TZ = ZoneInfo("Asia/Shanghai")
END = datetime(2026, 9, 30, 20, 0, tzinfo=TZ)
SEED = 11


@dataclass(frozen=True)
class Demo:
    outbreaks: dict[str, Outbreak]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[Demo]:
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=fast):
        result = demo_build(
            scale="small",
            seed=SEED,
            credentials_file=tmp_path_factory.mktemp("warning") / "credentials.json",
            history=True,
            history_end=END,
        )
        try:
            assert result.history is not None
            if not DailyStat.objects.exists():  # rollups not kept by a receiver: rebuild
                summary.rebuild()
            code = current_marker().detail["district_code"]  # type: ignore[union-attr]
            district = load_district(code)
            choose_hotspots(district, np.random.default_rng([SEED, 0x415, 1]))
            plan = plan_outbreaks(
                seed=SEED,
                district=district,
                start=END - timedelta(days=result.history.days),
                end=END,
                volume=result.history.cases,  # sizes only; places and times do not depend on it
            )
            yield Demo({o.key: o for o in plan})
        finally:
            Alert.objects.all().delete()
            marker = current_marker()
            if marker is not None:
                wipe_demo(marker)
            AuditEvent.objects.filter(action__in=[MARKER_ACTION, HISTORY_ACTION]).delete()
            BoundaryGeneration.objects.all().delete()
            invalidate_index()


@pytest.fixture(autouse=True)
def _no_alerts_between_tests():
    Alert.objects.all().delete()
    yield
    Alert.objects.all().delete()


def _evening_of(day) -> datetime:
    return datetime.combine(day, time(23, 30), tzinfo=TZ)


def _covers(alert: Alert, grid_code: str) -> bool:
    """The alert's unit is the grid or one of its ancestors below the district."""
    grid = Unit.objects.get(code=grid_code)
    return alert.unit is not None and alert.unit.depth > 0 and grid.path.startswith(alert.unit.path)


def _category(outbreak: Outbreak) -> Category:
    return Category.objects.get(kind=outbreak.profile.kind, code=outbreak.profile.code)


def _check_outbreak(outbreak: Outbreak) -> list[Alert]:
    """Scan as of the outbreak's last evening: it is found, little else is raised."""
    scan.scan(now=_evening_of(outbreak.last_day), kinds=(AlertKind.SPIKE, AlertKind.CLUSTER))
    category = _category(outbreak)
    raised = list(Alert.objects.select_related("unit"))
    found = [a for a in raised if a.category_id == category.pk and _covers(a, outbreak.grid_code)]
    assert found, [(a.kind, a.unit, a.category_id, a.explanation) for a in raised]
    others = [a for a in raised if a not in found]
    assert len(others) <= 3, [(a.kind, a.unit, a.explanation) for a in others]
    return found


def test_drainage_outbreak_is_found(demo: Demo):
    found = _check_outbreak(demo.outbreaks["drainage"])
    spike = next(a for a in found if a.kind == AlertKind.SPIKE)
    assert spike.observed >= demo.outbreaks["drainage"].size * 0.8
    assert spike.observed > 3 * spike.expected
    assert "下水道" in spike.explanation


def test_night_market_noise_is_found(demo: Demo):
    found = _check_outbreak(demo.outbreaks["night_noise"])
    assert any(a.kind == AlertKind.SPIKE for a in found)


def test_repeat_caller_is_found(demo: Demo):
    caller = demo.outbreaks["repeat_caller"]
    scan.scan(now=END, kinds=(AlertKind.REPEAT,))
    alert = Alert.objects.get(explanation_data__phone=mask_phone(caller.phone))
    assert alert.observed >= caller.size
    assert caller.phone not in alert.explanation
    # the demo's ordinary reporters draw random phones: few other repeats
    assert Alert.objects.filter(kind=AlertKind.REPEAT).count() <= 3


def test_a_quiet_week_raises_few_alerts(demo: Demo):
    """Three weeks before the drainage outbreak nothing was injected."""
    quiet = demo.outbreaks["drainage"].first_day - timedelta(days=21)
    result = scan.scan(now=_evening_of(quiet), kinds=(AlertKind.SPIKE, AlertKind.CLUSTER))
    assert sum(result.raised.values()) <= 2, [a.explanation for a in Alert.objects.all()]
