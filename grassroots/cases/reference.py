"""Reference data shipped with the platform: the category taxonomy and the calendar seed.

The taxonomy (``data/categories.csv``: CJ/T 214-era component and event classes plus
12345 request types, from ../shared/reference) is loaded by a data migration at set-up and
stays editable by administrators; ``cases_load_categories`` reloads it.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

CATEGORIES_CSV = Path(__file__).resolve().parent / "data" / "categories.csv"

# Response (first contact) limits by urgency: emergencies at once, utilities within 2 hours,
# everything else within 2 working hours (online requests are accepted within 2 hours).
RESPONSE_LIMITS: dict[str, tuple[int, str]] = {
    "emergency": (1, "hours"),
    "utility": (2, "hours"),
    "general": (2, "working_hours"),
    "complex": (2, "working_hours"),
}

# A few words residents actually use, to suggest a category from a description.
KEYWORDS: dict[tuple[str, str], str] = {
    ("event", "0404"): "下水道 堵 排水 污水 冒水 返水 积水 drain blocked sewer",
    ("component", "0104"): "雨水箅子 积水 下雨 淹 storm drain grate flooding",
    ("component", "0118"): "路灯 不亮 灯坏 黑 street light dark",
    ("event", "0102"): "垃圾 乱扔 没人收 臭 rubbish garbage",
    ("event", "0508"): "噪音 吵 音响 广场舞 夜市 noise loud",
    ("hotline", "H10"): "噪音 扰民 吵 装修 半夜 noise",
    ("event", "0505"): "乱停车 占道 堵门 车 parking",
    ("event", "0401"): "塌陷 坑 路面 陷 sinkhole pothole",
    ("event", "0402"): "水管 爆 漏水 停水 water pipe burst",
    ("event", "0403"): "燃气 煤气 气味 泄漏 gas leak",
    ("component", "0101"): "井盖 缺失 松动 manhole",
    ("event", "0510"): "烧烤 油烟 barbecue smoke",
    ("event", "0101"): "违建 私搭乱建 搭建 illegal construction",
    ("event", "0302"): "扬尘 灰 工地 dust construction",
    ("event", "0301"): "施工 夜间施工 扰民 construction noise",
    ("hotline", "H02"): "物业 电梯 保安 property management lift",
    ("hotline", "H05"): "欠薪 工资 社保 wages",
}


# Years the calendar is seeded with on a new database; a daily job adds the coming years.
SEED_YEARS = [2025, 2026, 2027]


def holiday_exceptions(years: list[int]) -> dict[date, tuple[bool, str]]:
    """Exceptions to the Monday–Friday week for ``years``, from the ``holidays`` package:
    public holidays on weekdays (not working) and adjusted working days (调休) on weekends."""
    import holidays

    cn = holidays.China(years=years, language="zh_CN")
    rows: dict[date, tuple[bool, str]] = {}
    for day, name in cn.items():
        if day.weekday() < 5:
            rows[day] = (False, str(name))
    for day in getattr(cn, "weekend_workdays", set()):
        if day.year in years:
            rows[day] = (True, "调休上班")
    return rows


def category_rows(path: Path = CATEGORIES_CSV) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8", newline="") as f:
        for raw in csv.DictReader(f):
            response_limit, response_unit = RESPONSE_LIMITS[raw["urgency"]]
            rows.append(
                {
                    "edition": "cjt214",
                    "kind": raw["kind"],
                    "code": raw["code"],
                    "major_code": raw["major_code"],
                    "major_name": raw["major_name_zh"],
                    "name": raw["name_zh"],
                    "name_en": raw["name_en"],
                    "default_department_key": raw["default_department"],
                    "urgency": raw["urgency"],
                    "response_limit": response_limit,
                    "response_unit": response_unit,
                    "resolve_limit": int(raw["resolve_limit"]),
                    "resolve_unit": raw["resolve_unit"],
                    "keywords": KEYWORDS.get((raw["kind"], raw["code"]), ""),
                }
            )
    return rows


def load_categories(category_model: Any, *, update: bool = False) -> tuple[int, int]:
    """Create missing categories (and with ``update`` refresh existing ones) from the CSV.
    Takes the model class so a data migration can pass its historical model."""
    created = updated = 0
    for row in category_rows():
        key = {k: row.pop(k) for k in ("edition", "kind", "code")}
        obj = category_model.objects.filter(**key).first()
        if obj is None:
            category_model.objects.create(**key, **row)
            created += 1
        elif update:
            for name, value in row.items():
                setattr(obj, name, value)
            obj.save()
            updated += 1
    return created, updated


def ensure_reference_data(*, using: str = "default") -> None:
    """Load the taxonomy and seed the calendar when their tables are empty (idempotent)."""
    from django.db import connections
    from django.db.utils import DatabaseError

    from .models import CalendarDay, Category

    try:
        if "cases_category" not in connections[using].introspection.table_names():
            return
        if not Category.objects.using(using).exists():
            load_categories(Category)
        if not CalendarDay.objects.using(using).exists():
            from .calendar import calendar_seed

            calendar_seed(years=SEED_YEARS)
    except DatabaseError:  # a half-migrated database: the data migration will load them
        return
