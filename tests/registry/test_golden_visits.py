"""A grid worker's visit: corrections become a community-visit record with its own
provenance, and the golden record is recomputed; only within the worker's grid."""

from __future__ import annotations

from datetime import date

import pytest

from grassroots.audit.models import AuditEvent
from grassroots.core.errors import NotFound, ValidationFailed
from grassroots.registry import services
from grassroots.registry.models import SourceRecord
from tests.org.factories import UnitFactory, UserFactory
from tests.registry.factories import (
    HouseFactory,
    PersonFactory,
    SourceRecordFactory,
    grid_unit,
    source,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    grid = grid_unit()
    other = UnitFactory(parent=grid.parent)
    house = HouseFactory(grid=grid)
    person = PersonFactory(house=house, name="")
    SourceRecordFactory(
        source=source("public_security"),
        person=person,
        name="张三",
        phone_plain="13800000001",
        observed_at=date(2020, 1, 1),
        house=house,
        address=house.address,
    )
    services.recompute_person(person=person)
    worker = UserFactory(role="grid_worker", unit=grid)
    stranger = UserFactory(role="grid_worker", unit=other)
    return grid, house, person, worker, stranger


def test_phone_correction_becomes_a_visit_record(world):
    grid, house, person, worker, _stranger = world
    visit = services.record_visit(
        house=house,
        person=person,
        user=worker,
        note="电话已更换",
        corrections={"phone": "139 0000 0002", "person_type": "流动"},
    )
    assert visit.record is not None
    record = visit.record
    assert record.source.key == "community_visit" and record.batch is None
    assert record.person == person and record.house == house and record.grid == grid
    assert (
        "13900000002" not in str(visit.corrections) and visit.corrections["phone"] == "139****0002"
    )
    person.refresh_from_db()
    assert person.phone_masked == "139****0002" and person.person_type == "floating"
    assert person.provenance["phone"]["source"] == "community_visit"
    assert person.provenance["phone"]["record"] == record.pk
    assert person.name == "张三"  # the register still wins the name
    assert AuditEvent.objects.filter(action="registry.visit", target_id=str(person.pk)).exists()


def test_house_correction(world):
    _grid, house, _person, worker, _stranger = world
    services.record_visit(
        house=house, user=worker, corrections={"house_use": "出租", "area_m2": "58"}
    )
    house.refresh_from_db()
    assert house.house_use == "rented" and str(house.area_m2) == "58.00"
    assert house.provenance["house_use"]["source"] == "community_visit"


def test_visit_without_corrections_writes_no_record(world):
    _grid, house, _person, worker, _stranger = world
    before = SourceRecord.objects.count()
    visit = services.record_visit(house=house, user=worker, note="一切正常")
    assert visit.record is None and SourceRecord.objects.count() == before


def test_invalid_corrections_are_refused(world):
    _grid, house, person, worker, _stranger = world
    with pytest.raises(ValidationFailed):
        services.record_visit(house=house, person=person, user=worker, corrections={"phone": "123"})
    with pytest.raises(ValidationFailed):
        services.record_visit(house=house, person=person, user=worker, corrections={"grid": 1})
    with pytest.raises(ValidationFailed):
        services.record_visit(house=house, person=person, user=worker, corrections={"name": "=1+1"})


def test_out_of_grid_is_not_found(world):
    _grid, house, person, _worker, stranger = world
    with pytest.raises(NotFound):
        services.record_visit(
            house=house, person=person, user=stranger, corrections={"phone": "13900000003"}
        )
    resident = UserFactory(role="resident")
    with pytest.raises(NotFound):
        services.record_visit(house=house, user=resident, note="x")
