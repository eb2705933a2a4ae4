"""The checks of records against one another: codes, levels and parents in the tree, and
polygons inside their parent, not overlapping their siblings, covering their parent.

No queries: the units and polygons of the database come in from ``validate``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry.base import BaseGeometry

from ..choices import CODE_LENGTH, LEVEL_RANK, UnitLevel
from ..models import Unit
from .geometry import TOLERANCE, area_in_words, where
from .report import LEVEL_BY_LENGTH, BoundaryRecord, Problem, level_label

CHILD_OF_6: dict[str, str] = {
    UnitLevel.PROVINCE: UnitLevel.CITY,
    UnitLevel.CITY: UnitLevel.DISTRICT,
}

# --- codes, levels and parents -----------------------------------------------------------


def _gbt_level(code: str) -> str:
    if code.endswith("0000"):
        return UnitLevel.PROVINCE
    if code.endswith("00"):
        return UnitLevel.CITY
    return UnitLevel.DISTRICT


def resolve_tree(
    records: list[BoundaryRecord], by_code: dict[str, BoundaryRecord], units: dict[str, Unit]
) -> list[Problem]:
    problems: list[Problem] = []
    six: dict[str, str] = {}  # resolved levels of 6-digit codes (memo)

    def level_of(code: str, seen: frozenset[str] = frozenset()) -> str:
        record = by_code.get(code)
        unit = units.get(code)
        if record is None:
            return unit.level if unit else ""
        if record.given_level:
            return record.given_level
        if len(code) in LEVEL_BY_LENGTH:
            return LEVEL_BY_LENGTH[len(code)]
        if len(code) != 6:
            return ""
        if code in six:
            return six[code]
        parent = record.given_parent_code or (unit.parent.code if unit and unit.parent else None)
        level = ""
        if parent and parent not in seen:
            level = CHILD_OF_6.get(level_of(parent, seen | {code}), "")
        level = level or (unit.level if unit else "") or _gbt_level(code)
        six[code] = level
        return level

    for record in records:
        code = record.code
        if not code or record.duplicate:
            continue
        if not code.isdigit():
            problems.append(record.problem(_("编码 %(code)s 应全部为数字。") % {"code": code}))
            continue
        record.level = level_of(code)
        expected = CODE_LENGTH.get(record.level) if record.level else None
        if expected is None:
            problems.append(
                record.problem(
                    _("编码 %(code)s 的长度为 %(n)d 位，应为 6、9、12 或 15 位。")
                    % {"code": code, "n": len(code)}
                )
            )
            continue
        if len(code) != expected:
            problems.append(
                record.problem(
                    _("编码 %(code)s 的长度为 %(n)d 位，%(level)s编码应为 %(expected)d 位。")
                    % {
                        "code": code,
                        "n": len(code),
                        "level": level_label(record.level),
                        "expected": expected,
                    }
                )
            )
            continue
        given = record.given_parent_code
        if len(code) > 6:
            prefix = code[:-3]
            if given is not None and given != prefix:
                problems.append(
                    record.problem(
                        _("编码 %(code)s 不是以上级编码 %(parent)s 开头再加 3 位。")
                        % {"code": code, "parent": given}
                    )
                )
                continue
            record.parent_code = prefix
        elif given is not None:
            record.parent_code = given
        else:
            unit = units.get(code)
            record.parent_code = unit.parent.code if unit and unit.parent else None
        parent_code = record.parent_code
        if parent_code is None:
            continue
        if parent_code not in by_code and parent_code not in units:
            problems.append(
                record.problem(
                    _("上级单元 %(parent)s 不存在（既不在文件中，也不在数据库中）。")
                    % {"parent": parent_code}
                )
            )
            continue
        parent_level = level_of(parent_code)
        if parent_level and LEVEL_RANK[record.level] <= LEVEL_RANK[parent_level]:
            problems.append(
                record.problem(
                    _("层级%(level)s应低于上级 %(parent)s 的层级%(parent_level)s。")
                    % {
                        "level": level_label(record.level),
                        "parent": parent_code,
                        "parent_level": level_label(parent_level),
                    }
                )
            )
    return problems


# --- geometry against the tree -----------------------------------------------------------


@dataclass
class Shape:
    """A polygon taking part in the spatial checks: from the file or the database."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geometry: BaseGeometry
    record: BoundaryRecord | None = None

    def problem(self, message: str) -> Problem:
        if self.record is not None:
            return self.record.problem(message)
        return Problem(message=message, code=self.code, name=self.name, level=self.level)

    def label(self) -> str:
        return _("%(level)s %(code)s（%(name)s）") % {
            "level": level_label(self.level),
            "code": self.code,
            "name": self.name,
        }


