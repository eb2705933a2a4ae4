"""Write a planned demo tree, its departments and accounts to the database.

A build is recorded as an ``AuditEvent`` (action ``demo.build``) whose detail holds the
scale, seed, root code and account names; that marker tells a later run whether the
database already holds this demo (``--if-missing``) and what ``--force`` may wipe.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.db.models import ProtectedError, Q
from shapely.geometry import mapping
from tqdm import tqdm

from grassroots.audit.models import AuditEvent
from grassroots.audit.services import audit_record
from grassroots.org.models import Department, Unit, UnitBoundary, User
from grassroots.org.services import boundary_generation_bump, unit_path_for

from . import geometry as geo
from .accounts import AccountSpec, password_for, plan_accounts, plan_departments
from .credentials import credentials_from_db, write_credentials
from .plan import Plan, plan_tree
from .scales import get_scale

MARKER_ACTION = "demo.build"
BOUNDARY_SOURCE = "demo"
VALID_FROM = datetime(2025, 1, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
BATCH = 1000


class DemoRefused(Exception):
    """The database holds something the demo build must not overwrite."""


@dataclass
class BuildResult:
    status: str  # "built" or "present"
    scale: str
    seed: int
    root_code: str
    credentials: dict[str, Any]
    credentials_file: Path
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def current_marker() -> AuditEvent | None:
    """The latest demo build whose root unit still exists."""
    for event in AuditEvent.objects.filter(action=MARKER_ACTION).order_by("-at", "-id")[:20]:
        code = (event.detail or {}).get("root_code")
        if code and Unit.objects.filter(code=code, parent__isnull=True).exists():
            return event
    return None


def _bulk(model: type[models.Model], rows: Sequence[Any], desc: str, progress: bool) -> None:
    with tqdm(total=len(rows), desc=desc, unit="row", disable=not progress, leave=False) as bar:
        for start in range(0, len(rows), BATCH):
            batch = rows[start : start + BATCH]
            model.objects.bulk_create(batch, batch_size=BATCH)  # type: ignore[attr-defined]
            bar.update(len(batch))


def _write_units(plan: Plan, progress: bool) -> list[Unit]:
    units: list[Unit | None] = [None] * len(plan.units)
    # parents come before children in the plan, so one pass gives every depth
    depth_of = [0] * len(plan.units)
    for i, planned in enumerate(plan.units):
        depth_of[i] = 0 if planned.parent is None else depth_of[planned.parent] + 1
    levels: dict[int, list[int]] = {}
    for i, depth in enumerate(depth_of):
        levels.setdefault(depth, []).append(i)
    for depth in sorted(levels):
        rows = []
        for i in levels[depth]:
            planned = plan.units[i]
            parent = units[planned.parent] if planned.parent is not None else None
            path, unit_depth = unit_path_for(code=planned.code, parent=parent)
            centre = planned.geometry.centroid
            unit = Unit(
                code=planned.code,
                name=planned.name,
                name_en=planned.name_en,
                level=planned.level,
                parent=parent,
                path=path,
                depth=unit_depth,
                population=planned.population,
                households=planned.households,
                area_km2=round(geo.area_km2(planned.geometry), 6),
                centroid_lon=centre.x,
                centroid_lat=centre.y,
            )
            units[i] = unit
            rows.append(unit)
        _bulk(Unit, rows, f"units (depth {depth})", progress)
    return [u for u in units if u is not None]


def _write_boundaries(plan: Plan, units: list[Unit], progress: bool) -> int:
    rows = []
    for planned, unit in zip(plan.units, units, strict=True):
        minx, miny, maxx, maxy = planned.geometry.bounds
        rows.append(
            UnitBoundary(
                unit=unit,
                geometry=mapping(planned.geometry),
                valid_from=VALID_FROM,
                source=BOUNDARY_SOURCE,
                min_lon=minx,
                min_lat=miny,
                max_lon=maxx,
                max_lat=maxy,
            )
        )
    _bulk(UnitBoundary, rows, "boundaries", progress)
    boundary_generation_bump()
    return len(rows)


def _write_departments(plan: Plan, units: list[Unit]) -> tuple[int, dict[str, Department]]:
    """Every department under every district (the demo district's are the ones staffed)."""
    specs = plan_departments(plan.seed)
    rows, demo = [], {}
    for index in plan.indices("district"):
        for spec in specs:
            department = Department(
                key=spec.key,
                name=spec.name,
                name_en=spec.name_en,
                jurisdiction=units[index],
                phone=spec.phone,
            )
            rows.append(department)
            if index == plan.demo_district:
                demo[spec.key] = department
    Department.objects.bulk_create(rows, batch_size=BATCH)
    return len(rows), demo


def _hash_passwords(seed: int, usernames: Iterable[str]) -> dict[str, str]:
    """Each distinct password hashed once (PBKDF2 costs ~0.5 s a hash)."""
    passwords = {name: password_for(seed=seed, username=name) for name in usernames}
    hashes = {password: make_password(password) for password in set(passwords.values())}
    return {name: hashes[password] for name, password in passwords.items()}


def _write_accounts(
    specs: list[AccountSpec],
    hashes: dict[str, str],
    units: dict[str, Unit],
    departments: dict[str, Department],
) -> int:
    rows = []
    for spec in specs:
        rows.append(
            User(
                username=spec.username,
                password=hashes[spec.username],
                display_name=spec.display_name,
                email=f"{spec.username}@demo.invalid",
                role=spec.role,
                unit=units[spec.unit_code] if spec.unit_code else None,
                department=departments[spec.department_key] if spec.department_key else None,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
                language="zh-hans",
            )
        )
    User.objects.bulk_create(rows)
    return len(rows)


def wipe_demo(marker: AuditEvent) -> int:
    """Delete the demo tree of ``marker``: its case history (cases, timeline, assignments,
    photos, sensors and readings, duty rules), accounts, departments, boundaries, units.

    Other users whose home is in the tree go too, unless they are superusers; rows of
    other apps that still point into the tree stop the wipe (``DemoRefused``).
    """
    detail = marker.detail or {}
    root = Unit.objects.filter(code=detail.get("root_code")).first()
    if root is None:
        return 0
    units = Unit.objects.filter(path__startswith=root.path)
    departments = Department.objects.filter(jurisdiction__in=units)
    try:
        _wipe_cases(units, departments)
        from grassroots.open311.models import ApiKey
        from grassroots.open311.services import DEMO_APP

        ApiKey.objects.filter(app_name=DEMO_APP).delete()
        User.objects.filter(
            Q(username__in=detail.get("usernames", []))
            | (Q(is_superuser=False) & (Q(unit__in=units) | Q(department__in=departments)))
        ).delete()
        departments.delete()
        UnitBoundary.objects.filter(unit__in=units).delete()
        deleted = 0
        for depth in sorted(set(units.values_list("depth", flat=True)), reverse=True):
            deleted += Unit.objects.filter(path__startswith=root.path, depth=depth).delete()[0]
    except ProtectedError as error:
        raise DemoRefused(
            f"other records still refer to the demo tree ({error.args[0]}); reset the database "
            "(delete var/grassroots.sqlite3 and run migrate) to rebuild the demo"
        ) from error
    return deleted


def _wipe_cases(units: models.QuerySet[Unit], departments: models.QuerySet[Department]) -> None:
    """The demo's case history: sensors and readings, timeline, assignments, photos,
    cases (merged ones before the cases they were merged into) and duty rules."""
    from grassroots.cases.models import (
        Case,
        CaseAssignment,
        CasePhoto,
        DutyRule,
        SensorDevice,
        SensorReading,
        TimelineEntry,
    )

    cases = Case.objects.filter(Q(area__in=units) | Q(department__in=departments))
    SensorReading.objects.filter(Q(case__in=cases) | Q(device__open_case__in=cases)).delete()
    by_code = Q(open_case__in=cases)
    for code in units.filter(level="district").values_list("code", flat=True):
        by_code |= Q(device_id__contains=f"-{code}-")  # the demo names its sensors so
    demo_devices = SensorDevice.objects.filter(by_code)
    SensorReading.objects.filter(device__in=demo_devices).delete()
    demo_devices.delete()
    SensorDevice.objects.filter(open_case__in=cases).update(open_case=None)
    for photo in CasePhoto.objects.filter(case__in=cases):
        photo.image.delete(save=False)
        photo.delete()
    TimelineEntry.objects.filter(case__in=cases).delete()
    CaseAssignment.objects.filter(case__in=cases).delete()
    for _ in range(10):  # a chain of merges is at most a few deep
        leaves = cases.filter(merged_into__isnull=False, merged_cases__isnull=True)
        if not leaves.exists():
            break
        Case.objects.filter(pk__in=list(leaves.values_list("pk", flat=True))).delete()
    cases.delete()
    DutyRule.objects.filter(Q(area__in=units) | Q(department__in=departments)).delete()


def _refuse_if_occupied(specs: list[AccountSpec]) -> None:
    tree = Unit.objects.filter(parent__isnull=True).values_list("code", "name").first()
    if tree is not None:
        raise DemoRefused(
            f"the database already holds another administrative tree ({tree[1]} {tree[0]}); "
            "use --force to replace a previous demo, or start from an empty database"
        )
    taken = sorted(
        User.objects.filter(username__in=[s.username for s in specs]).values_list(
            "username", flat=True
        )
    )
    if taken:
        raise DemoRefused(f"demo account names are already taken: {', '.join(taken)}")


def _credentials(detail: dict[str, Any], path: Path | None) -> tuple[dict[str, Any], Path]:
    document = credentials_from_db(
        scale=detail["scale"],
        seed=detail["seed"],
        root_code=detail["root_code"],
        district_code=detail["district_code"],
        usernames=detail["usernames"],
    )
    return document, write_credentials(document, path)


def build_demo(
    *,
    scale: str,
    seed: int,
    force: bool = False,
    progress: bool = False,
    credentials_file: Path | None = None,
) -> BuildResult:
    """Build the demo for ``scale`` and ``seed`` unless the database already holds it
    (then only the credentials file is written again)."""
    started = time.perf_counter()
    get_scale(scale)
    marker = current_marker()
    same = bool(
        marker and marker.detail.get("scale") == scale and marker.detail.get("seed") == seed
    )
    if same and not force:
        assert marker is not None
        document, path = _credentials(marker.detail, credentials_file)
        return BuildResult("present", scale, seed, marker.detail["root_code"], document, path)
    if marker is None and Unit.objects.exists():
        _refuse_if_occupied([])
    if marker is not None and not force:
        old = marker.detail
        raise DemoRefused(
            f"the database holds the demo built with --scale {old.get('scale')} --seed "
            f"{old.get('seed')}; use --force to replace it"
        )

    plan = plan_tree(scale=scale, seed=seed, progress=progress)
    specs = plan_accounts(plan)
    hashes = _hash_passwords(seed, (s.username for s in specs))
    with transaction.atomic():
        if force and marker is not None:
            wipe_demo(marker)
        _refuse_if_occupied(specs)
        units = _write_units(plan, progress)
        boundaries = _write_boundaries(plan, units, progress)
        department_count, departments = _write_departments(plan, units)
        by_code = {u.code: u for u in units}
        accounts = _write_accounts(specs, hashes, by_code, departments)
        detail = {
            "scale": scale,
            "seed": seed,
            "root_code": plan.root.code,
            "district_code": plan.units[plan.demo_district].code,
            "usernames": [s.username for s in specs],
            "fingerprint": plan.fingerprint(),
        }
        audit_record(
            actor=None,
            action=MARKER_ACTION,
            target_type="org.unit",
            target_id=plan.root.code,
            detail=detail,
        )
    document, path = _credentials(detail, credentials_file)
    counts = {
        "units": len(units),
        "grids": len(plan.indices("grid")),
        "boundaries": boundaries,
        "departments": department_count,
        "accounts": accounts,
        "population": plan.root.population,
    }
    return BuildResult(
        "built",
        scale,
        seed,
        plan.root.code,
        document,
        path,
        counts,
        time.perf_counter() - started,
    )
