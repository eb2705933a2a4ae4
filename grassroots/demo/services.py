"""Building the demo district: the one entry point for the command and ``bin/demo``."""

from __future__ import annotations

from pathlib import Path

from .generator.build import BuildResult, DemoRefused, build_demo
from .generator.credentials import credentials_table
from .generator.scales import DEFAULT_SEED, SCALES

__all__ = [
    "DEFAULT_SEED",
    "SCALES",
    "BuildResult",
    "DemoRefused",
    "credentials_table",
    "demo_build",
]


def demo_build(
    *,
    scale: str = "district",
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: bool = False,
    credentials_file: Path | None = None,
) -> BuildResult:
    """Build the demo tree, departments and accounts for ``scale`` from ``seed``, in one
    transaction, and write the credentials file.

    Idempotent: if the database already holds this scale and seed, nothing is built (the
    credentials file is written again). A different demo is replaced only with ``force``;
    a tree that is not a demo is never touched (``DemoRefused``).
    """
    return build_demo(
        scale=scale,
        seed=seed,
        force=force,
        progress=progress,
        credentials_file=credentials_file,
    )
