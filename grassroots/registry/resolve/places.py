"""Houses, organisations and facilities: deterministic resolution at import, and where a
house is (its grid)."""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from grassroots.org.choices import UnitLevel
from grassroots.org.models import Unit

from ..importer import iter_chunks
from ..models import Facility, House, Organisation, SourceRecord
from .bulk import fast_update

CHUNK = 500


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
    from ..address import AddressParts

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
    from ..validators import to_simplified

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
