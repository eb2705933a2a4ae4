"""The data-scope matrix: every role × (own, child, sibling, parent unit), asserted.

The records are staff accounts homed in units and departments (``org.User`` has both a
unit and a department foreign key), queried through ``grassroots.core.scope.scoped`` exactly
as every later app queries its people, cases and applications.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from grassroots.core.scope import Action, can, reach_of, scoped
from grassroots.org.choices import Role
from grassroots.org.models import User

from ..org.factories import DepartmentFactory, UnitFactory, UserFactory

pytestmark = pytest.mark.django_db

UNIT_ROLES = [
    Role.GRID_WORKER,
    Role.OPERATOR,
    Role.DISPATCHER,
    Role.LEADER,
    Role.DATA_STEWARD,
    Role.ADMIN,
]

# (role, action) -> visibility of records in (own, child, sibling, parent) unit
EXPECTED: dict[tuple[str, Action], tuple[bool, bool, bool, bool]] = {
    (Role.GRID_WORKER, Action.VIEW): (True, True, False, False),
    (Role.GRID_WORKER, Action.CHANGE): (True, True, False, False),
    (Role.OPERATOR, Action.VIEW): (True, True, False, False),
    (Role.OPERATOR, Action.CHANGE): (True, True, False, False),
    (Role.DISPATCHER, Action.VIEW): (True, True, False, False),
    (Role.DISPATCHER, Action.CHANGE): (True, True, False, False),
    (Role.LEADER, Action.VIEW): (True, True, False, False),
    (Role.LEADER, Action.CHANGE): (False, False, False, False),
    (Role.DATA_STEWARD, Action.VIEW): (True, True, False, False),
    (Role.DATA_STEWARD, Action.CHANGE): (True, True, False, False),
    (Role.ADMIN, Action.VIEW): (True, True, False, False),
    (Role.ADMIN, Action.CHANGE): (True, True, False, False),
    (Role.RESIDENT, Action.VIEW): (False, False, False, False),
    (Role.RESIDENT, Action.CHANGE): (False, False, False, False),
    # A department sees what is dispatched to it, never by territory.
    (Role.DEPT_HANDLER, Action.VIEW): (False, False, False, False),
    (Role.DEPT_HANDLER, Action.CHANGE): (False, False, False, False),
}


@pytest.fixture
def tree():
    """district → street_a (community_a1 → grid_a1x, grid_a1y; community_a2), street_b."""
    district = UnitFactory()
    street_a, street_b = UnitFactory(parent=district), UnitFactory(parent=district)
    community_a1, community_a2 = UnitFactory(parent=street_a), UnitFactory(parent=street_a)
    grid_a1x, grid_a1y = UnitFactory(parent=community_a1), UnitFactory(parent=community_a1)
    UnitFactory(parent=community_a2)
    UnitFactory(parent=street_b)
    return {
        "district": district,
        "street_a": street_a,
        "street_b": street_b,
        "community_a1": community_a1,
        "community_a2": community_a2,
        "grid_a1x": grid_a1x,
        "grid_a1y": grid_a1y,
    }


# For each home level: (home, child, sibling, parent). A grid has no child unit, so its
# "child" column is checked on the grid itself (a record filed in the grid).
HOMES = {
    "street": ("street_a", "community_a1", "street_b", "district"),
    "community": ("community_a1", "grid_a1x", "community_a2", "street_a"),
    "grid": ("grid_a1x", "grid_a1x", "grid_a1y", "community_a1"),
}


def _record_in(unit) -> User:
    return UserFactory(role=Role.GRID_WORKER, unit=unit)


def _visible(user, record, action) -> bool:
    qs = scoped(
        user, User.objects.all(), unit_field="unit", department_field="department", action=action
    )
    return qs.filter(pk=record.pk).exists()


@pytest.mark.parametrize("action", [Action.VIEW, Action.CHANGE])
@pytest.mark.parametrize("home_level", list(HOMES))
@pytest.mark.parametrize("role", [*UNIT_ROLES, Role.RESIDENT])
def test_unit_role_matrix(tree, role, home_level, action):
    own, child, sibling, parent = (tree[k] for k in HOMES[home_level])
    user = UserFactory(role=role, unit=own if role in UNIT_ROLES else None)
    records = [_record_in(u) for u in (own, child, sibling, parent)]
    got = tuple(_visible(user, r, action) for r in records)
    assert got == EXPECTED[(role, action)], f"{role} at {home_level} ({action})"


@pytest.mark.parametrize("action", [Action.VIEW, Action.CHANGE])
def test_department_handler_sees_own_department_only(tree, action):
    own_dept = DepartmentFactory(jurisdiction=tree["district"])
    other_dept = DepartmentFactory(jurisdiction=tree["district"])
    handler = UserFactory(role=Role.DEPT_HANDLER, department=own_dept)
    colleague = UserFactory(role=Role.DEPT_HANDLER, department=own_dept)
    stranger = UserFactory(role=Role.DEPT_HANDLER, department=other_dept)
    territorial = [_record_in(tree[k]) for k in HOMES["street"]]
    assert _visible(handler, colleague, action) is True
    assert _visible(handler, stranger, action) is False
    assert [_visible(handler, r, action) for r in territorial] == [False] * 4
    # The department's own matrix row is all False for territorial records.
    assert EXPECTED[(Role.DEPT_HANDLER, action)] == (False, False, False, False)


def test_model_without_department_gives_handler_nothing(tree):
    handler = UserFactory(role=Role.DEPT_HANDLER)
    from grassroots.org.models import Unit

    assert not scoped(handler, Unit.objects.all(), unit_field="").exists()


def test_superuser_sees_everything(tree):
    root = UserFactory(role=Role.ADMIN, unit=tree["grid_a1x"], is_superuser=True)
    records = [_record_in(tree[k]) for k in HOMES["street"]]
    assert all(_visible(root, r, Action.CHANGE) for r in records)


def test_inactive_and_anonymous_see_nothing(tree):
    inactive = UserFactory(role=Role.DISPATCHER, unit=tree["district"], is_active=False)
    record = _record_in(tree["grid_a1x"])
    assert _visible(inactive, record, Action.VIEW) is False
    assert _visible(AnonymousUser(), record, Action.VIEW) is False
    assert reach_of(None) == "none"


def test_can_asks_the_same_rule_of_one_object(tree):
    leader = UserFactory(role=Role.LEADER, unit=tree["street_a"])
    inside, outside = _record_in(tree["grid_a1x"]), _record_in(tree["street_b"])
    assert can(leader, inside, unit_field="unit") is True
    assert can(leader, inside, unit_field="unit", action=Action.CHANGE) is False
    assert can(leader, outside, unit_field="unit") is False


def test_scope_is_one_indexed_prefix_query(tree, django_assert_num_queries):
    dispatcher = UserFactory(role=Role.DISPATCHER, unit=tree["street_a"])
    dispatcher = User.objects.select_related("unit").get(pk=dispatcher.pk)
    with django_assert_num_queries(1):
        list(scoped(dispatcher, User.objects.all(), unit_field="unit"))