def check_inside(pairs: list[tuple[Shape, Shape]], problems: list[Problem]) -> None:
    """Each (child, parent): the child lies within its parent."""
    if not pairs:
        return
    children = np.array([c.geometry for c, _p in pairs], dtype=object)
    parents = np.array([p.geometry for _c, p in pairs], dtype=object)
    shapely.prepare(parents)
    covered = shapely.covers(parents, children)
    for i in np.flatnonzero(~covered):
        child, parent = pairs[i]
        outside = child.geometry.difference(parent.geometry)
        if outside.area <= TOLERANCE * child.geometry.area:
            continue
        values = {"parent": parent.label(), "area": area_in_words(outside), **where(outside)}
        if child.record is not None or parent.record is None:
            message = _("超出上级 %(parent)s 的范围约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(child.problem(message % values))
        else:
            values["child"] = child.label()
            message = _("现有下级单元 %(child)s 超出本边界约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(parent.problem(message % values))


def check_overlaps(shapes: list[Shape], problems: list[Problem]) -> None:
    """Siblings (same parent) do not overlap. One STRtree query for all."""
    if len(shapes) < 2:
        return
    geoms = np.array([s.geometry for s in shapes], dtype=object)
    tree = STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    parent_ids = {code: i for i, code in enumerate({s.parent_code for s in shapes})}
    parent = np.array([parent_ids[s.parent_code] for s in shapes])
    in_file = np.array([s.record is not None for s in shapes])
    keep = (left < right) & (parent[left] == parent[right]) & (in_file[left] | in_file[right])
    left, right = left[keep], right[keep]
    if not len(left):
        return
    # touching neighbours share only an edge: skip the costly intersection for them
    interiors = ~shapely.touches(geoms[left], geoms[right])
    left, right = left[interiors], right[interiors]
    overlaps = shapely.intersection(geoms[left], geoms[right])
    areas = shapely.area(overlaps)
    smaller = np.minimum(shapely.area(geoms[left]), shapely.area(geoms[right]))
    for i in np.flatnonzero(areas > TOLERANCE * smaller):
        a, b = shapes[left[i]], shapes[right[i]]
        if b.record is None or (a.record is not None and a.record.index > b.record.index):
            a, b = b, a  # report on the later record of the file
        values = {"other": a.label(), "area": area_in_words(overlaps[i]), **where(overlaps[i])}
        message = _("与 %(other)s 重叠约 %(area)s（位置约 %(x).6f, %(y).6f）。")
        problems.append(b.problem(message % values))


def check_gaps(
    parents: dict[str, Shape], children: dict[str, list[Shape]], problems: list[Problem]
) -> None:
    """The children of each parent cover it."""
    for code, parent in parents.items():
        kids = children.get(code)
        if not kids:
            continue
        union = shapely.union_all(np.array([k.geometry for k in kids], dtype=object))
        uncovered = parent.geometry.difference(union)
        if uncovered.is_empty:
            continue
        pieces = getattr(uncovered, "geoms", [uncovered])
        limit = TOLERANCE * parent.geometry.area
        for piece in pieces:
            if piece.area <= limit or piece.geom_type != "Polygon":
                continue
            values = {"area": area_in_words(piece), **where(piece)}
            message = _("下级单元未覆盖的空隙约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(parent.problem(message % values))
