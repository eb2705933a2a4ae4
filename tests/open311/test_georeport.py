"""The Open311 GeoReport v2 contract under ``/open311/``: every endpoint in JSON and XML,
every documented parameter and error, field names as the specification spells them."""

from __future__ import annotations

import io
from datetime import timedelta
from xml.etree import ElementTree as ET

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from grassroots.cases.choices import CaseStatus, Channel
from grassroots.cases.models import Case, CasePhoto
from grassroots.cases.services import Actor, case_transition
from grassroots.open311.models import ApiKey, ApiKeyUse
from grassroots.open311.services import api_key_issue, api_key_revoke

from ..cases.factories import category, duty_rule, make_world

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
}
ATTRIBUTE_FIELDS = {
    "variable",
    "code",
    "datatype",
    "required",
    "datatype_description",
    "order",
    "description",
    "values",
}
EXTRA_FIELDS = [
    {"code": "depth", "datatype": "number", "description": "积水深度", "required": True},
    {"code": "since", "datatype": "datetime", "description": "开始时间", "order": 2},
    {"code": "note", "datatype": "text", "description": "补充"},
    {"code": "color", "datatype": "string", "description": "颜色"},
    {
        "code": "smell",
        "datatype": "singlevaluelist",
        "description": "气味",
        "values": [{"key": "none", "name": "无"}, {"key": "strong", "name": "浓"}],
    },
    {
        "code": "where",
        "datatype": "multivaluelist",
        "description": "位置",
        "values": ["road", "sidewalk"],
    },
]


@pytest.fixture
def world():
    cache.clear()
    w = make_world()
    cat = category("event", "0404")
    cat.extra_fields = EXTRA_FIELDS
    cat.save()
    yield w
    cache.clear()


@pytest.fixture
def key(world):
    return api_key_issue(app_name="Test app", rate_limit_per_hour=5)


def xml(response) -> ET.Element:
    assert response["Content-Type"].startswith("text/xml")
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    return ET.fromstring(response.content)  # noqa: S314 - our own answer


