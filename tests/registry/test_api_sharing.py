"""``/api/v1/registry/``: a granted department reads only the granted fields, only in its
jurisdiction, only while the grant is in force; every record returned is logged; data
stewards read within their own scope; everyone else gets 403 with the reason."""

# ruff: noqa: F811  (the ``world`` fixture is imported from test_sharing_world)
from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from grassroots.audit.models import AuditEvent
from grassroots.registry.models import AccessLog
from tests.registry.factories import PersonFactory, valid_id_number

from .test_sharing_world import api_client, make_grant, today, world  # noqa: F401

pytestmark = pytest.mark.django_db
PEOPLE = "/api/v1/registry/people/"
LOOKUP = "/api/v1/registry/people/lookup/"


def detail(pk: int) -> str:
    return f"{PEOPLE}{pk}/"


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


# --- only the granted fields ----------------------------------------------------------------


def test_list_returns_only_the_granted_fields_masked(world):
    make_grant(world.civil, fields=["name", "id_number", "phone"])
    response = api_client(world.handler).get(PEOPLE)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert {r["id"] for r in rows} == {world.person.pk, world.person2.pk}
    for row in rows:
        assert set(row) == {"id", "name", "id_number", "phone"}
    mine = next(r for r in rows if r["id"] == world.person.pk)
    assert mine["name"] == "张三"
    assert mine["id_number"] == world.id_number[:6] + "********" + world.id_number[-4:]
    assert mine["phone"] == "138****5678"
    raw = response.content.decode()
    assert world.id_number not in raw and "13812345678" not in raw
    for absent in ("tags", "低保", "birth_date", "household_address", "老街"):
        assert absent not in raw


def test_full_value_only_when_granted_in_full_and_then_audited(world):
    grant = make_grant(
        world.civil, fields=["name", "id_number", "phone"], full_fields=["id_number"]
    )
    response = api_client(world.handler).get(detail(world.person.pk))
    assert response.status_code == 200
    assert response.json()["id_number"] == world.id_number
    assert response.json()["phone"] == "138****5678"
    log = AccessLog.objects.get()
    assert log.full_fields == ["id_number"] and log.grant == grant
    event = AuditEvent.objects.get(action="registry.sharing.read_full")
    assert event.actor == world.handler
    assert event.detail["fields"] == ["id_number"] and event.detail["count"] == 1


def test_masked_tags_only_say_whether_there_are_any(world):
    make_grant(world.civil, fields=["tags"])
    rows = {r["id"]: r for r in api_client(world.handler).get(PEOPLE).json()["results"]}
    assert rows[world.person.pk]["tags"] == ["***"]
    assert rows[world.person2.pk]["tags"] == []
    make_grant(world.health, fields=["tags"], full_fields=["tags"])
    rows = {r["id"]: r for r in api_client(world.health_handler).get(PEOPLE).json()["results"]}
    assert rows[world.person.pk]["tags"] == ["低保"]


def test_detail_returns_only_the_granted_fields(world):
    make_grant(world.civil, fields=["birth_date", "grid"])
    data = api_client(world.handler).get(detail(world.person.pk)).json()
    assert data == {
        "id": world.person.pk,
        "birth_date": "1990-03-07",
        "grid": world.grid.code,
    }


def test_only_records_in_the_departments_jurisdiction_and_active(world):
    make_grant(world.civil, fields=["name"])
    client = api_client(world.handler)
    assert ids(client.get(PEOPLE)) == {world.person.pk, world.person2.pk}
    for outside in (world.far_person, world.gridless_person, world.merged_person):
        assert client.get(detail(outside.pk)).status_code == 404
    assert client.get(detail(999999)).status_code == 404
    make_grant(world.far_dept, fields=["name"])
    assert ids(api_client(world.far_handler).get(PEOPLE)) == {world.far_person.pk}


# --- grant in force, or nothing -------------------------------------------------------------


