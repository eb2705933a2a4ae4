"""Boundary files: parse a GeoJSON FeatureCollection of administrative units and check it.

``check_boundaries`` reads the file and the database and collects *every* problem, each
naming its record (feature number, level, code, name) in words a person can act on. It
writes nothing; ``grassroots.org.services.boundaries_import`` writes only when it finds
none. ``boundaries_export`` writes the same format back, so the two round-trip.

Input format: a FeatureCollection (WGS84 lon/lat) whose features have a Polygon or
MultiPolygon geometry and properties ``code`` and ``name`` (required), ``level``,
``parent_code``, ``name_en``, ``population``, ``households`` (optional).

- ``level`` when absent comes from the code: 9 digits street, 12 community, 15 grid; a
  6-digit code is one level below its parent (province → city → district), or, with no
  parent, by its GB/T 2260 form (``XX0000`` province, ``XXXX00`` city, else district).
- ``parent_code`` when absent is the code less its last 3 digits for street, community and
  grid; a 6-digit unit keeps the parent it has in the database, or is a root when new.

Areas are compared in degrees² relative to the polygons concerned (``TOLERANCE``); areas
shown to people are in m² on an equal-area projection of the sphere.
"""

from __future__ import annotations

import json
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import shapely
from django.db.models import Q
from django.utils.translation import gettext as _
from shapely import STRtree
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.base import BaseGeometry

from grassroots.core.errors import ValidationFailed

from .choices import CODE_LENGTH, LEVEL_RANK, UnitLevel
from .models import Unit, UnitBoundary

# Relative tolerance for "outside", "overlap" and "gap" areas.
TOLERANCE = 1e-6
# Authalic radius of the earth (km): Lambert's cylindrical projection with it is equal-area.
EARTH_RADIUS_KM = 6371.0072
CHUNK = 900  # ids per IN (...) query, under SQLite's old variable limit

LEVEL_BY_LENGTH: dict[int, str] = {
    9: UnitLevel.STREET,
    12: UnitLevel.COMMUNITY,
    15: UnitLevel.GRID,
}
CHILD_OF_6: dict[str, str] = {
    UnitLevel.PROVINCE: UnitLevel.CITY,
    UnitLevel.CITY: UnitLevel.DISTRICT,
}

