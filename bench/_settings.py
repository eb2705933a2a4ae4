"""Settings of the server that ``bench/intake.py`` starts: the project's own settings, with
the bench URLconf (every real URL plus the bare baseline endpoint) and the per-address
report limit lifted, since every request of the benchmark comes from 127.0.0.1."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench._intake_urls"
CASE_REPORTS_PER_HOUR = 1_000_000_000
