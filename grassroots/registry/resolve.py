"""Linking source records to golden records.

Houses, organisations and facilities resolve deterministically when a file is imported
(:func:`place_records`): a house by its address key (``registry.address.address_key``),
placed in a grid by the row's coordinates, else by the community named in the address;
an organisation by its unified social credit code, else by normalised name and house; a
facility by its component code. People resolve probabilistically (:func:`resolve_people`,
through ``registry.linkage.link_people``), see the second half of this module.

Golden values are recomputed in bulk (:func:`recompute_houses` etc.) with the rule in
``registry.golden``.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q

from grassroots.org.choices import UnitLevel
from grassroots.org.models import Unit

from . import golden
from .choices import EntityType
from .importer import iter_chunks
from .models import Facility, House, Organisation, Person, Source, SourceRecord

logger = logging.getLogger(__name__)

CHUNK = 500


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


# --- geocoding -------------------------------------------------------------------------------


_COMMUNITY_SUFFIX = re.compile(
    r"(社区居民委员会|居民委员会|社区居委会|居委会|村民委员会|村委会|社区|村)$"
)


def _stem(name: str) -> str:
    return _COMMUNITY_SUFFIX.sub("", name or "").strip()


class Geocoder:
    """Finds the grid (or, failing that, the community) of a house.

    1. coordinates in the row: the grid whose polygon contains them (``org.locate``);
    2. another house in the same building (community, road, number) already has a grid;
    3. the community named in the address, when it has a single grid;
    4. the community itself (so community staff see the house; no grid worker does until a
       visit or coordinates place it);
    5. nothing: the house stays without grid and is counted in the import report.
    """

    def __init__(self) -> None:
        self.communities: dict[str, list[tuple[int, str]]] = defaultdict(list)
        self.community_grids: dict[int, list[int]] = defaultdict(list)
        street_names: dict[int, str] = {}
        for unit in Unit.objects.filter(level=UnitLevel.STREET).values("id", "name"):
            street_names[unit["id"]] = unit["name"]
        for unit in Unit.objects.filter(level=UnitLevel.COMMUNITY).values(
            "id", "name", "parent_id"
        ):
            entry = (unit["id"], _stem(street_names.get(unit["parent_id"] or 0, "")))
            self.communities[_stem(unit["name"])].append(entry)
        for unit in Unit.objects.filter(level=UnitLevel.GRID).values("id", "parent_id"):
            if unit["parent_id"]:
                self.community_grids[unit["parent_id"]].append(unit["id"])
        self.buildings: dict[tuple[str, str, str], int] = {}

    def learn_buildings(self, keys: Iterable[tuple[str, str, str]]) -> None:
        """Grids of houses already placed in these buildings (community, road, number)."""
        wanted = {k for k in keys if k[1] and k[2] and k not in self.buildings}
        roads = sorted({k[1] for k in wanted})
        for chunk in iter_chunks(roads, CHUNK):
            rows = (
                House.objects.filter(is_active=True, road__in=chunk, grid__level=UnitLevel.GRID)
                .values_list("community_name", "road", "number", "grid_id")
                .order_by("id")
            )
            for community, road, number, grid_id in rows:
                self.buildings.setdefault((_stem(community), road, number), grid_id)

    def community_of(self, parts: dict[str, str]) -> int | None:
        candidates = self.communities.get(_stem(parts.get("community", "")), [])
        if len(candidates) > 1 and parts.get("street"):
            street = _stem(parts["street"])
            candidates = [c for c in candidates if c[1] == street] or candidates
        return candidates[0][0] if len(candidates) == 1 else None

    def by_names(self, parts: dict[str, str]) -> tuple[int | None, str]:
        building = (
            _stem(parts.get("community", "")),
            parts.get("road", ""),
            parts.get("number", ""),
        )
        if building in self.buildings:
            return self.buildings[building], "building"
        community = self.community_of(parts)
        if community is None:
            return None, "unlocated"
        grids = self.community_grids.get(community, [])
        if len(grids) == 1:
            return grids[0], "community_single_grid"
        return community, "community"

    def remember(self, parts: dict[str, str], grid_id: int) -> None:
        key = (_stem(parts.get("community", "")), parts.get("road", ""), parts.get("number", ""))
        if key[1] and key[2]:
            self.buildings.setdefault(key, grid_id)


def locate_points(points: list[tuple[float, float]]) -> list[int | None]:
    """Grid ids for WGS84 points (None outside every grid)."""
    if not points:
        return []
    import numpy as np

    from grassroots.org.locate import locate_many

    ids = locate_many(np.array([p[0] for p in points]), np.array([p[1] for p in points]))
    return [int(i) if int(i) >= 0 else None for i in ids]


# --- placing records -------------------------------------------------------------------------


@dataclass
class Placement:
    houses_created: int = 0
    houses_matched: int = 0
    address_vague: int = 0
    located: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    organisations_created: int = 0
    organisations_matched: int = 0
    facilities_created: int = 0
    facilities_matched: int = 0
    house_ids: set[int] = field(default_factory=set)
    created_house_ids: set[int] = field(default_factory=set)
    organisation_ids: set[int] = field(default_factory=set)
    facility_ids: set[int] = field(default_factory=set)

    def as_report(self) -> dict[str, Any]:
        return {
            "houses_created": self.houses_created,
            "houses_matched": self.houses_matched,
            "address_vague": self.address_vague,
            "located": dict(self.located),
            "organisations_created": self.organisations_created,
            "organisations_matched": self.organisations_matched,
            "facilities_created": self.facilities_created,
            "facilities_matched": self.facilities_matched,
        }


def _cut(value: str, limit: int) -> str:
    return (value or "")[:limit]


def _house_from(parts: dict[str, str], key: str, text: str) -> House:
    from .address import AddressParts

    standard = AddressParts.from_dict(parts).standard() or text
    return House(
        address=_cut(standard, 255),
        address_key=_cut(key, 255),
        province=_cut(parts.get("province", ""), 50),
        city=_cut(parts.get("city", ""), 50),
        district=_cut(parts.get("district", ""), 50),
        street_name=_cut(parts.get("street", ""), 50),
        community_name=_cut(parts.get("community", ""), 50),
        road=_cut(parts.get("road", ""), 100),
        number=_cut(parts.get("number", ""), 30),
        building=_cut(parts.get("building", ""), 30),
        unit=_cut(parts.get("unit", ""), 30),
        floor=_cut(parts.get("floor", ""), 10),
        room=_cut(parts.get("room", ""), 30),
    )


def place_houses(
    records: list[SourceRecord], *, geocoder: Geocoder | None = None, placement: Placement
) -> None:
    """Link each record with a precise address to its house (created when new) and put the
    house, and so the record, in a grid. Records must be saved (they have ids)."""
    with_key = [r for r in records if r.address_parts.get("key")]
    placement.address_vague += sum(
        1 for r in records if r.address and not r.address_parts.get("key")
    )
    if not with_key:
        return
    keys = sorted({r.address_parts["key"] for r in with_key})
    existing: dict[str, House] = {}
    for chunk in iter_chunks(keys, CHUNK):
        for house in House.objects.filter(is_active=True, address_key__in=chunk):
            existing[house.address_key] = house
    geocoder = geocoder or Geocoder()
    first_by_key: dict[str, SourceRecord] = {}
    for record in with_key:
        first_by_key.setdefault(record.address_parts["key"], record)
    new_houses: dict[str, House] = {}
    coords: list[tuple[str, float, float]] = []
    for key, record in first_by_key.items():
        if key in existing:
            continue
        house = _house_from(record.address_parts, key, record.address)
        lon, lat = record.data.get("lon"), record.data.get("lat")
        if lon is not None and lat is not None:
            house.lon, house.lat = float(lon), float(lat)
            coords.append((key, float(lon), float(lat)))
        new_houses[key] = house
    # houses without a grid may be placed now, by a row with coordinates
    for record in with_key:
        house = existing.get(record.address_parts["key"])
        lon, lat = record.data.get("lon"), record.data.get("lat")
        if house is not None and house.grid_id is None and lon is not None and lat is not None:
            coords.append((house.address_key, float(lon), float(lat)))
    grids_by_key: dict[str, int] = {}
    for (key, _lon, _lat), grid_id in zip(
        coords, locate_points([(c[1], c[2]) for c in coords]), strict=True
    ):
        if grid_id is not None:
            grids_by_key.setdefault(key, grid_id)
    geocoder.learn_buildings(
        (_stem(h.community_name), h.road, h.number) for h in new_houses.values()
    )
    for key, house in new_houses.items():
        if key in grids_by_key:
            house.grid_id = grids_by_key[key]
            placement.located["coordinates"] += 1
            geocoder.remember(first_by_key[key].address_parts, house.grid_id)
    for key, house in new_houses.items():
        if key in grids_by_key:
            continue
        grid_id, how = geocoder.by_names(first_by_key[key].address_parts)
        house.grid_id = grid_id
        placement.located[how] += 1
    created = House.objects.bulk_create(list(new_houses.values()), batch_size=CHUNK)
    placement.houses_created += len(created)
    placement.houses_matched += len(existing)
    for house in created:
        existing[house.address_key] = house
        placement.created_house_ids.add(house.pk)
    to_place = [h for h in existing.values() if h.grid_id is None and h.address_key in grids_by_key]
    for house in to_place:
        house.grid_id = grids_by_key[house.address_key]
    if to_place:
        fast_update(House, to_place, ["grid"])
    for record in with_key:
        house = existing[record.address_parts["key"]]
        record.house_id = house.pk
        record.grid_id = house.grid_id
        placement.house_ids.add(house.pk)


_ORG_NOISE = re.compile(r"[\s()（）\[\]【】·.,，、\"'“”]+")


def organisation_name_key(name: str) -> str:
    """Organisation names compared loosely: full-width, traditional characters, brackets
    and spaces do not matter (北京（幸福）商貿有限公司 = 北京幸福商贸有限公司)."""
    from .validators import to_simplified

    text = unicodedata.normalize("NFKC", name or "")
    return _ORG_NOISE.sub("", to_simplified(text)).lower()[:200]


def place_organisations(records: list[SourceRecord], *, placement: Placement) -> None:
    """Link organisation records: by credit code, else by name key and house."""
    if not records:
        return
    usccs = sorted({r.data["uscc"] for r in records if r.data.get("uscc")})
    names = sorted({organisation_name_key(r.name) for r in records})
    by_uscc: dict[str, Organisation] = {}
    by_name_house: dict[tuple[str, int | None], Organisation] = {}
    for chunk in iter_chunks(usccs, CHUNK):
        for org in Organisation.objects.filter(is_active=True, uscc__in=chunk):
            by_uscc[org.uscc or ""] = org
    for chunk in iter_chunks(names, CHUNK):
        for org in Organisation.objects.filter(is_active=True, name_key__in=chunk):
            by_name_house.setdefault((org.name_key, org.house_id), org)
    new: list[Organisation] = []
    pending: dict[str, Organisation] = {}
    links: list[tuple[SourceRecord, Organisation]] = []
    for record in records:
        uscc = record.data.get("uscc") or None
        name_key = organisation_name_key(record.name)
        org = by_uscc.get(uscc) if uscc else None
        if org is None:
            candidate = by_name_house.get((name_key, record.house_id))
            # a name match never joins two different credit codes
            if candidate is not None and (not uscc or not candidate.uscc):
                org = candidate
        if org is None:
            token = uscc or f"{name_key}|{record.house_id}"
            org = pending.get(token)
            if org is None:
                org = Organisation(
                    name=_cut(record.name, 200),
                    name_key=name_key,
                    uscc=uscc,
                    address=_cut(record.address, 255),
                    house_id=record.house_id,
                    grid_id=record.grid_id,
                )
                pending[token] = org
                new.append(org)
                if uscc:
                    by_uscc[uscc] = org
                by_name_house.setdefault((name_key, record.house_id), org)
        links.append((record, org))
    Organisation.objects.bulk_create(new, batch_size=CHUNK)
    placement.organisations_created += len(new)
    placement.organisations_matched += len({id(o) for _r, o in links} - {id(o) for o in new})
    for record, org in links:
        record.organisation_id = org.pk
        placement.organisation_ids.add(org.pk)


def place_facilities(records: list[SourceRecord], *, placement: Placement) -> None:
    """Link facility records by component code; a new facility is placed by its
    coordinates."""
    if not records:
        return
    codes = sorted({r.data["code"] for r in records if r.data.get("code")})
    existing: dict[str, Facility] = {}
    for chunk in iter_chunks(codes, CHUNK):
        for facility in Facility.objects.filter(is_active=True, code__in=chunk):
            existing[facility.code] = facility
    new: dict[str, Facility] = {}
    for record in records:
        code = record.data.get("code")
        if not code or code in existing or code in new:
            continue
        lon, lat = record.data.get("lon"), record.data.get("lat")
        new[code] = Facility(
            code=code,
            name=_cut(record.name, 100),
            address=_cut(record.address, 255),
            lon=lon,
            lat=lat,
            grid_id=record.grid_id,
        )
    located = [f for f in new.values() if f.lon is not None and f.lat is not None]
    for facility, grid_id in zip(
        located,
        locate_points([(f.lon, f.lat) for f in located]),
        strict=True,  # type: ignore[misc]
    ):
        facility.grid_id = grid_id or facility.grid_id
    Facility.objects.bulk_create(list(new.values()), batch_size=CHUNK)
    placement.facilities_created += len(new)
    placement.facilities_matched += len(existing)
    existing.update(new)
    for record in records:
        facility = existing.get(record.data.get("code") or "")
        if facility is not None:
            record.facility_id = facility.pk
            record.grid_id = facility.grid_id or record.grid_id
            placement.facility_ids.add(facility.pk)


# --- golden values ---------------------------------------------------------------------------


def trust_for_all() -> golden.TrustFor:
    return golden.trust_table(Source.objects.all())


def _source_keys() -> dict[int, str]:
    return dict(Source.objects.values_list("id", "key"))


def _sealed(record: dict[str, Any], name: str) -> tuple[str, str, str] | None:
    encrypted = record.get(f"{name}_encrypted")
    if not encrypted:
        return None
    return (encrypted, record[f"{name}_index"], record[f"{name}_masked"])


RECORD_COLUMNS = (
    "id",
    "source_id",
    "observed_at",
    "data",
    "name",
    "address",
    "superseded",
    "house_id",
    "grid_id",
    "birth_date",
    "sex",
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
)


_HOUSE_COLUMNS = ("id", "source_id", "observed_at", "data", "address", "superseded")


def _records_by(
    link: str, ids: Iterable[int], columns: tuple[str, ...] = RECORD_COLUMNS
) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        rows = SourceRecord.objects.filter(**{f"{link}_id__in": chunk}, superseded=False).values(
            f"{link}_id", *columns
        )
        for row in rows:
            grouped[row[f"{link}_id"]].append(row)
    return grouped


def _as_values(
    rows: list[dict[str, Any]],
    keys: dict[int, str],
    extract: Callable[[dict[str, Any]], dict[str, Any]],
) -> list[golden.RecordValues]:
    return [
        golden.RecordValues(
            record_id=row["id"],
            source=keys.get(row["source_id"], ""),
            observed_at=row["observed_at"],
            values=extract(row),
            superseded=row["superseded"],
        )
        for row in rows
    ]


def _decimal(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def recompute_houses(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    """Recompute the golden values of these houses from their records; returns how many."""
    trust_for = trust_for or trust_for_all()
    keys = _source_keys()
    grouped = _records_by("house", ids, _HOUSE_COLUMNS)
    houses = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        houses.extend(House.objects.filter(pk__in=chunk))

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = row["data"] or {}
        return {
            "address": row["address"],
            "house_use": data.get("house_use"),
            "area_m2": data.get("area_m2"),
            "owner_name": data.get("owner_name"),
        }

    for house in houses:
        result = golden.compute(
            _as_values(grouped[house.pk], keys, extract), golden.HOUSE_FIELDS, trust_for
        )
        values = result.values
        house.house_use = values.get("house_use", "")
        house.area_m2 = _decimal(values.get("area_m2"))
        house.owner_name = _cut(values.get("owner_name", ""), 100)
        house.provenance = result.provenance
    fast_update(House, houses, ["house_use", "area_m2", "owner_name", "provenance", "updated_at"])
    return len(houses)


HOUSE_VALUE_FIELDS = frozenset({"house_use", "area_m2", "owner_name"})


def house_address_provenance(ids: Iterable[int], *, trust_for: golden.TrustFor) -> int:
    """The provenance of new houses that only have their address: the first record that
    named it (cheaper than a full recompute, for the houses a person file creates)."""
    from types import SimpleNamespace

    from django.db.models import Min

    keys = _source_keys()
    updates = []
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        firsts = dict(
            SourceRecord.objects.filter(house_id__in=chunk, superseded=False)
            .values("house_id")
            .annotate(first=Min("id"))
            .values_list("house_id", "first")
        )
        rows = SourceRecord.objects.filter(pk__in=list(firsts.values())).values(
            "id", "house_id", "source_id", "observed_at"
        )
        for row in rows:
            source = keys.get(row["source_id"], "")
            provenance = {
                "address": {
                    "record": row["id"],
                    "source": source,
                    "observed_at": row["observed_at"].isoformat(),
                    "trust": trust_for(source, "address"),
                }
            }
            updates.append(SimpleNamespace(pk=row["house_id"], provenance=provenance))
    return fast_update(House, updates, ["provenance"])


def recompute_organisations(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    trust_for = trust_for or trust_for_all()
    keys = _source_keys()
    grouped = _records_by("organisation", ids)
    orgs = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        orgs.extend(Organisation.objects.filter(pk__in=chunk))
    houses: dict[int, int | None] = {}

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = row["data"] or {}
        houses[row["id"]] = row["house_id"]
        return {
            "org_name": data.get("org_name") or row["name"],
            "uscc": data.get("uscc"),
            "legal_rep": data.get("legal_rep"),
            "phone": _sealed(row, "phone"),
            "address": row["address"],
            "org_type": data.get("org_type"),
            "org_status": data.get("org_status"),
            "founded_on": data.get("founded_on"),
        }

    grids: dict[int, int | None] = {}
    for org in orgs:
        result = golden.compute(
            _as_values(grouped[org.pk], keys, extract), golden.ORGANISATION_FIELDS, trust_for
        )
        values = result.values
        org.name = _cut(values.get("org_name", org.name), 200)
        org.name_key = organisation_name_key(org.name)
        org.uscc = values.get("uscc") or org.uscc
        org.legal_rep = _cut(values.get("legal_rep", ""), 100)
        phone = values.get("phone")
        org.phone_encrypted, org.phone_index, org.phone_masked = phone or ("", "", "")
        org.address = _cut(values.get("address", ""), 255)
        org.org_type = _cut(values.get("org_type", ""), 50)
        org.status = values.get("org_status", "")
        org.founded_on = _date(values.get("founded_on"))
        winner = result.winners.get("address")
        if winner is not None and houses.get(winner):
            org.house_id = houses[winner]
        org.provenance = _rename(result.provenance, {"org_name": "name", "org_status": "status"})
    house_ids = {o.house_id for o in orgs if o.house_id}
    for chunk in iter_chunks(sorted(house_ids), CHUNK):
        grids.update(House.objects.filter(pk__in=chunk).values_list("id", "grid_id"))
    for org in orgs:
        if org.house_id and grids.get(org.house_id):
            org.grid_id = grids[org.house_id]
    fast_update(
        Organisation,
        orgs,
        [
            "name",
            "name_key",
            "uscc",
            "legal_rep",
            "phone_encrypted",
            "phone_index",
            "phone_masked",
            "address",
            "org_type",
            "status",
            "founded_on",
            "house",
            "grid",
            "provenance",
            "updated_at",
        ],
    )
    return len(orgs)


def recompute_facilities(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    trust_for = trust_for or trust_for_all()
    keys = _source_keys()
    grouped = _records_by("facility", ids)
    facilities = []
    for chunk in iter_chunks(sorted(grouped), CHUNK):
        facilities.extend(Facility.objects.filter(pk__in=chunk))

    def extract(row: dict[str, Any]) -> dict[str, Any]:
        data = dict(row["data"] or {})
        data.setdefault("name", row["name"])
        data.setdefault("address", row["address"])
        return data

    for facility in facilities:
        result = golden.compute(
            _as_values(grouped[facility.pk], keys, extract), golden.FACILITY_FIELDS, trust_for
        )
        values = result.values
        facility.name = _cut(values.get("name", facility.name), 100)
        facility.kind = _cut(values.get("kind", ""), 10)
        facility.status = values.get("status", "")
        facility.address = _cut(values.get("address", ""), 255)
        facility.lon = values.get("lon", facility.lon)
        facility.lat = values.get("lat", facility.lat)
        facility.provenance = result.provenance
    fast_update(
        Facility,
        facilities,
        ["name", "kind", "status", "address", "lon", "lat", "provenance", "updated_at"],
    )
    return len(facilities)


def _rename(provenance: dict[str, Any], names: dict[str, str]) -> dict[str, Any]:
    return {names.get(k, k): v for k, v in provenance.items()}


PERSON_UPDATE_FIELDS = [
    "name",
    "sex",
    "birth_date",
    "ethnicity",
    "id_number_encrypted",
    "id_number_index",
    "id_number_masked",
    "phone_encrypted",
    "phone_index",
    "phone_masked",
    "person_type",
    "address",
    "household_address",
    "house",
    "grid",
    "relation_to_head",
    "household_no",
    "employer_uscc",
    "tags",
    "provenance",
    "updated_at",
]


def _person_values(row: dict[str, Any]) -> dict[str, Any]:
    data = row["data"] or {}
    return {
        "name": row["name"] or data.get("name"),
        "sex": row["sex"] or data.get("sex"),
        "birth_date": row["birth_date"] or _date(data.get("birth_date")),
        "ethnicity": data.get("ethnicity"),
        "id_number": _sealed(row, "id_number"),
        "phone": _sealed(row, "phone"),
        "address": row["address"],
        "household_address": data.get("household_address"),
        "household_no": data.get("household_no"),
        "relation_to_head": data.get("relation_to_head"),
        "person_type": data.get("person_type"),
        "employer_uscc": data.get("employer_uscc"),
        "tag": data.get("tag"),
    }


def apply_person_golden(
    person: Person, rows: list[dict[str, Any]], keys: dict[int, str], trust_for: golden.TrustFor
) -> None:
    """Set ``person``'s golden fields from its record rows (not saved)."""
    values_list = _as_values(rows, keys, _person_values)
    result = golden.compute(values_list, golden.PERSON_FIELDS, trust_for)
    values = result.values
    person.name = _cut(values.get("name", ""), 100)
    person.sex = values.get("sex", "")
    person.birth_date = values.get("birth_date")
    person.ethnicity = _cut(values.get("ethnicity", ""), 20)
    sealed_id = values.get("id_number") or ("", "", "")
    person.id_number_encrypted, person.id_number_index, person.id_number_masked = sealed_id
    sealed_phone = values.get("phone") or ("", "", "")
    person.phone_encrypted, person.phone_index, person.phone_masked = sealed_phone
    person.person_type = values.get("person_type", "")
    person.address = _cut(values.get("address", ""), 255)
    person.household_address = _cut(values.get("household_address", ""), 255)
    person.household_no = _cut(values.get("household_no", ""), 30)
    person.relation_to_head = _cut(values.get("relation_to_head", ""), 20)
    person.employer_uscc = values.get("employer_uscc", "")
    person.tags = golden.union_tags(values_list)
    by_id = {row["id"]: row for row in rows}
    winner = result.winners.get("address")
    house_row = by_id.get(winner) if winner is not None else None
    if house_row is None or not house_row["house_id"]:
        # the best-trusted record that did place the person in a house
        placed = [r for r in values_list if by_id[r.record_id]["house_id"]]
        best = golden.winning(
            golden.Observation(
                r.record_id, r.source, r.observed_at, trust_for(r.source, "address"), 1
            )
            for r in placed
        )
        house_row = by_id[best.record_id] if best else None
    person.house_id = house_row["house_id"] if house_row else None
    person.grid_id = house_row["grid_id"] if house_row else None
    provenance = result.provenance
    if person.tags:
        tag_records = [r for r in values_list if r.values.get("tag")]
        latest = max(tag_records, key=lambda r: (r.observed_at, r.record_id))
        provenance["tags"] = {
            "record": latest.record_id,
            "source": latest.source,
            "observed_at": latest.observed_at.isoformat(),
            "trust": trust_for(latest.source, "tag"),
        }
    person.provenance = provenance


