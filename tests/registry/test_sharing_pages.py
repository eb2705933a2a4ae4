"""The data-sharing pages through HTTP: the catalogue, requests (lists, new, detail and its
decisions), revoking, the usage report and its Excel export — each page's data scope and
each refusal from the same setup."""

# ruff: noqa: F811  (the ``world`` fixture is imported from test_sharing_world)
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.test import Client
from openpyxl import load_workbook

from grassroots.registry import sharing
from grassroots.registry.models import AccessRequest, Grant, RequestStatus

from .test_sharing_world import make_grant, today, world  # noqa: F401

pytestmark = pytest.mark.django_db
CATALOGUE = "/registry/sharing/catalogue/"
REQUESTS = "/registry/sharing/requests/"
NEW = "/registry/sharing/requests/new/"
REPORT = "/registry/sharing/report/"


def client_for(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def new_request(world, user=None, **overrides):
    data = {
        "dataset": "person",
        "fields": ["name", "id_number"],
        "purpose": "低保复核：核对救助对象的居住情况",
        "scenario": "社会救助",
        "legal_basis": "《社会救助暂行办法》第十一条",
        "valid_from": today().isoformat(),
        "valid_until": (today() + timedelta(days=60)).isoformat(),
    }
    data.update(overrides)
    return client_for(user or world.handler).post(NEW, data)


def page_text(response) -> str:
    return response.content.decode()


# --- the catalogue --------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["handler", "steward", "grid_worker", "dispatcher", "leader"])
def test_every_staff_member_reads_the_catalogue(world, who):
    response = client_for(getattr(world, who)).get(CATALOGUE)
    assert response.status_code == 200
    text = page_text(response)
    for words in ("实有人口", "实有房屋", "实有单位", "部件", "部门原始记录", "不予共享"):
        assert words in text
    assert 'data-field="id_number"' in text and "敏感个人信息" in text
    assert "重要数据" in text and "有条件共享" in text
    assert "个人信息保护法" in text
    assert "公安户籍" in text or "public_security" in text


def test_catalogue_refuses_residents_and_strangers(world):
    assert client_for(world.resident).get(CATALOGUE).status_code == 403
    anonymous = client_for(None).get(CATALOGUE)
    assert anonymous.status_code == 302 and "/accounts/login" in anonymous["Location"]


def test_catalogue_offers_requests_to_department_handlers_only(world):
    assert NEW in page_text(client_for(world.handler).get(CATALOGUE))
    assert NEW not in page_text(client_for(world.steward).get(CATALOGUE))


# --- a new request --------------------------------------------------------------------------


def test_handler_submits_a_request(world):
    form = client_for(world.handler).get(NEW, {"dataset": "house"})
    assert form.status_code == 200
    assert 'name="dataset" value="house"' in page_text(form)
    assert 'value="owner_name"' in page_text(form)
    response = new_request(world, full_fields=["id_number"])
    req = AccessRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{REQUESTS}{req.pk}/"
    assert req.department == world.civil and req.fields == ["name", "id_number"]
    assert req.full_fields == ["id_number"]
    detail = client_for(world.handler).get(response["Location"])
    assert "待审批" in page_text(detail) and 'id="withdraw"' in page_text(detail)
    assert 'id="approve"' not in page_text(detail)


@pytest.mark.parametrize(
    "overrides, words",
    [
        ({"fields": []}, "请至少选择一个字段"),
        ({"purpose": "看看"}, "至少 10 个字"),
        ({"valid_until": (today() - timedelta(days=1)).isoformat()}, "不能早于开始日期"),
        ({"valid_until": (today() + timedelta(days=400)).isoformat()}, "最长 365 天"),
        ({"fields": ["name", "salary"]}, "salary"),
        ({"dataset": "source_record", "fields": ["name"]}, "不予共享"),
        ({"legal_basis": ""}, "依据"),
    ],
)
def test_refused_request_shows_the_reason_and_keeps_the_input(world, overrides, words):
    response = new_request(world, **overrides)
    assert response.status_code == 400
    text = page_text(response)
    assert words in text and 'id="form-error"' in text
    if overrides.get("purpose") != "看看":
        assert "低保复核：核对救助对象的居住情况" in text
    assert not AccessRequest.objects.exists()


@pytest.mark.parametrize("who", ["steward", "admin", "leader", "grid_worker"])
def test_only_handlers_open_the_request_form(world, who):
    assert client_for(getattr(world, who)).get(NEW).status_code == 403
    assert new_request(world, user=getattr(world, who)).status_code == 403
    assert not AccessRequest.objects.exists()


# --- lists and their scope ------------------------------------------------------------------


def test_lists_by_role_and_scope(world):
    new_request(world)
    new_request(world, user=world.health_handler)
    new_request(world, user=world.far_handler)
    mine, theirs, far = AccessRequest.objects.order_by("pk")

    def listed(user, tab=""):
        text = page_text(client_for(user).get(REQUESTS, {"tab": tab} if tab else {}))
        return {r.pk for r in (mine, theirs, far) if f'data-request="{r.pk}"' in text}

    assert listed(world.handler) == {mine.pk}
    assert listed(world.handler, "all") == {mine.pk}
    assert listed(world.health_handler) == {theirs.pk}
    assert listed(world.steward, "approve") == {mine.pk, theirs.pk}
    assert listed(world.leader) == {mine.pk, theirs.pk}
    assert listed(world.far_steward, "approve") == {far.pk}
    assert client_for(world.grid_worker).get(REQUESTS).status_code == 403
    assert client_for(world.dispatcher).get(REQUESTS).status_code == 403


def test_grants_tab(world):
    grant = make_grant(world.civil, fields=["name"])
    expired = make_grant(
        world.civil, valid_from=today() - timedelta(days=9), valid_until=today() - timedelta(1)
    )
    other = make_grant(world.far_dept, fields=["name"])
    text = page_text(client_for(world.handler).get(REQUESTS, {"tab": "grants"}))
    assert f'data-grant="{grant.pk}" data-state="active"' in text
    assert f'data-grant="{expired.pk}" data-state="expired"' in text
    assert f'data-grant="{other.pk}"' not in text


# --- one request: detail and decisions ------------------------------------------------------


def test_request_detail_is_404_out_of_scope(world):
    new_request(world)
    req = AccessRequest.objects.get()
    url = f"{REQUESTS}{req.pk}/"
    for who in ("handler", "handler2", "steward", "admin", "leader"):
        assert client_for(getattr(world, who)).get(url).status_code == 200, who
    for who in ("health_handler", "far_steward", "street_steward", "far_handler"):
        assert client_for(getattr(world, who)).get(url).status_code == 404, who
    assert client_for(world.steward).get(f"{REQUESTS}99999/").status_code == 404
    text = page_text(client_for(world.leader).get(url))
    assert 'id="approve"' not in text and 'id="withdraw"' not in text


def test_steward_approves_fewer_fields_and_a_shorter_period(world):
    new_request(world, fields=["name", "id_number", "phone"], full_fields=["id_number"])
    req = AccessRequest.objects.get()
    steward = client_for(world.steward)
    assert 'id="approve"' in page_text(steward.get(f"{REQUESTS}{req.pk}/"))
    until = today() + timedelta(days=20)
    response = steward.post(
        f"{REQUESTS}{req.pk}/approve/",
        {
            "fields": ["name", "id_number"],
            "valid_from": today().isoformat(),
            "valid_until": until.isoformat(),
            "note": "身份证号以脱敏方式提供即可",
        },
    )
    assert response.status_code == 302
    grant = Grant.objects.get()
    assert grant.fields == ["name", "id_number"] and grant.full_fields == []
    assert grant.valid_until == until
    text = page_text(steward.get(response["Location"]))
    assert "已授权" in text and f'data-grant="{grant.pk}" data-state="active"' in text
    assert 'id="revoke-form"' in text
    assert 'id="revoke-form"' not in page_text(client_for(world.handler).get(response["Location"]))


def test_approve_errors_show_on_the_page(world):
    new_request(world)
    req = AccessRequest.objects.get()
    response = client_for(world.steward).post(f"{REQUESTS}{req.pk}/approve/", {"fields": []})
    assert response.status_code == 400
    assert "请至少授权一个字段" in page_text(response)
    response = client_for(world.steward).post(
        f"{REQUESTS}{req.pk}/approve/",
        {"fields": ["name"], "valid_until": (today() + timedelta(days=300)).isoformat()},
    )
    assert response.status_code == 400 and "申请期限" in page_text(response)
    assert not Grant.objects.exists()


def test_refuse_and_conflicts(world):
    new_request(world)
    req = AccessRequest.objects.get()
    steward = client_for(world.steward)
    response = steward.post(f"{REQUESTS}{req.pk}/refuse/", {"reason": ""})
    assert response.status_code == 400 and "拒绝理由" in page_text(response)
    assert (
        steward.post(f"{REQUESTS}{req.pk}/refuse/", {"reason": "已有其他渠道"}).status_code == 302
    )
    req.refresh_from_db()
    assert req.status == RequestStatus.REFUSED
    again = steward.post(f"{REQUESTS}{req.pk}/approve/", {"fields": ["name"]})
    assert again.status_code == 409 and "已拒绝" in page_text(again)


def test_who_may_decide_and_withdraw(world):
    new_request(world)
    req = AccessRequest.objects.get()
    url = f"{REQUESTS}{req.pk}/approve/"
    assert client_for(world.handler).post(url, {"fields": ["name"]}).status_code == 403
    assert client_for(world.leader).post(url, {"fields": ["name"]}).status_code == 403
    assert client_for(world.far_steward).post(url, {"fields": ["name"]}).status_code == 404
    assert client_for(world.grid_worker).post(url, {"fields": ["name"]}).status_code == 403
    withdraw = f"{REQUESTS}{req.pk}/withdraw/"
    assert client_for(world.health_handler).post(withdraw).status_code == 404
    assert client_for(world.steward).post(withdraw).status_code == 403
    assert client_for(world.handler2).post(withdraw).status_code == 302
    req.refresh_from_db()
    assert req.status == RequestStatus.WITHDRAWN
    assert client_for(world.steward).post(f"{REQUESTS}{req.pk}/delete/").status_code == 404
    assert client_for(world.steward).get(url).status_code == 405


def test_revoke_from_the_page(world):
    grant = make_grant(world.civil, fields=["name"])
    url = f"/registry/sharing/grants/{grant.pk}/revoke/"
    assert client_for(world.handler).post(url, {"reason": "x"}).status_code == 403
    assert client_for(world.far_steward).post(url, {"reason": "x"}).status_code == 404
    empty = client_for(world.steward).post(url, {"reason": ""})
    assert empty.status_code == 400 and "撤销理由" in page_text(empty)
    done = client_for(world.steward).post(url, {"reason": "用途已完成"})
    assert done.status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "用途已完成"
    assert client_for(world.steward).post(url, {"reason": "再次"}).status_code == 409


# --- the usage report -----------------------------------------------------------------------


def _reads(world):
    grant = make_grant(world.civil, fields=["name", "phone"])
    reader = sharing.reader_for(user=world.handler, dataset="person")
    sharing.read_rows(reader, list(reader.records))
    far = make_grant(world.far_dept, fields=["name"])
    reader = sharing.reader_for(user=world.far_handler, dataset="person")
    sharing.read_rows(reader, list(reader.records))
    return grant, far


def test_usage_report_page_in_scope(world):
    grant, far = _reads(world)
    response = client_for(world.steward).get(REPORT)
    assert response.status_code == 200
    text = page_text(response)
    assert f'data-department="civil" data-grant="{grant.pk}"' in text
    assert f'data-grant="{far.pk}"' not in text
    assert "姓名 2" in text and "联系电话 2" in text
    assert "姓名、联系电话" in text  # the latest accesses, by field label
    assert response["Cache-Control"] == "no-store"
    far_text = page_text(client_for(world.far_steward).get(REPORT))
    assert f'data-grant="{far.pk}"' in far_text and f'data-grant="{grant.pk}"' not in far_text
    assert f'data-grant="{grant.pk}"' in page_text(client_for(world.handler).get(REPORT))
    assert f'data-grant="{grant.pk}"' not in page_text(client_for(world.health_handler).get(REPORT))
    assert client_for(world.grid_worker).get(REPORT).status_code == 403


def test_usage_report_period_and_bad_period(world):
    _reads(world)
    old = {"from": "2020-01-01", "until": "2020-01-31"}
    assert "这段时间没有读取记录" in page_text(client_for(world.steward).get(REPORT, old))
    bad = client_for(world.steward).get(REPORT, {"from": "2030-01-02", "until": "2030-01-01"})
    assert bad.status_code == 400 and "不能早于开始日期" in page_text(bad)


def test_usage_report_exports_to_excel(world):
    grant, _far = _reads(world)
    response = client_for(world.steward).get(REPORT, {"format": "xlsx"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("部门", "授权编号", "数据集")
    body = [r for r in rows[1:] if r[1] == grant.pk]
    assert {(r[7], r[8]) for r in body} == {("姓名", 2), ("联系电话", 2)}
    assert all(r[0] == "区民政局" and r[3] == 2 and r[4] == 2 for r in body)
    assert not [r for r in rows[1:] if r[0] == "远方区民政局"]


def test_pages_in_other_languages_and_elderly_mode(world):
    make_grant(world.civil, fields=["name"])
    client = client_for(world.steward)
    world.steward.elderly_mode = True
    world.steward.save()
    for url in (CATALOGUE, REQUESTS, REPORT):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 200
        assert 'class="elderly"' in page_text(response)
