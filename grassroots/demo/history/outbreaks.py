"""Outbreaks of known size, place and time injected into the demo history, so the early
warning (``insight.scan``) has something real to find and its tests know where to look.

Three, drawn from the seed and the period (none falls outside it):

* ``drainage`` — a burst of sewer reports (event 0404) in one grid of an old estate (or
  the most populous grid) over the three days after the wettest day of the period's last
  two months: the drains of one estate gave way in a storm;
* ``night_noise`` — noise complaints (event 0508) around the night market on four
  evenings ending two days before the end;
* ``repeat_caller`` — one resident phoning the hotline five times in ten days about the
  same neighbour (12345 type H09), from the same address.

Sizes grow with the history's volume (×1 for ``small``, up to ×4), so they stand out
against the district's own background as a real outbreak would, not by orders of
magnitude. ``plan_outbreaks`` is a pure function of its arguments: a test recomputes it
to know what was injected.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import numpy as np
import shapely

from grassroots.cases import calendar

from .intake import TZ, Intake, _phone, _reporter, plan_weather
from .profiles import HOTLINE, NIGHT_MARKET, OLD_ESTATE, PATROL, PROFILES, WEB, Profile
from .setup import District

BASE_VOLUME = 600  # the ``small`` history's reports a year: sizes are for that
DRAINAGE_SIZE = 16
NOISE_SIZE = 14
REPEAT_SIZE = 5
PATROL_HOURS = tuple(range(8, 18))


@dataclass(frozen=True)
class Outbreak:
    key: str
    profile: Profile
    grid: int  # index into District.grids
    grid_code: str
    first_day: date
    days: int
    size: int
    hours: tuple[int, ...]
    channels: tuple[str, ...]
    phone: str = ""  # one reporter for all (the repeat caller)

    @property
    def last_day(self) -> date:
        return self.first_day + timedelta(days=self.days - 1)


def _profile(key: str) -> Profile:
    return next(p for p in PROFILES if p.key == key)


def plan_outbreaks(
    *,
    seed: int,
    district: District,
    start: datetime,
    end: datetime,
    volume: int,
) -> list[Outbreak]:
    """The outbreaks of a history from ``start`` to ``end`` of about ``volume`` reports."""
    rng = np.random.default_rng([seed, 0x0B7, 1])
    first, last = start.astimezone(TZ).date(), end.astimezone(TZ).date()
    days = max((last - first).days, 1)
    annual = volume * 365 / days
    scale = min(max(math.sqrt(annual / BASE_VOLUME), 1.0), 4.0)
    grids = district.grids
    plan: list[Outbreak] = []

    # drainage: the three days after the wettest day between 60 and 4 days before the end
    weather = plan_weather(end, np.random.default_rng([seed, 0x415, 2]), calendar.is_workday)
    lo, hi = max(first + timedelta(days=1), last - timedelta(days=60)), last - timedelta(days=4)
    candidates = [i for i, d in enumerate(weather.days) if lo <= d <= hi]
    estates = district.hotspots.get(OLD_ESTATE) or []
    if candidates and grids:
        wettest = max(candidates, key=lambda i: (weather.rain_mm[i], i))
        pool = estates or [int(np.argmax([g.population for g in grids]))]
        grid = int(rng.choice(pool))
        plan.append(
            Outbreak(
                key="drainage",
                profile=_profile("sewer"),
                grid=grid,
                grid_code=grids[grid].code,
                first_day=weather.days[wettest] + timedelta(days=1),
                days=3,
                size=round(DRAINAGE_SIZE * scale),
                hours=tuple(range(6, 23)),
                channels=(HOTLINE, WEB, PATROL),
            )
        )
    # night noise: four evenings around the night market, ending two days before the end
    market = district.hotspots.get(NIGHT_MARKET) or []
    noise_first = last - timedelta(days=5)
    if market and noise_first > first:
        plan.append(
            Outbreak(
                key="night_noise",
                profile=_profile("noise"),
                grid=market[0],
                grid_code=grids[market[0]].code,
                first_day=noise_first,
                days=4,
                size=round(NOISE_SIZE * scale),
                hours=(19, 20, 21, 22, 23),
                channels=(HOTLINE, WEB),
            )
        )
    # the repeat caller: five calls in ten days, the last the day before the end
    caller_first = last - timedelta(days=10)
    if grids and caller_first > first:
        grid = int(rng.integers(0, len(grids)))
        plan.append(
            Outbreak(
                key="repeat_caller",
                profile=_profile("neighbours"),
                grid=grid,
                grid_code=grids[grid].code,
                first_day=caller_first,
                days=10,
                size=REPEAT_SIZE,
                hours=(9, 10, 14, 15, 16, 19),
                channels=(HOTLINE,),
                phone=_phone(rng),
            )
        )
    return plan


def _point_in(polygon: shapely.Polygon, rng: np.random.Generator) -> tuple[float, float]:
    minx, miny, maxx, maxy = polygon.bounds
    for _ in range(500):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            return float(x), float(y)
    point = polygon.representative_point()
    return point.x, point.y


def outbreak_intakes(
    outbreaks: list[Outbreak],
    *,
    district: District,
    seed: int,
    start: datetime,
    end: datetime,
    first_index: int,
) -> list[Intake]:
    """The reports of the outbreaks, indexed from ``first_index``."""
    rng = np.random.default_rng([seed, 0x0B7, 2])
    out: list[Intake] = []
    for outbreak in outbreaks:
        grid = district.grids[outbreak.grid]
        polygon = grid.polygon
        shapely.prepare(polygon)
        # the repeat caller lives at one address; the others are spread over the grid
        home = f"{grid.community_name}{int(rng.integers(1, 40))}号楼{int(rng.integers(1, 6))}单元"
        name = _reporter(rng)
        # reports per day rise then fall (a triangle over the days)
        weights = np.minimum(np.arange(1, outbreak.days + 1), np.arange(outbreak.days, 0, -1))
        per_day = rng.multinomial(outbreak.size, weights / weights.sum())
        if outbreak.phone:
            picks = sorted(rng.choice(outbreak.days, size=outbreak.size, replace=False).tolist())
            per_day = np.bincount(picks, minlength=outbreak.days)
        for offset, count in enumerate(per_day):
            day = outbreak.first_day + timedelta(days=offset)
            for _ in range(int(count)):
                channel = str(rng.choice(outbreak.channels))
                hours = outbreak.hours
                if channel == PATROL:  # grid workers patrol in working hours
                    hours = tuple(h for h in hours if h in PATROL_HOURS) or PATROL_HOURS
                hour = int(rng.choice(hours))
                at = datetime.combine(day, time(hour), tzinfo=TZ) + timedelta(
                    seconds=int(rng.integers(0, 3600))
                )
                if not start <= at <= end:
                    continue
                lon, lat = _point_in(polygon, rng)
                address = (
                    home
                    if outbreak.phone
                    else f"{grid.community_name}{int(rng.integers(1, 40))}号楼"
                )
                template = outbreak.profile.texts[int(rng.integers(0, len(outbreak.profile.texts)))]
                named = channel != PATROL
                out.append(
                    Intake(
                        index=first_index + len(out),
                        at=at,
                        profile=outbreak.profile,
                        channel=channel,
                        lon=lon,
                        lat=lat,
                        grid=outbreak.grid,
                        description=template.format(place=address),
                        address=address,
                        reporter_name=(name if outbreak.phone else _reporter(rng)) if named else "",
                        reporter_phone=(outbreak.phone or _phone(rng)) if named else "",
                    )
                )
    return out


def inject_outbreaks(
    intakes: list[Intake],
    *,
    seed: int,
    district: District,
    start: datetime,
    end: datetime,
) -> list[Intake]:
    """``intakes`` followed by the outbreaks' reports (the player orders them by time)."""
    plan = plan_outbreaks(seed=seed, district=district, start=start, end=end, volume=len(intakes))
    extra = outbreak_intakes(
        plan, district=district, seed=seed, start=start, end=end, first_index=len(intakes)
    )
    return [*intakes, *extra]
