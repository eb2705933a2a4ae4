"""Settings for grassroots.

Every variable is declared once, with its type and a safe default, in ``ENV_SCHEMA``
below; ``.env.example`` lists them all. Production (``DEBUG=False``) refuses to start
without ``SECRET_KEY`` and ``FIELD_ENCRYPTION_KEY``; ``bin/demo`` and ``bin/test``
generate development values into ``var/dev.env``.
"""

from __future__ import annotations

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("GRASSROOTS_VAR_DIR", BASE_DIR / "var"))

ENV_SCHEMA: dict[str, tuple[type, object]] = {
    "DEBUG": (bool, False),
    "SECRET_KEY": (str, ""),
    "FIELD_ENCRYPTION_KEY": (str, ""),
    "ALLOWED_HOSTS": (list, ["127.0.0.1", "localhost"]),
    "CSRF_TRUSTED_ORIGINS": (list, []),
    "DATABASE_URL": (str, ""),
    "REDIS_URL": (str, ""),
    "HUEY_IMMEDIATE": (bool, False),
    "MEDIA_ROOT": (str, ""),
    # Base map: URL template of the (intranet) tile server; empty means vector-only maps.
    "MAP_TILE_URL": (str, ""),
    "MAP_TILE_ATTRIBUTION": (str, ""),
    # Coordinate system the tile server draws in: "wgs84" or "gcj02".
    "MAP_CRS": (str, "wgs84"),
    "SECURE_SSL_REDIRECT": (bool, False),
    "SESSION_COOKIE_SECURE": (bool, False),
    "LOG_LEVEL": (str, "INFO"),
    # Entity resolution: match probability for an automatic merge, and for the review queue.
    "REGISTRY_AUTO_MERGE_PROBABILITY": (float, 0.95),
    "REGISTRY_REVIEW_PROBABILITY": (float, 0.50),
}

env = environ.Env(**ENV_SCHEMA)  # type: ignore[arg-type]
_dev_env = VAR_DIR / "dev.env"
if os.environ.get("GRASSROOTS_ENV_FILE"):
    environ.Env.read_env(os.environ["GRASSROOTS_ENV_FILE"])
elif _dev_env.exists():
    environ.Env.read_env(str(_dev_env))

DEBUG: bool = env("DEBUG")
SECRET_KEY: str = env("SECRET_KEY")
FIELD_ENCRYPTION_KEY: str = env("FIELD_ENCRYPTION_KEY")
if not SECRET_KEY or not FIELD_ENCRYPTION_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY and FIELD_ENCRYPTION_KEY must be set (run bin/demo to generate "
        "development values into var/dev.env, or set them in the environment)."
    )
ALLOWED_HOSTS: list[str] = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS: list[str] = env("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "huey.contrib.djhuey",
    "grassroots.core",
    "grassroots.org",
    "grassroots.audit",
    "grassroots.registry",
    "grassroots.cases",
    "grassroots.open311",
    "grassroots.insight",
    "grassroots.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "grassroots.core.middleware.UserPreferencesMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "grassroots" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "grassroots.core.context_processors.ui",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
if env("DATABASE_URL"):
    DATABASES = {"default": env.db_url("DATABASE_URL")}
    DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "grassroots.sqlite3",
            "OPTIONS": {
                # WAL lets readers work while one writer writes; IMMEDIATE avoids
                # upgrade deadlocks between concurrent writers.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=20000;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "org.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- language and time ------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [
    ("zh-hans", _("简体中文")),
    ("zh-hant", _("繁體中文")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "grassroots" / "locale"]
LANGUAGE_COOKIE_NAME = "gr_lang"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- static and media -------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "grassroots" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT") or VAR_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- security ---------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env("SESSION_COOKIE_SECURE")
CSRF_COOKIE_SECURE = env("SESSION_COOKIE_SECURE")
SECURE_SSL_REDIRECT = env("SECURE_SSL_REDIRECT")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- cache (rate limits) ------------------------------------------------------------------
# Rate limits count in the cache. Several processes or machines must share it: Redis. The
# embedded default is per process, exact for the single web process bin/demo runs.
if env("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": env("REDIS_URL"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "grassroots",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- task queue -------------------------------------------------------------------------
if env("REDIS_URL"):
    HUEY = {
        "huey_class": "huey.RedisHuey",
        "name": "grassroots",
        "url": env("REDIS_URL"),
        "immediate": env("HUEY_IMMEDIATE"),
    }
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "grassroots",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": env("HUEY_IMMEDIATE"),
    }

# --- API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Token first: an anonymous API call answers 401 (with WWW-Authenticate), not 403.
    # Staff and apps get a token with `manage.py drf_create_token USERNAME`.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "EXCEPTION_HANDLER": "grassroots.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "grassroots API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- maps -------------------------------------------------------------------------------
MAP_TILE_URL: str = env("MAP_TILE_URL")
MAP_TILE_ATTRIBUTION: str = env("MAP_TILE_ATTRIBUTION")
MAP_CRS: str = env("MAP_CRS").lower()
if MAP_CRS not in {"wgs84", "gcj02"}:
    raise ImproperlyConfigured("MAP_CRS must be 'wgs84' or 'gcj02'.")

# --- cases ------------------------------------------------------------------------------
NOTIFICATION_BACKEND = "grassroots.cases.notify.FileBackend"
# An open case of the same category this close (metres) and this recent (hours) is offered
# to the dispatcher as a probable duplicate.
DUPLICATE_RADIUS_M = 150
DUPLICATE_WINDOW_HOURS = 72
# Photos: at most this many per report, each at most this many bytes and pixels.
CASE_PHOTO_MAX_COUNT = 9
CASE_PHOTO_MAX_BYTES = 10 * 1024 * 1024
CASE_PHOTO_MAX_PIXELS = 40_000_000
# Reports accepted from one client address per hour (anti-automation).
CASE_REPORTS_PER_HOUR = 20
# Yellow warning when this share of the resolution time is left.
DEADLINE_YELLOW_SHARE = 0.25

# --- registry (the base database) --------------------------------------------------------
# Entity resolution: a pair at or above this match probability is merged automatically; one
# between the review and the merge thresholds goes to the steward's review queue.
REGISTRY_AUTO_MERGE_PROBABILITY: float = env("REGISTRY_AUTO_MERGE_PROBABILITY")
REGISTRY_REVIEW_PROBABILITY: float = env("REGISTRY_REVIEW_PROBABILITY")
if not 0 < REGISTRY_REVIEW_PROBABILITY <= REGISTRY_AUTO_MERGE_PROBABILITY < 1:
    raise ImproperlyConfigured(
        "Need 0 < REGISTRY_REVIEW_PROBABILITY <= REGISTRY_AUTO_MERGE_PROBABILITY < 1."
    )
# Department files: larger files are refused before any row is read.
REGISTRY_IMPORT_MAX_BYTES = 200 * 1024 * 1024
REGISTRY_IMPORT_MAX_ROWS = 2_000_000

# --- insight (KPIs, dashboards, early warning) --------------------------------------------
# Early-warning scans run this often (minutes) in the task queue.
INSIGHT_SCAN_MINUTES = 60

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL")},
}
