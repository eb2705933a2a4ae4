"""What the history needs before the first report: the district's places and hotspots, the
staff who act on cases, a few duty rules, and the sensors.

Staff: one grid worker per grid, one dispatcher per street, one window operator per
street and one handler per department, each created only when the demo accounts do not
already cover it, with the demo password (the hash of an existing demo account is
reused). Duty rules: one street's sanitation is contracted out to a company, the night
market is policed jointly, the old estates' property complaints go to the street office
(no property company there), illegal construction is handled jointly district-wide.
"""

from __future__ import annotations

import base64
import hashlib
import random
from dataclasses import dataclass, field

import numpy as np
import shapely
from shapely.geometry import Polygon, shape

from grassroots.cases.choices import AssignmentRole
from grassroots.cases.models import Category, DutyRule, SensorDevice
from grassroots.cases.sensors import key_index
from grassroots.org.choices import Role, UnitLevel
from grassroots.org.models import Department, Unit, User

from .profiles import CONSTRUCTION, NIGHT_MARKET, OLD_ESTATE

CONTRACTOR_KEY = "sanitation_contract"
SANITATION_CODES = [
    ("event", "0102"),
    ("event", "0103"),
    ("event", "0104"),
    ("event", "0108"),
    ("component", "0305"),
    ("component", "0301"),
]


@dataclass
class Grid:
    id: int
    code: str
    name: str
    population: int
    polygon: Polygon
    community_id: int
    community_name: str
    street_id: int


@dataclass
class District:
    """The demo district as the history sees it."""

    root: Unit
    grids: list[Grid]
    streets: list[Unit]
    hotspots: dict[str, list[int]] = field(default_factory=dict)  # kind → grid indices
    night_market: tuple[float, float] | None = None  # lon, lat of its centre

    def grid_index(self) -> dict[int, int]:
        return {grid.id: i for i, grid in enumerate(self.grids)}


def load_district(root_code: str) -> District:
    root = Unit.objects.get(code=root_code)
    units = {u.id: u for u in Unit.objects.filter(path__startswith=root.path)}
    geometries = dict(
        Unit.objects.filter(path__startswith=root.path, level=UnitLevel.GRID)
        .filter(boundaries__valid_to__isnull=True)
        .values_list("id", "boundaries__geometry")
    )
    grids = []
    for unit in sorted(units.values(), key=lambda u: u.code):
        if unit.level != UnitLevel.GRID or unit.id not in geometries:
            continue
        community = units[unit.parent_id]  # type: ignore[index]
        grids.append(
            Grid(
                id=unit.id,
                code=unit.code,
                name=unit.name,
                population=max(unit.population, 1),
                polygon=shape(geometries[unit.id]),
                community_id=community.id,
                community_name=community.name,
                street_id=community.parent_id or community.id,
            )
        )
    streets = sorted(
        (u for u in units.values() if u.level == UnitLevel.STREET), key=lambda u: u.code
    )
    return District(root=root, grids=grids, streets=streets)


def choose_hotspots(district: District, rng: np.random.Generator) -> None:
    """A night market in a busy grid, one or two old estates (whole communities) and
    one or two construction sites, drawn from the seed."""
    grids = district.grids
    population = np.array([g.population for g in grids], dtype=float)
    busy = np.flatnonzero(population >= np.quantile(population, 0.6))
    market = int(rng.choice(busy))
    district.hotspots[NIGHT_MARKET] = [market]
    centre = grids[market].polygon.representative_point()
    district.night_market = (centre.x, centre.y)
    communities = sorted({g.community_id for g in grids} - {grids[market].community_id})
    count = 1 if len(communities) < 10 else 2
    estates = set(rng.choice(communities, size=count, replace=False).tolist())
    district.hotspots[OLD_ESTATE] = [i for i, g in enumerate(grids) if g.community_id in estates]
    taken = {market, *district.hotspots[OLD_ESTATE]}
    free = [i for i in range(len(grids)) if i not in taken]
    sites = 1 if len(grids) < 100 else 2
    district.hotspots[CONSTRUCTION] = sorted(rng.choice(free, size=sites, replace=False).tolist())


# --- staff -------------------------------------------------------------------------------


