"""A small fixed-window rate limiter over Django's cache.

``limited(key, limit=..., window=...)`` tells whether ``key`` has already used its
allowance in the current window; ``hit(key, window=...)`` spends one. Keys are built from
what is being limited and who asks (``client_ip``), e.g. ``"cases:report:203.0.113.7"``.

Where the counters live is the ``default`` cache. The default LocMem cache keeps them per
process, which is right for one process (``bin/demo``, tests). A deployment with several
web processes must point ``CACHES["default"]`` at the shared cache (Redis, the same one the
task queue uses) so that every process counts against the same allowance.

The client address is ``REMOTE_ADDR``. Behind a reverse proxy, the proxy must set it to the
real client address (e.g. nginx ``real_ip`` or gunicorn ``--forwarded-allow-ips``);
``X-Forwarded-For`` is never trusted here because a client can write it.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.http import HttpRequest

HOUR = 3600


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR") or "unknown"


def _bucket_key(key: str, window: int) -> str:
    return f"ratelimit:{key}:{int(time.time()) // window}"


def count(key: str, *, window: int = HOUR) -> int:
    """How many hits ``key`` has in the current window."""
    return int(cache.get(_bucket_key(key, window), 0))


def limited(key: str, *, limit: int, window: int = HOUR) -> bool:
    """True when ``key`` has already spent ``limit`` hits in the current window."""
    return count(key, window=window) >= limit


def hit(key: str, *, window: int = HOUR) -> int:
    """Spend one hit of ``key`` in the current window; returns the new count."""
    bucket = _bucket_key(key, window)
    # add() is a no-op when the bucket exists; incr() is atomic on Redis and memcached.
    cache.add(bucket, 0, timeout=window + 60)
    try:
        return int(cache.incr(bucket))
    except ValueError:  # expired between add() and incr()
        cache.set(bucket, 1, timeout=window + 60)
        return 1
