"""Millions of cases for the benchmarks, written in bulk: no services, no timeline, no
signals.

``demo.history`` plays every report through ``cases.services`` (tens of queries a case:
right for the demo, hours for a city). The dashboard benchmark needs millions of cases
with the shape of a real city's history, in minutes. This module draws them the way the
history does, with numpy instead of an event loop, and writes the final state of each
case straight to ``cases_case``:

* **what and when** — the history's profiles (``history.profiles``): category weights,
  seasons (twelve multipliers), the working-day rhythm of each channel, hours of the day;
* **where** — grids in proportion to their population, plus each profile's hotspot share
  sent to a few hotspot grids per district (night markets, old estates, building sites);
  points scattered around the grid's centroid;
* **through which channel** — the profile's channel mix on working days and rest days;
* **what became of it** — the lifecycle's shares (``history.lifecycle``): withdrawn,
  not accepted, merged duplicates, returned and re-dispatched, accepted late, handled
  after the deadline (more often for hard categories), sent back at verification,
  ratings (never, by default after seven days, satisfied ≫ basic ≫ dissatisfied) and
  reopened once; deadlines from the category's limits (working time approximated as
  calendar time: a working day ≈ 1.4 days, a working hour ≈ 4.2 hours). Cases whose next
  step lies after ``end`` are still open at the step they reached.

The summary tables of ``insight`` are written alongside: each batch's facts computed with
numpy by the rules of ``insight.summary.fact_of`` (:func:`fact_columns`; a random sample
of the written facts is held to ``fact_of`` itself at the end, any difference stops the
build), the rollups summed with pandas and written once, one row per unit on each area's
path as ``summary.rebuild`` writes them (a test holds the two equal). ``summaries=
"rebuild"`` calls ``summary.rebuild`` instead (one Python pass per case: slow for
millions).

Rows go in with ``executemany`` in one transaction per batch (100,000 cases), ids given
by us (a merged duplicate names an earlier case). For a throw-away SQLite benchmark
database, :func:`fast_sqlite` turns off the journal's fsyncs and foreign-key checks.
The SQLite search index (FTS5 trigram table and triggers, ``cases.search``) costs more
than the insert itself: ``search_index="drop"`` drops it first (the dashboard never
searches; ``cases.search.install_index`` rebuilds it).

Deterministic from ``seed`` (and ``end``); works on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import h3
import numpy as np
from django.db import connection, transaction
from django.db.models import Max
from tqdm import tqdm

from grassroots.cases.choices import CaseStatus as S
from grassroots.cases.choices import Channel, Rating
from grassroots.cases.models import Case, Category
from grassroots.org.choices import UnitLevel
from grassroots.org.models import Department, Unit, UnitBoundary

from .history.profiles import (
    DAY_FACTOR,
    HOURS,
    PROFILES,
    Profile,
    hour_profile,
)

TZ = ZoneInfo("Asia/Shanghai")
BATCH = 100_000
CODE_PREFIX = "BK"  # tracking codes BK + 12 digits: never collide with the services' codes
H3_RESOLUTION = 8
HOTSPOTS_PER_DISTRICT = 3
WORKING_HOUR = 4.2 * 3600  # seconds of calendar time per working hour (8 h a day, 5 in 7)
WORKING_DAY = 1.4 * 86400
LIMIT_SECONDS = {"hours": 3600.0, "working_hours": WORKING_HOUR, "working_days": WORKING_DAY}
LIMIT_SECONDS["days"] = 86400.0
NOT_AUTO = [c.value for c in (Channel.WEB, Channel.HOTLINE, Channel.WINDOW, Channel.OPEN311)]

__all__ = ["BulkResult", "bulk_cases", "fast_sqlite", "months_back"]


@dataclass
class BulkResult:
    cases: int
    first_id: int
    start: datetime
    end: datetime
    statuses: dict[str, int] = field(default_factory=dict)
    seconds_cases: float = 0.0
    seconds_summary: float = 0.0


def fast_sqlite() -> None:
    """For a throw-away SQLite database only: no fsync, no foreign-key checks, a large
    page cache, temporary B-trees in memory. Call outside any transaction."""
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for pragma in (
            "PRAGMA synchronous=OFF",
            "PRAGMA foreign_keys=OFF",
            "PRAGMA cache_size=-1048576",  # 1 GiB
            "PRAGMA temp_store=MEMORY",
        ):
            cursor.execute(pragma)


def months_back(end: date, months: int) -> date:
    """The first day of the month ``months - 1`` months before ``end``'s month."""
    index = end.year * 12 + end.month - 1 - (months - 1)
    return date(index // 12, index % 12 + 1, 1)


# --- the place ------------------------------------------------------------------------------


@dataclass
class _Grids:
    ids: np.ndarray
    community: np.ndarray
    street: np.ndarray
    district: np.ndarray  # index into ``district_ids``
    weight: np.ndarray  # population share
    lon: np.ndarray
    lat: np.ndarray
    sd_lon: np.ndarray
    sd_lat: np.ndarray
    community_name: list[str]
    district_ids: list[int]
    hotspots: np.ndarray  # grid indices that take the profiles' hotspot shares


def _load_grids(root: Unit, rng: np.random.Generator) -> _Grids:
    units = {
        u["id"]: u
        for u in Unit.objects.filter(path__startswith=root.path).values(
            "id", "parent_id", "level", "name", "population", "centroid_lon", "centroid_lat"
        )
    }
    boxes = {
        b["unit_id"]: b
        for b in UnitBoundary.objects.filter(
            unit__path__startswith=root.path, unit__level=UnitLevel.GRID, valid_to__isnull=True
        ).values("unit_id", "min_lon", "min_lat", "max_lon", "max_lat")
    }
    rows = []
    for unit in units.values():
        if unit["level"] != UnitLevel.GRID:
            continue
        community = units.get(unit["parent_id"])
        street = units.get(community["parent_id"]) if community else None
        if community is None or street is None:
            continue
        district_id = street["parent_id"] if street["parent_id"] in units else street["id"]
        box = boxes.get(unit["id"])
        lon, lat = unit["centroid_lon"], unit["centroid_lat"]
        if box is not None:
            lon = lon if lon is not None else (box["min_lon"] + box["max_lon"]) / 2
            lat = lat if lat is not None else (box["min_lat"] + box["max_lat"]) / 2
            sd = ((box["max_lon"] - box["min_lon"]) / 5, (box["max_lat"] - box["min_lat"]) / 5)
        else:
            sd = (0.001, 0.001)
        if lon is None or lat is None:
            continue
        rows.append(
            (
                unit["id"],
                community["id"],
                street["id"],
                district_id,
                unit["population"],
                lon,
                lat,
                *sd,
                community["name"],
            )
        )
    if not rows:
        raise ValueError(f"no grid with a boundary or centroid under {root.code}")
    rows.sort()
    district_ids = sorted({r[3] for r in rows})
    position = {d: i for i, d in enumerate(district_ids)}
    population = np.array([max(r[4], 1) for r in rows], dtype=float)
    district = np.array([position[r[3]] for r in rows])
    hotspots = []
    for d in range(len(district_ids)):
        members = np.flatnonzero(district == d)
        take = min(HOTSPOTS_PER_DISTRICT, len(members))
        hotspots.extend(rng.choice(members, size=take, replace=False).tolist())
    return _Grids(
        ids=np.array([r[0] for r in rows]),
        community=np.array([r[1] for r in rows]),
        street=np.array([r[2] for r in rows]),
        district=district,
        weight=population / population.sum(),
        lon=np.array([r[5] for r in rows]),
        lat=np.array([r[6] for r in rows]),
        sd_lon=np.array([r[7] for r in rows]),
        sd_lat=np.array([r[8] for r in rows]),
        community_name=[r[9] for r in rows],
        district_ids=district_ids,
        hotspots=np.array(sorted(hotspots)),
    )


# --- when and what --------------------------------------------------------------------------


def _days(start: date, end: date) -> tuple[list[date], np.ndarray, np.ndarray]:
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    months = np.array([d.month - 1 for d in days])
    workday = np.array([d.weekday() < 5 for d in days])
    return days, months, workday


def _day_weights(profile: Profile, months: np.ndarray, workday: np.ndarray) -> np.ndarray:
    season = np.take(profile.season, months).astype(float)
    mix = profile.channels
    total = sum(mix.values())
    work = sum(share * DAY_FACTOR[ch][0] for ch, share in mix.items()) / total
    rest = sum(share * DAY_FACTOR[ch][1] for ch, share in mix.items()) / total
    weights = season * np.where(workday, work, rest)
    return weights / weights.sum() if weights.sum() > 0 else weights


@dataclass
class _Draw:
    """One batch of cases, column by column (times in epoch seconds, UTC)."""

    profile: np.ndarray
    created: np.ndarray
    grid: np.ndarray
    channel: np.ndarray


def _plan_counts(total: int, rng: np.random.Generator, months: np.ndarray, workday: np.ndarray):
    """Cases per (profile, day): multinomial over profiles by weight, then over days by
    season × weekday rhythm."""
    weights = np.array([p.weight for p in PROFILES], dtype=float)
    per_profile = rng.multinomial(total, weights / weights.sum())
    counts = np.zeros((len(PROFILES), len(months)), dtype=np.int64)
    for i, profile in enumerate(PROFILES):
        day_weights = _day_weights(profile, months, workday)
        if day_weights.sum() > 0:
            counts[i] = rng.multinomial(per_profile[i], day_weights)
    return counts


def _draw_days(
    counts: np.ndarray,
    begin: int,
    stop: int,
    day_starts: np.ndarray,
    workday: np.ndarray,
    grids: _Grids,
    rng: np.random.Generator,
) -> _Draw:
    """Every case of days ``begin`` ≤ d < ``stop``, in time order: per profile, a channel
    from its working-day or rest-day mix, an hour from the channel's hours, a grid."""
    cumulative = np.cumsum(grids.weight)
    profiles, channels, grid_idx, created = [], [], [], []
    for p, profile in enumerate(PROFILES):
        per_day = counts[p, begin:stop]
        n = int(per_day.sum())
        if not n:
            continue
        day = np.repeat(np.arange(begin, stop), per_day)
        names = list(profile.channels)
        chosen = np.empty(n, dtype=np.int64)
        for rest in (0, 1):
            mask = workday[day] == (rest == 0)
            if not mask.any():
                continue
            shares = np.array([profile.channels[c] * DAY_FACTOR[c][rest] for c in names])
            if shares.sum() <= 0:
                shares = np.ones(len(names))
            chosen[mask] = rng.choice(len(names), size=int(mask.sum()), p=shares / shares.sum())
        hours = np.empty(n, dtype=np.int64)
        for c in np.unique(chosen).tolist():
            mask = chosen == c
            table = np.array(HOURS[hour_profile(profile, names[c])], dtype=float)
            hours[mask] = rng.choice(24, size=int(mask.sum()), p=table / table.sum())
        place = np.searchsorted(cumulative, rng.random(n) * cumulative[-1], side="right")
        place = np.minimum(place, len(grids.ids) - 1)
        share = sum(profile.hotspots.values())
        if share and len(grids.hotspots):
            hot = rng.random(n) < share
            place[hot] = rng.choice(grids.hotspots, size=int(hot.sum()))
        profiles.append(np.full(n, p))
        channels.append(np.array(names, dtype=object)[chosen])
        grid_idx.append(place)
        created.append(day_starts[day] + hours * 3600 + rng.integers(0, 3600, size=n))
    if not profiles:
        empty = np.array([], dtype=np.int64)
        return _Draw(empty, empty, empty, np.array([], dtype=object))
    when = np.concatenate(created)
    order = np.argsort(when, kind="stable")
    return _Draw(
        profile=np.concatenate(profiles)[order],
        created=when[order],
        grid=np.concatenate(grid_idx)[order],
        channel=np.concatenate(channels)[order],
    )


# --- what became of it ------------------------------------------------------------------------

NAT = np.iinfo(np.int64).min  # "never" in the epoch-second columns


@dataclass
class _Fate:
    status: np.ndarray
    dispatched: np.ndarray
    responded: np.ndarray
    handled: np.ndarray
    closed: np.ndarray
    rated: np.ndarray
    response_due: np.ndarray
    resolve_due: np.ndarray
    rating: np.ndarray
    return_count: np.ndarray
    reopen_count: np.ndarray
    merged_into: np.ndarray  # position in the batch, -1 for none
    dispatched_ok: np.ndarray  # bool: has a lead department


def _lognormal_hours(rng: np.random.Generator, median: float, sigma: float, n: int) -> np.ndarray:
    return np.exp(rng.normal(np.log(median), sigma, n)) * 3600


def _fates(
    draw: _Draw,
    now: int,
    limits: tuple[np.ndarray, np.ndarray],
    urgent: np.ndarray,
    difficulty: np.ndarray,
    rng: np.random.Generator,
) -> _Fate:
    n = len(draw.created)
    t0 = draw.created.astype(np.float64)
    response_limit, resolve_limit = limits
    roll = rng.random(n)
    manual = np.isin(draw.channel, NOT_AUTO)
    duplicate = np.isin(draw.channel, [Channel.WEB.value, Channel.HOTLINE.value])
    duplicate &= rng.random(n) < 0.03
    duplicate[0] = False
    withdrawn = manual & ~duplicate & (roll < 0.015)
    rejected = manual & ~duplicate & (roll >= 0.015) & (roll < 0.055)
    alive = ~(duplicate | withdrawn | rejected)
    speed = np.where(urgent, 0.15, 1.0)

    registered = t0 + _lognormal_hours(rng, 0.6, 1.0, n) * speed
    returned = alive & (rng.random(n) < 0.06 * difficulty)
    first_dispatch = registered + _lognormal_hours(rng, 0.8, 1.0, n) * speed
    redispatch = first_dispatch + _lognormal_hours(rng, 6.0, 0.8, n) * speed
    dispatched = np.where(returned, redispatch, first_dispatch)
    response_due = dispatched + response_limit
    resolve_due = dispatched + resolve_limit
    late = rng.random(n) < 0.04
    responded = np.where(
        late,
        response_due + rng.uniform(20, 300, n) * 60,
        dispatched + rng.uniform(0.05, 0.9, n) * response_limit,
    )
    suspended = rng.random(n) < 0.03 * difficulty
    pause = np.where(suspended, rng.uniform(1.5, 15, n) * 86400, 0.0)
    resolve_due = resolve_due + pause
    overdue = rng.random(n) < 0.09 * difficulty
    window = np.maximum(resolve_due - responded, 600.0)
    handled = np.where(
        overdue,
        np.maximum(resolve_due, responded) + _lognormal_hours(rng, 27.0, 0.8, n),
        responded + rng.uniform(0.15, 0.75, n) * window,
    )
    # verification and closing take a share of what is left of the window (a case
    # handled in time is mostly closed in time, as the history's shares say)
    sent_back = rng.random(n) < 0.04 * difficulty
    handled = handled + np.where(sent_back, rng.uniform(0.05, 0.2, n) * window, 0.0)
    left = np.maximum(resolve_due - handled, 0.0)
    slack = np.where(left > 0, left, window * 0.1)
    verified = handled + np.minimum(_lognormal_hours(rng, 8.0, 0.8, n) * speed, 0.6 * slack)
    closed = verified + np.minimum(_lognormal_hours(rng, 2.0, 0.8, n) * speed, 0.3 * slack)

    # ratings: 5 % never, 10 % satisfied by default after seven days, the rest by the
    # reporter; dissatisfaction grows with difficulty and lateness; 40 % of the
    # dissatisfied reopen the case once, which is then closed and rated again
    unhappy = 0.10 * difficulty * np.where(overdue, 1.8, 1.0)
    kind = rng.random(n)
    mood = rng.random(n)
    first = np.where(
        mood < unhappy,
        Rating.DISSATISFIED.value,
        np.where(mood < unhappy + 0.18, Rating.BASIC.value, Rating.SATISFIED.value),
    ).astype(object)
    rated = closed + _lognormal_hours(rng, 9.0, 1.0, n)
    auto = (kind >= 0.05) & (kind < 0.15)
    first[auto] = Rating.SATISFIED.value
    rated[auto] = closed[auto] + 7 * 86400
    never = kind < 0.05
    reopen = (first == Rating.DISSATISFIED.value) & ~auto & ~never & (rng.random(n) < 0.4)
    reopened_at = rated + rng.uniform(1, 48, n) * 3600
    closed_again = reopened_at + rng.uniform(2, 8, n) * 86400
    rated_again = closed_again + _lognormal_hours(rng, 9.0, 1.0, n)
    second = rng.random(n)
    again = np.where(
        second < 0.55,
        Rating.SATISFIED.value,
        np.where(second < 0.85, Rating.BASIC.value, Rating.DISSATISFIED.value),
    ).astype(object)

    # where each case stands at ``now``: the last milestone it reached
    steps = [
        (registered, S.REGISTERED.value),
        (dispatched, S.DISPATCHED.value),
        (responded, S.ACCEPTED.value),
        (handled, S.HANDLED.value),
        (verified, S.VERIFIED.value),
        (closed, S.CLOSED.value),
    ]
    status = np.full(n, S.SUBMITTED.value, dtype=object)
    for at, name in steps:
        status[at <= now] = name
    status[~never & (rated <= now)] = S.RATED.value
    in_second = reopen & (reopened_at <= now)
    status[in_second] = S.REOPENED.value
    status[in_second & (closed_again <= now)] = S.CLOSED.value
    status[in_second & (rated_again <= now)] = S.RATED.value
    closed = np.where(in_second & (closed_again <= now), closed_again, closed)
    rated = np.where(in_second & (rated_again <= now), rated_again, rated)
    rating = np.where(in_second & (rated_again <= now), again, first)
    has_rating = alive & (rated <= now) & ~never

    def when(at: np.ndarray, reached: np.ndarray) -> np.ndarray:
        out = at.astype(np.int64)
        out[~(reached & alive & (at <= now))] = NAT
        return out

    was_dispatched = alive & (dispatched <= now)
    fate = _Fate(
        status=status,
        dispatched=when(dispatched, was_dispatched),
        responded=when(responded, was_dispatched),
        handled=when(handled, was_dispatched),
        closed=when(closed, was_dispatched),
        rated=when(rated, has_rating),
        response_due=np.where(was_dispatched, response_due, t0 + response_limit),
        resolve_due=np.where(was_dispatched, resolve_due, NAT),
        rating=np.where(has_rating, rating, ""),
        return_count=(returned & was_dispatched).astype(np.int64),
        reopen_count=in_second.astype(np.int64),
        merged_into=np.full(n, -1, dtype=np.int64),
        dispatched_ok=was_dispatched,
    )
    fate.resolve_due = fate.resolve_due.astype(np.int64)
    fate.response_due = fate.response_due.astype(np.int64)
    fate.status[withdrawn] = S.WITHDRAWN.value
    fate.status[rejected] = S.NOT_ACCEPTED.value
    # a duplicate is merged into the latest earlier case of the batch that is not one
    positions = np.where(duplicate, -1, np.arange(n))
    target = np.maximum.accumulate(positions)
    merged = duplicate & (target >= 0)
    fate.status[merged] = S.MERGED.value
    fate.merged_into[merged] = target[merged]
    fate.closed[merged] = fate.closed[target[merged]]
    fate.status[duplicate & ~merged] = S.WITHDRAWN.value
    return fate


# --- writing ------------------------------------------------------------------------------


def _stamp(seconds: np.ndarray, suffix: str) -> list[str | None]:
    """Epoch seconds → the database's datetime text (UTC), ``None`` for never."""
    never = seconds == NAT
    text = np.datetime_as_string(np.where(never, 0, seconds).astype("datetime64[s]"), unit="s")
    out: list[str | None] = [t.replace("T", " ") + suffix for t in text.tolist()]
    for i in np.flatnonzero(never).tolist():
        out[i] = None
    return out


@dataclass
class _Catalogue:
    category_ids: list[int]
    category_names: list[str]
    urgency: list[str]
    response: np.ndarray
    resolve: np.ndarray
    department: dict[tuple[int, str], int]  # (district id, key) → department id
    department_key: list[str]


def _catalogue(grids: _Grids) -> _Catalogue:
    categories = {(c.kind, c.code): c for c in Category.objects.all()}
    missing = [p.key for p in PROFILES if (p.kind, p.code) not in categories]
    if missing:
        raise ValueError(f"categories missing for profiles: {', '.join(missing)}")
    chosen = [categories[(p.kind, p.code)] for p in PROFILES]
    departments = {
        (d["jurisdiction_id"], d["key"]): d["id"]
        for d in Department.objects.filter(jurisdiction_id__in=grids.district_ids).values(
            "id", "jurisdiction_id", "key"
        )
    }
    return _Catalogue(
        category_ids=[c.id for c in chosen],
        category_names=[c.name for c in chosen],
        urgency=[c.urgency for c in chosen],
        response=np.array(
            [c.response_limit * LIMIT_SECONDS[c.response_unit] for c in chosen], dtype=float
        ),
        resolve=np.array(
            [c.resolve_limit * LIMIT_SECONDS[c.resolve_unit] for c in chosen], dtype=float
        ),
        department=departments,
        department_key=[c.default_department_key for c in chosen],
    )


def _columns(
    draw: _Draw,
    fate: _Fate,
    first_id: int,
    grids: _Grids,
    cat: _Catalogue,
    rng: np.random.Generator,
    suffix: str,
) -> dict[str, list[Any]]:
    n = len(draw.created)
    ids = np.arange(first_id, first_id + n)
    g = draw.grid
    lon = grids.lon[g] + rng.normal(0, 1, n) * grids.sd_lon[g]
    lat = grids.lat[g] + rng.normal(0, 1, n) * grids.sd_lat[g]
    lon, lat = np.round(lon, 6), np.round(lat, 6)
    building = rng.integers(1, 40, n)
    text_pick = rng.random(n)
    codes = [f"{CODE_PREFIX}{i:012d}" for i in ids.tolist()]
    addresses = [
        f"{grids.community_name[gi]}{b}号楼"
        for gi, b in zip(g.tolist(), building.tolist(), strict=True)
    ]
    descriptions = []
    search = []
    for code, p, address, pick in zip(
        codes, draw.profile.tolist(), addresses, text_pick.tolist(), strict=True
    ):
        texts = PROFILES[p].texts
        text = texts[int(pick * len(texts))].format(place=address)
        descriptions.append(text)
        search.append(f"{code.lower()} {cat.category_names[p]} {address} {text}")
    district = np.array(grids.district_ids)[grids.district[g]]
    department: list[int | None] = []
    for ok, d, p in zip(
        fate.dispatched_ok.tolist(), district.tolist(), draw.profile.tolist(), strict=True
    ):
        if not ok:
            department.append(None)
            continue
        key = cat.department_key[p]
        department.append(cat.department.get((d, key)) or cat.department.get((d, "street_office")))
    merged = [int(ids[t]) if t >= 0 else None for t in fate.merged_into.tolist()]
    created = _stamp(draw.created, suffix)
    profile = draw.profile
    return {
        "id": ids.tolist(),
        "tracking_code": codes,
        "category_id": [cat.category_ids[p] for p in profile.tolist()],
        "channel": draw.channel.tolist(),
        "status": [str(s) for s in fate.status.tolist()],
        "description": descriptions,
        "address": addresses,
        "lon": lon.tolist(),
        "lat": lat.tolist(),
        "area_id": grids.ids[g].tolist(),
        "grid_id": grids.ids[g].tolist(),
        "community_id": grids.community[g].tolist(),
        "street_id": grids.street[g].tolist(),
        "owner_unit_id": grids.community[g].tolist(),
        "department_id": department,
        "urgency": [cat.urgency[p] for p in profile.tolist()],
        "response_due": _stamp(fate.response_due, suffix),
        "resolve_due": _stamp(fate.resolve_due, suffix),
        "dispatched_at": _stamp(fate.dispatched, suffix),
        "responded_at": _stamp(fate.responded, suffix),
        "handled_at": _stamp(fate.handled, suffix),
        "closed_at": _stamp(fate.closed, suffix),
        "rating": [str(r) for r in fate.rating.tolist()],
        "rated_at": _stamp(fate.rated, suffix),
        "reopen_count": fate.reopen_count.tolist(),
        "return_count": fate.return_count.tolist(),
        "merged_into_id": merged,
        "search_text": search,
        "created_at": created,
        "updated_at": created,
    }


def _column_names(model: Any, *, skip_id: bool = False) -> list[str]:
    names = [str(f.column) for f in model._meta.concrete_fields]
    return [n for n in names if not (skip_id and n == "id")]


def _defaults() -> dict[str, Any]:
    """Every other column of ``cases_case`` with its default, as the database stores it."""
    out: dict[str, Any] = {}
    for f in Case._meta.concrete_fields:
        if f.has_default():
            value = f.get_default()
            out[str(f.column)] = f.get_db_prep_save(value, connection)
        elif f.null:
            out[str(f.column)] = None
        else:
            out[str(f.column)] = ""
    return out


def _insert(columns: dict[str, list[Any]], defaults: dict[str, Any]) -> None:
    names = _column_names(Case)
    n = len(columns["id"])
    values = [columns[c] if c in columns else [defaults[c]] * n for c in names]
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {Case._meta.db_table} ({quoted}) VALUES ({marks})"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(zip(*values, strict=True)))


def _reset_sequence() -> None:
    statements = connection.ops.sequence_reset_sql(_NoStyle(), [Case])  # type: ignore[arg-type]
    if statements:
        with connection.cursor() as cursor:
            for statement in statements:
                cursor.execute(statement)


class _NoStyle:
    def __getattr__(self, name: str) -> Callable[[str], str]:
        return lambda text: text


def _drop_search_index() -> None:
    from grassroots.cases import search

    with connection.cursor() as cursor:
        for statement in (
            search.SQLITE_FTS_DROP_SQL
            if connection.vendor == "sqlite"
            else search.POSTGRES_TRGM_DROP_SQL
            if connection.vendor == "postgresql"
            else []
        ):
            cursor.execute(statement)


def _drop_indexes(model: Any) -> list[str]:
    """SQLite only: drop the case table's secondary indexes, return their SQL. Filling a
    table and indexing it afterwards is several times faster than keeping millions of
    random B-tree inserts in step."""
    if connection.vendor != "sqlite":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
            "AND sql IS NOT NULL",
            [model._meta.db_table],
        )
        found = cursor.fetchall()
        for name, _sql in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _name, sql in found]