def recompute_people(ids: Iterable[int], *, trust_for: golden.TrustFor | None = None) -> int:
    """Recompute the golden values of these people from their records."""
    trust_for = trust_for or trust_for_all()
    keys = _source_keys()
    grouped = _records_by("person", ids)
    people: list[Person] = []
    for chunk in iter_chunks(sorted(set(ids)), CHUNK):
        people.extend(Person.objects.filter(pk__in=chunk))
    for person in people:
        apply_person_golden(person, grouped.get(person.pk, []), keys, trust_for)
    fast_update(Person, people, PERSON_UPDATE_FIELDS)
    return len(people)


def entity_filter(entity_type: str) -> Q:
    return Q(entity_type=entity_type, superseded=False)


__all__ = [
    "EntityType",
    "Geocoder",
    "Placement",
    "apply_person_golden",
    "organisation_name_key",
    "place_facilities",
    "place_houses",
    "place_organisations",
    "recompute_facilities",
    "recompute_houses",
    "recompute_organisations",
    "recompute_people",
]


# --- people ----------------------------------------------------------------------------------


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[Any, Any] = {}

    def find(self, item: Any) -> Any:
        parent = self.parent.setdefault(item, item)
        if parent != item:
            root = self.find(parent)
            self.parent[item] = root
            return root
        return item

    def union(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb, key=str)] = min(ra, rb, key=str)