def _refused(response, code: str) -> dict:
    assert response.status_code == 403, response.content
    data = response.json()
    assert data["code"] == code
    assert data["message"]
    assert "results" not in data and "name" not in data
    return data


def test_no_grant_nothing(world):
    client = api_client(world.handler)
    data = _refused(client.get(PEOPLE), "no_grant")
    assert "共享申请" in data["message"]
    _refused(client.get(detail(world.person.pk)), "no_grant")
    _refused(client.post(LOOKUP, {"id_number": world.id_number}, format="json"), "no_grant")
    assert not AccessLog.objects.exists()


def test_expired_grant_returns_nothing(world):
    start = today() - timedelta(days=40)
    make_grant(world.civil, valid_from=start, valid_until=today() - timedelta(days=1))
    client = api_client(world.handler)
    data = _refused(client.get(PEOPLE), "grant_expired")
    assert "到期" in data["message"]
    _refused(client.get(detail(world.person.pk)), "grant_expired")
    _refused(client.post(LOOKUP, {"id_number": world.id_number}, format="json"), "grant_expired")
    assert not AccessLog.objects.exists()


def test_grant_in_force_through_its_last_day(world):
    make_grant(world.civil, valid_from=today() - timedelta(days=5), valid_until=today())
    assert api_client(world.handler).get(PEOPLE).status_code == 200


def test_revoked_grant_returns_nothing(world):
    grant = make_grant(world.civil, revoked=True)
    client = api_client(world.handler)
    data = _refused(client.get(PEOPLE, {"grant": grant.pk}), "grant_revoked")
    assert "撤销" in data["message"]
    _refused(client.get(detail(world.person.pk)), "grant_revoked")
    assert not AccessLog.objects.exists()


def test_grant_not_yet_in_force(world):
    make_grant(world.civil, valid_from=today() + timedelta(days=3))
    _refused(api_client(world.handler).get(PEOPLE), "grant_not_started")


def test_another_departments_grant_does_not_help(world):
    health_grant = make_grant(world.health, fields=["name", "id_number"])
    client = api_client(world.handler)
    _refused(client.get(PEOPLE), "no_grant")
    _refused(client.get(PEOPLE, {"grant": health_grant.pk}), "no_grant")
    _refused(client.get(detail(world.person.pk), {"grant": health_grant.pk}), "no_grant")
    _refused(
        client.post(
            LOOKUP, {"grant": health_grant.pk, "id_number": world.id_number}, format="json"
        ),
        "no_grant",
    )


def test_a_grant_of_another_dataset_does_not_help(world):
    make_grant(world.civil, dataset="house", fields=["address"])
    _refused(api_client(world.handler).get(PEOPLE), "no_grant")
    assert api_client(world.handler).get("/api/v1/registry/houses/").status_code == 200


def test_several_grants_need_the_grant_parameter(world):
    a = make_grant(world.civil, fields=["name"])
    b = make_grant(world.civil, fields=["sex"])
    client = api_client(world.handler)
    response = client.get(PEOPLE)
    assert response.status_code == 400 and response.json()["field"] == "grant"
    rows = client.get(PEOPLE, {"grant": b.pk}).json()["results"]
    assert all(set(r) == {"id", "sex"} for r in rows)
    assert {log.grant_id for log in AccessLog.objects.all()} == {b.pk}
    assert set(client.get(detail(world.person.pk), {"grant": a.pk}).json()) == {"id", "name"}
    assert client.get(PEOPLE, {"grant": "x"}).status_code == 400


# --- filters and lookups never reach outside the grant --------------------------------------


def test_grid_filter_needs_grid_in_the_grant(world):
    make_grant(world.civil, fields=["name"])
    client = api_client(world.handler)
    data = _refused(client.get(PEOPLE, {"grid": world.grid.code}), "field_not_granted")
    assert data["field"] == "grid"
    assert not AccessLog.objects.exists()


