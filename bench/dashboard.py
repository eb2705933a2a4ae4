"""The district dashboard over a city's case history: ≥ 5,000,000 cases (``--quick``: 500,000).

A throw-away SQLite database under ``var/bench/dashboard-<cases>-<seed>/`` (kept and reused:
building it is the long part) holds the ``--scale city`` tree (12 districts, 13,219 units)
and two years of cases written by ``grassroots.demo.bulk_history`` with their insight facts
and rollups (``MonthlyStat``, ``DailyStat``, ``CellStat``), then ``ANALYZE``.

Ours: the real page, ``GET /insight/dashboard/`` through Django's test client, signed in as
the demo district's leader, for the last 12 months of the history: every card, chart,
ranking, the map and the alerts, rendered to HTML from the rollups. Warm (after two
requests): the map's cell counts come from the cache, as for every leader after the first;
``dashboard_nomapcache_p50_ms`` clears that cache before each request.
Baseline: a naive ORM aggregation over the case table that computes the same figures
(totals and every KPI counter by month for both years, by category, channel, lead
department and street, and the H3 cells of every case) — the query a dashboard without
rollups would run; it renders nothing. Both figures are the median CPU time of this
process (SQLite runs in it) over the runs: the machine is shared, CPU time is what the
work costs. The two sides' received totals are checked against each other.

``grassroots bench dashboard [--quick] [--cases N] [--runs N] [--rebuild]``
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also as python bench/...
from bench._common import REPO_ROOT, emit, note, setup_django

BENCH = "dashboard"
FULL, QUICK = 5_000_000, 500_000
MONTHS = 24  # two years: the last 12 months and the same months a year earlier
SCALE = "city"


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help=f"{QUICK:,} cases")
    parser.add_argument("--seed", type=int, default=20250101)
    parser.add_argument("--cases", type=int, default=None, help="cases to generate")
    parser.add_argument("--runs", type=int, default=None, help="timed requests per side")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    return parser.parse_args()


def _environment(var_dir: Path) -> None:
    """The bench database and development secrets, before Django starts."""
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ["GRASSROOTS_VAR_DIR"] = str(var_dir)
    os.environ.pop("DATABASE_URL", None)
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("GRASSROOTS_ENV_FILE", None)
    secrets_file = var_dir / "bench-secrets.json"
    if not secrets_file.exists():
        secrets_file.write_text(
            json.dumps(
                {
                    "SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
                    "FIELD_ENCRYPTION_KEY": "bench-" + secrets.token_urlsafe(32),
                }
            )
        )
    for name, value in json.loads(secrets_file.read_text()).items():
        os.environ[name] = value
    os.environ["DEBUG"] = "False"


def _build(var_dir: Path, cases: int, seed: int) -> dict[str, Any]:
    from django.core.management import call_command

    from grassroots.demo.bulk_history import bulk_cases, fast_sqlite
    from grassroots.demo.services import demo_build
    from grassroots.org.models import Unit

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    built = demo_build(scale=SCALE, seed=seed, credentials_file=var_dir / "credentials.json")
    tree_seconds = time.perf_counter() - started
    note(f"city tree: {built.counts} in {tree_seconds:.0f} s")
    fast_sqlite()
    root = Unit.objects.get(parent__isnull=True)
    result = bulk_cases(
        root_code=root.code,
        total=cases,
        months=MONTHS,
        seed=seed,
        search_index="drop",
        defer_indexes=True,
        summaries="bulk",
        progress=True,
    )
    info = {
        "cases": result.cases,
        "end": result.end.isoformat(),
        "seed": seed,
        "seconds_tree": round(tree_seconds, 1),
        "seconds_cases": round(result.seconds_cases, 1),
        "seconds_summary": round(result.seconds_summary, 1),
        "statuses": result.statuses,
        "built_at": datetime.now().isoformat(timespec="seconds"),
    }
    note(
        f"{result.cases:,} cases in {result.seconds_cases:.0f} s, summaries in "
        f"{result.seconds_summary:.0f} s"
    )
    return info


def _leader() -> Any:
    from grassroots.demo.generator.scales import DEMO_DISTRICT_CODE
    from grassroots.org.models import User

    leader = (
        User.objects.filter(role="leader", unit__code=DEMO_DISTRICT_CODE)
        .select_related("unit")
        .first()
    )
    if leader is None:
        raise SystemExit("no leader account in the demo district")
    return leader


def _month_range(end: date) -> tuple[date, date, date]:
    from grassroots.insight.selectors.dashboard import Period

    period = Period.last_months(end, 12)
    return period.month_from, period.month_to, period.last_year.month_from


def naive(district: Any, first: date, last: date, since: date) -> dict[str, Any]:
    """The same figures straight from the case table (no rollups)."""
    from datetime import timedelta

    import h3
    from django.db.models import Case as When_
    from django.db.models import Count, F, Q, Sum
    from django.db.models import When as W
    from django.db.models.functions import TruncMonth
    from django.utils import timezone

    from grassroots.cases.models import Case

    tz = timezone.get_current_timezone()

    def start(day: date) -> datetime:
        return datetime.combine(day, datetime.min.time(), tzinfo=tz)

    end = start(date(last.year + (last.month == 12), last.month % 12 + 1, 1))
    excluded = ["merged", "not_accepted", "withdrawn"]
    valid = ~Q(status__in=excluded)
    dispatched = valid & Q(dispatched_at__isnull=False)
    closed = valid & Q(status__in=["closed", "rated"], closed_at__isnull=False)
    rated = valid & ~Q(rating="")
    counters = {
        "received": Count("id"),
        "excluded": Count("id", filter=~valid),
        "dispatched": Count("id", filter=dispatched),
        "responded_on_time": Count(
            "id", filter=dispatched & Q(responded_at__lte=F("response_due"))
        ),
        "returned": Count("id", filter=dispatched & Q(return_count__gt=0)),
        "handled": Count(
            "id",
            filter=dispatched
            & Q(status__in=["handled", "verified", "closed", "rated"])
            & Q(handled_at__gte=F("dispatched_at")),
        ),
        "closed": Count("id", filter=closed),
        "closed_on_time": Count("id", filter=closed & Q(closed_at__lte=F("resolve_due"))),
        "ever_closed": Count("id", filter=valid & Q(closed_at__isnull=False)),
        "reopened": Count("id", filter=valid & Q(closed_at__isnull=False, reopen_count__gt=0)),
        "rated": Count("id", filter=rated),
        "satisfied": Count("id", filter=rated & Q(rating="satisfied")),
        "basic": Count("id", filter=rated & Q(rating="basic")),
        "solved": Count("id", filter=rated & ~Q(rating="dissatisfied") & Q(reopen_count=0)),
        "handling_seconds": Sum(
            When_(
                W(
                    dispatched
                    & Q(status__in=["handled", "verified", "closed", "rated"])
                    & Q(handled_at__gte=F("dispatched_at")),
                    then=F("handled_at") - F("dispatched_at"),
                ),
                default=timedelta(0),
            )
        ),
    }
    scope = Case.objects.filter(area__path__startswith=district.path)
    both = scope.filter(created_at__gte=start(since), created_at__lt=end)
    period = scope.filter(created_at__gte=start(first), created_at__lt=end)
    out: dict[str, Any] = {}
    out["by_month"] = list(
        both.annotate(m=TruncMonth("created_at", tzinfo=tz)).values("m").annotate(**counters)
    )
    out["by_category"] = list(
        period.values("category_id", "category__name").annotate(n=Count("id"))
    )
    out["by_channel"] = list(period.values("channel").annotate(n=Count("id")))
    out["by_department"] = list(
        period.filter(department__isnull=False)
        .values("department_id", "department__name")
        .annotate(**counters)
    )
    out["by_street"] = list(period.values("street_id", "street__name").annotate(**counters))
    cells: dict[str, int] = {}
    for lon, lat in period.exclude(lon=None).values_list("lon", "lat").iterator(chunk_size=20000):
        cell = h3.latlng_to_cell(lat, lon, 8)
        cells[cell] = cells.get(cell, 0) + 1
    out["cells"] = cells
    return out


def main() -> None:
    args = parse()
    cases = args.cases or (QUICK if args.quick else FULL)
    runs = args.runs or (7 if args.quick else 15)
    naive_runs = 3
    var_dir = REPO_ROOT / "var" / "bench" / f"dashboard-{cases}-{args.seed}"
    marker = var_dir / "ready.json"
    if args.rebuild and var_dir.exists():
        shutil.rmtree(var_dir)
    _environment(var_dir)
    setup_django()
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["testserver"]
    if marker.exists():
        info = json.loads(marker.read_text())
        note(f"reusing {var_dir} ({info['cases']:,} cases, built {info['built_at']})")
    else:
        if (var_dir / "grassroots.sqlite3").exists():
            (var_dir / "grassroots.sqlite3").unlink()
        info = _build(var_dir, cases, args.seed)
        marker.write_text(json.dumps(info, indent=1))
        emit(
            BENCH,
            "bulk_cases_per_s",
            info["cases"] / max(info["seconds_cases"] + info["seconds_summary"], 1e-9),
            "cases/s",
            None,
            None,
        )

    from django.core.cache import cache
    from django.test import Client

    leader = _leader()
    district = leader.unit
    end = datetime.fromisoformat(info["end"]).date()
    first, last, since = _month_range(end)
    client = Client()
    client.force_login(leader)
    url = f"/insight/dashboard/?unit={district.pk}&from={first:%Y-%m}&to={last:%Y-%m}"

    def ours() -> Any:
        response = client.get(url)
        assert response.status_code == 200, response.status_code
        return response

    def timed(function: Any, n: int, before: Any = None) -> tuple[list[float], list[float]]:
        cpu, wall = [], []
        for _ in range(n):
            if before is not None:
                before()
            c0, w0 = time.process_time(), time.perf_counter()
            function()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
        return cpu, wall

    response = ours()
    ours()
    html = response.content.decode()
    start = html.index('id="insight-dashboard-data"')
    data = json.loads(html[html.index(">", start) + 1 : html.index("</script>", start)])
    figures = naive(district, first, last, since)
    received_ours = {c["key"]: c["value"] for c in data["cards"]}["received"]
    received_naive = sum(row["n"] for row in figures["by_channel"])
    note(f"district {district.name}: ours {received_ours:,} cases, naive {received_naive:,}")
    assert received_ours == received_naive, (received_ours, received_naive)
    assert sum(c["received"] for c in data["cells"]) == sum(figures["cells"].values())

    cpu_ours, wall_ours = timed(ours, runs)
    cpu_cold, wall_cold = timed(ours, runs, before=cache.clear)
    cpu_naive, wall_naive = timed(lambda: naive(district, first, last, since), naive_runs)
    p50 = statistics.median(cpu_ours)
    p50_cold = statistics.median(cpu_cold)
    p50_naive = statistics.median(cpu_naive)
    note(
        f"wall p50: ours {statistics.median(wall_ours):.0f} ms, no map cache "
        f"{statistics.median(wall_cold):.0f} ms, naive {statistics.median(wall_naive):.0f} ms; "
        f"{len(response.content):,} bytes of HTML"
    )
    emit(BENCH, "dashboard_p50_ms", p50, "ms", p50_naive, p50_naive / p50)
    emit(BENCH, "dashboard_nomapcache_p50_ms", p50_cold, "ms", p50_naive, p50_naive / p50_cold)


if __name__ == "__main__":
    main()