@dataclass
class Staff:
    """Who acts on cases, by where and which department."""

    hotline: User
    resident: User | None
    dispatcher_by_unit: dict[int, User]  # community or street id → dispatcher
    district_dispatcher: User
    grid_worker: dict[int, User]  # grid id → worker
    window: dict[int, User]  # street id → window operator
    handler: dict[int, User]  # department id → handler
    departments: dict[str, Department]

    def dispatcher_for(self, *, community_id: int | None, street_id: int | None) -> User:
        for unit_id in (community_id, street_id):
            if unit_id is not None and unit_id in self.dispatcher_by_unit:
                return self.dispatcher_by_unit[unit_id]
        return self.district_dispatcher


def ensure_staff(district: District, departments: dict[str, Department]) -> tuple[Staff, int]:
    """The staff the history needs; creates the missing ones. Returns them and how many
    accounts were created."""
    root = district.root
    users = list(
        User.objects.filter(unit__path__startswith=root.path)
        | User.objects.filter(department__in=departments.values())
        | User.objects.filter(username="resident")
    )
    template = next((u.password for u in users if u.role != Role.RESIDENT), "!")
    by_name = {u.username: u for u in users}
    grid_worker: dict[int, User] = {
        u.unit_id: u for u in users if u.role == Role.GRID_WORKER and u.unit_id is not None
    }
    dispatchers: dict[int, User] = {
        u.unit_id: u for u in users if u.role == Role.DISPATCHER and u.unit_id is not None
    }
    handlers: dict[int, User] = {
        u.department_id: u
        for u in users
        if u.role == Role.DEPT_HANDLER and u.department_id is not None
    }
    new: list[User] = []
    names = random.Random(f"grassroots-demo-history-staff:{root.code}")

    def person() -> str:
        return (
            names.choice("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林")
            + names.choice("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚")
            + names.choice(("", "华", "英", "国", "玉", "建"))
        )

    def add(username: str, role: str, unit: Unit | None, dept: Department | None) -> User:
        if username in by_name:
            return by_name[username]
        user = User(
            username=username,
            password=template,
            display_name=person(),
            email=f"{username}@demo.invalid",
            role=role,
            unit=unit,
            department=dept,
            language="zh-hans",
        )
        new.append(user)
        by_name[username] = user
        return user

    grid_units = {u.id: u for u in Unit.objects.filter(id__in=[g.id for g in district.grids])}
    for grid in district.grids:
        if grid.id not in grid_worker:
            code = grid.code[len(root.code) :]
            grid_worker[grid.id] = add(f"gw_{code}", Role.GRID_WORKER, grid_units[grid.id], None)
    window = {}
    for street in district.streets:
        code = street.code[len(root.code) :]
        if street.id not in dispatchers:
            dispatchers[street.id] = add(f"dispatcher_s{code}", Role.DISPATCHER, street, None)
        window[street.id] = add(f"window_s{code}", Role.OPERATOR, street, None)
    for key, dept in departments.items():
        if dept.id not in handlers:
            handlers[dept.id] = add(f"handler_{key}", Role.DEPT_HANDLER, None, dept)
    User.objects.bulk_create(new)
    district_dispatcher = dispatchers.get(root.id) or add(
        "dispatcher_district", Role.DISPATCHER, root, None
    )
    if district_dispatcher.pk is None:
        district_dispatcher.save()
    hotline = by_name.get("operator") or add("operator", Role.OPERATOR, root, None)
    if hotline.pk is None:
        hotline.save()
    staff = Staff(
        hotline=hotline,
        resident=by_name.get("resident"),
        dispatcher_by_unit={k: v for k, v in dispatchers.items() if k != root.id},
        district_dispatcher=district_dispatcher,
        grid_worker=grid_worker,
        window=window,
        handler=handlers,
        departments=departments,
    )
    return staff, len(new)


# --- duty rules --------------------------------------------------------------------------


def _category(kind: str, code: str) -> Category:
    return Category.objects.get(edition="cjt214", kind=kind, code=code)


def ensure_departments(root: Unit) -> dict[str, Department]:
    """The district's departments, with the contracted sanitation company added."""
    departments = {d.key: d for d in Department.objects.filter(jurisdiction=root)}
    if CONTRACTOR_KEY not in departments:
        departments[CONTRACTOR_KEY] = Department.objects.create(
            key=CONTRACTOR_KEY,
            name="清源环境服务有限公司（环卫外包）",
            name_en="Qingyuan Environmental Services Co. (contracted sanitation)",
            jurisdiction=root,
            phone="010-62881234",
        )
    return departments


