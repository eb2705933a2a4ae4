"""Settings: safe defaults, and production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load_settings(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return subprocess.run(
        [sys.executable, "-c", "import config.settings as s; print(s.DEBUG, s.MAP_CRS)"],
        cwd=ROOT,
        env={**base, "GRASSROOTS_VAR_DIR": "/tmp/grassroots-settings-test", **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_missing_secrets_stop_start_up():
    result = _load_settings({})
    assert result.returncode != 0
    assert "SECRET_KEY and FIELD_ENCRYPTION_KEY must be set" in result.stderr


def test_defaults_are_safe():
    result = _load_settings({"SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": "y" * 44})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "wgs84"]


def test_unknown_map_crs_is_refused():
    result = _load_settings(
        {"SECRET_KEY": "x" * 50, "FIELD_ENCRYPTION_KEY": "y" * 44, "MAP_CRS": "bd09"}
    )
    assert result.returncode != 0
    assert "MAP_CRS" in result.stderr


def test_language_and_time_zone(settings):
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "zh-hant", "en"]
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_embedded_sqlite_runs_in_wal_mode(tmp_path):
    code = (
        "import django; django.setup(); from django.db import connection; "
        "c = connection.cursor(); c.execute('PRAGMA journal_mode'); print(c.fetchone()[0])"
    )
    base = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **base,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "GRASSROOTS_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "x" * 50,
            "FIELD_ENCRYPTION_KEY": "y" * 44,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "wal"
