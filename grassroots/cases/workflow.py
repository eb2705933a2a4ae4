"""The case state machine: the one module that says which step may follow which, and who
may take it. Services call :func:`check`; pages and the API call :func:`actions_for` to
offer only the steps that are possible.

    submitted ─register→ registered ─dispatch→ dispatched ─accept→ accepted ─handle→ handled
        │                    │                   │   └return→ returned ─dispatch→ …
        └reject→ not_accepted└merge→ merged      └suspend→ suspended ─resume→ (back)
    handled ─verify→ verified ─close→ closed ─rate→ rated ─reopen→ reopened ─dispatch→ …
    handled ─send_back→ accepted
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from grassroots.core.errors import Conflict, PermissionDeniedError
from grassroots.org.choices import Role

from .choices import CaseStatus as S

# The reporter acting through their tracking code (no staff role).
REPORTER = "reporter"
# The platform itself (deadline sweeps, sensors, automatic registration).
SYSTEM = "system"


@dataclass(frozen=True)
class Transition:
    action: str
    label: Promise
    sources: frozenset[str]
    target: str | None  # None: decided by the service (resume returns to the prior status)
    roles: frozenset[str]
    reason_required: bool = False


def _t(
    action: str,
    label: Promise,
    sources: set[str],
    target: str | None,
    roles: set[str],
    *,
    reason: bool = False,
) -> Transition:
    return Transition(action, label, frozenset(sources), target, frozenset(roles), reason)


_DISPATCH = {Role.DISPATCHER, SYSTEM}
_HANDLER = {Role.DEPT_HANDLER}
_ACTIVE = {S.DISPATCHED, S.ACCEPTED}

TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in [
        _t("register", _("立案"), {S.SUBMITTED}, S.REGISTERED, {*_DISPATCH, Role.GRID_WORKER}),
        _t("reject", _("不予立案"), {S.SUBMITTED}, S.NOT_ACCEPTED, _DISPATCH, reason=True),
        _t("merge", _("合并为重复"), {S.SUBMITTED, S.REGISTERED}, S.MERGED, _DISPATCH),
        _t("dispatch", _("派遣"), {S.REGISTERED, S.RETURNED, S.REOPENED}, S.DISPATCHED, _DISPATCH),
        _t("accept", _("签收"), {S.DISPATCHED}, S.ACCEPTED, _HANDLER),
        _t("return", _("退回"), {S.DISPATCHED, S.ACCEPTED}, S.RETURNED, _HANDLER, reason=True),
        _t("suspend", _("挂起"), _ACTIVE, S.SUSPENDED, {*_DISPATCH, *_HANDLER}, reason=True),
        _t("resume", _("恢复"), {S.SUSPENDED}, None, {*_DISPATCH, *_HANDLER}),
        _t("handle", _("办结反馈"), {S.ACCEPTED}, S.HANDLED, _HANDLER),
        _t("verify", _("核查通过"), {S.HANDLED}, S.VERIFIED, {Role.GRID_WORKER, *_DISPATCH}),
        _t(
            "send_back",
            _("核查不通过"),
            {S.HANDLED},
            S.ACCEPTED,
            {Role.GRID_WORKER, *_DISPATCH},
            reason=True,
        ),
        _t("close", _("结案"), {S.VERIFIED}, S.CLOSED, _DISPATCH),
        _t("rate", _("评价"), {S.CLOSED}, S.RATED, {REPORTER, SYSTEM}),
        _t("reopen", _("重启"), {S.RATED}, S.REOPENED, {REPORTER, Role.DISPATCHER}, reason=True),
        _t("withdraw", _("撤回"), {S.SUBMITTED, S.REGISTERED}, S.WITHDRAWN, {REPORTER}),
    ]
}

# Actions that change no status but are steps of the timeline.
NOTES: dict[str, Promise] = {
    "submit": _("提交"),
    "supervise": _("督办"),
    "escalate": _("超期升级"),
    "assist": _("增加协办部门"),
    "comment": _("备注"),
    "notify": _("通知"),
    "merged_result": _("合并案件办结"),
}


def label(action: str) -> str:
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(NOTES.get(action, action))


def check(*, status: str, action: str, role: str, reason: str = "") -> Transition:
    """The transition ``action`` from ``status`` by ``role``, or a clear refusal:
    ``Conflict`` (HTTP 409) when the case's state does not allow it,
    ``PermissionDeniedError`` when the role may not take this step."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise Conflict(_("未知的操作。"))
    if status not in transition.sources:
        raise Conflict(
            _("案件当前状态为“%(status)s”，不能执行“%(action)s”。")
            % {"status": S(status).label, "action": transition.label}
        )
    if role not in transition.roles:
        raise PermissionDeniedError(
            _("您的角色不能执行“%(action)s”。") % {"action": transition.label}
        )
    if transition.reason_required and not reason.strip():
        from grassroots.core.errors import ValidationFailed

        raise ValidationFailed(
            _("“%(action)s”需要填写原因。") % {"action": transition.label}, field="reason"
        )
    return transition


def actions_for(*, status: str, role: str) -> list[Transition]:
    """The steps ``role`` could take on a case in ``status`` (for buttons and the API)."""
    return [t for t in TRANSITIONS.values() if status in t.sources and role in t.roles]
