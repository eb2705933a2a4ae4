"""Admin: sources with editable trust (never added or deleted there), batches read-only;
the management commands."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from grassroots.registry.choices import ImportStatus
from grassroots.registry.models import ImportBatch, Person, Source, SourceRecord
from tests.org.factories import UserFactory
from tests.registry.factories import ImportBatchFactory, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_client(client):
    user = UserFactory(role="admin", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


def test_source_trust_is_editable_in_admin(admin_client):
    source = Source.objects.get(key="civil_affairs")
    url = reverse("admin:registry_source_change", args=[source.pk])
    assert admin_client.get(reverse("admin:registry_source_changelist")).status_code == 200
    response = admin_client.get(url)
    assert response.status_code == 200
    data = {
        "name": source.name,
        "department": "",
        "trust": "77",
        "field_trust": '{"tag": 95}',
        "description": "",
    }
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content[:2000]
    source.refresh_from_db()
    assert source.trust == 77 and source.field_trust == {"tag": 95}
    assert admin_client.get(reverse("admin:registry_source_add")).status_code == 403


def test_batches_are_read_only(admin_client):
    batch = ImportBatchFactory(status=ImportStatus.DONE)
    assert admin_client.get(reverse("admin:registry_importbatch_changelist")).status_code == 200
    assert (
        admin_client.get(reverse("admin:registry_importbatch_change", args=[batch.pk])).status_code
        == 200
    )
    response = admin_client.post(
        reverse("admin:registry_importbatch_change", args=[batch.pk]), {"original_name": "x"}
    )
    assert response.status_code == 403


def test_recompute_action(admin_client):
    response = admin_client.post(
        reverse("admin:registry_source_changelist"),
        {"action": "recompute_golden", "_selected_action": [Source.objects.first().pk]},
    )
    assert response.status_code == 302


def test_import_and_resolve_commands(tmp_path, monkeypatch):
    import grassroots.registry.linkage as linkage
    from tests.registry.test_resolve import FakeLinker

    monkeypatch.setattr(linkage, "link_people", FakeLinker(), raising=False)
    path = tmp_path / "ss.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["姓名", "证件号码", "手机号", "通讯地址", "参保单位", "更新时间"])
    writer.writerow(
        ["张三", valid_id_number(), "13800001111", "幸福路1号1号楼101", "某公司", "2024-05-01"]
    )
    writer.writerow(["李四", "12345", "13800002222", "幸福路2号", "某公司", "2024-05-01"])
    path.write_bytes(buffer.getvalue().encode("utf-8"))
    out = io.StringIO()
    call_command(
        "registry_import", "social_security", str(path), "--no-progress", "--resolve", stdout=out
    )
    text = out.getvalue()
    assert "1 imported, 1 rejected" in text
    assert (tmp_path / "ss-rejects.csv").exists()
    assert SourceRecord.objects.count() == 1 and Person.objects.count() == 1
    out = io.StringIO()
    call_command("registry_resolve", "--no-progress", stdout=out)
    assert '"people_created": 0' in out.getvalue()
    assert ImportBatch.objects.get().status == ImportStatus.DONE


def test_import_submit_runs_the_job(tmp_path, monkeypatch, django_capture_on_commit_callbacks):
    import grassroots.registry.linkage as linkage
    from grassroots.registry import services
    from tests.registry.test_resolve import FakeLinker

    fake = FakeLinker()
    monkeypatch.setattr(linkage, "link_people", fake, raising=False)
    steward = UserFactory(role="data_steward")
    content = f"姓名,公民身份号码,户籍地址\n张三,{valid_id_number()},幸福路1号1号楼101\n"
    upload = io.BytesIO(content.encode("utf-8"))
    upload.name = "ps.csv"
    with django_capture_on_commit_callbacks(execute=True):
        batch = services.import_submit(source="public_security", user=steward, file=upload)
    batch.refresh_from_db()
    assert batch.status == ImportStatus.DONE and batch.accepted_rows == 1
    assert not batch.file  # the upload is not kept
    assert fake.calls and Person.objects.count() == 1  # resolution followed