def body(world, key, **overrides):
    lon, lat = world.point
    data = {
        "api_key": key.key,
        "service_code": "E0404",
        "lat": str(lat),
        "long": str(lon),
        "description": "小区门口下水道堵了，污水冒出来",
        "attribute[depth]": "12.5",
        "email": "zhang@example.com",
        "first_name": "三",
        "last_name": "张",
        "phone": "13812345678",
        "device_id": "dev-1",
        "account_id": "acc-1",
        "media_url": "https://example.org/p.jpg",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def post(data, fmt="json", **kwargs):
    return Client().post(f"{BASE}/requests.{fmt}", data=data, **kwargs)


def assert_error(response, status: int, fmt: str = "json") -> str:
    assert response.status_code == status, response.content
    if fmt == "xml":
        root = xml(response)
        assert root.tag == "errors"
        (error,) = root.findall("error")
        assert error.findtext("code") == str(status)
        return error.findtext("description") or ""
    data = response.json()
    assert isinstance(data, list) and len(data) == 1
    assert set(data[0]) == {"code", "description"}
    assert data[0]["code"] == status and data[0]["description"]
    return data[0]["description"]


# --- discovery and services ---------------------------------------------------------------


def test_discovery_in_both_formats(world):
    data = Client().get("/open311/discovery.json").json()
    assert {"changeset", "contact", "key_service", "endpoints"} <= set(data)
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2/")
    assert endpoint["type"] in {"production", "test"}
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = xml(Client().get("/open311/discovery.xml"))
    assert root.tag == "discovery"
    formats = [f.text for f in root.find("endpoints/endpoint/formats").findall("format")]
    assert "text/xml" in formats
    assert root.findtext("endpoints/endpoint/specification") == endpoint["specification"]


def test_services_list_every_active_category(world):
    data = Client().get(f"{BASE}/services.json").json()
    assert isinstance(data, list) and len(data) > 10
    by_code = {s["service_code"]: s for s in data}
    assert all(set(s) == SERVICE_FIELDS for s in data)
    sewer = by_code["E0404"]
    assert sewer["metadata"] is True and sewer["type"] == "realtime"
    assert sewer["service_name"] == category("event", "0404").name
    assert all(s["metadata"] is False for c, s in by_code.items() if c != "E0404")
    root = xml(Client().get(f"{BASE}/services.xml"))
    assert root.tag == "services"
    services = root.findall("service")
    assert len(services) == len(data)
    first = services[0]
    assert {child.tag for child in first} == SERVICE_FIELDS
    assert root.find("service[service_code='E0404']/metadata").text == "true"


def test_service_names_follow_the_request_language(world):
    cat = category("event", "0404")
    data = Client().get(f"{BASE}/services.json", HTTP_ACCEPT_LANGUAGE="en").json()
    sewer = next(s for s in data if s["service_code"] == "E0404")
    assert sewer["service_name"] == (cat.name_en or cat.name)


def test_service_definition_in_both_formats(world):
    data = Client().get(f"{BASE}/services/E0404.json").json()
    assert data["service_code"] == "E0404"
    attributes = data["attributes"]
    assert attributes[0]["code"] == "depth"
    assert all(set(a) == ATTRIBUTE_FIELDS for a in attributes)
    by_code = {a["code"]: a for a in attributes}
    assert {a["datatype"] for a in attributes} == {
        "string",
        "number",
        "datetime",
        "text",
        "singlevaluelist",
        "multivaluelist",
    }
    assert by_code["depth"]["required"] is True and by_code["color"]["required"] is False
    assert by_code["smell"]["values"] == [
        {"key": "none", "name": "无"},
        {"key": "strong", "name": "浓"},
    ]
    assert by_code["where"]["values"][0] == {"key": "road", "name": "road"}
    root = xml(Client().get(f"{BASE}/services/E0404.xml"))
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "E0404"
    smell = root.find("attributes/attribute[code='smell']")
    assert smell.findtext("datatype") == "singlevaluelist"
    assert [v.findtext("key") for v in smell.findall("values/value")] == ["none", "strong"]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_unknown_service_is_404(world, fmt):
    assert_error(Client().get(f"{BASE}/services/NOPE.{fmt}"), 404, fmt)


def test_jurisdiction_id_is_checked(world):
    ok = Client().get(f"{BASE}/services.json", {"jurisdiction_id": world.district.code})
    assert ok.status_code == 200
    empty = Client().get(f"{BASE}/services.json", {"jurisdiction_id": ""})
    assert empty.status_code == 200
    assert "jurisdiction_id" in assert_error(
        Client().get(f"{BASE}/services.json", {"jurisdiction_id": "elsewhere"}), 400
    )


def test_unknown_format_is_not_served(world):
    assert Client().get(f"{BASE}/services.html").status_code == 404
    assert Client().get(f"{BASE}/services.json/").status_code == 404


# --- POST requests ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_goes_through_the_same_intake(world, key, fmt):
    response = post(body(world, key, **{"attribute[where][]": ["road", "sidewalk"]}), fmt)
    assert response.status_code == 200, response.content
    if fmt == "json":
        (answer,) = response.json()
        assert set(answer) == {"service_request_id", "service_notice", "account_id"}
        assert answer["account_id"] is None
        code = answer["service_request_id"]
    else:
        root = xml(response)
        assert root.tag == "service_requests"
        code = root.findtext("request/service_request_id")
        assert root.find("request/service_notice") is not None
    case = Case.objects.get(pk=code)
    assert case.channel == Channel.OPEN311 and case.status == CaseStatus.SUBMITTED
    assert case.grid == world.grid
    assert case.reporter_name == "三 张"
    assert "13812345678" not in case.reporter_phone_encrypted
    assert case.extra["attributes"] == {"depth": 12.5, "where": ["road", "sidewalk"]}
    assert case.extra["open311"]["media_url"] == "https://example.org/p.jpg"
    assert case.extra["open311"]["device_id"] == "dev-1"
    assert "zhang@example.com" not in str(case.extra)
    assert [e.action for e in case.timeline.all()] == ["submit"]
    # Routing works on it later, as on any report.
    duty_rule(department=world.drainage, category=case.category)
    case = case_transition(case=case, action="register", actor=Actor.of(world.dispatcher))
    case = case_transition(case=case, action="dispatch", actor=Actor.of(world.dispatcher))
    assert case.department == world.drainage
    use = ApiKeyUse.objects.get()
    assert use.key == key.api_key and use.status == 200 and use.endpoint.startswith("POST")


def test_post_by_address_only(world, key):
    response = post(body(world, key, lat=None, long=None, address_string="花园路 1 号"))
    assert response.status_code == 200, response.content
    case = Case.objects.get(pk=response.json()[0]["service_request_id"])
    assert case.address == "花园路 1 号" and case.area == world.district


def test_post_by_address_id_only(world, key):
    response = post(body(world, key, lat=None, long=None, address_id="A-17"))
    assert response.status_code == 200, response.content
    case = Case.objects.get(pk=response.json()[0]["service_request_id"])
    assert case.extra["open311"]["address_id"] == "A-17"


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, "JPEG")
    return out.getvalue()