@dataclass
class PeoplePlan:
    """What a resolution run changes, worked out before anything is written.

    ``clusters``: final groups of record ids; ``person_of``: cluster index → the existing
    person id it keeps (absent: a new person); ``absorbed``: person id → (survivor's
    cluster index, the records it gives up); ``moves``: record id → cluster index for every
    record whose person changes."""

    clusters: list[list[int]]
    person_of: dict[int, int]
    absorbed: dict[int, tuple[int, list[int]]]
    moves: dict[int, int]
    splits: int = 0


def plan_people(
    current: dict[int, int | None],
    clusters: dict[int, Any],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
) -> PeoplePlan:
    """Turn the linkage's clusters into golden-person changes, keeping ids stable.

    ``current``: record id → the person it belongs to now (None for a new record);
    ``clusters``: record id → cluster label from the linkage; ``must_link``: record pairs a
    person decided belong together; ``cannot_link``: person pairs a person decided are
    different (a rejected review pair, an undone merge) — never put in one cluster.

    A cluster keeps the id of the person with most records in it (ties: the older id);
    another person whose records all land in clusters kept by others is absorbed by the
    one holding most of them.
    """
    uf = _UnionFind()
    for record_id in current:
        uf.find(("r", record_id))
        label = clusters.get(record_id)
        if label is not None:
            uf.union(("r", record_id), ("c", label))
    for a, b in must_link:
        if a in current and b in current:
            uf.union(("r", a), ("r", b))
    groups: dict[Any, list[int]] = defaultdict(list)
    for record_id in current:
        groups[uf.find(("r", record_id))].append(record_id)
    forbidden: dict[int, set[int]] = defaultdict(set)
    for a, b in cannot_link:
        forbidden[a].add(b)
        forbidden[b].add(a)
    final: list[list[int]] = []
    splits = 0
    for members in groups.values():
        parts = _split(members, current, forbidden)
        splits += len(parts) - 1
        final.extend(sorted(p) for p in parts)
    final.sort(key=lambda m: m[0])
    # who keeps which cluster: largest share first, older id on ties
    shares: list[tuple[int, int, int]] = []  # (-count, person, cluster)
    for index, members in enumerate(final):
        counts: dict[int, int] = defaultdict(int)
        for record_id in members:
            person = current[record_id]
            if person is not None:
                counts[person] += 1
        shares.extend((-n, person, index) for person, n in counts.items())
    shares.sort()
    person_of: dict[int, int] = {}
    taken: set[int] = set()
    for _n, person, index in shares:
        if person in taken or index in person_of:
            continue
        person_of[index] = person
        taken.add(person)
    moves: dict[int, int] = {}
    given_up: dict[int, dict[int, list[int]]] = defaultdict(lambda: defaultdict(list))
    for index, members in enumerate(final):
        keeper = person_of.get(index)
        for record_id in members:
            person = current[record_id]
            if keeper is None or person != keeper:
                moves[record_id] = index
                if person is not None:
                    given_up[person][index].append(record_id)
    absorbed: dict[int, tuple[int, list[int]]] = {}
    for person, by_cluster in given_up.items():
        if person in taken:
            continue  # it kept a cluster of its own: a partial move, not a merge
        index = max(by_cluster, key=lambda i: (len(by_cluster[i]), -i))
        if index in person_of:
            absorbed[person] = (index, sorted(r for rs in by_cluster.values() for r in rs))
    return PeoplePlan(final, person_of, absorbed, moves, splits)


