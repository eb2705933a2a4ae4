"""Case facts and the rollups: the incremental update and the full rebuild.

* :func:`fact_of` — a case's contribution to every measure: a pure function of the ``Case``
  row (and the path of its area). The rules are those of docs/development/kpi-definitions.md.
* :func:`apply_case` — called by the receiver inside the transaction of every case change:
  recompute the fact, and add (new − old) to ``MonthlyStat`` (one row per unit on the area's
  path), ``DailyStat`` and ``CellStat``, each with one ``INSERT … ON CONFLICT DO UPDATE``
  (the same SQL on SQLite and PostgreSQL; atomic against concurrent writers of a key).
* :func:`rebuild` — throw every rollup away and recompute it from the case table, in
  batches, set-based (one pass over the cases, sums in memory, bulk inserts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import h3
from django.db import connection, transaction
from django.utils import timezone

from grassroots.cases.choices import CaseStatus, Rating
from grassroots.cases.models import Case
from grassroots.org.models import Unit

from .models import COUNT_MEASURES, MEASURES, CaseFact, CellStat, DailyStat, MonthlyStat

H3_RESOLUTION = 8
EXCLUDED_STATUSES = frozenset({CaseStatus.MERGED, CaseStatus.NOT_ACCEPTED, CaseStatus.WITHDRAWN})
HANDLED_STATUSES = frozenset(
    {CaseStatus.HANDLED, CaseStatus.VERIFIED, CaseStatus.CLOSED, CaseStatus.RATED}
)
CLOSED_STATUSES = frozenset({CaseStatus.CLOSED, CaseStatus.RATED})
# A change of any of these moves the case to other MonthlyStat rows …
DIMENSIONS = ("month", "channel", "category_id", "area_id", "department_id")
# … and of any of these to other DailyStat/CellStat rows.
RECEIVED_DIMENSIONS = ("received_on", "category_id", "area_id", "h3_cell")
# The Case columns a fact is computed from (the rebuild reads only these).
CASE_COLUMNS = (
    "pk",
    "created_at",
    "channel",
    "category_id",
    "area_id",
    "department_id",
    "status",
    "lon",
    "lat",
    "dispatched_at",
    "responded_at",
    "response_due",
    "handled_at",
    "closed_at",
    "resolve_due",
    "rating",
    "reopen_count",
    "return_count",
)

Fact = dict[str, Any]


def h3_cell_of(lon: float | None, lat: float | None) -> str:
    if lon is None or lat is None:
        return ""
    return str(h3.latlng_to_cell(lat, lon, H3_RESOLUTION))


def fact_of(case: Any, *, area_path: str) -> Fact:
    """The fact of ``case`` (a ``Case`` or any object with its columns): its dimensions and
    its 0/1 contribution to every counter (see docs/development/kpi-definitions.md).

    Merged, not accepted and withdrawn cases count as received volume (``received`` and
    ``excluded``) and contribute nothing to any rate."""
    received_on = timezone.localdate(case.created_at)
    status = case.status
    fact: Fact = {
        "received_on": received_on,
        "month": received_on.replace(day=1),
        "channel": case.channel,
        "category_id": case.category_id,
        "area_id": case.area_id,
        "unit_path": area_path,
        "department_id": case.department_id,
        "h3_cell": h3_cell_of(case.lon, case.lat),
    }
    counts = dict.fromkeys(COUNT_MEASURES, 0)
    counts["received"] = 1
    hours = 0.0
    if status in EXCLUDED_STATUSES:
        counts["excluded"] = 1
        counts[str(status)] = 1
    else:
        dispatched = case.dispatched_at is not None
        if dispatched:
            counts["dispatched"] = 1
            counts["responded_on_time"] = int(
                case.responded_at is not None
                and case.response_due is not None
                and case.responded_at <= case.response_due
            )
            counts["returned"] = int(case.return_count > 0)
            if (
                status in HANDLED_STATUSES
                and case.handled_at is not None
                and case.handled_at >= case.dispatched_at
            ):
                counts["handled"] = 1
                hours = (case.handled_at - case.dispatched_at).total_seconds() / 3600
        if status in CLOSED_STATUSES and case.closed_at is not None:
            counts["closed"] = 1
            counts["closed_on_time"] = int(
                case.resolve_due is not None and case.closed_at <= case.resolve_due
            )
        if case.closed_at is not None:
            counts["ever_closed"] = 1
            counts["reopened"] = int(case.reopen_count > 0)
        rating = case.rating
        if rating:
            counts["rated"] = 1
            counts["satisfied"] = int(rating == Rating.SATISFIED)
            counts["basic"] = int(rating == Rating.BASIC)
            counts["dissatisfied"] = int(rating == Rating.DISSATISFIED)
            counts["solved"] = int(rating != Rating.DISSATISFIED and case.reopen_count == 0)
    fact.update(counts)
    fact["handling_hours"] = hours
    return fact


def _negate(fact: Fact) -> Fact:
    negated = dict(fact)
    for name in MEASURES:
        negated[name] = -fact[name]
    return negated


# --- units on the path of an area --------------------------------------------------------


@dataclass(frozen=True)
class UnitRef:
    id: int
    level: str
    path: str
    parent_id: int | None


def path_prefixes(path: str) -> list[str]:
    """``/a/b/c/`` → ``["/a/", "/a/b/", "/a/b/c/"]``."""
    codes = [code for code in path.split("/") if code]
    return ["/" + "/".join(codes[: i + 1]) + "/" for i in range(len(codes))]


def units_on_path(path: str) -> list[UnitRef]:
    """The unit at ``path`` and every unit above it (one query)."""
    rows = Unit.objects.filter(path__in=path_prefixes(path)).values_list(
        "pk", "level", "path", "parent_id"
    )
    return sorted((UnitRef(*row) for row in rows), key=lambda u: len(u.path))


# --- incremental ------------------------------------------------------------------------


def _as_date(value: Any) -> date:
    return date.fromisoformat(value) if isinstance(value, str) else value  # type: ignore[no-any-return]


@lru_cache(maxsize=4)
def _fact_sql(vendor: str) -> tuple[str, str, str]:
    """SELECT, INSERT and UPDATE of one fact row by case id (portable SQL; the hot path
    of every case change, so the ORM's query building is left out)."""
    qn = connection.ops.quote_name
    meta: Any = CaseFact._meta
    table = qn(meta.db_table)
    columns = [qn(meta.get_field(name).column) for name in FACT_FIELDS]
    key = columns[0]
    select = f"SELECT {', '.join(columns[1:])} FROM {table} WHERE {key} = %s"  # noqa: S608
    insert = (
        f"INSERT INTO {table} ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    update = (
        f"UPDATE {table} SET {', '.join(f'{c} = %s' for c in columns[1:])} "  # noqa: S608
        f"WHERE {key} = %s"
    )
    return select, insert, update


def _read_fact(case_id: int) -> Fact | None:
    select, _insert, _update = _fact_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(select, [case_id])
        row = cursor.fetchone()
    if row is None:
        return None
    fact = dict(zip(FACT_FIELDS[1:], row, strict=True))
    fact["received_on"] = _as_date(fact["received_on"])
    fact["month"] = _as_date(fact["month"])
    for name in ("category", "area", "department"):
        fact[f"{name}_id"] = fact.pop(name)
    return fact


def _fact_values(fact: Fact) -> list[Any]:
    day = connection.ops.adapt_datefield_value
    values: list[Any] = [
        day(fact["received_on"]),
        day(fact["month"]),
        fact["channel"],
        fact["category_id"],
        fact["area_id"],
        fact["unit_path"],
        fact["department_id"],
        fact["h3_cell"],
    ]
    return values + [fact[name] for name in MEASURES]


def _area_path(case: Case, old: Fact | None) -> str:
    if old is not None and old["area_id"] == case.area_id:
        return str(old["unit_path"])
    if Case.area.is_cached(case):  # type: ignore[attr-defined]
        return str(case.area.path)
    return str(Unit.objects.values_list("path", flat=True).get(pk=case.area_id))


@lru_cache(maxsize=4096)
def _chain(area_id: int, path: str) -> tuple[UnitRef, ...]:
    """The units on the path of an area, cached per (area id, path): a unit moved in the
    tree gets a new path, a unit deleted and recreated a new id, so a key never comes back
    with other units (a change of level alone needs ``insight_rebuild``)."""
    return tuple(units_on_path(path))


def forget_units() -> None:
    """Empty the cache of unit chains (a unit was saved or deleted)."""
    _chain.cache_clear()


def apply_case(case: Case) -> bool:
    """Bring ``case``'s fact and every rollup up to date with the case as it is now.
    Must run inside the transaction of the change (the case row is locked by the case
    service, so one case's changes never race). Returns whether anything changed."""
    old = _read_fact(case.pk)
    new = fact_of(case, area_path=_area_path(case, old))
    if old == new:
        return False
    _select, insert, update = _fact_sql(connection.vendor)
    with connection.cursor() as cursor:
        if old is None:
            cursor.execute(insert, [case.pk, *_fact_values(new)])
        else:
            cursor.execute(update, [*_fact_values(new), case.pk])
    _apply_delta(old, new)
    return True


def _apply_delta(old: Fact | None, new: Fact) -> None:
    monthly_same = old is not None and all(old[k] == new[k] for k in DIMENSIONS)
    received_same = old is not None and all(old[k] == new[k] for k in RECEIVED_DIMENSIONS)
    if monthly_same:
        assert old is not None
        _bump_monthly(new, {name: new[name] - old[name] for name in MEASURES})
    else:
        if old is not None:
            _bump_monthly(old, _negate(old), prune=True)
        _bump_monthly(new, {name: new[name] for name in MEASURES})
    if not received_same:
        if old is not None:
            _bump_daily(old, -1)
            _bump_cell(old, -1)
        _bump_daily(new, 1)
        _bump_cell(new, 1)


def _bump_monthly(fact: Fact, delta: Fact, *, prune: bool = False) -> None:
    if not any(delta[name] for name in MEASURES):
        return
    units = _chain(fact["area_id"], fact["unit_path"])
    day = connection.ops.adapt_datefield_value
    department_id = fact["department_id"]
    measures = [delta[name] for name in MEASURES]
    rows = [
        (
            day(fact["month"]),
            unit.id,
            unit.level,
            unit.path,
            unit.parent_id,
            department_id,
            fact["category_id"],
            fact["channel"],
            *measures,
        )
        for unit in sorted(units, key=lambda u: u.id)  # one lock order for every writer
    ]
    _upsert(MonthlyStat, MONTHLY_FIELDS, rows, department_id is None)
    if prune and delta["received"] < 0:
        # A case left this key (dispatched to a department, recategorised): drop the rows
        # no case contributes to any more, as the rebuild would not create them.
        MonthlyStat.objects.filter(
            month=fact["month"],
            department_id=department_id,
            category_id=fact["category_id"],
            channel=fact["channel"],
            unit_id__in=[u.id for u in units],
            received=0,
        ).delete()


def _bump_daily(fact: Fact, sign: int) -> None:
    row = (
        connection.ops.adapt_datefield_value(fact["received_on"]),
        fact["area_id"],
        fact["unit_path"],
        fact["category_id"],
        sign,
    )
    _upsert(DailyStat, DAILY_FIELDS, [row], False)
    if sign < 0:
        DailyStat.objects.filter(
            day=fact["received_on"],
            unit_id=fact["area_id"],
            category_id=fact["category_id"],
            received=0,
        ).delete()


def _bump_cell(fact: Fact, sign: int) -> None:
    if not fact["h3_cell"]:
        return
    row = (
        connection.ops.adapt_datefield_value(fact["month"]),
        fact["h3_cell"],
        fact["area_id"],
        fact["unit_path"],
        fact["category_id"],
        sign,
    )
    _upsert(CellStat, CELL_FIELDS, [row], False)
    if sign < 0:
        CellStat.objects.filter(
            month=fact["month"],
            h3_cell=fact["h3_cell"],
            unit_id=fact["area_id"],
            category_id=fact["category_id"],
            received=0,
        ).delete()


# The upsert: INSERT … ON CONFLICT (the unique key) DO UPDATE SET n = n + excluded.n.
# The same SQL text runs on SQLite (3.24+) and PostgreSQL (9.5+), partial unique indexes
# included (the conflict target repeats the index's WHERE); on PostgreSQL it is atomic
# against concurrent inserts of the same key, so no savepoint or retry is needed.
UPSERT_KEYS: dict[str, tuple[tuple[str, ...], str]] = {
    "monthly": (("month", "unit", "department", "category", "channel"), "IS NOT NULL"),
    "monthly_no_dept": (("month", "unit", "category", "channel"), "IS NULL"),
    "daily": (("day", "unit", "category"), ""),
    "cell": (("month", "h3_cell", "unit", "category"), ""),
}


@lru_cache(maxsize=16)
def _upsert_sql(table_key: str, fields: tuple[str, ...], rows: int, vendor: str) -> str:
    model: Any = {"daily": DailyStat, "cell": CellStat}.get(table_key, MonthlyStat)
    qn = connection.ops.quote_name
    table = qn(model._meta.db_table)

    def column(name: str) -> str:
        return qn(model._meta.get_field(name).column)

    key, predicate = UPSERT_KEYS[table_key]
    added = [name for name in fields if name in MEASURES]
    where = f" WHERE {column('department')} {predicate}" if predicate else ""
    values = ", ".join(["(" + ", ".join(["%s"] * len(fields)) + ")"] * rows)
    updates = ", ".join(
        f"{column(name)} = {table}.{column(name)} + EXCLUDED.{column(name)}" for name in added
    )
    return (
        f"INSERT INTO {table} ({', '.join(column(name) for name in fields)}) "  # noqa: S608
        f"VALUES {values} ON CONFLICT ({', '.join(column(name) for name in key)}){where} "
        f"DO UPDATE SET {updates}"
    )


def _upsert(
    model: Any, fields: tuple[str, ...], rows: list[tuple[Any, ...]], null_dept: bool
) -> None:
    if model is MonthlyStat:
        table_key = "monthly_no_dept" if null_dept else "monthly"
    else:
        table_key = "daily" if model is DailyStat else "cell"
    sql = _upsert_sql(table_key, fields, len(rows), connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])


