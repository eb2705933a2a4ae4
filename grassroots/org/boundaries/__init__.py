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

Modules: ``report`` (problems, records, planned changes, reports), ``parse`` (the file
into records, no database), ``checks`` (tree and geometry checks, no database),
``validate`` (``check_boundaries``: reads the database, runs every check), ``export``
(``boundaries_export``) and ``geometry`` (areas, GeoJSON).
"""

from .checks import CHILD_OF_6
from .export import boundaries_export
from .geometry import EARTH_RADIUS_KM, TOLERANCE, area_km2, geojson_of, isclose
from .parse import VALIDITY, parse_boundaries
from .report import (
    LEVEL_BY_LENGTH,
    BoundaryCheck,
    BoundaryRecord,
    ImportReport,
    PlannedChange,
    Problem,
    Progress,
)
from .validate import CHUNK, check_boundaries, chunks

__all__ = [
    "CHILD_OF_6",
    "CHUNK",
    "EARTH_RADIUS_KM",
    "LEVEL_BY_LENGTH",
    "TOLERANCE",
    "VALIDITY",
    "BoundaryCheck",
    "BoundaryRecord",
    "ImportReport",
    "PlannedChange",
    "Problem",
    "Progress",
    "area_km2",
    "boundaries_export",
    "check_boundaries",
    "chunks",
    "geojson_of",
    "isclose",
    "parse_boundaries",
]
