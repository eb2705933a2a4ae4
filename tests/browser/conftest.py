"""Browser tests: Playwright's sync API driving Debian's chromium against the live server.

Skipped (with a message) where /usr/bin/chromium is missing, except in CI (``CI`` set),
where a missing browser fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

# Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
# test itself (building data) would otherwise refuse to run.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 768}
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"{CHROMIUM} is missing; CI must install Debian's chromium package")
    pytest.skip(f"{CHROMIUM} not found: install Debian's chromium to run the browser tests")


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


class Session:
    """One browser context at one viewport, recording every request it makes."""

    def __init__(self, browser: Any, base_url: str, viewport: dict[str, int], **kwargs: Any):
        self.base_url = base_url
        self.context = browser.new_context(
            viewport=viewport,
            device_scale_factor=1,
            locale="zh-CN",
            timezone_id="Asia/Shanghai",
            is_mobile=viewport["width"] < 600,
            has_touch=viewport["width"] < 600,
            **kwargs,
        )
        self.context.set_default_timeout(10_000)
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.console_errors: list[str] = []
        self.page.on(
            "console",
            lambda msg: self.console_errors.append(msg.text) if msg.type == "error" else None,
        )
        self.page.on("pageerror", lambda exc: self.console_errors.append(str(exc)))

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path, wait_until="load")

    def foreign_requests(self) -> list[str]:
        foreign = []
        for url in self.requests:
            parts = urlsplit(url)
            if parts.scheme in {"data", "blob"}:
                continue
            if parts.hostname not in LOCAL_HOSTS:
                foreign.append(url)
        return foreign

    def horizontal_overflow(self) -> int:
        return int(
            self.page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_session(browser: Any, live_server: Any) -> Iterator[Any]:
    sessions: list[Session] = []

    def _open(viewport: dict[str, int], **kwargs: Any) -> Session:
        session = Session(browser, live_server.url, viewport, **kwargs)
        sessions.append(session)
        return session

    yield _open
    for session in sessions:
        session.close()


@pytest.fixture
def demo_site(transactional_db: None, settings: Any, tmp_path: Path) -> dict[str, Any]:
    """The small demo district (units, boundaries, departments, accounts), committed so
    the live server's thread sees it."""
    from grassroots.demo.services import demo_build
    from grassroots.org.locate import invalidate_index

    settings.PASSWORD_HASHERS = FAST_HASHERS
    result = demo_build(scale="small", seed=7, credentials_file=tmp_path / "credentials.json")
    invalidate_index()
    return result.credentials
