"""The KPI definitions (考评指标): the one module every page, export and test calls.

Each KPI is a small function of the summed rollup counters (``MonthlyStat`` measures, see
``insight.models.COUNT_MEASURES``) for one unit or department over a period, by the month
the case was received. A KPI whose denominator is zero is ``None`` ("no data"), never 0.

What counts (the rules of ``summary.fact_of``):

* Every case received is *volume* (``received``). Merged duplicates (已合并), cases not
  accepted (不予立案) and withdrawn cases (已撤回) stay in the volume (``excluded``) but
  contribute nothing to any rate: they are neither numerator nor denominator.
* The department of a case is its current lead department (主办部门).
* Only outcome measures are ranked. Logins, clicks or registrations are never KPIs.

The formulas are written once here (``Kpi.formula``) and shown on the assessment page and
in docs/development/kpi-definitions.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Counts = Mapping[str, float]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def valid_cases(c: Counts) -> float:
    """有效诉求量 = received − excluded (merged, not accepted, withdrawn)."""
    return c["received"] - c["excluded"]


def response_rate(c: Counts) -> float | None:
    """响应率 = responded_on_time ÷ dispatched.

    dispatched: valid cases dispatched to a department at least once (they required a
    response); responded_on_time: of those, signed for (签收, ``responded_at``) no later
    than the response deadline (``response_due``, reset at every dispatch). A dispatched
    case not yet signed for counts as not responded."""
    return _ratio(c["responded_on_time"], c["dispatched"])


def resolution_rate(c: Counts) -> float | None:
    """解决率 = solved ÷ rated.

    rated: valid cases with a callback rating (a valid callback); solved: rated 满意 or
    基本满意 and never reopened — the problem was solved the first time."""
    return _ratio(c["solved"], c["rated"])


def satisfaction_rate(c: Counts) -> float | None:
    """满意率 = (satisfied + basic) ÷ rated.

    满意 and 基本满意 both count as satisfied; the latest rating of each case counts (a
    reopened case rated again counts with its new rating)."""
    return _ratio(c["satisfied"] + c["basic"], c["rated"])


def on_time_rate(c: Counts) -> float | None:
    """按期办结率 = closed_on_time ÷ closed.

    closed: valid cases now closed or rated; closed_on_time: closed (``closed_at``) no
    later than the resolution deadline (``resolve_due``, extended by time suspended)."""
    return _ratio(c["closed_on_time"], c["closed"])


def average_handling_hours(c: Counts) -> float | None:
    """平均处置时长（小时） = handling_hours ÷ handled.

    handled: valid cases now handled, verified, closed or rated; handling time: from the
    latest dispatch (``dispatched_at``) to handling (``handled_at``), in natural hours."""
    return _ratio(c["handling_hours"], c["handled"])


def return_rate(c: Counts) -> float | None:
    """退回率 = returned ÷ dispatched.

    returned: dispatched valid cases returned by a department at least once (a measure of
    dispatch accuracy; lower is better)."""
    return _ratio(c["returned"], c["dispatched"])


def reopen_rate(c: Counts) -> float | None:
    """重启率 = reopened ÷ ever_closed.

    ever_closed: valid cases closed at least once; reopened: of those, reopened at least
    once after a dissatisfied rating (lower is better)."""
    return _ratio(c["reopened"], c["ever_closed"])


@dataclass(frozen=True)
class Kpi:
    key: str  # also the KpiWeights field holding its weight
    label: Promise
    formula: Promise
    compute: Callable[[Counts], float | None]
    unit: str = "%"  # "%" for rates, "h" for hours
    higher_is_better: bool = True

    def value(self, counts: Counts) -> float | None:
        return self.compute(counts)


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "response",
        _("响应率"),
        _("按时签收的案件数 ÷ 已派遣的有效案件数（签收时间不晚于响应时限）"),
        response_rate,
    ),
    Kpi(
        "resolution",
        _("解决率"),
        _("评价为满意或基本满意且从未重启的案件数 ÷ 有评价的有效案件数"),
        resolution_rate,
    ),
    Kpi(
        "satisfaction",
        _("满意率"),
        _("（满意 + 基本满意）÷ 有评价的有效案件数；以最近一次评价为准"),
        satisfaction_rate,
    ),
    Kpi(
        "on_time",
        _("按期办结率"),
        _("在办结时限内结案的案件数 ÷ 已结案的有效案件数（挂起期间不计时）"),
        on_time_rate,
    ),
    Kpi(
        "handling",
        _("平均处置时长"),
        _("（处置反馈时间 − 最近一次派遣时间）之和 ÷ 已处置的有效案件数，自然小时"),
        average_handling_hours,
        unit="h",
        higher_is_better=False,
    ),
    Kpi(
        "return_rate",
        _("退回率"),
        _("至少被退回一次的案件数 ÷ 已派遣的有效案件数"),
        return_rate,
        higher_is_better=False,
    ),
    Kpi(
        "reopen",
        _("重启率"),
        _("结案后至少重启一次的案件数 ÷ 曾结案的有效案件数"),
        reopen_rate,
        higher_is_better=False,
    ),
)
KPI_BY_KEY: dict[str, Kpi] = {k.key: k for k in KPIS}

EXCLUSION_RULE = _(
    "已合并的重复案件、不予立案和已撤回的案件计入受理量，但不计入任何比率的分子和分母。"
    "部门指标按当前主办部门统计；各指标按案件受理月份统计。"
)
COMPOSITE_FORMULA = _(
    "综合得分 = 100 × Σ(权重 × 指标得分) ÷ Σ(有数据指标的权重)。比率类指标得分即比率；"
    "退回率、重启率的得分为 1 − 比率；平均处置时长得分为 min(1, 目标时长 ÷ 平均时长)。"
    "无数据的指标不参与计算。"
)


def kpi_score(kpi: Kpi, value: float | None, *, handling_target_hours: float) -> float | None:
    """A KPI's value on a 0–1 scale where 1 is best (see ``COMPOSITE_FORMULA``)."""
    if value is None:
        return None
    if kpi.unit == "h":
        return 1.0 if value <= handling_target_hours else handling_target_hours / value
    return value if kpi.higher_is_better else 1.0 - value


