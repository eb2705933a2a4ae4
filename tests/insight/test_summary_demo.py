"""The demo history (played through the real case services, duplicates merged, cases
reopened, sensors, the deadline sweep) ends with rollups equal to a rebuild from scratch,
and wiping the demo takes its rollups, alerts and topics with it."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from grassroots.audit.models import AuditEvent
from grassroots.cases.models import Case
from grassroots.demo.generator.build import MARKER_ACTION, current_marker, wipe_demo
from grassroots.demo.history import HISTORY_ACTION
from grassroots.demo.services import demo_build
from grassroots.insight.choices import AlertKind, Severity
from grassroots.insight.models import Alert, CaseFact, MonthlyStat, Topic
from grassroots.insight.summary import rebuild
from grassroots.org.locate import invalidate_index
from grassroots.org.models import BoundaryGeneration, Unit

from .factories import snapshot

END = datetime(2026, 6, 30, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_demo_history_summaries_equal_rebuild_and_go_with_the_wipe(tmp_path):
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(PASSWORD_HASHERS=fast):
        try:
            demo_build(
                scale="small",
                seed=11,
                credentials_file=tmp_path / "credentials.json",
                history=True,
                history_days=90,
                history_end=END,
            )
            assert Case.objects.count() > 50
            statuses = set(Case.objects.values_list("status", flat=True))
            assert {"rated", "merged"} <= statuses
            incremental = snapshot()
            assert len(incremental["facts"]) == Case.objects.count()
            rebuild()
            assert snapshot() == incremental
            grid = Unit.objects.filter(level="grid").first()
            Alert.objects.create(
                kind=AlertKind.SPIKE,
                severity=Severity.WARNING,
                unit=grid,
                window_start=END,
                window_end=END,
                observed=9,
                expected=2,
                dedup_key="demo-wipe",
                first_seen=END,
                last_seen=END,
            )
            Topic.objects.create(month=END.date().replace(day=1), title="积水", unit=grid)
        finally:
            marker = current_marker()
            if marker is not None:
                wipe_demo(marker)
            AuditEvent.objects.filter(action__in=[MARKER_ACTION, HISTORY_ACTION]).delete()
            BoundaryGeneration.objects.all().delete()
            invalidate_index()
    assert not MonthlyStat.objects.exists()
    assert not CaseFact.objects.exists()
    assert not Alert.objects.exists() and not Topic.objects.exists()
