"""Bulk writes for imports and resolution: plain ``executemany`` statements, and the
one vendor seam (``reserve_ids``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import SourceRecord

# --- bulk updates ------------------------------------------------------------------------------


def fast_update(
    model: Any, objects: Iterable[Any], fields: Iterable[str], *, batch: int = 2000
) -> int:
    """``UPDATE … SET f = %s … WHERE id = %s`` for many rows with ``executemany``.

    Django's ``bulk_update`` builds a ``CASE WHEN`` expression per object and value, which
    costs seconds per thousand rows; this plain parameterised statement (the same SQL on
    SQLite and PostgreSQL) writes the same values at the database's speed. Values are
    prepared by each field (JSON, dates); ``auto_now`` fields get the current time.
    """
    from django.db import connection
    from django.utils import timezone

    opts = model._meta
    columns = [opts.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (
        f"UPDATE {quote(opts.db_table)} SET "  # noqa: S608 - names from the model's metadata
        + ", ".join(f"{quote(c.column)} = %s" for c in columns)
        + f" WHERE {quote(opts.pk.column)} = %s"
    )
    now = timezone.now()
    count = 0
    rows: list[list[Any]] = []

    def flush() -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            rows.clear()

    for obj in objects:
        values = []
        for column in columns:
            if getattr(column, "auto_now", False):
                setattr(obj, column.attname, now)
            values.append(column.get_db_prep_save(getattr(obj, column.attname), connection))
        rows.append([*values, obj.pk])
        count += 1
        if len(rows) >= batch:
            flush()
    flush()
    return count


_PLAIN_TYPES = frozenset(
    {
        "CharField",
        "TextField",
        "SlugField",
        "IntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "BigIntegerField",
        "BooleanField",
        "FloatField",
        "ForeignKey",
    }
)


def reserve_ids(model: Any, count: int) -> list[int]:
    """``count`` fresh primary keys for ``model``, so that rows inserted with
    :func:`fast_insert` (which reads nothing back) can be referred to at once.

    The one database-specific seam of the registry (tested on both): PostgreSQL draws them
    from the table's sequence; SQLite, whose writer holds the database lock for the whole
    transaction (``BEGIN IMMEDIATE``), continues after the highest id ever used
    (``AUTOINCREMENT`` never reuses one).
    """
    from django.db import connection

    if count <= 0:
        return []
    table = model._meta.db_table
    column = model._meta.pk.column
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_get_serial_sequence(%s, %s)", [table, column])
            sequence = cursor.fetchone()[0]
            cursor.execute("SELECT nextval(%s) FROM generate_series(1, %s)", [sequence, count])
            return [int(row[0]) for row in cursor.fetchall()]
        if connection.vendor != "sqlite":
            raise NotImplementedError(connection.vendor)
        quote = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quote(column)}), 0) FROM {quote(table)}")  # noqa: S608
        highest = int(cursor.fetchone()[0])
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
        highest = max(highest, int(row[0]) if row else 0)
    return list(range(highest + 1, highest + 1 + count))


def fast_insert(
    model: Any, objects: Iterable[Any], *, batch: int = 2000, with_pk: bool = False
) -> int:
    """``INSERT`` many unsaved instances with ``executemany`` (ids are not read back).

    For large imports: ``bulk_create`` prepares every value through the query compiler;
    here plain fields pass as they are and only the others (JSON, dates, decimals) are
    prepared by their field. ``auto_now``/``auto_now_add`` fields get the current time.
    """
    from django.db import connection
    from django.utils import timezone

    opts = model._meta
    fields = [f for f in opts.concrete_fields if with_pk or not f.primary_key]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ("  # noqa: S608 - names from the model's metadata
        + ", ".join(quote(f.column) for f in fields)
        + ") VALUES ("
        + ", ".join(["%s"] * len(fields))
        + ")"
    )
    now = timezone.now()
    # how each column gets its value: 0 the primary key, 1 the time, 2 as is, 3 prepared
    modes = []
    for column in fields:
        if column.primary_key:
            modes.append((column, 0))
        elif getattr(column, "auto_now", False) or getattr(column, "auto_now_add", False):
            modes.append((column, 1))
        elif column.get_internal_type() in _PLAIN_TYPES:
            modes.append((column, 2))
        else:
            modes.append((column, 3))
    stamp: Any = None
    for column, mode in modes:
        if mode == 1:
            stamp = column.get_db_prep_save(now, connection)
    rows: list[list[Any]] = []
    count = 0

    def flush() -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
            rows.clear()

    for obj in objects:
        row = []
        for column, mode in modes:
            if mode == 2:
                row.append(getattr(obj, column.attname))
            elif mode == 3:
                row.append(column.get_db_prep_save(getattr(obj, column.attname), connection))
            elif mode == 1:
                setattr(obj, column.attname, now)
                row.append(stamp)
            else:
                row.append(obj.pk)
        rows.append(row)
        count += 1
        if len(rows) >= batch:
            flush()
    flush()
    return count


def new_row(model: Any, **values: Any) -> Any:
    """An unsaved row of ``model`` as a plain namespace with every column's default: what
    bulk writes build instead of model instances (an instance costs more than validating
    the row) and :func:`fast_insert` writes."""
    from types import SimpleNamespace

    defaults = _DEFAULTS.get(model)
    if defaults is None:
        defaults = _DEFAULTS[model] = {
            f.attname: (None if f.null and not f.has_default() else f.get_default())
            for f in model._meta.concrete_fields
            if not f.primary_key
        }
    row = {k: (type(v)() if isinstance(v, dict | list) else v) for k, v in defaults.items()}
    row.update(values)
    return SimpleNamespace(**row)


_DEFAULTS: dict[Any, dict[str, Any]] = {}


def new_record(**values: Any) -> Any:
    """An unsaved source record (see :func:`new_row`)."""
    return new_row(SourceRecord, **values)