def composite_score(counts: Counts, weights: Any) -> float | None:
    """综合得分 (0–100) = 100 × Σ wᵢ·sᵢ ÷ Σ wᵢ over the KPIs that have data and a weight.

    ``weights`` has one attribute per KPI key (``KpiWeights``) and
    ``handling_target_hours``. ``None`` when no weighted KPI has data."""
    total = weight_sum = 0.0
    for kpi in KPIS:
        weight = float(getattr(weights, kpi.key, 0) or 0)
        if weight <= 0:
            continue
        score = kpi_score(
            kpi, kpi.value(counts), handling_target_hours=weights.handling_target_hours
        )
        if score is None:
            continue
        total += weight * score
        weight_sum += weight
    return 100 * total / weight_sum if weight_sum else None


@dataclass(frozen=True)
class Assessed:
    """One unit's (or department's) figures: volumes, every KPI, the composite."""

    counts: Counts
    values: dict[str, float | None]
    composite: float | None

    @property
    def received(self) -> float:
        return self.counts["received"]

    @property
    def valid(self) -> float:
        return valid_cases(self.counts)


def assess(counts: Counts, weights: Any) -> Assessed:
    return Assessed(
        counts=counts,
        values={kpi.key: kpi.value(counts) for kpi in KPIS},
        composite=composite_score(counts, weights),
    )


def weighted_keys(weights: Any) -> Iterable[str]:
    return [kpi.key for kpi in KPIS if float(getattr(weights, kpi.key, 0) or 0) > 0]
