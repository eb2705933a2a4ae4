"""Seed public holidays and adjusted working days (调休) for some years from the ``holidays``
package. Naturally idempotent: days already present are kept, and rows an administrator
corrected are never touched (``--refresh`` updates only rows the package wrote)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.translation import gettext as _

from grassroots.cases.calendar import calendar_seed


class Command(BaseCommand):
    help = _("从 holidays 软件包写入节假日和调休上班日（不覆盖管理员修改过的日期）。")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--years", type=int, nargs="+", help=_("年份，默认今年和明年，例如 2026 2027")
        )
        parser.add_argument(
            "--refresh",
            action="store_true",
            help=_("用软件包的最新数据更新此前由软件包写入的日期"),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        year = timezone.localdate().year
        years = sorted(set(options["years"] or [year, year + 1]))
        if any(not 1990 <= y <= 2100 for y in years):
            raise CommandError(_("年份应在 1990 到 2100 之间。"))
        written = calendar_seed(years=years, overwrite=options["refresh"])
        self.stdout.write(
            _("%(years)s：写入 %(n)d 个日期。")
            % {"years": ", ".join(str(y) for y in years), "n": written}
        )
