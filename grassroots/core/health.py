"""Health checks of the database and the task queue, for ``GET /healthz``."""

from __future__ import annotations

from django.db import connection


def check_database() -> dict[str, object]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return {"ok": True, "vendor": connection.vendor}
    except Exception as exc:
        return {"ok": False, "vendor": connection.vendor, "error": exc.__class__.__name__}


def check_queue() -> dict[str, object]:
    try:
        from huey.contrib.djhuey import HUEY

        pending = HUEY.pending_count()
        return {"ok": True, "backend": type(HUEY.storage).__name__, "pending": pending}
    except Exception as exc:
        return {"ok": False, "error": exc.__class__.__name__}
