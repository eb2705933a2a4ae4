"""The rollups: kept current as cases change, equal to a rebuild from scratch."""

from __future__ import annotations

import pytest

from grassroots.insight.summary import rebuild

from ..cases.factories import make_world
from .factories import random_walk, snapshot

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
