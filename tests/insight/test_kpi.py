"""Each KPI against a hand-computed example: eight cases driven through the real services.

The example: all received Monday 2026-03-02 09:00 in world.grid (A B C D H reported by
the grid worker on patrol, so registered at once; E F G by residents on the web), category
下水道堵塞: response limit 2 natural hours, resolution limit 24 natural hours; dispatched at
10:00, so response_due = 12:00 and resolve_due = Tuesday 10:00.

  A  dispatch 10:00, accept 11:00 (on time), handle 20:00 (10 h), verify, close 22:00 (on
     time), rated 满意.
  B  dispatch 10:00, accept 13:00 (late), handle Tue 16:00 (30 h), verify, close Tue 18:00
     (late), rated 基本满意.
  C  dispatch 10:00, accept 11:00 (on time), handle 20:00, close 22:00, rated 不满意,
     reopened Tue 08:00, dispatched again Tue 09:00, handled Tue 14:00 (5 h after the
     latest dispatch), closed Tue 16:00 (on time against the new deadline), rated 满意.
  D  dispatch 10:00, accept 11:00 (on time), returned 12:00, dispatched again 13:00.
  E  not accepted (不予立案).   F  merged into D.   G  withdrawn.
  H  dispatched 10:00, never signed for.

  received 8; excluded 3 (E, F, G); valid 5 (A B C D H); dispatched 5
  response rate     = responded on time / dispatched = (A C D) 3 / 5        = 60 %
  resolution rate   = solved / rated = (A B; C was reopened) 2 / 3          = 66.7 %
  satisfaction rate = (满意 + 基本满意) / rated = (A, C 满意; B 基本) 3 / 3   = 100 %
  on-time rate      = closed on time / closed = (A C) 2 / 3                  = 66.7 %
  average handling  = (10 + 30 + 5) h / 3 handled                           = 15 h
  return rate       = returned / dispatched = (D) 1 / 5                      = 20 %
  reopen rate       = reopened / ever closed = (C) 1 / 3                     = 33.3 %
  composite (30/35/35) = 100 × (0.30 × 0.6 + 0.35 × 2/3 + 0.35 × 1) / 1.0 = 76.33
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db.models import Sum

from grassroots.cases.choices import Channel, Rating
from grassroots.insight import kpi
from grassroots.insight.models import MEASURES, CellStat, DailyStat, KpiWeights, MonthlyStat
from grassroots.insight.summary import h3_cell_of, rebuild

from ..cases.factories import make_world
from .factories import T0, run_to, step, submit

pytestmark = pytest.mark.django_db

H = timedelta(hours=1)
LOOP = ["accept", "handle", "verify", "close", "rate"]


def build_example(world):
    """The eight cases of the module docstring."""
    cases = {
        name: submit(world, at=T0, channel=Channel.PATROL if name in "ABCDH" else Channel.WEB)
        for name in "ABCDEFGH"
    }
    ten = T0 + H
    for name in "ABCDH":
        cases[name] = step(world, cases[name], "dispatch", at=ten)
    a = cases["A"]
    for action, at in zip(LOOP, [11, 20, 21, 22, 23], strict=True):
        a = step(world, a, action, at=T0.replace(hour=at), rating=Rating.SATISFIED)
    b = cases["B"]
    b = step(world, b, "accept", at=T0.replace(hour=13))
    b = step(world, b, "handle", at=ten + 30 * H)
    b = step(world, b, "verify", at=ten + 31 * H)
    b = step(world, b, "close", at=ten + 32 * H)
    b = step(world, b, "rate", at=ten + 33 * H, rating=Rating.BASIC)
    c = cases["C"]
    for action, at in zip(LOOP, [11, 20, 21, 22, 23], strict=True):
        c = step(world, c, action, at=T0.replace(hour=at), rating=Rating.DISSATISFIED)
    tue = T0 + timedelta(days=1)
    c = step(world, c, "reopen", at=tue.replace(hour=8))
    c = step(world, c, "dispatch", at=tue.replace(hour=9))
    for action, at in zip(LOOP, [10, 14, 15, 16, 17], strict=True):
        c = step(world, c, action, at=tue.replace(hour=at), rating=Rating.SATISFIED)
    d = cases["D"]
    d = step(world, d, "accept", at=T0.replace(hour=11))
    d = step(world, d, "return", at=T0.replace(hour=12))
    d = step(world, d, "dispatch", at=T0.replace(hour=13))
    step(world, cases["E"], "reject", at=ten)
    step(world, cases["F"], "merge", at=ten, merge_into=d)
    step(world, cases["G"], "withdraw", at=ten)
    return cases


@pytest.fixture
def world():
    return make_world()


def counts_for(**filters) -> dict[str, float]:
    sums = MonthlyStat.objects.filter(**filters).aggregate(**{m: Sum(m) for m in MEASURES})
    return {m: sums[m] or 0 for m in MEASURES}


def test_every_kpi_matches_the_hand_computed_example(world):
    build_example(world)
    counts = counts_for(unit=world.district)
    assert counts["received"] == 8
    assert counts["excluded"] == 3
    assert (counts["merged"], counts["not_accepted"], counts["withdrawn"]) == (1, 1, 1)
    assert kpi.valid_cases(counts) == 5
    assert counts["dispatched"] == 5
    assert kpi.response_rate(counts) == pytest.approx(3 / 5)
    assert kpi.resolution_rate(counts) == pytest.approx(2 / 3)
    assert kpi.satisfaction_rate(counts) == pytest.approx(1.0)
    assert kpi.on_time_rate(counts) == pytest.approx(2 / 3)
    assert kpi.average_handling_hours(counts) == pytest.approx(15.0)
    assert kpi.return_rate(counts) == pytest.approx(1 / 5)
    assert kpi.reopen_rate(counts) == pytest.approx(1 / 3)
    assert kpi.composite_score(counts, KpiWeights()) == pytest.approx(
        100 * (0.30 * 0.6 + 0.35 * 2 / 3 + 0.35 * 1.0)
    )


def test_every_level_holds_the_same_figures_and_rebuild_agrees(world):
    build_example(world)
    district = counts_for(unit=world.district)
    for unit in (world.street, world.community, world.grid):
        assert counts_for(unit=unit) == pytest.approx(district)
    assert counts_for(unit=world.other_grid)["received"] == 0
    # The lead department's rows: the five dispatched cases (E, F, G never had one).
    drainage = counts_for(unit=world.district, department=world.drainage)
    assert drainage["received"] == 5 and drainage["excluded"] == 0
    assert kpi.response_rate(drainage) == pytest.approx(3 / 5)
    assert DailyStat.objects.get(unit=world.grid, day=T0.date()).received == 8
    cell = h3_cell_of(*world.point)
    assert CellStat.objects.get(h3_cell=cell).received == 8
    rebuild()
    assert counts_for(unit=world.district) == pytest.approx(district)


def test_merged_case_closed_with_its_target_stays_out_of_the_rates(world):
    cases = build_example(world)
    d = cases["D"]
    for action, hours in zip(
        ["accept", "handle", "verify", "close"], [14, 15, 16, 17], strict=True
    ):
        d = step(world, d, action, at=T0.replace(hour=hours))
    counts = counts_for(unit=world.district)
    # D is now closed on time (resolve_due Tue 13:00); F (merged into D) got a closed_at too
    # but counts only as volume.
    assert counts["closed"] == 4 and counts["closed_on_time"] == 3
    assert counts["ever_closed"] == 4
    assert counts["excluded"] == 3


def test_no_data_is_none_never_zero():
    empty = dict.fromkeys(MEASURES, 0)
    for definition in kpi.KPIS:
        assert definition.value(empty) is None
    assert kpi.composite_score(empty, KpiWeights()) is None


def test_composite_uses_only_weighted_kpis_with_data():
    counts = dict.fromkeys(MEASURES, 0)
    counts.update(received=10, dispatched=10, responded_on_time=8, handled=4, handling_hours=400)
    # Only response has data among the default weights: the composite is its score.
    assert kpi.composite_score(counts, KpiWeights()) == pytest.approx(80.0)
    # Handling time: 100 h average against a 50 h target scores 0.5.
    weights = KpiWeights(
        response=0, resolution=0, satisfaction=0, handling=1, handling_target_hours=50
    )
    assert kpi.composite_score(counts, weights) == pytest.approx(50.0)
    weights = KpiWeights(response=1, resolution=0, satisfaction=0, return_rate=1)
    counts.update(returned=5)
    # (1 × 0.8 + 1 × (1 − 0.5)) / 2
    assert kpi.composite_score(counts, weights) == pytest.approx(65.0)
    # 30 h against a 72 h target is full marks.
    counts.update(handling_hours=120)
    assert kpi.kpi_score(kpi.KPI_BY_KEY["handling"], 30.0, handling_target_hours=72) == 1.0


def test_each_case_contributes_to_its_received_month(world):
    april = T0.replace(month=4, day=1)
    submit(world, at=T0)
    submit(world, at=april)
    months = sorted(
        MonthlyStat.objects.filter(unit=world.district).values_list("month", "received")
    )
    assert [(m.month, n) for m, n in months] == [(3, 1), (4, 1)]


def test_run_to_helper_counts_reopened_case_once(world):
    case = submit(world, at=T0, channel=Channel.PATROL)
    case = step(world, case, "dispatch", at=T0 + H)
    case = run_to(world, case, LOOP, start=T0 + H, rate={"rating": Rating.DISSATISFIED})
    case = step(world, case, "reopen", at=T0 + 10 * H)
    counts = counts_for(unit=world.grid)
    assert counts["reopened"] == 1 and counts["ever_closed"] == 1
    assert counts["closed"] == 0  # reopened: no longer closed
    assert counts["rated"] == 1 and counts["dissatisfied"] == 1 and counts["solved"] == 0
