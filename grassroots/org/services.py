"""Writes to the administrative tree."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from .models import BoundaryGeneration, Unit


def unit_path_for(*, code: str, parent: Unit | None) -> tuple[str, int]:
    """Materialised path and depth of a unit with ``code`` under ``parent``."""
    if parent is None:
        return f"/{code}/", 0
    return f"{parent.path}{code}/", parent.depth + 1


def boundary_generation_bump() -> int:
    """Record that boundaries changed, so every process rebuilds its location index.

    Call inside the transaction that changed them; the local index is dropped on commit.
    """
    from .locate import invalidate_index

    updated = BoundaryGeneration.objects.filter(pk=1).update(generation=F("generation") + 1)
    if not updated:
        BoundaryGeneration.objects.create(pk=1, generation=1)
    transaction.on_commit(invalidate_index)
    return BoundaryGeneration.objects.get(pk=1).generation
