"""Every legal and every illegal transition of the state machine."""

from __future__ import annotations

import pytest

from grassroots.cases import workflow
from grassroots.cases.choices import CaseStatus
from grassroots.core.errors import Conflict, PermissionDeniedError, ValidationFailed

ALL_ROLES = [
    "resident",
    "grid_worker",
    "operator",
    "dept_handler",
    "dispatcher",
    "leader",
    "data_steward",
    "admin",
    workflow.REPORTER,
    workflow.SYSTEM,
]

LEGAL = {
    (t.action, status, role)
    for t in workflow.TRANSITIONS.values()
    for status in t.sources
    for role in t.roles
}


@pytest.mark.parametrize("action", sorted(workflow.TRANSITIONS))
@pytest.mark.parametrize("status", [s.value for s in CaseStatus])
def test_every_action_from_every_status(action, status):
    transition = workflow.TRANSITIONS[action]
    for role in ALL_ROLES:
        reason = "因为需要"
        if (action, status, role) in LEGAL:
            assert workflow.check(status=status, action=action, role=role, reason=reason)
        elif status not in transition.sources:
            with pytest.raises(Conflict) as exc:
                workflow.check(status=status, action=action, role=role, reason=reason)
            assert exc.value.status_code == 409
        else:
            with pytest.raises(PermissionDeniedError):
                workflow.check(status=status, action=action, role=role, reason=reason)


@pytest.mark.parametrize(
    "action", sorted(a for a, t in workflow.TRANSITIONS.items() if t.reason_required)
)
def test_reason_required(action):
    t = workflow.TRANSITIONS[action]
    status, role = sorted(t.sources)[0], sorted(t.roles)[0]
    with pytest.raises(ValidationFailed) as exc:
        workflow.check(status=status, action=action, role=role, reason="  ")
    assert exc.value.field == "reason"


def test_illegal_transition_message_names_state_and_step():
    with pytest.raises(Conflict) as exc:
        workflow.check(status=CaseStatus.CLOSED, action="accept", role="dept_handler")
    assert "已结案" in str(exc.value.message) and "签收" in str(exc.value.message)


def test_unknown_action_is_conflict():
    with pytest.raises(Conflict):
        workflow.check(status=CaseStatus.SUBMITTED, action="teleport", role="dispatcher")


def test_actions_for_offers_only_possible_steps():
    actions = {t.action for t in workflow.actions_for(status="dispatched", role="dept_handler")}
    assert actions == {"accept", "return", "suspend"}
    assert workflow.actions_for(status="rated", role="leader") == []


def test_every_status_is_reachable_from_submitted():
    reachable, frontier = {"submitted"}, ["submitted"]
    while frontier:
        status = frontier.pop()
        for t in workflow.TRANSITIONS.values():
            if status in t.sources:
                targets = [t.target] if t.target else sorted(t.sources)
                for target in targets:
                    if target not in reachable:
                        reachable.add(target)
                        frontier.append(target)
    assert reachable == {s.value for s in CaseStatus}
