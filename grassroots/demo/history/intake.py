"""The year's reports planned in memory: when, what, where, through which channel, in whose
words; plus the weather that drives the drainage reports and the water-level sensors.

``plan_intakes`` is a pure function of the seed, the district and the calendar: per
profile and day an expected count (season × weekday rhythm × the day's rain, normalised
so the year holds the profile's share of the annual volume), a Poisson draw, then for each
report a channel, an hour, and a place: a hotspot for the profile's hotspot share,
otherwise a grid drawn in proportion to its population.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import shapely

from grassroots.org.locate import locate_many

from .profiles import (
    DAY_FACTOR,
    HOTLINE,
    HOURS,
    NIGHT_MARKET,
    PROFILES,
    WEB,
    Profile,
    hour_profile,
)
from .setup import District

TZ = ZoneInfo("Asia/Shanghai")
RAIN_CHANCE = (0.06, 0.07, 0.12, 0.18, 0.25, 0.36, 0.52, 0.45, 0.28, 0.17, 0.09, 0.05)
RAIN_MEDIAN_MM = (1.5, 1.5, 2.5, 3.5, 5.0, 8.0, 12.0, 11.0, 6.0, 4.0, 2.5, 1.5)
DUPLICATE_SHARE = 0.03
MARKET_SIGMA_KM = 0.12
READING_EVERY_DAYS = 3  # a routine reading every third morning (excursions: every 30 min)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁"


@dataclass
class Intake:
    index: int
    at: datetime
    profile: Profile
    channel: str
    lon: float
    lat: float
    grid: int  # index into District.grids
    description: str
    address: str
    reporter_name: str
    reporter_phone: str
    use_account: bool = False  # a web report by the demo resident account
    duplicate_of: int | None = None  # index of the intake it repeats


@dataclass
class Weather:
    days: list[date]
    rain_mm: np.ndarray
    workday: np.ndarray  # bool per day


def plan_weather(
    end: datetime, rng: np.random.Generator, is_workday: Callable[[date], bool]
) -> Weather:
    """Daily rain for the 365 days ending on ``end``'s date (storms cluster in July and
    August) and which of them are working days."""
    last = end.astimezone(TZ).date()
    days = [last - timedelta(days=364 - i) for i in range(365)]
    months = np.array([d.month - 1 for d in days])
    wet = rng.random(365) < np.take(RAIN_CHANCE, months)
    amount = np.take(RAIN_MEDIAN_MM, months) * rng.lognormal(0.0, 1.0, 365)
    rain = np.where(wet, np.round(amount, 1), 0.0)
    workday = np.array([is_workday(d) for d in days])
    return Weather(days=days, rain_mm=rain, workday=workday)


def _in_window(profile: Profile, day: date) -> bool:
    if profile.dates is None:
        return True
    start, stop = profile.dates
    key = (day.month, day.day)
    if start <= stop:
        return start <= key <= stop
    return key >= start or key <= stop


def _intensity(profile: Profile, weather: Weather) -> np.ndarray:
    """Relative daily intensity of one profile over the weather's 365 days."""
    months = np.array([d.month - 1 for d in weather.days])
    season = np.take(profile.season, months).astype(float)
    window = np.array([_in_window(profile, d) for d in weather.days])
    season = np.where(window, season, 0.0)
    if profile.dates is not None:  # the first fortnight of the season is the worst
        start = np.array([window[i] and not window[i - 1] for i in range(len(window))])
        for i in np.flatnonzero(start):
            season[i : i + 14] *= 1.8
    mix = profile.channels
    total = sum(mix.values())
    work = sum(share * DAY_FACTOR[ch][0] for ch, share in mix.items()) / total
    rest = sum(share * DAY_FACTOR[ch][1] for ch, share in mix.items()) / total
    rhythm = np.where(weather.workday, work, rest)
    rain = 1.0 + profile.rain * np.minimum(weather.rain_mm, 120.0) / 10.0
    return season * rhythm * rain


