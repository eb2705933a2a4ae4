"""The rollups: kept current as cases change, equal to a rebuild from scratch."""

from __future__ import annotations

import io

import pytest

from grassroots.insight.models import CaseFact, MonthlyStat
from grassroots.insight.summary import rebuild

from ..cases.factories import make_world
from .factories import T0, random_walk, snapshot, step, submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_equals_rebuild_after_random_transitions(world, seed):
    random_walk(world, seed=seed)
    incremental = snapshot()
    assert incremental["facts"] and incremental["monthly"]
    result = rebuild()
    rebuilt = snapshot()
    assert result.cases == len(rebuilt["facts"])
    assert incremental == rebuilt


def test_rebuild_repairs_damaged_rollups_and_command_and_queue_job_run(world):
    from django.core.management import call_command

    random_walk(world, seed=7, cases=6, steps=60)
    good = snapshot()
    MonthlyStat.objects.update(received=999)
    CaseFact.objects.filter(pk__in=list(CaseFact.objects.values_list("pk", flat=True)[:2])).delete()
    assert snapshot() != good
    out = io.StringIO()
    call_command("insight_rebuild", "--no-progress", stdout=out)
    assert "rebuilt from 6 cases" in out.getvalue()
    assert snapshot() == good
    MonthlyStat.objects.all().delete()
    call_command("insight_rebuild", "--queue", stdout=io.StringIO())  # Huey runs it inline
    assert snapshot() == good


def test_a_change_that_fails_leaves_the_rollups_untouched(world):
    from django.db import transaction

    from grassroots.cases.choices import Channel

    case = submit(world, at=T0, channel=Channel.PATROL)
    before = snapshot()
    with pytest.raises(RuntimeError), transaction.atomic():
        step(world, case, "dispatch", at=T0)
        assert snapshot() != before  # written in the change's transaction …
        raise RuntimeError("the change fails after the case service ran")
    assert snapshot() == before  # … and rolled back with it
