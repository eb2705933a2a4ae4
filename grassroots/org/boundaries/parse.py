"""Reading a boundary file: the FeatureCollection into records, each checked alone.

No database: codes, levels and parents are resolved later (``checks.resolve_tree``).
"""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np
import shapely
from django.utils.translation import gettext as _
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from ..choices import LEVEL_RANK
from .geometry import geojson_of
from .report import BoundaryRecord, Problem, Progress


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
