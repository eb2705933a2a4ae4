"""Golden values recomputed in bulk from the records, with the rule in
``registry.golden``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from .. import golden
from ..importer import iter_chunks
from ..models import Facility, House, Organisation, Person, Source, SourceRecord
from .bulk import fast_update
from .places import _cut, organisation_name_key

CHUNK = 500


# --- golden values ---------------------------------------------------------------------------


def trust_for_all() -> golden.TrustFor:
    return golden.trust_table(Source.objects.all())


def source_keys() -> dict[int, str]:
    return dict(Source.objects.values_list("id", "key"))


def _sealed(record: dict[str, Any], name: str) -> tuple[str, str, str] | None:
    encrypted = record.get(f"{name}_encrypted")
    if not encrypted:
        return None
    return (encrypted, record[f"{name}_index"], record[f"{name}_masked"])


RECORD_COLUMNS = (
    "id",
    "source_id",
    "observed_at",
    "data",
    "name",
    "address",
    "superseded",
    "house_id",
    "grid_id",
    "birth_date",
    "sex",
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
)


_HOUSE_COLUMNS = ("id", "source_id", "observed_at", "data", "address", "superseded")


def _records_by(
    link: str, ids: Iterable[int], columns: tuple[str, ...] = RECORD_COLUMNS
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        rows = SourceRecord.objects.filter(**{f"{link}_id__in": chunk}, superseded=False).values(
            f"{link}_id", *columns
        )
        for row in rows:
            grouped[row[f"{link}_id"]].append(row)
    return grouped


def _as_values(
    rows: list[dict[str, Any]],
    keys: dict[int, str],
    extract: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[golden.RecordValues]:
    return [
        golden.RecordValues(
            record_id=row["id"],
            source=keys.get(row["source_id"], ""),
            observed_at=row["observed_at"],
            values=extract(row),
            superseded=row["superseded"],
        )
        for row in rows
    ]


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def recompute_houses(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    """Recompute the golden values of these houses from their records; returns how many."""
    trust_for = trust_for or trust_for_all()
    keys = source_keys()
    grouped = _records_by("house", ids, _HOUSE_COLUMNS)
    houses = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        houses.extend(House.objects.filter(pk__in=chunk))

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = row["data"] or {}
        return {
            "address": row["address"],
            "house_use": data.get("house_use"),
            "area_m2": data.get("area_m2"),
            "owner_name": data.get("owner_name"),
        }

    for house in houses:
        result = golden.compute(
            _as_values(grouped[house.pk], keys, extract), golden.HOUSE_FIELDS, trust_for
        )
        values = result.values
        house.house_use = values.get("house_use", "")
        house.area_m2 = _decimal(values.get("area_m2"))
        house.owner_name = _cut(values.get("owner_name", ""), 100)
        house.provenance = result.provenance
    fast_update(House, houses, ["house_use", "area_m2", "owner_name", "provenance", "updated_at"])
    return len(houses)


HOUSE_VALUE_FIELDS = frozenset({"house_use", "area_m2", "owner_name"})


def house_address_provenance(ids: Iterable[int], *, trust_for: golden.TrustFor) -> int:
    """The provenance of new houses that only have their address: the first record that
    named it (cheaper than a full recompute, for the houses a person file creates)."""
    from types import SimpleNamespace

    from django.db.models import Min

    keys = source_keys()
    updates = []
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        firsts = dict(
            SourceRecord.objects.filter(house_id__in=chunk, superseded=False)
            .values("house_id")
            .annotate(first=Min("id"))
            .values_list("house_id", "first")
        )
        rows = SourceRecord.objects.filter(pk__in=list(firsts.values())).values(
            "id", "house_id", "source_id", "observed_at"
        )
        for row in rows:
            source = keys.get(row["source_id"], "")
            provenance = {
                "address": {
                    "record": row["id"],
                    "source": source,
                    "observed_at": row["observed_at"].isoformat(),
                    "trust": trust_for(source, "address"),
                }
            }
            updates.append(SimpleNamespace(pk=row["house_id"], provenance=provenance))
    return fast_update(House, updates, ["provenance"])


def recompute_organisations(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    trust_for = trust_for or trust_for_all()
    keys = source_keys()
    grouped = _records_by("organisation", ids)
    orgs = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        orgs.extend(Organisation.objects.filter(pk__in=chunk))
    houses: dict[int, int | None] = {}

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = row["data"] or {}
        houses[row["id"]] = row["house_id"]
        return {
            "org_name": data.get("org_name") or row["name"],
            "uscc": data.get("uscc"),
            "legal_rep": data.get("legal_rep"),
            "phone": _sealed(row, "phone"),
            "address": row["address"],
            "org_type": data.get("org_type"),
            "org_status": data.get("org_status"),
            "founded_on": data.get("founded_on"),
        }

    grids: dict[int, int | None] = {}
    for org in orgs:
        result = golden.compute(
            _as_values(grouped[org.pk], keys, extract), golden.ORGANISATION_FIELDS, trust_for
        )
        values = result.values
        org.name = _cut(values.get("org_name", org.name), 200)
        org.name_key = organisation_name_key(org.name)
        org.uscc = values.get("uscc") or org.uscc
        org.legal_rep = _cut(values.get("legal_rep", ""), 100)
        phone = values.get("phone")
        org.phone_encrypted, org.phone_index, org.phone_masked = phone or ("", "", "")
        org.address = _cut(values.get("address", ""), 255)
        org.org_type = _cut(values.get("org_type", ""), 50)
        org.status = values.get("org_status", "")
        org.founded_on = _date(values.get("founded_on"))
        winner = result.winners.get("address")
        if winner is not None and houses.get(winner):
            org.house_id = houses[winner]
        org.provenance = _rename(result.provenance, {"org_name": "name", "org_status": "status"})
    house_ids = {o.house_id for o in orgs if o.house_id}
    for chunk in iter_chunks(sorted(house_ids), CHUNK):
        grids.update(House.objects.filter(pk__in=chunk).values_list("id", "grid_id"))
    for org in orgs:
        if org.house_id and grids.get(org.house_id):
            org.grid_id = grids[org.house_id]
    fast_update(
        Organisation,
        orgs,
        [
            "name",
            "name_key",
            "uscc",
            "legal_rep",
            "phone_encrypted",
            "phone_index",
            "phone_masked",
            "address",
            "org_type",
            "status",
            "founded_on",
            "house",
            "grid",
            "provenance",
            "updated_at",
        ],
    )
    return len(orgs)


def recompute_facilities(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    trust_for = trust_for or trust_for_all()
    keys = source_keys()
    grouped = _records_by("facility", ids)
    facilities = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        facilities.extend(Facility.objects.filter(pk__in=chunk))

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = dict(row["data"] or {})
        data.setdefault("name", row["name"])
        data.setdefault("address", row["address"])
        return data

    for facility in facilities:
        result = golden.compute(
            _as_values(grouped[facility.pk], keys, extract), golden.FACILITY_FIELDS, trust_for
        )
        values = result.values
        facility.name = _cut(values.get("name", facility.name), 100)
        facility.kind = _cut(values.get("kind", ""), 10)
        facility.status = values.get("status", "")
        facility.address = _cut(values.get("address", ""), 255)
        facility.lon = values.get("lon", facility.lon)
        facility.lat = values.get("lat", facility.lat)
        facility.provenance = result.provenance
    fast_update(
        Facility,
        facilities,
        ["name", "kind", "status", "address", "lon", "lat", "provenance", "updated_at"],
    )
    return len(facilities)


def _rename(provenance: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in provenance.items()}


PERSON_UPDATE_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
    "person_type",
    "address",
    "household_address",
    "house",
    "grid",
    "relation_to_head",
    "household_no",
    "employer_uscc",
    "tags",
    "provenance",
    "updated_at",
]


def _person_values(row: dict[str, Any]) -> dict[str, Any]:
    data = row["data"] or {}
    return {
        "name": row["name"] or data.get("name"),
        "sex": row["sex"] or data.get("sex"),
        "birth_date": row["birth_date"] or _date(data.get("birth_date")),
        "ethnicity": data.get("ethnicity"),
        "id_number": _sealed(row, "id_number"),
        "phone": _sealed(row, "phone"),
        "address": row["address"],
        "household_address": data.get("household_address"),
        "household_no": data.get("household_no"),
        "relation_to_head": data.get("relation_to_head"),
        "person_type": data.get("person_type"),
        "employer_uscc": data.get("employer_uscc"),
        "tag": data.get("tag"),
    }


def apply_person_golden(
    person: Person, rows: list[dict[str, Any]], keys: dict[int, str], trust_for: golden.TrustFor
) -> None:
    """Set ``person``'s golden fields from its record rows (not saved)."""
    values_list = _as_values(rows, keys, _person_values)
    result = golden.compute(values_list, golden.PERSON_FIELDS, trust_for)
    values = result.values
    person.name = _cut(values.get("name", ""), 100)
    person.sex = values.get("sex", "")
    person.birth_date = values.get("birth_date")
    person.ethnicity = _cut(values.get("ethnicity", ""), 20)
    sealed_id = values.get("id_number") or ("", "", "")
    person.id_number_encrypted, person.id_number_index, person.id_number_masked = sealed_id
    sealed_phone = values.get("phone") or ("", "", "")
    person.phone_encrypted, person.phone_index, person.phone_masked = sealed_phone
    person.person_type = values.get("person_type", "")
    person.address = _cut(values.get("address", ""), 255)
    person.household_address = _cut(values.get("household_address", ""), 255)
    person.household_no = _cut(values.get("household_no", ""), 30)
    person.relation_to_head = _cut(values.get("relation_to_head", ""), 20)
    person.employer_uscc = values.get("employer_uscc", "")
    person.tags = golden.union_tags(values_list)
    by_id = {row["id"]: row for row in rows}
    winner = result.winners.get("address")
    house_row = by_id.get(winner) if winner is not None else None
    if house_row is None or not house_row["house_id"]:
        # the best-trusted record that did place the person in a house
        placed = [r for r in values_list if by_id[r.record_id]["house_id"]]
        best = golden.winning(
            golden.Observation(
                r.record_id, r.source, r.observed_at, trust_for(r.source, "address"), 1
            )
            for r in placed
        )
        house_row = by_id[best.record_id] if best else None
    person.house_id = house_row["house_id"] if house_row else None
    person.grid_id = house_row["grid_id"] if house_row else None
    provenance = result.provenance
    if person.tags:
        tag_records = [r for r in values_list if r.values.get("tag")]
        latest = max(tag_records, key=lambda r: (r.observed_at, r.record_id))
        provenance["tags"] = {
            "record": latest.record_id,
            "source": latest.source,
            "observed_at": latest.observed_at.isoformat(),
            "trust": trust_for(latest.source, "tag"),
        }
    person.provenance = provenance


def recompute_people(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    """Recompute the golden values of these people from their records."""
    trust_for = trust_for or trust_for_all()
    keys = source_keys()
    grouped = _records_by("person", ids)
    people: list[Person] = []
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        people.extend(Person.objects.filter(pk__in=chunk))
    for person in people:
        apply_person_golden(person, grouped.get(person.pk, []), keys, trust_for)
    fast_update(Person, people, PERSON_UPDATE_FIELDS)
    return len(people)


def entity_filter(entity_type: str) -> Q:
    return Q(entity_type=entity_type, superseded=False)
