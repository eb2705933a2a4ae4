"""The demo's departments and staff accounts, planned from a tree plan and a seed."""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path

from grassroots.org.choices import Role

from .names import NameBook
from .plan import Plan

DEPARTMENTS_CSV = Path(__file__).resolve().parent.parent / "data" / "departments.csv"
_READABLE_CHARS = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1


@dataclass(frozen=True)
class DepartmentSpec:
    key: str
    name: str
    name_en: str
    phone: str


@dataclass(frozen=True)
class AccountSpec:
    username: str
    role: str
    display_name: str
    unit_code: str | None = None  # home unit (staff other than handlers)
    department_key: str | None = None  # home department (handlers)
    superuser: bool = False


def password_for(*, seed: int, username: str) -> str:
    """A readable password derived from the seed: ``demo-xxxx-xxxx``.

    Every account of one build shares it: they are all printed and written to the same
    file anyway, and one PBKDF2 hash (~0.5 s) instead of one per account keeps the small
    build within seconds. The signature keeps the username so that per-account passwords
    need no change to callers.
    """
    del username
    rng = random.Random(f"grassroots-demo-password:{seed}")
    chars = [rng.choice(_READABLE_CHARS) for _ in range(8)]
    return f"demo-{''.join(chars[:4])}-{''.join(chars[4:])}"


def plan_departments(seed: int) -> list[DepartmentSpec]:
    """Every department of ``data/departments.csv`` with a duty phone number."""
    rng = random.Random(f"grassroots-demo-departments:{seed}")
    with DEPARTMENTS_CSV.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return [
        DepartmentSpec(
            key=row["key"],
            name=row["name_zh"],
            name_en=row["name_en"],
            phone=f"010-6{rng.randrange(10**6, 10**7):07d}",
        )
        for row in rows
    ]


def plan_accounts(plan: Plan) -> list[AccountSpec]:
    """One account per role at least, each at a meaningful home in the demo district."""
    people = NameBook(random.Random(f"grassroots-demo-people:{plan.seed}"))
    units = plan.units
    district = plan.demo_district
    street = plan.first_child(district)
    community = plan.first_child(street)
    grids = sorted(units[community].children, key=lambda i: units[i].code)
    second_community = sorted(units[street].children, key=lambda i: units[i].code)[1]
    other_grid = plan.first_child(second_community)

    def code(index: int) -> str:
        return units[index].code

    homes: list[tuple[str, Role, str | None, str | None]] = [
        ("admin", Role.ADMIN, units[0].code, None),
        ("leader", Role.LEADER, code(district), None),
        ("leader_street", Role.LEADER, code(street), None),
        ("dispatcher_district", Role.DISPATCHER, code(district), None),
        ("dispatcher_street", Role.DISPATCHER, code(street), None),
        ("dispatcher_community", Role.DISPATCHER, code(community), None),
        ("steward", Role.DATA_STEWARD, code(district), None),
        ("operator", Role.OPERATOR, code(district), None),
        ("gridworker", Role.GRID_WORKER, code(grids[0]), None),
        ("gridworker2", Role.GRID_WORKER, code(grids[1]), None),
        ("gridworker3", Role.GRID_WORKER, code(grids[2]), None),
        ("gridworker4", Role.GRID_WORKER, code(other_grid), None),
        ("handler_drainage", Role.DEPT_HANDLER, None, "drainage"),
        ("handler_urban", Role.DEPT_HANDLER, None, "urban_management"),
        ("resident", Role.RESIDENT, None, None),
    ]
    return [
        AccountSpec(
            username=username,
            role=role.value,
            display_name=people.person(),
            unit_code=unit_code,
            department_key=department_key,
            superuser=role == Role.ADMIN,
        )
        for username, role, unit_code, department_key in homes
    ]