# --- full rebuild -------------------------------------------------------------------------

REBUILD_BATCH = 20_000
MonthlyKey = tuple[date, int, int | None, int, str]  # month, area, department, category, channel


@dataclass
class RebuildResult:
    cases: int = 0
    monthly_rows: int = 0
    daily_rows: int = 0
    cell_rows: int = 0


def _case_batches(batch: int) -> Iterator[list[tuple[Any, ...]]]:
    """Every case, in primary-key order, ``batch`` rows at a time (keyset pagination)."""
    last = 0
    columns = CASE_COLUMNS
    while True:
        rows = list(Case.objects.filter(pk__gt=last).order_by("pk").values_list(*columns)[:batch])
        if not rows:
            return
        yield rows
        last = rows[-1][0]


@dataclass
class _Row:
    """A Case row read with ``values_list`` (what :func:`fact_of` reads)."""

    pk: int
    created_at: datetime
    channel: str
    category_id: int
    area_id: int
    department_id: int | None
    status: str
    lon: float | None
    lat: float | None
    dispatched_at: datetime | None
    responded_at: datetime | None
    response_due: datetime | None
    handled_at: datetime | None
    closed_at: datetime | None
    resolve_due: datetime | None
    rating: str
    reopen_count: int
    return_count: int


def _lock_for_rebuild() -> None:
    """Keep case changes from writing the rollups while they are rebuilt: they wait and
    then apply their change to the rebuilt figures. SQLite has one writer at a time
    already; PostgreSQL needs the table lock (EXCLUSIVE still lets readers read)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (CaseFact, MonthlyStat, DailyStat, CellStat):
                cursor.execute(f'LOCK TABLE "{model._meta.db_table}" IN EXCLUSIVE MODE')


def rebuild(
    progress: Callable[[int], None] | None = None, *, batch: int = REBUILD_BATCH
) -> RebuildResult:
    """Recompute every fact and rollup from the case table (in one transaction).

    One pass over the cases in primary-key batches: each fact is computed (the same
    :func:`fact_of` the receiver uses) and inserted, and its counters are summed in memory
    per (month, area, department, category, channel); the sums are then rolled up the tree
    and inserted. Rows go in with ``executemany`` of plain tuples (the ORM's per-value
    preparation would cost more than everything else together)."""
    result = RebuildResult()
    forget_units()
    units = {
        pk: UnitRef(pk, level, path, parent_id)
        for pk, level, path, parent_id in Unit.objects.values_list(
            "pk", "level", "path", "parent_id"
        )
    }
    by_path = {u.path: u for u in units.values()}
    size = len(MEASURES)
    monthly: dict[MonthlyKey, list[float]] = defaultdict(lambda: [0] * size)
    daily: dict[tuple[date, int, int], int] = defaultdict(int)
    cells: dict[tuple[date, str, int, int], int] = defaultdict(int)
    day = connection.ops.adapt_datefield_value
    with transaction.atomic():
        _lock_for_rebuild()
        for model in (CaseFact, MonthlyStat, DailyStat, CellStat):
            model.objects.all().delete()
        fact_insert = _inserter(CaseFact, FACT_FIELDS)
        for rows in _case_batches(batch):
            facts = []
            for values in rows:
                row = _Row(*values)
                fact = fact_of(row, area_path=units[row.area_id].path)
                measures = [fact[name] for name in MEASURES]
                facts.append(
                    (
                        row.pk,
                        day(fact["received_on"]),
                        day(fact["month"]),
                        row.channel,
                        row.category_id,
                        row.area_id,
                        fact["unit_path"],
                        row.department_id,
                        fact["h3_cell"],
                        *measures,
                    )
                )
                sums = monthly[
                    (fact["month"], row.area_id, row.department_id, row.category_id, row.channel)
                ]
                for i in range(size):
                    sums[i] += measures[i]
                daily[(fact["received_on"], row.area_id, row.category_id)] += 1
                if fact["h3_cell"]:
                    cells[(fact["month"], fact["h3_cell"], row.area_id, row.category_id)] += 1
            fact_insert(facts)
            result.cases += len(rows)
            if progress is not None:
                progress(len(rows))
        # Roll the area-level sums up to every unit on the area's path.
        chains: dict[int, list[UnitRef]] = {}
        rolled: dict[MonthlyKey, list[float]] = defaultdict(lambda: [0] * size)
        for (month, area_id, department_id, category_id, channel), sums in monthly.items():
            chain = chains.get(area_id)
            if chain is None:
                chain = [by_path[p] for p in path_prefixes(units[area_id].path) if p in by_path]
                chains[area_id] = chain
            for unit in chain:
                target = rolled[(month, unit.id, department_id, category_id, channel)]
                for i in range(size):
                    target[i] += sums[i]
        result.monthly_rows = _insert_all(
            MonthlyStat,
            MONTHLY_FIELDS,
            (
                (
                    day(month),
                    unit_id,
                    units[unit_id].level,
                    units[unit_id].path,
                    units[unit_id].parent_id,
                    department_id,
                    category_id,
                    channel,
                    *sums,
                )
                for (month, unit_id, department_id, category_id, channel), sums in rolled.items()
            ),
        )
        result.daily_rows = _insert_all(
            DailyStat,
            DAILY_FIELDS,
            (
                (day(d), area_id, units[area_id].path, category_id, n)
                for (d, area_id, category_id), n in daily.items()
            ),
        )
        result.cell_rows = _insert_all(
            CellStat,
            CELL_FIELDS,
            (
                (day(month), cell, area_id, units[area_id].path, category_id, n)
                for (month, cell, area_id, category_id), n in cells.items()
            ),
        )
    return result


FACT_FIELDS = (
    "case",
    "received_on",
    "month",
    "channel",
    "category",
    "area",
    "unit_path",
    "department",
    "h3_cell",
    *MEASURES,
)
DAILY_FIELDS = ("day", "unit", "unit_path", "category", "received")
CELL_FIELDS = ("month", "h3_cell", "unit", "unit_path", "category", "received")
MONTHLY_FIELDS = (
    "month",
    "unit",
    "level",
    "unit_path",
    "parent",
    "department",
    "category",
    "channel",
    *MEASURES,
)


def _inserter(model: Any, fields: tuple[str, ...]) -> Callable[[list[tuple[Any, ...]]], None]:
    """``insert(rows)``: one parameterised INSERT run with ``executemany`` (portable SQL;
    every value already in its database form)."""
    qn = connection.ops.quote_name
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in fields)
    marks = ", ".join(["%s"] * len(fields))
    # identifiers come from the model and are quoted; every value is a parameter
    sql = f"INSERT INTO {qn(model._meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608

    def insert(rows: list[tuple[Any, ...]]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)

    return insert


def _insert_all(
    model: Any, fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]], size: int = 10_000
) -> int:
    insert = _inserter(model, fields)
    count = 0
    chunk: list[tuple[Any, ...]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            insert(chunk)
            count += len(chunk)
            chunk = []
    insert(chunk)
    return count + len(chunk)


# --- queue job ------------------------------------------------------------------------------


def _register_task() -> Any:
    from huey.contrib.djhuey import HUEY, db_task

    @db_task(name="insight.rebuild")
    @HUEY.lock_task("insight-rebuild")
    def rebuild_in_queue() -> int:
        """Rebuild every rollup from the case table in the task queue (after an import, a
        boundary change or a demo wipe). Returns the number of cases."""
        return rebuild().cases

    return rebuild_in_queue


rebuild_in_queue = _register_task()