# (stage, done, total): lets a command draw a progress bar.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record (``index`` is the 0-based feature number; ``None``
    for the file as a whole or for a unit that is only in the database)."""

    message: str
    index: int | None = None
    code: str = ""
    name: str = ""
    level: str = ""

    @property
    def record(self) -> str:
        parts = []
        if self.index is not None:
            parts.append(_("第 %(n)d 个要素") % {"n": self.index + 1})
        elif self.code:
            parts.append(_("数据库中的"))
        label = str(UnitLevel(self.level).label) if self.level in LEVEL_RANK else ""
        if self.code and self.name:
            parts.append(
                _("%(level)s %(code)s（%(name)s）")
                % {"level": label, "code": self.code, "name": self.name}
            )
        elif self.code or self.name:
            parts.append(f"{label} {self.code or self.name}".strip())
        return " ".join(p for p in parts if p) or _("文件")

    def __str__(self) -> str:
        return _("%(record)s：%(problem)s") % {"record": self.record, "problem": self.message}

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "code": self.code,
            "name": self.name,
            "record": self.record,
            "problem": self.message,
        }


@dataclass
class BoundaryRecord:
    """One feature of the file, as understood."""

    index: int
    code: str
    name: str
    level: str = ""  # resolved; "" when it cannot be
    given_level: str = ""
    parent_code: str | None = None  # resolved; None for a root
    given_parent_code: str | None = None
    name_en: str | None = None
    population: int | None = None
    households: int | None = None
    geometry: BaseGeometry | None = None  # None when missing or invalid
    geojson: dict[str, Any] | None = None
    duplicate: bool = False
    # filled from the database
    unit: Unit | None = None
    current: UnitBoundary | None = None
    geometry_changed: bool = False

    def problem(self, message: str) -> Problem:
        level = self.level or self.given_level or LEVEL_BY_LENGTH.get(len(self.code), "")
        return Problem(
            message=message, index=self.index, code=self.code, name=self.name, level=level
        )


@dataclass
class BoundaryCheck:
    """What ``check_boundaries`` found: the records, the problems, and what the database
    holds for them (units by code, units a replace would retire)."""

    records: list[BoundaryRecord] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    units: dict[str, Unit] = field(default_factory=dict)
    retire: list[UnitBoundary] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --- helpers -----------------------------------------------------------------------------


def chunks(items: Iterable[Any], size: int = CHUNK) -> Iterator[list[Any]]:
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _equal_area(coords: np.ndarray) -> np.ndarray:
    lon = np.radians(coords[:, 0])
    lat = np.radians(np.clip(coords[:, 1], -90.0, 90.0))
    return np.column_stack([EARTH_RADIUS_KM * lon, EARTH_RADIUS_KM * np.sin(lat)])


def area_km2(geometries: Any) -> Any:
    """Area in km² of WGS84 geometries (one or an array), on an equal-area projection."""
    return shapely.area(shapely.transform(geometries, _equal_area))


def _m2(geometry: BaseGeometry) -> str:
    """The area of a small WGS84 polygon, in words."""
    km2 = float(area_km2(geometry))
    if km2 >= 1:
        return _("%(n).2f 平方公里") % {"n": km2}
    return _("%(n).1f 平方米") % {"n": km2 * 1e6}


def _where(geometry: BaseGeometry) -> dict[str, float]:
    point = geometry.representative_point()
    return {"x": point.x, "y": point.y}


def _level_label(level: str) -> str:
    return str(UnitLevel(level).label) if level in LEVEL_RANK else level


def geojson_of(geometries: Any) -> list[dict[str, Any]]:
    """GeoJSON dicts (full precision) of an array of geometries."""
    return [json.loads(text) for text in shapely.to_geojson(geometries)]


# --- reading the file ----------------------------------------------------------------------


def _load_features(data: dict | bytes | str) -> tuple[list[Any] | None, list[Problem]]:
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8-sig")
        except UnicodeDecodeError:
            return None, [Problem(_("文件不是 UTF-8 编码的文本。"))]
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except json.JSONDecodeError as exc:
            return None, [
                Problem(
                    _("不是有效的 JSON（第 %(line)d 行第 %(col)d 列：%(error)s）。")
                    % {"line": exc.lineno, "col": exc.colno, "error": exc.msg}
                )
            ]
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        return None, [
            Problem(_("不是 GeoJSON FeatureCollection（顶层 type 应为 FeatureCollection）。"))
        ]
    features = data.get("features")
    if not isinstance(features, list):
        return None, [Problem(_("FeatureCollection 缺少 features 列表。"))]
    if not features:
        return None, [Problem(_("文件中没有任何要素。"))]
    return features, []


def _count(value: Any) -> tuple[int | None, bool]:
    """A non-negative integer figure: (value, ok). Absent is (None, True)."""
    if value is None or value == "":
        return None, True
    if isinstance(value, bool):
        return None, False
    if isinstance(value, int):
        return value, value >= 0
    if isinstance(value, float) and value.is_integer():
        return int(value), value >= 0
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()), True
    return None, False


def _text(value: Any) -> str:
    if value is None or isinstance(value, bool | dict | list):
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _ring(raw: Any, number: int, messages: list[str]) -> np.ndarray | None:
    try:
        arr = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        messages.append(_("第 %(ring)d 个环的坐标不是数字对。") % {"ring": number})
        return None
    if arr.ndim != 2 or arr.shape[1] < 2:
        messages.append(_("第 %(ring)d 个环的坐标格式错误。") % {"ring": number})
        return None
    if len(arr) < 4:
        messages.append(
            _("第 %(ring)d 个环只有 %(n)d 个点，至少需要 4 个（首尾相同）。")
            % {"ring": number, "n": len(arr)}
        )
        return None
    arr = arr[:, :2]
    bad = ~(
        np.isfinite(arr).all(axis=1) & (np.abs(arr[:, 0]) <= 180.0) & (np.abs(arr[:, 1]) <= 90.0)
    )
    if bad.any():
        lon, lat = arr[bad][0]
        messages.append(
            _("坐标超出 WGS84 范围：(%(lon)s, %(lat)s)，共 %(n)d 个点。")
            % {"lon": lon, "lat": lat, "n": int(bad.sum())}
        )
        return None
    return arr


def _polygon(raw: Any, messages: list[str], counter: list[int]) -> Polygon | None:
    if not isinstance(raw, list) or not raw:
        messages.append(_("多边形没有坐标。"))
        return None
    rings = []
    for ring in raw:
        counter[0] += 1
        rings.append(_ring(ring, counter[0], messages))
    if any(r is None for r in rings):
        return None
    return Polygon(rings[0], rings[1:])


def _geometry(raw: Any) -> tuple[BaseGeometry | None, list[str]]:
    """The shapely geometry of a GeoJSON geometry, or the problems that prevent one."""
    if raw is None:
        return None, [_("缺少几何图形（geometry 为空）。")]
    if not isinstance(raw, dict):
        return None, [_("几何图形格式错误。")]
    kind = raw.get("type")
    if kind not in ("Polygon", "MultiPolygon"):
        return None, [_("几何类型应为 Polygon 或 MultiPolygon，实际为 %(type)s。") % {"type": kind}]
    coordinates = raw.get("coordinates")
    if not coordinates:
        return None, [_("几何图形为空（没有坐标）。")]
    messages: list[str] = []
    counter = [0]
    geometry: BaseGeometry | None
    if kind == "Polygon":
        geometry = _polygon(coordinates, messages, counter)
    else:
        if not isinstance(coordinates, list):
            return None, [_("几何图形格式错误。")]
        parts = [_polygon(part, messages, counter) for part in coordinates]
        geometry = None if messages else MultiPolygon(parts)
    if messages:
        return None, messages
    if geometry is None or geometry.is_empty:
        return None, [_("几何图形为空（面积为零）。")]
    return geometry, []


VALIDITY = re.compile(r"^(?P<reason>[^\[]+)\[(?P<x>\S+) (?P<y>\S+)\]")


def _validity_message(reason: str) -> str:
    names = {
        "Self-intersection": _("多边形自相交"),
        "Ring Self-intersection": _("环自相交"),
        "Hole lies outside shell": _("内环位于外环之外"),
        "Nested holes": _("内环相互嵌套"),
        "Interior is disconnected": _("多边形内部不连通"),
        "Nested shells": _("多个外环相互嵌套"),
        "Duplicate Rings": _("环重复"),
        "Too few points": _("点数过少"),
        "Invalid Coordinate": _("坐标无效"),
        "Ring is not closed": _("环未闭合"),
    }
    match = VALIDITY.match(reason)
    if not match:
        return _("多边形无效（%(detail)s）。") % {"detail": reason}
    detail = match["reason"].strip()
    return _("%(problem)s（%(detail)s at %(x)s %(y)s）。") % {
        "problem": names.get(detail, _("多边形无效")),
        "detail": detail,
        "x": match["x"],
        "y": match["y"],
    }


def parse_boundaries(
    data: dict | bytes | str, *, progress: Progress | None = None
) -> tuple[list[BoundaryRecord], list[Problem]]:
    """Records of the file and the problems found in each taken alone (no database)."""
    features, problems = _load_features(data)
    if features is None:
        return [], problems
    records: list[BoundaryRecord] = []
    total = len(features)
    for index, feature in enumerate(features):
        if progress and index % 500 == 0:
            progress(_("读取要素"), index, total)
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            problems.append(Problem(_("不是 GeoJSON Feature。"), index=index))
            continue
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            props = {}
        record = BoundaryRecord(
            index=index, code=_text(props.get("code")), name=_text(props.get("name"))
        )
        records.append(record)
        given_level = _text(props.get("level"))
        record.given_parent_code = _text(props.get("parent_code")) or None
        if given_level and given_level not in LEVEL_RANK:
            problems.append(
                record.problem(
                    _("未知的层级 %(level)s（应为 %(levels)s 之一）。")
                    % {"level": given_level, "levels": ", ".join(LEVEL_RANK)}
                )
            )
        else:
            record.given_level = given_level
        if not record.code:
            problems.append(record.problem(_("缺少编码（code）。")))
        if not record.name:
            problems.append(record.problem(_("缺少名称（name）。")))
        if props.get("name_en") is not None:
            record.name_en = _text(props.get("name_en"))
        for key, label in (("population", _("人口数")), ("households", _("户数"))):
            value, ok = _count(props.get(key))
            if not ok:
                problems.append(
                    record.problem(
                        _("%(field)s应为非负整数，实际为 %(value)s。")
                        % {"field": label, "value": json.dumps(props.get(key), ensure_ascii=False)}
                    )
                )
            setattr(record, key, value)
        geometry, messages = _geometry(feature.get("geometry"))
        problems.extend(record.problem(m) for m in messages)
        record.geometry = geometry
    if progress:
        progress(_("读取要素"), total, total)
    with_geometry = [r for r in records if r.geometry is not None]
    if with_geometry:
        geoms = np.array([r.geometry for r in with_geometry], dtype=object)
        reasons = shapely.is_valid_reason(geoms)
        for record, geom, reason in zip(with_geometry, geoms, reasons, strict=True):
            if reason != "Valid Geometry":
                problems.append(record.problem(_validity_message(str(reason))))
                record.geometry = None
            elif geom.area == 0:
                problems.append(record.problem(_("几何图形为空（面积为零）。")))
                record.geometry = None
        valid = [r for r in with_geometry if r.geometry is not None]
        if valid:
            dicts = geojson_of(np.array([r.geometry for r in valid], dtype=object))
            for record, geojson in zip(valid, dicts, strict=True):
                record.geojson = geojson
    return records, problems


# --- codes, levels and parents -----------------------------------------------------------


def _units_by_code(codes: Iterable[str]) -> dict[str, Unit]:
    units: dict[str, Unit] = {}
    for batch in chunks(sorted(set(codes))):
        for unit in Unit.objects.filter(code__in=batch).select_related("parent"):
            units[unit.code] = unit
    return units


def _gbt_level(code: str) -> str:
    if code.endswith("0000"):
        return UnitLevel.PROVINCE
    if code.endswith("00"):
        return UnitLevel.CITY
    return UnitLevel.DISTRICT


def _resolve_tree(
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
                        "level": _level_label(record.level),
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
                        "level": _level_label(record.level),
                        "parent": parent_code,
                        "parent_level": _level_label(parent_level),
                    }
                )
            )
    return problems


# --- geometry against the tree -----------------------------------------------------------


@dataclass
class _Shape:
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
            "level": _level_label(self.level),
            "code": self.code,
            "name": self.name,
        }


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
) -> list[_Shape]:
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
                shapes.append(_Shape(code, name, level, parent_code, geom))
    return shapes


def _check_inside(pairs: list[tuple[_Shape, _Shape]], problems: list[Problem]) -> None:
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
        values = {"parent": parent.label(), "area": _m2(outside), **_where(outside)}
        if child.record is not None or parent.record is None:
            message = _("超出上级 %(parent)s 的范围约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(child.problem(message % values))
        else:
            values["child"] = child.label()
            message = _("现有下级单元 %(child)s 超出本边界约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(parent.problem(message % values))


def _check_overlaps(shapes: list[_Shape], problems: list[Problem]) -> None:
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
        values = {"other": a.label(), "area": _m2(overlaps[i]), **_where(overlaps[i])}
        message = _("与 %(other)s 重叠约 %(area)s（位置约 %(x).6f, %(y).6f）。")
        problems.append(b.problem(message % values))


def _check_gaps(
    parents: dict[str, _Shape], children: dict[str, list[_Shape]], problems: list[Problem]
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
            values = {"area": _m2(piece), **_where(piece)}
            message = _("下级单元未覆盖的空隙约 %(area)s（位置约 %(x).6f, %(y).6f）。")
            problems.append(parent.problem(message % values))


# --- the whole check ---------------------------------------------------------------------


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
    problems.extend(_resolve_tree(records, by_code, units))
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
    shapes = {r.code: _Shape(r.code, r.name, r.level, r.parent_code, r.geometry, r) for r in sound}
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
                shapes[code] = _Shape(code, unit.name, unit.level, None, geom)
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
    _check_inside(pairs, problems)
    if progress:
        progress(_("检查几何关系"), 1, 3)
    siblings = [s for s in [*(shapes[r.code] for r in sound), *extra] if s.parent_code]
    _check_overlaps(siblings, problems)
    if progress:
        progress(_("检查几何关系"), 2, 3)
    children: dict[str, list[_Shape]] = defaultdict(list)
    for s in siblings:
        children[s.parent_code].append(s)  # type: ignore[index]
    with_file_children = {r.parent_code for r in sound if r.parent_code} - broken_parents
    _check_gaps({c: shapes[c] for c in with_file_children if c in shapes}, children, problems)
    if progress:
        progress(_("检查几何关系"), 3, 3)
    check.problems = sorted(problems, key=lambda p: -1 if p.index is None else p.index)
    return check


# --- export ------------------------------------------------------------------------------


def boundaries_export(*, root: Unit | None = None, at: datetime | None = None) -> dict[str, Any]:
    """The boundaries of the tree (or of ``root``'s subtree) current now or valid ``at``,
    as a FeatureCollection that ``boundaries_import`` reads back unchanged."""
    boundaries = UnitBoundary.objects.select_related("unit", "unit__parent")
    if at is None:
        boundaries = boundaries.filter(valid_to__isnull=True)
    else:
        boundaries = boundaries.filter(
            Q(valid_from__lte=at) & (Q(valid_to__isnull=True) | Q(valid_to__gt=at))
        )
    if root is not None:
        boundaries = boundaries.filter(unit__path__startswith=root.path)
    features = []
    for boundary in boundaries.order_by("unit__path").iterator(chunk_size=2000):
        unit = boundary.unit
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": unit.code,
                    "name": unit.name,
                    "level": unit.level,
                    "parent_code": unit.parent.code if unit.parent else None,
                    "name_en": unit.name_en,
                    "population": unit.population,
                    "households": unit.households,
                },
                "geometry": boundary.geometry,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def isclose(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@dataclass(frozen=True)
class PlannedChange:
    """What an import does (or would do) to one unit."""

    action: str  # "create" | "update" | "retire"
    code: str
    name: str
    level: str
    fields: tuple[str, ...] = ()
    new_version: bool = False

    def __str__(self) -> str:
        verbs = {"create": _("新建"), "update": _("更新"), "retire": _("停用边界")}
        text = _("%(action)s %(level)s %(code)s（%(name)s）") % {
            "action": verbs.get(self.action, self.action),
            "level": _level_label(self.level),
            "code": self.code,
            "name": self.name,
        }
        details = list(self.fields)
        if self.new_version and self.action == "update":
            details.append(_("新边界版本"))
        return f"{text}：{', '.join(details)}" if details else text


@dataclass
class ImportReport:
    """The outcome of ``boundaries_import``: every problem, or what changed (or would)."""

    source: str
    commit: bool
    features: int = 0
    problems: list[Problem] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    retired: int = 0
    versions: int = 0  # new boundary versions
    changes: list[PlannedChange] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_for_problems(self) -> None:
        """For callers that answer with an error (an API): ``ValidationFailed`` carrying
        every problem in ``details``."""
        if self.problems:
            raise ValidationFailed(
                _("边界文件有 %(n)d 个问题，未写入任何数据。") % {"n": len(self.problems)},
                field="file",
                details=[
                    {"record": p.record, "problem": p.message, "code": p.code}
                    for p in self.problems
                ],
            )

    def counts(self) -> dict[str, int]:
        return {
            "features": self.features,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "retired": self.retired,
            "versions": self.versions,
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "ok": self.ok,
            "written": self.written,
            **self.counts(),
            "problems": [p.as_dict() for p in self.problems],
        }
