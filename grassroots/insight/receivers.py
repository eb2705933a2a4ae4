"""Keeps the summary tables current: listens to ``cases.signals.case_changed``.

The signal is sent inside the transaction of every case change, after its timeline
entry; the receiver brings the case's fact and the rollups up to date in that same
transaction (``summary.apply_case``), so the figures commit or roll back with the change.
A unit saved or deleted in this process empties the cache of unit chains.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from grassroots.cases.signals import case_changed
from grassroots.org.models import Unit

from .summary import apply_case, forget_units


@receiver(case_changed, dispatch_uid="insight.summary.apply_case")
def _case_changed(sender: Any, case: Any, **kwargs: Any) -> None:
    apply_case(case)


@receiver(post_save, sender=Unit, dispatch_uid="insight.summary.forget_units_saved")
@receiver(post_delete, sender=Unit, dispatch_uid="insight.summary.forget_units_deleted")
def _unit_changed(sender: Any, **kwargs: Any) -> None:
    forget_units()