def _create_indexes(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _chunks(days: list[date], counts: np.ndarray, batch: int) -> Iterator[tuple[int, int]]:
    """Runs of consecutive days holding about ``batch`` cases each."""
    per_day = counts.sum(axis=0)
    begin, held = 0, 0
    for i in range(len(days)):
        held += int(per_day[i])
        if held >= batch:
            yield begin, i + 1
            begin, held = i + 1, 0
    if begin < len(days):
        yield begin, len(days)


# --- the summaries ------------------------------------------------------------------------

_FLAGS = (
    "received",
    "excluded",
    "merged",
    "not_accepted",
    "withdrawn",
    "dispatched",
    "responded_on_time",
    "returned",
    "handled",
    "closed",
    "closed_on_time",
    "ever_closed",
    "reopened",
    "rated",
    "satisfied",
    "basic",
    "dissatisfied",
    "solved",
)
EXCLUDED = [S.MERGED.value, S.NOT_ACCEPTED.value, S.WITHDRAWN.value]
HANDLED = [S.HANDLED.value, S.VERIFIED.value, S.CLOSED.value, S.RATED.value]
CLOSED = [S.CLOSED.value, S.RATED.value]
VERIFY_SAMPLE = 2000


def fact_columns(
    *,
    created: np.ndarray,
    status: np.ndarray,
    dispatched: np.ndarray,
    responded: np.ndarray,
    response_due: np.ndarray,
    handled: np.ndarray,
    closed: np.ndarray,
    resolve_due: np.ndarray,
    rating: np.ndarray,
    reopen_count: np.ndarray,
    return_count: np.ndarray,
    utc_offset: int,
) -> dict[str, np.ndarray]:
    """``insight.summary.fact_of`` for a whole batch at once (times in epoch seconds,
    ``NAT`` for none): the received day (days since 1970 in local time) and every
    counter. :meth:`_Facts.verify_sample` holds it to ``fact_of`` on every run."""
    has = {
        "dispatched": dispatched != NAT,
        "responded": responded != NAT,
        "response_due": response_due != NAT,
        "handled": handled != NAT,
        "closed": closed != NAT,
        "resolve_due": resolve_due != NAT,
    }
    excluded = np.isin(status, EXCLUDED)
    valid = ~excluded
    out: dict[str, np.ndarray] = {"day": (created + utc_offset) // 86400}
    out["received"] = np.ones(len(created), dtype=np.int64)
    out["excluded"] = excluded
    out["merged"] = status == S.MERGED.value
    out["not_accepted"] = status == S.NOT_ACCEPTED.value
    out["withdrawn"] = status == S.WITHDRAWN.value
    dispatched_ok = valid & has["dispatched"]
    out["dispatched"] = dispatched_ok
    out["responded_on_time"] = (
        dispatched_ok & has["responded"] & has["response_due"] & (responded <= response_due)
    )
    out["returned"] = dispatched_ok & (return_count > 0)
    handled_ok = dispatched_ok & np.isin(status, HANDLED) & has["handled"] & (handled >= dispatched)
    out["handled"] = handled_ok
    out["handling_hours"] = np.where(handled_ok, (handled - dispatched) / 3600.0, 0.0)
    closed_ok = valid & np.isin(status, CLOSED) & has["closed"]
    out["closed"] = closed_ok
    out["closed_on_time"] = closed_ok & has["resolve_due"] & (closed <= resolve_due)
    ever = valid & has["closed"]
    out["ever_closed"] = ever
    out["reopened"] = ever & (reopen_count > 0)
    rated = valid & (rating != "")
    out["rated"] = rated
    out["satisfied"] = rated & (rating == Rating.SATISFIED.value)
    out["basic"] = rated & (rating == Rating.BASIC.value)
    out["dissatisfied"] = rated & (rating == Rating.DISSATISFIED.value)
    out["solved"] = rated & (rating != Rating.DISSATISFIED.value) & (reopen_count == 0)
    for name in _FLAGS:
        out[name] = out[name].astype(np.int64)
    return out


def _day_text(days: np.ndarray) -> list[str]:
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").tolist()


def _month_of(days: np.ndarray) -> np.ndarray:
    """Days since 1970 → the first day of their month, as days since 1970."""
    return (
        days.astype("datetime64[D]")
        .astype("datetime64[M]")
        .astype("datetime64[D]")
        .astype(np.int64)
    )


class _Facts:
    """``CaseFact`` rows written batch by batch, the rollups summed with pandas and written
    at the end (one row per unit on each area's path, as ``summary.rebuild`` does)."""

    def __init__(self, grids: _Grids, *, defer_indexes: bool) -> None:
        import pandas as pd

        self.pd = pd
        self.defer_indexes = defer_indexes
        self.monthly: list[Any] = []
        self.daily: list[Any] = []
        self.cells: list[Any] = []
        self.units: dict[int, tuple[str, str, int | None]] = {}
        root_path = None
        for grid_id in grids.ids[:1].tolist():
            root_path = "/" + Unit.objects.get(pk=grid_id).path.split("/")[1] + "/"
        for pk, level, path, parent in Unit.objects.filter(
            path__startswith=root_path or "/"
        ).values_list("pk", "level", "path", "parent_id"):
            self.units[pk] = (level, path, parent)
        offset = datetime(2025, 1, 1, tzinfo=TZ).utcoffset()
        self.utc_offset = int(offset.total_seconds()) if offset else 0
        self.deferred: list[str] = []

    def clear(self) -> None:
        from grassroots.insight.models import CaseFact, CellStat, DailyStat, MonthlyStat

        if Case.objects.exists():
            raise ValueError(
                "bulk summaries need an empty case table (use summaries='rebuild' to add "
                "cases to a database that has some)"
            )
        for model in (CaseFact, MonthlyStat, DailyStat, CellStat):
            model.objects.all().delete()
        if self.defer_indexes:
            for model in (CaseFact, MonthlyStat, DailyStat, CellStat):
                self.deferred += _drop_indexes(model)

    def add(
        self,
        columns: dict[str, list[Any]],
        draw: _Draw,
        fate: _Fate,
        *,
        lon: np.ndarray,
        suffix: str,
    ) -> None:
        from grassroots.insight.models import CaseFact

        pd = self.pd
        counts = fact_columns(
            created=draw.created,
            status=fate.status,
            dispatched=fate.dispatched,
            responded=fate.responded,
            response_due=fate.response_due,
            handled=fate.handled,
            closed=fate.closed,
            resolve_due=fate.resolve_due,
            rating=fate.rating,
            reopen_count=fate.reopen_count,
            return_count=fate.return_count,
            utc_offset=self.utc_offset,
        )
        day = counts.pop("day")
        month = _month_of(day)
        cells = [
            str(h3.latlng_to_cell(y, x, H3_RESOLUTION))
            for y, x in zip(columns["lat"], columns["lon"], strict=True)
        ]
        area = columns["area_id"]
        paths = [self.units[a][1] for a in area]
        department = [-1 if d is None else d for d in columns["department_id"]]
        frame = pd.DataFrame(
            {
                "day": day,
                "month": month,
                "channel": columns["channel"],
                "category_id": columns["category_id"],
                "area_id": area,
                "department_id": department,
                "h3_cell": cells,
                **counts,
            }
        )
        names = _column_names(CaseFact)
        values = {
            "case_id": columns["id"],
            "received_on": _day_text(day),
            "month": _day_text(month),
            "channel": columns["channel"],
            "category_id": columns["category_id"],
            "area_id": area,
            "unit_path": paths,
            "department_id": columns["department_id"],
            "h3_cell": cells,
            **{name: counts[name].tolist() for name in _FLAGS},
            "handling_hours": counts["handling_hours"].tolist(),
        }
        _executemany(CaseFact, names, [values[n] for n in names])
        measures = [*_FLAGS, "handling_hours"]
        keys = ["month", "area_id", "department_id", "category_id", "channel"]
        self.monthly.append(frame.groupby(keys, sort=False)[measures].sum().reset_index())
        by_day = ["day", "area_id", "category_id"]
        self.daily.append(frame.groupby(by_day, sort=False).size().rename("n").reset_index())
        by_cell = ["month", "h3_cell", "area_id", "category_id"]
        self.cells.append(frame.groupby(by_cell, sort=False).size().rename("n").reset_index())
        del suffix

    def finish(self, *, suffix: str) -> None:
        from grassroots.insight.models import CellStat, DailyStat, MonthlyStat

        pd = self.pd
        del suffix
        if not self.monthly:
            return
        measures = [*_FLAGS, "handling_hours"]
        keys = ["month", "area_id", "department_id", "category_id", "channel"]
        monthly = pd.concat(self.monthly).groupby(keys, sort=False)[measures].sum().reset_index()
        self.monthly = []
        chains = {area: self._chain(area) for area in monthly["area_id"].unique().tolist()}
        depth = max(len(c) for c in chains.values())
        names = _column_names(MonthlyStat, skip_id=True)
        rolled = ["month", "unit_id", "department_id", "category_id", "channel"]
        for k in range(depth):
            unit = monthly["area_id"].map(
                {a: (c[k] if k < len(c) else -1) for a, c in chains.items()}
            )
            part = monthly.assign(unit_id=unit)
            part = part[part["unit_id"] >= 0]
            part = part.groupby(rolled, sort=False)[measures].sum().reset_index()
            for chunk in _slices(part):
                unit_ids = chunk["unit_id"].tolist()
                values = {
                    "month": _day_text(chunk["month"].to_numpy()),
                    "unit_id": unit_ids,
                    "level": [self.units[u][0] for u in unit_ids],
                    "unit_path": [self.units[u][1] for u in unit_ids],
                    "parent_id": [self.units[u][2] for u in unit_ids],
                    "department_id": [
                        None if d < 0 else d for d in chunk["department_id"].tolist()
                    ],
                    "category_id": chunk["category_id"].tolist(),
                    "channel": chunk["channel"].tolist(),
                    **{m: chunk[m].tolist() for m in measures},
                }
                with transaction.atomic():
                    _executemany(MonthlyStat, names, [values[n] for n in names])
        del monthly
        daily = pd.concat(self.daily).groupby(["day", "area_id", "category_id"])["n"].sum()
        daily = daily.reset_index()
        self.daily = []
        names = _column_names(DailyStat, skip_id=True)
        for chunk in _slices(daily):
            area = chunk["area_id"].tolist()
            values = {
                "day": _day_text(chunk["day"].to_numpy()),
                "unit_id": area,
                "unit_path": [self.units[a][1] for a in area],
                "category_id": chunk["category_id"].tolist(),
                "received": chunk["n"].tolist(),
            }
            with transaction.atomic():
                _executemany(DailyStat, names, [values[n] for n in names])
        del daily
        by_cell = ["month", "h3_cell", "area_id", "category_id"]
        cells = pd.concat(self.cells).groupby(by_cell)["n"].sum().reset_index()
        self.cells = []
        names = _column_names(CellStat, skip_id=True)
        for chunk in _slices(cells):
            area = chunk["area_id"].tolist()
            values = {
                "month": _day_text(chunk["month"].to_numpy()),
                "h3_cell": chunk["h3_cell"].tolist(),
                "unit_id": area,
                "unit_path": [self.units[a][1] for a in area],
                "category_id": chunk["category_id"].tolist(),
                "received": chunk["n"].tolist(),
            }
            with transaction.atomic():
                _executemany(CellStat, names, [values[n] for n in names])
        _create_indexes(self.deferred)

    def _chain(self, area: int) -> list[int]:
        """``area`` and every unit above it that the tree holds."""
        chain = []
        current: int | None = area
        while current is not None and current in self.units:
            chain.append(current)
            current = self.units[current][2]
        return chain

    def verify_sample(self, first_id: int, count: int, rng: np.random.Generator) -> None:
        """Hold the written facts to ``insight.summary.fact_of`` on a random sample."""
        from grassroots.insight.models import MEASURES, CaseFact
        from grassroots.insight.summary import CASE_COLUMNS, _Row, fact_of

        if not count:
            return
        ids = rng.choice(count, size=min(VERIFY_SAMPLE, count), replace=False) + first_id
        rows = Case.objects.filter(pk__in=ids.tolist()).values_list(*CASE_COLUMNS)
        stored = {f.case_id: f for f in CaseFact.objects.filter(case_id__in=ids.tolist())}
        for values in rows:
            row = _Row(*values)
            expected = fact_of(row, area_path=self.units[row.area_id][1])
            fact = stored.get(row.pk)
            if fact is None:
                raise RuntimeError(f"bulk summaries: no fact for case {row.pk}")
            for name, value in expected.items():
                got = getattr(fact, name)
                same = abs(got - value) < 1e-6 if name in MEASURES else got == value
                if not same:
                    raise RuntimeError(
                        f"bulk summaries differ from summary.fact_of for case {row.pk}: "
                        f"{name} = {got!r}, expected {value!r}"
                    )


def _slices(frame: Any, size: int = BATCH) -> Iterator[Any]:
    for start in range(0, len(frame), size):
        yield frame.iloc[start : start + size]


def _executemany(model: Any, names: list[str], columns: list[list[Any]]) -> None:
    quoted = ", ".join(connection.ops.quote_name(c) for c in names)
    marks = ", ".join(["%s"] * len(names))
    sql = f"INSERT INTO {model._meta.db_table} ({quoted}) VALUES ({marks})"  # noqa: S608
    rows = list(zip(*columns, strict=True))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[start : start + BATCH])


def bulk_cases(
    *,
    root_code: str,
    total: int,
    months: int = 24,
    end: datetime | None = None,
    seed: int = 20250101,
    batch: int = BATCH,
    search_index: str = "keep",
    defer_indexes: bool = False,
    summaries: str = "bulk",
    progress: bool = False,
) -> BulkResult:
    """Write about ``total`` cases over the ``months`` calendar months ending with ``end``'s
    month (default now; the current month up to ``end``) in the grids under
    ``root_code``, then rebuild the insight summaries (``summaries``).

    ``search_index``: ``"keep"`` writes through the search index, ``"drop"`` drops it first.
    ``defer_indexes`` (SQLite): drop the case table's other indexes while writing and
    create them again at the end.
    """
    if total < 1:
        raise ValueError("total must be ≥ 1")
    if summaries not in ("bulk", "rebuild", "none"):
        raise ValueError("summaries is 'bulk', 'rebuild' or 'none'")
    if search_index not in ("keep", "drop"):
        raise ValueError("search_index is 'keep' or 'drop'")
    end = (end or datetime.now(TZ)).astimezone(TZ).replace(microsecond=0)
    first_day = months_back(end.date(), months)
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=TZ)
    root = Unit.objects.get(code=root_code)
    rng = np.random.default_rng([seed, 0xB07C])
    grids = _load_grids(root, rng)
    cat = _catalogue(grids)
    urgent = np.array([u == "emergency" for u in cat.urgency])
    difficulty = np.array([p.difficulty for p in PROFILES])
    days, month_index, workday = _days(first_day, end.date())
    counts = _plan_counts(total, rng, month_index, workday)
    now = int(end.timestamp())
    day_starts = np.array(
        [int(datetime.combine(d, datetime.min.time(), TZ).timestamp()) for d in days]
    )
    suffix = "" if connection.vendor == "sqlite" else "+00:00"
    if search_index == "drop":
        _drop_search_index()
    deferred = _drop_indexes(Case) if defer_indexes else []
    facts = _Facts(grids, defer_indexes=defer_indexes)
    if summaries == "bulk":
        facts.clear()
    defaults = _defaults()
    first_id = (Case.objects.aggregate(m=Max("id"))["m"] or 0) + 1
    result = BulkResult(cases=0, first_id=first_id, start=start, end=end)
    started = time.perf_counter()
    statuses: dict[str, int] = {}
    with tqdm(total=total, desc="bulk cases", unit="case", disable=not progress) as bar:
        for begin, stop in _chunks(days, counts, batch):
            draw = _draw_days(counts, begin, stop, day_starts, workday, grids, rng)
            # the last day ends at ``end``: its reports drawn later fall earlier that day
            late = draw.created > now
            if late.any():
                day_start = int(day_starts[-1])
                draw.created[late] = rng.integers(day_start, max(now, day_start) + 1, late.sum())
                order = np.argsort(draw.created, kind="stable")
                draw = _Draw(*(column[order] for column in vars(draw).values()))
            if not len(draw.created):
                continue
            limits = (cat.response[draw.profile], cat.resolve[draw.profile])
            fate = _fates(draw, now, limits, urgent[draw.profile], difficulty[draw.profile], rng)
            columns = _columns(draw, fate, first_id + result.cases, grids, cat, rng, suffix)
            with transaction.atomic():
                _insert(columns, defaults)
                if summaries == "bulk":
                    facts.add(columns, draw, fate, lon=np.array(columns["lon"]), suffix=suffix)
            for status in columns["status"]:
                statuses[status] = statuses.get(status, 0) + 1
            result.cases += len(draw.created)
            bar.update(len(draw.created))
    _reset_sequence()
    _create_indexes(deferred)
    result.statuses = statuses
    result.seconds_cases = time.perf_counter() - started
    if summaries == "bulk":
        started = time.perf_counter()
        facts.finish(suffix=suffix)
        facts.verify_sample(first_id, result.cases, rng)
        result.seconds_summary = time.perf_counter() - started
    elif summaries == "rebuild":
        from grassroots.insight import summary

        started = time.perf_counter()
        summary.rebuild()
        result.seconds_summary = time.perf_counter() - started
    # the planner's statistics, as a database in service has them (autovacuum on
    # PostgreSQL, ``PRAGMA optimize`` on SQLite): after millions of rows they matter
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return result
