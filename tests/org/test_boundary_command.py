from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import box

from grassroots.org.models import Unit, UnitBoundary, User

from .test_boundaries import BOWTIE, G11, G12, G22, good_file, with_feature

pytestmark = pytest.mark.django_db


@pytest.fixture
def write(tmp_path):
    def write(data, name="boundaries.geojson"):
        path = tmp_path / name
        path.write_text(json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data)
        return str(path)

    return write


def command(*args):
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue()


def test_dry_run_writes_nothing(write):
    out = command("org_import_boundaries", write(good_file()))
    assert Unit.objects.count() == 0 and UnitBoundary.objects.count() == 0
    assert "新建 8" in out and "dry run" in out
    assert f"新建 网格 {G22}（第4网格）" in out


def test_commit_writes(write):
    out = command("org_import_boundaries", write(good_file()), "--commit")
    assert Unit.objects.count() == 8 and UnitBoundary.objects.count() == 8
    assert "新建 8" in out


def test_problems_are_printed_one_per_line_and_fail(write):
    bad = with_feature(good_file(), G11, geometry=BOWTIE)
    bad = with_feature(bad, G22, population=-5)
    path = write(bad)
    out = StringIO()
    with pytest.raises(CommandError, match="2 个问题"):
        call_command("org_import_boundaries", path, "--commit", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert len(lines) == 2
    assert G11 in lines[0] and "自相交" in lines[0]
    assert G22 in lines[1] and "人口数" in lines[1]
    assert Unit.objects.count() == 0


def test_not_json_fails(write):
    with pytest.raises(CommandError):
        call_command("org_import_boundaries", write("{oops"), stdout=StringIO())


def test_bad_valid_from_and_missing_file_fail(write):
    with pytest.raises(CommandError, match="ISO"):
        call_command("org_import_boundaries", write(good_file()), "--valid-from", "soon")
    with pytest.raises(CommandError, match="无法读取"):
        call_command("org_import_boundaries", "/nonexistent/x.geojson")


def test_replace_subtree_and_valid_from_options(write):
    t0 = timezone.now() - timedelta(days=10)
    command("org_import_boundaries", write(good_file()), "--commit", "--valid-from", t0.isoformat())
    merged = with_feature(good_file(), G11, geometry=box(116.0, 39.0, 116.02, 39.02))
    merged["features"] = [f for f in merged["features"] if f["properties"]["code"] != G12]
    out = command("org_import_boundaries", write(merged), "--commit", "--replace-subtree")
    assert "停用 1" in out
    assert not UnitBoundary.objects.filter(unit__code=G12, valid_to__isnull=True).exists()


def test_export_import_round_trip(write):
    t0 = timezone.now() - timedelta(days=10)
    command("org_import_boundaries", write(good_file()), "--commit", "--valid-from", t0.isoformat())
    moved = with_feature(good_file(), G11, geometry=box(116.0, 39.0, 116.012, 39.02))
    moved = with_feature(moved, G12, geometry=box(116.012, 39.0, 116.02, 39.02))
    command("org_import_boundaries", write(moved), "--commit")

    exported = json.loads(command("org_export_boundaries"))
    assert len(exported["features"]) == 8
    out = command("org_import_boundaries", write(exported, "export.geojson"), "--commit")
    assert "未变 8" in out and "新边界版本 0" in out

    old = json.loads(command("org_export_boundaries", "--at", (t0 + timedelta(days=1)).isoformat()))
    g11 = next(f for f in old["features"] if f["properties"]["code"] == G11)
    assert max(c[0] for c in g11["geometry"]["coordinates"][0]) == 116.01

    sub = json.loads(command("org_export_boundaries", "--root", G11[:12]))
    assert {f["properties"]["code"] for f in sub["features"]} == {G11[:12], G11, G12}
    with pytest.raises(CommandError):
        call_command("org_export_boundaries", "--root", "999999", stdout=StringIO())


def test_progress_bar_for_large_files(write):
    features = [
        {
            "type": "Feature",
            "properties": {"code": f"110199001001{i:03d}", "name": f"网格{i}"},
            "geometry": json.loads(
                json.dumps(box(116 + i * 0.001, 39, 116.001 + i * 0.001, 39.001).__geo_interface__)
            ),
        }
        for i in range(1, 601)
    ]
    err = StringIO()
    with pytest.raises(CommandError):  # the parent community is unknown
        call_command(
            "org_import_boundaries",
            write({"type": "FeatureCollection", "features": features}),
            stdout=StringIO(),
            stderr=err,
        )
    assert "读取要素" in err.getvalue()


# --- the admin page --------------------------------------------------------------------------


def _upload(client, data, button):
    content = data if isinstance(data, bytes) else json.dumps(data).encode()
    return client.post(
        reverse("admin:org_unit_import_boundaries"),
        {"file": SimpleUploadedFile("b.geojson", content), button: "1"},
    )


@pytest.fixture
def superuser():
    return User.objects.create_superuser("root", "root@example.org", "pass-word-123")


def test_admin_shows_every_problem_of_a_bad_file(client, superuser):
    client.force_login(superuser)
    bad = with_feature(good_file(), G11, geometry=BOWTIE)
    bad = with_feature(bad, G22, population=-5)
    response = _upload(client, bad, "_import")
    assert response.status_code == 200
    content = response.content.decode()
    assert "发现 2 个问题" in content
    assert "自相交" in content and "人口数应为非负整数" in content and G22 in content
    assert Unit.objects.count() == 0


def test_admin_check_then_import(client, superuser):
    client.force_login(superuser)
    changelist = client.get(reverse("admin:org_unit_changelist"))
    assert reverse("admin:org_unit_import_boundaries") in changelist.content.decode()
    assert client.get(reverse("admin:org_unit_import_boundaries")).status_code == 200

    checked = _upload(client, good_file(), "_check")
    assert "检查通过" in checked.content.decode() and Unit.objects.count() == 0
    imported = _upload(client, good_file(), "_import")
    assert "已导入" in imported.content.decode()
    assert Unit.objects.count() == 8 and UnitBoundary.objects.count() == 8


def test_admin_refuses_staff_without_permission(client):
    staff = User.objects.create_user("clerk", password="pass-word-123", is_staff=True)
    client.force_login(staff)
    assert _upload(client, good_file(), "_import").status_code == 403
    assert client.get(reverse("admin:org_unit_import_boundaries")).status_code == 403
    assert Unit.objects.count() == 0
    # given the permission to add units, the page opens
    staff.user_permissions.add(Permission.objects.get(codename="add_unit"))
    staff = User.objects.get(pk=staff.pk)
    client.force_login(staff)
    assert client.get(reverse("admin:org_unit_import_boundaries")).status_code == 200


def test_admin_needs_login(client):
    response = client.get(reverse("admin:org_unit_import_boundaries"))
    assert response.status_code == 302 and "login" in response["Location"]
