"""The demo district's base database, loaded the way a real one is.

``load_demo_registry`` generates the demo population (``demo.population``: people with the
truth, each department's noisy extract), writes the departments' files
(``demo.registry_files``: GBK, Excel, dirty rows, duplicates, formulas) into
``var/demo/registry/``, imports each through ``registry.services.import_file`` (so the
demo shows batches, rejects and reports), places the houses on the map, and links the
people into golden records with ``registry.services.resolve_people``.

Placing houses stands in for the standard address library a district keeps (一标三实):
the houses, in address order, are cut into as many equal runs as the demo has grids (in
code order), each house gets a point inside its grid, and
``registry.services.houses_locate`` puts every house, and the people and organisations in
it, into the grid containing its point.

Imports run without an acting user (the system imports them), so that a ``--force``
rebuild can delete the demo accounts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from grassroots.registry import services
from grassroots.registry.choices import ImportStatus
from grassroots.registry.models import (
    Facility,
    House,
    ImportBatch,
    ImportReject,
    MatchCandidate,
    MergeEvent,
    Organisation,
    Person,
    SourceRecord,
    Visit,
)
from grassroots.registry.sources import ensure_sources

# people generated per scale: 60,000 of the district's ~99,000 residents keep ``bin/demo``
# within about eight minutes (the load costs about 2.6 ms of CPU per person here: files,
# imports, resolution); the city scale loads no more (its registry is a benchmark,
# ``bench/registry_scale``, not a demo page)
PEOPLE = {"small": 1_000, "district": 60_000, "city": 60_000}
# houses first (they carry use, area, owner), then people, organisations last
IMPORT_ORDER = (
    "housing",
    "public_security",
    "civil_affairs",
    "social_security",
    "community_visit",
    "market_regulation",
)
RESOLVE_STAGES = ("gather", "link", "write", "review")


@dataclass
class RegistryLoad:
    status: str  # "built" or "present"
    seconds: float = 0.0
    directory: Path | None = None
    counts: dict[str, int] = field(default_factory=dict)
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    resolution: dict[str, Any] = field(default_factory=dict)


def registry_present() -> bool:
    return SourceRecord.objects.filter(batch__isnull=False).exists()


def wipe_registry() -> None:
    """Delete every row of the base database (sources stay, with their trust).

    Plain ``DELETE``s in dependency order: the ORM's ``delete()`` would first load every
    record to follow its relations, minutes for a district."""
    from django.db import connection

    with transaction.atomic():
        for model in (Person, Organisation, House):
            model.objects.update(merged_into=None)
        for model in (
            MatchCandidate,
            MergeEvent,
            Visit,
            SourceRecord,
            ImportReject,
            ImportBatch,
            Person,
            Organisation,
            Facility,
            House,
        ):
            model.objects.all()._raw_delete(connection.alias)


def _bar(progress: bool, **kwargs: Any) -> Any:
    from tqdm import tqdm

    return tqdm(disable=not progress, **kwargs)


def load_demo_registry(
    *,
    scale: str,
    seed: int,
    district_code: str,
    force: bool = False,
    progress: bool = False,
    directory: Path | None = None,
    people: int | None = None,
) -> RegistryLoad:
    """Load the demo's base database (module doc); nothing to do when already loaded,
    unless ``force`` (which replaces it)."""
    from grassroots.demo import population
    from grassroots.demo.registry_files import PERSON_SOURCES, write_registry_files

    if registry_present() and not force:
        return RegistryLoad("present", counts=_counts())
    started = time.perf_counter()
    wipe_registry()
    ensure_sources()
    folder = directory or Path(settings.VAR_DIR) / "demo" / "registry"
    n = people or PEOPLE.get(scale, PEOPLE["district"])
    with _bar(progress, total=2, desc="registry files", unit="step") as bar:
        crowd = population.generate_people(n, seed)
        extracts = population.source_extracts(crowd, seed)
        bar.update(1)
        files = write_registry_files(
            folder,
            {k: v for k, v in extracts.items() if k in PERSON_SOURCES},
            seed=seed,
            people=crowd,
        )
        bar.update(1)
    del crowd, extracts
    result = RegistryLoad("built", directory=folder)
    for key in IMPORT_ORDER:
        file = files.files.get(key)
        if file is None:
            continue
        with _bar(progress, desc=f"import {key}", unit="row") as bar:
            batch = services.import_file(source=key, path=file.path, user=None, progress=bar.update)
        if batch.status != ImportStatus.DONE:
            raise RuntimeError(f"demo file {file.path.name} refused: {batch.error}")
        result.batches[key] = {
            "accepted": batch.accepted_rows,
            "rejected": batch.rejected_rows,
            "duplicates": batch.duplicate_rows,
        }
    place_demo_houses(district_code=district_code, seed=seed, progress=progress)
    with _bar(progress, total=len(RESOLVE_STAGES), desc="resolve people", unit="step") as bar:

        def step(stage: str) -> None:
            bar.set_postfix_str(stage)
            if stage != RESOLVE_STAGES[0]:
                bar.update(1)

        report = services.resolve_people(progress=step)
        bar.update(1)
    result.resolution = report.as_dict()
    result.counts = _counts()
    result.seconds = time.perf_counter() - started
    return result


def _counts() -> dict[str, int]:
    return {
        "source records": SourceRecord.objects.count(),
        "people": Person.objects.filter(is_active=True).count(),
        "houses": House.objects.filter(is_active=True).count(),
        "organisations": Organisation.objects.filter(is_active=True).count(),
        "review pairs": MatchCandidate.objects.filter(status="pending").count(),
    }


def place_demo_houses(*, district_code: str, seed: int, progress: bool = False) -> dict[str, int]:
    """Give every house a point inside a demo grid (module doc) and place it there."""
    import shapely
    from shapely.geometry import shape

    from grassroots.org.choices import UnitLevel
    from grassroots.org.locate import invalidate_index
    from grassroots.org.models import Unit, UnitBoundary

    root = Unit.objects.filter(code=district_code).first()
    if root is None:
        return {"houses": 0, "placed": 0}
    grids = list(
        Unit.objects.filter(level=UnitLevel.GRID, path__startswith=root.path)
        .order_by("code")
        .values_list("id", flat=True)
    )
    shapes = {
        b.unit_id: shape(b.geometry)
        for b in UnitBoundary.objects.filter(unit_id__in=grids, valid_to__isnull=True)
    }
    grids = [g for g in grids if g in shapes]
    if not grids:
        return {"houses": 0, "placed": 0}
    houses = list(
        House.objects.filter(is_active=True).values_list(
            "id", "road", "number", "building", "unit", "room"
        )
    )
    # houses in address order (road, door number, building, unit, room), cut into as many
    # equal runs as there are grids: a compound spans neighbouring grids, every grid has
    # homes, a building mostly stays in one grid
    houses.sort(key=lambda h: (h[1], _numeric(h[2]), _numeric(h[3]), _numeric(h[4]), h[5], h[0]))
    wanted: dict[int, list[int]] = defaultdict(list)
    for position, house in enumerate(houses):
        wanted[grids[position * len(grids) // len(houses)]].append(house[0])
    rng = np.random.default_rng([seed, 0x40C])
    points: dict[int, tuple[float, float]] = {}
    with _bar(progress, total=len(wanted), desc="place houses", unit="grid") as bar:
        for grid_id, house_ids in wanted.items():
            polygon = shapes[grid_id]
            minx, miny, maxx, maxy = polygon.bounds
            inside_x: list[float] = []
            inside_y: list[float] = []
            for _attempt in range(20):
                xs = rng.uniform(minx, maxx, len(house_ids) * 2)
                ys = rng.uniform(miny, maxy, len(house_ids) * 2)
                keep = shapely.contains_xy(polygon, xs, ys)
                inside_x.extend(xs[keep].tolist())
                inside_y.extend(ys[keep].tolist())
                if len(inside_x) >= len(house_ids):
                    break
            anchor = polygon.representative_point()
            for i, house_id in enumerate(sorted(house_ids)):
                if i < len(inside_x):
                    points[house_id] = (round(inside_x[i], 6), round(inside_y[i], 6))
                else:
                    points[house_id] = (anchor.x, anchor.y)
            bar.update(1)
    # the tree was (re)built in this process a moment ago: locate against its grids
    invalidate_index()
    return services.houses_locate(points=points)


def _numeric(text: str) -> tuple[int, str]:
    digits = "".join(ch for ch in text or "" if ch.isdigit())
    return (int(digits) if digits else -1, text or "")
