"""The assessment page: scope for every role, ranking, drill-down, export, weights."""

from __future__ import annotations

import io
from datetime import timedelta

import openpyxl
import pytest
from django.urls import reverse

from grassroots.audit.models import AuditEvent
from grassroots.cases.choices import Channel, Rating
from grassroots.insight.models import KpiWeights
from grassroots.insight.services import weights_current
from grassroots.org.choices import Role

from ..cases.factories import make_world
from ..org.factories import UserFactory
from .factories import T0, run_to, step, submit

pytestmark = pytest.mark.django_db

URL = "/insight/assessment/"
MARCH = {"from": "2026-03", "to": "2026-03"}
H = timedelta(hours=1)


@pytest.fixture
def world():
    w = make_world()
    # In world.grid (花园社区): one case closed and rated 满意 on time, one dispatched to
    # sanitation and never signed for. In world.other_grid (河畔社区): one rated 不满意.
    good = step(w, submit(w, at=T0, channel=Channel.PATROL), "dispatch", at=T0 + H)
    run_to(w, good, ["accept", "handle", "verify", "close", "rate"], start=T0 + H)
    step(
        w,
        submit(w, at=T0, channel=Channel.PATROL),
        "dispatch",
        at=T0 + H,
        department=w.sanitation,
    )
    bad = step(w, submit(w, at=T0, other=True, channel=Channel.PATROL), "dispatch", at=T0 + H)
    run_to(
        w,
        bad,
        ["accept", "handle", "verify", "close", "rate"],
        start=T0 + H,
        rate={"rating": Rating.DISSATISFIED},
    )
    return w


def page(client, user, **params):
    client.force_login(user)
    return client.get(URL, {**MARCH, **params})


def names(response):
    return [item["row"].name for item in response.context["rows"]]


def test_district_leader_ranks_streets_communities_grids_and_departments(client, world):
    response = page(client, world.leader)
    assert response.status_code == 200
    assert response.context["table"].level == "street"
    assert names(response) == ["东街道"]
    response = page(client, world.leader, level="community")
    assert names(response) == ["花园社区", "河畔社区"]  # ranked: 85 before 30
    assert [item["row"].rank for item in response.context["rows"]] == [1, 2]
    response = page(client, world.leader, level="grid")
    assert set(names(response)) == {"第1网格", "第2网格"}
    response = page(client, world.leader, level="department")
    rows = {item["row"].name: item["row"] for item in response.context["rows"]}
    assert rows["排水集团"].assessed.received == 2
    assert rows["环卫中心"].assessed.received == 1
    assert rows["环卫中心"].assessed.values["response"] == 0
    body = response.content.decode()
    assert "指标如何计算" in body and "响应率" in body and "综合得分" in body


def test_drill_down_from_street_to_its_communities(client, world):
    response = page(client, world.leader)
    drill = response.context["rows"][0]["drill"]
    assert f"unit={world.street.pk}" in drill and "level=community" in drill
    client.force_login(world.leader)
    response = client.get(URL + drill)
    assert names(response) == ["花园社区", "河畔社区"]
    assert [u.name for u, _link in response.context["trail"]] == ["示范区", "东街道"]


def test_community_leader_never_sees_another_community(client, world):
    leader = UserFactory(role=Role.LEADER, unit=world.community)
    response = page(client, leader)
    assert response.status_code == 200
    assert response.context["table"].level == "grid"
    assert names(response) == ["第1网格"]
    assert "第2网格" not in response.content.decode()
    assert names(page(client, leader, level="community")) == ["花园社区"]
    # a street is above the community: the page falls back to its own grids
    assert names(page(client, leader, level="street")) == ["第1网格"]
    for unit in (world.other_community, world.other_grid, world.street, world.district):
        assert page(client, leader, unit=unit.pk).status_code == 404
    response = page(client, leader, level="department")
    rows = {item["row"].name: item["row"].assessed.received for item in response.context["rows"]}
    assert rows["排水集团"] == 1  # only the case in its own community
    export = client.get(
        reverse("insight:assessment_export"), {**MARCH, "unit": world.other_community.pk}
    )
    assert export.status_code == 404


def test_department_handler_sees_only_their_department(client, world):
    response = page(client, world.other_handler, level="street", unit=world.street.pk)
    assert response.status_code == 200
    assert names(response) == ["环卫中心"]
    assert response.context["rows"][0]["row"].assessed.received == 1
    assert "排水集团" not in response.content.decode()


@pytest.mark.parametrize("role", [Role.GRID_WORKER, Role.OPERATOR, Role.DATA_STEWARD])
def test_roles_without_insight_get_404(client, world, role):
    user = UserFactory(role=role, unit=world.district)
    assert page(client, user).status_code == 404
    assert client.get(reverse("insight:assessment_export"), MARCH).status_code == 404


