"""Open311 requests per second through the real HTTP stack.

The server of ``bench/intake.py`` (its functions, imported): gunicorn from the project's
environment, ``config.wsgi``, 2 workers × 2 threads, on 127.0.0.1 over a throwaway SQLite
database holding the demo district (``grassroots demo --scale small``; ``--quick`` leaves
out its case history), with ``bench._settings``. The demo's Open311 key (written into
``demo-credentials.json``) has its hourly limit raised before the server starts.

POST — ours: ``POST /open311/v2/requests.json``, form-encoded (``api_key``,
``service_code``, ``lat``, ``long``, ``description``: key check, validation, locating,
the case, the key's use log). Baseline: ``POST /bench/bare-intake/``, one ``Case`` INSERT
(JSON). Same points and texts, same server, same run. Figure: ``post_requests_per_s``
(2xx answers per second); 2xx answers must equal cases stored.

GET — ours: ``GET /open311/v2/requests.json`` (no filter: the newest 1000 of the last 90
days, each rendered as a GeoReport service request). Baseline: ``GET /bench/bare-requests/``,
a bare Django view returning the same 1000 rows of ``Case.objects.values(...)`` as JSON.
The POST phase (topped up if needed) leaves at least 1000 cases within 90 days, so both
answer 1000 rows. Figure: ``get_requests_per_s``.

Load: 8 client threads (keep-alive), the two endpoints alternating in two rounds each.
p50/p99 latency goes to stderr.

``grassroots bench api [--quick]``
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # also as python bench/api.py
from bench._common import emit, note, parse_args
from bench.intake import (
    BARE_PATH,
    ROUNDS,
    WARMUP,
    Phase,
    _bodies,
    _free_port,
    _load,
    _percentile,
    _start_server,
    _stop_server,
    _throwaway,
)

BENCH = "api"
OURS_PATH = "/open311/v2/requests.json"
BARE_GET_PATH = "/bench/bare-requests/"
FORM = "application/x-www-form-urlencoded"
RESULTS = 1000

# --- the GET baseline (mounted by bench/_intake_urls.py in the server) --------------------


def bare_requests(request: Any) -> Any:
    """The newest 1000 cases of the last 90 days as plain rows: no serializer, no rendering."""
    from django.core.serializers.json import DjangoJSONEncoder
    from django.http import JsonResponse
    from django.utils import timezone

    from grassroots.cases.models import Case

    rows = list(
        Case.objects.filter(created_at__gte=timezone.now() - timedelta(days=90))
        .order_by("-created_at", "-id")
        .values(
            "id", "category_id", "status", "description", "address", "lat", "lon", "created_at"
        )[:RESULTS]
    )
    return JsonResponse(rows, safe=False, encoder=DjangoJSONEncoder)


# --- the run ------------------------------------------------------------------------------


def _raise_key_limit(var_dir: Path) -> str:
    """The demo's Open311 key, its hourly limit raised so the bench is never refused."""
    from grassroots.open311.models import ApiKey
    from grassroots.open311.services import api_key_find

    key = json.loads((var_dir / "demo-credentials.json").read_text())["open311_api_key"]
    api_key = api_key_find(key)
    assert api_key is not None, "the demo's Open311 key is not in the database"
    ApiKey.objects.filter(pk=api_key.pk).update(rate_limit_per_hour=1_000_000_000)
    return str(key)


def _forms(bodies: list[bytes], key: str) -> list[bytes]:
    """The intake bench's reports as Open311 form posts (same points and descriptions)."""
    from grassroots.cases.models import Category
    from grassroots.open311.selectors import category_by_service_code

    codes = [
        c.service_code
        for c in Category.objects.filter(is_active=True).order_by("id")
        if category_by_service_code(c.service_code) is not None
    ]
    forms = []
    for i, body in enumerate(bodies):
        report = json.loads(body)
        fields = {
            "api_key": key,
            "service_code": codes[i % len(codes)],
            "lat": f"{report['lat']:.6f}",
            "long": f"{report['lon']:.6f}",
            "description": report["description"],
        }
        forms.append(urlencode(fields).encode())
    return forms


