"""Run the deadline sweep now (the queue runs it every 15 minutes): every open case past
its resolution deadline goes up one level (督办). Naturally idempotent: a second run at the
same moment escalates nothing more. ``--dry-run`` counts without keeping the changes."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from grassroots.cases import services


class _Rollback(Exception):
    pass


class Command(BaseCommand):
    help = _("立即执行超期扫描：超过办结时限的案件升级督办。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help=_("只统计将升级的案件数，不写入")
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["dry_run"]:
            count = services.overdue_escalate()
            self.stdout.write(_("已升级 %(n)d 件超期案件。") % {"n": count})
            return
        count = 0
        try:
            with transaction.atomic():
                count = services.overdue_escalate()
                raise _Rollback
        except _Rollback:
            pass
        self.stdout.write(_("将升级 %(n)d 件超期案件（试运行，未写入）。") % {"n": count})
