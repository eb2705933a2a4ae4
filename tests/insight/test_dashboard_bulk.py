"""The bulk generator of the dashboard benchmark (``demo.bulk_history``): its cases obey
the case table's rules, and the summaries it writes equal a full rebuild by
``insight.summary.rebuild``."""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db.models import Count

from grassroots.cases.models import Case
from grassroots.demo.bulk_history import bulk_cases, fact_columns, months_back
from grassroots.insight import summary
from grassroots.insight.models import CaseFact, MonthlyStat

from ..cases.factories import make_world
from .factories import snapshot

pytestmark = pytest.mark.django_db

END = datetime.fromisoformat("2026-05-20T15:00:00+08:00")


def test_bulk_summaries_equal_a_full_rebuild():
    world = make_world()
    result = bulk_cases(root_code=world.district.code, total=3000, months=14, end=END, seed=3)
    assert result.cases == 3000
    assert Case.objects.count() == CaseFact.objects.count() == result.cases
    bulk = snapshot()
    summary.rebuild()
    assert snapshot() == bulk
    district = MonthlyStat.objects.filter(unit=world.district)
    assert sum(district.values_list("received", flat=True)) == result.cases


def test_bulk_cases_look_like_a_year_of_a_district():
    world = make_world()
    result = bulk_cases(
        root_code=world.district.code, total=2000, months=12, end=END, seed=5, summaries="none"
    )
    cases = Case.objects.all()
    first = cases.order_by("created_at").first()
    last = cases.order_by("-created_at").first()
    assert first.created_at >= result.start and last.created_at <= END
    assert months_back(END.date(), 12).isoformat() == "2025-06-01"
    statuses = dict(cases.values_list("status").annotate(n=Count("id")))
    # most cases are closed and rated, a few still open, withdrawn, rejected or merged
    assert statuses["rated"] > 0.6 * result.cases
    for status in ("merged", "not_accepted", "withdrawn", "closed"):
        assert statuses.get(status, 0) > 0, status
    assert cases.filter(status="merged", merged_into__isnull=True).count() == 0
    assert cases.filter(status="rated", rating="").count() == 0
    # every dispatched case has a lead department of the district and its deadlines
    dispatched = cases.filter(dispatched_at__isnull=False)
    assert dispatched.filter(department__isnull=True).count() == 0
    assert dispatched.filter(resolve_due__isnull=True).count() == 0
    assert set(cases.values_list("grid_id", flat=True)) == {world.grid.pk, world.other_grid.pk}
    assert cases.filter(channel="patrol").exists() and cases.filter(channel="hotline").exists()
    # handled in time is mostly closed in time
    closed = cases.filter(status__in=["closed", "rated"])
    on_time = [c for c in closed if c.closed_at <= c.resolve_due]
    assert len(on_time) > 0.75 * closed.count()


def test_bulk_summaries_refuse_a_table_with_cases():
    world = make_world()
    bulk_cases(root_code=world.district.code, total=200, months=2, end=END, summaries="none")
    with pytest.raises(ValueError, match="empty case table"):
        bulk_cases(root_code=world.district.code, total=200, months=2, end=END)


def test_fact_columns_follow_the_exclusion_rule():
    import numpy as np

    from grassroots.demo.bulk_history import NAT

    n = np.array
    out = fact_columns(
        created=n([0, 0]),
        status=n(["merged", "rated"], dtype=object),
        dispatched=n([NAT, 100]),
        responded=n([NAT, 200]),
        response_due=n([50, 300]),
        handled=n([NAT, 3700]),
        closed=n([NAT, 4000]),
        resolve_due=n([NAT, 3900]),
        rating=n(["", "basic"], dtype=object),
        reopen_count=n([0, 0]),
        return_count=n([0, 1]),
        utc_offset=8 * 3600,
    )
    assert out["excluded"].tolist() == [1, 0] and out["merged"].tolist() == [1, 0]
    assert out["dispatched"].tolist() == [0, 1]
    assert out["responded_on_time"].tolist() == [0, 1]
    assert out["closed_on_time"].tolist() == [0, 0]  # closed after the deadline
    assert out["satisfied"].tolist() == [0, 0] and out["basic"].tolist() == [0, 1]
    assert out["solved"].tolist() == [0, 1] and out["returned"].tolist() == [0, 1]
    assert out["handling_hours"].tolist() == [0.0, 1.0]
