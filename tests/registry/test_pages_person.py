"""The golden record page (provenance, source records, merges with undo), the audited
reveal of an ID number or phone number, and the review queue (side by side, masked;
confirm, reject, undo), through HTTP."""

from __future__ import annotations

import pytest

from grassroots.audit.models import AuditEvent
from grassroots.registry.choices import MatchStatus
from grassroots.registry.models import MatchCandidate, MergeEvent, Person
from tests.registry.factories import (
    MatchCandidateFactory,
    PersonFactory,
    source,
)

from .test_pages_world import ID_1, ID_2, PHONE_1, PHONE_2, html_of, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _no_full_values(html: str) -> None:
    for value in (ID_1, ID_2, PHONE_1, PHONE_2):
        assert value not in html


def _reads(person: Person) -> int:
    return AuditEvent.objects.filter(
        action="registry.person_read", target_id=str(person.pk)
    ).count()


# --- the golden record ---------------------------------------------------------------------------


def test_person_page_shows_provenance_masked_and_is_audited(client, world):
    client.force_login(world.steward)
    before = _reads(world.p1)
    response = client.get(f"/registry/people/{world.p1.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    _no_full_values(html)
    assert world.p1.id_number_masked in html and world.p1.phone_masked in html
    public_security = source("public_security")
    assert public_security.name in html and "2024-03-05" in html  # provenance
    assert f">{public_security.trust_for('name')}<" in html
    assert 'id="records"' in html and html.count("data-record=") == 1
    assert _reads(world.p1) == before + 1


def test_tags_only_for_roles_that_act_on_them(client, world):
    client.force_login(world.grid_worker)
    assert 'id="tags"' in html_of(client.get(f"/registry/people/{world.p1.pk}/"))
    client.force_login(world.leader)
    html = html_of(client.get(f"/registry/people/{world.p1.pk}/"))
    assert 'id="tags"' not in html and ">低保<" not in html


def test_people_outside_scope_are_404(client, world):
    client.force_login(world.grid_worker)
    assert client.get(f"/registry/people/{world.p_sibling.pk}/").status_code == 404
    assert client.get(f"/registry/people/{world.p_other.pk}/").status_code == 404
    response = client.post(
        f"/registry/people/{world.p_other.pk}/reveal/", {"field": "phone", "reason": "回访"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["operator", "handler", "resident"])
def test_person_pages_refuse_other_roles(client, world, who):
    client.force_login(getattr(world, who))
    assert client.get(f"/registry/people/{world.p1.pk}/").status_code == 403
    response = client.post(
        f"/registry/people/{world.p1.pk}/reveal/", {"field": "id_number", "reason": "核实"}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action__contains="reveal").exists()


# --- reveal --------------------------------------------------------------------------------------


def test_reveal_with_a_reason_shows_the_value_once_and_audits_it(client, world):
    client.force_login(world.steward)
    response = client.post(
        f"/registry/people/{world.p1.pk}/reveal/", {"field": "id_number", "reason": "核实低保申请"}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    assert ID_1 in html and 'id="revealed-id_number"' in html
    assert PHONE_1 not in html  # only the field asked for
    event = AuditEvent.objects.filter(action__contains="reveal").get()
    assert event.actor == world.steward and event.reason == "核实低保申请"
    assert ID_1 not in str(event.detail)
    # the next view is masked again
    assert ID_1 not in html_of(client.get(f"/registry/people/{world.p1.pk}/"))


def test_reveal_of_the_phone_for_a_grid_worker(client, world):
    client.force_login(world.grid_worker)
    response = client.post(
        f"/registry/people/{world.p1.pk}/reveal/", {"field": "phone", "reason": "入户前联系"}
    )
    assert response.status_code == 200 and PHONE_1 in html_of(response)


@pytest.mark.parametrize("reason", ["", "  ", "a"])
def test_reveal_without_a_reason_is_400_in_chinese(client, world, reason):
    client.force_login(world.steward)
    response = client.post(
        f"/registry/people/{world.p1.pk}/reveal/", {"field": "id_number", "reason": reason}
    )
    assert response.status_code == 400
    html = html_of(response)
    assert 'id="reveal-error"' in html and "原因" in html
    _no_full_values(html)
    assert not AuditEvent.objects.filter(action__contains="reveal").exists()


def test_reveal_of_another_field_is_400(client, world):
    client.force_login(world.steward)
    response = client.post(
        f"/registry/people/{world.p1.pk}/reveal/", {"field": "name", "reason": "核实"}
    )
    assert response.status_code == 400
    assert "只能查看身份证号或电话的完整内容" in html_of(response)


def test_reveal_is_post_only(client, world):
    client.force_login(world.steward)
    url = f"/registry/people/{world.p1.pk}/reveal/?field=id_number&reason=x"
    assert client.get(url).status_code == 405


# --- review queue --------------------------------------------------------------------------------


@pytest.fixture
def pair(world):
    twin = PersonFactory(
        name="张建囯", house=world.h1, id_plain=ID_1, phone_plain="13800000000", birth_date=None
    )
    return MatchCandidateFactory(
        left=world.p1,
        right=twin,
        probability=0.83,
        explanation={"name": "fuzzy", "id_number": "exact", "phone": "different", "dob": "missing"},
    )


def test_review_shows_the_pair_side_by_side_masked(client, world, pair):
    client.force_login(world.steward)
    response = client.get("/registry/review/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    assert f'data-candidate="{pair.pk}"' in html and "83%" in html
    assert "张建国" in html and "张建囯" in html
    assert "rg-ag-partial" in html and "rg-ag-agree" in html
    assert "rg-ag-disagree" in html and "rg-ag-missing" in html
    _no_full_values(html)
    assert "13800000000" not in html


def test_confirm_merges_and_can_be_undone(client, world, pair):
    client.force_login(world.steward)
    response = client.post(f"/registry/review/{pair.pk}/confirm/")
    assert response.status_code == 302
    pair.refresh_from_db()
    assert pair.status == MatchStatus.CONFIRMED and pair.decided_by == world.steward
    event = MergeEvent.objects.get(undone_at__isnull=True)
    html = html_of(client.get(response["Location"]))
    assert f"/registry/merges/{event.pk}/undo/" in html
    assert AuditEvent.objects.filter(actor=world.steward, action__contains="confirm").exists()

    response = client.post(f"/registry/merges/{event.pk}/undo/")
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.undone_at is not None and event.undone_by == world.steward
    assert Person.objects.filter(pk__in=[pair.left_id, pair.right_id], is_active=True).count() == 2
    assert AuditEvent.objects.filter(actor=world.steward, action__contains="unmerge").exists()


def test_reject_marks_the_pair_and_merges_nothing(client, world, pair):
    client.force_login(world.steward)
    response = client.post(f"/registry/review/{pair.pk}/reject/")
    assert response.status_code == 302 and response["Location"] == "/registry/review/"
    pair.refresh_from_db()
    assert pair.status == MatchStatus.REJECTED
    assert not MergeEvent.objects.exists()
    assert 'id="queue-empty"' in html_of(client.get("/registry/review/"))


def test_an_unknown_decision_is_404(client, world, pair):
    client.force_login(world.steward)
    assert client.post(f"/registry/review/{pair.pk}/maybe/").status_code == 404
    assert MatchCandidate.objects.get(pk=pair.pk).status == MatchStatus.PENDING


def test_deciding_twice_is_refused_with_a_message(client, world, pair):
    client.force_login(world.steward)
    client.post(f"/registry/review/{pair.pk}/reject/")
    response = client.post(f"/registry/review/{pair.pk}/confirm/", follow=True)
    assert response.status_code == 200
    assert MatchCandidate.objects.get(pk=pair.pk).status == MatchStatus.REJECTED
    assert not MergeEvent.objects.exists()
    assert 'class="error"' in html_of(response)


def test_pairs_outside_scope_are_404(client, world):
    outside = MatchCandidateFactory(
        left=world.p_other, right=PersonFactory(house=world.h3), probability=0.7
    )
    client.force_login(world.community_steward)
    assert client.get(f"/registry/review/{outside.pk}/").status_code == 404
    assert client.post(f"/registry/review/{outside.pk}/confirm/").status_code == 404
    assert f'data-candidate="{outside.pk}"' not in html_of(client.get("/registry/review/"))


def test_person_page_lists_merges_with_undo_for_stewards(client, world, pair):
    client.force_login(world.steward)
    client.post(f"/registry/review/{pair.pk}/confirm/")
    event = MergeEvent.objects.get()
    html = html_of(client.get(f"/registry/people/{event.survivor_id}/"))
    assert f'data-merge="{event.pk}"' in html and f"/registry/merges/{event.pk}/undo/" in html
    client.force_login(world.grid_worker)
    html = html_of(client.get(f"/registry/people/{event.survivor_id}/"))
    assert f'data-merge="{event.pk}"' in html
    assert f"/registry/merges/{event.pk}/undo/" not in html
    assert client.post(f"/registry/merges/{event.pk}/undo/").status_code == 403


@pytest.mark.parametrize(
    "target", ["https://evil.example/registry/", "//evil.example/x", "/cases/"]
)
def test_undo_never_redirects_away(client, world, pair, target):
    client.force_login(world.steward)
    client.post(f"/registry/review/{pair.pk}/confirm/")
    event = MergeEvent.objects.get()
    response = client.post(f"/registry/merges/{event.pk}/undo/", {"next": target})
    assert response.status_code == 302
    assert response["Location"] == f"/registry/people/{event.survivor_id}/"
