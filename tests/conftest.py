from __future__ import annotations

import os
from pathlib import Path

import pytest

ARTIFACTS = Path(
    os.environ.get("TEST_ARTIFACTS", Path(__file__).resolve().parent.parent / "test-artifacts")
)


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2 with a million rounds costs ~0.3 s per account; tests need no such strength."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _process_local_cache(settings):
    """Rate-limit counters live in the cache; parallel test processes must not share them."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "grassroots-tests",
        }
    }


@pytest.fixture(autouse=True)
def _queue_runs_inline():
    """Queue jobs run at once in the calling process (Huey's immediate mode, in memory)."""
    from huey.contrib.djhuey import HUEY

    previous = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = previous


@pytest.fixture(autouse=True)
def _fresh_category_cache():
    """Categories are cached per process for a minute; each test starts from the database."""
    from grassroots.cases.selectors.categories import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language: a request in another language activates it
    for the thread, and services called directly afterwards would answer in it."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def outbox(settings):
    """Notifications go to memory in every test (never to var/notifications.jsonl); the
    messages sent are in the returned list."""
    from grassroots.cases import notify

    settings.NOTIFICATION_BACKEND = "grassroots.cases.notify.MemoryBackend"
    notify._backend.cache_clear()
    notify.MemoryBackend.outbox.clear()
    yield notify.MemoryBackend.outbox
    notify._backend.cache_clear()
