"""以房管人 through HTTP: houses by building for the user's own grid, the grid chooser for
community staff, search (simplified/traditional), organisations and facilities, the house
page (masked, audited, never cached) and recording a visit with corrections."""

from __future__ import annotations

import pytest

from grassroots.audit.models import AuditEvent
from grassroots.registry.choices import HouseUse, PersonType
from grassroots.registry.models import Person, SourceRecord, Visit

from .test_pages_world import ID_1, ID_2, PHONE_1, PHONE_2, html_of, make_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return make_world()


def _no_full_values(html: str) -> None:
    for value in (ID_1, ID_2, PHONE_1, PHONE_2):
        assert value not in html


# --- the list ------------------------------------------------------------------------------------


def test_grid_worker_sees_the_houses_of_their_grid_by_building(client, world):
    client.force_login(world.grid_worker)
    response = client.get("/registry/houses/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    assert f'data-house="{world.h1.pk}"' in html
    assert f'data-house="{world.h2.pk}"' not in html and f'data-house="{world.h3.pk}"' not in html
    assert "幸福路8号3号楼" in html  # the building heading
    assert "张建国、李秀英" in html  # who lives there, by name
    assert "户籍 1" in html and "流动 1" in html  # who lives there
    assert "人户分离 1" in html and "单位 1" in html
    assert 'id="grid-select"' not in html  # one grid: nothing to choose
    _no_full_values(html)


def test_community_staff_choose_a_grid_first(client, world):
    client.force_login(world.dispatcher)
    html = html_of(client.get("/registry/houses/"))
    assert f'data-grid="{world.grid.code}"' in html and f'data-grid="{world.sibling.code}"' in html
    assert f'data-grid="{world.other_grid.code}"' not in html
    assert "1 户 · 2 人" in html

    html = html_of(client.get(f"/registry/houses/?grid={world.sibling.code}"))
    assert f'data-house="{world.h2.pk}"' in html and f'data-house="{world.h1.pk}"' not in html


def test_a_grid_outside_scope_in_the_query_is_ignored(client, world):
    client.force_login(world.dispatcher)
    html = html_of(client.get(f"/registry/houses/?grid={world.other_grid.code}"))
    assert f'data-house="{world.h3.pk}"' not in html
    assert 'id="grids"' in html  # back to the chooser


@pytest.mark.parametrize("q", ["李秀英", "張建國", "幸福路8号", "便利店"])
def test_search_by_name_address_or_organisation(client, world, q):
    client.force_login(world.dispatcher)
    html = html_of(client.get("/registry/houses/", {"q": q}))
    assert f'data-house="{world.h1.pk}"' in html
    assert f'data-house="{world.h2.pk}"' not in html


def test_search_never_reaches_outside_scope(client, world):
    client.force_login(world.grid_worker)
    html = html_of(client.get("/registry/houses/", {"q": "赵大海"}))
    assert f'data-house="{world.h3.pk}"' not in html and 'id="no-houses"' in html


def test_organisations_and_facilities_of_the_grid(client, world):
    client.force_login(world.grid_worker)
    response = client.get("/registry/organisations/")
    html = html_of(response)
    assert response["Cache-Control"] == "no-store"
    assert "幸福便利店有限公司" in html and world.org.uscc in html
    assert "010****1234" in html and "01065001234" not in html
    html = html_of(client.get("/registry/facilities/"))
    assert world.facility.code in html and "上水井盖" in html


# --- the house -----------------------------------------------------------------------------------


def test_house_page_shows_the_people_masked_and_audits_the_read(client, world):
    client.force_login(world.grid_worker)
    before = AuditEvent.objects.count()
    response = client.get(f"/registry/houses/{world.h1.pk}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    html = html_of(response)
    assert "张建国" in html and "李秀英" in html
    assert world.p1.id_number_masked in html and world.p1.phone_masked in html
    _no_full_values(html)
    assert "人户分离" in html and "河北省保定市" in html
    assert "幸福便利店有限公司" in html
    assert 'id="visit-form"' in html
    reads = AuditEvent.objects.filter(actor=world.grid_worker, action="registry.person_read")
    assert sorted(reads.values_list("target_id", flat=True)) == sorted(
        [str(world.p1.pk), str(world.p2.pk)]
    )
    assert AuditEvent.objects.count() == before + 2


def test_leader_reads_the_house_but_records_no_visit(client, world):
    client.force_login(world.leader)
    html = html_of(client.get(f"/registry/houses/{world.h1.pk}/"))
    assert "张建国" in html and 'id="visit-form"' not in html
    response = client.post(f"/registry/houses/{world.h1.pk}/visit/", {"note": "走访"})
    assert response.status_code == 403
    assert not Visit.objects.exists()


def test_a_visit_with_a_note_is_recorded(client, world):
    client.force_login(world.grid_worker)
    response = client.post(f"/registry/houses/{world.h1.pk}/visit/", {"note": "入户走访，情况正常"})
    assert response.status_code == 302
    visit = Visit.objects.get()
    assert (visit.house, visit.visited_by, visit.note) == (
        world.h1,
        world.grid_worker,
        "入户走访，情况正常",
    )
    html = html_of(client.get(response["Location"]))
    assert "走访已登记" in html and "入户走访，情况正常" in html


def test_visit_corrections_become_a_community_visit_source(client, world):
    client.force_login(world.grid_worker)
    p1, p2 = world.p1, world.p2
    response = client.post(
        f"/registry/houses/{world.h1.pk}/visit/",
        {
            "note": "户主换了手机号",
            f"phone_{p1.pk}": "13900001111",
            f"type_{p2.pk}": PersonType.RESIDENT,
        },
    )
    assert response.status_code == 302, html_of(response)
    assert SourceRecord.objects.filter(source__key="community_visit").count() == 2
    assert Visit.objects.count() == 3  # the note, and one per person corrected
    p1.refresh_from_db()
    p2.refresh_from_db()
    assert p1.phone_masked == "139****1111"
    assert p1.provenance["phone"]["source"] == "community_visit"
    assert p1.id_number_masked == world.p1.id_number_masked  # the rest stays
    assert p2.person_type == PersonType.RESIDENT
    html = html_of(client.get(response["Location"]))
    assert "13900001111" not in html and "户主换了手机号" in html


def test_house_use_correction(client, world):
    client.force_login(world.grid_worker)
    response = client.post(
        f"/registry/houses/{world.h1.pk}/visit/",
        {"note": "房子出租了", "house_use": HouseUse.RENTED},
    )
    assert response.status_code == 302, html_of(response)
    world.h1.refresh_from_db()
    assert world.h1.house_use == HouseUse.RENTED
    assert world.h1.provenance["house_use"]["source"] == "community_visit"
    html = html_of(client.get(f"/registry/houses/{world.h1.pk}/"))
    facts = html[html.index('id="house-facts"') :]
    use = facts[facts.index('data-field="house_use"') :]
    assert "出租" in use[:400] and "社区走访" in use[:600]


def test_a_failing_correction_writes_nothing(client, world):
    """The note and every correction, or nothing: the second person's bad phone undoes the
    first person's good one."""
    client.force_login(world.grid_worker)
    response = client.post(
        f"/registry/houses/{world.h1.pk}/visit/",
        {
            "note": "走访",
            f"phone_{world.p1.pk}": "13900001111",
            f"phone_{world.p2.pk}": "12345",
        },
    )
    assert response.status_code == 400
    assert 'id="visit-error"' in html_of(response)
    assert not Visit.objects.exists()
    assert not SourceRecord.objects.filter(source__key="community_visit").exists()
    world.p1.refresh_from_db()
    assert world.p1.phone_masked == PHONE_1[:3] + "****" + PHONE_1[-4:]


def test_moved_out_is_offered_only_when_the_service_knows_it(client, world):
    from grassroots.registry import services

    client.force_login(world.grid_worker)
    supported = "moved_out" in getattr(services, "PERSON_CORRECTABLE", ())
    html = html_of(client.get(f"/registry/houses/{world.h1.pk}/"))
    assert (f'name="moved_{world.p2.pk}"' in html) == supported
    if supported:
        response = client.post(
            f"/registry/houses/{world.h1.pk}/visit/", {f"moved_{world.p2.pk}": "on"}
        )
        assert response.status_code == 302, html_of(response)
        assert Person.objects.get(pk=world.p2.pk).house_id != world.h1.pk


def test_an_empty_visit_is_400(client, world):
    client.force_login(world.grid_worker)
    response = client.post(f"/registry/houses/{world.h1.pk}/visit/", {"note": "  "})
    assert response.status_code == 400
    assert "请填写走访情况或至少一项更正" in html_of(response)
    assert not Visit.objects.exists()


def test_a_bad_phone_correction_is_400_and_changes_nothing(client, world):
    client.force_login(world.grid_worker)
    response = client.post(
        f"/registry/houses/{world.h1.pk}/visit/",
        {"note": "走访", f"phone_{world.p1.pk}": "12345"},
    )
    assert response.status_code == 400
    assert not Visit.objects.exists()
    world.p1.refresh_from_db()
    assert world.p1.phone_masked == PHONE_1[:3] + "****" + PHONE_1[-4:]


def test_houses_outside_the_grid_are_404(client, world):
    client.force_login(world.sibling_worker)
    assert client.get(f"/registry/houses/{world.h1.pk}/").status_code == 404
    assert client.post(f"/registry/houses/{world.h1.pk}/visit/", {"note": "x"}).status_code == 404
    assert client.get("/registry/houses/999999/").status_code == 404
    assert not Visit.objects.exists()


@pytest.mark.parametrize("who", ["operator", "handler", "resident"])
def test_house_pages_refuse_other_roles(client, world, who):
    client.force_login(getattr(world, who))
    for url in (
        "/registry/houses/",
        "/registry/organisations/",
        "/registry/facilities/",
        f"/registry/houses/{world.h1.pk}/",
    ):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/registry/houses/{world.h1.pk}/visit/", {"note": "x"}).status_code == 403
    assert not Visit.objects.exists()


def test_elderly_mode_renders_the_house_list(client, world):
    client.force_login(world.grid_worker)
    client.cookies["gr_elderly"] = "1"
    html = html_of(client.get("/registry/houses/"))
    assert 'class="elderly"' in html and f'data-house="{world.h1.pk}"' in html


@pytest.mark.parametrize("language", ["zh-hant", "en"])
def test_house_page_in_other_languages(client, world, language):
    client.force_login(world.grid_worker)
    client.cookies["gr_lang"] = language
    response = client.get(f"/registry/houses/{world.h1.pk}/")
    assert response.status_code == 200
    _no_full_values(html_of(response))


def _queries(client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url", ["/registry/houses/", "/registry/organisations/", "/registry/facilities/"]
)
def test_list_queries_do_not_grow_with_rows(client, world, url):
    from tests.registry.factories import (
        FacilityFactory,
        HouseFactory,
        OrganisationFactory,
        PersonFactory,
    )

    client.force_login(world.grid_worker)
    few = _queries(client, url)
    for i in range(12):
        house = HouseFactory(grid=world.grid, building=f"{i % 3 + 1}号楼", room=f"{i + 1}01")
        PersonFactory(house=house)
        OrganisationFactory(house=house)
        FacilityFactory(grid=world.grid)
    assert _queries(client, url) == few


def test_houses_placed_only_by_community_are_the_communitys(client, world):
    from tests.registry.factories import HouseFactory

    loose = HouseFactory(grid=world.community, road="幸福路", number="99号", room="")
    client.force_login(world.dispatcher)
    html = html_of(client.get("/registry/houses/"))
    assert f'data-grid="{world.community.code}"' in html and "（未分网格）" in html
    html = html_of(client.get(f"/registry/houses/?grid={world.community.code}"))
    assert f'data-house="{loose.pk}"' in html and f'data-house="{world.h1.pk}"' not in html
    client.force_login(world.grid_worker)
    assert client.get(f"/registry/houses/{loose.pk}/").status_code == 404
    assert f'data-house="{loose.pk}"' not in html_of(client.get("/registry/houses/?q=99号"))


def test_buildings_and_rooms_in_natural_order(client, world):
    from tests.registry.factories import HouseFactory

    for number, room in (("10号", "201"), ("8号", "1101"), ("8号", "201")):
        HouseFactory(grid=world.grid, road="幸福路", number=number, building="1号楼", room=room)
    client.force_login(world.grid_worker)
    html = html_of(client.get("/registry/houses/"))
    order = [html.index(t) for t in ("幸福路8号1号楼", "幸福路8号3号楼", "幸福路10号1号楼")]
    assert order == sorted(order)
    block = html[html.index("幸福路8号1号楼") : html.index("幸福路8号3号楼")]
    assert block.index("1单元 201<") < block.index("1单元 1101<")
