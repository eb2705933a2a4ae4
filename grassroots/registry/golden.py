"""The field-winning rule: which source record gives each field of a golden record.

Pure functions, no database. For each field, among the linked records that have a value
for it (blank values never compete):

1. the highest trust wins — the source's ``field_trust`` for that field if set, else the
   source's ``trust``;
2. on equal trust, the most recent ``observed_at`` (the date the data describes);
3. on equal dates, the highest record id (the later import).

The result is the golden values plus their provenance, ``{field: {"record": id,
"source": key, "observed_at": "YYYY-MM-DD", "trust": n}}``. Superseded records (replaced by
a later correction with the same source key) never compete.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

TrustFor = Callable[[str, str], int]  # (source key, field) → trust

PERSON_FIELDS: tuple[str, ...] = (
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number",
    "phone",
    "address",
    "household_address",
    "household_no",
    "relation_to_head",
    "person_type",
    "employer_uscc",
)
HOUSE_FIELDS: tuple[str, ...] = ("address", "house_use", "area_m2", "owner_name")
ORGANISATION_FIELDS: tuple[str, ...] = (
    "org_name",
    "uscc",
    "legal_rep",
    "phone",
    "address",
    "org_type",
    "org_status",
    "founded_on",
)
FACILITY_FIELDS: tuple[str, ...] = ("code", "name", "kind", "status", "address", "lon", "lat")


@dataclass(frozen=True)
class Observation:
    """One record's value for one field."""

    record_id: int
    source: str
    observed_at: date
    trust: int
    value: Any

    def rank(self) -> tuple[int, date, int]:
        return (self.trust, self.observed_at, self.record_id)

    def provenance(self) -> dict[str, Any]:
        return {
            "record": self.record_id,
            "source": self.source,
            "observed_at": self.observed_at.isoformat(),
            "trust": self.trust,
        }


@dataclass(frozen=True)
class RecordValues:
    """What the rule needs of a source record: id, source key, date, and field values
    (already extracted; a sensitive value is carried as its sealed form, never decrypted)."""

    record_id: int
    source: str
    observed_at: date
    values: Mapping[str, Any]
    superseded: bool = False


@dataclass
class Golden:
    values: dict[str, Any] = field(default_factory=dict)
    provenance: dict[str, dict[str, Any]] = field(default_factory=dict)
    winners: dict[str, int] = field(default_factory=dict)  # field → record id


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | list | dict | tuple) and not value:
        return True
    # a sealed sensitive value: (encrypted, index, masked)
    return isinstance(value, tuple) and not value[0]


def winning(observations: Iterable[Observation]) -> Observation | None:
    """The observation that wins: highest trust, then most recent, then highest record id."""
    best: Observation | None = None
    for observation in observations:
        if is_blank(observation.value):
            continue
        if best is None or observation.rank() > best.rank():
            best = observation
    return best


def observations(
    records: Iterable[RecordValues], field_name: str, trust_for: TrustFor
) -> list[Observation]:
    return [
        Observation(
            record_id=r.record_id,
            source=r.source,
            observed_at=r.observed_at,
            trust=trust_for(r.source, field_name),
            value=r.values.get(field_name),
        )
        for r in records
        if not r.superseded and not is_blank(r.values.get(field_name))
    ]


def compute(records: Iterable[RecordValues], fields: Iterable[str], trust_for: TrustFor) -> Golden:
    """Golden values and provenance of ``fields`` over ``records``."""
    current = [r for r in records if not r.superseded]
    golden = Golden()
    for field_name in fields:
        best = winning(observations(current, field_name, trust_for))
        if best is None:
            continue
        golden.values[field_name] = best.value
        golden.provenance[field_name] = best.provenance()
        golden.winners[field_name] = best.record_id
    return golden


def union_tags(records: Iterable[RecordValues], field_name: str = "tag") -> list[str]:
    """Tags (e.g. 低保, 高龄) gathered from every current record, each once, sorted."""
    tags: set[str] = set()
    for record in records:
        if record.superseded:
            continue
        value = record.values.get(field_name)
        if isinstance(value, str):
            tags.update(t.strip() for t in value.replace("，", ",").split(",") if t.strip())
        elif isinstance(value, list):
            tags.update(str(t) for t in value if t)
    return sorted(tags)


def trust_table(sources: Iterable[Any]) -> TrustFor:
    """A ``trust_for`` function over ``Source`` rows (or anything with ``key``, ``trust``
    and ``field_trust``); unknown sources get trust 0."""
    table: dict[str, tuple[int, dict[str, int]]] = {
        s.key: (int(s.trust), {k: int(v) for k, v in (s.field_trust or {}).items()})
        for s in sources
    }

    def trust_for(source: str, field_name: str) -> int:
        base, per_field = table.get(source, (0, {}))
        return per_field.get(field_name, base)

    return trust_for
