"""Keeps the summary tables current: listens to ``cases.signals.case_changed``.

The signal is sent inside the transaction of every case change, after its timeline
entry; the receiver brings the case's fact and the rollups up to date in that same
transaction (``summary.apply_case``), so the figures commit or roll back with the change.
"""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from grassroots.cases.signals import case_changed

from .summary import apply_case


@receiver(case_changed, dispatch_uid="insight.summary.apply_case")
def _case_changed(sender: Any, case: Any, **kwargs: Any) -> None:
    apply_case(case)