def test_grid_filter_within_the_jurisdiction(world):
    make_grant(world.civil, fields=["name", "grid"])
    client = api_client(world.handler)
    assert ids(client.get(PEOPLE, {"grid": world.grid.code})) == {world.person.pk}
    assert ids(client.get(PEOPLE, {"grid": world.street.code})) == {
        world.person.pk,
        world.person2.pk,
    }
    assert ids(client.get(PEOPLE, {"grid": world.far_grid.code})) == set()
    assert client.get(PEOPLE, {"grid": "999"}).status_code == 400


def test_lookup_by_id_number_in_the_body(world):
    make_grant(world.civil, fields=["name", "id_number"])
    client = api_client(world.handler)
    response = client.post(LOOKUP, {"id_number": world.id_number.lower()}, format="json")
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [r["id"] for r in rows] == [world.person.pk]
    assert set(rows[0]) == {"id", "name", "id_number"}
    assert rows[0]["id_number"] != world.id_number
    far_id = valid_id_number()
    PersonFactory(grid=world.far_grid, id_plain=far_id)
    assert client.post(LOOKUP, {"id_number": far_id}, format="json").json() == {"results": []}


def test_lookup_on_a_field_outside_the_grant_is_refused(world):
    make_grant(world.civil, fields=["name"])
    client = api_client(world.handler)
    data = _refused(
        client.post(LOOKUP, {"id_number": world.id_number}, format="json"), "field_not_granted"
    )
    assert data["field"] == "id_number"
    _refused(client.post(LOOKUP, {"phone": "13812345678"}, format="json"), "field_not_granted")
    assert not AccessLog.objects.exists()


def test_lookup_input_is_checked(world):
    make_grant(world.civil, fields=["name", "id_number", "phone"])
    client = api_client(world.handler)
    bad = client.post(LOOKUP, {"id_number": "110105199003071235"}, format="json")
    assert bad.status_code == 400 and "校验码" in bad.json()["message"]
    both = client.post(
        LOOKUP, {"id_number": world.id_number, "phone": "13812345678"}, format="json"
    )
    assert both.status_code == 400 and "只给出一个" in both.json()["message"]
    assert client.post(LOOKUP, {}, format="json").status_code == 400
    found = client.post(LOOKUP, {"phone": "138-1234-5678"}, format="json")
    assert [r["id"] for r in found.json()["results"]] == [world.person.pk]


def test_no_id_number_or_phone_in_the_url(world):
    make_grant(world.civil, fields=["name", "id_number", "phone"])
    client = api_client(world.handler)
    for params in ({"id_number": world.id_number}, {"phone": "13812345678"}):
        response = client.get(PEOPLE, params)
        assert response.status_code == 400
        assert "请求体" in response.json()["message"]
        assert client.get(detail(world.person.pk), params).status_code == 400
    assert not AccessLog.objects.exists()


def test_ordering_parameters_are_ignored_and_the_cursor_carries_only_the_id(world):
    make_grant(world.civil, fields=["name"])
    PersonFactory.create_batch(3, grid=world.grid)
    client = api_client(world.handler)
    first = client.get(PEOPLE, {"page_size": 2, "ordering": "-birth_date"}).json()
    assert [r["id"] for r in first["results"]] == sorted(r["id"] for r in first["results"])
    assert first["next"]
    cursor = parse_qs(urlparse(first["next"]).query)["cursor"][0]
    decoded = parse_qs(base64.b64decode(cursor + "==").decode())
    assert int(decoded["p"][0]) == first["results"][-1]["id"]
    second = client.get(first["next"]).json()
    assert not {r["id"] for r in second["results"]} & {r["id"] for r in first["results"]}


# --- the access log -------------------------------------------------------------------------


