"""People: turning the linkage's clusters into golden-person changes (stable ids, merges,
splits for stewards' decisions), and the resolution report."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

# --- people ----------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, item: Any) -> Any:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = self.find(parent)
            self.parent[item] = root
            return root
        return item

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=str)] = min(ra, rb, key=str)


@dataclass
class PeoplePlan:
    """What a resolution run changes, worked out before anything is written.

    ``clusters``: final groups of record ids; ``person_of``: cluster index → the existing
    person id it keeps (absent: a new person); ``absorbed``: person id → (survivor's
    cluster index, the records it gives up); ``moves``: record id → cluster index for every
    record whose person changes."""

    clusters: list[list[int]]
    person_of: dict[int, int]
    absorbed: dict[int, tuple[int, list[int]]]
    moves: dict[int, int]
    splits: int = 0


def plan_people(
    current: dict[int, int | None],
    clusters: dict[int, Any],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> PeoplePlan:
    """Turn the linkage's clusters into golden-person changes, keeping ids stable.

    ``current``: record id → the person it belongs to now (None for a new record);
    ``clusters``: record id → cluster label from the linkage; ``must_link``: record pairs a
    person decided belong together; ``cannot_link``: person pairs a person decided are
    different (a rejected review pair, an undone merge) — never put in one cluster.

    A cluster keeps the id of the person with most records in it (ties: the older id);
    another person whose records all land in clusters kept by others is absorbed by the
    one holding most of them.
    """
    uf = _UnionFind()
    for record_id in current:
        uf.find(("r", record_id))
        label = clusters.get(record_id)
        if label is not None:
            uf.union(("r", record_id), ("c", label))
    for a, b in must_link:
        if a in current and b in current:
            uf.union(("r", a), ("r", b))
    groups: dict[Any, list[int]] = defaultdict(list)
    for record_id in current:
        groups[uf.find(("r", record_id))].append(record_id)
    forbidden: dict[int, set[int]] = defaultdict(set)
    for a, b in cannot_link:
        forbidden[a].add(b)
        forbidden[b].add(a)
    final: list[list[int]] = []
    splits = 0
    for members in groups.values():
        parts = _split(members, current, forbidden)
        splits += len(parts) - 1
        final.extend(sorted(p) for p in parts)
    final.sort(key=lambda m: m[0])
    # who keeps which cluster: largest share first, older id on ties
    shares: list[tuple[int, int, int]] = []  # (-count, person, cluster)
    for index, members in enumerate(final):
        counts: dict[int, int] = defaultdict(int)
        for record_id in members:
            person = current[record_id]
            if person is not None:
                counts[person] += 1
        shares.extend((-n, person, index) for person, n in counts.items())
    shares.sort()
    person_of: dict[int, int] = {}
    taken: set[int] = set()
    for _n, person, index in shares:
        if person in taken or index in person_of:
            continue
        person_of[index] = person
        taken.add(person)
    moves: dict[int, int] = {}
    given_up: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, members in enumerate(final):
        keeper = person_of.get(index)
        for record_id in members:
            person = current[record_id]
            if keeper is None or person != keeper:
                moves[record_id] = index
                if person is not None:
                    given_up[person][index].append(record_id)
    absorbed: dict[int, tuple[int, list[int]]] = {}
    for person, by_cluster in given_up.items():
        if person in taken:
            continue  # it kept a cluster of its own: a partial move, not a merge
        index = max(by_cluster, key=lambda i: (len(by_cluster[i]), -i))
        if index in person_of:
            absorbed[person] = (index, sorted(r for rs in by_cluster.values() for r in rs))
    return PeoplePlan(final, person_of, absorbed, moves, splits)


def _split(
    members: list[int], current: dict[int, int | None], forbidden: dict[int, set[int]]
) -> list[list[int]]:
    """Split one cluster so that no two persons of a cannot-link pair share a part."""
    persons = {current[r] for r in members if current[r] is not None}
    if not any(forbidden.get(p, set()) & persons for p in persons if p is not None):
        return [members]
    by_person: dict[int, list[int]] = defaultdict(list)
    fresh: list[int] = []
    for record_id in members:
        person = current[record_id]
        if person is None:
            fresh.append(record_id)
        else:
            by_person[person].append(record_id)
    buckets: list[tuple[set[int], list[int]]] = []
    for person in sorted(by_person, key=lambda p: (-len(by_person[p]), p)):
        for people, records in buckets:
            if not forbidden.get(person, set()) & people:
                people.add(person)
                records.extend(by_person[person])
                break
        else:
            buckets.append(({person}, list(by_person[person])))
    buckets[0][1].extend(fresh)
    return [records for _people, records in buckets]


@dataclass
class ResolveReport:
    records: int = 0
    clusters: int = 0
    people_created: int = 0
    people_kept: int = 0
    merges: int = 0
    records_moved: int = 0
    splits: int = 0
    review_queued: int = 0
    review_pending: int = 0
    model_check: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "clusters": self.clusters,
            "people_created": self.people_created,
            "people_kept": self.people_kept,
            "merges": self.merges,
            "records_moved": self.records_moved,
            "splits": self.splits,
            "review_queued": self.review_queued,
            "review_pending": self.review_pending,
            "model_check": _plain(self.model_check),
            "seconds": round(self.seconds, 2),
        }


def _plain(value: Any) -> Any:
    """JSON-safe copy of a model-check dict (numpy numbers, tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def active_root(person_id: int, merged_into: dict[int, int | None]) -> int:
    """The active person a (possibly merged) person id now stands for."""
    seen = {person_id}
    while merged_into.get(person_id):
        person_id = merged_into[person_id]  # type: ignore[assignment]
        if person_id in seen:
            break
        seen.add(person_id)
    return person_id
