"""Category look-ups. Categories change rarely (an administrator edits them), and every
report looks one up, so each process keeps them for a minute."""

from __future__ import annotations

import threading
import time

from ..models import Category

_TTL_SECONDS = 60.0
_lock = threading.Lock()
_cache: dict[tuple[str, str], Category] = {}
_loaded_at = 0.0


def _table() -> dict[tuple[str, str], Category]:
    global _loaded_at
    now = time.monotonic()
    if now - _loaded_at > _TTL_SECONDS:
        with _lock:
            table: dict[tuple[str, str], Category] = {}
            # Active before inactive, then by edition: the first one per code wins.
            for category in Category.objects.order_by("-is_active", "edition"):
                table.setdefault((category.kind, category.code), category)
            _cache.clear()
            _cache.update(table)
            _loaded_at = now
    return _cache


def category_by_code(*, kind: str, code: str) -> Category | None:
    """The category of ``kind`` with ``code`` (the active one when several editions hold it)."""
    return _table().get((kind.strip(), code.strip()))


def clear_cache() -> None:
    global _loaded_at
    _loaded_at = 0.0
