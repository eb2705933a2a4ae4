"""Writes to the administrative tree."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
import shapely
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from grassroots.audit.services import audit_record

from .boundaries import (
    BoundaryRecord,
    ImportReport,
    PlannedChange,
    Progress,
    area_km2,
    check_boundaries,
    chunks,
    isclose,
)
from .choices import LEVEL_RANK
from .models import BoundaryGeneration, Unit, UnitBoundary


def unit_path_for(*, code: str, parent: Unit | None) -> tuple[str, int]:
    """Materialised path and depth of a unit with ``code`` under ``parent``."""
    if parent is None:
        return f"/{code}/", 0
    return f"{parent.path}{code}/", parent.depth + 1


def boundary_generation_bump() -> int:
    """Record that boundaries changed, so every process rebuilds its location index.

    Call inside the transaction that changed them; the local index is dropped on commit.
    """
    from .locate import invalidate_index

    updated = BoundaryGeneration.objects.filter(pk=1).update(generation=F("generation") + 1)
    if not updated:
        BoundaryGeneration.objects.create(pk=1, generation=1)
    transaction.on_commit(invalidate_index)
    return BoundaryGeneration.objects.get(pk=1).generation


# --- boundary import ---------------------------------------------------------------------

_UNIT_FIELDS = ("name", "name_en", "level", "parent", "population", "households")
_GEOMETRY_FIELDS = ("area_km2", "centroid_lon", "centroid_lat")


def _remap(path: str, moves: list[tuple[str, str]]) -> str:
    """``path`` after the moves (old prefix → new prefix), the deepest matching first."""
    best: tuple[str, str] | None = None
    for old, new in moves:
        if path.startswith(old) and (best is None or len(old) > len(best[0])):
            best = (old, new)
    return path if best is None else best[1] + path[len(best[0]) :]


def boundaries_import(
    *,
    data: dict | bytes | str,
    source: str,
    actor: Any,
    commit: bool = True,
    valid_from: datetime | None = None,
    replace_subtree: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    """Create or update units and version their boundaries from a GeoJSON file.

    Every problem is collected first (``grassroots.org.boundaries.check_boundaries``); if
    there is any, nothing is written and the report has ``ok`` False. Otherwise, in one
    transaction: new units are created, changed ones updated (moving a unit moves its
    whole subtree's paths), the current boundary of each unit whose polygon changed is
    closed at ``valid_from`` and the new version opened; with ``replace_subtree`` the units
    below the file's top-level parents that the file leaves out have their boundary closed
    (retired; units are never deleted). ``commit=False`` checks and reports what would
    change, writing nothing.
    """
    valid_from = valid_from or timezone.now()
    if not commit:
        return _boundaries_apply(data, source, actor, False, valid_from, replace_subtree, progress)
    with transaction.atomic():
        return _boundaries_apply(data, source, actor, True, valid_from, replace_subtree, progress)


def _boundaries_apply(
    data: dict | bytes | str,
    source: str,
    actor: Any,
    commit: bool,
    valid_from: datetime,
    replace_subtree: bool,
    progress: Progress | None,
) -> ImportReport:
    check = check_boundaries(
        data, replace_subtree=replace_subtree, valid_from=valid_from, progress=progress
    )
    report = ImportReport(source=source, commit=commit, features=len(check.records))
    report.problems = check.problems
    if not check.ok:
        return report

    records = sorted(check.records, key=lambda r: (LEVEL_RANK[r.level], r.index))
    geoms = np.array([r.geometry for r in records], dtype=object)
    areas = area_km2(geoms)
    centroids = shapely.centroid(geoms)
    lons, lats = shapely.get_x(centroids), shapely.get_y(centroids)
    bounds = {
        r.code: [float(v) for v in b] for r, b in zip(records, shapely.bounds(geoms), strict=True)
    }

    units: dict[str, Unit] = dict(check.units)
    paths: dict[str, str] = {}
    moves: list[tuple[str, str]] = []
    creates: dict[int, list[Unit]] = {}
    updates: list[Unit] = []
    update_fields: set[str] = set()
    versions: list[BoundaryRecord] = []
    for i, record in enumerate(records):
        parent = units.get(record.parent_code) if record.parent_code else None
        if parent is None:
            parent_path = ""
        elif record.parent_code in paths:
            parent_path = paths[record.parent_code]  # type: ignore[index]
        else:
            parent_path = _remap(parent.path, moves)
        path = f"{parent_path or '/'}{record.code}/"
        paths[record.code] = path
        values: dict[str, Any] = {
            "name": record.name,
            "level": record.level,
            "parent": parent,
            "path": path,
            "depth": path.count("/") - 2,
            "area_km2": float(areas[i]),
            "centroid_lon": float(lons[i]),
            "centroid_lat": float(lats[i]),
        }
        for key in ("name_en", "population", "households"):
            if getattr(record, key) is not None:
                values[key] = getattr(record, key)
        unit = record.unit
        if unit is None:
            unit = Unit(code=record.code, **values)
            units[record.code] = unit
            creates.setdefault(LEVEL_RANK[record.level], []).append(unit)
            versions.append(record)
            report.created += 1
            report.changes.append(
                PlannedChange("create", record.code, record.name, record.level, new_version=True)
            )
            continue
        changed = []
        for key, value in values.items():
            old = getattr(unit, key)
            if key == "parent":
                same = (old.pk if old else None) == (value.pk if value else None) and (
                    value is None or value.pk is not None
                )
            elif isinstance(value, float):
                same = isclose(old, value)
            else:
                same = old == value
            if not same:
                changed.append(key)
        if "path" in changed and _remap(unit.path, moves) != path:
            moves.append((unit.path, path))
        if record.geometry_changed:
            versions.append(record)
        if not changed and not record.geometry_changed:
            report.unchanged += 1
            continue
        for key in changed:
            setattr(unit, key, values[key])
        updates.append(unit)
        update_fields.update(changed)
        report.updated += 1
        shown = [
            str(getattr(Unit._meta.get_field(k), "verbose_name", k))
            for k in changed
            if k in _UNIT_FIELDS
        ]
        report.changes.append(
            PlannedChange(
                "update",
                record.code,
                record.name,
                record.level,
                fields=tuple(shown),
                new_version=record.geometry_changed,
            )
        )
    report.versions = len(versions)
    report.retired = len(check.retire)
    report.changes += [
        PlannedChange("retire", b.unit.code, b.unit.name, b.unit.level, new_version=False)
        for b in check.retire
    ]
    if not commit:
        return report

    # 1. paths of the subtrees of moved units (units in the file get theirs below)
    if moves:
        condition = Q()
        for old, _new in moves:
            condition |= Q(path__startswith=old)
        in_file = {u.pk for u in updates}
        moved = [u for u in Unit.objects.filter(condition).only("id", "path", "depth")]
        moved = [u for u in moved if u.pk not in in_file]
        for unit in moved:
            unit.path = _remap(unit.path, moves)
            unit.depth = unit.path.count("/") - 2
        Unit.objects.bulk_update(moved, ["path", "depth"], batch_size=500)
    # 2. new units, a level at a time so that parents have ids before their children
    for rank in sorted(creates):
        Unit.objects.bulk_create(creates[rank], batch_size=1000)
    # 3. changed units
    if updates:
        Unit.objects.bulk_update(updates, sorted(update_fields), batch_size=500)
    # 4. boundary versions: close the current ones, then open the new ones
    closing = [r.current.pk for r in versions if r.current is not None]
    closing += [b.pk for b in check.retire]
    for batch in chunks(closing):
        UnitBoundary.objects.filter(pk__in=batch).update(valid_to=valid_from)
    UnitBoundary.objects.bulk_create(
        [
            UnitBoundary(
                unit=units[r.code],
                geometry=r.geojson,
                valid_from=valid_from,
                source=source[:255],
                min_lon=bounds[r.code][0],
                min_lat=bounds[r.code][1],
                max_lon=bounds[r.code][2],
                max_lat=bounds[r.code][3],
            )
            for r in versions
        ],
        batch_size=1000,
    )
    if report.created or report.updated or report.retired:
        boundary_generation_bump()
    # the unit the file hangs under (or its root), when there is one
    tops = {r.parent_code or r.code for r in records if r.parent_code not in paths}
    audit_record(
        actor=actor,
        action="org.boundaries_import",
        target_type="org.unit",
        target_id=tops.pop() if len(tops) == 1 else "",
        reason=source[:255],
        detail={
            **report.counts(),
            "source": source,
            "replace_subtree": replace_subtree,
            "valid_from": valid_from.isoformat(),
        },
    )
    report.written = True
    return report
