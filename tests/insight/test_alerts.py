"""Alert services and pages: scope (404 outside it, 403 for other roles), each action and
its failures, audit rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import h3
import pytest
from django.urls import reverse
from django.utils import timezone

from grassroots.audit.models import AuditEvent
from grassroots.cases.choices import CaseStatus, Channel
from grassroots.core.errors import Conflict, NotFound, PermissionDeniedError, ValidationFailed
from grassroots.insight import alerts
from grassroots.insight.choices import AlertKind, AlertStatus, Severity, TopicStatus
from grassroots.insight.models import Alert, Topic
from grassroots.org.choices import Role

from ..cases.factories import World, category, make_world
from ..org.factories import UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def world() -> World:
    return make_world()


def make_alert(
    unit, *, kind: str = AlertKind.SPIKE, severity: str = Severity.WARNING, **kw
) -> Alert:
    cat = kw.pop("category", None) or category("event", "0404")
    data = {
        "days": 3,
        "observed": 21,
        "expected": 6.0,
        "upper": 13,
        "unit": unit.name,
        "category": cat.name,
        "series": {
            "start": "2026-06-01",
            "observed": [1] * 42,
            "expected": [1.0] * 42,
            "upper": [3] * 42,
        },
    }
    data.update(kw.pop("data", {}))
    fields = {
        "kind": kind,
        "severity": severity,
        "unit": unit,
        "category": cat,
        "window_start": NOW - timedelta(days=3),
        "window_end": NOW,
        "observed": 21,
        "expected": 6.0,
        "message_key": kind,
        "explanation_data": data,
        "dedup_key": f"{kind}:{unit.pk}:{cat.pk}:{Alert.objects.count()}",
        "first_seen": NOW,
        "last_seen": NOW,
    }
    fields.update(kw)
    return Alert.objects.create(**fields)


def act_url(alert: Alert, action: str) -> str:
    return reverse("insight:alert_act", args=[alert.pk, action])


# -- scope and roles -------------------------------------------------------------------


def test_list_shows_only_alerts_in_scope(world: World, client):
    mine = make_alert(world.grid)
    theirs = make_alert(world.other_grid)
    client.force_login(world.community_dispatcher)
    page = client.get(reverse("insight:alerts"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-alert="{mine.pk}"' in html and f'data-alert="{theirs.pk}"' not in html
    assert "第1网格近 3 天收到“下水道堵塞”21 件" in html

    client.force_login(world.leader)  # the district sees both
    html = client.get(reverse("insight:alerts")).content.decode()
    assert f'data-alert="{mine.pk}"' in html and f'data-alert="{theirs.pk}"' in html


def test_filters(world: World, client):
    critical = make_alert(world.grid, severity=Severity.CRITICAL)
    repeat = make_alert(
        world.grid, kind=AlertKind.REPEAT, data={"who": "person", "phone": "138****5678"}
    )
    dismissed = make_alert(world.grid, status=AlertStatus.DISMISSED, status_reason="已知")
    client.force_login(world.leader)

    def shown(**params) -> set[int]:
        page = client.get(reverse("insight:alerts"), params)
        return {row["alert"].pk for row in page.context["rows"]}

    assert shown() == {critical.pk, repeat.pk}  # live ones by default
    ordered = client.get(reverse("insight:alerts")).context["rows"]
    assert [row["alert"].pk for row in ordered] == [critical.pk, repeat.pk]  # gravest first
    assert shown(severity="critical") == {critical.pk}
    assert shown(kind="repeat") == {repeat.pk}
    assert shown(status="dismissed") == {dismissed.pk}
    assert shown(status="all") == {critical.pk, repeat.pk, dismissed.pk}
    assert shown(status="nonsense") == {critical.pk, repeat.pk}


def test_list_query_count_does_not_grow_with_alerts(
    world: World, client, django_assert_max_num_queries
):
    for _ in range(12):
        make_alert(world.grid)
    client.force_login(world.leader)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("insight:alerts")).status_code == 200


def test_other_roles_are_refused_and_anonymous_sent_to_login(world: World, client):
    alert = make_alert(world.grid)
    client.force_login(world.grid_worker)
    assert client.get(reverse("insight:alerts")).status_code == 403
    assert client.get(reverse("insight:alert_detail", args=[alert.pk])).status_code == 403
    assert client.post(act_url(alert, "acknowledge")).status_code == 403
    client.force_login(world.handler)
    assert client.get(reverse("insight:topics")).status_code == 403
    client.logout()
    response = client.get(reverse("insight:alerts"))
    assert response.status_code == 302 and "login" in response["Location"]
    with pytest.raises(PermissionDeniedError):
        alerts.alert_acknowledge(user=world.grid_worker, alert_id=alert.pk)


def test_out_of_scope_alert_is_404_to_see_and_to_act_on(world: World, client):
    alert = make_alert(world.other_grid)
    client.force_login(world.community_dispatcher)
    assert client.get(reverse("insight:alert_detail", args=[alert.pk])).status_code == 404
    for action in ("acknowledge", "dismiss", "to_case", "to_topic"):
        response = client.post(act_url(alert, action), {"reason": "不是问题"})
        assert response.status_code == 404, action
    alert.refresh_from_db()
    assert (
        alert.status == AlertStatus.OPEN
        and not AuditEvent.objects.filter(action__startswith="insight.alert").exists()
    )
    with pytest.raises(NotFound):
        alerts.alert_dismiss(user=world.community_dispatcher, alert_id=alert.pk, reason="不是问题")
    assert client.post(act_url(make_alert(world.grid), "explode")).status_code == 404


def test_detail_page_shows_explanation_chart_and_actions(world: World, client):
    alert = make_alert(world.grid)
    client.force_login(world.community_dispatcher)
    page = client.get(reverse("insight:alert_detail", args=[alert.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="alert-chart"' in html and "echarts.min.js" in html
    assert 'id="alert-chart-data"' in html
    for action in ("acknowledge", "to_case", "to_topic", "dismiss"):
        assert f'data-action="{action}"' in html
    # elderly mode
    session = client.session
    session["elderly_mode"] = True
    session.save()
    assert client.get(reverse("insight:alert_detail", args=[alert.pk])).status_code == 200


# -- acknowledge and dismiss -----------------------------------------------------------


def test_acknowledge(world: World, client):
    alert = make_alert(world.grid)
    client.force_login(world.leader)
    response = client.post(act_url(alert, "acknowledge"), {"note": "已通知排水集团查看"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert alert.acted_by == world.leader and alert.acted_at is not None
    event = AuditEvent.objects.get(action="insight.alert.acknowledge")
    assert event.target_id == str(alert.pk) and event.reason == "已通知排水集团查看"
    again = client.post(act_url(alert, "acknowledge"))
    assert again.status_code == 409
    assert "已经确认过了" in again.content.decode()


def test_dismiss_requires_a_reason(world: World, client):
    alert = make_alert(world.grid)
    client.force_login(world.community_dispatcher)
    response = client.post(act_url(alert, "dismiss"), {"reason": "  "})
    assert response.status_code == 400
    assert "请填写忽略这条预警的原因。" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN
    with pytest.raises(ValidationFailed):
        alerts.alert_dismiss(user=world.community_dispatcher, alert_id=alert.pk, reason="")

    response = client.post(act_url(alert, "dismiss"), {"reason": "管网施工导致，已知情况"})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.DISMISSED
    assert alert.status_reason == "管网施工导致，已知情况"
    assert AuditEvent.objects.get(action="insight.alert.dismiss").reason == alert.status_reason
    # nothing more can be done with it
    assert client.post(act_url(alert, "to_case")).status_code == 409
    with pytest.raises(Conflict):
        alerts.alert_acknowledge(user=world.leader, alert_id=alert.pk)


# -- into a case -------------------------------------------------------------------------


def test_to_case_places_a_cluster_at_its_centre(world: World, client):
    center = h3.latlng_to_cell(world.point[1], world.point[0], 8)
    alert = make_alert(
        world.grid,
        kind=AlertKind.CLUSTER,
        h3_cell=center,
        data={"cells": [center], "center": center},
    )
    client.force_login(world.community_dispatcher)
    response = client.post(act_url(alert, "to_case"), {"note": "请排水集团排查"})
    assert response.status_code == 302
    alert.refresh_from_db()
    case = alert.case
    assert alert.status == AlertStatus.CONVERTED and case is not None
    assert case.channel == Channel.PATROL and case.status == CaseStatus.REGISTERED
    assert case.entered_by == world.community_dispatcher
    assert case.grid == world.grid and case.category_id == alert.category_id
    assert case.description.startswith("【预警转办】") and "请排水集团排查" in case.description
    assert case.extra == {"alert": alert.pk}
    assert (
        AuditEvent.objects.get(action="insight.alert.to_case").detail["case"] == case.tracking_code
    )
    detail = client.get(reverse("insight:alert_detail", args=[alert.pk])).content.decode()
    assert case.tracking_code in detail


def test_to_case_without_a_point_uses_the_area_name_and_another_category(world: World):
    alert = make_alert(world.grid)  # a spike: the grid has no centroid in this world
    other = category("event", "0508")
    case = alerts.alert_to_case(user=world.leader, alert_id=alert.pk, category_id=other.pk)
    assert case.category == other
    assert case.address == world.grid.name


def test_to_case_refuses_a_bad_category(world: World, client):
    alert = make_alert(world.grid)
    client.force_login(world.leader)
    response = client.post(act_url(alert, "to_case"), {"category": "999999"})
    assert response.status_code == 400
    assert "请选择一个有效的问题类别。" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN and alert.case is None


# -- into a monthly topic ----------------------------------------------------------------


def test_to_topic_new_then_attach_another_alert(world: World, client):
    first = make_alert(world.grid)
    second = make_alert(world.grid, dedup_key="other")
    client.force_login(world.leader)
    response = client.post(
        act_url(first, "to_topic"), {"month": "2026-08", "lead_department": world.drainage.pk}
    )
    assert response.status_code == 302
    topic = Topic.objects.get()
    assert topic.title == "第1网格“下水道堵塞”问题"
    assert topic.month.isoformat() == "2026-08-01"
    assert topic.lead_department == world.drainage and topic.unit == world.grid
    assert topic.created_by == world.leader and topic.status == TopicStatus.PROPOSED
    response = client.post(act_url(second, "to_topic"), {"topic": topic.pk})
    assert response.status_code == 302
    assert set(topic.alerts.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert AuditEvent.objects.filter(action="insight.alert.to_topic").count() == 2
    page = client.get(reverse("insight:topics")).content.decode()
    assert f'data-topic="{topic.pk}"' in page


def test_to_topic_refuses_topics_out_of_scope_or_done(world: World):
    foreign = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="河畔社区噪音", unit=world.other_community
    )
    done = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="已完成", unit=world.grid, status=TopicStatus.DONE
    )
    alert = make_alert(world.grid)
    with pytest.raises(NotFound):
        alerts.alert_to_topic(
            user=world.community_dispatcher, alert_id=alert.pk, topic_id=foreign.pk
        )
    with pytest.raises(Conflict):
        alerts.alert_to_topic(user=world.community_dispatcher, alert_id=alert.pk, topic_id=done.pk)
    with pytest.raises(ValidationFailed):
        alerts.alert_to_topic(user=world.community_dispatcher, alert_id=alert.pk, title="长" * 201)
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_topics_page_is_scoped(world: World, client):
    mine = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="花园社区积水", unit=world.community
    )
    theirs = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="河畔社区噪音", unit=world.other_community
    )
    client.force_login(world.community_dispatcher)
    html = client.get(reverse("insight:topics")).content.decode()
    assert f'data-topic="{mine.pk}"' in html and f'data-topic="{theirs.pk}"' not in html


def test_admin_superuser_sees_everything(world: World, client):
    alert = make_alert(world.other_grid)
    root = UserFactory(role=Role.ADMIN, unit=world.community, is_superuser=True)
    client.force_login(root)
    assert client.get(reverse("insight:alert_detail", args=[alert.pk])).status_code == 200


def test_explanations_of_every_kind():
    spike = {
        "unit": "花园社区",
        "category": "下水道堵塞",
        "days": 7,
        "observed": 30,
        "expected": 12.25,
        "upper": 21,
    }
    assert alerts.render_explanation(AlertKind.SPIKE, spike) == (
        "花园社区近 7 天收到“下水道堵塞”30 件，按本区域历史和季节预计约 12.2 件（正常上限 21 件）。"
    )
    assert alerts.render_explanation(AlertKind.SPIKE, {**spike, "left_out": 1}).endswith(
        "（不含已另行预警的 1 个下级区域）"
    )
    assert alerts.render_explanation(
        AlertKind.REPEAT, {"who": "person", "phone": "138****5678", "days": 14, "observed": 3}
    ).endswith("近 14 天反映 3 次。")
    assert "同一地址“幸福路12号”近 14 天被反映 3 次" in alerts.render_explanation(
        AlertKind.REPEAT,
        {
            "who": "address",
            "address": "幸福路12号",
            "days": 14,
            "observed": 3,
            "category": "噪音扰民",
        },
    )
    assert "预计约 2.5 小时后超过阈值 30cm" in alerts.render_explanation(
        AlertKind.SENSOR,
        {
            "reason": "rising",
            "device_name": "积水点",
            "hours_to_threshold": 2.5,
            "threshold": 30.0,
            "measure_unit": "cm",
            "last_value": 25.0,
            "slope_per_hour": 2.0,
        },
    )
    assert "3 次超限立案" in alerts.render_explanation(
        AlertKind.SENSOR,
        {"reason": "recurring", "device_name": "积水点", "excursions": 3, "recur_days": 30},
    )
    assert "相邻 2 个网格单元" in alerts.render_explanation(
        AlertKind.CLUSTER,
        {
            "cells": ["a", "b"],
            "days": 3,
            "observed": 12,
            "expected": 1.2,
            "category": "下水道堵塞",
            "unit": "第1网格",
        },
    )


def test_topic_moves_proposed_adopted_done(world: World, client):
    topic = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="花园社区积水", unit=world.community
    )
    foreign = Topic.objects.create(
        month=datetime(2026, 8, 1).date(), title="河畔社区噪音", unit=world.other_community
    )
    client.force_login(world.community_dispatcher)
    url = reverse("insight:topic_advance", args=[topic.pk])
    assert client.post(url).status_code == 302
    topic.refresh_from_db()
    assert topic.status == TopicStatus.ADOPTED
    client.post(url)
    topic.refresh_from_db()
    assert topic.status == TopicStatus.DONE
    assert AuditEvent.objects.filter(action="insight.topic.advance").count() == 2
    page = client.post(url, follow=True)
    assert "这个每月一题已经完成。" in page.content.decode()
    assert client.post(reverse("insight:topic_advance", args=[foreign.pk])).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == TopicStatus.PROPOSED
    client.force_login(world.grid_worker)
    assert client.post(url).status_code == 403
