"""How one case lives: its fate drawn when it arrives, and its next step decided from its
state after each step (so deadlines come from the services, not from here).

Shares (of cases that can have them): ~1.5 % withdrawn by the reporter, ~4 % not accepted
(不予立案), duplicates merged, ~6 % returned by the first department and dispatched again,
~3 % suspended and resumed, ~4 % sent back at verification, ~9 % handled after the
resolution deadline (more for hard categories), ~4 % accepted late. Of closed cases ~85 %
are rated by the reporter (satisfied ≫ basic ≫ dissatisfied, ~10 % dissatisfied), ~10 %
rated satisfied by default after seven days, the rest never rated; ~40 % of dissatisfied
ratings reopen the case once.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from grassroots.cases.calendar import add_working_hours
from grassroots.cases.choices import CaseStatus as S
from grassroots.cases.choices import Rating
from grassroots.cases.models import Case

from .intake import Intake

AUTO_RATE_AFTER = timedelta(days=7)

REJECT_REASONS = (
    "属于司法程序处理事项，不予立案，已告知诉求人通过法律途径解决。",
    "诉求信息不全，多次联系诉求人未果，无法核实。",
    "不属于本辖区管辖范围，已告知诉求人向属地反映。",
    "经核实为重复反映且已答复，不再重复立案。",
)
RETURN_REASONS = (
    "经现场核实，该事项不属于本部门职责，请重新派遣。",
    "权属单位为街道，申请退回重新派遣。",
    "地址有误，现场未找到问题点位。",
)
SUSPEND_REASONS = (
    "需协调产权单位出具意见，暂时挂起。",
    "等待汛期过后施工，暂缓处置。",
    "需采购更换配件，到货后继续处置。",
)
SEND_BACK_REASONS = ("现场核查问题仍然存在，请重新处置。", "处置不彻底，居民仍有意见。")
RESULTS = (
    "已安排人员到现场处置完毕，并回访诉求人。",
    "已现场核实并处理，问题已解决。",
    "已联系权属单位完成整改。",
    "已督促相关责任人整改到位，后续加强巡查。",
)
RATING_COMMENTS = {
    Rating.SATISFIED: ("处理很及时，谢谢！", "满意", "问题解决了，感谢。", ""),
    Rating.BASIC: ("解决了，就是有点慢。", "基本解决。", ""),
    Rating.DISSATISFIED: ("问题没有解决，还是老样子。", "敷衍了事，不满意。", "处理太慢了。"),
}
REOPEN_REASONS = ("问题反复出现，申请重新处理。", "处理后问题依旧，要求重新办理。")


@dataclass
class Fate:
    withdraw: bool = False
    reject: bool = False
    merge_into: int | None = None  # intake index of the case it duplicates
    returned: bool = False
    suspend: bool = False
    send_back: bool = False
    overdue: bool = False
    late_accept: bool = False
    rating: str = ""  # a Rating value, "auto" or "" (never rated)
    reopen: bool = False


def draw_fate(rng: random.Random, intake: Intake | None, *, auto_registered: bool) -> Fate:
    difficulty = intake.profile.difficulty if intake else 1.0
    fate = Fate()
    if intake is not None and intake.duplicate_of is not None:
        fate.merge_into = intake.duplicate_of
        return fate
    roll = rng.random()
    if not auto_registered and roll < 0.015:
        fate.withdraw = True
        return fate
    if not auto_registered and roll < 0.055:
        fate.reject = True
        return fate
    fate.returned = rng.random() < 0.06 * difficulty
    fate.suspend = rng.random() < 0.03 * difficulty
    fate.send_back = rng.random() < 0.04 * difficulty
    fate.overdue = rng.random() < 0.09 * difficulty
    fate.late_accept = rng.random() < 0.04
    unhappy = 0.10 * difficulty * (1.8 if fate.overdue else 1.0)
    roll = rng.random()
    if roll < 0.05:
        fate.rating = ""
    elif roll < 0.15:
        fate.rating = "auto"
    else:
        roll = rng.random()
        if roll < unhappy:
            fate.rating = Rating.DISSATISFIED
        elif roll < unhappy + 0.18:
            fate.rating = Rating.BASIC
        else:
            fate.rating = Rating.SATISFIED
    fate.reopen = fate.rating == Rating.DISSATISFIED and rng.random() < 0.4
    return fate


@dataclass
class Step:
    action: str
    at: datetime
    who: str  # "dispatcher", "handler", "grid_worker", "reporter", "system"
    reason: str = ""
    note: str = ""
    rating: str = ""
    redispatch: bool = False


def _work(at: datetime, low: float, high: float, rng: random.Random, urgent: bool) -> datetime:
    """``at`` plus a delay in working hours, or in natural minutes for urgent cases."""
    if urgent:
        return at + timedelta(minutes=rng.uniform(low * 10, high * 20))
    return add_working_hours(at, rng.uniform(low, high))


def _within(
    start: datetime, due: datetime | None, rng: random.Random, low: float, high: float
) -> datetime:
    if due is None or due <= start:
        return start + timedelta(minutes=rng.uniform(5, 60))
    return start + (due - start) * rng.uniform(low, high)


def next_step(
    case: Case, fate: Fate, state: dict[str, bool], rng: random.Random, now: datetime
) -> Step | None:
    """The step after the one just taken at ``now``, or ``None`` when the case rests.
    ``state`` remembers which one-off detours were already taken."""
    status = case.status
    urgent = case.urgency in ("emergency",)
    if status == S.SUBMITTED:
        if fate.withdraw:
            return Step("withdraw", now + timedelta(minutes=rng.uniform(20, 600)), "reporter")
        if fate.merge_into is not None and not state.get("merge_failed"):
            return Step("merge", _work(now, 0.2, 2.0, rng, urgent), "dispatcher")
        if fate.reject:
            return Step(
                "reject",
                _work(now, 0.3, 4.0, rng, False),
                "dispatcher",
                reason=rng.choice(REJECT_REASONS),
            )
        return Step("register", _work(now, 0.1, 2.0, rng, urgent), "dispatcher")
    if status == S.REGISTERED:
        if fate.merge_into is not None and not state.get("merge_failed"):
            return Step("merge", _work(now, 0.2, 2.0, rng, urgent), "dispatcher")
        return Step("dispatch", _work(now, 0.05, 1.5, rng, urgent), "dispatcher")
    if status == S.DISPATCHED:
        if fate.returned and not state.get("returned"):
            state["returned"] = True
            return Step(
                "return",
                _work(now, 0.3, 6.0, rng, urgent),
                "handler",
                reason=rng.choice(RETURN_REASONS),
            )
        if fate.late_accept and case.response_due:
            at = max(now, case.response_due) + timedelta(minutes=rng.uniform(20, 300))
        else:
            at = _within(now, case.response_due, rng, 0.05, 0.9)
        return Step("accept", at, "handler")
    if status == S.RETURNED:
        return Step("dispatch", _work(now, 0.2, 4.0, rng, urgent), "dispatcher", redispatch=True)
    if status == S.ACCEPTED:
        if fate.suspend and not state.get("suspended"):
            state["suspended"] = True
            return Step(
                "suspend",
                _within(now, case.resolve_due, rng, 0.1, 0.5),
                "handler",
                reason=rng.choice(SUSPEND_REASONS),
            )
        if fate.overdue and not state.get("overdue") and case.resolve_due:
            state["overdue"] = True
            at = max(now, case.resolve_due) + timedelta(hours=rng.lognormvariate(3.3, 0.8))
        else:
            at = _within(now, case.resolve_due, rng, 0.15, 0.95)
        return Step("handle", at, "handler", note=rng.choice(RESULTS))
    if status == S.SUSPENDED:
        return Step("resume", now + timedelta(days=rng.uniform(1.5, 15)), "handler")
    if status == S.HANDLED:
        if fate.send_back and not state.get("sent_back"):
            state["sent_back"] = True
            return Step(
                "send_back",
                _work(now, 1.0, 12.0, rng, urgent),
                "grid_worker",
                reason=rng.choice(SEND_BACK_REASONS),
            )
        return Step("verify", _work(now, 0.5, 14.0, rng, urgent), "grid_worker")
    if status == S.VERIFIED:
        return Step("close", _work(now, 0.1, 3.0, rng, urgent), "dispatcher")
    if status == S.CLOSED:
        rating = fate.rating if case.reopen_count == 0 else _second_rating(rng)
        if rating == "auto":
            return Step(
                "rate",
                now + AUTO_RATE_AFTER,
                "system",
                rating=Rating.SATISFIED,
                note="超过七天未评价，系统默认满意。",
            )
        if not rating:
            return None
        return Step(
            "rate",
            now + timedelta(hours=rng.lognormvariate(2.2, 1.0)),
            "reporter",
            rating=rating,
            note=rng.choice(RATING_COMMENTS[Rating(rating)]),
        )
    if status == S.RATED:
        if fate.reopen and case.reopen_count == 0 and case.rating == Rating.DISSATISFIED:
            return Step(
                "reopen",
                now + timedelta(hours=rng.uniform(1, 48)),
                "reporter",
                reason=rng.choice(REOPEN_REASONS),
            )
        return None
    if status == S.REOPENED:
        return Step("dispatch", _work(now, 0.2, 3.0, rng, urgent), "dispatcher")
    return None


def _second_rating(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.55:
        return Rating.SATISFIED
    if roll < 0.85:
        return Rating.BASIC
    return Rating.DISSATISFIED