class _Places:
    """Points in grids: a hotspot's share of a profile, the rest by population."""

    def __init__(self, district: District, rng: np.random.Generator) -> None:
        self.district = district
        self.rng = rng
        population = np.array([g.population for g in district.grids], dtype=float)
        self.background = population / population.sum()
        self.bounds = [g.polygon.bounds for g in district.grids]
        for grid in district.grids:
            shapely.prepare(grid.polygon)
        self.index = district.grid_index()

    def in_grid(self, grid: int) -> tuple[float, float]:
        polygon = self.district.grids[grid].polygon
        minx, miny, maxx, maxy = self.bounds[grid]
        for _ in range(500):
            x, y = self.rng.uniform(minx, maxx), self.rng.uniform(miny, maxy)
            if shapely.contains_xy(polygon, x, y):
                return float(x), float(y)
        point = polygon.representative_point()
        return point.x, point.y

    def near(self, lon: float, lat: float, sigma_km: float) -> tuple[float, float, int] | None:
        dx = sigma_km / (111.32 * np.cos(np.radians(lat)))
        dy = sigma_km / 110.57
        for _ in range(20):
            x, y = lon + self.rng.normal(0, dx), lat + self.rng.normal(0, dy)
            grid_id = int(locate_many(np.array([x]), np.array([y]))[0])
            if grid_id in self.index:
                return float(x), float(y), self.index[grid_id]
        return None

    def place(self, profile: Profile) -> tuple[float, float, int]:
        roll = self.rng.random()
        for kind, share in profile.hotspots.items():
            grids = self.district.hotspots.get(kind) or []
            if roll < share and grids:
                if kind == NIGHT_MARKET and self.district.night_market:
                    found = self.near(*self.district.night_market, MARKET_SIGMA_KM)
                    if found:
                        return found
                weights = self.background[grids] / self.background[grids].sum()
                grid = int(self.rng.choice(grids, p=weights))
                return (*self.in_grid(grid), grid)
            roll -= share
        grid = int(self.rng.choice(len(self.background), p=self.background))
        return (*self.in_grid(grid), grid)


def _address(
    district: District,
    grid: int,
    profile: Profile,
    rng: np.random.Generator,
) -> str:
    community = district.grids[grid].community_name
    market = NIGHT_MARKET in profile.hotspots and district.night_market is not None
    if market and grid in district.hotspots.get(NIGHT_MARKET, []) and rng.random() < 0.6:
        return f"{community}夜市"
    building = int(rng.integers(1, 40))
    return f"{community}{building}号楼" + ("附近" if rng.random() < 0.3 else "")


def _phone(rng: np.random.Generator) -> str:
    prefix = rng.choice(["133", "135", "136", "138", "139", "150", "152", "158", "186", "188"])
    return f"{prefix}{int(rng.integers(0, 10**8)):08d}"


def _reporter(rng: np.random.Generator) -> str:
    return str(rng.choice(list(SURNAMES))) + ("先生" if rng.random() < 0.5 else "女士")


def plan_intakes(
    *,
    district: District,
    weather: Weather,
    annual: int,
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
) -> list[Intake]:
    """Every report between ``start`` and ``end``, in time order, indexed from 0."""
    places = _Places(district, rng)
    weight_total = sum(p.weight for p in PROFILES)
    first, last = start.astimezone(TZ).date(), end.astimezone(TZ).date()
    raw: list[Intake] = []
    for profile in PROFILES:
        intensity = _intensity(profile, weather)
        mean = intensity.mean()
        if mean <= 0:
            continue
        expected = annual * profile.weight / weight_total / 365.0 * intensity / mean
        counts = rng.poisson(expected)
        channels = list(profile.channels)
        for day_index in np.flatnonzero(counts):
            day = weather.days[day_index]
            if day < first or day > last:
                continue
            rest = 0 if weather.workday[day_index] else 1
            shares = np.array([profile.channels[c] * DAY_FACTOR[c][rest] for c in channels])
            if shares.sum() <= 0:
                continue
            shares /= shares.sum()
            for _ in range(int(counts[day_index])):
                channel = str(rng.choice(channels, p=shares))
                hours = np.array(HOURS[hour_profile(profile, channel)], dtype=float)
                hour = int(rng.choice(24, p=hours / hours.sum()))
                second = int(rng.integers(0, 3600))
                at = datetime.combine(day, time(hour), tzinfo=TZ) + timedelta(seconds=second)
                if at < start or at > end:
                    continue
                lon, lat, grid = places.place(profile)
                raw.append(_make(district, profile, channel, at, lon, lat, grid, rng))
    raw.sort(key=lambda i: (i.at, i.profile.key, i.lon))
    out: list[Intake] = []
    for intake in raw:
        out.append(intake)
        if intake.channel in (WEB, HOTLINE) and rng.random() < DUPLICATE_SHARE:
            dup = _duplicate(district, places, intake, rng)
            if dup is not None and dup.at <= end:
                out.append(dup)
    out.sort(key=lambda i: (i.at, i.profile.key, i.lon))
    position = {id(intake): n for n, intake in enumerate(out)}
    for n, intake in enumerate(out):
        intake.index = n
    for intake in out:
        if intake.duplicate_of is not None:
            intake.duplicate_of = position[intake.duplicate_of]  # type: ignore[index]
    return out


