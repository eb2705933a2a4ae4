"""The early-warning scan: runs the detectors of ``insight.detect`` and raises or updates
alerts (one live alert per situation, its ``dedup_key``).

What each part reads (never the whole case table):

* spikes — ``DailyStat`` (daily counts per area and category) for the last
  ``HISTORY_DAYS``, only for the categories with enough reports in the last week to alarm
  anywhere; the units' series are summed up the tree (grid → community → street →
  district), tested bottom-up, and an alarmed unit's counts are left out of its parent's
  series, so one burst is one alert at the lowest level that explains it;
* clusters — the cases received in the last ``CLUSTER_DAYS`` (indexed ``created_at``),
  against the cells' baseline from ``CellStat`` (monthly counts per H3 cell);
* repeats — the cases received in the last ``REPEAT_DAYS``;
* sensors — the last day of readings of every active device and its excursion cases of
  the last ``RECUR_DAYS``.

An alert that is still live (open or acknowledged) is updated: observed, expected,
severity (recalculated), window and ``last_seen``. A situation an officer dismissed or
converted in the last ``SUPPRESS_DAYS`` is not raised again unless it has since grown to
``REGROW`` times what it was. See docs/development/early-warning.md.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Min, Sum
from django.utils import timezone, translation
from scipy import stats

from grassroots.cases.choices import OPEN_STATUSES, Channel
from grassroots.cases.models import Case, Category, SensorDevice, SensorReading
from grassroots.core.crypto import decrypt
from grassroots.core.errors import DomainError
from grassroots.core.masking import mask_phone
from grassroots.org.models import Unit

from . import detect
from .choices import LIVE_ALERT_STATUSES, AlertKind, AlertStatus
from .models import Alert, CellStat, DailyStat
from .summary import h3_cell_of

logger = logging.getLogger(__name__)

HISTORY_DAYS = 730
WINDOWS = (3, 7)
CHART_DAYS = 42
CLUSTER_DAYS = 3
CLUSTER_BASELINE_MONTHS = 12
REPEAT_DAYS = 14
SENSOR_HOURS = 24
RECUR_DAYS = 30
SUPPRESS_DAYS = 7
REGROW = 2.0
SPIKE = detect.SpikeConfig()


@dataclass
class ScanResult:
    raised: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    suppressed: int = 0
    alerts: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # detectors that failed (logged)

    def summary(self) -> str:
        kinds = sorted(set(self.raised) | set(self.updated))
        parts = [f"{k}: +{self.raised[k]} / ~{self.updated[k]}" for k in kinds]
        if self.errors:
            parts.append("FAILED: " + ", ".join(self.errors))
        return ", ".join(parts) or "nothing"


def scan(*, now: datetime | None = None, kinds: tuple[str, ...] | None = None) -> ScanResult:
    """Run every detector as of ``now`` (data after it is ignored) and raise/update alerts."""
    now = now or timezone.now()
    kinds = kinds or tuple(AlertKind.values)
    result = ScanResult()
    tree = _Tree.load()
    detectors = {
        AlertKind.SPIKE: scan_spikes,
        AlertKind.CLUSTER: scan_clusters,
        AlertKind.REPEAT: scan_repeats,
        AlertKind.SENSOR: scan_sensors,
    }
    for kind, detector in detectors.items():
        if kind not in kinds:
            continue
        try:  # one detector failing must not silence the others
            findings = detector(now=now, tree=tree)
        except Exception:
            logger.exception("early warning: the %s detector failed", kind)
            result.errors.append(str(kind))
            continue
        for finding in findings:
            _record(result, finding, now)
    return result


# --------------------------------------------------------------------------------------
# The tree


@dataclass
class _Tree:
    ids_by_code: dict[str, int]
    path: dict[int, str]
    depth: dict[int, int]
    parent: dict[int, int | None]

    @classmethod
    def load(cls) -> _Tree:
        rows = list(Unit.objects.values_list("id", "code", "path", "depth", "parent_id"))
        return cls(
            ids_by_code={code: pk for pk, code, _p, _d, _par in rows},
            path={pk: path for pk, _c, path, _d, _par in rows},
            depth={pk: depth for pk, _c, _p, depth, _par in rows},
            parent={pk: par for pk, _c, _p, _d, par in rows},
        )

    def chain(self, unit_id: int) -> list[int]:
        """The unit and its ancestors, deepest first."""
        codes = [c for c in self.path.get(unit_id, "").split("/") if c]
        return [self.ids_by_code[c] for c in reversed(codes) if c in self.ids_by_code]

    def common(self, unit_ids: list[int]) -> int | None:
        """The deepest unit containing all of ``unit_ids``."""
        chains = [list(reversed(self.chain(u))) for u in unit_ids if u in self.path]
        if not chains:
            return None
        found = None
        for level in zip(*chains, strict=False):
            if len(set(level)) != 1:
                break
            found = level[0]
        return found


# --------------------------------------------------------------------------------------
# Findings and their alerts


@dataclass
class Finding:
    kind: str
    dedup_key: str
    severity: str
    unit_id: int | None
    category_id: int | None
    window_start: datetime
    window_end: datetime
    observed: float
    expected: float
    data: dict[str, Any]
    h3_cell: str = ""
    match_cells: frozenset[str] = frozenset()  # a cluster also matches overlapping ones


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:20]


def _record(result: ScanResult, finding: Finding, now: datetime) -> None:
    try:
        outcome, alert = upsert_alert(finding, now=now)
    except DomainError:  # pragma: no cover - a finding that cannot be stored is logged
        logger.exception("early warning: cannot store %s", finding.dedup_key)
        return
    if outcome == "raised":
        result.raised[finding.kind] += 1
    elif outcome == "updated":
        result.updated[finding.kind] += 1
    else:
        result.suppressed += 1
    if alert is not None:
        result.alerts.append(alert.pk)


def _live_for(finding: Finding) -> Alert | None:
    live = Alert.objects.select_for_update().filter(status__in=LIVE_ALERT_STATUSES)
    alert = live.filter(dedup_key=finding.dedup_key).first()
    if alert is None and finding.match_cells:
        for other in live.filter(kind=finding.kind, category=finding.category_id):
            if finding.match_cells & set(other.explanation_data.get("cells", [])):
                return other
    return alert


def _suppressed(finding: Finding, now: datetime) -> bool:
    """Dismissed or converted recently and not grown since."""
    since = now - timedelta(days=SUPPRESS_DAYS)
    recent = (
        Alert.objects.filter(dedup_key=finding.dedup_key, acted_at__gte=since)
        .exclude(status__in=LIVE_ALERT_STATUSES)
        .order_by("-acted_at")
        .first()
    )
    return recent is not None and finding.observed < REGROW * recent.observed


def upsert_alert(finding: Finding, *, now: datetime) -> tuple[str, Alert | None]:
    """Raise the finding's alert, or update the live one of the same situation.
    Returns ("raised" | "updated" | "suppressed", alert)."""
    from .alerts import render_explanation, root_unit_id

    if finding.unit_id is None:  # outside every unit (a device off the map): the root's
        finding.unit_id = root_unit_id()
    with translation.override(settings.LANGUAGE_CODE):
        text = render_explanation(finding.kind, finding.data)
    with transaction.atomic():
        alert = _live_for(finding)
        if alert is not None:
            alert.severity = finding.severity
            alert.observed = finding.observed
            alert.expected = finding.expected
            alert.window_start = min(alert.window_start, finding.window_start)
            alert.window_end = max(alert.window_end, finding.window_end, alert.window_start)
            alert.explanation_data = finding.data
            alert.explanation = text
            alert.last_seen = now
            if finding.unit_id is not None:
                alert.unit_id = finding.unit_id
            alert.save()
            return "updated", alert
        if _suppressed(finding, now):
            return "suppressed", None
        fields = {
            "kind": finding.kind,
            "severity": finding.severity,
            "unit_id": finding.unit_id,
            "category_id": finding.category_id,
            "h3_cell": finding.h3_cell,
            "window_start": finding.window_start,
            "window_end": max(finding.window_end, finding.window_start),
            "observed": finding.observed,
            "expected": finding.expected,
            "message_key": finding.kind,
            "explanation_data": finding.data,
            "explanation": text,
            "dedup_key": finding.dedup_key,
            "status": AlertStatus.OPEN,
            "first_seen": now,
            "last_seen": now,
        }
        try:
            with transaction.atomic():
                return "raised", Alert.objects.create(**fields)
        except IntegrityError:  # raised by a concurrent scan in the meantime
            alert = _live_for(finding)
            if alert is None:
                raise
            Alert.objects.filter(pk=alert.pk).update(last_seen=now)
            return "updated", alert


# --------------------------------------------------------------------------------------
# Spikes


def _names(model: Any, ids: set[int]) -> dict[int, str]:
    return dict(model.objects.filter(pk__in=ids).values_list("pk", "name"))


def scan_spikes(*, now: datetime, tree: _Tree | None = None) -> list[Finding]:
    tree = tree or _Tree.load()
    today = timezone.localdate(now)
    longest = max(WINDOWS)
    recent_from = today - timedelta(days=longest - 1)
    # which (unit, category) could alarm: the last week's counts summed up the tree
    recent: dict[tuple[int, int], int] = defaultdict(int)
    rows = (
        DailyStat.objects.filter(day__gte=recent_from, day__lte=today)
        .values_list("unit_id", "category_id")
        .annotate(n=Sum("received"))
    )
    for unit_id, category_id, n in rows:
        for ancestor in tree.chain(unit_id):
            recent[(ancestor, category_id)] += n
    categories = sorted({c for (_u, c), n in recent.items() if n >= SPIKE.min_count})
    if not categories:
        return []
    bounds = DailyStat.objects.aggregate(first=Min("day"), last=Max("day"))
    first = max(bounds["first"] or today, today - timedelta(days=HISTORY_DAYS))
    length = (today - first).days + 1
    if length <= longest + 28:
        return []  # too little history to say what is unusual
    findings: list[Finding] = []
    for category_id in categories:  # one category at a time: memory stays bounded
        findings += _spikes_of_category(category_id, tree, first, length, today, now)
    _name_findings(findings)
    return findings


def _spikes_of_category(
    category_id: int, tree: _Tree, first: date, length: int, today: date, now: datetime
) -> list[Finding]:
    """Bottom-up over the tree: a unit's series is its own counts plus what its children
    left (the counts of children that did not alarm)."""
    pending: dict[int, np.ndarray] = {}
    history = DailyStat.objects.filter(
        category_id=category_id, day__gte=first, day__lte=today
    ).values_list("day", "unit_id", "received")
    for day, unit_id, n in history.iterator(chunk_size=20_000):
        series = pending.get(unit_id)
        if series is None:
            series = pending[unit_id] = np.zeros(length)
        series[(day - first).days] += n
    for unit_id in list(pending):
        for ancestor in tree.chain(unit_id)[1:]:
            pending.setdefault(ancestor, np.zeros(length))
    by_depth: dict[int, list[int]] = defaultdict(list)
    for unit_id in pending:
        by_depth[tree.depth.get(unit_id, 0)].append(unit_id)
    longest = max(WINDOWS)
    findings: list[Finding] = []
    left_out: dict[int, int] = defaultdict(int)  # alarmed units below, not in the series
    for depth in sorted(by_depth, reverse=True):  # children before their parents
        units = sorted(by_depth[depth])
        candidates = [u for u in units if pending[u][-longest:].sum() >= SPIKE.min_count]
        alarmed: set[int] = set()
        if candidates:
            keys = [(u, category_id) for u in candidates]
            matrix = np.stack([pending[u] for u in candidates])
            for key, finding in _test_spikes(keys, matrix, first.toordinal(), today, now):
                if left_out[key[0]]:
                    finding.data["left_out"] = left_out[key[0]]
                findings.append(finding)
                alarmed.add(key[0])
        for unit_id in units:
            series = pending.pop(unit_id)
            parent = tree.parent.get(unit_id)
            if parent is None or parent not in pending:
                continue
            if unit_id in alarmed:
                left_out[parent] += 1
            else:
                pending[parent] += series
                left_out[parent] += left_out[unit_id]
    return findings


def _test_spikes(
    keys: list[tuple[int, int]],
    matrix: np.ndarray,
    first_ordinal: int,
    today: date,
    now: datetime,
) -> list[tuple[tuple[int, int], Finding]]:
    longest = max(WINDOWS)
    fit = detect.fit_baselines(matrix[:, :-longest], first_ordinal)
    last = first_ordinal + matrix.shape[1] - 1
    best: dict[int, tuple[float, int, detect.SpikeResults]] = {}
    for w in WINDOWS:
        ordinals = np.arange(last - w + 1, last + 1)
        expected, variance = detect.window_distribution(fit, ordinals)
        observed = matrix[:, -w:].sum(1)
        res = detect.assess_windows(observed, expected, variance, fit.model, SPIKE)
        for i in (int(j) for j in np.flatnonzero(res.alarm)):
            p = float(res.p_value[i])
            if i not in best or p < best[i][0]:
                best[i] = (p, w, res)
    out = []
    chart_ordinals = np.arange(last - CHART_DAYS + 1, last + 1)
    daily_mu, _x = fit.predict(chart_ordinals)
    for i, (p, w, res) in sorted(best.items()):
        unit_id, category_id = keys[i]
        mu = daily_mu[i]
        n, prob = detect._nb_params(mu, mu + fit.alpha[i] * mu**2)
        upper_daily = stats.nbinom.ppf(SPIKE.quantile, n, prob)
        start_day = today - timedelta(days=w - 1)
        data = {
            "days": w,
            "observed": int(res.observed[i]),
            "expected": round(float(res.expected[i]), 1),
            "upper": int(res.upper[i]),
            "p_value": float(f"{p:.3g}"),
            "score": round(float(res.score[i]), 2),
            "model": str(res.model[i]),
            "series": {
                "start": (today - timedelta(days=CHART_DAYS - 1)).isoformat(),
                "observed": [int(v) for v in matrix[i, -CHART_DAYS:]],
                "expected": [round(float(v), 2) for v in mu],
                "upper": [int(v) for v in upper_daily],
            },
        }
        finding = Finding(
            kind=AlertKind.SPIKE,
            dedup_key=f"spike:{unit_id}:{category_id}",
            severity=str(res.severity[i]),
            unit_id=unit_id,
            category_id=category_id,
            window_start=_local_midnight(start_day),
            window_end=now,
            observed=float(res.observed[i]),
            expected=float(res.expected[i]),
            data=data,
        )
        out.append(((unit_id, category_id), finding))
    return out


def _name_findings(findings: list[Finding]) -> None:
    """Names of the unit and category in the explanation data (the viewer's language is
    applied at display; names are data, as the administrators wrote them)."""
    units = _names(Unit, {f.unit_id for f in findings if f.unit_id})
    categories = Category.objects.filter(pk__in={f.category_id for f in findings if f.category_id})
    names = {c.pk: (c.name, c.name_en) for c in categories}
    for f in findings:
        f.data.setdefault("unit", units.get(f.unit_id or 0, ""))
        if f.category_id in names:
            f.data.setdefault("category", names[f.category_id][0])
            f.data.setdefault("category_en", names[f.category_id][1])


# --------------------------------------------------------------------------------------
# Clusters


def scan_clusters(*, now: datetime, tree: _Tree | None = None) -> list[Finding]:
    tree = tree or _Tree.load()
    since = now - timedelta(days=CLUSTER_DAYS)
    recent = (
        Case.objects.filter(created_at__gt=since, created_at__lte=now, lon__isnull=False)
        .exclude(channel=Channel.SENSOR)
        .values_list("pk", "category_id", "lon", "lat", "area_id")
    )
    observed: dict[int, Counter[str]] = defaultdict(Counter)
    areas: dict[tuple[int, str], list[int]] = defaultdict(list)
    for _pk, category_id, lon, lat, area_id in recent:
        cell = h3_cell_of(lon, lat)
        observed[category_id][cell] += 1
        areas[(category_id, cell)].append(area_id)
    categories = [c for c, cells in observed.items() if sum(cells.values()) >= 8]
    if not categories:
        return []
    this_month = timezone.localdate(now).replace(day=1)
    month_from = (this_month - timedelta(days=CLUSTER_BASELINE_MONTHS * 31)).replace(day=1)
    history = (
        CellStat.objects.filter(
            month__gte=month_from, month__lt=this_month, category_id__in=categories
        )
        .values_list("category_id", "h3_cell", "month")
        .annotate(n=Sum("received"))
    )
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    months: set[date] = set()
    for category_id, cell, month, n in history:
        counts[category_id][cell] += n
        months.add(month)
    days = max(len(months), 1) * 30.4
    findings = []
    for category_id in sorted(categories):
        rates = detect.smoothed_rates(dict(counts[category_id]), days)
        cells_seen = max(len(counts[category_id]), 1)
        prior = sum(counts[category_id].values()) / (cells_seen * days)
        default = max(prior * 30 / (days + 30), 0.5 / days) * CLUSTER_DAYS
        expected = {c: r * CLUSTER_DAYS for c, r in rates.items()}
        for cluster in detect.detect_clusters(
            dict(observed[category_id]), expected, default_expected=default
        ):
            area_ids = [a for c in cluster.cells for a in areas.get((category_id, c), [])]
            unit_id = tree.common(area_ids)
            data = {
                "days": CLUSTER_DAYS,
                "observed": cluster.observed,
                "expected": round(cluster.expected, 1),
                "cells": list(cluster.cells),
                "center": cluster.center,
                "p_value": float(f"{cluster.p_value:.3g}"),
            }
            findings.append(
                Finding(
                    kind=AlertKind.CLUSTER,
                    dedup_key=f"cluster:{category_id}:{cluster.center}",
                    severity=cluster.severity,
                    unit_id=unit_id,
                    category_id=category_id,
                    window_start=since,
                    window_end=now,
                    observed=float(cluster.observed),
                    expected=float(cluster.expected),
                    data=data,
                    h3_cell=cluster.center,
                    match_cells=frozenset(cluster.cells),
                )
            )
    _name_findings(findings)
    return findings


# --------------------------------------------------------------------------------------
# Repeats


def scan_repeats(*, now: datetime, tree: _Tree | None = None) -> list[Finding]:
    tree = tree or _Tree.load()
    since = now - timedelta(days=REPEAT_DAYS)
    rows = list(
        Case.objects.filter(created_at__gt=since, created_at__lte=now)
        .exclude(channel=Channel.SENSOR)
        .values_list(
            "pk",
            "created_at",
            "reporter_phone_index",
            "reporter_id",
            "reporter_phone_encrypted",
            "address",
            "area_id",
            "category_id",
        )
        .order_by("created_at", "pk")
    )
    by_case = {r[0]: r for r in rows}
    people = []
    places = []
    for pk, created, phone_index, reporter_id, _enc, address, _area, _cat in rows:
        if phone_index:
            people.append((f"phone:{_digest(phone_index)}", created, pk))
        elif reporter_id:
            people.append((f"user:{reporter_id}", created, pk))
        places.append((detect.normalise_address(address), created, pk))
    findings = []
    person_sets: list[frozenset[Any]] = []
    for who, repeat in [("person", r) for r in detect.detect_repeats(people)] + [
        ("address", r) for r in detect.detect_repeats(places)
    ]:
        items = frozenset(repeat.items)
        if who == "address" and any(items <= s for s in person_sets):
            continue  # the same person again, already raised
        if who == "person":
            person_sets.append(items)
        case_ids = [int(str(pk)) for pk in repeat.items]
        cases = [by_case[pk] for pk in case_ids]
        unit_id = tree.common([c[6] for c in cases])
        category_id, _n = Counter(c[7] for c in cases).most_common(1)[0]
        data: dict[str, Any] = {
            "who": who,
            "days": REPEAT_DAYS,
            "observed": repeat.count,
            "cases": case_ids[-20:],
            "categories": len({c[7] for c in cases}),
        }
        if who == "person":
            encrypted = cases[-1][4]
            data["phone"] = mask_phone(_safe_decrypt(encrypted)) if encrypted else ""
        else:
            data["address"] = cases[-1][5]
        key = repeat.key if who == "person" else f"address:{_digest(str(repeat.key))}"
        findings.append(
            Finding(
                kind=AlertKind.REPEAT,
                dedup_key=f"repeat:{key}",
                severity=repeat.severity,
                unit_id=unit_id,
                category_id=category_id,
                window_start=since,
                window_end=now,
                observed=float(repeat.count),
                expected=0.0,
                data=data,
            )
        )
    _name_findings(findings)
    return findings


def _safe_decrypt(token: str) -> str:
    try:
        return decrypt(token)
    except ValueError:
        return ""


# --------------------------------------------------------------------------------------
# Sensors


def scan_sensors(*, now: datetime, tree: _Tree | None = None) -> list[Finding]:
    from grassroots.org.locate import locate_point

    since = now - timedelta(hours=SENSOR_HOURS)
    devices = list(
        SensorDevice.objects.filter(is_active=True).select_related("open_case", "category")
    )
    if not devices:
        return []
    readings: dict[int, list[tuple[datetime, float]]] = defaultdict(list)
    for device_id, at, value in (
        SensorReading.objects.filter(measured_at__gt=since, measured_at__lte=now)
        .order_by("device_id", "measured_at")
        .values_list("device_id", "measured_at", "value")
    ):
        readings[device_id].append((at, value))
    excursions = dict(
        SensorReading.objects.filter(
            measured_at__gt=now - timedelta(days=RECUR_DAYS),
            measured_at__lte=now,
            over_threshold=True,
            case__isnull=False,
        )
        .values_list("device_id")
        .annotate(n=Count("case_id", distinct=True))
    )
    findings = []
    for device in devices:
        series = readings.get(device.pk, [])
        open_case = device.open_case is not None and device.open_case.status in OPEN_STATUSES
        verdict = detect.assess_sensor(
            [t for t, _v in series],
            [v for _t, v in series],
            threshold=device.threshold,
            above=device.comparison == SensorDevice.Comparison.ABOVE,
            has_open_case=open_case,
            excursions=int(excursions.get(device.pk, 0)),
        )
        if not verdict.reason:
            continue
        try:
            unit_id: int | None = locate_point(device.lon, device.lat).grid_id
        except DomainError:
            unit_id = None
        data = {
            "reason": verdict.reason,
            "device": device.device_id,
            "device_name": device.name,
            "threshold": device.threshold,
            "measure_unit": device.unit,
            "last_value": verdict.last_value,
            "over_count": verdict.over_count,
            "excursions": int(excursions.get(device.pk, 0)),
            "recur_days": RECUR_DAYS,
            "hours": SENSOR_HOURS,
            "hours_to_threshold": (
                round(verdict.hours_to_threshold, 1)
                if verdict.hours_to_threshold is not None
                else None
            ),
            "slope_per_hour": round(verdict.slope_per_hour, 3),
            "lon": device.lon,
            "lat": device.lat,
            "series": {
                "times": [t.isoformat() for t, _v in series[-200:]],
                "values": [v for _t, v in series[-200:]],
            },
        }
        observed = float(
            verdict.over_count
            if verdict.reason == "repeated"
            else int(excursions.get(device.pk, 0))
            if verdict.reason == "recurring"
            else (verdict.last_value or 0.0)
        )
        findings.append(
            Finding(
                kind=AlertKind.SENSOR,
                dedup_key=f"sensor:{device.device_id}:{verdict.reason}",
                severity=verdict.severity,
                unit_id=unit_id,
                category_id=device.category_id,
                window_start=since
                if verdict.reason != "recurring"
                else now - timedelta(days=RECUR_DAYS),
                window_end=now,
                observed=observed,
                expected=float(device.threshold),
                data=data,
            )
        )
    _name_findings(findings)
    return findings
