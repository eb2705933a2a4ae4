"""The shipped taxonomy and calendar survive a ``flush`` (transactional tests, resets)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from grassroots.cases.models import CalendarDay, Category


@pytest.mark.django_db(transaction=True)
def test_flush_puts_reference_data_back():
    assert Category.objects.count() == 69
    call_command("flush", interactive=False, verbosity=0)
    assert Category.objects.count() == 69
    assert CalendarDay.objects.filter(date__year=2026, is_workday=True).exists()