def ensure_duty_rules(district: District, departments: dict[str, Department]) -> int:
    """A handful of duty rules, so routing is more than the categories' defaults."""
    grids = district.grids
    rules: list[tuple[tuple[str, str] | None, Unit | None, str, str, str]] = []
    contracted = district.streets[min(1, len(district.streets) - 1)]
    for kind, code in SANITATION_CODES:
        rules.append(((kind, code), contracted, CONTRACTOR_KEY, "lead", "环卫作业外包"))
    market = grids[district.hotspots[NIGHT_MARKET][0]]
    market_unit = Unit.objects.get(id=market.community_id)
    for code in ("0501", "0504", "0510"):
        rules.append((("event", code), market_unit, "urban_management", "lead", "夜市联合执法"))
    rules.append((("event", "0501"), market_unit, "market_regulation", "assist", "夜市联合执法"))
    rules.append((("event", "0508"), market_unit, "urban_management", "lead", "夜市噪音"))
    rules.append((("event", "0508"), market_unit, "ecology_environment", "assist", "夜市噪音"))
    estates = sorted({grids[i].community_id for i in district.hotspots[OLD_ESTATE]})
    for unit in Unit.objects.filter(id__in=estates):
        rules.append(
            (("hotline", "H02"), unit, "street_office", "lead", "老旧小区无物业，街道托管")
        )
        rules.append((("hotline", "H02"), unit, "housing_construction", "assist", "老旧小区无物业"))
    rules.append((("event", "0101"), None, "urban_management", "lead", "违建联合治理"))
    rules.append((("event", "0101"), None, "housing_construction", "assist", "违建联合治理"))
    created = 0
    for key, area, dept_key, role, note in rules:
        category = _category(*key) if key else None
        _rule, made = DutyRule.objects.get_or_create(
            category=category,
            area=area,
            department=departments[dept_key],
            defaults={"role": AssignmentRole(role), "note": note},
        )
        created += int(made)
    return created


# --- sensors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class SensorSpec:
    device_id: str
    name: str
    kind: str
    category: tuple[str, str]
    threshold: float
    unit: str
    grid: int  # index into District.grids


def sensor_key(seed: int, device_id: str) -> str:
    digest = hashlib.sha256(f"grassroots-demo-sensor:{seed}:{device_id}".encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def plan_sensors(district: District) -> list[SensorSpec]:
    """Water-level gauges at the old estates' low points, a manhole-cover tilt sensor and
    a smoke detector in an old estate's boiler room."""
    code = district.root.code
    estates = district.hotspots[OLD_ESTATE]
    pick = [estates[i % len(estates)] for i in range(3)]
    specs = [
        SensorSpec(
            f"WL-{code}-{n + 1:02d}",
            f"积水监测点{n + 1}号",
            "water_level",
            ("component", "0104"),
            25.0,
            "cm",
            grid,
        )
        for n, grid in enumerate(pick)
    ]
    specs.append(
        SensorSpec(
            f"MH-{code}-01",
            "污水井盖位移监测",
            "manhole",
            ("component", "0102"),
            15.0,
            "°",
            estates[-1],
        )
    )
    specs.append(
        SensorSpec(
            f"SM-{code}-01", "锅炉房烟感", "smoke", ("hotline", "H11"), 10.0, "%obs/m", estates[0]
        )
    )
    return specs


def sensor_point(district: District, spec: SensorSpec, n: int) -> tuple[float, float]:
    polygon = district.grids[spec.grid].polygon
    minx, miny, maxx, maxy = polygon.bounds
    rng = np.random.default_rng([n, len(spec.device_id), 0x5E])
    for _ in range(200):
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(polygon, x, y):
            return float(x), float(y)
    point = polygon.representative_point()
    return point.x, point.y


def ensure_sensors(
    district: District, specs: list[SensorSpec], seed: int
) -> tuple[list[SensorDevice], list[dict[str, str]]]:
    """Register the sensors (keys derived from the seed, only their keyed hash stored)."""
    devices, keys = [], []
    for n, spec in enumerate(specs):
        key = sensor_key(seed, spec.device_id)
        lon, lat = sensor_point(district, spec, n)
        device, _made = SensorDevice.objects.update_or_create(
            device_id=spec.device_id,
            defaults={
                "name": spec.name,
                "kind": spec.kind,
                "key_index": key_index(key),
                "category": _category(*spec.category),
                "lon": lon,
                "lat": lat,
                "threshold": spec.threshold,
                "unit": spec.unit,
                "is_active": True,
                "open_case": None,
            },
        )
        devices.append(device)
        keys.append({"device_id": spec.device_id, "key": key, "name": spec.name})
    return devices, keys