def _split(
    members: list[int], current: dict[int, int | None], forbidden: dict[int, set[int]]
) -> list[list[int]]:
    """Split one cluster so that no two persons of a cannot-link pair share a part."""
    persons = {current[r] for r in members if current[r] is not None}
    if not any(forbidden.get(p, set()) & persons for p in persons if p is not None):
        return [members]
    by_person: dict[int, list[int]] = defaultdict(list)
    fresh: list[int] = []
    for record_id in members:
        person = current[record_id]
        if person is None:
            fresh.append(record_id)
        else:
            by_person[person].append(record_id)
    buckets: list[tuple[set[int], list[int]]] = []
    for person in sorted(by_person, key=lambda p: (-len(by_person[p]), p)):
        for people, records in buckets:
            if not forbidden.get(person, set()) & people:
                people.add(person)
                records.extend(by_person[person])
                break
        else:
            buckets.append(({person}, list(by_person[person])))
    buckets[0][1].extend(fresh)
    return [records for _people, records in buckets]


@dataclass
class ResolveReport:
    records: int = 0
    clusters: int = 0
    people_created: int = 0
    people_kept: int = 0
    merges: int = 0
    records_moved: int = 0
    splits: int = 0
    review_queued: int = 0
    review_pending: int = 0
    model_check: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "clusters": self.clusters,
            "people_created": self.people_created,
            "people_kept": self.people_kept,
            "merges": self.merges,
            "records_moved": self.records_moved,
            "splits": self.splits,
            "review_queued": self.review_queued,
            "review_pending": self.review_pending,
            "model_check": _plain(self.model_check),
            "seconds": round(self.seconds, 2),
        }


def _plain(value: Any) -> Any:
    """JSON-safe copy of a model-check dict (numpy numbers, tuples)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        return str(value)


def active_root(person_id: int, merged_into: dict[int, int | None]) -> int:
    """The active person a (possibly merged) person id now stands for."""
    seen = {person_id}
    while merged_into.get(person_id):
        person_id = merged_into[person_id]  # type: ignore[assignment]
        if person_id in seen:
            break
        seen.add(person_id)
    return person_id
