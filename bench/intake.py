"""Reports accepted per second through the real HTTP stack.

A real server — gunicorn from the project's environment, ``config.wsgi``, 2 workers with
2 threads each (the deployed worker class, see docs/operators/deployment.md), bound to
127.0.0.1 on a free port — runs over a throwaway SQLite database in a temporary
``GRASSROOTS_VAR_DIR``, migrated and holding the demo district (``grassroots demo --scale
small``; ``--quick`` leaves out its case history). The server uses ``bench._settings``:
the project's settings with the bench URLconf ``bench._intake_urls`` (every real URL plus
the bare endpoint below) and the per-address report limit lifted (every request comes
from 127.0.0.1).

Ours: ``POST /api/v1/cases/reports/`` (JSON; parse, validate, locate the point in its
grid, encrypt the phone, deadlines, insert, search text, timeline, notification, commit).
Baseline: ``POST /bench/bare-intake/``, a bare Django view doing one ``Case`` INSERT with
no validation, in the same server, same settings, same run. Both get the same bodies.

Load: a fixed number of requests from 8 concurrent client threads (``http.client``,
keep-alive), the two endpoints alternating in two rounds each. The client runs on the same
machine as the server. Figures: ``reports_per_s`` (2xx answers per second),
``p50_ms``/``p99_ms`` latency, ``lost_reports`` (2xx answers minus cases stored; must be 0).

``grassroots bench intake [--quick]``
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also as python bench/intake.py
from bench._common import REPO_ROOT, emit, note, parse_args, setup_django

BENCH = "intake"
OURS_PATH = "/api/v1/cases/reports/"
BARE_PATH = "/bench/bare-intake/"
CLIENTS = 8
WORKERS = 2
THREADS = 2
WARMUP = 40
ROUNDS = 2

# --- the baseline endpoint (mounted by bench/_intake_urls.py in the server) ---------------

_bare_ids: dict[str, int] = {}


def bare_intake(request: Any) -> Any:
    """One INSERT, no validation: the cheapest way Django can store a report."""
    from django.http import JsonResponse

    from grassroots.cases.models import Case, Category
    from grassroots.org.models import Unit

    if not _bare_ids:  # looked up once per process, not per request
        grid = Unit.objects.filter(level="grid").order_by("id").first()
        assert grid is not None and grid.parent_id is not None
        _bare_ids.update(
            category=Category.objects.order_by("id").values_list("id", flat=True)[0],
            grid=grid.id,
            owner=grid.parent_id,
        )
    data = json.loads(request.body)
    case = Case.objects.create(
        tracking_code=secrets.token_hex(5).upper(),
        category_id=_bare_ids["category"],
        channel="web",
        description=data["description"],
        address=data.get("address", ""),
        lon=data.get("lon"),
        lat=data.get("lat"),
        area_id=_bare_ids["grid"],
        owner_unit_id=_bare_ids["owner"],
        urgency="general",
    )
    return JsonResponse({"tracking_code": case.tracking_code, "status": case.status}, status=201)


# --- the load ----------------------------------------------------------------------------


@dataclass
class Phase:
    ok: int = 0
    errors: dict[int, int] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    stored: int = 0


def _load(
    port: int,
    path: str,
    bodies: list[bytes],
    phase: Phase,
    *,
    method: str = "POST",
    content_type: str = "application/json",
) -> None:
    """Send every body once, from ``CLIENTS`` threads, each on its own keep-alive
    connection; add the answers to ``phase``. A ``GET`` sends one request per (ignored)
    body."""
    lock = threading.Lock()
    queue = iter(bodies)
    headers = {"Content-Type": content_type, "Connection": "keep-alive"}
    if method == "GET":
        headers = {"Connection": "keep-alive"}

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies: list[float] = []
        ok = 0
        errors: dict[int, int] = {}
        while True:
            with lock:
                body = next(queue, None)
            if body is None:
                break
            started = time.perf_counter()
            try:
                conn.request(method, path, body=None if method == "GET" else body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()  # reconnects on the next request
                status = 0
            latencies.append(time.perf_counter() - started)
            if 200 <= status < 300:
                ok += 1
            else:
                errors[status] = errors.get(status, 0) + 1
        conn.close()
        with lock:
            phase.ok += ok
            phase.latencies.extend(latencies)
            for status, n in errors.items():
                phase.errors[status] = phase.errors.get(status, 0) + n

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    phase.seconds += time.perf_counter() - started


def _bodies(count: int, seed: int) -> list[bytes]:
    """Reports at random points inside the demo district's grids, varied categories."""
    from shapely.geometry import Point, shape

    from grassroots.cases.models import Category
    from grassroots.org.models import Unit, UnitBoundary

    rng = random.Random(seed)
    grid_ids = list(Unit.objects.filter(level="grid").values_list("id", flat=True))
    shapes = [
        shape(b.geometry)
        for b in UnitBoundary.objects.filter(unit_id__in=grid_ids, valid_to__isnull=True)
    ]
    categories = [
        f"{kind}:{code}"
        for kind, code in Category.objects.filter(is_active=True)
        .exclude(kind="hotline")
        .values_list("kind", "code")
    ]
    problems = ["下水道堵了，污水冒出来", "路灯不亮，晚上很黑", "垃圾没人收，很臭", "井盖松动"]
    bodies = []
    for i in range(count):
        polygon = rng.choice(shapes)
        minx, miny, maxx, maxy = polygon.bounds
        while True:
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if polygon.contains(Point(lon, lat)):
                break
        report = {
            "category": rng.choice(categories),
            "description": f"{rng.choice(problems)}（第 {i} 号测试上报）",
            "lon": lon,
            "lat": lat,
            "address": f"测试路 {rng.randint(1, 999)} 号",
            "phone": f"138{rng.randint(0, 99_999_999):08d}",
            "name": "测试",
        }
        bodies.append(json.dumps(report, ensure_ascii=False).encode())
    return bodies