def test_post_multipart_with_media_file(world, key, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    data = body(world, key, media_url=None)
    data["media"] = SimpleUploadedFile("p.jpg", _jpeg(), content_type="image/jpeg")
    response = post(data)
    assert response.status_code == 200, response.content
    code = response.json()[0]["service_request_id"]
    photo = CasePhoto.objects.get(case__pk=code)
    assert photo.kind == CasePhoto.Kind.REPORT
    (shown,) = Client().get(f"{BASE}/requests/{code}.json").json()
    # the photo is stored with the case but not published: our photo view needs the
    # tracking code, which is the reporter's credential and never public
    assert shown["media_url"] == ""
    assert photo.case.tracking_code not in str(shown)


@pytest.mark.parametrize(
    ("overrides", "status", "word"),
    [
        ({"service_code": None}, 400, "service_code"),
        ({"service_code": ""}, 400, "service_code"),
        ({"service_code": "NOPE"}, 404, "service_code"),
        ({"lat": None, "long": None}, 400, "lat"),
        ({"lat": "abc"}, 400, "lat"),
        ({"long": "200"}, 400, "long"),
        ({"long": None}, 400, "lat"),
        ({"lat": "10", "long": "10"}, 400, "outside"),
        ({"description": ""}, 400, "description"),
        ({"description": "x" * 4001}, 400, "description"),
        ({"jurisdiction_id": "elsewhere"}, 400, "jurisdiction_id"),
        ({"attribute[depth]": None}, 400, "depth"),
        ({"attribute[depth]": "deep"}, 400, "depth"),
        ({"attribute[since]": "yesterday"}, 400, "since"),
        ({"attribute[smell]": "sweet"}, 400, "smell"),
        ({"attribute[where][]": ["road", "sky"]}, 400, "where"),
        ({"attribute[nope]": "1"}, 400, "nope"),
        ({"phone": "12"}, 400, "phone"),
        ({"api_key": None}, 403, "api_key"),
        ({"api_key": "wrong"}, 403, "api_key"),
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_post_errors(world, key, overrides, status, word, fmt):
    description = assert_error(post(body(world, key, **overrides), fmt), status, fmt)
    assert word in description
    assert not Case.objects.exists()


def test_post_with_every_datatype_answered(world, key):
    data = body(
        world,
        key,
        **{
            "attribute[since]": "2026-11-20T08:00:00+08:00",
            "attribute[note]": "很长的补充",
            "attribute[color]": "黑",
            "attribute[smell]": "strong",
            "jurisdiction_id": world.district.code,
        },
    )
    response = post(data)
    assert response.status_code == 200, response.content
    case = Case.objects.get()
    assert case.extra["attributes"]["smell"] == "strong"


def test_revoked_key_is_refused_and_logged(world, key):
    api_key_revoke(api_key=key.api_key)
    assert_error(post(body(world, key)), 403)
    assert not Case.objects.exists()
    assert ApiKeyUse.objects.get().status == 403


def test_rate_limit_per_key(world, key):
    for _ in range(5):
        assert post(body(world, key)).status_code == 200
    assert "rate limit" in assert_error(post(body(world, key)), 429)
    assert_error(post(body(world, key), "xml"), 429, "xml")
    other = api_key_issue(app_name="Other", rate_limit_per_hour=5)
    assert post(body(world, other)).status_code == 200
    assert ApiKeyUse.objects.filter(key=key.api_key, status=429).count() == 2


def test_key_is_stored_hashed(world, key):
    stored = ApiKey.objects.get(pk=key.api_key.pk)
    assert stored.prefix == key.key[:10]
    assert stored.key_index != key.key and len(stored.key_index) == 64
    assert key.key not in {str(v) for v in stored.__dict__.values()}


def test_malformed_bodies_never_500(world, key):
    client = Client()
    for content_type, payload in [
        ("application/json", b"{"),
        ("multipart/form-data; boundary=x", b"garbage"),
        ("application/x-www-form-urlencoded", b"%%%&&&==="),
    ]:
        response = client.post(f"{BASE}/requests.json", data=payload, content_type=content_type)
        assert response.status_code in (400, 403)
    assert client.put(f"{BASE}/requests.json").status_code == 400


# --- GET requests -------------------------------------------------------------------------


def _submitted(world, key, n=1, **overrides):
    codes = []
    for _ in range(n):
        response = post(body(world, key, **overrides))
        assert response.status_code == 200, response.content
        codes.append(response.json()[0]["service_request_id"])
    return codes


PERSONAL = ("张", "13812345678", "zhang@example.com", "dev-1", "acc-1")


def test_get_requests_in_both_formats_without_personal_data(world, key):
    (code,) = _submitted(world, key)
    case = Case.objects.get(pk=code)
    assert code == str(case.pk) and case.tracking_code not in code
    duty_rule(department=world.drainage, category=case.category)
    case = case_transition(case=case, action="register", actor=Actor.of(world.dispatcher))
    case = case_transition(case=case, action="dispatch", actor=Actor.of(world.dispatcher))
    response = Client().get(f"{BASE}/requests.json")
    assert case.tracking_code not in response.content.decode()  # the reporter's credential
    (item,) = response.json()
    assert set(item) == REQUEST_FIELDS
    assert item["service_request_id"] == code and item["status"] == "open"
    assert item["agency_responsible"] == "排水集团"
    assert item["service_code"] == "E0404"
    assert item["lat"] == world.point[1] and item["long"] == world.point[0]
    assert item["requested_datetime"].endswith("+08:00")
    assert item["expected_datetime"] is not None
    assert "排水集团" in item["status_notes"]
    assert item["media_url"] == "https://example.org/p.jpg"
    text = response.content.decode()
    for personal in (*PERSONAL, world.dispatcher.username):
        assert personal not in text
    root = xml(Client().get(f"{BASE}/requests.xml"))
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert {child.tag for child in request} == REQUEST_FIELDS
    assert request.findtext("status") == "open"
    xml_text = ET.tostring(root, encoding="unicode")
    for personal in PERSONAL:
        assert personal not in xml_text


def test_get_one_request_is_a_list_of_one(world, key):
    (code,) = _submitted(world, key)
    for fmt in ("json", "xml"):
        response = Client().get(f"{BASE}/requests/{code}.{fmt}")
        assert response.status_code == 200
    assert len(Client().get(f"{BASE}/requests/{code}.json").json()) == 1
    root = xml(Client().get(f"{BASE}/requests/{code}.xml"))
    assert root.findtext("request/service_request_id") == code
    assert_error(Client().get(f"{BASE}/requests/NOPE.json"), 404)
    assert_error(Client().get(f"{BASE}/requests/2345678923.xml"), 404, "xml")


def test_get_requests_filters(world, key):
    first, second = _submitted(world, key, n=2)
    old = Case.objects.get(pk=first)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=100))
    get = Client().get

    def ids(**params):
        response = get(f"{BASE}/requests.json", params)
        assert response.status_code == 200, response.content
        return [r["service_request_id"] for r in response.json()]

    assert ids() == [second]  # the 90-day default window
    assert ids(service_request_id=f"{first},{second}") == [second, first]
    assert ids(service_request_id=f"{first}", status="open", service_code="X") == [first]
    assert ids(service_code="E0404") == [second]
    assert ids(service_code="C0101") == []
    assert ids(status="open") == [second]
    assert ids(status="closed") == []
    assert ids(status="open,closed") == [second]
    start = (timezone.now() - timedelta(days=120)).date().isoformat()
    end = (timezone.now() - timedelta(days=50)).isoformat()
    assert ids(start_date=start, end_date=end) == [first]
    assert ids(start_date=(timezone.now() + timedelta(days=1)).isoformat()) == []
    assert ids(start_date="", end_date="", status="") == [second]


def test_closed_requests_say_closed(world, key):
    (code,) = _submitted(world, key)
    case = Case.objects.get(pk=code)
    case_transition(case=case, action="reject", actor=Actor.of(world.dispatcher), reason="重复")
    case.refresh_from_db()
    assert case.status not in (CaseStatus.SUBMITTED,)
    (item,) = Client().get(f"{BASE}/requests.json", {"status": "closed"}).json()
    assert item["status"] == "closed" and item["service_request_id"] == code


@pytest.mark.parametrize(
    "params",
    [
        {"status": "pending"},
        {"start_date": "yesterday"},
        {"end_date": "2026-13-45"},
        {"start_date": "2026-11-20", "end_date": "2026-11-01"},
        {"jurisdiction_id": "elsewhere"},
    ],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_get_requests_errors(world, params, fmt):
    assert_error(Client().get(f"{BASE}/requests.{fmt}", params), 400, fmt)


def test_tokens(world, key):
    (code,) = _submitted(world, key)
    (item,) = Client().get(f"{BASE}/tokens/{code}.json").json()
    assert item == {"service_request_id": code, "token": code}
    root = xml(Client().get(f"{BASE}/tokens/{code}.xml"))
    assert root.findtext("request/service_request_id") == code
    assert_error(Client().get(f"{BASE}/tokens/unknown.json"), 404)
    assert_error(Client().get(f"{BASE}/tokens/unknown.xml"), 404, "xml")


def test_get_requests_query_count(world, key, django_assert_max_num_queries):
    _submitted(world, key, n=3)
    with django_assert_max_num_queries(3):
        assert len(Client().get(f"{BASE}/requests.json").json()) == 3


def test_xml_never_carries_control_characters(world, key):
    (code,) = _submitted(world, key, description="下水道堵了\x01\x02，污水冒出来")
    root = xml(Client().get(f"{BASE}/requests/{code}.xml"))
    assert root.findtext("request/description") == "下水道堵了，污水冒出来"
