"""The bulk-write seam of imports and resolution: ``fast_insert``/``fast_update`` write what
the ORM would, and ``reserve_ids`` hands out ids no other row has (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pytest

from grassroots.registry import resolve
from grassroots.registry.models import House, Person, SourceRecord
from tests.registry.factories import HouseFactory, PersonFactory, source

pytestmark = pytest.mark.django_db


def test_fast_insert_and_update_round_trip():
    house = HouseFactory()
    rows = [
        resolve.new_record(
            source_id=source("civil_affairs").pk,
            entity_type="person",
            observed_at=date(2024, 3, 5),
            data={"tag": "低保", "n": i},
            name=f"张{i}",
            house_id=house.pk,
            address_parts={"road": "幸福路", "key": "k"},
        )
        for i in range(5)
    ]
    assert resolve.fast_insert(SourceRecord, rows, batch=2) == 5
    stored = list(SourceRecord.objects.order_by("id"))
    assert [r.name for r in stored] == [f"张{i}" for i in range(5)]
    first = stored[0]
    assert first.data == {"tag": "低保", "n": 0} and first.address_parts["road"] == "幸福路"
    assert first.observed_at == date(2024, 3, 5) and first.house == house
    assert first.created_at is not None and first.superseded is False and first.sex == ""
    for record in stored:
        record.data = {"changed": True}
        record.superseded = True
    assert resolve.fast_update(SourceRecord, stored, ["data", "superseded", "updated_at"]) == 5
    assert set(SourceRecord.objects.values_list("superseded", flat=True)) == {True}
    assert SourceRecord.objects.get(pk=first.pk).data == {"changed": True}


def test_reserved_ids_are_fresh_and_usable():
    existing = PersonFactory()
    deleted = PersonFactory()
    deleted_pk = deleted.pk
    deleted.delete()
    ids = resolve.reserve_ids(Person, 3)
    assert len(set(ids)) == 3
    assert min(ids) > existing.pk and deleted_pk not in ids
    people = []
    for pk in ids:
        person = resolve.new_row(Person, name=f"新{pk}", provenance={"name": {"record": 1}})
        person.pk = pk
        people.append(person)
    resolve.fast_insert(Person, people, with_pk=True)
    assert set(Person.objects.filter(pk__in=ids).values_list("name", flat=True)) == {
        f"新{pk}" for pk in ids
    }
    # the ORM's next row does not collide with them
    later = PersonFactory()
    assert later.pk not in ids
    assert resolve.reserve_ids(Person, 0) == []
    assert House.objects.count() == 0
