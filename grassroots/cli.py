"""The ``grassroots`` console command.

``grassroots demo [--scale ...]`` builds the demo district, ``grassroots bench NAME`` runs
``bench/NAME.py``; anything else is passed to Django's management commands, so
``grassroots migrate`` or ``grassroots org_import_boundaries`` work as expected.
"""

from __future__ import annotations

import os
import runpy
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO_ROOT / "bench"


def _bench(argv: list[str]) -> int:
    names = sorted(p.stem for p in BENCH_DIR.glob("*.py") if not p.stem.startswith("_"))
    if not argv or argv[0] in {"-h", "--help"}:
        print("usage: grassroots bench NAME [--quick]\navailable: " + ", ".join(names))
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in names:
        print(f"unknown benchmark {name!r}; available: {', '.join(names)}", file=sys.stderr)
        return 2
    sys.path.insert(0, str(REPO_ROOT))
    sys.argv = [str(BENCH_DIR / f"{name}.py"), *rest]
    runpy.run_path(str(BENCH_DIR / f"{name}.py"), run_name="__main__")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if argv and argv[0] == "bench":
        return _bench(argv[1:])
    if argv and argv[0] == "demo":
        argv[0] = "demo_build"
    from django.core.management import execute_from_command_line

    execute_from_command_line(["grassroots", *argv])
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
