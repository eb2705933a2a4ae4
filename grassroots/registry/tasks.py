"""Queue jobs of the base database (Huey). Each calls one service.

An upload from the steward's page becomes a pending batch (``services.import_submit``);
:func:`import_batch` validates and writes it in the consumer while the page polls
``processed_rows``; a person file is followed by a resolution run. Resolution runs one at a
time (a lock), however many imports ask for it.
"""

from __future__ import annotations

from typing import Any

from huey.contrib.djhuey import HUEY, db_task

from . import services
from .choices import EntityType, ImportStatus
from .models import ImportBatch


@db_task(name="registry.import_batch")
def import_batch(batch_id: int, resolve: bool = True) -> dict[str, Any]:
    batch = ImportBatch.objects.select_related("source").get(pk=batch_id)
    if batch.status != ImportStatus.PENDING:
        return {"batch": batch_id, "status": batch.status}
    batch = services.import_run(batch=batch)
    if (
        resolve
        and batch.status == ImportStatus.DONE
        and batch.accepted_rows
        and batch.source.entity_type == EntityType.PERSON
    ):
        resolve_people(user_id=batch.uploaded_by_id)
    return {"batch": batch_id, "status": batch.status, "accepted": batch.accepted_rows}


@db_task(name="registry.resolve_people")
@HUEY.lock_task("registry-resolve-people")
def resolve_people(user_id: int | None = None) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    return services.resolve_people(user=user).as_dict()