def _make(
    district: District,
    profile: Profile,
    channel: str,
    at: datetime,
    lon: float,
    lat: float,
    grid: int,
    rng: np.random.Generator,
) -> Intake:
    address = _address(district, grid, profile, rng)
    template = profile.texts[int(rng.integers(0, len(profile.texts)))]
    named = channel != "patrol"
    return Intake(
        index=-1,
        at=at,
        profile=profile,
        channel=channel,
        lon=lon,
        lat=lat,
        grid=grid,
        description=template.format(place=address),
        address=address,
        reporter_name=_reporter(rng) if named else "",
        reporter_phone=_phone(rng) if named and rng.random() < 0.93 else "",
        use_account=channel == WEB and rng.random() < 0.08,
    )


def _duplicate(
    district: District, places: _Places, parent: Intake, rng: np.random.Generator
) -> Intake | None:
    """Another resident reporting the same problem a little later, a few metres away."""
    found = places.near(parent.lon, parent.lat, 0.03)
    if found is None:
        return None
    lon, lat, grid = found
    later = parent.at + timedelta(minutes=float(rng.uniform(10, 240)))
    channel = str(rng.choice([WEB, HOTLINE]))
    dup = _make(district, parent.profile, channel, later, lon, lat, grid, rng)
    dup.address = parent.address
    dup.duplicate_of = id(parent)  # resolved to an index once sorted
    return dup


@dataclass
class Reading:
    at: datetime
    device: int  # index into the sensor list
    value: float


def plan_readings(
    *,
    kinds: list[str],
    thresholds: list[float],
    weather: Weather,
    start: datetime,
    end: datetime,
    rng: np.random.Generator,
) -> list[Reading]:
    """A routine reading every third morning from every sensor, and half-hourly ones
    through each excursion:
    water levels rise with heavy rain; manhole tilts and smoke alarms a few times a year."""
    readings: list[Reading] = []
    for device, (kind, threshold) in enumerate(zip(kinds, thresholds, strict=True)):
        for i, day in enumerate(weather.days):
            morning = datetime.combine(day, time(6), tzinfo=TZ)
            rain = float(weather.rain_mm[i])
            if kind == "water_level":
                level = max(0.0, rain * 0.6 + float(rng.normal(2.0, 1.0)))
                excursion = rain > 40 and rng.random() < 0.9
            else:
                level = abs(float(rng.normal(threshold * 0.15, threshold * 0.05)))
                excursion = rng.random() < 4 / 365
            if i % READING_EVERY_DAYS == device % READING_EVERY_DAYS or excursion:
                readings.append(Reading(morning, device, round(min(level, threshold * 0.8), 1)))
            if excursion:
                begin = morning + timedelta(hours=float(rng.uniform(4, 14)))
                steps = int(rng.integers(2, 8))
                for k in range(steps):
                    value = threshold * float(rng.uniform(1.05, 2.2))
                    readings.append(
                        Reading(begin + timedelta(minutes=30 * k), device, round(value, 1))
                    )
    return sorted((r for r in readings if start <= r.at <= end), key=lambda r: (r.at, r.device))
