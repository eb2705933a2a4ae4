"""Shared helpers for the benchmarks in ``bench/``.

Each benchmark prints one JSON line per figure to stdout::

    {"bench": NAME, "metric": ..., "value": ..., "unit": ..., "baseline": ..., "ratio": ...}

``baseline`` is the comparison measured in the same run and ``ratio`` how many times
better ours is (> 1 is better). Anything else a benchmark says goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent


def parse_args(description: str, argv: Sequence[str] | None = None) -> argparse.Namespace:
    """``--quick`` (a run under a minute) and ``--seed``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--quick", action="store_true", help="a smaller run, under a minute")
    parser.add_argument("--seed", type=int, default=20250101, help="seed of the generated data")
    return parser.parse_args(argv)


def setup_django() -> None:
    """Configure Django (settings as for ``grassroots``) before touching models."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return float(f"{value:.4g}")


def emit(
    bench: str,
    metric: str,
    value: float,
    unit: str,
    baseline: float | None,
    ratio: float | None,
) -> None:
    """Print one figure as a JSON line (4 significant digits)."""
    line = {
        "bench": bench,
        "metric": metric,
        "value": _round(value),
        "unit": unit,
        "baseline": _round(baseline),
        "ratio": _round(ratio),
    }
    print(json.dumps(line, ensure_ascii=False), flush=True)


def note(message: str) -> None:
    """Context for a person reading the run (stderr, so stdout stays JSON lines)."""
    print(message, file=sys.stderr, flush=True)


def best_time(
    function: Callable[[], Any], *, repeat: int = 3, clock: Callable[[], float] = time.process_time
) -> float:
    """The fastest of ``repeat`` runs of ``function``, in seconds.

    By default in CPU seconds of this process: on a shared machine other load does not
    skew the figure. That is right for single-threaded code (the same as wall time on an
    idle machine); pass ``clock=time.perf_counter`` for anything that waits or uses
    several threads.
    """
    best = float("inf")
    for _ in range(repeat):
        started = clock()
        function()
        best = min(best, clock() - started)
    return best
