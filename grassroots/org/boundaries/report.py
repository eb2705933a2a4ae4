"""What a boundary check and an import find: problems, records, planned changes, reports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from shapely.geometry.base import BaseGeometry

from grassroots.core.errors import ValidationFailed

from ..choices import LEVEL_RANK, UnitLevel
from ..models import Unit, UnitBoundary

LEVEL_BY_LENGTH: dict[int, str] = {
    9: UnitLevel.STREET,
    12: UnitLevel.COMMUNITY,
    15: UnitLevel.GRID,
}

# (stage, done, total): lets a command draw a progress bar.
Progress = Callable[[str, int, int], None]


def level_label(level: str) -> str:
    return str(UnitLevel(level).label) if level in LEVEL_RANK else level


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
            "level": level_label(self.level),
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
