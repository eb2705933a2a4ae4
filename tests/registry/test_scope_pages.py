"""The data scope of every registry page: role × where the user sits (the record's own
grid, the sibling grid, the community above) for each page.

A record outside the user's subtree is a 404 (never a hint that it exists); a role with no
business on a page is a 403; a list never shows what the user may not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from grassroots.org.choices import Role
from grassroots.registry.models import Visit
from tests.org.factories import UserFactory
from tests.registry.factories import ImportBatchFactory, MatchCandidateFactory, PersonFactory

from .test_pages_world import html_of, make_world

pytestmark = pytest.mark.django_db

HOUSE_READERS = {Role.GRID_WORKER, Role.DISPATCHER, Role.LEADER, Role.DATA_STEWARD, Role.ADMIN}
VISITORS = {Role.GRID_WORKER, Role.DISPATCHER, Role.ADMIN}
STEWARDS = {Role.DATA_STEWARD, Role.ADMIN}
UNIT_ROLES = [
    Role.GRID_WORKER,
    Role.DISPATCHER,
    Role.LEADER,
    Role.DATA_STEWARD,
    Role.ADMIN,
    Role.OPERATOR,
]
PLACES = ["own", "sibling", "parent"]
IN_SCOPE = {"own": True, "sibling": False, "parent": True}


@dataclass
class Setup:
    world: Any
    targets: dict[str, Any]


@pytest.fixture
def setup() -> Setup:
    world = make_world()
    twin = PersonFactory(name="张建囯", house=world.h1)
    uploader = UserFactory(role=Role.DATA_STEWARD, unit=world.grid)
    return Setup(
        world,
        {
            "pair": MatchCandidateFactory(left=world.p1, right=twin),
            "batch": ImportBatchFactory(uploaded_by=uploader),
        },
    )


def _user(world: Any, role: str, place: str) -> Any:
    unit = {"own": world.grid, "sibling": world.sibling, "parent": world.community}[place]
    return UserFactory(role=role, unit=unit)


def _expect(role: str, place: str, allowed: set[str], ok: int = 200) -> int:
    if role not in allowed:
        return 403
    return ok if IN_SCOPE[place] else 404


OBJECT_PAGES = {
    "house": (lambda s: f"/registry/houses/{s.world.h1.pk}/", HOUSE_READERS),
    "person": (lambda s: f"/registry/people/{s.world.p1.pk}/", HOUSE_READERS),
    "review-pair": (lambda s: f"/registry/review/{s.targets['pair'].pk}/", STEWARDS),
    "batch": (lambda s: f"/registry/imports/{s.targets['batch'].pk}/", STEWARDS),
    "batch-progress": (
        lambda s: f"/registry/imports/{s.targets['batch'].pk}/progress/",
        STEWARDS,
    ),
}


@pytest.mark.parametrize("page", sorted(OBJECT_PAGES))
@pytest.mark.parametrize("role", UNIT_ROLES)
def test_object_pages(client, setup, role, page):
    url, allowed = OBJECT_PAGES[page]
    for place in PLACES:
        client.force_login(_user(setup.world, role, place))
        assert client.get(url(setup)).status_code == _expect(role, place, allowed), place


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_reveal(client, setup, role):
    for place in PLACES:
        client.force_login(_user(setup.world, role, place))
        response = client.post(
            f"/registry/people/{setup.world.p1.pk}/reveal/",
            {"field": "phone", "reason": "回访核实"},
        )
        expected = _expect(role, place, HOUSE_READERS)
        if expected == 200:  # in scope: the service decides which roles see a full value
            assert response.status_code in (200, 403), place
        else:
            assert response.status_code == expected, place


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_visit(client, setup, role):
    for place in PLACES:
        client.force_login(_user(setup.world, role, place))
        before = Visit.objects.count()
        response = client.post(f"/registry/houses/{setup.world.h1.pk}/visit/", {"note": "走访"})
        expected = _expect(role, place, VISITORS, ok=302)
        assert response.status_code == expected, place
        assert Visit.objects.count() == before + (expected == 302), place


LISTS = {
    "houses": ("/registry/houses/?q=幸福路", lambda w: f'data-house="{w.h1.pk}"'),
    "organisations": ("/registry/organisations/", lambda w: f'data-org="{w.org.pk}"'),
    "facilities": ("/registry/facilities/", lambda w: f'data-facility="{w.facility.pk}"'),
}


@pytest.mark.parametrize("listing", sorted(LISTS))
@pytest.mark.parametrize("role", UNIT_ROLES)
def test_lists_show_only_what_is_in_scope(client, setup, role, listing):
    url, marker = LISTS[listing]
    for place in PLACES:
        client.force_login(_user(setup.world, role, place))
        response = client.get(url)
        if role not in HOUSE_READERS:
            assert response.status_code == 403
            continue
        assert response.status_code == 200
        assert (marker(setup.world) in html_of(response)) == IN_SCOPE[place], place
        # never the other community's
        assert f'data-house="{setup.world.h3.pk}"' not in html_of(response)


@pytest.mark.parametrize("role", UNIT_ROLES)
def test_review_queue_and_overview(client, setup, role):
    pair = setup.targets["pair"]
    for place in PLACES:
        client.force_login(_user(setup.world, role, place))
        review = client.get("/registry/review/")
        overview = client.get("/registry/")
        if role not in STEWARDS:
            assert (review.status_code, overview.status_code) == (403, 403)
            continue
        assert (review.status_code, overview.status_code) == (200, 200)
        assert (f'data-candidate="{pair.pk}"' in html_of(review)) == IN_SCOPE[place], place


@pytest.mark.parametrize(
    "url",
    [
        "/registry/",
        "/registry/imports/",
        "/registry/review/",
        "/registry/houses/",
        "/registry/organisations/",
        "/registry/facilities/",
        "house",
        "person",
    ],
)
def test_department_handlers_and_residents_are_refused(client, setup, url):
    world = setup.world
    objects = {
        "house": f"/registry/houses/{world.h1.pk}/",
        "person": f"/registry/people/{world.p1.pk}/",
    }
    url = objects.get(url, url)
    for who in ("handler", "resident"):
        client.force_login(getattr(world, who))
        assert client.get(url).status_code == 403, who


def test_unplaced_records_are_the_district_stewards(client, setup):
    """A person no grid claims: the district steward sees them, the grid worker and the
    community steward do not."""
    stray = PersonFactory(name="无址人", house=None, grid=None)
    world = setup.world
    client.force_login(world.steward)
    assert client.get(f"/registry/people/{stray.pk}/").status_code == 200
    for who in ("community_steward", "grid_worker", "dispatcher"):
        client.force_login(getattr(world, who))
        assert client.get(f"/registry/people/{stray.pk}/").status_code == 404, who
