"""What residents report, when and where: one profile per kind of report.

A profile names a category of the taxonomy (``kind``, ``code``) and says how often it is
reported (``weight``: its share of the year), in which months (``season``: twelve
multipliers, January first), how strongly rain drives it (``rain``), at which hours
(``hours``), through which channels (``channels``), at which hotspots (``hotspots``: the
share of its reports that fall there) and in which words (``texts.TEXTS``). Two profiles may
share a category (the 12345 "water, power, gas, heating" type has a heating season and a
summer of power cuts).

The figures are plausible for a Beijing-like district, not measured: drainage follows the
rainy season (June–August) and each storm, heating complaints the heating season (15
November – 15 March) with a surge when it starts, noise and barbecues summer evenings
around the night market, construction dust the windy spring, unpaid wages the weeks
before the Spring Festival, enrolment questions August and September.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .texts import TEXTS

# Channels a profile is reported through (sensors are their own source: see ``sensors``).
WEB, PATROL, HOTLINE, WINDOW, OPEN311 = "web", "patrol", "hotline", "window", "open311"

# Hotspot kinds the planner places in the district (see ``setup.choose_hotspots``).
NIGHT_MARKET, OLD_ESTATE, CONSTRUCTION = "night_market", "old_estate", "construction"

FLAT = (1.0,) * 12
SUMMER = (0.3, 0.3, 0.5, 0.8, 1.2, 1.7, 2.0, 1.9, 1.4, 0.9, 0.5, 0.3)
RAINY = (0.4, 0.4, 0.5, 0.6, 0.9, 1.6, 2.6, 2.3, 1.1, 0.7, 0.5, 0.4)
WINTER = (2.0, 1.6, 1.1, 0.7, 0.6, 0.6, 0.6, 0.6, 0.7, 0.9, 1.4, 1.9)
SPRING = (0.6, 0.9, 1.9, 2.2, 1.6, 1.0, 0.7, 0.7, 0.9, 1.1, 0.8, 0.5)
DARK = (1.4, 1.2, 1.0, 0.8, 0.7, 0.7, 0.7, 0.8, 0.9, 1.2, 1.4, 1.5)  # long nights
BUILDING = (0.4, 0.5, 1.1, 1.4, 1.4, 1.3, 1.1, 1.1, 1.2, 1.2, 0.9, 0.5)

STREET_MIX = {PATROL: 0.46, HOTLINE: 0.24, WEB: 0.22, WINDOW: 0.03, OPEN311: 0.05}
EVENING_MIX = {PATROL: 0.14, HOTLINE: 0.50, WEB: 0.30, WINDOW: 0.01, OPEN311: 0.05}
HOTLINE_MIX = {HOTLINE: 0.74, WEB: 0.16, WINDOW: 0.07, OPEN311: 0.03}
FACILITY_MIX = {PATROL: 0.55, HOTLINE: 0.20, WEB: 0.20, WINDOW: 0.01, OPEN311: 0.04}


@dataclass(frozen=True)
class Profile:
    key: str
    kind: str
    code: str
    weight: float
    texts: tuple[str, ...]
    season: tuple[float, ...] = FLAT
    rain: float = 0.0  # extra multiplier per 10 mm of the day's rain
    hours: str = "day"  # "day", "evening" or "any"
    channels: dict[str, float] = field(default_factory=lambda: dict(STREET_MIX))
    hotspots: dict[str, float] = field(default_factory=dict)
    # how hard the case is: scales the chance of returns, overdue and dissatisfaction
    difficulty: float = 1.0
    dates: tuple[tuple[int, int], tuple[int, int]] | None = None  # ((m, d), (m, d)) window


def _p(key: str, kind: str, code: str, weight: float, **kw: Any) -> Profile:
    return Profile(key, kind, code, weight, TEXTS[key], **kw)


PROFILES: tuple[Profile, ...] = (
    _p(
        "rubbish",
        "event",
        "0102",
        6.0,
        season=(0.8, 1.3, 0.9, 0.9, 1.0, 1.2, 1.3, 1.3, 1.0, 1.0, 0.9, 0.8),
        hotspots={NIGHT_MARKET: 0.12},
    ),
    _p("spoil", "event", "0103", 2.5, season=BUILDING, hotspots={CONSTRUCTION: 0.2}),
    _p("dirty_road", "event", "0104", 3.0, hotspots={NIGHT_MARKET: 0.15}),
    _p("furniture", "event", "0108", 2.0, hotspots={OLD_ESTATE: 0.2}),
    _p("green_litter", "event", "0106", 1.0),
    _p("abandoned_car", "event", "0107", 1.0),
    _p("flyers", "event", "0201", 3.5, hotspots={OLD_ESTATE: 0.15}),
    _p(
        "construction_noise",
        "event",
        "0301",
        2.5,
        season=BUILDING,
        hours="evening",
        channels=EVENING_MIX,
        hotspots={CONSTRUCTION: 0.45},
        difficulty=1.4,
    ),
    _p("dust", "event", "0302", 2.0, season=SPRING, hotspots={CONSTRUCTION: 0.5}, difficulty=1.2),
    _p("illegal_building", "event", "0101", 1.5, hotspots={OLD_ESTATE: 0.25}, difficulty=2.2),
    _p("collapse", "event", "0401", 0.35, season=RAINY, rain=0.6, hours="any"),
    _p("water_main", "event", "0402", 0.6, season=WINTER, hours="any"),
    _p("gas", "event", "0403", 0.2, season=WINTER, hours="any"),
    _p(
        "sewer",
        "event",
        "0404",
        5.0,
        season=RAINY,
        rain=0.9,
        hours="any",
        hotspots={OLD_ESTATE: 0.35},
    ),
    _p(
        "vendor",
        "event",
        "0501",
        4.0,
        season=SUMMER,
        hours="evening",
        channels=EVENING_MIX,
        hotspots={NIGHT_MARKET: 0.45},
    ),
    _p("outside_shop", "event", "0504", 3.0, season=SUMMER, hotspots={NIGHT_MARKET: 0.35}),
    _p("parking", "event", "0505", 6.0),
    _p(
        "bikes",
        "event",
        "0506",
        3.0,
        season=(0.6, 0.6, 0.9, 1.2, 1.3, 1.2, 1.1, 1.1, 1.2, 1.2, 0.9, 0.7),
    ),
    _p("piles", "event", "0507", 3.0, hotspots={OLD_ESTATE: 0.3}),
    _p(
        "noise",
        "event",
        "0508",
        3.0,
        season=SUMMER,
        hours="evening",
        channels=EVENING_MIX,
        hotspots={NIGHT_MARKET: 0.5},
        difficulty=1.3,
    ),
    _p(
        "barbecue",
        "event",
        "0510",
        2.0,
        season=(0.1, 0.1, 0.3, 0.8, 1.5, 2.2, 2.6, 2.5, 1.6, 0.7, 0.2, 0.1),
        hours="evening",
        channels=EVENING_MIX,
        hotspots={NIGHT_MARKET: 0.6},
        difficulty=1.3,
    ),
    _p("laundry", "event", "0511", 0.8, season=SUMMER),
    _p("street_light", "component", "0118", 3.0, season=DARK, channels=FACILITY_MIX),
    _p(
        "grate",
        "component",
        "0104",
        2.0,
        season=RAINY,
        rain=1.0,
        channels=FACILITY_MIX,
        hotspots={OLD_ESTATE: 0.3},
    ),
    _p("storm_cover", "component", "0103", 0.8, season=RAINY, rain=0.5, channels=FACILITY_MIX),
    _p("sewage_cover", "component", "0102", 0.8, channels=FACILITY_MIX, hotspots={OLD_ESTATE: 0.2}),
    _p("water_cover", "component", "0101", 0.4, channels=FACILITY_MIX),
    _p("litter_bin", "component", "0305", 2.0, channels=FACILITY_MIX, hotspots={NIGHT_MARKET: 0.2}),
    _p("toilet", "component", "0301", 0.8, season=SUMMER, channels=FACILITY_MIX),
    _p(
        "tree",
        "component",
        "0402",
        1.5,
        season=(0.6, 0.6, 1.0, 1.3, 1.1, 1.2, 1.6, 1.5, 0.9, 0.8, 0.8, 0.6),
        rain=0.3,
        channels=FACILITY_MIX,
    ),
    _p(
        "fitness",
        "component",
        "0126",
        0.8,
        season=(0.6, 0.6, 0.9, 1.2, 1.3, 1.3, 1.2, 1.2, 1.2, 1.1, 0.8, 0.6),
        channels=FACILITY_MIX,
    ),
    _p("barrier", "component", "0211", 0.6, channels=FACILITY_MIX),
    _p("bus_shelter", "component", "0203", 0.4, channels=FACILITY_MIX),
    _p(
        "heating",
        "hotline",
        "H01",
        5.0,
        season=(2.2, 1.6, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.5, 2.6),
        channels=HOTLINE_MIX,
        hotspots={OLD_ESTATE: 0.3},
        difficulty=1.2,
        dates=((11, 15), (3, 15)),
    ),
    _p(
        "utility",
        "hotline",
        "H01",
        2.0,
        season=(0.7, 0.7, 0.7, 0.8, 1.0, 1.4, 1.8, 1.7, 1.1, 0.8, 0.7, 0.8),
        hours="any",
        channels=HOTLINE_MIX,
    ),
    _p(
        "property",
        "hotline",
        "H02",
        6.0,
        channels=HOTLINE_MIX,
        hotspots={OLD_ESTATE: 0.3},
        difficulty=1.5,
    ),
    _p(
        "housing",
        "hotline",
        "H03",
        2.0,
        season=RAINY,
        rain=0.5,
        channels=HOTLINE_MIX,
        hotspots={OLD_ESTATE: 0.4},
        difficulty=1.6,
    ),
    _p("consumer", "hotline", "H04", 3.0, channels=HOTLINE_MIX),
    _p(
        "wages",
        "hotline",
        "H05",
        2.0,
        season=(2.6, 1.2, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.3, 2.2),
        channels=HOTLINE_MIX,
        hotspots={CONSTRUCTION: 0.2},
        difficulty=2.0,
    ),
    _p(
        "health",
        "hotline",
        "H06",
        1.5,
        season=(1.6, 1.3, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.6),
        channels=HOTLINE_MIX,
    ),
    _p(
        "education",
        "hotline",
        "H07",
        1.5,
        season=(0.6, 0.6, 0.8, 1.0, 1.4, 1.6, 1.8, 2.2, 1.6, 0.7, 0.6, 0.6),
        channels=HOTLINE_MIX,
    ),
    _p("traffic", "hotline", "H08", 2.0, channels=HOTLINE_MIX),
    _p("neighbours", "hotline", "H09", 3.0, channels=HOTLINE_MIX, difficulty=1.4),
    _p(
        "noise_complaint",
        "hotline",
        "H10",
        4.0,
        season=SUMMER,
        hours="evening",
        channels=HOTLINE_MIX,
        hotspots={NIGHT_MARKET: 0.35},
        difficulty=1.3,
    ),
    _p("emergency", "hotline", "H11", 0.3, hours="any", channels={HOTLINE: 0.95, WEB: 0.05}),
    _p("policy", "hotline", "H12", 3.0, channels=HOTLINE_MIX),
)

# Hour-of-day weights (local time), index 0 = 00:00–01:00.
HOURS: dict[str, tuple[float, ...]] = {
    "day": (
        0.05,
        0.03,
        0.02,
        0.02,
        0.03,
        0.08,
        0.25,
        0.6,
        1.0,
        1.3,
        1.3,
        1.1,
        0.8,
        0.9,
        1.1,
        1.1,
        1.0,
        0.9,
        0.7,
        0.6,
        0.5,
        0.35,
        0.2,
        0.1,
    ),
    "evening": (
        0.7,
        0.45,
        0.2,
        0.08,
        0.05,
        0.05,
        0.1,
        0.2,
        0.3,
        0.35,
        0.35,
        0.35,
        0.35,
        0.35,
        0.35,
        0.4,
        0.45,
        0.55,
        0.75,
        1.0,
        1.3,
        1.5,
        1.4,
        1.1,
    ),
    "any": (
        0.35,
        0.3,
        0.25,
        0.25,
        0.3,
        0.4,
        0.6,
        0.8,
        1.0,
        1.0,
        1.0,
        1.0,
        0.9,
        0.9,
        1.0,
        1.0,
        1.0,
        1.0,
        0.9,
        0.9,
        0.8,
        0.7,
        0.6,
        0.45,
    ),
    # grid workers patrol and windows open in office hours only
    "office": (
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0,
        0.8,
        1.2,
        1.2,
        0.9,
        0.3,
        0.6,
        1.1,
        1.2,
        1.1,
        0.6,
        0,
        0,
        0,
        0,
        0,
        0,
    ),
    # the hotline answers round the clock, busiest mid-morning
    "hotline": (
        0.08,
        0.05,
        0.03,
        0.03,
        0.04,
        0.08,
        0.25,
        0.6,
        1.1,
        1.4,
        1.4,
        1.1,
        0.8,
        1.0,
        1.2,
        1.2,
        1.0,
        0.8,
        0.6,
        0.55,
        0.5,
        0.4,
        0.25,
        0.12,
    ),
}

# Relative volume of each channel on a working day and on a rest day.
DAY_FACTOR: dict[str, tuple[float, float]] = {
    WEB: (0.95, 1.15),
    PATROL: (1.3, 0.15),  # patrols on rest days only by the duty roster
    HOTLINE: (1.12, 0.7),
    WINDOW: (1.4, 0.0),
    OPEN311: (1.0, 1.0),
}


def hour_profile(profile: Profile, channel: str) -> str:
    if channel in (PATROL, WINDOW):
        return "office"
    if profile.hours in ("evening", "any"):
        return profile.hours
    return "hotline" if channel == HOTLINE else "day"
