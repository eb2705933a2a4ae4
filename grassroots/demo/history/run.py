"""Play the planned year through the real services, in time order.

One priority queue holds every pending event: a report arriving, the next step of a
case, a sensor reading, the morning deadline sweep. Events run in time order, so when the
sweep (``services.overdue_escalate``) runs on a morning, every case in the database is as
it was that morning, and a duplicate is merged only into a case that is still open.
Every status change and timeline entry is written by ``cases.services`` (or
``cases.sensors.reading_ingest`` for readings), with ``now=`` the event's time.

Speed: events run in batches inside one outer transaction (each service's own
``atomic`` becomes a savepoint), notifications go to the in-memory backend, which is
emptied after every batch.
"""

from __future__ import annotations

import heapq
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.db import reset_queries, transaction
from tqdm import tqdm

from grassroots.cases import routing, services
from grassroots.cases.choices import OPEN_STATUSES, Channel
from grassroots.cases.models import Case, Category, SensorDevice
from grassroots.cases.sensors import reading_ingest
from grassroots.core.errors import DomainError
from grassroots.org.models import Department, Unit

from .intake import TZ, Intake, Reading
from .lifecycle import Fate, Step, draw_fate, next_step
from .outbreaks import inject_outbreaks
from .setup import District, Staff

BATCH_EVENTS = 3000
SWEEP_AT = time(8, 0)
INTAKE, STEP, READING, SWEEP = 0, 1, 2, 3


@dataclass
class Track:
    case: Case
    fate: Fate
    rng: random.Random
    state: dict[str, bool] = field(default_factory=dict)
    last_department_id: int | None = None


@dataclass
class RunStats:
    cases: int = 0
    steps: Counter[str] = field(default_factory=Counter)
    readings: int = 0
    escalated: int = 0
    refused: Counter[str] = field(default_factory=Counter)


