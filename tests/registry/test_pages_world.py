"""A small district for the registry page tests (imported by the other test_pages*.py and
test_scope*.py): one street, two communities, grids with houses and people, and one
account per role at meaningful homes.

    district
    └── street
        ├── community            (dispatcher, leader, operator, community steward)
        │   ├── grid             (grid worker)   house h1: 2 people, 1 organisation
        │   └── sibling grid     (grid worker2)  house h2: 1 person
        └── other community
            └── other grid                       house h3: 1 person
    district steward, admin at the district; a department handler; a resident.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from grassroots.org.choices import Role, UnitLevel
from grassroots.registry.choices import PersonType
from grassroots.registry.resolve import recompute_people
from tests.org.factories import UnitFactory, UserFactory
from tests.registry.factories import (
    FacilityFactory,
    HouseFactory,
    OrganisationFactory,
    PersonFactory,
    SourceRecordFactory,
    source,
    valid_id_number,
)

PERSON_TYPES = {
    "户籍": PersonType.REGISTERED,
    "常住": PersonType.RESIDENT,
    "流动": PersonType.FLOATING,
}

ID_1 = valid_id_number(region="110105", sequence=11)
ID_2 = valid_id_number(region="110105", sequence=22)
PHONE_1 = "13812345678"
PHONE_2 = "13987654321"


@dataclass
class World:
    district: Any
    street: Any
    community: Any
    grid: Any
    sibling: Any
    other_community: Any
    other_grid: Any
    h1: Any
    h2: Any
    h3: Any
    p1: Any
    p2: Any
    p_sibling: Any
    p_other: Any
    org: Any
    facility: Any
    users: dict[str, Any]

    def __getattr__(self, name: str) -> Any:  # world.steward, world.grid_worker, ...
        users = self.__dict__.get("users", {})
        if name in users:
            return users[name]
        raise AttributeError(name)


def person_with_record(
    name: str,
    house: Any,
    id_number: str,
    phone: str,
    *,
    person_type: str = "户籍",
    household_address: str = "",
    tag: str = "",
    relation_to_head: str = "",
    observed_at: date | None = None,
) -> Any:
    """A golden person built as an import builds one: a public-security record, then the
    golden values recomputed from it by the field-winning rule."""
    person = PersonFactory(name=name, house=house, id_plain=id_number, phone_plain=phone)
    data = {"name": name, "person_type": PERSON_TYPES[person_type]}
    if household_address:
        data["household_address"] = household_address
    if tag:
        data["tag"] = tag
    if relation_to_head:
        data["relation_to_head"] = relation_to_head
    SourceRecordFactory(
        source=source("public_security"),
        person=person,
        house=house,
        grid=house.grid,
        name=name,
        id_plain=id_number,
        phone_plain=phone,
        address=house.address,
        data=data,
        observed_at=observed_at or date(2024, 6, 1),
    )
    recompute_people([person.pk])
    person.refresh_from_db()
    return person


def make_world() -> World:
    district = UnitFactory(level=UnitLevel.DISTRICT, name="东城区")
    street = UnitFactory(parent=district, name="和平街道")
    community = UnitFactory(parent=street, name="幸福社区")
    grid = UnitFactory(parent=community, name="幸福一网格")
    sibling = UnitFactory(parent=community, name="幸福二网格")
    other_community = UnitFactory(parent=street, name="安康社区")
    other_grid = UnitFactory(parent=other_community, name="安康一网格")

    h1 = HouseFactory(grid=grid, road="幸福路", number="8号", building="3号楼", room="502")
    h2 = HouseFactory(grid=sibling, road="幸福路", number="9号", building="1号楼", room="101")
    h3 = HouseFactory(grid=other_grid, road="安康路", number="1号", building="2号楼", room="201")
    p1 = person_with_record(
        "张建国",
        h1,
        ID_1,
        PHONE_1,
        person_type="户籍",
        household_address=h1.address,
        tag="低保",
        observed_at=date(2024, 3, 5),
    )
    p2 = person_with_record(
        "李秀英",
        h1,
        ID_2,
        PHONE_2,
        person_type="流动",
        household_address="河北省保定市莲池区东关大街1号",
    )
    p_sibling = person_with_record("王小明", h2, valid_id_number(sequence=33), "13700000001")
    p_other = person_with_record("赵大海", h3, valid_id_number(sequence=44), "13700000002")
    org = OrganisationFactory(name="幸福便利店有限公司", house=h1)
    facility = FacilityFactory(grid=grid, name="上水井盖", address="幸福路8号门口")

    users = {
        "steward": UserFactory(role=Role.DATA_STEWARD, unit=district),
        "community_steward": UserFactory(role=Role.DATA_STEWARD, unit=community),
        "admin": UserFactory(role=Role.ADMIN, unit=district),
        "grid_worker": UserFactory(role=Role.GRID_WORKER, unit=grid),
        "sibling_worker": UserFactory(role=Role.GRID_WORKER, unit=sibling),
        "dispatcher": UserFactory(role=Role.DISPATCHER, unit=community),
        "other_dispatcher": UserFactory(role=Role.DISPATCHER, unit=other_community),
        "leader": UserFactory(role=Role.LEADER, unit=community),
        "operator": UserFactory(role=Role.OPERATOR, unit=community),
        "handler": UserFactory(role=Role.DEPT_HANDLER),
        "resident": UserFactory(role=Role.RESIDENT),
    }
    return World(
        district=district,
        street=street,
        community=community,
        grid=grid,
        sibling=sibling,
        other_community=other_community,
        other_grid=other_grid,
        h1=h1,
        h2=h2,
        h3=h3,
        p1=p1,
        p2=p2,
        p_sibling=p_sibling,
        p_other=p_other,
        org=org,
        facility=facility,
        users=users,
    )


def html_of(response: Any) -> str:
    return response.content.decode()
