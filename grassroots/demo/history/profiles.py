"""What residents report, when and where: one profile per kind of report.

A profile names a category of the taxonomy (``kind``, ``code``) and says how often it is
reported (``weight``: its share of the year), in which months (``season``: twelve
multipliers, January first), how strongly rain drives it (``rain``), at which hours
(``hours``), through which channels (``channels``), at which hotspots (``hotspots``: the
share of its reports that fall there) and in which words (``texts``). Two profiles may
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


def _p(key: str, kind: str, code: str, weight: float, *texts: str, **kw: object) -> Profile:
    return Profile(key, kind, code, weight, texts, **kw)  # type: ignore[arg-type]


PROFILES: tuple[Profile, ...] = (
    # 市容环境
    _p(
        "rubbish",
        "event",
        "0102",
        6.0,
        "{place}有暴露垃圾，几天没人清运，味道很大。",
        "{place}垃圾堆在路边，招苍蝇，请尽快清理。",
        season=(0.8, 1.3, 0.9, 0.9, 1.0, 1.2, 1.3, 1.3, 1.0, 1.0, 0.9, 0.8),
        hotspots={NIGHT_MARKET: 0.12},
    ),
    _p(
        "spoil",
        "event",
        "0103",
        2.5,
        "{place}堆放建筑渣土，没有苫盖。",
        "{place}积存垃圾渣土很久了，影响通行。",
        season=BUILDING,
        hotspots={CONSTRUCTION: 0.2},
    ),
    _p(
        "dirty_road",
        "event",
        "0104",
        3.0,
        "{place}路面很脏，有油污和泥土。",
        "{place}道路不洁，早上清扫不到位。",
        hotspots={NIGHT_MARKET: 0.15},
    ),
    _p(
        "furniture",
        "event",
        "0108",
        2.0,
        "{place}有人扔了旧沙发和床垫，占着路。",
        "{place}废弃家具堆了一周了。",
        hotspots={OLD_ESTATE: 0.2},
    ),
    _p("green_litter", "event", "0106", 1.0, "{place}绿地里有很多垃圾，没人管。"),
    _p("abandoned_car", "event", "0107", 1.0, "{place}有一辆僵尸车停了半年，落满灰。"),
    _p(
        "flyers",
        "event",
        "0201",
        3.5,
        "{place}电线杆和墙上贴满了小广告。",
        "{place}楼道里又被贴了办证小广告。",
        hotspots={OLD_ESTATE: 0.15},
    ),
    # 施工
    _p(
        "construction_noise",
        "event",
        "0301",
        2.5,
        "{place}工地夜里还在施工，吵得睡不着。",
        "{place}施工噪音很大，早上六点就开始了。",
        season=BUILDING,
        hours="evening",
        channels=dict(EVENING_MIX),
        hotspots={CONSTRUCTION: 0.45},
        difficulty=1.4,
    ),
    _p(
        "dust",
        "event",
        "0302",
        2.0,
        "{place}工地扬尘很严重，没有洒水降尘。",
        "{place}刮风天工地尘土飞扬，车上一层灰。",
        season=SPRING,
        hotspots={CONSTRUCTION: 0.5},
        difficulty=1.2,
    ),
    _p(
        "illegal_building",
        "event",
        "0101",
        1.5,
        "{place}有人在楼顶私搭乱建。",
        "{place}一楼住户私自扩建院子。",
        hotspots={OLD_ESTATE: 0.25},
        difficulty=2.2,
    ),
    # 突发事件
    _p(
        "collapse",
        "event",
        "0401",
        0.35,
        "{place}路面塌陷了一个坑，很危险。",
        season=RAINY,
        rain=0.6,
        hours="any",
    ),
    _p(
        "water_main",
        "event",
        "0402",
        0.6,
        "{place}自来水管爆了，水往外冒。",
        "{place}地下水管破裂，路面都是水。",
        season=WINTER,
        hours="any",
    ),
    _p(
        "gas",
        "event",
        "0403",
        0.2,
        "{place}闻到很重的燃气味，怀疑管道泄漏。",
        season=WINTER,
        hours="any",
    ),
    _p(
        "sewer",
        "event",
        "0404",
        5.0,
        "{place}下水道堵了，污水冒到路面上。",
        "{place}雨后下水道返水，楼前全是积水。",
        "{place}化粪池满了往外溢，味道很大。",
        season=RAINY,
        rain=0.9,
        hours="any",
        hotspots={OLD_ESTATE: 0.35},
    ),
    # 街面秩序
    _p(
        "vendor",
        "event",
        "0501",
        4.0,
        "{place}晚上有很多无照游商占道摆摊。",
        "{place}流动摊贩堵住了人行道。",
        season=SUMMER,
        hours="evening",
        channels=dict(EVENING_MIX),
        hotspots={NIGHT_MARKET: 0.45},
    ),
    _p(
        "outside_shop",
        "event",
        "0504",
        3.0,
        "{place}商户把桌椅摆到人行道上经营。",
        "{place}饭馆店外经营，占用盲道。",
        season=SUMMER,
        hotspots={NIGHT_MARKET: 0.35},
    ),
    _p(
        "parking",
        "event",
        "0505",
        6.0,
        "{place}机动车乱停放，堵住了消防通道。",
        "{place}有车堵在小区门口，车主联系不上。",
    ),
    _p(
        "bikes",
        "event",
        "0506",
        3.0,
        "{place}共享单车乱停，人都过不去。",
        season=(0.6, 0.6, 0.9, 1.2, 1.3, 1.2, 1.1, 1.1, 1.2, 1.2, 0.9, 0.7),
    ),
    _p(
        "piles",
        "event",
        "0507",
        3.0,
        "{place}楼道和路边乱堆杂物，有消防隐患。",
        hotspots={OLD_ESTATE: 0.3},
    ),
    _p(
        "noise",
        "event",
        "0508",
        3.0,
        "{place}商户音响声音太大，晚上十点还在放。",
        "{place}夜市噪音扰民，吵到半夜。",
        season=SUMMER,
        hours="evening",
        channels=dict(EVENING_MIX),
        hotspots={NIGHT_MARKET: 0.5},
        difficulty=1.3,
    ),
    _p(
        "barbecue",
        "event",
        "0510",
        2.0,
        "{place}露天烧烤油烟很大，熏得没法开窗。",
        "{place}晚上有人在路边烧烤，烟很大。",
        season=(0.1, 0.1, 0.3, 0.8, 1.5, 2.2, 2.6, 2.5, 1.6, 0.7, 0.2, 0.1),
        hours="evening",
        channels=dict(EVENING_MIX),
        hotspots={NIGHT_MARKET: 0.6},
        difficulty=1.3,
    ),
    _p("laundry", "event", "0511", 0.8, "{place}沿街晾晒衣物，影响市容。", season=SUMMER),
    # 部件
    _p(
        "street_light",
        "component",
        "0118",
        3.0,
        "{place}路灯不亮，晚上一片黑。",
        "{place}好几盏路灯坏了，走路不安全。",
        season=DARK,
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "grate",
        "component",
        "0104",
        2.0,
        "{place}雨水箅子堵了，一下雨就积水。",
        season=RAINY,
        rain=1.0,
        channels=dict(FACILITY_MIX),
        hotspots={OLD_ESTATE: 0.3},
    ),
    _p(
        "storm_cover",
        "component",
        "0103",
        0.8,
        "{place}雨水井盖破损，有安全隐患。",
        season=RAINY,
        rain=0.5,
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "sewage_cover",
        "component",
        "0102",
        0.8,
        "{place}污水井盖松动，车一过就响。",
        channels=dict(FACILITY_MIX),
        hotspots={OLD_ESTATE: 0.2},
    ),
    _p(
        "water_cover",
        "component",
        "0101",
        0.4,
        "{place}上水井盖缺失，很危险。",
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "litter_bin",
        "component",
        "0305",
        2.0,
        "{place}垃圾箱满了没人倒，还坏了一个。",
        channels=dict(FACILITY_MIX),
        hotspots={NIGHT_MARKET: 0.2},
    ),
    _p(
        "toilet",
        "component",
        "0301",
        0.8,
        "{place}公共厕所太脏了，冲水也坏了。",
        season=SUMMER,
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "tree",
        "component",
        "0402",
        1.5,
        "{place}行道树被风刮断了树枝，挡住了路。",
        "{place}行道树树枝挡住了路灯和窗户，需要修剪。",
        season=(0.6, 0.6, 1.0, 1.3, 1.1, 1.2, 1.6, 1.5, 0.9, 0.8, 0.8, 0.6),
        rain=0.3,
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "fitness",
        "component",
        "0126",
        0.8,
        "{place}健身器材坏了，螺丝松了。",
        season=(0.6, 0.6, 0.9, 1.2, 1.3, 1.3, 1.2, 1.2, 1.2, 1.1, 0.8, 0.6),
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "barrier",
        "component",
        "0211",
        0.6,
        "{place}交通护栏被撞歪了。",
        channels=dict(FACILITY_MIX),
    ),
    _p(
        "bus_shelter",
        "component",
        "0203",
        0.4,
        "{place}公交站亭玻璃碎了。",
        channels=dict(FACILITY_MIX),
    ),
    # 12345 热线
    _p(
        "heating",
        "hotline",
        "H01",
        5.0,
        "{place}家里暖气不热，室温只有十五度。",
        "{place}暖气漏水了，物业联系不上。",
        "{place}供暖以后暖气还是凉的。",
        season=(2.2, 1.6, 0.7, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 3.5, 2.6),
        channels=dict(HOTLINE_MIX),
        dates=((11, 15), (3, 15)),
        hotspots={OLD_ESTATE: 0.3},
        difficulty=1.2,
    ),
    _p(
        "utility",
        "hotline",
        "H01",
        2.0,
        "{place}突然停电了，也没有通知。",
        "{place}停水一天了，什么时候恢复？",
        season=(0.7, 0.7, 0.7, 0.8, 1.0, 1.4, 1.8, 1.7, 1.1, 0.8, 0.7, 0.8),
        channels=dict(HOTLINE_MIX),
        hours="any",
    ),
    _p(
        "property",
        "hotline",
        "H02",
        6.0,
        "{place}电梯又坏了，老人上不了楼，物业不管。",
        "{place}物业不作为，楼道灯坏了一个月。",
        "{place}小区门禁坏了，谁都能进。",
        channels=dict(HOTLINE_MIX),
        hotspots={OLD_ESTATE: 0.3},
        difficulty=1.5,
    ),
    _p(
        "housing",
        "hotline",
        "H03",
        2.0,
        "{place}顶楼漏雨，墙都泡了。",
        "{place}外墙皮脱落，砸到了电动车。",
        season=RAINY,
        rain=0.5,
        channels=dict(HOTLINE_MIX),
        hotspots={OLD_ESTATE: 0.4},
        difficulty=1.6,
    ),
    _p(
        "consumer",
        "hotline",
        "H04",
        3.0,
        "在{place}的超市买到过期食品，商家不退。",
        "{place}健身房跑路了，预付卡退不了费。",
        channels=dict(HOTLINE_MIX),
    ),
    _p(
        "wages",
        "hotline",
        "H05",
        2.0,
        "在{place}附近工地干活，老板拖欠工资三个月。",
        season=(2.6, 1.2, 0.6, 0.6, 0.7, 0.7, 0.7, 0.7, 0.8, 0.9, 1.3, 2.2),
        channels=dict(HOTLINE_MIX),
        hotspots={CONSTRUCTION: 0.2},
        difficulty=2.0,
    ),
    _p(
        "health",
        "hotline",
        "H06",
        1.5,
        "{place}社区卫生服务站排队太久，想咨询家医签约。",
        season=(1.6, 1.3, 1.0, 0.9, 0.8, 0.8, 0.8, 0.8, 0.9, 1.0, 1.2, 1.6),
        channels=dict(HOTLINE_MIX),
    ),
    _p(
        "education",
        "hotline",
        "H07",
        1.5,
        "孩子在{place}附近上学，想咨询入学政策。",
        season=(0.6, 0.6, 0.8, 1.0, 1.4, 1.6, 1.8, 2.2, 1.6, 0.7, 0.6, 0.6),
        channels=dict(HOTLINE_MIX),
    ),
    _p(
        "traffic",
        "hotline",
        "H08",
        2.0,
        "{place}路口红绿灯时间太短，建议调整。",
        "{place}早高峰拥堵严重，希望加派交警。",
        channels=dict(HOTLINE_MIX),
    ),
    _p(
        "neighbours",
        "hotline",
        "H09",
        3.0,
        "{place}楼上住户漏水到我家，协商不成。",
        "{place}邻居在楼道里养狗，不拴绳。",
        channels=dict(HOTLINE_MIX),
        difficulty=1.4,
    ),
    _p(
        "noise_complaint",
        "hotline",
        "H10",
        4.0,
        "{place}楼上装修噪音太大，周末一早就开始。",
        "{place}晚上广场舞音响太响了。",
        "{place}夜市太吵了，半夜还在喧哗。",
        season=SUMMER,
        hours="evening",
        channels=dict(HOTLINE_MIX),
        hotspots={NIGHT_MARKET: 0.35},
        difficulty=1.3,
    ),
    _p(
        "emergency",
        "hotline",
        "H11",
        0.3,
        "{place}有老人摔倒在路边，需要帮助。",
        hours="any",
        channels={HOTLINE: 0.95, WEB: 0.05},
    ),
    _p(
        "policy",
        "hotline",
        "H12",
        3.0,
        "想咨询{place}所在社区的养老补贴怎么申请。",
        "咨询{place}的老旧小区改造什么时候开始。",
        channels=dict(HOTLINE_MIX),
    ),
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