def test_every_record_of_a_list_is_logged(world):
    grant = make_grant(world.civil, fields=["name", "phone"])
    api_client(world.handler).get(PEOPLE)
    logs = list(AccessLog.objects.order_by("record_id"))
    assert sorted(log.record_id for log in logs) == sorted([world.person.pk, world.person2.pk])
    for log in logs:
        assert log.user == world.handler
        assert log.department == world.civil
        assert log.grant == grant
        assert log.dataset == "person" and log.record_type == "person"
        assert log.fields == ["name", "phone"]
        assert log.full_fields == []
        assert log.purpose == grant.request.purpose
        assert log.channel == "api"


def test_detail_and_lookup_reads_are_logged(world):
    grant = make_grant(world.civil, fields=["name", "id_number"])
    client = api_client(world.handler2)
    client.get(detail(world.person.pk))
    client.post(LOOKUP, {"id_number": world.id_number}, format="json")
    far_id = valid_id_number()
    PersonFactory(grid=world.far_grid, id_plain=far_id)
    assert client.post(LOOKUP, {"id_number": far_id}, format="json").json() == {"results": []}
    logs = list(AccessLog.objects.all())
    assert len(logs) == 2
    assert {(log.user_id, log.grant_id, log.record_id) for log in logs} == {
        (world.handler2.pk, grant.pk, world.person.pk)
    }


def test_nothing_is_logged_for_an_empty_answer(world):
    make_grant(world.civil, fields=["name", "grid"])
    api_client(world.handler).get(PEOPLE, {"grid": world.far_grid.code})
    assert not AccessLog.objects.exists()


def test_list_query_count_does_not_grow_with_the_page(world, django_assert_max_num_queries):
    make_grant(world.civil, fields=["name", "grid", "phone"])
    PersonFactory.create_batch(10, grid=world.grid)
    client = api_client(world.handler)
    with CaptureQueriesContext(connection) as small:
        client.get(PEOPLE, {"page_size": 2})
    with CaptureQueriesContext(connection) as large:
        assert len(client.get(PEOPLE, {"page_size": 12}).json()["results"]) == 12
    assert len(large.captured_queries) == len(small.captured_queries)
    with django_assert_max_num_queries(8):
        client.get(PEOPLE, {"page_size": 12})


# --- data stewards read in their own scope; others nothing -----------------------------------


def test_steward_reads_every_shareable_field_masked_in_scope(world):
    client = api_client(world.steward)
    response = client.get(PEOPLE)
    assert response.status_code == 200
    rows = {r["id"]: r for r in response.json()["results"]}
    assert set(rows) == {world.person.pk, world.person2.pk}
    row = rows[world.person.pk]
    assert row["id_number"] != world.id_number and row["phone"] == "138****5678"
    assert row["tags"] == ["***"]
    assert row["household_address"] == "北京市东城区老街1号"
    assert client.get(detail(world.far_person.pk)).status_code == 404
    log = AccessLog.objects.filter(record_id=world.person.pk).get()
    assert log.grant is None and log.department is None and log.user == world.steward
    assert ids(api_client(world.far_steward).get(PEOPLE)) == {world.far_person.pk}
    assert ids(client.get(PEOPLE, {"grid": world.other_grid.code})) == {world.person2.pk}


@pytest.mark.parametrize("who", ["dispatcher", "leader", "grid_worker", "resident"])
def test_other_roles_read_nothing(world, who):
    make_grant(world.civil, fields=["name"])
    _refused(api_client(getattr(world, who)).get(PEOPLE), "no_grant")


def test_anonymous_is_401(world):
    assert api_client(None).get(PEOPLE).status_code == 401
    assert api_client(None).get("/api/v1/registry/datasets/").status_code == 401


# --- the other datasets ---------------------------------------------------------------------