def _rows(port: int, path: str) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    assert response.status == 200, (path, response.status, data)
    return len(data)


def _rounds(port: int, sides: list[tuple[str, list[bytes], Phase, dict[str, str]]]) -> None:
    """Each side's requests in ``ROUNDS`` shares, the sides alternating, counting stored
    cases."""
    from grassroots.cases.models import Case

    for r in range(ROUNDS):
        for path, items, phase, options in sides:
            share = len(items) // ROUNDS
            chunk = items[r * share : (r + 1) * share if r < ROUNDS - 1 else None]
            before = Case.objects.count()
            _load(port, path, chunk, phase, **options)
            phase.stored += Case.objects.count() - before


def _report(name: str, phase: Phase, sent: int) -> None:
    p50, p99 = (_percentile(phase.latencies, q) * 1000 for q in (50, 99))
    note(
        f"{name}: {phase.ok} 2xx of {sent} in {phase.seconds:.1f} s, {phase.stored} stored, "
        f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, errors {phase.errors or 'none'}"
    )


def main() -> None:
    args = parse_args(__doc__ or BENCH)
    posts = 300 if args.quick else 3000
    gets = 100 if args.quick else 500
    started = time.perf_counter()
    server = None
    with _throwaway(BENCH, quick=args.quick) as (var_dir, env):
        try:
            from grassroots.cases.models import Case

            key = _raise_key_limit(var_dir)
            note(
                f"throwaway database in {var_dir}: migrated, demo district (small) built, "
                f"{Case.objects.count():,} cases already stored, demo key's limit raised"
            )
            bodies = _bodies(posts + WARMUP + RESULTS, args.seed)
            spare = bodies[posts + WARMUP :]
            bodies = bodies[: posts + WARMUP]
            forms = _forms(bodies, key)
            port = _free_port()
            server = _start_server(env, port, var_dir / "gunicorn.log", started)

            # POST
            _load(port, OURS_PATH, forms[:WARMUP], Phase(), content_type=FORM)
            _load(port, BARE_PATH, bodies[:WARMUP], Phase())
            post_ours, post_bare = Phase(), Phase()
            _rounds(
                port,
                [
                    (OURS_PATH, forms[WARMUP:], post_ours, {"content_type": FORM}),
                    (BARE_PATH, bodies[WARMUP:], post_bare, {}),
                ],
            )
            _report("POST ours", post_ours, posts)
            _report("POST bare", post_bare, posts)

            # GET: at least 1000 published cases within 90 days
            shown = _rows(port, OURS_PATH)
            if shown < RESULTS:
                _load(
                    port,
                    OURS_PATH,
                    _forms(spare[: RESULTS - shown], key),
                    Phase(),
                    content_type=FORM,
                )
                shown = _rows(port, OURS_PATH)
            bare_shown = _rows(port, BARE_GET_PATH)
            assert shown == RESULTS and bare_shown == RESULTS, (shown, bare_shown)
            note(f"GET answers {shown} (ours) and {bare_shown} (bare) results")
            get = [{"method": "GET"}]
            _load(port, OURS_PATH, [b""] * (WARMUP // 4), Phase(), **get[0])
            _load(port, BARE_GET_PATH, [b""] * (WARMUP // 4), Phase(), **get[0])
            get_ours, get_bare = Phase(), Phase()
            _rounds(
                port,
                [
                    (OURS_PATH, [b""] * gets, get_ours, get[0]),
                    (BARE_GET_PATH, [b""] * gets, get_bare, get[0]),
                ],
            )
            _report("GET ours", get_ours, gets)
            _report("GET bare", get_bare, gets)
        finally:
            if server is not None:
                _stop_server(server)

    assert post_ours.ok == post_ours.stored and post_bare.ok == post_bare.stored, "lost cases"
    for metric, ours, bare in (
        ("get_requests_per_s", get_ours, get_bare),
        ("post_requests_per_s", post_ours, post_bare),
    ):
        ours_rate, bare_rate = ours.ok / ours.seconds, bare.ok / bare.seconds
        emit(BENCH, metric, ours_rate, "requests/s", bare_rate, ours_rate / bare_rate)


if __name__ == "__main__":
    main()