class Player:
    def __init__(
        self,
        *,
        seed: int,
        district: District,
        staff: Staff,
        intakes: list[Intake],
        devices: list[SensorDevice],
        readings: list[Reading],
        start: datetime,
        end: datetime,
        progress: bool,
    ) -> None:
        self.seed = seed
        self.district = district
        self.staff = staff
        # outbreaks of known size and place for the early warning (see ``outbreaks``)
        intakes = inject_outbreaks(intakes, seed=seed, district=district, start=start, end=end)
        self.intakes = intakes
        self.devices = devices
        self.end = end
        self.queue: list[tuple[datetime, int, int, Any]] = []
        self.order = 0
        self.tracks: dict[int, Track] = {}  # intake index → track
        self.sensor_tracks: dict[int, Track] = {}  # case id → track
        self.stats = RunStats()
        self.progress = progress
        self.categories = {(c.kind, c.code): c for c in Category.objects.all()}
        self.category_by_id = {c.id: c for c in self.categories.values()}
        self.units = {u.id: u for u in Unit.objects.filter(id__in=[g.id for g in district.grids])}
        # duty rules do not change while the history plays: route each (category, grid) once
        self.routes: dict[tuple[int, int], tuple[Department | None, list[Department]]] = {}
        self.grid_of = district.grid_index()
        for intake in intakes:
            self.push(intake.at, INTAKE, intake)
        for n, reading in enumerate(readings):
            self.push(reading.at, READING, (n, reading))
        day = start.astimezone(TZ).date()
        while (sweep := datetime.combine(day, SWEEP_AT, tzinfo=TZ)) <= end:
            if sweep >= start:
                self.push(sweep, SWEEP, None)
            day += timedelta(days=1)

    def push(self, at: datetime, kind: int, payload: Any) -> None:
        if at > self.end:
            return
        self.order += 1
        heapq.heappush(self.queue, (at, self.order, kind, payload))

    # --- the loop ----------------------------------------------------------------------

    def play(self) -> RunStats:
        with tqdm(
            total=len(self.intakes), desc="case history", unit="case", disable=not self.progress
        ) as bar:
            while self.queue:
                with transaction.atomic():
                    for _ in range(BATCH_EVENTS):
                        if not self.queue:
                            break
                        at, _order, kind, payload = heapq.heappop(self.queue)
                        if kind == INTAKE:
                            self.arrive(payload)
                            bar.update(1)
                        elif kind == STEP:
                            self.take(payload[0], payload[1])
                        elif kind == READING:
                            self.read(*payload)
                        else:
                            self.stats.escalated += services.overdue_escalate(now=at)
                reset_queries()
        return self.stats

    def schedule(self, track: Track, now: datetime) -> None:
        step = next_step(track.case, track.fate, track.state, track.rng, now)
        if step is not None:
            self.push(max(step.at, now), STEP, (track, step))

    # --- events ------------------------------------------------------------------------

    def arrive(self, intake: Intake) -> None:
        grid = self.district.grids[intake.grid]
        kwargs: dict[str, Any] = {}
        if intake.channel == Channel.PATROL:
            kwargs["entered_by"] = self.staff.grid_worker[grid.id]
        elif intake.channel == Channel.HOTLINE:
            kwargs["entered_by"] = self.staff.hotline
        elif intake.channel == Channel.WINDOW:
            kwargs["entered_by"] = self.staff.window.get(grid.street_id, self.staff.hotline)
        elif intake.use_account and self.staff.resident is not None:
            kwargs["reporter"] = self.staff.resident
        profile = intake.profile
        try:
            case = services.case_submit(
                category=self.categories[(profile.kind, profile.code)],
                description=intake.description,
                channel=intake.channel,
                lon=intake.lon,
                lat=intake.lat,
                address=intake.address,
                reporter_name=intake.reporter_name,
                reporter_phone=intake.reporter_phone,
                now=intake.at,
                **kwargs,
            )
        except DomainError as error:
            self.stats.refused[f"submit: {error}"] += 1
            return
        self.stats.cases += 1
        rng = random.Random(f"grassroots-demo-history:{self.seed}:{intake.index}")
        auto = intake.channel in (Channel.PATROL, Channel.SENSOR)
        track = Track(case=case, fate=draw_fate(rng, intake, auto_registered=auto), rng=rng)
        self.tracks[intake.index] = track
        self.schedule(track, intake.at)

    def read(self, n: int, reading: Reading) -> None:
        device = self.devices[reading.device]
        try:
            stored = reading_ingest(
                device=device,
                value=reading.value,
                measured_at=reading.at,
                nonce=f"demo-{n:07d}",
                now=reading.at,
            )
        except DomainError as error:
            self.stats.refused[f"reading: {error}"] += 1
            return
        self.stats.readings += 1
        case = stored.case
        if case is None or case.pk in self.sensor_tracks:
            return
        self.stats.cases += 1
        rng = random.Random(f"grassroots-demo-history:{self.seed}:sensor:{n}")
        track = Track(case=case, fate=draw_fate(rng, None, auto_registered=True), rng=rng)
        self.sensor_tracks[case.pk] = track
        self.schedule(track, reading.at)

    def actor(self, track: Track, who: str) -> services.Actor:
        case = track.case
        if who == "reporter":
            return services.REPORTER
        if who == "system":
            return services.SYSTEM
        if who == "handler":
            return services.Actor.of(self.staff.handler[case.department_id])  # type: ignore[index]
        if who == "grid_worker" and case.grid_id in self.staff.grid_worker:
            return services.Actor.of(self.staff.grid_worker[case.grid_id])
        return services.Actor.of(
            self.staff.dispatcher_for(community_id=case.community_id, street_id=case.street_id)
        )

    def take(self, track: Track, step: Step) -> None:
        case = track.case
        kwargs: dict[str, Any] = {}
        if step.action == "merge":
            target = self.tracks.get(track.fate.merge_into)  # type: ignore[arg-type]
            alive = target is not None and target.case.status in OPEN_STATUSES
            if not alive or target is None or target.case.merged_into_id:
                track.state["merge_failed"] = True
                self.schedule(track, step.at)
                return
            kwargs["merge_into"] = target.case
        if step.action == "return":
            track.last_department_id = case.department_id
        if step.redispatch:
            kwargs["department"] = self._other_department(track.last_department_id)
        elif step.action == "dispatch":
            kwargs["department"], kwargs["assisting"] = self._route(case)
        try:
            track.case = services.case_transition(
                case=case,
                action=step.action,
                actor=self.actor(track, step.who),
                reason=step.reason,
                note=step.note,
                rating=step.rating,
                now=step.at,
                **kwargs,
            )
        except DomainError as error:
            self.stats.refused[f"{step.action}: {error}"] += 1
            return
        self.stats.steps[step.action] += 1
        self.schedule(track, step.at)

    def _route(self, case: Case) -> tuple[Department | None, list[Department] | None]:
        """``routing.route`` for the case's category and grid, remembered."""
        key = (case.category_id, case.area_id)
        if key not in self.routes:
            area = self.units.get(case.area_id)
            if area is None:
                return None, None  # the service routes it
            decision = routing.route(category=self.category_by_id[case.category_id], area=area)
            self.routes[key] = (decision.department, decision.assisting)
        return self.routes[key]

    def _other_department(self, previous: int | None) -> Any:
        departments = self.staff.departments
        fallback = departments["street_office"]
        if previous == fallback.id:
            return departments["urban_management"]
        return fallback
