"""The field-winning rule (pure) and golden values with provenance (database)."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from grassroots.registry import golden, resolve, services
from grassroots.registry.models import Source
from tests.registry.factories import PersonFactory, SourceRecordFactory, source

TRUST = golden.trust_table(
    [
        SimpleNamespace(key="police", trust=90, field_trust={"phone": 40}),
        SimpleNamespace(key="visit", trust=60, field_trust={"phone": 85}),
        SimpleNamespace(key="civil", trust=60, field_trust={}),
    ]
)


def rec(record_id, source_key, observed, **values):
    return golden.RecordValues(record_id, source_key, observed, values)


def test_most_trusted_source_wins_even_if_older():
    result = golden.compute(
        [
            rec(1, "police", date(2020, 1, 1), name="张三"),
            rec(2, "visit", date(2024, 1, 1), name="张叁"),
        ],
        ["name"],
        TRUST,
    )
    assert result.values["name"] == "张三"
    assert result.provenance["name"] == {
        "record": 1,
        "source": "police",
        "observed_at": "2020-01-01",
        "trust": 90,
    }


def test_field_trust_overrides_source_trust():
    result = golden.compute(
        [
            rec(1, "police", date(2024, 1, 1), phone="1"),
            rec(2, "visit", date(2020, 1, 1), phone="2"),
        ],
        ["phone"],
        TRUST,
    )
    assert result.values["phone"] == "2" and result.provenance["phone"]["trust"] == 85


def test_equal_trust_most_recent_wins_then_highest_record_id():
    records = [
        rec(5, "civil", date(2023, 1, 1), name="甲"),
        rec(3, "visit", date(2024, 6, 1), name="乙"),
        rec(4, "visit", date(2024, 6, 1), name="丙"),
    ]
    assert golden.compute(records, ["name"], TRUST).values["name"] == "丙"
    records[2] = rec(2, "visit", date(2024, 6, 1), name="丙")
    assert golden.compute(records, ["name"], TRUST).values["name"] == "乙"


def test_blank_values_and_superseded_records_never_win():
    records = [
        rec(1, "police", date(2024, 1, 1), name=""),
        golden.RecordValues(2, "police", date(2025, 1, 1), {"name": "旧"}, superseded=True),
        rec(3, "civil", date(2020, 1, 1), name="张三"),
    ]
    result = golden.compute(records, ["name", "phone"], TRUST)
    assert result.values == {"name": "张三"}
    assert "phone" not in result.provenance


def test_unknown_source_has_no_trust():
    assert TRUST("nobody", "name") == 0


def test_union_of_tags():
    records = [
        rec(1, "civil", date(2024, 1, 1), tag="低保，高龄"),
        rec(2, "civil", date(2024, 1, 1), tag="低保"),
    ]
    assert golden.union_tags(records) == ["低保", "高龄"]


@pytest.mark.django_db
def test_person_golden_values_and_provenance():
    person = PersonFactory(name="", phone_plain="13900000000")
    ps = SourceRecordFactory(
        source=source("public_security"),
        person=person,
        name="张三",
        phone_plain="13800000001",
        observed_at=date(2020, 1, 1),
        data={"ethnicity": "汉族", "household_no": "H1"},
    )
    visit = SourceRecordFactory(
        source=source("community_visit"),
        person=person,
        name="张叁",
        phone_plain="13800000002",
        observed_at=date(2024, 1, 1),
        data={"person_type": "floating"},
    )
    civil = SourceRecordFactory(
        source=source("civil_affairs"),
        person=person,
        name="张三",
        id_plain="",
        observed_at=date(2023, 1, 1),
        data={"tag": "低保"},
    )
    services.recompute_person(person=person)
    person.refresh_from_db()
    assert person.name == "张三"  # public security wins the name
    assert person.phone_masked == "138****0002"  # community visits win the phone
    assert person.id_number_index == ps.id_number_index
    assert person.person_type == "floating" and person.ethnicity == "汉族"
    assert person.tags == ["低保"]
    assert person.provenance["name"]["source"] == "public_security"
    assert person.provenance["phone"] == {
        "record": visit.pk,
        "source": "community_visit",
        "observed_at": "2024-01-01",
        "trust": 85,
    }
    assert person.provenance["tags"]["record"] == civil.pk


@pytest.mark.django_db
def test_trust_change_takes_effect_on_recompute():
    person = PersonFactory(name="")
    SourceRecordFactory(
        source=source("public_security"), person=person, name="张三", observed_at=date(2020, 1, 1)
    )
    SourceRecordFactory(
        source=source("civil_affairs"), person=person, name="张叁", observed_at=date(2024, 1, 1)
    )
    services.recompute_person(person=person)
    assert person.name == "张三"
    Source.objects.filter(key="civil_affairs").update(field_trust={"name": 99})
    counts = services.recompute_all()
    assert counts["people"] >= 1
    person.refresh_from_db()
    assert person.name == "张叁"
    assert person.provenance["name"]["trust"] == 99


@pytest.mark.django_db
def test_house_of_the_winning_address():
    from tests.registry.factories import HouseFactory

    registered, lives = HouseFactory(), HouseFactory()
    person = PersonFactory()
    SourceRecordFactory(
        source=source("public_security"),
        person=person,
        address=registered.address,
        house=registered,
    )
    SourceRecordFactory(
        source=source("community_visit"),
        person=person,
        address=lives.address,
        house=lives,
        id_plain="",
    )
    resolve.recompute_people([person.pk])
    person.refresh_from_db()
    assert person.house == lives  # where the visit found them, not where they are registered
