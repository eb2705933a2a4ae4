"""The data-scope function: the one place that decides which records staff may see/change.

Every staff query of people, cases, applications (and anything else tied to a unit or a
department) goes through :func:`scoped`. The rule, one line per role, is ``ROLE_SCOPE``:

* ``SUBTREE`` — the user's home unit and every unit below it (a community dispatcher sees
  the community and its grids; never a sibling community or the street above).
* ``DEPARTMENT`` — records dispatched to the user's own department, wherever they are.
* ``NONE`` — nothing (residents reach their own records through ownership, not scope).

Django superusers (the platform operator's break-glass account) see everything. Inactive
and anonymous users see nothing.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from grassroots.org.choices import Role


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"


class Reach(StrEnum):
    NONE = "none"
    SUBTREE = "subtree"
    DEPARTMENT = "department"


# role -> (reach for VIEW, reach for CHANGE)
ROLE_SCOPE: dict[str, tuple[Reach, Reach]] = {
    Role.RESIDENT: (Reach.NONE, Reach.NONE),
    Role.GRID_WORKER: (Reach.SUBTREE, Reach.SUBTREE),
    Role.OPERATOR: (Reach.SUBTREE, Reach.SUBTREE),
    Role.DEPT_HANDLER: (Reach.DEPARTMENT, Reach.DEPARTMENT),
    Role.DISPATCHER: (Reach.SUBTREE, Reach.SUBTREE),
    Role.LEADER: (Reach.SUBTREE, Reach.NONE),
    Role.DATA_STEWARD: (Reach.SUBTREE, Reach.SUBTREE),
    Role.ADMIN: (Reach.SUBTREE, Reach.SUBTREE),
}

_NOTHING = Q(pk__in=[])
_EVERYTHING = Q()

M = TypeVar("M", bound=Model)


def reach_of(user: Any, action: Action = Action.VIEW) -> Reach:
    """How far ``user`` reaches for ``action``; the policy table, nothing else."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return Reach.NONE
    view, change = ROLE_SCOPE.get(user.role, (Reach.NONE, Reach.NONE))
    return view if action == Action.VIEW else change


def scope_q(
    user: Any,
    *,
    unit_field: str | None,
    department_field: str | None = None,
    action: Action = Action.VIEW,
) -> Q:
    """A ``Q`` limiting a queryset to what ``user`` may ``action``.

    ``unit_field`` is the lookup from the model to the ``org.Unit`` it belongs to
    (``"grid"`` for a case, ``""`` when the model is ``Unit`` itself, ``None`` when the
    model has no unit). ``department_field`` is the lookup to the responsible
    ``org.Department`` (``None`` when the model has none).
    """
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return _EVERYTHING
    reach = reach_of(user, action)
    if reach == Reach.SUBTREE and unit_field is not None and user.unit_id is not None:
        prefix = f"{unit_field}__" if unit_field else ""
        return Q(**{f"{prefix}path__startswith": user.unit.path})
    if reach == Reach.DEPARTMENT and department_field is not None and user.department_id:
        return Q(**{f"{department_field}_id": user.department_id})
    return _NOTHING


def scoped(
    user: Any,
    queryset: QuerySet[M],
    *,
    unit_field: str | None,
    department_field: str | None = None,
    action: Action = Action.VIEW,
) -> QuerySet[M]:
    """``queryset`` limited to the records ``user`` may ``action`` (see module doc)."""
    q = scope_q(user, unit_field=unit_field, department_field=department_field, action=action)
    if q == _NOTHING:
        return queryset.none()
    return queryset.filter(q)


def can(
    user: Any,
    obj: Model,
    *,
    unit_field: str | None,
    department_field: str | None = None,
    action: Action = Action.VIEW,
) -> bool:
    """Whether ``user`` may ``action`` this one object (same rule, asked of one row)."""
    qs = type(obj)._default_manager.filter(pk=obj.pk)
    return scoped(
        user, qs, unit_field=unit_field, department_field=department_field, action=action
    ).exists()
