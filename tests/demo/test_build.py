"""Writing the demo to the database: units, boundaries, departments, accounts, credentials."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.core.management import call_command
from shapely.geometry import shape

from grassroots.audit.models import AuditEvent
from grassroots.demo.generator.accounts import DEPARTMENTS_CSV
from grassroots.demo.generator.plan import plan_tree
from grassroots.demo.services import DemoRefused, demo_build
from grassroots.open311.services import demo_key_for
from grassroots.org.choices import Role
from grassroots.org.locate import invalidate_index, locate_point
from grassroots.org.models import BoundaryGeneration, Department, Unit, UnitBoundary, User
from tests.org.factories import UnitFactory

pytestmark = pytest.mark.django_db


def _tree_hash() -> str:
    digest = hashlib.sha256()
    for code, name, geometry in UnitBoundary.objects.order_by("unit__code").values_list(
        "unit__code", "unit__name", "geometry"
    ):
        digest.update(f"{code}|{name}|{json.dumps(geometry, sort_keys=True)}".encode())
    return digest.hexdigest()


def test_build_writes_the_planned_tree(tmp_path):
    result = demo_build(scale="small", seed=11, credentials_file=tmp_path / "c.json")
    assert result.status == "built"
    plan = plan_tree(scale="small", seed=11)
    units = {u.code: u for u in Unit.objects.all()}
    assert set(units) == {p.code for p in plan.units}
    for planned in plan.units:
        unit = units[planned.code]
        assert unit.level == planned.level and unit.name == planned.name
        assert unit.population == planned.population
        assert unit.households == planned.households
        assert unit.area_km2 > 0 and unit.centroid_lon and unit.centroid_lat
        if planned.parent is None:
            assert unit.parent is None and unit.path == f"/{unit.code}/" and unit.depth == 0
        else:
            parent = units[plan.units[planned.parent].code]
            assert unit.parent_id == parent.id
            assert unit.path == f"{parent.path}{unit.code}/"
            assert unit.depth == parent.depth + 1
        boundary = unit.boundaries.get(valid_to__isnull=True)
        assert boundary.source == "demo"
        assert shape(boundary.geometry).equals_exact(planned.geometry, 0)
        assert (boundary.min_lon, boundary.max_lat) == (
            planned.geometry.bounds[0],
            planned.geometry.bounds[3],
        )
    assert BoundaryGeneration.objects.get(pk=1).generation >= 1
    with open(DEPARTMENTS_CSV, encoding="utf-8") as handle:
        keys = {line.split(",")[0] for line in list(handle)[1:]}
    assert set(Department.objects.values_list("key", flat=True)) == keys
    assert AuditEvent.objects.filter(action="demo.build").count() == 1


def test_an_account_for_every_role_and_the_credentials_file(tmp_path):
    path = tmp_path / "creds.json"
    result = demo_build(scale="small", seed=11, credentials_file=path)
    users = {u.username: u for u in User.objects.select_related("unit", "department")}
    assert {u.role for u in users.values()} == {r.value for r in Role}
    assert users["admin"].is_superuser and users["admin"].is_staff
    assert not users["leader"].is_staff
    assert users["gridworker"].unit.level == "grid"
    assert users["dispatcher_community"].unit.level == "community"
    assert users["dispatcher_street"].unit.level == "street"
    assert users["dispatcher_district"].unit.code == "110199"
    assert users["handler_drainage"].department.key == "drainage"
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document == result.credentials
    assert document["open311_api_key"] == demo_key_for(seed=11)
    assert (path.stat().st_mode & 0o777) == 0o600
    for account in document["accounts"]:
        assert users[account["username"]].check_password(account["password"])
    assert {a["role"] for a in document["accounts"]} == {r.value for r in Role}
    labels = {a["role"]: a["role_label"] for a in document["accounts"]}
    assert labels["grid_worker"] == "网格员"


def test_same_seed_is_left_alone_and_other_seed_needs_force(tmp_path):
    path = tmp_path / "c.json"
    demo_build(scale="small", seed=11, credentials_file=path)
    first = _tree_hash()
    # another part stores the Open311 key in the file; a rerun keeps it
    document = json.loads(path.read_text(encoding="utf-8"))
    document["open311_api_key"] = "key-123"
    path.write_text(json.dumps(document), encoding="utf-8")
    again = demo_build(scale="small", seed=11, credentials_file=path)
    assert again.status == "present"
    assert json.loads(path.read_text(encoding="utf-8"))["open311_api_key"] == "key-123"
    assert AuditEvent.objects.filter(action="demo.build").count() == 1

    with pytest.raises(DemoRefused):
        demo_build(scale="small", seed=12, credentials_file=path)
    demo_build(scale="small", seed=12, force=True, credentials_file=path)
    assert _tree_hash() != first
    assert User.objects.filter(username="admin").count() == 1
    demo_build(scale="small", seed=11, force=True, credentials_file=path)
    assert _tree_hash() == first


def test_a_tree_that_is_not_the_demo_is_never_replaced(tmp_path):
    UnitFactory()
    for force in (False, True):
        with pytest.raises(DemoRefused):
            demo_build(scale="small", seed=11, force=force, credentials_file=tmp_path / "c.json")
    assert Unit.objects.count() == 1


def test_built_grids_resolve_points(tmp_path, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        demo_build(scale="small", seed=11, credentials_file=tmp_path / "c.json")
    invalidate_index()
    grid = Unit.objects.filter(level="grid").order_by("code").first()
    point = shape(grid.boundaries.get().geometry).representative_point()
    located = locate_point(point.x, point.y)
    assert located.grid_id == grid.id
    assert located.unit_id("community") == grid.parent_id


def test_command_prints_the_accounts(settings, tmp_path, capsys):
    settings.VAR_DIR = tmp_path
    call_command("demo_build", "--scale", "small", "--seed", "11", "--no-progress", "--no-history")
    out = capsys.readouterr().out
    assert "built demo (scale small, seed 11)" in out
    assert "gridworker" in out and "handler_drainage" in out
    assert (tmp_path / "demo-credentials.json").exists()
    call_command("demo_build", "--scale", "small", "--seed", "11", "--if-missing", "--no-history")
    assert "already built" in capsys.readouterr().out
