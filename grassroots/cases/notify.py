"""Notifications: one interface, pluggable backends.

``notify(message)`` queues a delivery job (Huey) once the transaction commits, so no web
request waits for a file, a gateway or a network; the job hands the message to the
configured backend. The default backend writes to the log and a JSON-lines file
(``var/notifications.jsonl``) so a demo shows what residents would receive; an SMS gateway
is one class with a ``send`` method named in ``NOTIFICATION_BACKEND``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Protocol

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from huey.contrib.djhuey import db_task

from grassroots.core.crypto import decrypt

logger = logging.getLogger("grassroots.notify")


@dataclass(frozen=True)
class Message:
    to_phone_encrypted: str  # never the plain number outside the backend
    to_user_id: int | None
    tracking_code: str
    text: str
    kind: str


class Backend(Protocol):
    def send(self, message: Message) -> None: ...


class FileBackend:
    """Log line plus one JSON line per message; the phone number is masked in both."""

    def send(self, message: Message) -> None:
        from grassroots.core.masking import mask_phone

        record = asdict(message)
        record.pop("to_phone_encrypted")
        record["to_phone"] = mask_phone(decrypt(message.to_phone_encrypted))
        record["at"] = timezone.now().isoformat()
        logger.info("notify %s: %s", record["to_phone"] or record["to_user_id"], message.text)
        path = settings.VAR_DIR / "notifications.jsonl"
        with path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(record, ensure_ascii=False) + "\n")


class MemoryBackend:
    """For tests: keeps messages in ``MemoryBackend.outbox``."""

    outbox: list[Message] = []

    def send(self, message: Message) -> None:
        MemoryBackend.outbox.append(message)


@lru_cache(maxsize=4)
def _backend(path: str) -> Backend:
    return import_string(path)()


def backend() -> Backend:
    return _backend(
        getattr(settings, "NOTIFICATION_BACKEND", "grassroots.cases.notify.FileBackend")
    )


_local = threading.local()


@contextmanager
def suppressed() -> Iterator[None]:
    """Send nothing inside this block (bulk imports, generated demo history)."""
    previous = getattr(_local, "suppressed", False)
    _local.suppressed = True
    try:
        yield
    finally:
        _local.suppressed = previous


def is_suppressed() -> bool:
    return bool(getattr(_local, "suppressed", False))


@db_task(name="cases.deliver_notification", retries=3, retry_delay=60)
def deliver(message: dict) -> None:
    """Queue job: hand one message to the backend (retried if the gateway fails)."""
    backend().send(Message(**message))


def notify(message: Message) -> None:
    """Queue ``message`` for delivery once the surrounding transaction commits (never on
    rollback)."""
    if not message.to_phone_encrypted and message.to_user_id is None:
        return
    if getattr(_local, "suppressed", False):
        return
    payload = asdict(message)
    transaction.on_commit(lambda: deliver(payload))
