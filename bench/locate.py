"""Point-to-grid lookup over a city of ≥ 10,000 grids.

Ours: ``grassroots.org.locate.GridIndex`` (shapely STRtree, vectorised query), batched
(``lookups_per_s``) and one point per call as ``locate_point`` does it
(``single_lookups_per_s``). Baseline: no index — for each point, ``shapely.intersects_xy``
over every (prepared) grid polygon in one vectorised call, first hit in grid order (the
same tie-break as the index). That is faster than a Python loop over the polygons that
stops at the first hit, so it is the stronger comparison. It runs on a sample of the
points, since it is slow; both answers must agree on that sample.

The city's polygons come from the demo generator in memory; nothing is written to the
database.  ``grassroots bench locate [--quick]``
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also as python bench/locate.py
from bench._common import best_time, emit, note, parse_args, setup_django

BENCH = "locate"


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    setup_django()
    from grassroots.demo.generator.plan import plan_tree
    from grassroots.org.locate import GridIndex

    points, sample, singles = (200_000, 300, 5_000) if args.quick else (1_000_000, 2_000, 50_000)

    started = time.perf_counter()
    plan = plan_tree(scale="city", seed=args.seed)
    grids = [unit.geometry for unit in plan.units if unit.level == "grid"]
    grid_ids = list(range(1, len(grids) + 1))
    index = GridIndex(grid_ids, grids, {})
    note(f"{len(grids):,} grids generated and indexed in {time.perf_counter() - started:.1f} s")
    assert len(grids) >= 10_000

    # points over the city's bounding box and a margin around it: inside and outside
    rng = np.random.default_rng(args.seed)
    minx, miny, maxx, maxy = plan.root.geometry.bounds
    pad_x, pad_y = (maxx - minx) * 0.05, (maxy - miny) * 0.05
    lons = rng.uniform(minx - pad_x, maxx + pad_x, points)
    lats = rng.uniform(miny - pad_y, maxy + pad_y, points)

    found = index.locate_ids(lons, lats)
    note(f"{points:,} points, {np.mean(found >= 0):.0%} inside a grid")
    ours_s = best_time(lambda: index.locate_ids(lons, lats))
    ours = points / ours_s

    geoms = np.asarray(grids, dtype=object)
    shapely.prepare(geoms)
    ids = np.asarray(grid_ids)

    def scan() -> list[int]:
        answers = []
        for lon, lat in zip(lons[:sample], lats[:sample], strict=True):
            hits = np.flatnonzero(shapely.intersects_xy(geoms, lon, lat))
            answers.append(int(ids[hits[0]]) if len(hits) else -1)
        return answers

    assert scan() == found[:sample].tolist(), "index and linear scan disagree"
    baseline = sample / best_time(scan, repeat=2)
    note(f"index and linear scan agree on {sample:,} points")
    emit(BENCH, "lookups_per_s", ours, "points/s", baseline, ours / baseline)

    one_lon, one_lat = lons[:singles], lats[:singles]

    def one_by_one() -> None:
        for i in range(singles):
            index.locate_ids(one_lon[i : i + 1], one_lat[i : i + 1])

    single = singles / best_time(one_by_one, repeat=2)
    emit(BENCH, "single_lookups_per_s", single, "points/s", baseline, single / baseline)


if __name__ == "__main__":
    main()
