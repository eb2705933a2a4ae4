"""Cases driven through the real services, for the insight tests, and a comparable
snapshot of every rollup."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from grassroots.cases import workflow
from grassroots.cases.choices import Channel, Rating
from grassroots.cases.models import Case
from grassroots.cases.services import REPORTER, SYSTEM, Actor, case_submit, case_transition
from grassroots.core.errors import DomainError
from grassroots.insight.models import MEASURES, CaseFact, CellStat, DailyStat, MonthlyStat
from grassroots.org.choices import Role

from ..cases.factories import World, category

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.get_default_timezone())  # a Monday


def submit(
    world: World,
    *,
    at: datetime = T0,
    other: bool = False,
    cat: Any = None,
    channel: str = Channel.WEB,
    **kwargs: Any,
) -> Case:
    """A report received at ``at`` in ``world.grid`` (or ``world.other_grid``)."""
    lon, lat = world.other_point if other else world.point
    staff = channel in {Channel.PATROL, Channel.HOTLINE, Channel.WINDOW}
    return case_submit(
        category=cat or category("event", "0404"),
        description="小区门口下水道堵了，污水冒出来",
        channel=channel,
        lon=lon,
        lat=lat,
        reporter_phone="13812345678",
        entered_by=world.grid_worker if staff else None,
        now=at,
        **kwargs,
    )


def handler_for(world: World, case: Case) -> Any:
    return world.other_handler if case.department_id == world.sanitation.pk else world.handler


def actor_for(world: World, case: Case, role: str) -> Actor:
    if role == Role.DISPATCHER:
        return Actor.of(world.dispatcher)
    if role == Role.DEPT_HANDLER:
        return Actor.of(handler_for(world, case))
    if role == Role.GRID_WORKER:
        return Actor.of(world.grid_worker)
    if role == workflow.REPORTER:
        return REPORTER
    return SYSTEM


def step(world: World, case: Case, action: str, *, at: datetime, role: str = "", **kw: Any) -> Case:
    """Take ``action`` as the natural role (or ``role``), with whatever it requires."""
    if not role:
        role = next(iter(sorted(workflow.TRANSITIONS[action].roles - {workflow.SYSTEM})), "")
        if action == "rate":
            role = workflow.REPORTER
    params: dict[str, Any] = {"reason": "原因说明", "now": at}
    if action == "handle":
        params["note"] = "已疏通"
    if action == "rate":
        params["rating"] = kw.pop("rating", Rating.SATISFIED)
    if action == "dispatch":
        params["department"] = kw.pop("department", world.drainage)
    params.update(kw)
    return case_transition(case=case, action=action, actor=actor_for(world, case, role), **params)


def run_to(
    world: World,
    case: Case,
    actions: list[str],
    *,
    start: datetime,
    hours: float = 1,
    **per_action: dict[str, Any],
) -> Case:
    """Apply ``actions`` one after another, ``hours`` apart from ``start``."""
    at = start
    for action in actions:
        at = at + timedelta(hours=hours)
        case = step(world, case, action, at=at, **per_action.get(action, {}))
    return case


# Steps that end a case early are taken now and then, so most cases go round the loop.
RARE = {"withdraw": 0.03, "reject": 0.05, "merge": 0.08, "return": 0.3, "suspend": 0.3}
ROLES = (Role.DISPATCHER, Role.DEPT_HANDLER, Role.GRID_WORKER, workflow.REPORTER)


def random_walk(world: World, *, seed: int, cases: int = 10, steps: int = 300) -> list[Case]:
    """Submit ``cases`` reports and take ``steps`` random possible transitions among them
    (any role, any department, any rating, merges into open cases)."""
    rng = random.Random(seed)
    departments = [world.drainage, world.sanitation]
    channels = [Channel.WEB, Channel.PATROL, Channel.HOTLINE]
    cats = [category("event", "0404"), category("component", "0101")]
    at = T0
    made: list[Case] = []
    for _ in range(cases):
        at += timedelta(hours=rng.uniform(0, 40))
        made.append(
            submit(
                world,
                at=at,
                other=rng.random() < 0.4,
                cat=rng.choice(cats),
                channel=rng.choice(channels),
            )
        )
    for _ in range(steps):
        at += timedelta(hours=rng.expovariate(1 / 8))
        case = Case.objects.get(pk=rng.choice(made).pk)
        options = [
            (t.action, role)
            for role in ROLES
            for t in workflow.actions_for(status=case.status, role=role)
        ]
        if not options:
            continue
        weights = [RARE.get(action, 1.0) for action, _role in options]
        action, role = rng.choices(options, weights=weights)[0]
        kw: dict[str, Any] = {}
        if action == "dispatch":
            kw["department"] = rng.choice(departments)
        if action == "rate":
            kw["rating"] = rng.choice(list(Rating.values))
        if action == "merge":
            targets = [
                c
                for c in Case.objects.filter(pk__in=[m.pk for m in made])
                if c.pk != case.pk
                and c.status in ("submitted", "registered", "dispatched", "accepted")
                and not c.merged_into_id
            ]
            if not targets:
                continue
            kw["merge_into"] = rng.choice(targets)
        try:
            step(world, case, action, at=at, role=role, **kw)
        except DomainError:
            continue
    return made


def snapshot() -> dict[str, Any]:
    """Every rollup as comparable values (float sums rounded; all-zero rows left out)."""

    def rows(model: Any, key: tuple[str, ...], values: tuple[str, ...]) -> dict[Any, Any]:
        out = {}
        for row in model.objects.values(*key, *values):
            vals = tuple(round(row[v], 6) if isinstance(row[v], float) else row[v] for v in values)
            if any(vals):
                out[tuple(row[k] for k in key)] = vals
        return out

    return {
        "facts": rows(
            CaseFact,
            ("case_id",),
            ("month", "channel", "category_id", "area_id", "department_id", "h3_cell", *MEASURES),
        ),
        "monthly": rows(
            MonthlyStat,
            (
                "month",
                "unit_id",
                "department_id",
                "category_id",
                "channel",
                "level",
                "unit_path",
                "parent_id",
            ),
            MEASURES,
        ),
        "daily": rows(DailyStat, ("day", "unit_id", "category_id", "unit_path"), ("received",)),
        "cells": rows(
            CellStat, ("month", "h3_cell", "unit_id", "category_id", "unit_path"), ("received",)
        ),
    }
