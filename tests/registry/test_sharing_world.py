"""A world for the data-sharing tests: two districts, departments, every role, records in
and out of each district, and helpers that make grants directly.

The other sharing test modules import ``world`` and the helpers from here; the tests in this
module check the world itself (that the scopes the other tests rely on hold)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from grassroots.org.choices import Role, UnitLevel
from grassroots.org.models import Department, Unit, User
from grassroots.registry.models import (
    AccessRequest,
    Facility,
    Grant,
    House,
    Organisation,
    Person,
    RequestStatus,
)
from tests.org.factories import DepartmentFactory, UnitFactory, UserFactory
from tests.registry.factories import (
    FacilityFactory,
    HouseFactory,
    OrganisationFactory,
    PersonFactory,
    valid_id_number,
)

PHONE = "13812345678"


@dataclass
class SharingWorld:
    district: Unit
    street: Unit
    grid: Unit
    other_grid: Unit
    far_district: Unit
    far_grid: Unit
    civil: Department
    health: Department
    far_dept: Department
    handler: User
    handler2: User
    health_handler: User
    far_handler: User
    steward: User
    admin: User
    street_steward: User
    far_steward: User
    leader: User
    dispatcher: User
    grid_worker: User
    resident: User
    person: Person
    person2: Person
    far_person: Person
    gridless_person: Person
    merged_person: Person
    house: House
    org: Organisation
    facility: Facility
    id_number: str


def make_sharing_world() -> SharingWorld:
    district = UnitFactory(level=UnitLevel.DISTRICT, name="示范区")
    street = UnitFactory(parent=district, name="东街道")
    community = UnitFactory(parent=street, name="花园社区")
    grid = UnitFactory(parent=community, name="第1网格")
    other_grid = UnitFactory(parent=community, name="第2网格")
    far_district = UnitFactory(level=UnitLevel.DISTRICT, name="远方区")
    far_street = UnitFactory(parent=far_district)
    far_community = UnitFactory(parent=far_street)
    far_grid = UnitFactory(parent=far_community)
    civil = DepartmentFactory(jurisdiction=district, key="civil", name="区民政局")
    health = DepartmentFactory(jurisdiction=district, key="health", name="区卫健委")
    far_dept = DepartmentFactory(jurisdiction=far_district, key="civil", name="远方区民政局")
    house = HouseFactory(grid=grid, house_use="rented", owner_name="赵六", lon=116.0, lat=39.0)
    id_number = valid_id_number(birth=date(1990, 3, 7))
    person = PersonFactory(
        house=house,
        name="张三",
        id_plain=id_number,
        phone_plain=PHONE,
        tags=["低保"],
        household_address="北京市东城区老街1号",
    )
    person2 = PersonFactory(house=HouseFactory(grid=other_grid), name="李四", tags=[])
    far_person = PersonFactory(house=HouseFactory(grid=far_grid), name="王五")
    gridless_person = PersonFactory(name="无网格")
    merged_person = PersonFactory(grid=grid, name="已合并", is_active=False, merged_into=person)
    org = OrganisationFactory(grid=grid, house=house, phone_plain="13900001111")
    facility = FacilityFactory(grid=grid, department=civil, lon=116.0, lat=39.0)
    return SharingWorld(
        district=district,
        street=street,
        grid=grid,
        other_grid=other_grid,
        far_district=far_district,
        far_grid=far_grid,
        civil=civil,
        health=health,
        far_dept=far_dept,
        handler=UserFactory(role=Role.DEPT_HANDLER, department=civil),
        handler2=UserFactory(role=Role.DEPT_HANDLER, department=civil),
        health_handler=UserFactory(role=Role.DEPT_HANDLER, department=health),
        far_handler=UserFactory(role=Role.DEPT_HANDLER, department=far_dept),
        steward=UserFactory(role=Role.DATA_STEWARD, unit=district),
        admin=UserFactory(role=Role.ADMIN, unit=district),
        street_steward=UserFactory(role=Role.DATA_STEWARD, unit=street),
        far_steward=UserFactory(role=Role.DATA_STEWARD, unit=far_district),
        leader=UserFactory(role=Role.LEADER, unit=district),
        dispatcher=UserFactory(role=Role.DISPATCHER, unit=district),
        grid_worker=UserFactory(role=Role.GRID_WORKER, unit=grid),
        resident=UserFactory(role=Role.RESIDENT),
        person=person,
        person2=person2,
        far_person=far_person,
        gridless_person=gridless_person,
        merged_person=merged_person,
        house=house,
        org=org,
        facility=facility,
        id_number=id_number,
    )


@pytest.fixture
def world(db) -> SharingWorld:
    return make_sharing_world()


def today() -> date:
    return timezone.localdate()


def make_grant(
    department: Department,
    *,
    dataset: str = "person",
    fields: list[str] | None = None,
    full_fields: list[str] | None = None,
    valid_from: date | None = None,
    valid_until: date | None = None,
    revoked: bool = False,
    by: User | None = None,
    purpose: str = "低保复核：核对救助对象的居住情况",
) -> Grant:
    """A granted request and its grant, written directly (the services are tested apart)."""
    fields = fields if fields is not None else ["name", "id_number"]
    valid_from = valid_from or today()
    valid_until = valid_until or valid_from + timedelta(days=30)
    approver = by or UserFactory(role=Role.DATA_STEWARD, unit=department.jurisdiction)
    requester = UserFactory(role=Role.DEPT_HANDLER, department=department)
    req = AccessRequest.objects.create(
        department=department,
        dataset=dataset,
        fields=fields,
        full_fields=full_fields or [],
        purpose=purpose,
        scenario="社会救助",
        legal_basis="《社会救助暂行办法》第十一条",
        valid_from=valid_from,
        valid_until=valid_until,
        status=RequestStatus.GRANTED,
        requested_by=requester,
        decided_by=approver,
        decided_at=timezone.now(),
    )
    return Grant.objects.create(
        request=req,
        department=department,
        dataset=dataset,
        fields=fields,
        full_fields=full_fields or [],
        valid_from=valid_from,
        valid_until=valid_until,
        granted_by=approver,
        revoked_at=timezone.now() if revoked else None,
        revoked_by=approver if revoked else None,
        revoke_reason="用途已完成" if revoked else "",
    )


def api_client(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        token, _ = Token.objects.get_or_create(user=user)
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def body(response: Any) -> Any:
    return response.json()


# --- the world holds what the other tests rely on ----------------------------------------------


def test_world_people_are_where_the_tests_expect(world):
    assert world.person.grid == world.grid
    assert world.person2.grid == world.other_grid
    assert world.far_person.grid == world.far_grid
    assert world.gridless_person.grid is None
    assert not world.merged_person.is_active
    assert world.grid.path.startswith(world.district.path)
    assert not world.far_grid.path.startswith(world.district.path)
    assert world.person.id_number_masked.startswith(world.id_number[:6])
    assert world.id_number not in world.person.id_number_masked


def test_make_grant_is_in_force_today(world):
    grant = make_grant(world.civil)
    assert grant.is_active_on()
    assert not make_grant(world.civil, revoked=True).is_active_on()