# --- the server --------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(var_dir: Path) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL", "GRASSROOTS_ENV_FILE", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    env.update(
        GRASSROOTS_VAR_DIR=str(var_dir),
        SECRET_KEY=secrets.token_urlsafe(40),
        FIELD_ENCRYPTION_KEY=secrets.token_urlsafe(40),
        DEBUG="false",
        LOG_LEVEL="WARNING",
    )
    return env


def _prepare(env: dict[str, str], *, quick: bool) -> None:
    """Migrate and build the small demo district. ``--quick`` leaves out the demo's case
    history where the generator has one (it takes longer than the quick run itself)."""
    cli = [sys.executable, "-m", "grassroots.cli"]

    def run(*args: str) -> str:
        return subprocess.run(
            [*cli, *args], env=env, cwd=REPO_ROOT, check=True, capture_output=True, text=True
        ).stdout

    run("migrate", "-v0")
    demo = ["demo", "--scale", "small", "--no-progress"]
    if quick and "--no-history" in run("demo", "--help"):
        demo.append("--no-history")
    run(*demo)


@contextmanager
def _throwaway(bench: str, *, quick: bool) -> Iterator[tuple[Path, dict[str, str]]]:
    """A temporary ``GRASSROOTS_VAR_DIR`` with its database prepared (``_prepare``), this
    process's Django set up on it; the folder is removed on leaving."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"grassroots-bench-{bench}-"))
    try:
        env = _environment(var_dir)
        _prepare(env, quick=quick)
        for name in ("GRASSROOTS_VAR_DIR", "SECRET_KEY", "FIELD_ENCRYPTION_KEY"):
            os.environ[name] = env[name]
        for name in ("DATABASE_URL", "GRASSROOTS_ENV_FILE"):
            os.environ.pop(name, None)
        setup_django()
        yield var_dir, env
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)


def _start_server(
    env: dict[str, str], port: int, log: Path, started: float
) -> subprocess.Popen[bytes]:
    """gunicorn on ``port``, once it answers ``/healthz`` (``started``: when the run began,
    for the note saying how long it took)."""
    gunicorn = Path(sys.executable).parent / "gunicorn"
    server_env = {**env, "DJANGO_SETTINGS_MODULE": "bench._settings"}
    command = [
        str(gunicorn),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={WORKERS}",
        f"--threads={THREADS}",
        f"--chdir={REPO_ROOT}",
        "--log-level=warning",
    ]
    with log.open("wb") as out:
        server = subprocess.Popen(command, env=server_env, stdout=out, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError("gunicorn exited:\n" + log.read_text(errors="replace")[-3000:])
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                conn.close()
                note(
                    f"gunicorn on 127.0.0.1:{port}, {WORKERS} workers × {THREADS} threads, "
                    f"ready {time.perf_counter() - started:.1f} s after start; "
                    f"{os.cpu_count()} CPUs; {CLIENTS} clients"
                )
                return server
            conn.close()
        except OSError:
            pass
        time.sleep(0.2)
    server.send_signal(signal.SIGTERM)
    raise RuntimeError("gunicorn did not answer /healthz within 60 s")


def _stop_server(server: subprocess.Popen[bytes]) -> None:
    if server.poll() is None:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _percentile(values: list[float], q: float) -> float:
    import numpy as np

    return float(np.percentile(np.asarray(values), q))


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    total = 500 if args.quick else 3000
    started = time.perf_counter()
    server = None
    with _throwaway(BENCH, quick=args.quick) as (var_dir, env):
        try:
            from grassroots.cases.models import Case

            note(
                f"throwaway database in {var_dir}: migrated, demo district (small) built, "
                f"{Case.objects.count():,} cases already stored"
            )
            bodies = _bodies(total + WARMUP, args.seed)
            warmup, bodies = bodies[:WARMUP], bodies[WARMUP:]
            port = _free_port()
            server = _start_server(env, port, var_dir / "gunicorn.log", started)
            _load(port, OURS_PATH, warmup, Phase())
            _load(port, BARE_PATH, warmup, Phase())

            ours, bare = Phase(), Phase()
            share = len(bodies) // ROUNDS
            for r in range(ROUNDS):
                chunk = bodies[r * share : (r + 1) * share if r < ROUNDS - 1 else None]
                for path, phase in ((OURS_PATH, ours), (BARE_PATH, bare)):
                    before = Case.objects.count()
                    _load(port, path, chunk, phase)
                    phase.stored += Case.objects.count() - before
            for name, phase in (("ours", ours), ("bare", bare)):
                note(
                    f"{name}: {phase.ok} 2xx of {len(bodies)} in {phase.seconds:.1f} s, "
                    f"{phase.stored} stored, errors {phase.errors or 'none'}"
                )
        finally:
            if server is not None:
                _stop_server(server)

    ours_rate, bare_rate = ours.ok / ours.seconds, bare.ok / bare.seconds
    emit(BENCH, "reports_per_s", ours_rate, "reports/s", bare_rate, ours_rate / bare_rate)
    for metric, q in (("p50_ms", 50), ("p99_ms", 99)):
        ours_ms = _percentile(ours.latencies, q) * 1000
        bare_ms = _percentile(bare.latencies, q) * 1000
        emit(BENCH, metric, ours_ms, "ms", bare_ms, bare_ms / ours_ms)
    emit(BENCH, "lost_reports", ours.ok - ours.stored, "reports", bare.ok - bare.stored, None)


if __name__ == "__main__":
    main()
