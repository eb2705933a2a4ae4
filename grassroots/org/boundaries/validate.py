"""``check_boundaries``: the file checked against itself and the database; writes nothing."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from typing import Any

import shapely
from django.db.models import Q
from django.utils.translation import gettext as _
from shapely.geometry import shape

from ..models import Unit, UnitBoundary
from .checks import Shape, check_gaps, check_inside, check_overlaps, resolve_tree
from .parse import parse_boundaries
from .report import BoundaryCheck, BoundaryRecord, Problem, Progress

CHUNK = 900  # ids per IN (...) query, under SQLite's old variable limit

# --- what the database holds -------------------------------------------------------------


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for batch in chunks(sorted(set(codes))):
        for unit in Unit.objects.filter(code__in=batch).select_related("parent"):
            units[unit.code] = unit
    return units


def _db_problem(unit: Unit) -> Callable[[str], Problem]:
    def make(message: str) -> Problem:
        return Problem(message=message, code=unit.code, name=unit.name, level=unit.level)

    return make


def _current_boundaries(unit_ids: Iterable[int]) -> dict[int, UnitBoundary]:
    found: dict[int, UnitBoundary] = {}
    for batch in chunks(sorted(set(unit_ids))):
        for boundary in UnitBoundary.objects.filter(unit_id__in=batch, valid_to__isnull=True):
            found[boundary.unit_id] = boundary
    return found


def _db_children(
    parent_ids: set[int], exclude_codes: set[str], retired_ids: set[int]
) -> list[Shape]:
    """Current polygons of units under ``parent_ids`` that the file does not mention."""
    wanted: list[int] = []
    for batch in chunks(sorted(parent_ids)):
        ids = Unit.objects.filter(parent_id__in=batch).values_list("id", "code")
        wanted += [i for i, code in ids if code not in exclude_codes and i not in retired_ids]
    shapes = []
    for batch in chunks(wanted):
        rows = UnitBoundary.objects.filter(unit_id__in=batch, valid_to__isnull=True).values_list(
            "unit__code", "unit__name", "unit__level", "unit__parent__code", "geometry"
        )
        for code, name, level, parent_code, geometry in rows:
            geom = shape(geometry)
            if geom.is_valid and not geom.is_empty:
                shapes.append(Shape(code, name, level, parent_code, geom))
    return shapes


def _replace_scope(
    records: list[BoundaryRecord], by_code: dict[str, BoundaryRecord], units: dict[str, Unit]
) -> list[UnitBoundary]:
    """Current boundaries a replace retires: units below the parents of the file's
    top-level records (or below a top-level root itself) that the file leaves out."""
    scopes: set[str] = set()
    keep: set[str] = set(by_code)
    for record in records:
        if record.parent_code in by_code or record.duplicate:
            continue
        if record.parent_code is None:
            unit = units.get(record.code)
            if unit:
                scopes.add(unit.path)
        elif record.parent_code in units:
            parent = units[record.parent_code]
            scopes.add(parent.path)
            keep.update(c for c in parent.path.strip("/").split("/") if c)
    if not scopes:
        return []
    condition = Q()
    for path in scopes:
        condition |= Q(unit__path__startswith=path)
    boundaries = (
        UnitBoundary.objects.filter(condition, valid_to__isnull=True)
        .exclude(unit__path__in=scopes)
        .select_related("unit")
        .defer("geometry")
        .order_by("unit__path")
    )
    return [b for b in boundaries if b.unit.code not in keep]


# --- the whole check ---------------------------------------------------------------------


def check_boundaries(
    data: dict | bytes | str,
    *,
    replace_subtree: bool = False,
    valid_from: datetime | None = None,
    progress: Progress | None = None,
) -> BoundaryCheck:
    """Parse the file and check it against itself and the database; write nothing."""
    records, problems = parse_boundaries(data, progress=progress)
    check = BoundaryCheck(records=records, problems=problems)
    if not records:
        return check
    by_code: dict[str, BoundaryRecord] = {}
    for record in records:
        if not record.code:
            continue
        first = by_code.get(record.code)
        if first is not None:
            record.duplicate = True
            problems.append(
                record.problem(
                    _("编码 %(code)s 与第 %(n)d 个要素重复。")
                    % {"code": record.code, "n": first.index + 1}
                )
            )
        else:
            by_code[record.code] = record
    parent_codes = {r.given_parent_code for r in records if r.given_parent_code}
    parent_codes |= {c[:-3] for c in by_code if len(c) > 6}
    units = _units_by_code(set(by_code) | parent_codes)
    check.units = units
    problems.extend(resolve_tree(records, by_code, units))
    if progress:
        progress(_("检查上下级关系"), 1, 1)

    # the database's view of each record
    current = _current_boundaries(u.id for u in units.values())
    for record in by_code.values():
        record.unit = units.get(record.code)
        if record.unit is not None:
            record.current = current.get(record.unit.id)
        if record.geometry is None:
            continue
        if record.current is None:
            record.geometry_changed = True
        elif record.current.geometry != record.geojson:
            old = shape(record.current.geometry)
            record.geometry_changed = not shapely.equals_exact(
                shapely.normalize(old), shapely.normalize(record.geometry), tolerance=1e-12
            )
    if replace_subtree:
        check.retire = _replace_scope(records, by_code, units)
    if valid_from is not None:
        late: list[tuple[Callable[[str], Problem], UnitBoundary]] = [
            (r.problem, r.current)
            for r in by_code.values()
            if r.geometry_changed and r.current is not None
        ]
        late += [(_db_problem(b.unit), b) for b in check.retire]
        for make, boundary in late:
            if boundary.valid_from >= valid_from:
                problems.append(
                    make(
                        _("新版本的生效时间 %(new)s 不晚于现行边界的生效时间 %(old)s。")
                        % {"new": valid_from.isoformat(), "old": boundary.valid_from.isoformat()}
                    )
                )

    # spatial checks on the records whose geometry and place in the tree are sound
    sound = [r for r in by_code.values() if r.geometry is not None and r.level]
    shapes = {r.code: Shape(r.code, r.name, r.level, r.parent_code, r.geometry, r) for r in sound}
    broken_parents = {r.parent_code for r in records if r.geometry is None and r.parent_code}
    db_parent_codes = {
        r.parent_code for r in sound if r.parent_code and r.parent_code not in by_code
    }
    db_parents = {code: units[code] for code in db_parent_codes if code in units and units[code].id}
    for code, unit in db_parents.items():
        parent_boundary = current.get(unit.id)
        if parent_boundary is not None:
            geom = shape(parent_boundary.geometry)
            if geom.is_valid and not geom.is_empty:
                shapes[code] = Shape(code, unit.name, unit.level, None, geom)
    retired_ids = {b.unit_id for b in check.retire}
    parent_ids = {u.id for u in db_parents.values()} | {
        r.unit.id for r in sound if r.unit is not None
    }
    extra = _db_children(parent_ids, set(by_code), retired_ids)
    if progress:
        progress(_("检查几何关系"), 0, 3)

    pairs = [(shapes[r.code], shapes[r.parent_code]) for r in sound if r.parent_code in shapes]
    pairs += [
        (s, shapes[s.parent_code])
        for s in extra
        if s.parent_code in by_code and s.parent_code in shapes
    ]
    check_inside(pairs, problems)
    if progress:
        progress(_("检查几何关系"), 1, 3)
    siblings = [s for s in [*(shapes[r.code] for r in sound), *extra] if s.parent_code]
    check_overlaps(siblings, problems)
    if progress:
        progress(_("检查几何关系"), 2, 3)
    children: dict[str, list[Shape]] = defaultdict(list)
    for s in siblings:
        children[s.parent_code].append(s)  # type: ignore[index]
    with_file_children = {r.parent_code for r in sound if r.parent_code} - broken_parents
    check_gaps({c: shapes[c] for c in with_file_children if c in shapes}, children, problems)
    if progress:
        progress(_("检查几何关系"), 3, 3)
    check.problems = sorted(problems, key=lambda p: -1 if p.index is None else p.index)
    return check
