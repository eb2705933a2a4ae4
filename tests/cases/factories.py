"""Factories and a small located world for the closed loop."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.cases.models import Category, DutyRule
from grassroots.org.choices import Role
from grassroots.org.locate import invalidate_index
from grassroots.org.models import Department, Unit, User
from grassroots.org.services import boundary_generation_bump

from ..org.factories import DepartmentFactory, UnitFactory, UserFactory, boundary_for


def category(kind: str = "event", code: str = "0404") -> Category:
    """A category loaded by the reference-data migration (下水道堵塞 by default)."""
    return Category.objects.get(kind=kind, code=code)


@dataclass
class World:
    district: Unit
    street: Unit
    community: Unit
    other_community: Unit
    grid: Unit
    other_grid: Unit
    drainage: Department
    street_office: Department
    sanitation: Department
    dispatcher: User
    street_dispatcher: User
    community_dispatcher: User
    other_dispatcher: User
    handler: User
    other_handler: User
    grid_worker: User
    operator: User
    leader: User
    resident: User

    # a point inside ``grid`` and one inside ``other_grid``
    point = (116.005, 39.005)
    other_point = (116.015, 39.005)


def make_world() -> World:
    district = UnitFactory(name="示范区")
    street = UnitFactory(parent=district, name="东街道")
    community = UnitFactory(parent=street, name="花园社区")
    other_community = UnitFactory(parent=street, name="河畔社区")
    grid = UnitFactory(parent=community, name="第1网格")
    other_grid = UnitFactory(parent=other_community, name="第2网格")
    boundary_for(grid, minx=116.0, miny=39.0, maxx=116.01, maxy=39.01)
    boundary_for(other_grid, minx=116.01, miny=39.0, maxx=116.02, maxy=39.01)
    boundary_generation_bump()
    invalidate_index()
    drainage = DepartmentFactory(jurisdiction=district, key="drainage", name="排水集团")
    street_office = DepartmentFactory(jurisdiction=district, key="street_office", name="街道办")
    sanitation = DepartmentFactory(jurisdiction=district, key="sanitation", name="环卫中心")
    return World(
        district=district,
        street=street,
        community=community,
        other_community=other_community,
        grid=grid,
        other_grid=other_grid,
        drainage=drainage,
        street_office=street_office,
        sanitation=sanitation,
        dispatcher=UserFactory(role=Role.DISPATCHER, unit=district),
        street_dispatcher=UserFactory(role=Role.DISPATCHER, unit=street),
        community_dispatcher=UserFactory(role=Role.DISPATCHER, unit=community),
        other_dispatcher=UserFactory(role=Role.DISPATCHER, unit=other_community),
        handler=UserFactory(role=Role.DEPT_HANDLER, department=drainage),
        other_handler=UserFactory(role=Role.DEPT_HANDLER, department=sanitation),
        grid_worker=UserFactory(role=Role.GRID_WORKER, unit=grid),
        operator=UserFactory(role=Role.OPERATOR, unit=district),
        leader=UserFactory(role=Role.LEADER, unit=district),
        resident=UserFactory(role=Role.RESIDENT),
    )


def duty_rule(**kwargs) -> DutyRule:
    return DutyRule.objects.create(**kwargs)
