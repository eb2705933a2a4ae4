"""Resolution of people into golden persons: stable ids, automatic merges, the review
queue, and stewards' decisions standing across runs.

``link_people`` (registry.linkage) is replaced here by a tiny deterministic linker so that
these tests pin the resolution logic, not the model: records with the same ID number are
one cluster (or whatever ``FakeLinker.together`` says); pairs in ``FakeLinker.review`` are
returned for review.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pandas as pd
import pytest

import grassroots.registry.linkage as linkage
from grassroots.audit.models import AuditEvent
from grassroots.core.errors import Conflict
from grassroots.registry import resolve, services
from grassroots.registry.choices import MatchStatus, MergeReason
from grassroots.registry.models import MatchCandidate, MergeEvent, Person, SourceRecord
from tests.org.factories import UserFactory
from tests.registry.factories import SourceRecordFactory, source, valid_id_number

pytestmark = pytest.mark.django_db


class FakeLinker:
    def __init__(self):
        self.together: list[set[int]] = []
        self.review: list[tuple[int, int, float]] = []
        self.calls = []
        self.during = None

    def __call__(self, frame: pd.DataFrame, *, settings=None):
        self.calls.append(frame)
        if self.during is not None:
            self.during()
        parent = {int(r): int(r) for r in frame["record_id"]}

        def find(x):
            while parent[x] != x:
                x = parent[x]
            return x

        def union(a, b):
            parent[find(a)] = find(b)

        by_id = {}
        for rid, number in zip(frame["record_id"], frame["id_number"], strict=True):
            if number:
                if number in by_id:
                    union(int(rid), by_id[number])
                by_id.setdefault(number, int(rid))
        for group in self.together:
            group = [g for g in group if g in parent]
            for a, b in itertools.pairwise(group):
                union(a, b)
        clusters = pd.DataFrame(
            {"record_id": list(parent), "cluster_id": [find(r) for r in parent]}
        )
        pairs = pd.DataFrame(
            {
                "record_id_l": [a for a, _b, _p in self.review],
                "record_id_r": [b for _a, b, _p in self.review],
                "match_probability": [p for _a, _b, p in self.review],
                "match_weight": [1.5 for _ in self.review],
                "explanation": [{"name": "exact", "id_number": "missing"} for _ in self.review],
            }
        )
        return SimpleNamespace(
            clusters=clusters, pairs=pairs, review=pairs, model_check={"accepted": True}
        )


@pytest.fixture
def linker(monkeypatch):
    fake = FakeLinker()
    monkeypatch.setattr(linkage, "link_people", fake, raising=False)
    return fake


@pytest.fixture
def steward():
    return UserFactory(role="data_steward")


def record(key="public_security", **kwargs):
    kwargs.setdefault("source", source(key))
    return SourceRecordFactory(**kwargs)


def person_of(rec):
    rec.refresh_from_db()
    return rec.person


def test_records_with_one_id_become_one_person(linker, steward):
    number = valid_id_number()
    a = record(id_plain=number, name="张三", phone_plain="13800000001")
    b = record("community_visit", id_plain=number, name="张叁", phone_plain="13800000002")
    c = record(id_plain=valid_id_number(), name="李四")
    report = services.resolve_people(user=steward)
    assert report.records == 3 and report.people_created == 2 and report.merges == 0
    assert person_of(a) == person_of(b) != person_of(c)
    person = person_of(a)
    assert person.name == "张三" and person.phone_masked == "138****0002"
    # the linker got the plain values, in memory
    frame = linker.calls[0]
    assert number in set(frame["id_number"]) and "13800000002" in set(frame["phone"])
    assert AuditEvent.objects.filter(action="registry.resolve_people").exists()


def test_golden_ids_are_stable_across_runs(linker):
    number = valid_id_number()
    a = record(id_plain=number)
    services.resolve_people()
    first = person_of(a)
    services.resolve_people()
    assert person_of(a) == first
    b = record("civil_affairs", id_plain=number)
    report = services.resolve_people()
    assert person_of(b) == first and report.people_created == 0
    assert Person.objects.filter(is_active=True).count() == 1


def test_two_people_found_to_be_one_are_merged_automatically(linker):
    a = record(id_plain=valid_id_number(), name="王芳")
    b = record("community_visit", id_plain="", name="王芳", phone_plain="13800000009")
    c = record("civil_affairs", id_plain=valid_id_number(), name="王芳")
    services.resolve_people()
    pa, pb, pc = person_of(a), person_of(b), person_of(c)
    assert len({pa.pk, pb.pk, pc.pk}) == 3
    record("social_security", id_plain="", name="王芳", phone_plain="13800000009")
    linker.together = [{a.pk, b.pk}]
    report = services.resolve_people()
    assert report.merges == 1
    event = MergeEvent.objects.get()
    assert event.reason == MergeReason.AUTO
    assert {event.survivor_id, event.absorbed_id} == {pa.pk, pb.pk}
    absorbed = Person.objects.get(pk=event.absorbed_id)
    assert not absorbed.is_active and absorbed.merged_into_id == event.survivor_id
    assert person_of(a) == person_of(b)


def test_review_pairs_are_queued_once(linker):
    a = record(id_plain=valid_id_number(), name="张伟")
    b = record("civil_affairs", id_plain=valid_id_number(), name="章伟")
    linker.review = [(a.pk, b.pk, 0.7)]
    report = services.resolve_people()
    assert report.review_queued == 1
    candidate = MatchCandidate.objects.get()
    assert candidate.left_id < candidate.right_id
    assert candidate.status == MatchStatus.PENDING and candidate.explanation["name"] == "exact"
    report = services.resolve_people()
    assert report.review_queued == 0 and MatchCandidate.objects.count() == 1


def test_rejected_pairs_are_never_requeued_nor_merged(linker, steward):
    a = record(id_plain=valid_id_number(), name="张伟")
    b = record("civil_affairs", id_plain=valid_id_number(), name="章伟")
    linker.review = [(a.pk, b.pk, 0.7)]
    services.resolve_people()
    candidate = MatchCandidate.objects.get()
    services.reject_match(candidate=candidate, user=steward, note="两个人")
    assert AuditEvent.objects.filter(action="registry.match_reject").exists()
    with pytest.raises(Conflict):
        services.reject_match(candidate=candidate, user=steward)
    # the model now wants them together, with a new record of one of them
    c = record("community_visit", id_plain="", name="张伟")
    linker.together = [{a.pk, b.pk, c.pk}]
    linker.review = [(a.pk, b.pk, 0.9)]
    report = services.resolve_people()
    assert report.merges == 0 and report.splits == 1
    assert person_of(a) != person_of(b)
    assert MatchCandidate.objects.count() == 1  # not queued again
    assert person_of(c) in (person_of(a), person_of(b))


def test_confirm_merges_and_unmerge_restores(linker, steward):
    a = record(id_plain=valid_id_number(), name="张伟", phone_plain="13800000001")
    b = record("community_visit", id_plain="", name="张伟", phone_plain="13800000002")
    b2 = record(
        "community_visit", id_plain="", name="张伟", phone_plain="13800000002", row_number=99
    )
    linker.together = [{b.pk, b2.pk}]
    linker.review = [(a.pk, b.pk, 0.8)]
    services.resolve_people()
    pa, pb = person_of(a), person_of(b)
    candidate = MatchCandidate.objects.get()
    event = services.confirm_match(candidate=candidate, user=steward, note="同一人")
    assert event.reason == MergeReason.REVIEW and event.candidate == candidate
    assert event.survivor == pb and event.absorbed == pa  # more records survive
    assert sorted(event.moved_records) == [a.pk]
    candidate.refresh_from_db()
    assert candidate.status == MatchStatus.CONFIRMED and candidate.decided_by == steward
    survivor = Person.objects.get(pk=pb.pk)
    assert survivor.id_number_index == a.id_number_index  # gained the ID number
    assert survivor.name == "张伟"
    # a later resolution keeps what the steward merged, even if the model disagrees
    linker.together = []
    services.resolve_people()
    assert person_of(a) == person_of(b) == survivor
    # undo
    services.unmerge(event=event, user=steward, reason="误合并")
    assert person_of(a) == pa and person_of(b) == pb
    pa.refresh_from_db()
    assert pa.is_active and pa.merged_into is None and pa.id_number_index == a.id_number_index
    survivor.refresh_from_db()
    assert survivor.id_number_index == ""
    event.refresh_from_db()
    assert event.undone_by == steward
    with pytest.raises(Conflict):
        services.unmerge(event=event, user=steward)
    # and the model cannot merge them again
    linker.together = [{a.pk, b.pk}]
    services.resolve_people()
    assert person_of(a) != person_of(b)
    actions = set(AuditEvent.objects.values_list("action", flat=True))
    assert {"registry.match_confirm", "registry.person_merge", "registry.person_unmerge"} <= actions


def test_manual_merge_of_inactive_person_is_refused(linker, steward):
    a = record(id_plain=valid_id_number())
    b = record(id_plain=valid_id_number())
    c = record(id_plain=valid_id_number())
    services.resolve_people()
    pa, pb, pc = person_of(a), person_of(b), person_of(c)
    services.merge_people(survivor=pa, absorbed=pb, user=steward)
    with pytest.raises(Conflict):
        services.merge_people(survivor=pc, absorbed=pb, user=steward)


def test_plan_keeps_the_largest_share():
    current = {1: 10, 2: 10, 3: 11, 4: None}
    plan = resolve.plan_people(current, {1: "x", 2: "x", 3: "x", 4: "x"})
    assert plan.person_of == {0: 10}
    assert plan.absorbed == {11: (0, [3])}
    assert plan.moves == {3: 0, 4: 0}


def test_plan_splits_a_person_whose_records_part():
    current = {1: 10, 2: 10, 3: 10}
    plan = resolve.plan_people(current, {1: "x", 2: "x", 3: "y"})
    assert plan.person_of == {0: 10}
    assert plan.moves == {3: 1} and plan.absorbed == {}


def test_no_records_no_people(linker):
    report = services.resolve_people()
    assert report.records == 0 and Person.objects.count() == 0
    assert SourceRecord.objects.count() == 0


def test_a_merge_made_while_the_model_runs_stands(linker, steward):
    a = record(id_plain=valid_id_number(), name="张伟")
    b = record("community_visit", id_plain="", name="张伟")
    services.resolve_people()
    pa, pb = person_of(a), person_of(b)
    linker.during = lambda: services.merge_people(survivor=pa, absorbed=pb, user=steward)
    services.resolve_people()
    assert person_of(a) == person_of(b) == pa
    assert Person.objects.get(pk=pb.pk).is_active is False