def test_houses_organisations_and_facilities(world):
    make_grant(world.civil, dataset="house", fields=["address", "house_use"])
    make_grant(world.civil, dataset="organisation", fields=["name", "uscc", "phone"])
    make_grant(world.civil, dataset="facility", fields=["code", "status", "department"])
    client = api_client(world.handler)
    houses = client.get("/api/v1/registry/houses/").json()["results"]
    assert {h["id"] for h in houses} >= {world.house.pk}
    assert all(set(h) == {"id", "address", "house_use"} for h in houses)
    orgs = client.get("/api/v1/registry/organisations/").json()["results"]
    assert orgs == [
        {"id": world.org.pk, "name": world.org.name, "uscc": world.org.uscc, "phone": "139****1111"}
    ]
    found = client.post(
        "/api/v1/registry/organisations/lookup/", {"uscc": world.org.uscc.lower()}, format="json"
    )
    assert [o["id"] for o in found.json()["results"]] == [world.org.pk]
    facilities = client.get("/api/v1/registry/facilities/").json()["results"]
    assert facilities == [
        {
            "id": world.facility.pk,
            "code": world.facility.code,
            "status": "intact",
            "department": "civil",
        }
    ]
    assert AccessLog.objects.filter(dataset="organisation", record_type="organisation").count() == 2


def test_not_shared_dataset_has_no_endpoint(world):
    assert api_client(world.steward).get("/api/v1/registry/source-records/").status_code == 404


# --- catalogue, grants, schema --------------------------------------------------------------


def test_catalogue_endpoint(world):
    response = api_client(world.handler).get("/api/v1/registry/datasets/")
    assert response.status_code == 200
    data = {d["key"]: d for d in response.json()}
    assert set(data) == {"person", "house", "organisation", "facility", "source_record"}
    assert data["source_record"]["share"] == "not_shared"
    fields = {f["key"]: f for f in data["person"]["fields"]}
    assert fields["id_number"]["sensitive"] and fields["id_number"]["lookup"]
    assert fields["tags"]["sensitivity"] == "sensitive"
    assert not fields["name"]["sensitive"]
    assert data["person"]["grade"] == "important"
    assert "public_security" in data["person"]["providers"]
    assert api_client(world.resident).get("/api/v1/registry/datasets/").status_code == 403


def test_grants_endpoint_shows_the_departments_own(world):
    mine = make_grant(world.civil, fields=["name"])
    expired = make_grant(
        world.civil,
        valid_from=today() - timedelta(days=10),
        valid_until=today() - timedelta(days=1),
    )
    make_grant(world.health, fields=["name"])
    data = api_client(world.handler).get("/api/v1/registry/grants/").json()
    assert {g["id"]: g["state"] for g in data} == {mine.pk: "active", expired.pk: "expired"}
    assert len(api_client(world.steward).get("/api/v1/registry/grants/").json()) == 3
    assert api_client(world.far_steward).get("/api/v1/registry/grants/").json() == []
    assert api_client(world.dispatcher).get("/api/v1/registry/grants/").json() == []


def test_schema_documents_the_registry_endpoints(world):
    response = api_client(None).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    for p in (
        "/api/v1/registry/datasets/",
        "/api/v1/registry/grants/",
        "/api/v1/registry/people/",
        "/api/v1/registry/people/{id}/",
        "/api/v1/registry/people/lookup/",
        "/api/v1/registry/houses/",
        "/api/v1/registry/organisations/lookup/",
        "/api/v1/registry/facilities/{id}/",
    ):
        assert p in paths, p
    for p, operations in paths.items():
        if p.startswith("/api/v1/registry/"):
            for operation in operations.values():
                names = {param["name"] for param in operation.get("parameters", [])}
                assert not names & {"id_number", "phone"}, p
    assert "403" in paths["/api/v1/registry/people/"]["get"]["responses"]


def test_out_of_range_ids_are_refused_not_crashed(world):
    make_grant(world.civil, fields=["name"])
    client = api_client(world.handler)
    assert client.get(PEOPLE, {"grant": 2**64}).status_code == 400
    assert client.get(detail(2**64)).status_code == 404
    assert client.get(detail(world.person.pk), {"grant": 2**64}).status_code == 400
    response = client.post(LOOKUP, {"grant": 2**64, "id_number": world.id_number}, format="json")
    assert response.status_code == 400