def test_residents_and_anonymous_are_sent_to_login(client, world):
    assert client.get(URL).status_code == 302
    client.force_login(world.resident)
    assert client.get(URL).status_code == 302


def test_dispatcher_of_a_community_is_scoped_like_its_leader(client, world):
    assert names(page(client, world.other_dispatcher)) == ["第2网格"]
    assert page(client, world.other_dispatcher, unit=world.grid.pk).status_code == 404


def test_sorting_by_a_kpi_keeps_the_rank(client, world):
    response = page(client, world.leader, level="community", sort="composite", dir="asc")
    assert names(response) == ["河畔社区", "花园社区"]
    assert [item["row"].rank for item in response.context["rows"]] == [2, 1]
    response = page(client, world.leader, level="community", sort="name", dir="asc")
    assert names(response) == ["花园社区", "河畔社区"]  # by code


def test_page_reads_rollups_with_few_queries(client, world, django_assert_max_num_queries):
    client.force_login(world.leader)
    with django_assert_max_num_queries(12):
        client.get(URL, {**MARCH, "level": "grid"})


def test_export_opens_and_has_the_rows(client, world):
    client.force_login(world.leader)
    response = client.get(reverse("insight:assessment_export"), {**MARCH, "level": "community"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.values)
    assert rows[0][:3] == ("排名", "名称", "编码")
    assert [r[1] for r in rows[1:]] == ["花园社区", "河畔社区"]
    # 花园: 100 × (0.30 × 1/2 + 0.35 × 1 + 0.35 × 1) = 85; 河畔: 100 × 0.30 × 1 = 30
    assert rows[1][0] == 1 and rows[1][-1] == 85.0
    assert rows[2][-1] == 30.0
    # response rate of 花园社区: both dispatched cases; the sanitation one never signed for
    assert rows[1][5] == 50.0


def test_admin_sets_weights_audited_and_history_kept(client, world):
    admin = UserFactory(role=Role.ADMIN, unit=world.district)
    client.force_login(admin)
    assert "kpi-weights" in client.get(URL, MARCH).content.decode()
    values = {
        "response": "1",
        "resolution": "0",
        "satisfaction": "0",
        "on_time": "0",
        "handling": "0",
        "return_rate": "0",
        "reopen": "0",
        "handling_target_hours": "48",
        "note": "只看响应率",
    }
    response = client.post(reverse("insight:weights"), values)
    assert response.status_code == 302
    current = weights_current()
    assert (current.response, current.satisfaction, current.changed_by) == (1, 0, admin)
    event = AuditEvent.objects.get(action="insight.weights_update")
    assert event.detail["before"]["satisfaction"] == 0.35
    assert event.detail["after"]["response"] == 1
    response = page(client, admin, level="community")
    # composite is now the response rate: 花园 1/2, 河畔 1/1
    assert names(response) == ["河畔社区", "花园社区"]
    # a second change keeps the first as history
    client.post(reverse("insight:weights"), {**values, "response": "0", "satisfaction": "1"})
    assert KpiWeights.objects.count() == 2


def test_weights_refused_for_non_admins_and_bad_values(client, world):
    client.force_login(world.leader)
    assert "kpi-weights" not in client.get(URL, MARCH).content.decode()
    bad = {"response": "1", "handling_target_hours": "72"}
    assert client.post(reverse("insight:weights"), bad).status_code == 404
    admin = UserFactory(role=Role.ADMIN, unit=world.district)
    client.force_login(admin)
    for values in (
        {"response": "-1", "handling_target_hours": "72"},
        {"response": "0", "handling_target_hours": "72"},
        {"response": "abc", "handling_target_hours": "72"},
        {"response": "1", "handling_target_hours": "0"},
    ):
        response = client.post(reverse("insight:weights"), values, follow=True)
        assert response.status_code == 200
        assert next(iter(response.context["messages"])).level_tag == "error"
    assert KpiWeights.objects.count() == 0


def test_page_in_elderly_mode_and_other_languages(client, world, settings):
    from grassroots.core.middleware import ELDERLY_COOKIE

    client.cookies[ELDERLY_COOKIE] = "1"
    body = page(client, world.leader).content.decode()
    assert 'class="elderly"' in body and "assessment-table" in body
    for language in ("en", "zh-hant"):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        response = page(client, world.leader, level="community")
        assert response.status_code == 200
        assert names(response) == ["花园社区", "河畔社区"]


def test_home_page_offers_assessment_to_leaders_not_grid_workers(client, world):
    client.force_login(world.leader)
    assert URL in client.get("/").content.decode()
    client.force_login(world.grid_worker)
    assert URL not in client.get("/").content.decode()
